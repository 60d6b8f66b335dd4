/* SPDX-License-Identifier: MIT */
/* simd_avx2.c - 32-byte kernels.  Compiled with a target attribute, not a
 * global -mavx2, so the binary still runs on CPUs without AVX2; rf__kernels()
 * only hands this table out after checking the CPU. */
#include "config.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "simd.h"

#define AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))

AVX2 static size_t avx2_count_byte(const char *p, size_t n, int c)
{
	const __m256i needle = _mm256_set1_epi8((char)c);
	size_t count = 0, i = 0;

	/* Four byte-wide accumulators, each lane counting down by one per match
	 * (cmpeq gives -1).  A lane holds at most 255 before it must be folded
	 * into 64-bit sums with sad_epu8, hence the 255-iteration cap. */
	while (n - i >= 128) {
		size_t rounds = (n - i) / 128;
		if (rounds > 255)
			rounds = 255;
		__m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
		for (size_t r = 0; r < rounds; r++, i += 128) {
			const __m256i *v = (const __m256i *)(p + i);
			a0 = _mm256_sub_epi8(a0, _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 0), needle));
			a1 = _mm256_sub_epi8(a1, _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 1), needle));
			a2 = _mm256_sub_epi8(a2, _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 2), needle));
			a3 = _mm256_sub_epi8(a3, _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 3), needle));
		}
		const __m256i zero = _mm256_setzero_si256();
		__m256i s = _mm256_add_epi64(
			_mm256_add_epi64(_mm256_sad_epu8(a0, zero), _mm256_sad_epu8(a1, zero)),
			_mm256_add_epi64(_mm256_sad_epu8(a2, zero), _mm256_sad_epu8(a3, zero)));
		count += (size_t)_mm256_extract_epi64(s, 0) + (size_t)_mm256_extract_epi64(s, 1) +
			 (size_t)_mm256_extract_epi64(s, 2) + (size_t)_mm256_extract_epi64(s, 3);
	}
	for (; n - i >= 32; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(p + i));
		count += (size_t)__builtin_popcount(
			(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, needle)));
	}
	for (; i < n; i++)
		count += (unsigned char)p[i] == (unsigned char)c;
	return count;
}

AVX2 static const char *avx2_find_byte(const char *p, size_t n, int c)
{
	const __m256i needle = _mm256_set1_epi8((char)c);
	size_t i = 0;
	for (; n - i >= 64; i += 64) {
		__m256i e0 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), needle);
		__m256i e1 = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 32)), needle);
		if (_mm256_testz_si256(_mm256_or_si256(e0, e1), _mm256_or_si256(e0, e1)))
			continue;
		unsigned m0 = (unsigned)_mm256_movemask_epi8(e0);
		if (m0)
			return p + i + __builtin_ctz(m0);
		return p + i + 32 + __builtin_ctz((unsigned)_mm256_movemask_epi8(e1));
	}
	for (; n - i >= 32; i += 32) {
		unsigned m = (unsigned)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), needle));
		if (m)
			return p + i + __builtin_ctz(m);
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] == (unsigned char)c)
			return p + i;
	return NULL;
}

AVX2 static const char *avx2_find_last_byte(const char *p, size_t n, int c)
{
	const __m256i needle = _mm256_set1_epi8((char)c);
	while (n >= 32) {
		unsigned m = (unsigned)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + n - 32)), needle));
		if (m)
			return p + n - 32 + (31 - __builtin_clz(m));
		n -= 32;
	}
	while (n--)
		if ((unsigned char)p[n] == (unsigned char)c)
			return p + n;
	return NULL;
}

