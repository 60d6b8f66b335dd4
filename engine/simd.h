/* SPDX-License-Identifier: MIT */
/* simd.h - byte-scanning kernels with one implementation per SIMD level.
 *
 * Each level lives in its own file (simd_scalar.c, simd_sse2.c, simd_avx2.c,
 * simd_avx512.c) behind the same table; rf__kernels() hands out the table for
 * a level that the CPU can run.  Every implementation must give identical results: the
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
 * tab) into field boundaries.  *nf counts the fields started so far, *open
 * says the last of them is still running, *prev_blank whether the byte
 * before the block was blank (1 at a record's start).  Only fields
 * [first, want) are written to out[]; the ones before `first` are counted a
 * block at a time with a popcount, which is what makes asking for $9 cheap.
 * Shared by every level: they differ only in how they build the mask. */
static inline void rf__fields_from_mask(uint64_t m, uint64_t *prev_blank, int *open, uint32_t base,
					size_t *nf, size_t first, size_t want, struct rf_field *out)
{
	uint64_t prevb = (m << 1) | *prev_blank;
	uint64_t starts = ~m & prevb; /* non-blank after blank */
	uint64_t ends = m & ~prevb;   /* blank after non-blank */
	*prev_blank = m >> 63;
	if (*nf < first) {
		size_t k = (size_t)__builtin_popcountll(starts);
		if (*nf + k <= first) {
			/* every field starting here is before `first`: count them */
			*nf += k;
			if (starts && ends)
				*open = (63 - __builtin_clzll(starts)) > (63 - __builtin_clzll(ends));
			else if (starts || ends)
				*open = starts != 0;
			return;
		}
		while (*nf < first) {
			starts &= starts - 1;
			(*nf)++;
		}
		/* the ends before field `first` starts belong to skipped fields */
		ends &= ~((starts & -starts) - 1);
		*open = 0;
	}
	while (*nf < want || *open) {
		if (*open) {
			if (!ends)
				return;
			out[*nf - 1].end = base + (uint32_t)__builtin_ctzll(ends);
			ends &= ends - 1;
			*open = 0;
		} else {
			if (!starts)
				return;
			int bit = __builtin_ctzll(starts);
			out[(*nf)++].start = base + (uint32_t)bit;
			starts &= starts - 1;
			/* ends before this start belong to earlier fields */
			ends &= ~((2ULL << bit) - 1);
			*open = 1;
		}
	}
}

/* One 64-byte block of split_blank at offset base of an n-byte record: the
 * bytes past the record count as blanks.  Returns 1 when the record is done. */
static inline int rf__split_block(uint64_t m, uint32_t base, size_t n, uint64_t *prev_blank, int *open,
				  size_t *nf, size_t first, size_t want, struct rf_field *out)
{
	size_t left = n - base;
	if (left < 64)
		m |= ~0ULL << left;
	rf__fields_from_mask(m, prev_blank, open, base, nf, first, want, out);
	if (left > 64)
		return 0;
	if (*open && *nf > first) /* a field running to the end of the record */
		out[*nf - 1].end = (uint32_t)n;
	*open = 0;
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
	/* fields of p[0..n) separated by runs of spaces and tabs (leading and
	 * trailing ones ignored, as awk does): out[i] for first <= i < want;
	 * returns how many fields there are, counting no further than want */
	size_t (*split_blank)(const char *p, size_t n, size_t first, size_t want, struct rf_field *out);
};

/* The kernels for a level, or NULL when this CPU cannot run it.
 * RF_SIMD_AUTO gives the best level available. */
const struct rf_kernels *rf__kernels(enum rf_simd level);

extern const struct rf_kernels rf__kernels_scalar;
extern const struct rf_kernels rf__kernels_sse2;
extern const struct rf_kernels rf__kernels_avx2;
extern const struct rf_kernels rf__kernels_avx512;

/* Blank splitting from a block mask onwards, shared by the vector tails. */
size_t rf__split_blank_tail(const char *p, size_t n, uint32_t base, size_t nf, size_t first, size_t want,
			    struct rf_field *out, uint64_t prev_blank, int open);

/* The scalar search from a given start, shared by the vector tails. */
const char *rf__find_literal_scalar(const char *p, size_t n, const struct rf_needle *nd);

#endif
