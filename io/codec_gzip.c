/* SPDX-License-Identifier: MIT */
/* codec_gzip.c - gzip over ISA-L's igzip inflate, or zlib when ISA-L is
 * not there.
 *
 * Members follow each other (multi-member files, BGZF): each ends with its
 * CRC and length checked, and the next one starts where it ended.  After a
 * member, the input may end, or go on with zero bytes only, which are
 * ignored as gzip -d does (tape padding; gzip exits 0 on them); anything
 * else is "trailing garbage after the last member", which gzip -d warns
 * about with exit status 2. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "codec_impl.h"

#if defined HAVE_ISAL || defined HAVE_ZLIB

#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#else
#include <zlib.h>
#endif

struct gz {
#ifdef HAVE_ISAL
	struct inflate_state st;
	/* the member's header, parsed here: ISA-L 2.30's own parser gives a
	 * false "checksum" error on a BGZF header cut between calls */
	int hdr_step;         /* HDR_* */
	unsigned char hdr[10];
	unsigned hdr_have;    /* bytes of hdr[] held, or of the field read */
	unsigned xlen;
#else
	z_stream zs;
#endif
	int between;          /* a member ended, the next has not started */
	int zeros;            /* zero bytes seen after the last member */
	uint64_t members;     /* members ended */
	uint64_t member_start; /* offset of the current member's first byte */
	uint64_t member_out;  /* bytes the current member made */
};

#ifdef HAVE_ISAL
static void isal_member_begin(struct gz *g);
#endif

static int gz_init(struct rf_decoder *d)
{
	struct gz *g = calloc(1, sizeof *g);
	if (!g)
		return -ENOMEM;
#ifdef HAVE_ISAL
	isal_inflate_init(&g->st);
	isal_member_begin(g);
#else
	if (inflateInit2(&g->zs, 15 + 16) != Z_OK) {
		free(g);
		return -ENOMEM;
	}
#endif
	d->state = g;
	return 0;
}

static void gz_free(struct rf_decoder *d)
{
	struct gz *g = d->state;
#ifndef HAVE_ISAL
	inflateEnd(&g->zs);
#endif
	free(g);
}

#ifdef HAVE_ISAL
enum { HDR_FIXED, HDR_XLEN, HDR_EXTRA, HDR_NAME, HDR_COMMENT, HDR_HCRC, HDR_DONE };

/* Move to the next header field the flags say is there. */
static void hdr_next(struct gz *g)
{
	unsigned fl = g->hdr[3];
	g->hdr_have = 0;
	while (++g->hdr_step < HDR_DONE) {
		if ((g->hdr_step == HDR_XLEN && (fl & 4)) || (g->hdr_step == HDR_NAME && (fl & 8)) ||
		    (g->hdr_step == HDR_COMMENT && (fl & 16)) || (g->hdr_step == HDR_HCRC && (fl & 2)))
			return;
		if (g->hdr_step == HDR_EXTRA && (fl & 4) && g->xlen)
			return;
	}
}

/* Take header bytes from in[0..n): 1 once the header is whole, 0 when it
 * needs more, -1 when it is not a gzip header. */
static int hdr_feed(struct gz *g, const unsigned char *in, size_t n, size_t *used)
{
	size_t i = 0;
	while (g->hdr_step != HDR_DONE && i < n) {
		switch (g->hdr_step) {
		case HDR_FIXED:
			g->hdr[g->hdr_have++] = in[i++];
			if (g->hdr_have == 10) {
				if (g->hdr[0] != 0x1f || g->hdr[1] != 0x8b || g->hdr[2] != 8 || (g->hdr[3] & 0xe0)) {
					*used = i;
					return -1;
				}
				g->hdr_step = HDR_FIXED;
				hdr_next(g);
			}
			break;
		case HDR_XLEN:
			g->xlen |= (unsigned)in[i++] << (8 * g->hdr_have++);
			if (g->hdr_have == 2)
				hdr_next(g);
			break;
		case HDR_EXTRA: {
			size_t take = n - i < g->xlen - g->hdr_have ? n - i : g->xlen - g->hdr_have;
			i += take;
			g->hdr_have += (unsigned)take;
			if (g->hdr_have == g->xlen)
				hdr_next(g);
			break;
		}
		case HDR_NAME:
		case HDR_COMMENT: {
			const unsigned char *z = memchr(in + i, 0, n - i);
			if (!z) {
				i = n;
			} else {
				i = (size_t)(z - in) + 1;
				hdr_next(g);
			}
			break;
		}
		case HDR_HCRC:
			i++;
			if (++g->hdr_have == 2)
				hdr_next(g);
			break;
		}
	}
	*used = i;
	return g->hdr_step == HDR_DONE;
}

static void isal_member_begin(struct gz *g)
{
	isal_inflate_reset(&g->st);
	g->st.crc_flag = ISAL_GZIP_NO_HDR_VER;
	g->hdr_step = HDR_FIXED;
	g->hdr_have = 0;
	g->xlen = 0;
}

static const char *isal_reason(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:
		return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unsupported compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "CRC or length mismatch";
	case ISAL_NEED_DICT:
		return "needs a dictionary";
	default:
		return "invalid compressed data";
	}
}
#endif

