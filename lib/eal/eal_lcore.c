/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_lcore.c - lcore threads of this process.
 *
 * Worker threads are created at init, pinned to their CPU, and sleep on a
 * condition variable until mpdp_lcore_launch() hands them a function. The
 * main thread is lcore 0 of the process (not necessarily lcore id 0 of the
 * instance: ids come from the shared table, see eal_proc.c).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_lcore.h>

#include "eal_private.h"

enum worker_state { W_IDLE, W_RUNNING, W_DONE, W_EXIT };

struct worker {
	unsigned int lcore_id;
	int cpu;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum worker_state state;
	mpdp_lcore_fn_t fn;
	void *arg;
	int result;
};

/* Public through the inline mpdp_lcore_id(); written only by its own thread. */
_Thread_local unsigned int mpdp_lcore_id_ = MPDP_LCORE_ANY;
static unsigned int main_lcore = MPDP_LCORE_ANY;
static int main_cpu = -1;
/* the main thread's CPUs before it was pinned, given back by eal_lcore_stop() */
static pthread_t main_thread;
static cpu_set_t main_affinity;
static int main_pinned;
static struct worker workers[MPDP_MAX_LCORES];
static unsigned int nb_workers;

static struct worker *worker_of(unsigned int lcore_id)
{
	for (unsigned int i = 0; i < nb_workers; i++)
		if (workers[i].lcore_id == lcore_id)
			return &workers[i];
	return NULL;
}

static void *worker_main(void *p)
{
	struct worker *w = p;
	char name[16];

	mpdp_lcore_id_ = w->lcore_id;
	snprintf(name, sizeof(name), "mpdp-lcore-%u", w->lcore_id);
	pthread_setname_np(pthread_self(), name);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->state != W_RUNNING && w->state != W_EXIT)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->state == W_EXIT)
			break;
		pthread_mutex_unlock(&w->lock);
		int result = w->fn(w->arg);
		pthread_mutex_lock(&w->lock);
		w->result = result;
		w->state = W_DONE;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int pin(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(t, sizeof(set), &set);
}

int eal_lcore_start(const uint16_t *lcores, const int16_t *cpus, unsigned int nb_cpus)
{
	int rc;

	main_lcore = lcores[0];
	main_cpu = nb_cpus ? cpus[0] : -1;
	mpdp_lcore_id_ = main_lcore;
	if (main_cpu >= 0) {
		main_thread = pthread_self();
		rc = -pthread_getaffinity_np(main_thread, sizeof(main_affinity), &main_affinity);
		if (rc == 0)
			rc = pin(main_thread, main_cpu);
		if (rc != 0) {
			EAL_LOG(ERR, "cannot pin the main lcore to cpu %d: %s", main_cpu, strerror(-rc));
			eal_lcore_stop();
			return rc;
		}
		main_pinned = 1;
	}
	for (unsigned int i = 1; i < nb_cpus; i++) {
		struct worker *w = &workers[nb_workers];
		pthread_attr_t attr;
		cpu_set_t set;

		memset(w, 0, sizeof(*w));
		w->lcore_id = lcores[i];
		w->cpu = cpus[i];
		pthread_mutex_init(&w->lock, NULL);
		pthread_cond_init(&w->cond, NULL);
		pthread_attr_init(&attr);
		CPU_ZERO(&set);
		CPU_SET(cpus[i], &set);
		rc = -pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (rc == 0)
			rc = -pthread_create(&w->thread, &attr, worker_main, w);
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			EAL_LOG(ERR, "cannot start lcore %u on cpu %d: %s", w->lcore_id, w->cpu,
				strerror(-rc));
			pthread_mutex_destroy(&w->lock);
			pthread_cond_destroy(&w->cond);
			eal_lcore_stop();
			return rc;
		}
		w->started = 1;
		nb_workers++;
	}
	return 0;
}

/* Stop workers. They must be idle or done: a running function is waited for. */
void eal_lcore_stop(void)
{
	for (unsigned int i = 0; i < nb_workers; i++) {
		struct worker *w = &workers[i];

		pthread_mutex_lock(&w->lock);
		while (w->state == W_RUNNING)
			pthread_cond_wait(&w->cond, &w->lock);
		w->state = W_EXIT;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
	}
	nb_workers = 0;
	/* the application's main thread outlives the runtime: unpin it */
	if (main_pinned)
		pthread_setaffinity_np(main_thread, sizeof(main_affinity), &main_affinity);
	main_pinned = 0;
	main_lcore = MPDP_LCORE_ANY;
	main_cpu = -1;
	mpdp_lcore_id_ = MPDP_LCORE_ANY;
}

/*
 * The CPUs of the process before the main thread was pinned: the runtime's
 * own threads run there, not on the main lcore's CPU only.
 */
void eal_lcore_unpinned_affinity(cpu_set_t *set)
{
	if (main_pinned)
		*set = main_affinity;
	else if (pthread_getaffinity_np(pthread_self(), sizeof(*set), set) != 0)
		CPU_ZERO(set);
}

unsigned int mpdp_lcore_main(void)
{
	return main_lcore;
}

unsigned int mpdp_lcore_count(void)
{
	return main_lcore == MPDP_LCORE_ANY ? 0 : nb_workers + 1;
}

int mpdp_lcore_cpu(unsigned int lcore_id)
{
	struct worker *w;

	if (lcore_id == main_lcore && main_lcore != MPDP_LCORE_ANY)
		return main_cpu;
	w = worker_of(lcore_id);
	return w ? w->cpu : -EINVAL;
}

int mpdp_lcore_next(int prev)
{
	unsigned int i = 0;

	if (prev >= 0) {
		while (i < nb_workers && workers[i].lcore_id != (unsigned int)prev)
			i++;
		i++;
	}
	return i < nb_workers ? (int)workers[i].lcore_id : -1;
}

int mpdp_lcore_launch(unsigned int lcore_id, mpdp_lcore_fn_t fn, void *arg)
{
	struct worker *w = worker_of(lcore_id);
	int rc = 0;

	if (w == NULL || fn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	if (w->state == W_RUNNING) {
		rc = -EBUSY;
	} else {
		w->fn = fn;
		w->arg = arg;
		w->state = W_RUNNING;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int mpdp_lcore_wait(unsigned int lcore_id)
{
	struct worker *w = worker_of(lcore_id);
	int rc = 0;

	if (w == NULL)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	while (w->state == W_RUNNING)
		pthread_cond_wait(&w->cond, &w->lock);
	if (w->state == W_DONE) {
		rc = w->result;
		w->state = W_IDLE;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int mpdp_lcore_wait_all(void)
{
	int first = 0;

	for (unsigned int i = 0; i < nb_workers; i++) {
		int rc = mpdp_lcore_wait(workers[i].lcore_id);

		if (rc != 0 && first == 0)
			first = rc;
	}
	return first;
}
