/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_lock.c - the instance lock: one robust, process-shared mutex in the
 * config region that guards the process, lcore and memzone tables.
 *
 * Robustness: when a holder dies (any signal, any process), the kernel marks
 * the mutex and the next locker gets EOWNERDEAD. It then repairs what a
 * half-done update can leave (only memzone slots in state RESERVING, see
 * eal_memzone.c) and marks the mutex consistent. Nobody hangs.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "eal_private.h"

int eal_lock_init(struct eal_lock_shm *lock)
{
	pthread_mutexattr_t attr;
	int rc;

	memset(lock, 0, sizeof(*lock));
	rc = pthread_mutexattr_init(&attr);
	if (rc != 0)
		return -rc;
	rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (rc == 0)
		rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (rc == 0)
		rc = pthread_mutex_init(&lock->mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	return -rc;
}

int eal_lock(void)
{
	int rc;

	if (eal.cfg == NULL)
		return -ENODEV;
	/* a secondary whose primary is gone must not keep changing its tables */
	if (eal.type == MPDP_PROC_SECONDARY && !atomic_load(&eal.primary_alive))
		return -ESHUTDOWN;
	rc = pthread_mutex_lock(&eal.cfg->lock.mutex);
	if (rc == EOWNERDEAD) {
		EAL_LOG(WARNING, "a process died holding the instance lock; repairing the tables");
		eal_memzone_repair_locked();
		pthread_mutex_consistent(&eal.cfg->lock.mutex);
		return 0;
	}
	if (rc != 0)
		EAL_LOG(ERR, "instance lock unusable: %s", strerror(rc));
	return -rc;
}

void eal_unlock(void)
{
	pthread_mutex_unlock(&eal.cfg->lock.mutex);
}
