/* SPDX-License-Identifier: MIT */
/* expr_eval.c - evaluating expressions a batch at a time.
 *
 * Each node is evaluated over a list of rows into an array of values, so
 * the tree is walked once per batch, not once per record.  `and` and `or`
 * evaluate each operand only on the rows the operands before it left
 * undecided.  Temporary arrays come from a stack of blocks kept in the
 * context, reused from batch to batch.
 *
 * The rules (see expr.c for the grammar):
 * - a field's value is its text; it reads as a number, time or address
 *   when the other side of an operator is one.  Two texts compare as
 *   numbers when both read as numbers (exactly: ties of their doubles are
 *   decided by the texts), else as bytes; a text beside the parser's time
 *   field compares as an instant when it reads as a time.
 * - a comparison with a null side (a missing field, a failed conversion,
 *   a division by zero) is false, and `not` of it true;
 * - + - * % of integers stay integers (a float past int64); / gives a
 *   float; / and % by zero give null;
 * - times and durations: time - time is a duration, time +- duration a
 *   time, duration * number a duration. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr_int.h"
#include "table.h"
#include "timezone.h"

enum { NO, YES, UNKNOWN };

struct blk {
	struct blk *next;
	size_t cap, used;
	char data[];
};

struct rf_expr_ctx {
	const struct rf_expr *root;
	int nre, ncalls;
	struct rf_regex_match **m;
	void **scratch;
	/* the stack of temporary arrays */
	struct blk *first, *cur;
	/* the source: a batch, or a result table */
	struct rf_batch *b;
	const struct rf_table *t;
	struct rf_fn_env env;
	/* strings computed over a table (no batch arena) */
	struct blk *strings;
	int err;
	/* rf__expr_values over a batch: the records on which a ~ hit the
	 * regex limits (NULL when the expression has no ~) */
	uint8_t *undec;
	size_t undec_cap;
};

struct mark {
	struct blk *b;
	size_t used;
};

static struct mark mark(struct rf_expr_ctx *x)
{
	return (struct mark){ x->cur, x->cur ? x->cur->used : 0 };
}

static void release(struct rf_expr_ctx *x, struct mark m)
{
	if (!m.b) {
		for (struct blk *b = x->first; b; b = b->next)
			b->used = 0;
		x->cur = x->first;
		return;
	}
	for (struct blk *b = m.b->next; b; b = b->next)
		b->used = 0;
	m.b->used = m.used;
	x->cur = m.b;
}

/* Blocks after cur hold nothing live (a stack): tmp moves on to the next
 * one with room, or appends one. */
