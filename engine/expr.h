/* SPDX-License-Identifier: MIT */
/* expr.h - expressions: where, eval, the arguments and columns of
 * aggregates, HAVING; and the PCRE2 wrapper. */
#ifndef RF_EXPR_H
#define RF_EXPR_H

#include <errno.h>
#include "engine.h"

struct rf_expr;
struct rf_regex;
struct rf_colset;
struct rf_table;
struct rf_tv;

/* The expression language (see expr.c for the grammar and the rules).
 * rf__expr_parse reads a whole `where` condition (up to the end of the
 * stage).  rf__expr_parse_item reads one expression and stops before a
 * top-level ',', ')', `as` or `by`; with agg set, a name that `agg`
 * knows (an aggregate: count, sum, ...) is handed to it, with the cursor
 * on the '(' after the name if there is one, to read its arguments and
 * give back the aggregate's number (a column of the result). */
struct rf_expr_opts {
	int (*agg)(void *user, const char *name, int column, struct rf_cursor *c, int *index);
	int (*is_agg)(const char *name);
	void *user;
};
int rf__expr_parse(struct rf_cursor *c, struct rf_expr **out);
int rf__expr_parse_item(struct rf_cursor *c, const struct rf_expr_opts *o, struct rf_expr **out);
/* Names to slots (records) or to columns (result rows: cols). */
int rf__expr_bind(struct rf_expr *e, struct rf_schema *sc, struct rf_query_error *err);
int rf__expr_bind_table(struct rf_expr *e, const struct rf_colset *cols, struct rf_query_error *err);
void rf__expr_free(struct rf_expr *e);
/* The aggregates' N_AGG nodes read result column first_col + index. */
void rf__expr_bind_aggs(struct rf_expr *e, int first_col);
/* The aggregate it is when it is only one (no arithmetic around it), or -1. */
int rf__expr_agg_index(const struct rf_expr *e);
/* The field an expression is when it is only a field, or a string (the
 * verbs take a field's name as a string too); else NULL. */
const char *rf__expr_field_name(const struct rf_expr *e);
/* Whether it reads this aggregate (rf_expr_opts.agg's index). */
int rf__expr_uses_agg(const struct rf_expr *e, int index);
/* The arguments [from, to) of a cursor as text, for a column label:
 * "sum(bytes / 1024)".  NULL when out of memory. */
char *rf__args_text(const struct rf_cursor *c, int from, int to);

/* Per-run evaluation context (regex match data and function scratch are
 * not shareable between threads). */
struct rf_expr_ctx;
struct rf_expr_ctx *rf__expr_ctx_new(const struct rf_expr *e);
void rf__expr_ctx_free(struct rf_expr_ctx *x);
/* --tz: bare time literals are on its clock, times print in it. */
struct rf_tz;
void rf__expr_ctx_set_tz(struct rf_expr_ctx *x, const struct rf_tz *tz);
/* Truth of e for each selected record of b: keep[i] is 1 (true), 0, or
 * RF_EXPR_UNKNOWN when a ~ in it hit the regex limits and the rest did
 * not decide it.  0 or -ENOMEM. */
#define RF_EXPR_UNKNOWN 2
int rf__expr_filter(struct rf_expr_ctx *x, const struct rf_expr *e, struct rf_batch *b, uint8_t *keep);
/* Value of e for each selected record of b into out[0 .. nsel);
 * computed strings live in b's arena. */
int rf__expr_values(struct rf_expr_ctx *x, const struct rf_expr *e, struct rf_batch *b, struct rf_tv *out);
/* After rf__expr_values: per selected record, 1 where a ~ in e hit the
 * regex limits (its value is then no answer); NULL when e has no ~. */
const uint8_t *rf__expr_undecided(const struct rf_expr_ctx *x);
/* The same over the rows of a result table (bound with
 * rf__expr_bind_table); computed strings live in the context until the
 * next call. */
int rf__expr_table_filter(struct rf_expr_ctx *x, const struct rf_expr *e, const struct rf_table *t, uint8_t *keep);
int rf__expr_table_values(struct rf_expr_ctx *x, const struct rf_expr *e, const struct rf_table *t,
			  struct rf_tv *out);
int rf__expr_has_regex(const struct rf_expr *e);

/* eval's configuration, built from outside (the hidden fields an
 * aggregate's expressions make): add takes e.  counting: the field is 1
 * where e is true, else 0 (count(where ...) sums it). */
void *rf__eval_config_new(void);
int rf__eval_config_add(void *config, const char *name, int column, struct rf_expr *e, int counting);
int rf__eval_config_rename(void *config, const char *from, const char *to);
/* Whether an eval's expressions hold a ~ (its records may be rejected). */
int rf__eval_has_regex(const void *config);
/* An expression that is only the field `name` (NULL: out of memory). */
struct rf_expr *rf__expr_new_field(const char *name, int column);

