/* SPDX-License-Identifier: MIT */
/* trace.c - ringflow-trace: per-stage latency of a running ringflow, from
 * its USDT probes, and which stage holds the run back.
 *
 *   ringflow-trace [-i SECONDS] [--json] [-o FILE] -p PID
 *   ringflow-trace [-i SECONDS] [--json] [-o FILE] -- ringflow ARGS...
 *   ringflow-trace [-i SECONDS] [--json] [-o FILE] -b /path/to/ringflow
 *
 * The BPF half (trace.bpf.c) folds every batch into per-CPU maps; this half
 * loads it, attaches it to the ringflow binary, waits for the target to
 * end (or for -i intervals), and prints the maps.
 */
#include "config.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/btf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ringflow.h"
#include "trace.h"
#include "trace.skel.h"

#define CAP_SYS_ADMIN_BIT 21

struct snapshot {
	struct stage_counts stage[TRACE_STAGES];
	struct queue_counts queue[TRACE_QUEUES];
	struct io_counts io;
	struct decode_counts decode[TRACE_CODECS];
	struct follow_counts follow;
	struct run_info run;
	char name[TRACE_STAGES][TRACE_NAME];
	uint64_t taken_ns;
};

static struct {
	pid_t pid;                 /* 0 with -b: every process of the binary */
	const char *binary;        /* -b */
	int spawned;
	double interval;
	int json;
	int verbose;
	FILE *out;
	const char *out_name;      /* for messages */
	const char *out_created;   /* -o FILE that we created: removed if we fail to start */
	int out_failed;            /* errno of the first failed write, then no more reports */
	uint64_t attached_ns;      /* just before the first probe was attached */
	int exited, status;        /* the started command's end, as a shell says it */
} cfg;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ringflow-trace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	/* -o FILE was not there before a start that failed: leave none */
	if (cfg.out_created)
		unlink(cfg.out_created);
	exit(2);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !cfg.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

#include "../engine/clock.h" /* now_ns(): the clock of bpf_ktime_get_ns() */

static void usage(FILE *f)
{
	fputs("usage: ringflow-trace [-i SECONDS] [--json] [-o FILE] [-v] -p PID\n"
	      "       ringflow-trace [-i SECONDS] [--json] [-o FILE] [-v] -- ringflow ARGS...\n"
	      "       ringflow-trace [-i SECONDS] [--json] [-o FILE] [-v] -b BINARY\n"
	      "\n"
	      "Per-stage batch latency, queue waits and I/O latency of a ringflow run, from its\n"
	      "USDT probes, and the stage that holds the run back.  Needs root (CAP_SYS_ADMIN).\n"
	      "\n"
	      "  -p, --pid PID        trace a running ringflow (and its forked workers)\n"
	      "  -b, --binary PATH    trace every process running PATH, until interrupted\n"
	      "  -i, --interval SECS  also print what happened in each interval\n"
	      "      --json           one JSON object per report\n"
	      "  -o, --output FILE    write reports to FILE (default: standard output with -p,\n"
	      "                       standard error when starting a command, like strace)\n"
	      "  -v, --verbose        show libbpf's messages and how the probes were attached\n"
	      "  -V, --version        the version, the library's features and libbpf's version\n"
	      "\n"
	      "It ends when the traced ringflow ends, or on SIGINT.  Exit status: that of the\n"
	      "started command; 0 after -p; 2 when tracing could not start.\n",
	      f);
}

/* ---- preflight: name what is missing before libbpf says it obscurely ---- */

static int have_cap_sys_admin(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	return (eff >> CAP_SYS_ADMIN_BIT) & 1;
}

static void preflight(void)
{
	if (!have_cap_sys_admin())
		die("attaching uprobes needs CAP_SYS_ADMIN on this kernel: run as root (sudo ringflow-trace ...)");
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		die("this kernel exposes no BTF (/sys/kernel/btf/vmlinux: %s): it needs CONFIG_DEBUG_INFO_BTF=y",
		    strerror(errno));
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK) != 0)
		die("this kernel has no uprobe support (/sys/bus/event_source/devices/uprobe: %s): it needs "
		    "CONFIG_UPROBE_EVENTS=y",
		    strerror(errno));
}

/* Where task_struct keeps real_parent and tgid, for the BPF side's check
 * of forked workers: one pass over the kernel's BTF, instead of libbpf's
 * CO-RE, which builds an index of all of it first (a third of a second). */
static void task_offsets(__u32 *parent_off, __u32 *tgid_off)
{
	static const char path[] = "/sys/kernel/btf/vmlinux";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die("cannot read %s: %s", path, strerror(errno));
	/* Linux 6.16 maps it; before, sysfs hands out 4 KiB a read, and the
	 * few MB take a tenth of a second on a busy machine */
	size_t len = (size_t)st.st_size, cap = 1 << 23;
	unsigned char *buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0), *mapped = buf;
	if (buf == MAP_FAILED) {
		mapped = NULL, len = 0;
		buf = malloc(cap);
		ssize_t r;
		while (buf && (r = read(fd, buf + len, cap - len)) > 0)
			if ((len += (size_t)r) == cap) {
				unsigned char *more = realloc(buf, cap * 2);
				if (!more)
					free(buf);
				buf = more, cap *= 2;
			}
	}
	close(fd);
	if (!buf)
		die("out of memory");
	struct btf_header h;
	int found = 0;
	if (len < sizeof h)
		goto out;
	memcpy(&h, buf, sizeof h);
	if (h.magic != BTF_MAGIC || (size_t)h.hdr_len + h.type_off + h.type_len > len ||
	    (size_t)h.hdr_len + h.str_off + h.str_len > len)
		goto out;
	const unsigned char *t = buf + h.hdr_len + h.type_off, *end = t + h.type_len;
	const char *strs = (const char *)buf + h.hdr_len + h.str_off;
#define BTF_STR(off) ((off) < h.str_len ? strs + (off) : "")
	while (t + sizeof(struct btf_type) <= end && found != 3) {
		struct btf_type bt;
		memcpy(&bt, t, sizeof bt);
		t += sizeof bt;
		__u32 vlen = BTF_INFO_VLEN(bt.info);
		size_t extra;
		switch (BTF_INFO_KIND(bt.info)) {
		case BTF_KIND_INT: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG: extra = 4; break;
		case BTF_KIND_ARRAY: extra = 12; break;
		case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC: case BTF_KIND_ENUM64:
			extra = 12 * (size_t)vlen; break;
		case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO: extra = 8 * (size_t)vlen; break;
		default: extra = 0; break;
		}
		if ((size_t)(end - t) < extra)
			break;
		if (BTF_INFO_KIND(bt.info) == BTF_KIND_STRUCT && !strcmp(BTF_STR(bt.name_off), "task_struct")) {
			for (__u32 i = 0; i < vlen; i++) {
				struct btf_member m;
				memcpy(&m, t + i * sizeof m, sizeof m);
				/* kind_flag: the low 24 bits are the bit offset */
				__u32 bits = BTF_INFO_KFLAG(bt.info) ? BTF_MEMBER_BIT_OFFSET(m.offset) : m.offset;
				if (!strcmp(BTF_STR(m.name_off), "real_parent"))
					*parent_off = bits / 8, found |= 1;
				else if (!strcmp(BTF_STR(m.name_off), "tgid"))
					*tgid_off = bits / 8, found |= 2;
			}
			break;
		}
		t += extra;
	}
