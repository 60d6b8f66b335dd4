/* SPDX-License-Identifier: MIT */
/* plan.c - the choice of mode, threads and backend from facts gathered
 * once (see plan.h).  Nothing here calls the system: the same facts give
 * the same plan, which tests/check_plan.c holds to the documented rules.
 *
 * The facts: each named input's kind and size (one stat), a page-cache
 * residency sample of each regular file of 16 MiB or more (mincore over 64
 * pages), the memory available to the page cache (MemAvailable), the CPUs
 * and the address-space limit, and whether the query parses or filters
 * per record (heavy) or only scans.
 *
 * Auto mode's rules, in order (after head, --strict and --every, which
 * need serial mode):
 *  - 64 or more files averaging 256 KiB or less: async.
 *  - Mostly cold (64 MiB or more of named files, at least half of those
 *    bytes sampled, less than half of the sampled bytes cached):
 *    a scan runs serially: the disk is the limit, and more threads or
 *    processes only cost CPU and page cache; a heavy query (not csv or
 *    tsv) runs in parallel mode, the workers fed by the one reader.  In
 *    whatever mode auto takes, mostly cold files are read with io_uring,
 *    a deep queue and O_DIRECT (no copy through the page cache, nothing
 *    pushed out of it; the next run finds them as cold).
 *  - Warm, or not sampled: multiprocess for an aggregate with small
 *    partial states over 64 MiB or more of files; a heavy query in
 *    parallel mode over 32 MiB or more of files (pipeline for csv and
 *    tsv, and for a pipe); serial otherwise.
 * Multiprocess only when the caller allows forking (opt->allow_fork; the
 * command does): else parallel, the reason saying so.
 * The backend of each input (rf__plan_io) is chosen when it is read, from
 * the plan's sample of it: mmap when mostly cached or under 16 MiB (read(2)
 * instead when the caller did not let the library catch SIGBUS),
 * io_uring when cold, with O_DIRECT when the plan asks or the file is
 * larger than half the memory available. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "engine.h"
#include "aggregate.h"
#include "plan.h"

#define MiB ((uint64_t)1 << 20)

void rf__plan_query(const rf_query *q, struct rf_plan_query *pq)
{
	memset(pq, 0, sizeof *pq);
	pq->row_stages = q->agg_stage >= 0 ? q->agg_stage + 1 : q->nstages;
	pq->has_agg = q->agg_stage >= 0;
	for (int i = 0; i < q->nstages; i++) {
		const struct rf_stage_spec *sp = &q->stage[i];
		pq->limit |= sp->verb->kind == RF_STAGE_LIMIT;
		pq->heavy |= sp->verb->kind == RF_STAGE_PARSE || !strcmp(sp->verb->name, "regex") ||
			     !strcmp(sp->verb->name, "where");
	}
	pq->header = q->parse_stage >= 0 && rf__parse_whole_inputs(&q->stage[q->parse_stage]);
	pq->record_sort = rf__rsort_stage(q) >= 0;
	/* sketches and distinct sets are big to ship between processes */
	const struct rf_stage_spec *ag = q->agg_stage >= 0 ? &q->stage[q->agg_stage] : NULL;
	pq->cheap_merge = ag != NULL;
	const struct rf_agg_config *cfg = ag ? ag->config : NULL;
	for (int i = 0; cfg && i < cfg->naggs; i++) {
		enum rf_agg_func f = cfg->agg[i].func;
		if (f == RF_AGG_DISTINCT || f == RF_AGG_QUANTILE || f == RF_AGG_APPROX || f == RF_AGG_HISTOGRAM)
			pq->cheap_merge = 0;
	}
}

