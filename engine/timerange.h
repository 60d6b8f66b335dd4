/* SPDX-License-Identifier: MIT */
/* timerange.h - --since / --until: the times they name, and the filter
 * that drops the records outside [since, until). */
#ifndef RF_TIMERANGE_H
#define RF_TIMERANGE_H

#include <stddef.h>
#include <stdint.h>

struct rf_tz;
struct rf_batch;
struct rf_stage;

/* Where a record's time is: the first [...] of the line (parse combined
 * or common), or at the line's start (no parse stage, split, csv, tsv,
 * regex): a first word or two in any rf__parse_time form, a syslog stamp,
 * or else the first [...] of the line. */
enum rf_time_where { RF_TIME_AT_START, RF_TIME_BRACKET };

struct rf_timerange {
	int64_t since, until;        /* nanoseconds; INT64_MIN / INT64_MAX: open */
	enum rf_time_where where;
	int year;                    /* syslog stamps carry none */
	int keep_header;             /* csv, tsv: an input's first record stays */
};

/* A --since or --until argument as nanoseconds since the epoch: a time in
 * any rf__parse_time form (without a zone: on tz's clock), `now`, `today`,
 * `yesterday` (tz's midnights), or a duration (1h, 30m, 2d: now minus it).
 * `now_ns`: the present.  0, or -1 with a message in err. */
int rf__time_arg(const char *text, const struct rf_tz *tz, int64_t now_ns, int64_t *ns, char *err,
		 size_t errlen);

/* The present for --since/--until: the clock, or RINGFLOW_TEST_NOW. */
int64_t rf__time_now_ns(void);

/* A record's time (nanoseconds), or -1 if it has none that reads. */
int rf__record_time(const struct rf_timerange *tr, const char *p, size_t len, int64_t *ns);

/* The seek: the bytes [*lo, *hi) of a regular file of `size` bytes that
 * hold every line of the range, found by binary search with pread on
 * lines' times, on the assumption that no line's time is more than `slack`
 * nanoseconds before a time of a line above it.  The probes are checked to
 * be in that order; 0 with the range, or -1 when the file cannot be
 * searched (probes out of order, a stretch of 1 MiB without a time, a read
 * error): read it all. */
int rf__timerange_seek(const struct rf_timerange *tr, int fd, uint64_t size, int64_t slack, uint64_t *lo,
		       uint64_t *hi);

/* Keep only the batch's records inside the range.  Counts those dropped
 * into *outside and *no_time.  0 or a negative errno. */
int rf__timerange_filter(const struct rf_timerange *tr, struct rf_batch *b, const struct rf_stage *st,
			 uint64_t *outside, uint64_t *no_time);

#endif
