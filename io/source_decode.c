/* SPDX-License-Identifier: MIT */
/* source_decode.c - a source that decodes: compressed input as a reader
 * like any other (rf__source_decode_open in source.h).
 *
 * The input is one or more segments of whole members/frames (the caller
 * finds the cuts, io/codec_segments.c; a stream or a file that cannot be
 * cut is one segment).  Decoder threads claim segments in order, at most
 * one each and at most `threads` at a time, and decode each through
 * io/codec.h into buffers of the run's pool, queued per segment; next()
 * hands out the buffers of the oldest segment, then of the next, so the
 * bytes come out in the file's order.  So decoding runs on cores of its
 * own while the stages run on the reader's (or the workers'), several
 * members of one file decode at once, and memory stays bounded by the
 * pool whatever the ratio of the input: the oldest segment holds at most
 * DECODE_AHEAD output buffers, a younger one as many as the pool can spare
 * beyond POOL_RESERVE (so it can decode well ahead), and each reads its
 * compressed bytes in INNER_BUF steps.
 *
 * Only next() takes buffers from the run's pool, on the reader's thread:
 * when every buffer is held by work items it drains them through
 * rf__pool_get_wait, which must not happen on another thread.  It waits
 * for a buffer only for the oldest segment, which then always progresses;
 * the others get what the pool has free.
 *
 * Waiting: next() polls an eventfd the decoder threads write (a buffer is
 * ready, or a segment ended) together with the cancel eventfd, the run's
 * wake_fd and the --every deadline.  close() wakes a decoder blocked on a
 * pipe through the inner source's wake_fd, a private eventfd.
 */
#include "config.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "source.h"
#include "codec.h"
#include "fault.h"
#include "../engine/probes.h"

#define DECODE_AHEAD 4           /* output buffers the oldest segment may hold */
#define POOL_RESERVE (DECODE_AHEAD + 4) /* free buffers younger segments leave */
#define INNER_BUF ((size_t)256 << 10)
/* Output room per decoder call, ending on multiples of this in the
 * segment's decoded bytes: a library that fails within a call gives none
 * of what that call made (zstd, lz4), so what is kept before damage must
 * not depend on the buffer size, the mode or the pool. */
#define OUT_STEP ((size_t)64 << 10)
#define MAX_DECODERS 64

struct filled {
	struct rf_buf *b;
	size_t len;
};

struct segment {
	uint64_t start, end;     /* compressed bytes of the file; a stream: the inner source */
	/* under the source's lock; both rings hold ring_cap entries */
	struct rf_buf **empty;
	int n_empty;
	struct filled *full;
	int full_head, n_full;
	int given;               /* buffers it has: empty, being filled, full */
	int done;                /* decoded to its end, or failed */
	int err;                 /* 0 or -errno */
	uint64_t error_offset;
	char error[160];
};

struct decode_source {
	struct rf_source base;
	struct rf_source *inner; /* a stream's bytes; NULL for a file (pread) */
	struct rf_pool inner_pool;
	int fd;
	struct rf_pool *pool;
	enum rf_codec codec;
	int is_stream;

	struct segment *seg;
	int nseg;
	int ring_cap;            /* buffers one segment may hold: the pool's count */
	int nthreads;
	pthread_t thread[MAX_DECODERS];
	int started;
	pthread_mutex_t lock;
	pthread_cond_t more;     /* decoder threads wait here for buffers or work */
	int ready_fd;            /* decoders -> reader: something to look at */
	int stop_fd;             /* close() -> inner source: stop waiting */

	/* under lock */
	int head;                /* the oldest segment not yet handed out whole */
	int next_claim;          /* the next segment a decoder thread takes */
	int stop;

	uint64_t out_offset;     /* decoded bytes handed out */
	struct rf_decode_info info;
	const struct rf_cancel_watch *cancel; /* the run's, for the decoder threads */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void kick(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof one);
	(void)r; /* an eventfd only fails to count past 2^64-2 */
}

static void drain_fd(int fd)
{
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof v);
	(void)r;
}

/* ---- decoder threads ---------------------------------------------------- */

/* A segment's compressed bytes as a decoder thread reads them. */
struct input {
	struct decode_source *ds;
	struct segment *sg;
	/* a stream: the inner source's chunk */
	struct rf_chunk chunk;
	int have;
	/* a file: pread into buf */
	char *buf;
	uint64_t at;             /* next file offset to read */
	const unsigned char *p;  /* unconsumed bytes */
	size_t n;
	int end;                 /* nothing more to read */
};

