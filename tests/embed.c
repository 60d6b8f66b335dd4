/* SPDX-License-Identifier: MIT */
/* embed.c - libringflow's embedding rules seen from a program that uses
 * it (the public header only), for tests/embed.sh:
 *
 *   embed fork ALLOW FILE...   count over the files in auto mode: the mode,
 *                              and the forks made (a pthread_atfork count);
 *                              the result on stdout, as --format=tsv
 *   embed sigbus FILE          the SIGBUS disposition before and after a
 *                              run; io=mmap without catch_sigbus; with it
 *   embed cancel LINES         two runs on pipes in two threads, one
 *                              cancelled by its token; rf_cancel() with
 *                              one run going, then a run after it
 *   embed mpcancel FILE        a multiprocess run over FILE cancelled by
 *                              its token: status, time taken, workers left
 *   embed messages MISSING BAD the messages of a run, with their severity;
 *                              and on_error's as before on_message
 *
 * Each prints what it saw, one "key=value" a line; embed.sh checks them
 * against its own oracles (wc -l, the CLI). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <ringflow.h>

static int forks;
static void count_fork(void)
{
	__atomic_fetch_add(&forks, 1, __ATOMIC_RELAXED);
}

static rf_query *parse(const char *text)
{
	rf_query *q;
	struct rf_query_error qe;
	if (rf_query_parse(text, &q, &qe) < 0) {
		fprintf(stderr, "embed: %s: %s\n", text, qe.message);
		exit(99);
	}
	return q;
}

static int do_fork(int allow, char **files, int n)
{
	pthread_atfork(count_fork, NULL, NULL);
	rf_query *q = parse("count");
	struct rf_options opt;
	rf_options_init(&opt);
	opt.allow_fork = allow;
	opt.format = RF_OUT_TSV;
	struct rf_report rep;
	rf_report_init(&rep);
	int r = rf_run(q, (const char *const *)files, n, &opt, &rep);
	fprintf(stderr, "status=%d\nmode=%s\nforks=%d\nreason=%s\n", r, rf_mode_name(rep.mode), forks,
		rep.mode_reason);
	rf_query_free(q);
	return r == 0 ? 0 : 1;
}

static int same_action(const struct sigaction *a, const struct sigaction *b)
{
	return a->sa_handler == b->sa_handler && a->sa_flags == b->sa_flags;
}

static char last_msg[512];
static int last_err;
static void keep_message(void *user, enum rf_severity sev, const char *input, int err, const char *msg)
{
	(void)user;
	(void)sev;
	(void)input;
	last_err = err;
	snprintf(last_msg, sizeof last_msg, "%s", msg);
}

static int do_sigbus(const char *file)
{
	struct sigaction before, after;
	sigaction(SIGBUS, NULL, &before);
	rf_query *q = parse("count");
	struct rf_options opt;
	rf_options_init(&opt);
	opt.out_fd = open("/dev/null", O_WRONLY);
	opt.on_message = keep_message;
	struct rf_report rep;
	rf_report_init(&rep);
	const char *files[] = { file };
	int r = rf_run(q, files, 1, &opt, &rep);
	sigaction(SIGBUS, NULL, &after);
	printf("auto_status=%d\nauto_read=%d\nauto_mmap=%d\nio_reason=%s\nunchanged=%d\n", r,
	       rep.io_used[RF_IO_READ], rep.io_used[RF_IO_MMAP], rep.io_reason, same_action(&before, &after));
	/* io=mmap without the handler: refused, with a message */
	opt.io = RF_IO_MMAP;
	rf_report_init(&rep);
	r = rf_run(q, files, 1, &opt, &rep);
	sigaction(SIGBUS, NULL, &after);
	printf("mmap_status=%d\nmmap_message=%s\nunchanged_after_refusal=%d\n", r, last_msg,
	       same_action(&before, &after));
	/* asked for: mapped, and the handler is there */
	opt.catch_sigbus = 1;
	rf_report_init(&rep);
	r = rf_run(q, files, 1, &opt, &rep);
	sigaction(SIGBUS, NULL, &after);
	printf("asked_status=%d\nasked_mmap=%d\nunchanged_when_asked=%d\n", r, rep.io_used[RF_IO_MMAP],
	       same_action(&before, &after));
	rf_query_free(q);
	return 0;
}

