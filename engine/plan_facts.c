/* SPDX-License-Identifier: MIT */
/* plan_facts.c - the facts the plan is made of: each named input stat'ed
 * once (and its page-cache residency sampled), the CPUs and memory of the
 * machine.  The choice itself is engine/plan.c's, a pure function. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "run.h"

int rf__usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* MemAvailable from /proc/meminfo in bytes, 0 when it cannot be read:
 * what the page cache may grow into without pushing anything out. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	unsigned long long kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kib << 10;
}

int per_input_header(const rf_query *q)
{
	return q->parse_stage >= 0 && rf__parse_reads_header(&q->stage[q->parse_stage]);
}

/* The plan phase: each named input stat'ed once, the machine's limits
 * read once, and the mode chosen from them by engine/plan.c.  The inputs
 * are kept for multiprocess mode's cut into ranges; the read itself looks
 * at the descriptor it opened (a file may change in between). */
#define PLAN_SNIFF_MIN ((uint64_t)64 << 10)

int plan_run(struct run *run, const char *const *files, int nfiles)
{
	struct rf_plan_input *in = calloc((size_t)nfiles + 1, sizeof *in);
	if (!in)
		return -ENOMEM;
	for (int i = 0; i < nfiles; i++) {
		struct stat st;
		if (strcmp(files[i], "-") == 0)
			in[i].kind = RF_INPUT_STDIN;
		else if (stat(files[i], &st) < 0)
			in[i].kind = RF_INPUT_MISSING;
		else if (S_ISREG(st.st_mode))
			in[i] = (struct rf_plan_input){ .kind = RF_INPUT_REGULAR, .size = (uint64_t)st.st_size };
		else
			in[i].kind = S_ISDIR(st.st_mode) ? RF_INPUT_DIR : RF_INPUT_STREAM;
		/* a byte range: what is read of the file (reader_seq.c checks
		 * it against the file when it reads it) */
		uint64_t from = 0;
		int ranged = run->in && run->in[i].end;
		if (ranged && in[i].kind == RF_INPUT_REGULAR) {
			uint64_t to = run->in[i].end < in[i].size ? run->in[i].end : in[i].size;
			from = run->in[i].start < to ? run->in[i].start : to;
			in[i].size = to - from;
		}
		in[i].name = files[i];
		/* how much of it is in the page cache, once: for auto's choice
		 * of mode, and for the backend when it is read.  A file that
		 * cannot be opened or mapped now is reported when it is read. */
		int sample = in[i].kind == RF_INPUT_REGULAR && rf__plan_wants_sample(run->opt, in[i].size);
		/* and whether it is compressed, for a file big enough to weigh
		 * in the choice (the read looks again at every input) */
		int sniff = in[i].kind == RF_INPUT_REGULAR && !run->opt->decompress_off && in[i].size >= PLAN_SNIFF_MIN;
		if (sample || sniff) {
			int fd = open(files[i], O_RDONLY | O_CLOEXEC);
			int pct = fd >= 0 && sample && !rf__size_lies(fd) ? rf__file_cached_percent(fd, from, from + in[i].size)
									   : -1;
			if (fd >= 0 && sniff && !ranged) /* a range is read as it is */
				in[i].codec = rf__input_codec(&(struct rf_input_desc){ .fd = fd });
			if (fd >= 0)
				close(fd);
			if (pct >= 0)
				in[i].sampled = 1, in[i].cached_pct = pct;
		}
	}
	struct rf_plan_machine m = { .cpus = rf__usable_cpus() };
	struct rlimit as;
	if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
		m.as_limit = as.rlim_cur > 0 ? (uint64_t)as.rlim_cur : 1;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	m.ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
	m.avail = mem_available();
	struct rf_plan_query pq;
	rf__plan_query(run->q, &pq);
	struct rf_plan p;
	rf__plan_mode(run->opt, &pq, in, nfiles, &m, &p);
	for (int i = 0; p.direct && i < nfiles; i++)
		in[i].direct = in[i].sampled;
	run->mode = p.mode;
	run->threads = p.threads;
	snprintf(run->mode_reason, sizeof run->mode_reason, "%s", p.reason);
	if (run->opt->follow) {
		/* a checkpoint needs every line handed out done with: one thread */
		run->mode = RF_MODE_SERIAL;
		run->threads = 1;
		snprintf(run->mode_reason, sizeof run->mode_reason, "follow mode: one thread reads and runs the query%s",
			 run->opt->mode != RF_MODE_AUTO && run->opt->mode != RF_MODE_SERIAL ? " (--mode not followed)" : "");
	}
	run->total_bytes = p.total;
	run->ram = m.avail ? m.avail : m.ram; /* the page cache's room, for the backend */
	run->cpus = m.cpus;
	run->inputs = in;
	return 0;
}
