/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pool_stress.c - millions of mbufs through one pool and two MP/MC rings,
 * between processes of three different programs.
 *
 * mpdp-test-pool-primary creates an mbuf pool with per-lcore caches, two
 * MP/MC rings, a bitmap with one bit per sequence number and the shared test
 * state. Three mpdp-test-pool-producer processes allocate mbufs in bursts,
 * write a sequence number (producer, counter) and a check word into each and
 * enqueue them; three mpdp-test-pool-consumer processes dequeue, check, set
 * the bit of each sequence number and free in bulk.
 *
 *  1. Half-way, every worker parks: the audit must be clean (each object in
 *     exactly one place), the objects in use must be exactly those the
 *     workers hold plus those in the rings, and lcore caches hold objects.
 *  2. Producers end at their quota or when the time budget is spent; the
 *     consumers drain the rings. Every sequence number produced arrived
 *     exactly once: no loss, no duplicate, no damaged mbuf.
 *  3. The workers exit without flushing their caches; once the primary has
 *     dropped them from its process table (its exit hooks ran), no lcore
 *     cache holds anything, nothing is in use and the backend holds the
 *     whole pool.
 *
 * Burst sizes vary from 1 to 32. MPDP_TEST_POOL_SECONDS sets the time budget
 * (12 s, 25 s in sanitizer builds; on a loaded machine the run goes on, up
 * to four times as long, until 1 M mbufs (100 k in sanitizer builds) went
 * through), MPDP_TEST_POOL_QUOTA the most sequence numbers per producer
 * (100 M, 10 M in sanitizer builds).
 */
#include <stdio.h>

#include "pool_run.h"

