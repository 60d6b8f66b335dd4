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

static int configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct rf_agg_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return -ENOMEM;
	spec->config = cfg;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	cfg->syslog_year = tm.tm_year + 1900; /* syslog stamps carry no year */

	const char *name = spec->verb_text;
	int column = spec->column, r;
	for (;;) {
		if (cfg->naggs == RF_MAX_AGGS)
			return rf__fail(c->err, column, "too many aggregates (at most %d)", RF_MAX_AGGS);
		/* counted first, so free_config frees what a failed parse left */
		if ((r = parse_agg(c, name, column, &cfg->agg[cfg->naggs++])) < 0)
			return r;
		if (!rf__accept(c, RF_ARG_COMMA, NULL))
			break;
		const struct rf_arg *a = rf__take(c);
		if (!a || a->type != RF_ARG_WORD)
			return rf__fail(c->err, a ? a->column : c->end_column, "expected an aggregate after ','");
		name = a->text;
		column = a->column;
	}
	if (rf__accept(c, RF_ARG_WORD, "by")) {
		do {
			if (cfg->nkeys == RF_MAX_KEYS)
				return rf__fail(c->err, rf__cursor_column(c), "too many keys (at most %d)", RF_MAX_KEYS);
			if ((r = parse_key(c, &cfg->key[cfg->nkeys++])) < 0)
				return r;
		} while (rf__accept(c, RF_ARG_COMMA, NULL));
	} else if (rf__peek(c)) {
		const struct rf_arg *a = rf__peek(c);
		rf__fail(c->err, a->column, "unexpected '%s' after the aggregates", a->text);
		snprintf(c->err->hint, sizeof c->err->hint, "group with 'by': count by status");
		return -EINVAL;
	}
	cfg->count_only = 1;
	for (int i = 0; i < cfg->naggs; i++)
		if (cfg->agg[i].func != RF_AGG_COUNT)
			cfg->count_only = 0;
	return 0;
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

struct rf_agg_state *rf__agg_stage_state(struct rf_stage *st)
{
	return st->state;
}
