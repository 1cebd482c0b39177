/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_ring.h - fixed-size lockless rings of 64-bit values in shared memory.
 *
 * A ring is created by name in any process and attached by name from any
 * other (DESIGN.md rule 5). It lives in a memzone and holds plain 64-bit
 * values: to pass shared objects, pass their heap offsets (the _ptr helpers
 * below do the conversion, so a ring works between processes that mapped the
 * heap at different addresses).
 *
 * Concurrency is chosen at creation (MPDP_RING_F_SP_ENQ / _SC_DEQ) and can be
 * overridden per call: _sp/_mp name a single or multi producer call, _sc/_mc
 * a single or multi consumer call. A single-producer call is only correct if
 * no other producer runs at the same time, in any process.
 *
 * Verbs: _bulk moves exactly n values or none, _burst moves up to n. Both
 * return the number moved and never fail otherwise; they do not allocate,
 * lock, log or make system calls.
 *
 * Memory ordering (C11). Each side has a head (claimed by movers) and a tail
 * (published, visible to the other side):
 *
 *   producer                               consumer
 *   (A) h = prod.head (relaxed)             (C) h = cons.head (relaxed)
 *       t = cons.tail (acquire) --pairs with (D)
 *       claim prod.head h -> h+n (CAS)          t = prod.tail (acquire) --pairs with (B)
 *       write slots[h .. h+n)                   claim cons.head h -> h+n (CAS)
 *   (B) wait prod.tail == h; prod.tail = h+n    read slots[h .. h+n)
 *       (release)                           (D) wait cons.tail == h; cons.tail = h+n
 *                                               (release)
 *
 * (B) -> (C): a consumer that sees prod.tail also sees the slots written
 * before it. (D) -> (A): a producer that sees cons.tail knows the slots
 * before it were read and may be overwritten. Indices are free-running
 * 32-bit counters; slot = index & mask.
 */
#ifndef MPDP_RING_H
#define MPDP_RING_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_shm.h>

#define MPDP_RING_F_SP_ENQ   0x1u /* default enqueue is single-producer */
#define MPDP_RING_F_SC_DEQ   0x2u /* default dequeue is single-consumer */
#define MPDP_RING_F_EXACT_SZ 0x4u /* capacity is exactly count (size rounded up) */

#define MPDP_RING_MAGIC 0x6d70647072696e67ULL /* "mpdpring" */
#define MPDP_RING_SZ_MASK 0x7fffffffu          /* largest ring size */
/* Names are shorter than MPDP_NAME_SIZE: the memzone is "rg.<name>". */
#define MPDP_RING_NAME_SIZE (MPDP_NAME_SIZE - 3)

struct mpdp_ring_headtail_shm {
	_Atomic uint32_t head; /* claimed by movers of this side */
	_Atomic uint32_t tail; /* published to the other side */
};

/* The ring in shared memory. (I) immutable after create. */
struct mpdp_ring_shm {
	uint64_t magic;                 /* (I) */
	char name[MPDP_RING_NAME_SIZE]; /* (I) */
	uint32_t size;                  /* (I) power of two */
	uint32_t mask;                  /* (I) size - 1 */
	uint32_t capacity;              /* (I) <= mask */
	uint32_t flags;                 /* (I) MPDP_RING_F_* */
	struct mpdp_ring_headtail_shm prod MPDP_CACHE_ALIGNED; /* producers write */
	struct mpdp_ring_headtail_shm cons MPDP_CACHE_ALIGNED; /* consumers write */
	uint64_t slots[] MPDP_CACHE_ALIGNED;               /* producers write, consumers read */
};
MPDP_STATIC_ASSERT(offsetof(struct mpdp_ring_shm, prod) == 64, "ring layout is ABI");
MPDP_STATIC_ASSERT(offsetof(struct mpdp_ring_shm, cons) == 128, "ring layout is ABI");
MPDP_STATIC_ASSERT(offsetof(struct mpdp_ring_shm, slots) == 192, "ring layout is ABI");

