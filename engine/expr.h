/* expr.h - the boolean expressions of `where`. */
#ifndef RF_EXPR_H
#define RF_EXPR_H

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

/* PCRE2 patterns shared by where's ~, the regex filter, grep -i and
 * parse regex.  Compiled once per query, JIT where available. */
struct rf_regex *rf__regex_compile(const char *pattern, size_t len, int literal, int caseless,
				   struct rf_query_error *err, int column);
void rf__regex_free(struct rf_regex *re);
struct rf_regex_match;
struct rf_regex_match *rf__regex_match_new(const struct rf_regex *re);
void rf__regex_match_free(struct rf_regex_match *m);
/* 1 match, 0 none, <0 error.  On a match, start and end bound it. */
int rf__regex_search(const struct rf_regex *re, struct rf_regex_match *m, const char *p, size_t n,
		     size_t from, size_t *start, size_t *end);
/* Named groups: count, name of group i (1-based numbers), and a group's span. */
int rf__regex_names(const struct rf_regex *re, char **names, int *numbers, int max);
int rf__regex_group(const struct rf_regex_match *m, int number, size_t *start, size_t *end);

#endif
