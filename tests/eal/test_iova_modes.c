/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_iova_modes.c - IOVA modes without hugepages (real processes).
 *
 *  1. --iova-mode xyz: one error line naming the option and the accepted
 *     values, exit 1, nothing left behind.
 *  2. --iova-mode pa --no-huge: one error line that says hugepages are
 *     needed, exit 1, nothing left behind.
 *  3. Default mode with no devices is va; mpdp_mem_iova() is the heap
 *     offset at thousands of addresses; every object of an mbuf pool has
 *     buf_iova = its offset and the pool has no gaps. The same with
 *     --iova-mode va.
 *  4. A secondary that asks --iova-mode pa of a va primary: one warning
 *     line, and it runs in va with the same IOVAs as the primary.
 */
#include <stdarg.h>
#include <string.h>

#include "mpdp_test.h"

static const char *iova_bin(void)
{
	return mt_getenv_path("MPDP_TEST_IOVA");
}

static void refused(const struct mt_env *env, const char *what, const char *needle,
		    const char *needle2, ...)
{
	struct mt_argv a;
	struct mt_proc p;
	char left[4096];
	va_list ap;
	const char *s;

	mt_argv_init(&a, iova_bin());
	mt_argv_runtime(&a, env, "primary", 0);
	va_start(ap, needle2);
	while ((s = va_arg(ap, const char *)) != NULL)
		mt_argv_add(&a, s, NULL);
	va_end(ap);
	mt_argv_add(&a, "--", "shell", NULL);
	mt_spawn(&p, "bad", &a);
	mt_argv_fini(&a);
	mt_expect_exit(&p, 1, 10000);
	MT_CHECK(mt_stderr_lines(&p) == 1, "%s: %u stderr lines, want 1:\n%s", what,
		 mt_stderr_lines(&p), mt_stderr(&p));
	MT_CHECK(strstr(mt_stderr(&p), needle) != NULL && strstr(mt_stderr(&p), needle2) != NULL,
		 "%s: the error does not mention '%s' and '%s': %s", what, needle, needle2,
		 mt_stderr(&p));
	MT_CHECK(mt_leftovers(env->root, left, sizeof(left)) == 0, "%s: left behind: %s", what,
		 left);
	mt_proc_fini(&p);
}

static void check_va(struct mt_proc *p, const char *pool)
{
	char line[512], mode[16] = "";

	mt_cmd_ok(p, line, sizeof(line), 5000, "iova");
	mt_field(line, "mode", mode, sizeof(mode));
	MT_CHECK(strcmp(mode, "va") == 0, "want IOVA mode va: %s", line);
	mt_cmd_expect(p, line, sizeof(line), 20000, "bad", 0, "iova-check 5000");
	mt_cmd_ok(p, line, sizeof(line), 60000, "pool-check %s 2000", pool);
	MT_CHECK(mt_field_ll(line, "bad") == 0 && mt_field_ll(line, "gaps") == 0 &&
		 mt_field_ll(line, "objs") == 2000,
		 "va pool: want 2000 objects, none bad, no gaps: %s", line);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s;
	char line[512], sum_p[64], sum_s[64];

	mt_init("iova_modes", 120);
	mt_env_init(&env, "iova");

	/* 1. a bad value */
	refused(&env, "--iova-mode xyz", "--iova-mode", "va or pa", "--iova-mode", "xyz", NULL);
	/* 2. pa without hugepages */
	refused(&env, "--iova-mode pa --no-huge", "--iova-mode pa", "hugepage", "--iova-mode", "pa",
		NULL);

	/* 3. the default, then --iova-mode va */
	mt_start_program(&p, "p", iova_bin(), "primary", "shell", &env, NULL, NULL);
	MT_CHECK(strstr(mt_stderr(&p), "IOVA") == NULL, "the default mode logged a line: %s",
		 mt_stderr(&p));
	check_va(&p, "va.pool");
	/* 4. a secondary asking pa of a va primary */
	mt_start_program(&s, "s", iova_bin(), "secondary", "shell", &env, NULL, "--iova-mode",
			 "pa", NULL);
	MT_CHECK(mt_wait_stderr(&s, "--iova-mode pa ignored", 5000) == 1 && mt_stderr_lines(&s) == 1,
		 "secondary: want one warning about --iova-mode: %s", mt_stderr(&s));
	check_va(&s, "va.pool");
	mt_cmd_ok(&p, line, sizeof(line), 20000, "iova-sum 3000");
	mt_field(line, "sum", sum_p, sizeof(sum_p));
	mt_cmd_ok(&s, line, sizeof(line), 20000, "iova-sum 3000");
	mt_field(line, "sum", sum_s, sizeof(sum_s));
	MT_CHECK(strcmp(sum_p, sum_s) == 0, "IOVA digests differ: primary %s, secondary %s", sum_p,
		 sum_s);
	mt_stop(&s, 10000);
	mt_proc_fini(&s);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);

	mt_start_program(&p, "p-va", iova_bin(), "primary", "shell", &env, NULL, "--iova-mode",
			 "va", NULL);
	MT_CHECK(mt_wait_stderr(&p, "IOVA mode va: asked by --iova-mode", 5000) == 1,
		 "--iova-mode va: want the NOTICE line: %s", mt_stderr(&p));
	check_va(&p, "va.pool2");
	mt_stop(&p, 10000);
	mt_proc_fini(&p);

	mt_env_fini(&env);
	return mt_done();
}
