/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_pcap.c - ports that receive from a capture file and transmit into one,
 * in any process of the instance.
 *
 *   --vdev 'net_pcap0,rx_pcap=FILE[,tx_pcap=FILE][,loop=0|1|N][,queues=N]'
 *   --vdev 'net_pcap1,tx_pcap=FILE'
 *
 *   rx_pcap=FILE  receive the packets of FILE (pcap or pcapng, read by
 *                 libpcap; Ethernet link type only). Without it the port
 *                 receives nothing.
 *   tx_pcap=FILE  write what is transmitted to FILE (created, or truncated),
 *                 classic pcap with nanosecond timestamps, link type EN10MB.
 *                 Without it transmit frees the packets and counts them.
 *   loop=0|1|N    0: one pass over the file (the default); 1: forever;
 *                 N >= 2: N passes. Needs rx_pcap=.
 *   queues=N      rx and tx queues the port offers, 1..16 (default 1). With
 *                 R receive queues configured, rx queue q receives records
 *                 q, q + R, q + 2R, ... of the file; every tx queue appends
 *                 to the one tx file.
 * File names may not contain ',' and are at most 127 characters (devargs).
 *
 * Receive. The primary reads the whole rx file at probe, twice through
 * libpcap (pcap_fopen_offline on a descriptor it opened O_CLOEXEC, so any
 * format libpcap reads works and its error text names what is wrong): the
 * first pass checks every record and sizes the area, the second copies the
 * records into the port's memzone "<port>.pcap". So every process that
 * claims an rx queue, the primary or a secondary of any program, receives
 * from shared memory, and no process but the primary ever opens the file.
 * The packets may take at most half the heap; a bigger file is refused at
 * probe with its size, the heap's and a hint to use --mem.
 *
 *   memzone "<port>.pcap" (the slot's drv_off / drv_len)
 *   +-------------------------+ 0
 *   | struct port_shm         |  magic, version, settings, counts, offsets,
 *   |   rxq[16] (a line each) |  the rx cursors
 *   +-------------------------+ index_off
 *   | uint64_t index[nb]      |  offset of each record from the zone start
 *   +-------------------------+ data_off
 *   | struct rec_shm + bytes  |  caplen, wire length, timestamp (ns), then
 *   | ... (8-byte aligned)    |  caplen bytes of packet
 *   +-------------------------+ zone_len
 *
 * Nothing in it is a pointer. Received packets are copied out of the area
 * into mbufs of the queue's pool, chained when a packet is longer than one
 * mbuf's data room (the next segments use their whole buffer).
 *
 * Transmit. The primary opens the tx file at probe (O_CREAT | O_TRUNC |
 * O_WRONLY | O_APPEND | O_CLOEXEC, 0644), writes the pcap file header and
 * exports the descriptor to ethdev (mpdp_eth_dev_fd_export(), index 0), which
 * sends copies to every secondary; then it closes its own. Every process's
 * tx queue takes this process's copy (mpdp_eth_dev_fd()) at queue_attach; a
 * secondary that has not received it yet returns -EAGAIN and ethdev retries.
 * A packet is written with one writev() (record header and every segment),
 * so with O_APPEND the records of all queues of all processes never
 * interleave on a regular file (Linux holds the inode lock across one write;
 * on a pipe only writes up to PIPE_BUF are atomic). No pcap_dump(): its
 * FILE buffering is per process. A record's timestamp is the time of its
 * burst (CLOCK_REALTIME); a packet longer than the snaplen (262144) is cut. Transmit always consumes the whole burst:
 * a failed or short write counts the packet in the queue's errors (a short
 * write leaves the file cut at that record, logged).
 *
 * Who writes what:
 *   (I) the primary at probe, before the port is published: the whole zone
 *       except the cursors. Publication (the slot seqlock's release) makes
 *       it visible to every process that attaches (acquire).
 *   (P) the primary at rx queue setup, under the slot's seqlock (the queue
 *       cannot be claimed meanwhile): a queue's first record, its step and
 *       the reset of its cursor.
 *   (O) the owner of rx queue q: rxq[q].next and rxq[q].passes, relaxed
 *       loads and stores, one writer. The cursor stays in shared memory, so
 *       when the queue changes hands the new owner continues where the last
 *       one stopped: the old owner's stores happen before its release of the
 *       claim (seq_cst CAS in mpdp_eth_queue_release(), or the primary's
 *       exit hook for a process that died), which happens before the new
 *       owner's claim CAS (seq_cst). A process that dies mid-burst may have
 *       lost its last store: the next owner receives that burst again.
 *   Readers of the cursors (xstats, any process) load them relaxed and may
 *   see one burst old values.
 * Distrust (rule 8): attach checks the zone's header, offsets and counts
 * against the slot's drv_len; receive checks each record against the zone
 * before copying it (a bad one is counted in ierrors and skipped).
 *
 * Failed start. A probe that fails leaves nothing: its memzone is freed, its
 * export withdrawn, a tx file it created removed (an existing file it
 * truncated stays, empty). When a later device makes mpdp_init() fail, the
 * port is closed inside the failed init (mpdp_proc_type() is still AUTO
 * there): the tx file is removed too if this probe created it. A normal
 * close keeps the file.
 *
 * A port name is at most PCAP_PORT_NAME_MAX characters, so "<port>.pcap"
 * fits a memzone name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ethdev_driver.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_memzone.h>

#define PCAP_LOG         "pmd.pcap"
#define PCAP_DRIVER_NAME "net_pcap"

