/* SPDX-License-Identifier: MIT */
/* scan_sse2.c - the structural scan's block classification, 16 bytes at a
 * time (see scan.h). */
#include "config.h"
#include <emmintrin.h>
#include <stdint.h>
#include "scan.h"

#define SCAN_TARGET __attribute__((target("sse2")))

struct scan_masks;
SCAN_TARGET static inline void scan_classify(const char *p, struct scan_masks *m);
#define scan_prefix_xor scan_prefix_xor_shifts
SCAN_TARGET static inline void scan_eq2(const char *p, char a, char b, uint64_t *ma, uint64_t *mb);
#include "scan_impl.h"

SCAN_TARGET static inline void scan_eq2(const char *p, char a, char b, uint64_t *ma, uint64_t *mb)
{
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
	uint64_t x = 0, y = 0;
	for (int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
		x |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, va)) << (16 * i);
		y |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vb)) << (16 * i);
	}
	*ma = x;
	*mb = y;
}

SCAN_TARGET static inline void scan_classify(const char *p, struct scan_masks *m)
{
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), brace = _mm_set1_epi8('{'),
		      close = _mm_set1_epi8('}'), comma = _mm_set1_epi8(','), colon = _mm_set1_epi8(':'),
		      b20 = _mm_set1_epi8(0x20), sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'),
		      cr = _mm_set1_epi8('\r'), nl = _mm_set1_epi8('\n'), c1f = _mm_set1_epi8(0x1f);
	uint64_t q = 0, b = 0, o = 0, w = 0, c = 0;
	for (int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
		/* [ ] become { } with bit 5 set; nothing else does */
		__m128i v20 = _mm_or_si128(v, b20);
		__m128i op = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v20, brace), _mm_cmpeq_epi8(v20, close)),
					  _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, colon)));
		__m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)),
					  _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, nl)));
		__m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f);
		int sh = 16 * i;
		q |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << sh;
		b |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bs)) << sh;
		o |= (uint64_t)(uint16_t)_mm_movemask_epi8(op) << sh;
		w |= (uint64_t)(uint16_t)_mm_movemask_epi8(ws) << sh;
		c |= (uint64_t)(uint16_t)_mm_movemask_epi8(ctl) << sh;
	}
	*m = (struct scan_masks){ q, b, o, w, c };
}

const struct rf_scanner rf__scanner_sse2 = { RF_SIMD_SSE2, scan_json_index, scan_sep_index };
