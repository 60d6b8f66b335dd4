/* SPDX-License-Identifier: MIT */
/* value.c - numbers, timestamps and durations. */
#include "config.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "value.h"
#include "pow5_table.h"
#include "timezone.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static inline void trim_blanks(const char **p, size_t *len)
{
	while (*len && is_blank(**p))
		(*p)++, (*len)--;
	while (*len && is_blank((*p)[*len - 1]))
		(*len)--;
}

/* The exact way, for the rare number the fast paths cannot decide: strtod,
 * on a NUL-terminated copy of a text rf__parse_number_fast found well
 * formed (and trimmed).  A number of any length: 1 followed by 80 zeros is
 * one too.  A sort parses text on every comparison, so never allocate: a
 * long text goes to strtod as its first 800 significant digits, and a 1
 * after them if any digit left out is not 0.  That rounds to the same
 * double: every point where rounding turns (halfway between two doubles)
 * has fewer digits, so no such point lies between the two. */
static double strtod_of(const char *p, size_t len)
{
	char buf[RF_DECIMAL_DOUBLE_BUF + 40];
	size_t n = len;
	if (len < 72) {
		memcpy(buf, p, len);
	} else {
		struct rf_decimal x;
		if (rf__parse_decimal(p, len, &x) < 0)
			return NAN; /* not reached: the same syntax */
		size_t keep = x.n < 800 ? x.n : 800, k = 0;
		buf[k++] = x.neg ? '-' : '+';
		buf[k++] = '.';
		for (size_t j = 0; j < keep; j++)
			buf[k++] = (char)('0' + rf__decimal_digit(&x, j));
		for (size_t j = keep; j < x.n; j++)
			if (rf__decimal_digit(&x, j)) {
				buf[k++] = '1';
				break;
			}
		if (!x.n)
			buf[k++] = '0';
		n = k + (size_t)snprintf(buf + k, sizeof buf - k, "e%lld", (long long)x.exp);
	}
	buf[n] = 0;
	return strtod(buf, NULL);
}

static inline int is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

/* Powers of ten a double holds exactly: 10^22 is the last (5^22 < 2^53). */
static const double exact_pow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
				      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

#define DOUBLE_INF_BITS ((uint64_t)0x7ff << 52)

/* w * 10^q (w > 0 or not) rounded to the nearest double, ties to even, as
 * its bits: the Eisel-Lemire algorithm (Lemire, "Number Parsing at a
 * Gigabyte per Second", 2021).  w is scaled to fill 64 bits and multiplied
 * by 5^q from a table of 128-bit approximations; the powers of two in 10^q
 * only move the binary exponent.  The top 55 bits of the product give the
 * 53 of the double and a bit to round by.  -1 where the product cannot
 * decide them (proven not to happen for the table in pow5_table.h; checked
 * anyway, and the caller then asks strtod). */
static int eisel_lemire(uint64_t w, int64_t q, uint64_t *bits)
{
	if (w == 0 || q < RF_POW5_MIN) { /* below half the least subnormal */
		*bits = 0;
		return 0;
	}
	if (q > RF_POW5_MAX) { /* past the largest double */
		*bits = DOUBLE_INF_BITS;
		return 0;
	}
	int lz = __builtin_clzll(w);
	w <<= lz;
	const uint64_t *t = rf__pow5_128[q - RF_POW5_MIN];
	unsigned __int128 prod = (unsigned __int128)w * t[0];
	uint64_t hi = (uint64_t)(prod >> 64), lo = (uint64_t)prod;
	/* The 9 bits below the 55 all ones: a carry from w times the table's
	 * low half could still change the 55.  Add that product's top. */
	if ((hi & 0x1ff) == 0x1ff) {
		uint64_t more = (uint64_t)(((unsigned __int128)w * t[1]) >> 64);
		lo += more;
		hi += lo < more;
		/* Still one short of a carry, where the table itself is not
		 * exact (5^q within 128 bits for 0 <= q <= 55, and 1/5^q
		 * rounded up where 5^-q < 2^64): the paper's fallback. */
		if (lo == UINT64_MAX && (q < -27 || q > 55))
			return -1;
	}
	int upper = (int)(hi >> 63), shift = upper + 9;
	uint64_t m = hi >> shift; /* 54 bits: 53 and the rounding bit */
	/* floor(q * log2(10)) is 217706 * q / 2^16 rounded down for |q| < 400
	 * (GCC and Clang shift negative numbers arithmetically) */
	int e2 = (int)((217706 * q) >> 16) + 63 + upper - lz + 1023;
	if (e2 <= 0) { /* below the normal range */
		if (1 - e2 >= 64) {
			*bits = 0;
			return 0;
		}
		/* A tie cannot happen this far down: 5^-q is far past 64
		 * bits.  Rounding up to 2^52 makes the least normal double,
		 * which is what those bits read as. */
		m >>= 1 - e2;
		m += m & 1;
		*bits = m >> 1;
		return 0;
	}
	/* Exactly halfway between two doubles (the rounding bit set, all
	 * below it zero) rounds to the even one, not up.  Only possible
	 * where 5^q is exact, which for 19 digits means -4 <= q <= 23. */
	if (lo <= 1 && q >= -4 && q <= 23 && (m & 3) == 1 && (m << shift) == hi)
		m &= ~(uint64_t)1;
	m += m & 1;
	m >>= 1;
	if (m >= (uint64_t)2 << 52) { /* rounded up to the next power of two */
		m = (uint64_t)1 << 52;
		e2++;
	}
	if (e2 >= 0x7ff) {
		*bits = DOUBLE_INF_BITS;
		return 0;
	}
	*bits = (uint64_t)e2 << 52 | (m & (((uint64_t)1 << 52) - 1));
	return 0;
}

