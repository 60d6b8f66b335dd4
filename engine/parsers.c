/* SPDX-License-Identifier: MIT */
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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "parse.h"
#include "parse_template.h"

/* The formats of parse FORMAT.  A new format: its file, and a line here. */
extern const struct parse_format rf__format_split, rf__format_combined, rf__format_common, rf__format_json,
	rf__format_logfmt, rf__format_csv, rf__format_tsv, rf__format_regex;
extern const struct parse_format rf__format_nginx, rf__format_apache, rf__format_pattern, rf__format_alb,
	rf__format_elb;
extern const struct parse_format rf__format_rfc5424, rf__format_rfc3164, rf__format_syslog, rf__format_w3c,
	rf__format_cloudfront, rf__format_cri, rf__format_docker;

/* The order is parse auto's too: of two formats that read a sample, the
 * first is taken, so a narrower one comes first (a docker line is json). */
static const struct parse_format *const formats[] = {
	&rf__format_combined, &rf__format_common, &rf__format_docker, &rf__format_json, &rf__format_logfmt,
	&rf__format_csv, &rf__format_tsv, &rf__format_regex, &rf__format_nginx, &rf__format_apache,
	&rf__format_pattern, &rf__format_alb, &rf__format_elb,
	&rf__format_rfc5424, &rf__format_rfc3164, &rf__format_syslog, &rf__format_w3c, &rf__format_cloudfront,
	&rf__format_cri, NULL,
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
	rf__tpl_free(pc->tpl);
	for (int i = 0; i < pc->nslots; i++)
		free(pc->slot_name[i]);
	free(pc->group_name);
	free(pc->group_number);
	rf__fieldref_free(&pc->from);
	for (int i = 0; i < pc->ncand; i++)
		free_config(pc->cand[i]);
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
	int r = f->configure ? f->configure(pc, c) : 0;
	if (r < 0 || !rf__accept(c, RF_ARG_WORD, "from"))
		return r;
	/* parse FORMAT from FIELD [nodrop] */
	int at = c->i - 1;
	if (pc->ncand) {
		rf__fail(c->err, c->args[at].column, "parse auto reads whole inputs, not a field: name the format");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: parse logfmt from message");
		return -EINVAL;
	}
	if (f->header || f->per_input) {
		rf__fail(c->err, c->args[at].column, "parse %s cannot read a field: it takes names from a header line",
			 f->name);
		return -EINVAL;
	}
	if ((r = rf__parse_fieldref(c, &pc->from, "a field to parse after 'from'")) < 0)
		return r;
	pc->has_from = 1;
	pc->nodrop = rf__accept(c, RF_ARG_WORD, "nodrop");
	return 0;
}

static int split_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	return new_config(spec, c, &rf__format_split);
}

/* "formats: combined common ..." */
static void formats_hint(struct rf_query_error *err)
{
	size_t at = (size_t)snprintf(err->hint, sizeof err->hint, "formats: auto");
	for (int i = 0; formats[i] && at < sizeof err->hint; i++)
		at += (size_t)snprintf(err->hint + at, sizeof err->hint - at, " %s", formats[i]->name);
}

/* ---- parse auto ---- */

/* Any name one of its formats can make. */
static int auto_accepts(const struct parse_config *pc, const char *name)
{
	for (int i = 0; i < pc->ncand; i++)
		if (accepts(&pc->cand[i]->head, name))
			return 1;
	return 0;
}

/* A config of every format that can say whether an input is its own. */
static int auto_configure(struct parse_config *pc, struct rf_cursor *c)
{
	for (int i = 0; formats[i]; i++) {
		if (!formats[i]->sniff)
			continue;
		struct rf_stage_spec one = { 0 };
		struct rf_cursor none = { NULL, 0, 0, c->end_column, c->err };
		if (pc->ncand == RF_AUTO_MAX)
			return -E2BIG;
		int r = new_config(&one, &none, formats[i]);
		pc->cand[pc->ncand++] = one.config;
		if (r < 0)
			return r;
	}
	return 0;
}

/* each format's time field among them; timestamp first: in w3c and
 * cloudfront `time` is a time of day, their `timestamp` the instant */
static const char *const auto_time_names[] = { "timestamp", "time", "ts", "@timestamp", NULL };

