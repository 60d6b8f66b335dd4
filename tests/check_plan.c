/* SPDX-License-Identifier: MIT */
/* check_plan.c - the plan phase on made-up inputs and machines: the mode,
 * thread count and backend chosen, and the reasons given, held to the
 * rules README.md ("Execution modes", "I/O backends") and ringflow(1)
 * write down.  No file is read: the facts are invented here. */
#include "config.h"
#include <string.h>
#include "helpers.h"
#include "engine.h"
#include "plan.h"

#define MiB ((uint64_t)1 << 20)
#define KiB ((uint64_t)1 << 10)

static struct rf_options opt;
static struct rf_plan_machine two = { .cpus = 2 };
static struct rf_plan p;

static void setup(void)
{
	rf_options_init(&opt);
	/* the command's permissions (a library call's defaults: test_embedding) */
	opt.allow_fork = 1;
	opt.catch_sigbus = 1;
	two = (struct rf_plan_machine){ .cpus = 2, .ram = 8192 * MiB };
}

/* n regular files of `size` bytes each */
static struct rf_plan_input files[512];
static struct rf_plan_input *regular(int n, uint64_t size)
{
	for (int i = 0; i < n; i++)
		files[i] = (struct rf_plan_input){ .kind = RF_INPUT_REGULAR, .size = size };
	return files;
}

/* The plan for n regular files of `size` bytes on machine m: its mode (p
 * holds the rest). */
static enum rf_mode files_mode(const struct rf_plan_query *q, int n, uint64_t size, const struct rf_plan_machine *m)
{
	rf__plan_mode(&opt, q, regular(n, size), n, m, &p);
	return p.mode;
}

/* The traits of a real query, through the parser. */
static struct rf_plan_query traits(const char *text)
{
	rf_query *q;
	struct rf_query_error e;
	ck_assert_msg(rf_query_parse(text, &q, &e) == 0, "%s: %s", text, e.message);
	struct rf_plan_query pq;
	rf__plan_query(q, &pq);
	rf_query_free(q);
	return pq;
}

#define has(s) ck_assert_msg(strstr(p.reason, s), "reason \"%s\" lacks \"%s\"", p.reason, s)

START_TEST(test_query_traits)
{
	struct rf_plan_query q = traits("parse combined | count, p99(bytes) by status");
	ck_assert(q.has_agg && q.heavy && !q.cheap_merge && !q.limit && !q.header);
	ck_assert_int_eq(q.row_stages, 2);
	q = traits("split | count by $9");
	ck_assert(q.has_agg && q.cheap_merge && q.heavy); /* split is a parse stage */
	q = traits("grep ERROR");
	ck_assert(!q.has_agg && !q.heavy && !q.limit);
	ck_assert_int_eq(q.row_stages, 1);
	q = traits("head 10 | count");
	ck_assert(q.limit && q.has_agg);
	q = traits("parse csv | where x > 1 | count by y");
	ck_assert(q.header && q.heavy && q.cheap_merge);
	ck_assert_int_eq(q.row_stages, 3);
	q = traits("split | distinct($1)");
	ck_assert(q.has_agg && !q.cheap_merge);
}
END_TEST

/* "async for 64 or more files averaging 256 KiB or less" */
START_TEST(test_auto_many_small_files)
{
	struct rf_plan_query q = traits("grep x");
	ck_assert_int_eq(files_mode(&q, 64, 256 * KiB, &two), RF_MODE_ASYNC);
	ck_assert_int_eq(p.threads, 1);
	ck_assert_uint_eq(p.total, 64 * 256 * KiB);
	ck_assert_int_ne(files_mode(&q, 63, 256 * KiB, &two), RF_MODE_ASYNC);
	ck_assert_int_ne(files_mode(&q, 64, 257 * KiB, &two), RF_MODE_ASYNC);
	/* one of them stdin: not named files */
	regular(64, KiB);
	files[5].kind = RF_INPUT_STDIN;
	rf__plan_mode(&opt, &q, files, 64, &two, &p);
	ck_assert_int_ne(p.mode, RF_MODE_ASYNC);
	/* a single CPU does not matter: it is one thread anyway */
	struct rf_plan_machine one = { .cpus = 1 };
	ck_assert_int_eq(files_mode(&q, 100, 4 * KiB, &one), RF_MODE_ASYNC);
}
END_TEST

