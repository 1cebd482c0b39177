/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_ring.c - ports made of rings in shared memory: a port loops back to
 * itself, or two ports form a pair (a cable), within a process or across
 * processes.
 *
 *   --vdev 'net_ring0[,queues=N][,size=N][,peer=NAME]'
 *
 *   queues=N   receive rings the port owns, and so its most rx and tx queues,
 *              1..16 (default 1)
 *   size=N     packets each ring holds, 1..65535 (default 1024); queue setup
 *              accepts any nb_desc up to it, the ring keeps this size
 *   peer=NAME  pair with the existing net_ring port NAME, which must be ready
 *              (not configured) and unpaired; without it the port loops back
 *
 * Rings. Each port owns one receive ring per queue, "<port>.rx<q>" (memzone
 * "rg.<port>.rx<q>"), made at probe, single producer and single consumer.
 * Transmit queue q of a port enqueues into receive ring q of its peer, or of
 * itself without one. So every ring has exactly one producer (the owner of
 * that one tx queue) and one consumer (the owner of the rx queue):
 *
 *        port A                                  port B (peer=A)
 *   tx q --------> [ B.rx<q> ] ------------> rx q
 *   rx q <-------- [ A.rx<q> ] <------------ tx q
 *
 * Packets travel as heap offsets of their mbufs, so a pair works between
 * processes that mapped the heap at different addresses: the primary may
 * transmit on A while a secondary receives on B, and the other way round.
 *
 * Shared state, all by name or offset: the rings, and the port's driver
 * state, "<port>.pmd" (struct ring_port_shm), referenced by the slot's
 * drv_off. Process-local: dev->priv (this process's handles of the port's
 * own rings) and the queue handles queue_attach makes, in the primary and in
 * every secondary by the same code: rx queue q uses the port's own ring q,
 * tx queue q attaches its target ring by name.
 *
 * Pairing (primary, probe of B with peer=A). A must be a net_ring port,
 * READY (so none of its queues are set up and no process has a tx handle to
 * rewire) and unpaired. B is created (CREATING) with its rings and A's name
 * in its state; then A's state is written under A's slot seqlock
 * (mpdp_eth_dev_write_begin/end): its peer is B, its link up; then B is
 * published, and its announcement tells the secondaries about both. A
 * failure at any step undoes what was made, A's state included. Pairing
 * needs the peer's twin in the primary: mpdp_eth_dev_get().
 *
 * Unpairing (primary, close of B). B's tx queues are idle (nobody holds a
 * queue of a port being closed), but A's tx queues may still be polled, in
 * any process, and their handles point into B's receive rings. So when A has
 * transmit queues configured, B's rings are not freed: A adopts them (the
 * "orphan" fields of A's state) and frees them at its next configure or at
 * its close, when no tx handle to them can be in use. Otherwise B frees them.
 * A is left without a peer: link down, its tx queues (as rebuilt from then
 * on) send nothing, until a new port pairs with it (A must be READY again
 * for that). While A holds B's rings, a new port named B cannot be created
 * (its ring names are taken: -EEXIST, logged). Packets left in a ring that
 * is freed are freed with it.
 *
 * Queues and rings. configure takes at most queues= rx and tx queues, and a
 * paired port at most its peer's queues= tx queues. A tx queue whose peer rx
 * queue is not configured fills that ring, then sends nothing (tx returns 0),
 * as a cable to a port that does not read.
 *
 * A port name is at most RING_PORT_NAME_MAX characters, so that its ring
 * names fit MPDP_RING_NAME_SIZE.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ethdev_driver.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_memzone.h>
#include <mpdp/mpdp_ring.h>

#define RING_LOG         "pmd.ring"
#define RING_ZONE_TAG    "pmd" /* the shared state is memzone "<port>.pmd" */
#define RING_DRIVER_NAME "net_ring"

#define RING_QUEUES_DEFAULT 1
#define RING_SIZE_DEFAULT   1024
#define RING_SIZE_MAX       UINT16_MAX
#define RING_MTU_MIN        68
#define RING_MTU_MAX        9600
#define RING_SPEED_MBPS     10000
/* "<port>.rx15" fits a ring name */
#define RING_PORT_NAME_MAX (MPDP_RING_NAME_SIZE - 1 - sizeof(".rx15") + 1)
/* rings move offsets in chunks of this many */
#define RING_CHUNK 64

#define RING_PORT_MAGIC   0x6d70726eu /* "mprn" */
#define RING_PORT_VERSION 1

/*
 * Counter of one tx queue, on a line of its own: each is written by the
 * owner of its queue, and queues of one port are polled from several cores.
 */
