/* stage_filter.c - the filters: grep, regex, where. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "expr.h"
#include "stages.h"

/* ---- shared: keep[] scratch for filters ---- */

struct keep_buf {
	uint8_t *keep;
	size_t cap;
};

static int keep_room(struct keep_buf *k, size_t n)
{
	if (n <= k->cap)
		return 0;
	size_t cap = k->cap ? k->cap : 4096;
	while (cap < n)
		cap *= 2;
	uint8_t *p = realloc(k->keep, cap);
	if (!p)
		return -ENOMEM;
	k->keep = p;
	k->cap = cap;
	return 0;
}

static int push_span(struct rf_batch *b, size_t off, size_t len)
{
	if (b->nsel == b->sel_cap) {
		int r = rf__batch_reserve(b, (size_t)b->sel_cap + 1);
		if (r < 0)
			return r;
	}
	b->sel[b->nsel].off = (uint32_t)off;
	b->sel[b->nsel].len = (uint32_t)len;
	b->nsel++;
	return 0;
}

/* Length of the record starting at p, without its newline. */
static size_t line_len(const struct rf_kernels *k, const char *p, const char *end)
{
	const char *nl = k->find_byte(p, (size_t)(end - p), '\n');
	return (size_t)((nl ? nl : end) - p);
}

/* ---- grep ------------------------------------------------------------ */

/* grep -i folds case the way GNU grep and ripgrep do in a UTF-8 locale:
 *  - valid UTF-8 by Unicode simple case folding, one character to one:
 *    e-acute U+00E9 and U+00C9, the three sigmas U+03C3 U+03C2 U+03A3,
 *    sharp s U+00DF and its capital U+1E9E (but not "ss"); i matches only
 *    I, so the Turkish dotted capital I U+0130 and dotless i U+0131 match
 *    only themselves; the Kelvin sign U+212A matches k and K, the long s
 *    U+017F matches s and S;
 *  - invalid UTF-8 bytes match only themselves; the rest of such a line is
 *    still folded;
 *  - a literal that is not valid UTF-8 is matched byte by byte, ASCII
 *    letters folded.
 * The fast path, PCRE2's byte-wise caseless literal, serves an ASCII
 * literal unless it has a k or an s and the batch holds a Kelvin sign or a
 * long s. */
struct grep_config {
	char *literal;
	size_t len;
	int invert;
	int caseless;
	struct rf_regex *re;      /* -i: ASCII-folded literal through PCRE2 */
	struct rf_regex *re_utf;  /* -i: Unicode-folded, or NULL */
	int utf_always;           /* the literal has non-ASCII characters */
};

struct grep_state {
	const struct grep_config *cfg;
	struct rf_needle needle;
	struct rf_regex_match *m, *m_utf;
	struct rf_needle kelvin, long_s;
	const struct rf_regex *use;       /* for this batch */
	struct rf_regex_match *use_m;
	struct keep_buf keep;
};

static void grep_free_config(void *config)
{
	struct grep_config *gc = config;
	if (gc) {
		free(gc->literal);
		rf__regex_free(gc->re);
		rf__regex_free(gc->re_utf);
	}
	free(gc);
}

static int grep_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct grep_config *gc = calloc(1, sizeof *gc);
	if (!gc)
		return -ENOMEM;
	spec->config = gc;
	const struct rf_arg *lit = NULL, *a;
	while ((a = rf__take(c))) {
		if (a->type == RF_ARG_FLAG && (!strcmp(a->text, "-v") || !strcmp(a->text, "-i") ||
					       !strcmp(a->text, "-vi") || !strcmp(a->text, "-iv"))) {
			gc->invert |= strchr(a->text, 'v') != NULL;
			gc->caseless |= strchr(a->text, 'i') != NULL;
		} else if (a->type == RF_ARG_FLAG) {
			rf__fail(c->err, a->column, "grep: unknown flag '%s'", a->text);
			snprintf(c->err->hint, sizeof c->err->hint,
				 "grep takes -v (lines without the literal) and -i (ignore case)");
			return -EINVAL;
		} else if (a->type != RF_ARG_STRING && a->type != RF_ARG_WORD && a->type != RF_ARG_NUMBER) {
			return rf__fail(c->err, a->column, "grep: unexpected '%s'", a->text);
		} else if (!lit) {
			lit = a;
		} else {
			return rf__fail(c->err, a->column, "grep takes one literal; quote it if it holds spaces or '|'");
		}
	}
	if (!lit) {
		rf__fail(c->err, spec->column, "grep needs a literal to search for");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: grep \"ERROR\"");
		return -EINVAL;
	}
	if (memchr(lit->text, '\n', lit->len))
		return rf__fail(c->err, lit->column, "a grep literal cannot hold a newline: records are lines");
	if (!(gc->literal = malloc(lit->len + 1)))
		return -ENOMEM;
	memcpy(gc->literal, lit->text, lit->len + 1);
	gc->len = lit->len;
	if (gc->caseless && !(gc->re = rf__regex_compile(gc->literal, gc->len, 1, 1, c->err, lit->column)))
		return -EINVAL;
	if (gc->caseless) {
		int ks = 0;
		for (size_t i = 0; i < gc->len; i++) {
			unsigned char ch = (unsigned char)gc->literal[i];
			gc->utf_always |= ch >= 0x80;
			ks |= ch == 'k' || ch == 'K' || ch == 's' || ch == 'S';
		}
		if ((gc->utf_always || ks) && !(gc->re_utf = rf__regex_compile_folded(gc->literal, gc->len)))
			gc->utf_always = 0; /* not UTF-8: bytes, ASCII folded */
	}
	return 0;
}

