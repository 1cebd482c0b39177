/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_ethdev_driver.h - what a poll-mode driver implements and may use.
 * Applications never include this.
 *
 * A driver is a struct mpdp_eth_driver registered by name from a constructor
 * (MPDP_ETH_DRIVER_REGISTER). Every process builds its own registry from
 * the drivers linked into its binary; ports name their driver in the shared
 * slot and each process looks that name up (DESIGN.md rule 5). The ops are
 * process-local function pointers and never reach shared memory.
 *
 * Life of a port, and which hook runs where:
 *
 *   primary                                   every process (primary too)
 *   -------                                   ---------------------------
 *   probe_vdev / probe_pci
 *     mpdp_eth_dev_create()  -> slot CREATING   attach(dev): build dev->priv
 *     fill dev->shm (caps, MAC, link, drv_off)  from the slot
 *     mpdp_eth_dev_publish() -> READY
 *   configure(dev)
 *   rx_queue_setup / tx_queue_setup           queue_attach(dev, dir, q): build
 *     (shared queue state, offset in             this process's queue handle
 *      shm->rxq[q].drv_off)                      from shm->rxq[q]
 *   start / stop / link_update / ...
 *   queue_release(dev, dir, q)                queue_detach(dev, dir, q, h)
 *   close(dev): free shared state             detach(dev): free dev->priv
 *
 * attach and queue_attach run in the primary too, right after the primary
 * creates the port or sets up the queue, so the primary and the secondaries
 * use one code path to turn shared data into process-local handles. Hooks
 * that a secondary runs must not touch the device (rule 3): everything they
 * need is in the slot or in shared memory the slot points to by offset.
 *
 * Burst functions receive the handle queue_attach made. They account their
 * packets with mpdp_eth_queue_stats_add() on the queue's shared counters
 * (the caller owns the queue: one writer).
 */
#ifndef MPDP_ETHDEV_DRIVER_H
#define MPDP_ETHDEV_DRIVER_H

#include <stdatomic.h>
#include <stdint.h>

#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_shm.h>

#define MPDP_ETH_TABLE_MAGIC 0x6d706574u /* "mpet" */
#define MPDP_ETH_TABLE_VERSION 2

/*
 * Counters of one queue. Written only by the process that owns the queue
 * (relaxed load + store, no read-modify-write). Readers load them relaxed.
 */
struct mpdp_eth_queue_stats_shm {
	_Atomic uint64_t packets;
	_Atomic uint64_t bytes;
	_Atomic uint64_t errors;   /* rx: bad packets; tx: failed */
	_Atomic uint64_t missed;   /* rx: dropped for lack of room */
	_Atomic uint64_t nombuf;   /* rx: mbuf allocation failures */
	_Atomic uint64_t reserved[3];
} MPDP_CACHE_ALIGNED;

/*
 * One queue's shared state. Writers: (P) the primary, under the slot's seq;
 * (O) the owner (stats); (A) any process (claim CAS, reset baseline).
 */
struct mpdp_eth_queue_shm {
	/* (A) claim: 0 free, else MPDP_ETH_OWNER(proc_id, pid); CAS only */
	_Atomic uint64_t owner;
	uint16_t nb_desc;          /* (P) as set up; 0 = not set up */
	uint16_t pad0;
	uint32_t mempool_id;       /* (P) rx: pool the queue receives into */
	mpdp_shm_off_t drv_off;    /* (P) the driver's shared queue state, or 0 */
	uint64_t drv_data[4];      /* (P) small driver data */
	uint8_t pad1[MPDP_CACHE_LINE_SIZE - 56];
	struct mpdp_eth_queue_stats_shm stats;  /* (O) */
	struct mpdp_eth_queue_stats_shm base;   /* (A) values at the last reset */
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_eth_queue_shm) == 3 * MPDP_CACHE_LINE_SIZE,
		   "queue slot is three cache lines");

#define MPDP_ETH_OWNER(proc_id, pid) (((uint64_t)(uint32_t)(pid) << 16) | (uint64_t)((proc_id) + 1))
#define MPDP_ETH_OWNER_PROC(o) ((int)((o) & 0xffff) - 1)
#define MPDP_ETH_OWNER_PID(o) ((int)((o) >> 16))

/*
 * A port's capture (mpdp_eth_capture.h). session 0: off. The ring and pool
 * are the primary's, per port, found by name / id in every process.
 */
