/* SPDX-License-Identifier: MIT */
/* pool.h - the buffer pool: a fixed budget carved into equal buffers.
 *
 * Every batch buffer the sources fill comes from here, so the budget bounds
 * the engine's data memory whatever the input size.  Each buffer has
 * `headroom` bytes in front of its data: the framer copies the partial last
 * line of the previous buffer there, which keeps a record contiguous without
 * moving the new data.
 */
#ifndef RF_POOL_H
#define RF_POOL_H

#include <pthread.h>
#include <stddef.h>

struct rf_buf {
	char *data;          /* headroom bytes before this are also ours */
	size_t cap;          /* bytes of data */
	size_t headroom;
	int index;           /* position in the pool (io_uring buffer index) */
	struct rf_buf *next_free;
};

struct rf_pool {
	char *slab;          /* one mapping holds every buffer */
	size_t slab_len;
	struct rf_buf *bufs;
	size_t count;
	size_t buf_size;
	size_t headroom;
	struct rf_buf *free_list;
	size_t in_use;
	size_t high_water;
	/* Buffers come back from any thread (the last holder of a batch in
	 * parallel and pipeline mode): the free list is under this lock. */
	pthread_mutex_t lock;
	int have_lock;
	/* Set by a run whose work items hold buffers: when none is free,
	 * rf__pool_get_wait calls it to write out finished items (which gives
	 * their buffers back) or to wait for one.  It returns 1 when it may
	 * have given some back, 0 when nothing is in flight, or -errno. */
	int (*drain)(void *user);
	void *drain_user;
};

/* Carve `budget` bytes into buffers of buf_size (rounded up to the headroom
 * granule), at most 1024 of them.  The pool never takes more than the
 * budget, and needs two buffers (the framer holds one while the next
 * fills): a budget that holds fewer is -ENOSPC.  The slab is 2 MiB aligned
 * and advised MADV_HUGEPAGE: that is what lets O_DIRECT reads stream at
 * disk speed.  Returns 0 or -errno. */
int rf__pool_init(struct rf_pool *pool, size_t budget, size_t buf_size, size_t headroom);
/* What one buffer of buf_size takes from the budget, headroom included. */
size_t rf__pool_stride(size_t buf_size, size_t headroom);
/* The largest buffer size of which two fit in budget (0: none does). */
size_t rf__pool_largest(size_t budget, size_t headroom);
void rf__pool_destroy(struct rf_pool *pool);
struct rf_buf *rf__pool_get(struct rf_pool *pool); /* NULL when all are in use */
/* The same, but when all are in use and work items hold some, drains
 * them (see drain) until one comes back; NULL when none can. */
struct rf_buf *rf__pool_get_wait(struct rf_pool *pool);
void rf__pool_put(struct rf_pool *pool, struct rf_buf *buf);
/* Buffers free at this moment (any thread). */
size_t rf__pool_free_count(struct rf_pool *pool);

#endif
