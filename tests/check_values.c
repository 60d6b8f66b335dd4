/* check_values.c - timestamps: every recognised form, the line between an
 * impossible date (RF_TIME_INVALID) and no timestamp at all
 * (RF_TIME_UNKNOWN), and the epoch unit chosen by the number of digits.
 * Expected values come from Python's calendar.timegm.  Then the fast path
 * and the one-entry cache, on random and mangled timestamps, against the
 * general parser alone.  And the decimal reader: digits, integer parts
 * and doubles' exact values, by hand and from Python's Decimal. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "value.h"

static void expect_time(const char *text, int64_t want)
{
	int64_t t = 0;
	int r = rf__parse_time(text, strlen(text), 2026, &t);
	ck_assert_msg(r == 0, "'%s': refused (%d)", text, r);
	ck_assert_msg(t == want, "'%s': %lld, want %lld", text, (long long)t, (long long)want);
}

static void expect_refused(const char *text, int want)
{
	int64_t t = 0;
	int r = rf__parse_time(text, strlen(text), 2026, &t);
	ck_assert_msg(r == want, "'%s': %d (time %lld), want %d", text, r, (long long)t, want);
}

START_TEST(test_forms)
{
	const int64_t t = 1709287200; /* 2024-03-01T10:00:00Z */
	expect_time("2024-03-01T10:00:00Z", t);
	expect_time("2024-03-01T10:00Z", t);
	expect_time("2024-03-01 10:00:00", t);
	expect_time("2024-03-01t10:00:00.123456789z", t);
	expect_time("2024-03-01T15:00:00+05", t);
	expect_time("2024-03-01T15:30:00+0530", t);
	expect_time("2024-03-01T15:30:00,5+05:30", t);
	expect_time("2024-03-01T05:00:00 -0500", t);
	expect_time("2024-03-01 10:00:00 UTC", t);
	expect_time("2024-03-01", t - 36000);
	expect_time("Fri, 01 Mar 2024 10:00:00 GMT", t);
	expect_time("1 Mar 2024 11:00 +0100", t);
	expect_time("[01/Mar/2024:10:00:00 +0000]", t);
	expect_time("01/mar/2024:12:00:00 +0200", t);
	expect_time("  1709287200  ", t);
	expect_time("1709287200.999", t);
	expect_time("1709287200123", t);
	expect_time("1709287200123456", t);
	expect_time("1709287200123456789", t);
	expect_time("Mar  1 10:00:00", 1772359200); /* 2026-03-01T10:00:00Z */
	expect_time("Mar 1 10:00:00", 1772359200);
}
END_TEST

START_TEST(test_calendar)
{
	expect_time("1969-12-31T23:59:59.9Z", -1);
	expect_time("2024-02-29", 1709164800);
	expect_time("2016-12-31T23:59:60Z", 1483228800); /* a leap second */
	expect_time("2000-01-01T00:00:00+23:59", 946598460);
	expect_time("1999-12-31T23:30:00-05:30", 946702800);
	expect_time("1900-03-01", -2203891200);
	expect_time("100000000", 100000000);
	expect_time("99999999999", 99999999999);
	expect_time("100000000000", 100000000);
}
END_TEST

START_TEST(test_refused)
{
	const char *invalid[] = { "2024-02-30", "2023-02-29", "1900-02-29", "2100-02-29T00:00Z", "2024-13-01",
				  "2024-00-10", "2024-04-31", "2024-03-00", "2024-03-01T24:00:00Z", "2024-03-01T25:00Z",
				  "2024-03-01T10:60Z", "2024-03-01T10:00:61Z", "2024-03-01T10:00:00+24:00",
				  "2024-03-01T10:00:00+05:60", "29/Feb/2023:10:00:00 +0000", "Tue, 31 Apr 2024 10:00:00 GMT",
				  "Feb 30 10:00:00", "Feb 29 10:00:00" /* 2026 is no leap year */ };
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
		expect_refused(invalid[i], RF_TIME_INVALID);
	const char *unknown[] = { "", "garbage", "12345678", "2024/03/01", "2024-3-1", "10:00:00", "1e9",
				  "-1709287200", "2024-03-01T", "2024-03-01T10", "2024-03-01T10:00:00.",
				  "2024-03-01T10:00:00+5", "2024-03-01T10:00:00 +05 x", "01/Mar/2024",
				  "Fri, 01 Mar 2024", "1709287200x", "12345678901234567890", "[2024-03-01" };
	for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++)
		expect_refused(unknown[i], RF_TIME_UNKNOWN);
}
END_TEST