#undef BTF_STR
out:
	if (mapped)
		munmap(mapped, len);
	else
		free(buf);
	if (found != 3)
		die("cannot find task_struct's real_parent and tgid in %s", path);
	if (cfg.verbose)
		fprintf(stderr, "ringflow-trace: task_struct: real_parent at %u, tgid at %u\n", *parent_off, *tgid_off);
}

/* ---- the target ---- */

static void binary_of_pid(pid_t pid, char *path, size_t size)
{
	char link[64];
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(link, path, size - 1);
	if (n < 0) {
		if (errno == ENOENT)
			die("no process %d", (int)pid);
		die("cannot see process %d's program (%s): %s", (int)pid, link, strerror(errno));
	}
	path[n] = 0;
	/* a binary replaced since it started: its old inode is still there */
	if (strstr(path, " (deleted)") || access(path, R_OK) != 0)
		snprintf(path, size, "%s", link);
}

static void binary_in_path(const char *cmd, char *path, size_t size)
{
	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK) != 0)
			die("cannot run %s: %s", cmd, strerror(errno));
		snprintf(path, size, "%s", cmd);
		return;
	}
	const char *dirs = getenv("PATH");
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	while (*dirs) {
		size_t n = strcspn(dirs, ":");
		/* a candidate cut short would be another file: skip it */
		if ((size_t)snprintf(path, size, "%.*s/%s", (int)n, n ? dirs : ".", cmd) < size &&
		    access(path, X_OK) == 0)
			return;
		dirs += n + (dirs[n] == ':');
	}
	die("%s: command not found", cmd);
}

/* The child waits on gate until the probes are in place, then runs cmd:
 * the trace sees the first batch. */
static pid_t spawn(char **argv, const char *path, int *gate)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char go;
		close(fds[1]);
		if (read(fds[0], &go, 1) != 1)
			_exit(127); /* the tracer gave up */
		execv(path, argv);
		fprintf(stderr, "ringflow-trace: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*gate = fds[1];
	return pid;
}

/* ---- reading the maps ---- */

static void read_percpu(int fd, __u32 key, void *sum, size_t size, void *buf, int ncpu)
{
	memset(sum, 0, size);
	if (bpf_map_lookup_elem(fd, &key, buf) < 0)
		return;
	/* every field is a __u64 counter: add them up across CPUs */
	for (int c = 0; c < ncpu; c++) {
		const __u64 *v = (const __u64 *)((const char *)buf + (size_t)c * size);
		for (size_t i = 0; i < size / 8; i++)
			((__u64 *)sum)[i] += v[i];
	}
}

static void snap(struct trace_bpf *skel, struct snapshot *s, int ncpu, void *buf)
{
	int sfd = bpf_map__fd(skel->maps.stages), qfd = bpf_map__fd(skel->maps.queues);
	for (__u32 i = 0; i < TRACE_STAGES; i++)
		read_percpu(sfd, i, &s->stage[i], sizeof s->stage[i], buf, ncpu);
	for (__u32 i = 0; i < TRACE_QUEUES; i++)
		read_percpu(qfd, i, &s->queue[i], sizeof s->queue[i], buf, ncpu);
	read_percpu(bpf_map__fd(skel->maps.io), 0, &s->io, sizeof s->io, buf, ncpu);
	for (__u32 i = 0; i < TRACE_CODECS; i++)
		read_percpu(bpf_map__fd(skel->maps.decode), i, &s->decode[i], sizeof s->decode[i], buf, ncpu);
	read_percpu(bpf_map__fd(skel->maps.follow), 0, &s->follow, sizeof s->follow, buf, ncpu);
	__u32 zero = 0;
	memset(&s->run, 0, sizeof s->run);
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.run), &zero, &s->run);
	for (__u32 i = 0; i < TRACE_STAGES; i++) {
		struct stage_name n = { 0 };
		bpf_map_lookup_elem(bpf_map__fd(skel->maps.names), &i, &n);
		memcpy(s->name[i], n.name, TRACE_NAME);
		s->name[i][TRACE_NAME - 1] = 0;
	}
	s->taken_ns = now_ns();
}

/* out = now - before, for structs that are nothing but __u64 counters */
static void sub_counters(void *out, const void *now, const void *before, size_t size)
{
	const __u64 *n = now, *b = before;
	__u64 *o = out;
	for (size_t i = 0; i < size / 8; i++)
		o[i] = n[i] - b[i];
}

/* what happened between two snapshots (counters only grow) */
static void delta(struct snapshot *d, const struct snapshot *now, const struct snapshot *before)
{
	*d = *now;
	sub_counters(d->stage, now->stage, before->stage, sizeof d->stage);
	for (int i = 0; i < TRACE_STAGES; i++) /* a set, not a counter */
		d->stage[i].threads = now->stage[i].threads;
	sub_counters(d->queue, now->queue, before->queue, sizeof d->queue);
	sub_counters(&d->io, &now->io, &before->io, sizeof d->io);
	sub_counters(d->decode, now->decode, before->decode, sizeof d->decode);
	sub_counters(&d->follow, &now->follow, &before->follow, sizeof d->follow);
	for (int i = 0; i < TRACE_CODECS; i++)
		d->decode[i].threads = now->decode[i].threads;
}

/* ---- the verdict ---- */

#include "../io/codec.h" /* RF_CODEC_LIST: the codec ids of decode__chunk */

static const char *codec_name(int c)
{
	static const char *const names[] = {
#define RF_CODEC_NAME(id, name) name,
		RF_CODEC_LIST(RF_CODEC_NAME)
#undef RF_CODEC_NAME
	};
	return c >= 0 && c < (int)(sizeof names / sizeof names[0]) ? names[c] : "codec";
}

static const char *mode_name(__u64 mode)
{
	switch (mode) {
	case RF_MODE_SERIAL: return "serial";
	case RF_MODE_PARALLEL: return "parallel";
	case RF_MODE_MULTIPROCESS: return "multiprocess";
	case RF_MODE_PIPELINE: return "pipeline";
	case RF_MODE_ASYNC: return "async";
	default: return "unknown";
	}
}

