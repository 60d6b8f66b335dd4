/* SPDX-License-Identifier: MIT */
/* tval.h - typed values of the expression language (where, eval, the
 * arguments of aggregates, HAVING), and the function library's interface.
 *
 * Field values arrive as text (struct rf_value); an expression reads them
 * as RF_TV_STR with `text` set, and a comparison or function that wants a
 * number, time or address converts the text then.  Values an expression
 * makes (arithmetic, functions) carry their own type. */
#ifndef RF_TVAL_H
#define RF_TVAL_H

#include <stddef.h>
#include <stdint.h>

enum rf_tv_type {
	RF_TV_NULL,   /* missing field, division by zero, failed conversion */
	RF_TV_BOOL,   /* i: 0 or 1 */
	RF_TV_INT,    /* i */
	RF_TV_FLOAT,  /* d */
	RF_TV_STR,    /* s, len bytes (not NUL-terminated) */
	RF_TV_TIME,   /* i: nanoseconds since the epoch, UTC */
	RF_TV_DUR,    /* i: nanoseconds */
	RF_TV_IP,     /* ip: 16 bytes, IPv4 as ::ffff:a.b.c.d; len 4 or 16 (family) */
};

struct rf_tv {
	uint8_t type;
	uint8_t text;   /* STR: the bytes are a field's text, not a literal or a
			 * computed string (they may still read as a number) */
	uint16_t pad;
	uint32_t len;
	union {
		int64_t i;
		double d;
		const char *s;
		uint8_t ip[16];
	} u;
};
_Static_assert(sizeof(struct rf_tv) == 24, "a typed value is three words");

static inline struct rf_tv rf_tv_null(void) { return (struct rf_tv){ .type = RF_TV_NULL }; }
static inline struct rf_tv rf_tv_int(int64_t i) { return (struct rf_tv){ .type = RF_TV_INT, .u.i = i }; }
static inline struct rf_tv rf_tv_float(double d) { return (struct rf_tv){ .type = RF_TV_FLOAT, .u.d = d }; }
static inline struct rf_tv rf_tv_bool(int b) { return (struct rf_tv){ .type = RF_TV_BOOL, .u.i = !!b }; }
static inline struct rf_tv rf_tv_str(const char *s, size_t n)
{
	return (struct rf_tv){ .type = RF_TV_STR, .len = (uint32_t)n, .u.s = s };
}

/* A duration: NUMBER UNIT, repeated (1h30m, 1.5s, 250ms), units ns us
 * (or µs) ms s m h d w, an optional sign.  0 and nanoseconds, or -1. */
int rf__parse_duration_ns(const char *p, size_t n, int64_t *out);

/* Truth in a condition: true, a number not 0 (nor NaN), a string not
 * empty, any time, duration or address; not null or false. */
int rf__tv_truthy(const struct rf_tv *v);
/* The text of a typed value (not a string, not null) into buf: its
 * length, or -1 when it does not fit. */
struct rf_tz;
int rf__tv_format(const struct rf_tv *v, const struct rf_tz *tz, char *buf, size_t cap);

/* Conversions the functions share (tval.c).  Each returns 0, or -1 when
 * the value does not convert (the caller then yields null). */
/* A number: INT or FLOAT as they are, a STR that reads as a number
 * (rf__parse_number), BOOL as 0/1; times and durations do not convert. */
int rf__tv_to_number(const struct rf_tv *v, struct rf_tv *out);
/* A time: TIME as it is, a STR in any form rf__parse_time_ns reads. */
int rf__tv_to_time(const struct rf_tv *v, struct rf_tv *out);
/* An address: IP as it is, a STR holding an IPv4 or IPv6 address. */
int rf__tv_to_ip(const struct rf_tv *v, struct rf_tv *out);
/* Text of any value (numbers in the stable output form, times as RFC 3339
 * UTC, durations as 1h2m3.5s, addresses as inet_ntop writes them), into
 * memory from alloc.  -1 if alloc fails. */
struct rf_fn_env;
int rf__tv_to_text(const struct rf_tv *v, struct rf_fn_env *env, struct rf_tv *out);

/* ---- the function library (expr_funcs.c) ----
 *
 * A function is called once per row with its evaluated arguments (NULL
 * arguments included: most functions then return null, coalesce does not).
 * Memory for a result string comes from env->alloc, valid until the batch
 * (or the result table) is done with. */
struct rf_tz;
struct rf_fn_env {
	char *(*alloc)(void *user, size_t n);   /* NULL on failure */
	void *user;
	int error;                              /* set to -ENOMEM on failure */
	const struct rf_tz *tz;                 /* --tz: times print in it (NULL: UTC) */
};

struct rf_fn_def;

/* One call site: its definition, and what `prepare` made of its constant
 * arguments (a compiled regex, a parsed CIDR, ...). */
struct rf_fn_call {
	const struct rf_fn_def *def;
	int argc;
	void *prepared;
};

struct rf_query_error;

struct rf_fn_def {
	const char *name;
	int min_args, max_args;       /* max -1: any number */
	const char *usage;            /* "substr(s, start[, len])" for errors */
	/* Optional, at parse time: consts[i] is the value of argument i when it
	 * is a literal, else NULL.  Fill call->prepared; on a bad argument fill
	 * err (rf__fail, column of argument i in cols[i]) and return -EINVAL. */
	int (*prepare)(struct rf_fn_call *call, const struct rf_tv *const *consts, const int *cols,
		       struct rf_query_error *err);
	void (*release)(struct rf_fn_call *call);
	/* One row: args[0 .. argc) in, *out the result.  scratch: this call
	 * site's per-thread scratch (below), or NULL. */
	void (*eval)(const struct rf_fn_call *call, const struct rf_tv *args, struct rf_tv *out,
		     struct rf_fn_env *env, void *scratch);
	/* Optional per-thread scratch of a call site (regex match data, which
	 * threads cannot share): made once per evaluation context, NULL on
	 * allocation failure. */
	void *(*scratch_new)(const struct rf_fn_call *call);
	void (*scratch_free)(void *scratch);
};

/* The table of functions, NULL-terminated, and a look-up by name. */
extern const struct rf_fn_def *const rf__functions[];
const struct rf_fn_def *rf__find_function(const char *name);

#endif
