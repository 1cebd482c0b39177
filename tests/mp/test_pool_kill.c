/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pool_kill.c - a worker holding mbufs is killed with SIGKILL mid-run;
 * every mbuf and every sequence number is accounted for afterwards.
 *
 * The set-up of test_pool_stress.c (three producers, three consumers, three
 * programs). Round 1 kills a consumer, round 2 a producer, each in a fresh
 * instance:
 *
 *  1. The primary stops the victim (SIGSTOP) at a moment it holds mbufs and
 *     is outside the library, so that what it held is exactly what it
 *     published; the test kills it (SIGKILL).
 *  2. Once the primary dropped it from the process table (exit hooks ran),
 *     the victim's lcore cache is empty: the hook returned it while the
 *     others kept running.
 *  3. The others go on until the time budget is spent (6 s a round, 12 s in
 *     sanitizer builds, or MPDP_TEST_POOL_SECONDS). Then the consumers stop
 *     at once; the producers go on until the pool runs dry (the rings can
 *     hold every mbuf), then end: thousands of mbufs are left in the rings.
 *  4. Accounting, in the primary: every sequence number produced (for the
 *     dead producer: the ones it enqueued plus the ones it had stamped) was
 *     either received (bitmap), is still in a ring (drained and counted), or
 *     was held by the dead worker, exactly one of these. The audit is clean,
 *     its in_use is the number the dead worker held and in_use_cb reports
 *     exactly those objects, carrying exactly the sequence numbers missing
 *     from bitmap and rings.
 *  5. Those mbufs go back to the pool: the audit shows nothing in use, no
 *     cache holding anything, the whole pool in the backend.
 *
 * Why stop the victim outside the library: a SIGKILL that lands inside a
 * multi-producer/consumer ring operation (between claiming slots and
 * publishing them) or inside a cache refill or flush loses objects or
 * leaves the ring blocked for every other process. The design does not
 * claim to survive that (see mpdp_mempool.h, "Recovery"); this test proves
 * what it does claim.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pool_run.h"

