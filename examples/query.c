/* SPDX-License-Identifier: MIT */
/* query.c - run a query and print its result rows as data: each cell with
 * its type, from the result handle (or, with --callback, from the row
 * callback as the rows come).
 *
 *   examples/query [--mode=MODE] [--fd] [--callback] [--every=MS | --interval=MS] QUERY [FILE...]
 *   examples/query 'parse combined | count by status' access.log
 *
 * Output: a line "#" and the column names, then one line per row, the
 * cells as TYPE:VALUE separated by tabs (int:404, float:0.25, string:GET,
 * time:1764547200 in seconds, bigint:DIGITS, null:).  --fd opens the
 * files here and hands the engine their descriptors.  --every and
 * --interval take snapshots every MS milliseconds (as the CLI's options
 * do); before the rows of each snapshot's window comes a line
 * "@ START END" (nanoseconds since the epoch), and at the end of a handle
 * "@ windows N".  Exit status: 0, 1 when an input could not be read, 2
 * for a bad query or arguments. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ringflow.h"

/* tabs, newlines and backslashes escaped, so a row stays one line */
static void print_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\t')
			fputs("\\t", stdout);
		else if (s[i] == '\n')
			fputs("\\n", stdout);
		else if (s[i] == '\\')
			fputs("\\\\", stdout);
		else
			putchar(s[i]);
	}
}

static void print_header(const rf_result *res)
{
	putchar('#');
	for (int c = 0; c < rf_result_cols(res); c++) {
		putchar(c ? '\t' : ' ');
		fputs(rf_result_col_name(res, c), stdout);
	}
	putchar('\n');
}

static void print_row(const rf_result *res, size_t row)
{
	for (int c = 0; c < rf_result_cols(res); c++) {
		size_t len;
		const char *s;
		if (c)
			putchar('\t');
		switch (rf_result_type(res, row, c)) {
		case RF_TYPE_INT:
			printf("int:%" PRId64, rf_result_int(res, row, c));
			break;
		case RF_TYPE_FLOAT:
			printf("float:%.17g", rf_result_float(res, row, c));
			break;
		case RF_TYPE_TIME:
			printf("time:%" PRId64, rf_result_time(res, row, c));
			break;
		case RF_TYPE_STRING:
		case RF_TYPE_BIGINT:
			s = rf_result_string(res, row, c, &len);
			fputs(rf_result_type(res, row, c) == RF_TYPE_STRING ? "string:" : "bigint:", stdout);
			print_text(s, len);
			break;
		default:
			fputs("null:", stdout);
		}
	}
	putchar('\n');
}

/* "@ START END" when row begins another window than the row before */
static void print_window(const rf_result *res, size_t row, int64_t *last_end)
{
	int64_t start, end;
	if (rf_result_window(res, row, &start, &end) == 0 && end != *last_end) {
		printf("@ %" PRId64 " %" PRId64 "\n", start, end);
		*last_end = end;
	}
}

struct shown {
	int header_done;
	int64_t last_end;
};

/* --callback: the header before the first row of each table */
static int on_row(void *user, const rf_result *rows, size_t row)
{
	struct shown *s = user;
	if (!s->header_done) {
		print_header(rows);
		s->header_done = 1;
	}
	print_window(rows, row, &s->last_end);
	print_row(rows, row);
	return 0;
}

int main(int argc, char **argv)
{
	struct rf_options opt;
	rf_options_init(&opt);
	int use_fd = 0, callback = 0, a = 1;
	for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
		if (strncmp(argv[a], "--mode=", 7) == 0 && rf_mode_parse(argv[a] + 7, &opt.mode) == 0)
			continue;
		if (strncmp(argv[a], "--every=", 8) == 0)
			opt.every_ns = strtoull(argv[a] + 8, NULL, 10) * 1000000;
		else if (strncmp(argv[a], "--interval=", 11) == 0)
			opt.every_ns = opt.interval_ns = strtoull(argv[a] + 11, NULL, 10) * 1000000;
		else if (strcmp(argv[a], "--fd") == 0)
			use_fd = 1;
		else if (strcmp(argv[a], "--callback") == 0)
			callback = 1;
		else
			break;
	}
	if (a >= argc || strncmp(argv[a], "--", 2) == 0) {
		fprintf(stderr, "usage: %s [--mode=MODE] [--fd] [--callback] [--every=MS | --interval=MS] QUERY [FILE...]\n",
			argv[0]);
		return 2;
	}
	rf_query *q;
	struct rf_query_error qerr;
	if (rf_query_parse(argv[a], &q, &qerr) < 0) {
		fprintf(stderr, "query: column %d: %s\n", qerr.column, qerr.message);
		return 2;
	}
	int nin = argc - a - 1, status = 0;
	struct rf_input *in = calloc((size_t)nin + 1, sizeof *in);
	if (!in)
		return 2;
	for (int i = 0; i < nin; i++) {
		in[i].size = sizeof in[i];
		in[i].kind = RF_INPUT_PATH;
		in[i].path = argv[a + 1 + i];
		if (use_fd) {
			in[i].kind = RF_INPUT_FD;
			in[i].name = argv[a + 1 + i];
			if ((in[i].fd = open(argv[a + 1 + i], O_RDONLY | O_CLOEXEC)) < 0) {
				perror(argv[a + 1 + i]);
				return 2;
			}
		}
	}
	int r;
	if (callback) {
		struct shown shown = { 0, 0 };
		struct rf_sink sink = { .size = sizeof sink, .on_row = on_row, .user = &shown };
		r = rf_run_inputs(q, in, nin, &opt, &sink, NULL);
		/* a result with no rows still has its columns: none to show here */
	} else {
		rf_result *res;
		r = rf_run_result(q, in, nin, &opt, NULL, &res);
		if (res) {
			int64_t last_end = 0;
			print_header(res);
			for (size_t row = 0; row < rf_result_rows(res); row++) {
				print_window(res, row, &last_end);
				print_row(res, row);
			}
			if (rf_result_windows(res))
				printf("@ windows %zu\n", rf_result_windows(res));
			rf_result_free(res);
		}
	}
	if (r < 0) {
		fprintf(stderr, "query: %s\n", rf_strerror(r));
		status = 2;
	} else {
		status = r;
	}
	for (int i = 0; use_fd && i < nin; i++)
		close(in[i].fd);
	free(in);
	rf_query_free(q);
	return status;
}
