/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_ring.c - cycles per object of mpdp_ring, and of DPDK's rte_ring in the
 * same run when DPDK is installed (built with -DHAVE_DPDK).
 *
 * Rows: single-object enqueue+dequeue (mpdp_ring_enqueue/dequeue against
 * rte_ring_enqueue/dequeue, the ring's default mode; cycles per pair); bulk
 * 1, 8, 32, 128 on one core (enqueue then dequeue, same thread); bulk 1, 8,
 * 32, 128 across two cores (one producer thread, one consumer thread, pinned
 * to different CPUs). SP/SC and MP/MC for each. Cycles are TSC cycles, as in
 * DPDK's ring_perf_autotest.
 *
 * Fairness: both libraries run the same loops (one macro each, same
 * translation unit, same flags, the ring calls inlined, the bulk size a
 * run-time value for both) on rings of the same size. Every loop is a
 * function of its own, so that neither side's code moves the other's (the
 * alignment of a tight loop alone moves a row by 10-20% on this class of
 * CPU). Each row runs mpdp and DPDK alternately, --rounds times, the first
 * of the pair changing every round, and keeps the best of each. The machine
 * is shared and noisy: compare only the figures of one run.
 *
 * Output: one line per row,
 *   bench ring <row> mpdp=<cyc/obj> dpdk=<cyc/obj> ratio=<mpdp/dpdk>
 * (dpdk=- when DPDK is not built in). Never a pass/fail.
 *
 * Usage: mpdp-bench-ring [runtime options] [-- [--iterations N] [--rounds N]
 *                                              [--rows TEXT]]
 *   --iterations N  objects per one-core run (default 4194304); a two-core
 *                   run moves N/4
 *   --rounds N      runs of each library per row, best kept (default 7)
 *   --rows TEXT     only the rows whose name contains TEXT
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <x86intrin.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ring.h>

#ifdef HAVE_DPDK
#include <rte_ring.h>
#endif

#define RING_SIZE 2048
#define MAX_BULK  128

static unsigned long iterations = 1u << 22;
static int rounds = 7;
static const char *rows_wanted;

static inline uint64_t cycles(void)
{
	return __rdtsc();
}

/* ---- the loops ----------------------------------------------------------- */

/* single-object API: one value per call, the ring's default mode */
#define M_ENQ1(r, o, n)   ((void)(n), mpdp_ring_enqueue((r), (o)[0]))
#define M_DEQ1(r, o, n)   ((void)(n), mpdp_ring_dequeue((r), (o)))
#define M_SP_ENQ(r, o, n) mpdp_ring_sp_enqueue_bulk((r), (o), (n), NULL)
#define M_SC_DEQ(r, o, n) mpdp_ring_sc_dequeue_bulk((r), (o), (n), NULL)
#define M_MP_ENQ(r, o, n) mpdp_ring_mp_enqueue_bulk((r), (o), (n), NULL)
#define M_MC_DEQ(r, o, n) mpdp_ring_mc_dequeue_bulk((r), (o), (n), NULL)
#ifdef HAVE_DPDK
#define D_ENQ1(r, o, n)   ((void)(n), rte_ring_enqueue((r), (void *)(uintptr_t)(o)[0]))
#define D_DEQ1(r, o, n)   ((void)(n), rte_ring_dequeue((r), (void **)(o)))
#define D_SP_ENQ(r, o, n) rte_ring_sp_enqueue_bulk((r), (void *const *)(o), (n), NULL)
#define D_SC_DEQ(r, o, n) rte_ring_sc_dequeue_bulk((r), (void **)(o), (n), NULL)
#define D_MP_ENQ(r, o, n) rte_ring_mp_enqueue_bulk((r), (void *const *)(o), (n), NULL)
#define D_MC_DEQ(r, o, n) rte_ring_mc_dequeue_bulk((r), (void **)(o), (n), NULL)
#endif

#define LOOP_FN static __attribute__((noinline, aligned(64)))

/* One core: enqueue then dequeue `bulk` values; returns cycles per object. */
#define ONE_CORE_FN(fn, ring_type, enq, deq)                                               \
	LOOP_FN double fn(void *ring, unsigned int bulk)                                   \
	{                                                                                  \
		ring_type *r = ring;                                                       \
		uint64_t objs[MAX_BULK] = { 0 }, iters = iterations / bulk, t0 = cycles(); \
                                                                                           \
		for (uint64_t i = 0; i < iters; i++) {                                     \
			enq(r, objs, bulk);                                                \
			deq(r, objs, bulk);                                                \
		}                                                                          \
		return (double)(cycles() - t0) / (double)(iters * bulk);                   \
	}

/* Two cores: move `total` values in batches of `bulk`, retrying while full/empty. */
#define MOVE_FN(fn, ring_type, move)                                   \
	LOOP_FN void fn(void *ring, unsigned int bulk, uint64_t total) \
	{                                                              \
		ring_type *r = ring;                                   \
		uint64_t objs[MAX_BULK] = { 0 };                       \
                                                                       \
		for (uint64_t done = 0; done < total;)                 \
			done += move(r, objs, bulk) ? bulk : 0;        \
	}

ONE_CORE_FN(m_single, struct mpdp_ring, M_ENQ1, M_DEQ1)
ONE_CORE_FN(m_bulk_s, struct mpdp_ring, M_SP_ENQ, M_SC_DEQ)
ONE_CORE_FN(m_bulk_m, struct mpdp_ring, M_MP_ENQ, M_MC_DEQ)
MOVE_FN(m_produce_s, struct mpdp_ring, M_SP_ENQ)
MOVE_FN(m_consume_s, struct mpdp_ring, M_SC_DEQ)
MOVE_FN(m_produce_m, struct mpdp_ring, M_MP_ENQ)
MOVE_FN(m_consume_m, struct mpdp_ring, M_MC_DEQ)
#ifdef HAVE_DPDK
ONE_CORE_FN(d_single, struct rte_ring, D_ENQ1, D_DEQ1)
ONE_CORE_FN(d_bulk_s, struct rte_ring, D_SP_ENQ, D_SC_DEQ)
ONE_CORE_FN(d_bulk_m, struct rte_ring, D_MP_ENQ, D_MC_DEQ)
MOVE_FN(d_produce_s, struct rte_ring, D_SP_ENQ)
MOVE_FN(d_consume_s, struct rte_ring, D_SC_DEQ)
MOVE_FN(d_produce_m, struct rte_ring, D_MP_ENQ)
MOVE_FN(d_consume_m, struct rte_ring, D_MC_DEQ)
#endif

/* One library's side of a row: a ring and the loop that runs on it. */
struct side {
	void *ring;
	double (*one_core)(void *ring, unsigned int bulk);
	void (*produce)(void *ring, unsigned int bulk, uint64_t total);
	void (*consume)(void *ring, unsigned int bulk, uint64_t total);
};

/* ---- two cores ----------------------------------------------------------- */

struct producer_arg {
	const struct side *s;
	unsigned int bulk;
	uint64_t total;
	_Atomic int *start;
};

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *producer(void *p)
{
	struct producer_arg *a = p;

	pin_self(0);
	atomic_fetch_add(a->start, 1);
	while (atomic_load(a->start) < 2)
		;
	a->s->produce(a->s->ring, a->bulk, a->total);
	return NULL;
}

/* Producer on CPU 0, consumer (this thread) on CPU 1; cycles per object. */
static double two_cores(const struct side *s, unsigned int bulk)
{
	_Atomic int start = 0;
	struct producer_arg a = { s, bulk, iterations / 4 / bulk * bulk, &start };
	uint64_t t0;
	pthread_t th;

	pin_self(1);
	if (pthread_create(&th, NULL, producer, &a) != 0)
		return 0;
	atomic_fetch_add(&start, 1);
	while (atomic_load(&start) < 2)
		;
	t0 = cycles();
	s->consume(s->ring, bulk, a.total);
	t0 = cycles() - t0;
	pthread_join(th, NULL);
	pin_self(0);
	return (double)t0 / (double)a.total;
}

/* ---- rows ---------------------------------------------------------------- */

static double run_once(const struct side *s, int two_core, unsigned int bulk)
{
	return two_core ? two_cores(s, bulk) : s->one_core(s->ring, bulk);
}

static void best_of(double *best, double v)
{
	if (*best == 0 || (v > 0 && v < *best))
		*best = v;
}

/*
 * mpdp and DPDK alternately, `rounds` times, the best of each: the machine is
 * shared and noisy. Which of the two goes first changes every round, so the
 * order cannot favour either.
 */
static void row(const char *name, const struct side *m, const struct side *d, int two_core,
		unsigned int bulk)
{
	double bm = 0, bd = 0;

	if (rows_wanted != NULL && strstr(name, rows_wanted) == NULL)
		return;
	for (int k = 0; k < rounds; k++) {
		if (d != NULL && (k & 1))
			best_of(&bd, run_once(d, two_core, bulk));
		best_of(&bm, run_once(m, two_core, bulk));
		if (d != NULL && !(k & 1))
			best_of(&bd, run_once(d, two_core, bulk));
	}
	if (d != NULL)
		printf("bench ring %-24s mpdp=%.2f dpdk=%.2f ratio=%.2f\n", name, bm, bd, bm / bd);
	else
		printf("bench ring %-24s mpdp=%.2f dpdk=- ratio=-\n", name, bm);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const unsigned int bulks[] = { 1, 8, 32, 128 };
	struct side m_single_sp, m_single_mp, m_sp, m_mp;
	struct side *d_single_sp = NULL, *d_single_mp = NULL, *d_sp = NULL, *d_mp = NULL;
	struct mpdp_ring *m_ring_sp, *m_ring_mp;
	char name[64];
	int n, err;

	n = mpdp_init(argc, argv);
	if (n < 0)
		return mpdp_init_failed(
			n, "\nmpdp-bench-ring options: --iterations N --rounds N --rows TEXT\n");
	argc -= n;
	argv += n;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 < argc && strcmp(argv[i], "--iterations") == 0) {
			iterations = strtoul(argv[i + 1], NULL, 0);
		} else if (i + 1 < argc && strcmp(argv[i], "--rounds") == 0) {
			rounds = atoi(argv[i + 1]);
		} else if (i + 1 < argc && strcmp(argv[i], "--rows") == 0) {
			rows_wanted = argv[i + 1];
		} else {
			fprintf(stderr, "mpdp-bench-ring: bad option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (iterations < 4 * MAX_BULK || rounds < 1) {
		fprintf(stderr, "mpdp-bench-ring: --iterations >= %d, --rounds >= 1\n",
			4 * MAX_BULK);
		return 2;
	}

	m_ring_sp = mpdp_ring_create("bench_sp", RING_SIZE, MPDP_RING_F_SP_ENQ | MPDP_RING_F_SC_DEQ,
				     &err);
	m_ring_mp = mpdp_ring_create("bench_mp", RING_SIZE, 0, &err);
	if (m_ring_sp == NULL || m_ring_mp == NULL) {
		fprintf(stderr, "ring create: %s\n", strerror(-err));
		return 1;
	}
	m_single_sp = (struct side){ m_ring_sp, m_single, NULL, NULL };
	m_single_mp = (struct side){ m_ring_mp, m_single, NULL, NULL };
	m_sp = (struct side){ m_ring_sp, m_bulk_s, m_produce_s, m_consume_s };
	m_mp = (struct side){ m_ring_mp, m_bulk_m, m_produce_m, m_consume_m };
#ifdef HAVE_DPDK
	/* rte_ring_init() needs no DPDK EAL; the memory is 64-byte aligned as DPDK's */
	struct rte_ring *d_ring_sp = aligned_alloc(64, rte_ring_get_memsize(RING_SIZE));
	struct rte_ring *d_ring_mp = aligned_alloc(64, rte_ring_get_memsize(RING_SIZE));
	static struct side d_sides[4];

	if (d_ring_sp == NULL || d_ring_mp == NULL ||
	    rte_ring_init(d_ring_sp, "bench_sp", RING_SIZE, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0 ||
	    rte_ring_init(d_ring_mp, "bench_mp", RING_SIZE, 0) != 0) {
		fprintf(stderr, "rte_ring_init failed\n");
		return 1;
	}
	d_sides[0] = (struct side){ d_ring_sp, d_single, NULL, NULL };
	d_sides[1] = (struct side){ d_ring_mp, d_single, NULL, NULL };
	d_sides[2] = (struct side){ d_ring_sp, d_bulk_s, d_produce_s, d_consume_s };
	d_sides[3] = (struct side){ d_ring_mp, d_bulk_m, d_produce_m, d_consume_m };
	d_single_sp = &d_sides[0];
	d_single_mp = &d_sides[1];
	d_sp = &d_sides[2];
	d_mp = &d_sides[3];
#endif
	printf("bench ring iterations=%lu rounds=%d ring_size=%u dpdk=%s "
	       "(TSC cycles per object, best of rounds)\n",
	       iterations, rounds, RING_SIZE, d_sp != NULL ? "yes" : "no");
	pin_self(0);

	/* warm-up, not reported: fault the rings and the loops in, wake the CPU up */
	for (int k = 0; k < 4; k++) {
		run_once(&m_sp, 0, MAX_BULK);
		run_once(&m_mp, 0, MAX_BULK);
		if (d_sp != NULL) {
			run_once(d_sp, 0, MAX_BULK);
			run_once(d_mp, 0, MAX_BULK);
		}
	}

	row("single_sp_sc", &m_single_sp, d_single_sp, 0, 1);
	row("single_mp_mc", &m_single_mp, d_single_mp, 0, 1);
	for (unsigned int i = 0; i < MPDP_DIM(bulks); i++) {
		snprintf(name, sizeof(name), "1core_bulk%u_sp_sc", bulks[i]);
		row(name, &m_sp, d_sp, 0, bulks[i]);
		snprintf(name, sizeof(name), "1core_bulk%u_mp_mc", bulks[i]);
		row(name, &m_mp, d_mp, 0, bulks[i]);
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		for (unsigned int i = 0; i < MPDP_DIM(bulks); i++) {
			snprintf(name, sizeof(name), "2core_bulk%u_sp_sc", bulks[i]);
			row(name, &m_sp, d_sp, 1, bulks[i]);
			snprintf(name, sizeof(name), "2core_bulk%u_mp_mc", bulks[i]);
			row(name, &m_mp, d_mp, 1, bulks[i]);
		}
	}

	mpdp_ring_free(m_ring_sp);
	mpdp_ring_free(m_ring_mp);
#ifdef HAVE_DPDK
	free(d_ring_sp);
	free(d_ring_mp);
#endif
	mpdp_cleanup();
	return 0;
}
