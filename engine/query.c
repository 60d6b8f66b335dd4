/* SPDX-License-Identifier: MIT */
/* query.c - the query language: `verb args | verb args | ...`.
 *
 * A small hand-written lexer feeds a stage-list parser.  Each verb checks its
 * own arguments (struct rf_verb.configure), so a new verb is a table entry,
 * not a change to the grammar.  Every error carries a 1-based column.
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "aggregate.h"
#include "stages.h"

enum tok_type { T_END, T_PIPE, T_COMMA, T_LPAREN, T_RPAREN, T_OP, T_WORD, T_STRING, T_NUMBER, T_FLAG };

struct token {
	enum tok_type type;
	int column;
	char *text;   /* owned; unescaped for strings */
	size_t len;
};

struct lexer {
	const char *src;
	size_t pos;
	struct rf_query_error *err;
};

#define fail rf__fail

/* Parentheses nest at most this deep in any stage: the expression parser
 * recurses per level, and a query of 60,000 '(' must be an error, not a
 * stack overflow.  Chains of and, or and not do not count: they are loops. */
#define MAX_NESTING 256

static int is_word_char(int c)
{
	return c && !isspace(c) && !strchr("|,()\"'=!<>~", c);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string's escapes are \" \' \\ \n \t \r \0 \xHH.  In a regular
 * expression (`regex`) a backslash before any other character is kept with
 * it, as in a Python string, so a pattern is written as for grep -P:
 * "\d+\.\d+", "^\[(?<level>\w+)\]"; "\\d" is still \d to PCRE2, as it always
 * was here, and a literal backslash is "\\\\".  Elsewhere (a grep literal, a
 * split delimiter, a value) such an escape is an error: "\." there would
 * silently look for a backslash. */
static int lex_string(struct lexer *lx, struct token *t, int regex)
{
	const char *s = lx->src;
	char quote = s[lx->pos];
	size_t start = lx->pos++;
	/* room for the text up to the closing quote (not the whole rest of
	 * the query: a query of 100,000 strings must not take quadratic time) */
	size_t room = 0;
	while (s[lx->pos + room] && s[lx->pos + room] != quote)
		room += s[lx->pos + room] == '\\' && s[lx->pos + room + 1] ? 2 : 1;
	char *out = malloc(room + 1);
	size_t n = 0;
	if (!out)
		return -ENOMEM;
	for (;;) {
		char c = s[lx->pos];
		if (c == '\0') {
			free(out);
			fail(lx->err, (int)start + 1, "unterminated string");
			snprintf(lx->err->hint, sizeof lx->err->hint, "close it with %c", quote);
			return -EINVAL;
		}
		lx->pos++;
		if (c == quote)
			break;
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		char e = s[lx->pos++];
		switch (e) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case '0': out[n++] = '\0'; break;
		case '\\': case '"': case '\'': out[n++] = e; break;
		case 'x': {
			int hi = hexval(s[lx->pos]), lo = hi >= 0 ? hexval(s[lx->pos + 1]) : -1;
			if (hi < 0 || lo < 0) {
				free(out);
				return fail(lx->err, (int)lx->pos - 1, "\\x needs two hex digits");
			}
			out[n++] = (char)(hi * 16 + lo);
			lx->pos += 2;
			break;
		}
		case '\0':
			free(out);
			return fail(lx->err, (int)start + 1, "unterminated string");
		default:
			if (!regex) {
				free(out);
				fail(lx->err, (int)lx->pos - 1, "unknown escape '\\%c' (this string is not a regex)", e);
				snprintf(lx->err->hint, sizeof lx->err->hint,
					 "it is taken as it is: write %c alone, or \\\\ for a backslash", e);
				return -EINVAL;
			}
			out[n++] = c;
			out[n++] = e;
			break;
		}
	}
	out[n] = '\0';
	t->type = T_STRING;
	t->text = out;
	t->len = n;
	return 0;
}