static void *tmp(struct rf_expr_ctx *x, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct blk *b = x->cur;
	while (b && b->cap - b->used < n) {
		b = b->next;
		if (b)
			b->used = 0;
	}
	if (!b) {
		size_t cap = (size_t)256 << 10;
		while (cap < n)
			cap *= 2;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = NULL;
		struct blk **pp = &x->first;
		while (*pp)
			pp = &(*pp)->next;
		*pp = b;
	}
	x->cur = b;
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static char *alloc_batch(void *user, size_t n)
{
	struct rf_expr_ctx *x = user;
	return rf__batch_alloc(x->b, n ? n : 1);
}

static char *alloc_table(void *user, size_t n)
{
	struct rf_expr_ctx *x = user;
	struct blk *b = x->strings;
	if (!b || b->cap - b->used < n) {
		size_t cap = (size_t)64 << 10;
		while (cap < n)
			cap *= 2;
		struct blk *nb = malloc(sizeof *nb + cap);
		if (!nb)
			return NULL;
		nb->cap = cap;
		nb->used = 0;
		nb->next = b;
		x->strings = b = nb;
	}
	char *p = b->data + b->used;
	b->used += n;
	return p;
}

static void free_strings(struct rf_expr_ctx *x)
{
	while (x->strings) {
		struct blk *n = x->strings->next;
		free(x->strings);
		x->strings = n;
	}
}

static int fill_ctx(struct rf_expr_ctx *x, const struct rf_expr *e)
{
	for (; e; e = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG) ? e->a[0] : NULL) {
		if (e->kind == N_MATCH && e->re_id < x->nre && !x->m[e->re_id] &&
		    !(x->m[e->re_id] = rf__regex_match_new(e->re)))
			return -ENOMEM;
		if (e->kind == N_CALL && e->call_id < x->ncalls && e->call.def->scratch_new &&
		    !(x->scratch[e->call_id] = e->call.def->scratch_new(&e->call)))
			return -ENOMEM;
		int first = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG);
		for (int i = first; i < e->n; i++)
			if (fill_ctx(x, e->a[i]) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* scratch_free of each call site, found by walking the tree again */
static void free_scratch(struct rf_expr_ctx *x, const struct rf_expr *e)
{
	for (; e; e = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG) ? e->a[0] : NULL) {
		if (e->kind == N_CALL && e->call_id < x->ncalls && x->scratch[e->call_id]) {
			e->call.def->scratch_free(x->scratch[e->call_id]);
			x->scratch[e->call_id] = NULL;
		}
		int first = e->n == 1 && (e->kind == N_NOT || e->kind == N_NEG);
		for (int i = first; i < e->n; i++)
			free_scratch(x, e->a[i]);
	}
}

struct rf_expr_ctx *rf__expr_ctx_new(const struct rf_expr *e)
{
	struct rf_expr_ctx *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->root = e;
	x->nre = e->nre;
	x->ncalls = e->ncalls;
	x->m = calloc((size_t)x->nre + 1, sizeof *x->m);
	x->scratch = calloc((size_t)x->ncalls + 1, sizeof *x->scratch);
	if (!x->m || !x->scratch || fill_ctx(x, e) < 0) {
		rf__expr_ctx_free(x);
		return NULL;
	}
	x->env.user = x;
	return x;
}

void rf__expr_ctx_free(struct rf_expr_ctx *x)
{
	if (!x)
		return;
	for (int i = 0; i < x->nre; i++)
		rf__regex_match_free(x->m[i]);
	free(x->m);
	if (x->scratch)
		free_scratch(x, x->root);
	free(x->scratch);
	while (x->first) {
		struct blk *n = x->first->next;
		free(x->first);
		x->first = n;
	}
	free_strings(x);
	free(x->undec);
	free(x);
}

/* ---- conversions ---- */

static int is_num(const struct rf_tv *v)
{
	return v->type == RF_TV_INT || v->type == RF_TV_FLOAT;
}

/* A text (or number, or bool) as a number: 0, or -1. */
static int as_number(const struct rf_tv *v, struct rf_tv *out, struct rf_number *num)
{
	switch (v->type) {
	case RF_TV_INT:
	case RF_TV_FLOAT:
		*out = *v;
		return 0;
	case RF_TV_BOOL:
		*out = rf_tv_int(v->u.i);
		return 0;
	case RF_TV_STR: {
		struct rf_number n;
		if (rf__parse_number(v->u.s, v->len, &n) < 0)
			return -1;
		if (num)
			*num = n;
		*out = n.is_int ? rf_tv_int(n.i) : rf_tv_float(n.d);
		return 0;
	}
	default:
		return -1;
	}
}

static int as_time(const struct rf_tv *v, struct rf_tv *out)
{
	if (v->type == RF_TV_TIME) {
		*out = *v;
		return 0;
	}
	return v->type == RF_TV_STR ? rf__tv_to_time(v, out) : -1;
}

static int as_dur(const struct rf_tv *v, struct rf_tv *out)
{
	if (v->type == RF_TV_DUR) {
		*out = *v;
		return 0;
	}
	if (v->type != RF_TV_STR)
		return -1;
	int64_t ns;
	if (rf__parse_duration_ns(v->u.s, v->len, &ns) < 0)
		return -1;
	*out = (struct rf_tv){ .type = RF_TV_DUR, .u.i = ns };
	return 0;
}

static int as_ip(const struct rf_tv *v, struct rf_tv *out)
{
	if (v->type == RF_TV_IP) {
		*out = *v;
		return 0;
	}
	return v->type == RF_TV_STR ? rf__tv_to_ip(v, out) : -1;
}

/* Text of a value for ~ and contains: 0 and *p, *n; -1 for null. */
static int as_text(struct rf_expr_ctx *x, const struct rf_tv *v, const char **p, size_t *n)
{
	if (v->type == RF_TV_NULL)
		return -1;
	if (v->type == RF_TV_STR) {
		*p = v->u.s;
		*n = v->len;
		return 0;
	}
	struct rf_tv t;
	if (rf__tv_to_text(v, &x->env, &t) < 0) {
		x->err = -ENOMEM;
		return -1;
	}
	*p = t.u.s;
	*n = t.len;
	return 0;
}

/* ---- comparing ---- */

#define CMP_NULL 2

static int sgn(double a, double b)
{
	return (a > b) - (a < b);
}

/* An int64 against a double, exactly. */
static int cmp_int_dbl(int64_t i, double d)
{
	if (isnan(d))
		return CMP_NULL;
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	double fl = floor(d);
	int64_t di = (int64_t)fl;
	if (i != di)
		return (i > di) - (i < di);
	return fl < d ? -1 : 0;
}

static int cmp_numbers(const struct rf_tv *a, const struct rf_tv *b)
{
	if (a->type == RF_TV_INT && b->type == RF_TV_INT)
		return (a->u.i > b->u.i) - (a->u.i < b->u.i);
	if (a->type == RF_TV_INT)
		return cmp_int_dbl(a->u.i, b->u.d);
	if (b->type == RF_TV_INT) {
		int c = cmp_int_dbl(b->u.i, a->u.d);
		return c == CMP_NULL ? c : -c;
	}
	if (isnan(a->u.d) || isnan(b->u.d))
		return CMP_NULL;
	return sgn(a->u.d, b->u.d);
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c < 0 ? -1 : 1;
	return (an > bn) - (an < bn);
}

/* Two texts: as numbers when both are, exactly; else as bytes. */
static int cmp_texts(const struct rf_tv *a, const struct rf_tv *b)
{
	struct rf_number na, nb;
	if (rf__parse_number(a->u.s, a->len, &na) == 0 && rf__parse_number(b->u.s, b->len, &nb) == 0) {
		int c = (na.is_int && nb.is_int) ? (na.i > nb.i) - (na.i < nb.i) : sgn(na.d, nb.d);
		/* doubles that tie may stand for different numbers
		 * (9007199254740992.5 and 9007199254740992): the texts decide */
		struct rf_decimal da, db;
		if (c == 0 && !(na.is_int && nb.is_int) && rf__parse_decimal(a->u.s, a->len, &da) == 0 &&
		    rf__parse_decimal(b->u.s, b->len, &db) == 0)
			c = rf__decimal_cmp(&da, &db);
		return c;
	}
	return bytes_cmp(a->u.s, a->len, b->u.s, b->len);
}

/* -1, 0, 1, or CMP_NULL when the two do not compare. */
static int cmp_values(const struct rf_tv *a, const struct rf_tv *b, int time_hint)
{
	struct rf_tv ca, cb;
	if (a->type == RF_TV_NULL || b->type == RF_TV_NULL)
		return CMP_NULL;
	if (a->type == RF_TV_STR && b->type == RF_TV_STR) {
		if (time_hint && as_time(a, &ca) == 0 && as_time(b, &cb) == 0)
			return (ca.u.i > cb.u.i) - (ca.u.i < cb.u.i);
		return cmp_texts(a, b);
	}
	/* one side typed: the other converts to its kind */
	const struct rf_tv *typed = a->type != RF_TV_STR ? a : b;
	int (*conv)(const struct rf_tv *, struct rf_tv *) = NULL;
	switch (typed->type) {
	case RF_TV_TIME: conv = as_time; break;
	case RF_TV_DUR: conv = as_dur; break;
	case RF_TV_IP: conv = as_ip; break;
	default: break;
	}
	if (conv) {
		if (conv(a, &ca) < 0 || conv(b, &cb) < 0)
			return CMP_NULL;
		if (ca.type == RF_TV_IP) {
			int c = memcmp(ca.u.ip, cb.u.ip, 16);
			return (c > 0) - (c < 0);
		}
		return (ca.u.i > cb.u.i) - (ca.u.i < cb.u.i);
	}
	if (typed->type == RF_TV_BOOL && (a->type == RF_TV_STR || b->type == RF_TV_STR)) {
		const struct rf_tv *s = a->type == RF_TV_STR ? a : b;
		int v;
		if (s->len == 4 && strncasecmp(s->u.s, "true", 4) == 0)
			v = 1;
		else if (s->len == 5 && strncasecmp(s->u.s, "false", 5) == 0)
			v = 0;
		else
			return CMP_NULL;
		int64_t ai = a == s ? v : a->u.i, bi = b == s ? v : b->u.i;
		return (ai > bi) - (ai < bi);
	}
	if (as_number(a, &ca, NULL) < 0 || as_number(b, &cb, NULL) < 0)
		return CMP_NULL;
	int c = cmp_numbers(&ca, &cb);
	/* a text's number met a computed one: past 2^53, or where the doubles
	 * tie, their doubles may not order them; the text's exact value does */
	const struct rf_tv *t = a->type == RF_TV_STR ? a : b->type == RF_TV_STR ? b : NULL;
	const struct rf_tv *num = t == a ? &cb : &ca, *tn = t == a ? &ca : &cb;
	if (t && c != CMP_NULL && !(ca.type == RF_TV_INT && cb.type == RF_TV_INT) &&
	    (c == 0 || fabs(tn->type == RF_TV_INT ? (double)tn->u.i : tn->u.d) >= 9007199254740992.0 ||
	     fabs(num->type == RF_TV_INT ? (double)num->u.i : num->u.d) >= 9007199254740992.0)) {
		struct rf_decimal dt, dn;
		char buf[RF_DECIMAL_DOUBLE_BUF];
		int ok = rf__parse_decimal(t->u.s, t->len, &dt) == 0;
		if (ok && num->type == RF_TV_INT) {
			int len = snprintf(buf, sizeof buf, "%lld", (long long)num->u.i);
			ok = rf__parse_decimal(buf, (size_t)len, &dn) == 0;
		} else if (ok) {
			ok = rf__decimal_of_double(num->u.d, buf, &dn) == 0;
		}
		if (ok) {
			int e = rf__decimal_cmp(&dt, &dn);
			c = t == a ? e : -e;
		}
	}
	return c;
}

/* A field's text against a literal, as cmp_texts compares two texts, with
 * the literal read once (at bind). */
static int cmp_text_lit(struct rf_value v, const struct rf_expr *lit)
{
	struct rf_number n;
	if (!lit->text_num || rf__parse_number(v.p, (size_t)v.len, &n) < 0)
		return bytes_cmp(v.p, (size_t)v.len, lit->text, lit->text_len);
	const struct rf_number *m = &lit->num;
	int c = (n.is_int && m->is_int) ? (n.i > m->i) - (n.i < m->i) : sgn(n.d, m->d);
	struct rf_decimal da, db;
	if (c == 0 && !(n.is_int && m->is_int) && rf__parse_decimal(v.p, (size_t)v.len, &da) == 0 &&
	    rf__parse_decimal(lit->text, lit->text_len, &db) == 0)
		c = rf__decimal_cmp(&da, &db);
	return c;
}

static int cmp_holds(int op, int c)
{
	if (c == CMP_NULL)
		return NO;
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	}
	return NO;
}