/* The mode asked for, or the reason it cannot be followed. */
static void forced_mode(const struct rf_options *opt, const struct rf_plan_query *pq, const struct rf_plan_input *in,
			int n, struct rf_plan *p)
{
	const char *asked = rf_mode_name(opt->mode);
	if (opt->mode == RF_MODE_PIPELINE) {
		p->mode = RF_MODE_PIPELINE;
		snprintf(p->reason, sizeof p->reason, "--mode=pipeline");
	} else if (opt->mode == RF_MODE_ASYNC) {
		int paths = n > 0;
		for (int i = 0; i < n; i++)
			paths &= in[i].kind != RF_INPUT_STDIN;
		p->mode = paths ? RF_MODE_ASYNC : RF_MODE_SERIAL;
		snprintf(p->reason, sizeof p->reason, "%s",
			 paths ? "--mode=async" : "async reads named files, not stdin (--mode=async not followed)");
	} else if (pq->header) {
		/* a byte range past a file's start has no header line to read,
		 * nor has a worker thread given a batch past an input's first */
		p->mode = RF_MODE_PIPELINE;
		snprintf(p->reason, sizeof p->reason,
			 "csv, tsv, w3c, cloudfront and parse auto read each input from its first lines, which a "
			 "worker's share lacks (--mode=%s not followed): pipeline", asked);
	} else if (opt->mode == RF_MODE_PARALLEL) {
		p->mode = RF_MODE_PARALLEL;
		snprintf(p->reason, sizeof p->reason, "--mode=parallel");
	} else if (pq->record_sort) {
		/* the records are sorted where the output is written, in one
		 * process: worker threads, not processes, run the stages */
		p->mode = RF_MODE_PARALLEL;
		snprintf(p->reason, sizeof p->reason,
			 "a sort of records is made in one process (--mode=multiprocess not followed): parallel");
	} else {
		/* multiprocess: a name that cannot be stat'ed is still a file
		 * to it (its worker reports it), stdin and streams are not */
		int files = n > 0;
		for (int i = 0; i < n; i++)
			if (in[i].kind == RF_INPUT_STDIN || in[i].kind == RF_INPUT_STREAM || in[i].kind == RF_INPUT_DIR)
				files = 0;
		p->mode = files ? RF_MODE_MULTIPROCESS : RF_MODE_SERIAL;
		snprintf(p->reason, sizeof p->reason, "%s",
			 files ? "--mode=multiprocess"
			       : "multiprocess splits regular files only (--mode=multiprocess not followed)");
	}
}

/* --mode=auto.  Parallel pays a copy of every batch and a thread hand-off;
 * it wins when the stages do real work per record (a parser, a regex, a
 * where), not for count or grep, which already run at memory speed on one
 * core. */
