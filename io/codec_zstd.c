/* SPDX-License-Identifier: MIT */
/* codec_zstd.c - zstd over libzstd's streaming decoder.  Frames follow
 * each other, skippable ones included (libzstd skips them).  The window is
 * limited to 2^27 bytes (128 MiB, zstd's own default limit without
 * --memory / --long), which bounds the memory a frame can ask for: a frame
 * wanting more is refused as "window too large". */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "codec_impl.h"

#ifdef HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>

#define ZS_WINDOW_LOG_MAX 27

struct zs {
	ZSTD_DStream *ds;
	int in_frame;          /* between a frame's first byte and its end */
	uint64_t frame_start;
	uint64_t frames;
	unsigned char head[4]; /* the current frame's first bytes */
	unsigned head_len;
};

/* head[0..n) can start a zstd frame or a skippable frame */
static int zs_magic_prefix(const unsigned char *h, unsigned n)
{
	static const unsigned char zstd[4] = {0x28, 0xb5, 0x2f, 0xfd};
	static const unsigned char skip[4] = {0x50, 0x2a, 0x4d, 0x18};
	return memcmp(h, zstd, n) == 0 || (n && (h[0] & 0xf0) == 0x50 && memcmp(h + 1, skip + 1, n - 1) == 0);
}

static int zs_init(struct rf_decoder *d)
{
	struct zs *z = calloc(1, sizeof *z);
	if (!z)
		return -ENOMEM;
	z->ds = ZSTD_createDStream();
	if (!z->ds || ZSTD_isError(ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax, ZS_WINDOW_LOG_MAX))) {
		ZSTD_freeDStream(z->ds);
		free(z);
		return -ENOMEM;
	}
	d->state = z;
	return 0;
}

static void zs_free(struct rf_decoder *d)
{
	struct zs *z = d->state;
	ZSTD_freeDStream(z->ds);
	free(z);
}

static int zs_run(struct rf_decoder *d, const unsigned char *in, size_t in_len, size_t *in_used, char *out,
		  size_t out_cap, size_t *out_made, int at_end)
{
	struct zs *z = d->state;
	ZSTD_inBuffer ib = {in, in_len, 0};
	ZSTD_outBuffer ob = {out, out_cap, 0};
	int r = RF_DEC_OK;
	for (;;) {
		if (!z->in_frame) {
			if (ib.pos == ib.size) {
				r = at_end ? RF_DEC_END : RF_DEC_OK;
				break;
			}
			z->in_frame = 1;
			z->frame_start = d->in_total + ib.pos;
			z->head_len = 0;
		}
		if (ob.pos == ob.size)
			break;
		size_t before_in = ib.pos, before_out = ob.pos;
		size_t ret = ZSTD_decompressStream(z->ds, &ob, &ib);
		for (size_t i = before_in; i < ib.pos && z->head_len < 4; i++)
			z->head[z->head_len++] = in[i];
		/* after a frame, bytes that start no frame are garbage, even
		 * too few for libzstd to look at */
		int garbage = z->frames && !zs_magic_prefix(z->head, z->head_len);
		if (ZSTD_isError(ret)) {
			/* the library may refuse bytes it did not take: look at them */
			for (size_t i = ib.pos; i < ib.size && z->head_len < 4; i++)
				z->head[z->head_len++] = in[i];
			garbage = z->frames && !zs_magic_prefix(z->head, z->head_len);
			const char *why = ZSTD_getErrorName(ret);
			switch (ZSTD_getErrorCode(ret)) {
			case ZSTD_error_frameParameter_windowTooLarge:
				why = "window too large (over 128 MiB)";
				break;
			case ZSTD_error_checksum_wrong:
				why = "checksum mismatch";
				break;
			default:
				break;
			}
			if (garbage)
				why = "trailing garbage after the last frame";
			r = rf__dec_fail(d, why, z->frame_start);
			break;
		}
		if (ret == 0) {
			z->in_frame = 0; /* a frame ended (all its output given) */
			z->frames++;
			continue;
		}
		if (ib.pos == ib.size) {
			if (at_end && ob.pos < ob.size) {
				r = garbage ? rf__dec_fail(d, "trailing garbage after the last frame", z->frame_start)
					    : rf__dec_fail(d, "unexpected end of input", d->in_total + ib.pos);
				break;
			}
			break;
		}
		if (ib.pos == before_in && ob.pos == before_out)
			break; /* never spin */
	}
	*in_used = ib.pos;
	*out_made = ob.pos;
	return r;
}

static const struct rf_decoder_ops zs_ops = {zs_init, zs_run, zs_free};
const struct rf_decoder_ops *const rf__zstd_ops = &zs_ops;

#else
const struct rf_decoder_ops *const rf__zstd_ops = NULL;
#endif
