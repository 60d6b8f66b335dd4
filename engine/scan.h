/* SPDX-License-Identifier: MIT */
/* scan.h - structural scanning of JSON text, 64 bytes at a time.
 *
 * The first pass of the json parser, in the manner of simdjson's stage 1:
 * each 64-byte block of a record becomes bitmaps of its quotes, backslashes,
 * structural characters ({}[]:,), blanks and control bytes, built with the
 * vector compares of one SIMD level.  From them, with plain 64-bit
 * arithmetic shared by every level (scan_impl.h):
 *  - escaped bytes (the byte after an odd run of backslashes), found with
 *    the carry of an addition, so an escaped quote ends no string;
 *  - the bytes inside strings, the prefix XOR of the real quotes (a
 *    carry-less multiply by all ones where the CPU has one);
 *  - the tokens: structural characters outside strings, the opening quote
 *    of each string (the closing one is the last byte before the next
 *    token that is not blank), and the first byte of each run of other
 *    bytes outside strings (a number, true, a stray word: the parser judges
 *    it).
 * The token positions go to an array the second pass (parse_json.c) walks
 * instead of the bytes.  One algorithm, one thin file per level
 * (scan_scalar.c, scan_sse2.c, scan_avx2.c, scan_avx512.c) giving only the
 * block classification; tests/check_scan.c holds every level to a
 * byte-at-a-time model.
 */
#ifndef RF_SCAN_H
#define RF_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include "ringflow.h"

/* What the first pass says of a record besides its tokens. */
#define RF_SCAN_BACKSLASH 1u  /* holds a backslash: escapes to check */
#define RF_SCAN_BAD 2u        /* a control byte inside a string, or a string left open */

/* The tokens of p[0..n): their offsets into tok[] (room for
 * RF_SCAN_TOKENS(n) of them: it writes past the last one), in order;
 * returns how many.  *flags gets RF_SCAN_*. */
#define RF_SCAN_TOKENS(n) ((n) + 72)
typedef size_t (*rf_json_index_fn)(const char *p, size_t n, uint32_t *tok, unsigned *flags);

/* The offsets of the bytes equal to sep in p[0..n) (room for
 * RF_SCAN_TOKENS(n)); *quoted: a '"' is among the bytes. */
typedef size_t (*rf_sep_index_fn)(const char *p, size_t n, char sep, uint32_t *out, int *quoted);

struct rf_scanner {
	enum rf_simd level;
	rf_json_index_fn json_index;
	rf_sep_index_fn sep_index;
};

/* The scanner of a kernel level (the best this CPU runs at or below it). */
const struct rf_scanner *rf__scanner(enum rf_simd level);

extern const struct rf_scanner rf__scanner_scalar, rf__scanner_sse2, rf__scanner_avx2, rf__scanner_avx512;

#endif
