/* SPDX-License-Identifier: MIT */
/* plugin.c - custom stages: the public stage interface (ringflow.h, "Custom
 * stages") mapped onto the engine's verbs, their registry, and plugins
 * loaded from shared objects.
 *
 * A registered stage becomes a struct rf_verb whose callbacks are the
 * adapters below.  A row stage is a filter to the engine: it reads fields
 * through slots bound as any verb's are, and the fields it adds are eval
 * slots (typed values and text), so every later stage reads them as it
 * reads eval's.  An aggregate is a built-in aggregate with no keys whose
 * state is the plugin's (struct rf_agg_custom): the runners already merge,
 * ship and print aggregate states in every mode, and go on doing so. */
#include "config.h"
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine.h"
#include "aggregate.h"
#include "stages.h"

#define MAX_CUSTOM 64        /* registered stages */
#define MAX_FIELDS 32        /* fields a stage reads, adds, or result columns */

struct custom_stage {
	struct rf_verb verb;         /* first: a spec's verb is its stage */
	struct rf_stage_def def;     /* a copy; zero past the size it was built with */
	char *file;                  /* the plugin it came from; NULL: the program's own */
	char running[320];           /* "upper from ./x.so", for rf_plugin_running */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct custom_stage *registry[MAX_CUSTOM];
static int nregistered;

/* The stage whose callback this thread is in (rf_plugin_running). */
static __thread const char *running;
/* why the last open() of a stage in a run failed, on this thread ("" none) */
static __thread char open_failed[400];

const char *rf__stage_open_failed(void)
{
	return open_failed[0] ? open_failed : NULL;
}

void rf__stage_open_clear(void)
{
	open_failed[0] = '\0';
}

/* A stage's configuration in one query.  An aggregate's config is read as
 * a struct rf_agg_config by the aggregate code: it comes first. */
struct custom_config {
	struct rf_agg_config agg;
	const struct custom_stage *cs;
	int column, end_column;      /* the stage in the query, for messages */
	int argc;
	char **argv;
	int *argcol;                 /* each argument's column */
	int nread, nadd, ncol;
	struct rf_fieldref read[MAX_FIELDS];
	char *add[MAX_FIELDS];
	int add_slot[MAX_FIELDS];
	char *col[MAX_FIELDS];
	const struct rf_schema *sc;
};

struct rf_stage_setup {
	struct custom_config *cfg;
	struct rf_schema *sc;        /* while the query binds; NULL in a run */
	struct rf_query_error *err;
	int failed;                  /* a field did not bind: err says why */
};

/* One instance: the stage's state and what its batches need. */
struct custom_instance {
	const struct custom_config *cfg;
	const struct rf_kernels *k;
	void *state;
	uint8_t *keep;
	size_t keep_cap;
};

struct rf_stage_batch {
	struct rf_batch *b;
	const struct custom_config *cfg;
	uint8_t *keep;
	int dropped;
	int has_rows;                /* b->vals holds the schema's slots */
};

struct rf_stage_result {
	struct rf_table *t;
	struct rf_cell *row;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *rf_plugin_running(void)
{
	return running;
}

/* ---- declaring fields in open() ---- */

static int find_name(char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* The column of the argument spelling the name, else of the stage: an
 * error about a field points at it. */
static int column_of(const struct custom_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->argc; i++)
		if (strcmp(cfg->argv[i], name) == 0)
			return cfg->argcol[i];
	return cfg->column;
}

int rf_stage_read(rf_stage_setup *setup, const char *name)
{
	struct custom_config *cfg = setup ? setup->cfg : NULL;
	if (!cfg || !name)
		return -EINVAL;
	for (int i = 0; i < cfg->nread; i++)
		if (strcmp(cfg->read[i].name, name) == 0)
			return i;
	if (!setup->sc)
		return -EINVAL; /* a run's open asks for a field the query's did not */
	if (cfg->nread == MAX_FIELDS)
		return -E2BIG;
	struct rf_fieldref *ref = &cfg->read[cfg->nread];
	if (!(ref->name = strdup(name)))
		return -ENOMEM;
	ref->column = column_of(cfg, name);
	int r = rf__schema_bind(setup->sc, ref, setup->err);
	if (r < 0) {
		rf__fieldref_free(ref);
		setup->failed = 1;
		return r;
	}
	return cfg->nread++;
}

int rf_stage_add(rf_stage_setup *setup, const char *name)
{
	struct custom_config *cfg = setup ? setup->cfg : NULL;
	if (!cfg || !name || cfg->cs->def.aggregate)
		return -EINVAL;
	int i = find_name(cfg->add, cfg->nadd, name);
	if (i >= 0 || !setup->sc)
		return i >= 0 ? i : -EINVAL;
	if (!name[0] || strcmp(name, "line") == 0 || strcmp(name, "$0") == 0) {
		rf__fail(setup->err, cfg->column, "%s cannot make the field '%s'", cfg->cs->def.name, name);
		setup->failed = 1;
		return -EINVAL;
	}
	if (cfg->nadd == MAX_FIELDS)
		return -E2BIG;
	int slot = rf__schema_add_eval(setup->sc, name, cfg->column, setup->err);
	if (slot < 0) {
		setup->failed = 1;
		return slot;
	}
	if (!(cfg->add[cfg->nadd] = strdup(name)))
		return -ENOMEM;
	cfg->add_slot[cfg->nadd] = slot;
	return cfg->nadd++;
}

int rf_stage_column(rf_stage_setup *setup, const char *name)
{
	struct custom_config *cfg = setup ? setup->cfg : NULL;
	if (!cfg || !name || !cfg->cs->def.aggregate)
		return -EINVAL;
	int i = find_name(cfg->col, cfg->ncol, name);
	if (i >= 0 || !setup->sc)
		return i >= 0 ? i : -EINVAL;
	if (cfg->ncol == MAX_FIELDS)
		return -E2BIG;
	if (!(cfg->col[cfg->ncol] = strdup(name)))
		return -ENOMEM;
	return cfg->ncol++;
}

/* ---- batches in process() ---- */

size_t rf_stage_records(const rf_stage_batch *batch)
{
	return batch->b->nsel;
}

int rf_stage_record(const rf_stage_batch *batch, size_t i, const char **p, size_t *len)
{
	if (i >= batch->b->nsel)
		return -ERANGE;
	struct rf_span s = batch->b->sel[i];
	*p = batch->b->data + s.off;
	*len = s.len;
	return 0;
}

int rf_stage_field(const rf_stage_batch *batch, size_t i, int field, const char **p, size_t *len)
{
	const struct rf_batch *b = batch->b;
	if (i >= b->nsel || field < 0 || field >= batch->cfg->nread)
		return -ERANGE;
	const struct rf_fieldref *ref = &batch->cfg->read[field];
	/* no parse before the stage: only the whole record is there */
	if (ref->slot >= 0 && (!batch->has_rows || (uint32_t)ref->slot >= b->nslots))
		return -ENOENT;
	struct rf_value v = rf__field(b, (uint32_t)i, ref);
	if (v.len < 0)
		return -ENOENT;
	*p = v.p;
	*len = (size_t)v.len;
	return 0;
}

int rf_stage_set(rf_stage_batch *batch, size_t i, int field, const char *p, size_t len)
{
	struct rf_batch *b = batch->b;
	if (i >= b->nsel || field < 0 || field >= batch->cfg->nadd)
		return -ERANGE;
	if (len > INT32_MAX)
		return -E2BIG;
	char *copy = rf__batch_alloc(b, len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, p, len);
	int slot = batch->cfg->add_slot[field];
	const struct rf_schema *sc = batch->cfg->sc;
	b->vals[i * b->nslots + (size_t)slot] = (struct rf_value){ copy, (int32_t)len };
	struct rf_tv tv = rf_tv_str(copy, len);
	tv.text = 1; /* as a parsed field's: it may read as a number */
	b->tv[i * b->ntv + sc->tv_idx[slot]] = tv;
	return 0;
}

void rf_stage_drop(rf_stage_batch *batch, size_t i)
{
	if (i < batch->b->nsel && batch->keep[i]) {
		batch->keep[i] = 0;
		batch->dropped = 1;
	}
}

/* ---- the result of an aggregate ---- */

static struct rf_cell *result_cell(rf_stage_result *res, int column)
{
	return res && column >= 0 && column < res->t->ncols ? &res->row[column] : NULL;
}

int rf_stage_result_int(rf_stage_result *res, int column, int64_t value)
{
	struct rf_cell *c = result_cell(res, column);
	if (!c)
		return -ERANGE;
	c->type = RF_CELL_INT;
	c->u.i = value;
	return 0;
}

int rf_stage_result_float(rf_stage_result *res, int column, double value)
{
	struct rf_cell *c = result_cell(res, column);
	if (!c)
		return -ERANGE;
	c->type = RF_CELL_DBL;
	c->u.d = value;
	return 0;
}

int rf_stage_result_str(rf_stage_result *res, int column, const char *p, size_t len)
{
	struct rf_cell *c = result_cell(res, column);
	if (!c)
		return -ERANGE;
	if (len > UINT32_MAX)
		return -E2BIG;
	const char *s = rf__table_strdup(res->t, p, len);
	if (!s)
		return -ENOMEM;
	c->type = RF_CELL_STR;
	c->u.str.s = s;
	c->u.str.len = (uint32_t)len;
	c->plain = (uint8_t)rf__plain_text(s, len);
	return 0;
}

int rf_stage_result_row(rf_stage_result *res)
{
	struct rf_cell *row = rf__table_add_row(res->t);
	if (!row)
		return -ENOMEM;
	res->row = row;
	return 0;
}

/* ---- calling the stage ---- */

/* The stage's open(), in a query's bind (sc set: fields are declared) or
 * in a run (fields looked up).  err gets the stage's own message. */
static int call_open(const struct custom_config *cfg, struct rf_stage_setup *setup, void **state, char *err,
		     size_t errlen)
{
	const struct custom_stage *cs = cfg->cs;
	*state = NULL;
	err[0] = '\0';
	running = cs->running;
	int r = cs->def.open(setup, cfg->argc, (const char *const *)cfg->argv, state, err, errlen);
	running = NULL;
	if (r > 0)
		r = -EINVAL;
	return r;
}

static void call_close(const struct custom_stage *cs, void *state)
{
	if (!cs->def.close)
		return;
	running = cs->running;
	cs->def.close(state);
	running = NULL;
}

static int instance_open(const struct custom_config *cfg, const struct rf_kernels *k, struct custom_instance **out)
{
	struct custom_instance *in = calloc(1, sizeof *in);
	if (!in)
		return -ENOMEM;
	in->cfg = cfg;
	in->k = k;
	struct rf_stage_setup setup = { .cfg = (struct custom_config *)cfg };
	char msg[256];
	int r = call_open(cfg, &setup, &in->state, msg, sizeof msg);
	if (r < 0) {
		/* the stage's own words, for the run to say (rf__stage_open_failed) */
		snprintf(open_failed, sizeof open_failed, "%s: cannot open: %s", cfg->cs->running,
			 msg[0] ? msg : strerror(-r));
		free(in);
		return r;
	}
	*out = in;
	return 0;
}

static void instance_close(struct custom_instance *in)
{
	if (!in)
		return;
	call_close(in->cfg->cs, in->state);
	free(in->keep);
	free(in);
}

/* The batch as a stage sees it: one span per record, and the value rows
 * when the stage reads or adds fields; the fields it adds start missing. */
static int batch_view(struct custom_instance *in, struct rf_stage *st, struct rf_batch *b, struct rf_stage_batch *v)
{
	const struct custom_config *cfg = in->cfg;
	int r;
	if (cfg->nadd)
		r = rf__batch_field_rows(st, b, cfg->sc);
	else
		r = rf__batch_expand(b, in->k);
	if (r < 0)
		return r;
	uint32_t n = b->nsel;
	for (int f = 0; f < cfg->nadd; f++) {
		int slot = cfg->add_slot[f], idx = cfg->sc->tv_idx[slot];
		for (uint32_t i = 0; i < n; i++) {
			b->vals[(size_t)i * b->nslots + (size_t)slot] = RF_MISSING;
			b->tv[(size_t)i * b->ntv + (size_t)idx] = rf_tv_null();
		}
	}
	if (n > in->keep_cap) {
		uint8_t *kp = realloc(in->keep, n);
		if (!kp)
			return -ENOMEM;
		in->keep = kp;
		in->keep_cap = n;
	}
	memset(in->keep, 1, n);
	*v = (struct rf_stage_batch){ .b = b, .cfg = cfg, .keep = in->keep, .has_rows = b->has_vals };
	return 0;
}

static int call_process(struct custom_instance *in, struct rf_stage_batch *v)
{
	running = in->cfg->cs->running;
	int r = in->cfg->cs->def.process(in->state, v);
	running = NULL;
	return r < 0 ? r : 0;
}

/* ---- the verb: parsing and binding a use of the stage ---- */

static void free_config(void *config)
{
	struct custom_config *cfg = config;
	if (!cfg)
		return;
	for (int i = 0; i < cfg->argc; i++)
		free(cfg->argv[i]);
	free(cfg->argv);
	free(cfg->argcol);
	for (int i = 0; i < cfg->nread; i++)
		rf__fieldref_free(&cfg->read[i]);
	for (int i = 0; i < cfg->nadd; i++)
		free(cfg->add[i]);
	for (int i = 0; i < cfg->ncol; i++)
		free(cfg->col[i]);
	free(cfg);
}

static const struct rf_agg_custom custom_agg;

/* Every argument goes to the stage as text: words, strings, numbers,
 * operators and punctuation alike. */
static int configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	const struct custom_stage *cs = (const struct custom_stage *)spec->verb;
	struct custom_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return -ENOMEM;
	spec->config = cfg;
	cfg->cs = cs;
	cfg->column = spec->column;
	cfg->end_column = spec->end_column;
	if (cs->def.aggregate)
		cfg->agg.custom = &custom_agg;
	int n = c->nargs - c->i;
	if (!(cfg->argv = calloc((size_t)n + 1, sizeof *cfg->argv)) ||
	    !(cfg->argcol = calloc((size_t)n + 1, sizeof *cfg->argcol)))
		return -ENOMEM;
	for (; c->i < c->nargs; c->i++) {
		cfg->argcol[cfg->argc] = c->args[c->i].column;
		if (!(cfg->argv[cfg->argc++] = strdup(c->args[c->i].text)))
			return -ENOMEM;
	}
	return 0;
}

/* open() once, now: it checks the arguments and declares the fields, which
 * bind as any verb's do.  That state is closed at once; each instance of
 * a run opens its own. */
static int bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	struct custom_config *cfg = spec->config;
	const struct custom_stage *cs = cfg->cs;
	struct rf_stage_setup setup = { .cfg = cfg, .sc = sc, .err = err };
	cfg->sc = sc;
	char msg[256];
	void *state;
	int r = call_open(cfg, &setup, &state, msg, sizeof msg);
	if (r >= 0)
		call_close(cs, state);
	if (setup.failed) /* a field the parse has not: err says so, with hints */
		return -EINVAL;
	if (r >= 0) {
		if (cs->def.aggregate && cfg->ncol == 0 && rf_stage_column(&setup, cs->def.name) < 0)
			return -ENOMEM;
		return 0;
	}
	if (cs->file)
		rf__fail(err, cfg->column, "%s (plugin %s): %s", cs->def.name, cs->file,
			 msg[0] ? msg : strerror(-r));
	else
		rf__fail(err, cfg->column, "%s: %s", cs->def.name, msg[0] ? msg : strerror(-r));
	if (cs->def.usage)
		snprintf(err->hint, sizeof err->hint, "usage: %s", cs->def.usage);
	return r == -ENOMEM ? r : -EINVAL;
}

