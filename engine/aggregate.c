/* SPDX-License-Identifier: MIT */
/* aggregate.c - count, sum, avg, min, max, distinct, quantiles,
 * approx_distinct, the variance family and pct, by key.
 *
 * Groups live in a string map keyed by an encoding of their key values;
 * each group owns one cell per aggregate.  Every cell kind has a merge, so
 * partial states (of threads, processes, or machines) combine into the
 * state of the whole input.
 */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "sketch.h"
#include "timezone.h"
#include "hll.h"

/* 128-bit integers aligned like the other cell fields (8), so that cells
 * pack without padding. */
typedef __int128 i128 __attribute__((aligned(8)));
typedef unsigned __int128 u128 __attribute__((aligned(8)));

/* A number with its integer kept exact: integer literals up to 128 bits
 * (rf__parse_number keeps 64), and always the nearest double.  Of other
 * numbers (fractions, exponents) within 128 bits, `exact` says i holds the
 * integer part exactly, rounded down, and `frac` whether there is more:
 * past 2^53 the double alone cannot tell 2^63 - 1 from
 * 9223372036854775806.5.  As a min or max cell, `has` says whether it
 * holds one yet. */
struct num {
	i128 i;
	double d;
	uint8_t is_int, has, exact, frac;
};

/* Integers are summed exactly in 128 bits: a sum of fewer than 2^64
 * values of 64 bits each cannot overflow it.  Other numbers are summed
 * apart, compensated (Neumaier), and the two parts meet at the end. */
struct sum_cell {
	uint64_t n;          /* numbers added */
	i128 isum;           /* the integers among them, exactly */
	double fsum, fcomp;  /* the others: sum and compensation */
	uint8_t has_float;   /* some were not integers */
};

/* The variance family: integers within 64 bits are summed exactly - their
 * sum in 128 bits, the sum of their squares in 192 (lo, then hi) - so the
 * result is the same whatever order the values and partial states came
 * in; other numbers as a sum does, compensated. */
struct var_cell {
	uint64_t n;
	i128 s1;
	u128 s2lo;
	uint64_t s2hi;
	double fs1, fc1, fs2, fc2;
	uint8_t has_float;
};

/* first, last: a copy of the value, and where its record was in the
 * input (which input, and its byte offset there), so that states merged
 * in any order keep the earliest or the latest. */
struct fl_cell {
	uint64_t pos;
	uint32_t input, len;
	char *p;
	uint8_t has;
};

/* histogram: counts by bucket, sorted by lower bound; `over` once the
 * group has seen more than RF_HIST_MAX buckets (no more are added). */
struct hbucket {
	int64_t i;
	double d;
	uint64_t n;
	uint8_t tag; /* TAG_INT: i is the bound, else d */
};

struct hist {
	uint32_t n, cap;
	uint8_t over;
	struct hbucket *b;
};

/* A group's cells lie in one row, each of its aggregate's own size (a
 * count takes 8 bytes, a sum 48); a cell is seen through the pointer of
 * its kind. */
union cell {
	char *p;
	uint64_t *n;                 /* count */
	struct sum_cell *sum;        /* sum, avg */
	struct num *mm;              /* min, max */
	struct rf_strmap **set;      /* distinct */
	struct rf_sketch **sketch;   /* quantiles */
	struct rf_hll **hll;         /* approx_distinct */
	struct var_cell *var;        /* stddev, variance, stddev_pop, var_pop */
	struct fl_cell *fl;          /* first, last */
	struct hist **hist;          /* histogram */
};

struct rf_agg_state {
	const struct rf_agg_config *cfg;
	const struct rf_kernels *k;
	struct rf_strmap groups;
	char *cells;                 /* group g's row at cells + g * row */
	size_t row, off[RF_MAX_AGGS];
	size_t cells_cap;            /* in groups */
	char *keybuf;
	size_t keybuf_cap;
	uint64_t skipped[RF_MAX_AGGS];
	uint64_t key_skipped[RF_MAX_KEYS]; /* numeric bucket keys without a number */
	struct rf_stage *stage;      /* rejects bad times, if set */
	uint64_t limit;              /* resident bytes the result may take the process to; 0: none */
	int statm_fd;
	uint64_t at_limit;           /* what it would have taken, when refused */
	struct rf_time_cache times[RF_MAX_KEYS]; /* each time key's last time */
	unsigned nparts, part;       /* rf__agg_set_part: only this share of the keys */
	uint32_t at_input;           /* the record being added: its input ... */
	uint64_t at_pos;             /* ... and its offset there (first, last) */
	uint32_t input_base;         /* a decoded state's inputs come after this many */
	int64_t *gidx;               /* a batch's rows' groups (-1: left out) */
	size_t gidx_cap;
	int sketches;                /* some aggregate keeps a quantile sketch */
	/* a quantile's sketch: its own, or (of a field another quantile before
	 * it reads, as p50 and p99 of one field) that one's, shared: the
	 * values go in once */
	int8_t qown[RF_MAX_AGGS];
	void *custom;                /* cfg->custom's own state */
};

static size_t cell_size(enum rf_agg_func f)
{
	switch (f) {
	case RF_AGG_SUM:
	case RF_AGG_AVG:
		return sizeof(struct sum_cell);
	case RF_AGG_MIN:
	case RF_AGG_MAX:
		return sizeof(struct num);
	case RF_AGG_DISTINCT:
		return sizeof(struct rf_strmap *);
	case RF_AGG_QUANTILE:
		return sizeof(struct rf_sketch *);
	case RF_AGG_APPROX:
		return sizeof(struct rf_hll *);
	case RF_AGG_HISTOGRAM:
		return sizeof(struct hist *);
	case RF_AGG_FIRST:
	case RF_AGG_LAST:
		return sizeof(struct fl_cell);
	case RF_AGG_STDDEV:
	case RF_AGG_VARIANCE:
	case RF_AGG_STDDEV_POP:
	case RF_AGG_VAR_POP:
		return sizeof(struct var_cell);
	default:
		return sizeof(uint64_t);
	}
}

static union cell cell_at(const struct rf_agg_state *st, size_t g, int a)
{
	return (union cell){ .p = st->cells + g * st->row + st->off[a] };
}

enum { TAG_MISSING = 0, TAG_STR = 1, TAG_TIME = 2, TAG_INT = 3, TAG_DBL = 4 };

/* Two references to one field (their query columns aside). */
static int same_field(const struct rf_fieldref *a, const struct rf_fieldref *b)
{
	return a->slot == b->slot &&
	       (a->name == b->name || (a->name && b->name && !strcmp(a->name, b->name)));
}

/* The cell quantile `a` of group g reads its sketch from: its own once it
 * has one (a result's, see freeze_quantiles), else its owner's. */
static union cell quantile_cell(const struct rf_agg_state *st, size_t g, int a)
{
	union cell c = cell_at(st, g, a);
	return *c.sketch ? c : cell_at(st, g, st->qown[a]);
}

struct rf_agg_state *rf__agg_new(const struct rf_agg_config *cfg, const struct rf_kernels *k)
{
	struct rf_agg_state *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->cfg = cfg;
	st->k = k;
	st->statm_fd = -1;
	for (int a = 0; a < cfg->naggs; a++) {
		st->off[a] = st->row;
		st->row += cell_size(cfg->agg[a].func);
		st->sketches |= cfg->agg[a].func == RF_AGG_QUANTILE;
		st->qown[a] = (int8_t)a;
		for (int b = 0; b < a && cfg->agg[a].func == RF_AGG_QUANTILE; b++)
			if (cfg->agg[b].func == RF_AGG_QUANTILE && st->qown[b] == b && same_field(&cfg->agg[a].field, &cfg->agg[b].field)) {
				st->qown[a] = (int8_t)b;
				break;
			}
	}
	if (!st->row)
		st->row = 8;
	rf__strmap_init(&st->groups);
	for (int i = 0; i < RF_MAX_KEYS; i++)
		rf__time_cache_init(&st->times[i]);
	if (cfg->custom && cfg->custom->open(cfg, k, &st->custom) < 0) {
		rf__agg_free(st);
		return NULL;
	}
	return st;
}

int rf__agg_set_part(struct rf_agg_state *st, unsigned nparts, unsigned part)
{
	if (nparts > 1 && st->cfg->nkeys == 0)
		return -EINVAL;
	st->nparts = nparts > 1 ? nparts : 0;
	st->part = part;
	return 0;
}

/* Which share a group's key falls in (FNV-1a over its encoded bytes, the
 * same for the same group in every instance). */
static unsigned key_part(const char *k, size_t len, unsigned nparts)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return (unsigned)(h % nparts);
}

void rf__agg_set_stage(struct rf_agg_state *st, struct rf_stage *stage)
{
	st->stage = stage;
}

/* Group g's cells empty again (a scratch group, read over and over). */
static void clear_group(struct rf_agg_state *st, size_t g)
{
	const struct rf_agg_config *cfg = st->cfg;
	for (int a = 0; a < cfg->naggs; a++) {
		union cell c = cell_at(st, g, a);
		if (cfg->agg[a].func == RF_AGG_DISTINCT && *c.set) {
			rf__strmap_free(*c.set);
			free(*c.set);
		} else if (cfg->agg[a].func == RF_AGG_QUANTILE && *c.sketch) {
			rf__sketch_free(*c.sketch);
			free(*c.sketch);
		} else if (cfg->agg[a].func == RF_AGG_APPROX && *c.hll) {
			rf__hll_free(*c.hll);
			free(*c.hll);
		} else if (cfg->agg[a].func == RF_AGG_FIRST || cfg->agg[a].func == RF_AGG_LAST) {
			free(c.fl->p);
		} else if (cfg->agg[a].func == RF_AGG_HISTOGRAM && *c.hist) {
			free((*c.hist)->b);
			free(*c.hist);
		}
	}
	memset(st->cells + g * st->row, 0, st->row);
}

/* What every group's cells hold, given back. */
static void free_cells(struct rf_agg_state *st)
{
	for (size_t g = 0; g < st->groups.count; g++)
		clear_group(st, g);
}

void rf__agg_free(struct rf_agg_state *st)
{
	if (!st)
		return;
	if (st->custom)
		st->cfg->custom->close(st->custom);
	free_cells(st);
	free(st->cells);
	free(st->keybuf);
	free(st->gidx);
	rf__strmap_free(&st->groups);
	free(st);
}

uint64_t rf__agg_groups(const struct rf_agg_state *st)
{
	return st->groups.count;
}

uint64_t rf__agg_beyond(const struct rf_agg_state *st, int agg)
{
	const struct rf_agg_config *cfg = st->cfg;
	uint64_t n = 0;
	if (cfg->agg[agg].func != RF_AGG_QUANTILE)
		return 0;
	for (size_t g = 0; g < st->groups.count; g++) {
		const struct rf_sketch *s = *quantile_cell(st, g, agg).sketch;
		if (s && (s->ninf || s->pinf) && isinf(rf__sketch_quantile(s, cfg->agg[agg].q)))
			n++;
	}
	return n;
}

const struct rf_agg_config *rf__agg_config(const struct rf_agg_state *st)
{
	return st->cfg;
}

uint64_t rf__agg_skipped(const struct rf_agg_state *st, int agg)
{
	return st->skipped[agg];
}

uint64_t rf__agg_key_skipped(const struct rf_agg_state *st, int key)
{
	return st->key_skipped[key];
}

/* The group for an encoded key whose rf__hash_bytes is h, created (with
 * empty cells, *added set) if new. */
static int64_t group_put(struct rf_agg_state *st, const char *key, size_t len, uint64_t h, int *added)
{
	int64_t g = rf__strmap_put(&st->groups, key, len, h, added);
	if (g < 0 || !*added)
		return g;
	if ((size_t)g >= st->cells_cap) {
		size_t cap = st->cells_cap ? st->cells_cap * 2 : 64;
		char *c = realloc(st->cells, cap * st->row);
		if (!c)
			return -ENOMEM;
		st->cells = c;
		st->cells_cap = cap;
	}
	memset(st->cells + (size_t)g * st->row, 0, st->row);
	return g;
}

/* The group for an encoded key, created (with empty cells) if new. */
static int64_t group_of(struct rf_agg_state *st, const char *key, size_t len)
{
	int added;
	return group_put(st, key, len, rf__hash_bytes(key, len), &added);
}

static int keybuf_room(struct rf_agg_state *st, size_t need)
{
	if (need <= st->keybuf_cap)
		return 0;
	size_t cap = st->keybuf_cap ? st->keybuf_cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(st->keybuf, cap);
	if (!p)
		return -ENOMEM;
	st->keybuf = p;
	st->keybuf_cap = cap;
	return 0;
}

static int get_num(struct rf_value v, struct num *n);

/* A number's bucket of width w, by its lower bound: an integer (TAG_INT)
 * when the width is a whole number and the bound fits 64 bits, else a
 * double.  -1 when there is none to print (past the double range). */
