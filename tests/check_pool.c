/* SPDX-License-Identifier: MIT */
/* check_pool.c - the buffer pool keeps its budget and its buffers apart. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "helpers.h"
#include "pool.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

START_TEST(test_budget_and_alignment)
{
	struct rf_pool pool;
	ck_assert_int_eq(rf__pool_init(&pool, 16 * MiB, 1 * MiB, 64 * KiB), 0);
	/* 16 MiB / (1 MiB + 64 KiB) = 15 buffers */
	ck_assert_uint_eq(pool.count, 15);
	ck_assert_uint_le(pool.count * (pool.buf_size + pool.headroom), 16 * MiB);
	ck_assert_uint_eq((uintptr_t)pool.slab % (2 * MiB), 0);
	for (size_t i = 0; i < pool.count; i++) {
		ck_assert_uint_eq((uintptr_t)pool.bufs[i].data % (64 * KiB), 0);
		ck_assert_uint_eq(pool.bufs[i].cap, 1 * MiB);
		ck_assert_int_eq(pool.bufs[i].index, (int)i);
	}
	rf__pool_destroy(&pool);
}
END_TEST

START_TEST(test_get_until_empty_then_put)
{
	struct rf_pool pool;
	ck_assert_int_eq(rf__pool_init(&pool, 4 * MiB, 256 * KiB, 64 * KiB), 0);
	size_t n = pool.count;
	ck_assert_uint_eq(n, 4 * MiB / (320 * KiB));
	struct rf_buf *got[64];
	for (size_t i = 0; i < n; i++) {
		got[i] = rf__pool_get(&pool);
		ck_assert_ptr_nonnull(got[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert_ptr_ne(got[i], got[j]);
	}
	ck_assert_ptr_null(rf__pool_get(&pool)); /* the budget is spent */
	ck_assert_uint_eq(pool.high_water, n);
	rf__pool_put(&pool, got[3]);
	ck_assert_ptr_eq(rf__pool_get(&pool), got[3]);
	for (size_t i = 0; i < n; i++)
		rf__pool_put(&pool, got[i]);
	ck_assert_uint_eq(pool.in_use, 0);
	ck_assert_uint_eq(pool.high_water, n);
	rf__pool_destroy(&pool);
}
END_TEST

START_TEST(test_headroom_and_data_do_not_overlap)
{
	struct rf_pool pool;
	ck_assert_int_eq(rf__pool_init(&pool, 2 * MiB, 128 * KiB, 64 * KiB), 0);
	/* Fill every buffer's headroom and data with its own byte, then check
	 * that no buffer's bytes were overwritten by a neighbour. */
	for (size_t i = 0; i < pool.count; i++) {
		struct rf_buf *b = &pool.bufs[i];
		memset(b->data - b->headroom, (int)(i + 1), b->headroom + b->cap);
	}
	for (size_t i = 0; i < pool.count; i++) {
		struct rf_buf *b = &pool.bufs[i];
		const unsigned char *p = (const unsigned char *)b->data - b->headroom;
		for (size_t j = 0; j < b->headroom + b->cap; j++)
			ck_assert_uint_eq(p[j], (unsigned char)(i + 1));
	}
	rf__pool_destroy(&pool);
}
END_TEST

START_TEST(test_tiny_budget_still_two_buffers)
{
	struct rf_pool pool;
	/* the budget is a bound: one that does not hold two buffers (the
	 * framer holds one while the next fills) is an error, never raised */
	ck_assert_int_eq(rf__pool_init(&pool, 1, 100, 1), -ENOSPC);
	ck_assert_int_eq(rf__pool_init(&pool, 256 * KiB - 1, 100, 1), -ENOSPC);
	ck_assert_int_eq(rf__pool_init(&pool, 256 * KiB, 100, 1), 0);
	ck_assert_uint_eq(pool.count, 2);
	ck_assert_uint_eq(pool.buf_size, 64 * KiB); /* rounded to the granule */
	rf__pool_destroy(&pool);
	ck_assert_int_eq(rf__pool_init(&pool, 1 * MiB, 1 * GiB, 64 * KiB), -ENOSPC);
	ck_assert_int_eq(rf__pool_init(&pool, SIZE_MAX, SIZE_MAX, 64 * KiB), -EINVAL);
	/* the largest buffer of which two fit, and what one takes */
	ck_assert_uint_eq(rf__pool_largest(1 * MiB, 64 * KiB), 448 * KiB);
	ck_assert_uint_eq(rf__pool_largest(256 * KiB, 64 * KiB), 64 * KiB);
	ck_assert_uint_eq(rf__pool_largest(256 * KiB - 1, 64 * KiB), 0);
	ck_assert_uint_eq(rf__pool_stride(100 * KiB, 64 * KiB), 192 * KiB);
	for (size_t budget = 256 * KiB; budget < 64 * MiB; budget = budget * 3 / 2 + 4097) {
		size_t b = rf__pool_largest(budget, 64 * KiB);
		ck_assert_uint_le(2 * rf__pool_stride(b, 64 * KiB), budget);
		ck_assert_uint_gt(2 * rf__pool_stride(b + 64 * KiB, 64 * KiB), budget);
		ck_assert_int_eq(rf__pool_init(&pool, budget, b, 64 * KiB), 0);
		ck_assert_uint_le(pool.slab_len, budget);
		rf__pool_destroy(&pool);
	}
	ck_assert_int_eq(rf__pool_init(&pool, 1 * MiB, 0, 0), -EINVAL);
}
END_TEST

/* A drain that gives one held buffer back per call, as a work item
 * written out would; none left: nothing in flight (0). */
struct held {
	struct rf_pool *pool;
	struct rf_buf *buf[8];
	int n, calls;
};

static int give_one_back(void *user)
{
	struct held *h = user;
	h->calls++;
	if (h->n == 0)
		return 0;
	rf__pool_put(h->pool, h->buf[--h->n]);
	return 1;
}

START_TEST(test_get_wait_drains_the_items)
{
	struct rf_pool pool;
	ck_assert_int_eq(rf__pool_init(&pool, 2 * 128 * KiB, 64 * KiB, 64 * KiB), 0);
	ck_assert_uint_eq(pool.count, 2);
	struct held h = { .pool = &pool };
	h.buf[h.n++] = rf__pool_get(&pool);
	h.buf[h.n++] = rf__pool_get(&pool);
	ck_assert_ptr_null(rf__pool_get(&pool));
	/* without a drain: none, at once */
	ck_assert_ptr_null(rf__pool_get_wait(&pool));
	pool.drain = give_one_back;
	pool.drain_user = &h;
	struct rf_buf *b = rf__pool_get_wait(&pool);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(h.calls, 1);
	ck_assert_int_eq(h.n, 1);
	struct rf_buf *c = rf__pool_get_wait(&pool);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_ne(b, c);
	/* nothing left in flight: NULL, not a hang */
	ck_assert_ptr_null(rf__pool_get_wait(&pool));
	ck_assert_int_eq(h.calls, 3);
	rf__pool_put(&pool, b);
	rf__pool_put(&pool, c);
	ck_assert_uint_eq(pool.in_use, 0);
	rf__pool_destroy(&pool);
}
END_TEST

/* Buffers come back from any thread: four threads taking and giving back
 * at once lose none and never share one. */
static void *churn(void *arg)
{
	struct rf_pool *pool = arg;
	for (int i = 0; i < 20000; i++) {
		struct rf_buf *b = rf__pool_get(pool);
		if (!b)
			continue;
		/* ours alone while we hold it */
		b->data[0] = (char)i;
		b->data[1] = (char)i;
		ck_assert_int_eq(b->data[0], b->data[1]);
		rf__pool_put(pool, b);
	}
	return NULL;
}

START_TEST(test_put_from_threads)
{
	struct rf_pool pool;
	ck_assert_int_eq(rf__pool_init(&pool, 4 * 128 * KiB, 64 * KiB, 64 * KiB), 0);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, churn, &pool), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_eq(pool.in_use, 0);
	size_t n = 0;
	for (struct rf_buf *b = pool.free_list; b && n <= pool.count; b = b->next_free)
		n++;
	ck_assert_uint_eq(n, pool.count);
	rf__pool_destroy(&pool);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");
	tcase_add_test(tc, test_budget_and_alignment);
	tcase_add_test(tc, test_get_until_empty_then_put);
	tcase_add_test(tc, test_headroom_and_data_do_not_overlap);
	tcase_add_test(tc, test_tiny_budget_still_two_buffers);
	tcase_add_test(tc, test_get_wait_drains_the_items);
	tcase_add_test(tc, test_put_from_threads);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
