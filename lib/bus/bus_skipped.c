/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bus_skipped.c - the record of devices the primary did not use, in shared
 * memory, so any process (a stats tool attached while the primary probes)
 * can show them. The layout and the publication protocol are described at
 * struct bus_skipped_table_shm in bus_private.h.
 *
 * Nothing here caches a pointer to the table: the memzone is looked up on
 * every call (a few hundred calls per primary lifetime at most), so a runtime
 * that is cleaned up and started again in the same process never sees a
 * stale mapping.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_memzone.h>

#include "bus_private.h"

/* Serialises writers inside the primary; the table has one writing process. */
static pthread_mutex_t add_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The table of this instance, checked: 0, -ENODEV (no runtime, no table, or
 * not published yet) or -EPROTO (another layout).
 */
static int table_get(struct bus_skipped_table_shm **out)
{
	struct bus_skipped_table_shm *t;
	struct mpdp_memzone mz;
	int rc = mpdp_memzone_lookup(BUS_SKIPPED_ZONE, &mz);

	if (rc == -ENOENT)
		return -ENODEV;
	if (rc != 0)
		return rc; /* -ENODEV without a runtime, -ESHUTDOWN after the primary left */
	if (mz.len < sizeof(*t) || !mpdp_shm_contains(mz.addr, sizeof(*t)))
		return -EPROTO;
	t = mz.addr;
	/* acquire: pairs with the release of magic in mpdp_bus_skipped_init_() */
	if (atomic_load_explicit(&t->magic, memory_order_acquire) != BUS_SKIPPED_MAGIC)
		return -ENODEV;
	if (t->version != BUS_SKIPPED_VERSION)
		return -EPROTO;
	*out = t;
	return 0;
}

int mpdp_bus_skipped_init_(void)
{
	struct bus_skipped_table_shm *t;
	struct mpdp_memzone mz;
	int rc = mpdp_memzone_reserve(BUS_SKIPPED_ZONE, sizeof(*t), 0, &mz);

	if (rc == -EEXIST) /* a second call in the same instance: keep what is there */
		return table_get(&t);
	if (rc != 0) {
		BUS_LOG(ERR, "cannot reserve memzone %s (%zu bytes): %s", BUS_SKIPPED_ZONE,
			sizeof(*t), strerror(-rc));
		return rc;
	}
	t = mz.addr; /* zero-filled: count 0, dropped 0 */
	t->version = BUS_SKIPPED_VERSION;
	/* release: pairs with the acquire in table_get() */
	atomic_store_explicit(&t->magic, BUS_SKIPPED_MAGIC, memory_order_release);
	return 0;
}

int mpdp_bus_skipped_add_(const struct mpdp_bus_skipped *s)
{
	struct bus_skipped_entry_shm *e;
	struct bus_skipped_table_shm *t;
	uint32_t n;
	int rc;

	if (s == NULL)
		return -EINVAL;
	rc = table_get(&t);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&add_lock);
	/* only this process writes count: relaxed is enough to read our own value */
	n = atomic_load_explicit(&t->count, memory_order_relaxed);
	if (n >= MPDP_BUS_SKIPPED_MAX) {
		if (atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed) == 0)
			BUS_LOG(WARNING,
				"skipped-device table full (%d entries): %s %s and later ones are not recorded",
				MPDP_BUS_SKIPPED_MAX, s->bus, s->name);
		pthread_mutex_unlock(&add_lock);
		return -ENOSPC;
	}
	e = &t->entries[n];
	/* snprintf truncates and terminates: a reader never meets an open string */
	snprintf(e->bus, sizeof(e->bus), "%s", s->bus);
	snprintf(e->name, sizeof(e->name), "%s", s->name);
	e->vendor = s->vendor;
	e->device = s->device;
	e->class_id = s->class_id;
	snprintf(e->kdrv_name, sizeof(e->kdrv_name), "%s", s->kdrv_name);
	snprintf(e->reason, sizeof(e->reason), "%s", s->reason);
	/* release (A): publishes entries[n]; pairs with the acquire in the walk */
	atomic_store_explicit(&t->count, n + 1, memory_order_release);
	pthread_mutex_unlock(&add_lock);
	return 0;
}

/* Copy a string from shared memory into dst, always terminated. */
static void copy_str(char *dst, size_t dst_size, const char *src, size_t src_size)
{
	size_t n = dst_size - 1 < src_size ? dst_size - 1 : src_size;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

int mpdp_bus_skipped_walk(mpdp_bus_skipped_cb_t cb, void *arg)
{
	struct bus_skipped_table_shm *t;
	struct mpdp_bus_skipped s;
	uint32_t n;
	int rc = table_get(&t);

	if (rc != 0)
		return rc;
	/* acquire: pairs with the release (A) in mpdp_bus_skipped_add_() */
	n = atomic_load_explicit(&t->count, memory_order_acquire);
	if (n > MPDP_BUS_SKIPPED_MAX)
		n = MPDP_BUS_SKIPPED_MAX; /* shared memory: never index past the table */
	for (uint32_t i = 0; i < n; i++) {
		const struct bus_skipped_entry_shm *e = &t->entries[i];

		memset(&s, 0, sizeof(s));
		copy_str(s.bus, sizeof(s.bus), e->bus, sizeof(e->bus));
		copy_str(s.name, sizeof(s.name), e->name, sizeof(e->name));
		s.vendor = e->vendor;
		s.device = e->device;
		s.class_id = e->class_id;
		copy_str(s.kdrv_name, sizeof(s.kdrv_name), e->kdrv_name, sizeof(e->kdrv_name));
		copy_str(s.reason, sizeof(s.reason), e->reason, sizeof(e->reason));
		if (cb != NULL) {
			rc = cb(&s, arg);
			if (rc != 0)
				return rc;
		}
	}
	return (int)n;
}
