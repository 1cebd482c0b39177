/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pool_kill_anywhere.c - SIGKILL at an arbitrary instruction of a
 * process that gets and puts mbufs, round after round.
 *
 * Usage: mpdp-test-mp-pool-kill-anywhere stack|ring (meson runs both:
 * mp_pool_kill_anywhere_stack and mp_pool_kill_anywhere_ring).
 *
 * Each round: the primary creates a fresh pool on the backend under test,
 * with a cache size drawn from {0, 8, 32, 64, 128}; a secondary of another
 * program churns it (pool-churn: bulk gets and puts of 1 to MAXBULK objects,
 * MAXBULK drawn from {1, 8, 32, 64}, so cache refills, flushes and direct
 * backend moves all happen); after a random 0.3 to 25 ms it is killed. Then,
 * what a correct recovery gives (mpdp_mempool.h, "Recovery"):
 *
 *   - the primary drops it from its process table (its exit hooks, which
 *     return the dead lcore's cache to the backend, finish) within 5 s; the
 *     primary never hangs;
 *   - the audit finds every object in exactly one place (never -EBADMSG);
 *     objects the dead process held are only counted in use (a leak, which
 *     is allowed and reported); no lcore cache holds anything;
 *   - the pool keeps working: a new secondary of a third program gets and
 *     puts thousands of objects, each stamped and checked, and leaves; the
 *     audit then finds exactly the same objects in use as before.
 *
 * "stack" (robust mutex, consistent at every instruction): every round must
 * end that way. "ring": a kill between claiming and publishing ring slots
 * leaves the ring waiting forever for the dead process. That round must
 * end instead with the primary dropping the process within 5 s + 1 s (the
 * hook's stuck detection), answering commands and IPC requests (a new
 * secondary attaches and gets an IPC reply), and the pool reported broken
 * (info.broken == 1, audit -EIO), never touched again; the test counts such
 * rounds. As nothing moves once the churner is dead, the test also reads the
 * ring's heads and tails: the pool must be marked broken exactly when a head
 * is ahead of its tail. A stuck ring left unmarked (stuck_unmarked) is a
 * failure: the next get or put of any process would wait forever (the test
 * does not try). A duplicate or a hang is a failure on either backend.
 *
 * Rounds: 400 (200 in sanitizer builds), about 30 ms (45 ms) each, ended
 * early after a time budget of 25 s (60 s) on a slow machine;
 * MPDP_TEST_POOL_TORTURE=N runs exactly N rounds, without a budget (raise
 * meson's timeout with -t for a large N). MPDP_TEST_POOL_SEED=S replays the
 * random draws of the test (kill delays, sizes; not the secondary's own).
 * MPDP_TEST_POOL_TORTURE_HOLD=S keeps a hung primary alive S seconds, for a
 * debugger.
 *
 * The last line of stdout is "pool-kill-anywhere: backend= rounds= stuck=
 * stuck_unmarked= leaked_rounds= leaked_objs= max_leak= max_unlist_ms=
 * duplicated= hung=".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pool_run.h"

#define KA_POOL_N      2048
#define KA_UNLIST_MS   5000 /* the primary's exit hooks, a healthy backend */
#define KA_STUCK_MS    1000 /* what the hook waits before it calls a ring stuck */
#define KA_VERIFY_ITER 1000 /* verifier churn: ~8000 gets and as many puts */
#define KA_DIM(a)      (sizeof(a) / sizeof((a)[0]))

static const unsigned int cache_sizes[] = { 0, 8, 32, 64, 128 };
static const unsigned int bulk_sizes[] = { 1, 8, 32, 64 };

struct ka_totals {
	unsigned int rounds, stuck, stuck_unmarked, leaked_rounds, dup_rounds, hung;
	uint64_t leaked_objs, max_leak, max_unlist_ms;
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void start_shell(struct mt_proc *s, const char *label, const char *var,
			const struct mt_env *env, unsigned int *lcore)
{
	struct mt_argv a;
	char line[512];
	struct mt_ready rd;

	mt_helper_argv(&a, mt_getenv_path(var), "secondary", env, NULL, "shell");
	mt_spawn(s, label, &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(s, "READY", line, sizeof(line), 15000) == 1, "%s did not start (%s)",
		  label, mt_status_str(s));
	MT_ASSERT(mt_parse_ready(line, &rd) == 0, "%s: bad READY line: %s", label, line);
	if (lcore != NULL)
		*lcore = (unsigned int)strtoul(rd.lcores, NULL, 10);
}

/*
 * Poll the primary's process table until pid is gone. Returns the ms it took
 * from t0_ms, or -1 when it is still listed after limit_ms.
 */
static long wait_unlisted(struct mt_proc *p, int pid, uint64_t t0_ms, unsigned int limit_ms)
{
	char line[4096], needle[32];

	snprintf(needle, sizeof(needle), ":%d:", pid);
	for (;;) {
		uint64_t now;

		/* a primary whose control thread hangs still answers on stdin */
		mt_cmd_ok(p, line, sizeof(line), 5000, "procs");
		now = mt_now_ms();
		if (strstr(line, needle) == NULL)
			return (long)(now - t0_ms);
		if (now - t0_ms > limit_ms)
			return -1;
		/* usually gone at once; a stuck ring holds the hook for a second */
		mt_sleep_ms(now - t0_ms < 100 ? 5 : 50);
	}
}

/* pool-audit as seen by p; the reply goes to line. */
static int audit(struct mt_proc *p, const char *pool, char *line, size_t size)
{
	mt_cmd_ok(p, line, size, 10000, "pool-audit %s", pool);
	MT_CHECK(mt_field_ll(line, "rc") != -EBADMSG && mt_field_ull(line, "duplicates") == 0 &&
			 mt_field_ull(line, "bad_entries") == 0,
		 "%s: an object is in two places, or an entry names no object: %s", pool, line);
	return (int)mt_field_ll(line, "rc");
}

/*
 * A new secondary of another program after the kill: the primary answers its
 * IPC request (no handler: -ENOENT, at once), and it uses the pool (healthy)
 * or sees it broken. Returns 0, or -1 when a check failed.
 */
static int verify(struct mt_proc *p, const struct mt_env *env, const char *pool, int broken,
		  int usable, unsigned int round)
{
	struct mt_proc v;
	char line[1024];
	long ms;
	int ok = 1;

	start_shell(&v, "verify", "MPDP_TEST_POOL_CONSUMER", env, NULL);
	MT_CHECK(mt_cmd(&v, line, sizeof(line), 10000, "request primary ka.ping - 3000") == -1 &&
			 mt_field_ll(line, "rc") == -ENOENT && mt_field_ll(line, "ms") < 3000,
		 "round %u: the primary did not answer an IPC request at once: %s", round, line);
	if (mt_field_ll(line, "rc") != -ENOENT)
		ok = 0;
	mt_cmd_ok(&v, line, sizeof(line), 10000, "pool-lookup %s", pool);
	if (mt_field_ll(line, "broken") != broken) {
		MT_CHECK(0, "round %u: the secondary sees broken=%lld, the primary %d: %s", round,
			 mt_field_ll(line, "broken"), broken, line);
		ok = 0;
	}
	if (usable) {
		mt_cmd_ok(&v, line, sizeof(line), 60000, "pool-churn %s %u 32", pool,
			  KA_VERIFY_ITER);
		if (mt_field_ull(line, "corrupt") != 0 || mt_field_ull(line, "bad") != 0 ||
		    mt_field_ull(line, "gets") != mt_field_ull(line, "puts") ||
		    mt_field_ull(line, "gets") < 2000) {
			MT_CHECK(0,
				 "round %u: after the kill the pool does not work for a new "
				 "secondary (want corrupt=0 bad=0 gets=puts>=2000): %s",
				 round, line);
			ok = 0;
		}
	} else if (broken) {
		/* a get would wait for the dead process forever: only look */
		mt_cmd_ok(&v, line, sizeof(line), 10000, "pool-audit %s", pool);
		if (mt_field_ll(line, "rc") != -EIO) {
			MT_CHECK(0,
				 "round %u: audit of a broken pool from a secondary: %s, want "
				 "rc=-EIO",
				 round, line);
			ok = 0;
		}
	}
	mt_stop(&v, 10000);
	ms = wait_unlisted(p, v.pid, mt_now_ms(), KA_UNLIST_MS);
	if (ms < 0) {
		MT_CHECK(0,
			 "round %u: the verifying secondary (pid %d) is still listed %d ms after "
			 "it left",
			 round, v.pid, KA_UNLIST_MS);
		ok = 0;
	}
	mt_proc_fini(&v);
	return ok ? 0 : -1;
}

/*
 * One round. Returns 0 to go on, -1 when the primary hangs (nothing more to
 * learn from it).
 */
static int round_run(struct mt_proc *p, const struct mt_env *env, const char *backend,
		     unsigned int i, struct ka_totals *t)
{
	const int is_ring = strcmp(backend, "ring") == 0;
	const unsigned int cache = cache_sizes[rng() % KA_DIM(cache_sizes)];
	const unsigned int bulk = bulk_sizes[rng() % KA_DIM(bulk_sizes)];
	const unsigned int delay_us = 300 + (unsigned int)(rng() % 24700);
	const unsigned int limit = KA_UNLIST_MS + (is_ring ? KA_STUCK_MS : 0);
	unsigned int lcore = 0;
	unsigned long long in_use;
	char pool[32], line[2048];
	struct mt_proc s;
	uint64_t t_kill;
	long ms;
	int rc, broken, ring_stuck = 0, pid;

	snprintf(pool, sizeof(pool), "ka.%u", i);
	mt_cmd_ok(p, line, sizeof(line), 10000, "pool-create %s %u %u %s 192 0", pool, KA_POOL_N,
		  cache, backend);
	start_shell(&s, "churn", "MPDP_TEST_POOL_PRODUCER", env, &lcore);
	pid = s.pid;
	mt_send(&s, "pool-churn %s 1000000000 %u", pool, bulk);
	sleep_us(delay_us);
	t_kill = mt_now_ms();
	mt_kill(&s, SIGKILL);
	MT_ASSERT(mt_wait_exit(&s, 5000) == 0, "the churning secondary did not die");
	mt_proc_fini(&s);

	/* the exit hooks ran once the primary no longer lists it */
	ms = wait_unlisted(p, pid, t_kill, limit);
	if (ms < 0) {
		t->hung++;
		MT_CHECK(0,
			 "round %u (%s, cache %u, bulk %u, kill at %u us): the primary's exit hook "
			 "for pid %d did not finish within %u ms",
			 i, backend, cache, bulk, delay_us, pid, limit);
		if (getenv("MPDP_TEST_POOL_TORTURE_HOLD") != NULL)
			mt_sleep_ms(1000u *
				    (unsigned int)atoi(getenv("MPDP_TEST_POOL_TORTURE_HOLD")));
		return -1;
	}
	if ((uint64_t)ms > t->max_unlist_ms)
		t->max_unlist_ms = (uint64_t)ms;

	mt_cmd_ok(p, line, sizeof(line), 10000, "pool-lookup %s", pool);
	broken = (int)mt_field_ll(line, "broken");
	if (is_ring) /* the pool is quiescent: a head ahead of its tail waits forever */
		ring_stuck = mt_field_ull(line, "prod_head") != mt_field_ull(line, "prod_tail") ||
			     mt_field_ull(line, "cons_head") != mt_field_ull(line, "cons_tail");
	MT_CHECK(!is_ring || broken == ring_stuck,
		 "round %u (cache %u, bulk %u, kill at %u us): the pool is %s but its backend "
		 "ring is %s: %s",
		 i, cache, bulk, delay_us, broken ? "marked broken" : "not marked broken",
		 ring_stuck ? "stuck (a head ahead of its tail, nobody moving)" : "consistent",
		 line);
	if (ring_stuck && !broken)
		t->stuck_unmarked++;
	rc = audit(p, pool, line, sizeof(line));
	in_use = mt_field_ull(line, "in_use");
	if (mt_field_ll(line, "rc") == -EBADMSG || mt_field_ull(line, "duplicates") != 0 ||
	    mt_field_ull(line, "bad_entries") != 0)
		t->dup_rounds++;
	if (broken) {
		t->stuck++;
		mt_log("round %u (cache %u, bulk %u, kill at %u us): the dead process left the "
		       "backend stuck; pid %d unlisted after %ld ms, the pool is broken",
		       i, cache, bulk, delay_us, pid, ms);
		MT_CHECK(is_ring,
			 "round %u: a %s pool reported broken: the stack backend is "
			 "consistent at every instruction",
			 i, backend);
		MT_CHECK(rc == -EIO, "round %u: audit of a broken pool: %s, want rc=-EIO", i, line);
	} else {
		MT_CHECK(rc == 0,
			 "round %u (cache %u, bulk %u, kill at %u us): audit after the "
			 "kill of pid %d: %s, want rc=0",
			 i, cache, bulk, delay_us, pid, line);
		MT_CHECK(mt_field_ull(line, "in_caches") == 0 &&
				 mt_field_ull(line, "caches_nonempty") == 0,
			 "round %u: the dead process's lcore %u cache (or another) still holds "
			 "objects after its exit hook: %s",
			 i, lcore, line);
		if (in_use > 0) {
			t->leaked_rounds++;
			t->leaked_objs += in_use;
			if (in_use > t->max_leak)
				t->max_leak = in_use;
		}
	}

	if (verify(p, env, pool, broken, !broken && !ring_stuck, i) == 0 && !broken &&
	    !ring_stuck) {
		/* the verifier put back all it took: the same objects are in use */
		rc = audit(p, pool, line, sizeof(line));
		MT_CHECK(rc == 0 && mt_field_ull(line, "in_use") == in_use &&
				 mt_field_ull(line, "caches_nonempty") == 0,
			 "round %u: after the verifying secondary left: %s, want rc=0 in_use=%llu "
			 "caches_nonempty=0",
			 i, line, in_use);
	}
	mt_cmd_ok(p, line, sizeof(line), 10000, "pool-free %s", pool);
	return 0;
}

int main(int argc, char **argv)
{
	const char *backend = argc > 1 ? argv[1] : "";
	const char *torture = getenv("MPDP_TEST_POOL_TORTURE");
	const char *seed_s = getenv("MPDP_TEST_POOL_SEED");
	struct ka_totals t = { 0 };
	unsigned int rounds;
	uint64_t budget_ms = 0, t_start, seed;
	struct mt_env env;
	struct mt_proc p;

	if (strcmp(backend, "stack") != 0 && strcmp(backend, "ring") != 0) {
		fprintf(stderr, "usage: %s stack|ring\n", argv[0]);
		return 2;
	}
	if (torture != NULL && *torture != '\0') {
		rounds = (unsigned int)strtoul(torture, NULL, 0);
		if (rounds == 0) {
			fprintf(stderr, "MPDP_TEST_POOL_TORTURE='%s' is not a count\n", torture);
			return 2;
		}
		mt_init(strcmp(backend, "ring") == 0 ? "pool_kill_anywhere_ring" :
						       "pool_kill_anywhere_stack",
			60 + rounds);
	} else {
		rounds = pr_sanitized() ? 200 : 400;
		budget_ms = pr_sanitized() ? 60000 : 25000;
		mt_init(strcmp(backend, "ring") == 0 ? "pool_kill_anywhere_ring" :
						       "pool_kill_anywhere_stack",
			(unsigned int)(budget_ms / 1000) + 40);
	}
	seed = seed_s != NULL ? strtoull(seed_s, NULL, 0) :
				mt_now_ns() ^ ((uint64_t)getpid() << 32);
	rng_state = seed != 0 ? seed : 1;
	mt_log("backend %s, %u rounds%s, seed %#llx (MPDP_TEST_POOL_SEED replays it)", backend,
	       rounds, budget_ms ? " at most (time budget)" : "", (unsigned long long)seed);

	mt_env_init(&env, "poolany");
	mt_start_program(&p, "p", mt_getenv_path("MPDP_TEST_POOL_PRIMARY"), "primary", "serve",
			 &env, NULL, "--mem", "64M", NULL);

	t_start = mt_now_ms();
	for (unsigned int i = 0; i < rounds; i++) {
		if (budget_ms != 0 && mt_now_ms() - t_start > budget_ms) {
			mt_log("time budget of %llu ms spent after %u of %u rounds",
			       (unsigned long long)budget_ms, i, rounds);
			break;
		}
		t.rounds++;
		if (round_run(&p, &env, backend, i, &t) != 0)
			break; /* the control thread is stuck: nothing more to learn */
	}
	mt_log("%s: %u rounds in %llu ms: %u left the backend stuck (pool broken), %u left it "
	       "stuck without marking the pool broken, %u with an object in two places, %u with "
	       "a hung exit hook, %u with objects left in use (leaks, expected: %llu objects, at "
	       "most %llu in a round); slowest exit hook %llu ms",
	       backend, t.rounds, (unsigned long long)(mt_now_ms() - t_start), t.stuck,
	       t.stuck_unmarked, t.dup_rounds, t.hung, t.leaked_rounds,
	       (unsigned long long)t.leaked_objs, (unsigned long long)t.max_leak,
	       (unsigned long long)t.max_unlist_ms);
	printf("pool-kill-anywhere: backend=%s rounds=%u stuck=%u stuck_unmarked=%u "
	       "leaked_rounds=%u leaked_objs=%llu max_leak=%llu max_unlist_ms=%llu duplicated=%u "
	       "hung=%u\n",
	       backend, t.rounds, t.stuck, t.stuck_unmarked, t.leaked_rounds,
	       (unsigned long long)t.leaked_objs, (unsigned long long)t.max_leak,
	       (unsigned long long)t.max_unlist_ms, t.dup_rounds, t.hung);
	if (t.hung == 0) {
		mt_stop(&p, 10000);
	} else {
		mt_kill(&p, SIGKILL);
		mt_wait_exit(&p, 5000);
	}
	mt_proc_fini(&p);
	mt_env_fini(&env);
	return mt_done();
}
