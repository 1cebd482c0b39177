/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_af_packet.c - ports on Linux network interfaces through AF_PACKET
 * sockets with memory-mapped rings (PACKET_MMAP, TPACKET_V2), usable from
 * the primary and from secondaries alike.
 *
 *   --vdev 'net_af_packet0,iface=IF[,queues=N][,framesz=N][,blocksz=N]
 *           [,framecnt=N][,qdisc_bypass=0|1][,fanout=hash|lb|cpu|qm]'
 *
 *   iface=IF        the interface (required); probe fails when it does not exist
 *   queues=N        queue pairs, 1..16 (default 1); qpairs=N is the DPDK spelling,
 *                   as fanout_mode= is of fanout=
 *   framesz=N       bytes per ring frame, a multiple of 16 that holds the MTU plus
 *                   AFP_FRAME_OVERHEAD (default 2048, or more for a large MTU)
 *   blocksz=N       bytes per ring block, a multiple of the page size, at least
 *                   framesz (default: framesz rounded up to a page)
 *   framecnt=N      frames per ring, a multiple of the frames per block; without
 *                   it each ring gets the queue's nb_desc, rounded up likewise
 *   qdisc_bypass=1  PACKET_QDISC_BYPASS: transmit straight to the driver
 *   fanout=MODE     how the kernel spreads packets over the queues when there
 *                   are several (PACKET_FANOUT): hash (default, with
 *                   PACKET_FANOUT_FLAG_DEFRAG), lb (round robin), cpu, qm
 *
 * Sockets. Queue pair q is one AF_PACKET socket with an rx ring and a tx
 * ring, one mmap covering both (rx ring first). The primary creates it when
 * the first of rx queue q and tx queue q is set up and rebuilds it when a
 * later set-up wants ring sizes it does not have (a ring cannot be resized
 * while mapped); otherwise the two set-ups share it. It is bound to the
 * interface with ETH_P_ALL (protocol 0, receiving nothing, when the port has
 * no rx queue q), ignores its own outgoing packets (PACKET_IGNORE_OUTGOING)
 * and, with several rx queues, joins the port's fanout group. The primary
 * exports it under fd index q (mpdp_eth_dev_fd_export); ethdev hands a copy
 * to every secondary. queue_attach, in every process, the primary included,
 * maps the socket's rings from its copy (MAP_SHARED on a packet socket maps
 * the kernel's ring pages, the same pages in every process) and keeps a dup
 * of the fd for sendto(); queue_detach unmaps and closes the dup. The
 * primary closes its own socket in queue_release, when neither direction
 * of q is set up any more, and at close or exit; a process that still maps
 * it keeps it alive until it detaches.
 *
 * Promiscuous mode is a PACKET_MR_PROMISC membership of a control socket the
 * primary keeps for the port's lifetime: the kernel drops the membership
 * with the socket, so a primary that dies leaves the interface as it found
 * it. The same socket serves the interface ioctls (MTU, MAC, flags,
 * ethtool), which only the primary makes; secondaries read what it
 * published in the slot.
 *
 * Shared state, memzone "<port>.afp" (struct afp_port_shm, the slot's
 * drv_off): the settings, and per queue pair the ring geometry of its
 * current socket, the two ring cursors and counters. No pointer, no fd.
 *
 *   field                    writer                         readers
 *   settings                 primary at probe (I)           attach, every process
 *   geometry, sock_gen       primary at queue set-up, under the slot's seq (P)
 *   rx_next, csum_not_ready  owner of rx queue q (R)        the next owner, xstats
 *   tx_next                  owner of tx queue q (T)        the next owner
 *   kernel_*                 any process, fetch_add (A)     xstats
 *   *_base                   any process, xstats reset (A)  xstats
 *
 * The cursors are the index of the next frame to look at. They live in
 * shared memory, not in the queue handle, so that when a queue's claim moves
 * to another process (its owner was killed, or released it) the new owner
 * continues at the frame where the old one stopped. Each burst loads its
 * cursor (relaxed) and stores it back; the claim handover orders the two
 * owners (the claim word's CAS, or the old owner's death). The primary
 * resets them only at queue set-up, when no process may poll the queue.
 *
 * Frames and the kernel (each acquire/release pairs with the kernel's
 * smp_wmb/smp_rmb around tp_status):
 *
 *   rx:  kernel fills frame, status USER --(acquire)--> we copy it out
 *        we store the cursor past the burst, then status KERNEL (release)
 *   tx:  status AVAILABLE --(acquire)--> we fill the frame
 *        status SEND_REQUEST (release), cursor past the burst, sendto() kick
 *
 * The order of cursor and status makes a killed owner harmless. rx: a frame
 * is handed back only after the cursor moved past it, so the next owner
 * never waits at a frame the kernel will not fill again; at worst frames of
 * the dead owner's last burst stay USER and are delivered once more when the
 * cursor comes round (the kernel stops at them meanwhile: it drops, it never
 * wedges). tx: a frame is requested before the cursor moves past it, so the
 * next owner may find a requested frame at its cursor; it kicks the kernel,
 * which sends it, and goes on (one burst may leave out of order).
 *
 * Receive copies each frame into an mbuf chain from the queue's pool (as
 * many segments as the pool's data room needs); a VLAN tag the kernel took
 * out (TP_STATUS_VLAN_VALID) is put back in place, so the packet is what was
 * on the wire. Frames the kernel cut short (tp_snaplen < tp_len) are
 * dropped and counted in the queue's errors; frames with a partial checksum
 * (TP_STATUS_CSUMNOTREADY, offloads on) are delivered and counted in the
 * rx_qN_csum_not_ready xstat. No mbuf: the frame stays in the ring and the
 * burst ends (nombuf). Transmit copies every segment into a frame; a packet
 * longer than a frame is freed and counted in the queue's errors; a full
 * ring returns fewer than n. PACKET_LOSS is set, so a frame the kernel
 * cannot send is skipped, not a wedge.
 *
 * Kernel counters (PACKET_STATISTICS) reset when read, so every read, from
 * any process, is added into shared counters (fetch_add) and xstats report
 * rx_qN_kernel_packets and rx_qN_kernel_drops from them. The primary reads
 * a socket one last time before closing it; the rx owner reads it when the
 * kernel flags a frame TP_STATUS_LOSING (it dropped since the last read) and
 * publishes the drops as the queue's missed counter (imissed, as DPDK's
 * af_packet), at each burst that receives something.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <net/if.h>
#include <net/if_arp.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ethdev_driver.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_memzone.h>

#define AFP_LOG         "pmd.af_packet"
#define AFP_DRIVER_NAME "net_af_packet"

#define AFP_QUEUES_DEFAULT     1
#define AFP_FRAME_SIZE_DEFAULT 2048
#define AFP_FRAME_SIZE_MIN     128
#define AFP_FRAME_SIZE_MAX     65536
#define AFP_BLOCK_SIZE_MAX     (1u << 22) /* the kernel's largest contiguous block */
#define AFP_FRAMES_MAX         (1u << 20)
#define AFP_DESC_MIN           16
#define AFP_DESC_MAX           4096
#define AFP_MTU_MIN            68

/*
 * Where the kernel puts a received packet in a TPACKET_V2 frame: the network
 * header at TPACKET_ALIGN(header + 16) (80), the MAC header before it. A
 * frame must hold that, the Ethernet header, a VLAN tag left in the data
 * (no tag offload), and the MTU: frame size >= MTU + AFP_FRAME_OVERHEAD.
 */
#define AFP_RX_NET_OFF     TPACKET_ALIGN(TPACKET2_HDRLEN + 16)
#define AFP_FRAME_OVERHEAD (AFP_RX_NET_OFF + 4)
/* where the kernel reads a packet to send, after the TPACKET_V2 header */
#define AFP_TX_DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))

#define AFP_PORT_MAGIC   0x6d706166u /* "mpaf" */
#define AFP_PORT_VERSION 1

/* Port names leave room for ".afp" in the memzone name. */
#define AFP_ZONE_TAG      "afp" /* the shared state is memzone "<port>.afp" */
#define AFP_PORT_NAME_MAX (MPDP_NAME_SIZE - sizeof("." AFP_ZONE_TAG))

MPDP_STATIC_ASSERT(sizeof(_Atomic uint32_t) == sizeof(uint32_t),
		   "tp_status is accessed as an atomic 32-bit word");

enum afp_fanout {
	AFP_FANOUT_HASH = 0,
	AFP_FANOUT_LB = 1,
	AFP_FANOUT_CPU = 2,
	AFP_FANOUT_QM = 3,
};

static const struct {
	const char *name;
	int mode;  /* PACKET_FANOUT_* */
	int flags; /* PACKET_FANOUT_FLAG_* */
} afp_fanouts[] = {
	[AFP_FANOUT_HASH] = { "hash", PACKET_FANOUT_HASH, PACKET_FANOUT_FLAG_DEFRAG },
	[AFP_FANOUT_LB] = { "lb", PACKET_FANOUT_LB, 0 },
	[AFP_FANOUT_CPU] = { "cpu", PACKET_FANOUT_CPU, 0 },
	[AFP_FANOUT_QM] = { "qm", PACKET_FANOUT_QM, 0 },
};

/*
 * One queue pair's shared state. Writers as in the file comment: (P) the
 * primary under the slot's seq, (R) the rx owner, (T) the tx owner, (A) any
 * process. One line per writer: the rx and tx owners run on different cores.
 */
