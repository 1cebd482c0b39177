/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_null.c - the null port: receive makes packets out of nothing, transmit
 * frees them. The fast-path upper bound of mpdp, and the template for a new
 * driver (the hooks, the split between shared and process-local state).
 *
 *   --vdev 'net_null0[,size=N][,rx=gen|empty][,mac=xx:xx:xx:xx:xx:xx][,queues=N]'
 *
 *   size=N     length of each received packet (default 64)
 *   rx=gen     receive allocates a full burst from the queue's pool (default,
 *              as DPDK's net_null); rx=empty receives nothing
 *   mac=       the port's address (default 02:6e:75:6c:00:<port id>)
 *   queues=N   receive and transmit queues the port offers, 1..16 (default 16)
 *
 * Shared state: the port's slot only. Its drv_data words (below) carry the
 * two settings every process needs; the queue's pool is the slot's
 * rxq[q].mempool_id. Process-local state: the queue handles queue_attach
 * makes, in the primary and in every secondary alike. No memzone of its own.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpdp/mpdp_ethdev_driver.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mbuf.h>

#define NULL_LOG "pmd.null"

#define NULL_SIZE_DEFAULT 64
#define NULL_SIZE_MAX     UINT16_MAX
#define NULL_DESC_MAX     4096
#define NULL_MTU_MIN      68
#define NULL_MTU_MAX      9600
#define NULL_SPEED_MBPS   10000

/* The slot's drv_data words, (P) written once by probe, before publish. */
enum {
	NULL_DATA_SIZE = 0, /* bytes per received packet, 1..NULL_SIZE_MAX */
	NULL_DATA_MODE = 1, /* enum null_rx_mode */
};

enum null_rx_mode {
	NULL_RX_GEN = 0,
	NULL_RX_EMPTY = 1,
};

/* Process-local queue handles (queue_attach). */
struct null_rxq {
	struct mpdp_mempool *mp; /* NULL for rx=empty */
	struct mpdp_eth_queue_stats_shm *stats;
	uint16_t size;
	uint16_t port;
};

struct null_txq {
	struct mpdp_eth_queue_stats_shm *stats;
};

/* ------------------------------------------------------------ fast path */

static uint16_t null_rx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct null_rxq *rxq = queue;
	const uint16_t size = rxq->size, port = rxq->port;

	if (rxq->mp == NULL || n == 0)
		return 0;
	/* mpdp_mbuf_alloc_bulk(), with the reset and our fields in one pass */
	if (mpdp_unlikely(mpdp_mempool_get_bulk(rxq->mp, (void **)pkts, n) != 0)) {
		mpdp_eth_queue_stats_add(&rxq->stats->nombuf, n);
		return 0;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct mpdp_mbuf *m = pkts[i];

		mpdp_mbuf_refcnt_set(m, 1);
		mpdp_mbuf_reset(m);
		m->data_len = size;
		m->pkt_len = size;
		m->port = port;
	}
	mpdp_eth_queue_stats_add(&rxq->stats->packets, n);
	mpdp_eth_queue_stats_add(&rxq->stats->bytes, (uint64_t)n * size);
	return n;
}

static uint16_t null_tx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct null_txq *txq = queue;
	uint64_t bytes = 0;

	/* lengths first: after the free the mbufs are the pool's */
	for (uint16_t i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	mpdp_mbuf_free_bulk(pkts, n);

	mpdp_eth_queue_stats_add(&txq->stats->packets, n);
	mpdp_eth_queue_stats_add(&txq->stats->bytes, bytes);
	return n;
}

/* ------------------------------------------------------------ every process */

