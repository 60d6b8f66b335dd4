/* SPDX-License-Identifier: MIT */
/* check_agg.c - aggregates: merge equals a single pass, the quantile
 * sketch keeps its error bound, numbers and times parse and print stably. */
#include "config.h"
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "aggregate.h"
#include "sketch.h"
#include "hll.h"
#include "table.h"

/* A batch of n rows with two slots: a key and a value (both text). */
struct rows {
	struct rf_batch b;
	char text[4096][2][24];
};

static void make_rows(struct rows *r, uint64_t seed, uint32_t n, uint32_t nkeys)
{
	memset(&r->b, 0, sizeof r->b);
	r->b.data = "";
	ck_assert_int_eq(rf__batch_reserve(&r->b, n), 0);
	r->b.nsel = n;
	ck_assert_int_eq(rf__batch_reserve_vals(&r->b, 2), 0);
	uint64_t rs = seed;
	for (uint32_t i = 0; i < n; i++) {
		snprintf(r->text[i][0], 24, "k%u", (unsigned)(test_rand(&rs) % nkeys));
		uint64_t v = test_rand(&rs);
		if (v % 17 == 0)
			snprintf(r->text[i][1], 24, "n/a"); /* not a number: skipped */
		else if (v % 23 == 0)
			snprintf(r->text[i][1], 24, "%s", v % 2 ? "1e25" : "-1e300"); /* far out */
		else if (v % 29 == 0)
			snprintf(r->text[i][1], 24, "%s", v % 2 ? "18446744073709551615" : "-9223372036854775808");
		else if (v % 5 == 0)
			snprintf(r->text[i][1], 24, "%.3f", (double)(v % 100000) / 7.0);
		else
			snprintf(r->text[i][1], 24, "%lld", (long long)(v % 200000) - 1000);
		r->b.vals[i * 2] = (struct rf_value){ r->text[i][0], (int32_t)strlen(r->text[i][0]) };
		r->b.vals[i * 2 + 1] = (struct rf_value){ r->text[i][1], (int32_t)strlen(r->text[i][1]) };
	}
}

static void config_all(struct rf_agg_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->nkeys = 1;
	cfg->key[0] = (struct rf_key_spec){ .kind = RF_KEY_FIELD, .field = { "key", 0, 0 }, .label = "key" };
	static const struct {
		enum rf_agg_func f;
		double q;
		const char *label;
	} a[] = { { RF_AGG_COUNT, 0, "count" }, { RF_AGG_SUM, 0, "sum" }, { RF_AGG_AVG, 0, "avg" },
		  { RF_AGG_MIN, 0, "min" }, { RF_AGG_MAX, 0, "max" }, { RF_AGG_DISTINCT, 0, "distinct" },
		  { RF_AGG_QUANTILE, 0.5, "p50" }, { RF_AGG_QUANTILE, 0.99, "p99" } };
	cfg->naggs = 8;
	for (int i = 0; i < 8; i++)
		cfg->agg[i] = (struct rf_agg_spec){ .func = a[i].f, .field = { "v", 0, 1 }, .q = a[i].q,
						    .label = (char *)a[i].label };
}

static void tables_equal(const struct rf_table *x, const struct rf_table *y)
{
	ck_assert_int_eq(x->ncols, y->ncols);
	ck_assert_uint_eq(x->nrows, y->nrows);
	for (size_t i = 0; i < x->nrows * (size_t)x->ncols; i++) {
		const struct rf_cell *a = &x->cells[i], *b = &y->cells[i];
		ck_assert_int_eq(a->type, b->type);
		if (a->type == RF_CELL_STR || a->type == RF_CELL_BIGINT)
			ck_assert(a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len));
		else if (a->type == RF_CELL_DBL)
			/* sums of doubles in another order may differ in the last bits */
			ck_assert_msg(a->u.d == b->u.d || fabs(a->u.d - b->u.d) <= 1e-9 * fabs(a->u.d) + 1e-12,
				      "%.17g vs %.17g", a->u.d, b->u.d);
		else if (a->type != RF_CELL_NULL)
			ck_assert_int_eq(a->u.i, b->u.i);
	}
}

START_TEST(test_merge_equals_single_pass)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct rf_agg_config cfg;
	config_all(&cfg);
	static struct rows part[4];
	for (int p = 0; p < 4; p++)
		make_rows(&part[p], 100 + (uint64_t)p, 4000, p == 3 ? 5 : 300);
	/* one state over all four batches */
	struct rf_agg_state *whole = rf__agg_new(&cfg, k);
	for (int p = 0; p < 4; p++)
		ck_assert_int_eq(rf__agg_process(whole, &part[p].b), 0);
	/* two partial states, merged; then merged again into an empty one */
	struct rf_agg_state *a = rf__agg_new(&cfg, k), *b = rf__agg_new(&cfg, k), *c = rf__agg_new(&cfg, k);
	ck_assert_int_eq(rf__agg_process(a, &part[0].b), 0);
	ck_assert_int_eq(rf__agg_process(b, &part[1].b), 0);
	ck_assert_int_eq(rf__agg_process(b, &part[2].b), 0);
	ck_assert_int_eq(rf__agg_process(a, &part[3].b), 0);
	ck_assert_int_eq(rf__agg_merge(a, b), 0);
	ck_assert_int_eq(rf__agg_merge(c, a), 0);
	struct rf_table *tw, *tm, *tc;
	ck_assert_int_eq(rf__agg_table(whole, &tw), 0);
	ck_assert_int_eq(rf__agg_table(a, &tm), 0);
	ck_assert_int_eq(rf__agg_table(c, &tc), 0);
	ck_assert_uint_gt(tw->nrows, 250);
	tables_equal(tw, tm);
	tables_equal(tw, tc);
	ck_assert_uint_eq(rf__agg_skipped(whole, 1), rf__agg_skipped(a, 1));
	ck_assert_uint_gt(rf__agg_skipped(whole, 1), 0);
	rf__table_free(tw);
	rf__table_free(tm);
	rf__table_free(tc);
	rf__agg_free(whole);
	rf__agg_free(a);
	rf__agg_free(b);
	rf__agg_free(c);
	for (int p = 0; p < 4; p++)
		rf__batch_free(&part[p].b);
}
END_TEST

START_TEST(test_partial_format_round_trip)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct rf_agg_config cfg;
	config_all(&cfg);
	static struct rows part[2];
	make_rows(&part[0], 5, 4000, 200);
	make_rows(&part[1], 6, 4000, 50);
	struct rf_agg_state *a = rf__agg_new(&cfg, k), *b = rf__agg_new(&cfg, k), *whole = rf__agg_new(&cfg, k);
	ck_assert_int_eq(rf__agg_process(a, &part[0].b), 0);
	ck_assert_int_eq(rf__agg_process(b, &part[1].b), 0);
	ck_assert_int_eq(rf__agg_process(whole, &part[0].b), 0);
	ck_assert_int_eq(rf__agg_process(whole, &part[1].b), 0);
	/* b travels as bytes and is merged into a */
	char *blob;
	size_t len;
	ck_assert_int_eq(rf__agg_encode(b, &blob, &len), 0);
	ck_assert_int_eq(rf__agg_decode_merge(a, blob, len), 0);
	struct rf_table *tw, *ta;
	ck_assert_int_eq(rf__agg_table(whole, &tw), 0);
	ck_assert_int_eq(rf__agg_table(a, &ta), 0);
	tables_equal(tw, ta);
	/* damaged, cut short, or from another query: refused, nothing merged */
	struct rf_agg_state *c = rf__agg_new(&cfg, k);
	for (size_t i = 0; i < len; i += 1 + len / 97) {
		blob[i] ^= 0x40;
		ck_assert_int_eq(rf__agg_decode_merge(c, blob, len), -EBADMSG);
		blob[i] ^= 0x40;
	}
	ck_assert_int_eq(rf__agg_decode_merge(c, blob, len - 1), -EBADMSG);
	blob[6] = 1; /* format version 1: 64-bit sums, dense sketch buckets */
	ck_assert_int_eq(rf__agg_decode_merge(c, blob, len), -EBADMSG);
	blob[6] = 2;
	ck_assert_int_eq(rf__agg_decode_merge(c, blob, 10), -EBADMSG);
	ck_assert_uint_eq(rf__agg_groups(c), 0);
	struct rf_agg_config other;
	config_all(&other);
	other.agg[1].label = "sum(other)";
	struct rf_agg_state *d = rf__agg_new(&other, k);
	ck_assert_int_eq(rf__agg_decode_merge(d, blob, len), -EBADMSG);
	free(blob);
	rf__table_free(tw);
	rf__table_free(ta);
	rf__agg_free(a);
	rf__agg_free(b);
	rf__agg_free(c);
	rf__agg_free(d);
	rf__agg_free(whole);
	rf__batch_free(&part[0].b);
	rf__batch_free(&part[1].b);
}
END_TEST

