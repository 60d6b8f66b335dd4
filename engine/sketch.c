/* sketch.c - logarithmic-bucket quantile sketch, in sparse pages. */
#include "config.h"
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sketch.h"

/* g = (1 + a) / (1 - a) and ln(g) for a = RF_SKETCH_ALPHA = 0.005, written
 * out so that no thread computes them lazily (a data race under parallel
 * mode); check_agg verifies them against the formula.  LOG_HALF_G1 is
 * ln(2 / (g + 1)), the step from a bucket's upper bound to its value. */
#define GAMMA 1.0100502512562812
#define LOG_GAMMA 0.010000083334583179
#define LOG_HALF_G1 (-0.005012541823544286) /* ln(1 - a) */

double rf__sketch_gamma(void)
{
	return GAMMA;
}

void rf__sketch_init(struct rf_sketch *s)
{
	memset(s, 0, sizeof *s);
	s->min = INFINITY;
	s->max = -INFINITY;
	s->all_int = 1;
}

static void store_free(struct rf_sketch_store *st)
{
	for (uint32_t i = 0; i < st->npages; i++)
		free(st->pages[i].counts);
	free(st->pages);
	free(st->index);
	memset(st, 0, sizeof *st);
}

void rf__sketch_free(struct rf_sketch *s)
{
	store_free(&s->pos);
	store_free(&s->neg);
}

/* A store gets an index of its pages once it holds INDEX_AT of them, if
 * the index spans no more than INDEX_SPAN page numbers for each page held:
 * then it takes at most 2 x 64 bytes a page, against the 144 or more a
 * page's counts take, so a sketch of a few values stays small. */
#define INDEX_AT 4
#define INDEX_SPAN 64

/* After a page was put at place `at`: the index brought up to date, grown,
 * built or given up on.  Without one (or without memory for it) pages are
 * found by a binary search, so this never fails. */
static void index_update(struct rf_sketch_store *st, uint32_t at)
{
	struct rf_sketch_index *ix = st->index;
	uint32_t first = st->pages[0].no, span = st->pages[st->npages - 1].no - first + 1;
	if (st->npages < INDEX_AT || span > (uint32_t)INDEX_SPAN * st->npages) {
		free(ix);
		st->index = NULL;
		return;
	}
	if (!ix || first < ix->base || first + span > (uint32_t)ix->base + ix->span) {
		free(ix);
		st->index = ix = calloc(1, sizeof *ix + span * sizeof *ix->slot);
		if (!ix)
			return;
		ix->base = (uint16_t)first;
		ix->span = (uint16_t)span;
		at = 0;
	}
	for (uint32_t i = at; i < st->npages; i++)
		ix->slot[st->pages[i].no - ix->base] = (uint16_t)(i + 1);
}

/* The counts of page `no`, created (zeroed) if the store has none yet. */
static uint64_t *page_of(struct rf_sketch_store *st, uint32_t no)
{
	const struct rf_sketch_index *ix = st->index;
	if (ix) {
		/* the page is there or new: a new one needs its place */
		if (no - ix->base < ix->span && ix->slot[no - ix->base])
			return st->pages[ix->slot[no - ix->base] - 1].counts;
	} else if (st->last < st->npages && st->pages[st->last].no == no)
		return st->pages[st->last].counts;
	uint32_t lo = 0, hi = st->npages;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (st->pages[mid].no < no)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->npages && st->pages[lo].no == no) {
		st->last = (uint16_t)lo;
		return st->pages[lo].counts;
	}
	if (st->npages == st->cap) {
		uint32_t cap = st->cap ? st->cap * 2 : 1;
		if (cap > RF_SKETCH_PAGES)
			cap = RF_SKETCH_PAGES;
		struct rf_sketch_page *p = realloc(st->pages, cap * sizeof *p);
		if (!p)
			return NULL;
		st->pages = p;
		st->cap = (uint16_t)cap;
	}
	uint64_t *counts = calloc(RF_SKETCH_PAGE, sizeof *counts);
	if (!counts)
		return NULL;
	memmove(&st->pages[lo + 1], &st->pages[lo], (st->npages - lo) * sizeof *st->pages);
	st->pages[lo] = (struct rf_sketch_page){ no, counts };
	st->npages++;
	st->last = (uint16_t)lo;
	index_update(st, lo);
	return counts;
}

int rf__sketch_store_add(struct rf_sketch_store *st, int32_t idx, uint64_t n)
{
	if (idx < RF_SKETCH_MIN_INDEX || idx > RF_SKETCH_MAX_INDEX)
		return -EBADMSG;
	uint32_t key = (uint32_t)(idx - RF_SKETCH_MIN_INDEX);
	uint64_t *c = page_of(st, key / RF_SKETCH_PAGE);
	if (!c)
		return -ENOMEM;
	if (__builtin_add_overflow(st->total, n, &st->total))
		return -EBADMSG;
	c[key % RF_SKETCH_PAGE] += n; /* no more than the total */
	return 0;
}

