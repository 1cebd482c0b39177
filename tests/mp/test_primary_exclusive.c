/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_primary_exclusive.c - one primary per prefix.
 *
 * A second primary with the same prefix is refused: it exits non-zero with
 * exactly one stderr line naming the running primary's pid, removes nothing
 * of the running instance, and the first primary keeps working (a secondary
 * attaches and reads its memzones; it serves IPC).
 */
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

int main(void)
{
	struct mt_env env;
	struct mt_proc p1, p2, s;
	struct mt_ready r1;
	struct mt_argv a;
	char before[4096], after[4096], pidword[16], line[512];

	mt_init("primary_exclusive", 25);
	mt_env_init(&env, "excl");
	mt_start_primary(&p1, "p1", &env, &r1, NULL);
	MT_ASSERT(mt_leftovers(env.root, before, sizeof(before)) > 0, "no runtime files");
	snprintf(pidword, sizeof(pidword), "%d", (int)r1.pid);

	/* a second primary of the same prefix */
	mt_helper_argv(&a, mt_primary_bin(), "primary", &env, NULL, "serve");
	mt_spawn(&p2, "p2", &a);
	mt_argv_fini(&a);
	mt_wait_exit(&p2, 10000);
	MT_CHECK(p2.exited && mt_exit_code(&p2) > 0, "second primary: %s, want a non-zero exit",
		 mt_status_str(&p2));
	MT_CHECK(mt_stderr_lines(&p2) == 1, "second primary printed %u stderr lines, want 1:\n%s",
		 mt_stderr_lines(&p2), mt_stderr(&p2));
	MT_CHECK(mt_has_word(mt_stderr(&p2), pidword),
		 "second primary's error does not name the running primary (pid %s): %s", pidword,
		 mt_stderr(&p2));
	MT_CHECK(mt_wait_line(&p2, "READY", NULL, 0, 0) != 1, "second primary said READY");
	mt_proc_fini(&p2);

	/* nothing of the running instance was touched */
	mt_leftovers(env.root, after, sizeof(after));
	MT_CHECK(strcmp(before, after) == 0, "runtime files changed: before '%s', after '%s'",
		 before, after);

	/* the first primary still works: a secondary attaches and checks its memzones */
	mt_helper_argv(&a, mt_secondary_bin(), "secondary", &env, NULL, "check-mz");
	mt_spawn(&s, "sec", &a);
	mt_argv_fini(&a);
	MT_CHECK(mt_wait_line(&s, "CHECK ok", line, sizeof(line), 10000) == 1,
		 "secondary could not check the first primary's memzones");
	mt_expect_exit(&s, 0, 10000);
	MT_CHECK(mt_field_ll(line, "primary_pid") == r1.pid,
		 "secondary attached to pid %lld, want %d", mt_field_ll(line, "primary_pid"),
		 (int)r1.pid);
	mt_proc_fini(&s);

	/* and it still answers commands */
	mt_cmd_ok(&p1, line, sizeof(line), 5000, "mz-check test.mz.a %u", 0xa11ceu);
	MT_CHECK(mt_cmd_until(&p1, line, sizeof(line), 2000, "n", 1, "procs"),
		 "process table 2 s after the secondary left: %s", line);

	mt_stop(&p1, 10000);
	mt_proc_fini(&p1);
	return mt_done();
}
