/* SPDX-License-Identifier: MIT */
/* fuzz_run.c - the engine run behind the record-parser and framer harnesses. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ringflow.h"
#include "fuzz.h"

static int in_fd = -1, out_fd = -1;
static char *out_buf;
static size_t out_cap;

static void quiet(void *user, const char *input, int err, const char *message)
{
	(void)user, (void)input, (void)err, (void)message;
}

static void die(const char *what)
{
	perror(what);
	abort();
}

const char *fuzz_multiline;
int fuzz_simd;

int fuzz_run(const char *query, const uint8_t *data, size_t size, unsigned shape, const char **out,
	     size_t *out_len)
{
	if (in_fd < 0 && ((in_fd = memfd_create("fuzz-in", 0)) < 0 || (out_fd = memfd_create("fuzz-out", 0)) < 0))
		die("memfd_create");
	if (ftruncate(in_fd, 0) < 0 || ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
		die("ftruncate");
	if (size && pwrite(in_fd, data, size, 0) != (ssize_t)size)
		die("pwrite");

	rf_query *q;
	struct rf_query_error err;
	if (rf_query_parse(query, &q, &err) < 0) {
		fprintf(stderr, "fuzz: the harness query does not parse: %s\n", err.message);
		abort();
	}
	struct rf_options opt;
	rf_options_init(&opt);
	opt.mode = RF_MODE_SERIAL;
	opt.memory = 1 << 20;
	opt.out_fd = out_fd;
	opt.on_error = quiet;
	/* shapes: mmap or read(2), windows of 4 KiB to 32 KiB, buffers of
	 * 64 KiB (the least there is) or 128 KiB */
	opt.io = shape & 1 ? RF_IO_READ : RF_IO_MMAP;
	opt.catch_sigbus = 1; /* mapped input needs the SIGBUS handler */
	opt.window_size = (size_t)4096 << ((shape >> 1) & 3);
	opt.buffer_size = (size_t)65536 << ((shape >> 3) & 1);
	opt.max_record = 1 << 20;
	opt.multiline = fuzz_multiline;
	opt.simd = (enum rf_simd)fuzz_simd;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", in_fd);
	const char *files[] = { path };
	int r = rf_run(q, files, 1, &opt, NULL);
	rf_query_free(q);

	off_t n = lseek(out_fd, 0, SEEK_END);
	if (n < 0)
		die("lseek");
	if ((size_t)n + 1 > out_cap) {
		out_cap = (size_t)n + 1;
		if (!(out_buf = realloc(out_buf, out_cap)))
			die("realloc");
	}
	if (n && pread(out_fd, out_buf, (size_t)n, 0) != n)
		die("pread");
	out_buf[n] = 0;
	*out = out_buf;
	*out_len = (size_t)n;
	return r;
}