static void auto_mode(const struct rf_options *opt, const struct rf_plan_query *pq, int n, int cpus,
		      struct rf_plan *p)
{
	int files = p->files_only;
	uint64_t total = p->total;
	if (files && n >= 64 && total / (uint64_t)n <= 256 * 1024) {
		/* many small files: opening and reading them is the work */
		p->mode = RF_MODE_ASYNC;
		snprintf(p->reason, sizeof p->reason, "%d files of %llu KiB on average: io_uring chains, many in flight",
			 n, (unsigned long long)(total / (uint64_t)n >> 10));
	} else if (p->cold && !pq->heavy) {
		/* A scan of cold data: the disk is the limit.  One thread
		 * reading through io_uring with a deep queue keeps up with it;
		 * more threads or processes only cost CPU and page cache. */
		p->mode = RF_MODE_SERIAL;
		snprintf(p->reason, sizeof p->reason,
			 "%llu MiB of files, %d%% in page cache (cold), a scan: the disk is the limit, one reader",
			 (unsigned long long)(total >> 20), p->cached_pct);
	} else if (p->cold && cpus >= 2 && !pq->header) {
		/* A parser or filter over cold data: the workers share the
		 * reader's O_DIRECT reads.  Measured on a cold 1 GiB log (two
		 * cores, busy with other work): split | count by $9 took 1.6x
		 * serial's time in multiprocess mode, each worker reading its
		 * part through the page cache with a core of system time, and
		 * 0.7x in parallel mode with O_DIRECT.  bench/auto.sh compares
		 * every mode cold and warm. */
		p->mode = RF_MODE_PARALLEL;
		snprintf(p->reason, sizeof p->reason,
			 "%d CPUs, %llu MiB of files, %d%% in page cache (cold), a query that parses or filters "
			 "per record: workers fed by one O_DIRECT reader", cpus, (unsigned long long)(total >> 20),
			 p->cached_pct);
	} else if (p->compressed && (p->compressed < 2 || !pq->cheap_merge || pq->header || !files)) {
		/* Compressed input: its decoder thread takes a core of its
		 * own.  Multiprocess mode cannot cut one compressed file (only
		 * give whole files to workers), so one file is read here: the
		 * stages on this thread, or on workers when there are more
		 * cores than the decoder and one stage thread use. */
		int par = cpus > 2 && pq->heavy && !pq->header && files;
		p->mode = par ? RF_MODE_PARALLEL : RF_MODE_SERIAL;
		snprintf(p->reason, sizeof p->reason, "%d compressed input%s: decoded by a thread of its own, %s",
			 p->compressed, p->compressed == 1 ? "" : "s",
			 par ? "the query on workers" : "the query on this one");
	} else if (cpus >= 2 && p->compressed && total >= 8 * MiB && pq->cheap_merge && !opt->strict && !pq->header) {
		/* several compressed files: each decoded whole by a worker
		 * process, so as many decode at once as there are workers */
		p->mode = RF_MODE_MULTIPROCESS;
		p->threads = cpus;
		snprintf(p->reason, sizeof p->reason,
			 "%d CPUs, %d compressed files: each worker decodes whole files, partial aggregates merged", cpus,
			 p->compressed);
	} else if (cpus >= 2 && files && total >= 64 * MiB && pq->cheap_merge && !opt->strict && !pq->header) {
		/* An aggregate whose partial states are small to ship: each
		 * worker maps its own part of the files, nothing is copied
		 * (measured here: split | count by $9 1.5x faster than with
		 * threads).  Sketches and distinct sets are big to merge:
		 * those go to threads. */
		p->mode = RF_MODE_MULTIPROCESS;
		p->threads = cpus;
		snprintf(p->reason, sizeof p->reason, "%d CPUs, %llu MiB of files, an aggregate with small partial states",
			 cpus, (unsigned long long)(total >> 20));
	} else if (cpus >= 2 && pq->heavy && files && total >= 32 * MiB && pq->header) {
		/* parallel workers would lack the csv header */
		p->mode = RF_MODE_PIPELINE;
		snprintf(p->reason, sizeof p->reason,
			 "%d CPUs, %llu MiB of csv, tsv or parse auto (read from each input's start): the reader and each "
			 "stage get a thread",
			 cpus, (unsigned long long)(total >> 20));
	} else if (cpus >= 2 && pq->heavy && files && total >= 32 * MiB) {
		p->mode = RF_MODE_PARALLEL;
		snprintf(p->reason, sizeof p->reason, "%d CPUs, %llu MiB of files, a query that parses or filters per record",
			 cpus, (unsigned long long)(total >> 20));
	} else if (cpus >= 2 && pq->heavy && !files && n <= 1) {
		/* a pipe: reading it is work of its own, so overlap it with
		 * the stages */
		p->mode = RF_MODE_PIPELINE;
		snprintf(p->reason, sizeof p->reason,
			 "%d CPUs, a pipe or device, a query that parses or filters per record: "
			 "the reader and each stage get a thread", cpus);
	} else {
		p->mode = RF_MODE_SERIAL;
		snprintf(p->reason, sizeof p->reason, "%s",
			 cpus < 2 ? "one CPU" : !pq->heavy ? "the query runs at memory speed on one core"
			 : !files ? "a pipe or device: one reader" : "less than 32 MiB of input");
	}
}

/* Mostly cold: 64 MiB or more of named regular files, at least half of
 * those bytes sampled, and less than half of the sampled bytes in the page
 * cache.  Files too small to sample do not count either way. */