struct ring_txq_stats_shm {
	_Atomic uint64_t full;      /* (O) packets refused because the ring was full */
	_Atomic uint64_t full_base; /* (A) value at the last xstats reset */
	uint64_t pad[6];
} MPDP_CACHE_ALIGNED;
MPDP_STATIC_ASSERT(sizeof(struct ring_txq_stats_shm) == MPDP_CACHE_LINE_SIZE,
		   "one line per tx queue");

/*
 * A port's driver state, memzone "<port>.pmd". Writers: (I) the primary at
 * probe, before the port is published; (P) the primary under the port's
 * slot seqlock (readers copy under it, ring_link_read()); (O) the owner of
 * tx queue q; (A) any process.
 */
struct ring_port_shm {
	uint32_t magic;    /* (I) RING_PORT_MAGIC */
	uint32_t version;  /* (I) RING_PORT_VERSION */
	uint16_t nb_rings; /* (I) receive rings "<port>.rx0.." (queues=) */
	uint16_t pad0;
	uint32_t ring_size; /* (I) packets per ring (size=) */
	/* the pairing: tx queue q sends to "<peer>.rx<q>", or to our own ring */
	char peer[MPDP_NAME_SIZE]; /* (P) peer port's name, "" when none */
	uint16_t peer_port;        /* (P) its port id */
	uint16_t peer_nb_rings;    /* (P) its receive rings */
	uint32_t peer_generation;  /* (P) its slot generation */
	uint8_t peer_lost;         /* (P) 1: the peer closed, tx sends nothing */
	uint8_t count_bytes;       /* (I) bytes=1: tx counts bytes (reads each length) */
	uint8_t pad1[6];
	/* receive rings of a closed peer that our tx handles may still use */
	char orphan[MPDP_NAME_SIZE]; /* (P) that peer's name, "" when none */
	uint16_t orphan_nb_rings;    /* (P) */
	uint8_t pad2[6];
	struct ring_txq_stats_shm txq[MPDP_ETH_MAX_QUEUES]; /* (O), (A) */
};
MPDP_STATIC_ASSERT(offsetof(struct ring_port_shm, txq) == 2 * MPDP_CACHE_LINE_SIZE,
		   "ring port state layout is ABI");
MPDP_STATIC_ASSERT(sizeof(struct ring_port_shm) == (2 + MPDP_ETH_MAX_QUEUES) * MPDP_CACHE_LINE_SIZE,
		   "ring port state layout is ABI");

/* Process-local port state (dev->priv). */
struct ring_priv {
	struct ring_port_shm *pmd;
	uint16_t nb_rings;
	uint32_t ring_size;
	struct mpdp_ring *rx_ring[MPDP_ETH_MAX_QUEUES]; /* the port's own rings */
};

/* Process-local queue handles (queue_attach). */
struct ring_rxq {
	struct mpdp_ring *ring; /* the port's own ring q (priv's handle) */
	struct mpdp_eth_queue_stats_shm *stats;
	uint16_t port;
	int count_bytes;        /* copied from the port's shared state at attach */
};

struct ring_txq {
	struct mpdp_ring *ring; /* the target ring, this handle's own; NULL: no peer */
	struct mpdp_eth_queue_stats_shm *stats;
	_Atomic uint64_t *full;
	int count_bytes;        /* copied from the port's shared state at attach */
};

/* What tx queues target, copied from (P) fields. */
struct ring_link {
	char peer[MPDP_NAME_SIZE];
	uint16_t peer_port;
	uint16_t peer_nb_rings;
	uint32_t peer_generation;
	uint8_t peer_lost;
};

static struct mpdp_eth_driver ring_driver;



/* ------------------------------------------------------------ fast path */

/*
 * Receive: the ring holds heap offsets written by the peer's transmit queue,
 * possibly in another process, so each is checked to name an mbuf inside the
 * heap (rule 8; branch-free over the burst, in the ring copy itself). Like
 * DPDK's net_ring, receive does not touch the mbufs: no per-packet store
 * (m->port is not set) and, unless bytes=1, no length read.
 */
static uint16_t ring_rx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct ring_rxq *rxq = queue;
	unsigned int bad, got;

	got = mpdp_ring_dequeue_burst_ptr_checked(rxq->ring, (void **)pkts, n,
						  sizeof(struct mpdp_mbuf), &bad);
	if (mpdp_unlikely(bad != 0))
		mpdp_eth_queue_stats_add(&rxq->stats->errors, bad);
	if (got != 0) {
		mpdp_eth_queue_stats_add(&rxq->stats->packets, got);
		if (rxq->count_bytes) {
			uint64_t bytes = 0;

			for (unsigned int i = 0; i < got; i++)
				bytes += pkts[i]->pkt_len;
			mpdp_eth_queue_stats_add(&rxq->stats->bytes, bytes);
		}
	}
	return (uint16_t)got;
}

