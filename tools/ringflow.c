/* ringflow.c - the command-line tool.  Uses only the public API. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "../engine/ringflow.h"

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fputs("Usage: ringflow [OPTIONS] QUERY [FILE...]\n"
	      "Run QUERY over the lines of the FILEs (or stdin; '-' is stdin too),\n"
	      "read as one stream in the order given.\n"
	      "\n"
	      "Queries (see ringflow(1)): stages separated by '|'\n"
	      "  split [DELIM] | parse combined|common|json|logfmt|csv|tsv|regex \"RE\"\n"
	      "  grep [-v] [-i] \"LIT\" | regex [-v] \"RE\" | where EXPR | select F,... | head N\n"
	      "  count, sum(F), avg(F), min(F), max(F), distinct(F), p50..p99(F), quantile(F,q)\n"
	      "      [by F|minute|hour|day|bucket(F,5m), ...]\n"
	      "  then: top N [by COL] | sort COL [desc] | head N | select COL,...\n"
	      "Examples:\n"
	      "  ringflow 'grep \" 404 \" | count' access.log\n"
	      "  ringflow 'parse combined | where status >= 500 | count by path | top 10' access.log\n"
	      "  ringflow 'split | count by $9' access.log\n"
	      "\n"
	      "Options:\n"
	      "  --io=auto|mmap|uring|read  I/O backend (default auto)\n"
	      "  --direct                 io_uring with O_DIRECT (cold files larger than memory)\n"
	      "  --sqpoll                 io_uring with a kernel submission thread\n"
	      "  --simd=auto|avx2|sse2|scalar  kernel level (default: best the CPU has)\n"
	      "  --mode=auto|serial|parallel|pipeline|multiprocess|async  execution mode\n"
	      "                           (auto: async for many small files, parallel for\n"
	      "                           parsing queries over 32M of files or more,\n"
	      "                           pipeline for them on a pipe, else serial)\n"
	      "  --queue-depth=N          pipeline mode: batches between two stages\n"
	      "  --threads=N              parallel mode workers (default: one per CPU)\n"
	      "  --memory=SIZE            buffer pool budget (default 64M)\n"
	      "  --group-memory=SIZE      what a group-by may add on top before the run\n"
	      "                           stops with an error (default: half the RAM)\n"
	      "  --buffer-size=SIZE       one pool buffer (default 1M, 2M with --direct)\n"
	      "  --window=SIZE            mmap window (default 4M)\n"
	      "  --max-record=SIZE        longest record accepted (default 256M)\n"
	      "  --on-long=error|skip     a longer record is an error naming its file and\n"
	      "                           line (default), or is skipped and counted\n"
	      "  --format=table|tsv|csv|json  how result rows print (default table)\n"
	      "  --rejects=FILE           write records a parser rejects to FILE\n"
	      "  --strict                 a rejected record is an error\n"
	      "  --every=DURATION         print the aggregate so far every DURATION (5s, 1m)\n"
	      "  --stats[=text|json]      run statistics on stderr\n"
	      "  --progress               a progress bar on stderr, when it is a terminal\n"
	      "  --numa=auto|off|interleave|node:N  thread and buffer placement\n"
	      "  --cpus=LIST              run only on these CPUs (like 0-3,6)\n"
	      "  -v, --verbose            say which backend and SIMD level were used\n"
	      "  -h, --help               this help\n"
	      "  -V, --version            version\n"
	      "\n"
	      "SIZE takes a K, M or G suffix (powers of 1024).\n"
	      "Exit status: 0 success, 2 bad usage or query, an input that could not be\n"
	      "read (the others are still processed), or an output error.\n",
	      f);
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	unsigned long long mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v == 0 || v > (~0ULL) / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

static void print_query_error(const char *query, const struct rf_query_error *err)
{
	fprintf(stderr, "ringflow: query:%d: %s\n", err->column, err->message);
	if (err->column > 0 && !strchr(query, '\n')) {
		fprintf(stderr, "  %s\n  %*s^\n", query, err->column - 1, "");
	}
	if (err->hint[0])
		fprintf(stderr, "  hint: %s\n", err->hint);
}

/* A one-line bar on stderr, redrawn in place. */
static void on_progress(void *user, uint64_t done, uint64_t total, uint64_t elapsed_ns)
{
	(void)user;
	double secs_so_far = (double)elapsed_ns / 1e9;
	double rate = secs_so_far > 0 ? (double)done / secs_so_far : 0;
	char line[160];
	if (total) {
		double frac = done > total ? 1.0 : (double)done / (double)total;
		char bar[31];
		int fill = (int)(frac * 30);
		for (int i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = 0;
		double eta = rate > 0 ? (double)(total - (done > total ? total : done)) / rate : 0;
		snprintf(line, sizeof line, "[%s] %3.0f%%  %.2f / %.2f GB  %.2f GB/s  ETA %.0fs", bar, frac * 100,
			 (double)done / 1e9, (double)total / 1e9, rate / 1e9, eta);
	} else {
		snprintf(line, sizeof line, "%.2f GB  %.2f GB/s", (double)done / 1e9, rate / 1e9);
	}
	fprintf(stderr, "\r%s\033[K", line);
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
	rf_cancel();
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void print_stats_text(const struct rf_report *r)
{
	FILE *f = stderr;
	fprintf(f, "ringflow stats\n");
	fprintf(f, "  mode        %s, %d thread%s (%s)\n", rf_mode_name(r->mode), r->threads,
		r->threads == 1 ? "" : "s", r->mode_reason);
	fprintf(f, "  simd        %s\n", rf_simd_name(r->simd));
	fprintf(f, "  io          ");
	for (int i = 1; i < 4; i++)
		if (r->io_used[i])
			fprintf(f, "%s(%" PRIu64 " input%s) ", rf_io_name((enum rf_io)i), r->io_files[i],
				r->io_files[i] == 1 ? "" : "s");
	fprintf(f, "\n  io reason   %s\n", r->io_reason);
	if (r->io_used[RF_IO_URING])
		fprintf(f, "  io_uring    buffers %s, O_DIRECT %s\n",
			r->uring_registered ? "registered" : "not registered",
			r->direct_used ? "used" : "not used");
	fprintf(f, "  inputs      %" PRIu64 " (%" PRIu64 " failed)\n", r->inputs, r->inputs_failed);
	fprintf(f, "  bytes       %" PRIu64 "\n", r->bytes);
	fprintf(f, "  records     %" PRIu64 "\n", r->records);
	fprintf(f, "  batches     %" PRIu64 " (%" PRIu64 " assembled across buffer ends)\n",
		r->batches, r->spill_batches);
	if (r->pool_buffers)
		fprintf(f, "  pool        %zu x %zu KiB, high water %zu\n", r->pool_buffers,
			r->pool_buffer_size >> 10, r->pool_high_water);
	fprintf(f, "  elapsed     %.3f s (%.2f GB/s)\n", secs(r->elapsed_ns),
		r->elapsed_ns ? (double)r->bytes / (double)r->elapsed_ns : 0.0);
	fprintf(f, "  peak rss    %" PRIu64 " KiB\n", r->peak_rss_kb);
	fprintf(f, "  numa nodes  %d%s\n", r->numa_nodes, r->numa_interleave ? ", buffers interleaved" : "");
	fprintf(f, "  placement  ");
	int any = 0;
	for (int i = 0; i < r->placed; i++)
		if (r->place_cpu[i] >= 0 || r->place_node[i] >= 0) {
			fprintf(f, " thread %d -> cpu %d, buffers -> node %d;", i, r->place_cpu[i], r->place_node[i]);
			any = 1;
		}
	fprintf(f, "%s\n", any ? "" : " none (one node, or --numa=off: threads float, memory is local by default)");
	fprintf(f, "  %-3s %-8s %10s %14s %14s %14s %10s %10s %8s %8s\n", "#", "stage", "batches", "records in",
		"records out", "bytes in", "busy s", "wait s", "empty", "full");
	for (int i = 0; i < r->nstages; i++) {
		const struct rf_stage_stats *s = &r->stage[i];
		fprintf(f, "  %-3d %-8s %10" PRIu64 " %14" PRIu64 " %14" PRIu64 " %14" PRIu64 " %10.3f %10.3f %8" PRIu64
			   " %8" PRIu64 "\n",
			i + 1, s->name, s->batches, s->records_in, s->records_out, s->bytes_in,
			secs(s->busy_ns), secs(s->wait_ns), s->queue_empty, s->queue_full);
	}
}

static void print_stats_json(const struct rf_report *r)
{
	FILE *f = stderr;
	fprintf(f, "{\"mode\":\"%s\",\"threads\":%d,\"simd\":\"%s\",\"io\":{", rf_mode_name(r->mode), r->threads,
		rf_simd_name(r->simd));
	int first = 1;
	for (int i = 1; i < 4; i++)
		if (r->io_used[i]) {
			fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", rf_io_name((enum rf_io)i), r->io_files[i]);
			first = 0;
		}
	fprintf(f, "},\"io_reason\":\"");
	for (const char *p = r->io_reason; *p; p++)
		fprintf(f, (*p == '"' || *p == '\\') ? "\\%c" : "%c", *p);
	fprintf(f, "\",\"uring_registered\":%s,\"direct\":%s,", r->uring_registered ? "true" : "false",
		r->direct_used ? "true" : "false");
	fprintf(f, "\"inputs\":%" PRIu64 ",\"inputs_failed\":%" PRIu64 ",\"bytes\":%" PRIu64
		   ",\"records\":%" PRIu64 ",\"batches\":%" PRIu64 ",\"spill_batches\":%" PRIu64
		   ",\"pool_buffers\":%zu,\"pool_buffer_size\":%zu,\"pool_high_water\":%zu"
		   ",\"elapsed_ns\":%" PRIu64 ",\"peak_rss_kb\":%" PRIu64 ",\"numa_nodes\":%d,\"stages\":[",
		r->inputs, r->inputs_failed, r->bytes, r->records, r->batches, r->spill_batches,
		r->pool_buffers, r->pool_buffer_size, r->pool_high_water, r->elapsed_ns, r->peak_rss_kb,
		r->numa_nodes);
	for (int i = 0; i < r->nstages; i++) {
		const struct rf_stage_stats *s = &r->stage[i];
		fprintf(f, "%s{\"name\":\"%s\",\"batches\":%" PRIu64 ",\"records_in\":%" PRIu64
			   ",\"records_out\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"busy_ns\":%" PRIu64
			   ",\"wait_ns\":%" PRIu64 ",\"queue_empty\":%" PRIu64 ",\"queue_full\":%" PRIu64 "}",
			i ? "," : "", s->name, s->batches, s->records_in, s->records_out, s->bytes_in,
			s->busy_ns, s->wait_ns, s->queue_empty, s->queue_full);
	}
	fprintf(f, "]}\n");
}

enum { OPT_IO = 256, OPT_SIMD, OPT_MODE, OPT_DIRECT, OPT_SQPOLL, OPT_MEMORY, OPT_GROUPMEM, OPT_BUFFER,
       OPT_WINDOW, OPT_MAXREC, OPT_ONLONG, OPT_STATS, OPT_FORMAT, OPT_REJECTS, OPT_STRICT, OPT_EVERY, OPT_THREADS,
       OPT_PROGRESS, OPT_QDEPTH, OPT_NUMA, OPT_CPUS };

/* a parse of durations for --every: 5s, 1m, 500ms, 2h */
static int parse_every(const char *s, uint64_t *ns)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v <= 0)
		return -1;
	double mul = 0;
	if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "s") || !*end)
		mul = 1e9;
	else if (!strcmp(end, "m"))
		mul = 60e9;
	else if (!strcmp(end, "h"))
		mul = 3600e9;
	if (mul == 0 || v * mul < 1e7 || v * mul > 1e15)
		return -1;
	*ns = (uint64_t)(v * mul);
	return 0;
}

