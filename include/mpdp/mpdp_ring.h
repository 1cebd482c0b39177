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
 *   producer                                 consumer
 *   (A) h = prod.head                        (C) h = cons.head
 *         single: relaxed (its own store)          single: relaxed
 *         multi: acquire --pairs with (E)          multi: acquire --pairs with (F)
 *       t = cons.tail (acquire) --pairs with (D)   t = prod.tail (acquire) --pairs with (B)
 *   (E) claim prod.head h -> h+n             (F) claim cons.head h -> h+n
 *         single: relaxed store                    single: relaxed store
 *         multi: CAS, acq_rel (failed: acquire)    multi: CAS, acq_rel (failed: acquire)
 *       write slots[h .. h+n)                    read slots[h .. h+n)
 *   (B) multi: wait prod.tail == h (acquire, (D) multi: wait cons.tail == h (acquire,
 *         pairs with (B) of the producer           pairs with (D) of the consumer
 *         before); then prod.tail = h+n            before); then cons.tail = h+n
 *         (release)                                (release)
 *
 * (B) -> (C): a consumer that sees prod.tail also sees the slots written
 * before it, by every producer: each multi producer acquired the tail of the
 * one before it before releasing its own, so the chain is transitive (with a
 * relaxed wait it is not, and TSan reports the slots as races).
 * (D) -> (A): a producer that sees cons.tail knows the slots before it were
 * read, by every consumer, and may be overwritten.
 * (E) -> (A), (F) -> (C), multi only: a mover that sees the head another
 * mover claimed also sees the other side's tail that mover read, so its own
 * read of that tail is not older (read-read coherence) and h - t stays within
 * the capacity. A relaxed head read followed by an acquire fence orders the
 * two loads on real CPUs but not in C11, where the fence has no release to
 * pair with. On x86 all of this compiles to plain loads and stores plus the
 * CAS, as a relaxed version would.
 *
 * Indices are free-running 32-bit counters; slot = index & mask.
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
	/*
	 * Each hot line is followed by an empty guard line: the CPU's
	 * adjacent-line prefetch would otherwise pull the other side's line
	 * across cores (measured: 2-core MP/MC bulk 32, 1.4x -> 1.0x DPDK).
	 */
	uint8_t guard0[MPDP_CACHE_LINE_SIZE];
	struct mpdp_ring_headtail_shm prod MPDP_CACHE_ALIGNED; /* producers write */
	uint8_t guard1[MPDP_CACHE_LINE_SIZE] MPDP_CACHE_ALIGNED;
	struct mpdp_ring_headtail_shm cons MPDP_CACHE_ALIGNED; /* consumers write */
	uint8_t guard2[MPDP_CACHE_LINE_SIZE] MPDP_CACHE_ALIGNED;
	uint64_t slots[] MPDP_CACHE_ALIGNED;               /* producers write, consumers read */
};
MPDP_STATIC_ASSERT(offsetof(struct mpdp_ring_shm, prod) == 128, "ring layout is ABI");
MPDP_STATIC_ASSERT(offsetof(struct mpdp_ring_shm, cons) == 256, "ring layout is ABI");
MPDP_STATIC_ASSERT(offsetof(struct mpdp_ring_shm, slots) == 384, "ring layout is ABI");

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
 * Create a ring of count slots, count a power of two, holding count - 1
 * values; with MPDP_RING_F_EXACT_SZ, any count, holding exactly count values
 * (the size is count + 1 rounded up to a power of two). As in DPDK. Returns
 * a handle, or NULL with *err (if not NULL) set to -EINVAL (bad count or
 * flags, empty name),
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
 * The fast path is always inlined, helpers and entry points alike (as DPDK's
 * rte_ring is): `single` and `fixed` are constants in every entry point, and
 * only inlining turns them into code without the branches they select. At
 * -O2 GCC otherwise keeps the entry points as calls: bench_ring's one-core
 * SP/SC bulk 1 and bulk 8 rows, built -O2, measured 1.24 and 0.98 of DPDK
 * that way, 0.83 and 0.84 inlined.
 */
