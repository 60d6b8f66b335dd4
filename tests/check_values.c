/* check_values.c - timestamps: every recognised form, the line between an
 * impossible date (RF_TIME_INVALID) and no timestamp at all
 * (RF_TIME_UNKNOWN), and the epoch unit chosen by the number of digits.
 * Expected values come from Python's calendar.timegm.  Then the fast path
 * and the one-entry cache, on random and mangled timestamps, against the
 * general parser alone. */
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

int main(void)
{
	Suite *s = suite_create("values");
	TCase *tc = tcase_create("time");
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_fast_path);
	tcase_add_test(tc, test_cache);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