#define PCAP_QUEUES_DEFAULT 1
#define PCAP_DESC_MAX       4096
#define PCAP_MTU_MIN        68
#define PCAP_MTU_MAX        9600
#define PCAP_SPEED_MBPS     10000
#define PCAP_PATH_SIZE      MPDP_DEVARGS_VALUE_SIZE
/* "<port>.pcap" fits a memzone name */
#define PCAP_ZONE_TAG "pcap"
#define PCAP_PORT_NAME_MAX (MPDP_NAME_SIZE - sizeof("." PCAP_ZONE_TAG))
/* index of the tx file among the port's exported fds */
#define PCAP_FD_TX 0
/* the packets of an rx file may take at most 1 / PCAP_HEAP_SHARE of the heap */
#define PCAP_HEAP_SHARE 2
#define PCAP_MB         (1024 * 1024)

/* What we write: classic pcap, nanosecond timestamps, Ethernet. */
#define PCAP_FILE_MAGIC_NS 0xa1b23c4du
#define PCAP_FILE_SNAPLEN  262144u /* libpcap's largest; longer packets are cut */
#define PCAP_FILE_LINKTYPE 1u      /* LINKTYPE_ETHERNET (DLT_EN10MB) */

#define PCAP_PORT_MAGIC   0x6d707063u /* "mppc" */
#define PCAP_PORT_VERSION 1

/* The pcap file header and record header, as written (host byte order). */
struct file_hdr {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};
MPDP_STATIC_ASSERT(sizeof(struct file_hdr) == 24, "pcap file header is 24 bytes");

struct rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_nsec;
	uint32_t caplen;
	uint32_t len;
};
MPDP_STATIC_ASSERT(sizeof(struct rec_hdr) == 16, "pcap record header is 16 bytes");

/* One packet of the rx file in the zone; caplen bytes follow, padded to 8. */
struct rec_shm {
	uint32_t caplen;   /* (I) bytes that follow */
	uint32_t wire_len; /* (I) length on the wire (>= caplen) */
	uint64_t ts_ns;    /* (I) capture time, ns since the epoch */
};
MPDP_STATIC_ASSERT(sizeof(struct rec_shm) == 16, "record header layout is ABI");

/* The cursor of one rx queue, on a line of its own (its owner writes it). */
struct rxq_shm {
	uint64_t first;          /* (P) first record of the queue: q */
	uint64_t step;           /* (P) records between two of the queue's: rx queues */
	_Atomic uint64_t next;   /* (O) next record to deliver ((P) reset at setup) */
	_Atomic uint64_t passes; /* (O) passes over the file completed ((P) reset) */
	uint64_t pad[4];
} MPDP_CACHE_ALIGNED;
MPDP_STATIC_ASSERT(sizeof(struct rxq_shm) == MPDP_CACHE_LINE_SIZE, "one line per rx queue");

/* A port's driver state, the head of memzone "<port>.pcap". */
struct port_shm {
	uint32_t magic;     /* (I) PCAP_PORT_MAGIC */
	uint32_t version;   /* (I) PCAP_PORT_VERSION */
	uint16_t nb_queues; /* (I) queues= */
	uint8_t has_rx;     /* (I) rx_pcap= given */
	uint8_t has_tx;     /* (I) tx_pcap= given: its fd is exported under PCAP_FD_TX */
	uint8_t tx_created; /* (I) the probe created the tx file */
	uint8_t pad0[3];
	uint32_t pass_limit;          /* (I) passes over the rx file, 0: forever */
	uint64_t nb_records;          /* (I) records in index[] */
	uint64_t index_off;           /* (I) offset of index[] from the zone start */
	uint64_t data_off;            /* (I) offset of the first record */
	uint64_t zone_len;            /* (I) length of the zone */
	uint64_t data_bytes;          /* (I) sum of the records' caplen */
	char rx_path[PCAP_PATH_SIZE]; /* (I) for messages */
	char tx_path[PCAP_PATH_SIZE]; /* (I) for messages, and removal by a failed start */
	struct rxq_shm rxq[MPDP_ETH_MAX_QUEUES];
};
MPDP_STATIC_ASSERT(offsetof(struct port_shm, rxq) == 5 * MPDP_CACHE_LINE_SIZE,
		   "pcap port state layout is ABI");
MPDP_STATIC_ASSERT(sizeof(struct port_shm) == (5 + MPDP_ETH_MAX_QUEUES) * MPDP_CACHE_LINE_SIZE,
		   "pcap port state layout is ABI");

/* Process-local port state (dev->priv). */
struct port_priv {
	struct port_shm *pmd;
	uint64_t zone_len;
	uint64_t nb_records;
	uint16_t nb_queues;
	int has_tx;
};

/* Process-local queue handles (queue_attach). */
struct rxq {
	const uint8_t *zone; /* this process's address of the zone */
	const uint64_t *index;
	uint64_t zone_len;
	uint64_t data_off;
	uint64_t nb_records;
	uint64_t first, step; /* copied from the (P) fields at attach */
	uint32_t pass_limit;
	uint16_t port;
	struct rxq_shm *cur; /* (O) cursor: this process writes it while it owns the queue */
	struct mpdp_mempool *mp;
	struct mpdp_eth_queue_stats_shm *stats;
};

struct txq {
	int fd; /* ethdev's copy in this process (not ours to close); -1: none */
	struct mpdp_eth_queue_stats_shm *stats;
	const char *port_name; /* the slot's, for log lines */
};

static struct mpdp_eth_driver pcap_driver;

/* ------------------------------------------------------------ fast path */

