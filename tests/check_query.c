/* check_query.c - the query parser: what it accepts, and where it points
 * when it refuses. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "helpers.h"
#include "ringflow.h"

static void expect_ok(const char *text, int stages)
{
	rf_query *q;
	struct rf_query_error err;
	int r = rf_query_parse(text, &q, &err);
	ck_assert_msg(r == 0, "'%s' refused: %s", text, err.message);
	ck_assert_int_eq(rf_query_stages(q), stages);
	rf_query_free(q);
}

static void expect_error(const char *text, int column, const char *msg_part, const char *hint_part)
{
	rf_query *q = (rf_query *)1;
	struct rf_query_error err;
	ck_assert_int_eq(rf_query_parse(text, &q, &err), -EINVAL);
	ck_assert_ptr_null(q);
	ck_assert_msg(err.column == column, "'%s': column %d, want %d (%s)", text, err.column, column,
		      err.message);
	ck_assert_msg(strstr(err.message, msg_part), "'%s': message '%s' lacks '%s'", text, err.message,
		      msg_part);
	if (hint_part)
		ck_assert_msg(strstr(err.hint, hint_part), "'%s': hint '%s' lacks '%s'", text, err.hint,
			      hint_part);
}

START_TEST(test_accepts)
{
	expect_ok("count", 1);
	expect_ok("  count  ", 1);
	expect_ok("grep \"404\"", 1);
	expect_ok("grep 404", 1);
	expect_ok("grep ' 404 ' | count", 2);
	expect_ok("grep -v GET|count", 2);
	expect_ok("grep \"a|b\" | grep 'x\"y' | count", 3);
	expect_ok("grep \"\\x00\\t\\\\\"", 1);
}
END_TEST

START_TEST(test_stage_names)
{
	rf_query *q;
	struct rf_query_error err;
	ck_assert_int_eq(rf_query_parse("grep x | count", &q, &err), 0);
	ck_assert_str_eq(rf_query_stage_name(q, 0), "grep");
	ck_assert_str_eq(rf_query_stage_name(q, 1), "count");
	ck_assert_ptr_null(rf_query_stage_name(q, 2));
	rf_query_free(q);
}
END_TEST

START_TEST(test_errors_point_at_the_spot)
{
	expect_error("", 1, "empty query", "count");
	expect_error("gerp 404", 1, "unknown verb 'gerp'", "did you mean 'grep'?");
	expect_error("grep 404 | cuont", 12, "unknown verb 'cuont'", "did you mean 'count'?");
	expect_error("frobnicate", 1, "unknown verb", "verbs:");
	expect_error("grep \"404", 6, "unterminated string", NULL);
	expect_error("grep", 1, "needs a literal", "grep \"ERROR\"");
	expect_error("grep a b", 8, "one literal", NULL);
	expect_error("grep -x a", 6, "unknown flag '-x'", "-v");
	expect_error("count | grep a", 9, "cannot follow an aggregate", NULL);
	expect_error("count 5", 7, "unexpected '5' after the aggregates", "by");
	expect_error("grep a |", 9, "empty stage", NULL);
	expect_error("| count", 1, "empty stage", NULL);
	expect_error("grep a || count", 9, "empty stage", NULL);
	expect_error("grep \"a\\qb\"", 8, "unknown escape", NULL);
	expect_error("grep \"a\\x4\"", 8, "two hex digits", NULL);
	expect_error("grep \"a\\nb\"", 6, "newline", NULL);
	expect_error("grep ( a", 6, "unexpected", "usage: grep");
}
END_TEST

START_TEST(test_language_accepts)
{
	expect_ok("split | count by $9", 2);
	expect_ok("split \",\" | sum($3) by $1", 2);
	expect_ok("parse combined | where status >= 500 | count by path | top 10", 4);
	expect_ok("parse combined | count, sum(bytes), avg(bytes), p50(bytes), p99(bytes), distinct(ip) by status", 2);
	expect_ok("parse json | where level == \"error\" | count, p99(latency_ms) by service", 3);
	expect_ok("parse json | count by minute", 2);
	expect_ok("parse logfmt | quantile(dur, 0.999) by bucket(ts, 5m)", 2);
	expect_ok("parse combined | where (status >= 500 or status == 404) and not path contains \"/static\"", 2);
	expect_ok("parse combined | where agent ~ \"bot|crawl\" | count", 3);
	expect_ok("parse combined | count by status | sort count desc, status | head 3 | select status", 5);
	expect_ok("parse combined | p99(bytes) by path | top 5 by p99(bytes)", 3);
	expect_ok("parse csv | select name, $2 | head 10", 3);
	expect_ok("parse regex \"(?<ms>[0-9]+)ms\" | max(ms)", 2);
	expect_ok("regex \"^a.*z$\" | grep -i -v Foo | count", 3);
}
END_TEST

START_TEST(test_language_errors)
{
	expect_error("parse combined | count by stauts", 27, "no field 'stauts'", "did you mean 'status'?");
	expect_error("parse jsn", 7, "unknown format 'jsn'", "did you mean 'json'?");
	expect_error("split | count by $0 | top 3 by cnt", 32, "no column 'cnt'", "columns: $0 count");
	expect_error("count by path", 10, "needs a parse stage", "split");
	expect_error("parse combined | where status >== 5", 33, "expected a field or a value", NULL);
	expect_error("parse combined | where status >= 500 and", 41, "expected a field or a value", NULL);
	expect_error("parse combined | p99(bytes", 27, "expected ')'", NULL);
	expect_error("parse combined | quantile(bytes, 2)", 35, "between 0 and 1", NULL);
	expect_error("split | count by minute", 18, "needs a time field", "bucket(");
	expect_error("parse combined | top 3", 18, "works on the result of an aggregate", NULL);
	expect_error("grep x | parse csv | count", 10, "must be the first stage", NULL);
	expect_error("parse regex \"(x\" | count", 16, "bad regular expression", NULL);
	expect_error("parse regex \"(x)\" | count", 13, "no named groups", NULL);
	expect_error("parse combined | sum(bytes), count | sort count dsc", 49, "unexpected 'dsc'", NULL);
	expect_error("parse combined | count | count", 26, "only one aggregate", NULL);
	expect_error("split | parse json", 9, "only one parse stage", NULL);
	expect_error("parse combined | sum bytes", 22, "needs a field in parentheses", "sum(bytes)");
	expect_error("parse combined | count, mean(bytes)", 25, "unknown aggregate 'mean'", NULL);
	expect_error("parse combined | head x", 23, "whole number", NULL);
	expect_error("parse combined | count by bucket(time, 90ms)", 40, "whole number of seconds", NULL);
}
END_TEST

START_TEST(test_many_stages)
{
	char text[4096] = "";
	for (int i = 0; i < RF_MAX_STAGES; i++)
		strcat(text, "grep a | ");
	strcat(text, "count");
	rf_query *q;
	struct rf_query_error err;
	ck_assert_int_eq(rf_query_parse(text, &q, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "too many stages"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_accepts);
	tcase_add_test(tc, test_stage_names);
	tcase_add_test(tc, test_errors_point_at_the_spot);
	tcase_add_test(tc, test_many_stages);
	tcase_add_test(tc, test_language_accepts);
	tcase_add_test(tc, test_language_errors);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
