/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_memzone.c - memzones in a primary, in-process: reserve, lookup, free,
 * walk; alignment; zero fill; every documented error; the table limit;
 * first-fit reuse of a freed gap; walk order and early stop. Also the offset
 * helpers of mpdp_shm.h and their bounds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit_util.h"

#define MB (1024 * 1024)

static struct mpdp_heap_info heap;

static int all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static int count_cb(const struct mpdp_memzone *mz, void *arg)
{
	(void)mz;
	(*(int *)arg)++;
	return 0;
}

static int nb_memzones(void)
{
	int n = 0, rc = mpdp_memzone_walk(count_cb, &n);

	CHECK_EQ(rc, n);
	return rc;
}

static void test_before_init(void)
{
	struct mpdp_memzone mz;

	CHECK_EQ(mpdp_memzone_reserve("early", 64, 0, &mz), -ENODEV);
	CHECK_EQ(mpdp_memzone_lookup("early", &mz), -ENODEV);
	CHECK_EQ(mpdp_memzone_free("early"), -ENODEV);
	CHECK_EQ(mpdp_memzone_walk(count_cb, &(int){ 0 }), -ENODEV);
	CHECK(mpdp_shm_base_ == NULL);
	CHECK_EQ(mpdp_shm_len_, 0);
	CHECK(!mpdp_shm_off_valid(4096, 1));
}

static void test_basic(void)
{
	struct mpdp_memzone a, b;

	CHECK_EQ(mpdp_memzone_reserve("mz.a", 1000, 0, &a), 0);
	CHECK(strcmp(a.name, "mz.a") == 0);
	CHECK(a.len >= 1000);
	CHECK(a.offset != MPDP_SHM_NULL);
	CHECK_EQ(a.offset % MPDP_CACHE_LINE_SIZE, 0); /* align 0 = cache line */
	CHECK(a.addr == mpdp_shm_ptr(a.offset));
	CHECK(mpdp_shm_contains(a.addr, a.len));
	CHECK_EQ(a.owner_pid, getpid());
	CHECK(all_zero(a.addr, a.len));
	memset(a.addr, 0x5a, a.len);

	memset(&b, 0, sizeof(b));
	CHECK_EQ(mpdp_memzone_lookup("mz.a", &b), 0);
	CHECK(strcmp(b.name, "mz.a") == 0);
	CHECK(b.addr == a.addr);
	CHECK_EQ(b.offset, a.offset);
	CHECK_EQ(b.len, a.len);
	CHECK_EQ(b.owner_pid, a.owner_pid);
	CHECK_EQ(mpdp_memzone_lookup("mz.a", NULL), 0); /* existence check only */
	CHECK_EQ(mpdp_memzone_lookup("mz.none", &b), -ENOENT);
	CHECK_EQ(nb_memzones(), 1);

	/* without an output struct */
	CHECK_EQ(mpdp_memzone_reserve("mz.noout", 64, 0, NULL), 0);
	CHECK_EQ(mpdp_memzone_lookup("mz.noout", &b), 0);
	CHECK_EQ(mpdp_memzone_free("mz.noout"), 0);

	CHECK_EQ(mpdp_memzone_free("mz.a"), 0);
	CHECK_EQ(mpdp_memzone_lookup("mz.a", &b), -ENOENT);
	CHECK_EQ(mpdp_memzone_free("mz.a"), -ENOENT);
	CHECK_EQ(nb_memzones(), 0);
}

static void test_zero_fill(void)
{
	struct mpdp_memzone a, b;

	/* dirty a zone, free it, reserve the same size: first fit, same place, clean */
	CHECK_EQ(mpdp_memzone_reserve("zf", 256 * 1024, 4096, &a), 0);
	memset(a.addr, 0xff, a.len);
	CHECK_EQ(mpdp_memzone_free("zf"), 0);
	CHECK_EQ(mpdp_memzone_reserve("zf2", 256 * 1024, 4096, &b), 0);
	CHECK_EQ(b.offset, a.offset);
	CHECK(all_zero(b.addr, b.len));
	/* a smaller zone in the same dirty place is clean too */
	memset(b.addr, 0xee, b.len);
	CHECK_EQ(mpdp_memzone_free("zf2"), 0);
	CHECK_EQ(mpdp_memzone_reserve("zf3", 100, 0, &a), 0);
	CHECK_EQ(a.offset, b.offset);
	CHECK(all_zero(a.addr, a.len));
	CHECK_EQ(mpdp_memzone_free("zf3"), 0);
}

