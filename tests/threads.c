/* SPDX-License-Identifier: MIT */
/* threads.c - runs of the library from several threads at once, as an
 * embedder makes them: four threads, each with a query of its own in a
 * mode of its own (serial, parallel, pipeline, async), round after round,
 * against what the same call gave when it ran alone.  Built with
 * ThreadSanitizer (./configure --enable-sanitizers=thread) it is the check
 * that concurrent runs share nothing unguarded; built normally it is a
 * functional test of the same.
 *
 *   tests/threads [--rounds N] DIR
 *   tests/threads --dump DIR      job 0's query on a line, then its result
 *                                 as the CLI's --format=tsv prints it
 *
 * DIR holds the inputs tests/threads.sh makes: a.log (combined), a.json,
 * a.csv, a.syslog and small/ (many small combined logs).  The queries are
 * parsed by the main thread; then the four threads
 *   1. run each query at once, in four modes, before anything else ran in
 *      the process (what the library sets up on first use is set up by
 *      four runs at once); then thread 0 runs each alone, the oracle;
 *   2. for N rounds each parse a query (concurrent rf_query_parse, while
 *      thread 0 registers a stage) and run it, at a SIMD level and through
 *      an I/O backend of their own;
 *   3. for N rounds each run one of the main thread's queries.
 * Exit status 0, 1 when a result differs (said on stderr), 2 for bad
 * arguments or inputs the runs alone fail on. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ringflow.h"

#define NTHREADS 4
#define NJOBS 8
#define MAX_SMALL 64

/* One query with its options.  Jobs j and j + 4 run in the same mode, so
 * that every round has the four modes at once. */
struct job {
	const char *name;
	const char *query;
	const char *file;     /* in DIR; NULL: the files of small/ */
	enum rf_mode mode;
	int threads;
	int buffer;           /* the file handed over as a memory buffer */
	const char *tz, *since, *until;
	enum rf_regex_engine engine;
};

static struct job jobs[NJOBS] = {
	{ .name = "status", .mode = RF_MODE_SERIAL, .file = "a.log",
	  .query = "parse combined | where status >= 400 | count, p99(bytes), avg(bytes), sum(bytes) by status, method" },
	{ .name = "regex-tz", .mode = RF_MODE_PARALLEL, .threads = 2, .file = "a.json", .tz = "Europe/Berlin",
	  .query = "parse json | regex \"/(api|blog)/[0-9]+\" | count, p99(duration) by hour, method" },
	{ .name = "csv", .mode = RF_MODE_PIPELINE, .file = "a.csv",
	  .query = "parse csv | where status >= 500 | count, p99(duration), distinct(ip) by method" },
	{ .name = "range", .mode = RF_MODE_ASYNC, .tz = "+05:30", .since = "2026-11-01 05:35",
	  .until = "2026-11-01 05:45:30",
	  .query = "parse combined | grep -i \"mozilla\" | count, max(bytes) by minute, status" },
	{ .name = "syslog", .mode = RF_MODE_SERIAL, .file = "a.syslog",
	  .query = "parse syslog | eval t = time(timestamp) | where t >= time(\"2026-11-01T00:20:00Z\") "
		   "| count by hostname, minute | sort count desc | head 20" },
	{ .name = "select", .mode = RF_MODE_PARALLEL, .threads = 2, .file = "a.json",
	  .query = "parse json | where status == 404 and bytes > 1000 | select path, ip, bytes | head 300" },
	{ .name = "custom", .mode = RF_MODE_PIPELINE, .file = "a.log", .buffer = 1,
	  .query = "parse combined | only method POST | count by status, day" },
	{ .name = "split", .mode = RF_MODE_ASYNC, .query = "split | grep \"HTTP/1.1\" | count, sum($10) by $9" },
};