static int in_cidr(const struct rf_tv *v, const struct rf_expr *net)
{
	struct rf_tv ip;
	if (as_ip(v, &ip) < 0)
		return 0;
	int bits = net->prefix;
	for (int i = 0; i < bits / 8; i++)
		if (ip.u.ip[i] != net->lit.u.ip[i])
			return 0;
	if (bits % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - bits % 8));
		if ((ip.u.ip[bits / 8] & m) != net->lit.u.ip[bits / 8])
			return 0;
	}
	return 1;
}

/* ---- arithmetic ---- */

static struct rf_tv arith(char op, const struct rf_tv *a, const struct rf_tv *b)
{
	struct rf_tv x, y;
	if (a->type == RF_TV_NULL || b->type == RF_TV_NULL)
		return rf_tv_null();
	int ta = a->type == RF_TV_TIME || a->type == RF_TV_DUR, tb = b->type == RF_TV_TIME || b->type == RF_TV_DUR;
	if (!ta && !tb && a->type == RF_TV_STR && b->type == RF_TV_STR && op == '-' &&
	    (as_number(a, &x, NULL) < 0 || as_number(b, &y, NULL) < 0) && as_time(a, &x) == 0 && as_time(b, &y) == 0)
		ta = tb = 1; /* two texts that are times: their difference */
	if (ta || tb) {
		/* a text beside a time or duration reads as a time, then as
		 * a duration; beside a duration with * or /, as a number */
		x = *a;
		y = *b;
		if (x.type == RF_TV_STR && !(op == '*' && y.type == RF_TV_DUR) && as_time(a, &x) < 0 &&
		    as_dur(a, &x) < 0 && as_number(a, &x, NULL) < 0)
			return rf_tv_null();
		if (y.type == RF_TV_STR && !((op == '*' || op == '/') && x.type == RF_TV_DUR) && as_time(b, &y) < 0 &&
		    as_dur(b, &y) < 0 && as_number(b, &y, NULL) < 0)
			return rf_tv_null();
		if (y.type == RF_TV_STR && as_number(b, &y, NULL) < 0)
			return rf_tv_null();
		if (x.type == RF_TV_STR && as_number(a, &x, NULL) < 0)
			return rf_tv_null();
		int64_t r;
		int xt = x.type, yt = y.type;
		if (xt == RF_TV_TIME && yt == RF_TV_TIME && op == '-')
			return __builtin_sub_overflow(x.u.i, y.u.i, &r) ? rf_tv_null()
									: (struct rf_tv){ .type = RF_TV_DUR, .u.i = r };
		if (xt == RF_TV_TIME && yt == RF_TV_DUR && (op == '+' || op == '-'))
			return (op == '+' ? __builtin_add_overflow(x.u.i, y.u.i, &r) : __builtin_sub_overflow(x.u.i, y.u.i, &r))
				       ? rf_tv_null()
				       : (struct rf_tv){ .type = RF_TV_TIME, .u.i = r };
		if (xt == RF_TV_DUR && yt == RF_TV_TIME && op == '+')
			return __builtin_add_overflow(x.u.i, y.u.i, &r) ? rf_tv_null()
									: (struct rf_tv){ .type = RF_TV_TIME, .u.i = r };
		if (xt == RF_TV_DUR && yt == RF_TV_DUR) {
			if (op == '+' || op == '-')
				return (op == '+' ? __builtin_add_overflow(x.u.i, y.u.i, &r)
						  : __builtin_sub_overflow(x.u.i, y.u.i, &r))
					       ? rf_tv_null()
					       : (struct rf_tv){ .type = RF_TV_DUR, .u.i = r };
			if (op == '/')
				return y.u.i ? rf_tv_float((double)x.u.i / (double)y.u.i) : rf_tv_null();
			if (op == '%')
				return y.u.i && !(x.u.i == INT64_MIN && y.u.i == -1)
					       ? (struct rf_tv){ .type = RF_TV_DUR, .u.i = x.u.i % y.u.i }
					       : rf_tv_null();
			return rf_tv_null();
		}
		if ((xt == RF_TV_DUR && is_num(&y) && (op == '*' || op == '/')) || (is_num(&x) && yt == RF_TV_DUR && op == '*')) {
			const struct rf_tv *d = xt == RF_TV_DUR ? &x : &y, *n = xt == RF_TV_DUR ? &y : &x;
			double f = n->type == RF_TV_INT ? (double)n->u.i : n->u.d;
			double v = op == '*' ? (double)d->u.i * f : f != 0 ? (double)d->u.i / f : NAN;
			if (!(v > -9.2e18 && v < 9.2e18))
				return rf_tv_null();
			return (struct rf_tv){ .type = RF_TV_DUR, .u.i = (int64_t)llround(v) };
		}
		return rf_tv_null();
	}
	if (as_number(a, &x, NULL) < 0 || as_number(b, &y, NULL) < 0)
		return rf_tv_null();
	if (x.type == RF_TV_INT && y.type == RF_TV_INT) {
		int64_t r;
		switch (op) {
		case '+':
			if (!__builtin_add_overflow(x.u.i, y.u.i, &r))
				return rf_tv_int(r);
			return rf_tv_float((double)x.u.i + (double)y.u.i);
		case '-':
			if (!__builtin_sub_overflow(x.u.i, y.u.i, &r))
				return rf_tv_int(r);
			return rf_tv_float((double)x.u.i - (double)y.u.i);
		case '*':
			if (!__builtin_mul_overflow(x.u.i, y.u.i, &r))
				return rf_tv_int(r);
			return rf_tv_float((double)x.u.i * (double)y.u.i);
		case '/':
			return y.u.i ? rf_tv_float((double)x.u.i / (double)y.u.i) : rf_tv_null();
		case '%':
			if (!y.u.i)
				return rf_tv_null();
			return rf_tv_int(y.u.i == -1 ? 0 : x.u.i % y.u.i);
		}
		return rf_tv_null();
	}
	double dx = x.type == RF_TV_INT ? (double)x.u.i : x.u.d, dy = y.type == RF_TV_INT ? (double)y.u.i : y.u.d;
	switch (op) {
	case '+': return rf_tv_float(dx + dy);
	case '-': return rf_tv_float(dx - dy);
	case '*': return rf_tv_float(dx * dy);
	case '/': return dy != 0 ? rf_tv_float(dx / dy) : rf_tv_null();
	case '%': return dy != 0 ? rf_tv_float(fmod(dx, dy)) : rf_tv_null();
	}
	return rf_tv_null();
}

