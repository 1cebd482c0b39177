/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vhost.c - a vhost-user backend port: virtio-net frontends (QEMU
 * guests, DPDK's virtio-user, mpdp's own) connect over a unix socket and
 * exchange packets with mpdp through their virtqueues.
 *
 *   --vdev 'net_vhost0,iface=SOCK[,queues=N][,client=0|1][,notify=0|1][,mrg_rxbuf=0|1]
 *           [,kicks=0|1]'
 *
 *   iface=SOCK   the unix socket path (required)
 *   queues=N     queue pairs, 1..8 (default 1)
 *   client=1     connect to a frontend that listens (retried every 200 ms while
 *                it is absent); client=0 (default): listen on SOCK
 *   notify=0     never signal the frontend's call eventfd (default 1: signal it
 *                when the ring asks, for interrupt-driven guests)
 *   mrg_rxbuf=0  do not offer VIRTIO_NET_F_MRG_RXBUF
 *   kicks=1      ask the frontend to kick when it adds buffers, as a backend
 *                that sleeps would (default 0: we poll, kicks are suppressed);
 *                costs the frontend a write() per burst
 *
 * Receive queue q dequeues from the frontend's transmit virtqueue (vring
 * 2q+1); transmit queue q enqueues into its receive virtqueue (vring 2q).
 *
 * The design (shared vs local state, the fd index scheme, the stop
 * handshake, the validation list) is in docs/design/vhost.md. In short:
 *
 *   - The primary's control thread (mpdp_ctrl) serves the socket. It keeps
 *     the connection's state process-local (struct vh_ctl) and publishes
 *     what queue owners need in the memzone "<port>.vhost" (struct
 *     vh_port_shm): the regions' wire descriptions, per vring its size and
 *     validated frontend addresses, last_avail_idx, live flag, generation.
 *   - Region fds and call eventfds go to every process with
 *     mpdp_eth_dev_fd_export(): region i at index i (0..7), the port's
 *     attention eventfd at 8, the call fd of vring v at 16 + v.
 *   - The process owning a queue maps the regions itself (a mapping per
 *     queue handle) and signals the call fd itself; each burst first checks
 *     the vring's live flag and generation and rebuilds its view on change.
 *
 * The stop handshake (vring v; Dekker with seq_cst fences):
 *
 *   owner (burst)                          primary (control thread)
 *   in_burst = 1                           live = 0
 *   fence (S1)                             fence (S2)
 *   if live (acquire, pairs with (R)):     while in_burst (acquire, pairs with
 *     use the ring, store last_avail          the owner's release):
 *   in_burst = 0 (release)                   bounded wait; give up when the
 *                                            owner is dead or too slow
 *                                          ... change the ring ...
 *                                          cfg_gen++, live = 1 (release) (R)
 *
 * Either the owner sees live == 0 and stays out, or the primary sees
 * in_burst == 1 and waits; after the wait the ring's memory is quiet and
 * last_avail is the owner's final word.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include <mpdp/mpdp_ctrl.h>
#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ethdev_driver.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_memzone.h>
#include <mpdp/mpdp_vhost_user.h>
#include <mpdp/mpdp_virtio_net.h>
#include <mpdp/mpdp_virtq.h>

#define VH_LOG         "pmd.vhost"
#define VH_DRIVER_NAME "net_vhost"
#define VH_ZONE_TAG    "vhost"
#define VH_PORT_NAME_MAX (MPDP_NAME_SIZE - sizeof("." VH_ZONE_TAG))

#define VH_MAX_QUEUES 8u
#define VH_MAX_VRINGS (2u * VH_MAX_QUEUES)
#define VH_DESC_MIN   64
#define VH_DESC_MAX   4096
#define VH_MAX_BUFS   256u  /* buffers of one chain we handle (longer: bad desc) */
#define VH_MAX_HEADS  64u   /* mergeable buffers of one packet */
#define VH_STOP_WAIT_MS 500 /* how long the primary waits for an owner's burst */
#define VH_RECONNECT_MS 200
#define VH_MSG_TIMEOUT_MS 1000

/* fd index scheme (mpdp_eth_dev_fd_export) */
#define VH_FD_REGION(i) (i)
#define VH_FD_ATTN      8u
#define VH_FD_CALL(v)   (16u + (v))
MPDP_STATIC_ASSERT(16 + 2 * 8 <= MPDP_ETH_MAX_PORT_FDS, "vhost fd indices fit");

#define VH_PORT_MAGIC   0x6d707668u /* "mpvh" */
#define VH_PORT_VERSION 1

/* Per-vring counters, written by the vring's owner (relaxed load + store). */
enum vh_cnt {
	VH_CNT_BAD_DESC,   /* chains the walker refused */
	VH_CNT_BAD_PKT,    /* chains shorter than the header (rx) */
	VH_CNT_NOTIFY,     /* call eventfd signals */
	VH_CNT_NO_ROOM,    /* tx: stopped for lack of (big enough) buffers */
	VH_CNT_SZ_64,
	VH_CNT_SZ_65_127,
	VH_CNT_SZ_128_255,
	VH_CNT_SZ_256_511,
	VH_CNT_SZ_512_1023,
	VH_CNT_SZ_1024_1518,
	VH_CNT_SZ_1519_MAX,
	VH_NCNT,
};
static const char *const vh_cnt_names[VH_NCNT] = {
	"bad_desc",      "bad_pkt",        "guest_notify",   "no_room",
	"size_64",       "size_65_127",    "size_128_255",   "size_256_511",
	"size_512_1023", "size_1024_1518", "size_1519_max",
};

#define VH_NREASONS 16u

/* One vring's shared state. (P) primary under the stop handshake, (O) owner. */
struct vh_vring_shm {
	/* line 0 (P) */
	_Atomic uint32_t live;    /* 1: the owner may use the ring; release (R) */
	_Atomic uint32_t cfg_gen; /* bumped at every start */
	uint32_t size;            /* entries, a power of two */
	uint32_t has_call;        /* a call fd is exported at VH_FD_CALL(v) */
	uint64_t desc, avail, used; /* frontend addresses, validated */
	uint8_t pad0[MPDP_CACHE_LINE_SIZE - 40];
	/* line 1 (O) while live, (P) while stopped */
	_Atomic uint32_t in_burst;   /* (O) 1 inside a burst */
	_Atomic uint32_t last_avail; /* next avail entry (== used idx between bursts) */
	_Atomic uint32_t broken;     /* (O) sets; (P) clears at the next start */
	uint8_t pad1[MPDP_CACHE_LINE_SIZE - 12];
	_Atomic uint64_t cnt[VH_NCNT];  /* (O) */
	_Atomic uint64_t base[VH_NCNT]; /* (A) reset baselines */
} MPDP_CACHE_ALIGNED;

MPDP_STATIC_ASSERT(offsetof(struct vh_vring_shm, in_burst) == MPDP_CACHE_LINE_SIZE,
		   "vhost vring state: the owner's line is the second");
MPDP_STATIC_ASSERT(offsetof(struct vh_vring_shm, cnt) == 2 * MPDP_CACHE_LINE_SIZE,
		   "vhost vring state layout is ABI");

/* Port counters (A: fetch_add by any process), with reset baselines. */
enum vh_pcnt {
	VH_P_CONNECTIONS,
	VH_P_DISCONNECTS,
	VH_P_BAD_MESSAGES,
	VH_P_BROKEN_RINGS,
	VH_P_REFUSED_PEERS,
	VH_NPCNT,
};
static const char *const vh_pcnt_names[VH_NPCNT] = {
	"connections", "disconnects", "bad_messages", "broken_rings", "refused_peers",
};

/* A memory region's wire description (struct mpdp_vhu_region's fields). */
struct vh_region_shm {
	uint64_t guest_addr;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};
MPDP_STATIC_ASSERT(sizeof(struct vh_region_shm) == 32, "vhost region copy");

/* The port's shared state, memzone "<port>.vhost". Data only. */
struct vh_port_shm {
	uint32_t magic;     /* (I) */
	uint32_t version;   /* (I) */
	uint16_t nb_queues; /* (I) */
	uint8_t client;     /* (I) */
	uint8_t notify;     /* (I) */
	uint8_t mrg_rxbuf;  /* (I) offered */
	uint8_t kicks;      /* (I) ask the frontend to kick on new buffers */
	uint8_t pad0[2];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* (I) */
	uint8_t pad1[MPDP_CACHE_LINE_SIZE - 16 - 108 % MPDP_CACHE_LINE_SIZE];
	/* (P) written only while every vring is stopped */
	_Atomic uint32_t mem_gen;
	uint32_t nregions;
	uint64_t features; /* negotiated */
	struct vh_region_shm regions[MPDP_VHU_MAX_REGIONS];
	_Atomic uint64_t pcnt[VH_NPCNT];     /* (A) */
	_Atomic uint64_t pbase[VH_NPCNT];    /* (A) */
	_Atomic uint64_t reason[VH_NREASONS]; /* (A) walk failures by reason */
	_Atomic uint64_t rbase[VH_NREASONS];  /* (A) */
	struct vh_vring_shm vr[VH_MAX_VRINGS];
};
MPDP_STATIC_ASSERT(offsetof(struct vh_port_shm, mem_gen) == 2 * MPDP_CACHE_LINE_SIZE,
		   "vhost port state layout is ABI");
MPDP_STATIC_ASSERT(offsetof(struct vh_port_shm, vr) % MPDP_CACHE_LINE_SIZE == 0,
		   "vhost vring states are line aligned");

/* ------------------------------------------------------------ process-local */

/* A queue handle: one vring, this process's mapping of the frontend. */
struct vh_queue {
	struct mpdp_eth_dev *dev;
	struct vh_port_shm *pmd;
	struct vh_vring_shm *vs;
	struct mpdp_eth_queue_stats_shm *stats;
	struct mpdp_mempool *mp; /* rx only */
	struct mpdp_virtq_dev vq;
	struct mpdp_vhu_mem mem;
	uint32_t mem_gen, cfg_gen; /* of what vq and mem were built from; 0 none */
	uint32_t hdr_len;
	bool mrg;
	bool ok;      /* vq is usable */
	bool notify;
	bool kicks;   /* re-arm kicks after every burst */
	int call_fd;  /* our dup, -1 */
	int attn_fd;  /* our dup of the attention eventfd, -1 */
	uint16_t vring;
	uint16_t port;
	uint64_t fd_gen_seen; /* rate limit of "fds not yet here" */
};

/* The connection, in the primary only (the control thread's). */
struct vh_vring_ctl {
	uint32_t size;
	struct mpdp_vhu_vring_addr addr;
	uint16_t base;
	bool has_num, has_addr, kicked, enabled;
	int kick_fd, call_fd;
};

enum { VH_ST_RUN = 0, VH_ST_IN_ETH, VH_ST_CLOSE_SYNC, VH_ST_CLOSE_DEFER };

struct vh_ctl {
	struct mpdp_eth_dev *dev;
	struct vh_port_shm *pmd;
	char name[MPDP_NAME_SIZE];
	uint16_t port_id;
	uint16_t nb_queues;
	bool client;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd, timer_fd, sock, attn_fd;
	struct mpdp_ctrl_watch *w_listen, *w_timer, *w_sock, *w_attn;
	_Atomic int state; /* VH_ST_*: who tears down (see vh_close) */
	bool created_path;
	/* the connection */
	uint64_t features, protocol;
	bool features_set;
	struct mpdp_vhu_mem mem; /* for validating ring addresses */
	int region_fds[MPDP_VHU_MAX_REGIONS];
	struct vh_vring_ctl vr[VH_MAX_VRINGS];
	/* what the next eth call publishes (under lock) */
	pthread_mutex_t lock;
	int exp_fd[MPDP_ETH_MAX_PORT_FDS]; /* desired exports; -1 none */
	uint64_t exp_dirty;                /* bit per index */
	struct mpdp_eth_link link;
	bool start_pending[VH_MAX_VRINGS];
};

struct vh_priv {
	struct vh_port_shm *pmd;
	uint16_t nb_queues;
	struct vh_ctl *ctl; /* primary only */
};

static struct mpdp_eth_driver vh_driver;

static uint64_t vh_offered(const struct vh_port_shm *pmd)
{
	uint64_t f = MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_VERSION_1) |
		     MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_EVENT_IDX) |
		     MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_INDIRECT_DESC) |
		     MPDP_VIRTIO_BIT(MPDP_VHOST_USER_F_PROTOCOL_FEATURES);

	if (pmd->mrg_rxbuf)
		f |= MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF);
	if (pmd->nb_queues > 1)
		f |= MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MQ);
	return f;
}

