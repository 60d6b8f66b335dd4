/* SPDX-License-Identifier: MIT */
/* stages.h - what the stage verbs' files share: filters (stage_filter.c),
 * projection (stage_select.c), head (stage_head.c), the result table's
 * stages (stage_table.c), and the verb table (verbs.c). */
#ifndef RF_STAGES_H
#define RF_STAGES_H

#include <stdint.h>
#include "engine.h"
#include "table.h"

struct select_config {
	int n;
	struct rf_fieldref field[RF_TABLE_MAX_COLS];
	int col[RF_TABLE_MAX_COLS];   /* after an aggregate: column indexes */
	char *alias[RF_TABLE_MAX_COLS]; /* select x as y: the column's name, or NULL */
	uint8_t named[RF_TABLE_MAX_COLS]; /* the alias was written (as y), not made */
	void *pre;                    /* eval config of expressions (select bytes * 2
				       * as b2): hidden fields an eval before makes */
	int nhidden;
};

/* head N and top N [by COLUMN] */
struct count_config {
	uint64_t n;
	char *col_name;      /* top: by which column (NULL: the first aggregate) */
	int col_column;
	int col;
};

/* stage_select.c: a result column (a field, or an aggregate's label such
 * as p99(bytes)), and select's arguments */
int rf__parse_column(struct rf_cursor *c, struct rf_fieldref *f, const char *what);
int rf__select_configure(struct rf_stage_spec *spec, struct rf_cursor *c);
/* A stage that does nothing per batch (select, a record sort): its state is
 * its config. */
int rf__stage_nothing_open(struct rf_stage *st, const void *config);
int rf__stage_nothing_process(struct rf_stage *st, struct rf_batch *b);
/* A select before an aggregate: its aliases become fields (stage_select.c). */
int rf__select_records(struct select_config *sc, struct rf_query_error *err);
void rf__select_free_config(void *config);

/* stage_head.c: a count of rows, and head's arguments */
int rf__parse_count_arg(struct rf_cursor *c, const char *verb, uint64_t *out);
int rf__head_configure(struct rf_stage_spec *spec, struct rf_cursor *c);
void rf__count_free_config(void *config);

/* stage_eval.c: b's value rows and typed values ready for the fields a
 * stage makes (eval, lookup); with no parse stage before, every field is
 * missing.  0 or -ENOMEM. */
int rf__batch_field_rows(struct rf_stage *st, struct rf_batch *b, const struct rf_schema *sc);

/* the verbs, for the verb table */
extern const struct rf_verb rf__verb_grep, rf__verb_regex, rf__verb_where, rf__verb_select, rf__verb_head,
	rf__verb_top, rf__verb_sort, rf__verb_eval, rf__verb_lookup;

#endif
