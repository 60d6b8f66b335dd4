/* SPDX-License-Identifier: MIT */
/* check_structsize.c - the structs that begin with their size, across
 * versions: a program built against an older ringflow.h passes a smaller
 * size and gets the defaults past it and a report written only up to it;
 * a size the library does not know (a newer program's options, or a struct
 * never set up by its init function) is refused with -EINVAL and a
 * message.  The init functions write only the program's size; arrays of
 * struct rf_input are read with the program's stride; the checks that take
 * options check their size too.  Also: what a path input named "-" reads,
 * and the negative errno values of the checks. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helpers.h"
#include "ringflow.h"

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define ROUND_UP(n, a) (((n) + (a) - 1) / (a) * (a))
/* What a program built against the first ringflow.h with a size field has
 * as its structs' size: the fields up to these, padded as the compiler pads
 * the struct (0.1.0's last fields; later fields are added after them). */
#define OLD_OPTIONS_SIZE ROUND_UP(END_OF(struct rf_options, regex_engine), alignof(struct rf_options))
#define OLD_REPORT_SIZE ROUND_UP(END_OF(struct rf_report, follow_polled), alignof(struct rf_report))
/* The same layouts without the padding: the least a size field may say */
#define MIN_OPTIONS_SIZE END_OF(struct rf_options, regex_engine)
#define MIN_REPORT_SIZE END_OF(struct rf_report, follow_polled)
#define MIN_INPUT_SIZE END_OF(struct rf_input, name)
#define MIN_SINK_SIZE END_OF(struct rf_sink, user)

/* structsize_old.c: calls of a program built against 0.1.0's header */
void old_program_options_init(void *opt);
void old_program_report_init(void *report);

#define LINES 1000

/* n bytes that end where an unreadable page begins, or as near as their
 * alignment lets them: the library touching a byte past them is a crash
 * (Check runs each test in its own process), or, in the at most 7 bytes
 * between an 8-aligned struct's end and the guard, a changed canary that
 * the test case's teardown finds.  (A struct is never placed misaligned:
 * UBSan rightly reports that, and no program passes one.) */
#define CANARY 0x5a
static struct guard {
	unsigned char *slack;
	size_t len;
} guards[64];
static int nguards;

static void *before_guard(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = ROUND_UP(n, page) + page;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(mprotect(p + len - page, page, PROT_NONE), 0);
	size_t at = (len - page - n) & ~(size_t)7;
	ck_assert_int_lt(nguards, (int)(sizeof guards / sizeof guards[0]));
	guards[nguards].slack = (unsigned char *)p + at + n;
	guards[nguards].len = len - page - at - n;
	memset(guards[nguards].slack, CANARY, guards[nguards].len);
	nguards++;
	return p + at;
}

static void guards_intact(void)
{
	for (int g = 0; g < nguards; g++)
		for (size_t i = 0; i < guards[g].len; i++)
			ck_assert_msg(guards[g].slack[i] == CANARY, "guarded block %d: byte %zu past its end written", g,
				      i);
	nguards = 0;
}

/* LINES lines and an unterminated one, in a memfd named by its /proc
 * path; its descriptor */
static int make_input(char *path, size_t len)
{
	int fd = memfd_create("input", 0);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < LINES; i++)
		ck_assert_int_gt(dprintf(fd, "line %d of the input\n", i), 0);
	ck_assert_int_gt(dprintf(fd, "a last line without its newline"), 0);
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static char message[512];
static int messages;

static void on_error(void *user, const char *input, int err, const char *msg)
{
	(void)user;
	snprintf(message, sizeof message, "%s: %d: %s", input, err, msg);
	messages++;
}

/* run count over the input with opt (out_fd set here), return its status
 * and what it printed */
