/* SPDX-License-Identifier: MIT */
/* ringflow-mpi - one query over many files, across the ranks of an MPI job
 * (issue 20):
 *
 *     mpirun -np N [--hostfile hosts] ringflow-mpi [OPTIONS] QUERY FILE...
 *
 * Each rank reads its share of the files and runs the query over it with
 * its own local mode (threads inside a rank).  Shares are byte ranges of
 * files on a filesystem every rank sees, cut on line boundaries as
 * multiprocess mode cuts them (rank 0 looks at the files once and tells
 * the others their sizes, so every rank cuts the same way); with --local
 * each FILE is a glob that each rank expands on its own host and reads
 * whole.  An aggregate's partial states are merged up a binomial tree
 * (log2 N steps: at step s, a rank with bit s set sends to the rank without
 * it and is done) and rank 0 prints what one serial run prints.  Records
 * (a query without an aggregate) are sent to rank 0 rank after rank, in
 * pieces, and printed in input order.
 *
 * A rank that cannot read its share fails the run: each failure is said
 * once, by the rank that met it, with its host and its share; no result is
 * printed unless --allow-partial, which prints the rest marked as partial
 * on stderr (exit status 3) and names the missing shares.  A rank that
 * dies ends the job: MPI's default error handler aborts every rank and
 * mpirun names the rank that died.
 *
 * Only the public API: a rank's share is a list of inputs, whole files
 * or byte ranges of files (rf_input start, end), which the engine reads
 * with its own backends in any local mode. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <mpi.h>
#include "ringflow.h"
#include "../engine/clock.h" /* now_ns: the clock every part of ringflow times itself with */

#define EXIT_USAGE 2
#define EXIT_PARTIAL 3

/* Records go to rank 0 in messages of at most this many bytes (--chunk). */
static size_t chunk = (size_t)1 << 20;
/* Anything longer is sent in pieces under INT_MAX bytes (MPI counts in int). */
#define PIECE ((size_t)1 << 30)
/* Tree steps kept for --stats: 2^32 ranks is more than MPI counts. */
#define MAX_STEPS 32

static int rank, ranks;
static char host[MPI_MAX_PROCESSOR_NAME];

static const char usage[] =
	"Usage: mpirun -np N ringflow-mpi [--format=table|tsv|csv|json] [--io=auto|mmap|uring|read]\n"
	"         [--mode=M] [--threads=N] [--stats[=text|json]] [--local] [--chunk=SIZE] [--allow-partial]\n"
	"         QUERY FILE...\n";

/* ---- messages ------------------------------------------------------------ */

/* What went wrong on this rank, one line each, for rank 0 to print. */
static char *failures;
static size_t nfail;
/* This rank's share in words ("FILE bytes A-B, ..."), for the lines above
 * and for --allow-partial's list of what is missing. */
static char share_words[1024];

static void add_text(char **buf, size_t *len, const char *text, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);
	if (!nb)
		return;
	memcpy(nb + *len, text, n);
	*len += n;
	nb[*len] = 0;
	*buf = nb;
}

static void add_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add_failure(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = strlen(line);
	line[len < sizeof line - 1 ? len++ : len - 1] = '\n';
	add_text(&failures, &nfail, line, len);
}

/* While the query is tried out (probe()), the engine's refusal is kept
 * here instead of said. */
static int probing;
static char probe_msg[512];

/* The engine's messages: an error is a failure of this rank's share; a
 * warning or a note (nothing failed) goes to stderr with the rank that
 * made it. */
static void on_message(void *user, enum rf_severity sev, const char *input, int err, const char *message)
{
	(void)user;
	(void)err;
	if (probing) {
		if (sev == RF_ERROR && !probe_msg[0])
			snprintf(probe_msg, sizeof probe_msg, "%s", message);
	} else if (sev == RF_ERROR) {
		add_failure("ringflow-mpi: rank %d on %s: %s: %s", rank, host, input ? input : "ringflow", message);
	} else {
		int named = input && *input;
		fprintf(stderr, "ringflow-mpi: rank %d on %s: %s%s%s\n", rank, host, named ? input : "",
			named ? ": " : "", message);
	}
}

/* ---- runs into memory ---------------------------------------------------- */

/* Run q over in[] into an anonymous file (multiprocess mode's workers keep
 * their records the same way); its descriptor in *fd, at its end. */
static int run_to_memfd(const rf_query *q, struct rf_options *opt, const struct rf_input *in, int nin, int *fd,
			struct rf_report *rep)
{
	*fd = memfd_create("ringflow-mpi", MFD_CLOEXEC);
	if (*fd < 0)
		return -errno;
	opt->out_fd = *fd;
	return rf_run_inputs(q, in, nin, opt, NULL, rep);
}

/* All of an anonymous file's bytes, from its start. */
static int read_memfd(int fd, char **out, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	char *p = malloc(end > 0 ? (size_t)end : 1);
	if (end < 0 || !p) {
		free(p);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)end) {
		ssize_t n = pread(fd, p + got, (size_t)end - got, (off_t)got);
		if (n <= 0) {
			free(p);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*out = p;
	*len = got;
	return 0;
}

/* Run q over in[] into memory: the bytes it wrote in *out. */
static int run_to_memory(const rf_query *q, struct rf_options *opt, const struct rf_input *in, int nin, char **out,
			 size_t *len, struct rf_report *rep)
{
	int fd;
	int r = run_to_memfd(q, opt, in, nin, &fd, rep);
	if (r == 0)
		r = read_memfd(fd, out, len);
	if (fd >= 0)
		close(fd);
	return r;
}

/* The query's partial state made over nothing, as a share of byte ranges
 * when cut: 0, or the engine's refusal (its words in probe_msg). */
static int probe_run(const rf_query *q, const struct rf_options *base, int cut)
{
	struct rf_options opt = *base;
	struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_PATH, .path = "/dev/null" };
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		return -errno;
	opt.out_fd = null;
	opt.partial = RF_PARTIAL_OUT;
	/* the engine's share option refuses what a byte range of a file
	 * cannot read (csv's header, a head before the aggregate) */
	opt.share_count = cut ? 2 : 0;
	probing = 1;
	probe_msg[0] = 0;
	int r = rf_run_inputs(q, &in, 1, &opt, NULL, NULL);
	probing = 0;
	close(null);
	return r;
}

