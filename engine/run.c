/* SPDX-License-Identifier: MIT */
/* run.c - rf_run: plan -> open -> drive -> finish, and the batch path
 * (the framer's batches, in pieces, to the executor).
 *
 * The plan's facts are gathered in plan_facts.c (the choice is plan.c's);
 * the executor is one of executor.h's: inline (exec_inline.c), the worker
 * pool or the stage pipeline (exec_threads.c); the readers are the
 * sequential one (reader_seq.c), the forked byte ranges
 * (exec_multiprocess.c) and the io_uring chains over many files
 * (reader_async.c); --memory is shared out in budget.c.  run.h has the
 * state they share.
 */
#include "config.h"
#define RF_PROBE_SEMAPHORES 1 /* the probes of this file have semaphores (probes.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>
#include "run.h"
#include "timezone.h"
#include "executor.h"
#include "exec_multiprocess.h"
#include "clock.h"

/* ---- the run ---------------------------------------------------------- */
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
	b->nrecords = (b->quote_sep || b->ml) && lines ? rf__batch_records(b, run->k) : lines;
	run->records += b->nrecords;
	run->lines += lines;
	b->input = run->input_name;
	b->input_idx = run->input_idx;
	b->input_no = run->input_no;
	if (run->count_lines) {
		if (b->input_start)
			run->line_no = 0;
		run->line_no += b->lines_skipped; /* --on-long=skip dropped them */
		b->first_line = run->line_no + 1;
		run->line_no += lines;
	}
}

/* --since/--until into *tr: the times, and where a record's time is (the
 * first [...] after parse combined or common, else at the line's start).
 * 0, or -1 with why: they do not read, or the parser's time is elsewhere
 * in its records (json, logfmt). */
static int range_of(const struct rf_options *opt, const rf_query *q, const struct rf_tz *tz,
		    struct rf_timerange *tr, char *why, size_t why_len)
{
	int64_t now = rf__time_now_ns();
	tr->since = INT64_MIN;
	tr->until = INT64_MAX;
	if (opt->since && rf__time_arg(opt->since, tz, now, &tr->since, why, why_len) < 0) {
		memmove(why + 9, why, strnlen(why, why_len - 10) + 1);
		memcpy(why, "--since: ", 9);
		return -1;
	}
	if (opt->until && rf__time_arg(opt->until, tz, now, &tr->until, why, why_len) < 0) {
		memmove(why + 9, why, strnlen(why, why_len - 10) + 1);
		memcpy(why, "--until: ", 9);
		return -1;
	}
	const char *fmt = q->parse_stage >= 0 ? parse_format(q) : NULL;
	/* the formats whose time is where the seek and the filter look: the
	 * rest (json, logfmt, parse auto, syslog's PRI first, a format string
	 * that may put it anywhere) would drop records as timeless */
	static const char *const where_known[] = { "combined", "common", "split", "regex", "csv", "tsv", "cri", NULL };
	int known = !fmt;
	for (int i = 0; fmt && where_known[i]; i++)
		known |= strcmp(fmt, where_known[i]) == 0;
	if (!known) {
		snprintf(why, why_len,
			 "--since/--until read a record's time at the line's start or in its first [...]; "
			 "with parse %s use where on the time field", fmt);
		return -1;
	}
	tr->where = fmt && (strcmp(fmt, "combined") == 0 || strcmp(fmt, "common") == 0) ? RF_TIME_BRACKET
											  : RF_TIME_AT_START;
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	tr->year = tm.tm_year + 1900; /* as the aggregate's syslog year */
	tr->keep_header = per_input_header(q);
	return 0;
}

/* rf_check_time_range on options of this library's size (structsize.c) */
int rf__check_time_range(const struct rf_options *opt, const rf_query *q, char *err, size_t errlen)
{
	struct rf_tz *tz = NULL;
	struct rf_timerange tr;
	if (opt->tz && rf__tz_open(opt->tz, &tz, err, errlen) < 0)
		return -EINVAL;
	int r = opt->since || opt->until ? range_of(opt, q, tz, &tr, err, errlen) : 0;
	rf__tz_free(tz);
	return r < 0 ? -EINVAL : 0;
}

