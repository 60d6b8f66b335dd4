/* SPDX-License-Identifier: MIT */
/* records.c - where records end: at newlines, at newlines outside csv
 * quotes, or (multiline records) just before a line that starts a record.
 *
 * A multiline rule judges one whole line at a time: a preset looks at its
 * first bytes (java, python, go, indent), --record-start runs a PCRE2
 * pattern over it (after a literal-prefix check when the pattern begins
 * with ^ and plain text).  The newline before a start line ends a record,
 * so a boundary is known only once the line after it is complete: the scans
 * below never judge a line that runs past the end of the bytes they were
 * given, unless told that the end of those bytes ends a record (`whole`: a
 * batch).  Callers that see data in chunks (the framer) make the line that
 * straddles a chunk end contiguous before it is judged.
 *
 * The first line of an input always starts a record: lines before the
 * first match form a record of their own.
 */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "expr.h"

/* Per-thread match data for --record-start: the framer, the range split
 * and every stage thread judge lines (no allocation per line). */
static pthread_key_t match_key;
static pthread_once_t match_once = PTHREAD_ONCE_INIT;

static void free_match(void *m)
{
	rf__regex_match_free(m);
}

static void make_key(void)
{
	pthread_key_create(&match_key, free_match);
}

static const char *const preset_names[] = {
	[RF_ML_REGEX] = "record-start",
	[RF_ML_JAVA] = "java",
	[RF_ML_PYTHON] = "python",
	[RF_ML_GO] = "go",
	[RF_ML_INDENT] = "indent",
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

static int has_suffix(const char *p, size_t n, const char *suf)
{
	size_t l = strlen(suf);
	return n >= l && memcmp(p + n - l, suf, l) == 0;
}

/* An exception's header line, "pkg.Name: message" or "Name" alone: a
 * (dotted, if dotted) name whose last part ends in one of suffixes,
 * followed by ':' or the end of the line. */
static int exception_line(const char *p, size_t n, int need_dot, const char *const *suffixes)
{
	size_t i = 0, last = 0;
	int dots = 0;
	if (n == 0 || (p[0] >= '0' && p[0] <= '9') || !ident_char((unsigned char)p[0]))
		return 0;
	while (i < n && (ident_char((unsigned char)p[i]) || p[i] == '.')) {
		if (p[i] == '.') {
			if (i + 1 >= n || !ident_char((unsigned char)p[i + 1]))
				return 0;
			dots++;
			last = i + 1;
		}
		i++;
	}
	if (i < n && p[i] != ':')
		return 0;
	if (need_dot && !dots)
		return 0;
	for (const char *const *s = suffixes; *s; s++)
		if (has_suffix(p + last, i - last, *s))
			return 1;
	return 0;
}

static int starts_with(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(p, lit, l) == 0;
}

/* java: a line that begins with a blank, "Caused by:", "Suppressed:",
 * "... N more" or an exception header (a dotted class name ending in
 * Exception, Error or Throwable, then ':' or nothing) continues. */
static int java_start(const char *p, size_t n)
{
	static const char *const suffixes[] = { "Exception", "Error", "Throwable", NULL };
	if (n == 0 || is_blank(p[0]))
		return 0;
	if (starts_with(p, n, "Caused by:") || starts_with(p, n, "Suppressed:"))
		return 0;
	if (starts_with(p, n, "... ") && n > 4 && p[4] >= '0' && p[4] <= '9')
		return 0;
	return !exception_line(p, n, 1, suffixes);
}

/* python: a traceback and the exception line that ends it continue the
 * record that logged it: "Traceback (most recent call last):", the
 * chaining sentences between tracebacks, indented lines, and a line that
 * begins with an exception name (Error, Exception, Warning, ...). */
static int python_start(const char *p, size_t n)
{
	static const char *const suffixes[] = { "Error", "Exception", "Warning", "Interrupt", "Exit", "Iteration",
						"Group", NULL };
	if (n == 0 || is_blank(p[0]))
		return 0;
	if (starts_with(p, n, "Traceback (most recent call last):") ||
	    starts_with(p, n, "During handling of the above exception") ||
	    starts_with(p, n, "The above exception was the direct cause"))
		return 0;
	return !exception_line(p, n, 0, suffixes);
}

/* go: a panic's goroutine dump continues it: blank lines, "goroutine N
 * [...]:", indented file lines, "created by ...", "[signal ...", "...
 * frames elided" and the function lines (a dotted name with no blank
 * before its '(', ending with ')'). */
static int go_start(const char *p, size_t n)
{
	if (n == 0 || is_blank(p[0]))
		return 0;
	if (starts_with(p, n, "goroutine ") || starts_with(p, n, "created by ") || starts_with(p, n, "[signal ") ||
	    p[0] == '.')
		return 0;
	if (p[n - 1] == ')') {
		const char *paren = memchr(p, '(', n);
		int dot = 0;
		if (!paren || paren == p) /* no name before a '(' */
			return 1;
		for (const char *q = p; q < paren; q++) {
			if (is_blank(*q))
				return 1;
			dot |= *q == '.';
		}
		return !dot;
	}
	return 1;
}

/* Is the line p[0..n) (without its newline) the first line of a record? */
int rf__ml_is_start(const struct rf_ml *m, const char *p, size_t n)
{
	if (n && p[n - 1] == '\r') /* a CRLF line's CR is part of its end */
		n--;
	switch (m->kind) {
	case RF_ML_INDENT:
		return n > 0 && !is_blank(p[0]);
	case RF_ML_JAVA:
		return java_start(p, n);
	case RF_ML_PYTHON:
		return python_start(p, n);
	case RF_ML_GO:
		return go_start(p, n);
	case RF_ML_REGEX:
		break;
	default:
		return 1;
	}
	if (m->prefix_len) {
		if (n < m->prefix_len || memcmp(p, m->prefix, m->prefix_len) != 0)
			return 0;
		if (m->prefix_only)
			return 1;
	}
	pthread_once(&match_once, make_key);
	struct rf_regex_match *md = pthread_getspecific(match_key);
	if (!md) {
		md = rf__regex_match_new(m->re);
		if (!md)
			return 1; /* out of memory: cut more records, lose no byte */
		pthread_setspecific(match_key, md);
	}
	size_t s, e;
	/* a line at the regex limits does not start a record */
	return rf__regex_search(m->re, md, p, n, 0, &s, &e) == 1;
}

/* Characters that are themselves in a PCRE2 pattern. */
static int plain_char(char c)
{
	return c && !strchr("\\^$.[]|()?*+{}", c);
}

/* Whether the pattern has a | outside parentheses and classes: ^A|B also
 * matches lines that do not start with A. */
static int top_level_alt(const char *re)
{
	int depth = 0, in_class = 0;
	for (const char *p = re; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (in_class)
			in_class = *p != ']';
		else if (*p == '[')
			in_class = (p[1] == ']' || (p[1] == '^' && p[2] == ']')) ? 2 : 1; /* []...] */
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '|' && depth == 0)
			return 1;
		if (in_class == 2) { /* a ] first in a class is one of its bytes */
			p += p[1] == '^' ? 2 : 1;
			in_class = 1;
		}
	}
	return 0;
}

