/* SPDX-License-Identifier: MIT */
/* exec_multiprocess.c - multiprocess mode, the "forked byte ranges"
 * reader: the inputs cut into one range of whole records per worker
 * process, each worker a serial run over its ranges, and the parent that
 * merges what they send back (the wire format below). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
		if (rf__cancelled()) /* a file of one endless record */
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

/* Multiline records: the first line at or after `at` (a line starts after
 * a newline) that the rule calls a start, judged whole as the framer does
 * (a line longer than max_record is none: it is part of a too-long
 * record).  Every worker's range ends where the next one's starts, so a
 * record is never cut between two. */
static int next_ml_record(int fd, uint64_t at, uint64_t size, const struct rf_ml *ml, size_t max_record,
			  const struct rf_kernels *k, uint64_t *out)
{
	uint64_t line;
	int r = next_record(fd, at, size, &line);
	if (r < 0 || line >= size || line == 0) { /* an input's first line starts a record */
		*out = line;
		return r;
	}
	size_t cap = 1 << 16, have = 0, off = 0; /* buf holds the file from `base` */
	uint64_t base = line;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		const char *nl = k->find_byte(buf + off, have - off, '\n');
		int eof = base + have >= size;
		if (nl || (eof && off < have)) {
			size_t len = (size_t)((nl ? nl : buf + have) - (buf + off));
			if (len <= max_record && rf__ml_is_start(ml, buf + off, len)) {
				*out = base + off;
				break;
			}
			off += len + 1;
			if (off < have || !eof)
				continue;
		}
		if (eof && off >= have) {
			*out = size;
			break;
		}
		if (rf__cancelled()) {
			r = -EINTR;
			break;
		}
		/* the open line to the front, then more of the file */
		memmove(buf, buf + off, have - off);
		base += off;
		have -= off;
		off = 0;
		if (have == cap) {
			if (cap > max_record + 1) { /* too long to start a record: on past it */
				base += have;
				have = 0;
				off = 0;
				uint64_t nlpos;
				if ((r = next_record(fd, base, size, &nlpos)) < 0)
					break;
				base = nlpos;
				continue;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = pread(fd, buf + have, cap - have, (off_t)(base + have));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) { /* shorter than it said: the end is here */
			size = base + have;
			continue;
		}
		have += (size_t)n;
	}
	free(buf);
	return r;
}

/* How long workers get, once the run is cancelled, to hand in what they
 * read: they see the cancel through the run's eventfd (rf__cancelled) and
 * finish as after a signal of their own; a worker that does not (a
 * program's own handler holding it, a stage stuck) is then killed. */
#define CANCEL_GRACE_MS 3000

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read fd to its end into a malloc'd buffer.  Once the run is cancelled
 * (*deadline is then set, for all the workers), wait for the end only until
 * *deadline: -ETIMEDOUT after it, for the caller to kill the workers. */
static int read_full(int fd, char **out, size_t *len, int64_t *deadline)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	int cfd = rf__cancel_fd();
	for (;;) {
		if (!*deadline && rf__cancelled())
			*deadline = now_ms() + CANCEL_GRACE_MS;
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = cfd, .events = POLLIN } };
		int timeout = -1;
		if (*deadline) {
			int64_t left = *deadline - now_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		int np = poll(pf, *deadline || cfd < 0 ? 1 : 2, timeout);
		if (np < 0 && errno != EINTR) {
			free(buf);
			return -errno;
		}
		if (np == 0 && *deadline) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			/* the eventfd: a cancel, seen above on the next turn; or a
			 * token fired and reset since, whose write is drained */
			if (!*deadline && (pf[1].revents & POLLIN) && !rf__cancelled()) {
				uint64_t v;
				ssize_t d = read(cfd, &v, sizeof v);
				(void)d;
			}
			continue;
		}
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

/* Cut the inputs into `workers` shares of whole records, each input's
 * bytes moved to record boundaries: worker w's ranges are ranges[first[w]
 * .. first[w + 1]) (ranges has room for nfiles * workers + 1, first for
 * workers + 1).  The unreadable inputs are said here, once.  0, or a
 * negative errno; *nranges the ranges made. */
