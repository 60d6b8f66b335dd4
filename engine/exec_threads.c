/* SPDX-License-Identifier: MIT */
/* exec_threads.c - the threaded executors as thin adapters: the worker
 * pool (rf__par_*, parallel.c) and the stage pipeline (rf__pipe_*,
 * pipeline.c).  Both share --memory with the pool (plan_items) and wake
 * the reading thread on the first error of a worker or of output. */
#include "config.h"
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "executor.h"

#define bus_jmp rf__bus_jmp /* the reading thread's (reader_seq.c) */

/* The first error of a worker, a stage or output (struct
 * rf_workers_config.wake): the reading thread may be waiting on a quiet
 * pipe, and is woken to end the run with it now. */
static void wake_reader(void *user, int err)
{
	struct run *run = user;
	int none = 0;
	__atomic_compare_exchange_n(&run->wake_err, &none, err, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	if (run->wake_fd >= 0) {
		uint64_t one = 1;
		ssize_t w = write(run->wake_fd, &one, sizeof one);
		(void)w;
	}
}

/* A batch of a mapped file lost to a SIGBUS in a worker or in the output
 * is said as serial mode says it - for the input being read, through the
 * same jump; for an earlier one, here. */
static void report_lost(struct run *run, void *state)
{
	const char *input = NULL;
	uint32_t idx = 0;
	if (!run->exec->lost(state, &input, &idx))
		return;
	if (run->truncated_said == (uint64_t)idx + 1)
		return; /* the reader said it already (its own SIGBUS, or a shrink) */
	if (idx == run->input_idx && bus_jmp)
		siglongjmp(*bus_jmp, 1);
	report_error(run, input, -EIO, "file was truncated while mapped (SIGBUS); its results are incomplete");
	run->failed_inputs++;
	run->truncated_said = (uint64_t)idx + 1;
}

/* Workers or stage threads, each with its own stages.  Auto mode falls
 * back to inline when the threads cannot start (1). */
static int threads_open(struct run *run, int nrow, void **state, int pool)
{
	const struct rf_options *opt = run->opt;
	*state = NULL;
	run->env.lock = &run->env_lock;
	run->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); /* -1: no wake, as before */
	struct rf_workers_config wc = {
		.workers = run->threads,
		.queue_depth = opt->queue_depth,
		.q = run->q,
		.nstages = nrow,
		.k = run->k,
		.env = &run->env,
		.output = output_rows,
		.flush = flush_output,
		.wake = wake_reader,
		.user = run,
		.place = &run->place,
	};
	char why[256] = "";
	wc.why = why;
	wc.why_len = sizeof why;
	/* the items and the pool share --memory: both bounded */
	int r = plan_items(run, &wc, why, sizeof why);
	if (r < 0 && opt->mode != RF_MODE_AUTO) {
		report_error(run, "--memory", r, "%s in %s mode (try a larger --memory, a smaller "
			     "--buffer-size or --window, or --mode=serial)", why, rf_mode_name(run->mode));
		return r;
	}
	struct rf_par *par = NULL;
	struct rf_pipe *pipe = NULL;
	if (r == 0 && pool)
		r = rf__par_create(&par, &wc);
	else if (r == 0)
		r = rf__pipe_create(&pipe, &wc);
	if (!why[0] && r < 0)
		snprintf(why, sizeof why, "cannot start: %s", strerror(-r));
	if (r < 0 && opt->mode == RF_MODE_AUTO) {
		/* auto never picks a mode that fails where serial would not
		 * (threads refused under a small ulimit -v) */
		snprintf(run->mode_reason, sizeof run->mode_reason, "%s mode: %s: serial",
			 rf_mode_name(run->mode), why);
		run->mode = RF_MODE_SERIAL;
		run->threads = 1;
		run->env.lock = NULL;
		return 1;
	}
	if (r < 0) {
		/* name what failed and what helps (small ulimit -v, few
		 * threads allowed): not a bare strerror */
		report_error(run, rf_mode_name(run->mode), r, "%s (try %s--mode=serial, or a smaller --memory)",
			     why, run->mode == RF_MODE_PARALLEL ? "--threads=1 or " : "");
		return r;
	}
	run->nstages = nrow;
	if (pool) {
		*state = par;
		run->stages = rf__par_stages(par, 0);
	} else {
		*state = pipe;
		run->stages = rf__pipe_stages(pipe);
	}
	return 0;
}

