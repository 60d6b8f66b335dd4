/* SPDX-License-Identifier: MIT */
/* source.h - where bytes come from.
 *
 * A source hands out chunks of one input in order.  The framer may hold one
 * chunk (the one carrying a partial last line) while it asks for the next, so
 * every backend must allow two chunks out at once.  One file per backend
 * (source_read.c, source_mmap.c, source_uring.c) behind this interface.
 *
 * The read, mmap and io_uring backends are `shared`: their chunks may be
 * released from any thread, in any order, after close() (the work items
 * of parallel and pipeline mode hold them), and as many may be out as the
 * pool has buffers.  Each chunk out holds a reference to its source and
 * close() drops the opener's: the source is freed with the last.
 */
#ifndef RF_SOURCE_H
#define RF_SOURCE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "../engine/pool.h"

struct rf_chunk {
	char *data;
	size_t len;
	size_t headroom;      /* writable bytes in front of data */
	uint64_t offset;      /* input offset of data[0] */
	void *handle;         /* backend bookkeeping */
};

struct rf_source;

struct rf_source_ops {
	const char *name;
	/* 1 and a chunk, 0 at end of input, RF_SOURCE_TICK when the deadline
	 * passed with no data (streams), or -errno */
	int (*next)(struct rf_source *src, struct rf_chunk *chunk);
	void (*release)(struct rf_source *src, struct rf_chunk *chunk);
	/* waits for anything in flight, releases everything */
	void (*close)(struct rf_source *src);
};

struct rf_source {
	const struct rf_source_ops *ops;
	uint64_t bytes;       /* bytes handed out so far */
	uint64_t busy_ns;     /* time spent inside next() */
	int shrunk;           /* the file ended before its size at open */
	const char *failed;   /* what failed, when an error is not the read's
	                       * own: "io_uring submission" */
	const char *detail;   /* decoding: what was wrong with the data, when
	                       * next() gave -EILSEQ */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none.  Streams wake for it. */
	int wake_fd;          /* streams: an eventfd that, once readable, ends the
	                       * wait with -ECANCELED (the run's workers failed);
	                       * -1: none.  Set by the run after opening. */
	int shared;           /* chunks may outlive next() and close() (above) */
	_Atomic unsigned refs; /* shared: the opener's and one per chunk out */
};

/* A shared source's references: a chunk handed out takes one; release()
 * and close() drop one, and whoever drops the last frees the source. */
static inline void rf__source_hold(struct rf_source *src)
{
	atomic_fetch_add_explicit(&src->refs, 1, memory_order_relaxed);
}
static inline int rf__source_drop(struct rf_source *src)
{
	return atomic_fetch_sub_explicit(&src->refs, 1, memory_order_acq_rel) == 1;
}

#define RF_SOURCE_TICK 2

/* Cancelling (engine/cancel.c).  Each thread working for a run points
 * rf__cancel_this at the run's watch: the run is cancelled once
 * rf__cancel_gen moved past gen (rf_cancel) or its token fired, and fd,
 * an eventfd of the run, is then readable.  rf__cancelled(): the run of
 * this thread was cancelled, so blocking reads give up with -EINTR;
 * rf__cancel_fd(): that eventfd (-1: none), which a stream's poll() waits
 * on too, so a cancel that came just before the poll is not missed. */
struct rf_cancel_token;
struct rf_cancel_watch {
	unsigned gen;
	const struct rf_cancel_token *token;
	int fd;
	pid_t pid; /* the process that began the run (not a forked worker) */
	struct rf_cancel_slot *slot;
	const struct rf_cancel_watch *prev;
};
extern _Atomic unsigned rf__cancel_gen;
extern _Thread_local const struct rf_cancel_watch *rf__cancel_this;
int rf__cancelled(void);
int rf__cancel_fd(void);

/* What the engine knows about an opened input. */
struct rf_input_desc {
	int fd;
	int is_stream;        /* pipe, socket, tty, character device */
	uint64_t start;       /* offset the input starts at (stdin may be mid-file) */
	uint64_t size;        /* regular files: size at open */
};

/* read(2) into pool buffers.  Streams return whatever one read() gives so
 * lines come out promptly; files fill whole buffers. */
int rf__source_read_open(struct rf_source **out, const struct rf_input_desc *in,
			 struct rf_pool *pool);

/* Windowed mmap: map a window, hand it out, unmap it when released. */
int rf__source_mmap_open(struct rf_source **out, const struct rf_input_desc *in,
			 size_t window);

