/* check_values.c - timestamps: every recognised form, the line between an
 * impossible date (RF_TIME_INVALID) and no timestamp at all
 * (RF_TIME_UNKNOWN), and the epoch unit chosen by the number of digits.
 * Expected values come from Python's calendar.timegm. */
#include "config.h"
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

int main(void)
{
	Suite *s = suite_create("values");
	TCase *tc = tcase_create("time");
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