static struct rf_tv negate(const struct rf_tv *a)
{
	struct rf_tv x;
	if (a->type == RF_TV_DUR)
		return a->u.i == INT64_MIN ? rf_tv_null() : (struct rf_tv){ .type = RF_TV_DUR, .u.i = -a->u.i };
	if (as_number(a, &x, NULL) < 0)
		return rf_tv_null();
	if (x.type == RF_TV_INT)
		return x.u.i == INT64_MIN ? rf_tv_float(9223372036854775808.0) : rf_tv_int(-x.u.i);
	return rf_tv_float(-x.u.d);
}

/* ---- the walk ---- */

static int ev(struct rf_expr_ctx *x, const struct rf_expr *e, const uint32_t *rows, uint32_t n, struct rf_tv *out);
static int evb(struct rf_expr_ctx *x, const struct rf_expr *e, const uint32_t *rows, uint32_t n, uint8_t *out);

static struct rf_tv cell_value(const struct rf_cell *c)
{
	switch (c->type) {
	case RF_CELL_STR: {
		struct rf_tv v = rf_tv_str(c->u.str.s, c->u.str.len);
		v.text = 1;
		return v;
	}
	case RF_CELL_INT: return rf_tv_int(c->u.i);
	case RF_CELL_DBL: return rf_tv_float(c->u.d);
	case RF_CELL_TIME: return (struct rf_tv){ .type = RF_TV_TIME, .u.i = c->u.i * 1000000000 };
	case RF_CELL_BIGINT: {
		struct rf_tv v = rf_tv_str(c->u.str.s, c->u.str.len);
		v.text = 1;
		return v;
	}
	default: return rf_tv_null();
	}
}