/* The aggregates of issue 15: merged through the partial format, they
 * give what one pass gives; first and last by input place, whatever
 * order the states merge in. */
static void config_new(struct rf_agg_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->nkeys = 1;
	cfg->key[0] = (struct rf_key_spec){ .kind = RF_KEY_FIELD, .field = { "key", 0, 0 }, .label = "key" };
	static const struct {
		enum rf_agg_func f;
		const char *label;
	} a[] = { { RF_AGG_APPROX, "approx_distinct" }, { RF_AGG_STDDEV, "stddev" },
		  { RF_AGG_VARIANCE, "variance" },      { RF_AGG_STDDEV_POP, "stddev_pop" },
		  { RF_AGG_VAR_POP, "var_pop" },        { RF_AGG_FIRST, "first" },
		  { RF_AGG_LAST, "last" },              { RF_AGG_COUNT, "pct" } };
	cfg->naggs = 8;
	for (int i = 0; i < 8; i++)
		cfg->agg[i] = (struct rf_agg_spec){ .func = a[i].f, .field = { "v", 0, 1 }, .label = (char *)a[i].label };
	cfg->agg[7].pct = 1;
}

START_TEST(test_new_aggregates_merge)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct rf_agg_config cfg;
	config_new(&cfg);
	static struct rows part[2];
	make_rows(&part[0], 7, 4096, 3);
	make_rows(&part[1], 8, 4096, 3);
	for (int p = 0; p < 2; p++) {
		part[p].b.offset = (uint64_t)p << 32; /* part 1 follows part 0 */
		for (uint32_t i = 0; i < 4096; i++)
			part[p].b.sel[i].off = i;
	}
	struct rf_agg_state *whole = rf__agg_new(&cfg, k), *a = rf__agg_new(&cfg, k), *b = rf__agg_new(&cfg, k),
			    *ba = rf__agg_new(&cfg, k);
	ck_assert_int_eq(rf__agg_process(whole, &part[0].b), 0);
	ck_assert_int_eq(rf__agg_process(whole, &part[1].b), 0);
	ck_assert_int_eq(rf__agg_process(a, &part[0].b), 0);
	ck_assert_int_eq(rf__agg_process(b, &part[1].b), 0);
	char *ab, *bb;
	size_t al, bl;
	ck_assert_int_eq(rf__agg_encode(a, &ab, &al), 0);
	ck_assert_int_eq(rf__agg_encode(b, &bb, &bl), 0);
	/* later part first: first and last must still come from their places */
	ck_assert_int_eq(rf__agg_decode_merge(ba, bb, bl), 0);
	ck_assert_int_eq(rf__agg_decode_merge(ba, ab, al), 0);
	struct rf_table *tw, *tba;
	ck_assert_int_eq(rf__agg_table(whole, &tw), 0);
	ck_assert_int_eq(rf__agg_table(ba, &tba), 0);
	tables_equal(tw, tba);
	ck_assert_uint_eq(tw->nrows, 3);
	/* the first row's first value is part 0's first for that key */
	const struct rf_cell *row = &tw->cells[0];
	for (uint32_t i = 0; i < 4096; i++)
		if (!strcmp(part[0].text[i][0], "k0") && strcmp(part[0].text[i][1], "n/a")) {
			ck_assert_uint_eq(row[6].u.str.len, strlen(part[0].text[i][1]));
			ck_assert(!memcmp(row[6].u.str.s, part[0].text[i][1], row[6].u.str.len));
			break;
		}
	/* approx_distinct is dense here (over 1024 values a group), the
	 * estimate the same, and pct the share of 8192 */
	ck_assert_int_eq(row[1].type, RF_CELL_INT);
	ck_assert_int_eq(row[8].type, RF_CELL_DBL);
	double pcts = 0;
	for (size_t r = 0; r < tw->nrows; r++)
		pcts += tw->cells[r * (size_t)tw->ncols + 8].u.d;
	ck_assert(fabs(pcts - 100) < 1e-9);
	/* an old version's state is refused */
	bb[6] = 2;
	ck_assert_int_eq(rf__agg_decode_merge(a, bb, bl), -EBADMSG);
	bb[6] = 4; /* the format version again: each flipped byte below is what is refused */
	for (size_t i = 32; i < bl; i += 1 + bl / 61) {
		bb[i] ^= 0x20;
		ck_assert_int_eq(rf__agg_decode_merge(a, bb, bl), -EBADMSG);
		bb[i] ^= 0x20;
	}
	free(ab);
	free(bb);
	rf__table_free(tw);
	rf__table_free(tba);
	rf__agg_free(whole);
	rf__agg_free(a);
	rf__agg_free(b);
	rf__agg_free(ba);
	rf__batch_free(&part[0].b);
	rf__batch_free(&part[1].b);
}
END_TEST

/* A HyperLogLog merged from parts, in any order, across the switch from
 * sparse to dense, is the one built in one go: the same registers. */
START_TEST(test_hll_merge_deterministic)
{
	static const uint32_t sizes[] = { 10, 1000, 1024, 1025, 1500, 5000, 200000 };
	for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
		uint32_t n = sizes[si];
		struct rf_hll whole, x, y, z;
		rf__hll_init(&whole);
		rf__hll_init(&x);
		rf__hll_init(&y);
		rf__hll_init(&z);
		char buf[32];
		for (uint32_t i = 0; i < n; i++) {
			int len = snprintf(buf, sizeof buf, "v%u", i);
			uint64_t h = rf__hll_hash(buf, (size_t)len);
			ck_assert_int_eq(rf__hll_add(&whole, h), 0);
			ck_assert_int_eq(rf__hll_add(i % 3 ? &x : &y, h), 0);
			ck_assert_int_eq(rf__hll_add(&x, h), 0); /* repeats change nothing */
		}
		ck_assert_int_eq(rf__hll_merge(&z, &y), 0); /* y then x */
		ck_assert_int_eq(rf__hll_merge(&z, &x), 0);
		ck_assert_int_eq(rf__hll_merge(&y, &x), 0);
		ck_assert_uint_eq(rf__hll_estimate(&whole), rf__hll_estimate(&z));
		ck_assert_uint_eq(rf__hll_estimate(&whole), rf__hll_estimate(&y));
		ck_assert_int_eq(!whole.reg, !z.reg);
		if (whole.reg)
			ck_assert(!memcmp(whole.reg, z.reg, RF_HLL_M) && !memcmp(whole.reg, y.reg, RF_HLL_M));
		uint64_t e = rf__hll_estimate(&whole);
		if (n <= RF_HLL_SPARSE_MAX)
			ck_assert_uint_eq(e, n);
		else
			ck_assert_msg(fabs((double)e - n) < 0.02 * n, "%u: estimate %llu", n, (unsigned long long)e);
		rf__hll_free(&whole);
		rf__hll_free(&x);
		rf__hll_free(&y);
		rf__hll_free(&z);
	}
}
END_TEST

/* One aggregate over the given values (a row each); the result row. */
static struct rf_table *agg_over(enum rf_agg_func f, double q, const char *const *v, int n)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	static struct rf_agg_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.naggs = 1;
	cfg.agg[0] = (struct rf_agg_spec){ .func = f, .q = q, .field = { "v", 0, 1 }, .label = "a" };
	struct rows *r = calloc(1, sizeof *r);
	make_rows(r, 1, (uint32_t)n, 1);
	for (int i = 0; i < n; i++)
		r->b.vals[i * 2 + 1] = (struct rf_value){ v[i], (int32_t)strlen(v[i]) };
	/* half the rows in one state, half in another, merged through the
	 * partial format: the same answer as one state must come out */
	struct rf_agg_state *whole = rf__agg_new(&cfg, k), *a = rf__agg_new(&cfg, k), *b = rf__agg_new(&cfg, k);
	ck_assert_int_eq(rf__agg_process(whole, &r->b), 0);
	r->b.nsel = (uint32_t)n / 2;
	ck_assert_int_eq(rf__agg_process(a, &r->b), 0);
	memmove(r->b.vals, r->b.vals + (n / 2) * 2, (size_t)(n - n / 2) * 2 * sizeof *r->b.vals);
	r->b.nsel = (uint32_t)(n - n / 2);
	ck_assert_int_eq(rf__agg_process(b, &r->b), 0);
	char *blob;
	size_t len;
	ck_assert_int_eq(rf__agg_encode(b, &blob, &len), 0);
	ck_assert_int_eq(rf__agg_decode_merge(a, blob, len), 0);
	free(blob);
	struct rf_table *tw, *tm;
	ck_assert_int_eq(rf__agg_table(whole, &tw), 0);
	ck_assert_int_eq(rf__agg_table(a, &tm), 0);
	tables_equal(tw, tm);
	rf__table_free(tm);
	rf__agg_free(whole);
	rf__agg_free(a);
	rf__agg_free(b);
	rf__batch_free(&r->b);
	free(r);
	return tw;
}

