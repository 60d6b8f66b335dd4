/* SPDX-License-Identifier: MIT */
/* fuzz_expr.c - the expression language: its parser and its evaluator.
 *
 * The input's first line is an expression, the rest is the data.  The
 * expression either parses (in where and in eval) or is refused with a
 * message and a position; when it parses, it runs over the data, and
 * `where E` and `where not (E)` between them select every record exactly
 * once (a comparison with a missing side is false and `not` of it true),
 * unless E holds a regex, which may be undecided on a record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"
#include "fuzz.h"

static int parses(const char *query)
{
	rf_query *q = NULL;
	struct rf_query_error err;
	memset(&err, 0, sizeof err);
	int r = rf_query_parse(query, &q, &err);
	if (r == 0) {
		rf_query_free(q);
		return 1;
	}
	if (r != -22 || !err.message[0] || err.column < 0 || (size_t)err.column > strlen(query) + 1)
		abort();
	return 0;
}

static long count_of(const char *query, const uint8_t *data, size_t size, unsigned shape)
{
	const char *out;
	size_t n;
	if (fuzz_run(query, data, size, shape, &out, &n) != 0)
		return -1;
	char buf[32];
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, out, n);
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t elen = nl ? (size_t)(nl - data) : size;
	if (elen > 2000 || memchr(data, '\0', elen))
		return 0;
	const uint8_t *rest = nl ? nl + 1 : data + size;
	size_t rlen = (size_t)(data + size - rest);
	const char *head = elen && (data[0] & 1) ? "parse json" : "split";
	size_t cap = elen + 128;
	char *q = malloc(cap), *q2 = malloc(cap), *q3 = malloc(cap);
	if (!q || !q2 || !q3)
		abort();
	snprintf(q, cap, "%s | where %.*s | count", head, (int)elen, (const char *)data);
	snprintf(q2, cap, "%s | where not (%.*s) | count", head, (int)elen, (const char *)data);
	snprintf(q3, cap, "%s | eval v = %.*s | select v", head, (int)elen, (const char *)data);
	if (parses(q3)) {
		const char *out;
		size_t n;
		fuzz_run(q3, rest, rlen, (unsigned)size, &out, &n);
	}
	if (parses(q) && parses(q2) && !memchr(data, '~', elen) && !strstr(q, "regex_extract")) {
		long yes = count_of(q, rest, rlen, (unsigned)size), no = count_of(q2, rest, rlen, (unsigned)size);
		char total[64];
		snprintf(total, sizeof total, "%s | count", head);
		long all = count_of(total, rest, rlen, (unsigned)size);
		if (yes >= 0 && no >= 0 && all >= 0 && yes + no != all) {
			fprintf(stderr, "fuzz_expr: where E counts %ld, where not (E) %ld, of %ld records\n", yes, no,
				all);
			abort();
		}
	}
	free(q);
	free(q2);
	free(q3);
	return 0;
}
