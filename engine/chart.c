/* SPDX-License-Identifier: MIT */
/* chart.c - --format=chart: a result drawn for a terminal.
 *
 * Grouped rows become a horizontal bar chart: a line per row with its
 * keys, its value and a bar scaled to the largest value, eighth blocks
 * drawing the fraction of the last cell (--ascii: whole '#' cells).  A
 * result with several numeric columns gets one chart per column, one
 * after the other.  Negative values grow left from a zero axis ('│').
 * A result keyed by a time bucket and something else (`count by minute,
 * status`) gets a sparkline per group instead: a character per bucket,
 * time running left to right, its height the value on one scale for all
 * groups, so the lines compare; a bucket a group has no row in is blank.
 * Keyed by a time bucket alone, it is a bar chart with a bar per bucket.
 *
 * The width is the terminal's (stdout), else $COLUMNS, else 80.  Labels
 * print as the table format prints them (escaped, safe on a terminal). */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "engine.h"
#include "table.h"

#define CHART_MIN_BAR 10 /* bar cells kept however wide the labels are */

/* Bars: the full block and the left-aligned eighths 1/8 to 7/8. */
static const char *const eighths[8] = { "", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589" };
#define FULL_BLOCK "\u2588"
/* Sparklines: eight heights, lowest first. */
static const char *const spark_utf8[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
					   "\u2585", "\u2586", "\u2587", "\u2588" };
static const char spark_ascii[8] = { '.', ':', '-', '=', '+', '*', '%', '#' };

static int put(struct rf_writer *w, const char *s, size_t n)
{
	return rf__writer_put(w, s, n);
}

static void puts_(struct rf_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void spaces(struct rf_writer *w, size_t n)
{
	static const char blank[64] = { [0 ... 63] = ' ' };
	for (size_t k; n; n -= k)
		put(w, blank, k = n < sizeof blank ? n : sizeof blank);
}

static void repeat(struct rf_writer *w, const char *s, size_t n)
{
	size_t len = strlen(s);
	while (n--)
		put(w, s, len);
}

/* Columns to draw in: the caller's, the terminal's, $COLUMNS, or 80. */
static size_t chart_width(const struct rf_table_out *o, int fd)
{
	if (o->chart_width > 0)
		return (size_t)o->chart_width;
	struct winsize ws;
	if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *env = getenv("COLUMNS");
	if (env && *env) {
		char *end;
		long n = strtol(env, &end, 10);
		if (*end == '\0' && n > 0 && n <= 100000)
			return (size_t)n;
	}
	return 80;
}

/* A cell's number: 0, or -1 when it holds none (missing, text, a time). */
static int cell_value(const struct rf_cell *c, double *v)
{
	struct rf_number n;
	switch (c->type) {
	case RF_CELL_INT:
		*v = (double)c->u.i;
		return 0;
	case RF_CELL_DBL:
		*v = c->u.d;
		return 0;
	case RF_CELL_BIGINT:
	case RF_CELL_STR:
		if (rf__parse_number(c->u.str.s, c->u.str.len, &n) < 0)
			return -1;
		*v = n.is_int ? (double)n.i : n.d;
		return 0;
	default:
		return -1;
	}
}

static const struct rf_cell *cell_at(const struct rf_table *t, size_t r, int c)
{
	return &t->cells[r * (size_t)t->ncols + (size_t)c];
}

/* A value column the chart draws: every cell a number or missing (all
 * missing, an aggregate of no numbers, is still a value: no bars). */
static int numeric_column(const struct rf_table *t, int c)
{
	double v;
	for (size_t r = 0; r < t->nrows; r++) {
		const struct rf_cell *cell = cell_at(t, r, c);
		if (cell->type == RF_CELL_NULL)
			continue;
		if (cell->type == RF_CELL_TIME || cell_value(cell, &v) < 0)
			return 0;
	}
	return 1;
}

static int time_column(const struct rf_table *t, int c)
{
	int any = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		uint8_t type = cell_at(t, r, c)->type;
		if (type != RF_CELL_NULL && type != RF_CELL_TIME)
			return 0;
		any |= type == RF_CELL_TIME;
	}
	return any;
}

/* A value as the chart prints it: integers whole, other numbers to six
 * significant digits (a picture, not a record: TSV keeps every digit). */
static size_t value_text(const struct rf_cell *c, char *buf, size_t cap)
{
	int n;
	if (c->type == RF_CELL_NULL)
		n = snprintf(buf, cap, "\\N");
	else if (c->type == RF_CELL_INT)
		n = snprintf(buf, cap, "%lld", (long long)c->u.i);
	else if (c->type == RF_CELL_DBL && fabs(c->u.d) >= 1e6 && fabs(c->u.d) < 1e15)
		n = snprintf(buf, cap, "%.0f", c->u.d);
	else if (c->type == RF_CELL_DBL)
		n = snprintf(buf, cap, "%.6g", c->u.d);
	else
		n = snprintf(buf, cap, "%.*s", (int)(c->u.str.len < cap ? c->u.str.len : cap - 1), c->u.str.s);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* What every chart of a result shares: the columns that label a line. */
struct layout {
	const struct rf_table *t;
	const struct rf_tz *tz;
	int label[RF_TABLE_MAX_COLS], nlabel;
	size_t lwidth[RF_TABLE_MAX_COLS];
	size_t labels;  /* their width, with two blanks after each */
	size_t width;   /* of the whole line */
	int ascii;
	int color;      /* bars in colour (--color on a terminal) */
};

static void measure_labels(struct layout *L)
{
	L->labels = 0;
	for (int i = 0; i < L->nlabel; i++) {
		int c = L->label[i];
		size_t w = rf__text_shown(NULL, L->t->col[c], strlen(L->t->col[c]));
		for (size_t r = 0; r < L->t->nrows; r++) {
			size_t cw = rf__cell_shown(NULL, cell_at(L->t, r, c), L->tz);
			if (cw > w)
				w = cw;
		}
		L->lwidth[i] = w;
		L->labels += w + 2;
	}
}

static void put_header(struct rf_writer *w, const struct layout *L, const char *value, size_t vw)
{
	for (int i = 0; i < L->nlabel; i++) {
		const char *name = L->t->col[L->label[i]];
		size_t n = rf__text_shown(w, name, strlen(name));
		spaces(w, L->lwidth[i] - n + 2);
	}
	size_t n = rf__text_shown(NULL, value, strlen(value));
	spaces(w, vw > n ? vw - n : 0);
	rf__text_shown(w, value, strlen(value));
	put(w, "\n", 1);
}

static void put_labels(struct rf_writer *w, const struct layout *L, size_t r)
{
	for (int i = 0; i < L->nlabel; i++) {
		size_t n = rf__cell_shown(w, cell_at(L->t, r, L->label[i]), L->tz);
		spaces(w, L->lwidth[i] - n + 2);
	}
}

/* The value column's text width, its name's included. */
static size_t value_width(const struct layout *L, int c, const char *name)
{
	char buf[64];
	size_t vw = rf__text_shown(NULL, name, strlen(name));
	for (size_t r = 0; r < L->t->nrows; r++) {
		size_t n = value_text(cell_at(L->t, r, c), buf, sizeof buf);
		if (n > vw)
			vw = n;
	}
	return vw;
}

/* A bar of `cells` character cells (a fraction in eighths) from the left. */
static void put_bar(struct rf_writer *w, int ascii, long long eighth_units)
{
	if (ascii) {
		repeat(w, "#", (size_t)((eighth_units + 4) / 8));
		return;
	}
	repeat(w, FULL_BLOCK, (size_t)(eighth_units / 8));
	puts_(w, eighths[eighth_units % 8]);
}

/* One bar chart: value column c, a line per row. */
static void bar_chart(struct rf_writer *w, const struct layout *L, int c)
{
	const struct rf_table *t = L->t;
	const char *name = t->col[c];
	size_t vw = value_width(L, c, name);
	double lo = 0, hi = 0, v;
	for (size_t r = 0; r < t->nrows; r++)
		if (cell_value(cell_at(t, r, c), &v) == 0 && isfinite(v)) {
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	size_t used = L->labels + vw + 1;
	size_t cells = L->width > used + CHART_MIN_BAR ? L->width - used : CHART_MIN_BAR;
	/* with negative values, a zero axis takes a cell and splits the rest
	 * in proportion to the two sides' extents */
	size_t left = 0;
	if (lo < 0) {
		cells--;
		left = (size_t)llround((double)cells * -lo / (hi - lo));
	}
	double scale = hi - lo > 0 ? (double)cells / (hi - lo) : 0; /* cells per unit */
	put_header(w, L, name, vw);
	char buf[64];
	for (size_t r = 0; r < t->nrows; r++) {
		const struct rf_cell *cell = cell_at(t, r, c);
		put_labels(w, L, r);
		size_t n = value_text(cell, buf, sizeof buf);
		spaces(w, vw - n);
		put(w, buf, n);
		int have = cell_value(cell, &v) == 0 && isfinite(v);
		if (lo < 0) {
			/* the left side in whole cells: no eighths grow leftwards */
			size_t neg = have && v < 0 ? (size_t)llround(-v * scale) : 0;
			if (neg > left)
				neg = left;
			spaces(w, 1 + left - neg);
			if (neg && L->color)
				puts_(w, RF_SGR_BAR);
			repeat(w, L->ascii ? "#" : FULL_BLOCK, neg);
			if (neg && L->color)
				puts_(w, RF_SGR_RESET);
			puts_(w, L->ascii ? "|" : "\u2502");
		} else {
			put(w, " ", 1);
		}
		if (have && v > 0) {
			if (L->color)
				puts_(w, RF_SGR_BAR);
			put_bar(w, L->ascii, llround(v * scale * 8));
			if (L->color)
				puts_(w, RF_SGR_RESET);
		}
		put(w, "\n", 1);
	}
}

/* ---- sparklines: a time bucket and other keys ---- */

struct group {
	size_t first_row; /* its labels are this row's */
	double peak;
	int have_peak;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

struct spark {
	const struct layout *L;
	int64_t *bucket;       /* distinct bucket times, ascending */
	size_t nbuckets;
	struct group *group;
	size_t ngroups;
	size_t *row_group;     /* each row's group */
};

static int label_cmp(const struct layout *L, size_t a, size_t b)
{
	for (int i = 0; i < L->nlabel; i++) {
		int c = rf__cell_cmp(cell_at(L->t, a, L->label[i]), cell_at(L->t, b, L->label[i]));
		if (c)
			return c;
	}
	return 0;
}

/* Rows by their labels, then by their place: equal labels are a group. */
static int row_cmp(const void *pa, const void *pb, void *user)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = label_cmp(user, a, b);
	return c ? c : (a > b) - (a < b);
}

/* The buckets and the groups of the rows; -ENOMEM. */
static int spark_index(struct spark *s, int tcol)
{
	const struct rf_table *t = s->L->t;
	size_t n = 0;
	s->bucket = malloc((t->nrows ? t->nrows : 1) * sizeof *s->bucket);
	s->group = malloc((t->nrows ? t->nrows : 1) * sizeof *s->group);
	s->row_group = malloc((t->nrows ? t->nrows : 1) * sizeof *s->row_group);
	if (!s->bucket || !s->group || !s->row_group)
		return -ENOMEM;
	for (size_t r = 0; r < t->nrows; r++)
		if (cell_at(t, r, tcol)->type == RF_CELL_TIME)
			s->bucket[n++] = cell_at(t, r, tcol)->u.i;
	qsort(s->bucket, n, sizeof *s->bucket, cmp_i64);
	s->nbuckets = 0;
	for (size_t i = 0; i < n; i++)
		if (!s->nbuckets || s->bucket[s->nbuckets - 1] != s->bucket[i])
			s->bucket[s->nbuckets++] = s->bucket[i];
	/* Buckets no row fell in still take their place on the axis, so it
	 * runs evenly: the step is the smallest gap when every gap is a
	 * multiple of it (not so for days across a clock change, or buckets
	 * with --tz offsets that vary: those keep only the buckets seen). */
	int64_t step = 0;
	for (size_t i = 1; i < s->nbuckets; i++)
		if (!step || s->bucket[i] - s->bucket[i - 1] < step)
			step = s->bucket[i] - s->bucket[i - 1];
	int even = step > 0;
	for (size_t i = 1; i < s->nbuckets && even; i++)
		even = (s->bucket[i] - s->bucket[i - 1]) % step == 0;
	if (even) {
		uint64_t span = (uint64_t)(s->bucket[s->nbuckets - 1] - s->bucket[0]) / (uint64_t)step + 1;
		int64_t *all = span <= 1000000 ? malloc(span * sizeof *all) : NULL;
		if (all) {
			for (uint64_t i = 0; i < span; i++)
				all[i] = s->bucket[0] + (int64_t)i * step;
			free(s->bucket);
			s->bucket = all;
			s->nbuckets = span;
		}
	}
	/* groups: the rows sorted by their labels, a group per run of equal
	 * ones (row_group holds the order first) */
	for (size_t r = 0; r < t->nrows; r++)
		s->row_group[r] = r;
	qsort_r(s->row_group, t->nrows, sizeof *s->row_group, row_cmp, (void *)s->L);
	size_t *order = s->row_group;
	s->ngroups = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (!s->ngroups || label_cmp(s->L, s->group[s->ngroups - 1].first_row, order[i]) != 0)
			s->group[s->ngroups++] = (struct group){ .first_row = order[i] };
	/* then each row's group: the one whose first row it follows in order */
	size_t *group_of = malloc((t->nrows ? t->nrows : 1) * sizeof *group_of);
	if (!group_of)
		return -ENOMEM;
	for (size_t i = 0, g = 0; i < t->nrows; i++) {
		if (g + 1 < s->ngroups && s->group[g + 1].first_row == order[i])
			g++;
		group_of[order[i]] = g;
	}
	free(s->row_group);
	s->row_group = group_of;
	return 0;
}

static size_t bucket_of(const struct spark *s, int64_t time)
{
	size_t lo = 0, hi = s->nbuckets;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->bucket[mid] < time)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One sparkline chart: value column c over time column tcol.  The last
 * buckets are shown when there are more than cells for them. */
static int spark_chart(struct rf_writer *w, const struct spark *s, int c, int tcol)
{
	const struct layout *L = s->L;
	const struct rf_table *t = L->t;
	char name[256], buf[64];
	snprintf(name, sizeof name, "max %s", t->col[c]);
	size_t vw = value_width(L, c, name);
	size_t used = L->labels + vw + 1;
	size_t cells = L->width > used + CHART_MIN_BAR ? L->width - used : CHART_MIN_BAR;
	size_t shown = s->nbuckets < cells ? s->nbuckets : cells, skip = s->nbuckets - shown;
	size_t ncells = s->ngroups * shown + 1;
	double *grid = malloc(ncells * sizeof *grid);
	unsigned char *have = calloc(ncells, 1);
	const struct rf_cell **peak = calloc(s->ngroups ? s->ngroups : 1, sizeof *peak);
	if (!grid || !have || !peak) {
		free(grid);
		free(have);
		free(peak);
		return -ENOMEM;
	}
	double lo = 0, hi = 0, v;
	for (size_t r = 0; r < t->nrows; r++) {
		const struct rf_cell *tc = cell_at(t, r, tcol), *vc = cell_at(t, r, c);
		if (tc->type != RF_CELL_TIME || cell_value(vc, &v) < 0 || !isfinite(v))
			continue;
		/* the buckets cut off the left are not drawn, nor counted in
		 * the group's largest value printed beside it */
		size_t b = bucket_of(s, tc->u.i);
		if (b < skip)
			continue;
		struct group *g = &s->group[s->row_group[r]];
		if (!g->have_peak || v > g->peak) {
			g->peak = v;
			g->have_peak = 1;
			peak[s->row_group[r]] = vc;
		}
		size_t at = s->row_group[r] * shown + (b - skip);
		grid[at] = have[at] ? grid[at] + v : v; /* one row per bucket and group */
		have[at] = 1;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	put_header(w, L, name, vw);
	for (size_t g = 0; g < s->ngroups; g++) {
		put_labels(w, L, s->group[g].first_row);
		static const struct rf_cell none = { .type = RF_CELL_NULL };
		size_t n = value_text(peak[g] ? peak[g] : &none, buf, sizeof buf);
		spaces(w, vw - n);
		put(w, buf, n);
		put(w, " ", 1);
		/* the heights on one scale for every group, from the lower of 0
		 * and the smallest value up to the largest */
		for (size_t b = 0; b < shown; b++) {
			size_t at = g * shown + b;
			if (!have[at]) {
				put(w, " ", 1);
				continue;
			}
			int level = hi > lo ? (int)lround((grid[at] - lo) / (hi - lo) * 7) : 0;
			if (L->ascii)
				put(w, &spark_ascii[level], 1);
			else
				puts_(w, spark_utf8[level]);
		}
		put(w, "\n", 1);
	}
	/* the time axis: the first shown bucket under the first cell, the
	 * last one ending under the last (or after it, when they would meet);
	 * shown as the keys are (a day bucket as a date) */
	const struct rf_cell *sample = NULL;
	for (size_t r = 0; r < t->nrows && !sample; r++)
		if (cell_at(t, r, tcol)->type == RF_CELL_TIME)
			sample = cell_at(t, r, tcol);
	struct rf_cell f = *sample, l = *sample;
	f.u.i = s->bucket[skip];
	l.u.i = s->bucket[s->nbuckets - 1];
	spaces(w, used);
	size_t fw = rf__cell_shown(w, &f, L->tz), lw = rf__cell_shown(NULL, &l, L->tz);
	if (shown > 1 && fw + 1 + lw <= shown) {
		spaces(w, shown - fw - lw);
		rf__cell_shown(w, &l, L->tz);
	} else if (shown > 1) {
		puts_(w, " .. ");
		rf__cell_shown(w, &l, L->tz);
	}
	char tail[96];
	if (skip)
		snprintf(tail, sizeof tail, ": the last %zu of %zu buckets)\n", shown, s->nbuckets);
	else
		snprintf(tail, sizeof tail, ": %zu bucket%s)\n", s->nbuckets, s->nbuckets == 1 ? "" : "s");
	puts_(w, "  (");
	rf__text_shown(w, t->col[tcol], strlen(t->col[tcol]));
	puts_(w, tail);
	free(grid);
	free(have);
	free(peak);
	return 0;
}

int rf__chart_write(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w, int bare)
{
	if (bare && t->ncols == 1 && t->nrows == 1) {
		/* one number: nothing to compare it with, so alone, as in a table */
		char buf[64];
		if (t->cells[0].type != RF_CELL_NULL)
			put(w, buf, value_text(&t->cells[0], buf, sizeof buf));
		put(w, "\n", 1);
		return w->err;
	}
	struct layout L = { .t = t, .tz = o->tz, .width = chart_width(o, w->fd), .ascii = o->ascii,
			    .color = o->color };
	int value[RF_TABLE_MAX_COLS], nvalue = 0, tcol = -1;
	for (int c = 0; c < t->ncols; c++) {
		if (c >= t->nkeys && numeric_column(t, c))
			value[nvalue++] = c;
		else
			L.label[L.nlabel++] = c;
	}
	/* a time key among other labels: the time becomes the axis */
	for (int i = 0; i < L.nlabel && L.nlabel > 1 && tcol < 0; i++)
		if (L.label[i] < t->nkeys && time_column(t, L.label[i])) {
			tcol = L.label[i];
			memmove(&L.label[i], &L.label[i + 1], (size_t)(L.nlabel - i - 1) * sizeof L.label[0]);
			L.nlabel--;
		}
	measure_labels(&L);
	if (nvalue == 0) {
		/* nothing to draw: the labels, and why there are no bars */
		put_header(w, &L, "(no numeric column to draw)", 0);
		for (size_t r = 0; r < t->nrows; r++) {
			put_labels(w, &L, r);
			put(w, "\n", 1);
		}
		return w->err;
	}
	struct spark s = { .L = &L };
	int r = tcol >= 0 ? spark_index(&s, tcol) : 0;
	for (int i = 0; i < nvalue && r == 0 && w->err == 0; i++) {
		if (i)
			put(w, "\n", 1);
		if (tcol >= 0) {
			for (size_t g = 0; g < s.ngroups; g++)
				s.group[g].have_peak = 0;
			r = spark_chart(w, &s, value[i], tcol);
		} else {
			bar_chart(w, &L, value[i]);
		}
	}
	free(s.bucket);
	free(s.group);
	free(s.row_group);
	return r < 0 ? r : w->err;
}

/* A result table in the run's format: a chart here, the others by
 * table.c (which knows nothing of charts: chart.c is above it). */
int rf__result_write(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w, int bare)
{
	if (o->format == RF_OUT_CHART)
		return rf__chart_write(o, t, w, bare);
	return rf__table_write(o, t, w, bare);
}
