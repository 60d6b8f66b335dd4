/* SPDX-License-Identifier: MIT */
/* source_mmap.c - windowed mmap of a regular file.
 *
 * Each chunk is a fresh mapping of one window, unmapped when its last
 * holder (the framer, or in parallel and pipeline mode a work item)
 * releases it, from whatever thread, so resident memory stays at the
 * windows in flight however large the file is.  Page-cache pages are used
 * in place: no copy at all.
 */
#include "config.h"
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "source.h"
#include "../engine/probes.h"

struct window {
	void *base;
	size_t len;
};

struct mmap_source {
	struct rf_source base;
	int fd;
	uint64_t offset;
	uint64_t end;
	size_t window;
	size_t page;
};

static int mmap_next(struct rf_source *src, struct rf_chunk *chunk)
{
	struct mmap_source *ms = (struct mmap_source *)src;
	if (ms->offset >= ms->end)
		return 0;

	/* The file may have been truncated since we looked: map only what is
	 * there now.  A shrink after this check still raises SIGBUS, which the
	 * engine turns into a read error for this file. */
	struct stat st;
	if (fstat(ms->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < ms->end) {
		ms->end = (uint64_t)st.st_size;
		ms->base.shrunk = 1;
		if (ms->offset >= ms->end)
			return 0;
	}

	/* one per window: released on any thread, in any order */
	struct window *w = malloc(sizeof *w);
	if (!w)
		return -ENOMEM;

	uint64_t len = ms->end - ms->offset;
	if (len > ms->window)
		len = ms->window;
	uint64_t map_off = ms->offset / ms->page * ms->page;
	size_t delta = (size_t)(ms->offset - map_off);
	size_t map_len = (size_t)len + delta;
	/* No MAP_POPULATE: measured here it costs 2.5x the system time of
	 * letting fault-around map 64 KiB per fault as the scan reaches it. */
	int fd = ms->fd;
	RF_PROBE3(io__submit, fd, map_len, map_off);
	uint64_t t0 = rf__probe_clock();
	void *p = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE, ms->fd, (off_t)map_off);
	if (p == MAP_FAILED) {
		int e = errno;
		free(w);
		return -e;
	}
	long mapped = (long)map_len;
	uint64_t waited = rf__probe_clock() - t0;
	RF_PROBE4(io__complete, fd, mapped, map_off, waited);
	madvise(p, map_len, MADV_SEQUENTIAL);
	w->base = p;
	w->len = map_len;

	chunk->data = (char *)p + delta;
	chunk->len = (size_t)len;
	chunk->headroom = 0;
	chunk->offset = ms->offset;
	chunk->handle = w;
	ms->offset += len;
	src->bytes += len;
	rf__source_hold(src);
	return 1;
}

static void mmap_release(struct rf_source *src, struct rf_chunk *chunk)
{
	struct window *w = chunk->handle;
	if (!w)
		return;
	munmap(w->base, w->len);
	free(w);
	chunk->handle = NULL;
	if (rf__source_drop(src))
		free(src);
}

/* The windows still out are unmapped by their holders (the last one frees
 * the source). */
static void mmap_close(struct rf_source *src)
{
	if (rf__source_drop(src))
		free(src);
}

static const struct rf_source_ops mmap_ops = {
	.name = "mmap",
	.next = mmap_next,
	.release = mmap_release,
	.close = mmap_close,
};

int rf__source_mmap_open(struct rf_source **out, const struct rf_input_desc *in, size_t window)
{
	if (in->is_stream)
		return -ESPIPE;
	struct mmap_source *ms = calloc(1, sizeof *ms);
	if (!ms)
		return -ENOMEM;
	ms->base.ops = &mmap_ops;
	ms->base.shared = 1;
	atomic_init(&ms->base.refs, 1);
	ms->fd = in->fd;
	ms->offset = in->start;
	ms->end = in->size;
	ms->page = (size_t)sysconf(_SC_PAGESIZE);
	ms->window = window < ms->page ? ms->page : window / ms->page * ms->page;
	*out = &ms->base;
	return 0;
}

int rf__file_cached_percent(int fd, uint64_t start, uint64_t size)
{
	if (size <= start)
		return 100;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t map_off = start / page * page;
	size_t len = (size_t)(size - map_off);
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)map_off);
	if (p == MAP_FAILED)
		return -errno;
	/* 64 pages spread over the file are enough to tell a warm file from a
	 * cold one, and cost 64 cheap syscalls whatever the file size. */
	size_t pages = (len + page - 1) / page;
	int samples = pages < 64 ? (int)pages : 64, resident = 0;
	for (int i = 0; i < samples; i++) {
		size_t pg = (size_t)((double)i * (double)pages / samples);
		unsigned char vec = 0;
		if (mincore((char *)p + pg * page, page, &vec) == 0 && (vec & 1))
			resident++;
	}
	munmap(p, len);
	return samples ? resident * 100 / samples : 100;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define PROBE ((size_t)4 << 20)

int rf__mmap_slow(int fd, uint64_t start, uint64_t size, unsigned *mmap_mbs, unsigned *read_mbs)
{
	/* -1 not measured yet; else the verdict and the two rates.  Two
	 * threads measuring at once both store the same kind of answer. */
	static _Atomic int verdict = -1;
	static _Atomic unsigned rate_mmap, rate_read;
	int v = atomic_load(&verdict);
	if (v < 0) {
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		uint64_t off = start / page * page;
		if (size < off + PROBE)
			return 0; /* too small to tell; and mmap is cheap for it */
		char *buf = malloc(1 << 20);
		if (!buf)
			return 0;
		/* the first pass brings in whatever of the bytes is not cached
		 * yet (the plan saw most of the file cached, not every page);
		 * the second is the one timed */
		uint64_t t0 = 0;
		for (int pass = 0; pass < 2; pass++) {
			t0 = mono_ns();
			for (size_t done = 0; done < PROBE; done += 1 << 20)
				if (pread(fd, buf, 1 << 20, (off_t)(off + done)) != 1 << 20) {
					free(buf);
					return 0;
				}
		}
		uint64_t t1 = mono_ns();
		free(buf);
		char *p = mmap(NULL, PROBE, PROT_READ, MAP_PRIVATE, fd, (off_t)off);
		if (p == MAP_FAILED)
			return 0;
		unsigned sum = 0;
		for (size_t i = 0; i < PROBE; i += page)
			sum += *(volatile unsigned char *)(p + i);
		munmap(p, PROBE);
		uint64_t t2 = mono_ns();
		(void)sum;
		uint64_t tr = t1 - t0 ? t1 - t0 : 1, tm = t2 - t1 ? t2 - t1 : 1;
		atomic_store(&rate_read, (unsigned)(PROBE * 1000 / tr));
		atomic_store(&rate_mmap, (unsigned)(PROBE * 1000 / tm));
		/* twice as slow, not merely slower: where the two are close, the
		 * mapping saves the copy and the probe's noise must not flip it */
		v = tm > 2 * tr;
		atomic_store(&verdict, v);
	}
	*mmap_mbs = atomic_load(&rate_mmap);
	*read_mbs = atomic_load(&rate_read);
	return v;
}
