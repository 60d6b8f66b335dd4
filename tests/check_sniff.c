/* SPDX-License-Identifier: MIT */
/* check_sniff.c - the sniff hooks of the syslog, w3c, cloudfront, cri and
 * docker formats (what parse auto asks): each real-shaped sample is
 * claimed by exactly the formats written next to it, and by no other. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "parse.h"

extern const struct parse_format rf__format_rfc5424, rf__format_rfc3164, rf__format_syslog, rf__format_w3c,
	rf__format_cloudfront, rf__format_cri, rf__format_docker;

static const struct parse_format *const sniffers[] = { &rf__format_rfc5424, &rf__format_rfc3164, &rf__format_syslog,
						       &rf__format_w3c,     &rf__format_cloudfront,
						       &rf__format_cri,     &rf__format_docker };
#define NSNIFF (sizeof sniffers / sizeof *sniffers)

static const struct {
	const char *text;
	const char *claimed_by; /* the names, each followed by a space */
} samples[] = {
	{ "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed\n"
	  "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time\r\n",
	  "rfc5424 syslog " },
	{ "Nov  3 07:01:02 host1 sshd[1234]: Accepted publickey for bob\n"
	  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n\n"
	  "2024-11-03T07:03:00.123456+01:00 host2 systemd[1]: Started x.",
	  "rfc3164 syslog " },
	{ "<34>1 2003-10-11T22:14:15.003Z h su - ID47 - x\nNov  3 07:01:02 host1 sshd[1234]: y\n", "syslog " },
	{ "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
	  "#Fields: date time cs-method cs-uri-stem sc-status\r\n2024-03-01 10:00:01 GET /index.html 200\r\n",
	  "w3c " },
	{ "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip\n"
	  "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\n",
	  "cloudfront " },
	{ "2016-10-06T00:17:09.669794202Z stdout F the log line\n2016-10-06T00:17:09.669794203Z stderr P part\n",
	  "cri " },
	{ "{\"log\":\"the line\\n\",\"stream\":\"stdout\",\"time\":\"2019-01-01T11:11:11.111111111Z\"}\n", "docker " },
	{ "{ \"log\" : \"x\\n\", \"stream\": \"stderr\"}\r\n", "docker " },
	{ "{\"log\":1}\n", "" },
	/* none of them */
	{ "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326\n", "" },
	{ "{\"level\":\"info\",\"msg\":\"x\"}\n", "" },
	{ "level=info msg=x\n", "" },
	{ "", "" },
	{ "\n\n", "" },
	/* a record before any #Fields, and one whose columns do not fit it */
	{ "2024-03-01 10:00:01 GET /index.html 200\n", "" },
	{ "#Fields: date time cs-method\n2024-03-01 10:00:01 GET /index.html 200\n", "" },
	/* one line of another kind spoils the sample */
	{ "2016-10-06T00:17:09.669794202Z stdout F the log line\ngarbage\n", "" },
	{ "Nov  3 07:01:02 host1 sshd[1234]: x\nFoo  3 07:01:02 host1 sshd[1234]: x\n", "" },
};

START_TEST(test_sniffs)
{
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		for (size_t f = 0; f < NSNIFF; f++) {
			char name[32];
			snprintf(name, sizeof name, "%s ", sniffers[f]->name);
			int want = strstr(samples[i].claimed_by, name) != NULL;
			int got = sniffers[f]->sniff(samples[i].text, strlen(samples[i].text));
			ck_assert_msg(got == want, "sample %zu, %s: %d, want %d", i, sniffers[f]->name, got, want);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sniff");
	TCase *tc = tcase_create("sniff");
	tcase_add_test(tc, test_sniffs);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
