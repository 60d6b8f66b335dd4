/* SPDX-License-Identifier: MIT */
/* rsort.h - what the record sort's verbs (stage_sort.c) and its sorter
 * (rsort.c, on the runner's side) share: the configuration. */
#ifndef RF_RSORT_H
#define RF_RSORT_H

#include "engine.h"

#define RSORT_MAX_KEYS 16
#define RSORT_HEAP_MAX ((uint64_t)1 << 16) /* a larger N sorts (and may spill) */
#define NONE UINT32_MAX                    /* a missing value's length */
#define RSORT_BLOCK ((size_t)64 << 10)     /* records are kept in blocks this size */

struct rsort_config {
	int n;
	struct rf_fieldref key[RSORT_MAX_KEYS];
	int desc[RSORT_MAX_KEYS];
	int top;           /* top N by F */
	uint64_t limit;    /* top's N */
};

/* head N after a record sort: it limits the sorter (stage_sort.c) */
extern const struct rf_verb rf__verb_head_sorted;

#endif