struct afp_queue_shm {
	/* line 0 (P): the current socket of pair q; map_len 0 = no socket */
	uint32_t sock_gen;  /* bumped at every (re)build */
	uint32_t rx_frames; /* 0: no rx ring */
	uint32_t tx_frames; /* 0: no tx ring */
	uint32_t rx_blocks;
	uint32_t tx_blocks;
	uint32_t pad0;
	uint64_t map_len; /* (rx_blocks + tx_blocks) * block_size */
	uint8_t pad1[MPDP_CACHE_LINE_SIZE - 32];
	/* line 1 (R) */
	_Atomic uint32_t rx_next; /* next rx frame to look at */
	uint32_t pad2;
	_Atomic uint64_t csum_not_ready; /* frames with TP_STATUS_CSUMNOTREADY */
	uint8_t pad3[MPDP_CACHE_LINE_SIZE - 16];
	/* line 2 (T) */
	_Atomic uint32_t tx_next; /* next tx frame to fill */
	uint8_t pad4[MPDP_CACHE_LINE_SIZE - 4];
	/* line 3 (A) */
	_Atomic uint64_t kernel_packets; /* sum of PACKET_STATISTICS tp_packets */
	_Atomic uint64_t kernel_drops;   /* sum of tp_drops; the rx owner copies it to missed */
	_Atomic uint64_t kernel_packets_base;
	_Atomic uint64_t kernel_drops_base;
	_Atomic uint64_t csum_not_ready_base;
	uint8_t pad5[MPDP_CACHE_LINE_SIZE - 40];
};
MPDP_STATIC_ASSERT(sizeof(struct afp_queue_shm) == 4 * MPDP_CACHE_LINE_SIZE,
		   "af_packet queue state is four lines");
MPDP_STATIC_ASSERT(offsetof(struct afp_queue_shm, rx_next) == MPDP_CACHE_LINE_SIZE,
		   "af_packet queue state layout is ABI");
MPDP_STATIC_ASSERT(offsetof(struct afp_queue_shm, kernel_packets) == 3 * MPDP_CACHE_LINE_SIZE,
		   "af_packet queue state layout is ABI");

/* A port's driver state, memzone "<port>.afp". */
struct afp_port_shm {
	uint32_t magic;       /* (I) AFP_PORT_MAGIC */
	uint32_t version;     /* (I) AFP_PORT_VERSION */
	char iface[IFNAMSIZ]; /* (I) */
	int32_t ifindex;      /* (I) in the primary's network namespace */
	uint32_t frame_size;  /* (I) framesz */
	uint32_t block_size;  /* (I) blocksz */
	uint32_t framecnt;    /* (I) 0: rings sized from nb_desc */
	uint16_t nb_queues;   /* (I) queues= */
	uint8_t qdisc_bypass; /* (I) */
	uint8_t fanout;       /* (I) enum afp_fanout */
	uint8_t pad[MPDP_CACHE_LINE_SIZE - 44];
	struct afp_queue_shm q[MPDP_ETH_MAX_QUEUES];
};
MPDP_STATIC_ASSERT(offsetof(struct afp_port_shm, q) == MPDP_CACHE_LINE_SIZE,
		   "af_packet port state layout is ABI");
MPDP_STATIC_ASSERT(sizeof(struct afp_port_shm) ==
			   (1 + 4 * MPDP_ETH_MAX_QUEUES) * MPDP_CACHE_LINE_SIZE,
		   "af_packet port state layout is ABI");

/* ------------------------------------------------------------ process-local */

/* Receive queue handle (embedded in its pair, a line of its own). */
struct afp_rxq {
	void **frames; /* the rx ring's frames in this process */
	uint32_t nb_frames;
	uint32_t frame_size;
	_Atomic uint32_t *next;   /* shared cursor (R) */
	struct afp_queue_shm *qs; /* the pair's shared state: counters */
	struct mpdp_eth_queue_stats_shm *stats;
	struct mpdp_mempool *mp;
	int fd; /* the mapping's fd, for PACKET_STATISTICS */
	uint16_t port;
} MPDP_CACHE_ALIGNED;

/* Transmit queue handle. */
struct afp_txq {
	void **frames; /* the tx ring's frames in this process */
	uint32_t nb_frames;
	uint32_t max_len;       /* longest packet a frame holds */
	_Atomic uint32_t *next; /* shared cursor (T) */
	struct mpdp_eth_queue_stats_shm *stats;
	int fd; /* the mapping's fd, for the sendto() kick */
} MPDP_CACHE_ALIGNED;

/* This process's mapping of one socket's rings. */
struct afp_map {
	uint8_t *base; /* NULL: not mapped */
	size_t len;
	void **frames; /* rx frames, then tx frames */
	uint32_t rx_frames, tx_frames;
	uint32_t sock_gen; /* of the socket mapped */
	int fd;            /* our dup of the socket, -1 */
};

/* Ring sizes of one socket, as in struct afp_queue_shm. */
struct afp_geom {
	uint32_t rx_frames, tx_frames;
	uint32_t rx_blocks, tx_blocks;
	uint64_t map_len;
};

struct afp_qpair {
	struct afp_rxq rx; /* the handles queue_attach gives out */
	struct afp_txq tx;
	struct afp_map map;
	unsigned int users; /* AFP_USER_RX | AFP_USER_TX attached */
	/* primary only */
	int own_fd;    /* the socket this primary made, -1 */
	int in_fanout; /* it joined the port's fanout group */
};

#define AFP_USER_RX 1u
#define AFP_USER_TX 2u

/* dev->priv */
struct afp_priv {
	struct afp_port_shm *pmd;
	uint32_t frame_size, block_size; /* checked copies of the settings */
	uint16_t nb_queues;
	/* primary only */
	int ctl_fd;                  /* ioctls and the promiscuous membership, -1 */
	int promisc;                 /* the membership is held */
	uint16_t mtu_published;      /* the MTU last read from the interface */
	int fanout_id;               /* the port's fanout group, -1 before the first */
	unsigned int fanout_members; /* our live sockets in it */
	struct afp_qpair qp[MPDP_ETH_MAX_QUEUES];
};

static struct mpdp_eth_driver afp_driver;

static inline _Atomic uint32_t *frame_status(void *frame)
{
	return (_Atomic uint32_t *)&((struct tpacket2_hdr *)frame)->tp_status;
}

static void kernel_stats_pull(int fd, struct afp_queue_shm *qs);

/* ------------------------------------------------------------ fast path */

/*
 * Copy n bytes into the chain from *seg on, allocating segments from mp as
 * needed. Returns 0, -ENOMEM (no mbuf) or -E2BIG (too many segments).
 */
static int chain_put(struct mpdp_mbuf *head, struct mpdp_mbuf **seg, struct mpdp_mempool *mp,
		     const uint8_t *src, uint32_t n)
{
	while (n > 0) {
		struct mpdp_mbuf *s = *seg;
		uint16_t room = mpdp_mbuf_tailroom(s);
		uint32_t k;

		if (room == 0) {
			struct mpdp_mbuf *t;

			if (mpdp_unlikely(head->nb_segs == MPDP_MBUF_MAX_SEGS))
				return -E2BIG;
			t = mpdp_mbuf_alloc(mp);
			if (mpdp_unlikely(t == NULL))
				return -ENOMEM;
			t->data_off = 0; /* a continuation needs no headroom */
			s->next = mpdp_shm_off(t);
			head->nb_segs++;
			*seg = s = t;
			room = mpdp_mbuf_tailroom(s);
		}
		k = n < room ? n : room;
		memcpy(mpdp_mbuf_mtod_offset(s, uint8_t *, s->data_len), src, k);
		s->data_len = (uint16_t)(s->data_len + k);
		src += k;
		n -= k;
	}
	return 0;
}

/*
 * One received frame into a new packet: data (len bytes) with tag (4 bytes,
 * or NULL) put back after the two addresses. Returns 0, -ENOMEM, -E2BIG.
 */
static int rx_copy(struct afp_rxq *rxq, const uint8_t *data, uint32_t len, const uint8_t *tag,
		   struct mpdp_mbuf **out)
{
	struct mpdp_mbuf *m = mpdp_mbuf_alloc(rxq->mp), *seg;
	uint32_t total = len + (tag != NULL ? 4 : 0);
	int rc;

	if (mpdp_unlikely(m == NULL))
		return -ENOMEM;
	if (mpdp_likely(tag == NULL && len <= mpdp_mbuf_tailroom(m))) {
		memcpy(mpdp_mbuf_mtod(m, uint8_t *), data, len);
		m->data_len = (uint16_t)len;
	} else {
		seg = m;
		if (tag != NULL)
			rc = chain_put(m, &seg, rxq->mp, data, 2 * ETH_ALEN);
		else
			rc = 0;
		if (rc == 0 && tag != NULL)
			rc = chain_put(m, &seg, rxq->mp, tag, 4);
		if (rc == 0)
			rc = tag != NULL ? chain_put(m, &seg, rxq->mp, data + 2 * ETH_ALEN,
						     len - 2 * ETH_ALEN) :
					   chain_put(m, &seg, rxq->mp, data, len);
		if (mpdp_unlikely(rc != 0)) {
			mpdp_mbuf_free(m);
			return rc;
		}
	}
	m->pkt_len = total;
	m->port = rxq->port;
	*out = m;
	return 0;
}

