/* SPDX-License-Identifier: MIT */
/* check_results.c - the results API's edges, on buffers with answers
 * worked out by hand: each cell type (a sum past int64 is BIGINT, a field
 * a record lacks is NULL), accessors out of range, a consumer that stops
 * the run, and inputs and sinks filled in wrong (-EINVAL with a message);
 * the record sink's input index against where each record's bytes are. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helpers.h"
#include "ringflow.h"

static char said[512];

static void on_error(void *user, const char *input, int err, const char *message)
{
	(void)user;
	(void)err;
	snprintf(said, sizeof said, "%s: %s", input, message);
}

static struct rf_options options(enum rf_mode mode)
{
	struct rf_options opt;
	rf_options_init(&opt);
	opt.mode = mode;
	opt.on_error = on_error;
	said[0] = '\0';
	return opt;
}

static struct rf_input buffer(const char *text)
{
	return (struct rf_input){ .size = sizeof(struct rf_input), .kind = RF_INPUT_BUFFER, .data = text,
				  .len = strlen(text) };
}

static rf_query *query(const char *text)
{
	rf_query *q;
	struct rf_query_error err;
	ck_assert_msg(rf_query_parse(text, &q, &err) == 0, "%s: %s", text, err.message);
	return q;
}

static rf_result *result(const char *q_text, const char *data, enum rf_mode mode)
{
	rf_query *q = query(q_text);
	struct rf_options opt = options(mode);
	struct rf_input in = buffer(data);
	rf_result *res = NULL;
	int r = rf_run_result(q, &in, 1, &opt, NULL, &res);
	ck_assert_msg(r == 0, "%s: %d (%s)", q_text, r, said);
	ck_assert_ptr_nonnull(res);
	rf_query_free(q);
	return res;
}

/* a run without --every has no windows */
START_TEST(test_no_windows)
{
	rf_result *res = result("split | count by $1", "a b\nc d\n", RF_MODE_SERIAL);
	int64_t start = 1, end = 1;
	ck_assert_uint_eq(rf_result_rows(res), 2);
	ck_assert_int_eq(rf_result_window(res, 0, &start, &end), -ENOENT);
	ck_assert_uint_eq(rf_result_windows(res), 0);
	rf_result_free(res);
}
END_TEST

START_TEST(test_cell_types)
{
	static const enum rf_mode modes[] = { RF_MODE_SERIAL, RF_MODE_PARALLEL, RF_MODE_PIPELINE };
	enum rf_mode mode = modes[_i];
	/* 2 * (2^63 - 1) does not fit an int64: its digits */
	rf_result *res = result("split | sum($1), count, avg($2)",
				"9223372036854775807 1\n9223372036854775807 2\n", mode);
	ck_assert_int_eq(rf_result_cols(res), 3);
	ck_assert_uint_eq(rf_result_rows(res), 1);
	ck_assert_int_eq(rf_result_type(res, 0, 0), RF_TYPE_BIGINT);
	size_t len;
	ck_assert_str_eq(rf_result_string(res, 0, 0, &len), "18446744073709551614");
	ck_assert_uint_eq(len, 20);
	ck_assert_int_eq(rf_result_type(res, 0, 1), RF_TYPE_INT);
	ck_assert_int_eq(rf_result_int(res, 0, 1), 2);
	ck_assert_int_eq(rf_result_type(res, 0, 2), RF_TYPE_FLOAT);
	ck_assert(rf_result_float(res, 0, 2) == 1.5);
	ck_assert_str_eq(rf_result_col_name(res, 1), "count");
	/* out of range: nothing, never a crash */
	ck_assert_int_eq(rf_result_type(res, 1, 0), RF_TYPE_NULL);
	ck_assert_int_eq(rf_result_type(res, 0, 3), RF_TYPE_NULL);
	ck_assert_ptr_null(rf_result_col_name(res, -1));
	ck_assert_ptr_null(rf_result_string(res, 0, 1, &len));
	ck_assert_uint_eq(len, 0);
	rf_result_free(res);

	/* times by the hour, in seconds UTC: 2026-12-01 08:xx is 1796112000 */
	res = result("parse combined | count by hour",
		     "1.2.3.4 - - [01/Dec/2026:08:59:59 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\"\n"
		     "1.2.3.4 - - [01/Dec/2026:10:00:00 +0200] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\"\n", mode);
	ck_assert_uint_eq(rf_result_rows(res), 1);
	ck_assert_int_eq(rf_result_type(res, 0, 0), RF_TYPE_TIME);
	ck_assert_int_eq(rf_result_time(res, 0, 0), 1796112000);
	ck_assert_int_eq(rf_result_int(res, 0, 1), 2);
	rf_result_free(res);

	/* select: text cells, NULL where a record lacks the field */
	res = result("split | select $1, $3", "a b c\nd e\n", mode);
	ck_assert_uint_eq(rf_result_rows(res), 2);
	ck_assert_str_eq(rf_result_string(res, 1, 0, NULL), "d");
	ck_assert_int_eq(rf_result_type(res, 0, 1), RF_TYPE_STRING);
	ck_assert_int_eq(rf_result_type(res, 1, 1), RF_TYPE_NULL);
	rf_result_free(res);

	/* no rows: the columns still */
	res = result("split | where $1 == \"zz\" | select $2", "a b\n", mode);
	ck_assert_int_eq(rf_result_cols(res), 1);
	ck_assert_uint_eq(rf_result_rows(res), 0);
	rf_result_free(res);
}
END_TEST

