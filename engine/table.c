/* table.c - result tables and output formats. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "table.h"

struct rf_table_chunk {
	struct rf_table_chunk *next;
	size_t cap, len;
	char data[];
};

struct rf_table *rf__table_new(int ncols, int nkeys, const char *const *names)
{
	if (ncols < 1 || ncols > RF_TABLE_MAX_COLS)
		return NULL;
	struct rf_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ncols = ncols;
	t->nkeys = nkeys;
	for (int i = 0; i < ncols; i++)
		if (!(t->col[i] = strdup(names[i]))) {
			rf__table_free(t);
			return NULL;
		}
	return t;
}

void rf__table_free(struct rf_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ncols; i++)
		free(t->col[i]);
	free(t->cells);
	while (t->strings) {
		struct rf_table_chunk *n = t->strings->next;
		free(t->strings);
		t->strings = n;
	}
	free(t);
}

struct rf_cell *rf__table_add_row(struct rf_table *t)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct rf_cell *c = realloc(t->cells, cap * (size_t)t->ncols * sizeof *c);
		if (!c)
			return NULL;
		t->cells = c;
		t->cap = cap;
	}
	struct rf_cell *row = &t->cells[t->nrows++ * (size_t)t->ncols];
	memset(row, 0, (size_t)t->ncols * sizeof *row);
	return row;
}

const char *rf__table_strdup(struct rf_table *t, const char *p, size_t n)
{
	struct rf_table_chunk *c = t->strings;
	if (!c || c->cap - c->len < n) {
		size_t cap = (size_t)1 << 20;
		while (cap < n)
			cap *= 2;
		c = malloc(sizeof *c + cap);
		if (!c)
			return NULL;
		c->next = t->strings;
		c->cap = cap;
		c->len = 0;
		t->strings = c;
	}
	char *d = c->data + c->len;
	memcpy(d, p, n);
	c->len += n;
	return d;
}

int rf__table_col(const struct rf_table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->col[i], name) == 0)
			return i;
	return -1;
}

static int cell_number(const struct rf_cell *c, struct rf_number *n)
{
	switch (c->type) {
	case RF_CELL_INT:
	case RF_CELL_TIME:
		n->is_int = 1;
		n->i = c->u.i;
		n->d = (double)c->u.i;
		return 0;
	case RF_CELL_DBL:
		n->is_int = 0;
		n->d = c->u.d;
		return 0;
	case RF_CELL_STR:
	case RF_CELL_BIGINT:
		return rf__parse_number(c->u.str.s, c->u.str.len, n);
	default:
		return -1;
	}
}

static int num_cmp(const struct rf_number *a, const struct rf_number *b)
{
	if (a->is_int && b->is_int)
		return (a->i > b->i) - (a->i < b->i);
	return (a->d > b->d) - (a->d < b->d);
}

/* Exact order of integers when one is a BIGINT (always outside int64):
 * by sign, then by the number of digits, then digit by digit. */
static int bigint_cmp(const struct rf_cell *a, const struct rf_cell *b)
{
	int sa = a->type == RF_CELL_INT ? 0 : a->u.str.s[0] == '-' ? -1 : 1;
	int sb = b->type == RF_CELL_INT ? 0 : b->u.str.s[0] == '-' ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0; /* not reached: one of them is a BIGINT */
	int c = (a->u.str.len > b->u.str.len) - (a->u.str.len < b->u.str.len);
	if (!c)
		c = memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	c = (c > 0) - (c < 0);
	return sa < 0 ? -c : c;
}