/* A histogram's bucket limit holds for the union of merged states: two
 * halves of 600 buckets each are refused together, 1000 are not. */
START_TEST(test_histogram_limit_after_merge)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	static struct rf_agg_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.naggs = 1;
	cfg.agg[0] = (struct rf_agg_spec){ .func = RF_AGG_HISTOGRAM, .q = 10, .field = { "v", 0, 1 }, .label = "h" };
	static char text[1200][16];
	for (int total = 1000; total <= 1200; total += 200) {
		struct rows *r = calloc(1, sizeof *r);
		make_rows(r, 1, (uint32_t)total, 1);
		for (int i = 0; i < total; i++) {
			snprintf(text[i], sizeof text[i], "%d", i * 10 + i % 10);
			r->b.vals[i * 2 + 1] = (struct rf_value){ text[i], (int32_t)strlen(text[i]) };
		}
		struct rf_agg_state *a = rf__agg_new(&cfg, k), *b = rf__agg_new(&cfg, k);
		r->b.nsel = (uint32_t)total / 2;
		ck_assert_int_eq(rf__agg_process(a, &r->b), 0);
		memmove(r->b.vals, r->b.vals + (total / 2) * 2, (size_t)(total / 2) * 2 * sizeof *r->b.vals);
		ck_assert_int_eq(rf__agg_process(b, &r->b), 0);
		char *blob;
		size_t len;
		ck_assert_int_eq(rf__agg_encode(b, &blob, &len), 0);
		ck_assert_int_eq(rf__agg_decode_merge(a, blob, len), 0);
		free(blob);
		struct rf_table *t = NULL;
		int res = rf__agg_table(a, &t);
		if (total > RF_HIST_MAX) {
			ck_assert_int_eq(res, -EDOM);
		} else {
			ck_assert_int_eq(res, 0);
			ck_assert_int_eq(t->cells[0].type, RF_CELL_STR);
			ck_assert(!memcmp(t->cells[0].u.str.s, "0:1 10:1 20:1 ", 14));
			rf__table_free(t);
		}
		rf__agg_free(a);
		rf__agg_free(b);
		rf__batch_free(&r->b);
		free(r);
	}
}
END_TEST

/* The cell's text as it prints. */
static const char *cell_str(const struct rf_cell *c, char *buf, size_t cap)
{
	if (c->type == RF_CELL_BIGINT || c->type == RF_CELL_STR)
		snprintf(buf, cap, "%.*s", (int)c->u.str.len, c->u.str.s);
	else if (c->type == RF_CELL_INT)
		snprintf(buf, cap, "%lld", (long long)c->u.i);
	else if (c->type == RF_CELL_DBL)
		rf__format_double(c->u.d, buf, cap);
	else
		snprintf(buf, cap, "-");
	return buf;
}

static void check_agg_text(enum rf_agg_func f, const char *const *v, int n, int type, const char *want)
{
	char buf[64];
	struct rf_table *t = agg_over(f, 0, v, n);
	ck_assert_msg(t->cells[0].type == type, "%s: type %d, want %d", want, t->cells[0].type, type);
	ck_assert_str_eq(cell_str(&t->cells[0], buf, sizeof buf), want);
	rf__table_free(t);
}

/* Sums of integers are exact in 128 bits (hand-computed answers): no
 * float where the true sum fits, the exact digits where it does not. */
START_TEST(test_integer_sums_exact)
{
	const char *fits[] = { "9223372036854775807", "1", "-1" };
	check_agg_text(RF_AGG_SUM, fits, 3, RF_CELL_INT, "9223372036854775807");
	const char *over[] = { "9223372036854775807", "10" };
	check_agg_text(RF_AGG_SUM, over, 2, RF_CELL_BIGINT, "9223372036854775817");
	const char *under[] = { "-9223372036854775808", "-9223372036854775808", "-1" };
	check_agg_text(RF_AGG_SUM, under, 3, RF_CELL_BIGINT, "-18446744073709551617");
	/* each half overflows 64 bits, the whole does not */
	const char *halves[] = { "9223372036854775807", "9223372036854775807", "-9223372036854775807",
				 "-9223372036854775807" };
	check_agg_text(RF_AGG_SUM, halves, 4, RF_CELL_INT, "0");
	/* integers past 64 bits are integers too */
	const char *wide[] = { "18446744073709551615", "1", " -5 " };
	check_agg_text(RF_AGG_SUM, wide, 3, RF_CELL_BIGINT, "18446744073709551611");
	/* past 128 bits: a floating-point sum, never a wrapped one */
	const char *huge[] = { "170141183460469231731687303715884105727", "170141183460469231731687303715884105727" };
	check_agg_text(RF_AGG_SUM, huge, 2, RF_CELL_DBL, "3.402823669209385e+38");
	/* a fraction makes the sum a float, the exact sum rounded once:
	 * 18014398509481986.5 is nearest to the double 18014398509481988 */
	const char *mixed[] = { "9007199254740993", "0.5", "9007199254740993" };
	check_agg_text(RF_AGG_SUM, mixed, 3, RF_CELL_DBL, "18014398509481988");
	/* avg from the exact sum: (2 * INT64_MAX + 1) / 3 = 6148914691236517205,
	 * nearest double 6148914691236516864 */
	const char *avg[] = { "9223372036854775807", "9223372036854775807", "1" };
	check_agg_text(RF_AGG_AVG, avg, 3, RF_CELL_DBL, "6.148914691236517e+18");
	const char *avg2[] = { "-7", "2" };
	check_agg_text(RF_AGG_AVG, avg2, 2, RF_CELL_DBL, "-2.5");
}
END_TEST

