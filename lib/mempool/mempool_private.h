/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool_private.h - what the mempool files share: the pool table in shared
 * memory, the backend registry and the log macro.
 */
#ifndef MEMPOOL_PRIVATE_H
#define MEMPOOL_PRIVATE_H

#include <stdatomic.h>
#include <stdint.h>

#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mempool.h>

#define MP_LOG(level, ...) mpdp_log(MPDP_LOG_##level, "mempool", __VA_ARGS__)

/*
 * The pool table, memzone "mpdp.mempools", made by whichever process needs it
 * first. A slot's value says what it holds:
 *   0                 free
 *   (pid << 1) | 1    being created by process pid (a dead pid frees it)
 *   even, non-zero    heap offset of a published struct mpdp_mempool_shm
 * Claiming is a CAS from 0 (or from a dead creator's value); publishing is a
 * release store, so a reader that loads the offset with acquire sees the
 * finished pool. The slot index is the pool id every mbuf and object header
 * carries.
 */
#define MEMPOOL_TABLE_ZONE "mpdp.mempools"

/*
 * The pool table. A slot is 0 (free), pid << 1 | 1 (being created by pid),
 * or, published, the pool's heap offset (even, below 2^48) with a serial
 * number in the top 16 bits: a pool freed and another created at the same
 * offset under the same id still make a different slot value, so a handle
 * made for the first one is never taken for the second (from_id compares
 * the whole value).
 */
struct mempool_table_shm {
	_Atomic uint64_t slot[MPDP_MEMPOOL_MAX];
	_Atomic uint64_t serial; /* (A) bumped by each create */
};

#define MEMPOOL_SLOT_OFF_MASK ((1ULL << 48) - 1)

static inline int mempool_slot_published(uint64_t v)
{
	return v != 0 && (v & 1) == 0;
}

/* Heap offset of the pool a published slot value names. */
static inline uint64_t mempool_slot_off(uint64_t v)
{
	return v & MEMPOOL_SLOT_OFF_MASK;
}

/* The table in this process (made if missing); NULL with *err on failure. */
struct mempool_table_shm *mempool_table(int *err);

/* Backend registry (mempool_ops.c). */
const struct mpdp_mempool_ops *mempool_ops_find(const char *name);
extern const struct mpdp_mempool_ops mempool_ring_ops;
extern const struct mpdp_mempool_ops mempool_stack_ops;

/*
 * Where the objects are. In IOVA mode VA they follow each other at
 * total_elt_size from objs_off (one run). In IOVA mode PA an object (header
 * included) never spans two physically discontiguous heap pages: where the
 * next one would, placement skips to the next page start (docs/design/iova.md),
 * so the objects form runs, each at uniform stride. The layout is a pure
 * function of objs_off, size, total_elt_size and the instance's IOVA table,
 * which is immutable, so every process computes the same runs (at create and
 * at attach) and nothing about them is stored in shared memory.
 */
struct mempool_run {
	uint64_t off;   /* heap offset of the header of object `first` */
	uint32_t first; /* index of its first object */
	uint32_t count; /* objects in the run */
};

/*
 * The process-local handle as this library allocates it: the public struct
 * first (so free(mp) frees it all), then the runs.
 */
struct mempool_local {
	struct mpdp_mempool mp;
	uint64_t span;             /* bytes from objs_off to the end of the last object */
	uint32_t nb_runs;
	struct mempool_run runs[]; /* by increasing offset and index */
};

static inline const struct mempool_local *mempool_local_of(const struct mpdp_mempool *mp)
{
	return (const struct mempool_local *)(const void *)mp;
}

/* Object index of a heap offset a backend or cache holds; -1 if it names none. */
static inline long mempool_off_to_index(const struct mpdp_mempool *mp, uint64_t off)
{
	const struct mempool_local *l = mempool_local_of(mp);
	uint32_t lo = 0, hi = l->nb_runs;
	uint64_t rel;

	/* the run with the largest start at or below off */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (l->runs[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (l->nb_runs == 0 || off < l->runs[lo].off + sizeof(struct mpdp_mempool_objhdr_shm))
		return -1;
	rel = off - l->runs[lo].off - sizeof(struct mpdp_mempool_objhdr_shm);
	if (rel % mp->total_elt_size != 0 || rel / mp->total_elt_size >= l->runs[lo].count)
		return -1;
	return (long)(l->runs[lo].first + rel / mp->total_elt_size);
}

/* Called by the runtime by name (see lib/eal/eal_private.h). */
void mpdp_mempool_primary_init_(void);
void mpdp_mempool_detach_all_(void);

#endif /* MEMPOOL_PRIVATE_H */
