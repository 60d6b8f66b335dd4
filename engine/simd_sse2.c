/* SPDX-License-Identifier: MIT */
/* simd_sse2.c - 16-byte kernels, the baseline of every x86-64 CPU. */
#include "config.h"
#include <emmintrin.h>
#include <stdint.h>
#include <string.h>
#include "simd.h"

#define SSE2 __attribute__((target("sse2")))

SSE2 static size_t sse2_count_byte(const char *p, size_t n, int c)
{
	const __m128i needle = _mm_set1_epi8((char)c);
	size_t count = 0, i = 0;

	/* Byte lanes count matches (cmpeq gives -1, subtracted); fold them into
	 * 64-bit sums before any lane can pass 255. */
	while (n - i >= 64) {
		size_t rounds = (n - i) / 64;
		if (rounds > 255)
			rounds = 255;
		__m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
		for (size_t r = 0; r < rounds; r++, i += 64) {
			const __m128i *v = (const __m128i *)(p + i);
			a0 = _mm_sub_epi8(a0, _mm_cmpeq_epi8(_mm_loadu_si128(v + 0), needle));
			a1 = _mm_sub_epi8(a1, _mm_cmpeq_epi8(_mm_loadu_si128(v + 1), needle));
			a2 = _mm_sub_epi8(a2, _mm_cmpeq_epi8(_mm_loadu_si128(v + 2), needle));
			a3 = _mm_sub_epi8(a3, _mm_cmpeq_epi8(_mm_loadu_si128(v + 3), needle));
		}
		const __m128i zero = _mm_setzero_si128();
		__m128i s = _mm_add_epi64(_mm_add_epi64(_mm_sad_epu8(a0, zero), _mm_sad_epu8(a1, zero)),
					  _mm_add_epi64(_mm_sad_epu8(a2, zero), _mm_sad_epu8(a3, zero)));
		count += (size_t)_mm_cvtsi128_si64(s) +
			 (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s));
	}
	for (; n - i >= 16; i += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), needle));
		while (m) {
			count++;
			m &= m - 1;
		}
	}
	for (; i < n; i++)
		count += (unsigned char)p[i] == (unsigned char)c;
	return count;
}

SSE2 static const char *sse2_find_byte(const char *p, size_t n, int c)
{
	const __m128i needle = _mm_set1_epi8((char)c);
	size_t i = 0;
	for (; n - i >= 16; i += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), needle));
		if (m)
			return p + i + __builtin_ctz(m);
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] == (unsigned char)c)
			return p + i;
	return NULL;
}

SSE2 static const char *sse2_find_last_byte(const char *p, size_t n, int c)
{
	const __m128i needle = _mm_set1_epi8((char)c);
	while (n >= 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + n - 16)), needle));
		if (m)
			return p + n - 16 + (31 - __builtin_clz(m));
		n -= 16;
	}
	while (n--)
		if ((unsigned char)p[n] == (unsigned char)c)
			return p + n;
	return NULL;
}

SSE2 static const char *sse2_find_literal(const char *p, size_t n, const struct rf_needle *nd)
{
	size_t len = nd->len;
	if (len == 0)
		return p;
	if (n < len)
		return NULL;
	const __m128i v1 = _mm_set1_epi8((char)nd->b1);
	const __m128i v2 = _mm_set1_epi8((char)nd->b2);
	size_t starts = n - len + 1, i = 0;
	for (; starts - i >= 16; i += 16) {
		__m128i h1 = _mm_loadu_si128((const __m128i *)(p + i + nd->i1));
		__m128i h2 = _mm_loadu_si128((const __m128i *)(p + i + nd->i2));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_and_si128(_mm_cmpeq_epi8(h1, v1), _mm_cmpeq_epi8(h2, v2)));
		while (m) {
			unsigned bit = (unsigned)__builtin_ctz(m);
			if (memcmp(p + i + bit, nd->bytes, len) == 0)
				return p + i + bit;
			m &= m - 1;
		}
	}
	return rf__find_literal_scalar(p + i, n - i, nd);
}

SSE2 static uint64_t sse2_blank16(const char *p)
{
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	__m128i v = _mm_loadu_si128((const __m128i *)p);
	return (uint16_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)));
}

SSE2 static size_t sse2_split_blank(const char *p, size_t n, size_t first, size_t want, struct rf_field *out)
{
	uint64_t prev_blank = 1;
	int open = 0;
	size_t nf = 0, i = 0;
	for (; i < n && (nf < want || open); i += 64) {
		/* as in the AVX2 version: a partial block is loaded whole when it
		 * stays inside the page */
		size_t left = n - i;
		if (left < 64 && ((uintptr_t)(p + i) & 4095) > 4096 - 64)
			break;
		uint64_t m = sse2_blank16(p + i) | sse2_blank16(p + i + 16) << 16 |
			     sse2_blank16(p + i + 32) << 32 | sse2_blank16(p + i + 48) << 48;
		if (rf__split_block(m, (uint32_t)i, n, &prev_blank, &open, &nf, first, want, out))
			return nf;
	}
	if ((nf >= want && !open) || i >= n)
		return nf;
	return rf__split_blank_tail(p + i, n - i, (uint32_t)i, nf, first, want, out, prev_blank, open);
}

const struct rf_kernels rf__kernels_sse2 = {
	.level = RF_SIMD_SSE2,
	.count_byte = sse2_count_byte,
	.find_byte = sse2_find_byte,
	.find_last_byte = sse2_find_last_byte,
	.find_literal = sse2_find_literal,
	.split_blank = sse2_split_blank,
};
