/* SPDX-License-Identifier: MIT */
/* stage_aggregate.c - the aggregate stage of the language:
 *
 *     count, sum(bytes), p99(ms) by status, minute
 *
 * The verb is the first aggregate's name, so every aggregate function is
 * also a verb. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aggregate.h"
#include "expr.h"
#include "stages.h"

static const struct {
	const char *name;
	enum rf_agg_func func;
	double q;
} agg_names[] = {
	{ "count", RF_AGG_COUNT, 0 }, { "sum", RF_AGG_SUM, 0 }, { "avg", RF_AGG_AVG, 0 },
	{ "min", RF_AGG_MIN, 0 }, { "max", RF_AGG_MAX, 0 }, { "distinct", RF_AGG_DISTINCT, 0 },
	{ "p50", RF_AGG_QUANTILE, 0.50 }, { "p90", RF_AGG_QUANTILE, 0.90 },
	{ "p95", RF_AGG_QUANTILE, 0.95 }, { "p99", RF_AGG_QUANTILE, 0.99 },
	{ "quantile", RF_AGG_QUANTILE, -1 }, { "approx_distinct", RF_AGG_APPROX, 0 },
	{ "stddev", RF_AGG_STDDEV, 0 }, { "variance", RF_AGG_VARIANCE, 0 },
	{ "stddev_pop", RF_AGG_STDDEV_POP, 0 }, { "var_pop", RF_AGG_VAR_POP, 0 },
	{ "histogram", RF_AGG_HISTOGRAM, 0 }, { "first", RF_AGG_FIRST, 0 }, { "last", RF_AGG_LAST, 0 }, { "pct", RF_AGG_COUNT, 1 },
};
#define NAGG_NAMES (sizeof agg_names / sizeof *agg_names)

struct rf_agg_lang;
static void lang_free(struct rf_agg_lang *lang);

static void free_config(void *config)
{
	struct rf_agg_config *cfg = config;
	if (!cfg)
		return;
	for (int i = 0; i < cfg->nkeys; i++) {
		rf__fieldref_free(&cfg->key[i].field);
		for (int a = 0; a < cfg->key[i].nalt; a++)
			rf__fieldref_free(&cfg->key[i].alt[a]);
		free(cfg->key[i].label);
	}
	for (int i = 0; i < cfg->naggs; i++) {
		rf__fieldref_free(&cfg->agg[i].field);
		free(cfg->agg[i].label);
	}
	lang_free(cfg->lang);
	free(cfg);
}

static int find_agg(const char *name)
{
	for (size_t i = 0; i < NAGG_NAMES; i++)
		if (strcmp(agg_names[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A column label of any length (a label cut short could name another). */
static int make_label(char **out, const char *fmt, const char *a, const char *b)
	__attribute__((format(printf, 2, 0)));

