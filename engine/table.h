/* SPDX-License-Identifier: MIT */
/* table.h - result rows (of an aggregate, or of select) and their output
 * formats: aligned table, TSV, CSV, JSON Lines. */
#ifndef RF_TABLE_H
#define RF_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "ringflow.h"

struct rf_writer;
struct rf_tz;

/* BIGINT: an exact integer too wide for int64 (a 128-bit sum), its decimal
 * digits in u.str; it prints and sorts as the number it is. */
enum rf_cell_type { RF_CELL_NULL, RF_CELL_STR, RF_CELL_INT, RF_CELL_DBL, RF_CELL_TIME, RF_CELL_BIGINT };

/* 16 bytes: the string's length shares the second word with the type (a
 * million-row result is 16 MB of cells per column, not 24). */
struct rf_cell {
	union {
		struct {
			const char *s;
			uint32_t len;
		} __attribute__((packed)) str;
		int64_t i;    /* INT, and TIME (seconds since the epoch) */
		double d;
	} __attribute__((packed)) u;
	uint8_t type;
	uint8_t plain;    /* STR: known to be printable ASCII, no backslash (shown
			   * as it is, width = length, without reading it again);
			   * TIME: a day, shown as a date */
} __attribute__((aligned(8)));
_Static_assert(sizeof(struct rf_cell) == 16, "a cell is two words");

#define RF_TABLE_MAX_COLS 64

struct rf_table_chunk;

struct rf_table {
	int ncols;
	int nkeys;                 /* leading columns that identify a row */
	char *col[RF_TABLE_MAX_COLS];
	size_t nrows, cap;
	struct rf_cell *cells;     /* row r at cells[r * ncols] */
	struct rf_table_chunk *strings;
	const struct rf_tz *tz;    /* --tz, for expressions over the rows (HAVING) */
};

struct rf_table *rf__table_new(int ncols, int nkeys, const char *const *names);
void rf__table_free(struct rf_table *t);
/* A new row of ncols NULL cells; NULL on allocation failure. */
struct rf_cell *rf__table_add_row(struct rf_table *t);
/* A copy of the bytes owned by the table. */
const char *rf__table_strdup(struct rf_table *t, const char *p, size_t n);
int rf__table_col(const struct rf_table *t, const char *name);
/* Whether these bytes show as they are in the table format (for plain). */
int rf__plain_text(const char *p, size_t n);

/* A total order: NULL first, then numbers (numeric cells and strings that
 * read as numbers) by value, then other strings by bytes. */
int rf__cell_cmp(const struct rf_cell *a, const struct rf_cell *b);
/* The same, but numbers by value alone (50 and 5e1 tie): how sort and top
 * compare a value column. */
int rf__cell_cmp_value(const struct rf_cell *a, const struct rf_cell *b);
/* The JSON number grammar: 0 when p is not a JSON number, else non-zero
 * (1, | 2 with an exponent, | 4 with more than 308 integer digits). */
int rf__json_number_syntax(const char *p, size_t n);
/* Sort rows by the columns in cols[] (desc[] per column), then by the key
 * columns ascending, so the order is total and deterministic. */
int rf__table_sort(struct rf_table *t, const int *cols, const int *desc, int n);
/* The first `limit` rows of that order, and no others (a heap: no sort of
 * every row); the same rows, in the same order, as a sort and truncate. */
int rf__table_top(struct rf_table *t, const int *cols, const int *desc, int n, size_t limit);
void rf__table_truncate(struct rf_table *t, size_t n);

/* Sorting by a precomputed key: `pre` orders as the first column does
 * (a < b gives pre(a) <= pre(b), equal cells equal prefixes, see
 * rf__cell_prefix), `tie` decides between equal prefixes (a total order). */
struct rf_sort_entry {
	uint64_t pre;
	uint32_t row;
} __attribute__((packed, aligned(4)));
uint64_t rf__cell_prefix(const struct rf_cell *c);
void rf__sort_entries(struct rf_sort_entry *e, size_t n, int (*tie)(void *user, uint32_t a, uint32_t b), void *user);
/* Room for `rows` rows in all, allocated at once. */
int rf__table_reserve(struct rf_table *t, size_t rows);
/* Keep only these columns, in this order. */
int rf__table_project(struct rf_table *t, const int *cols, int n);

/* Streaming writer state: the header goes out once; table widths only grow. */
struct rf_table_out {
	enum rf_out_format format; /* ringflow.h */
	int streaming;             /* rows arrive in pieces (select): align row by row */
	int header_done;
	int json_array;            /* json: rows as array elements, comma-separated */
	size_t width[RF_TABLE_MAX_COLS];
	const struct rf_tz *tz;    /* --tz: times shown on its clock (NULL: UTC) */
	int chart_width, ascii;    /* chart: columns (0: the terminal's), '#' bars */
	int precision;             /* table: a float's significant digits (0: 6) */
	int color;                 /* table: the header in colour */
};

/* A cell's text as the TSV format shows it (numbers in their stable
 * form); *len set; buf (64 bytes) may hold it. */
const char *rf__cell_text(const struct rf_cell *c, const struct rf_tz *tz, char *buf, size_t cap, size_t *len);

/* Colour on a terminal (o->color): SGR sequences for the table's header,
 * a chart's bars, query-error carets; rf__put_colored writes p between
 * sgr and RF_SGR_RESET when on, plain when off. */
#define RF_SGR_HEADER "\033[1;4m"
#define RF_SGR_BAR "\033[36m"
#define RF_SGR_RESET "\033[0m"
int rf__put_colored(struct rf_writer *w, int on, const char *sgr, const char *p, size_t n);

/* Write the rows.  `bare`: a 1x1 table in table format prints the value
 * alone (a single-number answer). */
int rf__table_write(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w, int bare);

/* For the chart (chart.c): a cell, or text, as the table format shows it,
 * written to w, or with w NULL only measured; returns its width. */
size_t rf__cell_shown(struct rf_writer *w, const struct rf_cell *cell, const struct rf_tz *tz);
size_t rf__text_shown(struct rf_writer *w, const char *s, size_t n);
/* The terminal columns of one UTF-8 character of len bytes (2 for East
 * Asian wide ones, 0 for combining marks). */
int rf__char_width(const unsigned char *p, int len);

/* chart.c: --format=chart; rf__result_write, a result in the run's
 * format (a chart there, else rf__table_write) */
int rf__chart_write(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w, int bare);
int rf__result_write(struct rf_table_out *o, const struct rf_table *t, struct rf_writer *w, int bare);

#endif
