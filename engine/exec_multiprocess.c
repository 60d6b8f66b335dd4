/* exec_multiprocess.c - multiprocess mode, the "forked byte ranges"
 * reader: the inputs cut into one range of whole records per worker
 * process, each worker a serial run over its ranges, and the parent that
 * merges what they send back (the wire format below). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "run.h"
#include "exec_multiprocess.h"
#include "testhooks.h"
#include "../io/fault.h"

/* ---- multiprocess mode ---------------------------------------------------
 *
 * The parent cuts the files into one byte range per worker, each moved to
 * the next record boundary, and forks the workers.  A worker runs the
 * serial engine over its ranges.  Aggregates come back through a pipe in
 * the partial-aggregate format and are merged by the parent; line output
 * goes to an anonymous memory file (memfd) per worker, copied out in worker
 * order.  A small report (records per range, rejects) comes back on a second
 * pipe.  A worker that dies fails the run: no partial answer is printed.
 */

/* --group-memory in multiprocess mode covers the processes together: each
 * of the N workers may take --memory + G/N, and the parent, merging their
 * partial results while the workers not yet collected still hold theirs,
 * checks its own resident memory plus theirs against --memory + G (and,
 * the workers gone, builds the result table under that). */

/* What a worker that outgrew its share reports, instead of its report. */
struct mp_over {
	uint64_t groups, resident, limit;
};

static uint64_t resident_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	uint64_t n = rf__resident_bytes(fd);
	close(fd);
	return n;
}

struct mp_range {
	const char *name;
	uint64_t start, end;
	uint32_t input_idx;
	uint64_t records;          /* lines in the range, as the worker counted */
	int failed;                /* the worker found the input unreadable */
	uint8_t io;                /* the backend the worker read it with (enum rf_io), 0 for none */
};

/* in a worker's line count of a range: the input failed there */
#define MP_RANGE_FAILED ((uint64_t)1 << 63)

struct mp_report {
	uint64_t rejected;
	uint64_t rejected_why[RF_REJECT_NWHY];
	int32_t first_reject_why;
	uint64_t cut_off;
	uint64_t first_reject_range; /* index into the parent's range list */
	uint64_t first_reject_line;  /* within that range */
	int32_t failed_inputs;
	uint32_t nranges;
	uint64_t bytes;
	/* for --stats: the parent runs no batch itself */
	uint64_t records, batches, spill_batches, long_skipped;
	char io_reason[160];         /* why the worker's first range got its backend */
	int32_t direct_used, uring_registered;
	struct {
		uint64_t batches, records_in, records_out, bytes_in, busy_ns;
	} stage[RF_MAX_STAGES];
};

/* The offset of the first record starting at or after `at` in fd. */
static int next_record(int fd, uint64_t at, uint64_t size, uint64_t *out)
{
	if (at == 0 || at >= size) {
		*out = at > size ? size : at;
		return 0;
	}
	char buf[1 << 16];
	uint64_t pos = at - 1; /* a record starts at `at` if the byte before is '\n' */
	while (pos < size) {
		if (rf__io_cancel) /* a file of one endless record */
			return -EINTR;
		ssize_t n = pread(fd, buf, sizeof buf, (off_t)pos);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		char *nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			*out = pos + (uint64_t)(nl - buf) + 1;
			return 0;
		}
		pos += (uint64_t)n;
	}
	*out = size;
	return 0;
}

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