#define MPDP_RING_ALWAYS_INLINE static inline __attribute__((always_inline))

/*
 * Claim up to n entries on one side: (A)/(E) for producers, (C)/(F) for
 * consumers. For producers `room` is the capacity and other_tail the
 * consumers' tail; for consumers `room` is 0 and other_tail the producers'
 * tail. Returns the number claimed (0 or n when fixed); *avail is what is
 * left on this side after the claim.
 */
MPDP_RING_ALWAYS_INLINE unsigned int
mpdp_ring_move_head_(struct mpdp_ring_headtail_shm *ht, _Atomic uint32_t *other_tail, uint32_t room,
		     unsigned int n, int single, int fixed, uint32_t *old_head, uint32_t *avail)
{
	const unsigned int max = n;
	uint32_t head, entries;

	if (single) {
		/* (A)/(C): this thread is the only writer of the head */
		head = atomic_load_explicit(&ht->head, memory_order_relaxed);
		/* pairs with the release store of the other side's tail, (B)/(D) */
		entries = room + atomic_load_explicit(other_tail, memory_order_acquire) - head;
		if (mpdp_unlikely(n > entries))
			n = fixed ? 0 : entries;
		/* (E)/(F) */
		if (n != 0)
			atomic_store_explicit(&ht->head, head + n, memory_order_relaxed);
	} else {
		/*
		 * (A)/(C): pairs with (E)/(F) of the mover that claimed before us.
		 * The CAS updates `seen`, not head: what follows a successful claim
		 * then does not wait for the CAS result (measured: 14 -> 12 cycles
		 * for a single-object MP/MC pair).
		 */
		uint32_t seen = atomic_load_explicit(&ht->head, memory_order_acquire);

		do {
			head = seen;
			n = max;
			/* pairs with the release store of the other side's tail, (B)/(D) */
			entries = room + atomic_load_explicit(other_tail, memory_order_acquire) -
				  head;
			if (mpdp_unlikely(n > entries))
				n = fixed ? 0 : entries;
			if (n == 0)
				break;
			/* (E)/(F); on failure `seen` is reloaded, acquire as in (A)/(C) */
		} while (mpdp_unlikely(!atomic_compare_exchange_weak_explicit(
			&ht->head, &seen, head + n, memory_order_acq_rel, memory_order_acquire)));
	}
	*old_head = head;
	*avail = entries - n;
	return n;
}

/* (B)/(D): publish [old_head, old_head + n) to the other side, in claim order. */
MPDP_RING_ALWAYS_INLINE void mpdp_ring_update_tail_(struct mpdp_ring_headtail_shm *ht,
						    uint32_t old_head, unsigned int n, int single)
{
	/*
	 * Multi: wait for the movers that claimed before us. Acquire pairs with
	 * their release store, so what they published is ordered before ours.
	 */
	if (!single)
		while (mpdp_unlikely(atomic_load_explicit(&ht->tail, memory_order_acquire) !=
				     old_head))
			mpdp_cpu_relax();
	atomic_store_explicit(&ht->tail, old_head + n, memory_order_release);
}

/*
 * Copy n values to/from the slots starting at index head: 64 bytes per step,
 * then 32, 16 and 8 for the rest. Fixed-size memcpy()s compile to vector
 * moves without the run-time checks a vectorised loop needs, and keep the
 * compiler from turning the tail into a call to memcpy() (it did, for the
 * plain loop: bulk 1 then cost twice as much). A size_t index folds the
 * offsets into the addressing. Measured with bench/bench_ring.c.
 */
