/* SPDX-License-Identifier: MIT */
/* fuzz_query.c - the query parser: any text either parses or is refused
 * with a message and a position inside the text. */
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	rf_query *q = NULL;
	struct rf_query_error err;
	memset(&err, 0, sizeof err);
	int r = rf_query_parse(text, &q, &err);
	if (r == 0) {
		/* a parsed query describes itself */
		int n = rf_query_stages(q);
		if (n < 1 || n > RF_MAX_STAGES)
			abort();
		for (int i = 0; i < n; i++)
			if (!rf_query_stage_name(q, i))
				abort();
		rf_query_free(q);
	} else if (r != -22 /* EINVAL */ || !err.message[0] || err.column < 0 ||
		   (size_t)err.column > strlen(text) + 1) {
		abort();
	}
	free(text);
	return 0;
}
