/* SPDX-License-Identifier: MIT */
/* report.c - what a run says: errors, warnings and notes (to the caller's
 * on_message or on_error, else stderr), what the framer's result for an input means, the
 * --strict message, the result table printed at the end (and by --every
 * as it goes), and --progress. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "run.h"
#include "clock.h"

/* Every message of the library goes out here: to opt->on_message with its
 * severity; else to opt->on_error as before this callback existed (errors
 * with their input, warnings and notes as input "note"); else, when the
 * program gave neither, to stderr. */
void rf__message(const struct rf_options *opt, enum rf_severity sev, const char *input, int err, const char *msg)
{
	if (opt->on_message)
		opt->on_message(opt->message_user, sev, input ? input : "", err, msg);
	else if (opt->on_error)
		opt->on_error(opt->error_user, sev == RF_ERROR && input ? input : "note", err, msg);
	else if (sev == RF_ERROR && input && *input)
		fprintf(stderr, "ringflow: %s: %s\n", input, msg);
	else
		fprintf(stderr, "ringflow: %s: %s\n", sev == RF_ERROR ? "error" : sev == RF_WARNING ? "warning" : "note",
			msg);
}

static void vreport(struct run *run, enum rf_severity sev, const char *input, int err, const char *fmt, va_list ap)
{
	char *msg; /* whole, however long the names in it */
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	rf__message(run->opt, sev, input, err, msg ? msg : fmt);
	free(msg);
}

void report_error(struct run *run, const char *input, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(run, RF_ERROR, input, err, fmt, ap);
	va_end(ap);
}

void print_note(struct run *run, const char *msg)
{
	rf__message(run->opt, RF_NOTE, "", 0, msg);
}

void report_note(struct run *run, const char *fmt, ...)
{
	if (run->quiet)
		return; /* a multiprocess worker: the parent reports for all */
	va_list ap;
	va_start(ap, fmt);
	vreport(run, RF_NOTE, "", 0, fmt, ap);
	va_end(ap);
}

/* Something the result lacks or counts differently from the input:
 * records skipped, the input cut short. */