/*
 * Process-local handle. Geometry is copied from shared memory and checked
 * once, at create/attach; the fast path trusts only these copies.
 */
struct mpdp_ring {
	struct mpdp_ring_shm *shm;
	uint64_t *slots;
	uint32_t size;
	uint32_t mask;
	uint32_t capacity;
	uint32_t flags;
	char name[MPDP_RING_NAME_SIZE];
};

/*
 * Create a ring able to hold count values (count + 1 rounded up to a power
 * of two is the size, unless MPDP_RING_F_EXACT_SZ). Returns a handle, or NULL
 * with *err (if not NULL) set to -EINVAL (bad count or flags, empty name),
 * -ENAMETOOLONG, -EEXIST, -ENOMEM, -ENOSPC, -ENODEV. Any process.
 */
struct mpdp_ring *mpdp_ring_create(const char *name, unsigned int count, unsigned int flags,
				   int *err);

/*
 * Attach to an existing ring by name. Returns a handle or NULL with *err set
 * to -ENOENT, -EPROTO (the memzone does not hold a sane ring), -ENODEV.
 */
struct mpdp_ring *mpdp_ring_attach(const char *name, int *err);

/* Release this process's handle; the ring stays. Accepts NULL. */
void mpdp_ring_detach(struct mpdp_ring *r);

/*
 * Destroy the ring (its memzone) and release the handle. No process may use
 * the ring any more. Accepts NULL.
 */
void mpdp_ring_free(struct mpdp_ring *r);

/* ---- fast path ---------------------------------------------------------- */

static inline void mpdp_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

/*
 * Claim up to n entries on one side. For producers `room` is the capacity and
 * other_tail the consumers' tail; for consumers `room` is 0 and other_tail the
 * producers' tail. Returns the number claimed (0 or n when fixed).
 */
static inline unsigned int mpdp_ring_move_head_(struct mpdp_ring_headtail_shm *ht,
						_Atomic uint32_t *other_tail, uint32_t room,
						int single, unsigned int n, int fixed,
						uint32_t *old_head, uint32_t *avail)
{
	unsigned int max = n;
	uint32_t new_head;

	*old_head = atomic_load_explicit(&ht->head, memory_order_relaxed);
	do {
		n = max;
		/* keep the head load before the other side's tail load */
		atomic_thread_fence(memory_order_acquire);
		/* (A)/(C): pairs with the release store of the other side's tail */
		*avail = room + atomic_load_explicit(other_tail, memory_order_acquire) - *old_head;
		if (mpdp_unlikely(n > *avail))
			n = fixed ? 0 : *avail;
		if (n == 0)
			return 0;
		new_head = *old_head + n;
		if (single) {
			atomic_store_explicit(&ht->head, new_head, memory_order_relaxed);
			break;
		}
	} while (mpdp_unlikely(!atomic_compare_exchange_weak_explicit(
		&ht->head, old_head, new_head, memory_order_relaxed, memory_order_relaxed)));
	*avail -= n;
	return n;
}

/* (B)/(D): publish [old_head, old_head + n) to the other side, in claim order. */
static inline void mpdp_ring_update_tail_(struct mpdp_ring_headtail_shm *ht, uint32_t old_head,
					  unsigned int n, int single)
{
	if (!single)
		while (mpdp_unlikely(atomic_load_explicit(&ht->tail, memory_order_relaxed) !=
				     old_head))
			mpdp_cpu_relax();
	atomic_store_explicit(&ht->tail, old_head + n, memory_order_release);
}

/*
 * Copy n values to/from the slots starting at index head. Locals with
 * restrict let the compiler keep the geometry in registers; four values per
 * step is what the measurements in bench/bench_ring.c favoured.
 */
