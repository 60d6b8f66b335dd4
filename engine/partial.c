/* SPDX-License-Identifier: MIT */
/* partial.c - partial results (issue 20): a run that writes its aggregate's
 * mergeable state instead of the result (--partial-out), a run that merges
 * such states and prints what one run over all their inputs prints
 * (ringflow merge), and a run over one share of its inputs (a rank of
 * ringflow-mpi), cut as multiprocess mode cuts them. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "run.h"
#include "exec_multiprocess.h"
#include "strmap.h"
#include "testhooks.h"

/* ---- the partial file ----------------------------------------------------
 *
 * An envelope around the aggregate's state (aggregate.c's partial format,
 * which has its own version, fingerprint and checksum).  Little-endian.
 *
 *   0   8  magic "RFPART" 0x00, then the envelope version as a u8 (2)
 *   8   8  the query's identity: rf__hash_bytes of opt->query_id (the CLI:
 *          the query text and the options that change results), 0 for none
 *   16  4  inputs the state covers, numbered from 0 (first and last pick
 *          the earliest or latest by input, then offset)
 *   20  4  flags: bit 0, a share of a list of inputs (numbered as the whole
 *          list is, so merged with no renumbering)
 *   24  8  length of the state that follows
 *   32  8  records the runs behind the state read (a merge's: the sum)
 *   40  8  of them, those rejected as not in the query's format (a
 *          parser's rejects, no time for the time key): a merge that
 *          prints fails, as one run over all the inputs would, when these
 *          are all of the records
 *   48  8  rf__hash_bytes of bytes 0 to 47
 *   56     the state
 *
 * A file or stream holds one or more partials one after another (cat
 * them).  Merging renumbers the inputs of each partial after those of
 * the partials before it, so the order given is the order of the inputs.
 * Version 1 (a 40-byte envelope without the counts) is refused with its
 * version named.
 */

#define ENVELOPE_MAGIC RF_ENVELOPE_MAGIC
#define ENVELOPE_SIZE RF_ENVELOPE_SIZE
#define FLAG_SHARE 1u

static uint64_t query_hash(const struct rf_options *opt)
{
	return opt->query_id ? rf__hash_bytes(opt->query_id, strlen(opt->query_id)) : 0;
}

/* Why this run cannot make or merge partial states, or NULL. */
const char *rf__partial_refusal(const rf_query *q, const struct rf_options *opt)
{
	if (!opt->partial && !opt->share_count)
		return NULL;
	if ((opt->partial & RF_PARTIAL_TEXT) && !(opt->partial & RF_PARTIAL_OUT))
		return "partial results: RF_PARTIAL_TEXT is the form of RF_PARTIAL_OUT's state, without it there is none";
	if ((unsigned)opt->partial > (RF_PARTIAL_OUT | RF_PARTIAL_MERGE | RF_PARTIAL_TEXT | RF_PARTIAL_PIECE) ||
	    opt->share_count < 0 || (opt->share_count && (opt->share_index < 0 || opt->share_index >= opt->share_count)))
		return "partial results: an unknown setting, or a share outside the count of shares";
	/* a piece alone is a run like any other, but for one rule */
	if (opt->partial == RF_PARTIAL_PIECE && !opt->share_count)
		return NULL;
	if (q->agg_stage < 0)
		return "partial results need an aggregate (count, sum, p99 ... by): a query without one prints "
		       "records, which separate runs already give in order (concatenate their outputs)";
	if (opt->follow || opt->every_ns)
		return "partial results are made once, at the end: not with --follow, --every or --interval";
	if (opt->state_path)
		return "partial results and --state: one or the other";
	struct rf_plan_query pq;
	rf__plan_query(q, &pq);
	if (pq.limit)
		return "a head before the aggregate keeps the first records of one run's inputs: partial states "
		       "of separate runs would not add up to it";
	if (opt->share_count && pq.header)
		return "csv, tsv, w3c, cloudfront and parse auto read each input from its first lines, which a "
		       "share of the inputs lacks";
	return NULL;
}