static int open_range(struct run *run, const rf_query *q)
{
	char why[256];
	if (range_of(run->opt, q, run->tz, &run->range, why, sizeof why) < 0)
		return -1;
	run->env.range = &run->range;
	return 0;
}

/* One batch through the stages, or to the work items. */
static int run_one(struct run *run, struct rf_batch *b)
{
	prepare_batch(run, b);
	progress(run, 0);
	return run->exec->submit(run, run->exec_state, b);
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
			const struct rf_recdef d = { b->quote_sep, b->ml };
			const char *nl = rf__rec_find_last_end(&d, run->k, p, run->piece);
			if (!nl) /* the batch's end ends a record */
				nl = rf__rec_find_end(&d, run->k, p, left, 1);
			if (nl)
				n = (size_t)(nl + 1 - p);
		}
		piece->data = p;
		piece->offset = b->offset + (uint64_t)(p - b->data);
		piece->len = n;
		piece->input_start = b->input_start && p == b->data;
		piece->lines_skipped = p == b->data ? b->lines_skipped : 0;
		piece->unterminated = p + n == end ? b->unterminated : 0;
		piece->all = 1;
		piece->nsel = 0;
		piece->has_vals = 0;
		piece->ntv = 0;
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
	rep->rejected_format = format_rejects(run);
	rep->first_reject_line = run->env.first_reject_line;
	if (run->env.first_reject_input)
		rf__fit_text(rep->first_reject_input, sizeof rep->first_reject_input, run->env.first_reject_input,
			     strlen(run->env.first_reject_input));
	rep->simd = run->k->level;
	rep->records = run->records;
	rep->lines = run->framer.ml || run->framer.quote_sep ? run->lines : 0;
	rep->multiline = run->framer.ml ? run->ml.name : NULL;
	rep->batches = run->framer.batches;
	rep->spill_batches = run->framer.spill_batches;
	rep->longest_record = run->framer.longest_spill;
	rep->bytes_copied = run->framer.bytes_copied + run->exec->copied(run->exec_state);
	rep->long_skipped = run->long_skipped;
	rep->time_outside = run->env.time_outside;
	rep->time_missing = run->env.time_missing;
	rep->seek_skipped = run->seek_skipped;
	memcpy(rep->decoded_inputs, run->dec_inputs, sizeof rep->decoded_inputs);
	memcpy(rep->compressed_bytes, run->dec_in, sizeof rep->compressed_bytes);
	memcpy(rep->decompressed_bytes, run->dec_out, sizeof rep->decompressed_bytes);
	memcpy(rep->decode_ns, run->dec_ns, sizeof rep->decode_ns);
	memcpy(rep->decode_threads, run->dec_threads, sizeof rep->decode_threads);
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
	rf__auto_summary(&run->env, rep->formats, sizeof rep->formats);
	rep->nstages = run->nstages;
	run->exec->stats(run, run->exec_state, rep);
	rf__filters_report(run->q, run->opt->regex_engine, rep);
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
	run->in_fd = -1;
	run->q = q;
	run->read_input = process_input_range;
	run->exec = &rf__exec_inline; /* until open_executor */
	run->agg = q->agg_stage;
	run->project = q->project_stage;
	run->count_lines = q->parse_stage >= 0 || rf__query_may_reject(q, opt->regex_engine);
	run->table_out.format = opt->format;
	run->table_out.streaming = q->agg_stage < 0;
	run->table_out.chart_width = opt->chart_width;
	run->table_out.ascii = opt->chart_ascii;
	run->table_out.precision = opt->precision;
	run->table_out.color = opt->color;
	if (opt->tz) {
		char why[256];
		if (rf__tz_open(opt->tz, &run->tz, why, sizeof why) < 0) {
			free(run);
			*err = -EINVAL;
			return NULL;
		}
		run->table_out.tz = run->tz;
		run->env.tz = run->tz;
	}
	if ((opt->since || opt->until) && open_range(run, q) < 0) {
		rf__tz_free(run->tz);
		free(run);
		*err = -EINVAL;
		return NULL;
	}
	run->env.strict = opt->strict;
	run->env.regex_engine = opt->regex_engine;
	/* rejects go out with their batch, in input order (--strict stops at
	 * the first one: straight out) */
	run->env.defer_rejects = !opt->strict;
	run->env.statm_fd = -1;
	if (opt->rejects_fd >= 0) {
		if (rf__writer_init(&run->rejects, opt->rejects_fd, 64 << 10) < 0) {
			rf__tz_free(run->tz);
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
		rf__tz_free(run->tz);
		free(run);
		*err = r;
		return NULL;
	}
	run->out.first_write = opt->on_output;
	run->out.first_user = opt->progress_user;
	rf__framer_init(&run->framer, k, opt->max_record, run_batch, run);
	run->framer.skip_long = opt->skip_long;
	/* parse csv/tsv (always the first stage): a quoted field may hold a
	 * newline, so records end only at newlines outside quotes (not so in
	 * w3c and cloudfront, the other formats with a header) */
	run->framer.quote_sep = rf__parse_csv_sep(q);
	/* multiline records (checked by rf_check_multiline beforehand) */
	if (opt->record_start || opt->multiline) {
		struct rf_query_error qe;
		if (rf__ml_init(&run->ml, opt->multiline, opt->record_start, &qe) < 0) {
			rf__writer_free(&run->out);
			if (run->have_rejects)
				rf__writer_free(&run->rejects);
			rf__tz_free(run->tz);
			free(run);
			*err = -EINVAL;
			return NULL;
		}
		run->framer.ml = &run->ml;
	}
	if (q->agg_stage >= 0) {
		run->env.memory_limit = opt->memory + group_memory(opt);
		run->env.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
		if (run->env.statm_fd < 0)
			run->env.memory_limit = 0; /* no /proc: no way to measure */
	}
	int rs = rf__rsort_stage(q);
	if (rs >= 0 && !(run->rsort = rf__rsort_new(q, rs, opt->memory))) {
		rf__writer_free(&run->out);
		if (run->have_rejects)
			rf__writer_free(&run->rejects);
		if (run->env.statm_fd >= 0)
			close(run->env.statm_fd);
		free(run);
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&run->env_lock, NULL);
	return run;
}