/* io_uring: one ring per run, shared by every input read through it. */
struct rf_uring;
struct rf_uring_info {
	int registered;       /* pool buffers registered with the ring */
	int broken;           /* a submission failed for good: do not use it */
};
int rf__uring_create(struct rf_uring **out, struct rf_pool *pool, int sqpoll);
void rf__uring_destroy(struct rf_uring *u);
void rf__uring_info(const struct rf_uring *u, struct rf_uring_info *info);
/* `direct` asks for O_DIRECT; *direct_used says whether it was possible.
 * `deep`: keep every pool buffer in flight (cold data), else a few. */
int rf__source_uring_open(struct rf_source **out, const struct rf_input_desc *in,
			  struct rf_uring *u, int direct, int deep, int *direct_used);

/* Many small files through one ring (async mode): linked statx, openat into
 * the ring's own file table, read and close per file, in flight together,
 * handed to `each` in the given order with the first buffer of the file.
 * `each` returns nonzero to stop. */
struct rf_async;
int rf__async_create(struct rf_async **out, size_t buf_size, int depth);
int rf__async_run(struct rf_async *a, const char *const *files, int nfiles,
		  int (*each)(void *user, int file, const char *data, size_t len, uint64_t size, int is_regular,
			      int err),
		  void *user);
void rf__async_destroy(struct rf_async *a);

/* Compressed input (io/codec.h, io/source_decode.c): a file read with
 * pread, a stream with read(2), decoded by threads of their own into
 * buffers of `pool`.  `codec` is an enum rf_codec.  A file may come cut
 * into `ncuts` segments of whole members/frames (cuts[0] == 0, offsets
 * from in->start; NULL: one), of which up to `threads` decode at once.
 * -ENOTSUP when the codec's library was not built in.  next() gives
 * -EILSEQ for damaged data, with src->detail saying what. */
struct rf_decode_info {
	int codec;
	int threads;           /* decoder threads */
	int segments;          /* pieces of the file decoded independently */
	uint64_t in_bytes;     /* compressed bytes decoded */
	uint64_t out_bytes;    /* decoded bytes handed out */
	uint64_t busy_ns;      /* the decoder thread's time decoding and reading */
	uint64_t error_offset; /* after -EILSEQ: where, in compressed bytes */
	char error[160];
};
int rf__source_decode_open(struct rf_source **out, const struct rf_input_desc *in, int codec,
			   struct rf_pool *pool, const uint64_t *cuts, int ncuts, int threads);
/* 1 and *info for a decoding source (before close, on the reader's
 * thread), 0 for any other. */
int rf__source_decode_info(struct rf_source *src, struct rf_decode_info *info);

/* What the start of an input says it is (enum rf_codec, 0: plain), without
 * consuming it: pread for a file, tee(2) for a pipe, MSG_PEEK for a socket;
 * other streams are plain.  Waits on a pipe only while the bytes so far
 * could still begin a compressed format, or until the other end is gone
 * (then what it gave decides). -EINTR when cancelled. */
int rf__input_codec(const struct rf_input_desc *in);
/* The same, giving up with -ETIME at deadline_ns (CLOCK_MONOTONIC; 0:
 * none) while a stream keeps it waiting: --every's snapshots fall due
 * meanwhile. */
int rf__input_codec_until(const struct rf_input_desc *in, uint64_t deadline_ns);

/* A source handing out one buffer already in memory. */
int rf__source_memory_open(struct rf_source **out, const char *data, size_t len);
/* A caller's buffer, handed out in place a window at a time (0: 4 MiB),
 * its last bytes copied (io/source_buffer.c); shared. */
int rf__source_buffer_open(struct rf_source **out, const char *data, size_t len, size_t window);

/* Is most of this file in the page cache?  Samples pages with mincore(2).
 * Returns the resident share in percent, or -errno. */
int rf__file_cached_percent(int fd, uint64_t start, uint64_t size);

/* Is mapping cached pages much slower than copying them here?  On some
 * virtual machines every page fault of a mapping traps to the hypervisor,
 * and mmap reads a warm file five times slower than read(2) does.  Measured
 * once per process on PROBE bytes of this (warm) file: an mmap with every
 * page touched against pread of the same bytes.  1 yes, 0 no; *mmap_mbs and
 * *read_mbs get the two rates (MB/s) for the plan's reason. */
int rf__mmap_slow(int fd, uint64_t start, uint64_t size, unsigned *mmap_mbs, unsigned *read_mbs);

/* Is fd on a file system whose sizes cannot be trusted (procfs, sysfs,
 * FUSE...)?  Such a file is read to its end like a stream. */
int rf__size_lies(int fd);

/* Give a pipe a large buffer (F_SETPIPE_SZ); failures are ignored. */
void rf__pipe_grow(int fd, size_t want);

#endif
