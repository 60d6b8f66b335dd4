/* expr.c - `where` expressions and the PCRE2 wrapper.
 *
 *     where status >= 500 and (path contains "/api" or method == "POST")
 *     where not agent ~ "bot|crawler"
 *
 * Values compare as numbers when both sides are numbers, else as bytes.
 * A comparison with a missing field is false (and `not` of it true).
 */
#include "config.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"

/* ---- PCRE2 ---- */

struct rf_regex {
	pcre2_code *code;
};

struct rf_regex_match {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;  /* grown on demand, up to RF_REGEX_JIT_STACK_MAX */
	size_t stack_max;
};

struct rf_regex *rf__regex_compile(const char *pattern, size_t len, int literal, int caseless,
				   struct rf_query_error *err, int column)
{
	int ec;
	PCRE2_SIZE eo;
	/* No PCRE2_UTF: logs hold invalid UTF-8, and bytes are bytes. */
	uint32_t opts = (literal ? PCRE2_LITERAL : 0) | (caseless ? PCRE2_CASELESS : 0);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &ec, &eo, NULL);
	if (!code) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(ec, msg, sizeof msg);
		rf__fail(err, column + 1 + (int)eo, "bad regular expression: %s", (char *)msg);
		return NULL;
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	struct rf_regex *re = malloc(sizeof *re);
	if (!re) {
		pcre2_code_free(code);
		return NULL;
	}
	re->code = code;
	return re;
}

struct rf_regex *rf__regex_compile_folded(const char *lit, size_t len)
{
	int ec;
	PCRE2_SIZE eo;
	/* Unicode simple case folding on valid UTF-8; invalid sequences in
	 * the subject match nothing, so its other bytes still can. */
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)lit, len,
					 PCRE2_LITERAL | PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo,
					 NULL);
	if (!code)
		return NULL; /* not valid UTF-8 */
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	struct rf_regex *re = malloc(sizeof *re);
	if (!re) {
		pcre2_code_free(code);
		return NULL;
	}
	re->code = code;
	return re;
}

void rf__regex_free(struct rf_regex *re)
{
	if (re) {
		pcre2_code_free(re->code);
		free(re);
	}
}

struct rf_regex_match *rf__regex_match_new(const struct rf_regex *re)
{
	struct rf_regex_match *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	m->mc = pcre2_match_context_create(NULL);
	if (!m->md || !m->mc || pcre2_set_heap_limit(m->mc, RF_REGEX_HEAP_MAX >> 10) != 0) {
		rf__regex_match_free(m);
		return NULL;
	}
	/* no JIT stack yet: PCRE2's own 32 KiB serves most lines */
	return m;
}

void rf__regex_match_free(struct rf_regex_match *m)
{
	if (m) {
		pcre2_match_data_free(m->md);
		pcre2_match_context_free(m->mc);
		pcre2_jit_stack_free(m->stack);
		free(m);
	}
}

/* A bigger JIT stack after the one in use ran out: 1 MiB, then 4 times
 * the last, up to RF_REGEX_JIT_STACK_MAX.  The memory is only reserved;
 * pages are used as the match goes deeper.  -1 when at the maximum. */
static int grow_jit_stack(struct rf_regex_match *m)
{
	if (m->stack_max >= RF_REGEX_JIT_STACK_MAX)
		return -1;
	size_t max = m->stack_max ? m->stack_max * 4 : (size_t)1 << 20;
	if (max > RF_REGEX_JIT_STACK_MAX)
		max = RF_REGEX_JIT_STACK_MAX;
	pcre2_jit_stack *s = pcre2_jit_stack_create(32 << 10, max, NULL);
	if (!s)
		return -1;
	pcre2_jit_stack_free(m->stack);
	m->stack = s;
	m->stack_max = max;
	pcre2_jit_stack_assign(m->mc, NULL, s);
	return 0;
}