/* What a finish said: the run's first error, and --strict's message. */
static void finished(struct run *run, void *state, int r)
{
	report_lost(run, state);
	if (r < 0 && !run->fatal && !run->out.err)
		run->fatal = r;
	if (r == -EBADMSG)
		report_strict(run);
}

/* ---- the worker pool (parallel mode) ---------------------------------- */

static int pool_open(struct run *run, int nrow, void **state)
{
	return threads_open(run, nrow, state, 1);
}

static int pool_submit(struct run *run, void *state, struct rf_batch *b)
{
	int r = rf__cancelled() ? -EINTR : rf__par_submit(state, b);
	report_lost(run, state);
	return r;
}

static void pool_live(struct run *run, void *state, int live)
{
	(void)run;
	rf__par_live(state, live);
}

/* Everything handed over: wait for it, then fold the workers' aggregates
 * into worker 0's. */
static void pool_finish(struct run *run, void *state)
{
	int r = rf__par_finish(state);
	finished(run, state, r);
	for (int w = 1; run->agg >= 0 && !run->fatal && w < rf__par_workers(state); w++) {
		struct rf_stage *src = &rf__par_stages(state, w)[run->agg];
		if ((r = rf__agg_stage_merge(&run->stages[run->agg], src)) < 0)
			run->fatal = r;
	}
}

static int pool_lost(void *state, const char **input, uint32_t *input_idx)
{
	return rf__par_lost(state, input, input_idx);
}

static uint64_t pool_copied(const void *state)
{
	return rf__par_copied(state);
}

/* each worker's time and counts, summed */
static void pool_stats(struct run *run, void *state, struct rf_report *rep)
{
	for (int w = 0; w < rf__par_workers(state); w++)
		rf__exec_add_stats(rep, rf__par_stages(state, w), run->nstages);
}

static void pool_close(struct run *run, void *state)
{
	(void)run;
	rf__par_destroy(state); /* closes the workers' stages */
}

const struct rf_executor_ops rf__exec_pool = {
	.name = "pool",
	.open = pool_open,
	.submit = pool_submit,
	.live = pool_live,
	.drain = rf__par_drain,
	.finish = pool_finish,
	.lost = pool_lost,
	.copied = pool_copied,
	.stats = pool_stats,
	.close = pool_close,
};

/* ---- the stage pipeline (pipeline mode) ------------------------------- */

static int pipe_open(struct run *run, int nrow, void **state)
{
	return threads_open(run, nrow, state, 0);
}

static int pipe_submit(struct run *run, void *state, struct rf_batch *b)
{
	int r = rf__cancelled() ? -EINTR : rf__pipe_submit(state, b);
	report_lost(run, state);
	if (r == RF_STOP)
		run->stopped = 1;
	return r;
}

static void pipe_live(struct run *run, void *state, int live)
{
	(void)run;
	rf__pipe_live(state, live);
}

static void pipe_finish(struct run *run, void *state)
{
	finished(run, state, rf__pipe_finish(state));
}

static int pipe_lost(void *state, const char **input, uint32_t *input_idx)
{
	return rf__pipe_lost(state, input, input_idx);
}

static uint64_t pipe_copied(const void *state)
{
	return rf__pipe_copied(state);
}

static void pipe_stats(struct run *run, void *state, struct rf_report *rep)
{
	for (int i = 0; i < run->nstages; i++) {
		uint64_t ew, fw, ens, fns, ew2, fw2, ens2, fns2;
		rf__pipe_queue_stats(state, i, &ew, &fw, &ens, &fns);
		rf__pipe_queue_stats(state, i + 1, &ew2, &fw2, &ens2, &fns2);
		rep->stage[i].wait_ns = ens;       /* waiting for input */
		rep->stage[i].queue_empty = ew;
		rep->stage[i].queue_full = fw2;    /* its output ring was full */
	}
	rf__exec_add_stats(rep, run->stages, run->nstages);
}

static void pipe_close(struct run *run, void *state)
{
	(void)run;
	rf__pipe_destroy(state);
}

const struct rf_executor_ops rf__exec_pipeline = {
	.name = "pipeline",
	.open = pipe_open,
	.submit = pipe_submit,
	.live = pipe_live,
	.drain = rf__pipe_drain,
	.finish = pipe_finish,
	.lost = pipe_lost,
	.copied = pipe_copied,
	.stats = pipe_stats,
	.close = pipe_close,
};
