/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_virtq.c - split virtqueues: driver and device side on the same ring
 * memory, in one process. Every ring part and the guest memory are allocated
 * exactly sized, so ASan catches any read outside them.
 *
 * With the argument "stress": a driver thread and a device thread move 1M
 * buffers through a 256-entry ring (registered in the tsan suite).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpdp/mpdp_virtq.h>

#include "unit_util.h"

#define GBASE 0x100000ull
#define GSIZE 4096u

struct vq {
	uint32_t size;
	void *desc, *avail, *used;
	struct mpdp_virtq_slot_shm *slots;
	struct mpdp_virtq_drv drv;
	struct mpdp_virtq_dev dev;
};

static uint8_t *guest; /* GSIZE bytes at guest address GBASE */
static bool lenient;   /* translate accepts any range (returns guest) */

static void *translate(void *arg, uint64_t addr, uint32_t len)
{
	(void)arg;
	if (lenient)
		return guest;
	if (addr < GBASE || addr - GBASE > GSIZE || len > GSIZE - (addr - GBASE))
		return NULL;
	return guest + (addr - GBASE);
}

static void *xalloc(size_t align, size_t len)
{
	void *p = aligned_alloc(align, MPDP_ALIGN_UP(len, align));
	REQUIRE(p != NULL);
	return p;
}

/* Parts sized exactly (the used ring rounded up to its alignment only). */
static void vq_setup(struct vq *v, uint32_t size, bool event_idx, bool indirect)
{
	memset(v, 0, sizeof(*v));
	v->size = size;
	v->desc = xalloc(16, 16 * (size_t)size);
	v->avail = xalloc(2, 6 + 2 * (size_t)size);
	v->used = xalloc(4, 6 + 8 * (size_t)size);
	v->slots = xalloc(16, sizeof(*v->slots) * size);
	REQUIRE(mpdp_virtq_drv_init(&v->drv, size, v->desc, v->avail, v->used, v->slots,
				    event_idx) == 0);
	REQUIRE(mpdp_virtq_dev_init(&v->dev, size, v->desc, v->avail, v->used, 0, event_idx,
				    indirect) == 0);
}

static void vq_teardown(struct vq *v)
{
	free(v->desc);
	free(v->avail);
	free(v->used);
	free(v->slots);
}

/* Move both sides to index start (as after many round trips). */
static void vq_set_idx(struct vq *v, uint16_t start)
{
	v->drv.avail_idx = v->drv.kicked_idx = v->drv.last_used_idx = start;
	atomic_store(&v->drv.avail->idx, start);
	atomic_store(&v->drv.used->idx, start);
	v->dev.last_avail_idx = v->dev.used_idx = v->dev.signalled_idx = start;
}

static void test_layout(void)
{
	struct mpdp_virtq_layout l;

	CHECK_EQ(mpdp_virtq_layout(256, 4, &l), 0);
	CHECK_EQ(l.avail_off, 4096);
	CHECK_EQ(l.used_off, 4616); /* 4096 + 518 rounded up to 4 */
	CHECK_EQ(l.total, 4616 + 2054);
	CHECK_EQ(mpdp_virtq_layout(256, 4096, &l), 0);
	CHECK_EQ(l.used_off, 8192);
	CHECK_EQ(l.total, 8192 + 2054);
	CHECK_EQ(mpdp_virtq_layout(32768, 4, &l), 0);
	CHECK_EQ(mpdp_virtq_layout(65536, 4, &l), -EINVAL);
	CHECK_EQ(mpdp_virtq_layout(0, 4, &l), -EINVAL);
	CHECK_EQ(mpdp_virtq_layout(100, 4, &l), -EINVAL);
	CHECK_EQ(mpdp_virtq_layout(8, 2, &l), -EINVAL);
}