/* ---- the fast path and the cache against the general parser ------------ */

static uint64_t seed = 11;

static int rnd(int n)
{
	return (int)(test_rand(&seed) % (uint64_t)n);
}

/* a number that is mostly in range, sometimes just out of it */
static int field(int lo, int hi)
{
	int c = rnd(10);
	return c == 0 ? lo : c == 1 ? hi : c == 2 ? hi + 1 + rnd(40) : c == 3 && lo > 0 ? lo - 1 : lo + rnd(hi - lo + 1);
}

static const char *const MON[] = { "Jan", "feb", "MAR", "Apr", "May", "Jun", "jul", "Aug", "Sep", "OCT", "Nov", "Dec",
				    "Foo" };

/* a random timestamp in one of the forms, valid or nearly */
static int rand_time(char *buf, size_t cap)
{
	int y = rnd(8) ? 1900 + rnd(300) : rnd(10000), mo = field(1, 12), d = field(1, 31), h = field(0, 23),
	    mi = field(0, 59), s = field(0, 60), zh = field(0, 23), zm = rnd(3) ? 0 : field(0, 59);
	char frac[16] = "", zone[16] = "";
	int f = rnd(6);
	if (f == 1 || f == 2)
		snprintf(frac, sizeof frac, "%c%0*d", f == 1 ? '.' : ',', 1 + rnd(9), rnd(1000000000));
	else if (f == 3)
		snprintf(frac, sizeof frac, ".");
	char sign = "+-"[rnd(2)];
	const char *zones[] = { "", "Z", "z", "UTC", " GMT", "+%02d:%02d", "+%02d%02d", "+%02d", " +%02d:%02d",
				"+%d", "Zx", "+%02d:%d" };
	int zc = rnd(12);
	snprintf(zone, sizeof zone, zones[zc], zh, zm);
	if (zc >= 5 && zone[0] == '+')
		zone[0] = sign;
	const char *pre = rnd(8) ? "" : rnd(2) ? " " : "\t";
	int n;
	switch (rnd(8)) {
	case 0: case 1: case 2: /* combined log */
		n = snprintf(buf, cap, "%s%s%02d/%s/%04d:%02d:%02d:%02d %c%02d%02d%s%s", pre, rnd(2) ? "[" : "", d,
			     MON[rnd(13)], y, h, mi, s, sign, zh, zm, rnd(3) ? "" : frac, pre[0] ? "]" : "");
		break;
	case 3: case 4: case 5: /* ISO 8601 */
		n = snprintf(buf, cap, "%s%04d-%02d-%02d%c%02d:%02d:%02d%s%s%s", pre, y, mo, d, "TtT "[rnd(4)], h, mi, s,
			     frac, zone, pre);
		break;
	case 6: /* ISO without seconds, or a date */
		n = rnd(2) ? snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d%s", y, mo, d, h, mi, zone)
			   : snprintf(buf, cap, "%04d-%02d-%02d", y, mo, d);
		break;
	default: /* the others: RFC 1123, syslog, epoch */
		n = rnd(3) == 0   ? snprintf(buf, cap, "Fri, %02d %s %04d %02d:%02d:%02d GMT", d, MON[rnd(13)], y, h, mi, s)
		    : rnd(2) == 0 ? snprintf(buf, cap, "%s %2d %02d:%02d:%02d", MON[rnd(13)], d, h, mi, s)
				  : snprintf(buf, cap, "%d%09d%s", 1 + rnd(9), rnd(1000000000), rnd(2) ? "" : "123");
	}
	if (n >= (int)cap)
		n = (int)cap - 1;
	/* now and then a byte changed, one cut off or one added */
	if (n > 0 && rnd(4) == 0) {
		const char alpha[] = "0123456789:/-+ TZ.,[]a\t";
		int k = rnd(3);
		if (k == 0)
			buf[rnd(n)] = alpha[rnd((int)sizeof alpha - 1)];
		else if (k == 1)
			buf[--n] = 0;
		else if (n + 1 < (int)cap)
			buf[n++] = alpha[rnd((int)sizeof alpha - 1)], buf[n] = 0;
	}
	return n;
}

