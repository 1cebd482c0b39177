/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ring_stress.c - mpdp_ring with several producer and consumer threads
 * at once, meant to run under ThreadSanitizer (the tsan pass of
 * tests/run-all.sh, meson suite 'tsan'): TSan checks the ring's memory
 * ordering (every slot read must happen after its write, every overwrite
 * after the read before it), this test checks the values.
 *
 * Each variant moves sequence-numbered values (producer id in the top bits,
 * a per-producer sequence number below) through one ring and checks that
 *   - every value arrives exactly once: a bitmap, set with atomic fetch_or,
 *     catches duplicates, and a scan at the end catches losses;
 *   - each producer's values arrive in order: a consumer sees the values of
 *     one producer strictly increasing, and a lone consumer sees them
 *     without gaps;
 *   - the counts the calls report (*free_space, *available) stay within the
 *     capacity, and the ring is empty at the end.
 * The variants cover SP/SC, MP/MC and the mixed cases, _bulk, _burst and the
 * single-object calls, explicit (_sp, _mc, ...) and default-mode calls, and
 * small rings, so that full, empty and wrap-around happen all the time.
 *
 * Time limit: with more spinning threads than CPUs, a mover preempted between
 * its claim and its publish holds up every later mover of its side (the
 * known limit of this ring design, as of rte_ring's MP/MC mode), and on a
 * loaded 2-CPU machine that can cost seconds. So producers stop at a
 * per-variant deadline and the checks cover what was produced; the values
 * moved are printed.
 *
 * Usage: test_ring_stress [--values N] [--seconds S] [--variant NAME]
 *   --values N      values per variant (default 2000000)
 *   --seconds S     producers of a variant stop after S seconds (default 4)
 *   --variant NAME  run only that variant
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ring.h>

#include "unit_util.h"

#define MAX_THREADS 4 /* per side */
#define MAX_BATCH   32
#define SEQ_BITS    40

enum api {
	API_BULK,
	API_BURST,
	API_SINGLE, /* mpdp_ring_enqueue / mpdp_ring_dequeue, one value per call */
};

struct variant {
	const char *name;
	unsigned int count; /* mpdp_ring_create() count */
	unsigned int flags; /* the ring's default mode */
	int producers, consumers;
	enum api api;
	int explicit_calls; /* _sp/_mp/_sc/_mc calls instead of the default mode */
};

static const struct variant variants[] = {
	{ "sp_sc_bulk", 256, 0, 1, 1, API_BULK, 1 },
	{ "sp_sc_burst_default", 100,
	  MPDP_RING_F_SP_ENQ | MPDP_RING_F_SC_DEQ | MPDP_RING_F_EXACT_SZ, 1, 1, API_BURST, 0 },
	{ "sp_sc_single", 64, MPDP_RING_F_SP_ENQ | MPDP_RING_F_SC_DEQ, 1, 1, API_SINGLE, 0 },
	{ "mp_mc_bulk", 256, 0, 3, 3, API_BULK, 1 },
	{ "mp_mc_burst_default", 64, 0, 3, 2, API_BURST, 0 },
	{ "mp_mc_single", 64, 0, 2, 2, API_SINGLE, 0 },
	{ "mp_sc_burst", 128, 0, 3, 1, API_BURST, 1 },
	{ "sp_mc_bulk", 128, 0, 1, 3, API_BULK, 1 },
};

/* One variant's run, shared by its threads. */
struct run {
	const struct variant *v;
	struct mpdp_ring *r;
	uint64_t per_producer;
	uint64_t total;
	double deadline;
	_Atomic uint64_t *seen; /* bitmap of delivered values */
	_Atomic uint64_t produced;
	_Atomic uint64_t consumed;
	_Atomic int producers_left;
	/* errors, counted by the threads and checked by main() after the join */
	_Atomic uint64_t duplicates;
	_Atomic uint64_t out_of_range;
	_Atomic uint64_t out_of_order;
	_Atomic uint64_t bad_counts;
};

struct worker {
	struct run *run;
	int id;
	uint64_t produced; /* producers: values enqueued, read after the join */
	pthread_t thread;
};

static uint64_t values_per_variant = 2000000;
static double seconds_per_variant = 4;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *api_name(enum api api)
{
	switch (api) {
	case API_BULK:
		return "bulk";
	case API_BURST:
		return "burst";
	case API_SINGLE:
		return "single";
	}
	return "?";
}

static uint64_t value_of(int producer, uint64_t seq)
{
	return (uint64_t)producer << SEQ_BITS | seq;
}

/* Batch sizes vary from call to call, differently in each thread. */
static unsigned int batch_size(unsigned int *step, int id)
{
	*step += 1;
	return 1 + (*step * 7 + (unsigned int)id * 5) % MAX_BATCH;
}

static unsigned int produce(struct worker *w, const uint64_t *batch, unsigned int k,
			    unsigned int *free_space)
{
	const struct variant *v = w->run->v;
	struct mpdp_ring *r = w->run->r;
	int single = v->producers == 1;
	unsigned int i;

	switch (v->api) {
	case API_BULK:
		if (!v->explicit_calls)
			return mpdp_ring_enqueue_bulk(r, batch, k, free_space);
		return single ? mpdp_ring_sp_enqueue_bulk(r, batch, k, free_space) :
				mpdp_ring_mp_enqueue_bulk(r, batch, k, free_space);
	case API_BURST:
		if (!v->explicit_calls)
			return mpdp_ring_enqueue_burst(r, batch, k, free_space);
		return single ? mpdp_ring_sp_enqueue_burst(r, batch, k, free_space) :
				mpdp_ring_mp_enqueue_burst(r, batch, k, free_space);
	case API_SINGLE:
		for (i = 0; i < k && mpdp_ring_enqueue(r, batch[i]) == 0; i++)
			;
		*free_space = 0;
		return i;
	}
	return 0;
}

static unsigned int consume(struct worker *w, uint64_t *batch, unsigned int k,
			    unsigned int *available)
{
	const struct variant *v = w->run->v;
	struct mpdp_ring *r = w->run->r;
	int single = v->consumers == 1;
	unsigned int i;

	switch (v->api) {
	case API_BULK:
		if (!v->explicit_calls)
			return mpdp_ring_dequeue_bulk(r, batch, k, available);
		return single ? mpdp_ring_sc_dequeue_bulk(r, batch, k, available) :
				mpdp_ring_mc_dequeue_bulk(r, batch, k, available);
	case API_BURST:
		if (!v->explicit_calls)
			return mpdp_ring_dequeue_burst(r, batch, k, available);
		return single ? mpdp_ring_sc_dequeue_burst(r, batch, k, available) :
				mpdp_ring_mc_dequeue_burst(r, batch, k, available);
	case API_SINGLE:
		for (i = 0; i < k && mpdp_ring_dequeue(r, &batch[i]) == 0; i++)
			;
		*available = 0;
		return i;
	}
	return 0;
}

static void *producer_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	const unsigned int capacity = mpdp_ring_capacity(run->r);
	uint64_t batch[MAX_BATCH];
	uint64_t next = 0;
	unsigned int step = 0;

	while (next < run->per_producer) {
		unsigned int k = batch_size(&step, w->id), n, free_space = 0;

		if ((step & 63) == 0 && now() > run->deadline)
			break;

		if (k > run->per_producer - next)
			k = (unsigned int)(run->per_producer - next);
		for (unsigned int i = 0; i < k; i++)
			batch[i] = value_of(w->id, next + i);
		n = produce(w, batch, k, &free_space);
		if (n > k || free_space > capacity)
			atomic_fetch_add(&run->bad_counts, 1);
		if (n == 0) {
			sched_yield(); /* full: let a consumer run (2 CPUs, more threads) */
			continue;
		}
		next += n;
		atomic_fetch_add(&run->produced, n);
	}
	w->produced = next;
	atomic_fetch_sub(&run->producers_left, 1);
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	const int lone = run->v->consumers == 1;
	const unsigned int capacity = mpdp_ring_capacity(run->r);
	uint64_t expect[MAX_THREADS] = { 0 }; /* next sequence number per producer */
	uint64_t batch[MAX_BATCH];
	unsigned int step = 0;

	for (;;) {
		unsigned int k = batch_size(&step, w->id), n, available = 0;

		n = consume(w, batch, k, &available);
		if (n > k || available > capacity)
			atomic_fetch_add(&run->bad_counts, 1);
		if (n == 0) {
			/* done when the producers are, and all they produced is consumed */
			if (atomic_load(&run->producers_left) == 0 &&
			    atomic_load(&run->consumed) == atomic_load(&run->produced))
				break;
			sched_yield(); /* empty: let a producer run */
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			uint64_t p = batch[i] >> SEQ_BITS;
			uint64_t seq = batch[i] & ((1ULL << SEQ_BITS) - 1);
			uint64_t idx, bit, old;

			if (p >= (uint64_t)run->v->producers || seq >= run->per_producer) {
				atomic_fetch_add(&run->out_of_range, 1);
				continue;
			}
			/* a lone consumer sees every value of a producer, in order */
			if (lone ? seq != expect[p] : seq < expect[p])
				atomic_fetch_add(&run->out_of_order, 1);
			expect[p] = seq + 1;
			idx = p * run->per_producer + seq;
			bit = 1ULL << (idx % 64);
			old = atomic_fetch_or_explicit(&run->seen[idx / 64], bit,
						       memory_order_relaxed);
			if (old & bit)
				atomic_fetch_add(&run->duplicates, 1);
		}
		atomic_fetch_add(&run->consumed, n);
	}
	return NULL;
}

