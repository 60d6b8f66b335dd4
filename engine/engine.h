/* SPDX-License-Identifier: MIT */
/* engine.h - internals shared by the engine's files (not installed).
 * Internal non-static names carry the rf__ prefix. */
#ifndef RF_ENGINE_H
#define RF_ENGINE_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include "ringflow.h"
#include "simd.h"
#include "value.h"
#include "tval.h"
#include "../numa/numa.h"
#include "probes.h"

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
struct rf_arena_block {
	struct rf_arena_block *next;
	size_t cap, len;
	char data[];
};

struct rf_batch {
	const char *data;
	size_t len;
	uint64_t seq;
	uint64_t offset;      /* input offset of data[0] (first and last order by it) */
	int unterminated;     /* the last record has no newline (end of input) */
	int input_start;      /* first batch of an input (a CSV header is here) */
	int all;
	uint32_t nsel;
	uint32_t sel_cap;
	struct rf_span *sel;
	/* Field values after a parse stage: nslots per selected record, row i
	 * at vals[i * nslots].  Unescaped strings live in the arena. */
	uint32_t nslots;
	int has_vals;
	struct rf_value *vals;
	size_t vals_cap;      /* in values */
	struct rf_arena_block *arena; /* newest first; pointers into it stay put */
	uint64_t first_line;  /* line number of data[0], when counted (else 0) */
	uint64_t lines_skipped; /* lines of too-long records dropped just before */
	uint64_t nrecords;    /* records in data[], when counted (else 0) */
	const char *input;    /* name of the input, for messages */
	uint32_t input_idx;   /* its position among the inputs */
	/* its index among the inputs the run was given (rf_record.input),
	 * set where the batch is made: names may repeat, so it is never
	 * worked out from the name afterwards */
	int input_no;
	/* rejected records of this batch, written out with the batch in input
	 * order: each a struct rf_span (its place in the batch, its length),
	 * the bytes and a newline; stages reject in their own order, so the
	 * writer sorts them by place */
	char *rejects;
	size_t rejects_len, rejects_cap;
	/* csv/tsv: records end only at a newline outside double quotes; the
	 * field separator (',' or '\t'), 0 for plain lines */
	char quote_sep;
	/* multiline records (records.c): a record ends before a line this rule
	 * calls a start; NULL: one record per line (or csv's quotes) */
	const struct rf_ml *ml;
	/* the source chunk data[] lies in, when the batch may keep it instead
	 * of a copy (see rf__chunk_hold); NULL: the bytes are the framer's or
	 * a copy, good only until the batch is handed on */
	struct rf_chunk_ref *ref;
	/* typed values of the fields `eval` made: ntv per selected record,
	 * row i at tv[i * ntv] (valid while has_vals is set) */
	struct rf_tv *tv;
	uint32_t ntv;
	size_t tv_cap;        /* in values */
};

/* A reference to the chunk a batch's bytes are in: taken by a work item
 * that keeps the batch, dropped (from any thread) when it is done; the
 * last one gives the chunk back to its source (framer.c). */
struct rf_chunk_ref;
void rf__chunk_hold(struct rf_chunk_ref *r);
void rf__chunk_unref(struct rf_chunk_ref *r); /* NULL: nothing */

/* Where a SIGBUS (a mapped file truncated under a batch) jumps to on this
 * thread; NULL: it kills the process.  The runner's handler uses it. */
extern __thread sigjmp_buf *rf__bus_jmp;
/* fn(a, b) with a SIGBUS in it caught: then *bus is set and the result is
 * -EIO.  For the executors' threads, which look at mapped bytes the
 * reading thread handed them without a copy. */
int rf__bus_guard(int (*fn)(void *, void *), void *a, void *b, int *bus);
/* The SIGBUS handler that jumps there, installed once per process: only
 * for a program that asked (rf_options.catch_sigbus). */
void rf__install_sigbus(void);

