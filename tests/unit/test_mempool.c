/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mempool.c - mpdp_mempool in one process (a primary with lcores 0-1
 * when CPUs 0 and 1 are available, else the main lcore alone):
 *
 *   create/lookup by name and every documented error; parameters (obj_init,
 *   user_data, poison_skip); get/put single and bulk with and without a
 *   cache, from the main lcore, a worker lcore and a non-lcore thread;
 *   exhaustion (bulk is all or nothing, the pool is left as it was);
 *   statistics; avail/in_use; the "ring" and "stack" backends and one
 *   registered here ("test"); from_obj/from_id, obj_iter/obj_at; the audit
 *   (clean, cached, held, duplicated); cache_flush; reclaim_lcores;
 *   walk/info_get; debug pools (double free, foreign object, write after
 *   free, poison); free and re-create; the pool table limit; and in ASan
 *   builds, that an object in the lcore cache is ASan-poisoned (a child
 *   process reading one dies with a use-after-poison report).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_mempool.h>

#include "unit_util.h"

/* Debug is the default in ASan builds: pools that test plain behaviour say no. */
#define F_NODEBUG MPDP_MEMPOOL_F_NO_DEBUG


static int have_worker; /* lcore 1 is a worker of this process */

/* ---- helpers ------------------------------------------------------------ */


static int count_mz_cb(const struct mpdp_memzone *mz, void *arg)
{
	(void)mz;
	(*(int *)arg)++;
	return 0;
}

static int nb_memzones(void)
{
	int n = 0;

	CHECK_EQ(mpdp_memzone_walk(count_mz_cb, &n), n);
	return n;
}

static int count_pool_cb(const struct mpdp_mempool_info *info, void *arg)
{
	(void)info;
	(*(int *)arg)++;
	return 0;
}

static int nb_pools(void)
{
	int n = 0;

	CHECK_EQ(mpdp_mempool_walk(count_pool_cb, &n), n);
	return n;
}

static struct mpdp_mempool_info pool_info(const struct mpdp_mempool *mp)
{
	struct mpdp_mempool_info info;

	memset(&info, 0, sizeof(info));
	CHECK_EQ(mpdp_mempool_info_get(mp, &info), 0);
	return info;
}

static struct mpdp_mempool_stats pool_stats(const struct mpdp_mempool *mp)
{
	struct mpdp_mempool_stats st;

	memset(&st, 0xa5, sizeof(st));
	mpdp_mempool_stats_get(mp, &st);
	return st;
}

static struct mpdp_mempool *make_pool(const char *name, unsigned int n, unsigned int elt_size,
				      unsigned int cache_size, unsigned int flags,
				      const char *ops_name)
{
	struct mpdp_mempool_params params = { .ops_name = ops_name };
	struct mpdp_mempool *mp;
	int err = 0;

	mp = mpdp_mempool_create(name, n, elt_size, cache_size, flags, &params, &err);
	if (mp == NULL)
		fprintf(stderr, "  create '%s' (n %u, elt %u, cache %u, flags %#x, ops %s): %d\n",
			name, n, elt_size, cache_size, flags, ops_name ? ops_name : "(null)", err);
	return mp;
}

/* Audit expecting a clean pool with `held` objects out; returns the report. */
static struct mpdp_mempool_audit audit_clean(struct mpdp_mempool *mp, unsigned int held, int line)
{
	struct mpdp_mempool_audit rep;
	int rc;

	memset(&rep, 0xa5, sizeof(rep));
	rc = mpdp_mempool_audit(mp, &rep, NULL, NULL);
	if (rc != 0 || rep.size != mp->size || rep.in_use != held || rep.duplicates != 0 ||
	    rep.bad_entries != 0 || rep.in_backend + rep.in_caches + rep.in_use != rep.size ||
	    rep.stats_in_use != held) {
		fprintf(stderr,
			"  audit of '%s' (line %d): rc %d size %u backend %u caches %u in_use %u "
			"(want %u) dup %u bad %u stats_in_use %llu\n",
			mp->name, line, rc, rep.size, rep.in_backend, rep.in_caches, rep.in_use,
			held, rep.duplicates, rep.bad_entries,
			(unsigned long long)rep.stats_in_use);
		unit_fail(__FILE__, line, "audit not clean");
	}
	return rep;
}
#define AUDIT_CLEAN(mp, held) audit_clean((mp), (held), __LINE__)

/* Every object pointer is one of mp's, at its index, and no index twice. */
static int objs_distinct_valid(struct mpdp_mempool *mp, void *const *objs, unsigned int n)
{
	uint8_t *seen = calloc(mp->size, 1);
	int ok = seen != NULL;

	for (unsigned int i = 0; ok && i < n; i++) {
		struct mpdp_mempool_objhdr_shm *h;

		if (objs[i] == NULL || mpdp_mempool_from_obj(objs[i]) != mp) {
			ok = 0;
			break;
		}
		h = mpdp_mempool_objhdr(objs[i]);
		if (h->pool_id != mp->id || h->index >= mp->size || seen[h->index] ||
		    mpdp_mempool_obj_at(mp, h->index) != objs[i])
			ok = 0;
		else
			seen[h->index] = 1;
	}
	free(seen);
	return ok;
}

/* ---- a backend registered by the test ----------------------------------- */

/* A LIFO of offsets in a memzone, under a spinlock (any process may use it). */
struct tb_shm {
	atomic_flag lock;
	uint32_t cap;
	uint32_t count;
	uint32_t reserved;
	uint64_t offs[];
};

static _Atomic unsigned int tb_creates, tb_attaches, tb_detaches, tb_destroys, tb_enqueues,
	tb_dequeues;
static int tb_create_rc; /* non-zero: create fails with it */

static void tb_zone_name(const struct mpdp_mempool *mp, char *buf, size_t len)
{
	snprintf(buf, len, "tb.%s", mp->shm->name);
}

static void tb_lock(struct tb_shm *s)
{
	while (atomic_flag_test_and_set_explicit(&s->lock, memory_order_acquire))
		sched_yield();
}

static void tb_unlock(struct tb_shm *s)
{
	atomic_flag_clear_explicit(&s->lock, memory_order_release);
}

static int tb_create(struct mpdp_mempool *mp)
{
	struct mpdp_memzone mz;
	char name[MPDP_NAME_SIZE];
	uint32_t cap = mp->shm->size;
	struct tb_shm *s;
	int rc;

	atomic_fetch_add(&tb_creates, 1);
	if (tb_create_rc != 0)
		return tb_create_rc;
	tb_zone_name(mp, name, sizeof(name));
	rc = mpdp_memzone_reserve(name, sizeof(*s) + (size_t)cap * sizeof(uint64_t), 0, &mz);
	if (rc != 0)
		return rc;
	s = mz.addr;
	atomic_flag_clear(&s->lock);
	s->cap = cap;
	s->count = 0;
	mp->shm->backend_off = mz.offset;
	mp->backend = s;
	return 0;
}

static int tb_attach(struct mpdp_mempool *mp)
{
	atomic_fetch_add(&tb_attaches, 1);
	if (!mpdp_shm_off_valid(mp->shm->backend_off, sizeof(struct tb_shm)))
		return -EPROTO;
	mp->backend = mpdp_shm_ptr(mp->shm->backend_off);
	return 0;
}

static void tb_detach(struct mpdp_mempool *mp)
{
	atomic_fetch_add(&tb_detaches, 1);
	mp->backend = NULL;
}

static void tb_destroy(struct mpdp_mempool *mp)
{
	char name[MPDP_NAME_SIZE];

	atomic_fetch_add(&tb_destroys, 1);
	tb_zone_name(mp, name, sizeof(name));
	CHECK_EQ(mpdp_memzone_free(name), 0);
}

static int tb_enqueue(struct mpdp_mempool *mp, const uint64_t *offs, unsigned int n)
{
	struct tb_shm *s = mp->backend;
	int rc = 0;

	atomic_fetch_add(&tb_enqueues, 1);
	tb_lock(s);
	if (s->count + n > s->cap) {
		rc = -ENOBUFS;
	} else {
		memcpy(&s->offs[s->count], offs, n * sizeof(uint64_t));
		s->count += n;
	}
	tb_unlock(s);
	return rc;
}

static int tb_dequeue(struct mpdp_mempool *mp, uint64_t *offs, unsigned int n)
{
	struct tb_shm *s = mp->backend;
	int rc = 0;

	atomic_fetch_add(&tb_dequeues, 1);
	tb_lock(s);
	if (s->count < n) {
		rc = -ENOENT;
	} else {
		for (unsigned int i = 0; i < n; i++)
			offs[i] = s->offs[s->count - 1 - i];
		s->count -= n;
	}
	tb_unlock(s);
	return rc;
}

static unsigned int tb_count(const struct mpdp_mempool *mp)
{
	const struct tb_shm *s = mp->backend;

	return s->count;
}

static int tb_walk(const struct mpdp_mempool *mp, int (*cb)(uint64_t off, void *arg), void *arg)
{
	const struct tb_shm *s = mp->backend;

	for (uint32_t i = 0; i < s->count; i++) {
		int rc = cb(s->offs[i], arg);

		if (rc != 0)
			return rc;
	}
	return 0;
}

