/* SPDX-License-Identifier: MIT */
/* codec_lz4.c - the lz4 frame format over liblz4's LZ4F decoder:
 * concatenated frames, skippable frames (LZ4F skips them), block and
 * content checksums verified when the frame has them.  The legacy lz4
 * format (magic 02 21 4c 18) is not read. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "codec_impl.h"

#ifdef HAVE_LZ4
#include <lz4frame.h>

struct l4 {
	LZ4F_dctx *dc;
	int in_frame;
	uint64_t frames;
	uint64_t frame_start;
	unsigned char head[4]; /* the current frame's first bytes */
	unsigned head_len;
};

/* head[0..n) can start an lz4 frame or a skippable frame */
static int l4_magic_prefix(const unsigned char *h, unsigned n)
{
	static const unsigned char lz4[4] = {0x04, 0x22, 0x4d, 0x18};
	static const unsigned char skip[4] = {0x50, 0x2a, 0x4d, 0x18};
	return memcmp(h, lz4, n) == 0 || (n && (h[0] & 0xf0) == 0x50 && memcmp(h + 1, skip + 1, n - 1) == 0);
}

static int l4_init(struct rf_decoder *d)
{
	struct l4 *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&l->dc, LZ4F_VERSION))) {
		free(l);
		return -ENOMEM;
	}
	d->state = l;
	return 0;
}

static void l4_free(struct rf_decoder *d)
{
	struct l4 *l = d->state;
	LZ4F_freeDecompressionContext(l->dc);
	free(l);
}

static int l4_run(struct rf_decoder *d, const unsigned char *in, size_t in_len, size_t *in_used, char *out,
		  size_t out_cap, size_t *out_made, int at_end)
{
	struct l4 *l = d->state;
	size_t pos = 0, made = 0;
	int r = RF_DEC_OK;
	for (;;) {
		if (!l->in_frame) {
			if (pos == in_len) {
				r = at_end ? RF_DEC_END : RF_DEC_OK;
				break;
			}
			l->in_frame = 1;
			l->frame_start = d->in_total + pos;
			l->head_len = 0;
		}
		if (made == out_cap)
			break;
		size_t got = in_len - pos, put = out_cap - made;
		size_t hint = LZ4F_decompress(l->dc, out + made, &put, in + pos, &got, NULL);
		for (size_t i = 0; i < got && l->head_len < 4; i++)
			l->head[l->head_len++] = in[pos + i];
		pos += got;
		/* after a frame, bytes that start no frame are garbage, even
		 * too few for liblz4 to look at */
		int garbage = l->frames && !l4_magic_prefix(l->head, l->head_len);
		made += put;
		if (LZ4F_isError(hint)) {
			/* the library may refuse bytes it did not take: look at them */
			for (size_t i = pos; i < in_len && l->head_len < 4; i++)
				l->head[l->head_len++] = in[i];
			garbage = l->frames && !l4_magic_prefix(l->head, l->head_len);
			const char *why = LZ4F_getErrorName(hint);
			if (garbage)
				why = "trailing garbage after the last frame";
			else if (strcmp(why, "ERROR_frameType_unknown") == 0)
				why = "not an lz4 frame";
			else if (strcmp(why, "ERROR_contentChecksum_invalid") == 0)
				why = "checksum mismatch (content)";
			else if (strcmp(why, "ERROR_blockChecksum_invalid") == 0)
				why = "checksum mismatch (block)";
			r = rf__dec_fail(d, why, l->frame_start);
			break;
		}
		if (hint == 0) {
			l->in_frame = 0; /* a frame ended, all its output given */
			l->frames++;
			continue;
		}
		if (pos == in_len) {
			if (at_end && made < out_cap)
				r = garbage ? rf__dec_fail(d, "trailing garbage after the last frame", l->frame_start)
					    : rf__dec_fail(d, "unexpected end of input", d->in_total + pos);
			break;
		}
		if (!got && !put)
			break; /* never spin */
	}
	*in_used = pos;
	*out_made = made;
	return r;
}

static const struct rf_decoder_ops l4_ops = {l4_init, l4_run, l4_free};
const struct rf_decoder_ops *const rf__lz4_ops = &l4_ops;

#else
const struct rf_decoder_ops *const rf__lz4_ops = NULL;
#endif
