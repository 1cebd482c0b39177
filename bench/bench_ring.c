/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_ring.c - cycles per object of mpdp_ring, and of DPDK's rte_ring in the
 * same run when DPDK is installed (built with -DHAVE_DPDK).
 *
 * Rows: single-object enqueue+dequeue (cycles per pair, default mode of the ring); bulk 1, 8, 32, 128 on one core
 * (enqueue then dequeue, same thread); bulk 8, 32, 128 across two cores (one
 * producer thread, one consumer thread, pinned to different CPUs). SP/SC and
 * MP/MC for each. Cycles are TSC cycles, as in DPDK's ring_perf_autotest.
 *
 * Output: one line per row,
 *   bench ring <row> mpdp=<cyc/obj> dpdk=<cyc/obj> ratio=<mpdp/dpdk>
 * (dpdk=- when DPDK is not built in). Never a pass/fail.
 *
 * Usage: mpdp-bench-ring [runtime options] [-- --iterations N]
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
#define MAX_BULK 128
#define ROUNDS 3

static unsigned long iterations = 1u << 22;

static inline uint64_t cycles(void)
{
	return __rdtsc();
}

/* ---- one core ------------------------------------------------------------ */

#define ONE_CORE_LOOP(enq, deq, ring, bulk)                                                  \
	({                                                                                   \
		uint64_t objs_[MAX_BULK] = { 0 }, t0_, iters_ = iterations / (bulk);         \
		t0_ = cycles();                                                              \
		for (uint64_t i_ = 0; i_ < iters_; i_++) {                                   \
			enq((ring), objs_, (bulk));                                          \
			deq((ring), objs_, (bulk));                                          \
		}                                                                            \
		(double)(cycles() - t0_) / (double)(iters_ * (bulk));                        \
	})

/* single-object API: one value per call, the ring's default mode */
#define M_ENQ1(r, o, n) ((void)(n), mpdp_ring_enqueue((r), (o)[0]))
#define M_DEQ1(r, o, n) ((void)(n), mpdp_ring_dequeue((r), (o)))
#define M_SP_ENQ(r, o, n) mpdp_ring_sp_enqueue_bulk((r), (o), (n), NULL)
#define M_SC_DEQ(r, o, n) mpdp_ring_sc_dequeue_bulk((r), (o), (n), NULL)
#define M_MP_ENQ(r, o, n) mpdp_ring_mp_enqueue_bulk((r), (o), (n), NULL)
#define M_MC_DEQ(r, o, n) mpdp_ring_mc_dequeue_bulk((r), (o), (n), NULL)
#ifdef HAVE_DPDK
#define D_ENQ1(r, o, n) ((void)(n), rte_ring_enqueue((r), (void *)(uintptr_t)(o)[0]))
#define D_DEQ1(r, o, n) ((void)(n), rte_ring_dequeue((r), (void **)(o)))
#define D_SP_ENQ(r, o, n) rte_ring_sp_enqueue_bulk((r), (void *const *)(o), (n), NULL)
#define D_SC_DEQ(r, o, n) rte_ring_sc_dequeue_bulk((r), (void **)(o), (n), NULL)
#define D_MP_ENQ(r, o, n) rte_ring_mp_enqueue_bulk((r), (void *const *)(o), (n), NULL)
#define D_MC_DEQ(r, o, n) rte_ring_mc_dequeue_bulk((r), (void **)(o), (n), NULL)
#endif

/* ---- two cores ----------------------------------------------------------- */

struct two_core {
	void *ring;
	int dpdk, multi, cpu;
	unsigned int bulk;
	uint64_t total;
	_Atomic int *start;
	uint64_t t_end;
};

#define PRODUCE(enq, ring, bulk, total)                                                      \
	do {                                                                                 \
		uint64_t objs_[MAX_BULK] = { 0 };                                            \
		for (uint64_t done_ = 0; done_ < (total);)                                   \
			done_ += enq((ring), objs_, (bulk)) ? (bulk) : 0;                    \
	} while (0)
#define CONSUME(deq, ring, bulk, total)                                                      \
	do {                                                                                 \
		uint64_t objs_[MAX_BULK];                                                    \
		for (uint64_t done_ = 0; done_ < (total);)                                   \
			done_ += deq((ring), objs_, (bulk)) ? (bulk) : 0;                    \
	} while (0)

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *producer(void *p)
{
	struct two_core *t = p;

	pin_self(t->cpu);
	atomic_fetch_add(t->start, 1);
	while (atomic_load(t->start) < 2)
		;
#ifdef HAVE_DPDK
	if (t->dpdk) {
		if (t->multi)
			PRODUCE(D_MP_ENQ, (struct rte_ring *)t->ring, t->bulk, t->total);
		else
			PRODUCE(D_SP_ENQ, (struct rte_ring *)t->ring, t->bulk, t->total);
		return NULL;
	}
#endif
	if (t->multi)
		PRODUCE(M_MP_ENQ, (struct mpdp_ring *)t->ring, t->bulk, t->total);
	else
		PRODUCE(M_SP_ENQ, (struct mpdp_ring *)t->ring, t->bulk, t->total);
	return NULL;
}

