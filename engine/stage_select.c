/* SPDX-License-Identifier: MIT */
/* stage_select.c - projection: select FIELD, ... before an aggregate (and
 * the result columns that select and the table stages name). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "stages.h"
#include "expr.h"

/* A result column: a field name, or an aggregate's label written as it
 * reads, p99(bytes) or quantile(ms, 0.9).  The spaces go: labels have none. */
int rf__parse_column(struct rf_cursor *c, struct rf_fieldref *f, const char *what)
{
	int r = rf__parse_fieldref(c, f, what);
	if (r < 0 || !rf__peek(c) || rf__peek(c)->type != RF_ARG_LPAREN)
		return r;
	/* as long as its parts: a label names a field of any length */
	size_t n = strlen(f->name) + 2;
	int end = c->i + 1;
	while (end < c->nargs && c->args[end].type != RF_ARG_RPAREN)
		n += c->args[end++].len + 1;
	if (end == c->nargs) {
		r = rf__fail(c->err, c->end_column, "expected ')' to close %s(", f->name);
		rf__fieldref_free(f); /* the caller keeps only what parsed */
		return r;
	}
	char *name = malloc(n + 1);
	if (!name) {
		rf__fieldref_free(f);
		return -ENOMEM;
	}
	size_t at = (size_t)sprintf(name, "%s(", f->name);
	for (c->i++; c->i < end; c->i++)
		at += (size_t)sprintf(name + at, "%s", c->args[c->i].type == RF_ARG_COMMA ? "," : c->args[c->i].text);
	c->i++; /* the ')' */
	strcpy(name + at, ")");
	free(f->name);
	f->name = name;
	return 0;
}

/* ---- select: fields before an aggregate, columns after one ------------ */

void rf__select_free_config(void *config)
{
	struct select_config *sc = config;
	if (!sc)
		return;
	for (int i = 0; i < sc->n; i++) {
		rf__fieldref_free(&sc->field[i]);
		free(sc->alias[i]);
	}
	if (sc->pre)
		rf__verb_eval.free_config(sc->pre);
	free(sc);
}

/* lower(path): a function's call, not a result column's label */
static int is_call(const struct rf_cursor *c, int at)
{
	return at + 1 < c->nargs && c->args[at].type == RF_ARG_WORD && c->args[at + 1].type == RF_ARG_LPAREN &&
	       (rf__find_function(c->args[at].text) != NULL || strcmp(c->args[at].text, "field") == 0);
}

/* select bytes * 2 as b2: a hidden field, named by the expression's text
 * (or the alias) */
static int select_expression(struct select_config *sc, struct rf_cursor *c, int from)
{
	struct rf_expr *e = NULL;
	int r = rf__expr_parse_item(c, NULL, &e);
	if (r < 0) {
		rf__expr_free(e);
		return r;
	}
	char hidden[32];
	snprintf(hidden, sizeof hidden, "\x01s%d", ++sc->nhidden);
	if (!sc->pre && !(sc->pre = rf__eval_config_new())) {
		rf__expr_free(e);
		return -ENOMEM;
	}
	int column = c->args[from].column;
	if ((r = rf__eval_config_add(sc->pre, hidden, column, e, 0)) < 0)
		return r == -E2BIG ? rf__fail(c->err, column, "too many expressions in one select") : r;
	struct rf_fieldref *f = &sc->field[sc->n];
	f->column = column;
	f->slot = -1;
	if (!(f->name = strdup(hidden)) || !(sc->alias[sc->n] = rf__args_text(c, from, c->i)))
		return -ENOMEM;
	return 0;
}

