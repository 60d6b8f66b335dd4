/* SPDX-License-Identifier: MIT */
/* helpers.h - shared bits of the Check suites. */
#ifndef RF_TEST_HELPERS_H
#define RF_TEST_HELPERS_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

/* Exit codes understood by the automake test driver. */
#define TEST_SKIP 77
#define TEST_HARD_ERROR 99

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Deterministic generator so a failure can be replayed. */
static inline uint64_t test_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
