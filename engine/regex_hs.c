/* SPDX-License-Identifier: MIT */
/* regex_hs.c - Hyperscan for the regex filter and grep's literal sets,
 * where ringflow was built with it and the CPU runs it (SSSE3).  PCRE2
 * (regex.c) stays the reference: a pattern reaches Hyperscan only after
 * PCRE2 compiled it, and one Hyperscan refuses stays with PCRE2. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"

#ifdef HAVE_HYPERSCAN
#include <hs.h>

/* A pattern has two databases: `record` answers whether one record holds
 * a match (SINGLEMATCH: the scan stops at the first), `lines` reports the
 * end of every match in a buffer of many lines, ^ and $ at each line
 * (MULTILINE).  A literal set needs one: literals have no anchors. */
struct rf_hs {
	hs_database_t *record;
	hs_database_t *lines;
};

struct rf_hs_scratch {
	hs_scratch_t *s;
};

int rf__hs_usable(char *why, size_t size)
{
	if (hs_valid_platform() == HS_SUCCESS)
		return 1;
	snprintf(why, size, "this CPU lacks SSSE3, which Hyperscan needs");
	return 0;
}

/* Why Hyperscan said no, in its words without the final full stop. */
static void refused(hs_compile_error_t *ce, char *why, size_t size)
{
	const char *m = ce && ce->message ? ce->message : "it refused the pattern";
	size_t n = strlen(m);
	if (n && m[n - 1] == '.')
		n--;
	snprintf(why, size, "hyperscan: %.*s", (int)n, m);
	hs_free_compile_error(ce);
}

struct rf_hs *rf__hs_regex(const char *pattern, size_t len, int shape, char *why, size_t size)
{
	if (memchr(pattern, 0, len) || pattern[len]) {
		snprintf(why, size, "hyperscan takes no NUL byte in a pattern");
		return NULL;
	}
	struct rf_hs *hs = calloc(1, sizeof *hs);
	if (!hs) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	hs_compile_error_t *ce = NULL;
	/* bytes as PCRE2 has them here: no UTF8 or UCP flag; ALLOWEMPTY: a
	 * pattern that matches the empty string matches every record */
	if (hs_compile(pattern, HS_FLAG_ALLOWEMPTY | HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK, NULL, &hs->record, &ce) !=
	    HS_SUCCESS) {
		refused(ce, why, size);
		free(hs);
		return NULL;
	}
	/* The scan over many lines needs the matches in order of their
	 * ends.  Those of a pattern with a trailing assertion (\b, $) are
	 * reported one byte late and may come after a match ending one byte
	 * further (hs_expr_info's unordered_matches); that can put a line
	 * after the next only when the next line can have a match ending at
	 * its start: an empty one, or one holding the newline.  Such
	 * patterns, and those that must see one record at a time, go record
	 * by record. */
	hs_expr_info_t *info = NULL;
	ce = NULL;
	int lines = !(shape & RF_RE_WHOLE_SUBJECT) &&
		    hs_expression_info(pattern, HS_FLAG_ALLOWEMPTY | HS_FLAG_MULTILINE, &info, &ce) == HS_SUCCESS &&
		    (!info->unordered_matches || ((shape & RF_RE_NO_NEWLINE) && info->min_width > 0));
	free(info);
	hs_free_compile_error(ce);
	ce = NULL;
	if (lines && hs_compile(pattern, HS_FLAG_ALLOWEMPTY | HS_FLAG_MULTILINE, HS_MODE_BLOCK, NULL, &hs->lines,
				&ce) != HS_SUCCESS) {
		hs_free_compile_error(ce);
		hs->lines = NULL;
	}
	return hs;
}

