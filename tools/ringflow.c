/* SPDX-License-Identifier: MIT */
/* ringflow.c - the command-line tool.  Uses only the public API. */
#include "config.h"
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "ringflow.h"

#define EXIT_USAGE 2

/* The SIMD levels the engine knows, "auto" first and then the best down:
 * "auto|avx2|sse2|scalar" with sep "|". */
static const char *simd_levels(const char *sep)
{
	static char buf[128];
	int n = 1;
	while (n < 16 && strcmp(rf_simd_name((enum rf_simd)n), "?") != 0)
		n++;
	snprintf(buf, sizeof buf, "auto");
	for (int i = n - 1; i >= 1; i--) {
		size_t used = strlen(buf);
		snprintf(buf + used, sizeof buf - used, "%s%s", sep, rf_simd_name((enum rf_simd)i));
	}
	return buf;
}

/* No query: the synopsis and where to read more, not the whole help. */
static void short_usage(FILE *f)
{
	fputs("Usage: ringflow [OPTIONS] QUERY [FILE...]\n"
	      "       ringflow merge [OPTIONS] QUERY [PARTIAL...]\n"
	      "Try 'ringflow --help' for more.\n",
	      f);
}

static void usage(FILE *f)
{
	fputs("Usage: ringflow [OPTIONS] QUERY [FILE...]\n"
	      "       ringflow merge [OPTIONS] QUERY [PARTIAL...]\n"
	      "       ringflow report [OPTIONS] [FILE...]   (--format=html 'parse combined')\n"
	      "Run QUERY over the lines of the FILEs (or stdin; '-' is stdin too),\n"
	      "read as one stream in the order given.  Options may come before or\n"
	      "after QUERY and the FILEs; '--' ends them.\n"
	      "\n"
	      "Queries (see ringflow(1)): stages separated by '|'\n"
	      "  split [DELIM] | parse auto|combined|common|json|logfmt|csv|tsv|regex \"RE\"\n"
	      "    |nginx 'FMT'|apache 'FMT'|\"* [*] *\" as A,B,C|alb|elb|rfc5424|rfc3164|syslog\n"
	      "    |w3c|cloudfront|cri|docker [from FIELD [nodrop]]\n"
	      "  grep [-v] [-i] \"LIT\"... | regex [-v] \"RE\" | where EXPR | eval N = EXPR\n"
	      "  lookup FILE.csv on F [as PREFIX] | select F,... | head N\n"
	      "  count, sum(F), avg(F), min(F), max(F), distinct(F), p50|p90|p95|p99(F),\n"
	      "  quantile(F,q)"
	      " [by F|minute|hour|day|bucket(F,5m), ...]\n"
	      "  then: top N [by COL] | sort COL [desc] | head N | select COL,...\n"
	      "Examples:\n"
	      "  ringflow 'grep \" 404 \" | count' access.log\n"
	      "  ringflow 'parse combined | where status >= 500 | count by path | top 10' access.log\n"
	      "  ringflow 'split | count by $9' access.log\n"
	      "\n"
	      "Options:\n"
	      "  --io=auto|mmap|uring|read  I/O backend (default auto)\n"
	      "  --decompress=auto|off    decode gzip, zstd, xz, bzip2 and lz4 inputs, found by\n"
	      "                           their first bytes (default auto), or read them as bytes\n"
	      "  --direct                 io_uring with O_DIRECT (cold files larger than memory)\n"
	      "  --sqpoll                 io_uring with a kernel submission thread\n"
	      , f);
	fprintf(f, "  --simd=%s  kernel level (default: best the CPU has)\n", simd_levels("|"));
	fputs("  --regex-engine=auto|hyperscan|pcre2  the matcher of regex, and of grep -i\n"
	      "                           or with several literals (auto: Hyperscan where it\n"
	      "                           is built in and takes the pattern, else PCRE2 JIT)\n"
	      "  --mode=auto|serial|parallel|pipeline|multiprocess|async  execution mode\n"
	      "                           (auto: async for many small files, multiprocess\n"
	      "                           for aggregates with small partial states over\n"
	      "                           64M of files, parallel for parsing queries over\n"
	      "                           32M of files, pipeline for them on a pipe, else\n"
	      "                           serial; see ringflow(1))\n"
	      "  --queue-depth=N          pipeline mode: batches between two stages\n"
	      "  -j, --threads=N          parallel and multiprocess workers (default: one\n"
	      "                           per CPU)\n"
	      "  --memory=SIZE            buffer pool budget, whatever the buffer size\n"
	      "                           and mode (default 64M, from 1M to 1T)\n"
	      "  --group-memory=SIZE      what a group-by may add on top before the run\n"
	      "                           stops with an error (default: half the RAM)\n"
	      "  --buffer-size=SIZE       one pool buffer, two of which must fit in --memory\n"
	      "                           (default 1M, 2M with --direct; from 64K to 2G)\n"
	      "  --window=SIZE            mmap window (default 4M; from 4K to 2G)\n"
	      "  --max-record=SIZE        longest record accepted (default 256M)\n"
	      "  --on-long=error|skip     a longer record is an error naming its file and\n"
	      "                           line (default), or is skipped and counted\n"
	      "  --record-start=REGEX     multiline records: a line matching REGEX (PCRE2)\n"
	      "                           begins a record, other lines continue it\n"
	      "  --multiline=RULE         multiline records by a preset rule: java, python,\n"
	      "                           go (stack traces) or indent (indented lines continue)\n"
	      "  -o, --format=table|tsv|csv|json|chart|html  how result rows print\n"
	      "                           (default table); chart: bars, or sparklines over\n"
	      "                           time buckets;\n"
	      "                           html: one self-contained page (ringflow report)\n"
	      "  --ascii                  chart bars of '#', not Unicode blocks\n"
	      "  --rejects=FILE           write records a parser rejects to FILE (never one\n"
	      "                           of the inputs; replaced only once the run starts)\n"
	      "  --strict                 a rejected record is an error\n"
	      "  --every=DURATION         print the aggregate so far every DURATION (5s, 1m),\n"
	      "                           each snapshot after a line '# TIME' (UTC)\n"
	      "  --interval=DURATION      the same, each report counting only its interval\n"
	      "  -f, --follow             follow the FILEs as they grow, through rotations\n"
	      "                           (rename, copytruncate, delete, symlink), like tail -F;\n"
	      "                           rotated names beside them (app.log.1, .2.gz) are read\n"
	      "                           first, oldest first; SIGINT/SIGTERM end it normally\n"
	      "  --state=FILE             follow: checkpoint positions and the aggregate to FILE,\n"
	      "                           and resume from it (no line lost or counted twice)\n"
	      "  --checkpoint=DURATION    follow: how often --state is written (default 5s)\n"
	      "  --rotate-wait=DURATION   follow: how long a rotated-away file is still read\n"
	      "                           after it was last written (default 5s)\n"
	      "  --poll=DURATION          follow: poll the files at this interval instead of\n"
	      "                           inotify (network file systems)\n"
	      "  --tz=ZONE                show times and cut minute/hour/day buckets in ZONE:\n"
	      "                           an IANA name (Europe/Berlin) or +05:30 (default UTC)\n"
	      "  -S, --since=T, -U, --until=T  only records of a time from T (inclusive) until T\n"
	      "                           (exclusive): 2026-11-01, '2026-11-01 10:00' (in --tz),\n"
	      "                           1h, 30m, 2d (ago), now, today, yesterday\n"
	      "  --geoip-db=FILE          the MaxMind database geoip() reads (default: GeoLite2\n"
	      "                           Country or City in /usr/share/GeoIP, /var/lib/GeoIP)\n"
	      "  --asn-db=FILE            the one asn() and asn_org() read (default: GeoLite2-ASN)\n"
	      "  --seek-slack=DURATION|off  how far back a line's time may be from the times\n"
	      "                           above it, for the seek to --since/--until in a\n"
	      "                           regular file (default 5m); off: read it all\n"
	      "  -s, --stats[=text|json]  run statistics on stderr; with json, stderr holds\n"
	      "                           one JSON object, messages inside it\n"
	      "  --stats-file=FILE        write the statistics to FILE instead (text unless\n"
	      "                           --stats=json); messages stay on stderr\n"
	      "  --progress               a progress bar on stderr, when it is a terminal\n"
	      "  --precision=N            table format: floats to N significant digits (1-17,\n"
	      "                           default 6); tsv, csv and json print them whole\n"
	      "  --color=auto|always|never  colour in table headers and query-error carets;\n"
	      "                           auto: on a terminal, unless NO_COLOR is set\n"
	      "  --numa=auto|off|interleave|node:N  thread and buffer placement\n"
	      "  --cpus=LIST              run only on these CPUs (like 0-3,6)\n"
	      "  --plugin=FILE.so         load the stages of a plugin (repeatable); also every\n"
	      "                           .so in each directory of RINGFLOW_PLUGIN_PATH\n"
	      "                           (colon-separated; none is loaded by default)\n"
	      "  --partial-out=FILE       write the aggregate's mergeable partial state to FILE\n"
	      "                           (- for stdout) instead of its result; `ringflow\n"
	      "                           merge QUERY PARTIAL...` (stdin without any) merges\n"
	      "                           such states and prints what one run over all their\n"
	      "                           inputs prints (same QUERY and options)\n"
	      "  --partial-text           with --partial-out: the state as one line of text,\n"
	      "                           RFPART64, a tab, its base64 (for Hadoop Streaming,\n"
	      "                           Spark's pipe); merge reads either form\n"
	      "  --exit-empty             exit status 1 when the result is empty: no record\n"
	      "                           reached the aggregate (no group; count prints 0),\n"
	      "                           or without one none was printed\n"
	      "  -v, --verbose            say which mode, backend and SIMD level were used\n"
	      "  -h, --help               this help\n"
	      "  -V, --version            the version and the features built in\n"
	      "\n"
	      "SIZE takes a K, M, G or T suffix (powers of 1024).  After '--' every\n"
	      "argument is QUERY or a FILE, also one that starts with '-'.\n"
	      "Exit status: 0 success (also follow mode ended by a signal); 1 an empty\n"
	      "result with --exit-empty; 2 bad usage or query, an output file that is an\n"
	      "input, an input that could not be read (the others are still processed),\n"
	      "or an output error; 128+N stopped by signal N (what was read is printed).\n",
	      f);
}

