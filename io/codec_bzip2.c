/* SPDX-License-Identifier: MIT */
/* codec_bzip2.c - bzip2 over libbz2.  Streams follow each other (pbzip2
 * and lbzip2 write many, cat of two .bz2 files is two): after a stream
 * ends, more input starts a new one; input that is not a stream is
 * "trailing garbage after the last stream" (bzip2 -d warns about it). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "codec_impl.h"

#ifdef HAVE_BZ2
#include <bzlib.h>

struct bz {
	bz_stream s;
	int live;      /* s is initialized */
	int between;   /* a stream ended, the next has not started */
	uint64_t streams;
	uint64_t stream_start;
};

static int bz_start(struct bz *b)
{
	memset(&b->s, 0, sizeof b->s);
	b->live = BZ2_bzDecompressInit(&b->s, 0, 0) == BZ_OK;
	return b->live ? 0 : -ENOMEM;
}

static int bz_init(struct rf_decoder *d)
{
	struct bz *b = calloc(1, sizeof *b);
	if (!b || bz_start(b) != 0) {
		free(b);
		return -ENOMEM;
	}
	d->state = b;
	return 0;
}

static void bz_free(struct rf_decoder *d)
{
	struct bz *b = d->state;
	if (b->live)
		BZ2_bzDecompressEnd(&b->s);
	free(b);
}

static int bz_run(struct rf_decoder *d, const unsigned char *in, size_t in_len, size_t *in_used, char *out,
		  size_t out_cap, size_t *out_made, int at_end)
{
	struct bz *b = d->state;
	size_t pos = 0, made = 0;
	int r = RF_DEC_OK;
	for (;;) {
		if (b->between) {
			if (pos == in_len) {
				r = at_end ? RF_DEC_END : RF_DEC_OK;
				break;
			}
			BZ2_bzDecompressEnd(&b->s);
			if (bz_start(b) != 0) {
				r = rf__dec_fail(d, "out of memory", d->in_total + pos);
				break;
			}
			b->between = 0;
			b->stream_start = d->in_total + pos;
		}
		if (made == out_cap)
			break;
		size_t in_left = in_len - pos, room = out_cap - made;
		if (in_left > UINT32_MAX)
			in_left = UINT32_MAX;
		if (room > UINT32_MAX)
			room = UINT32_MAX;
		b->s.next_in = (char *)(uintptr_t)(in + pos);
		b->s.avail_in = (unsigned)in_left;
		b->s.next_out = out + made;
		b->s.avail_out = (unsigned)room;
		int br = BZ2_bzDecompress(&b->s);
		size_t got = in_left - b->s.avail_in, put = room - b->s.avail_out;
		pos += got;
		made += put;
		if (br == BZ_STREAM_END) {
			b->between = 1;
			b->streams++;
			continue;
		}
		if (br != BZ_OK) {
			const char *why = "compressed data is corrupt";
			if (br == BZ_DATA_ERROR_MAGIC)
				why = b->streams ? "trailing garbage after the last stream" : "not in bzip2 format";
			else if (br == BZ_MEM_ERROR)
				why = "out of memory";
			else if (br == BZ_DATA_ERROR)
				why = "compressed data is corrupt (or CRC mismatch)";
			r = rf__dec_fail(d, why, b->stream_start);
			break;
		}
		if (pos == in_len) {
			if (at_end && made < out_cap)
				r = rf__dec_fail(d, "unexpected end of input", d->in_total + pos);
			break;
		}
		if (!got && !put)
			break; /* never spin */
	}
	*in_used = pos;
	*out_made = made;
	return r;
}

static const struct rf_decoder_ops bz_ops = {bz_init, bz_run, bz_free};
const struct rf_decoder_ops *const rf__bzip2_ops = &bz_ops;

#else
const struct rf_decoder_ops *const rf__bzip2_ops = NULL;
#endif
