/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_mbuf.h - packet buffers in shared memory.
 *
 * An mbuf is one mempool object: the metadata below, then priv_size bytes of
 * application area, then the buffer (headroom + data room):
 *
 *   | struct mpdp_mbuf (128 B) | priv (priv_size) | buffer (buf_len) ............ |
 *                                                 ^ buf      ^ buf + data_off
 *
 * Nothing in an mbuf is a pointer (DESIGN.md rule 2). The buffer's address is
 * computed in each process as (char *)m + buf_rel: a distance inside the one
 * shared heap, the same in every process. A clone (an "indirect" mbuf) has a
 * buf_rel reaching into another mbuf's buffer and names that mbuf in
 * `attached`. Segments are chained through `next`, a heap offset. The IOVA a
 * device needs for the buffer is recorded per mbuf when the pool is made.
 *
 * Ownership: an mbuf belongs to whoever holds it; passing it (through a ring,
 * a queue) passes ownership. refcnt counts holders of the *buffer*: clones
 * raise it on the mbuf whose buffer they use, and the buffer returns to its
 * pool when the last holder frees it. refcnt is atomic because holders in
 * different processes may free at the same time; the other fields belong to
 * the one owner of the mbuf and need no atomics.
 *
 * Functions that work on a whole packet take its first segment. Lengths:
 * pkt_len (first segment only) is the sum of every segment's data_len.
 */
#ifndef MPDP_MBUF_H
#define MPDP_MBUF_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_mempool.h>
#include <mpdp/mpdp_shm.h>

#define MPDP_MBUF_DEFAULT_HEADROOM 128
#define MPDP_MBUF_DEFAULT_DATAROOM 2048
#define MPDP_MBUF_DEFAULT_BUF_SIZE (MPDP_MBUF_DEFAULT_DATAROOM + MPDP_MBUF_DEFAULT_HEADROOM)
#define MPDP_MBUF_MAX_SEGS 255
#define MPDP_MBUF_PRIV_ALIGN 8

/* ol_flags: offloads and what rx found (the DPDK names, our bits). */
#define MPDP_MBUF_F_RX_VLAN          (1ULL << 0)  /* vlan_tci is valid */
#define MPDP_MBUF_F_RX_RSS_HASH      (1ULL << 1)  /* rss_hash is valid */
#define MPDP_MBUF_F_RX_IP_CKSUM_GOOD (1ULL << 4)
#define MPDP_MBUF_F_RX_IP_CKSUM_BAD  (1ULL << 5)
#define MPDP_MBUF_F_RX_L4_CKSUM_GOOD (1ULL << 6)
#define MPDP_MBUF_F_RX_L4_CKSUM_BAD  (1ULL << 7)
#define MPDP_MBUF_F_RX_LRO           (1ULL << 8)
#define MPDP_MBUF_F_TX_VLAN          (1ULL << 32) /* insert vlan_tci */
#define MPDP_MBUF_F_TX_IPV4          (1ULL << 33)
#define MPDP_MBUF_F_TX_IPV6          (1ULL << 34)
#define MPDP_MBUF_F_TX_IP_CKSUM      (1ULL << 35)
#define MPDP_MBUF_F_TX_TCP_CKSUM     (1ULL << 36)
#define MPDP_MBUF_F_TX_UDP_CKSUM     (1ULL << 37)
#define MPDP_MBUF_F_TX_TCP_SEG       (1ULL << 38)
#define MPDP_MBUF_F_INDIRECT         (1ULL << 62) /* buffer belongs to `attached` */

/* packet_type: layer values (enough for the drivers and tools we ship). */
#define MPDP_PTYPE_L2_ETHER      0x00000001u
#define MPDP_PTYPE_L2_ETHER_VLAN 0x00000002u
#define MPDP_PTYPE_L2_MASK       0x0000000fu
#define MPDP_PTYPE_L3_IPV4       0x00000010u
#define MPDP_PTYPE_L3_IPV6       0x00000020u
#define MPDP_PTYPE_L3_MASK       0x000000f0u
#define MPDP_PTYPE_L4_TCP        0x00000100u
#define MPDP_PTYPE_L4_UDP        0x00000200u
#define MPDP_PTYPE_L4_ICMP       0x00000300u
#define MPDP_PTYPE_L4_MASK       0x00000f00u

