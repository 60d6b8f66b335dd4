/* SPDX-License-Identifier: MIT */
/* regex.c - the PCRE2 patterns of where's ~, regex, grep -i, parse regex
 * and regex_extract: compiled once per query, matched with per-thread
 * match data and bounded stacks. */
#include "config.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"

/* ---- PCRE2 ---- */

struct rf_regex {
	pcre2_code *code;
};

struct rf_regex_match {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;  /* grown on demand, up to RF_REGEX_JIT_STACK_MAX */
	size_t stack_max;
};

struct rf_regex *rf__regex_compile(const char *pattern, size_t len, int literal, int caseless,
				   struct rf_query_error *err, int column)
{
	int ec;
	PCRE2_SIZE eo;
	/* No PCRE2_UTF: logs hold invalid UTF-8, and bytes are bytes. */
	uint32_t opts = (literal ? PCRE2_LITERAL : 0) | (caseless ? PCRE2_CASELESS : 0);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &ec, &eo, NULL);
	if (!code) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(ec, msg, sizeof msg);
		rf__fail(err, column + 1 + (int)eo, "bad regular expression: %s", (char *)msg);
		return NULL;
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	struct rf_regex *re = malloc(sizeof *re);
	if (!re) {
		pcre2_code_free(code);
		return NULL;
	}
	re->code = code;
	return re;
}

/* The pattern "a|b|c" matching any of the literals: ASCII letters, digits
 * and bytes from 0x80 up as they are (in UTF mode they spell the literal's
 * characters), every other byte escaped with a backslash, which makes any
 * non-alphanumeric character stand for itself. */
static char *alternation(char *const *lits, const size_t *lens, int n, size_t *len)
{
	size_t cap = 1;
	for (int i = 0; i < n; i++)
		cap += 2 * lens[i] + 1;
	char *pat = malloc(cap), *o = pat;
	if (!pat)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (i)
			*o++ = '|';
		for (size_t j = 0; j < lens[i]; j++) {
			unsigned char ch = (unsigned char)lits[i][j];
			if (!(ch >= 0x80 || (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')))
				*o++ = '\\';
			*o++ = (char)ch;
		}
	}
	*o = 0;
	*len = (size_t)(o - pat);
	return pat;
}

struct rf_regex *rf__regex_compile_literals(char *const *lits, const size_t *lens, int n, int flags)
{
	int ec;
	PCRE2_SIZE eo;
	/* RF_LIT_UTF: Unicode simple case folding on valid UTF-8; invalid
	 * sequences in the subject match nothing, so its other bytes still can */
	uint32_t opts = (flags & RF_LIT_CASELESS ? PCRE2_CASELESS : 0) |
			(flags & RF_LIT_UTF ? PCRE2_UTF | PCRE2_MATCH_INVALID_UTF : 0);
	size_t len = lens[0];
	char *pat = n == 1 ? NULL : alternation(lits, lens, n, &len);
	if (n > 1 && !pat)
		return NULL;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)(pat ? pat : lits[0]), len, opts | (n == 1 ? PCRE2_LITERAL : 0),
					 &ec, &eo, NULL);
	free(pat);
	if (!code)
		return NULL; /* RF_LIT_UTF: a literal is not valid UTF-8 */
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	struct rf_regex *re = malloc(sizeof *re);
	if (!re) {
		pcre2_code_free(code);
		return NULL;
	}
	re->code = code;
	return re;
}

void rf__regex_free(struct rf_regex *re)
{
	if (re) {
		pcre2_code_free(re->code);
		free(re);
	}
}

struct rf_regex_match *rf__regex_match_new(const struct rf_regex *re)
{
	struct rf_regex_match *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	m->mc = pcre2_match_context_create(NULL);
	if (!m->md || !m->mc || pcre2_set_heap_limit(m->mc, RF_REGEX_HEAP_MAX >> 10) != 0) {
		rf__regex_match_free(m);
		return NULL;
	}
	/* no JIT stack yet: PCRE2's own 32 KiB serves most lines */
	return m;
}

void rf__regex_match_free(struct rf_regex_match *m)
{
	if (m) {
		pcre2_match_data_free(m->md);
		pcre2_match_context_free(m->mc);
		pcre2_jit_stack_free(m->stack);
		free(m);
	}
}

/* A bigger JIT stack after the one in use ran out: 1 MiB, then 4 times
 * the last, up to RF_REGEX_JIT_STACK_MAX.  The memory is only reserved;
 * pages are used as the match goes deeper.  -1 when at the maximum. */
