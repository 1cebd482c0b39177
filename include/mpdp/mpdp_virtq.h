/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_virtq.h - virtio 1.x split virtqueues, driver (frontend) and device
 * (backend) side.
 *
 * The foundation of the virtio-net PMD and the vhost-user backend. A split
 * virtqueue of N entries (N a power of two, at most 32768) is three parts,
 * each contiguous ("Split Virtqueues" in the virtio 1.x spec):
 *
 *   descriptor table  align 16  16*N bytes     written by the driver
 *   available ring    align 2   6 + 2*N        written by the driver
 *   used ring         align 4   6 + 8*N        written by the device
 *
 *   desc[0..N) | avail: flags idx ring[N] used_event | pad | used: flags idx
 *                                                            ring[N]{id,len}
 *                                                            avail_event
 *
 * mpdp_virtq_layout() gives the offsets when the three parts sit in one
 * block (used_align 4 for modern devices, 4096 for the legacy layout).
 *
 * Ring memory is shared with the peer (guest memory, or a vhost-user region)
 * and holds no pointers: descriptors carry guest addresses, the rings carry
 * descriptor ids. Fields are little-endian in the spec; mpdp only builds for
 * little-endian x86-64 and aarch64, so the structs use native uint16_t etc.
 * and a static check below refuses a big-endian build.
 *
 * Who writes what: (D) the driver, (V) the device; everything else reads.
 * The reader of a field the peer writes treats it as input (STYLE.md rule 8):
 * indices are bounded, ids are range-checked, chains are walked with a bound.
 *
 * Memory ordering (C11):
 *
 *   driver                                   device
 *   write desc[], avail.ring[]               (B) i = avail.idx (acquire)
 *   (A) avail.idx = i (release)                  --pairs with (A); then read
 *                                                avail.ring[], desc[]
 *   (C) j = used.idx (acquire)               write used.ring[]
 *       --pairs with (D); then read          (D) used.idx = j (release)
 *       used.ring[], reuse the descriptors
 *
 *   Notification suppression (Dekker-style, both sides, seq_cst fences):
 *   (E) driver: store avail.idx, fence, load avail_event / used.flags
 *   (F) device: store avail_event / used.flags, fence, load avail.idx
 *   Either the device sees the new avail.idx on its re-check after (F), or
 *   the driver sees the new avail_event after (E) and kicks: no lost kick.
 *   The same pair, mirrored, for used.idx against used_event / avail.flags
 *   ((G) device push + fence + load, (H) driver enable + fence + re-check).
 *
 * Concurrency: one driver thread and one device thread per queue. The
 * handles below are process-local and must not be shared between threads.
 * Nothing here allocates, locks, logs or makes system calls. The per-buffer
 * calls (add, publish, kick_needed, get_used; pop, push, interrupt_needed)
 * are inline: they run for every packet. Set-up and the descriptor walker
 * are in virtq.c.
 */
#ifndef MPDP_VIRTQ_H
#define MPDP_VIRTQ_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mpdp/mpdp_common.h>

MPDP_STATIC_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
		   "virtq structs use native integers for little-endian fields");

#define MPDP_VIRTQ_MAX_SIZE 32768u

#define MPDP_VIRTQ_DESC_F_NEXT     1u
#define MPDP_VIRTQ_DESC_F_WRITE    2u
#define MPDP_VIRTQ_DESC_F_INDIRECT 4u

#define MPDP_VIRTQ_AVAIL_F_NO_INTERRUPT 1u /* driver: no used notifications */
#define MPDP_VIRTQ_USED_F_NO_NOTIFY     1u /* device: no kicks */

#define MPDP_VIRTQ_ALIGN_DESC  16u
#define MPDP_VIRTQ_ALIGN_AVAIL 2u
#define MPDP_VIRTQ_ALIGN_USED  4u

/* One descriptor. (D) all fields; the device reads each one once. */
struct mpdp_virtq_desc {
	uint64_t addr;  /* (D) guest address, le64 */
	uint32_t len;   /* (D) le32 */
	uint16_t flags; /* (D) MPDP_VIRTQ_DESC_F_*, le16 */
	uint16_t next;  /* (D) next id when F_NEXT, le16 */
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_virtq_desc) == 16, "virtq desc is ABI");

/* Available ring: N entries, then used_event (EVENT_IDX) at ring[N]. */
struct mpdp_virtq_avail {
	_Atomic uint16_t flags;  /* (D) MPDP_VIRTQ_AVAIL_F_* */
	_Atomic uint16_t idx;    /* (D) free-running, release (A) */
	_Atomic uint16_t ring[]; /* (D) heads, relaxed; ordered by idx */
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_virtq_avail) == 4, "virtq avail is ABI");

