/* SPDX-License-Identifier: MIT */
/* check_names.c - the name tables made from the enum lists of ringflow.h,
 * against the names the man page documents, and rf_parse_size against
 * hand-computed sizes. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "helpers.h"
#include "ringflow.h"

/* The documented names, in the order of the values (ringflow(1)). */
static const char *const io[] = { "auto", "read", "mmap", "uring" };
static const char *const simd[] = { "auto", "scalar", "sse2", "avx2", "avx512" };
static const char *const mode[] = { "auto", "serial", "parallel", "multiprocess", "pipeline", "async" };
static const char *const numa[] = { "auto", "off", "interleave", "node" };
static const char *const format[] = { "table", "tsv", "csv", "json", "chart", "html" };
#define N(a) ((int)(sizeof a / sizeof a[0]))

/* Each enum round-trips through its names, and nothing else parses. */
#define CHECK_TABLE(names, type, name_fn, parse_fn, last)                                  \
	do {                                                                               \
		ck_assert_int_eq(N(names), (int)(last) + 1);                               \
		for (int i = 0; i < N(names); i++) {                                       \
			type v = (type)99;                                                 \
			ck_assert_str_eq(name_fn((type)i), names[i]);                      \
			ck_assert_int_eq(parse_fn(names[i], &v), 0);                       \
			ck_assert_int_eq((int)v, i);                                       \
		}                                                                          \
		ck_assert_str_eq(name_fn((type)N(names)), "?");                            \
		ck_assert_str_eq(name_fn((type)-1), "?");                                  \
		static const char *const bad[] = { "", "AUTO", "auto ", "x", "jsonl", "nodes" }; \
		for (int i = 0; i < N(bad); i++) {                                         \
			type v = (type)7;                                                  \
			ck_assert_int_eq(parse_fn(bad[i], &v), -EINVAL);                   \
			ck_assert_int_eq((int)v, 7); /* untouched */                       \
		}                                                                          \
	} while (0)

START_TEST(test_name_tables)
{
	CHECK_TABLE(io, enum rf_io, rf_io_name, rf_io_parse, RF_IO_URING);
	CHECK_TABLE(simd, enum rf_simd, rf_simd_name, rf_simd_parse, RF_SIMD_AVX512);
	CHECK_TABLE(mode, enum rf_mode, rf_mode_name, rf_mode_parse, RF_MODE_ASYNC);
	CHECK_TABLE(numa, enum rf_numa_mode, rf_numa_name, rf_numa_parse, RF_NUMA_MODE_NODE);
	CHECK_TABLE(format, enum rf_out_format, rf_format_name, rf_format_parse, RF_OUT_HTML);
}
END_TEST

START_TEST(test_parse_size)
{
	static const struct { const char *s; int r; size_t v; } c[] = {
		{ "0", 0, 0 },
		{ "1", 0, 1 },
		{ "64K", 0, 65536 },
		{ "64k", 0, 65536 },
		{ "64KB", 0, 65536 },
		{ "64KiB", 0, 65536 },
		{ "3M", 0, 3145728 },
		{ "2G", 0, 2147483648u },
		{ "1T", 0, 1099511627776ull },
		{ "18446744073709551615", 0, 18446744073709551615ull },
		{ "16777216T", -ERANGE, 0 },             /* 2^64 */
		{ "18446744073709551616", -ERANGE, 0 },  /* past 2^64 - 1 */
		{ "", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ "1X", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "1B", -EINVAL, 0 },                    /* a unit needs a multiplier */
		{ "1KiBB", -EINVAL, 0 },
	};
	for (int i = 0; i < N(c); i++) {
		size_t v = 12345;
		int r = rf_parse_size(c[i].s, &v);
		ck_assert_msg(r == c[i].r, "'%s': %d, want %d", c[i].s, r, c[i].r);
		ck_assert_msg(v == (c[i].r == 0 ? c[i].v : 12345), "'%s': %zu", c[i].s, v);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("tables");
	tcase_add_test(tc, test_name_tables);
	tcase_add_test(tc, test_parse_size);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