/* More than 19 digits, from `ip` (nint of them, before the point) and
 * `fp` (nfrac after it): the first 19 significant into *w, the power of
 * ten they stand at into *q (given e, the exponent written), and whether
 * a digit left out was not 0. */
static int first_19(const char *ip, size_t nint, const char *fp, size_t nfrac, int64_t e, uint64_t *w, int64_t *q)
{
	uint64_t v = 0;
	int n = 0, cut = 0;
	for (size_t k = 0; k < nint + nfrac; k++) {
		int after = k >= nint;
		unsigned d = (unsigned)((after ? fp[k - nint] : ip[k]) - '0');
		if (n < 19) { /* leading zeros are taken but not counted */
			v = v * 10 + d;
			n += v != 0;
			e -= after;
		} else {
			e += !after;
			cut |= d != 0;
		}
	}
	*w = v;
	*q = e;
	return cut;
}

int rf__parse_number_fast(const char *p, size_t len, struct rf_number *out)
{
	if (!p)
		return -1;
	trim_blanks(&p, &len);
	const char *s = p, *end = p + len;
	if (s == end)
		return -1;
	int neg = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	/* The digits into w as they come; past 19 of them it wraps, and
	 * first_19 reads them again. */
	const char *ip = s;
	uint64_t w = 0;
	while (s < end && is_digit(*s))
		w = w * 10 + (uint64_t)(*s++ - '0');
	size_t nint = (size_t)(s - ip);
	if (s == end && nint) {
		size_t zeros = 0;
		while (nint > 19 && zeros < nint && ip[zeros] == '0')
			zeros++;
		if (nint - zeros <= 19 && w <= (uint64_t)INT64_MAX + (uint64_t)neg) {
			out->is_int = 1;
			out->i = neg ? (int64_t)(0 - w) : (int64_t)w;
			out->d = (double)out->i;
			return 0;
		}
	}
	const char *fp = s;
	size_t nfrac = 0;
	if (s < end && *s == '.') {
		fp = ++s;
		while (s < end && is_digit(*s))
			w = w * 10 + (uint64_t)(*s++ - '0');
		nfrac = (size_t)(s - fp);
	}
	if (nint + nfrac == 0)
		return -1;
	int64_t e = 0;
	if (s < end && (*s == 'e' || *s == 'E')) {
		int eneg = 0;
		if (++s < end && (*s == '-' || *s == '+'))
			eneg = *s++ == '-';
		if (s == end || !is_digit(*s))
			return -1;
		for (; s < end && is_digit(*s); s++)
			if (e < (int64_t)1 << 56) /* far past any double; saturates */
				e = e * 10 + (*s - '0');
		e = eneg ? -e : e;
	}
	if (s != end)
		return -1;
	int64_t q = e - (int64_t)nfrac;
	int cut = nint + nfrac > 19 ? first_19(ip, nint, fp, nfrac, e, &w, &q) : 0;
	double d;
	out->is_int = 0;
	out->i = 0;
#if FLT_EVAL_METHOD == 0
	/* w and 10^|q| both exact doubles: one correctly rounded operation
	 * (Clinger's fast path), the usual case for numbers in logs */
	if (!cut && w <= (uint64_t)1 << 53 && q >= -22 && q <= 22) {
		d = (double)w;
		d = q < 0 ? d / exact_pow10[-q] : d * exact_pow10[q];
		out->d = neg ? -d : d;
		return 0;
	}
#endif
	uint64_t bits, up;
	if (eisel_lemire(w, q, &bits) < 0)
		return RF_NUMBER_SLOW;
	/* Digits were left out: the value lies between w and w + 1 at 10^q,
	 * and rounds as both ends do if they agree. */
	if (cut && (eisel_lemire(w + 1, q, &up) < 0 || up != bits))
		return RF_NUMBER_SLOW;
	memcpy(&d, &bits, sizeof d);
	out->d = neg ? -d : d;
	return 0;
}

