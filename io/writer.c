/* SPDX-License-Identifier: MIT */
/* writer.c - buffered output.  Large runs of selected records are written
 * straight from the batch memory instead of through the buffer. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../engine/engine.h"
#include "fault.h"

int rf__writer_init(struct rf_writer *w, int fd, size_t cap)
{
	memset(w, 0, sizeof *w);
	rf__fault_init();
	w->fd = fd;
	w->buf = malloc(cap);
	if (!w->buf)
		return -ENOMEM;
	w->cap = cap;
	return 0;
}

void rf__writer_free(struct rf_writer *w)
{
	free(w->buf);
	w->buf = NULL;
}

/* The first error is kept in w->err.  In parallel and pipeline mode a
 * worker thread may be the one writing while the reading thread looks at
 * w->err: it is stored atomically, and read so (out_err in run.c). */
static int write_all(struct rf_writer *w, const char *p, size_t n)
{
	if (w->first_write && n) {
		w->first_write(w->first_user);
		w->first_write = NULL;
	}
	while (n) {
		ssize_t r = rf__faults ? rf__fault_write(w->fd, p, n) : write(w->fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			__atomic_store_n(&w->err, e, __ATOMIC_RELEASE);
			return e;
		}
		if (r == 0) { /* a write that makes no progress is a full device */
			__atomic_store_n(&w->err, -ENOSPC, __ATOMIC_RELEASE);
			return -ENOSPC;
		}
		p += r;
		n -= (size_t)r;
		w->bytes += (uint64_t)r;
	}
	return 0;
}

int rf__writer_flush(struct rf_writer *w)
{
	if (w->err)
		return w->err;
	int r = write_all(w, w->buf, w->len);
	w->len = 0;
	return r;
}

int rf__writer_put(struct rf_writer *w, const char *p, size_t n)
{
	if (w->err)
		return w->err;
	if (n <= w->cap - w->len) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		return 0;
	}
	int r = rf__writer_flush(w);
	if (r < 0)
		return r;
	if (n >= w->cap / 2)
		return write_all(w, p, n);
	memcpy(w->buf, p, n);
	w->len = n;
	return 0;
}