/* n-buffer chains, 1..size, round trip with cookie and written length. */
static void roundtrip(struct vq *v, unsigned int n, uint64_t cookie)
{
	struct mpdp_virtq_sg sg[64];
	struct mpdp_virtq_buf bufs[64];
	struct mpdp_virtq_walk_err err;
	unsigned int nread = n / 2;
	uint16_t head = 0;
	uint64_t c = 0;
	uint32_t len = 0;

	for (unsigned int i = 0; i < n; i++) {
		sg[i].addr = GBASE + 16 * i;
		sg[i].len = 10 + i;
		sg[i].writable = i >= nread;
	}
	int id = mpdp_virtq_drv_add(&v->drv, sg, n, cookie);
	CHECK(id >= 0 && id < (int)v->size);
	mpdp_virtq_drv_publish(&v->drv);
	CHECK_EQ(mpdp_virtq_dev_pop(&v->dev, &head), 0);
	CHECK_EQ(head, id);
	int got = mpdp_virtq_dev_walk(&v->dev, head, bufs, 64, translate, NULL, &err);
	CHECK_EQ(got, n);
	CHECK_EQ(err.reason, MPDP_VIRTQ_OK);
	for (int i = 0; i < got && i < (int)n; i++) {
		CHECK_EQ(bufs[i].addr, sg[i].addr);
		CHECK_EQ(bufs[i].len, sg[i].len);
		CHECK_EQ(bufs[i].writable, sg[i].writable);
		CHECK(bufs[i].ptr == guest + 16 * i);
	}
	CHECK_EQ(mpdp_virtq_dev_pop(&v->dev, &head), -EAGAIN);
	mpdp_virtq_dev_push(&v->dev, (uint16_t)id, 7 * n);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v->drv, &c, &len), 0);
	CHECK_EQ(c, cookie);
	CHECK_EQ(len, 7 * n);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v->drv, &c, &len), -EAGAIN);
	CHECK_EQ(v->drv.num_free, v->size);
}

static void test_roundtrip(void)
{
	struct vq v;

	vq_setup(&v, 16, false, false);
	for (int round = 0; round < 5; round++)
		for (unsigned int n = 1; n <= 16; n++)
			roundtrip(&v, n, 0xabc00000ull + n * 100 + (uint64_t)round);
	vq_teardown(&v);
}

static void test_full(void)
{
	struct vq v;
	struct mpdp_virtq_sg sg[3] = { { GBASE, 4, false },
				       { GBASE + 4, 4, true },
				       { GBASE + 8, 4, false } };
	uint64_t c;
	uint32_t len;

	vq_setup(&v, 4, false, false);
	CHECK_EQ(mpdp_virtq_drv_add(&v.drv, sg, 0, 0), -EINVAL);
	CHECK_EQ(mpdp_virtq_drv_add(&v.drv, sg, 5, 0), -EINVAL);
	CHECK_EQ(mpdp_virtq_drv_add(&v.drv, sg, 3, 0), -EINVAL); /* read after write */
	CHECK(mpdp_virtq_drv_add(&v.drv, sg, 2, 1) >= 0);
	CHECK(mpdp_virtq_drv_add(&v.drv, sg, 1, 2) >= 0);
	CHECK_EQ(mpdp_virtq_drv_add(&v.drv, sg, 2, 3), -ENOSPC);
	CHECK(mpdp_virtq_drv_add(&v.drv, sg, 1, 3) >= 0);
	CHECK_EQ(mpdp_virtq_drv_add(&v.drv, sg, 1, 4), -ENOSPC);
	mpdp_virtq_drv_publish(&v.drv);
	/* the device returns them out of order: 2nd, 1st, 3rd */
	uint16_t heads[3];
	for (int i = 0; i < 3; i++)
		CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &heads[i]), 0);
	mpdp_virtq_dev_push(&v.dev, heads[1], 0);
	mpdp_virtq_dev_push(&v.dev, heads[0], 0);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v.drv, &c, &len), 0);
	CHECK_EQ(c, 2);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v.drv, &c, &len), 0);
	CHECK_EQ(c, 1);
	CHECK_EQ(v.drv.num_free, 3);
	CHECK(mpdp_virtq_drv_add(&v.drv, sg, 2, 5) >= 0);
	CHECK(mpdp_virtq_drv_add(&v.drv, sg, 1, 6) >= 0);
	CHECK_EQ(mpdp_virtq_drv_add(&v.drv, sg, 1, 7), -ENOSPC);
	mpdp_virtq_dev_push(&v.dev, heads[2], 0);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v.drv, &c, &len), 0);
	CHECK_EQ(c, 3);
	vq_teardown(&v);
}

