/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_ethdev.h - Ethernet ports: the port table, control calls, queue
 * ownership and the inline receive/transmit fast path.
 *
 * A port has two halves (DESIGN.md rule 1):
 *   - its slot in the shared port table ("mpdp.ethdev", struct
 *     mpdp_eth_dev_shm in mpdp_ethdev_driver.h): data only, the same in
 *     every process: name, driver name, state, queue counts, configuration,
 *     MAC, MTU, link, per-queue statistics and queue claims;
 *   - its process-local twin in every process: the driver's ops, looked up by
 *     the driver name stored in the slot, the driver's process-private state
 *     and this process's fast-path entries (burst functions and queue
 *     handles).
 * Port ids are indices in the shared table, so a port id means the same
 * port in every process.
 *
 * Who may call what:
 *   - The primary creates ports (at mpdp_init() from --vdev and the PCI bus,
 *     later with mpdp_eth_dev_hotplug_add()), configures them, sets up
 *     queues, starts, stops and closes them and sets MAC, MTU and
 *     promiscuous mode. From a secondary these return -EPERM.
 *   - Any process counts, iterates, finds, reads info, link, statistics and
 *     extended statistics, resets statistics, claims and releases queues,
 *     and receives and transmits on the queues it claimed.
 *   - A secondary attaches to exactly the ports in the shared table, through
 *     each driver's attach hook (looked up by driver name). A port whose
 *     driver this binary lacks is reported unavailable here (one log line)
 *     and the other ports work. Ports the primary adds or closes later reach
 *     running secondaries: the primary announces each change over IPC, and
 *     every control call re-reads the table first.
 *
 * Port states (explicit, in the shared slot):
 *
 *    create --> READY --configure--> CONFIGURED --start--> STARTED
 *                 ^                   |  ^   ^                |
 *                 |                   |  |   +------stop------+
 *                 +--- (reconfigure) -+  +-- queue setup
 *   close (READY or CONFIGURED) --> the slot is free again
 *
 * A control call in the wrong state returns -EBUSY (the port is started, or
 * another process holds one of its queues) or -EINVAL (the port is not
 * configured yet, or the argument does not fit the configuration); from a
 * process that may not make it, -EPERM; on a port id that is not in use,
 * -ENODEV. Never a crash.
 *
 * Queue ownership (DESIGN.md rule 7). A process claims every queue it polls
 * with mpdp_eth_queue_claim(); a second claim of a held queue is refused
 * with -EBUSY and a log line naming the holder. The primary releases the
 * claims of a process that leaves or dies. While another process holds a
 * claim on a port, the primary may stop it but may not reconfigure or close
 * it (-EBUSY): shared queue memory is freed only when nobody can poll it.
 *
 * Statistics. Each queue's counters live in its slot and are written only
 * by the queue's owner (one writer: relaxed stores, no atomic add). A reset
 * from any process records the current values as a baseline; readers report
 * the difference, so a reset never races with the writer.
 */
#ifndef MPDP_ETHDEV_H
#define MPDP_ETHDEV_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_ether.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_mempool.h>

/* Ports in an instance. */
#define MPDP_MAX_PORTS 32
/* Receive (and transmit) queues per port. */
#define MPDP_ETH_MAX_QUEUES 16
/* Longest extended-statistics name, NUL included. */
#define MPDP_ETH_XSTAT_NAME_SIZE 64

enum mpdp_eth_state {
	MPDP_ETH_STATE_UNUSED = 0,   /* free slot */
	MPDP_ETH_STATE_CREATING,     /* the primary is probing it; invisible to the API */
	MPDP_ETH_STATE_READY,        /* created, not configured */
	MPDP_ETH_STATE_CONFIGURED,   /* queue counts set; queues may be set up; stopped */
	MPDP_ETH_STATE_STARTED,
	MPDP_ETH_STATE_CLOSING,      /* the primary is closing it; invisible to the API */
};

/* "ready", "configured", "started", ... */
const char *mpdp_eth_state_name(enum mpdp_eth_state state);

enum mpdp_eth_dir {
	MPDP_ETH_RX = 0,
	MPDP_ETH_TX = 1,
};

struct mpdp_eth_link {
	uint32_t speed_mbps;   /* 0 when unknown */
	uint8_t up;
	uint8_t full_duplex;
	uint8_t autoneg;
	uint8_t pad;
};

