/* simd_select.c - kernel selection: the best level this CPU has, and the
 * names of the levels.  Above the kernels (simd_*.c), which share the
 * helpers of simd.c. */
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

static const char *const simd_names[] = { "auto", "scalar", "sse2", "avx2" };

const char *rf_simd_name(enum rf_simd level)
{
	return (unsigned)level < 4 ? simd_names[level] : "?";
}

int rf_simd_parse(const char *name, enum rf_simd *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, simd_names[i]) == 0) {
			*out = (enum rf_simd)i;
			return 0;
		}
	return -EINVAL;
}