/* Open the executor of the mode: the worker pool, the stage pipeline, or
 * the stages the reading thread runs inline (auto falls back to that when
 * threads cannot start).  0, or a negative errno, said already. */
static int open_executor(struct run *run)
{
	/* the stages up to the aggregate run per batch; the rest on its table */
	int nrow = run->agg >= 0 ? run->agg + 1 : run->q->nstages;
	run->stages = run->stage;
	run->exec = run->mode == RF_MODE_PARALLEL ? &rf__exec_pool
		    : run->mode == RF_MODE_PIPELINE ? &rf__exec_pipeline : &rf__exec_inline;
	int r = run->exec->open(run, nrow, &run->exec_state);
	if (r > 0) {
		run->exec = &rf__exec_inline;
		r = run->exec->open(run, nrow, &run->exec_state);
	} else if (r < 0 && run->exec != &rf__exec_inline) {
		run->exec = &rf__exec_inline; /* nothing of it to close */
	}
	return r;
}

/* Every input through the reader of the mode: forked byte ranges, io_uring
 * chains over many files, or one input after another. */
static void drive(struct run *run, const char *const *files, int nfiles)
{
	if (run->opt->partial & RF_PARTIAL_MERGE || run->opt->share_count) {
		int pr = run->opt->partial & RF_PARTIAL_MERGE ? rf__partial_merge(run, files, nfiles)
							      : rf__partial_share(run, files, nfiles);
		if (pr < 0 && !run->fatal)
			run->fatal = pr;
	} else if (run->mode == RF_MODE_MULTIPROCESS) {
		int mr = run_multiprocess(run, files, nfiles);
		if (mr == -EINTR && rf__cancelled())
			run->interrupted = 1;
		else if (mr < 0 && !run->fatal)
			run->fatal = mr;
	} else if (run->mode == RF_MODE_ASYNC) {
		int ar = run_async(run, files, nfiles);
		if (ar < 0 && !run->fatal)
			run->fatal = ar;
	} else if (run->opt->follow) {
		int fr = run_follow(run, files, nfiles);
		if (fr < 0 && !run->fatal)
			run->fatal = fr;
	} else {
		if (nfiles == 0)
			process_input(run, NULL);
		for (int i = 0; i < nfiles && !out_err(run) && !run->fatal && !run->stopped && !run->interrupted; i++) {
			run->input_no = i;
			read_given_input(run, i);
		}
	}
	progress(run, 1);
}