static int num_bucket(const struct num *x, double w, int64_t *li, double *ld)
{
	int whole = w == floor(w) && w < 4611686018427387904.0;
	if (whole && x->is_int && x->i >= INT64_MIN && x->i <= INT64_MAX) {
		int64_t wi = (int64_t)w, v = (int64_t)x->i, q = v / wi;
		if (v % wi && v < 0)
			q--; /* floor, not toward zero */
		if (!__builtin_mul_overflow(q, wi, li))
			return TAG_INT;
	}
	double d = x->is_int ? (double)x->i : x->d;
	d = floor(d / w) * w;
	if (!isfinite(d))
		return -1;
	if (whole && fabs(d) < 9007199254740992.0) {
		*li = (int64_t)d;
		return TAG_INT;
	}
	*ld = d;
	return TAG_DBL;
}

/* Key encoding: per key a tag byte, then a u32 length and the bytes
 * (strings), an int64 (time buckets; number buckets' whole lower bounds)
 * or a double (other lower bounds); nothing for a missing value.
 * Returns 1 for a record whose time is there but is no valid timestamp
 * (a reject: a missing time is the empty group, as documented), 2 + i
 * for one whose number bucket key i has no number (left out, counted). */
static int encode_key(struct rf_agg_state *st, const struct rf_batch *b, uint32_t row, size_t *len)
{
	const struct rf_agg_config *cfg = st->cfg;
	size_t n = 0;
	for (int i = 0; i < cfg->nkeys; i++) {
		const struct rf_key_spec *ks = &cfg->key[i];
		struct rf_value v = rf__field(b, row, &ks->field);
		for (int a = 0; a < ks->nalt && rf_value_missing(v); a++)
			v = rf__field(b, row, &ks->alt[a]);
		if (keybuf_room(st, n + 13 + (v.len > 0 ? (size_t)v.len : 0)) < 0)
			return -ENOMEM;
		if (ks->kind == RF_KEY_NBUCKET) {
			struct num x;
			int64_t li = 0;
			double ld = 0;
			int tag = get_num(v, &x) < 0 ? -1 : num_bucket(&x, ks->width, &li, &ld);
			if (tag < 0)
				return 2 + i;
			st->keybuf[n++] = (char)tag;
			if (tag == TAG_INT)
				memcpy(st->keybuf + n, &li, 8);
			else
				memcpy(st->keybuf + n, &ld, 8);
			n += 8;
			continue;
		}
		if (rf_value_missing(v)) {
			st->keybuf[n++] = TAG_MISSING;
			continue;
		}
		if (ks->kind == RF_KEY_BUCKET) {
			int64_t t;
			if (rf__parse_time_cached(&st->times[i], v.p, (size_t)v.len, cfg->syslog_year, &t) < 0)
				return 1;
			/* on the clock of --tz: a day from local midnight */
			t = rf__tz_floor(st->stage && st->stage->env ? st->stage->env->tz : NULL, t, ks->bucket_s);
			st->keybuf[n++] = TAG_TIME;
			memcpy(st->keybuf + n, &t, 8);
			n += 8;
			continue;
		}
		uint32_t l = (uint32_t)v.len;
		st->keybuf[n++] = TAG_STR;
		memcpy(st->keybuf + n, &l, 4);
		memcpy(st->keybuf + n + 4, v.p, l);
		n += 4 + l;
	}
	*len = n;
	return 0;
}

/* A number rf__parse_number took but not as an int64: an integer literal
 * within 128 bits (1: *out), or else its integer part rounded down within
 * 128 bits and whether there is more (0: *out, *frac); -1 past 128 bits. */
static int wide_of(struct rf_value v, i128 *out, uint8_t *frac)
{
	struct rf_decimal x;
	int more;
	__int128 w; /* *out may be only 8-aligned (i128): not for a store of a __int128 * */
	if (rf__parse_decimal(v.p, (size_t)v.len, &x) < 0 || rf__decimal_floor(&x, &w, &more) < 0)
		return -1;
	*out = w;
	*frac = (uint8_t)more;
	return x.plain;
}

static int get_num(struct rf_value v, struct num *n)
{
	struct rf_number x;
	if (rf_value_missing(v) || rf__parse_number(v.p, (size_t)v.len, &x) < 0)
		return -1;
	n->is_int = (uint8_t)x.is_int;
	n->i = x.i;
	n->d = x.d;
	n->exact = 1;
	n->frac = 0;
	if (x.is_int)
		return 0;
	int w = isnan(x.d) ? -1 : wide_of(v, &n->i, &n->frac);
	if (w > 0)
		n->is_int = 1;
	else if (w < 0)
		n->exact = 0, n->i = 0, n->frac = 0;
	return 0;
}

/* Two numbers exactly, but two fractions of one integer part, or two
 * numbers past 128 bits, by their doubles (which are all a cell prints of
 * them).  A number past 128 bits (inexact) is further from zero than
 * every number within, its double perhaps not: -2^127 - 0.5 and -2^127
 * are both -2^127 as doubles. */
static int num_cmp(const struct num *a, const struct num *b)
{
	if (a->is_int && b->is_int)
		return (a->i > b->i) - (a->i < b->i);
	if (a->exact && b->exact) {
		/* by integer parts, then n before n and a fraction */
		int c = (a->i > b->i) - (a->i < b->i);
		if (c || a->frac != b->frac)
			return c ? c : a->frac - b->frac;
		return a->frac ? (a->d > b->d) - (a->d < b->d) : 0;
	}
	/* a 128-bit integer rounds to a double in order: differing doubles
	 * decide */
	double da = a->is_int ? (double)a->i : a->d, db = b->is_int ? (double)b->i : b->d;
	int c = (da > db) - (da < db);
	if (c || a->exact == b->exact)
		return c;
	return a->exact ? (db > 0 ? -1 : 1) : (da > 0 ? 1 : -1);
}

/* min or max: does x replace the kept value?  Equal values keep the
 * integer form (1e20 and 100000000000000000000 print differently), so
 * the answer does not depend on the order the values came in. */
static void mm_add(enum rf_agg_func f, struct num *m, const struct num *x)
{
	int better = !m->has;
	if (!better) {
		int r = num_cmp(x, m);
		better = (f == RF_AGG_MIN ? r < 0 : r > 0) || (r == 0 && x->is_int && !m->is_int);
	}
	if (better) {
		*m = *x;
		m->has = 1;
	}
}

/* Neumaier's compensated addition: *s + *comp tracks the exact sum far
 * better than *s alone, whatever the order. */
static void fsum_add(double *s, double *comp, double x)
{
	double t = *s + x;
	if (fabs(*s) >= fabs(x))
		*comp += (*s - t) + x;
	else
		*comp += (x - t) + *s;
	*s = t;
}

static void sum_add_int(struct sum_cell *c, __int128 i)
{
	/* only literals near 2^127 can overflow: then the sum is a float */
	__int128 r;
	if (!__builtin_add_overflow(c->isum, i, &r)) {
		c->isum = r;
	} else {
		fsum_add(&c->fsum, &c->fcomp, (double)i);
		c->has_float = 1;
	}
}

static void var_add_int(struct var_cell *c, int64_t x)
{
	u128 ax = x < 0 ? (u128)0 - (u128)(i128)x : (u128)x;
	u128 sq = ax * ax, lo = c->s2lo + sq;
	c->s2hi += lo < c->s2lo;
	c->s2lo = lo;
	c->s1 += x;
}

static void var_add(struct var_cell *c, const struct num *x)
{
	c->n++;
	if (x->is_int && x->i >= INT64_MIN && x->i <= INT64_MAX) {
		var_add_int(c, (int64_t)x->i);
		return;
	}
	double d = x->is_int ? (double)x->i : x->d;
	fsum_add(&c->fs1, &c->fc1, d);
	/* d * d and what its rounding lost, both kept */
	double sq = d * d;
	fsum_add(&c->fs2, &c->fc2, sq);
	if (isfinite(sq))
		c->fc2 += fma(d, d, -sq);
	c->has_float = 1;
}

static int hll_cell(struct rf_hll **h)
{
	if (*h)
		return 0;
	if (!(*h = malloc(sizeof **h)))
		return -ENOMEM;
	rf__hll_init(*h);
	return 0;
}

/* Two bucket bounds by value (a long double holds both exactly). */
static int hb_cmp(int tag_a, int64_t ia, double da, const struct hbucket *b)
{
	long double x = tag_a == TAG_INT ? (long double)ia : (long double)da;
	long double y = b->tag == TAG_INT ? (long double)b->i : (long double)b->d;
	return (x > y) - (x < y);
}

/* Count n into the bucket at this bound.  Of two forms of one bound the
 * integer one is kept, whatever came first. */
static int hist_add(struct hist **hp, int tag, int64_t i, double d, uint64_t n)
{
	if (!*hp && !(*hp = calloc(1, sizeof **hp)))
		return -ENOMEM;
	struct hist *h = *hp;
	uint32_t lo = 0, hi = h->n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int c = hb_cmp(tag, i, d, &h->b[mid]);
		if (c == 0) {
			h->b[mid].n += n;
			if (tag == TAG_INT && h->b[mid].tag != TAG_INT) {
				h->b[mid].tag = TAG_INT;
				h->b[mid].i = i;
			}
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (h->n == RF_HIST_MAX) {
		h->over = 1; /* refused at the result */
		return 0;
	}
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 8;
		struct hbucket *nb = realloc(h->b, cap * sizeof *nb);
		if (!nb)
			return -ENOMEM;
		h->b = nb;
		h->cap = cap;
	}
	memmove(h->b + lo + 1, h->b + lo, (h->n - lo) * sizeof *h->b);
	h->b[lo] = (struct hbucket){ .i = tag == TAG_INT ? i : 0, .d = tag == TAG_INT ? 0 : d, .n = n,
				     .tag = (uint8_t)tag };
	h->n++;
	return 0;
}

/* first or last: does a value at (input, pos) replace the kept one? */
static int fl_better(enum rf_agg_func f, const struct fl_cell *m, uint32_t input, uint64_t pos)
{
	if (!m->has)
		return 1;
	int c = input != m->input ? (input > m->input ? 1 : -1) : (pos > m->pos) - (pos < m->pos);
	return f == RF_AGG_FIRST ? c < 0 : c > 0;
}

static int fl_set(struct fl_cell *m, const char *p, size_t len, uint32_t input, uint64_t pos)
{
	char *np = malloc(len ? len : 1);
	if (!np)
		return -ENOMEM;
	memcpy(np, p, len);
	free(m->p);
	m->p = np;
	m->len = (uint32_t)len;
	m->input = input;
	m->pos = pos;
	m->has = 1;
	return 0;
}

/* Where an aggregate takes its input: add_value reads a field's value as
 * bytes (distinct, approx_distinct) or through get_num as a number (the
 * rest); those two are the places a computed value would come in. */
/* A row's last number read, for the next aggregate of the same value
 * (avg(bytes), p99(bytes): one conversion). */
struct num_memo {
	int valid;
	const char *p;
	int32_t len;
	int rc;
	struct num n;
};

static int add_value(struct rf_agg_state *st, int a, union cell c, struct rf_value v, struct num_memo *memo)
{
	const struct rf_agg_spec *as = &st->cfg->agg[a];
	if (as->func == RF_AGG_FIRST || as->func == RF_AGG_LAST) {
		if (rf_value_missing(v)) {
			st->skipped[a]++;
			return 0;
		}
		if (!fl_better(as->func, c.fl, st->at_input, st->at_pos))
			return 0;
		return fl_set(c.fl, v.p, (size_t)v.len, st->at_input, st->at_pos);
	}
	if (as->func == RF_AGG_APPROX) {
		if (rf_value_missing(v)) {
			st->skipped[a]++;
			return 0;
		}
		int r = hll_cell(c.hll);
		return r < 0 ? r : rf__hll_add(*c.hll, rf__hll_hash(v.p, (size_t)v.len));
	}
	if (as->func == RF_AGG_DISTINCT) {
		if (rf_value_missing(v)) {
			st->skipped[a]++;
			return 0;
		}
		if (!*c.set) {
			if (!(*c.set = malloc(sizeof **c.set)))
				return -ENOMEM;
			rf__strmap_init(*c.set);
		}
		int added;
		int64_t r = rf__strmap_put(*c.set, v.p, (size_t)v.len, rf__hash_bytes(v.p, (size_t)v.len), &added);
		return r < 0 ? (int)r : 0;
	}
	if (!memo->valid || memo->p != v.p || memo->len != v.len) {
		memo->valid = 1;
		memo->p = v.p;
		memo->len = v.len;
		memo->rc = get_num(v, &memo->n);
	}
	if (memo->rc < 0) {
		st->skipped[a]++;
		return 0;
	}
	struct num num = memo->n;
	switch (as->func) {
	case RF_AGG_SUM:
	case RF_AGG_AVG:
		c.sum->n++;
		if (num.is_int) {
			sum_add_int(c.sum, num.i);
		} else {
			fsum_add(&c.sum->fsum, &c.sum->fcomp, num.d);
			c.sum->has_float = 1;
		}
		break;
	case RF_AGG_MIN:
	case RF_AGG_MAX:
		mm_add(as->func, c.mm, &num);
		break;
	case RF_AGG_QUANTILE:
		if (st->qown[a] != a)
			break; /* its owner's sketch has the value */
		/* a number past the double range (+-inf) is ranked too: the
		 * notes say when a quantile lands on one */
		if (!*c.sketch) {
			if (!(*c.sketch = malloc(sizeof **c.sketch)))
				return -ENOMEM;
			rf__sketch_init(*c.sketch);
		}
		return rf__sketch_add(*c.sketch, num.d);
	case RF_AGG_STDDEV:
	case RF_AGG_VARIANCE:
	case RF_AGG_STDDEV_POP:
	case RF_AGG_VAR_POP:
		var_add(c.var, &num);
		break;
	case RF_AGG_HISTOGRAM: {
		int64_t li = 0;
		double ld = 0;
		int tag = num_bucket(&num, as->q, &li, &ld);
		if (tag < 0) {
			st->skipped[a]++; /* past the double range: no bound to print */
			return 0;
		}
		return hist_add(c.hist, tag, li, ld, 1);
	}
	default:
		break;
	}
	return 0;
}