/* More compressed bytes into in->p/n: 0, or -errno. */
static int refill(struct input *in)
{
	struct decode_source *ds = in->ds;
	if (ds->inner) {
		if (in->have) {
			ds->inner->ops->release(ds->inner, &in->chunk);
			in->have = 0;
		}
		int r = ds->inner->ops->next(ds->inner, &in->chunk);
		if (r < 0)
			return r;
		if (r == 0) {
			in->end = 1;
			return 0;
		}
		in->have = 1;
		in->p = (const unsigned char *)in->chunk.data;
		in->n = in->chunk.len;
		return 0;
	}
	uint64_t left = in->sg->end - in->at;
	size_t want = left < INNER_BUF ? (size_t)left : INNER_BUF;
	if (!want) {
		in->end = 1;
		return 0;
	}
	for (;;) {
		ssize_t r = rf__faults ? rf__fault_read(ds->fd, in->buf, want, in->at)
				       : pread(ds->fd, in->buf, want, (off_t)in->at);
		if (r < 0 && errno == EINTR && !rf__cancelled())
			continue;
		if (r < 0)
			return errno == EINTR ? -EINTR : -errno;
		if (r == 0) {
			/* the file shrank under us: the decoder says where */
			in->end = 1;
			return 0;
		}
		in->at += (uint64_t)r;
		in->p = (const unsigned char *)in->buf;
		in->n = (size_t)r;
		if (in->at >= in->sg->end)
			in->end = 1;
		return 0;
	}
}

/* Fill b with decoded bytes (*made): 0 for more to come, 1 at the
 * segment's end, or -errno (-EILSEQ: damaged data). */
static int fill(struct input *in, struct rf_decoder *dec, struct rf_buf *b, size_t *made_out,
		uint64_t *consumed)
{
	struct decode_source *ds = in->ds;
	size_t made = 0;
	int r = 0;
	while (made < b->cap) {
		size_t used = 0, out = 0;
		size_t room = b->cap - made, step = OUT_STEP - (size_t)(rf__decoder_out_total(dec) % OUT_STEP);
		if (room > step)
			room = step;
		if (!in->n && !in->end) {
			/* first what the decoder still holds (no input needed) */
			int dr = rf__decoder_run(dec, NULL, 0, &used, b->data + made, room, &out, 0);
			made += out;
			if (dr != RF_DEC_OK) {
				r = dr == RF_DEC_END ? 1 : -EILSEQ;
				break;
			}
			if (out)
				continue;
			/* a stream's reader must see what arrived before we wait */
			if (ds->is_stream && made)
				break;
			if ((r = refill(in)) < 0)
				break;
			continue;
		}
		int dr = rf__decoder_run(dec, in->p, in->n, &used, b->data + made, room, &out, in->end);
		in->p += used;
		in->n -= used;
		*consumed += used;
		made += out;
		if (dr != RF_DEC_OK) {
			r = dr == RF_DEC_END ? 1 : -EILSEQ;
			break;
		}
		if (!used && !out && (in->n || in->end)) {
			/* the contract says this cannot happen; never spin on it */
			r = -EPROTO;
			break;
		}
	}
	*made_out = made;
	return r;
}

/* Decode segment k to its end, its failure, or a stop. */
static void decode_segment(struct decode_source *ds, int k, char *buf)
{
	struct segment *sg = &ds->seg[k];
	struct input in = { .ds = ds, .sg = sg, .buf = buf, .at = sg->start };
	struct rf_decoder *dec = NULL;
	int r = rf__decoder_new(&dec, ds->codec);
	for (; r == 0;) {
		pthread_mutex_lock(&ds->lock);
		while (!sg->n_empty && !ds->stop)
			pthread_cond_wait(&ds->more, &ds->lock);
		if (ds->stop) {
			pthread_mutex_unlock(&ds->lock);
			r = -ECANCELED;
			break;
		}
		struct rf_buf *b = sg->empty[--sg->n_empty];
		pthread_mutex_unlock(&ds->lock);

		uint64_t t0 = mono_ns(), consumed = 0;
		size_t made = 0;
		r = fill(&in, dec, b, &made, &consumed);
		uint64_t ns = mono_ns() - t0;
		int codec = (int)ds->codec;
		RF_PROBE4(decode__chunk, codec, consumed, made, ns);

		pthread_mutex_lock(&ds->lock);
		ds->info.busy_ns += ns;
		ds->info.in_bytes += consumed;
		if (made) {
			sg->full[(sg->full_head + sg->n_full) % ds->ring_cap] = (struct filled){ b, made };
			sg->n_full++;
		} else {
			sg->empty[sg->n_empty++] = b;
		}
		pthread_mutex_unlock(&ds->lock);
		kick(ds->ready_fd);
		if (r != 0)
			break;
	}
	if (in.have)
		ds->inner->ops->release(ds->inner, &in.chunk);
	pthread_mutex_lock(&ds->lock);
	sg->done = 1;
	sg->err = r == 1 ? 0 : r;
	if (r == -EILSEQ) {
		snprintf(sg->error, sizeof sg->error, "%s", rf__decoder_error(dec));
		sg->error_offset = sg->start + rf__decoder_error_offset(dec);
	} else if (r == -EPROTO) {
		snprintf(sg->error, sizeof sg->error, "the %s decoder made no progress", rf__codec_name(ds->codec));
		sg->error_offset = sg->start + rf__decoder_in_total(dec);
	}
	pthread_mutex_unlock(&ds->lock);
	rf__decoder_free(dec);
	kick(ds->ready_fd);
}

