/* SPDX-License-Identifier: MIT */
/* place.c - where the run's threads go: the options as numa/placement.c
 * takes them, the check of the command line, and the placement of a run. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

void place_options(const struct rf_options *opt, struct rf_place_options *po)
{
	memset(po, 0, sizeof *po);
	po->policy = opt->numa;
	po->node = opt->numa_node;
	for (int i = 0; opt->cpus && i < opt->ncpus && i < RF_NUMA_MAX_CPUS; i++)
		po->cpus[po->ncpus++] = opt->cpus[i];
}

int rf_parse_cpus(const char *list, int *cpus, int max, int *n)
{
	return rf__parse_cpu_list(list, cpus, max, n);
}

/* rf_check_placement on options of this library's size (structsize.c) */
int rf__check_placement(const struct rf_options *opt, char *err, size_t err_len)
{
	struct rf_topology *t = malloc(sizeof *t);
	struct rf_placement *pl = malloc(sizeof *pl);
	struct rf_place_options *po = malloc(sizeof *po);
	int r = -ENOMEM;
	if (t && pl && po) {
		rf__topology_read(t);
		place_options(opt, po);
		r = rf__place(t, RF_PLACE_SPREAD, 1, po, pl, err, err_len);
	}
	free(t);
	free(pl);
	free(po);
	return r;
}

/* Where the run's threads go (numa/placement.c decides); serial and
 * async pin the calling thread here, the modes pin their own threads.
 * --cpus first confines the calling thread to the list, so every thread
 * and worker process it starts inherits it (the reading thread included);
 * rf_run gives the caller its own mask back at the end. */
int place_threads(struct run *run)
{
	int n;
	enum rf_place_shape shape = rf__plan_place_shape(run->mode, run->threads, &n);
	struct rf_topology *t = malloc(sizeof *t);
	struct rf_place_options *po = malloc(sizeof *po);
	int r = -ENOMEM;
	char err[256] = "";
	if (t && po) {
		rf__topology_read(t);
		place_options(run->opt, po);
		r = rf__place(t, shape, n, po, &run->place, err, sizeof err);
		if (r < 0)
			report_error(run, "placement", r, "%s", err);
		else if (po->ncpus && rf__save_cpus(&run->caller_cpus) == 0)
			rf__allow_cpus(po->cpus, po->ncpus);
	}
	free(t);
	free(po);
	if (r == 0 && shape == RF_PLACE_ONE && run->place.pinned && rf__save_cpus(&run->caller_cpus) == 0) {
		rf__pin_thread(run->place.cpu[0]);
		rf__prefer_node(run->place.node[0]);
	}
	return r;
}
