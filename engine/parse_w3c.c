/* SPDX-License-Identifier: MIT */
/* parse_w3c.c - the W3C extended log format (IIS) and Amazon CloudFront's
 * standard logs: values in the columns a #Fields directive names.
 *
 * w3c separates its values with spaces, cloudfront with tabs.  A line
 * starting with '#' is a directive, no record (RF_NOT_A_RECORD); a
 * #Fields line may come again in the middle of a file (IIS restarted, or
 * files were joined) and the records after it follow it.  "-" is a
 * missing value; values are kept as written (IIS writes a space in a
 * user agent as '+', CloudFront URL-encodes some fields: neither is
 * decoded).
 *
 * A column is named as #Fields names it, or by that name in lower case
 * with '-' and '(' made '_' and ')' dropped: cs(User-Agent) is
 * cs_user_agent, cs-uri-stem is cs_uri_stem.  `timestamp` is date and
 * time together (both in UTC in these formats), for count by minute.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

extern const struct parse_format rf__format_cloudfront;

#define W_TIMESTAMP (-3)  /* slot_field of `timestamp`: a column of that name, else date + time */
#define W_JOINED (-3)     /* col_of_slot of a timestamp made of date and time */

/* The fields of CloudFront's standard logs, as AWS documents them: what a
 * file lacking its #Fields line has. */
static const char cloudfront_fields[] =
	"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
	"cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol "
	"cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
	"cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte "
	"x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

static char sep_of(const struct parse_state *ps)
{
	return ps->pc->fmt == &rf__format_cloudfront ? '\t' : ' ';
}

/* A #Fields name's query form into d (at least n bytes); its length. */
static size_t query_name(const char *p, size_t n, char *d)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == ')')
			continue;
		if (c == '-' || c == '(')
			c = '_';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		d[k++] = c;
	}
	return k;
}

static int is_slot(const struct parse_state *ps, int i, const char *name, size_t n)
{
	return ps->slot_len[i] == n && memcmp(ps->pc->slot_name[i], name, n) == 0;
}

/* A #Fields line (p after "#Fields:"): which column each slot reads. */
static int read_fields(struct parse_state *ps, const char *p, const char *end)
{
	const struct parse_config *pc = ps->pc;
	if (ps->scratch_cap < (size_t)(end - p) + 1) {
		char *s = realloc(ps->scratch, (size_t)(end - p) + 1);
		if (!s)
			return -ENOMEM;
		ps->scratch = s;
		ps->scratch_cap = (size_t)(end - p) + 1;
	}
	for (int i = 0; i < pc->nslots; i++) {
		int f = pc->slot_field[i];
		ps->col_of_slot[i] = f >= 1 ? f - 1 : -1; /* $N is column N */
	}
	ps->date_col = ps->time_col = -1;
	int col = 0;
	for (;;) {
		/* the names are separated by spaces (by tabs too, in some
		 * CloudFront files) */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		const char *s = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		size_t n = (size_t)(p - s), qn = query_name(s, n, ps->scratch);
		if (n == 4 && memcmp(s, "date", 4) == 0)
			ps->date_col = col;
		else if (n == 4 && memcmp(s, "time", 4) == 0)
			ps->time_col = col;
		for (int i = 0; i < pc->nslots; i++)
			if (pc->slot_field[i] < 0 && pc->slot_field[i] != RF_SLOT_EVAL &&
			    (is_slot(ps, i, s, n) || is_slot(ps, i, ps->scratch, qn)))
				ps->col_of_slot[i] = col;
		col++;
	}
	for (int i = 0; i < pc->nslots; i++)
		if (pc->slot_field[i] == W_TIMESTAMP && ps->col_of_slot[i] < 0 && ps->date_col >= 0 &&
		    ps->time_col >= 0)
			ps->col_of_slot[i] = W_JOINED;
	ps->header_cols = col;
	ps->have_header = 1;
	return 0;
}

/* date and time as one ISO 8601 instant in the arena: 2024-03-01T10:00:00Z */
static int joined_time(struct rf_batch *b, struct rf_value date, struct rf_value time, struct rf_value *out)
{
	if (date.len < 0 || time.len < 0)
		return 0; /* missing */
	char *d = rf__batch_alloc(b, (size_t)date.len + (size_t)time.len + 2);
	if (!d)
		return -ENOMEM;
	memcpy(d, date.p, (size_t)date.len);
	d[date.len] = 'T';
	memcpy(d + date.len + 1, time.p, (size_t)time.len);
	d[date.len + 1 + time.len] = 'Z';
	*out = rf__val(d, (size_t)date.len + (size_t)time.len + 2);
	return 0;
}

/* A record's fields.  A record with fewer columns than its header is cut
 * off (1: it keeps those it has); with more, its values do not line up
 * with the names (a separator inside a value): a reject. */
