/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_net.c - the virtio-net poll-mode driver core: split virtqueues
 * (mpdp_virtq_drv_*), receive with and without mergeable buffers, transmit
 * with the header in the headroom or in a chain, queue set-up, multi-process
 * attach, statistics. The device is reached only through the transport's
 * process-local ops (virtio_priv.h), chosen by the transport id stored in
 * shared memory; the rx/tx paths likewise by id (docs/design/virtio.md).
 *
 * Queue numbering: rx queue q is vring 2q, tx queue q is vring 2q + 1.
 *
 * Receive buffers are whole mbufs: the descriptor starts hdr_len bytes
 * before the mbuf's data (the header lands in the headroom) and runs to the
 * end of its buffer; the cookie is the mbuf's heap offset. Transmit chains
 * carry the packet's heap offset as cookie and are freed when used.
 *
 * Descriptor addresses: IOVAs for PCI (buf_iova, mpdp_mem_iova()), heap
 * offsets for vhost-user in every IOVA mode (its memory table is by
 * offset). The queue handle says which (vio_queue.iova, from the
 * transport's table); buf_daddr() is the one place that chooses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mempool.h>
#include <mpdp/mpdp_shm.h>

#include "virtio_priv.h"

#define VIO_HDR_SLOT     16u /* tx header slots are 16 bytes apart */
#define VIO_REFILL_BURST 64u

/* ------------------------------------------------------------ transports */

/* Transport ids -> this process's ops. Holes are refused at attach. */
static const struct vio_transport_ops *const vio_transports[VIRTIO_TRANSPORT_MAX] = {
	[VIRTIO_TRANSPORT_USER] = &vio_user_ops,
	[VIRTIO_TRANSPORT_PCI_LEGACY] = &vio_pci_legacy_ops,
	[VIRTIO_TRANSPORT_PCI_MODERN] = &vio_pci_modern_ops,
};

/*
 * The device address of an mbuf's buffer start: its IOVA (PCI) or its heap
 * offset (vhost-user). A predictable branch on a per-queue constant.
 */
static inline uint64_t buf_daddr(bool iova, const struct mpdp_mbuf *m)
{
	return iova ? m->buf_iova : mpdp_shm_off(m) + m->buf_rel;
}

/* ------------------------------------------------------------ ring state */

/* An mbuf from a cookie some owner wrote (shared memory: checked). */
static inline struct mpdp_mbuf *cookie_mbuf(uint64_t cookie)
{
	if (mpdp_unlikely(!mpdp_shm_off_valid(cookie, sizeof(struct mpdp_mbuf))))
		return NULL;
	return mpdp_mbuf_from_off(cookie);
}

static void vq_repair(struct vio_queue *h, uint8_t phase);

static inline void vq_phase(struct vio_queue *h, enum vio_phase ph)
{
	atomic_store_explicit(&h->vs->phase, (uint8_t)ph, memory_order_relaxed);
	/* the phase before the ring and slot writes that follow it: a successor
	 * that reads them after our death also reads the phase */
	atomic_thread_fence(memory_order_release);
}

/* The owner's state from shared memory into the local handle. */
static inline void vq_load(struct vio_queue *h)
{
	uint8_t ph = atomic_load_explicit(&h->vs->phase, memory_order_acquire);

	if (mpdp_unlikely(ph != VIO_PH_IDLE))
		vq_repair(h, ph); /* the previous owner died inside a burst */
	struct vio_vq_shm *vs = h->vs;
	struct mpdp_virtq_drv *q = &h->vq;

	q->free_head = atomic_load_explicit(&vs->free_head, memory_order_relaxed);
	q->num_free = atomic_load_explicit(&vs->num_free, memory_order_relaxed);
	q->avail_idx = atomic_load_explicit(&vs->avail_idx, memory_order_relaxed);
	q->kicked_idx = atomic_load_explicit(&vs->kicked_idx, memory_order_relaxed);
	q->last_used_idx = atomic_load_explicit(&vs->last_used_idx, memory_order_relaxed);
	q->broken = atomic_load_explicit(&vs->broken, memory_order_relaxed) != 0;
	/* distrust what another process left: a bad value breaks the ring */
	if (mpdp_unlikely((q->free_head >= q->size && q->num_free != 0) || q->num_free > q->size))
		q->broken = true;
}

/* ... and back. Before publish: a successor must know what we published. */
static inline void vq_save(struct vio_queue *h)
{
	struct vio_vq_shm *vs = h->vs;
	const struct mpdp_virtq_drv *q = &h->vq;

	atomic_store_explicit(&vs->free_head, q->free_head, memory_order_relaxed);
	atomic_store_explicit(&vs->num_free, q->num_free, memory_order_relaxed);
	atomic_store_explicit(&vs->avail_idx, q->avail_idx, memory_order_relaxed);
	atomic_store_explicit(&vs->kicked_idx, q->kicked_idx, memory_order_relaxed);
	atomic_store_explicit(&vs->last_used_idx, q->last_used_idx, memory_order_relaxed);
	if (mpdp_unlikely(q->broken) && !atomic_load_explicit(&vs->broken, memory_order_relaxed)) {
		atomic_store_explicit(&vs->broken, 1, memory_order_relaxed);
		atomic_store_explicit(&vs->ctr[VIO_C_BROKEN], 1, memory_order_relaxed);
		MPDP_LOG_RATELIMIT(MPDP_LOG_ERR, VIO_LOG, 5,
				   "port %u vring %u: the device broke the ring; it stays stopped "
				   "until the queue is set up again",
				   h->port, h->vring);
	}
}

/*
 * A new owner found the ring in the middle of a burst: its previous owner
 * died there (a SIGKILL; a live owner always ends IDLE). Bring the saved
 * state back in line with the ring (slow path, logged):
 *
 *   GIVE: the saved state is the one after the take; the chains added
 *         since were never published, and their descriptors are still on
 *         the saved free list (adding does not change the list's links).
 *         Their slots are cleared and their mbufs freed. If it died after
 *         saving its adds but before publishing them, they are whole: we
 *         publish them.
 *   TAKE: used entries past the saved last_used_idx whose slot is already
 *         free were taken by the dead owner (their mbufs went with it); we
 *         skip them. Nothing was added in this burst, so the free list is
 *         rebuilt from the slots: every descriptor not in a live chain.
 *
 * Returns with the phase IDLE; a state that cannot be made sense of marks
 * the ring broken.
 */
static void vq_repair(struct vio_queue *h, uint8_t phase)
{
	struct vio_vq_shm *vs = h->vs;
	struct mpdp_virtq_drv *q = &h->vq;
	const uint16_t size = q->size;
	uint16_t fh = atomic_load_explicit(&vs->free_head, memory_order_relaxed);
	uint16_t nf = atomic_load_explicit(&vs->num_free, memory_order_relaxed);
	uint16_t lu = atomic_load_explicit(&vs->last_used_idx, memory_order_relaxed);
	unsigned int skipped = 0, freed = 0;
	bool broken = false;

	if (phase == VIO_PH_GIVE) {
		uint16_t id = fh;

		for (uint16_t i = 0; i < nf && !broken; i++) {
			if (id >= size) {
				broken = true;
				break;
			}
			if (q->slots[id].ndesc != 0) {
				mpdp_mbuf_free(cookie_mbuf(q->slots[id].cookie));
				q->slots[id].ndesc = 0;
				freed++;
			}
			id = q->desc[id].next;
		}
	} else if (phase == VIO_PH_TAKE) {
		uint16_t uidx = atomic_load_explicit(&q->used->idx, memory_order_acquire);
		uint8_t *inuse = calloc(size, 1);
		uint16_t prev = 0, count = 0;

		while (inuse != NULL && lu != uidx && (uint16_t)(uidx - lu) <= size) {
			uint32_t id = q->used->ring[lu & q->mask].id;

			if (id >= size || q->slots[id].ndesc != 0)
				break;
			lu++;
			skipped++;
		}
		for (uint16_t id = 0; inuse != NULL && id < size && !broken; id++) {
			uint16_t d = id, n = q->slots[id].ndesc;

			for (uint16_t k = 0; k < n; k++) {
				if (d >= size || inuse[d]) {
					broken = true;
					break;
				}
				inuse[d] = 1;
				if (k + 1 < n)
					d = q->desc[d].next;
			}
		}
		if (inuse == NULL)
			broken = true;
		for (uint16_t id = 0; !broken && id < size; id++) {
			if (inuse[id])
				continue;
			if (count == 0)
				fh = id;
			else
				q->desc[prev].next = id;
			prev = id;
			count++;
		}
		free(inuse);
		nf = count;
		if (count == 0)
			fh = 0;
	} else {
		broken = true;
	}
	atomic_store_explicit(&vs->free_head, fh, memory_order_relaxed);
	atomic_store_explicit(&vs->num_free, nf, memory_order_relaxed);
	atomic_store_explicit(&vs->last_used_idx, lu, memory_order_relaxed);
	if (phase == VIO_PH_GIVE && !broken &&
	    atomic_load_explicit(&vs->avail_idx, memory_order_relaxed) !=
		    atomic_load_explicit(&q->avail->idx, memory_order_relaxed)) {
		/* it saved its adds but died before publishing them: they are
		 * whole, publish them (A) */
		atomic_store_explicit(&q->avail->idx,
				      atomic_load_explicit(&vs->avail_idx, memory_order_relaxed),
				      memory_order_release);
	} else {
		/* nothing unpublished is left: the shadow is what the device sees */
		atomic_store_explicit(&vs->avail_idx,
				      atomic_load_explicit(&q->avail->idx, memory_order_relaxed),
				      memory_order_relaxed);
	}
	if (broken)
		atomic_store_explicit(&vs->broken, 1, memory_order_relaxed);
	atomic_store_explicit(&vs->phase, VIO_PH_IDLE, memory_order_relaxed);
	mpdp_eth_queue_stats_add(&vs->ctr[VIO_C_REPAIRS], 1);
	mpdp_log(
		MPDP_LOG_WARNING, VIO_LOG,
		"port %u vring %u: the previous owner died inside a burst (%s); %s: %u used "
		"entr%s it had taken skipped, %u unpublished chain(s) dropped, %u descriptors free",
		h->port, h->vring, phase == VIO_PH_TAKE ? "taking used entries" : "adding chains",
		broken ? "cannot repair, ring broken" : "repaired", skipped,
		skipped == 1 ? "y" : "ies", freed, nf);
}

static inline void ctr_add(struct vio_queue *h, enum vio_ctr c, uint64_t v)
{
	mpdp_eth_queue_stats_add(&h->vs->ctr[c], v);
}

static inline void size_bin(uint64_t bins[7], uint32_t len)
{
	unsigned int b = len <= 64   ? 0 :
			 len <= 127  ? 1 :
			 len <= 255  ? 2 :
			 len <= 511  ? 3 :
			 len <= 1023 ? 4 :
			 len <= 1518 ? 5 :
				       6;

	bins[b]++;
}

static inline void bins_flush(struct vio_queue *h, const uint64_t bins[7])
{
	for (unsigned int b = 0; b < 7; b++)
		if (bins[b] != 0)
			ctr_add(h, (enum vio_ctr)(VIO_C_SIZE_64 + b), bins[b]);
}

static inline void kick(struct vio_queue *h)
{
	if (mpdp_virtq_drv_kick_needed(&h->vq)) {
		h->ops->notify(h); /* this process's ops: never a shared pointer */
		ctr_add(h, VIO_C_KICKS, 1);
	}
}

/* ------------------------------------------------------------ receive */

/* Post one empty mbuf as a receive buffer. Returns the head id or -errno. */
static inline int rx_post(struct mpdp_virtq_drv *q, struct mpdp_mbuf *m, uint32_t hdr_len,
			  bool iova)
{
	struct mpdp_virtq_sg sg = {
		.addr = buf_daddr(iova, m) + m->data_off - hdr_len,
		.len = (uint32_t)(m->buf_len - m->data_off) + hdr_len,
		.writable = true,
	};

	return mpdp_virtq_drv_add(q, &sg, 1, mpdp_shm_off(m));
}

/* Fill free descriptors with new mbufs (at most max). Returns mbufs posted. */
static unsigned int rx_refill(struct mpdp_virtq_drv *q, struct mpdp_mempool *mp, uint32_t hdr_len,
			      bool iova, unsigned int max, uint64_t *nombuf)
{
	struct mpdp_mbuf *m[VIO_REFILL_BURST];
	unsigned int done = 0;

	while (done < max && q->num_free > 0) {
		unsigned int k = q->num_free < VIO_REFILL_BURST ? q->num_free : VIO_REFILL_BURST;

		if (k > max - done)
			k = max - done;
		if (mpdp_mbuf_alloc_bulk(mp, m, k) != 0) {
			/* fewer left than a bulk: one at a time */
			m[0] = mpdp_mbuf_alloc(mp);
			if (m[0] == NULL) {
				(*nombuf)++;
				return done;
			}
			k = 1;
		}
		for (unsigned int i = 0; i < k; i++) {
			if (mpdp_unlikely(rx_post(q, m[i], hdr_len, iova) < 0)) {
				for (unsigned int j = i; j < k; j++)
					mpdp_mbuf_free(m[j]);
				return done;
			}
			done++;
		}
	}
	return done;
}

/*
 * Take one used buffer (the entry at last_used_idx) as an mbuf with len
 * bytes in it. Returns the mbuf, or NULL when the ring is broken now.
 */
static inline struct mpdp_mbuf *rx_take(struct mpdp_virtq_drv *q, uint32_t *len)
{
	uint64_t cookie;

	if (mpdp_virtq_drv_get_used(q, &cookie, len) != 0)
		return NULL; /* pending was checked: only -EIO (now broken) */
	struct mpdp_mbuf *m = cookie_mbuf(cookie);

	if (mpdp_unlikely(m == NULL))
		q->broken = true;
	return m;
}

/*
 * Peek at the used entry at last_used_idx without taking it: the mbuf of
 * its chain. NULL (and the ring marked broken) when the entry is garbage.
 */
static inline struct mpdp_mbuf *rx_peek(struct mpdp_virtq_drv *q)
{
	uint32_t id = q->used->ring[q->last_used_idx & q->mask].id;
	struct mpdp_mbuf *m;

	if (mpdp_unlikely(id >= q->size || q->slots[id].ndesc == 0)) {
		q->broken = true;
		return NULL;
	}
	m = cookie_mbuf(q->slots[id].cookie);
	if (mpdp_unlikely(m == NULL))
		q->broken = true;
	return m;
}

/*
 * The receive loop of both paths; mrg tells whether num_buffers counts.
 * Inlined twice with a constant, so each path is its own straight code.
 */
static inline __attribute__((always_inline)) uint16_t
rx_common(struct vio_queue *h, struct mpdp_mbuf **pkts, uint16_t n, const bool mrg)
{
	struct mpdp_virtq_drv *q = &h->vq;
	const uint32_t hdr_len = h->hdr_len;
	uint64_t bytes = 0, errors = 0, segs = 0, nombuf = 0, bins[7] = { 0 };
	uint16_t got = 0;

	vq_load(h);
	if (mpdp_unlikely(q->broken))
		return 0;
	vq_phase(h, VIO_PH_TAKE);
	while (got < n) {
		/* (C) acquire: pairs with the device's release of used.idx (D) */
		uint16_t uidx = atomic_load_explicit(&q->used->idx, memory_order_acquire);
		uint16_t pending = (uint16_t)(uidx - q->last_used_idx);
		uint16_t nb = 1, inflight = (uint16_t)(q->size - q->num_free);
		struct mpdp_mbuf *m, *last;
		uint32_t len, pkt_len;
		bool bad = false;

		if (pending == 0)
			break;
		if (mpdp_unlikely(pending > inflight)) {
			q->broken = true; /* more used than we ever made available */
			break;
		}
		m = rx_peek(q);
		if (mpdp_unlikely(m == NULL))
			break;
		if (mrg) {
			const struct mpdp_virtio_net_hdr *vh =
				(const void *)(mpdp_mbuf_buf_addr(m) + m->data_off - hdr_len);

			nb = vh->num_buffers;
			if (mpdp_unlikely(nb == 0 || nb > inflight || nb > MPDP_MBUF_MAX_SEGS)) {
				/* the device lies: drop this buffer, count it */
				nb = 1;
				bad = true;
			} else if (nb > pending) {
				break; /* the rest of the packet is not there yet */
			}
		}
		m = rx_take(q, &len);
		if (mpdp_unlikely(m == NULL))
			break;
		if (mpdp_unlikely(len < hdr_len ||
				  len - hdr_len > (uint32_t)(m->buf_len - m->data_off)))
			bad = true;
		pkt_len = bad ? 0 : len - hdr_len;
		m->data_len = (uint16_t)pkt_len;
		m->nb_segs = 1;
		m->next = MPDP_SHM_NULL;
		last = m;
		for (uint16_t i = 1; i < nb; i++) {
			struct mpdp_mbuf *s = rx_take(q, &len);

			if (mpdp_unlikely(s == NULL))
				break;
			/* a continuation has no header: its data starts where the descriptor does */
			s->data_off = (uint16_t)(s->data_off - hdr_len);
			if (mpdp_unlikely(len > (uint32_t)(s->buf_len - s->data_off)))
				bad = true;
			s->data_len = (uint16_t)(bad ? 0 : len);
			s->nb_segs = 1;
			s->next = MPDP_SHM_NULL;
			last->next = mpdp_shm_off(s);
			last = s;
			m->nb_segs++;
			pkt_len += s->data_len;
		}
		if (mpdp_unlikely(q->broken)) {
			mpdp_mbuf_free(m);
			break;
		}
		if (mpdp_unlikely(bad)) {
			errors++;
			mpdp_mbuf_free(m);
			continue;
		}
		segs += (uint64_t)(nb - 1);
		m->pkt_len = pkt_len;
		m->port = h->port;
		bytes += pkt_len;
		size_bin(bins, pkt_len);
		pkts[got++] = m;
	}
	/* our position first: what we took is ours, whatever happens next */
	vq_save(h);
	if (mpdp_likely(!q->broken) && q->num_free > 0) {
		vq_phase(h, VIO_PH_GIVE);
		if (rx_refill(q, h->mp, hdr_len, h->iova, q->num_free, &nombuf) != 0) {
			vq_save(h);
			mpdp_virtq_drv_publish(q);
			kick(h);
			vq_save(h); /* kicked_idx */
		}
	}
	vq_phase(h, VIO_PH_IDLE);
	if (got != 0) {
		mpdp_eth_queue_stats_add(&h->stats->packets, got);
		mpdp_eth_queue_stats_add(&h->stats->bytes, bytes);
		ctr_add(h, VIO_C_GOOD_PACKETS, got);
		ctr_add(h, VIO_C_GOOD_BYTES, bytes);
		bins_flush(h, bins);
		if (segs != 0)
			ctr_add(h, VIO_C_MRG_SEGMENTS, segs);
	}
	if (mpdp_unlikely(errors)) {
		mpdp_eth_queue_stats_add(&h->stats->errors, errors);
		ctr_add(h, VIO_C_ERRORS, errors);
		MPDP_LOG_RATELIMIT(MPDP_LOG_WARNING, VIO_LOG, 5,
				   "port %u rx vring %u: dropped %" PRIu64
				   " packet(s) with a bad num_buffers or length from the device",
				   h->port, h->vring, errors);
	}
	if (mpdp_unlikely(nombuf))
		mpdp_eth_queue_stats_add(&h->stats->nombuf, nombuf);
	return got;
}

static uint16_t rx_simple(struct vio_queue *h, struct mpdp_mbuf **pkts, uint16_t n)
{
	return rx_common(h, pkts, n, false);
}

static uint16_t rx_mrg(struct vio_queue *h, struct mpdp_mbuf **pkts, uint16_t n)
{
	return rx_common(h, pkts, n, true);
}

/* ------------------------------------------------------------ transmit */

/* Free what the device is done with. */
static inline void tx_reclaim(struct vio_queue *h)
{
	struct mpdp_virtq_drv *q = &h->vq;
	uint64_t cookie;
	uint32_t len;

	while (mpdp_virtq_drv_get_used(q, &cookie, &len) == 0) {
		struct mpdp_mbuf *m = cookie_mbuf(cookie);

		if (mpdp_unlikely(m == NULL)) {
			q->broken = true;
			return;
		}
		mpdp_mbuf_free(m);
	}
}

static uint16_t tx_std(struct vio_queue *h, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct mpdp_virtq_drv *q = &h->vq;
	const uint32_t hdr_len = h->hdr_len;
	const bool iova = h->iova;
	struct mpdp_virtq_sg sg[MPDP_MBUF_MAX_SEGS + 1];
	uint64_t bytes = 0, errors = 0, chained = 0, bins[7] = { 0 };
	uint16_t i, queued = 0;

	vq_load(h);
	if (mpdp_unlikely(q->broken))
		return 0;
	/* take everything used first and save: adding never takes again, so a
	 * successor can tell the two phases apart (vq_repair) */
	vq_phase(h, VIO_PH_TAKE);
	tx_reclaim(h);
	vq_save(h);
	vq_phase(h, VIO_PH_GIVE);
	for (i = 0; i < n && !q->broken; i++) {
		struct mpdp_mbuf *m = pkts[i];
		uint32_t len = m->pkt_len;
		unsigned int ns;
		int rc;

		if (mpdp_likely(m->nb_segs == 1 && !mpdp_mbuf_is_indirect(m) &&
				mpdp_mbuf_refcnt_read(m) == 1 && m->data_off >= hdr_len)) {
			if (q->num_free < 1)
				break;
			len = m->data_len;
			/* the header goes into the headroom: all zero, no offloads */
			memset(mpdp_mbuf_buf_addr(m) + m->data_off - hdr_len, 0, hdr_len);
			sg[0].addr = buf_daddr(iova, m) + m->data_off - hdr_len;
			sg[0].len = len + hdr_len;
			sg[0].writable = false;
			ns = 1;
		} else {
			const struct mpdp_mbuf *s = m;

			if (mpdp_unlikely((unsigned int)m->nb_segs + 1 > q->size ||
					  m->nb_segs > MPDP_MBUF_MAX_SEGS)) {
				errors++;
				mpdp_mbuf_free(m); /* consumed, never sent */
				continue;
			}
			if (q->num_free < m->nb_segs + 1)
				break;
			/* the header slot of the head id this chain will get */
			sg[0].addr = h->hdr_iova + (uint64_t)q->free_head * VIO_HDR_SLOT;
			sg[0].len = hdr_len;
			sg[0].writable = false;
			ns = 1;
			len = 0;
			for (; s != NULL && ns <= m->nb_segs; s = mpdp_mbuf_next(s)) {
				if (s->data_len == 0)
					continue;
				sg[ns].addr = buf_daddr(iova, s) + s->data_off;
				sg[ns].len = s->data_len;
				sg[ns].writable = false;
				len += s->data_len;
				ns++;
			}
			if (mpdp_unlikely(s != NULL)) {
				errors++; /* more segments than nb_segs says */
				mpdp_mbuf_free(m);
				continue;
			}
			chained++;
		}
		rc = mpdp_virtq_drv_add(q, sg, ns, mpdp_shm_off(m));
		if (mpdp_unlikely(rc < 0))
			break;
		queued++;
		bytes += len;
		size_bin(bins, len);
	}
	vq_save(h); /* before publish: a successor knows what is out there */
	if (queued != 0) {
		mpdp_virtq_drv_publish(q);
		kick(h);
		vq_save(h);
	}
	vq_phase(h, VIO_PH_IDLE);
	if (queued != 0) {
		mpdp_eth_queue_stats_add(&h->stats->packets, queued);
		mpdp_eth_queue_stats_add(&h->stats->bytes, bytes);
		ctr_add(h, VIO_C_GOOD_PACKETS, queued);
		ctr_add(h, VIO_C_GOOD_BYTES, bytes);
		bins_flush(h, bins);
		if (chained != 0)
			ctr_add(h, VIO_C_MRG_SEGMENTS, chained);
	}
	if (mpdp_unlikely(errors)) {
		mpdp_eth_queue_stats_add(&h->stats->errors, errors);
		ctr_add(h, VIO_C_ERRORS, errors);
	}
	return i;
}

/* ------------------------------------------------------------ path tables */

typedef uint16_t (*vio_burst_t)(struct vio_queue *h, struct mpdp_mbuf **pkts, uint16_t n);

/* Path ids (shared) -> this process's functions; range-checked at each burst. */
static const vio_burst_t vio_rx_paths[VIO_RX_PATH_MAX] = {
	[VIO_RX_SIMPLE] = rx_simple,
	[VIO_RX_MRG] = rx_mrg,
};
static const vio_burst_t vio_tx_paths[VIO_TX_PATH_MAX] = {
	[VIO_TX_STD] = tx_std,
};

static uint16_t vio_rx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct vio_queue *h = queue;
	uint32_t p = atomic_load_explicit(&h->pmd->rx_path, memory_order_acquire);

	if (mpdp_unlikely(p >= VIO_RX_PATH_MAX || vio_rx_paths[p] == NULL || n == 0))
		return 0;
	return vio_rx_paths[p](h, pkts, n);
}