/* ---- cancel ---- */

struct piped {
	rf_query *q;
	int in_fd, out_fd;
	rf_cancel_token *token;
	int status;
};

static void *run_piped(void *arg)
{
	struct piped *p = arg;
	struct rf_options opt;
	rf_options_init(&opt);
	opt.out_fd = p->out_fd;
	opt.format = RF_OUT_TABLE; /* a lone number, bare */
	opt.cancel = p->token;
	struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_FD, .fd = p->in_fd };
	p->status = rf_run_inputs(p->q, &in, 1, &opt, NULL, NULL);
	return NULL;
}

static void write_lines(int fd, int n)
{
	for (int i = 0; i < n; i++) {
		char line[64];
		int len = snprintf(line, sizeof line, "line %d of the pipe\n", i);
		if (write(fd, line, (size_t)len) != len)
			exit(99);
	}
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* The count a run wrote to fd (a memfd-like temporary file). */
static long count_written(int fd)
{
	char buf[64] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int temp_fd(void)
{
	char path[] = "/tmp/embed.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		exit(99);
	unlink(path);
	return fd;
}

static int do_cancel(int lines)
{
	rf_query *q = parse("count");
	int pa[2], pb[2];
	if (pipe(pa) < 0 || pipe(pb) < 0)
		return 99;
	struct piped a = { q, pa[0], temp_fd(), NULL, 0 }, b = { q, pb[0], temp_fd(), NULL, 0 };
	if (rf_cancel_token_new(&a.token) < 0)
		return 99;
	pthread_t ta, tb;
	pthread_create(&ta, NULL, run_piped, &a);
	pthread_create(&tb, NULL, run_piped, &b);
	/* both wait on quiet pipes; a's writer stays open: only its token
	 * can end it */
	write_lines(pa[1], 10);
	write_lines(pb[1], lines / 2);
	nap_ms(200);
	rf_cancel_token_fire(a.token);
	pthread_join(ta, NULL);
	nap_ms(100);
	write_lines(pb[1], lines - lines / 2);
	close(pb[1]);
	pthread_join(tb, NULL);
	printf("a_status=%d\nb_status=%d\nb_count=%ld\ntoken_fired=%d\n", a.status, b.status, count_written(b.out_fd),
	       rf_cancel_token_fired(a.token));
	close(pa[1]);
	/* rf_cancel() with a run going: it stops; the next run does not */
	int pc[2];
	if (pipe(pc) < 0)
		return 99;
	struct piped c = { q, pc[0], temp_fd(), NULL, 0 };
	pthread_t tc;
	pthread_create(&tc, NULL, run_piped, &c);
	write_lines(pc[1], 5);
	nap_ms(200);
	rf_cancel();
	pthread_join(tc, NULL);
	close(pc[1]);
	int pd[2];
	if (pipe(pd) < 0)
		return 99;
	struct piped d = { q, pd[0], temp_fd(), NULL, 0 };
	write_lines(pd[1], lines);
	close(pd[1]);
	run_piped(&d);
	printf("c_status=%d\nafter_status=%d\nafter_count=%ld\n", c.status, d.status, count_written(d.out_fd));
	rf_cancel_token_free(a.token);
	rf_query_free(q);
	return 0;
}

/* A multiprocess run cancelled by its token while its workers read: the
 * workers are forked copies that cannot see the token, so the run itself
 * must stop them.  Prints the status, the milliseconds from the token to
 * the return, and whether a worker was left (a child not reaped). */
struct mp_run {
	const char *file;
	rf_cancel_token *token;
	int status;
};

static void *run_mp(void *arg)
{
	struct mp_run *m = arg;
	rf_query *q = parse("count");
	struct rf_options opt;
	rf_options_init(&opt);
	opt.allow_fork = 1;
	opt.mode = RF_MODE_MULTIPROCESS;
	opt.threads = 2;
	opt.cancel = m->token;
	opt.out_fd = temp_fd();
	const char *files[] = { m->file };
	m->status = rf_run(q, files, 1, &opt, NULL);
	close(opt.out_fd);
	rf_query_free(q);
	return NULL;
}

static int do_mpcancel(const char *file)
{
	struct mp_run m = { file, NULL, 0 };
	if (rf_cancel_token_new(&m.token) < 0)
		return 99;
	pthread_t t;
	pthread_create(&t, NULL, run_mp, &m);
	nap_ms(300);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	rf_cancel_token_fire(m.token);
	pthread_join(t, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	int left = waitpid(-1, NULL, WNOHANG) > 0;
	printf("mp_status=%d\nmp_ms=%ld\nmp_left=%d\n", m.status, ms, left);
	rf_cancel_token_free(m.token);
	return 0;
}

/* ---- messages ---- */

static void print_message(void *user, enum rf_severity sev, const char *input, int err, const char *msg)
{
	(void)user;
	static const char *const names[] = { "ERROR", "WARNING", "NOTE" };
	printf("%s\t%s\t%d\t%s\n", names[sev], input, err, msg);
}

static void print_error(void *user, const char *input, int err, const char *msg)
{
	(void)user;
	printf("ON_ERROR\t%s\t%d\t%s\n", input, err, msg);
}

/* A stage whose open() works when the query is parsed and fails in the
 * run: its message must reach the program as text. */
static int flaky_opens;
static int flaky_open(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
		      size_t errlen)
{
	(void)setup, (void)argc, (void)argv;
	*state = NULL;
	if (flaky_opens++ == 0)
		return 0;
	snprintf(err, errlen, "the second open fails");
	return -EINVAL;
}

static int flaky_process(void *state, rf_stage_batch *batch)
{
	(void)state, (void)batch;
	return 0;
}

static const struct rf_stage_def flaky = {
	.size = sizeof flaky,
	.abi_version = RF_STAGE_ABI_VERSION,
	.name = "flaky",
	.usage = "flaky",
	.open = flaky_open,
	.process = flaky_process,
};

static int do_messages(const char *missing, const char *bad)
{
	rf_query *q = parse("parse json | count");
	struct rf_options opt;
	rf_options_init(&opt);
	opt.out_fd = open("/dev/null", O_WRONLY);
	opt.on_message = print_message;
	const char *files[] = { missing, bad };
	int r = rf_run(q, files, 2, &opt, NULL);
	printf("STATUS\t%d\n", r);
	/* without on_message: on_error as before */
	opt.on_message = NULL;
	opt.on_error = print_error;
	r = rf_run(q, files, 2, &opt, NULL);
	printf("STATUS\t%d\n", r);
	rf_query_free(q);
	/* a custom stage that refuses to open in the run */
	char err[256];
	if (rf_register_stage(&flaky, err, sizeof err) < 0) {
		fprintf(stderr, "embed: %s\n", err);
		return 99;
	}
	q = parse("flaky | count");
	opt.on_message = print_message;
	opt.on_error = NULL;
	opt.mode = RF_MODE_SERIAL;
	r = rf_run(q, files + 1, 1, &opt, NULL);
	printf("STATUS\t%d\n", r);
	rf_query_free(q);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "fork"))
		return do_fork(atoi(argv[2]), argv + 3, argc - 3);
	if (argc == 3 && !strcmp(argv[1], "sigbus"))
		return do_sigbus(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "cancel"))
		return do_cancel(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "mpcancel"))
		return do_mpcancel(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "messages"))
		return do_messages(argv[2], argv[3]);
	fprintf(stderr, "usage: embed fork ALLOW FILE... | sigbus FILE | cancel LINES | mpcancel FILE | messages MISSING BAD\n");
	return 2;
}
