/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev.c - the port table: shared slots, process-local twins, the control
 * calls and the fast-path table.
 *
 * The primary is the only writer of a slot's (P) fields. It changes them
 * between two increments of the slot's seq (write_begin / write_end; nested
 * calls from driver hooks count as one), then bumps the table's `changes`
 * counter and tells the secondaries over IPC ("eth:changed"). A secondary
 * re-reads the table (eth_sync_locked) when that message arrives and at the
 * start of every control call, comparing `changes` with what it last saw:
 *
 *   - a slot that became live, or whose generation differs from the twin's,
 *     gets a new twin (the driver's attach hook, found by the slot's driver
 *     name; no driver here: the port is unavailable in this process);
 *   - a slot whose queue_gen differs from the twin's gets its queue handles
 *     rebuilt (queue_detach / queue_attach);
 *   - a slot that is no longer live loses its twin.
 *
 * A slot read with an odd or moving seq is left for the next sync.
 *
 * Queue claims and the seq: the primary refuses to reconfigure or close a
 * port on which another process holds a claim. It makes seq odd (seq_cst)
 * before it looks at the claims; a claimer reads seq, CASes its claim
 * (seq_cst) and re-reads seq: if seq moved it drops the claim and reports
 * -EAGAIN. Either the primary sees the claim or the claimer sees the change
 * (both sides store then load with seq_cst), so a queue is never
 * reconfigured under a process that believes it owns it.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ipc.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_memzone.h>
#include <mpdp/mpdp_proc.h>

#include "ethdev_private.h"

struct eth_local eth;
struct mpdp_eth_fp mpdp_eth_fp_[MPDP_MAX_PORTS];

uint16_t mpdp_eth_burst_none(void *q, struct mpdp_mbuf **pkts, uint16_t n)
{
	(void)q;
	(void)pkts;
	(void)n;
	return 0;
}

void eth_fp_reset_port(uint16_t port)
{
	for (unsigned int q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		mpdp_eth_fp_[port].rx[q].burst = mpdp_eth_burst_none;
		mpdp_eth_fp_[port].rx[q].q = NULL;
		mpdp_eth_fp_[port].tx[q].burst = mpdp_eth_burst_none;
		mpdp_eth_fp_[port].tx[q].q = NULL;
	}
}

__attribute__((constructor)) static void eth_local_init(void)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&eth.lock, &attr);
	pthread_mutexattr_destroy(&attr);
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++)
		eth_fp_reset_port(p);
	eth_fds_init();
}

void eth_lock(void)
{
	pthread_mutex_lock(&eth.lock);
	eth.lock_depth++;
}

/*
 * Unlock; the outermost unlock delivers the events queued meanwhile, with no
 * lock held, so a callback may call the API. Whatever call first saw a
 * change (a sync from IPC, a find, an info), its events reach the callback.
 */
void eth_unlock(void)
{
	struct eth_events evs;
	mpdp_eth_event_cb_t cb = NULL;
	void *arg = NULL;

	evs.n = 0;
	if (--eth.lock_depth == 0 && eth.pending.n > 0) {
		evs = eth.pending;
		eth.pending.n = 0;
		cb = eth.event_cb;
		arg = eth.event_arg;
	}
	pthread_mutex_unlock(&eth.lock);
	for (unsigned int i = 0; cb != NULL && i < evs.n; i++)
		cb(evs.e[i].port, evs.e[i].ev, arg);
}

int mpdp_eth_event_callback_set(mpdp_eth_event_cb_t cb, void *arg)
{
	eth_lock();
	eth.event_cb = cb;
	eth.event_arg = arg;
	eth_unlock();
	return 0;
}

const char *mpdp_eth_state_name(enum mpdp_eth_state state)
{
	switch (state) {
	case MPDP_ETH_STATE_UNUSED: return "unused";
	case MPDP_ETH_STATE_CREATING: return "creating";
	case MPDP_ETH_STATE_READY: return "ready";
	case MPDP_ETH_STATE_CONFIGURED: return "configured";
	case MPDP_ETH_STATE_STARTED: return "started";
	case MPDP_ETH_STATE_CLOSING: return "closing";
	}
	return "invalid";
}

static int state_live(uint32_t s)
{
	return s >= MPDP_ETH_STATE_READY && s <= MPDP_ETH_STATE_STARTED;
}

/* ------------------------------------------------------------ seqlock writes */

void mpdp_eth_dev_write_begin(struct mpdp_eth_dev *dev)
{
	struct mpdp_eth_dev_shm *s = dev->shm;

	if (eth.write_depth[dev->port_id]++ == 0) {
		/* odd: readers retry. seq_cst: ordered before the claim checks
		 * that follow (pairs with the claimer's CAS, file comment) */
		atomic_store(&s->seq, atomic_load_explicit(&s->seq, memory_order_relaxed) + 1);
		atomic_thread_fence(memory_order_seq_cst);
	}
}

void mpdp_eth_dev_write_end(struct mpdp_eth_dev *dev)
{
	struct mpdp_eth_dev_shm *s = dev->shm;

	if (--eth.write_depth[dev->port_id] == 0)
		/* even: release publishes the writes (pairs with the reader's
		 * acquire load of seq) */
		atomic_store_explicit(&s->seq,
				      atomic_load_explicit(&s->seq, memory_order_relaxed) + 1,
				      memory_order_release);
}

static void set_state(struct mpdp_eth_dev *dev, enum mpdp_eth_state st)
{
	/* release: pairs with the acquire load in port_state() */
	atomic_store_explicit(&dev->shm->state, (uint32_t)st, memory_order_release);
}

static uint32_t port_state(uint16_t port)
{
	return atomic_load_explicit(&eth.table->ports[port].state, memory_order_acquire);
}

void eth_announce(void)
{
	struct mpdp_ipc_msg msg;

	/* release: a secondary that sees the new count sees the slots */
	atomic_fetch_add_explicit(&eth.table->changes, 1, memory_order_release);
	if (mpdp_ipc_msg_init(&msg, "eth:changed") == 0) {
		/* the ports' fds ride along: a secondary needs them to attach */
		if (eth_fds_put(&msg) != 0)
			ETH_LOG(ERR, "cannot add the ports' fds to the change announcement");
		(void)mpdp_ipc_send(&msg, MPDP_IPC_ALL);
		mpdp_ipc_msg_fini(&msg);
	}
}

/* ------------------------------------------------------------ twins */

static void queue_detach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q)
{
	void **h = dir == MPDP_ETH_RX ? &dev->rxq[q] : &dev->txq[q];

	if (dir == MPDP_ETH_RX) {
		mpdp_eth_fp_[dev->port_id].rx[q].burst = mpdp_eth_burst_none;
		mpdp_eth_fp_[dev->port_id].rx[q].q = NULL;
	} else {
		mpdp_eth_fp_[dev->port_id].tx[q].burst = mpdp_eth_burst_none;
		mpdp_eth_fp_[dev->port_id].tx[q].q = NULL;
	}
	if (*h != NULL && dev->drv != NULL && dev->drv->ops->queue_detach != NULL)
		dev->drv->ops->queue_detach(dev, dir, q, *h);
	*h = NULL;
}

static int queue_attach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q)
{
	void *h = NULL;
	int rc = dev->drv->ops->queue_attach(dev, dir, q, &h);

	if (rc == -EAGAIN)
		return rc; /* retried at the next sync */
	if (rc != 0) {
		ETH_LOG(ERR, "port %u (%s): %s queue %u: attach failed: %s", dev->port_id,
			dev->shm->name, dir == MPDP_ETH_RX ? "rx" : "tx", q, strerror(-rc));
		return rc;
	}
	if (dir == MPDP_ETH_RX) {
		dev->rxq[q] = h;
		mpdp_eth_fp_[dev->port_id].rx[q].q = h;
		mpdp_eth_fp_[dev->port_id].rx[q].burst = dev->drv->ops->rx_burst;
	} else {
		dev->txq[q] = h;
		mpdp_eth_fp_[dev->port_id].tx[q].q = h;
		mpdp_eth_fp_[dev->port_id].tx[q].burst = dev->drv->ops->tx_burst;
	}
	return 0;
}

