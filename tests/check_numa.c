/* SPDX-License-Identifier: MIT */
/* check_numa.c - the placement policy on made-up machines, and on this one:
 * pinning takes effect, memory lands on the node asked for, and rf_run
 * gives its caller its CPU mask back after --cpus. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "helpers.h"
#include "numa.h"
#include "ringflow.h"

/* nodes[i] = number of CPUs (numbered on from the previous node's), mem[i] */
static void make_topology(struct rf_topology *t, int n, const int *cpus_per_node, const int *has_mem)
{
	memset(t, 0, sizeof *t);
	t->nnodes = n;
	int cpu = 0;
	for (int i = 0; i < n; i++) {
		t->node_id[i] = i;
		t->node_mem[i] = has_mem[i] ? (uint64_t)1 << 34 : 0;
		t->ncpus[i] = cpus_per_node[i];
		for (int c = 0; c < cpus_per_node[i]; c++)
			t->cpu[i][c] = cpu++;
		for (int j = 0; j < n; j++)
			t->distance[i][j] = i == j ? 10 : 20 + 10 * (i > j ? i - j : j - i);
	}
}

static int node_of_cpu(const struct rf_topology *t, int cpu)
{
	for (int i = 0; i < t->nnodes; i++)
		for (int c = 0; c < t->ncpus[i]; c++)
			if (t->cpu[i][c] == cpu)
				return t->node_id[i];
	return -1;
}

static struct rf_place_options autoopt;
static char err[256];

START_TEST(test_one_node_pins_nothing)
{
	struct rf_topology t;
	struct rf_placement p;
	make_topology(&t, 1, (int[]){ 2 }, (int[]){ 1 });
	for (int shape = 0; shape < 3; shape++) {
		ck_assert_int_eq(rf__place(&t, (enum rf_place_shape)shape, 4, &autoopt, &p, err, sizeof err), 0);
		ck_assert_int_eq(p.pinned, 0);
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(p.cpu[i], -1);
	}
}
END_TEST

START_TEST(test_two_nodes_spread_and_chain)
{
	struct rf_topology t;
	struct rf_placement p;
	make_topology(&t, 2, (int[]){ 4, 4 }, (int[]){ 1, 1 });
	/* workers alternate nodes, buffers on their own node, no CPU twice */
	ck_assert_int_eq(rf__place(&t, RF_PLACE_SPREAD, 4, &autoopt, &p, err, sizeof err), 0);
	int seen[8] = { 0 };
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(node_of_cpu(&t, p.cpu[i]), i % 2);
		ck_assert_int_eq(p.node[i], i % 2);
		ck_assert_int_eq(seen[p.cpu[i]]++, 0);
	}
	/* a pipeline stays on one node, on neighbouring CPUs */
	ck_assert_int_eq(rf__place(&t, RF_PLACE_CHAIN, 3, &autoopt, &p, err, sizeof err), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(node_of_cpu(&t, p.cpu[i]), node_of_cpu(&t, p.cpu[0]));
		ck_assert_int_eq(p.cpu[i], p.cpu[0] + i);
		ck_assert_int_eq(p.node[i], node_of_cpu(&t, p.cpu[0]));
	}
	/* a chain longer than a node spills to the nearest node */
	ck_assert_int_eq(rf__place(&t, RF_PLACE_CHAIN, 6, &autoopt, &p, err, sizeof err), 0);
	ck_assert_int_eq(node_of_cpu(&t, p.cpu[3]), node_of_cpu(&t, p.cpu[0]));
	ck_assert_int_ne(node_of_cpu(&t, p.cpu[4]), node_of_cpu(&t, p.cpu[0]));
}
END_TEST