/* Records print in input order when each rank's come after the ranks'
 * before it, unless the query sorts them or keeps the first N (each rank
 * would sort or cut its own), or its parser reads each input from its
 * first lines (a byte range lacks them: the engine's share option says so
 * for the same query with an aggregate after it).  0, or -EINVAL said by
 * rank 0. */
static int records_splittable(const rf_query *q, const struct rf_options *base, const char *text, int cut)
{
	for (int i = 0; i < rf_query_stages(q); i++) {
		const char *verb = rf_query_stage_name(q, i);
		if (verb && (!strcmp(verb, "sort") || !strcmp(verb, "top") || !strcmp(verb, "head"))) {
			if (rank == 0)
				fprintf(stderr, "ringflow-mpi: %s without an aggregate orders or cuts all the records "
					"at once, which ranks reading apart cannot: use ringflow, or add an aggregate\n",
					verb);
			return -EINVAL;
		}
	}
	if (!cut)
		return 0;
	size_t n = strlen(text);
	char *counted = malloc(n + 16);
	if (!counted)
		return -ENOMEM;
	memcpy(counted, text, n);
	memcpy(counted + n, " | count", sizeof " | count");
	rf_query *cq;
	struct rf_query_error qerr;
	int r = 0;
	if (rf_query_parse(counted, &cq, &qerr) == 0) {
		r = probe_run(cq, base, 1);
		if (r < 0 && rank == 0)
			fprintf(stderr, "ringflow-mpi: this query cannot be split between ranks: %s\n",
				probe_msg[0] ? probe_msg : rf_strerror(r));
		rf_query_free(cq);
	}
	free(counted);
	return r < 0 ? -EINVAL : 0;
}

/* What kind of query this is: 1, an aggregate whose partial states merge
 * (shares may be byte ranges when cut is set); 0, records in input order;
 * or -EINVAL, said on stderr by rank 0. */
static int probe(const rf_query *q, const struct rf_options *base, const char *text, int cut)
{
	int r = probe_run(q, base, cut);
	if (r == 0)
		return 1;
	char why[sizeof probe_msg];
	snprintf(why, sizeof why, "%s", probe_msg);
	/* no aggregate: records, unless select makes a table of them */
	struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_PATH, .path = "/dev/null" };
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0)
		return -errno;
	struct rf_options opt = *base;
	probing = 1;
	opt.out_fd = null;
	rf_result *res = NULL;
	int rr = rf_run_result(q, &in, 1, &opt, NULL, &res);
	int cols = rr >= 0 && res ? rf_result_cols(res) : -1;
	rf_result_free(res);
	probing = 0;
	close(null);
	if (cols == 0)
		return records_splittable(q, base, text, cut);
	if (rank == 0) {
		if (cols > 0 && strstr(why, "need an aggregate"))
			fprintf(stderr, "ringflow-mpi: select without an aggregate prints one table over all the "
				"records, which ranks cannot print in pieces: use ringflow, or add an aggregate\n");
		else
			fprintf(stderr, "ringflow-mpi: this query cannot be split between ranks: %s\n",
				why[0] ? why : rf_strerror(r));
	}
	return -EINVAL;
}

/* ---- this rank's share -------------------------------------------------- */

/* What rank 0 found of a file: its size, and whether it may be cut (a
 * regular file, not compressed) or must be read whole by one rank;
 * unreadable files are said by rank 0 and left out. */
struct file_info {
	int64_t size;  /* -1: unreadable */
	int64_t whole; /* compressed, or not a regular file */
};

/* gzip, zstd, xz, bzip2, lz4: the engine decodes these, from the start */
static int compressed(int fd)
{
	unsigned char m[6] = { 0 };
	if (pread(fd, m, sizeof m, 0) < 4)
		return 0;
	return (m[0] == 0x1f && m[1] == 0x8b) || !memcmp(m, "\x28\xb5\x2f\xfd", 4) ||
	       !memcmp(m, "\xfd" "7zXZ\0", 6) || !memcmp(m, "BZh", 3) || !memcmp(m, "\x04\x22\x4d\x18", 4);
}

static void look_at_files(const char *const *files, int nfiles, struct file_info *info)
{
	for (int i = 0; i < nfiles; i++) {
		struct stat st;
		/* O_NONBLOCK: a FIFO opens without a writer; it is only looked at */
		int fd = open(files[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st) < 0) {
			add_failure("ringflow-mpi: rank %d on %s: %s: %s", rank, host, files[i], strerror(errno));
			info[i] = (struct file_info){ -1, 0 };
		} else if (S_ISDIR(st.st_mode)) {
			add_failure("ringflow-mpi: rank %d on %s: %s: %s", rank, host, files[i], strerror(EISDIR));
			info[i] = (struct file_info){ -1, 0 };
		} else {
			int regular = S_ISREG(st.st_mode);
			info[i].size = regular ? st.st_size : 0;
			info[i].whole = !regular || (st.st_size > 0 && compressed(fd));
		}
		if (fd >= 0)
			close(fd);
	}
}