static int parse_w3c(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p, size_t n,
		     struct rf_value *row)
{
	(void)k;
	const struct parse_config *pc = ps->pc;
	const char *end = p + n;
	if (n == 0)
		return RF_NOT_A_RECORD;
	if (*p == '#') {
		if (n >= 8 && memcmp(p, "#Fields:", 8) == 0) {
			int r = read_fields(ps, p + 8, end);
			if (r < 0)
				return r;
		}
		return RF_NOT_A_RECORD;
	}
	if (!ps->have_header) {
		if (pc->fmt != &rf__format_cloudfront)
			return -1; /* no #Fields yet: nothing says what the columns are */
		int r = read_fields(ps, cloudfront_fields + 8, cloudfront_fields + sizeof cloudfront_fields - 1);
		if (r < 0)
			return r;
	}
	char sep = sep_of(ps);
	int maxcol = ps->date_col > ps->time_col ? ps->date_col : ps->time_col, joined = 0;
	for (int i = 0; i < pc->nslots; i++) {
		row[i] = RF_MISSING;
		if (ps->col_of_slot[i] > maxcol)
			maxcol = ps->col_of_slot[i];
		joined |= ps->col_of_slot[i] == W_JOINED;
	}
	struct rf_value date = RF_MISSING, time = RF_MISSING;
	int col = 0;
	for (;;) {
		const char *q = memchr(p, sep, (size_t)(end - p));
		const char *e = q ? q : end;
		struct rf_value v = rf__val(p, (size_t)(e - p));
		if (v.len == 1 && *p == '-')
			v = RF_MISSING;
		if (col <= maxcol) {
			for (int i = 0; i < pc->nslots; i++)
				if (ps->col_of_slot[i] == col)
					row[i] = v;
			if (col == ps->date_col)
				date = v;
			else if (col == ps->time_col)
				time = v;
		}
		col++;
		if (!q)
			break;
		p = q + 1;
	}
	if (col > ps->header_cols)
		return -1;
	if (joined)
		for (int i = 0; i < pc->nslots; i++)
			if (ps->col_of_slot[i] == W_JOINED && joined_time(b, date, time, &row[i]) < 0)
				return -ENOMEM;
	return col < ps->header_cols;
}

static int w3c_field(const struct parse_config *pc, const char *name)
{
	(void)pc;
	int n;
	if (rf__is_dollar_n(name, &n))
		return n;
	return strcmp(name, "timestamp") == 0 ? W_TIMESTAMP : -1;
}

static const char *const timestamp_only[] = { "timestamp", NULL };

/* ---- parse auto ---- */

struct w3c_sniff {
	char sep;
	const char *need; /* a name #Fields must have, or NULL */
	int cols;         /* how many the last #Fields named; -1 before one */
};

/* One line of a sample: a directive, or a record with as many columns as
 * the #Fields before it names. */
static int w3c_line(void *ctx, const char *p, const char *e)
{
	struct w3c_sniff *s = ctx;
	if (*p != '#') {
		int c = 1;
		for (const char *q = p; (q = memchr(q, s->sep, (size_t)(e - q))); q++)
			c++;
		return s->cols >= 1 && c == s->cols;
	}
	if (e - p < 8 || memcmp(p, "#Fields:", 8) != 0)
		return 1;
	if (s->need && !memmem(p, (size_t)(e - p), s->need, strlen(s->need)))
		return 0;
	s->cols = 0;
	for (const char *q = p + 8; q < e;) {
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q < e)
			s->cols++;
		while (q < e && *q != ' ' && *q != '\t')
			q++;
	}
	return 1;
}

/* Whether [p, p + n) is a log of this format: a #Fields line before any
 * record, every record fitting it. */
static int sniff_w3c_like(const char *p, size_t n, char sep, const char *need)
{
	struct w3c_sniff s = { sep, need, -1 };
	return rf__sniff_lines(p, n, w3c_line, &s) && s.cols > 0;
}

static int sniff_w3c(const char *p, size_t n)
{
	return sniff_w3c_like(p, n, ' ', NULL);
}

static int sniff_cloudfront(const char *p, size_t n)
{
	return sniff_w3c_like(p, n, '\t', "x-edge-location");
}

const struct parse_format rf__format_w3c = {
	.name = "w3c",
	.time_fields = timestamp_only,
	.field = w3c_field,
	.record = parse_w3c,
	.sniff = sniff_w3c,
	.per_input = 1,
};

const struct parse_format rf__format_cloudfront = {
	.name = "cloudfront",
	.time_fields = timestamp_only,
	.field = w3c_field,
	.record = parse_w3c,
	.sniff = sniff_cloudfront,
	.per_input = 1,
};
