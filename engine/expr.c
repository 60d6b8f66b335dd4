/* SPDX-License-Identifier: MIT */
/* expr.c - the expression language: its parser and the binding of names.
 *
 *     where status >= 500 and (path contains "/api" or method == "POST")
 *     where time >= 2026-11-01T10:00 and client in 10.0.0.0/8
 *     eval kb = bytes / 1024, host = url_host(referer)
 *     count(where status >= 500) / count * 100 as error_pct by minute
 *
 * Precedence, low to high: or; and; not; comparisons (== = != < <= > >=,
 * ~ "regex", contains, [not] in (...), in CIDR, is [not] null); + -;
 * * / %; unary -; calls and parentheses.
 *
 * The stage lexer (query.c) hands over words, numbers, strings, operators
 * and parentheses; a word such as bytes/1024 is split here at + * / %.
 * A '-' inside a word is part of it (x-forwarded-for, 2026-11-01, 1e-3):
 * subtraction between names is written with spaces, a - b.
 *
 * Literals: numbers, strings, true, false, null, durations (500ms, 5m,
 * 1h30m), times (2026-11-01, 2026-11-01T10:00:00), IPv4 addresses and
 * networks (10.1.2.3, 10.0.0.0/8); IPv6 ones are written as strings.
 *
 * Chains of and, or and not are loops, and so are chains of + - * / %:
 * only parentheses (at most 256 deep, query.c) make the parser or the
 * evaluator recurse.  expr_eval.c evaluates. */
#include "config.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr_int.h"
#include "parse.h"

/* ---- tokens: the stage's arguments, words split at + * / % ---- */

enum { X_END, X_NAME, X_LIT, X_STR, X_OP, X_ARITH, X_LP, X_RP, X_COMMA };

struct xtok {
	int type;
	const char *text;   /* not NUL-terminated for a piece of a word */
	size_t len;
	int column;
	int whole;          /* the whole argument (not a piece of a word) */
};

struct xlex {
	struct rf_cursor *c;
	size_t pos;         /* in the current argument, when it is split */
	const struct rf_expr_opts *o;
	int depth;          /* parentheses open in this expression */
	int nre, ncalls;
};

static int is_arith(char ch)
{
	return ch == '+' || ch == '*' || ch == '/' || ch == '%';
}

static int lit_of(const char *p, size_t n, struct rf_expr *e);

/* Whether a whole word is a literal (its node made and dropped: off the
 * stack, which the parser's recursion over parentheses needs) */
static __attribute__((noinline)) int is_literal(const char *p, size_t n)
{
	struct rf_expr *probe = calloc(1, sizeof *probe);
	if (!probe)
		return 0;
	int r = lit_of(p, n, probe) == 0;
	free(probe->text);
	free(probe);
	return r;
}

static struct xtok peek(struct xlex *lx)
{
	struct rf_cursor *c = lx->c;
	struct xtok t = { X_END, NULL, 0, c->end_column, 1 };
	if (c->i >= c->nargs)
		return t;
	const struct rf_arg *a = &c->args[c->i];
	t.column = a->column;
	t.text = a->text;
	t.len = a->len;
	switch (a->type) {
	case RF_ARG_STRING: t.type = X_STR; return t;
	case RF_ARG_OP: t.type = X_OP; return t;
	case RF_ARG_COMMA: t.type = X_COMMA; return t;
	case RF_ARG_LPAREN: t.type = X_LP; return t;
	case RF_ARG_RPAREN: t.type = X_RP; return t;
	default: break;
	}
	if (lx->pos == 0 && a->text[0] != '-' && is_literal(a->text, a->len)) {
		t.type = X_LIT;
		return t;
	}
	const char *p = a->text + lx->pos;
	size_t rest = a->len - lx->pos;
	t.text = p;
	t.column = a->column + (int)lx->pos;
	t.whole = lx->pos == 0;
	if (is_arith(*p) || *p == '-') {
		t.type = X_ARITH;
		t.len = 1;
		t.whole = a->len == 1;
		return t;
	}
	size_t n = 0;
	while (n < rest && !is_arith(p[n]))
		n++;
	t.len = n;
	t.whole = lx->pos == 0 && n == a->len;
	t.type = isdigit((unsigned char)*p) || *p == '.' ? X_LIT : X_NAME;
	return t;
}

static void take(struct xlex *lx, const struct xtok *t)
{
	struct rf_cursor *c = lx->c;
	const struct rf_arg *a = &c->args[c->i];
	if (a->type == RF_ARG_WORD || a->type == RF_ARG_NUMBER || a->type == RF_ARG_FLAG) {
		lx->pos += t->len;
		if (t->type == X_LIT && t->whole)
			lx->pos = a->len;
		if (lx->pos < a->len)
			return;
	}
	lx->pos = 0;
	c->i++;
}

static int is_name(const struct xtok *t, const char *w)
{
	return t->type == X_NAME && t->len == strlen(w) && memcmp(t->text, w, t->len) == 0;
}