static const char *dir;
static char *small[MAX_SMALL];
static int nsmall;
static char *buffer_data;      /* a.log, read once, shared by the buffer runs */
static size_t buffer_len;
static char *want[NJOBS];      /* each job's result, run alone */
static rf_query *parsed[NJOBS]; /* the main thread's, for rounds 2 and 3 */
static int rounds = 3;
static pthread_barrier_t start_line;
static pthread_mutex_t say_lock = PTHREAD_MUTEX_INITIALIZER;
static int failures;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&say_lock);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&say_lock);
}

static void failed(void)
{
	pthread_mutex_lock(&say_lock);
	failures++;
	pthread_mutex_unlock(&say_lock);
}

/* ---- the custom stage: `only FIELD VALUE` ------------------------------ */

struct only {
	int field;
	char value[64];
	size_t len;
};

static int only_open(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
		     size_t errlen)
{
	if (argc != 2 || strlen(argv[1]) >= sizeof ((struct only *)0)->value) {
		snprintf(err, errlen, "needs a FIELD and a short VALUE");
		return -EINVAL;
	}
	struct only *o = calloc(1, sizeof *o);
	if (!o)
		return -ENOMEM;
	o->len = strlen(argv[1]);
	memcpy(o->value, argv[1], o->len);
	if ((o->field = rf_stage_read(setup, argv[0])) < 0) {
		int r = o->field;
		free(o);
		snprintf(err, errlen, "no field '%s'", argv[0]);
		return r;
	}
	*state = o;
	return 0;
}

static int only_process(void *state, rf_stage_batch *batch)
{
	const struct only *o = state;
	for (size_t i = 0, n = rf_stage_records(batch); i < n; i++) {
		const char *p;
		size_t len;
		if (rf_stage_field(batch, i, o->field, &p, &len) < 0 || len != o->len || memcmp(p, o->value, len))
			rf_stage_drop(batch, i);
	}
	return 0;
}

static void only_close(void *state)
{
	free(state);
}

/* Registered under a new name each round while the others parse and run;
 * the names live as long as the process, as rf_register_stage asks. */
static struct rf_stage_def stage_defs[1 + 16];
static char stage_names[1 + 16][24];

static int register_only(int i, char *err, size_t errlen)
{
	if (i == 0)
		snprintf(stage_names[i], sizeof stage_names[i], "only");
	else
		snprintf(stage_names[i], sizeof stage_names[i], "only_%d", i);
	stage_defs[i] = (struct rf_stage_def){
		.size = sizeof(struct rf_stage_def),
		.abi_version = RF_STAGE_ABI_VERSION,
		.name = stage_names[i],
		.usage = "only FIELD VALUE",
		.open = only_open,
		.process = only_process,
		.close = only_close,
	};
	return rf_register_stage(&stage_defs[i], err, errlen);
}

/* ---- a result as text ---------------------------------------------------- */

struct text {
	char *p;
	size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if (t->p && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap <= t->len + (size_t)n)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (!p)
			abort();
		t->p = p;
		t->cap = cap;
	}
}

/* The shortest %g that reads back as the same double (as the CLI prints) */
static void add_float(struct text *t, double d)
{
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	add(t, "%s", buf);
}

/* Header and rows, tab-separated; with typed, each cell with its type
 * (the comparison), else as --format=tsv prints it (--dump, for a query
 * of integers, floats and strings only). */
static char *result_text(const rf_result *res, int typed)
{
	struct text t = { 0 };
	for (int c = 0; c < rf_result_cols(res); c++)
		add(&t, "%s%s", c ? "\t" : "", rf_result_col_name(res, c));
	add(&t, "\n");
	for (size_t row = 0; row < rf_result_rows(res); row++) {
		for (int c = 0; c < rf_result_cols(res); c++) {
			enum rf_type type = rf_result_type(res, row, c);
			size_t len = 0;
			const char *s;
			if (c)
				add(&t, "\t");
			if (typed)
				add(&t, "%d:", (int)type);
			switch (type) {
			case RF_TYPE_INT:
				add(&t, "%" PRId64, rf_result_int(res, row, c));
				break;
			case RF_TYPE_TIME:
				add(&t, "%" PRId64, rf_result_time(res, row, c));
				break;
			case RF_TYPE_FLOAT:
				add_float(&t, rf_result_float(res, row, c));
				break;
			case RF_TYPE_STRING:
			case RF_TYPE_BIGINT:
				s = rf_result_string(res, row, c, &len);
				add(&t, "%.*s", (int)len, s);
				break;
			default:
				break;
			}
		}
		add(&t, "\n");
	}
	return t.p;
}