static int gz_run(struct rf_decoder *d, const unsigned char *in, size_t in_len, size_t *in_used, char *out,
		  size_t out_cap, size_t *out_made, int at_end)
{
	struct gz *g = d->state;
	size_t pos = 0, made = 0;
	for (;;) {
		if (g->between) {
			/* past a member: its end, zero padding, or the next */
			while (pos < in_len && in[pos] == 0)
				pos++, g->zeros = 1;
			if (pos == in_len) {
				*in_used = pos;
				*out_made = made;
				return at_end ? RF_DEC_END : RF_DEC_OK;
			}
			if (g->zeros || in[pos] != 0x1f) {
				*in_used = pos;
				*out_made = made;
				return rf__dec_fail(d, "trailing garbage after the last member", d->in_total + pos);
			}
#ifdef HAVE_ISAL
			isal_member_begin(g);
#else
			inflateReset(&g->zs);
#endif
			g->between = 0;
			g->member_start = d->in_total + pos;
			g->member_out = 0;
		}
		if (made == out_cap)
			break;
		size_t in_left = in_len - pos, room = out_cap - made;
		/* both libraries count in 32 bits */
		if (in_left > UINT32_MAX)
			in_left = UINT32_MAX;
		if (room > UINT32_MAX)
			room = UINT32_MAX;
		size_t got, put;
		int member_end, fail = 0;
		const char *why = NULL;
#ifdef HAVE_ISAL
		if (g->hdr_step != HDR_DONE) {
			size_t used;
			int h = hdr_feed(g, in + pos, in_len - pos, &used);
			pos += used;
			if (h < 0) {
				*in_used = pos;
				*out_made = made;
				return rf__dec_fail(d, g->members ? "trailing garbage after the last member"
								  : "invalid gzip header",
						    g->member_start);
			}
			if (!h) {
				if (at_end) {
					*in_used = pos;
					*out_made = made;
					return rf__dec_fail(d, "unexpected end of input", d->in_total + pos);
				}
				break;
			}
			continue;
		}
		g->st.next_in = (uint8_t *)(uintptr_t)(in + pos);
		g->st.avail_in = (uint32_t)in_left;
		g->st.next_out = (uint8_t *)(out + made);
		g->st.avail_out = (uint32_t)room;
		int r = isal_inflate(&g->st);
		/* on an error ISA-L may hand back bits it had buffered, more
		 * than this call gave: count none of them as taken */
		got = g->st.avail_in <= in_left ? in_left - g->st.avail_in : 0;
		put = room - g->st.avail_out;
		member_end = r == ISAL_DECOMP_OK && g->st.block_state == ISAL_BLOCK_FINISH;
		if (r < 0) {
			fail = 1;
			why = isal_reason(r);
		} else if (g->st.avail_in > in_left) {
			/* not seen: bytes of an earlier call handed back on
			 * success could not be given again; refuse, never guess */
			fail = 1;
			why = "ISA-L handed back input of an earlier call";
		}
#else
		g->zs.next_in = (Bytef *)(uintptr_t)(in + pos);
		g->zs.avail_in = (uInt)in_left;
		g->zs.next_out = (Bytef *)(out + made);
		g->zs.avail_out = (uInt)room;
		int r = inflate(&g->zs, Z_NO_FLUSH);
		got = in_left - g->zs.avail_in;
		put = room - g->zs.avail_out;
		member_end = r == Z_STREAM_END;
		if (r == Z_NEED_DICT || r == Z_DATA_ERROR || r == Z_STREAM_ERROR || r == Z_MEM_ERROR) {
			fail = 1;
			why = g->zs.msg ? g->zs.msg : "invalid compressed data";
			if (r == Z_MEM_ERROR)
				why = "out of memory";
			else if (g->zs.msg && strstr(g->zs.msg, "data check"))
				why = "CRC mismatch";
			else if (g->zs.msg && strstr(g->zs.msg, "length check"))
				why = "length mismatch";
			else if (g->members > 0 && g->member_out == 0 && g->zs.msg &&
				 strcmp(g->zs.msg, "incorrect header check") == 0)
				why = "trailing garbage after the last member";
		}
#endif
		pos += got;
		made += put;
		g->member_out += put;
		if (fail) {
			*in_used = pos;
			*out_made = made;
			return rf__dec_fail(d, why, g->member_start);
		}
		if (member_end) {
			g->between = 1;
			g->zeros = 0;
			g->members++;
			continue;
		}
		if (pos == in_len) {
			/* all input taken and room left: the member is cut */
			if (at_end && made < out_cap) {
				*in_used = pos;
				*out_made = made;
				return rf__dec_fail(d, "unexpected end of input", d->in_total + pos);
			}
			break;
		}
		if (!got && !put)
			break; /* cannot happen with input and room; never spin */
	}
	*in_used = pos;
	*out_made = made;
	return RF_DEC_OK;
}

static const struct rf_decoder_ops gz_ops = {gz_init, gz_run, gz_free};
const struct rf_decoder_ops *const rf__gzip_ops = &gz_ops;

#else
const struct rf_decoder_ops *const rf__gzip_ops = NULL;
#endif