static int grep_open(struct rf_stage *st, const void *config)
{
	struct grep_state *gs = calloc(1, sizeof *gs);
	if (!gs)
		return -ENOMEM;
	gs->cfg = config;
	rf__needle_init(&gs->needle, gs->cfg->literal, gs->cfg->len);
	st->state = gs;
	rf__needle_init(&gs->kelvin, "\xE2\x84\xAA", 3); /* U+212A */
	rf__needle_init(&gs->long_s, "\xC5\xBF", 2);      /* U+017F */
	if (gs->cfg->re && !(gs->m = rf__regex_match_new(gs->cfg->re)))
		return -ENOMEM;
	if (gs->cfg->re_utf && !(gs->m_utf = rf__regex_match_new(gs->cfg->re_utf)))
		return -ENOMEM;
	gs->use = gs->cfg->re;
	gs->use_m = gs->m;
	return 0;
}

/* Any byte >= 0x80 in p[0..n)?  Whole 128-byte blocks without a branch,
 * which the compiler turns into vector code at every SIMD level. */
static int has_non_ascii(const char *p, size_t n)
{
	const uint64_t high = 0x8080808080808080ULL;
	size_t i = 0;
	for (; i + 128 <= n; i += 128) {
		uint64_t acc = 0, w[16];
		memcpy(w, p + i, sizeof w);
		for (int j = 0; j < 16; j++)
			acc |= w[j];
		if (acc & high)
			return 1;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

/* grep -i: which of the two patterns this batch needs (see grep_config) */
static void grep_choose(struct grep_state *gs, const struct rf_kernels *k, const struct rf_batch *b)
{
	const struct grep_config *gc = gs->cfg;
	int utf = gc->utf_always;
	if (!utf && gc->re_utf && has_non_ascii(b->data, b->len))
		utf = k->find_literal(b->data, b->len, &gs->kelvin) || k->find_literal(b->data, b->len, &gs->long_s);
	gs->use = utf ? gc->re_utf : gc->re;
	gs->use_m = utf ? gs->m_utf : gs->m;
}

/* First match in p[0..n), or NULL. */
static const char *grep_find(struct grep_state *gs, const struct rf_kernels *k, const char *p, size_t n)
{
	if (!gs->use)
		return k->find_literal(p, n, &gs->needle);
	size_t s, e;
	return rf__regex_search(gs->use, gs->use_m, p, n, 0, &s, &e) > 0 ? p + s : NULL;
}

/* Search the raw bytes of an all-selected batch: jump from match to match,
 * widening each to its line, instead of looking at every line. */
static int grep_all(struct rf_stage *st, struct rf_batch *b)
{
	struct grep_state *gs = st->state;
	const struct rf_kernels *k = st->k;
	const char *base = b->data, *end = b->data + b->len, *p = base;
	int invert = gs->cfg->invert;
	b->nsel = 0;
	while (p < end) {
		const char *m = grep_find(gs, k, p, (size_t)(end - p));
		if (!m)
			break;
		const char *ls = k->find_last_byte(p, (size_t)(m - p), '\n');
		ls = ls ? ls + 1 : p;
		size_t len = line_len(k, m, end) + (size_t)(m - ls);
		if (invert) {
			/* every line between the previous match and this one */
			const char *q = p;
			while (q < ls) {
				size_t l = line_len(k, q, end);
				if (push_span(b, (size_t)(q - base), l) < 0)
					return -ENOMEM;
				q += l + 1;
			}
		} else if (push_span(b, (size_t)(ls - base), len) < 0) {
			return -ENOMEM;
		}
		p = ls + len + 1;
	}
	if (invert) {
		while (p < end) {
			size_t l = line_len(k, p, end);
			if (push_span(b, (size_t)(p - base), l) < 0)
				return -ENOMEM;
			p += l + 1;
		}
	}
	b->all = 0;
	return 0;
}

static int grep_process(struct rf_stage *st, struct rf_batch *b)
{
	struct grep_state *gs = st->state;
	if (gs->cfg->caseless)
		grep_choose(gs, st->k, b);
	if (b->all)
		return grep_all(st, b);
	if (keep_room(&gs->keep, b->nsel) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nsel; i++) {
		struct rf_span s = b->sel[i];
		int hit = grep_find(gs, st->k, b->data + s.off, s.len) != NULL;
		gs->keep.keep[i] = hit != gs->cfg->invert;
	}
	rf__batch_filter(b, gs->keep.keep);
	return 0;
}

static void grep_close(struct rf_stage *st)
{
	struct grep_state *gs = st->state;
	if (gs) {
		rf__regex_match_free(gs->m);
		rf__regex_match_free(gs->m_utf);
		free(gs->keep.keep);
	}
	free(gs);
	st->state = NULL;
}

const struct rf_verb rf__verb_grep = {
	.name = "grep",
	.kind = RF_STAGE_FILTER,
	.usage = "grep [-v] [-i] \"LITERAL\"",
	.configure = grep_configure,
	.free_config = grep_free_config,
	.open = grep_open,
	.process = grep_process,
	.close = grep_close,
};

/* ---- regex: lines matching a PCRE2 pattern ----------------------------- */

struct regex_config {
	struct rf_regex *re;
	int invert;
};

struct regex_state {
	const struct regex_config *cfg;
	struct rf_regex_match *m;
	struct keep_buf keep;
};

static void regex_free_config(void *config)
{
	struct regex_config *rc = config;
	if (rc)
		rf__regex_free(rc->re);
	free(rc);
}

static int regex_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct regex_config *rc = calloc(1, sizeof *rc);
	if (!rc)
		return -ENOMEM;
	spec->config = rc;
	if (rf__accept(c, RF_ARG_FLAG, "-v"))
		rc->invert = 1;
	const struct rf_arg *a = rf__take(c);
	if (!a || a->type != RF_ARG_STRING) {
		rf__fail(c->err, a ? a->column : c->end_column, "regex needs a quoted pattern");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: regex \"time=[0-9]{4,}ms\"");
		return -EINVAL;
	}
	rc->re = rf__regex_compile(a->text, a->len, 0, 0, c->err, a->column);
	return rc->re ? 0 : -EINVAL;
}