int rf__select_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct select_config *sc = calloc(1, sizeof *sc);
	if (!sc)
		return -ENOMEM;
	spec->config = sc;
	do {
		if (sc->n == RF_TABLE_MAX_COLS)
			return rf__fail(c->err, rf__cursor_column(c), "too many columns");
		int save = c->i;
		int r = rf__parse_column(c, &sc->field[sc->n], "a field name");
		const struct rf_arg *next = rf__peek(c);
		if (r == 0 && ((next && next->type != RF_ARG_COMMA &&
				!(next->type == RF_ARG_WORD && strcmp(next->text, "as") == 0)) ||
			       is_call(c, save))) {
			/* more than a field: an expression, made by an eval before */
			rf__fieldref_free(&sc->field[sc->n]);
			c->i = save;
			if ((r = select_expression(sc, c, save)) < 0)
				return r;
		} else if (r < 0 && c->i > save) {
			return r;
		} else if (r < 0) {
			c->i = save;
			c->err->hint[0] = '\0';
			if ((r = select_expression(sc, c, save)) < 0)
				return r;
		}
		sc->n++;
		if (rf__accept(c, RF_ARG_WORD, "as")) {
			const struct rf_arg *a = rf__take(c);
			if (!a || (a->type != RF_ARG_WORD && a->type != RF_ARG_STRING)) {
				rf__fail(c->err, a ? a->column : c->end_column, "expected a name after 'as'");
				snprintf(c->err->hint, sizeof c->err->hint, "for example: select path as url");
				return -EINVAL;
			}
			free(sc->alias[sc->n - 1]);
			if (!(sc->alias[sc->n - 1] = strdup(a->text)))
				return -ENOMEM;
			sc->named[sc->n - 1] = 1;
		}
	} while (rf__accept(c, RF_ARG_COMMA, NULL));
	return 0;
}

static int select_bind(struct rf_stage_spec *spec, struct rf_schema *schema, struct rf_query_error *err)
{
	struct select_config *sc = spec->config;
	for (int i = 0; i < sc->n; i++) {
		int r = rf__schema_bind(schema, &sc->field[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int rf__stage_nothing_open(struct rf_stage *st, const void *config)
{
	st->state = (void *)config;
	return 0;
}

int rf__stage_nothing_process(struct rf_stage *st, struct rf_batch *b)
{
	(void)st;
	(void)b;
	return 0;
}

const struct rf_verb rf__verb_select = {
	.name = "select",
	.kind = RF_STAGE_PROJECT,
	.usage = "select FIELD, ...",
	.configure = rf__select_configure,
	.bind = select_bind,
	.free_config = rf__select_free_config,
	.open = rf__stage_nothing_open,
	.process = rf__stage_nothing_process,
};

/* Before an aggregate, a name given with `as` is a field for the stages
 * after the select (select id as d | where d > 5): the eval before it makes
 * it.  An alias that is also another column's field would change what that
 * column reads: refused. */
int rf__select_records(struct select_config *sc, struct rf_query_error *err)
{
	for (int i = 0; i < sc->n; i++) {
		if (!sc->named[i])
			continue;
		for (int j = 0; j < sc->n; j++)
			if (j != i && strcmp(sc->alias[i], sc->field[j].name) == 0 &&
			    strcmp(sc->field[i].name, sc->field[j].name) != 0) {
				rf__fail(err, sc->field[j].column, "'%s' names another column here (select ... as %s)",
					 sc->alias[i], sc->alias[i]);
				snprintf(err->hint, sizeof err->hint, "give the column another name");
				return -EINVAL;
			}
	}
	for (int i = 0; i < sc->n; i++) {
		if (!sc->named[i])
			continue;
		int r;
		if (sc->field[i].name[0] == '\x01') {
			r = rf__eval_config_rename(sc->pre, sc->field[i].name, sc->alias[i]);
		} else {
			struct rf_expr *e = rf__expr_new_field(sc->field[i].name, sc->field[i].column);
			if (!e || (!sc->pre && !(sc->pre = rf__eval_config_new()))) {
				rf__expr_free(e);
				return -ENOMEM;
			}
			r = rf__eval_config_add(sc->pre, sc->alias[i], sc->field[i].column, e, 0);
		}
		if (r < 0)
			return r == -E2BIG ? rf__fail(err, sc->field[i].column, "too many columns named with as") : r;
		char *name = strdup(sc->alias[i]);
		if (!name)
			return -ENOMEM;
		free(sc->field[i].name);
		sc->field[i].name = name;
	}
	return 0;
}

int rf__select_names(const struct rf_stage_spec *spec, const char **names)
{
	const struct select_config *sc = spec->config;
	for (int i = 0; i < sc->n; i++)
		names[i] = sc->alias[i] ? sc->alias[i] : sc->field[i].name;
	return sc->n;
}

int rf__select_fields(const struct rf_stage_spec *spec, const struct rf_fieldref **fields)
{
	const struct select_config *sc = spec->config;
	*fields = sc->field;
	return sc->n;
}