static int grow_jit_stack(struct rf_regex_match *m)
{
	if (m->stack_max >= RF_REGEX_JIT_STACK_MAX)
		return -1;
	size_t max = m->stack_max ? m->stack_max * 4 : (size_t)1 << 20;
	if (max > RF_REGEX_JIT_STACK_MAX)
		max = RF_REGEX_JIT_STACK_MAX;
	pcre2_jit_stack *s = pcre2_jit_stack_create(32 << 10, max, NULL);
	if (!s)
		return -1;
	pcre2_jit_stack_free(m->stack);
	m->stack = s;
	m->stack_max = max;
	pcre2_jit_stack_assign(m->mc, NULL, s);
	return 0;
}

int rf__regex_search(const struct rf_regex *re, struct rf_regex_match *m, const char *p, size_t n,
		     size_t from, size_t *start, size_t *end)
{
	int rc;
	while ((rc = pcre2_match(re->code, (PCRE2_SPTR)p, n, from, 0, m->md, m->mc)) == PCRE2_ERROR_JIT_STACKLIMIT &&
	       grow_jit_stack(m) == 0)
		;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_NOMEMORY)
		return RF_REGEX_LIMIT;
	if (rc < 0)
		return -EINVAL;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	*start = ov[0];
	*end = ov[1];
	return 1;
}

int rf__regex_names(const struct rf_regex *re, char **names, int *numbers, int max)
{
	uint32_t count = 0, entry = 0;
	PCRE2_SPTR table;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	if (!names)
		return (int)count;
	int n = 0;
	for (uint32_t i = 0; i < count && n < max; i++) {
		const unsigned char *e = table + i * entry;
		numbers[n] = (e[0] << 8) | e[1];
		names[n] = (char *)(e + 2);
		n++;
	}
	return n;
}

int rf__regex_group(const struct rf_regex_match *m, int number, size_t *start, size_t *end)
{
	if ((uint32_t)number >= pcre2_get_ovector_count(m->md))
		return 0;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	if (ov[2 * number] == PCRE2_UNSET)
		return 0;
	*start = ov[2 * number];
	*end = ov[2 * number + 1];
	return 1;
}

/* ---- what a pattern can match, for the scans over many lines ---------- */