/* Make room for n selected spans; 0 or -ENOMEM. */
int rf__batch_reserve(struct rf_batch *b, size_t n);
/* Turn an all-selected batch into one span per record. */
int rf__batch_expand(struct rf_batch *b, const struct rf_kernels *k);
/* Room for the values of every selected record; 0 or -ENOMEM. */
int rf__batch_reserve_vals(struct rf_batch *b, uint32_t nslots);
/* Room for ntv typed values per selected record (rf_batch.tv). */
int rf__batch_reserve_tv(struct rf_batch *b, uint32_t ntv);
/* n bytes from the batch arena; NULL on allocation failure.  Pointers
 * into the arena stay valid until rf__batch_reset_arena. */
char *rf__batch_alloc(struct rf_batch *b, size_t n);
void rf__batch_reset_arena(struct rf_batch *b);
/* Keep only the rows whose keep[i] is nonzero (sel and values together). */
void rf__batch_filter(struct rf_batch *b, const uint8_t *keep);
/* Line number of the selected record i (slow: counts newlines). */
uint64_t rf__batch_line_of(const struct rf_batch *b, uint32_t i, const struct rf_kernels *k);
void rf__batch_free(struct rf_batch *b);
/* A whole, all-selected copy of src's records in *buf (grown as needed),
 * for a batch that must outlive its source buffer. */
int rf__batch_copy(struct rf_batch *dst, char **buf, size_t *cap, const struct rf_batch *src);
/* The same batch without a copy: dst points into src's chunk and takes a
 * reference to it (src->ref must be set); rf__chunk_unref(dst->ref) when
 * done with it. */
void rf__batch_share(struct rf_batch *dst, const struct rf_batch *src);

/* CSV framing (RFC 4180, read as Python's csv module does): a double quote
 * opens a quoted field only at the start of a field; inside one, "" is a
 * quote and a newline belongs to the field.  The scan state between calls: */
enum { RF_Q_START = 0, RF_Q_UNQUOTED, RF_Q_QUOTED, RF_Q_QUOTE_SEEN };
/* The first newline in [p, p + n) that ends a record, starting in *state
 * (updated to the state after it, or at p + n); NULL if none. */
const char *rf__csv_find_end(const char *p, size_t n, char sep, int *state);
/* The first record end in [p, end), p at a record's start, stepping a byte
 * at a time (for records with a quote close by); NULL if none. */
const char *rf__csv_end_bytewise(const char *p, const char *end, char sep);
/* The last such newline in [p, p + n), which starts a record; *state is the
 * state at p + n. */
const char *rf__csv_find_last_end(const char *p, size_t n, char sep, int *state);

/* Multiline records (records.c): a record starts at a line the rule calls
 * a start and runs to the line before the next one. */
enum { RF_ML_NONE = 0, RF_ML_REGEX, RF_ML_JAVA, RF_ML_PYTHON, RF_ML_GO, RF_ML_INDENT };
struct rf_regex;
struct rf_ml {
	int kind;
	const char *name;         /* the preset's name, or "record-start" */
	struct rf_regex *re;      /* RF_ML_REGEX */
	char prefix[32];          /* the literal after a leading ^, checked first */
	size_t prefix_len;
	int prefix_only;          /* the pattern is ^ and that literal alone */
};
/* A preset by name ("java", "python", "go", "indent"), or the pattern regex
 * when it is not NULL; 0, or -EINVAL (err says why for a pattern). */
int rf__ml_init(struct rf_ml *m, const char *preset, const char *regex, struct rf_query_error *err);
void rf__ml_free(struct rf_ml *m);
/* Does the line p[0..n) (no newline; a CR before it is ignored) start a record? */
int rf__ml_is_start(const struct rf_ml *m, const char *p, size_t n);
/* The first newline in [p, p + n) that ends a record, p inside a record's
 * line: one followed by a start line that ends in range (or at p + n when
 * whole: the range ends a record, and its last newline is then an end). */
const char *rf__ml_find_end(const struct rf_ml *m, const struct rf_kernels *k, const char *p, size_t n, int whole);
/* The last such newline in [p, p + n), p starting a record. */
const char *rf__ml_find_last_end(const struct rf_ml *m, const struct rf_kernels *k, const char *p, size_t n);

/* How records end, for the code that cuts bytes into records (framer,
 * pieces, batches, ranges): lines, csv quotes or a multiline rule. */