static int run_count(struct rf_options *opt, struct rf_report *report, char *out, size_t outlen)
{
	char in[64];
	rf_query *q;
	struct rf_query_error qerr;
	int infd = make_input(in, sizeof in);
	ck_assert_int_eq(rf_query_parse("count", &q, &qerr), 0);
	int outfd = memfd_create("output", 0);
	ck_assert_int_ge(outfd, 0);
	opt->out_fd = outfd;
	const char *files[] = { in };
	int r = rf_run(q, files, 1, opt, report);
	rf_query_free(q);
	ssize_t n = pread(outfd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(outfd);
	close(infd);
	return r;
}

START_TEST(test_init_sets_the_size)
{
	struct rf_options opt;
	struct rf_report rep;
	memset(&opt, 0xa5, sizeof opt);
	memset(&rep, 0xa5, sizeof rep);
	rf_options_init(&opt);
	rf_report_init(&rep);
	ck_assert_uint_eq(opt.size, sizeof opt);
	ck_assert_uint_eq(rep.size, sizeof rep);
	ck_assert_uint_eq(rep.records, 0);
	ck_assert_int_eq(opt.rejects_fd, -1); /* a default that is not 0 */
}
END_TEST

START_TEST(test_current_size_runs)
{
	struct rf_options opt;
	struct rf_report rep;
	char out[64];
	rf_options_init(&opt);
	rf_report_init(&rep);
	opt.mode = RF_MODE_SERIAL;
	ck_assert_int_eq(run_count(&opt, &rep, out, sizeof out), 0);
	ck_assert_str_eq(out, "1001\n");
	ck_assert_uint_eq(rep.records, LINES + 1);
	ck_assert_uint_eq(rep.size, sizeof rep);
}
END_TEST

/* A serial count with these options and report: the whole input counted,
 * and the report's size left as the program set it */
static void count_serial(struct rf_options *opt, struct rf_report *rep)
{
	size_t size = rep->size;
	opt->mode = RF_MODE_SERIAL;
	char out[64];
	ck_assert_int_eq(run_count(opt, rep, out, sizeof out), 0);
	ck_assert_str_eq(out, "1001\n");
	ck_assert_uint_eq(rep->records, LINES + 1);
	ck_assert_int_eq(rep->mode, RF_MODE_SERIAL);
	ck_assert_uint_eq(rep->size, size);
}

/* An older program: its structs are OLD_*_SIZE bytes and nothing follows
 * them (a guard page); the options past them are the defaults, and the
 * report's size is left as the program set it. */
START_TEST(test_old_program)
{
	ck_assert_uint_le(OLD_OPTIONS_SIZE, sizeof(struct rf_options));
	ck_assert_uint_le(OLD_REPORT_SIZE, sizeof(struct rf_report));
	struct rf_options full;
	rf_options_init(&full);
	full.mode = RF_MODE_SERIAL;
	full.size = OLD_OPTIONS_SIZE;
	struct rf_options *opt = before_guard(OLD_OPTIONS_SIZE);
	memcpy(opt, &full, OLD_OPTIONS_SIZE);
	struct rf_report *rep = before_guard(OLD_REPORT_SIZE);
	memset(rep, 0, OLD_REPORT_SIZE);
	rep->size = OLD_REPORT_SIZE;
	count_serial(opt, rep);
}
END_TEST

/* A report smaller than the library's, inside a larger buffer: the bytes
 * past its size keep what the program put there. */
START_TEST(test_report_tail_untouched)
{
	struct rf_options opt;
	rf_options_init(&opt);
	opt.mode = RF_MODE_SERIAL;
	static struct rf_report rep;
	size_t size = offsetof(struct rf_report, bytes) + sizeof rep.bytes;
	memset(&rep, 0xa5, sizeof rep);
	/* the size of a program older than any release is refused ... */
	rep.size = size;
	char out[64];
	ck_assert_int_eq(run_count(&opt, &rep, out, sizeof out), -EINVAL);
	for (size_t i = sizeof rep.size; i < sizeof rep; i++)
		ck_assert_msg(((unsigned char *)&rep)[i] == 0xa5, "byte %zu of a refused report written", i);
	/* ... and one as old as the first layout gets the report up to it */
	rep.size = OLD_REPORT_SIZE;
	ck_assert_int_eq(run_count(&opt, &rep, out, sizeof out), 0);
	ck_assert_uint_eq(rep.records, LINES + 1);
	for (size_t i = OLD_REPORT_SIZE; i < sizeof rep; i++)
		ck_assert_msg(((unsigned char *)&rep)[i] == 0xa5, "byte %zu past the report's size written", i);
}
END_TEST

/* A newer program (a larger struct), or a struct never set up by its init
 * function: -EINVAL, a message, and nothing run. */
START_TEST(test_unknown_sizes_refused)
{
	char out[64];
	struct {
		struct rf_options opt;
		char newer_fields[64];
	} big;
	memset(&big, 0, sizeof big);
	rf_options_init(&big.opt);
	big.opt.size = sizeof big;
	big.opt.on_error = on_error;
	messages = 0;
	ck_assert_int_eq(run_count(&big.opt, NULL, out, sizeof out), -EINVAL);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(messages, 1);
	ck_assert_msg(strstr(message, "rf_options") && strstr(message, "bytes"), "message: %s", message);

	struct {
		struct rf_report rep;
		char newer_fields[64];
	} bigrep;
	struct rf_options opt;
	rf_options_init(&opt);
	opt.on_error = on_error;
	memset(&bigrep, 0xa5, sizeof bigrep);
	bigrep.rep.size = sizeof bigrep;
	messages = 0;
	ck_assert_int_eq(run_count(&opt, &bigrep.rep, out, sizeof out), -EINVAL);
	ck_assert_int_eq(messages, 1);
	ck_assert_msg(strstr(message, "rf_report"), "message: %s", message);
	ck_assert_uint_eq(bigrep.rep.records, 0xa5a5a5a5a5a5a5a5ULL); /* untouched */

	/* never set up: memset to zero, or a size too small for any release */
	struct rf_options zero;
	memset(&zero, 0, sizeof zero);
	zero.out_fd = 1;
	zero.memory = 64 << 20;
	zero.max_record = 1 << 20;
	ck_assert_int_eq(run_count(&zero, NULL, out, sizeof out), -EINVAL);
	rf_options_init(&opt);
	opt.size = offsetof(struct rf_options, memory);
	ck_assert_int_eq(run_count(&opt, NULL, out, sizeof out), -EINVAL);
	ck_assert_str_eq(out, "");
}
END_TEST

/* The defaults rf_options_init(3) documents, in a struct of any size */
static void check_defaults(const struct rf_options *opt)
{
	ck_assert_int_eq(opt->mode, RF_MODE_AUTO);
	ck_assert_int_eq(opt->io, RF_IO_AUTO);
	ck_assert_uint_eq(opt->memory, 64u << 20);
	ck_assert_uint_eq(opt->max_record, 256u << 20);
	ck_assert_int_eq(opt->out_fd, 1);
	ck_assert_int_eq(opt->rejects_fd, -1);
	ck_assert_int_eq(opt->format, RF_OUT_TABLE);
	ck_assert_ptr_null(opt->on_error);
	ck_assert_int_eq(opt->regex_engine, RF_REGEX_AUTO);
}

/* A program whose structs end where the first layout does (the smallest a
 * header ever made), with nothing after them: the init functions write
 * only that much, and the run takes them. */
START_TEST(test_init_size_smaller)
{
	struct rf_options *opt = before_guard(MIN_OPTIONS_SIZE);
	struct rf_report *rep = before_guard(MIN_REPORT_SIZE);
	memset(opt, 0xa5, MIN_OPTIONS_SIZE);
	memset(rep, 0xa5, MIN_REPORT_SIZE);
	ck_assert_int_eq(rf_options_init_size(opt, MIN_OPTIONS_SIZE), 0);
	ck_assert_int_eq(rf_report_init_size(rep, MIN_REPORT_SIZE), 0);
	ck_assert_uint_eq(opt->size, MIN_OPTIONS_SIZE);
	ck_assert_uint_eq(rep->size, MIN_REPORT_SIZE);
	check_defaults(opt);
	ck_assert_uint_eq(rep->records, 0);
	ck_assert_int_eq(rep->follow_polled, 0);
	count_serial(opt, rep);
}
END_TEST

/* A program built against a newer header: larger structs.  The library
 * sets up what it knows, zeroes the rest, keeps the program's size, and
 * says -EINVAL: the run refuses options it cannot read whole. */
START_TEST(test_init_size_larger)
{
	size_t osize = sizeof(struct rf_options) + 40, rsize = sizeof(struct rf_report) + 40;
	unsigned char *o = before_guard(osize), *r = before_guard(rsize);
	memset(o, 0xa5, osize);
	memset(r, 0xa5, rsize);
	struct rf_options *opt = (struct rf_options *)o;
	struct rf_report *rep = (struct rf_report *)r;
	ck_assert_int_eq(rf_options_init_size(opt, osize), -EINVAL);
	ck_assert_int_eq(rf_report_init_size(rep, rsize), -EINVAL);
	ck_assert_uint_eq(opt->size, osize);
	ck_assert_uint_eq(rep->size, rsize);
	check_defaults(opt);
	for (size_t i = sizeof *opt; i < osize; i++)
		ck_assert_msg(o[i] == 0, "options byte %zu past the library's struct: %#x", i, o[i]);
	for (size_t i = sizeof rep->size; i < rsize; i++)
		ck_assert_msg(r[i] == 0, "report byte %zu: %#x", i, r[i]);
	char out[64];
	opt->on_error = on_error;
	messages = 0;
	ck_assert_int_eq(run_count(opt, NULL, out, sizeof out), -EINVAL);
	ck_assert_int_eq(messages, 1);
	ck_assert_msg(strstr(message, "rf_options"), "message: %s", message);
}
END_TEST

/* A size under the first layout: nothing past it written, the size bytes
 * zeroed (so a run refuses the struct), -EINVAL. */
START_TEST(test_init_size_too_small)
{
	size_t small = MIN_OPTIONS_SIZE - 1;
	unsigned char *o = before_guard(small);
	memset(o, 0xa5, small);
	ck_assert_int_eq(rf_options_init_size((struct rf_options *)o, small), -EINVAL);
	for (size_t i = 0; i < small; i++)
		ck_assert_msg(o[i] == 0, "byte %zu: %#x", i, o[i]);
	char out[64];
	ck_assert_int_eq(run_count((struct rf_options *)o, NULL, out, sizeof out), -EINVAL);
	ck_assert_str_eq(out, "");
	unsigned char *tiny = before_guard(4);
	memset(tiny, 0xa5, 4);
	ck_assert_int_eq(rf_report_init_size((struct rf_report *)tiny, 4), -EINVAL);
	ck_assert_int_eq(tiny[0] | tiny[1] | tiny[2] | tiny[3], 0);
}
END_TEST

/* A program built against 0.1.0's header calls the library's own
 * rf_options_init and rf_report_init: they set up the first layout, not
 * the library's sizeof (which may be larger: a crash at the guard). */
START_TEST(test_old_program_symbols)
{
	struct rf_options *opt = before_guard(MIN_OPTIONS_SIZE);
	struct rf_report *rep = before_guard(MIN_REPORT_SIZE);
	old_program_options_init(opt);
	old_program_report_init(rep);
	ck_assert_uint_eq(opt->size, MIN_OPTIONS_SIZE);
	ck_assert_uint_eq(rep->size, MIN_REPORT_SIZE);
	check_defaults(opt);
	count_serial(opt, rep);
}
END_TEST

/* ---- struct rf_input arrays and struct rf_sink ---- */

#define BUFFER_TEXT "one\ntwo\nthree\n"
#define BUFFER_LINES 3

static int64_t counted;
static int rows_seen;
static int descriptor_input = -1; /* the RF_INPUT_FD input's, when there is one */

static int on_row(void *user, const rf_result *rows, size_t row)
{
	(void)user;
	counted = rf_result_int(rows, row, 0);
	rows_seen++;
	return 0;
}

/* count over the inputs at `in` (nin of them, each `stride` bytes apart,
 * each with .size set by the caller) through a sink of `sink_size` bytes
 * at `sink`: the run's status; the count in counted */
static int count_inputs(const void *in, int nin, void *sink, size_t sink_size)
{
	rf_query *q;
	struct rf_query_error qerr;
	ck_assert_int_eq(rf_query_parse("count", &q, &qerr), 0);
	struct rf_options opt;
	rf_options_init(&opt);
	opt.mode = RF_MODE_SERIAL;
	opt.on_error = on_error;
	int outfd = memfd_create("output", 0);
	ck_assert_int_ge(outfd, 0);
	opt.out_fd = outfd;
	struct rf_sink s = { .size = sizeof s, .on_row = on_row };
	memcpy(sink, &s, sink_size < sizeof s ? sink_size : sizeof s);
	memcpy(sink, &sink_size, sizeof sink_size);
	counted = -1;
	rows_seen = 0;
	messages = 0;
	message[0] = '\0';
	/* a descriptor input is read from its position: the start, each time */
	if (descriptor_input >= 0)
		ck_assert_int_eq(lseek(descriptor_input, 0, SEEK_SET), 0);
	int r = rf_run_inputs(q, in, nin, &opt, sink, NULL);
	rf_query_free(q);
	ck_assert_msg(lseek(outfd, 0, SEEK_END) == 0, "text on out_fd beside a row sink");
	close(outfd);
	return r;
}

/* Three inputs of each kind, described as `stride` bytes each (the fields
 * past sizeof(struct rf_input), a newer header's, filled with junk), in an
 * array whose end is a guard page */
static unsigned char *three_inputs(size_t stride, char *path, size_t pathlen, int *fds)
{
	unsigned char *arr = before_guard(3 * stride);
	memset(arr, 0xa5, 3 * stride);
	fds[0] = make_input(path, pathlen);
	char fdpath[64];
	fds[1] = make_input(fdpath, sizeof fdpath);
	descriptor_input = fds[1];
	struct rf_input in[3] = {
		{ .size = stride, .kind = RF_INPUT_PATH, .path = path },
		{ .size = stride, .kind = RF_INPUT_BUFFER, .data = BUFFER_TEXT, .len = strlen(BUFFER_TEXT) },
		{ .size = stride, .kind = RF_INPUT_FD, .fd = fds[1] },
	};
	size_t n = stride < sizeof in[0] ? stride : sizeof in[0];
	for (int i = 0; i < 3; i++)
		memcpy(arr + (size_t)i * stride, &in[i], n);
	return arr;
}

/* The three inputs at `stride` and a sink of sink_size bytes (the bytes
 * past the fields the test sets: junk), each ending at a guard page:
 * counted whole */
static void count_at_sizes(size_t stride, size_t sink_size)
{
	char path[64];
	int fds[2];
	unsigned char *arr = three_inputs(stride, path, sizeof path, fds);
	unsigned char *sink = before_guard(sink_size);
	memset(sink, 0xa5, sink_size);
	int r = count_inputs(arr, 3, sink, sink_size);
	ck_assert_msg(r == 0, "%d: %s", r, message);
	ck_assert_int_eq(rows_seen, 1);
	ck_assert_int_eq(counted, 2 * (LINES + 1) + BUFFER_LINES);
	close(fds[0]);
	close(fds[1]);
}

/* a newer header's structs, and the first layout's */
START_TEST(test_inputs_newer_stride)
{
	count_at_sizes(sizeof(struct rf_input) + 24, sizeof(struct rf_sink) + 16);
}
END_TEST

START_TEST(test_inputs_first_layout)
{
	count_at_sizes(MIN_INPUT_SIZE, MIN_SINK_SIZE);
}
END_TEST

START_TEST(test_inputs_bad_sizes)
{
	char path[64];
	int fds[2];
	size_t stride = sizeof(struct rf_input);
	unsigned char *arr = three_inputs(stride, path, sizeof path, fds);
	struct rf_sink sink;
	/* under the first layout: refused, whatever follows */
	size_t small = MIN_INPUT_SIZE - 1;
	memcpy(arr, &small, sizeof small);
	ck_assert_int_eq(count_inputs(arr, 3, &sink, sizeof sink), -EINVAL);
	ck_assert_int_eq(messages, 1);
	ck_assert_msg(strstr(message, "rf_input") && strstr(message, "input 0"), "message: %s", message);
	ck_assert_int_eq(rows_seen, 0);
	/* one element of another size than the first */
	memcpy(arr, &stride, sizeof stride);
	size_t other = stride + 8;
	memcpy(arr + 2 * stride, &other, sizeof other);
	ck_assert_int_eq(count_inputs(arr, 3, &sink, sizeof sink), -EINVAL);
	ck_assert_msg(strstr(message, "input 2"), "message: %s", message);
	/* a size no header makes: a size field never set */
	size_t huge = 1u << 20;
	memcpy(arr, &huge, sizeof huge);
	ck_assert_int_eq(count_inputs(arr, 3, &sink, sizeof sink), -EINVAL);
	/* a sink under its first layout */
	memcpy(arr, &stride, sizeof stride);
	memcpy(arr + 2 * stride, &stride, sizeof stride);
	unsigned char *small_sink = before_guard(MIN_SINK_SIZE - 1);
	ck_assert_int_eq(count_inputs(arr, 3, small_sink, MIN_SINK_SIZE - 1), -EINVAL);
	ck_assert_msg(strstr(message, "rf_sink"), "message: %s", message);
	ck_assert_int_eq(rows_seen, 0);
	/* and the array as it should be, to show the refusals were the sizes' */
	ck_assert_int_eq(count_inputs(arr, 3, &sink, sizeof sink), 0);
	ck_assert_int_eq(counted, 2 * (LINES + 1) + BUFFER_LINES);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* ---- "-" ---- */

/* count over one path input (name: its display name), standard input
 * being three lines */
static int64_t count_path(const char *path, const char *name)
{
	ck_assert_int_eq(lseek(0, 0, SEEK_SET), 0);
	descriptor_input = -1;
	struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_PATH, .path = path, .name = name };
	struct rf_sink sink;
	int r = count_inputs(&in, 1, &sink, sizeof sink);
	ck_assert_msg(r == 0, "%s as %s: %d: %s", path, name ? name : "(null)", r, message);
	return counted;
}

/* The path decides what is read, the name only how it is shown: a file
 * named "-" in messages is still read from its path; the path "-" is
 * standard input (as in rf_run's files[]) and "./-" the file named "-". */
START_TEST(test_dash)
{
	int saved = dup(0);
	int in = memfd_create("stdin", 0);
	ck_assert_int_ge(in, 0);
	ck_assert_int_gt(dprintf(in, "%s", BUFFER_TEXT), 0);
	ck_assert_int_eq(dup2(in, 0), 0);
	char path[64];
	int fd = make_input(path, sizeof path);
	ck_assert_int_eq(count_path(path, "-"), LINES + 1);
	ck_assert_int_eq(count_path(path, NULL), LINES + 1);
	ck_assert_int_eq(count_path("-", NULL), BUFFER_LINES);
	ck_assert_int_eq(count_path("-", "standard input"), BUFFER_LINES);

	char dir[] = "/tmp/structsize.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char here[4096];
	ck_assert_ptr_nonnull(getcwd(here, sizeof here));
	ck_assert_int_eq(chdir(dir), 0);
	int dash = open("-", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(dash, 0);
	ck_assert_int_gt(dprintf(dash, "a\nb\nc\nd\ne\n"), 0);
	close(dash);
	ck_assert_int_eq(count_path("./-", "-"), 5);
	ck_assert_int_eq(count_path("-", "./-"), BUFFER_LINES);
	ck_assert_int_eq(unlink("-"), 0);
	ck_assert_int_eq(chdir(here), 0);
	ck_assert_int_eq(rmdir(dir), 0);

	close(fd);
	ck_assert_int_eq(dup2(saved, 0), 0);
	close(saved);
	close(in);
}
END_TEST

/* ---- the checks that take options ---- */

/* Each check on options of the given size (the struct up to it a copy of
 * opt, behind a guard page): its status, the message in err */
enum check { PLACEMENT, TIME_RANGE, MULTILINE, DATABASES, NCHECKS };
static const char *const check_names[] = { "placement", "time_range", "multiline", "databases" };

static int run_check(enum check c, const struct rf_options *opt, size_t size, const rf_query *q, char *err,
		     size_t errlen)
{
	size_t alloc = size < sizeof opt->size ? sizeof opt->size : size; /* room for the size field */
	struct rf_options *o = before_guard(alloc);
	memcpy(o, opt, alloc < sizeof *opt ? alloc : sizeof *opt);
	if (alloc > sizeof *opt)
		memset((char *)o + sizeof *opt, 0, alloc - sizeof *opt);
	memcpy(o, &size, sizeof size);
	err[0] = '\0';
	struct rf_query_error qerr;
	int r;
	switch (c) {
	case PLACEMENT: r = rf_check_placement(o, err, errlen); break;
	case TIME_RANGE: r = rf_check_time_range(o, q, err, errlen); break;
	case MULTILINE:
		r = rf_check_multiline(o, q, &qerr);
		snprintf(err, errlen, "%s", qerr.message);
		break;
	default: r = rf_open_databases(o, err, errlen); break;
	}
	return r;
}

static rf_query *parse(const char *text)
{
	rf_query *q;
	struct rf_query_error qerr;
	ck_assert_int_eq(rf_query_parse(text, &q, &qerr), 0);
	return q;
}

START_TEST(test_checks_take_sizes)
{
	rf_query *q = parse("count");
	struct rf_options opt;
	rf_options_init(&opt);
	opt.since = "1h";
	opt.multiline = "java";
	char err[512];
	for (int c = 0; c < NCHECKS; c++) {
		int r = run_check(c, &opt, MIN_OPTIONS_SIZE, q, err, sizeof err);
		ck_assert_msg(r == 0, "%s on the first layout: %d: %s", check_names[c], r, err);
		r = run_check(c, &opt, sizeof opt + 64, q, err, sizeof err);
		ck_assert_msg(r == -EINVAL, "%s on a newer header's options: %d", check_names[c], r);
		ck_assert_msg(strstr(err, "rf_options"), "%s: %s", check_names[c], err);
		r = run_check(c, &opt, 0, q, err, sizeof err);
		ck_assert_msg(r == -EINVAL, "%s on options never set up: %d", check_names[c], r);
		ck_assert_msg(strstr(err, "rf_options_init"), "%s: %s", check_names[c], err);
	}
	rf_query_free(q);
}
END_TEST

/* A negative errno, as the header promises, and a message */
START_TEST(test_checks_errno)
{
	char err[512] = "";
	ck_assert_int_eq(rf_check_tz("Nowhere/Atlantis", err, sizeof err), -EINVAL);
	ck_assert_str_ne(err, "");
	err[0] = '\0';
	ck_assert_int_eq(rf_check_regex_engine((enum rf_regex_engine)99, err, sizeof err), -EINVAL);
	ck_assert_str_ne(err, "");

	rf_query *q = parse("eval c = geoip(line)");
	struct rf_query_error qerr;
	struct rf_options opt;
	rf_options_init(&opt);
	opt.since = "not a time";
	err[0] = '\0';
	ck_assert_int_eq(rf_check_time_range(&opt, q, err, sizeof err), -EINVAL);
	ck_assert_str_ne(err, "");
	opt.since = NULL;
	opt.tz = "Nowhere/Atlantis";
	ck_assert_int_eq(rf_check_time_range(&opt, q, err, sizeof err), -EINVAL);
	opt.tz = NULL;
	opt.multiline = "cobol";
	ck_assert_int_eq(rf_check_multiline(&opt, q, &qerr), -EINVAL);
	ck_assert_str_ne(qerr.message, "");
	opt.record_start = "^x";
	ck_assert_int_eq(rf_check_multiline(&opt, q, &qerr), -EINVAL);
	opt.multiline = NULL;
	opt.record_start = "(";
	ck_assert_int_eq(rf_check_multiline(&opt, q, &qerr), -EINVAL);
	/* geoip() wants a database: a file that is not there is ENOENT */
	opt.geoip_db = "/nonexistent/GeoLite2-City.mmdb";
	err[0] = '\0';
	int r = rf_open_databases(&opt, err, sizeof err);
#ifdef HAVE_MAXMINDDB
	ck_assert_msg(r == -ENOENT, "%d: %s", r, err);
#else
	ck_assert_msg(r == -ENOTSUP, "%d: %s", r, err);
#endif
	ck_assert_str_ne(err, "");
	rf_query_free(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("structsize");
	TCase *tc = tcase_create("sizes");
	tcase_add_checked_fixture(tc, NULL, guards_intact);
	tcase_add_test(tc, test_init_sets_the_size);
	tcase_add_test(tc, test_current_size_runs);
	tcase_add_test(tc, test_old_program);
	tcase_add_test(tc, test_report_tail_untouched);
	tcase_add_test(tc, test_unknown_sizes_refused);
	tcase_add_test(tc, test_init_size_smaller);
	tcase_add_test(tc, test_init_size_larger);
	tcase_add_test(tc, test_init_size_too_small);
	tcase_add_test(tc, test_old_program_symbols);
	suite_add_tcase(s, tc);
	tc = tcase_create("inputs");
	tcase_add_checked_fixture(tc, NULL, guards_intact);
	tcase_add_test(tc, test_inputs_newer_stride);
	tcase_add_test(tc, test_inputs_first_layout);
	tcase_add_test(tc, test_inputs_bad_sizes);
	tcase_add_test(tc, test_dash);
	suite_add_tcase(s, tc);
	tc = tcase_create("checks");
	tcase_add_checked_fixture(tc, NULL, guards_intact);
	tcase_add_test(tc, test_checks_take_sizes);
	tcase_add_test(tc, test_checks_errno);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
