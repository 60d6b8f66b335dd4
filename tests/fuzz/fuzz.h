/* SPDX-License-Identifier: MIT */
/* fuzz.h - shared by the fuzz harnesses: run a query through the real
 * engine (rf_run, serial mode) over the fuzz input held in a memfd, with
 * small buffers and windows so that records cross batch ends often.
 *
 * Each harness defines LLVMFuzzerTestOneInput.  Built with clang
 * -fsanitize=fuzzer it is a libFuzzer target (configure --enable-fuzzing,
 * make fuzz); built with replay.c it is a plain program that runs the
 * saved inputs (seeds and every crash found) in make check.
 */
#ifndef RF_FUZZ_H
#define RF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run query over data; shape picks the I/O backend and buffer sizes.  The
 * output is left in *out (valid until the next call), *out_len long.
 * Returns rf_run's result. */
int fuzz_run(const char *query, const uint8_t *data, size_t size, unsigned shape, const char **out,
	     size_t *out_len);

/* The multiline rule of the next fuzz_run calls (--multiline), NULL: lines. */
extern const char *fuzz_multiline;

/* The SIMD level of the next fuzz_run calls (an enum rf_simd; 0, auto:
 * the best this CPU has). */
extern int fuzz_simd;

#endif
