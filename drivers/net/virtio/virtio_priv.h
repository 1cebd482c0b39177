/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_priv.h - what the virtio-net core (virtio_net.c) and its transports
 * (virtio_user.c; PCI later) share inside the driver. Not installed.
 *
 * The split (docs/design/virtio.md):
 *
 *   shared memory, memzone "<port>.vio"       process-local
 *   ----------------------------------        -------------
 *   struct vio_port_shm: settings, the        struct vio_priv (dev->priv): the
 *     transport id, the negotiated              transport ops chosen from the id
 *     features, the rx/tx path ids, the         (vio_transports[]), the queue
 *     link and the device status                handles, the primary's vhost-user
 *   struct vio_vq_shm per vring: ring           connection, watches, eventfds
 *     geometry (offsets), the driver state    struct vio_queue: a burst handle;
 *     of its owner, counters                    its mpdp_virtq_drv points into
 *   ring memory: desc | avail | used,           this process's mapping of the
 *     slots[], tx headers[]                     ring memory; the kick fd is this
 *                                               process's copy
 *
 * Nothing in the left column is a pointer, an fd or a function: ids are
 * turned into functions through static tables in each process, range
 * checked (field report 003: a function pointer in shared memory).
 */
#ifndef VIRTIO_PRIV_H
#define VIRTIO_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <mpdp/mpdp_ethdev_driver.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_virtio_net.h>
#include <mpdp/mpdp_virtq.h>

#define VIO_LOG "pmd.virtio"

#define VIO_PORT_MAGIC    0x6d707669u /* "mpvi" */
#define VIO_PORT_VERSION  2
#define VIO_ZONE_TAG      "vio" /* the shared state is memzone "<port>.vio" */
#define VIO_PORT_NAME_MAX (MPDP_NAME_SIZE - sizeof("." VIO_ZONE_TAG))

#define VIO_MAX_QPAIRS MPDP_ETH_MAX_QUEUES
#define VIO_MAX_VRINGS (2 * VIO_MAX_QPAIRS)
#define VIO_QSIZE_MIN  16u
#define VIO_QSIZE_MAX  4096u
#define VIO_QSIZE_DEF  256u
#define VIO_PATH_MAX   108 /* sun_path */

/* Transport ids (stored in vio_port_shm.transport). */
enum vio_transport {
	VIRTIO_TRANSPORT_NONE = 0,
	VIRTIO_TRANSPORT_USER = 1,       /* vhost-user frontend over a unix socket */
	VIRTIO_TRANSPORT_PCI_LEGACY = 2, /* PCI, legacy interface: I/O BAR0 registers */
	VIRTIO_TRANSPORT_PCI_MODERN = 3, /* PCI, virtio 1.x capabilities in memory BARs */
	VIRTIO_TRANSPORT_MAX
};

/* Receive path ids (vio_port_shm.rx_path), chosen by the primary at start. */
enum vio_rx_path {
	VIO_RX_NONE = 0, /* not started: bursts return 0 */
	VIO_RX_SIMPLE,   /* one buffer per packet (no MRG_RXBUF) */
	VIO_RX_MRG,      /* mergeable buffers: num_buffers chains */
	VIO_RX_PATH_MAX
};

/* Transmit path ids (vio_port_shm.tx_path). */
enum vio_tx_path {
	VIO_TX_NONE = 0,
	VIO_TX_STD, /* header in the headroom when possible, else a chain */
	VIO_TX_PATH_MAX
};

/* Per-vring counters (xstats); one writer, the ring's owner. */
enum vio_ctr {
	VIO_C_GOOD_PACKETS = 0,
	VIO_C_GOOD_BYTES,
	VIO_C_ERRORS,       /* rx: bad num_buffers / lengths, dropped; tx: unsendable */
	VIO_C_MRG_SEGMENTS, /* rx: buffers beyond the first of a packet; tx: chained packets */
	VIO_C_KICKS,
	VIO_C_SIZE_64,
	VIO_C_SIZE_65_127,
	VIO_C_SIZE_128_255,
	VIO_C_SIZE_256_511,
	VIO_C_SIZE_512_1023,
	VIO_C_SIZE_1024_1518,
	VIO_C_SIZE_1519_MAX,
	VIO_C_BROKEN,  /* 1 once the ring was marked broken */
	VIO_C_REPAIRS, /* states left by an owner that died in a burst, repaired */
	VIO_NB_CTR
};

/*
 * Where the owner of a ring is in a burst (vio_vq_shm.phase). A burst takes
 * used entries (TAKE: slots are freed, the saved state lags), saves, adds
 * new chains (GIVE: slots of free descriptors are written, avail entries
 * not yet published), saves, publishes, and is IDLE again. A new owner that
 * finds TAKE or GIVE knows its predecessor died there and repairs the
 * state first (virtio_net.c, vq_repair(); docs/design/virtio.md).
 */
enum vio_phase {
	VIO_PH_IDLE = 0,
	VIO_PH_TAKE = 1,
	VIO_PH_GIVE = 2,
};

