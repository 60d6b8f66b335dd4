/* SPDX-License-Identifier: MIT */
/* reader_seq.c - the sequential reader: one input, or a byte range of
 * one, opened, its io/ backend chosen (engine/plan.c decides), and read
 * through the framer, whose batches go to run_batch (run.c).  Async and
 * multiprocess mode fall back to it (run->read_input). */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "run.h"
#include "executor.h"
#include "testhooks.h"
#include "../io/codec.h"
#include "../io/codec_segments.h"

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

static void sigbus_once(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* Only for a program that asked (opt->catch_sigbus: the command does): a
 * library does not take over the process's signals by itself.  Without it
 * nothing is mapped (plan.c reads with read(2), find_cuts does not walk a
 * mapping).  Once per process, whichever run comes first. */
void rf__install_sigbus(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sigbus_once);
}

/* The stages may have grown a piece's arrays: they stay the batch's. */
void piece_back(struct run *run)
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


/* Below this, a warm file is mapped without asking whether mapping is slow
 * here: the probe itself reads 4 MiB. */
#define RF_MMAP_PROBE_MIN ((uint64_t)64 << 20)

/* Pick the backend for one input and say why (engine/plan.c decides).
 * The page-cache sample is the plan's when it took one of this input
 * (found by its name, most often at the input's own index), else it is
 * taken here, only when the rule needs it. */
