/* SPDX-License-Identifier: MIT */
/* follow.c - follow mode (-f): the history first, then the live files
 * through the following reader (io/source_follow.c), with checkpoints.
 *
 * Names.  A name that is another name plus a rotation suffix (app.log.1,
 * app.log.2.gz, app.log-20261201) is history: read first, oldest first
 * (generations by number, descending; dates ascending), compressed ones
 * decoded.  The others are live: followed.  A pattern that names no file
 * is expanded here (glob(3)), for a name given in quotes.
 *
 * The state (--state).  A checkpoint is taken between chunks, when every
 * line handed out has been through the stages (follow mode runs serial):
 * so each file's offset and the aggregate's partial state agree.  It holds
 *   - each file read: its identity (device, inode, fingerprint of its first
 *     bytes), how far it was read, and whether it is the live file of its
 *     name ('l'), rotated away and still read ('r'), or finished ('h');
 *   - the aggregate in the partial-aggregate format (aggregate.c);
 * and is written to a temporary file beside it, fsync'ed and renamed over
 * it, so a crash leaves the old state or the new one, never a mix.
 *
 * A restart matches files by content: a history file (or a file beside a
 * live name, found by its fingerprint) that begins with a recorded file's
 * first bytes is that file, renamed or compressed since, and is read from
 * where that one was left; a live name still pointing at the same file
 * resumes at its offset.  So a rotation while ringflow was down loses
 * nothing, and nothing is read twice.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "run.h"
#include "executor.h"
#include "../io/follow.h"
#include "../io/codec.h"

#define DONE_MAX 16384    /* finished files the state remembers */
#define HOLD_MAX 256      /* history files held open from the start */

struct rec {
	char *name;
	struct rf_follow_id id;
	uint64_t offset;
	char kind;            /* 'h' finished, 'l' live, 'r' rotated away */
	int used;             /* a saved one: matched by a file this run */
};

struct follow {
	uint64_t qid;
	struct timespec saved_time; /* when the state loaded was written */
	int have_time;
	struct rec *saved;    /* from --state */
	int nsaved;
	struct rec *done;     /* finished files, this run's and saved ones kept */
	int ndone, capdone;
	struct rf_source *src; /* the following reader, while it runs */
	uint64_t next_ckpt;
	uint64_t ckpt_mark;   /* what changed by the last checkpoint: unchanged, none is written */
	int ckpt_said;        /* the errno of a failed checkpoint, said once */
};

static uint64_t ns_or(uint64_t v, uint64_t dflt)
{
	return v ? v : dflt;
}

/* ---- the state file ----------------------------------------------------- */

static void put_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == '%' || c >= 0x7f)
			fprintf(f, "%%%02X", c);
		else
			fputc(c, f);
	}
}