/* min and max compare integers and doubles exactly, whatever the order. */
START_TEST(test_min_max_exact)
{
	const char *a[] = { "9007199254740993", "9007199254740992.0" };
	const char *b[] = { "9007199254740992.0", "9007199254740993" };
	check_agg_text(RF_AGG_MIN, a, 2, RF_CELL_DBL, "9007199254740992");
	check_agg_text(RF_AGG_MIN, b, 2, RF_CELL_DBL, "9007199254740992");
	check_agg_text(RF_AGG_MAX, a, 2, RF_CELL_INT, "9007199254740993");
	check_agg_text(RF_AGG_MAX, b, 2, RF_CELL_INT, "9007199254740993");
	const char *c[] = { "18446744073709551615", "1e19", "-3" };
	check_agg_text(RF_AGG_MAX, c, 3, RF_CELL_BIGINT, "18446744073709551615");
	check_agg_text(RF_AGG_MIN, c, 3, RF_CELL_INT, "-3");
	/* equal values: the integer form wins in either order */
	const char *d[] = { "1e20", "100000000000000000000" };
	const char *e[] = { "100000000000000000000", "1e20" };
	check_agg_text(RF_AGG_MIN, d, 2, RF_CELL_BIGINT, "100000000000000000000");
	check_agg_text(RF_AGG_MAX, e, 2, RF_CELL_BIGINT, "100000000000000000000");
	const char *f[] = { "-1e300", "-170141183460469231731687303715884105728", "5e-324" };
	check_agg_text(RF_AGG_MIN, f, 3, RF_CELL_DBL, "-1e+300");
	check_agg_text(RF_AGG_MAX, f, 3, RF_CELL_DBL, "5e-324");
	/* an integer and a fraction past 2^53 whose doubles are one (2^63):
	 * 2^63 - 1 > 9223372036854775806.5, in either order; a fraction that
	 * wins prints as its double */
	const char *g[] = { "9223372036854775807", "9223372036854775806.5" };
	const char *h[] = { "9223372036854775806.5", "9223372036854775807" };
	check_agg_text(RF_AGG_MAX, g, 2, RF_CELL_INT, "9223372036854775807");
	check_agg_text(RF_AGG_MAX, h, 2, RF_CELL_INT, "9223372036854775807");
	check_agg_text(RF_AGG_MIN, g, 2, RF_CELL_DBL, "9.223372036854776e+18");
	const char *k[] = { "9223372036854775806", "92233720368547758065e-1", "9223372036854775806.25e0" };
	check_agg_text(RF_AGG_MIN, k, 3, RF_CELL_INT, "9223372036854775806");
	check_agg_text(RF_AGG_MAX, k, 3, RF_CELL_DBL, "9.223372036854776e+18");
	const char *m[] = { "-9223372036854775808", "-9223372036854775807.5", "-9223372036854775808.5" };
	check_agg_text(RF_AGG_MAX, m, 3, RF_CELL_DBL, "-9.223372036854776e+18");
	const char *m2[] = { "-9223372036854775807", "-9223372036854775807.5" };
	check_agg_text(RF_AGG_MAX, m2, 2, RF_CELL_INT, "-9223372036854775807");
	const char *m3[] = { "-9223372036854775808", "-9223372036854775807.5" };
	check_agg_text(RF_AGG_MIN, m3, 2, RF_CELL_INT, "-9223372036854775808");
	/* past 64 bits: 2^64 + 1 against 18446744073709551616.5 (both 2^64) */
	const char *w[] = { "18446744073709551617", "18446744073709551616.5", "1.8446744073709551616e19" };
	check_agg_text(RF_AGG_MAX, w, 3, RF_CELL_BIGINT, "18446744073709551617");
	const char *w2[] = { "18446744073709551615", "18446744073709551615.5", "1.8446744073709551616e19" };
	check_agg_text(RF_AGG_MIN, w2, 3, RF_CELL_BIGINT, "18446744073709551615");
	/* past 128 bits a number is a double, and further out than a number
	 * within whose double ties with it: -2^127 - 0.5 and -2^127 - 1 are
	 * below -2^127 (all three are -2^127 as doubles), in either order */
	const char *p[] = { "-170141183460469231731687303715884105728", "-170141183460469231731687303715884105728.5" };
	const char *p2[] = { "-170141183460469231731687303715884105728.5", "-170141183460469231731687303715884105728" };
	const char *p3[] = { "-170141183460469231731687303715884105729", "-170141183460469231731687303715884105728" };
	check_agg_text(RF_AGG_MIN, p, 2, RF_CELL_DBL, "-1.7014118346046923e+38");
	check_agg_text(RF_AGG_MIN, p2, 2, RF_CELL_DBL, "-1.7014118346046923e+38");
	check_agg_text(RF_AGG_MIN, p3, 2, RF_CELL_DBL, "-1.7014118346046923e+38");
	check_agg_text(RF_AGG_MAX, p, 2, RF_CELL_BIGINT, "-170141183460469231731687303715884105728");
	check_agg_text(RF_AGG_MAX, p2, 2, RF_CELL_BIGINT, "-170141183460469231731687303715884105728");
	check_agg_text(RF_AGG_MAX, p3, 2, RF_CELL_BIGINT, "-170141183460469231731687303715884105728");
	/* below 2^53 too: a fraction's integer part decides */
	const char *s[] = { "-9007199254740990.75", "-9007199254740991.0000000000000000000001", "-9007199254740991" };
	check_agg_text(RF_AGG_MIN, s, 3, RF_CELL_DBL, "-9007199254740991");
	check_agg_text(RF_AGG_MAX, s, 3, RF_CELL_DBL, "-9007199254740991");
}
END_TEST

/* `count, count`: every count column counts, also on the path that counts
 * newlines without rows. */
START_TEST(test_count_twice)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct rf_agg_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.naggs = 3;
	for (int i = 0; i < 3; i++)
		cfg.agg[i] = (struct rf_agg_spec){ .func = RF_AGG_COUNT, .label = "count" };
	cfg.count_only = 1;
	struct rows *r = calloc(1, sizeof *r);
	make_rows(r, 3, 77, 1);
	struct rf_agg_state *st = rf__agg_new(&cfg, k);
	ck_assert_int_eq(rf__agg_process(st, &r->b), 0);
	ck_assert_int_eq(rf__agg_process(st, &r->b), 0);
	struct rf_table *t;
	ck_assert_int_eq(rf__agg_table(st, &t), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(t->cells[i].u.i, 154);
	rf__table_free(t);
	rf__agg_free(st);
	rf__batch_free(&r->b);
	free(r);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

START_TEST(test_sketch_error_bound)
{
	enum { N = 200000 };
	static double v[N];
	for (int dist = 0; dist < 4; dist++) {
		struct rf_sketch s, half1, half2;
		rf__sketch_init(&s);
		rf__sketch_init(&half1);
		rf__sketch_init(&half2);
		uint64_t rs = 77 + (uint64_t)dist;
		for (int i = 0; i < N; i++) {
			double u = (double)(test_rand(&rs) >> 11) / 9007199254740992.0;
			switch (dist) {
			case 0: v[i] = u * 1000; break;                     /* uniform */
			case 1: v[i] = exp(8 + 3 * (u - 0.5) * 4); break;   /* heavy tail */
			case 2: v[i] = (u - 0.3) * 1e6; break;              /* negatives */
			default: v[i] = i % 3 ? 0 : u * 1e-3 + 1e-6; break; /* zeros, tiny values */
			}
			ck_assert_int_eq(rf__sketch_add(&s, v[i]), 0);
			ck_assert_int_eq(rf__sketch_add(i % 2 ? &half1 : &half2, v[i]), 0);
		}
		ck_assert_int_eq(rf__sketch_merge(&half1, &half2), 0);
		qsort(v, N, sizeof *v, cmp_double);
		static const double qs[] = { 0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1 };
		for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
			double exact = v[(size_t)floor(qs[i] * (N - 1))];
			double est = rf__sketch_quantile(&s, qs[i]);
			double merged = rf__sketch_quantile(&half1, qs[i]);
			ck_assert_msg(fabs(est - exact) <= 0.01 * fabs(exact) + 1e-9,
				      "dist %d q %g: %.17g vs exact %.17g", dist, qs[i], est, exact);
			ck_assert_msg(est == merged, "dist %d q %g: merged sketch differs", dist, qs[i]);
		}
		rf__sketch_free(&s);
		rf__sketch_free(&half1);
		rf__sketch_free(&half2);
	}
}
END_TEST

/* The exact quantile (rank floor(q * (n - 1)) of the sorted values) and
 * the sketch's, within 1%: for every q, whatever the range of the data,
 * in both orders and merged from pieces. */
static void check_all_quantiles(const char *what, double *v, int n)
{
	struct rf_sketch fwd, rev, parts[3];
	rf__sketch_init(&fwd);
	rf__sketch_init(&rev);
	for (int p = 0; p < 3; p++)
		rf__sketch_init(&parts[p]);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(rf__sketch_add(&fwd, v[i]), 0);
		ck_assert_int_eq(rf__sketch_add(&rev, v[n - 1 - i]), 0);
		ck_assert_int_eq(rf__sketch_add(&parts[i * 3 / n], v[i]), 0);
	}
	/* merged in an order other than the input's */
	ck_assert_int_eq(rf__sketch_merge(&parts[2], &parts[0]), 0);
	ck_assert_int_eq(rf__sketch_merge(&parts[2], &parts[1]), 0);
	double *sorted = malloc((size_t)n * sizeof *sorted);
	memcpy(sorted, v, (size_t)n * sizeof *sorted);
	qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
	for (int k = 0; k <= 1000; k++) {
		double q = k / 1000.0;
		double exact = sorted[(size_t)floor(q * (n - 1))];
		double est = rf__sketch_quantile(&fwd, q);
		ck_assert_msg(fabs(est - exact) <= 0.01 * fabs(exact), "%s q %g: %.17g, exact %.17g", what, q, est,
			      exact);
		ck_assert_msg(est == rf__sketch_quantile(&rev, q), "%s q %g: reversed input differs", what, q);
		ck_assert_msg(est == rf__sketch_quantile(&parts[2], q), "%s q %g: merged sketch differs", what, q);
	}
	free(sorted);
	rf__sketch_free(&fwd);
	rf__sketch_free(&rev);
	for (int p = 0; p < 3; p++)
		rf__sketch_free(&parts[p]);
}

