/* SPDX-License-Identifier: MIT */
/* async.c - many small files through one io_uring.
 *
 * Each file is a statx, then - only for a regular file - a linked chain of
 * three requests: openat into a slot of the ring's registered file table
 * (a "direct" descriptor, so no file descriptor of the process is used
 * however many files are open), read of up to one buffer, and close.  A
 * FIFO or a device is never opened here: an open and close would take data
 * from a pipe (or kill its writer), so it goes back to the caller unread.
 * The links are hard links: a file shorter than the buffer is a short read,
 * which would cancel the close under a plain link.  Many chains are in flight at once; files are handed back
 * strictly in the order given.  Measured here, such chains open and read
 * cold small files about 3x faster than one read(2) after another.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "source.h"
#include "../engine/probes.h"
#include "../engine/testhooks.h"

enum { OP_STATX, OP_OPEN, OP_READ, OP_CLOSE, NOPS };

struct slot {
	int file;              /* index into the caller's list, -1 when idle */
	int results;           /* completions seen (NOPS: done) */
	const char *path;
	int res[NOPS];
	struct statx stx;
	char *buf;
};

struct rf_async {
	struct io_uring ring;
	size_t buf_size;
	int depth;
	struct slot *slots;
};

int rf__async_create(struct rf_async **out, size_t buf_size, int depth)
{
	if (rf__test_hooks()->no_uring)
		return -ENOSYS;
	/* the kernel sizes the direct descriptor table against RLIMIT_NOFILE */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)depth > rl.rlim_cur / 2)
		depth = rl.rlim_cur / 2 > 1 ? (int)(rl.rlim_cur / 2) : 1;
	struct rf_async *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	a->buf_size = buf_size;
	a->depth = depth;
	int r = io_uring_queue_init((unsigned)depth * NOPS * 2, &a->ring, 0);
	if (r < 0) {
		free(a);
		return r;
	}
	/* the direct descriptor table: one slot per file in flight */
	if ((r = io_uring_register_files_sparse(&a->ring, (unsigned)depth)) < 0) {
		io_uring_queue_exit(&a->ring);
		free(a);
		return r;
	}
	a->slots = calloc((size_t)depth, sizeof *a->slots);
	for (int i = 0; a->slots && i < depth; i++) {
		a->slots[i].file = -1;
		if (!(a->slots[i].buf = malloc(buf_size))) {
			rf__async_destroy(a);
			return -ENOMEM;
		}
	}
	if (!a->slots) {
		rf__async_destroy(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

void rf__async_destroy(struct rf_async *a)
{
	if (!a)
		return;
	for (int i = 0; a->slots && i < a->depth; i++)
		free(a->slots[i].buf);
	free(a->slots);
	io_uring_queue_exit(&a->ring);
	free(a);
}

static struct io_uring_sqe *sqe_of(struct rf_async *a)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);
	if (!sqe) {
		io_uring_submit(&a->ring);
		sqe = io_uring_get_sqe(&a->ring);
	}
	return sqe;
}

static int start_file(struct rf_async *a, int s, int file, const char *path)
{
	struct slot *sl = &a->slots[s];
	struct io_uring_sqe *sqe = sqe_of(a);
	if (!sqe)
		return -EBUSY;
	sl->file = file;
	sl->path = path;
	sl->results = 0;
	memset(sl->res, 0, sizeof sl->res);
	io_uring_prep_statx(sqe, AT_FDCWD, path, 0, STATX_SIZE | STATX_TYPE, &sl->stx);
	io_uring_sqe_set_data64(sqe, (uint64_t)s * NOPS + OP_STATX);
	return 0;
}

/* The statx is back: open, read and close a regular file; anything else
 * is done with (unread). */
static int read_file(struct rf_async *a, int s)
{
	struct slot *sl = &a->slots[s];
	if (sl->res[OP_STATX] < 0 || !S_ISREG(sl->stx.stx_mode)) {
		sl->results = NOPS;
		return 0;
	}
	struct io_uring_sqe *sqe[NOPS];
	for (int i = OP_OPEN; i < NOPS; i++)
		if (!(sqe[i] = sqe_of(a)))
			return -EBUSY;
	/* no O_CLOEXEC: the kernel refuses it for a direct descriptor, which
	 * no exec can inherit anyway */
	io_uring_prep_openat_direct(sqe[OP_OPEN], AT_FDCWD, sl->path, O_RDONLY, 0, (unsigned)s);
	io_uring_prep_read(sqe[OP_READ], s, sl->buf, (unsigned)a->buf_size, 0);
	sqe[OP_READ]->flags |= IOSQE_FIXED_FILE;
	io_uring_prep_close_direct(sqe[OP_CLOSE], (unsigned)s);
	for (int i = OP_OPEN; i < NOPS; i++) {
		io_uring_sqe_set_data64(sqe[i], (uint64_t)s * NOPS + (uint64_t)i);
		if (i + 1 < NOPS)
			sqe[i]->flags |= IOSQE_IO_HARDLINK;
	}
	/* a direct descriptor has no fd number: probes see -1 - slot */
	int fd = -1 - s;
	uint64_t len = a->buf_size, off = 0;
	RF_PROBE3(io__submit, fd, len, off);
	int r = io_uring_submit(&a->ring);
	return r < 0 ? r : 0;
}