struct verdict {
	int stage;            /* the bottleneck stage, -1 for input, -2 for none, -3 for decoding */
	double share;         /* of the wall time (per instance) it was busy */
	double input_share;
	double share_of[TRACE_STAGES];
	double decode_share[TRACE_CODECS]; /* per thread seen decoding it */
	int decode_codec;     /* the busiest codec, -1 for none */
	int decoded;          /* some decode__chunk fired */
	int nstages;
	char why[512];
};

static const char *stage_label(const struct snapshot *s, int i, char *buf, size_t size)
{
	if (s->name[i][0])
		snprintf(buf, size, "%s", s->name[i]);
	else
		snprintf(buf, size, "stage %d", i);
	return buf;
}

static void judge(const struct snapshot *s, uint64_t wall_ns, int have_run, struct verdict *v)
{
	memset(v, 0, sizeof *v);
	/* parallel and multiprocess run every stage in each worker */
	double instances = 1;
	if (have_run && (s->run.mode == RF_MODE_PARALLEL || s->run.mode == RF_MODE_MULTIPROCESS) && s->run.threads > 1)
		instances = (double)s->run.threads;
	/* attached mid-run, the mode is unknown: a stage's share is per
	 * thread seen running it (-b adds up runs, not threads: not there) */
	int per_thread = !have_run && cfg.pid;
	if (per_thread)
		for (int i = 0; i < TRACE_STAGES; i++)
			if (s->stage[i].threads > instances)
				instances = (double)s->stage[i].threads;
	double wall = wall_ns ? (double)wall_ns : 1;
	v->stage = -2;
	for (int i = 0; i < TRACE_STAGES; i++) {
		if (!s->stage[i].batches)
			continue;
		v->nstages = i + 1;
		double n = per_thread && s->stage[i].threads ? (double)s->stage[i].threads : instances;
		v->share_of[i] = (double)s->stage[i].busy_ns / (wall * n);
		if (v->stage == -2 || v->share_of[i] > v->share) {
			v->stage = i;
			v->share = v->share_of[i];
		}
	}
	v->input_share = (double)s->io.blocked_ns / (wall * instances);
	/* decoder threads feed the stages: one busy all the time holds them back */
	v->decode_codec = -1;
	for (int i = 0; i < TRACE_CODECS; i++) {
		const struct decode_counts *c = &s->decode[i];
		if (!c->chunks)
			continue;
		v->decoded = 1;
		v->decode_share[i] = (double)c->busy_ns / (wall * (double)(c->threads ? c->threads : 1));
		if (v->decode_codec < 0 || v->decode_share[i] > v->decode_share[v->decode_codec])
			v->decode_codec = i;
	}
	if (v->stage == -2 && !s->io.completes && !v->decoded) {
		snprintf(v->why, sizeof v->why, "no batch seen yet");
		return;
	}
	double dshare = v->decode_codec >= 0 ? v->decode_share[v->decode_codec] : 0;
	if (dshare > v->share && dshare >= v->input_share && dshare >= 0.05) {
		v->stage = -3;
		v->share = dshare;
		snprintf(v->why, sizeof v->why,
			 "the %s decoder was busy %.0f%% of the wall time%s, longer than any stage was busy",
			 codec_name(v->decode_codec), 100 * dshare,
			 s->decode[v->decode_codec].threads > 1 ? " (per decoding thread)" : "");
		return;
	}
	if (v->input_share > v->share) {
		v->stage = -1;
		v->share = v->input_share;
		snprintf(v->why, sizeof v->why, "the reader was blocked on I/O %.0f%% of the wall time, longer than any stage was busy",
			 100 * v->input_share);
		return;
	}
	if (v->stage < 0) {
		/* input or decoding seen, too idle to blame, and no batch yet */
		snprintf(v->why, sizeof v->why, "no batch seen yet");
		return;
	}
	char name[64];
	stage_label(s, v->stage, name, sizeof name);
	int n = snprintf(v->why, sizeof v->why, "busy %.0f%% of the wall time%s", 100 * v->share,
			 instances > 1 ? (per_thread ? " (per thread)" : " (per worker)") : "");
	/* (-b: the wall time is ours, not a run's; idle time says nothing) */
	if (v->share < 0.05 && cfg.pid) {
		/* nothing works hard: the run is waiting for its input */
		snprintf(v->why + n, sizeof v->why - (size_t)n,
			 "; no stage is busy, so the run mostly waits for input (a slow pipe or disk)");
		v->stage = -1;
		return;
	}
	const struct queue_counts *in = &s->queue[v->stage], *out = &s->queue[v->stage + 1];
	if (have_run && s->run.mode == RF_MODE_PIPELINE) {
		if (in->full_waits)
			n += snprintf(v->why + n, sizeof v->why - (size_t)n,
				      "; its input queue was full %llu times (%.3f s): the %s before it waited for room",
				      (unsigned long long)in->full_waits, in->full_ns / 1e9,
				      v->stage ? "stage" : "reader");
		if (out->empty_waits && n < (int)sizeof v->why)
			snprintf(v->why + n, sizeof v->why - (size_t)n,
				 "; its output queue was empty %llu times (%.3f s): the %s after it waited for work",
				 (unsigned long long)out->empty_waits, out->empty_ns / 1e9,
				 v->stage + 1 < v->nstages ? "stage" : "writer");
	} else if (v->nstages > 1) {
		/* one thread runs them all: the next busiest, for scale */
		double next = 0;
		for (int i = 0; i < v->nstages; i++)
			if (i != v->stage && v->share_of[i] > next)
				next = v->share_of[i];
		snprintf(v->why + n, sizeof v->why - (size_t)n, "; the next busiest stage %.0f%%", 100 * next);
	}
}

/* ---- printing ---- */

static void print_hist(FILE *f, const __u64 *hist, const char *unit)
{
	int lo = -1, hi = -1;
	__u64 max = 0;
	for (int i = 0; i < TRACE_SLOTS; i++)
		if (hist[i]) {
			if (lo < 0)
				lo = i;
			hi = i;
			if (hist[i] > max)
				max = hist[i];
		}
	if (lo < 0)
		return;
	fprintf(f, "    %15s : %-10s distribution\n", unit, "count");
	for (int i = lo; i <= hi; i++) {
		unsigned long long from = i ? 1ull << i : 0, to = (1ull << (i + 1)) - 1;
		int stars = (int)(hist[i] * 40 / max);
		fprintf(f, "    %6llu -> %-6llu : %-10llu |%-40.*s|\n", from, to, (unsigned long long)hist[i], stars,
			"****************************************");
	}
}