static const struct mpdp_mempool_ops tb_ops = {
	.name = "test",
	.create = tb_create,
	.attach = tb_attach,
	.detach = tb_detach,
	.destroy = tb_destroy,
	.enqueue = tb_enqueue,
	.dequeue = tb_dequeue,
	.count = tb_count,
	.walk = tb_walk,
};

static void test_ops_register(void)
{
	static struct mpdp_mempool_ops bad;
	static const struct mpdp_mempool_ops dup_ring = {
		.name = "ring",
		.create = tb_create,
		.attach = tb_attach,
		.detach = tb_detach,
		.destroy = tb_destroy,
		.enqueue = tb_enqueue,
		.dequeue = tb_dequeue,
		.count = tb_count,
		.walk = tb_walk,
	};

	CHECK_EQ(mpdp_mempool_ops_register(&tb_ops), 0);
	CHECK_EQ(mpdp_mempool_ops_register(&tb_ops), -EEXIST);
	CHECK_EQ(mpdp_mempool_ops_register(&dup_ring), -EEXIST); /* built in */
	CHECK_EQ(mpdp_mempool_ops_register(NULL), -EINVAL);

	bad = tb_ops;
	bad.name = NULL;
	CHECK_EQ(mpdp_mempool_ops_register(&bad), -EINVAL);
	bad.name = "";
	CHECK_EQ(mpdp_mempool_ops_register(&bad), -EINVAL);
	bad.name = "sixteen-chars-xx"; /* does not fit MPDP_MEMPOOL_OPS_NAME_SIZE with its NUL */
	CHECK_EQ(strlen(bad.name), MPDP_MEMPOOL_OPS_NAME_SIZE);
	CHECK_EQ(mpdp_mempool_ops_register(&bad), -EINVAL);
	bad = tb_ops;
	bad.name = "no-enqueue";
	bad.enqueue = NULL;
	CHECK_EQ(mpdp_mempool_ops_register(&bad), -EINVAL);
	bad = tb_ops;
	bad.name = "no-dequeue";
	bad.dequeue = NULL;
	CHECK_EQ(mpdp_mempool_ops_register(&bad), -EINVAL);
	bad = tb_ops;
	bad.name = "no-count";
	bad.count = NULL;
	CHECK_EQ(mpdp_mempool_ops_register(&bad), -EINVAL);
	bad = tb_ops;
	bad.name = "no-create";
	bad.create = NULL;
	CHECK_EQ(mpdp_mempool_ops_register(&bad), -EINVAL);
}

/* A backend whose create fails: the pool create fails and leaves nothing. */
static void test_backend_create_fails(void)
{
	static struct mpdp_mempool_ops failing;
	struct mpdp_mempool *mp;
	int mz0 = nb_memzones(), pools0 = nb_pools(), err = 0;
	unsigned int creates0 = tb_creates;
	struct mpdp_mempool_params params = { .ops_name = "test-fail" };

	failing = tb_ops;
	failing.name = "test-fail";
	CHECK_EQ(mpdp_mempool_ops_register(&failing), 0);
	tb_create_rc = -ENOMEM;
	mp = mpdp_mempool_create("bf", 64, 32, 0, 0, &params, &err);
	tb_create_rc = 0;
	CHECK(mp == NULL);
	CHECK_EQ(err, -ENOMEM);
	CHECK_EQ(tb_creates, creates0 + 1);
	CHECK_EQ(nb_memzones(), mz0);
	CHECK_EQ(nb_pools(), pools0);
	CHECK(mpdp_mempool_lookup("bf", &err) == NULL);
	CHECK_EQ(err, -ENOENT);
	/* the name is free: a working backend can have it now */
	mp = make_pool("bf", 64, 32, 0, 0, "test");
	CHECK(mp != NULL);
	mpdp_mempool_free(mp);
	CHECK_EQ(nb_memzones(), mz0);
}

/* ---- create, lookup, errors --------------------------------------------- */

static unsigned int init_calls, init_bad;
static const uint8_t user_blob[MPDP_MEMPOOL_USER_DATA_SIZE] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static void obj_init_cb(struct mpdp_mempool *mp, void *obj, unsigned int idx, uint64_t iova,
			void *arg)
{
	if (arg != &init_calls || idx != init_calls || iova != mpdp_mem_iova(obj) ||
	    mpdp_mempool_objhdr(obj)->index != idx || mp->size == 0 ||
	    (uintptr_t)obj % MPDP_CACHE_LINE_SIZE != 0)
		init_bad++;
	memset(obj, (int)(idx & 0xff), mp->elt_size);
	init_calls++;
}

