/* SPDX-License-Identifier: MIT */
/* fault.h - test-only fault injection into the readers.
 *
 * RINGFLOW_TEST_FAULT=KIND[:N][,KIND[:N]...], read once (engine/testhooks.c):
 *   short        each read returns at most a third of what it asked for
 *   eintr:N      after every N reads, one fails with EINTR (io_uring: its
 *                completion), so the retry is not failed too
 *   eagain:N     the same with EAGAIN
 *   eio:OFFSET   a read that reaches byte OFFSET of a file fails with EIO
 *   submit:N     the Nth io_uring submission fails with ENOMEM
 *   setup        io_uring setup fails with ENOMEM
 *   write-eio:N  the Nth write of the output (and each after it) fails with EIO
 *   write-short  each write of the output takes at most a third of its bytes
 * The readers test one global flag per request; with no faults set that is
 * all they pay.  tests/faults.sh says what each must lead to.
 */
#ifndef RF_FAULT_H
#define RF_FAULT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../engine/testhooks.h" /* the environment of the tests, read once */

extern int rf__faults;

/* Read RINGFLOW_TEST_FAULT (once). */
void rf__fault_init(void);
/* read(2) with the faults: bytes, or -1 with errno */
ssize_t rf__fault_read(int fd, void *buf, size_t len, uint64_t off);
/* an io_uring read's result with the faults applied */
int rf__fault_result(int res, uint64_t off);
/* -ENOMEM when this submission is to fail, else 0 */
int rf__fault_submit(void);
/* write(2) of the output with the faults: bytes, or -1 with errno */
ssize_t rf__fault_write(int fd, const void *buf, size_t len);
/* A multiprocess worker writes to its parent, not to the output: the
 * output faults are the parent's. */
void rf__fault_no_writes(void);
/* -ENOMEM when io_uring setup is to fail, else 0 */
int rf__fault_setup(void);

#endif