static void human_bytes(char *buf, size_t size, double b)
{
	const char *unit[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;
	while (b >= 1000 && u < 4) {
		b /= 1000;
		u++;
	}
	snprintf(buf, size, u ? "%.2f %s" : "%.0f %s", b, unit[u]);
}

static void print_text(FILE *f, const struct snapshot *s, uint64_t wall_ns, int have_run, int final,
		       const struct verdict *v)
{
	char b1[32], name[64];
	if (cfg.pid)
		fprintf(f, "ringflow-trace: pid %d", (int)cfg.pid);
	else
		fprintf(f, "ringflow-trace: every process of %s", cfg.binary);
	if (!final)
		fputs(", interval", f);
	if (have_run)
		fprintf(f, ", %s mode, %llu thread%s", mode_name(s->run.mode), (unsigned long long)s->run.threads,
			s->run.threads == 1 ? "" : "s");
	fprintf(f, ", %.3f s%s\n", wall_ns / 1e9, have_run || !cfg.pid ? "" : " (attached mid-run)");
	for (int i = 0; i < v->nstages; i++) {
		const struct stage_counts *c = &s->stage[i];
		human_bytes(b1, sizeof b1, (double)c->bytes);
		fprintf(f, "\nstage %d %s: %llu batches, %llu records in, %llu out, %s, busy %.3f s (%.0f%%)\n", i,
			stage_label(s, i, name, sizeof name), (unsigned long long)c->batches,
			(unsigned long long)c->records_in, (unsigned long long)c->records_out, b1, c->busy_ns / 1e9,
			100 * v->share_of[i]);
		if (c->unpaired_ends)
			fprintf(f, "  %llu batch%s already under way when the trace attached\n",
				(unsigned long long)c->unpaired_ends, c->unpaired_ends == 1 ? " was" : "es were");
		print_hist(f, c->hist, "batch usecs");
	}
	for (int i = 0; i < TRACE_CODECS; i++) {
		const struct decode_counts *c = &s->decode[i];
		char b2[32], rate[32];
		if (!c->chunks)
			continue;
		human_bytes(b1, sizeof b1, (double)c->in_bytes);
		human_bytes(b2, sizeof b2, (double)c->out_bytes);
		human_bytes(rate, sizeof rate, c->busy_ns ? c->out_bytes * 1e9 / (double)c->busy_ns : 0);
		fprintf(f, "\ndecode %s: %llu chunks, %s compressed, %s decompressed, busy %.3f s (%.0f%%%s), %s/s\n",
			codec_name(i), (unsigned long long)c->chunks, b1, b2, c->busy_ns / 1e9, 100 * v->decode_share[i],
			c->threads > 1 ? " per thread" : "", rate);
		if (c->threads > 1)
			fprintf(f, "  %llu decoding threads\n", (unsigned long long)c->threads);
		print_hist(f, c->hist, "chunk usecs");
	}
	int any_queue = 0;
	for (int i = 0; i <= v->nstages && i < TRACE_QUEUES; i++) {
		const struct queue_counts *q = &s->queue[i];
		if (!q->full_waits && !q->empty_waits)
			continue;
		if (!any_queue++)
			fprintf(f, "\nqueue waits:\n");
		if (i < v->nstages)
			fprintf(f, "  into stage %d %-10s", i, stage_label(s, i, name, sizeof name));
		else
			fprintf(f, "  back to the writer    ");
		fprintf(f, " full %llu (%.3f s)  empty %llu (%.3f s)\n", (unsigned long long)q->full_waits,
			q->full_ns / 1e9, (unsigned long long)q->empty_waits, q->empty_ns / 1e9);
	}
	if (s->io.completes) {
		human_bytes(b1, sizeof b1, (double)s->io.bytes);
		fprintf(f, "\nI/O: %llu requests, %s, %llu errors, reader blocked %.3f s (%.0f%%)\n",
			(unsigned long long)s->io.completes, b1, (unsigned long long)s->io.errors,
			s->io.blocked_ns / 1e9, 100 * v->input_share);
		print_hist(f, s->io.hist, "request usecs");
	}
	if (s->follow.reads) {
		human_bytes(b1, sizeof b1, (double)s->follow.bytes);
		char b2[32];
		human_bytes(b2, sizeof b2, (double)s->follow.lag_sum / (double)s->follow.reads);
		fprintf(f, "\nfollow: %llu reads, %s; lag behind the files' ends at a read: %s on average\n",
			(unsigned long long)s->follow.reads, b1, b2);
		print_hist(f, s->follow.hist, "lag KiB");
	}
	if (v->stage >= 0)
		fprintf(f, "\nbottleneck: stage %d %s: %s\n", v->stage, stage_label(s, v->stage, name, sizeof name),
			v->why);
	else if (v->stage == -1)
		fprintf(f, "\nbottleneck: input: %s\n", v->why);
	else if (v->stage == -3)
		fprintf(f, "\nbottleneck: decode: %s\n", v->why);
	else
		fprintf(f, "\nbottleneck: none: %s\n", v->why);
	if (final && cfg.exited && cfg.status)
		fprintf(f, "\nringflow %s %d\n", cfg.status > 128 ? "was killed by signal" : "exited with status",
			cfg.status > 128 ? cfg.status - 128 : cfg.status);
}

static void json_hist(FILE *f, const __u64 *hist)
{
	fputc('[', f);
	int first = 1;
	for (int i = 0; i < TRACE_SLOTS; i++)
		if (hist[i]) {
			fprintf(f, "%s[%llu,%llu,%llu]", first ? "" : ",", i ? 1ull << i : 0, (1ull << (i + 1)) - 1,
				(unsigned long long)hist[i]);
			first = 0;
		}
	fputc(']', f);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void print_json(FILE *f, const struct snapshot *s, uint64_t wall_ns, int have_run, int final,
		       const struct verdict *v)
{
	char name[64];
	if (cfg.pid)
		fprintf(f, "{\"pid\":%d", (int)cfg.pid);
	else
		fputs("{\"pid\":null", f);
	fprintf(f, ",\"final\":%s,\"mode\":", final ? "true" : "false");
	if (have_run)
		fprintf(f, "\"%s\",\"threads\":%llu", mode_name(s->run.mode), (unsigned long long)s->run.threads);
	else
		fputs("null,\"threads\":null", f);
	fprintf(f, ",\"mid_run\":%s", have_run || !cfg.pid ? "false" : "true");
	if (final && cfg.exited)
		fprintf(f, ",\"exit_status\":%d", cfg.status);
	fprintf(f, ",\"wall_ns\":%llu,\"stages\":[", (unsigned long long)wall_ns);
	for (int i = 0; i < v->nstages; i++) {
		const struct stage_counts *c = &s->stage[i];
		fprintf(f, "%s{\"id\":%d,\"name\":", i ? "," : "", i);
		json_string(f, stage_label(s, i, name, sizeof name));
		fprintf(f,
			",\"batches\":%llu,\"records_in\":%llu,\"records_out\":%llu,\"bytes\":%llu,\"busy_ns\":%llu,"
			"\"busy_share\":%.4f,\"threads\":%llu,\"unpaired_ends\":%llu,\"hist_us\":",
			(unsigned long long)c->batches, (unsigned long long)c->records_in,
			(unsigned long long)c->records_out, (unsigned long long)c->bytes, (unsigned long long)c->busy_ns,
			v->share_of[i], (unsigned long long)c->threads, (unsigned long long)c->unpaired_ends);
		json_hist(f, c->hist);
		fputc('}', f);
	}
	fputs("],\"queues\":[", f);
	int first = 1;
	for (int i = 0; i <= v->nstages && i < TRACE_QUEUES; i++) {
		const struct queue_counts *q = &s->queue[i];
		if (!q->full_waits && !q->empty_waits)
			continue;
		fprintf(f, "%s{\"id\":%d,\"full_waits\":%llu,\"full_ns\":%llu,\"empty_waits\":%llu,\"empty_ns\":%llu}",
			first ? "" : ",", i, (unsigned long long)q->full_waits, (unsigned long long)q->full_ns,
			(unsigned long long)q->empty_waits, (unsigned long long)q->empty_ns);
		first = 0;
	}
	fprintf(f,
		"],\"io\":{\"requests\":%llu,\"bytes\":%llu,\"errors\":%llu,\"unpaired\":%llu,\"blocked_ns\":%llu,"
		"\"latency_ns\":%llu,\"hist_us\":",
		(unsigned long long)s->io.completes, (unsigned long long)s->io.bytes, (unsigned long long)s->io.errors,
		(unsigned long long)s->io.unpaired, (unsigned long long)s->io.blocked_ns,
		(unsigned long long)s->io.latency_ns);
	json_hist(f, s->io.hist);
	fprintf(f, "},\"follow\":{\"reads\":%llu,\"bytes\":%llu,\"lag_sum\":%llu,\"hist_lag_kib\":",
		(unsigned long long)s->follow.reads, (unsigned long long)s->follow.bytes,
		(unsigned long long)s->follow.lag_sum);
	json_hist(f, s->follow.hist);
	fputs("},\"decode\":[", f);
	first = 1;
	for (int i = 0; i < TRACE_CODECS; i++) {
		const struct decode_counts *c = &s->decode[i];
		if (!c->chunks)
			continue;
		fprintf(f,
			"%s{\"codec\":\"%s\",\"chunks\":%llu,\"in_bytes\":%llu,\"out_bytes\":%llu,\"busy_ns\":%llu,"
			"\"busy_share\":%.4f,\"threads\":%llu,\"hist_us\":",
			first ? "" : ",", codec_name(i), (unsigned long long)c->chunks, (unsigned long long)c->in_bytes,
			(unsigned long long)c->out_bytes, (unsigned long long)c->busy_ns, v->decode_share[i],
			(unsigned long long)c->threads);
		json_hist(f, c->hist);
		fputc('}', f);
		first = 0;
	}
	fputs("],\"bottleneck\":{\"stage\":", f);
	if (v->stage >= 0) {
		fprintf(f, "%d,\"name\":", v->stage);
		json_string(f, stage_label(s, v->stage, name, sizeof name));
	} else {
		fprintf(f, "null,\"name\":\"%s\"", v->stage == -1 ? "input" : v->stage == -3 ? "decode" : "none");
	}
	fprintf(f, ",\"busy_share\":%.4f,\"why\":", v->share);
	json_string(f, v->why);
	fputs("}}\n", f);
}

static void output_begin(void);

static void report(const struct snapshot *s, uint64_t from_ns, uint64_t to_ns, int final)
{
	/* the run's own start and end when we saw them, else our own view */
	int have_run = s->run.start_ns != 0;
	if (final && have_run)
		from_ns = s->run.start_ns;
	if (final && s->run.end_ns)
		to_ns = s->run.end_ns;
	uint64_t wall = to_ns > from_ns ? to_ns - from_ns : 0;
	struct verdict v;
	judge(s, wall, have_run, &v);
	output_begin();
	if (cfg.out_failed)
		return;
	if (cfg.json)
		print_json(cfg.out, s, wall, have_run, final, &v);
	else
		print_text(cfg.out, s, wall, have_run, final, &v);
	/* a full disk, a closed pipe: say so once and write no more */
	errno = 0;
	if (fflush(cfg.out) != 0 || ferror(cfg.out)) {
		cfg.out_failed = errno ? errno : EIO;
		fprintf(stderr, "ringflow-trace: cannot write the report to %s: %s\n", cfg.out_name,
			strerror(cfg.out_failed));
		fflush(stderr);
	}
}

/* ---- attach ---- */

struct probe {
	const char *name;
	struct bpf_program *prog;
};

#define NPROBES 10
static struct bpf_link *links[NPROBES];

static void probes_of(struct trace_bpf *skel, struct probe *out)
{
	struct probe probes[NPROBES] = {
		{ "run__start", skel->progs.run_start },
		{ "run__end", skel->progs.run_end },
		{ "stage__name", skel->progs.stage_name },
		{ "stage__begin", skel->progs.stage_begin },
		{ "stage__end", skel->progs.stage_end },
		{ "queue__wait__end", skel->progs.queue_wait_end },
		{ "io__submit", skel->progs.io_submit },
		{ "io__complete", skel->progs.io_complete },
		{ "decode__chunk", skel->progs.decode_chunk }, /* last two: optional */
		{ "follow__read", skel->progs.follow_read },
	};
	memcpy(out, probes, sizeof probes);
}

static void attach(struct trace_bpf *skel, const char *binary)
{
	struct probe probes[NPROBES];
	probes_of(skel, probes);
	for (size_t i = 0; i < NPROBES; i++) {
		/* every process of the binary; the BPF side keeps the target
		 * and its forked workers, which a per-process attach misses */
		struct bpf_link *l = bpf_program__attach_usdt(probes[i].prog, -1, binary, "ringflow", probes[i].name, NULL);
		links[i] = l;
		if (!l) {
			int e = errno;
			/* a ringflow built before it could decode (or follow) has no
			 * decode__chunk (follow__read) */
			if (e == ENOENT && i >= NPROBES - 2)
				continue;
			if (e == ENOENT)
				die("%s has no ringflow:%s probe: is it ringflow, built with sys/sdt.h "
				    "(systemtap-sdt-dev)?",
				    binary, probes[i].name);
			if (e == EPERM || e == EACCES)
				die("not allowed to attach a uprobe to %s (%s): this needs CAP_SYS_ADMIN", binary,
				    strerror(e));
			die("cannot attach to %s:ringflow:%s: %s", binary, probes[i].name, strerror(e));
		}
	}
}

/* ---- attach, all sites of a probe in one link ----
 *
 * libbpf (1.1 in Debian 12) attaches a USDT probe as one perf uprobe per
 * call site, and each one's teardown waits for RCU grace periods under a
 * global lock: with about 20 sites that was 1.5 s after the command
 * ended.  Since Linux 6.6 one uprobe_multi link takes every site of a
 * program and its teardown waits once.  libbpf 1.1 and the 6.1 headers
 * know nothing of it, so the sites, their argument specs (the layout of
 * libbpf's usdt.bpf.h, which the programs read) and the link come from
 * here; on an older kernel, or a probe form we do not read, the programs
 * are loaded again and attached the old way. */

#define UPROBE_MULTI_ATTACH 48 /* BPF_TRACE_UPROBE_MULTI, include/uapi/linux/bpf.h */

/* union bpf_attr's link_create as Linux 6.6 has it, with uprobe_multi */
struct link_create_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
	__u32 pad;
};

/* usdt.bpf.h's spec, filled here as libbpf's usdt.c fills it */
enum { USDT_ARG_CONST, USDT_ARG_REG, USDT_ARG_REG_DEREF };
#define USDT_MAX_ARGS 12

struct usdt_arg {
	__u64 val_off;
	int type;
	short reg_off;
	_Bool is_signed;
	char bitshift;
};

struct usdt_spec {
	struct usdt_arg args[USDT_MAX_ARGS];
	__u64 cookie;
	short nargs;
};

struct usdt_site {
	char name[48];
	__u64 offset, ref_ctr;
	struct usdt_spec spec;
};

#define MAX_SITES 256 /* BPF_USDT_MAX_SPEC_CNT: one spec per site */

/* offsetof(struct pt_regs, ...) on x86-64, by every name of a register */
static int reg_offset(const char *reg)
{
	static const struct {
		short off;
		const char *names[4];
	} regs[] = {
		{ 0, { "r15", "r15d", "r15w", "r15b" } }, { 8, { "r14", "r14d", "r14w", "r14b" } },
		{ 16, { "r13", "r13d", "r13w", "r13b" } }, { 24, { "r12", "r12d", "r12w", "r12b" } },
		{ 32, { "rbp", "ebp", "bp", "bpl" } }, { 40, { "rbx", "ebx", "bx", "bl" } },
		{ 48, { "r11", "r11d", "r11w", "r11b" } }, { 56, { "r10", "r10d", "r10w", "r10b" } },
		{ 64, { "r9", "r9d", "r9w", "r9b" } }, { 72, { "r8", "r8d", "r8w", "r8b" } },
		{ 80, { "rax", "eax", "ax", "al" } }, { 88, { "rcx", "ecx", "cx", "cl" } },
		{ 96, { "rdx", "edx", "dx", "dl" } }, { 104, { "rsi", "esi", "si", "sil" } },
		{ 112, { "rdi", "edi", "di", "dil" } }, { 128, { "rip", "eip", NULL, NULL } },
		{ 152, { "rsp", "esp", "sp", "spl" } },
	};
	for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
		for (int j = 0; j < 4; j++)
			if (regs[i].names[j] && !strcmp(reg, regs[i].names[j]))
				return regs[i].off;
	return -1;
}

/* "-4@%eax", "8@-16(%rbp)", "8@(%rdi)", "-4@$-9": 0, or -1 for a form
 * left to libbpf (scaled index, segment registers) */
static int parse_usdt_args(const char *text, struct usdt_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	while (*text) {
		char reg[16];
		long long off;
		int size, n = 0;
		while (*text == ' ')
			text++;
		if (!*text)
			break;
		if (spec->nargs == USDT_MAX_ARGS)
			return -1;
		struct usdt_arg *a = &spec->args[spec->nargs++];
		if (sscanf(text, "%d@%%%15[a-z0-9]%n", &size, reg, &n) == 2 && (!text[n] || text[n] == ' ')) {
			a->type = USDT_ARG_REG;
		} else if (sscanf(text, "%d@%lld(%%%15[a-z0-9])%n", &size, &off, reg, &n) == 3 &&
			   (!text[n] || text[n] == ' ')) {
			a->type = USDT_ARG_REG_DEREF;
			a->val_off = (__u64)off;
		} else if (sscanf(text, "%d@(%%%15[a-z0-9])%n", &size, reg, &n) == 2 && (!text[n] || text[n] == ' ')) {
			a->type = USDT_ARG_REG_DEREF;
		} else if (sscanf(text, "%d@$%lld%n", &size, &off, &n) == 2 && (!text[n] || text[n] == ' ')) {
			a->type = USDT_ARG_CONST;
			a->val_off = (__u64)off;
		} else {
			return -1;
		}
		if (a->type != USDT_ARG_CONST && (a->reg_off = (short)reg_offset(reg)) < 0)
			return -1;
		a->is_signed = size < 0;
		size = size < 0 ? -size : size;
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return -1;
		a->bitshift = (char)(64 - size * 8);
		text += n;
	}
	return 0;
}

/* the file offset of a virtual address, from the section that holds it */
static __u64 file_offset(const Elf64_Shdr *sh, int nsh, __u64 addr)
{
	for (int i = 0; i < nsh; i++)
		if (sh[i].sh_type != SHT_NOBITS && (sh[i].sh_flags & SHF_ALLOC) && addr >= sh[i].sh_addr &&
		    addr < sh[i].sh_addr + sh[i].sh_size)
			return addr - sh[i].sh_addr + sh[i].sh_offset;
	return 0;
}

/* The ringflow probes of an ELF file, from its .note.stapsdt: their
 * number, or -1 when the file is not one we can read. */
static int read_usdt_sites(const char *path, struct usdt_site *sites, int max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	const unsigned char *f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return -1;
	size_t size = (size_t)st.st_size;
	const Elf64_Ehdr *eh = (const void *)f;
	const Elf64_Shdr *sh = (const void *)(f + eh->e_shoff);
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_shoff > size || eh->e_shnum > (size - eh->e_shoff) / sizeof *sh || eh->e_shstrndx >= eh->e_shnum) {
		n = -1;
		goto out;
	}
	const Elf64_Shdr *shstr = &sh[eh->e_shstrndx];
	if (shstr->sh_offset > size || shstr->sh_size > size - shstr->sh_offset) {
		n = -1;
		goto out;
	}
	const char *names = (const char *)f + shstr->sh_offset;
	const Elf64_Shdr *notes = NULL;
	__u64 base = 0;
	for (int i = 0; i < eh->e_shnum; i++) {
		/* a name must end inside the table */
		if (sh[i].sh_name >= shstr->sh_size ||
		    !memchr(names + sh[i].sh_name, 0, shstr->sh_size - sh[i].sh_name))
			continue;
		if (!strcmp(names + sh[i].sh_name, ".note.stapsdt") && sh[i].sh_type == SHT_NOTE)
			notes = &sh[i];
		else if (!strcmp(names + sh[i].sh_name, ".stapsdt.base"))
			base = sh[i].sh_addr;
	}
	if (!notes || notes->sh_offset > size || notes->sh_size > size - notes->sh_offset) {
		n = -1;
		goto out;
	}
	for (size_t at = 0; at + sizeof(Elf64_Nhdr) <= notes->sh_size;) {
		const Elf64_Nhdr *nh = (const void *)(f + notes->sh_offset + at);
		const char *owner = (const char *)(nh + 1);
		const char *desc = owner + ((nh->n_namesz + 3) & ~3u);
		at += sizeof *nh + ((nh->n_namesz + 3) & ~3u) + ((nh->n_descsz + 3) & ~3u);
		if (at > notes->sh_size) {
			n = -1;
			goto out;
		}
		if (nh->n_type != 3 || nh->n_namesz != 8 || memcmp(owner, "stapsdt", 8) || nh->n_descsz < 27 ||
		    desc[nh->n_descsz - 1])
			continue;
		__u64 pc, note_base, sema;
		memcpy(&pc, desc, 8);
		memcpy(&note_base, desc + 8, 8);
		memcpy(&sema, desc + 16, 8);
		const char *provider = desc + 24, *name = provider + strlen(provider) + 1;
		const char *args = name + strlen(name) + 1;
		if (name >= desc + nh->n_descsz || args >= desc + nh->n_descsz || strcmp(provider, "ringflow"))
			continue;
		if (n == max || strlen(name) >= sizeof sites[n].name) {
			n = -1;
			goto out;
		}
		/* prelink moves .stapsdt.base: the notes keep where it was */
		if (base && note_base) {
			pc += base - note_base;
			if (sema)
				sema += base - note_base;
		}
		struct usdt_site *s = &sites[n];
		snprintf(s->name, sizeof s->name, "%s", name);
		s->offset = file_offset(sh, eh->e_shnum, pc);
		s->ref_ctr = sema ? file_offset(sh, eh->e_shnum, sema) : 0;
		if (!s->offset || (sema && !s->ref_ctr) || parse_usdt_args(args, &s->spec) < 0) {
			n = -1;
			goto out;
		}
		n++;
	}
out:
	munmap((void *)f, size);
	return n;
}