static int lex_next(struct lexer *lx, struct token *t, int regex)
{
	const char *s = lx->src;
	memset(t, 0, sizeof *t);
	while (isspace((unsigned char)s[lx->pos]))
		lx->pos++;
	t->column = (int)lx->pos + 1;
	char c = s[lx->pos];
	size_t start = lx->pos;
	if (c == '\0') {
		t->type = T_END;
		return 0;
	}
	if (c == '"' || c == '\'')
		return lex_string(lx, t, regex);
	if (strchr("|,()", c)) {
		lx->pos++;
		t->type = c == '|' ? T_PIPE : c == ',' ? T_COMMA : c == '(' ? T_LPAREN : T_RPAREN;
	} else if (strchr("=!<>~", c)) {
		lx->pos++;
		if (s[lx->pos] == '=' && c != '~')
			lx->pos++;
		else if (c == '!')
			return fail(lx->err, t->column, "'!' must be followed by '='");
		t->type = T_OP;
	} else {
		while (is_word_char((unsigned char)s[lx->pos]))
			lx->pos++;
		if (c == '-' && isalpha((unsigned char)s[start + 1]))
			t->type = T_FLAG;
		else if (isdigit((unsigned char)c) || (c == '-' && isdigit((unsigned char)s[start + 1])))
			t->type = T_NUMBER;
		else
			t->type = T_WORD;
	}
	t->len = lx->pos - start;
	t->text = strndup(s + start, t->len);
	return t->text ? 0 : -ENOMEM;
}

const struct rf_verb *rf__find_verb(const char *name)
{
	for (int i = 0; rf__verbs[i]; i++)
		if (strcmp(rf__verbs[i]->name, name) == 0)
			return rf__verbs[i];
	return rf__custom_verb(name); /* a stage the program or a plugin added */
}

static void suggest_verb(const char *name, struct rf_query_error *err)
{
	const char *names[64];
	int n = 0;
	for (int i = 0; rf__verbs[i] && n < 63; i++)
		names[n++] = rf__verbs[i]->name;
	names[n] = NULL;
	rf__suggest(err, name, names);
	if (err->hint[0])
		return;
	size_t len = (size_t)snprintf(err->hint, sizeof err->hint, "verbs:");
	for (int i = 0; i < n && len < sizeof err->hint; i++)
		len += (size_t)snprintf(err->hint + len, sizeof err->hint - len, " %s", names[i]);
}

static void free_spec(struct rf_stage_spec *sp)
{
	for (int i = 0; i < sp->nargs; i++)
		free(sp->args[i].text);
	free(sp->args);
	if (sp->config && sp->verb && sp->verb->free_config)
		sp->verb->free_config(sp->config);
	memset(sp, 0, sizeof *sp);
}

void rf_query_free(rf_query *q)
{
	if (!q)
		return;
	for (int i = 0; i < q->nstages; i++)
		free_spec(&q->stage[i]);
	for (int i = 0; i < q->schema.nslots; i++)
		free(q->schema.slot_name[i]);
	free(q->text);
	free(q);
}

static const char *tok_name(const struct token *t)
{
	switch (t->type) {
	case T_END: return "end of query";
	case T_PIPE: return "'|'";
	case T_COMMA: return "','";
	case T_LPAREN: return "'('";
	case T_RPAREN: return "')'";
	default: return t->text;
	}
}

static enum rf_arg_type arg_type(enum tok_type t)
{
	switch (t) {
	case T_STRING: return RF_ARG_STRING;
	case T_NUMBER: return RF_ARG_NUMBER;
	case T_FLAG: return RF_ARG_FLAG;
	case T_OP: return RF_ARG_OP;
	case T_COMMA: return RF_ARG_COMMA;
	case T_LPAREN: return RF_ARG_LPAREN;
	case T_RPAREN: return RF_ARG_RPAREN;
	default: return RF_ARG_WORD;
	}
}

/* Whether a string next in this stage is a regular expression (see
 * lex_string): the pattern of `regex` and of `parse regex`, and a string
 * after `~`. */
static int is_regex_next(const struct rf_stage_spec *sp)
{
	const struct rf_arg *prev = sp->nargs ? &sp->args[sp->nargs - 1] : NULL;
	if (strcmp(sp->verb->name, "regex") == 0)
		return 1;
	if (prev && prev->type == RF_ARG_OP && strcmp(prev->text, "~") == 0)
		return 1;
	/* the pattern of regex_extract(s, "PATTERN"...): the string after the
	 * first comma inside the call */
	if (prev && prev->type == RF_ARG_COMMA) {
		int depth = 0, commas = 0;
		for (int i = sp->nargs - 1; i >= 0; i--) {
			const struct rf_arg *a = &sp->args[i];
			if (a->type == RF_ARG_RPAREN)
				depth++;
			else if (a->type == RF_ARG_LPAREN && depth > 0)
				depth--;
			else if (a->type == RF_ARG_COMMA && depth == 0)
				commas++;
			else if (a->type == RF_ARG_LPAREN) {
				const char *w = i > 0 && sp->args[i - 1].type == RF_ARG_WORD ? sp->args[i - 1].text : "";
				size_t wl = strlen(w);
				/* the call's name ends its word: x+regex_extract( */
				return commas == 1 && wl >= 13 && strcmp(w + wl - 13, "regex_extract") == 0 &&
				       (wl == 13 || strchr("+-*/%", w[wl - 14]));
			}
		}
	}
	return prev && sp->nargs == 1 && strcmp(sp->verb->name, "parse") == 0 && prev->type == RF_ARG_WORD &&
	       strcmp(prev->text, "regex") == 0;
}

