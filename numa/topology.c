/* SPDX-License-Identifier: MIT */
/* topology.c - the machine's NUMA layout and the calls that act on it. */
#include "config.h"
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include "numa.h"

int rf__numa_nodes(void)
{
	if (numa_available() < 0)
		return 1;
	/* numa_num_task_nodes honours the memory policy and cpuset we inherited
	 * (numactl --membind, a container's cpuset.mems). */
	int n = numa_num_task_nodes();
	return n > 0 ? n : 1;
}

static void one_node(struct rf_topology *t)
{
	cpu_set_t set;
	memset(t, 0, sizeof *t);
	t->nnodes = 1;
	t->node_mem[0] = 1;
	t->distance[0][0] = 10;
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		CPU_ZERO(&set);
	for (int c = 0; c < CPU_SETSIZE && t->ncpus[0] < RF_NUMA_MAX_CPUS / 8; c++)
		if (CPU_ISSET(c, &set))
			t->cpu[0][t->ncpus[0]++] = c;
}

/* The machine as libnuma tells it, read once a process: libnuma fills some
 * of its tables (each node's CPUs, the distances) on first use without a
 * lock, so runs started at once from several threads must not be the ones
 * to ask first.  Each node's CPUs are kept whole; a read takes those the
 * calling thread may run on. */
static struct machine {
	int status;                   /* 0, or -ENOSYS: no NUMA support */
	int nnodes;
	int node_id[RF_NUMA_MAX_NODES];
	uint64_t node_mem[RF_NUMA_MAX_NODES];
	cpu_set_t cpus[RF_NUMA_MAX_NODES];
	int distance[RF_NUMA_MAX_NODES][RF_NUMA_MAX_NODES];
} machine;
static pthread_once_t machine_once = PTHREAD_ONCE_INIT;

static void read_machine(void)
{
	struct machine *m = &machine;
	if (numa_available() < 0) {
		m->status = -ENOSYS;
		return;
	}
	struct bitmask *mems = numa_get_mems_allowed();
	struct bitmask *cpus = numa_allocate_cpumask();
	int max = numa_max_node();
	for (int n = 0; cpus && n <= max && m->nnodes < RF_NUMA_MAX_NODES; n++) {
		if (numa_node_to_cpus(n, cpus) < 0)
			continue;
		int i = m->nnodes, ncpus = 0;
		CPU_ZERO(&m->cpus[i]);
		for (unsigned c = 0; c < cpus->size && c < CPU_SETSIZE; c++)
			if (numa_bitmask_isbitset(cpus, c)) {
				CPU_SET(c, &m->cpus[i]);
				ncpus++;
			}
		long long free_b = 0;
		long long size = mems && numa_bitmask_isbitset(mems, (unsigned)n) ? numa_node_size64(n, &free_b) : 0;
		if (ncpus == 0 && size <= 0)
			continue; /* neither CPUs nor memory we may use */
		m->node_id[i] = n;
		m->node_mem[i] = size > 0 ? (uint64_t)size : 0;
		m->nnodes++;
	}
	for (int a = 0; a < m->nnodes; a++)
		for (int b = 0; b < m->nnodes; b++)
			m->distance[a][b] = numa_distance(m->node_id[a], m->node_id[b]);
	if (cpus)
		numa_bitmask_free(cpus);
	if (mems)
		numa_bitmask_free(mems);
}

int rf__topology_read(struct rf_topology *t)
{
	pthread_once(&machine_once, read_machine);
	if (machine.status < 0) {
		one_node(t);
		return -ENOSYS;
	}
	memset(t, 0, sizeof *t);
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
		CPU_ZERO(&allowed);
	int from[RF_NUMA_MAX_NODES]; /* t's node i is the machine's from[i] */
	for (int n = 0; n < machine.nnodes; n++) {
		int i = t->nnodes;
		int k = 0;
		for (int c = 0; c < CPU_SETSIZE && k < RF_NUMA_MAX_CPUS / 8; c++)
			if (CPU_ISSET(c, &machine.cpus[n]) && CPU_ISSET(c, &allowed))
				t->cpu[i][k++] = c;
		if (k == 0 && !machine.node_mem[n])
			continue; /* neither CPUs we may use nor memory: not ours */
		t->node_id[i] = machine.node_id[n];
		t->ncpus[i] = k;
		t->node_mem[i] = machine.node_mem[n];
		from[i] = n;
		t->nnodes++;
	}
	for (int a = 0; a < t->nnodes; a++)
		for (int b = 0; b < t->nnodes; b++)
			t->distance[a][b] = machine.distance[from[a]][from[b]];
	if (t->nnodes == 0) {
		one_node(t);
		return -ENOSYS;
	}
	return 0;
}

int rf__pin_thread(int cpu)
{
	if (cpu < 0)
		return 0;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int r = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	return r ? -r : 0;
}

_Static_assert(sizeof(cpu_set_t) == sizeof(((struct rf_cpu_mask *)0)->bytes), "cpu_set_t size");

int rf__save_cpus(struct rf_cpu_mask *m)
{
	if (m->saved)
		return 0;
	cpu_set_t set;
	int r = pthread_getaffinity_np(pthread_self(), sizeof set, &set);
	if (r)
		return -r;
	memcpy(m->bytes, &set, sizeof set);
	m->saved = 1;
	return 0;
}

int rf__allow_cpus(const int *cpus, int n)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	for (int i = 0; i < n; i++)
		if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE)
			CPU_SET(cpus[i], &set);
	int r = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	return r ? -r : 0;
}

void rf__restore_cpus(struct rf_cpu_mask *m)
{
	if (!m->saved)
		return;
	cpu_set_t set;
	memcpy(&set, m->bytes, sizeof set);
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	m->saved = 0;
}

void rf__prefer_node(int node)
{
	if (node >= 0 && numa_available() >= 0)
		numa_set_preferred(node);
}

int rf__bind_memory(void *p, size_t len, int node)
{
	if (numa_available() < 0)
		return 0;
	struct bitmask *m = numa_allocate_nodemask();
	if (!m)
		return -ENOMEM;
	int mode;
	if (node >= 0) {
		numa_bitmask_setbit(m, (unsigned)node);
		mode = MPOL_BIND;
	} else {
		struct bitmask *all = numa_get_mems_allowed();
		copy_bitmask_to_bitmask(all, m);
		numa_bitmask_free(all);
		mode = MPOL_INTERLEAVE;
	}
	long r = mbind(p, len, mode, m->maskp, m->size + 1, 0);
	numa_bitmask_free(m);
	return r < 0 ? -errno : 0;
}

int rf__node_of(const void *p)
{
	int node = -1;
	if (get_mempolicy(&node, NULL, 0, (void *)p, MPOL_F_NODE | MPOL_F_ADDR) < 0)
		return -1;
	return node;
}
