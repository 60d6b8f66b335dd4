/* SPDX-License-Identifier: MIT */
/* table.c - result tables and output formats. */
#include "config.h"
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
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

/* An integer against a double, exactly (a 64-bit integer need not fit in
 * a double: 2^53 + 1 and 2^53 + 1.0 differ).  For cells that hold a
 * double itself: a double parsed from text is rounded, and its text is
 * what counts. */
static int int_dbl_cmp(int64_t i, double d)
{
	if (d >= 0x1p63)
		return -1;
	if (d < -0x1p63)
		return 1;
	int64_t t = (int64_t)d; /* toward zero, exact in this range */
	if (i != t)
		return i < t ? -1 : 1;
	double frac = d - (double)t;
	return (frac < 0) - (frac > 0);
}

/* Two numbers by their doubles (two int64s exactly), NaN after every
 * other number and equal to itself: a sort needs a total order.
 * Rounding to the nearest double never turns an order around, so when
 * the doubles differ the exact values differ the same way; equal doubles
 * are left to exact_tie. */
static int num_cmp(const struct rf_number *a, const struct rf_number *b)
{
	if (a->is_int && b->is_int)
		return (a->i > b->i) - (a->i < b->i);
	int an = !a->is_int && isnan(a->d), bn = !b->is_int && isnan(b->d);
	if (an || bn)
		return an - bn;
	double da = a->is_int ? (double)a->i : a->d, db = b->is_int ? (double)b->i : b->d;
	return (da > db) - (da < db);
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

/* A cell's exact value: text read in place, an integer or double cell
 * written out into buf first.  On the stack, never allocated: a sort
 * calls this. */
struct exact {
	struct rf_decimal v;
	char buf[RF_DECIMAL_DOUBLE_BUF];
};

/* 1: an infinite double cell (no exact value); 0: x->v is the cell's
 * exact value; -1: not a number. */
static int exact_of(const struct rf_cell *c, struct exact *x)
{
	int k;
	switch (c->type) {
	case RF_CELL_INT:
	case RF_CELL_TIME:
		k = snprintf(x->buf, sizeof x->buf, "%lld", (long long)c->u.i);
		if (k < 0 || (size_t)k >= sizeof x->buf)
			return -1;
		return rf__parse_decimal(x->buf, (size_t)k, &x->v);
	case RF_CELL_DBL:
		if (isinf(c->u.d))
			return 1;
		return rf__decimal_of_double(c->u.d, x->buf, &x->v);
	case RF_CELL_STR:
	case RF_CELL_BIGINT:
		return rf__parse_decimal(c->u.str.s, c->u.str.len, &x->v);
	default:
		return -1;
	}
}

/* Two numbers whose doubles are equal (d) may still differ, at any
 * magnitude: text holds more digits than its double (-9007199254740991.0
 * 000000000000000000001 and -9007199254740990.75 are both -2^53 + 1, 0.1
 * and 0.10000000000000000001 both 0.1), past 2^53 a double holds only
 * some integers (2^63 - 1 and 9223372036854775806.5 are both 2^63), and
 * text past the double range is infinite.  Their exact values decide, so
 * the order is the numbers' own and the same whatever order the rows
 * came in; a double cell (an avg) counts as the exact value it holds, an
 * infinite one as beyond every number written out.  Equal values (1,
 * 1.0, 10e-1) stay a tie.  Not for two int64s: num_cmp has them exactly,
 * nor two doubles: equal is equal there. */
static int exact_tie(const struct rf_cell *a, const struct rf_cell *b, double d)
{
	if (isnan(d))
		return 0;
	int at = a->type == RF_CELL_STR || a->type == RF_CELL_BIGINT;
	int bt = b->type == RF_CELL_STR || b->type == RF_CELL_BIGINT;
	if (!at && !bt) { /* int64s and doubles: exact as they are */
		if (a->type == RF_CELL_DBL && b->type == RF_CELL_DBL)
			return 0;
		if (b->type == RF_CELL_DBL)
			return int_dbl_cmp(a->u.i, b->u.d);
		if (a->type == RF_CELL_DBL)
			return -int_dbl_cmp(b->u.i, a->u.d);
		return 0;
	}
	struct exact x, y;
	int ra = exact_of(a, &x), rb = exact_of(b, &y);
	if (ra < 0 || rb < 0)
		return 0; /* not reached: both read as numbers */
	if (ra || rb) /* an infinite double against text, or two of them */
		return d > 0 ? ra - rb : rb - ra;
	return rf__decimal_cmp(&x.v, &y.v);
}

/* The order of cells: missing first, then numbers by value, then everything
 * else by bytes.  Numbers before text whatever the text is, or "9" < "10" <
 * "1a" < "9" would be a cycle and the order would depend on the order the
 * rows came in.  by_value: numbers compare by value alone, so 50 and
 * 5e1 tie and the next sort column or the group key decides, as `sort` and
 * `top` promise; otherwise equal numbers are ordered by type and text, a
 * total order on distinct cells (group keys "5" and "5.0" are two groups,
 * and their order must not depend on the order they came in).  Both are
 * transitive. */
static int cell_cmp(const struct rf_cell *a, const struct rf_cell *b, int by_value)
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
		if (!c && !(na.is_int && nb.is_int))
			c = exact_tie(a, b, na.is_int ? (double)na.i : na.d);
		if (c || by_value)
			return c;
		if (a->type != b->type) /* "5", 5 and 5.0: any fixed order */
			return a->type < b->type ? -1 : 1;
		if (a->type != RF_CELL_STR)
			return 0;
	} else if (an != bn) {
		return bn - an; /* numbers before text */
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

int rf__cell_cmp(const struct rf_cell *a, const struct rf_cell *b)
{
	return cell_cmp(a, b, 0);
}

int rf__cell_cmp_value(const struct rf_cell *a, const struct rf_cell *b)
{
	return cell_cmp(a, b, 1);
}

/* ---- sorting ----
 *
 * Rows are sorted through an array of (prefix, row) entries.  The prefix
 * is 64 bits of the first sort column that order as the column does:
 * two bits of class (missing, number, text), then the number's double in
 * an order-keeping bit pattern or the text's first bytes, cut to 62 bits.
 * a < b in the column gives prefix(a) <= prefix(b), and equal cells give
 * equal prefixes, so a prefix that differs decides, and only equal
 * prefixes need the full comparison (cell_cmp, column by column) - which
 * is what parses text as a number, once per comparison.  The order is
 * exactly that of the full comparison. */

struct sort_ctx {
	const struct rf_table *t;
	const int *cols, *desc;
	int n;
	/* instead of row_cmp, for rf__sort_entries */
	int (*tie)(void *user, uint32_t a, uint32_t b);
	void *user;
};

/* The full order of two rows: the sort columns, then the keys, then the
 * row number (stable). */
static int row_cmp(const struct sort_ctx *x, size_t ra, size_t rb)
{
	const struct rf_table *t = x->t;
	const struct rf_cell *a = &t->cells[ra * (size_t)t->ncols], *b = &t->cells[rb * (size_t)t->ncols];
	for (int i = 0; i < x->n; i++) {
		/* a key column in its total order (keys are distinct); a value
		 * column by value, its ties left to the next column or the key */
		int c = cell_cmp(&a[x->cols[i]], &b[x->cols[i]], x->cols[i] >= t->nkeys);
		if (c)
			return x->desc[i] ? -c : c;
	}
	for (int k = 0; k < t->nkeys; k++) {
		int c = rf__cell_cmp(&a[k], &b[k]);
		if (c)
			return c;
	}
	return (ra > rb) - (ra < rb);
}

/* A double's bits as an unsigned number in the double's order; -0 is 0
 * and NaN is above everything, as num_cmp has them. */
static uint64_t double_bits(double d)
{
	if (isnan(d))
		return UINT64_MAX;
	if (d == 0)
		d = 0.0;
	uint64_t u;
	memcpy(&u, &d, 8);
	return u >> 63 ? ~u : u | (uint64_t)1 << 63;
}

uint64_t rf__cell_prefix(const struct rf_cell *c)
{
	struct rf_number n;
	if (c->type == RF_CELL_NULL)
		return 0;
	if (cell_number(c, &n) == 0) /* an integer's double: rounding keeps the order */
		return (uint64_t)1 << 62 | double_bits(n.is_int ? (double)n.i : n.d) >> 2;
	uint64_t w = 0;
	if (c->type == RF_CELL_STR) {
		size_t len = c->u.str.len < 8 ? c->u.str.len : 8;
		for (size_t i = 0; i < len; i++)
			w |= (uint64_t)(unsigned char)c->u.str.s[i] << (56 - 8 * i);
	}
	return (uint64_t)2 << 62 | w >> 2;
}

static uint64_t row_prefix(const struct sort_ctx *x, size_t r)
{
	const struct rf_table *t = x->t;
	int col = x->n ? x->cols[0] : 0;
	if (!x->n && !t->nkeys)
		return 0; /* no order but the row's own */
	uint64_t p = rf__cell_prefix(&t->cells[r * (size_t)t->ncols + (size_t)col]);
	return x->n && x->desc[0] ? ~p : p;
}

static inline int entry_cmp(const struct sort_ctx *x, const struct rf_sort_entry *a, const struct rf_sort_entry *b)
{
	if (a->pre != b->pre)
		return a->pre < b->pre ? -1 : 1;
	if (x->tie)
		return x->tie(x->user, a->row, b->row);
	return row_cmp(x, a->row, b->row);
}

static void swap_entries(struct rf_sort_entry *a, struct rf_sort_entry *b)
{
	struct rf_sort_entry t = *a;
	*a = *b;
	*b = t;
}

static void sift_down(const struct sort_ctx *x, struct rf_sort_entry *e, size_t n, size_t i, int max_heap)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && (max_heap ? entry_cmp(x, &e[c + 1], &e[c]) > 0 : entry_cmp(x, &e[c + 1], &e[c]) < 0))
			c++;
		if (max_heap ? entry_cmp(x, &e[c], &e[i]) <= 0 : entry_cmp(x, &e[c], &e[i]) >= 0)
			return;
		swap_entries(&e[c], &e[i]);
		i = c;
	}
}

