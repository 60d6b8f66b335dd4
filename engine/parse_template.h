/* SPDX-License-Identifier: MIT */
/* parse_template.h - compiled log templates: a format written as literal
 * bytes and named captures (an nginx log_format, an Apache LogFormat, a
 * "* [*] *" pattern, the AWS access logs), compiled once into a list of
 * elements that a record is matched against left to right, with no
 * backtracking.  parse_template.c builds and matches them; the format
 * strings' compilers are in parse_logformat.c and parse_aws.c.
 */
#ifndef RF_PARSE_TEMPLATE_H
#define RF_PARSE_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include "parse.h"

/* captures and the fields derived from them, in all */
#define RF_TPL_MAX_FIELDS 128

enum rf_tpl_kind {
	RF_TPL_LIT,    /* these bytes */
	RF_TPL_UNTIL,  /* a capture up to the first byte of the literal after it */
	RF_TPL_QUOTED, /* a capture between quotes, backslash escapes kept */
	RF_TPL_FIXED,  /* a capture of a known width (a status right before another capture) */
	RF_TPL_REST,   /* a capture to the end of the line */
};

/* what a capture's value means */
enum {
	RF_TPL_SHORT = 1,     /* a few bytes: its end is found with a loop, not memchr */
	RF_TPL_DASH_ZERO = 2, /* "-" is 0: a byte count, as combined reads %b */
	RF_TPL_DASH_NULL = 4, /* "-" is no value: a time or count the server did not have */
	RF_TPL_STATUS = 8,    /* three digits, 100 to 599, or the line is rejected */
	RF_TPL_REQUEST = 16,  /* "METHOD PATH PROTOCOL": fields method, path, protocol follow it */
	RF_TPL_HOSTPORT = 32, /* "IP:PORT": fields NAME_ip and NAME_port follow it */
	RF_TPL_ENCLOSED = 64, /* between quotes or brackets: may be empty */
	RF_TPL_TIME = 128,    /* the record's time: "time" names it too */
	RF_TPL_LIST = 256,    /* nginx's value of several upstreams, "a, b" or "a : b" (an internal
			       * redirect): a blank of such a separator is no end */
};

enum { RF_TPL_WANT_VALUE = 1, RF_TPL_WANT_PARTS = 2 };
enum { RF_TPL_NEED_SELF = 1, RF_TPL_NEED_LIT = 2 };

struct rf_tpl_elem {
	uint8_t kind;
	uint16_t flags;
	uint8_t stop;   /* UNTIL: the first byte of the literal after it */
	uint8_t back;   /* UNTIL, REST: the width of a FIXED capture between it and that literal */
	uint16_t hint;  /* UNTIL: its usual length, where the stop byte is looked for first (0: none);
			 * FIXED: its width */
	uint8_t want;   /* a capture: RF_TPL_WANT_* (what the query reads of it) */
	uint8_t need;   /* RF_TPL_NEED_*: whether a line ending here is rejected */
	uint16_t len;   /* the literal's length (after a capture: the literal following it) */
	int16_t field;  /* a capture's field */
	const char *lit;
};

struct rf_template {
	struct rf_tpl_elem *elem;
	int nelem;
	int required;     /* elements a line must have: ending after them, it is cut off (1); set
			   * before rf__tpl_finish to choose (the elements as built) */
	uint8_t nonempty; /* a capture outside quotes and brackets is never empty */
	uint8_t short_ok; /* a line ending between optional fields is complete (0), not cut off */
	uint8_t retry;    /* a literal whose first byte is found but not the rest is looked for further on */
	uint8_t float_start; /* a first literal is looked for anywhere in the line */
	uint8_t quoted;   /* a capture between quotes is read as a quoted string */
	uint8_t last_word; /* a last capture outside quotes and brackets ends at a blank: fields a
			    * server writes after the format's are left out, not run into it */
	int nfields;
	int nnames;
	char **name;      /* every name, aliases included */
	int16_t *name_field;
	const char *time_fields[2];
	/* while building */
	int *at;          /* each element's offset in the format string, for errors */
	char *text;       /* the literals' bytes */
	size_t text_len, text_cap;
	int cap, names_cap;
};

/* building: 0 or -ENOMEM (a name taken already gets _2, _3, ...) */
struct rf_template *rf__tpl_new(void);
void rf__tpl_free(struct rf_template *t);
int rf__tpl_literal(struct rf_template *t, const char *s, size_t n, int at);
int rf__tpl_capture(struct rf_template *t, const char *name, unsigned flags, int hint, int at);
int rf__tpl_alias(struct rf_template *t, const char *alias, int field);
/* the kinds of the captures, the stops and the rule for cut-off lines.
 * -EINVAL with *bad_at (an element's offset) when two captures touch and
 * neither has a fixed width. */
int rf__tpl_finish(struct rf_template *t, int *bad_at);

/* the field a name reads, or -1 */
int rf__tpl_field_of(const struct rf_template *t, const char *name);
/* A record into f (t->nfields values; the caller sets those it reads to
 * RF_MISSING first): 0, 1 when cut off, -1 rejected. */
int rf__tpl_match(const struct rf_template *t, const char *p, size_t n, struct rf_value *f);

/* the parse stage's side of a template format (parse_template.c) */
int rf__tpl_attach(struct parse_config *pc, struct rf_template *t);
int rf__tpl_field(const struct parse_config *pc, const char *name);
int rf__tpl_record(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
		   size_t n, struct rf_value *row);

#endif