static void *decode_main(void *arg)
{
	struct decode_source *ds = arg;
	rf__cancel_this = ds->cancel; /* a cancel of the run stops the reads here too */
	char *buf = ds->inner ? NULL : malloc(INNER_BUF);
	pthread_mutex_lock(&ds->lock);
	for (;;) {
		/* the next segment, once it is within `nthreads` of the oldest */
		while (!ds->stop && ds->next_claim < ds->nseg && ds->next_claim >= ds->head + ds->nthreads)
			pthread_cond_wait(&ds->more, &ds->lock);
		if (ds->stop || ds->next_claim >= ds->nseg)
			break;
		int k = ds->next_claim++;
		pthread_mutex_unlock(&ds->lock);
		if (!ds->inner && !buf) {
			pthread_mutex_lock(&ds->lock);
			ds->seg[k].done = 1;
			ds->seg[k].err = -ENOMEM;
			pthread_mutex_unlock(&ds->lock);
			kick(ds->ready_fd);
		} else {
			decode_segment(ds, k, buf);
		}
		pthread_mutex_lock(&ds->lock);
	}
	pthread_mutex_unlock(&ds->lock);
	free(buf);
	return NULL;
}

/* ---- the reader's side --------------------------------------------------- */

/* Keep the segments in flight supplied: the oldest with up to
 * DECODE_AHEAD buffers, a younger one with one to fill at a time as long
 * as the pool keeps POOL_RESERVE free (the oldest, and the framer, must
 * always find some).  When the oldest has none at all and the pool is
 * empty, wait for one (draining work items).  Under no lock.  0 or
 * -ENOBUFS. */
static int supply(struct decode_source *ds)
{
	for (;;) {
		int k = -1, starved = 0;
		size_t spare = rf__pool_free_count(ds->pool);
		pthread_mutex_lock(&ds->lock);
		int last = ds->head + ds->nthreads;
		for (int i = ds->head; i < ds->nseg && i < last; i++) {
			struct segment *sg = &ds->seg[i];
			if (sg->done)
				continue;
			if (i == ds->head ? sg->given < DECODE_AHEAD
					  : !sg->n_empty && sg->given < ds->ring_cap && spare > POOL_RESERVE) {
				k = i;
				starved = i == ds->head && sg->given == 0;
				break;
			}
		}
		pthread_mutex_unlock(&ds->lock);
		if (k < 0)
			return 0;
		struct rf_buf *b = rf__pool_get(ds->pool);
		if (!b && starved)
			b = rf__pool_get_wait(ds->pool);
		if (!b)
			return starved ? -ENOBUFS : 0;
		pthread_mutex_lock(&ds->lock);
		struct segment *sg = &ds->seg[k];
		sg->empty[sg->n_empty++] = b;
		sg->given++;
		pthread_cond_broadcast(&ds->more);
		pthread_mutex_unlock(&ds->lock);
	}
}

/* A segment's buffers back to the pool (under lock). */
static void give_back(struct decode_source *ds, struct segment *sg)
{
	while (sg->n_empty)
		rf__pool_put(ds->pool, sg->empty[--sg->n_empty]);
	for (; sg->n_full; sg->n_full--) {
		rf__pool_put(ds->pool, sg->full[sg->full_head].b);
		sg->full_head = (sg->full_head + 1) % ds->ring_cap;
	}
	sg->given = 0;
}