static uint16_t vio_tx_burst(void *queue, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct vio_queue *h = queue;
	uint32_t p = atomic_load_explicit(&h->pmd->tx_path, memory_order_acquire);

	if (mpdp_unlikely(p >= VIO_TX_PATH_MAX || vio_tx_paths[p] == NULL || n == 0))
		return 0;
	return vio_tx_paths[p](h, pkts, n);
}

/* ------------------------------------------------------------ layout */

/*
 * Per vring, in the area: the ring block (desc | avail | used, the used ring
 * aligned to used_align), the tx header slots, the slot array. Without
 * block_align the three follow each other, cache-line aligned. With it
 * (PCI), the ring block and the header slots, which the device reads by
 * DMA, each start at a heap offset aligned to their size rounded up to a
 * power of two (at most block_align): in IOVA mode PA that keeps each inside
 * one page, so it is IOVA-contiguous (the probe checks it).
 */
static size_t dma_align(size_t len, uint32_t block_align)
{
	size_t a = MPDP_CACHE_LINE_SIZE;

	if (block_align == 0)
		return a;
	while (a < len && a < block_align)
		a <<= 1;
	return a;
}

static size_t vring_block(uint16_t size, uint32_t used_align, uint32_t block_align)
{
	struct mpdp_virtq_layout l;
	size_t hdrs = (size_t)size * VIO_HDR_SLOT;

	if (mpdp_virtq_layout(size, used_align, &l) != 0)
		return 0;
	/* each part may need its whole alignment as padding in front */
	return dma_align(l.total, block_align) +
	       MPDP_ALIGN_UP(l.total, (size_t)MPDP_CACHE_LINE_SIZE) + dma_align(hdrs, block_align) +
	       hdrs + MPDP_CACHE_LINE_SIZE + (size_t)size * sizeof(struct mpdp_virtq_slot_shm);
}

