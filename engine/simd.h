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

struct rf_kernels {
	enum rf_simd level;
	/* number of bytes equal to c in p[0..n) */
	size_t (*count_byte)(const char *p, size_t n, int c);
	/* first / last byte equal to c, or NULL */
	const char *(*find_byte)(const char *p, size_t n, int c);
	const char *(*find_last_byte)(const char *p, size_t n, int c);
	/* first occurrence of the needle, or NULL; len 0 matches at p */
	const char *(*find_literal)(const char *p, size_t n, const struct rf_needle *nd);
};

/* The kernels for a level, or NULL when this CPU cannot run it.
 * RF_SIMD_AUTO gives the best level available. */
const struct rf_kernels *rf__kernels(enum rf_simd level);

extern const struct rf_kernels rf__kernels_scalar;
extern const struct rf_kernels rf__kernels_sse2;
extern const struct rf_kernels rf__kernels_avx2;

/* The scalar search from a given start, shared by the vector tails. */
const char *rf__find_literal_scalar(const char *p, size_t n, const struct rf_needle *nd);

#endif
