/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_startup_race.c - processes of one prefix started at the same moment.
 *
 * Four processes with --proc-type auto and no primary running, started at
 * once, round after round: exactly one becomes the primary and the three
 * others become its secondaries, silently (no error line) - "auto" means a
 * secondary whenever a primary runs, also one that is still starting. The
 * losers attach while the winner is between taking its lock and publishing
 * its config, the window where the lock file does not hold its pid yet.
 *
 * Then secondaries started at the same moment as a primary: each one either
 * attaches or, when it came before the primary took its lock, says that no
 * primary runs - never anything else, and never after waiting seconds.
 *
 * Last, a primary restarted after a crash (SIGKILL: its lock file stays)
 * while processes poll for it in a tight loop (mpdp_init() every 50 us, as
 * tools waiting for their primary would): their probes of the lock (a
 * LOCK_SH held for microseconds) must not make the new primary fail, and
 * they all attach to it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

#define ROUNDS   8
#define NB       4
#define RESTARTS 20 /* before the fix, each restart had a few % chance to be refused */

int main(void)
{
	struct mt_env env;
	struct mt_proc p[NB];
	struct mt_argv a;
	char line[512];
	int winners, attached = 0, early = 0;

	mt_init("startup_race", 25);
	mt_env_init(&env, "race");

	for (int r = 0; r < ROUNDS; r++) {
		int winner = -1;

		mt_helper_argv(&a, mt_primary_bin(), "auto", &env, NULL, "serve");
		for (int i = 0; i < NB; i++) {
			char label[16];

			snprintf(label, sizeof(label), "r%d.%d", r, i);
			mt_spawn(&p[i], label, &a);
		}
		mt_argv_fini(&a);
		winners = 0;
		for (int i = 0; i < NB; i++) {
			MT_ASSERT(mt_read_line(&p[i], line, sizeof(line), 10000) == 1,
				  "round %d: process %d printed nothing (%s): %s", r, i,
				  mt_status_str(&p[i]), mt_stderr(&p[i]));
			if (strncmp(line, "READY", 5) == 0) {
				winners++;
				winner = i;
				continue;
			}
			MT_CHECK(strncmp(line, "ROLE secondary", 14) == 0,
				 "round %d: process %d said '%s'", r, i, line);
			mt_expect_exit(&p[i], 3, 10000);
			MT_CHECK(mt_stderr_lines(&p[i]) == 0,
				 "round %d: process %d became a secondary but logged: %s", r, i,
				 mt_stderr(&p[i]));
		}
		MT_CHECK(winners == 1, "round %d: %d primaries", r, winners);
		for (int i = 0; i < NB; i++)
			if (i != winner)
				mt_proc_fini(&p[i]);
		if (winner >= 0) {
			mt_stop(&p[winner], 10000);
			mt_proc_fini(&p[winner]);
		}
	}

	/* secondaries racing with a primary's start */
	for (int r = 0; r < ROUNDS; r++) {
		struct mt_proc s[NB - 1];
		uint64_t t0;

		mt_helper_argv(&a, mt_primary_bin(), "primary", &env, NULL, "serve");
		mt_spawn(&p[0], "primary", &a);
		mt_argv_fini(&a);
		/* info, not check-mz: the primary reserves its memzones after mpdp_init() */
		mt_helper_argv(&a, mt_secondary_bin(), "secondary", &env, NULL, "info");
		t0 = mt_now_ms();
		for (int i = 0; i < NB - 1; i++)
			mt_spawn(&s[i], "sec", &a);
		mt_argv_fini(&a);
		for (int i = 0; i < NB - 1; i++) {
			mt_wait_exit(&s[i], 10000);
			if (mt_exit_code(&s[i]) == 0) {
				char line2[512];

				attached++;
				MT_CHECK(mt_wait_line(&s[i], "ROLE secondary", line2, sizeof(line2),
						      0) == 1 &&
						 mt_field_ll(line2, "primary_pid") == p[0].pid,
					 "round %d: a secondary attached to something else", r);
			} else {
				early++;
				MT_CHECK(
					mt_exit_code(&s[i]) == 1 &&
						strstr(mt_stderr(&s[i]), "no primary is running") &&
						mt_stderr_lines(&s[i]) == 1,
					"round %d: a secondary racing the primary's start: %s: %s",
					r, mt_status_str(&s[i]), mt_stderr(&s[i]));
			}
			mt_proc_fini(&s[i]);
		}
		MT_CHECK(mt_now_ms() - t0 < 2000, "round %d: the secondaries took %llu ms", r,
			 (unsigned long long)(mt_now_ms() - t0));
		MT_ASSERT(mt_wait_line(&p[0], "READY", NULL, 0, 10000) == 1,
			  "the primary did not start");
		mt_stop(&p[0], 10000);
		mt_proc_fini(&p[0]);
	}
	mt_log("secondaries racing a starting primary: %d attached, %d came too early", attached,
	       early);

	/* pollers waiting for a primary restarted over a stale lock file */
	for (int r = 0; r < RESTARTS; r++) {
		struct mt_proc s[NB - 1];

		mt_helper_argv(&a, mt_primary_bin(), "primary", &env, NULL, "serve");
		mt_spawn(&p[0], "crashing", &a);
		mt_argv_fini(&a);
		MT_ASSERT(mt_wait_line(&p[0], "READY", NULL, 0, 10000) == 1,
			  "primary did not start");
		mt_kill(&p[0], SIGKILL);
		MT_ASSERT(mt_wait_exit(&p[0], 5000) == 0, "primary did not die");
		mt_proc_fini(&p[0]);
		mt_helper_argv(&a, mt_secondary_bin(), "secondary", &env, NULL, "attach-loop");
		for (int i = 0; i < NB - 1; i++)
			mt_spawn(&s[i], "poller", &a);
		mt_argv_fini(&a);
		mt_sleep_ms(5 + (unsigned int)r % 8 * 3);
		mt_helper_argv(&a, mt_primary_bin(), "primary", &env, NULL, "serve");
		mt_spawn(&p[0], "primary", &a);
		mt_argv_fini(&a);
		MT_CHECK(mt_wait_line(&p[0], "READY", NULL, 0, 10000) == 1,
			 "round %d: the primary did not start while secondaries polled for it: %s",
			 r, mt_stderr(&p[0]));
		for (int i = 0; i < NB - 1; i++) {
			MT_CHECK(mt_wait_line(&s[i], "ROLE secondary", line, sizeof(line), 10000) ==
						 1 &&
					 mt_field_ll(line, "primary_pid") == p[0].pid,
				 "round %d: a poller did not attach: %s", r, mt_stderr(&s[i]));
			mt_expect_exit(&s[i], 0, 10000);
			mt_proc_fini(&s[i]);
		}
		mt_stop(&p[0], 10000);
		mt_proc_fini(&p[0]);
	}
	return mt_done();
}