size_t vio_area_size(uint16_t nb_qpairs, uint16_t queue_size, uint32_t used_align,
		     uint32_t block_align)
{
	size_t b = vring_block(queue_size, used_align, block_align);

	return b == 0 ? 0 : sizeof(struct vio_port_shm) + 2 * (size_t)nb_qpairs * b;
}

/* the first heap offset >= off aligned to a (a power of two) */
static uint8_t *align_heap(uint8_t *p, size_t a)
{
	mpdp_shm_off_t off = mpdp_shm_off(p);

	return p + (MPDP_ALIGN_UP(off, (mpdp_shm_off_t)a) - off);
}

int vio_area_layout(struct vio_port_shm *pmd, size_t area_len)
{
	uint8_t *p = (uint8_t *)(pmd + 1);
	uint8_t *end = (uint8_t *)pmd + area_len;
	struct mpdp_virtq_layout l;
	uint16_t size = pmd->queue_size;
	size_t hdrs = (size_t)size * VIO_HDR_SLOT;

	if (pmd->used_align == 0)
		pmd->used_align = MPDP_VIRTQ_ALIGN_USED;
	if (mpdp_virtq_layout(size, pmd->used_align, &l) != 0 ||
	    vio_area_size(pmd->nb_qpairs, size, pmd->used_align, pmd->block_align) > area_len)
		return -EINVAL;
	for (uint16_t v = 0; v < 2 * pmd->nb_qpairs; v++) {
		struct vio_vq_shm *vs = &pmd->vq[v];
		uint8_t *ring = align_heap(p, dma_align(l.total, pmd->block_align));
		uint8_t *hdr = align_heap(ring + l.total, dma_align(hdrs, pmd->block_align));
		uint8_t *slots = align_heap(hdr + hdrs, MPDP_CACHE_LINE_SIZE);

		vs->desc_off = mpdp_shm_off(ring);
		vs->avail_off = mpdp_shm_off(ring + l.avail_off);
		vs->used_off = mpdp_shm_off(ring + l.used_off);
		vs->hdr_off = mpdp_shm_off(hdr);
		vs->slots_off = mpdp_shm_off(slots);
		vs->size = size;
		vs->vring = v;
		p = slots + (size_t)size * sizeof(struct mpdp_virtq_slot_shm);
		if (p > end)
			return -EINVAL; /* vio_area_size() counts every padding: never */
	}
	return 0;
}

