/* SPDX-License-Identifier: MIT */
/* plugin_upper.c - an example plugin: `upper FIELD` adds the field
 * FIELD_upper, FIELD's value with its ASCII letters in upper case (as
 * `eval FIELD_upper = upper(FIELD)` would), and leaves records without
 * FIELD as they are (FIELD_upper missing).
 *
 *   ringflow --plugin ./plugin_upper.so 'parse combined | upper method | count by method_upper' access.log
 *
 * Built against ringflow.h alone; its rf_stage_* calls are resolved in
 * the program that loads it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"

struct upper {
	int in, out;      /* the field read and the one made */
	char *buf;        /* one value, upper-cased */
	size_t cap;
};

static int upper_open(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
		      size_t errlen)
{
#ifdef CRASH_OPEN
	/* a plugin with a bug: the tests check that the crash names it */
	int *volatile nowhere = NULL;
	*nowhere = argc;
#endif
	if (argc != 1) {
		snprintf(err, errlen, "needs one FIELD, got %d arguments", argc);
		return -EINVAL;
	}
	struct upper *u = calloc(1, sizeof *u);
	char name[256];
	if (!u)
		return -ENOMEM;
	if (snprintf(name, sizeof name, "%s_upper", argv[0]) >= (int)sizeof name) {
		free(u);
		snprintf(err, errlen, "the field name is too long");
		return -EINVAL;
	}
	u->in = rf_stage_read(setup, argv[0]);
	u->out = u->in < 0 ? u->in : rf_stage_add(setup, name);
	if (u->in < 0 || u->out < 0) {
		int r = u->in < 0 ? u->in : u->out;
		free(u);
		snprintf(err, errlen, "cannot use the field '%s'", argv[0]);
		return r;
	}
	*state = u;
	return 0;
}

static int upper_process(void *state, rf_stage_batch *batch)
{
	struct upper *u = state;
	size_t n = rf_stage_records(batch);
	for (size_t i = 0; i < n; i++) {
		const char *p;
		size_t len;
		if (rf_stage_field(batch, i, u->in, &p, &len) < 0)
			continue; /* no such field in this record: none made */
		if (len > u->cap) {
			char *b = realloc(u->buf, len);
			if (!b)
				return -ENOMEM;
			u->buf = b;
			u->cap = len;
		}
		for (size_t k = 0; k < len; k++)
			u->buf[k] = p[k] >= 'a' && p[k] <= 'z' ? (char)(p[k] - 'a' + 'A') : p[k];
		int r = rf_stage_set(batch, i, u->out, u->buf, len);
		if (r < 0)
			return r;
	}
	return 0;
}

static void upper_close(void *state)
{
	struct upper *u = state;
	if (u)
		free(u->buf);
	free(u);
}

static const struct rf_stage_def upper_stage = {
	.size = sizeof(struct rf_stage_def),
	.abi_version = RF_STAGE_ABI_VERSION,
	.name = "upper",
	.usage = "upper FIELD",
	.open = upper_open,
	.process = upper_process,
	.close = upper_close,
};

static const struct rf_stage_def *const stages[] = { &upper_stage, NULL };

#ifdef BAD_ABI
/* a plugin built for a version of the interface that is not this one:
 * the tests check that it is refused */
#define PLUGIN_ABI (RF_STAGE_ABI_VERSION + 100)
#else
#define PLUGIN_ABI RF_STAGE_ABI_VERSION
#endif

static const struct rf_plugin plugin = {
	.size = sizeof(struct rf_plugin),
	.abi_version = PLUGIN_ABI,
	.stages = stages,
};

#ifndef NO_ENTRY
const struct rf_plugin *rf_plugin_init(void)
{
	return &plugin;
}
#else
/* the entry under another name: the tests check a plugin without one */
const struct rf_plugin *other_init(void);
const struct rf_plugin *other_init(void)
{
	return &plugin;
}
#endif