#define VH_PROTOCOL_OFFERED                                                                \
	((1ull << MPDP_VHU_PROTOCOL_F_MQ) | (1ull << MPDP_VHU_PROTOCOL_F_REPLY_ACK))

static inline void cnt_add(struct vh_vring_shm *vs, enum vh_cnt c, uint64_t v)
{
	mpdp_eth_queue_stats_add(&vs->cnt[c], v);
}

static inline enum vh_cnt size_bin(uint32_t len)
{
	if (len <= 64)
		return VH_CNT_SZ_64;
	if (len <= 127)
		return VH_CNT_SZ_65_127;
	if (len <= 255)
		return VH_CNT_SZ_128_255;
	if (len <= 511)
		return VH_CNT_SZ_256_511;
	if (len <= 1023)
		return VH_CNT_SZ_512_1023;
	if (len <= 1518)
		return VH_CNT_SZ_1024_1518;
	return VH_CNT_SZ_1519_MAX;
}

/* Ring parts' sizes for n entries (EVENT_IDX fields included). */
static void ring_sizes(uint32_t n, uint64_t *desc, uint64_t *avail, uint64_t *used)
{
	*desc = 16ull * n;
	*avail = 6ull + 2ull * n;
	*used = 6ull + 8ull * n;
}

/* ------------------------------------------------------------ owner side */

static void q_unmap(struct vh_queue *q)
{
	mpdp_vhu_mem_unmap(&q->mem);
	if (q->call_fd >= 0)
		close(q->call_fd);
	q->call_fd = -1;
	q->ok = false;
	q->mem_gen = 0;
	q->cfg_gen = 0;
}

/*
 * Rebuild this process's view of the vring from the shared state (the ring
 * is live and we are inside the handshake). Returns 0, -EAGAIN (fds not yet
 * received), or another negative errno (logged, rate-limited).
 */
static int q_rebuild(struct vh_queue *q, uint32_t cfg_gen)
{
	struct vh_port_shm *pmd = q->pmd;
	struct vh_vring_shm *vs = q->vs;
	uint32_t mem_gen = atomic_load_explicit(&pmd->mem_gen, memory_order_relaxed);
	uint64_t dlen, alen, ulen, feat = pmd->features;
	void *desc, *avail, *used;
	char err[160];
	int rc;

	q->ok = false;
	if (mem_gen != q->mem_gen || q->mem.nregions == 0) {
		struct mpdp_vhu_region regions[MPDP_VHU_MAX_REGIONS];
		int fds[MPDP_VHU_MAX_REGIONS];
		uint32_t n = pmd->nregions;

		mpdp_vhu_mem_unmap(&q->mem);
		q->mem_gen = 0;
		if (n == 0 || n > MPDP_VHU_MAX_REGIONS)
			return -EPROTO;
		for (uint32_t i = 0; i < n; i++)
			regions[i] = (struct mpdp_vhu_region){ pmd->regions[i].guest_addr,
							       pmd->regions[i].size,
							       pmd->regions[i].user_addr,
							       pmd->regions[i].mmap_offset };
		for (uint32_t i = 0; i < n; i++) {
			fds[i] = mpdp_eth_dev_fd(q->dev, VH_FD_REGION(i));
			if (fds[i] < 0)
				return fds[i] == -EAGAIN ? -EAGAIN : -EPROTO;
		}
		rc = mpdp_vhu_mem_map(&q->mem, regions, fds, n, NULL, err, sizeof(err));
		if (rc != 0) {
			MPDP_LOG_RATELIMIT(MPDP_LOG_ERR, VH_LOG, 4, "port %u vring %u: %s", q->port,
					   q->vring, err);
			return rc;
		}
		q->mem_gen = mem_gen;
	}
	if (q->call_fd >= 0)
		close(q->call_fd);
	q->call_fd = -1;
	if (vs->has_call && q->notify) {
		int fd = mpdp_eth_dev_fd(q->dev, VH_FD_CALL(q->vring));

		if (fd < 0)
			return fd == -EAGAIN ? -EAGAIN : -EPROTO;
		q->call_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	}
	if (q->attn_fd < 0) {
		int fd = mpdp_eth_dev_fd(q->dev, VH_FD_ATTN);

		if (fd >= 0)
			q->attn_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	}
	if (vs->size == 0 || vs->size > MPDP_VIRTQ_MAX_SIZE || (vs->size & (vs->size - 1)) != 0)
		return -EPROTO;
	ring_sizes(vs->size, &dlen, &alen, &ulen);
	desc = mpdp_vhu_mem_uva(&q->mem, vs->desc, dlen);
	avail = mpdp_vhu_mem_uva(&q->mem, vs->avail, alen);
	used = mpdp_vhu_mem_uva(&q->mem, vs->used, ulen);
	if (desc == NULL || avail == NULL || used == NULL)
		return -EPROTO;
	rc = mpdp_virtq_dev_init(&q->vq, vs->size, desc, avail, used,
				 (uint16_t)atomic_load_explicit(&vs->last_avail, memory_order_relaxed),
				 (feat & MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_EVENT_IDX)) != 0,
				 (feat & MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_INDIRECT_DESC)) != 0);
	if (rc != 0)
		return rc;
	/* we poll: no kicks, please (a hint; with EVENT_IDX avail_event stays
	 * put), unless kicks=1 asked for them as a sleeping backend would */
	(void)mpdp_virtq_dev_set_notify(&q->vq, q->kicks);
	q->mrg = (feat & MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF)) != 0;
	q->hdr_len = (feat & (MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_VERSION_1) |
			      MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF))) ?
			     MPDP_VIRTIO_NET_HDR_LEN :
			     MPDP_VIRTIO_NET_HDR_LEN_LEGACY;
	q->cfg_gen = cfg_gen;
	q->ok = true;
	return 0;
}