int rf__cell_cmp(const struct rf_cell *a, const struct rf_cell *b)
{
	if (a->type == RF_CELL_NULL || b->type == RF_CELL_NULL)
		return (a->type != RF_CELL_NULL) - (b->type != RF_CELL_NULL);
	if ((a->type == RF_CELL_BIGINT || b->type == RF_CELL_BIGINT) &&
	    (a->type == RF_CELL_INT || a->type == RF_CELL_BIGINT) && (b->type == RF_CELL_INT || b->type == RF_CELL_BIGINT))
		return bigint_cmp(a, b);
	struct rf_number na, nb;
	int an = cell_number(a, &na) == 0, bn = cell_number(b, &nb) == 0;
	if (an && bn) {
		int c = num_cmp(&na, &nb);
		if (c || (a->type != RF_CELL_STR || b->type != RF_CELL_STR))
			return c;
	} else if (an != bn && (a->type != RF_CELL_STR || b->type != RF_CELL_STR)) {
		return bn - an; /* numbers before strings */
	}
	if (a->type == RF_CELL_STR && b->type == RF_CELL_STR) {
		size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
		int c = memcmp(a->u.str.s, b->u.str.s, n);
		if (c)
			return c < 0 ? -1 : 1;
		return (a->u.str.len > b->u.str.len) - (a->u.str.len < b->u.str.len);
	}
	return 0;
}

/* qsort has no context argument: the sort keys travel in a static, which is
 * fine because a table is sorted by one thread at a time. */
static __thread const struct rf_table *sort_table;
static __thread const int *sort_cols, *sort_desc;
static __thread int sort_n;

static int row_cmp(const void *pa, const void *pb)
{
	size_t ra = *(const size_t *)pa, rb = *(const size_t *)pb;
	const struct rf_table *t = sort_table;
	const struct rf_cell *a = &t->cells[ra * (size_t)t->ncols], *b = &t->cells[rb * (size_t)t->ncols];
	for (int i = 0; i < sort_n; i++) {
		int c = rf__cell_cmp(&a[sort_cols[i]], &b[sort_cols[i]]);
		if (c)
			return sort_desc[i] ? -c : c;
	}
	for (int k = 0; k < t->nkeys; k++) {
		int c = rf__cell_cmp(&a[k], &b[k]);
		if (c)
			return c;
	}
	return (ra > rb) - (ra < rb); /* stable */
}