struct mpdp_mbuf {
	/* line 0: what rx writes and tx reads */
	uint64_t buf_iova;        /* (P) IOVA of the buffer start */
	int64_t buf_rel;          /* buffer start minus the mbuf's address */
	uint16_t buf_len;         /* headroom + data room */
	uint16_t pool_id;         /* (P) the mempool this mbuf returns to */
	uint16_t priv_size;       /* (P) application area after the struct */
	uint16_t reserved0;
	/* 8-byte "rearm" group: a driver may reset it with one store */
	uint16_t data_off;        /* data start, from the buffer start */
	_Atomic uint16_t refcnt;  /* holders of this buffer */
	uint16_t nb_segs;         /* first segment: segments in the chain */
	uint16_t port;            /* input port */
	uint64_t ol_flags;        /* MPDP_MBUF_F_* */
	uint32_t packet_type;     /* MPDP_PTYPE_* */
	uint32_t pkt_len;         /* first segment: bytes in the whole chain */
	uint16_t data_len;        /* bytes in this segment */
	uint16_t vlan_tci;
	uint32_t rss_hash;
	mpdp_shm_off_t next;      /* next segment, or MPDP_SHM_NULL */
	/* line 1 */
	union {
		uint64_t tx_offload;
		struct {
			uint64_t l2_len : 7;
			uint64_t l3_len : 9;
			uint64_t l4_len : 8;
			uint64_t tso_segsz : 16;
			uint64_t outer_l3_len : 9;
			uint64_t outer_l2_len : 7;
			uint64_t tx_reserved : 8;
		};
	};
	mpdp_shm_off_t attached;  /* indirect: the mbuf whose buffer this is */
	uint16_t vlan_tci_outer;
	uint16_t reserved1;
	uint32_t reserved2;
	uint64_t timestamp;
	uint64_t udata64;         /* free for the application */
	uint32_t dynfield[6];     /* free for drivers and the application */
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_mbuf) == 2 * MPDP_CACHE_LINE_SIZE, "mbuf is two lines");
MPDP_STATIC_ASSERT(offsetof(struct mpdp_mbuf, data_off) == 24, "rearm group at 24");
MPDP_STATIC_ASSERT(offsetof(struct mpdp_mbuf, next) == 56, "next ends line 0");
MPDP_STATIC_ASSERT(offsetof(struct mpdp_mbuf, tx_offload) == 64, "line 1");

/* (P): written when the pool is populated, kept while the mbuf is free (debug
 * poison spares them). */
#define MPDP_MBUF_CONST_BYTES offsetof(struct mpdp_mbuf, data_off)

/* What an mbuf pool keeps in its mempool's user_data. */
struct mpdp_mbuf_pool_shm {
	uint16_t data_room_size;  /* buf_len of each mbuf */
	uint16_t priv_size;
	uint32_t reserved;
};

/*
 * Create a pool of n mbufs, each with priv_size bytes of application area
 * (a multiple of MPDP_MBUF_PRIV_ALIGN) and data_room_size bytes of buffer
 * (headroom included; at most 65535), per-lcore caches of cache_size.
 * ops_name chooses the mempool backend (NULL: "ring"). Errors as
 * mpdp_mempool_create().
 */
struct mpdp_mempool *mpdp_mbuf_pool_create(const char *name, unsigned int n,
					   unsigned int cache_size, uint16_t priv_size,
					   uint16_t data_room_size, const char *ops_name, int *err);

/* Data room and private size of an mbuf pool (0 if mp is not one). */
uint16_t mpdp_mbuf_pool_data_room(const struct mpdp_mempool *mp);
uint16_t mpdp_mbuf_pool_priv_size(const struct mpdp_mempool *mp);

/* ---- addresses (per process, computed) ---------------------------------- */