/*
 * Enter a burst: the handshake's owner half. Returns true when the ring may
 * be used (then q_leave() must follow), false when not (nothing to undo).
 */
static inline bool q_enter(struct vh_queue *q)
{
	struct vh_vring_shm *vs = q->vs;
	uint32_t gen;

	atomic_store_explicit(&vs->in_burst, 1, memory_order_relaxed);
	/* (S1): in_burst before the live check; pairs with (S2) in ring_stop() */
	atomic_thread_fence(memory_order_seq_cst);
	/* acquire: pairs with the release (R) of ring_start(): the ring's
	 * shared description is complete when live reads 1 */
	if (mpdp_unlikely(!atomic_load_explicit(&vs->live, memory_order_acquire)))
		goto out;
	gen = atomic_load_explicit(&vs->cfg_gen, memory_order_relaxed);
	if (mpdp_unlikely(gen != q->cfg_gen || !q->ok)) {
		if (q_rebuild(q, gen) != 0)
			goto out;
	}
	if (mpdp_unlikely(q->vq.broken))
		goto out;
	return true;
out:
	atomic_store_explicit(&vs->in_burst, 0, memory_order_release);
	return false;
}

/* Leave a burst: publish last_avail, then in_burst = 0 (release: pairs with ring_stop()). */
static inline void q_leave(struct vh_queue *q)
{
	atomic_store_explicit(&q->vs->last_avail, q->vq.last_avail_idx, memory_order_relaxed);
	atomic_store_explicit(&q->vs->in_burst, 0, memory_order_release);
}

/* The ring cannot be trusted: stop using it and tell the primary (it drops the peer). */
static void q_broken(struct vh_queue *q, const char *what, const struct mpdp_virtq_walk_err *we)
{
	uint64_t one = 1;

	q->vq.broken = true;
	atomic_store_explicit(&q->vs->broken, 1, memory_order_relaxed);
	if (we != NULL) {
		cnt_add(q->vs, VH_CNT_BAD_DESC, 1);
		if ((unsigned int)we->reason < VH_NREASONS)
			atomic_fetch_add_explicit(&q->pmd->reason[we->reason], 1,
						  memory_order_relaxed);
	}
	MPDP_LOG_RATELIMIT(MPDP_LOG_ERR, VH_LOG, 8, "port %u vring %u: broken ring: %s%s%s (id %u); the frontend is dropped",
			   q->port, q->vring, what, we != NULL ? ": " : "",
			   we != NULL ? mpdp_virtq_reason_str(we->reason) : "",
			   we != NULL ? we->id : 0);
	if (q->attn_fd >= 0)
		(void)!write(q->attn_fd, &one, sizeof(one));
}

/*
 * Used entries are written one by one and published together (one used.idx
 * store per burst): a frontend may take a packet's first buffer as soon as
 * used.idx covers it, and DPDK's virtio PMD drops a mergeable packet whose
 * other buffers are not there yet.
 */
static inline void q_notify(struct vh_queue *q)
{
	uint64_t one = 1;

	if (q->call_fd >= 0 && mpdp_virtq_dev_interrupt_needed(&q->vq)) {
		(void)!write(q->call_fd, &one, sizeof(one));
		cnt_add(q->vs, VH_CNT_NOTIFY, 1);
	}
}

/* Copy n bytes from the readable buffers bufs[], skipping skip bytes, into an mbuf chain. */
static int rx_copy(struct vh_queue *q, const struct mpdp_virtq_buf *bufs, int nb, uint32_t skip,
		   uint32_t len, struct mpdp_mbuf **out)
{
	struct mpdp_mbuf *m = mpdp_mbuf_alloc(q->mp), *seg;

	if (mpdp_unlikely(m == NULL))
		return -ENOMEM;
	seg = m;
	for (int i = 0; i < nb && len > 0; i++) {
		const uint8_t *src = bufs[i].ptr;
		uint32_t blen = bufs[i].len;

		if (skip >= blen) {
			skip -= blen;
			continue;
		}
		src += skip;
		blen -= skip;
		skip = 0;
		while (blen > 0 && len > 0) {
			uint16_t room = mpdp_mbuf_tailroom(seg);
			uint32_t k;

			if (room == 0) {
				struct mpdp_mbuf *t;

				if (m->nb_segs == MPDP_MBUF_MAX_SEGS)
					goto err_big;
				t = mpdp_mbuf_alloc(q->mp);
				if (t == NULL) {
					mpdp_mbuf_free(m);
					return -ENOMEM;
				}
				t->data_off = 0;
				seg->next = mpdp_shm_off(t);
				m->nb_segs++;
				seg = t;
				room = mpdp_mbuf_tailroom(seg);
			}
			k = blen < room ? blen : room;
			if (k > len)
				k = len;
			memcpy(mpdp_mbuf_mtod_offset(seg, uint8_t *, seg->data_len), src, k);
			seg->data_len = (uint16_t)(seg->data_len + k);
			m->pkt_len += k;
			src += k;
			blen -= k;
			len -= k;
		}
	}
	m->port = q->port;
	*out = m;
	return 0;
err_big:
	mpdp_mbuf_free(m);
	return -E2BIG;
}

static uint16_t vh_rx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct vh_queue *q = queue;
	struct mpdp_virtq_buf bufs[VH_MAX_BUFS];
	uint64_t bytes = 0, errors = 0, nombuf = 0, bad = 0;
	uint16_t got = 0, done = 0;

	if (!q_enter(q))
		return 0;
	while (got < n) {
		struct mpdp_virtq_walk_err we;
		uint32_t total = 0, len;
		uint16_t head;
		int nb, rc;

		rc = mpdp_virtq_dev_pop(&q->vq, &head);
		if (rc == -EAGAIN)
			break;
		if (rc != 0) {
			q_broken(q, "avail index ran ahead", NULL);
			break;
		}
		nb = mpdp_virtq_dev_walk(&q->vq, head, bufs, VH_MAX_BUFS, mpdp_vhu_mem_translate,
					 &q->mem, &we);
		if (nb < 0) {
			q_broken(q, "transmit chain", &we);
			break;
		}
		for (int i = 0; i < nb; i++) {
			if (bufs[i].writable) {
				nb = i; /* a transmit chain is read-only: ignore the rest */
				break;
			}
			total += bufs[i].len;
		}
		if (total <= q->hdr_len) {
			bad++;
			mpdp_virtq_dev_used_add(&q->vq, head, 0);
			done++;
			continue;
		}
		len = total - q->hdr_len;
		rc = rx_copy(q, bufs, nb, q->hdr_len, len, &pkts[got]);
		if (rc == -ENOMEM) {
			mpdp_virtq_dev_unpop(&q->vq, 1); /* not taken: the entry stays for later */
			nombuf++;
			break;
		}
		mpdp_virtq_dev_used_add(&q->vq, head, 0);
		done++;
		if (rc != 0) {
			errors++;
			continue;
		}
		cnt_add(q->vs, size_bin(len), 1);
		bytes += len;
		got++;
	}
	if (done != 0) {
		mpdp_virtq_dev_used_publish(&q->vq);
		q_notify(q);
	}
	if (q->kicks)
		(void)mpdp_virtq_dev_set_notify(&q->vq, true); /* avail_event past what we took */
	q_leave(q);
	if (got != 0) {
		mpdp_eth_queue_stats_add(&q->stats->packets, got);
		mpdp_eth_queue_stats_add(&q->stats->bytes, bytes);
	}
	if (mpdp_unlikely(errors + bad != 0))
		mpdp_eth_queue_stats_add(&q->stats->errors, errors + bad);
	if (mpdp_unlikely(bad != 0))
		cnt_add(q->vs, VH_CNT_BAD_PKT, bad);
	if (mpdp_unlikely(nombuf != 0))
		mpdp_eth_queue_stats_add(&q->stats->nombuf, nombuf);
	return got;
}

/* Scatter [src, src+len) into the writable buffers from (*bi, *off). */
static void tx_scatter(const struct mpdp_virtq_buf *bufs, int nb, int *bi, uint32_t *off,
		       const uint8_t *src, uint32_t len)
{
	while (len > 0 && *bi < nb) {
		uint32_t room = bufs[*bi].len - *off, k = len < room ? len : room;

		if (k != 0) {
			memcpy((uint8_t *)bufs[*bi].ptr + *off, src, k);
			src += k;
			len -= k;
			*off += k;
		}
		if (*off == bufs[*bi].len) {
			(*bi)++;
			*off = 0;
		}
	}
}

/* One head of a receive chain walked: writable buffers compacted in bufs. */
struct vh_head {
	uint16_t id;
	uint16_t nb;    /* buffers of this head in the shared array */
	uint16_t first; /* index of its first buffer */
	uint32_t cap;   /* bytes it holds */
};