void eth_twin_queues_detach(struct mpdp_eth_dev *dev)
{
	for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		queue_detach(dev, MPDP_ETH_RX, q);
		queue_detach(dev, MPDP_ETH_TX, q);
	}
}

/*
 * (Re)build the queue handles of an available twin from its slot. Returns
 * -EAGAIN when a driver waits for something still on its way (its fds).
 */
static int twin_queues_attach(struct mpdp_eth_dev *dev)
{
	int again = 0;

	struct mpdp_eth_dev_shm *s = dev->shm;
	uint16_t nrx = s->nb_rx_queues, ntx = s->nb_tx_queues;

	eth_twin_queues_detach(dev);
	if (nrx > MPDP_ETH_MAX_QUEUES)
		nrx = 0; /* distrust the slot: a port with no queues rather than a crash */
	if (ntx > MPDP_ETH_MAX_QUEUES)
		ntx = 0;
	for (uint16_t q = 0; q < nrx; q++)
		if (s->rxq[q].nb_desc != 0 && queue_attach(dev, MPDP_ETH_RX, q) == -EAGAIN)
			again = 1;
	for (uint16_t q = 0; q < ntx; q++)
		if (s->txq[q].nb_desc != 0 && queue_attach(dev, MPDP_ETH_TX, q) == -EAGAIN)
			again = 1;
	eth.queue_gen[dev->port_id] = s->queue_gen;
	return again ? -EAGAIN : 0;
}

/* Drop this process's twin of port: queue handles, the driver's state. */
void eth_twin_detach(uint16_t port)
{
	struct mpdp_eth_dev *dev = &eth.devs[port];

	if (!eth.present[port])
		return;
	eth_twin_queues_detach(dev);
	eth_capture_port_gone(port);
	if (dev->drv != NULL && eth.available[port] && dev->drv->ops->detach != NULL)
		dev->drv->ops->detach(dev);
	eth_fp_reset_port(port);
	eth_fds_close_port(port);
	memset(dev, 0, sizeof(*dev));
	eth.present[port] = 0;
	eth.available[port] = 0;
	eth.queue_gen[port] = 0;
}

/* Secondary: build the twin of a live slot. Returns 0, or -EAGAIN if the slot moved. */
static int twin_attach(uint16_t port, uint32_t seq)
{
	struct mpdp_eth_dev_shm *s = &eth.table->ports[port];
	struct mpdp_eth_dev *dev = &eth.devs[port];
	char driver[MPDP_NAME_SIZE], name[MPDP_NAME_SIZE];
	const struct mpdp_eth_driver *drv;
	uint32_t gen = s->generation;
	int rc;

	memcpy(driver, s->driver, sizeof(driver));
	memcpy(name, s->name, sizeof(name));
	driver[sizeof(driver) - 1] = '\0';
	name[sizeof(name) - 1] = '\0';
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&s->seq, memory_order_relaxed) != seq)
		return -EAGAIN;
	memset(dev, 0, sizeof(*dev));
	dev->port_id = port;
	dev->shm = s;
	dev->generation = gen;
	eth.present[port] = 1;
	drv = mpdp_eth_driver_find(driver);
	if (drv == NULL) {
		ETH_LOG(NOTICE, "port %u (%s): driver %s is not in this program; the port is "
				"unavailable in this process", port, name, driver);
	} else if (drv->ops->attach != NULL && (dev->drv = drv, rc = drv->ops->attach(dev)) != 0) {
		if (rc == -EAGAIN) {
			/* waits for its fds: try again at the next sync */
			memset(dev, 0, sizeof(*dev));
			eth.present[port] = 0;
			return -EAGAIN;
		}
		ETH_LOG(ERR, "port %u (%s): driver %s could not attach; the port is unavailable "
			     "in this process", port, name, driver);
		dev->drv = NULL;
	} else {
		dev->drv = drv;
		eth.available[port] = 1;
	}
	eth_event_add(port, MPDP_ETH_EVENT_NEW);
	return 0;
}

/*
 * Secondary: bring the twins in line with the shared table. Under eth.lock.
 * Slots caught mid-change are left for the next call (they will announce
 * again when they are done).
 */
void eth_sync_locked(void)
{
	uint64_t changes;
	int pending = 0;

	if (!eth.ready || eth.primary)
		return;
	/* acquire: pairs with the primary's release increment in eth_announce() */
	changes = atomic_load_explicit(&eth.table->changes, memory_order_acquire);
	if (changes == eth.seen_changes)
		return;
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++) {
		struct mpdp_eth_dev_shm *s = &eth.table->ports[p];
		/* acquire: pairs with the release in mpdp_eth_dev_write_end() */
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		uint32_t st, gen, qgen;

		if (seq & 1) {
			pending = 1;
			continue;
		}
		st = port_state(p);
		gen = s->generation;
		qgen = s->queue_gen;
		if (eth.present[p] && (!state_live(st) || eth.devs[p].generation != gen)) {
			eth_twin_detach(p);
			eth_event_add(p, MPDP_ETH_EVENT_CLOSED);
		}
		if (!state_live(st))
			continue;
		if (!eth.present[p] && twin_attach(p, seq) != 0) {
			pending = 1;
			continue;
		}
		if (eth.available[p] && eth.queue_gen[p] != qgen) {
			int again = twin_queues_attach(&eth.devs[p]) == -EAGAIN;

			atomic_thread_fence(memory_order_acquire);
			if (again || atomic_load_explicit(&s->seq, memory_order_relaxed) != seq) {
				/* read while the primary changed it: redo next time */
				eth.queue_gen[p] = qgen - 1;
				pending = 1;
			}
			eth_event_add(p, MPDP_ETH_EVENT_CONFIGURED);
		}
		if (eth.available[p])
			eth_capture_sync(p);
	}
	if (!pending)
		eth.seen_changes = changes;
}

void mpdp_eth_dev_sync(void)
{
	eth_lock();
	eth_sync_locked();
	eth_unlock();
}

/*
 * Start of every control call: lock, sync (secondary), and resolve port to
 * its live twin. Returns the twin or NULL with *rc set; the lock is held
 * either way, release it with leave().
 */
static struct mpdp_eth_dev *enter(uint16_t port, int *rc)
{
	eth_lock();
	if (!eth.ready) {
		*rc = -ENODEV;
		return NULL;
	}
	eth_sync_locked();
	if (port >= MPDP_MAX_PORTS || !eth.present[port] || !state_live(port_state(port))) {
		*rc = -ENODEV;
		return NULL;
	}
	*rc = 0;
	return &eth.devs[port];
}

static void leave(void)
{
	eth_unlock();
}

/* enter() for calls only the primary may make. */
static struct mpdp_eth_dev *enter_primary(uint16_t port, const char *what, int *rc)
{
	struct mpdp_eth_dev *dev = enter(port, rc);

	if (dev != NULL && !eth.primary) {
		ETH_LOG(ERR, "port %u: %s is a primary-only call (this is a secondary)", port, what);
		*rc = -EPERM;
		return NULL;
	}
	return dev;
}

/* ------------------------------------------------------------ ports and information */

int mpdp_eth_dev_is_valid(uint16_t port)
{
	int rc, ok;

	ok = enter(port, &rc) != NULL;
	leave();
	return ok;
}