static void run_variant(const struct variant *v)
{
	struct worker producers[MAX_THREADS], consumers[MAX_THREADS];
	struct run run = { .v = v };
	uint64_t words, missing = 0;
	double t0 = now();
	int err = 0;

	REQUIRE(v->producers <= MAX_THREADS && v->consumers <= MAX_THREADS);
	run.r = mpdp_ring_create(v->name, v->count, v->flags, &err);
	if (run.r == NULL)
		fprintf(stderr, "%s: mpdp_ring_create: %s\n", v->name, strerror(-err));
	REQUIRE(run.r != NULL);
	run.per_producer = values_per_variant / (uint64_t)v->producers;
	run.total = run.per_producer * (uint64_t)v->producers;
	words = (run.total + 63) / 64;
	run.seen = calloc(words, sizeof(*run.seen));
	REQUIRE(run.seen != NULL);
	run.producers_left = v->producers;
	run.deadline = t0 + seconds_per_variant;

	for (int i = 0; i < v->consumers; i++) {
		consumers[i] = (struct worker){ &run, i, 0, 0 };
		REQUIRE(pthread_create(&consumers[i].thread, NULL, consumer_main, &consumers[i]) ==
			0);
	}
	for (int i = 0; i < v->producers; i++) {
		producers[i] = (struct worker){ &run, i, 0, 0 };
		REQUIRE(pthread_create(&producers[i].thread, NULL, producer_main, &producers[i]) ==
			0);
	}
	for (int i = 0; i < v->producers; i++)
		pthread_join(producers[i].thread, NULL);
	for (int i = 0; i < v->consumers; i++)
		pthread_join(consumers[i].thread, NULL);

	/* every value produced was seen (the duplicates were counted as they came) */
	for (int p = 0; p < v->producers; p++) {
		for (uint64_t seq = 0; seq < producers[p].produced; seq++) {
			uint64_t idx = (uint64_t)p * run.per_producer + seq;

			if (!(atomic_load_explicit(&run.seen[idx / 64], memory_order_relaxed) &
			      (1ULL << (idx % 64))))
				missing++;
		}
	}
	printf("%-20s %dP/%dC %-6s ring %3u: %8llu values in %5.2f s%s\n", v->name, v->producers,
	       v->consumers, api_name(v->api), mpdp_ring_capacity(run.r),
	       (unsigned long long)atomic_load(&run.produced), now() - t0,
	       atomic_load(&run.produced) < run.total ? " (stopped at the time limit)" : "");
	if (atomic_load(&run.duplicates) || atomic_load(&run.out_of_range) ||
	    atomic_load(&run.out_of_order) || atomic_load(&run.bad_counts) || missing)
		fprintf(stderr,
			"%s: %llu duplicated, %llu out of range, %llu out of order, "
			"%llu bad counts, %llu missing\n",
			v->name, (unsigned long long)atomic_load(&run.duplicates),
			(unsigned long long)atomic_load(&run.out_of_range),
			(unsigned long long)atomic_load(&run.out_of_order),
			(unsigned long long)atomic_load(&run.bad_counts),
			(unsigned long long)missing);
	CHECK_EQ(atomic_load(&run.duplicates), 0);
	CHECK_EQ(atomic_load(&run.out_of_range), 0);
	CHECK_EQ(atomic_load(&run.out_of_order), 0);
	CHECK_EQ(atomic_load(&run.bad_counts), 0);
	CHECK_EQ(missing, 0);
	CHECK_EQ(atomic_load(&run.consumed), atomic_load(&run.produced));
	CHECK_EQ(mpdp_ring_count(run.r), 0);
	free(run.seen);
	mpdp_ring_free(run.r);
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--values N] [--seconds S] [--variant NAME]  (0 < N < 2^%d)\n",
		prog, SEQ_BITS);
	return 2;
}

int main(int argc, char **argv)
{
	const char *only = NULL;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return usage(argv[0]);
		if (strcmp(argv[i], "--values") == 0)
			values_per_variant = strtoull(argv[i + 1], NULL, 0);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds_per_variant = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--variant") == 0)
			only = argv[i + 1];
		else
			return usage(argv[0]);
	}
	if (values_per_variant == 0 || values_per_variant >= 1ULL << SEQ_BITS ||
	    seconds_per_variant <= 0)
		return usage(argv[0]);
	unit_rt_setup("ring_stress");
	REQUIRE(unit_init("--no-huge", "--mem", "64M", NULL) > 0);
	for (unsigned int i = 0; i < MPDP_DIM(variants); i++)
		if (only == NULL || strcmp(only, variants[i].name) == 0)
			run_variant(&variants[i]);
	mpdp_cleanup();
	CHECK_RT_EMPTY();
	unit_exit();
}