int rf__table_sort(struct rf_table *t, const int *cols, const int *desc, int n)
{
	if (t->nrows < 2)
		return 0;
	size_t *order = malloc(t->nrows * sizeof *order);
	struct rf_cell *tmp = malloc((size_t)t->ncols * sizeof *tmp);
	if (!order || !tmp) {
		free(order);
		free(tmp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->nrows; i++)
		order[i] = i;
	sort_table = t;
	sort_cols = cols;
	sort_desc = desc;
	sort_n = n;
	qsort(order, t->nrows, sizeof *order, row_cmp);
	/* Permute the rows in place, cycle by cycle (row i takes row order[i]),
	 * so a million-row result needs no second copy of its cells. */
	size_t w = (size_t)t->ncols, bytes = w * sizeof *tmp;
	for (size_t i = 0; i < t->nrows; i++) {
		if (order[i] == i || order[i] == SIZE_MAX)
			continue;
		memcpy(tmp, &t->cells[i * w], bytes);
		size_t j = i;
		while (order[j] != i) {
			size_t k = order[j];
			memcpy(&t->cells[j * w], &t->cells[k * w], bytes);
			order[j] = SIZE_MAX;
			j = k;
		}
		memcpy(&t->cells[j * w], tmp, bytes);
		order[j] = SIZE_MAX;
	}
	free(order);
	free(tmp);
	return 0;
}

void rf__table_truncate(struct rf_table *t, size_t n)
{
	if (n < t->nrows)
		t->nrows = n;
}

int rf__table_project(struct rf_table *t, const int *cols, int n)
{
	struct rf_cell *out = malloc((t->nrows ? t->nrows : 1) * (size_t)n * sizeof *out);
	char *names[RF_TABLE_MAX_COLS];
	if (!out)
		return -ENOMEM;
	for (size_t r = 0; r < t->nrows; r++)
		for (int c = 0; c < n; c++)
			out[r * (size_t)n + (size_t)c] = t->cells[r * (size_t)t->ncols + (size_t)cols[c]];
	for (int c = 0; c < n; c++)
		names[c] = strdup(t->col[cols[c]]);
	for (int c = 0; c < t->ncols; c++)
		free(t->col[c]);
	for (int c = 0; c < n; c++)
		t->col[c] = names[c];
	free(t->cells);
	t->cells = out;
	t->cap = t->nrows;
	t->ncols = n;
	t->nkeys = 0;
	return 0;
}

/* ---- output ---- */

/* The text of a cell (numbers in their stable form); *len set. */
static const char *cell_text(const struct rf_cell *c, char *buf, size_t cap, size_t *len)
{
	struct rf_number n;
	switch (c->type) {
	case RF_CELL_STR:
	case RF_CELL_BIGINT:
		*len = c->u.str.len;
		return c->u.str.s;
	case RF_CELL_INT:
		n.is_int = 1;
		n.i = c->u.i;
		*len = (size_t)rf__format_number(&n, buf, cap);
		return buf;
	case RF_CELL_DBL:
		*len = (size_t)rf__format_double(c->u.d, buf, cap);
		return buf;
	case RF_CELL_TIME:
		*len = (size_t)rf__format_time(c->u.i, buf);
		return buf;
	default:
		*len = 0;
		return "";
	}
}

static int put(struct rf_writer *w, const char *p, size_t n)
{
	return rf__writer_put(w, p, n);
}

static int put_escaped_tsv(struct rf_writer *w, const char *p, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *e = p[i] == '\t' ? "\\t" : p[i] == '\n' ? "\\n" : p[i] == '\r' ? "\\r" : p[i] == '\\' ? "\\\\" : NULL;
		if (!e)
			continue;
		if (put(w, p + start, i - start) < 0 || put(w, e, 2) < 0)
			return w->err;
		start = i + 1;
	}
	return put(w, p + start, n - start);
}

static int put_csv(struct rf_writer *w, const char *p, size_t n)
{
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r';
	if (!quote)
		return put(w, p, n);
	put(w, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '"') {
			put(w, p + start, i + 1 - start);
			put(w, "\"", 1);
			start = i + 1;
		}
	put(w, p + start, n - start);
	return put(w, "\"", 1);
}

static int put_json_string(struct rf_writer *w, const char *p, size_t n)
{
	put(w, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, p + start, i - start);
		char esc[8];
		int len;
		switch (c) {
		case '"': len = snprintf(esc, sizeof esc, "\\\""); break;
		case '\\': len = snprintf(esc, sizeof esc, "\\\\"); break;
		case '\n': len = snprintf(esc, sizeof esc, "\\n"); break;
		case '\r': len = snprintf(esc, sizeof esc, "\\r"); break;
		case '\t': len = snprintf(esc, sizeof esc, "\\t"); break;
		default: len = snprintf(esc, sizeof esc, "\\u%04x", c); break;
		}
		put(w, esc, (size_t)len);
		start = i + 1;
	}
	put(w, p + start, n - start);
	return put(w, "\"", 1);
}

static int is_numeric(const struct rf_cell *c)
{
	return c->type == RF_CELL_INT || c->type == RF_CELL_DBL || c->type == RF_CELL_BIGINT;
}

static void widen(struct rf_table_out *o, const struct rf_table *t, size_t r)
{
	char buf[64];
	size_t len;
	for (int c = 0; c < t->ncols; c++) {
		const struct rf_cell *cell = &t->cells[r * (size_t)t->ncols + (size_t)c];
		cell_text(cell, buf, sizeof buf, &len);
		if (cell->type == RF_CELL_NULL)
			len = 1;
		if (len > o->width[c])
			o->width[c] = len > 200 ? 200 : len;
	}
}