static void test_wrap(void)
{
	struct vq v;

	vq_setup(&v, 8, false, false);
	vq_set_idx(&v, 65530);
	for (unsigned int i = 0; i < 40; i++)
		roundtrip(&v, 1 + i % 8, 77 + i);
	CHECK_EQ(atomic_load(&v.drv.avail->idx), (uint16_t)(65530 + 40));
	CHECK_EQ(atomic_load(&v.drv.used->idx), (uint16_t)(65530 + 40));
	vq_teardown(&v);
}

static void add1(struct vq *v)
{
	struct mpdp_virtq_sg sg = { GBASE, 1, false };

	CHECK(mpdp_virtq_drv_add(&v->drv, &sg, 1, 0) >= 0);
	mpdp_virtq_drv_publish(&v->drv);
}

static void test_event_idx_at(uint16_t start)
{
	struct vq v;
	uint16_t h[4];
	uint64_t c;
	uint32_t len;

	vq_setup(&v, 8, true, false);
	vq_set_idx(&v, start);
	/* kicks */
	CHECK_EQ(mpdp_virtq_dev_set_notify(&v.dev, true), false);
	add1(&v);
	CHECK_EQ(mpdp_virtq_drv_kick_needed(&v.drv), true);
	add1(&v);
	CHECK_EQ(mpdp_virtq_drv_kick_needed(&v.drv), false); /* device not re-armed */
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h[0]), 0);
	CHECK_EQ(mpdp_virtq_dev_set_notify(&v.dev, true), true); /* one still pending */
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h[1]), 0);
	CHECK_EQ(mpdp_virtq_dev_set_notify(&v.dev, true), false);
	add1(&v);
	add1(&v);
	CHECK_EQ(mpdp_virtq_drv_kick_needed(&v.drv), true); /* event inside a batch of 2 */
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h[2]), 0);
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h[3]), 0);
	/* interrupts */
	CHECK_EQ(mpdp_virtq_drv_set_interrupt(&v.drv, true), false);
	mpdp_virtq_dev_push(&v.dev, h[0], 0);
	CHECK_EQ(mpdp_virtq_dev_interrupt_needed(&v.dev), true);
	mpdp_virtq_dev_push(&v.dev, h[1], 0);
	CHECK_EQ(mpdp_virtq_dev_interrupt_needed(&v.dev), false);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v.drv, &c, &len), 0);
	CHECK_EQ(mpdp_virtq_drv_set_interrupt(&v.drv, true), true); /* one pending */
	CHECK_EQ(mpdp_virtq_drv_get_used(&v.drv, &c, &len), 0);
	CHECK_EQ(mpdp_virtq_drv_set_interrupt(&v.drv, true), false);
	mpdp_virtq_dev_push(&v.dev, h[2], 0);
	mpdp_virtq_dev_push(&v.dev, h[3], 0);
	CHECK_EQ(mpdp_virtq_dev_interrupt_needed(&v.dev), true);
	vq_teardown(&v);
}

static void test_event_idx(void)
{
	CHECK_EQ(mpdp_virtq_need_event(5, 6, 5), true);
	CHECK_EQ(mpdp_virtq_need_event(5, 5, 4), false);
	CHECK_EQ(mpdp_virtq_need_event(4, 9, 3), true);
	CHECK_EQ(mpdp_virtq_need_event(65535, 1, 65534), true);
	CHECK_EQ(mpdp_virtq_need_event(0, 1, 65535), true);
	CHECK_EQ(mpdp_virtq_need_event(65534, 1, 65535), false);
	CHECK_EQ(mpdp_virtq_need_event(2, 1, 65535), false);
	CHECK_EQ(mpdp_virtq_need_event(3, 3, 3), false);
	test_event_idx_at(0);
	test_event_idx_at(65534);
	test_event_idx_at(65535);
	test_event_idx_at(65533);
}