static void test_create_lookup(void)
{
	struct mpdp_mempool_params params;
	struct mpdp_mempool *mp, *mp2;
	char name25[26], name26[27];
	int mz0 = nb_memzones(), err;

	memset(name25, 'p', 25);
	name25[25] = '\0';
	memset(name26, 'p', 26);
	name26[26] = '\0';
	CHECK_EQ(MPDP_MEMPOOL_NAME_SIZE, 26);

	/* obj_init is called for every object, in order, with its IOVA */
	memset(&params, 0, sizeof(params));
	params.obj_init = obj_init_cb;
	params.obj_init_arg = &init_calls;
	params.user_data = user_blob;
	params.user_data_len = sizeof(user_blob);
	init_calls = init_bad = 0;
	err = 1;
	mp = mpdp_mempool_create("cl.a", 100, 200, 16, F_NODEBUG, &params, &err);
	REQUIRE(mp != NULL);
	mz0 = nb_memzones();
	CHECK_EQ(init_calls, 100);
	CHECK_EQ(init_bad, 0);
	CHECK(memcmp(mp->shm->user_data, user_blob, sizeof(user_blob)) == 0);
	CHECK(strcmp(mp->name, "cl.a") == 0);
	CHECK(strcmp(mp->shm->name, "cl.a") == 0);
	CHECK(strcmp(mp->shm->ops_name, "ring") == 0); /* the default backend */
	CHECK(mp->ring != NULL);
	CHECK_EQ(mp->size, 100);
	CHECK_EQ(mp->elt_size, 200);
	CHECK_EQ(mp->cache_size, 16);
	CHECK(mp->cache_flushthresh >= mp->cache_size);
	CHECK(mp->total_elt_size >= 200 + sizeof(struct mpdp_mempool_objhdr_shm));
	CHECK_EQ(mp->total_elt_size % MPDP_CACHE_LINE_SIZE, 0);
	CHECK_EQ(mp->flags & MPDP_MEMPOOL_F_DEBUG, 0);
	CHECK_EQ(mp->shm->magic, MPDP_MEMPOOL_MAGIC);
	CHECK_EQ(mp->shm->creator_pid, getpid());
	CHECK_EQ(mp->shm->id, mp->id);
	CHECK(mp->id < MPDP_MEMPOOL_MAX);
	/* obj_init's writes survive (no poison in a non-debug pool) */
	CHECK_EQ(((uint8_t *)mpdp_mempool_obj_at(mp, 7))[199], 7);

	/* lookup: the same handle, every time */
	err = 1;
	mp2 = mpdp_mempool_lookup("cl.a", &err);
	CHECK(mp2 == mp);
	CHECK(mpdp_mempool_lookup("cl.a", NULL) == mp);
	CHECK(mpdp_mempool_from_id(mp->id) == mp);
	CHECK(mpdp_mempool_from_id(MPDP_MEMPOOL_MAX) == NULL);
	CHECK(mpdp_mempool_from_id(UINT32_MAX) == NULL);
	CHECK(mpdp_mempool_lookup("cl.none", &err) == NULL);
	CHECK_EQ(err, -ENOENT);

	/* errors, each leaving nothing behind */
#define CREATE_FAILS(want, ...)                                         \
	do {                                                            \
		struct mpdp_mempool *bad_;                              \
		err = 1;                                                \
		bad_ = mpdp_mempool_create(__VA_ARGS__, &err);          \
		CHECK(bad_ == NULL);                                    \
		CHECK_EQ(err, want);                                    \
		if (bad_ != NULL && bad_ != mp)                         \
			mpdp_mempool_free(bad_); /* keep the rest meaningful */ \
	} while (0)
	CREATE_FAILS(-EEXIST, "cl.a", 100, 200, 16, 0, NULL);
	CREATE_FAILS(-EEXIST, "cl.a", 10, 8, 0, 0, NULL); /* whatever the geometry */
	CREATE_FAILS(-EINVAL, "cl.b", 0, 64, 0, 0, NULL);
	CREATE_FAILS(-EINVAL, "cl.b", 64, 0, 0, 0, NULL);
	CREATE_FAILS(-EINVAL, "cl.b", 4096, 64, MPDP_MEMPOOL_CACHE_MAX + 1, 0, NULL);
	/* caches cannot starve the pool: the flush threshold (cache_size * 3 / 2,
	 * rounded down) must not exceed n */
	CREATE_FAILS(-EINVAL, "cl.b", 150, 64, 101, 0, NULL); /* 151 > 150 */
	CREATE_FAILS(-EINVAL, "cl.b", 10, 64, 8, 0, NULL);    /* 12 > 10 */
	CREATE_FAILS(-EINVAL, "cl.b", 2, 64, 2, 0, NULL);     /* 3 > 2 */
	CREATE_FAILS(-EINVAL, "cl.b", 64, 64, 0, 0x80000000u, NULL);
	CREATE_FAILS(-EINVAL, "cl.b", 64, 64, 0, 0x100u, NULL);
	CREATE_FAILS(-EINVAL, "", 64, 64, 0, 0, NULL);
	CREATE_FAILS(-EINVAL, NULL, 64, 64, 0, 0, NULL);
	CREATE_FAILS(-ENAMETOOLONG, name26, 64, 64, 0, 0, NULL);
	memset(&params, 0, sizeof(params));
	params.ops_name = "no-such-backend";
	unit_log_capture();
	CREATE_FAILS(-ENOTSUP, "cl.b", 64, 64, 0, 0, &params);
	CHECK_EQ(unit_log_count(), 1); /* logged, naming the backend */
	CHECK(unit_log_count() == 0 || strstr(unit_log_get(0)->message, "no-such-backend") != NULL);
	unit_log_release();
	memset(&params, 0, sizeof(params));
	params.user_data = user_blob;
	params.user_data_len = MPDP_MEMPOOL_USER_DATA_SIZE + 1;
	CREATE_FAILS(-EINVAL, "cl.b", 64, 64, 0, 0, &params);
	memset(&params, 0, sizeof(params));
	params.poison_skip = 65; /* more than the object */
	CREATE_FAILS(-EINVAL, "cl.b", 64, 64, 0, 0, &params);
	/* header + object would not fit 32 bits: must not wrap into a tiny pool */
	err = 1;
	CHECK(mpdp_mempool_create("cl.b", 4, UINT32_MAX - 16, 0, 0, NULL, &err) == NULL);
	CHECK(err == -EINVAL || err == -ENOMEM);
	err = 1;
	CHECK(mpdp_mempool_create("cl.b", 1u << 20, 1u << 20, 0, 0, NULL, &err) == NULL);
	CHECK(err == -ENOMEM || err == -EINVAL);
	CHECK(mpdp_mempool_create("cl.b", 0, 64, 0, 0, NULL, NULL) == NULL); /* err optional */
#undef CREATE_FAILS
	CHECK(mpdp_mempool_lookup("cl.b", &err) == NULL);
	CHECK_EQ(err, -ENOENT);
	CHECK(mpdp_mempool_lookup(name26, &err) == NULL);
	CHECK_EQ(err, -ENAMETOOLONG);
	CHECK_EQ(nb_memzones(), mz0); /* the failures left nothing */

	/* edges that are valid */
	mp2 = make_pool(name25, 150, 1, 100, 0, NULL); /* longest name, threshold = n */
	CHECK(mp2 != NULL);
	CHECK(mpdp_mempool_lookup(name25, NULL) == mp2);
	mpdp_mempool_free(mp2);
	mp2 = make_pool("cl.c7", 10, 1, 7, 0, NULL); /* threshold 10 = n */
	CHECK(mp2 != NULL);
	mpdp_mempool_free(mp2);
	mp2 = make_pool("cl.cmax", 1024, 8, MPDP_MEMPOOL_CACHE_MAX, 0, NULL);
	CHECK(mp2 != NULL);
	mpdp_mempool_free(mp2);
	mp2 = make_pool("cl.one", 1, 8, 0, MPDP_MEMPOOL_F_SP_PUT | MPDP_MEMPOOL_F_SC_GET, NULL);
	CHECK(mp2 != NULL);
	if (mp2 != NULL) {
		void *o = NULL, *o2 = NULL;

		CHECK_EQ(mpdp_mempool_get(mp2, &o), 0);
		CHECK_EQ(mpdp_mempool_get(mp2, &o2), -ENOENT);
		mpdp_mempool_put(mp2, o);
		CHECK_EQ(mpdp_mempool_get(mp2, &o2), 0);
		CHECK(o2 == o);
		mpdp_mempool_put(mp2, o2);
		AUDIT_CLEAN(mp2, 0);
		mpdp_mempool_free(mp2);
	}
	mpdp_mempool_free(NULL);

	/* free, then the same name again */
	mz0 = nb_memzones();
	mpdp_mempool_free(mp);
	CHECK(mpdp_mempool_lookup("cl.a", &err) == NULL);
	CHECK_EQ(err, -ENOENT);
	CHECK(nb_memzones() < mz0);
	mz0 = nb_memzones();
	mp = make_pool("cl.a", 30, 16, 4, 0, "stack");
	REQUIRE(mp != NULL);
	CHECK(mpdp_mempool_lookup("cl.a", NULL) == mp);
	CHECK(strcmp(pool_info(mp).ops_name, "stack") == 0);
	CHECK_EQ(mp->size, 30);
	CHECK_EQ(mpdp_mempool_avail_count(mp), 30);
	CHECK_EQ(pool_stats(mp).get_ok_objs, 0); /* fresh statistics */
	mpdp_mempool_free(mp);
	CHECK_EQ(nb_memzones(), mz0);
}

/* ---- get and put -------------------------------------------------------- */

struct thread_job {
	struct mpdp_mempool *mp;
	unsigned int n;
	unsigned int lcore;
	int rc_get;
	int rc_fail;
	unsigned int in_caches_during;
	int distinct;
	void *objs[256];
};

/* A thread the runtime did not start: no lcore id, no cache. */
static void *nonlcore_fn(void *arg)
{
	struct thread_job *j = arg;
	void **objs = j->objs;

	j->lcore = mpdp_lcore_id();
	j->rc_get = mpdp_mempool_get_bulk(j->mp, objs, j->n);
	if (j->rc_get == 0) {
		j->distinct = objs_distinct_valid(j->mp, objs, j->n);
		j->in_caches_during = pool_info(j->mp).in_caches;
		for (unsigned int i = 0; i < j->n; i++)
			memset(objs[i], 0x11, j->mp->elt_size);
		mpdp_mempool_put_bulk(j->mp, objs, j->n / 2);
		for (unsigned int i = j->n / 2; i < j->n; i++)
			mpdp_mempool_put(j->mp, objs[i]);
	}
	j->rc_fail = mpdp_mempool_get_bulk(j->mp, objs, j->mp->size + 1);
	mpdp_mempool_cache_flush(j->mp); /* no-op here */
	return NULL;
}