static int stop_after_one(void *user, const rf_result *rows, size_t row)
{
	(void)rows;
	(void)row;
	int *n = user;
	return ++*n == 1 ? -EIO : 0;
}

static int stop_records(void *user, const struct rf_records *batch)
{
	int *n = user;
	*n += (int)batch->count;
	return -EPIPE;
}

START_TEST(test_consumer_stops)
{
	static const enum rf_mode modes[] = { RF_MODE_SERIAL, RF_MODE_PARALLEL, RF_MODE_PIPELINE };
	static char big[1 << 20];
	for (size_t i = 0; i + 1 < sizeof big; i++)
		big[i] = i % 8 == 7 ? '\n' : (char)('a' + i % 7);
	rf_query *q = query("split | select $1");
	struct rf_options opt = options(modes[_i]);
	struct rf_input in = buffer(big);
	int n = 0;
	struct rf_sink sink = { .size = sizeof sink, .on_row = stop_after_one, .user = &n };
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, &sink, NULL), -EIO);
	ck_assert_int_eq(n, 1);
	rf_query_free(q);

	q = query("grep \"a\"");
	n = 0;
	sink = (struct rf_sink){ .size = sizeof sink, .on_records = stop_records, .user = &n };
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, &sink, NULL), -EPIPE);
	ck_assert_int_gt(n, 0);
	rf_query_free(q);
}
END_TEST

START_TEST(test_bad_arguments)
{
	rf_query *q = query("count");
	struct rf_options opt = options(RF_MODE_SERIAL);
	struct rf_input in = buffer("x\n");
	in.size = 8;
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, NULL, NULL), -EINVAL);
	ck_assert_msg(strstr(said, "size") != NULL, "said: %s", said);
	in = buffer("x\n");
	in.data = NULL;
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, NULL, NULL), -EINVAL);
	ck_assert_msg(strstr(said, "without data") != NULL, "said: %s", said);
	in = (struct rf_input){ .size = sizeof in, .kind = RF_INPUT_FD, .fd = -1 };
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, NULL, NULL), -EINVAL);
	ck_assert_msg(strstr(said, "negative fd") != NULL, "said: %s", said);
	in = (struct rf_input){ .size = sizeof in, .kind = (enum rf_input_source)7 };
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, NULL, NULL), -EINVAL);
	in = buffer("x\n");
	opt.follow = 1;
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, NULL, NULL), -EINVAL);
	ck_assert_msg(strstr(said, "follow") != NULL, "said: %s", said);
	opt.follow = 0;
	struct rf_sink sink = { .size = 4 };
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, &sink, NULL), -EINVAL);
	ck_assert_int_eq(rf_run_inputs(q, &in, -1, &opt, NULL, NULL), -EINVAL);
	rf_result *res = (rf_result *)&res;
	in.size = 0;
	ck_assert_int_eq(rf_run_result(q, &in, 1, &opt, NULL, &res), -EINVAL);
	ck_assert_ptr_null(res);
	/* a NULL handle reads as empty */
	ck_assert_int_eq(rf_result_window(NULL, 0, NULL, NULL), -ENOENT);
	ck_assert_uint_eq(rf_result_windows(NULL), 0);
	ck_assert_uint_eq(rf_result_rows(NULL), 0);
	ck_assert_int_eq(rf_result_cols(NULL), 0);
	rf_result_free(NULL);
	rf_query_free(q);
}
END_TEST