/*
 * Copy len bytes into a new packet from mp: the first mbuf keeps its
 * headroom, the next ones use their whole buffer. Returns the packet, or NULL
 * with *bad = 0 when the pool ran dry (nothing taken) or *bad = 1 when the
 * packet needs more than MPDP_MBUF_MAX_SEGS segments.
 */
static struct mpdp_mbuf *pkt_from_bytes(struct mpdp_mempool *mp, const uint8_t *src, uint32_t len,
					int *bad)
{
	struct mpdp_mbuf *head = mpdp_mbuf_alloc(mp), *last;
	uint32_t done, room, k;

	*bad = 0;
	if (mpdp_unlikely(head == NULL))
		return NULL;
	room = (uint32_t)head->buf_len - head->data_off;
	k = len < room ? len : room;
	memcpy(mpdp_mbuf_mtod(head, uint8_t *), src, k);
	head->data_len = (uint16_t)k;
	head->pkt_len = len;
	done = k;
	last = head;
	while (mpdp_unlikely(done < len)) {
		struct mpdp_mbuf *seg;

		if (head->nb_segs == MPDP_MBUF_MAX_SEGS) {
			*bad = 1;
			mpdp_mbuf_free(head);
			return NULL;
		}
		seg = mpdp_mbuf_alloc(mp);
		if (seg == NULL) {
			mpdp_mbuf_free(head);
			return NULL;
		}
		seg->data_off = 0;
		room = seg->buf_len;
		k = len - done < room ? len - done : room;
		memcpy(mpdp_mbuf_mtod(seg, uint8_t *), src + done, k);
		seg->data_len = (uint16_t)k;
		last->next = mpdp_shm_off(seg);
		last = seg;
		head->nb_segs++;
		done += k;
	}
	return head;
}

/*
 * Receive: copy the queue's next records out of the zone. The cursor is
 * loaded once and stored once per burst (this process owns the queue; see
 * the top of the file for the hand-over). A packet the pool cannot hold stops
 * the burst and is received later (rx_nombuf counts the attempt).
 */
static uint16_t rx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct rxq *rxq = queue;
	const uint64_t nb = rxq->nb_records;
	uint64_t next, passes, bytes = 0;
	unsigned int got = 0, bad = 0, nombuf = 0;

	if (rxq->first >= nb)
		return 0; /* no file, or no record for this queue */
	next = atomic_load_explicit(&rxq->cur->next, memory_order_relaxed);
	passes = atomic_load_explicit(&rxq->cur->passes, memory_order_relaxed);
	if (rxq->pass_limit != 0 && passes >= rxq->pass_limit)
		return 0;
	if (mpdp_unlikely(next >= nb || next < rxq->first))
		next = rxq->first; /* distrust a cursor another process wrote */

	while (got < n) {
		uint64_t off = rxq->index[next];
		const struct rec_shm *rec;
		int too_long;

		if (mpdp_unlikely(off < rxq->data_off ||
				  off > rxq->zone_len - sizeof(struct rec_shm))) {
			bad++;
			goto advance;
		}
		rec = (const struct rec_shm *)(const void *)(rxq->zone + off);
		if (mpdp_unlikely(rec->caplen > rxq->zone_len - off - sizeof(*rec))) {
			bad++;
			goto advance;
		}
		struct mpdp_mbuf *m =
			pkt_from_bytes(rxq->mp, (const uint8_t *)(rec + 1), rec->caplen, &too_long);
		if (mpdp_unlikely(m == NULL)) {
			if (too_long) {
				bad++;
				goto advance;
			}
			nombuf++;
			break; /* this record again next time */
		}
		m->port = rxq->port;
		m->timestamp = rec->ts_ns;
		bytes += rec->caplen;
		pkts[got++] = m;
advance:
		next += rxq->step;
		if (next >= nb) {
			next = rxq->first;
			passes++;
			if (rxq->pass_limit != 0 && passes >= rxq->pass_limit)
				break;
		}
	}
	atomic_store_explicit(&rxq->cur->next, next, memory_order_relaxed);
	atomic_store_explicit(&rxq->cur->passes, passes, memory_order_relaxed);
	if (got != 0) {
		mpdp_eth_queue_stats_add(&rxq->stats->packets, got);
		mpdp_eth_queue_stats_add(&rxq->stats->bytes, bytes);
	}
	if (mpdp_unlikely(bad != 0))
		mpdp_eth_queue_stats_add(&rxq->stats->errors, bad);
	if (mpdp_unlikely(nombuf != 0))
		mpdp_eth_queue_stats_add(&rxq->stats->nombuf, nombuf);
	return (uint16_t)got;
}

/*
 * Write one packet as one pcap record with one writev(). Returns 1 when the
 * whole record went out.
 */
