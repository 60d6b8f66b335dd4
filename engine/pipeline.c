/* SPDX-License-Identifier: MIT */
/* pipeline.c - pipeline mode: one thread per stage, bounded rings between.
 *
 * The reading thread frames batches and hands each to a work item, as in
 * parallel mode: the item keeps a reference to the batch's chunk (no copy;
 * only a batch not in a chunk is copied), dropped once it is written out,
 * and a SIGBUS on mapped bytes marks the batch lost.  The item travels
 * stage thread to stage thread through single-producer single-consumer
 * rings of item pointers, and back to the reading thread, which writes it
 * out (items arrive in input order: a pipeline never reorders) and reuses
 * it.  When the pool runs dry the reader takes items back (rf__pipe_drain).  The rings are lock-free (one
 * atomic index per side); a thread that finds its ring empty or full
 * sleeps on a semaphore instead of spinning.  A stateless stage (a parse
 * but csv/tsv, a filter) has a second instance in the helper thread, which
 * it borrows while it has a backlog; an aggregate with keys has one too,
 * which takes half of the groups of the batch at hand while the helper is
 * free (see stage_main), its state merged into the stage's at the end.  A
 * head before the aggregate has exactly one instance.
 *
 * A batch of a live input (a pipe) is written out, and flushed, by the last
 * stage's thread: the reading thread may sit in read() until the writer
 * writes again, and the line must not wait for that.  Live and other
 * batches are never in flight together (the reader lets the line drain
 * when an input of the other kind starts), so the output stays in order
 * and one thread at a time writes.  The first error of a stage or of
 * output wakes the reader (cfg.wake): it may be waiting on a quiet pipe.
 *
 * As in parallel mode, the items in flight are bounded by a byte budget
 * as well as by their number: each is counted at what it held when it last
 * came back (its copy, sized to the batch, and what the stages grew for
 * it), a batch about to go in at its size plus the stages' share measured
 * so far.  Only the reading thread takes items out and back, so only it
 * keeps these counts.
 */
#include "config.h"
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"

struct ring {
	int id;                        /* for probes: ring i feeds stage i */
	struct item **slot;
	unsigned cap;
	_Atomic unsigned head, tail;   /* consumer reads at head, producer writes at tail */
	sem_t items, space;            /* counts: how many to take, how many free */
	uint64_t empty_waits, full_waits;
	uint64_t empty_ns, full_ns;
};

struct item {
	struct rf_batch b;
	char *buf;
	size_t cap;
	int err;
	int stop;
	int live;                      /* from a live input: out at the last stage */
	int written;                   /* the last stage wrote it out already */
	_Atomic int bus;               /* a SIGBUS cut it short (see parallel.c) */
	size_t held;                   /* bytes counted against the budget */
};

struct stage_thread {
	struct rf_pipe *p;
	int index;
	pthread_t thread;
	int started;
};

/* The helper: one more thread, with its own instance of each stateless
 * stage (parse, filters) and of an aggregate with keys, lent to whichever
 * of those stages asks first (see stage_main). */
struct helper {
	pthread_t thread;
	int started;
	struct rf_stage stage[RF_MAX_STAGES];
	int nopen;                     /* stages [0, nopen) tried to open */
	int opened[RF_MAX_STAGES];     /* stateless and open */
	_Atomic int busy;              /* lent to a stage thread */
	sem_t go, done;                /* a job is there / finished */
	struct item *job;
	int job_stage;
	int job_split;                 /* the job is the other share of an aggregate: */
	int job_r, job_bus;            /* its result, the item itself left alone */
	int split[RF_MAX_STAGES];      /* the aggregate, shared by key (see stage_main) */
	int quit;
	int sems;                      /* go and done made */
	uint64_t helped;               /* batches it ran */
};

