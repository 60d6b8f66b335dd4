/* run.c - the serial runner: inputs -> source -> framer -> stages -> output.
 *
 * One thread does everything, batch by batch.  The other execution modes
 * reuse the same pieces (sources, framer, stages, writer) with different
 * plumbing between them.
 */
#include "config.h"
#define RF_PROBE_SEMAPHORES 1 /* the probes of this file have semaphores (probes.h) */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "../io/fault.h"
#include "aggregate.h"
#include "table.h"
#include "plan.h"
#include "../io/source.h"
#include "../numa/numa.h"

#define MiB ((size_t)1 << 20)
#define POOL_HEADROOM ((size_t)64 << 10) /* room for a line carried over */

void rf_options_init(struct rf_options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->mode = RF_MODE_AUTO;
	opt->io = RF_IO_AUTO;
	opt->simd = RF_SIMD_AUTO;
	opt->memory = 64 * MiB;
	opt->max_record = 256 * MiB;
	opt->out_fd = 1;
	opt->rejects_fd = -1;
}

static const char *const format_names[] = { "table", "tsv", "csv", "json" };

int rf_format_parse(const char *name, enum rf_out_format *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum rf_out_format)i;
			return 0;
		}
	return -EINVAL;
}

static const char *const io_names[] = { "auto", "read", "mmap", "uring" };
static const char *const mode_names[] = { "auto", "serial", "parallel", "multiprocess", "pipeline", "async" };

const char *rf_io_name(enum rf_io io)
{
	return (unsigned)io < 4 ? io_names[io] : "?";
}

const char *rf_mode_name(enum rf_mode mode)
{
	return (unsigned)mode < 6 ? mode_names[mode] : "?";
}

int rf_io_parse(const char *name, enum rf_io *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, io_names[i]) == 0) {
			*out = (enum rf_io)i;
			return 0;
		}
	return -EINVAL;
}

int rf_mode_parse(const char *name, enum rf_mode *out)
{
	for (int i = 0; i < 6; i++)
		if (strcmp(name, mode_names[i]) == 0) {
			*out = (enum rf_mode)i;
			return 0;
		}
	return -EINVAL;
}

/* --group-memory, or by default half of what this process may use: the
 * RAM, or a cgroup limit below it. */
static uint64_t group_memory(const struct rf_options *opt)
{
	if (opt->group_memory)
		return opt->group_memory;
	uint64_t ram = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/sys/fs/cgroup/memory.max", "r");
	unsigned long long cg;
	if (f && fscanf(f, "%llu", &cg) == 1 && cg < ram)
		ram = cg;
	if (f)
		fclose(f);
	return ram / 2;
}