uint16_t mpdp_eth_port_next(uint16_t port)
{
	uint16_t p;

	eth_lock();
	if (!eth.ready) {
		eth_unlock();
		return MPDP_MAX_PORTS;
	}
	eth_sync_locked();
	for (p = port; p < MPDP_MAX_PORTS; p++)
		if (eth.present[p] && state_live(port_state(p)))
			break;
	leave();
	return p;
}

unsigned int mpdp_eth_dev_count(void)
{
	unsigned int n = 0;
	uint16_t p;

	MPDP_ETH_FOREACH_PORT(p)
		n++;
	return n;
}

int mpdp_eth_dev_find(const char *name, uint16_t *port)
{
	int rc = -ENOENT;

	if (name == NULL || port == NULL)
		return -EINVAL;
	eth_lock();
	if (!eth.ready) {
		eth_unlock();
		return -ENODEV;
	}
	eth_sync_locked();
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++) {
		if (eth.present[p] && state_live(port_state(p)) &&
		    strncmp(eth.table->ports[p].name, name, MPDP_NAME_SIZE) == 0) {
			*port = p;
			rc = 0;
			break;
		}
	}
	eth_unlock();
	return rc;
}

/* Copy a slot's (P) fields under its seqlock. 0, or -EAGAIN after retries. */
static int slot_snapshot(uint16_t port, struct mpdp_eth_dev_info *info)
{
	const struct mpdp_eth_dev_shm *s = &eth.table->ports[port];

	for (int tries = 0; tries < 1000; tries++) {
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);

		if (seq & 1) {
			usleep(tries < 10 ? 0 : 100);
			continue;
		}
		memset(info, 0, sizeof(*info));
		info->port_id = port;
		memcpy(info->name, s->name, sizeof(info->name));
		memcpy(info->driver, s->driver, sizeof(info->driver));
		memcpy(info->bus, s->bus, sizeof(info->bus));
		memcpy(info->devargs, s->devargs, sizeof(info->devargs));
		info->state = (enum mpdp_eth_state)atomic_load_explicit(&s->state,
								       memory_order_relaxed);
		info->generation = s->generation;
		info->numa_node = s->numa_node;
		info->max_rx_queues = s->max_rx_queues;
		info->max_tx_queues = s->max_tx_queues;
		info->nb_rx_queues = s->nb_rx_queues;
		info->nb_tx_queues = s->nb_tx_queues;
		info->min_desc = s->min_desc;
		info->max_desc = s->max_desc;
		info->mtu = s->mtu;
		info->min_mtu = s->min_mtu;
		info->max_mtu = s->max_mtu;
		info->mac = s->mac;
		info->promiscuous = s->promiscuous;
		info->link = s->link;
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) != seq)
			continue;
		info->name[sizeof(info->name) - 1] = '\0';
		info->driver[sizeof(info->driver) - 1] = '\0';
		info->bus[sizeof(info->bus) - 1] = '\0';
		info->devargs[sizeof(info->devargs) - 1] = '\0';
		if (info->nb_rx_queues > MPDP_ETH_MAX_QUEUES)
			info->nb_rx_queues = MPDP_ETH_MAX_QUEUES;
		if (info->nb_tx_queues > MPDP_ETH_MAX_QUEUES)
			info->nb_tx_queues = MPDP_ETH_MAX_QUEUES;
		return 0;
	}
	return -EAGAIN;
}

int mpdp_eth_dev_info_get(uint16_t port, struct mpdp_eth_dev_info *info)
{
	struct mpdp_eth_dev_info tmp;
	int rc;

	if (info == NULL)
		return -EINVAL;
	if (enter(port, &rc) != NULL) {
		rc = slot_snapshot(port, &tmp);
		if (rc == 0 && !state_live(tmp.state))
			rc = -ENODEV;
		if (rc == 0) {
			tmp.available = eth.available[port];
			*info = tmp;
		}
	}
	if (rc == -ENODEV && !eth.ready)
		rc = -ENOENT;
	leave();
	return rc;
}

int mpdp_eth_link_get(uint16_t port, struct mpdp_eth_link *link)
{
	struct mpdp_eth_dev_info info;
	int rc;

	if (link == NULL)
		return -EINVAL;
	rc = mpdp_eth_dev_info_get(port, &info);
	if (rc == 0)
		*link = info.link;
	return rc;
}

int mpdp_eth_macaddr_get(uint16_t port, struct mpdp_ether_addr *mac)
{
	struct mpdp_eth_dev_info info;
	int rc;

	if (mac == NULL)
		return -EINVAL;
	rc = mpdp_eth_dev_info_get(port, &info);
	if (rc == 0)
		*mac = info.mac;
	return rc;
}

int mpdp_eth_mtu_get(uint16_t port, uint16_t *mtu)
{
	struct mpdp_eth_dev_info info;
	int rc;

	if (mtu == NULL)
		return -EINVAL;
	rc = mpdp_eth_dev_info_get(port, &info);
	if (rc == 0)
		*mtu = info.mtu;
	return rc;
}

int mpdp_eth_promiscuous_get(uint16_t port)
{
	struct mpdp_eth_dev_info info;
	int rc = mpdp_eth_dev_info_get(port, &info);

	return rc == 0 ? info.promiscuous : rc;
}

/* ------------------------------------------------------------ claims */

/* The claim word of this process. */
static uint64_t own_claim(void)
{
	return MPDP_ETH_OWNER(mpdp_proc_id(), getpid());
}

int eth_owner_alive(uint64_t owner)
{
	int pid = MPDP_ETH_OWNER_PID(owner);

	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* Another process holds a queue of dev. Logs the first one found. */
static int foreign_claims(struct mpdp_eth_dev *dev, const char *what)
{
	uint64_t me = own_claim();

	for (int d = 0; d < 2; d++) {
		for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
			struct mpdp_eth_queue_shm *qs = d ? &dev->shm->txq[q] : &dev->shm->rxq[q];
			uint64_t o = atomic_load(&qs->owner);

			if (o == 0 || o == me || !eth_owner_alive(o))
				continue;
			ETH_LOG(ERR, "port %u (%s): cannot %s: %s queue %u is claimed by process "
				     "%d (pid %d)", dev->port_id, dev->shm->name, what,
				d ? "tx" : "rx", q, MPDP_ETH_OWNER_PROC(o), MPDP_ETH_OWNER_PID(o));
			return 1;
		}
	}
	return 0;
}

static struct mpdp_eth_queue_shm *queue_slot(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir,
					     uint16_t q)
{
	return dir == MPDP_ETH_RX ? &dev->shm->rxq[q] : &dev->shm->txq[q];
}

static const char *dir_name(enum mpdp_eth_dir dir)
{
	return dir == MPDP_ETH_RX ? "rx" : "tx";
}

