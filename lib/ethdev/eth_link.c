/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_link.c - a driver in the primary tells ethdev that its link changed
 * (a vhost-user peer connected, a backend went away), from any thread;
 * ethdev runs the driver's link_update under its lock on the control thread
 * and announces the new link to every process.
 *
 * Why not publish from the driver's thread directly: the slot's fields are
 * written under the seqlock by one writer at a time, and ethdev's writers
 * hold eth.lock. A driver callback on the control thread cannot wait for
 * that lock: the thread holding it may be in mpdp_ctrl_unwatch(), which
 * waits for the running callback to return. So the control thread only
 * tries the lock, and retries 10 ms later when it is taken.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <mpdp/mpdp_ctrl.h>
#include <mpdp/mpdp_ethdev_driver.h>

#include "ethdev_private.h"

static _Atomic uint32_t link_dirty; /* bit per port (MPDP_MAX_PORTS is 32) */
static int wake_fd = -1;
static int retry_fd = -1;
static struct mpdp_ctrl_watch *wake_watch, *retry_watch;

MPDP_STATIC_ASSERT(MPDP_MAX_PORTS <= 32, "link_dirty has a bit per port");

static void arm_retry(void)
{
	struct itimerspec its = { .it_value = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 } };

	(void)timerfd_settime(retry_fd, 0, &its, NULL);
}

/* Control thread. */
static void link_publish(int fd, uint32_t events, void *arg)
{
	uint64_t v;
	uint32_t ports;

	(void)events;
	(void)arg;
	(void)!read(fd, &v, sizeof(v));
	if (pthread_mutex_trylock(&eth.lock) != 0) {
		arm_retry();
		return;
	}
	eth.lock_depth++;
	ports = atomic_exchange(&link_dirty, 0);
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++) {
		struct mpdp_eth_dev *dev;

		if (!(ports & (1u << p)) || !eth.present[p] || !eth.available[p])
			continue;
		dev = &eth.devs[p];
		if (dev->drv == NULL || dev->drv->ops->link_update == NULL)
			continue;
		mpdp_eth_dev_write_begin(dev);
		(void)dev->drv->ops->link_update(dev);
		mpdp_eth_dev_write_end(dev);
		eth_event_add(p, MPDP_ETH_EVENT_LINK);
	}
	if (ports != 0)
		eth_announce();
	eth_unlock();
}

void mpdp_eth_dev_link_changed(struct mpdp_eth_dev *dev)
{
	uint64_t one = 1;

	if (dev == NULL || dev->port_id >= MPDP_MAX_PORTS || wake_fd < 0)
		return;
	atomic_fetch_or(&link_dirty, 1u << dev->port_id);
	(void)!write(wake_fd, &one, sizeof(one));
}

int eth_link_init(void)
{
	if (wake_fd >= 0)
		return 0;
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (wake_fd < 0 || retry_fd < 0)
		goto fail;
	wake_watch = mpdp_ctrl_watch(wake_fd, EPOLLIN, link_publish, NULL);
	retry_watch = mpdp_ctrl_watch(retry_fd, EPOLLIN, link_publish, NULL);
	if (wake_watch == NULL || retry_watch == NULL)
		goto fail;
	return 0;
fail:
	ETH_LOG(ERR, "cannot set up link-change notification: %s", strerror(errno));
	eth_link_fini();
	return -ENOMEM;
}

/* After the control thread stopped (mpdp_cleanup), or from init's failure. */
void eth_link_fini(void)
{
	mpdp_ctrl_unwatch(wake_watch);
	mpdp_ctrl_unwatch(retry_watch);
	wake_watch = retry_watch = NULL;
	if (wake_fd >= 0)
		close(wake_fd);
	if (retry_fd >= 0)
		close(retry_fd);
	wake_fd = retry_fd = -1;
	atomic_store(&link_dirty, 0);
}