static double two_cores(void *ring, int dpdk, int multi, unsigned int bulk)
{
	_Atomic int start = 0;
	struct two_core prod = { ring, dpdk, multi, 0, bulk, 0, &start, 0 };
	uint64_t total = iterations / bulk * bulk, t0;
	pthread_t th;

	prod.total = total;
	pin_self(1);
	pthread_create(&th, NULL, producer, &prod);
	atomic_fetch_add(&start, 1);
	while (atomic_load(&start) < 2)
		;
	t0 = cycles();
#ifdef HAVE_DPDK
	if (dpdk) {
		if (multi)
			CONSUME(D_MC_DEQ, (struct rte_ring *)ring, bulk, total);
		else
			CONSUME(D_SC_DEQ, (struct rte_ring *)ring, bulk, total);
	} else
#endif
	{
		if (multi)
			CONSUME(M_MC_DEQ, (struct mpdp_ring *)ring, bulk, total);
		else
			CONSUME(M_SC_DEQ, (struct mpdp_ring *)ring, bulk, total);
	}
	t0 = cycles() - t0;
	pthread_join(th, NULL);
	return (double)t0 / (double)total;
}

static void row(const char *name, double m, double d)
{
	if (d > 0)
		printf("bench ring %-24s mpdp=%.2f dpdk=%.2f ratio=%.2f\n", name, m, d, m / d);
	else
		printf("bench ring %-24s mpdp=%.2f dpdk=- ratio=-\n", name, m);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const unsigned int bulks[] = { 1, 8, 32, 128 };
	struct mpdp_ring *m_sp, *m_mp;
	void *d_sp = NULL, *d_mp = NULL;
	char name[64];
	double m, d;
	int n, err;

	n = mpdp_init(argc, argv);
	if (n < 0)
		return mpdp_init_failed(n, "\nmpdp-bench-ring options: --iterations N\n");
	argc -= n;
	argv += n;
	if (argc == 3 && strcmp(argv[1], "--iterations") == 0)
		iterations = strtoul(argv[2], NULL, 0);
	m_sp = mpdp_ring_create("bench_sp", RING_SIZE, MPDP_RING_F_SP_ENQ | MPDP_RING_F_SC_DEQ, &err);
	m_mp = mpdp_ring_create("bench_mp", RING_SIZE, 0, &err);
	if (m_sp == NULL || m_mp == NULL) {
		fprintf(stderr, "ring create: %s\n", strerror(-err));
		return 1;
	}
#ifdef HAVE_DPDK
	d_sp = aligned_alloc(64, rte_ring_get_memsize(RING_SIZE));
	d_mp = aligned_alloc(64, rte_ring_get_memsize(RING_SIZE));
	rte_ring_init(d_sp, "bench_sp", RING_SIZE, RING_F_SP_ENQ | RING_F_SC_DEQ);
	rte_ring_init(d_mp, "bench_mp", RING_SIZE, 0);
#endif
	printf("bench ring iterations=%lu ring_size=%u dpdk=%s (TSC cycles per object)\n",
	       iterations, RING_SIZE, d_sp ? "yes" : "no");
	pin_self(0);

	/*
	 * Each row runs mpdp and DPDK alternately, ROUNDS times, and keeps the
	 * best of each: the machine is shared and noisy, and the order in which
	 * the two run must not favour either.
	 */
#define BEST(var, expr)                                                                      \
	do {                                                                                 \
		double v_ = (expr);                                                          \
		if ((var) == 0 || v_ < (var))                                                \
			(var) = v_;                                                          \
	} while (0)
#ifdef HAVE_DPDK
#define DPDK_SIDE(expr) BEST(d, (expr))
#else
#define DPDK_SIDE(expr) ((void)0)
#endif
	/* one row on one core: mpdp and DPDK alternately, best of ROUNDS each */
#define ONE_CORE_ROW(row_name, m_enq, m_deq, m_ring, d_enq, d_deq, d_ring, b)                 \
	do {                                                                                 \
		m = d = 0;                                                                   \
		for (int k = 0; k < ROUNDS; k++) {                                           \
			BEST(m, ONE_CORE_LOOP(m_enq, m_deq, m_ring, b));                     \
			DPDK_SIDE(ONE_CORE_LOOP(d_enq, d_deq, (struct rte_ring *)(d_ring), b)); \
		}                                                                            \
		row((row_name), m, d);                                                       \
	} while (0)

	ONE_CORE_ROW("single_sp_sc", M_ENQ1, M_DEQ1, m_sp, D_ENQ1, D_DEQ1, d_sp, 1);
	ONE_CORE_ROW("single_mp_mc", M_ENQ1, M_DEQ1, m_mp, D_ENQ1, D_DEQ1, d_mp, 1);
	for (unsigned int i = 0; i < MPDP_DIM(bulks); i++) {
		unsigned int b = bulks[i];

		snprintf(name, sizeof(name), "1core_bulk%u_sp_sc", b);
		ONE_CORE_ROW(name, M_SP_ENQ, M_SC_DEQ, m_sp, D_SP_ENQ, D_SC_DEQ, d_sp, b);
		snprintf(name, sizeof(name), "1core_bulk%u_mp_mc", b);
		ONE_CORE_ROW(name, M_MP_ENQ, M_MC_DEQ, m_mp, D_MP_ENQ, D_MC_DEQ, d_mp, b);
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		for (unsigned int i = 0; i < MPDP_DIM(bulks); i++) {
			unsigned int b = bulks[i];

			for (int multi = 0; multi <= 1; multi++) {
				snprintf(name, sizeof(name), "2core_bulk%u_%s", b,
					 multi ? "mp_mc" : "sp_sc");
				m = d = 0;
				for (int k = 0; k < ROUNDS; k++) {
					BEST(m, two_cores(multi ? (void *)m_mp : (void *)m_sp, 0,
							  multi, b));
					if (d_sp != NULL)
						BEST(d, two_cores(multi ? d_mp : d_sp, 1, multi, b));
				}
				row(name, m, d);
			}
		}
	}
	mpdp_ring_free(m_sp);
	mpdp_ring_free(m_mp);
	free(d_sp);
	free(d_mp);
	mpdp_cleanup();
	return 0;
}
