/* SPDX-License-Identifier: MIT */
/* resident.c - the resident memory of a process, from its /proc statm:
 * what --group-memory is checked against. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "engine.h"

uint64_t rf__resident_bytes(int statm_fd)
{
	char buf[128];
	ssize_t n = pread(statm_fd, buf, sizeof buf - 1, 0);
	unsigned long long size, resident;
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}