static void heap_sort(const struct sort_ctx *x, struct rf_sort_entry *e, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(x, e, n, i, 1);
	for (size_t k = n; k > 1; k--) {
		swap_entries(&e[0], &e[k - 1]);
		sift_down(x, e, k - 1, 0, 1);
	}
}

/* Introsort: quicksort on the median of three, insertion sort for short
 * runs, heapsort when the recursion goes too deep.  In place: no second
 * array (glibc's qsort would allocate one as large as the input). */
static void intro_sort(const struct sort_ctx *x, struct rf_sort_entry *e, size_t n, int depth)
{
	while (n > 16) {
		if (depth-- == 0) {
			heap_sort(x, e, n);
			return;
		}
		size_t m = n / 2;
		if (entry_cmp(x, &e[m], &e[0]) < 0)
			swap_entries(&e[m], &e[0]);
		if (entry_cmp(x, &e[n - 1], &e[m]) < 0) {
			swap_entries(&e[n - 1], &e[m]);
			if (entry_cmp(x, &e[m], &e[0]) < 0)
				swap_entries(&e[m], &e[0]);
		}
		struct rf_sort_entry pivot = e[m];
		size_t i = 0, j = n - 1;
		for (;;) {
			while (entry_cmp(x, &e[i], &pivot) < 0)
				i++;
			while (entry_cmp(x, &pivot, &e[j]) < 0)
				j--;
			if (i >= j)
				break;
			swap_entries(&e[i], &e[j]);
			i++;
			j--;
		}
		/* [0, j] and [j + 1, n): recurse into the smaller part */
		size_t left = j + 1;
		if (left < n - left) {
			intro_sort(x, e, left, depth);
			e += left;
			n -= left;
		} else {
			intro_sort(x, e + left, n - left, depth);
			n = left;
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct rf_sort_entry v = e[i];
		size_t j = i;
		while (j > 0 && entry_cmp(x, &v, &e[j - 1]) < 0) {
			e[j] = e[j - 1];
			j--;
		}
		e[j] = v;
	}
}

static void sort_entries(const struct sort_ctx *x, struct rf_sort_entry *e, size_t n)
{
	int depth = 0;
	for (size_t k = n; k > 1; k >>= 1)
		depth += 2;
	intro_sort(x, e, n, depth);
}

void rf__sort_entries(struct rf_sort_entry *e, size_t n, int (*tie)(void *user, uint32_t a, uint32_t b), void *user)
{
	struct sort_ctx x = { .tie = tie, .user = user };
	sort_entries(&x, e, n);
}

/* Put the rows in the order of e[0..n) (their rows), in place, cycle by
 * cycle (row i takes row e[i].row), so a million-row result needs no
 * second copy of its cells.  n is all the rows. */
static int permute_rows(struct rf_table *t, struct rf_sort_entry *e, size_t n)
{
	size_t w = (size_t)t->ncols, bytes = w * sizeof(struct rf_cell);
	struct rf_cell *tmp = malloc(bytes);
	if (!tmp)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (e[i].row == i || e[i].row == UINT32_MAX)
			continue;
		memcpy(tmp, &t->cells[i * w], bytes);
		size_t j = i;
		while (e[j].row != i) {
			size_t k = e[j].row;
			memcpy(&t->cells[j * w], &t->cells[k * w], bytes);
			e[j].row = UINT32_MAX;
			j = k;
		}
		memcpy(&t->cells[j * w], tmp, bytes);
		e[j].row = UINT32_MAX;
	}
	free(tmp);
	return 0;
}