static int tok_is(const struct xtok *t, int type, const char *text)
{
	return t->type == type && t->len == strlen(text) && memcmp(t->text, text, t->len) == 0;
}

static const char *tok_desc(const struct xtok *t, char *buf, size_t cap)
{
	if (t->type == X_END)
		return "the end of the stage";
	snprintf(buf, cap, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->text);
	return buf;
}

/* ---- literals ---- */

/* An IPv4 address, dotted quad, no leading zeros; or IPv6 (strings). */
static int parse_ip(const char *p, size_t n, uint8_t ip[16], uint32_t *family)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	struct in_addr a4;
	if (!strchr(buf, ':')) {
		/* inet_pton takes only the four-part decimal form */
		for (const char *q = buf; *q; q++)
			if (*q == '0' && isdigit((unsigned char)q[1]) && (q == buf || q[-1] == '.'))
				return -1;
		if (inet_pton(AF_INET, buf, &a4) != 1)
			return -1;
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &a4, 4);
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, ip) != 1)
		return -1;
	*family = 16;
	return 0;
}

/* ADDRESS/BITS: a network, its host bits zero or not (they are cleared). */
static int parse_cidr(const char *p, size_t n, struct rf_expr *e)
{
	const char *slash = memchr(p, '/', n);
	if (!slash)
		return -1;
	uint32_t fam;
	uint8_t ip[16];
	if (parse_ip(p, (size_t)(slash - p), ip, &fam) < 0)
		return -1;
	size_t bl = n - (size_t)(slash - p) - 1;
	if (bl == 0 || bl > 3)
		return -1;
	int bits = 0;
	for (size_t i = 0; i < bl; i++) {
		if (!isdigit((unsigned char)slash[1 + i]))
			return -1;
		bits = bits * 10 + slash[1 + i] - '0';
	}
	if (bits > (fam == 4 ? 32 : 128))
		return -1;
	int total = fam == 4 ? bits + 96 : bits;
	for (int b = total; b < 128; b++)
		ip[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	e->lit.type = RF_TV_IP;
	e->lit.len = fam;
	memcpy(e->lit.u.ip, ip, 16);
	e->lit_kind = LIT_CIDR;
	e->prefix = total;
	return 0;
}

/* A bare literal: number, duration, time, address or network. */
static int lit_of(const char *p, size_t n, struct rf_expr *e)
{
	struct rf_number num;
	e->kind = N_LIT;
	if (n == 0 || !(isdigit((unsigned char)*p) || *p == '.' || (*p == '-' && n > 1)))
		return -1;
	if (rf__parse_number(p, n, &num) == 0 && !isspace((unsigned char)p[n - 1])) {
		e->lit = num.is_int ? rf_tv_int(num.i) : rf_tv_float(num.d);
		e->lit_kind = LIT_NUMBER;
		if (!(e->text = strndup(p, n)))
			return -ENOMEM;
		e->text_len = n;
		return 0;
	}
	int64_t ns;
	if (isalpha((unsigned char)p[n - 1]) && rf__parse_duration_ns(p, n, &ns) == 0) {
		e->lit = (struct rf_tv){ .type = RF_TV_DUR, .u.i = ns };
		return 0;
	}
	uint32_t fam;
	if (parse_ip(p, n, e->lit.u.ip, &fam) == 0) {
		e->lit.type = RF_TV_IP;
		e->lit.len = fam;
		return 0;
	}
	if (parse_cidr(p, n, e) == 0)
		return 0;
	if (n >= 10 && isdigit((unsigned char)p[0]) && p[4] == '-' && rf__parse_time_ns(p, n, 1970, &ns) == 0) {
		e->lit = (struct rf_tv){ .type = RF_TV_TIME, .u.i = ns };
		e->local = p[n - 1] != 'Z'; /* read on the --tz clock (expr_eval.c) */
		return 0;
	}
	return -1;
}

/* ---- the tree ---- */

static struct rf_expr *node(int kind, int column)
{
	struct rf_expr *e = calloc(1, sizeof *e);
	if (e) {
		e->kind = kind;
		e->column = column;
		e->tv_idx = -1;
		e->field.slot = -1;
	}
	return e;
}

static int push(struct rf_expr *e, struct rf_expr *child)
{
	if ((e->n & (e->n - 1)) == 0) {
		size_t room = e->n ? 2 * (size_t)e->n : 2;
		struct rf_expr **a = realloc(e->a, room * sizeof *a);
		if (!a)
			return -ENOMEM;
		e->a = a;
		if (e->kind == N_ARITH) {
			char *ops = realloc(e->ops, room);
			if (!ops)
				return -ENOMEM;
			e->ops = ops;
		}
	}
	e->a[e->n++] = child;
	return 0;
}

/* Frees every node: the operands of n-ary nodes in a loop, and a chain of
 * single operands (not, -) without recursion. */
void rf__expr_free(struct rf_expr *e)
{
	while (e) {
		struct rf_expr *next = NULL;
		int first = 0;
		if (e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG))
			next = e->a[0], first = 1;
		for (int i = first; i < e->n; i++)
			rf__expr_free(e->a[i]);
		free(e->a);
		free(e->ops);
		free(e->text);
		rf__fieldref_free(&e->field);
		rf__regex_free(e->re);
		if (e->kind == N_CALL && e->call.def && e->call.def->release)
			e->call.def->release(&e->call);
		free(e);
		e = next;
	}
}