/*
 * One vring's shared state. Writers: (P) the primary, at probe / queue
 * set-up, when nobody polls the ring; (O) the owner of the queue that uses
 * the ring (one process at a time, ordered by the claim handover); (A) any
 * process (xstats reset baselines).
 *
 * The driver state (line 1) is a copy of the fields of struct mpdp_virtq_drv
 * that change: a burst loads it (relaxed), works on its process-local
 * mpdp_virtq_drv, and stores it back before it publishes avail.idx, so a
 * new owner continues where the old one stopped. See docs/design/virtio.md
 * for what a SIGKILL inside a burst leaves.
 */
struct vio_vq_shm {
	/* line 0 (P): geometry, heap offsets inside the port's memzone */
	mpdp_shm_off_t desc_off;
	mpdp_shm_off_t avail_off;
	mpdp_shm_off_t used_off;
	mpdp_shm_off_t slots_off; /* struct mpdp_virtq_slot_shm[size] */
	mpdp_shm_off_t hdr_off;   /* tx: 16-byte header slots [size] */
	uint16_t size;
	uint16_t vring;     /* its index: rx q = 2q, tx q = 2q + 1 */
	uint32_t setup_gen; /* (P) bumped at each ring (re)initialisation */
	/* (P) PCI: file offset of this vring's doorbell in the fd the primary
	 * exports (virtio_pci.c); 0 for other transports */
	uint64_t notify_off;
	uint8_t pad0[MPDP_CACHE_LINE_SIZE - 56];
	/* line 1 (O): the owner's driver state */
	_Atomic uint16_t free_head;
	_Atomic uint16_t num_free;
	_Atomic uint16_t avail_idx;
	_Atomic uint16_t kicked_idx;
	_Atomic uint16_t last_used_idx;
	_Atomic uint8_t broken;
	uint8_t event_idx;     /* (P) */
	_Atomic uint8_t phase; /* enum vio_phase: where the owner's burst is */
	uint8_t pad1[MPDP_CACHE_LINE_SIZE - 13];
	/* (O) counters, then (A) their reset baselines */
	_Atomic uint64_t ctr[VIO_NB_CTR];
	_Atomic uint64_t base[VIO_NB_CTR];
} MPDP_CACHE_ALIGNED;
MPDP_STATIC_ASSERT(offsetof(struct vio_vq_shm, free_head) == MPDP_CACHE_LINE_SIZE,
		   "virtio vring state layout is ABI");
MPDP_STATIC_ASSERT(offsetof(struct vio_vq_shm, ctr) == 2 * MPDP_CACHE_LINE_SIZE,
		   "virtio vring state layout is ABI");

/*
 * A port's shared state, memzone "<port>.vio". (I) immutable after probe,
 * (P) the primary (its control thread included: link, status, counters of
 * the connection). Ring memory follows the struct, in the same memzone.
 */
struct vio_port_shm {
	uint32_t magic;               /* (I) VIO_PORT_MAGIC */
	uint32_t version;             /* (I) VIO_PORT_VERSION */
	uint32_t transport;           /* (I) enum vio_transport */
	uint16_t nb_qpairs;           /* (I) queues= */
	uint16_t queue_size;          /* (I) entries per vring */
	uint64_t want_features;       /* (I) what the driver asks for (devargs) */
	_Atomic uint64_t features;    /* (P) negotiated (without vhost-user's bit 30) */
	_Atomic uint32_t rx_path;     /* (P) enum vio_rx_path */
	_Atomic uint32_t tx_path;     /* (P) enum vio_tx_path */
	uint32_t hdr_len;             /* (I) 12 (VERSION_1 or MRG_RXBUF), 10 (legacy without) */
	_Atomic uint32_t status;      /* (P) device status, emulated (or mirrored with F_STATUS) */
	_Atomic uint32_t link_up;     /* (P) backend connected and rings running */
	_Atomic uint32_t connected;   /* (P) the socket is up and negotiated */
	_Atomic uint64_t connects;    /* (P) successful (re)connections */
	_Atomic uint64_t disconnects; /* (P) backend went away */
	_Atomic uint64_t protocol_features; /* (P) vhost-user protocol features in use */
	uint64_t area_len;                  /* (I) bytes of the memzone */
	char path[VIO_PATH_MAX];            /* (I) the socket (USER) */
	uint32_t used_align;                /* (I) used ring alignment: 4, or 4096 (legacy PCI) */
	uint32_t block_align;               /* (I) 0, or PCI: DMA blocks aligned to their size
			       * rounded up to a power of two, at most this */
	uint8_t pad[MPDP_CACHE_LINE_SIZE * 4 - 96 - VIO_PATH_MAX];
	struct vio_vq_shm vq[VIO_MAX_VRINGS];
};
MPDP_STATIC_ASSERT(offsetof(struct vio_port_shm, vq) == 4 * MPDP_CACHE_LINE_SIZE,
		   "virtio port state layout is ABI");

/* ---------------------------------------------------------- process-local */

struct vio_priv;

