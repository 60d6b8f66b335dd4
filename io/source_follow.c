/* SPDX-License-Identifier: MIT */
/* source_follow.c - live files followed through rotations (see follow.h).
 *
 * Each followed name has at most one live file (the one the name points
 * at) and any number of rotated-away ones still read: a writer keeps
 * appending to the renamed file until it reopens its log, so such a file
 * is read until it has been idle for rotate_wait.  Every wake-up (an
 * inotify event on a name's directory or on an open file, or a poll)
 * leads to the same look at everything: each open file read to its end,
 * each name stat'ed.  Nothing depends on decoding the events, so a lost
 * or coalesced event costs nothing but the wake-up it would have caused.
 */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "follow.h"
#include "../engine/probes.h"

uint64_t rf__fp_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct ffile {
	int name;            /* index of the followed name */
	int fd;
	int wd;              /* inotify watch of the file, or -1 */
	uint64_t dev, ino;
	uint64_t off;        /* next byte to read */
	uint64_t line_off;   /* just past the last newline handed out */
	char *pend;          /* read, not handed out: an unfinished line */
	size_t pend_len;
	unsigned char fpbuf[RF_FP_MAX];
	uint32_t fplen;
	int live;            /* the name's file now */
	int eof;             /* read to its end since the last look */
	int sticky;          /* a line longer than a buffer is going out */
	int copy;            /* a copy read after a truncation: closed at its end */
	uint64_t idle_since; /* rotated away: when it last gave data (or left) */
};

struct fname {
	const char *path;
	int dir_wd;
	int said;            /* the problem last said about it (0: none) */
	int seen;            /* it had a file once */
	struct timespec opened; /* when its last live file was opened (CLOCK_REALTIME) */
};

struct follow_source {
	struct rf_source base;
	struct rf_pool *pool;
	struct rf_follow_config cfg;
	struct fname *names;
	struct ffile **f;
	int nf, capf;
	int rr;              /* where the next look for data starts */
	int ino_fd;          /* inotify, or -1: polling */
	int stopping;
	int started;
	struct rf_follow_info info;
	char *last;          /* a rotated-away file's last unfinished line, going out */
	size_t last_len;
	int end_line;        /* a newline goes out next: a long line ends where its file did */
	/* files done with (closed, or the content a truncation ended), as
	 * finished positions: a restart given them again must not read
	 * again what was read of them (copytruncate's copy, app.log.1) */
	struct rf_follow_pos *fin;
	int nfin;
};

#define FIN_MAX 16384

static void finished(struct follow_source *fs, const char *name, uint64_t dev, uint64_t ino,
		     const unsigned char *fp, uint32_t fplen, uint64_t offset)
{
	if (fs->nfin == FIN_MAX) {
		free(fs->fin[0].name);
		memmove(fs->fin, fs->fin + 1, (FIN_MAX - 1) * sizeof *fs->fin);
		fs->nfin--;
	}
	struct rf_follow_pos *nf = realloc(fs->fin, (size_t)(fs->nfin + 1) * sizeof *nf);
	char *nm = strdup(name);
	if (!nf || !nm) {
		free(nm);
		if (nf)
			fs->fin = nf;
		return; /* out of memory: a restart may read it again (said nowhere; rare) */
	}
	fs->fin = nf;
	fs->fin[fs->nfin++] = (struct rf_follow_pos){ .name = nm, .id = { .dev = dev, .ino = ino, .fplen = fplen,
									.fp = rf__fp_hash(fp, fplen) },
						      .offset = offset, .live = -1 };
}