MPDP_RING_ALWAYS_INLINE void mpdp_ring_copy_in_(uint64_t *restrict slots, uint32_t mask,
						uint32_t head, const uint64_t *restrict objs,
						unsigned int n)
{
	const size_t size = (size_t)mask + 1;
	size_t idx = head & mask;
	unsigned int i = 0;

	if (mpdp_likely(idx + n <= size)) {
		for (; i + 8 <= n; i += 8, idx += 8)
			memcpy(&slots[idx], &objs[i], 8 * sizeof(*objs));
		if (n & 4) {
			memcpy(&slots[idx], &objs[i], 4 * sizeof(*objs));
			i += 4, idx += 4;
		}
		if (n & 2) {
			memcpy(&slots[idx], &objs[i], 2 * sizeof(*objs));
			i += 2, idx += 2;
		}
		if (n & 1)
			slots[idx] = objs[i];
	} else {
		for (; idx < size; i++, idx++)
			slots[idx] = objs[i];
		for (idx = 0; i < n; i++, idx++)
			slots[idx] = objs[i];
	}
}

MPDP_RING_ALWAYS_INLINE void mpdp_ring_copy_out_(const uint64_t *restrict slots, uint32_t mask,
						 uint32_t head, uint64_t *restrict objs,
						 unsigned int n)
{
	const size_t size = (size_t)mask + 1;
	size_t idx = head & mask;
	unsigned int i = 0;

	if (mpdp_likely(idx + n <= size)) {
		for (; i + 8 <= n; i += 8, idx += 8)
			memcpy(&objs[i], &slots[idx], 8 * sizeof(*objs));
		if (n & 4) {
			memcpy(&objs[i], &slots[idx], 4 * sizeof(*objs));
			i += 4, idx += 4;
		}
		if (n & 2) {
			memcpy(&objs[i], &slots[idx], 2 * sizeof(*objs));
			i += 2, idx += 2;
		}
		if (n & 1)
			objs[i] = slots[idx];
	} else {
		for (; idx < size; i++, idx++)
			objs[i] = slots[idx];
		for (idx = 0; i < n; i++, idx++)
			objs[i] = slots[idx];
	}
}

/*
 * The handle's fields are read once, into locals, before the first atomic:
 * read through r after an acquire the compiler would have to load them again.
 * slots is computed from the shm pointer (the address r->slots holds, one
 * load less). One value is moved without the copy helper: single-object
 * calls and bursts of one (measured: bulk 1 on one core 8.5 -> 7.1 cycles).
 */
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_enqueue_(struct mpdp_ring *r, const uint64_t *objs,
							unsigned int n, int single, int fixed,
							unsigned int *free_space)
{
	struct mpdp_ring_shm *shm = r->shm;
	uint64_t *slots = shm->slots;
	const uint32_t mask = r->mask;
	uint32_t head, avail;

	n = mpdp_ring_move_head_(&shm->prod, &shm->cons.tail, r->capacity, n, single, fixed, &head,
				 &avail);
	if (n != 0) {
		if (n == 1)
			slots[head & mask] = objs[0];
		else
			mpdp_ring_copy_in_(slots, mask, head, objs, n);
		mpdp_ring_update_tail_(&shm->prod, head, n, single);
	}
	if (free_space != NULL)
		*free_space = avail;
	return n;
}

MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_dequeue_(struct mpdp_ring *r, uint64_t *objs,
							unsigned int n, int single, int fixed,
							unsigned int *available)
{
	struct mpdp_ring_shm *shm = r->shm;
	const uint64_t *slots = shm->slots;
	const uint32_t mask = r->mask;
	uint32_t head, avail;

	n = mpdp_ring_move_head_(&shm->cons, &shm->prod.tail, 0, n, single, fixed, &head, &avail);
	if (n != 0) {
		if (n == 1)
			objs[0] = slots[head & mask];
		else
			mpdp_ring_copy_out_(slots, mask, head, objs, n);
		mpdp_ring_update_tail_(&shm->cons, head, n, single);
	}
	if (available != NULL)
		*available = avail;
	return n;
}

