/* SPDX-License-Identifier: MIT */
/* source_uring.c - io_uring reads into the pool's buffers.
 *
 * Every free pool buffer gets a read in flight at the next file offset;
 * completions may arrive in any order, but chunks are handed out strictly in
 * file order (a queue of buffer indexes, oldest first).  Buffers are
 * registered with the ring when the memlock limit allows (read_fixed skips
 * the per-I/O page pinning); otherwise plain reads are used.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "source.h"
#include "../engine/probes.h"
#include "fault.h"

struct rf_uring {
	struct io_uring ring;
	struct rf_pool *pool;
	int registered;
	int sqpoll;
	int broken;        /* requests could not be handed to the kernel */
};

/* Reads in flight for the first chunk of a file; the depth doubles with
 * every chunk handed out, so a full scan is at full depth after a few. */
#define RAMP_START 2

enum slot_state { SLOT_FREE, SLOT_INFLIGHT, SLOT_DONE, SLOT_OUT };

struct slot {
	struct rf_buf *buf;
	uint64_t off;   /* file offset of buf->data[0] */
	size_t want;    /* bytes asked for */
	size_t got;     /* bytes arrived */
	int res;        /* negative errno if the read failed */
	enum slot_state state;
};

struct uring_source {
	struct rf_source base;
	struct rf_uring *u;
	int fd;
	int is_stream;
	int direct;
	int saved_flags;     /* fd flags before O_DIRECT, restored at close */
	size_t align;        /* O_DIRECT offset/length alignment */
	uint64_t next_off;
	uint64_t limit;      /* end of the file as seen at open */
	int stop;            /* EOF or error seen: submit nothing more */
	struct slot *slots;  /* indexed by pool buffer index */
	int *order;          /* buffer indexes in file order */
	size_t head, queued, cap;
	size_t depth;        /* reads allowed in flight now: ramps up to cap */
	size_t inflight;
};

int rf__uring_create(struct rf_uring **out, struct rf_pool *pool, int sqpoll)
{
	/* RINGFLOW_NO_URING=1 behaves as if the kernel refused io_uring, so the
	 * fallback path can be exercised on a machine where it works. */
	if (rf__test_hooks()->no_uring)
		return -ENOSYS;
	rf__fault_init();
	if (rf__faults && rf__fault_setup() < 0)
		return -ENOMEM;

	struct rf_uring *u = calloc(1, sizeof *u);
	if (!u)
		return -ENOMEM;
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	if (sqpoll) {
		p.flags |= IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 50;
	}
	unsigned entries = 8;
	while (entries < pool->count * 2 && entries < 4096)
		entries <<= 1;
	/* -ENOSYS (old kernel, seccomp), -EPERM (io_uring_disabled sysctl) and
	 * -ENOMEM all mean: use another backend. */
	int r = io_uring_queue_init_params(entries, &u->ring, &p);
	if (r < 0) {
		free(u);
		return r;
	}
	u->pool = pool;
	u->sqpoll = sqpoll;

	struct iovec *iov = calloc(pool->count, sizeof *iov);
	if (iov) {
		for (size_t i = 0; i < pool->count; i++) {
			iov[i].iov_base = pool->bufs[i].data;
			iov[i].iov_len = pool->bufs[i].cap;
		}
		/* ENOMEM here usually means RLIMIT_MEMLOCK is too small to pin
		 * the pool: unregistered reads still work. */
		u->registered = io_uring_register_buffers(&u->ring, iov, (unsigned)pool->count) == 0;
		free(iov);
	}
	*out = u;
	return 0;
}

void rf__uring_destroy(struct rf_uring *u)
{
	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	free(u);
}

void rf__uring_info(const struct rf_uring *u, struct rf_uring_info *info)
{
	info->registered = u->registered;
	info->broken = u->broken;
}

/* Hand the queued requests to the kernel.  A failure is the run's: the
 * requests never left, and waiting for their completions would hang. */
static int submit(struct uring_source *us)
{
	int r = rf__faults ? rf__fault_submit() : 0;
	if (r == 0)
		r = io_uring_submit(&us->u->ring);
	if (r < 0) {
		us->base.failed = "io_uring submission";
		return r;
	}
	return 0;
}

static struct io_uring_sqe *get_sqe(struct uring_source *us)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&us->u->ring);
	if (!sqe && submit(us) == 0)
		sqe = io_uring_get_sqe(&us->u->ring);
	return sqe;
}

static int submit_slot(struct uring_source *us, int idx)
{
	struct slot *s = &us->slots[idx];
	struct io_uring_sqe *sqe = get_sqe(us);
	if (!sqe)
		return -EBUSY;
	char *dst = s->buf->data + s->got;
	unsigned len = (unsigned)(s->want - s->got);
	/* -1 reads at the current position: the only offset a pipe has */
	uint64_t off = us->is_stream ? (uint64_t)-1 : s->off + s->got;
	if (us->u->registered)
		io_uring_prep_read_fixed(sqe, us->fd, dst, len, off, s->buf->index);
	else
		io_uring_prep_read(sqe, us->fd, dst, len, off);
	io_uring_sqe_set_data64(sqe, (uint64_t)idx);
	int fd = us->fd;
	RF_PROBE3(io__submit, fd, len, off);
	s->state = SLOT_INFLIGHT;
	us->inflight++;
	return 0;
}

