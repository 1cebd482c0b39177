/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_version_mismatch.c - a secondary of another layout is refused.
 *
 * mpdp-test-secondary-v2 is test_secondary.c built against the library with
 * MPDP_LAYOUT_VERSION=2. Against the normal (layout 1) primary it must fail
 * at attach with one error line naming both layout versions and the
 * primary's pid, leave the instance's files alone, and not appear in the
 * process table; the primary keeps serving normal secondaries. Then the
 * other direction of recovery: a stale layout-1 directory is recovered by a
 * layout-2 primary.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s;
	struct mt_ready r;
	struct mt_argv a;
	char before[4096], after[4096], line[512], pidword[32];
	const char *err;

	mt_init("version_mismatch", 25);
	mt_env_init(&env, "vers");
	mt_start_primary(&p, "p", &env, &r, NULL);
	mt_leftovers(env.root, before, sizeof(before));

	mt_helper_argv(&a, mt_secondary_v2_bin(), "secondary", &env, NULL, "check-mz");
	mt_spawn(&s, "sec-v2", &a);
	mt_argv_fini(&a);
	mt_wait_exit(&s, 10000);
	err = mt_stderr(&s);
	MT_CHECK(s.exited && mt_exit_code(&s) > 0, "v2 secondary: %s, want a non-zero exit",
		 mt_status_str(&s));
	MT_CHECK(mt_stderr_lines(&s) == 1, "v2 secondary: %u stderr lines, want 1:\n%s",
		 mt_stderr_lines(&s), err);
	MT_CHECK(strstr(err, "layout 2") != NULL && strstr(err, "layout 1") != NULL,
		 "the refusal does not name both layouts (1 and 2): %s", err);
	snprintf(pidword, sizeof(pidword), "%d", (int)r.pid);
	MT_CHECK(mt_has_word(err, pidword), "the refusal does not name the primary (pid %s): %s",
		 pidword, err);
	MT_CHECK(mt_wait_line(&s, "CHECK", NULL, 0, 0) != 1, "the v2 secondary ran its check");
	mt_proc_fini(&s);

	/* the primary is unaffected */
	mt_leftovers(env.root, after, sizeof(after));
	MT_CHECK(strcmp(before, after) == 0, "runtime files changed: before '%s', after '%s'",
		 before, after);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "procs");
	MT_CHECK(mt_field_ll(line, "n") == 1, "process table after the refusal: %s", line);
	mt_helper_argv(&a, mt_secondary_bin(), "secondary", &env, NULL, "check-mz");
	mt_spawn(&s, "sec", &a);
	mt_argv_fini(&a);
	MT_CHECK(mt_wait_line(&s, "CHECK ok", NULL, 0, 10000) == 1,
		 "a normal secondary cannot attach after the refusal");
	mt_expect_exit(&s, 0, 10000);
	mt_proc_fini(&s);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-check test.mz.a %u", 0xa11ceu);

	/* a stale layout-1 directory, recovered by a layout-2 primary */
	mt_kill(&p, SIGKILL);
	MT_ASSERT(mt_wait_exit(&p, 5000) == 0, "primary did not die");
	mt_proc_fini(&p);
	mt_helper_argv(&a, mt_secondary_v2_bin(), "primary", &env, NULL, "info");
	mt_spawn(&s, "v2-primary", &a);
	mt_argv_fini(&a);
	MT_CHECK(
		mt_wait_line(&s, "ROLE primary", NULL, 0, 10000) == 1,
		"the layout-2 binary could not become the primary over a stale layout-1 directory");
	mt_expect_exit(&s, 0, 10000);
	MT_CHECK(strstr(mt_stderr(&s), "recovering") != NULL,
		 "the layout-2 primary did not log the recovery: %s", mt_stderr(&s));
	mt_proc_fini(&s);
	return mt_done();
}