static void test_alignment(void)
{
	static const size_t aligns[] = { 64, 128, 4096, 65536, 2 * MB, 4 * MB };
	struct mpdp_memzone pad, mz;
	char name[32];

	/* an odd-sized zone first, so that alignment has work to do */
	CHECK_EQ(mpdp_memzone_reserve("al.pad", 100, 0, &pad), 0);
	for (size_t i = 0; i < MPDP_DIM(aligns); i++) {
		snprintf(name, sizeof(name), "al.%zu", aligns[i]);
		CHECK_EQ(mpdp_memzone_reserve(name, 3000, aligns[i], &mz), 0);
		/* the offset and the address: they agree in every process only if both are */
		if (mz.offset % aligns[i] != 0 || (uintptr_t)mz.addr % aligns[i] != 0) {
			fprintf(stderr, "  align %zu: offset %#llx addr %p (heap base %p)\n",
				aligns[i], (unsigned long long)mz.offset, mz.addr,
				(void *)mpdp_shm_base_);
			CHECK_EQ(mz.offset % aligns[i], 0);
			CHECK_EQ((uintptr_t)mz.addr % aligns[i], 0);
		}
		CHECK(all_zero(mz.addr, mz.len));
		/* and the tiny one after it lands right after it, not on the boundary */
		snprintf(name, sizeof(name), "al.small.%zu", aligns[i]);
		CHECK_EQ(mpdp_memzone_reserve(name, 64, 1, &mz), 0);
	}
	CHECK_EQ(nb_memzones(), 1 + 2 * (int)MPDP_DIM(aligns));
	for (size_t i = 0; i < MPDP_DIM(aligns); i++) {
		snprintf(name, sizeof(name), "al.%zu", aligns[i]);
		CHECK_EQ(mpdp_memzone_free(name), 0);
		snprintf(name, sizeof(name), "al.small.%zu", aligns[i]);
		CHECK_EQ(mpdp_memzone_free(name), 0);
	}
	CHECK_EQ(mpdp_memzone_free("al.pad"), 0);
	/* an alignment larger than the heap cannot be met */
	CHECK_EQ(mpdp_memzone_reserve("al.huge", 64, (size_t)1 << 40, &mz), -ENOMEM);
}