#define KiB_ ((size_t)1 << 10)
#define MiB_ ((size_t)1 << 20)
#define GiB_ ((size_t)1 << 30)
#define TiB_ ((size_t)1 << 40)

/* A size as it would be written: "64K", "1G", "256.1M", "1000". */
static const char *size_str(size_t v, char buf[32])
{
	static const char units[] = "KMGT";
	int i = 4;
	while (i > 0 && v < (size_t)1 << (10 * i))
		i--;
	size_t u = (size_t)1 << (10 * i);
	if (i > 0 && v % u == 0)
		snprintf(buf, 32, "%zu%c", v / u, units[i - 1]);
	else if (i > 1)
		snprintf(buf, 32, "%.1f%c", (double)v / (double)u, units[i - 1]);
	else
		snprintf(buf, 32, "%zu", v);
	return buf;
}

/* The smallest and largest value of each size option. */
static int size_option(const char *name, const char *arg, size_t *out)
{
	static const struct { const char *name; size_t min, max; } range[] = {
		{ "memory", MiB_, TiB_ },
		{ "group-memory", 1, 64 * TiB_ },
		{ "buffer-size", 64 * KiB_, 2 * GiB_ },
		{ "window", 4 * KiB_, 2 * GiB_ },
		{ "max-record", 1, GiB_ },
	};
	size_t min = 1, max = SIZE_MAX;
	for (size_t i = 0; i < sizeof range / sizeof range[0]; i++)
		if (!strcmp(range[i].name, name))
			min = range[i].min, max = range[i].max;
	size_t v = 0;
	int r = rf_parse_size(arg, &v);
	if (r == -EINVAL) {
		fprintf(stderr, "ringflow: --%s: bad size '%s' (a number with an optional K, M, G or T, like 64M)\n",
			name, arg);
		return -1;
	}
	if (r < 0 || v < min || v > max) {
		char a[32], b[32];
		fprintf(stderr, "ringflow: --%s: '%s' is out of range (from %s to %s)\n", name, arg, size_str(min, a),
			size_str(max, b));
		return -1;
	}
	*out = v;
	return 0;
}

/* --color: 0 auto, 1 always, 2 never; colour on stderr (carets) */
static int color_mode, color_err;

/* auto: a terminal, and NO_COLOR unset or empty (https://no-color.org) */
static int use_color(int fd)
{
	const char *no = getenv("NO_COLOR");
	return color_mode == 1 || (color_mode == 0 && isatty(fd) && !(no && *no));
}

/* The line of a query or pattern, and a caret under the column at fault. */
static void print_caret(const char *text, int column)
{
	fprintf(stderr, "  %s\n  %*s%s^%s\n", text, column - 1, "", color_err ? "\033[1;31m" : "",
		color_err ? "\033[0m" : "");
}

static void print_query_error(const char *query, const struct rf_query_error *err)
{
	fprintf(stderr, "ringflow: query:%d: %s\n", err->column, err->message);
	if (err->column > 0 && !strchr(query, '\n'))
		print_caret(query, err->column);
	if (err->hint[0])
		fprintf(stderr, "  hint: %s\n", err->hint);
}

/* The bar is drawn by the reading thread; output may start on another
 * (a worker's select rows), and messages come from any: the lock keeps a
 * bar from being drawn over what they print. */
static pthread_mutex_t bar_lock = PTHREAD_MUTEX_INITIALIZER;
static int bar_shown, bar_over;

/* Take the bar off the line (bar_lock held). */
static void bar_erase(void)
{
	if (bar_shown)
		fputs("\r\033[K", stderr);
	bar_shown = 0;
}

/* Results are about to go to the terminal the bar is on: the bar goes,
 * for good (redrawn, it would land among the rows). */
static void on_output(void *user)
{
	(void)user;
	pthread_mutex_lock(&bar_lock);
	bar_erase();
	bar_over = 1;
	pthread_mutex_unlock(&bar_lock);
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
	pthread_mutex_lock(&bar_lock);
	if (!bar_over) {
		fprintf(stderr, "\r%s\033[K", line);
		bar_shown = 1;
	}
	pthread_mutex_unlock(&bar_lock);
}

static volatile sig_atomic_t stop_signal;

static int following; /* -f: the first signal ends it normally */

static void on_signal(int sig)
{
	if (following && !stop_signal) {
		stop_signal = sig;
		rf_follow_stop(); /* a second signal cancels */
		return;
	}
	stop_signal = sig;
	rf_cancel();
}

/* A plugin that crashes takes the process with it: say which one it was,
 * then die of the signal as before.  Only write(2) and what
 * rf_plugin_running reads (a thread-local pointer) are used here. */
