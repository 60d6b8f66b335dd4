// SPDX-License-Identifier: GPL-2.0
/* trace.bpf.c - the kernel half of ringflow-trace: USDT programs on the
 * ringflow provider that fold each batch, queue wait and I/O request into
 * per-CPU counters and log2 histograms, and each chunk a decoder thread
 * made of compressed input into per-codec ones.
 *
 * The probes fire per batch, so the work here is a few map updates per
 * batch and stage.  Stage and queue times come from the probes' own
 * arguments (measured by the engine around the work, not around the
 * probe), which also makes a wait or batch that began before we attached
 * count correctly; only I/O latency is timed here, from submit to
 * completion (the time the reader lost to I/O comes from the probe).
 */
/* the uapi headers, not vmlinux.h: its types would make libbpf relocate
 * (and so parse the kernel's whole BTF) for the pt_regs of usdt.bpf.h */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "trace.h"

/* set by trace.c between open and load; the task_struct offsets come
 * from its own quick read of the kernel's BTF, as libbpf's CO-RE would
 * parse all of it first (a third of a second, at every start) */
const volatile __u32 targ_tgid = 0;
const volatile __u32 real_parent_off = 0, tgid_off = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRACE_STAGES);
	__type(key, __u32);
	__type(value, struct stage_counts);
} stages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRACE_QUEUES);
	__type(key, __u32);
	__type(value, struct queue_counts);
} queues SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct io_counts);
} io SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TRACE_CODECS);
	__type(key, __u32);
	__type(value, struct decode_counts);
} decode SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct follow_counts);
} follow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRACE_STAGES);
	__type(key, __u32);
	__type(value, struct stage_name);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct run_info);
} run SEC(".maps");

/* a batch a thread has begun in a stage: which one, and what came in */
struct open_key {
	__u32 tid;
	__u32 stage;
};

struct open_batch {
	__u64 seq, records, bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct open_key);
	__type(value, struct open_batch);
} open_batches SEC(".maps");

/* the threads seen running each stage (key as above) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct open_key);
	__type(value, __u8);
} stage_threads SEC(".maps");

/* the threads seen decoding each codec (tid, codec) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct open_key);
	__type(value, __u8);
} decode_threads SEC(".maps");

/* an I/O request in flight: submit time */
struct io_key {
	__u32 tgid;
	__s32 fd;
	__u64 offset;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct io_key);
	__type(value, __u64);
} io_inflight SEC(".maps");

/* The target, or one of its forked workers (multiprocess mode). */
static __always_inline int traced(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!targ_tgid || tgid == targ_tgid)
		return 1;
	const char *task = (const char *)bpf_get_current_task(), *parent = NULL;
	__s32 ptgid = 0;
	if (bpf_probe_read_kernel(&parent, sizeof parent, task + real_parent_off) || !parent ||
	    bpf_probe_read_kernel(&ptgid, sizeof ptgid, parent + tgid_off))
		return 0;
	return (__u32)ptgid == targ_tgid;
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 slot = 0;
	/* bounded for the verifier: at most 64 rounds */
	for (int i = 0; i < 64 && v > 1; i++) {
		v >>= 1;
		slot++;
	}
	return slot < TRACE_SLOTS ? slot : TRACE_SLOTS - 1;
}

static __always_inline void learn_name(__u32 stage, const char *name)
{
	struct stage_name *n = bpf_map_lookup_elem(&names, &stage);
	if (n && !n->name[0] && name)
		bpf_probe_read_user_str(n->name, sizeof n->name, name);
}

/* the target's own run (not a forked worker's, not under -b) */
static __always_inline struct run_info *target_run(void)
{
	if (!targ_tgid || bpf_get_current_pid_tgid() >> 32 != targ_tgid)
		return NULL;
	__u32 zero = 0;
	return bpf_map_lookup_elem(&run, &zero);
}

SEC("usdt")
int BPF_USDT(run_start, int mode, int threads)
{
	struct run_info *r = target_run();
	if (r) {
		r->start_ns = bpf_ktime_get_ns();
		r->mode = mode;
		r->threads = threads;
	}
	return 0;
}

SEC("usdt")
int BPF_USDT(run_end, __u64 bytes, __u64 records)
{
	struct run_info *r = target_run();
	if (r) {
		r->end_ns = bpf_ktime_get_ns();
		r->bytes = bytes;
		r->records = records;
	}
	return 0;
}

SEC("usdt")
int BPF_USDT(stage_name, int stage, const char *name)
{
	if (!traced() || stage < 0 || stage >= TRACE_STAGES)
		return 0;
	learn_name(stage, name);
	return 0;
}

SEC("usdt")
int BPF_USDT(stage_begin, int stage, __u64 seq, __u64 records, __u64 bytes, const char *name)
{
	if (!traced() || stage < 0 || stage >= TRACE_STAGES)
		return 0;
	__u32 key = stage;
	struct stage_counts *c = bpf_map_lookup_elem(&stages, &key);
	if (!c)
		return 0;
	c->begins++;
	/* counted at its end, with its end */
	struct open_key ok = { .tid = (__u32)bpf_get_current_pid_tgid(), .stage = key };
	struct open_batch ob = { .seq = seq, .records = records, .bytes = bytes };
	bpf_map_update_elem(&open_batches, &ok, &ob, BPF_ANY);
	learn_name(key, name);
	return 0;
}