static void test_errors(void)
{
	char name31[32], name32[33];
	struct mpdp_memzone mz, untouched;

	memset(name31, 'n', 31);
	name31[31] = '\0';
	memset(name32, 'n', 32);
	name32[32] = '\0';

	CHECK_EQ(mpdp_memzone_reserve("err.a", 64, 0, &mz), 0);
	memset(&untouched, 0xa5, sizeof(untouched));
	mz = untouched;
	CHECK_EQ(mpdp_memzone_reserve("err.a", 64, 0, &mz), -EEXIST);
	CHECK(memcmp(&mz, &untouched, sizeof(mz)) == 0); /* outputs untouched on failure */
	CHECK_EQ(mpdp_memzone_reserve("err.a", 128, 4096, NULL), -EEXIST);

	/* names: 31 characters fit MPDP_NAME_SIZE, 32 do not */
	CHECK_EQ(mpdp_memzone_reserve(name31, 64, 0, &mz), 0);
	CHECK(strcmp(mz.name, name31) == 0);
	CHECK_EQ(mpdp_memzone_lookup(name31, &mz), 0);
	CHECK_EQ(mpdp_memzone_free(name31), 0);
	CHECK_EQ(mpdp_memzone_reserve(name32, 64, 0, &mz), -ENAMETOOLONG);
	CHECK_EQ(mpdp_memzone_lookup(name32, &mz), -ENAMETOOLONG);
	CHECK_EQ(mpdp_memzone_free(name32), -ENAMETOOLONG);

	/* invalid arguments */
	mz = untouched;
	CHECK_EQ(mpdp_memzone_reserve("err.b", 0, 0, &mz), -EINVAL);
	CHECK_EQ(mpdp_memzone_reserve("err.b", 64, 3, &mz), -EINVAL);
	CHECK_EQ(mpdp_memzone_reserve("err.b", 64, 4096 + 64, &mz), -EINVAL);
	CHECK_EQ(mpdp_memzone_reserve("", 64, 0, &mz), -EINVAL);
	CHECK_EQ(mpdp_memzone_reserve(NULL, 64, 0, &mz), -EINVAL);
	CHECK_EQ(mpdp_memzone_lookup("", &mz), -EINVAL);
	CHECK_EQ(mpdp_memzone_free(NULL), -EINVAL);
	CHECK(memcmp(&mz, &untouched, sizeof(mz)) == 0);

	/* too big: larger than the heap, larger than what is free, absurd */
	CHECK_EQ(mpdp_memzone_reserve("err.big", heap.len + 1, 0, &mz), -ENOMEM);
	CHECK_EQ(mpdp_memzone_reserve("err.big", heap.len, 0, &mz), -ENOMEM);        /* header */
	CHECK_EQ(mpdp_memzone_reserve("err.big", heap.len - 4096, 0, &mz), -ENOMEM); /* err.a */
	CHECK_EQ(mpdp_memzone_reserve("err.big", SIZE_MAX, 0, &mz), -ENOMEM);
	CHECK_EQ(mpdp_memzone_reserve("err.big", SIZE_MAX - 63, 0, &mz), -ENOMEM);
	CHECK(memcmp(&mz, &untouched, sizeof(mz)) == 0);
	CHECK_EQ(mpdp_memzone_lookup("err.big", NULL), -ENOENT);

	/* the rest of the heap is usable: everything after err.a, to the last byte */
	CHECK_EQ(mpdp_memzone_free("err.a"), 0);
	CHECK_EQ(mpdp_memzone_reserve("err.all", heap.len - 4096, 0, &mz), 0);
	CHECK_EQ(mz.offset, 4096);
	CHECK_EQ(mz.offset + mz.len, heap.len);
	CHECK_EQ(mpdp_memzone_reserve("err.more", 64, 0, NULL), -ENOMEM);
	CHECK_EQ(mpdp_memzone_free("err.all"), 0);
	CHECK_EQ(nb_memzones(), 0);
}