static char *get_name(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	while (*s) {
		unsigned v;
		if (*s == '%' && sscanf(s + 1, "%2X", &v) == 1) {
			*o++ = (char)v;
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	return out;
}

static void put_rec(FILE *f, char kind, const char *name, const struct rf_follow_id *id, uint64_t off)
{
	fprintf(f, "file %c %" PRIu64 " %" PRIu64 " %u %016" PRIx64 " %" PRIu64 " ", kind, id->dev, id->ino,
		id->fplen, id->fp, off);
	put_name(f, name);
	fputc('\n', f);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write the state: 0 or -errno (the old state file is then untouched). */
static int state_write(struct run *run, struct follow *fw)
{
	const char *path = run->opt->state_path;
	char *text = NULL, *agg = NULL;
	size_t text_len = 0, agg_len = 0;
	int r = 0;
	if (run->agg >= 0 && (r = rf__agg_encode(rf__agg_stage_state(&run->stages[run->agg]), &agg, &agg_len)) < 0)
		return r;
	FILE *f = open_memstream(&text, &text_len);
	if (!f) {
		free(agg);
		return -ENOMEM;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	fprintf(f, "ringflow-state 1\nquery %016" PRIx64 "\ntime %lld.%09ld\n", fw->qid, (long long)now.tv_sec,
		now.tv_nsec);
	for (int i = 0; i < fw->ndone; i++)
		put_rec(f, 'h', fw->done[i].name, &fw->done[i].id, fw->done[i].offset);
	struct rf_follow_pos *pos = NULL;
	int npos = 0;
	if (fw->src && (r = rf__follow_positions(fw->src, &pos, &npos)) < 0) {
		fclose(f);
		free(text);
		free(agg);
		return r;
	}
	for (int i = 0; i < npos; i++)
		put_rec(f, pos[i].live > 0 ? 'l' : pos[i].live == 0 ? 'r' : 'h', pos[i].name, &pos[i].id, pos[i].offset);
	rf__follow_positions_free(pos, npos);
	/* saved files not seen this run stay known: a later run may be given them */
	for (int i = 0; i < fw->nsaved; i++)
		if (!fw->saved[i].used)
			put_rec(f, fw->saved[i].kind, fw->saved[i].name, &fw->saved[i].id, fw->saved[i].offset);
	fprintf(f, "agg %zu\n", agg_len);
	if (agg_len)
		fwrite(agg, 1, agg_len, f);
	free(agg);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	char sum[40];
	int sn = snprintf(sum, sizeof sum, "sum %016" PRIx64 "\n", rf__fp_hash(text, text_len));

	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		free(text);
		return -ENAMETOOLONG;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	r = write_all(fd, text, text_len);
	if (r == 0)
		r = write_all(fd, sum, (size_t)sn);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	free(text);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	/* the rename itself survives a crash once the directory is synced */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = 0;
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

static void say_state(struct run *run, int err, const char *what)
{
	report_error(run, "--state", err, "%s: %s", run->opt->state_path, what);
}

/* Load the state: 0 (loaded, or none yet), or -errno said already. */
static int state_load(struct run *run, struct follow *fw)
{
	const char *path = run->opt->state_path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		say_state(run, -e, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > ((off_t)1 << 34)) {
		close(fd);
		say_state(run, -EINVAL, "not a state file of ringflow (not a regular file, or too big)");
		return -EINVAL;
	}
	size_t n = (size_t)st.st_size;
	char *buf = malloc(n + 1);
	size_t got = 0;
	while (buf && got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf || got != n) {
		free(buf);
		say_state(run, -EIO, "could not be read whole");
		return -EIO;
	}
	buf[n] = 0;
	int r = -EBADMSG;
	const char *why = "not a state file of ringflow";
	char *sum = n > 22 ? buf + n - 21 : NULL; /* "sum " 16 hex digits "\n" */
	uint64_t want;
	if (strncmp(buf, "ringflow-state 1\n", 17) != 0 || !sum || strncmp(sum, "sum ", 4) != 0 ||
	    sscanf(sum + 4, "%16" SCNx64, &want) != 1) {
		goto bad;
	}
	why = "damaged (its checksum does not match)";
	if (rf__fp_hash(buf, (size_t)(sum - buf)) != want)
		goto bad;
	why = "damaged";
	char *p = buf + 17, *end = sum;
	uint64_t qid;
	if (sscanf(p, "query %16" SCNx64, &qid) != 1)
		goto bad;
	if (qid != fw->qid) {
		free(buf);
		say_state(run, -ESTALE, "written by another query or with other options; give the same query and "
			  "options to resume, or another --state file to start afresh");
		return -ESTALE;
	}
	p = strchr(p, '\n') + 1;
	long long sec;
	long nsec;
	if (sscanf(p, "time %lld.%9ld", &sec, &nsec) == 2) {
		fw->saved_time.tv_sec = (time_t)sec;
		fw->saved_time.tv_nsec = nsec;
		fw->have_time = 1;
		p = strchr(p, '\n') + 1;
	}
	while (p < end && strncmp(p, "file ", 5) == 0) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			goto bad;
		*nl = 0;
		struct rec rc = { 0 };
		char kind, name[PATH_MAX * 3 + 1];
		if (sscanf(p, "file %c %" SCNu64 " %" SCNu64 " %u %16" SCNx64 " %" SCNu64 " %3071s", &kind, &rc.id.dev,
			   &rc.id.ino, &rc.id.fplen, &rc.id.fp, &rc.offset, name) != 7 ||
		    !strchr("hlr", kind) || rc.id.fplen > RF_FP_MAX)
			goto bad;
		rc.kind = kind;
		struct rec *nr = realloc(fw->saved, (size_t)(fw->nsaved + 1) * sizeof *nr);
		if (nr)
			fw->saved = nr;
		if (!nr || !(rc.name = get_name(name))) {
			r = -ENOMEM;
			why = "out of memory";
			goto bad;
		}
		fw->saved = nr;
		fw->saved[fw->nsaved++] = rc;
		p = nl + 1;
	}
	size_t alen;
	if (p >= end || sscanf(p, "agg %zu", &alen) != 1)
		goto bad;
	p = strchr(p, '\n') + 1;
	if (alen > (size_t)(end - p) || (size_t)(end - p) != alen + 1)
		goto bad;
	if (alen && run->agg < 0)
		goto bad;
	if (alen && (r = rf__agg_decode_merge(rf__agg_stage_state(&run->stages[run->agg]), p, alen)) < 0) {
		why = "its aggregate does not fit this query, or is damaged";
		r = -EBADMSG;
		goto bad;
	}
	free(buf);
	return 0;
bad:
	free(buf);
	say_state(run, r, why);
	return r;
}

/* ---- names -------------------------------------------------------------- */

struct fname {
	char *name;
	int base;             /* history: the live name it belongs to; -1: live */
	int fd;               /* history: held open from the start, or -1 */
	long gen;             /* .N: N; -1: a date or other suffix */
	const char *suffix;
	int order;
};

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static size_t strip_codec(const char *s)
{
	static const char *const ext[] = { ".gz", ".zst", ".xz", ".bz2", ".lz4", NULL };
	size_t n = strlen(s);
	for (int i = 0; ext[i]; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && strcmp(s + n - e, ext[i]) == 0)
			return n - e;
	}
	return n;
}

static int by_rotation(const void *a, const void *b)
{
	const struct fname *x = a, *y = b;
	if (x->base != y->base)
		return x->base - y->base;
	if ((x->gen < 0) != (y->gen < 0))
		return x->gen < 0 ? -1 : 1; /* dated before numbered */
	if (x->gen >= 0 && x->gen != y->gen)
		return x->gen > y->gen ? -1 : 1; /* .3 is older than .2 */
	int c = strcmp(x->suffix, y->suffix);
	return c ? c : x->order - y->order;
}

/* ---- files read whole: the history, and what a restart finds ---------- */

/* The first bytes of a file's content (decoded if compressed): 0 (a plain
 * file) or 1 (compressed) and *len, or -errno. */
static int content_start(struct run *run, const char *name, unsigned char *buf, size_t *len, struct stat *st)
{
	*len = 0;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a path, or /proc/self/fd/N */
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	struct rf_input_desc in = { .fd = fd, .size = (uint64_t)st->st_size };
	int codec = run->opt->decompress_off ? 0 : rf__input_codec(&in);
	if (codec <= 0 || !rf__codec_library((enum rf_codec)codec)) {
		ssize_t n = pread(fd, buf, RF_FP_MAX, 0);
		*len = n > 0 ? (size_t)n : 0;
		close(fd);
		return 0; /* plain */
	}
	struct rf_source *src;
	int r = ensure_pool(run, 0);
	if (r == 0)
		r = rf__source_decode_open(&src, &in, codec, &run->pool, NULL, 0, 1);
	if (r < 0) {
		close(fd);
		return r;
	}
	struct rf_chunk c;
	while (*len < RF_FP_MAX && src->ops->next(src, &c) == 1) {
		size_t take = c.len < RF_FP_MAX - *len ? c.len : RF_FP_MAX - *len;
		memcpy(buf + *len, c.data, take);
		*len += take;
		src->ops->release(src, &c);
	}
	src->ops->close(src);
	close(fd);
	return 1; /* compressed */
}

/* The saved file that a file beginning with buf[0, len) is, or NULL. */
static struct rec *match(struct follow *fw, const unsigned char *buf, size_t len, const struct stat *st)
{
	struct rec *best = NULL;
	for (int i = 0; i < fw->nsaved; i++) {
		struct rec *rc = &fw->saved[i];
		int same_ino = rc->id.dev == (uint64_t)st->st_dev && rc->id.ino == (uint64_t)st->st_ino;
		if (rc->used || rc->id.fplen > len)
			continue;
		if (rc->id.fplen == 0 ? !same_ino : rf__fp_hash(buf, rc->id.fplen) != rc->id.fp)
			continue;
		if (!best || same_ino)
			best = rc;
	}
	return best;
}

static int remember(struct follow *fw, const char *name, const struct rf_follow_id *id, uint64_t off)
{
	if (fw->ndone == DONE_MAX) { /* the oldest goes */
		free(fw->done[0].name);
		memmove(fw->done, fw->done + 1, (size_t)(DONE_MAX - 1) * sizeof *fw->done);
		fw->ndone--;
	}
	if (fw->ndone == fw->capdone) {
		int cap = fw->capdone ? 2 * fw->capdone : 16;
		struct rec *nd = realloc(fw->done, (size_t)cap * sizeof *nd);
		if (!nd)
			return -ENOMEM;
		fw->done = nd;
		fw->capdone = cap;
	}
	struct rec *rc = &fw->done[fw->ndone];
	memset(rc, 0, sizeof *rc);
	if (!(rc->name = strdup(name)))
		return -ENOMEM;
	rc->id = *id;
	rc->offset = off;
	rc->kind = 'h';
	fw->ndone++;
	return 0;
}

static void checkpoint(struct run *run, struct follow *fw);

/* A plain file that a writer may still append to (just rotated away):
 * read by the following reader from byte `from`, as a rotated-away file,
 * until idle for --rotate-wait, not read whole now (the lines appended
 * after would be lost).  0, or -1: not possible (read it whole). */
static int take_over(struct follow *fw, const char *name, const char *path, uint64_t from)
{
	if (!fw->src)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	int r = rf__follow_adopt(fw->src, fd, name, from);
	close(fd);
	return r < 0 ? -1 : 0;
}

/* Written to within the last --rotate-wait: a writer may still be at it. */
static int recent(const struct run *run, const struct stat *st)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t age = ((int64_t)now.tv_sec - (int64_t)st->st_mtim.tv_sec) * 1000000000LL +
		      (now.tv_nsec - st->st_mtim.tv_nsec);
	return age < (int64_t)ns_or(run->opt->rotate_wait_ns, 5000000000ULL);
}

/* Read a whole file from byte `from` of its content; remember it as read. */
static void read_whole(struct run *run, struct follow *fw, const char *name, const char *path, uint64_t from,
		       const unsigned char *buf, size_t len, const struct stat *st, int plain)
{
	int failed = run->failed_inputs;
	run->resume_at = from;
	run->input_end = from;
	run->open_as = path;
	process_input(run, name);
	run->open_as = NULL;
	run->resume_at = 0;
	if (run->failed_inputs != failed || run->fatal || run->interrupted || out_err(run))
		return;
	/* written to lately: a writer may not have reopened its log yet, and
	 * what it appends now goes to this file: the following reader reads
	 * on from here until the file is idle (order kept: all that was there
	 * went first) */
	struct stat now;
	if (plain && stat(path, &now) == 0 && recent(run, &now) &&
	    take_over(fw, name, path, run->input_end) == 0) {
		checkpoint(run, fw);
		return;
	}
	struct rf_follow_id id = { .dev = (uint64_t)st->st_dev, .ino = (uint64_t)st->st_ino,
				   .fplen = (uint32_t)len, .fp = rf__fp_hash(buf, len) };
	if (remember(fw, name, &id, run->input_end) == 0)
		checkpoint(run, fw);
}

/* A history file, held open since the start (fd; -1: opened now). */
static void read_history(struct run *run, struct follow *fw, const char *name, int fd)
{
	unsigned char buf[RF_FP_MAX];
	size_t len;
	struct stat st;
	char held[64];
	const char *path = name;
	if (fd >= 0) {
		snprintf(held, sizeof held, "/proc/self/fd/%d", fd);
		path = held;
	}
	int r = content_start(run, path, buf, &len, &st);
	if (r < 0) {
		process_input(run, name); /* it says what is wrong */
		return;
	}
	struct rec *rc = match(fw, buf, len, &st);
	if (rc)
		rc->used = 1;
	read_whole(run, fw, name, path, rc ? rc->offset : 0, buf, len, &st, r == 0);
}

/* The files beside `name`: its directory's entries that are the name's
 * last part plus '.', '-' or '_' and more (and the name itself when
 * `self`), as paths; *n of them, to give back with free_list. */
static char **siblings(const char *name, int self, int *n)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", name);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : name;
	if (slash)
		*slash = 0;
	const char *dpath = slash ? (dir[0] ? dir : "/") : ".";
	size_t blen = strlen(base);
	DIR *d = opendir(dpath);
	struct dirent *de;
	char **list = NULL;
	*n = 0;
	while (d && (de = readdir(d))) {
		const char *rest = de->d_name + blen;
		if (strncmp(de->d_name, base, blen) != 0 || (*rest ? !strchr(".-_", *rest) || !rest[1] : !self))
			continue;
		char **nl = realloc(list, (size_t)(*n + 1) * sizeof *nl);
		if (!nl)
			break;
		list = nl;
		if (asprintf(&list[*n], "%s/%s", dpath, de->d_name) < 0)
			break;
		(*n)++;
	}
	if (d)
		closedir(d);
	return list;
}

/* Open a file to hold it while it is judged and read: its descriptor, and
 * in proc the path that opens that very file again (a rename meanwhile
 * changes nothing), or -1. */
static int hold(const char *name, char *proc, size_t n)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		snprintf(proc, n, "/proc/self/fd/%d", fd);
	return fd;
}