/* ---- one run --------------------------------------------------------------- */

struct errors {
	char first[256];
	int n;
};

static void on_error(void *user, const char *input, int err, const char *message)
{
	struct errors *e = user;
	if (!e->n++)
		snprintf(e->first, sizeof e->first, "%s: %s", input ? input : "-", message);
}

static char *path_in(const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (!p)
		abort();
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* How a run is made besides its job: the mode, the SIMD level and the I/O
 * backend. */
struct how {
	enum rf_mode mode;
	enum rf_simd simd;
	enum rf_io io;
};

/* Run job j's query q and return its result as text; NULL, said, if the
 * run failed. */
static char *run_job(int j, const rf_query *q, struct how how)
{
	const struct job *jb = &jobs[j];
	struct rf_options opt;
	rf_options_init(&opt);
	struct errors errs = { .n = 0 };
	opt.mode = how.mode;
	opt.simd = how.simd;
	opt.io = how.io;
	/* mapped files need the handler, which the runs at once install
	 * once; the others run without it, as an embedder's do */
	opt.catch_sigbus = how.io == RF_IO_MMAP || how.io == RF_IO_AUTO;
	opt.threads = jb->threads;
	opt.tz = jb->tz;
	opt.since = jb->since;
	opt.until = jb->until;
	opt.regex_engine = jb->engine;
	opt.on_error = on_error;
	opt.error_user = &errs;
	/* small buffers: the inputs are a few MB, and parallel and pipeline
	 * mode should have many batches in flight */
	opt.memory = 8 << 20;
	opt.buffer_size = 128 << 10;
	opt.out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct rf_input in[MAX_SMALL];
	int nin = 0;
	char *path = NULL;
	if (jb->file) {
		path = path_in(jb->file);
		in[0] = (struct rf_input){ .size = sizeof in[0], .kind = RF_INPUT_PATH, .path = path };
		if (jb->buffer) {
			in[0].kind = RF_INPUT_BUFFER;
			in[0].data = buffer_data;
			in[0].len = buffer_len;
		}
		nin = 1;
	} else {
		for (; nin < nsmall; nin++)
			in[nin] = (struct rf_input){ .size = sizeof in[nin], .kind = RF_INPUT_PATH, .path = small[nin] };
	}
	struct rf_report rep;
	rf_report_init(&rep);
	rf_result *res = NULL;
	int r = rf_run_result(q, in, nin, &opt, &rep, &res);
	char *text = NULL;
	if (r != 0 || !res)
		say("%s (%s): rf_run_result gave %d (%s)%s%s\n", jb->name, rf_mode_name(how.mode), r,
		    r < 0 ? rf_strerror(r) : "an input failed", errs.n ? ": " : "", errs.first);
	else if (rep.records == 0)
		say("%s (%s): the report says no records were read\n", jb->name, rf_mode_name(how.mode));
	else
		text = result_text(res, 1);
	rf_result_free(res);
	if (opt.out_fd >= 0)
		close(opt.out_fd);
	free(path);
	return text;
}

static void compare(int j, struct how how, const char *what, char *got)
{
	if (!got) {
		failed();
		return;
	}
	if (strcmp(got, want[j]) != 0) {
		size_t at = 0;
		while (got[at] == want[j][at])
			at++;
		say("%s (%s, simd %s, io %s, %s): the result differs from the run alone at byte %zu:\n"
		    "  got  %.60s\n  want %.60s\n",
		    jobs[j].name, rf_mode_name(how.mode), rf_simd_name(how.simd), rf_io_name(how.io), what, at,
		    got + at, want[j] + at);
		failed();
	}
	free(got);
}

/* Each job alone, in its own mode: the oracle of the runs from the threads.
 * -1, said, when one failed or gave no rows (the inputs are wrong). */
static int run_alone(void)
{
	for (int j = 0; j < NJOBS; j++) {
		struct how how = { .mode = jobs[j].mode };
		if (!(want[j] = run_job(j, parsed[j], how)))
			return -1;
		/* a result of a header alone would prove little */
		if (!strchr(want[j], '\n')[1]) {
			say("%s: no rows: the inputs are not what the test expects\n", jobs[j].name);
			return -1;
		}
	}
	return 0;
}

/* ---- the threads --------------------------------------------------------- */

/* Which job thread t runs in round r: the four modes at once (jobs j and
 * j + 4 share a mode), each thread another job every round. */
static int job_of(int t, int r)
{
	return (t + r) % 4 + 4 * (r % 2);
}

static int broken; /* the runs alone failed: the threads stop */

static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	static const enum rf_mode modes[NTHREADS] = { RF_MODE_SERIAL, RF_MODE_PARALLEL, RF_MODE_PIPELINE,
						      RF_MODE_ASYNC };
	static const enum rf_io ios[NTHREADS] = { RF_IO_AUTO, RF_IO_READ, RF_IO_MMAP, RF_IO_URING };
	enum rf_simd simds[NTHREADS] = { RF_SIMD_AUTO, RF_SIMD_SCALAR, RF_SIMD_SSE2, RF_SIMD_AVX2 };
	if (rf_simd_best() < RF_SIMD_AVX2)
		simds[3] = RF_SIMD_AUTO;
	/* 1: before anything ran in this process (what the library sets up
	 * on first use is set up by four runs at once): one query, shared,
	 * run by the four at once in four modes (every mode gives the same
	 * result); compared once the oracle is there */
	char *cold[NJOBS];
	for (int j = 0; j < NJOBS; j++) {
		pthread_barrier_wait(&start_line);
		cold[j] = run_job(j, parsed[j], (struct how){ .mode = modes[t] });
	}
	pthread_barrier_wait(&start_line);
	if (t == 0 && run_alone() < 0)
		broken = 1;
	pthread_barrier_wait(&start_line);
	for (int j = 0; j < NJOBS; j++) {
		if (broken)
			free(cold[j]);
		else
			compare(j, (struct how){ .mode = modes[t] }, "one query shared by four runs, first runs",
				cold[j]);
	}
	if (broken)
		return NULL;
	/* 2: parsed here, while the others parse theirs (and one thread
	 * registers a stage), at another SIMD level and through another I/O
	 * backend in each thread */
	for (int r = 0; r < rounds; r++) {
		int j = job_of(t, r);
		struct how how = { .mode = jobs[j].mode, .simd = simds[t], .io = ios[t] };
		pthread_barrier_wait(&start_line);
		if (t == 0 && r < 16) {
			char err[256];
			if (register_only(1 + r, err, sizeof err) < 0) {
				say("rf_register_stage only_%d: %s\n", 1 + r, err);
				failed();
			}
		}
		rf_query *q;
		struct rf_query_error qe;
		if (rf_query_parse(jobs[j].query, &q, &qe) < 0) {
			say("%s: rf_query_parse: column %d: %s\n", jobs[j].name, qe.column, qe.message);
			failed();
			continue;
		}
		compare(j, how, "parsed in its thread", run_job(j, q, how));
		rf_query_free(q);
	}
	/* 3: the main thread's queries, in their own modes */
	for (int r = 0; r < rounds; r++) {
		int j = job_of(t, r + 1);
		pthread_barrier_wait(&start_line);
		compare(j, (struct how){ .mode = jobs[j].mode }, "parsed in the main thread",
			run_job(j, parsed[j], (struct how){ .mode = jobs[j].mode }));
	}
	return NULL;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_small(void)
{
	char *sub = path_in("small");
	DIR *d = opendir(sub);
	if (!d) {
		perror(sub);
		free(sub);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)) && nsmall < MAX_SMALL) {
		if (e->d_name[0] == '.')
			continue;
		size_t n = strlen(sub) + strlen(e->d_name) + 2;
		if (!(small[nsmall] = malloc(n)))
			abort();
		snprintf(small[nsmall++], n, "%s/%s", sub, e->d_name);
	}
	closedir(d);
	free(sub);
	qsort(small, (size_t)nsmall, sizeof small[0], cmp_names);
	return nsmall ? 0 : -1;
}

