/* regex.c - the PCRE2 patterns of where's ~, regex, grep -i, parse regex
 * and regex_extract: compiled once per query, matched with per-thread
 * match data and bounded stacks. */
#include "config.h"
#define PCRE2_CODE_UNIT_WIDTH 8
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

struct rf_regex *rf__regex_compile_folded(const char *lit, size_t len)
{
	int ec;
	PCRE2_SIZE eo;
	/* Unicode simple case folding on valid UTF-8; invalid sequences in
	 * the subject match nothing, so its other bytes still can. */
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)lit, len,
					 PCRE2_LITERAL | PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo,
					 NULL);
	if (!code)
		return NULL; /* not valid UTF-8 */
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
