/* SPDX-License-Identifier: MIT */
/* plugin_broken.c - plugins that must not load, for tests/plugins.sh.
 *
 * Built as it is: two stages, "upper" (a row stage that does nothing) and
 * "count", whose name a built-in verb has.  The second cannot register,
 * so neither may: the first must not be left behind holding its name.
 * With -DUNDEFINED: a plugin calling a function no library defines, which
 * dlopen's RTLD_NOW refuses at load time.  With -DRECURSIVE: a plugin whose
 * rf_plugin_init loads the plugin named by $PLUGIN_INNER and says on
 * stderr what rf_plugin_load returned (it must refuse, not hang). */
#include <stddef.h>
#ifdef RECURSIVE
#include <stdio.h>
#include <stdlib.h>
#endif
#include "ringflow.h"

#ifdef UNDEFINED
int rf_no_such_function(void);
#endif

static int nothing_open(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
			size_t errlen)
{
	*state = NULL;
#ifdef UNDEFINED
	return rf_no_such_function();
#else
	return 0;
#endif
}

static int nothing_process(void *state, rf_stage_batch *batch)
{
	return 0;
}

static const struct rf_stage_def upper_stage = {
	.size = sizeof(struct rf_stage_def),
	.abi_version = RF_STAGE_ABI_VERSION,
	.name = "upper",
	.open = nothing_open,
	.process = nothing_process,
};

static const struct rf_stage_def count_stage = {
	.size = sizeof(struct rf_stage_def),
	.abi_version = RF_STAGE_ABI_VERSION,
	.name = "count",
	.open = nothing_open,
	.process = nothing_process,
};

static const struct rf_stage_def *const stages[] = { &upper_stage, &count_stage, NULL };

static const struct rf_plugin plugin = {
	.size = sizeof(struct rf_plugin),
	.abi_version = RF_STAGE_ABI_VERSION,
	.stages = stages,
};

const struct rf_plugin *rf_plugin_init(void)
{
#ifdef RECURSIVE
	char err[512] = "";
	int r = rf_plugin_load(getenv("PLUGIN_INNER"), err, sizeof err);
	fprintf(stderr, "inner load: %d: %s\n", r, err);
	return NULL;
#else
	return &plugin;
#endif
}
