/* SPDX-License-Identifier: MIT */
/* query_args.c - what every verb uses to read its arguments (query.c
 * parses the stages; each verb's configure reads its own arguments with
 * these): the cursor over a stage's arguments, field references and their
 * binding to a parser's schema, and the errors with their suggestions.
 * Below the verbs and the query parser, calling neither. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

#define fail rf__fail

void rf__fit_text(char *buf, size_t size, const char *s, size_t n)
{
	if (n < size || size < 128) {
		n = n < size ? n : size - 1; /* (no room for the mark: never so small here) */
		memcpy(buf, s, n);
		buf[n] = '\0';
		return;
	}
	/* the head and the last quarter, between whole UTF-8 characters */
	char mark[64];
	int ml = snprintf(mark, sizeof mark, "[... %zu bytes left out ...]", n);
	size_t room = size - 1 - (size_t)ml, head = room - room / 4, tail = n - room / 4;
	while (head > 0 && ((unsigned char)s[head] & 0xc0) == 0x80)
		head--;
	while (tail < n && ((unsigned char)s[tail] & 0xc0) == 0x80)
		tail++;
	snprintf(mark, sizeof mark, "[... %zu bytes left out ...]", tail - head);
	snprintf(buf, size, "%.*s%s%.*s", (int)head, s, mark, (int)(n - tail), s + tail);
}

int rf__fail(struct rf_query_error *err, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->column = column;
	char *msg;
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		snprintf(err->message, sizeof err->message, "%s", fmt); /* out of memory */
		return -EINVAL;
	}
	rf__fit_text(err->message, sizeof err->message, msg, (size_t)n);
	free(msg);
	return -EINVAL;
}

/* Edit distance, for "did you mean" hints on short names. */
int rf__edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 31 || lb > 31)
		return 99;
	int d[32][32];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int sub = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			int m = sub < del ? sub : del;
			d[i][j] = m < ins ? m : ins;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1; /* transposition */
		}
	return d[la][lb];
}

