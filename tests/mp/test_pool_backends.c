/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pool_backends.c - a pool's backend is resolved by name in each
 * process (DESIGN.md rule 5).
 *
 * mpdp-test-pool-primary creates three mbuf pools: "bk.stack" on the "stack"
 * backend, "bk.ring" on the default "ring" backend, and "bk.custom" on
 * "pt_custom", a backend only the primary's program registers.
 *
 *  1. A secondary of another program (mpdp-test-pool-producer) finds
 *     bk.stack and bk.ring; looking up bk.custom fails with -ENOTSUP and one
 *     log line naming the pool and the backend; the pool table walk still
 *     shows all three with their backend names; mpdp_mempool_from_id() of
 *     bk.custom's id gives NULL, of bk.stack's id the pool.
 *  2. The secondary keeps working with the others: the primary and two
 *     secondaries of two other programs get and put on bk.stack at the same
 *     time, each checking that no mbuf it holds is handed to anyone else;
 *     the primary does the same on bk.custom.
 *  3. Packets (chained, cloned) built from bk.stack in one secondary are
 *     read and freed in the other.
 *  4. After the secondaries leave, the audits are clean: nothing in use, no
 *     cache holding anything, everything in the backend.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpdp_test.h"

static void start_shell(struct mt_proc *s, const char *label, const char *var,
			const struct mt_env *env)
{
	struct mt_argv a;
	char line[512];

	mt_helper_argv(&a, mt_getenv_path(var), "secondary", env, NULL, "shell");
	mt_spawn(s, label, &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(s, "READY", line, sizeof(line), 10000) == 1, "%s did not start (%s)",
		  label, mt_status_str(s));
}

/* The next reply line (OK/ERR) of p. */
static void wait_reply(struct mt_proc *p, char *buf, size_t size, int timeout_ms)
{
	uint64_t deadline = mt_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint64_t now = mt_now_ms();
		int rc;

		MT_ASSERT(now < deadline, "%s: no reply within %d ms", p->label, timeout_ms);
		rc = mt_read_line(p, buf, size, (int)(deadline - now));
		MT_ASSERT(rc == 1, "%s: no reply within %d ms (%s)", p->label, timeout_ms,
			  mt_status_str(p));
		if (strncmp(buf, "OK", 2) == 0 || strncmp(buf, "ERR", 3) == 0)
			return;
	}
}

static void check_churn(struct mt_proc *p, const char *line)
{
	MT_CHECK(strncmp(line, "OK", 2) == 0, "%s: churn: %s", p->label, line);
	MT_CHECK(mt_field_ull(line, "corrupt") == 0 && mt_field_ull(line, "bad") == 0,
		 "%s: an mbuf was handed to two holders, or was not a fresh mbuf: %s", p->label,
		 line);
	MT_CHECK(mt_field_ull(line, "gets") == mt_field_ull(line, "puts") &&
			 mt_field_ull(line, "gets") > 0,
		 "%s: churn gets != puts: %s", p->label, line);
}

static void check_clean(struct mt_proc *p, const char *pool, int caches_must_be_empty)
{
	char line[1024];

	mt_cmd_ok(p, line, sizeof(line), 10000, "pool-audit %s", pool);
	MT_CHECK(mt_field_ll(line, "rc") == 0 && mt_field_ull(line, "duplicates") == 0 &&
			 mt_field_ull(line, "bad_entries") == 0,
		 "audit of %s: %s", pool, line);
	MT_CHECK(mt_field_ull(line, "in_use") == 0 && mt_field_ull(line, "stats_in_use") == 0,
		 "%s: objects still in use: %s", pool, line);
	MT_CHECK(mt_field_ull(line, "in_backend") + mt_field_ull(line, "in_caches") ==
			 mt_field_ull(line, "size"),
		 "%s: objects do not add up: %s", pool, line);
	if (caches_must_be_empty)
		MT_CHECK(mt_field_ull(line, "caches_nonempty") == 0 &&
				 mt_field_ull(line, "in_backend") == mt_field_ull(line, "size"),
			 "%s: lcore caches still hold objects: %s", pool, line);
}

