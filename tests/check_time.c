/* SPDX-License-Identifier: MIT */
/* check_time.c - times with their fraction (rf__parse_time_ns), their
 * RFC 3339 form in a zone (rf__format_time_ns), and the zones themselves:
 * offsets, local times that happen twice or never, bucket starts.
 * Expected values by hand and from Python's calendar.timegm / zoneinfo. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "value.h"
#include "timezone.h"

#define NS 1000000000LL

static void expect_ns(const char *text, int64_t want)
{
	int64_t t = 0;
	int r = rf__parse_time_ns(text, strlen(text), 2026, &t);
	ck_assert_msg(r == 0, "'%s': refused (%d)", text, r);
	ck_assert_msg(t == want, "'%s': %lld, want %lld", text, (long long)t, (long long)want);
}

START_TEST(test_parse_ns)
{
	const int64_t t0 = 1793527200LL * NS; /* 2026-11-01T10:00:00Z */
	expect_ns("2026-11-01T10:00:00Z", t0);
	expect_ns("2026-11-01T10:00:00.5Z", t0 + 500000000);
	expect_ns("2026-11-01T10:00:00,123456789Z", t0 + 123456789);
	expect_ns("2026-11-01T10:00:00.1234567891234Z", t0 + 123456789); /* cut at ns */
	expect_ns("2026-11-01T11:00:00.25+01:00", t0 + 250000000);
	expect_ns("2026-11-01 10:00:00.001", t0 + 1000000);               /* general path */
	expect_ns("[01/Nov/2026:10:00:00 +0000]", t0);
	expect_ns("Sun, 01 Nov 2026 10:00:00.75 GMT", t0 + 750000000);
	expect_ns("Nov  1 10:00:00.5", t0 + 500000000);
	expect_ns("1793527200", t0);
	expect_ns("1793527200.5", t0 + 500000000);
	expect_ns("1793527200123", t0 + 123000000);                       /* ms */
	expect_ns("1793527200123.5", t0 + 123500000);
	expect_ns("1793527200123456", t0 + 123456000);                    /* us */
	expect_ns("1793527200123456789", t0 + 123456789);                 /* ns */
	expect_ns("1969-12-31T23:59:59.5Z", -500000000);                  /* before the epoch */
	int64_t t;
	ck_assert_int_eq(rf__parse_time_ns("2026-02-30", 10, 2026, &t), RF_TIME_INVALID);
	ck_assert_int_eq(rf__parse_time_ns("hello world", 11, 2026, &t), RF_TIME_UNKNOWN);
	/* int64 nanoseconds end in 2262 and begin in 1677 */
	ck_assert_int_eq(rf__parse_time_ns("2263-01-01T00:00:00Z", 20, 2026, &t), RF_TIME_INVALID);
	ck_assert_int_eq(rf__parse_time_ns("1600-01-01T00:00:00Z", 20, 2026, &t), RF_TIME_INVALID);
	expect_ns("2262-04-11T23:47:16.854775807Z", INT64_MAX);
}
END_TEST

static void expect_format(int64_t ns, const char *zone, const char *want)
{
	struct rf_tz *tz = NULL;
	char err[256], buf[RF_TIME_BUF];
	ck_assert_msg(rf__tz_open(zone, &tz, err, sizeof err) == 0, "%s: %s", zone, err);
	rf__format_time_ns(ns, tz, buf);
	ck_assert_msg(strcmp(buf, want) == 0, "%lld in %s: '%s', want '%s'", (long long)ns, zone, buf, want);
	rf__tz_free(tz);
}

START_TEST(test_format_ns)
{
	const int64_t t0 = 1793527200LL * NS;
	expect_format(t0, "UTC", "2026-11-01T10:00:00Z");
	expect_format(t0 + 500000000, "UTC", "2026-11-01T10:00:00.5Z");
	expect_format(t0 + 1, "UTC", "2026-11-01T10:00:00.000000001Z");
	expect_format(t0, "+05:30", "2026-11-01T15:30:00+05:30");
	expect_format(t0, "-0800", "2026-11-01T02:00:00-08:00");
	expect_format(t0, "Europe/Berlin", "2026-11-01T11:00:00+01:00");
	expect_format(t0, "America/New_York", "2026-11-01T05:00:00-05:00");   /* EST from 06:00Z */
	expect_format(t0 - 5 * 3600 * NS, "America/New_York", "2026-11-01T01:00:00-04:00"); /* EDT */
	expect_format(t0 - 4 * 3600 * NS, "America/New_York", "2026-11-01T01:00:00-05:00"); /* again, EST */
	expect_format(t0, "Australia/Lord_Howe", "2026-11-01T21:00:00+11:00");
	expect_format(-500000000, "UTC", "1969-12-31T23:59:59.5Z");
}
END_TEST

START_TEST(test_zones)
{
	struct rf_tz *tz;
	char err[256];
	ck_assert_int_eq(rf__tz_open("Australia/Lord_Howe", &tz, err, sizeof err), 0);
	/* 01:45 on 2026-04-05 happens twice (02:00 back to 01:30): the first */
	ck_assert_int_eq(rf__tz_local_to_utc(tz, 1775353500 /* 01:45 as if UTC */), 1775313900);
	/* 02:15 on 2026-10-04 never happens (02:00 on to 02:30): the gap's end */
	ck_assert_int_eq(rf__tz_local_to_utc(tz, 1791080100), 1791041400);
	/* the hour bucket of 2026-10-04T02:45+11:00 starts at the gap's end */
	ck_assert_int_eq(rf__tz_floor(tz, 1791041400 + 15 * 60, 3600), 1791041400);
	/* a day bucket: local midnight of 2026-10-04 (+10:30) */
	ck_assert_int_eq(rf__tz_floor(tz, 1791041400 + 15 * 60, 86400), 1791034200);
	rf__tz_free(tz);
	ck_assert_int_eq(rf__tz_open("Asia/Kolkata", &tz, err, sizeof err), 0);
	/* an hour at +05:30 starts at :30 UTC */
	ck_assert_int_eq(rf__tz_floor(tz, 1793527200 + 10, 3600), 1793527200 - 1800);
	rf__tz_free(tz);
	const char *bad[] = { "Nope/Zone", "../etc/passwd", "/etc/passwd", "+24:00", "+5", "", "Europe" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(rf__tz_open(bad[i], &tz, err, sizeof err) < 0, "'%s' taken as a zone", bad[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("time");
	TCase *tc = tcase_create("time");
	tcase_add_test(tc, test_parse_ns);
	tcase_add_test(tc, test_format_ns);
	tcase_add_test(tc, test_zones);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