static const struct parse_format format_auto = {
	.name = "auto",
	.time_fields = auto_time_names,
	.configure = auto_configure,
	.accepts = auto_accepts,
};

/* The sample of an input parse auto looks at: its first lines, up to 64
 * KiB and 256 lines (the first line whole, however long). */
static size_t sample_len(const char *p, size_t n)
{
	size_t cap = n < ((size_t)64 << 10) ? n : (size_t)64 << 10;
	const char *nl = memchr(p, '\n', n);
	if (nl && (size_t)(nl + 1 - p) > cap)
		return (size_t)(nl + 1 - p);
	size_t at = 0;
	for (int lines = 0; lines < 256 && at < cap; lines++) {
		const char *e = memchr(p + at, '\n', cap - at);
		if (!e)
			return n <= cap ? n : at; /* a line cut by the cap is left out */
		at = (size_t)(e + 1 - p);
	}
	return at;
}

/* The format an input starting with [p, p + n) is in: the first (in the
 * table's order) that reads every line of the sample; failing that the one
 * that reads the most lines, if that is at least half of them; else -1. */
static int auto_detect(const struct parse_config *pc, const char *p, size_t n)
{
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) { /* a UTF-8 byte order mark */
		p += 3;
		n -= 3;
	}
	n = sample_len(p, n);
	for (int i = 0; i < pc->ncand; i++)
		if (pc->cand[i]->fmt->sniff(p, n) == 1)
			return i;
	int score[RF_AUTO_MAX] = { 0 }, lines = 0;
	for (const char *q = p, *end = p + n; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		size_t len = (size_t)((nl ? nl + 1 : end) - q);
		if (len > 1 || (len == 1 && *q != '\n')) {
			lines++;
			for (int i = 0; i < pc->ncand; i++)
				score[i] += pc->cand[i]->fmt->sniff(q, len) == 1;
		}
		q += len;
	}
	int best = -1;
	for (int i = 0; i < pc->ncand; i++)
		if (score[i] > 0 && (best < 0 || score[i] > score[best]))
			best = i;
	return best >= 0 && 2 * score[best] >= lines ? best : -1;
}

void rf__auto_summary(const struct rf_stage_env *env, char *buf, size_t size)
{
	size_t at = 0;
	buf[0] = 0;
	int k = 0;
	for (int i = 0; formats[i] && at < size; i++) {
		if (!formats[i]->sniff)
			continue;
		if (env->auto_picked[k])
			at += (size_t)snprintf(buf + at, size - at, "%s%s %u", at ? ", " : "", formats[i]->name,
					       env->auto_picked[k]);
		k++;
	}
	if (env->auto_picked[RF_AUTO_MAX] && at < size)
		snprintf(buf + at, size - at, "%snone %u", at ? ", " : "", env->auto_picked[RF_AUTO_MAX]);
}

static int parse_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	const struct rf_arg *a = rf__peek(c);
	if (a && a->type == RF_ARG_WORD && strcmp(a->text, "auto") == 0) {
		c->i++;
		return new_config(spec, c, &format_auto);
	}
	if (a && a->type == RF_ARG_STRING) /* parse "* [*] *" as a, b, c: the pattern format reads it */
		return new_config(spec, c, &rf__format_pattern);
	a = rf__take(c);
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

/* what each slot of sc reads */
static int bind_slots(struct parse_config *pc, const struct rf_schema *sc)
{
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

static int bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	struct parse_config *pc = spec->config;
	if (pc->has_from) {
		/* its field is one the stages before it made; the names after
		 * it may be its own (rf__parse_sub_slots fills them in) */
		int r = rf__schema_bind(sc, &pc->from, err);
		if (r < 0)
			return r;
		if (sc->nsub == RF_MAX_SUBPARSE)
			return rf__fail(err, spec->column, "too many parse ... from stages (at most %d)",
					RF_MAX_SUBPARSE);
		pc->sub_index = sc->nsub;
		sc->sub[sc->nsub++] = &pc->head;
		return 0;
	}
	int r = bind_slots(pc, sc);
	for (int i = 0; r == 0 && i < pc->ncand; i++)
		r = bind_slots(pc->cand[i], sc);
	return r;
}

int rf__parse_is_sub(const struct rf_stage_spec *spec)
{
	const struct parse_config *pc = spec->config;
	return pc && pc->has_from;
}