static int write_record(struct txq *txq, const struct mpdp_mbuf *m, const struct timespec *now)
{
	struct iovec iov[MPDP_MBUF_MAX_SEGS + 1];
	struct rec_hdr h;
	uint32_t caplen = 0;
	unsigned int k = 1;
	ssize_t w;

	/* the chain as it is, bounded: never more segments than iov[] holds */
	for (const struct mpdp_mbuf *s = m; s != NULL && k < MPDP_DIM(iov); s = mpdp_mbuf_next(s)) {
		uint32_t len = s->data_len;

		if (len > PCAP_FILE_SNAPLEN - caplen)
			len = PCAP_FILE_SNAPLEN - caplen;
		if (len == 0)
			continue;
		iov[k].iov_base = mpdp_mbuf_mtod(s, void *);
		iov[k].iov_len = len;
		caplen += len;
		k++;
		if (caplen == PCAP_FILE_SNAPLEN)
			break;
	}
	h.ts_sec = (uint32_t)now->tv_sec;
	h.ts_nsec = (uint32_t)now->tv_nsec;
	h.caplen = caplen;
	h.len = m->pkt_len > caplen ? m->pkt_len : caplen;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	do
		w = writev(txq->fd, iov, (int)k);
	while (w < 0 && errno == EINTR);
	if (mpdp_likely(w == (ssize_t)(sizeof(h) + caplen)))
		return 1;
	if (w < 0)
		MPDP_LOG_RATELIMIT(MPDP_LOG_ERR, PCAP_LOG, 1, "%s: tx write: %s", txq->port_name,
				   strerror(errno));
	else
		MPDP_LOG_RATELIMIT(MPDP_LOG_ERR, PCAP_LOG, 1,
				   "%s: tx write: %zd of %zu bytes; the file is cut here",
				   txq->port_name, w, sizeof(h) + caplen);
	return 0;
}

/*
 * Transmit: one record per packet, then free the burst. Always takes the
 * whole burst; what could not be written is counted in the errors.
 */
static uint16_t tx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct txq *txq = queue;
	struct timespec now;
	uint64_t bytes = 0;
	unsigned int sent = 0;

	if (n == 0)
		return 0;
	if (txq->fd < 0) {
		for (uint16_t i = 0; i < n; i++)
			bytes += pkts[i]->pkt_len;
		sent = n;
	} else {
		clock_gettime(CLOCK_REALTIME, &now); /* vDSO: no system call */
		for (uint16_t i = 0; i < n; i++)
			if (write_record(txq, pkts[i], &now)) {
				bytes += pkts[i]->pkt_len;
				sent++;
			}
	}
	mpdp_mbuf_free_bulk(pkts, n);
	if (sent != 0) {
		mpdp_eth_queue_stats_add(&txq->stats->packets, sent);
		mpdp_eth_queue_stats_add(&txq->stats->bytes, bytes);
	}
	if (mpdp_unlikely(sent != n))
		mpdp_eth_queue_stats_add(&txq->stats->errors, n - sent);
	return n;
}

/* ------------------------------------------------------------ helpers */

static uint64_t rec_size(uint32_t caplen)
{
	return (sizeof(struct rec_shm) + (uint64_t)caplen + 7) & ~(uint64_t)7;
}

static uint64_t mb_up(uint64_t bytes)
{
	return (bytes + PCAP_MB - 1) / PCAP_MB;
}

/*
 * Check the zone another process made (rule 8). Returns the header, or NULL
 * (logged).
 */
static struct port_shm *zone_check(const struct mpdp_eth_dev *dev)
{
	const struct mpdp_eth_dev_shm *shm = dev->shm;
	struct port_shm *pmd;
	uint64_t len = shm->drv_len;

	pmd = mpdp_eth_dev_area(dev, PCAP_LOG, sizeof(*pmd), SIZE_MAX);
	if (pmd == NULL)
		return NULL;
	if (pmd->magic != PCAP_PORT_MAGIC || pmd->version != PCAP_PORT_VERSION ||
	    pmd->nb_queues == 0 || pmd->nb_queues > MPDP_ETH_MAX_QUEUES || pmd->zone_len != len ||
	    pmd->index_off != sizeof(struct port_shm) ||
	    pmd->nb_records > (len - pmd->index_off) / sizeof(uint64_t) ||
	    pmd->data_off < pmd->index_off + pmd->nb_records * sizeof(uint64_t) ||
	    pmd->data_off > len) {
		mpdp_log(MPDP_LOG_ERR, PCAP_LOG,
			 "%s: bad driver state (magic %#x version %u queues %u records %llu, "
			 "zone %llu bytes)",
			 shm->name, pmd->magic, pmd->version, pmd->nb_queues,
			 (unsigned long long)pmd->nb_records, (unsigned long long)len);
		return NULL;
	}
	return pmd;
}

/* ------------------------------------------------------------ every process */

static int port_attach(struct mpdp_eth_dev *dev)
{
	struct port_shm *pmd = zone_check(dev);
	struct port_priv *priv;

	if (pmd == NULL)
		return -EPROTO;
	priv = calloc(1, sizeof(*priv));
	if (priv == NULL)
		return -ENOMEM;
	priv->pmd = pmd;
	priv->zone_len = pmd->zone_len;
	priv->nb_records = pmd->nb_records;
	priv->nb_queues = pmd->nb_queues;
	priv->has_tx = pmd->has_tx != 0;
	dev->priv = priv;
	return 0;
}

static void port_detach(struct mpdp_eth_dev *dev)
{
	free(dev->priv);
	dev->priv = NULL;
}