static void residency(const struct rf_plan_input *in, int n, struct rf_plan *p)
{
	uint64_t sampled = 0, cached = 0;
	for (int i = 0; i < n; i++)
		if (in[i].kind == RF_INPUT_REGULAR && in[i].sampled) {
			int pct = in[i].cached_pct < 0 ? 100 : in[i].cached_pct > 100 ? 100 : in[i].cached_pct;
			sampled += in[i].size;
			cached += (uint64_t)((double)in[i].size * pct / 100);
		}
	p->cached_pct = sampled ? (int)((double)cached * 100 / (double)sampled + 0.5) : -1;
	p->cold = p->files_only && p->total >= 64 * MiB && sampled >= p->total / 2 && cached < sampled / 2;
}

void rf__plan_mode(const struct rf_options *opt, const struct rf_plan_query *pq, const struct rf_plan_input *in,
		   int n, const struct rf_plan_machine *m, struct rf_plan *p)
{
	int cpus = m->cpus > 0 ? m->cpus : 1;
	memset(p, 0, sizeof *p);
	p->threads = opt->threads ? opt->threads : cpus;
	/* auto counts only what stat showed to be a regular file */
	p->files_only = n > 0;
	for (int i = 0; i < n; i++) {
		if (in[i].kind == RF_INPUT_REGULAR)
			p->total += in[i].size;
		else
			p->files_only = 0;
		p->compressed += in[i].codec > 0;
	}
	residency(in, n, p);
	int every = opt->every_ns && pq->has_agg;
	if (opt->mode == RF_MODE_SERIAL) {
		p->mode = RF_MODE_SERIAL;
		snprintf(p->reason, sizeof p->reason, "--mode=serial");
	} else if (pq->limit || every || opt->strict) {
		/* head must stop the reading at an exact record (stages running
		 * ahead would count rejects past it), --strict must name the very
		 * first bad record, --every must see one aggregate: all serial
		 * (--every without an aggregate streams lines, as any mode does) */
		p->mode = RF_MODE_SERIAL;
		snprintf(p->reason, sizeof p->reason, "%s needs serial mode%s%s%s",
			 pq->limit ? "head before an aggregate" : opt->strict ? "--strict" : "--every",
			 opt->mode != RF_MODE_AUTO ? " (--mode=" : "", opt->mode != RF_MODE_AUTO ? rf_mode_name(opt->mode) : "",
			 opt->mode != RF_MODE_AUTO ? " not followed)" : "");
	} else if (opt->mode != RF_MODE_AUTO) {
		forced_mode(opt, pq, in, n, p);
	} else {
		auto_mode(opt, pq, n, cpus, p);
		/* A library call forks only when the program said it may:
		 * a forked copy of the program (its threads gone, its locks
		 * as they were) is not ours to make.  Threads do the same
		 * work in this process. */
		if (p->mode == RF_MODE_MULTIPROCESS && !opt->allow_fork) {
			char why[sizeof p->reason];
			snprintf(why, sizeof why, "%s", p->reason);
			p->mode = RF_MODE_PARALLEL;
			snprintf(p->reason, sizeof p->reason, "%.90s; forking not allowed (allow_fork): parallel", why);
		}
		/* cold files are read with O_DIRECT whatever the mode: no copy
		 * through the page cache, and nothing pushed out of it */
		p->direct = p->cold && p->mode != RF_MODE_ASYNC;
	}
	if (opt->mode == RF_MODE_AUTO && p->mode != RF_MODE_SERIAL && p->mode != RF_MODE_ASYNC) {
		/* Under a small ulimit -v the copies of batches in flight and
		 * the threads' stacks may not fit where serial mode's reading
		 * does: auto must not pick a mode that fails where serial
		 * would not.  A rough need: the buffers twice, a stack and a
		 * window per thread, and room for the rest. */
		uint64_t need = (uint64_t)opt->memory * 2 + (uint64_t)p->threads * 16 * MiB + 256 * MiB;
		if (m->as_limit && m->as_limit < need) {
			snprintf(p->reason, sizeof p->reason,
				 "address space limited to %llu MiB (ulimit -v), %s mode wants about %llu: serial",
				 (unsigned long long)(m->as_limit >> 20), rf_mode_name(p->mode),
				 (unsigned long long)(need >> 20));
			p->mode = RF_MODE_SERIAL;
		}
	}
	if (p->mode == RF_MODE_SERIAL || p->mode == RF_MODE_ASYNC)
		p->threads = 1;
	else if (p->mode == RF_MODE_PIPELINE)
		p->threads = pq->row_stages + 1; /* and the reader */
}