/*
 * Transmit: enqueue the heap offsets on the target ring. Packets only by
 * default, like DPDK's net_ring: counting bytes means reading every mbuf's
 * length, which costs about 15% of a forwarding loop on ring ports (bench/
 * bench_fwd.sh, ring row: 911 vs 787 Mpps); bytes=1 turns it on. The lengths
 * are read before the enqueue: after it the receiver owns the mbufs.
 */
static uint16_t ring_tx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct ring_txq *txq = queue;
	uint64_t bytes = 0;
	unsigned int sent;

	if (mpdp_unlikely(txq->ring == NULL))
		return 0; /* the peer is gone */
	if (txq->count_bytes)
		for (unsigned int i = 0; i < n; i++)
			bytes += pkts[i]->pkt_len;
	sent = mpdp_ring_enqueue_burst_ptr(txq->ring, (void *const *)pkts, n, NULL);
	if (mpdp_unlikely(sent < n)) {
		mpdp_eth_queue_stats_add(txq->full, n - sent);
		if (txq->count_bytes)
			for (unsigned int i = sent; i < n; i++)
				bytes -= pkts[i]->pkt_len;
	}
	if (sent != 0) {
		mpdp_eth_queue_stats_add(&txq->stats->packets, sent);
		if (txq->count_bytes)
			mpdp_eth_queue_stats_add(&txq->stats->bytes, bytes);
	}
	return (uint16_t)sent;
}

/* ------------------------------------------------------------ helpers */

