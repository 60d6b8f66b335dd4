/* SPDX-License-Identifier: MIT */
/* scan_avx512.c - the structural scan's block classification, a whole
 * 64-byte block in one register, compares straight into mask registers
 * (AVX-512BW), and the prefix XOR as a carry-less multiply (see scan.h). */
#include "config.h"
#include <immintrin.h>
#include <stdint.h>
#include "scan.h"

#define SCAN_TARGET __attribute__((target("avx512f,avx512bw,pclmul,bmi,bmi2")))

struct scan_masks;
SCAN_TARGET static inline void scan_classify(const char *p, struct scan_masks *m);
SCAN_TARGET static inline void scan_classify_tail(const char *p, size_t left, struct scan_masks *m);
#define SCAN_HAVE_TAIL 1
SCAN_TARGET static inline void scan_eq2(const char *p, char a, char b, uint64_t *ma, uint64_t *mb);

SCAN_TARGET static inline uint64_t scan_prefix_xor(uint64_t x)
{
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)x), _mm_set1_epi8(-1), 0));
}
#include "scan_impl.h"

SCAN_TARGET static inline void classify(__m512i v, struct scan_masks *m)
{
	__m512i v20 = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
	m->quote = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
	m->bs = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
	m->op = _mm512_cmpeq_epi8_mask(v20, _mm512_set1_epi8('{')) | _mm512_cmpeq_epi8_mask(v20, _mm512_set1_epi8('}')) |
		_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(',')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':'));
	m->ctrl = _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20));
	m->ws = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' ')) |
		(m->ctrl & (_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t')) |
			    _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\r')) |
			    _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'))));
}

SCAN_TARGET static inline void scan_classify(const char *p, struct scan_masks *m)
{
	classify(_mm512_loadu_si512((const void *)p), m);
}

SCAN_TARGET static inline void scan_eq2(const char *p, char a, char b, uint64_t *ma, uint64_t *mb)
{
	__m512i v = _mm512_loadu_si512((const void *)p);
	*ma = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(a));
	*mb = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b));
}

/* a masked load reads only the bytes asked for (the rest are zero and
 * fault nothing, even past the end of a mapping); they are then blanks */
SCAN_TARGET static inline void scan_classify_tail(const char *p, size_t left, struct scan_masks *m)
{
	__mmask64 valid = _bzhi_u64(~0ULL, (unsigned)left);
	classify(_mm512_maskz_loadu_epi8(valid, p), m);
	m->quote &= valid;
	m->bs &= valid;
	m->op &= valid;
	m->ctrl &= valid;
	m->ws |= ~valid;
}

const struct rf_scanner rf__scanner_avx512 = { RF_SIMD_AVX512, scan_json_index, scan_sep_index };
