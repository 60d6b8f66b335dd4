/* SPDX-License-Identifier: MIT */
/* stage_head.c - head N: stop after N records. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "engine.h"
#include "stages.h"

/* ---- head N: stop after N records, or keep N result rows --------------- */

void rf__count_free_config(void *config)
{
	struct count_config *cc = config;
	if (cc)
		free(cc->col_name);
	free(cc);
}

int rf__parse_count_arg(struct rf_cursor *c, const char *verb, uint64_t *out)
{
	const struct rf_arg *a = rf__take(c);
	struct rf_number n;
	if (!a || a->type != RF_ARG_NUMBER || rf__parse_number(a->text, a->len, &n) < 0 || !n.is_int || n.i < 0) {
		rf__fail(c->err, a ? a->column : c->end_column, "%s needs a whole number of rows", verb);
		snprintf(c->err->hint, sizeof c->err->hint, "for example: %s 10", verb);
		return -EINVAL;
	}
	*out = (uint64_t)n.i;
	return 0;
}

int rf__head_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct count_config *cc = calloc(1, sizeof *cc);
	if (!cc)
		return -ENOMEM;
	spec->config = cc;
	return rf__parse_count_arg(c, "head", &cc->n);
}

struct head_state {
	uint64_t limit, seen;
};

static int head_open(struct rf_stage *st, const void *config)
{
	struct head_state *hs = calloc(1, sizeof *hs);
	if (!hs)
		return -ENOMEM;
	hs->limit = ((const struct count_config *)config)->n;
	st->state = hs;
	return 0;
}

static int head_process(struct rf_stage *st, struct rf_batch *b)
{
	struct head_state *hs = st->state;
	uint64_t left = hs->limit - hs->seen;
	uint64_t n = b->all ? rf__batch_all_records(b, st->k) : b->nsel;
	if (n < left) {
		hs->seen += n;
		return 0;
	}
	int r = rf__batch_expand(b, st->k);
	if (r < 0)
		return r;
	b->nsel = (uint32_t)left;
	hs->seen = hs->limit;
	return RF_STOP; /* enough: the run stops reading */
}

static void free_state(struct rf_stage *st)
{
	free(st->state);
	st->state = NULL;
}

const struct rf_verb rf__verb_head = {
	.name = "head",
	.kind = RF_STAGE_LIMIT,
	.usage = "head N",
	.configure = rf__head_configure,
	.free_config = rf__count_free_config,
	.open = head_open,
	.process = head_process,
	.close = free_state,
};