struct mpdp_eth_capture_shm {
	_Atomic uint32_t session;         /* (P) nonzero while capturing; producers load it outside the seqlock */
	uint32_t dirs;                    /* (P) MPDP_ETH_CAPTURE_RX | _TX */
	uint32_t queue_mask;              /* (P) */
	uint32_t snaplen;                 /* (P) */
	uint64_t consumer;                /* (P) MPDP_ETH_OWNER() of the reader */
	uint32_t pool_id;                 /* (P) capture pool, set once per port */
	uint32_t pad;
	char ring[MPDP_NAME_SIZE];        /* (P) capture ring name, set once per port */
	_Atomic uint64_t captured;        /* (A) producers add (fetch_add) */
	_Atomic uint64_t dropped;         /* (A) */
};

/*
 * A port's shared slot. Data only (DESIGN.md rule 1).
 *
 * Consistency: the primary changes everything marked (P) between two
 * increments of seq (odd while it writes: a seqlock). Readers copy what they
 * need, then re-read seq; an odd or changed seq means retry. state is also
 * written under seq, with release, and read with acquire. generation counts
 * the slot's reuse: a twin built for another generation is stale.
 */
struct mpdp_eth_dev_shm {
	_Atomic uint32_t seq;             /* (P) seqlock */
	_Atomic uint32_t state;           /* (P) enum mpdp_eth_state */
	uint32_t generation;              /* (P) */
	uint32_t queue_gen;               /* (P) bumped when the queue set-up changes */
	uint16_t port_id;                 /* (I) */
	uint16_t pad0;
	char name[MPDP_NAME_SIZE];        /* (P) */
	char driver[MPDP_NAME_SIZE];      /* (P) looked up by name in every process */
	char bus[8];                      /* (P) "vdev", "pci" */
	int32_t numa_node;                /* (P) */
	uint16_t max_rx_queues, max_tx_queues;  /* (P) set by probe */
	uint16_t min_desc, max_desc;      /* (P) set by probe */
	uint16_t min_mtu, max_mtu;        /* (P) set by probe */
	uint16_t nb_rx_queues, nb_tx_queues;  /* (P) configure */
	uint16_t mtu;                     /* (P) */
	uint8_t promiscuous;              /* (P) */
	uint8_t pad1;
	struct mpdp_ether_addr mac;       /* (P) */
	uint16_t pad2;
	struct mpdp_eth_link link;        /* (P) published by the primary's driver */
	mpdp_shm_off_t drv_off;           /* (P) the driver's shared port state, or 0 */
	uint64_t drv_len;                 /* (P) its length (checked before use) */
	uint64_t drv_data[8];             /* (P) small driver data */
	uint32_t fd_gen;                  /* (P) bumped by every mpdp_eth_dev_fd_export() */
	uint32_t pad3;
	struct mpdp_eth_capture_shm capture;  /* (P) except the counters */
	char devargs[512];                /* (P) */
	struct mpdp_eth_queue_shm rxq[MPDP_ETH_MAX_QUEUES];
	struct mpdp_eth_queue_shm txq[MPDP_ETH_MAX_QUEUES];
} MPDP_CACHE_ALIGNED;

/* The port table memzone, "mpdp.ethdev". */
struct mpdp_eth_table_shm {
	uint32_t magic;                   /* (I) MPDP_ETH_TABLE_MAGIC */
	uint32_t version;                 /* (I) MPDP_ETH_TABLE_VERSION */
	uint32_t max_ports;               /* (I) MPDP_MAX_PORTS */
	uint32_t slot_size;               /* (I) sizeof(struct mpdp_eth_dev_shm) */
	_Atomic uint64_t changes;         /* (P) bumped (release) after every change */
	uint8_t pad[MPDP_CACHE_LINE_SIZE - 24];
	struct mpdp_eth_dev_shm ports[MPDP_MAX_PORTS];
};

struct mpdp_eth_driver;

/*
 * A port's process-local twin. ethdev owns it; drivers read it and own
 * priv, rxq[] and txq[] (their handles).
 */
struct mpdp_eth_dev {
	uint16_t port_id;
	struct mpdp_eth_dev_shm *shm;        /* this process's pointer to the slot */
	const struct mpdp_eth_driver *drv;   /* NULL: driver missing in this process */
	void *priv;                          /* driver's process-private port state */
	uint32_t generation;                 /* slot generation this twin was built for */
	uint32_t config_seq;                 /* slot seq the queue handles were built from */
	void *rxq[MPDP_ETH_MAX_QUEUES];      /* queue handles in this process, or NULL */
	void *txq[MPDP_ETH_MAX_QUEUES];
};