static int make_label(char **out, const char *fmt, const char *a, const char *b)
{
	if (asprintf(out, fmt, a, b) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int parse_agg(struct rf_cursor *c, const char *name, int column, struct rf_agg_spec *as)
{
	int idx = find_agg(name);
	if (idx < 0) {
		const char *names[NAGG_NAMES + 1];
		for (size_t i = 0; i < NAGG_NAMES; i++)
			names[i] = agg_names[i].name;
		names[NAGG_NAMES] = NULL;
		rf__fail(c->err, column, "unknown aggregate '%s'", name);
		rf__suggest(c->err, name, names);
		return -EINVAL;
	}
	as->func = agg_names[idx].func;
	as->q = agg_names[idx].q;
	if (as->func == RF_AGG_COUNT) {
		/* pct is a count, printed as its share of every group's */
		as->pct = as->q > 0;
		as->q = 0;
		if (rf__accept(c, RF_ARG_LPAREN, NULL) && !rf__accept(c, RF_ARG_RPAREN, NULL))
			return rf__fail(c->err, rf__cursor_column(c), "%s takes no field: it counts records", name);
		as->label = strdup(as->pct ? "pct" : "count");
		return as->label ? 0 : -ENOMEM;
	}
	if (!rf__accept(c, RF_ARG_LPAREN, NULL)) {
		rf__fail(c->err, rf__cursor_column(c), "%s needs a field in parentheses", name);
		snprintf(c->err->hint, sizeof c->err->hint, "for example: %s(bytes)", name);
		return -EINVAL;
	}
	int r = rf__parse_fieldref(c, &as->field, "a field name");
	if (r < 0)
		return r;
	if (as->func == RF_AGG_HISTOGRAM) {
		const struct rf_arg *a;
		struct rf_number n;
		if (!rf__accept(c, RF_ARG_COMMA, NULL) || !(a = rf__take(c)) || a->type != RF_ARG_NUMBER ||
		    rf__parse_number(a->text, a->len, &n) < 0 || !(n.d > 0) || !isfinite(n.d)) {
			rf__fail(c->err, c->i > 0 ? c->args[c->i - 1].column : c->end_column,
				 "histogram needs a field and a bucket width, a number above 0");
			snprintf(c->err->hint, sizeof c->err->hint, "for example: histogram(bytes, 1000)");
			return -EINVAL;
		}
		as->q = n.d;
		if (!rf__accept(c, RF_ARG_RPAREN, NULL))
			return rf__fail(c->err, rf__cursor_column(c), "expected ')' after %s's width", name);
		return make_label(&as->label, "histogram(%s,%s)", as->field.name, a->text);
	}
	if (as->q < 0) {
		const struct rf_arg *a;
		struct rf_number n;
		if (!rf__accept(c, RF_ARG_COMMA, NULL) || !(a = rf__take(c)) || a->type != RF_ARG_NUMBER ||
		    rf__parse_number(a->text, a->len, &n) < 0 || n.d < 0 || n.d > 1) {
			rf__fail(c->err, rf__cursor_column(c) - (c->i > 0 ? 0 : 0),
				 "quantile needs a field and a number between 0 and 1");
			snprintf(c->err->hint, sizeof c->err->hint, "for example: quantile(latency_ms, 0.999)");
			return -EINVAL;
		}
		as->q = n.d;
		if (!rf__accept(c, RF_ARG_RPAREN, NULL))
			return rf__fail(c->err, rf__cursor_column(c), "expected ')' after %s's field", name);
		/* labels as long as the names in them: never cut */
		return make_label(&as->label, "quantile(%s,%s)", as->field.name, a->text);
	}
	if (!rf__accept(c, RF_ARG_RPAREN, NULL))
		return rf__fail(c->err, rf__cursor_column(c), "expected ')' after %s's field", name);
	return make_label(&as->label, "%s(%s)", name, as->field.name);
}

static int parse_key(struct rf_cursor *c, struct rf_key_spec *ks)
{
	const struct rf_arg *a = rf__peek(c);
	static const struct {
		const char *name;
		int64_t s;
	} units[] = { { "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 } };
	if (a && a->type == RF_ARG_WORD) {
		for (size_t i = 0; i < sizeof units / sizeof *units; i++)
			if (strcmp(a->text, units[i].name) == 0) {
				c->i++;
				ks->kind = RF_KEY_BUCKET;
				ks->bucket_s = units[i].s;
				ks->field.name = NULL; /* the parser's time field, at bind */
				ks->field.column = a->column;
				ks->label = strdup(a->text);
				return ks->label ? 0 : -ENOMEM;
			}
		if (strcmp(a->text, "bucket") == 0 && c->i + 1 < c->nargs &&
		    c->args[c->i + 1].type == RF_ARG_LPAREN) {
			c->i += 2;
			int r = rf__parse_fieldref(c, &ks->field, "a time field or a number field");
			if (r < 0)
				return r;
			const struct rf_arg *d;
			int64_t ns;
			struct rf_number w;
			/* a plain number for a width: number buckets, keyed by
			 * their lower bounds (floor(v / width) * width) */
			if (rf__accept(c, RF_ARG_COMMA, NULL) && (d = rf__peek(c)) && d->type == RF_ARG_NUMBER &&
			    rf__parse_number(d->text, d->len, &w) == 0) {
				c->i++;
				if (!(w.d > 0) || !isfinite(w.d)) {
					rf__fail(c->err, d->column, "bucket's width must be a number above 0");
					snprintf(c->err->hint, sizeof c->err->hint, "for example: bucket(bytes, 1000)");
					return -EINVAL;
				}
				if (!rf__accept(c, RF_ARG_RPAREN, NULL))
					return rf__fail(c->err, rf__cursor_column(c), "expected ')' to close bucket(");
				ks->kind = RF_KEY_NBUCKET;
				ks->width = w.d;
				return make_label(&ks->label, "bucket(%s,%s)", ks->field.name, d->text);
			}
			if (c->i > 0 && c->args[c->i - 1].type == RF_ARG_COMMA)
				c->i--; /* read again below */
			if (!rf__accept(c, RF_ARG_COMMA, NULL) || !(d = rf__take(c)) ||
			    rf__parse_duration(d->text, d->len, &ns) < 0 || ns < 1000000000LL ||
			    ns % 1000000000LL) {
				rf__fail(c->err, c->i > 0 ? c->args[c->i - 1].column : c->end_column,
					 "bucket needs a time field and a whole number of seconds, minutes, hours or days, "
				 "or a number field and a number");
				snprintf(c->err->hint, sizeof c->err->hint, "for example: bucket(time, 5m) or bucket(bytes, 1000)");
				return -EINVAL;
			}
			if (!rf__accept(c, RF_ARG_RPAREN, NULL))
				return rf__fail(c->err, rf__cursor_column(c), "expected ')' to close bucket(");
			ks->kind = RF_KEY_BUCKET;
			ks->bucket_s = ns / 1000000000LL;
			return make_label(&ks->label, "bucket(%s,%s)", ks->field.name, d->text);
		}
	}
	int r = rf__parse_fieldref(c, &ks->field, "a field to group by");
	if (r < 0)
		return r;
	ks->kind = RF_KEY_FIELD;
	ks->label = strdup(ks->field.name);
	return ks->label ? 0 : -ENOMEM;
}

/* ---- expressions in the aggregate stage ----
 *
 *     sum(bytes / 1024), count(where status >= 500)
 *         an argument that is more than a field becomes a hidden field,
 *         made by an eval stage put before the aggregate (count(where E)
 *         sums a field that is 1 where E holds, else 0)
 *     count(where status >= 500) / count * 100 as error_pct
 *         a column that is more than an aggregate is computed from the
 *         aggregates' columns by a table stage put after it
 *     by status / 100 as class, url_host(referer)
 *         a key that is more than a field: a hidden field too */

struct agg_item {
	int agg;                /* the aggregate this column is, or -1 */
	struct rf_expr *e;      /* else the expression over the aggregates */
	char *label;
};

struct rf_agg_lang {
	void *pre;              /* eval config of the hidden fields, or NULL */
	int nhidden;
	int computed;           /* a column is an expression: the table stage */
	int nitems;
	struct agg_item item[RF_MAX_AGGS];
	int nkeys;
};

static void lang_free(struct rf_agg_lang *lang)
{
	if (!lang)
		return;
	for (int i = 0; i < lang->nitems; i++) {
		rf__expr_free(lang->item[i].e);
		free(lang->item[i].label);
	}
	if (lang->pre)
		rf__verb_eval.free_config(lang->pre);
	free(lang);
}

/* A hidden field's name: no query can write it but with field(). */
static int hidden_field(struct rf_agg_lang *lang, char kind, struct rf_expr *e, int column, int counting,
			char *name, size_t cap)
{
	snprintf(name, cap, "\x01%c%d", kind, ++lang->nhidden);
	if (!lang->pre && !(lang->pre = rf__eval_config_new())) {
		rf__expr_free(e);
		return -ENOMEM;
	}
	return rf__eval_config_add(lang->pre, name, column, e, counting);
}

/* "sum(\x01e1)" with the expression's text for the hidden name */
static int relabel(char **label, const char *hidden, const char *text)
{
	const char *at = strstr(*label, hidden);
	if (!at)
		return 0;
	char *s;
	if (asprintf(&s, "%.*s%s%s", (int)(at - *label), *label, text, at + strlen(hidden)) < 0)
		return -ENOMEM;
	free(*label);
	*label = s;
	return 0;
}

struct hook {
	struct rf_agg_config *cfg;
};

static int hook_is_agg(const char *name)
{
	return find_agg(name) >= 0;
}

/* An aggregate named in an expression: its arguments from the cursor. */
static int hook_agg(void *user, const char *name, int column, struct rf_cursor *c, int *index)
{
	struct rf_agg_config *cfg = ((struct hook *)user)->cfg;
	struct rf_agg_lang *lang = cfg->lang;
	if (cfg->naggs == RF_MAX_AGGS)
		return rf__fail(c->err, column, "too many aggregates (at most %d)", RF_MAX_AGGS);
	int idx = cfg->naggs++;
	struct rf_agg_spec *as = &cfg->agg[idx];
	*index = idx;
	const struct rf_arg *a = rf__peek(c);
	char hidden[32];
	int r;
	if (!a || a->type != RF_ARG_LPAREN)
		return parse_agg(c, name, column, as);
	int save = c->i;
	if (strcmp(name, "count") == 0 && c->i + 1 < c->nargs && c->args[c->i + 1].type == RF_ARG_WORD &&
	    strcmp(c->args[c->i + 1].text, "where") == 0) {
		c->i += 2;
		int from = c->i;
		struct rf_expr *e = NULL;
		if ((r = rf__expr_parse_item(c, NULL, &e)) < 0) {
			rf__expr_free(e);
			return r;
		}
		int to = c->i;
		if (!rf__accept(c, RF_ARG_RPAREN, NULL)) {
			rf__expr_free(e);
			return rf__fail(c->err, rf__cursor_column(c), "expected ')' to close count(where ...");
		}
		if ((r = hidden_field(lang, 'c', e, column, 1, hidden, sizeof hidden)) < 0)
			return r;
		as->func = RF_AGG_SUM;
		as->field.column = column;
		as->field.slot = -1;
		char *text = rf__args_text(c, from, to);
		if (!(as->field.name = strdup(hidden)) || !text) {
			free(text);
			return -ENOMEM;
		}
		r = make_label(&as->label, "count(where %s)%s", text, "");
		free(text);
		return r;
	}
	c->i++;
	int from = c->i;
	struct rf_expr *e = NULL;
	r = rf__expr_parse_item(c, NULL, &e);
	if (r < 0 && c->i > from) {
		rf__expr_free(e);
		return r;
	}
	if (r < 0 || rf__expr_field_name(e)) {
		/* a field (or nothing read: parse_agg says what is wrong) */
		rf__expr_free(e);
		c->i = save;
		c->err->hint[0] = '\0';
		return parse_agg(c, name, column, as);
	}
	int to = c->i;
	char *text = rf__args_text(c, from, to);
	if (!text) {
		rf__expr_free(e);
		return -ENOMEM;
	}
	if ((r = hidden_field(lang, 'e', e, c->args[from].column, 0, hidden, sizeof hidden)) < 0) {
		free(text);
		return r;
	}
	/* parse_agg reads '(' HIDDEN and what follows the expression */
	int rest = c->nargs - c->i;
	struct rf_arg *fake = malloc((size_t)(rest + 2) * sizeof *fake);
	if (!fake) {
		free(text);
		return -ENOMEM;
	}
	fake[0] = c->args[save];
	fake[1] = (struct rf_arg){ RF_ARG_WORD, hidden, strlen(hidden), c->args[from].column };
	if (rest > 0)
		memcpy(fake + 2, c->args + c->i, (size_t)rest * sizeof *fake);
	struct rf_cursor fc = { fake, rest + 2, 0, c->end_column, c->err };
	r = parse_agg(&fc, name, column, as);
	if (fc.i >= 2)
		c->i += fc.i - 2;
	free(fake);
	if (r == 0)
		r = relabel(&as->label, hidden, text);
	free(text);
	return r;
}

static int is_special_key(const struct rf_cursor *c)
{
	const struct rf_arg *a = c->i < c->nargs ? &c->args[c->i] : NULL;
	if (!a || a->type != RF_ARG_WORD)
		return 0;
	static const char *const words[] = { "second", "minute", "hour", "day", NULL };
	for (int i = 0; words[i]; i++)
		if (strcmp(a->text, words[i]) == 0)
			return 1;
	return c->i + 1 < c->nargs && c->args[c->i + 1].type == RF_ARG_LPAREN &&
	       (strcmp(a->text, "bucket") == 0 || strcmp(a->text, "histogram") == 0);
}

static int parse_alias(struct rf_cursor *c, char **label)
{
	if (!rf__accept(c, RF_ARG_WORD, "as"))
		return 0;
	const struct rf_arg *a = rf__take(c);
	if (!a || (a->type != RF_ARG_WORD && a->type != RF_ARG_STRING)) {
		rf__fail(c->err, a ? a->column : c->end_column, "expected a name after 'as'");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: count as hits");
		return -EINVAL;
	}
	char *s = strdup(a->text);
	if (!s)
		return -ENOMEM;
	free(*label);
	*label = s;
	return 0;
}

static int parse_keys(struct rf_cursor *c, struct rf_agg_config *cfg)
{
	int r;
	do {
		if (cfg->nkeys == RF_MAX_KEYS)
			return rf__fail(c->err, rf__cursor_column(c), "too many keys (at most %d)", RF_MAX_KEYS);
		struct rf_key_spec *ks = &cfg->key[cfg->nkeys++];
		if (is_special_key(c)) {
			if ((r = parse_key(c, ks)) < 0)
				return r;
		} else {
			int save = c->i;
			struct rf_expr *e = NULL;
			r = rf__expr_parse_item(c, NULL, &e);
			if (r < 0 && c->i > save) {
				rf__expr_free(e);
				return r;
			}
			if (r < 0 || rf__expr_field_name(e)) {
				rf__expr_free(e);
				c->i = save;
				c->err->hint[0] = '\0';
				if ((r = parse_key(c, ks)) < 0)
					return r;
			} else {
				char hidden[32], *text = rf__args_text(c, save, c->i);
				int column = c->args[save].column;
				if (!text) {
					rf__expr_free(e);
					return -ENOMEM;
				}
				if ((r = hidden_field(cfg->lang, 'k', e, column, 0, hidden, sizeof hidden)) < 0) {
					free(text);
					return r;
				}
				ks->kind = RF_KEY_FIELD;
				ks->field.column = column;
				ks->field.slot = -1;
				ks->label = text;
				if (!(ks->field.name = strdup(hidden)))
					return -ENOMEM;
			}
		}
		if ((r = parse_alias(c, &ks->label)) < 0)
			return r;
	} while (rf__accept(c, RF_ARG_COMMA, NULL));
	return 0;
}

static int configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct rf_agg_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return -ENOMEM;
	spec->config = cfg;
	if (!(cfg->lang = calloc(1, sizeof *cfg->lang)))
		return -ENOMEM;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	cfg->syslog_year = tm.tm_year + 1900; /* syslog stamps carry no year */

	/* the verb is the first aggregate's name: read it back in front */
	int rest = c->nargs - c->i, r = 0;
	struct rf_arg *args = malloc((size_t)(rest + 1) * sizeof *args);
	if (!args)
		return -ENOMEM;
	args[0] = (struct rf_arg){ RF_ARG_WORD, (char *)spec->verb_text, strlen(spec->verb_text), spec->column };
	if (rest > 0) /* (no arguments: c->args is NULL) */
		memcpy(args + 1, c->args + c->i, (size_t)rest * sizeof *args);
	struct rf_cursor c2 = { args, rest + 1, 0, c->end_column, c->err };
	struct hook h = { cfg };
	struct rf_expr_opts opts = { hook_agg, hook_is_agg, &h };
	struct rf_agg_lang *lang = cfg->lang;
	for (;;) {
		if (lang->nitems == RF_MAX_AGGS) {
			r = rf__fail(c->err, rf__cursor_column(&c2), "too many aggregates (at most %d)", RF_MAX_AGGS);
			break;
		}
		const struct rf_arg *first = rf__peek(&c2);
		if (!first || first->type == RF_ARG_COMMA) {
			r = rf__fail(c->err, first ? first->column : c->end_column, "expected an aggregate after ','");
			break;
		}
		int from = c2.i;
		struct rf_expr *e = NULL;
		if ((r = rf__expr_parse_item(&c2, &opts, &e)) < 0) {
			rf__expr_free(e);
			break;
		}
		struct agg_item *it = &lang->item[lang->nitems++];
		it->agg = rf__expr_agg_index(e);
		if (it->agg >= 0) {
			rf__expr_free(e);
			r = parse_alias(&c2, &cfg->agg[it->agg].label);
		} else {
			it->e = e;
			lang->computed = 1;
			if (!(it->label = rf__args_text(&c2, from, c2.i)))
				r = -ENOMEM;
			else
				r = parse_alias(&c2, &it->label);
		}
		if (r < 0 || !rf__accept(&c2, RF_ARG_COMMA, NULL))
			break;
	}
	if (r == 0 && rf__accept(&c2, RF_ARG_WORD, "by"))
		r = parse_keys(&c2, cfg);
	else if (r == 0 && rf__peek(&c2)) {
		const struct rf_arg *a = rf__peek(&c2);
		rf__fail(c->err, a->column, "unexpected '%s' after the aggregates", a->text);
		snprintf(c->err->hint, sizeof c->err->hint, "group with 'by': count by status");
		r = -EINVAL;
	}
	c->i += c2.i > 0 ? c2.i - 1 : 0;
	free(args);
	if (r < 0)
		return r;
	/* an aggregate only used inside an expression is hidden: the table
	 * stage picks the columns */
	for (int a = 0; a < cfg->naggs; a++) {
		int shown = 0;
		for (int i = 0; i < lang->nitems; i++)
			shown |= lang->item[i].agg == a;
		if (!shown)
			lang->computed = 1;
	}
	lang->nkeys = cfg->nkeys;
	cfg->count_only = !lang->pre;
	for (int i = 0; i < cfg->naggs; i++)
		if (cfg->agg[i].func != RF_AGG_COUNT)
			cfg->count_only = 0;
	return 0;
}

/* The result's columns as the query asked for them: the keys, then each
 * column an aggregate or an expression over the aggregates' columns. */
struct project_config {
	int nkeys, nitems;
	struct agg_item item[RF_MAX_AGGS];
	int src[RF_MAX_AGGS];
};

static void project_free(void *config)
{
	struct project_config *pc = config;
	if (!pc)
		return;
	for (int i = 0; i < pc->nitems; i++) {
		rf__expr_free(pc->item[i].e);
		free(pc->item[i].label);
	}
	free(pc);
}

static int project_columns(struct rf_stage_spec *spec, struct rf_colset *cols, struct rf_query_error *err)
{
	struct project_config *pc = spec->config;
	char *names[RF_TABLE_MAX_COLS];
	int n = 0, r;
	for (int i = 0; i < pc->nitems; i++) {
		struct agg_item *it = &pc->item[i];
		pc->src[i] = it->agg >= 0 ? pc->nkeys + it->agg : -1;
		if (it->e) {
			rf__expr_bind_aggs(it->e, pc->nkeys);
			if ((r = rf__expr_bind_table(it->e, cols, err)) < 0)
				return r;
		}
	}
	for (int k = 0; k < pc->nkeys && k < cols->n; k++)
		if (!(names[n++] = strdup(cols->name[k])))
			return -ENOMEM;
	for (int i = 0; i < pc->nitems; i++)
		if (!(names[n++] = strdup(pc->src[i] >= 0 && pc->src[i] < cols->n ? cols->name[pc->src[i]]
										 : pc->item[i].label)))
			return -ENOMEM;
	for (int i = 0; i < cols->n; i++)
		free(cols->name[i]);
	for (int i = 0; i < n; i++)
		cols->name[i] = names[i];
	cols->n = n;
	return 0;
}

/* Room for the text of a typed value (a number, time, address). */
struct small_buf {
	char b[256];
	size_t used;
};

static char *small_alloc(void *user, size_t n)
{
	struct small_buf *sb = user;
	if (sb->used + n > sizeof sb->b)
		return NULL;
	char *p = sb->b + sb->used;
	sb->used += n;
	return p;
}

static int cell_of(struct rf_table *t, const struct rf_tv *v, struct rf_cell *c)
{
	memset(c, 0, sizeof *c);
	switch (v->type) {
	case RF_TV_NULL: c->type = RF_CELL_NULL; return 0;
	case RF_TV_INT: c->type = RF_CELL_INT; c->u.i = v->u.i; return 0;
	case RF_TV_FLOAT: c->type = RF_CELL_DBL; c->u.d = v->u.d; return 0;
	case RF_TV_TIME:
		c->type = RF_CELL_TIME;
		c->u.i = v->u.i >= 0 ? v->u.i / 1000000000 : -((-v->u.i + 999999999) / 1000000000);
		return 0;
	default: break;
	}
	struct rf_tv s = *v;
	char buf[8];
	if (v->type == RF_TV_BOOL)
		s = rf_tv_str(strcpy(buf, v->u.i ? "true" : "false"), v->u.i ? 4 : 5);
	else if (v->type != RF_TV_STR) {
		struct small_buf sb;
		sb.used = 0;
		struct rf_fn_env env = { small_alloc, &sb, 0, NULL };
		if (rf__tv_to_text(v, &env, &s) < 0)
			return -ENOMEM;
	}
	const char *p = rf__table_strdup(t, s.u.s, s.len);
	if (!p)
		return -ENOMEM;
	c->type = RF_CELL_STR;
	c->u.str.s = p;
	c->u.str.len = s.len;
	c->plain = (uint8_t)rf__plain_text(p, s.len);
	return 0;
}

static int project_apply(const void *config, struct rf_table *t)
{
	const struct project_config *pc = config;
	int ncols = pc->nkeys + pc->nitems;
	size_t rows = t->nrows;
	struct rf_cell *out = malloc((rows ? rows : 1) * (size_t)ncols * sizeof *out);
	struct rf_tv *v = malloc((rows ? rows : 1) * sizeof *v);
	int r = out && v ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < rows; i++)
		for (int k = 0; k < pc->nkeys; k++)
			out[i * (size_t)ncols + (size_t)k] = t->cells[i * (size_t)t->ncols + (size_t)k];
	for (int c = 0; r == 0 && c < pc->nitems; c++) {
		size_t col = (size_t)(pc->nkeys + c);
		if (pc->src[c] >= 0) {
			for (size_t i = 0; i < rows; i++)
				out[i * (size_t)ncols + col] = t->cells[i * (size_t)t->ncols + (size_t)pc->src[c]];
			continue;
		}
		struct rf_expr_ctx *x = rf__expr_ctx_new(pc->item[c].e);
		if (x)
			rf__expr_ctx_set_tz(x, t->tz);
		r = x ? rf__expr_table_values(x, pc->item[c].e, t, v) : -ENOMEM;
		for (size_t i = 0; r == 0 && i < rows; i++)
			r = cell_of(t, &v[i], &out[i * (size_t)ncols + col]);
		rf__expr_ctx_free(x);
	}
	free(v);
	if (r < 0) {
		free(out);
		return r;
	}
	char *names[RF_TABLE_MAX_COLS];
	for (int k = 0; k < ncols; k++) {
		int i = k - pc->nkeys;
		const char *name = i < 0 ? t->col[k] : pc->src[i] >= 0 ? t->col[pc->src[i]] : pc->item[i].label;
		if (!(names[k] = strdup(name))) {
			while (k--)
				free(names[k]);
			free(out);
			return -ENOMEM;
		}
	}
	for (int k = 0; k < t->ncols; k++)
		free(t->col[k]);
	for (int k = 0; k < ncols; k++)
		t->col[k] = names[k];
	free(t->cells);
	t->cells = out;
	t->cap = rows;
	t->ncols = ncols;
	return 0;
}

static const struct rf_verb verb_project = {
	.name = "(columns)",
	.kind = RF_STAGE_TABLE,
	.free_config = project_free,
	.columns = project_columns,
	.apply = project_apply,
};

int rf__agg_synth(struct rf_stage_spec *agg, struct rf_stage_spec *pre, struct rf_stage_spec *post)
{
	struct rf_agg_config *cfg = agg->config;
	struct rf_agg_lang *lang = cfg ? cfg->lang : NULL;
	int n = 0;
	memset(pre, 0, sizeof *pre);
	memset(post, 0, sizeof *post);
	if (!lang)
		return 0;
	if (lang->pre) {
		pre->verb = &rf__verb_eval;
		pre->verb_text = "eval";
		pre->column = agg->column;
		pre->end_column = agg->column;
		pre->config = lang->pre;
		lang->pre = NULL;
		n |= 1;
	}
	if (lang->computed) {
		struct project_config *pc = calloc(1, sizeof *pc);
		if (!pc)
			return -ENOMEM;
		pc->nkeys = cfg->nkeys;
		pc->nitems = lang->nitems;
		memcpy(pc->item, lang->item, sizeof pc->item);
		lang->nitems = 0;
		post->verb = &verb_project;
		post->verb_text = "(columns)";
		post->column = agg->end_column;
		post->end_column = agg->end_column;
		post->config = pc;
		n |= 2;
	}
	return n;
}

static int bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	struct rf_agg_config *cfg = spec->config;
	int r = 0;
	for (int i = 0; i < cfg->nkeys; i++) {
		struct rf_key_spec *ks = &cfg->key[i];
		if (!ks->field.name) {
			const char *const *tf = sc->parser ? sc->parser->time_fields : NULL;
			if (!tf) {
				rf__fail(err, ks->field.column, "'%s' needs a time field, and %s has none by default",
					 ks->label, sc->parser ? sc->parser->format : "a query without a parse stage");
				snprintf(err->hint, sizeof err->hint, "name it: bucket(FIELD, 1m)");
				return -EINVAL;
			}
			if (!(ks->field.name = strdup(tf[0])))
				return -ENOMEM;
			for (int a = 1; tf[a] && ks->nalt < 4; a++) {
				struct rf_fieldref *alt = &ks->alt[ks->nalt++];
				alt->column = ks->field.column;
				if (!(alt->name = strdup(tf[a])) || (r = rf__schema_bind(sc, alt, err)) < 0)
					return alt->name ? r : -ENOMEM;
			}
		}
		if ((r = rf__schema_bind(sc, &ks->field, err)) < 0)
			return r;
	}
	for (int i = 0; i < cfg->naggs; i++)
		if (cfg->agg[i].func != RF_AGG_COUNT && (r = rf__schema_bind(sc, &cfg->agg[i].field, err)) < 0)
			return r;
	return 0;
}

static int open_stage(struct rf_stage *st, const void *config)
{
	st->state = rf__agg_new(config, st->k);
	if (!st->state)
		return -ENOMEM;
	rf__agg_set_stage(st->state, st);
	rf__agg_set_limit(st->state, st->env->memory_limit, st->env->statm_fd);
	return 0;
}

static int process(struct rf_stage *st, struct rf_batch *b)
{
	int r = rf__agg_process(st->state, b);
	/* Groups and their sketches grow without bound on a key with many
	 * values: stop with a reason before the OOM killer stops us without
	 * one.  One pread of statm per batch. */
	const struct rf_stage_env *env = st->env;
	uint64_t rss;
	if (r == 0 && env->memory_limit && (rss = rf__resident_bytes(env->statm_fd)) > env->memory_limit) {
		st->env->groups_at_limit = rf__agg_groups(st->state);
		st->env->resident_at_limit = rss;
		return -EOVERFLOW;
	}
	return r;
}

static int finish(struct rf_stage *st, struct rf_table **out)
{
	return rf__agg_table(st->state, out);
}

static void close_stage(struct rf_stage *st)
{
	rf__agg_free(st->state);
	st->state = NULL;
}

#define AGG_VERB(id, text)                                                                   \
	const struct rf_verb rf__verb_##id = {                                               \
		.name = text,                                                                \
		.kind = RF_STAGE_AGGREGATE,                                                  \
		.usage = "count, sum(F), avg(F), min(F), max(F), distinct(F), p50..p99(F), " \
			 "quantile(F, q), approx_distinct(F), stddev(F), variance(F), "     \
			 "stddev_pop(F), var_pop(F), first(F), last(F), histogram(F, W), "    \
			 "pct [by KEY, ...]",                                                \
		.configure = configure,                                                      \
		.bind = bind,                                                                \
		.free_config = free_config,                                                  \
		.open = open_stage,                                                          \
		.process = process,                                                          \
		.finish = finish,                                                            \
		.close = close_stage,                                                        \
	}

