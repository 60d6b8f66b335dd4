/* SPDX-License-Identifier: MIT */
/* check_structsize.c - struct rf_options and struct rf_report across
 * versions: a program built against an older ringflow.h passes a smaller
 * size and gets the defaults past it and a report written only up to it;
 * a size the library does not know (a newer program, or a struct never set
 * up by its init function) is refused with -EINVAL and a message. */
#include "config.h"
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

#define LINES 1000

/* n bytes that end where an unreadable page begins: the library touching a
 * byte past them is a crash (Check runs each test in its own process) */
static void *before_guard(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = ROUND_UP(n, page) + page;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(mprotect(p + len - page, page, PROT_NONE), 0);
	return p + len - page - n;
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
	char out[64];
	ck_assert_int_eq(run_count(opt, rep, out, sizeof out), 0);
	ck_assert_str_eq(out, "1001\n");
	ck_assert_uint_eq(rep->records, LINES + 1);
	ck_assert_int_eq(rep->mode, RF_MODE_SERIAL);
	ck_assert_uint_eq(rep->size, OLD_REPORT_SIZE);
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

int main(void)
{
	Suite *s = suite_create("structsize");
	TCase *tc = tcase_create("sizes");
	tcase_add_test(tc, test_init_sets_the_size);
	tcase_add_test(tc, test_current_size_runs);
	tcase_add_test(tc, test_old_program);
	tcase_add_test(tc, test_report_tail_untouched);
	tcase_add_test(tc, test_unknown_sizes_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