int main(void)
{
	struct mt_env env;
	struct pr_run r;
	struct pr_cfg cfg = {
		.nb_prod = 3,
		.nb_cons = 3,
		.burst = 32,
		.nb_rings = 2,
		.ring_count = 1024,
		.pool_n = 8192,
		.cache = 256,
	};
	char line[4096];
	uint64_t total, budget, t_run, in_use, size, floor;
	unsigned int nw;

	mt_init("pool_stress", 175);
	cfg.quota = pr_quota(100000000, 10);
	budget = pr_budget_ms(12, 25);
	floor = pr_sanitized() ? 100000 : 1000000;
	nw = cfg.nb_prod + cfg.nb_cons;
	mt_log("%u producers (at most %llu mbufs each, for %llu ms), %u consumers%s", cfg.nb_prod,
	       (unsigned long long)cfg.quota, (unsigned long long)budget, cfg.nb_cons,
	       pr_sanitized() ? " (sanitized build)" : "");
	mt_env_init(&env, "poolst");
	pr_start(&r, &env, &cfg);

	/* 1. half-way: park everybody and audit */
	pr_run_until(&r, budget / 2);
	mt_cmd_ok(&r.primary, line, sizeof(line), 30000, "st-pause %u", nw);
	in_use = mt_field_ull(line, "in_use");
	size = mt_field_ull(line, "size");
	MT_CHECK(mt_field_ll(line, "rc") == 0, "audit while parked: %s", line);
	MT_CHECK(mt_field_ull(line, "duplicates") == 0 && mt_field_ull(line, "bad_entries") == 0,
		 "audit while parked found misplaced objects: %s", line);
	MT_CHECK(in_use == mt_field_ull(line, "held") + mt_field_ull(line, "in_rings"),
		 "in use %llu, but the workers hold %llu and the rings %llu: %s",
		 (unsigned long long)in_use, mt_field_ull(line, "held"),
		 mt_field_ull(line, "in_rings"), line);
	MT_CHECK(mt_field_ull(line, "mismatch") == 0 && mt_field_ull(line, "cb") == in_use &&
			 mt_field_ull(line, "cb_dup") == 0 && mt_field_ull(line, "cb_foreign") == 0,
		 "the objects reported in use are not those held and queued: %s", line);
	MT_CHECK(mt_field_ull(line, "expect_dup") == 0 && mt_field_ull(line, "expect_foreign") == 0,
		 "an mbuf is held twice, or held and queued, or not an mbuf: %s", line);
	MT_CHECK(in_use + mt_field_ull(line, "in_backend") + mt_field_ull(line, "in_caches") ==
			 size,
		 "objects do not add up to the pool size: %s", line);
	MT_CHECK(mt_field_ull(line, "stats_in_use") == in_use,
		 "statistics say %llu in use, the audit %llu", mt_field_ull(line, "stats_in_use"),
		 (unsigned long long)in_use);
	MT_CHECK(mt_field_ull(line, "caches_nonempty") > 0,
		 "no lcore cache holds objects while %u workers run: %s", nw, line);
	mt_log("parked: %llu in use (held %llu, in rings %llu), %llu in %llu lcore caches, "
	       "%llu in the backend",
	       (unsigned long long)in_use, mt_field_ull(line, "held"),
	       mt_field_ull(line, "in_rings"), mt_field_ull(line, "in_caches"),
	       mt_field_ull(line, "caches_nonempty"), mt_field_ull(line, "in_backend"));
	mt_cmd_ok(&r.primary, line, sizeof(line), 15000, "st-resume");

	/* 2. producers end, consumers drain the rings and stop */
	pr_run_until(&r, budget);
	if (pr_run_floor(&r, floor, 4 * budget) < floor)
		mt_log("the machine is slow: fewer than %llu mbufs in %llu ms",
		       (unsigned long long)floor, (unsigned long long)(4 * budget));
	mt_cmd_ok(&r.primary, line, sizeof(line), 5000, "st-stop produce");
	pr_wait_finished(&r, -1, 60000, line, sizeof(line));
	t_run = mt_now_ms() - r.t_start_ms;
	mt_cmd_ok(&r.primary, line, sizeof(line), 5000, "st-stop drained");
	for (unsigned int i = 0; i < nw; i++)
		pr_expect_done(&r, i, 30000);
	pr_progress(&r, &total, line, sizeof(line));
	MT_CHECK(mt_field_ull(line, "consumed") == total, "produced %llu, consumed: %s",
		 (unsigned long long)total, line);
	MT_CHECK(total >= floor, "only %llu mbufs went through in %llu ms, want at least %llu",
		 (unsigned long long)total, (unsigned long long)t_run, (unsigned long long)floor);
	mt_log("%llu mbufs in %llu ms: %.2f M mbufs/s (alloc fails %llu, idle loops %llu)",
	       (unsigned long long)total, (unsigned long long)t_run,
	       t_run ? (double)total / (double)t_run / 1000.0 : 0.0,
	       mt_field_ull(line, "alloc_fail"), mt_field_ull(line, "idle"));

	/* 3. the workers' caches came back through the primary's exit hook */
	pr_wait_only_primary(&r, 10000);
	mt_cmd_ok(&r.primary, line, sizeof(line), 60000, "st-account -1");
	MT_CHECK(mt_field_ll(line, "rc") == 0, "final audit: %s", line);
	MT_CHECK(mt_field_ull(line, "expected") == total && mt_field_ull(line, "received") == total,
		 "sequence numbers received, want %llu: %s", (unsigned long long)total, line);
	MT_CHECK(mt_field_ull(line, "missing") == 0 && mt_field_ull(line, "overlap") == 0 &&
			 mt_field_ull(line, "extra") == 0 && mt_field_ull(line, "dups") == 0 &&
			 mt_field_ull(line, "bad") == 0 && mt_field_ull(line, "unfinished") == 0,
		 "lost, duplicated or damaged mbufs: %s", line);
	MT_CHECK(mt_field_ull(line, "residue") == 0, "the rings were not drained: %s", line);
	MT_CHECK(mt_field_ull(line, "in_use") == 0 && mt_field_ull(line, "stats_in_use") == 0 &&
			 mt_field_ull(line, "cb") == 0,
		 "objects still in use after every worker left: %s", line);
	MT_CHECK(mt_field_ull(line, "caches_nonempty") == 0 && mt_field_ull(line, "in_caches") == 0,
		 "lcore caches of departed workers were not returned: %s", line);
	MT_CHECK(mt_field_ull(line, "in_backend") == mt_field_ull(line, "size") &&
			 mt_field_ull(line, "duplicates") == 0 &&
			 mt_field_ull(line, "bad_entries") == 0,
		 "the backend does not hold the whole pool: %s", line);
	MT_CHECK(mt_field_ull(line, "cache_at_exit") > 0,
		 "the workers left nothing in their caches; the exit hook went untested: %s", line);
	mt_log("the exit hooks returned %llu objects from %u departed workers' caches",
	       mt_field_ull(line, "cache_at_exit"), nw);
	mt_cmd_ok(&r.primary, line, sizeof(line), 30000, "st-release");
	MT_CHECK(mt_field_ll(line, "rc") == 0 && mt_field_ull(line, "in_use") == 0 &&
			 mt_field_ull(line, "caches_nonempty") == 0,
		 "audit after release: %s", line);
	printf("pool-stress: buffers=%llu ms=%llu producers=%u consumers=%u pool=%u cache=%u\n",
	       (unsigned long long)total, (unsigned long long)t_run, cfg.nb_prod, cfg.nb_cons,
	       cfg.pool_n, cfg.cache);

	pr_finish(&r);
	mt_env_fini(&env);
	return mt_done();
}
