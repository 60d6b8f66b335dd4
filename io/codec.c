/* SPDX-License-Identifier: MIT */
/* codec.c - detection of compressed formats by their magic bytes, the
 * table of names and libraries, and the decoder calls common to every
 * format (the formats themselves are in codec_*.c).
 *
 * Error offsets: for an error inside a gzip member, zstd or lz4 frame,
 * bzip2 or xz stream, the offset of that member's first byte, except for
 * corrupt xz data, where liblzma stops at the damage: the bytes it had
 * taken then; for trailing garbage, its first byte; for a truncated input
 * ("unexpected end of input"), the input's length.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "codec_impl.h"

static const char *const names[RF_CODEC_COUNT] = {
#define RF_CODEC_NAME(id, name) name,
	RF_CODEC_LIST(RF_CODEC_NAME)
#undef RF_CODEC_NAME
};

const char *rf__codec_name(enum rf_codec c)
{
	return (unsigned)c < RF_CODEC_COUNT ? names[c] : "?";
}

const char *rf__codec_library(enum rf_codec c)
{
	switch (c) {
	case RF_CODEC_GZIP:
#if defined HAVE_ISAL
		return "ISA-L igzip";
#elif defined HAVE_ZLIB
		return "zlib";
#else
		return NULL;
#endif
	case RF_CODEC_ZSTD:
		return rf__zstd_ops ? "libzstd" : NULL;
	case RF_CODEC_XZ:
		return rf__xz_ops ? "liblzma" : NULL;
	case RF_CODEC_BZIP2:
		return rf__bzip2_ops ? "libbz2" : NULL;
	case RF_CODEC_LZ4:
		return rf__lz4_ops ? "liblz4" : NULL;
	default:
		return NULL;
	}
}

const char *rf__codec_package(enum rf_codec c)
{
	switch (c) {
	case RF_CODEC_GZIP:
		return "libisal-dev or zlib1g-dev";
	case RF_CODEC_ZSTD:
		return "libzstd-dev";
	case RF_CODEC_XZ:
		return "liblzma-dev";
	case RF_CODEC_BZIP2:
		return "libbz2-dev";
	case RF_CODEC_LZ4:
		return "liblz4-dev";
	default:
		return NULL;
	}
}

/* ---- detection ------------------------------------------------------------ */

struct magic {
	enum rf_codec codec;
	unsigned char len;
	unsigned char bytes[10];
};

/* bzip2: "BZh", the block size '1'..'9', then a block's magic (pi) or the
 * end of stream's (sqrt pi, an empty stream); the digit is matched apart.
 * zstd and lz4 share skippable frames (50..5f 2a 4d 18, a 4-byte size,
 * the content): a file starting with one (pzstd writes one of 4 bytes
 * before each frame) is detected by the frame after it when that starts
 * within the RF_CODEC_MAGIC_MAX bytes, and is plain otherwise.  lz4: the frame
 * format only (the legacy format, 02 21 4c 18, is not read).  .lzma
 * (lzma_alone) has no magic and is not detected. */
static const struct magic magics[] = {
	{RF_CODEC_GZIP, 3, {0x1f, 0x8b, 0x08}},
	{RF_CODEC_ZSTD, 4, {0x28, 0xb5, 0x2f, 0xfd}},
	{RF_CODEC_XZ, 6, {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}},
	{RF_CODEC_BZIP2, 10, {'B', 'Z', 'h', 0, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59}},
	{RF_CODEC_BZIP2, 10, {'B', 'Z', 'h', 0, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90}},
	{RF_CODEC_LZ4, 4, {0x04, 0x22, 0x4d, 0x18}},
};

/* how many of p[0..n) match m: m->len when all of it does */
static size_t magic_match(const struct magic *m, const unsigned char *p, size_t n)
{
	size_t i;
	for (i = 0; i < m->len && i < n; i++) {
		if (m->codec == RF_CODEC_BZIP2 && i == 3) {
			if (p[i] < '1' || p[i] > '9')
				return i;
		} else if (p[i] != m->bytes[i]) {
			return i;
		}
	}
	return i;
}