/* Parse one stage; on return *t is the token after it ('|' or end). */
static int parse_stage(struct lexer *lx, struct token *t, struct rf_stage_spec *sp)
{
	struct rf_query_error *err = lx->err;
	int r;
	if (t->type != T_WORD) {
		if (t->type == T_PIPE || t->type == T_END) {
			fail(err, t->column, "empty stage: expected a verb before %s", tok_name(t));
			snprintf(err->hint, sizeof err->hint, "a query looks like: grep \"ERROR\" | count");
			return -EINVAL;
		}
		return fail(err, t->column, "expected a verb, found %s", tok_name(t));
	}
	sp->verb = rf__find_verb(t->text);
	sp->column = t->column;
	if (!sp->verb) {
		fail(err, t->column, "unknown verb '%s'", t->text);
		suggest_verb(t->text, err);
		return -EINVAL;
	}
	sp->verb_text = sp->verb->name;
	free(t->text);
	t->text = NULL;
	int depth = 0;
	for (;;) {
		if ((r = lex_next(lx, t, is_regex_next(sp))) < 0)
			return r;
		if (t->type == T_PIPE || t->type == T_END)
			break;
		if (t->type == T_LPAREN && ++depth > MAX_NESTING) {
			fail(err, t->column, "parentheses nested more than %d deep", MAX_NESTING);
			snprintf(err->hint, sizeof err->hint, "'a and b and c' and 'not not a' need no parentheses");
			return -EINVAL;
		}
		if (t->type == T_RPAREN && depth > 0)
			depth--;
		/* room doubles at each power of two: linear for 100,000 arguments */
		if ((sp->nargs & (sp->nargs - 1)) == 0) {
			size_t room = sp->nargs ? 2 * (size_t)sp->nargs : 1;
			struct rf_arg *args = realloc(sp->args, room * sizeof *args);
			if (!args)
				return -ENOMEM;
			sp->args = args;
		}
		struct rf_arg *a = &sp->args[sp->nargs++];
		a->type = arg_type(t->type);
		a->text = t->text;
		a->len = t->len;
		a->column = t->column;
		t->text = NULL;
	}
	sp->end_column = t->column;
	struct rf_cursor cur = { sp->args, sp->nargs, 0, sp->end_column, err };
	r = sp->verb->configure(sp, &cur);
	if (r == 0 && cur.i < cur.nargs)
		r = fail(err, cur.args[cur.i].column, "%s: unexpected '%s'", sp->verb->name, cur.args[cur.i].text);
	if (r < 0 && !err->hint[0] && sp->verb->usage)
		snprintf(err->hint, sizeof err->hint, "usage: %s", sp->verb->usage);
	return r;
}

/* Resolve every field name now that all stages are known: the one parse
 * stage decides which names exist, and learns which it must fill. */

/* An aggregate with expressions gets an eval of its hidden fields before
 * it and a table stage computing its columns after it. */