/* Driver hooks. All optional except queue_attach, rx_burst, tx_burst. */
struct mpdp_eth_dev_ops {
	/* primary only */
	/* configure: dev->shm already holds the new queue counts and the MTU the
	 * caller asked for (mtu_set is not called): a driver whose device has an
	 * MTU applies it here, and a refusal restores the old values */
	int (*configure)(struct mpdp_eth_dev *dev);
	int (*rx_queue_setup)(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc,
			      struct mpdp_mempool *mp);
	int (*tx_queue_setup)(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc);
	void (*queue_release)(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q);
	int (*start)(struct mpdp_eth_dev *dev);
	void (*stop)(struct mpdp_eth_dev *dev);
	void (*close)(struct mpdp_eth_dev *dev);
	int (*link_update)(struct mpdp_eth_dev *dev);   /* writes dev->shm->link */
	int (*promiscuous_set)(struct mpdp_eth_dev *dev, int on);
	int (*macaddr_set)(struct mpdp_eth_dev *dev, const struct mpdp_ether_addr *mac);
	int (*mtu_set)(struct mpdp_eth_dev *dev, uint16_t mtu);

	/* every process */
	int (*attach)(struct mpdp_eth_dev *dev);
	void (*detach)(struct mpdp_eth_dev *dev);
	int (*queue_attach)(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			    void **handle);
	void (*queue_detach)(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			     void *handle);
	/* driver-specific extended stats after the generic ones; same contract as
	 * mpdp_eth_xstats_get() */
	int (*xstats_get)(struct mpdp_eth_dev *dev, struct mpdp_eth_xstat *xs, unsigned int n);
	void (*xstats_reset)(struct mpdp_eth_dev *dev);

	mpdp_eth_rx_burst_t rx_burst;
	mpdp_eth_tx_burst_t tx_burst;
};

enum mpdp_bus_type {
	MPDP_BUS_VDEV = 1,
	MPDP_BUS_PCI,
};

struct mpdp_eth_driver {
	/* Unique; a vdev "net_ring0" goes to the driver with the longest name
	 * that prefixes it ("net_ring"). */
	const char *name;
	enum mpdp_bus_type bus;
	/* pci: ids this driver takes, terminated by {0, 0} */
	const struct mpdp_pci_id *pci_ids;
	/* vdev: accepted keys, NULL-terminated (others are refused before probe) */
	const char *const *devargs_keys;
	/* one line for --help and error messages: "queues=N,size=N,peer=NAME" */
	const char *devargs_help;
	/*
	 * Primary: create the port(s) for a device. Return 0 when created, a
	 * positive value when the device is not for this driver (PCI: skip it,
	 * keep probing others), or a negative errno with one line in err (the
	 * caller logs it; for PCI the device is recorded as skipped and probing
	 * continues, for --vdev mpdp_init() fails).
	 */
	int (*probe_vdev)(const struct mpdp_devargs *da, const char *devargs_str, char *err,
			  size_t err_size);
	int (*probe_pci)(const struct mpdp_pci_device *pdev, char *err, size_t err_size);
	/*
	 * pci, optional, primary, before any probe: 1 when this device's DMA
	 * bypasses an IOMMU (a legacy virtio device), so the instance needs
	 * IOVA mode PA even on vfio-pci; else 0. May read the device's sysfs
	 * attributes (mpdp_pci_sysfs_config_read()), nothing else.
	 */
	int (*pci_needs_pa)(const struct mpdp_pci_device *pdev);
	const struct mpdp_eth_dev_ops *ops;
};

/* Register a driver in this process. Returns 0, -EEXIST (name taken), -EINVAL. */
int mpdp_eth_driver_register(const struct mpdp_eth_driver *drv);
/* The driver of this name linked into this process, or NULL. */
const struct mpdp_eth_driver *mpdp_eth_driver_find(const char *name);

#define MPDP_ETH_DRIVER_REGISTER(drv)                                          \
	__attribute__((constructor)) static void mpdp_eth_driver_ctor_##drv(void) \
	{                                                                      \
		(void)mpdp_eth_driver_register(&(drv));                        \
	}

/*
 * Primary, from a probe hook: reserve a slot named name (state CREATING),
 * fill its identity (driver, bus, devargs) and give back this process's
 * twin. The driver then fills dev->shm (capabilities, MAC, link, drv_off)
 * and calls mpdp_eth_dev_publish(); on failure it calls
 * mpdp_eth_dev_release(). Returns the twin, or NULL with *err = -EEXIST,
 * -ENOSPC, -EPERM, -ENAMETOOLONG.
 */
struct mpdp_eth_dev *mpdp_eth_dev_create(const char *name, const struct mpdp_eth_driver *drv,
					 const char *devargs, int *err);