int rf__parse_number(const char *p, size_t len, struct rf_number *out)
{
	int rc = rf__parse_number_fast(p, len, out);
	if (rc != RF_NUMBER_SLOW)
		return rc;
	trim_blanks(&p, &len);
	out->d = strtod_of(p, len);
	return 0;
}

int rf__parse_decimal(const char *s, size_t len, struct rf_decimal *x)
{
	if (!s)
		return -1;
	const char *p = s, *end = s + len;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	x->neg = 0;
	if (p < end && (*p == '-' || *p == '+'))
		x->neg = *p++ == '-';
	const char *m = p, *dot = NULL;
	for (; p < end && ((*p >= '0' && *p <= '9') || (*p == '.' && !dot)); p++)
		if (*p == '.')
			dot = p;
	const char *mend = p;
	if (mend - m - (dot != NULL) < 1)
		return -1;
	int64_t e = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		int eneg = 0;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		if (p == end || *p < '0' || *p > '9')
			return -1;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (e < (int64_t)1 << 56) /* far past any double; saturates */
				e = e * 10 + (*p - '0');
		e = eneg ? -e : e;
	}
	if (p != end)
		return -1;
	x->plain = !dot && mend == end;
	const char *f = m, *l = mend;
	while (f < mend && (*f == '0' || *f == '.'))
		f++;
	while (l > f && (l[-1] == '0' || l[-1] == '.'))
		l--;
	x->first = f;
	x->dot = dot && dot > f && dot < l ? dot : NULL;
	x->n = (size_t)(l - f) - (x->dot != NULL);
	if (!x->n) { /* zero, whatever its sign and exponent */
		x->neg = 0;
		x->exp = 0;
		return 0;
	}
	/* the digits before the point, less the zeros before `first` */
	int64_t before = (int64_t)((dot ? dot : mend) - m);
	int64_t skipped = (int64_t)(f - m) - (dot && dot < f);
	x->exp = before - skipped + e;
	return 0;
}

int rf__decimal_cmp(const struct rf_decimal *a, const struct rf_decimal *b)
{
	int sa = a->n ? (a->neg ? -1 : 1) : 0, sb = b->n ? (b->neg ? -1 : 1) : 0;
	if (sa != sb || sa == 0)
		return (sa > sb) - (sa < sb);
	/* the first digit is never 0: the larger exponent is the larger */
	int c = (a->exp > b->exp) - (a->exp < b->exp);
	for (size_t k = 0; !c && k < a->n && k < b->n; k++) {
		int da = rf__decimal_digit(a, k), db = rf__decimal_digit(b, k);
		c = (da > db) - (da < db);
	}
	if (!c) /* one is the other's start: the last digit is never 0 */
		c = (a->n > b->n) - (a->n < b->n);
	return sa < 0 ? -c : c;
}

int rf__decimal_floor(const struct rf_decimal *x, __int128 *out, int *frac)
{
	unsigned __int128 u = 0, lim = ((unsigned __int128)1 << 127) - 1 + (unsigned)x->neg;
	int more = 0;
	if (x->n && x->exp > 40) /* 10^39 is past 2^127 already */
		return -1;
	int64_t whole = x->n ? x->exp : 0;
	for (size_t k = 0; k < x->n; k++) {
		if ((int64_t)k >= whole) {
			more = 1; /* the last digit is not 0 */
			break;
		}
		unsigned dgt = (unsigned)rf__decimal_digit(x, k);
		if (u > (lim - dgt) / 10)
			return -1;
		u = u * 10 + dgt;
	}
	for (int64_t k = (int64_t)x->n; k < whole; k++) { /* zeros the exponent adds */
		if (u > lim / 10)
			return -1;
		u *= 10;
	}
	if (x->neg && more) { /* rounded down: -5.5 is -6 */
		if (u == lim)
			return -1;
		u++;
	}
	*out = x->neg ? (__int128)(0 - u) : (__int128)u;
	*frac = more;
	return 0;
}

int rf__decimal_of_double(double d, char *buf, struct rf_decimal *x)
{
	if (!isfinite(d))
		return -1;
	/* printf writes a double's exact digits (C99 asks for correct
	 * rounding; 766 after the first is all any double has) */
	int k = snprintf(buf, RF_DECIMAL_DOUBLE_BUF, "%.766e", d);
	if (k < 0 || k >= RF_DECIMAL_DOUBLE_BUF)
		return -1;
	return rf__parse_decimal(buf, (size_t)k, x);
}

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
					   "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const day_names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 1..n if p[0..3) names one of names[] (any case), else 0 */