static inline struct mpdp_mbuf *mpdp_mbuf_from_off(mpdp_shm_off_t off)
{
	return (struct mpdp_mbuf *)mpdp_shm_ptr(off);
}

static inline char *mpdp_mbuf_buf_addr(const struct mpdp_mbuf *m)
{
	return (char *)(uintptr_t)m + m->buf_rel;
}

/* Start of the data, as type t. */
#define mpdp_mbuf_mtod(m, t) ((t)(void *)(mpdp_mbuf_buf_addr(m) + (m)->data_off))
#define mpdp_mbuf_mtod_offset(m, t, o) \
	((t)(void *)(mpdp_mbuf_buf_addr(m) + (m)->data_off + (o)))

static inline uint64_t mpdp_mbuf_data_iova(const struct mpdp_mbuf *m)
{
	return m->buf_iova + m->data_off;
}

static inline struct mpdp_mbuf *mpdp_mbuf_next(const struct mpdp_mbuf *m)
{
	return mpdp_mbuf_from_off(m->next);
}

static inline void *mpdp_mbuf_priv(const struct mpdp_mbuf *m)
{
	return (char *)(uintptr_t)m + sizeof(*m);
}

static inline struct mpdp_mempool *mpdp_mbuf_pool(const struct mpdp_mbuf *m)
{
	return mpdp_mempool_from_id(m->pool_id);
}

static inline int mpdp_mbuf_is_indirect(const struct mpdp_mbuf *m)
{
	return (m->ol_flags & MPDP_MBUF_F_INDIRECT) != 0;
}

static inline uint16_t mpdp_mbuf_headroom(const struct mpdp_mbuf *m)
{
	return m->data_off;
}

static inline uint16_t mpdp_mbuf_tailroom(const struct mpdp_mbuf *m)
{
	return (uint16_t)(m->buf_len - m->data_off - m->data_len);
}

static inline struct mpdp_mbuf *mpdp_mbuf_lastseg(struct mpdp_mbuf *m)
{
	while (m->next != MPDP_SHM_NULL)
		m = mpdp_mbuf_next(m);
	return m;
}

static inline int mpdp_mbuf_is_contiguous(const struct mpdp_mbuf *m)
{
	return m->nb_segs == 1;
}

/* ---- reference count ---------------------------------------------------- */

static inline uint16_t mpdp_mbuf_refcnt_read(const struct mpdp_mbuf *m)
{
	return atomic_load_explicit(&((struct mpdp_mbuf *)(uintptr_t)m)->refcnt,
				    memory_order_relaxed);
}

static inline void mpdp_mbuf_refcnt_set(struct mpdp_mbuf *m, uint16_t v)
{
	atomic_store_explicit(&m->refcnt, v, memory_order_relaxed);
}

/*
 * Add v (may be negative) and return the new count. Release on the way down
 * and acquire when it reaches 0, so the last holder sees every other
 * holder's writes before the buffer is reused.
 */
static inline uint16_t mpdp_mbuf_refcnt_update(struct mpdp_mbuf *m, int16_t v)
{
	/* a sole holder shares the mbuf with nobody: no read-modify-write needed */
	if (mpdp_likely(mpdp_mbuf_refcnt_read(m) == 1)) {
		uint16_t now = (uint16_t)(1 + v);

		mpdp_mbuf_refcnt_set(m, now);
		return now;
	}
	return (uint16_t)(atomic_fetch_add_explicit(&m->refcnt, (uint16_t)v,
						    memory_order_acq_rel) +
			  (uint16_t)v);
}

/* ---- alloc and free ----------------------------------------------------- */

/* Reset the metadata of a direct mbuf to an empty one-segment packet. */
static inline void mpdp_mbuf_reset(struct mpdp_mbuf *m)
{
	uint16_t headroom = m->buf_len < MPDP_MBUF_DEFAULT_HEADROOM ? m->buf_len
								     : MPDP_MBUF_DEFAULT_HEADROOM;

	m->data_off = headroom;
	m->nb_segs = 1;
	m->port = UINT16_MAX;
	m->ol_flags = 0;
	m->packet_type = 0;
	m->pkt_len = 0;
	m->data_len = 0;
	m->vlan_tci = 0;
	m->rss_hash = 0;
	m->next = MPDP_SHM_NULL;
	m->tx_offload = 0;
	m->attached = MPDP_SHM_NULL;
	m->vlan_tci_outer = 0;
	m->timestamp = 0;
}

