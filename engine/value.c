/* value.c - numbers, timestamps and durations. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "value.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int rf__parse_number(const char *p, size_t len, struct rf_number *out)
{
	if (!p)
		return -1;
	while (len && is_blank(*p))
		p++, len--;
	while (len && is_blank(p[len - 1]))
		len--;
	if (len == 0 || len > 64)
		return -1;
	size_t i = 0;
	int neg = 0;
	if (p[i] == '-' || p[i] == '+')
		neg = p[i++] == '-';
	size_t digits_start = i;
	uint64_t u = 0;
	int overflow = 0;
	while (i < len && p[i] >= '0' && p[i] <= '9') {
		unsigned dgt = (unsigned)(p[i] - '0');
		if (u > (UINT64_MAX - dgt) / 10)
			overflow = 1;
		else
			u = u * 10 + dgt;
		i++;
	}
	size_t int_digits = i - digits_start;
	if (i == len && int_digits > 0 && !overflow &&
	    u <= (uint64_t)INT64_MAX + (uint64_t)neg) {
		out->is_int = 1;
		out->i = neg ? (int64_t)(0 - u) : (int64_t)u;
		out->d = (double)out->i;
		return 0;
	}
	/* Fractions, exponents and big integers: let strtod decide, on a
	 * NUL-terminated copy, and refuse what it does not consume entirely
	 * (also "inf" and "nan", which are words in logs, not numbers). */
	size_t frac_digits = 0;
	if (i < len && p[i] == '.') {
		i++;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++, frac_digits++;
	}
	if (int_digits + frac_digits == 0)
		return -1;
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < len && (p[i] == '-' || p[i] == '+'))
			i++;
		size_t e0 = i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == e0)
			return -1;
	}
	if (i != len)
		return -1;
	char buf[72];
	memcpy(buf, p, len);
	buf[len] = 0;
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (end != buf + len)
		return -1;
	out->is_int = 0;
	out->i = 0;
	out->d = d;
	return 0;
}