static int name_of(const char *p, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (lower(p[0]) == names[i][0] && lower(p[1]) == names[i][1] && lower(p[2]) == names[i][2])
			return i + 1;
	return 0;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static inline int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : dim[m - 1];
}

/* A cursor over the text of a timestamp. */
struct tcur {
	const char *p;
	size_t i, n;
	int64_t frac_ns;   /* the fraction read, in nanoseconds (digits past 9 cut) */
};

static int at(const struct tcur *c, char ch)
{
	return c->i < c->n && c->p[c->i] == ch;
}

static int at_digit(const struct tcur *c)
{
	return c->i < c->n && c->p[c->i] >= '0' && c->p[c->i] <= '9';
}

/* exactly k digits */
static int digits(struct tcur *c, int k, int *out)
{
	int v = 0;
	for (int j = 0; j < k; j++) {
		if (!at_digit(c))
			return -1;
		v = v * 10 + (c->p[c->i++] - '0');
	}
	*out = v;
	return 0;
}

/* one to k digits */
static int digits_upto(struct tcur *c, int k, int *out)
{
	int v = 0, j = 0;
	while (j < k && at_digit(c))
		v = v * 10 + (c->p[c->i++] - '0'), j++;
	*out = v;
	return j ? 0 : -1;
}

static int word3(struct tcur *c, const char *const *names, int n)
{
	if (c->n - c->i < 3)
		return 0;
	int v = name_of(c->p + c->i, names, n);
	if (v)
		c->i += 3;
	return v;
}

static int skip_spaces(struct tcur *c)
{
	size_t i0 = c->i;
	while (at(c, ' '))
		c->i++;
	return c->i > i0;
}

/* Up to 9 digits of a fraction at p (n of them) as nanoseconds. */
static int64_t frac_digits_ns(const char *p, size_t n)
{
	int64_t v = 0;
	for (size_t j = 0; j < 9; j++)
		v = v * 10 + (j < n ? p[j] - '0' : 0);
	return v;
}

/* A fraction of a second: '.' or ',' and digits, kept in c->frac_ns
 * (rf__parse_time drops it: whole seconds, rounded down). */
static int fraction(struct tcur *c)
{
	if (!at(c, '.') && !at(c, ','))
		return 0;
	c->i++;
	if (!at_digit(c))
		return -1;
	size_t f = c->i;
	while (at_digit(c))
		c->i++;
	c->frac_ns = frac_digits_ns(c->p + f, c->i - f);
	return 0;
}

/* Time zone: Z, UTC, GMT, UT, +hh, +hhmm, +hh:mm (or -); offset in seconds
 * east of UTC.  0 if one was read, 1 if there is none here, -1 if it is
 * malformed, RF_TIME_INVALID if out of range. */
