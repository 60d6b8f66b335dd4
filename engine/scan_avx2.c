/* SPDX-License-Identifier: MIT */
/* scan_avx2.c - the structural scan's block classification, 32 bytes at a
 * time, and the prefix XOR as a carry-less multiply (see scan.h). */
#include "config.h"
#include <immintrin.h>
#include <stdint.h>
#include "scan.h"

#define SCAN_TARGET __attribute__((target("avx2,pclmul,bmi")))

struct scan_masks;
SCAN_TARGET static inline void scan_classify(const char *p, struct scan_masks *m);

/* x times all ones, carry-less: bit i is the XOR of bits 0..i */
SCAN_TARGET static inline uint64_t scan_prefix_xor(uint64_t x)
{
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)x), _mm_set1_epi8(-1), 0));
}
SCAN_TARGET static inline void scan_eq2(const char *p, char a, char b, uint64_t *ma, uint64_t *mb);
#include "scan_impl.h"

SCAN_TARGET static inline void scan_eq2(const char *p, char a, char b, uint64_t *ma, uint64_t *mb)
{
	const __m256i va = _mm256_set1_epi8(a), vb = _mm256_set1_epi8(b);
	__m256i v0 = _mm256_loadu_si256((const __m256i *)p), v1 = _mm256_loadu_si256((const __m256i *)(p + 32));
	*ma = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, va)) |
	      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, va)) << 32;
	*mb = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, vb)) |
	      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, vb)) << 32;
}

SCAN_TARGET static inline void scan_classify(const char *p, struct scan_masks *m)
{
	const __m256i quote = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\'), brace = _mm256_set1_epi8('{'),
		      close = _mm256_set1_epi8('}'), comma = _mm256_set1_epi8(','), colon = _mm256_set1_epi8(':'),
		      b20 = _mm256_set1_epi8(0x20), sp = _mm256_set1_epi8(' '), tab = _mm256_set1_epi8('\t'),
		      cr = _mm256_set1_epi8('\r'), nl = _mm256_set1_epi8('\n'), c1f = _mm256_set1_epi8(0x1f);
	uint64_t q = 0, b = 0, o = 0, w = 0, c = 0;
	for (int i = 0; i < 2; i++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(p + 32 * i));
		__m256i v20 = _mm256_or_si256(v, b20);
		__m256i op = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v20, brace), _mm256_cmpeq_epi8(v20, close)),
					     _mm256_or_si256(_mm256_cmpeq_epi8(v, comma), _mm256_cmpeq_epi8(v, colon)));
		__m256i ws = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, sp), _mm256_cmpeq_epi8(v, tab)),
					     _mm256_or_si256(_mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, nl)));
		__m256i ctl = _mm256_cmpeq_epi8(_mm256_max_epu8(v, c1f), c1f);
		int sh = 32 * i;
		q |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote)) << sh;
		b |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, bs)) << sh;
		o |= (uint64_t)(uint32_t)_mm256_movemask_epi8(op) << sh;
		w |= (uint64_t)(uint32_t)_mm256_movemask_epi8(ws) << sh;
		c |= (uint64_t)(uint32_t)_mm256_movemask_epi8(ctl) << sh;
	}
	*m = (struct scan_masks){ q, b, o, w, c };
}

const struct rf_scanner rf__scanner_avx2 = { RF_SIMD_AVX2, scan_json_index, scan_sep_index };
