/* SPDX-License-Identifier: MIT */
/* aggregate.h - group-by aggregation with mergeable states. */
#ifndef RF_AGGREGATE_H
#define RF_AGGREGATE_H

#include "engine.h"
#include "strmap.h"
#include "table.h"

enum rf_agg_func { RF_AGG_COUNT, RF_AGG_SUM, RF_AGG_AVG, RF_AGG_MIN, RF_AGG_MAX, RF_AGG_DISTINCT,
		   RF_AGG_QUANTILE, RF_AGG_APPROX, RF_AGG_STDDEV, RF_AGG_VARIANCE, RF_AGG_STDDEV_POP,
		   RF_AGG_VAR_POP, RF_AGG_FIRST, RF_AGG_LAST, RF_AGG_HISTOGRAM };

struct rf_agg_spec {
	enum rf_agg_func func;
	struct rf_fieldref field;   /* unused for count */
	double q;                   /* quantile; histogram: the bucket width */
	int pct;                    /* a count printed as its share of all (pct) */
	char *label;                /* column name: count, sum(bytes), p99(ms) */
};

enum rf_key_kind { RF_KEY_FIELD, RF_KEY_BUCKET, RF_KEY_NBUCKET };

struct rf_key_spec {
	enum rf_key_kind kind;
	struct rf_fieldref field;
	int nalt;                   /* minute/hour/day: more names to try */
	struct rf_fieldref alt[4];
	int64_t bucket_s;           /* bucket width in seconds */
	double width;               /* RF_KEY_NBUCKET: a number's bucket width */
	char *label;
};

#define RF_MAX_KEYS 8
#define RF_MAX_AGGS 16

struct rf_agg_config;
/* An aggregate whose state is not groups of cells but its own (a custom
 * stage, plugin.c): the runner's calls on the state come through these.
 * Its config has no keys and no aggregates. */
struct rf_agg_custom {
	int (*open)(const struct rf_agg_config *cfg, const struct rf_kernels *k, void **state);
	void (*close)(void *state);
	int (*process)(void *state, struct rf_batch *b);
	int (*merge)(void *dst, void *src);
	int (*encode)(void *state, char **out, size_t *out_len);
	int (*decode_merge)(void *state, const char *p, size_t n);
	int (*result)(void *state, struct rf_table **out);
	int (*columns)(const struct rf_agg_config *cfg, struct rf_colset *cols);
};

struct rf_agg_config {
	const struct rf_agg_custom *custom; /* NULL: the built-in aggregates */
	int nkeys, naggs;
	struct rf_key_spec key[RF_MAX_KEYS];
	struct rf_agg_spec agg[RF_MAX_AGGS];
	int count_only;             /* only count: whole batches need no rows */
	int syslog_year;
	struct rf_agg_lang *lang;   /* expressions (stage_aggregate.c), or NULL */
};

/* The state of one aggregation: groups and their per-aggregate cells. */
struct rf_agg_state;

struct rf_agg_state *rf__agg_new(const struct rf_agg_config *cfg, const struct rf_kernels *k);
void rf__agg_free(struct rf_agg_state *st);
int rf__agg_process(struct rf_agg_state *st, struct rf_batch *b);
/* The stage a record with a time key whose time is no valid timestamp is
 * rejected through (rf__reject_why); without one such records are only
 * left out. */
void rf__agg_set_stage(struct rf_agg_state *st, struct rf_stage *stage);
/* From now on fold only the records whose group falls in share `part` of
 * `nparts` (by a hash of the key; nparts <= 1: all of them), so that two
 * instances can take one batch's records between them, each its own
 * groups; a bad time key is reported by share 0 only.  -EINVAL for an
 * aggregate without keys. */
int rf__agg_set_part(struct rf_agg_state *st, unsigned nparts, unsigned part);
/* Fold src into dst (same config): afterwards dst is the state of both
 * inputs together.  src is left unchanged. */
int rf__agg_merge(struct rf_agg_state *dst, const struct rf_agg_state *src);
/* No more groups will be added to st or looked up in it (it is only read,
 * or merged into another): its hash index is freed. */
void rf__agg_drop_index(struct rf_agg_state *st);
/* The result: one row per group, keys ascending.  Its key strings point
 * into the state: free the table before the state changes or is freed. */
