/* SPDX-License-Identifier: MIT */
/* testhooks.c - the environment of the test hooks (testhooks.h), read once. */
#include "config.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "testhooks.h"

static struct rf_test_hooks hooks = { .slow_stage = -1 };

static void read_hooks(void)
{
	const char *v = getenv("RINGFLOW_TEST_WORKER_DIES");
	if (v)
		hooks.worker_dies = atoi(v);
	v = getenv("RINGFLOW_TEST_SLOW_STAGE");
	int s;
	unsigned us;
	if (v && sscanf(v, "%d:%u", &s, &us) == 2) {
		hooks.slow_stage = s;
		hooks.slow_us = us;
	}
	v = getenv("RINGFLOW_NO_URING");
	hooks.no_uring = v && *v && *v != '0';
	v = getenv("RINGFLOW_TEST_SEGMENT");
	unsigned long seg;
	int n = 0;
	if (v && sscanf(v, "%lu:%d", &seg, &n) >= 1 && seg > 0) {
		hooks.segment = seg;
		hooks.decoders = n > 0 ? n : 0;
	}
	v = getenv("RINGFLOW_TEST_FAULT");
	hooks.fault = v && *v ? v : NULL;
	v = getenv("RINGFLOW_TEST_NOW");
	if (v && *v) {
		hooks.now_set = 1;
		hooks.now_ns = strtoll(v, NULL, 10) * 1000000000LL;
	}
	v = getenv("RINGFLOW_TEST_MERGE_TRUNCATE");
	hooks.merge_truncate = v && *v == '1';
}

const struct rf_test_hooks *rf__test_hooks(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, read_hooks);
	return &hooks;
}