/* ---- which input a record came from ---- */

#define NIN 7

struct origin {
	const char *text[NIN];   /* each input's bytes */
	size_t len[NIN];
	size_t lines[NIN];       /* records of each input the sink got */
	int bad;
	char why[256];
};

static int check_origin(void *user, const struct rf_records *batch)
{
	struct origin *o = user;
	for (size_t i = 0; i < batch->count && !o->bad; i++) {
		const struct rf_record *rec = &batch->record[i];
		int in = rec->input;
		if (in < 0 || in >= NIN || !o->text[in] || rec->offset + rec->len > o->len[in] ||
		    memcmp(o->text[in] + rec->offset, rec->data, rec->len) != 0) {
			o->bad = 1;
			snprintf(o->why, sizeof o->why, "record '%.*s' as input %d at %llu", (int)rec->len, rec->data,
				 in, (unsigned long long)rec->offset);
			return 0;
		}
		o->lines[in]++;
	}
	return 0;
}

/* Lines of a few hundred KiB, tagged by the text they come from, so a
 * record credited to another input is found by its bytes. */
static char *lines_of(const char *tag, int n)
{
	char *s = malloc((size_t)n * 64);
	ck_assert_ptr_nonnull(s);
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "%s %d %s\n", tag, i, i % 3 ? "mid" : "edge");
	return s;
}

static size_t newlines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Several inputs, two of them one file given twice, some sharing one name
 * pointer and some with none: each record's input is the one its bytes
 * are in, at its offset, and each input gives all its records, in every
 * mode.  Loop 0-4: paths only (what async and multiprocess read by name),
 * 5-9: with buffers too (read serially in those modes). */
START_TEST(test_record_input)
{
	static const enum rf_mode modes[] = { RF_MODE_SERIAL, RF_MODE_PARALLEL, RF_MODE_PIPELINE, RF_MODE_ASYNC,
					      RF_MODE_MULTIPROCESS };
	static const char same[] = "one name";
	int buffers = _i >= 5;
	char dir[] = "/tmp/check_results.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[2][64];
	char *text[3] = { lines_of("first", 9000), lines_of("second", 14000), lines_of("memory", 5000) };
	for (int f = 0; f < 2; f++) {
		snprintf(path[f], sizeof path[f], "%s/f%d", dir, f);
		FILE *fp = fopen(path[f], "w");
		ck_assert_ptr_nonnull(fp);
		fputs(text[f], fp);
		ck_assert_int_eq(fclose(fp), 0);
	}
	struct rf_input in[NIN];
	struct origin o = { .bad = 0 };
	/* input i: file or buffer, and the name it is given */
	static const int file_of[NIN] = { 0, 1, 0, 1, 0, 2, 2 };
	static const int named[NIN] = { 1, 1, 0, 0, 2, 1, 0 }; /* 1: same, 2: its own, 0: none */
	for (int i = 0; i < NIN; i++) {
		int f = file_of[i];
		if (f == 2 && !buffers)
			f = i % 2;
		in[i] = f == 2 ? buffer(text[2])
			       : (struct rf_input){ .size = sizeof in[i], .kind = RF_INPUT_PATH, .path = path[f] };
		in[i].name = named[i] == 1 ? same : named[i] == 2 ? "its own" : NULL;
		o.text[i] = text[f];
		o.len[i] = strlen(text[f]);
	}
	rf_query *q = query("split | where $3 != \"\"");
	struct rf_options opt = options(modes[_i % 5]);
	struct rf_sink sink = { .size = sizeof sink, .on_records = check_origin, .user = &o };
	int r = rf_run_inputs(q, in, NIN, &opt, &sink, NULL);
	ck_assert_msg(r == 0, "mode %d: %d (%s)", _i, r, said);
	ck_assert_msg(!o.bad, "mode %d: %s", _i, o.why);
	for (int i = 0; i < NIN; i++)
		ck_assert_msg(o.lines[i] == newlines(o.text[i]), "mode %d: input %d: %zu records of %zu", _i, i,
			      o.lines[i], newlines(o.text[i]));
	rf_query_free(q);
	for (int f = 0; f < 3; f++)
		free(text[f]);
	unlink(path[0]);
	unlink(path[1]);
	rmdir(dir);
}
END_TEST

