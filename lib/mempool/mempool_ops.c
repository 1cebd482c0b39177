/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool_ops.c - the backend registry of this process and the "ring"
 * backend.
 *
 * Backends are found by name only (DESIGN.md rule 5): a pool stores its
 * backend's name, and each process looks that name up in its own registry.
 * Registration order never matters, so two binaries that register different
 * sets of backends agree on every pool they both can use, and refuse the
 * others.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_ring.h>

#include "mempool_private.h"

#define MAX_OPS 16

static pthread_mutex_t ops_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct mpdp_mempool_ops *ops_table[MAX_OPS] = {
	&mempool_ring_ops,
	&mempool_stack_ops,
};

const struct mpdp_mempool_ops *mempool_ops_find(const char *name)
{
	const struct mpdp_mempool_ops *found = NULL;

	pthread_mutex_lock(&ops_lock);
	for (unsigned int i = 0; i < MAX_OPS && ops_table[i] != NULL; i++)
		if (strcmp(ops_table[i]->name, name) == 0) {
			found = ops_table[i];
			break;
		}
	pthread_mutex_unlock(&ops_lock);
	return found;
}

int mpdp_mempool_ops_register(const struct mpdp_mempool_ops *ops)
{
	unsigned int i;
	int rc = -ENOSPC;

	if (ops == NULL || ops->name == NULL || ops->name[0] == '\0' ||
	    strlen(ops->name) >= MPDP_MEMPOOL_OPS_NAME_SIZE || ops->create == NULL ||
	    ops->attach == NULL || ops->enqueue == NULL || ops->dequeue == NULL ||
	    ops->count == NULL || ops->walk == NULL)
		return -EINVAL;
	pthread_mutex_lock(&ops_lock);
	for (i = 0; i < MAX_OPS && ops_table[i] != NULL; i++)
		if (strcmp(ops_table[i]->name, ops->name) == 0)
			break;
	if (i < MAX_OPS && ops_table[i] != NULL) {
		rc = -EEXIST;
	} else if (i < MAX_OPS) {
		ops_table[i] = ops;
		rc = 0;
	}
	pthread_mutex_unlock(&ops_lock);
	return rc;
}

/* ---- "ring": free objects in an mpdp_ring "mp.<pool>" ------------------- */

static int ring_name(const struct mpdp_mempool *mp, char *buf, size_t size)
{
	int n = snprintf(buf, size, "mp.%s", mp->name);

	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

static int ring_create(struct mpdp_mempool *mp)
{
	char name[MPDP_RING_NAME_SIZE];
	unsigned int flags = MPDP_RING_F_EXACT_SZ; /* room for every object */
	int rc = ring_name(mp, name, sizeof(name));

	if (rc != 0)
		return rc;
	if (mp->flags & MPDP_MEMPOOL_F_SP_PUT)
		flags |= MPDP_RING_F_SP_ENQ;
	if (mp->flags & MPDP_MEMPOOL_F_SC_GET)
		flags |= MPDP_RING_F_SC_DEQ;
	mp->ring = mpdp_ring_create(name, mp->size, flags, &rc);
	if (mp->ring == NULL)
		return rc;
	mp->shm->backend_off = mpdp_shm_off(mp->ring->shm);
	return 0;
}

static int ring_attach(struct mpdp_mempool *mp)
{
	char name[MPDP_RING_NAME_SIZE];
	int rc = ring_name(mp, name, sizeof(name));

	if (rc != 0)
		return rc;
	mp->ring = mpdp_ring_attach(name, &rc);
	if (mp->ring == NULL)
		return rc;
	if (mpdp_shm_off(mp->ring->shm) != mp->shm->backend_off ||
	    mpdp_ring_capacity(mp->ring) < mp->size) {
		mpdp_ring_detach(mp->ring);
		mp->ring = NULL;
		return -EPROTO;
	}
	return 0;
}

static void ring_detach(struct mpdp_mempool *mp)
{
	mpdp_ring_detach(mp->ring);
	mp->ring = NULL;
}

static void ring_destroy(struct mpdp_mempool *mp)
{
	mpdp_ring_free(mp->ring);
	mp->ring = NULL;
}

/* Get and put reach the ring inline; these serve callers of the ops table. */
static int ring_enqueue(struct mpdp_mempool *mp, const uint64_t *offs, unsigned int n)
{
	return mpdp_mempool_backend_enqueue_(mp, offs, n);
}

static int ring_dequeue(struct mpdp_mempool *mp, uint64_t *offs, unsigned int n)
{
	return mpdp_mempool_backend_dequeue_(mp, offs, n);
}

static unsigned int ring_count(const struct mpdp_mempool *mp)
{
	return mpdp_ring_count(mp->ring);
}

static int ring_walk(const struct mpdp_mempool *mp, int (*cb)(uint64_t off, void *arg), void *arg)
{
	const struct mpdp_ring *r = mp->ring;
	uint32_t head = atomic_load_explicit(&r->shm->cons.tail, memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&r->shm->prod.tail, memory_order_acquire);
	uint32_t n = tail - head;

	if (n > r->capacity)
		n = r->capacity; /* a moving ring: the audit sees -EAGAIN anyway */
	for (uint32_t i = 0; i < n; i++) {
		int rc = cb(r->slots[(head + i) & r->mask], arg);

		if (rc != 0)
			return rc;
	}
	return 0;
}

const struct mpdp_mempool_ops mempool_ring_ops = {
	.name = "ring",
	.create = ring_create,
	.attach = ring_attach,
	.detach = ring_detach,
	.destroy = ring_destroy,
	.enqueue = ring_enqueue,
	.dequeue = ring_dequeue,
	.count = ring_count,
	.walk = ring_walk,
};