static inline void mpdp_ring_copy_in_(struct mpdp_ring *r, uint32_t head, const uint64_t *objs,
				      unsigned int n)
{
	uint64_t *restrict slots = r->slots;
	const uint64_t *restrict src = objs;
	const uint32_t size = r->size;
	uint32_t idx = head & r->mask;
	unsigned int i = 0;

	if (mpdp_likely(idx + n <= size)) {
		for (; i + 4 <= n; i += 4, idx += 4) {
			slots[idx] = src[i];
			slots[idx + 1] = src[i + 1];
			slots[idx + 2] = src[i + 2];
			slots[idx + 3] = src[i + 3];
		}
		for (; i < n; i++, idx++)
			slots[idx] = src[i];
	} else {
		for (; idx < size; i++, idx++)
			slots[idx] = src[i];
		for (idx = 0; i < n; i++, idx++)
			slots[idx] = src[i];
	}
}

static inline void mpdp_ring_copy_out_(const struct mpdp_ring *r, uint32_t head, uint64_t *objs,
				       unsigned int n)
{
	const uint64_t *restrict slots = r->slots;
	uint64_t *restrict dst = objs;
	const uint32_t size = r->size;
	uint32_t idx = head & r->mask;
	unsigned int i = 0;

	if (mpdp_likely(idx + n <= size)) {
		for (; i + 4 <= n; i += 4, idx += 4) {
			dst[i] = slots[idx];
			dst[i + 1] = slots[idx + 1];
			dst[i + 2] = slots[idx + 2];
			dst[i + 3] = slots[idx + 3];
		}
		for (; i < n; i++, idx++)
			dst[i] = slots[idx];
	} else {
		for (; idx < size; i++, idx++)
			dst[i] = slots[idx];
		for (idx = 0; i < n; i++, idx++)
			dst[i] = slots[idx];
	}
}

static inline unsigned int mpdp_ring_enqueue_(struct mpdp_ring *r, const uint64_t *objs,
					      unsigned int n, int single, int fixed,
					      unsigned int *free_space)
{
	uint32_t head, avail;

	n = mpdp_ring_move_head_(&r->shm->prod, &r->shm->cons.tail, r->capacity, single, n, fixed,
				 &head, &avail);
	if (n != 0) {
		mpdp_ring_copy_in_(r, head, objs, n);
		mpdp_ring_update_tail_(&r->shm->prod, head, n, single);
	}
	if (free_space != NULL)
		*free_space = avail;
	return n;
}

static inline unsigned int mpdp_ring_dequeue_(struct mpdp_ring *r, uint64_t *objs, unsigned int n,
					      int single, int fixed, unsigned int *available)
{
	uint32_t head, avail;

	n = mpdp_ring_move_head_(&r->shm->cons, &r->shm->prod.tail, 0, single, n, fixed, &head,
				 &avail);
	if (n != 0) {
		mpdp_ring_copy_out_(r, head, objs, n);
		mpdp_ring_update_tail_(&r->shm->cons, head, n, single);
	}
	if (available != NULL)
		*available = avail;
	return n;
}

#define MPDP_RING_SP(r) (((r)->flags & MPDP_RING_F_SP_ENQ) != 0)
#define MPDP_RING_SC(r) (((r)->flags & MPDP_RING_F_SC_DEQ) != 0)

/* Enqueue exactly n values or none. Returns n or 0; *free_space = room left. */
static inline unsigned int mpdp_ring_mp_enqueue_bulk(struct mpdp_ring *r, const uint64_t *objs,
						     unsigned int n, unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, 0, 1, free_space);
}
static inline unsigned int mpdp_ring_sp_enqueue_bulk(struct mpdp_ring *r, const uint64_t *objs,
						     unsigned int n, unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, 1, 1, free_space);
}
static inline unsigned int mpdp_ring_enqueue_bulk(struct mpdp_ring *r, const uint64_t *objs,
						  unsigned int n, unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, MPDP_RING_SP(r), 1, free_space);
}

/* Enqueue up to n values. Returns how many. */
static inline unsigned int mpdp_ring_mp_enqueue_burst(struct mpdp_ring *r, const uint64_t *objs,
						      unsigned int n, unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, 0, 0, free_space);
}
static inline unsigned int mpdp_ring_sp_enqueue_burst(struct mpdp_ring *r, const uint64_t *objs,
						      unsigned int n, unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, 1, 0, free_space);
}
static inline unsigned int mpdp_ring_enqueue_burst(struct mpdp_ring *r, const uint64_t *objs,
						   unsigned int n, unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, MPDP_RING_SP(r), 0, free_space);
}