int32_t rf__sketch_bucket(double mag)
{
	/* clamped to the range (rf__sketch_add counts infinities apart):
	 * converting an infinite index to int32_t is undefined */
	if (!(mag <= DBL_MAX))
		mag = DBL_MAX;
	if (!(mag >= DBL_TRUE_MIN))
		mag = DBL_TRUE_MIN;
	double x = log(mag) / LOG_GAMMA;
	/* ceil(x), |x| < 75,000: truncation rounds a negative x up already */
	int32_t i = (int32_t)x;
	i += i < x;
	if (i < RF_SKETCH_MIN_INDEX)
		return RF_SKETCH_MIN_INDEX;
	if (i > RF_SKETCH_MAX_INDEX)
		return RF_SKETCH_MAX_INDEX;
	return i;
}

/* The value a bucket stands for, 2g^i/(g+1), computed in the log domain
 * so that the top bucket does not overflow to infinity.  Among the 100
 * smallest subnormals that value would round to a grid as coarse as the
 * bucket, so there the bucket's one double is the answer: the largest
 * multiple of the smallest subnormal up to g^i (counted in units of it). */
static double value_of(int32_t idx)
{
	double v = exp(idx * LOG_GAMMA + LOG_HALF_G1);
	if (v < 100 * DBL_TRUE_MIN) {
		double units = floor(exp(idx * LOG_GAMMA + 1074 * M_LN2));
		if (units >= 1)
			return ldexp(units, -1074);
	}
	return v;
}

int rf__sketch_add(struct rf_sketch *s, double v)
{
	if (isnan(v))
		return 0;
	int r = 0;
	if (v == 0)
		s->zero++;
	else if (isinf(v))
		v > 0 ? s->pinf++ : s->ninf++;
	else if (v > 0)
		r = rf__sketch_store_add(&s->pos, rf__sketch_bucket(v), 1);
	else
		r = rf__sketch_store_add(&s->neg, rf__sketch_bucket(-v), 1);
	if (r < 0)
		return r;
	s->count++;
	/* from 2^52 up every double is an integer; below, the truncation to
	 * int64 is exact for integers only (a cheap floor) */
	if (s->all_int && fabs(v) < 0x1p52 && (double)(int64_t)v != v)
		s->all_int = 0;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	return 0;
}

static int store_merge(struct rf_sketch_store *dst, const struct rf_sketch_store *src)
{
	for (uint32_t p = 0; p < src->npages; p++) {
		uint64_t *d = page_of(dst, src->pages[p].no);
		if (!d)
			return -ENOMEM;
		const uint64_t *c = src->pages[p].counts;
		for (int i = 0; i < RF_SKETCH_PAGE; i++)
			d[i] += c[i];
	}
	dst->total += src->total;
	return 0;
}

int rf__sketch_merge(struct rf_sketch *dst, const struct rf_sketch *src)
{
	if (store_merge(&dst->pos, &src->pos) < 0 || store_merge(&dst->neg, &src->neg) < 0)
		return -ENOMEM;
	dst->zero += src->zero;
	dst->ninf += src->ninf;
	dst->pinf += src->pinf;
	dst->count += src->count;
	dst->all_int &= src->all_int;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

static int32_t index_at(const struct rf_sketch_store *st, uint32_t p, int i)
{
	return (int32_t)(st->pages[p].no * RF_SKETCH_PAGE + (uint32_t)i) + RF_SKETCH_MIN_INDEX;
}

double rf__sketch_quantile(const struct rf_sketch *s, double q)
{
	if (s->count == 0)
		return NAN;
	if (q <= 0)
		return s->min;
	if (q >= 1)
		return s->max;
	/* in order: -inf, the negative buckets from the highest index down,
	 * zeros, the positive buckets upwards, +inf */
	uint64_t rank = (uint64_t)floor(q * (double)(s->count - 1));
	double v = s->max;
	if (rank < s->ninf)
		return -INFINITY;
	rank -= s->ninf;
	if (rank < s->neg.total) {
		uint64_t seen = 0;
		for (uint32_t p = s->neg.npages; p-- > 0;)
			for (int i = RF_SKETCH_PAGE - 1; i >= 0; i--) {
				seen += s->neg.pages[p].counts[i];
				if (seen > rank) {
					v = -value_of(index_at(&s->neg, p, i));
					goto found;
				}
			}
	}
	rank -= s->neg.total;
	if (rank < s->zero) {
		v = 0;
		goto found;
	}
	rank -= s->zero;
	if (rank < s->pos.total) {
		uint64_t seen = 0;
		for (uint32_t p = 0; p < s->pos.npages; p++)
			for (int i = 0; i < RF_SKETCH_PAGE; i++) {
				seen += s->pos.pages[p].counts[i];
				if (seen > rank) {
					v = value_of(index_at(&s->pos, p, i));
					goto found;
				}
			}
	}
	return INFINITY;
found:
	/* the exact extremes are known: never report past them */
	if (v < s->min)
		v = s->min;
	if (v > s->max)
		v = s->max;
	return s->all_int ? round(v) : v;
}
