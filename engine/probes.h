/* SPDX-License-Identifier: MIT */
/* probes.h - USDT probes of the engine, provider "ringflow".
 *
 * Fired per batch, per queue wait and per I/O request, never per record: a
 * traced probe costs about a microsecond here, an untraced one a nop.  Every
 * argument is a plain integer or pointer already in hand, which also keeps
 * each in a form libbpf 1.1 can read: a constant, a register, or register +
 * offset (tests/probes.sh checks the notes).
 *
 * The probes of run.c and stage.c have semaphores (they define
 * RF_PROBE_SEMAPHORES before they include this): the kernel counts the tracers attached to each,
 * and RF_PROBE_ENABLED(stage__begin) is how the engine knows that someone
 * wants the records of a batch counted when --stats did not ask for them
 * (a count is a pass over the batch, not paid untraced).
 *
 *   run__start(mode, threads)          run__end(bytes, records)
 *   stage__name(stage, name)           once per stage instance, at open
 *   stage__begin(stage, seq, records_in, bytes, name)
 *   stage__end(stage, seq, records_out, busy_ns)
 *   queue__wait__begin(queue, full)    queue__wait__end(queue, waited_ns, full)
 *   io__submit(fd, bytes, offset)      io__complete(fd, result, offset, waited_ns)
 *   decode__chunk(codec, in_bytes, out_bytes, ns)   per decoded buffer, in the
 *                                      decoder thread (codec: enum rf_codec)
 *
 * records_in of stage__begin and records of run__end are the records as
 * --stats counts them, whether or not --stats was given, whenever
 * stage__begin is traced; records_out of stage__end is 0 for an aggregate.
 * A tracer should count a batch at its stage__end (the records in kept from
 * the stage__begin of the same thread, stage and seq): a batch whose
 * stage__begin fired before the tracer attached is then left out whole.
 *
 * stage__begin repeats the name so that a tracer attached mid-run, after
 * stage__name fired, still learns it.  Queue i feeds stage i (in pipeline
 * mode); full is 1 when the producer waits for room, 0 when the consumer
 * waits for work.  waited_ns of io__complete is how long the reading thread
 * was blocked for that result: requests overlap (io_uring keeps several in
 * flight), so submit-to-complete times do not add up to time lost.
 *
 * decode__chunk fires once per output buffer a decoder thread fills, never
 * per record: codec is an enum rf_codec (io/codec.h), in_bytes the
 * compressed bytes consumed for it, out_bytes the bytes it holds, ns the
 * decoder's busy time for it.
 */
#ifndef RF_PROBES_H
#define RF_PROBES_H

#ifdef HAVE_SYS_SDT_H
#ifdef RF_PROBE_SEMAPHORES
/* every probe of this file then names a semaphore; stage.c (2) defines them */
#define _SDT_HAS_SEMAPHORES 1
#if RF_PROBE_SEMAPHORES == 2
#define RF_SEMAPHORE(n) \
	volatile unsigned short ringflow_##n##_semaphore __attribute__((section(".probes"), used))
#else
#define RF_SEMAPHORE(n) extern volatile unsigned short ringflow_##n##_semaphore
#endif
RF_SEMAPHORE(run__start);
RF_SEMAPHORE(run__end);
RF_SEMAPHORE(stage__name);
RF_SEMAPHORE(stage__begin);
RF_SEMAPHORE(stage__end);
#endif
extern volatile unsigned short ringflow_stage__begin_semaphore;
#define RF_PROBE_ENABLED(n) __builtin_expect(ringflow_##n##_semaphore != 0, 0)
#include <sys/sdt.h>
#define RF_PROBE1(n, a) DTRACE_PROBE1(ringflow, n, a)
#define RF_PROBE2(n, a, b) DTRACE_PROBE2(ringflow, n, a, b)
#define RF_PROBE3(n, a, b, c) DTRACE_PROBE3(ringflow, n, a, b, c)
#define RF_PROBE4(n, a, b, c, d) DTRACE_PROBE4(ringflow, n, a, b, c, d)
#define RF_PROBE5(n, a, b, c, d, e) DTRACE_PROBE5(ringflow, n, a, b, c, d, e)
#else
/* no probes: the arguments still count as used */
#define RF_PROBE_ENABLED(n) 0
#define RF_PROBE1(n, a) ((void)(a))
#define RF_PROBE2(n, a, b) ((void)(a), (void)(b))
#define RF_PROBE3(n, a, b, c) ((void)(a), (void)(b), (void)(c))
#define RF_PROBE4(n, a, b, c, d) ((void)(a), (void)(b), (void)(c), (void)(d))
#define RF_PROBE5(n, a, b, c, d, e) ((void)(a), (void)(b), (void)(c), (void)(d), (void)(e))
#endif

#include <stdint.h>
#include "clock.h"

/* CLOCK_MONOTONIC in ns: the clock of the probes' times (and of
 * bpf_ktime_get_ns(), so a tracer can compare them). */
static inline uint64_t rf__probe_clock(void)
{
	return now_ns();
}

#endif