static uint16_t vh_tx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct vh_queue *q = queue;
	struct mpdp_virtq_buf bufs[VH_MAX_BUFS];
	struct vh_head heads[VH_MAX_HEADS];
	uint64_t bytes = 0, noroom = 0;
	uint16_t sent = 0;

	if (!q_enter(q))
		return 0;
	while (sent < n) {
		struct mpdp_mbuf *m = pkts[sent];
		uint32_t len = m->pkt_len, need = len + q->hdr_len, cap = 0;
		unsigned int nh = 0, nbuf = 0;
		uint16_t popped = 0;
		struct mpdp_virtio_net_hdr hdr;
		bool fail = false, brk = false;

		/* gather heads until the packet fits (one head without MRG_RXBUF) */
		while (cap < need) {
			struct mpdp_virtq_walk_err we;
			uint16_t head;
			int nb, rc;

			if (nh == VH_MAX_HEADS || (!q->mrg && nh == 1) || nbuf == VH_MAX_BUFS) {
				fail = true;
				break;
			}
			rc = mpdp_virtq_dev_pop(&q->vq, &head);
			if (rc == -EAGAIN) {
				fail = true;
				break;
			}
			if (rc != 0) {
				q_broken(q, "avail index ran ahead", NULL);
				brk = true;
				break;
			}
			popped++;
			nb = mpdp_virtq_dev_walk(&q->vq, head, bufs + nbuf, VH_MAX_BUFS - nbuf,
						 mpdp_vhu_mem_translate, &q->mem, &we);
			if (nb < 0 && we.reason == MPDP_VIRTQ_TOO_MANY && nbuf != 0) {
				/* our array is full, not the ring's fault: later */
				popped--;
				mpdp_virtq_dev_unpop(&q->vq, 1);
				fail = true;
				break;
			}
			if (nb < 0) {
				q_broken(q, "receive chain", &we);
				brk = true;
				break;
			}
			heads[nh].id = head;
			heads[nh].first = (uint16_t)nbuf;
			heads[nh].cap = 0;
			{
				unsigned int w = 0;

				for (int i = 0; i < nb; i++) {
					/* receive buffers are the writable ones */
					if (!bufs[nbuf + i].writable || bufs[nbuf + i].len == 0)
						continue;
					bufs[nbuf + w++] = bufs[nbuf + i];
					heads[nh].cap += bufs[nbuf + i].len;
				}
				heads[nh].nb = (uint16_t)w;
				nbuf += w;
			}
			cap += heads[nh].cap;
			nh++;
		}
		if (brk)
			break;
		if (fail) {
			/* put back what this packet took; the caller keeps it */
			mpdp_virtq_dev_unpop(&q->vq, popped);
			noroom++;
			break;
		}
		/* header, then the packet, across the heads' buffers in order */
		memset(&hdr, 0, sizeof(hdr));
		hdr.num_buffers = (uint16_t)nh;
		{
			int bi = 0;
			uint32_t off = 0;
			const struct mpdp_mbuf *s;

			tx_scatter(bufs, (int)nbuf, &bi, &off, (const uint8_t *)&hdr, q->hdr_len);
			for (s = m; s != NULL; s = mpdp_mbuf_next(s))
				tx_scatter(bufs, (int)nbuf, &bi, &off,
					   mpdp_mbuf_mtod(s, const uint8_t *), s->data_len);
		}
		{
			uint32_t left = need;

			for (unsigned int h = 0; h < nh; h++) {
				uint32_t w = left < heads[h].cap ? left : heads[h].cap;

				mpdp_virtq_dev_used_add(&q->vq, heads[h].id, w);
				left -= w;
			}
		}
		cnt_add(q->vs, size_bin(len), 1);
		bytes += len;
		sent++;
	}
	if (sent != 0) {
		mpdp_virtq_dev_used_publish(&q->vq);
		q_notify(q);
	}
	if (q->kicks)
		(void)mpdp_virtq_dev_set_notify(&q->vq, true); /* avail_event past what we took */
	q_leave(q);
	if (sent != 0) {
		mpdp_mbuf_free_bulk(pkts, sent);
		mpdp_eth_queue_stats_add(&q->stats->packets, sent);
		mpdp_eth_queue_stats_add(&q->stats->bytes, bytes);
	}
	if (noroom != 0)
		cnt_add(q->vs, VH_CNT_NO_ROOM, noroom);
	return sent;
}

/* ------------------------------------------------------------ control (primary) */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool owner_alive(uint64_t owner)
{
	int pid;

	if (owner == 0)
		return false;
	pid = MPDP_ETH_OWNER_PID(owner);
	if (pid == getpid())
		return true;
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* The queue claim of vring v's user: rx queue q for 2q+1, tx queue q for 2q. */
static uint64_t vring_owner(const struct vh_ctl *c, uint32_t v)
{
	const struct mpdp_eth_dev_shm *s = c->dev->shm;

	return atomic_load_explicit(v & 1 ? &s->rxq[v / 2].owner : &s->txq[v / 2].owner,
				    memory_order_relaxed);
}

/* The primary's half of the handshake: vring v is stopped when this returns. */
static void ring_stop(struct vh_ctl *c, uint32_t v)
{
	struct vh_vring_shm *vs = &c->pmd->vr[v];
	struct timespec ts = { 0, 20000 };
	uint64_t deadline;

	c->start_pending[v] = false;
	if (!atomic_load_explicit(&vs->live, memory_order_relaxed))
		return;
	atomic_store_explicit(&vs->live, 0, memory_order_relaxed);
	/* (S2): live = 0 before the in_burst check; pairs with (S1) in q_enter() */
	atomic_thread_fence(memory_order_seq_cst);
	deadline = now_ns() + (uint64_t)VH_STOP_WAIT_MS * 1000000u;
	/* acquire: pairs with q_leave()'s release; last_avail is final then */
	while (atomic_load_explicit(&vs->in_burst, memory_order_acquire)) {
		uint64_t owner = vring_owner(c, v);

		if (owner != 0 && !owner_alive(owner))
			break; /* died inside a burst: nobody uses the ring */
		if (now_ns() > deadline) {
			mpdp_log(MPDP_LOG_WARNING, VH_LOG,
				 "%s: vring %u: its owner did not leave its burst within %d ms; "
				 "going on",
				 c->name, v, VH_STOP_WAIT_MS);
			break;
		}
		nanosleep(&ts, NULL);
	}
}

static void ring_stop_all(struct vh_ctl *c)
{
	for (uint32_t v = 0; v < 2u * c->nb_queues; v++)
		ring_stop(c, v);
}

static void set_export(struct vh_ctl *c, unsigned int idx, int fd)
{
	pthread_mutex_lock(&c->lock);
	c->exp_fd[idx] = fd;
	c->exp_dirty |= 1ull << idx;
	pthread_mutex_unlock(&c->lock);
}

/*
 * Can vring v run? Returns 1 (yes: its description went to the shared
 * state, start_pending set), 0 (not yet), -EPROTO (its addresses do not lie
 * in the frontend's memory: logged, the caller drops the connection).
 */
static int ring_prepare(struct vh_ctl *c, uint32_t v)
{
	struct vh_vring_ctl *r = &c->vr[v];
	struct vh_vring_shm *vs = &c->pmd->vr[v];
	uint64_t dlen, alen, ulen;

	if (!r->has_num || !r->has_addr || !r->kicked || !r->enabled || c->mem.nregions == 0)
		return 0;
	ring_sizes(r->size, &dlen, &alen, &ulen);
	if (r->addr.desc % MPDP_VIRTQ_ALIGN_DESC != 0 || r->addr.avail % MPDP_VIRTQ_ALIGN_AVAIL ||
	    r->addr.used % MPDP_VIRTQ_ALIGN_USED != 0 ||
	    mpdp_vhu_mem_uva(&c->mem, r->addr.desc, dlen) == NULL ||
	    mpdp_vhu_mem_uva(&c->mem, r->addr.avail, alen) == NULL ||
	    mpdp_vhu_mem_uva(&c->mem, r->addr.used, ulen) == NULL) {
		mpdp_log(MPDP_LOG_ERR, VH_LOG,
			 "%s: vring %u: addresses desc %#llx avail %#llx used %#llx (size %u) are "
			 "misaligned or outside the frontend's memory",
			 c->name, v, (unsigned long long)r->addr.desc,
			 (unsigned long long)r->addr.avail, (unsigned long long)r->addr.used,
			 r->size);
		return -EPROTO;
	}
	vs->size = r->size;
	vs->desc = r->addr.desc;
	vs->avail = r->addr.avail;
	vs->used = r->addr.used;
	vs->has_call = r->call_fd >= 0;
	c->start_pending[v] = true;
	return 1;
}

/* live = 1 for every ring prepared (after the eth call exported the fds). */
static void rings_start(struct vh_ctl *c)
{
	for (uint32_t v = 0; v < 2u * c->nb_queues; v++) {
		struct vh_vring_shm *vs = &c->pmd->vr[v];

		if (!c->start_pending[v])
			continue;
		c->start_pending[v] = false;
		atomic_store_explicit(&vs->broken, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&vs->cfg_gen, 1, memory_order_relaxed);
		/* (R) release: the description above before live; pairs with q_enter() */
		atomic_store_explicit(&vs->live, 1, memory_order_release);
	}
}

static bool ring_live_or_pending(struct vh_ctl *c, uint32_t v)
{
	return c->start_pending[v] || atomic_load_explicit(&c->pmd->vr[v].live, memory_order_relaxed);
}

static void ctl_teardown(struct vh_ctl *c);

/*
 * Publish (exports, link) through ethdev, which announces to the
 * secondaries; then start the rings prepared. Returns false when the port
 * is being closed: then c may be gone (we tore it down, CLOSE_DEFER) or
 * about to go (vh_close() does it, CLOSE_SYNC), and the caller returns at
 * once without touching it.
 */
static bool ctl_publish(struct vh_ctl *c)
{
	int expect = VH_ST_RUN;
	struct mpdp_eth_link link = { 0 };

	if (c->sock >= 0 && ring_live_or_pending(c, 0) && ring_live_or_pending(c, 1)) {
		link.up = 1;
		link.speed_mbps = 10000;
		link.full_duplex = 1;
	}
	bool pending = false;

	for (uint32_t v = 0; v < 2u * c->nb_queues; v++)
		pending |= c->start_pending[v];
	pthread_mutex_lock(&c->lock);
	if (c->exp_dirty == 0 && memcmp(&c->link, &link, sizeof(link)) == 0) {
		pthread_mutex_unlock(&c->lock);
		if (atomic_load(&c->state) != VH_ST_RUN)
			return false;
		if (pending)
			rings_start(c);
		return true;
	}
	c->link = link;
	pthread_mutex_unlock(&c->lock);
	if (!atomic_compare_exchange_strong(&c->state, &expect, VH_ST_IN_ETH))
		return false;
	/* ethdev calls vh_link_update() under its lock: exports and link */
	(void)mpdp_eth_link_update(c->port_id);
	expect = VH_ST_IN_ETH;
	if (!atomic_compare_exchange_strong(&c->state, &expect, VH_ST_RUN)) {
		ctl_teardown(c); /* VH_ST_CLOSE_DEFER: the port is gone; we tear down */
		return false;
	}
	rings_start(c);
	return true;
}

static void conn_reset_rings(struct vh_ctl *c)
{
	ring_stop_all(c);
	for (uint32_t v = 0; v < VH_MAX_VRINGS; v++) {
		struct vh_vring_ctl *r = &c->vr[v];

		if (r->kick_fd >= 0)
			close(r->kick_fd);
		if (r->call_fd >= 0) {
			close(r->call_fd);
			set_export(c, VH_FD_CALL(v), -1);
		}
		memset(r, 0, sizeof(*r));
		r->kick_fd = r->call_fd = -1;
		atomic_store_explicit(&c->pmd->vr[v].last_avail, 0, memory_order_relaxed);
	}
}

static void mem_drop(struct vh_ctl *c)
{
	mpdp_vhu_mem_unmap(&c->mem);
	for (unsigned int i = 0; i < MPDP_VHU_MAX_REGIONS; i++) {
		if (c->region_fds[i] >= 0) {
			close(c->region_fds[i]);
			set_export(c, VH_FD_REGION(i), -1);
		}
		c->region_fds[i] = -1;
	}
	c->pmd->nregions = 0;
	atomic_fetch_add_explicit(&c->pmd->mem_gen, 1, memory_order_relaxed);
}

static void timer_arm(struct vh_ctl *c, bool on)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (on) {
		its.it_value.tv_nsec = 1000000;
		its.it_interval.tv_nsec = VH_RECONNECT_MS * 1000000L;
	}
	if (c->timer_fd >= 0)
		(void)timerfd_settime(c->timer_fd, 0, &its, NULL);
}