static void say(struct follow_source *fs, const char *name, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#include <stdarg.h>
static void say(struct follow_source *fs, const char *name, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (fs->cfg.say)
		fs->cfg.say(fs->cfg.user, name, err, msg);
}

static void watch_file(struct follow_source *fs, struct ffile *f)
{
	f->wd = -1;
	if (fs->ino_fd < 0)
		return;
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", f->fd);
	f->wd = inotify_add_watch(fs->ino_fd, p, IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF);
}

static void close_file(struct follow_source *fs, int i)
{
	struct ffile *f = fs->f[i];
	if (f->wd >= 0) {
		int shared = 0; /* another entry on the same inode keeps the watch */
		for (int j = 0; j < fs->nf; j++)
			shared |= j != i && fs->f[j]->wd == f->wd;
		if (!shared)
			inotify_rm_watch(fs->ino_fd, f->wd);
	}
	close(f->fd);
	free(f->pend);
	free(f);
	memmove(&fs->f[i], &fs->f[i + 1], (size_t)(fs->nf - i - 1) * sizeof *fs->f);
	fs->nf--;
	if (fs->rr > i)
		fs->rr--;
}

/* The first bytes of an open file, for its fingerprint. */
static void load_fp(struct ffile *f, uint64_t size)
{
	size_t want = size < RF_FP_MAX ? (size_t)size : RF_FP_MAX;
	ssize_t n = want ? pread(f->fd, f->fpbuf, want, 0) : 0;
	f->fplen = n > 0 ? (uint32_t)n : 0;
}

static struct ffile *add_file(struct follow_source *fs, int name, int fd, const struct stat *st)
{
	if (fs->nf == fs->capf) {
		int cap = fs->capf ? 2 * fs->capf : 8;
		struct ffile **nf = realloc(fs->f, (size_t)cap * sizeof *nf);
		if (!nf)
			return NULL;
		fs->f = nf;
		fs->capf = cap;
	}
	struct ffile *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->name = name;
	f->fd = fd;
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	fs->f[fs->nf++] = f;
	watch_file(fs, f);
	fs->info.files++;
	return f;
}

/* Does the open file begin with the bytes id's fingerprint covers? */
static int same_start(int fd, const struct rf_follow_id *id)
{
	unsigned char buf[RF_FP_MAX];
	if (id->fplen == 0)
		return 1;
	ssize_t n = pread(fd, buf, id->fplen, 0);
	return n == (ssize_t)id->fplen && rf__fp_hash(buf, id->fplen) == id->fp;
}

static int live_of(struct follow_source *fs, int name)
{
	for (int i = 0; i < fs->nf; i++)
		if (fs->f[i]->name == name && fs->f[i]->live)
			return i;
	return -1;
}

static const char *kind_of(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a regular file";
}

/* The live file of name n leaves its name: read on until idle. */
static void rotate_away(struct follow_source *fs, int i)
{
	struct ffile *f = fs->f[i];
	f->live = 0;
	f->idle_since = mono_ns();
	f->eof = 0;
	fs->info.rotations++;
}

/* Is this descriptor's file compressed (gzip, zstd, xz, bzip2, lz4)? */
static int compressed(int fd)
{
	unsigned char m[6];
	ssize_t n = pread(fd, m, sizeof m, 0);
	return (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) || (n >= 4 && !memcmp(m, "\x28\xb5\x2f\xfd", 4)) ||
	       (n >= 6 && !memcmp(m, "\xfd" "7zXZ\0", 6)) || (n >= 3 && !memcmp(m, "BZh", 3)) ||
	       (n >= 4 && !memcmp(m, "\x04\x22\x4d\x18", 4));
}

static int known(const struct follow_source *fs, const struct stat *st, int fd);

/* Name n pointed at a new file, the one before it opened at `since`: two
 * rotations may have come between two looks (the file of the middle one
 * created and renamed away before we saw it).  Such a file beside the
 * name - a rotation's suffix, plain, not read here, created (its birth
 * time) after `since` - is read whole now.  Where the file system keeps
 * no birth time it cannot be told from older history, and is not read. */
static void catch_missed(struct follow_source *fs, int n, const struct timespec *since)
{
	const char *path = fs->names[n].path;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;
	if (slash)
		*slash = 0;
	const char *dpath = slash ? (dir[0] ? dir : "/") : ".";
	size_t blen = strlen(base);
	DIR *d = opendir(dpath);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *sfx = de->d_name + blen;
		if (strncmp(de->d_name, base, blen) != 0 || !*sfx || !strchr(".-_", *sfx) || !sfx[1] ||
		    strspn(sfx + 1, "0123456789.-_") != strlen(sfx + 1))
			continue;
		char p[PATH_MAX + NAME_MAX + 2];
		snprintf(p, sizeof p, "%s/%s", dpath, de->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		struct stat st;
		struct statx sx;
		if (fd < 0)
			continue;
		int take = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
			   statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME) &&
			   (sx.stx_btime.tv_sec > since->tv_sec ||
			    (sx.stx_btime.tv_sec == since->tv_sec && sx.stx_btime.tv_nsec > (uint32_t)since->tv_nsec)) &&
			   !known(fs, &st, fd) && !compressed(fd);
		struct ffile *c = take ? add_file(fs, n, fd, &st) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		c->copy = 1; /* read to its end, then closed */
		c->idle_since = mono_ns();
		load_fp(c, (uint64_t)st.st_size);
		fs->info.rotations++;
		say(fs, path, 0, "%s was rotated away before it was seen (two rotations between two looks): read whole",
		    p);
	}
	if (d)
		closedir(d);
}