START_TEST(test_sketch_wide_range)
{
	enum { N = 20000 };
	static double v[N];
	/* the cases of the report: 1e25 among thousands, the 2^64-1 sentinel
	 * among small values, -1e300 among Gaussian values */
	double a[] = { 1e25, 1000, 1000, 1000 };
	check_all_quantiles("1e25", a, 4);
	uint64_t rs = 11;
	for (int i = 0; i < N; i++) {
		double u = (double)(test_rand(&rs) >> 11) / 9007199254740992.0;
		v[i] = i % 50 == 7 ? 18446744073709551615.0 : floor(u * 5000);
	}
	check_all_quantiles("sentinel", v, N);
	for (int i = 0; i < N; i++) {
		double u1 = ((double)(test_rand(&rs) >> 11) + 1) / 9007199254740993.0;
		double u2 = (double)(test_rand(&rs) >> 11) / 9007199254740992.0;
		v[i] = i % 100 == 3 ? -1e300 : 100 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
	}
	check_all_quantiles("gaussian", v, N);
	/* heavy tails both ways: magnitudes from 1e-300 to 1e300, both signs,
	 * zeros, -0, the extremes of the double range */
	for (int i = 0; i < N; i++) {
		double u = (double)(test_rand(&rs) >> 11) / 9007199254740992.0;
		uint64_t r = test_rand(&rs);
		double m = pow(10, (u - 0.5) * 600);
		v[i] = r % 13 == 0 ? 0 : r % 13 == 1 ? -0.0 : r % 2 ? m : -m;
	}
	v[0] = DBL_MAX;
	v[1] = -DBL_MAX;
	v[2] = DBL_MIN;
	v[3] = 1e-320; /* subnormal */
	check_all_quantiles("log-uniform", v, N);
	/* Pareto (alpha 0.5): a tail far past anything a dense window holds */
	for (int i = 0; i < N; i++) {
		double u = ((double)(test_rand(&rs) >> 11) + 1) / 9007199254740993.0;
		v[i] = pow(u, -2) * (i % 3 ? 1 : -1);
	}
	check_all_quantiles("pareto", v, N);
	/* the smallest subnormals, where a bucket is finer than the doubles */
	for (int i = 0; i < 3000; i++)
		v[i] = (double)(1 + test_rand(&rs) % 300) * DBL_TRUE_MIN * (i % 2 ? 1 : -1);
	check_all_quantiles("subnormal", v, 3000);
	/* numbers past the double range rank below and above the rest */
	for (int i = 0; i < 1000; i++)
		v[i] = i % 10 == 0 ? INFINITY : i % 10 == 1 ? -INFINITY : i;
	struct rf_sketch inf;
	rf__sketch_init(&inf);
	for (int i = 0; i < 1000; i++)
		rf__sketch_add(&inf, v[i]);
	ck_assert(rf__sketch_quantile(&inf, 0.05) == -INFINITY);
	ck_assert(rf__sketch_quantile(&inf, 0.95) == INFINITY);
	qsort(v, 1000, sizeof *v, cmp_double);
	ck_assert(fabs(rf__sketch_quantile(&inf, 0.5) - v[499]) <= 0.01 * v[499]);
	rf__sketch_free(&inf);
	/* the bucket values: within the bound of both edges of each bucket */
	for (double x = 1e-300; x < 1e300; x *= 1.37) {
		struct rf_sketch s;
		rf__sketch_init(&s);
		rf__sketch_add(&s, x);
		rf__sketch_add(&s, x * 1e-200);
		rf__sketch_add(&s, x * 1e200);
		double est = rf__sketch_quantile(&s, 0.5);
		ck_assert_msg(fabs(est - x) <= RF_SKETCH_ALPHA * 1.0001 * x, "%g: %.17g", x, est);
		rf__sketch_free(&s);
	}
	ck_assert_int_ge(rf__sketch_bucket(DBL_TRUE_MIN), RF_SKETCH_MIN_INDEX + 1);
	ck_assert_int_le(rf__sketch_bucket(DBL_MAX), RF_SKETCH_MAX_INDEX - 1);
}
END_TEST

/* A bucket by its definition, ceil(ln(mag) / ln(g)) with libm's log and
 * ln(g) = ln(1.005 / 0.995) as sketch.c writes it out: the oracle for the
 * sketch's faster mapping. */
static int32_t bucket_def(double mag)
{
	if (mag > DBL_MAX)
		mag = DBL_MAX;
	if (mag < DBL_TRUE_MIN)
		mag = DBL_TRUE_MIN;
	double i = ceil(log(mag) / 0.010000083334583179);
	return i < RF_SKETCH_MIN_INDEX ? RF_SKETCH_MIN_INDEX :
	       i > RF_SKETCH_MAX_INDEX ? RF_SKETCH_MAX_INDEX : (int32_t)i;
}

/* (ck_assert only on a failure: check writes out every assertion) */
static void check_bucket(double mag)
{
	if (rf__sketch_bucket(mag) != bucket_def(mag))
		ck_abort_msg("%a: bucket %d, not %d", mag, (int)rf__sketch_bucket(mag), (int)bucket_def(mag));
}

/* The bucket of every value is the one of its definition: on both sides of
 * every bucket boundary (a few doubles each way), over random bit patterns
 * of every exponent, and on integers and decimals as logs hold them. */
START_TEST(test_sketch_bucket_boundaries)
{
	ck_assert(fabs(0.010000083334583179 - (log1p(RF_SKETCH_ALPHA) - log1p(-RF_SKETCH_ALPHA))) < 1e-15);
	for (int32_t i = -74500; i <= 71000; i++) {
		/* g^i, as near as exp gets it; its neighbours straddle the
		 * boundary whichever side of it the rounding fell */
		double b = exp(i * 0.010000083334583179);
		if (!(b > 0) || isinf(b))
			continue;
		double lo = b, hi = b;
		for (int k = 0; k < 4; k++) {
			check_bucket(lo);
			check_bucket(hi);
			lo = nextafter(lo, 0);
			hi = nextafter(hi, INFINITY);
		}
	}
	uint64_t rs = 4242;
	for (int i = 0; i < 2000000; i++) {
		uint64_t bits = test_rand(&rs) & 0x7fffffffffffffffull;
		double x;
		memcpy(&x, &bits, sizeof x);
		if (x > 0 && !isinf(x) && !isnan(x))
			check_bucket(x);
	}
	for (int i = 1; i <= 300000; i++) {
		check_bucket(i);
		check_bucket(i / 1000.0);
		check_bucket(i * 1e6);
	}
	check_bucket(DBL_MAX);
	check_bucket(DBL_MIN);
	check_bucket(nextafter(DBL_MIN, 0));
	check_bucket(DBL_TRUE_MIN);
	check_bucket(1);
	check_bucket(2);
}
END_TEST

/* Each store's pages are in order, and every bucket holds the values its
 * definition gives it, however the pages came: ascending, descending and
 * random order, far apart (the page index given up on and rebuilt), and
 * merged into a sketch that has its own. */
static void check_store(const struct rf_sketch_store *st, const double *v, int n, int sign)
{
	static int32_t want_idx[3000];
	ck_assert_int_le(n, 3000);
	for (int j = 0; j < n; j++)
		want_idx[j] = v[j] * sign > 0 ? bucket_def(v[j] * sign) : INT32_MIN;
	uint64_t total = 0;
	for (uint32_t p = 0; p < st->npages; p++) {
		if (p && st->pages[p - 1].no >= st->pages[p].no)
			ck_abort_msg("page %u out of order", (unsigned)p);
		for (int i = 0; i < RF_SKETCH_PAGE; i++) {
			uint64_t c = st->pages[p].counts[i];
			if (!c)
				continue;
			int32_t idx = (int32_t)(st->pages[p].no * RF_SKETCH_PAGE + (uint32_t)i) + RF_SKETCH_MIN_INDEX;
			uint64_t want = 0;
			for (int j = 0; j < n; j++)
				want += want_idx[j] == idx;
			if (c != want)
				ck_abort_msg("bucket %d: %llu values, not %llu", (int)idx,
					     (unsigned long long)c, (unsigned long long)want);
			total += c;
		}
	}
	uint64_t want = 0;
	for (int j = 0; j < n; j++)
		want += v[j] * sign > 0;
	ck_assert_uint_eq(total, want);
	ck_assert_uint_eq(st->total, want);
}