static void same_as_general(const char *text, size_t n, int r, int64_t t, const char *how)
{
	int64_t want = 0;
	int rw = rf__parse_time_general(text, n, 2026, &want);
	ck_assert_msg(r == rw, "%s '%.*s': %d, the general parser %d", how, (int)n, text, r, rw);
	ck_assert_msg(r != 0 || t == want, "%s '%.*s': %lld, the general parser %lld", how, (int)n, text,
		      (long long)t, (long long)want);
}

START_TEST(test_fast_path)
{
	char buf[96];
	int fast = 0, valid = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)rand_time(buf, sizeof buf);
		int64_t t = 0;
		struct rf_time_shape sh;
		int r = rf__parse_time_fast(buf, n, &t, &sh);
		if (r != RF_TIME_NOT_FAST) {
			same_as_general(buf, n, r, t, "fast path");
			fast++;
			valid += r == 0;
			if (r == 0) /* the shape points at the seconds */
				ck_assert_msg(sh.sec + 2 <= n && buf[sh.sec - 1] == ':', "'%s': seconds at %zu", buf, sh.sec);
		}
		t = 0;
		r = rf__parse_time(buf, n, 2026, &t);
		same_as_general(buf, n, r, t, "rf__parse_time");
	}
	/* the fast path saw many of them, valid and not */
	ck_assert_int_gt(fast, 40000);
	ck_assert_int_gt(valid, 15000);
	ck_assert_int_gt(fast - valid, 5000);
}
END_TEST

/* Runs of texts the way logs have them: the same, then the seconds or a
 * fraction moving on, now and then something else. */
START_TEST(test_cache)
{
	char cur[96], next[96];
	struct rf_time_cache c;
	rf__time_cache_init(&c);
	size_t n = (size_t)rand_time(cur, sizeof cur);
	int hits = 0;
	for (int i = 0; i < 200000; i++) {
		memcpy(next, cur, sizeof next);
		struct rf_time_shape sh;
		int64_t t;
		int r = rf__parse_time_fast(cur, n, &t, &sh);
		int k = rnd(10);
		if (k < 3) {
			/* the same */
		} else if (k < 7 && r != RF_TIME_NOT_FAST) {
			/* other seconds, a few out of range or no digits */
			const char sec[] = "0123456789x:";
			int s = rnd(70);
			next[sh.sec] = rnd(20) ? (char)('0' + s / 10) : sec[rnd(12)];
			next[sh.sec + 1] = rnd(20) ? (char)('0' + s % 10) : sec[rnd(12)];
			for (size_t j = sh.frac; j < sh.frac_end; j++)
				next[j] = rnd(30) ? (char)('0' + rnd(10)) : "x.+ "[rnd(4)];
			hits++;
		} else if (k < 8 && n > 0) {
			/* any one byte */
			next[rnd((int)n)] = "0123456789:+- Z"[rnd(15)];
		} else {
			n = (size_t)rand_time(next, sizeof next);
		}
		memcpy(cur, next, sizeof cur);
		t = 0;
		int year = rnd(50) ? 2026 : 2024;
		int64_t want = 0;
		r = rf__parse_time_cached(&c, cur, n, year, &t);
		int rw = rf__parse_time_general(cur, n, year, &want);
		ck_assert_msg(r == rw, "cached '%.*s': %d, the general parser %d", (int)n, cur, r, rw);
		ck_assert_msg(r != 0 || t == want, "cached '%.*s': %lld, the general parser %lld", (int)n, cur,
			      (long long)t, (long long)want);
	}
	ck_assert_int_gt(hits, 10000);
	/* a text too long to keep, and a missing one */
	char longer[200];
	memset(longer, ' ', sizeof longer);
	memcpy(longer + 150, "2024-03-01T10:00:00Z", 20);
	int64_t t = 0;
	ck_assert_int_eq(rf__parse_time_cached(&c, longer, 170, 2026, &t), 0);
	ck_assert_int_eq(t, 1709287200);
	ck_assert_int_eq(rf__parse_time_cached(&c, longer, 170, 2026, &t), 0);
	ck_assert_int_eq(t, 1709287200);
	ck_assert_int_eq(rf__parse_time_cached(&c, NULL, 0, 2026, &t), RF_TIME_UNKNOWN);
}
END_TEST