int mp_cut(struct run *run, const char *const *files, int nfiles, int workers, struct mp_range *ranges, int *first,
	   int *nranges)
{
	/* sizes (the plan's stat), and the unreadable files reported once,
	 * here.  One file is open at a time, whatever the number of inputs: a
	 * run must never need more descriptors than serial mode does. */
	uint64_t total = 0, *size = calloc((size_t)nfiles + 1, sizeof *size);
	char *ok = calloc((size_t)nfiles + 1, 1);
	if (!size || !ok) {
		free(size), free(ok);
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
		/* a compressed file cannot be cut: one worker decodes it whole */
		if (size[i] && !run->opt->decompress_off && rf__input_codec(&(struct rf_input_desc){ .fd = fd }) > 0)
			ok[i] = 2;
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
			if (ok[i] == 2) {
				/* whole, to the worker whose share it begins in */
				if (fs >= lo)
					ranges[nr++] = (struct mp_range){ files[i], 0, size[i], (uint32_t)i + 1, 0, 0, 0 };
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
				if (run->framer.ml) {
					if ((r = next_ml_record(fd, a, size[i], run->framer.ml, run->opt->max_record,
								run->k, &a)) == 0)
						r = next_ml_record(fd, b, size[i], run->framer.ml, run->opt->max_record,
								   run->k, &b);
				} else if ((r = next_record(fd, a, size[i], &a)) == 0) {
					r = next_record(fd, b, size[i], &b);
				}
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
	*nranges = nr;
	return r;
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
	int nr = 0, r = mp_cut(run, files, nfiles, workers, ranges, first, &nr);

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
	int died = 0, killed = 0;
	int64_t deadline = 0; /* set once the run is cancelled: see read_full */
	for (int w = 0; w < started; w++) {
		char *buf = NULL;
		size_t len = 0;
		int rr = killed ? -EINTR : 0;
		if (run->agg >= 0 && rr == 0) {
			rr = read_full(data[w], &buf, &len, &deadline);
		}
		size_t got = 0;
		char *rbuf = NULL;
		if (rr == 0)
			rr = read_full(report[w], &rbuf, &got, &deadline);
		if (rr == -ETIMEDOUT && !killed) {
			/* cancelled, and this worker did not finish in the
			 * grace time: it and those after it are killed (and
			 * reaped below); what they read is lost */
			killed = 1;
			for (int o = w; o < started; o++)
				kill(pids[o], SIGKILL);
			rr = -EINTR;
		}
		int status = 0;
		while (waitpid(pids[w], &status, 0) < 0 && errno == EINTR)
			;
		if (killed) {
			died = 1;
			goto next;
		}
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
	/* line output, in worker (so input) order; selected rows come raw
	 * and are laid out here as one stream over all the workers' files */
	if (!died && r == 0 && run->agg < 0 && run->project >= 0) {
		struct rf_region *reg = calloc((size_t)started + 1, sizeof *reg);
		int nreg = 0;
		if (!reg)
			r = -ENOMEM;
		for (int w = 0; w < started && r == 0; w++) {
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
			reg[nreg++] = (struct rf_region){ m, (size_t)st.st_size };
		}
		if (r == 0)
			r = render_raw_rows(run, reg, nreg);
		for (int i = 0; i < nreg; i++)
			munmap((void *)reg[i].p, reg[i].n);
		free(reg);
	}
	for (int w = 0; w < started && !died && r == 0 && run->agg < 0 && run->project < 0; w++) {
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
		run->lines += reps[w].lines;
		run->framer.batches += reps[w].batches;
		run->framer.spill_batches += reps[w].spill_batches;
		run->long_skipped += reps[w].long_skipped;
		run->env.time_outside += reps[w].time_outside;
		run->env.time_missing += reps[w].time_missing;
		run->seek_skipped += reps[w].seek_skipped;
		run->framer.bytes_copied += reps[w].bytes_copied;
		run->done_inflated += reps[w].inflated;
		for (int c = 0; c < RF_COMPRESSED_MAX; c++) {
			run->dec_inputs[c] += reps[w].dec_inputs[c];
			run->dec_in[c] += reps[w].dec_in[c];
			run->dec_out[c] += reps[w].dec_out[c];
			run->dec_ns[c] += reps[w].dec_ns[c];
			run->dec_threads[c] += reps[w].dec_threads[c]; /* the workers ran at once */
		}
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