static int rxq_attach(struct mpdp_eth_dev *dev, struct port_priv *priv, uint16_t q, void **handle)
{
	const struct rxq_shm *cs = &priv->pmd->rxq[q];
	uint32_t id = dev->shm->rxq[q].mempool_id;
	struct rxq *rxq;

	if (cs->step == 0 || cs->step > MPDP_ETH_MAX_QUEUES || cs->first >= MPDP_ETH_MAX_QUEUES) {
		mpdp_log(MPDP_LOG_ERR, PCAP_LOG,
			 "%s: rx queue %u: bad cursor (first %llu step %llu)", dev->shm->name, q,
			 (unsigned long long)cs->first, (unsigned long long)cs->step);
		return -EPROTO;
	}
	rxq = calloc(1, sizeof(*rxq));
	if (rxq == NULL)
		return -ENOMEM;
	rxq->mp = mpdp_mempool_from_id(id);
	if (rxq->mp == NULL) {
		mpdp_log(MPDP_LOG_ERR, PCAP_LOG, "%s: rx queue %u: pool %u not found",
			 dev->shm->name, q, id);
		free(rxq);
		return -ENOENT;
	}
	rxq->zone = (const uint8_t *)priv->pmd;
	rxq->index = (const uint64_t *)(const void *)(rxq->zone + priv->pmd->index_off);
	rxq->zone_len = priv->zone_len;
	rxq->data_off = priv->pmd->data_off;
	rxq->nb_records = priv->nb_records;
	rxq->first = cs->first;
	rxq->step = cs->step;
	rxq->pass_limit = priv->pmd->pass_limit;
	rxq->port = dev->port_id;
	rxq->cur = &priv->pmd->rxq[q];
	rxq->stats = mpdp_eth_queue_stats(dev, MPDP_ETH_RX, q);
	*handle = rxq;
	return 0;
}

static int txq_attach(struct mpdp_eth_dev *dev, struct port_priv *priv, uint16_t q, void **handle)
{
	struct txq *txq;
	int fd = -1;

	if (priv->has_tx) {
		fd = mpdp_eth_dev_fd(dev, PCAP_FD_TX);
		if (fd == -EAGAIN)
			return -EAGAIN; /* a secondary before the fd arrived: ethdev retries */
		if (fd < 0) {
			mpdp_log(MPDP_LOG_ERR, PCAP_LOG, "%s: tx queue %u: no descriptor of %s: %s",
				 dev->shm->name, q, priv->pmd->tx_path, strerror(-fd));
			return fd;
		}
	}
	txq = calloc(1, sizeof(*txq));
	if (txq == NULL)
		return -ENOMEM;
	txq->fd = fd;
	txq->stats = mpdp_eth_queue_stats(dev, MPDP_ETH_TX, q);
	txq->port_name = dev->shm->name;
	*handle = txq;
	return 0;
}

static int queue_attach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q, void **handle)
{
	struct port_priv *priv = dev->priv;

	if (priv == NULL || q >= priv->nb_queues)
		return -EINVAL;
	return dir == MPDP_ETH_RX ? rxq_attach(dev, priv, q, handle) :
				    txq_attach(dev, priv, q, handle);
}

static void queue_detach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q, void *handle)
{
	(void)dev;
	(void)dir;
	(void)q;
	free(handle); /* a tx handle's fd is ethdev's */
}

static int xstats_get(struct mpdp_eth_dev *dev, struct mpdp_eth_xstat *xs, unsigned int n)
{
	struct port_priv *priv = dev->priv;
	uint16_t nrx = dev->shm->nb_rx_queues;
	unsigned int i = 0;

	if (priv == NULL)
		return 0;
	if (nrx > priv->nb_queues)
		nrx = priv->nb_queues;
	if (i < n) {
		snprintf(xs[i].name, sizeof(xs[i].name), "rx_pcap_records");
		xs[i].value = priv->nb_records;
	}
	i++;
	for (uint16_t q = 0; q < nrx; q++) {
		struct rxq_shm *c = &priv->pmd->rxq[q];

		if (i < n) {
			snprintf(xs[i].name, sizeof(xs[i].name), "rx_q%u_pcap_next", q);
			xs[i].value = atomic_load_explicit(&c->next, memory_order_relaxed);
		}
		i++;
		if (i < n) {
			snprintf(xs[i].name, sizeof(xs[i].name), "rx_q%u_pcap_passes", q);
			xs[i].value = atomic_load_explicit(&c->passes, memory_order_relaxed);
		}
		i++;
	}
	return (int)i;
}

/* ------------------------------------------------------------ primary */

/*
 * Rx queue setup: the queue's pool must hold data past its headroom, and the
 * queue starts at its first record, with no pass done. Nobody polls it: the
 * slot is being written (no claim can succeed) and no other process holds a
 * claim (ethdev refuses the setup otherwise).
 */
static int rx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc,
			  struct mpdp_mempool *mp)
{
	struct port_priv *priv = dev->priv;
	uint16_t room, headroom, nrx = dev->shm->nb_rx_queues;
	struct rxq_shm *c;

	(void)nb_desc;
	if (priv == NULL)
		return -ENODEV;
	if (q >= priv->nb_queues || nrx == 0 || nrx > priv->nb_queues)
		return -EINVAL;
	room = mp != NULL ? mpdp_mbuf_pool_data_room(mp) : 0;
	headroom = room < MPDP_MBUF_DEFAULT_HEADROOM ? room : MPDP_MBUF_DEFAULT_HEADROOM;
	if (room <= headroom) {
		mpdp_log(MPDP_LOG_ERR, PCAP_LOG,
			 "%s: rx queue %u: pool %s has no data room past the %u bytes of headroom",
			 dev->shm->name, q, mp != NULL ? mp->name : "(none)", headroom);
		return -EINVAL;
	}
	c = &priv->pmd->rxq[q];
	c->first = q;
	c->step = nrx;
	atomic_store_explicit(&c->next, q, memory_order_relaxed);
	atomic_store_explicit(&c->passes, 0, memory_order_relaxed);
	return 0;
}

/*
 * Close: withdraw the tx descriptor (ethdev's copies go with it), remove the
 * tx file if this is a failed start that created it, free the zone.
 */
