/* SPDX-License-Identifier: MIT */
/* fuzz_parse.c - the record parsers under fuzzing, through the whole engine.
 *
 * RF_FUZZ_FORMAT names the parser (combined, common, json, logfmt, csv, tsv,
 * regex, auto, from, nginx, apache, pattern, alb, elb, rfc5424, rfc3164,
 * syslog, w3c, cloudfront, cri, docker): one harness per parser, each with
 * its own corpus.  The query parses the input and uses what the parser found (filters, numbers, group
 * keys), so a bad offset or length shows in the stages after it.  The first
 * input byte picks the I/O shape; the rest is the log.  Each input runs at
 * every SIMD level the CPU has, scalar first, and every level must print
 * what scalar printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"
#include "simd.h"
#include "fuzz.h"

static const struct {
	const char *format, *query;
} formats[] = {
	{ "combined", "parse combined | where status >= 300 or path contains \"a\" | "
		      "count, sum(bytes), p99(bytes), distinct(ip) by method, status, agent" },
	{ "common", "parse common | where bytes > 10 | count, avg(bytes), min(time) by hour, user" },
	{ "json", "parse json | where a.b > 1 or c ~ \"x.*y\" or not d | count, sum(n), max(a.b), "
		  "distinct(e), distinct(a), max(a.b.c) by k, a.c" },
	{ "logfmt", "parse logfmt | where level != \"debug\" | count, sum(n), p50(ms) by level, msg" },
	{ "csv", "parse csv | where $2 > 0 | count, sum($2), max($3), distinct(name) by $1, val" },
	{ "tsv", "parse tsv | count, avg($2), min($3), max(val) by $1, $4" },
	{ "regex", "parse regex '(?<k>[A-Za-z_]+)=(?<n>-?[0-9.]+)(?: (?<rest>.*))?' | where n < 1e9 | "
		   "count, sum(n), p90(n) by k, rest" },
	{ "auto", "parse auto | where status >= 300 or level == \"x\" | count, sum(bytes), max(ms) by status, level, minute" },
	{ "from", "parse json | parse logfmt from msg nodrop | parse json from a.b | where k > 1 | "
		  "count, sum(n), distinct(v) by k, level, c.d" },
	{ "nginx", "parse nginx '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
		   "\"$http_referer\" \"$http_user_agent\" $request_time $upstream_response_time' | "
		   "where status >= 300 or path contains \"a\" | count, sum(bytes), p99(request_time), distinct(ip) "
		   "by method, minute, agent, upstream_response_time" },
	{ "apache", "parse apache '%h %l %u %t \"%r\" %>s%b %D \"%{Referer}i\" %{X-Forwarded-For}i' | "
		    "where bytes > 10 | count, sum(duration_us), max(time) by protocol, referer, x_forwarded_for" },
	{ "pattern", "parse \"* [*] *=*\" as a, b, k, v | count, sum(v), min(a) by b, k" },
	{ "alb", "parse alb | count, sum(sent_bytes), max(target_processing_time) by elb_status_code, client_ip, "
		 "client_port, method, trace_id, conn_trace_id" },
	{ "elb", "parse elb | count, avg(received_bytes) by hour, backend_ip, backend_status_code, path, ssl_protocol" },
	{ "rfc5424", "parse rfc5424 | where severity < 4 or sd.a.x contains \"x\" | count, distinct(hostname), "
		     "max(timestamp) by appname, sd.exampleSDID@32473.iut, msg, minute" },
	{ "rfc3164", "parse rfc3164 | where procid > 10 or msg contains \"a\" | count, min(timestamp) by appname, "
		     "hostname, facility, minute" },
	{ "syslog", "parse syslog | count, distinct(msgid) by facility, severity, sd, sd.origin.ip, msg, minute" },
	{ "w3c", "parse w3c | where sc_status >= 400 or cs_uri_stem contains \"a\" | count, sum(time_taken), "
		 "p99(sc_bytes) by cs_method, cs_user_agent, minute, $3" },
	{ "cloudfront", "parse cloudfront | where sc_status > 0 | count, sum(sc_bytes) by x_edge_location, cs_host, "
			"minute, $30" },
	{ "cri", "parse cri | where stream == \"stderr\" or log contains \"x\" | count, max(time) by tag, log, minute" },
	{ "docker", "parse docker | where stream != \"stdout\" or log ~ \"a.*b\" | count, distinct(log) by attrs.tag, "
		    "time, minute" },
};

static const char *query;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	const char *f = getenv("RF_FUZZ_FORMAT");
	for (size_t i = 0; f && i < sizeof formats / sizeof formats[0]; i++)
		if (strcmp(f, formats[i].format) == 0)
			query = formats[i].query;
	if (!query) {
		fprintf(stderr, "fuzz_parse: set RF_FUZZ_FORMAT to one of the formats in fuzz_parse.c\n");
		exit(2);
	}
	return 0;
}

/* A level of RF_SIMD_LIST (past its end a level has no name) */
static int is_level(int level)
{
	const char *name = rf_simd_name((enum rf_simd)level);
	return name && strcmp(name, "?") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *want;
	static size_t want_cap;
	size_t want_len = 0;
	int want_r = 0;

	if (!query)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return 0;
	/* every level this CPU has, scalar (the first after auto) first */
	for (int level = RF_SIMD_SCALAR; is_level(level); level++) {
		const char *out;
		size_t out_len;
		if (!rf__kernels((enum rf_simd)level))
			continue;
		fuzz_simd = level;
		int r = fuzz_run(query, data + 1, size - 1, data[0], &out, &out_len);
		/* 1: the input was refused (a record over --max-record), which is
		 * allowed; a failure of the run is not */
		if (r < 0)
			abort();
		if (level == RF_SIMD_SCALAR) {
			if (out_len >= want_cap) {
				want_cap = out_len + 1;
				if (!(want = realloc(want, want_cap)))
					abort();
			}
			memcpy(want, out, out_len);
			want_len = out_len;
			want_r = r;
		} else if (r != want_r || out_len != want_len || memcmp(out, want, out_len) != 0) {
			fprintf(stderr, "fuzz_parse: --simd=%s returned %d and printed:\n%.*s\n",
				rf_simd_name((enum rf_simd)level), r, (int)out_len, out);
			fprintf(stderr, "--simd=scalar returned %d and printed:\n%.*s\n", want_r, (int)want_len, want);
			abort();
		}
	}
	fuzz_simd = RF_SIMD_AUTO;
	return 0;
}