static void test_getput(const char *ops, unsigned int cache_size, unsigned int flags)
{
	enum {
		N = 200
	};
	struct mpdp_mempool_stats st0, st;
	struct mpdp_mempool_info info;
	struct mpdp_mempool *mp;
	static void *objs[N + 1];
	void *o = NULL, *o2 = NULL;
	char name[MPDP_MEMPOOL_NAME_SIZE];
	unsigned int got, caches0;
	struct thread_job job;
	pthread_t t;

	snprintf(name, sizeof(name), "gp.%s.%u.%x", ops, cache_size, flags);
	mp = make_pool(name, N, 100, cache_size, flags | F_NODEBUG, ops);
	REQUIRE(mp != NULL);
	CHECK(strcmp(mp->shm->ops_name, ops) == 0);
	CHECK_EQ(mp->flags & ~(unsigned int)MPDP_MEMPOOL_F_DEBUG, flags);
	CHECK_EQ(mpdp_mempool_avail_count(mp), N);
	CHECK_EQ(mpdp_mempool_in_use_count(mp), 0);
	info = pool_info(mp);
	CHECK_EQ(info.in_backend, N);
	CHECK_EQ(info.in_caches, 0);
	st0 = pool_stats(mp);
	CHECK_EQ(st0.get_ok_objs + st0.get_fail_calls + st0.get_fail_objs +
			 st0.put_objs + st0.in_use + st0.debug_errors,
		 0);

	/* one object */
	CHECK_EQ(mpdp_mempool_get(mp, &o), 0);
	CHECK(objs_distinct_valid(mp, &o, 1));
	CHECK_EQ((uintptr_t)o % MPDP_CACHE_LINE_SIZE, 0);
	memset(o, 0xab, mp->elt_size); /* all of it is ours */
	CHECK_EQ(mpdp_mempool_avail_count(mp), N - 1);
	CHECK_EQ(mpdp_mempool_in_use_count(mp), 1);
	info = pool_info(mp);
	CHECK_EQ(info.in_backend + info.in_caches, N - 1);
	if (cache_size == 0)
		CHECK_EQ(info.in_caches, 0);
	else /* refilled to cache_size + 1 in one move, one served */
		CHECK_EQ(info.in_caches, cache_size);
	AUDIT_CLEAN(mp, 1);
	mpdp_mempool_put(mp, o);
	CHECK_EQ(mpdp_mempool_avail_count(mp), N);
	CHECK_EQ(mpdp_mempool_in_use_count(mp), 0);
	if (cache_size != 0) {
		/* LIFO cache: the object just put is the next one got */
		CHECK_EQ(pool_info(mp).in_caches, cache_size + 1);
		CHECK_EQ(mpdp_mempool_get(mp, &o2), 0);
		CHECK(o2 == o);
		mpdp_mempool_put(mp, o2);
	} else if (strcmp(ops, "stack") == 0 || strcmp(ops, "test") == 0) {
		CHECK_EQ(mpdp_mempool_get(mp, &o2), 0); /* LIFO backends */
		CHECK(o2 == o);
		mpdp_mempool_put(mp, o2);
	}
	st = pool_stats(mp);
	CHECK_EQ(st.get_ok_objs, o2 != NULL ? 2 : 1);
	CHECK_EQ(st.put_objs, o2 != NULL ? 2 : 1);
	CHECK_EQ(st.in_use, 0);
	CHECK_EQ(st.get_fail_calls, 0);

	/* bulk: distinct objects, counted */
	st0 = pool_stats(mp);
	CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 50), 0);
	CHECK(objs_distinct_valid(mp, objs, 50));
	CHECK_EQ(mpdp_mempool_in_use_count(mp), 50);
	AUDIT_CLEAN(mp, 50);
	st = pool_stats(mp);
	CHECK_EQ(st.get_ok_objs - st0.get_ok_objs, 50);
	CHECK_EQ(st.in_use, 50);
	mpdp_mempool_put_bulk(mp, objs, 50);
	st = pool_stats(mp);
	CHECK_EQ(st.put_objs - st0.put_objs, 50);
	CHECK_EQ(st.in_use, 0);
	CHECK_EQ(mpdp_mempool_in_use_count(mp), 0);
	/* zero objects: nothing moves */
	CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 0), 0);
	mpdp_mempool_put_bulk(mp, objs, 0);
	CHECK_EQ(mpdp_mempool_avail_count(mp), N);

	/* a cached pool: a bulk get of cache_size or more, a put above the flush
	 * threshold, go around the cache */
	if (cache_size != 0) {
		caches0 = pool_info(mp).in_caches;
		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, cache_size), 0);
		CHECK_EQ(pool_info(mp).in_caches, caches0);
		mpdp_mempool_put_bulk(mp, objs, cache_size);
		CHECK(pool_info(mp).in_caches <= mp->cache_flushthresh);
		mpdp_mempool_cache_flush(mp);
		CHECK_EQ(pool_info(mp).in_caches, 0);
		CHECK_EQ(pool_info(mp).in_backend, N);
		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, mp->cache_flushthresh + 1), 0);
		CHECK_EQ(pool_info(mp).in_caches, 0);
		mpdp_mempool_put_bulk(mp, objs, mp->cache_flushthresh + 1);
		CHECK_EQ(pool_info(mp).in_caches, 0);
		/* singles: the cache grows up to the threshold, never past it */
		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 2 * mp->cache_flushthresh), 0);
		for (unsigned int i = 0; i < 2 * mp->cache_flushthresh; i++) {
			mpdp_mempool_put(mp, objs[i]);
			CHECK(pool_info(mp).in_caches <= mp->cache_flushthresh);
		}
		CHECK(pool_info(mp).in_caches >= mp->cache_size);
		CHECK_EQ(mpdp_mempool_avail_count(mp), N);
		AUDIT_CLEAN(mp, 0);
	}

	/* everything, by mixed bulk sizes; then nothing is left. (A cached get of
	 * k > 1 may fail while the cache and the backend together hold k; see
	 * test_cached_get_uses_cache. Singles always succeed while any is free.) */
	got = 0;
	while (got < N) {
		unsigned int k = (got / 7) % 2 ? 7 : 1;

		if (k > N - got)
			k = N - got;
		if (mpdp_mempool_get_bulk(mp, &objs[got], k) != 0 &&
		    (k == 1 || mpdp_mempool_get_bulk(mp, &objs[got], k = 1) != 0))
			break;
		got += k;
	}
	CHECK_EQ(got, N);
	CHECK(objs_distinct_valid(mp, objs, got));
	CHECK_EQ(mpdp_mempool_avail_count(mp), N - got);
	CHECK_EQ(mpdp_mempool_in_use_count(mp), got);
	st0 = pool_stats(mp);
	CHECK_EQ(mpdp_mempool_get(mp, &o), -ENOENT);
	CHECK_EQ(mpdp_mempool_get_bulk(mp, &objs[N], 1), -ENOENT);
	st = pool_stats(mp);
	CHECK_EQ(st.get_fail_calls - st0.get_fail_calls, 2);
	CHECK_EQ(st.get_fail_objs - st0.get_fail_objs, 2);
	CHECK_EQ(st.get_ok_objs, st0.get_ok_objs);
	CHECK_EQ(st.in_use, N);
	AUDIT_CLEAN(mp, got);
	mpdp_mempool_put_bulk(mp, objs, got);
	CHECK_EQ(mpdp_mempool_avail_count(mp), N);

	/* all or nothing: too many fails and takes nothing, in every size regime */
	static const unsigned int held_cases[] = { 0, 60, 130, 199 };
	for (size_t c = 0; c < MPDP_DIM(held_cases); c++) {
		unsigned int held = held_cases[c], free_now = N - held;

		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, held), 0);
		/* a get of cache_size or more never looks in the cache: empty it, so
		 * that "all that is free" is all in the backend */
		mpdp_mempool_cache_flush(mp);
		st0 = pool_stats(mp);
		CHECK_EQ(mpdp_mempool_get_bulk(mp, &objs[held], free_now + 1), -ENOENT);
		CHECK_EQ(mpdp_mempool_avail_count(mp), free_now);
		if (free_now >= 2) {
			CHECK_EQ(mpdp_mempool_get_bulk(mp, &objs[held], free_now + 2), -ENOENT);
			CHECK_EQ(mpdp_mempool_avail_count(mp), free_now);
		}
		st = pool_stats(mp);
		CHECK_EQ(st.get_ok_objs, st0.get_ok_objs);
		CHECK_EQ(st.in_use, held);
		AUDIT_CLEAN(mp, held);
		/* and exactly what is free succeeds */
		CHECK_EQ(mpdp_mempool_get_bulk(mp, &objs[held], free_now), 0);
		CHECK(objs_distinct_valid(mp, objs, N));
		CHECK_EQ(mpdp_mempool_avail_count(mp), 0);
		mpdp_mempool_put_bulk(mp, objs, N);
		CHECK_EQ(mpdp_mempool_avail_count(mp), N);
	}
	AUDIT_CLEAN(mp, 0);

	/* a thread without an lcore id: straight to the backend, shared counters */
	mpdp_mempool_cache_flush(mp);
	st0 = pool_stats(mp);
	memset(&job, 0, sizeof(job));
	job.mp = mp;
	job.n = 40;
	CHECK_EQ(pthread_create(&t, NULL, nonlcore_fn, &job), 0);
	pthread_join(t, NULL);
	CHECK_EQ(job.lcore, MPDP_LCORE_ANY);
	CHECK_EQ(job.rc_get, 0);
	CHECK(job.distinct);
	CHECK_EQ(job.in_caches_during, 0);
	CHECK_EQ(job.rc_fail, -ENOENT);
	info = pool_info(mp);
	CHECK_EQ(info.in_caches, 0);
	CHECK_EQ(info.in_backend, N);
	st = pool_stats(mp);
	CHECK_EQ(st.get_ok_objs - st0.get_ok_objs, 40);
	CHECK_EQ(st.get_fail_calls - st0.get_fail_calls, 1);
	CHECK_EQ(st.get_fail_objs - st0.get_fail_objs, N + 1);
	CHECK_EQ(st.put_objs - st0.put_objs, 40);
	CHECK_EQ(st.in_use, 0);
	CHECK_EQ(pool_info(mp).stats.get_ok_objs, st.get_ok_objs);
	AUDIT_CLEAN(mp, 0);

	mpdp_mempool_free(mp);
}

/*
 * A cached get that the cache and the backend could serve together. The
 * header: "Get exactly n objects or none". Here the cache holds 3, the
 * backend 3, and a get of 5 asks for more than the cache holds but less than
 * cache_size, so the refill (cache_size + n - len) is tried, fails, and the
 * fallback asks the backend alone for all 5.
 */