static void on_fatal(int sig)
{
	const char *stage = rf_plugin_running();
	if (stage) {
		static const char head[] = "ringflow: fatal signal in plugin stage ";
		const char *name = sig == SIGSEGV ? " (segmentation fault)\n" : sig == SIGBUS ? " (bus error)\n"
				 : sig == SIGFPE ? " (arithmetic error)\n" : sig == SIGILL ? " (illegal instruction)\n"
				 : " (abort)\n";
		ssize_t w = write(2, head, sizeof head - 1);
		w = write(2, stage, strlen(stage));
		w = write(2, name, strlen(name));
		(void)w;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* RINGFLOW_PLUGIN_PATH's directories, then each --plugin FILE: 0, or -1
 * with the message printed. */
static int load_plugins(const char **files, int n)
{
	char err[512];
	const char *path = getenv("RINGFLOW_PLUGIN_PATH");
	int loaded = 0;
	while (path && *path) {
		size_t len = strcspn(path, ":");
		if (len) {
			char *dir = strndup(path, len);
			if (!dir || rf_plugin_load_dir(dir, err, sizeof err) < 0) {
				fprintf(stderr, "ringflow: %s (RINGFLOW_PLUGIN_PATH)\n", dir ? err : "out of memory");
				free(dir);
				return -1;
			}
			free(dir);
			loaded = 1;
		}
		path += len + (path[len] == ':');
	}
	for (int i = 0; i < n; i++) {
		if (rf_plugin_load(files[i], err, sizeof err) < 0) {
			fprintf(stderr, "ringflow: --plugin: %s\n", err);
			return -1;
		}
		loaded = 1;
	}
	if (loaded) {
		/* SIGBUS stays the engine's: rf_run handles a truncated mapping */
		static const int fatal[] = { SIGSEGV, SIGFPE, SIGILL, SIGABRT };
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_fatal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESETHAND | SA_NODEFER;
		for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
			sigaction(fatal[i], &sa, NULL);
	}
	return 0;
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* ---- Messages ------------------------------------------------------------
 * With --stats=json the engine's messages (errors per input, notes) and our
 * own also go into the JSON object, so that stderr holds nothing else.  They
 * are kept in a shared anonymous mapping: a multiprocess worker is a forked
 * process, and what it reports must reach the parent.  A record is a u32
 * length (0: not written yet), an i32 errno and "input\0message\0",
 * padded to 8 bytes. */

#define MSG_LOG_SIZE (256u << 10)

struct msg_log {
	size_t used;      /* bytes reserved in data */
	uint64_t dropped; /* messages that did not fit */
	char data[];
};

static struct msg_log *msg_log; /* NULL: messages are not kept */
static int msg_print = 1;       /* messages go to stderr as they come */

/* the error the engine last reported itself (not repeated at the end) */
static int engine_err;

static void on_message(void *user, const char *input, int err, const char *message)
{
	(void)user;
	if (err) /* workers report from their own threads */
		__atomic_store_n(&engine_err, err < 0 ? -err : err, __ATOMIC_RELAXED);
	if (msg_print) {
		pthread_mutex_lock(&bar_lock);
		bar_erase(); /* the message on a line of its own; the bar comes back */
		pthread_mutex_unlock(&bar_lock);
		if (!*input)
			fprintf(stderr, "ringflow: %s\n", message);
		else if (err == 0 && !strcmp(input, "note"))
			fprintf(stderr, "ringflow: note: %s\n", message);
		else
			fprintf(stderr, "ringflow: %s: %s\n", input, message);
	}
	if (!msg_log)
		return;
	size_t a = strlen(input) + 1, b = strlen(message) + 1;
	size_t n = (8 + a + b + 7) & ~(size_t)7;
	size_t off = __atomic_fetch_add(&msg_log->used, n, __ATOMIC_RELAXED);
	if (off + n > MSG_LOG_SIZE - sizeof *msg_log) {
		__atomic_fetch_add(&msg_log->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	char *rec = msg_log->data + off;
	int32_t e = err;
	memcpy(rec + 4, &e, 4);
	memcpy(rec + 8, input, a);
	memcpy(rec + 8 + a, message, b);
	__atomic_store_n((uint32_t *)(void *)rec, (uint32_t)n, __ATOMIC_RELEASE);
}

/* The engine's messages with their severity: warnings are shown as notes
 * are (the "ringflow: note: " lines scripts read), errors with their input. */
static void on_severity(void *user, enum rf_severity sev, const char *input, int err, const char *message)
{
	on_message(user, sev == RF_ERROR ? input : "note", sev == RF_ERROR ? err : 0, message);
}

/* A message of the command itself, not about one input. */
static void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void cli_error(const char *fmt, ...)
{
	char *msg; /* whole: it may hold a long file name */
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	on_message(NULL, "", -1, msg ? msg : fmt);
	free(msg);
}

static void print_version(void)
{
	printf("ringflow %s\nfeatures: %s\ncompressed input:", rf_version(), rf_features());
	const char *sep = " ";
	for (int i = 1; rf_compression_name(i); i++) {
		const char *lib = rf_compression_library(i);
		if (lib) {
			printf("%s%s (%s)", sep, rf_compression_name(i), lib);
			sep = ", ";
		}
	}
	if (*sep == ' ')
		printf(" none");
	sep = "\nrefused (built without their library):";
	for (int i = 1; rf_compression_name(i); i++)
		if (!rf_compression_library(i)) {
			printf("%s %s (%s)", sep, rf_compression_name(i), rf_compression_package(i));
			sep = ",";
		}
	printf("\n");
}

/* ---- Statistics ---------------------------------------------------------- */

/* A byte count for --stats: in binary units for a person at a terminal
 * (1.8 GiB), else the raw number scripts read. */
static const char *bytes_str(uint64_t n, int human, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	int u = 0;
	if (!human) {
		snprintf(buf, cap, "%" PRIu64, n);
		return buf;
	}
	while (v >= 1024 && u < 6)
		v /= 1024, u++;
	snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* human: on a terminal, sizes in binary units and rates in GB/s */
static void print_stats_text(FILE *f, const struct rf_report *r, int human)
{
	char b1[32];
	fprintf(f, "ringflow stats\n");
	fprintf(f, "  mode        %s, %d thread%s (%s)\n", rf_mode_name(r->mode), r->threads,
		r->threads == 1 ? "" : "s", r->mode_reason);
	fprintf(f, "  simd        %s\n", rf_simd_name(r->simd));
	if (r->formats[0])
		fprintf(f, "  formats     %s (parse auto: inputs read as each)\n", r->formats);
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
	fprintf(f, "  bytes       %s\n", bytes_str(r->bytes, human, b1, sizeof b1));
	fprintf(f, "  records     %" PRIu64 "\n", r->records);
	if (r->lines)
		fprintf(f, "  lines       %" PRIu64 "\n", r->lines);
	if (r->multiline)
		fprintf(f, "  multiline   %s (a record is a start line and the lines after it)\n", r->multiline);
	fprintf(f, "  batches     %" PRIu64 " (%" PRIu64 " assembled across buffer ends)\n",
		r->batches, r->spill_batches);
	fprintf(f, "  copied      %s%s (partial lines carried, records spilled, batches copied)\n",
		bytes_str(r->bytes_copied, human, b1, sizeof b1), human ? "" : " bytes");
	for (int i = 1; i < RF_COMPRESSED_MAX; i++)
		if (r->decoded_inputs[i])
			fprintf(f, "  decoded     %s (%s): %" PRIu64 " input%s, %" PRIu64 " compressed bytes to %" PRIu64
				", %.3f s decoding (%.2f GB/s a thread), up to %" PRIu64 " decoder thread%s at once\n",
				rf_compression_name(i), rf_compression_library(i) ? rf_compression_library(i) : "?",
				r->decoded_inputs[i], r->decoded_inputs[i] == 1 ? "" : "s", r->compressed_bytes[i],
				r->decompressed_bytes[i], secs(r->decode_ns[i]),
				r->decode_ns[i] ? (double)r->decompressed_bytes[i] / (double)r->decode_ns[i] : 0.0,
				r->decode_threads[i], r->decode_threads[i] == 1 ? "" : "s");
	if (r->sort_runs)
		fprintf(f, "  sort        spilled: %" PRIu64 " sorted run%s, %" PRIu64 " bytes to a temporary file, merged\n",
			r->sort_runs, r->sort_runs == 1 ? "" : "s", r->sort_spilled);
	if (r->lookup_tables)
		fprintf(f, "  lookup      %" PRIu64 " table%s, %" PRIu64 " rows, %.1f MiB\n", r->lookup_tables,
			r->lookup_tables == 1 ? "" : "s", r->lookup_rows, (double)r->lookup_bytes / 1048576.0);
	if (r->time_outside || r->time_missing || r->seek_skipped)
		fprintf(f, "  time range  %" PRIu64 " records outside dropped, %" PRIu64 " without a time dropped, %" PRIu64
			" bytes skipped by the seek\n",
			r->time_outside, r->time_missing, r->seek_skipped);
	if (r->snapshots || r->snapshots_skipped)
		fprintf(f, "  snapshots   %" PRIu64 " (%" PRIu64 " skipped: due while the run was busy)\n",
			r->snapshots, r->snapshots_skipped);
	if (r->followed)
		fprintf(f, "  follow      %" PRIu64 " files opened, %" PRIu64 " rotations, %" PRIu64 " truncations (%" PRIu64
			" bytes recovered from copies), %" PRIu64 " wake-ups (%s), lag %" PRIu64 " bytes behind the files' ends, "
			"%" PRIu64 " bytes of unfinished lines left; checkpoints %" PRIu64 " written, %" PRIu64 " failed\n",
			r->follow_files, r->follow_rotations, r->follow_truncations, r->follow_recovered, r->follow_wakeups,
			r->follow_polled ? "polled" : "inotify", r->follow_lag, r->follow_unfinished, r->checkpoints,
			r->checkpoints_failed);
	if (r->pool_buffers)
		fprintf(f, "  pool        %zu x %zu KiB, high water %zu\n", r->pool_buffers,
			r->pool_buffer_size >> 10, r->pool_high_water);
	fprintf(f, "  elapsed     %.3f s (%.2f GB/s)\n", secs(r->elapsed_ns),
		r->elapsed_ns ? (double)r->bytes / (double)r->elapsed_ns : 0.0);
	if (human)
		fprintf(f, "  peak rss    %s\n", bytes_str(r->peak_rss_kb << 10, 1, b1, sizeof b1));
	else
		fprintf(f, "  peak rss    %" PRIu64 " KiB\n", r->peak_rss_kb);
	if (r->groups)
		fprintf(f, "  groups      %" PRIu64 ", %.1f MiB (%.1f bytes a group)\n", r->groups,
			(double)r->group_bytes / 1048576.0, (double)r->group_bytes / (double)r->groups);
	fprintf(f, "  numa nodes  %d%s\n", r->numa_nodes, r->numa_interleave ? ", buffers interleaved" : "");
	fprintf(f, "  placement  ");
	int any = 0;
	for (int i = 0; i < r->placed; i++)
		if (r->place_cpu[i] >= 0 || r->place_node[i] >= 0) {
			fprintf(f, " thread %d -> cpu %d, buffers -> node %d;", i, r->place_cpu[i], r->place_node[i]);
			any = 1;
		}
	fprintf(f, "%s\n", any ? "" : " none (one node, or --numa=off: threads float, memory is local by default)");
	for (int i = 0; i < r->nstages; i++)
		if (r->stage[i].engine)
			fprintf(f, "  matcher     stage %d %s: %s%s%s%s\n", i + 1, r->stage[i].name ? r->stage[i].name : "?",
				r->stage[i].engine, r->stage[i].engine_note[0] ? " (" : "", r->stage[i].engine_note,
				r->stage[i].engine_note[0] ? ")" : "");
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

/* Length of the valid UTF-8 sequence at p, 0 if the bytes there are not
 * one (overlong forms, surrogates and code points past U+10FFFF are not). */
static int utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
#define CONT(x) ((x) >= 0x80 && (x) <= 0xbf)
	if (c >= 0xc2 && c <= 0xdf)
		return CONT(p[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && CONT(p[2]) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && CONT(p[2]) && CONT(p[3]) ? 4 : 0;
	}
#undef CONT
	return 0;
}

/* A JSON string: control bytes escaped, bytes that are not UTF-8 (a file
 * name can hold any) replaced by U+FFFD, so the output always parses. */
static void json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n;
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p++);
		else if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p++);
		else if (*p < 0x80)
			putc(*p++, f);
		else if ((n = utf8_len(p)) > 0) {
			fwrite(p, 1, (size_t)n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	putc('"', f);
}

/* The kept messages as "errors":[{"input":...,"message":...}],"notes":[...] */
static void print_messages_json(FILE *f)
{
	for (int notes = 0; notes < 2; notes++) {
		fprintf(f, notes ? ",\"notes\":[" : ",\"errors\":[");
		int first = 1;
		size_t end = msg_log ? msg_log->used : 0;
		if (end > MSG_LOG_SIZE - sizeof *msg_log)
			end = MSG_LOG_SIZE - sizeof *msg_log;
		for (size_t off = 0; off + 8 <= end;) {
			const char *rec = msg_log->data + off;
			uint32_t len = __atomic_load_n((const uint32_t *)(const void *)rec, __ATOMIC_ACQUIRE);
			if (len == 0)
				break; /* a worker died while writing it */
			int32_t err;
			memcpy(&err, rec + 4, 4);
			const char *input = rec + 8, *message = input + strlen(input) + 1;
			int is_note = err == 0 && !strcmp(input, "note");
			if (is_note == notes) {
				fputs(first ? "" : ",", f);
				if (notes) {
					json_str(f, message);
				} else {
					fputs("{\"input\":", f);
					if (*input)
						json_str(f, input);
					else
						fputs("null", f);
					fputs(",\"message\":", f);
					json_str(f, message);
					fputs("}", f);
				}
				first = 0;
			}
			off += len;
		}
		fputs("]", f);
	}
	fprintf(f, ",\"messages_dropped\":%" PRIu64, msg_log ? msg_log->dropped : 0);
}

static void print_stats_json(FILE *f, const struct rf_report *r, int status)
{
	fprintf(f, "{\"exit_status\":%d,\"mode\":", status);
	json_str(f, rf_mode_name(r->mode));
	fputs(",\"mode_reason\":", f);
	json_str(f, r->mode_reason);
	if (r->formats[0]) {
		fputs(",\"formats\":", f);
		json_str(f, r->formats);
	}
	fprintf(f, ",\"threads\":%d,\"simd\":", r->threads);
	json_str(f, rf_simd_name(r->simd));
	fputs(",\"io\":{", f);
	int first = 1;
	for (int i = 1; i < 4; i++)
		if (r->io_used[i]) {
			fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", rf_io_name((enum rf_io)i), r->io_files[i]);
			first = 0;
		}
	fputs("},\"io_reason\":", f);
	json_str(f, r->io_reason);
	fprintf(f, ",\"uring_registered\":%s,\"direct\":%s,", r->uring_registered ? "true" : "false",
		r->direct_used ? "true" : "false");
	fprintf(f, "\"inputs\":%" PRIu64 ",\"inputs_failed\":%" PRIu64 ",\"bytes\":%" PRIu64
		   ",\"records\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"long_skipped\":%" PRIu64
		   ",\"batches\":%" PRIu64 ",\"spill_batches\":%" PRIu64 ",\"bytes_copied\":%" PRIu64
		   ",\"sort_runs\":%" PRIu64 ",\"sort_spilled\":%" PRIu64
		   ",\"pool_buffers\":%zu,\"pool_buffer_size\":%zu,\"pool_high_water\":%zu"
		   ",\"elapsed_ns\":%" PRIu64 ",\"peak_rss_kb\":%" PRIu64 ",\"numa_nodes\":%d,",
		r->inputs, r->inputs_failed, r->bytes, r->records, r->rejected, r->long_skipped, r->batches,
		r->spill_batches, r->bytes_copied, r->sort_runs, r->sort_spilled, r->pool_buffers, r->pool_buffer_size, r->pool_high_water, r->elapsed_ns,
		r->peak_rss_kb, r->numa_nodes);
	if (r->lines)
		fprintf(f, "\"lines\":%" PRIu64 ",", r->lines);
	if (r->multiline)
		fprintf(f, "\"multiline\":\"%s\",", r->multiline);
	fputs("\"decoded\":[", f);
	for (int i = 1, first_d = 1; i < RF_COMPRESSED_MAX; i++)
		if (r->decoded_inputs[i]) {
			fprintf(f, "%s{\"format\":\"%s\",\"decoder\":", first_d ? "" : ",", rf_compression_name(i));
			json_str(f, rf_compression_library(i) ? rf_compression_library(i) : "");
			fprintf(f, ",\"inputs\":%" PRIu64 ",\"compressed_bytes\":%" PRIu64 ",\"decompressed_bytes\":%" PRIu64
				   ",\"decode_ns\":%" PRIu64 ",\"decode_threads\":%" PRIu64 "}", r->decoded_inputs[i],
				r->compressed_bytes[i], r->decompressed_bytes[i], r->decode_ns[i], r->decode_threads[i]);
			first_d = 0;
		}
	fputs("],", f);
	fprintf(f, "\"lookup_tables\":%" PRIu64 ",\"lookup_rows\":%" PRIu64 ",\"lookup_bytes\":%" PRIu64 ",",
		r->lookup_tables, r->lookup_rows, r->lookup_bytes);
	fprintf(f, "\"groups\":%" PRIu64 ",\"group_bytes\":%" PRIu64 ",\"stages\":[", r->groups, r->group_bytes);
	for (int i = 0; i < r->nstages; i++) {
		const struct rf_stage_stats *s = &r->stage[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, s->name ? s->name : "");
		fprintf(f, ",\"batches\":%" PRIu64 ",\"records_in\":%" PRIu64
			   ",\"records_out\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"busy_ns\":%" PRIu64
			   ",\"wait_ns\":%" PRIu64 ",\"queue_empty\":%" PRIu64 ",\"queue_full\":%" PRIu64,
			s->batches, s->records_in, s->records_out, s->bytes_in,
			s->busy_ns, s->wait_ns, s->queue_empty, s->queue_full);
		if (s->engine) {
			fputs(",\"engine\":", f);
			json_str(f, s->engine);
			fputs(",\"engine_note\":", f);
			json_str(f, s->engine_note);
		}
		fputs("}", f);
	}
	fputs("]", f);
	fprintf(f, ",\"snapshots\":%" PRIu64 ",\"snapshots_skipped\":%" PRIu64, r->snapshots, r->snapshots_skipped);
	if (r->followed)
		fprintf(f, ",\"follow\":{\"files\":%" PRIu64 ",\"rotations\":%" PRIu64 ",\"truncations\":%" PRIu64
			",\"recovered_bytes\":%" PRIu64 ",\"wakeups\":%" PRIu64 ",\"polled\":%s,\"lag_bytes\":%" PRIu64
			",\"unfinished_bytes\":%" PRIu64 ",\"checkpoints\":%" PRIu64 ",\"checkpoints_failed\":%" PRIu64 "}",
			r->follow_files, r->follow_rotations, r->follow_truncations, r->follow_recovered, r->follow_wakeups,
			r->follow_polled ? "true" : "false", r->follow_lag, r->follow_unfinished, r->checkpoints,
			r->checkpoints_failed);
	fprintf(f, ",\"time_outside\":%" PRIu64 ",\"time_missing\":%" PRIu64 ",\"seek_skipped\":%" PRIu64,
		r->time_outside, r->time_missing, r->seek_skipped);
	print_messages_json(f);
	fputs("}\n", f);
}

/* ---- Output files ---------------------------------------------------------
 * --rejects and --stats-file.  An output that is one of the inputs would be
 * overwritten before or while it is read, so it is refused: the same device
 * and inode after symlinks are followed (stat, not lstat), which also finds
 * hard links and standard input redirected from the file.  Two outputs, or
 * an output and stdout or stderr, that are one regular file would overwrite
 * each other.  Character devices (a terminal, /dev/null) and sockets are
 * shared safely; a FIFO that is also an input is not. */

struct output {
	const char *opt;  /* "--rejects" */
	const char *path;
	int fd;
	struct stat st;
};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int reads_stdin(char *const *files, int nfiles)
{
	for (int i = 0; i < nfiles; i++)
		if (!strcmp(files[i], "-"))
			return 1;
	return nfiles == 0;
}

/* 0, or -1 after saying why o (whose file is *st) may not be written. */
static int output_clash(const struct output *o, const struct stat *st, char *const *files, int nfiles,
			const struct output *outs, int nouts)
{
	struct stat in;
	const char *why = NULL, *what = "";
	if (S_ISREG(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode)) {
		for (int i = 0; i < nfiles && !why; i++)
			if (strcmp(files[i], "-") && stat(files[i], &in) == 0 && same_file(st, &in)) {
				why = "the input ";
				what = files[i];
			}
		if (!why && reads_stdin(files, nfiles) && fstat(0, &in) == 0 && same_file(st, &in))
			why = "standard input, which is read";
		if (why) {
			fprintf(stderr, "ringflow: %s %s: the same file as %s%s; refusing to overwrite an input\n",
				o->opt, o->path, why, what);
			return -1;
		}
	}
	if (!S_ISREG(st->st_mode))
		return 0;
	for (int i = 0; i < nouts && !why; i++)
		if (&outs[i] != o && outs[i].fd >= 0 && same_file(st, &outs[i].st)) {
			why = "the file of ";
			what = outs[i].opt;
		}
	if (!why && fstat(1, &in) == 0 && same_file(st, &in))
		why = "standard output";
	if (!why && fstat(2, &in) == 0 && same_file(st, &in))
		why = "standard error";
	if (why) {
		fprintf(stderr, "ringflow: %s %s: the same file as %s%s; the two would overwrite each other\n",
			o->opt, o->path, why, what);
		return -1;
	}
	return 0;
}

/* Open an output without truncating it: the old contents are cut off only
 * once the run has started (finish_rejects).  0, or -1 after a message. */
static int open_output(struct output *o, char *const *files, int nfiles, const struct output *outs, int nouts)
{
	struct stat st;
	if (!*o->path) {
		fprintf(stderr, "ringflow: %s: an empty file name\n", o->opt);
		return -1;
	}
	/* first by name: opening a FIFO that is an input would block */
	if (stat(o->path, &st) == 0 && output_clash(o, &st, files, nfiles, outs, nouts) < 0)
		return -1;
	int fd = open(o->path, O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "ringflow: %s %s: %s\n", o->opt, o->path, strerror(errno));
		return -1;
	}
	/* then what was opened, in case the name changed in between */
	if (fstat(fd, &st) < 0 || output_clash(o, &st, files, nfiles, outs, nouts) < 0) {
		close(fd);
		return -1;
	}
	o->st = st;
	o->fd = fd;
	return 0;
}

/* Cut what an earlier run left after the rejects this one wrote.  A run
 * that failed before it began (no rejected record written) leaves the file
 * as it was. */
static int finish_rejects(struct output *o, int r)
{
	int ran = r >= 0 || r == -EINTR || r == -EBADMSG;
	int err = 0;
	if (S_ISREG(o->st.st_mode)) {
		off_t end = lseek(o->fd, 0, SEEK_CUR);
		if (end < 0 || ((end > 0 || ran) && ftruncate(o->fd, end) < 0))
			err = errno;
	}
	if (close(o->fd) < 0 && !err)
		err = errno;
	o->fd = -1;
	if (err && r >= 0) {
		cli_error("%s %s: %s", o->opt, o->path, strerror(err));
		return -1;
	}
	return 0;
}

/* Write the statistics to their file, replacing what it held. */
static int write_stats_file(struct output *o, const struct rf_report *rep, int json, int status)
{
	int err = 0;
	if (S_ISREG(o->st.st_mode) && ftruncate(o->fd, 0) < 0)
		err = errno;
	FILE *f = err ? NULL : fdopen(o->fd, "w");
	if (!f) {
		err = err ? err : errno;
		close(o->fd);
	} else {
		if (json)
			print_stats_json(f, rep, status);
		else
			print_stats_text(f, rep, 0);
		if (fflush(f) != 0 || ferror(f))
			err = errno ? errno : EIO;
		if (fclose(f) != 0 && !err)
			err = errno;
	}
	o->fd = -1;
	if (err) {
		fprintf(stderr, "ringflow: %s %s: cannot write: %s\n", o->opt, o->path, strerror(err));
		return -1;
	}
	return 0;
}

enum { OPT_IO = 256, OPT_SIMD, OPT_MODE, OPT_DIRECT, OPT_SQPOLL, OPT_MEMORY, OPT_GROUPMEM, OPT_BUFFER,
       OPT_WINDOW, OPT_MAXREC, OPT_ONLONG, OPT_STATS, OPT_FORMAT, OPT_REJECTS, OPT_STRICT, OPT_EVERY, OPT_THREADS,
       OPT_PROGRESS, OPT_QDEPTH, OPT_NUMA, OPT_CPUS, OPT_STATSFILE, OPT_DECOMPRESS, OPT_TZ, OPT_SINCE, OPT_UNTIL, OPT_SEEKSLACK,
       OPT_GEOIPDB, OPT_ASNDB, OPT_RECSTART, OPT_MULTILINE, OPT_STATE, OPT_CHECKPOINT, OPT_ROTATEWAIT, OPT_POLL,
       OPT_INTERVAL, OPT_REGEX, OPT_PLUGIN, OPT_PARTIALOUT, OPT_PARTIALTEXT, OPT_EXITEMPTY, OPT_ASCII, OPT_PRECISION, OPT_COLOR };

static const struct option longopts[] = {
	{ "io", required_argument, NULL, OPT_IO },
	{ "decompress", required_argument, NULL, OPT_DECOMPRESS },
	{ "simd", required_argument, NULL, OPT_SIMD },
	{ "regex-engine", required_argument, NULL, OPT_REGEX },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "direct", no_argument, NULL, OPT_DIRECT },
	{ "sqpoll", no_argument, NULL, OPT_SQPOLL },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "group-memory", required_argument, NULL, OPT_GROUPMEM },
	{ "buffer-size", required_argument, NULL, OPT_BUFFER },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "max-record", required_argument, NULL, OPT_MAXREC },
	{ "on-long", required_argument, NULL, OPT_ONLONG },
	{ "record-start", required_argument, NULL, OPT_RECSTART },
	{ "multiline", required_argument, NULL, OPT_MULTILINE },
	{ "stats", optional_argument, NULL, OPT_STATS },
	{ "stats-file", required_argument, NULL, OPT_STATSFILE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "queue-depth", required_argument, NULL, OPT_QDEPTH },
	{ "numa", required_argument, NULL, OPT_NUMA },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "follow", no_argument, NULL, 'f' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
	{ "rotate-wait", required_argument, NULL, OPT_ROTATEWAIT },
	{ "poll", required_argument, NULL, OPT_POLL },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "geoip-db", required_argument, NULL, OPT_GEOIPDB },
	{ "asn-db", required_argument, NULL, OPT_ASNDB },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "seek-slack", required_argument, NULL, OPT_SEEKSLACK },
	{ "plugin", required_argument, NULL, OPT_PLUGIN },
	{ "partial-out", required_argument, NULL, OPT_PARTIALOUT },
	{ "partial-text", no_argument, NULL, OPT_PARTIALTEXT },
	{ "exit-empty", no_argument, NULL, OPT_EXITEMPTY },
	{ "precision", required_argument, NULL, OPT_PRECISION },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The short options: -f as tail's, -o FORMAT, -S and -U as journalctl(1)
 * has them (output, since, until), -j N as make and rg, -s for --stats. */
#define SHORT_OPTIONS "fvhVo:j:sS:U:"

static const struct { int c, opt; } short_opts[] = {
	{ 'o', OPT_FORMAT }, { 'j', OPT_THREADS }, { 's', OPT_STATS }, { 'S', OPT_SINCE }, { 'U', OPT_UNTIL },
};

/* A short option's case in main's switch: that of its long option. */
static int short_to_long(int c)
{
	for (size_t i = 0; i < sizeof short_opts / sizeof short_opts[0]; i++)
		if (short_opts[i].c == c)
			return short_opts[i].opt;
	return c;
}

/* The long name of an option's code, for the messages about its value. */
static const char *long_name(int c)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "";
}

