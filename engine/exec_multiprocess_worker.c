/* SPDX-License-Identifier: MIT */
/* exec_multiprocess_worker.c - a multiprocess worker: a serial run over its
 * byte ranges, then its aggregate or its lines, and its report, sent back
 * to the parent (exec_multiprocess.c) in the format of
 * exec_multiprocess.h. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "run.h"
#include "exec_multiprocess.h"
#include "testhooks.h"
#include "../io/fault.h"

static int write_full(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A serial run in this process over ranges[first .. first + count), in
 * order: records[i] the lines of range i (MP_RANGE_FAILED or'ed in when its
 * input failed), io[i] the backend it was read with, rep's first reject. */
void mp_read_ranges(struct run *run, struct mp_range *ranges, int first, int count, uint64_t *records, uint8_t *io,
		    struct mp_report *rep)
{
	for (int i = 0; i < count; i++) {
		struct mp_range *rg = &ranges[first + i];
		uint64_t before = run->env.rejected;
		int failed = run->failed_inputs;
		run->line_no = 0;
		run->input_idx = rg->input_idx - 1; /* process_input counts it up */
		run->input_no = (int)rg->input_idx - 1;
		run->framer.skipped_lines = 0;
		uint64_t seen[4] = { 0 };
		if (run->rep)
			memcpy(seen, run->rep->io_files, sizeof seen);
		run->read_input(run, rg->name, rg->start, rg->end);
		for (int b = 1; run->rep && b < 4; b++)
			if (run->rep->io_files[b] > seen[b])
				io[i] = (uint8_t)b;
		/* the lines of too-long records after the range's last batch are
		 * the range's too: the next range's lines start after them */
		run->line_no += run->framer.skipped_lines;
		/* an input cut among workers is counted once, by the parent */
		records[i] = run->line_no | (run->failed_inputs > failed ? MP_RANGE_FAILED : 0);
		if (before == 0 && run->env.rejected) {
			rep->first_reject_range = (uint64_t)(first + i);
			rep->first_reject_line = run->env.first_reject_line;
			rep->first_reject_why = run->env.first_reject_why;
		}
		if (run->out.err || run->fatal)
			break;
	}
}

void mp_child(struct run *run, struct mp_range *ranges, int first, int count, int data_fd, int report_fd,
	      int rejects_fd, int worker, int workers)
{
	/* this worker's share of --group-memory, measured on this worker: the
	 * parent's /proc/self/statm is the parent's, also after a fork */
	if (run->env.statm_fd >= 0) {
		close(run->env.statm_fd);
		run->env.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
		if (run->env.statm_fd < 0)
			run->env.memory_limit = 0;
	}
	if (run->env.memory_limit && run->agg >= 0) {
		uint64_t base = run->opt->memory, g = run->env.memory_limit - base;
		run->env.memory_limit = base + g / (uint64_t)workers;
		rf__agg_set_limit(rf__agg_stage_state(&run->stage[run->agg]), run->env.memory_limit, run->env.statm_fd);
	}
	/* never outlive the parent */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (run->place.pinned && worker - 1 < run->place.nthreads) {
		rf__pin_thread(run->place.cpu[worker - 1]);
		rf__prefer_node(run->place.node[worker - 1]);
	}
	/* for the test suite: a worker that dies, to see the run fail */
	if (rf__test_hooks()->worker_dies == worker)
		raise(SIGKILL);
	run->quiet = 1;
	run->out.fd = data_fd;
	if (run->have_rejects)
		run->rejects.fd = rejects_fd; /* copied out by the parent, in order */
	rf__fault_no_writes();
	struct mp_report rep = { 0 };
	rep.nranges = (uint32_t)count;
	/* on the heap: a library caller may pass more files than a stack holds */
	uint64_t *records = calloc(count > 0 ? (size_t)count : 1, sizeof *records);
	uint8_t *io = calloc(count > 0 ? (size_t)count : 1, 1);
	if (!records || !io)
		_exit(3);
	if (run->rep) /* this worker's own, for the parent's --stats */
		run->rep->io_reason[0] = 0;
	run->failed_inputs = 0; /* the parent's count came with the fork */
	mp_read_ranges(run, ranges, first, count, records, io, &rep);
	int r = run->out.err ? run->out.err : run->fatal;
	if (r == -EOVERFLOW) {
		/* the figures for the parent's message, then exit 4 */
		struct mp_over over = { run->env.groups_at_limit, run->env.resident_at_limit, run->env.memory_limit };
		write_full(report_fd, &over, sizeof over);
		_exit(4);
	}
	if (r == 0 && run->agg >= 0) {
		char *blob;
		size_t len;
		r = rf__agg_encode(rf__agg_stage_state(&run->stage[run->agg]), &blob, &len);
		if (r == 0) {
			r = write_full(data_fd, blob, len);
			free(blob);
		}
	} else if (r == 0) {
		r = rf__writer_flush(&run->out);
	}
	if (run->have_rejects && r == 0)
		r = rf__writer_flush(&run->rejects);
	rep.rejected = run->env.rejected;
	memcpy(rep.rejected_why, run->env.rejected_why, sizeof rep.rejected_why);
	rep.cut_off = run->env.cut_off;
	rep.failed_inputs = run->failed_inputs;
	rep.bytes = run->done_bytes;
	rep.inflated = run->done_inflated;
	memcpy(rep.dec_inputs, run->dec_inputs, sizeof rep.dec_inputs);
	memcpy(rep.dec_in, run->dec_in, sizeof rep.dec_in);
	memcpy(rep.dec_out, run->dec_out, sizeof rep.dec_out);
	memcpy(rep.dec_ns, run->dec_ns, sizeof rep.dec_ns);
	memcpy(rep.dec_threads, run->dec_threads, sizeof rep.dec_threads);
	rep.records = run->records;
	rep.lines = run->lines;
	rep.batches = run->framer.batches;
	rep.long_skipped = run->long_skipped;
	rep.time_outside = run->env.time_outside;
	rep.time_missing = run->env.time_missing;
	rep.seek_skipped = run->seek_skipped;
	rep.bytes_copied = run->framer.bytes_copied;
	rep.spill_batches = run->framer.spill_batches;
	if (run->rep) {
		memcpy(rep.io_reason, run->rep->io_reason, sizeof rep.io_reason);
		rep.direct_used = run->rep->direct_used;
	}
	if (run->uring) {
		struct rf_uring_info ui;
		rf__uring_info(run->uring, &ui);
		rep.uring_registered = ui.registered;
	}
	for (int i = 0; i < run->nstages; i++) {
		const struct rf_stage_stats *ss = &run->stage[i].stats;
		rep.stage[i].batches = ss->batches;
		rep.stage[i].records_in = ss->records_in;
		rep.stage[i].records_out = ss->records_out;
		rep.stage[i].bytes_in = ss->bytes_in;
		rep.stage[i].busy_ns = ss->busy_ns;
	}
	if (r == 0)
		r = write_full(report_fd, &rep, sizeof rep);
	if (r == 0)
		r = write_full(report_fd, records, (size_t)count * sizeof *records);
	if (r == 0)
		r = write_full(report_fd, io, (size_t)count);
	free(records);
	free(io);
	free(ranges); /* this process's copy: a leak checker looks at _exit */
	/* 4: the group-by outgrew --group-memory, which the parent says */
	_exit(r == 0 ? 0 : r == -EOVERFLOW ? 4 : 3);
}
