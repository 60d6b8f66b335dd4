/* SPDX-License-Identifier: MIT */
/* tval.c - the conversions of typed values (tval.h): to numbers, times,
 * addresses and text. */
#include "config.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "engine.h"

/* A duration: one or more of NUMBER UNIT, units ns us (or µs) ms s m h
 * d w, an optional sign; exact in integers (1.5h is 5400000000000 ns), -1
 * past int64 nanoseconds. */
int rf__parse_duration_ns(const char *p, size_t n, int64_t *out)
{
	static const struct {
		const char *u;
		int64_t ns;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		      { "m", 60000000000LL }, { "h", 3600000000000LL }, { "d", 86400000000000LL },
		      { "w", 604800000000000LL } };
	size_t i = 0;
	int neg = 0;
	if (i < n && (p[i] == '-' || p[i] == '+'))
		neg = p[i++] == '-';
	if (i == n)
		return -1;
	__int128 total = 0;
	while (i < n) {
		__int128 whole = 0, frac = 0, scale = 1;
		size_t s = i;
		while (i < n && isdigit((unsigned char)p[i])) {
			whole = whole * 10 + (p[i++] - '0');
			if (whole > (__int128)INT64_MAX)
				return -1;
		}
		if (i < n && p[i] == '.') {
			i++;
			while (i < n && isdigit((unsigned char)p[i])) {
				if (scale < (__int128)1000000000000000000LL) {
					frac = frac * 10 + (p[i] - '0');
					scale *= 10;
				}
				i++;
			}
		}
		if (i == s || (i == s + 1 && p[s] == '.') || i == n)
			return -1;
		size_t us = i;
		while (i < n && !isdigit((unsigned char)p[i]) && p[i] != '.')
			i++;
		size_t k;
		for (k = 0; k < sizeof units / sizeof *units; k++)
			if (strlen(units[k].u) == i - us && memcmp(units[k].u, p + us, i - us) == 0)
				break;
		if (k == sizeof units / sizeof *units)
			return -1;
		total += whole * units[k].ns + frac * units[k].ns / scale;
		if (total > (__int128)INT64_MAX)
			return -1;
	}
	*out = (int64_t)(neg ? -total : total);
	return 0;
}

int rf__tv_truthy(const struct rf_tv *v)
{
	switch (v->type) {
	case RF_TV_NULL: return 0;
	case RF_TV_BOOL:
	case RF_TV_INT: return v->u.i != 0;
	case RF_TV_FLOAT: return v->u.d != 0 && !isnan(v->u.d);
	case RF_TV_STR: return v->len > 0;
	default: return 1;
	}
}

int rf__tv_to_number(const struct rf_tv *v, struct rf_tv *out)
{
	struct rf_number n;
	switch (v->type) {
	case RF_TV_INT:
	case RF_TV_FLOAT:
		*out = *v;
		return 0;
	case RF_TV_BOOL:
		*out = rf_tv_int(v->u.i);
		return 0;
	case RF_TV_STR:
		if (rf__parse_number(v->u.s, v->len, &n) < 0)
			return -1;
		*out = n.is_int ? rf_tv_int(n.i) : rf_tv_float(n.d);
		return 0;
	default:
		return -1;
	}
}

/* The year of a stamp without one (syslog's "Nov  3 07:01:02"): this year
 * in UTC, as the aggregate's buckets and --since read it, so that where
 * and time() agree with count by minute.  Read once a process. */
static int stamp_year(void)
{
	static int year;
	int y = __atomic_load_n(&year, __ATOMIC_RELAXED);
	if (!y) {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		y = tm.tm_year + 1900;
		__atomic_store_n(&year, y, __ATOMIC_RELAXED);
	}
	return y;
}

int rf__tv_to_time(const struct rf_tv *v, struct rf_tv *out)
{
	if (v->type == RF_TV_TIME) {
		*out = *v;
		return 0;
	}
	if (v->type != RF_TV_STR)
		return -1;
	int64_t ns;
	if (rf__parse_time_ns(v->u.s, v->len, stamp_year(), &ns) != 0)
		return -1;
	*out = (struct rf_tv){ .type = RF_TV_TIME, .u.i = ns };
	return 0;
}

int rf__tv_to_ip(const struct rf_tv *v, struct rf_tv *out)
{
	if (v->type == RF_TV_IP) {
		*out = *v;
		return 0;
	}
	/* a NUL would end the text early for inet_pton: "1.2.3.4\0x" is
	 * not an address */
	if (v->type != RF_TV_STR || v->len == 0 || v->len >= 64 || memchr(v->u.s, '\0', v->len))
		return -1;
	char buf[64];
	memcpy(buf, v->u.s, v->len);
	buf[v->len] = '\0';
	struct rf_tv r = { .type = RF_TV_IP };
	struct in_addr a4;
	if (!memchr(buf, ':', v->len)) {
		/* dotted quads only, no octet with a leading zero (010 is
		 * octal to some readers and decimal to others) */
		for (const char *q = buf; *q; q++)
			if (*q == '0' && q[1] >= '0' && q[1] <= '9' && (q == buf || q[-1] == '.'))
				return -1;
		if (inet_pton(AF_INET, buf, &a4) != 1)
			return -1;
		r.u.ip[10] = r.u.ip[11] = 0xff;
		memcpy(r.u.ip + 12, &a4, 4);
		r.len = 4;
	} else {
		if (inet_pton(AF_INET6, buf, r.u.ip) != 1)
			return -1;
		r.len = 16;
	}
	*out = r;
	return 0;
}