static void read_field(struct rf_expr_ctx *x, const struct rf_expr *e, const uint32_t *rows, uint32_t n,
		       struct rf_tv *out)
{
	if (e->table) {
		const struct rf_table *t = x->t;
		for (uint32_t k = 0; k < n; k++)
			out[k] = cell_value(&t->cells[(size_t)rows[k] * (size_t)t->ncols + (size_t)e->field.slot]);
		return;
	}
	const struct rf_batch *b = x->b;
	if (e->tv_idx >= 0 && b->has_vals && (uint32_t)e->tv_idx < b->ntv) {
		for (uint32_t k = 0; k < n; k++)
			out[k] = b->tv[(size_t)rows[k] * b->ntv + (size_t)e->tv_idx];
		return;
	}
	for (uint32_t k = 0; k < n; k++) {
		struct rf_value v = rf__field(b, rows[k], &e->field);
		if (rf_value_missing(v))
			out[k] = rf_tv_null();
		else {
			out[k] = rf_tv_str(v.p, (size_t)v.len);
			out[k].text = 1;
		}
	}
}

/* An operand of a comparison: a number literal compares as its text does
 * (as a field's number would), so 9007199254740993 is not rounded. */
static int ev_operand(struct rf_expr_ctx *x, const struct rf_expr *e, const uint32_t *rows, uint32_t n,
		      struct rf_tv *out)
{
	if (e->kind == N_LIT && e->lit_kind == LIT_NUMBER) {
		struct rf_tv v = rf_tv_str(e->text, e->text_len);
		v.text = 1;
		for (uint32_t k = 0; k < n; k++)
			out[k] = v;
		return 0;
	}
	return ev(x, e, rows, n, out);
}

static int is_bool_node(const struct rf_expr *e)
{
	switch (e->kind) {
	case N_CMP: case N_MATCH: case N_CONTAINS: case N_IN: case N_ISNULL: case N_AND: case N_OR: case N_NOT:
		return 1;
	default:
		return 0;
	}
}

