/* SPDX-License-Identifier: MIT */
/* parse_clf.c - the combined and common formats: access logs as Apache
 * and nginx write them. */
#include "config.h"
#include <string.h>
#include "parse.h"


/* combined and common fields, in the order they appear */
enum clf_field { C_IP, C_IDENT, C_USER, C_TIME, C_REQUEST, C_METHOD, C_PATH, C_PROTOCOL, C_STATUS, C_BYTES,
		 C_REFERER, C_AGENT, C_NFIELDS };
static const char *const combined_names[] = { "ip", "ident", "user", "time", "request", "method", "path",
					       "protocol", "status", "bytes", "referer", "agent", NULL };
static const char *const common_names[] = { "ip", "ident", "user", "time", "request", "method", "path",
					     "protocol", "status", "bytes", NULL };

static const char *until(const char *p, const char *end, char c)
{
	const char *q = memchr(p, c, (size_t)(end - p));
	return q ? q : end;
}

/* The same for fields of a few bytes (an IP, "-", a status): a plain loop
 * beats the call into memchr there. */
static inline const char *until_short(const char *p, const char *end, char c)
{
	while (p < end && *p != c)
		p++;
	return p;
}

/* A quoted field starting at p (on the quote); returns the byte after the
 * closing quote or NULL.  Backslash escapes are kept as they are.  A quote
 * closes the field when an even number of backslashes precede it; finding
 * candidates with memchr keeps long user agents cheap. */
static const char *quoted(const char *p, const char *end, struct rf_value *out)
{
	if (p >= end || *p != '"')
		return NULL;
	const char *s = ++p;
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q)
			return NULL;
		const char *b = q;
		while (b > s && b[-1] == '\\')
			b--;
		if (((q - b) & 1) == 0) {
			*out = rf__val(s, (size_t)(q - s));
			return q + 1;
		}
		p = q + 1;
	}
}

static int parse_clf(struct parse_state *ps, const char *p, size_t n, struct rf_value *row, int combined)
{
	const char *end = p + n, *q;
	struct rf_value f[C_NFIELDS];
	for (int i = 0; i < C_NFIELDS; i++)
		f[i] = RF_MISSING;
	/* host ident user */
	for (int i = C_IP; i <= C_USER; i++) {
		q = until_short(p, end, ' ');
		if (q == end || q == p)
			return -1;
		f[i] = rf__val(p, (size_t)(q - p));
		p = q + 1;
	}
	if (p >= end || *p != '[')
		return -1;
	/* the usual stamp is 26 bytes: [10/Oct/2000:13:55:36 -0700] */
	q = end - p > 27 && p[27] == ']' ? p + 27 : until(p, end, ']');
	if (q == end)
		return -1;
	f[C_TIME] = rf__val(p + 1, (size_t)(q - p - 1));
	p = q + 1;
	if (p >= end || *p != ' ')
		return -1;
	if (!(p = quoted(p + 1, end, &f[C_REQUEST])))
		return -1;
	/* request: METHOD PATH PROTOCOL, when it has that shape */
	{
		const char *r = f[C_REQUEST].p, *re = r + f[C_REQUEST].len;
		const char *s1 = until_short(r, re, ' ');
		if (s1 < re) {
			const char *s2 = until(s1 + 1, re, ' ');
			f[C_METHOD] = rf__val(r, (size_t)(s1 - r));
			f[C_PATH] = rf__val(s1 + 1, (size_t)(s2 - s1 - 1));
			if (s2 < re)
				f[C_PROTOCOL] = rf__val(s2 + 1, (size_t)(re - s2 - 1));
		}
	}
	if (p >= end || *p != ' ')
		return -1;
	p++;
	q = until_short(p, end, ' ');
	if (q - p != 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
		return -1;
	f[C_STATUS] = rf__val(p, 3);
	/* A line may be cut off after its status (a log written by a process
	 * that died, a line cut at a length limit): what it has is kept, and
	 * the record is counted as cut off.  Everything up to the status must
	 * be there. */
	int cut = 0;
	p = q + (q < end);
	q = until_short(p, end, ' ');
	if (p == end) {
		cut = 1;
	} else if (q == p) {
		return -1;
	} else {
		/* "-" means no body was sent: zero bytes */
		f[C_BYTES] = (q - p == 1 && *p == '-') ? rf__val("0", 1) : rf__val(p, (size_t)(q - p));
	}
	if (combined && !cut) {
		/* referer, then agent: each a quoted field after one space;
		 * fields some servers add after the agent are allowed */
		p = q;
		for (int i = C_REFERER; i <= C_AGENT && !cut; i++) {
			if (p >= end || p + 1 == end) {
				cut = 1; /* the line ends before this field */
				break;
			}
			if (*p != ' ' || p[1] != '"')
				return -1;
			const char *r = quoted(p + 1, end, &f[i]);
			if (!r) {
				/* its closing quote is cut off: the rest of the line */
				f[i] = rf__val(p + 2, (size_t)(end - p - 2));
				cut = 1;
			}
			p = r;
		}
	}
	for (int i = 0; i < ps->pc->nslots; i++) {
		int fi = ps->pc->slot_field[i];
		row[i] = fi >= 0 ? f[fi] : RF_MISSING;
	}
	return cut;
}

static int parse_combined(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
			  size_t n, struct rf_value *row)
{
	(void)k;
	(void)b;
	return parse_clf(ps, p, n, row, 1);
}

static int parse_common(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
			size_t n, struct rf_value *row)
{
	(void)k;
	(void)b;
	return parse_clf(ps, p, n, row, 0);
}

/* a slot's field: its place in a combined line */
static int clf_field(const struct parse_config *pc, const char *name)
{
	int n = -1;
	(void)pc;
	for (int f = 0; f < C_NFIELDS; f++)
		if (strcmp(combined_names[f], name) == 0)
			n = f;
	return n;
}

static int clf_open(struct parse_state *ps)
{
	for (int f = 0; f < C_NFIELDS; f++)
		ps->slot_of_field[f] = -1;
	for (int i = 0; i < ps->pc->nslots; i++)
		if (ps->pc->slot_field[i] >= 0)
			ps->slot_of_field[ps->pc->slot_field[i]] = i;
	return 0;
}

static const char *const time_only[] = { "time", NULL };

extern const struct parse_format rf__format_combined, rf__format_common;

static int combined_sniff(const char *p, size_t n)
{
	return rf__sniff_records(&rf__format_combined, p, n);
}

/* common reads a combined line too (it stops after the size): parse auto
 * tries combined first */
static int common_sniff(const char *p, size_t n)
{
	return rf__sniff_records(&rf__format_common, p, n);
}

const struct parse_format rf__format_combined = {
	.name = "combined",
	.known = combined_names,
	.time_fields = time_only,
	.field = clf_field,
	.open = clf_open,
	.record = parse_combined,
	.sniff = combined_sniff,
};

const struct parse_format rf__format_common = {
	.name = "common",
	.known = common_names,
	.time_fields = time_only,
	.field = clf_field,
	.open = clf_open,
	.record = parse_common,
	.sniff = common_sniff,
};