struct mpdp_virtq_used_elem {
	uint32_t id;  /* (V) head of the chain, le32 */
	uint32_t len; /* (V) bytes written into the chain, le32 */
};

/* Used ring: N entries, then avail_event (EVENT_IDX) at ring[N]. */
struct mpdp_virtq_used {
	_Atomic uint16_t flags;             /* (V) MPDP_VIRTQ_USED_F_* */
	_Atomic uint16_t idx;               /* (V) free-running, release (D) */
	struct mpdp_virtq_used_elem ring[]; /* (V) ordered by idx */
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_virtq_used) == 4, "virtq used is ABI");
MPDP_STATIC_ASSERT(offsetof(struct mpdp_virtq_used, ring) == 4, "virtq used is ABI");

/* Byte layout of a queue in one block, offsets from the descriptor table. */
struct mpdp_virtq_layout {
	size_t avail_off; /* 16*N */
	size_t used_off;  /* avail end rounded up to used_align */
	size_t total;     /* end of the used ring (avail_event included) */
};

/*
 * Fill *l for a queue of size entries with the used ring aligned to
 * used_align (a power of two >= 4: 4 modern, 4096 legacy). Returns 0, or
 * -EINVAL if size is not a power of two in [1, 32768] or used_align is bad
 * (*l is then untouched).
 */
int mpdp_virtq_layout(uint32_t size, size_t used_align, struct mpdp_virtq_layout *l);

/*
 * The EVENT_IDX test (virtio spec, virtq_need_event()): true when event_idx
 * lies in [old, new), i.e. the peer asked to be notified when the index
 * moves past event_idx and this update did. All in 16-bit wrap arithmetic.
 */
static inline bool mpdp_virtq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/* used_event sits after the avail ring, avail_event after the used ring. */
static inline _Atomic uint16_t *mpdp_virtq_used_event_(const struct mpdp_virtq_avail *avail,
							uint16_t size)
{
	return (_Atomic uint16_t *)&avail->ring[size];
}

static inline _Atomic uint16_t *mpdp_virtq_avail_event_(const struct mpdp_virtq_used *used,
							 uint16_t size)
{
	return (_Atomic uint16_t *)(void *)&used->ring[size];
}

/* ---- driver side ---------------------------------------------------------- */

/*
 * Per-descriptor-id state of the driver, indexed by the head id. Plain data
 * (the cookie is the caller's, typically an offset), so the array may live
 * in shared memory next to the ring.
 */
struct mpdp_virtq_slot_shm {
	uint64_t cookie; /* (D) what the caller attached to the chain */
	uint16_t ndesc;  /* (D) descriptors in the chain, 0 when free */
	uint16_t last;   /* (D) id of the chain's last descriptor */
	uint32_t pad;
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_virtq_slot_shm) == 16, "virtq slot is ABI");

/* One buffer of a chain, for mpdp_virtq_drv_add(). */
struct mpdp_virtq_sg {
	uint64_t addr; /* guest address */
	uint32_t len;
	bool writable; /* device writes it (F_WRITE) */
};

/*
 * Process-local driver handle. Free descriptors are chained through their
 * next fields (the device never writes the table); free_head heads them.
 */
struct mpdp_virtq_drv {
	struct mpdp_virtq_desc *desc;
	struct mpdp_virtq_avail *avail;
	struct mpdp_virtq_used *used;
	struct mpdp_virtq_slot_shm *slots; /* size entries */
	uint16_t size;
	uint16_t mask;
	uint16_t free_head;
	uint16_t num_free;
	uint16_t avail_idx;     /* shadow: next value to publish */
	uint16_t kicked_idx;    /* avail.idx at the last kick decision */
	uint16_t last_used_idx; /* next used entry to read */
	bool event_idx;         /* VIRTIO_F_EVENT_IDX negotiated */
	bool broken;            /* the device wrote garbage: stop */
};

/*
 * Initialise a driver queue over caller memory: desc, avail, used (aligned
 * per the spec, sized for size entries) and slots[size]. Zeroes the rings,
 * threads every descriptor onto the free list. Returns 0, or -EINVAL for a
 * bad size, a NULL or misaligned part.
 */
int mpdp_virtq_drv_init(struct mpdp_virtq_drv *q, uint32_t size, void *desc, void *avail,
			void *used, struct mpdp_virtq_slot_shm *slots, bool event_idx);

