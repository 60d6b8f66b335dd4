/* SPDX-License-Identifier: MIT */
/* run.h - the state of one run (struct run), shared by the runner's files
 * (internal: the verbs never see it; they get a struct rf_stage_env).
 *
 *   run.c               rf_run: plan -> open -> drive -> finish; the batch path
 *   reader_seq.c        the sequential reader, and the backend of each input
 *   budget.c            --memory shared by the pool and the batches in flight
 *   plan_facts.c        the plan's facts: inputs stat'ed once, the machine
 *   exec_inline.c       the inline executor (serial); executor.h the ops
 *   exec_threads.c      the worker pool and stage pipeline executors
 *   stage.c             the stage runtime every executor calls
 *   exec_multiprocess.c forked byte ranges
 *   reader_async.c      async mode: many small files through io_uring chains
 *   output.c            records, projections and rejects to the writers
 *   report.c            messages, and the result table at the end
 *   options.c           rf_options and the name tables
 */
#ifndef RF_RUN_H
#define RF_RUN_H

#include <pthread.h>
#include <stdint.h>
#include "engine.h"
#include "aggregate.h"
#include "table.h"
#include "plan.h"
#include "timerange.h"
#include "result.h"
#include "../io/source.h"
#include "../numa/numa.h"

struct rf_executor_ops;

#define MiB ((size_t)1 << 20)
#define POOL_HEADROOM ((size_t)64 << 10) /* room for a line carried over */


struct run {
	const struct rf_options *opt;
	struct rf_ml ml;          /* multiline records (framer.ml points here when set) */
	uint64_t lines;           /* input lines, next to records, when records span lines */
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
	struct rf_rsort *rsort;   /* sort or top of records (stage_sort.c), or NULL */
	int count_lines;          /* a parser needs line numbers for rejects */
	uint64_t line_no;         /* lines of the current input before this batch */
	const char *input_name;
	int stopped;              /* head had enough: read no more */
	struct rf_table_out table_out;
	struct rf_tz *tz;         /* --tz, opened (NULL: UTC) */
	struct rf_timerange range; /* --since/--until (env.range points here) */
	uint64_t seek_skipped;    /* bytes the seek to the range did not read */
	uint64_t next_tick;       /* --every: when the next snapshot is due */
	uint64_t snapshots;       /* tables printed, the final one included */
	uint64_t every_printed;   /* --every: snapshots printed, and skipped */
	uint64_t every_skipped;   /* due while busy (printing, or a slow batch) */
	long live_lines;          /* --every on a terminal: the screen lines the last
				   * snapshot took, to draw over (-1: not known) */
	struct rf_source *cur_src;
	uint32_t partial_inputs;  /* partial.c: the inputs a written partial state covers */
	int partial_share;        /* ... numbered as a whole list of which it has a share */
	int partial_kinds;        /* partial.c: merged so far: 1 shares, 2 whole runs' */
	/* partial.c: the records the merged partials' runs read, and of them
	 * those rejected as not in the query's format (their envelopes') */
	uint64_t partial_records, partial_rejected;
	/* run_pieces: the piece in the stages (here, not on its stack: a
	 * SIGBUS jumps out of it and gives its arrays back), of which batch */
	struct rf_batch piece_batch, *in_piece, *in_piece_of;
	int fatal;                /* an error that ends the run (negative errno) */
	uint32_t input_idx;
	int input_no;             /* the given input being read (struct rf_batch's) */
	uint64_t truncated_said;       /* 1 + the input last said to be cut short (0: none), so a
					 * worker's lost batch of it is not said, or counted, again */
	struct rf_stage *stages;  /* serial: run->stage; parallel: worker 0's */
	const struct rf_executor_ops *exec; /* executor.h: inline, pool, pipeline */
	void *exec_state;
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
	int ninputs;              /* named inputs (0: stdin alone), for messages */
	uint64_t ram;             /* physical memory, for the backend choice */
	uint64_t done_bytes;      /* of the inputs already finished */
	int cpus;                 /* the CPUs we may run on (the plan's count) */
	uint64_t done_inflated;   /* what decoding added to done_bytes (progress
	                           * counts compressed inputs by their size) */
	/* compressed inputs, per enum rf_codec: inputs, compressed and
	 * decoded bytes, decoder time (rf_report's arrays) */
	uint64_t dec_inputs[RF_COMPRESSED_MAX], dec_in[RF_COMPRESSED_MAX];
	uint64_t dec_out[RF_COMPRESSED_MAX], dec_ns[RF_COMPRESSED_MAX];
	uint64_t dec_threads[RF_COMPRESSED_MAX]; /* most decoder threads one input had */
	uint64_t started, next_progress;
	/* parallel and pipeline mode: an eventfd the first error of a worker
	 * or of output is written to (-1: none), and that error */
	int wake_fd;
	int wake_err;
	/* the sequential reader (reader_seq.c): one input, or the byte range [start,
	 * end) of a regular file; the other readers fall back to it */
	void (*read_input)(struct run *run, const char *name, uint64_t start, uint64_t end);
	/* follow mode (follow.c): its state while it runs; an input read from
	 * this byte of its content (decoded, for a compressed one), and where
	 * the last input read ended; the last checkpoint's error */
	struct follow *follow;
	/* set by follow mode for tick(): a checkpoint when one is due; the
	 * next deadline, given the snapshots' (0: none) */
	int (*follow_tick)(struct run *run, uint64_t now);
	uint64_t (*follow_deadline)(const struct run *run, uint64_t d);
	uint64_t resume_at, input_end;
	const char *open_as;      /* the next input opened by this path, named by its own */
	int range_given;          /* the next input is a caller's byte range (rf_input start, end) */
	int state_err;
	struct rf_source *skip_src; /* resume_at in a compressed input */
	/* rf_run_inputs (input.c, result.c): the inputs as given and the name
	 * each is shown by; the caller's descriptor the input being opened
	 * is (-1: none); the consumers of rows and records other than the
	 * text writer (NULL: none) */
	const struct rf_input *in;
	const char *const *in_shown;
	int in_fd;
	struct rf_consumers *consumers;
};

