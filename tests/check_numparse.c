/* SPDX-License-Identifier: MIT */
/* check_numparse.c - number conversion without strtod (rf__parse_number):
 * every result bit for bit against the C library (strtod, strtoll) and a
 * POSIX regular expression of the grammar, on forms picked by hand and on
 * a few million random texts biased to where conversions go wrong: 19 and
 * 20 significant digits, exact midpoints between two doubles and their
 * neighbours, the ends of the range (1e308, subnormals, 1e-324), powers of
 * ten, long mantissas whose exponents cancel.  Each text is read from the
 * end of a page before an unmapped one, so a read past its end crashes.
 * NUMPARSE_N sets how many random texts (default 2 million, a fifth of
 * that under sanitizers); NUMPARSE_SEED the seed. */
#include "config.h"
#include <errno.h>
#include <float.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "helpers.h"
#include "value.h"

#define TEXT_MAX 1100

/* ---- the oracle ------------------------------------------------------- */

static regex_t grammar, integer;

static void compile_oracle(void)
{
	/* blanks are space, tab and CR; digits with at most one point and at
	 * least one digit; an exponent with at least one digit */
	ck_assert_int_eq(regcomp(&grammar,
				 "^[ \t\r]*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?[ \t\r]*$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	ck_assert_int_eq(regcomp(&integer, "^[ \t\r]*[-+]?[0-9]+[ \t\r]*$", REG_EXTENDED | REG_NOSUB), 0);
}

/* What rf__parse_number must answer for a NUL-terminated text: -1, or 0
 * and *want.  An integer literal within int64 stays one; the rest is
 * strtod's double. */
static int oracle(const char *text, struct rf_number *want)
{
	if (regexec(&grammar, text, 0, NULL, 0) != 0)
		return -1;
	memset(want, 0, sizeof *want);
	if (regexec(&integer, text, 0, NULL, 0) == 0) {
		errno = 0;
		long long i = strtoll(text, NULL, 10);
		if (errno == 0) {
			want->is_int = 1;
			want->i = i;
			want->d = (double)i;
			return 0;
		}
	}
	want->d = strtod(text, NULL);
	return 0;
}

/* ---- texts with nothing readable after them ---------------------------- */

static char *guard_page_end; /* the first byte that may not be read */

static void map_guard(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t span = ((TEXT_MAX + (size_t)page - 1) / (size_t)page + 1) * (size_t)page;
	char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(m != MAP_FAILED);
	guard_page_end = m + span - (size_t)page;
	ck_assert_int_eq(mprotect(guard_page_end, (size_t)page, PROT_NONE), 0);
}

static const char *at_page_end(const char *text, size_t len)
{
	char *p = guard_page_end - len;
	memcpy(p, text, len);
	return p;
}

static uint64_t bits_of(double d)
{
	uint64_t b;
	memcpy(&b, &d, sizeof b);
	return b;
}

struct tally {
	long checked, slow, long_texts;
};

/* The significant digits of a well-formed text: leading zeros skipped. */
static int significant(const char *t)
{
	int n = 0, started = 0;
	for (; *t && *t != 'e' && *t != 'E'; t++)
		if (*t >= '0' && *t <= '9') {
			started |= *t != '0';
			n += started;
		}
	return n;
}

/* Check's assertions log every pass through a pipe: in this loop only a
 * failure may reach it. */
#define expect(cond, ...)                          \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static void check_text(const char *text, struct tally *tally)
{
	size_t len = strlen(text);
	const char *p = at_page_end(text, len);
	struct rf_number want, got, fast;
	int want_rc = oracle(text, &want);
	memset(&got, 0x55, sizeof got);
	int rc = rf__parse_number(p, len, &got);
	expect(rc == want_rc, "'%s': %d, want %d", text, rc, want_rc);
	tally->checked++;
	if (rc < 0)
		return;
	expect(got.is_int == want.is_int && (!want.is_int || got.i == want.i), "'%s': is_int %d i %lld, want %d %lld",
	       text, got.is_int, (long long)got.i, want.is_int, (long long)want.i);
	expect(bits_of(got.d) == bits_of(want.d), "'%s': %a (%016llx), want %a (%016llx)", text, got.d,
	       (unsigned long long)bits_of(got.d), want.d, (unsigned long long)bits_of(want.d));
	/* the fast paths alone decide every text of 19 significant digits
	 * or fewer, and agree where they decide a longer one */
	int frc = rf__parse_number_fast(p, len, &fast);
	int sig = significant(text);
	tally->long_texts += sig > 19;
	if (frc == RF_NUMBER_SLOW) {
		expect(sig > 19, "'%s': %d digits left to strtod", text, sig);
		tally->slow++;
	} else {
		expect(frc == 0 && bits_of(fast.d) == bits_of(want.d), "'%s': fast path %d %a", text, frc, fast.d);
	}
}

/* ---- by hand ---------------------------------------------------------- */

START_TEST(test_forms)
{
	map_guard();
	compile_oracle();
	static const struct {
		const char *text;
		int rc, is_int;
		double d;
	} v[] = {
		{ "0", 0, 1, 0.0 },
		{ "-0", 0, 1, 0.0 }, /* an integer: int64 has no -0 */
		{ "-0.0", 0, 0, -0.0 },
		{ "-0e5", 0, 0, -0.0 },
		{ " +5\t", 0, 1, 5.0 },
		{ "5.", 0, 0, 5.0 },
		{ ".5", 0, 0, 0.5 },
		{ "-.5e1", 0, 0, -5.0 },
		{ "1E+3", 0, 0, 1000.0 },
		{ "0.123", 0, 0, 0.123 },
		{ "1e-5", 0, 0, 1e-5 },
		{ "9223372036854775807", 0, 1, 9223372036854775807.0 },
		{ "-9223372036854775808", 0, 1, -9223372036854775808.0 },
		{ "9223372036854775808", 0, 0, 9223372036854775808.0 },
		{ "-9223372036854775809", 0, 0, -9223372036854775809.0 },
		{ "18446744073709551616", 0, 0, 18446744073709551616.0 },
		{ "0000000000000000000000000000042", 0, 1, 42.0 },
		{ "9007199254740993", 0, 1, 9007199254740993.0 },
		{ "9007199254740993.0", 0, 0, 9007199254740992.0 }, /* a tie, to even */
		{ "9007199254740995.0", 0, 0, 9007199254740996.0 },
		{ "1e400", 0, 0, INFINITY },
		{ "-1e400", 0, 0, -INFINITY },
		{ "1e99999999999999999999999", 0, 0, INFINITY },
		{ "1e-400", 0, 0, 0.0 },
		{ "-1e-400", 0, 0, -0.0 },
		{ "0e99999999999999999999999", 0, 0, 0.0 },
		{ "1.7976931348623157e308", 0, 0, DBL_MAX },
		{ "1.7976931348623158e308", 0, 0, DBL_MAX },
		{ "1.7976931348623159e308", 0, 0, INFINITY },
		{ "2.2250738585072014e-308", 0, 0, DBL_MIN },
		{ "2.2250738585072011e-308", 0, 0, 0x0.fffffffffffffp-1022 },
		{ "4.9406564584124654e-324", 0, 0, 0x1p-1074 },
		{ "2.4703282292062328e-324", 0, 0, 0x1p-1074 },
		{ "2.4703282292062327e-324", 0, 0, 0.0 },
		{ "", -1, 0, 0 },	     { " ", -1, 0, 0 },	      { "-", -1, 0, 0 },     { "+", -1, 0, 0 },
		{ ".", -1, 0, 0 },	     { "-.", -1, 0, 0 },      { "e5", -1, 0, 0 },    { "1e", -1, 0, 0 },
		{ "1e+", -1, 0, 0 },	     { "1.2.3", -1, 0, 0 },   { "0x1f", -1, 0, 0 },  { "0x1p3", -1, 0, 0 },
		{ "inf", -1, 0, 0 },	     { "-inf", -1, 0, 0 },    { "nan", -1, 0, 0 },   { "Infinity", -1, 0, 0 },
		{ "1 2", -1, 0, 0 },	     { "--1", -1, 0, 0 },     { "+-1", -1, 0, 0 },   { "1e5.5", -1, 0, 0 },
		{ "5e1x", -1, 0, 0 },	     { "1_000", -1, 0, 0 },   { "1,5", -1, 0, 0 },   { "\n1", -1, 0, 0 },
		{ "1\n", -1, 0, 0 },	     { "\v1", -1, 0, 0 },     { "1d", -1, 0, 0 },    { "1f", -1, 0, 0 },
	};
	struct tally tally = { 0 };
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		struct rf_number n;
		size_t len = strlen(v[i].text);
		int rc = rf__parse_number(at_page_end(v[i].text, len), len, &n);
		ck_assert_msg(rc == v[i].rc, "'%s': %d, want %d", v[i].text, rc, v[i].rc);
		if (rc == 0)
			ck_assert_msg(n.is_int == v[i].is_int && bits_of(n.d) == bits_of(v[i].d), "'%s': %d %a, want %d %a",
				      v[i].text, n.is_int, n.d, v[i].is_int, v[i].d);
		check_text(v[i].text, &tally); /* and the oracle agrees */
	}
	struct rf_number n;
	ck_assert_int_eq(rf__parse_number(NULL, 0, &n), -1);
	/* a length, not a NUL, ends the text */
	ck_assert_int_eq(rf__parse_number("12345", 2, &n), 0);
	ck_assert(n.is_int && n.i == 12);
	ck_assert_int_eq(rf__parse_number("1.5e3", 3, &n), 0);
	ck_assert(!n.is_int && n.d == 1.5);
}
END_TEST

/* ---- random texts ----------------------------------------------------- */

static uint64_t seed_state;

static uint64_t rnd(uint64_t n) /* 0 to n - 1 */
{
	return test_rand(&seed_state) % n;
}

static char *put_digits(char *p, int n, int first_nonzero)
{
	for (int i = 0; i < n; i++)
		*p++ = (char)('0' + (i == 0 && first_nonzero ? 1 + rnd(9) : rnd(10)));
	return p;
}

/* n random digits with a point among them (or not), an exponent (or not) */
static void gen_digits(char *buf, int n, int emin, int emax)
{
	char *p = buf;
	if (rnd(4) == 0)
		*p++ = rnd(2) ? '-' : '+';
	int zeros = rnd(4) == 0 ? (int)rnd(25) : 0;
	memset(p, '0', (size_t)zeros);
	p += zeros;
	char *d = p;
	p = put_digits(p, n, 1);
	if (rnd(3)) { /* a point somewhere among or before the digits */
		size_t at = rnd((uint64_t)(p - d) + 1);
		memmove(d + at + 1, d + at, (size_t)(p - d) - at);
		d[at] = '.';
		p++;
	}
	if (rnd(4)) {
		int e = emin + (int)rnd((uint64_t)(emax - emin + 1));
		p += sprintf(p, e >= 0 && rnd(2) ? "e+%d" : "e%d", e);
	}
	*p = 0;
	if (rnd(2)) /* 'E' as often as 'e' */
		for (char *e = buf; *e; e++)
			if (*e == 'e')
				*e = 'E';
}

/* A finite positive double, often at the ends of the range. */
static double random_double(void)
{
	uint64_t b = test_rand(&seed_state) & 0x7fffffffffffffffULL;
	switch (rnd(6)) {
	case 0: /* subnormal or the least normals */
		b &= rnd(2) ? 0x000fffffffffffffULL : 0x001fffffffffffffULL;
		b >>= rnd(52);
		break;
	case 1: /* the largest */
		b = (b & 0x000fffffffffffffULL) | (uint64_t)(2045 + rnd(2)) << 52;
		break;
	case 2: /* where logs live: 1e-9 to 1e12 */
		b = (b & 0x000fffffffffffffULL) | (uint64_t)(993 + rnd(70)) << 52;
		break;
	}
	if ((b >> 52) == 0x7ff)
		b ^= (uint64_t)1 << 62;
	double d;
	memcpy(&d, &b, sizeof d);
	return d;
}

/* Print p (long double, exact) with `prec` digits after the first, in
 * %e form, then maybe nudge the last digit up or down. */
static void print_near(char *buf, long double x, int prec)
{
	snprintf(buf, TEXT_MAX, "%.*Le", prec, x);
	char *e = strchr(buf, 'e');
	if (e && rnd(3) == 0) {
		char *last = e - 1;
		if (*last >= '1' && *last <= '8')
			*last = (char)(*last + (rnd(2) ? 1 : -1));
	}
}

/* The exact point halfway between d and the next double up, and the
 * texts around it: where strtod's rounding turns. */
static void gen_halfway(char *buf)
{
	double d = random_double();
	long double up = d == DBL_MAX ? ldexpl(1.0L, 1024) : (long double)nextafter(d, INFINITY);
	long double mid = ((long double)d + up) / 2; /* exact: 64-bit mantissa */
	switch (rnd(4)) {
	case 0: /* all the digits (at most 767 of them) */
		print_near(buf, mid, 800);
		{
			char *e = strchr(buf, 'e'), *z = e;
			while (z[-1] == '0')
				z--;
			memmove(z, e, strlen(e) + 1);
		}
		break;
	case 1: /* 17 to 25 digits: just below or above the midpoint */
		print_near(buf, mid, 16 + (int)rnd(9));
		break;
	default: /* 19 and 20 digits */
		print_near(buf, mid, 18 + (int)rnd(2));
		break;
	}
}

/* Midpoints that are short decimals, where ties to even decide: an odd
 * 54-bit multiple of 2^(k-1), for k from -4 up, in full (integer or
 * fraction), or with its trailing zeros as an exponent. */
static void gen_tie(char *buf)
{
	unsigned __int128 m = ((uint64_t)1 << 53) | (test_rand(&seed_state) & (((uint64_t)1 << 53) - 1)) | 1;
	int k = -4 + (int)rnd(80);
	int fraction = 0; /* digits after the point */
	if (k >= 0) {
		while (k-- > 0 && m < ((unsigned __int128)1 << 120))
			m <<= 1;
	} else {
		for (; k < 0; k++, fraction++) /* m / 2 = 5m / 10 */
			m *= 5;
	}
	if (rnd(3) == 0)
		m += rnd(2) ? 1 : (unsigned __int128)-1; /* a neighbour */
	char digits[64], *p = digits + sizeof digits;
	*--p = 0;
	do
		*--p = (char)('0' + (int)(m % 10));
	while (m /= 10);
	size_t n = strlen(p);
	if (fraction && (size_t)fraction < n) {
		memcpy(buf, p, n - (size_t)fraction);
		buf[n - (size_t)fraction] = '.';
		strcpy(buf + n - (size_t)fraction + 1, p + n - (size_t)fraction);
	} else if (fraction) {
		sprintf(buf, "%se-%d", p, fraction);
	} else {
		int z = 0;
		while (n > 1 && p[n - 1] == '0' && rnd(2))
			p[--n] = 0, z++;
		sprintf(buf, "%se%d", p, z);
	}
}

/* Powers of ten, and long runs of zeros that an exponent cancels. */
static void gen_power(char *buf)
{
	int z = (int)rnd(60);
	char *p = buf;
	switch (rnd(4)) {
	case 0:
		sprintf(buf, "1e%d", (int)rnd(700) - 350);
		break;
	case 1: /* 1000...0e-z */
		*p++ = '1';
		memset(p, '0', (size_t)z);
		sprintf(p + z, "e%d", -z + (int)rnd(41) - 20);
		break;
	case 2: /* 0.000...0DIGITSe+z */
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)z);
		p = put_digits(p + z, 1 + (int)rnd(25), 1);
		sprintf(p, "e%d", z + (int)rnd(41) - 20);
		break;
	default: /* a long mantissa scaled back to about one */
		p = put_digits(p, 20 + (int)rnd(60), 1);
		sprintf(p, "e-%d", (int)(p - buf) - 1 + (int)rnd(3));
		break;
	}
}

