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





bool mpdp_virtq_drv_set_interrupt(struct mpdp_virtq_drv *q, bool on)
{
	if (q->event_idx) {
		if (!on)
			return false; /* flags stay 0 with EVENT_IDX; the device may still notify */
		atomic_store_explicit(mpdp_virtq_used_event_(q->avail, q->size), q->last_used_idx,
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



bool mpdp_virtq_dev_set_notify(struct mpdp_virtq_dev *d, bool on)
{
	if (d->event_idx) {
		if (!on)
			return false; /* flags stay 0 with EVENT_IDX; the driver may still kick */
		atomic_store_explicit(mpdp_virtq_avail_event_(d->used, d->size), d->last_avail_idx,
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
