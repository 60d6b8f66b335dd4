/* expr.h - the boolean expressions of `where`. */
#ifndef RF_EXPR_H
#define RF_EXPR_H

#include <errno.h>
#include "engine.h"

struct rf_expr;
struct rf_regex;

/* Parse an expression at the cursor (up to the end of the stage). */
int rf__expr_parse(struct rf_cursor *c, struct rf_expr **out);
int rf__expr_bind(struct rf_expr *e, struct rf_schema *sc, struct rf_query_error *err);
void rf__expr_free(struct rf_expr *e);

/* Per-run evaluation context (regex match data is not shareable). */
struct rf_expr_ctx;
struct rf_expr_ctx *rf__expr_ctx_new(const struct rf_expr *e);
void rf__expr_ctx_free(struct rf_expr_ctx *x);
int rf__expr_eval(struct rf_expr_ctx *x, const struct rf_expr *e, const struct rf_batch *b, uint32_t row);
/* After an eval: 1 (once) if its answer is unknown because a ~ in it hit
 * the regex limits (and the rest did not decide it): the where stage
 * rejects the record. */
int rf__expr_undecided(struct rf_expr_ctx *x);
int rf__expr_has_regex(const struct rf_expr *e);

/* PCRE2 patterns shared by where's ~, the regex filter, grep -i and
 * parse regex.  Compiled once per query, JIT where available. */
struct rf_regex *rf__regex_compile(const char *pattern, size_t len, int literal, int caseless,
				   struct rf_query_error *err, int column);
/* A caseless literal for grep -i over UTF-8: NULL if lit is not valid
 * UTF-8 (or out of memory).  See stage_filter.c for the rules. */
struct rf_regex *rf__regex_compile_folded(const char *lit, size_t len);
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

#endif
