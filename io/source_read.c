/* SPDX-License-Identifier: MIT */
/* source_read.c - the portable backend: read(2) into pool buffers. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include "source.h"
#include "../engine/probes.h"
#include "fault.h"

struct read_source {
	struct rf_source base;
	struct rf_pool *pool;
	int fd;
	int is_stream;
	int eof;
	uint64_t offset;
	uint64_t limit;      /* regular files: the size at open */
};

/* Wait until fd is readable, the deadline passes (0: none), rf_cancel()
 * is called or wake_fd (-1: none) is readable: 1, 0, -EINTR or -ECANCELED.
 * The cancel eventfd is polled too, so a signal that lands just before
 * poll() still wakes it. */
static int wait_readable(int fd, uint64_t deadline_ns, int wake_fd)
{
	for (;;) {
		if (rf__cancelled())
			return -EINTR;
		int ms = -1;
		if (deadline_ns) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			if (now >= deadline_ns)
				return 0;
			uint64_t left = (deadline_ns - now + 999999) / 1000000;
			ms = left > 1000000 ? 1000000 : (int)left;
		}
		struct pollfd pfd[3] = { { .fd = fd, .events = POLLIN }, { .fd = rf__cancel_fd(), .events = POLLIN },
					 { .fd = wake_fd, .events = POLLIN } };
		int r = poll(pfd, 3, ms);
		if (rf__cancelled())
			return -EINTR;
		if (r > 0 && pfd[2].revents)
			return -ECANCELED; /* the run's workers failed: read no more */
		if (r > 0 && pfd[0].revents)
			return 1; /* data, end of input or an error: read() says which */
		if (r < 0 && errno != EINTR)
			return 1; /* let read() report the problem */
	}
}

/* Read once, retrying EINTR and waiting out EAGAIN on a non-blocking fd
 * (stdin may have been left non-blocking by whoever started us). */
static ssize_t read_some(int fd, char *p, size_t n, uint64_t off, int wake_fd)
{
	for (;;) {
		ssize_t r = rf__faults ? rf__fault_read(fd, p, n, off) : read(fd, p, n);
		if (r >= 0)
			return r;
		if (errno == EINTR && rf__cancelled())
			return -EINTR;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			int w = wait_readable(fd, 0, wake_fd);
			if (w < 0)
				return w;
			continue;
		}
		return -errno;
	}
}

static int read_next(struct rf_source *src, struct rf_chunk *chunk)
{
	struct read_source *rs = (struct read_source *)src;
	if (rs->eof)
		return 0;
	if (rs->is_stream) {
		/* A stream waits here, not in read(): for the --every deadline,
		 * and for rf_cancel(), which a read() begun just before the
		 * signal would never see. */
		int w = wait_readable(rs->fd, src->deadline_ns, src->wake_fd);
		if (w < 0)
			return w;
		if (w == 0)
			return RF_SOURCE_TICK;
	}
	/* the work items may hold every buffer: wait for one to come back */
	struct rf_buf *b = rf__pool_get_wait(rs->pool);
	if (!b)
		return -ENOBUFS;
	size_t want = b->cap;
	/* A regular file is read up to its size at open, as the other backends
	 * do, so every backend sees the same bytes of a file that grows. */
	if (!rs->is_stream && rs->limit - rs->offset < want)
		want = (size_t)(rs->limit - rs->offset);
	size_t got = 0;
	while (got < want) {
		int fd = rs->fd;
		size_t ask = want - got;
		uint64_t at = rs->offset + got;
		RF_PROBE3(io__submit, fd, ask, at);
		uint64_t t0 = rf__probe_clock();
		ssize_t r = read_some(rs->fd, b->data + got, want - got, at, src->wake_fd);
		long res = (long)r;
		uint64_t waited = rf__probe_clock() - t0;
		RF_PROBE4(io__complete, fd, res, at, waited);
		if (r < 0) {
			rf__pool_put(rs->pool, b);
			return (int)r;
		}
		if (r == 0) {
			rs->eof = 1;
			if (!rs->is_stream && rs->offset + got < rs->limit)
				src->shrunk = 1;
			break;
		}
		got += (size_t)r;
		if (rs->is_stream)
			break; /* hand out what arrived: a slow writer's lines must not wait */
	}
	if (!rs->is_stream && rs->offset + got >= rs->limit)
		rs->eof = 1;
	if (got == 0) {
		rs->eof = 1;
		rf__pool_put(rs->pool, b);
		return 0;
	}
	chunk->data = b->data;
	chunk->len = got;
	chunk->headroom = b->headroom;
	chunk->offset = rs->offset;
	chunk->handle = b;
	rs->offset += got;
	src->bytes += got;
	rf__source_hold(src);
	return 1;
}

/* Any thread: the pool has its own lock. */
static void read_release(struct rf_source *src, struct rf_chunk *chunk)
{
	struct read_source *rs = (struct read_source *)src;
	if (!chunk->handle)
		return;
	rf__pool_put(rs->pool, chunk->handle);
	chunk->handle = NULL;
	if (rf__source_drop(src))
		free(src);
}

static void read_close(struct rf_source *src)
{
	if (rf__source_drop(src))
		free(src);
}

static const struct rf_source_ops read_ops = {
	.name = "read",
	.next = read_next,
	.release = read_release,
	.close = read_close,
};

int rf__source_read_open(struct rf_source **out, const struct rf_input_desc *in,
			 struct rf_pool *pool)
{
	rf__fault_init();
	struct read_source *rs = calloc(1, sizeof *rs);
	if (!rs)
		return -ENOMEM;
	rs->base.ops = &read_ops;
	rs->base.wake_fd = -1;
	rs->base.shared = 1;
	atomic_init(&rs->base.refs, 1);
	rs->pool = pool;
	rs->fd = in->fd;
	rs->is_stream = in->is_stream;
	rs->offset = in->start;
	rs->limit = in->size;
	*out = &rs->base;
	return 0;
}

void rf__pipe_grow(int fd, size_t want)
{
	/* Unprivileged users are capped by /proc/sys/fs/pipe-max-size (EPERM):
	 * then try that cap, and otherwise keep the pipe as it is. */
	if (fcntl(fd, F_SETPIPE_SZ, (int)want) >= 0)
		return;
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	if (!f)
		return;
	long max = 0;
	if (fscanf(f, "%ld", &max) == 1 && max > 0 && (size_t)max < want)
		(void)fcntl(fd, F_SETPIPE_SZ, (int)max);
	fclose(f);
}

/* File systems whose files' sizes are made up: procfs and most of its kin
 * say 0 or 4096 whatever they hold, and a FUSE server may say anything. */
static const unsigned long made_up_sizes[] = {
	0x9fa0,     /* proc */
	0x62656572, /* sysfs */
	0x64626720, /* debugfs */
	0x74726163, /* tracefs */
	0x62656570, /* configfs */
	0x73636673, /* securityfs */
	0x27e0eb,   /* cgroup */
	0x63677270, /* cgroup2 */
	0xf97cff8c, /* selinuxfs */
	0x43415d53, /* smackfs */
	0x42494e4d, /* binfmt_misc */
	0xde5e81e4, /* efivarfs */
	0x65735546, /* fuse */
};

int rf__size_lies(int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0)
		return 0;
	unsigned long type = (unsigned long)sf.f_type & 0xffffffffu;
	for (size_t i = 0; i < sizeof made_up_sizes / sizeof made_up_sizes[0]; i++)
		if (type == made_up_sizes[i])
			return 1;
	return 0;
}