struct rf_hs *rf__hs_literals(char *const *lits, const size_t *lens, int n, int caseless, char *why, size_t size)
{
	struct rf_hs *hs = calloc(1, sizeof *hs);
	unsigned *flags = calloc((size_t)n, sizeof *flags), *ids = calloc((size_t)n, sizeof *ids);
	if (!hs || !flags || !ids) {
		snprintf(why, size, "out of memory");
		free(hs);
		hs = NULL;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		flags[i] = caseless ? HS_FLAG_CASELESS : 0; /* ASCII letters, as PCRE2 without UTF */
		ids[i] = (unsigned)i;
	}
	hs_compile_error_t *ce = NULL;
	if (hs_compile_lit_multi((const char *const *)lits, flags, ids, lens, (unsigned)n, HS_MODE_BLOCK, NULL,
				 &hs->lines, &ce) != HS_SUCCESS) {
		refused(ce, why, size);
		free(hs);
		hs = NULL;
	}
out:
	free(flags);
	free(ids);
	return hs;
}

void rf__hs_free(struct rf_hs *hs)
{
	if (hs) {
		hs_free_database(hs->record);
		hs_free_database(hs->lines);
		free(hs);
	}
}

int rf__hs_has_lines(const struct rf_hs *hs)
{
	return hs->lines != NULL;
}

struct rf_hs_scratch *rf__hs_scratch_new(const struct rf_hs *hs)
{
	struct rf_hs_scratch *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	/* one scratch serves both databases: the second call grows it */
	if ((hs->record && hs_alloc_scratch(hs->record, &s->s) != HS_SUCCESS) ||
	    (hs->lines && hs_alloc_scratch(hs->lines, &s->s) != HS_SUCCESS)) {
		rf__hs_scratch_free(s);
		return NULL;
	}
	return s;
}

void rf__hs_scratch_free(struct rf_hs_scratch *s)
{
	if (s) {
		hs_free_scratch(s->s);
		free(s);
	}
}

static int stop_at_first(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *hit)
{
	*(int *)hit = 1;
	return 1;
}

int rf__hs_record(const struct rf_hs *hs, struct rf_hs_scratch *s, const char *p, size_t n)
{
	if (n > UINT_MAX)
		return -E2BIG;
	int hit = 0;
	hs_error_t e = hs_scan(hs->record ? hs->record : hs->lines, p, (unsigned)n, 0, s->s, stop_at_first, &hit);
	if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
		return e == HS_NOMEM ? -ENOMEM : -EIO;
	return hit;
}

struct lines_call {
	int (*on_end)(void *user, size_t end);
	void *user;
};

static int each_end(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
	struct lines_call *c = ctx;
	return c->on_end(c->user, (size_t)to);
}

int rf__hs_lines(const struct rf_hs *hs, struct rf_hs_scratch *s, const char *p, size_t n,
		 int (*on_end)(void *user, size_t end), void *user)
{
	if (n > UINT_MAX)
		return -E2BIG;
	struct lines_call c = { on_end, user };
	hs_error_t e = hs_scan(hs->lines, p, (unsigned)n, 0, s->s, each_end, &c);
	if (e == HS_SCAN_TERMINATED)
		return 1;
	return e == HS_SUCCESS ? 0 : e == HS_NOMEM ? -ENOMEM : -EIO;
}

#else /* without Hyperscan: PCRE2 serves every pattern */

int rf__hs_usable(char *why, size_t size)
{
	snprintf(why, size, "ringflow was built without Hyperscan");
	return 0;
}

struct rf_hs *rf__hs_regex(const char *pattern, size_t len, int shape, char *why, size_t size)
{
	snprintf(why, size, "ringflow was built without Hyperscan");
	return NULL;
}

struct rf_hs *rf__hs_literals(char *const *lits, const size_t *lens, int n, int caseless, char *why, size_t size)
{
	snprintf(why, size, "ringflow was built without Hyperscan");
	return NULL;
}

void rf__hs_free(struct rf_hs *hs)
{
}

int rf__hs_has_lines(const struct rf_hs *hs)
{
	return 0;
}

struct rf_hs_scratch *rf__hs_scratch_new(const struct rf_hs *hs)
{
	return NULL;
}

void rf__hs_scratch_free(struct rf_hs_scratch *s)
{
}

int rf__hs_record(const struct rf_hs *hs, struct rf_hs_scratch *s, const char *p, size_t n)
{
	return -ENOTSUP;
}

int rf__hs_lines(const struct rf_hs *hs, struct rf_hs_scratch *s, const char *p, size_t n,
		 int (*on_end)(void *user, size_t end), void *user)
{
	return -ENOTSUP;
}

#endif
