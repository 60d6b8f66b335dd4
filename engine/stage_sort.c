/* SPDX-License-Identifier: MIT */
/* stage_sort.c - sort and top on records, before any aggregate.
 *
 * `sort F [desc], ...` and `top N by F [desc|asc]` before an aggregate order
 * the records themselves (whole lines, or the select'ed columns).  In the
 * stages they do nothing: the stages after them (where, grep, select) keep
 * or drop records whatever their order, so they run per batch as usual,
 * in every mode, and the finished records come to the sorter in input
 * order (output_rows, which every executor calls in sequence).  The
 * sorter keeps them with their key values and a sequence number (ties keep
 * input order), and prints them at the end of the run:
 *   - top N, and sort followed by head N (N up to RSORT_HEAP_MAX): a heap
 *     of the N first records in the order, nothing else kept;
 *   - otherwise the records in memory up to --memory, then sorted runs
 *     written to one temporary file (unlinked at once) and a k-way merge.
 * Keys compare as the table sort compares a value column
 * (rf__cell_cmp_value): missing first, then numbers by exact value, then
 * text by bytes; desc turns that around (missing last), ties stay in input
 * order either way.  After an aggregate, sort and top are the table
 * stages of stage_table.c: rf__rsort_retarget switches them. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run.h"
#include "stages.h"
#include "table.h"
#include "rsort.h"



static void rsort_free_config(void *config)
{
	struct rsort_config *sc = config;
	if (!sc)
		return;
	for (int i = 0; i < sc->n; i++)
		rf__fieldref_free(&sc->key[i]);
	free(sc);
}

/* A key, and asc or desc after it. */
static int parse_key(struct rf_cursor *c, struct rsort_config *sc)
{
	if (sc->n == RSORT_MAX_KEYS)
		return rf__fail(c->err, rf__cursor_column(c), "sort takes at most %d fields", RSORT_MAX_KEYS);
	int r = rf__parse_column(c, &sc->key[sc->n], "a field to sort by");
	if (r < 0)
		return r;
	if (rf__accept(c, RF_ARG_WORD, "desc"))
		sc->desc[sc->n] = 1;
	else
		rf__accept(c, RF_ARG_WORD, "asc");
	sc->n++;
	return 0;
}

static int sort_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct rsort_config *sc = calloc(1, sizeof *sc);
	if (!sc)
		return -ENOMEM;
	spec->config = sc;
	int r;
	do
		if ((r = parse_key(c, sc)) < 0)
			return r;
	while (rf__accept(c, RF_ARG_COMMA, NULL));
	return 0;
}

/* top N by F [desc|asc]: the largest by default, as top after an
 * aggregate; `by` may be left out here only for the table's top. */
static int top_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct rsort_config *sc = calloc(1, sizeof *sc);
	if (!sc)
		return -ENOMEM;
	spec->config = sc;
	sc->top = 1;
	int r = rf__parse_count_arg(c, "top", &sc->limit);
	if (r < 0 || !rf__accept(c, RF_ARG_WORD, "by"))
		return r;
	if ((r = rf__parse_column(c, &sc->key[0], "a field to rank by")) < 0)
		return r;
	sc->n = 1;
	sc->desc[0] = !rf__accept(c, RF_ARG_WORD, "asc");
	if (sc->desc[0])
		rf__accept(c, RF_ARG_WORD, "desc");
	return 0;
}

