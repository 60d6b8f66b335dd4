/* SPDX-License-Identifier: MIT */
/* buffer.c - a query over bytes already in memory: standard input is read
 * into one buffer here, and the engine reads that buffer in place (no file,
 * no pipe).  The rows come to a row callback and are printed as TSV, the
 * column names first.
 *
 *   examples/buffer [--mode=MODE] QUERY < access.log
 *   examples/buffer 'parse combined | count by status' < access.log */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ringflow.h"

static int on_row(void *user, const rf_result *rows, size_t row)
{
	int *header_done = user;
	for (int c = 0; !*header_done && c < rf_result_cols(rows); c++)
		printf("%s%s", rf_result_col_name(rows, c), c + 1 < rf_result_cols(rows) ? "\t" : "\n");
	*header_done = 1;
	for (int c = 0; c < rf_result_cols(rows); c++) {
		size_t len;
		const char *s = rf_result_string(rows, row, c, &len);
		if (rf_result_type(rows, row, c) == RF_TYPE_INT)
			printf("%" PRId64, rf_result_int(rows, row, c));
		else if (s)
			printf("%.*s", (int)len, s);
		else if (rf_result_type(rows, row, c) != RF_TYPE_NULL)
			return -ENOTSUP; /* this example shows counts and text only */
		putchar(c + 1 < rf_result_cols(rows) ? '\t' : '\n');
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rf_options opt;
	rf_options_init(&opt);
	int a = 1;
	if (a < argc && strncmp(argv[a], "--mode=", 7) == 0 && rf_mode_parse(argv[a++] + 7, &opt.mode) < 0)
		a = argc;
	if (argc - a != 1) {
		fprintf(stderr, "usage: %s [--mode=MODE] QUERY < INPUT\n", argv[0]);
		return 2;
	}
	size_t len = 0, cap = 1 << 16;
	char *data = malloc(cap);
	ssize_t n;
	while (data && (n = read(0, data + len, cap - len)) > 0)
		if ((len += (size_t)n) == cap)
			data = realloc(data, cap *= 2);
	if (!data) {
		fprintf(stderr, "buffer: out of memory\n");
		return 2;
	}
	rf_query *q;
	struct rf_query_error qerr;
	if (rf_query_parse(argv[a], &q, &qerr) < 0) {
		fprintf(stderr, "buffer: column %d: %s\n", qerr.column, qerr.message);
		free(data);
		return 2;
	}
	struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_BUFFER, .data = data, .len = len, .name = "stdin's bytes" };
	int header_done = 0;
	struct rf_sink sink = { .size = sizeof sink, .on_row = on_row, .user = &header_done };
	int r = rf_run_inputs(q, &in, 1, &opt, &sink, NULL);
	if (r < 0)
		fprintf(stderr, "buffer: %s\n", rf_strerror(r));
	rf_query_free(q);
	free(data);
	return r < 0 ? 2 : r;
}
