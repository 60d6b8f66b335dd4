/* SPDX-License-Identifier: MIT */
/* pool.c - fixed-budget buffer pool. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "pool.h"

#define HUGE_2M ((size_t)2 << 20)
#define GRANULE ((size_t)64 << 10)  /* buffers and headroom are 64 KiB multiples */

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

int rf__pool_init(struct rf_pool *pool, size_t budget, size_t buf_size, size_t headroom)
{
	memset(pool, 0, sizeof *pool);
	if (buf_size == 0 || buf_size > SIZE_MAX / 8 || headroom > SIZE_MAX / 8)
		return -EINVAL;
	buf_size = round_up(buf_size, GRANULE);
	headroom = round_up(headroom, GRANULE);
	size_t stride = buf_size + headroom;
	size_t count = budget / stride;
	if (count < 2) /* the budget is a bound: never more than it */
		return -ENOSPC;
	if (count > 1024)
		count = 1024;

	/* Over-allocate by 2 MiB and trim, so the slab starts on a huge-page
	 * boundary and transparent huge pages can back it. */
	size_t len = count * stride;
	size_t map_len = len + HUGE_2M;
	char *raw = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return -errno;
	char *slab = (char *)round_up((uintptr_t)raw, HUGE_2M);
	if (slab > raw)
		munmap(raw, (size_t)(slab - raw));
	size_t tail = (size_t)((raw + map_len) - (slab + len));
	if (tail)
		munmap(slab + len, tail);
	madvise(slab, len, MADV_HUGEPAGE); /* advice only: THP may be off */

	pool->bufs = calloc(count, sizeof *pool->bufs);
	if (!pool->bufs) {
		munmap(slab, len);
		return -ENOMEM;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pool->have_lock = 1;
	pool->slab = slab;
	pool->slab_len = len;
	pool->count = count;
	pool->buf_size = buf_size;
	pool->headroom = headroom;
	for (size_t i = count; i-- > 0;) {
		struct rf_buf *b = &pool->bufs[i];
		b->data = slab + i * stride + headroom;
		b->cap = buf_size;
		b->headroom = headroom;
		b->index = (int)i;
		b->next_free = pool->free_list;
		pool->free_list = b;
	}
	return 0;
}

size_t rf__pool_stride(size_t buf_size, size_t headroom)
{
	if (buf_size > SIZE_MAX / 8 || headroom > SIZE_MAX / 8)
		return SIZE_MAX;
	return round_up(buf_size ? buf_size : 1, GRANULE) + round_up(headroom, GRANULE);
}

size_t rf__pool_largest(size_t budget, size_t headroom)
{
	size_t h = round_up(headroom, GRANULE);
	if (budget / 2 < h + GRANULE)
		return 0;
	return (budget / 2 - h) / GRANULE * GRANULE;
}

void rf__pool_destroy(struct rf_pool *pool)
{
	if (pool->slab)
		munmap(pool->slab, pool->slab_len);
	free(pool->bufs);
	if (pool->have_lock) {
		pthread_mutex_destroy(&pool->lock);
	}
	memset(pool, 0, sizeof *pool);
}

static struct rf_buf *take(struct rf_pool *pool)
{
	struct rf_buf *b = pool->free_list;
	if (!b)
		return NULL;
	pool->free_list = b->next_free;
	b->next_free = NULL;
	if (++pool->in_use > pool->high_water)
		pool->high_water = pool->in_use;
	return b;
}

struct rf_buf *rf__pool_get(struct rf_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	struct rf_buf *b = take(pool);
	pthread_mutex_unlock(&pool->lock);
	return b;
}

struct rf_buf *rf__pool_get_wait(struct rf_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	struct rf_buf *b;
	while (!(b = take(pool)) && pool->drain) {
		/* the items in flight hold the buffers: write out what is
		 * finished, or wait for a worker (without our lock: the
		 * buffers come back through rf__pool_put) */
		pthread_mutex_unlock(&pool->lock);
		int r = pool->drain(pool->drain_user);
		pthread_mutex_lock(&pool->lock);
		if (r <= 0)
			break;
	}
	if (!b)
		b = take(pool);
	pthread_mutex_unlock(&pool->lock);
	return b;
}

void rf__pool_put(struct rf_pool *pool, struct rf_buf *buf)
{
	pthread_mutex_lock(&pool->lock);
	buf->next_free = pool->free_list;
	pool->free_list = buf;
	pool->in_use--;
	pthread_mutex_unlock(&pool->lock);
}

size_t rf__pool_free_count(struct rf_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	size_t n = pool->count - pool->in_use;
	pthread_mutex_unlock(&pool->lock);
	return n;
}