static int zone(struct tcur *c, int *off)
{
	*off = 0;
	size_t left = c->n - c->i;
	const char *p = c->p + c->i;
	if (left >= 3 && ((lower(p[0]) == 'u' && lower(p[1]) == 't' && lower(p[2]) == 'c') ||
			  (lower(p[0]) == 'g' && lower(p[1]) == 'm' && lower(p[2]) == 't'))) {
		c->i += 3;
		return 0;
	}
	if (left >= 2 && lower(p[0]) == 'u' && lower(p[1]) == 't') {
		c->i += 2;
		return 0;
	}
	if (left >= 1 && lower(p[0]) == 'z') {
		c->i++;
		return 0;
	}
	if (left == 0 || (p[0] != '+' && p[0] != '-'))
		return 1;
	int sign = p[0] == '-' ? -1 : 1, hh, mm = 0;
	c->i++;
	if (digits(c, 2, &hh) < 0)
		return -1;
	if (at(c, ':')) {
		c->i++;
		if (digits(c, 2, &mm) < 0)
			return -1;
	} else if (at_digit(c) && digits(c, 2, &mm) < 0) {
		return -1;
	}
	if (hh > 23 || mm > 59)
		return RF_TIME_INVALID;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

struct civil {
	int y, mo, d, h, mi, s, off;
};

static inline int finish_time(const struct civil *t, int64_t *out)
{
	if (t->mo < 1 || t->mo > 12 || t->d < 1 || (t->d > 28 && t->d > days_in_month(t->y, t->mo)) || t->h > 23 ||
	    t->mi > 59 || t->s > 60)
		return RF_TIME_INVALID;
	*out = days_from_civil(t->y, (unsigned)t->mo, (unsigned)t->d) * 86400 + t->h * 3600 + t->mi * 60 + t->s -
	       t->off;
	return 0;
}

/* "hh:mm:ss[.fff]" (or "hh:mm" when seconds are optional) */
static int clock_time(struct tcur *c, struct civil *t, int seconds_optional)
{
	if (digits(c, 2, &t->h) < 0 || !at(c, ':'))
		return -1;
	c->i++;
	if (digits(c, 2, &t->mi) < 0)
		return -1;
	t->s = 0;
	if (at(c, ':')) {
		c->i++;
		if (digits(c, 2, &t->s) < 0 || fraction(c) < 0)
			return -1;
	} else if (!seconds_optional) {
		return -1;
	}
	return 0;
}

/* an optional zone, after optional spaces, then the end */
static int zone_then_end(struct tcur *c, struct civil *t, int64_t *out)
{
	size_t i0 = c->i;
	skip_spaces(c);
	int z = zone(c, &t->off);
	if (z == 1)
		c->i = i0; /* no zone: UTC */
	else if (z != 0)
		return z;
	if (c->i != c->n)
		return -1;
	return finish_time(t, out);
}

/* ISO 8601 / RFC 3339: 2024-03-01, 2024-03-01T10:00[:00[.fff]][zone],
 * a space or a lowercase t for the T */
static int iso(struct tcur *c, int64_t *out)
{
	struct civil t = { 0 };
	if (digits(c, 4, &t.y) < 0 || !at(c, '-'))
		return -1;
	c->i++;
	if (digits(c, 2, &t.mo) < 0 || !at(c, '-'))
		return -1;
	c->i++;
	if (digits(c, 2, &t.d) < 0)
		return -1;
	if (c->i == c->n)
		return finish_time(&t, out);
	if (!at(c, 'T') && !at(c, 't') && !at(c, ' '))
		return -1;
	c->i++;
	if (clock_time(c, &t, 1) < 0)
		return -1;
	return zone_then_end(c, &t, out);
}

/* combined log: 01/Mar/2024:10:00:00 +0000 (the brackets are taken off) */
static int clf(struct tcur *c, int64_t *out)
{
	struct civil t = { 0 };
	if (digits(c, 2, &t.d) < 0 || !at(c, '/'))
		return -1;
	c->i++;
	if (!(t.mo = word3(c, month_names, 12)) || !at(c, '/'))
		return -1;
	c->i++;
	if (digits(c, 4, &t.y) < 0 || !at(c, ':'))
		return -1;
	c->i++;
	if (clock_time(c, &t, 0) < 0)
		return -1;
	return zone_then_end(c, &t, out);
}

/* RFC 1123 / 2822: [Fri, ]1 Mar 2024 10:00[:00] GMT (the weekday is not
 * checked against the date) */
static int rfc2822(struct tcur *c, int64_t *out)
{
	struct civil t = { 0 };
	if (word3(c, day_names, 7)) {
		if (!at(c, ','))
			return -1;
		c->i++;
		skip_spaces(c);
	}
	if (digits_upto(c, 2, &t.d) < 0 || !skip_spaces(c) || !(t.mo = word3(c, month_names, 12)) ||
	    !skip_spaces(c) || digits(c, 4, &t.y) < 0 || !skip_spaces(c) || clock_time(c, &t, 1) < 0)
		return -1;
	return zone_then_end(c, &t, out);
}

/* syslog (RFC 3164): Mar  1 10:00:00, no year: default_year */
static int syslog_time(struct tcur *c, int default_year, int64_t *out)
{
	struct civil t = { 0 };
	t.y = default_year;
	if (!(t.mo = word3(c, month_names, 12)) || !skip_spaces(c) || digits_upto(c, 2, &t.d) < 0 ||
	    !skip_spaces(c) || clock_time(c, &t, 0) < 0 || c->i != c->n)
		return -1;
	return finish_time(&t, out);
}

/* Epoch time: 9 to 11 digits are seconds, 12 to 14 milliseconds, 15 to 17
 * microseconds, 18 or 19 nanoseconds; *out gets whole seconds, c->frac_ns
 * the rest (a fraction of the unit included, cut at nanoseconds). */
static int epoch(struct tcur *c, int64_t *out)
{
	uint64_t v = 0;
	size_t i0 = c->i;
	while (at_digit(c))
		v = v * 10 + (uint64_t)(c->p[c->i++] - '0');
	size_t nd = c->i - i0;
	if (nd < 9 || nd > 19 || fraction(c) < 0 || c->i != c->n)
		return -1;
	uint64_t div = nd <= 11 ? 1 : nd <= 14 ? 1000 : nd <= 17 ? 1000000 : 1000000000;
	*out = (int64_t)(v / div);
	/* nanoseconds in one unit, and the fraction of a unit in them */
	uint64_t unit = 1000000000 / div;
	c->frac_ns = (int64_t)((v % div) * unit + (uint64_t)c->frac_ns / div);
	return 0;
}

/* The general parser: text already trimmed, at least 6 bytes.  *frac_ns
 * (if not NULL) gets the fraction of a second. */
static int parse_general_frac(const char *p, size_t len, int default_year, int64_t *out, int64_t *frac_ns)
{
	struct tcur c = { p, 0, len, 0 };
	int r;
	if (p[0] >= '0' && p[0] <= '9') {
		if (p[4] == '-')
			r = iso(&c, out);
		else if (p[2] == '/')
			r = clf(&c, out);
		else if (p[1] == ' ' || p[2] == ' ')
			r = rfc2822(&c, out);
		else
			r = epoch(&c, out);
	} else if (len > 4 && p[3] == ',') {
		r = rfc2822(&c, out);
	} else {
		r = syslog_time(&c, default_year, out);
	}
	if (frac_ns)
		*frac_ns = c.frac_ns;
	return r;
}

static int parse_general(const char *p, size_t len, int default_year, int64_t *out)
{
	return parse_general_frac(p, len, default_year, out, NULL);
}

/* ---- the fast path ------------------------------------------------------
 * The two forms logs mostly carry, read at fixed places: the combined
 * log's `10/Oct/2000:13:55:36 -0700` and ISO 8601's
 * `2024-03-01T10:00:00[.fff][Z|+hh:mm|+hhmm|+hh]`.  A text that does not
 * fit the layout exactly goes to the general parser, so the two always
 * agree; the range checks are the general parser's own (finish_time). */

#define NOT_FAST RF_TIME_NOT_FAST

/* 2 or 4 digits at p, else -1 */
static inline int two_digits(const char *p)
{
	unsigned a = (unsigned)(unsigned char)p[0] - '0', b = (unsigned)(unsigned char)p[1] - '0';
	return (a < 10) & (b < 10) ? (int)(a * 10 + b) : -1;
}

static inline int four_digits(const char *p)
{
	int hi = two_digits(p), lo = two_digits(p + 2);
	return hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
}

/* The month of a 3-letter name in any case (as name_of), else 0. */
static int month_of(const char *p)
{
	uint32_t w = (uint32_t)(unsigned char)lower(p[0]) << 16 | (uint32_t)(unsigned char)lower(p[1]) << 8 |
		     (uint32_t)(unsigned char)lower(p[2]);
	switch (w) {
#define M3(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
	case M3('j', 'a', 'n'): return 1;
	case M3('f', 'e', 'b'): return 2;
	case M3('m', 'a', 'r'): return 3;
	case M3('a', 'p', 'r'): return 4;
	case M3('m', 'a', 'y'): return 5;
	case M3('j', 'u', 'n'): return 6;
	case M3('j', 'u', 'l'): return 7;
	case M3('a', 'u', 'g'): return 8;
	case M3('s', 'e', 'p'): return 9;
	case M3('o', 'c', 't'): return 10;
	case M3('n', 'o', 'v'): return 11;
	case M3('d', 'e', 'c'): return 12;
#undef M3
	default: return 0;
	}
}

/* A zone's hours and minutes into an offset, checked as zone() does. */
static int fast_zone(int sign, int hh, int mm, int *off)
{
	if (hh < 0 || mm < 0)
		return NOT_FAST;
	if (hh > 23 || mm > 59)
		return RF_TIME_INVALID;
	*off = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return 0;
}

/* `dd/Mon/yyyy:hh:mm:ss +hhmm`, exactly 26 bytes */
static int fast_clf(const char *p, size_t len, int64_t *out, struct rf_time_shape *sh)
{
	if (len != 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[14] != ':' || p[17] != ':' ||
	    p[20] != ' ' || (p[21] != '+' && p[21] != '-'))
		return NOT_FAST;
	struct civil t;
	t.d = two_digits(p);
	t.y = four_digits(p + 7);
	t.h = two_digits(p + 12);
	t.mi = two_digits(p + 15);
	t.s = two_digits(p + 18);
	if ((t.d | t.y | t.h | t.mi | t.s) < 0 || !(t.mo = month_of(p + 3)))
		return NOT_FAST;
	int r = fast_zone(p[21], two_digits(p + 22), two_digits(p + 24), &t.off);
	if (r)
		return r;
	sh->sec = 18;
	sh->frac = sh->frac_end = 0;
	return finish_time(&t, out);
}

/* `yyyy-mm-ddThh:mm:ss`, a fraction, then nothing, Z, or a numeric zone */
static int fast_iso(const char *p, size_t len, int64_t *out, struct rf_time_shape *sh)
{
	if (len < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    p[13] != ':' || p[16] != ':')
		return NOT_FAST;
	struct civil t;
	t.y = four_digits(p);
	t.mo = two_digits(p + 5);
	t.d = two_digits(p + 8);
	t.h = two_digits(p + 11);
	t.mi = two_digits(p + 14);
	t.s = two_digits(p + 17);
	t.off = 0;
	if ((t.y | t.mo | t.d | t.h | t.mi | t.s) < 0)
		return NOT_FAST;
	size_t i = 19, f = 0, fe = 0;
	if (i < len && (p[i] == '.' || p[i] == ',')) {
		f = ++i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == f)
			return NOT_FAST;
		fe = i;
	}
	size_t left = len - i;
	int r = 0;
	if (left == 0 || (left == 1 && (p[i] == 'Z' || p[i] == 'z')))
		r = 0;
	else if (p[i] != '+' && p[i] != '-')
		return NOT_FAST;
	else if (left == 6 && p[i + 3] == ':')
		r = fast_zone(p[i], two_digits(p + i + 1), two_digits(p + i + 4), &t.off);
	else if (left == 5)
		r = fast_zone(p[i], two_digits(p + i + 1), two_digits(p + i + 3), &t.off);
	else if (left == 3)
		r = fast_zone(p[i], two_digits(p + i + 1), 0, &t.off);
	else
		return NOT_FAST;
	if (r)
		return r;
	sh->sec = 17;
	sh->frac = f;
	sh->frac_end = fe;
	return finish_time(&t, out);
}

