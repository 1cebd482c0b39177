/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_proc.c - the process table and lcore ids.
 *
 * Only the primary writes the process and lcore tables (under the instance
 * lock): for itself at init, for a secondary when its hello arrives over IPC
 * (eal_ipc.c), and to reclaim a secondary that left or died. A secondary
 * therefore cannot leave a half-written entry behind, and an entry exists
 * only while the primary holds a live connection and pidfd for it.
 *
 * lcore ids: a process asks for CPUs; each gets the lcore id equal to its CPU
 * number when that id is free in the instance, else the lowest free id. An
 * unpinned main thread (no -l) gets the lowest free id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_proc.h>

#include "eal_private.h"

#define MAX_EXIT_HOOKS 16

struct exit_hook {
	mpdp_proc_exit_hook_t fn;
	void *arg;
};

static struct exit_hook exit_hooks[MAX_EXIT_HOOKS];
static unsigned int nb_exit_hooks;
static pthread_mutex_t hooks_lock = PTHREAD_MUTEX_INITIALIZER;

static int lcore_pick_locked(int16_t cpu)
{
	struct eal_lcore_shm *t = eal.cfg->lcores;

	if (cpu >= 0 && cpu < MPDP_MAX_LCORES && t[cpu].proc_id < 0)
		return cpu;
	for (int i = 0; i < MPDP_MAX_LCORES; i++)
		if (t[i].proc_id < 0)
			return i;
	return -ENOSPC;
}

static void lcores_release_locked(int proc_id)
{
	for (int i = 0; i < MPDP_MAX_LCORES; i++) {
		if (eal.cfg->lcores[i].proc_id == proc_id) {
			eal.cfg->lcores[i].proc_id = -1;
			eal.cfg->lcores[i].cpu = -1;
		}
	}
}

/*
 * Fill slot proc_id and give it one lcore per requested CPU (nb_cpus == 0:
 * one unpinned lcore). All or nothing.
 */
static int proc_fill_locked(int proc_id, enum mpdp_proc_type type, pid_t pid,
			    uint64_t start_time, const char *comm, const int16_t *cpus,
			    unsigned int nb_cpus, uint16_t *lcores)
{
	struct eal_proc_shm *p = &eal.cfg->procs[proc_id];
	unsigned int n = nb_cpus ? nb_cpus : 1;

	for (unsigned int i = 0; i < n; i++) {
		int16_t cpu = nb_cpus ? cpus[i] : -1;
		int id = lcore_pick_locked(cpu);

		if (id < 0) {
			lcores_release_locked(proc_id);
			return id;
		}
		eal.cfg->lcores[id].proc_id = (int16_t)proc_id;
		eal.cfg->lcores[id].cpu = cpu;
		lcores[i] = (uint16_t)id;
	}
	p->type = (uint32_t)type;
	p->pid = (int32_t)pid;
	p->start_time = start_time;
	p->nb_lcores = n;
	memset(p->name, 0, sizeof(p->name));
	snprintf(p->name, sizeof(p->name), "%s", comm);
	p->state = EAL_PROC_ACTIVE;
	return 0;
}

static void self_comm(char *comm, size_t size)
{
	char buf[32] = { 0 };
	FILE *f = fopen("/proc/self/comm", "re");

	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	snprintf(comm, size, "%s", buf);
}

int eal_proc_register_primary(void)
{
	uint16_t lcores[MPDP_MAX_LCORES];
	char comm[16];
	int rc;

	self_comm(comm, sizeof(comm));
	rc = eal_lock();
	if (rc != 0)
		return rc;
	rc = proc_fill_locked(0, MPDP_PROC_PRIMARY, getpid(), eal.cfg->primary_start_time, comm,
			      eal.opts.cpus, eal.opts.nb_cpus, lcores);
	eal_unlock();
	if (rc != 0)
		return rc;
	eal.proc_id = 0;
	return eal_lcore_start(lcores, eal.opts.cpus, eal.opts.nb_cpus);
}