/* Take one completion; a statx's starts its file's reads. */
static int complete_one(struct rf_async *a, uint64_t *waited)
{
	struct io_uring_cqe *cqe;
	int r;
	uint64_t t0 = rf__probe_clock();
	do
		r = io_uring_wait_cqe(&a->ring, &cqe);
	while (r == -EINTR && !rf__cancelled());
	if (r < 0)
		return r;
	*waited += rf__probe_clock() - t0;
	uint64_t d = io_uring_cqe_get_data64(cqe);
	int s = (int)(d / NOPS), op = (int)(d % NOPS);
	struct slot *done = &a->slots[s];
	done->res[op] = cqe->res;
	done->results++;
	io_uring_cqe_seen(&a->ring, cqe);
	if (op == OP_READ) {
		int fd = -1 - s;
		long res = done->res[op];
		uint64_t off = 0;
		RF_PROBE4(io__complete, fd, res, off, *waited);
		*waited = 0;
	}
	return op == OP_STATX ? read_file(a, s) : 0;
}

int rf__async_run(struct rf_async *a, const char *const *files, int nfiles,
		  int (*each)(void *user, int file, const char *data, size_t len, uint64_t size, int is_regular,
			      int err),
		  void *user)
{
	int next_start = 0, next_done = 0, r = 0;
	uint64_t waited = 0; /* blocked on completions since the last read's */
	while (next_done < nfiles) {
		/* keep every slot busy with the files after the next to hand back */
		int added = 0;
		while (next_start < nfiles && next_start - next_done < a->depth) {
			if ((r = start_file(a, next_start % a->depth, next_start, files[next_start])) < 0)
				return r;
			next_start++;
			added++;
		}
		if (added)
			io_uring_submit(&a->ring);
		struct slot *sl = &a->slots[next_done % a->depth];
		while (sl->results < NOPS)
			if ((r = complete_one(a, &waited)) < 0)
				return r;
		int err = 0;
		if (sl->res[OP_STATX] < 0)
			err = sl->res[OP_STATX];
		else if (sl->res[OP_OPEN] < 0)
			err = sl->res[OP_OPEN];
		else if (sl->res[OP_READ] < 0)
			err = sl->res[OP_READ];
		uint64_t size = err ? 0 : sl->stx.stx_size;
		int regular = !err && S_ISREG(sl->stx.stx_mode);
		size_t len = err || sl->res[OP_READ] < 0 ? 0 : (size_t)sl->res[OP_READ];
		sl->file = -1;
		next_done++;
		if ((r = each(user, next_done - 1, sl->buf, len, size, regular, err)) != 0) {
			/* stop: collect what is still in flight before the buffers go */
			while (next_done < next_start) {
				struct slot *o = &a->slots[next_done % a->depth];
				while (o->results < NOPS) {
					struct io_uring_cqe *cqe;
					if (io_uring_wait_cqe(&a->ring, &cqe) < 0)
						break;
					uint64_t d = io_uring_cqe_get_data64(cqe);
					struct slot *c = &a->slots[d / NOPS];
					/* a statx now starts nothing: that file is done */
					c->results = d % NOPS == OP_STATX ? NOPS : c->results + 1;
					io_uring_cqe_seen(&a->ring, cqe);
				}
				next_done++;
			}
			return r;
		}
	}
	return 0;
}

/* ---- a source over bytes already in memory ---- */

struct mem_source {
	struct rf_source base;
	const char *data;
	size_t len;
	int given;
};

static int mem_next(struct rf_source *src, struct rf_chunk *c)
{
	struct mem_source *m = (struct mem_source *)src;
	if (m->given || m->len == 0)
		return 0;
	m->given = 1;
	c->data = (char *)m->data;
	c->len = m->len;
	c->headroom = 0;
	c->offset = 0;
	c->handle = NULL;
	src->bytes += m->len;
	return 1;
}

static void mem_release(struct rf_source *src, struct rf_chunk *c)
{
	(void)src;
	c->handle = NULL;
}

static void mem_close(struct rf_source *src)
{
	free(src);
}

static const struct rf_source_ops mem_ops = { "memory", mem_next, mem_release, mem_close };

int rf__source_memory_open(struct rf_source **out, const char *data, size_t len)
{
	struct mem_source *m = calloc(1, sizeof *m);
	if (!m)
		return -ENOMEM;
	m->base.ops = &mem_ops;
	m->data = data;
	m->len = len;
	*out = &m->base;
	return 0;
}
