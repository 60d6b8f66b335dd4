/* SPDX-License-Identifier: MIT */
/* frame_csv.c - where csv and tsv records end: at a newline outside
 * double quotes (RFC 4180, read as Python's csv module reads it).  The
 * framer, the batch's record count and the record-boundary functions of
 * records.c all ask here. */
#include "config.h"
#include <string.h>
#include "engine.h"

/* The csv record-end scans jump instead of stepping each byte: outside
 * quotes only a newline or a quote at a field's start (where the scan
 * starts in RF_Q_START, or just after a separator or a record's end)
 * matters, and inside a quoted field only the next quote.  memchr finds
 * those; a quote found outside quotes is checked by the byte before it. */

/* memchr, with the first bytes tried in line: quoted fields and the
 * stretches between them are often shorter than a call costs. */
static inline const char *csv_find(const char *p, const char *end, char c)
{
	const char *e = end - p > 16 ? p + 16 : end;
	for (; p < e; p++)
		if (*p == c)
			return p;
	return p < end ? memchr(p, c, (size_t)(end - p)) : NULL;
}

/* A quote at q, outside quotes in a stretch that started at p in state s
 * and holds no record end before q: does it open a quoted field? */
static inline int csv_opens(const char *p, const char *q, int s, char sep)
{
	if (q == p)
		return s == RF_Q_START;
	return q[-1] == sep || q[-1] == '\n';
}

/* The next quote in [p, stop) that opens a quoted field, or NULL. */
static const char *csv_next_open(const char *p, const char *stop, int s, char sep)
{
	const char *q = p;
	while (q < stop && (q = csv_find(q, stop, '"'))) {
		if (csv_opens(p, q, s, sep))
			return q;
		q++;
	}
	return NULL;
}

/* One step of a quoted field from p (s is RF_Q_QUOTED or RF_Q_QUOTE_SEEN):
 * returns where the scan goes on; *nl is set when the byte after a closing
 * quote is the newline that ends the record. */
static const char *csv_quoted_step(const char *p, const char *end, char sep, int *s, const char **nl)
{
	if (*s == RF_Q_QUOTED) {
		const char *q = csv_find(p, end, '"');
		if (!q)
			return end;
		*s = RF_Q_QUOTE_SEEN;
		return q + 1;
	}
	char c = *p;
	if (c == '"') /* "" inside a quoted field */
		*s = RF_Q_QUOTED;
	else if (c == '\n') {
		*s = RF_Q_START;
		*nl = p;
	} else
		*s = c == sep ? RF_Q_START : RF_Q_UNQUOTED;
	return p + 1;
}

/* The same scan a byte at a time from a record's start, for a short
 * record with quotes in it: there the jumps are too short to pay. */
const char *rf__csv_end_bytewise(const char *p, const char *end, char sep)
{
	int s = RF_Q_START;
	for (; p < end; p++) {
		char c = *p;
		if (s == RF_Q_QUOTED) {
			if (c == '"')
				s = RF_Q_QUOTE_SEEN;
			continue;
		}
		if (c == '"' && s != RF_Q_UNQUOTED) {
			/* opens a quoted field, or is the second of "" */
			s = RF_Q_QUOTED;
			continue;
		}
		if (c == '\n')
			return p;
		s = c == sep ? RF_Q_START : RF_Q_UNQUOTED;
	}
	return NULL;
}

const char *rf__csv_find_end(const char *p, size_t n, char sep, int *state)
{
	const char *end = p + n;
	const char *nl = NULL; /* the first newline at or after p, once known */
	int nl_known = 0;
	int s = *state;
	while (p < end) {
		if (s == RF_Q_QUOTED || s == RF_Q_QUOTE_SEEN) {
			const char *e = NULL;
			p = csv_quoted_step(p, end, sep, &s, &e);
			if (e) {
				*state = RF_Q_START;
				return e;
			}
			continue;
		}
		/* outside quotes: up to the next newline, a quote opening a
		 * field is the only thing that can move it */
		if (!nl_known || (nl && nl < p)) {
			nl = csv_find(p, end, '\n');
			nl_known = 1;
		}
		const char *stop = nl ? nl : end;
		const char *q = csv_next_open(p, stop, s, sep);
		if (q) {
			s = RF_Q_QUOTED;
			p = q + 1;
			continue;
		}
		if (nl) {
			*state = RF_Q_START;
			return nl;
		}
		s = end[-1] == sep ? RF_Q_START : RF_Q_UNQUOTED;
		p = end;
	}
	*state = s;
	return NULL;
}

const char *rf__csv_find_last_end(const char *p, size_t n, char sep, int *state)
{
	const char *last = NULL, *end = p + n;
	int s = RF_Q_START;
	while (p < end) {
		if (s == RF_Q_QUOTED || s == RF_Q_QUOTE_SEEN) {
			const char *e = NULL;
			p = csv_quoted_step(p, end, sep, &s, &e);
			if (e)
				last = e;
			continue;
		}
		/* outside quotes up to the next quote that opens a field: the
		 * last newline before it ends a record */
		const char *q = csv_next_open(p, end, s, sep);
		const char *stop = q ? q : end;
		if (stop - p > 32) {
			const char *nl = memrchr(p, '\n', (size_t)(stop - p));
			if (nl)
				last = nl;
		} else {
			for (const char *b = stop; b > p; b--)
				if (b[-1] == '\n') {
					last = b - 1;
					break;
				}
		}
		if (!q) {
			s = end[-1] == sep || end[-1] == '\n' ? RF_Q_START : RF_Q_UNQUOTED;
			break;
		}
		s = RF_Q_QUOTED;
		p = q + 1;
	}
	*state = s;
	return last;
}