int main(int argc, char **argv)
{
	struct rf_options opt;
	rf_options_init(&opt);
	int stats = 0, verbose = 0; /* stats: 1 text, 2 json */
	const char *rejects_path = NULL;
	int progress = 0;
	static int cpu_list[1024];
	static const struct option longopts[] = {
		{ "io", required_argument, NULL, OPT_IO },
		{ "simd", required_argument, NULL, OPT_SIMD },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "direct", no_argument, NULL, OPT_DIRECT },
		{ "sqpoll", no_argument, NULL, OPT_SQPOLL },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "group-memory", required_argument, NULL, OPT_GROUPMEM },
		{ "buffer-size", required_argument, NULL, OPT_BUFFER },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "max-record", required_argument, NULL, OPT_MAXREC },
		{ "on-long", required_argument, NULL, OPT_ONLONG },
		{ "stats", optional_argument, NULL, OPT_STATS },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "queue-depth", required_argument, NULL, OPT_QDEPTH },
		{ "numa", required_argument, NULL, OPT_NUMA },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "rejects", required_argument, NULL, OPT_REJECTS },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	/* '+': stop at the first non-option, so a query like "grep -v x" is
	 * never taken for options. */
	while ((c = getopt_long(argc, argv, "+vhV", longopts, NULL)) != -1) {
		size_t *size_target = NULL;
		switch (c) {
		case OPT_IO:
			if (rf_io_parse(optarg, &opt.io) < 0) {
				fprintf(stderr, "ringflow: --io: unknown backend '%s' (auto, mmap, uring, read)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SIMD:
			if (rf_simd_parse(optarg, &opt.simd) < 0) {
				fprintf(stderr, "ringflow: --simd: unknown level '%s' (auto, avx2, sse2, scalar)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MODE:
			if (rf_mode_parse(optarg, &opt.mode) < 0) {
				fprintf(stderr, "ringflow: --mode: unknown mode '%s' (auto, serial, parallel, pipeline, multiprocess, async)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_DIRECT: opt.direct = 1; break;
		case OPT_SQPOLL: opt.sqpoll = 1; break;
		case OPT_MEMORY: size_target = &opt.memory; break;
		case OPT_GROUPMEM: size_target = &opt.group_memory; break;
		case OPT_BUFFER: size_target = &opt.buffer_size; break;
		case OPT_WINDOW: size_target = &opt.window_size; break;
		case OPT_MAXREC: size_target = &opt.max_record; break;
		case OPT_ONLONG:
			if (strcmp(optarg, "skip") == 0 || strcmp(optarg, "error") == 0) {
				opt.skip_long = optarg[0] == 's';
				break;
			}
			fprintf(stderr, "ringflow: --on-long is error or skip, not '%s'\n", optarg);
			return EXIT_USAGE;
		case OPT_STATS:
			if (!optarg || strcmp(optarg, "text") == 0)
				stats = 1;
			else if (strcmp(optarg, "json") == 0)
				stats = 2;
			else {
				fprintf(stderr, "ringflow: --stats: unknown format '%s' (text, json)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_FORMAT:
			if (rf_format_parse(optarg, &opt.format) < 0) {
				fprintf(stderr, "ringflow: --format: unknown format '%s' (table, tsv, csv, json)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_REJECTS:
			rejects_path = optarg;
			break;
		case OPT_STRICT: opt.strict = 1; break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NUMA:
			if (!strcmp(optarg, "auto"))
				opt.numa = RF_NUMA_MODE_AUTO;
			else if (!strcmp(optarg, "off"))
				opt.numa = RF_NUMA_MODE_OFF;
			else if (!strcmp(optarg, "interleave"))
				opt.numa = RF_NUMA_MODE_INTERLEAVE;
			else if (!strncmp(optarg, "node:", 5) && optarg[5] >= '0' && optarg[5] <= '9' &&
				 strspn(optarg + 5, "0123456789") == strlen(optarg + 5)) {
				opt.numa = RF_NUMA_MODE_NODE;
				opt.numa_node = atoi(optarg + 5);
			} else {
				fprintf(stderr, "ringflow: --numa: '%s' is not auto, off, interleave or node:N\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_CPUS:
			if (rf_parse_cpus(optarg, cpu_list, 1024, &opt.ncpus) < 0) {
				fprintf(stderr, "ringflow: --cpus: '%s' is not a CPU list like 0-3,6\n", optarg);
				return EXIT_USAGE;
			}
			opt.cpus = cpu_list;
			break;
		case OPT_QDEPTH: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 4096) {
				fprintf(stderr, "ringflow: --queue-depth: '%s' is not a number from 1 to 4096\n", optarg);
				return EXIT_USAGE;
			}
			opt.queue_depth = (int)n;
			break;
		}
		case OPT_THREADS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 256) {
				fprintf(stderr, "ringflow: --threads: '%s' is not a number from 1 to 256\n", optarg);
				return EXIT_USAGE;
			}
			opt.threads = (int)n;
			break;
		}
		case OPT_EVERY:
			if (parse_every(optarg, &opt.every_ns) < 0) {
				fprintf(stderr, "ringflow: --every: bad interval '%s' (like 500ms, 5s, 1m; at least 10ms)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ringflow %s\n", RF_VERSION_STRING); return 0;
		default:
			fprintf(stderr, "Try 'ringflow --help'.\n");
			return EXIT_USAGE;
		}
		if (size_target && parse_size(optarg, size_target) < 0) {
			fprintf(stderr, "ringflow: %s: bad size '%s' (a number with an optional K, M or G)\n",
				argv[optind - 1], optarg);
			return EXIT_USAGE;
		}
	}
	char perr[256];
	if (rf_check_placement(&opt, perr, sizeof perr) < 0) {
		fprintf(stderr, "ringflow: %s\n", perr);
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "ringflow: no query given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opt.memory < (1u << 20)) {
		fprintf(stderr, "ringflow: --memory must be at least 1M\n");
		return EXIT_USAGE;
	}
	if (opt.max_record > ((size_t)2 << 30)) {
		fprintf(stderr, "ringflow: --max-record is at most 2G\n");
		return EXIT_USAGE;
	}
	const char *text = argv[optind++];
	rf_query *q;
	struct rf_query_error qerr;
	int r = rf_query_parse(text, &q, &qerr);
	if (r == -ENOMEM) {
		fprintf(stderr, "ringflow: out of memory\n");
		return EXIT_USAGE;
	}
	if (r < 0) {
		print_query_error(text, &qerr);
		return EXIT_USAGE;
	}

	if (rejects_path) {
		opt.rejects_fd = open(rejects_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (opt.rejects_fd < 0) {
			fprintf(stderr, "ringflow: --rejects %s: %s\n", rejects_path, strerror(errno));
			rf_query_free(q);
			return EXIT_USAGE;
		}
	}
	/* SIGINT, SIGTERM and SIGHUP end the reading, not the process: what
	 * was read is still counted and printed (marked as partial on stderr).
	 * No SA_RESTART, so a blocking read returns at once. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a bar only where a person watches it, and only with a known size */
	if (progress && isatty(2))
		opt.on_progress = on_progress;
	struct rf_report report;
	r = rf_run(q, (const char *const *)argv + optind, argc - optind, &opt,
		   (stats || verbose) ? &report : NULL);
	rf_query_free(q);
	if (opt.on_progress)
		fputs("\r\033[K", stderr); /* the bar goes away */
	if (opt.rejects_fd >= 0 && close(opt.rejects_fd) < 0 && r >= 0) {
		fprintf(stderr, "ringflow: --rejects %s: %s\n", rejects_path, strerror(errno));
		r = -EIO;
	}
	if (r < 0) {
		if (r == -ENOTSUP)
			fprintf(stderr, "ringflow: --simd=%s: %s\n", rf_simd_name(opt.simd), rf_strerror(r));
		else if (r == -EBADMSG || r == -EINTR)
			; /* the engine said so already */
		else
			fprintf(stderr, "ringflow: %s\n", rf_strerror(r));
	}
	if (stats == 2)
		print_stats_json(&report);
	else if (stats == 1)
		print_stats_text(&report);
	else if (verbose && r >= 0)
		fprintf(stderr, "ringflow: mode %s (%s), io %s (%s), simd %s\n", rf_mode_name(report.mode),
			report.mode_reason,
			report.io_used[RF_IO_URING] ? "uring" : report.io_used[RF_IO_MMAP] ? "mmap"
			: report.io_used[RF_IO_READ] ? "read" : "per worker",
			report.io_reason, rf_simd_name(report.simd));
	if (r == -EINTR) /* as a shell reports a command ended by the signal */
		return 128 + (stop_signal ? stop_signal : SIGINT);
	return r == 0 ? 0 : EXIT_USAGE;
}