static void test_flags(void)
{
	struct vq v;
	uint16_t h;

	vq_setup(&v, 8, false, false);
	add1(&v);
	CHECK_EQ(mpdp_virtq_drv_kick_needed(&v.drv), true);
	CHECK_EQ(mpdp_virtq_dev_set_notify(&v.dev, false), false);
	add1(&v);
	CHECK_EQ(mpdp_virtq_drv_kick_needed(&v.drv), false);
	CHECK_EQ(mpdp_virtq_dev_set_notify(&v.dev, true), true);
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h), 0);
	mpdp_virtq_dev_push(&v.dev, h, 0);
	CHECK_EQ(mpdp_virtq_dev_interrupt_needed(&v.dev), true);
	CHECK_EQ(mpdp_virtq_drv_set_interrupt(&v.drv, false), false);
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h), 0);
	mpdp_virtq_dev_push(&v.dev, h, 0);
	CHECK_EQ(mpdp_virtq_dev_interrupt_needed(&v.dev), false);
	CHECK_EQ(mpdp_virtq_drv_set_interrupt(&v.drv, true), true);
	vq_teardown(&v);
}

/* ---- walker validation ---------------------------------------------------- */

static void setd(struct vq *v, uint16_t id, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	struct mpdp_virtq_desc *d = v->desc;

	d[id] = (struct mpdp_virtq_desc){ addr, len, flags, next };
}

static void expect_walk(struct vq *v, uint16_t head, unsigned int max, int rc,
			enum mpdp_virtq_walk_reason reason, uint32_t at, int line)
{
	struct mpdp_virtq_buf bufs[64];
	struct mpdp_virtq_walk_err err = { .reason = 999, .id = 999 };
	int got = mpdp_virtq_dev_walk(&v->dev, head, bufs, max, translate, NULL, &err);

	if (got != rc || err.reason != reason || err.id != at) {
		fprintf(stderr, "line %d: walk %d (%s at %u), want %d (%s at %u)\n", line, got,
			mpdp_virtq_reason_str(err.reason), err.id, rc,
			mpdp_virtq_reason_str(reason), at);
		unit_fail(__FILE__, line, "walk");
	}
}
#define EXPECT_WALK(v, head, rc, reason, at) expect_walk(v, head, 64, rc, reason, at, __LINE__)