/* The aggregate's state, in its envelope, as the run's output. */
int rf__partial_write(struct run *run)
{
	char *blob;
	size_t len;
	int r = rf__agg_encode(rf__agg_stage_state(&run->stages[run->agg]), &blob, &len);
	if (r < 0)
		return r;
	char head[ENVELOPE_SIZE];
	uint64_t qh = query_hash(run->opt), blen = len;
	uint64_t records = run->records + run->partial_records;
	/* with --rejects the run kept them (no failure for it either): they
	 * do not count against the whole */
	uint64_t rejected = run->have_rejects ? 0
			    : format_rejects(run) + run->partial_rejected;
	uint32_t flags = run->partial_share ? FLAG_SHARE : 0;
	memcpy(head, ENVELOPE_MAGIC, 8);
	memcpy(head + 8, &qh, 8);
	memcpy(head + 16, &run->partial_inputs, 4);
	memcpy(head + 20, &flags, 4);
	memcpy(head + 24, &blen, 8);
	memcpy(head + 32, &records, 8);
	memcpy(head + 40, &rejected, 8);
	uint64_t sum = rf__hash_bytes(head, RF_ENVELOPE_SUM_AT);
	memcpy(head + RF_ENVELOPE_SUM_AT, &sum, 8);
	if (run->opt->partial & RF_PARTIAL_TEXT) {
		r = rf__partial_text_put(&run->out, head, sizeof head, blob, len);
	} else {
		r = rf__writer_put(&run->out, head, sizeof head);
		if (r == 0)
			r = rf__writer_put(&run->out, blob, len);
	}
	free(blob);
	return r;
}

/* All of fd, into *out (malloc'ed); hint: its size if known (a regular
 * file's), so that one buffer takes it with no growing. */
