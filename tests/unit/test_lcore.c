/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lcore.c - lcores of a primary started with -l 0-1: ids, iteration,
 * pinning, launch and wait, the errors of each, and what a thread that is
 * not an lcore sees. Skipped (77) when CPUs 0 and 1 are not both available.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit_util.h"

struct probe {
	unsigned int lcore;
	int cpu;
	int nb_allowed;
	char thread_name[16];
	int ret;
};

static int probe_fn(void *arg)
{
	struct probe *p = arg;
	cpu_set_t set;

	p->lcore = mpdp_lcore_id();
	p->cpu = sched_getcpu();
	p->nb_allowed = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : -1;
	pthread_getname_np(pthread_self(), p->thread_name, sizeof(p->thread_name));
	return p->ret;
}

static _Atomic int gate_open;
static _Atomic int gate_entered;

static int gated_fn(void *arg)
{
	atomic_store(&gate_entered, 1);
	while (!atomic_load(&gate_open))
		sched_yield();
	return (int)(intptr_t)arg;
}

static void *plain_thread(void *arg)
{
	*(unsigned int *)arg = mpdp_lcore_id();
	return NULL;
}

static void test_not_started(void)
{
	CHECK_EQ(mpdp_lcore_id(), MPDP_LCORE_ANY);
	CHECK_EQ(mpdp_lcore_main(), MPDP_LCORE_ANY);
	CHECK_EQ(mpdp_lcore_count(), 0);
	CHECK_EQ(mpdp_lcore_next(-1), -1);
	CHECK_EQ(mpdp_lcore_launch(1, probe_fn, NULL), -EINVAL);
	CHECK_EQ(mpdp_lcore_wait(1), -EINVAL);
	CHECK_EQ(mpdp_lcore_wait_all(), 0);
	CHECK_EQ(mpdp_lcore_cpu(0), -EINVAL);
}

static void test_two_lcores(void)
{
	struct probe p;
	pthread_t t;
	unsigned int plain = 0;
	int id, n = 0;

	/* ids: a lone primary gets lcore id = CPU number */
	CHECK_EQ(mpdp_lcore_main(), 0);
	CHECK_EQ(mpdp_lcore_id(), 0);
	CHECK_EQ(mpdp_lcore_count(), 2);
	CHECK_EQ(mpdp_lcore_cpu(0), 0);
	CHECK_EQ(mpdp_lcore_cpu(1), 1);
	CHECK_EQ(mpdp_lcore_cpu(2), -EINVAL);
	CHECK_EQ(mpdp_lcore_cpu(MPDP_LCORE_ANY), -EINVAL);
	CHECK_EQ(sched_getcpu(), 0); /* the main thread is pinned too */

	/* workers only, main excluded */
	for (id = mpdp_lcore_next(-1); id >= 0; id = mpdp_lcore_next(id)) {
		CHECK_EQ(id, 1);
		if (++n > 4)
			break;
	}
	CHECK_EQ(n, 1);
	CHECK_EQ(mpdp_lcore_next(1), -1);
	CHECK_EQ(mpdp_lcore_next(77), -1); /* not one of ours: the end */

	/* launch: runs on the worker, pinned to cpu 1, with its lcore id */
	memset(&p, 0, sizeof(p));
	p.ret = 42;
	CHECK_EQ(mpdp_lcore_launch(1, probe_fn, &p), 0);
	CHECK_EQ(mpdp_lcore_wait(1), 42);
	CHECK_EQ(p.lcore, 1);
	CHECK_EQ(p.cpu, 1);
	CHECK_EQ(p.nb_allowed, 1);
	CHECK(strcmp(p.thread_name, "mpdp-lcore-1") == 0);
	/* the result is consumed: waiting again reports nothing launched */
	CHECK_EQ(mpdp_lcore_wait(1), 0);

	/* negative results come back unchanged */
	p.ret = -EIO;
	CHECK_EQ(mpdp_lcore_launch(1, probe_fn, &p), 0);
	CHECK_EQ(mpdp_lcore_wait(1), -EIO);

	/* busy while running */
	atomic_store(&gate_open, 0);
	atomic_store(&gate_entered, 0);
	CHECK_EQ(mpdp_lcore_launch(1, gated_fn, (void *)(intptr_t)7), 0);
	CHECK_EQ(mpdp_lcore_launch(1, probe_fn, &p), -EBUSY); /* possibly not entered yet */
	while (!atomic_load(&gate_entered))
		sched_yield();
	CHECK_EQ(mpdp_lcore_launch(1, probe_fn, &p), -EBUSY);
	atomic_store(&gate_open, 1);
	CHECK_EQ(mpdp_lcore_wait(1), 7);

	/* wait_all: the first non-zero result, then 0 */
	CHECK_EQ(mpdp_lcore_wait_all(), 0);
	atomic_store(&gate_open, 1);
	CHECK_EQ(mpdp_lcore_launch(1, gated_fn, (void *)(intptr_t)9), 0);
	CHECK_EQ(mpdp_lcore_wait_all(), 9);
	CHECK_EQ(mpdp_lcore_wait_all(), 0);
	CHECK_EQ(mpdp_lcore_launch(1, gated_fn, (void *)(intptr_t)0), 0);
	CHECK_EQ(mpdp_lcore_wait_all(), 0);

	/* invalid lcores: main, unknown, out of range, no function */
	CHECK_EQ(mpdp_lcore_launch(0, probe_fn, &p), -EINVAL);
	CHECK_EQ(mpdp_lcore_launch(2, probe_fn, &p), -EINVAL);
	CHECK_EQ(mpdp_lcore_launch(MPDP_MAX_LCORES + 5, probe_fn, &p), -EINVAL);
	CHECK_EQ(mpdp_lcore_launch(MPDP_LCORE_ANY, probe_fn, &p), -EINVAL);
	CHECK_EQ(mpdp_lcore_launch(1, NULL, &p), -EINVAL);
	CHECK_EQ(mpdp_lcore_wait(0), -EINVAL);
	CHECK_EQ(mpdp_lcore_wait(2), -EINVAL);
	CHECK_EQ(mpdp_lcore_wait(MPDP_LCORE_ANY), -EINVAL);

	/* a thread the runtime did not start is no lcore */
	CHECK_EQ(pthread_create(&t, NULL, plain_thread, &plain), 0);
	pthread_join(t, NULL);
	CHECK_EQ(plain, MPDP_LCORE_ANY);
}