/* ---- the parser ---- */

static int parse_or(struct xlex *lx, struct rf_expr **out);
static int parse_sum(struct xlex *lx, struct rf_expr **out);

/* An error about a token, its buffer off the recursion's frames */
static __attribute__((noinline)) int fail_tok(struct xlex *lx, const struct xtok *t, const char *fmt)
{
	char buf[64];
	return rf__fail(lx->c->err, t->column, fmt, tok_desc(t, buf, sizeof buf));
}

static int expect_rp(struct xlex *lx, const char *what)
{
	struct xtok t = peek(lx);
	if (t.type != X_RP) {
		char buf[64];
		return rf__fail(lx->c->err, t.column, "expected ')' to close %s, found %s", what,
				tok_desc(&t, buf, sizeof buf));
	}
	take(lx, &t);
	lx->depth--;
	return 0;
}

/* The calls' rarer paths, off the recursion's frames (f(f(f(...)))) */
static __attribute__((noinline)) int unknown_function(struct xlex *lx, const struct xtok *name, const char *fname)
{
	const char *names[128];
	int n = 0;
	for (int i = 0; rf__functions[i] && n < 127; i++)
		names[n++] = rf__functions[i]->name;
	names[n] = NULL;
	rf__fail(lx->c->err, name->column, "unknown function '%s'", fname);
	rf__suggest(lx->c->err, fname, names);
	return -EINVAL;
}

static __attribute__((noinline)) int prepare_call(struct xlex *lx, struct rf_expr *e)
{
	const struct rf_fn_def *def = e->call.def;
	const struct rf_tv *consts[16] = { 0 };
	int cols[16] = { 0 };
	for (int i = 0; i < e->n && i < 16; i++) {
		cols[i] = e->a[i]->column;
		if (e->a[i]->kind == N_LIT)
			consts[i] = &e->a[i]->lit;
	}
	int r = def->prepare(&e->call, consts, cols, lx->c->err);
	if (r < 0) {
		if (!lx->c->err->hint[0])
			snprintf(lx->c->err->hint, sizeof lx->c->err->hint, "usage: %s", def->usage);
		e->call.def = NULL; /* nothing prepared to release */
	}
	return r;
}

static int parse_call(struct xlex *lx, const struct xtok *name, struct rf_expr **out)
{
	char fname[64];
	snprintf(fname, sizeof fname, "%.*s", (int)(name->len < 63 ? name->len : 63), name->text);
	struct xtok t = peek(lx); /* '(' */
	take(lx, &t);
	lx->depth++;
	if (strcmp(fname, "field") == 0) {
		/* field("odd name"): a field, named explicitly */
		struct xtok s = peek(lx);
		if (s.type != X_STR && s.type != X_NAME)
			return rf__fail(lx->c->err, s.column, "field() takes a field's name, in quotes");
		take(lx, &s);
		struct rf_expr *e = node(N_FIELD, s.column);
		if (!e)
			return -ENOMEM;
		*out = e;
		if (!(e->field.name = strndup(s.text, s.len)))
			return -ENOMEM;
		e->field.column = s.column;
		return expect_rp(lx, "field(");
	}
	const struct rf_fn_def *def = rf__find_function(fname);
	if (!def)
		return unknown_function(lx, name, fname);
	struct rf_expr *e = node(N_CALL, name->column);
	if (!e)
		return -ENOMEM;
	*out = e;
	e->call.def = def;
	t = peek(lx);
	if (t.type != X_RP) {
		for (;;) {
			struct rf_expr *arg = NULL;
			int r = parse_or(lx, &arg);
			if (arg && push(e, arg) < 0) {
				rf__expr_free(arg);
				return -ENOMEM;
			}
			if (r < 0)
				return r;
			t = peek(lx);
			if (t.type != X_COMMA)
				break;
			take(lx, &t);
		}
	}
	if (e->n < def->min_args || (def->max_args >= 0 && e->n > def->max_args)) {
		rf__fail(lx->c->err, name->column, "%s takes %s%d argument%s, not %d", fname,
			 def->max_args < 0 ? "at least " : def->min_args == def->max_args ? "" : "up to ",
			 def->max_args < 0 || def->min_args == def->max_args ? def->min_args : def->max_args,
			 (def->max_args < 0 ? def->min_args : def->max_args) == 1 ? "" : "s", e->n);
		snprintf(lx->c->err->hint, sizeof lx->c->err->hint, "usage: %s", def->usage);
		return -EINVAL;
	}
	int r = expect_rp(lx, fname);
	if (r < 0)
		return r;
	e->call.argc = e->n;
	e->call_id = lx->ncalls++;
	return def->prepare ? prepare_call(lx, e) : 0;
}

