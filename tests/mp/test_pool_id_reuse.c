/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pool_id_reuse.c - a pool id reused after a free in another process.
 *
 * A secondary attaches to pool "reuse.a" (id N) by id, as an mbuf free does.
 * The primary frees it and creates "reuse.b" of another size: it takes id N
 * again, at another offset. The secondary's cached handle for id N must not
 * be used for the new pool: mpdp_mempool_from_id(N) names "reuse.b" at once,
 * and mbufs of "reuse.b" built in the primary are freed by the secondary into
 * "reuse.b" (its audit is clean, nothing lost). Found with the tools: a
 * forwarder that had dropped a first pktgen's mbufs lost a second pktgen's.
 */
#include <stdlib.h>
#include <string.h>

#include "mpdp_test.h"

#define T 10000

int main(void)
{
	struct mt_proc p, s;
	struct mt_ready r;
	struct mt_env env;
	char line[4096], id[16];

	mt_init("pool_id_reuse", 60);
	mt_env_init(&env, "poolreuse");
	mt_start_program(&p, "primary", mt_getenv_path("MPDP_TEST_POOL_PRIMARY"), "primary",
			 "serve", &env, &r, NULL);
	mt_start_program(&s, "secondary", mt_getenv_path("MPDP_TEST_POOL_PRODUCER"), "secondary",
			 "shell", &env, &r, NULL);

	mt_cmd_ok(&p, line, sizeof(line), T, "pool-create reuse.a 512 0 - 2048 0");
	mt_cmd_ok(&p, line, sizeof(line), T, "pool-lookup reuse.a");
	MT_ASSERT(mt_field(line, "id", id, sizeof(id)), "no id: %s", line);
	mt_cmd_ok(&s, line, sizeof(line), T, "pool-from-id %s", id);
	MT_CHECK(strstr(line, "found=1 name=reuse.a") != NULL, "attach by id: %s", line);

	mt_cmd_ok(&p, line, sizeof(line), T, "pool-free reuse.a");
	mt_cmd_ok(&p, line, sizeof(line), T, "pool-create reuse.b 2048 0 - 4096 0");
	mt_cmd_ok(&p, line, sizeof(line), T, "pool-lookup reuse.b");
	MT_ASSERT(mt_field_ll(line, "id") == atoll(id), "the new pool did not reuse id %s: %s", id,
		  line);
	mt_cmd_ok(&s, line, sizeof(line), T, "pool-from-id %s", id);
	MT_CHECK(strstr(line, "found=1 name=reuse.b") != NULL,
		 "a stale handle survived the reuse of the id: %s", line);

	/* mbufs of the new pool, freed by the secondary, go back to the new pool */
	mt_cmd_ok(&p, line, sizeof(line), T, "ring-create reuse.r 1024");
	mt_cmd_ok(&p, line, sizeof(line), T, "mbuf-build reuse.b reuse.r 50 1 7 0");
	mt_cmd_ok(&s, line, sizeof(line), T, "mbuf-inspect reuse.r 50 1 7 0 - 0");
	mt_cmd_ok(&p, line, sizeof(line), T, "pool-audit reuse.b");
	MT_CHECK(mt_field_ll(line, "rc") == 0 && mt_field_ull(line, "in_use") == 0,
		 "mbufs freed by the secondary did not come back to reuse.b: %s", line);

	mt_stop(&s, T);
	mt_stop(&p, T);
	mt_proc_fini(&s);
	mt_proc_fini(&p);
	mt_env_fini(&env);
	return mt_done();
}