/* Whether the inputs had records and the run rejected every one of them:
 * the wrong parser, or bytes that are no text (binary, still compressed).
 * Said loudly; without --rejects the run fails as for an unread input
 * (rf_run returns 1) and prints no result.  With --rejects the records are
 * kept, nothing is lost, and it is a warning.  An empty input is not
 * this, and neither is one bad input among good ones (the count of
 * rejected records says that, as before): only when no record at all got
 * through.  Records a filter before the parser dropped are not rejected:
 * then it is not said either. */
static int every_record_rejected(struct run *run)
{
	/* only what says the input is not in the query's format: a parser's
	 * reject, or no time for the time key (a regex over its match limits,
	 * a cut, are about single records); and only for a whole run: a
	 * partial state (--partial-out, a share, a piece of ringflow-mpi's, a
	 * merge that writes one) covers part of the inputs, whose other parts
	 * may be fine, while a merge that prints covers all of them (the
	 * counts of its partials' runs, from their envelopes) */
	uint64_t rejected = format_rejects(run) + run->partial_rejected;
	/* a merge that prints judges the whole: its partials' counts */
	if (!rejected || rejected != run->records + run->partial_records ||
	    (run->opt->partial & ~RF_PARTIAL_MERGE) || run->opt->share_count || run->interrupted || rf__cancelled())
		return 0;
	int why = run->env.first_reject_why;
	char what[160];
	if (why == RF_REJECT_TIME)
		snprintf(what, sizeof what, "none had a valid timestamp for the time key");
	else
		snprintf(what, sizeof what, "none could be parsed as %s (another format? parse auto finds it; "
			 "binary or compressed data?)", parse_format(run->q));
	const char *input = run->partial_records ? "the partials' inputs"
			    : run->ninputs > 1		 ? "every input"
			    : run->env.first_reject_input ? run->env.first_reject_input
							  : "-";
	if (run->have_rejects)
		report_warning(run, "%s: every record (%llu) was rejected: %s", input, (unsigned long long)rejected, what);
	else
		report_error(run, input, -EBADMSG, "every record (%llu) was rejected: %s; no result printed",
			     (unsigned long long)rejected, what);
	return 1;
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
	/* no empty table that looks like an answer */
	int no_result = every_record_rejected(run) && !run->have_rejects;
	/* a partial state stands for all of its inputs once written: a run
	 * that missed some of them writes none (a merge would take it for
	 * whole), and the command leaves a named file empty */
	int partial_out = run->agg >= 0 && (run->opt->partial & RF_PARTIAL_OUT);
	if (partial_out && (run->failed_inputs || run->interrupted || rf__cancelled())) {
		/* a share's state (ringflow-mpi) is asked for by the program,
		 * not by an option the user gave */
		report_error(run, run->opt->share_count ? "share" : "--partial-out", -EIO,
			     "no partial state written: %s",
			     run->failed_inputs ? "an input could not be read" : "the run was interrupted");
	} else if (run->agg >= 0 && !no_result &&
		   (r = partial_out ? rf__partial_write(run) : print_result(run, 1)) < 0) {
		if (r == -EOVERFLOW)
			report_note(run, "the result table of %llu groups would have taken the process to %llu MiB, "
				    "over %llu MiB (--memory + --group-memory); no result printed",
				    (unsigned long long)run->env.groups_at_limit,
				    (unsigned long long)(run->env.resident_at_limit >> 20),
				    (unsigned long long)(run->env.memory_limit >> 20));
		return r;
	}
	if (run->rsort && (r = rf__rsort_finish(run)) < 0)
		return r;
	if ((r = rf__writer_flush(&run->out)) < 0)
		return r;
	if (run->have_rejects && (r = rf__writer_flush(&run->rejects)) < 0) {
		report_error(run, "--rejects", r, "cannot write: %s", strerror(-r));
		return r;
	}
	r = run->failed_inputs || no_result ? 1 : 0;
	if (run->state_err)
		r = run->state_err; /* the last checkpoint could not be written: said */
	if (run->interrupted || rf__cancelled()) {
		/* the output above is real, but covers only what was read */
		report_warning(run, "interrupted: the %s covers only the input read before the cancel",
			    run->agg >= 0 ? "result" : "output");
		r = -EINTR;
	}
	report_skipped(run);
	return r;
}