static int slurp(int fd, char **out, size_t *len, size_t hint)
{
	size_t cap = hint ? hint + 1 : 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return -ENOMEM;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
			continue;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The partials being merged: each one's state, and where it came from
 * (for a message). */
struct merge_list {
	struct rf_agg_blob *blob;
	const char **shown;
	int *nth;                 /* which partial of its input (1: the first) */
	size_t n, cap;
	char **bufs;              /* the inputs' bytes, freed at the end */
	size_t nbufs;
	struct { void *p; size_t len; } *maps; /* or mapped, unmapped at the end */
	size_t nmaps;
};

static void say_nth(char *what, size_t size, int k)
{
	snprintf(what, size, k == 1 ? "" : " (partial %d in it)", k);
}

/* The partials in p[0 .. n) (one input's bytes), checked and listed in
 * order; *cum the inputs of the partials listed before.  Each refusal says
 * which partial of which input and why. */
static int list_bytes(struct run *run, struct merge_list *l, const char *shown, const char *p, size_t n,
		      uint32_t *cum)
{
	if (n == 0) {
		report_error(run, shown, -EBADMSG, "empty: no partial state in it");
		return -EBADMSG;
	}
	for (int k = 1; n > 0; k++) {
		char what[48];
		say_nth(what, sizeof what, k);
		if (n < ENVELOPE_SIZE || memcmp(p, ENVELOPE_MAGIC, 6) != 0) {
			report_error(run, shown, -EBADMSG, "not a ringflow partial state%s (made by --partial-out); "
				     "%s", what, n < ENVELOPE_SIZE ? "too short: truncated" : "no RFPART header");
			return -EBADMSG;
		}
		if ((uint8_t)p[6] != 0 || (uint8_t)p[7] != (uint8_t)ENVELOPE_MAGIC[7]) {
			report_error(run, shown, -EBADMSG, "partial state%s of format version %u: this ringflow "
				     "reads version %u only (make and merge partials with one version)", what,
				     (unsigned)(uint8_t)p[7], (unsigned)(uint8_t)ENVELOPE_MAGIC[7]);
			return -EBADMSG;
		}
		uint64_t qh, blen, sum, records, rejected;
		uint32_t inputs, flags;
		memcpy(&qh, p + 8, 8);
		memcpy(&inputs, p + 16, 4);
		memcpy(&flags, p + 20, 4);
		memcpy(&blen, p + 24, 8);
		memcpy(&records, p + 32, 8);
		memcpy(&rejected, p + 40, 8);
		memcpy(&sum, p + RF_ENVELOPE_SUM_AT, 8);
		if (sum != rf__hash_bytes(p, RF_ENVELOPE_SUM_AT)) {
			report_error(run, shown, -EBADMSG, "partial state%s damaged: its header checksum does not match",
				     what);
			return -EBADMSG;
		}
		if (rejected > records) {
			report_error(run, shown, -EBADMSG, "partial state%s damaged: it says more records rejected "
				     "than read", what);
			return -EBADMSG;
		}
		if (qh != query_hash(run->opt)) {
			report_error(run, shown, -EBADMSG, "partial state%s of another query (or other --tz, --since, "
				     "--until ... options): merge with the query text and options it was made with",
				     what);
			return -EBADMSG;
		}
		if (blen > n - ENVELOPE_SIZE) {
			report_error(run, shown, -EBADMSG, "partial state%s truncated: %llu bytes of its %llu", what,
				     (unsigned long long)(n - ENVELOPE_SIZE), (unsigned long long)blen);
			return -EBADMSG;
		}
		/* a share's inputs are numbered in the whole list that all the
		 * shares cut, a whole run's after the partials before it: the
		 * two cannot be put in one order (first() and last() would mix
		 * inputs up), so they are not merged together */
		run->partial_kinds |= flags & FLAG_SHARE ? 1 : 2;
		if (run->partial_kinds == 3) {
			report_error(run, shown, -EINVAL, "partial state%s: partials of ringflow-mpi's shares and of "
				     "whole runs cannot be merged together (merge the shares first, then print)", what);
			return -EINVAL;
		}
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			struct rf_agg_blob *nb = realloc(l->blob, cap * sizeof *nb);
			if (nb)
				l->blob = nb;
			const char **ns = realloc(l->shown, cap * sizeof *ns);
			if (ns)
				l->shown = ns;
			int *nk = realloc(l->nth, cap * sizeof *nk);
			if (nk)
				l->nth = nk;
			if (!nb || !ns || !nk)
				return -ENOMEM;
			l->cap = cap;
		}
		uint32_t base = flags & FLAG_SHARE ? 0 : *cum;
		l->blob[l->n] = (struct rf_agg_blob){ p + ENVELOPE_SIZE, (size_t)blen, base };
		l->shown[l->n] = shown;
		l->nth[l->n] = k;
		l->n++;
		if (!(flags & FLAG_SHARE))
			*cum += inputs;
		/* sums of counts of records read: past 2^64 only if crafted */
		if (__builtin_add_overflow(run->partial_records, records, &run->partial_records) ||
		    __builtin_add_overflow(run->partial_rejected, rejected, &run->partial_rejected)) {
			report_error(run, shown, -EBADMSG, "partial state%s damaged: its count of records does not add "
				     "up", what);
			return -EBADMSG;
		}
		if (base + inputs > run->partial_inputs)
			run->partial_inputs = base + inputs;
		run->partial_share &= (flags & FLAG_SHARE) != 0;
		p += ENVELOPE_SIZE + blen;
		n -= ENVELOPE_SIZE + (size_t)blen;
	}
	return 0;
}

/* buf kept until the merge is done (freed now if it cannot be). */
static int keep_buf(struct merge_list *l, char *buf)
{
	char **nb = realloc(l->bufs, (l->nbufs + 1) * sizeof *nb);
	if (!nb) {
		free(buf);
		return -ENOMEM;
	}
	l->bufs = nb;
	l->bufs[l->nbufs++] = buf;
	return 0;
}

/* RINGFLOW_TEST_MERGE_TRUNCATE: a mapped file cut to nothing once it has
 * been checked, as another process rewriting it would. */
static void truncate_behind(const char *path)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