/* Open the file name n points at as its live file.  1 when opened. */
static int open_live(struct follow_source *fs, int n, const struct stat *want)
{
	const char *path = fs->names[n].path;
	/* O_NONBLOCK: a FIFO put there since the stat must not block us */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (fs->names[n].said != e) {
			fs->names[n].said = e;
			say(fs, path, -e, "cannot open it: %s; following it again once it can be read", strerror(e));
		}
		return 0;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != want->st_dev || st.st_ino != want->st_ino) {
		close(fd); /* changed under us: the next look sees what it is */
		return 0;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct ffile *f = add_file(fs, n, fd, &st);
	if (!f) {
		close(fd);
		return 0;
	}
	f->live = 1;
	int seen = fs->names[n].seen;
	fs->names[n].seen = 1;
	struct timespec before = fs->names[n].opened;
	clock_gettime(CLOCK_REALTIME, &fs->names[n].opened);
	if (seen && fs->started)
		catch_missed(fs, n, &before);
	if (fs->names[n].said) {
		say(fs, path, 0, fs->names[n].said == ENOENT ? seen ? "created again: following the new file"
										   : "created: following it"
							   : "following it again");
		fs->names[n].said = 0;
	}
	/* the first look: where a checkpoint left it, if it is still the
	 * file the checkpoint saw */
	for (int r = 0; !fs->started && r < fs->cfg.nresume; r++) {
		const struct rf_follow_pos *p = &fs->cfg.resume[r];
		if (!p->live || strcmp(p->name, path) != 0 || p->id.dev != f->dev || p->id.ino != f->ino)
			continue;
		if ((uint64_t)st.st_size >= p->offset && same_start(fd, &p->id))
			f->off = f->line_off = p->offset;
		break;
	}
	load_fp(f, (uint64_t)st.st_size);
	return 1;
}

#define DIR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB)

/* A name that is a symbolic link: the directory its target is in is
 * watched too, so that a target created, renamed or deleted there (not
 * beside the link) wakes us. */
static void watch_link_dir(struct follow_source *fs, int n)
{
	const char *path = fs->names[n].path;
	struct stat ls;
	char tgt[PATH_MAX], full[2 * PATH_MAX + 2];
	if (fs->ino_fd < 0 || lstat(path, &ls) < 0 || !S_ISLNK(ls.st_mode))
		return;
	ssize_t k = readlink(path, tgt, sizeof tgt - 1);
	if (k <= 0)
		return;
	tgt[k] = 0;
	const char *slash = strrchr(path, '/');
	if (tgt[0] == '/' || !slash)
		snprintf(full, sizeof full, "%s", tgt);
	else
		snprintf(full, sizeof full, "%.*s/%s", (int)(slash - path), path, tgt);
	char *end = strrchr(full, '/');
	if (end)
		end[end == full ? 1 : 0] = 0;
	(void)inotify_add_watch(fs->ino_fd, end ? full : ".", DIR_EVENTS);
}

/* Look at every name: a rotation, a name gone, come back or appeared.
 * 1 when a file was opened. */
