/* SPDX-License-Identifier: MIT */
/* executor.h - how batches are processed, behind one small ops struct:
 * inline (serial: the reading thread runs the stages, exec_inline.c), the
 * worker pool (parallel.c) or the stage pipeline (pipeline.c), both
 * adapted in exec_threads.c.  run.c holds one of them and its state, and
 * calls only through these. */
#ifndef RF_EXECUTOR_H
#define RF_EXECUTOR_H

#include "run.h"

struct rf_executor_ops {
	const char *name;
	/* Start it with the first nrow stages of the query (*state: its own).
	 * 0; a negative errno, said already; or 1: auto mode could not start
	 * the threads, the run goes on inline (the reason is in mode_reason). */
	int (*open)(struct run *run, int nrow, void **state);
	/* One batch, prepared by the reading thread: 0, RF_STOP (head had
	 * enough) or a negative errno. */
	int (*submit)(struct run *run, void *state, struct rf_batch *b);
	/* The next input is a stream (a pipe, a terminal): output each batch
	 * as soon as it is done. */
	void (*live)(struct run *run, void *state, int live);
	/* The buffer pool's hook when no buffer is free (NULL: none). */
	int (*drain)(void *state);
	/* Everything submitted done, its errors said; the workers' aggregates
	 * folded into run->stages. */
	void (*finish)(struct run *run, void *state);
	/* A batch of a mapped file lost to SIGBUS: 1 with its input. */
	int (*lost)(void *state, const char **input, uint32_t *input_idx);
	uint64_t (*copied)(const void *state); /* bytes copied on the way */
	/* Its stages' figures (and queues) into the report. */
	void (*stats)(struct run *run, void *state, struct rf_report *rep);
	void (*close)(struct run *run, void *state);
};

#pragma GCC visibility push(hidden)
extern const struct rf_executor_ops rf__exec_inline;   /* exec_inline.c */
extern const struct rf_executor_ops rf__exec_pool;     /* exec_threads.c */
extern const struct rf_executor_ops rf__exec_pipeline; /* exec_threads.c */
#pragma GCC visibility pop

/* One set of stages' figures added to the report's. */
static inline void rf__exec_add_stats(struct rf_report *rep, const struct rf_stage *st, int nstages)
{
	for (int i = 0; i < nstages; i++) {
		rep->stage[i].batches += st[i].stats.batches;
		rep->stage[i].records_in += st[i].stats.records_in;
		rep->stage[i].records_out += st[i].stats.records_out;
		rep->stage[i].bytes_in += st[i].stats.bytes_in;
		rep->stage[i].busy_ns += st[i].stats.busy_ns;
		rep->stage[i].name = st[i].verb->name;
	}
}

#endif