/* One input's bytes: a buffer given; a regular file named (not a
 * descriptor given, read from where it stands) mapped, when the program
 * lets the library catch SIGBUS (a partial cut short while it is
 * merged then fails the merge with a message); else the file read whole
 * into one buffer of its size.  A thousand big partials mapped take the
 * page cache's pages, where read they would take as much memory again. */
static int input_bytes(struct run *run, struct merge_list *l, int i, const char *const *files, int nfiles,
		       const char *shown, const char **p, size_t *len)
{
	const struct rf_input *in = run->in && nfiles ? &run->in[i] : NULL;
	if (in && in->kind == RF_INPUT_BUFFER) {
		*p = in->data;
		*len = in->len;
		return 0;
	}
	int fd = in && in->kind == RF_INPUT_FD ? in->fd
		 : !nfiles || !strcmp(files[i], "-") ? 0 : open(files[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;
		report_error(run, shown, r, "%s", strerror(-r));
		return r;
	}
	struct stat sb;
	char *buf = NULL;
	int opened = fd != 0 && !(in && in->kind == RF_INPUT_FD);
	if (opened && run->opt->catch_sigbus && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (uint64_t)sb.st_size < SIZE_MAX / 2) {
		void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		void *nm = map == MAP_FAILED ? NULL : realloc(l->maps, (l->nmaps + 1) * sizeof *l->maps);
		if (nm) {
			rf__install_sigbus();
			l->maps = nm;
			l->maps[l->nmaps].p = map;
			l->maps[l->nmaps++].len = (size_t)sb.st_size;
			close(fd);
			*p = map;
			*len = (size_t)sb.st_size;
			return 0;
		}
		if (map != MAP_FAILED)
			munmap(map, (size_t)sb.st_size);
	}
	size_t hint = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && (uint64_t)sb.st_size < SIZE_MAX
			      ? (size_t)sb.st_size
			      : 0;
	int r = slurp(fd, &buf, len, hint);
	if (opened)
		close(fd);
	if (r < 0) {
		report_error(run, shown, r, "%s", strerror(-r));
		return r;
	}
	*p = buf;
	return keep_buf(l, buf);
}

/* An input of text partials (--partial-text's lines) decoded into the
 * binary ones, in a buffer freed at the end; binary input left alone. */
static int input_untext(struct run *run, struct merge_list *l, const char *shown, const char **p, size_t *len)
{
	char *bin, why[256];
	size_t blen;
	int t = rf__partial_untext(*p, *len, &bin, &blen, why, sizeof why);
	if (t < 0) {
		report_error(run, shown, t, "%s", t == -EBADMSG ? why : strerror(-t));
		return t;
	}
	if (t == 0)
		return 0;
	*p = bin;
	*len = blen;
	return keep_buf(l, bin);
}

struct merge_job {
	struct run *run;
	const char *const *files;
	int nfiles;
	struct merge_list *l;
	uint64_t held;            /* the inputs' bytes, held at once */
	int raised;               /* the limit raised by them */
};

/* The inputs read and checked, then merged: all of it where a SIGBUS (a
 * mapped partial cut short meanwhile) is caught, the merge's own threads
 * catching theirs. */
static int merge_job(void *arg, void *unused)
{
	(void)unused;
	struct merge_job *j = arg;
	struct run *run = j->run;
	struct merge_list *l = j->l;
	uint32_t cum = 0;
	int r = 0;
	for (int i = 0; i < (j->nfiles ? j->nfiles : 1) && r == 0; i++) {
		const char *shown = run->in_shown && j->nfiles ? run->in_shown[i] : "standard input";
		const char *p = NULL;
		size_t len = 0;
		r = input_bytes(run, l, i, j->files, j->nfiles, shown, &p, &len);
		j->held += len;
		if (r == 0)
			r = input_untext(run, l, shown, &p, &len);
		if (r == 0)
			r = list_bytes(run, l, shown, p, len, &cum);
	}
	if (r < 0)
		return r;
	for (int i = 0; i < j->nfiles && l->nmaps && rf__test_hooks()->merge_truncate; i++)
		truncate_behind(j->files[i]); /* as if rewritten meanwhile */
	struct rf_agg_state *agg = rf__agg_stage_state(&run->stages[run->agg]);
	/* the inputs are all held (mapped or read) until the merge is done,
	 * and count in the resident bytes the limit is on: they are not
	 * the state's, which the limit is for */
	rf__agg_limit_adjust(agg, (int64_t)j->held);
	j->raised = 1;
	int threads = run->opt->threads > 0 ? run->opt->threads : rf__usable_cpus();
	size_t bad = 0;
	r = rf__agg_decode_merge_many(agg, l->blob, l->n, threads,
				      run->opt->partial & RF_PARTIAL_OUT ? 0 : RF_AGG_MERGE_FINAL, &bad);
	if (r == -EBADMSG && bad < l->n) {
		char what[48];
		say_nth(what, sizeof what, l->nth[bad]);
		report_error(run, l->shown[bad], r, "partial state%s damaged, or of another query or ringflow "
			     "version: its aggregate does not decode", what);
	}
	if (r == 0)
		r = rf__agg_room(agg, 0);
	if (r == -EOVERFLOW) { /* the figures of the limit's message */
		run->env.groups_at_limit = rf__agg_groups(agg);
		uint64_t at = rf__agg_at_limit(agg);
		run->env.resident_at_limit = at > j->held ? at - j->held : at;
	}
	return r;
}

/* ringflow merge: the inputs are partial states, merged in order into the
 * run's aggregate, which finish() then prints (or writes as one state).
 * All of them are read first and merged together, a part of the groups'
 * hash space at a time (rf__agg_decode_merge_many). */
int rf__partial_merge(struct run *run, const char *const *files, int nfiles)
{
	struct merge_list l = { 0 };
	struct merge_job job = { run, files, nfiles, &l, 0, 0 };
	run->partial_share = 1;
	int bus, r = rf__bus_guard(merge_job, &job, NULL, &bus);
	if (bus || r == RF_AGG_MERGE_BUS) {
		report_error(run, "ringflow merge", -EIO, "a partial state was cut short while it was merged "
			     "(a file truncated or rewritten meanwhile): nothing merged is printed");
		r = -EIO;
	}
	for (size_t i = 0; i < l.nbufs; i++)
		free(l.bufs[i]);
	for (size_t i = 0; i < l.nmaps; i++)
		munmap(l.maps[i].p, l.maps[i].len);
	free(l.maps);
	free(l.bufs);
	if (job.raised)
		rf__agg_limit_adjust(rf__agg_stage_state(&run->stages[run->agg]), -(int64_t)job.held);
	free(l.blob);
	free(l.shown);
	free(l.nth);
	if (run->rep)
		run->rep->inputs = (uint64_t)(nfiles ? nfiles : 1);
	return r;
}

/* A run over share opt->share_index of opt->share_count of the inputs. */
int rf__partial_share(struct run *run, const char *const *files, int nfiles)
{
	int shares = run->opt->share_count, me = run->opt->share_index;
	struct mp_range *ranges = calloc((size_t)nfiles * (size_t)shares + 1, sizeof *ranges);
	int *first = calloc((size_t)shares + 1, sizeof *first);
	if (!ranges || !first) {
		free(ranges), free(first);
		return -ENOMEM;
	}
	int nr = 0, r = mp_cut(run, files, nfiles, shares, ranges, first, &nr);
	int count = first[me + 1] - first[me];
	uint64_t *records = calloc((size_t)count + 1, sizeof *records);
	uint8_t *io = calloc((size_t)count + 1, 1);
	struct mp_report rep = { 0 };
	if (r == 0 && (!records || !io))
		r = -ENOMEM;
	if (r == 0)
		mp_read_ranges(run, ranges, first[me], count, records, io, &rep);
	run->partial_inputs = (uint32_t)nfiles;
	run->partial_share = 1;
	free(records);
	free(io);
	free(ranges);
	free(first);
	return r;
}
