/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_mempool.h - named pools of fixed-size objects in shared memory.
 *
 * A pool is created by name in any process and found by name from any other.
 * Its objects, its per-lcore caches and its statistics live in one memzone
 * ("mp.<name>"); the free objects live in a backend, chosen by name at
 * creation ("ring" by default, "stack") and resolved by that name in every
 * process that attaches (DESIGN.md rule 5): a process that lacks the backend
 * gets -ENOTSUP from lookup, never another backend's functions.
 *
 * Everything shared is an offset (DESIGN.md rule 2): the backend and the
 * caches hold object offsets, get/put convert to and from this process's
 * pointers.
 *
 * Object layout (each slot is total_elt_size bytes, cache-line aligned):
 *
 *   | header (64 B, struct mpdp_mempool_objhdr_shm) | object (elt_size) | pad |
 *                                                   ^ get returns this
 *
 * In IOVA mode VA the slots follow each other from the first one. In IOVA
 * mode PA (mpdp_shm.h) a slot never spans two physically discontiguous
 * pages: where the next one would, placement skips to the next page start,
 * so the slots form runs of uniform stride. Every process computes the same
 * runs from the instance's physical address table; use mpdp_mempool_obj_at()
 * and mpdp_mempool_obj_iter() rather than arithmetic on total_elt_size.
 *
 * Caches. Each lcore id has its own cache of free objects in the pool's
 * memzone. lcore ids are unique across the processes of an instance, so two
 * processes never share a cache. Invariant: a cache is read and written only
 * by the thread that owns its lcore id, with plain loads and stores; any
 * other reader (audit, the primary returning a dead process's cache) runs
 * only when that thread cannot run: it has died, or the pool is quiescent.
 * Threads without an lcore id (MPDP_LCORE_ANY) bypass the caches.
 *
 * Statistics. Each lcore id has a line of counters written only by its owner
 * (relaxed atomics, no read-modify-write); non-lcore threads share one line
 * updated with atomic adds. "In use" is objects got minus objects put over
 * all lines.
 *
 * Recovery. The primary runs an exit hook for every process that leaves or
 * dies: it moves the objects in that process's lcore caches back to the
 * backend before the lcore ids can be reused. Objects the process held
 * (got and not yet put) cannot be known to be unreachable, so they stay in
 * use; mpdp_mempool_audit() counts them and can hand them to the caller.
 * Every step of get and put is ordered so that a process killed at any
 * instruction can lose objects (counted in use) but never leave one in two
 * places. One window remains with the "ring" backend: a process killed
 * between claiming and publishing ring slots leaves the ring waiting for it
 * forever, as any lockless ring of this design (DPDK's included); the exit
 * hook sees it within a second, never waits on it, logs it and marks the pool
 * broken (mpdp_mempool_info.broken, audit -EIO). The "stack" backend, behind
 * a robust mutex, is consistent at every instruction: use it for pools shared
 * with processes that may be killed at any time.
 *
 * Debug pools (MPDP_MEMPOOL_F_DEBUG, the default in builds with MPDP_DEBUG
 * or ASan): every put checks a cookie (double free, foreign object) and fills
 * the object with MPDP_MEMPOOL_POISON; every get checks the cookie and the
 * poison (a write after free). A bad object is reported and kept out of the
 * pool, never duplicated. The flag is a property of the pool in shared
 * memory, so every process follows it whatever its own build. In ASan
 * builds, objects sitting in this process's own lcore cache are also
 * ASan-poisoned, so a read after free is reported at the faulting access.
 */
#ifndef MPDP_MEMPOOL_H
#define MPDP_MEMPOOL_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_lcore.h>
#include <mpdp/mpdp_ring.h>
#include <mpdp/mpdp_shm.h>

/* "mp.<name>" is the pool's memzone and the ring backend's ring name. */
#define MPDP_MEMPOOL_NAME_SIZE (MPDP_RING_NAME_SIZE - 3)
#define MPDP_MEMPOOL_OPS_NAME_SIZE 16
/* Pools an instance can hold at once (the size of the shared pool table). */
#define MPDP_MEMPOOL_MAX 256
/* Largest per-lcore cache. */
#define MPDP_MEMPOOL_CACHE_MAX 512
/* Bytes reserved for the layer on top (mbuf keeps its room sizes there). */
#define MPDP_MEMPOOL_USER_DATA_SIZE 64

#define MPDP_MEMPOOL_F_SP_PUT 0x1u /* one putter at a time (backend single producer) */
#define MPDP_MEMPOOL_F_SC_GET 0x2u /* one getter at a time (backend single consumer) */
#define MPDP_MEMPOOL_F_DEBUG  0x4u /* cookies and poison, see above */
#define MPDP_MEMPOOL_F_NO_DEBUG 0x8u /* create only: no debug even in debug builds */

#define MPDP_MEMPOOL_MAGIC 0x6d7064706d706f6fULL /* "mpdpmpoo" */
#define MPDP_MEMPOOL_COOKIE_FREE 0xf4eef4eef4eef4eeULL
#define MPDP_MEMPOOL_COOKIE_USED 0x05ed05ed05ed05edULL
#define MPDP_MEMPOOL_POISON 0x6b

#if defined(__SANITIZE_ADDRESS__)
#define MPDP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MPDP_ASAN 1
#endif
#endif
#ifdef MPDP_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* Before every object. (I) written once, when the pool is populated. */
struct mpdp_mempool_objhdr_shm {
	uint32_t pool_id;         /* (I) index in the pool table */
	uint32_t index;           /* (I) object number, 0 .. size-1 */
	_Atomic uint64_t cookie;  /* debug pools: MPDP_MEMPOOL_COOKIE_FREE / _USED */
	uint64_t reserved[6];
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_mempool_objhdr_shm) == MPDP_CACHE_LINE_SIZE,
		   "object header is one cache line");

/*
 * Per-lcore block: one line of statistics and cache state, then (pools with a
 * cache) the cached object offsets. Owner-written, see the invariants above.
 */
struct mpdp_mempool_lcore_shm {
	_Atomic uint64_t get_ok_objs;
	_Atomic uint64_t get_fail_calls;
	_Atomic uint64_t get_fail_objs;
	_Atomic uint64_t put_objs;
	uint64_t reserved[2];
	uint32_t cache_len;        /* objects in objs[] now */
	_Atomic uint32_t debug_errors; /* bad objects a debug pool caught */
	uint64_t objs[] MPDP_CACHE_ALIGNED; /* cache_cap offsets */
};
MPDP_STATIC_ASSERT(offsetof(struct mpdp_mempool_lcore_shm, objs) == MPDP_CACHE_LINE_SIZE,
		   "lcore block header is one cache line");

/* The pool in shared memory. (I) immutable once the pool is published. */
struct mpdp_mempool_shm {
	_Atomic uint64_t magic;              /* MPDP_MEMPOOL_MAGIC once populated */
	char name[MPDP_MEMPOOL_NAME_SIZE];   /* (I) */
	char ops_name[MPDP_MEMPOOL_OPS_NAME_SIZE]; /* (I) backend, by name */
	uint32_t id;                 /* (I) index in the pool table */
	uint32_t flags;              /* (I) MPDP_MEMPOOL_F_* */
	uint32_t size;               /* (I) number of objects */
	uint32_t elt_size;           /* (I) object bytes the creator asked for */
	uint32_t total_elt_size;     /* (I) header + object + pad */
	uint32_t cache_size;         /* (I) target cache fill; 0 = no caches */
	uint32_t cache_flushthresh;  /* (I) a put above this flushes to cache_size */
	uint32_t cache_cap;          /* (I) objs[] entries per lcore block */
	uint32_t lcore_stride;       /* (I) bytes per lcore block */
	uint32_t poison_skip;        /* (I) leading object bytes debug poison keeps */
	int32_t creator_pid;         /* (I) informational */
	_Atomic uint32_t broken;     /* the primary found the backend stuck, see Recovery */
	mpdp_shm_off_t lcores_off;   /* (I) MPDP_MAX_LCORES + 1 lcore blocks */
	mpdp_shm_off_t objs_off;     /* (I) header of object 0 */
	mpdp_shm_off_t backend_off;  /* (I) the backend's shared state, its format */
	uint8_t user_data[MPDP_MEMPOOL_USER_DATA_SIZE]; /* (I) the layer on top */
};

struct mpdp_mempool;

/*
 * A backend: a store of free object offsets. Registered by name in each
 * process; a pool names its backend, and every process resolves that name in
 * its own table. enqueue and dequeue move all n offsets or none and return 0,
 * -ENOBUFS (full) or -ENOENT (not enough). The backend must be able to hold
 * every object of the pool at once, so an enqueue of objects that came out of
 * the pool never fails.
 */
struct mpdp_mempool_ops {
	const char *name;
	/* Make the shared state (once, in the creating process); set backend_off. */
	int (*create)(struct mpdp_mempool *mp);
	/* Find the shared state in this process; set mp->backend if needed. */
	int (*attach)(struct mpdp_mempool *mp);
	/* Drop this process's state (the pool stays). */
	void (*detach)(struct mpdp_mempool *mp);
	/* Free the shared state (the pool is being destroyed). */
	void (*destroy)(struct mpdp_mempool *mp);
	int (*enqueue)(struct mpdp_mempool *mp, const uint64_t *offs, unsigned int n);
	int (*dequeue)(struct mpdp_mempool *mp, uint64_t *offs, unsigned int n);
	unsigned int (*count)(const struct mpdp_mempool *mp);
	/* Call cb for every offset held (pool quiescent); stop on non-zero. */
	int (*walk)(const struct mpdp_mempool *mp, int (*cb)(uint64_t off, void *arg),
		    void *arg);
};

/*
 * Register a backend in this process. The struct must outlive its use.
 * "ring" and "stack" are built in. Returns 0, -EEXIST, -ENOSPC, -EINVAL.
 */
int mpdp_mempool_ops_register(const struct mpdp_mempool_ops *ops);

/*
 * Process-local handle: geometry copied from shared memory and checked once
 * at create/lookup, the backend resolved by name. One handle per pool per
 * process (lookup returns the same one), owned by the library.
 */
struct mpdp_mempool {
	struct mpdp_mempool_shm *shm;
	const struct mpdp_mempool_ops *ops;
	struct mpdp_ring *ring;    /* "ring" backend: the inline fast path */
	void *backend;             /* other backends' process-local state */
	uint8_t *lcores;           /* lcore blocks, in this process */
	uint8_t *objs;             /* header of object 0, in this process */
	uint32_t id;
	uint32_t flags;
	uint32_t size;
	uint32_t elt_size;
	uint32_t total_elt_size;
	uint32_t cache_size;
	uint32_t cache_flushthresh;
	uint32_t lcore_stride;
	uint32_t poison_skip;
	uint64_t table_off;        /* the pool-table entry this handle was made for */
	char name[MPDP_MEMPOOL_NAME_SIZE];
};

/* Called for each object when the pool is populated (creator only). */
typedef void (*mpdp_mempool_obj_init_t)(struct mpdp_mempool *mp, void *obj, unsigned int idx,
					 uint64_t iova, void *arg);

struct mpdp_mempool_params {
	const char *ops_name;          /* NULL: "ring" */
	mpdp_mempool_obj_init_t obj_init;
	void *obj_init_arg;
	const void *user_data;         /* copied into shm->user_data */
	size_t user_data_len;          /* <= MPDP_MEMPOOL_USER_DATA_SIZE */
	uint32_t poison_skip;          /* leading bytes debug poison must keep */
};

/*
 * Create a pool of n objects of elt_size bytes with per-lcore caches of
 * cache_size (0: no caches; at most MPDP_MEMPOOL_CACHE_MAX, and cache_size * 3 / 2
 * (the flush threshold, rounded down) at most n, so one cache cannot hold the
 * whole pool). params may be NULL. Returns the handle
 * or NULL with *err (if not NULL) set: -EINVAL (n, elt_size, cache_size,
 * flags or params out of range), -ENAMETOOLONG, -EEXIST, -ENOTSUP (unknown
 * backend), -ENOMEM, -ENOSPC (pool table or memzone table full), -ENODEV.
 * Any process.
 */
struct mpdp_mempool *mpdp_mempool_create(const char *name, unsigned int n, unsigned int elt_size,
					 unsigned int cache_size, unsigned int flags,
					 const struct mpdp_mempool_params *params, int *err);

/*
 * Find a pool by name and attach this process to it (once; later calls return
 * the same handle). NULL with *err: -ENOENT, -ENAMETOOLONG, -ENOTSUP (this
 * process lacks the pool's backend; logged with both names), -EPROTO (the
 * shared pool is not sane), -ENODEV.
 */
struct mpdp_mempool *mpdp_mempool_lookup(const char *name, int *err);

/*
 * Destroy the pool: its backend, its memzone, its table entry. No process may
 * use it any more (objects out, caches, handles). Accepts NULL.
 */
void mpdp_mempool_free(struct mpdp_mempool *mp);

/* Slow path of mpdp_mempool_from_id(): attach this process to pool id. */
struct mpdp_mempool *mpdp_mempool_attach_id_(uint32_t id);

/* This process's handles by pool id (filled by create/lookup/attach). */
extern struct mpdp_mempool *_Atomic mpdp_mempool_by_id_[MPDP_MEMPOOL_MAX];
/* The shared pool table's entries, mapped in this process (NULL before use). */
extern _Atomic uint64_t *mpdp_mempool_table_;

/*
 * The pool with table index id, attached in this process; NULL if none.
 * Another process may free a pool and a new one take its id: the handle is
 * used only while the table entry still names the pool it was made for
 * (one relaxed load of a read-mostly shared line), else the slow path
 * attaches to whatever the entry names now.
 */
static inline struct mpdp_mempool *mpdp_mempool_from_id(uint32_t id)
{
	struct mpdp_mempool *mp;

	if (mpdp_unlikely(id >= MPDP_MEMPOOL_MAX))
		return NULL;
	mp = atomic_load_explicit(&mpdp_mempool_by_id_[id], memory_order_acquire);
	if (mpdp_likely(mp != NULL) &&
	    mpdp_likely(atomic_load_explicit(&mpdp_mempool_table_[id], memory_order_relaxed) ==
			mp->table_off))
		return mp;
	return mpdp_mempool_attach_id_(id);
}

static inline struct mpdp_mempool_objhdr_shm *mpdp_mempool_objhdr(const void *obj)
{
	return (struct mpdp_mempool_objhdr_shm *)(uintptr_t)((const uint8_t *)obj -
							    sizeof(struct mpdp_mempool_objhdr_shm));
}

/* The pool an object came from (its header names the pool by table index). */
static inline struct mpdp_mempool *mpdp_mempool_from_obj(const void *obj)
{
	return mpdp_mempool_from_id(mpdp_mempool_objhdr(obj)->pool_id);
}

/* ---- fast path ---------------------------------------------------------- */

/* Slow-path helpers (mempool.c). */
void mpdp_mempool_debug_get_(struct mpdp_mempool *mp, void **objs, unsigned int n);
unsigned int mpdp_mempool_debug_put_(struct mpdp_mempool *mp, void *const *objs,
				     unsigned int n, void **kept);
/*
 * Debug pools: 1 when obj is handed out (its cookie says in use), else logs
 * (double free, corrupt header, no pool: mp NULL) and returns 0. For layers
 * that read an object before putting it (mbuf free follows the chain).
 */
int mpdp_mempool_debug_obj_live_(struct mpdp_mempool *mp, const void *obj);

static inline struct mpdp_mempool_lcore_shm *mpdp_mempool_lcore_(const struct mpdp_mempool *mp,
								 unsigned int lcore)
{
	return (struct mpdp_mempool_lcore_shm *)(void *)(mp->lcores +
							 (size_t)lcore * mp->lcore_stride);
}

/* Owner-only counter bump: no read-modify-write needed, see the invariants. */
static inline void mpdp_mempool_stat_add_(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline int mpdp_mempool_backend_dequeue_(struct mpdp_mempool *mp, uint64_t *offs,
						unsigned int n)
{
	/* the ring was made with the pool's SP/SC flags: its default mode is ours */
	if (mpdp_likely(mp->ring != NULL))
		return mpdp_ring_dequeue_bulk(mp->ring, offs, n, NULL) != 0 ? 0 : -ENOENT;
	return mp->ops->dequeue(mp, offs, n);
}

static inline int mpdp_mempool_backend_enqueue_(struct mpdp_mempool *mp, const uint64_t *offs,
						unsigned int n)
{
	if (mpdp_likely(mp->ring != NULL))
		return mpdp_ring_enqueue_bulk(mp->ring, offs, n, NULL) != 0 ? 0 : -ENOBUFS;
	return mp->ops->enqueue(mp, offs, n);
}

static inline void mpdp_mempool_asan_poison_(const struct mpdp_mempool *mp, void *obj, int on)
{
#ifdef MPDP_ASAN
	uint8_t *p = (uint8_t *)obj + mp->poison_skip;
	size_t len = mp->elt_size - mp->poison_skip;

	if (on)
		ASAN_POISON_MEMORY_REGION(p, len);
	else
		ASAN_UNPOISON_MEMORY_REGION(p, len);
#else
	(void)mp;
	(void)obj;
	(void)on;
#endif
}

/* Bypassing the caches: n objects straight from the backend, all or none. */
static inline int mpdp_mempool_get_direct_(struct mpdp_mempool *mp, void **objs, unsigned int n)
{
	uint8_t *const base = mpdp_shm_base_;
	uint64_t offs[64];
	unsigned int done = 0;

	while (done < n) {
		unsigned int k = n - done < 64 ? n - done : 64;
		void **dst = &objs[done];

		if (mpdp_mempool_backend_dequeue_(mp, offs, k) != 0) {
			/* give back what this call took */
			while (done > 0) {
				unsigned int b = done < 64 ? done : 64;
				void *const *src = &objs[done - b];

				for (unsigned int i = 0; i < b; i++)
					offs[i] = (uint64_t)((uint8_t *)src[i] - base);
				(void)mpdp_mempool_backend_enqueue_(mp, offs, b);
				done -= b;
			}
			return -ENOENT;
		}
		for (unsigned int i = 0; i < k; i++)
			dst[i] = base + offs[i];
		done += k;
	}
	return 0;
}

static inline void mpdp_mempool_put_direct_(struct mpdp_mempool *mp, void *const *objs,
					    unsigned int n)
{
	uint8_t *const base = mpdp_shm_base_;
	uint64_t offs[64];

	while (n > 0) {
		unsigned int k = n < 64 ? n : 64;

		for (unsigned int i = 0; i < k; i++)
			offs[i] = (uint64_t)((uint8_t *)objs[i] - base);
		/* cannot fail for objects of this pool: the backend holds them all */
		(void)mpdp_mempool_backend_enqueue_(mp, offs, k);
		objs += k;
		n -= k;
	}
}

/*
 * Threads without an lcore id, and debug pools, take these out-of-line paths
 * (mempool.c): no cache for the former, checks and poison for the latter.
 */
int mpdp_mempool_get_slow_(struct mpdp_mempool *mp, void **objs, unsigned int n);
void mpdp_mempool_put_slow_(struct mpdp_mempool *mp, void *const *objs, unsigned int n);

/* The lcore's cache side of a get (lcore thread, any pool). */
static inline int mpdp_mempool_cache_get_(struct mpdp_mempool *mp,
					  struct mpdp_mempool_lcore_shm *lc, void **objs,
					  unsigned int n)
{
	uint8_t *const base = mpdp_shm_base_;
	uint64_t *cache = lc->objs;
	uint32_t len = lc->cache_len;

	if (mpdp_unlikely(n >= mp->cache_size))
		return mpdp_mempool_get_direct_(mp, objs, n);
	if (len < n) {
		/* refill to cache_size + n; short of that, take just what is missing */
		uint32_t req = mp->cache_size + n - len;

		if (mpdp_mempool_backend_dequeue_(mp, &cache[len], req) == 0)
			len += req;
		else if (mpdp_mempool_backend_dequeue_(mp, &cache[len], n - len) == 0)
			len = n;
		else
			return -ENOENT; /* cache and backend together hold fewer than n */
	}
	/* hottest first; a pointer walk lets the compiler vectorise the copy */
	const uint64_t *src = &cache[len];
	for (unsigned int i = 0; i < n; i++)
		objs[i] = base + *--src;
	lc->cache_len = len - n;
#ifdef MPDP_ASAN
	for (unsigned int i = 0; i < n; i++)
		mpdp_mempool_asan_poison_(mp, objs[i], 0);
#endif
	return 0;
}

/* The lcore's cache side of a put (lcore thread, any pool). */
static inline void mpdp_mempool_cache_put_(struct mpdp_mempool *mp,
					   struct mpdp_mempool_lcore_shm *lc, void *const *objs,
					   unsigned int n)
{
	uint8_t *const base = mpdp_shm_base_;
	uint64_t *cache = lc->objs;
	uint32_t len = lc->cache_len;

	if (mpdp_unlikely(n > mp->cache_flushthresh)) {
		mpdp_mempool_put_direct_(mp, objs, n);
		return;
	}
#ifdef MPDP_ASAN
	for (unsigned int i = 0; i < n; i++)
		mpdp_mempool_asan_poison_(mp, objs[i], 1);
#endif
	uint64_t *dst = &cache[len];
	for (unsigned int i = 0; i < n; i++)
		dst[i] = (uint64_t)((uint8_t *)objs[i] - base);
	len += n;
	if (len > mp->cache_flushthresh) {
		/* back to cache_size: the objects above it go to the backend */
		uint32_t extra = len - mp->cache_size;

#ifdef MPDP_ASAN
		for (uint32_t i = 0; i < extra; i++)
			mpdp_mempool_asan_poison_(mp, base + cache[mp->cache_size + i], 0);
#endif
		/*
		 * Shorten the cache before the objects reach the backend: killed
		 * in between, this process loses them (the audit counts them in
		 * use) rather than leaving them both cached and free.
		 */
		lc->cache_len = mp->cache_size;
		(void)mpdp_mempool_backend_enqueue_(mp, &cache[mp->cache_size], extra);
		return;
	}
	lc->cache_len = len;
}

/*
 * Get exactly n objects or none. Returns 0 or -ENOENT. For n < cache_size the
 * lcore's cache serves first, refilled from the backend in one bulk move; a
 * larger request goes to the backend directly and fails when the backend
 * alone holds fewer than n (objects cached by any lcore do not count).
 */
static inline int mpdp_mempool_get_bulk(struct mpdp_mempool *mp, void **objs, unsigned int n)
{
	const unsigned int lcore = mpdp_lcore_id();
	struct mpdp_mempool_lcore_shm *lc;

	if (mpdp_unlikely(lcore >= MPDP_MAX_LCORES || (mp->flags & MPDP_MEMPOOL_F_DEBUG)))
		return mpdp_mempool_get_slow_(mp, objs, n);
	lc = mpdp_mempool_lcore_(mp, lcore);
	if (mpdp_unlikely(mpdp_mempool_cache_get_(mp, lc, objs, n) != 0)) {
		mpdp_mempool_stat_add_(&lc->get_fail_calls, 1);
		mpdp_mempool_stat_add_(&lc->get_fail_objs, n);
		return -ENOENT;
	}
	mpdp_mempool_stat_add_(&lc->get_ok_objs, n);
	return 0;
}

static inline int mpdp_mempool_get(struct mpdp_mempool *mp, void **obj)
{
	return mpdp_mempool_get_bulk(mp, obj, 1);
}

/*
 * Return n objects to the pool. Never fails for objects that came from this
 * pool. The lcore's cache takes them; above the flush threshold the cache
 * goes back to cache_size by one bulk move to the backend.
 */
static inline void mpdp_mempool_put_bulk(struct mpdp_mempool *mp, void *const *objs,
					 unsigned int n)
{
	const unsigned int lcore = mpdp_lcore_id();
	struct mpdp_mempool_lcore_shm *lc;

	if (mpdp_unlikely(lcore >= MPDP_MAX_LCORES || (mp->flags & MPDP_MEMPOOL_F_DEBUG))) {
		mpdp_mempool_put_slow_(mp, objs, n);
		return;
	}
	lc = mpdp_mempool_lcore_(mp, lcore);
	mpdp_mempool_stat_add_(&lc->put_objs, n);
	mpdp_mempool_cache_put_(mp, lc, objs, n);
}

static inline void mpdp_mempool_put(struct mpdp_mempool *mp, void *obj)
{
	mpdp_mempool_put_bulk(mp, &obj, 1);
}

/* ---- slow path ---------------------------------------------------------- */

/*
 * Move the calling lcore's cached objects back to the backend (before a
 * thread stops using a pool for good). No-op for non-lcore threads.
 */
void mpdp_mempool_cache_flush(struct mpdp_mempool *mp);

/* Objects free now: in the backend plus in every cache (a snapshot). */
unsigned int mpdp_mempool_avail_count(const struct mpdp_mempool *mp);

/* Objects in use now: size minus available (a snapshot). */
unsigned int mpdp_mempool_in_use_count(const struct mpdp_mempool *mp);

/* Statistics summed over every lcore line. */
/*
 * Objects, not calls, are counted on success: one counter per get or put is
 * what the fast path affords (DPDK 22.11 counts nothing unless built with
 * RTE_LIBRTE_MEMPOOL_STATS). Failures count calls too.
 */
struct mpdp_mempool_stats {
	uint64_t get_ok_objs;
	uint64_t get_fail_calls;
	uint64_t get_fail_objs;
	uint64_t put_objs;
	uint64_t in_use;        /* get_ok_objs - put_objs */
	uint64_t debug_errors;  /* debug pools: bad objects caught */
};
void mpdp_mempool_stats_get(const struct mpdp_mempool *mp, struct mpdp_mempool_stats *st);

/* A pool described by value, for tools. */
struct mpdp_mempool_info {
	char name[MPDP_MEMPOOL_NAME_SIZE];
	char ops_name[MPDP_MEMPOOL_OPS_NAME_SIZE];
	uint32_t id;
	uint32_t flags;
	uint32_t size;
	uint32_t elt_size;
	uint32_t total_elt_size;
	uint32_t cache_size;
	uint32_t in_backend;     /* free objects in the backend */
	uint32_t in_caches;      /* free objects in lcore caches */
	int creator_pid;
	int broken;              /* backend left stuck by a dead process */
	mpdp_shm_off_t offset;   /* of the pool's shared header */
	struct mpdp_mempool_stats stats;
};

int mpdp_mempool_info_get(const struct mpdp_mempool *mp, struct mpdp_mempool_info *info);

/*
 * Call cb for every pool of the instance (read from shared memory; this
 * process need not have the pool's backend). Stops when cb returns non-zero
 * and returns that value, else the number of pools; -ENODEV before init.
 */
typedef int (*mpdp_mempool_walk_cb_t)(const struct mpdp_mempool_info *info, void *arg);
int mpdp_mempool_walk(mpdp_mempool_walk_cb_t cb, void *arg);

/* Call cb for every object of the pool, in index order. Returns the count. */
typedef void (*mpdp_mempool_obj_cb_t)(struct mpdp_mempool *mp, void *obj, unsigned int idx,
				      void *arg);
unsigned int mpdp_mempool_obj_iter(struct mpdp_mempool *mp, mpdp_mempool_obj_cb_t cb, void *arg);

/* Object number idx (0 .. size-1), or NULL. */
void *mpdp_mempool_obj_at(const struct mpdp_mempool *mp, unsigned int idx);

/*
 * Audit: prove that every object is in exactly one place. Walks the backend
 * and every lcore cache, marking each object it finds; an object found twice,
 * or an entry that is not an object of this pool, is an error. Objects not
 * found are in use. The pool must be quiescent (no get or put running in any
 * process); activity seen during the audit returns -EAGAIN.
 */
struct mpdp_mempool_audit {
	unsigned int size;
	unsigned int in_backend;
	unsigned int in_caches;
	unsigned int in_use;          /* size - in_backend - in_caches */
	unsigned int duplicates;      /* objects found more than once */
	unsigned int bad_entries;     /* backend or cache entries naming no object */
	unsigned int caches_nonempty; /* lcore caches holding objects */
	uint64_t stats_in_use;        /* gets - puts, from the statistics */
};

/*
 * Fills *rep (required) and, if in_use_cb is not NULL, calls it for every object in
 * use. Returns 0 when every object is in exactly one place, -EBADMSG when
 * not (duplicates or bad entries), -EAGAIN when the pool moved, -EIO when
 * the pool is broken (its backend was left stuck), -ENOMEM.
 */
int mpdp_mempool_audit(struct mpdp_mempool *mp, struct mpdp_mempool_audit *rep,
		       mpdp_mempool_obj_cb_t in_use_cb, void *arg);

/*
 * Primary, exit hook: return the caches of lcores (the lcore ids a dead or
 * departed process owned) to their backends, in every pool of the instance.
 * Returns the number of objects moved. Exposed for tests and tools; the
 * runtime calls it by itself.
 */
unsigned int mpdp_mempool_reclaim_lcores(const uint16_t *lcores, unsigned int nb_lcores);

#endif /* MPDP_MEMPOOL_H */