int rf__custom_before_parse(const struct rf_stage_spec *spec, const struct rf_stage_spec *parse,
			    struct rf_query_error *err)
{
	const struct custom_config *cfg = spec->config;
	if (spec->verb->bind != bind || !cfg->nadd)
		return 0;
	/* the parse fills every field slot of a record: what the stage made
	 * would be gone before anything read it */
	rf__fail(err, spec->column, "%s before the parse stage: it makes fields, which the parse would wipe",
		 cfg->cs->def.name);
	snprintf(err->hint, sizeof err->hint, "put it after: %s ... | %s ...", parse->verb->name, cfg->cs->def.name);
	return -EINVAL;
}

/* ---- the verb: a row stage in a run ---- */

static int row_open(struct rf_stage *st, const void *config)
{
	struct custom_instance *in;
	int r = instance_open(config, st->k, &in);
	if (r < 0)
		return r;
	st->state = in;
	return 0;
}

static int row_process(struct rf_stage *st, struct rf_batch *b)
{
	struct custom_instance *in = st->state;
	struct rf_stage_batch v;
	int r = batch_view(in, st, b, &v);
	if (r < 0)
		return r;
	if ((r = call_process(in, &v)) < 0)
		return r;
	if (v.dropped)
		rf__batch_filter(b, in->keep);
	return 0;
}