/* The prefetches of step `step` for the sketches of row `row` (if there
 * is such a row, and it has a group): see rf__agg_process. */
static inline void sketch_ahead(const struct rf_agg_state *st, const struct rf_batch *b, uint32_t row, int step)
{
	const struct rf_agg_config *cfg = st->cfg;
	if (row >= b->nsel || st->gidx[row] < 0)
		return;
	for (int a = 0; a < cfg->naggs; a++) {
		if (cfg->agg[a].func != RF_AGG_QUANTILE)
			continue;
		const struct rf_sketch *sk = *cell_at(st, (size_t)st->gidx[row], a).sketch;
		if (!sk)
			continue;
		if (step == 0) {
			rf__sketch_prefetch(sk);
		} else if (step == 1) {
			rf__sketch_prefetch_pages(sk);
		} else {
			struct rf_number x;
			struct rf_value v = rf__field(b, row, &cfg->agg[a].field);
			if (!rf_value_missing(v) && rf__parse_number(v.p, (size_t)v.len, &x) == 0)
				rf__sketch_prefetch_value(sk, x.is_int ? (double)x.i : x.d);
		}
	}
}

/* Row `row` of b into group g's cells. */
static inline int add_row(struct rf_agg_state *st, const struct rf_batch *b, uint32_t row, int64_t g)
{
	const struct rf_agg_config *cfg = st->cfg;
	struct num_memo memo = { .valid = 0 };
	st->at_input = b->input_idx;
	st->at_pos = b->offset + b->sel[row].off;
	for (int a = 0; a < cfg->naggs; a++) {
		union cell c = cell_at(st, (size_t)g, a);
		if (cfg->agg[a].func == RF_AGG_COUNT) {
			(*c.n)++;
			continue;
		}
		int r = add_value(st, a, c, rf__field(b, row, &cfg->agg[a].field), &memo);
		if (r < 0)
			return r;
	}
	return 0;
}

int rf__agg_process(struct rf_agg_state *st, struct rf_batch *b)
{
	const struct rf_agg_config *cfg = st->cfg;
	size_t naggs = (size_t)cfg->naggs;
	if (cfg->custom)
		return cfg->custom->process(st->custom, b);
	if (cfg->nkeys == 0 && st->groups.count == 0 && group_of(st, "", 0) < 0)
		return -ENOMEM;
	if (cfg->count_only && cfg->nkeys == 0) {
		/* counting needs no rows: a newline count of the raw batch,
		 * for every count column (`count, count` counts twice) */
		uint64_t n = b->all ? rf__batch_all_records(b, st->k) : b->nsel;
		for (size_t a = 0; a < naggs; a++)
			*cell_at(st, 0, (int)a).n += n;
		return 0;
	}
	int r = rf__batch_expand(b, st->k);
	if (r < 0)
		return r;
	if (!cfg->nkeys) {
		for (uint32_t row = 0; row < b->nsel; row++)
			if ((r = add_row(st, b, row, 0)) < 0)
				return r;
		return 0;
	}
	/* Keyed: first every row's group, then the rows' values in order.
	 * With many groups the cells and sketches are far apart in memory:
	 * knowing the groups ahead lets the second pass ask for a row's
	 * cells, and then its sketch, a few rows before it gets there, so
	 * the cache misses overlap instead of following one another. */
	if (b->nsel > st->gidx_cap) {
		size_t cap = st->gidx_cap ? st->gidx_cap : 1024;
		while (cap < b->nsel)
			cap *= 2;
		int64_t *gi = realloc(st->gidx, cap * sizeof *gi);
		if (!gi)
			return -ENOMEM;
		st->gidx = gi;
		st->gidx_cap = cap;
	}
	int64_t last = -1;
	for (uint32_t row = 0; row < b->nsel; row++) {
		size_t len, last_len;
		int64_t g;
		int e = encode_key(st, b, row, &len);
		if (e < 0)
			return e;
		st->gidx[row] = -1;
		if (e > 1) {
			/* no number for a number bucket (counted once when
			 * shared) */
			if (st->part == 0)
				st->key_skipped[e - 2]++;
			continue;
		}
		if (e > 0) {
			/* a bad time: counted and reported, not grouped (by
			 * the first share only, when shared) */
			if (st->part == 0 && st->stage && (r = rf__reject_why(st->stage, b, row, RF_REJECT_TIME)) < 0)
				return r;
			continue;
		}
		if (st->nparts && key_part(st->keybuf, len, st->nparts) != st->part)
			continue;
		/* logs repeat keys (most requests are 200s): try the last
		 * group before hashing */
		const char *lk = last >= 0 ? rf__strmap_key(&st->groups, (size_t)last, &last_len) : NULL;
		if (lk && last_len == len && (len == 0 || memcmp(lk, st->keybuf, len) == 0)) {
			g = last;
		} else {
			g = group_of(st, st->keybuf, len);
			if (g < 0)
				return (int)g;
			last = g;
		}
		st->gidx[row] = g;
	}
	enum { CELLS_AHEAD = 8 };
	const int64_t *gi = st->gidx;
	/* a few groups stay in the cache, and the prefetches would be work
	 * for nothing (the bucket's costs a number conversion) */
	int ahead = st->groups.count >= 2048;
	for (uint32_t row = 0; row < b->nsel; row++) {
		if (!ahead) {
			if (gi[row] >= 0 && (r = add_row(st, b, row, gi[row])) < 0)
				return r;
			continue;
		}
		if (row + CELLS_AHEAD < b->nsel && gi[row + CELLS_AHEAD] >= 0) {
			const char *c = st->cells + (size_t)gi[row + CELLS_AHEAD] * st->row;
			__builtin_prefetch(c);
			__builtin_prefetch(c + st->row - 1);
		}
		if (st->sketches) {
			/* four rows ahead the sketch itself, two ahead its page
			 * list, one ahead the bucket the value goes to: each
			 * step reads what the one before brought in */
			sketch_ahead(st, b, row + 4, 0);
			sketch_ahead(st, b, row + 2, 1);
			sketch_ahead(st, b, row + 1, 2);
		}
		if (gi[row] >= 0 && (r = add_row(st, b, row, gi[row])) < 0)
			return r;
	}
	return 0;
}

static int merge_cell(const struct rf_agg_spec *as, union cell d, union cell s)
{
	switch (as->func) {
	case RF_AGG_COUNT:
		*d.n += *s.n;
		return 0;
	case RF_AGG_SUM:
	case RF_AGG_AVG:
		d.sum->n += s.sum->n;
		sum_add_int(d.sum, s.sum->isum);
		fsum_add(&d.sum->fsum, &d.sum->fcomp, s.sum->fsum);
		d.sum->fcomp += s.sum->fcomp;
		d.sum->has_float |= s.sum->has_float;
		return 0;
	case RF_AGG_MIN:
	case RF_AGG_MAX:
		if (s.mm->has)
			mm_add(as->func, d.mm, s.mm);
		return 0;
	case RF_AGG_DISTINCT: {
		const struct rf_strmap *ss = *s.set;
		if (!ss)
			return 0;
		if (!*d.set) {
			if (!(*d.set = malloc(sizeof **d.set)))
				return -ENOMEM;
			rf__strmap_init(*d.set);
		}
		for (size_t i = 0; i < ss->count; i++) {
			size_t len;
			const char *key = rf__strmap_key(ss, i, &len);
			int added;
			if (rf__strmap_put(*d.set, key, len, rf__hash_bytes(key, len), &added) < 0)
				return -ENOMEM;
		}
		return 0;
	}
	case RF_AGG_QUANTILE:
		if (!*s.sketch)
			return 0;
		if (!*d.sketch) {
			if (!(*d.sketch = malloc(sizeof **d.sketch)))
				return -ENOMEM;
			rf__sketch_init(*d.sketch);
		}
		return rf__sketch_merge(*d.sketch, *s.sketch);
	case RF_AGG_APPROX: {
		if (!*s.hll)
			return 0;
		int r = hll_cell(d.hll);
		return r < 0 ? r : rf__hll_merge(*d.hll, *s.hll);
	}
	case RF_AGG_STDDEV:
	case RF_AGG_VARIANCE:
	case RF_AGG_STDDEV_POP:
	case RF_AGG_VAR_POP: {
		struct var_cell *dv = d.var;
		const struct var_cell *sv = s.var;
		u128 lo = dv->s2lo + sv->s2lo;
		dv->s2hi += sv->s2hi + (lo < dv->s2lo);
		dv->s2lo = lo;
		dv->s1 += sv->s1;
		dv->n += sv->n;
		fsum_add(&dv->fs1, &dv->fc1, sv->fs1);
		dv->fc1 += sv->fc1;
		fsum_add(&dv->fs2, &dv->fc2, sv->fs2);
		dv->fc2 += sv->fc2;
		dv->has_float |= sv->has_float;
		return 0;
	}
	case RF_AGG_HISTOGRAM: {
		const struct hist *sh = *s.hist;
		if (!sh)
			return 0;
		for (uint32_t i = 0; i < sh->n; i++) {
			int r = hist_add(d.hist, sh->b[i].tag, sh->b[i].i, sh->b[i].d, sh->b[i].n);
			if (r < 0)
				return r;
		}
		if (sh->over)
			(*d.hist)->over = 1;
		return 0;
	}
	case RF_AGG_FIRST:
	case RF_AGG_LAST:
		if (!s.fl->has || !fl_better(as->func, d.fl, s.fl->input, s.fl->pos))
			return 0;
		return fl_set(d.fl, s.fl->p, s.fl->len, s.fl->input, s.fl->pos);
	}
	return 0;
}

void rf__agg_drop_index(struct rf_agg_state *st)
{
	rf__strmap_drop_index(&st->groups);
}

int rf__agg_merge(struct rf_agg_state *dst, const struct rf_agg_state *src)
{
	size_t naggs = (size_t)dst->cfg->naggs;
	if (dst->cfg->custom)
		return dst->cfg->custom->merge(dst->custom, src->custom);
	for (size_t g = 0; g < src->groups.count; g++) {
		/* a merge grows dst as input does: it keeps to the limit too */
		int room;
		if ((g & 0xffff) == 0xffff && (room = rf__agg_room(dst, 0)) < 0)
			return room;
		size_t len;
		const char *key = rf__strmap_key(&src->groups, g, &len);
		int64_t dg = group_of(dst, key, len);
		if (dg < 0)
			return (int)dg;
		for (size_t a = 0; a < naggs; a++) {
			int r = merge_cell(&dst->cfg->agg[a], cell_at(dst, (size_t)dg, (int)a), cell_at(src, g, (int)a));
			if (r < 0)
				return r;
		}
	}
	for (size_t a = 0; a < naggs; a++)
		dst->skipped[a] += src->skipped[a];
	for (int i = 0; i < dst->cfg->nkeys; i++)
		dst->key_skipped[i] += src->key_skipped[i];
	return 0;
}

/* An exact integer cell: an INT when it fits 64 bits, else its decimal
 * digits as a BIGINT (printed as the number it is). */
