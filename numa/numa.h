/* SPDX-License-Identifier: MIT */
/* numa.h - NUMA topology, placement policy and node-local memory.
 *
 * The policy (rf__place) is a pure function of a topology, so it is tested
 * on made-up machines; rf__topology_read fills one from libnuma, honouring
 * the CPU set and memory nodes this process inherited (numactl, cpusets).
 */
#ifndef RF_NUMA_H
#define RF_NUMA_H

#include <stddef.h>
#include <stdint.h>
#include "ringflow.h" /* enum rf_numa_mode */

#define RF_NUMA_MAX_NODES 64
#define RF_NUMA_MAX_CPUS 1024
#define RF_PLACE_MAX_THREADS 256

struct rf_topology {
	int nnodes;
	int node_id[RF_NUMA_MAX_NODES];
	uint64_t node_mem[RF_NUMA_MAX_NODES];  /* bytes we may allocate there; 0: none */
	int ncpus[RF_NUMA_MAX_NODES];          /* usable CPUs of the node */
	int cpu[RF_NUMA_MAX_NODES][RF_NUMA_MAX_CPUS / 8];
	int distance[RF_NUMA_MAX_NODES][RF_NUMA_MAX_NODES];
};

enum rf_place_shape {
	RF_PLACE_ONE,      /* serial, async: one thread */
	RF_PLACE_CHAIN,    /* pipeline: stages on one node, neighbours close */
	RF_PLACE_SPREAD,   /* parallel, multiprocess: workers across nodes */
};

struct rf_place_options {
	enum rf_numa_mode policy; /* ringflow.h */
	int node;                 /* RF_NUMA_MODE_NODE: which (a node id) */
	int ncpus;                /* --cpus: only these (0: no restriction) */
	int cpus[RF_NUMA_MAX_CPUS];
};

struct rf_placement {
	int nthreads;
	int cpu[RF_PLACE_MAX_THREADS];     /* -1: not pinned */
	int node[RF_PLACE_MAX_THREADS];    /* where the thread's buffers live; -1: default */
	int interleave;                    /* buffers interleaved over the memory nodes */
	int pinned;
};

/* Read the machine: the CPUs the calling thread may run on, by node
 * (libnuma is asked once a process; any thread may call this at any time).
 * Returns 0, or -ENOSYS when libnuma says there is no NUMA support (then
 * one node with every allowed CPU is filled in). */
int rf__topology_read(struct rf_topology *t);

/* Turn (shape, threads, topology, options) into CPUs and nodes.  Returns 0,
 * or -EINVAL with a message in err for options the topology cannot meet. */
int rf__place(const struct rf_topology *t, enum rf_place_shape shape, int threads,
	      const struct rf_place_options *o, struct rf_placement *out, char *err, size_t err_len);

/* Parse "0-3,6" into a CPU list; -EINVAL if malformed or empty. */
int rf__parse_cpu_list(const char *s, int *cpus, int max, int *n);

/* Pin the calling thread to one CPU; 0 or -errno. */
int rf__pin_thread(int cpu);

/* A thread's CPU mask kept to be put back (a cpu_set_t's bytes). */
struct rf_cpu_mask {
	unsigned char bytes[RF_NUMA_MAX_CPUS / 8];
	int saved;
};
/* Keep the calling thread's CPU mask in m, once (a second call keeps the
 * first); 0 or -errno. */
int rf__save_cpus(struct rf_cpu_mask *m);
/* Let the calling thread, and the threads and processes it starts from
 * now on, run only on cpus[0..n-1]; 0 or -errno. */
int rf__allow_cpus(const int *cpus, int n);
/* Put back the mask rf__save_cpus kept, if it kept one. */
void rf__restore_cpus(struct rf_cpu_mask *m);
/* Prefer allocations of the calling thread on a node (first touch). */
void rf__prefer_node(int node);
/* Bind [p, p+len) to a node, or interleave it over the memory nodes
 * (node < 0), before it is first touched.  0 or -errno. */
int rf__bind_memory(void *p, size_t len, int node);
/* Which node holds the page at p (after it was touched); -1 if unknown. */
int rf__node_of(const void *p);

/* Nodes this process may allocate on; 1 when there is no NUMA support. */
int rf__numa_nodes(void);

#endif