/* Start reads into free buffers, as many as the current depth allows, up to
 * the end of the file. */
static int fill(struct uring_source *us)
{
	struct rf_pool *pool = us->u->pool;
	int added = 0;
	while (!us->stop && us->queued < us->depth) {
		if (us->is_stream ? us->queued > 0 : us->next_off >= us->limit)
			break;
		/* with nothing queued, wait for a buffer the work items hold:
		 * none at all would read as the end of the input */
		struct rf_buf *b = us->queued ? rf__pool_get(pool) : rf__pool_get_wait(pool);
		if (!b)
			break;
		struct slot *s = &us->slots[b->index];
		s->buf = b;
		s->off = us->next_off;
		s->got = 0;
		s->res = 0;
		s->want = b->cap;
		if (!us->is_stream) {
			uint64_t left = us->limit - s->off;
			if (left < s->want)
				s->want = (size_t)left;
			if (us->direct) /* O_DIRECT lengths are whole blocks */
				s->want = (s->want + us->align - 1) / us->align * us->align;
			if (s->want > b->cap)
				s->want = b->cap;
		}
		int r = submit_slot(us, b->index);
		if (r < 0) {
			rf__pool_put(pool, b);
			return r;
		}
		us->order[(us->head + us->queued) % us->cap] = b->index;
		us->queued++;
		us->next_off += s->want;
		added++;
	}
	if (added || us->u->sqpoll)
		return submit(us);
	return 0;
}

/* Wait for one completion and account for it; short reads go back in. */
static int reap_one(struct uring_source *us)
{
	struct io_uring_cqe *cqe;
	int r;
	uint64_t t0 = rf__probe_clock();
	do
		r = io_uring_wait_cqe(&us->u->ring, &cqe);
	while (r == -EINTR && !rf__cancelled());
	if (r < 0)
		return r;
	uint64_t waited = rf__probe_clock() - t0;
	int idx = (int)io_uring_cqe_get_data64(cqe);
	int res = cqe->res;
	io_uring_cqe_seen(&us->u->ring, cqe);
	struct slot *s = &us->slots[idx];
	int fd = us->fd;
	uint64_t off = us->is_stream ? (uint64_t)-1 : s->off + s->got;
	if (rf__faults)
		res = rf__fault_result(res, off);
	RF_PROBE4(io__complete, fd, res, off, waited);
	us->inflight--;

	if (res == -EAGAIN || res == -EINTR)
		goto again;
	if (res < 0) {
		s->res = res;
		s->state = SLOT_DONE;
		return 0;
	}
	if (res == 0) {
		if (!us->is_stream && s->off + s->got < us->limit)
			us->base.shrunk = 1;
		s->state = SLOT_DONE;
		return 0;
	}
	size_t before = s->got;
	s->got += (size_t)res;
	if (us->is_stream || s->got >= s->want || s->off + s->got >= us->limit) {
		if (!us->is_stream && s->off + s->got > us->limit)
			s->got = (size_t)(us->limit - s->off);
		s->state = SLOT_DONE;
		return 0;
	}
	if (us->direct) {
		/* a short O_DIRECT read must resume on a block boundary */
		s->got = s->got / us->align * us->align;
		if (s->got <= before) { /* no whole block arrived: the file shrank */
			us->base.shrunk = 1;
			s->state = SLOT_DONE;
			return 0;
		}
	}
again:
	r = submit_slot(us, idx);
	if (r < 0)
		return r;
	return submit(us);
}

static int uring_next(struct rf_source *src, struct rf_chunk *chunk)
{
	struct uring_source *us = (struct uring_source *)src;
	int r = fill(us);
	if (r < 0)
		return r;
	if (us->queued == 0)
		return 0;
	int idx = us->order[us->head];
	struct slot *s = &us->slots[idx];
	while (s->state == SLOT_INFLIGHT)
		if ((r = reap_one(us)) < 0)
			return r;
	if (s->res < 0) {
		us->stop = 1;
		return s->res;
	}
	if (s->got == 0) {
		us->stop = 1; /* end of input; close() collects the rest */
		return 0;
	}
	if (!us->is_stream && s->got < s->want && s->off + s->got < us->limit)
		us->stop = 1; /* the file ended early: later buffers hold nothing */
	us->head = (us->head + 1) % us->cap;
	us->queued--;
	/* The consumer has come back for more: it keeps up, so double the
	 * depth.  A query that stops after a few records has read little. */
	if (us->depth < us->cap)
		us->depth = us->depth * 2 < us->cap ? us->depth * 2 : us->cap;
	s->state = SLOT_OUT;
	chunk->data = s->buf->data;
	chunk->len = s->got;
	chunk->headroom = s->buf->headroom;
	chunk->offset = s->off;
	chunk->handle = s;
	src->bytes += s->got;
	rf__source_hold(src);
	return 1;
}