int mpdp_eth_queue_claim(uint16_t port, enum mpdp_eth_dir dir, uint16_t q)
{
	struct mpdp_eth_dev *dev = enter(port, &(int){ 0 });
	struct mpdp_eth_queue_shm *qs;
	uint64_t me, cur;
	uint32_t seq;
	int rc = 0;

	if (dev == NULL) {
		leave();
		return -ENODEV;
	}
	if ((dir != MPDP_ETH_RX && dir != MPDP_ETH_TX) || q >= MPDP_ETH_MAX_QUEUES ||
	    q >= (dir == MPDP_ETH_RX ? dev->shm->nb_rx_queues : dev->shm->nb_tx_queues) ||
	    queue_slot(dev, dir, q)->nb_desc == 0) {
		ETH_LOG(ERR, "port %u (%s): cannot claim %s queue %u: no such queue set up", port,
			dev->shm->name, dir_name(dir), q);
		leave();
		return -EINVAL;
	}
	if (!eth.available[port]) {
		ETH_LOG(ERR, "port %u (%s): cannot claim %s queue %u: driver %s is not in this "
			     "program", port, dev->shm->name, dir_name(dir), q, dev->shm->driver);
		leave();
		return -ENOTSUP;
	}
	qs = queue_slot(dev, dir, q);
	me = own_claim();
	seq = atomic_load(&dev->shm->seq);
	if (!eth.primary && ((seq & 1) || eth.queue_gen[port] != dev->shm->queue_gen)) {
		leave();
		return -EAGAIN;
	}
	cur = 0;
	while (!atomic_compare_exchange_strong(&qs->owner, &cur, me)) {
		if (cur == me)
			break;
		if (eth_owner_alive(cur)) {
			ETH_LOG(ERR, "port %u (%s): %s queue %u is already claimed by process %d "
				     "(pid %d)", port, dev->shm->name, dir_name(dir), q,
				MPDP_ETH_OWNER_PROC(cur), MPDP_ETH_OWNER_PID(cur));
			rc = -EBUSY;
			break;
		}
		/* the holder died and the primary has not released it yet: take it over */
		ETH_LOG(INFO, "port %u: %s queue %u: claim of dead pid %d taken over", port,
			dir_name(dir), q, MPDP_ETH_OWNER_PID(cur));
	}
	/* seq_cst load after the seq_cst CAS: see the file comment */
	if (rc == 0 && !eth.primary && atomic_load(&dev->shm->seq) != seq) {
		uint64_t mine = me;

		(void)atomic_compare_exchange_strong(&qs->owner, &mine, 0);
		rc = -EAGAIN;
	}
	leave();
	return rc;
}

int mpdp_eth_queue_release(uint16_t port, enum mpdp_eth_dir dir, uint16_t q)
{
	struct mpdp_eth_dev *dev = enter(port, &(int){ 0 });
	uint64_t me = own_claim();
	int rc = 0;

	if (dev == NULL)
		rc = -ENODEV;
	else if ((dir != MPDP_ETH_RX && dir != MPDP_ETH_TX) || q >= MPDP_ETH_MAX_QUEUES)
		rc = -EINVAL;
	else if (!atomic_compare_exchange_strong(&queue_slot(dev, dir, q)->owner, &me, 0))
		rc = -EPERM;
	leave();
	return rc;
}

int mpdp_eth_queue_owner(uint16_t port, enum mpdp_eth_dir dir, uint16_t q, int *proc_id,
			 int *pid)
{
	struct mpdp_eth_dev *dev = enter(port, &(int){ 0 });
	uint64_t o;
	int rc = 0;

	if (dev == NULL) {
		rc = -ENODEV;
	} else if ((dir != MPDP_ETH_RX && dir != MPDP_ETH_TX) || q >= MPDP_ETH_MAX_QUEUES) {
		rc = -EINVAL;
	} else {
		o = atomic_load(&queue_slot(dev, dir, q)->owner);
		if (o == 0) {
			rc = -ENOENT;
		} else {
			if (proc_id != NULL)
				*proc_id = MPDP_ETH_OWNER_PROC(o);
			if (pid != NULL)
				*pid = MPDP_ETH_OWNER_PID(o);
		}
	}
	leave();
	return rc;
}

/* This process's claims on dev, all dropped (close, leaving). */
static void release_own_claims(struct mpdp_eth_dev *dev)
{
	uint64_t me = own_claim();

	for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		uint64_t a = me, b = me;

		(void)atomic_compare_exchange_strong(&dev->shm->rxq[q].owner, &a, 0);
		(void)atomic_compare_exchange_strong(&dev->shm->txq[q].owner, &b, 0);
	}
}

/*
 * Primary exit hook (control thread): a process left or died; its claims go.
 * Touches only the claim words, so it needs no lock against the main thread.
 */
static void claims_exit_hook(int proc_id, int pid, const uint16_t *lcores, unsigned int nb,
			     void *arg)
{
	uint64_t gone = MPDP_ETH_OWNER(proc_id, pid);
	unsigned int n = 0;

	(void)lcores;
	(void)nb;
	(void)arg;
	if (eth.table == NULL)
		return;
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++) {
		for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
			uint64_t a = gone, b = gone;

			n += atomic_compare_exchange_strong(&eth.table->ports[p].rxq[q].owner, &a, 0);
			n += atomic_compare_exchange_strong(&eth.table->ports[p].txq[q].owner, &b, 0);
		}
	}
	if (n > 0)
		ETH_LOG(INFO, "released %u queue claim(s) of process %d (pid %d)", n, proc_id, pid);
	eth_capture_exit(proc_id, pid);
}

/* ------------------------------------------------------------ control (primary) */

/* Drop one queue's set-up: this process's handle, then the driver's shared state. */
static void queue_unset(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q)
{
	struct mpdp_eth_queue_shm *qs = queue_slot(dev, dir, q);

	if (qs->nb_desc == 0)
		return;
	queue_detach(dev, dir, q);
	if (dev->drv->ops->queue_release != NULL)
		dev->drv->ops->queue_release(dev, dir, q);
	qs->nb_desc = 0;
	qs->mempool_id = 0;
	qs->drv_off = 0;
	memset(qs->drv_data, 0, sizeof(qs->drv_data));
}

static void queues_unset_all(struct mpdp_eth_dev *dev)
{
	for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		queue_unset(dev, MPDP_ETH_RX, q);
		queue_unset(dev, MPDP_ETH_TX, q);
	}
}

static void announce_event(uint16_t port, enum mpdp_eth_event ev)
{
	eth_announce();
	eth_event_add(port, ev);
	leave();
}

int mpdp_eth_dev_configure(uint16_t port, uint16_t nb_rxq, uint16_t nb_txq,
			   const struct mpdp_eth_conf *conf)
{
	struct mpdp_eth_dev *dev;
	struct mpdp_eth_dev_shm *s;
	uint16_t old_mtu;
	int rc;

	dev = enter_primary(port, "configure", &rc);
	if (dev == NULL)
		goto out;
	s = dev->shm;
	if (port_state(port) == MPDP_ETH_STATE_STARTED) {
		ETH_LOG(ERR, "port %u (%s): cannot configure a started port; stop it first", port,
			s->name);
		rc = -EBUSY;
		goto out;
	}
	if (nb_rxq == 0 || nb_txq == 0 || nb_rxq > s->max_rx_queues || nb_txq > s->max_tx_queues) {
		ETH_LOG(ERR, "port %u (%s): %u rx / %u tx queues requested; the port has 1..%u rx "
			     "and 1..%u tx", port, s->name, nb_rxq, nb_txq, s->max_rx_queues,
			s->max_tx_queues);
		rc = -EINVAL;
		goto out;
	}
	if (conf != NULL && conf->mtu != 0 && (conf->mtu < s->min_mtu || conf->mtu > s->max_mtu)) {
		ETH_LOG(ERR, "port %u (%s): MTU %u outside %u..%u", port, s->name, conf->mtu,
			s->min_mtu, s->max_mtu);
		rc = -EINVAL;
		goto out;
	}
	mpdp_eth_dev_write_begin(dev);
	if (foreign_claims(dev, "configure")) {
		mpdp_eth_dev_write_end(dev);
		rc = -EBUSY;
		goto out;
	}
	queues_unset_all(dev);
	old_mtu = s->mtu;
	s->nb_rx_queues = nb_rxq;
	s->nb_tx_queues = nb_txq;
	if (conf != NULL && conf->mtu != 0)
		s->mtu = conf->mtu;
	if (dev->drv->ops->configure != NULL) {
		rc = dev->drv->ops->configure(dev);
		if (rc != 0) {
			ETH_LOG(ERR, "port %u (%s): driver refused the configuration: %s", port,
				s->name, strerror(-rc));
			s->mtu = old_mtu;
			s->nb_rx_queues = s->nb_tx_queues = 0;
			set_state(dev, MPDP_ETH_STATE_READY);
			s->queue_gen++;
			mpdp_eth_dev_write_end(dev);
			announce_event(port, MPDP_ETH_EVENT_CONFIGURED);
			return rc;
		}
	}
	if (conf != NULL && conf->promiscuous >= 0) {
		if (dev->drv->ops->promiscuous_set != NULL)
			(void)dev->drv->ops->promiscuous_set(dev, conf->promiscuous);
		s->promiscuous = conf->promiscuous != 0;
	}
	for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		uint64_t me = own_claim();

		/* our own claims on queues that no longer exist go */
		if (q >= nb_rxq)
			(void)atomic_compare_exchange_strong(&s->rxq[q].owner, &(uint64_t){ me }, 0);
		if (q >= nb_txq)
			(void)atomic_compare_exchange_strong(&s->txq[q].owner, &(uint64_t){ me }, 0);
	}
	set_state(dev, MPDP_ETH_STATE_CONFIGURED);
	s->queue_gen++;
	eth.queue_gen[port] = s->queue_gen;
	mpdp_eth_dev_write_end(dev);
	announce_event(port, MPDP_ETH_EVENT_CONFIGURED);
	return 0;
