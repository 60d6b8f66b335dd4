/* SPDX-License-Identifier: MIT */
/* placement.c - where each thread runs and where its buffers live.
 *
 * A pure function of the topology, so the tests can hand it machines we do
 * not have.  The rules: a pipeline's stages share one node (they pass
 * batches to each other, and neighbours share a cache); parallel and
 * multiprocess workers spread over the nodes round robin, each with its
 * buffers on its own node; a single thread takes the node with the most
 * usable CPUs.  CPU-less nodes get no threads, memory-less nodes no
 * buffers (the nearest node with memory holds them).  With one node
 * there is nothing to gain: auto pins nothing, so it costs nothing.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "numa.h"

static int index_of_node(const struct rf_topology *t, int id)
{
	for (int i = 0; i < t->nnodes; i++)
		if (t->node_id[i] == id)
			return i;
	return -1;
}

/* The nearest node (by distance) that has memory, for buffers. */
static int memory_node(const struct rf_topology *t, int i)
{
	if (t->node_mem[i])
		return t->node_id[i];
	int best = -1;
	for (int j = 0; j < t->nnodes; j++)
		if (t->node_mem[j] && (best < 0 || t->distance[i][j] < t->distance[i][best]))
			best = j;
	return best < 0 ? -1 : t->node_id[best];
}

int rf__parse_cpu_list(const char *s, int *cpus, int max, int *n)
{
	*n = 0;
	while (*s) {
		char *end;
		/* digits only: strtol would take " 1", "+1" and "-1" too */
		if (*s < '0' || *s > '9')
			return -EINVAL;
		long a = strtol(s, &end, 10), b;
		if (end == s || a < 0 || a > 65535)
			return -EINVAL;
		b = a;
		s = end;
		if (*s == '-') {
			if (s[1] < '0' || s[1] > '9')
				return -EINVAL;
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b > 65535)
				return -EINVAL;
			s = end;
		}
		for (long c = a; c <= b; c++) {
			if (*n == max)
				return -EINVAL;
			cpus[(*n)++] = (int)c;
		}
		if (*s == ',' && s[1])
			s++;
		else if (*s)
			return -EINVAL; /* junk, or a trailing comma */
	}
	return *n ? 0 : -EINVAL;
}

static int allowed(const struct rf_place_options *o, int cpu)
{
	if (!o->ncpus)
		return 1;
	for (int i = 0; i < o->ncpus; i++)
		if (o->cpus[i] == cpu)
			return 1;
	return 0;
}

int rf__place(const struct rf_topology *t, enum rf_place_shape shape, int threads,
	      const struct rf_place_options *o, struct rf_placement *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof *out);
	if (threads < 1)
		threads = 1;
	if (threads > RF_PLACE_MAX_THREADS)
		threads = RF_PLACE_MAX_THREADS;
	out->nthreads = threads;
	for (int i = 0; i < threads; i++)
		out->cpu[i] = out->node[i] = -1;

	/* --cpus must name CPUs we may run on */
	for (int i = 0; i < o->ncpus; i++) {
		int found = 0;
		for (int n = 0; n < t->nnodes && !found; n++)
			for (int c = 0; c < t->ncpus[n] && !found; c++)
				found = t->cpu[n][c] == o->cpus[i];
		if (!found) {
			snprintf(err, err_len, "--cpus: CPU %d is not one this process may run on", o->cpus[i]);
			return -EINVAL;
		}
	}
	/* usable CPUs per node, after --cpus */
	int cpus[RF_NUMA_MAX_NODES][RF_NUMA_MAX_CPUS / 8], ncpus[RF_NUMA_MAX_NODES], total = 0;
	for (int n = 0; n < t->nnodes; n++) {
		ncpus[n] = 0;
		for (int c = 0; c < t->ncpus[n]; c++)
			if (allowed(o, t->cpu[n][c]))
				cpus[n][ncpus[n]++] = t->cpu[n][c];
		total += ncpus[n];
	}
	if (total == 0) {
		snprintf(err, err_len, "no CPU left to run on");
		return -EINVAL;
	}

	if (o->policy == RF_NUMA_MODE_NODE) {
		int n = index_of_node(t, o->node);
		if (n < 0) {
			snprintf(err, err_len, "--numa=node:%d: no such node here (%d node%s)", o->node, t->nnodes,
				 t->nnodes == 1 ? "" : "s");
			return -EINVAL;
		}
		if (ncpus[n] == 0) {
			snprintf(err, err_len, "--numa=node:%d: the node has no CPU this process may use", o->node);
			return -EINVAL;
		}
		for (int i = 0; i < threads; i++) {
			out->cpu[i] = cpus[n][i % ncpus[n]];
			out->node[i] = memory_node(t, n);
		}
		out->pinned = 1;
		return 0;
	}
	if (o->policy == RF_NUMA_MODE_OFF)
		return 0;
	if (o->policy == RF_NUMA_MODE_INTERLEAVE) {
		out->interleave = 1;
		return 0;
	}
	/* auto: one node (or --cpus alone) - pin only if --cpus asked for it */
	int with_cpus = 0;
	for (int n = 0; n < t->nnodes; n++)
		with_cpus += ncpus[n] > 0;
	if (with_cpus <= 1 && !o->ncpus)
		return 0;

	/* the node with the most usable CPUs, ties to the lower id */
	int best = -1;
	for (int n = 0; n < t->nnodes; n++)
		if (ncpus[n] && (best < 0 || ncpus[n] > ncpus[best]))
			best = n;
	out->pinned = 1;
	if (shape == RF_PLACE_SPREAD && with_cpus > 1) {
		int used[RF_NUMA_MAX_NODES] = { 0 };
		int n = -1;
		for (int i = 0; i < threads; i++) {
			/* next node that has CPUs, round robin */
			do
				n = (n + 1) % t->nnodes;
			while (!ncpus[n]);
			out->cpu[i] = cpus[n][used[n]++ % ncpus[n]];
			out->node[i] = memory_node(t, n);
		}
		return 0;
	}
	/* one thread, or a chain: fill the best node with consecutive CPUs, and
	 * only spill to the next nearest nodes when it runs out */
	int order[RF_NUMA_MAX_NODES], norder = 0;
	order[norder++] = best;
	for (int k = 0; k < t->nnodes; k++) {
		int next = -1;
		for (int n = 0; n < t->nnodes; n++) {
			int seen = 0;
			for (int j = 0; j < norder; j++)
				seen |= order[j] == n;
			if (!seen && ncpus[n] && (next < 0 || t->distance[best][n] < t->distance[best][next]))
				next = n;
		}
		if (next >= 0)
			order[norder++] = next;
	}
	int slot = 0, nodes_total = 0;
	for (int j = 0; j < norder; j++)
		nodes_total += ncpus[order[j]];
	for (int i = 0; i < threads; i++) {
		int k = slot++ % nodes_total, j = 0;
		while (k >= ncpus[order[j]]) {
			k -= ncpus[order[j]];
			j++;
		}
		out->cpu[i] = cpus[order[j]][k];
		out->node[i] = memory_node(t, order[j]);
	}
	return 0;
}