void vio_vring_blocks(const struct vio_port_shm *pmd, uint16_t v, void **ring, size_t *ring_len,
		      void **hdrs, size_t *hdrs_len)
{
	const struct vio_vq_shm *vs = &pmd->vq[v];
	struct mpdp_virtq_layout l;

	if (mpdp_virtq_layout(pmd->queue_size, pmd->used_align, &l) != 0)
		l.total = 0;
	*ring = mpdp_shm_ptr(vs->desc_off);
	*ring_len = l.total;
	*hdrs = mpdp_shm_ptr(vs->hdr_off);
	*hdrs_len = (size_t)pmd->queue_size * VIO_HDR_SLOT;
}

/* [off, off + len) inside the port's area. */
static bool in_area(const struct vio_port_shm *pmd, mpdp_shm_off_t off, size_t len)
{
	mpdp_shm_off_t base = mpdp_shm_off(pmd);

	return off >= base && len <= pmd->area_len && off - base <= pmd->area_len - len;
}

int vio_vring_map(const struct vio_port_shm *pmd, uint16_t v, void **desc, void **avail,
		  void **used)
{
	const struct vio_vq_shm *vs = &pmd->vq[v];
	struct mpdp_virtq_layout l;
	uint16_t size = pmd->queue_size;

	if (v >= 2 * pmd->nb_qpairs || vs->size != size ||
	    mpdp_virtq_layout(size, pmd->used_align, &l) != 0 ||
	    vs->used_off - vs->desc_off != l.used_off ||
	    vs->avail_off - vs->desc_off != l.avail_off ||
	    !in_area(pmd, vs->desc_off, 16 * (size_t)size) ||
	    !in_area(pmd, vs->avail_off, l.used_off - l.avail_off) ||
	    !in_area(pmd, vs->used_off, l.total - l.used_off) ||
	    !in_area(pmd, vs->slots_off, (size_t)size * sizeof(struct mpdp_virtq_slot_shm)) ||
	    !in_area(pmd, vs->hdr_off, (size_t)size * VIO_HDR_SLOT) ||
	    vs->desc_off % MPDP_VIRTQ_ALIGN_DESC != 0 || vs->used_off % pmd->used_align != 0 ||
	    vs->avail_off % MPDP_VIRTQ_ALIGN_AVAIL != 0)
		return -EPROTO;
	*desc = mpdp_shm_ptr(vs->desc_off);
	*avail = mpdp_shm_ptr(vs->avail_off);
	*used = mpdp_shm_ptr(vs->used_off);
	return 0;
}