struct rf_pipe {
	struct rf_workers_config cfg;
	int nstages;
	struct rf_stage stage[RF_MAX_STAGES];
	int nopen;
	struct ring ring[RF_MAX_STAGES + 1]; /* ring[i] feeds stage i; ring[n] returns to the reader */
	struct stage_thread th[RF_MAX_STAGES];
	struct item *items;
	int nitems, free_items;
	struct item **free_list;
	uint64_t in_flight;
	int live, live_in_flight;      /* rf__pipe_live; of the items in flight */
	size_t budget;                 /* bytes the items may hold (0: no bound) */
	struct rf_item_budget ib;      /* what they hold, by item->held */
	_Atomic int err;
	_Atomic int stop;              /* a head had enough */
	uint64_t copied;               /* bytes copied into items */
	int lost;                      /* a batch was lost to a SIGBUS: */
	const char *lost_input;        /* its input, not said yet */
	uint32_t lost_idx, said_idx;
	struct helper helper;
	int have_helper;
};

#include "clock.h" /* now_ns() */

static int run_stage(void *sp, void *bp)
{
	return rf__run_stages(sp, 1, bp);
}

static int output(void *pp, void *bp)
{
	struct rf_pipe *p = pp;
	return p->cfg.output(p->cfg.user, bp);
}

/* Out with an item's batch; a SIGBUS in it (mapped bytes) marks it lost. */
static int write_item(struct rf_pipe *p, struct item *it)
{
	if (!it->b.ref)
		return p->cfg.output(p->cfg.user, &it->b);
	int bus;
	int r = rf__bus_guard(output, p, &it->b, &bus);
	if (bus) {
		atomic_store(&it->bus, 1);
		r = 0;
	}
	return r;
}


static int ring_init(struct ring *r, unsigned cap)
{
	memset(r, 0, sizeof *r);
	r->slot = calloc(cap, sizeof *r->slot);
	if (!r->slot)
		return -ENOMEM;
	r->cap = cap;
	sem_init(&r->items, 0, 0);
	sem_init(&r->space, 0, cap);
	return 0;
}

static void ring_free(struct ring *r)
{
	if (!r->slot)
		return;
	free(r->slot);
	sem_destroy(&r->items);
	sem_destroy(&r->space);
}

/* Block only when needed: try first, and count and time the waits. */
static void sem_wait_counted(sem_t *s, uint64_t *waits, uint64_t *ns, int queue, int full)
{
	if (sem_trywait(s) == 0)
		return;
	RF_PROBE2(queue__wait__begin, queue, full);
	uint64_t t0 = now_ns();
	(*waits)++;
	while (sem_wait(s) < 0 && errno == EINTR)
		;
	uint64_t waited = now_ns() - t0;
	*ns += waited;
	RF_PROBE3(queue__wait__end, queue, waited, full);
}

static void ring_push(struct ring *r, struct item *it)
{
	sem_wait_counted(&r->space, &r->full_waits, &r->full_ns, r->id, 1);
	unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	r->slot[t % r->cap] = it;
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	sem_post(&r->items);
}

static struct item *ring_pop(struct ring *r)
{
	sem_wait_counted(&r->items, &r->empty_waits, &r->empty_ns, r->id, 0);
	unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct item *it = r->slot[h % r->cap];
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	sem_post(&r->space);
	return it;
}

/* An item is back: count what it holds now (with the lock held). */
static void measure(struct rf_pipe *p, struct item *it)
{
	rf__item_measure(&p->ib, &it->held, &it->b, it->cap);
}

/* Give back the memory of idle items below the top of the free list
 * until `need` more bytes fit in the budget. */
static void trim(struct rf_pipe *p, size_t need)
{
	for (int i = 0; i + 1 < p->free_items && p->ib.held + need > p->budget; i++) {
		struct item *it = p->free_list[i];
		if (!it->held)
			continue;
		free(it->buf);
		it->buf = NULL;
		it->cap = 0;
		rf__batch_free(&it->b);
		p->ib.held -= it->held;
		it->held = 0;
	}
}