/* rf_run_inputs with the output thrown away (opt->out_fd /dev/null). */
static int run_quiet(const rf_query *q, const struct rf_input *in, struct rf_options *opt, struct rf_report *rep)
{
	int null = open("/dev/null", O_WRONLY);
	ck_assert_int_ge(null, 0);
	opt->out_fd = null;
	int r = rf_run_inputs(q, in, 1, opt, NULL, rep);
	close(null);
	opt->out_fd = 1;
	return r;
}

/* ---- byte ranges of a file (rf_input start, end) ---- */

/* A file cut into byte ranges at line starts, given as ranged inputs
 * along with the whole file: every record of a range is the file's line
 * at its offset (offsets are the file's), each range gives exactly its
 * lines, and count by key over the ranges equals the count worked out
 * here; in every mode (multiprocess and async read ranges here, loop
 * 0-4).  The last line has no newline: a range may end at the file's
 * end without one. */
START_TEST(test_ranges)
{
	static const enum rf_mode modes[] = { RF_MODE_SERIAL, RF_MODE_PARALLEL, RF_MODE_PIPELINE, RF_MODE_ASYNC,
					      RF_MODE_MULTIPROCESS };
	char dir[] = "/tmp/check_ranges.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/log", dir);
	/* lines of uneven lengths; key k<i%7>, the last without a newline */
	size_t cap = 40000 * 48, len = 0;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	int nl = 40000;
	long want[7] = { 0 };
	for (int i = 0; i < nl; i++) {
		len += (size_t)sprintf(text + len, "k%d %d %.*s%s", i % 7, i, i % 23, "xxxxxxxxxxxxxxxxxxxxxxxx",
				       i + 1 < nl ? "\n" : "");
		want[i % 7]++;
	}
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	/* cut points: line starts near 0, 1/3, 1/2 (twice: an empty range)
	 * and the end; range 0 starts at 0, the last ends at the file's end */
	uint64_t cut[6];
	double at[6] = { 0, 0.33, 0.5, 0.5, 0.77, 1 };
	for (int c = 0; c < 6; c++) {
		size_t o = (size_t)(at[c] * (double)len);
		while (o > 0 && o < len && text[o - 1] != '\n')
			o++;
		cut[c] = o;
	}
	struct rf_input in[6];
	struct origin o = { .bad = 0 };
	for (int i = 0; i < 5; i++) {
		in[i] = (struct rf_input){ .size = sizeof in[i], .kind = RF_INPUT_PATH, .path = path,
					   .start = cut[i], .end = cut[i + 1] };
		o.text[i] = text;
		o.len[i] = len;
	}
	in[5] = (struct rf_input){ .size = sizeof in[5], .kind = RF_INPUT_PATH, .path = path };
	o.text[5] = text;
	o.len[5] = len;
	rf_query *q = query("split | where $2 != \"\"");
	struct rf_options opt = options(modes[_i]);
	struct rf_sink sink = { .size = sizeof sink, .on_records = check_origin, .user = &o };
	int r = rf_run_inputs(q, in, 6, &opt, &sink, NULL);
	ck_assert_msg(r == 0, "mode %d: %d (%s)", _i, r, said);
	ck_assert_msg(!o.bad, "mode %d: %s", _i, o.why);
	size_t total = 0;
	for (int i = 0; i < 5; i++) {
		size_t lines = 0;
		for (uint64_t b = cut[i]; b < cut[i + 1]; b++)
			lines += text[b] == '\n';
		if (cut[i + 1] == len && cut[i] < len)
			lines++; /* the last line, without a newline */
		ck_assert_msg(o.lines[i] == lines, "mode %d: range %d: %zu records of %zu", _i, i, o.lines[i], lines);
		total += o.lines[i];
	}
	ck_assert_uint_eq(total, (size_t)nl);
	ck_assert_uint_eq(o.lines[5], (size_t)nl);
	rf_query_free(q);
	/* an aggregate over the ranges alone: the counts worked out above */
	q = query("split | count by $1 | sort $1");
	rf_result *res = NULL;
	opt = options(modes[_i]);
	r = rf_run_result(q, in, 5, &opt, NULL, &res);
	ck_assert_msg(r == 0, "mode %d: %d (%s)", _i, r, said);
	ck_assert_uint_eq(rf_result_rows(res), 7);
	for (int k = 0; k < 7; k++) {
		char key[8];
		snprintf(key, sizeof key, "k%d", k);
		size_t kl = 0;
		const char *got = rf_result_string(res, (size_t)k, 0, &kl);
		ck_assert_msg(got && kl == strlen(key) && !memcmp(got, key, kl), "mode %d: row %d", _i, k);
		ck_assert_int_eq(rf_result_int(res, (size_t)k, 1), want[k]);
	}
	rf_result_free(res);
	rf_query_free(q);
	unlink(path);
	rmdir(dir);
	free(text);
}
END_TEST