static uint16_t afp_rx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct afp_rxq *rxq = queue;
	const uint32_t nb = rxq->nb_frames, fsz = rxq->frame_size;
	uint32_t cur = atomic_load_explicit(rxq->next, memory_order_relaxed);
	uint32_t start, taken = 0, losing = 0;
	uint64_t bytes = 0, errors = 0, csum = 0, nombuf = 0, drops;
	uint16_t got = 0;

	if (mpdp_unlikely(cur >= nb))
		cur = 0; /* distrust the shared cursor */
	start = cur;
	while (taken < n) {
		struct tpacket2_hdr *h = rxq->frames[cur];
		/* acquire: pairs with the kernel's smp_wmb before it sets USER */
		uint32_t st = atomic_load_explicit(frame_status(h), memory_order_acquire);
		uint32_t mac, snap;

		if (!(st & TP_STATUS_USER))
			break;
		losing |= st & TP_STATUS_LOSING;
		mac = h->tp_mac;
		snap = h->tp_snaplen;
		if (mpdp_unlikely(mac < sizeof(*h) || mac > fsz || snap > fsz - mac ||
				  snap < h->tp_len || snap < 2 * ETH_ALEN)) {
			errors++; /* cut short by the kernel, or a frame we cannot trust */
		} else {
			uint8_t tag[4], *tagp = NULL;
			int rc;

			if (st & TP_STATUS_VLAN_VALID) {
				uint16_t tpid =
					(st & TP_STATUS_VLAN_TPID_VALID) && h->tp_vlan_tpid ?
						h->tp_vlan_tpid :
						ETH_P_8021Q;
				uint16_t tci = h->tp_vlan_tci;

				tag[0] = (uint8_t)(tpid >> 8);
				tag[1] = (uint8_t)tpid;
				tag[2] = (uint8_t)(tci >> 8);
				tag[3] = (uint8_t)tci;
				tagp = tag;
			}
			rc = rx_copy(rxq, (const uint8_t *)h + mac, snap, tagp, &pkts[got]);
			if (mpdp_unlikely(rc == -ENOMEM)) {
				nombuf++; /* the frame stays for the next burst */
				break;
			}
			if (mpdp_unlikely(rc != 0)) {
				errors++;
			} else {
				struct mpdp_mbuf *m = pkts[got++];

				m->timestamp = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
				bytes += m->pkt_len;
				if (st & TP_STATUS_CSUMNOTREADY)
					csum++;
			}
		}
		taken++;
		cur = cur + 1 == nb ? 0 : cur + 1;
	}
	if (taken == 0) {
		if (mpdp_unlikely(nombuf))
			mpdp_eth_queue_stats_add(&rxq->stats->nombuf, nombuf);
		return 0;
	}
	/* the cursor first: a successor never waits at a frame we gave back */
	atomic_store_explicit(rxq->next, cur, memory_order_relaxed);
	for (uint32_t i = 0, f = start; i < taken; i++, f = f + 1 == nb ? 0 : f + 1)
		/* release: our reads of the frame and the cursor store come first;
		 * pairs with the kernel's smp_rmb before it reuses the frame */
		atomic_store_explicit(frame_status(rxq->frames[f]), TP_STATUS_KERNEL,
				      memory_order_release);
	if (got != 0) {
		mpdp_eth_queue_stats_add(&rxq->stats->packets, got);
		mpdp_eth_queue_stats_add(&rxq->stats->bytes, bytes);
	}
	if (mpdp_unlikely(errors))
		mpdp_eth_queue_stats_add(&rxq->stats->errors, errors);
	if (mpdp_unlikely(nombuf))
		mpdp_eth_queue_stats_add(&rxq->stats->nombuf, nombuf);
	if (mpdp_unlikely(csum))
		mpdp_eth_queue_stats_add(&rxq->qs->csum_not_ready, csum);
	/*
	 * The kernel marks frames LOSING while it has drops nobody read: read
	 * them (one syscall, only after a loss) into the shared counter, and
	 * publish that counter, whoever read it, as this queue's missed.
	 */
	if (mpdp_unlikely(losing))
		kernel_stats_pull(rxq->fd, rxq->qs);
	drops = atomic_load_explicit(&rxq->qs->kernel_drops, memory_order_relaxed);
	if (mpdp_unlikely(drops != atomic_load_explicit(&rxq->stats->missed, memory_order_relaxed)))
		atomic_store_explicit(&rxq->stats->missed, drops, memory_order_relaxed);
	return got;
}

/* Bytes the segments of m really hold (pkt_len is the sender's word). */
static uint32_t chain_len(const struct mpdp_mbuf *m)
{
	uint32_t n = 0;

	for (const struct mpdp_mbuf *s = m; s != NULL; s = mpdp_mbuf_next(s))
		n += s->data_len;
	return n;
}

static uint16_t afp_tx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct afp_txq *txq = queue;
	const uint32_t nb = txq->nb_frames;
	uint32_t cur = atomic_load_explicit(txq->next, memory_order_relaxed);
	uint64_t bytes = 0, errors = 0;
	uint16_t i, queued = 0;
	int kick;

	if (mpdp_unlikely(cur >= nb))
		cur = 0; /* distrust the shared cursor */
	for (i = 0; i < n; i++) {
		struct mpdp_mbuf *m = pkts[i];
		int vlan = (m->ol_flags & MPDP_MBUF_F_TX_VLAN) != 0;
		uint32_t len = mpdp_likely(m->nb_segs == 1) ? m->data_len : chain_len(m);
		uint32_t wire = len + (vlan ? 4 : 0);
		struct tpacket2_hdr *h;
		uint8_t *d;
		uint32_t st;

		if (mpdp_unlikely(wire > txq->max_len || len < 2 * ETH_ALEN)) {
			errors++; /* consumed: freed below, never sent */
			continue;
		}
		h = txq->frames[cur];
		/* acquire: pairs with the kernel's smp_wmb after it sets AVAILABLE */
		st = atomic_load_explicit(frame_status(h), memory_order_acquire);
		if (st == TP_STATUS_WRONG_FORMAT)
			errors++; /* its last packet was refused; the frame is ours again */
		else if (st != TP_STATUS_AVAILABLE)
			break; /* ring full */
		d = (uint8_t *)h + AFP_TX_DATA_OFF;
		if (mpdp_likely(!vlan && m->nb_segs == 1)) {
			memcpy(d, mpdp_mbuf_mtod(m, const uint8_t *), len);
		} else if (!vlan) {
			(void)mpdp_mbuf_copy_out(m, 0, d, len);
		} else {
			(void)mpdp_mbuf_copy_out(m, 0, d, 2 * ETH_ALEN);
			d[12] = (uint8_t)(ETH_P_8021Q >> 8);
			d[13] = (uint8_t)ETH_P_8021Q;
			d[14] = (uint8_t)(m->vlan_tci >> 8);
			d[15] = (uint8_t)m->vlan_tci;
			(void)mpdp_mbuf_copy_out(m, 2 * ETH_ALEN, d + 16, len - 2 * ETH_ALEN);
		}
		h->tp_len = wire;
		h->tp_snaplen = wire;
		/* release: the packet before the request (pairs with the kernel's
		 * smp_rmb after it reads SEND_REQUEST) */
		atomic_store_explicit(frame_status(h), TP_STATUS_SEND_REQUEST,
				      memory_order_release);
		queued++;
		bytes += wire;
		cur = cur + 1 == nb ? 0 : cur + 1;
	}
	kick = queued != 0;
	if (queued == 0 && i < n)
		/* full: if what blocks us is waiting for a kick (a predecessor
		 * died between request and kick), give it */
		kick = atomic_load_explicit(frame_status(txq->frames[cur]), memory_order_relaxed) ==
		       TP_STATUS_SEND_REQUEST;
	atomic_store_explicit(txq->next, cur, memory_order_relaxed);
	if (kick)
		/* the frames are requested: the kernel sends them now or at the
		 * next kick (ENOBUFS, EAGAIN); nothing to do about an error here */
		(void)sendto(txq->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	if (i != 0)
		mpdp_mbuf_free_bulk(pkts, i);
	if (queued != 0) {
		mpdp_eth_queue_stats_add(&txq->stats->packets, queued);
		mpdp_eth_queue_stats_add(&txq->stats->bytes, bytes);
	}
	if (mpdp_unlikely(errors))
		mpdp_eth_queue_stats_add(&txq->stats->errors, errors);
	return i;
}

/* ------------------------------------------------------------ helpers */

/* Frames needed for nb descriptors: a whole number of blocks. */
static uint32_t frames_for(const struct afp_priv *priv, uint32_t nb)
{
	uint32_t fpb = priv->block_size / priv->frame_size;

	if (priv->pmd->framecnt != 0)
		return priv->pmd->framecnt;
	if (nb == 0)
		return 0;
	return (nb + fpb - 1) / fpb * fpb;
}

static void geom_make(const struct afp_priv *priv, uint32_t rx_frames, uint32_t tx_frames,
		      struct afp_geom *g)
{
	uint32_t fpb = priv->block_size / priv->frame_size;

	g->rx_frames = rx_frames;
	g->tx_frames = tx_frames;
	g->rx_blocks = rx_frames / fpb;
	g->tx_blocks = tx_frames / fpb;
	g->map_len = (uint64_t)(g->rx_blocks + g->tx_blocks) * priv->block_size;
}