static int look_at_names(struct follow_source *fs)
{
	int opened = 0;
	for (int n = 0; n < fs->cfg.nnames; n++) {
		const char *path = fs->names[n].path;
		struct stat st;
		int i = live_of(fs, n);
		if (i < 0)
			watch_link_dir(fs, n); /* a link whose target may appear */
		if (stat(path, &st) < 0) {
			int e = errno;
			if (i >= 0)
				rotate_away(fs, i);
			if (fs->names[n].said != e) {
				fs->names[n].said = e;
				if (e == ENOENT)
					say(fs, path, 0, fs->names[n].seen ? "gone (renamed or deleted): waiting for it to come back"
							       : "does not exist yet: waiting for it");
				else
					say(fs, path, -e, "%s; waiting until it can be read", strerror(e));
			}
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			if (i >= 0)
				rotate_away(fs, i);
			if (fs->names[n].said != -1) {
				fs->names[n].said = -1;
				say(fs, path, -EISDIR, "is %s now, not a regular file: not read; waiting for a regular file",
				    kind_of(st.st_mode));
			}
			continue;
		}
		if (i >= 0 && fs->f[i]->dev == (uint64_t)st.st_dev && fs->f[i]->ino == (uint64_t)st.st_ino)
			continue;
		if (i >= 0) {
			rotate_away(fs, i);
			say(fs, path, 0, "rotated: following the new file (the old one is read until idle)");
		}
		opened |= open_live(fs, n, &st);
	}
	return opened;
}

/* Is this a file read already, or being read: one open here, or one done
 * with (a rotated-away file renamed beside its name begins as the old
 * content of a truncated one may: it is no copy)? */
static int known(const struct follow_source *fs, const struct stat *st, int fd)
{
	/* the same inode and the same first bytes: an inode the file system
	 * gave a new file (the copy, after the old one was deleted) is not it */
	for (int i = 0; i < fs->nf; i++) {
		const struct ffile *f = fs->f[i];
		struct rf_follow_id id = { .fplen = f->fplen, .fp = rf__fp_hash(f->fpbuf, f->fplen) };
		if (f->dev == (uint64_t)st->st_dev && f->ino == (uint64_t)st->st_ino && same_start(fd, &id))
			return 1;
	}
	for (int i = 0; i < fs->nfin; i++)
		if (fs->fin[i].id.dev == (uint64_t)st->st_dev && fs->fin[i].id.ino == (uint64_t)st->st_ino &&
		    same_start(fd, &fs->fin[i].id))
			return 1;
	return 0;
}

/* The file is shorter than what was read of it (copytruncate), or no
 * longer begins with the bytes it began with: read it again from its
 * start; what was written after the last read and before the truncation
 * is lost unless a copy of it (a plain file beside it, beginning with the
 * same bytes) still holds it, and then it is read from that copy. */
static void truncated(struct follow_source *fs, int i, uint64_t size)
{
	struct ffile *f = fs->f[i];
	const char *path = fs->names[f->name].path;
	fs->info.truncations++;
	uint64_t was = f->line_off, got = f->off > f->line_off ? f->off : f->line_off;
	struct rf_follow_id id = { .fplen = f->fplen, .fp = rf__fp_hash(f->fpbuf, f->fplen) };
	int fplen = (int)f->fplen;
	unsigned char oldfp[RF_FP_MAX];
	memcpy(oldfp, f->fpbuf, f->fplen);
	if (f->sticky)
		fs->end_line = 1; /* the pieces of the long line out so far are a record */
	f->off = f->line_off = 0;
	f->pend_len = 0;
	f->sticky = 0;
	f->eof = 0;
	load_fp(f, size);
	/* a copy beside it: same directory, its name plus a suffix */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	if (slash)
		*slash = 0;
	DIR *d = fplen > 0 ? opendir(slash ? (dir[0] ? dir : "/") : ".") : NULL;
	struct dirent *de;
	int found = 0;
	while (d && !found && (de = readdir(d))) {
		if (strncmp(de->d_name, base, blen) != 0 || !strchr(".-_", de->d_name[blen]) || !de->d_name[blen])
			continue;
		char p[PATH_MAX + NAME_MAX + 2];
		snprintf(p, sizeof p, "%s/%s", slash ? (dir[0] ? dir : "") : ".", de->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		struct stat st;
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !known(fs, &st, fd) && (uint64_t)st.st_size > was &&
		    same_start(fd, &id)) {
			struct ffile *c = add_file(fs, f->name, fd, &st);
			if (c) {
				c->copy = 1;
				c->idle_since = mono_ns();
				c->off = c->line_off = was;
				load_fp(c, (uint64_t)st.st_size);
				found = 1;
				say(fs, path, 0, "truncated after %llu bytes were read (copytruncate): read again from its start; "
				    "the rest of the old content is read from its copy %s (lines written between the copy "
				    "and the truncation are lost)", (unsigned long long)got, p);
				continue;
			}
		}
		close(fd);
	}
	if (d)
		closedir(d);
	if (!found && fplen > 0)
		finished(fs, path, f->dev, f->ino, oldfp, (uint32_t)fplen, was);
	if (!found)
		say(fs, path, 0, "truncated after %llu bytes were read (copytruncate?): read again from its start; "
		    "lines written to it after the last read and before the truncation are lost", (unsigned long long)got);
}