int rf__table_sort(struct rf_table *t, const int *cols, const int *desc, int n)
{
	if (t->nrows < 2)
		return 0;
	if (t->nrows >= UINT32_MAX)
		return -E2BIG;
	struct sort_ctx x = { .t = t, .cols = cols, .desc = desc, .n = n };
	struct rf_sort_entry *e = malloc(t->nrows * sizeof *e);
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++)
		e[i] = (struct rf_sort_entry){ row_prefix(&x, i), (uint32_t)i };
	sort_entries(&x, e, t->nrows);
	int r = permute_rows(t, e, t->nrows);
	free(e);
	return r;
}

int rf__table_top(struct rf_table *t, const int *cols, const int *desc, int n, size_t limit)
{
	if (limit >= t->nrows / 2) { /* most of it: a whole sort is as good */
		int r = rf__table_sort(t, cols, desc, n);
		if (r == 0)
			rf__table_truncate(t, limit);
		return r;
	}
	if (t->nrows >= UINT32_MAX)
		return -E2BIG;
	struct sort_ctx x = { .t = t, .cols = cols, .desc = desc, .n = n };
	size_t w = (size_t)t->ncols;
	struct rf_sort_entry *h = malloc((limit ? limit : 1) * sizeof *h);
	struct rf_cell *kept = malloc((limit ? limit : 1) * w * sizeof *kept);
	if (!h || !kept) {
		free(h);
		free(kept);
		return -ENOMEM;
	}
	/* the `limit` first rows in a heap whose top is the last of them */
	size_t k = 0;
	for (size_t i = 0; i < t->nrows && limit; i++) {
		struct rf_sort_entry v = { row_prefix(&x, i), (uint32_t)i };
		if (k < limit) {
			h[k++] = v;
			if (k == limit)
				for (size_t j = limit / 2; j-- > 0;)
					sift_down(&x, h, k, j, 1);
		} else if (entry_cmp(&x, &v, &h[0]) < 0) {
			h[0] = v;
			sift_down(&x, h, k, 0, 1);
		}
	}
	sort_entries(&x, h, k);
	for (size_t i = 0; i < k; i++)
		memcpy(&kept[i * w], &t->cells[(size_t)h[i].row * w], w * sizeof *kept);
	memcpy(t->cells, kept, k * w * sizeof *kept);
	t->nrows = k;
	free(h);
	free(kept);
	return 0;
}