/* ---- the decimal reader (sort and min/max read numbers with it) ---- */

/* x as "[-]digits e exp" (digits times 10^(exp - n)) */
static const char *decimal_str(const struct rf_decimal *x, char *buf, size_t cap)
{
	size_t k = 0;
	if (x->neg)
		buf[k++] = '-';
	for (size_t i = 0; i < x->n && k + 30 < cap; i++)
		buf[k++] = (char)('0' + rf__decimal_digit(x, i));
	snprintf(buf + k, cap - k, " e%lld", (long long)x->exp);
	return buf;
}

static void expect_decimal(const char *text, const char *want, int plain)
{
	struct rf_decimal x;
	struct rf_number n;
	char buf[1024];
	ck_assert_msg(rf__parse_decimal(text, strlen(text), &x) == 0, "'%s' refused", text);
	ck_assert_msg(rf__parse_number(text, strlen(text), &n) == 0, "'%s' no number", text);
	ck_assert_msg(strcmp(decimal_str(&x, buf, sizeof buf), want) == 0, "'%s': %s, want %s", text, buf, want);
	ck_assert_msg(x.plain == plain, "'%s': plain %d", text, x.plain);
}

/* Digits and exponents by hand; the same texts refused as by
 * rf__parse_number, which the reader must agree with. */
START_TEST(test_decimal_forms)
{
	expect_decimal("0", " e0", 1);
	expect_decimal("-0.000e5", " e0", 0);
	expect_decimal(" +007 ", "7 e1", 1);
	expect_decimal("12300", "123 e5", 1);
	expect_decimal("-1.50", "-15 e1", 0);
	expect_decimal(".5", "5 e0", 0);
	expect_decimal("5.", "5 e1", 0);
	expect_decimal("0.00123e2", "123 e0", 0);
	expect_decimal("1E+3", "1 e4", 0);
	expect_decimal("10e-1\r", "1 e1", 0);
	expect_decimal("\t-9007199254740991.0000000000000000000001", "-90071992547409910000000000000000000001 e16", 0);
	expect_decimal("1e400", "1 e401", 0);
	expect_decimal("-2.5e-400", "-25 e-399", 0);
	expect_decimal("0.0001020", "102 e-3", 0);
	static const char *const bad[] = { "", " ", "-", "+", ".", "-.", "e5", "1e", "1e+", "1e-", "1.2.3",
					   "0x1f", "inf", "nan", "1 2", "--1", "1e5.5", "5e1x", "١" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct rf_decimal x;
		struct rf_number n;
		ck_assert_msg(rf__parse_decimal(bad[i], strlen(bad[i]), &x) == -1, "'%s' read", bad[i]);
		ck_assert_msg(rf__parse_number(bad[i], strlen(bad[i]), &n) == -1, "'%s' a number", bad[i]);
	}
}
END_TEST

static void expect_floor(const char *text, int want_rc, const char *want, int want_frac)
{
	struct rf_decimal x;
	__int128 i = 0;
	int frac = -1;
	ck_assert_int_eq(rf__parse_decimal(text, strlen(text), &x), 0);
	int rc = rf__decimal_floor(&x, &i, &frac);
	ck_assert_msg(rc == want_rc, "'%s': %d, want %d", text, rc, want_rc);
	if (rc < 0)
		return;
	char buf[64], *p = buf + sizeof buf - 1;
	unsigned __int128 u = i < 0 ? 0 - (unsigned __int128)i : (unsigned __int128)i;
	*p = 0;
	do
		*--p = (char)('0' + (int)(u % 10));
	while (u /= 10);
	if (i < 0)
		*--p = '-';
	ck_assert_msg(strcmp(p, want) == 0 && frac == want_frac, "'%s': %s frac %d, want %s frac %d", text, p, frac,
		      want, want_frac);
}

