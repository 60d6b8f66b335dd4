/* SPDX-License-Identifier: MIT */
/* parallel.c - parallel mode: worker threads each run the whole row chain
 * (parse, filters, aggregate) on whole batches.
 *
 * The reading thread frames the input as in serial mode and hands each
 * batch to a free work item: the item takes a reference to the chunk the
 * batch's bytes are in (a pool buffer or an mmap window; no copy), and any
 * idle worker runs its own instances of the stages on it in place.  The
 * reference is dropped once the batch is written out, by whichever thread
 * wrote it, which gives the chunk back to its source.  Only a batch not in
 * a chunk (the framer's spill buffer, memory) is copied into the item.
 * When the pool runs dry the reader drains (rf__par_drain): it writes out
 * what is finished, or waits for a worker.  A SIGBUS in a worker or in the
 * output (a mapped file truncated) marks that batch lost, not the run
 * failed: rf__par_lost tells the runner which input it was.  Finished
 * batches are written by the reading thread strictly in sequence order
 * (a reorder ring as deep as the number of items), so line output is in
 * input order.  Each worker keeps its own aggregate state; the runner
 * merges them at the end.
 * The items are the backpressure: when all are busy, or what they hold
 * would pass the byte budget (--memory less the pool), the reader writes
 * out what is finished, then waits.  What an item holds is measured each
 * time it comes back: its copy if it made one, and what the stages
 * grew for it (records, values, arena, rejects); a batch about to go out
 * is counted at its size plus the stages' share measured so far.  Idle
 * items give their memory back when the budget needs it.  A batch of a live input
 * (a pipe) must not wait for the reader, which may sit in read() until the
 * writer writes again.  So while the reader is on a live input, or a live
 * batch is still to be written, the worker that finishes any batch writes
 * out whatever is next in order, and flushes if a live batch was among it
 * (a pipe's batch may be done before the file's last one ahead of it).
 * Whoever writes holds the output role, so one thread at a time writes,
 * always in sequence order.  The first error of a worker or of output
 * wakes the reader (cfg.wake): it may be waiting on a quiet pipe, and
 * would otherwise see the error only when the writer writes again.
 */
#include "config.h"
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

enum item_state { ITEM_FREE, ITEM_QUEUED, ITEM_DONE };

struct item {
	struct rf_batch b;
	char *buf;
	size_t cap;
	uint64_t seq;
	int err;
	int live;                  /* from a live input: out as soon as done */
	int bus;                   /* a SIGBUS cut it short: its input is incomplete */
	enum item_state state;
	size_t held;               /* bytes counted against the budget */
	struct item *next;         /* free list or work queue */
};

struct worker {
	struct rf_par *par;
	pthread_t thread;
	int started;
	struct rf_stage stage[RF_MAX_STAGES];
	int nopen;
};

struct rf_par {
	struct rf_workers_config cfg;
	pthread_mutex_t mu;
	pthread_cond_t work_cv;    /* a batch was queued, or shutdown */
	pthread_cond_t done_cv;    /* a batch finished */
	struct item *items;
	int nitems;
	struct item *free_list;
	struct item *queue_head, *queue_tail;
	struct item **ring;        /* finished items by seq % nitems */
	uint64_t next_seq, next_out;
	int live;                  /* rf__par_live: for the items submitted next */
	int live_pending;          /* live items submitted, not yet written */
	int writing;               /* a thread holds the output role */
	int shutdown;
	int err;                   /* first error of a worker or of output */
	size_t budget;             /* bytes the items may hold (0: no bound) */
	struct rf_item_budget ib;      /* what they hold, by item->held */
	struct worker *workers;
	int nworkers;
	uint64_t released;         /* chunk references given back */
	uint64_t copied;           /* bytes copied into items */
	int lost;                  /* a batch was lost to a SIGBUS: */
	const char *lost_input;    /* its input, not said yet */
	uint32_t lost_idx, said_idx;
};

static int flush_in_order(struct rf_par *p);

/* Record the first error, and wake the reader for it.  With the lock. */
static void set_err(struct rf_par *p, int r)
{
	if (r >= 0 || p->err)
		return;
	p->err = r;
	if (p->cfg.wake)
		p->cfg.wake(p->cfg.user, r);
}

/* An item is back: count what it holds now (with the lock held). */
static void measure(struct rf_par *p, struct item *it)
{
	rf__item_measure(&p->ib, &it->held, &it->b, it->cap);
}