/* Keep the bytes [p, p + n) of file f that begin at its offset `at` in
 * its fingerprint, where they fall in the first RF_FP_MAX bytes. */
static void fp_take(struct ffile *f, const char *p, size_t n, uint64_t at)
{
	if (at > f->fplen || at >= RF_FP_MAX)
		return;
	size_t take = n < RF_FP_MAX - at ? n : (size_t)(RF_FP_MAX - at);
	memcpy(f->fpbuf + at, p, take);
	if (at + take > f->fplen)
		f->fplen = (uint32_t)(at + take);
}

static int give(struct follow_source *fs, struct rf_buf *b, size_t len, uint64_t at, struct rf_chunk *c)
{
	c->data = b->data;
	c->len = len;
	c->headroom = b->headroom;
	c->offset = at;
	c->handle = b;
	fs->base.bytes += len;
	rf__source_hold(&fs->base);
	return 1;
}

/* Is file i shorter than what was read of it, or changed at its start
 * (truncated and written again past our offset)?  Then it is read again
 * from its start (truncated()).  Looked at before each read, so no byte of
 * the new content is taken for the old content's continuation. */
static uint64_t check_replaced(struct follow_source *fs, int i)
{
	struct ffile *f = fs->f[i];
	struct stat st;
	if (fstat(f->fd, &st) < 0)
		return 0;
	struct rf_follow_id id = { .fplen = f->fplen, .fp = rf__fp_hash(f->fpbuf, f->fplen) };
	/* also before the first read: the first bytes were taken at open */
	if ((uint64_t)st.st_size < f->off || (f->fplen && !same_start(f->fd, &id)))
		truncated(fs, i, (uint64_t)st.st_size);
	return (uint64_t)st.st_size;
}

/* At the end of file i: written again since the read that saw its end?
 * A rotated-away file idle long enough (or a copy at its end) is closed.
 * 1 when the file went away. */
static int at_end(struct follow_source *fs, int i, uint64_t now)
{
	struct ffile *f = fs->f[i];
	struct stat st;
	check_replaced(fs, i);
	if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size > f->off)
		f->eof = 0;
	if (f->eof && (f->copy || (!f->live && now - f->idle_since >= fs->cfg.rotate_wait_ns))) {
		uint64_t end = f->line_off;
		if (f->sticky) { /* it ended in the middle of a long line */
			fs->end_line = 1;
			end = f->off;
		}
		if (f->pend_len && !fs->stopping) {
			/* its last line never got its newline: it ends here */
			end = f->off;
			free(fs->last); /* cannot be set: next() hands it out first */
			fs->last = f->pend;
			fs->last_len = f->pend_len;
			f->pend = NULL;
			f->pend_len = 0;
		}
		finished(fs, fs->names[f->name].path, f->dev, f->ino, f->fpbuf, f->fplen, end);
		close_file(fs, i);
		fs->info.closed++;
		return 1;
	}
	return 0;
}