/* Primary, control thread: a secondary said hello. Returns its proc id. */
int eal_proc_add_secondary(pid_t pid, uint64_t start_time, const char *comm,
			   const int16_t *cpus, unsigned int nb_cpus, uint16_t *lcores)
{
	int rc, slot = -ENOSPC;

	rc = eal_lock();
	if (rc != 0)
		return rc;
	for (int i = 1; i < MPDP_MAX_PROCS; i++) {
		if (eal.cfg->procs[i].state == EAL_PROC_FREE) {
			slot = i;
			break;
		}
	}
	if (slot > 0) {
		rc = proc_fill_locked(slot, MPDP_PROC_SECONDARY, pid, start_time, comm, cpus,
				      nb_cpus, lcores);
		if (rc != 0)
			slot = rc;
	}
	eal_unlock();
	return slot;
}

/*
 * Primary, control thread: process proc_id left or died. Exit hooks run
 * first, while its lcore ids are still reserved, so per-lcore state can be
 * returned before another process may get the same ids.
 */
void eal_proc_reclaim(int proc_id)
{
	struct eal_proc_shm *p;
	uint16_t lcores[MPDP_MAX_LCORES];
	unsigned int n = 0;
	struct exit_hook hooks[MAX_EXIT_HOOKS];
	unsigned int nb_hooks;
	pid_t pid;

	if (proc_id <= 0 || proc_id >= MPDP_MAX_PROCS || eal_lock() != 0)
		return;
	p = &eal.cfg->procs[proc_id];
	if (p->state != EAL_PROC_ACTIVE) {
		eal_unlock();
		return;
	}
	pid = p->pid;
	for (int i = 0; i < MPDP_MAX_LCORES; i++)
		if (eal.cfg->lcores[i].proc_id == proc_id)
			lcores[n++] = (uint16_t)i;
	eal_unlock();

	pthread_mutex_lock(&hooks_lock);
	nb_hooks = nb_exit_hooks;
	memcpy(hooks, exit_hooks, sizeof(hooks[0]) * nb_hooks);
	pthread_mutex_unlock(&hooks_lock);
	for (unsigned int i = 0; i < nb_hooks; i++)
		hooks[i].fn(proc_id, pid, lcores, n, hooks[i].arg);

	if (eal_lock() != 0)
		return;
	lcores_release_locked(proc_id);
	memset(p, 0, sizeof(*p));
	eal_unlock();
	EAL_LOG(INFO, "process %d (pid %d) left; %u lcore(s) released", proc_id, (int)pid, n);
}

int mpdp_proc_walk(mpdp_proc_walk_cb_t cb, void *arg)
{
	struct mpdp_proc_info *infos;
	unsigned int n = 0;
	int rc;

	if (!eal.initialized)
		return -ENODEV;
	infos = malloc(sizeof(*infos) * MPDP_MAX_PROCS);
	if (infos == NULL)
		return -ENOMEM;
	rc = eal_lock();
	if (rc != 0)
		goto out;
	/* copy under the lock, call back without it */
	for (int i = 0; i < MPDP_MAX_PROCS; i++) {
		const struct eal_proc_shm *p = &eal.cfg->procs[i];
		struct mpdp_proc_info *info = &infos[n];

		if (p->state != EAL_PROC_ACTIVE)
			continue;
		info->proc_id = i;
		info->pid = p->pid;
		info->start_time = p->start_time;
		info->type = (enum mpdp_proc_type)p->type;
		memcpy(info->name, p->name, sizeof(info->name));
		info->name[sizeof(info->name) - 1] = '\0';
		info->nb_lcores = 0;
		for (int l = 0; l < MPDP_MAX_LCORES; l++)
			if (eal.cfg->lcores[l].proc_id == i)
				info->lcores[info->nb_lcores++] = (uint16_t)l;
		n++;
	}
	eal_unlock();
	for (unsigned int i = 0; i < n; i++) {
		rc = cb(&infos[i], arg);
		if (rc != 0)
			goto out;
	}
	rc = (int)n;
out:
	free(infos);
	return rc;
}

int mpdp_proc_exit_hook_register(mpdp_proc_exit_hook_t hook, void *arg)
{
	int rc = 0;

	pthread_mutex_lock(&hooks_lock);
	if (nb_exit_hooks == MAX_EXIT_HOOKS)
		rc = -ENOSPC;
	else
		exit_hooks[nb_exit_hooks++] = (struct exit_hook){ hook, arg };
	pthread_mutex_unlock(&hooks_lock);
	return rc;
}