START_TEST(test_sketch_pages_any_order)
{
	enum { N = 3000 };
	static double v[N];
	uint64_t rs = 99;
	/* the index costs a sketch of one value nothing: it lives behind the
	 * pages, and its span in the store's padding */
	ck_assert_uint_le(sizeof(struct rf_sketch_store), 24);
	for (int order = 0; order < 5; order++) {
		int n = order == 4 ? N / 2 : N;
		for (int i = 0; i < n; i++) {
			double u = (double)(test_rand(&rs) >> 11) / 9007199254740992.0;
			switch (order) {
			case 0: v[i] = exp(i * 0.004) * (i % 7 ? 1 : -1); break;      /* ascending */
			case 1: v[i] = exp((n - i) * 0.004) * (i % 5 ? 1 : -1); break; /* descending */
			case 2: v[i] = exp((u - 0.5) * 60) * (i % 3 ? 1 : -1); break;  /* random */
			case 3: /* close values, one far off (the index given up on), more close */
				v[i] = i == 30 ? 1e150 : i < 30 ? 1 + u * 1e3 : 1 + u * 1e4;
				break;
			default: v[i] = ldexp(1 + u, (int)(test_rand(&rs) % 2000) - 1000) * (i % 2 ? 1 : -1);
			}
		}
		struct rf_sketch s, a, b;
		rf__sketch_init(&s);
		rf__sketch_init(&a);
		rf__sketch_init(&b);
		for (int i = 0; i < n; i++) {
			ck_assert_int_eq(rf__sketch_add(&s, v[i]), 0);
			ck_assert_int_eq(rf__sketch_add(i < n / 3 ? &a : &b, v[i]), 0);
		}
		check_store(&s.pos, v, n, 1);
		check_store(&s.neg, v, n, -1);
		ck_assert_int_eq(rf__sketch_merge(&a, &b), 0);
		check_store(&a.pos, v, n, 1);
		check_store(&a.neg, v, n, -1);
		ck_assert_int_eq(rf__sketch_merge(&b, &s), 0); /* b's own values twice */
		for (int q = 0; q <= 100; q++)
			if (rf__sketch_quantile(&s, q / 100.0) != rf__sketch_quantile(&a, q / 100.0))
				ck_abort_msg("order %d q %g: merged sketch differs", order, q / 100.0);
		rf__sketch_free(&s);
		rf__sketch_free(&a);
		rf__sketch_free(&b);
	}
}
END_TEST

START_TEST(test_sketch_integers_round_exactly)
{
	ck_assert(fabs(rf__sketch_gamma() - (1 + RF_SKETCH_ALPHA) / (1 - RF_SKETCH_ALPHA)) < 1e-15);
	struct rf_sketch s;
	rf__sketch_init(&s);
	for (int i = 1; i <= 99; i++)
		rf__sketch_add(&s, i);
	ck_assert(rf__sketch_quantile(&s, 0.5) == 50);
	ck_assert(rf__sketch_quantile(&s, 0) == 1);
	ck_assert(rf__sketch_quantile(&s, 1) == 99);
	ck_assert(isnan(({ struct rf_sketch e; rf__sketch_init(&e); rf__sketch_quantile(&e, 0.5); })));
	rf__sketch_free(&s);
}
END_TEST