out:
	leave();
	return rc;
}

static int queue_setup(uint16_t port, enum mpdp_eth_dir dir, uint16_t q, uint16_t nb_desc,
		       struct mpdp_mempool *mp)
{
	struct mpdp_eth_dev *dev;
	struct mpdp_eth_dev_shm *s;
	struct mpdp_eth_queue_shm *qs;
	int rc;

	dev = enter_primary(port, dir == MPDP_ETH_RX ? "rx queue setup" : "tx queue setup", &rc);
	if (dev == NULL)
		goto out;
	s = dev->shm;
	if (port_state(port) == MPDP_ETH_STATE_STARTED) {
		ETH_LOG(ERR, "port %u (%s): cannot set up a queue of a started port", port, s->name);
		rc = -EBUSY;
		goto out;
	}
	if (port_state(port) != MPDP_ETH_STATE_CONFIGURED) {
		ETH_LOG(ERR, "port %u (%s): configure the port before setting up queues", port,
			s->name);
		rc = -EINVAL;
		goto out;
	}
	if (q >= (dir == MPDP_ETH_RX ? s->nb_rx_queues : s->nb_tx_queues)) {
		ETH_LOG(ERR, "port %u (%s): %s queue %u does not exist (%u configured)", port,
			s->name, dir_name(dir), q,
			dir == MPDP_ETH_RX ? s->nb_rx_queues : s->nb_tx_queues);
		rc = -EINVAL;
		goto out;
	}
	if (nb_desc == 0)
		nb_desc = 1024;
	if (nb_desc < s->min_desc)
		nb_desc = s->min_desc;
	if (nb_desc > s->max_desc)
		nb_desc = s->max_desc;
	if (dir == MPDP_ETH_RX && (mp == NULL || mpdp_mbuf_pool_data_room(mp) == 0)) {
		ETH_LOG(ERR, "port %u (%s): rx queue %u needs a packet (mbuf) pool", port, s->name,
			q);
		rc = -EINVAL;
		goto out;
	}
	qs = queue_slot(dev, dir, q);
	mpdp_eth_dev_write_begin(dev);
	if (foreign_claims(dev, "set up a queue")) {
		mpdp_eth_dev_write_end(dev);
		rc = -EBUSY;
		goto out;
	}
	queue_unset(dev, dir, q);
	qs->nb_desc = nb_desc;
	qs->mempool_id = mp != NULL ? mp->id : 0;
	rc = dir == MPDP_ETH_RX ? (dev->drv->ops->rx_queue_setup != NULL
					   ? dev->drv->ops->rx_queue_setup(dev, q, nb_desc, mp)
					   : 0)
				: (dev->drv->ops->tx_queue_setup != NULL
					   ? dev->drv->ops->tx_queue_setup(dev, q, nb_desc)
					   : 0);
	if (rc == 0)
		rc = queue_attach(dev, dir, q);
	if (rc != 0) {
		ETH_LOG(ERR, "port %u (%s): %s queue %u setup failed: %s", port, s->name,
			dir_name(dir), q, strerror(-rc));
		queue_unset(dev, dir, q);
	}
	s->queue_gen++;
	eth.queue_gen[port] = s->queue_gen;
	mpdp_eth_dev_write_end(dev);
	eth_announce();
out:
	leave();
	return rc;
}

int mpdp_eth_rx_queue_setup(uint16_t port, uint16_t q, uint16_t nb_desc, struct mpdp_mempool *mp)
{
	return queue_setup(port, MPDP_ETH_RX, q, nb_desc, mp);
}

int mpdp_eth_tx_queue_setup(uint16_t port, uint16_t q, uint16_t nb_desc)
{
	return queue_setup(port, MPDP_ETH_TX, q, nb_desc, NULL);
}

int mpdp_eth_dev_start(uint16_t port)
{
	struct mpdp_eth_dev_shm *s;
	struct mpdp_eth_dev *dev;
	int rc;

	dev = enter_primary(port, "start", &rc);
	if (dev == NULL)
		goto out;
	s = dev->shm;
	if (port_state(port) == MPDP_ETH_STATE_STARTED)
		goto out;
	if (port_state(port) != MPDP_ETH_STATE_CONFIGURED) {
		ETH_LOG(ERR, "port %u (%s): configure the port and set up its queues before start",
			port, s->name);
		rc = -EINVAL;
		goto out;
	}
	for (int d = 0; d < 2; d++) {
		uint16_t n = d ? s->nb_tx_queues : s->nb_rx_queues;

		for (uint16_t q = 0; q < n; q++) {
			if ((d ? s->txq[q].nb_desc : s->rxq[q].nb_desc) == 0) {
				ETH_LOG(ERR, "port %u (%s): %s queue %u is not set up", port, s->name,
					d ? "tx" : "rx", q);
				rc = -EINVAL;
				goto out;
			}
		}
	}
	mpdp_eth_dev_write_begin(dev);
	if (dev->drv->ops->start != NULL)
		rc = dev->drv->ops->start(dev);
	if (rc == 0) {
		if (dev->drv->ops->link_update != NULL)
			(void)dev->drv->ops->link_update(dev);
		set_state(dev, MPDP_ETH_STATE_STARTED);
	} else {
		ETH_LOG(ERR, "port %u (%s): start failed: %s", port, s->name, strerror(-rc));
	}
	mpdp_eth_dev_write_end(dev);
	if (rc == 0) {
		announce_event(port, MPDP_ETH_EVENT_STARTED);
		return 0;
	}
out:
	leave();
	return rc;
}

int eth_stop_locked(uint16_t port)
{
	struct mpdp_eth_dev *dev = &eth.devs[port];

	if (port_state(port) != MPDP_ETH_STATE_STARTED)
		return 0;
	mpdp_eth_dev_write_begin(dev);
	if (dev->drv->ops->stop != NULL)
		dev->drv->ops->stop(dev);
	set_state(dev, MPDP_ETH_STATE_CONFIGURED);
	if (dev->drv->ops->link_update != NULL)
		(void)dev->drv->ops->link_update(dev);
	mpdp_eth_dev_write_end(dev);
	return 1;
}

int mpdp_eth_dev_stop(uint16_t port)
{
	int rc;

	if (enter_primary(port, "stop", &rc) == NULL) {
		leave();
		return rc;
	}
	if (eth_stop_locked(port)) {
		announce_event(port, MPDP_ETH_EVENT_STOPPED);
		return 0;
	}
	leave();
	return 0;
}

