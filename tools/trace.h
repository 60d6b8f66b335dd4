/* SPDX-License-Identifier: MIT */
/* trace.h - what trace.bpf.c keeps in its maps and trace.c reads back.
 *
 * Everything is aggregated in the kernel: per-CPU arrays of counters and
 * log2 histograms, summed over CPUs by the reader.  No event is sent to
 * user space one by one.
 */
#ifndef RF_TRACE_H
#define RF_TRACE_H

#define TRACE_STAGES 32      /* RF_MAX_STAGES */
#define TRACE_QUEUES 33      /* one per stage, and the one back to the reader */
#define TRACE_SLOTS 32       /* log2 buckets of microseconds */
#define TRACE_NAME 32
#define TRACE_CODECS 8       /* enum rf_codec (io/codec.h), with room to grow */

/* A batch is counted whole at its stage__end, with the records and bytes
 * its stage__begin gave: a batch under way when we attached (its begin
 * unseen) is only counted in unpaired_ends, and a report taken between a
 * begin and its end leaves the batch to the next one.  So records out never
 * exceed records in for a filter, busy time lies within the time we
 * watched, and interval reports add up to the final one. */
struct stage_counts {
	__u64 batches;           /* batches counted: begin and end seen */
	__u64 begins;            /* stage__begin seen */
	__u64 unpaired_ends;     /* an end whose begin came before we attached */
	__u64 records_in, records_out, bytes;
	__u64 busy_ns;
	__u64 threads;           /* distinct threads that ran a batch of it */
	__u64 hist[TRACE_SLOTS]; /* batch busy time, log2(us) */
};

struct queue_counts {
	__u64 full_waits, full_ns;   /* the producer waited for room */
	__u64 empty_waits, empty_ns; /* the consumer waited for work */
};

struct io_counts {
	__u64 submits, completes;
	__u64 unpaired;          /* a completion whose submit came before we attached */
	__u64 bytes, errors;
	__u64 latency_ns;        /* submit to completion, summed (requests overlap) */
	__u64 blocked_ns;        /* the reader blocked on results, summed */
	__u64 hist[TRACE_SLOTS]; /* submit to completion, log2(us) */
};

/* The decoder threads of compressed input, per codec, from decode__chunk:
 * one chunk is one output buffer, whose busy time the engine measured. */
struct decode_counts {
	__u64 chunks;
	__u64 in_bytes, out_bytes; /* compressed consumed, decompressed made */
	__u64 busy_ns;
	__u64 threads;           /* distinct threads that decoded it */
	__u64 hist[TRACE_SLOTS]; /* chunk busy time, log2(us) */
};

/* Follow mode, from follow__read: one per chunk read from a followed file,
 * with how far that file's end was ahead of what had been handed out. */
struct follow_counts {
	__u64 reads, bytes;
	__u64 lag_sum;           /* bytes behind the file's end, summed over reads */
	__u64 hist[TRACE_SLOTS]; /* that lag, log2(KiB) */
};

struct run_info {
	__u64 start_ns, end_ns;  /* bpf_ktime_get_ns() at run__start / run__end */
	__u64 mode, threads;
	__u64 bytes, records;    /* from run__end */
};

struct stage_name {
	char name[TRACE_NAME];
};

#endif