static int write_table_format(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w)
{
	char buf[64];
	size_t len;
	for (int c = 0; c < t->ncols; c++) {
		size_t hl = strlen(t->col[c]);
		if (hl > o->width[c])
			o->width[c] = hl;
	}
	/* A whole result is aligned on all its rows.  Streamed rows (select)
	 * widen the columns row by row, so the layout depends only on the rows
	 * themselves, never on where batches happened to end. */
	if (!o->streaming)
		for (size_t r = 0; r < t->nrows; r++)
			widen(o, t, r);
	static const char spaces[256] = { [0 ... 255] = ' ' };
	if (!o->header_done) {
		for (int c = 0; c < t->ncols; c++) {
			size_t hl = strlen(t->col[c]);
			put(w, t->col[c], hl);
			if (c + 1 < t->ncols)
				put(w, spaces, o->width[c] - hl + 2);
		}
		put(w, "\n", 1);
		o->header_done = 1;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		if (o->streaming)
			widen(o, t, r);
		for (int c = 0; c < t->ncols; c++) {
			const struct rf_cell *cell = &t->cells[r * (size_t)t->ncols + (size_t)c];
			const char *s = cell->type == RF_CELL_NULL ? "-" : cell_text(cell, buf, sizeof buf, &len);
			if (cell->type == RF_CELL_NULL)
				len = 1;
			size_t pad = len < o->width[c] ? o->width[c] - len : 0;
			if (is_numeric(cell)) { /* numbers right-aligned */
				put(w, spaces, pad);
				put(w, s, len);
			} else {
				put(w, s, len);
				if (c + 1 < t->ncols)
					put(w, spaces, pad);
			}
			if (c + 1 < t->ncols)
				put(w, spaces, 2);
		}
		if (put(w, "\n", 1) < 0)
			return w->err;
	}
	return w->err;
}

int rf__table_write(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w, int bare)
{
	char buf[64];
	size_t len;
	if (o->format == RF_FORMAT_TABLE) {
		if (bare && t->ncols == 1 && t->nrows == 1) {
			const char *s = cell_text(&t->cells[0], buf, sizeof buf, &len);
			put(w, s, len);
			return put(w, "\n", 1);
		}
		return write_table_format(o, t, w);
	}
	if (o->format != RF_FORMAT_JSON && !o->header_done) {
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				put(w, o->format == RF_FORMAT_TSV ? "\t" : ",", 1);
			if (o->format == RF_FORMAT_TSV)
				put_escaped_tsv(w, t->col[c], strlen(t->col[c]));
			else
				put_csv(w, t->col[c], strlen(t->col[c]));
		}
		put(w, "\n", 1);
		o->header_done = 1;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		const struct rf_cell *row = &t->cells[r * (size_t)t->ncols];
		if (o->format == RF_FORMAT_JSON)
			put(w, "{", 1);
		for (int c = 0; c < t->ncols; c++) {
			const struct rf_cell *cell = &row[c];
			const char *s = cell_text(cell, buf, sizeof buf, &len);
			switch (o->format) {
			case RF_FORMAT_TSV:
				if (c)
					put(w, "\t", 1);
				put_escaped_tsv(w, s, len);
				break;
			case RF_FORMAT_CSV:
				if (c)
					put(w, ",", 1);
				put_csv(w, s, len);
				break;
			default:
				if (c)
					put(w, ",", 1);
				put_json_string(w, t->col[c], strlen(t->col[c]));
				put(w, ":", 1);
				if (cell->type == RF_CELL_NULL)
					put(w, "null", 4);
				else if (is_numeric(cell) && len && s[0] != 'n' && s[len - 1] != 'f')
					put(w, s, len); /* nan and inf are not JSON numbers */
				else
					put_json_string(w, s, len);
				break;
			}
		}
		if (o->format == RF_FORMAT_JSON)
			put(w, "}", 1);
		if (put(w, "\n", 1) < 0)
			return w->err;
	}
	return w->err;
}
