/* SPDX-License-Identifier: MIT */
/* scan_scalar.c - the structural scan's block classification a byte at a
 * time (the level every CPU runs, and the model the others are held to),
 * and the choice of a scanner for a kernel level. */
#include "config.h"
#include <stdint.h>
#include "scan.h"

#define SCAN_TARGET

/* bit 0 quote, 1 backslash, 2 structural, 3 blank, 4 control byte */
static const uint8_t byte_class[256] = {
	['"'] = 1, ['\\'] = 2, ['{'] = 4, ['}'] = 4, ['['] = 4, [']'] = 4, [':'] = 4, [','] = 4,
	[' '] = 8, ['\t'] = 8 | 16, ['\r'] = 8 | 16, ['\n'] = 8 | 16,
	[0] = 16, [1] = 16, [2] = 16, [3] = 16, [4] = 16, [5] = 16, [6] = 16, [7] = 16, [8] = 16,
	[11] = 16, [12] = 16, [14] = 16, [15] = 16, [16] = 16, [17] = 16, [18] = 16, [19] = 16,
	[20] = 16, [21] = 16, [22] = 16, [23] = 16, [24] = 16, [25] = 16, [26] = 16, [27] = 16,
	[28] = 16, [29] = 16, [30] = 16, [31] = 16,
};

struct scan_masks;
static inline void scan_classify(const char *p, struct scan_masks *m);
#define scan_prefix_xor scan_prefix_xor_shifts
static inline void scan_eq2(const char *p, char a, char b, uint64_t *ma, uint64_t *mb);
#include "scan_impl.h"

static inline void scan_eq2(const char *p, char a, char b, uint64_t *ma, uint64_t *mb)
{
	uint64_t x = 0, y = 0;
	for (int i = 0; i < 64; i++) {
		x |= (uint64_t)(p[i] == a) << i;
		y |= (uint64_t)(p[i] == b) << i;
	}
	*ma = x;
	*mb = y;
}

static inline void scan_classify(const char *p, struct scan_masks *m)
{
	uint64_t q = 0, b = 0, o = 0, w = 0, c = 0;
	for (int i = 0; i < 64; i++) {
		unsigned k = byte_class[(unsigned char)p[i]];
		q |= (uint64_t)(k & 1) << i;
		b |= (uint64_t)(k >> 1 & 1) << i;
		o |= (uint64_t)(k >> 2 & 1) << i;
		w |= (uint64_t)(k >> 3 & 1) << i;
		c |= (uint64_t)(k >> 4 & 1) << i;
	}
	*m = (struct scan_masks){ q, b, o, w, c };
}

const struct rf_scanner rf__scanner_scalar = { RF_SIMD_SCALAR, scan_json_index, scan_sep_index };

const struct rf_scanner *rf__scanner(enum rf_simd level)
{
	/* the kernel level was checked against the CPU already; the scan's
	 * own extra needs (a carry-less multiply) are checked here */
	switch (level) {
	case RF_SIMD_SCALAR:
		return &rf__scanner_scalar;
	case RF_SIMD_SSE2:
		return &rf__scanner_sse2;
	case RF_SIMD_AVX2:
		return __builtin_cpu_supports("pclmul") ? &rf__scanner_avx2 : &rf__scanner_sse2;
	case RF_SIMD_AVX512:
	default:
		if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("pclmul") &&
		    __builtin_cpu_supports("bmi2"))
			return &rf__scanner_avx512;
		return __builtin_cpu_supports("pclmul") ? &rf__scanner_avx2 : &rf__scanner_sse2;
	}
}
