/* SPDX-License-Identifier: MIT */
/* simd_avx512.c - 64-byte kernels on AVX-512BW.  Compiled with a target
 * attribute, not a global flag, so the binary still runs on CPUs without
 * AVX-512; rf__kernels() hands this table out only after checking that the
 * CPU has the instructions and the OS saves the zmm and mask state.
 *
 * A compare gives a 64-bit mask register, one bit per byte, so a block needs
 * no movemask.  A partial block at either end of a buffer is read with a
 * masked load: the bytes masked off are never read (they cannot fault even
 * on an unmapped page), so no kernel reads outside its buffer.  A masked load
 * fills the masked-off lanes with zero bytes, so every compare on such a
 * block is masked too: a NUL looked for must not match there.
 *
 * Measured on an AMD EPYC (Zen 5), bench/kernels.sh: see
 * bench/results/kernels-vm.md for where this level wins and where not. */
#include "config.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "simd.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,bmi,bmi2,popcnt")))

/* The mask of the first n bytes of a block, n <= 64. */
AVX512 static inline __mmask64 first_bytes(size_t n)
{
	return (__mmask64)_bzhi_u64(~0ULL, (unsigned)n);
}

AVX512 static size_t avx512_count_byte(const char *p, size_t n, int c)
{
	const __m512i needle = _mm512_set1_epi8((char)c);
	const __m512i one = _mm512_set1_epi8(1);
	size_t count = 0, i = 0;

	/* Byte lanes count the matches (a masked add of one), four blocks a
	 * round; a lane holds at most 255 before it must be folded into 64-bit
	 * sums with sad_epu8, hence the 255-round cap.  This beats a popcount
	 * of each block's mask: the count stays in vector registers, with no
	 * mask-to-general-register move per block. */
	while (n - i >= 256) {
		size_t rounds = (n - i) / 256;
		if (rounds > 255)
			rounds = 255;
		__m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
		for (size_t r = 0; r < rounds; r++, i += 256) {
			const char *q = p + i;
			a0 = _mm512_mask_add_epi8(a0, _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(q), needle), a0, one);
			a1 = _mm512_mask_add_epi8(a1, _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(q + 64), needle), a1, one);
			a2 = _mm512_mask_add_epi8(a2, _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(q + 128), needle), a2, one);
			a3 = _mm512_mask_add_epi8(a3, _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(q + 192), needle), a3, one);
		}
		const __m512i zero = _mm512_setzero_si512();
		__m512i s = _mm512_add_epi64(
			_mm512_add_epi64(_mm512_sad_epu8(a0, zero), _mm512_sad_epu8(a1, zero)),
			_mm512_add_epi64(_mm512_sad_epu8(a2, zero), _mm512_sad_epu8(a3, zero)));
		count += (size_t)_mm512_reduce_add_epi64(s);
	}
	for (; n - i >= 64; i += 64)
		count += (size_t)__builtin_popcountll(
			_cvtmask64_u64(_mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p + i), needle)));
	if (i < n) {
		__mmask64 k = first_bytes(n - i);
		__m512i v = _mm512_maskz_loadu_epi8(k, p + i);
		count += (size_t)__builtin_popcountll(_cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k, v, needle)));
	}
	return count;
}

AVX512 static const char *avx512_find_byte(const char *p, size_t n, int c)
{
	const __m512i needle = _mm512_set1_epi8((char)c);
	__mmask64 k;
	if (n < 64) {
		k = first_bytes(n);
		k = _mm512_mask_cmpeq_epi8_mask(k, _mm512_maskz_loadu_epi8(k, p), needle);
		return _cvtmask64_u64(k) ? p + __builtin_ctzll(_cvtmask64_u64(k)) : NULL;
	}
	/* The first 64 bytes unaligned, as most calls (the end of a line) stop
	 * within a few blocks and a mask computed first would delay the load.
	 * After them, blocks aligned to 64 bytes, so that no load spans two
	 * cache lines (which costs when the data comes from memory); the first
	 * of them overlaps bytes already seen, the last is masked to end at
	 * p + n. */
	k = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p), needle);
	if (!_kortestz_mask64_u8(k, k))
		return p + __builtin_ctzll(_cvtmask64_u64(k));
	const char *q = (const char *)((uintptr_t)(p + 64) & ~(uintptr_t)63), *end = p + n;
	for (; end - q >= 64; q += 64) {
		k = _mm512_cmpeq_epi8_mask(_mm512_load_si512(q), needle);
		if (!_kortestz_mask64_u8(k, k))
			return q + __builtin_ctzll(_cvtmask64_u64(k));
	}
	if (q < end) {
		k = first_bytes((size_t)(end - q));
		k = _mm512_mask_cmpeq_epi8_mask(k, _mm512_maskz_loadu_epi8(k, q), needle);
		if (_cvtmask64_u64(k))
			return q + __builtin_ctzll(_cvtmask64_u64(k));
	}
	return NULL;
}

