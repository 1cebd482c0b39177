/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_memzone.c - memzones: named ranges of the heap.
 *
 * The memzone table in the config region is the heap allocator: used ranges
 * are the table's USED (and RESERVING) entries, free ranges are the gaps
 * between them. There is no free list to keep in sync, so nothing can
 * disagree with the table.
 *
 * Crash safety (all under the instance lock): reserve writes the slot as
 * RESERVING, zeroes the memory, and only then stores USED. A process killed
 * in between leaves a RESERVING slot, which the next locker frees
 * (eal_memzone_repair_locked). Free is a single store of FREE.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_memzone.h>

#include "eal_private.h"

struct range {
	uint64_t start, end;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int check_name(const char *name)
{
	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	if (strnlen(name, MPDP_NAME_SIZE) == MPDP_NAME_SIZE)
		return -ENAMETOOLONG;
	return 0;
}

static struct eal_memzone_shm *find_locked(const char *name)
{
	for (unsigned int i = 0; i < MPDP_MAX_MEMZONES; i++) {
		struct eal_memzone_shm *z = &eal.cfg->memzones[i];

		if (z->state == EAL_MZ_USED && strncmp(z->name, name, MPDP_NAME_SIZE) == 0)
			return z;
	}
	return NULL;
}

static void fill(struct mpdp_memzone *mz, const struct eal_memzone_shm *z)
{
	memcpy(mz->name, z->name, MPDP_NAME_SIZE);
	mz->name[MPDP_NAME_SIZE - 1] = '\0';
	mz->offset = z->offset;
	mz->addr = mpdp_shm_ptr(z->offset);
	mz->len = (size_t)z->len;
	mz->owner_pid = z->owner_pid;
}

void eal_memzone_repair_locked(void)
{
	unsigned int used = 0;

	for (unsigned int i = 0; i < MPDP_MAX_MEMZONES; i++) {
		struct eal_memzone_shm *z = &eal.cfg->memzones[i];

		if (z->state == EAL_MZ_RESERVING) {
			EAL_LOG(WARNING, "dropping memzone '%.*s' left half-reserved", MPDP_NAME_SIZE,
				z->name);
			z->state = EAL_MZ_FREE;
		} else if (z->state != EAL_MZ_FREE && z->state != EAL_MZ_USED) {
			z->state = EAL_MZ_FREE;
		}
		used += z->state == EAL_MZ_USED;
	}
	eal.cfg->nb_memzones = used;
}

/* First-fit search of the gaps between used ranges. Returns the offset or 0. */
static uint64_t find_gap_locked(uint64_t len, uint64_t align)
{
	static struct range used[MPDP_MAX_MEMZONES + 1]; /* under the instance lock */
	unsigned int n = 0;
	uint64_t cursor = MPDP_HEAP_HEADER_SIZE, start;

	for (unsigned int i = 0; i < MPDP_MAX_MEMZONES; i++) {
		const struct eal_memzone_shm *z = &eal.cfg->memzones[i];

		if (z->state != EAL_MZ_FREE)
			used[n++] = (struct range){ z->offset, z->offset + z->len };
	}
	qsort(used, n, sizeof(used[0]), range_cmp);
	used[n++] = (struct range){ eal.heap.len, eal.heap.len }; /* the end as a sentinel */
	for (unsigned int i = 0; i < n; i++) {
		start = MPDP_ALIGN_UP(cursor, align);
		if (start >= cursor && start <= used[i].start && used[i].start - start >= len)
			return start;
		if (used[i].end > cursor)
			cursor = used[i].end;
	}
	return 0;
}

int mpdp_memzone_reserve(const char *name, size_t len, size_t align, struct mpdp_memzone *mz)
{
	struct eal_memzone_shm *slot = NULL;
	uint64_t off;
	int rc = check_name(name);

	if (rc != 0)
		return rc;
	if (align == 0)
		align = MPDP_CACHE_LINE_SIZE;
	if (len == 0 || !MPDP_IS_POW2(align))
		return -EINVAL;
	if (eal.cfg == NULL)
		return -ENODEV;
	if (len > eal.heap.len)
		return -ENOMEM; /* cannot fit; also keeps the rounding below from wrapping */
	len = MPDP_ALIGN_UP(len, (size_t)MPDP_CACHE_LINE_SIZE);
	rc = eal_lock();
	if (rc != 0)
		return rc;
	if (find_locked(name) != NULL) {
		rc = -EEXIST;
		goto out;
	}
	for (unsigned int i = 0; i < MPDP_MAX_MEMZONES && slot == NULL; i++)
		if (eal.cfg->memzones[i].state == EAL_MZ_FREE)
			slot = &eal.cfg->memzones[i];
	if (slot == NULL) {
		rc = -ENOSPC;
		goto out;
	}
	off = find_gap_locked(len, align);
	if (off == 0) {
		rc = -ENOMEM;
		goto out;
	}
	memset(slot->name, 0, sizeof(slot->name));
	memcpy(slot->name, name, strlen(name));
	slot->offset = off;
	slot->len = len;
	slot->owner_pid = (int32_t)getpid();
	/*
	 * Death between here and USED must leave a RESERVING slot for the
	 * repair (the range may be half-zeroed). A plain store followed only by
	 * stores would be merged away by the compiler: store atomically, and
	 * keep the memset between the two markers. A signal fence is the right
	 * strength: the observer is this process's death, seen by the next
	 * locker through the kernel's robust-futex handling.
	 */
	__atomic_store_n(&slot->state, (uint32_t)EAL_MZ_RESERVING, __ATOMIC_RELAXED);
	atomic_signal_fence(memory_order_seq_cst);
	memset(mpdp_shm_ptr(off), 0, len);
	atomic_signal_fence(memory_order_seq_cst);
	__atomic_store_n(&slot->state, (uint32_t)EAL_MZ_USED, __ATOMIC_RELAXED);
	eal.cfg->nb_memzones++;
	if (mz != NULL)
		fill(mz, slot);
out:
	eal_unlock();
	return rc;
}

int mpdp_memzone_lookup(const char *name, struct mpdp_memzone *mz)
{
	const struct eal_memzone_shm *z;
	int rc = check_name(name);

	if (rc != 0)
		return rc;
	rc = eal_lock();
	if (rc != 0)
		return rc;
	z = find_locked(name);
	if (z == NULL)
		rc = -ENOENT;
	else if (mz != NULL)
		fill(mz, z);
	eal_unlock();
	return rc;
}

int mpdp_memzone_free(const char *name)
{
	struct eal_memzone_shm *z;
	int rc = check_name(name);

	if (rc != 0)
		return rc;
	rc = eal_lock();
	if (rc != 0)
		return rc;
	z = find_locked(name);
	if (z == NULL) {
		rc = -ENOENT;
	} else {
		z->state = EAL_MZ_FREE;
		eal.cfg->nb_memzones--;
	}
	eal_unlock();
	return rc;
}

int mpdp_memzone_walk(mpdp_memzone_walk_cb_t cb, void *arg)
{
	static unsigned int order[MPDP_MAX_MEMZONES]; /* under the instance lock */
	struct mpdp_memzone mz;
	unsigned int n = 0;
	int rc = eal_lock();

	if (rc != 0)
		return rc;
	for (unsigned int i = 0; i < MPDP_MAX_MEMZONES; i++)
		if (eal.cfg->memzones[i].state == EAL_MZ_USED)
			order[n++] = i;
	/* heap order: insertion sort on offsets, n is small and mostly sorted */
	for (unsigned int i = 1; i < n; i++) {
		unsigned int v = order[i], j = i;

		while (j > 0 && eal.cfg->memzones[order[j - 1]].offset > eal.cfg->memzones[v].offset) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	for (unsigned int i = 0; i < n; i++) {
		fill(&mz, &eal.cfg->memzones[order[i]]);
		rc = cb(&mz, arg);
		if (rc != 0)
			goto out;
	}
	rc = (int)n;
out:
	eal_unlock();
	return rc;
}
