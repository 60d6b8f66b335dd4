/* SPDX-License-Identifier: MIT */
/* follow.h - the following reader's source: live files read as they grow,
 * through rotations (rename + create, copytruncate, delete + create, a name
 * that appears later, a symlink re-pointed), woken by inotify.
 *
 * It hands out whole lines only: each file's unfinished last line waits in
 * the source until its newline comes, so lines of two files (a rotated one
 * still being written, and its successor) never join, and a file's offset
 * after the last line handed out is a point a restart can resume from.
 * A line longer than a buffer is the exception: it goes out in pieces
 * (the framer joins them), and the source reads only that file until the
 * line ends.
 *
 * Files are known by device and inode plus a fingerprint of their first
 * bytes (RF_FP_MAX of them, or as many as the file has): an inode the file
 * system gave to a new file is not mistaken for the old one, and a copy
 * (copytruncate's, or a compressed generation) is recognised by content.
 */
#ifndef RF_FOLLOW_H
#define RF_FOLLOW_H

#include <signal.h>
#include <stdint.h>
#include "source.h"

#define RF_FP_MAX 1024

struct rf_follow_id {
	uint64_t dev, ino;
	uint32_t fplen;      /* bytes the fingerprint covers */
	uint64_t fp;         /* rf__fp_hash of the first fplen bytes */
};

/* FNV-1a, 64 bits: the fingerprint's hash (the same on every machine). */
uint64_t rf__fp_hash(const void *p, size_t n);

/* Where a file stands: what a checkpoint records of it. */
struct rf_follow_pos {
	char *name;          /* the name it was followed under */
	struct rf_follow_id id;
	uint64_t offset;     /* bytes consumed: just past the last line handed out */
	int live;            /* 1: the name's file now; 0: rotated away, still read;
	                      * -1: finished (closed, or its content truncated away) */
};

struct rf_follow_config {
	const char *const *names;    /* the live names followed */
	int nnames;
	/* where to start a name whose file is still the one a checkpoint
	 * saw (same device, inode and first bytes); others start at 0 */
	const struct rf_follow_pos *resume;
	int nresume;
	struct rf_pool *pool;
	uint64_t rotate_wait_ns;     /* a rotated-away file is read until idle this long */
	uint64_t poll_ns;            /* poll at this interval, not inotify; 0: inotify */
	/* a note (err 0) or a problem (-errno) about one name */
	void (*say)(void *user, const char *name, int err, const char *msg);
	void *user;
};

struct rf_follow_info {
	uint64_t files;          /* files opened (rotations open new ones) */
	uint64_t rotations;      /* a name found pointing at another file, or gone */
	uint64_t truncations;    /* a file found shorter than what was read of it */
	uint64_t recovered;      /* bytes read from a copy after a truncation */
	uint64_t wakeups;        /* inotify wake-ups or polls */
	uint64_t closed;         /* rotated-away files closed (idle, or copies read) */
	uint64_t lag;            /* bytes written and not yet handed out, at the last look */
	uint64_t unfinished;     /* at the end: bytes of lines without their newline, left */
	int polling;             /* no inotify: polled */
};

int rf__source_follow_open(struct rf_source **out, const struct rf_follow_config *cfg);
/* The position of every file open now (live and rotated-away), as an
 * array of *n entries to give back with rf__follow_positions_free.
 * Call between chunks: everything handed out is then consumed. */
int rf__follow_positions(struct rf_source *src, struct rf_follow_pos **out, int *n);
void rf__follow_positions_free(struct rf_follow_pos *p, int n);
void rf__follow_info(struct rf_source *src, struct rf_follow_info *info);
/* Read an open plain file (fd, duplicated) from `offset` as a rotated-away
 * file: until it has been idle for rotate_wait, since a writer may still
 * be appending to it.  0 or -errno. */
int rf__follow_adopt(struct rf_source *src, int fd, const char *name, uint64_t offset);

/* Set by rf_follow_stop(): read what the files hold, to their last whole
 * line, then end (next() gives 0). */
extern volatile sig_atomic_t rf__follow_stop;
extern int rf__follow_stop_fd; /* an eventfd rf_follow_stop() writes (-1: none) */

#endif
