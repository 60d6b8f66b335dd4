/* simd_select.c - kernel selection: the best level this CPU has.  Above
 * the kernels (simd_*.c), which share the helpers of simd.c; the names of
 * the levels are in options.c, with the other name tables. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "simd.h"

const struct rf_kernels *rf__kernels(enum rf_simd level)
{
	if (level == RF_SIMD_AUTO)
		level = rf_simd_best();
	switch (level) {
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
	if (__builtin_cpu_supports("avx2"))
		return RF_SIMD_AVX2;
	if (__builtin_cpu_supports("sse2"))
		return RF_SIMD_SSE2;
	return RF_SIMD_SCALAR;
}