static int ring_name(char *buf, size_t size, const char *port, uint16_t q)
{
	int n = snprintf(buf, size, "%s.rx%u", port, q);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Free a port's rings 0..nb-1 by name; packets still in them are freed too. */
static void ring_free_rings(const char *port, uint16_t nb)
{
	char name[MPDP_RING_NAME_SIZE];
	uint64_t offs[RING_CHUNK];

	for (uint16_t q = 0; q < nb; q++) {
		struct mpdp_ring *r;
		unsigned int k;
		int err;

		if (ring_name(name, sizeof(name), port, q) != 0)
			continue;
		r = mpdp_ring_attach(name, &err);
		if (r == NULL)
			continue;
		/* nobody polls the ring any more: drain it as its only consumer */
		while ((k = mpdp_ring_sc_dequeue_burst(r, offs, RING_CHUNK, NULL)) != 0)
			for (unsigned int i = 0; i < k; i++)
				if (mpdp_shm_off_valid(offs[i], sizeof(struct mpdp_mbuf)))
					mpdp_mbuf_free(mpdp_mbuf_from_off(offs[i]));
		mpdp_ring_free(r);
	}
}

/*
 * Copy the pairing fields of pmd. The primary, their only writer, reads
 * them as they are (its hooks run while it holds the slot's seq odd); other
 * processes copy them under the slot's seqlock. Returns 0 or -EAGAIN.
 */
static int ring_link_read(struct mpdp_eth_dev *dev, const struct ring_port_shm *pmd,
			  struct ring_link *out)
{
	const int primary = mpdp_proc_type() == MPDP_PROC_PRIMARY;

	for (unsigned int tries = 0; tries < 1000; tries++) {
		/* pairs with the release in mpdp_eth_dev_write_end() */
		uint32_t s0 = atomic_load_explicit(&dev->shm->seq, memory_order_acquire);

		if ((s0 & 1) && !primary) {
			if (tries < 10)
				sched_yield();
			else
				usleep(100);
			continue;
		}
		memcpy(out->peer, pmd->peer, sizeof(out->peer));
		out->peer_port = pmd->peer_port;
		out->peer_nb_rings = pmd->peer_nb_rings;
		out->peer_generation = pmd->peer_generation;
		out->peer_lost = pmd->peer_lost;
		atomic_thread_fence(memory_order_acquire);
		if (primary || atomic_load_explicit(&dev->shm->seq, memory_order_relaxed) == s0) {
			out->peer[sizeof(out->peer) - 1] = '\0';
			return 0;
		}
	}
	return -EAGAIN;
}

/* This process's twin of a net_ring port, when it is the one expected. */
static struct mpdp_eth_dev *ring_twin(uint16_t port, uint32_t generation, const char *name)
{
	struct mpdp_eth_dev *dev = mpdp_eth_dev_get(port);

	if (dev == NULL || dev->drv != &ring_driver || dev->priv == NULL ||
	    dev->generation != generation || strncmp(dev->shm->name, name, MPDP_NAME_SIZE) != 0)
		return NULL;
	return dev;
}

/* Primary: free the rings pmd adopted from a closed peer. Under the port's seq. */
static void ring_free_orphans(struct mpdp_eth_dev *dev, struct ring_port_shm *pmd, int locked)
{
	char orphan[MPDP_NAME_SIZE];
	uint16_t nb = pmd->orphan_nb_rings;

	if (pmd->orphan[0] == '\0')
		return;
	memcpy(orphan, pmd->orphan, sizeof(orphan));
	orphan[sizeof(orphan) - 1] = '\0';
	if (nb > MPDP_ETH_MAX_QUEUES)
		nb = MPDP_ETH_MAX_QUEUES;
	if (!locked)
		mpdp_eth_dev_write_begin(dev);
	pmd->orphan[0] = '\0';
	pmd->orphan_nb_rings = 0;
	if (!locked)
		mpdp_eth_dev_write_end(dev);
	ring_free_rings(orphan, nb);
	mpdp_log(MPDP_LOG_DEBUG, RING_LOG, "%s: freed the %u rings of closed peer %s",
		 dev->shm->name, nb, orphan);
}

/* ------------------------------------------------------------ every process */

static int ring_attach(struct mpdp_eth_dev *dev)
{
	struct mpdp_eth_dev_shm *shm = dev->shm;
	struct ring_port_shm *pmd;
	struct ring_priv *priv;
	char name[MPDP_RING_NAME_SIZE];
	int rc;

	/* the slot and the state were written by another process: check them (rule 8) */
	pmd = mpdp_eth_dev_area(dev, RING_LOG, sizeof(*pmd), sizeof(*pmd));
	if (pmd == NULL)
		return -EPROTO;
	if (pmd->magic != RING_PORT_MAGIC || pmd->version != RING_PORT_VERSION ||
	    pmd->nb_rings == 0 || pmd->nb_rings > MPDP_ETH_MAX_QUEUES || pmd->ring_size == 0 ||
	    pmd->ring_size > RING_SIZE_MAX) {
		mpdp_log(MPDP_LOG_ERR, RING_LOG,
			 "%s: bad driver state (magic %#x version %u rings %u size %u)", shm->name,
			 pmd->magic, pmd->version, pmd->nb_rings, pmd->ring_size);
		return -EPROTO;
	}
	priv = calloc(1, sizeof(*priv));
	if (priv == NULL)
		return -ENOMEM;
	priv->pmd = pmd;
	priv->nb_rings = pmd->nb_rings;
	priv->ring_size = pmd->ring_size;
	for (uint16_t q = 0; q < priv->nb_rings; q++) {
		rc = ring_name(name, sizeof(name), shm->name, q);
		if (rc == 0)
			priv->rx_ring[q] = mpdp_ring_attach(name, &rc);
		if (priv->rx_ring[q] == NULL) {
			mpdp_log(MPDP_LOG_ERR, RING_LOG, "%s: cannot attach ring %u: %s", shm->name,
				 q, strerror(-rc));
			goto err_detach;
		}
		if (mpdp_ring_capacity(priv->rx_ring[q]) != priv->ring_size) {
			mpdp_log(MPDP_LOG_ERR, RING_LOG, "%s: ring %s holds %u, the port says %u",
				 shm->name, name, mpdp_ring_capacity(priv->rx_ring[q]),
				 priv->ring_size);
			rc = -EPROTO;
			goto err_detach;
		}
	}
	dev->priv = priv;
	return 0;

err_detach:
	for (uint16_t q = 0; q < priv->nb_rings; q++)
		mpdp_ring_detach(priv->rx_ring[q]);
	free(priv);
	return rc;
}

static void ring_detach(struct mpdp_eth_dev *dev)
{
	struct ring_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	for (uint16_t q = 0; q < priv->nb_rings; q++)
		mpdp_ring_detach(priv->rx_ring[q]);
	free(priv);
	dev->priv = NULL;
}

static int ring_queue_attach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			     void **handle)
{
	struct ring_priv *priv = dev->priv;
	char name[MPDP_RING_NAME_SIZE];
	struct ring_link link;
	int rc;

	if (priv == NULL || q >= priv->nb_rings)
		return -EINVAL;
	if (dir == MPDP_ETH_RX) {
		struct ring_rxq *rxq = calloc(1, sizeof(*rxq));

		if (rxq == NULL)
			return -ENOMEM;
		rxq->ring = priv->rx_ring[q];
		rxq->stats = mpdp_eth_queue_stats(dev, MPDP_ETH_RX, q);
		rxq->count_bytes = priv->pmd->count_bytes != 0;
		rxq->port = dev->port_id;
		*handle = rxq;
		return 0;
	}

	rc = ring_link_read(dev, priv->pmd, &link);
	if (rc != 0)
		return rc;
	struct ring_txq *txq = calloc(1, sizeof(*txq));

	if (txq == NULL)
		return -ENOMEM;
	txq->stats = mpdp_eth_queue_stats(dev, MPDP_ETH_TX, q);
	txq->full = &priv->pmd->txq[q].full;
	txq->count_bytes = priv->pmd->count_bytes != 0;
	if (!link.peer_lost) {
		rc = ring_name(name, sizeof(name),
			       link.peer[0] != '\0' ? link.peer : dev->shm->name, q);
		if (rc == 0)
			txq->ring = mpdp_ring_attach(name, &rc);
		if (txq->ring == NULL) {
			mpdp_log(MPDP_LOG_ERR, RING_LOG, "%s: tx queue %u: no ring %s: %s",
				 dev->shm->name, q, name, strerror(-rc));
			free(txq);
			return rc;
		}
	}
	*handle = txq;
	return 0;
}

