/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_mempool.c - cycles per object of mpdp_mempool and mpdp_mbuf, and of
 * DPDK's rte_mempool and rte_mbuf in the same process run when DPDK is
 * installed (built with -DHAVE_DPDK).
 *
 * Both runtimes live in this one process: mpdp_init() as a primary with its
 * own runtime directory and prefix (tmpfs heap), then rte_eal_init() with
 * --no-huge and --no-shconf (no shared config files) under a prefix of its
 * own; both heaps are in 4 KiB pages. Both put their main lcore on the same
 * CPU, the first one this process may run on, so the main thread is an lcore
 * of both (mpdp_lcore_id() and rte_lcore_id() are valid, caches are used) and
 * every single-core row runs on that one CPU for both. The two-core rows use
 * each runtime's own worker lcore on the second CPU.
 *
 * The pools are alike: the same number of objects, object size and cache
 * size, multi-producer multi-consumer, backed by a ring ("ring" for mpdp, the
 * default "ring_mp_mc" for DPDK). Objects are not touched by the mempool
 * rows (as in DPDK's mempool_perf_autotest); the mbuf rows write what
 * alloc and free write.
 *
 * Rows:
 *   mempool: each iteration gets KEEP (128) objects in bulks of b, then puts
 *   them back in bulks of b; b = 1, 4, 32, 128; with a cache and without.
 *   Cycles per object = one get plus one put of that object.
 *   2core_*: the same loop on both CPUs at once on the same pool, for the
 *   same 20 ms window of TSC time; the figure is the mean of the two lcores'
 *   cycles per object (b = 1 and 32).
 *   mbuf: 32 mbufs allocated then freed, in one bulk of 32, in 32 bulks of 1,
 *   or one at a time (alloc/free); cycles per mbuf (alloc + free).
 *
 * Each row runs mpdp and DPDK alternately, --rounds times, and keeps the best
 * of each: the runs are short (a few ms) and many, so that on a shared,
 * noisy machine some of them run undisturbed. Cycles are TSC cycles; the TSC frequency is calibrated against
 * CLOCK_MONOTONIC and printed (with DPDK's own figure when DPDK runs).
 *
 * Output: one line per row, never a pass/fail:
 *   bench mempool <row> mpdp=<cyc/obj> dpdk=<cyc/obj> ratio=<mpdp/dpdk>
 * (dpdk=- when DPDK is not built in or its EAL did not start).
 *
 * Usage: mpdp-bench-mempool [--iterations N] [--rounds N] [--cache N] [--row TEXT]
 *                           [--no-dpdk]
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_mempool.h>

#ifdef HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_version.h>
#endif

#define POOL_SIZE 8191 /* DPDK's ring rounds count + 1 up to a power of two */
#define ELT_SIZE  2048 /* as mempool_perf_autotest */
#define KEEP      128  /* objects held per iteration, mempool rows */
#define MBUF_KEEP 32   /* mbufs held per iteration, mbuf rows */
#define MAX_ROUNDS 100

static unsigned long iterations = 1ul << 20; /* objects per timed run */
static unsigned int rounds = 10;
static unsigned int cache_size = 512; /* RTE_MEMPOOL_CACHE_MAX_SIZE, as the autotest */
static int want_dpdk = 1;
static const char *only; /* --row: rows whose name contains this */

static inline uint64_t cycles(void)
{
	return __rdtsc();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* TSC ticks per second, against CLOCK_MONOTONIC over ~200 ms (best of 3). */
static double tsc_hz_calibrate(void)
{
	double best = 0;

	for (int k = 0; k < 3; k++) {
		uint64_t n0 = now_ns(), c0 = cycles(), n1, c1;

		do {
			n1 = now_ns();
		} while (n1 - n0 < 70000000ULL);
		c1 = cycles();
		double hz = (double)(c1 - c0) * 1e9 / (double)(n1 - n0);

		/* the shortest-looking interval is the one least disturbed */
		if (best == 0 || hz < best)
			best = hz;
	}
	return best;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* ---- the loops ------------------------------------------------------------ */

/*
 * Each loop is one function per library (noinline, so objdump shows it
 * whole) around an always-inline body that the switch instantiates with a
 * constant bulk size, as a real caller's burst size is. Returns cycles per
 * object, or -1 when a get failed (the pool ran dry: a bug in the set-up).
 */
#define BODY_SWITCH(body, ...)                                                               \
	switch (b) {                                                                         \
	case 1: return body(__VA_ARGS__, 1);                                                 \
	case 4: return body(__VA_ARGS__, 4);                                                 \
	case 32: return body(__VA_ARGS__, 32);                                               \
	case 128: return body(__VA_ARGS__, 128);                                             \
	default: return body(__VA_ARGS__, b);                                                \
	}

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define NOINLINE      static __attribute__((noinline))

ALWAYS_INLINE double m_mempool_body(struct mpdp_mempool *mp, uint64_t iters, unsigned int b)
{
	void *objs[KEEP];
	uint64_t t0 = cycles();

	for (uint64_t it = 0; it < iters; it++) {
		for (unsigned int i = 0; i < KEEP; i += b)
			if (mpdp_unlikely(mpdp_mempool_get_bulk(mp, &objs[i], b) != 0)) {
				mpdp_mempool_put_bulk(mp, objs, i);
				return -1;
			}
		for (unsigned int i = 0; i < KEEP; i += b)
			mpdp_mempool_put_bulk(mp, &objs[i], b);
	}
	return (double)(cycles() - t0) / (double)(iters * KEEP);
}

NOINLINE double m_mempool_loop(void *pool, uint64_t iters, unsigned int b)
{
	struct mpdp_mempool *mp = pool;

	BODY_SWITCH(m_mempool_body, mp, iters)
}

ALWAYS_INLINE double m_mbuf_bulk_body(struct mpdp_mempool *mp, uint64_t iters, unsigned int b)
{
	struct mpdp_mbuf *m[MBUF_KEEP];
	uint64_t t0 = cycles();

	for (uint64_t it = 0; it < iters; it++) {
		for (unsigned int i = 0; i < MBUF_KEEP; i += b)
			if (mpdp_unlikely(mpdp_mbuf_alloc_bulk(mp, &m[i], b) != 0)) {
				mpdp_mbuf_free_bulk(m, i);
				return -1;
			}
		for (unsigned int i = 0; i < MBUF_KEEP; i += b)
			mpdp_mbuf_free_bulk(&m[i], b);
	}
	return (double)(cycles() - t0) / (double)(iters * MBUF_KEEP);
}

NOINLINE double m_mbuf_bulk_loop(void *pool, uint64_t iters, unsigned int b)
{
	struct mpdp_mempool *mp = pool;

	BODY_SWITCH(m_mbuf_bulk_body, mp, iters)
}

NOINLINE double m_mbuf_single_loop(void *pool, uint64_t iters, unsigned int b)
{
	struct mpdp_mempool *mp = pool;
	struct mpdp_mbuf *m[MBUF_KEEP];
	uint64_t t0 = cycles();

	(void)b;
	for (uint64_t it = 0; it < iters; it++) {
		for (unsigned int i = 0; i < MBUF_KEEP; i++) {
			m[i] = mpdp_mbuf_alloc(mp);
			if (mpdp_unlikely(m[i] == NULL)) {
				mpdp_mbuf_free_bulk(m, i);
				return -1;
			}
		}
		for (unsigned int i = 0; i < MBUF_KEEP; i++)
			mpdp_mbuf_free(m[i]);
	}
	return (double)(cycles() - t0) / (double)(iters * MBUF_KEEP);
}

#ifdef HAVE_DPDK
ALWAYS_INLINE double d_mempool_body(struct rte_mempool *mp, uint64_t iters, unsigned int b)
{
	void *objs[KEEP];
	uint64_t t0 = cycles();

	for (uint64_t it = 0; it < iters; it++) {
		for (unsigned int i = 0; i < KEEP; i += b)
			if (unlikely(rte_mempool_get_bulk(mp, &objs[i], b) != 0)) {
				rte_mempool_put_bulk(mp, objs, i);
				return -1;
			}
		for (unsigned int i = 0; i < KEEP; i += b)
			rte_mempool_put_bulk(mp, &objs[i], b);
	}
	return (double)(cycles() - t0) / (double)(iters * KEEP);
}

NOINLINE double d_mempool_loop(void *pool, uint64_t iters, unsigned int b)
{
	struct rte_mempool *mp = pool;

	BODY_SWITCH(d_mempool_body, mp, iters)
}

ALWAYS_INLINE double d_mbuf_bulk_body(struct rte_mempool *mp, uint64_t iters, unsigned int b)
{
	struct rte_mbuf *m[MBUF_KEEP];
	uint64_t t0 = cycles();

	for (uint64_t it = 0; it < iters; it++) {
		for (unsigned int i = 0; i < MBUF_KEEP; i += b)
			if (unlikely(rte_pktmbuf_alloc_bulk(mp, &m[i], b) != 0)) {
				rte_pktmbuf_free_bulk(m, i);
				return -1;
			}
		for (unsigned int i = 0; i < MBUF_KEEP; i += b)
			rte_pktmbuf_free_bulk(&m[i], b);
	}
	return (double)(cycles() - t0) / (double)(iters * MBUF_KEEP);
}

NOINLINE double d_mbuf_bulk_loop(void *pool, uint64_t iters, unsigned int b)
{
	struct rte_mempool *mp = pool;

	BODY_SWITCH(d_mbuf_bulk_body, mp, iters)
}

NOINLINE double d_mbuf_single_loop(void *pool, uint64_t iters, unsigned int b)
{
	struct rte_mempool *mp = pool;
	struct rte_mbuf *m[MBUF_KEEP];
	uint64_t t0 = cycles();

	(void)b;
	for (uint64_t it = 0; it < iters; it++) {
		for (unsigned int i = 0; i < MBUF_KEEP; i++) {
			m[i] = rte_pktmbuf_alloc(mp);
			if (unlikely(m[i] == NULL)) {
				rte_pktmbuf_free_bulk(m, i);
				return -1;
			}
		}
		for (unsigned int i = 0; i < MBUF_KEEP; i++)
			rte_pktmbuf_free(m[i]);
	}
	return (double)(cycles() - t0) / (double)(iters * MBUF_KEEP);
}
#endif

/* ---- rows ------------------------------------------------------------------ */

typedef double (*loop_fn)(void *pool, uint64_t iters, unsigned int b);

static int failed_rows;
static uint64_t two_core_window; /* TSC cycles per two-core run (20 ms) */

static void row(const char *name, double m, double d)
{
	char ms[32], ds[32], rs[32];

	snprintf(ms, sizeof(ms), m < 0 ? "error" : "%.2f", m);
	if (d == 0) {
		snprintf(ds, sizeof(ds), "-");
		snprintf(rs, sizeof(rs), "-");
	} else {
		snprintf(ds, sizeof(ds), d < 0 ? "error" : "%.2f", d);
		snprintf(rs, sizeof(rs), m > 0 && d > 0 ? "%.2f" : "-", m / d);
	}
	failed_rows += m < 0 || d < 0;
	printf("bench mempool %-28s mpdp=%s dpdk=%s ratio=%s\n", name, ms, ds, rs);
	fflush(stdout);
}

/* Keep the smallest non-negative figure; an error (-1) sticks. */
static void best(double *var, double v)
{
	if (*var < 0)
		return;
	if (v < 0 || *var == 0 || v < *var)
		*var = v;
}

/* One single-core row: a warm-up of each, then mpdp and DPDK alternately. */
static void one_core_row(const char *name, loop_fn mf, void *mpool, loop_fn df, void *dpool,
			 unsigned int b, unsigned int keep)
{
	uint64_t iters = iterations / keep;
	double m = 0, d = 0;

	if (only != NULL && strstr(name, only) == NULL)
		return;
	if (iters == 0)
		iters = 1;
	(void)mf(mpool, iters / 8 + 1, b);
	if (dpool != NULL)
		(void)df(dpool, iters / 8 + 1, b);
	for (unsigned int k = 0; k < rounds; k++) {
		best(&m, mf(mpool, iters, b));
		if (dpool != NULL)
			best(&d, df(dpool, iters, b));
	}
	row(name, m, d);
}

/* ---- two cores ------------------------------------------------------------- */

/*
 * Both lcores run the loop in short chunks for the same window of TSC time
 * (the main lcore ends it), so the figure counts only objects moved while
 * both ran: a side that was descheduled moved fewer objects in the window
 * and looks slower, and best-of keeps the run where the two really overlapped.
 */
#define TWO_CORE_CHUNK 8 /* iterations of KEEP objects between looks at the clock */

struct two_core {
	loop_fn fn;
	void *pool;
	unsigned int b;
	int main_side;
	uint64_t window; /* TSC cycles */
	_Atomic unsigned int *ready;
	_Atomic int *stop;
	double result;
};

/* Runs on each lcore: wait for the other one, then chunks until the window ends. */
static int two_core_side(void *p)
{
	struct two_core *t = p;
	uint64_t t0, chunks = 0, now;

	atomic_fetch_add_explicit(t->ready, 1, memory_order_acq_rel);
	while (atomic_load_explicit(t->ready, memory_order_acquire) < 2)
		mpdp_cpu_relax();
	t0 = cycles();
	do {
		if (t->fn(t->pool, TWO_CORE_CHUNK, t->b) < 0) {
			atomic_store_explicit(t->stop, -1, memory_order_relaxed);
			break;
		}
		chunks++;
		now = cycles();
		if (t->main_side && now - t0 >= t->window)
			atomic_store_explicit(t->stop, 1, memory_order_relaxed);
	} while (atomic_load_explicit(t->stop, memory_order_relaxed) == 0);
	t->result = chunks == 0 ? -1
				: (double)(now - t0) / (double)(chunks * TWO_CORE_CHUNK * KEEP);
	return 0;
}

#ifdef HAVE_DPDK
static int two_core_side_dpdk(void *p)
{
	return two_core_side(p);
}
#endif

/* Mean cycles per object of the two lcores, or -1. */
static double two_cores(int dpdk, loop_fn fn, void *pool, unsigned int b, unsigned int worker)
{
	_Atomic unsigned int ready = 0;
	_Atomic int stop = 0;
	struct two_core side[2];
	int rc;

	for (int i = 0; i < 2; i++)
		side[i] = (struct two_core){ fn, pool, b, i == 0, two_core_window, &ready, &stop, 0 };
#ifdef HAVE_DPDK
	if (dpdk) {
		rc = rte_eal_remote_launch(two_core_side_dpdk, &side[1], worker);
		if (rc != 0)
			return -1;
		two_core_side(&side[0]);
		rte_eal_wait_lcore(worker);
	} else
#endif
	{
		(void)dpdk;
		rc = mpdp_lcore_launch(worker, two_core_side, &side[1]);
		if (rc != 0)
			return -1;
		two_core_side(&side[0]);
		mpdp_lcore_wait(worker);
	}
	if (atomic_load(&stop) < 0 || side[0].result < 0 || side[1].result < 0)
		return -1;
	return (side[0].result + side[1].result) / 2;
}

/* ---- set-up ------------------------------------------------------------------ */

static char rt_dir[64];

static int start_mpdp(char *argv0, const char *cpus)
{
	char prefix[48];
	char *argv[] = { argv0,    "--proc-type", "primary", "--runtime-dir", rt_dir,
			 "--prefix", prefix,     "--no-huge", "--mem",         "256M",
			 "-l",       (char *)cpus, "--log-level", "warning",   NULL };

	snprintf(prefix, sizeof(prefix), "bench-mempool-%d", (int)getpid());
	return mpdp_init((int)MPDP_DIM(argv) - 1, argv);
}

#ifdef HAVE_DPDK
/* DPDK's runtime directory (empty with --no-shconf), removed after cleanup */
static char dpdk_rt_dir[256];

/*
 * 1 when DPDK's EAL runs in this process. --no-huge implies --legacy-mem,
 * which DPDK 22.11 refuses with --in-memory, so --no-shconf (no shared
 * config, no multi-process socket) and a prefix of our own stand for it.
 */
static int start_dpdk(char *argv0, const char *cpus)
{
	char prefix[64];
	char *argv[] = { argv0,     "--no-huge", "--no-pci",          "--no-shconf",
			 prefix,    "-m",        "256",               "-l",
			 (char *)cpus,          "--log-level=error", "--no-telemetry",
			 NULL };
	int rc;

	snprintf(prefix, sizeof(prefix), "--file-prefix=bench-mempool-%d", (int)getpid());
	rc = rte_eal_init((int)MPDP_DIM(argv) - 1, argv);
	if (rc < 0) {
		fprintf(stderr, "bench_mempool: rte_eal_init: %s (DPDK side skipped)\n",
			rte_strerror(rte_errno));
		return 0;
	}
	snprintf(dpdk_rt_dir, sizeof(dpdk_rt_dir), "%s", rte_eal_get_runtime_dir());
	return 1;
}
#endif

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--iterations N] [--rounds N] [--cache N] [--row TEXT] [--no-dpdk]\n"
		"  --iterations N  objects per timed run (default %lu)\n"
		"  --rounds N      runs per row and library, best kept (default %u)\n"
		"  --cache N       per-lcore cache of the cached pools (default %u, max 512)\n"
		"  --row TEXT      only the rows whose name contains TEXT\n"
		"  --no-dpdk       mpdp figures only\n",
		argv0, iterations, rounds, cache_size);
}

int main(int argc, char **argv)
{
	static const unsigned int bulks[] = { 1, 4, 32, 128 };
	struct mpdp_mempool *m_cache = NULL, *m_nocache = NULL, *m_mbuf = NULL;
	void *d_cache = NULL, *d_nocache = NULL, *d_mbuf = NULL;
	int have_dpdk = 0, cpu[2] = { -1, -1 }, ncpu = 0, rc, err;
	unsigned int m_worker = MPDP_LCORE_ANY, d_worker = 0;
	char cpus[32], name[64];
	double tsc_hz;
	cpu_set_t set;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
			iterations = strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
			cache_size = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--row") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--no-dpdk") == 0)
			want_dpdk = 0;
		else {
			usage(argv[0]);
			return 2;
		}
	}
	if (iterations < KEEP || rounds == 0 || rounds > MAX_ROUNDS || cache_size == 0 ||
	    cache_size > MPDP_MEMPOOL_CACHE_MAX) {
		usage(argv[0]);
		return 2;
	}

	/* the first two CPUs this process may run on: main lcore, worker lcore */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && ncpu < 2; c++)
			if (CPU_ISSET(c, &set))
				cpu[ncpu++] = c;
	if (ncpu == 0) {
		fprintf(stderr, "bench_mempool: no CPU in this process's affinity\n");
		return 1;
	}
	if (ncpu == 2)
		snprintf(cpus, sizeof(cpus), "%d,%d", cpu[0], cpu[1]);
	else
		snprintf(cpus, sizeof(cpus), "%d", cpu[0]);

	snprintf(rt_dir, sizeof(rt_dir), "/dev/shm/mpdp-bench-mempool-XXXXXX");
	if (mkdtemp(rt_dir) == NULL) {
		fprintf(stderr, "bench_mempool: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	rc = start_mpdp(argv[0], cpus);
	if (rc < 0) {
		fprintf(stderr, "bench_mempool: mpdp_init: %s\n", strerror(-rc));
		rmdir(rt_dir);
		return 1;
	}
#ifdef HAVE_DPDK
	if (want_dpdk)
		have_dpdk = start_dpdk(argv[0], cpus);
#endif
	/* both runtimes pinned the main thread to cpu[0]; make sure of it */
	pin_self(cpu[0]);
	tsc_hz = tsc_hz_calibrate();
	two_core_window = (uint64_t)(tsc_hz / 50);

	m_cache = mpdp_mempool_create("bench_c", POOL_SIZE, ELT_SIZE, cache_size, 0, NULL, &err);
	if (m_cache != NULL)
		m_nocache = mpdp_mempool_create("bench_nc", POOL_SIZE, ELT_SIZE, 0, 0, NULL, &err);
	if (m_nocache != NULL)
		m_mbuf = mpdp_mbuf_pool_create("bench_mbuf", POOL_SIZE, cache_size, 0,
					       MPDP_MBUF_DEFAULT_BUF_SIZE, "ring", &err);
	if (m_mbuf == NULL) {
		fprintf(stderr, "bench_mempool: mpdp pool create: %s\n", strerror(-err));
		goto err_pools;
	}
	if (ncpu == 2)
		m_worker = (unsigned int)mpdp_lcore_next(-1);
#ifdef HAVE_DPDK
	if (have_dpdk) {
		d_cache = rte_mempool_create("bench_c", POOL_SIZE, ELT_SIZE, cache_size, 0, NULL,
					     NULL, NULL, NULL, SOCKET_ID_ANY, 0);
		d_nocache = rte_mempool_create("bench_nc", POOL_SIZE, ELT_SIZE, 0, 0, NULL, NULL,
					       NULL, NULL, SOCKET_ID_ANY, 0);
		d_mbuf = rte_pktmbuf_pool_create("bench_mbuf", POOL_SIZE, cache_size, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
		if (d_cache == NULL || d_nocache == NULL || d_mbuf == NULL) {
			fprintf(stderr, "bench_mempool: rte_mempool_create: %s\n",
				rte_strerror(rte_errno));
			goto err_pools;
		}
		d_worker = rte_get_next_lcore(-1, 1, 0);
	}
#endif

	printf("bench mempool config tsc_hz=%.0f", tsc_hz);
#ifdef HAVE_DPDK
	if (have_dpdk)
		printf(" dpdk_tsc_hz=%" PRIu64, rte_get_tsc_hz());
#endif
	printf(" iterations=%lu rounds=%u pool_size=%u elt_size=%u cache=%u keep=%u "
	       "mbuf_keep=%u cpus=%s mpdp_lcore=%u mpdp_flags=%#x",
	       iterations, rounds, POOL_SIZE, ELT_SIZE, cache_size, KEEP, MBUF_KEEP, cpus,
	       mpdp_lcore_id(), m_cache->flags);
#ifdef HAVE_DPDK
	if (have_dpdk)
		printf(" dpdk=%s dpdk_lcore=%u dpdk_ops=%s dpdk_mbuf_ops=%s", rte_version(),
		       rte_lcore_id(),
		       rte_mempool_get_ops(((struct rte_mempool *)d_cache)->ops_index)->name,
		       rte_mempool_get_ops(((struct rte_mempool *)d_mbuf)->ops_index)->name);
	else
#endif
		printf(" dpdk=no");
	printf(" (TSC cycles per object: get+put, alloc+free)\n");
	fflush(stdout);
	if (m_cache->flags & MPDP_MEMPOOL_F_DEBUG)
		printf("bench mempool warning: mpdp pools are debug pools (cookies, poison)\n");

	/* ---- one core: mempool ---- */
	for (unsigned int i = 0; i < MPDP_DIM(bulks); i++) {
		snprintf(name, sizeof(name), "cache%u_bulk%u", cache_size, bulks[i]);
		one_core_row(name, m_mempool_loop, m_cache,
#ifdef HAVE_DPDK
			     d_mempool_loop,
#else
			     NULL,
#endif
			     d_cache, bulks[i], KEEP);
	}
	for (unsigned int i = 0; i < MPDP_DIM(bulks); i++) {
		snprintf(name, sizeof(name), "nocache_bulk%u", bulks[i]);
		one_core_row(name, m_mempool_loop, m_nocache,
#ifdef HAVE_DPDK
			     d_mempool_loop,
#else
			     NULL,
#endif
			     d_nocache, bulks[i], KEEP);
	}

	/* ---- one core: mbuf ---- */
	{
		static const unsigned int mbulks[] = { 32, 1 };

		for (unsigned int i = 0; i < MPDP_DIM(mbulks); i++) {
			snprintf(name, sizeof(name), "mbuf_alloc_free_bulk%u", mbulks[i]);
			one_core_row(name, m_mbuf_bulk_loop, m_mbuf,
#ifdef HAVE_DPDK
				     d_mbuf_bulk_loop,
#else
				     NULL,
#endif
				     d_mbuf, mbulks[i], MBUF_KEEP);
		}
		one_core_row("mbuf_alloc_free_single", m_mbuf_single_loop, m_mbuf,
#ifdef HAVE_DPDK
			     d_mbuf_single_loop,
#else
			     NULL,
#endif
			     d_mbuf, 1, MBUF_KEEP);
	}

	/* ---- two cores, one pool ---- */
	if (ncpu == 2 && m_worker != MPDP_LCORE_ANY) {
		static const unsigned int b2[] = { 1, 32 };

		for (int c = 1; c >= 0; c--) {
			for (unsigned int i = 0; i < MPDP_DIM(b2); i++) {
				double m = 0, d = 0;

				snprintf(name, sizeof(name), "2core_%s_bulk%u",
					 c ? "cache" : "nocache", b2[i]);
				if (only != NULL && strstr(name, only) == NULL)
					continue;
				(void)two_cores(0, m_mempool_loop,
						c ? m_cache : m_nocache, b2[i], m_worker);
				for (unsigned int k = 0; k < rounds; k++) {
					best(&m, two_cores(0, m_mempool_loop,
							   c ? m_cache : m_nocache, b2[i],
							   m_worker));
#ifdef HAVE_DPDK
					if (have_dpdk)
						best(&d, two_cores(1, d_mempool_loop,
								   c ? d_cache : d_nocache,
								   b2[i], d_worker));
#endif
				}
				row(name, m, d);
			}
		}
	} else {
		printf("bench mempool 2core_* skipped (one CPU)\n");
	}

err_pools:
#ifdef HAVE_DPDK
	rte_mempool_free(d_mbuf);
	rte_mempool_free(d_nocache);
	rte_mempool_free(d_cache);
	if (have_dpdk) {
		rte_eal_cleanup();
		if (dpdk_rt_dir[0] != '\0')
			rmdir(dpdk_rt_dir);
	}
#endif
	(void)d_worker;
	(void)have_dpdk;
	mpdp_mempool_free(m_mbuf);
	mpdp_mempool_free(m_nocache);
	mpdp_mempool_free(m_cache);
	mpdp_cleanup();
	rmdir(rt_dir);
	if (m_mbuf == NULL)
		return 1;
	if (failed_rows)
		fprintf(stderr, "bench_mempool: %d row(s) failed (a get found the pool empty)\n",
			failed_rows);
	return 0;
}