/* Data from file i into one chunk: 1 (and *c), 0 at its end, or -errno. */
static int read_file(struct follow_source *fs, int i, struct rf_chunk *c)
{
	struct ffile *f = fs->f[i];
	uint64_t size = check_replaced(fs, i);
	if (fs->end_line)
		return 0; /* the long line it cut goes out first */
	for (;;) {
		struct rf_buf *b = rf__pool_get_wait(fs->pool);
		if (!b)
			return -ENOBUFS;
		if (f->pend_len)
			memcpy(b->data, f->pend, f->pend_len);
		size_t have = f->pend_len;
		uint64_t at = f->off - have; /* file offset of b->data[0] */
		ssize_t n;
		int fd = f->fd;
		size_t ask = b->cap - have;
		uint64_t from = f->off;
		RF_PROBE3(io__submit, fd, ask, from);
		do
			n = pread(f->fd, b->data + have, ask, (off_t)f->off);
		while (n < 0 && errno == EINTR && !rf__cancelled());
		long res = n < 0 ? -errno : (long)n;
		uint64_t waited = 0;
		RF_PROBE4(io__complete, fd, res, from, waited);
		if (n <= 0) {
			rf__pool_put(fs->pool, b);
			if (n < 0) {
				int e = errno;
				say(fs, fs->names[f->name].path, -e, "read failed: %s", strerror(e));
			}
			f->eof = 1;
			return 0;
		}
		fp_take(f, b->data + have, (size_t)n, f->off);
		f->off += (uint64_t)n;
		size_t total = have + (size_t)n;
		char *nl = memrchr(b->data, '\n', total);
		if (!nl && total < b->cap && !f->sticky) {
			/* an unfinished line: keep it, read on (more may be there);
			 * the rest of a long line already going out goes on out */
			if (!f->pend && !(f->pend = malloc(b->cap))) {
				rf__pool_put(fs->pool, b);
				return -ENOMEM;
			}
			memcpy(f->pend, b->data, total);
			f->pend_len = total;
			rf__pool_put(fs->pool, b);
			continue;
		}
		size_t len = nl ? (size_t)(nl - b->data) + 1 : total;
		f->pend_len = total - len;
		if (f->pend_len) {
			if (!f->pend && !(f->pend = malloc(b->cap))) {
				rf__pool_put(fs->pool, b);
				return -ENOMEM;
			}
			memcpy(f->pend, b->data + len, f->pend_len);
		}
		f->sticky = !nl; /* a line longer than a buffer: this file until it ends */
		if (nl)
			f->line_off = at + len;
		if (!f->live)
			f->idle_since = mono_ns();
		if (f->copy)
			fs->info.recovered += len;
		/* per chunk (a batch), never per line: how far behind its end */
		uint64_t lag = size > at + len ? size - at - len : 0, out = len;
		RF_PROBE3(follow__read, fd, out, lag);
		return give(fs, b, len, at, c);
	}
}

/* Wait for an event, the deadline, a file's rotate_wait, or a stop. */
static int wait_event(struct follow_source *fs)
{
	uint64_t now = mono_ns(), until = fs->base.deadline_ns;
	uint64_t step = fs->cfg.poll_ns ? fs->cfg.poll_ns : fs->ino_fd < 0 ? 1000000000ULL : 0;
	if (step && (!until || now + step < until))
		until = now + step;
	/* the end of a rotated-away file's wait; while a long line is open in
	 * one file, only that one's (the others are not looked at until then) */
	int sticky = 0;
	for (int i = 0; i < fs->nf; i++)
		sticky |= fs->f[i]->sticky;
	for (int i = 0; i < fs->nf; i++) {
		struct ffile *f = fs->f[i];
		uint64_t t = f->idle_since + fs->cfg.rotate_wait_ns;
		if (!f->live && (!sticky || f->sticky) && (!until || t < until))
			until = t > now ? t : now;
	}
	int ms = -1;
	if (until)
		ms = until <= now ? 0 : (int)((until - now + 999999) / 1000000 > 3600000 ? 3600000
										: (until - now + 999999) / 1000000);
	struct pollfd p[4] = { { .fd = fs->ino_fd, .events = POLLIN }, { .fd = rf__cancel_fd(), .events = POLLIN },
			       { .fd = fs->base.wake_fd, .events = POLLIN }, { .fd = rf__follow_stop_fd, .events = POLLIN } };
	int r = poll(p, 4, ms);
	if (rf__cancelled())
		return -EINTR;
	if (r > 0 && p[2].revents)
		return -ECANCELED;
	if (r > 0 && p[0].revents) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		while (read(fs->ino_fd, buf, sizeof buf) > 0)
			;
	}
	fs->info.wakeups++;
	if (rf__follow_stop)
		fs->stopping = 1;
	for (int i = 0; i < fs->nf; i++)
		fs->f[i]->eof = 0;
	return 0;
}