static void test_cached_get_uses_cache(void)
{
	struct mpdp_mempool *mp = make_pool("gc", 24, 32, 8, F_NODEBUG, NULL);
	void *objs[24];
	unsigned int held = 0;
	int rc;

	REQUIRE(mp != NULL);
	CHECK_EQ(mpdp_mempool_get_bulk(mp, &objs[held], 5), 0); /* cache 8, backend 11 */
	held += 5;
	CHECK_EQ(mpdp_mempool_get_bulk(mp, &objs[held], 5), 0); /* cache 3, backend 11 */
	held += 5;
	CHECK_EQ(mpdp_mempool_get_bulk(mp, &objs[held], 8), 0); /* direct: backend 3 */
	held += 8;
	CHECK_EQ(pool_info(mp).in_caches, 3);
	CHECK_EQ(pool_info(mp).in_backend, 3);
	rc = mpdp_mempool_get_bulk(mp, &objs[held], 5);
	CHECK(rc == 0);
	if (rc == 0)
		held += 5;
	CHECK_EQ(mpdp_mempool_avail_count(mp), 24 - held);
	mpdp_mempool_put_bulk(mp, objs, held);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

/* ---- objects ------------------------------------------------------------ */

struct iter_ctx {
	struct mpdp_mempool *mp;
	unsigned int n;
	unsigned int bad;
	void *prev;
};

static void iter_cb(struct mpdp_mempool *mp, void *obj, unsigned int idx, void *arg)
{
	struct iter_ctx *c = arg;

	if (mp != c->mp || idx != c->n || obj != mpdp_mempool_obj_at(mp, idx) ||
	    mpdp_mempool_objhdr(obj)->index != idx || mpdp_mempool_objhdr(obj)->pool_id != mp->id ||
	    mpdp_mempool_from_obj(obj) != mp ||
	    (c->prev != NULL && (uint8_t *)obj - (uint8_t *)c->prev != mp->total_elt_size))
		c->bad++;
	c->prev = obj;
	c->n++;
}

static void test_objects(void)
{
	struct mpdp_mempool *a = make_pool("ob.a", 37, 100, 0, F_NODEBUG, NULL);
	struct mpdp_mempool *b = make_pool("ob.b", 5, 8, 0, F_NODEBUG, "stack");
	struct iter_ctx c;
	void *o;

	REQUIRE(a != NULL && b != NULL);
	CHECK(a->id != b->id);
	memset(&c, 0, sizeof(c));
	c.mp = a;
	CHECK_EQ(mpdp_mempool_obj_iter(a, iter_cb, &c), 37);
	CHECK_EQ(c.n, 37);
	CHECK_EQ(c.bad, 0);
	memset(&c, 0, sizeof(c));
	c.mp = b;
	CHECK_EQ(mpdp_mempool_obj_iter(b, iter_cb, &c), 5);
	CHECK_EQ(c.bad, 0);
	CHECK(mpdp_mempool_obj_at(a, 37) == NULL);
	CHECK(mpdp_mempool_obj_at(a, UINT32_MAX) == NULL);
	CHECK(mpdp_mempool_obj_at(a, 0) != NULL);
	CHECK(mpdp_shm_contains(mpdp_mempool_obj_at(a, 36), 100));
	CHECK(mpdp_shm_contains(mpdp_mempool_objhdr(mpdp_mempool_obj_at(a, 0)),
				sizeof(struct mpdp_mempool_objhdr_shm)));
	/* objects do not overlap their neighbours' headers */
	CHECK((uint8_t *)mpdp_mempool_obj_at(a, 0) + a->elt_size <=
	      (uint8_t *)mpdp_mempool_objhdr(mpdp_mempool_obj_at(a, 1)));

	/* from_obj tells the pools apart */
	CHECK_EQ(mpdp_mempool_get(b, &o), 0);
	CHECK(mpdp_mempool_from_obj(o) == b);
	CHECK(mpdp_mempool_from_id(b->id) == b);
	mpdp_mempool_put(b, o);
	CHECK(mpdp_mempool_from_obj(mpdp_mempool_obj_at(a, 3)) == a);
	mpdp_mempool_free(a);
	mpdp_mempool_free(b);
}

/* ---- audit -------------------------------------------------------------- */

struct held_ctx {
	uint8_t seen[64];
	unsigned int calls;
	unsigned int bad;
	struct mpdp_mempool *mp;
};

static void held_cb(struct mpdp_mempool *mp, void *obj, unsigned int idx, void *arg)
{
	struct held_ctx *h = arg;

	h->calls++;
	if (mp != h->mp || idx >= 64 || obj != mpdp_mempool_obj_at(mp, idx) || h->seen[idx] != 1)
		h->bad++;
	else
		h->seen[idx] = 2;
}

static void test_audit(void)
{
	struct mpdp_mempool *mp = make_pool("au", 64, 32, 8, F_NODEBUG, NULL);
	struct mpdp_mempool_audit rep;
	struct held_ctx h;
	void *objs[64], *held[5];

	REQUIRE(mp != NULL);
	rep = AUDIT_CLEAN(mp, 0);
	CHECK_EQ(rep.size, 64);
	CHECK_EQ(rep.in_backend, 64);
	CHECK_EQ(rep.caches_nonempty, 0);

	/* held objects: in_use, handed to the callback, exactly those */
	CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 20), 0); /* direct (>= cache_size) */
	for (int i = 0; i < 5; i++)
		held[i] = objs[3 * i];
	for (int i = 0; i < 20; i++)
		if (i % 3 != 0 || i >= 15)
			mpdp_mempool_put(mp, objs[i]); /* into the main lcore's cache */
	memset(&h, 0, sizeof(h));
	h.mp = mp;
	for (int i = 0; i < 5; i++)
		h.seen[mpdp_mempool_objhdr(held[i])->index] = 1;
	memset(&rep, 0xa5, sizeof(rep));
	CHECK_EQ(mpdp_mempool_audit(mp, &rep, held_cb, &h), 0);
	CHECK_EQ(h.calls, 5);
	CHECK_EQ(h.bad, 0);
	for (int i = 0; i < 64; i++)
		CHECK(h.seen[i] == 0 || h.seen[i] == 2);
	CHECK_EQ(rep.in_use, 5);
	CHECK_EQ(rep.stats_in_use, 5);
	CHECK_EQ(rep.in_caches, pool_info(mp).in_caches);
	CHECK(rep.in_caches > 0);
	CHECK_EQ(rep.caches_nonempty, 1);
	CHECK_EQ(rep.in_backend + rep.in_caches, 59);
	CHECK_EQ(rep.duplicates, 0);
	CHECK_EQ(rep.bad_entries, 0);

	/* cache flush: the cached objects go to the backend */
	mpdp_mempool_cache_flush(mp);
	rep = AUDIT_CLEAN(mp, 5);
	CHECK_EQ(rep.in_caches, 0);
	CHECK_EQ(rep.caches_nonempty, 0);
	CHECK_EQ(rep.in_backend, 59);
	mpdp_mempool_cache_flush(mp); /* twice: nothing to do */
	CHECK_EQ(pool_info(mp).in_backend, 59);
	for (int i = 0; i < 5; i++)
		mpdp_mempool_put(mp, held[i]);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

/* A non-debug pool trusts its caller: a double put duplicates, and only the audit sees it. */
static void test_audit_duplicates(unsigned int cache_size)
{
	struct mpdp_mempool *mp;
	struct mpdp_mempool_audit rep;
	void *a, *b;
	char name[32];
	int rc;

	snprintf(name, sizeof(name), "ad.%u", cache_size);
	mp = make_pool(name, 32, 32, cache_size, F_NODEBUG, NULL);
	REQUIRE(mp != NULL);
	if (mp->flags & MPDP_MEMPOOL_F_DEBUG) {
		/* cannot make a non-debug pool in this build: the duplicate is refused instead */
		fprintf(stderr, "  %s: pool is a debug pool, duplicate test skipped\n", name);
		mpdp_mempool_free(mp);
		return;
	}
	CHECK_EQ(mpdp_mempool_get(mp, &a), 0);
	CHECK_EQ(mpdp_mempool_get(mp, &b), 0);
	mpdp_mempool_put(mp, a);
	mpdp_mempool_put(mp, a); /* the bug under test */
	memset(&rep, 0, sizeof(rep));
	rc = mpdp_mempool_audit(mp, &rep, NULL, NULL);
	CHECK_EQ(rc, -EBADMSG);
	CHECK_EQ(rep.duplicates, 1);
	CHECK_EQ(rep.bad_entries, 0);
	CHECK_EQ(rep.size, 32);
	/* a bad entry: an offset that names no object of the pool */
	if (cache_size != 0) {
		struct mpdp_mempool_lcore_shm *lc = mpdp_mempool_lcore_(mp, mpdp_lcore_id());
		uint64_t saved = lc->objs[0];

		lc->objs[0] = mpdp_shm_off(a) + 8;
		memset(&rep, 0, sizeof(rep));
		CHECK_EQ(mpdp_mempool_audit(mp, &rep, NULL, NULL), -EBADMSG);
		CHECK_EQ(rep.bad_entries, 1);
		lc->objs[0] = saved;
	}
	/* the pool is broken on purpose: destroy it, don't use it */
	mpdp_mempool_free(mp);
}

/* ---- debug pools -------------------------------------------------------- */

static int all_bytes(const void *p, int v, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != (uint8_t)v)
			return 0;
	return 1;
}