/* Lines of text containing both needles. */
static unsigned int count_lines(const char *text, const char *a, const char *b)
{
	unsigned int n = 0;

	while (*text != '\0') {
		const char *end = strchr(text, '\n');
		size_t len = end != NULL ? (size_t)(end - text) : strlen(text);
		char *l = strndup(text, len);

		if (l != NULL && strstr(l, a) != NULL && (b == NULL || strstr(l, b) != NULL))
			n++;
		free(l);
		text += len + (end != NULL);
	}
	return n;
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s1, s2;
	char line[4096], ops[32];
	unsigned long long id_stack, id_custom;
	unsigned int iters;

	mt_init("pool_backends", 100);
	iters = getenv("MPDP_TEST_POOL_QUOTA") != NULL ? 20000 : 200000;
	mt_env_init(&env, "poolbk");
	mt_start_program(&p, "p", mt_getenv_path("MPDP_TEST_POOL_PRIMARY"), "primary", "serve",
			 &env, NULL, "--mem", "32M", NULL);

	mt_cmd_ok(&p, line, sizeof(line), 10000, "pool-create bk.stack 2048 64 stack 320 0");
	MT_CHECK(mt_field(line, "ops", ops, sizeof(ops)) && strcmp(ops, "stack") == 0,
		 "bk.stack: %s", line);
	id_stack = mt_field_ull(line, "id");
	mt_cmd_ok(&p, line, sizeof(line), 10000, "pool-create bk.custom 1024 32 pt_custom 320 0");
	MT_CHECK(mt_field(line, "ops", ops, sizeof(ops)) && strcmp(ops, "pt_custom") == 0,
		 "bk.custom: %s", line);
	id_custom = mt_field_ull(line, "id");
	mt_cmd_ok(&p, line, sizeof(line), 10000, "pool-create bk.ring 1024 32 - 320 0");
	MT_CHECK(mt_field(line, "ops", ops, sizeof(ops)) && strcmp(ops, "ring") == 0, "bk.ring: %s",
		 line);
	mt_cmd_ok(&p, line, sizeof(line), 10000, "ring-create bk.xfer 256");

	/* 1. another program: the stack pool yes, the custom one no */
	start_shell(&s1, "prod-shell", "MPDP_TEST_POOL_PRODUCER", &env);
	mt_cmd_ok(&s1, line, sizeof(line), 10000, "pool-lookup bk.stack");
	MT_CHECK(mt_field(line, "ops", ops, sizeof(ops)) && strcmp(ops, "stack") == 0 &&
			 mt_field_ull(line, "id") == id_stack && mt_field_ull(line, "size") == 2048,
		 "bk.stack seen from the secondary: %s", line);
	MT_CHECK(count_lines(mt_stderr(&s1), "pt_custom", NULL) == 0,
		 "the secondary mentioned pt_custom before looking it up: %s", mt_stderr(&s1));
	MT_CHECK(mt_cmd(&s1, line, sizeof(line), 10000, "pool-lookup bk.custom") == -1 &&
			 strncmp(line, "ERR ENOTSUP ", 12) == 0 &&
			 mt_field_ll(line, "rc") == -ENOTSUP,
		 "lookup of a pool whose backend this process lacks: %s, want ENOTSUP", line);
	mt_wait_stderr(&s1, "pt_custom", 2000);
	MT_CHECK(count_lines(mt_stderr(&s1), "pt_custom", NULL) == 1 &&
			 count_lines(mt_stderr(&s1), "pt_custom", "bk.custom") == 1,
		 "want one log line naming the pool (bk.custom) and the backend (pt_custom): %s",
		 mt_stderr(&s1));
	MT_CHECK(mt_cmd(&s1, line, sizeof(line), 10000, "pool-lookup bk.custom") == -1 &&
			 strncmp(line, "ERR ENOTSUP ", 12) == 0 &&
			 mt_field_ll(line, "rc") == -ENOTSUP,
		 "second lookup of bk.custom: %s, want ENOTSUP again", line);
	mt_cmd_ok(&s1, line, sizeof(line), 10000, "pool-walk");
	MT_CHECK(strstr(line, "bk.stack:stack:2048:") != NULL &&
			 strstr(line, "bk.custom:pt_custom:1024:") != NULL &&
			 strstr(line, "bk.ring:ring:1024:") != NULL,
		 "the walk must show every pool with its backend name: %s", line);
	mt_cmd_ok(&s1, line, sizeof(line), 10000, "pool-from-id %llu", id_custom);
	MT_CHECK(mt_field_ll(line, "found") == 0,
		 "mpdp_mempool_from_id() of a pool without its backend here: %s", line);
	mt_cmd_ok(&s1, line, sizeof(line), 10000, "pool-from-id %llu", id_stack);
	MT_CHECK(mt_field_ll(line, "found") == 1 && strstr(line, "name=bk.stack") != NULL,
		 "mpdp_mempool_from_id() of bk.stack: %s", line);
	mt_cmd_ok(&s1, line, sizeof(line), 10000, "pool-lookup bk.ring");

	/* 2. three processes of three programs on the stack backend at once */
	start_shell(&s2, "cons-shell", "MPDP_TEST_POOL_CONSUMER", &env);
	mt_send(&p, "pool-churn bk.stack %u 32", iters);
	mt_send(&s1, "pool-churn bk.stack %u 32", iters);
	mt_send(&s2, "pool-churn bk.stack %u 32", iters);
	wait_reply(&p, line, sizeof(line), 60000);
	check_churn(&p, line);
	wait_reply(&s1, line, sizeof(line), 60000);
	check_churn(&s1, line);
	wait_reply(&s2, line, sizeof(line), 60000);
	check_churn(&s2, line);
	check_clean(&p, "bk.stack", 1);
	/* the custom backend works where it exists; the ring pool where it is found */
	mt_cmd_ok(&p, line, sizeof(line), 60000, "pool-churn bk.custom %u 32", iters / 4);
	check_churn(&p, line);
	check_clean(&p, "bk.custom", 1);
	mt_cmd_ok(&s1, line, sizeof(line), 60000, "pool-churn bk.ring %u 16", iters / 4);
	check_churn(&s1, line);

	/* 3. packets from the stack pool, from one program to the other */
	mt_cmd_ok(&s1, line, sizeof(line), 10000, "mbuf-build bk.stack bk.xfer 16 3 4242 4");
	mt_cmd_ok(&s2, line, sizeof(line), 10000, "mbuf-inspect bk.xfer 16 3 4242 4 - 0");
	MT_CHECK(mt_field_ull(line, "checked") == 20 && mt_field_ull(line, "bad") == 0,
		 "packets from the stack pool read in the other program: %s", line);
	check_clean(&p, "bk.stack", 0);

	/* 4. after the secondaries left, their caches are back */
	mt_stop(&s1, 10000);
	mt_stop(&s2, 10000);
	MT_CHECK(mt_cmd_until(&p, line, sizeof(line), 10000, "n", 1, "procs") == 1,
		 "the secondaries are still in the process table: %s", line);
	check_clean(&p, "bk.stack", 1);
	check_clean(&p, "bk.ring", 1);
	check_clean(&p, "bk.custom", 1);

	mt_proc_fini(&s1);
	mt_proc_fini(&s2);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	mt_env_fini(&env);
	return mt_done();
}