/* The ring's default mode, chosen at create. */
#define MPDP_RING_SP(r) (((r)->flags & MPDP_RING_F_SP_ENQ) != 0)
#define MPDP_RING_SC(r) (((r)->flags & MPDP_RING_F_SC_DEQ) != 0)

/* Enqueue exactly n values or none. Returns n or 0; *free_space = room left. */
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_mp_enqueue_bulk(struct mpdp_ring *r,
							       const uint64_t *objs, unsigned int n,
							       unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, 0, 1, free_space);
}
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_sp_enqueue_bulk(struct mpdp_ring *r,
							       const uint64_t *objs, unsigned int n,
							       unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, 1, 1, free_space);
}
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_enqueue_bulk(struct mpdp_ring *r,
							    const uint64_t *objs, unsigned int n,
							    unsigned int *free_space)
{
	if (MPDP_RING_SP(r))
		return mpdp_ring_enqueue_(r, objs, n, 1, 1, free_space);
	return mpdp_ring_enqueue_(r, objs, n, 0, 1, free_space);
}

/* Enqueue up to n values. Returns how many. */
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_mp_enqueue_burst(struct mpdp_ring *r,
								const uint64_t *objs,
								unsigned int n,
								unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, 0, 0, free_space);
}
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_sp_enqueue_burst(struct mpdp_ring *r,
								const uint64_t *objs,
								unsigned int n,
								unsigned int *free_space)
{
	return mpdp_ring_enqueue_(r, objs, n, 1, 0, free_space);
}
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_enqueue_burst(struct mpdp_ring *r,
							     const uint64_t *objs, unsigned int n,
							     unsigned int *free_space)
{
	if (MPDP_RING_SP(r))
		return mpdp_ring_enqueue_(r, objs, n, 1, 0, free_space);
	return mpdp_ring_enqueue_(r, objs, n, 0, 0, free_space);
}

/* Dequeue exactly n values or none. Returns n or 0; *available = entries left. */
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_mc_dequeue_bulk(struct mpdp_ring *r, uint64_t *objs,
							       unsigned int n,
							       unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, 0, 1, available);
}
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_sc_dequeue_bulk(struct mpdp_ring *r, uint64_t *objs,
							       unsigned int n,
							       unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, 1, 1, available);
}
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_dequeue_bulk(struct mpdp_ring *r, uint64_t *objs,
							    unsigned int n, unsigned int *available)
{
	if (MPDP_RING_SC(r))
		return mpdp_ring_dequeue_(r, objs, n, 1, 1, available);
	return mpdp_ring_dequeue_(r, objs, n, 0, 1, available);
}

/* Dequeue up to n values. Returns how many. */
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_mc_dequeue_burst(struct mpdp_ring *r, uint64_t *objs,
								unsigned int n,
								unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, 0, 0, available);
}
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_sc_dequeue_burst(struct mpdp_ring *r, uint64_t *objs,
								unsigned int n,
								unsigned int *available)
{
	return mpdp_ring_dequeue_(r, objs, n, 1, 0, available);
}
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_dequeue_burst(struct mpdp_ring *r, uint64_t *objs,
							     unsigned int n,
							     unsigned int *available)
{
	if (MPDP_RING_SC(r))
		return mpdp_ring_dequeue_(r, objs, n, 1, 0, available);
	return mpdp_ring_dequeue_(r, objs, n, 0, 0, available);
}

/* One value: 0 on success, -ENOBUFS (full) / -ENOENT (empty). */
MPDP_RING_ALWAYS_INLINE int mpdp_ring_enqueue(struct mpdp_ring *r, uint64_t obj)
{
	if (MPDP_RING_SP(r))
		return mpdp_ring_enqueue_(r, &obj, 1, 1, 1, NULL) ? 0 : -ENOBUFS;
	return mpdp_ring_enqueue_(r, &obj, 1, 0, 1, NULL) ? 0 : -ENOBUFS;
}
MPDP_RING_ALWAYS_INLINE int mpdp_ring_dequeue(struct mpdp_ring *r, uint64_t *obj)
{
	if (MPDP_RING_SC(r))
		return mpdp_ring_dequeue_(r, obj, 1, 1, 1, NULL) ? 0 : -ENOENT;
	return mpdp_ring_dequeue_(r, obj, 1, 0, 1, NULL) ? 0 : -ENOENT;
}

