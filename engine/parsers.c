/* parsers.c - the parse stages: split, and parse FORMAT with a format
 * looked up by name in the table of formats below (each in its own file,
 * parse_*.c; what they share is parse.h).
 *
 * A parser only extracts the fields the query names (the schema's slots),
 * and points into the record wherever it can; only unescaped strings are
 * copied, into the batch arena.  A record it cannot read is rejected:
 * counted, written to --rejects, an error under --strict.  A record cut
 * off before its end (a combined line after its status, a csv record
 * inside an open quote) keeps the fields it has and is counted apart
 * (env->cut_off), for a note at the end of the run.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "parse.h"

/* The formats of parse FORMAT.  A new format: its file, and a line here. */
extern const struct parse_format rf__format_split, rf__format_combined, rf__format_common, rf__format_json,
	rf__format_logfmt, rf__format_csv, rf__format_tsv, rf__format_regex;
extern const struct parse_format rf__format_rfc5424, rf__format_rfc3164, rf__format_syslog, rf__format_w3c,
	rf__format_cloudfront, rf__format_cri, rf__format_docker;

static const struct parse_format *const formats[] = {
	&rf__format_combined, &rf__format_common, &rf__format_json, &rf__format_logfmt,
	&rf__format_csv, &rf__format_tsv, &rf__format_regex,
	&rf__format_rfc5424, &rf__format_rfc3164, &rf__format_syslog, &rf__format_w3c, &rf__format_cloudfront,
	&rf__format_cri, &rf__format_docker, NULL,
};

static int accepts(const struct rf_parser *p, const char *name)
{
	const struct parse_config *pc = (const struct parse_config *)p;
	if (pc->fmt->accepts)
		return pc->fmt->accepts(pc, name);
	if (!p->known)
		return 1; /* json, logfmt, csv, tsv: names come with the data */
	for (int i = 0; p->known[i]; i++)
		if (strcmp(p->known[i], name) == 0)
			return 1;
	return 0;
}

static void free_config(void *config)
{
	struct parse_config *pc = config;
	if (!pc)
		return;
	free(pc->delim);
	rf__regex_free(pc->re);
	for (int i = 0; i < pc->nslots; i++)
		free(pc->slot_name[i]);
	free(pc->group_name);
	free(pc->group_number);
	free(pc->head.known == pc->fmt->known ? NULL : (void *)pc->head.known);
	free(pc);
}

/* a stage of format f, with its arguments read */
static int new_config(struct rf_stage_spec *spec, struct rf_cursor *c, const struct parse_format *f)
{
	struct parse_config *pc = calloc(1, sizeof *pc);
	if (!pc)
		return -ENOMEM;
	pc->fmt = f;
	pc->head.format = f->name;
	pc->head.accepts = accepts;
	pc->head.time_fields = f->time_fields;
	pc->head.known = f->known;
	spec->config = pc;
	return f->configure ? f->configure(pc, c) : 0;
}

static int split_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	return new_config(spec, c, &rf__format_split);
}

/* "formats: combined common ..." */
static void formats_hint(struct rf_query_error *err)
{
	size_t at = (size_t)snprintf(err->hint, sizeof err->hint, "formats:");
	for (int i = 0; formats[i] && at < sizeof err->hint; i++)
		at += (size_t)snprintf(err->hint + at, sizeof err->hint - at, " %s", formats[i]->name);
}

static int parse_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	const struct rf_arg *a = rf__take(c);
	if (!a || a->type != RF_ARG_WORD) {
		rf__fail(c->err, a ? a->column : c->end_column, "parse needs a format");
		formats_hint(c->err);
		return -EINVAL;
	}
	const struct parse_format *f = NULL;
	const char *names[sizeof formats / sizeof *formats];
	int n = 0;
	for (; formats[n]; n++) {
		names[n] = formats[n]->name;
		if (strcmp(formats[n]->name, a->text) == 0)
			f = formats[n];
	}
	names[n] = NULL;
	if (!f) {
		rf__fail(c->err, a->column, "unknown format '%s'", a->text);
		rf__suggest(c->err, a->text, names);
		if (!c->err->hint[0])
			formats_hint(c->err);
		return -EINVAL;
	}
	return new_config(spec, c, f);
}

static int bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	struct parse_config *pc = spec->config;
	(void)err;
	pc->nslots = sc->nslots;
	for (int i = 0; i < sc->nslots; i++) {
		if (!(pc->slot_name[i] = strdup(sc->slot_name[i])))
			return -ENOMEM;
		const char *name = sc->slot_name[i];
		int n = -1;
		if (sc->is_eval[i])
			n = RF_SLOT_EVAL; /* eval fills it, even under a parsed field's name */
		else if (pc->fmt->field)
			n = pc->fmt->field(pc, name);
		else if (!rf__is_dollar_n(name, &n))
			n = -1;
		pc->slot_field[i] = n;
		if (n > pc->max_field)
			pc->max_field = n;
		if (n >= 1 && (pc->min_field == 0 || n < pc->min_field))
			pc->min_field = n;
	}
	return 0;
}

