/* check_agg.c - aggregates: merge equals a single pass, the quantile
 * sketch keeps its error bound, numbers and times parse and print stably. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "aggregate.h"
#include "sketch.h"
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
		if (a->type == RF_CELL_STR)
			ck_assert(a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len));
		else if (a->type == RF_CELL_DBL)
			/* sums of doubles in another order may differ in the last bits */
			ck_assert_msg(fabs(a->u.d - b->u.d) <= 1e-9 * fabs(a->u.d) + 1e-12, "%.17g vs %.17g", a->u.d, b->u.d);
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

START_TEST(test_integer_sum_overflow_falls_back)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct rf_agg_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.naggs = 1;
	cfg.agg[0] = (struct rf_agg_spec){ .func = RF_AGG_SUM, .field = { "v", 0, 1 }, .label = "sum" };
	struct rows *r = calloc(1, sizeof *r);
	make_rows(r, 1, 2, 1);
	r->b.vals[1] = (struct rf_value){ "9223372036854775807", 19 };
	r->b.vals[3] = (struct rf_value){ "10", 2 };
	struct rf_agg_state *st = rf__agg_new(&cfg, k);
	ck_assert_int_eq(rf__agg_process(st, &r->b), 0);
	struct rf_table *t;
	ck_assert_int_eq(rf__agg_table(st, &t), 0);
	ck_assert_int_eq(t->cells[0].type, RF_CELL_DBL); /* no silent wrap-around */
	ck_assert(fabs(t->cells[0].u.d - 9223372036854775817.0) < 1e4);
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
	ck_assert_int_eq(rf__parse_time("[10/Oct/2000:13:55:36 -0700]", 28, 2000, &t), 0);
	rf__format_time(t, buf);
	ck_assert_str_eq(buf, "2000-10-10T20:55:36Z");
	ck_assert_int_eq(rf__parse_time("2026-11-01T00:05:09.123+01:00", 29, 2000, &t), 0);
	rf__format_time(t, buf);
	ck_assert_str_eq(buf, "2026-10-31T23:05:09Z");
	ck_assert_int_eq(rf__parse_time("2026-02-28 23:59:59Z", 20, 2000, &t), 0);
	rf__format_time(t, buf);
	ck_assert_str_eq(buf, "2026-02-28T23:59:59Z");
	ck_assert_int_eq(rf__parse_time("Mar  7 04:05:06", 15, 2024, &t), 0);
	rf__format_time(t, buf);
	ck_assert_str_eq(buf, "2024-03-07T04:05:06Z");
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

int main(void)
{
	Suite *s = suite_create("aggregate");
	TCase *tc = tcase_create("aggregate");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_merge_equals_single_pass);
	tcase_add_test(tc, test_integer_sum_overflow_falls_back);
	tcase_add_test(tc, test_partial_format_round_trip);
	tcase_add_test(tc, test_sketch_error_bound);
	tcase_add_test(tc, test_sketch_integers_round_exactly);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_times);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
