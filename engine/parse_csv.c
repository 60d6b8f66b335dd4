/* SPDX-License-Identifier: MIT */
/* parse_csv.c - the csv and tsv formats: columns named by each input's
 * header line. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "parse.h"
#include "scan.h"

extern const struct parse_format rf__format_csv;

/* Read as Python's csv module reads them (the excel dialect, not strict),
 * which also is RFC 4180 for well-formed files:
 * - a quote is special only as a field's first byte: it opens a quoted
 *   field, where the separator and newlines are data and "" is one quote;
 *   anywhere else a quote is data (a"b is the three bytes a"b);
 * - text after a quoted field's closing quote joins the field ("a"b is ab);
 * - a record that ends inside an open quote keeps what it has: the field
 *   runs to the end of the record, and the record is counted as cut off;
 * - a blank line is no record; the header is an input's first line that
 *   is not blank, without a UTF-8 byte order mark;
 * - a row shorter than the header lacks the rest (missing); the columns
 *   of a longer one are there only as $N;
 * - where two header names are the same, the last column of that name wins.
 */

/* Next field at p.  Returns the byte after its separator, or `end` after
 * the record's last field (*last set); NULL only when out of memory.
 * *open is set when the record ends inside quotes. */
static const char *csv_field(struct rf_batch *b, const char *p, const char *end, char sep, struct rf_value *out,
			     int *last, int *open)
{
	*last = 0;
	if (p >= end || *p != '"') {
		const char *q = p < end ? memchr(p, sep, (size_t)(end - p)) : NULL;
		*out = rf__val(p, (size_t)((q ? q : end) - p));
		p = q ? q : end;
	} else {
		const char *s = ++p;
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (q && (q + 1 == end || q[1] == sep)) {
			/* the usual case: no "" inside, nothing after */
			*out = rf__val(s, (size_t)(q - s));
			p = q + 1;
		} else if (!q) {
			*out = rf__val(s, (size_t)(end - s));
			*open = 1;
			p = end;
		} else {
			/* "" escapes or text after the quote: unquote into the
			 * arena, never longer than the raw field */
			char *d = rf__batch_alloc(b, (size_t)(end - s));
			if (!d)
				return NULL;
			size_t n = 0;
			int inq = 1;
			for (p = s; p < end; p++) {
				if (!inq) {
					if (*p == sep)
						break;
					d[n++] = *p;
				} else if (*p != '"') {
					d[n++] = *p;
				} else if (p + 1 < end && p[1] == '"') {
					d[n++] = '"';
					p++;
				} else {
					inq = 0;
				}
			}
			*open |= inq;
			*out = rf__val(d, n);
		}
	}
	if (p >= end) {
		*last = 1;
		return end;
	}
	return p + 1;
}

static int read_header(struct parse_state *ps, struct rf_batch *b, const char *p, size_t n, int *open)
{
	const struct parse_config *pc = ps->pc;
	char sep = pc->fmt == &rf__format_csv ? ',' : '\t';
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3; /* a byte order mark is no part of the first name */
		n -= 3;
	}
	const char *end = p + n;
	for (int i = 0; i < pc->nslots; i++) {
		int f = pc->slot_field[i];
		ps->col_of_slot[i] = f >= 1 ? f - 1 : -1; /* $N is column N */
	}
	int col = 0, last = 0;
	while (!last) {
		struct rf_value v;
		if (!(p = csv_field(b, p, end, sep, &v, &last, open)))
			return -ENOMEM;
		for (int i = 0; i < pc->nslots; i++)
			if (pc->slot_field[i] < 0 && pc->slot_field[i] != RF_SLOT_EVAL && ps->slot_len[i] == (size_t)v.len &&
			    memcmp(pc->slot_name[i], v.p, (size_t)v.len) == 0)
				ps->col_of_slot[i] = col;
		col++;
	}
	ps->have_header = 1;
	return 0;
}

/* 0, or 1 when the record ended inside quotes; -ENOMEM */
static int parse_csv(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p, size_t n,
		     struct rf_value *row)
{
	const struct parse_config *pc = ps->pc;
	char sep = pc->fmt == &rf__format_csv ? ',' : '\t';
	const char *end = p + n;
	int maxcol = -1;
	for (int i = 0; i < pc->nslots; i++)
		if (ps->col_of_slot[i] > maxcol)
			maxcol = ps->col_of_slot[i];
	int col = 0, last = 0, open = 0;
	struct rf_value v;
	for (int i = 0; i < pc->nslots; i++)
		row[i] = RF_MISSING;
	/* A record without a quote is its separators: every field at once
	 * from one vector pass, each slot's column taken straight from it. */
	if (rf__parse_scan_room(ps, k, n) < 0)
		return -ENOMEM;
	int quoted;
	size_t nsep = ps->scanner->sep_index(p, n, sep, ps->tok, &quoted);
	if (!quoted) {
		for (int i = 0; i < pc->nslots; i++) {
			int c = ps->col_of_slot[i];
			if (c < 0 || (size_t)c > nsep)
				continue; /* no such column, or the row is shorter */
			size_t s = c ? ps->tok[c - 1] + 1 : 0, e = (size_t)c < nsep ? ps->tok[c] : n;
			row[i] = rf__val(p + s, e - s);
		}
		return 0;
	}
	while (!last) {
		if (!(p = csv_field(b, p, end, sep, &v, &last, &open)))
			return -ENOMEM;
		if (col <= maxcol)
			for (int i = 0; i < pc->nslots; i++)
				if (ps->col_of_slot[i] == col)
					row[i] = v;
		col++;
	}
	return open;
}

static const char *const time_only[] = { "time", NULL };

const struct parse_format rf__format_csv = {
	.name = "csv",
	.time_fields = time_only,
	.header = read_header,
	.record = parse_csv,
};

const struct parse_format rf__format_tsv = {
	.name = "tsv",
	.time_fields = time_only,
	.header = read_header,
	.record = parse_csv,
};
