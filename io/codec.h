/* SPDX-License-Identifier: MIT */
/* codec.h - compressed formats: detection by magic bytes and streaming
 * decoders behind one interface.
 *
 * Each format is one file (codec_gzip.c, codec_zstd.c, codec_xz.c,
 * codec_bzip2.c, codec_lz4.c) over the system's own library; a format whose
 * library was missing at configure time is still detected, so its input is
 * refused by name instead of being read as text.  codec.c holds detection
 * and the table.
 *
 * A decoder is fed compressed bytes and fills output space; it never holds
 * a whole input, whatever the ratio.  Every format decodes concatenated
 * members/frames/streams as one output (what zcat, zstdcat, xzcat, bzcat and
 * lz4cat do).  Not thread-safe per decoder; decoders are independent.
 */
#ifndef RF_CODEC_H
#define RF_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define RF_CODEC_LIST(X) \
	X(NONE, "none")  \
	X(GZIP, "gzip")  \
	X(ZSTD, "zstd")  \
	X(XZ, "xz")      \
	X(BZIP2, "bzip2") \
	X(LZ4, "lz4")

enum rf_codec {
#define RF_CODEC_ENUM(id, name) RF_CODEC_##id,
	RF_CODEC_LIST(RF_CODEC_ENUM)
#undef RF_CODEC_ENUM
	RF_CODEC_COUNT
};

/* Bytes of an input's start that detection may look at. */
#define RF_CODEC_MAGIC_MAX 16

/* The format of data starting with p[0..n).  RF_CODEC_NONE: plain.  -1:
 * n bytes are a prefix of some format's magic and more are needed to say
 * (a stream that has not given enough yet); with n >= RF_CODEC_MAGIC_MAX,
 * or at the input's end, call with `at_end` set and it decides. */
int rf__codec_detect(const unsigned char *p, size_t n, int at_end);

const char *rf__codec_name(enum rf_codec c);     /* "gzip" */
/* The decoder built in ("ISA-L igzip", "zlib", "libzstd", ...), or NULL
 * when configure did not find the library. */
const char *rf__codec_library(enum rf_codec c);
/* The Debian package that would provide it ("libisal-dev or zlib1g-dev"). */
const char *rf__codec_package(enum rf_codec c);

/* Results of rf__decoder_run. */
#define RF_DEC_OK 0     /* progress: call again (more input, or more room) */
#define RF_DEC_END 1    /* every member ended and the input given with
                         * at_end is all consumed */
#define RF_DEC_BAD (-1) /* corrupt, truncated, bad checksum, trailing
                         * garbage, unsupported option: rf__decoder_error */

struct rf_decoder;

/* -ENOMEM, -ENOTSUP (library not built in), 0 */
int rf__decoder_new(struct rf_decoder **out, enum rf_codec c);
void rf__decoder_free(struct rf_decoder *d);

/* Decode from in[0..in_len) into out[0..out_cap).  *in_used and *out_made
 * say how much was consumed and produced (either may be 0 when the other
 * is not).  `at_end`: in[] holds the last bytes of the input; the decoder
 * then reports a truncated member as RF_DEC_BAD.  Call again with the
 * unconsumed rest plus more input, or with more room, until RF_DEC_END.
 * A call that neither consumes nor produces, with room left and input
 * given, is a decoder bug and must not happen (callers rely on progress). */
int rf__decoder_run(struct rf_decoder *d, const unsigned char *in, size_t in_len, size_t *in_used,
		    char *out, size_t out_cap, size_t *out_made, int at_end);

/* After RF_DEC_BAD: what was wrong ("invalid block type", "CRC mismatch",
 * "trailing garbage after the last member", "unexpected end of input") and
 * the offset, in compressed bytes from the start of the input, of the
 * member/frame or position where it was found (as near as the library
 * tells). */
const char *rf__decoder_error(const struct rf_decoder *d);
uint64_t rf__decoder_error_offset(const struct rf_decoder *d);

/* Compressed bytes consumed so far, and output produced so far. */
uint64_t rf__decoder_in_total(const struct rf_decoder *d);
uint64_t rf__decoder_out_total(const struct rf_decoder *d);

#endif