/* Everything but a parenthesis: out of parse_primary, whose frame is on
 * the recursion over parentheses (and a 1 MiB stack must hold 256 levels) */
static __attribute__((noinline)) int parse_leaf(struct xlex *lx, struct rf_expr **out)
{
	struct xtok t = peek(lx);
	char buf[64];
	int r;
	switch (t.type) {
	case X_STR: {
		take(lx, &t);
		struct rf_expr *e = node(N_LIT, t.column);
		if (!e)
			return -ENOMEM;
		*out = e;
		if (!(e->text = malloc(t.len + 1)))
			return -ENOMEM;
		memcpy(e->text, t.text, t.len);
		e->text[t.len] = '\0';
		e->text_len = t.len;
		e->lit = rf_tv_str(e->text, t.len);
		return 0;
	}
	case X_LIT: {
		take(lx, &t);
		struct rf_expr *e = node(N_LIT, t.column);
		if (!e)
			return -ENOMEM;
		*out = e;
		if ((r = lit_of(t.text, t.len, e)) == -ENOMEM)
			return r;
		if (r < 0) {
			char lit[64];
			snprintf(lit, sizeof lit, "%.*s", (int)(t.len > 60 ? 60 : t.len), t.text);
			rf__fail(lx->c->err, t.column, "'%s' is not a number, duration, time or address", lit);
			snprintf(lx->c->err->hint, sizeof lx->c->err->hint,
				 "a string is written in quotes: \"%s\"", lit);
			return -EINVAL;
		}
		return 0;
	}
	case X_NAME: {
		take(lx, &t);
		if (is_name(&t, "true") || is_name(&t, "false") || is_name(&t, "null")) {
			struct rf_expr *e = node(N_LIT, t.column);
			if (!e)
				return -ENOMEM;
			*out = e;
			e->lit = is_name(&t, "null") ? rf_tv_null() : rf_tv_bool(is_name(&t, "true"));
			return 0;
		}
		struct xtok next = peek(lx);
		char name[128];
		snprintf(name, sizeof name, "%.*s", (int)(t.len < 127 ? t.len : 127), t.text);
		/* an aggregate; or in the aggregates' list, a call of no known
		 * function (the hook says "unknown aggregate") */
		if (lx->o && lx->o->is_agg &&
		    (lx->o->is_agg(name) ||
		     (next.type == X_LP && t.whole && !rf__find_function(name) && strcmp(name, "field") != 0))) {
			struct rf_expr *e = node(N_AGG, t.column);
			if (!e)
				return -ENOMEM;
			*out = e;
			/* the aggregate reads its own arguments from the cursor:
			 * it must be at an argument's edge */
			if (lx->pos != 0)
				return rf__fail(lx->c->err, t.column, "write '%s' apart from the operators next to it",
						name);
			return lx->o->agg(lx->o->user, name, t.column, lx->c, &e->agg);
		}
		if (next.type == X_LP && t.whole)
			return parse_call(lx, &t, out);
		struct rf_expr *e = node(N_FIELD, t.column);
		if (!e)
			return -ENOMEM;
		*out = e;
		e->bare = 1;
		if (!(e->field.name = strndup(t.text, t.len)))
			return -ENOMEM;
		e->field.column = t.column;
		return 0;
	}
	default:
		rf__fail(lx->c->err, t.column, "expected a field or a value, found %s", tok_desc(&t, buf, sizeof buf));
		if (t.type == X_END)
			snprintf(lx->c->err->hint, sizeof lx->c->err->hint, "for example: where status >= 500");
		return -EINVAL;
	}
}

static int parse_primary(struct xlex *lx, struct rf_expr **out)
{
	struct xtok t = peek(lx);
	if (t.type != X_LP)
		return parse_leaf(lx, out);
	take(lx, &t);
	lx->depth++;
	int r = parse_or(lx, out);
	return r < 0 ? r : expect_rp(lx, "'('");
}

/* - x, - - x: a loop; a number literal takes the sign into its text */
static int parse_unary(struct xlex *lx, struct rf_expr **out)
{
	int neg = 0, column = 0;
	struct xtok t;
	while ((t = peek(lx)).type == X_ARITH && *t.text == '-') {
		if (!neg)
			column = t.column;
		take(lx, &t);
		neg++;
	}
	int r = parse_primary(lx, out);
	if (r < 0 || !neg)
		return r;
	struct rf_expr *e = *out;
	if (e->kind == N_LIT && e->lit_kind == LIT_NUMBER && neg == 1 && e->text[0] != '-') {
		char *s = malloc(e->text_len + 2);
		if (!s)
			return -ENOMEM;
		s[0] = '-';
		memcpy(s + 1, e->text, e->text_len + 1);
		struct rf_number num;
		if (rf__parse_number(s, e->text_len + 1, &num) < 0) {
			free(s);
			return -EINVAL;
		}
		free(e->text);
		e->text = s;
		e->text_len++;
		e->lit = num.is_int ? rf_tv_int(num.i) : rf_tv_float(num.d);
		e->column = column;
		return 0;
	}
	/* an even count cancels out, but still reads its operand as a number */
	for (int i = 0; i < (neg % 2 ? 1 : 2); i++) {
		struct rf_expr *n = node(N_NEG, column);
		if (!n)
			return -ENOMEM;
		n->a = malloc(sizeof *n->a);
		if (!n->a) {
			free(n);
			return -ENOMEM;
		}
		n->a[0] = *out;
		n->n = 1;
		*out = n;
	}
	return 0;
}