/* ------------------------------------------------------------ ring (re)initialisation */

/* Primary: make the device let go of the rings before we rewrite them. */
static void vio_quiesce(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;

	if (priv != NULL && priv->ops->quiesce != NULL)
		priv->ops->quiesce(dev);
}

/* Free every mbuf a ring still holds (primary; nobody polls the ring). */
static void vring_drain(struct vio_port_shm *pmd, uint16_t v)
{
	struct vio_vq_shm *vs = &pmd->vq[v];
	struct mpdp_virtq_slot_shm *slots = MPDP_SHM_PTR(struct mpdp_virtq_slot_shm, vs->slots_off);

	for (uint32_t i = 0; i < vs->size; i++) {
		if (slots[i].ndesc != 0) {
			mpdp_mbuf_free(cookie_mbuf(slots[i].cookie));
			slots[i].ndesc = 0;
		}
	}
}

/*
 * Initialise vring v afresh (primary; nobody polls it, the device is
 * stopped) into a local handle and the shared state; an rx ring is filled
 * from mp. Returns 0 or -errno (logged).
 */
static int vring_init(struct mpdp_eth_dev *dev, struct vio_port_shm *pmd, uint16_t v,
		      struct mpdp_mempool *mp)
{
	struct vio_vq_shm *vs = &pmd->vq[v];
	struct vio_queue tmp;
	void *desc, *avail, *used;
	uint64_t nombuf = 0;
	int rc;

