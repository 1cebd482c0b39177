/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtq.c - split virtqueues, both sides. The memory ordering and who
 * writes what are in mpdp_virtq.h; the letters (A)..(H) refer to it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <mpdp/mpdp_virtq.h>

static bool size_ok(uint32_t size)
{
	return MPDP_IS_POW2(size) && size <= MPDP_VIRTQ_MAX_SIZE;
}

static bool aligned(const void *p, uintptr_t align)
{
	return p != NULL && ((uintptr_t)p & (align - 1)) == 0;
}

static size_t avail_bytes(uint32_t size)
{
	return 6 + 2 * (size_t)size;
}

static size_t used_bytes(uint32_t size)
{
	return 6 + 8 * (size_t)size;
}

/* used_event sits after the avail ring, avail_event after the used ring. */
static _Atomic uint16_t *used_event(const struct mpdp_virtq_avail *avail, uint16_t size)
{
	return (_Atomic uint16_t *)&avail->ring[size];
}

static _Atomic uint16_t *avail_event(const struct mpdp_virtq_used *used, uint16_t size)
{
	return (_Atomic uint16_t *)(void *)&used->ring[size];
}

int mpdp_virtq_layout(uint32_t size, size_t used_align, struct mpdp_virtq_layout *l)
{
	if (!size_ok(size) || used_align < MPDP_VIRTQ_ALIGN_USED || !MPDP_IS_POW2(used_align) ||
	    l == NULL)
		return -EINVAL;
	l->avail_off = sizeof(struct mpdp_virtq_desc) * (size_t)size;
	l->used_off = MPDP_ALIGN_UP(l->avail_off + avail_bytes(size), used_align);
	l->total = l->used_off + used_bytes(size);
	return 0;
}

/* ---- driver side ---------------------------------------------------------- */