/* One level of + - or * / %: an n-ary node, left to right. */
static int parse_arith(struct xlex *lx, struct rf_expr **out, const char *ops,
		       int (*sub)(struct xlex *, struct rf_expr **))
{
	int r = sub(lx, out);
	struct xtok t;
	while (r == 0 && (t = peek(lx)).type == X_ARITH && strchr(ops, *t.text)) {
		take(lx, &t);
		struct rf_expr *e = *out;
		if (e->kind != N_ARITH || e->column < 0 || !strchr(ops, e->ops[0])) {
			e = node(N_ARITH, (*out)->column);
			if (!e || push(e, *out) < 0) {
				free(e);
				return -ENOMEM;
			}
			*out = e;
		}
		e->column = e->a[0]->column;
		struct rf_expr *rhs = NULL;
		r = sub(lx, &rhs);
		if (rhs) {
			if (push(e, rhs) < 0) {
				rf__expr_free(rhs);
				return -ENOMEM;
			}
			e->ops[e->n - 2] = *t.text;
		}
	}
	return r;
}

static int parse_prod(struct xlex *lx, struct rf_expr **out)
{
	return parse_arith(lx, out, "*/%", parse_unary);
}

static int parse_sum(struct xlex *lx, struct rf_expr **out)
{
	return parse_arith(lx, out, "+-", parse_prod);
}

static void mark_value_pos(struct rf_expr *e)
{
	if (e->kind == N_FIELD)
		e->value_pos = 1;
}

/* A string literal in an in-list that holds an address or a network is
 * that address or network. */
static void typed_string(struct rf_expr *e)
{
	if (e->kind != N_LIT || e->lit.type != RF_TV_STR)
		return;
	uint8_t ip[16];
	uint32_t fam;
	struct rf_expr probe;
	memset(&probe, 0, sizeof probe);
	if (parse_ip(e->text, e->text_len, ip, &fam) == 0) {
		e->lit.type = RF_TV_IP;
		e->lit.len = fam;
		memcpy(e->lit.u.ip, ip, 16);
	} else if (parse_cidr(e->text, e->text_len, &probe) == 0) {
		e->lit = probe.lit;
		e->lit_kind = LIT_CIDR;
		e->prefix = probe.prefix;
	}
}

static int binary(struct rf_expr **out, int kind, int column, struct rf_expr *rhs)
{
	struct rf_expr *e = node(kind, column);
	if (!e || !(e->a = malloc(2 * sizeof *e->a))) {
		free(e);
		rf__expr_free(rhs);
		return -ENOMEM;
	}
	e->a[0] = *out;
	e->a[1] = rhs;
	e->n = rhs ? 2 : 1;
	*out = e;
	return 0;
}

static int parse_in(struct xlex *lx, struct rf_expr **out, int negate, int column)
{
	struct rf_expr *e = node(N_IN, column);
	if (!e || push(e, *out) < 0) {
		free(e);
		return -ENOMEM;
	}
	*out = e;
	e->negate = negate;
	struct xtok t = peek(lx);
	int r;
	if (t.type != X_LP) {
		/* in 10.0.0.0/8, in "2001:db8::/32" */
		struct rf_expr *item = NULL;
		r = parse_primary(lx, &item);
		if (item && push(e, item) < 0) {
			rf__expr_free(item);
			return -ENOMEM;
		}
		if (r < 0)
			return r;
		typed_string(item);
		if (!(item->kind == N_LIT && item->lit_kind == LIT_CIDR))
			return rf__fail(lx->c->err, item->column, "'in' takes a list in parentheses or a network");
		return 0;
	}
	take(lx, &t);
	lx->depth++;
	for (;;) {
		struct rf_expr *item = NULL;
		r = parse_sum(lx, &item);
		if (item && push(e, item) < 0) {
			rf__expr_free(item);
			return -ENOMEM;
		}
		if (r < 0)
			return r;
		typed_string(item);
		mark_value_pos(item);
		t = peek(lx);
		if (t.type != X_COMMA)
			break;
		take(lx, &t);
	}
	return expect_rp(lx, "the list of 'in'");
}