static void ring_queue_detach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			      void *handle)
{
	(void)dev;
	(void)q;
	if (handle == NULL)
		return;
	if (dir == MPDP_ETH_TX)
		mpdp_ring_detach(((struct ring_txq *)handle)->ring);
	free(handle);
}

static int ring_xstats_get(struct mpdp_eth_dev *dev, struct mpdp_eth_xstat *xs, unsigned int n)
{
	struct ring_priv *priv = dev->priv;
	unsigned int i = 0;

	if (priv == NULL)
		return 0;
	for (uint16_t q = 0; q < priv->nb_rings; q++, i++)
		if (i < n) {
			snprintf(xs[i].name, sizeof(xs[i].name), "rx_q%u_ring_count", q);
			xs[i].value = mpdp_ring_count(priv->rx_ring[q]);
		}
	for (uint16_t q = 0; q < priv->nb_rings; q++, i++)
		if (i < n) {
			struct ring_txq_stats_shm *s = &priv->pmd->txq[q];

			snprintf(xs[i].name, sizeof(xs[i].name), "tx_q%u_ring_full", q);
			/* the baseline first (acquire, pairs with the reset's release):
			 * never newer than the counter read after it */
			uint64_t b = atomic_load_explicit(&s->full_base, memory_order_acquire);
			uint64_t c = atomic_load_explicit(&s->full, memory_order_relaxed);

			xs[i].value = c >= b ? c - b : 0;
		}
	return (int)i;
}

static void ring_xstats_reset(struct mpdp_eth_dev *dev)
{
	struct ring_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	for (uint16_t q = 0; q < priv->nb_rings; q++) {
		struct ring_txq_stats_shm *s = &priv->pmd->txq[q];

		/* a baseline, never a write to the owner's counter */
		atomic_store_explicit(&s->full_base,
				      atomic_load_explicit(&s->full, memory_order_relaxed),
				      memory_order_release);
	}
}

/* ------------------------------------------------------------ primary */

static int ring_configure(struct mpdp_eth_dev *dev)
{
	struct ring_priv *priv = dev->priv;
	struct ring_link link;
	uint16_t nb_rx = dev->shm->nb_rx_queues, nb_tx = dev->shm->nb_tx_queues;
	int rc;

	if (priv == NULL)
		return -ENODEV;
	rc = ring_link_read(dev, priv->pmd, &link);
	if (rc != 0)
		return rc;
	if (nb_rx > priv->nb_rings || nb_tx > priv->nb_rings) {
		mpdp_log(MPDP_LOG_ERR, RING_LOG,
			 "%s: %u rx / %u tx queues, the port has %u (queues=)", dev->shm->name,
			 nb_rx, nb_tx, priv->nb_rings);
		return -EINVAL;
	}
	if (link.peer[0] != '\0' && !link.peer_lost && nb_tx > link.peer_nb_rings) {
		mpdp_log(MPDP_LOG_ERR, RING_LOG,
			 "%s: %u tx queues, but peer %s has %u receive rings (queues=)",
			 dev->shm->name, nb_tx, link.peer, link.peer_nb_rings);
		return -EINVAL;
	}
	/* the tx handles are rebuilt: none can still point into a closed peer's rings */
	ring_free_orphans(dev, priv->pmd, 0);
	return 0;
}

