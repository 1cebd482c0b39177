/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ring.c - mpdp_ring in one process: creation rules and errors, bulk
 * (all or nothing) against burst (up to n), wrap-around, counts, every
 * SP/MP/SC/MC variant, every copy size at every ring position, the
 * single-object calls in both modes, attach by name, the pointer helpers, and
 * a two-thread MP/MC run that checks every value arrives once (the threaded
 * stress test proper is tests/tsan/test_ring_stress.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ring.h>

#include "unit_util.h"

static void test_create(void)
{
	struct mpdp_ring *r, *a;
	int err = 0;

	CHECK(mpdp_ring_create("bad", 0, 0, &err) == NULL);
	CHECK_EQ(err, -EINVAL);
	CHECK(mpdp_ring_create("bad", 1000, 0, &err) == NULL); /* not a power of two */
	CHECK_EQ(err, -EINVAL);
	CHECK(mpdp_ring_create("bad", 1, 0, &err) == NULL);    /* capacity 0 */
	CHECK_EQ(err, -EINVAL);
	CHECK(mpdp_ring_create("bad", 64, 0x80, &err) == NULL); /* unknown flag */
	CHECK_EQ(err, -EINVAL);
	CHECK(mpdp_ring_create("", 64, 0, &err) == NULL);
	CHECK_EQ(err, -EINVAL);
	CHECK(mpdp_ring_create("a-name-that-is-far-too-long-for-rings", 64, 0, &err) == NULL);
	CHECK_EQ(err, -ENAMETOOLONG);
	CHECK(mpdp_ring_create("huge", 1u << 30, 0, &err) == NULL);
	CHECK_EQ(err, -ENOMEM);

	r = mpdp_ring_create("r", 64, 0, &err);
	REQUIRE(r != NULL);
	CHECK_EQ(mpdp_ring_capacity(r), 63);
	CHECK(mpdp_ring_create("r", 64, 0, &err) == NULL);
	CHECK_EQ(err, -EEXIST);
	a = mpdp_ring_attach("r", &err);
	REQUIRE(a != NULL);
	CHECK(a->shm == r->shm && a->capacity == 63);
	CHECK(mpdp_ring_attach("nope", &err) == NULL);
	CHECK_EQ(err, -ENOENT);
	mpdp_ring_detach(a);
	mpdp_ring_free(r);
	CHECK(mpdp_ring_attach("r", &err) == NULL);
	CHECK_EQ(err, -ENOENT);

	/* exact size: capacity is what was asked, the size is the next power of two */
	r = mpdp_ring_create("x", 1000, MPDP_RING_F_EXACT_SZ, &err);
	REQUIRE(r != NULL);
	CHECK_EQ(mpdp_ring_capacity(r), 1000);
	CHECK_EQ(r->size, 1024);
	mpdp_ring_free(r);
	mpdp_ring_free(NULL);
	mpdp_ring_detach(NULL);

	/* a memzone that is not a ring is refused at attach */
	struct mpdp_memzone mz;
	CHECK_EQ(mpdp_memzone_reserve("rg.fake", 4096, 0, &mz), 0);
	CHECK(mpdp_ring_attach("fake", &err) == NULL);
	CHECK_EQ(err, -EPROTO);
	mpdp_memzone_free("rg.fake");
}

static void test_bulk_burst(unsigned int flags)
{
	struct mpdp_ring *r;
	uint64_t in[300], out[300];
	unsigned int n, fs, av;
	int err;

	for (unsigned int i = 0; i < 300; i++)
		in[i] = 0x1000000000ULL + i;
	r = mpdp_ring_create("b", 256, flags, &err);
	REQUIRE(r != NULL);
	CHECK_EQ(mpdp_ring_count(r), 0);
	CHECK_EQ(mpdp_ring_free_count(r), 255);
	/* bulk: all or nothing */
	CHECK_EQ(mpdp_ring_enqueue_bulk(r, in, 256, &fs), 0);
	CHECK_EQ(fs, 255);
	CHECK_EQ(mpdp_ring_enqueue_bulk(r, in, 200, &fs), 200);
	CHECK_EQ(fs, 55);
	CHECK_EQ(mpdp_ring_enqueue_bulk(r, in + 200, 56, NULL), 0);
	/* burst: as many as fit */
	CHECK_EQ(mpdp_ring_enqueue_burst(r, in + 200, 100, &fs), 55);
	CHECK_EQ(fs, 0);
	CHECK_EQ(mpdp_ring_count(r), 255);
	CHECK_EQ(mpdp_ring_enqueue(r, 1), -ENOBUFS);
	CHECK_EQ(mpdp_ring_dequeue_bulk(r, out, 256, &av), 0);
	CHECK_EQ(av, 255);
	CHECK_EQ(mpdp_ring_dequeue_bulk(r, out, 100, &av), 100);
	CHECK_EQ(av, 155);
	CHECK_EQ(mpdp_ring_dequeue_burst(r, out + 100, 200, &av), 155);
	CHECK_EQ(av, 0);
	CHECK(memcmp(in, out, 255 * sizeof(in[0])) == 0);
	uint64_t v;
	CHECK_EQ(mpdp_ring_dequeue(r, &v), -ENOENT);

	/* wrap-around many times with odd batch sizes, FIFO order kept */
	uint64_t next_in = 0, next_out = 0;
	for (unsigned int round = 0; round < 5000; round++) {
		unsigned int k = 1 + round % 37;
		uint64_t batch[64];

		for (unsigned int i = 0; i < k; i++)
			batch[i] = next_in + i;
		n = (round & 1) ? mpdp_ring_mp_enqueue_burst(r, batch, k, NULL)
				: mpdp_ring_sp_enqueue_burst(r, batch, k, NULL);
		next_in += n;
		n = (round & 2) ? mpdp_ring_mc_dequeue_burst(r, batch, k / 2 + 1, NULL)
				: mpdp_ring_sc_dequeue_burst(r, batch, k / 2 + 1, NULL);
		for (unsigned int i = 0; i < n; i++)
			if (batch[i] != next_out + i) {
				CHECK(batch[i] == next_out + i);
				break;
			}
		next_out += n;
	}
	CHECK_EQ(mpdp_ring_count(r), next_in - next_out);
	mpdp_ring_free(r);
}

/*
 * Every batch size at every starting slot: the copy helpers have a 4-wide
 * loop, a 2- and a 1-value tail and a wrap-around path, and the counts
 * returned must be exact in one thread.
 */
static void test_copy_sizes(unsigned int flags)
{
	uint64_t in[64], out[64];
	struct mpdp_ring *r;
	unsigned int fs, av;
	uint64_t v = 0;
	int err, bad = 0;

	r = mpdp_ring_create("c", 64, flags, &err);
	REQUIRE(r != NULL);
	for (unsigned int start = 0; start < 64 && !bad; start++) {
		for (unsigned int n = 1; n <= 63 && !bad; n++) {
			/* move head and tail to slot `start` */
			while ((v & 63) != start) {
				bad |= mpdp_ring_enqueue(r, v) != 0;
				bad |= mpdp_ring_dequeue(r, &out[0]) != 0 || out[0] != v;
				v++;
			}
			for (unsigned int i = 0; i < n; i++)
				in[i] = v + i;
			bad |= mpdp_ring_enqueue_bulk(r, in, n, &fs) != n || fs != 63 - n;
			memset(out, 0, sizeof(out));
			bad |= mpdp_ring_dequeue_bulk(r, out, n, &av) != n || av != 0;
			bad |= memcmp(in, out, n * sizeof(in[0])) != 0;
			v += n;
			if (bad)
				fprintf(stderr, "copy of %u values from slot %u\n", n, start);
		}
	}
	CHECK(!bad);

	/* one value at a time: fill, refuse, drain in order, refuse */
	for (unsigned int i = 0; i < 63; i++)
		CHECK_EQ(mpdp_ring_enqueue(r, 1000 + i), 0);
	CHECK_EQ(mpdp_ring_enqueue(r, 1), -ENOBUFS);
	CHECK_EQ(mpdp_ring_count(r), 63);
	for (unsigned int i = 0; i < 63; i++) {
		CHECK_EQ(mpdp_ring_dequeue(r, &v), 0);
		CHECK_EQ(v, 1000 + i);
	}
	CHECK_EQ(mpdp_ring_dequeue(r, &v), -ENOENT);
	CHECK_EQ(mpdp_ring_count(r), 0);
	mpdp_ring_free(r);
}

static void test_ptr(void)
{
	struct mpdp_memzone mz;
	struct mpdp_ring *r;
	void *objs[8], *back[8];
	int err;

	CHECK_EQ(mpdp_memzone_reserve("objs", 8 * 64, 0, &mz), 0);
	r = mpdp_ring_create("p", 16, 0, &err);
	REQUIRE(r != NULL);
	for (int i = 0; i < 8; i++)
		objs[i] = (uint8_t *)mz.addr + i * 64;
	CHECK_EQ(mpdp_ring_enqueue_burst_ptr(r, objs, 8, NULL), 8);
	/* what is in the ring are offsets, the same in every process */
	CHECK_EQ(r->slots[0], mz.offset);
	CHECK_EQ(r->slots[7], mz.offset + 7 * 64);
	CHECK_EQ(mpdp_ring_dequeue_burst_ptr(r, back, 8, NULL), 8);
	CHECK(memcmp(objs, back, sizeof(objs)) == 0);
	mpdp_ring_free(r);
	mpdp_memzone_free("objs");
}

/* Two producers and two consumers (threads): every value arrives exactly once. */
#define MT_PER_PRODUCER 200000
struct mt_ctx {
	struct mpdp_ring *r;
	_Atomic uint64_t consumed;
	uint8_t *seen;
	_Atomic int dup;
	int id;
};
struct mt_arg {
	struct mt_ctx *c;
	int id;
};

static void *mt_producer(void *p)
{
	struct mt_arg *a = p;
	uint64_t batch[16];
	uint64_t next = 0;

	while (next < MT_PER_PRODUCER) {
		unsigned int k = 1 + next % 16;

		if (k > MT_PER_PRODUCER - next)
			k = (unsigned int)(MT_PER_PRODUCER - next);
		for (unsigned int i = 0; i < k; i++)
			batch[i] = (uint64_t)a->id * MT_PER_PRODUCER + next + i;
		next += mpdp_ring_mp_enqueue_burst(a->c->r, batch, k, NULL);
	}
	return NULL;
}

static void *mt_consumer(void *p)
{
	struct mt_arg *a = p;
	uint64_t batch[16];

	while (atomic_load(&a->c->consumed) < 2ULL * MT_PER_PRODUCER) {
		unsigned int n = mpdp_ring_mc_dequeue_burst(a->c->r, batch, 16, NULL);

		for (unsigned int i = 0; i < n; i++) {
			if (batch[i] >= 2ULL * MT_PER_PRODUCER || a->c->seen[batch[i]]++)
				atomic_store(&a->c->dup, 1);
		}
		atomic_fetch_add(&a->c->consumed, n);
	}
	return NULL;
}

static void test_mpmc_threads(void)
{
	struct mt_ctx c = { 0 };
	struct mt_arg args[4];
	pthread_t th[4];
	int err;

	c.r = mpdp_ring_create("mt", 1024, 0, &err);
	REQUIRE(c.r != NULL);
	c.seen = calloc(2 * MT_PER_PRODUCER, 1);
	REQUIRE(c.seen != NULL);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct mt_arg){ &c, i % 2 };
		pthread_create(&th[i], NULL, i < 2 ? mt_producer : mt_consumer, &args[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&c.dup), 0);
	CHECK_EQ(atomic_load(&c.consumed), 2 * MT_PER_PRODUCER);
	for (unsigned int i = 0; i < 2 * MT_PER_PRODUCER; i++)
		if (c.seen[i] != 1) {
			CHECK_EQ(c.seen[i], 1);
			break;
		}
	CHECK_EQ(mpdp_ring_count(c.r), 0);
	free(c.seen);
	mpdp_ring_free(c.r);
}

int main(void)
{
	unit_rt_setup("ring");
	REQUIRE(unit_init("--no-huge", "--mem", "64M", NULL) > 0);
	test_create();
	test_bulk_burst(0);
	test_bulk_burst(MPDP_RING_F_SP_ENQ | MPDP_RING_F_SC_DEQ);
	test_copy_sizes(0);
	test_copy_sizes(MPDP_RING_F_SP_ENQ | MPDP_RING_F_SC_DEQ);
	test_ptr();
	test_mpmc_threads();
	mpdp_ring_free(NULL);
	mpdp_cleanup();
	CHECK_RT_EMPTY();
	unit_exit();
}