/* Blanks around and brackets taken off: 0 if what is left may be a time. */
static inline int trim_time(const char **pp, size_t *lenp)
{
	const char *p = *pp;
	size_t len = *lenp;
	if (!p)
		return -1;
	while (len && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']')
		p++, len -= 2;
	*pp = p;
	*lenp = len;
	return len < 6 ? -1 : 0;
}

int rf__parse_time_fast(const char *p, size_t len, int64_t *out, struct rf_time_shape *sh)
{
	const char *p0 = p;
	sh->sec = sh->frac = sh->frac_end = 0;
	if (trim_time(&p, &len) < 0)
		return NOT_FAST;
	int r = p[0] >= '0' && p[0] <= '9' && p[4] == '-' ? fast_iso(p, len, out, sh)
		: p[2] == '/' ? fast_clf(p, len, out, sh) : NOT_FAST;
	if (sh->sec) {
		/* places in the text as given, blanks and brackets included */
		size_t at = (size_t)(p - p0);
		sh->sec += at;
		if (sh->frac)
			sh->frac += at, sh->frac_end += at;
	}
	return r;
}

int rf__parse_time_general(const char *p, size_t len, int default_year, int64_t *out)
{
	if (trim_time(&p, &len) < 0)
		return -1;
	return parse_general(p, len, default_year, out);
}

