/* SPDX-License-Identifier: MIT */
/* testhooks.h - the test suite's hooks, read from the environment in one
 * place (testhooks.c), once per process.  The rest of the engine asks here
 * and never calls getenv() for them.
 *
 *   RINGFLOW_TEST_WORKER_DIES=N      multiprocess worker N (from 1) kills itself
 *   RINGFLOW_TEST_SLOW_STAGE=S:US    stage S sleeps US microseconds per batch
 *   RINGFLOW_NO_URING=1              behave as if the kernel refused io_uring
 *   RINGFLOW_TEST_FAULT=...          fault injection into the readers (io/fault.h)
 *   RINGFLOW_TEST_SEGMENT=BYTES[:N]  compressed files of 2 x BYTES or more are cut
 *                                    into segments of about BYTES, decoded by N
 *                                    threads (default: one per CPU)
 *   RINGFLOW_TEST_NOW=SECONDS        the present for --since/--until (epoch seconds)
 *   RINGFLOW_TEST_MERGE_TRUNCATE=1   ringflow merge empties the partial files it
 *                                    mapped once their envelopes are checked
 *                                    (a rewrite meanwhile)
 */
#ifndef RF_TESTHOOKS_H
#define RF_TESTHOOKS_H

struct rf_test_hooks {
	int worker_dies;      /* the worker that dies, 0: none */
	int slow_stage;       /* the stage that is slow, -1: none */
	unsigned slow_us;     /* its sleep per batch */
	int no_uring;         /* io_uring setup fails with ENOSYS */
	const char *fault;    /* the fault list, or NULL */
	unsigned long segment; /* segment size for compressed files, 0: the engine's */
	int decoders;         /* decoder threads per cut file, 0: the engine's */
	int now_set;          /* RINGFLOW_TEST_NOW: the present is now_ns */
	long long now_ns;
	int merge_truncate;   /* RINGFLOW_TEST_MERGE_TRUNCATE */
};

/* The hooks, read on the first call. */
const struct rf_test_hooks *rf__test_hooks(void);

#endif