/* Give back the memory of idle items, other than `keep`, until `need`
 * more bytes fit in the budget.  Called with the lock held, by the reader
 * (the only one that takes items off the free list). */
static void trim(struct rf_par *p, const struct item *keep, size_t need)
{
	for (struct item *it = p->free_list; it && p->ib.held + need > p->budget; it = it->next) {
		if (it == keep || !it->held)
			continue;
		free(it->buf);
		it->buf = NULL;
		it->cap = 0;
		rf__batch_free(&it->b);
		p->ib.held -= it->held;
		it->held = 0;
	}
}

static int run_stages(void *wp, void *bp)
{
	struct worker *w = wp;
	return rf__run_stages(w->stage, w->par->cfg.nstages, bp);
}

static int output(void *pp, void *bp)
{
	struct rf_par *p = pp;
	return p->cfg.output(p->cfg.user, bp);
}

/* A batch lost to a SIGBUS: remember its input for rf__par_lost, once.
 * With the lock. */
static void note_lost(struct rf_par *p, const struct item *it)
{
	if (p->lost || it->b.input_idx == p->said_idx)
		return;
	p->lost = 1;
	p->lost_input = it->b.input;
	p->lost_idx = it->b.input_idx;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rf_par *p = w->par;
	const struct rf_placement *pl = p->cfg.place;
	int i = (int)(w - p->workers);
	if (pl && pl->pinned && i < pl->nthreads) {
		rf__pin_thread(pl->cpu[i]);
		rf__prefer_node(pl->node[i]);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->queue_head && !p->shutdown)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (!p->queue_head)
			break;
		struct item *it = p->queue_head;
		p->queue_head = it->next;
		if (!p->queue_head)
			p->queue_tail = NULL;
		int failed = p->err != 0;
		pthread_mutex_unlock(&p->mu);

		int bus = 0, r = 0;
		if (!failed && it->b.ref) /* mapped bytes may vanish under us */
			r = rf__bus_guard(run_stages, w, &it->b, &bus);
		else if (!failed)
			r = rf__run_stages(w->stage, p->cfg.nstages, &it->b);
		int live = it->live;
		pthread_mutex_lock(&p->mu);
		it->bus = bus;
		it->err = r < 0 ? r : 0;
		if (!bus)
			set_err(p, r);
		it->state = ITEM_DONE;
		p->ring[it->seq % (uint64_t)p->nitems] = it;
		pthread_cond_broadcast(&p->done_cv);
		/* the reader may be waiting on a pipe: whatever is in order
		 * goes out now, this batch live or not */
		if (live || p->live || p->live_pending)
			flush_in_order(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Write out every finished batch that is next in order, unless another
 * thread is doing so (it will see these too); a live one's output is
 * flushed before the role is given up.  Called with the lock held; drops
 * it around the output itself. */
static int flush_in_order(struct rf_par *p)
{
	if (p->writing)
		return p->err;
	p->writing = 1;
	int unflushed = 0, freed = 0;
	for (;;) {
		struct item *it = p->ring[p->next_out % (uint64_t)p->nitems];
		if (!it || it->state != ITEM_DONE || it->seq != p->next_out) {
			if (!unflushed)
				break;
			/* nothing more is ready: out with the live lines, then
			 * look again (more may have finished meanwhile) */
			unflushed = 0;
			int r = 0;
			if (!p->err && p->cfg.flush) {
				pthread_mutex_unlock(&p->mu);
				r = p->cfg.flush(p->cfg.user);
				pthread_mutex_lock(&p->mu);
			}
			set_err(p, r);
			continue;
		}
		p->ring[p->next_out % (uint64_t)p->nitems] = NULL;
		p->next_out++;
		int r = 0, bus = it->bus;
		/* out with it, then give its chunk back (not under the lock:
		 * that may unmap a window) */
		struct rf_chunk_ref *ref = it->b.ref;
		int out = !p->err && !it->err && !bus;
		pthread_mutex_unlock(&p->mu);
		if (out && ref)
			r = rf__bus_guard(output, p, &it->b, &bus);
		else if (out)
			r = p->cfg.output(p->cfg.user, &it->b);
		it->b.ref = NULL;
		rf__chunk_unref(ref);
		pthread_mutex_lock(&p->mu);
		p->released += ref != NULL;
		if (bus)
			note_lost(p, it);
		else
			set_err(p, r);
		unflushed |= it->live;
		p->live_pending -= it->live;
		measure(p, it);
		it->state = ITEM_FREE;
		it->next = p->free_list;
		p->free_list = it;
		freed = 1;
	}
	p->writing = 0;
	if (freed) /* the reader may wait for a free item, or for the last */
		pthread_cond_broadcast(&p->done_cv);
	return p->err;
}

int rf__par_create(struct rf_par **out, const struct rf_workers_config *cfg)
{
	struct rf_par *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	p->nitems = cfg->items < 2 ? 2 : cfg->items;
	p->nworkers = cfg->workers < 1 ? 1 : cfg->workers;
	p->budget = cfg->item_budget;
	/* large blocks (copies, rows) from the kernel and back to it when
	 * freed: glibc's moving threshold would keep freed ones in the heap,
	 * resident and outside the budget */
	if (p->budget)
		mallopt(M_MMAP_THRESHOLD, 256 << 10);
	p->ib.per_mib = (size_t)4 << 20; /* until measured: four times the batch */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	p->items = calloc((size_t)p->nitems, sizeof *p->items);
	p->ring = calloc((size_t)p->nitems, sizeof *p->ring);
	p->workers = calloc((size_t)p->nworkers, sizeof *p->workers);
	if (!p->items || !p->ring || !p->workers) {
		if (cfg->why)
			snprintf(cfg->why, cfg->why_len, "cannot allocate the work queue of %d items: %s", p->nitems,
				 strerror(ENOMEM));
		rf__par_destroy(p);
		return -ENOMEM;
	}
	for (int i = p->nitems; i-- > 0;) {
		p->items[i].next = p->free_list;
		p->free_list = &p->items[i];
	}
	int r = 0;
	for (int i = 0; i < p->nworkers && r == 0; i++) {
		struct worker *w = &p->workers[i];
		w->par = p;
		for (int s = 0; s < cfg->nstages && r == 0; s++) {
			w->nopen = s + 1;
			r = rf__stage_open(&w->stage[s], cfg->q, s, cfg->k, cfg->env);
			if (r < 0 && cfg->why)
				snprintf(cfg->why, cfg->why_len, "cannot set up stage %d (%s) for worker thread %d of %d: %s",
					 s + 1, cfg->q->stage[s].verb->name, i + 1, p->nworkers, strerror(-r));
		}
	}
	for (int i = 0; i < p->nworkers && r == 0; i++) {
		struct worker *w = &p->workers[i];
		int e = pthread_create(&w->thread, NULL, worker_main, w);
		if (e) {
			r = -e;
			if (cfg->why)
				snprintf(cfg->why, cfg->why_len, "cannot start worker thread %d of %d: %s", i + 1,
					 p->nworkers, strerror(e));
		} else {
			w->started = 1;
		}
	}
	if (r < 0) {
		rf__par_destroy(p);
		return r;
	}
	*out = p;
	return 0;
}

int rf__par_submit(struct rf_par *p, const struct rf_batch *b)
{
	pthread_mutex_lock(&p->mu);
	int r;
	for (;;) {
		if ((r = flush_in_order(p)) < 0) {
			pthread_mutex_unlock(&p->mu);
			return r;
		}
		/* an item, and room in the budget for what this batch will
		 * hold; with nothing in flight it goes anyway */
		struct item *it = p->free_list;
		if (it && p->budget) {
			size_t est = rf__item_estimate(&p->ib, it->held, b->len);
			if (p->ib.held - it->held + est > p->budget)
				trim(p, it, est - it->held);
			if (p->ib.held - it->held + est <= p->budget || p->next_out == p->next_seq) {
				p->ib.held = p->ib.held - it->held + est;
				it->held = est;
				break;
			}
		} else if (it) {
			break;
		}
		pthread_cond_wait(&p->done_cv, &p->mu);
	}
	struct item *it = p->free_list;
	p->free_list = it->next;
	it->state = ITEM_QUEUED;
	it->seq = p->next_seq++;
	it->live = p->live;
	p->live_pending += it->live;
	pthread_mutex_unlock(&p->mu);

	if (b->ref) {
		/* the bytes stay where they are: the item keeps the chunk */
		rf__batch_share(&it->b, b);
		goto queue;
	}
	int copied = 0;
	size_t want = rf__item_copy_size(b->len);
	if (it->cap < want) {
		char *nb = realloc(it->buf, want);
		if (nb) {
			it->buf = nb;
			it->cap = want;
		}
	}
	if (it->cap >= want)
		copied = rf__batch_copy(&it->b, &it->buf, &it->cap, b) == 0;
	if (!copied) {
		/* its sequence number is taken: it must pass through the ring
		 * (as a failed batch), or the output would wait for it forever */
		pthread_mutex_lock(&p->mu);
		if (!p->err)
			p->err = -ENOMEM;
		it->err = -ENOMEM;
		it->state = ITEM_DONE;
		p->ring[it->seq % (uint64_t)p->nitems] = it;
		pthread_cond_broadcast(&p->done_cv);
		pthread_mutex_unlock(&p->mu);
		return -ENOMEM;
	}
	p->copied += b->len; /* only the reader submits */
queue:
	it->b.seq = it->seq;

	pthread_mutex_lock(&p->mu);
	it->next = NULL;
	if (p->queue_tail)
		p->queue_tail->next = it;
	else
		p->queue_head = it;
	p->queue_tail = it;
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void rf__par_live(struct rf_par *p, int live)
{
	pthread_mutex_lock(&p->mu);
	if (live && !p->live) {
		/* before the reader waits on a pipe, what the inputs before
		 * it gave is written and flushed: their last lines must not
		 * wait for the pipe's first.  (A worker may still be writing
		 * the last item while next_out has passed it.) */
		while ((flush_in_order(p) == 0 && p->next_out < p->next_seq) || p->writing)
			pthread_cond_wait(&p->done_cv, &p->mu);
		if (!p->err && p->cfg.flush) {
			pthread_mutex_unlock(&p->mu);
			int r = p->cfg.flush(p->cfg.user);
			pthread_mutex_lock(&p->mu);
			set_err(p, r);
		}
	}
	p->live = live;
	pthread_mutex_unlock(&p->mu);
}

int rf__par_finish(struct rf_par *p)
{
	pthread_mutex_lock(&p->mu);
	int r;
	while ((r = flush_in_order(p)) == 0 && p->next_out < p->next_seq)
		pthread_cond_wait(&p->done_cv, &p->mu);
	if (r < 0) {
		/* let the workers drain what is queued, without output */
		while (p->next_out < p->next_seq) {
			flush_in_order(p);
			if (p->next_out < p->next_seq)
				pthread_cond_wait(&p->done_cv, &p->mu);
		}
	}
	p->shutdown = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nworkers; i++)
		if (p->workers[i].started) {
			pthread_join(p->workers[i].thread, NULL);
			p->workers[i].started = 0;
		}
	return r;
}

int rf__par_drain(void *user)
{
	struct rf_par *p = user;
	pthread_mutex_lock(&p->mu);
	uint64_t seen = p->released;
	int r = 0;
	for (;;) {
		flush_in_order(p);
		if (p->released != seen) {
			r = 1;
			break;
		}
		if (p->next_out == p->next_seq && !p->writing)
			break; /* nothing in flight holds a chunk */
		pthread_cond_wait(&p->done_cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

int rf__par_lost(struct rf_par *p, const char **input, uint32_t *input_idx)
{
	pthread_mutex_lock(&p->mu);
	int lost = p->lost;
	if (lost) {
		*input = p->lost_input;
		*input_idx = p->said_idx = p->lost_idx;
		p->lost = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return lost;
}

uint64_t rf__par_copied(const struct rf_par *p)
{
	return p->copied;
}

int rf__par_workers(const struct rf_par *p)
{
	return p->nworkers;
}

struct rf_stage *rf__par_stages(struct rf_par *p, int worker)
{
	return p->workers[worker].stage;
}

void rf__par_destroy(struct rf_par *p)
{
	if (!p)
		return;
	if (p->workers) {
		pthread_mutex_lock(&p->mu);
		p->shutdown = 1;
		pthread_cond_broadcast(&p->work_cv);
		pthread_mutex_unlock(&p->mu);
		for (int i = 0; i < p->nworkers; i++) {
			struct worker *w = &p->workers[i];
			if (w->started)
				pthread_join(w->thread, NULL);
			for (int s = 0; s < w->nopen; s++)
				if (w->stage[s].verb->close)
					w->stage[s].verb->close(&w->stage[s]);
		}
	}
	for (int i = 0; p->items && i < p->nitems; i++) {
		rf__chunk_unref(p->items[i].b.ref); /* not written out: an error */
		p->items[i].b.ref = NULL;
		free(p->items[i].buf);
		rf__batch_free(&p->items[i].b);
	}
	free(p->items);
	free(p->ring);
	free(p->workers);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	free(p);
}