int rf__parse_time(const char *p, size_t len, int default_year, int64_t *out)
{
	struct rf_time_shape sh;
	int r = rf__parse_time_fast(p, len, out, &sh);
	return r != NOT_FAST ? r : rf__parse_time_general(p, len, default_year, out);
}

int rf__parse_time_ns(const char *p, size_t len, int default_year, int64_t *ns)
{
	struct rf_time_shape sh;
	int64_t s, frac = 0;
	int r = rf__parse_time_fast(p, len, &s, &sh);
	if (r == NOT_FAST) {
		const char *q = p;
		size_t n = len;
		if (trim_time(&q, &n) < 0)
			return RF_TIME_UNKNOWN;
		r = parse_general_frac(q, n, default_year, &s, &frac);
	} else if (r == 0 && sh.frac) {
		frac = frac_digits_ns(p + sh.frac, sh.frac_end - sh.frac);
	}
	if (r < 0)
		return r;
	if (__builtin_mul_overflow(s, (int64_t)1000000000, &s) || __builtin_add_overflow(s, frac, ns))
		return RF_TIME_INVALID;
	return 0;
}

/* ---- the last time parsed -------------------------------------------------
 * Log lines in a row share their timestamp, or all of it but the seconds
 * (and a fraction of them): the same text is the same answer, and a text
 * that differs only there is the last instant moved by the difference in
 * seconds.  Seconds 00 to 60 are all valid (60: a leap second, counted as
 * the next minute's first), so that difference is the whole check. */

void rf__time_cache_init(struct rf_time_cache *c)
{
	c->len = SIZE_MAX;
}

static int digits_only(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* Are n bytes at a and b the same?  A word at a time, the last word
 * overlapping: timestamps are short, and a call to memcmp costs more. */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return 0;
		return 1;
	}
	uint64_t x, y;
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return 0;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