struct mpdp_eth_dev_info {
	uint16_t port_id;
	char name[MPDP_NAME_SIZE];       /* "net_ring0", "0000:00:04.0" */
	char driver[MPDP_NAME_SIZE];     /* "net_ring" */
	char bus[8];                     /* "vdev", "pci" */
	char devargs[512];               /* what the port was created from */
	enum mpdp_eth_state state;
	int available;                   /* 1 when this process has the port's driver */
	uint32_t generation;             /* changes each time the slot is reused */
	int numa_node;                   /* -1 when unknown */
	uint16_t max_rx_queues, max_tx_queues;
	uint16_t nb_rx_queues, nb_tx_queues;
	uint16_t min_desc, max_desc;
	uint16_t mtu, min_mtu, max_mtu;
	struct mpdp_ether_addr mac;
	int promiscuous;
	struct mpdp_eth_link link;
};

struct mpdp_eth_conf {
	uint16_t mtu;          /* 0: keep the current MTU */
	int promiscuous;       /* -1: keep, 0 off, 1 on */
};

struct mpdp_eth_stats {
	uint64_t ipackets, ibytes;
	uint64_t opackets, obytes;
	uint64_t imissed;      /* dropped on receive: no room, ring full */
	uint64_t ierrors;      /* bad packets received */
	uint64_t oerrors;      /* packets the device failed to send */
	uint64_t rx_nombuf;    /* receive mbuf allocation failures */
	uint64_t q_ipackets[MPDP_ETH_MAX_QUEUES], q_ibytes[MPDP_ETH_MAX_QUEUES];
	uint64_t q_opackets[MPDP_ETH_MAX_QUEUES], q_obytes[MPDP_ETH_MAX_QUEUES];
	uint64_t q_errors[MPDP_ETH_MAX_QUEUES];
};

struct mpdp_eth_xstat {
	char name[MPDP_ETH_XSTAT_NAME_SIZE];
	uint64_t value;
};

/* ---------------------------------------------------- ports and information */

/* Ports in use (not CREATING or CLOSING) as seen now. Any process. */
unsigned int mpdp_eth_dev_count(void);

/* First port in use with id >= port, or MPDP_MAX_PORTS. Any process. */
uint16_t mpdp_eth_port_next(uint16_t port);

#define MPDP_ETH_FOREACH_PORT(p) \
	for ((p) = mpdp_eth_port_next(0); (p) < MPDP_MAX_PORTS; (p) = mpdp_eth_port_next((p) + 1))

/* 1 when port is in use, 0 otherwise (also for out-of-range ids). */
int mpdp_eth_dev_is_valid(uint16_t port);

/* Port id of the port named name. Returns 0, -ENOENT, -EINVAL (NULL). */
int mpdp_eth_dev_find(const char *name, uint16_t *port);

/*
 * A consistent snapshot of the port's shared slot plus this process's view
 * (available). Returns 0, -ENODEV (not in use), -EAGAIN when the primary
 * kept changing the slot (retry), -ENOENT before mpdp_init(). Any process.
 */
int mpdp_eth_dev_info_get(uint16_t port, struct mpdp_eth_dev_info *info);

/* ---------------------------------------------------- control (primary) */

/*
 * Set the number of queues (1..max each) and options. READY or CONFIGURED
 * (reconfiguring drops the queues set up before). Returns 0, -EPERM
 * (secondary), -ENODEV, -EBUSY (started, or another process holds a queue
 * of the port), -EINVAL (counts out of range, bad MTU), or the driver's
 * error.
 */
int mpdp_eth_dev_configure(uint16_t port, uint16_t nb_rx_queues, uint16_t nb_tx_queues,
			   const struct mpdp_eth_conf *conf);

/*
 * Set up receive queue q with nb_desc descriptors, receiving into mbufs
 * from mp. nb_desc 0 means 1024; the count is then clamped to the port's
 * min_desc..max_desc (as DPDK drivers round to what they support).
 * CONFIGURED only. Returns 0, -EPERM, -ENODEV, -EBUSY (started, or the queue
 * is claimed by another process), -EINVAL (q out of range, mp NULL or not a
 * packet pool), -ENOMEM, or the driver's error.
 */
int mpdp_eth_rx_queue_setup(uint16_t port, uint16_t q, uint16_t nb_desc,
			    struct mpdp_mempool *mp);
/* Same for transmit queue q. */
int mpdp_eth_tx_queue_setup(uint16_t port, uint16_t q, uint16_t nb_desc);

/*
 * Start: CONFIGURED with every queue set up -> STARTED. Returns 0 (also when
 * already started), -EPERM, -ENODEV, -EINVAL (not configured, or a queue not
 * set up; the log line names it), or the driver's error.
 */
