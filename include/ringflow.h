/* SPDX-License-Identifier: MIT */
/* ringflow.h - public API of the ringflow streaming engine.
 *
 * The `ringflow` command is built on this header alone.  Functions return 0
 * (or a non-negative count) on success and a negative errno value on failure;
 * none of them report errors through a bare -1 and errno.
 */
#ifndef RINGFLOW_H
#define RINGFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "ringflow_version.h" /* RF_VERSION_MAJOR ... RF_VERSION_STRING, RF_VERSION_NUMBER */

#ifdef __cplusplus
extern "C" {
#endif

/* Marks what the shared library exports (it is built with
 * -fvisibility=hidden); every public declaration carries it. */
#ifndef RF_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define RF_API __attribute__((visibility("default")))
#else
#define RF_API
#endif
#endif

/* ---- Version and features --------------------------------------------- */

/* The library's own version (RF_VERSION_STRING and RF_VERSION_NUMBER are the
 * header's): a program can check that the library it runs with is at least
 * the one it was built against. */
RF_API const char *rf_version(void);
RF_API unsigned rf_version_number(void);
/* What this build of the library can do, as space-separated words: always
 * "io_uring numa simd=LEVEL,...", then those of "ebpf-probes", "gzip(isal)"
 * or "gzip(zlib)", "zstd", "xz", "bzip2", "lz4", "hyperscan", "maxminddb"
 * that it was built with. */
RF_API const char *rf_features(void);

/* ---- I/O backends, SIMD levels, modes, NUMA policies, formats -------- */

/* Each enum is one list of its values and their names: the enum below and
 * its name table (rf_*_name, rf_*_parse) are both made from it.  The
 * values count from 0, in the order listed. */
#define RF_IO_LIST(X) \
	X(RF_IO_AUTO, "auto") \
	X(RF_IO_READ, "read")   /* read(2): portable, also the fallback */ \
	X(RF_IO_MMAP, "mmap")   /* windowed mmap of regular files */ \
	X(RF_IO_URING, "uring") /* io_uring reads into registered pool buffers */

#define RF_SIMD_LIST(X) \
	X(RF_SIMD_AUTO, "auto") \
	X(RF_SIMD_SCALAR, "scalar") \
	X(RF_SIMD_SSE2, "sse2") \
	X(RF_SIMD_AVX2, "avx2") \
	X(RF_SIMD_AVX512, "avx512")

#define RF_MODE_LIST(X) \
	X(RF_MODE_AUTO, "auto") \
	X(RF_MODE_SERIAL, "serial") \
	X(RF_MODE_PARALLEL, "parallel")         /* worker threads, each running the whole chain */ \
	X(RF_MODE_MULTIPROCESS, "multiprocess") /* forked workers on byte ranges, partial aggregates merged */ \
	X(RF_MODE_PIPELINE, "pipeline")         /* a thread per stage, bounded rings between them */ \
	X(RF_MODE_ASYNC, "async")               /* one thread, io_uring chains over many files at once */

/* Where threads run and buffers live on a NUMA machine (also the policy
 * numa/placement.c applies). */
#define RF_NUMA_LIST(X) \
	X(RF_NUMA_MODE_AUTO, "auto")             /* spread workers / keep a pipeline on one node; nothing on one node */ \
	X(RF_NUMA_MODE_OFF, "off")               /* no pinning, default memory policy */ \
	X(RF_NUMA_MODE_INTERLEAVE, "interleave") /* buffers interleaved over the nodes */ \
	X(RF_NUMA_MODE_NODE, "node")             /* everything on one node (numa_node) */

/* Output format of result rows (aggregates, select). */
#define RF_FORMAT_LIST(X) \
	X(RF_OUT_TABLE, "table") /* aligned columns for people; a lone number bare */ \
	X(RF_OUT_TSV, "tsv") \
	X(RF_OUT_CSV, "csv") \
	X(RF_OUT_JSON, "json")   /* JSON Lines: one object per row */ \
	X(RF_OUT_CHART, "chart") /* bars or sparklines for a terminal (aggregates only) */ \
	X(RF_OUT_HTML, "html")   /* one self-contained page: overview, tables, charts */

/* The matcher of the regex filter and of grep -i or with several literals:
 * Hyperscan where it is built in, runs on this CPU and takes the pattern,
 * else PCRE2's JIT (auto); or one of them asked for.  Asking for hyperscan
 * makes PCRE2 serve only the patterns Hyperscan refuses. */
#define RF_REGEX_ENGINE_LIST(X) \
	X(RF_REGEX_AUTO, "auto") \
	X(RF_REGEX_HYPERSCAN, "hyperscan") \
	X(RF_REGEX_PCRE2, "pcre2")

#define RF_ENUM_VALUE(value, name) value,
enum rf_io { RF_IO_LIST(RF_ENUM_VALUE) };
enum rf_simd { RF_SIMD_LIST(RF_ENUM_VALUE) };
enum rf_mode { RF_MODE_LIST(RF_ENUM_VALUE) };
enum rf_numa_mode { RF_NUMA_LIST(RF_ENUM_VALUE) };
enum rf_out_format { RF_FORMAT_LIST(RF_ENUM_VALUE) };
enum rf_regex_engine { RF_REGEX_ENGINE_LIST(RF_ENUM_VALUE) };

RF_API const char *rf_io_name(enum rf_io io);
RF_API const char *rf_simd_name(enum rf_simd level);
RF_API const char *rf_mode_name(enum rf_mode mode);

/* Parse "auto", "read", ... into the enum; -EINVAL if the name is unknown. */
RF_API int rf_io_parse(const char *name, enum rf_io *out);
RF_API int rf_simd_parse(const char *name, enum rf_simd *out);
RF_API int rf_mode_parse(const char *name, enum rf_mode *out);
RF_API int rf_format_parse(const char *name, enum rf_out_format *out);
RF_API int rf_regex_engine_parse(const char *name, enum rf_regex_engine *out);
RF_API const char *rf_regex_engine_name(enum rf_regex_engine engine);
/* Whether `engine` can be had here: 0, or a negative errno with why in
 * err: -EINVAL for a value outside the enum, -ENOTSUP for hyperscan when
 * ringflow was built without it or the CPU cannot run it (rf_run then
 * returns -ENOTSUP too). */
RF_API int rf_check_regex_engine(enum rf_regex_engine engine, char *err, size_t errlen);
/* A size on the command line: digits and an optional K, M, G or T (powers
 * of 1024), then an optional "B" or "iB".  0, -EINVAL for anything else,
 * -ERANGE for a number too large for a size_t (*out untouched). */
RF_API int rf_parse_size(const char *s, size_t *out);
/* "auto", "off", "interleave", "node" (node:N is the caller's to split) */
RF_API int rf_numa_parse(const char *name, enum rf_numa_mode *out);
RF_API const char *rf_format_name(enum rf_out_format format);
RF_API const char *rf_numa_name(enum rf_numa_mode numa);

/* Highest SIMD level this CPU runs. */
RF_API enum rf_simd rf_simd_best(void);

/* ---- Queries ------------------------------------------------------------ */

typedef struct rf_query rf_query;

struct rf_query_error {
	int column;        /* 1-based column in the query text, 0 if none */
	char message[256];
	char hint[256];    /* "did you mean ...?" or empty */
};

/* Parse a query such as `grep "404" | count`.  On failure returns -EINVAL and
 * fills *err with the position and a message. */
RF_API int rf_query_parse(const char *text, rf_query **out, struct rf_query_error *err);
RF_API void rf_query_free(rf_query *q);
/* Number of stages, and a stage's verb name (for --stats). */
RF_API int rf_query_stages(const rf_query *q);
RF_API const char *rf_query_stage_name(const rf_query *q, int i);
/* The tables its lookup stages loaded (for --stats): how many, their rows
 * and the memory they hold, in bytes. */
RF_API int rf_query_lookups(const rf_query *q, uint64_t *rows, uint64_t *bytes);

/* ---- Running ------------------------------------------------------------ */

/* Called for every per-input problem (missing file, read error); the run goes
 * on with the next input.  `input` is the file name, "-" for stdin. */
typedef void (*rf_error_fn)(void *user, const char *input, int err, const char *message);

/* How bad a message is: an error (an input, or the run, failed), a
 * warning (something the result may lack or count differently: records
 * rejected, a request not followed), or a note (what the run did: it was
 * interrupted, a backend fell back).  on_message gets every message with
 * its severity; `input` is the input it is about, or a word naming what
 * it concerns ("--rejects", "rf_run_inputs"); `err` a negative errno, or
 * 0 when there is none.  The message is valid during the call only. */
enum rf_severity { RF_ERROR, RF_WARNING, RF_NOTE };
typedef void (*rf_message_fn)(void *user, enum rf_severity severity, const char *input, int err,
			      const char *message);

/* struct rf_options and struct rf_report begin with their size, as Linux's
 * own structs do: rf_options_init() and rf_report_init(), inline functions
 * of this header, pass the size the program was compiled with to the
 * library's rf_options_init_size() and rf_report_init_size().  New fields
 * are only ever added at the end, so a library newer than the program
 * reads the options past the program's size as their defaults and writes
 * the report only up to its size; a size it does not know (larger than its
 * own struct: a newer program; or not set by the init function) makes
 * rf_run, the rf_check_* functions taking options and rf_open_databases
 * return -EINVAL with a message.  Always start from the init function. */
struct rf_options {
	size_t size;           /* sizeof(struct rf_options): rf_options_init sets it */
	enum rf_mode mode;
	enum rf_io io;
	enum rf_simd simd;
	int threads;           /* parallel mode workers; 0: one per CPU we may run on */
	int queue_depth;       /* pipeline mode: ring slots between stages; 0: default */
	enum rf_numa_mode numa;
	int numa_node;         /* RF_NUMA_MODE_NODE */
	const int *cpus;       /* --cpus: run only on these; NULL: anywhere allowed */
	int ncpus;
	int direct;            /* O_DIRECT for the io_uring backend */
	int sqpoll;            /* io_uring SQPOLL (off by default: slower here) */
	size_t memory;         /* buffer pool budget in bytes */
	size_t group_memory;   /* what aggregate state may add on top; 0: half the RAM (or cgroup limit) */
	size_t buffer_size;    /* one pool buffer; 0 picks a default */
	size_t window_size;    /* mmap window; 0 picks a default */
	size_t max_record;     /* longest record accepted, bytes (default 256 MiB) */
	int skip_long;         /* a longer record is skipped and counted, not an error */
	int out_fd;            /* where records and results go */
	enum rf_out_format format;
	int rejects_fd;        /* records a parser rejects go here verbatim; -1: none */
	int strict;            /* the first rejected record is an error */
	uint64_t every_ns;     /* print the aggregate so far at this interval; 0: only at the end */
	rf_error_fn on_error;  /* NULL: messages go to stderr */
	void *error_user;
	/* Called from the reading thread about five times a second with the
	 * bytes read so far and the total (0 when unknown: a pipe). */
	void (*on_progress)(void *user, uint64_t done, uint64_t total, uint64_t elapsed_ns);
	void *progress_user;
	int decompress_off;    /* read compressed inputs as the bytes they are;
	                        * 0: decode them (found by their first bytes) */
	const char *tz;        /* --tz: the zone times show in and minute, hour
	                        * and day buckets follow; NULL: UTC */
	const char *since;     /* --since, --until: only records of a time in
	                        * [since, until) (see rf_check_time_range) */
	const char *until;
	/* The seek to the range in a regular file: it assumes no line's time
	 * is more than this before a time above it (0: 5 minutes); no_seek:
	 * read every file whole. */
	int64_t seek_slack_ns;
	int no_seek;
	/* MaxMind database files for geoip() and asn(); NULL: the usual
	 * places (/usr/share/GeoIP, /var/lib/GeoIP) */
	const char *geoip_db;
	const char *asn_db;
	/* Multiline records: a line matching record_start (a PCRE2 pattern)
	 * begins a record, other lines continue the one before; or a preset
	 * rule by name ("java", "python", "go", "indent").  NULL: lines. */
	const char *record_start;
	const char *multiline;
	/* Follow mode (-f): the named files are read as they grow, through
	 * rotations, until rf_follow_stop() (see README, "Following live
	 * logs").  Names with a rotation suffix beside a live name are read
	 * first, oldest first. */
	int follow;
	uint64_t rotate_wait_ns; /* a rotated-away file is read until idle this long; 0: 5 s */
	uint64_t poll_ns;        /* poll at this interval instead of inotify; 0: inotify */
	uint64_t interval_ns;    /* with every_ns: each snapshot covers only its interval */
	/* --state: checkpoints of the files' positions and the aggregate,
	 * written atomically every checkpoint_ns (0: 5 s) and at the end; a
	 * run with the same state file and query_id resumes from it */
	const char *state_path;
	uint64_t checkpoint_ns;
	const char *query_id;    /* what makes two runs the same query (the CLI: the
	                          * query text and the options that change results) */
	enum rf_regex_engine regex_engine; /* regex, grep's literal sets: auto */
	/* What a run may do to the program it runs in (libringflow(3),
	 * "Embedding"); all off by default, the command turns them on.
	 *   allow_fork    auto mode may fork worker processes (multiprocess);
	 *                 without it auto takes threads (parallel) instead and
	 *                 report->mode_reason says so.  mode ==
	 *                 RF_MODE_MULTIPROCESS is a permission of its own.
	 *   catch_sigbus  install the library's SIGBUS handler (once, for the
	 *                 process), so a regular file may be read through mmap:
	 *                 a file cut short under the mapping then fails its
	 *                 run instead of killing the program.  Without it
	 *                 files are read with read(2) (report->io_reason says
	 *                 so) and io == RF_IO_MMAP gives -EINVAL.
	 *   cancel        a token that stops this run only (rf_cancel_token_new);
	 *                 NULL: only rf_cancel() stops it.
	 *   on_message    every message with its severity, in place of
	 *                 on_error (which then still gets them: the errors and
	 *                 warnings, without the severity), and of stderr. */
	int allow_fork;
	int catch_sigbus;
	struct rf_cancel_token *cancel;
	rf_message_fn on_message;
	void *message_user;
	/* Partial results: RF_PARTIAL_OUT writes the aggregate's
	 * mergeable state to out_fd instead of its result; RF_PARTIAL_MERGE
	 * reads the inputs as such states and merges them (both: the merged
	 * state is written, for a reduction tree).  share_count > 0 reads only
	 * share share_index of the inputs, cut on record boundaries as
	 * multiprocess mode cuts them (a rank of ringflow-mpi). */
	int partial;
	int share_index, share_count;
	/* RF_OUT_CHART: the width in columns (0: the terminal's on out_fd,
	 * else $COLUMNS, else 80), and '#' bars in place of Unicode blocks */
	int chart_width;
	int chart_ascii;
	/* The table format (not tsv, csv, json, which print floats whole):
	 * precision, the significant digits of a float (0: 6; a lone
	 * one-number answer stays whole unless it is set); color, ANSI
	 * colour in the header (1: always; the caller decides for a
	 * terminal).  on_output, when set, is called once with
	 * progress_user before the first byte goes to out_fd: the command
	 * takes its progress bar off the terminal there. */
	int precision;
	int color;
	void (*on_output)(void *user);
};

#define RF_PARTIAL_OUT 1
#define RF_PARTIAL_MERGE 2
/* With RF_PARTIAL_OUT: the state written as one line of text, "RFPART64",
 * a tab, its base64 (for Hadoop Streaming and Spark's pipe, which carry
 * lines); RF_PARTIAL_MERGE reads either form. */
#define RF_PARTIAL_TEXT 4
/* The run is one piece of a larger whole read elsewhere (a rank of a
 * program like ringflow-mpi): a query without an aggregate prints its
 * records as usual, but a piece whose every record was rejected is not a
 * failure by itself; the caller sums rf_report's records and
 * rejected_format over the pieces and judges the whole.  RF_PARTIAL_OUT
 * implies it. */
#define RF_PARTIAL_PIECE 8

/* The defaults in the first `size` bytes of opt, as far as this library
 * knows the fields (any bytes past its own struct are zeroed), and
 * opt->size = size.  0, or -EINVAL when rf_run would refuse that size:
 * larger than this library's struct (the struct is set up all the same),
 * or smaller than the first layout with a size field (the size bytes are
 * zeroed, so the size reads 0). */
RF_API int rf_options_init_size(struct rf_options *opt, size_t size);

/* The defaults, and opt->size: the size this program was compiled with. */
static inline void rf_options_init(struct rf_options *opt)
{
	(void)rf_options_init_size(opt, sizeof *opt);
}

/* Whether a --tz zone can be used: UTC, an offset (+05:30, -0800) or an
 * IANA name (Europe/Berlin).  0, or -EINVAL with a message in err. */
RF_API int rf_check_tz(const char *name, char *err, size_t errlen);

/* Whether opt->since and opt->until (each may be NULL) read: a time in a
 * form rf's time fields take (zone-less: on --tz's clock), now, today,
 * yesterday, or a duration (1h: an hour ago); and q's parser has its
 * time where the range looks (not json, logfmt).  0, or -EINVAL with a
 * message in err (also for options of a size rf_run refuses). */
RF_API int rf_check_time_range(const struct rf_options *opt, const rf_query *q, char *err, size_t errlen);

/* Open the MaxMind databases that the queries parsed so far call for
 * (geoip(), asn(), asn_org()): opt->geoip_db and opt->asn_db, else the
 * usual places.  Once per process, before rf_run (without it those calls
 * give null).  0, or a negative errno with a message in err: -ENOENT
 * (none found, or a file that is not there; another file's error is its
 * own errno), -EINVAL (not a MaxMind database, or options of a size
 * rf_run refuses), -ENOTSUP (built without libmaxminddb). */
RF_API int rf_open_databases(const struct rf_options *opt, char *err, size_t errlen);

/* Whether opt's multiline rule can be used: a known preset, a pattern that
 * compiles (err->column is then 1-based in the pattern), not both, and not
 * with parse csv or tsv (whose records have their own framing).  0, or
 * -EINVAL with err filled (also for options of a size rf_run refuses). */
RF_API int rf_check_multiline(const struct rf_options *opt, const rf_query *q, struct rf_query_error *err);

/* Compressed formats by number (the index of the rf_report arrays below):
 * 1 gzip, 2 zstd, 3 xz, 4 bzip2, 5 lz4; 0 and anything else NULL. */
#define RF_COMPRESSED_MAX 8
RF_API const char *rf_compression_name(int format);
/* The library decoding it in this build ("ISA-L igzip", "libzstd"...), or
 * NULL when it was built without one (inputs in that format are refused). */
RF_API const char *rf_compression_library(int format);
/* The Debian package to install for it. */
RF_API const char *rf_compression_package(int format);

struct rf_stage_stats {
	const char *name;
	uint64_t batches;
	uint64_t records_in;   /* records offered to the stage */
	uint64_t records_out;  /* records it let through */
	uint64_t bytes_in;
	uint64_t busy_ns;
	uint64_t wait_ns;      /* pipeline: waiting for input */
	uint64_t queue_empty;  /* pipeline: times the input ring was empty */
	uint64_t queue_full;   /* pipeline: times the output ring was full */
	/* regex and grep: the matcher, "hyperscan", "pcre2" or "simd" (the
	 * literal kernel), and what made it so when that says more */
	const char *engine;
	char engine_note[120];
};

#define RF_MAX_STAGES 32

struct rf_report {
	size_t size;                /* sizeof(struct rf_report): rf_report_init sets it */
	enum rf_mode mode;
	char mode_reason[160];      /* why auto chose it, or why a request was not followed */
	int threads;
	enum rf_simd simd;
	enum rf_io io_used[4];      /* backends used, indexed by enum rf_io */
	uint64_t io_files[4];       /* files read with each backend */
	char io_reason[160];        /* why the first input got its backend */
	int uring_registered;       /* io_uring buffers were registered */
	int direct_used;            /* O_DIRECT reads happened */
	uint64_t inputs;
	uint64_t inputs_failed;
	uint64_t bytes;
	uint64_t records;
	uint64_t batches;
	uint64_t spill_batches;     /* records assembled across buffer ends */
	uint64_t longest_record;
	uint64_t long_skipped;      /* records over max_record skipped (skip_long) */
	uint64_t time_outside;      /* --since/--until: records outside the range, dropped */
	uint64_t time_missing;      /* and records without a time that reads, dropped */
	uint64_t seek_skipped;      /* bytes of regular files the seek to the range did not read */
	uint64_t snapshots;         /* --every: snapshots printed before the result */
	uint64_t snapshots_skipped; /* due but skipped: printing could not keep up */
	size_t pool_buffers;
	size_t pool_buffer_size;
	size_t pool_high_water;
	uint64_t elapsed_ns;
	uint64_t peak_rss_kb;
	uint64_t groups;            /* an aggregate's groups at the end of the input */
	uint64_t group_bytes;       /* the memory they held (keys, index, cells) */
	uint64_t rejected;          /* records a parser could not read */
	uint64_t first_reject_line; /* line number of the first (0: unknown) */
	char first_reject_input[256];
	char reject_format[32];
	int nstages;
	struct rf_stage_stats stage[RF_MAX_STAGES];
	int numa_nodes;
	int placed;                 /* threads below that were placed */
	int place_cpu[64];          /* thread i runs on this CPU, -1: not pinned */
	int place_node[64];         /* its buffers live on this node, -1: default */
	int numa_interleave;
	uint64_t bytes_copied;      /* record bytes the engine copied (carries, spill, items) */
	/* Compressed inputs, per format (rf_compression_name): how many were
	 * decoded, their compressed bytes, what they decoded to (also counted
	 * in bytes), and the decoder threads' time, summed over the threads. */
	uint64_t decoded_inputs[RF_COMPRESSED_MAX];
	uint64_t compressed_bytes[RF_COMPRESSED_MAX];
	uint64_t decompressed_bytes[RF_COMPRESSED_MAX];
	uint64_t decode_ns[RF_COMPRESSED_MAX];
	/* decoder threads at once: the most one input had (a file cut into
	 * independent pieces has several), summed over multiprocess workers */
	uint64_t decode_threads[RF_COMPRESSED_MAX];
	/* sort of records: sorted runs spilled to a temporary file, and
	 * the bytes written there (0: it fitted in --memory) */
	uint64_t sort_runs;
	uint64_t sort_spilled;
	/* parse auto: the format each input was read as ("combined 2, json 1";
	 * "none" counts inputs no format fitted) */
	char formats[192];
	/* lookup stages: their tables, rows and the memory they hold (loaded
	 * once when the query is parsed; see rf_query_lookups) */
	uint64_t lookup_tables;
	uint64_t lookup_rows;
	uint64_t lookup_bytes;
	/* input lines, counted with records when these may span lines
	 * (multiline records, csv); 0 otherwise */
	uint64_t lines;
	const char *multiline;      /* the multiline rule in effect, or NULL */
	/* follow mode: files opened, rotations and truncations seen, bytes
	 * read from a copy after a truncation, wake-ups, bytes behind the
	 * files' ends at the end, bytes of unfinished lines left unread,
	 * checkpoints written and failed; polled: no inotify */
	int followed;
	uint64_t follow_files, follow_rotations, follow_truncations, follow_recovered;
	uint64_t follow_wakeups, follow_lag, follow_unfinished;
	uint64_t checkpoints, checkpoints_failed;
	int follow_polled;
	/* of rejected, those that say the input is not in the query's format
	 * (a parser's, or no time for the time key): when they are all of
	 * records, a whole run fails (RF_PARTIAL_PIECE: its caller judges) */
	uint64_t rejected_format;
};

/* Zeroes the first `size` bytes of report and sets report->size = size.
 * 0, or -EINVAL when rf_run would refuse that size (as for
 * rf_options_init_size). */
RF_API int rf_report_init_size(struct rf_report *report, size_t size);

/* Zeroes the report and sets report->size to the size this program was
 * compiled with: call it before passing a report to rf_run. */
static inline void rf_report_init(struct rf_report *report)
{
	(void)rf_report_init_size(report, sizeof *report);
}

/* Run q over the inputs (NULL or "-" is stdin; nfiles == 0 means stdin) and
 * write its output to opt->out_fd; report (may be NULL) gets the statistics
 * (opt and report each need their init function first: see rf_options).
 * Returns 0 on success, 1 if some input could not be read (the rest were
 * processed), or a negative errno for a failure that stopped the run
 * (output error, out of memory, bad options; -EBADMSG: a rejected record
 * under opt->strict).  Several runs may go at once from different threads,
 * each with its own options and report; a parsed query may be shared by
 * them (runs only read it).  See libringflow(3), "Runs from several
 * threads". */
RF_API int rf_run(const rf_query *q, const char *const *files, int nfiles,
		  const struct rf_options *opt, struct rf_report *report);

/* Ask every rf_run in progress to stop reading: the batches in flight are
 * finished, aggregates cover the input read so far, and rf_run returns
 * -EINTR.  Runs that start afterwards run normally.  Async-signal-safe:
 * meant for SIGINT and SIGTERM handlers. */
RF_API void rf_cancel(void);

/* A cancel of one run (or of the runs given the same token in
 * opt->cancel), where rf_cancel() stops them all.  Fire it from any thread
 * or a signal handler (async-signal-safe): the run stops as after
 * rf_cancel() and returns -EINTR.  A token stays fired (a run started with
 * it stops at once) until rf_cancel_token_reset.  Free it only after the
 * runs using it returned.  rf_cancel_token_new: 0, or -ENOMEM.
 * Multiprocess mode: the forked workers cannot see a cancel made after
 * they started, so the run kills them (SIGKILL) and returns -EINTR. */
typedef struct rf_cancel_token rf_cancel_token;
RF_API int rf_cancel_token_new(rf_cancel_token **out);
RF_API void rf_cancel_token_fire(rf_cancel_token *token);
RF_API int rf_cancel_token_fired(const rf_cancel_token *token);
RF_API void rf_cancel_token_reset(rf_cancel_token *token);
RF_API void rf_cancel_token_free(rf_cancel_token *token);

/* End a follow-mode run normally: the files are read to their last whole
 * line, the result printed and the state written; rf_run then returns 0.
 * Async-signal-safe. */
RF_API void rf_follow_stop(void);

/* Parse a CPU list such as "0-3,6" into cpus[]; 0, or -EINVAL if it is
 * malformed, empty or longer than max. */
RF_API int rf_parse_cpus(const char *list, int *cpus, int max, int *n);

/* Check --numa / --cpus against this machine before running: 0, or a
 * negative errno with a message in err (-EINVAL: a placement this machine
 * cannot give, or options of a size rf_run refuses). */
RF_API int rf_check_placement(const struct rf_options *opt, char *err, size_t err_len);

/* Human-readable text for a negative return of rf_run. */
RF_API const char *rf_strerror(int err);

/* ---- Results and inputs ------------------------------------------------- */

/* Where an input's bytes come from.
 *   RF_INPUT_PATH    a file by name, as rf_run reads it: the path "-" is
 *                    standard input, as in rf_run's files[] (a file named
 *                    "-" is "./-"); what is read depends on the path only,
 *                    never on the name shown in messages
 *   RF_INPUT_FD      a descriptor of the caller's, read like standard input:
 *                    from its current position, as a file when it is a
 *                    regular file, else as a stream; never closed
 *   RF_INPUT_BUFFER  bytes in memory, read in place (only the last few bytes
 *                    are copied, so the SIMD kernels may read past a record's
 *                    end); they must not change until the run returns, and
 *                    are read as they are (not decompressed)
 * A path may name a byte range of a regular file (start, end): only bytes
 * [start, end) are read, as they are (not decompressed), and line numbers
 * in messages count from start.  The range must hold whole lines: start 0
 * or just after a newline, end the file's size or just after a newline,
 * else the input fails with a message, as does a file shorter than end.
 * end 0 is no range (so an empty range at 0 is not one: skip it), and end
 * UINT64_MAX is to the end the file has when the run opens it (the last
 * range of a file that may grow meanwhile, as a log does).  A range is how
 * a program shares one file out among its own workers (ringflow-mpi's
 * ranks read theirs so).  A library older than these fields does not see
 * them and reads every such input whole: check rf_version_number() against
 * the version a program was built with (RF_VERSION_NUMBER) when it relies
 * on ranges.
 * Descriptors, buffers and byte ranges are read in this process: a run with
 * one of them is not cut into worker processes (multiprocess and async mode
 * run serially instead, or parallel for a byte range in multiprocess mode;
 * --stats says so), and follow mode takes whole paths only (-EINVAL). */
enum rf_input_source { RF_INPUT_PATH, RF_INPUT_FD, RF_INPUT_BUFFER };

/* An array of inputs is read with in[0].size as its stride, so a program
 * built against another ringflow.h passes its own sizeof: each element's
 * size must equal in[0].size (else -EINVAL), and be at least the first
 * layout's (up to name) and at most 4096.  Fields past the program's size
 * read as zero; fields past this library's (a newer program's) are not
 * read.  struct rf_sink is taken the same way. */
struct rf_input {
	size_t size;               /* sizeof(struct rf_input): set it first */
	enum rf_input_source kind;
	const char *path;          /* PATH */
	int fd;                    /* FD */
	const void *data;          /* BUFFER: len bytes */
	size_t len;
	const char *name;          /* in messages only; NULL: the path, "fd N",
	                            * "buffer N" (N: the input's index) */
	uint64_t start, end;       /* PATH: bytes [start, end) only; end 0:
	                            * the whole file (a program built before
	                            * these fields passes a smaller size:
	                            * no range) */
};

/* The rows a query gives, as typed cells:
 *   an aggregate (count, stats ... by ...): its result table, after the
 *     stages that follow it (sort, top, select, where ...), one row per
 *     group, in the order the text formats print them;
 *   select without an aggregate: one row per record that passed, each cell
 *     a field's text (RF_TYPE_STRING) or RF_TYPE_NULL where the record
 *     lacks it, in input order (or the order sort or top gives them);
 *   anything else (records): no rows and no columns; the records go to the
 *     record sink (struct rf_sink) when there is one, else to opt->out_fd.
 * A time is seconds since the epoch, UTC (opt->tz changes only how the
 * text formats show it); BIGINT is an integer past int64 (a large sum), as
 * its decimal text (rf_result_string).  Every mode gives the same cells. */
enum rf_type {
	RF_TYPE_NULL,
	RF_TYPE_INT,
	RF_TYPE_FLOAT,
	RF_TYPE_STRING,
	RF_TYPE_TIME,
	RF_TYPE_BIGINT,
};

typedef struct rf_result rf_result;

RF_API size_t rf_result_rows(const rf_result *r);
RF_API int rf_result_cols(const rf_result *r);
/* The column's name as the table header shows it (count, sum(bytes), an
 * alias); NULL for a column out of range. */
RF_API const char *rf_result_col_name(const rf_result *r, int col);
/* RF_TYPE_NULL also for a row or column out of range. */
RF_API enum rf_type rf_result_type(const rf_result *r, size_t row, int col);
/* INT (and TIME: its seconds); 0 for another type. */
RF_API int64_t rf_result_int(const rf_result *r, size_t row, int col);
/* FLOAT, or an INT converted; 0.0 for another type. */
RF_API double rf_result_float(const rf_result *r, size_t row, int col);
/* STRING and BIGINT: the bytes, and their number in *len (len may be
 * NULL); NULL for another type.  A handle's strings end with a NUL byte as
 * well; a row callback's need not (they may point into the input). */
RF_API const char *rf_result_string(const rf_result *r, size_t row, int col, size_t *len);
/* TIME: seconds since the epoch, UTC; 0 for another type. */
RF_API int64_t rf_result_time(const rf_result *r, size_t row, int col);
/* 1 for the final result; 0 for the rows of a snapshot that opt->every_ns
 * delivers before it (a row callback's; a handle holds the final rows,
 * or with opt->interval_ns those of every window, the final one last). */
RF_API int rf_result_final(const rf_result *r);
/* With opt->every_ns, the window of time (wall clock, ns since the epoch)
 * whose records row's snapshot counts: from the run's start, or with
 * opt->interval_ns from the snapshot before, to when it was taken (as the
 * CLI's "# TIME" line over each snapshot).  0, or -ENOENT for a result
 * without windows (no every_ns, no aggregate) or a row out of range.  A
 * row callback's rows answer it too. */
RF_API int rf_result_window(const rf_result *r, size_t row, int64_t *start_ns, int64_t *end_ns);
/* The snapshots a result's rows come from, empty ones included (an
 * interval with no records may give no rows); 0 without windows. */
RF_API size_t rf_result_windows(const rf_result *r);
RF_API void rf_result_free(rf_result *r);

/* The record sink's view of a batch of records that passed the query's
 * filters: each record's bytes (without its newline), the input it came
 * from (its index in the rf_input array, also when inputs share a name or
 * a file; 0 for standard input) and its byte offset there (in the decoded
 * bytes of a compressed input); and, when the query parses, the fields its
 * stages read or make, as spans (name a field in the query, as in
 * `where path != ""`, to have it here).  A field eval, lookup or a custom
 * stage (rf_stage_add) makes comes as its text, as select would print it
 * (a time in UTC); where the query makes a field a parser has too, both
 * are there, and rf_records_field finds the one made last.  The bytes are
 * the engine's buffers, valid during the call only. */
struct rf_record {
	const char *data;
	size_t len;
	int input;
	uint64_t offset;
};

struct rf_field_span {
	const char *data;          /* NULL: the record has no such field */
	size_t len;
};

/* Given to the program, so its size is the library's sizeof: a program
 * built against a newer ringflow.h checks size before reading a field past
 * the end of the struct an older library knows. */
struct rf_records {
	size_t size;               /* the library's sizeof(struct rf_records) */
	size_t count;
	const struct rf_record *record;
	int nfields;
	const char *const *field_name;
	const struct rf_field_span *field; /* record i's field j: field[i * nfields + j] */
};

/* The index of a field among a batch's fields, or -1. */
RF_API int rf_records_field(const struct rf_records *batch, const char *name);

/* Consumers of a run's output in place of the text on opt->out_fd:
 *   on_row      once per result row (see rf_type for which queries give
 *               rows), in the order the text formats print them; `rows`
 *               is valid during the call only;
 *   on_records  once per batch of records, for a query without an
 *               aggregate or select; not with one that sorts records (sort
 *               or top without an aggregate: -ENOTSUP).
 * Each is called from one thread at a time (in parallel and pipeline mode
 * not always the caller's), in input order.  It returns 0 to go on, or a
 * negative errno that stops the run, which then returns it.  A record
 * sink keeps the run in this process (parallel mode instead of
 * multiprocess). */
typedef int (*rf_row_fn)(void *user, const rf_result *rows, size_t row);
typedef int (*rf_records_fn)(void *user, const struct rf_records *batch);

struct rf_sink {
	size_t size;               /* sizeof(struct rf_sink): set it first (as rf_input's) */
	rf_row_fn on_row;          /* NULL: rows go to opt->out_fd as text */
	rf_records_fn on_records;  /* NULL: records go to opt->out_fd */
	void *user;
};

/* rf_run over rf_input descriptions (nin == 0: standard input), with the
 * consumers of sink (NULL: none, everything to opt->out_fd).  Returns as
 * rf_run does; -EINVAL for an input or a sink not filled in right (said
 * through opt->on_error). */
RF_API int rf_run_inputs(const rf_query *q, const struct rf_input *in, int nin,
			 const struct rf_options *opt, const struct rf_sink *sink,
			 struct rf_report *report);

/* The same, the rows kept in a handle (*out, for rf_result_free) instead
 * of printed: *out is set when it returns 0 or 1, else NULL.  Records of a
 * query without rows still go to opt->out_fd. */
RF_API int rf_run_result(const rf_query *q, const struct rf_input *in, int nin,
			 const struct rf_options *opt, struct rf_report *report, rf_result **out);

/* ---- Custom stages ------------------------------------------------------
 *
 * A program or a plugin adds verbs to the query language: a struct
 * rf_stage_def of callbacks, registered under the verb's name.  A stage is
 * either a row stage, which sees batches of records and may drop records
 * and set fields it adds (`upper path` adding path_upper), or an aggregate,
 * which folds the records into its state and gives a result table at the
 * end (`bytesum bytes`).
 *
 * Every mode runs several instances of a stage: worker threads, forked
 * processes, a pipeline's threads.  Each instance has its own state from
 * open(); batches reach an instance in no particular order, and an
 * instance is only ever called from one thread at a time.  An aggregate's
 * instances are folded into one at the end: merge() for another instance
 * in the same process, serialize() and deserialize() across processes.
 *
 * open() is also called once when the query is parsed, to check the
 * arguments and learn the fields (that state is closed at once): it must
 * declare the same fields every time.
 */

/* The version of this interface: a plugin built for another is refused. */
#define RF_STAGE_ABI_VERSION 1

/* What open() is given: the arguments' field names are declared on it. */
typedef struct rf_stage_setup rf_stage_setup;
/* A batch of records in process(): valid only during the call. */
typedef struct rf_stage_batch rf_stage_batch;
/* An aggregate's result, filled in finish(). */
typedef struct rf_stage_result rf_stage_result;

struct rf_stage_def {
	size_t size;          /* sizeof(struct rf_stage_def) as the stage was built */
	int abi_version;      /* RF_STAGE_ABI_VERSION */
	const char *name;     /* the verb: letters, digits and '_', not first a digit */
	const char *usage;    /* "upper FIELD": the hint after a wrong use */
	int aggregate;        /* nonzero: an aggregate (finish, merge, serialize needed) */
	/* Set up an instance from the stage's arguments (the words, strings
	 * and numbers after the verb, as text).  0 and *state, or a negative
	 * errno with a message in err (shown with the query). */
	int (*open)(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
		    size_t errlen);
	/* One batch: 0, or a negative errno to end the run. */
	int (*process)(void *state, rf_stage_batch *batch);
	/* Aggregates: the result, from the state after every batch (and for
	 * each snapshot of --every: it may come more than once, and must
	 * leave the state as it is). */
	int (*finish)(void *state, rf_stage_result *result);
	void (*close)(void *state);
	/* Aggregates: fold other (an instance of the same query) into state;
	 * other is closed afterwards. */
	int (*merge)(void *state, void *other);
	/* Aggregates: the state as bytes, written to buf when they fit in cap;
	 * returns their length (as snprintf does), or a negative errno. */
	long (*serialize)(void *state, void *buf, size_t cap);
	/* Aggregates: fold the bytes serialize() made (in another process)
	 * into state; -EBADMSG for bytes it cannot read. */
	int (*deserialize)(void *state, const void *buf, size_t len);
};

/* In open(): the stage reads the field `name` (as parsed, or made by an
 * earlier stage): its number for rf_stage_field, or a negative errno
 * (-EINVAL when the query's parser has no such field: open should fail). */
RF_API int rf_stage_read(rf_stage_setup *setup, const char *name);
/* In open() of a row stage: the stage makes the field `name` (later stages
 * read it; it overrides an earlier field of that name): its number for
 * rf_stage_set, or a negative errno. */
RF_API int rf_stage_add(rf_stage_setup *setup, const char *name);
/* In open() of an aggregate: a column of its result, in order; its number
 * for rf_stage_result_*.  Without one the result's one column is the verb. */
RF_API int rf_stage_column(rf_stage_setup *setup, const char *name);

/* In process(): the records of the batch, numbered from 0. */
RF_API size_t rf_stage_records(const rf_stage_batch *batch);
/* Record i's bytes (no newline): 0, or -ERANGE. */
RF_API int rf_stage_record(const rf_stage_batch *batch, size_t i, const char **p, size_t *len);
/* Field `field` (from rf_stage_read) of record i: 0 with its bytes, or
 * -ENOENT when the record has no such field. */
RF_API int rf_stage_field(const rf_stage_batch *batch, size_t i, int field, const char **p, size_t *len);
/* Set the field `field` (from rf_stage_add) of record i to a copy of the
 * len bytes at p; a field never set is missing.  0, or a negative errno. */
RF_API int rf_stage_set(rf_stage_batch *batch, size_t i, int field, const char *p, size_t len);
/* Drop record i: later stages do not see it. */
RF_API void rf_stage_drop(rf_stage_batch *batch, size_t i);

/* In finish(): cells of the result's current row (there is one row at
 * first; rf_stage_result_row starts another).  Unset cells are empty. */
RF_API int rf_stage_result_int(rf_stage_result *result, int column, int64_t value);
RF_API int rf_stage_result_float(rf_stage_result *result, int column, double value);
RF_API int rf_stage_result_str(rf_stage_result *result, int column, const char *p, size_t len);
RF_API int rf_stage_result_row(rf_stage_result *result);

/* Add a stage to the query language (for every rf_query_parse after it).
 * 0, or a negative errno with the reason in err: a malformed definition
 * (-EINVAL), another ABI version (-EPROTO), a name a built-in verb or
 * another stage has (-EEXIST).  def must outlive every query using it. */
RF_API int rf_register_stage(const struct rf_stage_def *def, char *err, size_t errlen);

/* ---- Plugins --------------------------------------------------------------
 *
 * A plugin is a shared object exporting rf_plugin_init, which returns its
 * stages; loading registers them.  Plugins stay loaded until the process
 * ends.  They are built against this header and take the rf_stage_*
 * functions from the program that loads them. */

struct rf_plugin {
	size_t size;          /* sizeof(struct rf_plugin) */
	int abi_version;      /* RF_STAGE_ABI_VERSION */
	const struct rf_stage_def *const *stages; /* NULL-terminated */
};

/* A plugin defines this (the name rf_plugin_load looks up). */
RF_API const struct rf_plugin *rf_plugin_init(void);
#define RF_PLUGIN_ENTRY "rf_plugin_init"

/* Load the plugin at path (a name without a '/' is a file in the current
 * directory, never a library search) and register its stages, all or
 * none.  A file loaded already is not loaded again.  0, or a negative
 * errno with a message naming the file in err. */
RF_API int rf_plugin_load(const char *path, char *err, size_t errlen);
/* Every *.so in the directory dir, in name order: 0, or the first
 * failure's negative errno and message. */
RF_API int rf_plugin_load_dir(const char *dir, char *err, size_t errlen);
/* The stage whose callback this thread is in ("upper from ./up.so"), or
 * NULL: for a fatal-signal handler to name a plugin that crashed.  It only
 * reads a thread-local pointer, so it is async-signal-safe. */
RF_API const char *rf_plugin_running(void);

#ifdef __cplusplus
}
#endif
#endif