static void uring_free(struct uring_source *us)
{
	free(us->slots);
	free(us->order);
	free(us);
}

static void uring_release(struct rf_source *src, struct rf_chunk *chunk)
{
	struct uring_source *us = (struct uring_source *)src;
	struct slot *s = chunk->handle;
	if (!s)
		return;
	/* any thread: the slot is the reader's again once its buffer is back
	 * in the pool (the pool's lock orders the two) */
	struct rf_buf *b = s->buf;
	s->buf = NULL;
	s->state = SLOT_FREE;
	rf__pool_put(us->u->pool, b);
	chunk->handle = NULL;
	if (rf__source_drop(src))
		uring_free(us);
}

static void uring_close(struct rf_source *src)
{
	struct uring_source *us = (struct uring_source *)src;
	/* After a failed submission some requests never reached the kernel and
	 * will never complete: hand them over now, so that every one can be
	 * waited for.  If the kernel still refuses, their buffers stay out of
	 * the pool (the kernel could read into them later) and the ring is not
	 * used again. */
	if (io_uring_sq_ready(&us->u->ring) && io_uring_submit(&us->u->ring) < 0) {
		us->u->broken = 1;
		us->inflight = 0;
	}
	/* The kernel may still be writing into queued buffers: wait for every
	 * read before giving them back to the pool. */
	while (us->inflight > 0)
		if (reap_one(us) < 0)
			break;
	while (us->queued > 0) {
		struct slot *s = &us->slots[us->order[us->head]];
		if (s->buf && s->state != SLOT_INFLIGHT && !us->u->broken) {
			rf__pool_put(us->u->pool, s->buf);
			s->buf = NULL;
			s->state = SLOT_FREE;
		}
		us->head = (us->head + 1) % us->cap;
		us->queued--;
	}
	if (us->direct)
		(void)fcntl(us->fd, F_SETFL, us->saved_flags);
	/* chunks still out free it when they come back */
	if (rf__source_drop(src))
		uring_free(us);
}

static const struct rf_source_ops uring_ops = {
	.name = "uring",
	.next = uring_next,
	.release = uring_release,
	.close = uring_close,
};

/* Turn on O_DIRECT if the file system supports it at an alignment our
 * buffers meet.  STATX_DIOALIGN (Linux 6.1) gives the alignment; without it
 * we do not guess. */
static int try_direct(struct uring_source *us, const struct rf_input_desc *in, size_t buf_align)
{
	struct statx stx;
	memset(&stx, 0, sizeof stx);
	if (syscall(SYS_statx, in->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) < 0)
		return 0;
	if (!(stx.stx_mask & STATX_DIOALIGN) || stx.stx_dio_offset_align == 0 ||
	    stx.stx_dio_mem_align == 0)
		return 0;
	size_t align = stx.stx_dio_offset_align;
	if (align > buf_align || stx.stx_dio_mem_align > buf_align || in->start % align)
		return 0;
	int flags = fcntl(in->fd, F_GETFL);
	if (flags < 0 || fcntl(in->fd, F_SETFL, flags | O_DIRECT) < 0)
		return 0;
	us->saved_flags = flags;
	us->align = align;
	return 1;
}

int rf__source_uring_open(struct rf_source **out, const struct rf_input_desc *in,
			  struct rf_uring *u, int direct, int deep, int *direct_used)
{
	if (u->broken)
		return -EIO;
	struct uring_source *us = calloc(1, sizeof *us);
	if (!us)
		return -ENOMEM;
	us->base.ops = &uring_ops;
	us->base.shared = 1;
	atomic_init(&us->base.refs, 1);
	us->u = u;
	us->fd = in->fd;
	us->is_stream = in->is_stream;
	us->next_off = in->start;
	us->limit = in->size;
	us->cap = u->pool->count;
	us->slots = calloc(us->cap, sizeof *us->slots);
	us->order = calloc(us->cap, sizeof *us->order);
	if (!us->slots || !us->order) {
		free(us->slots);
		free(us->order);
		free(us);
		return -ENOMEM;
	}
	if (direct && !in->is_stream)
		us->direct = try_direct(us, in, 64 << 10);
	/* Buffered reads of cached data complete at submission, so depth buys
	 * nothing, and a few buffers stay in the CPU cache for the scan that
	 * follows (measured here: 4 in flight ran 1.6x faster than 60).  Deep
	 * queues are for cold data, where the device works on them in parallel. */
	if (!us->direct && !deep && us->cap > 4)
		us->cap = 4;
	/* Start shallow and ramp up (see uring_next): a 'head 10' on a cold
	 * file must not read 64 MiB ahead of what it needs. */
	us->depth = us->cap < RAMP_START ? us->cap : RAMP_START;
	if (direct_used)
		*direct_used = us->direct;
	*out = &us->base;
	return 0;
}
