/* SPDX-License-Identifier: MIT */
/* custom_stage.c - an example program with a stage of its own: `only FIELD
 * VALUE` keeps the records whose FIELD is exactly VALUE (as
 * `where FIELD == "VALUE"` does), registered with rf_register_stage and then
 * used in queries like any verb.
 *
 *   custom_stage [--mode=MODE] QUERY [FILE...]
 *   custom_stage 'parse combined | only method POST | count by path' access.log
 *
 * Built against ringflow.h alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"

struct only {
	int field;
	char *value;
	size_t len;
};

static int only_open(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
		     size_t errlen)
{
	if (argc != 2) {
		snprintf(err, errlen, "needs a FIELD and a VALUE");
		return -EINVAL;
	}
	struct only *o = calloc(1, sizeof *o);
	if (!o || !(o->value = strdup(argv[1]))) {
		free(o);
		return -ENOMEM;
	}
	o->len = strlen(o->value);
	o->field = rf_stage_read(setup, argv[0]);
	if (o->field < 0) {
		int r = o->field;
		free(o->value);
		free(o);
		snprintf(err, errlen, "cannot read the field '%s'", argv[0]);
		return r;
	}
	*state = o;
	return 0;
}

static int only_process(void *state, rf_stage_batch *batch)
{
	const struct only *o = state;
	size_t n = rf_stage_records(batch);
	for (size_t i = 0; i < n; i++) {
		const char *p;
		size_t len;
		if (rf_stage_field(batch, i, o->field, &p, &len) < 0 || len != o->len || memcmp(p, o->value, len) != 0)
			rf_stage_drop(batch, i);
	}
	return 0;
}

static void only_close(void *state)
{
	struct only *o = state;
	if (o)
		free(o->value);
	free(o);
}

static const struct rf_stage_def only_stage = {
	.size = sizeof(struct rf_stage_def),
	.abi_version = RF_STAGE_ABI_VERSION,
	.name = "only",
	.usage = "only FIELD VALUE",
	.open = only_open,
	.process = only_process,
	.close = only_close,
};

int main(int argc, char **argv)
{
	struct rf_options opt;
	rf_options_init(&opt);
	int at = 1;
	if (at < argc && strncmp(argv[at], "--mode=", 7) == 0) {
		if (rf_mode_parse(argv[at] + 7, &opt.mode) < 0) {
			fprintf(stderr, "custom_stage: unknown mode '%s'\n", argv[at] + 7);
			return 2;
		}
		at++;
	}
	if (at >= argc) {
		fprintf(stderr, "usage: custom_stage [--mode=MODE] QUERY [FILE...]\n");
		return 2;
	}
	char err[256];
	if (rf_register_stage(&only_stage, err, sizeof err) < 0) {
		fprintf(stderr, "custom_stage: %s\n", err);
		return 2;
	}
	rf_query *q;
	struct rf_query_error qerr;
	int r = rf_query_parse(argv[at], &q, &qerr);
	if (r < 0) {
		fprintf(stderr, "custom_stage: %s%s%s\n", qerr.message, qerr.hint[0] ? "; " : "", qerr.hint);
		return 2;
	}
	opt.out_fd = 1;
	r = rf_run(q, (const char *const *)argv + at + 1, argc - at - 1, &opt, NULL);
	rf_query_free(q);
	if (r < 0)
		fprintf(stderr, "custom_stage: %s\n", rf_strerror(r));
	return r == 0 ? 0 : 2;
}