static void free_list(char **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* A saved file no given name still points at: find it beside its name
 * (renamed, compressed) by its first bytes, and read the rest of it.  The
 * files the following reader holds are not it (they are read as live
 * files), and a file on its old inode is taken before one that only
 * begins with the same bytes. */
static void find_rest(struct run *run, struct follow *fw, struct rec *rc, struct rf_source *src)
{
	int ncand;
	char **cand = siblings(rc->name, 1, &ncand);
	struct rf_follow_pos *held = NULL;
	int nheld = 0;
	if (src && rf__follow_positions(src, &held, &nheld) < 0)
		nheld = 0;
	int found = 0;
	for (int pass = 0; pass < 2 && !found; pass++) {
		for (int i = 0; i < ncand && !found; i++) {
			unsigned char buf[RF_FP_MAX];
			size_t len;
			struct stat st;
			char path[64];
			int fd = hold(cand[i], path, sizeof path);
			if (fd < 0)
				continue;
			int kind = content_start(run, path, buf, &len, &st);
			if (kind < 0) {
				close(fd);
				continue;
			}
			int is_live = 0;
			for (int j = 0; j < nheld; j++)
				is_live |= held[j].live > 0 && held[j].id.dev == (uint64_t)st.st_dev &&
					   held[j].id.ino == (uint64_t)st.st_ino;
			int same_ino = (uint64_t)st.st_dev == rc->id.dev && (uint64_t)st.st_ino == rc->id.ino;
			if (is_live || (pass == 0 && !same_ino) || match(fw, buf, len, &st) != rc) {
				close(fd);
				continue;
			}
			rc->used = 1;
			found = 1;
			report_note(run, "%s: read up to byte %llu at the last checkpoint; its rest is read from %s",
				    rc->name, (unsigned long long)rc->offset, cand[i]);
			read_whole(run, fw, cand[i], path, rc->offset, buf, len, &st, kind == 0);
			close(fd);
		}
	}
	rf__follow_positions_free(held, nheld);
	free_list(cand, ncand);
	if (!found) {
		rc->used = 1; /* gone: not looked for again */
		run->failed_inputs++; /* lines are lost: the exit status says so */
		report_error(run, rc->name, -ENOENT, "the file read up to byte %llu at the last checkpoint is gone "
			     "(rotated away and deleted?): what was written to it after that byte is lost",
			     (unsigned long long)rc->offset);
	}
}

/* Files beside a live name that no checkpoint saw and that were written
 * after the last one: a file created after it and rotated away before the
 * restart (two rotations, one while ringflow ran and one while it was
 * down, or a rotation right after a checkpoint).  Their every line is
 * new: read them whole.  Names as rotation makes them (the name, a '.',
 * '-' or '_' and more); older files that match no saved file are history
 * this run was not asked to read. */
static int known_file(const struct follow *fw, const struct stat *st, const unsigned char *buf, size_t len)
{
	for (int pass = 0; pass < 2; pass++) {
		const struct rec *r = pass ? fw->done : fw->saved;
		int n = pass ? fw->ndone : fw->nsaved;
		for (int i = 0; i < n; i++) {
			/* by content: a saved file on an inode since given to a new
			 * file is not that file; an empty one only by its inode */
			int same_ino = r[i].id.dev == (uint64_t)st->st_dev && r[i].id.ino == (uint64_t)st->st_ino;
			if (r[i].id.fplen ? r[i].id.fplen <= len && rf__fp_hash(buf, r[i].id.fplen) == r[i].id.fp
					  : same_ino && len == 0)
				return 1;
		}
	}
	return 0;
}

static int by_mtime_cand(const void *a, const void *b)
{
	const struct stat *x = *(const struct stat *const *)a, *y = *(const struct stat *const *)b;
	if (x->st_mtim.tv_sec != y->st_mtim.tv_sec)
		return x->st_mtim.tv_sec < y->st_mtim.tv_sec ? -1 : 1;
	return x->st_mtim.tv_nsec < y->st_mtim.tv_nsec ? -1 : x->st_mtim.tv_nsec > y->st_mtim.tv_nsec;
}

struct unseen {
	struct stat st;       /* first: sorted by it */
	char *path;
	int fd;               /* held from the listing on: a rename meanwhile does not change it */
};

static void read_unseen(struct run *run, struct follow *fw, const char *live, struct rf_source *src)
{
	struct rf_follow_pos *held = NULL;
	int nheld = 0;
	if (src && rf__follow_positions(src, &held, &nheld) < 0)
		nheld = 0;
	int ncand;
	char **cand = siblings(live, 0, &ncand);
	struct unseen *u = NULL;
	int nu = 0;
	struct stat sst;
	int have_sst = run->opt->state_path && stat(run->opt->state_path, &sst) == 0;
	size_t llen = strlen(strrchr(live, '/') ? strrchr(live, '/') + 1 : live);
	for (int c = 0; c < ncand; c++) {
		struct stat st;
		int fd = -1;
		/* a rotation's suffix only: digits (a generation, a date), and
		 * '.', '-', '_' between them, then perhaps a compressed format's
		 * (app.log.1, app.log-20261201.gz), never app.log.state */
		const char *sfx = strrchr(cand[c], '/') + 1 + llen + 1;
		size_t sl = strip_codec(sfx);
		int skip = sl == 0 || strspn(sfx, "0123456789.-_") < sl || !strpbrk(sfx, "0123456789");
		/* only the files written after the checkpoint are opened (and
		 * held: there are few), judged again by the descriptor */
		for (int k = 0; k < 2 && !skip; k++) {
			skip = (k ? fstat(fd, &st) : stat(cand[c], &st)) < 0 || !S_ISREG(st.st_mode) ||
			       st.st_mtim.tv_sec < fw->saved_time.tv_sec ||
			       (st.st_mtim.tv_sec == fw->saved_time.tv_sec && st.st_mtim.tv_nsec <= fw->saved_time.tv_nsec);
			if (!k && !skip)
				skip = (fd = open(cand[c], O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0;
		}
		skip = skip || (have_sst && st.st_dev == sst.st_dev && st.st_ino == sst.st_ino);
		for (int j = 0; j < nheld && !skip; j++)
			skip = held[j].id.dev == (uint64_t)st.st_dev && held[j].id.ino == (uint64_t)st.st_ino;
		struct unseen *nu2 = skip ? NULL : realloc(u, (size_t)(nu + 1) * sizeof *u);
		if (!nu2) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		u = nu2;
		u[nu].st = st;
		u[nu].fd = fd;
		u[nu].path = cand[c];
		cand[c] = NULL; /* now u's */
		nu++;
	}
	free_list(cand, ncand);
	rf__follow_positions_free(held, nheld);
	/* oldest first, as they were written */
	struct unseen **order = calloc((size_t)nu + 1, sizeof *order);
	for (int i = 0; order && i < nu; i++)
		order[i] = &u[i];
	if (order)
		qsort(order, (size_t)nu, sizeof *order, by_mtime_cand);
	for (int i = 0; order && i < nu && !run->fatal && !run->interrupted && !run->stopped && !out_err(run); i++) {
		unsigned char buf[RF_FP_MAX];
		size_t len;
		struct stat st;
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", order[i]->fd);
		int kind = content_start(run, path, buf, &len, &st);
		if (kind < 0 || known_file(fw, &st, buf, len))
			continue;
		report_note(run, "%s: written after the last checkpoint and not seen by it: read whole", order[i]->path);
		read_whole(run, fw, order[i]->path, path, 0, buf, len, &st, kind == 0);
	}
	free(order);
	for (int i = 0; i < nu; i++) {
		close(u[i].fd);
		free(u[i].path);
	}
	free(u);
}

/* ---- checkpoints -------------------------------------------------------- */

static void checkpoint(struct run *run, struct follow *fw)
{
	if (!run->opt->state_path)
		return;
	int r = state_write(run, fw);
	if (r < 0) {
		if (run->rep)
			run->rep->checkpoints_failed++;
		if (fw->ckpt_said != -r)
			report_error(run, "--state", r, "cannot write %s: %s; the previous state is kept",
				     run->opt->state_path, strerror(-r));
		fw->ckpt_said = -r;
		run->state_err = r;
		/* tried again at the next interval, not at once */
		fw->next_ckpt = now_ns() + ns_or(run->opt->checkpoint_ns, 5000000000ULL);
		return;
	}
	if (fw->ckpt_said)
		report_note(run, "--state: %s written again", run->opt->state_path);
	fw->ckpt_said = 0;
	run->state_err = 0;
	if (run->rep)
		run->rep->checkpoints++;
	fw->next_ckpt = now_ns() + ns_or(run->opt->checkpoint_ns, 5000000000ULL);
}

/* A sum of what moves the state: bytes handed out, files opened, rotations
 * and truncations (a file rotated away and closed changes nothing else). */
static uint64_t mark(const struct follow *fw)
{
	struct rf_follow_info fi;
	rf__follow_info(fw->src, &fi);
	return fw->src->bytes + fi.files + fi.rotations + fi.truncations + fi.closed;
}

static int follow_tick(struct run *run, uint64_t now)
{
	struct follow *fw = run->follow;
	/* only between the following reader's chunks: in the middle of a
	 * history file the aggregate holds part of a file the state would
	 * not record */
	if (!fw || !fw->src || run->cur_src != fw->src || !run->opt->state_path || now < fw->next_ckpt)
		return 0;
	/* an idle follow writes nothing (and wakes no disk) */
	uint64_t m = mark(fw);
	if (m == fw->ckpt_mark && !run->state_err) {
		fw->next_ckpt = now + ns_or(run->opt->checkpoint_ns, 5000000000ULL);
		return 0;
	}
	checkpoint(run, fw);
	if (!run->state_err)
		fw->ckpt_mark = m;
	return 0;
}

static uint64_t follow_deadline(const struct run *run, uint64_t d)
{
	const struct follow *fw = run->follow;
	if (fw && fw->src && run->cur_src == fw->src && run->opt->state_path && (!d || fw->next_ckpt < d))
		d = fw->next_ckpt;
	return d;
}

/* ---- the run ------------------------------------------------------------ */

static void say(void *user, const char *name, int err, const char *msg)
{
	struct run *run = user;
	if (err)
		report_error(run, name, err, "%s", msg);
	else
		report_note(run, "%s: %s", name, msg);
}

/* Open the live files now, before the history is read: a rotation while
 * it is read then finds the file that was live held open here, and its
 * lines are read, not lost.  The live names still pointing at the file a
 * checkpoint saw resume there.  NULL when there is nothing to follow or
 * it failed (said, and fatal). */
static struct rf_source *follow_open(struct run *run, struct follow *fw, const char *const *live, int nlive,
				     struct rf_follow_pos **resp)
{
	struct rf_follow_pos *res = calloc((size_t)fw->nsaved + 1, sizeof *res);
	int nres = 0;
	*resp = res;
	if (!res) {
		run->fatal = -ENOMEM;
		return NULL;
	}
	for (int i = 0; i < fw->nsaved; i++) {
		struct rec *rc = &fw->saved[i];
		if (rc->used || rc->kind != 'l')
			continue;
		int fd = open(rc->name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		struct stat st;
		unsigned char buf[RF_FP_MAX];
		ssize_t n = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
				    ? pread(fd, buf, rc->id.fplen, 0) : -1;
		if (fd >= 0)
			close(fd);
		if (n == (ssize_t)rc->id.fplen && (uint64_t)st.st_dev == rc->id.dev && (uint64_t)st.st_ino == rc->id.ino &&
		    rf__fp_hash(buf, rc->id.fplen) == rc->id.fp && (uint64_t)st.st_size >= rc->offset) {
			rc->used = 1;
			res[nres].name = rc->name;
			res[nres].id = rc->id;
			res[nres].offset = rc->offset;
			res[nres].live = 1;
			nres++;
		}
	}
	if (nlive == 0)
		return NULL;
	int r = ensure_pool(run, 0);
	struct rf_follow_config fc = {
		.names = live, .nnames = nlive, .resume = res, .nresume = nres, .pool = &run->pool,
		.rotate_wait_ns = ns_or(run->opt->rotate_wait_ns, 5000000000ULL), .poll_ns = run->opt->poll_ns,
		.say = say, .user = run,
	};
	struct rf_source *src = NULL;
	if (r == 0)
		r = rf__source_follow_open(&src, &fc);
	if (r < 0) {
		if (!run->fatal)
			report_error(run, live[0], r, "cannot follow: %s", strerror(-r));
		run->fatal = r;
		return NULL;
	}
	fw->src = src;
	return src;
}

/* Follow the live files until stopped. */
static void follow_run(struct run *run, struct follow *fw, struct rf_source *src, const char *const *live, int nlive)
{
	if (run->rep) {
		run->rep->inputs += (uint64_t)nlive;
		run->rep->io_used[RF_IO_READ] = 1;
		run->rep->io_files[RF_IO_READ] += (uint64_t)nlive;
		if (!run->rep->io_reason[0])
			snprintf(run->rep->io_reason, sizeof run->rep->io_reason,
				 "followed: pread as the files grow, woken by %s", run->opt->poll_ns ? "polling" : "inotify");
	}
	run->exec->live(run, run->exec_state, 1);
	run->flush_each = 1;
	run->input_name = live[0];
	run->input_idx++;
	fw->next_ckpt = now_ns() + ns_or(run->opt->checkpoint_ns, 5000000000ULL);
	int every = run->opt->every_ns && run->agg >= 0;
	run->cur_src = src;
	src->deadline_ns = follow_deadline(run, every ? run->next_tick : 0);
	src->wake_fd = run->wake_fd;
	run->framer.tick = tick;
	run->count_lines = 0;
	int r = rf__framer_run(&run->framer, src);
	run->cur_src = NULL;
	if (r == -ECANCELED && __atomic_load_n(&run->wake_err, __ATOMIC_ACQUIRE))
		r = __atomic_load_n(&run->wake_err, __ATOMIC_ACQUIRE);
	struct rf_input_desc lines = { .fd = -1, .is_stream = 1 };
	framed(run, live[0], r, src, -1, &lines);
	struct rf_follow_info fi;
	rf__follow_info(src, &fi);
	if (fi.unfinished)
		report_note(run, "%llu bytes of lines without their newline yet were left unread%s",
			    (unsigned long long)fi.unfinished,
			    run->opt->state_path ? " (a restart with the same --state reads them)" : "");
	/* the last checkpoint: only when every line handed out went through */
	if (!run->fatal && !run->interrupted && !out_err(run) && run->opt->state_path)
		checkpoint(run, fw);
	if (run->rep) {
		struct rf_report *rep = run->rep;
		rep->followed = 1;
		rep->follow_files += fi.files;
		rep->follow_rotations += fi.rotations;
		rep->follow_truncations += fi.truncations;
		rep->follow_recovered += fi.recovered;
		rep->follow_wakeups += fi.wakeups;
		rep->follow_lag = fi.lag;
		rep->follow_unfinished = fi.unfinished;
		rep->follow_polled = fi.polling;
		rep->bytes += src->bytes;
	}
	run->done_bytes += src->bytes;
}

/* The --state file, or its temporary file beside it? */
static int is_state_file(const struct rf_options *opt, const char *name)
{
	struct stat a, b;
	char tmp[PATH_MAX];
	if (!opt->state_path || stat(name, &a) < 0)
		return 0;
	snprintf(tmp, sizeof tmp, "%s.tmp", opt->state_path);
	return (stat(opt->state_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) ||
	       (stat(tmp, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

int run_follow(struct run *run, const char *const *files, int nfiles)
{
	const struct rf_options *opt = run->opt;
	if (opt->state_path && (run->framer.quote_sep || run->framer.ml)) {
		report_error(run, "--state", -EINVAL, "records that span lines (csv, tsv, multiline) cannot be "
			     "checkpointed: follow without --state");
		return -EINVAL;
	}
	struct follow fw = { .qid = rf__fp_hash(opt->query_id ? opt->query_id : "", opt->query_id ? strlen(opt->query_id) : 0) };
	run->follow = &fw;
	run->follow_tick = follow_tick;
	run->follow_deadline = follow_deadline;
	struct fname *nm = NULL;
	int n = 0, r = 0, read_stdin = nfiles == 0;
	for (int i = 0; i < nfiles && r == 0; i++) {
		if (strcmp(files[i], "-") == 0) {
			read_stdin = 1;
			continue;
		}
		glob_t g = { 0 };
		struct stat st;
		int expand = has_glob(files[i]) && stat(files[i], &st) < 0;
		if (!expand && is_state_file(opt, files[i])) {
			report_error(run, files[i], -EINVAL, "is the --state file (%s): not an input, nor may the state be "
				     "written over an input", opt->state_path);
			r = -EINVAL;
			break;
		}
		int gr = expand ? glob(files[i], 0, NULL, &g) : 0;
		/* 'app.log*': app.log is the live name even while it is absent
		 * (between a rotation's rename and the new file, say), when what
		 * the pattern matches is its rotated generations (a rotation's
		 * suffix: digits, '.', '-', '_', a compressed format's extension);
		 * without it they would each be followed as live.  Not for
		 * 'access*' matching access.log: "access" is no log. */
		size_t pl = strlen(files[i]);
		int live_base = 0;
		if (expand && pl > 1 && files[i][pl - 1] == '*' && files[i][pl - 2] != '/' &&
		    strcspn(files[i], "*?[") == pl - 1) {
			live_base = 1;
			for (size_t j = 0; gr == 0 && j < g.gl_pathc && live_base; j++) {
				const char *sfx = g.gl_pathv[j] + pl - 1;
				size_t sl = *sfx ? strip_codec(sfx + 1) : 0;
				live_base = !*sfx || (strchr(".-_", *sfx) && sl > 0 &&
						      strspn(sfx + 1, "0123456789.-_") >= sl && strpbrk(sfx + 1, "0123456789"));
			}
		}
		if (live_base) {
			char *base = strndup(files[i], pl - 1);
			int dup = 0;
			for (int m = 0; base && m < n; m++)
				dup |= strcmp(nm[m].name, base) == 0;
			struct fname *nn = base && !dup ? realloc(nm, (size_t)(n + 1) * sizeof *nn) : NULL;
			if (nn) {
				nm = nn;
				nm[n] = (struct fname){ .name = base, .base = -1, .gen = -1, .order = n, .fd = -1 };
				n++;
			} else {
				free(base);
			}
		}
		if (expand && gr != 0) {
			if (!live_base) { /* else the live name is waited for */
				report_error(run, files[i], -ENOENT, "no file matches this pattern");
				run->failed_inputs++;
			}
			globfree(&g);
			continue;
		}
		size_t k = expand ? g.gl_pathc : 1;
		for (size_t j = 0; j < k && r == 0; j++) {
			const char *name = expand ? g.gl_pathv[j] : files[i];
			if (expand && is_state_file(opt, name))
				continue; /* 'app.log*' matching app.log.state: no log */
			int dup = 0;
			for (int m = 0; m < n; m++)
				dup |= strcmp(nm[m].name, name) == 0;
			if (dup)
				continue;
			struct fname *nn = realloc(nm, (size_t)(n + 1) * sizeof *nn);
			if (!nn || !(name = strdup(name))) {
				if (nn)
					nm = nn;
				r = -ENOMEM;
				break;
			}
			nm = nn;
			nm[n] = (struct fname){ .name = (char *)name, .base = -1, .gen = -1, .order = n, .fd = -1 };
			n++;
		}
		globfree(&g);
	}
	/* history: another name plus a rotation suffix */
	for (int i = 0; i < n; i++) {
		size_t best = 0;
		for (int j = 0; j < n; j++) {
			size_t l = strlen(nm[j].name);
			if (j != i && l > best && strncmp(nm[i].name, nm[j].name, l) == 0 && nm[i].name[l] &&
			    strchr(".-_", nm[i].name[l]) && nm[i].name[l + 1]) {
				best = l;
				nm[i].base = j;
			}
		}
		if (nm[i].base < 0)
			continue;
		nm[i].suffix = nm[i].name + best + 1;
		size_t sl = strip_codec(nm[i].suffix), d = strspn(nm[i].suffix, "0123456789");
		if (d == sl && d > 0 && d <= 5)
			nm[i].gen = strtol(nm[i].suffix, NULL, 10);
	}
	/* a history file's base is its live name's (app.log.1.gz -> app.log) */
	for (int i = 0; i < n; i++)
		while (nm[i].base >= 0 && nm[nm[i].base].base >= 0)
			nm[i].base = nm[nm[i].base].base;
	for (int i = 0; i < n; i++)
		if (nm[i].base < 0)
			nm[i].suffix = "";
	if (n > 0)
		qsort(nm, (size_t)n, sizeof *nm, by_rotation);
	/* hold the history files open now, with the live ones (follow_open):
	 * a rotation while the history is read renames them, and they are
	 * read all the same (up to HOLD_MAX of them: descriptors are few) */
	for (int i = 0, held = 0; i < n && held < HOLD_MAX; i++)
		if (nm[i].base >= 0 && (nm[i].fd = open(nm[i].name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) >= 0)
			held++;

	const char **live = calloc((size_t)n + 1, sizeof *live);
	int nlive = 0;
	if (!live)
		r = -ENOMEM;
	if (r == 0 && opt->state_path)
		r = state_load(run, &fw);
	for (int i = 0; r == 0 && i < n; i++) {
		if (nm[i].base >= 0)
			continue;
		struct stat st;
		if (stat(nm[i].name, &st) == 0 && S_ISDIR(st.st_mode)) {
			report_error(run, nm[i].name, -EISDIR, "is a directory: follow files, or a pattern "
				     "in quotes ('%s/*.log')", nm[i].name);
			r = -EISDIR;
			break;
		}
		live[nlive++] = nm[i].name;
	}
	struct rf_follow_pos *res = NULL;
	struct rf_source *src = r == 0 ? follow_open(run, &fw, live, nlive, &res) : NULL;
#define GOING (!run->fatal && !run->interrupted && !run->stopped && !out_err(run))
	if (r == 0 && GOING) {
		if (read_stdin)
			process_input(run, NULL);
		for (int i = 0; i < n && GOING; i++)
			if (nm[i].base >= 0)
				read_history(run, &fw, nm[i].name, nm[i].fd);
		for (int i = 0; i < fw.nsaved && GOING; i++)
			if (!fw.saved[i].used && fw.saved[i].kind != 'h')
				find_rest(run, &fw, &fw.saved[i], src);
		for (int i = 0; fw.have_time && i < nlive && GOING; i++)
			read_unseen(run, &fw, live[i], src);
	}
	if (r == 0 && src && GOING)
		follow_run(run, &fw, src, live, nlive);
	else if (r == 0 && opt->state_path && !run->fatal && !run->interrupted && !out_err(run))
		checkpoint(run, &fw);
#undef GOING
	fw.src = NULL;
	if (src)
		src->ops->close(src);
	free(res);
	free(live);
	for (int i = 0; i < n; i++) {
		if (nm[i].fd >= 0)
			close(nm[i].fd);
		free(nm[i].name);
	}
	free(nm);
	for (int i = 0; i < fw.nsaved; i++)
		free(fw.saved[i].name);
	free(fw.saved);
	for (int i = 0; i < fw.ndone; i++)
		free(fw.done[i].name);
	free(fw.done);
	run->follow = NULL;
	run->follow_tick = NULL;
	run->follow_deadline = NULL;
	return r;
}
