/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_memzone.h - named, aligned allocations in the shared heap.
 *
 * A memzone is the unit every shared object (ring, pool, port table) lives in.
 * Any process of the instance, primary or secondary, may reserve, look up,
 * walk and free memzones; the table is protected by the instance's robust
 * process-shared lock, so a process killed while holding it does not hang the
 * others (the next locker repairs the table, see docs/design/runtime.md).
 *
 * Results are returned by value in a process-local struct mpdp_memzone: its
 * addr is valid in the calling process only, its offset in every process.
 */
#ifndef MPDP_MEMZONE_H
#define MPDP_MEMZONE_H

#include <stddef.h>
#include <stdint.h>

#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_shm.h>

/* Most memzones an instance can hold at once. */
#define MPDP_MAX_MEMZONES 1024

struct mpdp_memzone {
	char name[MPDP_NAME_SIZE];
	void *addr;            /* in this process */
	mpdp_shm_off_t offset; /* in every process */
	size_t len;
	int owner_pid;         /* process that reserved it (informational) */
};

/*
 * Reserve len bytes aligned to align (a power of two, 0 means cache line),
 * zero-filled, under a unique name. On success fills *mz (if not NULL).
 * Returns 0, or:
 *   -EINVAL        len is 0, align is not a power of two, name is empty
 *   -ENAMETOOLONG  name does not fit MPDP_NAME_SIZE
 *   -EEXIST        a memzone of that name exists
 *   -ENOMEM        no free range of that size and alignment in the heap
 *   -ENOSPC        the memzone table is full
 *   -ENODEV        the runtime is not initialised
 * Any process, any thread.
 */
int mpdp_memzone_reserve(const char *name, size_t len, size_t align, struct mpdp_memzone *mz);

/* Find a memzone by name. Returns 0 (fills *mz), -ENOENT, -ENAMETOOLONG, -ENODEV. */
int mpdp_memzone_lookup(const char *name, struct mpdp_memzone *mz);

/*
 * Free a memzone by name; its memory returns to the heap. Every process that
 * still uses it must have stopped. Returns 0, -ENOENT or -ENODEV.
 */
int mpdp_memzone_free(const char *name);

/*
 * Call cb for every memzone, in heap order, holding the instance lock: cb
 * must not call any memzone function (it would wait for itself) nor make IPC
 * requests (the primary may need the same lock to answer). Stops early when cb returns non-zero
 * and returns that value; otherwise returns the number of memzones visited.
 */
typedef int (*mpdp_memzone_walk_cb_t)(const struct mpdp_memzone *mz, void *arg);
int mpdp_memzone_walk(mpdp_memzone_walk_cb_t cb, void *arg);

#endif /* MPDP_MEMZONE_H */
