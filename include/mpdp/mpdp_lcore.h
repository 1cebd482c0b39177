/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_lcore.h - lcores: the threads that run the data path.
 *
 * An lcore is a thread, optionally pinned to one CPU, with an id that is
 * unique across every process of the instance (the ids come from the shared
 * lcore table), so per-lcore state kept in shared memory (mempool caches,
 * statistics) never collides between processes. The main thread is the
 * process's first lcore; -l/--lcores CPU-LIST starts one more pinned worker
 * thread per extra CPU. An lcore id prefers the CPU number it runs on when
 * that id is still free in the instance, so a lone primary numbers its lcores
 * as DPDK would.
 *
 * When a process dies its lcore ids are released by the primary.
 */
#ifndef MPDP_LCORE_H
#define MPDP_LCORE_H

#include <mpdp/mpdp_common.h>

#define MPDP_LCORE_ANY ((unsigned int)-1)

/* Thread-local; set by the runtime for lcore threads only. Read it through mpdp_lcore_id(). */
extern _Thread_local unsigned int mpdp_lcore_id_;

/*
 * lcore id of the calling thread, or MPDP_LCORE_ANY for a non-lcore thread.
 * Inline: the mempool fast path reads it on every call.
 */
static inline unsigned int mpdp_lcore_id(void)
{
	return mpdp_lcore_id_;
}

/* lcore id of this process's main thread. */
unsigned int mpdp_lcore_main(void);

/* Number of lcores of this process (main included). */
unsigned int mpdp_lcore_count(void);

/* CPU the lcore is pinned to, or -1 when not pinned; -EINVAL if not ours. */
int mpdp_lcore_cpu(unsigned int lcore_id);

/*
 * Iterate over this process's worker lcores (main excluded):
 *	for (id = mpdp_lcore_next(-1); id >= 0; id = mpdp_lcore_next(id))
 */
int mpdp_lcore_next(int prev);

/*
 * Run fn(arg) on worker lcore lcore_id. Returns 0, -EINVAL when lcore_id is
 * not a worker of this process, -EBUSY when it is still running a function.
 * Main thread only.
 */
typedef int (*mpdp_lcore_fn_t)(void *arg);
int mpdp_lcore_launch(unsigned int lcore_id, mpdp_lcore_fn_t fn, void *arg);

/*
 * Wait until lcore_id finished its function; returns the function's return
 * value (0 when nothing was launched), or -EINVAL. Main thread only.
 */
int mpdp_lcore_wait(unsigned int lcore_id);

/* Wait for every worker lcore; returns the first non-zero result, else 0. */
int mpdp_lcore_wait_all(void);

#endif /* MPDP_LCORE_H */