AVX2 static const char *avx2_find_literal(const char *p, size_t n, const struct rf_needle *nd)
{
	size_t len = nd->len;
	if (len == 0)
		return p;
	if (n < len)
		return NULL;
	const __m256i v1 = _mm256_set1_epi8((char)nd->b1);
	const __m256i v2 = _mm256_set1_epi8((char)nd->b2);
	size_t starts = n - len + 1; /* candidate start positions */
	size_t i = 0;

	/* A block tests 32 start positions; every load and every candidate's
	 * bytes stay inside p[0..n) because i + 31 < starts.  Two blocks per
	 * round with one branch: hits are rare, the loop is what costs. */
	for (; starts - i >= 64; i += 64) {
		const char *q = p + i;
		__m256i e0 = _mm256_and_si256(
			_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(q + nd->i1)), v1),
			_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(q + nd->i2)), v2));
		__m256i e1 = _mm256_and_si256(
			_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(q + 32 + nd->i1)), v1),
			_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(q + 32 + nd->i2)), v2));
		__m256i any = _mm256_or_si256(e0, e1);
		if (_mm256_testz_si256(any, any))
			continue;
		uint64_t m = (uint64_t)(uint32_t)_mm256_movemask_epi8(e0) |
			     ((uint64_t)(uint32_t)_mm256_movemask_epi8(e1) << 32);
		while (m) {
			unsigned bit = (unsigned)__builtin_ctzll(m);
			if (memcmp(q + bit, nd->bytes, len) == 0)
				return q + bit;
			m &= m - 1;
		}
	}
	for (; starts - i >= 32; i += 32) {
		__m256i h1 = _mm256_loadu_si256((const __m256i *)(p + i + nd->i1));
		__m256i h2 = _mm256_loadu_si256((const __m256i *)(p + i + nd->i2));
		unsigned m = (unsigned)_mm256_movemask_epi8(
			_mm256_and_si256(_mm256_cmpeq_epi8(h1, v1), _mm256_cmpeq_epi8(h2, v2)));
		while (m) {
			unsigned bit = (unsigned)__builtin_ctz(m);
			if (memcmp(p + i + bit, nd->bytes, len) == 0)
				return p + i + bit;
			m &= m - 1;
		}
	}
	const char *r = rf__find_literal_scalar(p + i, n - i, nd);
	return r;
}

AVX2 static size_t avx2_split_blank(const char *p, size_t n, size_t first, size_t want, struct rf_field *out)
{
	const __m256i sp = _mm256_set1_epi8(' '), tab = _mm256_set1_epi8('\t');
	uint64_t prev_blank = 1;
	int open = 0;
	size_t nf = 0, i = 0;
	for (; i < n && (nf < want || open); i += 64) {
		/* The last, partial block is loaded whole when that cannot leave
		 * the page (so cannot fault); the bytes past the record count as
		 * blanks.  Buffers that end inside a page have 64 spare bytes. */
		size_t left = n - i;
		if (left < 64 && ((uintptr_t)(p + i) & 4095) > 4096 - 64)
			break;
		__m256i a = _mm256_loadu_si256((const __m256i *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(p + i + 32));
		uint64_t lo = (uint32_t)_mm256_movemask_epi8(
			_mm256_or_si256(_mm256_cmpeq_epi8(a, sp), _mm256_cmpeq_epi8(a, tab)));
		uint64_t hi = (uint32_t)_mm256_movemask_epi8(
			_mm256_or_si256(_mm256_cmpeq_epi8(b, sp), _mm256_cmpeq_epi8(b, tab)));
		if (rf__split_block(lo | hi << 32, (uint32_t)i, n, &prev_blank, &open, &nf, first, want, out))
			return nf;
	}
	if ((nf >= want && !open) || i >= n)
		return nf;
	return rf__split_blank_tail(p + i, n - i, (uint32_t)i, nf, first, want, out, prev_blank, open);
}

const struct rf_kernels rf__kernels_avx2 = {
	.level = RF_SIMD_AVX2,
	.count_byte = avx2_count_byte,
	.find_byte = avx2_find_byte,
	.find_last_byte = avx2_find_last_byte,
	.find_literal = avx2_find_literal,
	.split_blank = avx2_split_blank,
};