/*
 * Add a chain of n buffers (readable ones first, then writable ones) and put
 * its head in the available ring, not yet visible (see publish). cookie is
 * returned by get_used. Returns the head id, -ENOSPC when fewer than n
 * descriptors are free, -EINVAL for n == 0, n > size or a readable buffer
 * after a writable one, -EIO when the queue is broken.
 */
static inline int mpdp_virtq_drv_add(struct mpdp_virtq_drv *q, const struct mpdp_virtq_sg *sg,
				     unsigned int n, uint64_t cookie)
{
	if (q->broken)
		return -EIO;
	if (n == 0 || n > q->size || sg == NULL)
		return -EINVAL;
	for (unsigned int i = 1; i < n; i++)
		if (sg[i - 1].writable && !sg[i].writable)
			return -EINVAL;
	if (q->num_free < n)
		return -ENOSPC;

	uint16_t head = q->free_head;
	uint16_t id = head;
	uint16_t last = head;
	for (unsigned int i = 0; i < n; i++) {
		struct mpdp_virtq_desc *dp = &q->desc[id];
		/* A free descriptor's next is the free-list link, and in a chain
		 * it is the link to the next buffer: the same id either way. */
		last = id;
		dp->addr = sg[i].addr;
		dp->len = sg[i].len;
		dp->flags = (uint16_t)((sg[i].writable ? MPDP_VIRTQ_DESC_F_WRITE : 0) |
				       (i + 1 < n ? MPDP_VIRTQ_DESC_F_NEXT : 0));
		id = dp->next & q->mask; /* the table is in memory the peer can write */
	}
	q->free_head = id;
	q->num_free = (uint16_t)(q->num_free - n);
	q->slots[head].cookie = cookie;
	q->slots[head].ndesc = (uint16_t)n;
	q->slots[head].last = last;
	/* Relaxed: ordered before the device's reads by the release in publish (A). */
	atomic_store_explicit(&q->avail->ring[q->avail_idx & q->mask], head, memory_order_relaxed);
	q->avail_idx++;
	return head;
}

/* Make every added chain visible to the device: avail.idx store (A). */
static inline void mpdp_virtq_drv_publish(struct mpdp_virtq_drv *q)
{
	/* (A) release: pairs with (B), the device's acquire of avail.idx. */
	atomic_store_explicit(&q->avail->idx, q->avail_idx, memory_order_release);
}

/*
 * After publish: should the device be kicked? Fence (E), then with EVENT_IDX
 * need_event(avail_event, new, last decision), else !USED_F_NO_NOTIFY.
 * Remembers the published index as the base of the next decision.
 */
static inline bool mpdp_virtq_drv_kick_needed(struct mpdp_virtq_drv *q)
{
	uint16_t old_idx = q->kicked_idx;
	uint16_t new_idx = q->avail_idx;

	/* (E): the avail.idx store before the avail_event/flags load; pairs with
	 * the device's fence (F) in dev_set_notify. */
	atomic_thread_fence(memory_order_seq_cst);
	q->kicked_idx = new_idx;
	if (q->event_idx)
		return mpdp_virtq_need_event(
			atomic_load_explicit(mpdp_virtq_avail_event_(q->used, q->size), memory_order_relaxed),
			new_idx, old_idx);
	return !(atomic_load_explicit(&q->used->flags, memory_order_relaxed) &
		 MPDP_VIRTQ_USED_F_NO_NOTIFY);
}

/*
 * Take one used chain: *cookie and *len (bytes the device wrote) are set and
 * the descriptors go back to the free list. Returns 0, -EAGAIN when nothing
 * is used, -EIO when the device is broken (used.idx jumped by more than the
 * size, or an id out of range or not in flight); the queue is then marked
 * broken and every later call returns -EIO.
 */
static inline int mpdp_virtq_drv_get_used(struct mpdp_virtq_drv *q, uint64_t *cookie,
					  uint32_t *len)
{
	if (q->broken)
		return -EIO;
	/* (C) acquire: pairs with (D), the device's release of used.idx. */
	uint16_t idx = atomic_load_explicit(&q->used->idx, memory_order_acquire);
	uint16_t pending = (uint16_t)(idx - q->last_used_idx);
	if (pending == 0)
		return -EAGAIN;
	if (pending > q->size) {
		q->broken = true;
		return -EIO;
	}
	struct mpdp_virtq_used_elem e = q->used->ring[q->last_used_idx & q->mask];
	if (e.id >= q->size || q->slots[e.id].ndesc == 0) {
		q->broken = true;
		return -EIO;
	}
	struct mpdp_virtq_slot_shm *s = &q->slots[e.id];
	q->desc[s->last].next = q->free_head;
	q->free_head = (uint16_t)e.id;
	q->num_free = (uint16_t)(q->num_free + s->ndesc);
	s->ndesc = 0;
	q->last_used_idx++;
	*cookie = s->cookie;
	*len = e.len;
	return 0;
}