static void test_debug(const char *ops, unsigned int cache_size)
{
	struct mpdp_mempool_params params = { .ops_name = ops, .poison_skip = 16 };
	struct mpdp_mempool *mp, *other;
	struct mpdp_mempool_stats st;
	static void *objs[32];
	void *o, *f;
	uint8_t *p;
	char name[32];
	int err;

	snprintf(name, sizeof(name), "dbg.%s.%u", ops, cache_size);
	mp = mpdp_mempool_create(name, 32, 96, cache_size, MPDP_MEMPOOL_F_DEBUG, &params, &err);
	REQUIRE(mp != NULL);
	CHECK(mp->flags & MPDP_MEMPOOL_F_DEBUG);
	CHECK_EQ(mp->poison_skip, 16);

	/* fresh objects pass the get checks */
	CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 32), 0);
	CHECK_EQ(pool_stats(mp).debug_errors, 0);
	for (int i = 0; i < 32; i++)
		CHECK_EQ(mpdp_mempool_objhdr(objs[i])->cookie, MPDP_MEMPOOL_COOKIE_USED);
	mpdp_mempool_put_bulk(mp, objs, 32);
	CHECK_EQ(pool_stats(mp).debug_errors, 0);
	mpdp_mempool_cache_flush(mp);

	/* put poisons all but the first poison_skip bytes, and marks the cookie free */
	CHECK_EQ(mpdp_mempool_get(mp, &o), 0);
	memset(o, 0x3c, 96);
	mpdp_mempool_put(mp, o);
	CHECK_EQ(mpdp_mempool_objhdr(o)->cookie, MPDP_MEMPOOL_COOKIE_FREE);
	p = o;
	if (cache_size == 0) { /* (in the cache the object may be ASan-poisoned: not readable) */
		CHECK(all_bytes(p, 0x3c, 16));
		CHECK(all_bytes(p + 16, MPDP_MEMPOOL_POISON, 96 - 16));
	}

	/* double free: caught, counted, logged, not duplicated */
	unit_log_capture();
	mpdp_mempool_put(mp, o);
	unit_log_release();
	st = pool_stats(mp);
	CHECK_EQ(st.debug_errors, 1);
	CHECK_EQ(st.in_use, 0);
	CHECK(unit_log_count() >= 1);
	CHECK_EQ(mpdp_mempool_avail_count(mp), 32);
	AUDIT_CLEAN(mp, 0);
	if (cache_size == 0)
		CHECK(all_bytes(p, 0x3c, 16)); /* the rejected put did not touch it */

	/* a foreign object (another pool's), and a pointer into an object */
	other = make_pool("dbg.other", 4, 96, 0, F_NODEBUG, NULL);
	REQUIRE(other != NULL);
	CHECK_EQ(mpdp_mempool_get(other, &f), 0);
	memset(f, 0, 96);
	unit_log_capture();
	mpdp_mempool_put(mp, f);
	CHECK(unit_log_count() >= 1);
	CHECK_EQ(pool_stats(mp).debug_errors, 2);
	CHECK_EQ(mpdp_mempool_avail_count(mp), 32);
	CHECK_EQ(mpdp_mempool_avail_count(other), 3); /* still held, by us */
	mpdp_mempool_put(mp, (uint8_t *)f + 64);      /* its "header" is f's zeroed bytes */
	unit_log_release();
	CHECK_EQ(pool_stats(mp).debug_errors, 3);
	CHECK_EQ(mpdp_mempool_avail_count(mp), 32);
	mpdp_mempool_put(other, f);
	AUDIT_CLEAN(mp, 0);
	AUDIT_CLEAN(other, 0);
	mpdp_mempool_free(other);

	if (cache_size == 0) {
		/* a write after free, past poison_skip: found by the next get */
		unsigned int errs0 = (unsigned int)pool_stats(mp).debug_errors;

		CHECK_EQ(mpdp_mempool_get(mp, &o), 0);
		mpdp_mempool_put(mp, o);
		((volatile uint8_t *)o)[50] = 0;
		unit_log_capture();
		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 32), 0);
		unit_log_release();
		CHECK_EQ(pool_stats(mp).debug_errors, errs0 + 1);
		CHECK(unit_log_count() >= 1);
		mpdp_mempool_put_bulk(mp, objs, 32);
		/* a write inside poison_skip is allowed (those bytes are kept) */
		CHECK_EQ(mpdp_mempool_get(mp, &o), 0);
		mpdp_mempool_put(mp, o);
		((volatile uint8_t *)o)[3] = 0x77;
		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 32), 0);
		CHECK_EQ(pool_stats(mp).debug_errors, errs0 + 1);
		CHECK_EQ(((uint8_t *)o)[3], 0x77);
		mpdp_mempool_put_bulk(mp, objs, 32);
		AUDIT_CLEAN(mp, 0);
		/* a debug error is counted once, not again at the next clean cycle */
		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 32), 0);
		mpdp_mempool_put_bulk(mp, objs, 32);
		CHECK_EQ(pool_stats(mp).debug_errors, errs0 + 1);
	}
	mpdp_mempool_free(mp);
}

/* ---- walk, info --------------------------------------------------------- */

struct walk_ctx {
	unsigned int n;
	unsigned int stop_at;
	int found_a, found_b;
	struct mpdp_mempool_info a;
};

static int walk_cb(const struct mpdp_mempool_info *info, void *arg)
{
	struct walk_ctx *w = arg;

	if (strcmp(info->name, "wk.a") == 0) {
		w->found_a++;
		w->a = *info;
	}
	if (strcmp(info->name, "wk.b") == 0)
		w->found_b++;
	w->n++;
	return w->n == w->stop_at ? 42 : 0;
}

static void test_walk_info(void)
{
	struct mpdp_mempool *a = make_pool("wk.a", 50, 24, 4, F_NODEBUG, "stack");
	struct mpdp_mempool *b = make_pool("wk.b", 10, 24, 0, F_NODEBUG, NULL);
	struct mpdp_mempool_info info;
	struct walk_ctx w;
	void *objs[8];
	int n0;

	REQUIRE(a != NULL && b != NULL);
	CHECK_EQ(mpdp_mempool_get_bulk(a, objs, 3), 0);
	mpdp_mempool_put(a, objs[2]);
	info = pool_info(a);
	CHECK(strcmp(info.name, "wk.a") == 0);
	CHECK(strcmp(info.ops_name, "stack") == 0);
	CHECK_EQ(info.id, a->id);
	CHECK_EQ(info.flags, a->flags);
	CHECK_EQ(info.size, 50);
	CHECK_EQ(info.elt_size, 24);
	CHECK_EQ(info.total_elt_size, a->total_elt_size);
	CHECK_EQ(info.cache_size, 4);
	CHECK_EQ(info.in_backend + info.in_caches, 48);
	CHECK_EQ(info.in_caches, 4 + 1);
	CHECK_EQ(info.creator_pid, getpid());
	CHECK_EQ(info.offset, mpdp_shm_off(a->shm));
	CHECK_EQ(info.stats.get_ok_objs, 3);
	CHECK_EQ(info.stats.put_objs, 1);
	CHECK_EQ(info.stats.in_use, 2);

	memset(&w, 0, sizeof(w));
	n0 = mpdp_mempool_walk(walk_cb, &w);
	CHECK(n0 >= 2);
	CHECK_EQ(w.n, n0);
	CHECK_EQ(w.found_a, 1);
	CHECK_EQ(w.found_b, 1);
	CHECK(strcmp(w.a.ops_name, "stack") == 0);
	CHECK_EQ(w.a.id, info.id);
	CHECK_EQ(w.a.size, 50);
	CHECK_EQ(w.a.elt_size, 24);
	CHECK_EQ(w.a.cache_size, 4);
	CHECK_EQ(w.a.in_backend, info.in_backend);
	CHECK_EQ(w.a.in_caches, info.in_caches);
	CHECK_EQ(w.a.offset, info.offset);
	CHECK_EQ(w.a.stats.in_use, 2);
	CHECK_EQ(w.a.stats.get_ok_objs, info.stats.get_ok_objs);
	memset(&w, 0, sizeof(w));
	w.stop_at = 1;
	CHECK_EQ(mpdp_mempool_walk(walk_cb, &w), 42);
	CHECK_EQ(w.n, 1);
	mpdp_mempool_put_bulk(a, objs, 2);
	mpdp_mempool_free(b);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(mpdp_mempool_walk(walk_cb, &w), n0 - 1);
	CHECK_EQ(w.found_b, 0);
	mpdp_mempool_free(a);
	CHECK_EQ(nb_pools(), n0 - 2);
}

/* ---- backends ----------------------------------------------------------- */

static void test_test_backend(void)
{
	unsigned int c0 = tb_creates, enq0 = tb_enqueues, deq0 = tb_dequeues, des0 = tb_destroys;
	struct mpdp_mempool *mp = make_pool("tb.pool", 40, 16, 0, F_NODEBUG, "test");
	void *objs[40];

	REQUIRE(mp != NULL);
	CHECK_EQ(tb_creates, c0 + 1);
	CHECK(mp->ops == &tb_ops);
	CHECK(mp->ring == NULL);
	CHECK(mp->backend != NULL);
	CHECK_EQ(tb_count(mp), 40); /* populated through our enqueue */
	CHECK(tb_enqueues > enq0);
	CHECK(mpdp_mempool_lookup("tb.pool", NULL) == mp);
	CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 40), 0);
	CHECK(tb_dequeues > deq0);
	CHECK_EQ(tb_count(mp), 0);
	CHECK(objs_distinct_valid(mp, objs, 40));
	mpdp_mempool_put_bulk(mp, objs, 40);
	CHECK_EQ(tb_count(mp), 40);
	AUDIT_CLEAN(mp, 0); /* the audit walks our backend */
	mpdp_mempool_free(mp);
	CHECK_EQ(tb_destroys, des0 + 1);
}

