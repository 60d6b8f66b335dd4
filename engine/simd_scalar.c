/* SPDX-License-Identifier: MIT */
/* simd_scalar.c - portable kernels, the reference for the vector ones. */
#include "config.h"
#include <stdint.h>
#include <string.h>
#include "simd.h"

static size_t scalar_count_byte(const char *p, size_t n, int c)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += (unsigned char)p[i] == (unsigned char)c;
	return count;
}

static const char *scalar_find_byte(const char *p, size_t n, int c)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] == (unsigned char)c)
			return p + i;
	return NULL;
}

static const char *scalar_find_last_byte(const char *p, size_t n, int c)
{
	while (n--)
		if ((unsigned char)p[n] == (unsigned char)c)
			return p + n;
	return NULL;
}

static size_t scalar_split_blank(const char *p, size_t n, size_t first, size_t want, struct rf_field *out)
{
	size_t nf = 0, i = 0;
	(void)first; /* the fields before it are written too: harmless */
	while (nf < want) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			break;
		out[nf].start = (uint32_t)i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		out[nf++].end = (uint32_t)i;
	}
	return nf;
}

const struct rf_kernels rf__kernels_scalar = {
	.level = RF_SIMD_SCALAR,
	.count_byte = scalar_count_byte,
	.find_byte = scalar_find_byte,
	.find_last_byte = scalar_find_last_byte,
	.find_literal = rf__find_literal_scalar,
	.split_blank = scalar_split_blank,
};