int rf__codec_detect(const unsigned char *p, size_t n, int at_end)
{
	static const unsigned char skip_magic[] = {0x2a, 0x4d, 0x18};
	if (n && (p[0] & 0xf0) == 0x50 && memcmp(p + 1, skip_magic, n < 4 ? n - 1 : 3) == 0) {
		/* a skippable frame: what follows it decides */
		if (n < 8)
			return at_end ? RF_CODEC_NONE : -1;
		uint32_t len = p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		if (len > RF_CODEC_MAGIC_MAX - 12)
			return RF_CODEC_NONE;
		/* only what lies within the first RF_CODEC_MAGIC_MAX bytes counts,
		 * so that more bytes never change the answer */
		size_t off = 8 + len, lim = n < RF_CODEC_MAGIC_MAX ? n : RF_CODEC_MAGIC_MAX;
		int c = rf__codec_detect(p + off, lim > off ? lim - off : 0, at_end || n >= RF_CODEC_MAGIC_MAX);
		return c == RF_CODEC_ZSTD || c == RF_CODEC_LZ4 || c == -1 ? c : RF_CODEC_NONE;
	}
	int partial = 0;
	for (size_t k = 0; k < sizeof magics / sizeof magics[0]; k++) {
		size_t got = magic_match(&magics[k], p, n);
		if (got == magics[k].len)
			return (int)magics[k].codec;
		if (got == n)
			partial = 1; /* all of p matches the start of this one */
	}
	return partial && !at_end && n < RF_CODEC_MAGIC_MAX ? -1 : RF_CODEC_NONE;
}

/* ---- decoders --------------------------------------------------------------- */

static const struct rf_decoder_ops *ops_of(enum rf_codec c)
{
	switch (c) {
	case RF_CODEC_GZIP:
		return rf__gzip_ops;
	case RF_CODEC_ZSTD:
		return rf__zstd_ops;
	case RF_CODEC_XZ:
		return rf__xz_ops;
	case RF_CODEC_BZIP2:
		return rf__bzip2_ops;
	case RF_CODEC_LZ4:
		return rf__lz4_ops;
	default:
		return NULL;
	}
}

int rf__decoder_new(struct rf_decoder **out, enum rf_codec c)
{
	*out = NULL;
	const struct rf_decoder_ops *ops = ops_of(c);
	if (!ops)
		return -ENOTSUP;
	struct rf_decoder *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	d->codec = c;
	d->ops = ops;
	if (ops->init(d) != 0) {
		free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void rf__decoder_free(struct rf_decoder *d)
{
	if (!d)
		return;
	d->ops->free(d);
	free(d);
}

int rf__decoder_run(struct rf_decoder *d, const unsigned char *in, size_t in_len, size_t *in_used, char *out,
		    size_t out_cap, size_t *out_made, int at_end)
{
	static unsigned char none[1];
	*in_used = 0;
	*out_made = 0;
	/* callers drain with (NULL, 0): no arithmetic on a null pointer */
	if (!in)
		in = none, in_len = 0;
	if (!out)
		out = (char *)none, out_cap = 0;
	if (d->bad)
		return RF_DEC_BAD;
	if (d->ended && !in_len)
		return RF_DEC_END;
	int r = d->ops->run(d, in, in_len, in_used, out, out_cap, out_made, at_end);
	d->in_total += *in_used;
	d->out_total += *out_made;
	d->ended = r == RF_DEC_END;
	if (r == RF_DEC_BAD && !d->bad)
		rf__dec_fail(d, "decoder error", d->in_total);
	return r;
}

const char *rf__decoder_error(const struct rf_decoder *d)
{
	return d->error ? d->error : "no error";
}

uint64_t rf__decoder_error_offset(const struct rf_decoder *d)
{
	return d->error_offset;
}

uint64_t rf__decoder_in_total(const struct rf_decoder *d)
{
	return d->in_total;
}

uint64_t rf__decoder_out_total(const struct rf_decoder *d)
{
	return d->out_total;
}
