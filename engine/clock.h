/* SPDX-License-Identifier: MIT */
/* clock.h - the monotonic clock in nanoseconds, the one every part of
 * ringflow times itself with (the clock of bpf_ktime_get_ns() too). */
#ifndef RF_CLOCK_H
#define RF_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
