/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_proc_type_auto.c - --proc-type auto (also the default) becomes the
 * primary when no primary runs, and a secondary of the running primary
 * otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

/* Run mpdp-test-secondary --proc-type TYPE ... -- info; return its ROLE line. */
static void run_info(const struct mt_env *env, const char *type, const char *label, char *line,
		     size_t size)
{
	struct mt_proc p;
	struct mt_argv a;

	mt_helper_argv(&a, mt_secondary_bin(), type, env, NULL, "info");
	mt_spawn(&p, label, &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&p, "ROLE", line, size, 10000) == 1, "%s printed no ROLE line",
		  label);
	mt_expect_exit(&p, 0, 10000);
	mt_proc_fini(&p);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p;
	struct mt_ready r;
	struct mt_argv a;
	char line[512], left[4096];

	mt_init("proc_type_auto", 25);
	mt_env_init(&env, "auto");

	/* no primary: auto (explicit, and by default) becomes the primary */
	run_info(&env, "auto", "auto1", line, sizeof(line));
	MT_CHECK(strncmp(line, "ROLE primary", 12) == 0 && mt_field_ll(line, "proc_id") == 0,
		 "auto without a primary: %s", line);
	MT_CHECK(mt_leftovers(env.root, left, sizeof(left)) == 0,
		 "the auto primary left files behind: %s", left);
	run_info(&env, NULL, "default1", line, sizeof(line));
	MT_CHECK(strncmp(line, "ROLE primary", 12) == 0, "no --proc-type without a primary: %s",
		 line);

	/* a primary started with auto serves secondaries */
	mt_helper_argv(&a, mt_primary_bin(), "auto", &env, NULL, "serve");
	mt_spawn(&p, "p", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&p, "READY", line, sizeof(line), 10000) == 1,
		  "auto primary did not start");
	MT_ASSERT(mt_parse_ready(line, &r) == 0, "bad READY line %s", line);

	/* with a primary running: auto (explicit, and by default) attaches */
	run_info(&env, "auto", "auto2", line, sizeof(line));
	MT_CHECK(strncmp(line, "ROLE secondary", 14) == 0 && mt_field_ll(line, "proc_id") > 0 &&
			 mt_field_ll(line, "primary_pid") == r.pid,
		 "auto with primary %d running: %s", (int)r.pid, line);
	run_info(&env, NULL, "default2", line, sizeof(line));
	MT_CHECK(strncmp(line, "ROLE secondary", 14) == 0 &&
			 mt_field_ll(line, "primary_pid") == r.pid,
		 "no --proc-type with primary %d running: %s", (int)r.pid, line);

	/* the primary binary started with auto while a primary runs is a secondary too */
	mt_helper_argv(&a, mt_primary_bin(), "auto", &env, NULL, "serve");
	{
		struct mt_proc q;

		mt_spawn(&q, "auto-primary-bin", &a);
		MT_CHECK(mt_wait_line(&q, "ROLE secondary", NULL, 0, 10000) == 1,
			 "primary binary with auto did not become a secondary");
		mt_expect_exit(&q, 3, 10000);
		mt_proc_fini(&q);
	}
	mt_argv_fini(&a);

	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	return mt_done();
}
