/* stages.c - the built-in verbs: count and grep. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

/* ---- count ---------------------------------------------------------- */

static int count_configure(struct rf_stage_spec *spec, struct rf_query_error *err)
{
	if (spec->nargs > 0) {
		err->column = spec->args[0].column;
		snprintf(err->message, sizeof err->message,
			 "count takes no arguments yet (grouping with 'by' comes with the query language)");
		return -EINVAL;
	}
	return 0;
}

static int count_open(struct rf_stage *st, const void *config)
{
	(void)config;
	st->state = calloc(1, sizeof(uint64_t));
	return st->state ? 0 : -ENOMEM;
}

static int count_process(struct rf_stage *st, struct rf_batch *b)
{
	*(uint64_t *)st->state += b->all ? rf__batch_all_records(b, st->k) : b->nsel;
	return 0;
}

static int count_finish(struct rf_stage *st, struct rf_writer *out)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%" PRIu64 "\n", *(uint64_t *)st->state);
	return rf__writer_put(out, line, (size_t)n);
}

static void count_close(struct rf_stage *st)
{
	free(st->state);
	st->state = NULL;
}

static const struct rf_verb verb_count = {
	.name = "count",
	.kind = RF_STAGE_AGGREGATE,
	.usage = "count",
	.configure = count_configure,
	.open = count_open,
	.process = count_process,
	.finish = count_finish,
	.close = count_close,
};

/* ---- grep ----------------------------------------------------------- */

struct grep_config {
	char *literal;
	size_t len;
	int invert;
};

struct grep_state {
	const struct grep_config *cfg;
	struct rf_needle needle;
};

static void grep_free_config(void *config)
{
	struct grep_config *gc = config;
	if (gc)
		free(gc->literal);
	free(gc);
}

static int grep_configure(struct rf_stage_spec *spec, struct rf_query_error *err)
{
	struct grep_config *gc = calloc(1, sizeof *gc);
	if (!gc)
		return -ENOMEM;
	const struct rf_arg *lit = NULL;
	for (int i = 0; i < spec->nargs; i++) {
		const struct rf_arg *a = &spec->args[i];
		if (a->type == RF_ARG_FLAG && strcmp(a->text, "-v") == 0) {
			gc->invert = 1;
		} else if (a->type == RF_ARG_FLAG) {
			err->column = a->column;
			snprintf(err->message, sizeof err->message, "grep: unknown flag '%s'", a->text);
			snprintf(err->hint, sizeof err->hint, "grep accepts -v (print lines that do not match)");
			goto fail;
		} else if (!lit) {
			lit = a;
		} else {
			err->column = a->column;
			snprintf(err->message, sizeof err->message,
				 "grep takes one literal; quote it if it holds spaces or '|'");
			goto fail;
		}
	}
	if (!lit) {
		err->column = spec->column;
		snprintf(err->message, sizeof err->message, "grep needs a literal to search for");
		snprintf(err->hint, sizeof err->hint, "for example: grep \"ERROR\"");
		goto fail;
	}
	if (memchr(lit->text, '\n', lit->len)) {
		err->column = lit->column;
		snprintf(err->message, sizeof err->message,
			 "a grep literal cannot hold a newline: records are lines");
		goto fail;
	}
	gc->literal = malloc(lit->len + 1);
	if (!gc->literal) {
		grep_free_config(gc);
		return -ENOMEM;
	}
	memcpy(gc->literal, lit->text, lit->len + 1);
	gc->len = lit->len;
	spec->config = gc;
	return 0;
fail:
	grep_free_config(gc);
	return -EINVAL;
}

static int grep_open(struct rf_stage *st, const void *config)
{
	struct grep_state *gs = calloc(1, sizeof *gs);
	if (!gs)
		return -ENOMEM;
	gs->cfg = config;
	rf__needle_init(&gs->needle, gs->cfg->literal, gs->cfg->len);
	st->state = gs;
	return 0;
}

static int push_span(struct rf_batch *b, size_t off, size_t len)
{
	if (b->nsel == b->sel_cap) {
		int r = rf__batch_reserve(b, (size_t)b->sel_cap + 1);
		if (r < 0)
			return r;
	}
	b->sel[b->nsel].off = (uint32_t)off;
	b->sel[b->nsel].len = (uint32_t)len;
	b->nsel++;
	return 0;
}

/* Length of the record starting at p, without its newline. */
static size_t line_len(const struct rf_kernels *k, const char *p, const char *end)
{
	const char *nl = k->find_byte(p, (size_t)(end - p), '\n');
	return (size_t)((nl ? nl : end) - p);
}

/* Search the raw bytes of an all-selected batch: jump from match to match,
 * widening each to its line, instead of looking at every line. */
static int grep_all(struct rf_stage *st, struct rf_batch *b)
{
	struct grep_state *gs = st->state;
	const struct rf_kernels *k = st->k;
	const char *base = b->data, *end = b->data + b->len, *p = base;
	int invert = gs->cfg->invert;
	b->nsel = 0;
	while (p < end) {
		const char *m = k->find_literal(p, (size_t)(end - p), &gs->needle);
		if (!m)
			break;
		const char *ls = k->find_last_byte(p, (size_t)(m - p), '\n');
		ls = ls ? ls + 1 : p;
		size_t len = line_len(k, m, end) + (size_t)(m - ls);
		if (invert) {
			/* every line between the previous match and this one */
			const char *q = p;
			while (q < ls) {
				size_t l = line_len(k, q, end);
				if (push_span(b, (size_t)(q - base), l) < 0)
					return -ENOMEM;
				q += l + 1;
			}
		} else if (push_span(b, (size_t)(ls - base), len) < 0) {
			return -ENOMEM;
		}
		p = ls + len + 1;
	}
	if (invert) {
		while (p < end) {
			size_t l = line_len(k, p, end);
			if (push_span(b, (size_t)(p - base), l) < 0)
				return -ENOMEM;
			p += l + 1;
		}
	}
	return 0;
}

/* A batch already narrowed by an earlier stage: test each selected record. */
static void grep_selected(struct rf_stage *st, struct rf_batch *b)
{
	struct grep_state *gs = st->state;
	uint32_t keep = 0;
	for (uint32_t i = 0; i < b->nsel; i++) {
		struct rf_span s = b->sel[i];
		int hit = st->k->find_literal(b->data + s.off, s.len, &gs->needle) != NULL;
		if (hit != gs->cfg->invert)
			b->sel[keep++] = s;
	}
	b->nsel = keep;
}

static int grep_process(struct rf_stage *st, struct rf_batch *b)
{
	if (b->all) {
		int r = grep_all(st, b);
		if (r < 0)
			return r;
		b->all = 0;
	} else {
		grep_selected(st, b);
	}
	return 0;
}

static void grep_close(struct rf_stage *st)
{
	free(st->state);
	st->state = NULL;
}

static const struct rf_verb verb_grep = {
	.name = "grep",
	.kind = RF_STAGE_FILTER,
	.usage = "grep [-v] \"LITERAL\"",
	.configure = grep_configure,
	.free_config = grep_free_config,
	.open = grep_open,
	.process = grep_process,
	.close = grep_close,
};

const struct rf_verb *const rf__verbs[] = { &verb_count, &verb_grep, NULL };