/* One empty mbuf (refcnt 1), or NULL when the pool is empty. */
static inline struct mpdp_mbuf *mpdp_mbuf_alloc(struct mpdp_mempool *mp)
{
	void *obj;

	if (mpdp_unlikely(mpdp_mempool_get(mp, &obj) != 0))
		return NULL;
	struct mpdp_mbuf *m = (struct mpdp_mbuf *)obj;

	mpdp_mbuf_refcnt_set(m, 1);
	mpdp_mbuf_reset(m);
	return m;
}

/* n empty mbufs or none: 0 or -ENOENT. */
static inline int mpdp_mbuf_alloc_bulk(struct mpdp_mempool *mp, struct mpdp_mbuf **mbufs,
				       unsigned int n)
{
	if (mpdp_unlikely(mpdp_mempool_get_bulk(mp, (void **)mbufs, n) != 0))
		return -ENOENT;
	for (unsigned int i = 0; i < n; i++) {
		mpdp_mbuf_refcnt_set(mbufs[i], 1);
		mpdp_mbuf_reset(mbufs[i]);
	}
	return 0;
}

/* Out of line: an indirect segment lets go of the buffer it uses. */
void mpdp_mbuf_detach_(struct mpdp_mbuf *m);

/*
 * Drop this holder of segment m. Returns m when its memory may go back to
 * the pool now (detached, refcnt 1, one segment), NULL when other holders
 * remain.
 */
static inline struct mpdp_mbuf *mpdp_mbuf_prefree_seg(struct mpdp_mbuf *m)
{
	if (mpdp_likely(mpdp_mbuf_refcnt_read(m) == 1)) {
		if (mpdp_unlikely(mpdp_mbuf_is_indirect(m)))
			mpdp_mbuf_detach_(m);
		if (m->next != MPDP_SHM_NULL) {
			m->next = MPDP_SHM_NULL;
			m->nb_segs = 1;
		}
		return m;
	}
	if (mpdp_mbuf_refcnt_update(m, -1) != 0)
		return NULL;
	if (mpdp_unlikely(mpdp_mbuf_is_indirect(m)))
		mpdp_mbuf_detach_(m);
	if (m->next != MPDP_SHM_NULL) {
		m->next = MPDP_SHM_NULL;
		m->nb_segs = 1;
	}
	mpdp_mbuf_refcnt_set(m, 1);
	return m;
}

/*
 * True unless m's pool (mp, looked up once by the caller) is a debug pool and
 * m is not handed out (a double free, caught and logged before any field past
 * the constant prefix is read), or is not usable in this process.
 */
static inline int mpdp_mbuf_live_(struct mpdp_mempool *mp, const struct mpdp_mbuf *m)
{
	if (mpdp_likely(mp != NULL && !(mp->flags & MPDP_MEMPOOL_F_DEBUG)))
		return 1;
	return mpdp_mempool_debug_obj_live_(mp, m);
}

/* Free one segment (not the rest of its chain). */
static inline void mpdp_mbuf_free_seg(struct mpdp_mbuf *m)
{
	struct mpdp_mempool *mp = mpdp_mbuf_pool(m);

	if (mpdp_unlikely(!mpdp_mbuf_live_(mp, m)))
		return;
	/* prefree hands back m itself or nothing: same pool */
	if (mpdp_mbuf_prefree_seg(m) != NULL)
		mpdp_mempool_put(mp, m);
}

/* Free a whole packet (every segment). Accepts NULL. */
static inline void mpdp_mbuf_free(struct mpdp_mbuf *m)
{
	while (m != NULL) {
		struct mpdp_mempool *mp = mpdp_mbuf_pool(m);
		struct mpdp_mbuf *next;

		if (mpdp_unlikely(!mpdp_mbuf_live_(mp, m)))
			return; /* its next offset is poison: stop here */
		next = mpdp_mbuf_next(m);
		if (mpdp_mbuf_prefree_seg(m) != NULL)
			mpdp_mempool_put(mp, m);
		m = next;
	}
}