static int ev(struct rf_expr_ctx *x, const struct rf_expr *e, const uint32_t *rows, uint32_t n, struct rf_tv *out)
{
	struct mark m = mark(x);
	int r = 0;
	if (is_bool_node(e)) {
		uint8_t *t = tmp(x, n);
		if (!t)
			return -ENOMEM;
		if ((r = evb(x, e, rows, n, t)) == 0)
			for (uint32_t k = 0; k < n; k++)
				out[k] = t[k] == UNKNOWN ? rf_tv_null() : rf_tv_bool(t[k]);
		release(x, m);
		return r;
	}
	switch (e->kind) {
	case N_LIT: {
		struct rf_tv v = e->lit;
		if (e->local && x->env.tz) {
			/* 2026-11-01T10:00 on the --tz clock */
			int64_t ns = v.u.i, sub = ns % 1000000000;
			if (sub < 0)
				sub += 1000000000;
			v.u.i = rf__tz_local_to_utc(x->env.tz, (ns - sub) / 1000000000) * 1000000000 + sub;
		}
		for (uint32_t k = 0; k < n; k++)
			out[k] = v;
		return 0;
	}
	case N_FIELD:
	case N_AGG:
		if (e->kind == N_AGG && !e->table)
			return -EINVAL;
		read_field(x, e, rows, n, out);
		return 0;
	case N_NEG: {
		int negs = 0;
		while (e->kind == N_NEG)
			e = e->a[0], negs++;
		if ((r = ev(x, e, rows, n, out)) < 0)
			return r;
		for (int i = 0; i < negs; i++)
			for (uint32_t k = 0; k < n; k++)
				out[k] = negate(&out[k]);
		return 0;
	}
	case N_ARITH: {
		if ((r = ev(x, e->a[0], rows, n, out)) < 0)
			return r;
		struct rf_tv *t = tmp(x, (size_t)n * sizeof *t);
		if (!t)
			return -ENOMEM;
		for (int i = 1; i < e->n && r == 0; i++) {
			char op = e->ops[i - 1];
			if (e->a[i]->kind == N_LIT && !e->a[i]->local) {
				/* bytes / 1024: the literal as it is, no array of it */
				const struct rf_tv *lit = &e->a[i]->lit;
				for (uint32_t k = 0; k < n; k++)
					out[k] = arith(op, &out[k], lit);
				continue;
			}
			if ((r = ev(x, e->a[i], rows, n, t)) < 0)
				break;
			for (uint32_t k = 0; k < n; k++)
				out[k] = arith(op, &out[k], &t[k]);
		}
		release(x, m);
		return r;
	}
	case N_CALL: {
		int argc = e->n;
		struct rf_tv *args = tmp(x, (size_t)n * (size_t)(argc ? argc : 1) * sizeof *args);
		struct rf_tv *argv = tmp(x, (size_t)(argc ? argc : 1) * sizeof *argv);
		if (!args || !argv)
			return -ENOMEM;
		for (int i = 0; i < argc; i++)
			if ((r = ev(x, e->a[i], rows, n, args + (size_t)i * n)) < 0) {
				release(x, m);
				return r;
			}
		void *scratch = e->call_id < x->ncalls ? x->scratch[e->call_id] : NULL;
		x->env.error = 0;
		for (uint32_t k = 0; k < n; k++) {
			for (int i = 0; i < argc; i++)
				argv[i] = args[(size_t)i * n + k];
			e->call.def->eval(&e->call, argv, &out[k], &x->env, scratch);
		}
		release(x, m);
		return x->env.error < 0 ? x->env.error : 0;
	}
	default:
		return -EINVAL;
	}
}

/* and/or: each operand over the rows still undecided */
static int ev_chain(struct rf_expr_ctx *x, const struct rf_expr *e, const uint32_t *rows, uint32_t n, uint8_t *out)
{
	int is_and = e->kind == N_AND;
	int decided = is_and ? NO : YES; /* the value that ends a row's walk */
	struct mark m = mark(x);
	uint32_t *pos = tmp(x, (size_t)n * sizeof *pos), *sub = tmp(x, (size_t)n * sizeof *sub);
	uint8_t *v = tmp(x, n);
	if (!pos || !sub || !v)
		return -ENOMEM;
	uint32_t live = n;
	for (uint32_t k = 0; k < n; k++) {
		out[k] = is_and ? YES : NO;
		pos[k] = k;
	}
	for (int i = 0; i < e->n && live; i++) {
		for (uint32_t j = 0; j < live; j++)
			sub[j] = rows[pos[j]];
		int r = evb(x, e->a[i], sub, live, v);
		if (r < 0) {
			release(x, m);
			return r;
		}
		uint32_t keep = 0;
		for (uint32_t j = 0; j < live; j++) {
			uint32_t k = pos[j];
			if (v[j] == decided) {
				out[k] = (uint8_t)decided;
				continue;
			}
			if (v[j] == UNKNOWN)
				out[k] = UNKNOWN;
			pos[keep++] = k;
		}
		live = keep;
	}
	release(x, m);
	return 0;
}