	rc = vio_vring_map(pmd, v, &desc, &avail, &used);
	if (rc != 0)
		return rc;
	vio_quiesce(dev);
	vring_drain(pmd, v);
	memset(&tmp, 0, sizeof(tmp));
	tmp.iova = ((struct vio_priv *)dev->priv)->ops->dma_iova;
	rc = mpdp_virtq_drv_init(&tmp.vq, vs->size, desc, avail, used,
				 MPDP_SHM_PTR(struct mpdp_virtq_slot_shm, vs->slots_off),
				 vs->event_idx != 0);
	if (rc != 0)
		return rc;
	memset(mpdp_shm_ptr(vs->hdr_off), 0, (size_t)vs->size * VIO_HDR_SLOT);
	/* we poll: ask the device not to interrupt us */
	(void)mpdp_virtq_drv_set_interrupt(&tmp.vq, false);
	tmp.vs = vs;
	atomic_store_explicit(&vs->broken, 0, memory_order_relaxed);
	atomic_store_explicit(&vs->phase, VIO_PH_IDLE, memory_order_relaxed);
	if (mp != NULL) {
		unsigned int k =
			rx_refill(&tmp.vq, mp, pmd->hdr_len, tmp.iova, tmp.vq.num_free, &nombuf);

		if (k == 0) {
			mpdp_log(MPDP_LOG_ERR, VIO_LOG, "%s: rx vring %u: no mbufs to fill it",
				 dev->shm->name, v);
			return -ENOMEM;
		}
		mpdp_virtq_drv_publish(&tmp.vq);
	}
	vq_save(&tmp);
	vs->setup_gen++;
	return 0;
}

int vio_vring_reinit(struct mpdp_eth_dev *dev, uint16_t v)
{
	struct vio_priv *priv = dev->priv;
	struct mpdp_mempool *mp = NULL;

	if (priv == NULL || v >= 2 * priv->nb_qpairs)
		return -EINVAL;
	if (v % 2 == 0) {
		uint32_t id = dev->shm->rxq[v / 2].mempool_id;

		mp = mpdp_mempool_from_id(id);
		if (mp == NULL) {
			mpdp_log(MPDP_LOG_ERR, VIO_LOG, "%s: rx vring %u: mbuf pool %u not found",
				 dev->shm->name, v, id);
			return -ENOENT;
		}
	}
	return vring_init(dev, priv->pmd, v, mp);
}

/* ------------------------------------------------------------ ethdev ops */

static int vio_configure(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	const struct mpdp_eth_dev_shm *s = dev->shm;

	if (priv == NULL)
		return -ENODEV;
	if (s->nb_rx_queues > priv->nb_qpairs || s->nb_tx_queues > priv->nb_qpairs)
		return -EINVAL;
	return 0;
}

static int vio_rx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc,
			      struct mpdp_mempool *mp)
{
	struct vio_priv *priv = dev->priv;
	struct vio_port_shm *pmd;
	uint32_t room, need;
	bool mrg;

	(void)nb_desc; /* the ring size is the device's: queue_size= */
	if (priv == NULL || q >= priv->nb_qpairs || mp == NULL)
		return -EINVAL;
	pmd = priv->pmd;
	room = mpdp_mbuf_pool_data_room(mp);
	mrg = (atomic_load_explicit(&pmd->features, memory_order_relaxed) &
	       MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF)) != 0;
	/* a buffer is the data room after the headroom, plus the header */
	need = MPDP_MBUF_DEFAULT_HEADROOM + (mrg ? 64u : (uint32_t)dev->shm->mtu + 14u + 4u);
	if (room < need) {
		mpdp_log(MPDP_LOG_ERR, VIO_LOG,
			 "%s: rx queue %u: mbufs of %u bytes are too small: %s needs at least %u "
			 "(headroom %u included)",
			 dev->shm->name, q, room,
			 mrg ? "mergeable receive" : "mrg_rxbuf=0 (one buffer per frame)", need,
			 MPDP_MBUF_DEFAULT_HEADROOM);
		return -EINVAL;
	}
	return vring_init(dev, pmd, (uint16_t)(2 * q), mp);
}

static int vio_tx_queue_setup(struct mpdp_eth_dev *dev, uint16_t q, uint16_t nb_desc)
{
	struct vio_priv *priv = dev->priv;

	(void)nb_desc;
	if (priv == NULL || q >= priv->nb_qpairs)
		return -EINVAL;
	return vring_init(dev, priv->pmd, (uint16_t)(2 * q + 1), NULL);
}

static void vio_queue_release(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q)
{
	struct vio_priv *priv = dev->priv;

	if (priv == NULL || q >= priv->nb_qpairs)
		return;
	vio_quiesce(dev);
	vring_drain(priv->pmd, (uint16_t)(dir == MPDP_ETH_RX ? 2 * q : 2 * q + 1));
}

static int vio_start(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vio_port_shm *pmd;
	uint64_t f;
	int rc;

	if (priv == NULL)
		return -ENODEV;
	pmd = priv->pmd;
	f = atomic_load_explicit(&pmd->features, memory_order_relaxed);
	/* the paths, once, from the negotiated features: every process maps the ids */
	atomic_store_explicit(&pmd->rx_path,
			      (f & MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF)) ? VIO_RX_MRG :
										   VIO_RX_SIMPLE,
			      memory_order_release);
	atomic_store_explicit(&pmd->tx_path, VIO_TX_STD, memory_order_release);
	rc = priv->ops->start(dev);
	if (rc != 0) {
		atomic_store_explicit(&pmd->rx_path, VIO_RX_NONE, memory_order_release);
		atomic_store_explicit(&pmd->tx_path, VIO_TX_NONE, memory_order_release);
	}
	return rc;
}

static void vio_stop(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	atomic_store_explicit(&priv->pmd->rx_path, VIO_RX_NONE, memory_order_release);
	atomic_store_explicit(&priv->pmd->tx_path, VIO_TX_NONE, memory_order_release);
	priv->ops->stop(dev);
}

