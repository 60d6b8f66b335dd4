/* SPDX-License-Identifier: MIT */
/* hll.h - HyperLogLog distinct counts (approx_distinct). */
#ifndef RF_HLL_H
#define RF_HLL_H

#include <stddef.h>
#include <stdint.h>

/* Precision 14: 16384 one-byte registers, 16 KiB, a standard error of
 * about 0.8%. */
#define RF_HLL_P 14
#define RF_HLL_M (1u << RF_HLL_P)
/* Up to this many distinct hashes a sketch keeps them all (sparse, and
 * exact); one more and it turns into registers (dense). */
#define RF_HLL_SPARSE_MAX 1024u

/* Whether a sketch is sparse or dense depends only on the set of hashes
 * added (its size), and the registers are a function of that set too:
 * a merged sketch is the sketch of the union, whatever the order. */
struct rf_hll {
	uint32_t n, cap;   /* sparse: distinct hashes held, table size (power of 2) */
	uint64_t *set;     /* sparse: open addressing, 0 marks a free slot */
	uint8_t *reg;      /* dense: RF_HLL_M registers; NULL while sparse */
};

void rf__hll_init(struct rf_hll *h);
void rf__hll_free(struct rf_hll *h);
/* A value's 64-bit hash (the same on every machine). */
uint64_t rf__hll_hash(const void *p, size_t n);
int rf__hll_add(struct rf_hll *h, uint64_t hash);
/* Fold src into dst. */
int rf__hll_merge(struct rf_hll *dst, const struct rf_hll *src);
/* The estimate: exact while sparse. */
uint64_t rf__hll_estimate(const struct rf_hll *h);
size_t rf__hll_bytes(const struct rf_hll *h);
/* Registers as given (for decoding): -EINVAL for a value out of range. */
int rf__hll_set_dense(struct rf_hll *h, const uint8_t *reg);

#endif
