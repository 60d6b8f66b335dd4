/* SPDX-License-Identifier: MIT */
/* check_modes.c - the same answer everywhere: a corpus of queries run
 * through rf_run() in every mode x I/O backend x SIMD level, over generated
 * lines and untidy inputs (an empty file, a tiny one, no final newline, a
 * 300 KB line, many files), compared byte for byte with serial. */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helpers.h"
#include "ringflow.h"

static char dir[64];
static char files[6][96];
static const char *paths[6];

static void write_file(const char *path, const char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/rf-modes-XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* generated lines: "k<key> v<value> word" with repeats and a few odd ones */
	size_t cap = 3 << 20, n = 0;
	char *buf = malloc(cap);
	uint64_t rs = 99;
	while (n < cap - 200) {
		uint64_t r = test_rand(&rs);
		n += (size_t)snprintf(buf + n, cap - n, "k%u %u %s\n", (unsigned)(r % 97), (unsigned)(r >> 40) % 1000,
				      r % 13 == 0 ? "ERROR x" : r % 7 == 0 ? "\tWARN  y" : "ok");
	}
	const char *names[] = { "big", "empty", "tiny", "nonl", "long", "big2" };
	for (int i = 0; i < 6; i++) {
		snprintf(files[i], sizeof files[i], "%s/%s", dir, names[i]);
		paths[i] = files[i];
	}
	write_file(files[0], buf, n);
	write_file(files[1], "", 0);
	write_file(files[2], "k1 5 ERROR\n", 11);
	write_file(files[3], "k2 7 ok\nk3 8 ERROR", 18);
	memset(buf, 'z', 300000);
	memcpy(buf + 300000, " 9 ERROR\n", 9);
	write_file(files[4], buf, 300009);
	write_file(files[5], "k1 1 ok\n", 8);
	free(buf);
}

static void teardown(void)
{
	for (int i = 0; i < 6; i++)
		unlink(files[i]);
	char out[128];
	snprintf(out, sizeof out, "%s/out", dir);
	unlink(out);
	rmdir(dir);
}

/* Run q and return what it printed (malloc'd) and its status. */
static char *run(const char *query, enum rf_mode mode, enum rf_io io, enum rf_simd simd, int *status, size_t *len)
{
	rf_query *q;
	struct rf_query_error err;
	ck_assert_msg(rf_query_parse(query, &q, &err) == 0, "%s: %s", query, err.message);
	char out[128];
	snprintf(out, sizeof out, "%s/out", dir);
	struct rf_options opt;
	rf_options_init(&opt);
	opt.catch_sigbus = 1; /* mmap among the backends, as the command reads */
	opt.mode = mode;
	opt.io = io;
	opt.simd = simd;
	opt.threads = 2;
	opt.buffer_size = 64 << 10; /* many batches even on small files */
	opt.window_size = 64 << 10;
	opt.memory = 1 << 20;
	opt.out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	opt.on_error = NULL;
	int e = dup(2), devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2); /* notes about rejects would only be noise here */
	*status = rf_run(q, paths, 6, &opt, NULL);
	dup2(e, 2);
	close(e);
	close(devnull);
	close(opt.out_fd);
	rf_query_free(q);
	struct stat st;
	ck_assert_int_eq(stat(out, &st), 0);
	char *p = malloc((size_t)st.st_size + 1);
	int fd = open(out, O_RDONLY);
	ck_assert_int_eq(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

static const char *const corpus[] = {
	"count",
	"grep ERROR",
	"grep -v ok | count",
	"split | count by $1",
	"split | count, sum($2), min($2), max($2), distinct($2), p50($2) by $3",
	"split | where $2 >= 500 | select $1, $2",
	"regex \"^k[0-9]+ 9\" | count",
	NULL,
};

START_TEST(test_every_mode_backend_and_simd)
{
	enum rf_mode modes[] = { RF_MODE_PARALLEL, RF_MODE_PIPELINE, RF_MODE_MULTIPROCESS, RF_MODE_ASYNC };
	enum rf_io ios[] = { RF_IO_MMAP, RF_IO_READ, RF_IO_URING };
	enum rf_simd simds[] = { RF_SIMD_SCALAR, RF_SIMD_SSE2, RF_SIMD_AVX2 };
	int checked = 0;
	for (int c = 0; corpus[c]; c++) {
		int want_status;
		size_t want_len;
		char *want = run(corpus[c], RF_MODE_SERIAL, RF_IO_MMAP, RF_SIMD_SCALAR, &want_status, &want_len);
		ck_assert_uint_gt(want_len, 0);
		for (int m = 0; m < 4; m++)
			for (int i = 0; i < 3; i++)
				for (int s = 0; s < 3; s++) {
					if (simds[s] == RF_SIMD_AVX2 && rf_simd_best() != RF_SIMD_AVX2)
						continue;
					int status;
					size_t len;
					char *got = run(corpus[c], modes[m], ios[i], simds[s], &status, &len);
					ck_assert_msg(status == want_status && len == want_len && !memcmp(got, want, len),
						      "'%s' in %s mode, %s, %s: %zu bytes (status %d), serial gave %zu (status %d)",
						      corpus[c], rf_mode_name(modes[m]), rf_io_name(ios[i]),
						      rf_simd_name(simds[s]), len, status, want_len, want_status);
					free(got);
					checked++;
				}
		free(want);
	}
	ck_assert_int_ge(checked, 7 * 4 * 3 * 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("modes");
	TCase *tc = tcase_create("same answer");
	tcase_set_timeout(tc, 240);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_mode_backend_and_simd);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