AGG_VERB(count, "count");
AGG_VERB(sum, "sum");
AGG_VERB(avg, "avg");
AGG_VERB(min, "min");
AGG_VERB(max, "max");
AGG_VERB(distinct, "distinct");
AGG_VERB(p50, "p50");
AGG_VERB(p90, "p90");
AGG_VERB(p95, "p95");
AGG_VERB(p99, "p99");
AGG_VERB(quantile, "quantile");
AGG_VERB(approx_distinct, "approx_distinct");
AGG_VERB(stddev, "stddev");
AGG_VERB(variance, "variance");
AGG_VERB(stddev_pop, "stddev_pop");
AGG_VERB(var_pop, "var_pop");
AGG_VERB(histogram, "histogram");
AGG_VERB(first, "first");
AGG_VERB(last, "last");
AGG_VERB(pct, "pct");

/* Notes for the end of a run: values an aggregate had to skip. */
/* Like snprintf: the notes' whole length, of which cap - 1 bytes fit. */
static size_t add_note(char *buf, size_t cap, size_t n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static size_t add_note(char *buf, size_t cap, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, fmt, ap);
	va_end(ap);
	return n + (r > 0 ? (size_t)r : 0);
}

int rf__agg_notes(const struct rf_stage *st, char *buf, size_t cap)
{
	const struct rf_agg_state *s = st->state;
	size_t n = 0;
	if (!s)
		return 0;
	const struct rf_agg_config *cfg = rf__agg_config(s);
	for (int i = 0; i < cfg->nkeys; i++) {
		uint64_t k = rf__agg_key_skipped(s, i);
		if (k)
			n = add_note(buf, cap, n, "%s%s: %llu records without a number, left out", n ? "; " : "",
				     cfg->key[i].label, (unsigned long long)k);
	}
	for (int i = 0; i < cfg->naggs; i++) {
		uint64_t k = rf__agg_skipped(s, i);
		if (k)
			n = add_note(buf, cap, n, "%s%s: %llu values missing or not numbers, skipped", n ? "; " : "",
				     cfg->agg[i].label, (unsigned long long)k);
		/* the one way a quantile leaves the 1% bound: it is a number
		 * past the double range, printed as inf */
		uint64_t b = rf__agg_beyond(s, i);
		if (b && cfg->nkeys)
			n = add_note(buf, cap, n,
				     "%s%s: in %llu group%s the value at this rank is past the double range "
				     "(beyond 1.8e308) and prints as inf or -inf",
				     n ? "; " : "", cfg->agg[i].label, (unsigned long long)b, b == 1 ? "" : "s");
		else if (b)
			n = add_note(buf, cap, n,
				     "%s%s: the value at this rank is past the double range (beyond 1.8e308) "
				     "and prints as inf or -inf",
				     n ? "; " : "", cfg->agg[i].label);
	}
	return (int)n;
}