int rf__regex_search(const struct rf_regex *re, struct rf_regex_match *m, const char *p, size_t n,
		     size_t from, size_t *start, size_t *end)
{
	int rc;
	while ((rc = pcre2_match(re->code, (PCRE2_SPTR)p, n, from, 0, m->md, m->mc)) == PCRE2_ERROR_JIT_STACKLIMIT &&
	       grow_jit_stack(m) == 0)
		;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY)
		return RF_REGEX_LIMIT;
	if (rc < 0)
		return -EINVAL;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	*start = ov[0];
	*end = ov[1];
	return 1;
}

int rf__regex_names(const struct rf_regex *re, char **names, int *numbers, int max)
{
	uint32_t count = 0, entry = 0;
	PCRE2_SPTR table;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	if (!names)
		return (int)count;
	int n = 0;
	for (uint32_t i = 0; i < count && n < max; i++) {
		const unsigned char *e = table + i * entry;
		numbers[n] = (e[0] << 8) | e[1];
		names[n] = (char *)(e + 2);
		n++;
	}
	return n;
}

int rf__regex_group(const struct rf_regex_match *m, int number, size_t *start, size_t *end)
{
	if ((uint32_t)number >= pcre2_get_ovector_count(m->md))
		return 0;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	if (ov[2 * number] == PCRE2_UNSET)
		return 0;
	*start = ov[2 * number];
	*end = ov[2 * number + 1];
	return 1;
}

/* ---- expressions ---- */

enum expr_kind { E_AND, E_OR, E_NOT, E_CMP, E_MATCH, E_CONTAINS, E_PRESENT };
enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct operand {
	int is_field;
	struct rf_fieldref field;
	char *lit;
	size_t lit_len;
	int lit_is_num;
	struct rf_number num;
};

/* `a and b and c` is a chain leaning right, and(a, and(b, c)), and `not`
 * holds its operand in l: every walk below loops down r of and/or and l of
 * not, and recurses only into l of and/or, whose depth the parentheses
 * bound.  So no chain length, however long, can exhaust the stack. */
struct rf_expr {
	enum expr_kind kind;
	enum cmp_op op;
	struct rf_expr *l, *r;
	struct operand a, b;
	struct rf_regex *re;
	int id;                 /* index of this ~ among the expression's regexes */
};

struct rf_expr_ctx {
	int n;
	int undecided;          /* a ~ hit the regex limits in the last eval */
	struct rf_regex_match *m[32];
};

static void operand_free(struct operand *o)
{
	rf__fieldref_free(&o->field);
	free(o->lit);
}

static int is_chain(const struct rf_expr *e)
{
	return e->kind == E_AND || e->kind == E_OR;
}

/* The node a walk goes on to without recursing. */
static struct rf_expr *next_in_chain(const struct rf_expr *e)
{
	return is_chain(e) ? e->r : e->l;
}

void rf__expr_free(struct rf_expr *e)
{
	while (e) {
		struct rf_expr *next = next_in_chain(e);
		if (is_chain(e))
			rf__expr_free(e->l);
		operand_free(&e->a);
		operand_free(&e->b);
		rf__regex_free(e->re);
		free(e);
		e = next;
	}
}

static int is_word(const struct rf_arg *a, const char *w)
{
	return a && a->type == RF_ARG_WORD && strcmp(a->text, w) == 0;
}

static int parse_operand(struct rf_cursor *c, struct operand *o)
{
	const struct rf_arg *a = rf__peek(c);
	memset(o, 0, sizeof *o);
	if (!a || (a->type != RF_ARG_WORD && a->type != RF_ARG_STRING && a->type != RF_ARG_NUMBER)) {
		rf__fail(c->err, rf__cursor_column(c), "expected a field or a value%s%s", a ? ", found " : "",
			 a ? a->text : "");
		return -EINVAL;
	}
	if (a->type == RF_ARG_WORD)
		return o->is_field = 1, rf__parse_fieldref(c, &o->field, "a field");
	c->i++;
	o->lit = malloc(a->len + 1);
	if (!o->lit)
		return -ENOMEM;
	memcpy(o->lit, a->text, a->len + 1);
	o->lit_len = a->len;
	o->lit_is_num = rf__parse_number(o->lit, o->lit_len, &o->num) == 0;
	return 0;
}