static int parse_cmp(struct xlex *lx, struct rf_expr **out)
{
	int r = parse_sum(lx, out);
	if (r < 0)
		return r;
	struct xtok t = peek(lx);
	if (t.type == X_OP && tok_is(&t, X_OP, "~")) {
		take(lx, &t);
		struct xtok pat = peek(lx);
		if (pat.type != X_STR) {
			rf__fail(lx->c->err, pat.column, "'~' needs a quoted regular expression");
			snprintf(lx->c->err->hint, sizeof lx->c->err->hint, "for example: agent ~ \"bot|crawler\"");
			return -EINVAL;
		}
		take(lx, &pat);
		if ((r = binary(out, N_MATCH, t.column, NULL)) < 0)
			return r;
		if (lx->nre == 32)
			return rf__fail(lx->c->err, pat.column, "too many regular expressions in one expression");
		(*out)->re_id = lx->nre++;
		(*out)->re = rf__regex_compile(pat.text, pat.len, 0, 0, lx->c->err, pat.column);
		return (*out)->re ? 0 : -EINVAL;
	}
	if (t.type == X_OP) {
		static const struct {
			const char *t;
			int op;
		} ops[] = { { "==", OP_EQ }, { "=", OP_EQ }, { "!=", OP_NE }, { "<", OP_LT },
			    { "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE } };
		int op = -1;
		for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
			if (tok_is(&t, X_OP, ops[i].t))
				op = ops[i].op;
		if (op < 0)
			return fail_tok(lx, &t, "unknown operator %s");
		take(lx, &t);
		struct rf_expr *rhs = NULL;
		r = parse_sum(lx, &rhs);
		int r2 = binary(out, N_CMP, t.column, rhs);
		if (r < 0 || r2 < 0)
			return r < 0 ? r : r2;
		(*out)->op = op;
		mark_value_pos(rhs);
		t = peek(lx);
		if (t.type == X_OP)
			return rf__fail(lx->c->err, t.column, "comparisons do not chain: write a < b and b < c");
		return 0;
	}
	if (is_name(&t, "contains")) {
		take(lx, &t);
		struct rf_expr *rhs = NULL;
		r = parse_sum(lx, &rhs);
		int r2 = binary(out, N_CONTAINS, t.column, rhs);
		if (r2 == 0 && rhs)
			mark_value_pos(rhs);
		return r < 0 ? r : r2;
	}
	if (is_name(&t, "in")) {
		take(lx, &t);
		return parse_in(lx, out, 0, t.column);
	}
	if (is_name(&t, "not")) {
		/* x not in (...) */
		struct rf_cursor save = *lx->c;
		size_t pos = lx->pos;
		take(lx, &t);
		struct xtok t2 = peek(lx);
		if (is_name(&t2, "in")) {
			take(lx, &t2);
			return parse_in(lx, out, 1, t.column);
		}
		*lx->c = save;
		lx->pos = pos;
		return 0;
	}
	if (is_name(&t, "is")) {
		take(lx, &t);
		struct xtok t2 = peek(lx);
		int negate = 0;
		if (is_name(&t2, "not")) {
			negate = 1;
			take(lx, &t2);
			t2 = peek(lx);
		}
		if (!is_name(&t2, "null"))
			return rf__fail(lx->c->err, t2.column, "expected 'null' after 'is%s'", negate ? " not" : "");
		take(lx, &t2);
		if ((r = binary(out, N_ISNULL, t.column, NULL)) < 0)
			return r;
		(*out)->negate = negate;
		return 0;
	}
	return 0;
}

static int parse_not(struct xlex *lx, struct rf_expr **out)
{
	int nots = 0, column = 0;
	struct xtok t;
	for (;;) {
		t = peek(lx);
		if (!is_name(&t, "not"))
			break;
		if (!nots)
			column = t.column;
		take(lx, &t);
		nots++;
	}
	int r = parse_cmp(lx, out);
	if (r < 0 || nots % 2 == 0)
		return r; /* an even number of nots cancels out */
	return binary(out, N_NOT, column, NULL);
}

static int parse_chain(struct xlex *lx, struct rf_expr **out, const char *word, enum rf_node kind,
		       int (*sub)(struct xlex *, struct rf_expr **))
{
	int r = sub(lx, out);
	struct xtok t;
	for (;;) {
		if (r < 0)
			break;
		t = peek(lx);
		if (!is_name(&t, word))
			break;
		take(lx, &t);
		struct rf_expr *e = *out;
		if (e->kind != kind || e->negate) {
			e = node(kind, (*out)->column);
			if (!e || push(e, *out) < 0) {
				free(e);
				return -ENOMEM;
			}
			*out = e;
		}
		struct rf_expr *rhs = NULL;
		r = sub(lx, &rhs);
		if (rhs && push(e, rhs) < 0) {
			rf__expr_free(rhs);
			return -ENOMEM;
		}
	}
	return r;
}

static int parse_and(struct xlex *lx, struct rf_expr **out)
{
	return parse_chain(lx, out, "and", N_AND, parse_not);
}

static int parse_or_chain(struct xlex *lx, struct rf_expr **out)
{
	return parse_chain(lx, out, "or", N_OR, parse_and);
}

/* A parenthesised or-chain is one operand of the chain around it, never
 * merged into it: mark the node so the outer loop starts its own. */
static int parse_or(struct xlex *lx, struct rf_expr **out)
{
	int depth = lx->depth;
	int r = parse_or_chain(lx, out);
	if (r == 0 && *out && depth > 0 && ((*out)->kind == N_AND || (*out)->kind == N_OR))
		(*out)->negate = 1; /* (used as a "closed" mark on and/or) */
	return r;
}

static void set_counts(struct rf_expr *e, const struct xlex *lx)
{
	e->nre = lx->nre;
	e->ncalls = lx->ncalls;
}

int rf__expr_parse(struct rf_cursor *c, struct rf_expr **out)
{
	struct xlex lx = { .c = c };
	*out = NULL;
	if (!rf__peek(c)) {
		rf__fail(c->err, c->end_column, "where needs a condition");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: where status >= 500");
		return -EINVAL;
	}
	int r = parse_or_chain(&lx, out);
	struct xtok t = peek(&lx);
	if (r == 0 && t.type != X_END) {
		char buf[64];
		r = rf__fail(c->err, t.column, "unexpected %s in the condition (missing 'and'/'or'?)",
			     tok_desc(&t, buf, sizeof buf));
	}
	if (r == 0 && lx.pos)
		r = rf__fail(c->err, t.column, "unexpected text in the condition");
	if (*out)
		set_counts(*out, &lx);
	return r;
}

int rf__expr_parse_item(struct rf_cursor *c, const struct rf_expr_opts *o, struct rf_expr **out)
{
	struct xlex lx = { .c = c, .o = o };
	*out = NULL;
	int r = parse_or_chain(&lx, out);
	struct xtok t = peek(&lx);
	if (r == 0 && !(t.type == X_END || t.type == X_COMMA || t.type == X_RP ||
			(t.whole && (is_name(&t, "as") || is_name(&t, "by"))))) {
		char buf[64];
		r = rf__fail(c->err, t.column, "unexpected %s %s", tok_desc(&t, buf, sizeof buf),
			     o && o->is_agg ? "after the aggregates" : "in the expression");
		if (o && o->is_agg)
			snprintf(c->err->hint, sizeof c->err->hint, "group with 'by': count by status");
	}
	if (r == 0 && lx.pos)
		r = rf__fail(c->err, t.column, "unexpected text in the expression");
	if (*out)
		set_counts(*out, &lx);
	return r;
}

/* ---- binding names ---- */

static int is_time_field(const struct rf_schema *sc, const char *name)
{
	const char *const *tf = sc->parser ? sc->parser->time_fields : NULL;
	for (int i = 0; tf && tf[i]; i++)
		if (strcmp(tf[i], name) == 0)
			return 1;
	return 0;
}

/* A parser that takes any name (json, logfmt): no word is known not to be
 * a field. */
static int open_schema(const struct rf_schema *sc)
{
	return sc->parser && sc->parser->accepts(sc->parser, "\x01 no such name");
}

static int bind_field(struct rf_expr *e, struct rf_schema *sc, struct rf_query_error *err)
{
	const char *name = e->field.name;
	int defined = 0;
	for (int i = 0; i < sc->nslots; i++)
		defined |= strcmp(sc->slot_name[i], name) == 0;
	if (e->bare && e->value_pos && name[0] != '$' && !defined && strcmp(name, "line") != 0 &&
	    (open_schema(sc) || !sc->parser || !sc->parser->accepts(sc->parser, name))) {
		rf__fail(err, e->column, "no field '%s'%s", name,
			 open_schema(sc) ? " here: a bare word beside a field is taken for a string by mistake" : "");
		snprintf(err->hint, sizeof err->hint, "did you mean the string \"%s\"?%s", name,
			 open_schema(sc) ? " (to compare two fields, write field(\"NAME\"))" : "");
		return -EINVAL;
	}
	int r = rf__schema_bind_expr(sc, &e->field, err);
	if (r < 0 && name[0] != '$') {
		if (e->bare && !err->hint[0])
			snprintf(err->hint, sizeof err->hint, "did you mean the string \"%s\"?", name);
		else if (e->bare && strlen(err->hint) < sizeof err->hint - 40 && !strstr(err->hint, "string"))
			snprintf(err->hint + strlen(err->hint), sizeof err->hint - strlen(err->hint),
				 " (or the string \"%s\"?)", name);
		return r;
	}
	if (r < 0)
		return r;
	if (e->field.slot >= 0 && sc->is_eval[e->field.slot])
		e->tv_idx = sc->tv_idx[e->field.slot];
	e->time_field = is_time_field(sc, name);
	return 0;
}

/* Every walk recurses into the operands of n-ary nodes and loops down
 * chains of single operands: its depth is that of the parentheses. */
static void lit_number(struct rf_expr *e)
{
	if (e->kind == N_LIT && e->text)
		e->text_num = rf__parse_number(e->text, e->text_len, &e->num) == 0;
}

int rf__expr_bind(struct rf_expr *e, struct rf_schema *sc, struct rf_query_error *err)
{
	for (; e; e = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG) ? e->a[0] : NULL) {
		int r;
		lit_number(e);
		if (e->kind == N_FIELD && (r = bind_field(e, sc, err)) < 0)
			return r;
		int first = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG);
		for (int i = first; i < e->n; i++)
			if ((r = rf__expr_bind(e->a[i], sc, err)) < 0)
				return r;
	}
	return 0;
}