/* Record the first error, and wake the reader for it. */
static void set_err(struct rf_pipe *p, int r)
{
	int none = 0;
	if (atomic_compare_exchange_strong(&p->err, &none, r) && p->cfg.wake)
		p->cfg.wake(p->cfg.user, r);
}

/* The last stage's thread: out with a live batch now, and flush unless
 * another batch is already waiting behind it (it will flush). */
static void write_live(struct rf_pipe *p, int index, struct item *it)
{
	int r = 0;
	if (!atomic_load(&p->err) && !it->err && !atomic_load(&it->bus) &&
	    (it->b.all || it->b.nsel || it->b.rejects_len))
		r = write_item(p, it);
	struct ring *in = &p->ring[index];
	int more = atomic_load_explicit(&in->tail, memory_order_acquire) !=
		   atomic_load_explicit(&in->head, memory_order_relaxed);
	if (r == 0 && !more && !atomic_load(&p->err) && p->cfg.flush)
		r = p->cfg.flush(p->cfg.user);
	if (r < 0)
		set_err(p, r);
	it->written = 1;
}

/* One stage instance on one item.  A batch emptied by an earlier stage,
 * or after an error, only travels on. */
static void process_item(struct rf_pipe *p, struct rf_stage *st, struct item *it)
{
	if (it->err || atomic_load(&it->bus) || !(it->b.all || it->b.nsel))
		return;
	int bus = 0, r;
	if (it->b.ref) /* mapped bytes may vanish under us */
		r = rf__bus_guard(run_stage, st, &it->b, &bus);
	else
		r = rf__run_stages(st, 1, &it->b);
	if (bus) {
		atomic_store(&it->bus, 1);
	} else if (r < 0) {
		it->err = r;
		set_err(p, r);
	} else if (r == RF_STOP) {
		it->stop = 1;
		atomic_store(&p->stop, 1);
	}
}

/* One instance's share of an aggregate on an item that another instance
 * works on at the same time: the result comes back, the item is not
 * touched (the caller merges the two results). */
static int run_share_quiet(void *sp, void *bp)
{
	return rf__run_stage_share(sp, bp);
}

static int run_share(struct rf_stage *st, struct item *it, int *bus, int quiet)
{
	*bus = 0;
	if (it->b.ref)
		return rf__bus_guard(quiet ? run_share_quiet : run_stage, st, &it->b, bus);
	return quiet ? rf__run_stage_share(st, &it->b) : rf__run_stages(st, 1, &it->b);
}

static void *helper_main(void *arg)
{
	struct rf_pipe *p = arg;
	struct helper *h = &p->helper;
	for (;;) {
		while (sem_wait(&h->go) < 0 && errno == EINTR)
			;
		if (h->quit)
			return NULL;
		if (h->job_split)
			h->job_r = run_share(&h->stage[h->job_stage], h->job, &h->job_bus, 1);
		else
			process_item(p, &h->stage[h->job_stage], h->job);
		h->helped++;
		sem_post(&h->done);
	}
}

/* The next item of ring r if one is there already: the stage is behind
 * its producer, so it is (for now) the bottleneck. */
static int backlog(const struct ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_acquire) !=
	       atomic_load_explicit(&r->head, memory_order_relaxed);
}

/* Out of stage index: written if live and the stage is the last, then on
 * down the line. */
static void pass_on(struct rf_pipe *p, int index, struct item *it)
{
	if (it->live && index == p->nstages - 1)
		write_live(p, index, it);
	ring_push(&p->ring[index + 1], it);
}

/* A stateless stage with a backlog borrows the helper for the item behind
 * the one it takes (an ordered parallel filter, two wide): both are
 * processed at once and passed on in their order.  So the slowest of the
 * parse and filter stages gets two threads while it is the slowest.  The
 * aggregate, when the helper is free, shares the item it has: its own
 * instance folds the records whose key hashes to one half, the helper's
 * the rest (lending it the next batch instead would build every group
 * twice, which measured slower than one thread). */