int rf__parse_sub_slots(struct rf_stage_spec *spec, const struct rf_schema *sc)
{
	struct parse_config *pc = spec->config;
	struct rf_schema own = { .parser = &pc->head };
	for (int i = 0; i < sc->nslots; i++)
		if (sc->slot_sub[i] & (1u << pc->sub_index)) {
			pc->sub_slot[own.nslots] = i;
			own.slot_name[own.nslots++] = sc->slot_name[i];
		}
	/* the slots of its own, numbered from 0, as a first parse has them */
	return bind_slots(pc, &own);
}

/* ---- per-run state ---- */

static void state_free(struct parse_state *ps)
{
	if (!ps)
		return;
	for (int i = 0; i < RF_AUTO_MAX; i++)
		state_free(ps->cand[i]);
	rf__regex_match_free(ps->m);
	free(ps->keep);
	free(ps->scratch);
	free(ps->tok);
	free(ps);
}

/* *out: the per-run state of a parse of config pc (NULL on failure) */
static int state_new(const struct parse_config *pc, struct parse_state **out)
{
	struct parse_state *ps = *out = calloc(1, sizeof *ps);
	if (!ps)
		return -ENOMEM;
	ps->pc = pc;
	ps->cur = -1;
	for (int i = 0; i < pc->nslots; i++) {
		ps->slot_len[i] = strlen(pc->slot_name[i]);
		if (ps->slot_len[i] > ps->max_slot_len)
			ps->max_slot_len = ps->slot_len[i];
	}
	int r = pc->fmt->open ? pc->fmt->open(ps) : 0;
	if (r < 0) {
		state_free(ps);
		*out = NULL;
	}
	return r;
}

static int parse_open(struct rf_stage *st, const void *config)
{
	struct parse_state *ps;
	int r = state_new(config, &ps);
	st->state = ps;
	return r;
}

static void parse_close(struct rf_stage *st)
{
	state_free(st->state);
	st->state = NULL;
}

/* ---- the stage ---- */

static int keep_room(struct parse_state *ps, uint32_t n)
{
	if (n > ps->keep_cap) {
		uint8_t *k = realloc(ps->keep, n);
		if (!k)
			return -ENOMEM;
		ps->keep = k;
		ps->keep_cap = n;
	}
	return 0;
}

/* parse FORMAT from FIELD: the field of each record, parsed; what it finds
 * goes over the slots it owns (a name it does not find keeps what the
 * parses before it found).  A field it cannot read, or one that is not
 * there, rejects the record, or with nodrop leaves it as it was. */
static int sub_process(struct rf_stage *st, struct rf_batch *b)
{
	struct parse_state *ps = st->state;
	const struct parse_config *pc = ps->pc;
	int r;
	if (!b->has_vals || keep_room(ps, b->nsel) < 0)
		return b->has_vals ? -ENOMEM : 0;
	int dropped = 0;
	uint64_t cut = 0;
	for (uint32_t i = 0; i < b->nsel; i++) {
		struct rf_value v = rf__field(b, i, &pc->from);
		int ok = -1;
		if (!rf_value_missing(v))
			ok = pc->fmt->record(ps, st->k, b, v.p, (size_t)v.len, ps->sub_row);
		if (ok < -1)
			return ok;
		ps->keep[i] = 1;
		if (ok < 0 && pc->nodrop)
			continue;
		if (ok < 0 || (ok == 1 && st->env->strict)) {
			ps->keep[i] = 0;
			dropped = 1;
			if ((r = rf__reject_why(st, b, i, ok < 0 ? RF_REJECT_FROM : RF_REJECT_CUT)) < 0)
				return r;
			continue;
		}
		cut += ok == 1;
		struct rf_value *row = &b->vals[(size_t)i * b->nslots];
		for (int j = 0; j < pc->nslots; j++)
			if (!rf_value_missing(ps->sub_row[j]))
				row[pc->sub_slot[j]] = ps->sub_row[j];
	}
	if (cut)
		st->env->cut_off += cut;
	if (dropped)
		rf__batch_filter(b, ps->keep);
	return 0;
}

/* parse auto: the format an input is read in, from its first batch.  A
 * batch of a pipe may hold only what its first read brought (a banner, a
 * blank line): while no format fits and less than a whole sample was seen,
 * each next batch is tried too (its records rejected meanwhile).  The input
 * is counted as read in no format until one fits. */
