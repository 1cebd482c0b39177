/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool_helper.h - what the mempool/mbuf helper binaries of the multi-process
 * tests share.
 *
 * Three programs, each a PIE with its own copy of the library:
 *
 *   mpdp-test-pool-primary   (pool_primary.c) the primary: creates the pool,
 *                            the rings and the shared test state, answers
 *                            the st-* commands that pause, freeze and audit
 *   mpdp-test-pool-producer  (pool_worker.c, PW_ROLE_PRODUCER)
 *   mpdp-test-pool-consumer  (pool_worker.c, PW_ROLE_CONSUMER)
 *                            secondaries: "run IDX" is the stress loop of
 *                            their role, "shell" answers the commands below
 *
 * Commands every one of them answers (pool_cmds.c), on top of mp_helper.h's:
 *
 *   pool-create NAME N CACHE OPS|- DATAROOM PRIV   mbuf pool (OPS "-": ring)
 *   pool-lookup NAME          attach by name; "OK id= ops= size= cache= ...
 *                             broken=" and, "ring" backend, "prod_head=
 *                             prod_tail= cons_head= cons_tail="
 *   pool-walk                 every pool of the instance, from shared memory
 *   pool-from-id ID           mpdp_mempool_from_id(): "OK found=0|1 name="
 *   pool-churn NAME ITERS MAXBULK   get/put loop; every object held carries a
 *                             stamp (pid, serial) that is checked before it is
 *                             put, so an object handed to two holders at
 *                             once is caught; ends with the cache flushed
 *   pool-audit NAME           mpdp_mempool_audit() (quiescent pool)
 *   pool-flush NAME           mpdp_mempool_cache_flush() for this lcore
 *   pool-free NAME            mpdp_mempool_free()
 *   ring-create NAME COUNT    MP/MC ring
 *   mbuf-build POOL RING COUNT SEGS SEED CLONES
 *                             COUNT packets of SEGS chained segments with
 *                             pattern data, then CLONES clones (of packets
 *                             0 ..), all enqueued on RING by heap offset
 *   mbuf-inspect RING COUNT SEGS SEED CLONES FWD|- SEED2
 *                             dequeue COUNT + CLONES packets, check every
 *                             segment, the data, the private area and the
 *                             clones; free the clones; rewrite the originals
 *                             with SEED2 and enqueue them on FWD, or free them
 *   Both mbuf commands answer with where each packet is in this process:
 *     mI=<heap offset of each segment, '.' joined>
 *     dI=<heap offset of each segment's data (mtod), '.' joined>
 *     aI=<address of the first segment's data in this process>
 *
 * The stress state ("pt.ctl", struct ph_ctl_shm) is test instrumentation: each
 * worker publishes the mbufs it holds, and flags (phase) the stretches where
 * it is inside the library, so that a worker stopped outside them can be
 * killed with an exact account of what it held.
 */
#ifndef POOL_HELPER_H
#define POOL_HELPER_H

#include <stdatomic.h>
#include <stdint.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_mempool.h>

#define PH_CTL_NAME    "pt.ctl"
#define PH_BITMAP_NAME "pt.bitmap"
#define PH_POOL_NAME   "pt.pool"
#define PH_RING_FMT    "pt.ring%u"

#define PH_MAX_WORKERS 16
#define PH_MAX_RINGS   4
#define PH_BURST_MAX   64
#define PH_CTL_MAGIC   0x7074637472616c21ULL

/* Bytes of payload a producer writes into each mbuf. */
#define PH_PAYLOAD 16

/* ph_worker_shm.phase: where the worker is (it writes, the primary reads). */
enum { PH_OUT = 0, PH_IN = 1 };
/* ph_worker_shm.state */
/* FINISHED: a producer that enqueued its quota and waits (parkable) for st-stop */
enum { PH_W_NONE = 0, PH_W_RUNNING, PH_W_FINISHED, PH_W_DONE };
/* ph_ctl_shm.stop: producers leave on either; consumers as it says */
enum { PH_STOP_NO = 0, PH_STOP_DRAINED, PH_STOP_NOW };

/*
 * One worker. (W) the worker writes, the primary reads only while the worker
 * cannot run (stopped, paused, dead) except for the relaxed counters.
 * Invariant at every instant the worker is outside the library (phase ==
 * PH_OUT): held[0 .. n_held) are exactly the mbufs it holds; for a producer
 * held[i] carries sequence number next + i.
 */
struct ph_worker_shm {
	_Atomic uint32_t phase;     /* (W) PH_OUT / PH_IN */
	_Atomic uint32_t state;     /* (W) PH_W_* */
	_Atomic int32_t pid;        /* (W) */
	_Atomic uint32_t lcore;     /* (W) its lcore id */
	uint32_t n_held;            /* (W) */
	uint32_t reserved;
	uint64_t next;              /* (W) producer: sequence numbers [0, next) enqueued */
	_Atomic uint64_t count;     /* (W) producer: enqueued; consumer: checked and freed */
	_Atomic uint64_t idle;      /* (W) loops without progress */
	_Atomic uint64_t alloc_fail;/* (W) producer: empty pool */
	_Atomic uint64_t cache_at_exit; /* (W) objects in its lcore cache when it left */
	_Atomic uint32_t linger;    /* primary: dwell a while where it holds mbufs */
	uint32_t reserved2;
	uint64_t held[PH_BURST_MAX];    /* (W) heap offsets */
} MPDP_CACHE_ALIGNED;

/* The shared stress state; (I) written by the primary at st-setup. */
struct ph_ctl_shm {
	uint64_t magic;           /* (I) */
	uint32_t nb_prod;         /* (I) workers 0 .. nb_prod-1 produce */
	uint32_t nb_cons;         /* (I) workers nb_prod .. nb_prod+nb_cons-1 consume */
	uint32_t nb_rings;        /* (I) */
	uint32_t burst;           /* (I) */
	uint64_t quota;           /* (I) sequence numbers per producer, at most */
	uint64_t nb_bits;         /* (I) nb_prod * quota: bit seq of the bitmap */
	_Atomic uint32_t pause;   /* primary: workers park at the top of their loop */
	_Atomic uint32_t paused;  /* workers parked */
	_Atomic uint32_t stop;    /* primary: PH_STOP_* */
	_Atomic uint32_t produce_stop; /* primary: producers end early (time budget) */
	_Atomic uint64_t dups;    /* consumers: sequence numbers seen twice */
	_Atomic uint64_t bad;     /* consumers: mbufs whose content is wrong */
	_Atomic uint64_t bad_off; /* the first bad mbuf and what it held */
	_Atomic uint64_t bad_w0;
	_Atomic uint64_t bad_w1;
	struct ph_worker_shm w[PH_MAX_WORKERS];
};

/* What a producer writes for sequence number seq into the mbuf at heap offset off. */
static inline uint64_t ph_check_word(uint64_t seq, uint64_t off)
{
	return (seq * 0x9e3779b97f4a7c15ULL) ^ off ^ 0x5a5a5a5a5a5a5a5aULL;
}

/*
 * Object index of obj in mp, or -1 when obj is not the start of one of its
 * objects (an offset read from a ring is input: check it before use).
 */
long ph_obj_index(const struct mpdp_mempool *mp, const void *obj);

/* The shell commands above; returns 1 when it handled argv[0]. */
int pc_command(int argc, char **argv);

/* This process's ring handle for name (attached on first use), or NULL. */
struct mpdp_ring *pc_ring(const char *name);

#endif /* POOL_HELPER_H */