static void row_close(struct rf_stage *st)
{
	instance_close(st->state);
	st->state = NULL;
}

/* ---- an aggregate: the verb, and its state under the aggregate code ---- */

static int agg_open(struct rf_stage *st, const void *config)
{
	st->state = rf__agg_new(config, st->k);
	if (!st->state)
		return -ENOMEM;
	rf__agg_set_stage(st->state, st);
	return 0;
}

static int agg_process(struct rf_stage *st, struct rf_batch *b)
{
	return rf__agg_process(st->state, b);
}

static int agg_finish(struct rf_stage *st, struct rf_table **out)
{
	return rf__agg_table(st->state, out);
}

static void agg_close(struct rf_stage *st)
{
	rf__agg_free(st->state);
	st->state = NULL;
}

static int custom_open(const struct rf_agg_config *agg, const struct rf_kernels *k, void **state)
{
	return instance_open((const struct custom_config *)agg, k, (struct custom_instance **)state);
}

static void custom_close(void *state)
{
	instance_close(state);
}

static int custom_process(void *state, struct rf_batch *b)
{
	struct custom_instance *in = state;
	struct rf_stage_batch v;
	int r = batch_view(in, NULL, b, &v);
	return r < 0 ? r : call_process(in, &v);
}

static int custom_merge(void *dst, void *src)
{
	struct custom_instance *d = dst, *s = src;
	running = d->cfg->cs->running;
	int r = d->cfg->cs->def.merge(d->state, s->state);
	running = NULL;
	return r < 0 ? r : 0;
}