/* Entries in the ring now (a snapshot when other processes move it). */
static inline unsigned int mpdp_ring_count(const struct mpdp_ring *r)
{
	uint32_t prod_tail = atomic_load_explicit(&r->shm->prod.tail, memory_order_acquire);
	uint32_t cons_tail = atomic_load_explicit(&r->shm->cons.tail, memory_order_acquire);
	uint32_t count = (prod_tail - cons_tail) & r->mask;

	return count > r->capacity ? r->capacity : count;
}

/*
 * Shared objects by pointer: enqueue converts each pointer of this process to
 * its heap offset, dequeue converts back to a pointer of this process, in the
 * same pass as the slot copy (no bounce buffer: measured on a net_ring
 * forwarding loop, 438 -> 611 Mpps). The ring's default modes (SP/SC flags)
 * apply. Bursts: the return value says how many moved.
 */
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_enqueue_ptr_(struct mpdp_ring *r,
							    void *const *ptrs, unsigned int n,
							    int single, unsigned int *free_space)
{
	const uint8_t *base = mpdp_shm_base_;
	uint32_t head, avail;

	n = mpdp_ring_move_head_(&r->shm->prod, &r->shm->cons.tail, r->capacity, n, single, 0,
				 &head, &avail);
	if (n != 0) {
		const size_t size = (size_t)r->mask + 1;
		size_t idx = head & r->mask;

		if (mpdp_likely(idx + n <= size)) {
			uint64_t *dst = &r->slots[idx];

			for (unsigned int i = 0; i < n; i++)
				dst[i] = (uint64_t)((const uint8_t *)ptrs[i] - base);
		} else {
			for (unsigned int i = 0; i < n; i++)
				r->slots[(head + i) & r->mask] =
					(uint64_t)((const uint8_t *)ptrs[i] - base);
		}
		mpdp_ring_update_tail_(&r->shm->prod, head, n, single);
	}
	if (free_space != NULL)
		*free_space = avail;
	return n;
}

/*
 * Dequeue up to n pointers. With obj_len != 0 every offset read is checked to
 * name obj_len bytes inside this process's heap mapping (the producer may be
 * another process: distrust it, STYLE.md rule 8); entries that do not are
 * consumed, dropped and counted in *bad. The check is branch-free over the
 * burst (one OR-accumulated sign bit); only a burst with a bad entry is
 * compacted.
 */
MPDP_RING_ALWAYS_INLINE unsigned int mpdp_ring_dequeue_ptr_(struct mpdp_ring *r, void **ptrs,
							    unsigned int n, int single,
							    size_t obj_len, unsigned int *bad,
							    unsigned int *available)
{
	uint8_t *const base = mpdp_shm_base_;
	/* valid: 1 <= off <= lim, i.e. off - 1 in [0, lim - 1] */
	const uint64_t lim = mpdp_shm_len_ > obj_len ? mpdp_shm_len_ - obj_len : 1;
	uint64_t acc = 0;
	uint32_t head, avail;
	unsigned int got;

	if (bad != NULL)
		*bad = 0;
	n = mpdp_ring_move_head_(&r->shm->cons, &r->shm->prod.tail, 0, n, single, 0, &head,
				 &avail);
	if (available != NULL)
		*available = avail;
	if (n == 0)
		return 0;
	{
		const size_t size = (size_t)r->mask + 1;
		size_t idx = head & r->mask;

		if (mpdp_likely(idx + n <= size)) {
			const uint64_t *src = &r->slots[idx];

			for (unsigned int i = 0; i < n; i++) {
				uint64_t x = src[i] - 1;

				acc |= x | (lim - 1 - x);
				ptrs[i] = base + src[i];
			}
		} else {
			for (unsigned int i = 0; i < n; i++) {
				uint64_t o = r->slots[(head + i) & r->mask], x = o - 1;

				acc |= x | (lim - 1 - x);
				ptrs[i] = base + o;
			}
		}
	}
	mpdp_ring_update_tail_(&r->shm->cons, head, n, single);
	if (obj_len == 0 || mpdp_likely((acc >> 63) == 0))
		return n;
	got = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t o = (uint64_t)((uint8_t *)ptrs[i] - base);

		if (o - 1 >= lim) {
			if (bad != NULL)
				(*bad)++;
			continue;
		}
		ptrs[got++] = ptrs[i];
	}
	return got;
}