/*
 * Ask for (on) or suppress used-buffer notifications: used_event =
 * last_used_idx with EVENT_IDX, else AVAIL_F_NO_INTERRUPT. When turning them
 * on, fences (H) and returns true if used entries are already pending (poll
 * again instead of sleeping).
 */
bool mpdp_virtq_drv_set_interrupt(struct mpdp_virtq_drv *q, bool on);

/* ---- device side ---------------------------------------------------------- */

/* Why a chain was refused, in mpdp_virtq_walk_err.reason. */
enum mpdp_virtq_walk_reason {
	MPDP_VIRTQ_OK = 0,
	MPDP_VIRTQ_BAD_HEAD,          /* -EINVAL head id >= size */
	MPDP_VIRTQ_BAD_NEXT,          /* -EINVAL next id >= size (or table count) */
	MPDP_VIRTQ_LOOP,              /* -ELOOP more descriptors than the table */
	MPDP_VIRTQ_READ_AFTER_WRITE,  /* -EINVAL readable descriptor after a writable one */
	MPDP_VIRTQ_LEN_OVERFLOW,      /* -EOVERFLOW total length > UINT32_MAX */
	MPDP_VIRTQ_TRANSLATE,         /* -EFAULT the translate callback refused a range */
	MPDP_VIRTQ_TOO_MANY,          /* -ENOBUFS more buffers than the caller's array */
	MPDP_VIRTQ_INDIRECT_OFF,      /* -EINVAL INDIRECT without VIRTIO_F_INDIRECT_DESC */
	MPDP_VIRTQ_INDIRECT_NEXT,     /* -EINVAL INDIRECT together with NEXT */
	MPDP_VIRTQ_INDIRECT_LEN,      /* -EINVAL table length 0 or not a multiple of 16 */
	MPDP_VIRTQ_INDIRECT_NESTED,   /* -EINVAL INDIRECT inside an indirect table */
	MPDP_VIRTQ_INDIRECT_NOT_HEAD, /* -EINVAL INDIRECT after a chained descriptor */
};

/* Where a walk stopped: reason and the descriptor id (in its table). */
struct mpdp_virtq_walk_err {
	enum mpdp_virtq_walk_reason reason;
	uint32_t id;
};

/* Name of a reason, for logs ("bad head", ...); never NULL. */
const char *mpdp_virtq_reason_str(enum mpdp_virtq_walk_reason reason);

/* A buffer of a walked chain. ptr is local (from translate). */
struct mpdp_virtq_buf {
	void *ptr;
	uint64_t addr;
	uint32_t len;
	bool writable;
};

/*
 * Translate guest range [addr, addr + len) to a local pointer, or NULL if
 * any of it is not mapped. The caller's; called once per descriptor (and
 * once for an indirect table).
 */
typedef void *(*mpdp_virtq_translate_t)(void *arg, uint64_t addr, uint32_t len);

/* Process-local device handle; the ring parts are local mappings. */
struct mpdp_virtq_dev {
	const struct mpdp_virtq_desc *desc;
	const struct mpdp_virtq_avail *avail;
	struct mpdp_virtq_used *used;
	uint16_t size;
	uint16_t mask;
	uint16_t last_avail_idx; /* next avail entry to take */
	uint16_t used_idx;       /* shadow of used.idx */
	uint16_t signalled_idx;  /* used.idx at the last interrupt decision */
	bool event_idx;          /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;           /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool broken;             /* the driver wrote garbage: stop */
};

/*
 * Initialise a device handle over mapped ring parts. last_avail_idx is the
 * vring base (0 for a fresh queue; vhost-user SET_VRING_BASE); used.idx is
 * taken as the same value. Returns 0 or -EINVAL (bad size, NULL/misaligned).
 */
int mpdp_virtq_dev_init(struct mpdp_virtq_dev *d, uint32_t size, const void *desc,
			const void *avail, void *used, uint16_t last_avail_idx, bool event_idx,
			bool indirect);

/*
 * Take the next available head id into *head. Returns 0, -EAGAIN when the
 * ring is empty, -EIO when the device is broken: avail.idx ran more than
 * size entries ahead of last_avail_idx (the queue is marked broken; every
 * later call returns -EIO). The head is not checked: the walk does that.
 */