/* A state between processes: "rfstage1", the verb's length and name (the
 * bytes of one stage are never read as another's), the stage's length and
 * bytes. */
#define WIRE_MAGIC "rfstage1"

static int custom_encode(void *state, char **out, size_t *out_len)
{
	struct custom_instance *in = state;
	const struct custom_stage *cs = in->cfg->cs;
	uint32_t nlen = (uint32_t)strlen(cs->def.name);
	size_t head = 8 + 4 + nlen + 8;
	running = cs->running;
	long n = cs->def.serialize(in->state, NULL, 0);
	running = NULL;
	if (n < 0)
		return (int)n;
	char *buf = malloc(head + (size_t)n + 1);
	if (!buf)
		return -ENOMEM;
	running = cs->running;
	long m = cs->def.serialize(in->state, buf + head, (size_t)n + 1);
	running = NULL;
	if (m != n) {
		free(buf);
		return m < 0 ? (int)m : -EPROTO; /* its size changed between the calls */
	}
	uint64_t plen = (uint64_t)n;
	memcpy(buf, WIRE_MAGIC, 8);
	memcpy(buf + 8, &nlen, 4);
	memcpy(buf + 12, cs->def.name, nlen);
	memcpy(buf + 12 + nlen, &plen, 8);
	*out = buf;
	*out_len = head + (size_t)n;
	return 0;
}

