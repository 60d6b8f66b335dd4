/* SPDX-License-Identifier: MIT */
/* stage_eval.c - `eval NAME = EXPR, ...`: new fields for the later stages.
 *
 * Each field gets a slot of its own (an eval after the parse may reuse a
 * parsed field's name: from then on the name means the new value).  The
 * values are kept typed (rf_batch.tv), which later expressions read as
 * they are; the text, for a stage that reads text (select, a group key,
 * an aggregate, sort), is written only when such a stage reads it. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"
#include "stages.h"

#define EVAL_MAX 32

struct eval_config {
	int n;
	char *name[EVAL_MAX];
	int column[EVAL_MAX];
	struct rf_expr *e[EVAL_MAX];
	int slot[EVAL_MAX];
	uint8_t counting[EVAL_MAX];
	const struct rf_schema *sc;
};

struct eval_state {
	const struct eval_config *cfg;
	struct rf_expr_ctx *x[EVAL_MAX];
	struct rf_tv *out;
	size_t out_cap;
	uint8_t *keep;       /* records kept (not rejected by a regex's limits) */
	size_t keep_cap;
	int dropped;
};

static void eval_free_config(void *config)
{
	struct eval_config *cfg = config;
	if (!cfg)
		return;
	for (int i = 0; i < cfg->n; i++) {
		free(cfg->name[i]);
		rf__expr_free(cfg->e[i]);
	}
	free(cfg);
}

static int eval_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct eval_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return -ENOMEM;
	spec->config = cfg;
	for (;;) {
		const struct rf_arg *a = rf__peek(c);
		if (!a || (a->type != RF_ARG_WORD && a->type != RF_ARG_STRING)) {
			rf__fail(c->err, a ? a->column : c->end_column, "eval needs NAME = EXPRESSION");
			snprintf(c->err->hint, sizeof c->err->hint, "for example: eval kb = bytes / 1024");
			return -EINVAL;
		}
		if (cfg->n == EVAL_MAX)
			return rf__fail(c->err, a->column, "too many fields in one eval (at most %d)", EVAL_MAX);
		if (strcmp(a->text, "line") == 0 || strcmp(a->text, "$0") == 0) {
			/* every stage reads these names as the whole record */
			rf__fail(c->err, a->column, "eval cannot set '%s': it names the whole record", a->text);
			snprintf(c->err->hint, sizeof c->err->hint, "give the new field another name");
			return -EINVAL;
		}
		c->i++;
		int i = cfg->n++;
		if (!(cfg->name[i] = strdup(a->text)))
			return -ENOMEM;
		cfg->column[i] = a->column;
		if (!rf__accept(c, RF_ARG_OP, "=") && !rf__accept(c, RF_ARG_OP, "==")) {
			rf__fail(c->err, rf__cursor_column(c), "expected '=' after the name '%s'", a->text);
			snprintf(c->err->hint, sizeof c->err->hint, "for example: eval kb = bytes / 1024");
			return -EINVAL;
		}
		if (!rf__peek(c))
			return rf__fail(c->err, c->end_column, "expected an expression after '='");
		int r = rf__expr_parse_item(c, NULL, &cfg->e[i]);
		if (r < 0)
			return r;
		const struct rf_arg *next = rf__peek(c);
		if (!next)
			return 0;
		if (next->type != RF_ARG_COMMA)
			return rf__fail(c->err, next->column, "unexpected '%s' after the expression", next->text);
		c->i++;
	}
}

void *rf__eval_config_new(void)
{
	return calloc(1, sizeof(struct eval_config));
}

int rf__eval_config_add(void *config, const char *name, int column, struct rf_expr *e, int counting)
{
	struct eval_config *cfg = config;
	if (cfg->n == EVAL_MAX) {
		rf__expr_free(e);
		return -E2BIG;
	}
	int i = cfg->n;
	if (!(cfg->name[i] = strdup(name))) {
		rf__expr_free(e);
		return -ENOMEM;
	}
	cfg->e[i] = e;
	cfg->column[i] = column;
	cfg->counting[i] = (uint8_t)!!counting;
	cfg->n++;
	return 0;
}

int rf__eval_config_rename(void *config, const char *from, const char *to)
{
	struct eval_config *cfg = config;
	for (int i = 0; cfg && i < cfg->n; i++)
		if (strcmp(cfg->name[i], from) == 0) {
			char *s = strdup(to);
			if (!s)
				return -ENOMEM;
			free(cfg->name[i]);
			cfg->name[i] = s;
			return 0;
		}
	return -ENOENT;
}

int rf__eval_has_regex(const void *config)
{
	const struct eval_config *cfg = config;
	for (int i = 0; cfg && i < cfg->n; i++)
		if (rf__expr_has_regex(cfg->e[i]))
			return 1;
	return 0;
}

static int eval_bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	struct eval_config *cfg = spec->config;
	cfg->sc = sc;
	for (int i = 0; i < cfg->n; i++) {
		int r = rf__expr_bind(cfg->e[i], sc, err);
		if (r < 0)
			return r;
		if ((r = rf__schema_add_eval(sc, cfg->name[i], cfg->column[i], err)) < 0)
			return r;
		cfg->slot[i] = r;
	}
	return 0;
}