static int hexval(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

/* The escape whose letter is p[i] (after a backslash): returns its length
 * and sets *ch to the byte it stands for, ESC_SET for one of the classes
 * \d \w \S \h (no newline in any), or ESC_OTHER for everything else: \s,
 * \n, \W, \D, \N, \p, back references, octal, \Q... a newline, maybe. */
#define ESC_SET (-1)
#define ESC_OTHER (-2)
static size_t escape_at(const char *p, size_t n, size_t i, int *ch)
{
	unsigned char c = (unsigned char)p[i];
	switch (c) {
	case 'd': case 'w': case 'S': case 'h': *ch = ESC_SET; return 1;
	case 't': *ch = '\t'; return 1;
	case 'r': *ch = '\r'; return 1;
	case 'f': *ch = '\f'; return 1;
	case 'e': *ch = 0x1b; return 1;
	case 'a': *ch = 0x07; return 1;
	case 'x': {
		/* \xhh (up to two digits), \x{h...}; PCRE2 refused values
		 * past 0xff already (no UTF mode) */
		size_t j = i + 1;
		int v = 0;
		if (j < n && p[j] == '{') {
			for (j++; j < n && hexval((unsigned char)p[j]) >= 0; j++)
				v = (v << 4 | hexval((unsigned char)p[j])) & 0xfff;
			if (j >= n || p[j] != '}') {
				*ch = ESC_OTHER;
				return 1;
			}
			j++;
		} else {
			for (int d = 0; d < 2 && j < n && hexval((unsigned char)p[j]) >= 0; d++, j++)
				v = v << 4 | hexval((unsigned char)p[j]);
		}
		*ch = v;
		return j - i;
	}
	}
	/* a letter or digit with another meaning, or a newline; any other
	 * character after a backslash stands for itself */
	*ch = (c < 0x80 && isalnum(c)) || c == '\n' ? ESC_OTHER : c;
	return 1;
}

/* A bracket class at p[i] ('[') that cannot hold a newline: its length,
 * or 0 when it may ([^...], \s, [:space:], a range over 0x0a ...). */
static size_t class_at(const char *p, size_t n, size_t i)
{
	static const char *const named[] = { "alpha", "digit", "alnum", "upper", "lower", "punct",
					     "xdigit", "word", "graph", "print", "blank" };
	size_t s = i++;
	if (i < n && p[i] == '^')
		return 0;
	for (int first = 1; i < n; first = 0) {
		int lo, hi;
		if (p[i] == ']' && !first)
			return i + 1 - s;
		if (p[i] == '[' && i + 1 < n && p[i + 1] == ':') {
			size_t j = i + 2, k = 0;
			while (j < n && p[j] != ':')
				j++;
			for (; k < sizeof named / sizeof *named; k++)
				if (strlen(named[k]) == j - i - 2 && !memcmp(named[k], p + i + 2, j - i - 2))
					break;
			if (k == sizeof named / sizeof *named || j + 1 >= n || p[j + 1] != ']')
				return 0;
			i = j + 2;
			continue;
		}
		if (p[i] == '\\' && i + 1 < n) {
			if (p[i + 1] == 'b') { /* backspace in a class */
				lo = 0x08;
				i += 2;
			} else {
				i += 1 + escape_at(p, n, i + 1, &lo);
			}
		} else {
			lo = (unsigned char)p[i++];
		}
		if (lo == ESC_OTHER || lo == '\n')
			return 0;
		if (lo == ESC_SET || i + 1 >= n || p[i] != '-' || p[i + 1] == ']')
			continue;
		i++; /* a range lo-hi */
		if (p[i] == '\\') {
			i += 1 + escape_at(p, n, i + 1, &hi);
		} else if (p[i] == '[') {
			return 0;
		} else {
			hi = (unsigned char)p[i++];
		}
		if (hi < 0 || (lo <= '\n' && hi >= '\n'))
			return 0;
	}
	return 0; /* not closed (PCRE2 would have said) */
}

int rf__regex_shape(const char *p, size_t n)
{
	int shape = RF_RE_NO_NEWLINE;
	/* \A \z \Z, and the m flag set inline (hyperscan may let (?-m)
	 * take back the multiline mode of its scan over many lines): a
	 * backslash escapes the next byte, so \\A is no anchor */
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			i++;
			if (p[i] == 'A' || p[i] == 'z' || p[i] == 'Z' || p[i] == 'G')
				shape |= RF_RE_WHOLE_SUBJECT;
		} else if (p[i] == '(' && i + 1 < n && p[i + 1] == '?') {
			for (size_t j = i + 2; j < n && (isalpha((unsigned char)p[j]) || p[j] == '-' || p[j] == '^'); j++)
				if (p[j] == 'm' || p[j] == '^')
					shape |= RF_RE_WHOLE_SUBJECT;
		}
	}
	/* Whether a match can hold a newline: only what is known not to
	 * keeps RF_RE_NO_NEWLINE.  Letters other than i among inline flags
	 * ((?s) makes . match a newline, (?x) makes # a comment), lookaround,
	 * verbs and the like all take it away. */
	for (size_t i = 0; i < n && (shape & RF_RE_NO_NEWLINE);) {
		unsigned char c = (unsigned char)p[i];
		int ch;
		if (c == '\n') {
			shape &= ~RF_RE_NO_NEWLINE;
		} else if (c == '\\' && i + 1 < n && p[i + 1] == 'Q') {
			const char *e = memmem(p + i + 2, n - i - 2, "\\E", 2);
			size_t end = e ? (size_t)(e - p) : n;
			if (memchr(p + i, '\n', end - i))
				shape &= ~RF_RE_NO_NEWLINE;
			i = e ? end + 2 : n;
		} else if (c == '\\' && i + 1 < n) {
			if (p[i + 1] == 'b' || p[i + 1] == 'B') {
				i += 2;
				continue;
			}
			i += 1 + escape_at(p, n, i + 1, &ch);
			if (ch == ESC_OTHER || ch == '\n')
				shape &= ~RF_RE_NO_NEWLINE;
		} else if (c == '\\') {
			shape &= ~RF_RE_NO_NEWLINE;
		} else if (c == '[') {
			size_t len = class_at(p, n, i);
			if (!len)
				shape &= ~RF_RE_NO_NEWLINE;
			i += len;
		} else if (c == '(' && i + 1 < n && (p[i + 1] == '?' || p[i + 1] == '*')) {
			size_t j = i + 2;
			while (p[i + 1] == '?' && j < n && (p[j] == 'i' || p[j] == '-'))
				j++;
			if (p[i + 1] == '*' || j >= n || (p[j] != ')' && p[j] != ':'))
				shape &= ~RF_RE_NO_NEWLINE;
			i = j + 1;
		} else {
			i++; /* a byte for itself, or . ^ $ | ( ) * + ? { } */
		}
	}
	return shape;
}