static void port_close(struct mpdp_eth_dev *dev)
{
	struct port_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	if (priv->has_tx) {
		/* still inside mpdp_init(): a later device failed, the start is undone */
		if (priv->pmd->tx_created && mpdp_proc_type() == MPDP_PROC_AUTO) {
			if (unlink(priv->pmd->tx_path) == 0)
				mpdp_log(MPDP_LOG_INFO, PCAP_LOG, "%s: removed %s (failed start)",
					 dev->shm->name, priv->pmd->tx_path);
		}
	}
	priv->pmd = NULL;
	mpdp_eth_dev_area_free(dev->shm->name, PCAP_ZONE_TAG);
}

static const struct mpdp_eth_dev_ops pcap_ops = {
	.rx_queue_setup = rx_queue_setup,
	.close = port_close,
	.attach = port_attach,
	.detach = port_detach,
	.queue_attach = queue_attach,
	.queue_detach = queue_detach,
	.xstats_get = xstats_get,
	.rx_burst = rx_burst,
	.tx_burst = tx_burst,
};

/* ------------------------------------------------------------ probe */

/* The rx file while the probe reads it. */
struct rx_file {
	const char *port;
	const char *path;
	int fd;            /* ours, O_CLOEXEC; each pass reads a duplicate */
	uint64_t size;     /* of the file, for messages */
	uint64_t nb;       /* records (pass 1) */
	uint64_t zone_len; /* the zone they need (pass 1) */
	uint64_t data_bytes;
};

/*
 * Open a libpcap reader on a duplicate of f->fd, from the start of the file.
 * Returns it, or NULL with a line in err.
 */
static pcap_t *rx_open_pass(struct rx_file *f, char *err, size_t err_size)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	FILE *fp;
	int fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(err, err_size, "%s: rx_pcap=%s: %s", f->port, f->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	fp = fdopen(fd, "rb");
	if (fp == NULL) {
		snprintf(err, err_size, "%s: rx_pcap=%s: %s", f->port, f->path, strerror(errno));
		close(fd);
		return NULL;
	}
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (p == NULL) {
		/* libpcap leaves the FILE to the caller when it refuses it */
		fclose(fp);
		snprintf(err, err_size, "%s: rx_pcap=%s: %s", f->port, f->path,
			 perr[0] ? perr : "not a capture file libpcap reads");
		return NULL;
	}
	return p;
}

static int too_big(const struct rx_file *f, uint64_t need, uint64_t heap_len, char *err,
		   size_t err_size)
{
	uint64_t mb = mb_up(need > f->size ? need : f->size);

	snprintf(err, err_size,
		 "%s: rx_pcap=%s: %llu MB of packets does not fit in the %llu MB heap "
		 "(packets may use 1/%d of it); use --mem %lluM or more",
		 f->port, f->path, (unsigned long long)mb, (unsigned long long)mb_up(heap_len),
		 PCAP_HEAP_SHARE, (unsigned long long)(mb * PCAP_HEAP_SHARE + 64));
	return -EFBIG;
}

/*
 * Pass 1: open the file, check its link type and every record, and size the
 * zone. Returns 0 (f->fd open), or a negative errno with one line in err
 * (nothing open).
 */
static int rx_scan(struct rx_file *f, uint64_t heap_len, char *err, size_t err_size)
{
	const uint64_t limit = heap_len / PCAP_HEAP_SHARE;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct stat st;
	pcap_t *p;
	int rc, dlt;

	f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: rx_pcap=%s: %s", f->port, f->path, strerror(-rc));
		return rc;
	}
	if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(err, err_size, "%s: rx_pcap=%s: %s", f->port, f->path,
			 rc == -EISDIR ? "is a directory" : "not a regular file");
		goto err_close;
	}
	f->size = (uint64_t)st.st_size;
	if (f->size == 0) {
		snprintf(err, err_size, "%s: rx_pcap=%s: empty file, not a capture", f->port,
			 f->path);
		rc = -EINVAL;
		goto err_close;
	}
	p = rx_open_pass(f, err, err_size);
	if (p == NULL) {
		rc = -EINVAL;
		goto err_close;
	}
	dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);

		snprintf(err, err_size,
			 "%s: rx_pcap=%s: link type %s (%d); net_pcap reads Ethernet (EN10MB) "
			 "captures only",
			 f->port, f->path, name != NULL ? name : "unknown", dlt);
		rc = -EINVAL;
		goto err_pcap;
	}
	f->nb = 0;
	f->data_bytes = 0;
	f->zone_len = sizeof(struct port_shm);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		f->nb++;
		f->data_bytes += h->caplen;
		f->zone_len += sizeof(uint64_t) + rec_size(h->caplen);
		if (f->zone_len > limit) {
			rc = too_big(f, f->zone_len, heap_len, err, err_size);
			goto err_pcap;
		}
	}
	if (rc != PCAP_ERROR_BREAK) {
		snprintf(err, err_size, "%s: rx_pcap=%s: record %llu: %s", f->port, f->path,
			 (unsigned long long)f->nb + 1, pcap_geterr(p));
		rc = -EINVAL;
		goto err_pcap;
	}
	pcap_close(p);
	/* the index ends on a line: the records after it start aligned */
	f->zone_len += (uint64_t)MPDP_CACHE_LINE_SIZE;
	if (f->zone_len > limit) {
		rc = too_big(f, f->zone_len, heap_len, err, err_size);
		goto err_close;
	}
	return 0;

err_pcap:
	pcap_close(p);
err_close:
	close(f->fd);
	f->fd = -1;
	return rc;
}