struct rf_recdef {
	char quote_sep;
	const struct rf_ml *ml;
};
/* The newline ending the record at p, from a fresh scan state; NULL if
 * none in [p, p + n) (whole: see rf__ml_find_end). */
const char *rf__rec_find_end(const struct rf_recdef *d, const struct rf_kernels *k, const char *p, size_t n,
			     int whole);
/* The last record end in [p, p + n), p starting a record. */
const char *rf__rec_find_last_end(const struct rf_recdef *d, const struct rf_kernels *k, const char *p, size_t n);

/* Lines in an all-selected batch: its records, but for csv and tsv, whose
 * records may span lines (see rf__batch_records). */
static inline uint64_t rf__batch_all_records(const struct rf_batch *b, const struct rf_kernels *k)
{
	return k->count_byte(b->data, b->len, '\n') + (uint64_t)b->unterminated;
}
/* Records in an all-selected batch, csv and tsv too. */
uint64_t rf__batch_records(const struct rf_batch *b, const struct rf_kernels *k);

#define RF_MAX_SLOTS 64
#define RF_MAX_SUBPARSE 8  /* parse ... from FIELD stages in one query */
#define RF_AUTO_MAX 24     /* formats parse auto tries */

/* ---- output ---- */

struct rf_writer {
	int fd;
	char *buf;
	size_t len, cap;
	int err;              /* first write error, negative errno */
	uint64_t bytes;
	void (*first_write)(void *user); /* once, before the first write(2) */
	void *first_user;
};

int rf__writer_init(struct rf_writer *w, int fd, size_t cap);
void rf__writer_free(struct rf_writer *w);
int rf__writer_put(struct rf_writer *w, const char *p, size_t n);
int rf__writer_flush(struct rf_writer *w);

/* ---- query text: arguments of a stage ---- */

enum rf_arg_type {
	RF_ARG_STRING, RF_ARG_WORD, RF_ARG_NUMBER, RF_ARG_FLAG, RF_ARG_OP,
	RF_ARG_COMMA, RF_ARG_LPAREN, RF_ARG_RPAREN,
};

struct rf_arg {
	enum rf_arg_type type;
	char *text;           /* unescaped bytes, NUL-terminated */
	size_t len;           /* length (strings may hold NUL) */
	int column;
};

/* Reading a stage's arguments, with errors that point at the spot. */
struct rf_cursor {
	const struct rf_arg *args;
	int nargs, i;
	int end_column;       /* column just past the stage, for "expected ..." */
	struct rf_query_error *err;
};