static void vio_close(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;

	if (priv == NULL || priv->pmd == NULL)
		return;
	priv->ops->close(dev); /* the device lets go of the rings first */
	for (uint16_t v = 0; v < 2 * priv->nb_qpairs; v++)
		vring_drain(priv->pmd, v);
	mpdp_eth_dev_area_free(dev->shm->name, VIO_ZONE_TAG);
	priv->pmd = NULL;
}

static int vio_link_update(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct mpdp_eth_link link = { 0 };

	if (priv == NULL || priv->pmd == NULL)
		return -ENODEV;
	if (priv->ops->link_read != NULL)
		priv->ops->link_read(dev); /* PCI: the device's config status */
	/* link_up: set once the rings run on a connected backend, cleared at
	 * stop and when the backend goes (the control thread) */
	link.up = atomic_load_explicit(&priv->pmd->link_up, memory_order_acquire) != 0;
	link.speed_mbps = link.up ? 10000 : 0; /* what virtio reports without SPEED_DUPLEX */
	link.full_duplex = 1;
	dev->shm->link = link; /* under the slot's seq (ethdev's caller) */
	return 0;
}

static int vio_promiscuous_set(struct mpdp_eth_dev *dev, int on)
{
	(void)dev;
	(void)on; /* no CTRL_VQ: the backend delivers everything anyway */
	return 0;
}

static int vio_attach(struct mpdp_eth_dev *dev)
{
	struct vio_port_shm *pmd;
	struct vio_priv *priv;

	pmd = mpdp_eth_dev_area(dev, VIO_LOG, sizeof(*pmd), SIZE_MAX);
	if (pmd == NULL)
		return -EPROTO;
	/* another process wrote it: check before use (rule 8) */
	if (pmd->magic != VIO_PORT_MAGIC || pmd->version != VIO_PORT_VERSION ||
	    pmd->transport >= VIRTIO_TRANSPORT_MAX || vio_transports[pmd->transport] == NULL ||
	    pmd->nb_qpairs == 0 || pmd->nb_qpairs > VIO_MAX_QPAIRS ||
	    pmd->queue_size < VIO_QSIZE_MIN || pmd->queue_size > VIO_QSIZE_MAX ||
	    !MPDP_IS_POW2(pmd->queue_size) ||
	    (pmd->hdr_len != MPDP_VIRTIO_NET_HDR_LEN &&
	     pmd->hdr_len != MPDP_VIRTIO_NET_HDR_LEN_LEGACY) ||
	    (pmd->used_align != MPDP_VIRTQ_ALIGN_USED && pmd->used_align != 4096) ||
	    pmd->area_len != dev->shm->drv_len ||
	    vio_area_size(pmd->nb_qpairs, pmd->queue_size, pmd->used_align, pmd->block_align) >
		    pmd->area_len) {
		mpdp_log(
			MPDP_LOG_ERR, VIO_LOG,
			"%s: bad driver state (magic %#x version %u transport %u queues %u size %u)",
			dev->shm->name, pmd->magic, pmd->version, pmd->transport, pmd->nb_qpairs,
			pmd->queue_size);
		return -EPROTO;
	}
	priv = aligned_alloc(MPDP_CACHE_LINE_SIZE,
			     MPDP_ALIGN_UP(sizeof(*priv), (size_t)MPDP_CACHE_LINE_SIZE));
	if (priv == NULL)
		return -ENOMEM;
	memset(priv, 0, sizeof(*priv));
	priv->pmd = pmd;
	priv->ops = vio_transports[pmd->transport];
	priv->nb_qpairs = pmd->nb_qpairs;
	priv->queue_size = pmd->queue_size;
	for (unsigned int q = 0; q < VIO_MAX_QPAIRS; q++) {
		priv->rxq[q].kick_fd = -1;
		priv->txq[q].kick_fd = -1;
	}
	dev->priv = priv;
	return 0;
}

static void vio_detach(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;

	if (priv == NULL)
		return;
	if (priv->ops != NULL && priv->ops->detach != NULL)
		priv->ops->detach(dev);
	free(priv);
	dev->priv = NULL;
}

static int vio_queue_attach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			    void **handle)
{
	struct vio_priv *priv = dev->priv;
	struct vio_port_shm *pmd;
	struct vio_queue *h;
	struct vio_vq_shm *vs;
	void *desc, *avail, *used;
	uint16_t v;
	int rc;

	if (priv == NULL || priv->pmd == NULL || q >= priv->nb_qpairs)
		return -EINVAL;
	pmd = priv->pmd;
	v = (uint16_t)(dir == MPDP_ETH_RX ? 2 * q : 2 * q + 1);
	h = dir == MPDP_ETH_RX ? &priv->rxq[q] : &priv->txq[q];
	vs = &pmd->vq[v];
	rc = vio_vring_map(pmd, v, &desc, &avail, &used);
	if (rc != 0) {
		mpdp_log(MPDP_LOG_ERR, VIO_LOG, "%s: vring %u: bad geometry in shared memory",
			 dev->shm->name, v);
		return rc;
	}
	memset(&h->vq, 0, sizeof(h->vq));
	h->vq.desc = desc;
	h->vq.avail = avail;
	h->vq.used = used;
	h->vq.slots = MPDP_SHM_PTR(struct mpdp_virtq_slot_shm, vs->slots_off);
	h->vq.size = pmd->queue_size;
	h->vq.mask = (uint16_t)(pmd->queue_size - 1);
	h->vq.event_idx = vs->event_idx != 0;
	h->vs = vs;
	h->pmd = pmd;
	h->stats = mpdp_eth_queue_stats(dev, dir, q);
	h->ops = priv->ops;
	h->hdrs = mpdp_shm_ptr(vs->hdr_off);
	h->iova = priv->ops->dma_iova;
	h->hdr_iova = h->iova ? mpdp_mem_iova(h->hdrs) : mpdp_shm_off(h->hdrs);
	h->port = dev->port_id;
	h->vring = v;
	h->hdr_len = pmd->hdr_len;
	h->rx = dir == MPDP_ETH_RX;
	h->mp = NULL;
	if (h->rx) {
		uint32_t id = dev->shm->rxq[q].mempool_id;

		h->mp = mpdp_mempool_from_id(id);
		if (h->mp == NULL || mpdp_mbuf_pool_data_room(h->mp) == 0) {
			mpdp_log(MPDP_LOG_ERR, VIO_LOG, "%s: rx queue %u: mbuf pool %u not found",
				 dev->shm->name, q, id);
			return -ENOENT;
		}
	}
	if (h->hdr_iova == UINT64_MAX)
		return -EPROTO;
	rc = priv->ops->queue_attach(dev, h);
	if (rc != 0)
		return rc; /* -EAGAIN: the fds are on their way */
	h->attached = true;
	*handle = h;
	return 0;
}

