/* SPDX-License-Identifier: MIT */
/* result.c - results as data: the handle of rf_run_result and its typed
 * cells, the row callback, and the record sink.  The rows are the ones the
 * text formats print (report.c, output.c hand them here instead of to the
 * writer), so sorting and the order of rows are decided in one place. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"
#include "result.h"

/* ---- a handle's text: blocks that stay put, each string NUL-ended ---- */

struct result_strings {
	struct result_strings *next;
	size_t len, cap;
	char data[];
};

static const char *keep_text(struct rf_result *res, const char *p, size_t n)
{
	struct result_strings *b = res->strings;
	if (!b || b->cap - b->len < n + 1) {
		size_t cap = (size_t)64 << 10;
		while (cap < n + 1)
			cap *= 2;
		if (!(b = malloc(sizeof *b + cap)))
			return NULL;
		b->next = res->strings;
		b->len = 0;
		b->cap = cap;
		res->strings = b;
	}
	char *d = b->data + b->len;
	memcpy(d, p, n);
	d[n] = '\0';
	b->len += n + 1;
	return d;
}

static void drop_rows(struct rf_result *res)
{
	rf__table_free(res->own);
	res->own = NULL;
	res->t = NULL;
	while (res->strings) {
		struct result_strings *n = res->strings->next;
		free(res->strings);
		res->strings = n;
	}
}

struct rf_result *rf__result_new(int n, const char *const *names)
{
	struct rf_result *res = calloc(1, sizeof *res);
	if (!res)
		return NULL;
	res->final = 1;
	if (n > 0 && !(res->t = res->own = rf__table_new(n, 0, names))) {
		free(res);
		return NULL;
	}
	return res;
}

void rf_result_free(rf_result *r)
{
	if (!r)
		return;
	drop_rows(r);
	free(r->win);
	free(r);
}

int64_t rf__realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A snapshot's window: it ends now; with --interval the next one starts
 * here, else every snapshot counts from the run's start. */
static struct rf_window next_window(struct rf_consumers *c, size_t first)
{
	struct rf_window w = { c->since_ns, rf__realtime_ns(), first };
	if (c->own_windows)
		c->since_ns = w.end_ns;
	return w;
}

/* An array of n elements of `size` bytes at least: 0 or -ENOMEM. */
static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n <= *cap)
		return 0;
	size_t want = *cap ? *cap : 256;
	while (want < n)
		want *= 2;
	void *q = realloc(*p, want * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = want;
	return 0;
}

static int add_window(struct rf_result *res, struct rf_window w)
{
	int r = grow((void **)&res->win, &res->win_cap, res->nwin + 1, sizeof *res->win);
	if (r == 0)
		res->win[res->nwin++] = w;
	return r;
}

/* t's rows appended to the handle, their strings copied (t's point into
 * the aggregate's state or the input, both gone when the run ends). */
static int keep_rows(struct rf_result *res, const struct rf_table *t, int restart)
{
	if (restart || !res->own) {
		drop_rows(res);
		if (!(res->t = res->own = rf__table_new(t->ncols, t->nkeys, (const char *const *)t->col)))
			return -ENOMEM;
	}
	struct rf_table *own = res->own;
	if (own->ncols != t->ncols)
		return -EPROTO; /* the engine's own rows: never so */
	if (restart && rf__table_reserve(own, t->nrows) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++) {
		const struct rf_cell *from = &t->cells[i * (size_t)t->ncols];
		struct rf_cell *row = rf__table_add_row(own);
		if (!row)
			return -ENOMEM;
		memcpy(row, from, (size_t)t->ncols * sizeof *row);
		for (int c = 0; c < t->ncols; c++) {
			if (row[c].type != RF_CELL_STR && row[c].type != RF_CELL_BIGINT)
				continue;
			const char *s = keep_text(res, from[c].u.str.s, from[c].u.str.len);
			if (!s)
				return -ENOMEM;
			row[c].u.str.s = s;
		}
	}
	return 0;
}

/* A consumer's answer as the run's: 0 goes on, anything else stops it. */
static int answer(int r)
{
	return r > 0 ? -ECANCELED : r;
}

