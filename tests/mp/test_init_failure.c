/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_init_failure.c - a primary that cannot build its instance fails
 * cleanly: one stderr line saying why, a non-zero exit, nothing left.
 *
 *  1. The runtime directory is on a tmpfs too small for the heap: the
 *     segment's fallocate fails (ENOSPC) after the lock and the config were
 *     created; they must be removed again.
 *  2. The runtime directory is on a read-only file system.
 * After each failure a secondary finds no primary, and a primary with a
 * heap that fits starts normally (nothing stale was left to recover).
 *
 * The small and read-only file systems are tmpfs mounts in a private mount
 * namespace of the test: root only, skipped (77) otherwise.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "mpdp_test.h"

static char mnt[128];

static void expect_failure(const struct mt_env *env, const char *mem, const char *needle,
			   const char *what)
{
	const char *extra[] = { "--mem", mem, NULL };
	struct mt_proc p;
	struct mt_argv a;
	char left[4096];

	mt_helper_argv(&a, mt_primary_bin(), "primary", env, extra, "serve");
	mt_spawn(&p, "p-fail", &a);
	mt_argv_fini(&a);
	mt_wait_exit(&p, 10000);
	MT_CHECK(p.exited && mt_exit_code(&p) > 0, "%s: %s, want a non-zero exit", what,
		 mt_status_str(&p));
	MT_CHECK(mt_stderr_lines(&p) == 1, "%s: %u stderr lines, want 1:\n%s", what,
		 mt_stderr_lines(&p), mt_stderr(&p));
	MT_CHECK(strstr(mt_stderr(&p), needle) != NULL, "%s: the error does not say '%s': %s", what,
		 needle, mt_stderr(&p));
	MT_CHECK(mt_leftovers(env->root, left, sizeof(left)) == 0, "%s: left behind: %s", what,
		 left);
	mt_proc_fini(&p);

	mt_helper_argv(&a, mt_secondary_bin(), "secondary", env, NULL, "check-mz");
	mt_spawn(&p, "s-none", &a);
	mt_argv_fini(&a);
	mt_wait_exit(&p, 10000);
	MT_CHECK(mt_exit_code(&p) > 0 && strstr(mt_stderr(&p), "no primary") != NULL,
		 "%s: a secondary after the failure: %s: %s", what, mt_status_str(&p),
		 mt_stderr(&p));
	mt_proc_fini(&p);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p;

	mt_init("init_failure", 25);
	if (geteuid() != 0)
		mt_skip("needs root to mount the small and read-only file systems");
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		mt_skip("no private mount namespace: %s", strerror(errno));
	mt_mount_tmp("tmpfs", "size=4m,mode=0700", mnt, sizeof(mnt));

	/* the environment's runtime directory is the small tmpfs */
	memset(&env, 0, sizeof(env));
	snprintf(env.root, sizeof(env.root), "%s", mnt);
	snprintf(env.prefix, sizeof(env.prefix), "initfail-%d", (int)getpid());
	snprintf(env.dir, sizeof(env.dir), "%s/%s", env.root, env.prefix);

	/* 1. no room for the heap */
	expect_failure(&env, "16M", "No space left", "heap larger than the file system");
	/* a heap that fits: the instance works, nothing stale was recovered */
	mt_start_primary(&p, "p-fits", &env, NULL, "--mem", "2M", NULL);
	MT_CHECK(strstr(mt_stderr(&p), "recovering") == NULL,
		 "the failed primary left something to recover: %s", mt_stderr(&p));
	mt_stop(&p, 10000);
	mt_proc_fini(&p);

	/* 2. a read-only runtime directory */
	if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0)
		MT_FAIL("cannot remount %s read-only: %s", mnt, strerror(errno));
	expect_failure(&env, "2M", "Read-only", "read-only runtime directory");

	{
		char left[4096];

		MT_CHECK(mt_leftovers(mnt, left, sizeof(left)) == 0, "left in %s: %s", mnt, left);
	}
	return mt_done();
}