int mpdp_virtq_drv_init(struct mpdp_virtq_drv *q, uint32_t size, void *desc, void *avail,
			void *used, struct mpdp_virtq_slot_shm *slots, bool event_idx)
{
	if (q == NULL || !size_ok(size) || !aligned(desc, MPDP_VIRTQ_ALIGN_DESC) ||
	    !aligned(avail, MPDP_VIRTQ_ALIGN_AVAIL) || !aligned(used, MPDP_VIRTQ_ALIGN_USED) ||
	    slots == NULL)
		return -EINVAL;
	memset(desc, 0, sizeof(struct mpdp_virtq_desc) * size);
	memset(avail, 0, avail_bytes(size));
	memset(used, 0, used_bytes(size));
	memset(slots, 0, sizeof(*slots) * size);
	memset(q, 0, sizeof(*q));
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->slots = slots;
	q->size = (uint16_t)size; /* 32768 fits */
	q->mask = (uint16_t)(size - 1);
	q->num_free = (uint16_t)size;
	q->event_idx = event_idx;
	for (uint32_t i = 0; i + 1 < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	return 0;
}

int mpdp_virtq_drv_add(struct mpdp_virtq_drv *q, const struct mpdp_virtq_sg *sg, unsigned int n,
		       uint64_t cookie)
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
		id = dp->next;
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

void mpdp_virtq_drv_publish(struct mpdp_virtq_drv *q)
{
	/* (A) release: pairs with (B), the device's acquire of avail.idx. */
	atomic_store_explicit(&q->avail->idx, q->avail_idx, memory_order_release);
}

bool mpdp_virtq_drv_kick_needed(struct mpdp_virtq_drv *q)
{
	uint16_t old_idx = q->kicked_idx;
	uint16_t new_idx = q->avail_idx;

	/* (E): the avail.idx store before the avail_event/flags load; pairs with
	 * the device's fence (F) in dev_set_notify. */
	atomic_thread_fence(memory_order_seq_cst);
	q->kicked_idx = new_idx;
	if (q->event_idx)
		return mpdp_virtq_need_event(
			atomic_load_explicit(avail_event(q->used, q->size), memory_order_relaxed),
			new_idx, old_idx);
	return !(atomic_load_explicit(&q->used->flags, memory_order_relaxed) &
		 MPDP_VIRTQ_USED_F_NO_NOTIFY);
}

int mpdp_virtq_drv_get_used(struct mpdp_virtq_drv *q, uint64_t *cookie, uint32_t *len)
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

bool mpdp_virtq_drv_set_interrupt(struct mpdp_virtq_drv *q, bool on)
{
	if (q->event_idx) {
		if (!on)
			return false; /* flags stay 0 with EVENT_IDX; the device may still notify */
		atomic_store_explicit(used_event(q->avail, q->size), q->last_used_idx,
				      memory_order_relaxed);
	} else {
		atomic_store_explicit(&q->avail->flags,
				      (uint16_t)(on ? 0 : MPDP_VIRTQ_AVAIL_F_NO_INTERRUPT),
				      memory_order_relaxed);
		if (!on)
			return false;
	}
	/* (H): the used_event/flags store before the used.idx re-check; pairs
	 * with the device's fence (G) in dev_interrupt_needed. */
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(&q->used->idx, memory_order_relaxed) != q->last_used_idx;
}

/* ---- device side ---------------------------------------------------------- */

static const char *const reason_names[] = {
	[MPDP_VIRTQ_OK] = "ok",
	[MPDP_VIRTQ_BAD_HEAD] = "bad head",
	[MPDP_VIRTQ_BAD_NEXT] = "bad next",
	[MPDP_VIRTQ_LOOP] = "descriptor loop",
	[MPDP_VIRTQ_READ_AFTER_WRITE] = "readable descriptor after a writable one",
	[MPDP_VIRTQ_LEN_OVERFLOW] = "total length overflow",
	[MPDP_VIRTQ_TRANSLATE] = "address not mapped",
	[MPDP_VIRTQ_TOO_MANY] = "too many buffers",
	[MPDP_VIRTQ_INDIRECT_OFF] = "indirect not negotiated",
	[MPDP_VIRTQ_INDIRECT_NEXT] = "indirect with next",
	[MPDP_VIRTQ_INDIRECT_LEN] = "bad indirect table length",
	[MPDP_VIRTQ_INDIRECT_NESTED] = "nested indirect",
	[MPDP_VIRTQ_INDIRECT_NOT_HEAD] = "indirect not at head",
};

const char *mpdp_virtq_reason_str(enum mpdp_virtq_walk_reason reason)
{
	if ((unsigned int)reason >= MPDP_DIM(reason_names) || reason_names[reason] == NULL)
		return "unknown";
	return reason_names[reason];
}

int mpdp_virtq_dev_init(struct mpdp_virtq_dev *d, uint32_t size, const void *desc,
			const void *avail, void *used, uint16_t last_avail_idx, bool event_idx,
			bool indirect)
{
	if (d == NULL || !size_ok(size) || !aligned(desc, MPDP_VIRTQ_ALIGN_DESC) ||
	    !aligned(avail, MPDP_VIRTQ_ALIGN_AVAIL) || !aligned(used, MPDP_VIRTQ_ALIGN_USED))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->desc = desc;
	d->avail = avail;
	d->used = used;
	d->size = (uint16_t)size;
	d->mask = (uint16_t)(size - 1);
	d->last_avail_idx = last_avail_idx;
	d->used_idx = last_avail_idx;
	d->signalled_idx = last_avail_idx;
	d->event_idx = event_idx;
	d->indirect = indirect;
	return 0;
}

int mpdp_virtq_dev_pop(struct mpdp_virtq_dev *d, uint16_t *head)
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

static int walk_fail(struct mpdp_virtq_walk_err *err, enum mpdp_virtq_walk_reason reason,
		     uint32_t id, int rc)
{
	if (err != NULL) {
		err->reason = reason;
		err->id = id;
	}
	return rc;
}

int mpdp_virtq_dev_walk(const struct mpdp_virtq_dev *d, uint16_t head, struct mpdp_virtq_buf *bufs,
			unsigned int max, mpdp_virtq_translate_t translate, void *arg,
			struct mpdp_virtq_walk_err *err)
{
	const struct mpdp_virtq_desc *table = d->desc;
	uint32_t tsize = d->size;
	uint32_t id = head;
	uint32_t seen = 0;
	unsigned int n = 0;
	uint64_t total = 0;
	bool in_indirect = false;
	bool writing = false;

	if (head >= d->size)
		return walk_fail(err, MPDP_VIRTQ_BAD_HEAD, id, -EINVAL);
	for (;;) {
		struct mpdp_virtq_desc dc;

		/* One copy: the driver may rewrite the entry while we look at it.
		 * memcpy because an indirect table may be misaligned. */
		memcpy(&dc, &table[id], sizeof(dc));
		if (++seen > tsize)
			return walk_fail(err, MPDP_VIRTQ_LOOP, id, -ELOOP);
		if (dc.flags & MPDP_VIRTQ_DESC_F_INDIRECT) {
			if (!d->indirect)
				return walk_fail(err, MPDP_VIRTQ_INDIRECT_OFF, id, -EINVAL);
			if (in_indirect)
				return walk_fail(err, MPDP_VIRTQ_INDIRECT_NESTED, id, -EINVAL);
			if (seen != 1)
				return walk_fail(err, MPDP_VIRTQ_INDIRECT_NOT_HEAD, id, -EINVAL);
			if (dc.flags & MPDP_VIRTQ_DESC_F_NEXT)
				return walk_fail(err, MPDP_VIRTQ_INDIRECT_NEXT, id, -EINVAL);
			if (dc.len == 0 || dc.len % sizeof(dc) != 0 ||
			    dc.len / sizeof(dc) > MPDP_VIRTQ_MAX_SIZE)
				return walk_fail(err, MPDP_VIRTQ_INDIRECT_LEN, id, -EINVAL);
			table = translate(arg, dc.addr, dc.len);
			if (table == NULL)
				return walk_fail(err, MPDP_VIRTQ_TRANSLATE, id, -EFAULT);
			tsize = dc.len / (uint32_t)sizeof(dc);
			in_indirect = true;
			seen = 0;
			id = 0;
			continue;
		}
		if (dc.flags & MPDP_VIRTQ_DESC_F_WRITE)
			writing = true;
		else if (writing)
			return walk_fail(err, MPDP_VIRTQ_READ_AFTER_WRITE, id, -EINVAL);
		total += dc.len;
		if (total > UINT32_MAX)
			return walk_fail(err, MPDP_VIRTQ_LEN_OVERFLOW, id, -EOVERFLOW);
		if (n >= max)
			return walk_fail(err, MPDP_VIRTQ_TOO_MANY, id, -ENOBUFS);
		void *ptr = NULL;
		if (dc.len != 0) {
			ptr = translate(arg, dc.addr, dc.len);
			if (ptr == NULL)
				return walk_fail(err, MPDP_VIRTQ_TRANSLATE, id, -EFAULT);
		}
		bufs[n].ptr = ptr;
		bufs[n].addr = dc.addr;
		bufs[n].len = dc.len;
		bufs[n].writable = writing;
		n++;
		if (!(dc.flags & MPDP_VIRTQ_DESC_F_NEXT))
			break;
		id = dc.next;
		if (id >= tsize)
			return walk_fail(err, MPDP_VIRTQ_BAD_NEXT, id, -EINVAL);
	}
	if (err != NULL) {
		err->reason = MPDP_VIRTQ_OK;
		err->id = head;
	}
	return (int)n;
}

void mpdp_virtq_dev_push(struct mpdp_virtq_dev *d, uint16_t id, uint32_t len)
{
	struct mpdp_virtq_used_elem *e = &d->used->ring[d->used_idx & d->mask];

	e->id = id;
	e->len = len;
	d->used_idx++;
	/* (D) release: pairs with (C), the driver's acquire of used.idx. */
	atomic_store_explicit(&d->used->idx, d->used_idx, memory_order_release);
}

bool mpdp_virtq_dev_interrupt_needed(struct mpdp_virtq_dev *d)
{
	uint16_t old_idx = d->signalled_idx;
	uint16_t new_idx = d->used_idx;

	/* (G): the used.idx store before the used_event/flags load; pairs with
	 * the driver's fence (H) in drv_set_interrupt. */
	atomic_thread_fence(memory_order_seq_cst);
	d->signalled_idx = new_idx;
	if (d->event_idx)
		return mpdp_virtq_need_event(
			atomic_load_explicit(used_event(d->avail, d->size), memory_order_relaxed),
			new_idx, old_idx);
	return !(atomic_load_explicit(&d->avail->flags, memory_order_relaxed) &
		 MPDP_VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool mpdp_virtq_dev_set_notify(struct mpdp_virtq_dev *d, bool on)
{
	if (d->event_idx) {
		if (!on)
			return false; /* flags stay 0 with EVENT_IDX; the driver may still kick */
		atomic_store_explicit(avail_event(d->used, d->size), d->last_avail_idx,
				      memory_order_relaxed);
	} else {
		atomic_store_explicit(&d->used->flags,
				      (uint16_t)(on ? 0 : MPDP_VIRTQ_USED_F_NO_NOTIFY),
				      memory_order_relaxed);
		if (!on)
			return false;
	}
	/* (F): the avail_event/flags store before the avail.idx re-check; pairs
	 * with the driver's fence (E) in drv_kick_needed. */
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(&d->avail->idx, memory_order_relaxed) != d->last_avail_idx;
}
