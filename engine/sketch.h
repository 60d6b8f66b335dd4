/* SPDX-License-Identifier: MIT */
/* sketch.h - a mergeable quantile sketch with bounded relative error.
 *
 * Values fall into logarithmic buckets: bucket i holds (g^(i-1), g^i] with
 * g = (1+a)/(1-a), and a bucket is reported as 2g^i/(g+1), which is within
 * a relative error a of every value in it (the DDSketch construction).
 * With a = 0.005 the error bound is 0.5%, half the 1% the language
 * promises.
 *
 * Every finite non-zero magnitude has a bucket of its own (indexes
 * RF_SKETCH_MIN_INDEX..RF_SKETCH_MAX_INDEX, about 145,000 a sign), and no
 * bucket is ever merged into another: the bound holds for every quantile,
 * whatever else the data holds (1e25 among thousands, -1e300 among small
 * values).  Memory stays small because the buckets are kept in pages of
 * RF_SKETCH_PAGE, allocated only where values fall: a sketch holds at most
 * as many pages as it has values (a one-value sketch takes about 300
 * bytes), and never more than the 2 x 9,096 pages (2.6 MB) of the whole
 * double range.  Two sketches merge by adding bucket
 * counts, so a merged sketch is the sketch of all the values.
 *
 * Numbers past the double range (+-inf after parsing) are ranked too, below
 * or above everything else; a quantile that lands on one is +-inf, which
 * the run's notes point out.
 */
#ifndef RF_SKETCH_H
#define RF_SKETCH_H

#include <stdint.h>

#define RF_SKETCH_ALPHA 0.005
#define RF_SKETCH_PAGE 16            /* buckets; the partial format's u16 mask */
/* The bucket of the smallest subnormal is about -74,443, that of DBL_MAX
 * about 70,978: the index range, in whole pages, with a margin. */
#define RF_SKETCH_MIN_INDEX (-4656 * RF_SKETCH_PAGE)
#define RF_SKETCH_MAX_INDEX (4440 * RF_SKETCH_PAGE - 1)
#define RF_SKETCH_PAGES ((RF_SKETCH_MAX_INDEX - RF_SKETCH_MIN_INDEX + 1) / RF_SKETCH_PAGE)

struct rf_sketch_page {
	uint32_t no;                     /* (first index - MIN_INDEX) / PAGE */
	uint64_t *counts;                /* RF_SKETCH_PAGE counts */
};

/* The buckets of one sign: pages sorted by number.  Once a store has 16
 * pages, an index after its `cap` pages (built lazily, at most 18 KB, and
 * only while it takes about as much memory as the pages or less) finds a
 * page without a search: ispan u16 slots after a u16 base, slot k being 1 + the
 * place of page base + k, or 0 if there is none. */
struct rf_sketch_store {
	struct rf_sketch_page *pages;
	uint16_t npages, cap;            /* at most RF_SKETCH_PAGES */
	uint16_t last;                   /* the page the last value went to */
	uint16_t ispan;                  /* page numbers indexed; 0: no index */
	uint64_t total;                  /* values in all buckets */
};

struct rf_sketch {
	struct rf_sketch_store pos, neg; /* neg holds -v for v < 0 */
	uint64_t zero;                   /* values that were 0 (or -0) */
	uint64_t ninf, pinf;             /* values that were -inf, +inf */
	uint64_t count;
	double min, max;
	int all_int;                     /* every value added was an integer */
	/* the page of pos the last positive value went to, and its number:
	 * a group's values tend to fall on one page, and this finds it
	 * without loading the page list (counts never move once allocated;
	 * here and not in the store, which stays 24 bytes) */
	uint32_t hot_no;
	uint64_t *hot;
};

/* Ask for the sketch's own bytes ahead of an rf__sketch_add. */
static inline void rf__sketch_prefetch(const struct rf_sketch *s)
{
	__builtin_prefetch(s);
	__builtin_prefetch((const char *)s + sizeof *s - 1);
}

/* Then, once those are at hand, its last page and its page list. */
static inline void rf__sketch_prefetch_pages(const struct rf_sketch *s)
{
	if (s->hot)
		__builtin_prefetch(s->hot);
	if (s->pos.pages)
		__builtin_prefetch(s->pos.pages + (s->pos.ispan ? s->pos.cap : s->pos.last));
}

/* And last, the bucket v will go to, if its page is there already. */
void rf__sketch_prefetch_value(const struct rf_sketch *s, double v);

void rf__sketch_init(struct rf_sketch *s);
double rf__sketch_gamma(void);
void rf__sketch_free(struct rf_sketch *s);
int rf__sketch_add(struct rf_sketch *s, double v);
int rf__sketch_merge(struct rf_sketch *dst, const struct rf_sketch *src);
/* The RF_SKETCH_PAGE counts of page `no` of a store, created (zeroed) if
 * it has none yet, for a decoder that adds a partial's counts straight in
 * (and then the store's total); NULL without memory or past the range. */
uint64_t *rf__sketch_store_page(struct rf_sketch_store *st, uint32_t no);
/* The same, inline where the store's index has the page already (the
 * common case of a merge into a grown sketch). */
static inline uint64_t *rf__sketch_store_page_fast(struct rf_sketch_store *st, uint32_t no)
{
	if (st->ispan) {
		const uint16_t *ix = (const uint16_t *)(const void *)(st->pages + st->cap);
		uint32_t k = no - ix[0];
		if (k < st->ispan && ix[1 + k])
			return st->pages[ix[1 + k] - 1].counts;
	}
	return rf__sketch_store_page(st, no);
}
/* The bucket of a positive magnitude. */
int32_t rf__sketch_bucket(double mag);
/* The value at rank floor(q * (count - 1)) in sorted order, within the
 * relative error bound; NaN for an empty sketch.  When every value was an
 * integer the estimate is rounded to one: below 100 that gives the exact
 * value back, above it the rounding adds at most 0.5%. */
double rf__sketch_quantile(const struct rf_sketch *s, double q);

#endif
