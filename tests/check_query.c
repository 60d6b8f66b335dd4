/* SPDX-License-Identifier: MIT */
/* check_query.c - the query parser: what it accepts, and where it points
 * when it refuses. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helpers.h"
#include "ringflow.h"
#include "engine.h"

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

/* The bytes of string argument `arg` of stage `stage` once parsed. */
static void expect_string(const char *text, int stage, int arg, const char *want, size_t want_len)
{
	rf_query *q;
	struct rf_query_error err;
	int r = rf_query_parse(text, &q, &err);
	ck_assert_msg(r == 0, "'%s' refused: %s", text, err.message);
	const struct rf_stage_spec *sp = &q->stage[stage];
	ck_assert_int_gt(sp->nargs, arg);
	ck_assert_int_eq(sp->args[arg].type, RF_ARG_STRING);
	ck_assert_msg(sp->args[arg].len == want_len && memcmp(sp->args[arg].text, want, want_len) == 0,
		      "'%s': argument %d is '%.*s' (%zu bytes), want '%.*s'", text, arg, (int)sp->args[arg].len,
		      sp->args[arg].text, sp->args[arg].len, (int)want_len, want);
	rf_query_free(q);
}

#define STR(s) s, sizeof s - 1

START_TEST(test_string_escapes)
{
	/* the defined escapes */
	expect_string("split | where $1 == \"a\\\"b\\\\c\\n\\t\\r\\0\\x41\\x7e'\"", 1, 2, STR("a\"b\\c\n\t\r\0A~'"));
	expect_string("grep 'it\\'s'", 0, 0, STR("it's"));
	/* in a regex any other backslash stays, with the character after it, so
	 * a pattern is written as for grep -P; \\d is still \d */
	expect_string("regex \"\\d+\\.\\d+ \\\\d \\\" \\t \\x41\"", 0, 0, STR("\\d+\\.\\d+ \\d \" \t A"));
	expect_string("regex -v '\\w\\s\\b\\''", 0, 1, STR("\\w\\s\\b'"));
	expect_string("parse regex \"^\\[(?<level>\\w+)\\]\" | count", 0, 1, STR("^\\[(?<level>\\w+)\\]"));
	expect_string("split | where $1 ~ \"\\bx\\\\\\\\\" and $2 == \"\\\\\"", 1, 2, STR("\\bx\\\\"));
	expect_string("split | where $1 ~ \"\\bx\\\\\\\\\" and $2 == \"\\\\\"", 1, 6, STR("\\"));
	/* elsewhere it is an error, not a silent search for a backslash */
	expect_error("grep \"C:\\Users\"", 9, "unknown escape '\\U' (this string is not a regex)", "\\\\ for a backslash");
	expect_error("grep \"a\\.b\"", 8, "unknown escape '\\.'", "write . alone");
	expect_error("split \"\\|\" | count", 8, "unknown escape '\\|'", NULL);
	expect_error("split | where $1 == \"\\d\"", 22, "unknown escape '\\d'", NULL);
	expect_error("split | where $1 ~ \"\\d\" and $1 == \"\\d\"", 36, "unknown escape '\\d'", NULL);
	expect_error("parse regex \"(?<x>\\d)\" | where x contains \"\\d\"", 44, "unknown escape", NULL);
	expect_error("grep \"regex\" | grep \"\\d\"", 22, "unknown escape", NULL);
	/* what stays wrong */
	expect_error("grep \"a\\x4\"", 8, "two hex digits", NULL);
	expect_error("grep \"a\\", 6, "unterminated string", NULL);
	expect_error("regex \"a\\\"", 7, "unterminated string", NULL);
	/* PCRE2 errors point into the pattern */
	expect_error("regex \"\\d\\\"(x\"", 13, "bad regular expression", NULL);
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
	expect_ok("grep a b \"c d\"", 1); /* any of several literals */
	expect_error("grep a b | count x", 18, "unexpected 'x'", NULL);
	expect_error("grep -x a", 6, "unknown flag '-x'", "-v");
	expect_error("count | grep a", 9, "cannot follow an aggregate", NULL);
	expect_error("count 5", 7, "unexpected '5' after the aggregates", "by");
	expect_error("grep a |", 9, "empty stage", NULL);
	expect_error("| count", 1, "empty stage", NULL);
	expect_error("grep a || count", 9, "empty stage", NULL);
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

/* ---- nesting: every recursive construct, 100,000 deep, on a 1 MiB stack ---- */

#define SMALL_STACK (1 << 20) /* what `ulimit -s 1024` gives */

/* "PREFIX" + n times UNIT + MIDDLE + n times CLOSE + "SUFFIX" */
static char *repeat(const char *prefix, const char *unit, int n, const char *middle, const char *close,
		    const char *suffix)
{
	size_t len = strlen(prefix) + (size_t)n * (strlen(unit) + strlen(close)) + strlen(middle) + strlen(suffix);
	char *s = malloc(len + 1), *p = s;
	ck_assert_ptr_nonnull(s);
	p = stpcpy(p, prefix);
	for (int i = 0; i < n; i++)
		p = stpcpy(p, unit);
	p = stpcpy(p, middle);
	for (int i = 0; i < n; i++)
		p = stpcpy(p, close);
	stpcpy(p, suffix);
	return s;
}

struct deep_case {
	const char *query;
	enum rf_mode mode;
	int parse;            /* rf_query_parse's return */
	char err[256];
	int column;
	char out[64];         /* what the run printed */
};

static void *deep_run(void *arg)
{
	struct deep_case *dc = arg;
	rf_query *q;
	struct rf_query_error err;
	dc->parse = rf_query_parse(dc->query, &q, &err);
	if (dc->parse < 0) {
		snprintf(dc->err, sizeof dc->err, "%s", err.message);
		dc->column = err.column;
		return NULL;
	}
	char dir[] = "/tmp/rf-deep-XXXXXX", in[64], out[64];
	if (!mkdtemp(dir))
		return NULL;
	snprintf(in, sizeof in, "%s/in", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	int fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "a 1\nb 2\nc 3\n", 12) != 12)
		return NULL;
	close(fd);
	struct rf_options opt;
	rf_options_init(&opt);
	opt.mode = dc->mode;
	opt.threads = 2;
	opt.out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	const char *files[] = { in };
	int r = rf_run(q, files, 1, &opt, NULL);
	close(opt.out_fd);
	rf_query_free(q);
	fd = open(out, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, dc->out, sizeof dc->out - 1) : -1;
	dc->out[n > 0 ? n : 0] = '\0';
	if (r != 0)
		snprintf(dc->out, sizeof dc->out, "rf_run: %d", r);
	close(fd);
	unlink(in);
	unlink(out);
	rmdir(dir);
	return NULL;
}