static int multi_links[NPROBES] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };

/* 0, or the errno: ENOENT for a required probe that is not there, and
 * EINVAL, EOPNOTSUPP or ENOSYS for a kernel without uprobe_multi */
static int attach_multi(struct trace_bpf *skel, const char *binary, struct probe *probes, int nprobes)
{
	static struct usdt_site sites[MAX_SITES];
	int nsites = read_usdt_sites(binary, sites, MAX_SITES);
	if (nsites < 0)
		return EINVAL;
	struct bpf_map *specs = bpf_object__find_map_by_name(skel->obj, "__bpf_usdt_specs");
	if (!specs || bpf_map__value_size(specs) != sizeof(struct usdt_spec))
		return EINVAL;
	for (int i = 0; i < nsites; i++)
		if (bpf_map_update_elem(bpf_map__fd(specs), &i, &sites[i].spec, BPF_ANY) < 0)
			return errno;
	for (int p = 0; p < nprobes; p++) {
		__u64 offsets[MAX_SITES], refs[MAX_SITES], cookies[MAX_SITES];
		__u32 cnt = 0;
		for (int i = 0; i < nsites; i++)
			if (!strcmp(sites[i].name, probes[p].name)) {
				offsets[cnt] = sites[i].offset;
				refs[cnt] = sites[i].ref_ctr;
				cookies[cnt++] = (__u64)i; /* the spec id usdt.bpf.h looks up */
			}
		if (!cnt) {
			if (p >= NPROBES - 2)
				continue;
			return ENOENT;
		}
		struct link_create_attr attr = {
			.prog_fd = (__u32)bpf_program__fd(probes[p].prog),
			.attach_type = UPROBE_MULTI_ATTACH,
			.path = (__u64)(uintptr_t)binary,
			.offsets = (__u64)(uintptr_t)offsets,
			.ref_ctr_offsets = (__u64)(uintptr_t)refs,
			.cookies = (__u64)(uintptr_t)cookies,
			.cnt = cnt,
		};
		int fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof attr);
		if (fd < 0)
			return errno;
		multi_links[p] = fd;
	}
	return 0;
}