/* PCRE2 patterns shared by where's ~, the regex filter, grep -i and
 * parse regex.  Compiled once per query, JIT where available. */
struct rf_regex *rf__regex_compile(const char *pattern, size_t len, int literal, int caseless,
				   struct rf_query_error *err, int column);
/* Any of n literals (grep's: none empty, none holding a newline).
 * RF_LIT_CASELESS folds ASCII letters; with RF_LIT_UTF too, Unicode
 * simple case folding over UTF-8 (see stage_filter.c), NULL if a literal
 * is not valid UTF-8.  NULL also when out of memory. */
#define RF_LIT_CASELESS 1
#define RF_LIT_UTF 2
struct rf_regex *rf__regex_compile_literals(char *const *lits, const size_t *lens, int n, int flags);
void rf__regex_free(struct rf_regex *re);
struct rf_regex_match;
struct rf_regex_match *rf__regex_match_new(const struct rf_regex *re);
void rf__regex_match_free(struct rf_regex_match *m);
/* Limits of one match, per matcher (so per thread): PCRE2's JIT stack
 * grows from 32 KiB to RF_REGEX_JIT_STACK_MAX as a line needs it; without
 * JIT the interpreter may use RF_REGEX_HEAP_MAX of heap; and PCRE2's
 * default match limit (10 million backtracking steps) holds.  A line that
 * needs more gets RF_REGEX_LIMIT: neither a match nor a non-match - the
 * stages reject it (counted, reported, an error under --strict). */
#define RF_REGEX_JIT_STACK_MAX ((size_t)64 << 20)
#define RF_REGEX_HEAP_MAX ((size_t)256 << 20)
#define RF_REGEX_LIMIT (-ERANGE)
/* 1 match, 0 none, RF_REGEX_LIMIT, or another <0 error.  On a match,
 * start and end bound it. */
int rf__regex_search(const struct rf_regex *re, struct rf_regex_match *m, const char *p, size_t n,
		     size_t from, size_t *start, size_t *end);
/* Named groups: count, name of group i (1-based numbers), and a group's span.
 * With names NULL, rf__regex_names only counts them. */
int rf__regex_names(const struct rf_regex *re, char **names, int *numbers, int max);
int rf__regex_group(const struct rf_regex_match *m, int number, size_t *start, size_t *end);
/* What a pattern's text says of its matches, for the scans that look at
 * many records in one buffer (grep and regex over whole batches):
 * RF_RE_NO_NEWLINE, it never matches a newline (so a match in a buffer
 * of lines lies within one line; unknown constructs say it may);
 * RF_RE_WHOLE_SUBJECT, it has \A, \z, \Z or sets the m flag inline, so
 * it must see one record at a time. */
#define RF_RE_NO_NEWLINE 1
#define RF_RE_WHOLE_SUBJECT 2
int rf__regex_shape(const char *pattern, size_t len);

/* Hyperscan (regex_hs.c): a pattern PCRE2 compiled, or a literal set, for
 * the regex filter and grep.  rf__hs_usable: 1, or 0 and why not (built
 * without it, a CPU without SSSE3).  The compiles give NULL and why when
 * Hyperscan refuses (back references, lookaround...) or is not built in. */
struct rf_hs;
struct rf_hs_scratch; /* per thread */
int rf__hs_usable(char *why, size_t size);
/* shape: rf__regex_shape's; it says whether rf__hs_lines may scan */
struct rf_hs *rf__hs_regex(const char *pattern, size_t len, int shape, char *why, size_t size);
/* none empty; caseless folds ASCII letters */
struct rf_hs *rf__hs_literals(char *const *lits, const size_t *lens, int n, int caseless, char *why, size_t size);
void rf__hs_free(struct rf_hs *hs);
/* whether rf__hs_lines can scan with it (a pattern whose matches may come
 * out of order cannot) */
int rf__hs_has_lines(const struct rf_hs *hs);
struct rf_hs_scratch *rf__hs_scratch_new(const struct rf_hs *hs);
void rf__hs_scratch_free(struct rf_hs_scratch *s);
/* Whether the record p[0..n) holds a match: 1, 0, -E2BIG past 4 GiB, or
 * another <0 error. */
int rf__hs_record(const struct rf_hs *hs, struct rf_hs_scratch *s, const char *p, size_t n);
/* Scan the lines p[0..n), ^ and $ at every line, calling on_end with the
 * end of each match (from p) in increasing order; a nonzero return stops
 * the scan.  0 scanned to the end, 1 stopped, -E2BIG or another <0. */
int rf__hs_lines(const struct rf_hs *hs, struct rf_hs_scratch *s, const char *p, size_t n,
		 int (*on_end)(void *user, size_t end), void *user);

#endif