/*
 * The geometry of pair q's socket as the primary published it, checked
 * (another process wrote it: rule 8). Returns 0 or -EPROTO.
 */
static int geom_read(const struct afp_priv *priv, const struct afp_queue_shm *qs,
		     struct afp_geom *g, uint32_t *sock_gen)
{
	uint32_t fpb = priv->block_size / priv->frame_size;

	g->rx_frames = qs->rx_frames;
	g->tx_frames = qs->tx_frames;
	g->rx_blocks = qs->rx_blocks;
	g->tx_blocks = qs->tx_blocks;
	g->map_len = qs->map_len;
	*sock_gen = qs->sock_gen;
	if (g->rx_frames > AFP_FRAMES_MAX || g->tx_frames > AFP_FRAMES_MAX ||
	    (uint64_t)g->rx_blocks * fpb != g->rx_frames ||
	    (uint64_t)g->tx_blocks * fpb != g->tx_frames || g->map_len == 0 ||
	    g->map_len != (uint64_t)(g->rx_blocks + g->tx_blocks) * priv->block_size)
		return -EPROTO;
	return 0;
}

static void map_destroy(struct afp_map *m)
{
	if (m->base != NULL)
		munmap(m->base, m->len);
	if (m->fd >= 0)
		close(m->fd);
	free(m->frames);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

/*
 * Map the rings of socket fd, of geometry g, in this process; the mapping
 * keeps a dup of fd. Returns 0 or a negative errno (logged).
 */
static int map_create(const struct mpdp_eth_dev *dev, const struct afp_priv *priv, uint16_t q,
		      int fd, const struct afp_geom *g, uint32_t sock_gen, struct afp_map *m)
{
	const uint32_t fpb = priv->block_size / priv->frame_size;
	const uint32_t nb = g->rx_frames + g->tx_frames;
	void *base;
	int rc;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->frames = calloc(nb, sizeof(*m->frames));
	if (m->frames == NULL)
		return -ENOMEM;
	m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (m->fd < 0) {
		rc = -errno;
		goto err;
	}
	base = mmap(NULL, (size_t)g->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    m->fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto err;
	}
	m->base = base;
	m->len = (size_t)g->map_len;
	m->rx_frames = g->rx_frames;
	m->tx_frames = g->tx_frames;
	m->sock_gen = sock_gen;
	/* frames do not straddle blocks: the rest of a block is unused */
	for (uint32_t i = 0; i < g->rx_frames; i++)
		m->frames[i] = m->base + (size_t)(i / fpb) * priv->block_size +
			       (size_t)(i % fpb) * priv->frame_size;
	for (uint32_t i = 0; i < g->tx_frames; i++)
		m->frames[g->rx_frames + i] = m->base + (size_t)g->rx_blocks * priv->block_size +
					      (size_t)(i / fpb) * priv->block_size +
					      (size_t)(i % fpb) * priv->frame_size;
	return 0;
err:
	mpdp_log(MPDP_LOG_ERR, AFP_LOG, "%s: queue %u: cannot map the rings (%llu bytes): %s",
		 dev->shm->name, q, (unsigned long long)g->map_len, strerror(-rc));
	map_destroy(m);
	return rc;
}

/* Point both handles of a pair at its current mapping. */
static void qpair_rings(struct afp_priv *priv, struct afp_qpair *qp)
{
	qp->rx.frames = qp->map.frames;
	qp->rx.nb_frames = qp->map.rx_frames;
	qp->rx.frame_size = priv->frame_size;
	qp->tx.frames = qp->map.frames + qp->map.rx_frames;
	qp->tx.nb_frames = qp->map.tx_frames;
	qp->tx.max_len = priv->frame_size - (uint32_t)AFP_TX_DATA_OFF;
	qp->tx.fd = qp->map.fd;
	qp->rx.fd = qp->map.fd;
}

/* Add what the kernel counted since the last read (which it resets). */
static void kernel_stats_pull(int fd, struct afp_queue_shm *qs)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (fd < 0 || getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0)
		return;
	if (st.tp_packets != 0)
		atomic_fetch_add_explicit(&qs->kernel_packets, st.tp_packets, memory_order_relaxed);
	if (st.tp_drops != 0)
		atomic_fetch_add_explicit(&qs->kernel_drops, st.tp_drops, memory_order_relaxed);
}

static uint64_t since_base(_Atomic uint64_t *cur, _Atomic uint64_t *base)
{
	/* the baseline first (acquire, pairs with the reset's release), so it
	 * is never newer than the counter read after it */
	uint64_t b = atomic_load_explicit(base, memory_order_acquire);
	uint64_t c = atomic_load_explicit(cur, memory_order_relaxed);

	return c >= b ? c - b : 0;
}

/* ------------------------------------------------------------ interface (primary) */

static int if_ioctl(int fd, unsigned long req, const char *iface, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", iface);
	return ioctl(fd, req, ifr) == 0 ? 0 : -errno;
}

/* Link speed (Mb/s, 0 unknown), duplex and autoneg from ethtool. */
static void if_speed(int fd, const char *iface, struct mpdp_eth_link *link)
{
	/* ethtool_link_settings and room for its three link-mode masks */
	uint32_t buf[(sizeof(struct ethtool_link_settings) + 3 * 4 * 127) / 4 + 1];
	struct ethtool_link_settings *ls = (struct ethtool_link_settings *)(void *)buf;
	struct ethtool_cmd cmd;
	struct ifreq ifr;
	uint32_t speed;

	memset(buf, 0, sizeof(buf));
	memset(&ifr, 0, sizeof(ifr));
	ls->cmd = ETHTOOL_GLINKSETTINGS;
	ifr.ifr_data = (char *)buf;
	/* the handshake: the kernel answers how many mask words it wants */
	if (if_ioctl(fd, SIOCETHTOOL, iface, &ifr) == 0 && ls->link_mode_masks_nwords < 0 &&
	    -ls->link_mode_masks_nwords <= 127) {
		int8_t nwords = (int8_t)-ls->link_mode_masks_nwords;

		memset(buf, 0, sizeof(buf));
		ls->cmd = ETHTOOL_GLINKSETTINGS;
		ls->link_mode_masks_nwords = nwords;
		if (if_ioctl(fd, SIOCETHTOOL, iface, &ifr) == 0 && ls->link_mode_masks_nwords > 0) {
			speed = ls->speed;
			link->speed_mbps = speed == (uint32_t)SPEED_UNKNOWN ? 0 : speed;
			link->full_duplex = ls->duplex == DUPLEX_FULL;
			link->autoneg = ls->autoneg == AUTONEG_ENABLE;
			return;
		}
	}
	memset(&cmd, 0, sizeof(cmd));
	memset(&ifr, 0, sizeof(ifr));
	cmd.cmd = ETHTOOL_GSET;
	ifr.ifr_data = (char *)&cmd;
	if (if_ioctl(fd, SIOCETHTOOL, iface, &ifr) == 0) {
		speed = ethtool_cmd_speed(&cmd);
		link->speed_mbps = speed == (uint32_t)SPEED_UNKNOWN ? 0 : speed;
		link->full_duplex = cmd.duplex == DUPLEX_FULL;
		link->autoneg = cmd.autoneg == AUTONEG_ENABLE;
		return;
	}
	link->speed_mbps = 0; /* no ethtool for this interface */
	link->full_duplex = 1;
	link->autoneg = 0;
}

/* The interface's link: up when IFF_UP and IFF_RUNNING. Returns 0 or -errno. */
static int if_link(int fd, const char *iface, struct mpdp_eth_link *link)
{
	struct ifreq ifr;
	int rc;

	memset(&ifr, 0, sizeof(ifr));
	rc = if_ioctl(fd, SIOCGIFFLAGS, iface, &ifr);
	if (rc != 0)
		return rc;
	memset(link, 0, sizeof(*link));
	link->up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	if_speed(fd, iface, link);
	if (!link->up)
		link->speed_mbps = 0;
	return 0;
}

static int if_mtu(int fd, const char *iface, uint32_t *mtu)
{
	struct ifreq ifr;
	int rc;

	memset(&ifr, 0, sizeof(ifr));
	rc = if_ioctl(fd, SIOCGIFMTU, iface, &ifr);
	if (rc == 0)
		*mtu = (uint32_t)ifr.ifr_mtu;
	return rc;
}

/* ------------------------------------------------------------ sockets (primary) */

/*
 * Join the port's fanout group, or make it: the first socket asks the
 * kernel for an id no other group has (PACKET_FANOUT_FLAG_UNIQUEID); kernels
 * without it get one derived from the pid and the port.
 */
static int fanout_join(struct mpdp_eth_dev *dev, struct afp_priv *priv, int fd)
{
	/* the option's word: group id in the low 16 bits, mode and flags above */
	const uint32_t type = (uint32_t)(afp_fanouts[priv->pmd->fanout].mode |
					 afp_fanouts[priv->pmd->fanout].flags)
			      << 16;
	uint32_t arg;
	int rc;

	if (priv->fanout_members > 0) {
		arg = ((uint32_t)priv->fanout_id & 0xffff) | type;
		return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0 ? 0 :
											   -errno;
	}
	arg = type | ((uint32_t)PACKET_FANOUT_FLAG_UNIQUEID << 16);
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0) {
		socklen_t len = sizeof(arg);

		if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) != 0)
			return -errno;
		priv->fanout_id = (int)(arg & 0xffff);
		return 0;
	}
	rc = -errno;
	if (rc != -EINVAL)
		return rc;
	for (uint32_t i = 0; i < 16; i++) {
		uint32_t id =
			((uint32_t)getpid() * 2654435761u + dev->port_id * 40503u + i) & 0xffff;

		arg = id | type;
		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0) {
			priv->fanout_id = (int)id;
			return 0;
		}
		rc = -errno;
	}
	return rc;
}

