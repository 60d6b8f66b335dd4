/* SPDX-License-Identifier: MIT */
/* parse_split.c - the split format: fields $1..$N between runs of blanks,
 * or between a delimiter's occurrences. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

/* the optional delimiter */
static int split_configure(struct parse_config *pc, struct rf_cursor *c)
{
	const struct rf_arg *a = rf__peek(c);
	if (a && a->type == RF_ARG_STRING) {
		c->i++;
		if (a->len == 0)
			return rf__fail(c->err, a->column, "split: the delimiter cannot be empty");
		if (!(pc->delim = malloc(a->len + 1)))
			return -ENOMEM;
		memcpy(pc->delim, a->text, a->len + 1);
		pc->delim_len = a->len;
	}
	return 0;
}

static int parse_split(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
		       size_t n, struct rf_value *row)
{
	(void)b;
	const struct parse_config *pc = ps->pc;
	struct rf_field f[64];
	int want = pc->max_field;
	size_t nf = 0;
	if (want == 0) {
		nf = 0; /* only $0 is used */
	} else if (!pc->delim && want <= 64) {
		nf = k->split_blank(p, n, (size_t)pc->min_field - 1, (size_t)want, f);
	} else if (!pc->delim) {
		/* past 64 fields: walk, keeping only the wanted ones */
		size_t i = 0;
		for (int i_field = 1; i_field <= want; i_field++) {
			while (i < n && (p[i] == ' ' || p[i] == '\t'))
				i++;
			if (i == n)
				break;
			size_t s = i;
			while (i < n && p[i] != ' ' && p[i] != '\t')
				i++;
			if (i_field <= 64)
				f[i_field - 1] = (struct rf_field){ (uint32_t)s, (uint32_t)i };
			for (int j = 0; j < pc->nslots; j++)
				if (pc->slot_field[j] == i_field)
					row[j] = rf__val(p + s, i - s);
			nf = (size_t)i_field;
		}
	} else {
		size_t i = 0;
		for (int i_field = 1;; i_field++) {
			const char *q = p + i;
			const char *hit = pc->delim_len == 1 ? memchr(q, pc->delim[0], n - i)
							     : memmem(q, n - i, pc->delim, pc->delim_len);
			size_t e = hit ? (size_t)(hit - p) : n;
			if (i_field <= 64)
				f[i_field - 1] = (struct rf_field){ (uint32_t)i, (uint32_t)e };
			for (int j = 0; j < pc->nslots && i_field > 64; j++)
				if (pc->slot_field[j] == i_field)
					row[j] = rf__val(p + i, e - i);
			nf = (size_t)i_field;
			if (!hit || i_field >= want)
				break;
			i = e + pc->delim_len;
		}
	}
	for (int j = 0; j < pc->nslots; j++) {
		int fi = pc->slot_field[j];
		if (fi < 1 || fi > (int)nf) /* (< 1: a field eval makes) */
			row[j] = RF_MISSING;
		else if (fi <= 64)
			row[j] = rf__val(p + f[fi - 1].start, f[fi - 1].end - f[fi - 1].start);
	}
	return 0;
}

static int split_accepts(const struct parse_config *pc, const char *name)
{
	int n;
	(void)pc;
	return rf__is_dollar_n(name, &n);
}

const struct parse_format rf__format_split = {
	.name = "split",
	.configure = split_configure,
	.accepts = split_accepts,
	.record = parse_split,
};
