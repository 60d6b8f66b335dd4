/* numa.h - the machine's NUMA layout, read through libnuma. */
#ifndef RF_NUMA_H
#define RF_NUMA_H

/* Nodes this process may allocate on; 1 when libnuma reports no NUMA
 * support (numa_available() < 0), which is how such machines behave. */
int rf__numa_nodes(void);

#endif
