/* SPDX-License-Identifier: MIT */
/* plugin_load.c - rf_plugin_load(3) as a program embedding the library
 * calls it, for tests/plugins.sh: load each plugin named, go on after one
 * that fails (the ringflow command stops there), then run a query with
 * whatever stages are registered.
 *
 *   tests/plugin_load [--query QUERY FILE] PLUGIN...
 *
 * Output: one line per plugin, "PLUGIN: ok" or "PLUGIN: error -ERRNO:
 * MESSAGE", then the query's output (TSV).  Exit status: 0, or 2 when the
 * query fails.  Built against ringflow.h alone. */
#include <stdio.h>
#include <string.h>
#include "ringflow.h"

int main(int argc, char **argv)
{
	const char *query = NULL, *file = NULL;
	int at = 1;
	if (argc > 3 && strcmp(argv[1], "--query") == 0) {
		query = argv[2];
		file = argv[3];
		at = 4;
	}
	for (; at < argc; at++) {
		char err[512] = "";
		int r = rf_plugin_load(argv[at], err, sizeof err);
		if (r < 0)
			printf("%s: error %d: %s\n", argv[at], r, err);
		else
			printf("%s: ok\n", argv[at]);
	}
	fflush(stdout);
	if (!query)
		return 0;
	rf_query *q;
	struct rf_query_error qerr;
	if (rf_query_parse(query, &q, &qerr) < 0) {
		fprintf(stderr, "plugin_load: %s\n", qerr.message);
		return 2;
	}
	struct rf_options opt;
	rf_options_init(&opt);
	opt.mode = RF_MODE_SERIAL;
	opt.format = RF_OUT_TSV;
	opt.out_fd = 1;
	int r = rf_run(q, &file, 1, &opt, NULL);
	rf_query_free(q);
	if (r < 0)
		fprintf(stderr, "plugin_load: %s\n", rf_strerror(r));
	return r == 0 ? 0 : 2;
}