/*
 * Free n packets. The common packet (one direct segment, one holder, from a
 * pool without debug checks) is exactly what mpdp_mbuf_free() would put
 * back as it is: runs of them from one pool are collected and put in bulk,
 * with one pool lookup per run and no per-segment work. From the first
 * other packet on (chains, clones, shared or debug-pool mbufs) the rest goes
 * to mpdp_mbuf_free_bulk_any_(), which batches segments per pool too.
 * Inline: transmit paths free every packet through it (measured in
 * net_null's tx: 81 -> 61 instructions per packet for rx+tx).
 */
void mpdp_mbuf_free_bulk_any_(struct mpdp_mbuf **mbufs, unsigned int n);

static inline void mpdp_mbuf_free_bulk(struct mpdp_mbuf **mbufs, unsigned int n)
{
	void *pending[64];
	struct mpdp_mempool *mp = NULL; /* pool of pending[]; never a debug pool */
	uint32_t pool_id = UINT32_MAX;  /* no mbuf has it: the first one looks up */
	unsigned int nb_pending = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct mpdp_mbuf *m = mbufs[i];

		if (mpdp_unlikely(m->pool_id != pool_id)) {
			struct mpdp_mempool *nmp = mpdp_mbuf_pool(m);

			if (nb_pending > 0)
				mpdp_mempool_put_bulk(mp, pending, nb_pending);
			nb_pending = 0;
			mp = nmp != NULL && !(nmp->flags & MPDP_MEMPOOL_F_DEBUG) ? nmp : NULL;
			pool_id = m->pool_id;
		}
		if (mpdp_likely(mp != NULL && m->next == MPDP_SHM_NULL &&
				mpdp_mbuf_refcnt_read(m) == 1 && !mpdp_mbuf_is_indirect(m))) {
			pending[nb_pending++] = m;
			if (mpdp_unlikely(nb_pending == MPDP_DIM(pending))) {
				mpdp_mempool_put_bulk(mp, pending, nb_pending);
				nb_pending = 0;
			}
			continue;
		}
		if (nb_pending > 0)
			mpdp_mempool_put_bulk(mp, pending, nb_pending);
		mpdp_mbuf_free_bulk_any_(&mbufs[i], n - i);
		return;
	}
	if (nb_pending > 0)
		mpdp_mempool_put_bulk(mp, pending, nb_pending);
}

/* ---- data and chains ---------------------------------------------------- */

/*
 * Prepend len bytes to the first segment (into its headroom). Returns the new
 * data start, or NULL (packet unchanged) when the headroom is too small.
 */
static inline char *mpdp_mbuf_prepend(struct mpdp_mbuf *m, uint16_t len)
{
	if (mpdp_unlikely(len > m->data_off))
		return NULL;
	m->data_off = (uint16_t)(m->data_off - len);
	m->data_len = (uint16_t)(m->data_len + len);
	m->pkt_len += len;
	return mpdp_mbuf_mtod(m, char *);
}

/*
 * Append len bytes at the end of the last segment (into its tailroom).
 * Returns where they start, or NULL (unchanged) when there is no room.
 */
static inline char *mpdp_mbuf_append(struct mpdp_mbuf *m, uint16_t len)
{
	struct mpdp_mbuf *last = mpdp_mbuf_lastseg(m);
	char *tail;

	if (mpdp_unlikely(len > mpdp_mbuf_tailroom(last)))
		return NULL;
	tail = mpdp_mbuf_mtod_offset(last, char *, last->data_len);
	last->data_len = (uint16_t)(last->data_len + len);
	m->pkt_len += len;
	return tail;
}

/*
 * Remove len bytes from the start of the first segment. Returns the new data
 * start, or NULL (unchanged) when the first segment holds fewer bytes.
 */
