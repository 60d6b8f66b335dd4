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

static int fail(struct rf_query_error *err, int column, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct rf_query_error *err, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->column = column;
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

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

static int lex_string(struct lexer *lx, struct token *t)
{
	const char *s = lx->src;
	char quote = s[lx->pos];
	size_t start = lx->pos++;
	char *out = malloc(strlen(s + start) + 1);
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
		default:
			free(out);
			if (e == '\0')
				return fail(lx->err, (int)start + 1, "unterminated string");
			return fail(lx->err, (int)lx->pos - 1, "unknown escape '\\%c'", e);
		}
	}
	out[n] = '\0';
	t->type = T_STRING;
	t->text = out;
	t->len = n;
	return 0;
}

static int lex_next(struct lexer *lx, struct token *t)
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
		return lex_string(lx, t);
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

/* Edit distance, for "did you mean" hints on short names. */
static int edit_distance(const char *a, const char *b)
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

static const struct rf_verb *find_verb(const char *name)
{
	for (int i = 0; rf__verbs[i]; i++)
		if (strcmp(rf__verbs[i]->name, name) == 0)
			return rf__verbs[i];
	return NULL;
}

static void suggest_verb(const char *name, struct rf_query_error *err)
{
	const char *best = NULL;
	int best_d = 3;
	for (int i = 0; rf__verbs[i]; i++) {
		int d = edit_distance(name, rf__verbs[i]->name);
		if (d < best_d) {
			best_d = d;
			best = rf__verbs[i]->name;
		}
	}
	if (best) {
		snprintf(err->hint, sizeof err->hint, "did you mean '%s'?", best);
		return;
	}
	size_t n = (size_t)snprintf(err->hint, sizeof err->hint, "verbs:");
	for (int i = 0; rf__verbs[i] && n < sizeof err->hint; i++)
		n += (size_t)snprintf(err->hint + n, sizeof err->hint - n, " %s", rf__verbs[i]->usage);
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
	sp->verb = find_verb(t->text);
	sp->column = t->column;
	if (!sp->verb) {
		fail(err, t->column, "unknown verb '%s'", t->text);
		suggest_verb(t->text, err);
		return -EINVAL;
	}
	free(t->text);
	t->text = NULL;
	for (;;) {
		if ((r = lex_next(lx, t)) < 0)
			return r;
		if (t->type == T_PIPE || t->type == T_END)
			break;
		if (t->type != T_WORD && t->type != T_STRING && t->type != T_NUMBER && t->type != T_FLAG) {
			r = fail(err, t->column, "%s: unexpected %s", sp->verb->name, tok_name(t));
			snprintf(err->hint, sizeof err->hint, "usage: %s", sp->verb->usage);
			return r;
		}
		struct rf_arg *args = realloc(sp->args, (size_t)(sp->nargs + 1) * sizeof *args);
		if (!args)
			return -ENOMEM;
		sp->args = args;
		struct rf_arg *a = &args[sp->nargs++];
		a->type = t->type == T_STRING ? RF_ARG_STRING : t->type == T_NUMBER ? RF_ARG_NUMBER
			: t->type == T_FLAG ? RF_ARG_FLAG : RF_ARG_WORD;
		a->text = t->text;
		a->len = t->len;
		a->column = t->column;
		t->text = NULL;
	}
	r = sp->verb->configure(sp, err);
	if (r < 0 && !err->hint[0] && sp->verb->usage)
		snprintf(err->hint, sizeof err->hint, "usage: %s", sp->verb->usage);
	return r;
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
	int r = lex_next(&lx, &t);
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
		if (q->nstages > 1 && q->stage[q->nstages - 2].verb->kind == RF_STAGE_AGGREGATE) {
			r = fail(err, sp->column, "'%s' cannot follow '%s': an aggregate ends the query",
				 sp->verb->name, q->stage[q->nstages - 2].verb->name);
			snprintf(err->hint, sizeof err->hint, "put filters first: grep \"x\" | count");
			break;
		}
		if (t.type == T_END)
			break;
		free(t.text);
		if ((r = lex_next(&lx, &t)) < 0)
			break;
	}
	free(t.text);
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