static void run_free(struct run *run)
{
	run->exec->close(run, run->exec_state); /* and the stages */
	pthread_mutex_destroy(&run->env_lock);
	if (run->env.statm_fd >= 0)
		close(run->env.statm_fd);
	rf__framer_free(&run->framer);
	rf__ml_free(&run->ml);
	rf__rsort_free(run->rsort);
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
	rf__tz_free(run->tz);
	free(run->skip_src);
	free(run);
}

/* A record sink is the caller's function: its records cannot come from
 * worker processes.  Threads instead, as many. */
static void keep_in_process(struct run *run)
{
	if (!run->consumers || !run->consumers->on_records || run->mode != RF_MODE_MULTIPROCESS)
		return;
	run->mode = RF_MODE_PARALLEL;
	snprintf(run->mode_reason, sizeof run->mode_reason,
		 "a record sink is called in this process: parallel, not multiprocess");
}

/* A byte range of a file is read here, by the serial reader: not cut
 * into worker processes, nor read by name in io_uring chains. */
static void keep_ranges_here(struct run *run)
{
	int ranged = 0;
	for (int i = 0; run->in && i < run->ninputs; i++)
		ranged |= run->in[i].end != 0;
	if (!ranged || (run->mode != RF_MODE_MULTIPROCESS && run->mode != RF_MODE_ASYNC))
		return;
	int mp = run->mode == RF_MODE_MULTIPROCESS;
	run->mode = mp ? RF_MODE_PARALLEL : RF_MODE_SERIAL;
	if (!mp)
		run->threads = 1;
	snprintf(run->mode_reason, sizeof run->mode_reason, "a byte range of a file is read in this process: %s",
		 mp ? "parallel, not multiprocess" : "serial, not async");
}

static void say(const struct rf_options *opt, const char *input, int err, const char *msg);

/* files[]: the inputs' paths for the plan and the readers that take
 * names (multiprocess, async, follow), "-" for a descriptor or a buffer,
 * which those readers leave to the serial one. */
static int run_inputs(const rf_query *q, const char *const *files, int nfiles, const struct rf_options *opt,
		      struct rf_consumers *consumers, const struct rf_input *in, const char *const *shown,
		      struct rf_report *report)
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
	/* mapped files need the SIGBUS handler, which only the program may
	 * choose to have (rf_options.catch_sigbus) */
	if (opt->io == RF_IO_MMAP && !opt->catch_sigbus) {
		say(opt, "rf_run", -EINVAL, "io=mmap needs catch_sigbus: a file cut short under the mapping "
		    "would raise SIGBUS in the program");
		return -EINVAL;
	}
	/* a chart needs the whole result: streamed rows have none */
	if (opt->format == RF_OUT_CHART && q->agg_stage < 0) {
		say(opt, "--format=chart", -EINVAL, "a chart draws the result of an aggregate (count, sum, ... by); "
		    "this query has none");
		return -EINVAL;
	}
	const struct rf_kernels *k = rf__kernels(opt->simd);
	if (!k)
		return -ENOTSUP;
	follow_fd_init();
	/* before any worker starts (or forks): they share the databases */
	int r = (unsigned)opt->regex_engine > RF_REGEX_PCRE2 ? -EINVAL : rf__filters_prepare(q, opt->regex_engine);
	if (r < 0)
		return r;
	struct rf_cancel_watch watch;
	rf__cancel_begin(&watch, opt->cancel);
	struct run *run = run_new(q, opt, k, report, &r);
	if (!run) {
		rf__cancel_end(&watch);
		return r;
	}
	run->in = in;
	run->in_shown = shown;
	run->consumers = consumers;
	/* plan -> open -> drive -> finish */
	run->ninputs = nfiles;
	if ((r = plan_run(run, files, nfiles)) == 0) {
		keep_in_process(run);
		keep_ranges_here(run);
		run->partial_inputs = nfiles ? (uint32_t)nfiles : 1;
		if (opt->partial & RF_PARTIAL_MERGE || opt->share_count) {
			/* partial.c reads the inputs, in this process */
			run->mode = RF_MODE_SERIAL;
			run->threads = 1;
			snprintf(run->mode_reason, sizeof run->mode_reason, "%s",
				 opt->share_count ? "one share of the inputs, read here" : "partial states merged here");
		}
		r = place_threads(run);
	}
	if (r == 0) {
		int probe_mode = (int)run->mode, probe_threads = run->threads;
		RF_PROBE2(run__start, probe_mode, probe_threads);
		run->started = now_ns();
		rf__stage_open_clear();
		if ((r = open_executor(run)) == 0) {
			drive(run, files, nfiles);
			run->exec->finish(run, run->exec_state);
			r = finish(run);
		} else if (rf__stage_open_failed()) {
			/* a custom stage refused: its message, not only the errno */
			report_error(run, "stage", r, "%s", rf__stage_open_failed());
		}
	}
	uint64_t probe_bytes = run->done_bytes, probe_records = run->records;
	RF_PROBE2(run__end, probe_bytes, probe_records);
	if (report)
		fill_report(run, t0);
	run_free(run);
	rf__cancel_end(&watch);
	return r;
}