static int custom_decode_merge(void *state, const char *p, size_t n)
{
	struct custom_instance *in = state;
	const struct custom_stage *cs = in->cfg->cs;
	uint32_t nlen;
	uint64_t plen;
	if (n < 12 || memcmp(p, WIRE_MAGIC, 8) != 0)
		return -EBADMSG;
	memcpy(&nlen, p + 8, 4);
	if (nlen != strlen(cs->def.name) || n < 20 + (size_t)nlen || memcmp(p + 12, cs->def.name, nlen) != 0)
		return -EBADMSG;
	memcpy(&plen, p + 12 + nlen, 8);
	if (plen != n - 20 - nlen)
		return -EBADMSG;
	running = cs->running;
	int r = cs->def.deserialize(in->state, p + 20 + nlen, (size_t)plen);
	running = NULL;
	return r < 0 ? r : 0;
}

static int custom_result(void *state, struct rf_table **out)
{
	struct custom_instance *in = state;
	const struct custom_config *cfg = in->cfg;
	struct rf_table *t = rf__table_new(cfg->ncol, 0, (const char *const *)cfg->col);
	if (!t)
		return -ENOMEM;
	struct rf_stage_result res = { .t = t };
	int r = rf_stage_result_row(&res);
	if (r == 0) {
		running = cfg->cs->running;
		r = cfg->cs->def.finish(in->state, &res);
		running = NULL;
	}
	if (r < 0) {
		rf__table_free(t);
		return r;
	}
	*out = t;
	return 0;
}

static int custom_columns(const struct rf_agg_config *agg, struct rf_colset *cols)
{
	const struct custom_config *cfg = (const struct custom_config *)agg;
	cols->n = 0;
	cols->nkeys = 0;
	for (int i = 0; i < cfg->ncol; i++)
		if (!(cols->name[cols->n++] = strdup(cfg->col[i])))
			return -ENOMEM;
	return 0;
}

static const struct rf_agg_custom custom_agg = {
	.open = custom_open,
	.close = custom_close,
	.process = custom_process,
	.merge = custom_merge,
	.encode = custom_encode,
	.decode_merge = custom_decode_merge,
	.result = custom_result,
	.columns = custom_columns,
};

/* ---- the registry ---- */

