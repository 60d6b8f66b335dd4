/* SPDX-License-Identifier: MIT */
/* hll.c - HyperLogLog with an exact sparse start.
 *
 * A small group keeps its values' hashes in a little hash set (a million
 * groups of a few values each do not take 16 KiB each); past
 * RF_HLL_SPARSE_MAX hashes the set turns into 16384 registers.  The
 * estimate of the registers is Ertl's improved raw estimator ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017),
 * which needs no bias tables and holds its error over the whole range,
 * small counts included.
 */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hll.h"

#define Q (64 - RF_HLL_P) /* hash bits left after the register index */

void rf__hll_init(struct rf_hll *h)
{
	memset(h, 0, sizeof *h);
}

void rf__hll_free(struct rf_hll *h)
{
	free(h->set);
	free(h->reg);
	memset(h, 0, sizeof *h);
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Every input byte goes through a multiply and the 64-bit finalizer of
 * splitmix64: values that differ in one byte get unrelated hashes. */
uint64_t rf__hll_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x243f6a8885a308d3ULL ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
	while (n >= 8) {
		h = mix64(h ^ rd64(s));
		s += 8;
		n -= 8;
	}
	uint64_t w = 0;
	if (n)
		memcpy(&w, s, n);
	return mix64(h ^ w ^ ((uint64_t)n << 59));
}

static void reg_add(uint8_t *reg, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> Q);
	uint64_t rest = hash << RF_HLL_P; /* the low Q bits, on top */
	uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : Q + 1;
	if (rank > Q + 1)
		rank = Q + 1;
	if (reg[idx] < rank)
		reg[idx] = rank;
}

static int set_put(struct rf_hll *h, uint64_t hash);

static int to_dense(struct rf_hll *h)
{
	uint8_t *reg = calloc(RF_HLL_M, 1);
	if (!reg)
		return -ENOMEM;
	for (uint32_t i = 0; i < h->cap; i++)
		if (h->set[i])
			reg_add(reg, h->set[i]);
	free(h->set);
	h->set = NULL;
	h->n = h->cap = 0;
	h->reg = reg;
	return 0;
}

static int set_grow(struct rf_hll *h)
{
	uint32_t cap = h->cap ? h->cap * 2 : 8;
	uint64_t *ns = calloc(cap, sizeof *ns), *old = h->set;
	if (!ns)
		return -ENOMEM;
	uint32_t ocap = h->cap;
	h->set = ns;
	h->cap = cap;
	h->n = 0;
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i])
			set_put(h, old[i]);
	free(old);
	return 0;
}

/* 1: added, 0: there already. */
static int set_put(struct rf_hll *h, uint64_t hash)
{
	uint32_t mask = h->cap - 1, i = (uint32_t)mix64(hash) & mask;
	while (h->set[i]) {
		if (h->set[i] == hash)
			return 0;
		i = (i + 1) & mask;
	}
	h->set[i] = hash;
	h->n++;
	return 1;
}

int rf__hll_add(struct rf_hll *h, uint64_t hash)
{
	if (!hash)
		hash = 1; /* 0 marks a free slot; one hash in 2^64 shares 1's */
	if (h->reg) {
		reg_add(h->reg, hash);
		return 0;
	}
	if ((h->n + 1) * 2 > h->cap) {
		int r = set_grow(h);
		if (r < 0)
			return r;
	}
	if (set_put(h, hash) && h->n > RF_HLL_SPARSE_MAX)
		return to_dense(h);
	return 0;
}

int rf__hll_merge(struct rf_hll *dst, const struct rf_hll *src)
{
	if (src->reg) {
		if (!dst->reg) {
			uint8_t *reg = malloc(RF_HLL_M);
			if (!reg)
				return -ENOMEM;
			memcpy(reg, src->reg, RF_HLL_M);
			for (uint32_t i = 0; i < dst->cap; i++)
				if (dst->set[i])
					reg_add(reg, dst->set[i]);
			free(dst->set);
			dst->set = NULL;
			dst->n = dst->cap = 0;
			dst->reg = reg;
			return 0;
		}
		for (uint32_t i = 0; i < RF_HLL_M; i++)
			if (dst->reg[i] < src->reg[i])
				dst->reg[i] = src->reg[i];
		return 0;
	}
	for (uint32_t i = 0; i < src->cap; i++)
		if (src->set[i]) {
			int r = rf__hll_add(dst, src->set[i]);
			if (r < 0)
				return r;
		}
	return 0;
}

int rf__hll_set_dense(struct rf_hll *h, const uint8_t *reg)
{
	for (uint32_t i = 0; i < RF_HLL_M; i++)
		if (reg[i] > Q + 1)
			return -EINVAL;
	rf__hll_free(h);
	if (!(h->reg = malloc(RF_HLL_M)))
		return -ENOMEM;
	memcpy(h->reg, reg, RF_HLL_M);
	return 0;
}

/* Ertl's sigma and tau (section 4 of the paper). */
static double sigma(double x)
{
	if (x == 1)
		return INFINITY;
	double y = 1, z = x, zp;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (zp != z);
	return z;
}

static double tau(double x)
{
	if (x == 0 || x == 1)
		return 0;
	double y = 1, z = 1 - x, zp;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (zp != z);
	return z / 3;
}

uint64_t rf__hll_estimate(const struct rf_hll *h)
{
	if (!h->reg)
		return h->n;
	uint32_t c[Q + 2] = { 0 };
	for (uint32_t i = 0; i < RF_HLL_M; i++)
		c[h->reg[i]]++;
	double m = RF_HLL_M;
	double z = m * tau(1 - c[Q + 1] / m);
	for (int k = Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * sigma(c[0] / m);
	double alpha = 0.5 / log(2);
	return (uint64_t)llround(alpha * m * m / z);
}

size_t rf__hll_bytes(const struct rf_hll *h)
{
	return sizeof *h + (h->reg ? RF_HLL_M : (size_t)h->cap * 8);
}
