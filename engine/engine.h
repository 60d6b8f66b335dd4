/* engine.h - internals shared by the engine's files (not installed).
 * Internal non-static names carry the rf__ prefix. */
#ifndef RF_ENGINE_H
#define RF_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "ringflow.h"
#include "simd.h"

/* One selected record: its offset in the batch and its length without the
 * newline. */
struct rf_span {
	uint32_t off;
	uint32_t len;
};

/* The unit that moves between stages: a byte range holding whole records.
 * Record bytes are never copied; a filter narrows the selection instead.
 * While `all` is set every record of data[] is selected and `sel` is unused,
 * which lets counting and searching run over the raw bytes at full speed. */
struct rf_batch {
	const char *data;
	size_t len;
	uint64_t seq;
	int unterminated;     /* the last record has no newline (end of input) */
	int all;
	uint32_t nsel;
	uint32_t sel_cap;
	struct rf_span *sel;
};

/* Make room for n selected spans; 0 or -ENOMEM. */
int rf__batch_reserve(struct rf_batch *b, size_t n);

/* Records in an all-selected batch. */
static inline uint64_t rf__batch_all_records(const struct rf_batch *b, const struct rf_kernels *k)
{
	return k->count_byte(b->data, b->len, '\n') + (uint64_t)b->unterminated;
}

/* ---- output ---- */

struct rf_writer {
	int fd;
	char *buf;
	size_t len, cap;
	int err;              /* first write error, negative errno */
	uint64_t bytes;
};

int rf__writer_init(struct rf_writer *w, int fd, size_t cap);
void rf__writer_free(struct rf_writer *w);
int rf__writer_put(struct rf_writer *w, const char *p, size_t n);
int rf__writer_flush(struct rf_writer *w);

/* ---- stages ---- */

enum rf_stage_kind {
	RF_STAGE_FILTER,      /* passes a subset of records on */
	RF_STAGE_AGGREGATE,   /* consumes records, prints a result at the end */
};

/* A stage argument as the query parser saw it. */
enum rf_arg_type { RF_ARG_STRING, RF_ARG_WORD, RF_ARG_NUMBER, RF_ARG_FLAG };

struct rf_arg {
	enum rf_arg_type type;
	char *text;           /* unescaped bytes, NUL-terminated */
	size_t len;           /* length (strings may hold NUL) */
	int column;
};

struct rf_stage_spec {
	const struct rf_verb *verb;
	int column;
	int nargs;
	struct rf_arg *args;
	void *config;         /* verb-specific, built by verb->configure */
};

struct rf_stage {
	const struct rf_verb *verb;
	const struct rf_kernels *k;
	void *state;
	struct rf_stage_stats stats;
};

/* A verb of the query language: its parser and its runtime callbacks. */
struct rf_verb {
	const char *name;
	enum rf_stage_kind kind;
	const char *usage;
	/* check the arguments and build spec->config; fill err on failure */
	int (*configure)(struct rf_stage_spec *spec, struct rf_query_error *err);
	void (*free_config)(void *config);
	/* per-run state */
	int (*open)(struct rf_stage *st, const void *config);
	/* narrow b's selection (filters) or fold it into the state (aggregates) */
	int (*process)(struct rf_stage *st, struct rf_batch *b);
	/* aggregates print their result here */
	int (*finish)(struct rf_stage *st, struct rf_writer *out);
	void (*close)(struct rf_stage *st);
};

extern const struct rf_verb *const rf__verbs[];

struct rf_query {
	char *text;
	int nstages;
	struct rf_stage_spec stage[RF_MAX_STAGES];
};

/* ---- framer ---- */

struct rf_source;

/* Turns a source's chunks into batches of whole records. */
struct rf_framer {
	const struct rf_kernels *k;
	size_t max_record;
	char *spill;              /* a record that crossed a buffer end */
	size_t spill_len, spill_cap;
	uint64_t seq;
	uint64_t batches;
	uint64_t spill_batches;
	uint64_t longest_spill;
	uint64_t error_offset;    /* where a too-long record starts */
	struct rf_batch batch;    /* reused for every batch; owns sel[] */
	int (*emit)(void *user, struct rf_batch *b);
	void *user;
};

void rf__framer_init(struct rf_framer *f, const struct rf_kernels *k, size_t max_record,
		     int (*emit)(void *, struct rf_batch *), void *user);
void rf__framer_free(struct rf_framer *f);
/* Frame one whole input.  0 at its end, -E2BIG for a record over
 * max_record (error_offset says where it starts), or the error of the source
 * or of emit(). */
int rf__framer_run(struct rf_framer *f, struct rf_source *src);

#endif
