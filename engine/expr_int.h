/* SPDX-License-Identifier: MIT */
/* expr_int.h - the expression tree, shared by the parser (expr.c) and the
 * evaluator (expr_eval.c). */
#ifndef RF_EXPR_INT_H
#define RF_EXPR_INT_H

#include "expr.h"
#include "tval.h"

enum rf_node {
	N_LIT,       /* lit (and text: its bytes as written) */
	N_FIELD,     /* field: a record's field, or a result column */
	N_AGG,       /* agg: an aggregate's column of the result */
	N_NEG,       /* - a[0] */
	N_ARITH,     /* a[0] ops[0] a[1] ops[1] ... left to right */
	N_CMP,       /* a[0] op a[1] */
	N_MATCH,     /* a[0] ~ re */
	N_CONTAINS,  /* a[0] contains a[1] */
	N_IN,        /* a[0] in (a[1], ...): negate for not in */
	N_ISNULL,    /* a[0] is null: negate for is not null */
	N_AND,       /* a[0] and a[1] and ... */
	N_OR,
	N_NOT,       /* not a[0] */
	N_CALL,      /* call.def(a[0], ...) */
};

enum rf_cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

/* A literal's kind beyond its value's type. */
enum { LIT_PLAIN, LIT_NUMBER, LIT_CIDR };

struct rf_expr {
	enum rf_node kind;
	int column;
	int op;                   /* N_CMP: enum rf_cmp_op */
	int negate;               /* N_IN, N_ISNULL */
	int n;                    /* operands in a[] */
	struct rf_expr **a;
	char *ops;                /* N_ARITH: '+' '-' '*' '/' '%', n - 1 of them */
	/* N_LIT */
	struct rf_tv lit;
	int lit_kind;             /* LIT_NUMBER: compares as text that reads as
				   * a number, as fields do; LIT_CIDR: lit is
				   * the network, prefix its length */
	int prefix;
	int local;                /* a bare time with no zone: on the --tz clock */
	char *text;               /* the literal's bytes (strings, numbers) */
	size_t text_len;
	int text_num;             /* text reads as a number: num (set at bind) */
	struct rf_number num;
	/* N_FIELD */
	struct rf_fieldref field; /* slot: the record's slot, or the column */
	int bare;                 /* written as a bare word, not field("x") */
	int value_pos;            /* stands where a value is compared */
	int tv_idx;               /* an eval'd field: its typed value; -1 */
	int time_field;           /* the parser's time field */
	int table;                /* bound to a result column */
	/* N_AGG */
	int agg;
	/* N_MATCH */
	struct rf_regex *re;
	int re_id;
	/* N_CALL */
	struct rf_fn_call call;
	int call_id;
	/* the root: how many regexes and calls the tree holds */
	int nre, ncalls;
};

#endif