/*
 * A new socket for pair q with rings of geometry g, bound to the interface.
 * Returns the fd, or a negative errno with one line logged.
 */
static int sock_build(struct mpdp_eth_dev *dev, struct afp_priv *priv, uint16_t q,
		      const struct afp_geom *g, int *joined)
{
	const struct afp_port_shm *pmd = priv->pmd;
	struct sockaddr_ll sll;
	const char *what;
	int fd, one = 1, ver = TPACKET_V2, rc;

	*joined = 0;
	/* protocol 0: nothing arrives before the rings exist and the bind */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		what = "socket(AF_PACKET)";
		goto err;
	}
	what = "PACKET_VERSION";
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) != 0)
		goto err_errno;
	what = "PACKET_LOSS";
	if (setsockopt(fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one)) != 0)
		goto err_errno;
	what = "PACKET_QDISC_BYPASS";
	if (pmd->qdisc_bypass &&
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0)
		goto err_errno;
	if (g->rx_frames != 0) {
		struct tpacket_req req = { .tp_block_size = priv->block_size,
					   .tp_block_nr = g->rx_blocks,
					   .tp_frame_size = priv->frame_size,
					   .tp_frame_nr = g->rx_frames };

		what = "PACKET_RX_RING";
		if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0)
			goto err_errno;
	}
	if (g->tx_frames != 0) {
		struct tpacket_req req = { .tp_block_size = priv->block_size,
					   .tp_block_nr = g->tx_blocks,
					   .tp_frame_size = priv->frame_size,
					   .tp_frame_nr = g->tx_frames };

		what = "PACKET_TX_RING";
		if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0)
			goto err_errno;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = g->rx_frames != 0 ? htons(ETH_P_ALL) : 0;
	sll.sll_ifindex = pmd->ifindex;
	what = "bind";
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
		goto err_errno;
	if (g->rx_frames != 0) {
		what = "PACKET_IGNORE_OUTGOING";
		if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0)
			goto err_errno;
		if (dev->shm->nb_rx_queues > 1) {
			what = "PACKET_FANOUT";
			rc = fanout_join(dev, priv, fd);
			if (rc != 0)
				goto err;
			*joined = 1;
		}
	}
	return fd;

err_errno:
	rc = -errno;
err:
	mpdp_log(MPDP_LOG_ERR, AFP_LOG,
		 "%s: queue %u on %s: %s failed (rx %u, tx %u frames of %u "
		 "in blocks of %u): %s",
		 dev->shm->name, q, pmd->iface, what, g->rx_frames, g->tx_frames, priv->frame_size,
		 priv->block_size, strerror(-rc));
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Primary: close pair q's socket (read its kernel counters one last time).
 * Under the slot's seq (a queue release or a rebuild).
 */
static void sock_close(struct mpdp_eth_dev *dev, struct afp_priv *priv, uint16_t q, int withdraw)
{
	struct afp_qpair *qp = &priv->qp[q];
	struct afp_queue_shm *qs = &priv->pmd->q[q];

	if (qp->own_fd < 0)
		return;
	kernel_stats_pull(qp->own_fd, qs);
	if (withdraw)
		(void)mpdp_eth_dev_fd_export(dev, q, -1);
	close(qp->own_fd);
	qp->own_fd = -1;
	if (qp->in_fanout && priv->fanout_members > 0)
		priv->fanout_members--;
	qp->in_fanout = 0;
}

/*
 * Primary, queue set-up: make sure pair q has a socket with rings of
 * rx_frames and tx_frames. An existing socket of that geometry is kept (and
 * its cursors); otherwise a new one replaces it: built, mapped here first
 * when a handle of the other direction uses the old one, exported, and only
 * then the old one closed, so a failure leaves everything as it was.
 */
static int sock_ensure(struct mpdp_eth_dev *dev, struct afp_priv *priv, uint16_t q,
		       uint32_t rx_frames, uint32_t tx_frames)
{
	struct afp_qpair *qp = &priv->qp[q];
	struct afp_queue_shm *qs = &priv->pmd->q[q];
	struct afp_map nmap = { .fd = -1 };
	struct afp_geom g;
	int fd, joined, rc;

	if (qp->own_fd >= 0 && qs->map_len != 0 && qs->rx_frames == rx_frames &&
	    qs->tx_frames == tx_frames)
		return 0;
	geom_make(priv, rx_frames, tx_frames, &g);
	fd = sock_build(dev, priv, q, &g, &joined);
	if (fd < 0)
		return fd;
	if (qp->users != 0) {
		rc = map_create(dev, priv, q, fd, &g, qs->sock_gen + 1, &nmap);
		if (rc != 0)
			goto err_close;
	}
	rc = mpdp_eth_dev_fd_export(dev, q, fd);
	if (rc != 0) {
		mpdp_log(MPDP_LOG_ERR, AFP_LOG, "%s: queue %u: cannot export its socket: %s",
			 dev->shm->name, q, strerror(-rc));
		goto err_unmap;
	}
	sock_close(dev, priv, q, 0); /* the export replaced it for the others */
	qp->own_fd = fd;
	qp->in_fanout = joined;
	if (joined)
		priv->fanout_members++;
	/* (P): the caller (ethdev's queue set-up) holds the slot's seq odd */
	qs->rx_frames = g.rx_frames;
	qs->tx_frames = g.tx_frames;
	qs->rx_blocks = g.rx_blocks;
	qs->tx_blocks = g.tx_blocks;
	qs->map_len = g.map_len;
	qs->sock_gen++;
	/* a new ring starts at frame 0; nobody may poll the queue now */
	atomic_store_explicit(&qs->rx_next, 0, memory_order_relaxed);
	atomic_store_explicit(&qs->tx_next, 0, memory_order_relaxed);
	if (qp->users != 0) {
		map_destroy(&qp->map);
		qp->map = nmap;
		qpair_rings(priv, qp);
	}
	mpdp_log(MPDP_LOG_DEBUG, AFP_LOG, "%s: queue %u: socket on %s, rx %u tx %u frames%s",
		 dev->shm->name, q, priv->pmd->iface, g.rx_frames, g.tx_frames,
		 joined ? ", in the fanout group" : "");
	return 0;

err_unmap:
	map_destroy(&nmap);
err_close:
	close(fd);
	if (joined && priv->fanout_members == 0)
		priv->fanout_id = -1;
	return rc;
}

/* ------------------------------------------------------------ every process */

static int afp_attach(struct mpdp_eth_dev *dev)
{
	struct mpdp_eth_dev_shm *shm = dev->shm;
	struct afp_port_shm *pmd;
	struct afp_priv *priv;
	long page = sysconf(_SC_PAGESIZE);

	/* the slot and the state were written by another process: check them (rule 8) */
	pmd = mpdp_eth_dev_area(dev, AFP_LOG, sizeof(*pmd), sizeof(*pmd));
	if (pmd == NULL)
		return -EPROTO;
	if (pmd->magic != AFP_PORT_MAGIC || pmd->version != AFP_PORT_VERSION ||
	    pmd->nb_queues == 0 || pmd->nb_queues > MPDP_ETH_MAX_QUEUES ||
	    pmd->frame_size < AFP_FRAME_SIZE_MIN || pmd->frame_size > AFP_FRAME_SIZE_MAX ||
	    pmd->frame_size % TPACKET_ALIGNMENT != 0 || page <= 0 ||
	    pmd->block_size % (uint32_t)page != 0 || pmd->block_size < pmd->frame_size ||
	    pmd->block_size > AFP_BLOCK_SIZE_MAX || pmd->framecnt > AFP_FRAMES_MAX ||
	    pmd->fanout >= MPDP_DIM(afp_fanouts)) {
		mpdp_log(MPDP_LOG_ERR, AFP_LOG,
			 "%s: bad driver state (magic %#x version %u queues %u frame %u block %u)",
			 shm->name, pmd->magic, pmd->version, pmd->nb_queues, pmd->frame_size,
			 pmd->block_size);
		return -EPROTO;
	}
	priv = aligned_alloc(MPDP_CACHE_LINE_SIZE,
			     MPDP_ALIGN_UP(sizeof(*priv), (size_t)MPDP_CACHE_LINE_SIZE));
	if (priv == NULL)
		return -ENOMEM;
	memset(priv, 0, sizeof(*priv));
	priv->pmd = pmd;
	priv->frame_size = pmd->frame_size;
	priv->block_size = pmd->block_size;
	priv->nb_queues = pmd->nb_queues;
	priv->ctl_fd = -1;
	priv->fanout_id = -1;
	priv->mtu_published = shm->mtu;
	for (unsigned int q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		priv->qp[q].map.fd = -1;
		priv->qp[q].own_fd = -1;
	}
	dev->priv = priv;
	return 0;
}