static int rsort_bind(struct rf_stage_spec *spec, struct rf_schema *schema, struct rf_query_error *err)
{
	struct rsort_config *sc = spec->config;
	if (sc->top && sc->n == 0) {
		rf__fail(err, spec->column, "'top' works on the result of an aggregate, or on records as top N by FIELD");
		snprintf(err->hint, sizeof err->hint, "for example: top 10 by bytes, or count by ip | top 10");
		return -EINVAL;
	}
	for (int i = 0; i < sc->n; i++) {
		int r = rf__schema_bind(schema, &sc->key[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

const struct rf_verb rf__verb_sort_records = {
	.name = "sort",
	.kind = RF_STAGE_FILTER, /* passes every record on: the order is made at the end */
	.usage = "sort FIELD [desc], ...",
	.configure = sort_configure,
	.bind = rsort_bind,
	.free_config = rsort_free_config,
	.open = rf__stage_nothing_open,
	.process = rf__stage_nothing_process,
};

const struct rf_verb rf__verb_top_records = {
	.name = "top",
	.kind = RF_STAGE_FILTER,
	.usage = "top N by FIELD [desc|asc]",
	.configure = top_configure,
	.bind = rsort_bind,
	.free_config = rsort_free_config,
	.open = rf__stage_nothing_open,
	.process = rf__stage_nothing_process,
};

/* head after a record sort: the sorter keeps that many, the run reads on */
const struct rf_verb rf__verb_head_sorted = {
	.name = "head",
	.kind = RF_STAGE_FILTER,
	.usage = "head N",
	.configure = rf__head_configure,
	.free_config = rf__count_free_config,
	.open = rf__stage_nothing_open,
	.process = rf__stage_nothing_process,
};

extern const struct rf_verb rf__verb_sort, rf__verb_top; /* stage_table.c */

static int is_rsort(const struct rf_verb *v)
{
	return v == &rf__verb_sort_records || v == &rf__verb_top_records;
}

/* The stage's arguments read again by another verb's parser. */
static int reconfigure(struct rf_stage_spec *sp, const struct rf_verb *v, struct rf_query_error *err)
{
	if (sp->config && sp->verb->free_config)
		sp->verb->free_config(sp->config);
	sp->config = NULL;
	sp->verb = v;
	struct rf_cursor cur = { sp->args, sp->nargs, 0, sp->end_column, err };
	int r = v->configure(sp, &cur);
	if (r == 0 && cur.i < cur.nargs)
		r = rf__fail(err, cur.args[cur.i].column, "%s: unexpected '%s'", v->name, cur.args[cur.i].text);
	if (r < 0 && !err->hint[0] && v->usage)
		snprintf(err->hint, sizeof err->hint, "usage: %s", v->usage);
	return r;
}

int rf__rsort_retarget(rf_query *q, struct rf_query_error *err)
{
	int seen_agg = 0, rsort = -1, head = -1;
	for (int i = 0; i < q->nstages; i++) {
		struct rf_stage_spec *sp = &q->stage[i];
		const char *name = sp->verb->name;
		if (seen_agg && is_rsort(sp->verb)) {
			int r = reconfigure(sp, sp->verb == &rf__verb_top_records ? &rf__verb_top : &rf__verb_sort, err);
			if (r < 0)
				return r;
		} else if (is_rsort(sp->verb)) {
			if (rsort >= 0) {
				rf__fail(err, sp->column, "only one sort or top of records per query");
				snprintf(err->hint, sizeof err->hint, "sort by several fields at once: sort a, b desc");
				return -EINVAL;
			}
			rsort = i;
		} else if (rsort >= 0 && !seen_agg && strcmp(name, "head") == 0) {
			sp->verb = &rf__verb_head_sorted;
			head = i;
		} else if (rsort >= 0 && sp->verb->kind == RF_STAGE_AGGREGATE) {
			rf__fail(err, q->stage[rsort].column, "'%s' of records before an aggregate: the aggregate "
				 "does not keep their order", q->stage[rsort].verb->name);
			snprintf(err->hint, sizeof err->hint, "sort the result after it: count by ip | sort count desc");
			return -EINVAL;
		} else if (head >= 0 && sp->verb->kind != RF_STAGE_PROJECT && strcmp(name, "eval") != 0) {
			/* a filter after sort | head picks from the first N, not all
			 * (select and eval change no record's place: they may) */
			rf__fail(err, sp->column, "'%s' after '%s ... | head': it would pick from the first rows only",
				 name, q->stage[rsort].verb->name);
			snprintf(err->hint, sizeof err->hint, "put it before the %s", q->stage[rsort].verb->name);
			return -EINVAL;
		}
		seen_agg |= sp->verb->kind == RF_STAGE_AGGREGATE;
	}
	return 0;
}

int rf__rsort_stage(const rf_query *q)
{
	for (int i = 0; i < q->nstages && (q->agg_stage < 0 || i < q->agg_stage); i++)
		if (is_rsort(q->stage[i].verb))
			return i;
	return -1;
}