static int ring_tx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc)
{
	struct ring_priv *priv = dev->priv;
	struct ring_link link;
	int rc;

	(void)nb_desc; /* within min..max desc; the ring keeps the size of size= */
	if (priv == NULL)
		return -ENODEV;
	rc = ring_link_read(dev, priv->pmd, &link);
	if (rc != 0)
		return rc;
	if (q >= priv->nb_rings ||
	    (link.peer[0] != '\0' && !link.peer_lost && q >= link.peer_nb_rings))
		return -EINVAL;
	return 0;
}

/*
 * Close: the port's rings go (or to the peer, see the top of the file), the
 * peer is unpaired, the state memzone is freed.
 */
static void ring_close(struct mpdp_eth_dev *dev)
{
	struct ring_priv *priv = dev->priv;
	struct mpdp_eth_dev *peer = NULL;
	struct ring_link link;
	const char *name = dev->shm->name;
	int adopted = 0;

	if (priv == NULL)
		return;
	if (ring_link_read(dev, priv->pmd, &link) == 0 && link.peer[0] != '\0' && !link.peer_lost) {
		peer = ring_twin(link.peer_port, link.peer_generation, link.peer);
		if (peer == NULL)
			mpdp_log(MPDP_LOG_WARNING, RING_LOG, "%s: peer %s (port %u) not found",
				 name, link.peer, link.peer_port);
	}
	ring_free_orphans(dev, priv->pmd, 0);

	if (peer != NULL) {
		struct ring_priv *ppriv = peer->priv;
		struct ring_port_shm *ppmd = ppriv->pmd;
		/* the peer's tx handles point into our rings while it has tx queues */
		uint32_t pstate = atomic_load_explicit(&peer->shm->state, memory_order_acquire);

		adopted = peer->shm->nb_tx_queues > 0 &&
			  (pstate == MPDP_ETH_STATE_CONFIGURED || pstate == MPDP_ETH_STATE_STARTED);
		mpdp_eth_dev_write_begin(peer);
		/* a peer that adopted rings before has freed them at its configure */
		if (adopted) {
			ring_free_orphans(peer, ppmd, 1);
			snprintf(ppmd->orphan, sizeof(ppmd->orphan), "%s", name);
			ppmd->orphan_nb_rings = priv->nb_rings;
		}
		memset(ppmd->peer, 0, sizeof(ppmd->peer));
		ppmd->peer_port = 0;
		ppmd->peer_nb_rings = 0;
		ppmd->peer_generation = 0;
		ppmd->peer_lost = 1;
		peer->shm->link.up = 0;
		peer->shm->link.speed_mbps = 0;
		mpdp_eth_dev_write_end(peer);
		mpdp_log(MPDP_LOG_INFO, RING_LOG, "%s: closed; peer %s is unpaired, link down%s",
			 name, peer->shm->name,
			 adopted ? ", it keeps our rings until it is reconfigured" : "");
	}

	for (uint16_t q = 0; q < priv->nb_rings; q++) {
		mpdp_ring_detach(priv->rx_ring[q]);
		priv->rx_ring[q] = NULL;
	}
	if (!adopted)
		ring_free_rings(name, priv->nb_rings);
	mpdp_eth_dev_area_free(name, RING_ZONE_TAG);
	priv->pmd = NULL;
}

static const struct mpdp_eth_dev_ops ring_ops = {
	.configure = ring_configure,
	.tx_queue_setup = ring_tx_queue_setup,
	.close = ring_close,
	.attach = ring_attach,
	.detach = ring_detach,
	.queue_attach = ring_queue_attach,
	.queue_detach = ring_queue_detach,
	.xstats_get = ring_xstats_get,
	.xstats_reset = ring_xstats_reset,
	.rx_burst = ring_rx_burst,
	.tx_burst = ring_tx_burst,
};

/*
 * Check that peer can pair with a new port: a net_ring port, READY,
 * unpaired. Returns its twin, or NULL with *rc and a line in err.
 */