static int follow_next(struct rf_source *src, struct rf_chunk *c)
{
	struct follow_source *fs = (struct follow_source *)src;
	if (!fs->started) {
		look_at_names(fs);
		fs->started = 1;
	}
	for (;;) {
		if (rf__cancelled())
			return -EINTR;
		if (rf__follow_stop && !fs->stopping) {
			fs->stopping = 1;
			for (int i = 0; i < fs->nf; i++)
				fs->f[i]->eof = 0;
		}
		if (fs->end_line) {
			/* a long line cut short (its file closed or truncated in
			 * the middle of it): what went out of it is a record */
			struct rf_buf *b = rf__pool_get_wait(fs->pool);
			if (!b)
				return -ENOBUFS;
			fs->end_line = 0;
			b->data[0] = '\n';
			return give(fs, b, 1, 0, c);
		}
		if (fs->last) {
			/* a closed file's last line, with the newline it lacked */
			size_t len = fs->last_len;
			struct rf_buf *b = rf__pool_get_wait(fs->pool);
			char *l = fs->last;
			fs->last = NULL;
			if (!b) {
				free(l);
				return -ENOBUFS;
			}
			memcpy(b->data, l, len);
			b->data[len] = '\n';
			free(l);
			return give(fs, b, len + 1, 0, c);
		}
		uint64_t now = mono_ns();
		if (src->deadline_ns && now >= src->deadline_ns && !fs->stopping)
			return RF_SOURCE_TICK;
		/* data: a file in the middle of a long line first, else round robin */
		int sticky = -1;
		for (int i = 0; i < fs->nf; i++)
			if (fs->f[i]->sticky)
				sticky = i;
		for (int k = 0; k < fs->nf; k++) {
			int i = sticky >= 0 ? sticky : (fs->rr + k) % fs->nf;
			if (fs->f[i]->eof)
				continue;
			int r = read_file(fs, i, c);
			if (r != 0) {
				fs->rr = i + 1;
				return r;
			}
			if (at_end(fs, i, now))
				break; /* the array moved: start the round again */
			if (sticky >= 0)
				break;
		}
		/* in the middle of a long line only that file may give data:
		 * the others wait (and are not looked at) until it ends */
		int any = 0;
		sticky = -1;
		for (int i = 0; i < fs->nf; i++)
			if (fs->f[i]->sticky)
				sticky = i;
		for (int i = 0; i < fs->nf; i++)
			any |= !fs->f[i]->eof && (sticky < 0 || i == sticky);
		if (any || fs->last || fs->end_line)
			continue;
		if (look_at_names(fs))
			continue;
		if (fs->stopping) {
			for (int i = 0; i < fs->nf; i++)
				fs->info.unfinished += fs->f[i]->pend_len;
			return 0;
		}
		/* closing rotated-away files whose wait is over */
		for (int i = 0; sticky < 0 && i < fs->nf; i++)
			if (!fs->f[i]->live && now - fs->f[i]->idle_since >= fs->cfg.rotate_wait_ns) {
				fs->f[i]->eof = 0; /* at_end closes it on the next round */
				any = 1;
			}
		if (any)
			continue;
		int r = wait_event(fs);
		if (r < 0)
			return r;
	}
}

static void follow_release(struct rf_source *src, struct rf_chunk *c)
{
	struct follow_source *fs = (struct follow_source *)src;
	if (!c->handle)
		return;
	rf__pool_put(fs->pool, c->handle);
	c->handle = NULL;
	if (rf__source_drop(src))
		free(src);
}

static void follow_close(struct rf_source *src)
{
	struct follow_source *fs = (struct follow_source *)src;
	while (fs->nf)
		close_file(fs, fs->nf - 1);
	free(fs->f);
	fs->f = NULL;
	free(fs->last);
	fs->last = NULL;
	rf__follow_positions_free(fs->fin, fs->nfin);
	fs->fin = NULL;
	fs->nfin = 0;
	if (fs->ino_fd >= 0)
		close(fs->ino_fd);
	fs->ino_fd = -1;
	free(fs->names);
	fs->names = NULL;
	if (rf__source_drop(src))
		free(src);
}

static const struct rf_source_ops follow_ops = {
	.name = "follow",
	.next = follow_next,
	.release = follow_release,
	.close = follow_close,
};