static int read_full(int fd, char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

static void mp_child(struct run *run, struct mp_range *ranges, int first, int count, int data_fd, int report_fd,
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
	for (int i = 0; i < count; i++) {
		struct mp_range *rg = &ranges[first + i];
		uint64_t before = run->env.rejected;
		int failed = run->failed_inputs;
		run->line_no = 0;
		run->input_idx = rg->input_idx - 1; /* process_input counts it up */
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
			rep.first_reject_range = (uint64_t)(first + i);
			rep.first_reject_line = run->env.first_reject_line;
			rep.first_reject_why = run->env.first_reject_why;
		}
		if (run->out.err || run->fatal)
			break;
	}
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
	rep.records = run->records;
	rep.batches = run->framer.batches;
	rep.long_skipped = run->long_skipped;
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

int run_multiprocess(struct run *run, const char *const *files, int nfiles)
{
	int workers = run->threads;
	/* the parent holds three descriptors per worker: stay well inside the
	 * descriptor limit, with room for what the run has open already */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
		rlim_t room = nofile.rlim_cur > 32 ? (nofile.rlim_cur - 32) / 3 : 1;
		if ((rlim_t)workers > room)
			workers = room > 0 ? (int)room : 1;
		run->threads = workers;
	}
	/* --memory bounds the pools of all workers together: each gets a
	 * share, which must hold two buffers (the smallest, or those asked) */
	size_t two = 2 * rf__pool_stride(run->opt->buffer_size ? run->opt->buffer_size : POOL_HEADROOM, POOL_HEADROOM);
	if ((size_t)workers > run->opt->memory / two) {
		workers = run->opt->memory / two > 0 ? (int)(run->opt->memory / two) : 1;
		run->threads = workers;
		snprintf(run->mode_reason, sizeof run->mode_reason, "%d workers: each one's buffers within its share of --memory",
			 workers);
	}
	struct mp_range *ranges = calloc((size_t)nfiles * (size_t)workers + 1, sizeof *ranges);
	int *first = calloc((size_t)workers + 1, sizeof *first);
	pid_t *pids = calloc((size_t)workers, sizeof *pids);
	int *data = calloc((size_t)workers, sizeof *data), *report = calloc((size_t)workers, sizeof *report);
	int *rej = calloc((size_t)workers, sizeof *rej);
	struct mp_report *reps = calloc((size_t)workers + 1, sizeof *reps);
	if (!ranges || !first || !pids || !data || !report || !rej || !reps) {
		free(ranges), free(first), free(pids), free(data), free(report), free(rej), free(reps);
		return -ENOMEM;
	}
	for (int w = 0; w < workers; w++)
		rej[w] = -1;
	/* sizes (the plan's stat), and the unreadable files reported once,
	 * here.  One file is open at a time, whatever the number of inputs: a
	 * run must never need more descriptors than serial mode does. */
	uint64_t total = 0, *size = calloc((size_t)nfiles + 1, sizeof *size);
	char *ok = calloc((size_t)nfiles + 1, 1);
	if (!size || !ok) {
		free(size), free(ok);
		free(ranges), free(first), free(pids), free(data), free(report), free(rej), free(reps);
		return -ENOMEM;
	}
	for (int i = 0; i < nfiles; i++) {
		struct stat st;
		if (run->rep) /* every input, read or not, once: the workers' counts stay theirs */
			run->rep->inputs++;
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		/* stat'ed by the plan; only a name that appeared since is again */
		int known = run->inputs[i].kind == RF_INPUT_REGULAR;
		if (fd < 0 || (!known && fstat(fd, &st) < 0)) {
			report_error(run, files[i], -errno, "%s", strerror(errno));
			run->failed_inputs++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		ok[i] = 1;
		/* a made-up size: one worker reads it all, as an empty file's */
		size[i] = rf__size_lies(fd) ? 0 : known ? run->inputs[i].size : (uint64_t)st.st_size;
		close(fd);
		total += size[i];
	}
	/* cut [0, total) into `workers` ranges of whole records */
	int nr = 0, r = 0;
	uint64_t per = total / (uint64_t)workers + 1, cum = 0;
	for (int w = 0; w < workers; w++) {
		first[w] = nr;
		uint64_t lo = per * (uint64_t)w, hi = per * (uint64_t)(w + 1);
		cum = 0;
		for (int i = 0; i < nfiles && r == 0; i++) {
			if (!ok[i])
				continue;
			uint64_t fs = cum, fe = cum + size[i];
			cum = fe;
			if (fe <= lo || fs >= hi || size[i] == 0) {
				if (size[i] == 0 && fs >= lo && fs < hi) {
					/* an empty file still counts as an input */
					ranges[nr++] = (struct mp_range){ files[i], 0, 0, (uint32_t)i + 1, 0, 0, 0 };
				}
				continue;
			}
			uint64_t a = lo > fs ? lo - fs : 0, b = hi < fe ? hi - fs : size[i];
			if ((a > 0 && a < size[i]) || (b > 0 && b < size[i])) {
				/* a cut inside the file: open it just to find the
				 * record boundaries */
				int fd = open(files[i], O_RDONLY | O_CLOEXEC);
				if (fd < 0) {
					r = -errno;
					report_error(run, files[i], r, "%s", strerror(errno));
					break;
				}
				if ((r = next_record(fd, a, size[i], &a)) == 0)
					r = next_record(fd, b, size[i], &b);
				close(fd);
				if (r < 0)
					break;
			}
			if (a < b || (a == 0 && b == 0))
				ranges[nr++] = (struct mp_range){ files[i], a, b, (uint32_t)i + 1, 0, 0, 0 };
		}
	}
	first[workers] = nr;
	free(ok);
	free(size);

	fflush(NULL);
	int started = 0;
	for (int w = 0; w < workers && r == 0; w++) {
		int rp[2];
		/* line output: an anonymous file, so workers never wait on the
		 * parent; aggregates: a pipe */
		data[w] = run->agg >= 0 ? -1 : memfd_create("ringflow-worker", MFD_CLOEXEC);
		int dp[2] = { -1, -1 };
		if ((run->agg >= 0 && pipe2(dp, O_CLOEXEC) < 0) || (run->agg < 0 && data[w] < 0) ||
		    pipe2(rp, O_CLOEXEC) < 0) {
			r = -errno;
			break;
		}
		if (run->agg >= 0)
			data[w] = dp[0];
		report[w] = rp[0];
		/* rejects: an anonymous file too, copied out in worker order */
		if (run->have_rejects && (rej[w] = memfd_create("ringflow-rejects", MFD_CLOEXEC)) < 0) {
			r = -errno;
			close(rp[0]);
			close(rp[1]);
			if (run->agg >= 0)
				close(dp[1]);
			close(data[w]);
			break;
		}
		pid_t pid = fork();
		if (pid < 0) {
			r = -errno;
			break;
		}
		if (pid == 0) {
			for (int o = 0; o < w; o++) {
				close(data[o]);
				close(report[o]);
				if (rej[o] >= 0)
					close(rej[o]);
			}
			close(rp[0]);
			if (run->agg >= 0)
				close(dp[0]);
			int cfirst = first[w], ccount = first[w + 1] - first[w];
			int cdata = run->agg >= 0 ? dp[1] : data[w], crej = rej[w];
			/* the worker needs none of the parent's bookkeeping (and
			 * a leak checker looks at its _exit) */
			free(first), free(pids), free(data), free(report), free(rej), free(reps);
			mp_child(run, ranges, cfirst, ccount, cdata, rp[1], crej, w + 1, workers);
		}
		pids[w] = pid;
		started = w + 1;
		close(rp[1]);
		if (run->agg >= 0)
			close(dp[1]);
	}

	/* collect, in worker order */
	int died = 0;
	for (int w = 0; w < started; w++) {
		char *buf = NULL;
		size_t len = 0;
		int rr = 0;
		if (run->agg >= 0) {
			rr = read_full(data[w], &buf, &len);
		}
		size_t got = 0;
		char *rbuf = NULL;
		if (rr == 0)
			rr = read_full(report[w], &rbuf, &got);
		int status = 0;
		while (waitpid(pids[w], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			/* a dead worker means a hole in the answer: fail loudly */
			char what[64];
			if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
				struct mp_over over = { 0, 0, 0 };
				if (rr == 0 && got == sizeof over)
					memcpy(&over, rbuf, sizeof over);
				if (!died && !run->fatal && r == 0)
					report_note(run, "worker %d's aggregate had %llu groups when it reached %llu MiB, "
						    "over its share of %llu MiB (--memory + --group-memory / %d workers); "
						    "no result printed", w + 1, (unsigned long long)over.groups,
						    (unsigned long long)(over.resident >> 20),
						    (unsigned long long)(over.limit >> 20), workers);
				rr = -EOVERFLOW;
				died = 1;
				goto next;
			}
			if (WIFSIGNALED(status))
				snprintf(what, sizeof what, "was killed by signal %d", WTERMSIG(status));
			else
				snprintf(what, sizeof what, "failed (exit status %d)", WEXITSTATUS(status));
			report_error(run, "multiprocess", -ECHILD, "worker %d (pid %d) %s; no result", w + 1,
				     (int)pids[w], what);
			died = 1;
		} else if (rr == 0 && got >= sizeof(struct mp_report)) {
			memcpy(&reps[w], rbuf, sizeof reps[w]);
			const uint64_t *recs = (const uint64_t *)(rbuf + sizeof(struct mp_report));
			for (uint32_t i = 0; i < reps[w].nranges && sizeof(struct mp_report) + (i + 1) * 8 <= got; i++) {
				ranges[first[w] + (int)i].records = recs[i] & ~MP_RANGE_FAILED;
				ranges[first[w] + (int)i].failed = (recs[i] & MP_RANGE_FAILED) != 0;
			}
			/* then the backend of each range */
			size_t at = sizeof(struct mp_report) + (size_t)reps[w].nranges * 8;
			for (uint32_t i = 0; i < reps[w].nranges && at + i < got; i++)
				ranges[first[w] + (int)i].io = (uint8_t)rbuf[at + i] < 4 ? (uint8_t)rbuf[at + i] : 0;
			struct rf_agg_state *agg = run->agg >= 0 ? rf__agg_stage_state(&run->stage[run->agg]) : NULL;
			/* the merged state is the parent's to fit in the limit,
			 * beside the workers still holding theirs */
			uint64_t others = 0;
			for (int o = w + 1; agg && run->env.memory_limit && o < started; o++)
				others += resident_of(pids[o]);
			if (agg && run->env.memory_limit)
				rf__agg_set_limit(agg, run->env.memory_limit > others ? run->env.memory_limit - others : 1,
						  run->env.statm_fd);
			if (agg && !died && !run->fatal && r == 0) {
				rr = rf__agg_decode_merge(agg, buf, len);
				if (rr == 0)
					rr = rf__agg_room(agg, 0);
			}
			if (rr == -EOVERFLOW)
				report_note(run, "merging the workers' results had %llu groups when the parent reached "
					    "%llu MiB, with %llu MiB more in the workers still running: over %llu MiB "
					    "(--memory + --group-memory); no result printed",
					    (unsigned long long)rf__agg_groups(agg),
					    (unsigned long long)(rf__agg_at_limit(agg) >> 20),
					    (unsigned long long)(others >> 20),
					    (unsigned long long)(run->env.memory_limit >> 20));
			if (agg)
				rf__agg_set_limit(agg, run->env.memory_limit, run->env.statm_fd);
		} else {
			died = 1;
		}
next:
		if (rr < 0 && !r)
			r = rr;
		free(buf);
		free(rbuf);
	}
	/* line output, in worker (so input) order */
	for (int w = 0; w < started && !died && r == 0 && run->agg < 0; w++) {
		if (run->project >= 0) {
			/* selected rows come raw: lay them out here, as one stream */
			struct stat st;
			if (fstat(data[w], &st) < 0) {
				r = -errno;
				break;
			}
			if (st.st_size == 0)
				continue;
			void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, data[w], 0);
			if (m == MAP_FAILED) {
				r = -errno;
				break;
			}
			r = render_raw_rows(run, m, (size_t)st.st_size);
			munmap(m, (size_t)st.st_size);
			continue;
		}
		char tmp[1 << 16];
		ssize_t n;
		off_t off = 0;
		while ((n = pread(data[w], tmp, sizeof tmp, off)) > 0 && r == 0) {
			r = rf__writer_put(&run->out, tmp, (size_t)n);
			off += n;
		}
	}
	/* the rejected records, in worker (so input) order too */
	for (int w = 0; w < started && !died && r == 0 && run->have_rejects; w++) {
		char tmp[1 << 16];
		ssize_t n;
		off_t off = 0;
		while (r == 0 && (n = pread(rej[w], tmp, sizeof tmp, off)) > 0) {
			r = rf__writer_put(&run->rejects, tmp, (size_t)n);
			off += n;
		}
	}
	for (int w = 0; w < started; w++) {
		close(data[w]);
		close(report[w]);
		if (rej[w] >= 0)
			close(rej[w]);
	}
	/* inputs that failed in a worker, each once however many read it */
	for (int j = 0, last = 0; j < nr && !died; j++)
		if (ranges[j].failed && ranges[j].input_idx != (uint32_t)last) {
			last = (int)ranges[j].input_idx;
			run->failed_inputs++;
		}
	/* the backends the workers used, each input counted once (as serial
	 * mode counts it), by its first range read */
	for (int j = 0, last = 0; j < nr && !died && run->rep; j++) {
		if (!ranges[j].io)
			continue;
		run->rep->io_used[ranges[j].io] = 1;
		if (ranges[j].input_idx != (uint32_t)last) {
			last = (int)ranges[j].input_idx;
			run->rep->io_files[ranges[j].io]++;
		}
	}
	/* the workers' rejects, with line numbers made absolute */
	for (int w = 0; w < started && !died; w++) {
		run->done_bytes += reps[w].bytes;
		run->records += reps[w].records;
		run->framer.batches += reps[w].batches;
		run->framer.spill_batches += reps[w].spill_batches;
		run->long_skipped += reps[w].long_skipped;
		for (int i = 0; i < run->nstages; i++) {
			struct rf_stage_stats *ss = &run->stage[i].stats;
			ss->batches += reps[w].stage[i].batches;
			ss->records_in += reps[w].stage[i].records_in;
			ss->records_out += reps[w].stage[i].records_out;
			ss->bytes_in += reps[w].stage[i].bytes_in;
			ss->busy_ns += reps[w].stage[i].busy_ns;
		}
		if (run->rep) {
			run->rep->bytes += reps[w].bytes;
			/* the first worker's reason for its first range */
			if (!run->rep->io_reason[0])
				snprintf(run->rep->io_reason, sizeof run->rep->io_reason, "%.*s",
					 (int)sizeof reps[w].io_reason - 1, reps[w].io_reason);
			run->rep->direct_used |= reps[w].direct_used;
			run->rep->uring_registered |= reps[w].uring_registered;
		}
		run->env.cut_off += reps[w].cut_off;
		if (!reps[w].rejected)
			continue;
		uint64_t rg = reps[w].first_reject_range, line = reps[w].first_reject_line;
		if (rg < (uint64_t)nr) {
			for (uint64_t j = 0; j < rg; j++)
				if (ranges[j].input_idx == ranges[rg].input_idx)
					line += ranges[j].records;
			uint32_t idx = ranges[rg].input_idx;
			if (run->env.rejected == 0 || idx < run->env.first_reject_idx ||
			    (idx == run->env.first_reject_idx && line < run->env.first_reject_line)) {
				run->env.first_reject_idx = idx;
				run->env.first_reject_line = line;
				run->env.first_reject_why = reps[w].first_reject_why;
				run->env.first_reject_input = ranges[rg].name;
			}
		}
		run->env.rejected += reps[w].rejected;
		for (int y = 0; y < RF_REJECT_NWHY; y++)
			run->env.rejected_why[y] += reps[w].rejected_why[y];
	}
	free(ranges);
	free(first);
	free(pids);
	free(data);
	free(report);
	free(rej);
	free(reps);
	if (died && r == 0)
		r = -ECHILD;
	return r;
}