const struct rf_arg *rf__peek(struct rf_cursor *c);
const struct rf_arg *rf__take(struct rf_cursor *c);
/* Take the next argument if it is of this type (and text, if given). */
int rf__accept(struct rf_cursor *c, enum rf_arg_type type, const char *text);
int rf__cursor_column(struct rf_cursor *c);
int rf__fail(struct rf_query_error *err, int column, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The n bytes at s into buf, NUL-terminated: text too long for it keeps
 * its start and end around a visible "[... N bytes left out ...]". */
void rf__fit_text(char *buf, size_t size, const char *s, size_t n);
/* The hint "TITLE a b c" (n names, or up to a NULL when n < 0), fitted. */
void rf__hint_list(struct rf_query_error *err, const char *title, const char *const *names, int n);
int rf__edit_distance(const char *a, const char *b);
/* "did you mean 'x'?" from a NULL-terminated list, if one is close */
void rf__suggest(struct rf_query_error *err, const char *name, const char *const *names);

/* ---- fields ---- */

struct rf_parser;

/* A field named in the query, bound to a slot of the batch's value rows. */
struct rf_fieldref {
	char *name;
	int column;
	int slot;             /* -1: the whole record ($0 / line) */
};

/* The head of every parse stage's config: what names it can produce. */
struct rf_parser {
	const char *format;        /* "combined", "json", ... for messages */
	const char *const *known;  /* names it always has (NULL-terminated), for hints */
	int (*accepts)(const struct rf_parser *p, const char *name);
	const char *const *time_fields; /* what minute/hour/day bucket: the first
				     * of these present in a record; NULL: none */
};

/* The fields the query uses, in slot order. */
struct rf_schema {
	const struct rf_parser *parser; /* NULL: no parse stage */
	int nslots;
	char *slot_name[RF_MAX_SLOTS];
	/* slots `eval` fills: their index among the typed values (tv_idx),
	 * and whether anything but an expression reads them (as text) */
	uint8_t is_eval[RF_MAX_SLOTS];
	uint8_t tv_idx[RF_MAX_SLOTS];
	uint8_t text_needed[RF_MAX_SLOTS];
	int neval;
	/* `parse FORMAT from FIELD` stages bound so far, in stage order; bit s
	 * of slot_sub[i]: the sth of them writes slot i when it finds that
	 * field (later stages then read its value, earlier ones the first
	 * parse's) */
	const struct rf_parser *sub[RF_MAX_SUBPARSE];
	int nsub;
	uint32_t slot_sub[RF_MAX_SLOTS];
};

/* Resolve a name to a slot through the query's parser; fills err and
 * returns -EINVAL for a name the parser cannot produce. */
int rf__schema_bind(struct rf_schema *sc, struct rf_fieldref *ref, struct rf_query_error *err);
/* The same for an expression, which reads an eval'd field's typed value. */
int rf__schema_bind_expr(struct rf_schema *sc, struct rf_fieldref *ref, struct rf_query_error *err);
/* A new slot for a field eval makes: its slot number, or -errno. */
int rf__schema_add_eval(struct rf_schema *sc, const char *name, int column, struct rf_query_error *err);
/* Parse a field name at the cursor (a word, or a string for odd names). */
int rf__parse_fieldref(struct rf_cursor *c, struct rf_fieldref *ref, const char *what);
void rf__fieldref_free(struct rf_fieldref *ref);

static inline struct rf_value rf__field(const struct rf_batch *b, uint32_t row, const struct rf_fieldref *f)
{
	if (f->slot < 0) {
		struct rf_span s = b->sel[row];
		return (struct rf_value){ b->data + s.off, (int32_t)s.len };
	}
	return b->vals[(size_t)row * b->nslots + (size_t)f->slot];
}

/* ---- stages ---- */

enum rf_stage_kind {
	RF_STAGE_PARSE,       /* fills value rows */
	RF_STAGE_FILTER,      /* passes a subset of records on */
	RF_STAGE_PROJECT,     /* select: chooses the output columns */
	RF_STAGE_LIMIT,       /* head before an aggregate: stops the run */
	RF_STAGE_AGGREGATE,   /* consumes records, makes a result table */
	RF_STAGE_TABLE,       /* top, sort, head, select on the result table */
};

struct rf_stage_spec {
	const struct rf_verb *verb;
	const char *verb_text; /* the word as written (count, sum, p99 ...) */
	int column;
	int nargs;
	struct rf_arg *args;
	int end_column;
	void *config;         /* verb-specific, built by verb->configure */
};

/* Why a record was rejected: a parser could not read it, its time key is
 * no valid timestamp, a regex hit its limits on it, it was cut off (only
 * under --strict: else such a record is kept, see cut_off), a field that
 * `parse ... from FIELD` could not read. */
enum { RF_REJECT_PARSE, RF_REJECT_TIME, RF_REJECT_REGEX, RF_REJECT_CUT, RF_REJECT_FROM, RF_REJECT_NWHY };

/* What a stage may use of the run around it. */
struct rf_stage_env {
	struct rf_writer *rejects;   /* --rejects FILE, or NULL */
	int strict;                  /* --strict: the first reject ends the run */
	uint64_t rejected;
	uint64_t rejected_why[RF_REJECT_NWHY]; /* of them, for each reason */
	int first_reject_why;
	_Atomic uint64_t cut_off;    /* records a parser kept though cut off */
	/* parse auto: inputs read as each format (rf__auto_summary names
	 * them); the last counts inputs no format fitted */
	uint32_t auto_picked[RF_AUTO_MAX + 1];
	uint64_t first_reject_line;  /* the earliest, by input then line */
	uint32_t first_reject_idx;
	const char *first_reject_input; /* one of the run's input names, whole */
	void *lock;                  /* a pthread mutex when workers share this */
	int defer_rejects;           /* rejected records go to the batch's
				      * rejects buffer, written in order later */
	/* --group-memory: the resident size (bytes) the process may reach
	 * while an aggregate grows, read from statm_fd; 0: no limit */
	uint64_t memory_limit;
	int statm_fd;
	const struct rf_tz *tz;      /* --tz: buckets on its clock (NULL: UTC) */
	enum rf_regex_engine regex_engine; /* --regex-engine */
	/* --since/--until: records outside, or without a time, are dropped
	 * before the first stage (timerange.c); NULL: no range */
	const struct rf_timerange *range;
	_Atomic uint64_t time_outside, time_missing;
	_Atomic uint64_t groups_at_limit;  /* groups when the limit was hit */
	_Atomic uint64_t resident_at_limit; /* and the resident bytes then */
};

/* The process's resident memory in bytes (0 if unknown). */
uint64_t rf__resident_bytes(int statm_fd);

struct rf_stage {
	const struct rf_verb *verb;
	int id;                      /* position in the query, for probes */
	const struct rf_kernels *k;
	struct rf_stage_env *env;
	void *state;
	struct rf_stage_stats stats;
	unsigned slow_us;            /* test-only: RINGFLOW_TEST_SLOW_STAGE */
};

/* Output columns as the table stages see them, for checks at parse time. */
struct rf_colset {
	int n, nkeys;
	char *name[64];
};

struct rf_query;
struct rf_table;

/* A verb of the query language: its parser and its runtime callbacks. */
struct rf_verb {
	const char *name;
	enum rf_stage_kind kind;
	const char *usage;
	/* read the arguments and build spec->config; fill err on failure */
	int (*configure)(struct rf_stage_spec *spec, struct rf_cursor *cur);
	/* resolve field names against the schema (after every stage parsed) */
	int (*bind)(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err);
	void (*free_config)(void *config);
	/* per-run state */
	int (*open)(struct rf_stage *st, const void *config);
	/* narrow b's selection (filters), fill values (parsers), or fold the
	 * batch into the state (aggregates).  RF_STOP ends the run early. */
	int (*process)(struct rf_stage *st, struct rf_batch *b);
	/* aggregates: hand over the result table */
	int (*finish)(struct rf_stage *st, struct rf_table **out);
	/* table stages: check column names and update the column list (the
	 * aggregate fills it first) */
	int (*columns)(struct rf_stage_spec *spec, struct rf_colset *cols, struct rf_query_error *err);
	/* table stages: transform the result table in place */
	int (*apply)(const void *config, struct rf_table *t);
	void (*close)(struct rf_stage *st);
};

#define RF_STOP 1

/* A parse stage hands a record it cannot read to this: counted, written to
 * --rejects, and with --strict an error.  Returns 0, or -EBADMSG to stop. */
int rf__reject(struct rf_stage *st, const struct rf_batch *b, uint32_t row);
/* The same for any stage, with the reason (RF_REJECT_*). */
int rf__reject_why(struct rf_stage *st, const struct rf_batch *b, uint32_t row, int why);
/* The query has a stage other than the parser that may reject records
 * (regex on PCRE2, where ~) under the matcher `engine` asks for (after
 * rf__filters_prepare): the runner then counts lines for the report. */
int rf__query_may_reject(const struct rf_query *q, enum rf_regex_engine engine);
/* Hyperscan for the query's regex and grep stages, compiled once before a
 * run that may use it (none for RF_REGEX_PCRE2): 0, or -ENOTSUP when
 * hyperscan is asked for and cannot be had.  And for --stats, the matcher
 * each of them uses (rep->stage[i].engine and engine_note). */
int rf__filters_prepare(const struct rf_query *q, enum rf_regex_engine engine);
void rf__filters_report(const struct rf_query *q, enum rf_regex_engine engine, struct rf_report *rep);

extern const struct rf_verb *const rf__verbs[];
extern const struct rf_verb rf__verb_select_table, rf__verb_head_table, rf__verb_where_table;
/* stage_sort.c: sort and top before an aggregate are of records (a head
 * after them limits the sorter), after one of the result table; and the
 * record sort's stage, or -1 */
int rf__rsort_retarget(struct rf_query *q, struct rf_query_error *err);
int rf__rsort_stage(const struct rf_query *q);

/* Small questions the runner and the binder ask of particular verbs. */
int rf__select_fields(const struct rf_stage_spec *spec, const struct rf_fieldref **fields);
/* Their column names: an alias (select x as y), else the field's name. */
int rf__select_names(const struct rf_stage_spec *spec, const char **names);
/* csv, tsv: each input's first line is its header (so the parse must be
 * the first stage, and an input cannot be cut into byte ranges) */
int rf__parse_reads_header(const struct rf_stage_spec *spec);
/* parse auto: the formats each input was read as, for --stats ("" when
 * parse auto did not run) */
void rf__auto_summary(const struct rf_stage_env *env, char *buf, size_t size);
/* A parse whose format depends on each input's start (csv's header, the
 * format parse auto picks): an input is never cut into byte ranges or
 * shared by workers */
int rf__parse_whole_inputs(const struct rf_stage_spec *spec);
/* The field separator when the query's records are csv or tsv, whose
 * quoted fields may hold newlines (the framer then ends records only at
 * newlines outside quotes); 0 for every other query */
char rf__parse_csv_sep(const struct rf_query *q);
/* `parse FORMAT from FIELD`: reads a field, not the record */
int rf__parse_is_sub(const struct rf_stage_spec *spec);
/* Such a stage's slots, once every stage is bound: those the schema marked
 * for it (rf_schema.slot_sub). */
int rf__parse_sub_slots(struct rf_stage_spec *spec, const struct rf_schema *sc);
int rf__agg_columns(const struct rf_stage_spec *spec, struct rf_colset *cols);
/* The aggregate state behind an aggregate stage. */
struct rf_agg_state *rf__agg_stage_state(struct rf_stage *st);
/* Start the aggregate over, empty (--interval: each report its own). */
int rf__agg_stage_reset(struct rf_stage *st);
/* Two instances of an aggregate stage taking one batch between them: this
 * one folds only share `part` of `nparts` of the groups (rf__agg_set_part);
 * -EINVAL when the aggregate has no keys to share by. */
int rf__agg_stage_part(struct rf_stage *st, unsigned nparts, unsigned part);
/* Fold another worker's aggregate stage into this one. */
int rf__agg_stage_merge(struct rf_stage *dst, struct rf_stage *src);
/* What an aggregate skipped (values missing or not numbers), as text;
 * like snprintf, returns the whole length (NULL and 0 to measure). */
int rf__agg_notes(const struct rf_stage *st, char *buf, size_t cap);
const struct rf_verb *rf__find_verb(const char *name);
/* A stage registered through rf_register_stage or a plugin (plugin.c),
 * or NULL. */
const struct rf_verb *rf__custom_verb(const char *name);
/* Why a custom stage's open() failed in a run, on this thread, in its own
 * words (NULL: none since the last clear). */
const char *rf__stage_open_failed(void);
void rf__stage_open_clear(void);
/* -EINVAL (err filled) when spec is such a stage and adds fields: it comes
 * before the parse stage `parse`, which would wipe them. */
int rf__custom_before_parse(const struct rf_stage_spec *spec, const struct rf_stage_spec *parse,
			    struct rf_query_error *err);

struct rf_query {
	char *text;
	int nstages;
	struct rf_stage_spec stage[RF_MAX_STAGES];
	struct rf_schema schema;
	int parse_stage;      /* index, or -1 */
	int agg_stage;        /* index, or -1 */
	int project_stage;    /* select before any aggregate, or -1 */
};

/* Run stages [0, n) on a batch: stats, early stop, the filters' narrowing.
 * Returns 0, RF_STOP (a head had enough) or -errno. */
int rf__run_stages(struct rf_stage *stage, int n, struct rf_batch *b);

/* Stage st on its share of a batch that another instance of the stage
 * counts and probes (pipeline mode's shared aggregate): only its busy time
 * is counted.  Returns what the stage's process returns. */
int rf__run_stage_share(struct rf_stage *st, struct rf_batch *b);

/* Set up stage s of query q in st and open it (every mode's way in, so the
 * stage__name probe fires for each instance).  Returns 0 or -errno. */
int rf__stage_open(struct rf_stage *st, const struct rf_query *q, int s, const struct rf_kernels *k,
		   struct rf_stage_env *env);

/* ---- parallel mode ---- */

struct rf_par;

/* What parallel and pipeline mode both need to run the row stages on
 * threads of their own. */
struct rf_workers_config {
	int workers;               /* parallel: worker threads */
	int queue_depth;           /* pipeline: ring slots between stages */
	int items;                 /* batches in flight, at most */
	/* bytes the items may hold together: their copies of the batches and
	 * what the stages grow per batch (records, values, arena, rejects);
	 * 0 for no bound.  One batch is always let through. */
	size_t item_budget;
	const struct rf_query *q;
	int nstages;               /* row stages (through the aggregate) */
	const struct rf_kernels *k;
	struct rf_stage_env *env;  /* shared by the threads: env->lock set */
	/* finished batches, in input order, on the submitting thread; those
	 * of a live input (see rf__par_live) on a worker as soon as they are
	 * done, then flush.  One thread at a time calls them. */
	int (*output)(void *user, struct rf_batch *b);
	int (*flush)(void *user);
	/* the first error of a worker, a stage or output, on the thread that
	 * hit it: wake the reader, which may be waiting on a quiet pipe */
	void (*wake)(void *user, int err);
	void *user;
	const struct rf_placement *place;  /* thread i: CPU and node */
	char *why;                 /* if create fails: what failed, for the */
	size_t why_len;            /* message (may be NULL) */
};

/* What a work item holds: its copy buffer of cap bytes (if it ever had to
 * copy) and the batch's selection, values, arena and rejects.  A batch in
 * flight is counted at its size as well (rf__item_estimate), whether it
 * is a copy or keeps its chunk: a window's pages are resident too. */
static inline size_t rf__item_footprint(const struct rf_batch *b, size_t cap)
{
	size_t n = cap + (size_t)b->sel_cap * sizeof *b->sel + b->vals_cap * sizeof *b->vals + b->rejects_cap +
		   b->tv_cap * sizeof *b->tv;
	for (const struct rf_arena_block *a = b->arena; a; a = a->next)
		n += sizeof *a + a->cap;
	return n;
}

/* The byte budget of the work items of parallel and pipeline mode. */
struct rf_item_budget {
	size_t held;    /* what the items hold, by their `held` */
	size_t per_mib; /* stage bytes per MiB of batch, measured */
};

/* The copy buffer for a batch of len bytes: to the next page (64 spare
 * bytes at the end for the vector kernels), not a power of two, which
 * could double what a large buffer size costs. */
static inline size_t rf__item_copy_size(size_t len)
{
	size_t g = 4096;
	return (len + 64 + g - 1) / g * g;
}

/* What a batch of len bytes will hold in an item that holds `had` now. */
static inline size_t rf__item_estimate(const struct rf_item_budget *ib, size_t had, size_t len)
{
	size_t est = rf__item_copy_size(len) + len / 1024 * (ib->per_mib / 1024);
	return est > had ? est : had;
}

/* An item is back: count what it holds now (*held, its copy of cap
 * bytes and what the stages grew), and learn from a full-size batch what
 * the stages grow per byte. */
static inline void rf__item_measure(struct rf_item_budget *ib, size_t *held, const struct rf_batch *b, size_t cap)
{
	size_t n = rf__item_footprint(b, cap);
	ib->held = ib->held - *held + n;
	*held = n;
	if (b->len >= (size_t)256 << 10 && n > cap)
		ib->per_mib = (n - cap) / (b->len >> 10) << 10;
}

int rf__par_create(struct rf_par **out, const struct rf_workers_config *cfg);
/* Hand a batch over: the item keeps b->ref's chunk, or a copy of the bytes
 * when b->ref is NULL.  0, or the first error of a worker or of output. */
int rf__par_submit(struct rf_par *p, const struct rf_batch *b);
/* Batches submitted from now on come from a live input (a pipe): they go
 * out, and are flushed, as soon as they are processed, not when the reader
 * next submits - it may be waiting for the writer for a long time. */
void rf__par_live(struct rf_par *p, int live);
/* Wait for everything handed over and write it out; stops the workers. */
int rf__par_finish(struct rf_par *p);
int rf__par_workers(const struct rf_par *p);
/* The pool's drain (pool.h): on the reading thread, write out what is
 * finished or wait for a worker, until a chunk comes back (1) or nothing
 * is in flight (0). */
int rf__par_drain(void *p);
/* A batch lost to a SIGBUS (its mapped file was truncated): 1 with its
 * input's name and index, once per input, else 0. */
int rf__par_lost(struct rf_par *p, const char **input, uint32_t *input_idx);
/* Record bytes copied into items (batches not in a chunk). */
uint64_t rf__par_copied(const struct rf_par *p);
struct rf_stage *rf__par_stages(struct rf_par *p, int worker);
void rf__par_destroy(struct rf_par *p);

/* ---- pipeline mode ---- */

struct rf_pipe;

int rf__pipe_create(struct rf_pipe **out, const struct rf_workers_config *cfg);
/* 0, RF_STOP (a head had enough), or the first error of a stage or output */
int rf__pipe_submit(struct rf_pipe *p, const struct rf_batch *b);
void rf__pipe_live(struct rf_pipe *p, int live);   /* as rf__par_live */
int rf__pipe_finish(struct rf_pipe *p);
struct rf_stage *rf__pipe_stages(struct rf_pipe *p);
int rf__pipe_drain(void *p);   /* as rf__par_drain */
int rf__pipe_lost(struct rf_pipe *p, const char **input, uint32_t *input_idx); /* as rf__par_lost */
uint64_t rf__pipe_copied(const struct rf_pipe *p);
/* Waits on ring i (the input of stage i; ring n returns to the reader). */
void rf__pipe_queue_stats(const struct rf_pipe *p, int ring, uint64_t *empty_waits, uint64_t *full_waits,
			  uint64_t *empty_ns, uint64_t *full_ns);
void rf__pipe_destroy(struct rf_pipe *p);

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
	int skip_long;            /* --on-long=skip: drop such a record, count it */
	uint64_t long_skipped;    /* records dropped so, in this input */
	uint64_t first_long_offset;
	uint64_t skipped_lines;   /* lines dropped so since the last batch */
	uint64_t bytes_copied;    /* record bytes copied: carries and spill */
	struct rf_chunk_ref *cur_ref, *held_ref; /* chunk at hand, the carry's */
	struct rf_chunk_ref *spill_ref; /* the spill buffer while it is out */
	struct rf_batch batch;    /* reused for every batch; owns sel[] */
	int input_start;          /* the next batch is an input's first */
	char quote_sep;           /* csv/tsv framing (see rf__csv_find_end); 0: lines */
	int qstate;               /* its scan state at the end of the open record */
	const struct rf_ml *ml;   /* multiline records; NULL: none */
	size_t ml_line;           /* in the spill: where its last, open line starts */
	char *ml_open;            /* while skipping: the line open at a chunk's end */
	size_t ml_open_len, ml_open_head, ml_open_cap;
	uint64_t ml_open_offset;
	int ml_open_set;
	int (*emit)(void *user, struct rf_batch *b);  /* 0, RF_STOP, or -errno */
	int (*tick)(void *user);                      /* a stream's deadline passed */
	void *user;
};

void rf__framer_init(struct rf_framer *f, const struct rf_kernels *k, size_t max_record,
		     int (*emit)(void *, struct rf_batch *), void *user);
void rf__framer_free(struct rf_framer *f);
/* Frame one whole input.  0 at its end, RF_STOP when emit() asked to stop,
 * -E2BIG for a record over max_record (error_offset says where it starts),
 * or the error of the source, of emit() or of tick(). */
int rf__framer_run(struct rf_framer *f, struct rf_source *src);

#endif
