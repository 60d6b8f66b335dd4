/* SPDX-License-Identifier: MIT */
/* sink.c - a record sink: the records a query lets through, taken as data
 * (no text to parse back), each printed with one of its parsed fields.
 *
 *   examples/sink [--mode=MODE] [--plugin=FILE.so] QUERY FIELD [FILE...]
 *   examples/sink 'parse combined | where status >= 500' status access.log
 *   examples/sink 'parse combined | eval kb = bytes / 1024' kb access.log
 *
 * Output: per record "INPUT:OFFSET<tab>FIELD's value<tab>the record", the
 * input as its index among the FILEs and the offset in bytes.  The field
 * must be one the query reads or makes (eval, lookup, a custom stage's:
 * the sink gets those).  Exit status as examples/query's. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"

struct want {
	const char *field;
	int index;       /* among the batch's fields; -2: not looked up yet */
};

static int on_records(void *user, const struct rf_records *batch)
{
	struct want *w = user;
	if (w->index == -2 && (w->index = rf_records_field(batch, w->field)) < 0) {
		fprintf(stderr, "sink: the query does not read a field '%s'\n", w->field);
		return -EINVAL;
	}
	for (size_t i = 0; i < batch->count; i++) {
		const struct rf_record *rec = &batch->record[i];
		const struct rf_field_span *f = &batch->field[i * (size_t)batch->nfields + (size_t)w->index];
		printf("%d:%" PRIu64 "\t%.*s\t%.*s\n", rec->input, rec->offset, f->data ? (int)f->len : 0,
		       f->data ? f->data : "", (int)rec->len, rec->data);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rf_options opt;
	rf_options_init(&opt);
	int a = 1;
	char err[256];
	for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
		if (strncmp(argv[a], "--mode=", 7) == 0 && rf_mode_parse(argv[a] + 7, &opt.mode) == 0)
			continue;
		if (strncmp(argv[a], "--plugin=", 9) == 0 && rf_plugin_load(argv[a] + 9, err, sizeof err) < 0) {
			fprintf(stderr, "sink: %s\n", err);
			return 2;
		}
		if (strncmp(argv[a], "--plugin=", 9) != 0)
			a = argc;
	}
	if (argc - a < 2) {
		fprintf(stderr, "usage: %s [--mode=MODE] [--plugin=FILE.so] QUERY FIELD [FILE...]\n", argv[0]);
		return 2;
	}
	rf_query *q;
	struct rf_query_error qerr;
	if (rf_query_parse(argv[a], &q, &qerr) < 0) {
		fprintf(stderr, "sink: column %d: %s\n", qerr.column, qerr.message);
		return 2;
	}
	int nin = argc - a - 2;
	struct rf_input *in = calloc((size_t)nin + 1, sizeof *in);
	if (!in)
		return 2;
	for (int i = 0; i < nin; i++)
		in[i] = (struct rf_input){ .size = sizeof in[i], .kind = RF_INPUT_PATH, .path = argv[a + 2 + i] };
	struct want w = { argv[a + 1], -2 };
	struct rf_sink sink = { .size = sizeof sink, .on_records = on_records, .user = &w };
	int r = rf_run_inputs(q, in, nin, &opt, &sink, NULL);
	if (r < 0)
		fprintf(stderr, "sink: %s\n", rf_strerror(r));
	free(in);
	rf_query_free(q);
	return r < 0 ? 2 : r;
}