int rf__table_reserve(struct rf_table *t, size_t rows)
{
	if (rows <= t->cap)
		return 0;
	struct rf_cell *c = realloc(t->cells, rows * (size_t)t->ncols * sizeof *c);
	if (!c)
		return -ENOMEM;
	t->cells = c;
	t->cap = rows;
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

/* ---- output ----
 *
 * Cells hold log bytes: anything at all.  Each format says how they come out:
 *
 *   table  for people, and safe on a terminal: a backslash is \\, tab,
 *          newline and CR are \t \n \r, every other control byte (C0, DEL,
 *          the UTF-8 of C1 controls, U+2028/9 and bidi controls) and every
 *          byte that is not part of valid UTF-8 is \xHH.  A missing value
 *          is \N, which no data can print as.  Columns are aligned by
 *          display width: East Asian wide characters take two columns,
 *          combining marks none, an escape its own length.  Floats show
 *          o->precision significant digits (see table_double).
 *   tsv    \t \n \r \\ escaped, other bytes as they are; missing is empty.
 *   csv    RFC 4180: a field holding , " CR or LF is quoted, " doubled; an
 *          empty string is "" and a missing value is empty (as DuckDB and
 *          PostgreSQL write them), other bytes as they are.
 *   json   always valid JSON (RFC 8259): control characters, DEL, C1, U+2028
 *          and U+2029 as \uXXXX; each ill-formed UTF-8 sequence (its maximal
 *          subpart, as Python's errors='replace' counts) as U+FFFD; missing
 *          is null; a value that is a JSON number by JSON's grammar, and
 *          within a double's range, is a number, anything else a string.
 */

/* The text of a cell (numbers in their stable form); *len set. */
static const char *cell_text(const struct rf_cell *c, const struct rf_tz *tz, char *buf, size_t cap, size_t *len)
{
	struct rf_number n;
	switch (c->type) {
	case RF_CELL_STR:
	case RF_CELL_BIGINT:
		*len = c->u.str.len;
		return c->u.str.s;
	case RF_CELL_INT: {
		/* the digits by hand: a million counts, no printf each */
		uint64_t u = c->u.i < 0 ? 0 - (uint64_t)c->u.i : (uint64_t)c->u.i;
		char *e = buf + cap, *p = e;
		(void)n;
		do {
			*--p = (char)('0' + (int)(u % 10));
			u /= 10;
		} while (u);
		if (c->u.i < 0)
			*--p = '-';
		*len = (size_t)(e - p);
		return p;
	}
	case RF_CELL_DBL:
		*len = (size_t)rf__format_double(c->u.d, buf, cap);
		return buf;
	case RF_CELL_TIME:
		*len = (size_t)rf__format_time_tz(c->u.i, tz, c->plain, buf);
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

/* The length of the well-formed UTF-8 sequence at p (1 to 4), or, negated,
 * of the ill-formed bytes one U+FFFD stands for: a byte that starts no
 * sequence, or the longest start of one that is cut off (Unicode's
 * "maximal subpart", chapter 3.9). */
static int utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	int need;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf; /* no overlongs, no surrogates */
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf; /* up to U+10FFFF */
	else
		return -1;
	for (int i = 1; i <= need; i++) {
		if ((size_t)i >= n || p[i] < lo || p[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* Valid UTF-8 that a terminal acts on instead of showing: the C1 controls
 * (U+0080..U+009F), the line and paragraph separators (U+2028, U+2029) and
 * the bidirectional marks, embeddings, overrides and isolates (U+200E,
 * U+200F, U+202A..U+202E, U+2066..U+2069), which reorder what follows. */
static int utf8_control(const unsigned char *p, int len)
{
	if (len == 2)
		return p[0] == 0xc2 && p[1] <= 0x9f;
	if (len == 3 && p[0] == 0xe2 && p[1] == 0x80)
		return p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xa8 && p[2] <= 0xae);
	if (len == 3 && p[0] == 0xe2 && p[1] == 0x81)
		return p[2] >= 0xa6 && p[2] <= 0xa9;
	return 0;
}

int rf__plain_text(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == '\\')
			return 0;
	return 1;
}

static locale_t utf8_locale;

static void open_utf8_locale(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The columns a valid, printable UTF-8 sequence takes on a terminal: 2
 * for East Asian wide and fullwidth characters, 0 for combining marks and
 * other zero-width ones, else 1.  glibc's wcwidth knows the tables; it
 * reads them from the locale, so this thread borrows C.UTF-8 for the call
 * and gives the program's locale back (a library must not change it). */
static int char_width(const unsigned char *p, int len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, open_utf8_locale);
	if (!utf8_locale)
		return 1; /* no such locale: a character a column, as before */
	wchar_t c = p[0] & (0x7f >> len);
	for (int k = 1; k < len; k++)
		c = (c << 6) | (p[k] & 0x3f);
	locale_t old = uselocale(utf8_locale);
	int width = wcwidth(c);
	uselocale(old);
	return width < 0 ? 1 : width;
}

/* Table format: write the bytes as they are shown (see above), or with w
 * NULL only measure them; returns the width in terminal columns. */
static size_t put_shown(struct rf_writer *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0, start = 0, i = 0;
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') /* the common case: plain ASCII */
		i++;
	width = i;
	while (i < n) {
		char esc[16];
		size_t elen = 0;
		int len = 1;
		unsigned c = p[i];
		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
			elen = 2;
		} else if (c < 0x20 || c == 0x7f) {
			elen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
		} else if (c >= 0x80) {
			len = utf8_len(p + i, n - i);
			if (len < 0) {
				len = 1; /* each byte of it shown */
				elen = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
			} else if (utf8_control(p + i, len)) {
				for (int k = 0; k < len; k++)
					elen += (size_t)snprintf(esc + elen, sizeof esc - elen, "\\x%02x", p[i + (size_t)k]);
			}
		}
		if (elen) {
			if (w) {
				put(w, s + start, i - start);
				put(w, esc, elen);
			}
			width += elen;
			start = i + (size_t)len;
		} else {
			width += c < 0x80 ? 1 : (size_t)char_width(p + i, len);
		}
		i += (size_t)len;
	}
	if (w)
		put(w, s + start, n - start);
	return width;
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
	int quote = n == 0; /* "" is an empty string; nothing at all is missing */
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

static int put_json_string(struct rf_writer *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	put(w, "\"", 1);
	size_t start = 0, i = 0;
	while (i < n) {
		unsigned c = p[i];
		int len = 1;
		char esc[8];
		int elen = 0;
		if (c == '"' || c == '\\')
			elen = snprintf(esc, sizeof esc, "\\%c", c);
		else if (c == '\n' || c == '\r' || c == '\t')
			elen = snprintf(esc, sizeof esc, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
		else if (c < 0x20 || c == 0x7f)
			elen = snprintf(esc, sizeof esc, "\\u%04x", c);
		else if (c >= 0x80) {
			len = utf8_len(p + i, n - i);
			if (len < 0) {
				len = -len;
				elen = snprintf(esc, sizeof esc, "\xef\xbf\xbd"); /* U+FFFD */
			} else if (len == 2 && c == 0xc2 && p[i + 1] <= 0x9f) {
				elen = snprintf(esc, sizeof esc, "\\u%04x", p[i + 1]);
			} else if (len == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
				elen = snprintf(esc, sizeof esc, "\\u%04x", 0x2000 + (p[i + 2] & 0x3f));
			}
		}
		if (elen) {
			put(w, s + start, i - start);
			put(w, esc, (size_t)elen);
			start = i + (size_t)len;
		}
		i += (size_t)len;
	}
	put(w, s + start, n - start);
	return put(w, "\"", 1);
}

/* The JSON number grammar (RFC 8259 section 6), of any length:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?  Returns 0 when p is not
 * one, else 1 plus 2 when it has an exponent, plus 4 when its integer part
 * has more than 308 digits. */
int rf__json_number_syntax(const char *p, size_t n)
{
	size_t i = 0, digits = 0;
	int exp = 0;
	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++, digits++;
	else
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++, digits++;
	if (digits == 0)
		return 0;
	if (i < n && p[i] == '.') {
		size_t f = ++i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == f)
			return 0;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		exp = 2;
		if (++i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t e = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == e)
			return 0;
	}
	if (i != n)
		return 0;
	return 1 | exp | (digits > 308 ? 4 : 0);
}

/* Whether these bytes are a JSON number that a double can hold without
 * turning it into infinity. */
static int is_json_number(const char *p, size_t n)
{
	int syn = rf__json_number_syntax(p, n);
	if (syn == 1)
		return 1;
	if (!syn)
		return 0;
	struct rf_number x;
	return rf__parse_number(p, n, &x) == 0 && (x.is_int || isfinite(x.d));
}

static int is_numeric(const struct rf_cell *c)
{
	return c->type == RF_CELL_INT || c->type == RF_CELL_DBL || c->type == RF_CELL_BIGINT;
}

/* A float for people: `digits` significant digits, as %g gives them, but
 * in fixed notation with the integer part whole (an average of 1234567.8
 * bytes shows as 1234568, not 1.23457e+06), and trailing zeros dropped.
 * Exponents only where fixed notation would be long: from 1e15, below
 * 1e-4 (where %g also takes them).  Whole numbers print as they are. */
static int table_double(double d, int digits, char *buf, size_t cap)
{
	double a = fabs(d);
	if (!isfinite(d) || (d == floor(d) && a < 9007199254740992.0))
		return rf__format_double(d, buf, cap);
	if (a >= 1e15 || a < 1e-4)
		return snprintf(buf, cap, "%.*g", digits, d);
	/* decimals: what the digits leave after the integer part, or for
	 * 0.00123 the zeros after the point and the digits after them */
	int lead = (int)floor(log10(a)) + 1;
	int dec = digits - lead;
	if (dec < 0)
		dec = 0;
	int n = snprintf(buf, cap, "%.*f", dec, d);
	if (n <= 0 || (size_t)n >= cap || !strchr(buf, '.'))
		return n;
	while (buf[n - 1] == '0')
		n--;
	if (buf[n - 1] == '.')
		n--;
	buf[n] = 0;
	if (n == 2 && buf[0] == '-' && buf[1] == '0')
		return snprintf(buf, cap, "0"); /* -0.0000 rounded away */
	return n;
}

/* ANSI colours of the table format, for the other terminal output of the
 * engine (charts) to use the same way: the text between sgr and a reset
 * when on, as it is when off; the width shown is the text's alone. */
int rf__put_colored(struct rf_writer *w, int on, const char *sgr, const char *p, size_t n)
{
	if (on)
		put(w, sgr, strlen(sgr));
	put(w, p, n);
	return on ? put(w, RF_SGR_RESET, sizeof RF_SGR_RESET - 1) : w->err;
}

/* A cell in the table format: its text as shown, or \N when missing;
 * floats to o->precision digits (0: 6). */
static size_t put_cell_shown(struct rf_writer *w, const struct rf_cell *cell, const struct rf_table_out *o)
{
	char buf[64];
	size_t len;
	if (cell->type == RF_CELL_DBL) {
		len = (size_t)table_double(cell->u.d, o->precision ? o->precision : 6, buf, sizeof buf);
		if (w)
			put(w, buf, len);
		return len;
	}
	const struct rf_tz *tz = o->tz;
	if (cell->type == RF_CELL_NULL) {
		if (w)
			put(w, "\\N", 2);
		return 2;
	}
	if (cell->type == RF_CELL_STR && cell->plain) {
		if (w)
			put(w, cell->u.str.s, cell->u.str.len);
		return cell->u.str.len;
	}
	const char *s = cell_text(cell, tz, buf, sizeof buf, &len);
	if (cell->type != RF_CELL_STR && cell->type != RF_CELL_BIGINT) { /* our own digits: plain */
		if (w)
			put(w, s, len);
		return len;
	}
	return put_shown(w, s, len);
}

/* Widen the columns for row r; its cells' widths go to len[] if given. */
static void widen(struct rf_table_out *o, const struct rf_table *t, size_t r, size_t *len)
{
	for (int c = 0; c < t->ncols; c++) {
		size_t l = put_cell_shown(NULL, &t->cells[r * (size_t)t->ncols + (size_t)c], o);
		/* a cell widens its column up to 200, and never narrows it
		 * (below a wider name, the header's padding would underflow) */
		size_t w = l > 200 ? 200 : l;
		if (w > o->width[c])
			o->width[c] = w;
		if (len)
			len[c] = l;
	}
}

/* n blanks: a width comes from the data (a 60,000-byte name), so in pieces */
static void put_spaces(struct rf_writer *w, size_t n)
{
	static const char spaces[256] = { [0 ... 255] = ' ' };
	for (size_t k; n; n -= k)
		put(w, spaces, k = n < sizeof spaces ? n : sizeof spaces);
}

/* A result's strings may lie anywhere (in the groups' key store, in the
 * order of the sort): ask for a row's a few rows before it is written. */
static void prefetch_row(const struct rf_table *t, size_t r)
{
	if (r >= t->nrows)
		return;
	for (int c = 0; c < t->ncols; c++) {
		const struct rf_cell *cell = &t->cells[r * (size_t)t->ncols + (size_t)c];
		if (cell->type == RF_CELL_STR)
			__builtin_prefetch(cell->u.str.s);
	}
}

#define STREAM_SAMPLE 1000

static int write_table_format(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w)
{
	size_t head[RF_TABLE_MAX_COLS];
	for (int c = 0; c < t->ncols; c++) {
		head[c] = put_shown(NULL, t->col[c], strlen(t->col[c]));
		if (head[c] > o->width[c])
			o->width[c] = head[c];
	}
	/* A whole result is aligned on all its rows.  Streamed rows (select)
	 * widen the columns row by row; the header waits for the first piece
	 * of them, and is as wide as its first STREAM_SAMPLE rows, so that it
	 * stands over the rows (a live input's first piece may be one line). */
	size_t sample = o->streaming ? (o->header_done ? 0 : STREAM_SAMPLE) : t->nrows;
	for (size_t r = 0; r < t->nrows && r < sample; r++)
		widen(o, t, r, NULL);
	if (!o->header_done) {
		for (int c = 0; c < t->ncols; c++) {
			if (o->color)
				put(w, RF_SGR_HEADER, sizeof RF_SGR_HEADER - 1);
			put_shown(w, t->col[c], strlen(t->col[c]));
			if (o->color)
				put(w, RF_SGR_RESET, sizeof RF_SGR_RESET - 1);
			if (c + 1 < t->ncols)
				put_spaces(w, o->width[c] - head[c] + 2);
		}
		put(w, "\n", 1);
		o->header_done = 1;
	}
	size_t len[RF_TABLE_MAX_COLS];
	for (size_t r = 0; r < t->nrows; r++) {
		prefetch_row(t, r + 8);
		widen(o, t, r, len); /* only measures, when the widths are known */
		for (int c = 0; c < t->ncols; c++) {
			const struct rf_cell *cell = &t->cells[r * (size_t)t->ncols + (size_t)c];
			size_t pad = len[c] < o->width[c] ? o->width[c] - len[c] : 0;
			if (is_numeric(cell)) { /* numbers right-aligned */
				put_spaces(w, pad);
				put_cell_shown(w, cell, o);
			} else {
				put_cell_shown(w, cell, o);
				if (c + 1 < t->ncols)
					put_spaces(w, pad);
			}
			if (c + 1 < t->ncols)
				put_spaces(w, 2);
		}
		if (put(w, "\n", 1) < 0)
			return w->err;
	}
	return w->err;
}

/* A JSON object must not repeat a key: the second column of a name (`count,
 * count`) is keyed NAME_2, the third NAME_3.  0 when the name is the first. */
static int json_key_repeat(const struct rf_table *t, int c)
{
	int n = 1;
	for (int i = 0; i < c; i++)
		n += strcmp(t->col[i], t->col[c]) == 0;
	return n > 1 ? n : 0;
}

int rf__table_write(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w, int bare)
{
	char buf[64];
	size_t len;
	if (o->format == RF_OUT_TABLE) {
		if (bare && t->ncols == 1 && t->nrows == 1) {
			/* a lone answer, for `n=$(ringflow ...)`: missing is an empty line */
			/* a script's number: whole, unless --precision asks */
			char num[64];
			if (t->cells[0].type == RF_CELL_DBL && !o->precision)
				put(w, num, (size_t)rf__format_double(t->cells[0].u.d, num, sizeof num));
			else if (t->cells[0].type != RF_CELL_NULL)
				put_cell_shown(w, &t->cells[0], o);
			return put(w, "\n", 1);
		}
		return write_table_format(o, t, w);
	}
	if (o->format != RF_OUT_JSON && !o->header_done) {
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				put(w, o->format == RF_OUT_TSV ? "\t" : ",", 1);
			if (o->format == RF_OUT_TSV)
				put_escaped_tsv(w, t->col[c], strlen(t->col[c]));
			else
				put_csv(w, t->col[c], strlen(t->col[c]));
		}
		put(w, "\n", 1);
		o->header_done = 1;
	}
	int repeat[RF_TABLE_MAX_COLS] = { 0 };
	if (o->format == RF_OUT_JSON)
		for (int c = 0; c < t->ncols; c++)
			repeat[c] = json_key_repeat(t, c);
	for (size_t r = 0; r < t->nrows; r++) {
		const struct rf_cell *row = &t->cells[r * (size_t)t->ncols];
		prefetch_row(t, r + 8);
		if (o->format == RF_OUT_JSON)
			put(w, "{", 1);
		for (int c = 0; c < t->ncols; c++) {
			const struct rf_cell *cell = &row[c];
			const char *s = cell_text(cell, o->tz, buf, sizeof buf, &len);
			switch (o->format) {
			case RF_OUT_TSV:
				if (c)
					put(w, "\t", 1);
				put_escaped_tsv(w, s, len);
				break;
			case RF_OUT_CSV:
				if (c)
					put(w, ",", 1);
				if (cell->type != RF_CELL_NULL)
					put_csv(w, s, len);
				break;
			default:
				if (c)
					put(w, ",", 1);
				if (!repeat[c]) {
					put_json_string(w, t->col[c], strlen(t->col[c]));
				} else {
					size_t kl = strlen(t->col[c]) + 16;
					char *key = malloc(kl);
					if (!key)
						return -ENOMEM;
					put_json_string(w, key, (size_t)snprintf(key, kl, "%s_%d", t->col[c], repeat[c]));
					free(key);
				}
				put(w, ":", 1);
				if (cell->type == RF_CELL_NULL)
					put(w, "null", 4);
				else if (cell->type != RF_CELL_TIME && is_json_number(s, len))
					put(w, s, len); /* not nan or inf, not "007" */
				else
					put_json_string(w, s, len);
				break;
			}
		}
		if (o->format == RF_OUT_JSON)
			put(w, "}", 1);
		if (o->format == RF_OUT_JSON && o->json_array ? r + 1 < t->nrows && put(w, ",", 1) < 0
								 : put(w, "\n", 1) < 0)
			return w->err;
	}
	return w->err;
}

size_t rf__cell_shown(struct rf_writer *w, const struct rf_cell *cell, const struct rf_tz *tz)
{
	/* a chart's labels: the table's default precision */
	struct rf_table_out o;
	o.tz = tz;
	o.precision = 0;
	return put_cell_shown(w, cell, &o);
}

size_t rf__text_shown(struct rf_writer *w, const char *s, size_t n)
{
	return put_shown(w, s, n);
}

const char *rf__cell_text(const struct rf_cell *c, const struct rf_tz *tz, char *buf, size_t cap, size_t *len)
{
	return cell_text(c, tz, buf, cap, len);
}

/* For the live view (report.c): the columns a UTF-8 sequence of len bytes
 * takes on a terminal. */
int rf__char_width(const unsigned char *p, int len)
{
	return char_width(p, len);
}
