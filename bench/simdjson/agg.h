/* SPDX-License-Identifier: MIT */
/* agg.h - count and sum(bytes) by status, the benchmark's query, kept the
 * same way by every variant of shim_bench (C and C++). */
#ifndef SJ_AGG_H
#define SJ_AGG_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AGG_OTHER 1000 /* status missing, not an integer, or >= 1000 */

struct agg {
	unsigned long long count[AGG_OTHER + 1];
	long long sum[AGG_OTHER + 1];
	unsigned long long records;  /* lines (or documents) parsed */
	unsigned long long rejected; /* lines (or documents) refused */
	unsigned long long notnum;   /* bytes missing or not an integer */
	unsigned long long copies;   /* lines copied to get padding */
};

/* The shim variants' loop, in C as the engine would write it: split
 * buf[0 .. len) into lines, call sj_fields (or sj_fields_lazy) on each,
 * convert the two spans and aggregate.  Unless padded_end says the
 * buffer has SJ_PADDING bytes after len, nothing past buf + len is read:
 * a line too near the end is copied into a padded buffer. */
void shim_loop(const char *buf, size_t len, int padded_end, int lazy, struct agg *a);

#ifdef __cplusplus
}
#endif
#endif
