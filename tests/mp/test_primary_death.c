/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_primary_death.c - a secondary notices its primary's end.
 *
 *  1. SIGKILL of the primary: the secondary's mpdp_on_primary_exit() callback
 *     runs within 1000 ms (the measured time is printed), then
 *     mpdp_primary_alive() is 0, mpdp_memzone_reserve() (and lookup) fail
 *     with -ESHUTDOWN, and the secondary cleans up and exits 0.
 *  2. SIGKILL of the primary, no callback: the runtime's default ends the
 *     secondary with SIGTERM (and logs why) instead of letting it run on.
 *  3. The primary exits cleanly (mpdp_cleanup()): a secondary with a
 *     callback is notified the same way; one without a callback gets
 *     SIGTERM; a secondary that handles SIGTERM itself (the shell, through
 *     a signalfd) exits cleanly.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

static void spawn_sub(struct mt_proc *s, const char *label, const struct mt_env *env,
		      const char *sub)
{
	struct mt_argv a;

	mt_helper_argv(&a, mt_secondary_bin(), "secondary", env, NULL, sub);
	mt_spawn(s, label, &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(s, "WAITING", NULL, 0, 10000) == 1, "%s did not start", label);
}

/* Wait for GONE from s, check what the secondary saw; returns the latency in ms. */
static double expect_gone(struct mt_proc *s, uint64_t t0_ns, const char *why)
{
	char line[512], v[32];
	uint64_t t;
	double ms;

	MT_ASSERT(mt_wait_line(s, "GONE", line, sizeof(line), 5000) == 1,
		  "%s: the secondary's callback did not run within 5 s", why);
	t = mt_field_ull(line, "t_ns");
	ms = t > t0_ns ? (double)(t - t0_ns) / 1e6 : 0.0;
	MT_CHECK(mt_field_ll(line, "alive") == 0, "%s: mpdp_primary_alive() after the callback: %s",
		 why, line);
	MT_CHECK(mt_field(line, "reserve", v, sizeof(v)) && strcmp(v, "ESHUTDOWN") == 0,
		 "%s: mpdp_memzone_reserve() after the primary's end: %s, want ESHUTDOWN", why, v);
	MT_CHECK(mt_field(line, "lookup", v, sizeof(v)) && strcmp(v, "ESHUTDOWN") == 0,
		 "%s: mpdp_memzone_lookup() after the primary's end: %s, want ESHUTDOWN", why, v);
	mt_expect_exit(s, 0, 10000);
	return ms;
}

static void recover(const struct mt_env *env)
{
	struct mt_proc r;
	struct mt_argv a;

	mt_helper_argv(&a, mt_primary_bin(), "primary", env, NULL, "once");
	mt_spawn(&r, "recover", &a);
	mt_argv_fini(&a);
	mt_expect_exit(&r, 0, 10000);
	mt_proc_fini(&r);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s, s2, s3;
	uint64_t t0;
	double ms;

	mt_init("primary_death", 25);
	mt_env_init(&env, "death");

	/* 1. SIGKILL, with a callback */
	mt_start_primary(&p, "p1", &env, NULL, NULL);
	spawn_sub(&s, "cb", &env, "wait-primary-exit");
	t0 = mt_now_ns();
	mt_kill(&p, SIGKILL);
	ms = expect_gone(&s, t0, "SIGKILL");
	mt_log("callback ran %.3f ms after SIGKILL of the primary", ms);
	printf("primary-death-latency-ms: %.3f\n", ms);
	MT_CHECK(ms < 1000.0, "the callback ran %.1f ms after the SIGKILL, want < 1000", ms);
	mt_proc_fini(&s);
	MT_ASSERT(mt_wait_exit(&p, 5000) == 0, "primary did not die");
	mt_proc_fini(&p);
	recover(&env);

	/* 2. SIGKILL, no callback: SIGTERM */
	mt_start_primary(&p, "p2", &env, NULL, NULL);
	spawn_sub(&s, "nocb", &env, "wait-no-cb");
	t0 = mt_now_ms();
	mt_kill(&p, SIGKILL);
	MT_ASSERT(mt_wait_exit(&s, 5000) == 0, "a secondary without callback outlived its primary");
	MT_CHECK(mt_exit_signal(&s) == SIGTERM, "secondary without callback: %s, want SIGTERM",
		 mt_status_str(&s));
	mt_log("the secondary was terminated %llu ms after the SIGKILL",
	       (unsigned long long)(mt_now_ms() - t0));
	MT_CHECK(strstr(mt_stderr(&s), "SIGTERM") != NULL,
		 "the secondary did not log why it stops: %s", mt_stderr(&s));
	mt_proc_fini(&s);
	MT_ASSERT(mt_wait_exit(&p, 5000) == 0, "primary did not die");
	mt_proc_fini(&p);
	recover(&env);

	/* 3. clean exit of the primary */
	mt_start_primary(&p, "p3", &env, NULL, NULL);
	spawn_sub(&s, "cb", &env, "wait-primary-exit");
	spawn_sub(&s2, "nocb", &env, "wait-no-cb");
	mt_start_secondary(&s3, "shell", &env, NULL, NULL);
	t0 = mt_now_ns();
	mt_stop(&p, 10000);
	ms = expect_gone(&s, t0, "clean exit");
	mt_log("callback ran %.3f ms after the primary started leaving", ms);
	MT_CHECK(ms < 1000.0, "the callback ran %.1f ms after the primary left, want < 1000", ms);
	MT_ASSERT(mt_wait_exit(&s2, 5000) == 0,
		  "a secondary without callback outlived its primary");
	MT_CHECK(mt_exit_signal(&s2) == SIGTERM, "secondary without callback: %s, want SIGTERM",
		 mt_status_str(&s2));
	mt_expect_exit(&s3, 0, 5000);
	mt_proc_fini(&s);
	mt_proc_fini(&s2);
	mt_proc_fini(&s3);
	mt_proc_fini(&p);
	return mt_done();
}
