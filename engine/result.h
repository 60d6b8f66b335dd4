/* SPDX-License-Identifier: MIT */
/* result.h - the consumers of a run's rows and records other than the
 * text writer (rf_run_inputs, rf_run_result): the result handle, the row
 * callback and the record sink, fed by report.c and output.c with the same
 * rows and batches the text formats get. */
#ifndef RF_RESULT_H
#define RF_RESULT_H

#include "ringflow.h"
#include "table.h"

struct rf_batch;
struct rf_kernels;
struct rf_schema;
struct result_strings;

/* The rows of one --every snapshot: from row `first` to the next one's. */
struct rf_window {
	int64_t start_ns, end_ns;        /* CLOCK_REALTIME */
	size_t first;
};

/* A result handle, or (a row callback's) a view of a table the run owns. */
struct rf_result {
	const struct rf_table *t;        /* NULL: no rows and no columns */
	struct rf_table *own;            /* a handle's rows, copied */
	struct result_strings *strings;  /* and their text */
	int final;
	struct rf_window *win;           /* --every: in row order; NULL: none */
	size_t nwin, win_cap;
};

/* What rf_run_inputs was given besides rf_run's arguments. */
struct rf_consumers {
	struct rf_result *keep;          /* rf_run_result: rows copied here */
	rf_row_fn on_row;
	rf_records_fn on_records;
	void *user;
	int windows;                     /* --every: each aggregate table is a snapshot */
	int own_windows;                 /* --interval: and holds only its window's records */
	int64_t since_ns;                /* where the next snapshot's window starts */
	const struct rf_schema *schema;  /* the fields a batch has */
	struct rf_record *rec;           /* the record sink's arrays, reused */
	size_t rec_cap;
	struct rf_field_span *fld;
	size_t fld_cap;
};

#pragma GCC visibility push(hidden)
static inline int rf__wants_rows(const struct rf_consumers *c)
{
	return c && (c->keep || c->on_row);
}

/* A handle with the columns `names` (n == 0: none) and no rows; NULL when
 * out of memory. */
struct rf_result *rf__result_new(int n, const char *const *names);
/* Rows of t to the handle (copied) or to the row callback.  `restart`: t
 * is a whole table that replaces the rows so far (an aggregate's result,
 * or a snapshot of it), else rows to add (select's).  0 or -errno. */
int rf__rows_deliver(struct rf_consumers *c, const struct rf_table *t, int restart, int final);
/* The selected records of b (made one span each first) to the sink. */
int rf__records_deliver(struct rf_consumers *c, struct rf_batch *b, const struct rf_kernels *k);
void rf__consumers_free(struct rf_consumers *c);
/* The wall clock, for the windows of snapshots. */
int64_t rf__realtime_ns(void);
#pragma GCC visibility pop

#endif