static int proc_cb(const struct mpdp_proc_info *info, void *arg)
{
	*(struct mpdp_proc_info *)arg = *info;
	return 1;
}

static void test_proc_table(void)
{
	struct mpdp_proc_info info;

	memset(&info, 0, sizeof(info));
	CHECK_EQ(mpdp_proc_walk(proc_cb, &info), 1);
	CHECK_EQ(info.proc_id, 0);
	CHECK_EQ(info.pid, getpid());
	CHECK_EQ(info.nb_lcores, 2);
	CHECK_EQ(info.lcores[0], 0);
	CHECK_EQ(info.lcores[1], 1);
}

/* tid of this process's thread named name, or -1 */
static pid_t find_thread(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid = -1;

	while (d != NULL && tid < 0 && (e = readdir(d)) != NULL) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		if (strcmp(comm, name) == 0)
			tid = (pid_t)atoi(e->d_name);
	}
	if (d != NULL)
		closedir(d);
	return tid;
}

/*
 * The control thread runs where the process could run before -l, not on the
 * main lcore's CPU only (the main thread may busy-poll there).
 */
static void test_ctrl_thread_not_pinned(const cpu_set_t *before)
{
	struct timespec ts = { 0, 1000 * 1000 };
	cpu_set_t set;
	pid_t tid = -1;

	/* the thread names itself when it starts: give it a moment */
	for (int i = 0; i < 1000 && tid < 0; i++) {
		tid = find_thread("mpdp-ctrl");
		if (tid < 0)
			nanosleep(&ts, NULL);
	}
	CHECK(tid > 0);
	if (tid <= 0)
		return;
	CHECK_EQ(sched_getaffinity(tid, sizeof(set), &set), 0);
	CHECK(CPU_EQUAL(&set, before));
}

/* A launched function still running at cleanup is waited for, not cut off. */
static _Atomic int slow_done;

static int slow_fn(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	(void)arg;
	nanosleep(&ts, NULL);
	atomic_store(&slow_done, 1);
	return 0;
}

int main(void)
{
	cpu_set_t before, after;
	int n;

	if (sched_getaffinity(0, sizeof(before), &before) != 0 || !CPU_ISSET(0, &before) ||
	    !CPU_ISSET(1, &before))
		unit_skip("needs CPUs 0 and 1");
	unit_rt_setup("lcore");
	test_not_started();

	n = unit_init("--no-huge", "--mem", "2M", "-l", "0-1", NULL);
	REQUIRE(n > 0);
	test_two_lcores();
	test_proc_table();
	test_ctrl_thread_not_pinned(&before);
	CHECK_EQ(mpdp_lcore_launch(1, slow_fn, NULL), 0);
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_EQ(atomic_load(&slow_done), 1);
	CHECK_RT_EMPTY();
	test_not_started();

	/* cleanup gives the main thread its CPUs back: init again with -l 0-1 works */
	CHECK_EQ(sched_getaffinity(0, sizeof(after), &after), 0);
	CHECK(CPU_EQUAL(&before, &after));

	/* the main lcore alone, on cpu 1: no workers */
	n = unit_init("--no-huge", "--mem", "2M", "--lcores", "1", NULL);
	CHECK(n > 0);
	if (n > 0) {
		CHECK_EQ(mpdp_lcore_main(), 1);
		CHECK_EQ(mpdp_lcore_id(), 1);
		CHECK_EQ(mpdp_lcore_count(), 1);
		CHECK_EQ(mpdp_lcore_next(-1), -1);
		CHECK_EQ(mpdp_lcore_cpu(1), 1);
		CHECK_EQ(sched_getcpu(), 1);
		CHECK_EQ(mpdp_lcore_launch(1, probe_fn, NULL), -EINVAL);
		CHECK_EQ(mpdp_cleanup(), 0);
	}

	/* no -l: one unpinned main lcore with the lowest free id */
	n = unit_init("--no-huge", "--mem", "2M", NULL);
	CHECK(n > 0);
	if (n > 0) {
		CHECK_EQ(mpdp_lcore_main(), 0);
		CHECK_EQ(mpdp_lcore_id(), 0);
		CHECK_EQ(mpdp_lcore_count(), 1);
		CHECK_EQ(mpdp_lcore_cpu(0), -1);
		CHECK_EQ(sched_getaffinity(0, sizeof(after), &after), 0);
		CHECK(CPU_EQUAL(&before, &after));
		CHECK_EQ(mpdp_cleanup(), 0);
	}

	/* and -l 0-1 again, now that the main thread is free again */
	n = unit_init("--no-huge", "--mem", "2M", "-l", "0-1", NULL);
	CHECK(n > 0);
	if (n > 0) {
		CHECK_EQ(mpdp_lcore_count(), 2);
		CHECK_EQ(mpdp_cleanup(), 0);
	}
	CHECK_RT_EMPTY();
	unit_exit();
}