static void *close_link(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

/* Each link's teardown waits for grace periods: closed from a thread
 * each, the waits overlap and share them. */
static void detach_multi(void)
{
	pthread_t threads[NPROBES];
	int started[NPROBES] = { 0 };
	for (int i = 0; i < NPROBES; i++)
		if (multi_links[i] >= 0 &&
		    !(started[i] = !pthread_create(&threads[i], NULL, close_link, (void *)(intptr_t)multi_links[i])))
			close(multi_links[i]);
	for (int i = 0; i < NPROBES; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
}

/* -o FILE: opened at once, so that a file we cannot write stops us before
 * anything starts, but emptied only by the first report (a start that
 * fails, or a command that fails before its run, leaves the old report as
 * it was, and no new empty file). */
static void open_output(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd >= 0)
		cfg.out_created = path;
	else if (errno == EEXIST)
		fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || !(cfg.out = fdopen(fd, "w")))
		die("cannot write %s: %s", path, strerror(errno));
	cfg.out_name = path;
}

/* The first report: -o FILE is now ours to replace. */
static void output_begin(void)
{
	static int begun;
	struct stat st;
	int fd = fileno(cfg.out);
	if (begun++)
		return;
	cfg.out_created = NULL;
	if (cfg.out != stdout && cfg.out != stderr && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ftruncate(fd, 0) != 0) {
		cfg.out_failed = errno;
		fprintf(stderr, "ringflow-trace: cannot empty %s: %s\n", cfg.out_name, strerror(errno));
	}
}

