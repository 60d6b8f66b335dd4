/* exec_multiprocess.h - multiprocess mode (exec_multiprocess.c), internal. */
#ifndef RF_EXEC_MULTIPROCESS_H
#define RF_EXEC_MULTIPROCESS_H

#include "run.h"

#pragma GCC visibility push(hidden)
/* Run the query over the files in run->threads worker processes; the
 * parent merges their results into run.  0, or a negative errno. */
int run_multiprocess(struct run *run, const char *const *files, int nfiles);
#pragma GCC visibility pop

#endif