/* Worker threads write to run->out and run->rejects while the reading
 * thread looks at their errors: it reads them through these. */
static inline int out_err(const struct run *run)
{
	return __atomic_load_n(&run->out.err, __ATOMIC_ACQUIRE);
}

static inline int rejects_err(const struct run *run)
{
	return run->have_rejects ? __atomic_load_n(&run->rejects.err, __ATOMIC_ACQUIRE) : 0;
}

/* The runner's functions across its files: internal to the library. */
#pragma GCC visibility push(hidden)

/* report.c */
void report_error(struct run *run, const char *input, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void print_note(struct run *run, const char *msg);
void report_note(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_warning(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rf__message(const struct rf_options *opt, enum rf_severity sev, const char *input, int err, const char *msg);
const char *parse_format(const rf_query *q);
void report_strict(struct run *run);
int print_result(struct run *run, int final);
void report_skipped(struct run *run);
void framed(struct run *run, const char *shown, int r, const struct rf_source *src, int fd,
	    const struct rf_input_desc *in);

/* reader_seq.c: the sequential reader; one input (NULL: stdin), or a
 * byte range of one.  piece_back: the piece the stages were in (if any)
 * gives its grown arrays back to its batch. */
void process_input(struct run *run, const char *name);
void process_input_range(struct run *run, const char *name, uint64_t start, uint64_t end);
void piece_back(struct run *run);

/* budget.c: what this process may hold of --memory; the buffer pool, made
 * on first use; the parallel and pipeline items' share (0 or -ENOSPC) */
size_t process_budget(const struct run *run);
int ensure_pool(struct run *run, int direct);
int plan_items(struct run *run, struct rf_workers_config *wc, char *why, size_t why_len);

/* plan_facts.c: the plan phase (inputs stat'ed once, the machine's
 * limits, the mode chosen by plan.c); a parser that reads a header */
int plan_run(struct run *run, const char *const *files, int nfiles);
/* rf_run on options and a report of this library's own size (structsize.c
 * makes them from the caller's) */
int rf__run(const rf_query *q, const char *const *files, int nfiles,
	    const struct rf_options *opt, struct rf_report *report);
int rf__run_inputs(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		   const struct rf_sink *sink, struct rf_report *report);
int rf__run_result(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		   struct rf_report *report, rf_result **out);
/* html.c: --format=html, the page made from the rows of one or more runs */
int rf__html_run(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		 struct rf_report *report);
/* the rf_check_* functions that take options, and options.c's defaults,
 * on a struct of this library's own size (structsize.c again) */
void rf__options_defaults(struct rf_options *opt);
int rf__check_placement(const struct rf_options *opt, char *err, size_t err_len);
int rf__check_time_range(const struct rf_options *opt, const rf_query *q, char *err, size_t errlen);
int rf__check_multiline(const struct rf_options *opt, const rf_query *q, struct rf_query_error *err);
int per_input_header(const rf_query *q);
/* CPUs this process may run on (taskset, cpusets). */
int rf__usable_cpus(void);

/* output.c (emit_rows, deliver_rows: rows.c) */
/* A worker's raw select rows (multiprocess): p[0 .. n) */
struct rf_region {
	const char *p;
	size_t n;
};
int render_raw_rows(struct run *run, const struct rf_region *reg, int nreg);
/* rows of a select to the caller's consumer, or as text; result rows
 * (restart: a whole table) to the caller's consumer */
int emit_rows(struct run *run, const struct rf_table *t);
int deliver_rows(struct run *run, const struct rf_table *t, int restart, int final);
/* rows.c: a consumer's failure (or stop) as the run's output error */
int consumer_failed(struct run *run, int r);
int output_rows(void *user, struct rf_batch *b);
int flush_output(void *user);
int output_batch(struct run *run, struct rf_batch *b);

/* stage_sort.c: the sorter of records; output_rows hands it each
 * finished batch, finish prints what it kept */
struct rf_rsort *rf__rsort_new(const rf_query *q, int stage, size_t budget);
int rf__rsort_add(struct run *run, struct rf_batch *b);
int rf__rsort_finish(struct run *run);
void rf__rsort_free(struct rf_rsort *s);

/* input.c: input i of the rf_input list, whatever its kind */
void read_given_input(struct run *run, int i);

/* partial.c: partial states written, merged; a share of the inputs */
const char *rf__partial_refusal(const rf_query *q, const struct rf_options *opt);
int rf__partial_write(struct run *run);
/* The run's rejects that say the input is not in the query's format (a
 * parser's, or no time for the time key): what the every-record-rejected
 * rule counts, and a partial carries. */
static inline uint64_t format_rejects(const struct run *run)
{
	return run->env.rejected_why[RF_REJECT_PARSE] + run->env.rejected_why[RF_REJECT_TIME];
}
/* The partial file's envelope (partial.c has its layout): its magic, with
 * the version in the last byte, its size, where the state's length and
 * the envelope's checksum (of the bytes before it) are. */
#define RF_ENVELOPE_MAGIC "RFPART\0\2"
#define RF_ENVELOPE_SIZE 56
#define RF_ENVELOPE_LEN_AT 24
#define RF_ENVELOPE_SUM_AT 48
int rf__partial_merge(struct run *run, const char *const *files, int nfiles);
int rf__partial_share(struct run *run, const char *const *files, int nfiles);
/* partial_text.c: a partial state as one line, "RFPART64", a tab, its
 * base64 (--partial-text, for Hadoop Streaming and Spark's pipe).
 * rf__partial_text_put writes a[0 .. an) then b[0 .. bn) as one such line.
 * rf__partial_untext: if buf holds text (its first line that is not
 * blank begins "RFPART" but not "RFPART\0", or has no control byte but
 * tabs: "RFPART64\t..." or a line that claims to be), decode every line into the
 * binary partials, concatenated, into a new malloc'ed buffer: 1 and
 * *out and *out_len set; 0 when buf is not text (binary: leave it alone);
 * -EBADMSG with a message in why[whylen] for a bad line (which line, why),
 * -ENOMEM.  CRLF line ends and blank lines are taken. */
int rf__partial_text_put(struct rf_writer *w, const char *a, size_t an, const char *b, size_t bn);
int rf__partial_untext(const char *buf, size_t len, char **out, size_t *out_len, char *why, size_t whylen);
size_t rf__b64_encode(const void *in, size_t n, char *out);
long rf__b64_decode(const char *in, size_t n, void *out, size_t *bad);

/* reader_async.c */
int run_async(struct run *run, const char *const *files, int nfiles);

/* cancel.c: the eventfd behind rf_follow_stop(), made once per process;
 * a run's cancel watch (io/source.h), set up for this thread and taken
 * down (begin and end on the same thread) */
void follow_fd_init(void);
void rf__cancel_begin(struct rf_cancel_watch *w, const struct rf_cancel_token *token);
void rf__cancel_end(struct rf_cancel_watch *w);

/* place.c */
void place_options(const struct rf_options *opt, struct rf_place_options *po);
int place_threads(struct run *run);

/* options.c: --group-memory, or its default */
uint64_t group_memory(const struct rf_options *opt);

/* follow.c: follow mode (drive's reader with opt->follow) */
int run_follow(struct run *run, const char *const *files, int nfiles);

/* report.c, as the run goes: --every snapshots, --progress */
int tick(void *user);
void progress(struct run *run, int final);
#pragma GCC visibility pop

#endif