uint64_t rf__resident_bytes(int statm_fd)
{
	char buf[128];
	ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
	unsigned long long size, resident;
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

const char *rf_strerror(int err)
{
	switch (err) {
	case -EOVERFLOW:
		return "the group-by outgrew --group-memory: raise it, or group by fewer or coarser keys";
	case -ENOTSUP:
		return "the requested SIMD level is not supported by this CPU";
	case -E2BIG:
		return "record longer than --max-record";
	case -EBADMSG:
		return "a record could not be parsed (--strict)";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

volatile sig_atomic_t rf__io_cancel;
int rf__cancel_fd = -1;
static pid_t cancel_pid; /* the process the eventfd was made for */

void rf_cancel(void)
{
	rf__io_cancel = 1;
	/* wake a poll() on a stream; not from a forked multiprocess worker,
	 * which shares the descriptor with its parent */
	if (rf__cancel_fd >= 0 && getpid() == cancel_pid) {
		int saved = errno;
		uint64_t one = 1;
		ssize_t w = write(rf__cancel_fd, &one, sizeof one);
		(void)w;
		errno = saved;
	}
}

/* The eventfd behind rf_cancel(), made once per process. */
static void cancel_fd_init(void)
{
	if (rf__cancel_fd >= 0)
		return;
	cancel_pid = getpid();
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd >= 0)
		rf__cancel_fd = fd;
	if (rf__io_cancel && fd >= 0)
		rf_cancel(); /* a signal came first: leave the eventfd readable too */
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- SIGBUS from a file truncated under our mapping ------------------- */

#define bus_jmp rf__bus_jmp /* per thread; the executors set theirs too (batch.c) */

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	(void)si;
	(void)uctx;
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	signal(sig, SIG_DFL); /* not ours: die as we would have */
	raise(sig);
}

static void install_sigbus(void)
{
	static int done;
	if (done)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	done = 1;
}

/* ---- the run ---------------------------------------------------------- */

struct run {
	const struct rf_options *opt;
	const struct rf_kernels *k;
	struct rf_report *rep;
	int nstages;
	struct rf_stage stage[RF_MAX_STAGES];
	int flush_each;           /* streaming input: output each batch now */
	struct rf_writer out;
	struct rf_pool pool;
	int have_pool;
	size_t pool_share;        /* parallel, pipeline: the pool's part of --memory */
	size_t window;            /* mmap window (0: the default) */
	size_t piece;             /* parallel, pipeline: batches go in up to this size */
	struct rf_uring *uring;
	int uring_error;          /* io_uring could not be set up: its -errno */
	struct rf_framer framer;
	uint64_t records;
	int failed_inputs;
	uint64_t long_skipped;      /* --on-long=skip: records dropped */
	uint64_t line_base;         /* where line 1 of the current input starts */
	const char *mem_input;      /* async mode: the input framed from memory */
	const rf_query *q;
	struct rf_stage_env env;
	struct rf_writer rejects;
	int have_rejects;
	int agg;                  /* index of the aggregate stage, or -1 */
	int project;              /* index of a select before it, or -1 */
	int count_lines;          /* a parser needs line numbers for rejects */
	uint64_t line_no;         /* lines of the current input before this batch */
	const char *input_name;
	int stopped;              /* head had enough: read no more */
	struct rf_table_out table_out;
	uint64_t next_tick;       /* --every: when the next snapshot is due */
	uint64_t snapshots;       /* tables printed, the final one included */
	uint64_t every_printed;   /* --every: snapshots printed, and skipped */
	uint64_t every_skipped;   /* due while busy (printing, or a slow batch) */
	struct rf_source *cur_src;
	/* run_pieces: the piece in the stages (here, not on its stack: a
	 * SIGBUS jumps out of it and gives its arrays back), of which batch */
	struct rf_batch piece_batch, *in_piece, *in_piece_of;
	int fatal;                /* an error that ends the run (negative errno) */
	uint32_t input_idx;
	struct rf_stage *stages;  /* serial: run->stage; parallel: worker 0's */
	struct rf_par *par;
	struct rf_pipe *pipe;
	pthread_mutex_t env_lock;
	enum rf_mode mode;
	int threads;
	char mode_reason[160];
	int interrupted;          /* rf_cancel(): the input was cut short */
	int quiet;                /* a multiprocess worker: no notes */
	const char *const *async_files;
	struct rf_placement place;
	struct rf_cpu_mask caller_cpus; /* the caller's, put back at the end */
	uint64_t total_bytes;     /* of the regular files, for progress */
	struct rf_plan_input *inputs; /* each named input as the plan saw it */
	uint64_t ram;             /* physical memory, for the backend choice */
	uint64_t done_bytes;      /* of the inputs already finished */
	uint64_t started, next_progress;
	/* parallel and pipeline mode: an eventfd the first error of a worker
	 * or of output is written to (-1: none), and that error */
	int wake_fd;
	int wake_err;
};

/* Worker threads write to run->out and run->rejects while the reading
 * thread looks at their errors: it reads them through these. */
static int out_err(const struct run *run)
{
	return __atomic_load_n(&run->out.err, __ATOMIC_ACQUIRE);
}

static int rejects_err(const struct run *run)
{
	return run->have_rejects ? __atomic_load_n(&run->rejects.err, __ATOMIC_ACQUIRE) : 0;
}

/* The first error of a worker, a stage or output (struct
 * rf_workers_config.wake): the reading thread may be waiting on a quiet
 * pipe, and is woken to end the run with it now. */
static void wake_reader(void *user, int err)
{
	struct run *run = user;
	int none = 0;
	__atomic_compare_exchange_n(&run->wake_err, &none, err, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	if (run->wake_fd >= 0) {
		uint64_t one = 1;
		ssize_t w = write(run->wake_fd, &one, sizeof one);
		(void)w;
	}
}


static int write_records(struct run *run, const struct rf_batch *b)
{
	struct rf_writer *w = &run->out;
	int r;
	if (b->all) {
		r = rf__writer_put(w, b->data, b->len);
		if (r == 0 && b->unterminated)
			r = rf__writer_put(w, "\n", 1);
		return r;
	}
	/* Neighbouring records are contiguous in the batch: write each run of
	 * them as one piece, newlines included. */
	uint32_t i = 0;
	while (i < b->nsel) {
		size_t start = b->sel[i].off;
		size_t end = (size_t)b->sel[i].off + b->sel[i].len;
		i++;
		while (end < b->len && i < b->nsel && b->sel[i].off == end + 1) {
			end = (size_t)b->sel[i].off + b->sel[i].len;
			i++;
		}
		int terminated = end < b->len; /* only the input's last line lacks one */
		r = rf__writer_put(w, b->data + start, end - start + (size_t)terminated);
		if (r == 0 && !terminated)
			r = rf__writer_put(w, "\n", 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A multiprocess worker hands its selected rows to the parent raw, so the
 * parent lays out every worker's rows as one stream: per cell a u32 length
 * (UINT32_MAX: missing) and the bytes. */
static int write_projection_raw(struct run *run, const struct rf_batch *b)
{
	const struct rf_fieldref *fields;
	int n = rf__select_fields(&run->q->stage[run->project], &fields);
	for (uint32_t r = 0; r < b->nsel; r++)
		for (int i = 0; i < n; i++) {
			struct rf_value v = rf__field(b, r, &fields[i]);
			uint32_t len = rf_value_missing(v) ? UINT32_MAX : (uint32_t)v.len;
			int e = rf__writer_put(&run->out, (const char *)&len, 4);
			if (e == 0 && len != UINT32_MAX)
				e = rf__writer_put(&run->out, v.p, len);
			if (e < 0)
				return e;
		}
	return 0;
}

/* The parent's side: raw rows back into cells, written as usual. */
static int render_raw_rows(struct run *run, const char *p, size_t n)
{
	const struct rf_fieldref *fields;
	int ncols = rf__select_fields(&run->q->stage[run->project], &fields);
	const char *names[RF_TABLE_MAX_COLS];
	for (int i = 0; i < ncols; i++)
		names[i] = fields[i].name;
	const char *end = p + n;
	int r = 0;
	while (p < end && r == 0) {
		struct rf_table *t = rf__table_new(ncols, 0, names);
		if (!t)
			return -ENOMEM;
		for (int rows = 0; rows < 4096 && p < end && r == 0; rows++) {
			struct rf_cell *row = rf__table_add_row(t);
			if (!row) {
				r = -ENOMEM;
				break;
			}
			for (int i = 0; i < ncols; i++) {
				uint32_t len;
				if (end - p < 4) {
					r = -EBADMSG;
					break;
				}
				memcpy(&len, p, 4);
				p += 4;
				if (len == UINT32_MAX)
					continue;
				if ((size_t)(end - p) < len) {
					r = -EBADMSG;
					break;
				}
				row[i].type = RF_CELL_STR;
				row[i].u.str.s = p;
				row[i].u.str.len = len;
				p += len;
			}
		}
		if (r == 0)
			r = rf__table_write(&run->table_out, t, &run->out, 0);
		rf__table_free(t);
	}
	return r;
}

/* select before an aggregate: the chosen fields of each record, as rows */
static int write_projection(struct run *run, const struct rf_batch *b)
{
	if (run->quiet)
		return write_projection_raw(run, b);
	const struct rf_fieldref *fields;
	int n = rf__select_fields(&run->q->stage[run->project], &fields);
	const char *names[RF_TABLE_MAX_COLS];
	for (int i = 0; i < n; i++)
		names[i] = fields[i].name;
	struct rf_table *t = rf__table_new(n, 0, names);
	if (!t)
		return -ENOMEM;
	for (uint32_t r = 0; r < b->nsel; r++) {
		struct rf_cell *row = rf__table_add_row(t);
		if (!row) {
			rf__table_free(t);
			return -ENOMEM;
		}
		for (int i = 0; i < n; i++) {
			struct rf_value v = rf__field(b, r, &fields[i]);
			if (rf_value_missing(v))
				continue;
			row[i].type = RF_CELL_STR;
			row[i].u.str.s = v.p;
			row[i].u.str.len = (uint32_t)v.len;
		}
	}
	int err = rf__table_write(&run->table_out, t, &run->out, 0);
	rf__table_free(t);
	return err;
}


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

static void report_error(struct run *run, const char *input, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report_note(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void process_input_range(struct run *run, const char *name, uint64_t start, uint64_t end);

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
	uint64_t records, batches, spill_batches, long_skipped, bytes_copied;
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
	const char *die = getenv("RINGFLOW_TEST_WORKER_DIES");
	if (die && atoi(die) == worker)
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
		process_input_range(run, rg->name, rg->start, rg->end);
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
	rep.bytes_copied = run->framer.bytes_copied;
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

static int run_multiprocess(struct run *run, const char *const *files, int nfiles)
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
		run->framer.bytes_copied += reps[w].bytes_copied;
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

static int print_result(struct run *run, int final);

/* --every: print the aggregate so far when a snapshot is due.  Snapshots
 * fall due on a fixed grid (start + k * interval).  Due times that passed
 * while the run was busy are skipped, not caught up with, and so are those
 * that fall within as long again as the last snapshot took to print: the
 * reading always keeps at least half the time, so a table too big for the
 * interval slows the snapshots down, never the input.  --stats counts the
 * skipped ones. */
static int tick(void *user)
{
	struct run *run = user;
	uint64_t now = now_ns(), every = run->opt->every_ns;
	if (!every || run->agg < 0 || now < run->next_tick)
		return 0;
	uint64_t late = (now - run->next_tick) / every; /* due times passed unprinted */
	run->framer.batch.input = run->input_name;
	int r = print_result(run, 0);
	if (r == 0)
		r = rf__writer_flush(&run->out);
	run->every_printed++;
	uint64_t end = now_ns();
	uint64_t next = run->next_tick + (late + 1) * every, free_at = end + (end - now);
	if (next < free_at)
		late += (free_at - next + every - 1) / every;
	run->every_skipped += late;
	run->next_tick = run->next_tick + (late + 1) * every;
	if (run->cur_src)
		run->cur_src->deadline_ns = run->next_tick;
	return r;
}

/* RINGFLOW_TEST_SLOW_STAGE=STAGE:MICROSECONDS makes one stage sleep that
 * long per batch, inside its busy time: the tracing tests need a stage that
 * is the bottleneck for certain.  Read once per stage open, never per batch. */
static unsigned test_slow_us(int stage)
{
	const char *v = getenv("RINGFLOW_TEST_SLOW_STAGE");
	int s;
	unsigned us;
	if (v && sscanf(v, "%d:%u", &s, &us) == 2 && s == stage)
		return us;
	return 0;
}

int rf__stage_open(struct rf_stage *st, const struct rf_query *q, int s, const struct rf_kernels *k,
		   struct rf_stage_env *env)
{
	st->verb = q->stage[s].verb;
	st->id = s;
	st->k = k;
	st->env = env;
	st->slow_us = test_slow_us(s);
	const char *name = st->verb->name;
	RF_PROBE2(stage__name, s, name);
	return st->verb->open(st, q->stage[s].config);
}

/* The records of an all-selected batch, as --stats counts them. */
static uint64_t count_records(const struct rf_batch *b, const struct rf_kernels *k)
{
	uint64_t lines = rf__batch_all_records(b, k);
	/* a csv record may span lines */
	return b->quote_sep && lines ? rf__batch_records(b, k) : lines;
}

int rf__run_stages(struct rf_stage *stage, int n, struct rf_batch *b)
{
	/* traced, and read before the tracer came (or counted nowhere):
	 * count it here, so that stage__begin never says 0 records in */
	if (RF_PROBE_ENABLED(stage__begin) && n > 0 && b->all && !b->nrecords && b->len)
		b->nrecords = count_records(b, stage[0].k);
	uint64_t all = b->nrecords;
	int stop = 0;
	for (int i = 0; i < n; i++) {
		struct rf_stage *st = &stage[i];
		uint64_t in = b->all ? all : b->nsel, seq = b->seq, len = b->len;
		int id = st->id;
		const char *name = st->verb->name;
		RF_PROBE5(stage__begin, id, seq, in, len, name);
		st->stats.records_in += in;
		st->stats.bytes_in += b->len;
		uint64_t t0 = now_ns();
		int r = st->verb->process(st, b);
		if (st->slow_us) {
			struct timespec ts = { .tv_sec = st->slow_us / 1000000, .tv_nsec = (long)(st->slow_us % 1000000) * 1000 };
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		/* an aggregate passes no record on, as --stats says */
		uint64_t busy = now_ns() - t0;
		uint64_t out = st->verb->kind == RF_STAGE_AGGREGATE ? 0 : b->all ? all : b->nsel;
		RF_PROBE4(stage__end, id, seq, out, busy);
		st->stats.busy_ns += busy;
		st->stats.batches++;
		if (r < 0)
			return r;
		if (r == RF_STOP)
			stop = 1;
		if (st->verb->kind != RF_STAGE_AGGREGATE)
			st->stats.records_out += b->all ? all : b->nsel;
		if (!b->all && b->nsel == 0)
			break;
	}
	return stop ? RF_STOP : 0;
}

/* What the reading thread learns of a batch before the stages see it. */
static void prepare_batch(struct run *run, struct rf_batch *b)
{
	/* Record counts for --stats cost a newline count per batch, so they
	 * are only kept when someone asked for a report, or a parser needs
	 * line numbers for the records it rejects. */
	uint64_t lines = (run->rep || run->count_lines || RF_PROBE_ENABLED(stage__begin))
				 ? rf__batch_all_records(b, run->k) : 0;
	/* a csv record may span lines: records for the report, lines for
	 * the line numbers of messages */
	b->nrecords = b->quote_sep && lines ? rf__batch_records(b, run->k) : lines;
	run->records += b->nrecords;
	b->input = run->input_name;
	b->input_idx = run->input_idx;
	if (run->count_lines) {
		if (b->input_start)
			run->line_no = 0;
		run->line_no += b->lines_skipped; /* --on-long=skip dropped them */
		b->first_line = run->line_no + 1;
		run->line_no += lines;
	}
}

/* Two rejects entries by their record's place in the batch (the heads are
 * unaligned in the buffer: compare copies); one record rejected twice
 * stays in the order it came. */
static int reject_cmp(const void *pa, const void *pb)
{
	const char *ea = *(const char *const *)pa, *eb = *(const char *const *)pb;
	struct rf_span a, b;
	memcpy(&a, ea, sizeof a);
	memcpy(&b, eb, sizeof b);
	if (a.off != b.off)
		return a.off < b.off ? -1 : 1;
	return (ea > eb) - (ea < eb);
}

/* A batch's rejected records (see struct rf_batch), in input order. */
static int write_rejects(struct run *run, struct rf_batch *b)
{
	size_t n = 0, sorted = 1;
	uint32_t last = 0;
	struct rf_span at;
	for (size_t i = 0; i < b->rejects_len; n++) {
		memcpy(&at, b->rejects + i, sizeof at);
		sorted &= n == 0 || at.off >= last;
		last = at.off;
		i += sizeof at + at.len + 1;
	}
	const char **order = NULL;
	if (!sorted && !(order = malloc(n * sizeof *order)))
		return -ENOMEM;
	if (order) {
		n = 0;
		for (size_t i = 0; i < b->rejects_len; i += sizeof at + at.len + 1) {
			memcpy(&at, b->rejects + i, sizeof at);
			order[n++] = b->rejects + i;
		}
		qsort(order, n, sizeof *order, reject_cmp);
	}
	int r = 0;
	for (size_t i = 0, k = 0; r == 0 && (order ? k < n : i < b->rejects_len); k++) {
		const char *e = order ? order[k] : b->rejects + i;
		memcpy(&at, e, sizeof at);
		r = rf__writer_put(&run->rejects, e + sizeof at, (size_t)at.len + 1);
		i += sizeof at + at.len + 1;
	}
	free(order);
	b->rejects_len = 0;
	return r;
}

/* Line output of a finished batch (no aggregate in the query).  Parallel
 * and pipeline mode call it from a worker thread for a live input, and
 * flush through flush_output: it must not read run state the reading
 * thread changes (flush_each). */
static int output_rows(void *user, struct rf_batch *b)
{
	struct run *run = user;
	int r = 0;
	if (b->rejects_len && (r = write_rejects(run, b)) < 0)
		return r;
	if (run->agg < 0 && (b->all || b->nsel)) {
		/* select with no stage before it that split the batch into records */
		if (run->project >= 0 && b->all && (r = rf__batch_expand(b, run->k)) < 0)
			return r;
		r = run->project >= 0 ? write_projection(run, b) : write_records(run, b);
	}
	return r;
}

static int flush_output(void *user)
{
	struct run *run = user;
	return rf__writer_flush(&run->out);
}

/* Serial: a streaming input's lines go out with their batch. */
static int output_batch(struct run *run, struct rf_batch *b)
{
	int r = output_rows(run, b);
	if (r == 0 && run->flush_each)
		r = rf__writer_flush(&run->out);
	return r;
}

static void progress(struct run *run, int final)
{
	uint64_t now = now_ns();
	if (!run->opt->on_progress || (!final && now < run->next_progress))
		return;
	run->next_progress = now + 200000000u;
	uint64_t done = run->done_bytes + (run->cur_src ? run->cur_src->bytes : 0);
	run->opt->on_progress(run->opt->progress_user, done, run->total_bytes, now - run->started);
}

/* Parallel and pipeline mode: a batch of a mapped file lost to a SIGBUS in
 * a worker or in the output is said as serial mode says it - for the input
 * being read, through the same jump; for an earlier one, here. */
static void report_lost(struct run *run)
{
	const char *input = NULL;
	uint32_t idx = 0;
	int lost = run->par ? rf__par_lost(run->par, &input, &idx)
		   : run->pipe ? rf__pipe_lost(run->pipe, &input, &idx) : 0;
	if (!lost)
		return;
	if (idx == run->input_idx && bus_jmp)
		siglongjmp(*bus_jmp, 1);
	report_error(run, input, -EIO, "file was truncated while mapped (SIGBUS); its results are incomplete");
	run->failed_inputs++;
}

/* One batch through the stages, or to the work items. */
static int run_one(struct run *run, struct rf_batch *b)
{
	prepare_batch(run, b);
	progress(run, 0);
	if (run->par) {
		int r = rf__io_cancel ? -EINTR : rf__par_submit(run->par, b);
		report_lost(run);
		return r;
	}
	if (run->pipe) {
		int r = rf__io_cancel ? -EINTR : rf__pipe_submit(run->pipe, b);
		report_lost(run);
		if (r == RF_STOP)
			run->stopped = 1;
		return r;
	}
	int stop = rf__run_stages(run->stage, run->nstages, b);
	if (stop < 0)
		return stop;
	int r = output_batch(run, b);
	if (r == 0 && run->opt->every_ns)
		r = tick(run);
	if (r == 0 && stop == RF_STOP) {
		run->stopped = 1;
		return RF_STOP;
	}
	if (r == 0 && rf__io_cancel)
		return -EINTR;
	return r;
}

/* The stages may have grown a piece's arrays: they stay the batch's. */
static void piece_back(struct run *run)
{
	struct rf_batch *b = run->in_piece_of, *piece = run->in_piece;
	if (!piece)
		return;
	b->sel = piece->sel;
	b->sel_cap = piece->sel_cap;
	b->vals = piece->vals;
	b->vals_cap = piece->vals_cap;
	b->arena = piece->arena;
	b->rejects = piece->rejects;
	b->rejects_cap = piece->rejects_cap;
	b->rejects_len = piece->rejects_len;
	run->in_piece = NULL;
}

/* A batch larger than run->piece (a large --buffer-size or window) goes
 * through as pieces of whole records: what the stages grow per batch
 * (records, values, rejects), and in parallel and pipeline mode the copies
 * in flight, then fit in --memory whatever the buffer size.  A record
 * longer than a piece is a piece of its own. */
static int run_pieces(struct run *run, struct rf_batch *b)
{
	struct rf_batch *piece = &run->piece_batch;
	*piece = *b;
	const char *p = b->data, *end = b->data + b->len;
	int r = 0;
	while (r == 0 && p < end) {
		size_t left = (size_t)(end - p), n = left;
		if (left > run->piece) {
			int state = RF_Q_START;
			const char *nl = b->quote_sep ? rf__csv_find_last_end(p, run->piece, b->quote_sep, &state)
						      : run->k->find_last_byte(p, run->piece, '\n');
			if (!nl) {
				state = RF_Q_START;
				nl = b->quote_sep ? rf__csv_find_end(p, left, b->quote_sep, &state)
						  : run->k->find_byte(p, left, '\n');
			}
			if (nl)
				n = (size_t)(nl + 1 - p);
		}
		piece->data = p;
		piece->len = n;
		piece->input_start = b->input_start && p == b->data;
		piece->lines_skipped = p == b->data ? b->lines_skipped : 0;
		piece->unterminated = p + n == end ? b->unterminated : 0;
		piece->all = 1;
		piece->nsel = 0;
		piece->has_vals = 0;
		piece->rejects_len = 0;
		rf__batch_reset_arena(piece);
		p += n;
		/* a SIGBUS in the stages jumps out of here: it finds the
		 * piece through the run and gives its arrays back too */
		run->in_piece_of = b;
		run->in_piece = piece;
		r = run_one(run, piece);
		piece_back(run);
	}
	return r;
}

static int run_batch(void *user, struct rf_batch *b)
{
	struct run *run = user;
	if (run->piece && b->len > run->piece)
		return run_pieces(run, b);
	return run_one(run, b);
}

int rf__reject(struct rf_stage *st, const struct rf_batch *b, uint32_t row)
{
	return rf__reject_why(st, b, row, RF_REJECT_PARSE);
}

int rf__reject_why(struct rf_stage *st, const struct rf_batch *b, uint32_t row, int why)
{
	struct rf_stage_env *env = st->env;
	if (env->lock)
		pthread_mutex_lock(env->lock);
	/* Workers may reject out of order: keep the earliest by input, line.
	 * The line number costs a newline count over the batch, so it is only
	 * worked out when this record can be the earliest: once per batch in
	 * order, not once per rejected record. */
	uint64_t line = 0;
	int earlier = env->rejected == 0 || b->input_idx < env->first_reject_idx ||
		      (b->input_idx == env->first_reject_idx && b->first_line < env->first_reject_line);
	if (earlier) {
		line = rf__batch_line_of(b, row, st->k);
		earlier = env->rejected == 0 || b->input_idx < env->first_reject_idx ||
			  line < env->first_reject_line;
	}
	env->rejected++;
	env->rejected_why[why]++;
	if (earlier) {
		env->first_reject_why = why;
		env->first_reject_line = line;
		env->first_reject_idx = b->input_idx;
		env->first_reject_input = b->input ? b->input : "-"; /* the run's own names: they outlive it */
	}
	int r = 0;
	const char *p = b->data + b->sel[row].off;
	size_t n = b->sel[row].len;
	if (env->rejects && env->defer_rejects) {
		/* batches finish out of order (parallel workers), and the stages
		 * of one batch reject in stage order (a parse, then a time key):
		 * keep the record with its batch, written out in input order */
		struct rf_batch *mb = (struct rf_batch *)b; /* only its rejects buffer */
		struct rf_span at = { b->sel[row].off, (uint32_t)n };
		size_t need = sizeof at + n + 1;
		if (mb->rejects_len + need > mb->rejects_cap) {
			size_t cap = mb->rejects_cap ? mb->rejects_cap : 4096;
			while (cap < mb->rejects_len + need)
				cap *= 2;
			char *nb = realloc(mb->rejects, cap);
			if (!nb)
				r = -ENOMEM;
			else
				mb->rejects = nb, mb->rejects_cap = cap;
		}
		if (r == 0) {
			char *d = mb->rejects + mb->rejects_len;
			memcpy(d, &at, sizeof at);
			memcpy(d + sizeof at, p, n);
			d[sizeof at + n] = '\n';
			mb->rejects_len += need;
		}
	} else if (env->rejects) {
		r = rf__writer_put(env->rejects, p, n);
		if (r == 0)
			r = rf__writer_put(env->rejects, "\n", 1);
	}
	if (env->lock)
		pthread_mutex_unlock(env->lock);
	if (r < 0)
		return r;
	return env->strict ? -EBADMSG : 0;
}

static void report_error(struct run *run, const char *input, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report_error(struct run *run, const char *input, int err, const char *fmt, ...)
{
	char *msg; /* whole, however long the names in it */
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (run->opt->on_error)
		run->opt->on_error(run->opt->error_user, input, err, msg ? msg : fmt);
	else
		fprintf(stderr, "ringflow: %s: %s\n", input, msg ? msg : fmt);
	free(msg);
}

static void report_note(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void print_note(struct run *run, const char *msg)
{
	if (run->opt->on_error)
		run->opt->on_error(run->opt->error_user, "note", 0, msg);
	else
		fprintf(stderr, "ringflow: note: %s\n", msg);
}

static void report_note(struct run *run, const char *fmt, ...)
{
	if (run->quiet)
		return; /* a multiprocess worker: the parent reports for all */
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	print_note(run, msg ? msg : fmt);
	free(msg);
}

/* What this process may hold of --memory: all of it, or a worker's share
 * in multiprocess mode (each has a pool of its own). */
static size_t process_budget(const struct run *run)
{
	size_t budget = run->opt->memory;
	if (run->mode == RF_MODE_MULTIPROCESS && run->threads > 1)
		budget /= (size_t)run->threads;
	return budget;
}

/* What this process's pool may take of it.  In parallel and pipeline mode
 * the batches in flight have the rest (see plan_items); in the other modes
 * what the stages grow for the batch at hand (in pieces of up to an eighth
 * of the budget) has a quarter.  Two buffers at least. */
static size_t pool_budget(const struct run *run)
{
	if (run->pool_share && (run->mode == RF_MODE_PARALLEL || run->mode == RF_MODE_PIPELINE))
		return run->pool_share;
	size_t budget = process_budget(run);
	if (!run->piece)
		return budget;
	size_t bs = run->opt->buffer_size ? run->opt->buffer_size : POOL_HEADROOM;
	size_t two = 2 * rf__pool_stride(bs, POOL_HEADROOM), pool = budget - budget / 4;
	return pool >= two ? pool : two < budget ? two : budget;
}

static int ensure_pool(struct run *run, int direct)
{
	if (run->have_pool)
		return 0;
	size_t budget = pool_budget(run);
	size_t bs = run->opt->buffer_size; /* a size asked for is used as it is */
	if (bs == 0) {
		/* 2 MiB: one huge page per O_DIRECT read */
		bs = direct ? 2 * MiB : 1 * MiB;
		/* two of them within the budget */
		size_t fit = rf__pool_largest(budget, POOL_HEADROOM);
		if (bs > fit && fit > 0)
			bs = fit;
	}
	int r = rf__pool_init(&run->pool, budget, bs, POOL_HEADROOM);
	if (r == -ENOSPC) {
		size_t whole = process_budget(run);
		report_error(run, "--memory", r, "%zu KiB%s do not hold two buffers of %zu KiB and their %zu KiB headroom",
			     whole >> 10, whole < run->opt->memory ? " (the share of one worker)" : "", bs >> 10,
			     POOL_HEADROOM >> 10);
		run->fatal = r;
		return r;
	}
	if (r < 0) {
		/* no buffers, no reading: the run ends here, said once */
		report_error(run, "--memory", r, "cannot allocate the buffer pool (%zu MiB of --memory, %zu MiB of it "
			     "in buffers of %zu KiB): %s (try a smaller --memory or --buffer-size, or --io=mmap)",
			     process_budget(run) >> 20, budget >> 20, bs >> 10, strerror(-r));
		run->fatal = r;
		return r;
	}
	run->have_pool = 1;
	/* the work items hold buffers: when none is free, the reader writes
	 * out what is finished, or waits for a worker */
	if (run->par) {
		run->pool.drain = rf__par_drain;
		run->pool.drain_user = run->par;
	} else if (run->pipe) {
		run->pool.drain = rf__pipe_drain;
		run->pool.drain_user = run->pipe;
	}
	/* before the first touch: the pool lives where its reader runs */
	if (run->place.interleave)
		rf__bind_memory(run->pool.slab, run->pool.slab_len, -1);
	else if (run->place.node[0] >= 0)
		rf__bind_memory(run->pool.slab, run->pool.slab_len, run->place.node[0]);
	return 0;
}

/* Line number (1-based) of the byte at `offset` in a regular file: the
 * slow path for error messages only. */
static uint64_t line_of_offset(const struct run *run, int fd, uint64_t start, uint64_t offset)
{
	char buf[1 << 16];
	uint64_t line = 1, pos = start;
	while (pos < offset) {
		size_t want = offset - pos < sizeof buf ? (size_t)(offset - pos) : sizeof buf;
		ssize_t n = pread(fd, buf, want, (off_t)pos);
		if (n <= 0)
			return 0;
		line += run->k->count_byte(buf, (size_t)n, '\n');
		pos += (uint64_t)n;
	}
	return line;
}

/* Line number of the byte at `offset` of the current input, or 0 for a
 * stream (messages then give the offset). */
static uint64_t input_line(const struct run *run, int fd, const struct rf_input_desc *in, uint64_t offset)
{
	if (!in)
		return run->mem_input ? 1 + run->k->count_byte(run->mem_input, (size_t)offset, '\n') : 0;
	return in->is_stream ? 0 : line_of_offset(run, fd, run->line_base, offset);
}

/* Pick the backend for one input and say why (engine/plan.c decides;
 * the page-cache sample is taken here, only when the rule needs it). */
static enum rf_io choose_io(struct run *run, const struct rf_input_desc *in, int *direct,
			    int *deep, char *why, size_t why_len)
{
	uint64_t size = in->is_stream ? 0 : in->size - in->start;
	int pct = -1;
	if (rf__plan_io_wants_residency(run->opt, in->is_stream, size))
		pct = rf__file_cached_percent(in->fd, in->start, in->size);
	return rf__plan_io(run->opt, in->is_stream, size, pct, run->ram, direct, deep, why, why_len);
}

static int open_source(struct run *run, const struct rf_input_desc *in, enum rf_io io, int direct,
		       int deep, struct rf_source **src, enum rf_io *used, int *direct_used)
{
	int r;
	*direct_used = 0;
	if (io == RF_IO_MMAP) {
		size_t window = run->opt->window_size ? run->opt->window_size : run->window ? run->window : 4 * MiB;
		*used = RF_IO_MMAP;
		return rf__source_mmap_open(src, in, window);
	}
	if ((r = ensure_pool(run, direct)) < 0)
		return r;
	if (io == RF_IO_URING && !run->uring && !run->uring_error) {
		r = rf__uring_create(&run->uring, &run->pool, run->opt->sqpoll);
		if (r < 0)
			run->uring_error = r;
	}
	struct rf_uring_info ui = { 0 };
	if (run->uring)
		rf__uring_info(run->uring, &ui);
	if (io == RF_IO_URING && run->uring && !ui.broken) {
		*used = RF_IO_URING;
		return rf__source_uring_open(src, in, run->uring, direct, deep, direct_used);
	}
	/* read(2) is the fallback when io_uring is unavailable (or its ring
	 * was retired after a failed submission): no error */
	*used = RF_IO_READ;
	return rf__source_read_open(src, in, &run->pool);
}

/* What the parse stage reads, for messages: "json", "combined", "split". */
static const char *parse_format(const rf_query *q)
{
	if (q->parse_stage < 0)
		return "records";
	const struct rf_stage_spec *ps = &q->stage[q->parse_stage];
	return ps->nargs && ps->args[0].type == RF_ARG_WORD ? ps->args[0].text : ps->verb->name;
}

static void report_strict(struct run *run)
{
	const char *fmt = parse_format(run->q);
	static const char *const why[RF_REJECT_NWHY] = { "cannot be parsed as %s", "no valid timestamp for the time key",
							 "over the match limits of a regular expression" };
	char what[128];
	snprintf(what, sizeof what, why[run->env.first_reject_why], fmt);
	report_error(run, run->env.first_reject_input, -EBADMSG, "line %llu: %s (--strict)",
		     (unsigned long long)run->env.first_reject_line, what);
}

/* Parallel and pipeline mode: --memory holds the pool and the batches in
 * flight, each counted at its size (it keeps its pool buffer or mmap
 * window, or a copy of a spilled record) plus what the stages grow for it;
 * when the items hold every pool buffer the reader drains them (pool.h).
 * The pool gets a quarter, at least its two buffers; the items the rest, in
 * bytes (counted as they go, see parallel.c) and in number: at least what
 * keeps the threads busy, two per worker or one per stage thread, twice
 * over (room for what the stages grow).  Larger batches go in as pieces;
 * an mmap window not asked for is made to fit.  0, or -ENOSPC with the
 * figures in why. */
static int plan_items(struct run *run, struct rf_workers_config *wc, char *why, size_t why_len)
{
	size_t mem = run->opt->memory, granule = 16 << 10;
	/* the default buffer is 1 MiB, or 2 MiB for O_DIRECT: plan for 2,
	 * made smaller as ensure_pool does when two do not fit */
	size_t bs = run->opt->buffer_size;
	if (!bs) {
		size_t fit = rf__pool_largest(mem / 4, POOL_HEADROOM);
		bs = fit > 0 && fit < 2 * MiB ? fit : 2 * MiB;
	}
	size_t stride = rf__pool_stride(bs, POOL_HEADROOM);
	int min = run->mode == RF_MODE_PARALLEL ? 2 * run->threads : run->threads;
	size_t pool = mem / 4 > 2 * stride ? mem / 4 : 2 * stride;
	size_t items = pool < mem ? mem - pool : 0;
	size_t piece = items / (2 * (size_t)min) / granule * granule;
	if (piece < granule) {
		snprintf(why, why_len, "%zu KiB do not hold the pool's %zu KiB and %d batches in flight of "
			 "%zu KiB and as much again for the stages (%s)", mem >> 10, pool >> 10, min, granule >> 10,
			 run->mode == RF_MODE_PARALLEL ? "two per worker thread" : "one per stage thread");
		return -ENOSPC;
	}
	size_t window = run->opt->window_size;
	if (!window)
		window = piece < 4 * MiB ? piece : 4 * MiB;
	size_t chunk = stride > window ? stride : window;
	if (chunk > piece)
		chunk = piece;
	size_t n = items / chunk;
	wc->items = n > 256 ? 256 : (int)n;
	wc->item_budget = items;
	run->pool_share = pool;
	run->window = window;
	run->piece = piece;
	return 0;
}

/* CPUs this process may run on (taskset, cpusets). */
static int usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static int per_input_header(const rf_query *q)
{
	return q->parse_stage >= 0 && rf__parse_reads_header(&q->stage[q->parse_stage]);
}

/* The plan phase: each named input stat'ed once, the machine's limits
 * read once, and the mode chosen from them by engine/plan.c.  The inputs
 * are kept for multiprocess mode's cut into ranges; the read itself looks
 * at the descriptor it opened (a file may change in between). */
static int plan_run(struct run *run, const char *const *files, int nfiles)
{
	struct rf_plan_input *in = calloc((size_t)nfiles + 1, sizeof *in);
	if (!in)
		return -ENOMEM;
	for (int i = 0; i < nfiles; i++) {
		struct stat st;
		if (strcmp(files[i], "-") == 0)
			in[i].kind = RF_INPUT_STDIN;
		else if (stat(files[i], &st) < 0)
			in[i].kind = RF_INPUT_MISSING;
		else if (S_ISREG(st.st_mode))
			in[i] = (struct rf_plan_input){ RF_INPUT_REGULAR, (uint64_t)st.st_size };
		else
			in[i].kind = S_ISDIR(st.st_mode) ? RF_INPUT_DIR : RF_INPUT_STREAM;
	}
	struct rf_plan_machine m = { .cpus = usable_cpus() };
	struct rlimit as;
	if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
		m.as_limit = as.rlim_cur > 0 ? (uint64_t)as.rlim_cur : 1;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	m.ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
	struct rf_plan_query pq;
	rf__plan_query(run->q, &pq);
	struct rf_plan p;
	rf__plan_mode(run->opt, &pq, in, nfiles, &m, &p);
	run->mode = p.mode;
	run->threads = p.threads;
	snprintf(run->mode_reason, sizeof run->mode_reason, "%s", p.reason);
	run->total_bytes = p.total;
	run->ram = m.ram;
	run->inputs = in;
	return 0;
}

static void place_options(const struct rf_options *opt, struct rf_place_options *po)
{
	memset(po, 0, sizeof *po);
	po->policy = opt->numa == RF_NUMA_MODE_OFF ? RF_NUMA_OFF
		   : opt->numa == RF_NUMA_MODE_INTERLEAVE ? RF_NUMA_INTERLEAVE
		   : opt->numa == RF_NUMA_MODE_NODE ? RF_NUMA_NODE : RF_NUMA_AUTO;
	po->node = opt->numa_node;
	for (int i = 0; opt->cpus && i < opt->ncpus && i < RF_NUMA_MAX_CPUS; i++)
		po->cpus[po->ncpus++] = opt->cpus[i];
}

int rf_parse_cpus(const char *list, int *cpus, int max, int *n)
{
	return rf__parse_cpu_list(list, cpus, max, n);
}

int rf_check_placement(const struct rf_options *opt, char *err, size_t err_len)
{
	struct rf_topology *t = malloc(sizeof *t);
	struct rf_placement *pl = malloc(sizeof *pl);
	struct rf_place_options *po = malloc(sizeof *po);
	int r = -ENOMEM;
	if (t && pl && po) {
		rf__topology_read(t);
		place_options(opt, po);
		r = rf__place(t, RF_PLACE_SPREAD, 1, po, pl, err, err_len);
	}
	free(t);
	free(pl);
	free(po);
	return r;
}

/* Where the run's threads go (numa/placement.c decides); serial and
 * async pin the calling thread here, the modes pin their own threads.
 * --cpus first confines the calling thread to the list, so every thread
 * and worker process it starts inherits it (the reading thread included);
 * rf_run gives the caller its own mask back at the end. */
static int place_threads(struct run *run)
{
	int n;
	enum rf_place_shape shape = rf__plan_place_shape(run->mode, run->threads, &n);
	struct rf_topology *t = malloc(sizeof *t);
	struct rf_place_options *po = malloc(sizeof *po);
	int r = -ENOMEM;
	char err[256] = "";
	if (t && po) {
		rf__topology_read(t);
		place_options(run->opt, po);
		r = rf__place(t, shape, n, po, &run->place, err, sizeof err);
		if (r < 0)
			report_error(run, "placement", r, "%s", err);
		else if (po->ncpus && rf__save_cpus(&run->caller_cpus) == 0)
			rf__allow_cpus(po->cpus, po->ncpus);
	}
	free(t);
	free(po);
	if (r == 0 && shape == RF_PLACE_ONE && run->place.pinned && rf__save_cpus(&run->caller_cpus) == 0) {
		rf__pin_thread(run->place.cpu[0]);
		rf__prefer_node(run->place.node[0]);
	}
	return r;
}

static void process_input_range(struct run *run, const char *name, uint64_t start, uint64_t end);

static void process_input(struct run *run, const char *name)
{
	process_input_range(run, name, 0, UINT64_MAX);
}

/* One input, or the byte range [start, end) of a regular file (multiprocess
 * workers; the parent aligned the range to whole records). */
/* What the framer's result for one input means: the end of the run, an
 * error for this input (the others go on), or nothing.  `in` is NULL for
 * bytes that came from memory (async mode): no line number to look up. */
static void framed(struct run *run, const char *shown, int r, const struct rf_source *src, int fd,
		   const struct rf_input_desc *in)
{
	if (run->framer.long_skipped) {
		/* --on-long=skip: dropped, but never silently */
		uint64_t n = run->framer.long_skipped, off = run->framer.first_long_offset;
		uint64_t line = input_line(run, fd, in, off);
		char first[64];
		snprintf(first, sizeof first, line ? "line %llu" : "byte %llu",
			 (unsigned long long)(line ? line : off));
		char *msg;
		if (asprintf(&msg, "%s: %llu record%s longer than --max-record (%zu bytes) skipped; the first at %s",
			     shown, (unsigned long long)n, n == 1 ? "" : "s", run->opt->max_record, first) < 0)
			msg = NULL;
		print_note(run, msg ? msg : "records longer than --max-record skipped");
		free(msg); /* a multiprocess worker too: per input, the parent has no sum of it */
		run->long_skipped += n;
	}
	if (r < 0 && r != -EINTR && src && src->failed && !out_err(run)) {
		/* not the file's fault, nor the run's: this input is incomplete */
		report_error(run, shown, r, "%s failed: %s; its results are incomplete", src->failed, strerror(-r));
		run->failed_inputs++;
	} else if (r == RF_STOP) {
		/* a head had enough: run_batch marked the run stopped */
	} else if (r == -EINTR && rf__io_cancel) {
		run->interrupted = 1;
	} else if (r == -EBADMSG) {
		if (!run->par) /* parallel: reported once the workers stop */
			report_strict(run);
		run->fatal = r;
	} else if (r == -ENOMEM) {
		report_error(run, shown, r, "out of memory in %s mode (try a smaller --memory or --buffer-size%s)",
			     rf_mode_name(run->mode), run->mode == RF_MODE_SERIAL ? "" : ", or --mode=serial");
		run->fatal = r;
	} else if (r == -EOVERFLOW) {
		run->fatal = r;
	} else if (r == -E2BIG) {
		uint64_t off = run->framer.error_offset;
		uint64_t line = input_line(run, fd, in, off);
		if (line)
			report_error(run, shown, r, "line %llu: record longer than --max-record (%zu bytes)",
				     (unsigned long long)line, run->opt->max_record);
		else
			report_error(run, shown, r, "byte %llu: record longer than --max-record (%zu bytes)",
				     (unsigned long long)off, run->opt->max_record);
		run->failed_inputs++;
	} else if (r < 0 && out_err(run)) {
		/* output failure: rf_run reports it */
	} else if (r < 0 && rejects_err(run)) {
		/* writing a rejected record failed: not this input's fault, and
		 * records would be lost silently if the run went on */
		report_error(run, "--rejects", r, "cannot write: %s", strerror(-r));
		run->fatal = r;
	} else if (r < 0) {
		report_error(run, shown, r, "read error: %s; its results are incomplete", strerror(-r));
		run->failed_inputs++;
	} else if (src->shrunk) {
		report_error(run, shown, -EIO, "file shrank while being read; its results are incomplete");
		run->failed_inputs++;
	}
}

static void process_input_range(struct run *run, const char *name, uint64_t start, uint64_t end)
{
	struct rf_report *rep = run->rep;
	const char *shown = name ? name : "-";
	int is_stdin = !name || strcmp(name, "-") == 0;
	if (rep) /* every input, also one that cannot be read */
		rep->inputs++;
	int fd = is_stdin ? 0 : open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		report_error(run, shown, -errno, "%s", strerror(errno));
		run->failed_inputs++;
		return;
	}
	struct stat st;
	int e = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
	if (e) {
		report_error(run, shown, -e, "%s", strerror(e));
		run->failed_inputs++;
		if (!is_stdin)
			close(fd);
		return;
	}
	struct rf_input_desc in = { .fd = fd };
	/* Files in /proc and /sys say they are empty, or 4096 bytes, and are
	 * not (a FUSE file may say anything): read those like a stream, to the
	 * end, with read(2) or one io_uring read at a time. */
	if (S_ISREG(st.st_mode) && st.st_size > 0 && !rf__size_lies(fd)) {
		off_t pos = is_stdin ? lseek(fd, 0, SEEK_CUR) : 0;
		in.start = pos > 0 ? (uint64_t)pos : 0;
		run->line_base = in.start; /* a worker's range: lines count from the file's start */
		in.size = (uint64_t)st.st_size;
		if (end < in.size)
			in.size = end;
		if (start > in.start) {
			in.start = start;
			(void)lseek(fd, (off_t)start, SEEK_SET); /* the read backend reads from here */
		}
		if (in.start > in.size)
			in.start = in.size;
	} else {
		in.is_stream = 1;
		if (S_ISFIFO(st.st_mode))
			rf__pipe_grow(fd, MiB);
	}
	/* before waiting on a pipe, out with what the inputs before it gave */
	if (in.is_stream && !run->flush_each && !run->par && !run->pipe)
		(void)rf__writer_flush(&run->out); /* an error stays in out.err */
	run->flush_each = in.is_stream;
	if (run->par)
		rf__par_live(run->par, in.is_stream);
	else if (run->pipe)
		rf__pipe_live(run->pipe, in.is_stream);
	run->input_name = shown;
	run->input_idx++;

	char why[160];
	int direct = 0, direct_used = 0, deep = 0;
	enum rf_io want = choose_io(run, &in, &direct, &deep, why, sizeof why);
	enum rf_io used = want;
	struct rf_source *src = NULL;
	int r = open_source(run, &in, want, direct, deep, &src, &used, &direct_used);
	if (rep) {
		if (used != want && want == RF_IO_URING)
			snprintf(why, sizeof why, "io_uring unavailable (%s): read(2)",
				 strerror(-run->uring_error));
		if (!rep->io_reason[0])
			snprintf(rep->io_reason, sizeof rep->io_reason, "%s", why);
		rep->io_used[used] = 1;
		rep->io_files[used]++;
		rep->direct_used |= direct_used;
	}
	if (r < 0 && run->fatal) {
		goto out; /* the buffer pool: said already, and the run ends */
	} else if (r < 0) {
		report_error(run, shown, r, "cannot read: %s", strerror(-r));
		run->failed_inputs++;
		goto out;
	}

	/* A truncated mapping raises SIGBUS: turn it into an error for this
	 * input instead of a crash. */
	sigjmp_buf jb;
	if (used == RF_IO_MMAP) {
		install_sigbus();
		if (sigsetjmp(jb, 1)) {
			bus_jmp = NULL;
			report_error(run, shown, -EIO,
				     "file was truncated while mapped (SIGBUS); its results are incomplete");
			run->failed_inputs++;
			run->framer.spill_len = 0;
			piece_back(run); /* the piece the stages were in, if any */
			goto close_src;
		}
		bus_jmp = &jb;
	}
	/* --every without an aggregate has no snapshot to print: the lines
	 * stream as they come, and no deadline wakes the reader */
	int every = run->opt->every_ns && run->agg >= 0;
	src->deadline_ns = every ? run->next_tick : 0;
	src->wake_fd = run->wake_fd;
	run->cur_src = src;
	run->framer.tick = every ? tick : NULL;
	r = rf__framer_run(&run->framer, src);
	if (r == -ECANCELED && __atomic_load_n(&run->wake_err, __ATOMIC_ACQUIRE))
		r = __atomic_load_n(&run->wake_err, __ATOMIC_ACQUIRE); /* as the next hand-over would have said */
	bus_jmp = NULL;
	run->cur_src = NULL;
	framed(run, shown, r, src, fd, &in);
	if (rep)
		rep->bytes += src->bytes;
	run->done_bytes += src->bytes;
close_src:
	src->ops->close(src);
out:
	if (!is_stdin)
		close(fd);
}

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
	if (err) {
		report_error(run, name, err, "%s", strerror(-err));
		run->failed_inputs++;
		if (run->rep)
			run->rep->inputs++;
	} else if (!regular || size != len || size > ASYNC_BUFFER) {
		process_input(run, name);
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
	return out_err(run) || run->fatal || run->stopped || run->interrupted || rf__io_cancel;
}

static int run_async(struct run *run, const char *const *files, int nfiles)
{
	struct rf_async *a;
	int r = rf__async_create(&a, ASYNC_BUFFER, ASYNC_DEPTH);
	if (r < 0) {
		/* no io_uring here: the plain path, file by file */
		snprintf(run->mode_reason, sizeof run->mode_reason, "io_uring unavailable (%s): serial", strerror(-r));
		run->mode = RF_MODE_SERIAL;
		for (int i = 0; i < nfiles && !out_err(run) && !run->fatal && !run->stopped && !run->interrupted; i++)
			process_input(run, files[i]);
		return 0;
	}
	run->async_files = files;
	r = rf__async_run(a, files, nfiles, async_file, run);
	rf__async_destroy(a);
	return r < 0 ? r : 0;
}

/* --every --format=json: each snapshot one JSON document on one line,
 * {"time":"2026-11-30T13:50:01.123Z","final":false,"rows":[...]}, the
 * result at the end too ("final":true), so a reader parses line by line. */
static int snapshot_head(struct run *run, int final)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char head[96];
	int n = snprintf(head, sizeof head, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"final\":%s,\"rows\":[",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, final ? "true" : "false");
	return rf__writer_put(&run->out, head, (size_t)n);
}

/* The result table, through the stages after the aggregate.  `final`: no
 * more input comes, so the group index can go before the table is built.
 * A top or sort right after the aggregate orders the rows itself, with the
 * keys as its tie-break: the table need not be sorted by key first. */
static int print_result(struct run *run, int final)
{
	struct rf_stage *st = &run->stages[run->agg];
	struct rf_table *t = NULL;
	int flags = final ? RF_AGG_FINAL : 0, next = run->agg + 1;
	if (next < run->q->nstages && (strcmp(run->q->stage[next].verb->name, "top") == 0 ||
				       strcmp(run->q->stage[next].verb->name, "sort") == 0))
		flags |= RF_AGG_UNSORTED;
	struct rf_agg_state *agg = rf__agg_stage_state(st);
	if (final && run->rep) { /* for --stats: the state before the result is built */
		run->rep->groups = rf__agg_groups(agg);
		run->rep->group_bytes = rf__agg_bytes(agg);
	}
	int r = rf__agg_result(agg, flags, &t);
	if (r == -EOVERFLOW) {
		run->env.groups_at_limit = rf__agg_groups(agg);
		run->env.resident_at_limit = rf__agg_at_limit(agg);
	}
	if (r < 0)
		return r;
	for (int i = run->agg + 1; i < run->q->nstages && r == 0; i++)
		r = run->q->stage[i].verb->apply(run->q->stage[i].config, t);
	if (r == 0) {
		/* a single number stands alone, also in every snapshot */
		int bare = t->nkeys == 0 && t->ncols == 1;
		if (run->snapshots++ && run->table_out.format != RF_FORMAT_JSON) {
			/* each snapshot is a whole table, with its own header */
			if (run->table_out.format == RF_FORMAT_TABLE && !bare)
				rf__writer_put(&run->out, "\n", 1);
			run->table_out.header_done = 0;
		}
		int doc = run->opt->every_ns && run->table_out.format == RF_FORMAT_JSON;
		run->table_out.json_array = doc;
		if (doc)
			r = snapshot_head(run, final);
		if (r == 0)
			r = rf__table_write(&run->table_out, t, &run->out, bare);
		if (r == 0 && doc)
			r = rf__writer_put(&run->out, "]}\n", 3);
	}
	rf__table_free(t);
	return r;
}

static void fill_report(struct run *run, uint64_t t0)
{
	struct rf_report *rep = run->rep;
	rep->rejected = run->env.rejected;
	rep->first_reject_line = run->env.first_reject_line;
	if (run->env.first_reject_input)
		rf__fit_text(rep->first_reject_input, sizeof rep->first_reject_input, run->env.first_reject_input,
			     strlen(run->env.first_reject_input));
	rep->simd = run->k->level;
	rep->records = run->records;
	rep->batches = run->framer.batches;
	rep->spill_batches = run->framer.spill_batches;
	rep->longest_record = run->framer.longest_spill;
	rep->bytes_copied = run->framer.bytes_copied + (run->par ? rf__par_copied(run->par) : 0) +
			    (run->pipe ? rf__pipe_copied(run->pipe) : 0);
	rep->long_skipped = run->long_skipped;
	rep->snapshots = run->every_printed;
	rep->snapshots_skipped = run->every_skipped;
	rep->inputs_failed = (uint64_t)run->failed_inputs;
	if (run->have_pool) {
		rep->pool_buffers = run->pool.count;
		rep->pool_buffer_size = run->pool.buf_size;
		rep->pool_high_water = run->pool.high_water;
	}
	if (run->uring) {
		struct rf_uring_info info;
		rf__uring_info(run->uring, &info);
		rep->uring_registered = info.registered;
	}
	rep->mode = run->mode;
	rep->threads = run->threads;
	snprintf(rep->mode_reason, sizeof rep->mode_reason, "%s", run->mode_reason);
	rep->nstages = run->nstages;
	int nw = run->par ? rf__par_workers(run->par) : 1;
	for (int i = 0; run->pipe && i < run->nstages; i++) {
		uint64_t ew, fw, ens, fns, ew2, fw2, ens2, fns2;
		rf__pipe_queue_stats(run->pipe, i, &ew, &fw, &ens, &fns);
		rf__pipe_queue_stats(run->pipe, i + 1, &ew2, &fw2, &ens2, &fns2);
		rep->stage[i].wait_ns = ens;       /* waiting for input */
		rep->stage[i].queue_empty = ew;
		rep->stage[i].queue_full = fw2;    /* its output ring was full */
	}
	for (int w = 0; w < nw; w++) {
		/* parallel: each worker's time and counts, summed */
		struct rf_stage *st = run->par ? rf__par_stages(run->par, w) : run->stages ? run->stages : run->stage;
		for (int i = 0; i < run->nstages; i++) {
			rep->stage[i].batches += st[i].stats.batches;
			rep->stage[i].records_in += st[i].stats.records_in;
			rep->stage[i].records_out += st[i].stats.records_out;
			rep->stage[i].bytes_in += st[i].stats.bytes_in;
			rep->stage[i].busy_ns += st[i].stats.busy_ns;
			rep->stage[i].name = st[i].verb->name;
		}
	}
	rep->elapsed_ns = now_ns() - t0;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		rep->peak_rss_kb = (uint64_t)ru.ru_maxrss;
	rep->numa_nodes = rf__numa_nodes();
	rep->numa_interleave = run->place.interleave;
	rep->placed = run->place.nthreads < 64 ? run->place.nthreads : 64;
	for (int i = 0; i < rep->placed; i++) {
		rep->place_cpu[i] = run->place.cpu[i];
		rep->place_node[i] = run->place.node[i];
	}
}

int rf_run(const rf_query *q, const char *const *files, int nfiles,
	   const struct rf_options *opt, struct rf_report *report)
{
	uint64_t t0 = now_ns();
	if ((unsigned)opt->mode > RF_MODE_ASYNC || opt->threads < 0)
		return -EINVAL;
	/* a record's fields count their bytes in 32 bits */
	if (opt->memory == 0 || opt->max_record == 0 || opt->max_record > ((size_t)1 << 30))
		return -EINVAL;
	/* A buffer size asked for is used as it is, never clamped: one under
	 * 64 KiB, or of which the pool cannot hold two within --memory, is
	 * refused (the command says why first). */
	if (opt->buffer_size && (opt->buffer_size < POOL_HEADROOM ||
				 rf__pool_stride(opt->buffer_size, POOL_HEADROOM) > opt->memory / 2))
		return -EINVAL;
	const struct rf_kernels *k = rf__kernels(opt->simd);
	if (!k)
		return -ENOTSUP;
	cancel_fd_init();

	struct run *run = calloc(1, sizeof *run);
	if (!run)
		return -ENOMEM;
	run->opt = opt;
	run->k = k;
	run->rep = report;
	run->wake_fd = -1;
	run->q = q;
	run->agg = q->agg_stage;
	run->project = q->project_stage;
	run->count_lines = q->parse_stage >= 0 || rf__query_may_reject(q);
	run->table_out.format = (enum rf_format)opt->format;
	run->table_out.streaming = q->agg_stage < 0;
	run->env.strict = opt->strict;
	/* rejects go out with their batch, in input order (--strict stops at
	 * the first one: straight out) */
	run->env.defer_rejects = !opt->strict;
	run->env.statm_fd = -1;
	if (opt->rejects_fd >= 0) {
		if (rf__writer_init(&run->rejects, opt->rejects_fd, 64 << 10) < 0) {
			free(run);
			return -ENOMEM;
		}
		run->have_rejects = 1;
		run->env.rejects = &run->rejects;
	}
	if (opt->every_ns)
		run->next_tick = now_ns() + opt->every_ns;
	if (report)
		memset(report, 0, sizeof *report);
	int r = rf__writer_init(&run->out, opt->out_fd, 256 << 10);
	if (r < 0) {
		free(run);
		return r;
	}
	rf__framer_init(&run->framer, k, opt->max_record, run_batch, run);
	run->framer.skip_long = opt->skip_long;
	/* parse csv/tsv (always the first stage): a quoted field may hold a
	 * newline, so records end only at newlines outside quotes */
	if (per_input_header(q))
		run->framer.quote_sep = strcmp(parse_format(q), "tsv") == 0 ? '\t' : ',';
	if (q->agg_stage >= 0) {
		run->env.memory_limit = opt->memory + group_memory(opt);
		run->env.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
		if (run->env.statm_fd < 0)
			run->env.memory_limit = 0; /* no /proc: no way to measure */
	}
	pthread_mutex_init(&run->env_lock, NULL);
	if ((r = plan_run(run, files, nfiles)) < 0)
		goto done;
	if ((r = place_threads(run)) < 0)
		goto done;
	int probe_mode = (int)run->mode, probe_threads = run->threads;
	RF_PROBE2(run__start, probe_mode, probe_threads);
	run->started = now_ns();
	/* the stages up to the aggregate run per batch; the rest on its table */
	int nrow = run->agg >= 0 ? run->agg + 1 : q->nstages;
	run->stages = run->stage;
	if (run->mode == RF_MODE_PARALLEL || run->mode == RF_MODE_PIPELINE) {
		run->env.lock = &run->env_lock;
		run->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); /* -1: no wake, as before */
		struct rf_workers_config wc = {
			.workers = run->threads,
			.queue_depth = opt->queue_depth,
			.q = q,
			.nstages = nrow,
			.k = k,
			.env = &run->env,
			.output = output_rows,
			.flush = flush_output,
			.wake = wake_reader,
			.user = run,
			.place = &run->place,
		};
		char why[256] = "";
		wc.why = why;
		wc.why_len = sizeof why;
		/* the items and the pool share --memory: both bounded */
		if ((r = plan_items(run, &wc, why, sizeof why)) < 0 && opt->mode != RF_MODE_AUTO) {
			report_error(run, "--memory", r, "%s in %s mode (try a larger --memory, a smaller "
				     "--buffer-size or --window, or --mode=serial)", why, rf_mode_name(run->mode));
			goto done;
		}
		if (r == 0 && run->mode == RF_MODE_PARALLEL)
			r = rf__par_create(&run->par, &wc);
		else if (r == 0)
			r = rf__pipe_create(&run->pipe, &wc);
		if (!why[0] && r < 0)
			snprintf(why, sizeof why, "cannot start: %s", strerror(-r));
		if (r < 0 && opt->mode == RF_MODE_AUTO) {
			/* auto never picks a mode that fails where serial would
			 * not (threads refused under a small ulimit -v) */
			snprintf(run->mode_reason, sizeof run->mode_reason, "%s mode: %s: serial",
				 rf_mode_name(run->mode), why);
			run->mode = RF_MODE_SERIAL;
			run->threads = 1;
			run->env.lock = NULL;
			r = 0;
		} else if (r < 0) {
			/* name what failed and what helps (small ulimit -v, few
			 * threads allowed): not a bare strerror */
			report_error(run, rf_mode_name(run->mode), r, "%s (try %s--mode=serial, or a smaller --memory)",
				     why, run->mode == RF_MODE_PARALLEL ? "--threads=1 or " : "");
			goto done;
		} else {
			run->nstages = nrow;
			run->stages = run->par ? rf__par_stages(run->par, 0) : rf__pipe_stages(run->pipe);
		}
	}
	if (!run->par && !run->pipe) {
		/* batches through the stages in pieces of up to an eighth of
		 * this process's budget (see pool_budget) */
		run->piece = process_budget(run) / 8 / (16 << 10) * (16 << 10);
		if (run->piece < (64 << 10))
			run->piece = 64 << 10;
		for (int i = 0; i < nrow; i++) {
			run->nstages = i + 1;
			if ((r = rf__stage_open(&run->stage[i], q, i, k, &run->env)) < 0)
				goto done;
		}
	}

	if (run->mode == RF_MODE_MULTIPROCESS) {
		int mr = run_multiprocess(run, files, nfiles);
		if (mr == -EINTR && rf__io_cancel)
			run->interrupted = 1;
		else if (mr < 0 && !run->fatal)
			run->fatal = mr;
	} else if (run->mode == RF_MODE_ASYNC) {
		int ar = run_async(run, files, nfiles);
		if (ar < 0 && !run->fatal)
			run->fatal = ar;
	} else {
		if (nfiles == 0)
			process_input(run, NULL);
		for (int i = 0; i < nfiles && !out_err(run) && !run->fatal && !run->stopped && !run->interrupted; i++)
			process_input(run, files[i]);
	}
	progress(run, 1);
	if (run->pipe) {
		int pr = rf__pipe_finish(run->pipe);
		report_lost(run);
		if (pr < 0 && !run->fatal && !run->out.err)
			run->fatal = pr;
		if (pr == -EBADMSG)
			report_strict(run);
	}
	if (run->par) {
		/* everything handed over: wait for it, then fold the workers'
		 * aggregates into worker 0's */
		int pr = rf__par_finish(run->par);
		report_lost(run);
		if (pr < 0 && !run->fatal && !run->out.err)
			run->fatal = pr;
		if (pr == -EBADMSG)
			report_strict(run);
		for (int w = 1; run->agg >= 0 && !run->fatal && w < rf__par_workers(run->par); w++) {
			struct rf_stage *src = &rf__par_stages(run->par, w)[run->agg];
			if ((pr = rf__agg_stage_merge(&run->stages[run->agg], src)) < 0)
				run->fatal = pr;
		}
	}

	if (run->out.err || run->fatal) {
		r = run->out.err ? run->out.err : run->fatal;
		/* multiprocess mode said which process, and its figures */
		if (r == -EOVERFLOW && run->mode != RF_MODE_MULTIPROCESS)
			report_note(run, "the aggregate had %llu groups when the process reached %llu MiB, "
				    "over %llu MiB (--memory + --group-memory); no result printed",
				    (unsigned long long)run->env.groups_at_limit,
				    (unsigned long long)(run->env.resident_at_limit >> 20),
				    (unsigned long long)(run->env.memory_limit >> 20));
		goto done;
	}
	if (run->agg >= 0 && (r = print_result(run, 1)) < 0) {
		if (r == -EOVERFLOW)
			report_note(run, "the result table of %llu groups would have taken the process to %llu MiB, "
				    "over %llu MiB (--memory + --group-memory); no result printed",
				    (unsigned long long)run->env.groups_at_limit,
				    (unsigned long long)(run->env.resident_at_limit >> 20),
				    (unsigned long long)(run->env.memory_limit >> 20));
		goto done;
	}
	if ((r = rf__writer_flush(&run->out)) < 0)
		goto done;
	if (run->have_rejects && (r = rf__writer_flush(&run->rejects)) < 0) {
		report_error(run, "--rejects", r, "cannot write: %s", strerror(-r));
		goto done;
	}
	r = run->failed_inputs ? 1 : 0;
	if (run->interrupted || rf__io_cancel) {
		/* the output above is real, but covers only what was read */
		report_note(run, "interrupted: the %s covers only the input read before the signal",
			    run->agg >= 0 ? "result" : "output");
		r = -EINTR;
	}
	/* nothing dropped silently: say what a parser or an aggregate skipped */
	for (int y = 0; y < RF_REJECT_NWHY; y++) {
		static const char *const why[RF_REJECT_NWHY] = {
			"could not be parsed as %s", "had no valid timestamp for the time key",
			"were over the match limits of a regular expression" };
		uint64_t n = run->env.rejected_why[y];
		if (!n)
			continue;
		char what[128], where[64] = "";
		snprintf(what, sizeof what, why[y], parse_format(q));
		int first = run->env.first_reject_line && run->env.first_reject_why == y;
		if (first) /* the file name whole, however long: it goes in as it is */
			snprintf(where, sizeof where, " line %llu)", (unsigned long long)run->env.first_reject_line);
		if (y == RF_REJECT_REGEX && n == 1)
			snprintf(what, sizeof what, "was over the match limits of a regular expression");
		report_note(run, "%llu record%s %s and %s skipped%s%s%s%s", (unsigned long long)n, n == 1 ? "" : "s",
			    what, n == 1 ? "was" : "were", first ? " (first: " : "",
			    first ? run->env.first_reject_input : "", where,
			    run->have_rejects ? "; they are in the --rejects file" : "; --rejects FILE keeps them");
	}
	if (run->env.cut_off)
		report_note(run, "%llu record%s ended early (a closing quote or the last fields cut off) and %s "
			    "kept with the fields %s",
			    (unsigned long long)run->env.cut_off, run->env.cut_off == 1 ? "" : "s",
			    run->env.cut_off == 1 ? "was" : "were", run->env.cut_off == 1 ? "it has" : "they have");
	if (run->agg >= 0) {
		int len = rf__agg_notes(&run->stages[run->agg], NULL, 0); /* whole: labels can be long */
		char *notes = len > 0 ? malloc((size_t)len + 1) : NULL;
		if (notes && rf__agg_notes(&run->stages[run->agg], notes, (size_t)len + 1) > 0)
			report_note(run, "%s", notes);
		free(notes);
	}
done:
	{
		uint64_t probe_bytes = run->done_bytes, probe_records = run->records;
		RF_PROBE2(run__end, probe_bytes, probe_records);
	}
	if (report)
		fill_report(run, t0);
	if (run->par)
		rf__par_destroy(run->par); /* closes the workers' stages */
	else if (run->pipe)
		rf__pipe_destroy(run->pipe);
	else
		for (int i = 0; i < run->nstages; i++)
			if (run->stage[i].verb->close)
				run->stage[i].verb->close(&run->stage[i]);
	pthread_mutex_destroy(&run->env_lock);
	if (run->env.statm_fd >= 0)
		close(run->env.statm_fd);
	rf__framer_free(&run->framer);
	rf__writer_free(&run->out);
	if (run->have_rejects)
		rf__writer_free(&run->rejects);
	rf__uring_destroy(run->uring);
	if (run->wake_fd >= 0)
		close(run->wake_fd);
	if (run->have_pool)
		rf__pool_destroy(&run->pool);
	rf__restore_cpus(&run->caller_cpus);
	free(run->inputs);
	free(run);
	return r;
}
