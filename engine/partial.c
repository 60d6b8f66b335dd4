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
#include <sys/stat.h>
#include <unistd.h>
#include "run.h"
#include "exec_multiprocess.h"
#include "strmap.h"

/* ---- the partial file ----------------------------------------------------
 *
 * An envelope around the aggregate's state (aggregate.c's partial format,
 * which has its own version, fingerprint and checksum).  Little-endian.
 *
 *   0   8  magic "RFPART" 0x00, then the envelope version as a u8 (1)
 *   8   8  the query's identity: rf__hash_bytes of opt->query_id (the CLI:
 *          the query text and the options that change results), 0 for none
 *   16  4  inputs the state covers, numbered from 0 (first and last pick
 *          the earliest or latest by input, then offset)
 *   20  4  flags: bit 0, a share of a list of inputs (numbered as the whole
 *          list is, so merged with no renumbering)
 *   24  8  length of the state that follows
 *   32  8  rf__hash_bytes of bytes 0 to 31
 *   40     the state
 *
 * A file or stream holds one or more partials one after another (cat
 * them).  Merging renumbers the inputs of each partial after those of
 * the partials before it, so the order given is the order of the inputs.
 */

#define ENVELOPE_MAGIC "RFPART\0\1"
#define ENVELOPE_SIZE 40
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
	if ((unsigned)opt->partial > (RF_PARTIAL_OUT | RF_PARTIAL_MERGE | RF_PARTIAL_TEXT) || opt->share_count < 0 ||
	    (opt->share_count && (opt->share_index < 0 || opt->share_index >= opt->share_count)))
		return "partial results: an unknown setting, or a share outside the count of shares";
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
	uint32_t flags = run->partial_share ? FLAG_SHARE : 0;
	memcpy(head, ENVELOPE_MAGIC, 8);
	memcpy(head + 8, &qh, 8);
	memcpy(head + 16, &run->partial_inputs, 4);
	memcpy(head + 20, &flags, 4);
	memcpy(head + 24, &blen, 8);
	uint64_t sum = rf__hash_bytes(head, 32);
	memcpy(head + 32, &sum, 8);
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

/* Merge the partials in p[0 .. n) (one input's bytes) into the aggregate,
 * in order; *cum the inputs of the partials merged before.  Each refusal
 * says which partial of which input and why. */
static int merge_bytes(struct run *run, const char *shown, const char *p, size_t n, uint32_t *cum)
{
	struct rf_agg_state *agg = rf__agg_stage_state(&run->stages[run->agg]);
	if (n == 0) {
		report_error(run, shown, -EBADMSG, "empty: no partial state in it");
		return -EBADMSG;
	}
	for (int k = 1; n > 0; k++) {
		char what[48];
		snprintf(what, sizeof what, k == 1 ? "" : " (partial %d in it)", k);
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
		uint64_t qh, blen, sum;
		uint32_t inputs, flags;
		memcpy(&qh, p + 8, 8);
		memcpy(&inputs, p + 16, 4);
		memcpy(&flags, p + 20, 4);
		memcpy(&blen, p + 24, 8);
		memcpy(&sum, p + 32, 8);
		if (sum != rf__hash_bytes(p, 32)) {
			report_error(run, shown, -EBADMSG, "partial state%s damaged: its header checksum does not match",
				     what);
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
		uint32_t base = flags & FLAG_SHARE ? 0 : *cum;
		rf__agg_set_input_base(agg, base);
		int r = rf__agg_decode_merge(agg, p + ENVELOPE_SIZE, (size_t)blen);
		rf__agg_set_input_base(agg, 0);
		if (r == -EBADMSG) {
			report_error(run, shown, r, "partial state%s damaged, or of another query or ringflow version: "
				     "its aggregate does not decode", what);
			return r;
		}
		if (r == 0)
			r = rf__agg_room(agg, 0);
		if (r < 0)
			return r;
		if (!(flags & FLAG_SHARE))
			*cum += inputs;
		if (base + inputs > run->partial_inputs)
			run->partial_inputs = base + inputs;
		run->partial_share &= (flags & FLAG_SHARE) != 0;
		p += ENVELOPE_SIZE + blen;
		n -= ENVELOPE_SIZE + (size_t)blen;
	}
	return 0;
}

/* ringflow merge: the inputs are partial states, merged in order into the
 * run's aggregate, which finish() then prints (or writes as one state). */
int rf__partial_merge(struct run *run, const char *const *files, int nfiles)
{
	uint32_t cum = 0;
	int r = 0;
	run->partial_share = 1;
	for (int i = 0; i < (nfiles ? nfiles : 1) && r == 0; i++) {
		const struct rf_input *in = run->in && nfiles ? &run->in[i] : NULL;
		const char *shown = run->in_shown && nfiles ? run->in_shown[i] : "standard input";
		if (in && in->kind == RF_INPUT_BUFFER) {
			r = merge_bytes(run, shown, in->data, in->len, &cum);
			continue;
		}
		int fd = in && in->kind == RF_INPUT_FD ? in->fd
			 : !nfiles || !strcmp(files[i], "-") ? 0 : open(files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			report_error(run, shown, r, "%s", strerror(-r));
			break;
		}
		/* read into one buffer of the file's size, not mapped: a
		 * partial rewritten (truncated) while it is merged would kill
		 * the process with SIGBUS, where a read sees the short file
		 * and the checks refuse it */
		struct stat sb;
		char *buf = NULL;
		size_t len = 0;
		int opened = fd != 0 && !(in && in->kind == RF_INPUT_FD);
		size_t hint = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
					      (uint64_t)sb.st_size < SIZE_MAX
				      ? (size_t)sb.st_size
				      : 0;
		r = slurp(fd, &buf, &len, hint);
		if (opened)
			close(fd);
		/* fix-text: lead replaces */
		char *bin, why[256];
		size_t blen;
		int t = r < 0 ? 0 : rf__partial_untext(buf, len, &bin, &blen, why, sizeof why);
		if (t < 0) {
			report_error(run, shown, t, "%s", t == -EBADMSG ? why : strerror(-t));
			free(buf);
			r = t;
			break;
		} else if (t > 0) {
			free(buf);
			buf = bin;
			len = blen;
		}
		/* end fix-text */
		if (r < 0)
			report_error(run, shown, r, "%s", strerror(-r));
		else
			r = merge_bytes(run, shown, buf, len, &cum);
		free(buf);
	}
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
