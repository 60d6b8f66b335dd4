/* SPDX-License-Identifier: MIT */
/* codec_xz.c - xz over liblzma's stream decoder, one stream at a time:
 * streams follow each other with optional stream padding (zero bytes, a
 * multiple of 4) between and after them, as xz -d reads them; anything
 * else after a stream is "trailing garbage after the last stream".  The
 * integrity check is verified; memory is limited to 256 MiB (a preset -9
 * stream needs 65 MiB): a stream asking for more is refused.  .lzma files
 * are not read (they have no magic to detect them by). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include "codec_impl.h"

#ifdef HAVE_LZMA
#include <lzma.h>

#define XZ_MEMLIMIT (256u << 20)

struct xz {
	lzma_stream s;
	int between;          /* a stream ended, the next has not started */
	uint64_t zeros;       /* padding bytes since */
	uint64_t streams;
	uint64_t stream_start;
};

static int xz_init(struct rf_decoder *d)
{
	struct xz *x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	lzma_stream init = LZMA_STREAM_INIT;
	x->s = init;
	if (lzma_stream_decoder(&x->s, XZ_MEMLIMIT, 0) != LZMA_OK) {
		free(x);
		return -ENOMEM;
	}
	d->state = x;
	return 0;
}

static void xz_free(struct rf_decoder *d)
{
	struct xz *x = d->state;
	lzma_end(&x->s);
	free(x);
}

static const char *xz_reason(lzma_ret r)
{
	switch (r) {
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "needs more than 256 MiB of memory to decode";
	case LZMA_FORMAT_ERROR:
		return "not in xz format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported options (filter or check)";
	case LZMA_DATA_ERROR:
		return "compressed data is corrupt";
	case LZMA_BUF_ERROR:
		return "unexpected end of input";
	default:
		return "invalid compressed data";
	}
}

static int xz_run(struct rf_decoder *d, const unsigned char *in, size_t in_len, size_t *in_used, char *out,
		  size_t out_cap, size_t *out_made, int at_end)
{
	struct xz *x = d->state;
	size_t pos = 0, made = 0;
	int r = RF_DEC_OK;
	for (;;) {
		if (x->between) {
			while (pos < in_len && in[pos] == 0)
				pos++, x->zeros++;
			if (pos == in_len && !at_end)
				break;
			if (x->zeros % 4) {
				r = rf__dec_fail(d, "stream padding is not a multiple of 4 bytes", d->in_total + pos);
				break;
			}
			if (pos == in_len) {
				r = RF_DEC_END;
				break;
			}
			if (in[pos] != 0xfd) {
				r = rf__dec_fail(d, "trailing garbage after the last stream", d->in_total + pos);
				break;
			}
			if (lzma_stream_decoder(&x->s, XZ_MEMLIMIT, 0) != LZMA_OK) {
				r = rf__dec_fail(d, "out of memory", d->in_total + pos);
				break;
			}
			x->between = 0;
			x->stream_start = d->in_total + pos;
		}
		if (made == out_cap)
			break;
		x->s.next_in = in + pos;
		x->s.avail_in = in_len - pos;
		x->s.next_out = (uint8_t *)out + made;
		x->s.avail_out = out_cap - made;
		lzma_ret lr = lzma_code(&x->s, LZMA_RUN);
		size_t got = in_len - pos - x->s.avail_in, put = out_cap - made - x->s.avail_out;
		pos += got;
		made += put;
		if (lr == LZMA_STREAM_END) {
			x->between = 1;
			x->zeros = 0;
			x->streams++;
			continue;
		}
		if (lr == LZMA_FORMAT_ERROR && x->streams) {
			r = rf__dec_fail(d, "trailing garbage after the last stream", x->stream_start);
			break;
		}
		if (lr != LZMA_OK && lr != LZMA_BUF_ERROR) {
			r = rf__dec_fail(d, xz_reason(lr), lr == LZMA_DATA_ERROR ? d->in_total + pos : x->stream_start);
			break;
		}
		if (pos == in_len) {
			/* all input taken and room left: the stream is cut */
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

static const struct rf_decoder_ops xz_ops = {xz_init, xz_run, xz_free};
const struct rf_decoder_ops *const rf__xz_ops = &xz_ops;

#else
const struct rf_decoder_ops *const rf__xz_ops = NULL;
#endif
