/* SPDX-License-Identifier: MIT */
/* exec_inline.c - the inline executor (serial mode): the reading thread
 * runs the stages on each batch and writes its output itself. */
#include "config.h"
#include <errno.h>
#include "executor.h"

static int inline_open(struct run *run, int nrow, void **state)
{
	*state = NULL;
	/* batches through the stages in pieces of up to an eighth of this
	 * process's budget (see pool_budget) */
	run->piece = process_budget(run) / 8 / (16 << 10) * (16 << 10);
	if (run->piece < (64 << 10))
		run->piece = 64 << 10;
	for (int i = 0; i < nrow; i++) {
		run->nstages = i + 1;
		int r = rf__stage_open(&run->stage[i], run->q, i, run->k, &run->env);
		if (r < 0)
			return r;
	}
	return 0;
}

static int inline_submit(struct run *run, void *state, struct rf_batch *b)
{
	(void)state;
	int stop = rf__run_stages(run->stage, run->nstages, b);
	if (stop < 0)
		return stop;
	int r = output_batch(run, b);
	if (r == 0 && run->opt->every_ns)
		r = tick(run);
	if (r == 0 && stop == RF_STOP) {
		run->stopped = 1;
		return RF_STOP;
	}
	if (r == 0 && rf__cancelled())
		return -EINTR;
	return r;
}

static void inline_live(struct run *run, void *state, int live)
{
	(void)state;
	/* before waiting on a pipe, out with what the inputs before it gave */
	if (live && !run->flush_each)
		(void)rf__writer_flush(&run->out); /* an error stays in out.err */
}

static void inline_finish(struct run *run, void *state)
{
	(void)run;
	(void)state;
}

static int inline_lost(void *state, const char **input, uint32_t *input_idx)
{
	(void)state;
	(void)input;
	(void)input_idx;
	return 0; /* the reading thread's own SIGBUS jump says it */
}

static uint64_t inline_copied(const void *state)
{
	(void)state;
	return 0;
}

static void inline_stats(struct run *run, void *state, struct rf_report *rep)
{
	(void)state;
	rf__exec_add_stats(rep, run->stages ? run->stages : run->stage, run->nstages);
}

static void inline_close(struct run *run, void *state)
{
	(void)state;
	for (int i = 0; i < run->nstages; i++)
		if (run->stage[i].verb->close)
			run->stage[i].verb->close(&run->stage[i]);
}

const struct rf_executor_ops rf__exec_inline = {
	.name = "inline",
	.open = inline_open,
	.submit = inline_submit,
	.live = inline_live,
	.drain = NULL,
	.finish = inline_finish,
	.lost = inline_lost,
	.copied = inline_copied,
	.stats = inline_stats,
	.close = inline_close,
};