/* Drop the connection (the socket stays listening / the client retries). */
static bool conn_drop(struct vh_ctl *c, const char *why)
{
	if (c->sock < 0)
		return true;
	mpdp_log(MPDP_LOG_INFO, VH_LOG, "%s: frontend disconnected (%s)", c->name, why);
	mpdp_ctrl_unwatch(c->w_sock);
	c->w_sock = NULL;
	close(c->sock);
	c->sock = -1;
	conn_reset_rings(c);
	mem_drop(c);
	c->features = 0;
	c->protocol = 0;
	c->features_set = false;
	c->pmd->features = 0;
	atomic_fetch_add_explicit(&c->pmd->pcnt[VH_P_DISCONNECTS], 1, memory_order_relaxed);
	if (c->client)
		timer_arm(c, true);
	return ctl_publish(c);
}

static int reply_u64(struct vh_ctl *c, const struct mpdp_vhu_msg *req, uint64_t v)
{
	struct mpdp_vhu_msg m;

	mpdp_vhu_msg_init(&m, req->hdr.request, MPDP_VHU_FLAG_REPLY, sizeof(uint64_t));
	m.u.u64 = v;
	return mpdp_vhu_msg_send(c->sock, &m);
}

static int reply_state(struct vh_ctl *c, uint32_t idx, uint32_t num)
{
	struct mpdp_vhu_msg m;

	mpdp_vhu_msg_init(&m, MPDP_VHU_GET_VRING_BASE, MPDP_VHU_FLAG_REPLY,
			  sizeof(struct mpdp_vhu_vring_state));
	m.u.state.index = idx;
	m.u.state.num = num;
	return mpdp_vhu_msg_send(c->sock, &m);
}

/* A ring index from a message: < 2 * queues, else -EPROTO (logged). */
static int vring_index(struct vh_ctl *c, const struct mpdp_vhu_msg *m, uint32_t raw)
{
	if (raw >= 2u * c->nb_queues) {
		mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: %s for vring %u, the port has %u", c->name,
			 mpdp_vhu_request_str(m->hdr.request), raw, 2u * c->nb_queues);
		return -EPROTO;
	}
	return (int)raw;
}

/* Take fd m->fds[0] (or none with the no-fd bit) for a kick/call/err message. */
static int take_vring_fd(struct mpdp_vhu_msg *m)
{
	int fd;

	if (m->u.u64 & MPDP_VHU_VRING_NOFD)
		return -1;
	fd = m->fds[0];
	m->fds[0] = -1;
	return fd;
}

/*
 * Handle one checked request. Returns 0 (ok), 1 (refused politely: the
 * ack says failure), or -EPROTO (the frontend broke the protocol: the
 * connection goes; the reason is logged).
 */
