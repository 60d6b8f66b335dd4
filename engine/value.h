/* SPDX-License-Identifier: MIT */
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

/* The same without strtod: the fast paths alone (integers, Clinger's, the
 * Eisel-Lemire algorithm), or RF_NUMBER_SLOW where they cannot decide and
 * rf__parse_number asks strtod (more than 19 significant digits whose
 * ends round apart).  Here for the tests. */
#define RF_NUMBER_SLOW 1
int rf__parse_number_fast(const char *p, size_t len, struct rf_number *out);

/* A number's exact decimal value, read in place from its text (any form
 * and length rf__parse_number takes): the significant digits, no leading
 * or trailing zeros and the point skipped, n of them from `first`, times
 * 10^(exp - n): digits "123" with exp 5 is 12300, with exp 0 is 0.123.
 * Zero has n 0 and no sign.  The text must outlive it. */
struct rf_decimal {
	int neg;
	int plain; /* an integer literal: digits alone, no point or exponent */
	const char *first, *dot; /* dot: the point, if it lies among the digits */
	size_t n;
	int64_t exp;
};

/* 0 and *x, or -1 if the text is no number. */
int rf__parse_decimal(const char *p, size_t len, struct rf_decimal *x);

/* Digit k (0 to n - 1) of x, 0 to 9. */
static inline int rf__decimal_digit(const struct rf_decimal *x, size_t k)
{
	const char *p = x->first + k;
	return (x->dot && p >= x->dot ? p[1] : p[0]) - '0';
}

/* The exact order of two decimals: -1, 0 (equal values: 1, 1.0, 10e-1)
 * or 1. */
int rf__decimal_cmp(const struct rf_decimal *a, const struct rf_decimal *b);

/* The integer part of x rounded down (-5.5 is -6) into *out, and in
 * *frac whether x has more than that; -1 past 128 bits. */
int rf__decimal_floor(const struct rf_decimal *x, __int128 *out, int *frac);

/* A finite double's exact value (every double is a decimal with at most
 * 767 significant digits), written into buf, which x points into: 0, or
 * -1 for an infinity or NaN. */
#define RF_DECIMAL_DOUBLE_BUF 800
int rf__decimal_of_double(double d, char *buf, struct rf_decimal *x);

/* Parse a timestamp into seconds since the epoch, UTC (a fraction of a
 * second is dropped, rounding down).  Recognised, blanks around allowed:
 *   ISO 8601 / RFC 3339  2024-03-01, 2024-03-01T10:00, 2024-03-01 10:00:00,
 *                        seconds with a fraction (. or ,), zones below
 *   combined log         01/Mar/2024:10:00:00 +0000, brackets optional
 *   RFC 1123 / 2822      Fri, 01 Mar 2024 10:00:00 GMT (weekday optional,
 *                        not checked; seconds optional)
 *   syslog (RFC 3164)    Mar  1 10:00:00 - no year in it: `default_year`
 *   epoch                9-11 digits seconds, 12-14 milliseconds, 15-17
 *                        microseconds, 18-19 nanoseconds; fraction allowed
 * Zones: Z, UTC, GMT, UT, +05, +0530, +05:30 (or -), optionally after a
 * space; none means UTC.  Month and day names in any case.
 * Returns 0, RF_TIME_UNKNOWN if the text is no timestamp form, or
 * RF_TIME_INVALID for a known form with an impossible value: day 30 of
 * February, month 13, hour 24, minute 60, second 61, a zone of 24 hours or
 * more.  Second 60 (a leap second) counts as the next minute's first. */
#define RF_TIME_UNKNOWN (-1)
#define RF_TIME_INVALID (-2)
int rf__parse_time(const char *p, size_t len, int default_year, int64_t *out);

/* The same, through the fast path for the combined-log and the plain ISO
 * forms alone: RF_TIME_NOT_FAST if the text does not fit their layouts,
 * else what rf__parse_time returns.  `shape` gets where the seconds (and
 * a fraction's digits) are.  rf__parse_time_general is the other half:
 * the general parser alone.  Both are here for the tests. */
#define RF_TIME_NOT_FAST 1
struct rf_time_shape {
	size_t sec;             /* the two digits of the seconds; 0: unknown */
	size_t frac, frac_end;  /* the digits of a fraction; 0, 0: none */
};
int rf__parse_time_fast(const char *p, size_t len, int64_t *out, struct rf_time_shape *shape);
int rf__parse_time_general(const char *p, size_t len, int default_year, int64_t *out);

/* rf__parse_time with a memory of the last text parsed: the same text, or
 * one that differs only in its seconds (and a fraction), is answered
 * without parsing it again.  Same results as rf__parse_time. */
struct rf_time_cache {
	size_t len;             /* of text; SIZE_MAX: empty */
	int year, rc;           /* default_year, and the result */
	int64_t t;
	struct rf_time_shape shape;
	char text[64];
};
void rf__time_cache_init(struct rf_time_cache *c);
int rf__parse_time_cached(struct rf_time_cache *c, const char *p, size_t len, int default_year, int64_t *out);

/* rf__parse_time keeping the fraction: nanoseconds since the epoch (digits
 * past the ninth are cut).  Same codes; RF_TIME_INVALID also for an instant
 * outside int64 nanoseconds (before 1677, after 2262). */
int rf__parse_time_ns(const char *p, size_t len, int default_year, int64_t *ns);

/* "2000-10-10T20:55:36Z" into buf (at least 21 bytes); returns length. */
int rf__format_time(int64_t t, char *buf);

/* RFC 3339 in zone tz (timezone.h; NULL: UTC): the fraction when it is not
 * zero (trailing zeros cut), Z in UTC, else the offset
 * (2026-11-01T10:00:00.25+01:00).  buf: at least RF_TIME_BUF bytes. */
#define RF_TIME_BUF 48
struct rf_tz;
int rf__format_time_ns(int64_t ns, const struct rf_tz *tz, char *buf);
/* Seconds since the epoch in tz: the same without a fraction, or the
 * local date alone (2026-11-01) when `date_only`. */
int rf__format_time_tz(int64_t t, const struct rf_tz *tz, int date_only, char *buf);

/* A number in the stable output form: integers as integers, others in the
 * shortest form that reads back to the same double.  Returns length. */
int rf__format_number(const struct rf_number *n, char *buf, size_t cap);
int rf__format_double(double d, char *buf, size_t cap);

/* Parse a duration such as 5s, 1m, 2h, 1d, 500ms into nanoseconds;
 * -1 if malformed. */
int rf__parse_duration(const char *p, size_t len, int64_t *ns);

#endif
