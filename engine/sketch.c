/* sketch.c - logarithmic-bucket quantile sketch. */
#include "config.h"
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sketch.h"

#define MIN_MAGNITUDE 1e-9

/* g = (1 + a) / (1 - a) and ln(g) for a = RF_SKETCH_ALPHA = 0.005, written
 * out so that no thread computes them lazily (a data race under parallel
 * mode); check_agg verifies them against the formula. */
#define GAMMA 1.0100502512562812
#define LOG_GAMMA 0.010000083334583179

double rf__sketch_gamma(void)
{
	return GAMMA;
}

static double log_gamma(void)
{
	return LOG_GAMMA;
}

static double gamma_v(void)
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

void rf__sketch_free(struct rf_sketch *s)
{
	free(s->pos.counts);
	free(s->neg.counts);
	s->pos.counts = s->neg.counts = NULL;
}

/* Make bucket `idx` addressable; collapse the lowest buckets into the
 * lowest kept one when the store would pass its cap. */
static int store_add(struct rf_sketch_store *st, int32_t idx, uint64_t n)
{
	if (st->len == 0) {
		st->counts = calloc(16, sizeof *st->counts);
		if (!st->counts)
			return -ENOMEM;
		st->offset = idx - 8;
		st->len = 16;
	}
	if (idx < st->offset || idx >= st->offset + st->len) {
		int32_t lo = idx < st->offset ? idx : st->offset;
		int32_t hi = idx >= st->offset + st->len ? idx + 1 : st->offset + st->len;
		if (hi - lo > RF_SKETCH_MAX_BUCKETS) {
			/* keep the top RF_SKETCH_MAX_BUCKETS buckets */
			int32_t new_lo = hi - RF_SKETCH_MAX_BUCKETS;
			if (idx < new_lo)
				idx = new_lo;
			lo = new_lo;
		}
		/* grow with some slack on the side that grew */
		int32_t want = hi - lo;
		int32_t slack = want / 2 < 64 ? want / 2 : 64;
		int32_t nlo = lo, nhi = hi;
		if (lo < st->offset)
			nlo = lo - slack;
		else
			nhi = hi + slack;
		if (nhi - nlo > RF_SKETCH_MAX_BUCKETS)
			nlo = nhi - RF_SKETCH_MAX_BUCKETS;
		if (nlo > lo)
			nlo = lo;
		uint64_t *nc = calloc((size_t)(nhi - nlo), sizeof *nc);
		if (!nc)
			return -ENOMEM;
		for (int32_t i = 0; i < st->len; i++) {
			int32_t b = st->offset + i;
			if (!st->counts[i])
				continue;
			if (b < nlo)
				b = nlo; /* collapsed into the lowest kept bucket */
			nc[b - nlo] += st->counts[i];
		}
		free(st->counts);
		st->counts = nc;
		st->offset = nlo;
		st->len = nhi - nlo;
		if (idx < nlo)
			idx = nlo;
	}
	st->counts[idx - st->offset] += n;
	return 0;
}

static int32_t bucket_of(double mag)
{
	/* an infinite value goes in the top bucket (min and max keep it exact):
	 * converting an infinite index to int32_t is undefined */
	if (!(mag <= DBL_MAX))
		mag = DBL_MAX;
	return (int32_t)ceil(log(mag) / log_gamma());
}

static double value_of(int32_t idx)
{
	return 2 * exp(idx * log_gamma()) / (gamma_v() + 1);
}

int rf__sketch_add(struct rf_sketch *s, double v)
{
	if (isnan(v))
		return 0;
	int r = 0;
	if (fabs(v) < MIN_MAGNITUDE)
		s->zero++;
	else if (v > 0)
		r = store_add(&s->pos, bucket_of(v), 1);
	else
		r = store_add(&s->neg, bucket_of(-v), 1);
	if (r < 0)
		return r;
	s->count++;
	if (v != floor(v))
		s->all_int = 0;
	if (v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	return 0;
}

int rf__sketch_merge(struct rf_sketch *dst, const struct rf_sketch *src)
{
	for (int32_t i = 0; i < src->pos.len; i++)
		if (src->pos.counts[i] && store_add(&dst->pos, src->pos.offset + i, src->pos.counts[i]) < 0)
			return -ENOMEM;
	for (int32_t i = 0; i < src->neg.len; i++)
		if (src->neg.counts[i] && store_add(&dst->neg, src->neg.offset + i, src->neg.counts[i]) < 0)
			return -ENOMEM;
	dst->zero += src->zero;
	dst->count += src->count;
	dst->all_int &= src->all_int;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

double rf__sketch_quantile(const struct rf_sketch *s, double q)
{
	if (s->count == 0)
		return NAN;
	if (q <= 0)
		return s->min;
	if (q >= 1)
		return s->max;
	uint64_t rank = (uint64_t)floor(q * (double)(s->count - 1));
	uint64_t seen = 0;
	double v = s->max;
	int found = 0;
	/* most negative first: the negative store's highest buckets */
	for (int32_t i = s->neg.len - 1; i >= 0 && !found; i--) {
		seen += s->neg.counts[i];
		if (seen > rank) {
			v = -value_of(s->neg.offset + i);
			found = 1;
		}
	}
	if (!found) {
		seen += s->zero;
		if (seen > rank) {
			v = 0;
			found = 1;
		}
	}
	for (int32_t i = 0; i < s->pos.len && !found; i++) {
		seen += s->pos.counts[i];
		if (seen > rank) {
			v = value_of(s->pos.offset + i);
			found = 1;
		}
	}
	/* the exact extremes are known: never report past them */
	if (v < s->min)
		v = s->min;
	if (v > s->max)
		v = s->max;
	return s->all_int ? round(v) : v;
}