static int handle(struct vh_ctl *c, struct mpdp_vhu_msg *m, bool *replied)
{
	struct vh_port_shm *pmd = c->pmd;
	const uint64_t offered = vh_offered(pmd);
	char err[200];
	int v, rc;

	*replied = false;
	switch (m->hdr.request) {
	case MPDP_VHU_GET_FEATURES:
		*replied = true;
		return reply_u64(c, m, offered) == 0 ? 0 : -EPROTO;
	case MPDP_VHU_SET_FEATURES:
		if (m->u.u64 & ~offered) {
			mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: SET_FEATURES %#llx: not offered %#llx",
				 c->name, (unsigned long long)m->u.u64,
				 (unsigned long long)(m->u.u64 & ~offered));
			return -EPROTO;
		}
		ring_stop_all(c);
		c->features = m->u.u64;
		c->features_set = true;
		pmd->features = c->features;
		if (!(c->features & MPDP_VIRTIO_BIT(MPDP_VHOST_USER_F_PROTOCOL_FEATURES)))
			for (v = 0; v < (int)VH_MAX_VRINGS; v++)
				c->vr[v].enabled = true;
		break;
	case MPDP_VHU_SET_OWNER:
		break;
	case MPDP_VHU_RESET_OWNER:
		conn_reset_rings(c);
		mem_drop(c);
		c->features_set = false;
		break;
	case MPDP_VHU_GET_PROTOCOL_FEATURES:
		*replied = true;
		return reply_u64(c, m, VH_PROTOCOL_OFFERED) == 0 ? 0 : -EPROTO;
	case MPDP_VHU_SET_PROTOCOL_FEATURES:
		c->protocol = m->u.u64 & VH_PROTOCOL_OFFERED;
		break;
	case MPDP_VHU_GET_QUEUE_NUM:
		*replied = true;
		return reply_u64(c, m, c->nb_queues) == 0 ? 0 : -EPROTO;
	case MPDP_VHU_SET_MEM_TABLE: {
		struct mpdp_vhu_mem nmem;

		memset(&nmem, 0, sizeof(nmem));
		rc = mpdp_vhu_mem_map(&nmem, m->u.mem.regions, m->fds, m->u.mem.nregions, NULL, err,
				      sizeof(err));
		if (rc != 0) {
			mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: SET_MEM_TABLE refused: %s", c->name,
				 err);
			return -EPROTO;
		}
		ring_stop_all(c);
		mem_drop(c);
		c->mem = nmem;
		for (unsigned int i = 0; i < m->u.mem.nregions; i++) {
			c->region_fds[i] = m->fds[i];
			m->fds[i] = -1;
			pmd->regions[i] = (struct vh_region_shm){ m->u.mem.regions[i].guest_addr,
								  m->u.mem.regions[i].size,
								  m->u.mem.regions[i].user_addr,
								  m->u.mem.regions[i].mmap_offset };
			set_export(c, VH_FD_REGION(i), c->region_fds[i]);
		}
		pmd->nregions = m->u.mem.nregions;
		atomic_fetch_add_explicit(&pmd->mem_gen, 1, memory_order_relaxed);
		break;
	}
	case MPDP_VHU_SET_LOG_BASE:
	case MPDP_VHU_SET_LOG_FD:
		mpdp_log(MPDP_LOG_WARNING, VH_LOG, "%s: %s refused: dirty logging is not offered",
			 c->name, mpdp_vhu_request_str(m->hdr.request));
		return 1;
	case MPDP_VHU_SET_VRING_NUM:
		v = vring_index(c, m, m->u.state.index);
		if (v < 0)
			return v;
		if (m->u.state.num == 0 || m->u.state.num > MPDP_VIRTQ_MAX_SIZE ||
		    (m->u.state.num & (m->u.state.num - 1)) != 0) {
			mpdp_log(MPDP_LOG_ERR, VH_LOG,
				 "%s: SET_VRING_NUM %u for vring %d: not a power of two <= %u",
				 c->name, m->u.state.num, v, MPDP_VIRTQ_MAX_SIZE);
			return -EPROTO;
		}
		ring_stop(c, (uint32_t)v);
		c->vr[v].size = m->u.state.num;
		c->vr[v].has_num = true;
		break;
	case MPDP_VHU_SET_VRING_ADDR:
		v = vring_index(c, m, m->u.addr.index);
		if (v < 0)
			return v;
		ring_stop(c, (uint32_t)v);
		c->vr[v].addr = m->u.addr;
		c->vr[v].has_addr = true;
		break;
	case MPDP_VHU_SET_VRING_BASE:
		v = vring_index(c, m, m->u.state.index);
		if (v < 0)
			return v;
		if (m->u.state.num > UINT16_MAX) {
			mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: SET_VRING_BASE %u for vring %d",
				 c->name, m->u.state.num, v);
			return -EPROTO;
		}
		ring_stop(c, (uint32_t)v);
		atomic_store_explicit(&pmd->vr[v].last_avail, m->u.state.num,
				      memory_order_relaxed);
		break;
	case MPDP_VHU_GET_VRING_BASE:
		v = vring_index(c, m, m->u.state.index);
		if (v < 0)
			return v;
		ring_stop(c, (uint32_t)v);
		c->vr[v].kicked = false; /* stopped until the next SET_VRING_KICK */
		*replied = true;
		return reply_state(c, (uint32_t)v,
				   (uint16_t)atomic_load_explicit(&pmd->vr[v].last_avail,
								  memory_order_relaxed)) == 0 ?
			       0 :
			       -EPROTO;
	case MPDP_VHU_SET_VRING_KICK:
	case MPDP_VHU_SET_VRING_CALL:
	case MPDP_VHU_SET_VRING_ERR: {
		int fd;

		v = vring_index(c, m, (uint32_t)(m->u.u64 & MPDP_VHU_VRING_IDX_MASK));
		if (v < 0)
			return v;
		fd = take_vring_fd(m);
		if (m->hdr.request == MPDP_VHU_SET_VRING_ERR) {
			if (fd >= 0)
				close(fd); /* we never report errors that way */
			break;
		}
		ring_stop(c, (uint32_t)v);
		if (m->hdr.request == MPDP_VHU_SET_VRING_KICK) {
			if (c->vr[v].kick_fd >= 0)
				close(c->vr[v].kick_fd);
			c->vr[v].kick_fd = fd; /* we poll; kept only to own it */
			c->vr[v].kicked = true;
		} else {
			if (c->vr[v].call_fd >= 0)
				close(c->vr[v].call_fd);
			c->vr[v].call_fd = fd;
			set_export(c, VH_FD_CALL((uint32_t)v), fd);
		}
		break;
	}
	case MPDP_VHU_SET_VRING_ENABLE:
		v = vring_index(c, m, m->u.state.index);
		if (v < 0)
			return v;
		ring_stop(c, (uint32_t)v);
		c->vr[v].enabled = m->u.state.num != 0;
		break;
	default:
		mpdp_log(MPDP_LOG_WARNING, VH_LOG, "%s: request %u (%s) not supported", c->name,
			 m->hdr.request, mpdp_vhu_request_str(m->hdr.request));
		return 1;
	}
	return 0;
}

/* Prepare every stopped ring that can run now. Returns 0 or -EPROTO. */
static int rings_prepare(struct vh_ctl *c)
{
	for (uint32_t v = 0; v < 2u * c->nb_queues; v++) {
		int rc;

		if (atomic_load_explicit(&c->pmd->vr[v].live, memory_order_relaxed) ||
		    c->start_pending[v])
			continue;
		rc = ring_prepare(c, v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void bad_peer(struct vh_ctl *c, const char *why)
{
	atomic_fetch_add_explicit(&c->pmd->pcnt[VH_P_BAD_MESSAGES], 1, memory_order_relaxed);
	(void)conn_drop(c, why);
}

static void on_sock(int fd, uint32_t events, void *arg)
{
	struct vh_ctl *c = arg;
	struct mpdp_vhu_msg m;
	char err[200];
	bool replied;
	int rc;

	(void)events;
	if (fd != c->sock)
		return;
	rc = mpdp_vhu_msg_recv(fd, &m, true, VH_MSG_TIMEOUT_MS, err, sizeof(err));
	if (rc == -EAGAIN)
		return;
	if (rc == -ECONNRESET) {
		(void)conn_drop(c, "closed by the frontend");
		return;
	}
	if (rc != 0) {
		mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: bad message from the frontend: %s", c->name,
			 err);
		bad_peer(c, "bad message");
		return;
	}
	mpdp_log(MPDP_LOG_DEBUG, VH_LOG, "%s: %s (flags %#x, %u bytes, %u fds)", c->name,
		 mpdp_vhu_request_str(m.hdr.request), m.hdr.flags, m.hdr.size, m.nfds);
	rc = handle(c, &m, &replied);
	mpdp_vhu_msg_close_fds(&m);
	if (rc == 0)
		rc = rings_prepare(c);
	if (rc < 0) {
		bad_peer(c, "protocol violation");
		return;
	}
	if (!replied && (m.hdr.flags & MPDP_VHU_FLAG_NEED_REPLY) &&
	    (c->protocol & (1ull << MPDP_VHU_PROTOCOL_F_REPLY_ACK))) {
		if (reply_u64(c, &m, rc == 0 ? 0 : 1) != 0) {
			(void)conn_drop(c, "cannot send a reply");
			return;
		}
	}
	(void)ctl_publish(c);
}

static void conn_take(struct vh_ctl *c, int s)
{
	int fl = fcntl(s, F_GETFL);

	if (fl >= 0)
		(void)fcntl(s, F_SETFL, fl | O_NONBLOCK);
	c->sock = s;
	c->w_sock = mpdp_ctrl_watch(s, EPOLLIN, on_sock, c);
	if (c->w_sock == NULL) {
		mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: cannot watch the connection: %s", c->name,
			 strerror(errno));
		close(s);
		c->sock = -1;
		return;
	}
	atomic_fetch_add_explicit(&c->pmd->pcnt[VH_P_CONNECTIONS], 1, memory_order_relaxed);
	mpdp_log(MPDP_LOG_INFO, VH_LOG, "%s: frontend connected on %s", c->name, c->path);
}

static void on_listen(int fd, uint32_t events, void *arg)
{
	struct vh_ctl *c = arg;
	int s;

	(void)events;
	s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (s < 0)
		return;
	if (c->sock >= 0) {
		atomic_fetch_add_explicit(&c->pmd->pcnt[VH_P_REFUSED_PEERS], 1,
					  memory_order_relaxed);
		MPDP_LOG_RATELIMIT(MPDP_LOG_WARNING, VH_LOG, 4,
				   "%s: a second frontend on %s refused (one at a time)", c->name,
				   c->path);
		close(s);
		return;
	}
	conn_take(c, s);
}

static void on_timer(int fd, uint32_t events, void *arg)
{
	struct vh_ctl *c = arg;
	struct sockaddr_un sa;
	uint64_t ticks;
	int s;

	(void)events;
	(void)!read(fd, &ticks, sizeof(ticks));
	if (c->sock >= 0) {
		timer_arm(c, false);
		return;
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, sizeof(sa.sun_path));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(s);
		return; /* absent: the next tick tries again */
	}
	timer_arm(c, false);
	conn_take(c, s);
}

/* An owner found a broken ring: drop the connection. */
static void on_attn(int fd, uint32_t events, void *arg)
{
	struct vh_ctl *c = arg;
	uint64_t v;

	(void)events;
	(void)!read(fd, &v, sizeof(v));
	for (uint32_t i = 0; i < 2u * c->nb_queues; i++) {
		if (atomic_load_explicit(&c->pmd->vr[i].broken, memory_order_relaxed) &&
		    atomic_load_explicit(&c->pmd->vr[i].live, memory_order_relaxed)) {
			/* the owner logged why (one line, in its process) */
			mpdp_log(MPDP_LOG_DEBUG, VH_LOG,
				 "%s: vring %u is broken: dropping the frontend", c->name, i);
			atomic_fetch_add_explicit(&c->pmd->pcnt[VH_P_BROKEN_RINGS], 1,
						  memory_order_relaxed);
			(void)conn_drop(c, "broken ring");
			return;
		}
	}
}

