/* SPDX-License-Identifier: MIT */
/* ringflow-mpi - one query over files on a shared filesystem, across the
 * ranks of an MPI job (issue 20):
 *
 *     mpirun -np N [--hostfile hosts] ringflow-mpi [--format=F] [--io=B] [--allow-partial] QUERY FILE...
 *
 * Each rank reads its share of the files (byte ranges cut on record
 * boundaries, as multiprocess mode cuts them), runs the query, and keeps
 * the aggregate's partial state.  The states are merged up a binomial tree
 * (log2 N steps: at step s, a rank with bit s set sends to the rank
 * without it and is done), and rank 0 prints what one serial run over all
 * the files prints.  A rank that cannot read its share fails the run,
 * each failure named with its rank, host and reason; --allow-partial
 * prints the rest anyway, marked as partial on stderr (exit status 3).
 * A rank that dies ends the job: MPI's default error handler aborts it.
 * Only the public API: the share and the partial states are rf_options'. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <mpi.h>
#include "ringflow.h"

#define EXIT_USAGE 2
#define EXIT_PARTIAL 3

static int rank, ranks;
static char host[MPI_MAX_PROCESSOR_NAME];

/* What went wrong on this rank, one line each, for rank 0 to print. */
static char *failures;
static size_t nfail;

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
	char *nf = realloc(failures, nfail + len + 1);
	if (!nf)
		return;
	failures = nf;
	memcpy(failures + nfail, line, len);
	failures[nfail + len] = '\n';
	nfail += len + 1;
}

/* The engine's messages: an error is a failure of this rank's share; a
 * note (nothing failed) goes to stderr with the rank that made it. */
static void on_message(void *user, const char *input, int err, const char *message)
{
	(void)user;
	if (err)
		add_failure("ringflow-mpi: rank %d on %s: %s: %s", rank, host, input ? input : "ringflow", message);
	else
		fprintf(stderr, "ringflow-mpi: rank %d on %s: %s\n", rank, host, message);
}

/* All of an anonymous file's bytes (a run's output), from its start. */
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

