/* SPDX-License-Identifier: MIT */
/* reader_async.c - async mode, the engine's side: many small files read
 * through io_uring chains (io/async.c), each framed from memory. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "run.h"
#include "../io/codec.h"

/* ---- async mode ------------------------------------------------------------
 * One thread; the files' open/read/close go through io_uring chains, many
 * at once (io/async.c).  A file that fits in the first buffer is framed
 * straight from it; a bigger one (or anything not a regular file) takes the
 * usual path.
 */

#define ASYNC_BUFFER ((size_t)256 << 10)
#define ASYNC_DEPTH 64

static int async_file(void *user, int i, const char *data, size_t len, uint64_t size, int regular, int err)
{
	struct run *run = user;
	const char *name = run->async_files[i];
	run->input_no = i;
	if (err) {
		report_error(run, name, err, "%s", strerror(-err));
		run->failed_inputs++;
		if (run->rep)
			run->rep->inputs++;
	} else if (!regular || size != len || size > ASYNC_BUFFER ||
		   (!run->opt->decompress_off && rf__codec_detect((const unsigned char *)data, len, 1) > 0)) {
		/* a compressed file too: the sequential reader decodes it */
		run->read_input(run, name, 0, UINT64_MAX);
	} else {
		struct rf_source *src;
		int r = rf__source_memory_open(&src, data, len);
		if (r < 0) {
			run->fatal = r;
			return 1;
		}
		run->flush_each = 0;
		run->input_name = name;
		run->input_idx++;
		if (run->rep) {
			run->rep->io_used[RF_IO_URING] = 1;
			run->rep->io_files[RF_IO_URING]++;
			run->rep->inputs++;
			run->rep->bytes += len;
			if (!run->rep->io_reason[0])
				snprintf(run->rep->io_reason, sizeof run->rep->io_reason,
					 "async: statx, openat, read, close linked in io_uring");
		}
		r = rf__framer_run(&run->framer, src);
		run->mem_input = data;
		framed(run, name, r, src, -1, NULL);
		run->mem_input = NULL;
		src->ops->close(src);
		run->done_bytes += len;
	}
	return out_err(run) || run->fatal || run->stopped || run->interrupted || rf__cancelled();
}

int run_async(struct run *run, const char *const *files, int nfiles)
{
	struct rf_async *a;
	int r = rf__async_create(&a, ASYNC_BUFFER, ASYNC_DEPTH);
	if (r < 0) {
		/* no io_uring here: the plain path, file by file */
		snprintf(run->mode_reason, sizeof run->mode_reason, "io_uring unavailable (%s): serial", strerror(-r));
		run->mode = RF_MODE_SERIAL;
		for (int i = 0; i < nfiles && !out_err(run) && !run->fatal && !run->stopped && !run->interrupted; i++) {
			run->input_no = i;
			run->read_input(run, files[i], 0, UINT64_MAX);
		}
		return 0;
	}
	run->async_files = files;
	r = rf__async_run(a, files, nfiles, async_file, run);
	rf__async_destroy(a);
	return r < 0 ? r : 0;
}