/* Primary, under the lock. force: at cleanup, claims of others do not matter. */
int eth_close_locked(uint16_t port, int force)
{
	struct mpdp_eth_dev *dev = &eth.devs[port];
	struct mpdp_eth_dev_shm *s = dev->shm;
	uint32_t gen;

	if (!force && port_state(port) == MPDP_ETH_STATE_STARTED) {
		ETH_LOG(ERR, "port %u (%s): cannot close a started port; stop it first", port,
			s->name);
		return -EBUSY;
	}
	mpdp_eth_dev_write_begin(dev);
	if (!force && foreign_claims(dev, "close")) {
		mpdp_eth_dev_write_end(dev);
		return -EBUSY;
	}
	set_state(dev, MPDP_ETH_STATE_CLOSING);
	mpdp_eth_dev_write_end(dev);
	eth_announce(); /* secondaries drop their twins */

	mpdp_eth_dev_write_begin(dev);
	queues_unset_all(dev);
	if (dev->drv->ops->close != NULL)
		dev->drv->ops->close(dev);
	if (dev->drv->ops->detach != NULL)
		dev->drv->ops->detach(dev);
	release_own_claims(dev);
	gen = s->generation;
	/* keep seq (the seqlock) and the generation; clear everything else */
	memset((char *)s + offsetof(struct mpdp_eth_dev_shm, queue_gen), 0,
	       sizeof(*s) - offsetof(struct mpdp_eth_dev_shm, queue_gen));
	s->port_id = port;
	s->generation = gen + 1;
	set_state(dev, MPDP_ETH_STATE_UNUSED);
	mpdp_eth_dev_write_end(dev);
	eth_fp_reset_port(port);
	eth_capture_port_gone(port);
	eth_fds_close_port(port);
	memset(dev, 0, sizeof(*dev));
	eth.present[port] = 0;
	eth.available[port] = 0;
	eth_announce();
	return 0;
}

int mpdp_eth_dev_close(uint16_t port)
{
	int rc;

	if (enter_primary(port, "close", &rc) == NULL) {
		leave();
		return rc;
	}
	rc = eth_close_locked(port, 0);
	if (rc == 0)
		eth_event_add(port, MPDP_ETH_EVENT_CLOSED);
	leave();
	return rc;
}

int mpdp_eth_promiscuous_set(uint16_t port, int on)
{
	struct mpdp_eth_dev *dev;
	int rc;

	dev = enter_primary(port, "promiscuous mode", &rc);
	if (dev == NULL) {
		leave();
		return rc;
	}
	mpdp_eth_dev_write_begin(dev);
	if (dev->drv->ops->promiscuous_set != NULL)
		rc = dev->drv->ops->promiscuous_set(dev, on != 0);
	if (rc == 0)
		dev->shm->promiscuous = on != 0;
	mpdp_eth_dev_write_end(dev);
	eth_announce();
	leave();
	return rc;
}

int mpdp_eth_macaddr_set(uint16_t port, const struct mpdp_ether_addr *mac)
{
	struct mpdp_eth_dev *dev;
	int rc = 0;

	if (mac == NULL || !mpdp_ether_addr_is_valid_assigned(mac)) {
		ETH_LOG(ERR, "port %u: a port address must be unicast and not zero", port);
		return -EINVAL;
	}
	dev = enter_primary(port, "MAC address set", &rc);
	if (dev == NULL) {
		leave();
		return rc;
	}
	mpdp_eth_dev_write_begin(dev);
	if (dev->drv->ops->macaddr_set != NULL)
		rc = dev->drv->ops->macaddr_set(dev, mac);
	if (rc == 0)
		dev->shm->mac = *mac;
	mpdp_eth_dev_write_end(dev);
	eth_announce();
	leave();
	return rc;
}

int mpdp_eth_mtu_set(uint16_t port, uint16_t mtu)
{
	struct mpdp_eth_dev *dev;
	int rc = 0;

	dev = enter_primary(port, "MTU set", &rc);
	if (dev == NULL) {
		leave();
		return rc;
	}
	if (port_state(port) == MPDP_ETH_STATE_STARTED) {
		ETH_LOG(ERR, "port %u (%s): stop the port before changing its MTU", port,
			dev->shm->name);
		rc = -EBUSY;
	} else if (mtu < dev->shm->min_mtu || mtu > dev->shm->max_mtu) {
		ETH_LOG(ERR, "port %u (%s): MTU %u outside %u..%u", port, dev->shm->name, mtu,
			dev->shm->min_mtu, dev->shm->max_mtu);
		rc = -EINVAL;
	} else {
		mpdp_eth_dev_write_begin(dev);
		if (dev->drv->ops->mtu_set != NULL)
			rc = dev->drv->ops->mtu_set(dev, mtu);
		if (rc == 0)
			dev->shm->mtu = mtu;
		mpdp_eth_dev_write_end(dev);
		eth_announce();
	}
	leave();
	return rc;
}

int mpdp_eth_link_update(uint16_t port)
{
	struct mpdp_eth_dev *dev;
	int rc = 0;

	dev = enter_primary(port, "link update", &rc);
	if (dev == NULL) {
		leave();
		return rc;
	}
	if (dev->drv->ops->link_update != NULL) {
		mpdp_eth_dev_write_begin(dev);
		rc = dev->drv->ops->link_update(dev);
		mpdp_eth_dev_write_end(dev);
		eth_announce();
	}
	leave();
	return rc;
}

/* ------------------------------------------------------------ statistics */

/* counter - baseline; the baseline is read first (acquire, pairs with the
 * resetter's release), so it is never newer than the counter. */
static uint64_t since_reset(_Atomic uint64_t *cur, _Atomic uint64_t *base)
{
	uint64_t b = atomic_load_explicit(base, memory_order_acquire);
	uint64_t c = atomic_load_explicit(cur, memory_order_relaxed);

	return c >= b ? c - b : 0;
}

static void queue_counters(struct mpdp_eth_queue_shm *qs, uint64_t v[5])
{
	v[0] = since_reset(&qs->stats.packets, &qs->base.packets);
	v[1] = since_reset(&qs->stats.bytes, &qs->base.bytes);
	v[2] = since_reset(&qs->stats.errors, &qs->base.errors);
	v[3] = since_reset(&qs->stats.missed, &qs->base.missed);
	v[4] = since_reset(&qs->stats.nombuf, &qs->base.nombuf);
}

static uint16_t queues_of(const struct mpdp_eth_dev_shm *s, enum mpdp_eth_dir dir)
{
	uint16_t n = dir == MPDP_ETH_RX ? s->nb_rx_queues : s->nb_tx_queues;

	return n > MPDP_ETH_MAX_QUEUES ? MPDP_ETH_MAX_QUEUES : n;
}

int mpdp_eth_stats_get(uint16_t port, struct mpdp_eth_stats *st)
{
	struct mpdp_eth_dev *dev = enter(port, &(int){ 0 });
	struct mpdp_eth_dev_shm *s;
	uint64_t v[5];

	if (dev == NULL || st == NULL) {
		leave();
		return st == NULL ? -EINVAL : -ENODEV;
	}
	s = dev->shm;
	memset(st, 0, sizeof(*st));
	for (uint16_t q = 0; q < queues_of(s, MPDP_ETH_RX); q++) {
		queue_counters(&s->rxq[q], v);
		st->ipackets += v[0];
		st->ibytes += v[1];
		st->ierrors += v[2];
		st->imissed += v[3];
		st->rx_nombuf += v[4];
		st->q_ipackets[q] = v[0];
		st->q_ibytes[q] = v[1];
		st->q_errors[q] = v[2];
	}
	for (uint16_t q = 0; q < queues_of(s, MPDP_ETH_TX); q++) {
		queue_counters(&s->txq[q], v);
		st->opackets += v[0];
		st->obytes += v[1];
		st->oerrors += v[2];
		st->q_opackets[q] = v[0];
		st->q_obytes[q] = v[1];
	}
	leave();
	return 0;
}