static int insert_synth(rf_query *q, struct rf_query_error *err)
{
	/* select with expressions: an eval of its hidden fields before it */
	for (int i = 0; i < q->nstages; i++) {
		struct rf_stage_spec *sp = &q->stage[i];
		if (strcmp(sp->verb->name, "select") != 0)
			continue;
		int seen_agg = 0;
		for (int j = 0; j < i; j++)
			seen_agg |= q->stage[j].verb->kind == RF_STAGE_AGGREGATE;
		if (seen_agg)
			continue; /* the table select refuses expressions, renames columns */
		int r = rf__select_records(sp->config, err);
		if (r < 0)
			return r;
		if (!((struct select_config *)sp->config)->pre)
			continue;
		if (q->nstages == RF_MAX_STAGES)
			return fail(err, sp->column, "too many stages (at most %d)", RF_MAX_STAGES);
		struct rf_stage_spec pre = { .verb = &rf__verb_eval, .verb_text = "eval", .column = sp->column,
					     .end_column = sp->column };
		pre.config = ((struct select_config *)sp->config)->pre;
		((struct select_config *)sp->config)->pre = NULL;
		memmove(&q->stage[i + 1], &q->stage[i], (size_t)(q->nstages - i) * sizeof q->stage[0]);
		q->stage[i++] = pre;
		q->nstages++;
	}
	for (int i = 0; i < q->nstages; i++) {
		if (q->stage[i].verb->kind != RF_STAGE_AGGREGATE)
			continue;
		struct rf_stage_spec pre, post;
		int n = rf__agg_synth(&q->stage[i], &pre, &post);
		if (n < 0)
			return n;
		int add = (n & 1) + ((n & 2) >> 1);
		if (q->nstages + add > RF_MAX_STAGES) {
			if (pre.config)
				pre.verb->free_config(pre.config);
			if (post.config)
				post.verb->free_config(post.config);
			return fail(err, q->stage[i].column, "too many stages (at most %d)", RF_MAX_STAGES);
		}
		struct rf_stage_spec agg = q->stage[i];
		int rest = q->nstages - i - 1, at = i;
		memmove(&q->stage[i + 1 + add], &q->stage[i + 1], (size_t)rest * sizeof q->stage[0]);
		if (n & 1)
			q->stage[at++] = pre;
		q->stage[at++] = agg;
		if (n & 2)
			q->stage[at++] = post;
		q->nstages += add;
		return 0; /* one aggregate per query */
	}
	return 0;
}

static int bind_query(rf_query *q, struct rf_query_error *err)
{
	q->parse_stage = q->agg_stage = q->project_stage = -1;
	/* sort and top: of records before an aggregate, of its result after */
	int rr = rf__rsort_retarget(q, err);
	if (rr < 0)
		return rr;
	int r0 = insert_synth(q, err);
	if (r0 < 0)
		return r0;
	/* select and head mean rows before an aggregate, result rows after */
	int seen_agg = 0;
	for (int i = 0; i < q->nstages; i++) {
		struct rf_stage_spec *sp = &q->stage[i];
		if (seen_agg && strcmp(sp->verb->name, "select") == 0)
			sp->verb = &rf__verb_select_table;
		else if (seen_agg && strcmp(sp->verb->name, "head") == 0)
			sp->verb = &rf__verb_head_table;
		else if (seen_agg && strcmp(sp->verb->name, "where") == 0)
			sp->verb = &rf__verb_where_table; /* HAVING */
		seen_agg |= sp->verb->kind == RF_STAGE_AGGREGATE;
	}
	for (int i = 0; i < q->nstages; i++) {
		const struct rf_stage_spec *sp = &q->stage[i];
		switch (sp->verb->kind) {
		case RF_STAGE_PARSE:
			if (rf__parse_is_sub(sp)) {
				if (q->agg_stage >= 0)
					return fail(err, sp->column, "'%s' cannot follow an aggregate", sp->verb->name);
				if (q->parse_stage < 0) {
					fail(err, sp->column, "parse ... from FIELD reads a field an earlier parse made");
					snprintf(err->hint, sizeof err->hint,
						 "parse the record first: parse json | parse logfmt from message");
					return -EINVAL;
				}
				break;
			}
			if (q->parse_stage >= 0) {
				fail(err, sp->column, "only one parse stage per query reads the record");
				snprintf(err->hint, sizeof err->hint,
					 "a second one reads a field: parse json | parse logfmt from message");
				return -EINVAL;
			}
			if (q->agg_stage >= 0)
				return fail(err, sp->column, "'%s' cannot follow an aggregate", sp->verb->name);
			for (int j = 0; j < i; j++)
				if (q->stage[j].verb == &rf__verb_eval || q->stage[j].verb == &rf__verb_lookup) {
					/* the parse fills every field slot of a record, the
					 * eval's and lookup's too: it would wipe what they made */
					const char *v = q->stage[j].verb->name;
					fail(err, q->stage[j].column, "%s before the parse stage", v);
					snprintf(err->hint, sizeof err->hint, "put it after: %s ... | %s ...", sp->verb->name, v);
					return -EINVAL;
				}
			if (i > 0 && rf__parse_reads_header(sp)) {
				fail(err, sp->column, "parse %s must be the first stage: it reads each input's header line",
				     sp->args[0].text);
				snprintf(err->hint, sizeof err->hint, "filter after it: parse csv | where ...");
				return -EINVAL;
			}
			q->parse_stage = i;
			break;
		case RF_STAGE_AGGREGATE:
			if (q->agg_stage >= 0) {
				fail(err, sp->column, "only one aggregate stage per query");
				snprintf(err->hint, sizeof err->hint,
					 "list several in one stage: count, sum(bytes) by status");
				return -EINVAL;
			}
			q->agg_stage = i;
			break;
		case RF_STAGE_TABLE:
			if (q->agg_stage < 0) {
				fail(err, sp->column, "'%s' works on the result of an aggregate", sp->verb->name);
				snprintf(err->hint, sizeof err->hint, "for example: count by path | %s",
					 sp->verb->usage);
				return -EINVAL;
			}
			break;
		case RF_STAGE_PROJECT:
		case RF_STAGE_FILTER:
		case RF_STAGE_LIMIT:
			if (q->agg_stage >= 0)
				return fail(err, sp->column, "'%s' cannot follow an aggregate here",
					    sp->verb->name);
			if (sp->verb->kind == RF_STAGE_PROJECT)
				q->project_stage = i;
			break;
		}
	}
	struct rf_schema *sc = &q->schema;
	for (int i = 0; i < q->nstages; i++) {
		struct rf_stage_spec *sp = &q->stage[i];
		if (i == q->parse_stage) {
			sc->parser = sp->config; /* a parse config starts with struct rf_parser */
			continue;
		}
		if (sp->verb->bind) {
			int r = sp->verb->bind(sp, sc, err);
			if (r < 0)
				return r;
		}
	}
	if (q->parse_stage >= 0) {
		struct rf_stage_spec *sp = &q->stage[q->parse_stage];
		int r = sp->verb->bind(sp, sc, err);
		if (r < 0)
			return r;
		/* a custom stage before it must add no field, as eval must not */
		for (int i = 0; i < q->parse_stage; i++)
			if ((r = rf__custom_before_parse(&q->stage[i], sp, err)) < 0)
				return r;
	}
	/* the parses from a field, now that every slot is known */
	for (int i = 0; i < q->nstages; i++)
		if (q->stage[i].verb->kind == RF_STAGE_PARSE && rf__parse_is_sub(&q->stage[i])) {
			int r = rf__parse_sub_slots(&q->stage[i], sc);
			if (r < 0)
				return r;
		}
	/* the table stages see the aggregate's columns, as each leaves them */
	if (q->agg_stage >= 0) {
		struct rf_colset cols = { 0 };
		int r = rf__agg_columns(&q->stage[q->agg_stage], &cols);
		for (int i = q->agg_stage + 1; r == 0 && i < q->nstages; i++)
			r = q->stage[i].verb->columns(&q->stage[i], &cols, err);
		for (int i = 0; i < cols.n; i++)
			free(cols.name[i]);
		return r;
	}
	return 0;
}

