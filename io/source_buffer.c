/* SPDX-License-Identifier: MIT */
/* source_buffer.c - a caller's buffer (rf_input RF_INPUT_BUFFER) as a
 * shared source: handed out in place, a window at a time, so the stages'
 * per-batch arrays stay as small as with a file and parallel and pipeline
 * mode keep the bytes by reference, not by copy.
 *
 * Only the last bytes are copied, into a block of our own with spare
 * bytes after them: the vector kernels may load a whole 64-byte block at
 * a record's end (engine/simd_avx2.c), which in a caller's buffer could
 * read past its allocation.  A record that runs into the copied tail is
 * carried over by the framer, as across any two chunks.
 */
#include "config.h"
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "source.h"

#define TAIL 64          /* bytes copied at the end, and spare bytes after them */
#define TAIL_HEADROOM 4096 /* room for a short carried record in front of them */

struct buffer_source {
	struct rf_source base;
	const char *data;
	size_t len, at, in_place, window;
	int tail_given;
};

static int buffer_next(struct rf_source *src, struct rf_chunk *c)
{
	struct buffer_source *bs = (struct buffer_source *)src;
	if (bs->at < bs->in_place) {
		size_t n = bs->in_place - bs->at < bs->window ? bs->in_place - bs->at : bs->window;
		c->data = (char *)bs->data + bs->at; /* never written: no headroom */
		c->len = n;
		c->headroom = 0;
		c->offset = bs->at;
		c->handle = src; /* in place: nothing to free */
		bs->at += n;
	} else if (!bs->tail_given && bs->len > bs->in_place) {
		size_t n = bs->len - bs->in_place;
		char *block = malloc(TAIL_HEADROOM + n + TAIL);
		if (!block)
			return -ENOMEM;
		memcpy(block + TAIL_HEADROOM, bs->data + bs->in_place, n);
		memset(block + TAIL_HEADROOM + n, 0, TAIL);
		c->data = block + TAIL_HEADROOM;
		c->len = n;
		c->headroom = TAIL_HEADROOM;
		c->offset = bs->in_place;
		c->handle = block;
		bs->tail_given = 1;
	} else {
		return 0;
	}
	src->bytes += c->len;
	rf__source_hold(src);
	return 1;
}

static void buffer_release(struct rf_source *src, struct rf_chunk *c)
{
	if (!c->handle)
		return;
	if (c->handle != src)
		free(c->handle);
	c->handle = NULL;
	if (rf__source_drop(src))
		free(src);
}

static void buffer_close(struct rf_source *src)
{
	if (rf__source_drop(src))
		free(src);
}

static const struct rf_source_ops buffer_ops = {
	.name = "buffer",
	.next = buffer_next,
	.release = buffer_release,
	.close = buffer_close,
};

int rf__source_buffer_open(struct rf_source **out, const char *data, size_t len, size_t window)
{
	struct buffer_source *bs = calloc(1, sizeof *bs);
	if (!bs)
		return -ENOMEM;
	bs->base.ops = &buffer_ops;
	bs->base.shared = 1;
	bs->base.wake_fd = -1;
	atomic_init(&bs->base.refs, 1);
	bs->data = data;
	bs->len = len;
	bs->in_place = len > TAIL ? len - TAIL : 0;
	bs->window = window ? window : (size_t)4 << 20;
	*out = &bs->base;
	return 0;
}