static struct mpdp_eth_dev *ring_peer_check(const char *self, const char *peer, int *rc, char *err,
					    size_t err_size)
{
	struct mpdp_eth_dev_info info;
	struct mpdp_eth_dev *pdev;
	struct ring_link link;
	uint16_t port;

	if (strcmp(peer, self) == 0) {
		snprintf(err, err_size, "%s: peer=%s: a port cannot be its own peer", self, peer);
		*rc = -EINVAL;
		return NULL;
	}
	*rc = mpdp_eth_dev_find(peer, &port);
	if (*rc == 0)
		*rc = mpdp_eth_dev_info_get(port, &info);
	if (*rc != 0) {
		snprintf(err, err_size, "%s: peer=%s: no such port", self, peer);
		*rc = -ENOENT;
		return NULL;
	}
	if (strcmp(info.driver, RING_DRIVER_NAME) != 0) {
		snprintf(err, err_size, "%s: peer=%s: a %s port, not %s", self, peer, info.driver,
			 RING_DRIVER_NAME);
		*rc = -EINVAL;
		return NULL;
	}
	if (info.state != MPDP_ETH_STATE_READY) {
		snprintf(err, err_size,
			 "%s: peer=%s: the port is %s; it must be ready (not configured)", self,
			 peer, mpdp_eth_state_name(info.state));
		*rc = -EBUSY;
		return NULL;
	}
	pdev = ring_twin(port, info.generation, peer);
	if (pdev == NULL) {
		snprintf(err, err_size, "%s: peer=%s: the port is not attached in this process",
			 self, peer);
		*rc = -ENOENT;
		return NULL;
	}
	*rc = ring_link_read(pdev, ((struct ring_priv *)pdev->priv)->pmd, &link);
	if (*rc != 0) {
		snprintf(err, err_size, "%s: peer=%s: its state keeps changing", self, peer);
		return NULL;
	}
	if (link.peer[0] != '\0' && !link.peer_lost) {
		snprintf(err, err_size, "%s: peer=%s: already paired with %s", self, peer,
			 link.peer);
		*rc = -EBUSY;
		return NULL;
	}
	return pdev;
}