static void test_walk_errors(void)
{
	struct vq v;
	const uint16_t N = MPDP_VIRTQ_DESC_F_NEXT, W = MPDP_VIRTQ_DESC_F_WRITE,
		       I = MPDP_VIRTQ_DESC_F_INDIRECT;
	struct mpdp_virtq_desc *tbl = (void *)(guest + GSIZE - 64);
	const uint64_t tbl_addr = GBASE + GSIZE - 64; /* 4 entries at the end */

	vq_setup(&v, 8, false, true);
	EXPECT_WALK(&v, 8, -EINVAL, MPDP_VIRTQ_BAD_HEAD, 8);
	EXPECT_WALK(&v, 65535, -EINVAL, MPDP_VIRTQ_BAD_HEAD, 65535);
	setd(&v, 0, GBASE, 8, N, 8);
	EXPECT_WALK(&v, 0, -EINVAL, MPDP_VIRTQ_BAD_NEXT, 8);
	setd(&v, 0, GBASE, 8, N, 0);
	EXPECT_WALK(&v, 0, -ELOOP, MPDP_VIRTQ_LOOP, 0);
	setd(&v, 0, GBASE, 8, N, 1);
	setd(&v, 1, GBASE, 8, N, 2);
	setd(&v, 2, GBASE, 8, N, 1);
	EXPECT_WALK(&v, 0, -ELOOP, MPDP_VIRTQ_LOOP, 2); /* 0 1 2 1 2 1 2 1 [2] */
	for (uint16_t i = 0; i < 8; i++)                /* longest legal chain: all 8 */
		setd(&v, i, GBASE, 8, i < 7 ? N : 0, (uint16_t)(i + 1));
	EXPECT_WALK(&v, 0, 8, MPDP_VIRTQ_OK, 0);
	expect_walk(&v, 0, 7, -ENOBUFS, MPDP_VIRTQ_TOO_MANY, 7, __LINE__);
	setd(&v, 0, GBASE, 8, N | W, 1);
	setd(&v, 1, GBASE, 8, 0, 0);
	EXPECT_WALK(&v, 0, -EINVAL, MPDP_VIRTQ_READ_AFTER_WRITE, 1);
	setd(&v, 1, GBASE, 0, W, 0); /* zero length is fine */
	EXPECT_WALK(&v, 0, 2, MPDP_VIRTQ_OK, 0);
	setd(&v, 0, GBASE + GSIZE - 4, 8, 0, 0);
	EXPECT_WALK(&v, 0, -EFAULT, MPDP_VIRTQ_TRANSLATE, 0);
	setd(&v, 0, 0, 8, 0, 0);
	EXPECT_WALK(&v, 0, -EFAULT, MPDP_VIRTQ_TRANSLATE, 0);
	lenient = true;
	setd(&v, 0, GBASE, 0xffffffffu, N, 1);
	setd(&v, 1, GBASE, 1, 0, 0);
	EXPECT_WALK(&v, 0, -EOVERFLOW, MPDP_VIRTQ_LEN_OVERFLOW, 1);
	setd(&v, 1, GBASE, 0, 0, 0);
	EXPECT_WALK(&v, 0, 2, MPDP_VIRTQ_OK, 0);
	lenient = false;

	/* indirect */
	tbl[0] = (struct mpdp_virtq_desc){ GBASE, 4, N, 1 };
	tbl[1] = (struct mpdp_virtq_desc){ GBASE + 4, 4, N | W, 2 };
	tbl[2] = (struct mpdp_virtq_desc){ GBASE + 8, 4, W, 0 };
	setd(&v, 3, tbl_addr, 48, I, 0);
	EXPECT_WALK(&v, 3, 3, MPDP_VIRTQ_OK, 3);
	setd(&v, 3, tbl_addr, 32, I, 0); /* table of 2: next 2 out of it */
	EXPECT_WALK(&v, 3, -EINVAL, MPDP_VIRTQ_BAD_NEXT, 2);
	setd(&v, 3, tbl_addr, 64, I, 0);
	tbl[2].flags = W | N;
	tbl[2].next = 1;
	EXPECT_WALK(&v, 3, -ELOOP, MPDP_VIRTQ_LOOP, 2); /* 0 1 2 1 [2] */
	tbl[2].flags = W;
	tbl[3] = (struct mpdp_virtq_desc){ 0, 0, 0, 0 };
	setd(&v, 3, tbl_addr, 24, I, 0);
	EXPECT_WALK(&v, 3, -EINVAL, MPDP_VIRTQ_INDIRECT_LEN, 3);
	setd(&v, 3, tbl_addr, 0, I, 0);
	EXPECT_WALK(&v, 3, -EINVAL, MPDP_VIRTQ_INDIRECT_LEN, 3);
	setd(&v, 3, tbl_addr, 80, I, 0); /* runs past the guest memory */
	EXPECT_WALK(&v, 3, -EFAULT, MPDP_VIRTQ_TRANSLATE, 3);
	setd(&v, 3, tbl_addr, 48, I | N, 4);
	EXPECT_WALK(&v, 3, -EINVAL, MPDP_VIRTQ_INDIRECT_NEXT, 3);
	setd(&v, 2, GBASE, 4, N, 3);
	setd(&v, 3, tbl_addr, 48, I, 0);
	EXPECT_WALK(&v, 2, -EINVAL, MPDP_VIRTQ_INDIRECT_NOT_HEAD, 3);
	tbl[1] = (struct mpdp_virtq_desc){ tbl_addr, 16, I | N, 2 };
	EXPECT_WALK(&v, 3, -EINVAL, MPDP_VIRTQ_INDIRECT_NESTED, 1);
	v.dev.indirect = false;
	EXPECT_WALK(&v, 3, -EINVAL, MPDP_VIRTQ_INDIRECT_OFF, 3);
	CHECK(strcmp(mpdp_virtq_reason_str(MPDP_VIRTQ_LOOP), "descriptor loop") == 0);
	CHECK(strcmp(mpdp_virtq_reason_str(12345), "unknown") == 0);
	vq_teardown(&v);
}

