/* SPDX-License-Identifier: MIT */
/* timezone.h - time zones for --tz: fixed offsets and IANA zones read from
 * their TZif files (the process's TZ is never touched: this is a library). */
#ifndef RF_TIMEZONE_H
#define RF_TIMEZONE_H

#include <stddef.h>
#include <stdint.h>

struct rf_tz;

/* A zone by name: UTC (Z, GMT), a fixed offset (+05:30, -0800, +05, or
 * UTC+05:30), or an IANA name (Europe/Berlin) found under $TZDIR or
 * /usr/share/zoneinfo.  0 and *out, or -1 with a message in err. */
int rf__tz_open(const char *name, struct rf_tz **out, char *err, size_t errlen);
void rf__tz_free(struct rf_tz *tz);
/* The name as given. */
const char *rf__tz_name(const struct rf_tz *tz);
/* Whether it is UTC itself (NULL is UTC too). */
int rf__tz_is_utc(const struct rf_tz *tz);

/* The offset east of UTC in seconds at instant t (seconds since the epoch). */
int32_t rf__tz_offset(const struct rf_tz *tz, int64_t t);

/* The instant whose local time in tz is `local` (seconds since the epoch
 * counted on the local clock).  A local time that happens twice (the hour
 * a clock goes back) gives the earlier instant; one that never happens (the
 * hour a clock skips) gives the first instant after the gap. */
int64_t rf__tz_local_to_utc(const struct rf_tz *tz, int64_t local);

/* The start of t's bucket of `width` seconds on the local clock: a width
 * of whole days starts at local midnight (DST days are 23 or 25 hours long),
 * others at multiples of the width on the local clock (an hour in a zone
 * at +05:30 starts at :30 UTC).  In UTC, t rounded down to the width. */
int64_t rf__tz_floor(const struct rf_tz *tz, int64_t t, int64_t width);

#endif
