/* SPDX-License-Identifier: MIT */
/* stage.c - the stage runtime every executor uses: open a stage, run a
 * batch through stages, and take a record a stage rejects.  Serial mode,
 * the parallel workers and the pipeline threads all call these; nothing
 * here calls back into the runner. */
#include "config.h"
#define RF_PROBE_SEMAPHORES 2 /* the probes have semaphores, defined here (probes.h) */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"
#include "clock.h"
#include "testhooks.h"
#include "timerange.h"

/* RINGFLOW_TEST_SLOW_STAGE=STAGE:MICROSECONDS makes one stage sleep that
 * long per batch, inside its busy time: the tracing tests need a stage that
 * is the bottleneck for certain.  Read once per stage open, never per batch. */
static unsigned test_slow_us(int stage)
{
	const struct rf_test_hooks *h = rf__test_hooks();
	return h->slow_stage == stage ? h->slow_us : 0;
}

int rf__stage_open(struct rf_stage *st, const struct rf_query *q, int s, const struct rf_kernels *k,
		   struct rf_stage_env *env)
{
	st->verb = q->stage[s].verb;
	st->id = s;
	st->k = k;
	st->env = env;
	st->slow_us = test_slow_us(s);
	const char *name = st->verb->name;
	RF_PROBE2(stage__name, s, name);
	return st->verb->open(st, q->stage[s].config);
}

/* The records of an all-selected batch, as --stats counts them. */
static uint64_t count_records(const struct rf_batch *b, const struct rf_kernels *k)
{
	uint64_t lines = rf__batch_all_records(b, k);
	/* a csv record may span lines */
	return (b->quote_sep || b->ml) && lines ? rf__batch_records(b, k) : lines;
}