static int regex_open(struct rf_stage *st, const void *config)
{
	struct regex_state *rs = calloc(1, sizeof *rs);
	if (!rs)
		return -ENOMEM;
	rs->cfg = config;
	st->state = rs;
	return (rs->m = rf__regex_match_new(rs->cfg->re)) ? 0 : -ENOMEM;
}

static int regex_process(struct rf_stage *st, struct rf_batch *b)
{
	struct regex_state *rs = st->state;
	/* per record: a pattern like \s or [^x] must not match across lines */
	int r = rf__batch_expand(b, st->k);
	if (r < 0 || keep_room(&rs->keep, b->nsel) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nsel; i++) {
		size_t s, e;
		int hit = rf__regex_search(rs->cfg->re, rs->m, b->data + b->sel[i].off, b->sel[i].len, 0, &s, &e);
		if (hit < 0) {
			/* over the match limits: neither kept nor dropped
			 * silently, with or without -v */
			rs->keep.keep[i] = 0;
			if ((r = rf__reject_why(st, b, i, RF_REJECT_REGEX)) < 0)
				return r;
			continue;
		}
		rs->keep.keep[i] = (hit > 0) != rs->cfg->invert;
	}
	rf__batch_filter(b, rs->keep.keep);
	return 0;
}

static void regex_close(struct rf_stage *st)
{
	struct regex_state *rs = st->state;
	if (rs) {
		rf__regex_match_free(rs->m);
		free(rs->keep.keep);
	}
	free(rs);
	st->state = NULL;
}

