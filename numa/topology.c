/* topology.c - NUMA topology through libnuma. */
#include "config.h"
#include <numa.h>
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