AVX512 static const char *avx512_find_last_byte(const char *p, size_t n, int c)
{
	const __m512i needle = _mm512_set1_epi8((char)c);
	if (n == 0)
		return NULL;
	/* Aligned blocks, as in find_byte, backwards: the first one (holding
	 * the last byte) masked to end at p + n, the last one to start at p.
	 * Here an unaligned first block measured no faster. */
	const char *q = (const char *)((uintptr_t)(p + n - 1) & ~(uintptr_t)63);
	__mmask64 k = first_bytes((size_t)(p + n - q));
	if (q < p)
		k &= ~0ULL << (p - q);
	uint64_t m = _cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k, _mm512_maskz_loadu_epi8(k, q), needle));
	if (m)
		return q + (63 - __builtin_clzll(m));
	while (q - p >= 64) {
		q -= 64;
		k = _mm512_cmpeq_epi8_mask(_mm512_load_si512(q), needle);
		if (!_kortestz_mask64_u8(k, k))
			return q + (63 - __builtin_clzll(_cvtmask64_u64(k)));
	}
	while (q > p) {
		q -= 64;
		k = q < p ? ~0ULL << (p - q) : ~0ULL;
		m = _cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k, _mm512_maskz_loadu_epi8(k, q), needle));
		if (m)
			return q + (63 - __builtin_clzll(m));
	}
	return NULL;
}

/* The candidates of mask m at q (bit i: a start at q + i) checked in full. */
static inline const char *first_match(const char *q, uint64_t m, const struct rf_needle *nd)
{
	while (m) {
		unsigned bit = (unsigned)__builtin_ctzll(m);
		if (memcmp(q + bit, nd->bytes, nd->len) == 0)
			return q + bit;
		m &= m - 1;
	}
	return NULL;
}

/* The candidates of the first block, from start *at on, that has any: bit j
 * set when start *at + j has the rare byte b1 at i1 and b2 at i2; 0 when no
 * start up to the last one has (*at then holds where the last block began).
 * Apart from the caller, so that the loop holds no call: memcmp would clobber
 * every vector register, and the broadcast bytes would be reloaded from the
 * stack on every block. */
AVX512 __attribute__((noinline)) static uint64_t next_candidates(const char *p, size_t *at, size_t starts,
								   const struct rf_needle *nd)
{
	const __m512i v1 = _mm512_set1_epi8((char)nd->b1);
	const __m512i v2 = _mm512_set1_epi8((char)nd->b2);
	const char *a = p + nd->i1, *b = p + nd->i2;
	size_t i = *at;
	uint64_t m = 0;

	/* A block tests 64 start positions.  Start i reads bytes i + i1 and
	 * i + i2, both before i + len <= n, so a load covering starts
	 * [i, i + 64) stays inside the buffer while i + 64 <= starts. */
	for (; starts - i >= 64; i += 64) {
		__mmask64 k = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(a + i), v1);
		m = _cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k, _mm512_loadu_si512(b + i), v2));
		if (m)
			break;
	}
	if (!m && i < starts) {
		/* the last starts: masked loads, read no further than the last
		 * start's rare bytes */
		__mmask64 live = first_bytes(starts - i);
		__mmask64 k = _mm512_mask_cmpeq_epi8_mask(live, _mm512_maskz_loadu_epi8(live, a + i), v1);
		m = _cvtmask64_u64(_mm512_mask_cmpeq_epi8_mask(k, _mm512_maskz_loadu_epi8(live, b + i), v2));
	}
	*at = i;
	return m;
}

AVX512 static const char *avx512_find_literal(const char *p, size_t n, const struct rf_needle *nd)
{
	size_t len = nd->len;
	if (len == 0)
		return p;
	if (n < len)
		return NULL;
	size_t starts = n - len + 1; /* candidate start positions */
	for (size_t i = 0; i < starts; i += 64) {
		uint64_t m = next_candidates(p, &i, starts, nd);
		const char *r = first_match(p + i, m, nd);
		if (r)
			return r;
	}
	return NULL;
}

/* Bit i set: byte i of v is a space or a tab.  One shuffle does it: the
 * table, indexed by a byte's low nibble, holds ' ' at 0 and '\t' at 9, and
 * elsewhere a value whose low nibble differs from its index (so no byte can
 * equal it); bytes from 0x80 up get zero from the shuffle, which they do
 * not equal either.  One compare instead of two and an or of the masks. */
AVX512 static inline uint64_t blank_mask(__m512i v)
{
	const __m512i table = _mm512_broadcast_i32x4(
		_mm_setr_epi8(' ', 0, 0, 0, 0, 0, 0, 0, 0, '\t', 0, 0, 0, 0, 0, 0));
	return _cvtmask64_u64(_mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(table, v), v));
}

AVX512 static size_t avx512_split_blank(const char *p, size_t n, size_t first, size_t want, struct rf_field *out)
{
	uint64_t prev_blank = 1;
	int open = 0;
	size_t nf = 0;
	for (size_t i = 0; i < n && (nf < want || open); i += 64) {
		/* the last, partial block by a masked load: the bytes past the
		 * record are zeros there, and rf__split_block counts them blank */
		__m512i v = n - i >= 64 ? _mm512_loadu_si512(p + i) : _mm512_maskz_loadu_epi8(first_bytes(n - i), p + i);
		if (rf__split_block(blank_mask(v), (uint32_t)i, n, &prev_blank, &open, &nf, first, want, out))
			break;
	}
	return nf;
}

const struct rf_kernels rf__kernels_avx512 = {
	.level = RF_SIMD_AVX512,
	.count_byte = avx512_count_byte,
	.find_byte = avx512_find_byte,
	.find_last_byte = avx512_find_last_byte,
	.find_literal = avx512_find_literal,
	.split_blank = avx512_split_blank,
};
