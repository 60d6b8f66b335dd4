/* SPDX-License-Identifier: MIT */
/* simd_select.c - kernel selection: the best level this CPU has.  Above
 * the kernels (simd_*.c), which share the helpers of simd.c; the names of
 * the levels are in options.c, with the other name tables. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "simd.h"

/* AVX-512 as simd_avx512.c uses it: byte compares into mask registers (BW),
 * with VL for the 256- and 128-bit forms a kernel may want, and BMI2 for its
 * tail masks.  libgcc sets the avx512 bits only when XGETBV says the OS saves
 * the mask and zmm registers on a context switch (XCR0 bits 5-7, checked in
 * its cpuinfo since before gcc 12), so the CPU's word alone is not enough and
 * this is. */
static int have_avx512(void)
{
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("bmi2");
}

const struct rf_kernels *rf__kernels(enum rf_simd level)
{
	if (level == RF_SIMD_AUTO)
		level = rf_simd_best();
	switch (level) {
	case RF_SIMD_AVX512:
		return have_avx512() ? &rf__kernels_avx512 : NULL;
	case RF_SIMD_AVX2:
		return __builtin_cpu_supports("avx2") ? &rf__kernels_avx2 : NULL;
	case RF_SIMD_SSE2:
		return __builtin_cpu_supports("sse2") ? &rf__kernels_sse2 : NULL;
	case RF_SIMD_SCALAR:
		return &rf__kernels_scalar;
	default:
		return NULL;
	}
}

enum rf_simd rf_simd_best(void)
{
	__builtin_cpu_init();
	if (have_avx512())
		return RF_SIMD_AVX512;
	if (__builtin_cpu_supports("avx2"))
		return RF_SIMD_AVX2;
	if (__builtin_cpu_supports("sse2"))
		return RF_SIMD_SSE2;
	return RF_SIMD_SCALAR;
}
