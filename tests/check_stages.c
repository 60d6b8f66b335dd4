/* SPDX-License-Identifier: MIT */
/* check_stages.c - rf_register_stage (issue 19): what a definition must be
 * (ABI version, a verb name, its callbacks, its size) and the names it may
 * not take (a built-in verb's, another stage's); a stage's fields bind as
 * a verb's do, with the same errors.  Public API only.  Check forks per
 * test, so each starts with no stage registered. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "helpers.h"
#include "ringflow.h"

static int reads_open(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
		      size_t errlen)
{
	*state = NULL;
	for (int i = 0; i < argc; i++)
		(void)rf_stage_read(setup, argv[i]); /* a failure ignored: still an error */
	return 0;
}

static int adds_open(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
		     size_t errlen)
{
	*state = NULL;
	return argc == 1 && rf_stage_add(setup, argv[0]) == 0 ? 0 : -EINVAL;
}

static int no_process(void *state, rf_stage_batch *batch)
{
	return 0;
}

static struct rf_stage_def def(const char *name)
{
	return (struct rf_stage_def){ .size = sizeof(struct rf_stage_def), .abi_version = RF_STAGE_ABI_VERSION,
				      .name = name, .usage = "t FIELD...", .open = reads_open, .process = no_process };
}

/* the error, and that the message holds `want` */
#define REFUSED(d, code, want)                                                          \
	do {                                                                            \
		char why[256] = "";                                                     \
		ck_assert_int_eq(rf_register_stage(d, why, sizeof why), code);          \
		ck_assert_msg(strstr(why, want) != NULL, "'%s' lacks '%s'", why, want); \
	} while (0)

START_TEST(test_definitions)
{
	struct rf_stage_def d = def("count");
	REFUSED(&d, -EEXIST, "stage 'count': a built-in verb has that name");
	d = def("1st");
	REFUSED(&d, -EINVAL, "without a valid verb name");
	d = def("a-b");
	REFUSED(&d, -EINVAL, "without a valid verb name");
	d = def("t");
	d.abi_version = RF_STAGE_ABI_VERSION + 1;
	REFUSED(&d, -EPROTO, "built for stage ABI version 2; this ringflow has version 1");
	d = def("t");
	d.process = NULL;
	REFUSED(&d, -EINVAL, "stage 't' has no process callback");
	d = def("t");
	d.size = 16;
	REFUSED(&d, -EINVAL, "too small");
	d = def("t");
	d.aggregate = 1;
	REFUSED(&d, -EINVAL, "stage 't' has no finish callback");
	REFUSED(NULL, -EINVAL, "no stage definition");
	/* a larger definition (a newer header) is taken when what this
	 * library does not know is zero, refused when not */
	struct {
		struct rf_stage_def d;
		uint64_t more;
	} big = { def("t"), 1 };
	big.d.size = sizeof big;
	REFUSED(&big.d, -E2BIG, "fields this ringflow does not know");
	big.more = 0;
	char err[256];
	ck_assert_int_eq(rf_register_stage(&big.d, err, sizeof err), 0);
	d = def("t");
	REFUSED(&d, -EEXIST, "stage 't': the name is taken by a stage the program registered");
}
END_TEST

START_TEST(test_queries)
{
	struct rf_stage_def d = def("t");
	char err[256];
	ck_assert_int_eq(rf_register_stage(&d, err, sizeof err), 0);
	rf_query *q;
	struct rf_query_error qerr;
	ck_assert_int_eq(rf_query_parse("parse combined | t status bytes | count", &q, &qerr), 0);
	ck_assert_int_eq(rf_query_stages(q), 3);
	ck_assert_str_eq(rf_query_stage_name(q, 1), "t");
	rf_query_free(q);
	/* a field the parse lacks, pointed at */
	ck_assert_int_eq(rf_query_parse("parse combined | t status nosuch", &q, &qerr), -EINVAL);
	ck_assert_str_eq(qerr.message, "parse combined has no field 'nosuch'");
	ck_assert_int_eq(qerr.column, 27);
	/* no parse before it: only the record */
	ck_assert_int_eq(rf_query_parse("t line", &q, &qerr), 0);
	rf_query_free(q);
	ck_assert_int_eq(rf_query_parse("t x", &q, &qerr), -EINVAL);
	ck_assert_str_eq(qerr.message, "field 'x' needs a parse stage before it");
	/* a row stage after an aggregate */
	ck_assert_int_eq(rf_query_parse("count | t", &q, &qerr), -EINVAL);
	ck_assert_str_eq(qerr.message, "'t' cannot follow an aggregate here");
	/* a stage that makes a field: after the parse, not before */
	struct rf_stage_def mk = def("mk");
	mk.open = adds_open;
	ck_assert_int_eq(rf_register_stage(&mk, err, sizeof err), 0);
	ck_assert_int_eq(rf_query_parse("parse combined | mk made | count by made", &q, &qerr), 0);
	rf_query_free(q);
	ck_assert_int_eq(rf_query_parse("mk made | parse combined | count by made", &q, &qerr), -EINVAL);
	ck_assert_str_eq(qerr.message, "mk before the parse stage: it makes fields, which the parse would wipe");
	ck_assert_str_eq(qerr.hint, "put it after: parse ... | mk ...");
	/* an open that fails: its message, and the usage */
	ck_assert_int_eq(rf_query_parse("split | mk", &q, &qerr), -EINVAL);
	ck_assert_str_eq(qerr.message, "mk: Invalid argument");
	ck_assert_str_eq(qerr.hint, "usage: t FIELD...");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stages");
	TCase *tc = tcase_create("register");
	tcase_add_test(tc, test_definitions);
	tcase_add_test(tc, test_queries);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
