/* report.c - what a run says: errors and notes (to stderr, or to the
 * caller's on_error), the --strict message, and the result table printed
 * at the end (and by --every as it goes). */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "run.h"

void report_error(struct run *run, const char *input, int err, const char *fmt, ...)
{
	char *msg; /* whole, however long the names in it */
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (run->opt->on_error)
		run->opt->on_error(run->opt->error_user, input, err, msg ? msg : fmt);
	else
		fprintf(stderr, "ringflow: %s: %s\n", input, msg ? msg : fmt);
	free(msg);
}

void print_note(struct run *run, const char *msg)
{
	if (run->opt->on_error)
		run->opt->on_error(run->opt->error_user, "note", 0, msg);
	else
		fprintf(stderr, "ringflow: note: %s\n", msg);
}

void report_note(struct run *run, const char *fmt, ...)
{
	if (run->quiet)
		return; /* a multiprocess worker: the parent reports for all */
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	print_note(run, msg ? msg : fmt);
	free(msg);
}

/* What the parse stage reads, for messages: "json", "combined", "split". */
const char *parse_format(const rf_query *q)
{
	if (q->parse_stage < 0)
		return "records";
	const struct rf_stage_spec *ps = &q->stage[q->parse_stage];
	return ps->nargs && ps->args[0].type == RF_ARG_WORD ? ps->args[0].text : ps->verb->name;
}

void report_strict(struct run *run)
{
	const char *fmt = parse_format(run->q);
	static const char *const why[RF_REJECT_NWHY] = { "cannot be parsed as %s", "no valid timestamp for the time key",
							 "over the match limits of a regular expression" };
	char what[128];
	snprintf(what, sizeof what, why[run->env.first_reject_why], fmt);
	report_error(run, run->env.first_reject_input, -EBADMSG, "line %llu: %s (--strict)",
		     (unsigned long long)run->env.first_reject_line, what);
}

/* --every --format=json: each snapshot one JSON document on one line,
 * {"time":"2026-11-30T13:50:01.123Z","final":false,"rows":[...]}, the
 * result at the end too ("final":true), so a reader parses line by line. */
static int snapshot_head(struct run *run, int final)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char head[96];
	int n = snprintf(head, sizeof head, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"final\":%s,\"rows\":[",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, final ? "true" : "false");
	return rf__writer_put(&run->out, head, (size_t)n);
}

/* The result table, through the stages after the aggregate.  `final`: no
 * more input comes, so the group index can go before the table is built.
 * A top or sort right after the aggregate orders the rows itself, with the
 * keys as its tie-break: the table need not be sorted by key first. */
int print_result(struct run *run, int final)
{
	struct rf_stage *st = &run->stages[run->agg];
	struct rf_table *t = NULL;
	int flags = final ? RF_AGG_FINAL : 0, next = run->agg + 1;
	if (next < run->q->nstages && (strcmp(run->q->stage[next].verb->name, "top") == 0 ||
				       strcmp(run->q->stage[next].verb->name, "sort") == 0))
		flags |= RF_AGG_UNSORTED;
	struct rf_agg_state *agg = rf__agg_stage_state(st);
	if (final && run->rep) { /* for --stats: the state before the result is built */
		run->rep->groups = rf__agg_groups(agg);
		run->rep->group_bytes = rf__agg_bytes(agg);
	}
	int r = rf__agg_result(agg, flags, &t);
	if (r == -EOVERFLOW) {
		run->env.groups_at_limit = rf__agg_groups(agg);
		run->env.resident_at_limit = rf__agg_at_limit(agg);
	}
	if (r < 0)
		return r;
	for (int i = run->agg + 1; i < run->q->nstages && r == 0; i++)
		r = run->q->stage[i].verb->apply(run->q->stage[i].config, t);
	if (r == 0) {
		/* a single number stands alone, also in every snapshot */
		int bare = t->nkeys == 0 && t->ncols == 1;
		if (run->snapshots++ && run->table_out.format != RF_FORMAT_JSON) {
			/* each snapshot is a whole table, with its own header */
			if (run->table_out.format == RF_FORMAT_TABLE && !bare)
				rf__writer_put(&run->out, "\n", 1);
			run->table_out.header_done = 0;
		}
		int doc = run->opt->every_ns && run->table_out.format == RF_FORMAT_JSON;
		run->table_out.json_array = doc;
		if (doc)
			r = snapshot_head(run, final);
		if (r == 0)
			r = rf__table_write(&run->table_out, t, &run->out, bare);
		if (r == 0 && doc)
			r = rf__writer_put(&run->out, "]}\n", 3);
	}
	rf__table_free(t);
	return r;
}
