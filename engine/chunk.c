/* SPDX-License-Identifier: MIT */
/* chunk.c - the reference count of a shared chunk (chunk.h). */
#include "config.h"
#include <stdatomic.h>
#include <stdlib.h>
#include "engine.h"
#include "chunk.h"

void rf__chunk_hold(struct rf_chunk_ref *r)
{
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
}

void rf__chunk_unref(struct rf_chunk_ref *r)
{
	if (!r || atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (r->src)
		r->src->ops->release(r->src, &r->chunk);
	else
		free(r->chunk.handle); /* a spill buffer the framer let go */
	free(r);
}