static int read_buffer(void)
{
	char *path = path_in("a.log");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int r = -1;
	if (fd >= 0 && fstat(fd, &st) == 0 && (buffer_data = malloc((size_t)st.st_size + 1))) {
		buffer_len = (size_t)st.st_size;
		r = read(fd, buffer_data, buffer_len) == (ssize_t)buffer_len ? 0 : -1;
	}
	if (r < 0)
		perror(path);
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

int main(int argc, char **argv)
{
	int a = 1, dump = 0;
	for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
		if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc)
			rounds = atoi(argv[++a]);
		else if (strcmp(argv[a], "--dump") == 0)
			dump = 1;
		else
			break;
	}
	if (a != argc - 1 || rounds < 1) {
		fprintf(stderr, "usage: %s [--rounds N] [--dump] DIR\n", argv[0]);
		return 2;
	}
	dir = argv[a];
	if (read_small() < 0 || read_buffer() < 0)
		return 2;
	char err[256];
	if (register_only(0, err, sizeof err) < 0) {
		fprintf(stderr, "rf_register_stage: %s\n", err);
		return 2;
	}
	/* Hyperscan where this build has it: its scratch is per run */
	enum rf_regex_engine engine = rf_check_regex_engine(RF_REGEX_HYPERSCAN, err, sizeof err) == 0
					      ? RF_REGEX_HYPERSCAN : RF_REGEX_AUTO;
	jobs[1].engine = jobs[3].engine = engine;

	/* parsed here, run in the threads */
	for (int j = 0; j < NJOBS; j++) {
		struct rf_query_error qe;
		if (rf_query_parse(jobs[j].query, &parsed[j], &qe) < 0) {
			fprintf(stderr, "%s: rf_query_parse: column %d: %s\n", jobs[j].name, qe.column, qe.message);
			return 2;
		}
	}
	if (dump) {
		rf_result *res;
		struct rf_options opt;
		rf_options_init(&opt);
		char *path = path_in(jobs[0].file);
		struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_PATH, .path = path };
		int r = rf_run_result(parsed[0], &in, 1, &opt, NULL, &res);
		if (r != 0 || !res)
			return 2;
		char *text = result_text(res, 0);
		printf("%s\n%s", jobs[0].query, text);
		free(text);
		free(path);
		rf_result_free(res);
		return 0;
	}

	pthread_t th[NTHREADS];
	pthread_barrier_init(&start_line, NULL, NTHREADS);
	for (int t = 0; t < NTHREADS; t++)
		if ((errno = pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t))) {
			perror("pthread_create");
			return 2;
		}
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&start_line);
	if (broken)
		return 2;

	/* the stages registered meanwhile are usable */
	for (int i = 1; i <= rounds && i <= 16; i++) {
		char text[64];
		rf_query *q;
		struct rf_query_error qe;
		snprintf(text, sizeof text, "parse combined | %s method GET | count", stage_names[i]);
		if (rf_query_parse(text, &q, &qe) < 0) {
			fprintf(stderr, "%s: %s\n", text, qe.message);
			failures++;
		} else {
			rf_query_free(q);
		}
	}
	for (int j = 0; j < NJOBS; j++) {
		rf_query_free(parsed[j]);
		free(want[j]);
	}
	for (int i = 0; i < nsmall; i++)
		free(small[i]);
	free(buffer_data);
	printf("%d threads, %d jobs, 2 x %d rounds: %d failures\n", NTHREADS, NJOBS, rounds, failures);
	return failures ? 1 : 0;
}