/* Parse (and, if it parses, run) on a thread with a 1 MiB stack; every
 * thread the run starts gets that stack too. */
static void deep(struct deep_case *dc)
{
	pthread_attr_t attr;
	pthread_t t;
	ck_assert_int_eq(pthread_attr_init(&attr), 0);
	ck_assert_int_eq(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
	ck_assert_int_eq(pthread_setattr_default_np(&attr), 0);
	ck_assert_int_eq(pthread_create(&t, &attr, deep_run, dc), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
}

/* in the first nmodes of serial, parallel, pipeline, multiprocess */
static void expect_deep_count(const char *query, const char *want, int nmodes)
{
	enum rf_mode modes[] = { RF_MODE_SERIAL, RF_MODE_PARALLEL, RF_MODE_PIPELINE, RF_MODE_MULTIPROCESS };
	for (int m = 0; m < nmodes; m++) {
		struct deep_case dc = { .query = query, .mode = modes[m] };
		deep(&dc);
		ck_assert_msg(dc.parse == 0, "%.60s...: refused: %s", query, dc.err);
		ck_assert_msg(strcmp(dc.out, want) == 0, "%.60s... in %s mode: printed '%s', want '%s'", query,
			      rf_mode_name(modes[m]), dc.out, want);
	}
}

START_TEST(test_deep_parentheses_refused)
{
	/* 100,000 levels: the 257th '(' (column 14 + 257) is refused */
	char *q = repeat("split | where ", "(", 100000, "$1 == \"a\"", ")", " | count");
	struct deep_case dc = { .query = q };
	deep(&dc);
	ck_assert_int_eq(dc.parse, -EINVAL);
	ck_assert_msg(strstr(dc.err, "nested more than 256 deep"), "message: %s", dc.err);
	ck_assert_int_eq(dc.column, 14 + 257);
	free(q);
	/* unbalanced, and around not: the same */
	q = repeat("split | where ", "not (", 100000, "$1", "", " | count");
	dc = (struct deep_case){ .query = q };
	deep(&dc);
	ck_assert_int_eq(dc.parse, -EINVAL);
	ck_assert_int_eq(dc.column, 14 + 256 * 5 + 5);
	free(q);
	/* in the other verbs' parentheses too */
	q = repeat("split | count by ", "(", 100000, "$1", ")", "");
	dc = (struct deep_case){ .query = q };
	deep(&dc);
	ck_assert_int_eq(dc.parse, -EINVAL);
	ck_assert_msg(strstr(dc.err, "nested more than 256 deep"), "message: %s", dc.err);
	free(q);
}
END_TEST

START_TEST(test_deep_but_allowed)
{
	/* 256 levels, each with a not and an and: the deepest tree allowed */
	char *q = repeat("split | where ", "not ($1 == \"z\" or not (", 128, "$1 == \"b\"", "))", " | count");
	expect_deep_count(q, "1\n", 4);
	free(q);
	/* 100,000 nots: a loop, not a recursion; an even number cancels out */
	q = repeat("split | where ", "not ", 100000, "$1 == \"a\"", "", " | count");
	expect_deep_count(q, "1\n", 2);
	free(q);
	q = repeat("split | where ", "not ", 100001, "$1 == \"a\"", "", " | count");
	expect_deep_count(q, "2\n", 1);
	free(q);
	/* and/or chains of 100,000: the last term decides */
	q = repeat("split | where ", "$1 == \"x\" or ", 100000, "$1 == \"c\"", "", " | count");
	expect_deep_count(q, "1\n", 2);
	free(q);
	q = repeat("split | where ", "$2 > 0 and ", 100000, "$1 != \"c\"", "", " | count");
	expect_deep_count(q, "2\n", 1);
	free(q);
	/* mixed: or of ands of nots, 20,000 terms */
	q = repeat("split | where ", "not not $1 == \"x\" and $2 > 0 or ", 20000, "$2 >= 3", "", " | count");
	expect_deep_count(q, "1\n", 1);
	free(q);
	/* a chain with a regex in it, and a chain inside parentheses */
	q = repeat("split | where ", "$1 contains \"x\" or ($1 == \"q\" and $2 > 1) or ", 20000, "$1 ~ \"^b$\"", "", " | count");
	expect_deep_count(q, "1\n", 2);
	free(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_accepts);
	tcase_add_test(tc, test_stage_names);
	tcase_add_test(tc, test_string_escapes);
	tcase_add_test(tc, test_errors_point_at_the_spot);
	tcase_add_test(tc, test_many_stages);
	tcase_add_test(tc, test_language_accepts);
	tcase_add_test(tc, test_language_errors);
	suite_add_tcase(s, tc);
	TCase *deep = tcase_create("nesting");
	tcase_set_timeout(deep, 60);
	tcase_add_test(deep, test_deep_parentheses_refused);
	tcase_add_test(deep, test_deep_but_allowed);
	suite_add_tcase(s, deep);
	return run_suite(s);
}
