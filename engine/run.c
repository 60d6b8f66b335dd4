/* run.c - rf_run: plan -> open -> drive -> finish, and the sequential
 * reader (inputs -> source -> framer -> the executor, batch by batch).
 *
 * The executor is inline (serial: the reading thread runs the stages),
 * the worker pool (parallel.c) or the stage pipeline (pipeline.c); the
 * other readers are the forked byte ranges (exec_multiprocess.c) and the
 * io_uring chains over many files (reader_async.c).  run.h has the state
 * they share.
 */
#include "config.h"
#define RF_PROBE_SEMAPHORES 1 /* the probes of this file have semaphores (probes.h) */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "run.h"
#include "exec_multiprocess.h"
#include "clock.h"

#define bus_jmp rf__bus_jmp /* the reading thread's (reader_seq.c) */

/* ---- the run ---------------------------------------------------------- */
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

/* A run set up for the query and options: the writers, the framer, the
 * limits of the aggregate.  NULL, with *err, if that fails. */
static struct run *run_new(const rf_query *q, const struct rf_options *opt, const struct rf_kernels *k,
			   struct rf_report *report, int *err)
{
	struct run *run = calloc(1, sizeof *run);
	if (!run) {
		*err = -ENOMEM;
		return NULL;
	}
	run->opt = opt;
	run->k = k;
	run->rep = report;
	run->wake_fd = -1;
	run->q = q;
	run->read_input = process_input_range;
	run->agg = q->agg_stage;
	run->project = q->project_stage;
	run->count_lines = q->parse_stage >= 0 || rf__query_may_reject(q);
	run->table_out.format = opt->format;
	run->table_out.streaming = q->agg_stage < 0;
	run->env.strict = opt->strict;
	/* rejects go out with their batch, in input order (--strict stops at
	 * the first one: straight out) */
	run->env.defer_rejects = !opt->strict;
	run->env.statm_fd = -1;
	if (opt->rejects_fd >= 0) {
		if (rf__writer_init(&run->rejects, opt->rejects_fd, 64 << 10) < 0) {
			free(run);
			*err = -ENOMEM;
			return NULL;
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
		*err = r;
		return NULL;
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
	return run;
}

/* Open the executor: parallel workers or a pipeline of stage threads, each
 * with its own stages, or the stages the reading thread runs inline (auto
 * falls back to that when threads cannot start).  0, or a negative errno,
 * said already. */
static int open_executor(struct run *run)
{
	const rf_query *q = run->q;
	const struct rf_options *opt = run->opt;
	const struct rf_kernels *k = run->k;
	int r = 0;
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
			return r;
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
			return r;
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
				return r;
		}
	}
	return 0;
}

/* Every input through the reader of the mode: forked byte ranges, io_uring
 * chains over many files, or one input after another. */
static void drive(struct run *run, const char *const *files, int nfiles)
{
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
}

/* Wait for what the executor has in flight, and fold the parallel
 * workers' aggregates into worker 0's. */
static void finish_executor(struct run *run)
{
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
}

/* The end of the run: the result printed, the output flushed, and what was
 * skipped said.  0, 1 (an input failed) or a negative errno. */
static int finish(struct run *run)
{
	int r;
	if (run->out.err || run->fatal) {
		r = run->out.err ? run->out.err : run->fatal;
		/* multiprocess mode said which process, and its figures */
		if (r == -EOVERFLOW && run->mode != RF_MODE_MULTIPROCESS)
			report_note(run, "the aggregate had %llu groups when the process reached %llu MiB, "
				    "over %llu MiB (--memory + --group-memory); no result printed",
				    (unsigned long long)run->env.groups_at_limit,
				    (unsigned long long)(run->env.resident_at_limit >> 20),
				    (unsigned long long)(run->env.memory_limit >> 20));
		return r;
	}
	if (run->agg >= 0 && (r = print_result(run, 1)) < 0) {
		if (r == -EOVERFLOW)
			report_note(run, "the result table of %llu groups would have taken the process to %llu MiB, "
				    "over %llu MiB (--memory + --group-memory); no result printed",
				    (unsigned long long)run->env.groups_at_limit,
				    (unsigned long long)(run->env.resident_at_limit >> 20),
				    (unsigned long long)(run->env.memory_limit >> 20));
		return r;
	}
	if ((r = rf__writer_flush(&run->out)) < 0)
		return r;
	if (run->have_rejects && (r = rf__writer_flush(&run->rejects)) < 0) {
		report_error(run, "--rejects", r, "cannot write: %s", strerror(-r));
		return r;
	}
	r = run->failed_inputs ? 1 : 0;
	if (run->interrupted || rf__io_cancel) {
		/* the output above is real, but covers only what was read */
		report_note(run, "interrupted: the %s covers only the input read before the signal",
			    run->agg >= 0 ? "result" : "output");
		r = -EINTR;
	}
	report_skipped(run);
	return r;
}

static void run_free(struct run *run)
{
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
	int r;
	struct run *run = run_new(q, opt, k, report, &r);
	if (!run)
		return r;
	/* plan -> open -> drive -> finish */
	if ((r = plan_run(run, files, nfiles)) == 0 && (r = place_threads(run)) == 0) {
		int probe_mode = (int)run->mode, probe_threads = run->threads;
		RF_PROBE2(run__start, probe_mode, probe_threads);
		run->started = now_ns();
		if ((r = open_executor(run)) == 0) {
			drive(run, files, nfiles);
			finish_executor(run);
			r = finish(run);
		}
	}
	uint64_t probe_bytes = run->done_bytes, probe_records = run->records;
	RF_PROBE2(run__end, probe_bytes, probe_records);
	if (report)
		fill_report(run, t0);
	run_free(run);
	return r;
}
