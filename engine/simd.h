/* simd.h - byte-scanning kernels with one implementation per SIMD level.
 *
 * Each level lives in its own file (simd_scalar.c, simd_sse2.c, simd_avx2.c)
 * behind the same table; rf__kernels() hands out the table for a level that
 * the CPU can run.  Every implementation must give identical results: the
 * differential test in tests/check_simd.c holds them to it.
 */
#ifndef RF_SIMD_H
#define RF_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include "ringflow.h"

/* A literal prepared for searching: the two rarest bytes of the needle (by a
 * frequency table for log text) are tested first, the rest only on a hit. */
struct rf_needle {
	const char *bytes;
	size_t len;
	size_t i1, i2;            /* positions of the two rare bytes (may be equal) */
	unsigned char b1, b2;
};

void rf__needle_init(struct rf_needle *nd, const char *bytes, size_t len);

/* A field found by split: bytes [start, end) of the record. */
struct rf_field {
	uint32_t start, end;
};

/* Turn one 64-byte block's blank mask (bit i set: byte base+i is a space or
 * tab) into field boundaries.  *prev_blank carries whether the byte before
 * the block was blank (1 at the start of a record), *open whether a field
 * is still running.  Shared by every level: they differ only in how they
 * build the mask.  Returns the new field count; stops at `want`. */
static inline size_t rf__fields_from_mask(uint64_t m, uint64_t *prev_blank, int *open, uint32_t base,
					  size_t nf, size_t want, struct rf_field *out)
{
	uint64_t prevb = (m << 1) | *prev_blank;
	uint64_t starts = ~m & prevb; /* non-blank after blank */
	uint64_t ends = m & ~prevb;   /* blank after non-blank */
	*prev_blank = m >> 63;
	while (nf < want) {
		if (*open) {
			if (!ends)
				break;
			out[nf++].end = base + (uint32_t)__builtin_ctzll(ends);
			ends &= ends - 1;
			*open = 0;
		} else {
			if (!starts)
				break;
			int bit = __builtin_ctzll(starts);
			out[nf].start = base + (uint32_t)bit;
			starts &= starts - 1;
			/* ends before this start belong to earlier fields */
			ends &= ~((2ULL << bit) - 1);
			*open = 1;
		}
	}
	return nf;
}

/* One 64-byte block of split_blank at offset base of an n-byte record: the
 * bytes past the record count as blanks.  Returns 1 when the record is done. */
static inline int rf__split_block(uint64_t m, uint32_t base, size_t n, uint64_t *prev_blank, int *open,
				  size_t *nf, size_t want, struct rf_field *out)
{
	size_t left = n - base;
	if (left < 64)
		m |= ~0ULL << left;
	*nf = rf__fields_from_mask(m, prev_blank, open, base, *nf, want, out);
	if (left > 64)
		return 0;
	if (*open && *nf < want && left == 64)
		out[(*nf)++].end = (uint32_t)n;
	return 1;
}

/* The scalar tail of a record: the mask of its last < 64 bytes, with the
 * bits past the end set (blank), so an open field ends there. */
static inline uint64_t rf__blank_mask_tail(const char *p, size_t n)
{
	uint64_t m = ~0ULL;
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			m &= ~(1ULL << i);
	return m;
}

struct rf_kernels {
	enum rf_simd level;
	/* number of bytes equal to c in p[0..n) */
	size_t (*count_byte)(const char *p, size_t n, int c);
	/* first / last byte equal to c, or NULL */
	const char *(*find_byte)(const char *p, size_t n, int c);
	const char *(*find_last_byte)(const char *p, size_t n, int c);
	/* first occurrence of the needle, or NULL; len 0 matches at p */
	const char *(*find_literal)(const char *p, size_t n, const struct rf_needle *nd);
	/* the first `want` fields of p[0..n), separated by runs of spaces and
	 * tabs (leading and trailing ones ignored, as awk does); returns how
	 * many were found */
	size_t (*split_blank)(const char *p, size_t n, size_t want, struct rf_field *out);
};

/* The kernels for a level, or NULL when this CPU cannot run it.
 * RF_SIMD_AUTO gives the best level available. */
const struct rf_kernels *rf__kernels(enum rf_simd level);

extern const struct rf_kernels rf__kernels_scalar;
extern const struct rf_kernels rf__kernels_sse2;
extern const struct rf_kernels rf__kernels_avx2;

/* Blank splitting from a block mask onwards, shared by the vector tails. */
size_t rf__split_blank_tail(const char *p, size_t n, uint32_t base, size_t nf, size_t want,
			    struct rf_field *out, uint64_t prev_blank, int open);

/* The scalar search from a given start, shared by the vector tails. */
const char *rf__find_literal_scalar(const char *p, size_t n, const struct rf_needle *nd);

#endif