enum rf_place_shape rf__plan_place_shape(enum rf_mode mode, int threads, int *n)
{
	enum rf_place_shape shape = mode == RF_MODE_PIPELINE ? RF_PLACE_CHAIN
				  : mode == RF_MODE_PARALLEL || mode == RF_MODE_MULTIPROCESS ? RF_PLACE_SPREAD
				  : RF_PLACE_ONE;
	*n = shape == RF_PLACE_ONE ? 1 : threads;
	return shape;
}

int rf__plan_io_wants_residency(const struct rf_options *opt, int is_stream, uint64_t size)
{
	if (is_stream)
		return 0;
	if (opt->io != RF_IO_AUTO)
		return opt->io == RF_IO_URING && !opt->direct;
	return size >= RF_PLAN_SAMPLE_MIN;
}

int rf__plan_wants_sample(const struct rf_options *opt, uint64_t size)
{
	/* a smaller file's sample, if its backend wants one, is taken when
	 * it is read: not worth an open here for many small files */
	return size >= RF_PLAN_SAMPLE_MIN && (opt->mode == RF_MODE_AUTO || rf__plan_io_wants_residency(opt, 0, size));
}

enum rf_io rf__plan_io(const struct rf_options *opt, int is_stream, uint64_t size, int cached_pct, uint64_t room,
		       int plan_direct, int *direct, int *deep, char *why, size_t why_len)
{
	*direct = opt->direct;
	*deep = opt->direct;
	if (is_stream) {
		/* never io_uring: a read in flight there cannot be given up for
		 * a signal or an --every deadline while the writer is quiet */
		snprintf(why, why_len, "pipe or device: read(2) with a large pipe buffer%s",
			 opt->io == RF_IO_URING ? " (--io=uring is for files)" : "");
		return RF_IO_READ;
	}
	if (opt->io != RF_IO_AUTO) {
		snprintf(why, why_len, "--io=%s", rf_io_name(opt->io));
		/* a cold file gets every buffer in flight */
		if (opt->io == RF_IO_URING && !*deep)
			*deep = cached_pct >= 0 && cached_pct < 50;
		return opt->io;
	}
	/* A file cut short under a mapping raises SIGBUS: mapped only when
	 * the program let the library catch it (opt->catch_sigbus), else
	 * the signal would kill the program. */
	const char *map = opt->catch_sigbus ? "mmap" : "read(2), not mmap (no SIGBUS handler: catch_sigbus)";
	if (size < 16 * MiB) {
		snprintf(why, why_len, "small file: %s", map);
		return opt->catch_sigbus ? RF_IO_MMAP : RF_IO_READ;
	}
	if (cached_pct < 0 || cached_pct >= 50) {
		snprintf(why, why_len, "file %d%% in page cache: %s", cached_pct < 0 ? 100 : cached_pct, map);
		return opt->catch_sigbus ? RF_IO_MMAP : RF_IO_READ;
	}
	/* Measured here: a cold file read with O_DIRECT into huge-page buffers
	 * streams at disk speed for a tenth of a core.  But O_DIRECT leaves the
	 * page cache cold, so a file that would fit in it comfortably (half of
	 * the memory available) is read buffered: the next run finds it warm. */
	*direct = opt->direct || plan_direct || (size >= 64 * MiB && size > room / 2);
	*deep = 1;
	snprintf(why, why_len, "file %d%% in page cache (cold): io_uring%s", cached_pct,
		 !*direct ? "" : opt->direct ? " with O_DIRECT"
		 : plan_direct && size <= room / 2 ? " with O_DIRECT (the plan found the inputs cold: no copies through the page cache)"
		 : " with O_DIRECT (larger than half the memory available)");
	return RF_IO_URING;
}
