/* SPDX-License-Identifier: MIT */
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
	free(st->pages); /* and the index after them */
	memset(st, 0, sizeof *st);
}

void rf__sketch_free(struct rf_sketch *s)
{
	store_free(&s->pos);
	store_free(&s->neg);
	s->hot = NULL;
}

/* A store gets an index of its pages once it holds INDEX_AT of them, if
 * its pages span no more than INDEX_SPAN page numbers for each page held:
 * then the index (with its room to grow) takes at most about 2 x 96 bytes
 * a page held, where a page and its counts take about 160, and never more
 * than 18 KB.  A sketch of fewer pages has none: many groups of a few
 * values each take no more memory than without it. */
#define INDEX_AT 16
#define INDEX_SPAN 64

/* A store's index: its base, then its ispan slots. */
static inline uint16_t *index_of(const struct rf_sketch_store *st)
{
	return (uint16_t *)(void *)(st->pages + st->cap);
}

/* After a page was put at place `at`: the index brought up to date, grown,
 * built or given up on.  Without one (or without memory for it) pages are
 * found by a binary search, so this never fails. */
static void index_update(struct rf_sketch_store *st, uint32_t at)
{
	uint32_t first = st->pages[0].no, span = st->pages[st->npages - 1].no - first + 1;
	if (st->npages < INDEX_AT || span > (uint32_t)INDEX_SPAN * st->npages) {
		if (st->ispan) {
			st->ispan = 0;
			struct rf_sketch_page *p = realloc(st->pages, st->cap * sizeof *p);
			if (p)
				st->pages = p;
		}
		return;
	}
	uint16_t *ix = index_of(st);
	if (!st->ispan || first < ix[0] || first + span > (uint32_t)ix[0] + st->ispan) {
		/* room for a quarter more each way: a store that grows in one
		 * direction rebuilds its index a few dozen times, not once a page */
		uint32_t extra = span / 4 + 4, last = first + span - 1 + extra;
		first = first > extra ? first - extra : 0;
		if (last >= RF_SKETCH_PAGES)
			last = RF_SKETCH_PAGES - 1;
		span = last - first + 1;
		struct rf_sketch_page *p = realloc(st->pages, st->cap * sizeof *p + (span + 1) * sizeof *ix);
		if (!p) {
			st->ispan = 0;
			return;
		}
		st->pages = p;
		ix = index_of(st);
		memset(ix, 0, (span + 1) * sizeof *ix);
		ix[0] = (uint16_t)first;
		st->ispan = (uint16_t)span;
		at = 0;
	}
	for (uint32_t i = at; i < st->npages; i++)
		ix[1 + st->pages[i].no - ix[0]] = (uint16_t)(i + 1);
}

/* page_of when neither the index nor the last page had the page: it is
 * searched for, and created (zeroed) if the store has none yet. */
static __attribute__((noinline)) uint64_t *page_find(struct rf_sketch_store *st, uint32_t no)
{
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
		/* the index moves up behind the new pages */
		size_t ixsize = st->ispan ? (st->ispan + 1u) * sizeof(uint16_t) : 0;
		struct rf_sketch_page *p = realloc(st->pages, cap * sizeof *p + ixsize);
		if (!p)
			return NULL;
		if (ixsize)
			memmove(p + cap, p + st->cap, ixsize);
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

/* The counts of page `no`, created (zeroed) if the store has none yet. */
static inline uint64_t *page_of(struct rf_sketch_store *st, uint32_t no)
{
	if (st->ispan) {
		const uint16_t *ix = index_of(st);
		uint32_t k = no - ix[0];
		if (k < st->ispan && ix[1 + k])
			return st->pages[ix[1 + k] - 1].counts;
	} else if (st->last < st->npages && st->pages[st->last].no == no)
		return st->pages[st->last].counts;
	return page_find(st, no);
}

/* Add n to bucket idx; *page (if not NULL) gets the counts of its page. */
static inline int store_add_page(struct rf_sketch_store *st, int32_t idx, uint64_t n, uint64_t **page)
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
	if (page)
		*page = c;
	return 0;
}