/* Go's time.Duration.String: 1h2m3.5s, 1.5ms, 250ns, 0s. */
static int format_duration(int64_t d, char *buf, size_t cap)
{
	if (d == 0)
		return snprintf(buf, cap, "0s");
	uint64_t u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
	const char *sign = d < 0 ? "-" : "";
	char frac[16];
	if (u < 1000000000ULL) {
		/* below a second: the largest unit that keeps a whole part */
		uint64_t unit = u < 1000 ? 1 : u < 1000000 ? 1000 : 1000000;
		const char *name = unit == 1 ? "ns" : unit == 1000 ? "\xc2\xb5s" : "ms";
		int digits = unit == 1 ? 0 : unit == 1000 ? 3 : 6;
		int n = snprintf(frac, sizeof frac, ".%0*" PRIu64, digits, u % unit);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
		if (n == 1)
			frac[0] = '\0';
		return snprintf(buf, cap, "%s%" PRIu64 "%s%s", sign, u / unit, digits ? frac : "", name);
	}
	uint64_t s = u / 1000000000ULL, ns = u % 1000000000ULL;
	int n = snprintf(frac, sizeof frac, ".%09" PRIu64, ns);
	while (n > 1 && frac[n - 1] == '0')
		frac[--n] = '\0';
	if (n == 1)
		frac[0] = '\0';
	uint64_t h = s / 3600, m = s / 60 % 60;
	s %= 60;
	if (h)
		return snprintf(buf, cap, "%s%" PRIu64 "h%" PRIu64 "m%" PRIu64 "%ss", sign, h, m, s, frac);
	if (m)
		return snprintf(buf, cap, "%s%" PRIu64 "m%" PRIu64 "%ss", sign, m, s, frac);
	return snprintf(buf, cap, "%s%" PRIu64 "%ss", sign, s, frac);
}

/* An IPv6 address as RFC 5952 writes it (section 4: lower case, no leading
 * zeros, the longest run of two or more zero groups as ::, the first of
 * equal runs; section 5: an IPv4-mapped address ends in dotted quads).
 * inet_ntop differs: it writes ::2 as ::0.0.0.2 and any ::a.b.c.d so. */
static int format_ip6(const uint8_t *ip, char *buf, size_t cap)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char t[48];
	int n = 0, best = -1, bestn = 1;
	unsigned w[8];
	if (memcmp(ip, mapped, 12) == 0) {
		n = snprintf(t, sizeof t, "::ffff:%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
	} else {
		for (int i = 0; i < 8; i++)
			w[i] = (unsigned)ip[2 * i] << 8 | ip[2 * i + 1];
		for (int i = 0; i < 8; i++) {
			int j = i;
			while (j < 8 && w[j] == 0)
				j++;
			if (j - i > bestn)
				best = i, bestn = j - i;
			i = j > i ? j - 1 : i;
		}
		for (int i = 0; i < 8; i++) {
			if (i == best) {
				n += snprintf(t + n, sizeof t - (size_t)n, "::");
				i += bestn - 1;
				continue;
			}
			if (i && i != best + bestn)
				t[n++] = ':';
			n += snprintf(t + n, sizeof t - (size_t)n, "%x", w[i]);
		}
	}
	if ((size_t)n >= cap)
		return -1;
	memcpy(buf, t, (size_t)n + 1);
	return n;
}

int rf__tv_format(const struct rf_tv *v, const struct rf_tz *tz, char *buf, size_t cap)
{
	struct rf_number num;
	switch (v->type) {
	case RF_TV_INT:
		num = (struct rf_number){ 1, v->u.i, (double)v->u.i };
		return rf__format_number(&num, buf, cap);
	case RF_TV_FLOAT:
		return rf__format_double(v->u.d, buf, cap);
	case RF_TV_BOOL:
		return snprintf(buf, cap, "%s", v->u.i ? "true" : "false");
	case RF_TV_TIME:
		return cap >= RF_TIME_BUF ? rf__format_time_ns(v->u.i, tz, buf) : -1;
	case RF_TV_DUR:
		return format_duration(v->u.i, buf, cap);
	case RF_TV_IP:
		if (v->len == 4)
			return inet_ntop(AF_INET, v->u.ip + 12, buf, (socklen_t)cap) ? (int)strlen(buf) : -1;
		return format_ip6(v->u.ip, buf, cap);
	default:
		return -1;
	}
}

int rf__tv_to_text(const struct rf_tv *v, struct rf_fn_env *env, struct rf_tv *out)
{
	if (v->type == RF_TV_STR) {
		*out = *v;
		return 0;
	}
	if (v->type == RF_TV_NULL) {
		*out = *v;
		return 0;
	}
	char buf[128];
	int n = rf__tv_format(v, env->tz, buf, sizeof buf);
	if (n < 0 || (size_t)n >= sizeof buf)
		return -1;
	char *p = env->alloc(env->user, (size_t)n ? (size_t)n : 1);
	if (!p) {
		env->error = -ENOMEM;
		return -1;
	}
	memcpy(p, buf, (size_t)n);
	*out = rf_tv_str(p, (size_t)n);
	return 0;
}