static int start(struct decode_source *ds)
{
	ds->cancel = rf__cancel_this;
	if (ds->inner) {
		ds->inner->wake_fd = ds->stop_fd;
		ds->inner->deadline_ns = 0;
	}
	for (int i = 0; i < ds->nthreads; i++) {
		if (pthread_create(&ds->thread[i], NULL, decode_main, ds) != 0) {
			if (i == 0)
				return -EAGAIN;
			ds->nthreads = i; /* fewer decoders, as many as could start */
			break;
		}
	}
	ds->started = 1;
	return 0;
}

static int decode_next(struct rf_source *src, struct rf_chunk *chunk)
{
	struct decode_source *ds = (struct decode_source *)src;
	if (!ds->started) {
		int r = start(ds);
		if (r < 0)
			return r;
	}
	for (;;) {
		int r = supply(ds);
		if (r < 0)
			return r;
		pthread_mutex_lock(&ds->lock);
		if (ds->head >= ds->nseg) {
			pthread_mutex_unlock(&ds->lock);
			return 0;
		}
		struct segment *sg = &ds->seg[ds->head];
		if (sg->n_full) {
			struct filled f = sg->full[sg->full_head];
			sg->full_head = (sg->full_head + 1) % ds->ring_cap;
			sg->n_full--;
			sg->given--;
			pthread_mutex_unlock(&ds->lock);
			chunk->data = f.b->data;
			chunk->len = f.len;
			chunk->headroom = f.b->headroom;
			chunk->offset = ds->out_offset;
			chunk->handle = f.b;
			ds->out_offset += f.len;
			src->bytes += f.len;
			rf__source_hold(src);
			return 1;
		}
		if (sg->done) {
			if (sg->err) {
				int err = sg->err;
				ds->info.error_offset = sg->error_offset;
				snprintf(ds->info.error, sizeof ds->info.error, "%s", sg->error);
				pthread_mutex_unlock(&ds->lock);
				if (err == -EILSEQ || err == -EPROTO)
					src->detail = ds->info.error;
				return err;
			}
			give_back(ds, sg);
			ds->head++;
			pthread_cond_broadcast(&ds->more); /* one more may be claimed */
			pthread_mutex_unlock(&ds->lock);
			continue;
		}
		pthread_mutex_unlock(&ds->lock);
		if (rf__cancelled())
			return -EINTR;
		int ms = -1;
		if (src->deadline_ns) {
			uint64_t now = mono_ns();
			if (now >= src->deadline_ns)
				return RF_SOURCE_TICK;
			uint64_t left = (src->deadline_ns - now + 999999) / 1000000;
			ms = left > 1000000 ? 1000000 : (int)left;
		}
		struct pollfd pfd[3] = { { .fd = ds->ready_fd, .events = POLLIN },
					 { .fd = rf__cancel_fd(), .events = POLLIN },
					 { .fd = src->wake_fd, .events = POLLIN } };
		int pr = poll(pfd, 3, ms);
		if (pr > 0 && pfd[0].revents)
			drain_fd(ds->ready_fd);
		if (rf__cancelled())
			return -EINTR;
		if (pr > 0 && pfd[2].revents)
			return -ECANCELED; /* the run's workers failed: read no more */
	}
}

static void decode_free(struct decode_source *ds)
{
	pthread_mutex_destroy(&ds->lock);
	pthread_cond_destroy(&ds->more);
	for (int i = 0; i < ds->nseg; i++) {
		free(ds->seg[i].empty);
		free(ds->seg[i].full);
	}
	free(ds->seg);
	free(ds);
}

/* Any thread. */
static void decode_release(struct rf_source *src, struct rf_chunk *chunk)
{
	struct decode_source *ds = (struct decode_source *)src;
	if (!chunk->handle)
		return;
	rf__pool_put(ds->pool, chunk->handle);
	chunk->handle = NULL;
	if (rf__source_drop(src))
		decode_free(ds);
}

static void decode_close(struct rf_source *src)
{
	struct decode_source *ds = (struct decode_source *)src;
	if (ds->started) {
		pthread_mutex_lock(&ds->lock);
		ds->stop = 1;
		pthread_cond_broadcast(&ds->more);
		pthread_mutex_unlock(&ds->lock);
		kick(ds->stop_fd);
		for (int i = 0; i < ds->nthreads; i++)
			pthread_join(ds->thread[i], NULL);
	}
	/* what the decoders still had goes back to the pool */
	for (int i = 0; i < ds->nseg; i++)
		give_back(ds, &ds->seg[i]);
	if (ds->inner) {
		ds->inner->ops->close(ds->inner);
		rf__pool_destroy(&ds->inner_pool);
	}
	close(ds->ready_fd);
	close(ds->stop_fd);
	if (rf__source_drop(src))
		decode_free(ds);
}