/* The offset of the first line starting at or after `at` (multiprocess
 * mode's cut). */
static int next_line(int fd, uint64_t at, uint64_t size, uint64_t *out)
{
	if (at == 0 || at >= size) {
		*out = at > size ? size : at;
		return 0;
	}
	char buf[1 << 16];
	uint64_t pos = at - 1; /* a line starts at `at` if the byte before is '\n' */
	while (pos < size) {
		ssize_t n = pread(fd, buf, sizeof buf, (off_t)pos);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		char *nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			*out = pos + (uint64_t)(nl - buf) + 1;
			return 0;
		}
		pos += (uint64_t)n;
	}
	*out = size;
	return 0;
}

struct share {
	struct rf_input *in;
	int nin;
	char **names;
	int failed;
};

static void share_free(struct share *s)
{
	for (int i = 0; i < s->nin; i++)
		free(s->names[i]);
	free(s->in), free(s->names);
}

/* A piece of this rank's share, in share_words. */
static void share_said(const char *name)
{
	size_t used = strlen(share_words), n = strlen(name);
	if (used && used + 2 < sizeof share_words)
		memcpy(share_words + used, ", ", 2), used += 2;
	if (used + n >= sizeof share_words) /* a long list: its start */
		n = sizeof share_words - 1 - used;
	memcpy(share_words + used, name, n);
	share_words[used + n] = 0;
}

/* One input of this rank's, named in messages by what the format says: a
 * whole file (its path, which the input then reads from the name's copy),
 * or bytes [a, b) of one (end b > 0). */
