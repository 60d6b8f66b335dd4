/* codec_xz.c - xz over liblzma's stream decoder, concatenated streams and
 * stream padding included (as xz -d reads them), integrity checks
 * verified, memory limited to 256 MiB (what a preset -9 stream needs is 65
 * MiB): a stream asking for more is refused.  .lzma files are not read
 * (they have no magic to detect them by). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include "codec_impl.h"

#ifdef HAVE_LZMA
#include <lzma.h>

#define XZ_MEMLIMIT (256u << 20)

struct xz {
	lzma_stream s;
	int idle; /* calls at the end that made no progress */
};

static int xz_init(struct rf_decoder *d)
{
	struct xz *x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	lzma_stream init = LZMA_STREAM_INIT;
	x->s = init;
	if (lzma_stream_decoder(&x->s, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
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
		return "not in xz format (trailing garbage?)";
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
		if (made == out_cap)
			break;
		x->s.next_in = in + pos;
		x->s.avail_in = in_len - pos;
		x->s.next_out = (uint8_t *)out + made;
		x->s.avail_out = out_cap - made;
		/* LZMA_FINISH once the last bytes are given: the end of the
		 * input is then the end of the last stream */
		lzma_ret lr = lzma_code(&x->s, at_end ? LZMA_FINISH : LZMA_RUN);
		size_t got = in_len - pos - x->s.avail_in, put = out_cap - made - x->s.avail_out;
		pos += got;
		made += put;
		if (lr == LZMA_STREAM_END) {
			r = RF_DEC_END;
			break;
		}
		if (lr == LZMA_BUF_ERROR && at_end) {
			r = rf__dec_fail(d, "unexpected end of input", d->in_total + pos);
			break;
		}
		if (lr != LZMA_OK && lr != LZMA_BUF_ERROR) {
			r = rf__dec_fail(d, xz_reason(lr), d->in_total + pos);
			break;
		}
		if (got || put) {
			x->idle = 0;
			if (pos == in_len && !at_end)
				break;
			continue;
		}
		/* no progress: liblzma says LZMA_BUF_ERROR only on the
		 * second such call in a row */
		if (!at_end || ++x->idle > 2)
			break;
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