/* A queue handle (what queue_attach gives out); one per direction and queue. */
struct vio_queue {
	struct mpdp_virtq_drv vq; /* pointers into this process's ring mapping */
	struct vio_vq_shm *vs;    /* shared state of the ring */
	struct vio_port_shm *pmd;
	struct mpdp_eth_queue_stats_shm *stats;
	struct mpdp_mempool *mp; /* rx: the pool refills come from */
	const struct vio_transport_ops *ops;
	uint8_t *hdrs;     /* tx: header slots (16 bytes each) */
	uint64_t hdr_iova; /* tx: device address of hdrs[0] (see iova) */
	int kick_fd;       /* USER: this process's copy; PCI: the doorbell fd; -1 */
	uint16_t port;
	uint16_t vring;
	uint32_t hdr_len;
	bool rx;
	bool attached;
	/* what descriptors carry: true, IOVAs (buf_iova, mpdp_mem_iova: PCI);
	 * false, heap offsets in every IOVA mode (USER: the vhost-user memory
	 * table is by offset). From the transport's table, per queue. */
	bool iova;
	/* PCI doorbell, this process's (virtio_pci.c): legacy pwrite()s the
	 * vring index at db_off in kick_fd; modern stores it at db, inside
	 * db_map (db_map_len bytes mapped from kick_fd) */
	uint64_t db_off;
	volatile uint16_t *db;
	void *db_map;
	size_t db_map_len;
} MPDP_CACHE_ALIGNED;

/*
 * A transport, process-local: one static table per transport, chosen by
 * id. The hooks marked primary touch the device (the backend); the others
 * run in every process.
 */
struct vio_transport_ops {
	const char *name;
	/* descriptors carry IOVAs (true) or heap offsets (false): vio_queue.iova */
	bool dma_iova;
	/* every process: the kick fd (or doorbell) of vring v for a handle;
	 * -EAGAIN when a secondary has not received it yet */
	int (*queue_attach)(struct mpdp_eth_dev *dev, struct vio_queue *h);
	void (*queue_detach)(struct mpdp_eth_dev *dev, struct vio_queue *h);
	/* every process, fast path: tell the device that vring h->vring has work */
	void (*notify)(struct vio_queue *h);
	/* primary: bring the device up with the rings as they are (start),
	 * take it down (stop), let go of it (close) */
	int (*start)(struct mpdp_eth_dev *dev);
	void (*stop)(struct mpdp_eth_dev *dev);
	void (*close)(struct mpdp_eth_dev *dev);
	/* primary, optional: the core is about to (re)initialise or drain ring
	 * memory (queue set-up, release): a device that may still use the
	 * rings must let go of them first */
	void (*quiesce)(struct mpdp_eth_dev *dev);
	/* primary, optional: refresh pmd->link_up from the device (link_update) */
	void (*link_read)(struct mpdp_eth_dev *dev);
	/* every process: free transport-private state of dev->priv */
	void (*detach)(struct mpdp_eth_dev *dev);
};

extern const struct vio_transport_ops vio_user_ops;
extern const struct vio_transport_ops vio_pci_legacy_ops;
extern const struct vio_transport_ops vio_pci_modern_ops;

/* dev->priv */
struct vio_priv {
	struct vio_port_shm *pmd;
	const struct vio_transport_ops *ops; /* vio_transports[pmd->transport] */
	uint16_t nb_qpairs;
	uint16_t queue_size;
	struct vio_queue rxq[VIO_MAX_QPAIRS];
	struct vio_queue txq[VIO_MAX_QPAIRS];
	void *tp; /* transport-private, process-local */
};

/* core (virtio_net.c), for the transports */
const struct mpdp_eth_dev_ops *vio_eth_ops(void);
/*
 * Lay out every vring of a fresh area (primary, probe), from pmd's
 * nb_qpairs, queue_size, used_align and block_align. block_align != 0 (PCI)
 * puts each part a device reads by DMA (desc|avail|used as one block; the
 * tx header slots) at a heap offset aligned to its size rounded up to a
 * power of two, at most block_align (the page size), so it never crosses a
 * page boundary that size would not; vio_area_size() counts the padding.
 */
int vio_area_layout(struct vio_port_shm *pmd, size_t area_len);
size_t vio_area_size(uint16_t nb_qpairs, uint16_t queue_size, uint32_t used_align,
		     uint32_t block_align);
/* The DMA blocks of vring v: the ring (desc..used end) and the header slots. */
void vio_vring_blocks(const struct vio_port_shm *pmd, uint16_t v, void **ring, size_t *ring_len,
		      void **hdrs, size_t *hdrs_len);
/*
 * Primary, port stopped, device quiet: initialise vring v afresh as its
 * queue set-up did (rx: refilled from the queue's pool). For a transport
 * that had to reset the device. Returns 0 or -errno (logged).
 */
int vio_vring_reinit(struct mpdp_eth_dev *dev, uint16_t v);
/* The ring parts of vring v in this process, checked against the area. */
int vio_vring_map(const struct vio_port_shm *pmd, uint16_t v, void **desc, void **avail,
		  void **used);
/* Names for logs. */
void vio_features_str(uint64_t f, char *buf, size_t size);

#endif /* VIRTIO_PRIV_H */