/* A message about the arguments, before there is a run to say it. */
static void say(const struct rf_options *opt, const char *input, int err, const char *msg)
{
	rf__message(opt, RF_ERROR, input, err, msg);
}

/* The paths the plan and the readers by name are given, and the name each
 * input is shown by ("fd 3", "buffer 1" when it has none): one allocation,
 * names[] then shown[] then the made-up names.  -EINVAL (said) for an
 * input not filled in right. */
static int name_inputs(const struct rf_input *in, int nin, const struct rf_options *opt, char **block)
{
	*block = NULL;
	if (nin < 0 || (nin > 0 && !in)) {
		say(opt, "rf_run_inputs", -EINVAL, "a negative count of inputs, or none given");
		return -EINVAL;
	}
	size_t made = 0;
	for (int i = 0; i < nin; i++) {
		char what[64];
		snprintf(what, sizeof what, "input %d", i);
		const char *why = in[i].size < sizeof *in ? "its size field is not sizeof(struct rf_input)"
				  : in[i].kind == RF_INPUT_PATH && !in[i].path ? "a path input without a path"
				  : in[i].kind == RF_INPUT_FD && in[i].fd < 0 ? "a descriptor input with a negative fd"
				  : in[i].kind == RF_INPUT_BUFFER && !in[i].data && in[i].len ? "a buffer input without data"
				  : (unsigned)in[i].kind > RF_INPUT_BUFFER ? "an unknown kind of input"
				  : opt->follow && in[i].kind != RF_INPUT_PATH ? "follow mode reads files by path only"
				  : !in[i].end && in[i].start ? "a byte range's start without its end (end 0 is no range)"
				  : !in[i].end ? NULL
				  : in[i].kind != RF_INPUT_PATH ? "a byte range (start, end) is for a path input only"
				  : strcmp(in[i].path, "-") == 0 ? "standard input has no byte range"
				  : in[i].start > in[i].end ? "a byte range whose start is past its end"
				  : opt->follow ? "follow mode reads whole files, not byte ranges"
				  : opt->partial & RF_PARTIAL_MERGE ? "merge reads whole partial states, not byte ranges"
				  : opt->share_count ? "a share of the inputs is cut from whole files, not byte ranges"
								      : NULL;
		if (why) {
			say(opt, in[i].name ? in[i].name : what, -EINVAL, why);
			return -EINVAL;
		}
		if (!in[i].name && in[i].kind != RF_INPUT_PATH)
			made += 32;
	}
	char *b = malloc(2 * ((size_t)nin + 1) * sizeof(char *) + made);
	if (!b)
		return -ENOMEM;
	const char **names = (const char **)b, **shown = names + nin + 1;
	char *text = (char *)(shown + nin + 1);
	for (int i = 0; i < nin; i++) {
		names[i] = in[i].kind == RF_INPUT_PATH ? in[i].path : "-";
		shown[i] = in[i].name ? in[i].name : in[i].kind == RF_INPUT_PATH ? in[i].path : text;
		/* by what the input is, not by the pointer: a caller's path may
		 * be the very next allocation, at text */
		if (!in[i].name && in[i].kind != RF_INPUT_PATH) {
			snprintf(text, 32, in[i].kind == RF_INPUT_FD ? "fd %d" : "buffer %d",
				 in[i].kind == RF_INPUT_FD ? in[i].fd : i);
			text += 32;
		}
	}
	names[nin] = shown[nin] = NULL;
	*block = b;
	return 0;
}

