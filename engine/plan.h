/* SPDX-License-Identifier: MIT */
/* plan.h - the plan phase: what the inputs, the query and the machine are,
 * gathered once by the runner, and the mode, thread count and I/O backend
 * chosen from them by pure functions (no system calls), with the reasons
 * --stats prints.  tests/check_plan.c runs them on made-up inputs. */
#ifndef RINGFLOW_PLAN_H
#define RINGFLOW_PLAN_H

#include <stdint.h>
#include <stddef.h>
#include "ringflow.h"
#include "../numa/numa.h"

/* What one named input is, from one stat(2) of its path. */
enum rf_input_kind {
	RF_INPUT_STDIN,     /* "-": standard input, whatever it is */
	RF_INPUT_REGULAR,   /* a regular file (one on procfs or FUSE may lie about its
			     * size: multiprocess checks that when it opens it) */
	RF_INPUT_STREAM,    /* a pipe, socket or device */
	RF_INPUT_DIR,       /* a directory: reported when it is read */
	RF_INPUT_MISSING,   /* stat failed: reported when it is read */
};

struct rf_plan_input {
	enum rf_input_kind kind;
	uint64_t size;    /* st_size of a regular file */
	int sampled;      /* cached_pct holds a page-cache sample (0: not taken) */
	int cached_pct;   /* the share of the file's pages in the page cache */
	const char *name; /* the name as given (the read looks its sample up by it) */
	int direct;       /* set after the plan: read it with O_DIRECT if still cold */
	int codec;        /* compressed (enum rf_codec in io/codec.h), 0: plain or not looked at */
};

/* What the query does, as far as the choice of mode goes. */
struct rf_plan_query {
	int row_stages;  /* stages run per batch: up to and with the aggregate */
	int has_agg;     /* an aggregate stage */
	int limit;       /* a head that stops the reading (before an aggregate) */
	int heavy;       /* parses, or runs regex or where, per record */
	int header;      /* csv or tsv: each input's first line is a header */
	int cheap_merge; /* an aggregate with small partial states (no sketch, no distinct) */
	int record_sort; /* sort or top of records: merged in the one output stream */
};

/* What the machine allows. */
struct rf_plan_machine {
	int cpus;          /* CPUs this process may run on */
	uint64_t as_limit; /* RLIMIT_AS in bytes, 0 when unlimited */
	uint64_t ram;      /* physical memory in bytes, 0 when unknown */
	uint64_t avail;    /* MemAvailable in bytes, 0 when unknown */
};

struct rf_plan {
	enum rf_mode mode;
	int threads;      /* workers, processes or (pipeline) stage threads and the reader */
	uint64_t total;   /* bytes of the regular files named */
	int files_only;   /* every input a named regular file */
	int cached_pct;   /* share of the sampled files' bytes in the page cache, -1 unknown */
	int cold;         /* mostly cold: io_uring reads from the disk (see plan.c) */
	int direct;       /* the cold files to be read with O_DIRECT whatever their size */
	int compressed;   /* named files found compressed */
	char reason[160]; /* why this mode (also why a --mode was not followed) */
};

/* The query's traits, read from the parsed query. */
void rf__plan_query(const rf_query *q, struct rf_plan_query *pq);

/* The mode and thread count for these inputs (n of them; n == 0 is stdin). */
void rf__plan_mode(const struct rf_options *opt, const struct rf_plan_query *pq, const struct rf_plan_input *in,
		   int n, const struct rf_plan_machine *m, struct rf_plan *out);

/* How the mode's threads are laid out for numa/placement.c, and how many
 * it places: serial and async one thread, pipeline a chain, the workers of
 * parallel and multiprocess mode spread across nodes. */
enum rf_place_shape rf__plan_place_shape(enum rf_mode mode, int threads, int *n);

/* Files this size or larger get a page-cache sample (smaller ones are
 * mapped, warm or cold). */
#define RF_PLAN_SAMPLE_MIN ((uint64_t)16 << 20)

/* Whether the plan samples the page-cache residency of a regular file of
 * `size` bytes: for auto's choice of mode, or for the backend's. */
int rf__plan_wants_sample(const struct rf_options *opt, uint64_t size);

/* The backend for one input at read time.  `is_stream` for a pipe, device
 * or a file whose size lies; `size` the bytes left to read; `cached_pct`
 * the share of them in the page cache (-1 when it could not be sampled),
 * needed only when rf__plan_io_wants_residency says so; `room` the memory
 * the page cache may use (MemAvailable, else physical memory; 0 unknown). */
int rf__plan_io_wants_residency(const struct rf_options *opt, int is_stream, uint64_t size);
enum rf_io rf__plan_io(const struct rf_options *opt, int is_stream, uint64_t size, int cached_pct, uint64_t room,
		       int plan_direct, int *direct, int *deep, char *why, size_t why_len);

#endif