const struct rf_verb *rf__custom_verb(const char *name)
{
	const struct rf_verb *v = NULL;
	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < nregistered && !v; i++)
		if (strcmp(registry[i]->def.name, name) == 0)
			v = &registry[i]->verb;
	pthread_mutex_unlock(&registry_lock);
	return v;
}

static int valid_name(const char *s)
{
	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* "(plugin FILE)" or "", after a stage's name in a message */
static const char *from(const char *file, char *buf, size_t size)
{
	if (!file)
		return "";
	snprintf(buf, size, " (plugin %s)", file);
	return buf;
}

/* The definition as this library knows it: a smaller one (an older stage)
 * has zeros in the fields it lacks; a larger one must have zeros in the
 * fields this library lacks, as the kernel checks a struct with a size. */
static int copy_def(struct rf_stage_def *dst, const struct rf_stage_def *def, const char *file, char *err,
		    size_t errlen)
{
	char fb[300];
	size_t need = offsetof(struct rf_stage_def, finish);
	if (def->size < need) {
		set_err(err, errlen, "a stage definition%s of %zu bytes: too small to be one", from(file, fb, sizeof fb),
			def->size);
		return -EINVAL;
	}
	for (size_t i = sizeof *dst; i < def->size; i++)
		if (((const unsigned char *)def)[i]) {
			set_err(err, errlen, "stage '%s'%s: its definition has fields this ringflow does not know",
				def->name ? def->name : "?", from(file, fb, sizeof fb));
			return -E2BIG;
		}
	memset(dst, 0, sizeof *dst);
	memcpy(dst, def, def->size < sizeof *dst ? def->size : sizeof *dst);
	return 0;
}

static void free_stage(struct custom_stage *cs)
{
	if (cs)
		free(cs->file);
	free(cs);
}

/* A registry entry made of a definition: checked, not yet registered. */
static int make_stage(const struct rf_stage_def *def, const char *file, struct custom_stage **out, char *err,
		      size_t errlen)
{
	char fb[300];
	if (!def) {
		set_err(err, errlen, "no stage definition%s", from(file, fb, sizeof fb));
		return -EINVAL;
	}
	struct rf_stage_def d;
	int r = copy_def(&d, def, file, err, errlen);
	if (r < 0)
		return r;
	if (d.abi_version != RF_STAGE_ABI_VERSION) {
		set_err(err, errlen, "stage '%s'%s was built for stage ABI version %d; this ringflow has version %d",
			valid_name(d.name) ? d.name : "?", from(file, fb, sizeof fb), d.abi_version,
			RF_STAGE_ABI_VERSION);
		return -EPROTO;
	}
	if (!valid_name(d.name)) {
		set_err(err, errlen, "a stage%s without a valid verb name (letters, digits and '_')",
			from(file, fb, sizeof fb));
		return -EINVAL;
	}
	const char *missing = !d.open ? "open" : !d.process ? "process" : NULL;
	if (d.aggregate && !missing)
		missing = !d.finish ? "finish" : !d.merge ? "merge" : !d.serialize ? "serialize"
			: !d.deserialize ? "deserialize" : NULL;
	if (missing) {
		set_err(err, errlen, "stage '%s'%s has no %s callback%s", d.name, from(file, fb, sizeof fb), missing,
			d.aggregate ? " (an aggregate needs open, process, finish, merge, serialize, deserialize)" : "");
		return -EINVAL;
	}
	for (int i = 0; rf__verbs[i]; i++)
		if (strcmp(rf__verbs[i]->name, d.name) == 0) {
			set_err(err, errlen, "stage '%s'%s: a built-in verb has that name", d.name,
				from(file, fb, sizeof fb));
			return -EEXIST;
		}
	struct custom_stage *cs = calloc(1, sizeof *cs);
	if (!cs || (file && !(cs->file = strdup(file)))) {
		free(cs);
		return -ENOMEM;
	}
	cs->def = d;
	cs->verb = (struct rf_verb){
		.name = d.name,
		.kind = d.aggregate ? RF_STAGE_AGGREGATE : RF_STAGE_FILTER,
		.usage = d.usage,
		.configure = configure,
		.bind = bind,
		.free_config = free_config,
		.open = d.aggregate ? agg_open : row_open,
		.process = d.aggregate ? agg_process : row_process,
		.finish = d.aggregate ? agg_finish : NULL,
		.close = d.aggregate ? agg_close : row_close,
	};
	snprintf(cs->running, sizeof cs->running, "%s%s%s", d.name, file ? " from " : "", file ? file : "");
	*out = cs;
	return 0;
}

/* Register the n entries, all or none: one whose name is taken, by a
 * registered stage or by another of the n, registers none. */
static int insert_stages(struct custom_stage *const *cs, int n, char *err, size_t errlen)
{
	char fb[300], hb[300];
	int r = 0;
	pthread_mutex_lock(&registry_lock);
	for (int k = 0; k < n && r == 0; k++) {
		const char *name = cs[k]->def.name;
		for (int j = 0; j < k && r == 0; j++)
			if (strcmp(cs[j]->def.name, name) == 0) {
				set_err(err, errlen, "stage '%s'%s: defined twice", name, from(cs[k]->file, fb, sizeof fb));
				r = -EEXIST;
			}
		for (int i = 0; i < nregistered && r == 0; i++)
			if (strcmp(registry[i]->def.name, name) == 0) {
				if (registry[i]->file)
					snprintf(hb, sizeof hb, "plugin %s", registry[i]->file);
				else
					snprintf(hb, sizeof hb, "a stage the program registered");
				set_err(err, errlen, "stage '%s'%s: the name is taken by %s", name,
					from(cs[k]->file, fb, sizeof fb), hb);
				r = -EEXIST;
			}
	}
	if (r == 0 && n > MAX_CUSTOM - nregistered) {
		const struct custom_stage *over = cs[MAX_CUSTOM - nregistered];
		set_err(err, errlen, "stage '%s'%s: too many stages (at most %d)", over->def.name,
			from(over->file, fb, sizeof fb), MAX_CUSTOM);
		r = -ENOSPC;
	}
	for (int k = 0; k < n && r == 0; k++)
		registry[nregistered++] = cs[k];
	pthread_mutex_unlock(&registry_lock);
	return r;
}

int rf_register_stage(const struct rf_stage_def *def, char *err, size_t errlen)
{
	struct custom_stage *cs;
	int r = make_stage(def, NULL, &cs, err, errlen);
	if (r < 0)
		return r;
	if ((r = insert_stages(&cs, 1, err, errlen)) < 0)
		free_stage(cs);
	return r;
}

/* ---- plugins ---- */

/* The files loaded, by identity (a link or another spelling of the path
 * is the same plugin), under plugin_lock, which one load holds throughout:
 * loading one again is nothing to do. */
struct loaded_file {
	dev_t dev;
	ino_t ino;
};
static pthread_mutex_t plugin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded_file *loaded;
static size_t nloaded, loaded_cap;

/* The plugin file, looked at before dlopen: dlopen's own message for a
 * file that is not a shared object is long and repeats the path, so say
 * what is wrong.  Its identity goes to *st.  O_NONBLOCK: a FIFO must not
 * hang the open. */
static int check_file(const char *path, struct stat *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		set_err(err, errlen, "plugin %s: %s", path, strerror(e));
		return -e;
	}
	char m[4];
	ssize_t n = S_ISREG(st->st_mode) ? read(fd, m, 4) : 0;
	close(fd);
	if (n != 4 || memcmp(m, "\177ELF", 4) != 0) {
		set_err(err, errlen, "plugin %s: not a shared object (%s)", path,
			S_ISREG(st->st_mode) ? "no ELF header" : "not a regular file");
		return -ENOEXEC;
	}
	return 0;
}