/* What getopt_long found wrong in arg (it prints nothing: opterr is 0, so
 * that no message starts with the path ringflow was started by). */
static void option_error(int c, const char *arg)
{
	if (strncmp(arg, "--", 2) != 0) {
		if (c == ':')
			fprintf(stderr, "ringflow: option '-%c' needs a value (-%c VALUE, or --%s=VALUE)\n", optopt,
				optopt, long_name(short_to_long(optopt)));
		else if (optopt > ' ' && optopt < 127)
			fprintf(stderr, "ringflow: unknown option '-%c' (see 'ringflow --help')\n", optopt);
		else
			fprintf(stderr, "ringflow: unknown option in '%s' (see 'ringflow --help')\n", arg);
		return;
	}
	const char *name = arg + 2;
	int len = (int)strcspn(name, "=");
	if (c == ':') {
		fprintf(stderr, "ringflow: option '--%.*s' needs a value, as --%.*s=VALUE\n", len, name, len, name);
		return;
	}
	if (optopt != 0) {
		fprintf(stderr, "ringflow: option '--%.*s' takes no value\n", len, name);
		return;
	}
	int matches = 0;
	for (const struct option *o = longopts; o->name && len > 0; o++)
		matches += strncmp(o->name, name, (size_t)len) == 0;
	if (matches < 2) {
		fprintf(stderr, "ringflow: unknown option '--%.*s' (see 'ringflow --help')\n", len, name);
		return;
	}
	fprintf(stderr, "ringflow: option '--%.*s' is ambiguous: it could be", len, name);
	for (const struct option *o = longopts; o->name; o++)
		if (strncmp(o->name, name, (size_t)len) == 0)
			fprintf(stderr, " --%s%s", o->name, --matches ? "," : "");
	fputc('\n', stderr);
}

