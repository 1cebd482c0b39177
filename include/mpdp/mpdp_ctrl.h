/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_ctrl.h - run a callback on the process's control thread when an fd
 * becomes ready. For drivers that serve a socket in the background (the
 * vhost-user backend accepting and answering a frontend, virtio-user
 * reconnecting to a backend that restarted).
 *
 * Every process has one control thread ("mpdp-ctrl", started by mpdp_init(),
 * stopped first by mpdp_cleanup()); it also runs IPC handlers, so callbacks
 * must not block for long (no waits on the data path, no sleeps).
 *
 * Threads: mpdp_ctrl_watch() and mpdp_ctrl_unwatch() may be called from any
 * thread, and from inside a callback. When mpdp_ctrl_unwatch() returns on a
 * thread other than the control thread, the callback is not running and
 * will not run again, so the caller may free what arg points to. Callbacks
 * run one at a time; do not call mpdp_ctrl_unwatch() while holding a lock
 * that a callback takes (the unwatch waits for a running callback).
 */
#ifndef MPDP_CTRL_H
#define MPDP_CTRL_H

#include <stdint.h>

typedef void (*mpdp_ctrl_cb_t)(int fd, uint32_t events, void *arg);

struct mpdp_ctrl_watch;

/*
 * Call cb(fd, events, arg) on the control thread for each epoll readiness
 * of fd (events: EPOLLIN, EPOLLOUT, ...; level-triggered). The fd stays the
 * caller's. Returns the watch, or NULL (before mpdp_init(), no memory, or
 * epoll refused the fd: errno says why).
 */
struct mpdp_ctrl_watch *mpdp_ctrl_watch(int fd, uint32_t events, mpdp_ctrl_cb_t cb, void *arg);

/* Stop watching (NULL: nothing). See the header comment for the guarantee. */
void mpdp_ctrl_unwatch(struct mpdp_ctrl_watch *w);

/* True on the control thread (a driver's callback, an IPC handler). */
int mpdp_ctrl_is_self(void);

#endif /* MPDP_CTRL_H */