/* The answer from the cache: 1 if it has none for this text. */
static int cache_lookup(struct rf_time_cache *c, const char *p, size_t len, int default_year, int64_t *out)
{
	if (len != c->len || default_year != c->year)
		return 1;
	const struct rf_time_shape *sh = &c->shape;
	size_t s = sh->sec, f = sh->frac, fe = sh->frac_end, e = f ? f : len;
	int sec;
	if (same_bytes(p, c->text, len)) {
		if (c->rc == 0)
			*out = c->t;
		return c->rc;
	}
	/* the same but for the seconds and the fraction's digits */
	if (c->rc == 0 && s && same_bytes(p, c->text, s) && (sec = two_digits(p + s)) >= 0 && sec <= 60 &&
	    same_bytes(p + s + 2, c->text + s + 2, e - s - 2) &&
	    (!f || (digits_only(p + f, fe - f) && same_bytes(p + fe, c->text + fe, len - fe)))) {
		c->t += sec - two_digits(c->text + s);
		memcpy(c->text + s, p + s, 2);
		if (f)
			memcpy(c->text + f, p + f, fe - f);
		*out = c->t;
		return 0;
	}
	return 1;
}

int rf__parse_time_cached(struct rf_time_cache *c, const char *p, size_t len, int default_year, int64_t *out)
{
	if (!p)
		return -1;
	int r = cache_lookup(c, p, len, default_year, out);
	if (r != 1)
		return r;
	int64_t t = 0;
	struct rf_time_shape sh = { 0, 0, 0 };
	r = rf__parse_time_fast(p, len, &t, &sh);
	if (r == NOT_FAST) {
		r = rf__parse_time_general(p, len, default_year, &t);
		sh.sec = 0;
	}
	if (r == 0)
		*out = t;
	if (len <= sizeof c->text) {
		memcpy(c->text, p, len);
		c->len = len;
		c->year = default_year;
		c->rc = r;
		c->t = t;
		c->shape = sh;
	} else {
		c->len = SIZE_MAX;
	}
	return r;
}

/* The civil date and time of local seconds t. */
static void civil_of(int64_t t, int64_t *y, unsigned *m, unsigned *d, int *sec_of_day)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	*sec_of_day = (int)(t - days * 86400);
	/* civil_from_days */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int rf__format_time(int64_t t, char *buf)
{
	int64_t y;
	unsigned m, d;
	int rem;
	civil_of(t, &y, &m, &d, &rem);
	return snprintf(buf, 32, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, rem / 3600,
			rem / 60 % 60, rem % 60);
}

/* t (seconds) and a fraction in tz; frac_ns 0: none shown */
static int format_in_zone(int64_t t, int64_t frac_ns, const struct rf_tz *tz, int date_only, char *buf)
{
	int32_t off = rf__tz_offset(tz, t);
	int64_t y;
	unsigned m, d;
	int rem;
	civil_of(t + off, &y, &m, &d, &rem);
	if (date_only)
		return snprintf(buf, RF_TIME_BUF, "%04lld-%02u-%02u", (long long)y, m, d);
	int n = snprintf(buf, RF_TIME_BUF, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d, rem / 3600,
			 rem / 60 % 60, rem % 60);
	if (frac_ns) {
		char f[16];
		int k = snprintf(f, sizeof f, "%09lld", (long long)frac_ns);
		while (k > 1 && f[k - 1] == '0')
			k--;
		n += snprintf(buf + n, (size_t)(RF_TIME_BUF - n), ".%.*s", k, f);
	}
	if (rf__tz_is_utc(tz)) {
		buf[n++] = 'Z';
		buf[n] = 0;
		return n;
	}
	int a = off < 0 ? -off : off;
	n += snprintf(buf + n, (size_t)(RF_TIME_BUF - n), "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	if (a % 60) /* an old local mean time: seconds, outside RFC 3339 */
		n += snprintf(buf + n, (size_t)(RF_TIME_BUF - n), ":%02d", a % 60);
	return n;
}

int rf__format_time_ns(int64_t ns, const struct rf_tz *tz, char *buf)
{
	int64_t s = ns / 1000000000, f = ns % 1000000000;
	if (f < 0)
		s--, f += 1000000000;
	return format_in_zone(s, f, tz, 0, buf);
}

int rf__format_time_tz(int64_t t, const struct rf_tz *tz, int date_only, char *buf)
{
	return format_in_zone(t, 0, tz, date_only, buf);
}

int rf__format_double(double d, char *buf, size_t cap)
{
	if (isnan(d))
		return snprintf(buf, cap, "nan");
	if (isinf(d))
		return snprintf(buf, cap, d > 0 ? "inf" : "-inf");
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return snprintf(buf, cap, "%.0f", d == 0 ? 0.0 : d);
	/* the shortest %g precision that reads back to the same double: from
	 * 1, for a subnormal (5e-324) reads back from fewer digits than %.6g
	 * prints; for every other double the shorter ones print the same */
	for (int prec = 1; prec <= 17; prec++) {
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