/*
 * Pass 2: copy the records into the zone (sized by pass 1). Returns 0 or
 * -EIO with a line in err when the file changed in between.
 */
static int rx_load(struct rx_file *f, struct port_shm *pmd, char *err, size_t err_size)
{
	uint8_t *zone = (uint8_t *)pmd;
	uint64_t *index = (uint64_t *)(void *)(zone + pmd->index_off);
	uint64_t off = pmd->data_off, nb = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = rx_open_pass(f, err, err_size);
	int rc;

	if (p == NULL)
		return -EIO;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct rec_shm *rec;

		if (nb == f->nb || rec_size(h->caplen) > pmd->zone_len - off)
			break;
		rec = (struct rec_shm *)(void *)(zone + off);
		rec->caplen = h->caplen;
		rec->wire_len = h->len > h->caplen ? h->len : h->caplen;
		/* with nanosecond precision, libpcap puts nanoseconds in tv_usec */
		rec->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		memcpy(rec + 1, data, h->caplen);
		index[nb++] = off;
		off += rec_size(h->caplen);
	}
	pcap_close(p);
	if (rc != PCAP_ERROR_BREAK || nb != f->nb) {
		snprintf(err, err_size, "%s: rx_pcap=%s: the file changed while it was read",
			 f->port, f->path);
		return -EIO;
	}
	return 0;
}

/*
 * Create (or truncate) the tx file and write the pcap file header. Returns
 * the fd, or a negative errno with a line in err (nothing left open; a file
 * this call created is removed).
 */
static int tx_open(const char *port, const char *path, int *created, char *err, size_t err_size)
{
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC;
	const struct file_hdr fh = {
		.magic = PCAP_FILE_MAGIC_NS,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = PCAP_FILE_SNAPLEN,
		.linktype = PCAP_FILE_LINKTYPE,
	};
	ssize_t w;
	int fd, rc;

	/* O_CREAT | O_TRUNC, in two steps to know whether we made the file */
	*created = 1;
	fd = open(path, flags | O_CREAT | O_EXCL, 0644);
	if (fd < 0 && errno == EEXIST) {
		*created = 0;
		fd = open(path, flags | O_TRUNC);
	}
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: tx_pcap=%s: %s", port, path, strerror(-rc));
		return rc;
	}
	do
		w = write(fd, &fh, sizeof(fh));
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)sizeof(fh)) {
		rc = w < 0 ? -errno : -EIO;
		snprintf(err, err_size, "%s: tx_pcap=%s: cannot write the file header: %s", port,
			 path, strerror(-rc));
		close(fd);
		if (*created)
			unlink(path);
		return rc;
	}
	return fd;
}

/* A file name from a devargs key: NULL when absent, else checked. */
static int path_arg(const struct mpdp_devargs *da, const char *key, const char **out, char *err,
		    size_t err_size)
{
	const char *v = mpdp_devargs_get(da, key);

	*out = v;
	if (v != NULL && v[0] == '\0') {
		snprintf(err, err_size, "%s: %s=: a file name is needed", da->name, key);
		return -EINVAL;
	}
	return 0;
}