int rf__ml_init(struct rf_ml *m, const char *preset, const char *regex, struct rf_query_error *err)
{
	memset(m, 0, sizeof *m);
	if (regex) {
		m->kind = RF_ML_REGEX;
		m->re = rf__regex_compile(regex, strlen(regex), 0, 0, err, 0);
		if (!m->re)
			return -EINVAL;
		if (regex[0] == '^' && !top_level_alt(regex)) {
			size_t i = 1;
			while (plain_char(regex[i]) && i - 1 < sizeof m->prefix)
				i++;
			/* a quantifier binds to the character before it */
			if (regex[i] == '?' || regex[i] == '*' || regex[i] == '{')
				i--;
			m->prefix_len = i - 1;
			memcpy(m->prefix, regex + 1, m->prefix_len);
			m->prefix_only = regex[i] == 0;
		}
		m->name = preset_names[RF_ML_REGEX];
		return 0;
	}
	for (int i = RF_ML_JAVA; i <= RF_ML_INDENT; i++)
		if (strcmp(preset, preset_names[i]) == 0) {
			m->kind = i;
			m->name = preset_names[i];
			return 0;
		}
	return -EINVAL;
}

void rf__ml_free(struct rf_ml *m)
{
	if (m->re)
		rf__regex_free(m->re);
	m->re = NULL;
	m->kind = RF_ML_NONE;
}

const char *rf__ml_find_end(const struct rf_ml *m, const struct rf_kernels *k, const char *p, size_t n, int whole)
{
	const char *end = p + n;
	const char *nl = k->find_byte(p, n, '\n');
	while (nl) {
		const char *next = nl + 1;
		if (next == end) /* no line after it */
			return whole ? nl : NULL;
		const char *nl2 = k->find_byte(next, (size_t)(end - next), '\n');
		if (!nl2 && !whole)
			return NULL; /* the next line is not complete */
		if (rf__ml_is_start(m, next, (size_t)((nl2 ? nl2 : end) - next)))
			return nl;
		nl = nl2;
	}
	return NULL;
}

const char *rf__ml_find_last_end(const struct rf_ml *m, const struct rf_kernels *k, const char *p, size_t n)
{
	/* from the end back: the last complete line, then the one before... */
	const char *line_end = k->find_last_byte(p, n, '\n');
	if (!line_end)
		return NULL;
	while (line_end > p) {
		const char *nl = k->find_last_byte(p, (size_t)(line_end - p), '\n');
		if (!nl)
			return NULL; /* the line at p starts the record itself */
		if (rf__ml_is_start(m, nl + 1, (size_t)(line_end - nl - 1)))
			return nl;
		line_end = nl;
	}
	return NULL;
}

const char *rf__rec_find_end(const struct rf_recdef *d, const struct rf_kernels *k, const char *p, size_t n,
			     int whole)
{
	if (d->ml)
		return rf__ml_find_end(d->ml, k, p, n, whole);
	if (d->quote_sep) {
		int qs = RF_Q_START;
		return rf__csv_find_end(p, n, d->quote_sep, &qs);
	}
	return k->find_byte(p, n, '\n');
}

const char *rf__rec_find_last_end(const struct rf_recdef *d, const struct rf_kernels *k, const char *p, size_t n)
{
	if (d->ml)
		return rf__ml_find_last_end(d->ml, k, p, n);
	if (d->quote_sep) {
		int qs = RF_Q_START;
		return rf__csv_find_last_end(p, n, d->quote_sep, &qs);
	}
	return k->find_last_byte(p, n, '\n');
}