/* Close every fd and mapping, unwatch, unlink, free. The port is gone or going. */
static void ctl_teardown(struct vh_ctl *c)
{
	mpdp_ctrl_unwatch(c->w_sock);
	mpdp_ctrl_unwatch(c->w_listen);
	mpdp_ctrl_unwatch(c->w_timer);
	mpdp_ctrl_unwatch(c->w_attn);
	if (c->sock >= 0)
		close(c->sock);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		if (c->created_path)
			unlink(c->path);
	}
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	if (c->attn_fd >= 0)
		close(c->attn_fd);
	for (uint32_t v = 0; v < VH_MAX_VRINGS; v++) {
		if (c->vr[v].kick_fd >= 0)
			close(c->vr[v].kick_fd);
		if (c->vr[v].call_fd >= 0)
			close(c->vr[v].call_fd);
	}
	mpdp_vhu_mem_unmap(&c->mem);
	for (unsigned int i = 0; i < MPDP_VHU_MAX_REGIONS; i++)
		if (c->region_fds[i] >= 0)
			close(c->region_fds[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* ------------------------------------------------------------ ops */

/*
 * Under ethdev's lock (mpdp_eth_link_update from our control callback, or
 * an application): export what changed, write the link.
 */
static int vh_link_update(struct mpdp_eth_dev *dev)
{
	struct vh_priv *priv = dev->priv;
	struct vh_ctl *c = priv != NULL ? priv->ctl : NULL;

	if (c == NULL)
		return -ENODEV;
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < MPDP_ETH_MAX_PORT_FDS; i++) {
		if (!(c->exp_dirty & (1ull << i)))
			continue;
		if (mpdp_eth_dev_fd_export(dev, i, c->exp_fd[i]) != 0 && c->exp_fd[i] >= 0)
			mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: cannot export fd %u", dev->shm->name,
				 i);
	}
	c->exp_dirty = 0;
	dev->shm->link = c->link;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int vh_configure(struct mpdp_eth_dev *dev)
{
	struct vh_priv *priv = dev->priv;

	if (priv == NULL)
		return -ENODEV;
	if (dev->shm->nb_rx_queues > priv->nb_queues || dev->shm->nb_tx_queues > priv->nb_queues)
		return -EINVAL;
	return 0;
}

static int vh_rx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc,
			     struct mpdp_mempool *mp)
{
	struct vh_priv *priv = dev->priv;

	(void)nb_desc;
	(void)mp;
	return priv != NULL && q < priv->nb_queues ? 0 : -EINVAL;
}

static int vh_tx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc)
{
	struct vh_priv *priv = dev->priv;

	(void)nb_desc;
	return priv != NULL && q < priv->nb_queues ? 0 : -EINVAL;
}

/*
 * Close, under ethdev's lock. The control callback may be blocked on that
 * lock inside ctl_publish() (state IN_ETH): then it tears down itself when
 * it gets through (CLOSE_DEFER); otherwise we switch it off (CLOSE_SYNC: it
 * will not enter ethdev again) and tear down here, after unwatching.
 */
static void vh_close(struct mpdp_eth_dev *dev)
{
	struct vh_priv *priv = dev->priv;
	struct vh_ctl *c;

	if (priv == NULL)
		return;
	c = priv->ctl;
	priv->ctl = NULL;
	if (c != NULL) {
		for (;;) {
			int s = VH_ST_RUN;

			if (atomic_compare_exchange_strong(&c->state, &s, VH_ST_CLOSE_SYNC)) {
				/* no callback runs after the unwatches; then nothing is shared */
				mpdp_ctrl_unwatch(c->w_sock);
				c->w_sock = NULL;
				mpdp_ctrl_unwatch(c->w_listen);
				c->w_listen = NULL;
				mpdp_ctrl_unwatch(c->w_timer);
				c->w_timer = NULL;
				mpdp_ctrl_unwatch(c->w_attn);
				c->w_attn = NULL;
				ctl_teardown(c);
				break;
			}
			if (s == VH_ST_IN_ETH &&
			    atomic_compare_exchange_strong(&c->state, &s, VH_ST_CLOSE_DEFER))
				break;
		}
	}
	mpdp_eth_dev_area_free(dev->shm->name, VH_ZONE_TAG);
	priv->pmd = NULL;
}

static int vh_attach(struct mpdp_eth_dev *dev)
{
	struct vh_port_shm *pmd;
	struct vh_priv *priv;

	pmd = mpdp_eth_dev_area(dev, VH_LOG, sizeof(*pmd), sizeof(*pmd));
	if (pmd == NULL)
		return -EPROTO;
	if (pmd->magic != VH_PORT_MAGIC || pmd->version != VH_PORT_VERSION ||
	    pmd->nb_queues == 0 || pmd->nb_queues > VH_MAX_QUEUES) {
		mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: bad driver state (magic %#x version %u queues %u)",
			 dev->shm->name, pmd->magic, pmd->version, pmd->nb_queues);
		return -EPROTO;
	}
	priv = calloc(1, sizeof(*priv));
	if (priv == NULL)
		return -ENOMEM;
	priv->pmd = pmd;
	priv->nb_queues = pmd->nb_queues;
	dev->priv = priv;
	return 0;
}

static void vh_detach(struct mpdp_eth_dev *dev)
{
	struct vh_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	if (priv->ctl != NULL) {
		/* the primary leaving without a close (exit): the same as a close */
		struct vh_ctl *c = priv->ctl;
		int s = VH_ST_RUN;

		priv->ctl = NULL;
		if (atomic_compare_exchange_strong(&c->state, &s, VH_ST_CLOSE_SYNC))
			ctl_teardown(c);
	}
	free(priv);
	dev->priv = NULL;
}

static int vh_queue_attach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t qid,
			   void **handle)
{
	struct vh_priv *priv = dev->priv;
	struct vh_queue *q;

	if (priv == NULL || qid >= priv->nb_queues)
		return -EINVAL;
	q = aligned_alloc(MPDP_CACHE_LINE_SIZE,
			  MPDP_ALIGN_UP(sizeof(*q), (size_t)MPDP_CACHE_LINE_SIZE));
	if (q == NULL)
		return -ENOMEM;
	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->pmd = priv->pmd;
	q->vring = (uint16_t)(dir == MPDP_ETH_RX ? 2 * qid + 1 : 2 * qid);
	q->vs = &priv->pmd->vr[q->vring];
	q->stats = mpdp_eth_queue_stats(dev, dir, qid);
	q->port = dev->port_id;
	q->notify = priv->pmd->notify != 0;
	q->kicks = priv->pmd->kicks != 0;
	q->call_fd = -1;
	q->attn_fd = -1;
	if (dir == MPDP_ETH_RX) {
		uint32_t id = dev->shm->rxq[qid].mempool_id;

		q->mp = mpdp_mempool_from_id(id);
		if (q->mp == NULL || mpdp_mbuf_pool_data_room(q->mp) == 0) {
			mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: rx queue %u: mbuf pool %u not found",
				 dev->shm->name, qid, id);
			free(q);
			return -ENOENT;
		}
	}
	*handle = q;
	return 0;
}

static void vh_queue_detach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t qid,
			    void *handle)
{
	struct vh_queue *q = handle;

	(void)dev;
	(void)dir;
	(void)qid;
	if (q == NULL)
		return;
	q_unmap(q);
	if (q->attn_fd >= 0)
		close(q->attn_fd);
	free(q);
}

static uint64_t since(_Atomic uint64_t *cur, _Atomic uint64_t *base)
{
	/* the baseline first (acquire, pairs with the reset's release) */
	uint64_t b = atomic_load_explicit(base, memory_order_acquire);
	uint64_t v = atomic_load_explicit(cur, memory_order_relaxed);

	return v >= b ? v - b : 0;
}

static void rebase(_Atomic uint64_t *cur, _Atomic uint64_t *base)
{
	atomic_store_explicit(base, atomic_load_explicit(cur, memory_order_relaxed),
			      memory_order_release);
}

static int vh_xstats_get(struct mpdp_eth_dev *dev, struct mpdp_eth_xstat *xs, unsigned int n)
{
	struct vh_priv *priv = dev->priv;
	struct vh_port_shm *pmd;
	unsigned int i = 0;

	if (priv == NULL || priv->pmd == NULL)
		return 0;
	pmd = priv->pmd;
	for (unsigned int k = 0; k < VH_NPCNT; k++, i++)
		if (xs != NULL && i < n) {
			snprintf(xs[i].name, sizeof(xs[i].name), "vhost_%s", vh_pcnt_names[k]);
			xs[i].value = since(&pmd->pcnt[k], &pmd->pbase[k]);
		}
	for (unsigned int r = 1; r <= MPDP_VIRTQ_INDIRECT_NOT_HEAD && r < VH_NREASONS; r++, i++)
		if (xs != NULL && i < n) {
			char nm[40];
			unsigned int j;

			snprintf(nm, sizeof(nm), "%s", mpdp_virtq_reason_str(r));
			for (j = 0; nm[j] != '\0'; j++)
				if (nm[j] == ' ' || nm[j] == '-')
					nm[j] = '_';
			snprintf(xs[i].name, sizeof(xs[i].name), "bad_desc_%s", nm);
			xs[i].value = since(&pmd->reason[r], &pmd->rbase[r]);
		}
	for (unsigned int v = 0; v < 2u * pmd->nb_queues; v++) {
		struct vh_vring_shm *vs = &pmd->vr[v];

		for (unsigned int k = 0; k < VH_NCNT; k++, i++)
			if (xs != NULL && i < n) {
				snprintf(xs[i].name, sizeof(xs[i].name), "%s_q%u_%s",
					 v & 1 ? "rx" : "tx", v / 2, vh_cnt_names[k]);
				xs[i].value = since(&vs->cnt[k], &vs->base[k]);
			}
	}
	return (int)i;
}