int rf__source_follow_open(struct rf_source **out, const struct rf_follow_config *cfg)
{
	struct follow_source *fs = calloc(1, sizeof *fs);
	if (!fs || !(fs->names = calloc((size_t)(cfg->nnames ? cfg->nnames : 1), sizeof *fs->names))) {
		free(fs);
		return -ENOMEM;
	}
	fs->base.ops = &follow_ops;
	fs->base.wake_fd = -1;
	fs->base.shared = 1;
	atomic_init(&fs->base.refs, 1);
	fs->pool = cfg->pool;
	fs->cfg = *cfg;
	fs->ino_fd = cfg->poll_ns ? -1 : inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	fs->info.polling = fs->ino_fd < 0;
	if (fs->ino_fd < 0 && !cfg->poll_ns && cfg->say)
		cfg->say(cfg->user, "inotify", 0, "unavailable: the files are polled every second");
	for (int n = 0; n < cfg->nnames; n++) {
		fs->names[n].path = cfg->names[n];
		fs->names[n].dir_wd = -1;
		if (fs->ino_fd < 0)
			continue;
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s", cfg->names[n]);
		char *slash = strrchr(dir, '/');
		if (slash)
			slash[slash == dir ? 1 : 0] = 0;
		fs->names[n].dir_wd = inotify_add_watch(fs->ino_fd, slash ? dir : ".", DIR_EVENTS);
		if (fs->names[n].dir_wd < 0 && cfg->say) {
			char msg[300];
			snprintf(msg, sizeof msg, "its directory cannot be watched (%s): polled every second",
				 strerror(errno));
			cfg->say(cfg->user, cfg->names[n], 0, msg);
			fs->cfg.poll_ns = 1000000000ULL;
		}
	}
	/* the live files are held from now on: a rotation before the first
	 * read finds them open */
	look_at_names(fs);
	fs->started = 1;
	*out = &fs->base;
	return 0;
}

int rf__follow_adopt(struct rf_source *src, int fd, const char *name, uint64_t offset)
{
	struct follow_source *fs = (struct follow_source *)src;
	int n = 0; /* the live name it was rotated from, as far as names tell */
	for (int i = 0; i < fs->cfg.nnames; i++)
		if (strncmp(name, fs->cfg.names[i], strlen(fs->cfg.names[i])) == 0)
			n = i;
	struct stat st;
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	struct ffile *f = fstat(dfd, &st) == 0 ? add_file(fs, n, dfd, &st) : NULL;
	if (!f) {
		close(dfd);
		return -ENOMEM;
	}
	f->off = f->line_off = offset;
	f->idle_since = mono_ns();
	load_fp(f, (uint64_t)st.st_size);
	fs->info.rotations++;
	return 0;
}

int rf__follow_positions(struct rf_source *src, struct rf_follow_pos **out, int *n)
{
	struct follow_source *fs = (struct follow_source *)src;
	struct rf_follow_pos *p = calloc((size_t)(fs->nf + fs->nfin + 1), sizeof *p);
	if (!p)
		return -ENOMEM;
	for (int i = 0; i < fs->nfin; i++) {
		p[fs->nf + i] = fs->fin[i];
		if (!(p[fs->nf + i].name = strdup(fs->fin[i].name))) {
			for (int j = 0; j < i; j++)
				free(p[fs->nf + j].name);
			free(p);
			return -ENOMEM;
		}
	}
	for (int i = 0; i < fs->nf; i++) {
		struct ffile *f = fs->f[i];
		p[i].name = strdup(fs->names[f->name].path);
		if (!p[i].name) {
			for (int j = i + 1; j < fs->nf; j++)
				p[j].name = NULL;
			rf__follow_positions_free(p, fs->nf + fs->nfin);
			return -ENOMEM;
		}
		p[i].id.dev = f->dev;
		p[i].id.ino = f->ino;
		p[i].id.fplen = f->fplen;
		p[i].id.fp = rf__fp_hash(f->fpbuf, f->fplen);
		p[i].offset = f->line_off;
		p[i].live = f->live;
	}
	*out = p;
	*n = fs->nf + fs->nfin;
	return 0;
}

void rf__follow_positions_free(struct rf_follow_pos *p, int n)
{
	for (int i = 0; i < n; i++)
		free(p[i].name);
	free(p);
}

void rf__follow_info(struct rf_source *src, struct rf_follow_info *info)
{
	struct follow_source *fs = (struct follow_source *)src;
	uint64_t lag = 0;
	for (int i = 0; i < fs->nf; i++) {
		struct stat st;
		if (fstat(fs->f[i]->fd, &st) == 0 && (uint64_t)st.st_size > fs->f[i]->line_off)
			lag += (uint64_t)st.st_size - fs->f[i]->line_off;
	}
	fs->info.lag = lag;
	*info = fs->info;
}