void rf__suggest(struct rf_query_error *err, const char *name, const char *const *names)
{
	const char *best = NULL;
	int best_d = strlen(name) > 3 ? 3 : 2;
	for (int i = 0; names && names[i]; i++) {
		int d = rf__edit_distance(name, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	if (best)
		snprintf(err->hint, sizeof err->hint, "did you mean '%s'?", best);
}

void rf__hint_list(struct rf_query_error *err, const char *title, const char *const *names, int n)
{
	size_t len = strlen(title);
	for (int i = 0; n < 0 ? names[i] != NULL : i < n; i++)
		len += 1 + strlen(names[i]);
	char *s = malloc(len + 1);
	if (!s) {
		snprintf(err->hint, sizeof err->hint, "%s", title);
		return;
	}
	size_t at = (size_t)sprintf(s, "%s", title);
	for (int i = 0; n < 0 ? names[i] != NULL : i < n; i++)
		at += (size_t)sprintf(s + at, " %s", names[i]);
	rf__fit_text(err->hint, sizeof err->hint, s, at);
	free(s);
}

/* ---- fields ---- */

int rf__parse_fieldref(struct rf_cursor *c, struct rf_fieldref *ref, const char *what)
{
	const struct rf_arg *a = rf__peek(c);
	memset(ref, 0, sizeof *ref);
	if (!a || (a->type != RF_ARG_WORD && a->type != RF_ARG_STRING)) {
		rf__fail(c->err, rf__cursor_column(c), "expected %s%s%s", what, a ? ", found " : "",
			 a ? a->text : "");
		return -EINVAL;
	}
	c->i++;
	/* field("odd name"), as in expressions: the field of that name */
	if (a->type == RF_ARG_WORD && strcmp(a->text, "field") == 0 && c->i + 2 < c->nargs &&
	    c->args[c->i].type == RF_ARG_LPAREN &&
	    (c->args[c->i + 1].type == RF_ARG_STRING || c->args[c->i + 1].type == RF_ARG_WORD) &&
	    c->args[c->i + 2].type == RF_ARG_RPAREN) {
		a = &c->args[c->i + 1];
		c->i += 3;
	}
	ref->name = strdup(a->text);
	ref->column = a->column;
	ref->slot = -1;
	return ref->name ? 0 : -ENOMEM;
}

void rf__fieldref_free(struct rf_fieldref *ref)
{
	free(ref->name);
	ref->name = NULL;
}

/* An expression reads an eval'd field as its typed value; anything else
 * reads the text, which eval then writes (text_needed). */
static int schema_bind(struct rf_schema *sc, struct rf_fieldref *ref, struct rf_query_error *err, int text)
{
	if (strcmp(ref->name, "$0") == 0 || strcmp(ref->name, "line") == 0) {
		ref->slot = -1;
		return 0;
	}
	/* the `parse ... from` stages before this one that can make the name:
	 * each writes it over what the parses before it found */
	uint32_t subs = 0;
	for (int s = 0; s < sc->nsub; s++)
		if (sc->sub[s]->accepts(sc->sub[s], ref->name))
			subs |= 1u << s;
	/* the newest slot of a name: an eval after the parse overrides it */
	for (int i = sc->nslots - 1; i >= 0; i--)
		if (strcmp(sc->slot_name[i], ref->name) == 0) {
			ref->slot = i;
			sc->text_needed[i] |= (uint8_t)text;
			if (!sc->is_eval[i]) /* a parser never writes what eval made */
				sc->slot_sub[i] |= subs;
			return 0;
		}
	if (!sc->parser) {
		fail(err, ref->column, "field '%s' needs a parse stage before it", ref->name);
		snprintf(err->hint, sizeof err->hint,
			 "start with 'split' or 'parse combined|common|json|logfmt|csv|tsv|regex', or make it with eval");
		return -EINVAL;
	}
	if (!subs && !sc->parser->accepts(sc->parser, ref->name)) {
		if (sc->nsub) {
			const struct rf_parser *last = sc->sub[sc->nsub - 1];
			fail(err, ref->column, "neither parse %s nor parse %s has a field '%s'", sc->parser->format,
			     last->format, ref->name);
			rf__suggest(err, ref->name, last->known);
			if (!err->hint[0])
				rf__suggest(err, ref->name, sc->parser->known);
			return -EINVAL;
		}
		fail(err, ref->column, "parse %s has no field '%s'", sc->parser->format, ref->name);
		rf__suggest(err, ref->name, sc->parser->known);
		if (!err->hint[0] && sc->parser->known)
			rf__hint_list(err, "fields:", sc->parser->known, -1);
		return -EINVAL;
	}
	if (sc->nslots == RF_MAX_SLOTS)
		return fail(err, ref->column, "too many fields (at most %d)", RF_MAX_SLOTS);
	if (!(sc->slot_name[sc->nslots] = strdup(ref->name)))
		return -ENOMEM;
	sc->text_needed[sc->nslots] = (uint8_t)text;
	sc->slot_sub[sc->nslots] = subs;
	ref->slot = sc->nslots++;
	return 0;
}

int rf__schema_bind(struct rf_schema *sc, struct rf_fieldref *ref, struct rf_query_error *err)
{
	return schema_bind(sc, ref, err, 1);
}

int rf__schema_bind_expr(struct rf_schema *sc, struct rf_fieldref *ref, struct rf_query_error *err)
{
	return schema_bind(sc, ref, err, 0);
}

int rf__schema_add_eval(struct rf_schema *sc, const char *name, int column, struct rf_query_error *err)
{
	if (sc->nslots == RF_MAX_SLOTS)
		return fail(err, column, "too many fields (at most %d)", RF_MAX_SLOTS);
	if (!(sc->slot_name[sc->nslots] = strdup(name)))
		return -ENOMEM;
	sc->is_eval[sc->nslots] = 1;
	sc->tv_idx[sc->nslots] = (uint8_t)sc->neval++;
	return sc->nslots++;
}

/* ---- reading a stage's arguments ---- */

const struct rf_arg *rf__peek(struct rf_cursor *c)
{
	return c->i < c->nargs ? &c->args[c->i] : NULL;
}

const struct rf_arg *rf__take(struct rf_cursor *c)
{
	return c->i < c->nargs ? &c->args[c->i++] : NULL;
}

int rf__accept(struct rf_cursor *c, enum rf_arg_type type, const char *text)
{
	const struct rf_arg *a = rf__peek(c);
	if (!a || a->type != type || (text && strcmp(a->text, text) != 0))
		return 0;
	c->i++;
	return 1;
}

int rf__cursor_column(struct rf_cursor *c)
{
	const struct rf_arg *a = rf__peek(c);
	return a ? a->column : c->end_column;
}