/* The settings in the slot, checked: another process wrote them (rule 8). */
static int null_settings(struct mpdp_eth_dev *dev, uint16_t *size, enum null_rx_mode *mode)
{
	uint64_t s = dev->shm->drv_data[NULL_DATA_SIZE];
	uint64_t m = dev->shm->drv_data[NULL_DATA_MODE];

	if (s == 0 || s > NULL_SIZE_MAX || (m != NULL_RX_GEN && m != NULL_RX_EMPTY)) {
		mpdp_log(MPDP_LOG_ERR, NULL_LOG, "%s: bad shared settings (size %llu, mode %llu)",
			 dev->shm->name, (unsigned long long)s, (unsigned long long)m);
		return -EPROTO;
	}
	*size = (uint16_t)s;
	*mode = (enum null_rx_mode)m;
	return 0;
}

static int null_attach(struct mpdp_eth_dev *dev)
{
	enum null_rx_mode mode;
	uint16_t size;

	return null_settings(dev, &size, &mode);
}

static int null_queue_attach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			     void **handle)
{
	enum null_rx_mode mode;
	uint16_t size;
	int rc;

	if (dir == MPDP_ETH_TX) {
		struct null_txq *txq = calloc(1, sizeof(*txq));

		if (txq == NULL)
			return -ENOMEM;
		txq->stats = mpdp_eth_queue_stats(dev, MPDP_ETH_TX, q);
		*handle = txq;
		return 0;
	}

	rc = null_settings(dev, &size, &mode);
	if (rc != 0)
		return rc;
	struct null_rxq *rxq = calloc(1, sizeof(*rxq));

	if (rxq == NULL)
		return -ENOMEM;
	rxq->stats = mpdp_eth_queue_stats(dev, MPDP_ETH_RX, q);
	rxq->size = size;
	rxq->port = dev->port_id;
	if (mode == NULL_RX_GEN) {
		uint32_t id = dev->shm->rxq[q].mempool_id;

		rxq->mp = mpdp_mempool_from_id(id);
		if (rxq->mp == NULL) {
			mpdp_log(MPDP_LOG_ERR, NULL_LOG, "%s: rx queue %u: pool %u not found",
				 dev->shm->name, q, id);
			free(rxq);
			return -ENOENT;
		}
	}
	*handle = rxq;
	return 0;
}

static void null_queue_detach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			      void *handle)
{
	(void)dev;
	(void)dir;
	(void)q;
	free(handle);
}

/* ------------------------------------------------------------ primary */

static int null_rx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc,
			       struct mpdp_mempool *mp)
{
	enum null_rx_mode mode;
	uint16_t size, room, headroom;
	int rc;

	(void)nb_desc;
	rc = null_settings(dev, &size, &mode);
	if (rc != 0 || mode == NULL_RX_EMPTY)
		return rc;
	/* what mpdp_mbuf_reset() leaves: headroom up to the default, the rest for data */
	room = mpdp_mbuf_pool_data_room(mp);
	headroom = room < MPDP_MBUF_DEFAULT_HEADROOM ? room : MPDP_MBUF_DEFAULT_HEADROOM;
	if (room == 0 || size > room - headroom) {
		mpdp_log(
			MPDP_LOG_ERR, NULL_LOG,
			"%s: rx queue %u: pool %s holds %u data bytes per mbuf, size=%u needs more",
			dev->shm->name, q, mp->name, room > headroom ? room - headroom : 0, size);
		return -EINVAL;
	}
	return 0;
}

static int null_macaddr_set(struct mpdp_eth_dev *dev, const struct mpdp_ether_addr *mac)
{
	(void)dev;
	(void)mac;
	return 0; /* nothing to program: ethdev publishes it */
}

static const struct mpdp_eth_dev_ops null_ops = {
	.rx_queue_setup = null_rx_queue_setup,
	.macaddr_set = null_macaddr_set,
	.attach = null_attach,
	.queue_attach = null_queue_attach,
	.queue_detach = null_queue_detach,
	.rx_burst = null_rx_burst,
	.tx_burst = null_tx_burst,
};

static const char *const null_keys[] = { "size", "rx", "mac", "queues", NULL };