static void afp_detach(struct mpdp_eth_dev *dev)
{
	struct afp_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	for (unsigned int q = 0; q < MPDP_ETH_MAX_QUEUES; q++) {
		struct afp_qpair *qp = &priv->qp[q];

		map_destroy(&qp->map);
		/* the primary leaving without a close: ethdev closes its copies */
		if (qp->own_fd >= 0)
			close(qp->own_fd);
	}
	if (priv->ctl_fd >= 0)
		close(priv->ctl_fd); /* the promiscuous membership goes with it */
	free(priv);
	dev->priv = NULL;
}

static int afp_queue_attach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			    void **handle)
{
	struct afp_priv *priv = dev->priv;
	struct afp_queue_shm *qs;
	struct afp_qpair *qp;
	struct afp_geom g;
	uint32_t gen;
	int fd, rc;

	if (priv == NULL || q >= priv->nb_queues)
		return -EINVAL;
	qp = &priv->qp[q];
	qs = &priv->pmd->q[q];
	rc = geom_read(priv, qs, &g, &gen);
	if (rc != 0) {
		mpdp_log(MPDP_LOG_ERR, AFP_LOG,
			 "%s: queue %u: bad ring geometry (rx %u, tx %u "
			 "frames, %llu bytes)",
			 dev->shm->name, q, g.rx_frames, g.tx_frames,
			 (unsigned long long)g.map_len);
		return rc;
	}
	if (qp->map.base == NULL || qp->map.sock_gen != gen) {
		if (qp->users != 0) {
			/* the primary remaps in place; elsewhere ethdev detached all first */
			mpdp_log(MPDP_LOG_ERR, AFP_LOG,
				 "%s: queue %u: socket changed under a handle", dev->shm->name, q);
			return -EPROTO;
		}
		map_destroy(&qp->map);
		fd = mpdp_eth_dev_fd(dev, q);
		if (fd == -EAGAIN)
			return -EAGAIN; /* a secondary before the fds arrived: retried */
		if (fd < 0) {
			mpdp_log(MPDP_LOG_ERR, AFP_LOG,
				 "%s: queue %u: no socket from the primary: %s", dev->shm->name, q,
				 strerror(-fd));
			return fd;
		}
		rc = map_create(dev, priv, q, fd, &g, gen, &qp->map);
		if (rc != 0)
			return rc;
	}
	qpair_rings(priv, qp);
	if (dir == MPDP_ETH_RX) {
		uint32_t id = dev->shm->rxq[q].mempool_id;

		if (qp->map.rx_frames == 0)
			goto err_noring;
		qp->rx.mp = mpdp_mempool_from_id(id);
		if (qp->rx.mp == NULL || mpdp_mbuf_pool_data_room(qp->rx.mp) == 0) {
			mpdp_log(MPDP_LOG_ERR, AFP_LOG, "%s: rx queue %u: mbuf pool %u not found",
				 dev->shm->name, q, id);
			rc = -ENOENT;
			goto err_unmap;
		}
		qp->rx.next = &qs->rx_next;
		qp->rx.qs = qs;
		qp->rx.stats = mpdp_eth_queue_stats(dev, MPDP_ETH_RX, q);
		qp->rx.port = dev->port_id;
		qp->users |= AFP_USER_RX;
		*handle = &qp->rx;
	} else {
		if (qp->map.tx_frames == 0)
			goto err_noring;
		qp->tx.next = &qs->tx_next;
		qp->tx.stats = mpdp_eth_queue_stats(dev, MPDP_ETH_TX, q);
		qp->users |= AFP_USER_TX;
		*handle = &qp->tx;
	}
	return 0;

err_noring:
	mpdp_log(MPDP_LOG_ERR, AFP_LOG, "%s: %s queue %u: its socket has no %s ring",
		 dev->shm->name, dir == MPDP_ETH_RX ? "rx" : "tx", q,
		 dir == MPDP_ETH_RX ? "rx" : "tx");
	rc = -EPROTO;
err_unmap:
	if (qp->users == 0)
		map_destroy(&qp->map);
	return rc;
}

static void afp_queue_detach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			     void *handle)
{
	struct afp_priv *priv = dev->priv;
	struct afp_qpair *qp;

	if (priv == NULL || q >= MPDP_ETH_MAX_QUEUES || handle == NULL)
		return;
	qp = &priv->qp[q];
	qp->users &= dir == MPDP_ETH_RX ? ~AFP_USER_RX : ~AFP_USER_TX;
	if (qp->users == 0)
		map_destroy(&qp->map);
}

/* rx queues whose kernel counters xstats report: the configured ones. */
static uint16_t xstats_queues(struct mpdp_eth_dev *dev, const struct afp_priv *priv)
{
	uint16_t n = dev->shm->nb_rx_queues;

	return n > priv->nb_queues ? priv->nb_queues : n;
}

static int afp_xstats_get(struct mpdp_eth_dev *dev, struct mpdp_eth_xstat *xs, unsigned int n)
{
	struct afp_priv *priv = dev->priv;
	unsigned int i = 0;

	if (priv == NULL)
		return 0;
	for (uint16_t q = 0; q < xstats_queues(dev, priv); q++) {
		struct afp_queue_shm *qs = &priv->pmd->q[q];
		/* this process's copy of the socket: the primary's, or one it sent */
		int fd = mpdp_eth_dev_fd(dev, q);
		const struct {
			const char *name;
			_Atomic uint64_t *cur, *base;
		} v[] = {
			{ "kernel_packets", &qs->kernel_packets, &qs->kernel_packets_base },
			{ "kernel_drops", &qs->kernel_drops, &qs->kernel_drops_base },
			{ "csum_not_ready", &qs->csum_not_ready, &qs->csum_not_ready_base },
		};

		if (fd >= 0 && qs->rx_frames != 0)
			kernel_stats_pull(fd, qs);
		for (unsigned int k = 0; k < MPDP_DIM(v); k++, i++)
			if (xs != NULL && i < n) {
				snprintf(xs[i].name, sizeof(xs[i].name), "rx_q%u_%s", q, v[k].name);
				xs[i].value = since_base(v[k].cur, v[k].base);
			}
	}
	return (int)i;
}

static void afp_xstats_reset(struct mpdp_eth_dev *dev)
{
	struct afp_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	for (uint16_t q = 0; q < priv->nb_queues; q++) {
		struct afp_queue_shm *qs = &priv->pmd->q[q];
		int fd = mpdp_eth_dev_fd(dev, q);

		if (fd >= 0 && qs->rx_frames != 0)
			kernel_stats_pull(fd,
					  qs); /* what the kernel has belongs before the reset */
		/* baselines, never a write to a counter; release pairs with since_base() */
		atomic_store_explicit(
			&qs->kernel_packets_base,
			atomic_load_explicit(&qs->kernel_packets, memory_order_relaxed),
			memory_order_release);
		atomic_store_explicit(&qs->kernel_drops_base,
				      atomic_load_explicit(&qs->kernel_drops, memory_order_relaxed),
				      memory_order_release);
		atomic_store_explicit(
			&qs->csum_not_ready_base,
			atomic_load_explicit(&qs->csum_not_ready, memory_order_relaxed),
			memory_order_release);
	}
}

/* ------------------------------------------------------------ primary */

/* Set the interface MTU, if frames hold it. Returns 0 or a negative errno (logged). */
static int mtu_apply(struct mpdp_eth_dev *dev, struct afp_priv *priv, uint32_t mtu)
{
	struct ifreq ifr;
	int rc;

	if (mtu + AFP_FRAME_OVERHEAD > priv->frame_size) {
		mpdp_log(MPDP_LOG_ERR, AFP_LOG,
			 "%s: MTU %u does not fit frames of %u bytes "
			 "(framesz >= %u needed)",
			 dev->shm->name, mtu, priv->frame_size,
			 (unsigned int)(mtu + AFP_FRAME_OVERHEAD));
		return -EINVAL;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = (int)mtu;
	rc = if_ioctl(priv->ctl_fd, SIOCSIFMTU, priv->pmd->iface, &ifr);
	if (rc != 0) {
		mpdp_log(MPDP_LOG_ERR, AFP_LOG, "%s: cannot set the MTU of %s to %u: %s",
			 dev->shm->name, priv->pmd->iface, mtu, strerror(-rc));
		return rc;
	}
	priv->mtu_published = (uint16_t)mtu;
	return 0;
}

/*
 * Re-read the interface's MTU into the slot (under its seq), unless it does
 * not fit the frames (then the old value stays and a warning says why).
 */
static void mtu_refresh(struct mpdp_eth_dev *dev, struct afp_priv *priv)
{
	uint32_t mtu;

	if (if_mtu(priv->ctl_fd, priv->pmd->iface, &mtu) != 0)
		return;
	if (mtu + AFP_FRAME_OVERHEAD > priv->frame_size || mtu > UINT16_MAX) {
		mpdp_log(MPDP_LOG_WARNING, AFP_LOG,
			 "%s: %s has MTU %u now, more than frames of %u bytes hold", dev->shm->name,
			 priv->pmd->iface, mtu, priv->frame_size);
		return;
	}
	dev->shm->mtu = (uint16_t)mtu;
	priv->mtu_published = (uint16_t)mtu;
}

/*
 * Configure: an MTU the application asked for (the slot's differs from
 * what we published) goes to the interface; otherwise the slot gets the
 * interface's current one.
 */
static int afp_configure(struct mpdp_eth_dev *dev)
{
	struct afp_priv *priv = dev->priv;
	struct mpdp_eth_dev_shm *s = dev->shm;
	int rc;

	if (priv == NULL || priv->ctl_fd < 0)
		return -ENODEV;
	if (s->nb_rx_queues > priv->nb_queues || s->nb_tx_queues > priv->nb_queues)
		return -EINVAL;
	if (s->mtu != priv->mtu_published) {
		rc = mtu_apply(dev, priv, s->mtu);
		if (rc != 0)
			return rc;
	} else {
		mtu_refresh(dev, priv);
	}
	return 0;
}

/*
 * Frames wanted for pair q when one direction is set up with nb
 * descriptors: that direction gets frames for nb; the other keeps its ring
 * if it is set up, else gets the same size (so that its own set-up, usually
 * with the same count, finds the socket ready), or none without that queue.
 */
static int queue_setup(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
		       uint16_t nb_desc)
{
	struct afp_priv *priv = dev->priv;
	const struct mpdp_eth_dev_shm *s = dev->shm;
	const struct afp_queue_shm *qs;
	uint32_t want, rx, tx;
	int other_set;

	if (priv == NULL || q >= priv->nb_queues)
		return -EINVAL;
	qs = &priv->pmd->q[q];
	want = frames_for(priv, nb_desc);
	if (dir == MPDP_ETH_RX) {
		other_set = q < s->nb_tx_queues && s->txq[q].nb_desc != 0 && qs->map_len != 0;
		rx = want;
		tx = q >= s->nb_tx_queues ? 0 : other_set ? qs->tx_frames : want;
	} else {
		other_set = q < s->nb_rx_queues && s->rxq[q].nb_desc != 0 && qs->map_len != 0;
		tx = want;
		rx = q >= s->nb_rx_queues ? 0 : other_set ? qs->rx_frames : want;
	}
	return sock_ensure(dev, priv, q, rx, tx);
}

static int afp_rx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc,
			      struct mpdp_mempool *mp)
{
	(void)mp; /* the slot names it; queue_attach finds it by id in every process */
	return queue_setup(dev, MPDP_ETH_RX, q, nb_desc);
}