START_TEST(test_numbers)
{
	struct rf_number n;
	ck_assert_int_eq(rf__parse_number("42", 2, &n), 0);
	ck_assert(n.is_int && n.i == 42);
	ck_assert_int_eq(rf__parse_number(" -7 ", 4, &n), 0);
	ck_assert(n.is_int && n.i == -7);
	ck_assert_int_eq(rf__parse_number("1.5e3", 5, &n), 0);
	ck_assert(!n.is_int && n.d == 1500);
	ck_assert_int_eq(rf__parse_number("9223372036854775808", 19, &n), 0); /* past int64: a double */
	ck_assert(!n.is_int);
	const char *bad[] = { "", "-", "abc", "1.2.3", "inf", "nan", "0x10", "12ms", "1e", "--1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(rf__parse_number(bad[i], strlen(bad[i]), &n) < 0, "'%s' taken as a number", bad[i]);
	char buf[64];
	rf__format_double(0.1, buf, sizeof buf);
	ck_assert_str_eq(buf, "0.1");
	rf__format_double(1e300, buf, sizeof buf);
	ck_assert_str_eq(buf, "1e+300");
	rf__format_double(2.0, buf, sizeof buf);
	ck_assert_str_eq(buf, "2");
	rf__format_double(1.0 / 3, buf, sizeof buf);
	ck_assert_str_eq(buf, "0.3333333333333333");
}
END_TEST

START_TEST(test_times)
{
	int64_t t;
	char buf[32];
	/* a time as written, the year for forms without one, and in UTC */
	static const struct {
		const char *in;
		int year;
		const char *utc;
	} ok[] = { { "[10/Oct/2000:13:55:36 -0700]", 2000, "2000-10-10T20:55:36Z" },
		   { "2026-11-01T00:05:09.123+01:00", 2000, "2026-10-31T23:05:09Z" },
		   { "2026-02-28 23:59:59Z", 2000, "2026-02-28T23:59:59Z" },
		   { "Mar  7 04:05:06", 2024, "2024-03-07T04:05:06Z" } };
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		ck_assert_int_eq(rf__parse_time(ok[i].in, strlen(ok[i].in), ok[i].year, &t), 0);
		rf__format_time(t, buf);
		ck_assert_str_eq(buf, ok[i].utc);
	}
	ck_assert_int_eq(rf__parse_time("1700000000", 10, 2000, &t), 0);
	ck_assert_int_eq(t, 1700000000);
	ck_assert_int_eq(rf__parse_time("1969-12-31T23:59:59Z", 20, 2000, &t), 0);
	ck_assert_int_eq(t, -1);
	const char *bad[] = { "", "yesterday", "2026-13-01T00:00:00Z", "10/Foo/2000:13:55:36", "12:00" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(rf__parse_time(bad[i], strlen(bad[i]), 2000, &t) < 0, "'%s' taken as a time", bad[i]);
	int64_t ns;
	ck_assert_int_eq(rf__parse_duration("5m", 2, &ns), 0);
	ck_assert_int_eq(ns, 300000000000LL);
	ck_assert_int_lt(rf__parse_duration("5x", 2, &ns), 0);
}
END_TEST

/* ---- sorting: the prefix sort and the top-N heap against a plain sort -- */

/* Cells of every kind that sort near each other: missing, integers and
 * doubles at the edges (NaN, -0, infinities, 2^53 + 1), 128-bit integers,
 * text that reads as a number and text that does not, text sharing its
 * first eight bytes, bytes above 0x7f. */
static void pool_cell(struct rf_table *t, uint64_t v, struct rf_cell *c)
{
	static const char *const text[] = { "", "a", "ab", "abcdefgh", "abcdefghij1", "abcdefghij2", "abcdefgh\x01",
					    "5", "5.0", " 7 ", "1e3", "-0", "0", "nan", "inf", "9", "10", "1a", "-12",
					    "\xff\xfe", "\xc3\xa9t\xc3\xa9", "9223372036854775808", "-1e308", "2e-308",
					    "zz", "Z", "007", "1E3" };
	static const double dbl[] = { 0.0, -0.0, 1.5, -1.5, 1e300, -1e300, 9007199254740992.0, 0.1, 5.0, 1e3 };
	static const int64_t ints[] = { 0, 1, -1, 5, 9, 10, 1000, INT64_MAX, INT64_MIN, 9007199254740993LL, 7 };
	static const char *const big[] = { "170141183460469231731687303715884105727", "-9223372036854775809",
					   "9223372036854775808", "18446744073709551616" };
	memset(c, 0, sizeof *c);
	switch (v % 7) {
	case 0:
		break; /* missing */
	case 1:
	case 2: {
		const char *s = text[(v / 7) % (sizeof text / sizeof *text)];
		c->type = RF_CELL_STR;
		c->u.str.len = (uint32_t)strlen(s);
		c->u.str.s = rf__table_strdup(t, s, c->u.str.len);
		break;
	}
	case 3:
		c->type = RF_CELL_INT;
		c->u.i = ints[(v / 7) % (sizeof ints / sizeof *ints)];
		break;
	case 4:
		c->type = RF_CELL_DBL;
		c->u.d = (v / 7) % 13 == 0 ? NAN : (v / 7) % 13 == 1 ? INFINITY : (v / 7) % 13 == 2 ? -INFINITY
											    : dbl[(v / 7) % 10];
		break;
	case 5: {
		const char *s = big[(v / 7) % 4];
		c->type = RF_CELL_BIGINT;
		c->u.str.len = (uint32_t)strlen(s);
		c->u.str.s = rf__table_strdup(t, s, c->u.str.len);
		break;
	}
	default:
		c->type = RF_CELL_TIME;
		c->u.i = (int64_t)(v % 5) * 60 - 60;
		break;
	}
}

/* The order as it was before the prefix sort: qsort on the full
 * comparison of every row (the sort columns, the keys, the row number). */
static const struct rf_table *ref_t;
static const int *ref_cols, *ref_desc;
static int ref_n;

static int ref_cmp(const void *pa, const void *pb)
{
	size_t ra = *(const size_t *)pa, rb = *(const size_t *)pb;
	const struct rf_cell *a = &ref_t->cells[ra * (size_t)ref_t->ncols], *b = &ref_t->cells[rb * (size_t)ref_t->ncols];
	for (int i = 0; i < ref_n; i++) {
		int col = ref_cols[i];
		int c = col >= ref_t->nkeys ? rf__cell_cmp_value(&a[col], &b[col]) : rf__cell_cmp(&a[col], &b[col]);
		if (c)
			return ref_desc[i] ? -c : c;
	}
	for (int k = 0; k < ref_t->nkeys; k++) {
		int c = rf__cell_cmp(&a[k], &b[k]);
		if (c)
			return c;
	}
	return (ra > rb) - (ra < rb);
}

static struct rf_table *random_table(uint64_t *rs, size_t nrows, int spread)
{
	static const char *const names[] = { "k1", "k2", "v1", "v2" };
	struct rf_table *t = rf__table_new(4, 2, names);
	ck_assert_ptr_nonnull(t);
	for (size_t r = 0; r < nrows; r++) {
		struct rf_cell *row = rf__table_add_row(t);
		ck_assert_ptr_nonnull(row);
		for (int c = 0; c < 4; c++)
			pool_cell(t, test_rand(rs) % (uint64_t)spread, &row[c]);
	}
	return t;
}

/* Same cells, same order: the identity of each row (its cell bytes). */
static void same_rows(const struct rf_table *x, const struct rf_table *y, size_t n)
{
	ck_assert_uint_eq(y->nrows, n);
	ck_assert(n == 0 || memcmp(x->cells, y->cells, n * (size_t)x->ncols * sizeof *x->cells) == 0);
}

static struct rf_table *copy_table(const struct rf_table *t)
{
	static const char *const names[] = { "k1", "k2", "v1", "v2" };
	struct rf_table *c = rf__table_new(t->ncols, t->nkeys, names);
	ck_assert_int_eq(rf__table_reserve(c, t->nrows ? t->nrows : 1), 0);
	if (t->nrows) /* an empty table may have no cells at all */
		memcpy(c->cells, t->cells, t->nrows * (size_t)t->ncols * sizeof *t->cells);
	c->nrows = t->nrows;
	return c;
}

START_TEST(test_sort_matches_full_comparison)
{
	uint64_t rs = 77;
	static const int colsets[][3] = { { 0, 0, 0 }, { 2, 0, 0 }, { 3, 2, 0 }, { 1, 3, 0 }, { 2, 3, 1 } };
	static const int ns[] = { 0, 1, 2, 2, 3 };
	for (int round = 0; round < 120; round++) {
		size_t nrows = round < 20 ? (size_t)round : 1 + test_rand(&rs) % 600;
		/* a small spread gives many ties, a large one few */
		struct rf_table *t = random_table(&rs, nrows, round % 3 == 0 ? 14 : round % 3 == 1 ? 200 : 5000);
		int set = round % 5, desc[3] = { (int)(test_rand(&rs) & 1), (int)(test_rand(&rs) & 1), 0 };
		/* the reference: row numbers sorted by the full comparison */
		size_t *order = malloc((nrows ? nrows : 1) * sizeof *order);
		for (size_t i = 0; i < nrows; i++)
			order[i] = i;
		ref_t = t, ref_cols = colsets[set], ref_desc = desc, ref_n = ns[set];
		qsort(order, nrows, sizeof *order, ref_cmp);
		struct rf_table *want = copy_table(t);
		for (size_t i = 0; i < nrows; i++)
			memcpy(&want->cells[i * 4], &t->cells[order[i] * 4], 4 * sizeof *t->cells);
		struct rf_table *sorted = copy_table(t);
		ck_assert_int_eq(rf__table_sort(sorted, colsets[set], desc, ns[set]), 0);
		same_rows(want, sorted, nrows);
		/* top N: the first N rows of that order, for N at the edges */
		size_t tops[] = { 0, 1, 2, 3, nrows / 3, nrows / 2, nrows ? nrows - 1 : 0, nrows, nrows + 5 };
		for (size_t k = 0; k < sizeof tops / sizeof *tops; k++) {
			struct rf_table *top = copy_table(t);
			ck_assert_int_eq(rf__table_top(top, colsets[set], desc, ns[set], tops[k]), 0);
			same_rows(want, top, tops[k] < nrows ? tops[k] : nrows);
			rf__table_free(top);
		}
		free(order);
		rf__table_free(want);
		rf__table_free(sorted);
		rf__table_free(t);
	}
}
END_TEST

/* The prefix keeps the order: a < b never has a larger prefix, and cells
 * that compare equal have the same one (-0 and 0, 5 and 5.0, NaNs). */
START_TEST(test_sort_prefix_keeps_order)
{
	static const char *const names[] = { "k1", "k2", "v1", "v2" };
	struct rf_table *t = rf__table_new(4, 2, names);
	struct rf_cell cells[400];
	for (int i = 0; i < 400; i++)
		pool_cell(t, (uint64_t)i, &cells[i]);
	for (int i = 0; i < 400; i++)
		for (int j = 0; j < 400; j++) {
			uint64_t pa = rf__cell_prefix(&cells[i]), pb = rf__cell_prefix(&cells[j]);
			int c = rf__cell_cmp(&cells[i], &cells[j]), v = rf__cell_cmp_value(&cells[i], &cells[j]);
			if (c < 0 || v < 0)
				ck_assert_msg(pa <= pb, "cells %d < %d but prefix %llx > %llx", i, j,
					      (unsigned long long)pa, (unsigned long long)pb);
			if (v == 0)
				ck_assert_msg(pa == pb, "cells %d == %d by value, prefixes differ", i, j);
		}
	rf__table_free(t);
}
END_TEST

/* Numbers in their exact order wherever their doubles tie: past 2^53,
 * past and below the double range, long fractions at any magnitude, text
 * against double cells (0.1 as text is below the double 0.1).  A list in
 * ascending order, equal values sharing a rank, the ranks from Python's
 * Fraction of each text (of its double for a D cell).  Every
 * pair compares as the ranks do, the prefix never says otherwise, and a
 * sort of the list shuffled gives the ranks in order. */
START_TEST(test_exact_order_past_2_53)
{
	static const struct {
		int rank;
		char type; /* I int64, B BIGINT, D double, S text */
		const char *s;
	} v[] = {
		{ 0, 'D', "-inf" },
		{ 1, 'S', "-2e400" },
		{ 2, 'S', "-1e400" },
		{ 2, 'S', " -10e399" },
		{ 3, 'B', "-18446744073709551617" },
		{ 4, 'S', "-18446744073709551616.5" },
		{ 5, 'B', "-18446744073709551616" },
		{ 5, 'D', "-18446744073709551616" },
		{ 5, 'S', "-1.8446744073709551616e19" },
		{ 6, 'S', "-9223372036854775808.5" },
		{ 7, 'I', "-9223372036854775808" },
		{ 7, 'S', "-9223372036854775808.0" },
		{ 8, 'S', "-9223372036854775807.5" },
		{ 9, 'I', "-9223372036854775807" },
		{ 10, 'I', "-9007199254740993" },
		{ 11, 'S', "-9007199254740992.5" },
		{ 12, 'I', "-9007199254740992" },
		{ 12, 'D', "-9007199254740992" },
		{ 13, 'S', "-9007199254740991.0000000000000000000001" },
		{ 14, 'I', "-9007199254740991" },
		{ 14, 'D', "-9007199254740991" },
		{ 14, 'S', "-9007199254740991.000" },
		{ 15, 'S', "-9007199254740990.999999" },
		{ 16, 'S', "-9007199254740990.75" },
		{ 17, 'D', "-0.1" },
		{ 18, 'S', "-0.10000000000000000001" },
		{ 19, 'S', "-0.1" },
		{ 20, 'S', "-1e-400" },
		{ 21, 'I', "0" },
		{ 21, 'S', "-0.0" },
		{ 21, 'D', "0" },
		{ 22, 'S', "1e-400" },
		{ 23, 'S', "2e-400" },
		{ 24, 'S', "2.4703282292062328e-324" },
		{ 25, 'D', "5e-324" },
		{ 25, 'S', "4.9406564584124654417656879286822137236505980261432476442558568250067550727020875186529983636163599237979656469544571773092665671035593979639877479601078187812630071319031140452784581716784898210368871863605699873072305000638740915356498438731247339727316961514003171538539807412623856559117102665855668676818703956031062493194527159149245532930545654440112748012970999954193198940908041656332452475714786901472678015935523861155013480352649347201937902681071074917033322268447533357208324319360923828934583680601060115061698097530783422773183292479049825247307763759272478746560847782037344696995336470179726777175851256605511991315048911014510378627381672509558373897335989936648099411642057026370902792427675445652290875386825064197182655334472656250000000000e-324" },
		{ 26, 'S', "5e-324" },
		{ 27, 'S', "0.09999999999999999999" },
		{ 28, 'S', "0.1" },
		{ 28, 'S', "1e-1" },
		{ 29, 'S', "0.10000000000000000001" },
		{ 30, 'D', "0.1" },
		{ 30, 'S', "0.1000000000000000055511151231257827021181583404541015625" },
		{ 31, 'D', "0.1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111" },
		{ 32, 'S', "0.1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111" },
		{ 33, 'S', "0.1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111112" },
		{ 34, 'S', "0.29999999999999998889776975374843459576368331909179687" },
		{ 35, 'D', "0.3" },
		{ 36, 'S', "0.3" },
		{ 37, 'S', "0.99999999999999999999" },
		{ 38, 'I', "1" },
		{ 38, 'D', "1" },
		{ 38, 'S', "1.0" },
		{ 38, 'S', "1.00e0" },
		{ 39, 'S', "1.0000000000000000000001" },
		{ 40, 'S', "4503599627370495.5" },
		{ 40, 'D', "4503599627370495.5" },
		{ 41, 'S', "4503599627370495.50000000000000000001" },
		{ 42, 'I', "4503599627370496" },
		{ 43, 'S', "4503599627370496.0000000000000000000001" },
		{ 44, 'I', "9007199254740991" },
		{ 45, 'S', "9007199254740991.5" },
		{ 46, 'I', "9007199254740992" },
		{ 46, 'S', "9007199254740992.000" },
		{ 46, 'S', "+.9007199254740992e16\r" },
		{ 47, 'S', "9007199254740992.5" },
		{ 48, 'I', "9007199254740993" },
		{ 48, 'S', "9.007199254740993e15" },
		{ 49, 'I', "9223372036854775806" },
		{ 50, 'S', "9223372036854775806.5" },
		{ 51, 'I', "9223372036854775807" },
		{ 51, 'S', "9223372036854775807.0" },
		{ 51, 'S', "0009223372036854775807.00e0" },
		{ 52, 'S', "9223372036854775807.25" },
		{ 53, 'D', "9223372036854775808" },
		{ 53, 'B', "9223372036854775808" },
		{ 54, 'S', "9223372036854775808.0000000000000000000001" },
		{ 55, 'B', "9223372036854775809" },
		{ 56, 'S', "18446744073709551615.999" },
		{ 57, 'B', "18446744073709551616" },
		{ 57, 'D', "18446744073709551616" },
		{ 57, 'S', "1844674407370955161600e-2" },
		{ 58, 'S', "1e400" },
		{ 59, 'S', "1.5e400" },
		{ 60, 'D', "inf" },
	};
	enum { N = sizeof v / sizeof *v };
	static const char *const names[] = { "k", "v" };
	struct rf_table *t = rf__table_new(2, 1, names);
	struct rf_cell c[N];
	for (int i = 0; i < N; i++) {
		memset(&c[i], 0, sizeof c[i]);
		switch (v[i].type) {
		case 'I':
			c[i].type = RF_CELL_INT;
			c[i].u.i = strtoll(v[i].s, NULL, 10);
			break;
		case 'D':
			c[i].type = RF_CELL_DBL;
			c[i].u.d = strtod(v[i].s, NULL);
			break;
		default:
			c[i].type = v[i].type == 'B' ? RF_CELL_BIGINT : RF_CELL_STR;
			c[i].u.str.len = (uint32_t)strlen(v[i].s);
			c[i].u.str.s = rf__table_strdup(t, v[i].s, c[i].u.str.len);
		}
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			int want = (v[i].rank > v[j].rank) - (v[i].rank < v[j].rank);
			int got = rf__cell_cmp_value(&c[i], &c[j]);
			ck_assert_msg(got == want, "%c %s vs %c %s: %d, want %d", v[i].type, v[i].s, v[j].type,
				      v[j].s, got, want);
			/* the total order (keys) agrees wherever the values differ */
			if (want)
				ck_assert_int_eq(rf__cell_cmp(&c[i], &c[j]), want);
			uint64_t pi = rf__cell_prefix(&c[i]), pj = rf__cell_prefix(&c[j]);
			ck_assert_msg(want < 0 ? pi <= pj : want > 0 ? pi >= pj : pi == pj, "prefix of %s vs %s",
				      v[i].s, v[j].s);
		}
	/* sorted by the value column, up and down, from a shuffled table */
	uint64_t rs = 5;
	for (int round = 0; round < 20; round++) {
		int order[N];
		for (int i = 0; i < N; i++)
			order[i] = i;
		for (int i = N - 1; i > 0; i--) {
			int j = (int)(test_rand(&rs) % (uint64_t)(i + 1)), x = order[i];
			order[i] = order[j];
			order[j] = x;
		}
		t->nrows = 0;
		for (int i = 0; i < N; i++) {
			struct rf_cell *row = rf__table_add_row(t);
			row[0] = (struct rf_cell){ .type = RF_CELL_INT, .u.i = order[i] };
			row[1] = c[order[i]];
		}
		int col = 1, desc = round & 1;
		ck_assert_int_eq(round & 2 ? rf__table_top(t, &col, &desc, 1, N) : rf__table_sort(t, &col, &desc, 1), 0);
		for (size_t r = 1; r < t->nrows; r++) {
			int a = v[t->cells[(r - 1) * 2].u.i].rank, b = v[t->cells[r * 2].u.i].rank;
			ck_assert_msg(desc ? a >= b : a <= b, "round %d row %zu: rank %d then %d", round, r, a, b);
		}
	}
	rf__table_free(t);
}
END_TEST

/* An aggregate's result sorted while it is built equals the unsorted
 * result sorted afterwards (keys that read as numbers, or do not, or are
 * missing; times). */
START_TEST(test_result_sorted_once)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct rf_agg_config cfg;
	config_all(&cfg);
	cfg.naggs = 2;
	struct rows *r = calloc(1, sizeof *r);
	make_rows(r, 9, 4000, 3000);
	static const char *const odd[] = { "10", "9", "1a", "-5", "5.0", "5", "nan", "", " 3", "1e400", "abcdefghX" };
	for (int i = 0; i < 400; i++) {
		const char *s = odd[i % 11];
		r->b.vals[i * 2] = i % 13 == 12 ? RF_MISSING : (struct rf_value){ s, (int32_t)strlen(s) };
		r->b.vals[i * 2 + 2000] = (struct rf_value){ r->text[1000 + i][1], (int32_t)strlen(r->text[1000 + i][1]) };
	}
	struct rf_agg_state *st = rf__agg_new(&cfg, k);
	ck_assert_int_eq(rf__agg_process(st, &r->b), 0);
	struct rf_table *a, *b;
	ck_assert_int_eq(rf__agg_result(st, 0, &a), 0);
	ck_assert_int_eq(rf__agg_result(st, RF_AGG_UNSORTED, &b), 0);
	ck_assert_int_eq(rf__table_sort(b, NULL, NULL, 0), 0);
	tables_equal(a, b);
	rf__table_free(a);
	rf__table_free(b);
	/* final: the index goes, the result stays the same */
	ck_assert_int_eq(rf__agg_result(st, 0, &a), 0);
	ck_assert_int_eq(rf__agg_result(st, RF_AGG_FINAL, &b), 0);
	tables_equal(a, b);
	rf__table_free(a);
	rf__table_free(b);
	rf__agg_free(st);
	rf__batch_free(&r->b);
	free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("aggregate");
	TCase *tc = tcase_create("aggregate");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_merge_equals_single_pass);
	tcase_add_test(tc, test_integer_sums_exact);
	tcase_add_test(tc, test_min_max_exact);
	tcase_add_test(tc, test_count_twice);
	tcase_add_test(tc, test_partial_format_round_trip);
	tcase_add_test(tc, test_new_aggregates_merge);
	tcase_add_test(tc, test_hll_merge_deterministic);
	tcase_add_test(tc, test_histogram_limit_after_merge);
	tcase_add_test(tc, test_sketch_error_bound);
	tcase_add_test(tc, test_sketch_wide_range);
	tcase_add_test(tc, test_sketch_bucket_boundaries);
	tcase_add_test(tc, test_sketch_pages_any_order);
	tcase_add_test(tc, test_sketch_integers_round_exactly);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_times);
	tcase_add_test(tc, test_sort_matches_full_comparison);
	tcase_add_test(tc, test_sort_prefix_keeps_order);
	tcase_add_test(tc, test_result_sorted_once);
	tcase_add_test(tc, test_exact_order_past_2_53);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