static void *stage_main(void *arg)
{
	struct stage_thread *t = arg;
	struct rf_pipe *p = t->p;
	struct rf_stage *st = &p->stage[t->index];
	struct helper *h = &p->helper;
	int helpable = p->have_helper && h->opened[t->index] && !h->split[t->index];
	int split = p->have_helper && h->opened[t->index] && h->split[t->index];
	const struct rf_placement *pl = p->cfg.place;
	if (pl && pl->pinned && t->index < pl->nthreads) {
		rf__pin_thread(pl->cpu[t->index]);
		rf__prefer_node(pl->node[t->index]);
	}
	for (;;) {
		struct ring *in = &p->ring[t->index];
		struct item *it = ring_pop(in);
		if (!it) { /* the end: pass it on and leave */
			ring_push(&p->ring[t->index + 1], NULL);
			return NULL;
		}
		int none = 0;
		if (split && !it->err && !atomic_load(&it->bus) && (it->b.all || it->b.nsel) &&
		    atomic_compare_exchange_strong(&h->busy, &none, 1)) {
			/* the aggregate with a helper free: each instance folds
			 * the records of its half of the groups, at once */
			int r = rf__batch_expand(&it->b, p->cfg.k), bus = 0;
			if (r == 0) {
				rf__agg_stage_part(st, 2, 0);
				h->job = it;
				h->job_stage = t->index;
				h->job_split = 1;
				sem_post(&h->go);
				r = run_share(st, it, &bus, 0);
				while (sem_wait(&h->done) < 0 && errno == EINTR)
					;
				h->job_split = 0;
				rf__agg_stage_part(st, 1, 0);
				if (r >= 0)
					r = h->job_r;
				bus |= h->job_bus;
			}
			atomic_store(&h->busy, 0);
			if (bus) {
				atomic_store(&it->bus, 1);
			} else if (r < 0) {
				it->err = r;
				set_err(p, r);
			}
			pass_on(p, t->index, it);
			continue;
		}
		none = 0;
		struct item *second = NULL;
		int lent = 0;
		if (helpable && backlog(in) && atomic_compare_exchange_strong(&h->busy, &none, 1)) {
			lent = 1;
			second = ring_pop(in);
			if (second) {
				h->job = second;
				h->job_stage = t->index;
				sem_post(&h->go);
			}
		}
		process_item(p, st, it);
		pass_on(p, t->index, it);
		if (lent && second) {
			while (sem_wait(&h->done) < 0 && errno == EINTR)
				;
			atomic_store(&h->busy, 0);
			pass_on(p, t->index, second);
		} else if (lent) {
			/* the end came right behind */
			atomic_store(&h->busy, 0);
			ring_push(&p->ring[t->index + 1], NULL);
			return NULL;
		}
	}
}

/* The helper's instances of the stateless stages, and its thread. */
static int helper_start(struct rf_pipe *p)
{
	struct helper *h = &p->helper;
	int any = 0, r = 0;
	for (int s = 0; s < p->nstages && r == 0; s++) {
		/* not csv and tsv: their parse keeps each input's header */
		const struct rf_stage_spec *spec = &p->cfg.q->stage[s];
		enum rf_stage_kind kind = spec->verb->kind;
		if ((kind != RF_STAGE_PARSE && kind != RF_STAGE_FILTER && kind != RF_STAGE_AGGREGATE) ||
		    (kind == RF_STAGE_PARSE && rf__parse_whole_inputs(spec)))
			continue;
		h->nopen = s + 1;
		r = rf__stage_open(&h->stage[s], p->cfg.q, s, p->cfg.k, p->cfg.env);
		h->opened[s] = r == 0;
		if (r == 0 && kind == RF_STAGE_AGGREGATE) {
			/* the aggregate is shared by key, and only with keys */
			h->split[s] = !(s == 0 && p->cfg.env->range) && rf__agg_stage_part(&h->stage[s], 2, 1) == 0;
			if (!h->split[s]) {
				h->stage[s].verb->close(&h->stage[s]);
				h->opened[s] = 0;
			}
		}
		any |= h->opened[s];
	}
	if (r < 0 || !any)
		return r;
	sem_init(&h->go, 0, 0);
	sem_init(&h->done, 0, 0);
	h->sems = 1;
	p->have_helper = 1;
	int e = pthread_create(&h->thread, NULL, helper_main, p);
	if (e) {
		p->have_helper = 0;
		return -e;
	}
	h->started = 1;
	return 0;
}