static void parse_args(int argc, char **argv, char ***cmd)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "binary", required_argument, NULL, 'b' },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int c;
	/* + : stop at the first word that is not an option, the command */
	while ((c = getopt_long(argc, argv, "+p:b:i:o:vVh", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'p': {
			long p = strtol(optarg, &end, 10);
			if (*end || p <= 0 || p > INT_MAX)
				die("-p wants a process id, not '%s'", optarg);
			cfg.pid = (pid_t)p;
			break;
		}
		case 'b':
			cfg.binary = optarg;
			break;
		case 'i':
			cfg.interval = strtod(optarg, &end);
			if (*end || !(cfg.interval >= 0.01) || cfg.interval > 86400)
				die("-i wants seconds between 0.01 and 86400, not '%s'", optarg);
			break;
		case 'j':
			cfg.json = 1;
			break;
		case 'o':
			output = optarg;
			break;
		case 'v':
			cfg.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			/* libbpf's own run-time version: the one that loads the programs */
			printf("ringflow-trace %s\nfeatures: %s\nlibbpf %u.%u\n", rf_version(), rf_features(),
			       libbpf_major_version(), libbpf_minor_version());
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	*cmd = argv + optind;
	int ncmd = argc - optind;
	if (!!cfg.pid + !!cfg.binary + !!ncmd > 1)
		die("give one of -p PID, -b BINARY or a command to start");
	if (!cfg.pid && !cfg.binary && !ncmd) {
		usage(stderr);
		exit(2);
	}
	cfg.spawned = ncmd > 0;
	cfg.out = cfg.spawned ? stderr : stdout;
	cfg.out_name = cfg.spawned ? "standard error" : "standard output";
	if (output)
		open_output(output);
}

int main(int argc, char **argv)
{
	char **cmd;
	parse_args(argc, argv, &cmd);
	libbpf_set_print(libbpf_print);
	preflight();

	char binary[PATH_MAX];
	int gate = -1;
	if (cfg.spawned) {
		binary_in_path(cmd[0], binary, sizeof binary);
		cfg.pid = spawn(cmd, binary, &gate);
	} else if (cfg.pid) {
		binary_of_pid(cfg.pid, binary, sizeof binary);
	} else {
		if (access(cfg.binary, R_OK) != 0)
			die("cannot read %s: %s", cfg.binary, strerror(errno));
		snprintf(binary, sizeof binary, "%s", cfg.binary);
	}
	/* -b has no process to watch: it runs until a signal */
	int pidfd = -1;
	if (cfg.pid && (pidfd = (int)syscall(SYS_pidfd_open, cfg.pid, 0)) < 0)
		die("cannot watch process %d: %s", (int)cfg.pid, strerror(errno));

	/* RINGFLOW_TRACE_PER_SITE=1: the old way, one uprobe per site (tests) */
	const char *per_site = getenv("RINGFLOW_TRACE_PER_SITE");
	int multi = !(per_site && *per_site && strcmp(per_site, "0"));
	struct trace_bpf *skel;
	for (;;) {
		skel = trace_bpf__open();
		if (!skel)
			die("cannot open the BPF program: %s", strerror(errno));
		skel->rodata->targ_tgid = (__u32)cfg.pid;
		task_offsets((__u32 *)&skel->rodata->real_parent_off, (__u32 *)&skel->rodata->tgid_off);
		struct probe probes[NPROBES];
		probes_of(skel, probes);
		for (int i = 0; multi && i < NPROBES; i++)
			bpf_program__set_expected_attach_type(probes[i].prog, UPROBE_MULTI_ATTACH);
		int err = trace_bpf__load(skel);
		if (err && !multi)
			die("cannot load the BPF program into the kernel: %s", strerror(-err));
		/* before the first probe: a batch whose begin we see began later */
		cfg.attached_ns = now_ns();
		if (!multi) {
			attach(skel, binary);
			if (cfg.verbose)
				fprintf(stderr, "ringflow-trace: attached one uprobe per probe site\n");
			break;
		}
		if (!err && !(err = attach_multi(skel, binary, probes, NPROBES))) {
			if (cfg.verbose)
				fprintf(stderr, "ringflow-trace: attached a uprobe_multi link per probe\n");
			break;
		}
		/* any failure: the old way, which also names what is wrong */
		if (cfg.verbose)
			fprintf(stderr, "ringflow-trace: no uprobe_multi link (%s): one uprobe per probe site\n",
				strerror(err < 0 ? -err : err));
		for (int i = 0; i < NPROBES; i++) {
			if (multi_links[i] >= 0)
				close(multi_links[i]);
			multi_links[i] = -1;
		}
		trace_bpf__destroy(skel);
		multi = 0;
	}

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, NULL);

	if (!cfg.pid) {
		fprintf(stderr, "ringflow-trace: tracing every process of %s; interrupt to end\n", binary);
		fflush(stderr);
	}
	if (gate >= 0) { /* the probes are in: let the command run */
		if (write(gate, "g", 1) != 1)
			die("cannot start %s: %s", cmd[0], strerror(errno));
		close(gate);
	}

	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		die("cannot count the CPUs: %s", strerror(-ncpu));
	void *buf = calloc((size_t)ncpu, sizeof(struct stage_counts));
	struct snapshot *prev = calloc(1, sizeof *prev), *cur = calloc(1, sizeof *cur), *d = calloc(1, sizeof *d);
	if (!buf || !prev || !cur || !d)
		die("out of memory");
	prev->taken_ns = cfg.attached_ns;

	int timeout = cfg.interval > 0 ? (int)(cfg.interval * 1000) : -1;
	uint64_t next = cfg.attached_ns + (uint64_t)(cfg.interval * 1e9);
	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int wait = timeout;
		if (timeout >= 0) {
			uint64_t t = now_ns();
			wait = next > t ? (int)((next - t) / 1000000) : 0;
		}
		int r = poll(&p, 1, wait);
		if (r < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (stop_signal || (r > 0 && (p.revents & (POLLIN | POLLHUP))))
			break;
		if (timeout >= 0 && now_ns() >= next) {
			snap(skel, cur, ncpu, buf);
			delta(d, cur, prev);
			report(d, prev->taken_ns, cur->taken_ns, 0);
			struct snapshot *t = prev;
			prev = cur;
			cur = t;
			next += (uint64_t)(cfg.interval * 1e9);
		}
	}

	int status = 0, ws = 0;
	if (cfg.spawned) {
		if (stop_signal && waitpid(cfg.pid, &ws, WNOHANG) == 0) {
			/* the terminal's ^C reached the command too; give it a moment */
			kill(cfg.pid, SIGINT);
		}
		while (waitpid(cfg.pid, &ws, 0) < 0 && errno == EINTR)
			;
		status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		cfg.exited = 1;
		cfg.status = status;
	}
	snap(skel, cur, ncpu, buf);
	if (cfg.spawned && !cur->run.start_ns) {
		/* it never began a run (a bad query, a missing file, --help):
		 * that is its failure, not a run we attached to mid-way */
		fprintf(stderr, "ringflow-trace: %s %s %d before its run started: nothing to trace\n", cmd[0],
			WIFEXITED(ws) ? "exited with status" : "was killed by signal",
			WIFEXITED(ws) ? status : status - 128);
		if (cfg.out_created) /* and no report in a file that was not there */
			unlink(cfg.out_created);
	} else {
		/* the last, partial interval: the intervals add up to the whole */
		if (cfg.interval > 0) {
			uint64_t to = cur->taken_ns;
			if (cur->run.end_ns > prev->taken_ns && cur->run.end_ns < to)
				to = cur->run.end_ns;
			delta(d, cur, prev);
			report(d, prev->taken_ns, to, 0);
		}
		report(cur, cfg.attached_ns, now_ns(), 1);
	}
	detach_multi();
	for (int i = 0; i < NPROBES; i++)
		bpf_link__destroy(links[i]);
	trace_bpf__destroy(skel);
	free(buf), free(prev), free(cur), free(d);
	close(pidfd);
	if (!cfg.out_failed && cfg.out != stderr && fclose(cfg.out) != 0) {
		cfg.out_failed = errno;
		fprintf(stderr, "ringflow-trace: cannot write the report to %s: %s\n", cfg.out_name,
			strerror(errno));
	}
	/* the report is what we are for: without it, fail */
	return cfg.out_failed ? 2 : status;
}