static int share_add(struct share *s, const char *path, uint64_t a, uint64_t b, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int share_add(struct share *s, const char *path, uint64_t a, uint64_t b, const char *fmt, ...)
{
	char name[PATH_MAX + 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	int i = s->nin++;
	s->names[i] = strdup(name);
	s->in[i] = (struct rf_input){ .size = sizeof s->in[i], .kind = RF_INPUT_PATH,
				      .path = b ? path : s->names[i], .name = s->names[i], .start = a, .end = b };
	share_said(name);
	return i;
}

static int share_alloc(struct share *s, int cap)
{
	memset(s, 0, sizeof *s);
	s->in = calloc((size_t)cap + 1, sizeof *s->in);
	s->names = calloc((size_t)cap + 1, sizeof *s->names);
	return s->in && s->names ? 0 : -ENOMEM;
}

/* Bytes [a, b) of a file, moved to line boundaries: an input of that byte
 * range, which the engine reads with its own backend (read(2) where
 * mapping is slow) and checks again is of whole lines.  file outlives the
 * share (it is one of argv). */
static void share_range(struct share *s, const char *file, uint64_t a, uint64_t b, uint64_t size)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int r = 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		r = -errno;
	else if ((uint64_t)st.st_size < size)
		r = -ESTALE; /* rank 0 saw more of it: another file, or one cut short */
	if (r == 0 && (r = next_line(fd, a, size, &a)) == 0)
		r = next_line(fd, b, size, &b);
	if (r == 0 && a < b) {
		int i = share_add(s, file, a, b, "%s:%" PRIu64 "-%" PRIu64, file, a, b);
		/* the file's last range: to the end it has when read, for a log
		 * written meanwhile may have grown past rank 0's size in the
		 * middle of a line (a range must end after a newline) */
		if (b == size)
			s->in[i].end = UINT64_MAX;
	}
	if (r < 0) {
		char name[PATH_MAX + 64];
		snprintf(name, sizeof name, "%s:%" PRIu64 "-%" PRIu64, file, a, b);
		share_said(name);
		add_failure("ringflow-mpi: rank %d on %s: %s: %s", rank, host, name,
			    r == -ESTALE ? "the file is shorter here than rank 0 saw it" : strerror(-r));
		s->failed = 1;
	}
	if (fd >= 0)
		close(fd);
}

/* Files every rank sees: rank r's share of their bytes, as multiprocess
 * mode cuts them (a file that cannot be cut goes whole to the rank whose
 * share it begins in), by the sizes in info (rank 0's: every rank cuts
 * the same way). */
static int shared_cut(struct share *s, const char *const *files, int nfiles, const struct file_info *info)
{
	if (share_alloc(s, nfiles) < 0)
		return -ENOMEM;
	uint64_t total = 0;
	for (int i = 0; i < nfiles; i++)
		total += info[i].size > 0 ? (uint64_t)info[i].size : 0;
	uint64_t per = total / (uint64_t)ranks + 1, lo = per * (uint64_t)rank, hi = per * (uint64_t)(rank + 1), cum = 0;
	for (int i = 0; i < nfiles; i++) {
		if (info[i].size < 0)
			continue;
		uint64_t size = (uint64_t)info[i].size, fs = cum, fe = cum + size;
		cum = fe;
		if (size == 0 || info[i].whole) {
			if (fs >= lo && fs < hi)
				share_add(s, files[i], 0, 0, "%s", files[i]);
			continue;
		}
		if (fe <= lo || fs >= hi)
			continue;
		share_range(s, files[i], lo > fs ? lo - fs : 0, hi < fe ? hi - fs : size, size);
	}
	return 0;
}

/* --local: each pattern expanded here, %r its rank; every match read whole. */
static int local_share(struct share *s, const char *const *pats, int npats)
{
	glob_t g = { 0 };
	int flags = 0;
	for (int i = 0; i < npats; i++) {
		char pat[PATH_MAX];
		size_t o = 0;
		for (const char *p = pats[i]; *p && o + 12 < sizeof pat; p++) {
			if (p[0] == '%' && p[1] == 'r')
				o += (size_t)snprintf(pat + o, sizeof pat - o, "%d", rank), p++;
			else if (p[0] == '%' && p[1] == '%')
				pat[o++] = '%', p++;
			else
				pat[o++] = *p;
		}
		pat[o] = 0;
		int r = glob(pat, flags, NULL, &g);
		if (r == GLOB_NOMATCH) {
			add_failure("ringflow-mpi: rank %d on %s: --local %s: no file matches", rank, host, pat);
			s->failed = 1;
		} else if (r != 0) {
			add_failure("ringflow-mpi: rank %d on %s: --local %s: %s", rank, host, pat,
				    r == GLOB_NOSPACE ? strerror(ENOMEM) : "cannot be read");
			s->failed = 1;
		}
		if (r == 0 || r == GLOB_NOMATCH)
			flags |= g.gl_pathc ? GLOB_APPEND : 0;
	}
	if (share_alloc(s, (int)g.gl_pathc) < 0) {
		globfree(&g);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		share_add(s, g.gl_pathv[i], 0, 0, "%s", g.gl_pathv[i]);
	globfree(&g);
	return 0;
}

/* ---- between ranks ------------------------------------------------------ */


/* Wait for a request without Open MPI's busy polling: a rank waiting for
 * another (a whole share's time, at worst) would spin a core at 100% that
 * the ranks still reading, or anything else on the host, could use. */
static void idle_wait(MPI_Request *req)
{
	int done = 0;
	for (;;) {
		MPI_Test(req, &done, MPI_STATUS_IGNORE);
		if (done)
			return;
		nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	}
}

/* Sent without spinning: a state big enough to go by rendezvous waits
 * until its receiver, maybe still reading its own share, takes it. */
static void send_bytes(const char *p, size_t n, int to)
{
	for (size_t at = 0; at < n; at += PIECE) {
		MPI_Request req;
		MPI_Isend(p + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_BYTE, to, 1, MPI_COMM_WORLD, &req);
		idle_wait(&req);
	}
}

static int recv_bytes(char *p, size_t n, int from)
{
	for (size_t at = 0; at < n; at += PIECE)
		if (MPI_Recv(p + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_BYTE, from, 1, MPI_COMM_WORLD,
			     MPI_STATUS_IGNORE) != MPI_SUCCESS)
			return -EIO;
	return 0;
}

/* Wait for a message the same way. */
static void wait_for(int from, int tag)
{
	int flag = 0;
	for (;;) {
		MPI_Iprobe(from, tag, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
		if (flag)
			return;
		nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	}
}

/* A barrier the same way (MPI_Finalize's own spins while rank 0 prints). */
static void idle_barrier(void)
{
	MPI_Request req;
	MPI_Ibarrier(MPI_COMM_WORLD, &req);
	idle_wait(&req);
}

/* A rank's failures and share (text), to rank 0 or up the tree. */
static void send_text(const char *p, size_t n, int to)
{
	uint64_t len = n;
	MPI_Send(&len, 1, MPI_UINT64_T, to, 0, MPI_COMM_WORLD);
	send_bytes(p, n, to);
}

static char *recv_text(int from, size_t *n)
{
	uint64_t len;
	wait_for(from, 0);
	MPI_Recv(&len, 1, MPI_UINT64_T, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
	char *p = malloc(len + 1);
	if (!p || recv_bytes(p, len, from) < 0) {
		fprintf(stderr, "ringflow-mpi: rank %d on %s: out of memory receiving from rank %d\n", rank, host, from);
		MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
	}
	p[len] = 0;
	*n = len;
	return p;
}

/* ---- --stats ------------------------------------------------------------ */

struct rank_stats {
	char host[MPI_MAX_PROCESSOR_NAME];
	char mode[16];
	int32_t threads, nsteps, failed, pad;
	uint64_t inputs, bytes, records, elapsed_ns, state_bytes;
	uint64_t rejected_format; /* records rejected as not in the query's format */
	uint64_t final_ns;        /* rank 0: the last merge, of every state it holds, and the print */
	struct {
		int32_t from, pad;
		uint64_t bytes, wait_ns, merge_ns;
	} step[MAX_STEPS];
};

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	fputc('"', f);
}

static void print_stats(const struct rank_stats *st, int json, uint64_t wall_ns, int status)
{
	uint64_t bytes = 0, records = 0;
	for (int r = 0; r < ranks; r++)
		bytes += st[r].bytes, records += st[r].records;
	if (json) {
		fprintf(stderr, "{\"exit_status\":%d,\"ranks\":%d,\"elapsed_ns\":%" PRIu64 ",\"bytes\":%" PRIu64
				",\"records\":%" PRIu64 ",\"per_rank\":[",
			status, ranks, wall_ns, bytes, records);
		for (int r = 0; r < ranks; r++) {
			fprintf(stderr, "%s{\"rank\":%d,\"host\":", r ? "," : "", r);
			json_str(stderr, st[r].host);
			fputs(",\"mode\":", stderr);
			json_str(stderr, st[r].mode);
			fprintf(stderr, ",\"threads\":%d,\"failed\":%s,\"inputs\":%" PRIu64 ",\"bytes\":%" PRIu64
					",\"records\":%" PRIu64 ",\"elapsed_ns\":%" PRIu64 ",\"state_bytes\":%" PRIu64
					",\"final_ns\":%" PRIu64 ",\"merges\":[",
				st[r].threads, st[r].failed ? "true" : "false", st[r].inputs, st[r].bytes, st[r].records,
				st[r].elapsed_ns, st[r].state_bytes, st[r].final_ns);
			for (int s = 0; s < st[r].nsteps; s++)
				fprintf(stderr, "%s{\"from\":%d,\"bytes\":%" PRIu64 ",\"wait_ns\":%" PRIu64
						",\"merge_ns\":%" PRIu64 "}",
					s ? "," : "", st[r].step[s].from, st[r].step[s].bytes, st[r].step[s].wait_ns,
					st[r].step[s].merge_ns);
			fputs("]}", stderr);
		}
		fputs("]}\n", stderr);
		return;
	}
	fprintf(stderr, "ringflow-mpi stats\n  ranks       %d\n  elapsed     %.3f s\n  bytes       %" PRIu64
			"\n  records     %" PRIu64 "\n",
		ranks, wall_ns / 1e9, bytes, records);
	for (int r = 0; r < ranks; r++) {
		fprintf(stderr, "  rank %-4d   %s: %s, %d thread%s, %" PRIu64 " input%s, %" PRIu64 " bytes, %" PRIu64
				" records, %.3f s%s\n",
			r, st[r].host, st[r].mode, st[r].threads, st[r].threads == 1 ? "" : "s", st[r].inputs,
			st[r].inputs == 1 ? "" : "s", st[r].bytes, st[r].records, st[r].elapsed_ns / 1e9,
			st[r].failed ? " (failed)" : "");
		for (int s = 0; s < st[r].nsteps; s++)
			fprintf(stderr, "    merge     from rank %d: %" PRIu64 " bytes, waited %.3f s, merged in %.3f s\n",
				st[r].step[s].from, st[r].step[s].bytes, st[r].step[s].wait_ns / 1e9,
				st[r].step[s].merge_ns / 1e9);
		if (r == 0 && st[r].final_ns)
			fprintf(stderr, "    final     the states received merged with its own, and printed: %.3f s\n",
				st[r].final_ns / 1e9);
	}
}

/* ---- the two kinds of output -------------------------------------------- */

/* What this rank's share gave: run_share's status, its output (fd: an
 * anonymous file, at its end; -1 when none), and its words for
 * --allow-partial's list of missing shares. */
struct ran {
	int rc, fd;
	char *missing;
	size_t nmissing;
};

/* Run the query over this rank's share into an anonymous file (*fd, at
 * its end); its figures in st.  0, or -1 when the share failed (said in
 * failures, and in *missing for --allow-partial's list). */
static int run_share(const rf_query *q, struct rf_options *opt, struct share *s, struct rank_stats *st, int *fd,
		     char **missing, size_t *nmissing)
{
	struct rf_report rep;
	rf_report_init(&rep);
	/* an empty share is one empty buffer: no inputs would be stdin */
	struct rf_input none = { .size = sizeof none, .kind = RF_INPUT_BUFFER, .data = "", .len = 0, .name = "none" };
	int r = 0;
	if (!s->failed) {
		r = run_to_memfd(q, opt, s->nin ? s->in : &none, s->nin ? s->nin : 1, fd, &rep);
		if (r != 0 && !nfail)
			add_failure("ringflow-mpi: rank %d on %s: %s: %s", rank, host, share_words,
				    r == 1 ? "an input could not be read" : rf_strerror(r));
	}
	st->failed = s->failed || r != 0;
	snprintf(st->mode, sizeof st->mode, "%s", rf_mode_name(rep.mode));
	st->threads = rep.threads;
	st->inputs = (uint64_t)s->nin;
	st->bytes = rep.bytes;
	st->records = rep.records;
	st->rejected_format = rep.rejected_format;
	st->elapsed_ns = rep.elapsed_ns;
	share_free(s);
	if (!st->failed)
		return 0;
	char head[MPI_MAX_PROCESSOR_NAME + 32];
	snprintf(head, sizeof head, "  rank %d on %s: ", rank, host);
	const char *w = share_words[0] ? share_words : "(no input)";
	add_text(missing, nmissing, head, strlen(head));
	add_text(missing, nmissing, w, strlen(w));
	add_text(missing, nmissing, "\n", 1);
	return -1;
}

/* Whether every record of the whole job was rejected as not in the
 * query's format (another format, binary or compressed data), as one run
 * over all the inputs judges it: each rank's share is a piece
 * (RF_PARTIAL_PIECE), which the engine does not judge alone, since the
 * other shares may be fine.  Their count at rank 0 (0: not so), which
 * then prints no result (an empty table would look like an answer).
 * Every rank calls it. */
static uint64_t every_record_rejected(const struct rank_stats *st)
{
	uint64_t mine[2] = { st->failed ? 0 : st->records, st->failed ? 0 : st->rejected_format }, sum[2] = { 0, 0 };
	MPI_Request req;
	MPI_Ireduce(mine, sum, 2, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD, &req);
	idle_wait(&req);
	return rank == 0 && sum[0] && sum[1] == sum[0] ? sum[0] : 0;
}

static void say_rejected(uint64_t n)
{
	fprintf(stderr, "ringflow-mpi: every record (%" PRIu64 ") was rejected: none could be parsed by the query's "
		"parser, or had a time for its time key (another format? binary or compressed data?); no result "
		"printed\n", n);
}

/* An aggregate: this rank's partial state, merged up the tree; at rank 0
 * the merged state's result, printed.  Rank 0 keeps the states it
 * receives and merges them with its own once, at the end, straight into
 * the print: one merge of log2(N) + 1 states, a part at a time, with no
 * merged state written and read back.  The status for rank 0. */
static int aggregate(const rf_query *q, struct rf_options *opt, struct ran *ran, struct rank_stats *st,
		     int allow_partial)
{
	char *state = NULL, *missing = ran->missing;
	size_t slen = 0, nmissing = ran->nmissing;
	if (ran->rc == 0 && read_memfd(ran->fd, &state, &slen) < 0)
		MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
	if (ran->fd >= 0)
		close(ran->fd);
	st->state_bytes = slen;
	/* rank 0's states, in the order of the inputs: its own, then each
	 * received (the ranks after it, a step's after the step's before) */
	struct rf_input in[MAX_STEPS + 2];
	char names[MAX_STEPS + 2][48];
	int nin = 0;
	if (rank == 0 && state)
		in[nin++] = (struct rf_input){ .size = sizeof in[0], .kind = RF_INPUT_BUFFER, .data = state, .len = slen,
					       .name = "the state of rank 0" };
	/* up the tree, merged at each step while no share is missing (or
	 * --allow-partial) */
	opt->partial = RF_PARTIAL_MERGE | RF_PARTIAL_OUT;
	for (int mask = 1; mask < ranks; mask <<= 1) {
		if (rank & mask) {
			send_text(failures, nfail, rank - mask);
			send_text(missing, nmissing, rank - mask);
			send_text(state, slen, rank - mask);
			break;
		}
		if (rank + mask >= ranks)
			continue;
		uint64_t t0 = now_ns();
		size_t fl, ml, sl;
		char *f = recv_text(rank + mask, &fl), *m = recv_text(rank + mask, &ml), *sb = recv_text(rank + mask, &sl);
		add_text(&failures, &nfail, f, fl);
		add_text(&missing, &nmissing, m, ml);
		uint64_t t1 = now_ns();
		int keep = !nfail || allow_partial;
		if (rank == 0) {
			if (keep && sl && nin < MAX_STEPS + 2) {
				/* named for a message: the ranks whose state it is */
				int last = rank + 2 * mask - 1 < ranks ? rank + 2 * mask - 1 : ranks - 1;
				if (last > rank + mask)
					snprintf(names[nin], sizeof names[nin], "the state of ranks %d-%d", rank + mask, last);
				else
					snprintf(names[nin], sizeof names[nin], "the state of rank %d", rank + mask);
				in[nin] = (struct rf_input){ .size = sizeof in[0], .kind = RF_INPUT_BUFFER, .data = sb,
							     .len = sl, .name = names[nin] };
				nin++;
				sb = NULL;
			}
		} else if (keep && state && sl) {
			/* the lower ranks' share first: the order of the inputs */
			struct rf_input two[2] = {
				{ .size = sizeof two[0], .kind = RF_INPUT_BUFFER, .data = state, .len = slen, .name = "own" },
				{ .size = sizeof two[1], .kind = RF_INPUT_BUFFER, .data = sb, .len = sl, .name = "received" },
			};
			char *merged = NULL;
			size_t mlen = 0;
			int mr = run_to_memory(q, opt, two, 2, &merged, &mlen, NULL);
			if (mr != 0)
				add_failure("ringflow-mpi: rank %d on %s: merging rank %d's state: %s", rank, host,
					    rank + mask, rf_strerror(mr));
			free(state);
			state = mr == 0 ? merged : NULL;
			slen = mr == 0 ? mlen : 0;
		} else if (keep && sl) { /* this rank's share failed: the other's alone */
			free(state);
			state = sb;
			slen = sl;
			sb = NULL;
		} else if (!keep) { /* no result will be printed: merge no more */
			free(state);
			state = NULL;
			slen = 0;
		}
		if (st->nsteps < MAX_STEPS) {
			st->step[st->nsteps].from = rank + mask;
			st->step[st->nsteps].bytes = sl;
			st->step[st->nsteps].wait_ns = t1 - t0;
			st->step[st->nsteps].merge_ns = now_ns() - t1;
			st->nsteps++;
		}
		free(f), free(m), free(sb);
	}
	/* after the tree: a rank done early has sent its state meanwhile */
	uint64_t rejected = every_record_rejected(st);
	int status = 0;
	if (rank == 0) {
		if (nfail)
			fwrite(failures, 1, nfail, stderr);
		if (nfail && !allow_partial) {
			fprintf(stderr, "ringflow-mpi: no result printed: what the lines above name is missing "
				"(--allow-partial prints the rest)\n");
			status = EXIT_USAGE;
		} else if (!nin) {
			fprintf(stderr, "ringflow-mpi: no rank read its share; no result\n");
			status = EXIT_USAGE;
		} else if (rejected) {
			say_rejected(rejected);
			status = EXIT_USAGE;
		} else {
			uint64_t t0 = now_ns();
			opt->partial = RF_PARTIAL_MERGE;
			opt->out_fd = 1;
			int r = rf_run_inputs(q, in, nin, opt, NULL, NULL);
			st->final_ns = now_ns() - t0;
			if (r != 0) {
				fprintf(stderr, "ringflow-mpi: printing the result: %s\n", rf_strerror(r));
				status = EXIT_USAGE;
			} else if (nfail) {
				fprintf(stderr, "ringflow-mpi: PARTIAL result: these shares are missing:\n%s",
					missing ? missing : "");
				status = EXIT_PARTIAL;
			}
		}
		for (int i = 0; i < nin; i++)
			if (in[i].data != state)
				free((void *)in[i].data);
	}
	free(missing);
	free(state);
	return status;
}

/* Records: every rank's output kept in an anonymous file; once rank 0
 * knows that no share failed (or --allow-partial), each rank's output in
 * turn, in pieces of chunk bytes (rank 0 holds one piece at a time). */
static int records(struct ran *ran, struct rank_stats *st, int allow_partial)
{
	char *missing = ran->missing;
	size_t nmissing = ran->nmissing;
	int fd = ran->fd;
	uint64_t len = 0;
	if (ran->rc == 0) {
		off_t end = lseek(fd, 0, SEEK_END);
		len = end > 0 ? (uint64_t)end : 0;
		st->state_bytes = len;
	}
	uint64_t rejected = every_record_rejected(st);
	int status = 0, go = 1;
	char *piece = malloc(chunk);
	if (!piece)
		MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
	if (rank == 0) {
		uint64_t *lens = calloc((size_t)ranks, sizeof *lens);
		if (!lens)
			MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
		lens[0] = st->failed ? UINT64_MAX : len;
		for (int from = 1; from < ranks; from++) {
			size_t fl, ml;
			char *f = recv_text(from, &fl), *m = recv_text(from, &ml);
			add_text(&failures, &nfail, f, fl);
			add_text(&missing, &nmissing, m, ml);
			MPI_Recv(&lens[from], 1, MPI_UINT64_T, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			free(f), free(m);
		}
		if (nfail)
			fwrite(failures, 1, nfail, stderr);
		go = (!nfail || allow_partial) && !rejected;
		for (int from = 0; from < ranks; from++) {
			/* each rank told at its turn, so it waits idle till then */
			if (from)
				MPI_Send(&go, 1, MPI_INT, from, 3, MPI_COMM_WORLD);
			if (!go)
				continue;
			for (uint64_t at = 0; lens[from] != UINT64_MAX && at < lens[from]; at += chunk) {
				size_t n = lens[from] - at < chunk ? (size_t)(lens[from] - at) : chunk;
				if (from == 0) {
					ssize_t got = pread(fd, piece, n, (off_t)at);
					if (got != (ssize_t)n)
						MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
				} else {
					MPI_Recv(piece, (int)n, MPI_BYTE, from, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
				}
				for (size_t w = 0; w < n;) {
					ssize_t k = write(1, piece + w, n - w);
					if (k < 0 && errno == EINTR)
						continue;
					if (k <= 0) {
						fprintf(stderr, "ringflow-mpi: writing the records: %s\n",
							strerror(k < 0 ? errno : EIO));
						MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
					}
					w += (size_t)k;
				}
			}
		}
		free(lens);
		if (!go) {
			if (rejected)
				say_rejected(rejected);
			else
				fprintf(stderr, "ringflow-mpi: no records printed: what the lines above name is missing "
					"(--allow-partial prints the rest)\n");
			status = EXIT_USAGE;
		} else if (nfail) {
			fprintf(stderr, "ringflow-mpi: PARTIAL result: these shares' records are missing:\n%s",
				missing ? missing : "");
			status = EXIT_PARTIAL;
		}
	} else {
		uint64_t l = st->failed ? UINT64_MAX : len;
		send_text(failures, nfail, 0);
		send_text(missing, nmissing, 0);
		MPI_Send(&l, 1, MPI_UINT64_T, 0, 0, MPI_COMM_WORLD);
		wait_for(0, 3);
		MPI_Recv(&go, 1, MPI_INT, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		for (uint64_t at = 0; go && l != UINT64_MAX && at < l; at += chunk) {
			size_t n = l - at < chunk ? (size_t)(l - at) : chunk;
			if (pread(fd, piece, n, (off_t)at) != (ssize_t)n)
				MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
			MPI_Send(piece, (int)n, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
		}
	}
	free(piece);
	free(missing);
	if (fd >= 0)
		close(fd);
	return status;
}

/* The command line, parsed: what main needs. */
struct args {
	struct rf_options opt;
	int allow_partial, local, stats, kind;
	const char *text;
	const char *const *files;
	int nfiles;
	rf_query *q;
};

/* Parse argv into *g, and try the query out (probe): -1 when it can run,
 * else the exit status, said by rank 0 (--help: 0). */
static int parse_args(int argc, char **argv, struct args *g)
{
	memset(g, 0, sizeof *g);
	struct rf_options *opt = &g->opt;
	rf_options_init(opt);
	/* as the command: the engine may map a file (where that is fast) and
	 * says a file cut short under the mapping as a failed input */
	opt->catch_sigbus = 1;
	int say = rank == 0;
	int mode_set = 0, a = 1;
	const char *bad = NULL;
	for (; a < argc && !strncmp(argv[a], "--", 2); a++) {
		const char *v = strchr(argv[a], '=');
		v = v ? v + 1 : "";
		char *end;
		if (!strcmp(argv[a], "--")) {
			a++;
			break;
		} else if (!strcmp(argv[a], "--help")) {
			if (say)
				fputs(usage, stdout);
			return 0;
		} else if (!strcmp(argv[a], "--allow-partial")) {
			g->allow_partial = 1;
		} else if (!strcmp(argv[a], "--local")) {
			g->local = 1;
		} else if (!strcmp(argv[a], "--stats") || !strcmp(argv[a], "--stats=text")) {
			g->stats = 1;
		} else if (!strcmp(argv[a], "--stats=json")) {
			g->stats = 2;
		} else if (!strncmp(argv[a], "--format=", 9)) {
			if (rf_format_parse(v, &opt->format) < 0 || opt->format == RF_OUT_HTML)
				bad = "--format: table, tsv, csv, json or chart";
		} else if (!strncmp(argv[a], "--io=", 5)) {
			if (rf_io_parse(v, &opt->io) < 0)
				bad = "--io: auto, mmap, uring or read";
		} else if (!strncmp(argv[a], "--mode=", 7)) {
			mode_set = 1;
			if (rf_mode_parse(v, &opt->mode) < 0)
				bad = "--mode: auto, serial, parallel, multiprocess, pipeline or async";
		} else if (!strncmp(argv[a], "--chunk=", 8)) {
			if (rf_parse_size(v, &chunk) < 0 || chunk < 4096 || chunk > PIECE)
				bad = "--chunk: a size from 4K to 1G";
		} else if (!strncmp(argv[a], "--threads=", 10)) {
			long n = strtol(v, &end, 10);
			if (!*v || *end || n < 1 || n > 4096)
				bad = "--threads: a number of threads, 1 to 4096";
			opt->threads = (int)n;
		} else {
			if (say)
				fprintf(stderr, "ringflow-mpi: unknown option '%s'\n%s", argv[a], usage);
			return EXIT_USAGE;
		}
		if (bad) {
			if (say)
				fprintf(stderr, "ringflow-mpi: '%s': %s\n%s", argv[a], bad, usage);
			return EXIT_USAGE;
		}
	}
	if (argc - a < 2) {
		if (say)
			fprintf(stderr, "ringflow-mpi: a query and the files to read (on a filesystem every rank "
				"sees; with --local, patterns each host expands)\n%s", usage);
		return EXIT_USAGE;
	}
	g->text = argv[a];
	g->files = (const char *const *)argv + a + 1;
	g->nfiles = argc - a - 1;
	struct rf_query_error qerr;
	if (rf_query_parse(g->text, &g->q, &qerr) < 0) {
		if (say)
			fprintf(stderr, "ringflow-mpi: query:%d: %s\n", qerr.column, qerr.message);
		return EXIT_USAGE;
	}
	opt->on_message = on_message;
	opt->query_id = g->text;
	/* one rank a core is MPI's way (mpirun binds each rank to a core):
	 * serial unless --mode or --threads asks for threads (then bind
	 * ranks to more cores, as README says); auto never forks here */
	if (!mode_set)
		opt->mode = opt->threads ? RF_MODE_PARALLEL : RF_MODE_SERIAL;
	g->kind = probe(g->q, opt, g->text, !g->local); /* says why not, on rank 0 */
	if (g->kind < 0) {
		rf_query_free(g->q);
		g->q = NULL;
		return EXIT_USAGE;
	}
	return -1;
}

/* This rank's share, cut (by info, rank 0's sizes, unless --local) and
 * run: what it gave in *ran, its figures in *st.  0, or -ENOMEM. */
static int share_run(struct args *g, const struct file_info *info, struct rank_stats *st, struct ran *ran)
{
	struct share s;
	*ran = (struct ran){ .fd = -1 };
	g->opt.partial = g->kind ? RF_PARTIAL_OUT : RF_PARTIAL_PIECE;
	int r = g->local ? local_share(&s, g->files, g->nfiles) : shared_cut(&s, g->files, g->nfiles, info);
	if (r == 0)
		ran->rc = run_share(g->q, &g->opt, &s, st, &ran->fd, &ran->missing, &ran->nmissing);
	return r;
}

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &ranks);
	int hl = 0;
	MPI_Get_processor_name(host, &hl);
	uint64_t t_start = now_ns();
	/* byte-range inputs: a library older than this program's header
	 * would read every range as its whole file */
	if (rf_version_number() < RF_VERSION_NUMBER) {
		if (rank == 0)
			fprintf(stderr, "ringflow-mpi: libringflow %s is older than this program (%s): install them "
				"together\n", rf_version(), RF_VERSION_STRING);
		MPI_Finalize();
		return EXIT_USAGE;
	}
	struct args g;
	int r = parse_args(argc, argv, &g);
	if (r >= 0) {
		MPI_Finalize();
		return r;
	}
	/* rank 0's view of the files, which every rank cuts by */
	struct file_info *info = calloc((size_t)g.nfiles + 1, sizeof *info);
	struct rank_stats *st = calloc(1, sizeof *st), *all = rank == 0 ? calloc((size_t)ranks, sizeof *all) : NULL;
	if (!info || !st || (rank == 0 && !all))
		MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
	if (!g.local) {
		if (rank == 0)
			look_at_files(g.files, g.nfiles, info);
		MPI_Bcast(info, (int)((size_t)g.nfiles * sizeof *info), MPI_BYTE, 0, MPI_COMM_WORLD);
	}
	struct ran ran;
	r = share_run(&g, info, st, &ran);
	free(info);
	if (r < 0) {
		fprintf(stderr, "ringflow-mpi: rank %d on %s: %s\n", rank, host, strerror(-r));
		MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
	}
	snprintf(st->host, sizeof st->host, "%s", host);
	int status = g.kind ? aggregate(g.q, &g.opt, &ran, st, g.allow_partial) : records(&ran, st, g.allow_partial);
	if (g.stats) {
		MPI_Gather(st, (int)sizeof *st, MPI_BYTE, all, (int)sizeof *st, MPI_BYTE, 0, MPI_COMM_WORLD);
		if (rank == 0)
			print_stats(all, g.stats == 2, now_ns() - t_start, status);
	}
	free(st);
	free(all);
	free(failures);
	rf_query_free(g.q);
	idle_barrier();
	MPI_Finalize();
	return status;
}