/* Dequeue exactly n values or none. Returns n or 0; *available = entries left. */
static inline unsigned int mpdp_ring_mc_dequeue_bulk(struct mpdp_ring *r, uint64_t *objs,
						     unsigned int n, unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, 0, 1, available);
}
static inline unsigned int mpdp_ring_sc_dequeue_bulk(struct mpdp_ring *r, uint64_t *objs,
						     unsigned int n, unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, 1, 1, available);
}
static inline unsigned int mpdp_ring_dequeue_bulk(struct mpdp_ring *r, uint64_t *objs,
						  unsigned int n, unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, MPDP_RING_SC(r), 1, available);
}

/* Dequeue up to n values. Returns how many. */
static inline unsigned int mpdp_ring_mc_dequeue_burst(struct mpdp_ring *r, uint64_t *objs,
						      unsigned int n, unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, 0, 0, available);
}
static inline unsigned int mpdp_ring_sc_dequeue_burst(struct mpdp_ring *r, uint64_t *objs,
						      unsigned int n, unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, 1, 0, available);
}
static inline unsigned int mpdp_ring_dequeue_burst(struct mpdp_ring *r, uint64_t *objs,
						   unsigned int n, unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, MPDP_RING_SC(r), 0, available);
}

/* One value: 0 on success, -ENOBUFS (full) / -ENOENT (empty). */
static inline int mpdp_ring_enqueue(struct mpdp_ring *r, uint64_t obj)
{
	return mpdp_ring_enqueue_bulk(r, &obj, 1, NULL) ? 0 : -ENOBUFS;
}
static inline int mpdp_ring_dequeue(struct mpdp_ring *r, uint64_t *obj)
{
	return mpdp_ring_dequeue_bulk(r, obj, 1, NULL) ? 0 : -ENOENT;
}

/*
 * Shared objects by pointer: enqueue converts each pointer of this process to
 * its heap offset, dequeue converts back to a pointer of this process. Bursts
 * of at most 64 per call through the conversion buffer; the return value says
 * how many moved.
 */
static inline unsigned int mpdp_ring_enqueue_burst_ptr(struct mpdp_ring *r, void *const *ptrs,
						       unsigned int n, unsigned int *free_space)
{
	uint64_t offs[64];

	if (n > 64)
		n = 64;
	for (unsigned int i = 0; i < n; i++)
		offs[i] = mpdp_shm_off(ptrs[i]);
	return mpdp_ring_enqueue_burst(r, offs, n, free_space);
}
static inline unsigned int mpdp_ring_dequeue_burst_ptr(struct mpdp_ring *r, void **ptrs,
						       unsigned int n, unsigned int *available)
{
	uint64_t offs[64];
	unsigned int got;

	if (n > 64)
		n = 64;
	got = mpdp_ring_dequeue_burst(r, offs, n, available);
	for (unsigned int i = 0; i < got; i++)
		ptrs[i] = mpdp_shm_ptr(offs[i]);
	return got;
}

/* Entries in the ring now (a snapshot when other processes move it). */
static inline unsigned int mpdp_ring_count(const struct mpdp_ring *r)
{
	uint32_t prod_tail = atomic_load_explicit(&r->shm->prod.tail, memory_order_acquire);
	uint32_t cons_tail = atomic_load_explicit(&r->shm->cons.tail, memory_order_acquire);
	uint32_t count = (prod_tail - cons_tail) & r->mask;

	return count > r->capacity ? r->capacity : count;
}

static inline unsigned int mpdp_ring_free_count(const struct mpdp_ring *r)
{
	return r->capacity - mpdp_ring_count(r);
}

static inline unsigned int mpdp_ring_capacity(const struct mpdp_ring *r)
{
	return r->capacity;
}

#endif /* MPDP_RING_H */