/* Anything from a small alphabet: the grammar's edges. */
static void gen_syntax(char *buf)
{
	static const char alphabet[] = "0123456789012345678900000.....eE++--  \t\rx\n_,";
	int n = (int)rnd(9);
	for (int i = 0; i < n; i++)
		buf[i] = alphabet[rnd(sizeof alphabet - 1)];
	buf[n] = 0;
}

static long random_count(void)
{
	const char *n = getenv("NUMPARSE_N"), *san = getenv("SANITIZED");
	if (n && *n)
		return atol(n);
	return san && !strcmp(san, "yes") ? 400000 : 2000000;
}

START_TEST(test_random)
{
	map_guard();
	compile_oracle();
	const char *s = getenv("NUMPARSE_SEED");
	unsigned long long seed = s && *s ? strtoull(s, NULL, 10) : 18;
	seed_state = seed;
	long n = random_count();
	struct tally tally = { 0 };
	char buf[TEXT_MAX + 64];
	for (long i = 0; i < n; i++) {
		switch (i % 10) {
		case 0: /* numbers as logs write them */
			gen_digits(buf, 1 + (int)rnd(9), -8, 8);
			break;
		case 1:
			gen_digits(buf, 1 + (int)rnd(19), -30, 30);
			break;
		case 2: /* 19 to 21 significant digits, anywhere */
			gen_digits(buf, 19 + (int)rnd(3), -345, 330);
			break;
		case 3: /* a double's digits, 1 to 26 of them */
			snprintf(buf, TEXT_MAX, "%.*e", (int)rnd(26), (rnd(2) ? -1 : 1) * random_double());
			break;
		case 4:
		case 5:
			if (LDBL_MANT_DIG >= 55) /* the midpoint exact in a long double */
				gen_halfway(buf);
			else
				gen_digits(buf, 17 + (int)rnd(9), -340, 308);
			break;
		case 6:
			gen_tie(buf);
			break;
		case 7:
			gen_power(buf);
			break;
		case 8: /* long and random */
			gen_digits(buf, 20 + (int)rnd(100), -400, 400);
			break;
		default:
			gen_syntax(buf);
			break;
		}
		check_text(buf, &tally);
	}
	printf("numparse: %ld texts (seed %llu), %ld with more than 19 digits, %ld of them left to strtod\n",
	       tally.checked, seed, tally.long_texts, tally.slow);
	/* both ways were taken: strtod for some long texts (the midpoints
	 * make many), the fast paths for the others */
	if (n >= 100000)
		ck_assert_msg(tally.slow > 0 && tally.slow * 2 < tally.long_texts, "%ld of %ld long texts to strtod",
			      tally.slow, tally.long_texts);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("numparse");
	TCase *tc = tcase_create("numbers");
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_random);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