static int evb(struct rf_expr_ctx *x, const struct rf_expr *e, const uint32_t *rows, uint32_t n, uint8_t *out)
{
	struct mark m = mark(x);
	int r = 0;
	switch (e->kind) {
	case N_AND:
	case N_OR:
		return ev_chain(x, e, rows, n, out);
	case N_NOT:
		if ((r = evb(x, e->a[0], rows, n, out)) < 0)
			return r;
		for (uint32_t k = 0; k < n; k++)
			out[k] = out[k] == UNKNOWN ? UNKNOWN : !out[k];
		return 0;
	case N_CMP: {
		/* a record's field against a number or a string: no values
		 * array, the literal read once */
		const struct rf_expr *f = e->a[0], *l = e->a[1];
		int flip = f->kind == N_LIT && l->kind == N_FIELD;
		if (flip)
			f = e->a[1], l = e->a[0];
		if (f->kind == N_FIELD && !f->table && f->tv_idx < 0 && !f->time_field && l->kind == N_LIT && l->text &&
		    (l->lit_kind == LIT_NUMBER || l->lit.type == RF_TV_STR)) {
			for (uint32_t k = 0; k < n; k++) {
				struct rf_value v = rf__field(x->b, rows[k], &f->field);
				if (rf_value_missing(v)) {
					out[k] = NO;
					continue;
				}
				int c = cmp_text_lit(v, l);
				out[k] = (uint8_t)cmp_holds(e->op, flip ? -c : c);
			}
			return 0;
		}
		struct rf_tv *a = tmp(x, (size_t)n * sizeof *a), *b = tmp(x, (size_t)n * sizeof *b);
		if (!a || !b)
			return -ENOMEM;
		if (l->kind == N_LIT && l->lit_kind == LIT_NUMBER && l->text_num && !(f->kind == N_FIELD && f->time_field)) {
			/* anything against a number: the number read once; a
			 * typed number compares with it, a text as a field's */
			if ((r = ev(x, f, rows, n, a)) == 0)
				for (uint32_t k = 0; k < n; k++) {
					int c;
					struct rf_tv lt = { .type = RF_TV_STR, .text = 1, .len = (uint32_t)l->text_len, .u.s = l->text };
					if (a[k].type == RF_TV_INT || a[k].type == RF_TV_FLOAT) {
						c = cmp_numbers(&a[k], &l->lit);
						double d = a[k].type == RF_TV_INT ? (double)a[k].u.i : a[k].u.d;
						if (!(a[k].type == RF_TV_INT && l->lit.type == RF_TV_INT) &&
						    (c == 0 || fabs(d) >= 9007199254740992.0 || fabs(l->num.d) >= 9007199254740992.0))
							c = cmp_values(&a[k], &lt, 0); /* exactly, by the literal's text */
					} else if (a[k].type == RF_TV_STR)
						c = cmp_text_lit((struct rf_value){ a[k].u.s, (int32_t)a[k].len }, l);
					else
						c = cmp_values(&a[k], &lt, 0);
					out[k] = (uint8_t)cmp_holds(e->op, c == CMP_NULL ? c : flip ? -c : c);
				}
			release(x, m);
			return r;
		}
		if ((r = ev_operand(x, e->a[0], rows, n, a)) == 0 && (r = ev_operand(x, e->a[1], rows, n, b)) == 0) {
			int hint = (e->a[0]->kind == N_FIELD && e->a[0]->time_field) ||
				   (e->a[1]->kind == N_FIELD && e->a[1]->time_field);
			for (uint32_t k = 0; k < n; k++)
				out[k] = (uint8_t)cmp_holds(e->op, cmp_values(&a[k], &b[k], hint));
		}
		release(x, m);
		return r;
	}
	case N_MATCH: {
		const struct rf_expr *f = e->a[0];
		if (f->kind == N_FIELD && !f->table && f->tv_idx < 0) {
			for (uint32_t k = 0; k < n; k++) {
				struct rf_value v = rf__field(x->b, rows[k], &f->field);
				size_t s, en;
				if (rf_value_missing(v)) {
					out[k] = NO;
					continue;
				}
				int mr = rf__regex_search(e->re, x->m[e->re_id], v.p, (size_t)v.len, 0, &s, &en);
				if (mr < 0 && x->undec)
					x->undec[rows[k]] = 1;
				out[k] = mr < 0 ? UNKNOWN : mr > 0 ? YES : NO;
			}
			return 0;
		}
		struct rf_tv *a = tmp(x, (size_t)n * sizeof *a);
		if (!a)
			return -ENOMEM;
		if ((r = ev(x, e->a[0], rows, n, a)) == 0)
			for (uint32_t k = 0; k < n; k++) {
				const char *p;
				size_t len, s, en;
				if (as_text(x, &a[k], &p, &len) < 0) {
					out[k] = NO;
					continue;
				}
				int mr = rf__regex_search(e->re, x->m[e->re_id], p, len, 0, &s, &en);
				if (mr < 0 && x->undec)
					x->undec[rows[k]] = 1;
				out[k] = mr < 0 ? UNKNOWN : mr > 0 ? YES : NO;
			}
		release(x, m);
		return r;
	}
	case N_CONTAINS: {
		const struct rf_expr *f = e->a[0], *l = e->a[1];
		if (f->kind == N_FIELD && !f->table && f->tv_idx < 0 && l->kind == N_LIT && l->lit.type == RF_TV_STR) {
			for (uint32_t k = 0; k < n; k++) {
				struct rf_value v = rf__field(x->b, rows[k], &f->field);
				out[k] = !rf_value_missing(v) &&
					 (l->text_len == 0 || (l->text_len <= (size_t)v.len &&
							       memmem(v.p, (size_t)v.len, l->text, l->text_len) != NULL));
			}
			return 0;
		}
		struct rf_tv *a = tmp(x, (size_t)n * sizeof *a), *b = tmp(x, (size_t)n * sizeof *b);
		if (!a || !b)
			return -ENOMEM;
		if ((r = ev(x, e->a[0], rows, n, a)) == 0 && (r = ev(x, e->a[1], rows, n, b)) == 0)
			for (uint32_t k = 0; k < n; k++) {
				const char *hp, *np;
				size_t hn, nn;
				if (as_text(x, &a[k], &hp, &hn) < 0 || as_text(x, &b[k], &np, &nn) < 0)
					out[k] = NO;
				else
					out[k] = nn == 0 || (nn <= hn && memmem(hp, hn, np, nn) != NULL);
			}
		release(x, m);
		return r;
	}
	case N_ISNULL: {
		struct rf_tv *a = tmp(x, (size_t)n * sizeof *a);
		if (!a)
			return -ENOMEM;
		if ((r = ev(x, e->a[0], rows, n, a)) == 0)
			for (uint32_t k = 0; k < n; k++)
				out[k] = (uint8_t)((a[k].type == RF_TV_NULL) != e->negate);
		release(x, m);
		return r;
	}
	case N_IN: {
		struct rf_tv *a = tmp(x, (size_t)n * sizeof *a), *b = tmp(x, (size_t)n * sizeof *b);
		if (!a || !b)
			return -ENOMEM;
		if ((r = ev(x, e->a[0], rows, n, a)) < 0) {
			release(x, m);
			return r;
		}
		for (uint32_t k = 0; k < n; k++)
			out[k] = NO;
		int hint = e->a[0]->kind == N_FIELD && e->a[0]->time_field;
		for (int i = 1; i < e->n; i++) {
			const struct rf_expr *item = e->a[i];
			if (item->kind == N_LIT && item->lit_kind == LIT_CIDR) {
				for (uint32_t k = 0; k < n; k++)
					out[k] |= (uint8_t)in_cidr(&a[k], item);
				continue;
			}
			if ((r = ev_operand(x, item, rows, n, b)) < 0)
				break;
			for (uint32_t k = 0; k < n; k++)
				if (!out[k] && cmp_values(&a[k], &b[k], hint) == 0)
					out[k] = YES;
		}
		if (e->negate)
			for (uint32_t k = 0; k < n; k++)
				out[k] = a[k].type != RF_TV_NULL && !out[k];
		release(x, m);
		return r;
	}
	default: {
		struct rf_tv *a = tmp(x, (size_t)n * sizeof *a);
		if (!a)
			return -ENOMEM;
		if ((r = ev(x, e, rows, n, a)) == 0)
			for (uint32_t k = 0; k < n; k++)
				out[k] = (uint8_t)(rf__tv_truthy(&a[k]) ? YES : NO);
		release(x, m);
		return r;
	}
	}
}

