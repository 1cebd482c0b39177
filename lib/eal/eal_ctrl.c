/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_ctrl.c - the control thread: one epoll loop per process.
 *
 * Watches are registered from any thread; they are removed only on the
 * control thread (or while it is not running), and freed after the current
 * batch of events, so a callback never runs on a freed watch. The thread
 * blocks every signal: signals belong to the application's threads.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <mpdp/mpdp_ctrl.h>

#include "eal_private.h"

struct eal_watch {
	int fd;
	eal_ctrl_cb_t cb;
	void *arg;
	int dead;
	struct eal_watch *next_dead;
};

static int epoll_fd = -1;
static int wake_fd = -1;
static pthread_t ctrl_thread;
static int running;
static _Atomic int stopping;
static struct eal_watch *dead_list; /* under cb_lock while the thread runs */
/*
 * Held by the control thread around every callback and while it frees dead
 * watches; taken by another thread that removes a watch, so that once
 * eal_ctrl_unwatch() returns there the callback neither runs nor will.
 */
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int on_ctrl_thread;

int eal_ctrl_is_self(void)
{
	return on_ctrl_thread;
}

int eal_ctrl_init(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		return -errno;
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
		int rc = -errno;

		if (wake_fd >= 0)
			close(wake_fd);
		close(epoll_fd);
		wake_fd = epoll_fd = -1;
		return rc;
	}
	atomic_store(&stopping, 0);
	return 0;
}

struct eal_watch *eal_ctrl_watch(int fd, uint32_t events, eal_ctrl_cb_t cb, void *arg)
{
	struct eal_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (w == NULL)
		return NULL;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		EAL_LOG(ERR, "cannot watch fd %d: %s", fd, strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

static void free_dead(void)
{
	while (dead_list != NULL) {
		struct eal_watch *w = dead_list;

		dead_list = w->next_dead;
		free(w);
	}
}

void eal_ctrl_unwatch(struct eal_watch *w)
{
	int lock = running && !on_ctrl_thread;

	if (w == NULL)
		return;
	if (lock)
		pthread_mutex_lock(&cb_lock);
	if (!w->dead) {
		epoll_ctl(epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
		w->dead = 1;
		w->next_dead = dead_list;
		dead_list = w;
	}
	if (!running)
		free_dead();
	if (lock)
		pthread_mutex_unlock(&cb_lock);
}

struct mpdp_ctrl_watch *mpdp_ctrl_watch(int fd, uint32_t events, mpdp_ctrl_cb_t cb, void *arg)
{
	if (epoll_fd < 0) {
		errno = ENODEV;
		return NULL;
	}
	return (struct mpdp_ctrl_watch *)eal_ctrl_watch(fd, events, cb, arg);
}

void mpdp_ctrl_unwatch(struct mpdp_ctrl_watch *w)
{
	eal_ctrl_unwatch((struct eal_watch *)w);
}

int mpdp_ctrl_is_self(void)
{
	return on_ctrl_thread;
}

static void *ctrl_main(void *unused)
{
	struct epoll_event evs[16];

	(void)unused;
	on_ctrl_thread = 1;
	pthread_setname_np(pthread_self(), "mpdp-ctrl");
	while (!atomic_load(&stopping)) {
		int n = epoll_wait(epoll_fd, evs, (int)MPDP_DIM(evs), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			EAL_LOG(ERR, "control thread: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct eal_watch *w = evs[i].data.ptr;

			if (w == NULL) {
				uint64_t v;

				(void)!read(wake_fd, &v, sizeof(v));
				continue;
			}
			pthread_mutex_lock(&cb_lock);
			if (!w->dead)
				w->cb(w->fd, evs[i].events, w->arg);
			pthread_mutex_unlock(&cb_lock);
		}
		pthread_mutex_lock(&cb_lock);
		free_dead();
		pthread_mutex_unlock(&cb_lock);
	}
	return NULL;
}

int eal_ctrl_start(void)
{
	pthread_attr_t attr;
	cpu_set_t cpus;
	sigset_t all, old;
	int rc;

	/*
	 * Not the main lcore's CPU alone (which a primary's main thread is
	 * pinned to by now, and may busy-poll): IPC and death handling must
	 * not wait for its time slice.
	 */
	pthread_attr_init(&attr);
	eal_lcore_unpinned_affinity(&cpus);
	if (CPU_COUNT(&cpus) > 0)
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&ctrl_thread, &attr, ctrl_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		running = 1;
	return rc;
}

void eal_ctrl_stop(void)
{
	uint64_t one = 1;

	if (running) {
		atomic_store(&stopping, 1);
		(void)!write(wake_fd, &one, sizeof(one));
		pthread_join(ctrl_thread, NULL);
		running = 0;
	}
	free_dead();
	if (wake_fd >= 0)
		close(wake_fd);
	if (epoll_fd >= 0)
		close(epoll_fd);
	wake_fd = epoll_fd = -1;
}