int rf__expr_bind_table(struct rf_expr *e, const struct rf_colset *cols, struct rf_query_error *err)
{
	for (; e; e = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG) ? e->a[0] : NULL) {
		int r;
		lit_number(e);
		if (e->kind == N_FIELD) {
			e->table = 1;
			e->field.slot = -1;
			for (int i = 0; i < cols->n; i++)
				if (strcmp(cols->name[i], e->field.name) == 0)
					e->field.slot = i;
			if (e->field.slot < 0) {
				if (e->bare && e->value_pos) {
					rf__fail(err, e->column, "no column '%s'", e->field.name);
					snprintf(err->hint, sizeof err->hint, "did you mean the string \"%s\"?",
						 e->field.name);
					return -EINVAL;
				}
				rf__fail(err, e->column, "no column '%s' in the result", e->field.name);
				rf__suggest(err, e->field.name, (const char *const *)cols->name);
				if (!err->hint[0])
					rf__hint_list(err, "columns:", (const char *const *)cols->name, cols->n);
				return -EINVAL;
			}
		}
		int first = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG);
		for (int i = first; i < e->n; i++)
			if ((r = rf__expr_bind_table(e->a[i], cols, err)) < 0)
				return r;
	}
	return 0;
}

void rf__expr_bind_aggs(struct rf_expr *e, int first_col)
{
	for (; e; e = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG) ? e->a[0] : NULL) {
		if (e->kind == N_AGG) {
			e->table = 1;
			e->field.slot = first_col + e->agg;
		}
		int first = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG);
		for (int i = first; i < e->n; i++)
			rf__expr_bind_aggs(e->a[i], first_col);
	}
}