/* rf_run_inputs and rf_run_result */
static int run_given(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		     const struct rf_sink *sink, struct rf_result *keep, struct rf_report *report)
{
	struct rf_consumers c = { .keep = keep, .schema = &q->schema };
	/* --every: each snapshot a window, from the run's start (--interval:
	 * from the snapshot before) */
	c.windows = opt->every_ns && q->agg_stage >= 0;
	c.own_windows = c.windows && opt->interval_ns;
	c.since_ns = rf__realtime_ns();
	const char *why = rf__partial_refusal(q, opt);
	if (why) {
		say(opt, opt->partial & RF_PARTIAL_MERGE ? "merge" : opt->partial ? "--partial-out" : "--share", -EINVAL,
		    why);
		return -EINVAL;
	}
	if (sink && sink->size < sizeof *sink) {
		say(opt, "rf_run_inputs", -EINVAL, "the sink's size field is not sizeof(struct rf_sink)");
		return -EINVAL;
	}
	if (sink) {
		c.on_row = sink->on_row;
		c.on_records = sink->on_records;
		c.user = sink->user;
	}
	if (c.on_records && rf__rsort_stage(q) >= 0 && q->agg_stage < 0) {
		say(opt, "rf_run_inputs", -ENOTSUP,
		    "a record sink takes records in input order: not from a query that sorts them (sort, top)");
		return -ENOTSUP;
	}
	char *block;
	int r = name_inputs(in, nin, opt, &block);
	if (r < 0)
		return r;
	for (int i = 0; i < nin; i++) {
		struct rf_plan_query pq;
		if (!in[i].end || !in[i].start)
			continue;
		rf__plan_query(q, &pq);
		if (pq.header) {
			say(opt, block ? ((const char **)block)[nin + 1 + i] : "rf_run_inputs", -EINVAL,
			    "csv, tsv, w3c, cloudfront and parse auto read each input from its first lines, which a "
			    "byte range past the file's start lacks");
			free(block);
			return -EINVAL;
		}
		break;
	}
	const char *const *names = (const char *const *)block;
	r = run_inputs(q, names, nin, opt, c.keep || c.on_row || c.on_records ? &c : NULL, in, names + nin + 1,
		       report);
	rf__consumers_free(&c);
	free(block);
	return r;
}

/* The entry points behind rf_run, rf_run_inputs and rf_run_result
 * (structsize.c), on options and a report of this library's own size. */

/* Paths, as rf_run_inputs takes them (a NULL one is stdin, as "-"). */
int rf__run(const rf_query *q, const char *const *files, int nfiles,
	   const struct rf_options *opt, struct rf_report *report)
{
	struct rf_input one[8] = { { 0 } }, *in = nfiles <= 8 ? one : calloc((size_t)nfiles, sizeof *in);
	if (!in)
		return -ENOMEM;
	for (int i = 0; i < nfiles; i++)
		in[i] = (struct rf_input){ .size = sizeof *in, .kind = RF_INPUT_PATH, .path = files[i] ? files[i] : "-" };
	int r = run_given(q, in, nfiles, opt, NULL, NULL, report);
	if (in != one)
		free(in);
	return r;
}

int rf__run_inputs(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		   const struct rf_sink *sink, struct rf_report *report)
{
	return run_given(q, in, nin, opt, sink, NULL, report);
}

int rf__run_result(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		   struct rf_report *report, rf_result **out)
{
	*out = NULL;
	/* select's columns are known before any row (an aggregate's come
	 * with its table) */
	const char *names[RF_TABLE_MAX_COLS];
	int n = q->agg_stage < 0 && q->project_stage >= 0 ? rf__select_names(&q->stage[q->project_stage], names) : 0;
	struct rf_result *res = rf__result_new(n, names);
	if (!res)
		return -ENOMEM;
	int r = run_given(q, in, nin, opt, NULL, res, report);
	if (r == 0 || r == 1)
		*out = res;
	else
		rf_result_free(res);
	return r;
}