static int afp_tx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc)
{
	return queue_setup(dev, MPDP_ETH_TX, q, nb_desc);
}

/*
 * Release: the socket stays while the other direction of the pair is set
 * up; its geometry then stays too, and the set-up of this direction again
 * reuses it when the size is the same.
 */
static void afp_queue_release(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q)
{
	struct afp_priv *priv = dev->priv;
	const struct mpdp_eth_dev_shm *s = dev->shm;
	struct afp_queue_shm *qs;
	int other_set;

	if (priv == NULL || q >= priv->nb_queues)
		return;
	other_set = dir == MPDP_ETH_RX ? s->txq[q].nb_desc != 0 : s->rxq[q].nb_desc != 0;
	if (other_set && priv->qp[q].own_fd >= 0)
		return;
	sock_close(dev, priv, q, 1);
	qs = &priv->pmd->q[q];
	qs->map_len = 0;
	qs->rx_frames = qs->tx_frames = 0;
	qs->rx_blocks = qs->tx_blocks = 0;
	if (priv->fanout_members == 0)
		priv->fanout_id = -1;
}

static int afp_link_update(struct mpdp_eth_dev *dev)
{
	struct afp_priv *priv = dev->priv;
	struct mpdp_eth_link link;
	int rc;

	if (priv == NULL || priv->ctl_fd < 0)
		return -ENODEV;
	rc = if_link(priv->ctl_fd, priv->pmd->iface, &link);
	if (rc != 0) {
		mpdp_log(MPDP_LOG_WARNING, AFP_LOG, "%s: cannot read the flags of %s: %s",
			 dev->shm->name, priv->pmd->iface, strerror(-rc));
		link = (struct mpdp_eth_link){ 0 };
	}
	dev->shm->link = link; /* under the slot's seq (ethdev's caller) */
	mtu_refresh(dev, priv);
	return rc;
}

static int afp_promiscuous_set(struct mpdp_eth_dev *dev, int on)
{
	struct afp_priv *priv = dev->priv;
	struct packet_mreq mr;

	if (priv == NULL || priv->ctl_fd < 0)
		return -ENODEV;
	on = on != 0;
	if (on == priv->promisc)
		return 0; /* the kernel counts memberships: one is enough */
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = priv->pmd->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(priv->ctl_fd, SOL_PACKET,
		       on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr)) != 0) {
		int rc = -errno;

		mpdp_log(MPDP_LOG_ERR, AFP_LOG, "%s: cannot turn promiscuous mode %s on %s: %s",
			 dev->shm->name, on ? "on" : "off", priv->pmd->iface, strerror(-rc));
		return rc;
	}
	priv->promisc = on;
	return 0;
}

static int afp_macaddr_set(struct mpdp_eth_dev *dev, const struct mpdp_ether_addr *mac)
{
	struct afp_priv *priv = dev->priv;
	struct ifreq ifr;
	int rc;

	if (priv == NULL || priv->ctl_fd < 0)
		return -ENODEV;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac->bytes, ETH_ALEN);
	rc = if_ioctl(priv->ctl_fd, SIOCSIFHWADDR, priv->pmd->iface, &ifr);
	if (rc != 0)
		mpdp_log(MPDP_LOG_ERR, AFP_LOG, "%s: cannot set the address of %s: %s",
			 dev->shm->name, priv->pmd->iface, strerror(-rc));
	return rc;
}

static int afp_mtu_set(struct mpdp_eth_dev *dev, uint16_t mtu)
{
	struct afp_priv *priv = dev->priv;

	if (priv == NULL || priv->ctl_fd < 0)
		return -ENODEV;
	return mtu_apply(dev, priv, mtu);
}

/* Close: the queues are released (ethdev did it); the control socket and the state go. */
static void afp_close(struct mpdp_eth_dev *dev)
{
	struct afp_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	for (uint16_t q = 0; q < MPDP_ETH_MAX_QUEUES; q++)
		sock_close(dev, priv, q, 1);
	if (priv->ctl_fd >= 0)
		close(priv->ctl_fd);
	priv->ctl_fd = -1;
	priv->promisc = 0;
	mpdp_eth_dev_area_free(dev->shm->name, AFP_ZONE_TAG);
	priv->pmd = NULL;
}

static const struct mpdp_eth_dev_ops afp_ops = {
	.configure = afp_configure,
	.rx_queue_setup = afp_rx_queue_setup,
	.tx_queue_setup = afp_tx_queue_setup,
	.queue_release = afp_queue_release,
	.close = afp_close,
	.link_update = afp_link_update,
	.promiscuous_set = afp_promiscuous_set,
	.macaddr_set = afp_macaddr_set,
	.mtu_set = afp_mtu_set,
	.attach = afp_attach,
	.detach = afp_detach,
	.queue_attach = afp_queue_attach,
	.queue_detach = afp_queue_detach,
	.xstats_get = afp_xstats_get,
	.xstats_reset = afp_xstats_reset,
	.rx_burst = afp_rx_burst,
	.tx_burst = afp_tx_burst,
};

/* ------------------------------------------------------------ probe */

/* The settings of a --vdev string, checked. */
struct afp_args {
	char iface[IFNAMSIZ];
	int ifindex;
	uint32_t mtu;
	uint64_t queues, framesz, blocksz, framecnt, qdisc_bypass;
	unsigned int fanout;
	struct mpdp_ether_addr mac;
	struct mpdp_eth_link link;
};

/*
 * Everything a probe needs to know before it creates the port: the
 * arguments, the interface (through *ctl, the control socket it opens).
 * Returns 0 or a negative errno with one line in err (*ctl may be open).
 */
