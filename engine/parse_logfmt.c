/* SPDX-License-Identifier: MIT */
/* parse_logfmt.c - the logfmt format: key=value pairs, values bare or
 * quoted as JSON strings, a bare key a flag. */
#include "config.h"
#include <string.h>
#include "parse.h"

static int parse_logfmt(struct parse_state *ps, const struct rf_kernels *kern, struct rf_batch *b, const char *p,
			size_t n, struct rf_value *row)
{
	(void)kern;
	const struct parse_config *pc = ps->pc;
	const char *end = p + n;
	for (int i = 0; i < pc->nslots; i++)
		row[i] = RF_MISSING;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			return 0;
		const char *k = p;
		while (p < end && *p != '=' && *p != ' ' && *p != '\t' && *p != '"')
			p++;
		if (p == k)
			return -1; /* '=' or '"' where a key should start */
		int slot = rf__json_slot(pc, k, (size_t)(p - k));
		if (p >= end || *p != '=') {
			if (p < end && *p == '"')
				return -1;
			if (slot >= 0)
				row[slot] = rf__val("true", 4); /* a bare key is a flag */
			continue;
		}
		p++;
		struct rf_value v;
		if (p < end && *p == '"') {
			int esc;
			const char *q = rf__json_string(p, end, &v, &esc);
			if (!q)
				return -1;
			if (esc && slot >= 0 && rf__json_unescape(b, v, &v) < 0)
				return -1;
			p = q;
		} else {
			const char *s = p;
			while (p < end && *p != ' ' && *p != '\t')
				p++;
			v = rf__val(s, (size_t)(p - s));
		}
		if (slot >= 0)
			row[slot] = v;
	}
}

extern const struct parse_format rf__format_logfmt;

/* logfmt reads almost any text (a word alone is a key without a value):
 * parse auto takes it only when every line starts with key=value */
static int logfmt_sniff(const char *p, size_t n)
{
	for (const char *q = p, *end = p + n; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		const char *e = nl ? nl : end;
		if (e > q && e[-1] == '\r')
			e--;
		while (q < e && *q == ' ')
			q++;
		const char *k = q;
		while (k < e && *k != '=' && *k != ' ' && *k != '"')
			k++;
		if (q < e && (k == q || k == e || *k != '='))
			return 0; /* a line that is not blank and starts with no key= */
		q = nl ? nl + 1 : end;
	}
	return rf__sniff_records(&rf__format_logfmt, p, n);
}

const struct parse_format rf__format_logfmt = {
	.name = "logfmt",
	.time_fields = rf__json_time_names,
	.record = parse_logfmt,
	.sniff = logfmt_sniff,
};