static void queue_reset(struct mpdp_eth_queue_shm *qs)
{
	_Atomic uint64_t *cur = &qs->stats.packets, *base = &qs->base.packets;

	for (unsigned int i = 0; i < 5; i++)
		/* release: pairs with the acquire in since_reset() */
		atomic_store_explicit(&base[i], atomic_load_explicit(&cur[i], memory_order_relaxed),
				      memory_order_release);
}

int mpdp_eth_stats_reset(uint16_t port)
{
	struct mpdp_eth_dev *dev = enter(port, &(int){ 0 });

	if (dev == NULL) {
		leave();
		return -ENODEV;
	}
	for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		queue_reset(&dev->shm->rxq[q]);
		queue_reset(&dev->shm->txq[q]);
	}
	leave();
	return 0;
}

static void xstat_put(struct mpdp_eth_xstat *xs, unsigned int n, unsigned int *i,
		      uint64_t value, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void xstat_put(struct mpdp_eth_xstat *xs, unsigned int n, unsigned int *i,
		      uint64_t value, const char *fmt, ...)
{
	va_list ap;

	if (*i < n && xs != NULL) {
		va_start(ap, fmt);
		vsnprintf(xs[*i].name, sizeof(xs[*i].name), fmt, ap);
		va_end(ap);
		xs[*i].value = value;
	}
	(*i)++;
}

int mpdp_eth_xstats_get(uint16_t port, struct mpdp_eth_xstat *xs, unsigned int n)
{
	struct mpdp_eth_stats st;
	struct mpdp_eth_dev *dev;
	unsigned int i = 0;
	uint64_t v[5];
	int rc;

	rc = mpdp_eth_stats_get(port, &st);
	if (rc != 0)
		return rc;
	dev = enter(port, &rc);
	if (dev == NULL) {
		leave();
		return rc;
	}
	xstat_put(xs, n, &i, st.ipackets, "rx_good_packets");
	xstat_put(xs, n, &i, st.opackets, "tx_good_packets");
	xstat_put(xs, n, &i, st.ibytes, "rx_good_bytes");
	xstat_put(xs, n, &i, st.obytes, "tx_good_bytes");
	xstat_put(xs, n, &i, st.imissed, "rx_missed_errors");
	xstat_put(xs, n, &i, st.ierrors, "rx_errors");
	xstat_put(xs, n, &i, st.oerrors, "tx_errors");
	xstat_put(xs, n, &i, st.rx_nombuf, "rx_mbuf_allocation_errors");
	for (uint16_t q = 0; q < queues_of(dev->shm, MPDP_ETH_RX); q++) {
		queue_counters(&dev->shm->rxq[q], v);
		xstat_put(xs, n, &i, v[0], "rx_q%u_packets", q);
		xstat_put(xs, n, &i, v[1], "rx_q%u_bytes", q);
		xstat_put(xs, n, &i, v[2], "rx_q%u_errors", q);
		xstat_put(xs, n, &i, v[3], "rx_q%u_missed", q);
		xstat_put(xs, n, &i, v[4], "rx_q%u_nombuf", q);
	}
	for (uint16_t q = 0; q < queues_of(dev->shm, MPDP_ETH_TX); q++) {
		queue_counters(&dev->shm->txq[q], v);
		xstat_put(xs, n, &i, v[0], "tx_q%u_packets", q);
		xstat_put(xs, n, &i, v[1], "tx_q%u_bytes", q);
		xstat_put(xs, n, &i, v[2], "tx_q%u_errors", q);
	}
	if (eth.available[port] && dev->drv->ops->xstats_get != NULL) {
		int d = dev->drv->ops->xstats_get(dev, xs != NULL && i < n ? xs + i : NULL,
						  i < n ? n - i : 0);

		if (d > 0)
			i += (unsigned int)d;
	}
	leave();
	return (int)i;
}

int mpdp_eth_xstats_reset(uint16_t port)
{
	struct mpdp_eth_dev *dev;
	int rc = mpdp_eth_stats_reset(port);

	if (rc != 0)
		return rc;
	dev = enter(port, &rc);
	if (dev != NULL && eth.available[port] && dev->drv->ops->xstats_reset != NULL)
		dev->drv->ops->xstats_reset(dev);
	leave();
	return rc;
}

/* ------------------------------------------------------------ creation (primary) */

struct mpdp_eth_dev *mpdp_eth_dev_get(uint16_t port)
{
	struct mpdp_eth_dev *dev;

	eth_lock();
	dev = port < MPDP_MAX_PORTS && eth.ready && eth.present[port] ? &eth.devs[port] : NULL;
	eth_unlock();
	return dev;
}

struct mpdp_eth_dev *mpdp_eth_dev_create(const char *name, const struct mpdp_eth_driver *drv,
					 const char *devargs, int *err)
{
	struct mpdp_eth_dev *dev = NULL;
	struct mpdp_eth_dev_shm *s;
	int rc = 0, slot = -1;
	uint32_t gen;

	eth_lock();
	if (!eth.ready || !eth.primary) {
		rc = -EPERM;
		goto out;
	}
	if (name == NULL || name[0] == '\0' || drv == NULL) {
		rc = -EINVAL;
		goto out;
	}
	if (strlen(name) >= MPDP_NAME_SIZE) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	for (int p = 0; p < MPDP_MAX_PORTS; p++) {
		uint32_t st = port_state((uint16_t)p);

		if (st != MPDP_ETH_STATE_UNUSED &&
		    strncmp(eth.table->ports[p].name, name, MPDP_NAME_SIZE) == 0) {
			ETH_LOG(ERR, "a port named %s exists already (port %d)", name, p);
			rc = -EEXIST;
			goto out;
		}
		if (st == MPDP_ETH_STATE_UNUSED && slot < 0)
			slot = p;
	}
	if (slot < 0) {
		ETH_LOG(ERR, "cannot create port %s: all %d port slots are in use", name,
			MPDP_MAX_PORTS);
		rc = -ENOSPC;
		goto out;
	}
	dev = &eth.devs[slot];
	s = &eth.table->ports[slot];
	memset(dev, 0, sizeof(*dev));
	dev->port_id = (uint16_t)slot;
	dev->shm = s;
	dev->drv = drv;
	mpdp_eth_dev_write_begin(dev);
	gen = s->generation;
	memset((char *)s + offsetof(struct mpdp_eth_dev_shm, queue_gen), 0,
	       sizeof(*s) - offsetof(struct mpdp_eth_dev_shm, queue_gen));
	s->generation = gen + 1;
	s->port_id = (uint16_t)slot;
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->driver, sizeof(s->driver), "%s", drv->name);
	snprintf(s->bus, sizeof(s->bus), "%s", drv->bus == MPDP_BUS_PCI ? "pci" : "vdev");
	snprintf(s->devargs, sizeof(s->devargs), "%s", devargs != NULL ? devargs : name);
	s->numa_node = -1;
	s->max_rx_queues = s->max_tx_queues = 1;
	s->min_desc = 1;
	s->max_desc = 4096;
	s->mtu = MPDP_ETHER_MTU_DEFAULT;
	s->min_mtu = 68;
	s->max_mtu = 9000;
	set_state(dev, MPDP_ETH_STATE_CREATING);
	mpdp_eth_dev_write_end(dev);
	dev->generation = s->generation;
	eth.present[slot] = 1;
	/* the driver fills the slot until publish: keep it marked as being written */
	mpdp_eth_dev_write_begin(dev);
out:
	eth_unlock();
	if (err != NULL)
		*err = rc;
	return rc == 0 ? dev : NULL;
}