static struct mpdp_eth_driver null_driver;

static int null_probe(const struct mpdp_devargs *da, const char *devargs_str, char *err,
		      size_t err_size)
{
	struct mpdp_ether_addr mac;
	struct mpdp_eth_dev *dev;
	enum null_rx_mode mode = NULL_RX_GEN;
	uint64_t size, queues;
	const char *s;
	int rc, have_mac = 0;

	rc = mpdp_devargs_get_uint(da, "size", 1, NULL_SIZE_MAX, NULL_SIZE_DEFAULT, &size, err,
				   err_size);
	if (rc != 0)
		return rc;
	rc = mpdp_devargs_get_uint(da, "queues", 1, MPDP_ETH_MAX_QUEUES, MPDP_ETH_MAX_QUEUES,
				   &queues, err, err_size);
	if (rc != 0)
		return rc;
	s = mpdp_devargs_get(da, "rx");
	if (s != NULL) {
		if (strcmp(s, "gen") == 0) {
			mode = NULL_RX_GEN;
		} else if (strcmp(s, "empty") == 0) {
			mode = NULL_RX_EMPTY;
		} else {
			snprintf(err, err_size, "%s: rx=%s: expected gen or empty", da->name, s);
			return -EINVAL;
		}
	}
	s = mpdp_devargs_get(da, "mac");
	if (s != NULL) {
		if (mpdp_ether_addr_parse(s, &mac) != 0 ||
		    !mpdp_ether_addr_is_valid_assigned(&mac)) {
			snprintf(err, err_size, "%s: mac=%s: expected a unicast xx:xx:xx:xx:xx:xx",
				 da->name, s);
			return -EINVAL;
		}
		have_mac = 1;
	}

	dev = mpdp_eth_dev_create(da->name, &null_driver, devargs_str, &rc);
	if (dev == NULL) {
		snprintf(err, err_size, "%s: cannot create the port: %s", da->name, strerror(-rc));
		return rc;
	}
	struct mpdp_eth_dev_shm *shm = dev->shm;

	if (!have_mac)
		mac = (struct mpdp_ether_addr){ { 0x02, 0x6e, 0x75, 0x6c, 0x00,
						  (uint8_t)dev->port_id } };
	shm->max_rx_queues = (uint16_t)queues;
	shm->max_tx_queues = (uint16_t)queues;
	shm->min_desc = 1;
	shm->max_desc = NULL_DESC_MAX;
	shm->min_mtu = NULL_MTU_MIN;
	shm->max_mtu = NULL_MTU_MAX;
	if (shm->mtu == 0)
		shm->mtu = MPDP_ETHER_MTU_DEFAULT;
	shm->mac = mac;
	shm->link = (struct mpdp_eth_link){
		.speed_mbps = NULL_SPEED_MBPS, .up = 1, .full_duplex = 1, .autoneg = 0
	};
	shm->drv_data[NULL_DATA_SIZE] = size;
	shm->drv_data[NULL_DATA_MODE] = mode;

	rc = mpdp_eth_dev_publish(dev);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot publish the port: %s", da->name, strerror(-rc));
		mpdp_eth_dev_release(dev);
		return rc;
	}
	mpdp_log(MPDP_LOG_INFO, NULL_LOG, "%s: port %u, size %llu, rx %s, %llu queues", da->name,
		 dev->port_id, (unsigned long long)size, mode == NULL_RX_GEN ? "gen" : "empty",
		 (unsigned long long)queues);
	return 0;
}

static struct mpdp_eth_driver null_driver = {
	.name = "net_null",
	.bus = MPDP_BUS_VDEV,
	.devargs_keys = null_keys,
	.devargs_help = "size=N,rx=gen|empty,mac=xx:xx:xx:xx:xx:xx,queues=N",
	.probe_vdev = null_probe,
	.ops = &null_ops,
};

MPDP_ETH_DRIVER_REGISTER(null_driver)
