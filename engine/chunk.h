/* SPDX-License-Identifier: MIT */
/* chunk.h - a chunk of a source shared by reference: the framer holds it
 * while it cuts records out of it, and every batch a work item keeps holds
 * it too; the last holder, on whatever thread, gives it back to its source
 * (see rf__chunk_hold and rf__chunk_unref in engine.h). */
#ifndef RF_CHUNK_H
#define RF_CHUNK_H

#include <stdatomic.h>
#include "../io/source.h"

struct rf_chunk_ref {
	_Atomic unsigned refs;
	struct rf_source *src;
	struct rf_chunk chunk;
};

#endif