static void vh_xstats_reset(struct mpdp_eth_dev *dev)
{
	struct vh_priv *priv = dev->priv;
	struct vh_port_shm *pmd;

	if (priv == NULL || priv->pmd == NULL)
		return;
	pmd = priv->pmd;
	for (unsigned int k = 0; k < VH_NPCNT; k++)
		rebase(&pmd->pcnt[k], &pmd->pbase[k]);
	for (unsigned int r = 0; r < VH_NREASONS; r++)
		rebase(&pmd->reason[r], &pmd->rbase[r]);
	for (unsigned int v = 0; v < VH_MAX_VRINGS; v++)
		for (unsigned int k = 0; k < VH_NCNT; k++)
			rebase(&pmd->vr[v].cnt[k], &pmd->vr[v].base[k]);
}

static const struct mpdp_eth_dev_ops vh_ops = {
	.configure = vh_configure,
	.rx_queue_setup = vh_rx_queue_setup,
	.tx_queue_setup = vh_tx_queue_setup,
	.close = vh_close,
	.link_update = vh_link_update,
	.attach = vh_attach,
	.detach = vh_detach,
	.queue_attach = vh_queue_attach,
	.queue_detach = vh_queue_detach,
	.xstats_get = vh_xstats_get,
	.xstats_reset = vh_xstats_reset,
	.rx_burst = vh_rx_burst,
	.tx_burst = vh_tx_burst,
};

/* ------------------------------------------------------------ probe */

/* Listen on path: a stale socket file (nobody listening) is replaced. */
static int listen_on(const char *name, const char *path, int *out, char *err, size_t err_size)
{
	struct sockaddr_un sa;
	struct stat st;
	int s, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_size, "%s: iface=%s exists and is not a socket", name,
				 path);
			return -EEXIST;
		}
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			goto err_errno;
		rc = connect(s, (struct sockaddr *)&sa, sizeof(sa));
		close(s);
		if (rc == 0) {
			snprintf(err, err_size, "%s: iface=%s: something listens there already",
				 name, path);
			return -EADDRINUSE;
		}
		(void)unlink(path); /* stale */
	}
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		goto err_errno;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s, 4) != 0) {
		rc = -errno;
		close(s);
		snprintf(err, err_size, "%s: iface=%s: cannot listen: %s", name, path,
			 strerror(-rc));
		return rc;
	}
	*out = s;
	return 0;
err_errno:
	rc = -errno;
	snprintf(err, err_size, "%s: socket: %s", name, strerror(-rc));
	return rc;
}

static int vh_probe(const struct mpdp_devargs *da, const char *devargs_str, char *err,
		    size_t err_size)
{
	const char *path = mpdp_devargs_get(da, "iface");
	uint64_t queues, client, notify, mrg, kicks;
	struct mpdp_eth_dev *dev;
	struct vh_port_shm *pmd;
	struct vh_priv *priv;
	struct vh_ctl *c;
	int rc;

	if (strlen(da->name) > VH_PORT_NAME_MAX) {
		snprintf(err, err_size, "%s: name longer than %zu characters", da->name,
			 (size_t)VH_PORT_NAME_MAX);
		return -ENAMETOOLONG;
	}
	if (path == NULL || path[0] == '\0') {
		snprintf(err, err_size, "%s: iface=SOCK is required (the vhost-user socket path)",
			 da->name);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(pmd->path)) {
		snprintf(err, err_size, "%s: iface=%s: longer than %zu characters", da->name, path,
			 sizeof(pmd->path) - 1);
		return -ENAMETOOLONG;
	}
	rc = mpdp_devargs_get_uint(da, "queues", 1, VH_MAX_QUEUES, 1, &queues, err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "client", 0, 1, 0, &client, err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "notify", 0, 1, 1, &notify, err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "mrg_rxbuf", 0, 1, 1, &mrg, err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "kicks", 0, 1, 0, &kicks, err, err_size);
	if (rc != 0)
		return rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, err_size, "%s: out of memory", da->name);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->listen_fd = c->timer_fd = c->sock = c->attn_fd = -1;
	for (unsigned int i = 0; i < MPDP_VHU_MAX_REGIONS; i++)
		c->region_fds[i] = -1;
	for (unsigned int v = 0; v < VH_MAX_VRINGS; v++)
		c->vr[v].kick_fd = c->vr[v].call_fd = -1;
	for (unsigned int i = 0; i < MPDP_ETH_MAX_PORT_FDS; i++)
		c->exp_fd[i] = -1;
	snprintf(c->name, sizeof(c->name), "%s", da->name);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->client = client != 0;
	c->nb_queues = (uint16_t)queues;
	if (!c->client) {
		rc = listen_on(da->name, path, &c->listen_fd, err, err_size);
		if (rc != 0)
			goto err_ctl;
		c->created_path = true;
	} else {
		c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (c->timer_fd < 0) {
			rc = -errno;
			snprintf(err, err_size, "%s: timerfd: %s", da->name, strerror(-rc));
			goto err_ctl;
		}
	}
	c->attn_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->attn_fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: eventfd: %s", da->name, strerror(-rc));
		goto err_ctl;
	}

	dev = mpdp_eth_dev_create(da->name, &vh_driver, devargs_str, &rc);
	if (dev == NULL) {
		snprintf(err, err_size, "%s: cannot create the port: %s", da->name, strerror(-rc));
		goto err_ctl;
	}
	pmd = mpdp_eth_dev_area_reserve(dev, VH_ZONE_TAG, sizeof(*pmd), &rc, err, err_size);
	if (pmd == NULL)
		goto err_release;
	pmd->magic = VH_PORT_MAGIC;
	pmd->version = VH_PORT_VERSION;
	pmd->nb_queues = (uint16_t)queues;
	pmd->client = (uint8_t)client;
	pmd->notify = (uint8_t)notify;
	pmd->mrg_rxbuf = (uint8_t)mrg;
	pmd->kicks = (uint8_t)kicks;
	snprintf(pmd->path, sizeof(pmd->path), "%s", path);
	dev->shm->max_rx_queues = (uint16_t)queues;
	dev->shm->max_tx_queues = (uint16_t)queues;
	dev->shm->min_desc = VH_DESC_MIN;
	dev->shm->max_desc = VH_DESC_MAX;
	dev->shm->min_mtu = 68;
	dev->shm->max_mtu = 9000;
	dev->shm->mtu = 1500;
	dev->shm->mac = (struct mpdp_ether_addr){ { 0x02, 0x76, 0x68, 0x00, 0x00,
						     (uint8_t)(dev->port_id) } };
	dev->shm->link = (struct mpdp_eth_link){ 0 };
	c->dev = dev;
	c->pmd = pmd;
	c->port_id = dev->port_id;
	rc = mpdp_eth_dev_publish(dev);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot publish the port: %s", da->name, strerror(-rc));
		goto err_free_zone;
	}
	priv = dev->priv;
	/* the attention eventfd goes to every process (index VH_FD_ATTN) */
	(void)mpdp_eth_dev_fd_export(dev, VH_FD_ATTN, c->attn_fd);
	priv->ctl = c;
	if (c->listen_fd >= 0)
		c->w_listen = mpdp_ctrl_watch(c->listen_fd, EPOLLIN, on_listen, c);
	if (c->timer_fd >= 0)
		c->w_timer = mpdp_ctrl_watch(c->timer_fd, EPOLLIN, on_timer, c);
	c->w_attn = mpdp_ctrl_watch(c->attn_fd, EPOLLIN, on_attn, c);
	if ((c->listen_fd >= 0 && c->w_listen == NULL) ||
	    (c->timer_fd >= 0 && c->w_timer == NULL) || c->w_attn == NULL)
		/* the port exists; it only cannot serve a frontend: say so */
		mpdp_log(MPDP_LOG_ERR, VH_LOG, "%s: cannot watch the socket: %s", da->name,
			 strerror(errno));
	if (c->client)
		timer_arm(c, true);
	mpdp_log(MPDP_LOG_INFO, VH_LOG, "%s: port %u, vhost-user %s on %s, %llu queue pair(s)%s%s",
		 da->name, dev->port_id, c->client ? "client" : "server", path,
		 (unsigned long long)queues, mrg ? "" : ", no mergeable buffers",
		 notify ? "" : ", no notifications");
	return 0;

err_free_zone:
	mpdp_eth_dev_area_free(da->name, VH_ZONE_TAG);
err_release:
	mpdp_eth_dev_release(dev);
err_ctl:
	ctl_teardown(c);
	return rc;
}

static const char *const vh_keys[] = { "iface",	  "queues", "client", "notify",
					"mrg_rxbuf", "kicks",  NULL };

static struct mpdp_eth_driver vh_driver = {
	.name = VH_DRIVER_NAME,
	.bus = MPDP_BUS_VDEV,
	.devargs_keys = vh_keys,
	.devargs_help = "iface=SOCK,queues=N,client=0|1,notify=0|1,mrg_rxbuf=0|1,kicks=0|1",
	.probe_vdev = vh_probe,
	.ops = &vh_ops,
};

MPDP_ETH_DRIVER_REGISTER(vh_driver)