START_TEST(test_four_nodes_more_threads_than_cpus)
{
	struct rf_topology t;
	struct rf_placement p;
	make_topology(&t, 4, (int[]){ 2, 2, 2, 2 }, (int[]){ 1, 1, 1, 1 });
	ck_assert_int_eq(rf__place(&t, RF_PLACE_SPREAD, 12, &autoopt, &p, err, sizeof err), 0);
	int per_node[4] = { 0 };
	for (int i = 0; i < 12; i++) {
		ck_assert_int_ge(p.cpu[i], 0);
		per_node[node_of_cpu(&t, p.cpu[i])]++;
		ck_assert_int_eq(p.node[i], node_of_cpu(&t, p.cpu[i]));
	}
	for (int n = 0; n < 4; n++)
		ck_assert_int_eq(per_node[n], 3); /* evenly, CPUs reused */
}
END_TEST

START_TEST(test_cpuless_and_memoryless_nodes)
{
	struct rf_topology t;
	struct rf_placement p;
	/* node 1 has memory but no CPUs; node 2 has CPUs but no memory */
	make_topology(&t, 3, (int[]){ 2, 0, 2 }, (int[]){ 1, 1, 0 });
	ck_assert_int_eq(rf__place(&t, RF_PLACE_SPREAD, 4, &autoopt, &p, err, sizeof err), 0);
	for (int i = 0; i < 4; i++) {
		int n = node_of_cpu(&t, p.cpu[i]);
		ck_assert_int_ne(n, 1);                 /* no threads on the CPU-less node */
		ck_assert_int_ne(p.node[i], 2);         /* no buffers on the memory-less one */
		if (n == 2)
			ck_assert_int_eq(p.node[i], 1); /* its nearest node with memory */
	}
	struct rf_place_options o = autoopt;
	o.policy = RF_NUMA_MODE_NODE;
	o.node = 1;
	ck_assert_int_eq(rf__place(&t, RF_PLACE_ONE, 1, &o, &p, err, sizeof err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no CPU"));
	o.node = 9;
	ck_assert_int_eq(rf__place(&t, RF_PLACE_ONE, 1, &o, &p, err, sizeof err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no such node"));
	o.node = 2;
	ck_assert_int_eq(rf__place(&t, RF_PLACE_SPREAD, 3, &o, &p, err, sizeof err), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(node_of_cpu(&t, p.cpu[i]), 2);
		ck_assert_int_eq(p.node[i], 1);
	}
}
END_TEST

START_TEST(test_restricted_cpus)
{
	/* a cpuset or --cpus: offline or forbidden CPUs are simply absent */
	struct rf_topology t;
	struct rf_placement p;
	make_topology(&t, 2, (int[]){ 4, 4 }, (int[]){ 1, 1 });
	struct rf_place_options o = autoopt;
	o.ncpus = 2;
	o.cpus[0] = 5;
	o.cpus[1] = 6;
	ck_assert_int_eq(rf__place(&t, RF_PLACE_SPREAD, 4, &o, &p, err, sizeof err), 0);
	for (int i = 0; i < 4; i++)
		ck_assert(p.cpu[i] == 5 || p.cpu[i] == 6);
	o.cpus[1] = 42;
	ck_assert_int_eq(rf__place(&t, RF_PLACE_SPREAD, 4, &o, &p, err, sizeof err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "CPU 42"));
	int cpus[16], n;
	ck_assert_int_eq(rf__parse_cpu_list("0-2,5", cpus, 16, &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(cpus[3], 5);
	ck_assert_int_eq(rf__parse_cpu_list("", cpus, 16, &n), -EINVAL);
	ck_assert_int_eq(rf__parse_cpu_list("3-1", cpus, 16, &n), -EINVAL);
	ck_assert_int_eq(rf__parse_cpu_list("1,x", cpus, 16, &n), -EINVAL);
	/* off and interleave pin nothing */
	o = autoopt;
	o.policy = RF_NUMA_MODE_INTERLEAVE;
	ck_assert_int_eq(rf__place(&t, RF_PLACE_SPREAD, 4, &o, &p, err, sizeof err), 0);
	ck_assert_int_eq(p.interleave, 1);
	ck_assert_int_eq(p.pinned, 0);
}
END_TEST

/* ---- on this machine ---- */

static void *where_am_i(void *arg)
{
	int cpu = *(int *)arg;
	*(int *)arg = rf__pin_thread(cpu) == 0 ? sched_getcpu() : -2;
	return NULL;
}

START_TEST(test_pinning_takes_effect)
{
	struct rf_topology t;
	rf__topology_read(&t);
	ck_assert_int_ge(t.nnodes, 1);
	for (int n = 0; n < t.nnodes; n++)
		for (int c = 0; c < t.ncpus[n]; c++) {
			int got = t.cpu[n][c];
			pthread_t th;
			ck_assert_int_eq(pthread_create(&th, NULL, where_am_i, &got), 0);
			pthread_join(th, NULL);
			ck_assert_int_eq(got, t.cpu[n][c]);
		}
}
END_TEST

START_TEST(test_memory_on_its_node)
{
	struct rf_topology t;
	if (rf__topology_read(&t) == -ENOSYS)
		return; /* no NUMA support in this kernel: nothing to check */
	size_t len = 4 << 20;
	for (int n = 0; n < t.nnodes; n++) {
		if (!t.node_mem[n])
			continue;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ck_assert_ptr_ne(p, MAP_FAILED);
		ck_assert_int_eq(rf__bind_memory(p, len, t.node_id[n]), 0);
		memset(p, 1, len); /* first touch */
		ck_assert_int_eq(rf__node_of(p), t.node_id[n]);
		ck_assert_int_eq(rf__node_of(p + len - 1), t.node_id[n]);
		munmap(p, len);
	}
}
END_TEST

/* rf_run with --cpus in every mode: the calling thread has its own CPU
 * mask back afterwards (tests/cpus.sh checks the threads while it runs) */
START_TEST(test_run_restores_caller_cpus)
{
	cpu_set_t before, after;
	ck_assert_int_eq(pthread_getaffinity_np(pthread_self(), sizeof before, &before), 0);
	int cpu = -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &before))
			cpu = c; /* the last one we may use */
	ck_assert_int_ge(cpu, 0);
	char path[] = "/tmp/check_numa.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 20000; i++)
		dprintf(fd, "GET /%d\n", i);
	close(fd);
	const char *files[] = { path };
	enum rf_mode modes[] = { RF_MODE_SERIAL, RF_MODE_PARALLEL, RF_MODE_PIPELINE, RF_MODE_MULTIPROCESS,
				 RF_MODE_ASYNC };
	for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
		rf_query *q;
		struct rf_query_error qerr;
		ck_assert_int_eq(rf_query_parse("count", &q, &qerr), 0);
		struct rf_options opt;
		rf_options_init(&opt);
		opt.mode = modes[m];
		opt.threads = 2;
		opt.cpus = &cpu;
		opt.ncpus = 1;
		opt.out_fd = open("/dev/null", O_WRONLY);
		ck_assert_int_eq(rf_run(q, files, 1, &opt, NULL), 0);
		close(opt.out_fd);
		rf_query_free(q);
		ck_assert_int_eq(pthread_getaffinity_np(pthread_self(), sizeof after, &after), 0);
		ck_assert_msg(CPU_EQUAL(&before, &after), "mode %s: the caller's CPU mask was not put back",
			      rf_mode_name(modes[m]));
	}
	unlink(path);
}
END_TEST

int main(void)
{
	autoopt.policy = RF_NUMA_MODE_AUTO;
	Suite *s = suite_create("numa");
	TCase *tc = tcase_create("placement");
	tcase_add_test(tc, test_one_node_pins_nothing);
	tcase_add_test(tc, test_two_nodes_spread_and_chain);
	tcase_add_test(tc, test_four_nodes_more_threads_than_cpus);
	tcase_add_test(tc, test_cpuless_and_memoryless_nodes);
	tcase_add_test(tc, test_restricted_cpus);
	suite_add_tcase(s, tc);
	TCase *real = tcase_create("this machine");
	tcase_add_test(real, test_pinning_takes_effect);
	tcase_add_test(real, test_memory_on_its_node);
	tcase_add_test(real, test_run_restores_caller_cpus);
	suite_add_tcase(s, real);
	return run_suite(s);
}
