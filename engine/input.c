/* SPDX-License-Identifier: MIT */
/* input.c - the inputs of rf_run_inputs: a path as rf_run reads it, a
 * caller's descriptor read like standard input (reader_seq.c, through
 * run->in_fd), and a buffer read in place through the framer. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "run.h"
#include "executor.h"

/* A buffer: framed straight from the caller's memory, a window at a time
 * (io/source_buffer.c); messages give line numbers counted in it. */
static void read_buffer(struct run *run, const char *shown, const char *data, size_t len)
{
	struct rf_report *rep = run->rep;
	if (rep) {
		rep->inputs++;
		if (!rep->io_reason[0])
			snprintf(rep->io_reason, sizeof rep->io_reason, "a buffer in memory: read in place");
	}
	struct rf_source *src;
	size_t window = run->opt->window_size ? run->opt->window_size : run->window;
	int r = rf__source_buffer_open(&src, data, len, window);
	if (r < 0) {
		report_error(run, shown, r, "%s", strerror(-r));
		run->fatal = r;
		return;
	}
	run->exec->live(run, run->exec_state, 0);
	run->flush_each = 0;
	run->input_name = shown;
	run->input_idx++;
	run->line_base = 0;
	int every = run->opt->every_ns && run->agg >= 0;
	src->deadline_ns = every ? run->next_tick : 0;
	run->cur_src = src;
	run->framer.tick = every ? tick : NULL;
	r = rf__framer_run(&run->framer, src);
	if (r == -ECANCELED && __atomic_load_n(&run->wake_err, __ATOMIC_ACQUIRE))
		r = __atomic_load_n(&run->wake_err, __ATOMIC_ACQUIRE);
	run->cur_src = NULL;
	run->mem_input = data;
	framed(run, shown, r, src, -1, NULL);
	run->mem_input = NULL;
	if (rep)
		rep->bytes += src->bytes;
	run->done_bytes += src->bytes;
	src->ops->close(src);
}

void read_given_input(struct run *run, int i)
{
	const struct rf_input *in = &run->in[i];
	const char *shown = run->in_shown[i];
	if (in->kind == RF_INPUT_BUFFER) {
		read_buffer(run, shown, in->data, in->len);
		return;
	}
	/* The path says what is read, the name only how it is shown: the path
	 * "-" is standard input whatever its name, and any other path is
	 * opened by itself, also when its name is "-". */
	int fd = in->kind == RF_INPUT_FD ? in->fd : in->path && strcmp(in->path, "-") == 0 ? 0 : -1;
	if (fd < 0)
		run->open_as = in->path;
	/* a byte range of what is no regular file (a FIFO would block the
	 * open until a writer came): said before it is opened */
	struct stat st;
	if (in->end && stat(in->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		report_error(run, shown, -EINVAL, "a byte range is of a regular file; this is not one");
		run->failed_inputs++;
		if (run->rep)
			run->rep->inputs++;
		return;
	}
	run->in_fd = fd;
	run->range_given = in->end != 0;
	process_input_range(run, shown, in->end ? in->start : 0, in->end ? in->end : UINT64_MAX);
	run->range_given = 0;
	run->in_fd = -1;
	run->open_as = NULL;
}