static int probe(const struct mpdp_devargs *da, const char *devargs_str, char *err, size_t err_size)
{
	struct rx_file rf = { .port = da->name, .fd = -1, .zone_len = sizeof(struct port_shm) };
	const char *rx_path, *tx_path;
	struct mpdp_heap_info heap;
	struct mpdp_eth_dev *dev;
	struct port_shm *pmd;
	uint64_t queues, loop;
	int rc, tx_fd = -1, created = 0;

	if (strlen(da->name) > PCAP_PORT_NAME_MAX) {
		snprintf(err, err_size, "%s: name longer than %zu characters", da->name,
			 (size_t)PCAP_PORT_NAME_MAX);
		return -ENAMETOOLONG;
	}
	rc = mpdp_devargs_get_uint(da, "queues", 1, MPDP_ETH_MAX_QUEUES, PCAP_QUEUES_DEFAULT,
				   &queues, err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "loop", 0, UINT32_MAX, 0, &loop, err, err_size);
	if (rc == 0)
		rc = path_arg(da, "rx_pcap", &rx_path, err, err_size);
	if (rc == 0)
		rc = path_arg(da, "tx_pcap", &tx_path, err, err_size);
	if (rc != 0)
		return rc;
	if (rx_path == NULL && tx_path == NULL) {
		snprintf(err, err_size, "%s: give rx_pcap=FILE, tx_pcap=FILE or both", da->name);
		return -EINVAL;
	}
	if (rx_path == NULL && mpdp_devargs_get(da, "loop") != NULL) {
		snprintf(err, err_size, "%s: loop= needs rx_pcap=FILE", da->name);
		return -EINVAL;
	}
	rc = mpdp_heap_info(&heap);
	if (rc != 0) {
		snprintf(err, err_size, "%s: no heap: %s", da->name, strerror(-rc));
		return rc;
	}
	if (rx_path != NULL) {
		rf.path = rx_path;
		rc = rx_scan(&rf, heap.len, err, err_size);
		if (rc != 0)
			return rc;
	}
	if (rx_path != NULL && tx_path != NULL) {
		struct stat rs, ts;

		if (stat(tx_path, &ts) == 0 && fstat(rf.fd, &rs) == 0 && rs.st_dev == ts.st_dev &&
		    rs.st_ino == ts.st_ino) {
			snprintf(err, err_size, "%s: rx_pcap and tx_pcap are the same file (%s)",
				 da->name, tx_path);
			rc = -EINVAL;
			goto err_close_rx;
		}
	}

	dev = mpdp_eth_dev_create(da->name, &pcap_driver, devargs_str, &rc);
	if (dev == NULL) {
		snprintf(err, err_size, "%s: cannot create the port: %s", da->name, strerror(-rc));
		goto err_close_rx;
	}
	pmd = mpdp_eth_dev_area_reserve(dev, PCAP_ZONE_TAG, rf.zone_len, &rc, err, err_size);
	if (pmd == NULL) {
		snprintf(err, err_size, "%s: cannot reserve %llu MB for %s: %s%s", da->name,
			 (unsigned long long)mb_up(rf.zone_len),
			 rx_path != NULL ? "the packets of rx_pcap" : "its state", strerror(-rc),
			 rc == -ENOMEM ? "; use --mem" : "");
		goto err_release;
	}
	pmd->magic = PCAP_PORT_MAGIC;
	pmd->version = PCAP_PORT_VERSION;
	pmd->nb_queues = (uint16_t)queues;
	pmd->has_rx = rx_path != NULL;
	pmd->has_tx = tx_path != NULL;
	pmd->pass_limit = loop == 0 ? 1 : loop == 1 ? 0 : (uint32_t)loop;
	pmd->nb_records = rf.nb;
	pmd->index_off = sizeof(*pmd);
	pmd->data_off = (pmd->index_off + rf.nb * sizeof(uint64_t) + MPDP_CACHE_LINE_SIZE - 1) &
			~(uint64_t)(MPDP_CACHE_LINE_SIZE - 1);
	pmd->zone_len = rf.zone_len;
	pmd->data_bytes = rf.data_bytes;
	snprintf(pmd->rx_path, sizeof(pmd->rx_path), "%s", rx_path != NULL ? rx_path : "");
	snprintf(pmd->tx_path, sizeof(pmd->tx_path), "%s", tx_path != NULL ? tx_path : "");
	for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		pmd->rxq[q].first = q;
		pmd->rxq[q].step = queues;
	}
	if (rx_path != NULL) {
		rc = rx_load(&rf, pmd, err, err_size);
		if (rc != 0)
			goto err_free_zone;
		close(rf.fd);
		rf.fd = -1;
	}

	if (tx_path != NULL) {
		tx_fd = tx_open(da->name, tx_path, &created, err, err_size);
		if (tx_fd < 0) {
			rc = tx_fd;
			goto err_free_zone;
		}
		pmd->tx_created = (uint8_t)created;
		/* ethdev keeps a duplicate and hands it to every process */
		rc = mpdp_eth_dev_fd_export(dev, PCAP_FD_TX, tx_fd);
		close(tx_fd);
		if (rc != 0) {
			snprintf(err, err_size, "%s: tx_pcap=%s: cannot share the descriptor: %s",
				 da->name, tx_path, strerror(-rc));
			goto err_remove_tx;
		}
	}

	struct mpdp_eth_dev_shm *shm = dev->shm;

	shm->max_rx_queues = (uint16_t)queues;
	shm->max_tx_queues = (uint16_t)queues;
	shm->min_desc = 1;
	shm->max_desc = PCAP_DESC_MAX;
	shm->min_mtu = PCAP_MTU_MIN;
	shm->max_mtu = PCAP_MTU_MAX;
	if (shm->mtu == 0)
		shm->mtu = MPDP_ETHER_MTU_DEFAULT;
	shm->mac =
		(struct mpdp_ether_addr){ { 0x02, 0x70, 0x63, 0x61, 0x70, (uint8_t)dev->port_id } };
	shm->link = (struct mpdp_eth_link){
		.speed_mbps = PCAP_SPEED_MBPS, .up = 1, .full_duplex = 1, .autoneg = 0
	};
	rc = mpdp_eth_dev_publish(dev);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot publish the port: %s", da->name, strerror(-rc));
		goto err_remove_tx;
	}
	if (rx_path != NULL)
		mpdp_log(MPDP_LOG_INFO, PCAP_LOG,
			 "%s: port %u, %llu packets (%llu bytes) from %s, %s%s%s", da->name,
			 dev->port_id, (unsigned long long)rf.nb, (unsigned long long)rf.data_bytes,
			 rx_path,
			 loop == 1 ? "looping" :
			 loop > 1  ? "several passes" :
				     "one pass",
			 tx_path != NULL ? ", writing " : "", tx_path != NULL ? tx_path : "");
	else
		mpdp_log(MPDP_LOG_INFO, PCAP_LOG, "%s: port %u, writing %s", da->name, dev->port_id,
			 tx_path);
	return 0;

err_remove_tx: /* an exported fd goes with mpdp_eth_dev_release() */
	if (created)
		unlink(tx_path);
err_free_zone:
	mpdp_eth_dev_area_free(da->name, PCAP_ZONE_TAG);
err_release:
	mpdp_eth_dev_release(dev);
err_close_rx:
	if (rf.fd >= 0)
		close(rf.fd);
	return rc;
}

static const char *const pcap_keys[] = { "rx_pcap", "tx_pcap", "loop", "queues", NULL };

static struct mpdp_eth_driver pcap_driver = {
	.name = PCAP_DRIVER_NAME,
	.bus = MPDP_BUS_VDEV,
	.devargs_keys = pcap_keys,
	.devargs_help = "rx_pcap=FILE,tx_pcap=FILE,loop=0|1|N,queues=N",
	.probe_vdev = probe,
	.ops = &pcap_ops,
};

MPDP_ETH_DRIVER_REGISTER(pcap_driver)