int mpdp_eth_dev_publish(struct mpdp_eth_dev *dev)
{
	int rc = 0;

	eth_lock();
	if (dev->drv->ops->attach != NULL) {
		rc = dev->drv->ops->attach(dev);
		if (rc != 0) {
			ETH_LOG(ERR, "port %s: driver attach failed: %s", dev->shm->name,
				strerror(-rc));
			eth_unlock();
			return rc;
		}
	}
	eth.available[dev->port_id] = 1;
	eth.queue_gen[dev->port_id] = dev->shm->queue_gen;
	set_state(dev, MPDP_ETH_STATE_READY);
	mpdp_eth_dev_write_end(dev);
	ETH_LOG(INFO, "port %u: %s (driver %s) created", dev->port_id, dev->shm->name,
		dev->shm->driver);
	announce_event(dev->port_id, MPDP_ETH_EVENT_NEW);
	return 0;
}

void mpdp_eth_dev_release(struct mpdp_eth_dev *dev)
{
	struct mpdp_eth_dev_shm *s;
	uint16_t port;

	if (dev == NULL)
		return;
	eth_lock();
	s = dev->shm;
	port = dev->port_id;
	s->generation++;
	set_state(dev, MPDP_ETH_STATE_UNUSED);
	mpdp_eth_dev_write_end(dev);
	eth.write_depth[port] = 0;
	eth_fp_reset_port(port);
	eth_capture_port_gone(port);
	eth_fds_close_port(port);
	memset(dev, 0, sizeof(*dev));
	eth.present[port] = 0;
	eth.available[port] = 0;
	eth_unlock();
}

/* ------------------------------------------------------------ init / fini */

static int ipc_changed(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	(void)reply;
	(void)arg;
	eth_lock();
	if (eth.ready && !eth.primary && req->peer == MPDP_IPC_PRIMARY)
		eth_fds_take(req);
	eth_sync_locked();
	eth_unlock();
	return 0;
}

/* Primary: a secondary attaching asks for the ports' fds. */
static int ipc_fds(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	int rc = -ENODEV;

	(void)req;
	(void)arg;
	if (reply == NULL)
		return 0;
	eth_lock();
	if (eth.ready && eth.primary)
		rc = eth_fds_put(reply);
	eth_unlock();
	return rc;
}

/* Secondary, while attaching (not on the control thread): fetch the ports' fds. */
static int fds_fetch(void)
{
	struct mpdp_ipc_msg req, reply;
	int rc = mpdp_ipc_msg_init(&req, "eth:fds");

	if (rc != 0)
		return rc;
	rc = mpdp_ipc_request(&req, MPDP_IPC_PRIMARY, &reply, 5000);
	mpdp_ipc_msg_fini(&req);
	if (rc != 0) {
		ETH_LOG(ERR, "cannot fetch the ports' fds from the primary: %s", strerror(-rc));
		return rc;
	}
	if (reply.status != 0) {
		rc = reply.status;
		ETH_LOG(ERR, "the primary could not send the ports' fds: %s", strerror(-rc));
	} else {
		eth_lock();
		eth_fds_take(&reply);
		eth_unlock();
	}
	mpdp_ipc_msg_fini(&reply);
	return rc;
}

static int table_check(const struct mpdp_eth_table_shm *t)
{
	if (t->magic != MPDP_ETH_TABLE_MAGIC || t->version != MPDP_ETH_TABLE_VERSION ||
	    t->max_ports != MPDP_MAX_PORTS || t->slot_size != sizeof(struct mpdp_eth_dev_shm)) {
		ETH_LOG(ERR, "port table of another layout (magic %#x version %u ports %u slot %u; "
			     "this program: version %u ports %u slot %zu)", t->magic, t->version,
			t->max_ports, t->slot_size, MPDP_ETH_TABLE_VERSION, MPDP_MAX_PORTS,
			sizeof(struct mpdp_eth_dev_shm));
		return -EPROTO;
	}
	return 0;
}

static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

static void hook_register(void)
{
	if (mpdp_proc_exit_hook_register(claims_exit_hook, NULL) != 0)
		ETH_LOG(ERR, "cannot register the queue-claim exit hook");
}

int eth_table_create(void)
{
	struct mpdp_memzone mz;
	struct mpdp_eth_table_shm *t;
	int rc = mpdp_memzone_reserve(ETH_TABLE_MZ, sizeof(*t), MPDP_CACHE_LINE_SIZE, &mz);

	if (rc != 0) {
		ETH_LOG(ERR, "cannot reserve the port table: %s", strerror(-rc));
		return rc;
	}
	t = mz.addr;
	t->magic = MPDP_ETH_TABLE_MAGIC;
	t->version = MPDP_ETH_TABLE_VERSION;
	t->max_ports = MPDP_MAX_PORTS;
	t->slot_size = sizeof(struct mpdp_eth_dev_shm);
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++)
		t->ports[p].port_id = p;
	eth_lock();
	eth.table = t;
	eth.primary = 1;
	eth.ready = 1;
	eth_unlock();
	pthread_once(&hook_once, hook_register);
	rc = mpdp_ipc_action_register("eth:fds", ipc_fds, NULL);
	if (rc == 0 || rc == -EEXIST)
		rc = eth_capture_primary_init();
	if (rc == 0 || rc == -EEXIST)
		rc = eth_link_init();
	return rc == -EEXIST ? 0 : rc;
}

int mpdp_dev_init_secondary_(void)
{
	struct mpdp_memzone mz;
	int rc = mpdp_memzone_lookup(ETH_TABLE_MZ, &mz);

	if (rc == -ENOENT) {
		/* a primary without drivers has no ports: neither do we */
		ETH_LOG(INFO, "the primary has no port table: no ports");
		return 0;
	}
	if (rc != 0) {
		ETH_LOG(ERR, "cannot look up the port table: %s", strerror(-rc));
		return rc;
	}
	if (mz.len < sizeof(struct mpdp_eth_table_shm))
		return table_check(&(struct mpdp_eth_table_shm){ 0 });
	rc = table_check(mz.addr);
	if (rc != 0)
		return rc;
	rc = mpdp_ipc_action_register("eth:changed", ipc_changed, NULL);
	if (rc != 0 && rc != -EEXIST)
		return rc;
	eth_lock();
	eth.table = mz.addr;
	eth.primary = 0;
	eth.seen_changes = UINT64_MAX;
	eth.ready = 1;
	eth_unlock();
	rc = fds_fetch();
	if (rc != 0)
		return rc;
	mpdp_eth_dev_sync();
	return 0;
}

void mpdp_dev_fini_(void)
{
	eth_lock();
	if (!eth.ready) {
		eth_unlock();
		return;
	}
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++) {
		if (!eth.present[p])
			continue;
		if (eth.primary) {
			/*
			 * Stop, and drop this process's state, but keep the shared
			 * state: secondaries may still poll until they learn that the
			 * primary left, and the heap goes away with the instance.
			 */
			if (eth.available[p] && state_live(port_state(p)))
				(void)eth_stop_locked(p);
		} else {
			release_own_claims(&eth.devs[p]);
		}
		eth_twin_detach(p);
	}
	if (!eth.primary)
		(void)mpdp_ipc_action_unregister("eth:changed");
	else
		(void)mpdp_ipc_action_unregister("eth:fds");
	eth_capture_fini();
	eth_link_fini();
	eth.ready = 0;
	eth.table = NULL;
	eth.primary = 0;
	eth.seen_changes = 0;
	memset(eth.write_depth, 0, sizeof(eth.write_depth));
	eth_unlock();
}
