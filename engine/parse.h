/* SPDX-License-Identifier: MIT */
/* parse.h - what the parse verb (parsers.c) and its formats (parse_*.c)
 * share: the config and per-run state of a parse stage, the format
 * descriptor each format file defines, and the helpers in parse_util.c.
 *
 * A format is one file defining one struct parse_format, and one entry in
 * the table of formats in parsers.c.
 */
#ifndef RF_PARSE_H
#define RF_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"
#include "expr.h"

struct parse_format;
struct rf_template;

struct parse_config {
	struct rf_parser head;     /* first: the schema reads it */
	const struct parse_format *fmt;
	char *delim;
	size_t delim_len;
	struct rf_regex *re;
	int ngroups;
	char **group_name;         /* every named group, however many */
	int *group_number;
	/* filled by bind: what to extract */
	int nslots;
	char *slot_name[RF_MAX_SLOTS];
	int slot_field[RF_MAX_SLOTS];  /* combined: enum clf_field; split/csv $N: N; regex: group */
#define RF_SLOT_EVAL (-2)              /* slot_field of a field eval makes: no parser fills it */
	int max_field;                 /* split: the highest $N wanted */
	int min_field;                 /* and the lowest */
	/* parse ... from FIELD [nodrop]: the field it reads, its place among
	 * the query's such stages, and the schema slot of each of its slots */
	int has_from;
	struct rf_fieldref from;
	int nodrop;                    /* a field it cannot read: keep the record */
	int sub_index;
	int sub_slot[RF_MAX_SLOTS];
	/* parse auto: a config of each format it may pick, bound to the
	 * same slots, in the order it tries them */
	int ncand;
	struct parse_config *cand[RF_AUTO_MAX];
	struct rf_template *tpl;       /* nginx, apache, "PATTERN", alb, elb: the compiled format */
};

/* combined and common: the number of fields a line has */
#define RF_CLF_NFIELDS 12

struct parse_state {
	const struct parse_config *pc;
	struct rf_regex_match *m;
	uint8_t *keep;
	size_t keep_cap;
	/* csv/tsv: the current input's header, as slot -> column */
	int col_of_slot[RF_MAX_SLOTS];
	int have_header;
	/* combined: which clf field goes to which slot */
	int slot_of_field[RF_CLF_NFIELDS];
	char *scratch;        /* json key paths, header names */
	size_t scratch_cap;
	/* json: the structural scanner of the stage's kernel level, and the
	 * offsets of a record's tokens */
	const struct rf_scanner *scanner;
	enum rf_simd scanner_level;
	uint32_t *tok;
	size_t tok_cap;
	uint8_t first_byte[256];  /* json: 1 for the first byte of a slot's name */
	int flat_slots;           /* json: no slot's name has a dot */
	size_t slot_len[RF_MAX_SLOTS];
	size_t max_slot_len;  /* a json path longer than this names no slot */
	struct rf_value sub_row[RF_MAX_SLOTS]; /* parse ... from: its own values */
	/* parse auto: the state of each format once used, and the one the
	 * current input is read as (-1: none fits it) */
	struct parse_state *cand[RF_AUTO_MAX];
	int cur;
	/* while no format fits the lines seen of an input (a pipe's first
	 * read may hold a line or two): how much was seen, to try again */
	int pending;
	size_t seen_bytes, seen_lines;
	/* w3c, cloudfront: the current header's date and time columns, and
	 * how many it names */
	int date_col, time_col, header_cols;
};

/* One format.  Every hook but record may be NULL. */
struct parse_format {
	const char *name;
	const char *const *known;        /* the names it always has, or NULL */
	const char *const *time_fields;  /* what its time field may be called */
	/* the arguments after the format's name */
	int (*configure)(struct parse_config *pc, struct rf_cursor *c);
	/* whether it can make a field of this name (NULL: one of head.known,
	 * or any name when there are none) */
	int (*accepts)(const struct parse_config *pc, const char *name);
	/* the field a slot of this name reads (NULL: $N is N, else -1) */
	int (*field)(const struct parse_config *pc, const char *name);
	/* per-run set-up, once the slots are known */
	int (*open)(struct parse_state *ps);
	/* an input's first line, when it names the columns: a header */
	int (*header)(struct parse_state *ps, struct rf_batch *b, const char *p, size_t n, int *open);
	/* one record into row: 0; 1 when cut off; -1 rejected; below -1 an
	 * error (out of memory) */
	int (*record)(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
		      size_t n, struct rf_value *row);
	/* parse auto: whether an input whose first bytes are [p, p + n) is in
	 * this format (whole lines only: n ends after a newline, or at the
	 * input's end).  1: every line of them is; 0: not.  NULL: auto never
	 * picks this format (it needs arguments, or matches too much). */
	int (*sniff)(const char *p, size_t n);
	/* w3c, cloudfront: lines of an input (#Fields) say how its later
	 * records read, so one stage reads a whole input in order, as a csv
	 * header asks (rf__parse_reads_header), and have_header is cleared at
	 * each input's start */
	int per_input;
};

/* record's answer for a line that is no record (a w3c directive, a blank
 * line): dropped, neither counted as a reject nor cut off */
#define RF_NOT_A_RECORD 2

static inline struct rf_value rf__val(const char *p, size_t n)
{
	return (struct rf_value){ p, (int32_t)n };
}

/* parse_util.c: whether every non-empty line of [p, p + n) is a record of f
 * (its record() returns 0 for it with no fields asked for), and there is
 * one: a sniff hook for a format whose parser is strict */
int rf__sniff_records(const struct parse_format *f, const char *p, size_t n);

/* parse_util.c */
extern const char *const rf__json_time_names[];
int rf__is_dollar_n(const char *name, int *n);
const char *rf__json_string(const char *p, const char *end, struct rf_value *raw, int *escaped);
int rf__json_unescape(struct rf_batch *b, struct rf_value raw, struct rf_value *out);
int rf__json_slot(const struct parse_config *pc, const char *path, size_t len);
int rf__fixed_fields_open(struct parse_state *ps, int nfields);
/* The stage's structural scanner set for kernel level k (NULL: the best),
 * and room in ps->tok for the tokens of an n-byte record: -ENOMEM or 0. */
int rf__parse_scan_room(struct parse_state *ps, const struct rf_kernels *k, size_t n);
int rf__sniff_lines(const char *p, size_t n, int (*line)(void *ctx, const char *p, const char *e), void *ctx);

#endif