static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static int month_of(const char *p)
{
	for (int m = 0; m < 12; m++)
		if (p[0] == month_names[m][0] && p[1] == month_names[m][1] && p[2] == month_names[m][2])
			return m + 1;
	return 0;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int num(const char *p, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static int64_t make_time(int y, int mo, int d, int h, int mi, int s)
{
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
}

static int valid(int mo, int d, int h, int mi, int s)
{
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
}

/* "+0700", "-07:00", "Z": offset in seconds east of UTC; returns bytes used
 * or -1. */
static int parse_zone(const char *p, size_t len, int *off)
{
	if (len >= 1 && p[0] == 'Z') {
		*off = 0;
		return 1;
	}
	if (len < 5 || (p[0] != '+' && p[0] != '-'))
		return -1;
	int hh, mm, used;
	if (num(p + 1, 2, &hh) < 0)
		return -1;
	if (p[3] == ':') {
		if (len < 6 || num(p + 4, 2, &mm) < 0)
			return -1;
		used = 6;
	} else {
		if (num(p + 3, 2, &mm) < 0)
			return -1;
		used = 5;
	}
	*off = (hh * 3600 + mm * 60) * (p[0] == '-' ? -1 : 1);
	return used;
}

int rf__parse_time(const char *p, size_t len, int default_year, int64_t *out)
{
	if (!p)
		return -1;
	if (len && p[0] == '[')
		p++, len--;
	if (len && p[len - 1] == ']')
		len--;
	int y, mo, d, h, mi, s, off = 0;
	/* combined log: 10/Oct/2000:13:55:36 -0700 */
	if (len >= 20 && p[2] == '/' && p[6] == '/' && p[11] == ':') {
		mo = month_of(p + 3);
		if (!mo || num(p, 2, &d) < 0 || num(p + 7, 4, &y) < 0 || num(p + 12, 2, &h) < 0 ||
		    p[14] != ':' || num(p + 15, 2, &mi) < 0 || p[17] != ':' || num(p + 18, 2, &s) < 0)
			return -1;
		size_t i = 20;
		if (i < len && p[i] == ' ') {
			int z = parse_zone(p + i + 1, len - i - 1, &off);
			if (z < 0)
				return -1;
			i += 1 + (size_t)z;
		}
		if (i != len || !valid(mo, d, h, mi, s))
			return -1;
		*out = make_time(y, mo, d, h, mi, s) - off;
		return 0;
	}
	/* ISO 8601: 2000-10-10T13:55:36[.fff][Z|+hh:mm] */
	if (len >= 19 && p[4] == '-' && p[7] == '-' && (p[10] == 'T' || p[10] == ' ')) {
		if (num(p, 4, &y) < 0 || num(p + 5, 2, &mo) < 0 || num(p + 8, 2, &d) < 0 ||
		    num(p + 11, 2, &h) < 0 || p[13] != ':' || num(p + 14, 2, &mi) < 0 || p[16] != ':' ||
		    num(p + 17, 2, &s) < 0)
			return -1;
		size_t i = 19;
		if (i < len && (p[i] == '.' || p[i] == ',')) {
			i++;
			while (i < len && p[i] >= '0' && p[i] <= '9')
				i++;
		}
		if (i < len) {
			int z = parse_zone(p + i, len - i, &off);
			if (z < 0)
				return -1;
			i += (size_t)z;
		}
		if (i != len || !valid(mo, d, h, mi, s))
			return -1;
		*out = make_time(y, mo, d, h, mi, s) - off;
		return 0;
	}
	/* syslog: Oct 10 13:55:36 (day may be space-padded) */
	if (len >= 15 && p[3] == ' ' && p[9] == ':' && p[12] == ':' && (mo = month_of(p))) {
		char dd[2] = { p[4] == ' ' ? '0' : p[4], p[5] };
		if (num(dd, 2, &d) < 0 || p[6] != ' ' || num(p + 7, 2, &h) < 0 || num(p + 10, 2, &mi) < 0 ||
		    num(p + 13, 2, &s) < 0 || len != 15 || !valid(mo, d, h, mi, s))
			return -1;
		*out = make_time(default_year, mo, d, h, mi, s);
		return 0;
	}
	/* epoch seconds */
	struct rf_number n;
	if (len >= 9 && len <= 20 && rf__parse_number(p, len, &n) == 0 && n.d >= 0 && n.d < 1e11) {
		*out = (int64_t)n.d;
		return 0;
	}
	return -1;
}

int rf__format_time(int64_t t, char *buf)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;
	/* civil_from_days */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	return snprintf(buf, 32, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
			(int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

int rf__format_double(double d, char *buf, size_t cap)
{
	if (isnan(d))
		return snprintf(buf, cap, "nan");
	if (isinf(d))
		return snprintf(buf, cap, d > 0 ? "inf" : "-inf");
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return snprintf(buf, cap, "%.0f", d == 0 ? 0.0 : d);
	/* the shortest %g precision that reads back to the same double */
	for (int prec = 6; prec <= 17; prec++) {
		int n = snprintf(buf, cap, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return n;
	}
	return snprintf(buf, cap, "%.17g", d);
}

int rf__format_number(const struct rf_number *n, char *buf, size_t cap)
{
	if (n->is_int)
		return snprintf(buf, cap, "%lld", (long long)n->i);
	return rf__format_double(n->d, buf, cap);
}

int rf__parse_duration(const char *p, size_t len, int64_t *ns)
{
	size_t i = 0;
	double v = 0, scale = 1;
	int seen = 0, dot = 0;
	while (i < len && ((p[i] >= '0' && p[i] <= '9') || (p[i] == '.' && !dot))) {
		if (p[i] == '.')
			dot = 1;
		else if (dot)
			v += (p[i] - '0') * (scale /= 10);
		else
			v = v * 10 + (p[i] - '0');
		seen = 1;
		i++;
	}
	if (!seen)
		return -1;
	const char *u = p + i;
	size_t ul = len - i;
	double mul;
	if (ul == 2 && !memcmp(u, "ms", 2))
		mul = 1e6;
	else if (ul == 1 && *u == 's')
		mul = 1e9;
	else if (ul == 1 && *u == 'm')
		mul = 60e9;
	else if (ul == 1 && *u == 'h')
		mul = 3600e9;
	else if (ul == 1 && *u == 'd')
		mul = 86400e9;
	else
		return -1;
	double t = v * mul;
	if (t <= 0 || t > 9.2e18)
		return -1;
	*ns = (int64_t)t;
	return 0;
}