static int int_cell(struct rf_table *t, __int128 v, struct rf_cell *out)
{
	if (v >= INT64_MIN && v <= INT64_MAX) {
		out->type = RF_CELL_INT;
		out->u.i = (int64_t)v;
		return 0;
	}
	char buf[48], *p = buf + sizeof buf;
	unsigned __int128 u = v < 0 ? 0 - (unsigned __int128)v : (unsigned __int128)v;
	do {
		*--p = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	size_t len = (size_t)(buf + sizeof buf - p);
	if (!(out->u.str.s = rf__table_strdup(t, p, len)))
		return -ENOMEM;
	out->u.str.len = (uint32_t)len;
	out->type = RF_CELL_BIGINT;
	return 0;
}

/* The float part of a sum (an infinity leaves the compensation NaN). */
static long double float_part(const struct sum_cell *c)
{
	double s = c->fsum;
	return isfinite(s) ? (long double)s + c->fcomp : s;
}

/* The exact integer sum over n, rounded once to a double (twice when
 * it needs the long double path, which is still well within an ulp). */
static double int_avg(__int128 s, uint64_t n)
{
	const __int128 exact = (__int128)1 << 53;
	if (s >= -exact && s <= exact && n <= (uint64_t)exact)
		return (double)s / (double)n;
	__int128 q = s / (__int128)n, r = s % (__int128)n;
	return (double)((long double)q + (long double)r / (long double)n);
}

/* n * S2 - S1^2 of a var cell's integers, exactly (in 256 bits: four
 * 64-bit limbs, least first), as a long double.  Never negative. */
static long double var_exact_m(const struct var_cell *c)
{
	uint64_t a[3] = { (uint64_t)c->s2lo, (uint64_t)(c->s2lo >> 64), c->s2hi }, p[4] = { 0 }, q[4] = { 0 };
	u128 carry = 0;
	for (int i = 0; i < 3; i++) {
		u128 t = (u128)a[i] * c->n + carry;
		p[i] = (uint64_t)t;
		carry = t >> 64;
	}
	p[3] = (uint64_t)carry;
	u128 b = c->s1 < 0 ? (u128)0 - (u128)c->s1 : (u128)c->s1;
	uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
	/* (b1 2^64 + b0)^2 = b0^2 + 2 b0 b1 2^64 + b1^2 2^128 */
	u128 t0 = (u128)b0 * b0, t1 = (u128)b0 * b1, t2 = (u128)b1 * b1;
	uint64_t add[3][4] = { { (uint64_t)t0, (uint64_t)(t0 >> 64), 0, 0 },
			       { 0, (uint64_t)t1, (uint64_t)(t1 >> 64), 0 },
			       { 0, 0, (uint64_t)t2, (uint64_t)(t2 >> 64) } };
	for (int k = 0; k < 3; k++)
		for (int rep = 0; rep < (k == 1 ? 2 : 1); rep++) {
			u128 cy = 0;
			for (int i = 0; i < 4; i++) {
				u128 t = (u128)q[i] + add[k][i] + cy;
				q[i] = (uint64_t)t;
				cy = t >> 64;
			}
		}
	/* p - q */
	uint64_t m[4], borrow = 0;
	for (int i = 0; i < 4; i++) {
		u128 t = (u128)p[i] - q[i] - borrow;
		m[i] = (uint64_t)t;
		borrow = (uint64_t)(t >> 64) ? 1 : 0;
	}
	if (borrow)
		return 0; /* cannot be (Cauchy-Schwarz) */
	long double r = 0;
	for (int i = 3; i >= 0; i--)
		r = r * 18446744073709551616.0L + (long double)m[i];
	return r;
}

/* A variance-family result, or NaN when there are too few values. */
static double var_result(enum rf_agg_func f, const struct var_cell *c)
{
	int pop = f == RF_AGG_STDDEV_POP || f == RF_AGG_VAR_POP;
	if (c->n == 0 || (!pop && c->n < 2))
		return NAN;
	long double n = (long double)c->n, v;
	if (!c->has_float) {
		v = var_exact_m(c) / (n * (pop ? n : n - 1));
	} else if (!isfinite(c->fs1) || !isfinite(c->fs2)) {
		v = isnan(c->fs1) || isnan(c->fs2) ? NAN : INFINITY;
	} else {
		/* in quadruple precision (113 bits): the sums and the
		 * compensations together hold about 106 bits, so S2 - S1^2 / n
		 * loses only what cancels past them (one value: nothing) */
		__float128 s1 = (__float128)c->s1 + (__float128)c->fs1 + (__float128)c->fc1;
		__float128 s2 = ((__float128)c->s2hi * 18446744073709551616.0Q * 18446744073709551616.0Q +
				 (__float128)c->s2lo) +
				(__float128)c->fs2 + (__float128)c->fc2;
		__float128 q = (s2 - s1 * s1 / (__float128)c->n) / (__float128)(pop ? c->n : c->n - 1);
		v = q < 0 ? 0 : (long double)q;
	}
	if (f == RF_AGG_STDDEV || f == RF_AGG_STDDEV_POP)
		v = sqrtl(v);
	return (double)v;
}

/* total: the counts of every group together (for pct) */
static int cell_result(struct rf_table *t, const struct rf_agg_spec *as, union cell c, uint64_t total,
		       struct rf_cell *out)
{
	out->type = RF_CELL_NULL;
	switch (as->func) {
	case RF_AGG_COUNT:
		if (as->pct) {
			if (total) {
				out->type = RF_CELL_DBL;
				out->u.d = (double)((long double)*c.n * 100 / (long double)total);
			}
			break;
		}
		out->type = RF_CELL_INT;
		out->u.i = (int64_t)*c.n;
		break;
	case RF_AGG_APPROX:
		out->type = RF_CELL_INT;
		out->u.i = *c.hll ? (int64_t)rf__hll_estimate(*c.hll) : 0;
		break;
	case RF_AGG_HISTOGRAM: {
		const struct hist *h = *c.hist;
		if (!h)
			break;
		if (h->over)
			return -EDOM;
		/* LOWER:COUNT, space-separated, bounds ascending */
		char *buf = malloc((size_t)h->n * 56 + 1);
		if (!buf)
			return -ENOMEM;
		size_t len = 0;
		for (uint32_t i = 0; i < h->n; i++) {
			if (i)
				buf[len++] = ' ';
			if (h->b[i].tag == TAG_INT)
				len += (size_t)sprintf(buf + len, "%lld", (long long)h->b[i].i);
			else
				len += (size_t)rf__format_double(h->b[i].d, buf + len, 32);
			len += (size_t)sprintf(buf + len, ":%llu", (unsigned long long)h->b[i].n);
		}
		out->u.str.s = rf__table_strdup(t, buf, len);
		free(buf);
		if (!out->u.str.s)
			return -ENOMEM;
		out->u.str.len = (uint32_t)len;
		out->type = RF_CELL_STR;
		out->plain = (uint8_t)rf__plain_text(out->u.str.s, out->u.str.len);
		break;
	}
	case RF_AGG_FIRST:
	case RF_AGG_LAST:
		if (!c.fl->has)
			break;
		if (!(out->u.str.s = rf__table_strdup(t, c.fl->p, c.fl->len)))
			return -ENOMEM;
		out->u.str.len = c.fl->len;
		out->type = RF_CELL_STR;
		out->plain = (uint8_t)rf__plain_text(out->u.str.s, out->u.str.len);
		break;
	case RF_AGG_STDDEV:
	case RF_AGG_VARIANCE:
	case RF_AGG_STDDEV_POP:
	case RF_AGG_VAR_POP: {
		double v = var_result(as->func, c.var);
		if (!isnan(v)) {
			out->type = RF_CELL_DBL;
			out->u.d = v;
		}
		break;
	}
	case RF_AGG_SUM:
		if (!c.sum->has_float)
			return int_cell(t, c.sum->isum, out);
		out->type = RF_CELL_DBL;
		out->u.d = (double)((long double)c.sum->isum + float_part(c.sum));
		break;
	case RF_AGG_AVG:
		if (c.sum->n) {
			out->type = RF_CELL_DBL;
			out->u.d = c.sum->has_float
					   ? (double)(((long double)c.sum->isum + float_part(c.sum)) / c.sum->n)
					   : int_avg(c.sum->isum, c.sum->n);
		}
		break;
	case RF_AGG_MIN:
	case RF_AGG_MAX:
		if (!c.mm->has)
			break;
		if (c.mm->is_int)
			return int_cell(t, c.mm->i, out);
		out->type = RF_CELL_DBL;
		out->u.d = c.mm->d;
		break;
	case RF_AGG_DISTINCT:
		out->type = RF_CELL_INT;
		out->u.i = *c.set ? (int64_t)(*c.set)->count : 0;
		break;
	case RF_AGG_QUANTILE:
		if (*c.sketch && (*c.sketch)->count) {
			double v = rf__sketch_quantile(*c.sketch, as->q);
			out->type = RF_CELL_DBL;
			out->u.d = v;
			/* a quantile of integers that lands on one prints as one */
			if (v == floor(v) && fabs(v) < 9e15) {
				out->type = RF_CELL_INT;
				out->u.i = (int64_t)v;
			}
		}
		break;
	}
	return 0;
}

/* The first n key cells of group g, from its encoding.  The strings point
 * into the state: no copy of every key. */
static void key_cells(const struct rf_agg_state *st, size_t g, struct rf_cell *row, int n)
{
	size_t len;
	const char *p = rf__strmap_key(&st->groups, g, &len), *end = p + len;
	for (int i = 0; i < n; i++) {
		memset(&row[i], 0, sizeof row[i]);
		if (p >= end)
			continue;
		int tag = *p++;
		if (tag == TAG_STR) {
			uint32_t l;
			memcpy(&l, p, 4);
			row[i].type = RF_CELL_STR;
			row[i].u.str.s = p + 4;
			row[i].u.str.len = l;
			p += 4 + l;
		} else if (tag == TAG_TIME) {
			row[i].type = RF_CELL_TIME;
			/* a day bucket prints as a date */
			row[i].plain = st->cfg->key[i].kind == RF_KEY_BUCKET && st->cfg->key[i].bucket_s % 86400 == 0;
			memcpy(&row[i].u.i, p, 8);
			p += 8;
		} else if (tag == TAG_INT) {
			row[i].type = RF_CELL_INT;
			memcpy(&row[i].u.i, p, 8);
			p += 8;
		} else if (tag == TAG_DBL) {
			row[i].type = RF_CELL_DBL;
			memcpy(&row[i].u.d, p, 8);
			p += 8;
		}
	}
}

/* Groups in the order of their keys (then by index: never reached, as
 * distinct groups differ in some key). */
static int group_cmp(void *user, uint32_t a, uint32_t b)
{
	const struct rf_agg_state *st = user;
	struct rf_cell ca[RF_MAX_KEYS], cb[RF_MAX_KEYS];
	int n = st->cfg->nkeys;
	key_cells(st, a, ca, n);
	key_cells(st, b, cb, n);
	for (int k = 0; k < n; k++) {
		int c = rf__cell_cmp(&ca[k], &cb[k]);
		if (c)
			return c;
	}
	return (a > b) - (a < b);
}

void rf__agg_set_input_base(struct rf_agg_state *st, uint32_t base)
{
	st->input_base = base;
}

void rf__agg_set_limit(struct rf_agg_state *st, uint64_t limit, int statm_fd)
{
	st->limit = limit;
	st->statm_fd = statm_fd;
}

void rf__agg_limit_adjust(struct rf_agg_state *st, int64_t delta)
{
	if (st->limit)
		st->limit = (uint64_t)((int64_t)st->limit + delta);
}

uint64_t rf__agg_at_limit(const struct rf_agg_state *st)
{
	return st->at_limit;
}

/* Whether `more` bytes still fit under the limit: else -EOVERFLOW, with the
 * figure they would have reached kept for the message. */
int rf__agg_room(struct rf_agg_state *st, uint64_t more)
{
	if (!st->limit || st->statm_fd < 0)
		return 0;
	uint64_t now = rf__resident_bytes(st->statm_fd);
	if (now + more <= st->limit)
		return 0;
	st->at_limit = now + more;
	return -EOVERFLOW;
}

size_t rf__agg_bytes(const struct rf_agg_state *st)
{
	const struct rf_agg_config *cfg = st->cfg;
	size_t n = sizeof *st + rf__strmap_bytes(&st->groups) + st->groups.count * st->row + st->keybuf_cap;
	for (int a = 0; a < cfg->naggs; a++) {
		if (cfg->agg[a].func != RF_AGG_DISTINCT && cfg->agg[a].func != RF_AGG_QUANTILE &&
		    cfg->agg[a].func != RF_AGG_APPROX && cfg->agg[a].func != RF_AGG_FIRST &&
		    cfg->agg[a].func != RF_AGG_LAST && cfg->agg[a].func != RF_AGG_HISTOGRAM)
			continue;
		for (size_t g = 0; g < st->groups.count; g++) {
			union cell c = cell_at(st, g, a);
			if (cfg->agg[a].func == RF_AGG_APPROX && *c.hll)
				n += rf__hll_bytes(*c.hll);
			else if (cfg->agg[a].func == RF_AGG_FIRST || cfg->agg[a].func == RF_AGG_LAST)
				n += c.fl->len;
			else if (cfg->agg[a].func == RF_AGG_HISTOGRAM && *c.hist)
				n += sizeof **c.hist + (*c.hist)->cap * sizeof(struct hbucket);
			else if (cfg->agg[a].func == RF_AGG_DISTINCT && *c.set)
				n += sizeof **c.set + rf__strmap_bytes(*c.set);
			else if (cfg->agg[a].func == RF_AGG_QUANTILE && *c.sketch)
				n += sizeof **c.sketch + ((size_t)(*c.sketch)->pos.cap + (*c.sketch)->neg.cap) *
								 sizeof(struct rf_sketch_page);
		}
	}
	return n;
}

int rf__agg_table(const struct rf_agg_state *st, struct rf_table **out)
{
	return rf__agg_result((struct rf_agg_state *)st, 0, out);
}

int rf__agg_result(struct rf_agg_state *st, int flags, struct rf_table **out)
{
	const struct rf_agg_config *cfg = st->cfg;
	if (cfg->custom)
		return cfg->custom->result(st->custom, out);
	const char *names[RF_MAX_KEYS + RF_MAX_AGGS];
	int ncols = 0;
	for (int i = 0; i < cfg->nkeys; i++)
		names[ncols++] = cfg->key[i].label;
	for (int i = 0; i < cfg->naggs; i++)
		names[ncols++] = cfg->agg[i].label;
	struct rf_table *t = rf__table_new(ncols, cfg->nkeys, names);
	if (!t)
		return -ENOMEM;
	size_t naggs = (size_t)cfg->naggs;
	/* no input at all: one row of empty cells (a sum's is the largest) */
	_Alignas(16) char empty[RF_MAX_AGGS * sizeof(struct var_cell)];
	memset(empty, 0, sizeof empty);
	size_t groups = st->groups.count;
	if (cfg->nkeys == 0 && groups == 0)
		groups = 1; /* no input at all: count 0, the rest empty */
	/* the result must fit too: its cells, and the entries that sort it */
	if (flags & RF_AGG_FINAL)
		rf__strmap_drop_index(&st->groups);
	int r = rf__agg_room(st, groups * (size_t)ncols * sizeof(struct rf_cell) + groups * 12);
	if (r == 0)
		r = rf__table_reserve(t, groups);
	if (r < 0) {
		rf__table_free(t);
		return r;
	}
	/* sorted by key: the groups are sorted first, on a prefix of their
	 * first key read once each, and the rows built in that order */
	struct rf_sort_entry *order = NULL;
	if (!(flags & RF_AGG_UNSORTED) && cfg->nkeys && groups > 1) {
		if (!(order = malloc(groups * sizeof *order))) {
			rf__table_free(t);
			return -ENOMEM;
		}
		for (size_t g = 0; g < groups; g++) {
			struct rf_cell c[RF_MAX_KEYS];
			key_cells(st, g, c, 1);
			order[g] = (struct rf_sort_entry){ rf__cell_prefix(&c[0]), (uint32_t)g };
		}
		rf__sort_entries(order, groups, group_cmp, st);
		/* only the order is needed now: 4 bytes a group, not 12 (in place:
		 * entry i is read before anything is written over it) */
		for (size_t i = 0; i < groups; i++) {
			uint32_t row = order[i].row;
			memcpy((char *)order + i * 4, &row, 4);
		}
		void *shrunk = realloc(order, groups * 4);
		if (shrunk)
			order = shrunk;
	}
	/* pct: each count's share of them all */
	uint64_t total[RF_MAX_AGGS] = { 0 };
	for (size_t a = 0; a < naggs; a++)
		for (size_t g = 0; cfg->agg[a].pct && g < st->groups.count; g++)
			total[a] += *cell_at(st, g, (int)a).n;
	const uint32_t *idx = (const uint32_t *)(void *)order;
	for (size_t i = 0; i < groups; i++) {
		size_t g = idx ? idx[i] : i;
		if (idx && i + 8 < groups) { /* the groups ahead are far apart in memory */
			size_t ahead = idx[i + 8];
			__builtin_prefetch(&st->groups.loc[ahead]);
			__builtin_prefetch(st->cells + ahead * st->row);
			if (i + 4 < groups)
				__builtin_prefetch(st->groups.keys + (st->groups.loc[idx[i + 4]] >> 24));
		}
		struct rf_cell *row = rf__table_add_row(t);
		if (!row) {
			free(order);
			rf__table_free(t);
			return -ENOMEM;
		}
		if (st->groups.count)
			key_cells(st, g, row, cfg->nkeys);
		for (int k = 0; k < cfg->nkeys; k++)
			if (row[k].type == RF_CELL_STR)
				row[k].plain = (uint8_t)rf__plain_text(row[k].u.str.s, row[k].u.str.len);
		for (size_t a = 0; a < naggs; a++) {
			union cell c = !st->groups.count ? (union cell){ .p = empty + st->off[a] }
				       : cfg->agg[a].func == RF_AGG_QUANTILE ? quantile_cell(st, g, (int)a)
				       : cell_at(st, g, (int)a);
			if ((r = cell_result(t, &cfg->agg[a], c, total[a], &row[cfg->nkeys + (int)a])) < 0) {
				free(order);
				rf__table_free(t);
				return r;
			}
		}
	}
	free(order);
	*out = t;
	return 0;
}

/* ---- the partial-aggregate format ----------------------------------------
 *
 * How one process hands its aggregate state to another (multiprocess mode
 * today; other machines later).  All integers little-endian.
 *
 *   0   8  magic "RFAGG" 0x00, then the format version as a u16 (5)
 *   8   8  fingerprint: a hash of the aggregate's column names, so a state
 *          is only ever merged into the same query's state
 *   16  8  payload length in bytes
 *   24  8  checksum (rf__agg_payload_sum) of the payload's head: all of it
 *          before the groups
 *   32     payload:
 *          u32 naggs, u32 nkeys, u64 skipped[naggs], u64 key_skipped[nkeys]
 *          (number bucket keys), u64 ngroups, u8 bits (0 to 16), then 2^bits
 *          parts: u64 the offset in the groups where part k ends (part k
 *          begins where k - 1 ends, part 0 at 0), u64 the checksum of part
 *          k's bytes; then the groups.  They are sorted by o, the
 *          rf__hash_bytes of their key with its two 32-bit halves swapped
 *          (equal ones by the key's bytes, then its length), part k holding
 *          those whose top `bits` bits of o are k (about 16 a part).  Each
 *          group: u64 the length of the rest of it, u32 key length, the key
 *          (the group encoding), and one
 *          cell per aggregate:
 *            count      u64 n
 *            sum, avg   u64 n, i128 exact sum of the integers, f64 sum of the
 *                       other numbers, f64 its compensation, u8 other numbers seen
 *            min, max   u8 has, u8 is integer, i128, f64
 *            distinct   u64 values, then each: u32 length, bytes
 *            quantile   u8 present; then v count, v zeros, v -inf, v +inf,
 *                       f64 min, f64 max,
 *                       u8 all integers, and for the positive then the negative
 *                       store: v pages, then per page (ascending) v its page
 *                       number less the previous one's plus one (the first's
 *                       own number), u16 a mask of its non-empty buckets and
 *                       a v count for each of them
 *            approx_distinct
 *                       u8 0 (no value), 1 sparse: u32 n, n distinct non-zero
 *                       u64 hashes (n <= 1024), or 2 dense: 16384 registers
 *            stddev, variance, stddev_pop, var_pop
 *                       u64 n, i128 sum of the 64-bit integers, u128 and u64 the
 *                       low and high parts of the sum of their squares, f64 sum
 *                       of the other numbers, f64 its compensation, f64 sum of
 *                       their squares, f64 its compensation, u8 other numbers seen
 *            first, last
 *                       u8 has; then u32 input, u64 offset in it, u32 length,
 *                       the value's bytes
 *            histogram  u32 buckets, u8 over the limit, then per bucket: u8 3
 *                       and an i64 bound or u8 4 and an f64 bound, u64 count
 *            pct        as count
 *
 * "v" is a LEB128 varint (7 bits a byte, low first, at most 10 bytes):
 * most sketch counts are small, and the sketches are nearly all of a
 * big state's bytes, which `ringflow merge` reads a thousand times over.
 *
 * The parts are for `ringflow merge` of many states: it merges them a
 * part at a time, all the states' groups of that part into a small state
 * that stays in the cache, instead of each state in turn into one state
 * far larger than the cache (rf__agg_decode_merge_many).  A part's
 * checksum is checked as the merge comes to it, with its bytes on their
 * way to the cache anyway.
 *
 * Versions 1 (64-bit integer sums, dense sketch buckets), 2 (no
 * approx_distinct or variance), 3 (fixed-width sketch fields, a one-lane
 * checksum) and 4 (groups in no order, one checksum) are not read: the
 * parent and its workers are always the same binary, and partial files
 * say which ringflow made them.
 */

#define PARTIAL_MAGIC "RFAGG\0\5\0"
#define PARTIAL_VERSION 5
#define PARTIAL_HEADER 32
#define PART_GROUPS 16
#define PART_BITS_MAX 16

struct outbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void put_bytes(struct outbuf *o, const void *p, size_t n)
{
	if (o->err)
		return;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 1 << 16;
		while (cap < o->len + n)
			cap *= 2;
		char *np = realloc(o->p, cap);
		if (!np) {
			o->err = -ENOMEM;
			return;
		}
		o->p = np;
		o->cap = cap;
	}
	if (n)
		memcpy(o->p + o->len, p, n);
	o->len += n;
}