int rf__agg_table(const struct rf_agg_state *st, struct rf_table **out);
/* The same, with flags: RF_AGG_UNSORTED leaves the rows in group order
 * (a sort follows, whose ties the keys break: the same order in the end);
 * RF_AGG_FINAL drops the hash index first (no more input will come), so
 * its memory is free for the table.  -EOVERFLOW when the table would take
 * the process past the limit (rf__agg_set_limit). */
#define RF_AGG_UNSORTED 1
#define RF_AGG_FINAL 2
int rf__agg_result(struct rf_agg_state *st, int flags, struct rf_table **out);
/* The resident bytes the process may reach (statm_fd: /proc/self/statm),
 * checked before the result table is built; 0: no limit. */
void rf__agg_set_limit(struct rf_agg_state *st, uint64_t limit, int statm_fd);
/* 0 when `more` bytes fit under that limit, else -EOVERFLOW, and
 * rf__agg_at_limit tells the resident bytes they would have made. */
int rf__agg_room(struct rf_agg_state *st, uint64_t more);
uint64_t rf__agg_at_limit(const struct rf_agg_state *st);
/* The limit moved by delta bytes (when there is one): what a merge holds
 * of its inputs, mapped or read, is not the state's. */
void rf__agg_limit_adjust(struct rf_agg_state *st, int64_t delta);
/* At most this many buckets in a histogram's group: past it the result
 * is refused (-EDOM). */
#define RF_HIST_MAX 1000
/* Bytes the state uses (groups, keys, cells, sets and sketches). */
size_t rf__agg_bytes(const struct rf_agg_state *st);
uint64_t rf__agg_groups(const struct rf_agg_state *st);
/* Values an aggregate skipped (missing or not numbers). */
uint64_t rf__agg_skipped(const struct rf_agg_state *st, int agg);
/* Records a numeric bucket key left out (its value missing or no number). */
uint64_t rf__agg_key_skipped(const struct rf_agg_state *st, int key);
/* Groups whose quantile `agg` lands on a number past the double range,
 * and so prints as inf or -inf, outside the sketch's error bound. */
uint64_t rf__agg_beyond(const struct rf_agg_state *st, int agg);
const struct rf_agg_config *rf__agg_config(const struct rf_agg_state *st);

/* The stages an aggregate's expressions need around it (stage_aggregate.c):
 * *pre an eval of its hidden fields (bit 0 of the result), *post the
 * table stage that computes its columns (bit 1). */
struct rf_stage_spec;
int rf__agg_synth(struct rf_stage_spec *agg, struct rf_stage_spec *pre, struct rf_stage_spec *post);

/* The partial-aggregate format (see aggregate.c): a versioned, checksummed
 * byte string of a state, and its decoding merged into another state of the
 * same query.  Decoding refuses (-EBADMSG) anything damaged or foreign. */
int rf__agg_encode(const struct rf_agg_state *st, char **out, size_t *out_len);
int rf__agg_decode_merge(struct rf_agg_state *dst, const char *p, size_t n);
/* Many encoded states merged into dst, as rf__agg_decode_merge of each in
 * turn (the inputs of state i numbered after input_base) would, but a part
 * of the hash space at a time, in up to `threads` threads: the merge stays
 * in the cache however large the states.  On failure *bad is the index of
 * the state at fault (for -EBADMSG), and dst may be half-merged. */
struct rf_agg_blob {
	const char *p;
	size_t n;
	uint32_t input_base;
};
int rf__agg_decode_merge_many(struct rf_agg_state *dst, const struct rf_agg_blob *blobs, size_t n, int threads,
			      int flags, size_t *bad);
/* flags: dst's result is all that will be asked of it (it is printed, not
 * merged or encoded again), so each merged quantile sketch can give way
 * to one of its one answer as soon as its part is merged: the merge's
 * memory is that of a part, not of all the sketches (an empty dst only). */
#define RF_AGG_MERGE_FINAL 1
/* A SIGBUS in a worker thread (a mapped state cut short) made the merge
 * fail with -EIO. */
#define RF_AGG_MERGE_BUS (-EIO)
/* The partial format's checksum of a payload (a harness that wraps
 * payloads of its own in a valid header computes it). */
uint64_t rf__agg_payload_sum(const char *p, size_t n);
/* The inputs of the states decoded next are numbered after `base` inputs
 * (first and last pick by input, then offset): a merge of partials made
 * over different inputs, in the order given. */
void rf__agg_set_input_base(struct rf_agg_state *st, uint32_t base);

#endif
