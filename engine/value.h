/* value.h - field values: byte ranges into a record (or the batch arena),
 * and the conversions the language needs (numbers, timestamps). */
#ifndef RF_VALUE_H
#define RF_VALUE_H

#include <stddef.h>
#include <stdint.h>

/* A field value.  len < 0 means the field is missing. */
struct rf_value {
	const char *p;
	int32_t len;
};

#define RF_MISSING ((struct rf_value){ NULL, -1 })

static inline int rf_value_missing(struct rf_value v)
{
	return v.len < 0;
}

/* A number as the language sees it: integers stay exact. */
struct rf_number {
	int is_int;
	int64_t i;
	double d;    /* always set, also for integers */
};

/* Parse a whole value as a number: optional sign, digits, optional fraction
 * and exponent, surrounding blanks allowed.  0 on success, -1 if it is not a
 * number (or empty, or missing). */
int rf__parse_number(const char *p, size_t len, struct rf_number *out);

/* Parse a timestamp: combined-log "10/Oct/2000:13:55:36 -0700" (brackets
 * optional), ISO 8601 "2000-10-10T13:55:36Z" / "+07:00" / fraction / space
 * instead of T, syslog "Oct 10 13:55:36" (year from `default_year`), or
 * epoch seconds (10 digits, optional fraction).  Seconds since the epoch,
 * UTC; 0 on success, -1 if not a timestamp. */
int rf__parse_time(const char *p, size_t len, int default_year, int64_t *out);

/* "2000-10-10T20:55:36Z" into buf (at least 21 bytes); returns length. */
int rf__format_time(int64_t t, char *buf);

/* A number in the stable output form: integers as integers, others in the
 * shortest form that reads back to the same double.  Returns length. */
int rf__format_number(const struct rf_number *n, char *buf, size_t cap);
int rf__format_double(double d, char *buf, size_t cap);

/* Parse a duration such as 5s, 1m, 2h, 1d, 500ms into nanoseconds;
 * -1 if malformed. */
int rf__parse_duration(const char *p, size_t len, int64_t *ns);

#endif
