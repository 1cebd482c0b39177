/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_stale_recovery.c - a primary killed with SIGKILL leaves its runtime
 * files; the next primary of the prefix recovers them (and says so), works,
 * and a secondary attaches to the new primary, not to the dead one.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

int main(void)
{
	struct mt_env env;
	struct mt_proc p1, p2, s;
	struct mt_ready r1, r2;
	struct mt_argv a;
	char left[4096], line[512], want[64];

	mt_init("stale_recovery", 25);
	mt_env_init(&env, "stale");
	mt_start_primary(&p1, "p1", &env, &r1, NULL);
	mt_kill(&p1, SIGKILL);
	MT_ASSERT(mt_wait_exit(&p1, 5000) == 0 && mt_exit_signal(&p1) == SIGKILL,
		  "first primary: %s", mt_status_str(&p1));
	mt_proc_fini(&p1);

	/* what a SIGKILLed primary leaves */
	mt_leftovers(env.dir, left, sizeof(left));
	mt_log("left by the killed primary: %s", left);
	MT_CHECK(mt_has_word(left, "lock") && mt_has_word(left, "config") &&
			 mt_has_word(left, "ipc") && strstr(left, "heap.0") != NULL,
		 "expected lock, config, ipc and heap.0 to be left, found '%s'", left);

	/* the next primary recovers, logs it naming the dead pid, and works */
	mt_start_primary(&p2, "p2", &env, &r2, NULL);
	snprintf(want, sizeof(want), "dead primary (pid %d)", (int)r1.pid);
	MT_CHECK(mt_wait_stderr(&p2, "recovering", 2000) && strstr(mt_stderr(&p2), want) != NULL,
		 "new primary did not log the recovery of pid %d: '%s'", (int)r1.pid,
		 mt_stderr(&p2));
	mt_cmd_ok(&p2, line, sizeof(line), 5000, "mz-check test.mz.b %u", 0xb0bu);
	mt_cmd_ok(&p2, line, sizeof(line), 5000, "mz-reserve after.recovery 8192 4096 7");

	/* a secondary attaches to the new one */
	mt_helper_argv(&a, mt_secondary_bin(), "secondary", &env, NULL, "check-mz");
	mt_spawn(&s, "sec", &a);
	mt_argv_fini(&a);
	MT_CHECK(mt_wait_line(&s, "CHECK ok", line, sizeof(line), 10000) == 1,
		 "secondary could not attach to the new primary");
	mt_expect_exit(&s, 0, 10000);
	MT_CHECK(mt_field_ll(line, "primary_pid") == r2.pid, "secondary sees primary %lld, want %d",
		 mt_field_ll(line, "primary_pid"), (int)r2.pid);
	mt_proc_fini(&s);

	/* its own memzones are there, none of the dead primary's extra state */
	mt_start_secondary(&s, "sec2", &env, NULL, NULL);
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-check after.recovery 7");
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-walk");
	MT_CHECK(mt_field_ll(line, "n") == 4, "memzones after recovery: %s", line);
	mt_stop(&s, 10000);
	mt_proc_fini(&s);

	mt_stop(&p2, 10000);
	mt_proc_fini(&p2);
	return mt_done();
}