/* dlerror()'s text without the path it starts with, which the message
 * names already */
static const char *dl_why(const char *opened)
{
	const char *why = dlerror();
	size_t n = strlen(opened);
	if (!why)
		return "dlopen failed";
	if (strncmp(why, opened, n) == 0 && strncmp(why + n, ": ", 2) == 0)
		return why + n + 2;
	return why;
}

/* Register every stage of the plugin, or none (a stage that cannot be
 * registered leaves no other behind, holding a name). */
static int register_plugin(const struct rf_plugin *pl, const char *path, char *err, size_t errlen)
{
	int n = 0;
	while (pl->stages[n])
		n++;
	struct custom_stage **cs = calloc((size_t)n, sizeof *cs);
	if (!cs)
		return -ENOMEM;
	int r = 0, made = 0;
	for (; made < n && r == 0; made++)
		r = make_stage(pl->stages[made], path, &cs[made], err, errlen);
	if (r == 0)
		r = insert_stages(cs, n, err, errlen);
	if (r < 0) {
		for (int i = 0; i < made; i++)
			free_stage(cs[i]);
		if (err && errlen && err[0] && n > 1) {
			size_t len = strlen(err);
			snprintf(err + len, errlen - len, "; none of its stages registered");
		}
	}
	free(cs);
	return r;
}