static inline int store_add(struct rf_sketch_store *st, int32_t idx, uint64_t n)
{
	return store_add_page(st, idx, n, NULL);
}

uint64_t *rf__sketch_store_page(struct rf_sketch_store *st, uint32_t no)
{
	return no < RF_SKETCH_PAGES ? page_of(st, no) : NULL;
}

/* A positive value's bucket, through the sketch's hot page when it is
 * that page's. */
static inline int add_positive(struct rf_sketch *s, int32_t idx)
{
	uint32_t key = (uint32_t)(idx - RF_SKETCH_MIN_INDEX);
	if (s->hot && idx >= RF_SKETCH_MIN_INDEX && idx <= RF_SKETCH_MAX_INDEX && key / RF_SKETCH_PAGE == s->hot_no) {
		if (__builtin_add_overflow(s->pos.total, 1, &s->pos.total))
			return -EBADMSG;
		s->hot[key % RF_SKETCH_PAGE]++;
		return 0;
	}
	uint64_t *page;
	int r = store_add_page(&s->pos, idx, 1, &page);
	if (r == 0) {
		s->hot = page;
		s->hot_no = key / RF_SKETCH_PAGE;
	}
	return r;
}

/* The bucket as its definition has it: ceil(ln(mag) / ln(g)), with libm's
 * log.  Every bucket boundary is where this changes. */