static inline char *mpdp_mbuf_adj(struct mpdp_mbuf *m, uint16_t len)
{
	if (mpdp_unlikely(len > m->data_len))
		return NULL;
	m->data_off = (uint16_t)(m->data_off + len);
	m->data_len = (uint16_t)(m->data_len - len);
	m->pkt_len -= len;
	return mpdp_mbuf_mtod(m, char *);
}

/*
 * Remove len bytes from the end of the last segment. Returns 0, or -EINVAL
 * (unchanged) when the last segment holds fewer bytes.
 */
static inline int mpdp_mbuf_trim(struct mpdp_mbuf *m, uint16_t len)
{
	struct mpdp_mbuf *last = mpdp_mbuf_lastseg(m);

	if (mpdp_unlikely(len > last->data_len))
		return -EINVAL;
	last->data_len = (uint16_t)(last->data_len - len);
	m->pkt_len -= len;
	return 0;
}

/*
 * Append packet tail to packet head (both first segments). Returns 0, or
 * -EOVERFLOW (unchanged) when the chain would exceed MPDP_MBUF_MAX_SEGS
 * segments or 4 GiB.
 */
static inline int mpdp_mbuf_chain(struct mpdp_mbuf *head, struct mpdp_mbuf *tail)
{
	if (mpdp_unlikely(head->nb_segs + tail->nb_segs > MPDP_MBUF_MAX_SEGS ||
			  (uint64_t)head->pkt_len + tail->pkt_len > UINT32_MAX))
		return -EOVERFLOW;
	mpdp_mbuf_lastseg(head)->next = mpdp_shm_off(tail);
	head->nb_segs = (uint16_t)(head->nb_segs + tail->nb_segs);
	head->pkt_len += tail->pkt_len;
	tail->pkt_len = tail->data_len;
	tail->nb_segs = 1;
	return 0;
}

/*
 * Read len bytes at offset off of the packet: returns a pointer into the
 * mbuf when they are contiguous there, else copies them into buf and returns
 * buf; NULL when off + len is past the packet.
 */
const void *mpdp_mbuf_read(const struct mpdp_mbuf *m, uint32_t off, uint32_t len, void *buf);

/*
 * Copy up to len bytes from offset off of the packet into dst, following
 * the segments as they are linked (data_len of each; pkt_len is not
 * trusted, so a chain another process built cannot make it overrun dst).
 * Returns the bytes copied: less than len when the chain ends first.
 */
uint32_t mpdp_mbuf_copy_out(const struct mpdp_mbuf *m, uint32_t off, void *dst, uint32_t len);

/*
 * Write len bytes at offset off of the packet (across segments). Returns 0 or
 * -EINVAL when off + len is past the packet.
 */
int mpdp_mbuf_write(struct mpdp_mbuf *m, uint32_t off, uint32_t len, const void *src);

/*
 * Clone by reference: a new packet from mp whose segments are indirect mbufs
 * sharing m's buffers (their refcnts go up); metadata is copied. NULL when mp
 * runs out (nothing leaks).
 */
struct mpdp_mbuf *mpdp_mbuf_clone(struct mpdp_mbuf *m, struct mpdp_mempool *mp);

/*
 * Deep copy of len bytes at offset off of m (UINT32_MAX: to the end) into
 * new mbufs from mp, as many segments as needed; metadata is copied. NULL
 * when off is past the packet or mp runs out (nothing leaks).
 */
struct mpdp_mbuf *mpdp_mbuf_copy(const struct mpdp_mbuf *m, struct mpdp_mempool *mp,
				 uint32_t off, uint32_t len);

/*
 * Check an mbuf's invariants (is_header: m is the first segment, so lengths
 * and segment count of the chain are checked too). Returns 0 or -EINVAL with
 * *reason (if not NULL) naming what is wrong.
 */
int mpdp_mbuf_check(const struct mpdp_mbuf *m, int is_header, const char **reason);

/*
 * Write a description of the packet (metadata of every segment and up to
 * dump_len bytes of data in hex) to f. For debugging.
 */
void mpdp_mbuf_dump(FILE *f, const struct mpdp_mbuf *m, unsigned int dump_len);

#endif /* MPDP_MBUF_H */
