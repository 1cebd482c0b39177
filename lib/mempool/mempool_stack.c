/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool_stack.c - the "stack" backend: a LIFO of free object offsets behind
 * a robust process-shared mutex, in memzone "ms.<pool>".
 *
 * LIFO hands back the objects freed last, still warm in cache, which suits
 * pools used by one core at a time. It is also the second backend that proves
 * backends are resolved by name.
 *
 * Crash safety: a push copies the offsets above len and only then stores the
 * new len; a pop copies them out and only then lowers len. A holder killed in
 * between leaves len at its old value, which is a consistent stack (a push
 * then never happened, a pop never happened: the dying process loses only the
 * objects it was holding anyway). The next locker gets EOWNERDEAD and just
 * marks the mutex consistent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_memzone.h>

#include "mempool_private.h"

struct mempool_stack_shm {
	pthread_mutex_t lock;
	_Atomic uint32_t len; /* written under lock; read lock-free by count */
	uint32_t cap;
	uint64_t objs[] MPDP_CACHE_ALIGNED;
};

static int stack_zone(const struct mpdp_mempool *mp, char *buf, size_t size)
{
	int n = snprintf(buf, size, "ms.%s", mp->name);

	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

static int stack_lock(struct mempool_stack_shm *st)
{
	int rc = pthread_mutex_lock(&st->lock);

	if (rc == EOWNERDEAD) {
		MP_LOG(WARNING, "a process died holding a stack backend lock; the stack is consistent");
		pthread_mutex_consistent(&st->lock);
		rc = 0;
	}
	return -rc;
}

static int stack_create(struct mpdp_mempool *mp)
{
	char zone[MPDP_NAME_SIZE];
	struct mpdp_memzone mz;
	struct mempool_stack_shm *st;
	pthread_mutexattr_t attr;
	int rc = stack_zone(mp, zone, sizeof(zone));

	if (rc != 0)
		return rc;
	rc = mpdp_memzone_reserve(zone, sizeof(*st) + (size_t)mp->size * sizeof(uint64_t), 0, &mz);
	if (rc != 0)
		return rc;
	st = mz.addr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	rc = -pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc != 0) {
		mpdp_memzone_free(zone);
		return rc;
	}
	st->cap = mp->size;
	mp->backend = st;
	mp->shm->backend_off = mz.offset;
	return 0;
}

static int stack_attach(struct mpdp_mempool *mp)
{
	char zone[MPDP_NAME_SIZE];
	struct mpdp_memzone mz;
	struct mempool_stack_shm *st;
	int rc = stack_zone(mp, zone, sizeof(zone));

	if (rc != 0)
		return rc;
	rc = mpdp_memzone_lookup(zone, &mz);
	if (rc != 0)
		return rc;
	st = mz.addr;
	if (mz.offset != mp->shm->backend_off || st->cap < mp->size ||
	    sizeof(*st) + (size_t)st->cap * sizeof(uint64_t) > mz.len)
		return -EPROTO;
	mp->backend = st;
	return 0;
}

static void stack_detach(struct mpdp_mempool *mp)
{
	mp->backend = NULL;
}

static void stack_destroy(struct mpdp_mempool *mp)
{
	char zone[MPDP_NAME_SIZE];

	if (stack_zone(mp, zone, sizeof(zone)) == 0)
		mpdp_memzone_free(zone);
	mp->backend = NULL;
}

static int stack_enqueue(struct mpdp_mempool *mp, const uint64_t *offs, unsigned int n)
{
	struct mempool_stack_shm *st = mp->backend;
	uint32_t len;
	int rc = stack_lock(st);

	if (rc != 0)
		return rc;
	len = atomic_load_explicit(&st->len, memory_order_relaxed);
	if (n > st->cap - len) {
		rc = -ENOBUFS;
	} else {
		memcpy(&st->objs[len], offs, (size_t)n * sizeof(*offs));
		atomic_store_explicit(&st->len, len + n, memory_order_relaxed);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static int stack_dequeue(struct mpdp_mempool *mp, uint64_t *offs, unsigned int n)
{
	struct mempool_stack_shm *st = mp->backend;
	uint32_t len;
	int rc = stack_lock(st);

	if (rc != 0)
		return rc;
	len = atomic_load_explicit(&st->len, memory_order_relaxed);
	if (n > len) {
		rc = -ENOENT;
	} else {
		/* top of the stack first: the most recently freed object */
		for (unsigned int i = 0; i < n; i++)
			offs[i] = st->objs[len - 1 - i];
		atomic_store_explicit(&st->len, len - n, memory_order_relaxed);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static unsigned int stack_count(const struct mpdp_mempool *mp)
{
	const struct mempool_stack_shm *st = mp->backend;

	return atomic_load_explicit(&st->len, memory_order_relaxed);
}

static int stack_walk(const struct mpdp_mempool *mp, int (*cb)(uint64_t off, void *arg),
		      void *arg)
{
	struct mempool_stack_shm *st = mp->backend;
	uint32_t len;
	int rc = stack_lock(st);

	if (rc != 0)
		return rc;
	len = atomic_load_explicit(&st->len, memory_order_relaxed);
	for (uint32_t i = 0; i < len && rc == 0; i++)
		rc = cb(st->objs[i], arg);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

const struct mpdp_mempool_ops mempool_stack_ops = {
	.name = "stack",
	.create = stack_create,
	.attach = stack_attach,
	.detach = stack_detach,
	.destroy = stack_destroy,
	.enqueue = stack_enqueue,
	.dequeue = stack_dequeue,
	.count = stack_count,
	.walk = stack_walk,
};