/* Ranges that are not of whole lines, or not of a file, or past its end:
 * the input fails (1) or the run is refused (-EINVAL), with a message;
 * no range is read as if it were right. */
START_TEST(test_bad_ranges)
{
	char dir[] = "/tmp/check_ranges.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/log", dir);
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("a 1\nbb 2\nccc 3\n", fp); /* lines at 0, 4, 9; 15 bytes */
	ck_assert_int_eq(fclose(fp), 0);
	rf_query *q = query("split | count");
	static const struct {
		uint64_t start, end;
		int want;
		const char *says;
	} cases[] = {
		{ 1, 9, 1, "starts inside a line" }, { 4, 8, 1, "ends inside a line" },
		{ 4, 16, 1, "past the file's end" }, { 9, 4, -EINVAL, "start is past its end" },
		{ 4, 0, -EINVAL, "start without its end" },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct rf_options opt = options(RF_MODE_SERIAL);
		struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_PATH, .path = path,
				       .start = cases[c].start, .end = cases[c].end };
		int r = run_quiet(q, &in, &opt, NULL);
		ck_assert_msg(r == cases[c].want, "case %zu: %d", c, r);
		ck_assert_msg(strstr(said, cases[c].says) != NULL, "case %zu said: %s", c, said);
	}
	/* a range of what is not a path, of standard input, of a directory */
	struct rf_options opt = options(RF_MODE_SERIAL);
	struct rf_input in = buffer("a 1\n");
	in.end = 2;
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, NULL, NULL), -EINVAL);
	ck_assert_msg(strstr(said, "path input only") != NULL, "said: %s", said);
	in = (struct rf_input){ .size = sizeof in, .kind = RF_INPUT_PATH, .path = "-", .end = 4 };
	ck_assert_int_eq(rf_run_inputs(q, &in, 1, &opt, NULL, NULL), -EINVAL);
	ck_assert_msg(strstr(said, "standard input") != NULL, "said: %s", said);
	in = (struct rf_input){ .size = sizeof in, .kind = RF_INPUT_PATH, .path = dir, .end = 4 };
	ck_assert_int_eq(run_quiet(q, &in, &opt, NULL), 1);
	/* a parser that reads each input's first lines (csv's header): a
	 * range past the start lacks them */
	rf_query *cq = query("parse csv | count");
	in = (struct rf_input){ .size = sizeof in, .kind = RF_INPUT_PATH, .path = path, .start = 4, .end = 15 };
	ck_assert_int_eq(rf_run_inputs(cq, &in, 1, &opt, NULL, NULL), -EINVAL);
	ck_assert_msg(strstr(said, "lacks") != NULL, "said: %s", said);
	/* from the start it has them */
	in.start = 0;
	ck_assert_int_eq(run_quiet(cq, &in, &opt, NULL), 0);
	rf_query_free(cq);
	/* an empty range at the end; to the end (UINT64_MAX) from a line
	 * start; from past the end; of a FIFO (said, not waited on) */
	static const struct {
		uint64_t start, end;
		int want;
		long records;
	} more[] = { { 15, 15, 0, 0 }, { 4, UINT64_MAX, 0, 2 }, { 15, UINT64_MAX, 0, 0 }, { 16, UINT64_MAX, 1, -1 } };
	for (size_t c = 0; c < sizeof more / sizeof more[0]; c++) {
		struct rf_report rep;
		rf_report_init(&rep);
		opt = options(RF_MODE_SERIAL);
		in = (struct rf_input){ .size = sizeof in, .kind = RF_INPUT_PATH, .path = path, .start = more[c].start,
					.end = more[c].end };
		int r = run_quiet(q, &in, &opt, &rep);
		ck_assert_msg(r == more[c].want, "more %zu: %d (%s)", c, r, said);
		if (more[c].records >= 0)
			ck_assert_msg(rep.records == (uint64_t)more[c].records, "more %zu: %llu records", c,
				      (unsigned long long)rep.records);
		else
			ck_assert_msg(strstr(said, "starts past the file's end") != NULL, "more %zu said: %s", c, said);
	}
	char fifo[80];
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	opt = options(RF_MODE_SERIAL);
	in = (struct rf_input){ .size = sizeof in, .kind = RF_INPUT_PATH, .path = fifo, .start = 0, .end = 10 };
	ck_assert_int_eq(run_quiet(q, &in, &opt, NULL), 1);
	ck_assert_msg(strstr(said, "not one") != NULL, "said: %s", said);
	unlink(fifo);
	/* a program built before start and end passes a smaller size: what
	 * follows its struct is not read (here junk), and the file is read
	 * whole */
	struct {
		struct rf_input in;
		char junk[64];
	} old;
	memset(&old, 0x5a, sizeof old);
	old.in = (struct rf_input){ .size = offsetof(struct rf_input, start), .kind = RF_INPUT_PATH, .path = path };
	old.in.start = 4;
	old.in.end = 9;
	struct rf_report rep;
	rf_report_init(&rep);
	opt = options(RF_MODE_SERIAL);
	ck_assert_int_eq(run_quiet(q, &old.in, &opt, &rep), 0);
	ck_assert_uint_eq(rep.records, 3);
	rf_query_free(q);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* The plan looks at the page cache over the range, not elsewhere: the
 * second half of a file, evicted, with the first half read, is cold (it
 * was sampled over the wrong bytes and said to be 100% cached). */
