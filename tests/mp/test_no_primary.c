/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_no_primary.c - a secondary with no primary to attach to fails
 * cleanly: one stderr line, a non-zero exit (no signal, no crash), and no
 * file or directory created. Three cases: the runtime directory does not
 * exist at all; it exists but the instance does not; the instance's files
 * are there but their primary was killed (a stale directory: the secondary
 * must neither attach nor touch it).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mpdp_test.h"

static void expect_refused(const struct mt_env *env, const char *runtime_dir, const char *label,
			   const char *bin)
{
	struct mt_env e = *env;
	struct mt_proc s;
	struct mt_argv a;
	char before[4096], after[4096];

	snprintf(e.root, sizeof(e.root), "%s", runtime_dir);
	mt_leftovers(env->root, before, sizeof(before));
	mt_helper_argv(&a, bin, "secondary", &e, NULL, "check-mz");
	mt_spawn(&s, label, &a);
	mt_argv_fini(&a);
	mt_wait_exit(&s, 10000);
	MT_CHECK(s.exited && mt_exit_code(&s) > 0, "%s: %s, want a non-zero exit", label,
		 mt_status_str(&s));
	MT_CHECK(mt_stderr_lines(&s) == 1, "%s: %u stderr lines, want 1:\n%s", label,
		 mt_stderr_lines(&s), mt_stderr(&s));
	MT_CHECK(strstr(mt_stderr(&s), "no primary") != NULL && strstr(mt_stderr(&s), env->prefix),
		 "%s: the error does not say that no primary runs for prefix %s: %s", label,
		 env->prefix, mt_stderr(&s));
	MT_CHECK(mt_wait_line(&s, "CHECK", NULL, 0, 0) != 1, "%s: the secondary ran its check",
		 label);
	mt_proc_fini(&s);
	mt_leftovers(env->root, after, sizeof(after));
	MT_CHECK(strcmp(before, after) == 0, "%s: files changed: before '%s', after '%s'", label,
		 before, after);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p;
	char missing[256], left[4096];
	struct stat st;

	mt_init("no_primary", 25);
	mt_env_init(&env, "noprim");

	/* the runtime directory does not exist: nothing may be created */
	snprintf(missing, sizeof(missing), "%s/not/there", env.root);
	expect_refused(&env, missing, "sec-nodir", mt_secondary_bin());
	MT_CHECK(stat(missing, &st) != 0 && errno == ENOENT, "%s was created", missing);
	snprintf(missing, sizeof(missing), "%s/not", env.root);
	MT_CHECK(stat(missing, &st) != 0 && errno == ENOENT, "%s was created", missing);

	/* the runtime directory exists, the instance does not */
	expect_refused(&env, env.root, "sec-noinst", mt_secondary_bin());
	MT_CHECK(mt_leftovers(env.root, left, sizeof(left)) == 0, "files created: %s", left);
	/* the same for the other layout's binary: it fails before any version talk */
	expect_refused(&env, env.root, "sec-v2-noinst", mt_secondary_v2_bin());

	/* a stale instance: files left by a killed primary, no live primary */
	mt_start_primary(&p, "p", &env, NULL, NULL);
	mt_kill(&p, SIGKILL);
	MT_ASSERT(mt_wait_exit(&p, 5000) == 0, "primary did not die");
	mt_proc_fini(&p);
	expect_refused(&env, env.root, "sec-stale", mt_secondary_bin());

	/* recover the stale directory so that nothing is left at the end */
	mt_start_primary(&p, "recover", &env, NULL, NULL);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	return mt_done();
}