static int afp_args_get(const struct mpdp_devargs *da, int *ctl, struct afp_args *a, char *err,
			size_t err_size)
{
	const char *iface = mpdp_devargs_get(da, "iface");
	const char *fanout = mpdp_devargs_get(da, "fanout");
	const char *fkey = "fanout";
	const char *qkey = mpdp_devargs_get(da, "qpairs") != NULL ? "qpairs" : "queues";
	const long page = sysconf(_SC_PAGESIZE);
	uint64_t fpb, def;
	struct ifreq ifr;
	int rc;

	memset(a, 0, sizeof(*a));
	if (mpdp_devargs_get(da, "qpairs") != NULL && mpdp_devargs_get(da, "queues") != NULL) {
		snprintf(err, err_size, "%s: give queues= or qpairs=, not both", da->name);
		return -EINVAL;
	}
	rc = mpdp_devargs_get_uint(da, qkey, 1, MPDP_ETH_MAX_QUEUES, AFP_QUEUES_DEFAULT, &a->queues,
				   err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "qdisc_bypass", 0, 1, 0, &a->qdisc_bypass, err,
					   err_size);
	if (rc != 0)
		return rc;
	if (mpdp_devargs_get(da, "fanout_mode") != NULL) {
		if (fanout != NULL) {
			snprintf(err, err_size, "%s: give fanout= or fanout_mode=, not both",
				 da->name);
			return -EINVAL;
		}
		fanout = mpdp_devargs_get(da, "fanout_mode");
		fkey = "fanout_mode";
	}
	a->fanout = AFP_FANOUT_HASH;
	if (fanout != NULL) {
		unsigned int f;

		for (f = 0; f < MPDP_DIM(afp_fanouts); f++)
			if (strcmp(fanout, afp_fanouts[f].name) == 0)
				break;
		if (f == MPDP_DIM(afp_fanouts)) {
			snprintf(err, err_size, "%s: %s=%s: expected hash, lb, cpu or qm", da->name,
				 fkey, fanout);
			return -EINVAL;
		}
		a->fanout = f;
	}

	/* the interface */
	if (iface == NULL || iface[0] == '\0') {
		snprintf(err, err_size, "%s: iface=IF is required (the interface to use)",
			 da->name);
		return -EINVAL;
	}
	if (strlen(iface) >= IFNAMSIZ) {
		snprintf(err, err_size, "%s: iface=%s: interface names are at most %d characters",
			 da->name, iface, IFNAMSIZ - 1);
		return -EINVAL;
	}
	snprintf(a->iface, sizeof(a->iface), "%s", iface);
	a->ifindex = (int)if_nametoindex(iface);
	if (a->ifindex == 0) {
		rc = -errno;
		if (rc == -ENODEV || rc == -ENXIO || rc == 0)
			snprintf(err, err_size, "%s: interface %s does not exist", da->name, iface);
		else
			snprintf(err, err_size, "%s: cannot look up interface %s: %s", da->name,
				 iface, strerror(-rc));
		return rc != 0 ? rc : -ENODEV;
	}
	/* the control socket: ioctls now, the promiscuous membership later */
	*ctl = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (*ctl < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: cannot open an AF_PACKET socket: %s%s", da->name,
			 strerror(-rc), rc == -EPERM ? " (needs CAP_NET_RAW)" : "");
		return rc;
	}
	memset(&ifr, 0, sizeof(ifr));
	rc = if_ioctl(*ctl, SIOCGIFHWADDR, iface, &ifr);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot read the address of %s: %s", da->name, iface,
			 strerror(-rc));
		return rc;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
	    ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
		snprintf(err, err_size, "%s: interface %s is not an Ethernet interface (type %u)",
			 da->name, iface, ifr.ifr_hwaddr.sa_family);
		return -ENOTSUP;
	}
	memcpy(a->mac.bytes, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	rc = if_mtu(*ctl, iface, &a->mtu);
	if (rc == 0)
		rc = if_link(*ctl, iface, &a->link);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot read the MTU and flags of %s: %s", da->name,
			 iface, strerror(-rc));
		return rc;
	}
	if (a->mtu > UINT16_MAX || a->mtu + AFP_FRAME_OVERHEAD > AFP_FRAME_SIZE_MAX) {
		snprintf(err, err_size, "%s: interface %s has MTU %u, more than frames hold",
			 da->name, iface, a->mtu);
		return -EINVAL;
	}

	/* the rings */
	def = MPDP_ALIGN_UP((uint64_t)a->mtu + AFP_FRAME_OVERHEAD, (uint64_t)TPACKET_ALIGNMENT);
	if (def < AFP_FRAME_SIZE_DEFAULT)
		def = AFP_FRAME_SIZE_DEFAULT;
	rc = mpdp_devargs_get_uint(da, "framesz", AFP_FRAME_SIZE_MIN, AFP_FRAME_SIZE_MAX, def,
				   &a->framesz, err, err_size);
	if (rc != 0)
		return rc;
	if (a->framesz % TPACKET_ALIGNMENT != 0) {
		snprintf(err, err_size, "%s: framesz=%llu is not a multiple of %d", da->name,
			 (unsigned long long)a->framesz, TPACKET_ALIGNMENT);
		return -EINVAL;
	}
	if (a->framesz < a->mtu + AFP_FRAME_OVERHEAD) {
		snprintf(err, err_size,
			 "%s: framesz=%llu is too small for MTU %u of %s (needs at least %u)",
			 da->name, (unsigned long long)a->framesz, a->mtu, iface,
			 (unsigned int)(a->mtu + AFP_FRAME_OVERHEAD));
		return -EINVAL;
	}
	rc = mpdp_devargs_get_uint(da, "blocksz", (uint64_t)page, AFP_BLOCK_SIZE_MAX,
				   MPDP_ALIGN_UP(a->framesz, (uint64_t)page), &a->blocksz, err,
				   err_size);
	if (rc != 0)
		return rc;
	if (a->blocksz % (uint64_t)page != 0 || a->blocksz < a->framesz) {
		snprintf(err, err_size,
			 "%s: blocksz=%llu must be a multiple of the page size (%ld) and at least "
			 "framesz (%llu)",
			 da->name, (unsigned long long)a->blocksz, page,
			 (unsigned long long)a->framesz);
		return -EINVAL;
	}
	fpb = a->blocksz / a->framesz;
	rc = mpdp_devargs_get_uint(da, "framecnt", 1, AFP_FRAMES_MAX, 0, &a->framecnt, err,
				   err_size);
	if (rc != 0)
		return rc;
	if (a->framecnt % fpb != 0) {
		snprintf(err, err_size,
			 "%s: framecnt=%llu is not a multiple of the %llu frames per block "
			 "(blocksz %llu / framesz %llu)",
			 da->name, (unsigned long long)a->framecnt, (unsigned long long)fpb,
			 (unsigned long long)a->blocksz, (unsigned long long)a->framesz);
		return -EINVAL;
	}
	return 0;
}

static int afp_probe(const struct mpdp_devargs *da, const char *devargs_str, char *err,
		     size_t err_size)
{
	char mac[MPDP_ETHER_ADDR_FMT_SIZE];
	struct mpdp_eth_dev_shm *shm;
	struct afp_port_shm *pmd;
	struct mpdp_eth_dev *dev;
	struct afp_args a;
	int ctl = -1, rc;

	if (strlen(da->name) > AFP_PORT_NAME_MAX) {
		snprintf(err, err_size, "%s: name longer than %zu characters", da->name,
			 (size_t)AFP_PORT_NAME_MAX);
		return -ENAMETOOLONG;
	}
	rc = afp_args_get(da, &ctl, &a, err, err_size);
	if (rc != 0)
		goto err_close;

	dev = mpdp_eth_dev_create(da->name, &afp_driver, devargs_str, &rc);
	if (dev == NULL) {
		snprintf(err, err_size, "%s: cannot create the port: %s", da->name, strerror(-rc));
		goto err_close;
	}
	pmd = mpdp_eth_dev_area_reserve(dev, AFP_ZONE_TAG, sizeof(*pmd), &rc, err, err_size);
	if (pmd == NULL)
		goto err_release;
	pmd->magic = AFP_PORT_MAGIC;
	pmd->version = AFP_PORT_VERSION;
	snprintf(pmd->iface, sizeof(pmd->iface), "%s", a.iface);
	pmd->ifindex = a.ifindex;
	pmd->frame_size = (uint32_t)a.framesz;
	pmd->block_size = (uint32_t)a.blocksz;
	pmd->framecnt = (uint32_t)a.framecnt;
	pmd->nb_queues = (uint16_t)a.queues;
	pmd->qdisc_bypass = (uint8_t)a.qdisc_bypass;
	pmd->fanout = (uint8_t)a.fanout;

	shm = dev->shm;
	shm->max_rx_queues = (uint16_t)a.queues;
	shm->max_tx_queues = (uint16_t)a.queues;
	shm->min_desc = AFP_DESC_MIN;
	shm->max_desc = AFP_DESC_MAX;
	shm->min_mtu = AFP_MTU_MIN;
	shm->max_mtu = (uint16_t)(a.framesz - AFP_FRAME_OVERHEAD > UINT16_MAX ?
					  UINT16_MAX :
					  a.framesz - AFP_FRAME_OVERHEAD);
	shm->mtu = (uint16_t)a.mtu;
	shm->mac = a.mac;
	shm->link = a.link;
	rc = mpdp_eth_dev_publish(dev);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot publish the port: %s", da->name, strerror(-rc));
		goto err_free_zone;
	}
	((struct afp_priv *)dev->priv)->ctl_fd = ctl;
	mpdp_ether_addr_format(mac, sizeof(mac), &a.mac);
	mpdp_log(MPDP_LOG_INFO, AFP_LOG,
		 "%s: port %u on %s (index %d, %s, MTU %u, link %s), %llu queue(s), frames of "
		 "%llu in blocks of %llu%s%s%s",
		 da->name, dev->port_id, a.iface, a.ifindex, mac, a.mtu, a.link.up ? "up" : "down",
		 (unsigned long long)a.queues, (unsigned long long)a.framesz,
		 (unsigned long long)a.blocksz, a.queues > 1 ? ", fanout " : "",
		 a.queues > 1 ? afp_fanouts[a.fanout].name : "",
		 a.qdisc_bypass ? ", qdisc bypass" : "");
	return 0;

err_free_zone:
	mpdp_eth_dev_area_free(da->name, AFP_ZONE_TAG);
err_release:
	mpdp_eth_dev_release(dev);
err_close:
	if (ctl >= 0)
		close(ctl);
	return rc;
}

static const char *const afp_keys[] = { "iface",       "queues",   "qpairs",       "framesz",
					"blocksz",     "framecnt", "qdisc_bypass", "fanout",
					"fanout_mode", NULL };

static struct mpdp_eth_driver afp_driver = {
	.name = AFP_DRIVER_NAME,
	.bus = MPDP_BUS_VDEV,
	.devargs_keys = afp_keys,
	.devargs_help = "iface=IF,queues=N,framesz=N,blocksz=N,framecnt=N,qdisc_bypass=0|1,"
			"fanout=hash|lb|cpu|qm",
	.probe_vdev = afp_probe,
	.ops = &afp_ops,
};

MPDP_ETH_DRIVER_REGISTER(afp_driver)