static inline int mpdp_virtq_dev_pop(struct mpdp_virtq_dev *d, uint16_t *head)
{
	if (d->broken)
		return -EIO;
	/* (B) acquire: pairs with (A), the driver's release of avail.idx. */
	uint16_t idx = atomic_load_explicit(&d->avail->idx, memory_order_acquire);
	uint16_t pending = (uint16_t)(idx - d->last_avail_idx);
	if (pending == 0)
		return -EAGAIN;
	if (pending > d->size) {
		d->broken = true;
		return -EIO;
	}
	*head = atomic_load_explicit(&d->avail->ring[d->last_avail_idx & d->mask],
				     memory_order_relaxed);
	d->last_avail_idx++;
	return 0;
}

/*
 * Walk the chain at head into bufs[0..max) with full validation: every id
 * < size, at most size descriptors (loop), no readable after writable, total
 * length <= UINT32_MAX, each range translated. Zero-length descriptors are
 * allowed (the spec does not forbid them); their ptr is NULL, untranslated.
 * INDIRECT (if d->indirect) only as a lone head descriptor: table length a
 * non-zero multiple of 16 (at most 32768 entries), no nesting, chain bounded
 * by the table's count. Returns the number of buffers, or a
 * negative errno with err (if not NULL) saying which check failed and where.
 * Reads each descriptor once; never reads outside desc[0..size) or a
 * translated table. Does not mark the queue broken: the caller decides.
 */
int mpdp_virtq_dev_walk(const struct mpdp_virtq_dev *d, uint16_t head, struct mpdp_virtq_buf *bufs,
			unsigned int max, mpdp_virtq_translate_t translate, void *arg,
			struct mpdp_virtq_walk_err *err);

/*
 * Give back the last n heads popped and not yet returned: the next pops
 * take them again (a burst that ran out of mbufs or room).
 */
static inline void mpdp_virtq_dev_unpop(struct mpdp_virtq_dev *d, uint16_t n)
{
	d->last_avail_idx = (uint16_t)(d->last_avail_idx - n);
}

/*
 * Return chain id with len bytes written: the used entry only, not yet
 * visible to the driver (see used_publish). A burst adds all its entries and
 * publishes once, so the driver never sees part of a mergeable packet.
 */
static inline void mpdp_virtq_dev_used_add(struct mpdp_virtq_dev *d, uint16_t id, uint32_t len)
{
	struct mpdp_virtq_used_elem *e = &d->used->ring[d->used_idx & d->mask];

	e->id = id;
	e->len = len;
	d->used_idx++;
}

/* Make every added used entry visible: used.idx store (D). */
static inline void mpdp_virtq_dev_used_publish(struct mpdp_virtq_dev *d)
{
	/* (D) release: pairs with (C), the driver's acquire of used.idx. */
	atomic_store_explicit(&d->used->idx, d->used_idx, memory_order_release);
}

/* One chain back and visible at once: used_add + used_publish. */
static inline void mpdp_virtq_dev_push(struct mpdp_virtq_dev *d, uint16_t id, uint32_t len)
{
	mpdp_virtq_dev_used_add(d, id, len);
	mpdp_virtq_dev_used_publish(d);
}

/*
 * After push: should the driver be interrupted? Fence (G), then with
 * EVENT_IDX need_event(used_event, new, last decision), else
 * !AVAIL_F_NO_INTERRUPT.
 */
static inline bool mpdp_virtq_dev_interrupt_needed(struct mpdp_virtq_dev *d)
{
	uint16_t old_idx = d->signalled_idx;
	uint16_t new_idx = d->used_idx;

	/* (G): the used.idx store before the used_event/flags load; pairs with
	 * the driver's fence (H) in drv_set_interrupt. */
	atomic_thread_fence(memory_order_seq_cst);
	d->signalled_idx = new_idx;
	if (d->event_idx)
		return mpdp_virtq_need_event(
			atomic_load_explicit(mpdp_virtq_used_event_(d->avail, d->size), memory_order_relaxed),
			new_idx, old_idx);
	return !(atomic_load_explicit(&d->avail->flags, memory_order_relaxed) &
		 MPDP_VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/*
 * Ask for (on) or suppress kicks: avail_event = last_avail_idx with
 * EVENT_IDX, else USED_F_NO_NOTIFY. When turning them on, fences (F) and
 * returns true if avail entries are already pending.
 */
bool mpdp_virtq_dev_set_notify(struct mpdp_virtq_dev *d, bool on);

#endif /* MPDP_VIRTQ_H */