START_TEST(test_range_residency)
{
	char dir[] = "/var/tmp/check_ranges.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/big", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	char line[100];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\n';
	static char block[1 << 20];
	for (size_t o = 0; o < sizeof block; o += sizeof line)
		memcpy(block + o, line, sizeof block - o < sizeof line ? sizeof block - o : sizeof line);
	/* 40 lines' worth of 1 MiB blocks, each ending where a line ends */
	size_t per = sizeof block / sizeof line * sizeof line;
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(write(fd, block, per), (ssize_t)per);
	ck_assert_int_eq(fsync(fd), 0);
	ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	uint64_t half = 20 * (uint64_t)per, size = 40 * (uint64_t)per;
	for (uint64_t o = 0; o < half; o += per) /* the first half, cached */
		ck_assert_int_eq(pread(fd, block, per, (off_t)o), (ssize_t)per);
	rf_query *q = query("count");
	struct rf_options opt = options(RF_MODE_AUTO);
	struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_PATH, .path = path, .start = half, .end = size };
	struct rf_report rep;
	rf_report_init(&rep);
	ck_assert_int_eq(run_quiet(q, &in, &opt, &rep), 0);
	ck_assert_uint_eq(rep.records, 20 * (sizeof block / sizeof line));
	ck_assert_msg(strstr(rep.io_reason, "100% in page cache") == NULL, "io reason: %s", rep.io_reason);
	rf_query_free(q);
	close(fd);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("results");
	TCase *tc = tcase_create("api");
	tcase_add_loop_test(tc, test_cell_types, 0, 3);
	tcase_add_loop_test(tc, test_consumer_stops, 0, 3);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_no_windows);
	tcase_add_loop_test(tc, test_record_input, 0, 10);
	tcase_add_loop_test(tc, test_ranges, 0, 5);
	tcase_add_test(tc, test_bad_ranges);
	tcase_add_test(tc, test_range_residency);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