/* ---- per-run state ---- */

static int parse_open(struct rf_stage *st, const void *config)
{
	struct parse_state *ps = calloc(1, sizeof *ps);
	if (!ps)
		return -ENOMEM;
	ps->pc = config;
	st->state = ps;
	for (int i = 0; i < ps->pc->nslots; i++) {
		ps->slot_len[i] = strlen(ps->pc->slot_name[i]);
		if (ps->slot_len[i] > ps->max_slot_len)
			ps->max_slot_len = ps->slot_len[i];
	}
	return ps->pc->fmt->open ? ps->pc->fmt->open(ps) : 0;
}

static void parse_close(struct rf_stage *st)
{
	struct parse_state *ps = st->state;
	if (ps) {
		rf__regex_match_free(ps->m);
		free(ps->keep);
		free(ps->scratch);
	}
	free(ps);
	st->state = NULL;
}

/* ---- the stage ---- */

static int parse_process(struct rf_stage *st, struct rf_batch *b)
{
	struct parse_state *ps = st->state;
	const struct parse_config *pc = ps->pc;
	int r = rf__batch_expand(b, st->k);
	if (r < 0)
		return r;
	uint32_t ns = (uint32_t)pc->nslots;
	if (rf__batch_reserve_vals(b, ns ? ns : 1) < 0)
		return -ENOMEM;
	b->nslots = ns ? ns : 1;
	if (b->nsel > ps->keep_cap) {
		uint8_t *k = realloc(ps->keep, b->nsel);
		if (!k)
			return -ENOMEM;
		ps->keep = k;
		ps->keep_cap = b->nsel;
	}
	int dropped = 0;
	uint64_t cut = 0;
	int csv = pc->fmt->header != NULL;
	if ((csv || pc->fmt->per_input) && b->input_start)
		ps->have_header = 0; /* each input names its own columns */
	for (uint32_t i = 0; i < b->nsel; i++) {
		const char *p = b->data + b->sel[i].off;
		size_t n = b->sel[i].len;
		if (n && p[n - 1] == '\r') /* CRLF: the CR belongs to the line end */
			n--;
		struct rf_value *row = &b->vals[(size_t)i * b->nslots];
		int ok;
		if (csv && (n == 0 || !ps->have_header)) {
			/* a blank line is no record; the first other line of an
			 * input is its header: names, not data */
			int open = 0;
			if (n && (r = pc->fmt->header(ps, b, p, n, &open)) < 0)
				return r;
			cut += (uint64_t)open;
			ps->keep[i] = 0;
			dropped = 1;
			continue;
		}
		ok = pc->fmt->record(ps, st->k, b, p, n, row);
		if (ok < -1)
			return ok; /* out of memory */
		if (ok == RF_NOT_A_RECORD) {
			ps->keep[i] = 0;
			dropped = 1;
			continue;
		}
		ps->keep[i] = ok >= 0;
		cut += ok == 1;
		if (ok < 0) {
			dropped = 1;
			if ((r = rf__reject(st, b, i)) < 0)
				return r;
		}
	}
	if (cut)
		st->env->cut_off += cut; /* atomic: workers share the env */
	if (dropped)
		rf__batch_filter(b, ps->keep);
	return 0;
}

const struct rf_verb rf__verb_split = {
	.name = "split",
	.kind = RF_STAGE_PARSE,
	.usage = "split [\"DELIMITER\"]   (fields $1..$N; runs of blanks by default)",
	.configure = split_configure,
	.bind = bind,
	.free_config = free_config,
	.open = parse_open,
	.process = parse_process,
	.close = parse_close,
};

const struct rf_verb rf__verb_parse = {
	.name = "parse",
	.kind = RF_STAGE_PARSE,
	.usage = "parse combined|common|json|logfmt|csv|tsv|regex \"PATTERN\"|"
		 "rfc5424|rfc3164|syslog|w3c|cloudfront|cri|docker",
	.configure = parse_configure,
	.bind = bind,
	.free_config = free_config,
	.open = parse_open,
	.process = parse_process,
	.close = parse_close,
};

int rf__parse_reads_header(const struct rf_stage_spec *spec)
{
	const struct parse_config *pc = spec->config;
	return pc && (pc->fmt->header || pc->fmt->per_input);
}