/* Integer parts rounded down, by hand, to the 128-bit limits. */
START_TEST(test_decimal_floor)
{
	expect_floor("5.5", 0, "5", 1);
	expect_floor("-5.5", 0, "-6", 1);
	expect_floor("-5.0", 0, "-5", 0);
	expect_floor("-0.0", 0, "0", 0);
	expect_floor("1e2", 0, "100", 0);
	expect_floor("0.001e3", 0, "1", 0);
	expect_floor("-1e-400", 0, "-1", 1);
	expect_floor("1e-400", 0, "0", 1);
	expect_floor("1e38", 0, "100000000000000000000000000000000000000", 0);
	expect_floor("1e39", -1, "", 0);
	expect_floor("1e99999999999999999999", -1, "", 0);
	expect_floor("170141183460469231731687303715884105727.9", 0, "170141183460469231731687303715884105727", 1);
	expect_floor("170141183460469231731687303715884105728", -1, "", 0);
	expect_floor("-170141183460469231731687303715884105728", 0, "-170141183460469231731687303715884105728", 0);
	expect_floor("-170141183460469231731687303715884105727.5", 0, "-170141183460469231731687303715884105728", 1);
	expect_floor("-170141183460469231731687303715884105728.5", -1, "", 0);
}
END_TEST

/* A double's exact value, against digits from Python's Decimal(float),
 * and its order against text. */
START_TEST(test_decimal_of_double)
{
	static const struct {
		double d;
		const char *want;
	} v[] = {
		{ 0.1, "1000000000000000055511151231257827021181583404541015625 e0" },
		{ -0.3, "-299999999999999988897769753748434595763683319091796875 e0" },
		{ 0x1p53, "9007199254740992 e16" },
		{ -0.0, " e0" },
		{ 0x1p-1074, "4940656458412465441765687928682213723650598026143247644255856825006755072702087518652998363616359923797965646954457177309266567103559397963987747960107818781263007131903114045278458171678489821036887186360569987307230500063874091535649843873124733972731696151400317153853980741262385655911710266585566867681870395603106249319452715914924553293054565444011274801297099995419319894090804165633245247571478690147267801593552386115501348035264934720193790268107107491703332226844753335720832431936092382893458368060106011506169809753078342277318329247904982524730776375927247874656084778203734469699533647017972677717585125660551199131504891101451037862738167250955837389733598993664809941164205702637090279242767544565229087538682506419718265533447265625 e-323" },
		{ 1.7976931348623157e308, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368 e309" },
	};
	char buf[RF_DECIMAL_DOUBLE_BUF], out[1024];
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		struct rf_decimal x;
		ck_assert_int_eq(rf__decimal_of_double(v[i].d, buf, &x), 0);
		ck_assert_msg(strcmp(decimal_str(&x, out, sizeof out), v[i].want) == 0, "%a: %s, want %s", v[i].d, out,
			      v[i].want);
	}
	struct rf_decimal x, t;
	ck_assert_int_eq(rf__decimal_of_double(1.0 / 0.0, buf, &x), -1);
	ck_assert_int_eq(rf__decimal_of_double(0.0 / 0.0, buf, &x), -1);
	/* 0.1 as text is below the double 0.1, 0.10000000000000001 above */
	rf__decimal_of_double(0.1, buf, &x);
	ck_assert_int_eq(rf__parse_decimal("0.1", 3, &t), 0);
	ck_assert_int_eq(rf__decimal_cmp(&t, &x), -1);
	ck_assert_int_eq(rf__decimal_cmp(&x, &t), 1);
	ck_assert_int_eq(rf__parse_decimal("0.10000000000000001", 19, &t), 0);
	ck_assert_int_eq(rf__decimal_cmp(&t, &x), 1);
	ck_assert_int_eq(rf__parse_decimal("1000000000000000055511151231257827021181583404541015625e-55", 59, &t), 0);
	ck_assert_int_eq(rf__decimal_cmp(&t, &x), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("values");
	TCase *tc = tcase_create("time");
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_fast_path);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_decimal_forms);
	tcase_add_test(tc, test_decimal_floor);
	tcase_add_test(tc, test_decimal_of_double);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
