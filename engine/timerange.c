/* SPDX-License-Identifier: MIT */
/* timerange.c - --since / --until.
 *
 * The range is [since, until): since inclusive, until exclusive, in
 * nanoseconds.  A record whose time is outside is dropped; so is one with
 * no time that reads (counted apart, shown by --stats): a range asks for
 * records of a time, and one without cannot be said to be in it.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "testhooks.h"
#include "timezone.h"
#include "timerange.h"
#include "value.h"

#define NS 1000000000LL

int64_t rf__time_now_ns(void)
{
	const struct rf_test_hooks *h = rf__test_hooks();
	if (h->now_set)
		return h->now_ns;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The local midnight `days_back` days before the day of now, in tz. */
static int64_t midnight(const struct rf_tz *tz, int64_t now_ns, int days_back)
{
	int64_t s = floor_div(now_ns, NS);
	int64_t day = floor_div(s + rf__tz_offset(tz, s), 86400) - days_back;
	return rf__tz_local_to_utc(tz, day * 86400) * NS;
}

int rf__time_arg(const char *text, const struct rf_tz *tz, int64_t now_ns, int64_t *ns, char *err,
		 size_t errlen)
{
	size_t len = strlen(text);
	int year;
	{
		time_t now = (time_t)floor_div(now_ns, NS);
		struct tm tm;
		gmtime_r(&now, &tm);
		year = tm.tm_year + 1900;
	}
	if (strcmp(text, "now") == 0) {
		*ns = now_ns;
		return 0;
	}
	if (strcmp(text, "today") == 0 || strcmp(text, "yesterday") == 0) {
		*ns = midnight(tz, now_ns, text[0] == 'y');
		return 0;
	}
	int64_t d;
	if (rf__parse_duration(text, len, &d) == 0) {
		if (__builtin_sub_overflow(now_ns, d, ns)) {
			snprintf(err, errlen, "'%s' is too long ago", text);
			return -1;
		}
		return 0;
	}
	int64_t t;
	int r = rf__parse_time_ns(text, len, year, &t);
	if (r < 0) {
		snprintf(err, errlen,
			 r == RF_TIME_INVALID ? "'%s' is no possible time"
					      : "'%s' is no time (like 2026-11-01, '2026-11-01 10:00', 1h, 30m, 2d, today, yesterday)",
			 text);
		return -1;
	}
	/* without a zone the text is on tz's clock: a zone written after
	 * it reads only when there is none in it already */
	char buf[256];
	int64_t probe;
	if (!rf__tz_is_utc(tz) && len + 8 < sizeof buf) {
		snprintf(buf, sizeof buf, "%s +01:00", text);
		if (rf__parse_time_ns(buf, strlen(buf), year, &probe) == 0) {
			int64_t s = floor_div(t, NS), f = t - s * NS;
			t = rf__tz_local_to_utc(tz, s) * NS + f;
		}
	}
	*ns = t;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* the first [...] of the record */
static int bracket_time(const struct rf_timerange *tr, const char *p, size_t len, int64_t *ns)
{
	const char *o = memchr(p, '[', len);
	if (!o)
		return -1;
	const char *c = memchr(o, ']', len - (size_t)(o - p));
	if (!c)
		return -1;
	return rf__parse_time_ns(o + 1, (size_t)(c - o - 1), tr->year, ns) == 0 ? 0 : -1;
}

int rf__record_time(const struct rf_timerange *tr, const char *p, size_t len, int64_t *ns)
{
	while (len && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	if (tr->where == RF_TIME_BRACKET)
		return bracket_time(tr, p, len, ns);
	if (len && p[0] == '[')
		return bracket_time(tr, p, len, ns);
	/* the first three words, two, one (2026-11-01 10:00:00 +0200, a date
	 * and a clock, an ISO or epoch word), then a syslog stamp's 15 bytes */
	size_t w[3], e = 0;
	for (int k = 0; k < 3; k++) {
		if (k)
			e++; /* one blank between words */
		while (e < len && !is_blank(p[e]))
			e++;
		w[k] = e;
	}
	for (int k = 2; k >= 0; k--)
		if (w[k] <= len && (k == 0 || w[k] > w[k - 1] + 1) && w[k] >= 6 &&
		    rf__parse_time_ns(p, w[k], tr->year, ns) == 0)
			return 0;
	if (len >= 15 && rf__parse_time_ns(p, 15, tr->year, ns) == 0)
		return 0;
	return bracket_time(tr, p, len, ns);
}

int rf__timerange_filter(const struct rf_timerange *tr, struct rf_batch *b, const struct rf_stage *st,
			 uint64_t *outside, uint64_t *no_time)
{
	int r = rf__batch_expand(b, st->k);
	if (r < 0)
		return r;
	uint8_t *keep = (uint8_t *)rf__batch_alloc(b, b->nsel ? b->nsel : 1);
	if (!keep)
		return -ENOMEM;
	uint64_t out = 0, none = 0;
	int dropped = 0;
	for (uint32_t i = 0; i < b->nsel; i++) {
		int64_t t;
		if (tr->keep_header && b->input_start && b->sel[i].off == 0) {
			keep[i] = 1;
			continue;
		}
		if (rf__record_time(tr, b->data + b->sel[i].off, b->sel[i].len, &t) < 0) {
			keep[i] = 0;
			none++;
		} else {
			keep[i] = t >= tr->since && t < tr->until;
			out += !keep[i];
		}
		dropped |= !keep[i];
	}
	if (dropped)
		rf__batch_filter(b, keep);
	*outside += out;
	*no_time += none;
	return 0;
}

/* ---- the seek ------------------------------------------------------------ */

#define PROBE_READ ((size_t)64 << 10)
#define PROBE_MAX ((uint64_t)1 << 20)
#define MAX_PROBES 256

struct seek {
	const struct rf_timerange *tr;
	int fd;
	uint64_t size;
	char *buf;
	int n;                       /* probes made */
	uint64_t at[MAX_PROBES];     /* their lines' starts */
	int64_t t[MAX_PROBES];       /* and times */
};

/* The first line with a time that starts at or after x (x itself when it
 * is 0 or follows a newline): its start and time.  -1: none within
 * PROBE_MAX bytes, the end of the file, or a read error. */
static int probe(struct seek *s, uint64_t x, uint64_t *start, int64_t *t)
{
	uint64_t pos = x ? x - 1 : 0, limit = x + PROBE_MAX;
	int at_line = x == 0; /* pos is a line's start */
	size_t have = 0, used = 0;
	for (;;) {
		if (used == have) {
			if (pos >= s->size || pos >= limit)
				return -1;
			ssize_t n = pread(s->fd, s->buf, PROBE_READ, (off_t)pos);
			if (n <= 0)
				return -1;
			have = (size_t)n;
			used = 0;
		}
		char *b = s->buf + used;
		char *nl = memchr(b, '\n', have - used);
		if (!at_line) {
			if (!nl) {
				pos += have - used;
				used = have;
				continue;
			}
			pos += (uint64_t)(nl + 1 - b);
			used += (size_t)(nl + 1 - b);
			at_line = 1;
			continue;
		}
		if (!nl && used > 0) {
			have = used; /* read the line again from its start */
			continue;
		}
		size_t len = nl ? (size_t)(nl - b) : have - used;
		if (rf__record_time(s->tr, b, len, t) == 0) {
			*start = pos;
			s->n++;
			if (s->n <= MAX_PROBES) {
				s->at[s->n - 1] = pos;
				s->t[s->n - 1] = *t;
			}
			return 0;
		}
		if (!nl)
			return -1; /* a line longer than a read, without a time */
		pos += len + 1;
		used += len + 1;
	}
}

/* The largest probed line start whose time is below `bound` (0 if none),
 * or with `above`, the smallest whose time is `bound` or more (size if
 * none).  -1 if a probe found no time. */
static int search(struct seek *s, int64_t bound, int above, uint64_t *out)
{
	uint64_t lo = 0, hi = s->size, best = above ? s->size : 0, start;
	int64_t t;
	if (probe(s, 0, &start, &t) < 0)
		return -1;
	if (!above && t >= bound) {
		*out = 0;
		return 0;
	}
	if (above && t >= bound) {
		*out = start;
		return 0;
	}
	if (!above)
		best = start;
	while (hi - lo > PROBE_READ) {
		uint64_t mid = lo + (hi - lo) / 2;
		int r = probe(s, mid, &start, &t);
		if (r < 0 || start >= hi) {
			/* no time between mid and hi (or past it): look lower */
			if (r < 0 && hi - mid > PROBE_MAX)
				return -1;
			hi = mid;
			continue;
		}
		if (t < bound) {
			lo = mid;
			if (!above)
				best = start;
		} else {
			hi = mid;
			if (above)
				best = start;
		}
	}
	*out = best;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int rf__timerange_seek(const struct rf_timerange *tr, int fd, uint64_t size, int64_t slack, uint64_t *lo,
		       uint64_t *hi)
{
	struct seek s = { .tr = tr, .fd = fd, .size = size };
	if (!(s.buf = malloc(PROBE_READ)))
		return -1;
	int r = 0;
	*lo = 0;
	*hi = size;
	int64_t b;
	if (tr->since != INT64_MIN && !__builtin_sub_overflow(tr->since, slack, &b))
		r = search(&s, b, 0, lo);
	if (r == 0 && tr->until != INT64_MAX && !__builtin_add_overflow(tr->until, slack, &b))
		r = search(&s, b, 1, hi);
	/* and at 32 places evenly spread: the probes, in file order, must
	 * not step back by more than the slack, else the file is not ordered
	 * enough to be searched */
	for (int k = 1; r == 0 && k < 32 && (*lo > 0 || *hi < size); k++) {
		uint64_t start;
		int64_t t;
		(void)probe(&s, size / 32 * (uint64_t)k, &start, &t);
	}
	int n = s.n < MAX_PROBES ? s.n : MAX_PROBES;
	struct { uint64_t at; int64_t t; } p[MAX_PROBES];
	for (int i = 0; i < n; i++)
		p[i].at = s.at[i], p[i].t = s.t[i];
	qsort(p, (size_t)n, sizeof p[0], cmp_u64);
	int64_t top = INT64_MIN;
	for (int i = 0; r == 0 && i < n; i++) {
		if (top != INT64_MIN && p[i].t < top - slack)
			r = -1;
		if (p[i].t > top)
			top = p[i].t;
	}
	if (s.n > MAX_PROBES || *lo > *hi)
		r = -1;
	free(s.buf);
	return r;
}