static enum rf_io choose_io(struct run *run, const struct rf_input_desc *in, int *direct,
			    int *deep, char *why, size_t why_len)
{
	uint64_t size = in->is_stream ? 0 : in->size - in->start;
	int pct = -1, plan_direct = 0;
	if (rf__plan_io_wants_residency(run->opt, in->is_stream, size)) {
		/* input_idx counts the inputs begun, never more than were
		 * named (the array has one more entry, its name NULL) */
		const struct rf_plan_input *pi = NULL, *all = run->inputs;
		if (all && run->input_name && run->input_idx > 0 && all[run->input_idx - 1].name == run->input_name)
			pi = &all[run->input_idx - 1];
		for (int i = 0; all && !pi && run->input_name && all[i].name; i++)
			if (all[i].name == run->input_name)
				pi = &all[i];
		if (pi && pi->sampled)
			pct = pi->cached_pct, plan_direct = pi->direct;
		else
			pct = rf__file_cached_percent(in->fd, in->start, in->size);
	}
	enum rf_io io = rf__plan_io(run->opt, in->is_stream, size, pct, run->ram, plan_direct, direct, deep, why,
				    why_len);
	/* The plan maps a warm file; where this machine's page faults make
	 * that much slower than copying (measured once), it is read instead. */
	unsigned mm = 0, rd = 0;
	if (io == RF_IO_MMAP && run->opt->io == RF_IO_AUTO && size >= RF_MMAP_PROBE_MIN &&
	    rf__mmap_slow(in->fd, in->start, in->size, &mm, &rd)) {
		snprintf(why, why_len, "file %d%% in page cache: read(2) (mmap measured %u MB/s here, read %u MB/s)",
			 pct < 0 ? 100 : pct, mm, rd);
		io = RF_IO_READ;
	}
	return io;
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

/* ---- compressed files cut into segments ----------------------------------
 * Members of a multi-member gzip (BGZF) file, frames of a zstd or lz4 file
 * decode independently: found by walking their headers in a mapping of the
 * file (io/codec_segments.c), under the SIGBUS guard (a file truncated
 * meanwhile), they let several decoder threads work on one file. */

#define CUT_MIN ((uint64_t)4 << 20)

struct cut_walk {
	int codec;
	const unsigned char *p;
	size_t n, target;
	uint64_t *cuts;
	int max, got;
};

static int walk_cuts(void *a, void *b)
{
	struct cut_walk *w = a;
	(void)b;
	w->got = rf__codec_segments(w->codec, w->p, w->n, w->target, w->cuts, w->max);
	return 0;
}

/* How many segments (cuts in *out, to free), or 0: decode it whole. */
static int find_cuts(struct run *run, const struct rf_input_desc *in, int codec, uint64_t **out)
{
	*out = NULL;
	uint64_t size = in->size - in->start;
	uint64_t cpus = run->cpus > 1 ? (uint64_t)run->cpus : 1;
	const struct rf_test_hooks *th = rf__test_hooks();
	if (th->decoders)
		cpus = (uint64_t)th->decoders;
	uint64_t min = th->segment ? 2 * (uint64_t)th->segment : CUT_MIN;
	/* the walk reads a mapping: only under the SIGBUS handler */
	if (in->is_stream || cpus < 2 || size < min || size > SIZE_MAX / 2 || !run->opt->catch_sigbus)
		return 0;
	uint64_t target = size / (cpus * 8);
	target = target < MiB ? MiB : target > 16 * MiB ? 16 * MiB : target;
	if (th->segment)
		target = th->segment;
	struct cut_walk w = { .codec = codec, .n = (size_t)size, .target = (size_t)target,
			      .max = (int)(size / target) + 2 };
	w.cuts = calloc((size_t)w.max, sizeof *w.cuts);
	void *map = w.cuts ? mmap(NULL, (size_t)in->size, PROT_READ, MAP_SHARED, in->fd, 0) : MAP_FAILED;
	if (map == MAP_FAILED) {
		free(w.cuts);
		return 0;
	}
	w.p = (const unsigned char *)map + in->start;
	rf__install_sigbus();
	int bus = 0;
	rf__bus_guard(walk_cuts, &w, NULL, &bus);
	munmap(map, (size_t)in->size);
	if (bus || w.got < 2) {
		free(w.cuts);
		return 0; /* a file truncated meanwhile is said by the read */
	}
	*out = w.cuts;
	return w.got;
}

/* A compressed input's numbers for --stats, and what was
 * wrong with its data: said here, with the compressed offset, and the
 * input counted as failed (its records before the damage stand). */
static void decoded(struct run *run, const char *shown, struct rf_source *src, int *r)
{
	struct rf_decode_info di;
	if (!rf__source_decode_info(src, &di))
		return;
	int c = di.codec;
	const char *cn = rf__codec_name((enum rf_codec)c);
	run->dec_inputs[c]++;
	run->dec_in[c] += di.in_bytes;
	run->dec_out[c] += src->bytes;
	run->dec_ns[c] += di.busy_ns;
	if ((uint64_t)di.threads > run->dec_threads[c])
		run->dec_threads[c] = (uint64_t)di.threads;
	if (src->bytes > di.in_bytes)
		run->done_inflated += src->bytes - di.in_bytes;
	if (*r == -EILSEQ || *r == -EPROTO) {
		report_error(run, shown, *r, "%s data damaged at compressed byte %llu: %s; the whole records of the %llu "
			     "bytes decoded before it were processed, its results are incomplete", cn,
			     (unsigned long long)di.error_offset, di.error, (unsigned long long)src->bytes);
		run->failed_inputs++;
		*r = 0;
	}
}

/* ---- a compressed input resumed part way (follow mode's restart) ------
 * The decoder starts at the beginning; the bytes before run->resume_at
 * are dropped here, and the framer sees the rest as the input. */

struct skip_source {
	struct rf_source base;
	struct rf_source *in;
	uint64_t skip;
};

static int skip_next(struct rf_source *src, struct rf_chunk *c)
{
	struct skip_source *k = (struct skip_source *)src;
	for (;;) {
		k->in->deadline_ns = src->deadline_ns;
		int r = k->in->ops->next(k->in, c);
		if (r != 1 || !k->skip) {
			if (r == 1)
				src->bytes += c->len;
			return r;
		}
		if (k->skip >= c->len) {
			k->skip -= c->len;
			k->in->ops->release(k->in, c);
			continue;
		}
		c->data += k->skip;
		c->len -= k->skip;
		c->headroom += k->skip;
		c->offset += k->skip;
		k->skip = 0;
		src->bytes += c->len;
		return 1;
	}
}

static void skip_release(struct rf_source *src, struct rf_chunk *c)
{
	struct skip_source *k = (struct skip_source *)src;
	k->in->ops->release(k->in, c);
}

static void skip_close(struct rf_source *src)
{
	(void)src; /* its input is closed by its opener; the run frees it */
}

static const struct rf_source_ops skip_ops = {
	.name = "skip",
	.next = skip_next,
	.release = skip_release,
	.close = skip_close,
};

static struct rf_source *skip_wrap(struct run *run, struct rf_source *in, uint64_t skip)
{
	struct skip_source *k = (struct skip_source *)run->skip_src;
	if (!k && !(k = calloc(1, sizeof *k)))
		return NULL;
	memset(k, 0, sizeof *k);
	k->base.ops = &skip_ops;
	k->base.wake_fd = -1;
	k->in = in;
	k->skip = skip;
	run->skip_src = &k->base;
	return &k->base;
}

/* A caller's byte range [start, end) of the file open at fd (rf_input
 * start, end): 1, said, if it is not one of whole lines of a regular file
 * at least end bytes long; else 0.  A range that cuts a line would give
 * a part of it as a record, and the rest to whoever reads the next. */
static int given_range_bad(struct run *run, const char *shown, int fd, const struct stat *st, uint64_t start,
			   uint64_t end)
{
	char at[2] = { '\n', '\n' };
	if (!S_ISREG(st->st_mode) || rf__size_lies(fd)) {
		report_error(run, shown, -EINVAL, "a byte range is of a regular file; this is not one");
		return 1;
	}
	uint64_t size = (uint64_t)st->st_size;
	int to_end = end == UINT64_MAX; /* to the end the file has now */
	if (start > size || (!to_end && size < end)) {
		report_error(run, shown, -EINVAL, "the byte range %" PRIu64 "-%" PRIu64 " %s past the file's end "
			     "(%" PRIu64 " bytes)", start, to_end ? size : end, start > size ? "starts" : "ends", size);
		return 1;
	}
	errno = 0;
	if (start == end)
		return 0; /* nothing is read of it */
	if ((start > 0 && pread(fd, &at[0], 1, (off_t)(start - 1)) != 1) ||
	    (!to_end && end < size && end > 0 && pread(fd, &at[1], 1, (off_t)(end - 1)) != 1)) {
		report_error(run, shown, -EIO, "%s", strerror(errno ? errno : EIO));
		return 1;
	}
	if (at[0] != '\n' || at[1] != '\n') {
		report_error(run, shown, -EINVAL, "the byte range %" PRIu64 "-%" PRIu64 " %s inside a line: a range "
			     "must hold whole lines", start, end, at[0] != '\n' ? "starts" : "ends");
		return 1;
	}
	return 0;
}

void process_input(struct run *run, const char *name)
{
	process_input_range(run, name, 0, UINT64_MAX);
}

/* One input, or the byte range [start, end) of a regular file (multiprocess
 * workers; the parent aligned the range to whole records). */
void process_input_range(struct run *run, const char *name, uint64_t start, uint64_t end)
{
	struct rf_report *rep = run->rep;
	const char *shown = name ? name : "-";
	/* a caller's descriptor (rf_input) is read as standard input is; an
	 * input opened by its path is a file, whatever name it is shown by */
	int is_stdin = run->in_fd >= 0 || (!run->open_as && strcmp(shown, "-") == 0);
	int count_lines = run->count_lines; /* put back at the end (the seek) */
	if (rep) /* every input, also one that cannot be read */
		rep->inputs++;
	/* follow mode holds its history files open from the start (a rotation
	 * renames them meanwhile): opened through that descriptor */
	int fd = run->in_fd >= 0 ? run->in_fd
		 : is_stdin ? 0 : open(run->open_as ? run->open_as : name, O_RDONLY | O_CLOEXEC);
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
	if (run->range_given && !e && given_range_bad(run, shown, fd, &st, start, end)) {
		run->failed_inputs++;
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
		if (run->range_given) /* the caller's range: its lines count from its start */
			run->line_base = in.start;
	} else {
		in.is_stream = 1;
		if (S_ISFIFO(st.st_mode))
			rf__pipe_grow(fd, MiB);
	}
	/* a stream: each batch out as soon as it is done (inline: and before
	 * waiting on it, out with what the inputs before it gave) */
	run->exec->live(run, run->exec_state, in.is_stream);
	run->flush_each = in.is_stream;
	/* compressed input, found by its first bytes (not by its name), once
	 * what came before is out (a quiet pipe may keep us waiting); a byte
	 * range past a file's start is a worker's share of a plain file */
	int codec = 0;
	if (!run->opt->decompress_off && start == 0 && !run->range_given) {
		/* --every: a quiet pipe still gets its snapshots */
		int ticking = run->opt->every_ns && run->agg >= 0;
		while ((codec = rf__input_codec_until(&in, ticking ? run->next_tick : 0)) == -ETIME)
			if (tick(run) != 0)
				ticking = 0; /* the output failed: said at the end */
		if (codec == -EINTR && rf__cancelled()) { /* cancelled while a pipe was looked at */
			run->interrupted = 1;
			goto out;
		}
		if (codec < 0)
			codec = 0; /* could not look (poll failed): the read says what is wrong */
		if (codec > 0 && !rf__codec_library((enum rf_codec)codec)) {
			const char *cn = rf__codec_name((enum rf_codec)codec);
			report_error(run, shown, -ENOTSUP,
				     "%s-compressed, and this ringflow was built without %s support (install %s and "
				     "rebuild, or read the bytes as they are with --decompress=off)",
				     cn, cn, rf__codec_package((enum rf_codec)codec));
			run->failed_inputs++;
			goto out;
		}
	}
	/* follow mode resumes a plain file at the byte a checkpoint reached:
	 * lines count from there (messages give no line numbers for it) */
	if (run->resume_at && codec == 0 && !in.is_stream) {
		in.start = run->resume_at < in.size ? run->resume_at : in.size;
		(void)lseek(fd, (off_t)in.start, SEEK_SET);
		run->count_lines = 0;
	}
	/* --since/--until on a plain regular file: only the bytes that may
	 * hold the range (timerange.c); lines then count from there, so
	 * messages give no line numbers for this input.  Not with multiline
	 * records: the seek lands on a line, which may be inside a record. */
	if (codec == 0 && !in.is_stream && !is_stdin && run->env.range && !run->opt->no_seek && !run->framer.ml) {
		uint64_t lo, hi;
		int64_t slack = run->opt->seek_slack_ns ? run->opt->seek_slack_ns : 300 * 1000000000LL;
		if (rf__timerange_seek(&run->range, fd, (uint64_t)st.st_size, slack, &lo, &hi) == 0) {
			uint64_t before = in.size - in.start;
			if (lo > in.start) {
				in.start = lo < in.size ? lo : in.size;
				(void)lseek(fd, (off_t)in.start, SEEK_SET);
				run->count_lines = 0;
			}
			if (hi < in.size)
				in.size = hi > in.start ? hi : in.start;
			run->seek_skipped += before - (in.size - in.start);
		}
	}
	run->input_name = shown;
	run->input_idx++;

	char why[160];
	int direct = 0, direct_used = 0, deep = 0;
	enum rf_io want, used;
	struct rf_source *src = NULL;
	int r;
	if (codec > 0) {
		/* read by the decoder threads (pread, or read(2) for a
		 * stream), decoded into the run's pool */
		want = used = RF_IO_READ;
		snprintf(why, sizeof why, "%s-compressed: read by a decoder thread of its own",
			 rf__codec_name((enum rf_codec)codec));
		r = ensure_pool(run, 0);
		uint64_t *cuts = NULL;
		int ncuts = r == 0 ? find_cuts(run, &in, codec, &cuts) : 0;
		/* decoder threads for a file cut into pieces: one per CPU (in
		 * a multiprocess worker its share of them); a small pool makes
		 * them wait their turn, never starve the reader (the reserve in
		 * io/source_decode.c) */
		int threads = run->mode == RF_MODE_MULTIPROCESS && run->threads > 1 ? run->cpus / run->threads : run->cpus;
		if (rf__test_hooks()->decoders)
			threads = rf__test_hooks()->decoders;
		if (ncuts < 2 || threads < 1)
			threads = 1;
		if (r == 0)
			r = rf__source_decode_open(&src, &in, codec, &run->pool, cuts, ncuts, threads);
		free(cuts);
		if (ncuts > 1)
			snprintf(why, sizeof why, "%s-compressed: %d independent pieces, %d decoder thread%s, pread",
				 rf__codec_name((enum rf_codec)codec), ncuts, threads, threads == 1 ? "" : "s");
	} else {
		want = choose_io(run, &in, &direct, &deep, why, sizeof why);
		used = want;
		r = open_source(run, &in, want, direct, deep, &src, &used, &direct_used);
	}
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
		rf__install_sigbus();
		if (sigsetjmp(jb, 1)) {
			bus_jmp = NULL;
			run->cur_src = NULL;
			report_error(run, shown, -EIO,
				     "file was truncated while mapped (SIGBUS); its results are incomplete");
			run->failed_inputs++;
			run->truncated_said = (uint64_t)run->input_idx + 1;
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
	struct rf_source *feed = src;
	if (codec > 0 && run->resume_at && !(feed = skip_wrap(run, src, run->resume_at))) {
		r = -ENOMEM;
		report_error(run, shown, r, "%s", strerror(-r));
		run->failed_inputs++;
		goto close_src;
	}
	r = rf__framer_run(&run->framer, feed);
	if (r == -ECANCELED && __atomic_load_n(&run->wake_err, __ATOMIC_ACQUIRE))
		r = __atomic_load_n(&run->wake_err, __ATOMIC_ACQUIRE); /* as the next hand-over would have said */
	bus_jmp = NULL;
	run->cur_src = NULL;
	struct rf_input_desc lines = in;
	if (codec > 0) {
		decoded(run, shown, src, &r);
		lines.is_stream = 1; /* no line numbers from re-reading it: byte offsets */
	}
	framed(run, shown, r, src, fd, &lines);
	run->input_end = codec > 0 ? src->bytes : in.start + src->bytes;
	if (rep)
		rep->bytes += src->bytes;
	run->done_bytes += src->bytes;
close_src:
	src->ops->close(src);
out:
	run->count_lines = count_lines;
	if (!is_stdin)
		close(fd);
}