/* "multiprocess for an aggregate over 64 MiB or more of files when its
 * partial states are small (no quantiles or distinct) and the records
 * need no header" */
START_TEST(test_auto_multiprocess)
{
	struct rf_plan_query q = traits("split | count by $9");
	struct rf_plan_machine four = { .cpus = 4 };
	opt.threads = 3; /* auto's multiprocess takes every CPU */
	ck_assert_int_eq(files_mode(&q, 1, 64 * MiB, &four), RF_MODE_MULTIPROCESS);
	ck_assert_int_eq(p.threads, 4);
	has("4 CPUs");
	has("64 MiB");
	opt.threads = 0;
	/* over several files */
	ck_assert_int_eq(files_mode(&q, 2, 40 * MiB, &two), RF_MODE_MULTIPROCESS);
	ck_assert_int_eq(p.threads, 2);
	/* under 64 MiB: threads, since split parses per record */
	ck_assert_int_eq(files_mode(&q, 1, 63 * MiB, &two), RF_MODE_PARALLEL);
	/* a quantile, or distinct: parallel instead */
	q = traits("split | count, p99($10) by $9");
	ck_assert_int_eq(files_mode(&q, 1, 200 * MiB, &two), RF_MODE_PARALLEL);
	q = traits("split | distinct($1)");
	ck_assert_int_eq(files_mode(&q, 1, 200 * MiB, &two), RF_MODE_PARALLEL);
	/* csv: the header is each input's first line */
	q = traits("parse csv | count by a");
	ck_assert_int_eq(files_mode(&q, 1, 200 * MiB, &two), RF_MODE_PIPELINE);
	/* a pipe among the inputs: not files only */
	q = traits("split | count by $9");
	regular(2, 200 * MiB);
	files[1].kind = RF_INPUT_STREAM;
	rf__plan_mode(&opt, &q, files, 2, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
}
END_TEST

/* A library call's defaults: no fork unless allowed (threads instead, and
 * the reason says so), no mmap without the SIGBUS handler; an explicit
 * multiprocess mode is a permission of its own. */
START_TEST(test_embedding)
{
	struct rf_plan_query q = traits("split | count by $9");
	char why[160];
	int direct, deep;
	rf_options_init(&opt);
	ck_assert_int_eq(opt.allow_fork, 0);
	ck_assert_int_eq(opt.catch_sigbus, 0);
	ck_assert_int_eq(files_mode(&q, 2, 40 * MiB, &two), RF_MODE_PARALLEL);
	ck_assert_int_eq(p.threads, 2);
	has("allow_fork");
	ck_assert_int_eq(files_mode(&q, 14, 12 * MiB, &two), RF_MODE_PARALLEL);
	opt.mode = RF_MODE_MULTIPROCESS;
	ck_assert_int_eq(files_mode(&q, 2, 40 * MiB, &two), RF_MODE_MULTIPROCESS);
	opt.mode = RF_MODE_AUTO;
	ck_assert_int_eq(rf__plan_io(&opt, 0, 16 * MiB - 1, -1, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_READ);
	ck_assert_ptr_nonnull(strstr(why, "catch_sigbus"));
	ck_assert_int_eq(rf__plan_io(&opt, 0, 100 * MiB, 80, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_READ);
	ck_assert_int_eq(rf__plan_io(&opt, 0, 100 * MiB, 10, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_URING);
}
END_TEST

/* "parallel for a query that parses or filters per record over 32 MiB or
 * more of files (pipeline for csv and tsv); pipeline for such a query on a
 * pipe; serial otherwise" */
START_TEST(test_auto_parallel_pipeline_serial)
{
	struct rf_plan_query q = traits("parse combined | where status >= 500");
	rf__plan_mode(&opt, &q, regular(1, 32 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PARALLEL);
	ck_assert_int_eq(p.threads, 2);
	opt.threads = 5;
	rf__plan_mode(&opt, &q, regular(1, 32 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.threads, 5); /* --threads N */
	opt.threads = 0;
	rf__plan_mode(&opt, &q, regular(1, 32 * MiB - 1), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	ck_assert_int_eq(p.threads, 1);
	has("32 MiB");
	q = traits("regex 'a+b' | count");
	rf__plan_mode(&opt, &q, regular(3, 20 * MiB), 3, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PARALLEL);
	/* tsv: a stage thread each, and one for the reader */
	q = traits("parse tsv | where a > 1");
	rf__plan_mode(&opt, &q, regular(1, 100 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PIPELINE);
	ck_assert_int_eq(p.threads, 3);
	/* a pipe, stdin, or no file named (stdin) */
	q = traits("parse json | where a > 1 | count by b");
	struct rf_plan_input pipe = { .kind = RF_INPUT_STREAM }, in = { .kind = RF_INPUT_STDIN };
	rf__plan_mode(&opt, &q, &pipe, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PIPELINE);
	ck_assert_int_eq(p.threads, 4); /* parse, where, count and the reader */
	has("pipe");
	rf__plan_mode(&opt, &q, &in, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PIPELINE);
	rf__plan_mode(&opt, &q, NULL, 0, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PIPELINE);
	/* grep and count run at memory speed on one core */
	q = traits("grep ERROR");
	rf__plan_mode(&opt, &q, regular(1, 1024 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	rf__plan_mode(&opt, &q, &pipe, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	/* one CPU: serial whatever the query */
	struct rf_plan_machine one = { .cpus = 1 };
	q = traits("parse combined | where status >= 500");
	rf__plan_mode(&opt, &q, regular(1, 1024 * MiB), 1, &one, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	has("one CPU");
	/* a directory or a name that cannot be stat'ed: not files only */
	regular(2, 100 * MiB);
	files[0].kind = RF_INPUT_DIR;
	rf__plan_mode(&opt, &q, files, 2, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	ck_assert_uint_eq(p.total, 100 * MiB);
}
END_TEST

/* "always for a head before an aggregate, --every with an aggregate or
 * --strict, which need one reader in order"; a forced mode is not
 * followed then, and the reason says so */
START_TEST(test_serial_needed)
{
	struct rf_plan_query q = traits("split | head 10 | count by $1");
	rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	has("head");
	static const enum rf_mode forced[] = { RF_MODE_PARALLEL, RF_MODE_PIPELINE, RF_MODE_MULTIPROCESS, RF_MODE_ASYNC };
	for (size_t i = 0; i < sizeof forced / sizeof forced[0]; i++) {
		opt.mode = forced[i];
		rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &two, &p);
		ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
		ck_assert_int_eq(p.threads, 1);
		has("not followed");
		has(rf_mode_name(forced[i]));
	}
	opt.mode = RF_MODE_AUTO;
	q = traits("split | count by $9");
	opt.strict = 1;
	rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	has("--strict");
	opt.strict = 0;
	opt.every_ns = 1000000000;
	rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	has("--every");
	/* --every without an aggregate streams lines: any mode */
	q = traits("parse combined | where status >= 500");
	rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PARALLEL);
	opt.every_ns = 0;
	/* --mode=serial is followed as it is */
	opt.mode = RF_MODE_SERIAL;
	opt.threads = 4;
	rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	ck_assert_int_eq(p.threads, 1);
	ck_assert_str_eq(p.reason, "--mode=serial");
}
END_TEST

/* forced modes: followed, or the reason why not */
START_TEST(test_forced_modes)
{
	struct rf_plan_query q = traits("grep x");
	struct rf_plan_input in = { .kind = RF_INPUT_STDIN }, pipe = { .kind = RF_INPUT_STREAM }, gone = { .kind = RF_INPUT_MISSING };
	opt.mode = RF_MODE_PARALLEL;
	opt.threads = 3;
	rf__plan_mode(&opt, &q, &in, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PARALLEL);
	ck_assert_int_eq(p.threads, 3);
	opt.threads = 0;
	/* async and multiprocess read named files, not stdin */
	opt.mode = RF_MODE_ASYNC;
	rf__plan_mode(&opt, &q, regular(2, KiB), 2, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_ASYNC);
	rf__plan_mode(&opt, &q, &in, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	has("not followed");
	rf__plan_mode(&opt, &q, NULL, 0, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	opt.mode = RF_MODE_MULTIPROCESS;
	rf__plan_mode(&opt, &q, regular(1, KiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_MULTIPROCESS);
	ck_assert_int_eq(p.threads, 2);
	rf__plan_mode(&opt, &q, &pipe, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	has("regular files");
	/* a name that is not there is the worker's to report */
	rf__plan_mode(&opt, &q, &gone, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_MULTIPROCESS);
	/* csv in parallel or multiprocess: pipeline, which sees each header */
	q = traits("parse csv | count by a");
	opt.mode = RF_MODE_MULTIPROCESS;
	rf__plan_mode(&opt, &q, regular(1, KiB), 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PIPELINE);
	ck_assert_int_eq(p.threads, 3);
	has("not followed");
	opt.mode = RF_MODE_PIPELINE;
	rf__plan_mode(&opt, &q, &pipe, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PIPELINE);
	ck_assert_str_eq(p.reason, "--mode=pipeline");
}
END_TEST

/* "Auto never picks a mode that fails where serial would not": under a
 * small ulimit -v it runs serially, and says why; a forced mode is tried */
START_TEST(test_address_space_limit)
{
	struct rf_plan_query q = traits("parse combined | where status >= 500");
	struct rf_plan_machine small = { .cpus = 2, .as_limit = 200 * MiB };
	rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &small, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	ck_assert_int_eq(p.threads, 1);
	has("ulimit -v");
	has("parallel");
	struct rf_plan_machine big = { .cpus = 2, .as_limit = 64 * 1024 * MiB };
	rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &big, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PARALLEL);
	opt.mode = RF_MODE_PARALLEL;
	rf__plan_mode(&opt, &q, regular(1, 500 * MiB), 1, &small, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PARALLEL);
}
END_TEST

/* The backend: "mmap for files mostly in the page cache and for files
 * under 16 MiB, uring (with O_DIRECT when the file is larger than half of
 * RAM, of 64 MiB or more) for cold files, read for pipes whatever --io
 * says"; --direct asks for O_DIRECT. */
START_TEST(test_backend)
{
	char why[160];
	int direct, deep;
	/* pipes and devices: read(2), no page-cache sample */
	opt.io = RF_IO_URING;
	ck_assert_int_eq(rf__plan_io_wants_residency(&opt, 1, 0), 0);
	ck_assert_int_eq(rf__plan_io(&opt, 1, 0, -1, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_READ);
	ck_assert_ptr_nonnull(strstr(why, "--io=uring is for files"));
	opt.io = RF_IO_AUTO;
	ck_assert_int_eq(rf__plan_io(&opt, 1, 0, -1, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_READ);
	/* small files: mapped, no sample needed */
	ck_assert_int_eq(rf__plan_io_wants_residency(&opt, 0, 16 * MiB - 1), 0);
	ck_assert_int_eq(rf__plan_io(&opt, 0, 16 * MiB - 1, -1, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_MMAP);
	ck_assert_int_eq(direct, 0);
	/* larger: sampled; mostly cached is mapped, cold is io_uring */
	ck_assert_int_eq(rf__plan_io_wants_residency(&opt, 0, 16 * MiB), 1);
	ck_assert_int_eq(rf__plan_io(&opt, 0, 100 * MiB, 80, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_MMAP);
	ck_assert_int_eq(rf__plan_io(&opt, 0, 100 * MiB, 50, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_MMAP);
	ck_assert_int_eq(rf__plan_io(&opt, 0, 100 * MiB, -1, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_MMAP);
	ck_assert_int_eq(rf__plan_io(&opt, 0, 100 * MiB, 10, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_URING);
	ck_assert_int_eq(direct, 0); /* fits in half of 8 GiB: through the page cache */
	ck_assert_int_eq(deep, 1);
	ck_assert_int_eq(rf__plan_io(&opt, 0, 100 * MiB, 10, 150 * MiB, 0, &direct, &deep, why, sizeof why), RF_IO_URING);
	ck_assert_int_eq(direct, 1);
	ck_assert_ptr_nonnull(strstr(why, "O_DIRECT"));
	/* under 64 MiB never O_DIRECT on its own, however small the RAM */
	ck_assert_int_eq(rf__plan_io(&opt, 0, 63 * MiB, 0, 32 * MiB, 0, &direct, &deep, why, sizeof why), RF_IO_URING);
	ck_assert_int_eq(direct, 0);
	/* --direct */
	opt.direct = 1;
	ck_assert_int_eq(rf__plan_io(&opt, 0, 63 * MiB, 0, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_URING);
	ck_assert_int_eq(direct, 1);
	/* --io=X is followed on files; uring samples the cache to know how
	 * many reads to keep in flight, unless --direct bypasses it */
	opt.io = RF_IO_URING;
	ck_assert_int_eq(rf__plan_io_wants_residency(&opt, 0, KiB), 0);
	ck_assert_int_eq(rf__plan_io(&opt, 0, KiB, -1, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_URING);
	ck_assert_int_eq(direct, 1);
	ck_assert_str_eq(why, "--io=uring");
	opt.direct = 0;
	ck_assert_int_eq(rf__plan_io_wants_residency(&opt, 0, KiB), 1);
	rf__plan_io(&opt, 0, KiB, 100, two.ram, 0, &direct, &deep, why, sizeof why);
	ck_assert_int_eq(deep, 0);
	rf__plan_io(&opt, 0, KiB, 0, two.ram, 0, &direct, &deep, why, sizeof why);
	ck_assert_int_eq(deep, 1);
	ck_assert_int_eq(direct, 0);
	opt.io = RF_IO_MMAP;
	ck_assert_int_eq(rf__plan_io(&opt, 0, 1024 * MiB, 0, 16 * MiB, 0, &direct, &deep, why, sizeof why), RF_IO_MMAP);
	ck_assert_str_eq(why, "--io=mmap");
	opt.io = RF_IO_READ;
	ck_assert_int_eq(rf__plan_io(&opt, 0, 1024 * MiB, 0, two.ram, 0, &direct, &deep, why, sizeof why), RF_IO_READ);
}
END_TEST

/* n regular files of `size` bytes, each sampled `pct`% in the page cache */
static struct rf_plan_input *sampled(int n, uint64_t size, int pct)
{
	regular(n, size);
	for (int i = 0; i < n; i++)
		files[i].sampled = 1, files[i].cached_pct = pct;
	return files;
}

/* "Mostly cold (64 MiB or more of named files, less than half of the
 * sampled bytes in the page cache): a scan runs serially, a query that
 * parses or filters in parallel mode, both reading with O_DIRECT; warm
 * data, or data not sampled, is planned as before" */
START_TEST(test_auto_cold)
{
	struct rf_plan_machine m = { .cpus = 2, .ram = 8192 * MiB, .avail = 6000 * MiB };
	/* a scan over a cold file: serial and O_DIRECT, fits in memory or not */
	struct rf_plan_query q = traits("grep ' 404 ' | count");
	static const uint64_t sizes[] = { 64 * MiB, 1024 * MiB, 20000 * MiB };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		rf__plan_mode(&opt, &q, sampled(1, sizes[i], 0), 1, &m, &p);
		ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
		ck_assert_int_eq(p.threads, 1);
		ck_assert(p.cold && p.direct);
		ck_assert_int_eq(p.cached_pct, 0);
		has("cold");
		has("the disk is the limit");
	}
	/* a cheap aggregate that would go to processes when warm */
	q = traits("count");
	rf__plan_mode(&opt, &q, sampled(1, 1024 * MiB, 49), 1, &m, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	has("49%");
	/* parses per record: parallel fed by O_DIRECT reads, also where a
	 * warm file would go to multiprocess */
	static const char *const heavy[] = { "parse combined | count, p99(bytes) by status, path", "split | count by $9",
					     "parse json | where a > 1 | count by b", "regex 'a+b' | count" };
	for (size_t i = 0; i < sizeof heavy / sizeof heavy[0]; i++) {
		q = traits(heavy[i]);
		rf__plan_mode(&opt, &q, sampled(1, 1024 * MiB, 10), 1, &m, &p);
		ck_assert_msg(p.mode == RF_MODE_PARALLEL, "%s: %s", heavy[i], p.reason);
		ck_assert_int_eq(p.threads, 2);
		ck_assert(p.cold && p.direct);
		has("cold");
		has("O_DIRECT");
		/* the same file warm: as before (multiprocess or parallel) */
		rf__plan_mode(&opt, &q, sampled(1, 1024 * MiB, 90), 1, &m, &p);
		ck_assert(!p.cold && !p.direct);
		ck_assert_int_eq(p.mode, q.cheap_merge ? RF_MODE_MULTIPROCESS : RF_MODE_PARALLEL);
		ck_assert_ptr_null(strstr(p.reason, "cold"));
		/* not sampled: as when warm */
		rf__plan_mode(&opt, &q, regular(1, 1024 * MiB), 1, &m, &p);
		ck_assert(!p.cold && !p.direct);
		ck_assert_int_eq(p.cached_pct, -1);
		ck_assert_int_eq(p.mode, q.cheap_merge ? RF_MODE_MULTIPROCESS : RF_MODE_PARALLEL);
	}
	/* one CPU: serial, the disk's speed is all there is */
	struct rf_plan_machine one = { .cpus = 1, .avail = 6000 * MiB };
	q = traits("parse combined | count by status");
	rf__plan_mode(&opt, &q, sampled(1, 1024 * MiB, 0), 1, &one, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	ck_assert(p.cold && p.direct);
	/* csv keeps its pipeline: each input's header; read with O_DIRECT */
	q = traits("parse csv | where a > 1 | count by b");
	rf__plan_mode(&opt, &q, sampled(1, 1024 * MiB, 0), 1, &m, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PIPELINE);
	ck_assert(p.cold && p.direct);
	/* many small files stay async (and are not sampled anyway) */
	q = traits("grep x");
	rf__plan_mode(&opt, &q, sampled(300, 256 * KiB, 0), 300, &m, &p);
	ck_assert_int_eq(p.mode, RF_MODE_ASYNC);
	ck_assert_int_eq(p.direct, 0);
	/* under 64 MiB in all: not the disk's, as before */
	q = traits("grep x");
	rf__plan_mode(&opt, &q, sampled(1, 64 * MiB - 1, 0), 1, &m, &p);
	ck_assert(!p.cold && !p.direct);
	q = traits("parse combined | count by status");
	rf__plan_mode(&opt, &q, sampled(1, 63 * MiB, 0), 1, &m, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PARALLEL);
	ck_assert(!p.cold && !p.direct);
	/* weighed by bytes: one big cold file and a small warm one is cold,
	 * a big warm one and a small cold one is not */
	q = traits("grep x");
	sampled(2, 1000 * MiB, 0);
	files[1].size = 100 * MiB, files[1].cached_pct = 100;
	rf__plan_mode(&opt, &q, files, 2, &m, &p);
	ck_assert(p.cold);
	ck_assert_int_eq(p.cached_pct, 9);
	files[0].cached_pct = 100, files[1].cached_pct = 0;
	rf__plan_mode(&opt, &q, files, 2, &m, &p);
	ck_assert(!p.cold);
	ck_assert_int_eq(p.cached_pct, 91);
	/* less than half of the bytes sampled: not known to be cold */
	sampled(2, 100 * MiB, 0);
	files[1].size = 101 * MiB, files[1].sampled = 0;
	rf__plan_mode(&opt, &q, files, 2, &m, &p);
	ck_assert(!p.cold);
	/* a pipe among them: not files only */
	sampled(2, 1000 * MiB, 0);
	files[1].kind = RF_INPUT_STREAM;
	rf__plan_mode(&opt, &q, files, 2, &m, &p);
	ck_assert(!p.cold && !p.direct);
	/* a mode asked for is followed, and reads as the backend's rule says */
	opt.mode = RF_MODE_MULTIPROCESS;
	q = traits("split | count by $9");
	rf__plan_mode(&opt, &q, sampled(1, 1024 * MiB, 0), 1, &m, &p);
	ck_assert_int_eq(p.mode, RF_MODE_MULTIPROCESS);
	ck_assert_int_eq(p.direct, 0);
	opt.mode = RF_MODE_AUTO;
	/* head, --strict: serial as always, no O_DIRECT asked for */
	q = traits("head 10");
	rf__plan_mode(&opt, &q, sampled(1, 1024 * MiB, 0), 1, &m, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	ck_assert_int_eq(p.direct, 0);
}
END_TEST

/* The plan's sample reaches the backend: a cold file the plan asks O_DIRECT
 * for is read so whatever its size against memory; the page cache's room
 * is MemAvailable (half of it "fits comfortably") */
START_TEST(test_backend_plan_direct)
{
	char why[160];
	int direct, deep;
	ck_assert_int_eq(rf__plan_io(&opt, 0, 1024 * MiB, 5, 6000 * MiB, 1, &direct, &deep, why, sizeof why), RF_IO_URING);
	ck_assert(direct && deep);
	ck_assert_ptr_nonnull(strstr(why, "O_DIRECT"));
	ck_assert_ptr_nonnull(strstr(why, "5%"));
	/* without the plan's word: buffered when it fits in half of MemAvailable */
	rf__plan_io(&opt, 0, 1024 * MiB, 5, 6000 * MiB, 0, &direct, &deep, why, sizeof why);
	ck_assert_int_eq(direct, 0);
	rf__plan_io(&opt, 0, 3001 * MiB, 5, 6000 * MiB, 0, &direct, &deep, why, sizeof why);
	ck_assert_int_eq(direct, 1);
	ck_assert_ptr_nonnull(strstr(why, "memory available"));
	/* warm by the time it is read: mapped, the plan's word notwithstanding */
	ck_assert_int_eq(rf__plan_io(&opt, 0, 1024 * MiB, 80, 6000 * MiB, 1, &direct, &deep, why, sizeof why), RF_IO_MMAP);
	ck_assert_int_eq(direct, 0);
	/* --io=X is followed */
	opt.io = RF_IO_MMAP;
	ck_assert_int_eq(rf__plan_io(&opt, 0, 1024 * MiB, 0, 6000 * MiB, 1, &direct, &deep, why, sizeof why), RF_IO_MMAP);
	ck_assert_int_eq(direct, 0);
	/* what the plan samples: files of 16 MiB or more, in auto mode or
	 * when the backend's rule needs it */
	opt.io = RF_IO_AUTO;
	ck_assert_int_eq(rf__plan_wants_sample(&opt, 16 * MiB), 1);
	ck_assert_int_eq(rf__plan_wants_sample(&opt, 16 * MiB - 1), 0);
	opt.mode = RF_MODE_SERIAL;
	ck_assert_int_eq(rf__plan_wants_sample(&opt, 100 * MiB), 1); /* the backend's rule */
	opt.io = RF_IO_MMAP;
	ck_assert_int_eq(rf__plan_wants_sample(&opt, 100 * MiB), 0);
	opt.io = RF_IO_URING;
	ck_assert_int_eq(rf__plan_wants_sample(&opt, 100 * MiB), 1);
	opt.direct = 1;
	ck_assert_int_eq(rf__plan_wants_sample(&opt, 100 * MiB), 0);
}
END_TEST

/* Placement (ringflow(1), --numa): workers of parallel and multiprocess
 * mode spread across nodes, a pipeline's threads kept together on one,
 * serial and async one thread */
/* Compressed files: one is decoded by its own thread (multiprocess could
 * not cut it), several go whole to multiprocess workers for an aggregate
 * with small partial states; a query that needs threads or order does not. */
START_TEST(test_auto_compressed)
{
	struct rf_plan_query q = traits("split | count by $9");
	/* one 200 MiB .gz: serial on two CPUs, where multiprocess was chosen for plain */
	ck_assert_int_eq(files_mode(&q, 1, 200 * MiB, &two), RF_MODE_MULTIPROCESS);
	regular(1, 200 * MiB)[0].codec = 1;
	rf__plan_mode(&opt, &q, files, 1, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	has("1 compressed input");
	/* on 4 CPUs a heavy query gets workers beside the decoder */
	struct rf_plan_machine four = { .cpus = 4 };
	rf__plan_mode(&opt, &q, files, 1, &four, &p);
	ck_assert_int_eq(p.mode, RF_MODE_PARALLEL);
	/* 14 generations of 12 MiB: multiprocess, every CPU */
	regular(14, 12 * MiB);
	for (int i = 0; i < 14; i++)
		files[i].codec = i % 2 ? 1 : 2;
	rf__plan_mode(&opt, &q, files, 14, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_MULTIPROCESS);
	ck_assert_int_eq(p.threads, 2);
	has("14 compressed files");
	/* two tiny ones: not worth the workers */
	regular(2, 1 * MiB)[0].codec = 1;
	files[1].codec = 1;
	rf__plan_mode(&opt, &q, files, 2, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	/* line output or a quantile over many: serial, one file after another */
	q = traits("grep \"x\"");
	regular(14, 12 * MiB);
	for (int i = 0; i < 14; i++)
		files[i].codec = 1;
	rf__plan_mode(&opt, &q, files, 14, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
	q = traits("split | count, p99($10) by $9");
	rf__plan_mode(&opt, &q, files, 14, &two, &p);
	ck_assert_int_eq(p.mode, RF_MODE_SERIAL);
}
END_TEST

START_TEST(test_placement_shape)
{
	int n;
	ck_assert_int_eq(rf__plan_place_shape(RF_MODE_SERIAL, 1, &n), RF_PLACE_ONE);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(rf__plan_place_shape(RF_MODE_ASYNC, 1, &n), RF_PLACE_ONE);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(rf__plan_place_shape(RF_MODE_PARALLEL, 6, &n), RF_PLACE_SPREAD);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(rf__plan_place_shape(RF_MODE_MULTIPROCESS, 3, &n), RF_PLACE_SPREAD);
	ck_assert_int_eq(n, 3);
	/* a pipeline of parse, where, count: three stage threads and the reader */
	struct rf_plan_query q = traits("parse json | where a > 1 | count by b");
	struct rf_plan_input pipe = { .kind = RF_INPUT_STREAM };
	rf__plan_mode(&opt, &q, &pipe, 1, &two, &p);
	ck_assert_int_eq(rf__plan_place_shape(p.mode, p.threads, &n), RF_PLACE_CHAIN);
	ck_assert_int_eq(n, 4);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("made-up inputs");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_query_traits);
	tcase_add_test(tc, test_auto_many_small_files);
	tcase_add_test(tc, test_auto_multiprocess);
	tcase_add_test(tc, test_embedding);
	tcase_add_test(tc, test_auto_parallel_pipeline_serial);
	tcase_add_test(tc, test_serial_needed);
	tcase_add_test(tc, test_forced_modes);
	tcase_add_test(tc, test_address_space_limit);
	tcase_add_test(tc, test_backend);
	tcase_add_test(tc, test_auto_cold);
	tcase_add_test(tc, test_backend_plan_direct);
	tcase_add_test(tc, test_placement_shape);
	tcase_add_test(tc, test_auto_compressed);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