static int ring_probe(const struct mpdp_devargs *da, const char *devargs_str, char *err,
		      size_t err_size)
{
	char name[MPDP_RING_NAME_SIZE];
	struct mpdp_eth_dev *dev, *pdev = NULL;
	struct mpdp_eth_link peer_link = { 0 };
	struct ring_port_shm *pmd;
	uint8_t peer_lost = 0;
	uint64_t queues, size, count_bytes;
	const char *peer;
	uint16_t q = 0;
	int rc;

	if (strlen(da->name) > RING_PORT_NAME_MAX) {
		snprintf(err, err_size,
			 "%s: name longer than %zu characters (its ring names must fit)", da->name,
			 (size_t)RING_PORT_NAME_MAX);
		return -ENAMETOOLONG;
	}
	rc = mpdp_devargs_get_uint(da, "queues", 1, MPDP_ETH_MAX_QUEUES, RING_QUEUES_DEFAULT,
				   &queues, err, err_size);
	if (rc != 0)
		return rc;
	rc = mpdp_devargs_get_uint(da, "size", 1, RING_SIZE_MAX, RING_SIZE_DEFAULT, &size, err,
				   err_size);
	if (rc != 0)
		return rc;
	rc = mpdp_devargs_get_uint(da, "bytes", 0, 1, 0, &count_bytes, err, err_size);
	if (rc != 0)
		return rc;
	peer = mpdp_devargs_get(da, "peer");
	if (peer != NULL) {
		if (peer[0] == '\0' || strlen(peer) >= MPDP_NAME_SIZE) {
			snprintf(err, err_size, "%s: peer=%s: not a port name", da->name, peer);
			return -EINVAL;
		}
		pdev = ring_peer_check(da->name, peer, &rc, err, err_size);
		if (pdev == NULL)
			return rc;
	}

	dev = mpdp_eth_dev_create(da->name, &ring_driver, devargs_str, &rc);
	if (dev == NULL) {
		snprintf(err, err_size, "%s: cannot create the port: %s", da->name, strerror(-rc));
		return rc;
	}
	pmd = mpdp_eth_dev_area_reserve(dev, RING_ZONE_TAG, sizeof(*pmd), &rc, err, err_size);
	if (pmd == NULL)
		goto err_release;
	pmd->magic = RING_PORT_MAGIC;
	pmd->version = RING_PORT_VERSION;
	pmd->nb_rings = (uint16_t)queues;
	pmd->ring_size = (uint32_t)size;
	pmd->count_bytes = (uint8_t)count_bytes;
	for (q = 0; q < queues; q++) {
		struct mpdp_ring *r = NULL;

		rc = ring_name(name, sizeof(name), da->name, q);
		if (rc == 0)
			r = mpdp_ring_create(name, (unsigned int)size,
					     MPDP_RING_F_SP_ENQ | MPDP_RING_F_SC_DEQ |
						     MPDP_RING_F_EXACT_SZ,
					     &rc);
		if (r == NULL) {
			snprintf(err, err_size, "%s: cannot create ring %s: %s%s", da->name, name,
				 strerror(-rc),
				 rc == -EEXIST ?
					 " (a closed port of this name left it to its peer; "
					 "reconfigure or close the peer first)" :
					 "");
			goto err_free_rings;
		}
		/* attach finds it by name, in this process as in every other */
		mpdp_ring_detach(r);
	}

	struct mpdp_eth_dev_shm *shm = dev->shm;

	shm->max_rx_queues = (uint16_t)queues;
	shm->max_tx_queues = (uint16_t)queues;
	shm->min_desc = 1;
	shm->max_desc = (uint16_t)size;
	shm->min_mtu = RING_MTU_MIN;
	shm->max_mtu = RING_MTU_MAX;
	if (shm->mtu == 0)
		shm->mtu = MPDP_ETHER_MTU_DEFAULT;
	shm->mac =
		(struct mpdp_ether_addr){ { 0x02, 0x72, 0x6e, 0x67, 0x00, (uint8_t)dev->port_id } };
	shm->link = (struct mpdp_eth_link){
		.speed_mbps = RING_SPEED_MBPS, .up = 1, .full_duplex = 1, .autoneg = 0
	};
	if (pdev != NULL) {
		struct ring_priv *ppriv = pdev->priv;

		snprintf(pmd->peer, sizeof(pmd->peer), "%s", pdev->shm->name);
		pmd->peer_port = pdev->port_id;
		pmd->peer_nb_rings = ppriv->nb_rings;
		pmd->peer_generation = pdev->generation;
	}

	/*
	 * Link the peer before the port is published, so that the announcement
	 * of the new port covers the change of the peer too. The peer is READY:
	 * no tx handle of it exists, nor can one use rings it adopted.
	 */
	if (pdev != NULL) {
		struct ring_port_shm *ppmd = ((struct ring_priv *)pdev->priv)->pmd;

		peer_link = pdev->shm->link;
		peer_lost = ppmd->peer_lost;
		mpdp_eth_dev_write_begin(pdev);
		ring_free_orphans(pdev, ppmd, 1);
		snprintf(ppmd->peer, sizeof(ppmd->peer), "%s", dev->shm->name);
		ppmd->peer_port = dev->port_id;
		ppmd->peer_nb_rings = (uint16_t)queues;
		ppmd->peer_generation = dev->generation;
		ppmd->peer_lost = 0;
		pdev->shm->link = (struct mpdp_eth_link){
			.speed_mbps = RING_SPEED_MBPS, .up = 1, .full_duplex = 1, .autoneg = 0
		};
		mpdp_eth_dev_write_end(pdev);
	}
	rc = mpdp_eth_dev_publish(dev);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot publish the port: %s", da->name, strerror(-rc));
		goto err_unlink;
	}
	mpdp_log(MPDP_LOG_INFO, RING_LOG, "%s: port %u, %llu queues of %llu packets, %s%s",
		 da->name, dev->port_id, (unsigned long long)queues, (unsigned long long)size,
		 pdev != NULL ? "paired with " : "loopback", pdev != NULL ? pdev->shm->name : "");
	return 0;

err_unlink:
	if (pdev != NULL) {
		struct ring_port_shm *ppmd = ((struct ring_priv *)pdev->priv)->pmd;

		mpdp_eth_dev_write_begin(pdev);
		memset(ppmd->peer, 0, sizeof(ppmd->peer));
		ppmd->peer_port = 0;
		ppmd->peer_nb_rings = 0;
		ppmd->peer_generation = 0;
		ppmd->peer_lost = peer_lost;
		pdev->shm->link = peer_link;
		mpdp_eth_dev_write_end(pdev);
	}
err_free_rings:
	ring_free_rings(da->name, q);
	mpdp_eth_dev_area_free(da->name, RING_ZONE_TAG);
err_release:
	mpdp_eth_dev_release(dev);
	return rc;
}

static const char *const ring_keys[] = { "queues", "size", "peer", "bytes", NULL };

static struct mpdp_eth_driver ring_driver = {
	.name = RING_DRIVER_NAME,
	.bus = MPDP_BUS_VDEV,
	.devargs_keys = ring_keys,
	.devargs_help = "queues=N,size=N,peer=NAME,bytes=0|1",
	.probe_vdev = ring_probe,
	.ops = &ring_ops,
};

MPDP_ETH_DRIVER_REGISTER(ring_driver)