static void round_kill(struct mt_env *env, const struct pr_cfg *cfg, uint64_t budget,
		       unsigned int victim, const char *what)
{
	struct pr_run r;
	char line[4096];
	unsigned int nw = cfg->nb_prod + cfg->nb_cons, lcore;
	uint64_t held, cache, next, expected;
	int pid;

	mt_log("=== round: kill %s (worker %u)", what, victim);
	pr_start(&r, env, cfg);
	pr_run_until(&r, budget / 3);

	/* 1. stop it where the account is exact, then kill it */
	mt_cmd_ok(&r.primary, line, sizeof(line), 30000, "st-freeze %u", victim);
	pid = (int)mt_field_ll(line, "pid");
	held = mt_field_ull(line, "held");
	cache = mt_field_ull(line, "cache");
	next = mt_field_ull(line, "next");
	lcore = (unsigned int)mt_field_ull(line, "lcore");
	MT_ASSERT(pid == r.pid[victim], "st-freeze stopped pid %d, the victim is %d", pid,
		  r.pid[victim]);
	MT_CHECK(held > 0, "the victim held no mbuf when it was stopped: %s", line);
	mt_kill(&r.w[victim], SIGKILL);
	MT_ASSERT(mt_wait_exit(&r.w[victim], 5000) == 0, "the victim did not die");
	MT_ASSERT(mt_exit_signal(&r.w[victim]) == SIGKILL, "victim: %s, want SIGKILL",
		  mt_status_str(&r.w[victim]));
	r.gone[victim] = 1;
	mt_log("killed %s pid %d holding %llu mbufs, %llu objects in its lcore %u cache", what, pid,
	       (unsigned long long)held, (unsigned long long)cache, lcore);

	/* 2. the exit hook returned its cache while the others run */
	pr_wait_unlisted(&r, pid, 10000);
	mt_cmd_ok(&r.primary, line, sizeof(line), 5000, "st-cache %u", lcore);
	MT_CHECK(mt_field_ull(line, "cache_len") == 0,
		 "the dead worker's lcore %u cache still holds objects: %s", lcore, line);

	/* 3. the others finish */
	pr_run_until(&r, budget);
	mt_cmd_ok(&r.primary, line, sizeof(line), 5000, "st-stop now");
	for (unsigned int i = cfg->nb_prod; i < nw; i++)
		if (i != victim)
			pr_expect_done(&r, i, 30000);
	/* the producers fill the rings until the pool runs dry, then end */
	mt_sleep_ms(200);
	mt_cmd_ok(&r.primary, line, sizeof(line), 5000, "st-stop produce");
	pr_wait_finished(&r, (int)victim, 60000, line, sizeof(line));
	for (unsigned int i = 0; i < cfg->nb_prod; i++)
		if (i != victim)
			pr_expect_done(&r, i, 30000);
	pr_wait_only_primary(&r, 10000);
	/* what producers enqueued (the dead one: up to its death), plus what it stamped */
	pr_progress(&r, &expected, line, sizeof(line));
	if (victim < cfg->nb_prod) {
		MT_CHECK(mt_field_ull(line, "produced") >= next, "progress: %s", line);
		expected += held;
	}

	/* 4. account for everything */
	mt_cmd_ok(&r.primary, line, sizeof(line), 30000, "st-account %u", victim);
	MT_CHECK(mt_field_ll(line, "rc") == 0 && mt_field_ull(line, "duplicates") == 0 &&
			 mt_field_ull(line, "bad_entries") == 0,
		 "audit after the kill: %s", line);
	MT_CHECK(mt_field_ull(line, "expected") == expected,
		 "%llu sequence numbers produced, want %llu: %s", mt_field_ull(line, "expected"),
		 (unsigned long long)expected, line);
	MT_CHECK(mt_field_ull(line, "held") == held, "held %llu at account, %llu at the kill",
		 mt_field_ull(line, "held"), (unsigned long long)held);
	MT_CHECK(mt_field_ull(line, "received") + mt_field_ull(line, "residue") + held == expected,
		 "received + in rings + held by the dead != produced: %s", line);
	MT_CHECK(mt_field_ull(line, "missing") == 0 && mt_field_ull(line, "overlap") == 0 &&
			 mt_field_ull(line, "extra") == 0,
		 "a sequence number is lost, or counted twice, or was never produced: %s", line);
	MT_CHECK(mt_field_ull(line, "dups") == 0 && mt_field_ull(line, "bad") == 0 &&
			 mt_field_ull(line, "bad_residue") == 0 &&
			 mt_field_ull(line, "bad_held") == 0 &&
			 mt_field_ull(line, "held_seq_wrong") == 0 &&
			 mt_field_ull(line, "unfinished") == 0,
		 "duplicates or damaged mbufs: %s", line);
	MT_CHECK(mt_field_ull(line, "in_use") == held && mt_field_ull(line, "stats_in_use") == held,
		 "in use (audit, statistics) must be the %llu mbufs the dead worker held: %s",
		 (unsigned long long)held, line);
	MT_CHECK(mt_field_ull(line, "cb") == held && mt_field_ull(line, "cb_dup") == 0 &&
			 mt_field_ull(line, "cb_foreign") == 0 &&
			 mt_field_ull(line, "cb_not_held") == 0,
		 "in_use_cb must report exactly the dead worker's mbufs: %s", line);
	MT_CHECK(mt_field_ull(line, "cb_seq_bad") == 0 &&
			 mt_field_ull(line, "missing_after_cb") == 0,
		 "in_use_cb's mbufs must carry exactly the numbers missing from bitmap and rings: "
		 "%s",
		 line);
	MT_CHECK(mt_field_ull(line, "dead_cache") == 0 &&
			 mt_field_ull(line, "caches_nonempty") == 0,
		 "caches still hold objects after every worker left: %s", line);
	MT_CHECK(mt_field_ull(line, "in_use") + mt_field_ull(line, "in_backend") +
				 mt_field_ull(line, "in_caches") ==
			 mt_field_ull(line, "size"),
		 "objects do not add up to the pool size: %s", line);
	mt_log("%s killed: produced %llu, received %llu, in rings %llu, held by the dead %llu "
	       "(in use %llu), its cache of %llu returned by the exit hook",
	       what, (unsigned long long)expected, mt_field_ull(line, "received"),
	       mt_field_ull(line, "residue"), (unsigned long long)held,
	       mt_field_ull(line, "in_use"), (unsigned long long)cache);
	printf("pool-kill-%s: produced=%llu received=%llu residue=%llu held=%llu cache=%llu\n",
	       what, (unsigned long long)expected, mt_field_ull(line, "received"),
	       mt_field_ull(line, "residue"), (unsigned long long)held, (unsigned long long)cache);

	/* 5. give the dead worker's mbufs back: clean */
	mt_cmd_ok(&r.primary, line, sizeof(line), 30000, "st-release");
	MT_CHECK(mt_field_ll(line, "rc") == 0 && mt_field_ull(line, "released") == held &&
			 mt_field_ull(line, "in_use") == 0 &&
			 mt_field_ull(line, "stats_in_use") == 0 &&
			 mt_field_ull(line, "caches_nonempty") == 0 &&
			 mt_field_ull(line, "in_backend") == mt_field_ull(line, "size"),
		 "audit after giving back the dead worker's mbufs: %s", line);
	pr_finish(&r);
}

int main(void)
{
	struct mt_env env;
	struct pr_cfg cfg = {
		.nb_prod = 3,
		.nb_cons = 3,
		.burst = 32,
		.nb_rings = 2,
		.ring_count = 8192, /* the rings can hold the whole pool */
		.pool_n = 8192,
		.cache = 256,
	};
	uint64_t budget;

	mt_init("pool_kill", 175);
	cfg.quota = pr_quota(50000000, 10);
	budget = pr_budget_ms(6, 12);
	mt_env_init(&env, "poolkill");
	round_kill(&env, &cfg, budget, cfg.nb_prod + 1, "consumer");
	round_kill(&env, &cfg, budget, 1, "producer");
	mt_env_fini(&env);
	return mt_done();
}
