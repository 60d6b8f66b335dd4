/* SPDX-License-Identifier: MIT */
/* stage_table.c - the stages on the result table, after an aggregate:
 * top, sort, and head and select there. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "table.h"
#include "stages.h"

static int column_index(const struct rf_colset *cols, const char *name, int column, struct rf_query_error *err)
{
	for (int i = 0; i < cols->n; i++)
		if (strcmp(cols->name[i], name) == 0)
			return i;
	rf__fail(err, column, "the result has no column '%s'", name);
	const char *names[65];
	for (int i = 0; i < cols->n; i++)
		names[i] = cols->name[i];
	names[cols->n] = NULL;
	rf__suggest(err, name, names);
	if (!err->hint[0])
		rf__hint_list(err, "columns:", names, cols->n);
	return -EINVAL;
}

static int select_columns(struct rf_stage_spec *spec, struct rf_colset *cols, struct rf_query_error *err)
{
	struct select_config *sc = spec->config;
	char *names[64];
	if (sc->pre) {
		rf__fail(err, spec->column, "select after an aggregate takes its columns, not expressions");
		snprintf(err->hint, sizeof err->hint,
			 "compute in the aggregate: count(where status >= 500) / count * 100 as error_pct");
		return -EINVAL;
	}
	for (int i = 0; i < sc->n; i++) {
		int idx = column_index(cols, sc->field[i].name, sc->field[i].column, err);
		if (idx < 0)
			return idx;
		sc->col[i] = idx;
	}
	for (int i = 0; i < sc->n; i++)
		names[i] = strdup(sc->alias[i] ? sc->alias[i] : cols->name[sc->col[i]]);
	for (int i = 0; i < cols->n; i++)
		free(cols->name[i]);
	for (int i = 0; i < sc->n; i++)
		cols->name[i] = names[i];
	cols->n = sc->n;
	cols->nkeys = 0;
	return 0;
}

static int select_apply(const void *config, struct rf_table *t)
{
	const struct select_config *sc = config;
	int r = rf__table_project(t, sc->col, sc->n);
	for (int i = 0; r == 0 && i < sc->n; i++)
		if (sc->alias[i]) {
			char *s = strdup(sc->alias[i]);
			if (!s)
				return -ENOMEM;
			free(t->col[i]);
			t->col[i] = s;
		}
	return r;
}

const struct rf_verb rf__verb_select_table = {
	.name = "select",
	.kind = RF_STAGE_TABLE,
	.usage = "select COLUMN, ...",
	.configure = rf__select_configure,
	.free_config = rf__select_free_config,
	.columns = select_columns,
	.apply = select_apply,
};

static int head_columns(struct rf_stage_spec *spec, struct rf_colset *cols, struct rf_query_error *err)
{
	(void)spec;
	(void)cols;
	(void)err;
	return 0;
}

static int head_apply(const void *config, struct rf_table *t)
{
	rf__table_truncate(t, ((const struct count_config *)config)->n);
	return 0;
}

const struct rf_verb rf__verb_head_table = {
	.name = "head",
	.kind = RF_STAGE_TABLE,
	.usage = "head N",
	.configure = rf__head_configure,
	.free_config = rf__count_free_config,
	.columns = head_columns,
	.apply = head_apply,
};

/* ---- top N [by COLUMN] ------------------------------------------------ */

static int top_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct count_config *cc = calloc(1, sizeof *cc);
	if (!cc)
		return -ENOMEM;
	spec->config = cc;
	int r = rf__parse_count_arg(c, "top", &cc->n);
	if (r < 0)
		return r;
	if (rf__accept(c, RF_ARG_WORD, "by")) {
		struct rf_fieldref f;
		if ((r = rf__parse_column(c, &f, "a column")) < 0)
			return r;
		cc->col_column = f.column;
		cc->col_name = f.name;
	}
	return 0;
}

static int top_columns(struct rf_stage_spec *spec, struct rf_colset *cols, struct rf_query_error *err)
{
	struct count_config *cc = spec->config;
	if (cc->col_name) {
		cc->col = column_index(cols, cc->col_name, cc->col_column, err);
		return cc->col < 0 ? cc->col : 0;
	}
	cc->col = cols->nkeys < cols->n ? cols->nkeys : 0; /* the first aggregate */
	return 0;
}

static int top_apply(const void *config, struct rf_table *t)
{
	const struct count_config *cc = config;
	int desc = 1;
	return rf__table_top(t, &cc->col, &desc, 1, cc->n); /* a heap: no sort of every row */
}

const struct rf_verb rf__verb_top = {
	.name = "top",
	.kind = RF_STAGE_TABLE,
	.usage = "top N [by COLUMN]",
	.configure = top_configure,
	.free_config = rf__count_free_config,
	.columns = top_columns,
	.apply = top_apply,
};

/* ---- sort COLUMN [desc], ... ------------------------------------------ */

struct sort_config {
	int n;
	char *name[16];
	int column[16];
	int col[16];
	int desc[16];
};

static void sort_free_config(void *config)
{
	struct sort_config *sc = config;
	if (!sc)
		return;
	for (int i = 0; i < sc->n; i++)
		free(sc->name[i]);
	free(sc);
}

static int sort_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct sort_config *sc = calloc(1, sizeof *sc);
	if (!sc)
		return -ENOMEM;
	spec->config = sc;
	do {
		if (sc->n == 16)
			return rf__fail(c->err, rf__cursor_column(c), "sort takes at most 16 columns");
		struct rf_fieldref f;
		int r = rf__parse_column(c, &f, "a column to sort by");
		if (r < 0)
			return r;
		sc->name[sc->n] = f.name;
		sc->column[sc->n] = f.column;
		if (rf__accept(c, RF_ARG_WORD, "desc"))
			sc->desc[sc->n] = 1;
		else
			rf__accept(c, RF_ARG_WORD, "asc");
		sc->n++;
	} while (rf__accept(c, RF_ARG_COMMA, NULL));
	return 0;
}

static int sort_columns(struct rf_stage_spec *spec, struct rf_colset *cols, struct rf_query_error *err)
{
	struct sort_config *sc = spec->config;
	for (int i = 0; i < sc->n; i++)
		if ((sc->col[i] = column_index(cols, sc->name[i], sc->column[i], err)) < 0)
			return -EINVAL;
	return 0;
}

static int sort_apply(const void *config, struct rf_table *t)
{
	const struct sort_config *sc = config;
	return rf__table_sort(t, sc->col, sc->desc, sc->n);
}

const struct rf_verb rf__verb_sort = {
	.name = "sort",
	.kind = RF_STAGE_TABLE,
	.usage = "sort COLUMN [desc], ...",
	.configure = sort_configure,
	.free_config = sort_free_config,
	.columns = sort_columns,
	.apply = sort_apply,
};
