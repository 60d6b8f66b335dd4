/* SPDX-License-Identifier: MIT */
/* check_funcs.c - the expression functions called through their table,
 * as the evaluator calls them (prepare, scratch, eval), on odd inputs:
 * empty strings, NUL bytes, invalid UTF-8, long strings, int64 edges,
 * negative zero, malformed URLs.  Expected results come from Python's
 * str/bytes methods, re, urllib.parse and math (tests/funcs_cases.py
 * writes tests/funcs_cases.inc).  Then the arena: no result points outside
 * its arguments or the memory env->alloc gave. */
#include "config.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "ringflow.h"
#include "tval.h"

struct bytes {
	const char *p;
	size_t n;
};
#define B(lit) { lit, sizeof(lit) - 1 }

struct fcase {
	const char *name;
	int argc;
	struct bytes args[4];
	struct bytes want;
};

static const struct fcase cases[] = {
#include "funcs_cases.inc"
};

/* The arena: a bump allocator that counts its calls. */
static char arena[1 << 20];
static size_t arena_used, arena_calls;

static char *arena_alloc(void *user, size_t n)
{
	(void)user;
	arena_calls++;
	if (n > sizeof arena - arena_used)
		return NULL;
	char *p = arena + arena_used;
	arena_used += (n + 7) & ~(size_t)7;
	return p;
}

/* A typed literal of the case table as a value; strings are copied to the
 * heap with exactly their length, so a read past the end shows in ASan
 * and valgrind. */
static struct rf_tv decode(struct bytes b, char **owned)
{
	*owned = NULL;
	switch (b.p[0]) {
	case 'n': return rf_tv_null();
	case 'b': return rf_tv_bool(b.p[1] == '1');
	case 'i': return rf_tv_int(strtoll(b.p + 1, NULL, 10));
	case 'f': return rf_tv_float(strtod(b.p + 1, NULL));
	case 't': return (struct rf_tv){ .type = RF_TV_TIME, .u.i = strtoll(b.p + 1, NULL, 10) };
	case 'd': return (struct rf_tv){ .type = RF_TV_DUR, .u.i = strtoll(b.p + 1, NULL, 10) };
	default: {
		size_t n = b.n - 1;
		char *s = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(s);
		memcpy(s, b.p + 1, n);
		*owned = s;
		struct rf_tv v = rf_tv_str(s, n);
		v.text = 1;
		return v;
	}
	}
}

/* A result in the table's notation. */
static size_t encode(const struct rf_tv *v, char *buf, size_t cap)
{
	switch (v->type) {
	case RF_TV_NULL: return (size_t)snprintf(buf, cap, "n");
	case RF_TV_BOOL: return (size_t)snprintf(buf, cap, "b%d", (int)v->u.i);
	case RF_TV_INT: return (size_t)snprintf(buf, cap, "i%" PRId64, v->u.i);
	case RF_TV_FLOAT: return (size_t)snprintf(buf, cap, "f%.17g", v->u.d);
	case RF_TV_STR:
		ck_assert_uint_lt(v->len, cap - 1);
		buf[0] = 's';
		memcpy(buf + 1, v->u.s, v->len);
		return v->len + 1;
	case RF_TV_TIME: return (size_t)snprintf(buf, cap, "t%" PRId64, v->u.i);
	case RF_TV_DUR: return (size_t)snprintf(buf, cap, "d%" PRId64, v->u.i);
	case RF_TV_IP: {
		size_t w = (size_t)snprintf(buf, cap, "p");
		for (int i = 0; i < 16; i++)
			w += (size_t)snprintf(buf + w, cap - w, "%02x", v->u.ip[i]);
		return w + (size_t)snprintf(buf + w, cap - w, "/%u", (unsigned)v->len);
	}
	default: return (size_t)snprintf(buf, cap, "type %d", v->type);
	}
}

static void show(char *dst, size_t cap, const char *p, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n && w + 5 < cap; i++) {
		unsigned char c = (unsigned char)p[i];
		w += (size_t)snprintf(dst + w, cap - w, c >= 32 && c < 127 ? "%c" : "\\x%02x", c);
	}
	if (n > 60 && cap > 64)
		strcpy(dst + 60, "...");
}