int mpdp_eth_dev_start(uint16_t port);

/* STARTED -> CONFIGURED. 0 also when not started. -EPERM, -ENODEV. */
int mpdp_eth_dev_stop(uint16_t port);

/*
 * Close: the driver frees the port's shared and private state and the slot
 * becomes free; secondaries drop their twin. READY or CONFIGURED. Returns 0,
 * -EPERM, -ENODEV, -EBUSY (started: stop first; or another process holds a
 * queue: the log line names it).
 */
int mpdp_eth_dev_close(uint16_t port);

/*
 * Create a port from a device string after mpdp_init(), as --vdev would
 * ("net_ring2,peer=net_ring3") or as the PCI bus would ("0000:00:04.0",
 * subject to the same binding check). Running secondaries attach to it.
 * Returns 0 with *port set, -EPERM, -EINVAL (bad string: logged), -EEXIST
 * (name taken), -ENOSPC (table full), -ENOENT (no such driver or device),
 * or the driver's error.
 */
int mpdp_eth_dev_hotplug_add(const char *devargs, uint16_t *port);

int mpdp_eth_promiscuous_set(uint16_t port, int on);
/* -EINVAL for a multicast or zero address. */
int mpdp_eth_macaddr_set(uint16_t port, const struct mpdp_ether_addr *mac);
/* -EBUSY while started; -EINVAL outside min_mtu..max_mtu. */
int mpdp_eth_mtu_set(uint16_t port, uint16_t mtu);

/*
 * Primary: ask the driver to refresh the published link state. Any process
 * then reads it with mpdp_eth_link_get() (a secondary never touches device
 * registers: DESIGN.md rule 3). Returns 0, -EPERM, -ENODEV.
 */
int mpdp_eth_link_update(uint16_t port);

/* ---------------------------------------------------- any process */

int mpdp_eth_link_get(uint16_t port, struct mpdp_eth_link *link);
int mpdp_eth_macaddr_get(uint16_t port, struct mpdp_ether_addr *mac);
int mpdp_eth_mtu_get(uint16_t port, uint16_t *mtu);
/* 1, 0, or -ENODEV. */
int mpdp_eth_promiscuous_get(uint16_t port);

/* Sum of the queues' counters since the last reset. Returns 0 or -ENODEV. */
int mpdp_eth_stats_get(uint16_t port, struct mpdp_eth_stats *stats);
int mpdp_eth_stats_reset(uint16_t port);

/*
 * Extended statistics with names: the generic counters ("rx_good_packets",
 * "rx_q0_packets", ...) then the driver's own. Fills up to n entries and
 * returns how many there are in all (call with n = 0 to size the array),
 * or -ENODEV. A port unavailable in this process has only the generic ones.
 */
int mpdp_eth_xstats_get(uint16_t port, struct mpdp_eth_xstat *xstats, unsigned int n);
/* Resets the generic counters and the driver's. 0 or -ENODEV. */
int mpdp_eth_xstats_reset(uint16_t port);

/*
 * Claim queue q of direction dir for this process: from now on only this
 * process polls it. Returns 0 (also when this process holds it already),
 * -EBUSY (held by another live process: logged with its proc id and pid),
 * -EINVAL (no such queue), -ENODEV, -ENOTSUP (port unavailable in this
 * process), -EAGAIN (the port is being reconfigured; retry).
 * A claim survives stop/start of the port.
 */
int mpdp_eth_queue_claim(uint16_t port, enum mpdp_eth_dir dir, uint16_t q);
/* Give a claim back. 0, -EPERM (not ours), -EINVAL, -ENODEV. */
int mpdp_eth_queue_release(uint16_t port, enum mpdp_eth_dir dir, uint16_t q);
/* Holder of a queue: 0 with *proc_id and *pid set, -ENOENT when unclaimed. */
int mpdp_eth_queue_owner(uint16_t port, enum mpdp_eth_dir dir, uint16_t q, int *proc_id,
			 int *pid);

/*
 * Port events, delivered after this process's twin table changed, with no
 * lock held. In a secondary: a port appeared (attached or unavailable), was
 * closed, or changed configuration; delivered on the control thread when the
 * primary's announcement arrives, or on the thread whose control call found
 * the change first. In the primary: on the thread that made the change. One
 * callback per process; NULL removes it. Returns 0.
 */