/* ---- entry points ---- */

/* Rows are evaluated this many at a time: the temporary arrays stay small
 * (a 16 MiB batch of short lines has a million records). */
#define CHUNK 1024

static uint32_t *row_range(struct rf_expr_ctx *x, uint32_t from, uint32_t n)
{
	release(x, (struct mark){ 0 });
	uint32_t *rows = tmp(x, (size_t)n * sizeof *rows);
	if (rows)
		for (uint32_t k = 0; k < n; k++)
			rows[k] = from + k;
	return rows;
}

static int run_rows(struct rf_expr_ctx *x, const struct rf_expr *e, uint32_t total, uint8_t *keep,
		    struct rf_tv *out)
{
	for (uint32_t from = 0; from < total; from += CHUNK) {
		uint32_t n = total - from < CHUNK ? total - from : CHUNK;
		uint32_t *rows = row_range(x, from, n);
		if (!rows)
			return -ENOMEM;
		int r = keep ? evb(x, e, rows, n, keep + from) : ev(x, e, rows, n, out + from);
		if (r < 0)
			return r;
		if (x->err < 0)
			return x->err;
	}
	return 0;
}

static void batch_start(struct rf_expr_ctx *x, struct rf_batch *b)
{
	x->b = b;
	x->t = NULL;
	x->env.alloc = alloc_batch;
	x->err = 0;
}

void rf__expr_ctx_set_tz(struct rf_expr_ctx *x, const struct rf_tz *tz)
{
	x->env.tz = tz;
}

int rf__expr_filter(struct rf_expr_ctx *x, const struct rf_expr *e, struct rf_batch *b, uint8_t *keep)
{
	batch_start(x, b);
	return run_rows(x, e, b->nsel, keep, NULL);
}

int rf__expr_values(struct rf_expr_ctx *x, const struct rf_expr *e, struct rf_batch *b, struct rf_tv *out)
{
	batch_start(x, b);
	if (x->nre) {
		if (b->nsel > x->undec_cap) {
			uint8_t *u = realloc(x->undec, b->nsel);
			if (!u)
				return -ENOMEM;
			x->undec = u;
			x->undec_cap = b->nsel;
		}
		memset(x->undec, 0, b->nsel);
	}
	int r = run_rows(x, e, b->nsel, NULL, out);
	return r;
}

const uint8_t *rf__expr_undecided(const struct rf_expr_ctx *x)
{
	return x->nre ? x->undec : NULL;
}

static int table_start(struct rf_expr_ctx *x, const struct rf_table *t)
{
	free_strings(x);
	x->b = NULL;
	x->t = t;
	x->env.alloc = alloc_table;
	x->err = 0;
	return t->nrows > UINT32_MAX ? -EOVERFLOW : 0;
}

int rf__expr_table_filter(struct rf_expr_ctx *x, const struct rf_expr *e, const struct rf_table *t, uint8_t *keep)
{
	int r = table_start(x, t);
	return r < 0 ? r : run_rows(x, e, (uint32_t)t->nrows, keep, NULL);
}

int rf__expr_table_values(struct rf_expr_ctx *x, const struct rf_expr *e, const struct rf_table *t,
			  struct rf_tv *out)
{
	int r = table_start(x, t);
	return r < 0 ? r : run_rows(x, e, (uint32_t)t->nrows, NULL, out);
}