static void test_table_full(void)
{
	struct mpdp_memzone mz;
	char name[32];
	int rc = 0, n;

	for (n = 0; n < MPDP_MAX_MEMZONES; n++) {
		snprintf(name, sizeof(name), "full.%d", n);
		rc = mpdp_memzone_reserve(name, 64, 0, NULL);
		if (rc != 0)
			break;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(n, MPDP_MAX_MEMZONES);
	CHECK_EQ(nb_memzones(), MPDP_MAX_MEMZONES);
	memset(&mz, 0, sizeof(mz));
	CHECK_EQ(mpdp_memzone_reserve("full.extra", 64, 0, &mz), -ENOSPC);
	CHECK(mz.addr == NULL);
	/* lookups still work, a name already there is still -EEXIST */
	CHECK_EQ(mpdp_memzone_lookup("full.1000", &mz), 0);
	/* one freed slot is one more zone */
	CHECK_EQ(mpdp_memzone_free("full.500"), 0);
	CHECK_EQ(mpdp_memzone_reserve("full.extra", 64, 0, &mz), 0);
	CHECK_EQ(mpdp_memzone_reserve("full.extra2", 64, 0, &mz), -ENOSPC);
	CHECK_EQ(mpdp_memzone_free("full.extra"), 0);
	for (n = 0; n < MPDP_MAX_MEMZONES; n++) {
		snprintf(name, sizeof(name), "full.%d", n);
		CHECK_EQ(mpdp_memzone_free(name), n == 500 ? -ENOENT : 0);
	}
	CHECK_EQ(nb_memzones(), 0);
}

static void test_fragmentation(void)
{
	struct mpdp_memzone a, b, c, d, e;

	CHECK_EQ(mpdp_memzone_reserve("fr.a", MB, 0, &a), 0);
	CHECK_EQ(mpdp_memzone_reserve("fr.b", MB, 0, &b), 0);
	CHECK_EQ(mpdp_memzone_reserve("fr.c", MB, 0, &c), 0);
	CHECK_EQ(b.offset, a.offset + a.len); /* first fit packs them */
	CHECK_EQ(c.offset, b.offset + b.len);
	CHECK_EQ(mpdp_memzone_free("fr.b"), 0);
	/* too big for the gap: goes after c */
	CHECK_EQ(mpdp_memzone_reserve("fr.e", MB + 64, 0, &e), 0);
	CHECK(e.offset >= c.offset + c.len);
	/* fits the gap exactly */
	CHECK_EQ(mpdp_memzone_reserve("fr.d", MB, 0, &d), 0);
	CHECK_EQ(d.offset, b.offset);
	/* the gap is full now */
	CHECK_EQ(mpdp_memzone_reserve("fr.f", 64, 0, &b), 0);
	CHECK(b.offset >= e.offset + e.len);
	/* two half-size zones fill a freed gap side by side */
	CHECK_EQ(mpdp_memzone_free("fr.d"), 0);
	CHECK_EQ(mpdp_memzone_reserve("fr.h1", MB / 2, 0, &d), 0);
	CHECK_EQ(mpdp_memzone_reserve("fr.h2", MB / 2, 0, &e), 0);
	CHECK_EQ(d.offset, a.offset + a.len);
	CHECK_EQ(e.offset, d.offset + d.len);
	CHECK_EQ(e.offset + e.len, c.offset);
	static const char *const names[] = { "fr.a", "fr.c", "fr.e", "fr.f", "fr.h1", "fr.h2" };
	for (size_t i = 0; i < MPDP_DIM(names); i++)
		CHECK_EQ(mpdp_memzone_free(names[i]), 0);
	CHECK_EQ(nb_memzones(), 0);
}

struct walk_log {
	unsigned int n;
	mpdp_shm_off_t offsets[16];
	char names[16][MPDP_NAME_SIZE];
	unsigned int stop_at; /* return 42 from this call (1-based), 0: never */
};

static int walk_cb(const struct mpdp_memzone *mz, void *arg)
{
	struct walk_log *w = arg;

	if (w->n < MPDP_DIM(w->offsets)) {
		w->offsets[w->n] = mz->offset;
		snprintf(w->names[w->n], MPDP_NAME_SIZE, "%s", mz->name);
		CHECK(mz->addr == mpdp_shm_ptr(mz->offset));
	}
	w->n++;
	return w->n == w->stop_at ? 42 : 0;
}

static void test_walk(void)
{
	struct walk_log w;

	/*
	 * Make table order differ from heap order: x, y, z take slots 0-2;
	 * freeing x and reserving a bigger w puts w in slot 0 but after z.
	 */
	CHECK_EQ(mpdp_memzone_reserve("wk.x", 4096, 0, NULL), 0);
	CHECK_EQ(mpdp_memzone_reserve("wk.y", 4096, 0, NULL), 0);
	CHECK_EQ(mpdp_memzone_reserve("wk.z", 4096, 0, NULL), 0);
	CHECK_EQ(mpdp_memzone_free("wk.x"), 0);
	CHECK_EQ(mpdp_memzone_reserve("wk.w", 8192, 0, NULL), 0);
	CHECK_EQ(mpdp_memzone_reserve("wk.v", 64, 0, NULL), 0); /* into x's old place */

	memset(&w, 0, sizeof(w));
	CHECK_EQ(mpdp_memzone_walk(walk_cb, &w), 4);
	CHECK_EQ(w.n, 4);
	static const char *const order[] = { "wk.v", "wk.y", "wk.z", "wk.w" };
	for (unsigned int i = 0; i < 4 && i < w.n; i++) {
		CHECK(strcmp(w.names[i], order[i]) == 0);
		if (i > 0)
			CHECK(w.offsets[i] > w.offsets[i - 1]);
	}

	/* early stop: the callback's value comes back, nothing after it is visited */
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	CHECK_EQ(mpdp_memzone_walk(walk_cb, &w), 42);
	CHECK_EQ(w.n, 2);
	memset(&w, 0, sizeof(w));
	w.stop_at = 1;
	CHECK_EQ(mpdp_memzone_walk(walk_cb, &w), 42);
	CHECK_EQ(w.n, 1);

	static const char *const all[] = { "wk.v", "wk.y", "wk.z", "wk.w" };
	for (size_t i = 0; i < MPDP_DIM(all); i++)
		CHECK_EQ(mpdp_memzone_free(all[i]), 0);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(mpdp_memzone_walk(walk_cb, &w), 0);
	CHECK_EQ(w.n, 0);
}

static void test_shm_helpers(void)
{
	struct mpdp_memzone mz;
	const uint64_t len = heap.len;
	uint8_t *base = heap.base;
	int local;

	CHECK(mpdp_shm_base_ == heap.base);
	CHECK_EQ(mpdp_shm_len_, heap.len);
	CHECK_EQ(mpdp_memzone_reserve("shm.obj", 512, 0, &mz), 0);
	/* round trips */
	CHECK(mpdp_shm_ptr(mz.offset) == mz.addr);
	CHECK_EQ(mpdp_shm_off(mz.addr), mz.offset);
	CHECK_EQ(mpdp_shm_off((uint8_t *)mz.addr + 100), mz.offset + 100);
	CHECK(MPDP_SHM_PTR(uint64_t, mz.offset) == (uint64_t *)mz.addr);
	for (mpdp_shm_off_t off = 4096; off < len; off += len / 7)
		CHECK_EQ(mpdp_shm_off(mpdp_shm_ptr(off)), off);
	/* the null offset and the null pointer map to each other */
	CHECK(mpdp_shm_ptr(MPDP_SHM_NULL) == NULL);
	CHECK_EQ(mpdp_shm_off(NULL), MPDP_SHM_NULL);

	/* mpdp_shm_off_valid: bounds of an offset a peer wrote */
	CHECK(!mpdp_shm_off_valid(0, 1)); /* the null offset never */
	CHECK(!mpdp_shm_off_valid(0, 0));
	CHECK(mpdp_shm_off_valid(1, 1));
	CHECK(mpdp_shm_off_valid(mz.offset, mz.len));
	CHECK(mpdp_shm_off_valid(len - 8, 8)); /* the last bytes */
	CHECK(mpdp_shm_off_valid(len - 1, 1));
	CHECK(!mpdp_shm_off_valid(len - 7, 8)); /* one past */
	CHECK(!mpdp_shm_off_valid(len, 1));     /* the end */
	CHECK(mpdp_shm_off_valid(len, 0));      /* empty range at the end */
	CHECK(!mpdp_shm_off_valid(len + 1, 0));
	CHECK(mpdp_shm_off_valid(1, len - 1));
	CHECK(!mpdp_shm_off_valid(1, len));         /* the whole heap from offset 1 */
	CHECK(!mpdp_shm_off_valid(4096, SIZE_MAX)); /* off + len would wrap */
	CHECK(!mpdp_shm_off_valid(UINT64_MAX, 1));
	CHECK(!mpdp_shm_off_valid(UINT64_MAX - 3, 8));
	CHECK(!mpdp_shm_off_valid((uint64_t)1 << 63, 1));
	CHECK(!mpdp_shm_off_valid(len - 8, SIZE_MAX - 4));

	/* mpdp_shm_contains: pointers of this process */
	CHECK(mpdp_shm_contains(base, len));
	CHECK(mpdp_shm_contains(base, 0));
	CHECK(mpdp_shm_contains(base + len - 1, 1));
	CHECK(mpdp_shm_contains(base + len, 0));
	CHECK(!mpdp_shm_contains(base + len, 1));
	CHECK(!mpdp_shm_contains(base, len + 1));
	CHECK(!mpdp_shm_contains(base + 1, len));
	CHECK(!mpdp_shm_contains(base + 8, SIZE_MAX));
	CHECK(!mpdp_shm_contains(NULL, 1));
	CHECK(!mpdp_shm_contains(&local, sizeof(local)));
	CHECK(mpdp_shm_contains(mz.addr, mz.len));
	CHECK_EQ(mpdp_memzone_free("shm.obj"), 0);
}

int main(void)
{
	int n;

	unit_rt_setup("memzone");
	test_before_init();
	/* enough heap for 2 and 4 MiB alignment and 1024 small zones */
	n = unit_init("--no-huge", "--mem", "32M", "--proc-type", "primary", NULL);
	REQUIRE(n > 0);
	REQUIRE(mpdp_heap_info(&heap) == 0);
	test_basic();
	test_zero_fill();
	test_alignment();
	test_errors();
	test_table_full();
	test_fragmentation();
	test_walk();
	test_shm_helpers();
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
	test_before_init(); /* and after cleanup: the same refusals, no stale base */
	unit_exit();
}