SEC("usdt")
int BPF_USDT(stage_end, int stage, __u64 seq, __u64 records, __u64 busy_ns)
{
	if (!traced() || stage < 0 || stage >= TRACE_STAGES)
		return 0;
	__u32 key = stage;
	struct stage_counts *c = bpf_map_lookup_elem(&stages, &key);
	if (!c)
		return 0;
	struct open_key ok = { .tid = (__u32)bpf_get_current_pid_tgid(), .stage = key };
	struct open_batch *ob = bpf_map_lookup_elem(&open_batches, &ok);
	if (!ob || ob->seq != seq) {
		/* begun before we attached: its records in and part of its
		 * busy time are not ours to count */
		c->unpaired_ends++;
		if (ob)
			bpf_map_delete_elem(&open_batches, &ok);
		return 0;
	}
	__u64 in = ob->records, bytes = ob->bytes;
	bpf_map_delete_elem(&open_batches, &ok);
	if (!bpf_map_lookup_elem(&stage_threads, &ok)) {
		__u8 one = 1;
		bpf_map_update_elem(&stage_threads, &ok, &one, BPF_ANY);
		c->threads++;
	}
	c->batches++;
	c->records_in += in;
	c->bytes += bytes;
	c->records_out += records;
	c->busy_ns += busy_ns;
	c->hist[log2_slot(busy_ns / 1000)]++;
	return 0;
}

SEC("usdt")
int BPF_USDT(queue_wait_end, int queue, __u64 waited_ns, int full)
{
	if (!traced() || queue < 0 || queue >= TRACE_QUEUES)
		return 0;
	__u32 key = queue;
	struct queue_counts *c = bpf_map_lookup_elem(&queues, &key);
	if (!c)
		return 0;
	if (full) {
		c->full_waits++;
		c->full_ns += waited_ns;
	} else {
		c->empty_waits++;
		c->empty_ns += waited_ns;
	}
	return 0;
}

SEC("usdt")
int BPF_USDT(io_submit, int fd, __u64 bytes, __u64 offset)
{
	if (!traced())
		return 0;
	__u32 zero = 0;
	struct io_counts *c = bpf_map_lookup_elem(&io, &zero);
	if (!c)
		return 0;
	c->submits++;
	struct io_key k = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd, .offset = offset };
	__u64 now = bpf_ktime_get_ns();
	bpf_map_update_elem(&io_inflight, &k, &now, BPF_ANY);
	return 0;
}

SEC("usdt")
int BPF_USDT(io_complete, int fd, long result, __u64 offset, __u64 waited_ns)
{
	if (!traced())
		return 0;
	__u32 zero = 0;
	struct io_counts *c = bpf_map_lookup_elem(&io, &zero);
	if (!c)
		return 0;
	c->completes++;
	if (result < 0)
		c->errors++;
	else
		c->bytes += result;
	c->blocked_ns += waited_ns;
	struct io_key k = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd, .offset = offset };
	__u64 *t0 = bpf_map_lookup_elem(&io_inflight, &k);
	if (!t0) {
		c->unpaired++;
		return 0;
	}
	__u64 ns = bpf_ktime_get_ns() - *t0;
	bpf_map_delete_elem(&io_inflight, &k);
	c->latency_ns += ns;
	c->hist[log2_slot(ns / 1000)]++;
	return 0;
}

SEC("usdt")
int BPF_USDT(decode_chunk, int codec, __u64 in_bytes, __u64 out_bytes, __u64 ns)
{
	if (!traced() || codec < 0 || codec >= TRACE_CODECS)
		return 0;
	__u32 key = codec;
	struct decode_counts *c = bpf_map_lookup_elem(&decode, &key);
	if (!c)
		return 0;
	struct open_key tk = { .tid = (__u32)bpf_get_current_pid_tgid(), .stage = key };
	if (!bpf_map_lookup_elem(&decode_threads, &tk)) {
		__u8 one = 1;
		bpf_map_update_elem(&decode_threads, &tk, &one, BPF_ANY);
		c->threads++;
	}
	c->chunks++;
	c->in_bytes += in_bytes;
	c->out_bytes += out_bytes;
	c->busy_ns += ns;
	c->hist[log2_slot(ns / 1000)]++;
	return 0;
}

SEC("usdt")
int BPF_USDT(follow_read, int fd, __u64 bytes, __u64 lag)
{
	if (!traced())
		return 0;
	__u32 zero = 0;
	struct follow_counts *c = bpf_map_lookup_elem(&follow, &zero);
	if (!c)
		return 0;
	c->reads++;
	c->bytes += bytes;
	c->lag_sum += lag;
	c->hist[log2_slot(lag >> 10)]++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