/* RINGFLOW_TEST_SLOW_STAGE: a sleep per batch in the stage it names */
static void slow_down(const struct rf_stage *st)
{
	if (!st->slow_us)
		return;
	struct timespec ts = { .tv_sec = st->slow_us / 1000000, .tv_nsec = (long)(st->slow_us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --since/--until: before the query's first stage, whatever thread or
 * process runs it, the records outside the range leave the batch */
static int time_range(struct rf_stage *st, struct rf_batch *b)
{
	const struct rf_timerange *tr = st->env ? st->env->range : NULL;
	if (!tr || st->id != 0)
		return 0;
	uint64_t outside = 0, missing = 0;
	int r = rf__timerange_filter(tr, b, st, &outside, &missing);
	if (outside)
		atomic_fetch_add(&st->env->time_outside, outside);
	if (missing)
		atomic_fetch_add(&st->env->time_missing, missing);
	return r;
}

/* Multiline records are spans from the start: the stages' fast paths over
 * an all-selected batch (grep's jumps, counting newlines) know lines only. */
static int ml_spans(struct rf_batch *b, const struct rf_kernels *k)
{
	return b->ml && b->all ? rf__batch_expand(b, k) : 0;
}

int rf__run_stages(struct rf_stage *stage, int n, struct rf_batch *b)
{
	if (n > 0 && ml_spans(b, stage[0].k) < 0)
		return -ENOMEM;
	if (n > 0) {
		int r = time_range(&stage[0], b);
		if (r < 0)
			return r;
		if (!b->all && b->nsel == 0)
			return 0;
	}
	/* traced, and read before the tracer came (or counted nowhere):
	 * count it here, so that stage__begin never says 0 records in */
	if (RF_PROBE_ENABLED(stage__begin) && n > 0 && b->all && !b->nrecords && b->len)
		b->nrecords = count_records(b, stage[0].k);
	uint64_t all = b->nrecords;
	int stop = 0;
	for (int i = 0; i < n; i++) {
		struct rf_stage *st = &stage[i];
		uint64_t in = b->all ? all : b->nsel, seq = b->seq, len = b->len;
		int id = st->id;
		const char *name = st->verb->name;
		RF_PROBE5(stage__begin, id, seq, in, len, name);
		st->stats.records_in += in;
		st->stats.bytes_in += b->len;
		uint64_t t0 = now_ns();
		int r = st->verb->process(st, b);
		slow_down(st);
		/* an aggregate passes no record on, as --stats says */
		uint64_t busy = now_ns() - t0;
		uint64_t out = st->verb->kind == RF_STAGE_AGGREGATE ? 0 : b->all ? all : b->nsel;
		RF_PROBE4(stage__end, id, seq, out, busy);
		st->stats.busy_ns += busy;
		st->stats.batches++;
		if (r < 0)
			return r;
		if (r == RF_STOP)
			stop = 1;
		if (st->verb->kind != RF_STAGE_AGGREGATE)
			st->stats.records_out += b->all ? all : b->nsel;
		if (!b->all && b->nsel == 0)
			break;
	}
	return stop ? RF_STOP : 0;
}

int rf__run_stage_share(struct rf_stage *st, struct rf_batch *b)
{
	/* (never an aggregate shared by key: pipeline.c does not split the
	 * first stage when there is a range, so no two threads filter one batch) */
	if (ml_spans(b, st->k) < 0)
		return -ENOMEM;
	int r0 = time_range(st, b);
	if (r0 < 0)
		return r0;
	uint64_t t0 = now_ns();
	int r = st->verb->process(st, b);
	slow_down(st);
	st->stats.busy_ns += now_ns() - t0;
	return r;
}

int rf__reject(struct rf_stage *st, const struct rf_batch *b, uint32_t row)
{
	return rf__reject_why(st, b, row, RF_REJECT_PARSE);
}

int rf__reject_why(struct rf_stage *st, const struct rf_batch *b, uint32_t row, int why)
{
	struct rf_stage_env *env = st->env;
	if (env->lock)
		pthread_mutex_lock(env->lock);
	/* Workers may reject out of order: keep the earliest by input, line.
	 * The line number costs a newline count over the batch, so it is only
	 * worked out when this record can be the earliest: once per batch in
	 * order, not once per rejected record. */
	uint64_t line = 0;
	int earlier = env->rejected == 0 || b->input_idx < env->first_reject_idx ||
		      (b->input_idx == env->first_reject_idx && b->first_line < env->first_reject_line);
	if (earlier) {
		line = rf__batch_line_of(b, row, st->k);
		earlier = env->rejected == 0 || b->input_idx < env->first_reject_idx ||
			  line < env->first_reject_line;
	}
	env->rejected++;
	env->rejected_why[why]++;
	if (earlier) {
		env->first_reject_why = why;
		env->first_reject_line = line;
		env->first_reject_idx = b->input_idx;
		env->first_reject_input = b->input ? b->input : "-"; /* the run's own names: they outlive it */
	}
	int r = 0;
	const char *p = b->data + b->sel[row].off;
	size_t n = b->sel[row].len;
	if (env->rejects && env->defer_rejects) {
		/* batches finish out of order (parallel workers), and the stages
		 * of one batch reject in stage order (a parse, then a time key):
		 * keep the record with its batch, written out in input order */
		struct rf_batch *mb = (struct rf_batch *)b; /* only its rejects buffer */
		struct rf_span at = { b->sel[row].off, (uint32_t)n };
		size_t need = sizeof at + n + 1;
		if (mb->rejects_len + need > mb->rejects_cap) {
			size_t cap = mb->rejects_cap ? mb->rejects_cap : 4096;
			while (cap < mb->rejects_len + need)
				cap *= 2;
			char *nb = realloc(mb->rejects, cap);
			if (!nb)
				r = -ENOMEM;
			else
				mb->rejects = nb, mb->rejects_cap = cap;
		}
		if (r == 0) {
			char *d = mb->rejects + mb->rejects_len;
			memcpy(d, &at, sizeof at);
			memcpy(d + sizeof at, p, n);
			d[sizeof at + n] = '\n';
			mb->rejects_len += need;
		}
	} else if (env->rejects) {
		r = rf__writer_put(env->rejects, p, n);
		if (r == 0)
			r = rf__writer_put(env->rejects, "\n", 1);
	}
	if (env->lock)
		pthread_mutex_unlock(env->lock);
	if (r < 0)
		return r;
	return env->strict ? -EBADMSG : 0;
}