static void test_broken(void)
{
	struct vq v;
	uint16_t h;
	uint64_t c;
	uint32_t len;

	/* the driver jumps avail.idx by more than the size */
	vq_setup(&v, 8, false, false);
	vq_set_idx(&v, 65533);
	atomic_store(&v.drv.avail->idx, (uint16_t)(65533 + 8));
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h), 0); /* exactly size is fine */
	atomic_store(&v.drv.avail->idx, (uint16_t)(65533 + 10));
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h), -EIO);
	CHECK(v.dev.broken);
	atomic_store(&v.drv.avail->idx, (uint16_t)(65533 + 2));
	CHECK_EQ(mpdp_virtq_dev_pop(&v.dev, &h), -EIO); /* stays broken */
	vq_teardown(&v);

	/* the device returns an id not in flight, out of range, or too many */
	vq_setup(&v, 8, false, false);
	add1(&v);
	mpdp_virtq_dev_push(&v.dev, 5, 0);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v.drv, &c, &len), -EIO);
	CHECK_EQ(mpdp_virtq_drv_add(&v.drv, &(struct mpdp_virtq_sg){ GBASE, 1, false }, 1, 0),
		 -EIO);
	vq_teardown(&v);
	vq_setup(&v, 8, false, false);
	add1(&v);
	mpdp_virtq_dev_push(&v.dev, 9, 0);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v.drv, &c, &len), -EIO);
	vq_teardown(&v);
	vq_setup(&v, 8, false, false);
	atomic_store(&v.drv.used->idx, 9);
	CHECK_EQ(mpdp_virtq_drv_get_used(&v.drv, &c, &len), -EIO);
	vq_teardown(&v);
}

/* ---- two threads ---------------------------------------------------------- */

#define STRESS_N 1000000u

static void *stress_device(void *arg)
{
	struct vq *v = arg;
	struct mpdp_virtq_buf bufs[4];
	unsigned long done = 0, bad = 0;
	uint16_t head;

	while (done < STRESS_N) {
		int rc = mpdp_virtq_dev_pop(&v->dev, &head);
		if (rc == -EAGAIN) {
			if (!mpdp_virtq_dev_set_notify(&v->dev, true))
				sched_yield();
			continue;
		}
		if (rc != 0) {
			bad++;
			break;
		}
		int n = mpdp_virtq_dev_walk(&v->dev, head, bufs, 4, translate, NULL, NULL);
		if (n < 1)
			bad++;
		uint32_t total = 0;
		for (int i = 0; i < n; i++)
			total += bufs[i].len;
		mpdp_virtq_dev_push(&v->dev, head, total);
		(void)mpdp_virtq_dev_interrupt_needed(&v->dev);
		done++;
	}
	return (void *)bad;
}

static void test_stress(void)
{
	struct vq v;
	pthread_t t;
	uint64_t sent = 0, got = 0, c;
	uint32_t len;
	void *bad;

	vq_setup(&v, 256, true, false);
	REQUIRE(pthread_create(&t, NULL, stress_device, &v) == 0);
	while (got < STRESS_N) {
		while (sent < STRESS_N) {
			struct mpdp_virtq_sg sg[3];
			unsigned int n = 1 + sent % 3;
			for (unsigned int i = 0; i < n; i++)
				sg[i] = (struct mpdp_virtq_sg){ GBASE + i, (uint32_t)(sent % 7 + i),
								i == n - 1 };
			if (mpdp_virtq_drv_add(&v.drv, sg, n, sent) < 0)
				break;
			sent++;
		}
		mpdp_virtq_drv_publish(&v.drv);
		(void)mpdp_virtq_drv_kick_needed(&v.drv);
		int polled = 0;
		while (mpdp_virtq_drv_get_used(&v.drv, &c, &len) == 0) {
			unsigned int n = 1 + c % 3;
			uint32_t want = (uint32_t)(n * (c % 7) + n * (n - 1) / 2);
			if (c != got || len != want) {
				unit_fail(__FILE__, __LINE__, "stress: cookie or length");
				got = STRESS_N;
				break;
			}
			got++;
			polled++;
		}
		if (polled == 0 && !mpdp_virtq_drv_set_interrupt(&v.drv, true))
			sched_yield();
	}
	REQUIRE(pthread_join(t, &bad) == 0);
	CHECK(bad == NULL);
	CHECK(!v.drv.broken);
	vq_teardown(&v);
}

int main(int argc, char **argv)
{
	guest = xalloc(64, GSIZE);
	memset(guest, 0, GSIZE);
	if (argc > 1 && strcmp(argv[1], "stress") == 0) {
		test_stress();
	} else {
		test_layout();
		test_roundtrip();
		test_full();
		test_wrap();
		test_event_idx();
		test_flags();
		test_walk_errors();
		test_broken();
	}
	free(guest);
	unit_exit();
}