static void vio_queue_detach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			     void *handle)
{
	struct vio_priv *priv = dev->priv;
	struct vio_queue *h = handle;

	(void)dir;
	(void)q;
	if (priv == NULL || h == NULL || !h->attached)
		return;
	priv->ops->queue_detach(dev, h);
	h->attached = false;
}

static const char *const vio_ctr_names[VIO_NB_CTR] = {
	[VIO_C_GOOD_PACKETS] = "good_packets",
	[VIO_C_GOOD_BYTES] = "good_bytes",
	[VIO_C_ERRORS] = "errors",
	[VIO_C_MRG_SEGMENTS] = NULL, /* per direction below */
	[VIO_C_KICKS] = "kicks",
	[VIO_C_SIZE_64] = "size_64_packets",
	[VIO_C_SIZE_65_127] = "size_65_127_packets",
	[VIO_C_SIZE_128_255] = "size_128_255_packets",
	[VIO_C_SIZE_256_511] = "size_256_511_packets",
	[VIO_C_SIZE_512_1023] = "size_512_1023_packets",
	[VIO_C_SIZE_1024_1518] = "size_1024_1518_packets",
	[VIO_C_SIZE_1519_MAX] = "size_1519_max_packets",
	[VIO_C_BROKEN] = "broken",
	[VIO_C_REPAIRS] = "repairs",
};

static uint64_t since_base(_Atomic uint64_t *cur, _Atomic uint64_t *base)
{
	uint64_t b = atomic_load_explicit(base, memory_order_acquire);
	uint64_t c = atomic_load_explicit(cur, memory_order_relaxed);

	return c >= b ? c - b : 0;
}

static int vio_xstats_get(struct mpdp_eth_dev *dev, struct mpdp_eth_xstat *xs, unsigned int n)
{
	struct vio_priv *priv = dev->priv;
	struct vio_port_shm *pmd;
	unsigned int i = 0;

	if (priv == NULL || priv->pmd == NULL)
		return 0;
	pmd = priv->pmd;
	{
		const struct {
			const char *name;
			uint64_t v;
		} port[] = {
			{ "link_up", atomic_load_explicit(&pmd->link_up, memory_order_relaxed) },
			{ "backend_connects",
			  atomic_load_explicit(&pmd->connects, memory_order_relaxed) },
			{ "backend_disconnects",
			  atomic_load_explicit(&pmd->disconnects, memory_order_relaxed) },
			{ "negotiated_features",
			  atomic_load_explicit(&pmd->features, memory_order_relaxed) },
			{ "device_status",
			  atomic_load_explicit(&pmd->status, memory_order_relaxed) },
			{ "rx_path", atomic_load_explicit(&pmd->rx_path, memory_order_relaxed) },
			{ "tx_path", atomic_load_explicit(&pmd->tx_path, memory_order_relaxed) },
		};

		for (unsigned int k = 0; k < MPDP_DIM(port); k++, i++)
			if (xs != NULL && i < n) {
				snprintf(xs[i].name, sizeof(xs[i].name), "%s", port[k].name);
				xs[i].value = port[k].v;
			}
	}
	for (int d = 0; d < 2; d++) {
		uint16_t nq = d == 0 ? dev->shm->nb_rx_queues : dev->shm->nb_tx_queues;

		if (nq > priv->nb_qpairs)
			nq = priv->nb_qpairs;
		for (uint16_t q = 0; q < nq; q++) {
			struct vio_vq_shm *vs = &pmd->vq[2 * q + d];

			for (unsigned int c = 0; c < VIO_NB_CTR; c++, i++) {
				const char *name = vio_ctr_names[c];

				if (c == VIO_C_MRG_SEGMENTS)
					name = d == 0 ? "mrg_segments" : "chained_packets";
				if (xs != NULL && i < n) {
					snprintf(xs[i].name, sizeof(xs[i].name), "%s_q%u_%s",
						 d == 0 ? "rx" : "tx", q, name);
					xs[i].value =
						c == VIO_C_BROKEN ?
							atomic_load_explicit(&vs->ctr[c],
									     memory_order_relaxed) :
							since_base(&vs->ctr[c], &vs->base[c]);
				}
			}
		}
	}
	return (int)i;
}

static void vio_xstats_reset(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;

	if (priv == NULL || priv->pmd == NULL)
		return;
	for (uint16_t v = 0; v < 2 * priv->nb_qpairs; v++) {
		struct vio_vq_shm *vs = &priv->pmd->vq[v];

		for (unsigned int c = 0; c < VIO_NB_CTR; c++)
			atomic_store_explicit(
				&vs->base[c],
				atomic_load_explicit(&vs->ctr[c], memory_order_relaxed),
				memory_order_release);
	}
}

static const struct mpdp_eth_dev_ops vio_ops = {
	.configure = vio_configure,
	.rx_queue_setup = vio_rx_queue_setup,
	.tx_queue_setup = vio_tx_queue_setup,
	.queue_release = vio_queue_release,
	.start = vio_start,
	.stop = vio_stop,
	.close = vio_close,
	.link_update = vio_link_update,
	.promiscuous_set = vio_promiscuous_set,
	.attach = vio_attach,
	.detach = vio_detach,
	.queue_attach = vio_queue_attach,
	.queue_detach = vio_queue_detach,
	.xstats_get = vio_xstats_get,
	.xstats_reset = vio_xstats_reset,
	.rx_burst = vio_rx_burst,
	.tx_burst = vio_tx_burst,
};

const struct mpdp_eth_dev_ops *vio_eth_ops(void)
{
	return &vio_ops;
}

void vio_features_str(uint64_t f, char *buf, size_t size)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ MPDP_VIRTIO_NET_F_MAC, "MAC" },
		{ MPDP_VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF" },
		{ MPDP_VIRTIO_NET_F_STATUS, "STATUS" },
		{ MPDP_VIRTIO_NET_F_MQ, "MQ" },
		{ MPDP_VIRTIO_F_INDIRECT_DESC, "INDIRECT_DESC" },
		{ MPDP_VIRTIO_F_EVENT_IDX, "EVENT_IDX" },
		{ MPDP_VIRTIO_F_VERSION_1, "VERSION_1" },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < MPDP_DIM(names) && len < size; i++)
		if (f & MPDP_VIRTIO_BIT(names[i].bit))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
						names[i].name);
	if (len == 0)
		snprintf(buf, size, "none");
}