int rf__rows_deliver(struct rf_consumers *c, const struct rf_table *t, int restart, int final)
{
	int snapshot = c->windows && restart;
	struct rf_result *res = c->keep;
	if (res && snapshot && c->own_windows) {
		/* --interval: every window's rows are kept, one after another */
		int r = add_window(res, next_window(c, res->own ? res->own->nrows : 0));
		return r < 0 ? r : keep_rows(res, t, 0);
	}
	if (res) {
		if (snapshot) {
			res->nwin = 0;
			int r = add_window(res, next_window(c, 0));
			if (r < 0)
				return r;
		}
		return keep_rows(res, t, restart);
	}
	struct rf_window one = snapshot ? next_window(c, 0) : (struct rf_window){ 0 };
	struct rf_result view = { .t = t, .final = final, .win = snapshot ? &one : NULL, .nwin = snapshot };
	for (size_t i = 0; i < t->nrows; i++) {
		int r = answer(c->on_row(c->user, &view, i));
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- typed cells ---- */

static const struct rf_cell *cell(const rf_result *r, size_t row, int col)
{
	if (!r || !r->t || col < 0 || col >= r->t->ncols || row >= r->t->nrows)
		return NULL;
	return &r->t->cells[row * (size_t)r->t->ncols + (size_t)col];
}

size_t rf_result_rows(const rf_result *r)
{
	return r && r->t ? r->t->nrows : 0;
}

int rf_result_cols(const rf_result *r)
{
	return r && r->t ? r->t->ncols : 0;
}

const char *rf_result_col_name(const rf_result *r, int col)
{
	return r && r->t && col >= 0 && col < r->t->ncols ? r->t->col[col] : NULL;
}

enum rf_type rf_result_type(const rf_result *r, size_t row, int col)
{
	const struct rf_cell *c = cell(r, row, col);
	switch (c ? c->type : RF_CELL_NULL) {
	case RF_CELL_INT:
		return RF_TYPE_INT;
	case RF_CELL_DBL:
		return RF_TYPE_FLOAT;
	case RF_CELL_STR:
		return RF_TYPE_STRING;
	case RF_CELL_TIME:
		return RF_TYPE_TIME;
	case RF_CELL_BIGINT:
		return RF_TYPE_BIGINT;
	default:
		return RF_TYPE_NULL;
	}
}

int64_t rf_result_int(const rf_result *r, size_t row, int col)
{
	const struct rf_cell *c = cell(r, row, col);
	return c && (c->type == RF_CELL_INT || c->type == RF_CELL_TIME) ? c->u.i : 0;
}

double rf_result_float(const rf_result *r, size_t row, int col)
{
	const struct rf_cell *c = cell(r, row, col);
	if (!c)
		return 0.0;
	return c->type == RF_CELL_DBL ? c->u.d : c->type == RF_CELL_INT ? (double)c->u.i : 0.0;
}

const char *rf_result_string(const rf_result *r, size_t row, int col, size_t *len)
{
	const struct rf_cell *c = cell(r, row, col);
	int text = c && (c->type == RF_CELL_STR || c->type == RF_CELL_BIGINT);
	if (len)
		*len = text ? c->u.str.len : 0;
	return text ? c->u.str.s : NULL;
}

int64_t rf_result_time(const rf_result *r, size_t row, int col)
{
	const struct rf_cell *c = cell(r, row, col);
	return c && c->type == RF_CELL_TIME ? c->u.i : 0;
}

int rf_result_final(const rf_result *r)
{
	return r ? r->final : 0;
}

int rf_result_window(const rf_result *r, size_t row, int64_t *start_ns, int64_t *end_ns)
{
	if (!r || !r->nwin || row >= rf_result_rows(r))
		return -ENOENT;
	/* the last window that starts at or before the row (some are empty) */
	size_t lo = 0, hi = r->nwin;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->win[mid].first <= row)
			lo = mid;
		else
			hi = mid;
	}
	if (start_ns)
		*start_ns = r->win[lo].start_ns;
	if (end_ns)
		*end_ns = r->win[lo].end_ns;
	return 0;
}

size_t rf_result_windows(const rf_result *r)
{
	return r ? r->nwin : 0;
}

/* ---- the record sink ---- */

/* The newest field of the name: an eval or a stage that makes a field a
 * parser has too overrides it, as it does for the stages after it. */
int rf_records_field(const struct rf_records *batch, const char *name)
{
	for (int i = batch && name ? batch->nfields - 1 : -1; i >= 0; i--)
		if (strcmp(batch->field_name[i], name) == 0)
			return i;
	return -1;
}

static char *batch_alloc(void *user, size_t n)
{
	return rf__batch_alloc(user, n ? n : 1);
}

/* Field j of selected record i as text.  A field eval, a lookup or a
 * custom stage made is kept typed (its text is written only when a later
 * stage reads it as text), so the text is made here from the typed value,
 * as `select` would print it (times in UTC). */
static int field_text(const struct rf_schema *sc, struct rf_batch *b, size_t i, int j, struct rf_field_span *out)
{
	*out = (struct rf_field_span){ NULL, 0 };
	if (!b->has_vals || (uint32_t)j >= b->nslots)
		return 0;
	if (!sc->is_eval[j] || sc->text_needed[j] || sc->tv_idx[j] >= b->ntv) {
		struct rf_value v = b->vals[i * b->nslots + (size_t)j];
		if (!rf_value_missing(v))
			*out = (struct rf_field_span){ v.p, (size_t)v.len };
		return 0;
	}
	const struct rf_tv *t = &b->tv[i * b->ntv + sc->tv_idx[j]];
	struct rf_tv s = *t;
	struct rf_fn_env env = { batch_alloc, b, 0, NULL };
	if (t->type == RF_TV_NULL)
		return 0;
	if (t->type != RF_TV_STR && rf__tv_to_text(t, &env, &s) < 0)
		return -ENOMEM;
	*out = (struct rf_field_span){ s.u.s, s.len };
	return 0;
}

int rf__records_deliver(struct rf_consumers *c, struct rf_batch *b, const struct rf_kernels *k)
{
	int r;
	if (b->all && (r = rf__batch_expand(b, k)) < 0)
		return r;
	size_t n = b->nsel;
	int nf = c->schema ? c->schema->nslots : 0;
	if ((r = grow((void **)&c->rec, &c->rec_cap, n, sizeof *c->rec)) < 0 ||
	    (r = grow((void **)&c->fld, &c->fld_cap, n * (size_t)nf, sizeof *c->fld)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct rf_span s = b->sel[i];
		c->rec[i] = (struct rf_record){ b->data + s.off, s.len, b->input_no, b->offset + s.off };
		for (int j = 0; j < nf; j++)
			if ((r = field_text(c->schema, b, i, j, &c->fld[i * (size_t)nf + (size_t)j])) < 0)
				return r;
	}
	struct rf_records batch = { .size = sizeof batch, .count = n, .record = c->rec, .nfields = nf,
				    .field_name = (const char *const *)(c->schema ? c->schema->slot_name : NULL),
				    .field = c->fld };
	return answer(c->on_records(c->user, &batch));
}

void rf__consumers_free(struct rf_consumers *c)
{
	free(c->rec);
	free(c->fld);
	c->rec = NULL;
	c->fld = NULL;
}