struct rf_expr *rf__expr_new_field(const char *name, int column)
{
	struct rf_expr *e = node(N_FIELD, column);
	if (e && !(e->field.name = strdup(name))) {
		free(e);
		return NULL;
	}
	if (e)
		e->field.column = column;
	return e;
}

const char *rf__expr_field_name(const struct rf_expr *e)
{
	if (e && e->kind == N_LIT && e->lit.type == RF_TV_STR)
		return e->text; /* a field named as a string, as verbs take it */
	return e && e->kind == N_FIELD ? e->field.name : NULL;
}

int rf__expr_uses_agg(const struct rf_expr *e, int index)
{
	for (; e; e = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG) ? e->a[0] : NULL) {
		if (e->kind == N_AGG && e->agg == index)
			return 1;
		int first = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG);
		for (int i = first; i < e->n; i++)
			if (rf__expr_uses_agg(e->a[i], index))
				return 1;
	}
	return 0;
}

int rf__expr_has_regex(const struct rf_expr *e)
{
	return e && e->nre > 0;
}

int rf__expr_agg_index(const struct rf_expr *e)
{
	return e && e->kind == N_AGG ? e->agg : -1;
}

/* ---- the text of arguments, for labels ---- */

char *rf__args_text(const struct rf_cursor *c, int from, int to)
{
	size_t cap = 16;
	for (int i = from; i < to; i++)
		cap += 4 * c->args[i].len + 4;
	char *s = malloc(cap), *p = s;
	if (!s)
		return NULL;
	for (int i = from; i < to; i++) {
		const struct rf_arg *a = &c->args[i];
		const struct rf_arg *prev = i > from ? &c->args[i - 1] : NULL;
		int space = prev && a->type != RF_ARG_RPAREN && a->type != RF_ARG_COMMA &&
			    prev->type != RF_ARG_LPAREN && !(a->type == RF_ARG_LPAREN && prev->type == RF_ARG_WORD);
		if (space)
			*p++ = ' ';
		if (a->type == RF_ARG_STRING) {
			*p++ = '"';
			for (size_t k = 0; k < a->len; k++) {
				unsigned char ch = (unsigned char)a->text[k];
				if (ch == '"' || ch == '\\')
					*p++ = '\\', *p++ = (char)ch;
				else if (ch < 0x20 || ch == 0x7f)
					p += sprintf(p, "\\x%02x", ch);
				else
					*p++ = (char)ch;
			}
			*p++ = '"';
		} else {
			memcpy(p, a->text, a->len);
			p += a->len;
		}
	}
	*p = '\0';
	return s;
}