static int load_plugin(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int r = check_file(path, &st, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nloaded; i++)
		if (loaded[i].dev == st.st_dev && loaded[i].ino == st.st_ino)
			return 0; /* its stages are registered */
	if (nloaded == loaded_cap) {
		size_t cap = loaded_cap ? 2 * loaded_cap : 8;
		struct loaded_file *more = realloc(loaded, cap * sizeof *more);
		if (!more)
			return -ENOMEM;
		loaded = more;
		loaded_cap = cap;
	}
	/* A name without a '/' would send dlopen along the library search
	 * path; --plugin FILE.so means the file here, as a shell's FILE does. */
	char here[4096];
	const char *opened = path;
	if (!strchr(path, '/')) {
		if (snprintf(here, sizeof here, "./%s", path) >= (int)sizeof here) {
			set_err(err, errlen, "plugin %s: %s", path, strerror(ENAMETOOLONG));
			return -ENAMETOOLONG;
		}
		opened = here;
	}
	/* RTLD_NOW: a symbol the plugin needs and we lack is an error here,
	 * not a crash in the middle of a run */
	void *h = dlopen(opened, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		set_err(err, errlen, "plugin %s: cannot load: %s", path, dl_why(opened));
		return -ENOEXEC;
	}
	dlerror();
	const struct rf_plugin *(*init)(void);
	*(void **)&init = dlsym(h, RF_PLUGIN_ENTRY);
	if (!init) {
		set_err(err, errlen, "plugin %s: no %s function: not a ringflow plugin", path, RF_PLUGIN_ENTRY);
		dlclose(h);
		return -ENOENT;
	}
	running = path;
	const struct rf_plugin *pl = init();
	running = NULL;
	if (!pl || pl->size < offsetof(struct rf_plugin, stages) + sizeof pl->stages) {
		set_err(err, errlen, "plugin %s: %s returned %s", path, RF_PLUGIN_ENTRY,
			pl ? "a description too small to be one" : "nothing");
		r = -EINVAL;
	} else if (pl->abi_version != RF_STAGE_ABI_VERSION) {
		set_err(err, errlen, "plugin %s was built for stage ABI version %d; this ringflow has version %d "
			"(rebuild it against this ringflow.h)", path, pl->abi_version, RF_STAGE_ABI_VERSION);
		r = -EPROTO;
	} else if (!pl->stages || !pl->stages[0]) {
		set_err(err, errlen, "plugin %s has no stages", path);
		r = -EINVAL;
	} else {
		r = register_plugin(pl, path, err, errlen);
	}
	/* a plugin registered stays, with its code, until the process ends;
	 * one refused has nothing registered that could call into it */
	if (r < 0) {
		dlclose(h);
		return r;
	}
	loaded[nloaded++] = (struct loaded_file){ st.st_dev, st.st_ino };
	return 0;
}

/* Set while this thread loads a plugin: a plugin whose constructor or
 * rf_plugin_init loads another would wait for plugin_lock, held by its
 * own load, for ever. */
static _Thread_local int loading;

int rf_plugin_load(const char *path, char *err, size_t errlen)
{
	if (!path || !path[0]) {
		set_err(err, errlen, "plugin: no file named");
		return -EINVAL;
	}
	if (loading) {
		set_err(err, errlen, "plugin %s: loaded from inside another plugin's loading (its constructor or "
				     "rf_plugin_init); load both from the program", path);
		return -EDEADLK;
	}
	pthread_mutex_lock(&plugin_lock);
	loading = 1;
	int r = load_plugin(path, err, errlen);
	loading = 0;
	pthread_mutex_unlock(&plugin_lock);
	return r;
}

static int so_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 3 && strcmp(d->d_name + n - 3, ".so") == 0;
}

int rf_plugin_load_dir(const char *dir, char *err, size_t errlen)
{
	struct dirent **names;
	int n = scandir(dir, &names, so_name, alphasort);
	if (n < 0) {
		int e = errno;
		set_err(err, errlen, "plugin directory %s: %s", dir, strerror(e));
		return -e;
	}
	int r = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		if (r == 0 && snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) >= (int)sizeof path) {
			set_err(err, errlen, "plugin directory %s: a name too long", dir);
			r = -ENAMETOOLONG;
		} else if (r == 0) {
			r = rf_plugin_load(path, err, errlen);
		}
		free(names[i]);
	}
	free(names);
	return r;
}