static inline unsigned int mpdp_ring_enqueue_burst_ptr(struct mpdp_ring *r, void *const *ptrs,
						       unsigned int n, unsigned int *free_space)
{
	if (MPDP_RING_SP(r))
		return mpdp_ring_enqueue_ptr_(r, ptrs, n, 1, free_space);
	return mpdp_ring_enqueue_ptr_(r, ptrs, n, 0, free_space);
}

static inline unsigned int mpdp_ring_dequeue_burst_ptr(struct mpdp_ring *r, void **ptrs,
						       unsigned int n, unsigned int *available)
{
	if (MPDP_RING_SC(r))
		return mpdp_ring_dequeue_ptr_(r, ptrs, n, 1, 0, NULL, available);
	return mpdp_ring_dequeue_ptr_(r, ptrs, n, 0, 0, NULL, available);
}

/*
 * Dequeue up to n pointers to objects of obj_len bytes written by a peer that
 * is not trusted: offsets that do not name obj_len bytes of the heap are
 * dropped and counted in *bad. Returns how many good pointers are in ptrs.
 */
static inline unsigned int mpdp_ring_dequeue_burst_ptr_checked(struct mpdp_ring *r, void **ptrs,
							       unsigned int n, size_t obj_len,
							       unsigned int *bad)
{
	if (MPDP_RING_SC(r))
		return mpdp_ring_dequeue_ptr_(r, ptrs, n, 1, obj_len, bad, NULL);
	return mpdp_ring_dequeue_ptr_(r, ptrs, n, 0, obj_len, bad, NULL);
}

static inline unsigned int mpdp_ring_free_count(const struct mpdp_ring *r)
{
	return r->capacity - mpdp_ring_count(r);
}

static inline unsigned int mpdp_ring_capacity(const struct mpdp_ring *r)
{
	return r->capacity;
}

/* ---- inspection (tools) ------------------------------------------------- */

/* A ring described by value, for tools. */
struct mpdp_ring_info {
	char name[MPDP_RING_NAME_SIZE];
	uint32_t size;           /* slots, a power of two */
	uint32_t capacity;       /* values it can hold */
	uint32_t count;          /* values in it now (a snapshot) */
	uint32_t flags;          /* MPDP_RING_F_* */
	mpdp_shm_off_t offset;   /* of the ring's shared header */
};

/*
 * Call cb for every ring of the instance (every memzone named "rg.*" that
 * holds a sane ring), in heap order. The names are collected under the
 * instance lock first and each ring is looked up afterwards, so cb may call
 * any function; a ring freed in between is left out, and one whose memzone
 * does not hold a sane ring (being created, or corrupt) is left out and
 * logged at debug level. Reads shared memory only: this process need not have
 * attached the rings. Stops when cb returns non-zero and returns that value,
 * else the number of rings visited; -ENODEV before mpdp_init(), -ENOMEM.
 * Any process, any thread.
 */
typedef int (*mpdp_ring_walk_cb_t)(const struct mpdp_ring_info *info, void *arg);
int mpdp_ring_walk(mpdp_ring_walk_cb_t cb, void *arg);

#endif /* MPDP_RING_H */
