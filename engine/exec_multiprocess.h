/* SPDX-License-Identifier: MIT */
/* exec_multiprocess.h - multiprocess mode, internal: the parent
 * (exec_multiprocess.c), its workers (exec_multiprocess_worker.c) and what
 * a worker sends back. */
#ifndef RF_EXEC_MULTIPROCESS_H
#define RF_EXEC_MULTIPROCESS_H

#include <stdint.h>
#include "run.h"

/* What a worker that outgrew its share reports, instead of its report. */
struct mp_over {
	uint64_t groups, resident, limit;
};

/* One worker's piece of one input: whole records, [start, end). */
struct mp_range {
	const char *name;
	uint64_t start, end;
	uint32_t input_idx;
	uint64_t records;          /* lines in the range, as the worker counted */
	int failed;                /* the worker found the input unreadable */
	uint8_t io;                /* the backend the worker read it with (enum rf_io), 0 for none */
};

/* in a worker's line count of a range: the input failed there */
#define MP_RANGE_FAILED ((uint64_t)1 << 63)

/* What a worker reports when it is done, followed by a u64 line count per
 * range (MP_RANGE_FAILED or'ed in) and a byte per range (its backend). */
struct mp_report {
	uint64_t rejected;
	uint64_t rejected_why[RF_REJECT_NWHY];
	int32_t first_reject_why;
	uint64_t cut_off;
	uint64_t first_reject_range; /* index into the parent's range list */
	uint64_t first_reject_line;  /* within that range */
	int32_t failed_inputs;
	uint32_t nranges;
	uint64_t bytes;
	/* for --stats: the parent runs no batch itself */
	uint64_t records, lines, batches, spill_batches, long_skipped, bytes_copied;
	uint64_t time_outside, time_missing; /* --since/--until drops */
	uint64_t seek_skipped;
	char io_reason[160];         /* why the worker's first range got its backend */
	int32_t direct_used, uring_registered;
	uint64_t dec_inputs[RF_COMPRESSED_MAX], dec_in[RF_COMPRESSED_MAX];
	uint64_t dec_out[RF_COMPRESSED_MAX], dec_ns[RF_COMPRESSED_MAX];
	uint64_t dec_threads[RF_COMPRESSED_MAX];
	uint64_t inflated;
	struct {
		uint64_t batches, records_in, records_out, bytes_in, busy_ns;
	} stage[RF_MAX_STAGES];
};

#pragma GCC visibility push(hidden)
/* Run the query over the files in run->threads worker processes; the
 * parent merges their results into run.  0, or a negative errno. */
int run_multiprocess(struct run *run, const char *const *files, int nfiles);
/* A forked worker: run over ranges[first .. first + count), send back the
 * result on data_fd and the report on report_fd, and _exit. */
void mp_child(struct run *run, struct mp_range *ranges, int first, int count, int data_fd, int report_fd,
	      int rejects_fd, int worker, int workers) __attribute__((noreturn));
/* Cut the inputs into `workers` shares of whole records (see
 * exec_multiprocess.c); ranges[first[w] .. first[w + 1]) is share w. */
int mp_cut(struct run *run, const char *const *files, int nfiles, int workers, struct mp_range *ranges, int *first,
	   int *nranges);
/* Read ranges[first .. first + count) in this process, as a worker does. */
void mp_read_ranges(struct run *run, struct mp_range *ranges, int first, int count, uint64_t *records, uint8_t *io,
		    struct mp_report *rep);
#pragma GCC visibility pop

#endif