static void helper_stop(struct rf_pipe *p)
{
	struct helper *h = &p->helper;
	if (!h->started)
		return;
	h->quit = 1;
	sem_post(&h->go);
	pthread_join(h->thread, NULL);
	h->started = 0;
	/* its work counts as the stage's; its half of the aggregate's groups
	 * joins the stage's (its batches were the stage's batches too) */
	for (int s = 0; s < h->nopen; s++) {
		if (!h->opened[s])
			continue;
		struct rf_stage_stats *a = &p->stage[s].stats, *b = &h->stage[s].stats;
		if (h->split[s]) {
			if (!atomic_load(&p->err)) {
				int r = rf__agg_stage_merge(&p->stage[s], &h->stage[s]);
				if (r < 0)
					set_err(p, r);
			}
			a->busy_ns += b->busy_ns;
			memset(b, 0, sizeof *b);
			continue;
		}
		a->batches += b->batches;
		a->records_in += b->records_in;
		a->records_out += b->records_out;
		a->bytes_in += b->bytes_in;
		a->busy_ns += b->busy_ns;
		memset(b, 0, sizeof *b);
	}
}

int rf__pipe_create(struct rf_pipe **out, const struct rf_workers_config *cfg)
{
	struct rf_pipe *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	p->nstages = cfg->nstages;
	p->nitems = cfg->items < 2 ? 2 : cfg->items;
	p->budget = cfg->item_budget;
	/* large blocks (copies, rows) from the kernel and back to it when
	 * freed: glibc's moving threshold would keep freed ones in the heap,
	 * resident and outside the budget */
	if (p->budget)
		mallopt(M_MMAP_THRESHOLD, 256 << 10);
	p->ib.per_mib = (size_t)4 << 20; /* until measured: four times the batch */
	unsigned depth = (unsigned)(cfg->queue_depth > 0 ? cfg->queue_depth : 4);
	if (depth < (unsigned)p->nitems)
		depth = (unsigned)p->nitems; /* a ring can never be the reason an item is stuck */
	p->items = calloc((size_t)p->nitems, sizeof *p->items);
	p->free_list = calloc((size_t)p->nitems, sizeof *p->free_list);
	int r = p->items && p->free_list ? 0 : -ENOMEM;
	for (int i = 0; i <= p->nstages && r == 0; i++) {
		r = ring_init(&p->ring[i], depth + 1);
		p->ring[i].id = i;
	}
	for (int i = 0; r == 0 && i < p->nitems; i++)
		p->free_list[p->free_items++] = &p->items[i];
	if (r < 0 && cfg->why)
		snprintf(cfg->why, cfg->why_len, "cannot allocate the rings of %d items: %s", p->nitems, strerror(-r));
	for (int s = 0; s < p->nstages && r == 0; s++) {
		p->nopen = s + 1;
		r = rf__stage_open(&p->stage[s], cfg->q, s, cfg->k, cfg->env);
		if (r < 0 && cfg->why)
			snprintf(cfg->why, cfg->why_len, "cannot set up stage %d (%s): %s", s + 1,
				 cfg->q->stage[s].verb->name, strerror(-r));
	}
	if (r == 0 && (r = helper_start(p)) < 0 && cfg->why)
		snprintf(cfg->why, cfg->why_len, "cannot start the helper thread of the stateless stages: %s",
			 strerror(-r));
	for (int s = 0; s < p->nstages && r == 0; s++) {
		p->th[s] = (struct stage_thread){ .p = p, .index = s };
		int e = pthread_create(&p->th[s].thread, NULL, stage_main, &p->th[s]);
		if (e) {
			r = -e;
			if (cfg->why)
				snprintf(cfg->why, cfg->why_len, "cannot start the thread of stage %d (%s), %d of %d: %s",
					 s + 1, cfg->q->stage[s].verb->name, s + 1, p->nstages, strerror(e));
		} else {
			p->th[s].started = 1;
		}
	}
	if (r < 0) {
		rf__pipe_destroy(p);
		return r;
	}
	*out = p;
	return 0;
}