static int parse_or(struct rf_cursor *c, struct rf_expr **out, int *nre);

static struct rf_expr *node(enum expr_kind kind)
{
	struct rf_expr *e = calloc(1, sizeof *e);
	if (e)
		e->kind = kind;
	return e;
}

static int parse_primary(struct rf_cursor *c, struct rf_expr **out, int *nre)
{
	const struct rf_arg *a = rf__peek(c);
	int r;
	if (a && a->type == RF_ARG_LPAREN) {
		c->i++;
		if ((r = parse_or(c, out, nre)) < 0)
			return r;
		if (!rf__accept(c, RF_ARG_RPAREN, NULL))
			return rf__fail(c->err, rf__cursor_column(c), "expected ')'");
		return 0;
	}
	struct rf_expr *e = node(E_CMP);
	if (!e)
		return -ENOMEM;
	*out = e;
	if ((r = parse_operand(c, &e->a)) < 0)
		return r;
	const struct rf_arg *op = rf__peek(c);
	if (is_word(op, "contains")) {
		c->i++;
		e->kind = E_CONTAINS;
		return parse_operand(c, &e->b);
	}
	if (!op || op->type != RF_ARG_OP) {
		if (!e->a.is_field)
			return rf__fail(c->err, rf__cursor_column(c), "expected a comparison after the value");
		e->kind = E_PRESENT; /* `where user`: the field is there and not empty */
		return 0;
	}
	c->i++;
	if (strcmp(op->text, "~") == 0) {
		const struct rf_arg *pat = rf__take(c);
		if (!pat || pat->type != RF_ARG_STRING) {
			rf__fail(c->err, pat ? pat->column : c->end_column, "'~' needs a quoted regular expression");
			snprintf(c->err->hint, sizeof c->err->hint, "for example: agent ~ \"bot|crawler\"");
			return -EINVAL;
		}
		e->kind = E_MATCH;
		if (*nre == 32)
			return rf__fail(c->err, pat->column, "too many regular expressions in one where");
		e->id = (*nre)++;
		e->re = rf__regex_compile(pat->text, pat->len, 0, 0, c->err, pat->column);
		return e->re ? 0 : -EINVAL;
	}
	static const struct {
		const char *t;
		enum cmp_op op;
	} ops[] = { { "==", OP_EQ }, { "=", OP_EQ }, { "!=", OP_NE }, { "<", OP_LT },
		    { "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE } };
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (strcmp(op->text, ops[i].t) == 0)
			e->op = ops[i].op;
	e->kind = E_CMP;
	return parse_operand(c, &e->b);
}

static int parse_not(struct rf_cursor *c, struct rf_expr **out, int *nre)
{
	while (is_word(rf__peek(c), "not")) {
		c->i++;
		struct rf_expr *e = node(E_NOT);
		if (!e)
			return -ENOMEM;
		*out = e;
		out = &e->l;
	}
	return parse_primary(c, out, nre);
}

/* Each new operand hangs off the r of the last and: a chain leaning right. */
static int parse_and(struct rf_cursor *c, struct rf_expr **out, int *nre)
{
	int r = parse_not(c, out, nre);
	while (r == 0 && is_word(rf__peek(c), "and")) {
		c->i++;
		struct rf_expr *e = node(E_AND);
		if (!e)
			return -ENOMEM;
		e->l = *out;
		*out = e;
		out = &e->r;
		r = parse_not(c, out, nre);
	}
	return r;
}

static int parse_or(struct rf_cursor *c, struct rf_expr **out, int *nre)
{
	int r = parse_and(c, out, nre);
	while (r == 0 && is_word(rf__peek(c), "or")) {
		c->i++;
		struct rf_expr *e = node(E_OR);
		if (!e)
			return -ENOMEM;
		e->l = *out;
		*out = e;
		out = &e->r;
		r = parse_and(c, out, nre);
	}
	return r;
}

int rf__expr_parse(struct rf_cursor *c, struct rf_expr **out)
{
	int nre = 0;
	*out = NULL;
	if (!rf__peek(c)) {
		rf__fail(c->err, c->end_column, "where needs a condition");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: where status >= 500");
		return -EINVAL;
	}
	int r = parse_or(c, out, &nre);
	if (r == 0 && rf__peek(c))
		r = rf__fail(c->err, rf__cursor_column(c), "unexpected '%s' in the condition (missing 'and'/'or'?)",
			     rf__peek(c)->text);
	return r;
}

int rf__expr_bind(struct rf_expr *e, struct rf_schema *sc, struct rf_query_error *err)
{
	int r;
	for (; e; e = next_in_chain(e)) {
		if (e->a.is_field && (r = rf__schema_bind(sc, &e->a.field, err)) < 0)
			return r;
		if (e->b.is_field && (r = rf__schema_bind(sc, &e->b.field, err)) < 0)
			return r;
		if (is_chain(e) && (r = rf__expr_bind(e->l, sc, err)) < 0)
			return r;
	}
	return 0;
}

static int count_regex(const struct rf_expr *e)
{
	int n = 0;
	for (; e; e = next_in_chain(e))
		n += (e->kind == E_MATCH) + (is_chain(e) ? count_regex(e->l) : 0);
	return n;
}

static int fill_ctx(struct rf_expr_ctx *x, const struct rf_expr *e)
{
	for (; e; e = next_in_chain(e)) {
		if (e->kind == E_MATCH && !(x->m[e->id] = rf__regex_match_new(e->re)))
			return -ENOMEM;
		if (is_chain(e) && fill_ctx(x, e->l) < 0)
			return -ENOMEM;
	}
	return 0;
}

struct rf_expr_ctx *rf__expr_ctx_new(const struct rf_expr *e)
{
	struct rf_expr_ctx *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->n = count_regex(e);
	if (fill_ctx(x, e) < 0) {
		rf__expr_ctx_free(x);
		return NULL;
	}
	return x;
}

void rf__expr_ctx_free(struct rf_expr_ctx *x)
{
	if (!x)
		return;
	for (int i = 0; i < 32; i++)
		rf__regex_match_free(x->m[i]);
	free(x);
}

static struct rf_value operand_value(const struct operand *o, const struct rf_batch *b, uint32_t row)
{
	if (o->is_field)
		return rf__field(b, row, &o->field);
	return (struct rf_value){ o->lit, (int32_t)o->lit_len };
}

static int bytes_cmp(struct rf_value a, struct rf_value b)
{
	size_t n = (size_t)(a.len < b.len ? a.len : b.len);
	int c = n ? memcmp(a.p, b.p, n) : 0;
	if (c)
		return c;
	return (a.len > b.len) - (a.len < b.len);
}

static int compare(const struct rf_expr *e, const struct rf_batch *b, uint32_t row, int *result)
{
	struct rf_value va = operand_value(&e->a, b, row), vb = operand_value(&e->b, b, row);
	if (rf_value_missing(va) || rf_value_missing(vb))
		return -1;
	struct rf_number na, nb;
	int c;
	int a_num = e->a.is_field ? rf__parse_number(va.p, (size_t)va.len, &na) == 0 : (na = e->a.num, e->a.lit_is_num);
	int b_num = a_num && (e->b.is_field ? rf__parse_number(vb.p, (size_t)vb.len, &nb) == 0
					    : (nb = e->b.num, e->b.lit_is_num));
	if (a_num && b_num) {
		c = (na.is_int && nb.is_int) ? (na.i > nb.i) - (na.i < nb.i) : (na.d > nb.d) - (na.d < nb.d);
		/* doubles that tie may stand for different numbers
		 * (9007199254740992.5 and 9007199254740992): their texts decide,
		 * exactly, as in sort and min/max */
		struct rf_decimal da, db;
		if (c == 0 && !(na.is_int && nb.is_int) && rf__parse_decimal(va.p, (size_t)va.len, &da) == 0 &&
		    rf__parse_decimal(vb.p, (size_t)vb.len, &db) == 0)
			c = rf__decimal_cmp(&da, &db);
	} else
		c = bytes_cmp(va, vb);
	*result = c;
	return 0;
}

static int find_bytes(struct rf_value hay, struct rf_value needle)
{
	if (needle.len == 0)
		return 1;
	if (needle.len > hay.len)
		return 0;
	return memmem(hay.p, (size_t)hay.len, needle.p, (size_t)needle.len) != NULL;
}

int rf__expr_has_regex(const struct rf_expr *e)
{
	return count_regex(e) > 0;
}

int rf__expr_undecided(struct rf_expr_ctx *x)
{
	int u = x->undecided;
	x->undecided = 0;
	return u;
}

/* Three answers: NO, YES, or UNKNOWN when a ~ hit the regex limits.
 * and/or/not follow Kleene's logic, so `a or b` is still YES when a is
 * unknown and b holds. */
enum { NO, YES, UNKNOWN };

static int eval_leaf(struct rf_expr_ctx *x, const struct rf_expr *e, const struct rf_batch *b, uint32_t row)
{
	int c;
	switch (e->kind) {
	case E_AND:
	case E_OR:
	case E_NOT:
		break; /* eval3's */
	case E_PRESENT: {
		struct rf_value v = operand_value(&e->a, b, row);
		return v.len > 0;
	}
	case E_CONTAINS: {
		struct rf_value h = operand_value(&e->a, b, row), n = operand_value(&e->b, b, row);
		return !rf_value_missing(h) && !rf_value_missing(n) && find_bytes(h, n);
	}
	case E_MATCH: {
		struct rf_value v = operand_value(&e->a, b, row);
		size_t s, en;
		if (rf_value_missing(v))
			return NO;
		int r = rf__regex_search(e->re, x->m[e->id], v.p, (size_t)v.len, 0, &s, &en);
		return r < 0 ? UNKNOWN : r > 0 ? YES : NO;
	}
	case E_CMP:
		if (compare(e, b, row, &c) < 0)
			return NO;
		switch (e->op) {
		case OP_EQ: return c == 0;
		case OP_NE: return c != 0;
		case OP_LT: return c < 0;
		case OP_LE: return c <= 0;
		case OP_GT: return c > 0;
		case OP_GE: return c >= 0;
		}
	}
	return NO;
}

/* Loops down and/or chains and not (see struct rf_expr), recursing only
 * into the left operand of and/or.  to[v] is what a value v of the node
 * reached makes of the whole expression: the nots and the undecided left
 * operands passed on the way down, composed. */
static int eval3(struct rf_expr_ctx *x, const struct rf_expr *e, const struct rf_batch *b, uint32_t row)
{
	unsigned char to[3] = { NO, YES, UNKNOWN };
	for (;;) {
		int l;
		switch (e->kind) {
		case E_AND:
			if ((l = eval3(x, e->l, b, row)) == NO)
				return to[NO];
			if (l == UNKNOWN) /* UNKNOWN and r: NO if r is, else UNKNOWN */
				to[YES] = to[UNKNOWN];
			e = e->r;
			break;
		case E_OR:
			if ((l = eval3(x, e->l, b, row)) == YES)
				return to[YES];
			if (l == UNKNOWN) /* UNKNOWN or r: YES if r is, else UNKNOWN */
				to[NO] = to[UNKNOWN];
			e = e->r;
			break;
		case E_NOT:
			l = to[NO];
			to[NO] = to[YES];
			to[YES] = (unsigned char)l;
			e = e->l;
			break;
		default:
			return to[eval_leaf(x, e, b, row)];
		}
	}
}

int rf__expr_eval(struct rf_expr_ctx *x, const struct rf_expr *e, const struct rf_batch *b, uint32_t row)
{
	int r = eval3(x, e, b, row);
	x->undecided = r == UNKNOWN;
	return r == YES;
}