static const struct rf_source_ops decode_ops = {
	.name = "decode",
	.next = decode_next,
	.release = decode_release,
	.close = decode_close,
};

int rf__source_decode_open(struct rf_source **out, const struct rf_input_desc *in, int codec,
			   struct rf_pool *pool, const uint64_t *cuts, int ncuts, int threads)
{
	/* refuse early what has no decoder */
	struct rf_decoder *probe;
	int r = rf__decoder_new(&probe, (enum rf_codec)codec);
	if (r < 0)
		return r;
	rf__decoder_free(probe);
	struct decode_source *ds = calloc(1, sizeof *ds);
	int nseg = in->is_stream || ncuts < 1 ? 1 : ncuts;
	int ring_cap = pool->count > DECODE_AHEAD ? (int)pool->count : DECODE_AHEAD;
	if (ds)
		ds->seg = calloc((size_t)nseg, sizeof *ds->seg);
	for (int i = 0; ds && ds->seg && i < nseg; i++) {
		ds->seg[i].empty = calloc((size_t)ring_cap, sizeof *ds->seg[i].empty);
		ds->seg[i].full = calloc((size_t)ring_cap, sizeof *ds->seg[i].full);
		if (!ds->seg[i].empty || !ds->seg[i].full) {
			nseg = i + 1;
			r = -ENOMEM;
			break;
		}
	}
	if (!ds || !ds->seg || r < 0) {
		for (int i = 0; ds && ds->seg && i < nseg; i++) {
			free(ds->seg[i].empty);
			free(ds->seg[i].full);
		}
		if (ds)
			free(ds->seg);
		free(ds);
		return -ENOMEM;
	}
	ds->ring_cap = ring_cap;
	ds->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ds->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r = ds->ready_fd < 0 || ds->stop_fd < 0 ? -errno : 0;
	if (!r && in->is_stream) {
		r = rf__pool_init(&ds->inner_pool, 2 * rf__pool_stride(INNER_BUF, 4096), INNER_BUF, 4096);
		if (!r && (r = rf__source_read_open(&ds->inner, in, &ds->inner_pool)) < 0)
			rf__pool_destroy(&ds->inner_pool);
	}
	if (r < 0) {
		if (ds->ready_fd >= 0)
			close(ds->ready_fd);
		if (ds->stop_fd >= 0)
			close(ds->stop_fd);
		for (int i = 0; i < nseg; i++) {
			free(ds->seg[i].empty);
			free(ds->seg[i].full);
		}
		free(ds->seg);
		free(ds);
		return r;
	}
	rf__fault_init();
	/* a file: segment i is [cuts[i], cuts[i + 1]), the last to the size
	 * at open; no cuts: the whole file */
	for (int i = 0; i < nseg; i++) {
		ds->seg[i].start = in->is_stream ? 0 : ncuts > 0 ? in->start + cuts[i] : in->start;
		ds->seg[i].end = in->is_stream ? UINT64_MAX : i + 1 < ncuts ? in->start + cuts[i + 1] : in->size;
	}
	pthread_mutex_init(&ds->lock, NULL);
	pthread_cond_init(&ds->more, NULL);
	ds->base.ops = &decode_ops;
	ds->base.wake_fd = -1;
	ds->base.shared = 1;
	atomic_init(&ds->base.refs, 1);
	ds->fd = in->fd;
	ds->pool = pool;
	ds->codec = (enum rf_codec)codec;
	ds->is_stream = in->is_stream;
	ds->nseg = nseg;
	ds->nthreads = threads < 1 ? 1 : threads > MAX_DECODERS ? MAX_DECODERS : threads;
	if (ds->nthreads > nseg)
		ds->nthreads = nseg;
	ds->info.codec = codec;
	ds->info.threads = ds->nthreads;
	ds->info.segments = nseg;
	*out = &ds->base;
	return 0;
}

/* Before close(), on the reader's thread. */
int rf__source_decode_info(struct rf_source *src, struct rf_decode_info *info)
{
	if (src->ops != &decode_ops)
		return 0;
	struct decode_source *ds = (struct decode_source *)src;
	pthread_mutex_lock(&ds->lock);
	ds->info.out_bytes = ds->out_offset;
	*info = ds->info;
	pthread_mutex_unlock(&ds->lock);
	return 1;
}
