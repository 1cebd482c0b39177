/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_proc.h - the process table of an instance.
 *
 * The primary owns the table: it adds a secondary when the secondary says
 * hello over IPC and removes it when the kernel reports the secondary's death
 * (pidfd readable or IPC connection hung up) or when it leaves cleanly. Any
 * process can read it.
 *
 * Libraries that keep per-process state in shared memory (mempool caches,
 * queue claims) register an exit hook in the primary, which runs on the
 * primary's control thread after a process left or died, before its lcore
 * ids are reused.
 */
#ifndef MPDP_PROC_H
#define MPDP_PROC_H

#include <stdint.h>

#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_eal.h>

struct mpdp_proc_info {
	int proc_id;                  /* index in the table; 0 = primary */
	int pid;
	uint64_t start_time;          /* clock ticks after boot, /proc/PID/stat */
	enum mpdp_proc_type type;
	char name[16];                /* the process's comm */
	unsigned int nb_lcores;
	uint16_t lcores[MPDP_MAX_LCORES];
};

/*
 * Call cb for every live process, primary first. Stops when cb returns
 * non-zero and returns that value, else the number of processes. -ENODEV
 * before mpdp_init().
 */
typedef int (*mpdp_proc_walk_cb_t)(const struct mpdp_proc_info *info, void *arg);
int mpdp_proc_walk(mpdp_proc_walk_cb_t cb, void *arg);

/*
 * Hook run in the primary when process proc_id left or died, on the control
 * thread. lcore ids lists the lcores that process owned (still reserved while
 * hooks run). Hooks run only in the primary; registering them in a
 * secondary is harmless. At most 16 hooks. Returns 0 or -ENOSPC.
 */
typedef void (*mpdp_proc_exit_hook_t)(int proc_id, int pid, const uint16_t *lcores,
				      unsigned int nb_lcores, void *arg);
int mpdp_proc_exit_hook_register(mpdp_proc_exit_hook_t hook, void *arg);

#endif /* MPDP_PROC_H */