/*
 * This process's twin of a port (live, or CREATING in the primary's probe),
 * or NULL. For drivers that link ports (a ring pair). Process-local.
 */
struct mpdp_eth_dev *mpdp_eth_dev_get(uint16_t port);

/* CREATING -> READY; runs the driver's attach in the primary; announces it. */
int mpdp_eth_dev_publish(struct mpdp_eth_dev *dev);
/* Give a CREATING slot back (probe failed). */
void mpdp_eth_dev_release(struct mpdp_eth_dev *dev);

/*
 * Primary: start / finish a change of dev->shm fields marked (P) outside
 * the ethdev calls (e.g. a driver updating link or MAC on its own).
 */
void mpdp_eth_dev_write_begin(struct mpdp_eth_dev *dev);
void mpdp_eth_dev_write_end(struct mpdp_eth_dev *dev);

/*
 * Add to a queue's counters. Only the queue's owner calls it (one writer),
 * so a relaxed load and store suffice; readers may see either value.
 */
static inline void mpdp_eth_queue_stats_add(_Atomic uint64_t *counter, uint64_t v)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline struct mpdp_eth_queue_stats_shm *mpdp_eth_queue_stats(struct mpdp_eth_dev *dev,
								    enum mpdp_eth_dir dir,
								    uint16_t q)
{
	return dir == MPDP_ETH_RX ? &dev->shm->rxq[q].stats : &dev->shm->txq[q].stats;
}

/*
 * File descriptors of a port (sockets, files, eventfds: what a secondary
 * cannot open itself) travel from the primary to the secondaries by IPC.
 *
 * The primary's driver exports an fd under an index (ethdev keeps a
 * duplicate; the driver keeps its own). Each export bumps the slot's
 * fd_gen. ethdev sends the exported fds of every port with each
 * "eth:changed" announcement and to a secondary when it attaches, so a
 * secondary holds copies from the same (generation, fd_gen) as the slot.
 *
 * In any process, mpdp_eth_dev_fd() gives this process's copy (the
 * primary: its duplicate). The fd belongs to ethdev: do not close it; it
 * stays open until the port's twin goes away or the fd is exported anew.
 * A secondary's attach or queue_attach that finds -EAGAIN returns -EAGAIN
 * itself: ethdev retries at the next sync, which the fds' arrival causes.
 */
#define MPDP_ETH_MAX_PORT_FDS 40

/* Primary: export fd under index (-1: withdraw). Returns 0, -EINVAL, -EPERM, -EMFILE. */
int mpdp_eth_dev_fd_export(struct mpdp_eth_dev *dev, unsigned int index, int fd);
/*
 * This process's fd exported under index. Returns the fd, or -ENOENT
 * (nothing exported there), -EAGAIN (secondary: not received yet), -EINVAL.
 */
int mpdp_eth_dev_fd(const struct mpdp_eth_dev *dev, unsigned int index);

/*
 * A driver's shared port state: the memzone "<port>.<tag>", recorded in the
 * slot (drv_off, drv_len).
 *
 * mpdp_eth_dev_area_reserve: primary, in probe between create and publish;
 * len zeroed bytes, cache-line aligned. Returns the area, or NULL with *rc
 * and one line in err. mpdp_eth_dev_area_free: primary, at close or when
 * the probe fails after reserving. mpdp_eth_dev_area: any process, in
 * attach; the area once the slot's offset and length (min_len..max_len)
 * are checked to lie in the heap, else NULL with a log line under
 * log_name. The driver still checks the contents (magic, version, counts).
 */
void *mpdp_eth_dev_area_reserve(struct mpdp_eth_dev *dev, const char *tag, size_t len,
				int *rc, char *err, size_t err_size);
void mpdp_eth_dev_area_free(const char *port, const char *tag);
void *mpdp_eth_dev_area(const struct mpdp_eth_dev *dev, const char *log_name, size_t min_len,
			size_t max_len);

/*
 * Primary, any thread (a driver's control-thread callback included), never
 * blocks: the port's link changed on its own (a peer connected or left).
 * ethdev soon runs the driver's link_update under its lock on the control
 * thread, publishes the slot and announces it (MPDP_ETH_EVENT_LINK).
 */
void mpdp_eth_dev_link_changed(struct mpdp_eth_dev *dev);

/* Burst functions that return 0: for queues with nothing behind them. */
uint16_t mpdp_eth_burst_none(void *q, struct mpdp_mbuf **pkts, uint16_t n);

#endif /* MPDP_ETHDEV_DRIVER_H */