static void eval_close(struct rf_stage *st)
{
	struct eval_state *es = st->state;
	if (es) {
		for (int i = 0; i < EVAL_MAX; i++)
			rf__expr_ctx_free(es->x[i]);
		free(es->out);
		free(es->keep);
	}
	free(es);
	st->state = NULL;
}

static int eval_open(struct rf_stage *st, const void *config)
{
	struct eval_state *es = calloc(1, sizeof *es);
	if (!es)
		return -ENOMEM;
	st->state = es;
	es->cfg = config;
	for (int i = 0; i < es->cfg->n; i++)
		if (!(es->x[i] = rf__expr_ctx_new(es->cfg->e[i])))
			return -ENOMEM;
		else
			rf__expr_ctx_set_tz(es->x[i], st->env->tz);
	return 0;
}

static char *arena_alloc(void *user, size_t n)
{
	return rf__batch_alloc(user, n ? n : 1);
}

int rf__batch_field_rows(struct rf_stage *st, struct rf_batch *b, const struct rf_schema *sc)
{
	int r = rf__batch_expand(b, st->k);
	if (r < 0)
		return r;
	uint32_t n = b->nsel;
	if (!b->has_vals || b->nslots < (uint32_t)sc->nslots) {
		/* no parse stage before: every other field is missing */
		if (rf__batch_reserve_vals(b, (uint32_t)sc->nslots) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < (size_t)n * (size_t)sc->nslots; i++)
			b->vals[i] = RF_MISSING;
		b->ntv = 0;
	}
	if (b->ntv != (uint32_t)sc->neval && rf__batch_reserve_tv(b, (uint32_t)sc->neval) < 0)
		return -ENOMEM;
	return 0;
}

static int eval_process(struct rf_stage *st, struct rf_batch *b)
{
	struct eval_state *es = st->state;
	const struct eval_config *cfg = es->cfg;
	const struct rf_schema *sc = cfg->sc;
	int r = rf__batch_field_rows(st, b, sc);
	if (r < 0)
		return r;
	uint32_t n = b->nsel;
	if (n > es->out_cap) {
		struct rf_tv *o = realloc(es->out, n * sizeof *o);
		if (!o)
			return -ENOMEM;
		es->out = o;
		es->out_cap = n;
	}
	struct rf_fn_env env = { arena_alloc, b, 0, st->env->tz };
	if (n > es->keep_cap) {
		uint8_t *kp = realloc(es->keep, n);
		if (!kp)
			return -ENOMEM;
		es->keep = kp;
		es->keep_cap = n;
	}
	memset(es->keep, 1, n);
	es->dropped = 0;
	for (int i = 0; i < cfg->n; i++) {
		int slot = cfg->slot[i], idx = sc->tv_idx[slot];
		/* one typed field: its values go straight into the batch */
		struct rf_tv *out = b->ntv == 1 && !cfg->counting[i] ? b->tv : es->out;
		if ((r = rf__expr_values(es->x[i], cfg->e[i], b, out)) < 0)
			return r;
		const uint8_t *undec = rf__expr_undecided(es->x[i]);
		for (uint32_t k = 0; undec && k < n; k++)
			if (undec[k] && es->keep[k]) {
				/* a ~ in it hit the regex limits: no value, the
				 * record is rejected (counted, reported), as where does */
				es->keep[k] = 0;
				es->dropped = 1;
				if ((r = rf__reject_why(st, b, k, RF_REJECT_REGEX)) < 0)
					return r;
			}
		if (cfg->counting[i]) {
			/* 1 where true (not unknown, not null), else 0 */
			for (uint32_t k = 0; k < n; k++) {
				int yes = rf__tv_truthy(&es->out[k]);
				b->tv[(size_t)k * b->ntv + (size_t)idx] = rf_tv_int(yes);
				b->vals[(size_t)k * b->nslots + (size_t)slot] = (struct rf_value){ yes ? "1" : "0", 1 };
			}
			continue;
		}
		if (out != b->tv)
			for (uint32_t k = 0; k < n; k++)
				b->tv[(size_t)k * b->ntv + (size_t)idx] = out[k];
		if (!sc->text_needed[slot])
			continue;
		for (uint32_t k = 0; k < n; k++) {
			struct rf_value *v = &b->vals[(size_t)k * b->nslots + (size_t)slot];
			const struct rf_tv *t = &out[k];
			struct rf_tv s;
			if (t->type == RF_TV_NULL) {
				*v = RF_MISSING;
				continue;
			}
			if (t->type == RF_TV_STR)
				s = *t;
			else if (rf__tv_to_text(t, &env, &s) < 0)
				return -ENOMEM;
			*v = (struct rf_value){ s.u.s, (int32_t)(s.len > INT32_MAX ? INT32_MAX : s.len) };
		}
	}
	if (es->dropped)
		rf__batch_filter(b, es->keep);
	return 0;
}

const struct rf_verb rf__verb_eval = {
	.name = "eval",
	.kind = RF_STAGE_FILTER,
	.usage = "eval NAME = EXPR[, NAME = EXPR ...]",
	.configure = eval_configure,
	.bind = eval_bind,
	.free_config = eval_free_config,
	.open = eval_open,
	.process = eval_process,
	.close = eval_close,
};