static int32_t bucket_exact(double mag)
{
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

/* For the mantissa m in [1, 2) whose top 5 bits are k: 1/c rounded to a
 * double, c about the middle of that 32nd of the binade (so m/c - 1 is
 * within 1/64 of 0), and -ln of that double, which is ln(c) as far as the
 * sum below is concerned (written out in hex from Python's math.log). */
static const double LOG_TABLE[32][2] = {
	{ 0x1.f81f81f81f820p-1, 0x1.fc0a8b0fc03c4p-7 },
	{ 0x1.e9131abf0b767p-1, 0x1.77458f632dcffp-5 },
	{ 0x1.dae6076b981dbp-1, 0x1.341d7961bd1d0p-4 },
	{ 0x1.cd85689039b0bp-1, 0x1.a926d3a4ad562p-4 },
	{ 0x1.c0e070381c0e0p-1, 0x1.0d77e7cd08e5bp-3 },
	{ 0x1.b4e81b4e81b4fp-1, 0x1.44d2b6ccb7d1cp-3 },
	{ 0x1.a98ef606a63bep-1, 0x1.7ab890210d907p-3 },
	{ 0x1.9ec8e951033d9p-1, 0x1.af3c94e80bff3p-3 },
	{ 0x1.948b0fcd6e9e0p-1, 0x1.e27076e2af2e8p-3 },
	{ 0x1.8acb90f6bf3aap-1, 0x1.0a324e27390e2p-2 },
	{ 0x1.8181818181818p-1, 0x1.22941fbcf7966p-2 },
	{ 0x1.78a4c8178a4c8p-1, 0x1.3a64c556945eap-2 },
	{ 0x1.702e05c0b8170p-1, 0x1.51aad872df82ep-2 },
	{ 0x1.6816816816817p-1, 0x1.686c81e9b14adp-2 },
	{ 0x1.6058160581606p-1, 0x1.7eaf83b82afc2p-2 },
	{ 0x1.58ed2308158edp-1, 0x1.947941c2116fbp-2 },
	{ 0x1.51d07eae2f815p-1, 0x1.a9cec9a9a084ap-2 },
	{ 0x1.4afd6a052bf5bp-1, 0x1.beb4d9da71b7ap-2 },
	{ 0x1.446f86562d9fbp-1, 0x1.d32fe7e00ebd5p-2 },
	{ 0x1.3e22cbce4a902p-1, 0x1.e744261d68789p-2 },
	{ 0x1.3813813813814p-1, 0x1.faf588f78f31dp-2 },
	{ 0x1.323e34a2b10bfp-1, 0x1.0723e5c1cdf41p-1 },
	{ 0x1.2c9fb4d812ca0p-1, 0x1.109f39e2d4c96p-1 },
	{ 0x1.27350b8812735p-1, 0x1.19ee6b467c96fp-1 },
	{ 0x1.21fb78121fb78p-1, 0x1.23130d7bebf43p-1 },
	{ 0x1.1cf06ada2811dp-1, 0x1.2c0e9ed448e8cp-1 },
	{ 0x1.1811811811812p-1, 0x1.34e289d9ce1d2p-1 },
	{ 0x1.135c81135c811p-1, 0x1.3d9026a7156fbp-1 },
	{ 0x1.0ecf56be69c90p-1, 0x1.4618bc21c5ec2p-1 },
	{ 0x1.0a6810a6810a7p-1, 0x1.4e7d811b75bb0p-1 },
	{ 0x1.0624dd2f1a9fcp-1, 0x1.56bf9d5b3f399p-1 },
	{ 0x1.0204081020408p-1, 0x1.5ee02a9241676p-1 },
};

/* ln(mag) as ln(2^e) + ln(c) + ln(1 + r) with r = m/c - 1, the last from its
 * series to r^5: within 3e-12 of ln(mag), so within 1e-9 buckets of the
 * exact index.  Only where that index is closer than 2^-20 to a whole
 * number (a bucket boundary, one value in about 500,000) is bucket_exact
 * asked, so every value lands in the very bucket it would there. */
static inline int32_t bucket_of(double mag)
{
	/* clamped to the range (rf__sketch_add counts infinities apart):
	 * converting an infinite index to int32_t is undefined */
	if (!(mag <= DBL_MAX))
		mag = DBL_MAX;
	if (!(mag >= DBL_MIN))
		return bucket_exact(mag >= DBL_TRUE_MIN ? mag : DBL_TRUE_MIN);
	uint64_t b;
	memcpy(&b, &mag, sizeof b);
	int e = (int)(b >> 52) - 1023;
	const double *t = LOG_TABLE[b >> 47 & 31];
	b = (b & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	double m;
	memcpy(&m, &b, sizeof m);
	double r = m * t[0] - 1;
	double p = r - r * r * (0.5 - r * (1.0 / 3 - r * (0.25 - r * 0.2)));
	double x = (e * M_LN2 + t[1] + p) * (1 / LOG_GAMMA);
	int32_t i = (int32_t)x;
	i += i < x;
	double d = i - x;
	if (d > 0x1p-20 && d < 1 - 0x1p-20)
		return i; /* a normal number's index is well inside the range */
	return bucket_exact(mag);
}

int32_t rf__sketch_bucket(double mag)
{
	return bucket_of(mag);
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

void rf__sketch_prefetch_value(const struct rf_sketch *s, double v)
{
	if (!(v > 0) || isinf(v) || !s->pos.ispan)
		return;
	int32_t idx = bucket_of(v);
	if (idx < RF_SKETCH_MIN_INDEX || idx > RF_SKETCH_MAX_INDEX)
		return;
	uint32_t no = (uint32_t)(idx - RF_SKETCH_MIN_INDEX) / RF_SKETCH_PAGE;
	const uint16_t *ix = index_of(&s->pos);
	uint32_t k = no - ix[0];
	if (k < s->pos.ispan && ix[1 + k])
		__builtin_prefetch(s->pos.pages[ix[1 + k] - 1].counts + (idx - RF_SKETCH_MIN_INDEX) % RF_SKETCH_PAGE);
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
		r = add_positive(s, bucket_of(v));
	else
		r = store_add(&s->neg, bucket_of(-v), 1);
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