/* Take back what reached the end of the line: write it out, free it. */
static int collect(struct rf_pipe *p, int wait)
{
	while (p->in_flight && (wait || sem_trywait(&p->ring[p->nstages].items) == 0)) {
		struct item *it;
		if (wait) {
			it = ring_pop(&p->ring[p->nstages]);
		} else {
			/* sem_trywait above took the count: pop without waiting */
			struct ring *r = &p->ring[p->nstages];
			unsigned h = atomic_load_explicit(&r->head, memory_order_relaxed);
			it = r->slot[h % r->cap];
			atomic_store_explicit(&r->head, h + 1, memory_order_release);
			sem_post(&r->space);
		}
		p->in_flight--;
		int r = 0;
		if (!it->written && !atomic_load(&p->err) && !it->err && !atomic_load(&it->bus) &&
		    (it->b.all || it->b.nsel || it->b.rejects_len))
			r = write_item(p, it);
		if (r < 0) {
			int none = 0;
			atomic_compare_exchange_strong(&p->err, &none, r);
		}
		if (atomic_load(&it->bus) && !p->lost && it->b.input_idx != p->said_idx) {
			p->lost = 1;
			p->lost_input = it->b.input;
			p->lost_idx = it->b.input_idx;
		}
		/* written: its chunk goes back to the source */
		rf__chunk_unref(it->b.ref);
		it->b.ref = NULL;
		measure(p, it);
		p->free_list[p->free_items++] = it;
		if (wait && p->free_items)
			wait = 0; /* one is enough to go on */
	}
	return atomic_load(&p->err);
}

void rf__pipe_live(struct rf_pipe *p, int live)
{
	/* before the reader waits on a pipe, what the inputs before it gave
	 * is written and flushed: their last lines must not wait for the
	 * pipe's first */
	if (live && !p->live_in_flight) {
		while (p->in_flight)
			collect(p, 1);
		p->live_in_flight = 1;
		if (!atomic_load(&p->err) && p->cfg.flush) {
			int r = p->cfg.flush(p->cfg.user);
			if (r < 0)
				set_err(p, r);
		}
	}
	p->live = live;
}

int rf__pipe_submit(struct rf_pipe *p, const struct rf_batch *b)
{
	/* never live and other batches in flight together: they are
	 * written out by different threads */
	if (p->live != p->live_in_flight) {
		while (p->in_flight)
			collect(p, 1);
		p->live_in_flight = p->live;
	}
	int r = collect(p, 0);
	if (r == 0 && !p->free_items)
		r = collect(p, 1);
	/* room in the budget for what this batch will hold: wait for the
	 * line to give items back (with nothing in flight it goes anyway) */
	while (r == 0 && p->budget) {
		struct item *top = p->free_list[p->free_items - 1];
		size_t est = rf__item_estimate(&p->ib, top->held, b->len);
		if (p->ib.held - top->held + est > p->budget)
			trim(p, est - top->held);
		if (p->ib.held - top->held + est <= p->budget || !p->in_flight) {
			p->ib.held = p->ib.held - top->held + est;
			top->held = est;
			break;
		}
		r = collect(p, 1);
	}
	if (r < 0)
		return r;
	if (atomic_load(&p->stop))
		return RF_STOP;
	struct item *it = p->free_list[--p->free_items];
	if (b->ref) {
		/* the bytes stay where they are: the item keeps the chunk */
		rf__batch_share(&it->b, b);
		goto queue;
	}
	size_t want = rf__item_copy_size(b->len);
	if (it->cap < want) {
		char *nb = realloc(it->buf, want);
		if (nb) {
			it->buf = nb;
			it->cap = want;
		}
	}
	if (it->cap < want || rf__batch_copy(&it->b, &it->buf, &it->cap, b) < 0) {
		p->free_list[p->free_items++] = it;
		return -ENOMEM;
	}
	p->copied += b->len;
queue:
	it->err = 0;
	atomic_store(&it->bus, 0);
	it->stop = 0;
	it->live = p->live;
	it->written = 0;
	p->in_flight++;
	ring_push(&p->ring[0], it);
	return 0;
}