/* a parse of durations for --every: 5s, 1m, 500ms, 2h */
static int parse_every(const char *s, uint64_t *ns)
{
	char *end;
	if ((*s < '0' || *s > '9') && *s != '.') /* no "inf", "nan", " 5s" or "-1s" */
		return -1;
	double v = strtod(s, &end);
	if (end == s || !isfinite(v) || v <= 0)
		return -1;
	if (end != s + strspn(s, "0123456789.")) /* nor hex or exponents: "0x10", "1e3" */
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
	if (mul == 0 || !(v * mul >= 1e7 && v * mul <= 1e15))
		return -1;
	*ns = (uint64_t)(v * mul);
	return 0;
}

/* The buffer pool, which needs two buffers, stays within --memory: a
 * buffer size is never changed to fit. */
static int check_sizes(const struct rf_options *opt)
{
	char a[32], b[32], c[32];
	/* a buffer takes a multiple of 64K, and 64K more for a carried line */
	size_t bs = opt->buffer_size ? (opt->buffer_size + 64 * KiB_ - 1) / (64 * KiB_) * (64 * KiB_) : 64 * KiB_;
	if (2 * (bs + 64 * KiB_) > opt->memory) {
		fprintf(stderr, "ringflow: --memory=%s does not hold the buffer pool's two buffers of %s "
			"(--buffer-size) and 64K each: that takes %s; raise --memory or lower --buffer-size\n",
			size_str(opt->memory, a), size_str(bs, b), size_str(2 * (bs + 64 * KiB_), c));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rf_options opt;
	rf_options_init(&opt);
	/* a program of its own: worker processes and a SIGBUS handler are
	 * ours to have (a library call has neither unless asked) */
	opt.allow_fork = 1;
	opt.catch_sigbus = 1;
	int stats = 0, verbose = 0; /* stats: 1 text, 2 json */
	const char *rejects_path = NULL, *stats_path = NULL, *state_path = NULL, *partial_path = NULL;
	int progress = 0, exit_empty = 0;
	static int cpu_list[1024];
	int c, li;
	/* --plugin FILE: at most one per argument (static: main returns early
	 * in many places, and what it holds is not lost) */
	static const char **plugins;
	plugins = calloc((size_t)argc + 1, sizeof *plugins);
	int nplugins = 0;
	if (!plugins)
		return EXIT_USAGE;
	/* A closed stdin, stdout or stderr stays unusable (reads or writes fail
	 * with EBADF as before), but the number is taken, so that an output
	 * file opened later never becomes one of them. */
	int closed_out = fcntl(1, F_GETFD) < 0 && errno == EBADF;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) < 0)
			return EXIT_USAGE;
	opterr = 0;
	/* `ringflow merge [OPTIONS] QUERY [PARTIAL...]`: the inputs are partial
	 * states (--partial-out's), merged */
	if (argc > 1 && !strcmp(argv[1], "merge")) {
		opt.partial = RF_PARTIAL_MERGE;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	/* `ringflow report [OPTIONS] [FILE...]`: the access-log dashboard,
	 * --format=html 'parse combined' */
	int html_report = argc > 1 && !strcmp(argv[1], "report");
	if (html_report) {
		opt.format = RF_OUT_HTML;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	/* Options anywhere before "--", as GNU tools take them; the other
	 * arguments, the query first, keep their order in args.  getopt_long
	 * is only asked about a word that starts with '-' ('+': it never
	 * permutes), so a query is never read as options: one starts with a
	 * verb, and "grep -v x" is a single word.  "-" is standard input.
	 * ':' in the option string: a missing value returns ':'. */
	static char **args; /* static, as plugins */
	args = calloc((size_t)argc + 1, sizeof *args);
	int nargs = 0, ndash = -1, first = 0; /* ndash: the arguments before "--" */
	if (!args)
		return EXIT_USAGE;
	int r;
	while (optind < argc) {
		const char *a = argv[optind];
		if (!strcmp(a, "--")) {
			ndash = nargs;
			for (optind++; optind < argc; optind++)
				args[nargs++] = argv[optind];
			break;
		}
		if (a[0] != '-' || !a[1]) {
			args[nargs++] = argv[optind++];
			continue;
		}
		li = -1;
		int at = optind; /* a cluster (-vx) holds optind */
		c = getopt_long(argc, argv, "+:" SHORT_OPTIONS, longopts, &li);
		if (c == -1)
			break; /* not reached: a is an option */
		size_t *size_target = NULL;
		c = short_to_long(c);
		const char *name = li >= 0 ? longopts[li].name : long_name(c);
		switch (c) {
		case OPT_DECOMPRESS:
			if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "off") != 0) {
				fprintf(stderr, "ringflow: --decompress: unknown setting '%s' (auto, off)\n", optarg);
				return EXIT_USAGE;
			}
			opt.decompress_off = strcmp(optarg, "off") == 0;
			break;
		case OPT_IO:
			if (rf_io_parse(optarg, &opt.io) < 0) {
				fprintf(stderr, "ringflow: --io: unknown backend '%s' (auto, mmap, uring, read)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SIMD:
			if (rf_simd_parse(optarg, &opt.simd) < 0) {
				fprintf(stderr, "ringflow: --simd: unknown level '%s' (%s)\n", optarg, simd_levels(", "));
				return EXIT_USAGE;
			}
			break;
		case OPT_REGEX: {
			char why[128];
			if (rf_regex_engine_parse(optarg, &opt.regex_engine) < 0) {
				fprintf(stderr, "ringflow: --regex-engine: unknown engine '%s' (auto, hyperscan, pcre2)\n", optarg);
				return EXIT_USAGE;
			}
			if (rf_check_regex_engine(opt.regex_engine, why, sizeof why) < 0) {
				fprintf(stderr, "ringflow: --regex-engine=%s: %s\n", optarg, why);
				return EXIT_USAGE;
			}
			break;
		}
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
		case OPT_RECSTART: opt.record_start = optarg; break;
		case OPT_MULTILINE: opt.multiline = optarg; break;
		case OPT_ONLONG:
			if (strcmp(optarg, "skip") == 0 || strcmp(optarg, "error") == 0) {
				opt.skip_long = optarg[0] == 's';
				break;
			}
			fprintf(stderr, "ringflow: --on-long: unknown action '%s' (error, skip)\n", optarg);
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
		case OPT_STATSFILE:
			stats_path = optarg;
			break;
		case OPT_FORMAT:
			if (rf_format_parse(optarg, &opt.format) < 0) {
				fprintf(stderr, "ringflow: --format: unknown format '%s' (table, tsv, csv, json, chart, html)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_ASCII:
			opt.chart_ascii = 1;
			break;
		case OPT_REJECTS:
			rejects_path = optarg;
			break;
		case OPT_STRICT: opt.strict = 1; break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NUMA: {
			char *end = NULL;
			long node = -1;
			if (!strncmp(optarg, "node:", 5) && optarg[5] >= '0' && optarg[5] <= '9') {
				errno = 0;
				node = strtol(optarg + 5, &end, 10);
				if (errno || *end || node > 1 << 20)
					node = -1;
			}
			enum rf_numa_mode numa;
			if (rf_numa_parse(optarg, &numa) == 0 && numa != RF_NUMA_MODE_NODE)
				opt.numa = numa;
			else if (node >= 0) {
				opt.numa = RF_NUMA_MODE_NODE;
				opt.numa_node = (int)node;
			} else {
				fprintf(stderr, "ringflow: --numa: '%s' is not auto, off, interleave or node:N\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_CPUS:
			if (rf_parse_cpus(optarg, cpu_list, 1024, &opt.ncpus) < 0) {
				fprintf(stderr, "ringflow: --cpus: '%s' is not a CPU list like 0-3,6\n", optarg);
				return EXIT_USAGE;
			}
			opt.cpus = cpu_list;
			break;
		case OPT_QDEPTH:
		case OPT_THREADS: {
			char *end;
			long max = c == OPT_QDEPTH ? 4096 : 256;
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || errno || *end || n < 1 || n > max) {
				fprintf(stderr, "ringflow: --%s: '%s' is not a number from 1 to %ld\n", name, optarg, max);
				return EXIT_USAGE;
			}
			if (c == OPT_QDEPTH)
				opt.queue_depth = (int)n;
			else
				opt.threads = (int)n;
			break;
		}
		case OPT_TZ:
			opt.tz = optarg;
			break;
		case OPT_GEOIPDB: opt.geoip_db = optarg; break;
		case OPT_ASNDB: opt.asn_db = optarg; break;
		case OPT_SINCE:
			opt.since = optarg;
			break;
		case OPT_UNTIL:
			opt.until = optarg;
			break;
		case OPT_SEEKSLACK: {
			uint64_t ns;
			if (strcmp(optarg, "off") == 0) {
				opt.no_seek = 1;
			} else if (parse_every(optarg, &ns) == 0 && ns >= 1000000000ULL) {
				opt.seek_slack_ns = (int64_t)ns;
			} else {
				fprintf(stderr, "ringflow: --seek-slack: '%s' is not off or a duration of 1s or more (like 5m)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_EVERY:
			if (parse_every(optarg, &opt.every_ns) < 0) {
				fprintf(stderr, "ringflow: --every: bad interval '%s' (like 500ms, 5s, 1m, 2h; from 10ms to 277h)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_INTERVAL:
			if (parse_every(optarg, &opt.interval_ns) < 0) {
				fprintf(stderr, "ringflow: --interval: bad interval '%s' (like 500ms, 5s, 1m, 2h; from 10ms to 277h)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_CHECKPOINT:
		case OPT_ROTATEWAIT:
		case OPT_POLL: {
			uint64_t *to = c == OPT_CHECKPOINT ? &opt.checkpoint_ns : c == OPT_ROTATEWAIT ? &opt.rotate_wait_ns
											: &opt.poll_ns;
			if (parse_every(optarg, to) < 0) {
				fprintf(stderr, "ringflow: --%s: bad duration '%s' (like 500ms, 5s, 1m; from 10ms to 277h)\n",
					name, optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case OPT_STATE: state_path = optarg; break;
		case OPT_PLUGIN: plugins[nplugins++] = optarg; break;
		case OPT_PARTIALOUT: partial_path = optarg; break;
		case OPT_PARTIALTEXT: opt.partial |= RF_PARTIAL_TEXT; break;
		case OPT_EXITEMPTY: exit_empty = 1; break;
		case OPT_PRECISION: {
			char *end;
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || errno || *end || n < 1 || n > 17) {
				fprintf(stderr, "ringflow: --precision: '%s' is not a number from 1 to 17\n", optarg);
				return EXIT_USAGE;
			}
			opt.precision = (int)n;
			break;
		}
		case OPT_COLOR:
			color_mode = !strcmp(optarg, "auto") ? 0 : !strcmp(optarg, "always") ? 1 : !strcmp(optarg, "never") ? 2 : -1;
			if (color_mode < 0) {
				fprintf(stderr, "ringflow: --color: unknown setting '%s' (auto, always, never)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f': opt.follow = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': print_version(); return 0;
		default: /* '?' or ':' */
			option_error(c, at < argc ? argv[at] : "");
			return EXIT_USAGE;
		}
		if (size_target && size_option(name, optarg, size_target) < 0)
			return EXIT_USAGE;
	}
	/* options, then merge: `ringflow --stats merge QUERY ...` (a query
	 * "merge" after "--" is a query) */
	if (!(opt.partial & RF_PARTIAL_MERGE) && nargs >= 2 && ndash != 0 && !strcmp(args[0], "merge")) {
		opt.partial |= RF_PARTIAL_MERGE;
		first = 1;
	}
	/* and report: `ringflow -s report FILE` (its FILEs follow it) */
	if (!html_report && !(opt.partial & RF_PARTIAL_MERGE) && nargs >= 1 && ndash != 0 &&
	    !strcmp(args[0], "report")) {
		html_report = 1;
		first = 1;
	}
	if (html_report && opt.format != RF_OUT_HTML && opt.format != RF_OUT_TABLE) {
		fprintf(stderr, "ringflow: report writes the HTML page: --format=%s is not for it "
			"(give the query for other formats)\n", rf_format_name(opt.format));
		return EXIT_USAGE;
	}
	if (html_report)
		opt.format = RF_OUT_HTML;
	if (opt.interval_ns && opt.every_ns && opt.interval_ns != opt.every_ns) {
		fprintf(stderr, "ringflow: --interval=D reports every D, each report that interval's own: "
			"--every with another interval contradicts it\n");
		return EXIT_USAGE;
	}
	if (opt.interval_ns)
		opt.every_ns = opt.interval_ns;
	if (!opt.follow && (state_path || opt.checkpoint_ns || opt.rotate_wait_ns || opt.poll_ns)) {
		fprintf(stderr, "ringflow: --%s is for follow mode: add -f (--follow)\n",
			state_path ? "state" : opt.checkpoint_ns ? "checkpoint" : opt.rotate_wait_ns ? "rotate-wait" : "poll");
		return EXIT_USAGE;
	}
	opt.state_path = state_path;
	if (partial_path)
		opt.partial |= RF_PARTIAL_OUT;
	if ((opt.partial & RF_PARTIAL_TEXT) && !partial_path) {
		fprintf(stderr, "ringflow: --partial-text writes --partial-out's state as text: add --partial-out FILE "
			"(- for stdout)\n");
		return EXIT_USAGE;
	}
	char perr[256];
	if (rf_check_placement(&opt, perr, sizeof perr) < 0) {
		fprintf(stderr, "ringflow: %s\n", perr);
		return EXIT_USAGE;
	}
	if (opt.tz && rf_check_tz(opt.tz, perr, sizeof perr) < 0) {
		fprintf(stderr, "ringflow: --tz: %s\n", perr);
		return EXIT_USAGE;
	}
	/* --cpus holds for the whole process, whatever thread it starts */
	if (opt.cpus) {
		cpu_set_t set;
		CPU_ZERO(&set);
		for (int i = 0; i < opt.ncpus; i++)
			if (cpu_list[i] < CPU_SETSIZE)
				CPU_SET(cpu_list[i], &set);
		sched_setaffinity(0, sizeof set, &set);
	}
	if (nargs == first && !html_report) {
		fprintf(stderr, "ringflow: no query given\n");
		short_usage(stderr);
		return EXIT_USAGE;
	}
	if (check_sizes(&opt) < 0)
		return EXIT_USAGE;
	color_err = use_color(2);
	if (stats_path && !stats)
		stats = 1;
	r = load_plugins(plugins, nplugins);
	free(plugins);
	plugins = NULL;
	if (r < 0)
		return EXIT_USAGE;
	const char *text = html_report ? "parse combined" : args[first];
	rf_query *q;
	struct rf_query_error qerr;
	r = rf_query_parse(text, &q, &qerr);
	if (r == -ENOMEM) {
		fprintf(stderr, "ringflow: out of memory\n");
		return EXIT_USAGE;
	}
	if (r < 0) {
		print_query_error(text, &qerr);
		return EXIT_USAGE;
	}
	if (rf_check_multiline(&opt, q, &qerr) < 0) {
		fprintf(stderr, "ringflow: %s%s\n", opt.record_start && qerr.column ? "--record-start: " : "",
			qerr.message);
		if (opt.record_start && qerr.column > 0)
			print_caret(opt.record_start, qerr.column);
		rf_query_free(q);
		return EXIT_USAGE;
	}
	if ((opt.since || opt.until) && rf_check_time_range(&opt, q, perr, sizeof perr) < 0) {
		fprintf(stderr, "ringflow: %s\n", perr);
		rf_query_free(q);
		return EXIT_USAGE;
	}
	if (rf_open_databases(&opt, perr, sizeof perr) < 0) {
		fprintf(stderr, "ringflow: %s\n", perr);
		rf_query_free(q);
		return EXIT_USAGE;
	}

	/* --state belongs to one query: its text and the options that change
	 * what it computes */
	char *qid = NULL;
	if ((opt.state_path || opt.partial) &&
	    asprintf(&qid, "%s\n--tz=%s\n--since=%s\n--until=%s\n--record-start=%s\n--multiline=%s\n--interval=%llu\n"
		     "--decompress=%d\n--strict=%d\n--max-record=%zu,%d", text, opt.tz ? opt.tz : "",
		     opt.since ? opt.since : "", opt.until ? opt.until : "", opt.record_start ? opt.record_start : "",
		     opt.multiline ? opt.multiline : "", (unsigned long long)opt.interval_ns, opt.decompress_off,
		     opt.strict, opt.max_record, opt.skip_long) < 0) {
		fprintf(stderr, "ringflow: out of memory\n");
		rf_query_free(q);
		return EXIT_USAGE;
	}
	opt.query_id = qid;

	/* Outputs are opened only now that the query is known to be good, and
	 * are never an input. */
	/* report's query is its own: every argument left is a FILE */
	char *const *files = args + first + !html_report;
	int nfiles = nargs - first - !html_report;
	struct output outs[3] = {
		{ .opt = "--rejects", .path = rejects_path, .fd = -1 },
		{ .opt = "--stats-file", .path = stats_path, .fd = -1 },
		{ .opt = "--partial-out", .path = partial_path && strcmp(partial_path, "-") ? partial_path : NULL, .fd = -1 },
	};
	for (int i = 0; i < 3; i++)
		if (outs[i].path && open_output(&outs[i], files, nfiles, outs, 3) < 0) {
			if (outs[0].fd >= 0)
				close(outs[0].fd);
			if (outs[1].fd >= 0)
				close(outs[1].fd);
			rf_query_free(q);
			return EXIT_USAGE;
		}
	opt.rejects_fd = outs[0].fd;
	if (outs[2].fd >= 0)
		opt.out_fd = outs[2].fd;
	struct stat err_st;
	if (stats == 2 && !stats_path && outs[0].fd >= 0 && fstat(2, &err_st) == 0 && same_file(&outs[0].st, &err_st)) {
		fprintf(stderr, "ringflow: --rejects %s: standard error, where --stats=json must be alone "
			"(--stats-file=FILE takes the statistics elsewhere)\n", rejects_path);
		close(outs[0].fd);
		rf_query_free(q);
		return EXIT_USAGE;
	}

	/* the engine's messages come through on_message, printed there; with
	 * --stats=json they go into the JSON, on stderr only there */
	msg_print = 1;
	opt.on_message = on_severity;
	if (stats == 2) {
		void *m = mmap(NULL, MSG_LOG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED) {
			msg_log = m;
			msg_print = stats_path != NULL;
			if (!stats_path)
				progress = 0;
		}
	}
	/* SIGINT, SIGTERM and SIGHUP end the reading, not the process: what
	 * was read is still counted and printed (marked as partial on stderr).
	 * No SA_RESTART, so a blocking read returns at once. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	following = opt.follow;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a bar only where a person watches it, and only with a known size */
	if (progress && isatty(2))
		opt.on_progress = on_progress;
	if (opt.on_progress && isatty(opt.out_fd))
		opt.on_output = on_output;
	opt.color = use_color(opt.out_fd);
	struct rf_report report;
	rf_report_init(&report); /* rf_run may fail before it fills it */
	r = rf_run(q, (const char *const *)files, nfiles, &opt, (stats || verbose || exit_empty) ? &report : NULL);
	report.lookup_tables = (uint64_t)rf_query_lookups(q, &report.lookup_rows, &report.lookup_bytes);
	rf_query_free(q);
	if (opt.on_progress) { /* the bar goes away */
		pthread_mutex_lock(&bar_lock);
		bar_erase();
		bar_over = 1;
		pthread_mutex_unlock(&bar_lock);
	}
	if (outs[0].fd >= 0 && finish_rejects(&outs[0], r) < 0)
		r = -EIO;
	/* a failed run (an input unread too) leaves no partial state that
	 * looks whole */
	if (outs[2].fd >= 0 && r != 0 && S_ISREG(outs[2].st.st_mode))
		lseek(outs[2].fd, 0, SEEK_SET); /* finish_rejects cuts it there */
	if (outs[2].fd >= 0 && finish_rejects(&outs[2], r != 0 ? -EBADMSG : r) < 0)
		r = -EIO;
	if (r < 0) {
		if (r == -ENOTSUP)
			cli_error("--simd=%s: %s", rf_simd_name(opt.simd), rf_strerror(r));
		else if (r == -EBADMSG || r == -EINTR || -r == __atomic_load_n(&engine_err, __ATOMIC_RELAXED))
			; /* the engine said so already */
		else if (r == -EBADF && closed_out) /* the only thing written there */
			cli_error("standard output: write error: %s (it was closed)", rf_strerror(r));
		else if (r == -ENOSPC || r == -EFBIG || r == -EDQUOT)
			/* reading never fails so: only the results' writes can */
			cli_error("standard output: write error: %s", rf_strerror(r));
		else
			cli_error("%s", rf_strerror(r));
	}
	int status = r == 0 ? 0 : EXIT_USAGE;
	free(qid);
	if (r == -EINTR) /* as a shell reports a command ended by the signal */
		status = 128 + (stop_signal ? stop_signal : SIGINT);
	/* --exit-empty: 1 as grep's when nothing matched.  An aggregate is
	 * empty with no group at the end (no record reached it: a bare count
	 * prints 0, as grep -c does), a query without one when its last
	 * stage let no record through; stages after an aggregate do not count.
	 * --partial-out keeps its groups in the state it writes, and always
	 * has an aggregate: the last stage then is it. */
	const struct rf_stage_stats *last = report.nstages > 0 ? &report.stage[report.nstages - 1] : NULL;
	if (exit_empty && status == 0 &&
	    (partial_path ? !last || last->records_in == 0 : report.groups == 0 && (!last || last->records_out == 0)))
		status = 1;
	/* The command prints the statistics itself, from the report rf_run
	 * fills: nothing of struct rf_options is needed for --stats-file. */
	if (stats_path) {
		if (write_stats_file(&outs[1], &report, stats == 2, status) < 0 && status == 0)
			status = EXIT_USAGE;
	} else if (stats == 2) {
		print_stats_json(stderr, &report, status);
	} else if (stats == 1) {
		print_stats_text(stderr, &report, isatty(2));
	}
	if (verbose && r >= 0 && (stats == 0 || stats_path))
		fprintf(stderr, "ringflow: mode %s (%s), io %s (%s), simd %s\n", rf_mode_name(report.mode),
			report.mode_reason,
			report.io_used[RF_IO_URING] ? "uring" : report.io_used[RF_IO_MMAP] ? "mmap"
			: report.io_used[RF_IO_READ] ? "read" : "per worker",
			report.io_reason, rf_simd_name(report.simd));
	if (verbose && r >= 0 && (stats == 0 || stats_path) && report.formats[0])
		fprintf(stderr, "ringflow: parse auto read the inputs as: %s\n", report.formats);
	return status;
}