void report_warning(struct run *run, const char *fmt, ...)
{
	if (run->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport(run, RF_WARNING, "", 0, fmt, ap);
	va_end(ap);
}

/* What the parse stage reads, for messages: "json", "combined", "split". */
const char *parse_format(const rf_query *q)
{
	if (q->parse_stage < 0)
		return "records";
	const struct rf_stage_spec *ps = &q->stage[q->parse_stage];
	if (ps->nargs && ps->args[0].type == RF_ARG_STRING)
		return "the pattern"; /* parse "* [*] *" as ... */
	return ps->nargs && ps->args[0].type == RF_ARG_WORD ? ps->args[0].text : ps->verb->name;
}

void report_strict(struct run *run)
{
	const char *fmt = parse_format(run->q);
	static const char *const why[RF_REJECT_NWHY] = { "cannot be parsed as %s", "no valid timestamp for the time key",
							 "over the match limits of a regular expression",
							 "cut off: its last %s fields are missing",
							 "a field it has cannot be read by `parse ... from`" };
	char what[128];
	snprintf(what, sizeof what, why[run->env.first_reject_why], fmt);
	report_error(run, run->env.first_reject_input, -EBADMSG, "line %llu: %s (--strict)",
		     (unsigned long long)run->env.first_reject_line, what);
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

/* --every in table, tsv and csv output: each snapshot begins with a line
 * of its time, "# 2026-12-01T08:45:52.123Z", and " final" on the last. */
static int snapshot_time(struct run *run, int final, int live)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char head[96], every[48] = "";
	if (live) { /* on a terminal the header says how often it changes */
		uint64_t ms = run->opt->every_ns / 1000000;
		snprintf(every, sizeof every, "  (every %llu%s)", (unsigned long long)(ms % 1000 ? ms : ms / 1000),
			 ms % 1000 ? "ms" : "s");
	}
	int n = snprintf(head, sizeof head, "# %04d-%02d-%02dT%02d:%02d:%02d.%03ldZ%s%s\n", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			 final ? " final" : "", every);
	return rf__writer_put(&run->out, head, (size_t)n);
}

/* --every with table or chart output to a terminal: the live view.  Each
 * snapshot is drawn over the one before, as top does: the cursor goes up
 * the lines that one took and erases to the end of the screen.  The rest
 * of the terminal (its scrollback, what came before the run) stays. */
static int live_view(const struct run *run)
{
	enum rf_out_format f = run->table_out.format;
	return run->opt->every_ns && (f == RF_OUT_TABLE || f == RF_OUT_CHART) && isatty(run->opt->out_fd);
}

static int live_erase(struct run *run)
{
	char seq[32];
	int n = 0;
	if (run->live_lines > 0)
		n = snprintf(seq, sizeof seq, "\r\033[%ldA\033[J", run->live_lines);
	else if (run->live_lines < 0) /* not known: the whole screen */
		n = snprintf(seq, sizeof seq, "\033[H\033[2J");
	return n > 0 ? rf__writer_put(&run->out, seq, (size_t)n) : 0;
}

/* The screen lines of the snapshot in the writer's buffer, a line wider
 * than the terminal taking several; escape sequences take no room.  Only
 * when the whole snapshot is still in the buffer (`start`: the bytes
 * written before it): a larger one is not measured, and the next one
 * clears the screen instead. */
static void live_measure(struct run *run, uint64_t start)
{
	struct winsize ws;
	size_t cols = ioctl(run->opt->out_fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
	if (run->out.bytes != start) {
		run->live_lines = -1;
		return;
	}
	const unsigned char *p = (const unsigned char *)run->out.buf;
	long lines = 0;
	size_t width = 0;
	for (size_t i = 0; i < run->out.len; i++) {
		if (p[i] == 0x1b) { /* CSI: ESC [ parameters, a final byte */
			if (i + 1 < run->out.len && p[i + 1] == '[')
				for (i += 2; i < run->out.len && (p[i] < 0x40 || p[i] > 0x7e); i++)
					;
			else
				i++;
		} else if (p[i] == '\n') {
			lines += cols && width > cols ? (long)((width + cols - 1) / cols) : 1;
			width = 0;
		} else if (p[i] == '\r') {
			width = 0;
		} else if (p[i] < 0x80) {
			width++;
		} else {
			/* a character's first byte: as many columns as it shows
			 * (a wide one two; the table escapes invalid bytes) */
			int len = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : p[i] >= 0xc0 ? 2 : 1;
			if (len > 1 && i + (size_t)len <= run->out.len) {
				width += (size_t)rf__char_width(p + i, len);
				i += (size_t)len - 1;
			} else {
				width++;
			}
		}
	}
	run->live_lines = lines;
}

/* The result table, through the stages after the aggregate.  `final`: no
 * more input comes, so the group index can go before the table is built.
 * A top or sort right after the aggregate orders the rows itself, with the
 * keys as its tie-break: the table need not be sorted by key first. */
int print_result(struct run *run, int final)
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
	t->tz = run->env.tz; /* HAVING and computed columns read times on the --tz clock */
	for (int i = run->agg + 1; i < run->q->nstages && r == 0; i++)
		r = run->q->stage[i].verb->apply(run->q->stage[i].config, t);
	if (r == 0 && rf__wants_rows(run->consumers)) {
		r = deliver_rows(run, t, 1, final);
	} else if (r == 0) {
		/* a single number stands alone, also in every snapshot */
		int bare = t->nkeys == 0 && t->ncols == 1;
		int live = live_view(run);
		uint64_t start = 0;
		if (live && (r = rf__writer_flush(&run->out)) == 0) {
			start = run->out.bytes;
			r = live_erase(run);
		}
		if (run->snapshots++ && run->table_out.format != RF_OUT_JSON) {
			/* each snapshot is a whole table, with its own header */
			if ((run->table_out.format == RF_OUT_TABLE || run->table_out.format == RF_OUT_CHART) && !bare &&
			    !live)
				rf__writer_put(&run->out, "\n", 1);
			run->table_out.header_done = 0;
		}
		int doc = run->opt->every_ns && run->table_out.format == RF_OUT_JSON;
		run->table_out.json_array = doc;
		if (r == 0 && doc)
			r = snapshot_head(run, final);
		else if (r == 0 && run->opt->every_ns)
			r = snapshot_time(run, final, live);
		if (r == 0)
			r = rf__result_write(&run->table_out, t, &run->out, bare);
		if (r == 0 && doc)
			r = rf__writer_put(&run->out, "]}\n", 3);
		if (r == 0 && live)
			live_measure(run, start);
	}
	rf__table_free(t);
	return r;
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

/* What the framer's result for one input means: the end of the run, an
 * error for this input (the others go on), or nothing.  `in` is NULL for
 * bytes that came from memory (async mode): no line number to look up. */
void framed(struct run *run, const char *shown, int r, const struct rf_source *src, int fd,
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
		rf__message(run->opt, RF_WARNING, "", 0, msg ? msg : "records longer than --max-record skipped");
		free(msg); /* a multiprocess worker too: per input, the parent has no sum of it */
		run->long_skipped += n;
	}
	if (r < 0 && r != -EINTR && src && src->failed && !out_err(run)) {
		/* not the file's fault, nor the run's: this input is incomplete */
		report_error(run, shown, r, "%s failed: %s; its results are incomplete", src->failed, strerror(-r));
		run->failed_inputs++;
	} else if (r == RF_STOP) {
		/* a head had enough: run_batch marked the run stopped */
	} else if (r == -EINTR && rf__cancelled()) {
		run->interrupted = 1;
	} else if (r == -EBADMSG) {
		if (run->mode != RF_MODE_PARALLEL) /* parallel: reported once the workers stop */
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
	} else if (r < 0 && r == run->fatal) {
		/* said already, and ends the run (a record sort's spill) */
	} else if (r < 0) {
		report_error(run, shown, r, "read error: %s; its results are incomplete", strerror(-r));
		run->failed_inputs++;
	} else if (src->shrunk) {
		report_error(run, shown, -EIO, "file shrank while being read; its results are incomplete");
		run->failed_inputs++;
		run->truncated_said = (uint64_t)run->input_idx + 1;
	}
}

/* Nothing dropped silently: say what a parser or an aggregate skipped. */
void report_skipped(struct run *run)
{
	for (int y = 0; y < RF_REJECT_NWHY; y++) {
		static const char *const why[RF_REJECT_NWHY] = {
			"could not be parsed as %s", "had no valid timestamp for the time key",
			"were over the match limits of a regular expression",
			"were cut off (their last %s fields missing)",
			"had a field `parse ... from` could not read" };
		uint64_t n = run->env.rejected_why[y];
		if (!n)
			continue;
		char what[128], where[64] = "";
		snprintf(what, sizeof what, why[y], parse_format(run->q));
		int first = run->env.first_reject_line && run->env.first_reject_why == y;
		if (first) /* the file name whole, however long: it goes in as it is */
			snprintf(where, sizeof where, " line %llu)", (unsigned long long)run->env.first_reject_line);
		if (y == RF_REJECT_REGEX && n == 1)
			snprintf(what, sizeof what, "was over the match limits of a regular expression");
		report_warning(run, "%llu record%s %s and %s skipped%s%s%s%s", (unsigned long long)n, n == 1 ? "" : "s",
			    what, n == 1 ? "was" : "were", first ? " (first: " : "",
			    first ? run->env.first_reject_input : "", where,
			    run->have_rejects ? "; they are in the --rejects file" : "; --rejects FILE keeps them");
	}
	if (run->env.cut_off)
		report_warning(run, "%llu record%s ended early (a closing quote or the last fields cut off) and %s "
			    "kept with the fields %s",
			    (unsigned long long)run->env.cut_off, run->env.cut_off == 1 ? "" : "s",
			    run->env.cut_off == 1 ? "was" : "were", run->env.cut_off == 1 ? "it has" : "they have");
	if (run->agg >= 0) {
		int len = rf__agg_notes(&run->stages[run->agg], NULL, 0); /* whole: labels can be long */
		char *notes = len > 0 ? malloc((size_t)len + 1) : NULL;
		if (notes && rf__agg_notes(&run->stages[run->agg], notes, (size_t)len + 1) > 0)
			report_warning(run, "%s", notes);
		free(notes);
	}
}

/* --every: print the aggregate so far when a snapshot is due.  Snapshots
 * fall due on a fixed grid (start + k * interval).  Due times that passed
 * while the run was busy are skipped, not caught up with, and so are those
 * that fall within as long again as the last snapshot took to print: the
 * reading always keeps at least half the time, so a table too big for the
 * interval slows the snapshots down, never the input.  --stats counts the
 * skipped ones. */
int tick(void *user)
{
	struct run *run = user;
	uint64_t now = now_ns(), every = run->opt->every_ns;
	int r = 0;
	if (every && run->agg >= 0 && now >= run->next_tick) {
		uint64_t late = (now - run->next_tick) / every; /* due times passed unprinted */
		run->framer.batch.input = run->input_name;
		r = print_result(run, 0);
		if (r == 0)
			r = rf__writer_flush(&run->out);
		/* --interval: the next report counts from here */
		if (r == 0 && run->opt->interval_ns)
			r = rf__agg_stage_reset(&run->stages[run->agg]);
		run->every_printed++;
		uint64_t end = now_ns();
		uint64_t next = run->next_tick + (late + 1) * every, free_at = end + (end - now);
		if (next < free_at)
			late += (free_at - next + every - 1) / every;
		run->every_skipped += late;
		run->next_tick = run->next_tick + (late + 1) * every;
	}
	uint64_t due = every && run->agg >= 0 ? run->next_tick : 0;
	if (r == 0 && run->follow_tick)
		r = run->follow_tick(run, now);
	if (run->follow_deadline)
		due = run->follow_deadline(run, due);
	if (run->cur_src)
		run->cur_src->deadline_ns = due;
	return r;
}

void progress(struct run *run, int final)
{
	uint64_t now = now_ns();
	if (!run->opt->on_progress || (!final && now < run->next_progress))
		return;
	run->next_progress = now + 200000000u;
	uint64_t cur = run->cur_src ? run->cur_src->bytes : 0;
	struct rf_decode_info di;
	if (run->cur_src && rf__source_decode_info(run->cur_src, &di))
		cur = di.in_bytes; /* the total counts a compressed file by its size */
	uint64_t done = run->done_bytes - run->done_inflated + cur;
	run->opt->on_progress(run->opt->progress_user, done, run->total_bytes, now - run->started);
}
