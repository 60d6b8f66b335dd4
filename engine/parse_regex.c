/* SPDX-License-Identifier: MIT */
/* parse_regex.c - the regex format: fields are a PCRE2 pattern's named
 * groups; a line the pattern does not match is rejected. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

/* the quoted pattern after "regex" */
static int regex_configure(struct parse_config *pc, struct rf_cursor *c)
{
	const struct rf_arg *pat = rf__take(c);
	if (!pat || pat->type != RF_ARG_STRING) {
		rf__fail(c->err, pat ? pat->column : c->end_column, "parse regex needs a quoted pattern with named groups");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: parse regex \"took (?<ms>[0-9]+)ms\"");
		return -EINVAL;
	}
	if (!(pc->re = rf__regex_compile(pat->text, pat->len, 0, 0, c->err, pat->column)))
		return -EINVAL;
	int ngroups = rf__regex_names(pc->re, NULL, NULL, 0);
	pc->group_name = calloc((size_t)ngroups + 1, sizeof *pc->group_name);
	pc->group_number = calloc((size_t)ngroups + 1, sizeof *pc->group_number);
	if (!pc->group_name || !pc->group_number)
		return -ENOMEM;
	pc->ngroups = rf__regex_names(pc->re, pc->group_name, pc->group_number, ngroups);
	if (pc->ngroups == 0) {
		rf__fail(c->err, pat->column, "the pattern has no named groups, so it makes no fields");
		snprintf(c->err->hint, sizeof c->err->hint, "name a group: (?<status>[0-9]{3})");
		return -EINVAL;
	}
	const char **known = calloc((size_t)pc->ngroups + 1, sizeof *known);
	if (!known)
		return -ENOMEM;
	for (int i = 0; i < pc->ngroups; i++)
		known[i] = pc->group_name[i];
	pc->head.known = known;
	int has_time = 0;
	for (int i = 0; i < pc->ngroups; i++)
		has_time |= strcmp(pc->group_name[i], "time") == 0;
	if (!has_time)
		pc->head.time_fields = NULL;
	return 0;
}

/* a slot's field: the number of the group of its name */
static int regex_field(const struct parse_config *pc, const char *name)
{
	int n = -1;
	for (int g = 0; g < pc->ngroups; g++)
		if (strcmp(pc->group_name[g], name) == 0)
			n = pc->group_number[g];
	return n;
}

static int regex_open(struct parse_state *ps)
{
	if (!(ps->m = rf__regex_match_new(ps->pc->re)))
		return -ENOMEM;
	return 0;
}

static int parse_regex(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
		       size_t n, struct rf_value *row)
{
	size_t s, e;
	(void)k;
	(void)b;
	int r = rf__regex_search(ps->pc->re, ps->m, p, n, 0, &s, &e);
	if (r <= 0)
		return -1;
	for (int i = 0; i < ps->pc->nslots; i++) {
		row[i] = RF_MISSING;
		if (rf__regex_group(ps->m, ps->pc->slot_field[i], &s, &e))
			row[i] = rf__val(p + s, e - s);
	}
	return 0;
}

static const char *const time_only[] = { "time", NULL };

const struct parse_format rf__format_regex = {
	.name = "regex",
	.time_fields = time_only, /* none when no group is called time */
	.configure = regex_configure,
	.field = regex_field,
	.open = regex_open,
	.record = parse_regex,
};
