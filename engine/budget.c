/* SPDX-License-Identifier: MIT */
/* budget.c - how --memory is shared: the buffer pool, the batches in
 * flight of the parallel and pipeline executors, the pieces a large batch
 * goes through the stages in. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "run.h"
#include "executor.h"

/* What this process may hold of --memory: all of it, or a worker's share
 * in multiprocess mode (each has a pool of its own). */
size_t process_budget(const struct run *run)
{
	size_t budget = run->opt->memory;
	if (run->mode == RF_MODE_MULTIPROCESS && run->threads > 1)
		budget /= (size_t)run->threads;
	return budget;
}

/* What this process's pool may take of it.  In parallel and pipeline mode
 * the batches in flight have the rest (see plan_items); in the other modes
 * what the stages grow for the batch at hand (in pieces of up to an eighth
 * of the budget) has a quarter.  Two buffers at least. */
static size_t pool_budget(const struct run *run)
{
	if (run->pool_share && (run->mode == RF_MODE_PARALLEL || run->mode == RF_MODE_PIPELINE))
		return run->pool_share;
	size_t budget = process_budget(run);
	if (!run->piece)
		return budget;
	size_t bs = run->opt->buffer_size ? run->opt->buffer_size : POOL_HEADROOM;
	size_t two = 2 * rf__pool_stride(bs, POOL_HEADROOM), pool = budget - budget / 4;
	return pool >= two ? pool : two < budget ? two : budget;
}

int ensure_pool(struct run *run, int direct)
{
	if (run->have_pool)
		return 0;
	size_t budget = pool_budget(run);
	size_t bs = run->opt->buffer_size; /* a size asked for is used as it is */
	if (bs == 0) {
		/* 2 MiB: one huge page per O_DIRECT read */
		bs = direct ? 2 * MiB : 1 * MiB;
		/* two of them within the budget */
		size_t fit = rf__pool_largest(budget, POOL_HEADROOM);
		if (bs > fit && fit > 0)
			bs = fit;
	}
	int r = rf__pool_init(&run->pool, budget, bs, POOL_HEADROOM);
	if (r == -ENOSPC) {
		size_t whole = process_budget(run);
		report_error(run, "--memory", r, "%zu KiB%s do not hold two buffers of %zu KiB and their %zu KiB headroom",
			     whole >> 10, whole < run->opt->memory ? " (the share of one worker)" : "", bs >> 10,
			     POOL_HEADROOM >> 10);
		run->fatal = r;
		return r;
	}
	if (r < 0) {
		/* no buffers, no reading: the run ends here, said once */
		report_error(run, "--memory", r, "cannot allocate the buffer pool (%zu MiB of --memory, %zu MiB of it "
			     "in buffers of %zu KiB): %s (try a smaller --memory or --buffer-size, or --io=mmap)",
			     process_budget(run) >> 20, budget >> 20, bs >> 10, strerror(-r));
		run->fatal = r;
		return r;
	}
	run->have_pool = 1;
	/* the work items hold buffers: when none is free, the reader writes
	 * out what is finished, or waits for a worker */
	if (run->exec->drain) {
		run->pool.drain = run->exec->drain;
		run->pool.drain_user = run->exec_state;
	}
	/* before the first touch: the pool lives where its reader runs */
	if (run->place.interleave)
		rf__bind_memory(run->pool.slab, run->pool.slab_len, -1);
	else if (run->place.node[0] >= 0)
		rf__bind_memory(run->pool.slab, run->pool.slab_len, run->place.node[0]);
	return 0;
}

/* Parallel and pipeline mode: --memory holds the pool and the batches in
 * flight, each a copy of a batch plus what the stages grow for it.  The
 * pool gets a quarter, at least its two buffers; the items the rest, in
 * bytes (counted as they go, see parallel.c) and in number: at least what
 * keeps the threads busy, two per worker or one per stage thread, twice
 * over (room for what the stages grow).  Larger batches go in as pieces;
 * an mmap window not asked for is made to fit.  0, or -ENOSPC with the
 * figures in why. */
int plan_items(struct run *run, struct rf_workers_config *wc, char *why, size_t why_len)
{
	size_t mem = run->opt->memory, granule = 16 << 10;
	/* the default buffer is 1 MiB, or 2 MiB for O_DIRECT: plan for 2,
	 * made smaller as ensure_pool does when two do not fit */
	size_t bs = run->opt->buffer_size;
	if (!bs) {
		size_t fit = rf__pool_largest(mem / 4, POOL_HEADROOM);
		bs = fit > 0 && fit < 2 * MiB ? fit : 2 * MiB;
	}
	size_t stride = rf__pool_stride(bs, POOL_HEADROOM);
	int min = run->mode == RF_MODE_PARALLEL ? 2 * run->threads : run->threads;
	size_t pool = mem / 4 > 2 * stride ? mem / 4 : 2 * stride;
	size_t items = pool < mem ? mem - pool : 0;
	size_t piece = items / (2 * (size_t)min) / granule * granule;
	if (piece < granule) {
		snprintf(why, why_len, "%zu KiB do not hold the pool's %zu KiB and %d batches in flight of "
			 "%zu KiB and as much again for the stages (%s)", mem >> 10, pool >> 10, min, granule >> 10,
			 run->mode == RF_MODE_PARALLEL ? "two per worker thread" : "one per stage thread");
		return -ENOSPC;
	}
	size_t window = run->opt->window_size;
	if (!window)
		window = piece < 4 * MiB ? piece : 4 * MiB;
	size_t chunk = stride > window ? stride : window;
	if (chunk > piece)
		chunk = piece;
	size_t n = items / chunk;
	wc->items = n > 256 ? 256 : (int)n;
	wc->item_budget = items;
	run->pool_share = pool;
	run->window = window;
	run->piece = piece;
	return 0;
}
