/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_eth_init_errors.c - bad device options: one clear line naming what
 * was wrong, exit status 1, and nothing left behind (no runtime files, no
 * heap segments), for the primary's --vdev, -a, -b and --sysfs-root; and a
 * secondary that tries to create devices is refused (DESIGN.md rule 3).
 */
#include <string.h>

#include "mpdp_test.h"

static void expect_refused(const struct mt_env *env, const char *type, const char *needle,
			   const char *o1, const char *o2, const char *o3)
{
	const char *extra[] = { o1, o2, o3, NULL };
	struct mt_argv a;
	struct mt_proc p;

	mt_helper_argv(&a, mt_getenv_path("MPDP_TEST_ETH_A"), type, env, extra, "shell");
	mt_spawn(&p, "bad", &a);
	mt_expect_exit(&p, 1, 10000);
	MT_CHECK(strstr(mt_stderr(&p), needle) != NULL,
		 "%s: expected an error mentioning '%s', got: %s", mt_argv_str(&a), needle,
		 mt_stderr(&p));
	MT_CHECK(mt_stderr_lines(&p) <= 2, "%s: more than one error line: %s", mt_argv_str(&a),
		 mt_stderr(&p));
	mt_argv_fini(&a);
	mt_proc_fini(&p);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc P;
	struct mt_ready r;
	char left[4096];

	mt_init("eth_init_errors", 60);
	mt_env_init(&env, "etherr");

	expect_refused(&env, "primary", "no virtual device driver", "--vdev", "net_bogus0", NULL);
	expect_refused(&env, "primary", "color", "--vdev", "net_ring0,color=blue", NULL);
	expect_refused(&env, "primary", "queues", "--vdev", "net_ring0,queues", NULL);
	expect_refused(&env, "primary", "queues", "--vdev", "net_ring0,queues=1,queues=2", NULL);
	expect_refused(&env, "primary", "net_ring0", "--vdev", "net_ring0,queues=999", NULL);
	expect_refused(&env, "primary", "--vdev", "--vdev", ",queues=1", NULL);
	expect_refused(&env, "primary", "exists", "--vdev", "net_ring0", "--vdev=net_ring0");
	expect_refused(&env, "primary", "not a PCI address", "-a", "00:zz.0", NULL);
	expect_refused(&env, "primary", "not a PCI address", "-b", "hello", NULL);
	expect_refused(&env, "primary", "/nonexistent-sysfs", "--sysfs-root", "/nonexistent-sysfs",
		       NULL);
	expect_refused(&env, "primary", "--vdev", "--vdev", NULL, NULL); /* missing value */
	MT_CHECK(mt_leftovers(env.root, left, sizeof(left)) == 0,
		 "failed starts left files behind: %s", left);

	/* a secondary never creates devices */
	mt_start_program(&P, "primary", mt_getenv_path("MPDP_TEST_ETH_A"), "primary", "shell",
			 &env, &r, "--no-pci", NULL);
	expect_refused(&env, "secondary", "primary options", "--vdev", "net_null3", NULL);
	expect_refused(&env, "secondary", "primary options", "-a", "0000:00:04.0", NULL);
	mt_stop(&P, 10000);
	mt_proc_fini(&P);
	mt_env_fini(&env);
	return mt_done();
}