#define PUT(o, v) put_bytes(o, &(v), sizeof(v))

static void put_varint(struct outbuf *o, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;
	while (v >= 0x80) {
		b[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (unsigned char)v;
	put_bytes(o, b, n);
}

/* The payload's checksum: rf__hash_bytes's step in four lanes of 8 bytes
 * each, which do not wait on one another's multiply, so a merge of a
 * thousand partials checks them at memory speed rather than at one
 * multiply's latency per word. */
uint64_t rf__agg_payload_sum(const char *p, size_t n)
{
	uint64_t h[4] = { 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL), 0x243f6a8885a308d3ULL,
			  0x13198a2e03707344ULL, 0xa4093822299f31d0ULL };
	for (; n >= 32; p += 32, n -= 32)
		for (int l = 0; l < 4; l++) {
			uint64_t w;
			memcpy(&w, p + 8 * l, 8);
			h[l] = (h[l] ^ w) * 0x87c37b91114253d5ULL;
			h[l] = h[l] << 31 | h[l] >> 33;
		}
	uint64_t all = rf__hash_bytes(p, n);
	for (int l = 0; l < 4; l++)
		all = (all ^ h[l]) * 0x4cf5ad432745937fULL + (uint64_t)l;
	return rf__hash_bytes(&all, sizeof all);
}

static uint64_t fingerprint(const struct rf_agg_config *cfg)
{
	uint64_t h = (uint64_t)cfg->nkeys * 131 + (uint64_t)cfg->naggs;
	for (int i = 0; i < cfg->nkeys; i++)
		h ^= rf__hash_bytes(cfg->key[i].label, strlen(cfg->key[i].label)) + (uint64_t)i;
	for (int i = 0; i < cfg->naggs; i++)
		h ^= rf__hash_bytes(cfg->agg[i].label, strlen(cfg->agg[i].label)) * 3 + (uint64_t)i;
	return h;
}

_Static_assert(RF_SKETCH_PAGE == 16, "a page's mask is a u16");

static void put_store(struct outbuf *o, const struct rf_sketch_store *s)
{
	put_varint(o, s->npages);
	uint32_t next = 0;
	for (uint32_t p = 0; p < s->npages; p++) {
		const uint64_t *c = s->pages[p].counts;
		uint16_t mask = 0;
		for (int i = 0; i < RF_SKETCH_PAGE; i++)
			if (c[i])
				mask |= (uint16_t)(1u << i);
		put_varint(o, s->pages[p].no - next);
		next = s->pages[p].no + 1;
		PUT(o, mask);
		for (int i = 0; i < RF_SKETCH_PAGE; i++)
			if (c[i])
				put_varint(o, c[i]);
	}
}

/* Group g's cells, as the format has them. */
static void put_cells(struct outbuf *o, const struct rf_agg_state *st, size_t g)
{
	const struct rf_agg_config *cfg = st->cfg;
	uint32_t naggs = (uint32_t)cfg->naggs;
	for (uint32_t a = 0; a < naggs; a++) {
		union cell c = cell_at(st, g, (int)a);
		switch (cfg->agg[a].func) {
		case RF_AGG_COUNT:
			PUT(o, *c.n);
			break;
		case RF_AGG_SUM:
		case RF_AGG_AVG:
			PUT(o, c.sum->n);
			PUT(o, c.sum->isum);
			PUT(o, c.sum->fsum);
			PUT(o, c.sum->fcomp);
			PUT(o, c.sum->has_float);
			break;
		case RF_AGG_MIN:
		case RF_AGG_MAX: {
			/* the flags in one byte: 0 or 1 is what version 2
			 * always had (no integer part known of a fraction) */
			uint8_t flags = (uint8_t)(c.mm->is_int | (!c.mm->is_int && c.mm->exact) << 1 | c.mm->frac << 2);
			PUT(o, c.mm->has);
			PUT(o, flags);
			PUT(o, c.mm->i);
			PUT(o, c.mm->d);
			break;
		}
		case RF_AGG_DISTINCT: {
			uint64_t n = *c.set ? (*c.set)->count : 0;
			PUT(o, n);
			for (uint64_t i = 0; i < n; i++) {
				size_t l;
				const char *v = rf__strmap_key(*c.set, i, &l);
				uint32_t l32 = (uint32_t)l;
				PUT(o, l32);
				put_bytes(o, v, l);
			}
			break;
		}
		case RF_AGG_QUANTILE: {
			uint8_t present = *c.sketch != NULL;
			PUT(o, present);
			if (!present)
				break;
			const struct rf_sketch *s = *c.sketch;
			uint8_t all_int = (uint8_t)s->all_int;
			put_varint(o, s->count);
			put_varint(o, s->zero);
			put_varint(o, s->ninf);
			put_varint(o, s->pinf);
			PUT(o, s->min);
			PUT(o, s->max);
			PUT(o, all_int);
			put_store(o, &s->pos);
			put_store(o, &s->neg);
			break;
		}
		case RF_AGG_APPROX: {
			const struct rf_hll *h = *c.hll;
			uint8_t kind = !h ? 0 : h->reg ? 2 : 1;
			PUT(o, kind);
			if (kind == 2) {
				put_bytes(o, h->reg, RF_HLL_M);
			} else if (kind == 1) {
				PUT(o, h->n);
				for (uint32_t i = 0; i < h->cap; i++)
					if (h->set[i])
						PUT(o, h->set[i]);
			}
			break;
		}
		case RF_AGG_HISTOGRAM: {
			const struct hist *h = *c.hist;
			uint32_t nb = h ? h->n : 0;
			uint8_t over = h ? h->over : 0;
			PUT(o, nb);
			PUT(o, over);
			for (uint32_t i = 0; i < nb; i++) {
				PUT(o, h->b[i].tag);
				if (h->b[i].tag == TAG_INT)
					PUT(o, h->b[i].i);
				else
					PUT(o, h->b[i].d);
				PUT(o, h->b[i].n);
			}
			break;
		}
		case RF_AGG_FIRST:
		case RF_AGG_LAST:
			PUT(o, c.fl->has);
			if (c.fl->has) {
				PUT(o, c.fl->input);
				PUT(o, c.fl->pos);
				PUT(o, c.fl->len);
				put_bytes(o, c.fl->p, c.fl->len);
			}
			break;
		case RF_AGG_STDDEV:
		case RF_AGG_VARIANCE:
		case RF_AGG_STDDEV_POP:
		case RF_AGG_VAR_POP:
			PUT(o, c.var->n);
			PUT(o, c.var->s1);
			PUT(o, c.var->s2lo);
			PUT(o, c.var->s2hi);
			PUT(o, c.var->fs1);
			PUT(o, c.var->fc1);
			PUT(o, c.var->fs2);
			PUT(o, c.var->fc2);
			PUT(o, c.var->has_float);
			break;
		}
	}
}

/* Where an encoded state's groups go: sorted by their key's hash turned
 * by half its width (ties by the key's bytes), cut into 2^bits parts by
 * the top bits of that.  Turned, because the maps the groups go to place
 * a key by the top bits of its hash: the keys of one part would all want
 * the same place there. */
static inline uint64_t part_order(uint64_t h)
{
	return h << 32 | h >> 32;
}

static int entry_cmp(uint64_t ha, const char *ka, size_t la, uint64_t hb, const char *kb, size_t lb)
{
	if (ha != hb)
		return ha < hb ? -1 : 1;
	int c = memcmp(ka, kb, la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

struct enc_entry {
	uint64_t h;
	uint32_t g;
};

static int enc_cmp(const void *a, const void *b, void *user)
{
	const struct enc_entry *x = a, *y = b;
	const struct rf_strmap *m = user;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	size_t lx, ly;
	const char *kx = rf__strmap_key(m, x->g, &lx), *ky = rf__strmap_key(m, y->g, &ly);
	return entry_cmp(x->h, kx, lx, y->h, ky, ly);
}

/* The part bits of a state of n groups: about PART_GROUPS groups a part. */
static unsigned part_bits(uint64_t n)
{
	unsigned b = 0;
	while (b < PART_BITS_MAX && ((uint64_t)PART_GROUPS << b) < n)
		b++;
	return b;
}

static uint64_t load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int rf__agg_encode(const struct rf_agg_state *st, char **out, size_t *out_len)
{
	const struct rf_agg_config *cfg = st->cfg;
	if (cfg->custom)
		return cfg->custom->encode(st->custom, out, out_len);
	struct outbuf o = { 0 };
	char header[PARTIAL_HEADER] = { 0 };
	put_bytes(&o, header, sizeof header);
	uint32_t naggs = (uint32_t)cfg->naggs, nkeys = (uint32_t)cfg->nkeys;
	PUT(&o, naggs);
	PUT(&o, nkeys);
	put_bytes(&o, st->skipped, naggs * sizeof *st->skipped);
	put_bytes(&o, st->key_skipped, nkeys * sizeof *st->key_skipped);
	uint64_t ngroups = st->groups.count;
	PUT(&o, ngroups);
	uint8_t bits = (uint8_t)part_bits(ngroups);
	PUT(&o, bits);
	size_t nparts = (size_t)1 << bits, dir = o.len;
	char zero[16] = { 0 };
	for (size_t k = 0; k < nparts; k++)
		put_bytes(&o, zero, sizeof zero);
	size_t groups_at = o.len;
	struct enc_entry *order = malloc((ngroups ? ngroups : 1) * sizeof *order);
	uint64_t *ends = calloc(nparts, sizeof *ends);
	if (!order || !ends)
		o.err = -ENOMEM;
	for (size_t g = 0; g < ngroups && !o.err; g++) {
		size_t kl;
		const char *key = rf__strmap_key(&st->groups, g, &kl);
		order[g] = (struct enc_entry){ part_order(rf__hash_bytes(key, kl)), (uint32_t)g };
	}
	if (!o.err)
		qsort_r(order, ngroups, sizeof *order, enc_cmp, (void *)&st->groups);
	for (size_t i = 0; i < ngroups && !o.err; i++) {
		size_t g = order[i].g, kl, at = o.len;
		const char *key = rf__strmap_key(&st->groups, g, &kl);
		uint64_t elen = 0;
		uint32_t kl32 = (uint32_t)kl;
		PUT(&o, elen);
		PUT(&o, kl32);
		put_bytes(&o, key, kl);
		put_cells(&o, st, g);
		if (o.err)
			break;
		elen = o.len - at - 8;
		memcpy(o.p + at, &elen, 8);
		ends[bits ? order[i].h >> (64 - bits) : 0] = o.len - groups_at;
	}
	if (o.err) {
		free(order);
		free(ends);
		free(o.p);
		return o.err;
	}
	/* each part's end (an empty part ends where the one before it did)
	 * and the checksum of its bytes */
	for (size_t k = 0, from = 0; k < nparts; k++) {
		if (ends[k] < from)
			ends[k] = from;
		uint64_t sum = rf__agg_payload_sum(o.p + groups_at + from, ends[k] - from);
		memcpy(o.p + dir + 16 * k, &ends[k], 8);
		memcpy(o.p + dir + 16 * k + 8, &sum, 8);
		from = ends[k];
	}
	free(order);
	free(ends);
	uint64_t fp = fingerprint(cfg), plen = o.len - PARTIAL_HEADER;
	uint64_t sum = rf__agg_payload_sum(o.p + PARTIAL_HEADER, groups_at - PARTIAL_HEADER);
	memcpy(o.p, PARTIAL_MAGIC, 8);
	memcpy(o.p + 8, &fp, 8);
	memcpy(o.p + 16, &plen, 8);
	memcpy(o.p + 24, &sum, 8);
	*out = o.p;
	*out_len = o.len;
	return 0;
}

struct inbuf {
	const char *p, *end;
	int bad;
	const char *limit;      /* readable up to here (past end: a state's end), or NULL */
};

static void get_bytes(struct inbuf *in, void *dst, size_t n)
{
	if (in->bad || (size_t)(in->end - in->p) < n) {
		in->bad = 1;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, in->p, n);
	in->p += n;
}

#define GET(in, v) get_bytes(in, &(v), sizeof(v))

/* A varint as put_varint writes it: no more than 64 bits. */
static inline uint64_t get_varint(struct inbuf *in)
{
	if (in->p < in->end && !(*in->p & 0x80))
		return (unsigned char)*in->p++;
	uint64_t v = 0;
	for (unsigned shift = 0; !in->bad; shift += 7) {
		if (in->p == in->end || shift > 63) {
			in->bad = 1;
			break;
		}
		unsigned char b = (unsigned char)*in->p++;
		if (shift == 63 && b > 1) {
			in->bad = 1;
			break;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	return 0;
}

/* A store as put_store writes it (pages in range, ascending, none empty,
 * no empty bucket, no count that overflows the total), its counts added
 * straight into dst's: no scratch sketch is built and freed a group.
 * *held gets the values it held.  The loop is the inner loop of a merge
 * of many states: a page with its bytes surely at hand (a page takes at
 * most STORE_PAGE_MAX bytes) is read with no bounds checks, its one-byte
 * varints (nearly all of them) without a call. */
#define STORE_PAGE_MAX (10 + 2 + RF_SKETCH_PAGE * 10)

static inline uint64_t varint_at(const unsigned char **pp, int *bad)
{
	const unsigned char *p = *pp;
	if (!(*p & 0x80)) {
		*pp = p + 1;
		return *p;
	}
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7, p++) {
		if (shift == 63 && *p > 1)
			break;
		v |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p & 0x80)) {
			*pp = p + 1;
			return v;
		}
	}
	*bad = 1;
	return 0;
}

static int get_store_into(struct inbuf *in, struct rf_sketch_store *dst, uint64_t *held)
{
	uint64_t npages = get_varint(in), total = 0, no = 0;
	if (in->bad || npages > RF_SKETCH_PAGES)
		return -EBADMSG;
	int bad = 0;
	for (uint64_t p = 0; p < npages; p++) {
		uint16_t mask;
		uint64_t skip;
		if ((in->limit ? in->limit : in->end) - in->p >= STORE_PAGE_MAX) {
			const unsigned char *q = (const unsigned char *)in->p;
			skip = varint_at(&q, &bad);
			memcpy(&mask, q, 2);
			q += 2;
			if (bad || skip >= RF_SKETCH_PAGES || (no += skip) >= RF_SKETCH_PAGES || !mask)
				return -EBADMSG;
			uint64_t *c = rf__sketch_store_page_fast(dst, (uint32_t)no);
			if (!c)
				return -ENOMEM;
			uint64_t sum = 0;
			for (; mask; mask &= (uint16_t)(mask - 1)) {
				uint64_t n = varint_at(&q, &bad);
				/* a count is never 0, nor (with the sum below) past
				 * the total's 64 bits */
				bad |= !n | __builtin_add_overflow(sum, n, &sum);
				c[__builtin_ctz(mask)] += n;
			}
			if (bad || __builtin_add_overflow(total, sum, &total) || (const char *)q > in->end)
				return -EBADMSG;
			in->p = (const char *)q;
			no++;
			continue;
		}
		skip = get_varint(in);
		GET(in, mask);
		if (in->bad || skip >= RF_SKETCH_PAGES || (no += skip) >= RF_SKETCH_PAGES || !mask)
			return -EBADMSG;
		uint64_t *c = rf__sketch_store_page(dst, (uint32_t)no);
		if (!c)
			return -ENOMEM;
		for (; mask; mask &= (uint16_t)(mask - 1)) {
			uint64_t n = get_varint(in);
			if (in->bad || !n || __builtin_add_overflow(total, n, &total))
				return -EBADMSG;
			c[__builtin_ctz(mask)] += n;
		}
		no++;
	}
	*held = total;
	if (__builtin_add_overflow(dst->total, total, &dst->total))
		return -EBADMSG;
	return 0;
}

/* A decoded group key must be what the encoder writes: nkeys tagged
 * values (missing; a string with its u32 length; an i64 time), filling the
 * key exactly.  The result table reads keys trusting that. */
static int key_ok(const char *p, size_t len, int nkeys)
{
	const char *end = p + len;
	for (int i = 0; i < nkeys; i++) {
		if (p >= end)
			return 0;
		int tag = *p++;
		if (tag == TAG_STR) {
			uint32_t l;
			if (end - p < 4)
				return 0;
			memcpy(&l, p, 4);
			if ((size_t)(end - p - 4) < l)
				return 0;
			p += 4 + l;
		} else if (tag == TAG_TIME || tag == TAG_INT || tag == TAG_DBL) {
			if (end - p < 8)
				return 0;
			if (tag == TAG_DBL) {
				double d;
				memcpy(&d, p, 8);
				if (!isfinite(d))
					return 0;
			}
			p += 8;
		} else if (tag != TAG_MISSING) {
			return 0;
		}
	}
	return p == end;
}

/* One group's cells (at in), merged into group dg of dst: quantile
 * sketches straight into dst's, the other cells read into the one group of
 * the scratch state src first. */
static int decode_cells(struct rf_agg_state *dst, size_t dg, struct rf_agg_state *src, struct inbuf *in)
{
	const struct rf_agg_config *cfg = dst->cfg;
	uint32_t naggs = (uint32_t)cfg->naggs;
	int r = 0;
	clear_group(src, 0);
	for (uint32_t a = 0; a < naggs && r == 0; a++) {
		union cell c = cell_at(src, 0, (int)a);
		switch (cfg->agg[a].func) {
		case RF_AGG_COUNT:
			GET(in, *c.n);
			break;
		case RF_AGG_SUM:
		case RF_AGG_AVG:
			GET(in, c.sum->n);
			GET(in, c.sum->isum);
			GET(in, c.sum->fsum);
			GET(in, c.sum->fcomp);
			GET(in, c.sum->has_float);
			if (c.sum->has_float > 1)
				in->bad = 1;
			break;
		case RF_AGG_MIN:
		case RF_AGG_MAX: {
			uint8_t flags;
			GET(in, c.mm->has);
			GET(in, flags);
			GET(in, c.mm->i);
			GET(in, c.mm->d);
			c.mm->is_int = flags & 1;
			c.mm->exact = c.mm->is_int || flags >> 1 & 1;
			c.mm->frac = flags >> 2 & 1;
			/* known flags, a fraction only with its integer part,
			 * and a kept double is never NaN (it would compare
			 * neither way) */
			if (c.mm->has > 1 || flags > 6 || (flags & 5) == 5 || (flags & 6) == 4 ||
			    (c.mm->has && !c.mm->is_int && isnan(c.mm->d)))
				in->bad = 1;
			break;
		}
		case RF_AGG_DISTINCT: {
			uint64_t nv;
			GET(in, nv);
			for (uint64_t i = 0; i < nv && !in->bad; i++) {
				uint32_t l;
				GET(in, l);
				if (in->bad || (size_t)(in->end - in->p) < l) {
					in->bad = 1;
					break;
				}
				struct num_memo memo = { .valid = 0 };
				r = add_value(src, (int)a, c, (struct rf_value){ in->p, (int32_t)l }, &memo);
				in->p += l;
				if (r < 0)
					break;
			}
			break;
		}
		case RF_AGG_QUANTILE: {
			/* straight into dst's sketch: a scratch one, its
			 * pages allocated and freed for every group, cost
			 * more than the merge (and most of it in the kernel) */
			uint8_t present, all_int;
			GET(in, present);
			if (!present)
				break;
			if (dst->qown[a] != (int8_t)a) { /* it shares its owner's: written there */
				r = -EBADMSG;
				break;
			}
			uint64_t count = get_varint(in), zero = get_varint(in), ninf = get_varint(in);
			uint64_t pinf = get_varint(in), held = 0, pos = 0, neg = 0;
			double min, max;
			GET(in, min);
			GET(in, max);
			GET(in, all_int);
			/* the extremes must be real, and (below) the counts add up */
			if (in->bad || present > 1 || all_int > 1 || count == 0 || isnan(min) || isnan(max) || min > max) {
				r = -EBADMSG;
				break;
			}
			union cell d = cell_at(dst, (size_t)dg, (int)a);
			if (!*d.sketch) {
				if (!(*d.sketch = malloc(sizeof **d.sketch))) {
					r = -ENOMEM;
					break;
				}
				rf__sketch_init(*d.sketch);
			}
			struct rf_sketch *s = *d.sketch;
			/* every count of s is at most s->count and of the
			 * state's at most count (checked below): when their
			 * sum fits, so do zero, ninf, pinf and the buckets' */
			uint64_t total;
			if (__builtin_add_overflow(s->count, count, &total)) {
				r = -EBADMSG;
				break;
			}
			if ((r = get_store_into(in, &s->pos, &pos)) == 0)
				r = get_store_into(in, &s->neg, &neg);
			if (r == 0 && (in->bad || __builtin_add_overflow(zero, ninf, &held) ||
				       __builtin_add_overflow(held, pinf, &held) ||
				       __builtin_add_overflow(held, pos, &held) ||
				       __builtin_add_overflow(held, neg, &held) || held != count))
				r = -EBADMSG;
			if (r < 0)
				break;
			s->zero += zero;
			s->ninf += ninf;
			s->pinf += pinf;
			s->count += count;
			s->all_int &= all_int;
			if (min < s->min)
				s->min = min;
			if (max > s->max)
				s->max = max;
			break;
		}
		case RF_AGG_APPROX: {
			uint8_t kind;
			GET(in, kind);
			if (in->bad || kind > 2) {
				in->bad = 1;
				break;
			}
			if (kind == 0)
				break;
			if ((r = hll_cell(c.hll)) < 0)
				break;
			if (kind == 2) {
				if ((size_t)(in->end - in->p) < RF_HLL_M) {
					in->bad = 1;
					break;
				}
				r = rf__hll_set_dense(*c.hll, (const uint8_t *)in->p);
				if (r == -EINVAL)
					r = -EBADMSG;
				in->p += RF_HLL_M;
				break;
			}
			/* sparse: distinct non-zero hashes, no more than a
			 * sparse sketch holds */
			uint32_t nh;
			GET(in, nh);
			if (in->bad || nh == 0 || nh > RF_HLL_SPARSE_MAX) {
				in->bad = 1;
				break;
			}
			for (uint32_t i = 0; i < nh && r == 0 && !in->bad; i++) {
				uint64_t hv;
				GET(in, hv);
				if (!hv)
					in->bad = 1;
				else
					r = rf__hll_add(*c.hll, hv);
			}
			if (r == 0 && !in->bad && ((*c.hll)->reg || (*c.hll)->n != nh))
				in->bad = 1;
			break;
		}
		case RF_AGG_HISTOGRAM: {
			uint32_t nb;
			uint8_t over;
			GET(in, nb);
			GET(in, over);
			if (in->bad || nb > RF_HIST_MAX || over > 1) {
				in->bad = 1;
				break;
			}
			for (uint32_t i = 0; i < nb && r == 0 && !in->bad; i++) {
				uint8_t tag;
				int64_t bi = 0;
				double bd = 0;
				uint64_t cnt;
				GET(in, tag);
				if (tag == TAG_INT)
					GET(in, bi);
				else
					GET(in, bd);
				GET(in, cnt);
				if (in->bad || (tag != TAG_INT && tag != TAG_DBL) || !cnt || !isfinite(bd))
					in->bad = 1;
				else
					r = hist_add(c.hist, tag, bi, bd, cnt);
			}
			if (r == 0 && !in->bad && over)
				(*c.hist)->over = 1;
			break;
		}
		case RF_AGG_FIRST:
		case RF_AGG_LAST: {
			uint8_t has;
			uint32_t input, l;
			uint64_t pos;
			GET(in, has);
			if (!has || in->bad) {
				in->bad |= has > 1;
				break;
			}
			GET(in, input);
			GET(in, pos);
			GET(in, l);
			if (in->bad || has > 1 || (size_t)(in->end - in->p) < l) {
				in->bad = 1;
				break;
			}
			r = fl_set(c.fl, in->p, l, input + dst->input_base, pos);
			in->p += l;
			break;
		}
		case RF_AGG_STDDEV:
		case RF_AGG_VARIANCE:
		case RF_AGG_STDDEV_POP:
		case RF_AGG_VAR_POP:
			GET(in, c.var->n);
			GET(in, c.var->s1);
			GET(in, c.var->s2lo);
			GET(in, c.var->s2hi);
			GET(in, c.var->fs1);
			GET(in, c.var->fc1);
			GET(in, c.var->fs2);
			GET(in, c.var->fc2);
			GET(in, c.var->has_float);
			if (c.var->has_float > 1)
				in->bad = 1;
			break;
		}
	}
	if (r == 0 && in->bad)
		r = -EBADMSG;
	for (uint32_t a = 0; a < naggs && r == 0; a++)
		if (cfg->agg[a].func != RF_AGG_QUANTILE)
			r = merge_cell(&cfg->agg[a], cell_at(dst, dg, (int)a), cell_at(src, 0, (int)a));
	return r;
}

/* A state's head, checked: its counters, its parts and where its groups
 * are.  Nothing past the head is read yet. */
struct state_head {
	uint64_t skipped[RF_MAX_AGGS], key_skipped[RF_MAX_KEYS];
	uint64_t ngroups;
	unsigned bits;
	const char *dir;        /* 2^bits times: u64 end, u64 checksum */
	const char *groups;     /* the groups' bytes, glen of them */
	size_t glen;
};

static int head_read(const struct rf_agg_config *cfg, const char *p, size_t n, struct state_head *h)
{
	if (n < PARTIAL_HEADER || memcmp(p, PARTIAL_MAGIC, 6) != 0)
		return -EBADMSG;
	uint16_t version;
	uint64_t fp, plen, sum;
	memcpy(&version, p + 6, 2);
	memcpy(&fp, p + 8, 8);
	memcpy(&plen, p + 16, 8);
	memcpy(&sum, p + 24, 8);
	if (version != PARTIAL_VERSION || fp != fingerprint(cfg) || plen != n - PARTIAL_HEADER)
		return -EBADMSG;
	struct inbuf in = { p + PARTIAL_HEADER, p + n, 0, NULL };
	uint32_t naggs, nkeys;
	uint8_t bits;
	GET(&in, naggs);
	GET(&in, nkeys);
	if (naggs != (uint32_t)cfg->naggs || nkeys != (uint32_t)cfg->nkeys)
		return -EBADMSG;
	memset(h, 0, sizeof *h);
	get_bytes(&in, h->skipped, naggs * sizeof *h->skipped);
	get_bytes(&in, h->key_skipped, nkeys * sizeof *h->key_skipped);
	GET(&in, h->ngroups);
	GET(&in, bits);
	size_t dirlen = (size_t)16 << (bits <= PART_BITS_MAX ? bits : 0);
	if (in.bad || bits > PART_BITS_MAX || (size_t)(in.end - in.p) < dirlen)
		return -EBADMSG;
	h->bits = bits;
	h->dir = in.p;
	h->groups = in.p + dirlen;
	h->glen = (size_t)(in.end - h->groups);
	if (sum != rf__agg_payload_sum(p + PARTIAL_HEADER, (size_t)(h->groups - p) - PARTIAL_HEADER))
		return -EBADMSG;
	/* the parts' ends: in order, the last at the end of the groups */
	uint64_t from = 0;
	for (size_t k = 0; k < (size_t)1 << bits; k++) {
		uint64_t end = load64(h->dir + 16 * k);
		if (end < from || end > h->glen)
			return -EBADMSG;
		from = end;
	}
	return from == h->glen ? 0 : -EBADMSG;
}

/* A walk through one state's groups in order, each checked as it is come
 * to: its part's checksum when the walk enters the part, and the group's
 * length, key, part (its hash computed here, never taken from the
 * state) and order (after the group before it, so no key comes twice). */
struct cursor {
	const struct state_head *h;
	int nkeys;
	uint32_t k;             /* the part the walk is in */
	size_t pos, end;        /* the next group's offset; the part's end */
	int have;               /* the group at pos is read: */
	uint64_t hash, order;   /* its key's hash, and part_order of that */
	const char *key;
	uint32_t klen;
	size_t next;            /* the offset after it */
	int has_prev;           /* the group before, for the order */
	uint64_t prev_order;
	const char *prev_key;
	uint32_t prev_klen;
	uint64_t taken;         /* groups merged */
	int checked;            /* the parts' checksums were checked before */
};

static size_t part_begin(const struct state_head *h, uint32_t k)
{
	return k ? (size_t)load64(h->dir + 16 * (k - 1)) : 0;
}

/* Part k's bytes match its checksum. */
static int part_sum_ok(const struct state_head *h, uint32_t k)
{
	size_t from = part_begin(h, k), end = (size_t)load64(h->dir + 16 * k);
	return load64(h->dir + 16 * k + 8) == rf__agg_payload_sum(h->groups + from, end - from);
}

static int cursor_enter(struct cursor *c, uint32_t k)
{
	const struct state_head *h = c->h;
	size_t from = part_begin(h, k), end = (size_t)load64(h->dir + 16 * k);
	if (!c->checked && !part_sum_ok(h, k))
		return -EBADMSG;
	c->k = k;
	c->pos = from;
	c->end = end;
	c->have = 0;
	return 0;
}

/* The group at the walk's place read: 1, or 0 at the end of the state, or
 * -EBADMSG. */
static int cursor_peek(struct cursor *c)
{
	if (c->have)
		return 1;
	const struct state_head *h = c->h;
	while (c->pos == c->end) {
		if (c->k + 1 >= (1u << h->bits))
			return 0;
		int r = cursor_enter(c, c->k + 1);
		if (r < 0)
			return r;
	}
	const char *e = h->groups + c->pos;
	size_t room = c->end - c->pos;
	uint64_t elen;
	uint32_t klen;
	if (room < 12)
		return -EBADMSG;
	memcpy(&elen, e, 8);
	memcpy(&klen, e + 8, 4);
	if (elen < 4 || elen > room - 8 || klen > elen - 4 || !key_ok(e + 12, klen, c->nkeys))
		return -EBADMSG;
	uint64_t hash = rf__hash_bytes(e + 12, klen), order = part_order(hash);
	if ((h->bits && order >> (64 - h->bits) != c->k) ||
	    (c->has_prev && entry_cmp(c->prev_order, c->prev_key, c->prev_klen, order, e + 12, klen) >= 0))
		return -EBADMSG;
	c->has_prev = 1;
	c->hash = hash;
	c->prev_order = c->order = order;
	c->prev_key = c->key = e + 12;
	c->prev_klen = c->klen = klen;
	c->next = c->pos + 8 + (size_t)elen;
	c->have = 1;
	return 1;
}

/* The walk put at the first group whose part_order is `from` or more. */
static int cursor_start(struct cursor *c, const struct state_head *h, int nkeys, uint64_t from, int checked)
{
	memset(c, 0, sizeof *c);
	c->h = h;
	c->nkeys = nkeys;
	c->checked = checked;
	int r = cursor_enter(c, h->bits ? (uint32_t)(from >> (64 - h->bits)) : 0);
	while (r == 0 && (r = cursor_peek(c)) == 1 && c->order < from)
		c->pos = c->next, c->have = 0, r = 0;
	return r < 0 ? r : 0;
}

/* Where the walk is: the offset of the group it would read next. */
static size_t cursor_at(const struct cursor *c)
{
	return c->have ? c->pos : c->h->glen;
}

/* The group at the walk's place, merged into dst (src: a scratch state). */
static int cursor_take(struct cursor *c, struct rf_agg_state *dst, struct rf_agg_state *src)
{
	int added;
	int64_t g = group_put(dst, c->key, c->klen, c->hash, &added);
	if (g < 0)
		return (int)g;
	struct inbuf in = { c->key + c->klen, c->h->groups + c->next, 0, c->h->groups + c->h->glen };
	int r = decode_cells(dst, (size_t)g, src, &in);
	if (r == 0 && in.p != in.end)
		r = -EBADMSG;
	c->pos = c->next;
	c->have = 0;
	c->taken++;
	return r;
}

static void add_counters(struct rf_agg_state *dst, const struct state_head *h)
{
	for (int a = 0; a < dst->cfg->naggs; a++)
		dst->skipped[a] += h->skipped[a];
	for (int i = 0; i < dst->cfg->nkeys; i++)
		dst->key_skipped[i] += h->key_skipped[i];
}

int rf__agg_decode_merge(struct rf_agg_state *dst, const char *p, size_t n)
{
	const struct rf_agg_config *cfg = dst->cfg;
	if (cfg->custom)
		return cfg->custom->decode_merge(dst->custom, p, n);
	struct state_head h;
	struct cursor c;
	int r = head_read(cfg, p, n, &h);
	/* every part's checksum first: a state damaged on its way is
	 * refused with nothing of it merged */
	for (uint32_t k = 0; r == 0 && k < 1u << h.bits; k++)
		if (!part_sum_ok(&h, k))
			r = -EBADMSG;
	if (r == 0)
		r = cursor_start(&c, &h, cfg->nkeys, 0, 1);
	if (r < 0)
		return r;
	/* a scratch state of one group, read over and over: no second
	 * state of a worker's every group; a state that passes the
	 * checksums and is still malformed (only ever made on purpose) may
	 * leave dst half-merged */
	struct rf_agg_state *src = rf__agg_new(cfg, dst->k);
	if (!src || group_of(src, "", 0) < 0) {
		rf__agg_free(src);
		return -ENOMEM;
	}
	while ((r = cursor_peek(&c)) == 1) {
		if ((c.taken & 0xffff) == 0xffff && (r = rf__agg_room(dst, 0)) < 0)
			break;
		if ((r = cursor_take(&c, dst, src)) < 0)
			break;
	}
	rf__agg_free(src);
	if (r == 0 && c.taken != h.ngroups)
		r = -EBADMSG;
	if (r == 0)
		add_counters(dst, &h);
	return r;
}

/* ---- many states at once ------------------------------------------------
 *
 * Merging a thousand big states one after another into one state far
 * larger than the cache misses the cache at nearly every bucket.  Instead
 * the hash space is cut into 2^B parts of about PART_GROUPS groups of the
 * largest state, and each part is merged on its own: every state's groups
 * of that part (consecutive bytes in each, as the groups are sorted by
 * hash) into a small state that stays in the cache, whose groups then move
 * to the result, cells and all, without a copy.  Each state is read once,
 * front to back; threads take the parts between them.
 */

struct many {
	struct rf_agg_state *dst;
	const struct rf_agg_blob *blobs;
	size_t n;
	struct state_head *heads;
	unsigned bits;          /* B */
	int final;              /* RF_AGG_MERGE_FINAL, dst empty to begin with */
};

struct many_worker {
	struct many *m;
	uint32_t first, last;   /* parts [first, last) */
	struct rf_agg_state *out;
	struct cursor *cur;     /* one per state */
	size_t *from, *to;      /* per state: where this worker began and stopped */
	size_t bad;             /* the state at fault, for -EBADMSG */
	int r;
	pthread_t tid;
	/* its scratch states, made and freed outside the SIGBUS guard (a
	 * jump out of the guarded walk leaks nothing) */
	struct rf_agg_state *src, *small;
};

/* The groups of src moved into dst, their cells with them (a group dst
 * has already is merged instead).  src is left with empty cells. */
static int absorb(struct rf_agg_state *dst, struct rf_agg_state *src)
{
	for (size_t g = 0; g < src->groups.count; g++) {
		size_t len;
		const char *key = rf__strmap_key(&src->groups, g, &len);
		int added;
		int64_t dg = group_put(dst, key, len, rf__hash_bytes(key, len), &added);
		if (dg < 0)
			return (int)dg;
		char *d = dst->cells + (size_t)dg * dst->row, *s = src->cells + g * src->row;
		if (added) {
			memcpy(d, s, dst->row);
			memset(s, 0, src->row);
			continue;
		}
		for (int a = 0; a < dst->cfg->naggs; a++) {
			int r = merge_cell(&dst->cfg->agg[a], cell_at(dst, (size_t)dg, a), cell_at(src, g, a));
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Group g's quantile sketches, each replaced by a sketch of one value: its
 * own answer, which that sketch gives back exactly (the value's bucket,
 * clamped to its min and max, both the value; rounded when every value
 * was an integer, as the answer already is).  A quantile that shares its
 * owner's sketch gets one of its own. */
static int freeze_quantiles(struct rf_agg_state *st, size_t g)
{
	const struct rf_agg_config *cfg = st->cfg;
	double v[RF_MAX_AGGS];
	int all_int[RF_MAX_AGGS];
	for (int a = 0; a < cfg->naggs; a++) {
		const struct rf_sketch *s = cfg->agg[a].func == RF_AGG_QUANTILE ? *quantile_cell(st, g, a).sketch : NULL;
		all_int[a] = -1;
		if (s && s->count) {
			v[a] = rf__sketch_quantile(s, cfg->agg[a].q);
			all_int[a] = s->all_int;
		}
	}
	for (int a = 0; a < cfg->naggs; a++) {
		if (all_int[a] < 0)
			continue;
		struct rf_sketch **sp = cell_at(st, g, a).sketch;
		if (*sp)
			rf__sketch_free(*sp);
		else if (!(*sp = malloc(sizeof **sp)))
			return -ENOMEM;
		rf__sketch_init(*sp);
		int r = rf__sketch_add(*sp, v[a]);
		if (r < 0)
			return r;
		(*sp)->all_int = all_int[a];
	}
	return 0;
}

static int many_parts(void *arg, void *unused);

static void *many_work(void *arg)
{
	struct many_worker *w = arg;
	const struct rf_agg_config *cfg = w->m->dst->cfg;
	w->src = rf__agg_new(cfg, w->m->dst->k);
	/* one small state for all the parts, emptied after each keeping its
	 * memory: a new one a part would have the allocator give back and
	 * take again the same pages thousands of times */
	w->small = rf__agg_new(cfg, w->m->dst->k);
	if (!w->src || !w->small || group_of(w->src, "", 0) < 0) {
		w->r = -ENOMEM;
	} else {
		int bus;
		int r = rf__bus_guard(many_parts, w, NULL, &bus);
		if (bus)
			w->r = RF_AGG_MERGE_BUS;
		else if (r < 0 && !w->r)
			w->r = r;
	}
	rf__agg_free(w->small);
	rf__agg_free(w->src);
	return NULL;
}

static int many_parts(void *arg, void *unused)
{
	(void)unused;
	struct many_worker *w = arg;
	struct many *m = w->m;
	const struct rf_agg_config *cfg = m->dst->cfg;
	unsigned B = m->bits;
	struct rf_agg_state *src = w->src, *small = w->small;
	uint64_t from = B ? (uint64_t)w->first << (64 - B) : 0;
	for (size_t i = 0; i < m->n && !w->r; i++) {
		if ((w->r = cursor_start(&w->cur[i], &m->heads[i], cfg->nkeys, from, 0)) < 0)
			w->bad = i;
		w->from[i] = cursor_at(&w->cur[i]);
	}
	for (uint32_t part = w->first; part < w->last && !w->r; part++) {
		for (size_t i = 0; i < m->n && !w->r; i++) {
			struct cursor *c = &w->cur[i];
			small->input_base = m->blobs[i].input_base;
			int r;
			while ((r = cursor_peek(c)) == 1 && (B ? c->order >> (64 - B) : 0) == part)
				if ((r = cursor_take(c, small, src)) < 0)
					break;
			if (r < 0) {
				w->r = r;
				w->bad = i;
			}
		}
		for (size_t g = 0; m->final && !w->r && g < small->groups.count; g++)
			w->r = freeze_quantiles(small, g);
		if (!w->r)
			w->r = absorb(w->out, small);
		free_cells(small);
		rf__strmap_clear(&small->groups);
		/* the first worker's result is dst itself: it keeps to the
		 * limit as a merge one state at a time does */
		if (!w->r && w->out == m->dst && (part & 63) == 63)
			w->r = rf__agg_room(m->dst, 0);
	}
	for (size_t i = 0; i < m->n && !w->r; i++) {
		int r = cursor_peek(&w->cur[i]);
		if (r < 0) {
			w->r = r;
			w->bad = i;
		}
		w->to[i] = cursor_at(&w->cur[i]);
	}
	return 0;
}

/* Every state's head (rf__bus_guard's shape: m, then where to say which
 * state was bad). */
static int heads_read(void *arg, void *badp)
{
	struct many *m = arg;
	for (size_t i = 0; i < m->n; i++) {
		int r = head_read(m->dst->cfg, m->blobs[i].p, m->blobs[i].n, &m->heads[i]);
		if (r < 0) {
			*(size_t *)badp = i;
			return r;
		}
	}
	return 0;
}

int rf__agg_decode_merge_many(struct rf_agg_state *dst, const struct rf_agg_blob *blobs, size_t n, int threads,
			      int flags, size_t *bad)
{
	const struct rf_agg_config *cfg = dst->cfg;
	*bad = 0;
	if (cfg->custom || n == 1) {
		for (size_t i = 0; i < n; i++) {
			rf__agg_set_input_base(dst, blobs[i].input_base);
			int r = rf__agg_decode_merge(dst, blobs[i].p, blobs[i].n);
			rf__agg_set_input_base(dst, 0);
			if (r < 0) {
				*bad = i;
				return r;
			}
		}
		return 0;
	}
	struct many m = { dst, blobs, n, calloc(n ? n : 1, sizeof *m.heads), 0,
			  (flags & RF_AGG_MERGE_FINAL) && dst->groups.count == 0 };
	if (!m.heads)
		return -ENOMEM;
	uint64_t most = 0;
	size_t bytes = 0;
	int bus, hr = rf__bus_guard(heads_read, &m, bad, &bus);
	if (bus || hr < 0) {
		free(m.heads);
		return bus ? RF_AGG_MERGE_BUS : hr;
	}
	for (size_t i = 0; i < n; i++) {
		if (m.heads[i].ngroups > most)
			most = m.heads[i].ngroups;
		bytes += blobs[i].n;
	}
	m.bits = part_bits(most);
	/* threads only where there is work for them */
	if (threads < 1 || bytes < ((size_t)4 << 20))
		threads = 1;
	if (threads > 16)
		threads = 16;
	while (threads > 1 && ((uint32_t)1 << m.bits) < (uint32_t)threads * 4)
		threads--;
	struct many_worker *w = calloc((size_t)threads, sizeof *w);
	int r = w ? 0 : -ENOMEM;
	uint32_t parts = (uint32_t)1 << m.bits;
	for (int t = 0; t < threads && r == 0; t++) {
		w[t] = (struct many_worker){ .m = &m, .first = (uint32_t)((uint64_t)parts * t / threads),
					     .last = (uint32_t)((uint64_t)parts * (t + 1) / threads) };
		w[t].cur = calloc(n, sizeof *w[t].cur);
		w[t].from = calloc(n, sizeof *w[t].from);
		w[t].to = calloc(n, sizeof *w[t].to);
		w[t].out = t == 0 ? dst : rf__agg_new(cfg, dst->k);
		if (!w[t].cur || !w[t].from || !w[t].to || !w[t].out)
			r = -ENOMEM;
	}
	/* a worker whose thread cannot be made does its parts in this one */
	int started = 1;
	while (r == 0 && started < threads && pthread_create(&w[started].tid, NULL, many_work, &w[started]) == 0)
		started++;
	for (int t = 0; r == 0 && t < threads; t = t ? t + 1 : started)
		many_work(&w[t]);
	for (int t = 1; t < started; t++)
		pthread_join(w[t].tid, NULL);
	/* the first failure in the order of the parts */
	for (int t = 0; t < threads && r == 0 && w; t++)
		if (w[t].r < 0) {
			r = w[t].r;
			*bad = w[t].bad;
		}
	/* each state walked whole, in order: where one worker stopped the
	 * next began (its groups all sorted, none skipped), the last at its
	 * end, and every group it says it has merged once */
	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t taken = 0;
		for (int t = 0; t < threads; t++) {
			taken += w[t].cur[i].taken;
			if (w[t].to[i] != (t + 1 < threads ? w[t + 1].from[i] : m.heads[i].glen))
				r = -EBADMSG;
		}
		if (taken != m.heads[i].ngroups)
			r = -EBADMSG;
		if (r < 0)
			*bad = i;
	}
	for (int t = 1; t < threads && r == 0; t++)
		r = absorb(dst, w[t].out);
	if (r == 0)
		for (size_t i = 0; i < n; i++)
			add_counters(dst, &m.heads[i]);
	for (int t = 0; w && t < threads; t++) {
		if (t > 0)
			rf__agg_free(w[t].out);
		free(w[t].cur);
		free(w[t].from);
		free(w[t].to);
	}
	free(w);
	free(m.heads);
	return r;
}