enum mpdp_eth_event {
	MPDP_ETH_EVENT_NEW = 1,
	MPDP_ETH_EVENT_CONFIGURED,
	MPDP_ETH_EVENT_STARTED,
	MPDP_ETH_EVENT_STOPPED,
	MPDP_ETH_EVENT_CLOSED,
	MPDP_ETH_EVENT_LINK,      /* the driver reported a link change */
};
typedef void (*mpdp_eth_event_cb_t)(uint16_t port, enum mpdp_eth_event event, void *arg);
int mpdp_eth_event_callback_set(mpdp_eth_event_cb_t cb, void *arg);

/* Re-read the shared port table now (done by every control call anyway). */
void mpdp_eth_dev_sync(void);

/* ---------------------------------------------------- fast path */

typedef uint16_t (*mpdp_eth_rx_burst_t)(void *rxq, struct mpdp_mbuf **pkts, uint16_t n);
typedef uint16_t (*mpdp_eth_tx_burst_t)(void *txq, struct mpdp_mbuf **pkts, uint16_t n);

/*
 * This process's fast-path table (process-local, never in shared memory). A
 * queue that is not set up, not attached here, or on a port unavailable in
 * this process has burst functions that return 0. Entries change only while
 * no process can hold the queue (see queue ownership above).
 */
struct mpdp_eth_fp {
	/*
	 * MPDP_ETH_CAPTURE_RX/TX bits while a capture (mpdp_eth_capture.h) is
	 * on for this port, else 0. Set by this process's sync, read relaxed
	 * on every burst: one predictable branch when nobody captures.
	 */
	_Atomic uint32_t capture;
	uint32_t pad;
	struct {
		mpdp_eth_rx_burst_t burst;
		void *q;      /* the driver's queue handle in this process */
	} rx[MPDP_ETH_MAX_QUEUES];
	struct {
		mpdp_eth_tx_burst_t burst;
		void *q;
	} tx[MPDP_ETH_MAX_QUEUES];
};
extern struct mpdp_eth_fp mpdp_eth_fp_[MPDP_MAX_PORTS];

#define MPDP_ETH_CAPTURE_RX 0x1u
#define MPDP_ETH_CAPTURE_TX 0x2u

/* Copies a burst into the port's capture ring (eth_capture.c). Not inline: capture is rare. */
void mpdp_eth_capture_burst_(uint16_t port, uint16_t q, uint32_t dir, struct mpdp_mbuf *const *pkts,
			     uint16_t n);

/*
 * Receive up to n packets from queue q of port. Returns the number stored in
 * pkts (the caller owns them). Call only on a queue this process claimed,
 * from one thread at a time. Port and queue are checked in debug builds
 * (MPDP_DEBUG) only.
 */
static inline uint16_t mpdp_eth_rx_burst(uint16_t port, uint16_t q, struct mpdp_mbuf **pkts,
					 uint16_t n)
{
#ifdef MPDP_DEBUG
	if (port >= MPDP_MAX_PORTS || q >= MPDP_ETH_MAX_QUEUES || pkts == NULL)
		return 0;
#endif
	uint16_t nb = mpdp_eth_fp_[port].rx[q].burst(mpdp_eth_fp_[port].rx[q].q, pkts, n);

	if (__builtin_expect(atomic_load_explicit(&mpdp_eth_fp_[port].capture,
						  memory_order_relaxed) & MPDP_ETH_CAPTURE_RX, 0) &&
	    nb > 0)
		mpdp_eth_capture_burst_(port, q, MPDP_ETH_CAPTURE_RX, pkts, nb);
	return nb;
}

/*
 * Transmit up to n packets on queue q of port. Returns how many the driver
 * took (it owns them now); the caller still owns pkts[ret..n-1]. Same rules
 * as mpdp_eth_rx_burst().
 */
static inline uint16_t mpdp_eth_tx_burst(uint16_t port, uint16_t q, struct mpdp_mbuf **pkts,
					 uint16_t n)
{
#ifdef MPDP_DEBUG
	if (port >= MPDP_MAX_PORTS || q >= MPDP_ETH_MAX_QUEUES || pkts == NULL)
		return 0;
#endif
	/* captured as offered: a packet the caller offers again shows twice */
	if (__builtin_expect(atomic_load_explicit(&mpdp_eth_fp_[port].capture,
						  memory_order_relaxed) & MPDP_ETH_CAPTURE_TX, 0) &&
	    n > 0)
		mpdp_eth_capture_burst_(port, q, MPDP_ETH_CAPTURE_TX, pkts, n);
	return mpdp_eth_fp_[port].tx[q].burst(mpdp_eth_fp_[port].tx[q].q, pkts, n);
}

#endif /* MPDP_ETHDEV_H */