int rf__pipe_finish(struct rf_pipe *p)
{
	while (p->in_flight)
		collect(p, 1);
	/* the end marker walks the line, stopping each thread in turn */
	ring_push(&p->ring[0], NULL);
	(void)ring_pop(&p->ring[p->nstages]);
	for (int s = 0; s < p->nstages; s++)
		if (p->th[s].started) {
			pthread_join(p->th[s].thread, NULL);
			p->th[s].started = 0;
		}
	helper_stop(p); /* no stage thread can lend it work any more */
	return atomic_load(&p->err);
}

int rf__pipe_drain(void *user)
{
	struct rf_pipe *p = user;
	if (!p->in_flight)
		return 0;
	(void)collect(p, 1); /* an error stays in p->err: the next submit says it */
	return 1;
}

int rf__pipe_lost(struct rf_pipe *p, const char **input, uint32_t *input_idx)
{
	if (!p->lost)
		return 0;
	*input = p->lost_input;
	*input_idx = p->said_idx = p->lost_idx;
	p->lost = 0;
	return 1;
}

uint64_t rf__pipe_copied(const struct rf_pipe *p)
{
	return p->copied;
}

struct rf_stage *rf__pipe_stages(struct rf_pipe *p)
{
	return p->stage;
}

void rf__pipe_queue_stats(const struct rf_pipe *p, int ring, uint64_t *empty_waits, uint64_t *full_waits,
			  uint64_t *empty_ns, uint64_t *full_ns)
{
	*empty_waits = p->ring[ring].empty_waits;
	*full_waits = p->ring[ring].full_waits;
	*empty_ns = p->ring[ring].empty_ns;
	*full_ns = p->ring[ring].full_ns;
}

void rf__pipe_destroy(struct rf_pipe *p)
{
	if (!p)
		return;
	int running = 0;
	for (int s = 0; s < p->nstages; s++)
		running |= p->th[s].started;
	if (running && p->ring[0].slot) {
		ring_push(&p->ring[0], NULL);
		for (int s = 0; s < p->nstages; s++)
			if (p->th[s].started)
				pthread_join(p->th[s].thread, NULL);
	}
	helper_stop(p);
	for (int s = 0; s < p->nopen; s++)
		if (p->stage[s].verb->close)
			p->stage[s].verb->close(&p->stage[s]);
	for (int s = 0; s < p->helper.nopen; s++)
		if (p->helper.opened[s] && p->helper.stage[s].verb->close)
			p->helper.stage[s].verb->close(&p->helper.stage[s]);
	if (p->helper.sems) {
		sem_destroy(&p->helper.go);
		sem_destroy(&p->helper.done);
	}
	for (int i = 0; i <= p->nstages; i++)
		ring_free(&p->ring[i]);
	for (int i = 0; p->items && i < p->nitems; i++) {
		rf__chunk_unref(p->items[i].b.ref); /* not written out: an error */
		p->items[i].b.ref = NULL;
		free(p->items[i].buf);
		rf__batch_free(&p->items[i].b);
	}
	free(p->items);
	free(p->free_list);
	free(p);
}