/* Call a function once, as the evaluator would: every argument given as
 * a constant to prepare (so regex_extract compiles its pattern). */
static int call(const struct fcase *c, struct rf_tv *out, char **owned)
{
	const struct rf_fn_def *def = rf__find_function(c->name);
	ck_assert_msg(def != NULL, "no function %s", c->name);
	struct rf_tv args[4];
	const struct rf_tv *consts[4];
	int cols[4];
	for (int i = 0; i < c->argc; i++) {
		args[i] = decode(c->args[i], &owned[i]);
		consts[i] = &args[i];
		cols[i] = 1 + i;
	}
	struct rf_fn_call fc = { .def = def, .argc = c->argc };
	struct rf_query_error err = { 0 };
	if (def->prepare && def->prepare(&fc, consts, cols, &err) < 0)
		return -1;
	void *scratch = def->scratch_new ? def->scratch_new(&fc) : NULL;
	struct rf_fn_env env = { .alloc = arena_alloc };
	*out = rf_tv_null();
	def->eval(&fc, args, out, &env, scratch);
	ck_assert_int_eq(env.error, 0);
	if (def->scratch_free)
		def->scratch_free(scratch);
	if (def->release)
		def->release(&fc);
	return 0;
}

START_TEST(test_against_python)
{
	static char got[16384];
	int failed = 0;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const struct fcase *c = &cases[k];
		char *owned[4] = { 0 };
		struct rf_tv out;
		arena_used = 0;
		size_t n = call(c, &out, owned) < 0 ? (size_t)snprintf(got, sizeof got, "refused")
						    : encode(&out, got, sizeof got);
		if (n != c->want.n || memcmp(got, c->want.p, n) != 0) {
			char a[4][80] = { { 0 } }, g[80], w[80];
			for (int i = 0; i < c->argc; i++)
				show(a[i], sizeof a[i], c->args[i].p, c->args[i].n);
			show(g, sizeof g, got, n);
			show(w, sizeof w, c->want.p, c->want.n);
			fprintf(stderr, "%s(%s%s%s%s%s%s%s): got %s, want %s\n", c->name, a[0],
				c->argc > 1 ? ", " : "", a[1], c->argc > 2 ? ", " : "", a[2],
				c->argc > 3 ? ", " : "", a[3], g, w);
			failed++;
		}
		for (int i = 0; i < 4; i++)
			free(owned[i]);
	}
	ck_assert_msg(failed == 0, "%d of %zu calls differ from Python", failed, sizeof cases / sizeof cases[0]);
}
END_TEST

/* Per-row cost: a function whose result is part of its argument takes
 * nothing from the arena; one that makes a new string takes one block. */
START_TEST(test_arena)
{
	static const struct {
		const char *name;
		int argc;
		size_t max_calls;
	} fns[] = {
		{ "trim", 1, 0 }, { "substr", 2, 0 }, { "split_part", 3, 0 }, { "contains", 2, 0 },
		{ "starts_with", 2, 0 }, { "url_host", 1, 1 }, { "url_path", 1, 0 }, { "lower", 1, 1 },
		{ "replace", 3, 1 }, { "len", 1, 0 },
	};
	for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
		struct fcase c = { .name = fns[k].name, .argc = fns[k].argc };
		c.args[0] = (struct bytes)B("shttp://Example.com/a,b/c");
		c.args[1] = (struct bytes)B("s/");
		c.args[2] = (struct bytes)B("i2");
		if (!strcmp(c.name, "replace"))
			c.args[2] = (struct bytes)B("s|");
		if (!strcmp(c.name, "substr"))
			c.args[1] = (struct bytes)B("i2");
		char *owned[4] = { 0 };
		struct rf_tv out;
		arena_calls = 0;
		arena_used = 0;
		ck_assert_int_eq(call(&c, &out, owned), 0);
		ck_assert_msg(arena_calls <= fns[k].max_calls, "%s: %zu allocations a call", c.name, arena_calls);
		for (int i = 0; i < 4; i++)
			free(owned[i]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("funcs");
	TCase *tc = tcase_create("funcs");
	tcase_add_test(tc, test_against_python);
	tcase_add_test(tc, test_arena);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