int rf_query_parse(const char *text, rf_query **out, struct rf_query_error *err)
{
	memset(err, 0, sizeof *err);
	*out = NULL;
	rf_query *q = calloc(1, sizeof *q);
	if (!q || !(q->text = strdup(text))) {
		free(q);
		return -ENOMEM;
	}
	struct lexer lx = { .src = q->text, .pos = 0, .err = err };
	struct token t;
	int r = lex_next(&lx, &t, 0);
	if (r == 0 && t.type == T_END) {
		r = fail(err, 1, "empty query");
		snprintf(err->hint, sizeof err->hint, "try: count   or: grep \"ERROR\" | count");
	}
	while (r == 0) {
		if (q->nstages == RF_MAX_STAGES) {
			r = fail(err, t.column, "too many stages (at most %d)", RF_MAX_STAGES);
			break;
		}
		struct rf_stage_spec *sp = &q->stage[q->nstages++];
		r = parse_stage(&lx, &t, sp);
		if (r < 0)
			break;
		if (t.type == T_END)
			break;
		free(t.text);
		if ((r = lex_next(&lx, &t, 0)) < 0)
			break;
	}
	free(t.text);
	if (r == 0)
		r = bind_query(q, err);
	if (r < 0) {
		rf_query_free(q);
		return r;
	}
	*out = q;
	return 0;
}

int rf_query_stages(const rf_query *q)
{
	return q->nstages;
}

const char *rf_query_stage_name(const rf_query *q, int i)
{
	return i >= 0 && i < q->nstages ? q->stage[i].verb->name : NULL;
}