/* ---- lcores ------------------------------------------------------------- */

struct worker_job {
	struct mpdp_mempool *mp;
	unsigned int lcore;
	unsigned int keep; /* objects put into the cache and left there */
	unsigned int cache_len;
	unsigned long iters;
	int bad;
};

static int worker_cache_fn(void *arg)
{
	struct worker_job *j = arg;
	void *objs[8];

	j->lcore = mpdp_lcore_id();
	if (mpdp_mempool_get_bulk(j->mp, objs, j->keep) != 0)
		return -1;
	mpdp_mempool_put_bulk(j->mp, objs, j->keep);
	j->cache_len = mpdp_mempool_lcore_(j->mp, j->lcore)->cache_len;
	return 0;
}

static int worker_churn_fn(void *arg)
{
	struct worker_job *j = arg;
	void *objs[40];

	for (unsigned long i = 0; i < j->iters; i++) {
		unsigned int k = 1 + (unsigned int)(i % 37);

		if (mpdp_mempool_get_bulk(j->mp, objs, k) != 0)
			continue; /* the other side holds them for now */
		for (unsigned int x = 0; x < k; x++) {
			if (*(volatile uint64_t *)objs[x] != 0)
				j->bad++;
			*(volatile uint64_t *)objs[x] = 1 + j->lcore; /* mine now */
		}
		for (unsigned int x = 0; x < k; x++) {
			if (*(volatile uint64_t *)objs[x] != 1 + j->lcore)
				j->bad++; /* somebody else got it too */
			*(volatile uint64_t *)objs[x] = 0;
		}
		mpdp_mempool_put_bulk(j->mp, objs, k);
	}
	return 0;
}

static void test_lcores(void)
{
	struct mpdp_mempool *mp, *mp2;
	struct worker_job j, jm;
	struct mpdp_mempool_info info;
	const unsigned int ml = mpdp_lcore_main();
	unsigned int main_len, moved;
	uint16_t lc1 = 1, lc0 = (uint16_t)ml;

	if (!have_worker) {
		fprintf(stderr, "  no worker lcore: worker tests skipped\n");
		return;
	}
	mp = make_pool("lc", 256, 64, 16, F_NODEBUG, NULL);
	mp2 = make_pool("lc2", 64, 64, 8, F_NODEBUG, "stack");
	REQUIRE(mp != NULL && mp2 != NULL);

	/* main lcore's cache */
	void *o[3];
	CHECK_EQ(mpdp_mempool_get_bulk(mp, o, 3), 0);
	mpdp_mempool_put_bulk(mp, o, 3);
	main_len = mpdp_mempool_lcore_(mp, ml)->cache_len;
	CHECK_EQ(main_len, 16 + 3);

	/* the worker fills its own cache, not main's */
	memset(&j, 0, sizeof(j));
	j.mp = mp;
	j.keep = 5;
	CHECK_EQ(mpdp_lcore_launch(1, worker_cache_fn, &j), 0);
	CHECK_EQ(mpdp_lcore_wait(1), 0);
	CHECK_EQ(j.lcore, 1);
	CHECK_EQ(j.cache_len, 16 + 5);
	CHECK_EQ(mpdp_mempool_lcore_(mp, 1)->cache_len, 16 + 5);
	CHECK_EQ(mpdp_mempool_lcore_(mp, ml)->cache_len, main_len);
	CHECK_EQ(mpdp_mempool_lcore_(mp, 1)->get_ok_objs, 5);
	CHECK_EQ(mpdp_mempool_lcore_(mp, 1)->put_objs, 5);
	CHECK_EQ(mpdp_mempool_lcore_(mp, ml)->get_ok_objs, 3);
	info = pool_info(mp);
	CHECK_EQ(info.in_caches, main_len + 16 + 5);
	CHECK_EQ(info.stats.get_ok_objs, 8);
	CHECK_EQ(mpdp_mempool_avail_count(mp), 256);
	memset(&j, 0, sizeof(j));
	j.mp = mp2;
	j.keep = 2;
	CHECK_EQ(mpdp_lcore_launch(1, worker_cache_fn, &j), 0);
	CHECK_EQ(mpdp_lcore_wait(1), 0);
	CHECK_EQ(pool_info(mp2).in_caches, 8 + 2);
	{
		struct mpdp_mempool_audit rep = AUDIT_CLEAN(mp, 0);

		CHECK_EQ(rep.caches_nonempty, 2);
		CHECK_EQ(rep.in_caches, main_len + 21);
	}

	/* reclaim lcore 1 (idle now): its cached objects in every pool go back */
	moved = mpdp_mempool_reclaim_lcores(&lc1, 1);
	CHECK_EQ(moved, 21 + 10);
	CHECK_EQ(mpdp_mempool_lcore_(mp, 1)->cache_len, 0);
	CHECK_EQ(mpdp_mempool_lcore_(mp2, 1)->cache_len, 0);
	CHECK_EQ(mpdp_mempool_lcore_(mp, ml)->cache_len, main_len); /* not main's */
	CHECK_EQ(pool_info(mp).in_caches, main_len);
	CHECK_EQ(pool_info(mp2).in_caches, 0);
	CHECK_EQ(pool_info(mp2).in_backend, 64);
	AUDIT_CLEAN(mp, 0);
	AUDIT_CLEAN(mp2, 0);
#ifdef MPDP_ASAN
	{
		/* reclaimed objects are in the backend now, where anybody may get them:
		 * they must not stay ASan-poisoned in this process */
		void *all[64];
		unsigned int poisoned = 0;

		mpdp_mempool_cache_flush(mp2);
		CHECK_EQ(mpdp_mempool_get_bulk(mp2, all, 64), 0); /* direct: >= cache_size */
		for (int i = 0; i < 64; i++)
			poisoned += __asan_address_is_poisoned(all[i]) != 0;
		CHECK(poisoned == 0);
		for (int i = 0; i < 64; i++) {
			/* workaround so the rest can run: see the check above */
			ASAN_UNPOISON_MEMORY_REGION(all[i], 64);
			memset(all[i], 0, 64);
		}
		mpdp_mempool_put_bulk(mp2, all, 64);
	}
#endif
	/* nothing for an lcore with empty caches; reclaiming main's lcore works too */
	CHECK_EQ(mpdp_mempool_reclaim_lcores(&lc1, 1), 0);
	CHECK_EQ(mpdp_mempool_reclaim_lcores(NULL, 0), 0);
	mpdp_mempool_cache_flush(mp2);
	CHECK_EQ(mpdp_mempool_reclaim_lcores(&lc0, 1), main_len);
	CHECK_EQ(pool_info(mp).in_caches, 0);
	CHECK_EQ(pool_info(mp).in_backend, 256);
#ifdef MPDP_ASAN
	{
		unsigned int poisoned = 0;

		for (unsigned int i = 0; i < 256; i++)
			if (__asan_address_is_poisoned(mpdp_mempool_obj_at(mp, i))) {
				poisoned++;
				/* workaround so the rest can run: see the check above */
				ASAN_UNPOISON_MEMORY_REGION(mpdp_mempool_obj_at(mp, i), 64);
			}
		/* reclaimed from main's own cache: in the backend now */
		CHECK(poisoned == 0);
	}
#endif

	/* main and worker churn the same pool at once; every object stays single */
	memset(&j, 0, sizeof(j));
	j.mp = mp;
	j.lcore = 1;
	j.iters = 100000;
	memset(&jm, 0, sizeof(jm));
	jm.mp = mp;
	jm.lcore = 0;
	jm.iters = 100000;
	for (unsigned int i = 0; i < 256; i++)
		memset(mpdp_mempool_obj_at(mp, i), 0, 64);
	CHECK_EQ(mpdp_lcore_launch(1, worker_churn_fn, &j), 0);
	worker_churn_fn(&jm);
	CHECK_EQ(mpdp_lcore_wait(1), 0);
	CHECK_EQ(j.bad, 0);
	CHECK_EQ(jm.bad, 0);
	CHECK_EQ(mpdp_mempool_avail_count(mp), 256);
	AUDIT_CLEAN(mp, 0);
	CHECK_EQ(pool_stats(mp).in_use, 0);
	CHECK_EQ(pool_info(mp).stats.get_ok_objs, pool_info(mp).stats.put_objs);
	mpdp_mempool_free(mp);
	mpdp_mempool_free(mp2);
}

/* ---- ASan --------------------------------------------------------------- */

#ifdef MPDP_ASAN
/*
 * In ASan builds an object in this process's lcore cache is poisoned: a read
 * after free is an ASan report at the faulting access. A forked child does
 * the read (it shares the heap; it _exits, so the parent's runtime is untouched).
 */
