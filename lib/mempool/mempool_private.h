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

/* Object index of a heap offset a backend or cache holds; -1 if it names none. */
static inline long mempool_off_to_index(const struct mpdp_mempool *mp, uint64_t off)
{
	uint64_t first = mpdp_shm_off(mp->objs) + sizeof(struct mpdp_mempool_objhdr_shm);
	uint64_t rel;

	if (off < first)
		return -1;
	rel = off - first;
	if (rel % mp->total_elt_size != 0 || rel / mp->total_elt_size >= mp->size)
		return -1;
	return (long)(rel / mp->total_elt_size);
}

/* Called by the runtime by name (see lib/eal/eal_private.h). */
void mpdp_mempool_primary_init_(void);
void mpdp_mempool_detach_all_(void);

#endif /* MEMPOOL_PRIVATE_H */