static int auto_pick(struct rf_stage *st, struct parse_state *ps, const struct rf_batch *b)
{
	const struct parse_config *pc = ps->pc;
	int was_pending = ps->pending && !b->input_start;
	if (b->input_start)
		ps->seen_bytes = ps->seen_lines = 0;
	int i = ps->cur = auto_detect(pc, b->data, b->len);
	ps->seen_bytes += b->len;
	ps->seen_lines += (size_t)st->k->count_byte(b->data, b->len, '\n');
	ps->pending = i < 0 && ps->seen_bytes < ((size_t)64 << 10) && ps->seen_lines < 256;
	if (was_pending && i < 0)
		return 0; /* counted as none already */
	if (st->env->lock)
		pthread_mutex_lock(st->env->lock);
	if (was_pending)
		st->env->auto_picked[RF_AUTO_MAX]--;
	st->env->auto_picked[i >= 0 ? i : RF_AUTO_MAX]++;
	if (st->env->lock)
		pthread_mutex_unlock(st->env->lock);
	return i >= 0 && !ps->cand[i] ? state_new(pc->cand[i], &ps->cand[i]) : 0;
}

/* An input no format fits: each of its records is a reject. */
static int reject_all(struct rf_stage *st, struct parse_state *ps, struct rf_batch *b)
{
	int r = rf__batch_expand(b, st->k);
	if (r == 0 && (r = keep_room(ps, b->nsel)) == 0)
		memset(ps->keep, 0, b->nsel);
	for (uint32_t i = 0; r == 0 && i < b->nsel; i++)
		r = rf__reject(st, b, i);
	if (r == 0)
		rf__batch_filter(b, ps->keep);
	return r;
}

static int parse_records(struct rf_stage *st, struct parse_state *ps, struct rf_batch *b);

static int parse_process(struct rf_stage *st, struct rf_batch *b)
{
	struct parse_state *ps = st->state;
	const struct parse_config *pc = ps->pc;
	if (pc->has_from)
		return sub_process(st, b);
	if (pc->ncand) {
		int r = b->input_start || ps->pending ? auto_pick(st, ps, b) : 0;
		if (r < 0)
			return r;
		return ps->cur >= 0 ? parse_records(st, ps->cand[ps->cur], b) : reject_all(st, ps, b);
	}
	return parse_records(st, ps, b);
}

static int parse_records(struct rf_stage *st, struct parse_state *ps, struct rf_batch *b)
{
	const struct parse_config *pc = ps->pc;
	int r = rf__batch_expand(b, st->k);
	if (r < 0)
		return r;
	uint32_t ns = (uint32_t)pc->nslots;
	if (rf__batch_reserve_vals(b, ns ? ns : 1) < 0)
		return -ENOMEM;
	b->nslots = ns ? ns : 1;
	if (keep_room(ps, b->nsel) < 0)
		return -ENOMEM;
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
		if (b->input_start && b->sel[i].off == 0 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
			p += 3; /* a UTF-8 byte order mark before an input's first record */
			n -= 3;
		}
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
			/* a w3c directive: no record, and no reject */
			ps->keep[i] = 0;
			dropped = 1;
			continue;
		}
		if (ok == 1 && st->env->strict) {
			/* --strict keeps no record short of its fields */
			ps->keep[i] = 0;
			dropped = 1;
			if ((r = rf__reject_why(st, b, i, RF_REJECT_CUT)) < 0)
				return r;
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
	.usage = "parse auto|combined|common|json|logfmt|csv|tsv|regex \"PATTERN\"|nginx 'FORMAT'|apache 'FORMAT'|alb|elb|"
		 "rfc5424|rfc3164|syslog|w3c|cloudfront|cri|docker [from FIELD [nodrop]], or parse \"* [*] *\" as a, b, c",
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

char rf__parse_csv_sep(const struct rf_query *q)
{
	if (q->parse_stage < 0)
		return 0;
	const struct parse_config *pc = q->stage[q->parse_stage].config;
	if (pc->fmt == &rf__format_csv)
		return ',';
	return pc->fmt == &rf__format_tsv ? '\t' : 0;
}

int rf__parse_whole_inputs(const struct rf_stage_spec *spec)
{
	const struct parse_config *pc = spec->config;
	return pc && !pc->has_from && (pc->fmt->header || pc->fmt->per_input || pc->ncand);
}