int rf__agg_columns(const struct rf_stage_spec *spec, struct rf_colset *cols)
{
	const struct rf_agg_config *cfg = spec->config;
	if (cfg->custom)
		return cfg->custom->columns(cfg, cols);
	cols->n = 0;
	cols->nkeys = cfg->nkeys;
	for (int i = 0; i < cfg->nkeys; i++)
		if (!(cols->name[cols->n++] = strdup(cfg->key[i].label)))
			return -ENOMEM;
	for (int i = 0; i < cfg->naggs; i++)
		if (!(cols->name[cols->n++] = strdup(cfg->agg[i].label)))
			return -ENOMEM;
	return 0;
}

/* Fold a worker's groups into dst's and free them: two states of every
 * group at once would double the peak.  The merge keeps to the limit. */
int rf__agg_stage_merge(struct rf_stage *dst, struct rf_stage *src)
{
	if (!src->state)
		return 0;
	rf__agg_drop_index(src->state); /* only read in order from here on */
	int r = rf__agg_merge(dst->state, src->state);
	if (r == -EOVERFLOW) {
		dst->env->groups_at_limit = rf__agg_groups(dst->state);
		dst->env->resident_at_limit = rf__agg_at_limit(dst->state);
	}
	rf__agg_free(src->state);
	src->state = NULL;
	return r;
}

int rf__agg_stage_part(struct rf_stage *st, unsigned nparts, unsigned part)
{
	return rf__agg_set_part(st->state, nparts, part);
}

int rf__agg_stage_reset(struct rf_stage *st)
{
	struct rf_agg_state *n = rf__agg_new(rf__agg_config(st->state), st->k);
	if (!n)
		return -ENOMEM;
	rf__agg_set_stage(n, st);
	rf__agg_set_limit(n, st->env->memory_limit, st->env->statm_fd);
	rf__agg_free(st->state);
	st->state = n;
	return 0;
}

struct rf_agg_state *rf__agg_stage_state(struct rf_stage *st)
{
	return st->state;
}
