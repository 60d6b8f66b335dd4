/* SPDX-License-Identifier: MIT */
/* verbs.c - the verb table: every verb the query language knows. */
#include "config.h"
#include <stddef.h>
#include "engine.h"
#include "stages.h"

extern const struct rf_verb rf__verb_count, rf__verb_sum, rf__verb_avg, rf__verb_min, rf__verb_max,
	rf__verb_distinct, rf__verb_p50, rf__verb_p90, rf__verb_p95, rf__verb_p99, rf__verb_quantile,
	rf__verb_approx_distinct, rf__verb_stddev, rf__verb_variance, rf__verb_stddev_pop, rf__verb_var_pop,
	rf__verb_histogram, rf__verb_first, rf__verb_last, rf__verb_pct;
extern const struct rf_verb rf__verb_split, rf__verb_parse;
/* sort and top of records (stage_sort.c); after an aggregate they become
 * stage_table.c's */
extern const struct rf_verb rf__verb_sort_records, rf__verb_top_records;

const struct rf_verb *const rf__verbs[] = {
	&rf__verb_split, &rf__verb_parse, &rf__verb_grep, &rf__verb_regex, &rf__verb_where, &rf__verb_eval, &rf__verb_lookup, &rf__verb_select, &rf__verb_head,
	&rf__verb_top_records, &rf__verb_sort_records, &rf__verb_count, &rf__verb_sum, &rf__verb_avg, &rf__verb_min, &rf__verb_max,
	&rf__verb_distinct, &rf__verb_p50, &rf__verb_p90, &rf__verb_p95, &rf__verb_p99, &rf__verb_quantile,
	&rf__verb_approx_distinct, &rf__verb_stddev, &rf__verb_variance, &rf__verb_stddev_pop, &rf__verb_var_pop,
	&rf__verb_histogram, &rf__verb_first, &rf__verb_last, &rf__verb_pct,
	NULL,
};