/* Run q with opt over inputs into an anonymous file; its bytes in *out. */
static int run_to_memory(const rf_query *q, struct rf_options *opt, const struct rf_input *in, int nin,
			 const char *const *files, char **out, size_t *len)
{
	int fd = memfd_create("ringflow-mpi", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	opt->out_fd = fd;
	int r = in ? rf_run_inputs(q, in, nin, opt, NULL, NULL) : rf_run(q, files, nin, opt, NULL);
	if (r == 0)
		r = read_memfd(fd, out, len);
	close(fd);
	return r;
}

/* A message between ranks: u64 failure text length, u64 state length,
 * then both.  Sent in pieces under INT_MAX bytes (MPI counts in int). */
#define PIECE ((size_t)1 << 30)

static void send_bytes(const char *p, size_t n, int to)
{
	for (size_t at = 0; at < n; at += PIECE)
		MPI_Send(p + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_BYTE, to, 1, MPI_COMM_WORLD);
}

static int recv_bytes(char *p, size_t n, int from)
{
	for (size_t at = 0; at < n; at += PIECE)
		if (MPI_Recv(p + at, (int)(n - at < PIECE ? n - at : PIECE), MPI_BYTE, from, 1, MPI_COMM_WORLD,
			     MPI_STATUS_IGNORE) != MPI_SUCCESS)
			return -EIO;
	return 0;
}

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &ranks);
	int hl = 0;
	MPI_Get_processor_name(host, &hl);

	struct rf_options opt;
	rf_options_init(&opt);
	int allow_partial = 0, a = 1;
	for (; a < argc && !strncmp(argv[a], "--", 2); a++) {
		if (!strcmp(argv[a], "--")) {
			a++;
			break;
		} else if (!strcmp(argv[a], "--allow-partial")) {
			allow_partial = 1;
		} else if (!strncmp(argv[a], "--format=", 9) && rf_format_parse(argv[a] + 9, &opt.format) == 0) {
			;
		} else if (!strncmp(argv[a], "--io=", 5) && rf_io_parse(argv[a] + 5, &opt.io) == 0) {
			;
		} else {
			if (rank == 0)
				fprintf(stderr, "ringflow-mpi: unknown option '%s'\nUsage: mpirun -np N ringflow-mpi "
					"[--format=table|tsv|csv|json] [--io=auto|mmap|uring|read] [--allow-partial] QUERY FILE...\n", argv[a]);
			MPI_Finalize();
			return EXIT_USAGE;
		}
	}
	if (argc - a < 2) {
		if (rank == 0)
			fprintf(stderr, "ringflow-mpi: a query and the files to read (on a filesystem every rank "
				"sees)\nUsage: mpirun -np N ringflow-mpi [--format=table|tsv|csv|json] "
				"[--allow-partial] QUERY FILE...\n");
		MPI_Finalize();
		return EXIT_USAGE;
	}
	const char *text = argv[a];
	const char *const *files = (const char *const *)argv + a + 1;
	int nfiles = argc - a - 1;
	rf_query *q;
	struct rf_query_error qerr;
	int r = rf_query_parse(text, &q, &qerr);
	if (r < 0) {
		if (rank == 0)
			fprintf(stderr, "ringflow-mpi: query:%d: %s\n", qerr.column, qerr.message);
		MPI_Finalize();
		return EXIT_USAGE;
	}
	opt.on_error = on_message;
	opt.query_id = text;
	opt.partial = RF_PARTIAL_OUT;
	opt.share_index = rank;
	opt.share_count = ranks;
	/* this rank's share, as a partial state */
	char *state = NULL;
	size_t slen = 0;
	r = run_to_memory(q, &opt, NULL, nfiles, files, &state, &slen);
	if (r != 0 && !nfail)
		add_failure("ringflow-mpi: rank %d on %s: %s", rank, host, r == 1 ? "an input could not be read" : rf_strerror(r));
	if (r != 0) {
		free(state);
		state = NULL;
		slen = 0;
	}
	/* up the tree, merged at each step while no share is missing (or
	 * --allow-partial) */
	opt.share_count = 0;
	opt.partial = RF_PARTIAL_MERGE | RF_PARTIAL_OUT;
	for (int mask = 1; mask < ranks; mask <<= 1) {
		if (rank & mask) {
			uint64_t head[2] = { nfail, slen };
			MPI_Send(head, 2, MPI_UINT64_T, rank - mask, 0, MPI_COMM_WORLD);
			send_bytes(failures, nfail, rank - mask);
			send_bytes(state, slen, rank - mask);
			break;
		}
		if (rank + mask >= ranks)
			continue;
		uint64_t head[2];
		MPI_Recv(head, 2, MPI_UINT64_T, rank + mask, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		char *f = malloc(head[0] + 1), *s = malloc(head[1] + 1);
		if (!f || !s || recv_bytes(f, head[0], rank + mask) < 0 || recv_bytes(s, head[1], rank + mask) < 0) {
			fprintf(stderr, "ringflow-mpi: rank %d on %s: out of memory receiving from rank %d\n", rank,
				host, rank + mask);
			MPI_Abort(MPI_COMM_WORLD, EXIT_USAGE);
		}
		char *nf = realloc(failures, nfail + head[0] + 1);
		if (nf) {
			memcpy(nf + nfail, f, head[0]);
			failures = nf;
			nfail += head[0];
		}
		int keep = !nfail || allow_partial;
		if (keep && state && head[1]) {
			/* the lower ranks' share first: the order of the inputs */
			struct rf_input in[2] = {
				{ .size = sizeof in[0], .kind = RF_INPUT_BUFFER, .data = state, .len = slen, .name = "own" },
				{ .size = sizeof in[1], .kind = RF_INPUT_BUFFER, .data = s, .len = head[1], .name = "received" },
			};
			char *merged = NULL;
			size_t mlen = 0;
			int mr = run_to_memory(q, &opt, in, 2, NULL, &merged, &mlen);
			if (mr != 0)
				add_failure("ringflow-mpi: rank %d on %s: merging rank %d's state: %s", rank, host, rank + mask,
					    rf_strerror(mr));
			free(state);
			state = mr == 0 ? merged : NULL;
			slen = mr == 0 ? mlen : 0;
		} else if (keep && head[1]) { /* this rank's share failed: the other's alone */
			state = s;
			slen = head[1];
			s = NULL;
		} else if (!keep) { /* no result will be printed: merge no more */
			free(state);
			state = NULL;
			slen = 0;
		}
		free(f);
		free(s);
	}
	int status = 0;
	if (rank == 0) {
		if (nfail)
			fwrite(failures, 1, nfail, stderr);
		if (nfail && !allow_partial) {
			fprintf(stderr, "ringflow-mpi: the shares of the ranks above are missing; no result printed "
				"(--allow-partial prints the rest)\n");
			status = EXIT_USAGE;
		} else if (!state) {
			fprintf(stderr, "ringflow-mpi: no rank read its share; no result\n");
			status = EXIT_USAGE;
		} else {
			opt.partial = RF_PARTIAL_MERGE;
			opt.out_fd = 1;
			struct rf_input in = { .size = sizeof in, .kind = RF_INPUT_BUFFER, .data = state, .len = slen,
					       .name = "merged" };
			r = rf_run_inputs(q, &in, 1, &opt, NULL, NULL);
			if (r != 0) {
				fprintf(stderr, "ringflow-mpi: printing the result: %s\n", rf_strerror(r));
				status = EXIT_USAGE;
			} else if (nfail) {
				fprintf(stderr, "ringflow-mpi: PARTIAL result: the shares of the ranks above are missing\n");
				status = EXIT_PARTIAL;
			}
		}
	}
	free(state);
	free(failures);
	rf_query_free(q);
	MPI_Finalize();
	return status;
}
