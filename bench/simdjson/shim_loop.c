/* SPDX-License-Identifier: MIT */
/* shim_loop.c - the engine's side of the shim: C code calling
 * sj_fields() once a line, as parse_json would.  See agg.h. */
#include <string.h>
#include "agg.h"
#include "sj_shim.h"

/* A decimal integer's text (what the two fields hold) to its value;
 * -1 when it is something else (a float's text, a string). */
static int int_text(const struct span *s, long long *v)
{
	const char *p = s->p, *end = s->p + s->n;
	int neg = 0;
	long long x = 0;
	if (!p || p == end)
		return -1;
	if (*p == '-' && ++p == end)
		return -1;
	neg = p != s->p;
	if (end - p > 18)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		x = x * 10 + (*p - '0');
	}
	*v = neg ? -x : x;
	return 0;
}

void shim_loop(const char *buf, size_t len, int padded_end, int lazy, struct agg *a)
{
	static const char *const paths[] = { "status", "bytes" };
	char pad[4096 + SJ_PADDING];
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *line = p;
		size_t n = (size_t)(le - p);
		p = nl ? nl + 1 : end;
		if (n == 0)
			continue;
		if (!padded_end && (size_t)(end - le) < SJ_PADDING) {
			/* the mapping may end right after this line */
			if (n > sizeof(pad) - SJ_PADDING) {
				a->rejected++;
				continue;
			}
			memcpy(pad, line, n);
			line = pad;
			a->copies++;
		}
		struct span v[2];
		int rc = lazy ? sj_fields_lazy(line, n, paths, 2, v) : sj_fields(line, n, paths, 2, v);
		if (rc < 0) {
			a->rejected++;
			continue;
		}
		a->records++;
		long long status, bytes;
		int g = int_text(&v[0], &status) == 0 && status >= 0 && status < AGG_OTHER ? (int)status : AGG_OTHER;
		a->count[g]++;
		if (int_text(&v[1], &bytes) == 0)
			a->sum[g] += bytes;
		else
			a->notnum++;
	}
}