const struct rf_verb rf__verb_regex = {
	.name = "regex",
	.kind = RF_STAGE_FILTER,
	.usage = "regex [-v] \"PATTERN\"",
	.configure = regex_configure,
	.free_config = regex_free_config,
	.open = regex_open,
	.process = regex_process,
	.close = regex_close,
};

/* ---- where ----------------------------------------------------------- */

struct where_state {
	const struct rf_expr *e;
	struct rf_expr_ctx *x;
	struct keep_buf keep;
};

static void where_free_config(void *config)
{
	rf__expr_free(config);
}

static int where_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct rf_expr *e;
	int r = rf__expr_parse(c, &e);
	spec->config = e;
	return r;
}

static int where_bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	return rf__expr_bind(spec->config, sc, err);
}

static int where_open(struct rf_stage *st, const void *config)
{
	struct where_state *ws = calloc(1, sizeof *ws);
	if (!ws)
		return -ENOMEM;
	ws->e = config;
	st->state = ws;
	if (!(ws->x = rf__expr_ctx_new(ws->e)))
		return -ENOMEM;
	rf__expr_ctx_set_tz(ws->x, st->env->tz);
	return 0;
}

static int where_process(struct rf_stage *st, struct rf_batch *b)
{
	struct where_state *ws = st->state;
	int r = rf__batch_expand(b, st->k);
	if (r < 0 || keep_room(&ws->keep, b->nsel) < 0)
		return -ENOMEM;
	if ((r = rf__expr_filter(ws->x, ws->e, b, ws->keep.keep)) < 0)
		return r;
	for (uint32_t i = 0; i < b->nsel; i++)
		if (ws->keep.keep[i] == RF_EXPR_UNKNOWN) {
			/* a ~ hit the regex limits: the condition has no answer */
			ws->keep.keep[i] = 0;
			if ((r = rf__reject_why(st, b, i, RF_REJECT_REGEX)) < 0)
				return r;
		}
	rf__batch_filter(b, ws->keep.keep);
	return 0;
}

static void where_close(struct rf_stage *st)
{
	struct where_state *ws = st->state;
	if (ws) {
		rf__expr_ctx_free(ws->x);
		free(ws->keep.keep);
	}
	free(ws);
	st->state = NULL;
}

const struct rf_verb rf__verb_where = {
	.name = "where",
	.kind = RF_STAGE_FILTER,
	.usage = "where EXPR   (== != < <= > >= ~ contains in is null, and/or/not, + - * / %, functions)",
	.configure = where_configure,
	.bind = where_bind,
	.free_config = where_free_config,
	.open = where_open,
	.process = where_process,
	.close = where_close,
};

/* ---- where after an aggregate (HAVING) ------------------------------- */

static int having_columns(struct rf_stage_spec *spec, struct rf_colset *cols, struct rf_query_error *err)
{
	return rf__expr_bind_table(spec->config, cols, err);
}

static int having_apply(const void *config, struct rf_table *t)
{
	const struct rf_expr *e = config;
	struct rf_expr_ctx *x = rf__expr_ctx_new(e);
	uint8_t *keep = malloc(t->nrows ? t->nrows : 1);
	if (x)
		rf__expr_ctx_set_tz(x, t->tz);
	int r = x && keep ? rf__expr_table_filter(x, e, t, keep) : -ENOMEM;
	if (r == 0) {
		size_t out = 0, w = (size_t)t->ncols;
		for (size_t i = 0; i < t->nrows; i++) {
			if (keep[i] != 1) /* unknown (a regex over its limits) is not true */
				continue;
			if (out != i)
				memcpy(&t->cells[out * w], &t->cells[i * w], w * sizeof *t->cells);
			out++;
		}
		t->nrows = out;
	}
	free(keep);
	rf__expr_ctx_free(x);
	return r;
}

const struct rf_verb rf__verb_where_table = {
	.name = "where",
	.kind = RF_STAGE_TABLE,
	.usage = "where EXPR   (after an aggregate: over its result's columns)",
	.configure = where_configure,
	.free_config = where_free_config,
	.columns = having_columns,
	.apply = having_apply,
};

/* ---- rejects outside the parser ---------------------------------------- */

int rf__query_may_reject(const struct rf_query *q)
{
	for (int i = 0; i < q->nstages; i++) {
		const struct rf_stage_spec *sp = &q->stage[i];
		if (sp->verb == &rf__verb_regex || (sp->verb == &rf__verb_where && rf__expr_has_regex(sp->config)) ||
		    (sp->verb == &rf__verb_eval && rf__eval_has_regex(sp->config)))
			return 1;
	}
	return 0;
}