static void test_asan(void)
{
	struct mpdp_mempool *mp = make_pool("asan", 64, 64, 8, F_NODEBUG, NULL);
	char out[8192];
	size_t len = 0;
	int pipefd[2], status = 0;
	void *o;
	pid_t pid;

	REQUIRE(mp != NULL);

	/* in the parent, without touching: poisoned in the cache, clean once got */
	CHECK_EQ(mpdp_mempool_get(mp, &o), 0);
	CHECK(!__asan_address_is_poisoned(o));
	mpdp_mempool_put(mp, o);
	CHECK(__asan_address_is_poisoned(o));
	CHECK(__asan_address_is_poisoned((uint8_t *)o + 63));
	CHECK(!__asan_address_is_poisoned(mpdp_mempool_objhdr(o))); /* headers are not */
	CHECK_EQ(mpdp_mempool_get(mp, &o), 0);
	CHECK(!__asan_address_is_poisoned(o));
	CHECK(!__asan_address_is_poisoned((uint8_t *)o + 63));
	memset(o, 1, 64);
	mpdp_mempool_put(mp, o);
	/* flushed to the backend: not poisoned any more (others may get it) */
	mpdp_mempool_cache_flush(mp);
	CHECK(!__asan_address_is_poisoned(o));
	/* the same when a put above the threshold flushes the coldest */
	{
		void *objs[64];
		unsigned int poisoned = 0, n = mp->cache_flushthresh + 1;

		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, n), 0);
		for (unsigned int i = 0; i < n; i++)
			mpdp_mempool_put(mp, objs[i]);
		CHECK_EQ(pool_info(mp).in_caches, mp->cache_size);
		/* everything not in the cache, straight from the backend */
		CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 64 - mp->cache_size), 0);
		for (unsigned int i = 0; i < 64 - mp->cache_size; i++)
			poisoned += __asan_address_is_poisoned(objs[i]) != 0;
		CHECK_EQ(poisoned, 0);
		mpdp_mempool_put_bulk(mp, objs, 64 - mp->cache_size);
	}

	REQUIRE(pipe(pipefd) == 0);
	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], 2);
		if (mpdp_mempool_get(mp, &o) != 0)
			_exit(3);
		mpdp_mempool_put(mp, o); /* into lcore 0's cache: poisoned */
		fprintf(stderr, "read %d\n", ((volatile uint8_t *)o)[8]);
		fprintf(stderr, "child survived\n");
		_exit(0);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t r = read(pipefd[0], out + len, sizeof(out) - 1 - len);

		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = '\0';
	close(pipefd[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) ||
	      (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3));
	CHECK(strstr(out, "use-after-poison") != NULL);
	if (strstr(out, "use-after-poison") == NULL)
		fprintf(stderr, "  child said:\n%s\n", out);
	/* the child's put went into the shared cache of lcore 0: the pool is still whole */
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}
#endif

/* ---- limits ------------------------------------------------------------- */

static void test_table_full(void)
{
	static struct mpdp_mempool *pools[MPDP_MEMPOOL_MAX + 1];
	int mz0 = nb_memzones(), n0 = nb_pools(), made = 0, err = 0;
	char name[32];

	for (int i = 0; i <= MPDP_MEMPOOL_MAX; i++) {
		snprintf(name, sizeof(name), "full.%d", i);
		pools[i] = mpdp_mempool_create(name, 1, 8, 0, 0, NULL, &err);
		if (pools[i] == NULL)
			break;
		made++;
	}
	CHECK_EQ(made + n0, MPDP_MEMPOOL_MAX);
	CHECK_EQ(err, -ENOSPC);
	CHECK_EQ(nb_pools(), MPDP_MEMPOOL_MAX);
	/* one freed slot is one more pool */
	if (made > 3) {
		mpdp_mempool_free(pools[3]);
		pools[3] = make_pool("full.again", 2, 8, 0, 0, NULL);
		CHECK(pools[3] != NULL);
		CHECK(mpdp_mempool_create("full.extra", 1, 8, 0, 0, NULL, &err) == NULL);
		CHECK_EQ(err, -ENOSPC);
	}
	for (int i = 0; i < made; i++)
		mpdp_mempool_free(pools[i]);
	CHECK_EQ(nb_pools(), n0);
	CHECK_EQ(nb_memzones(), mz0);
}

/*
 * A pool freed while lcore caches hold objects; then a new pool in the same
 * memory. In ASan builds the cached objects were ASan-poisoned: the free must
 * clear that, or the next user of the memory trips over it.
 */
static void test_free_with_cache(void)
{
	struct mpdp_mempool_params params = { .ops_name = NULL };
	struct mpdp_mempool *mp = make_pool("fc", 64, 256, 16, F_NODEBUG, NULL);
	struct mpdp_memzone mz, zone;
	mpdp_shm_off_t off;
	void *objs[8];
	int err;

	REQUIRE(mp != NULL);
	CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 8), 0);
	mpdp_mempool_put_bulk(mp, objs, 8);
	CHECK(pool_info(mp).in_caches > 0);
	off = mpdp_shm_off(mp->shm);
	CHECK_EQ(mpdp_memzone_lookup("mp.fc", &zone), 0);
	CHECK_EQ(zone.offset, off);
	mpdp_mempool_free(mp); /* not mpdp_mempool_free(): this is the case under test */
#ifdef MPDP_ASAN
	CHECK(__asan_region_is_poisoned(zone.addr, zone.len) == NULL);
	/* workaround so the rest can run */
	ASAN_UNPOISON_MEMORY_REGION(zone.addr, zone.len);
#endif
	/* the same geometry lands in the same place (first fit) */
	mp = mpdp_mempool_create("fc", 64, 256, 16, MPDP_MEMPOOL_F_DEBUG, &params, &err);
	REQUIRE(mp != NULL);
	CHECK_EQ(mpdp_shm_off(mp->shm), off);
	CHECK_EQ(mpdp_mempool_get_bulk(mp, objs, 8), 0);
	for (int i = 0; i < 8; i++)
		memset(objs[i], 0x42, 256);
	mpdp_mempool_put_bulk(mp, objs, 8);
	CHECK_EQ(pool_stats(mp).debug_errors, 0);
	mpdp_mempool_free(mp);
	/* and plain memory there too */
	CHECK_EQ(mpdp_memzone_reserve("fc.raw", zone.len, 0, &mz), 0);
	CHECK_EQ(mz.offset, off);
	memset(mz.addr, 0, mz.len);
	CHECK_EQ(mpdp_memzone_free("fc.raw"), 0);
}

static void test_ops_table_full(void)
{
	static struct mpdp_mempool_ops many[4096];
	static char names[4096][MPDP_MEMPOOL_OPS_NAME_SIZE];
	int rc = 0, i;

	for (i = 0; i < 4096; i++) {
		many[i] = tb_ops;
		snprintf(names[i], sizeof(names[i]), "many.%d", i);
		many[i].name = names[i];
		rc = mpdp_mempool_ops_register(&many[i]);
		if (rc != 0)
			break;
	}
	CHECK(i < 4096);
	CHECK_EQ(rc, -ENOSPC);
}

int main(void)
{
	cpu_set_t set;
	int n;

	unit_rt_setup("mempool");
	{
		int err = 0;

		/* before init */
		CHECK(mpdp_mempool_create("early", 8, 8, 0, 0, NULL, &err) == NULL);
		CHECK_EQ(err, -ENODEV);
		CHECK(mpdp_mempool_lookup("early", &err) == NULL);
		CHECK_EQ(err, -ENODEV);
		CHECK_EQ(mpdp_mempool_walk(count_pool_cb, &(int){ 0 }), -ENODEV);
	}
	have_worker = sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(0, &set) &&
		      CPU_ISSET(1, &set);
	if (have_worker)
		n = unit_init("--no-huge", "--mem", "64M", "-l", "0-1", NULL);
	else
		n = unit_init("--no-huge", "--mem", "64M", NULL);
	REQUIRE(n > 0);
	CHECK(mpdp_lcore_id() != MPDP_LCORE_ANY);

	test_ops_register();
	test_create_lookup();
	test_backend_create_fails();
	static const char *const backends[] = { "ring", "stack", "test" };
	for (size_t b = 0; b < MPDP_DIM(backends); b++) {
		test_getput(backends[b], 0, 0);
		test_getput(backends[b], 16, 0);
		test_getput(backends[b], 64, 0);
	}
	test_getput("ring", 0, MPDP_MEMPOOL_F_SP_PUT | MPDP_MEMPOOL_F_SC_GET);
	test_getput("ring", 16, MPDP_MEMPOOL_F_SP_PUT);
	test_getput("stack", 16, MPDP_MEMPOOL_F_SC_GET);
	test_cached_get_uses_cache();
	test_objects();
	test_audit();
	test_audit_duplicates(0);
	test_audit_duplicates(8);
	for (size_t b = 0; b < MPDP_DIM(backends); b++) {
		test_debug(backends[b], 0);
		test_debug(backends[b], 4);
	}
	test_walk_info();
	test_test_backend();
	test_lcores();
#ifdef MPDP_ASAN
	test_asan();
#else
	fprintf(stderr, "  not an ASan build: use-after-poison check skipped\n");
#endif
	test_table_full();
	test_ops_table_full();
	test_free_with_cache();

	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
	unit_exit();
}
