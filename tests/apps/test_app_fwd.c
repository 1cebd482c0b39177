/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_app_fwd.c - traffic through the tools.
 *
 *  1. mpdp-l2fwd forwards between ring ports 0 and 1; mpdp-pktgen, a
 *     secondary, sends on port 2 (peer of 0) and receives on port 3 (peer
 *     of 1) at a moderate rate, over several flows: every frame comes back,
 *     none lost, duplicated or bad; its pool is freed afterwards.
 *  2. The counters mpdp-proc-info --json reads agree with pktgen's and, once
 *     mpdp-l2fwd stops on SIGINT, with l2fwd's final ones; it exits 0 and
 *     leaves nothing behind.
 *  3. --mac-rewrite: frames still arrive intact (the payload is checked).
 *  4. --config on two lcores (one when the test may use a single CPU): each
 *     receive queue is polled by the lcore it names, frames still all arrive.
 *  5. mpdp-pktgen as the primary on a ring port in loopback, jumbo frames.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app_test.h"

#define COUNT 20000

static void run_pktgen(const struct mt_env *env, const char *label, const char *count,
		       const char *size, char *line, size_t size_line)
{
	struct mt_proc g;
	struct mt_argv a;

	at_argv(&a, "pktgen", env, "secondary", NULL, "--tx-port", "2", "--rx-port", "3", "--count",
		count, "--rate", "50000", "--flows", "4", "--size", size, "--idle-us", "20",
		"--drain-ms", "3000", NULL);
	at_run_expect(&g, label, &a, 0, 30000, "pktgen ", line, size_line);
	mt_argv_fini(&a);
	mt_proc_fini(&g);
}

static void check_result(const char *line, unsigned long long want)
{
	MT_CHECK(mt_field_ull(line, "sent") == want, "sent: %s", line);
	MT_CHECK(mt_field_ull(line, "received") == want, "received: %s", line);
	MT_CHECK(mt_field_ull(line, "lost") == 0, "lost: %s", line);
	MT_CHECK(mt_field_ull(line, "dup") == 0, "dup: %s", line);
	MT_CHECK(mt_field_ull(line, "bad") == 0, "bad: %s", line);
	MT_CHECK(mt_field_ull(line, "foreign") == 0, "foreign: %s", line);
	MT_CHECK(mt_field_ull(line, "reordered") == 0, "reordered: %s", line);
}

static void proc_info_json(const struct mt_env *env, const char *section, char *doc, size_t size)
{
	struct mt_proc p;
	struct mt_argv a;
	char opt[32];
	int valid;

	snprintf(opt, sizeof(opt), "--%s", section);
	at_argv(&a, "proc-info", env, NULL, NULL, opt, "--json", NULL);
	at_run_expect(&p, "proc-info", &a, 0, 10000, "{", doc, size);
	mt_argv_fini(&a);
	MT_CHECK(p.nb_lines == 1, "proc-info --json printed %u lines, want 1", p.nb_lines);
	valid = at_json_valid(doc);
	MT_CHECK(valid != 0, "proc-info --json is not valid JSON: %s", doc);
	mt_proc_fini(&p);
}

static void through_l2fwd(int mac_rewrite)
{
	static char doc[65536];
	struct mt_env env;
	struct mt_proc l2;
	char line[512];
	unsigned long long v, l2_rx0, l2_tx1;
	const char *fin;

	mt_env_init(&env, mac_rewrite ? "fwdmac" : "fwd");
	if (mac_rewrite)
		at_start_l2fwd(&l2, &env, at_ring_quad, NULL, "-p", "0x3", "--idle-us", "20",
			       "--mac-rewrite", NULL);
	else
		at_start_l2fwd(&l2, &env, at_ring_quad, NULL, "-p", "0x3", "--idle-us", "20", "-T",
			       "1", NULL);

	run_pktgen(&env, "pktgen", "20000", mac_rewrite ? "1500" : "64", line, sizeof(line));
	check_result(line, COUNT);

	proc_info_json(&env, "stats", doc, sizeof(doc));
	MT_CHECK(at_json_port_u64(doc, "stats", 0, "ipackets", &v) && v == COUNT,
		 "port 0 ipackets %llu, want %d", v, COUNT);
	MT_CHECK(at_json_port_u64(doc, "stats", 1, "opackets", &v) && v == COUNT,
		 "port 1 opackets %llu, want %d", v, COUNT);
	MT_CHECK(at_json_port_u64(doc, "stats", 2, "opackets", &v) && v == COUNT,
		 "port 2 opackets %llu, want %d", v, COUNT);
	MT_CHECK(at_json_port_u64(doc, "stats", 3, "ipackets", &v) && v == COUNT,
		 "port 3 ipackets %llu, want %d", v, COUNT);

	/* pktgen's pool is gone: every mbuf came back before it left */
	proc_info_json(&env, "mempools", doc, sizeof(doc));
	MT_CHECK(strstr(doc, "\"name\":\"pktgen.") == NULL, "pktgen left its pool: %s", doc);
	MT_CHECK(strstr(doc, "\"name\":\"l2fwd.") != NULL, "l2fwd's pool is not listed: %s", doc);

	if (!mac_rewrite)
		MT_CHECK(mt_wait_line(&l2, "stats port=0 ", NULL, 0, 3000) == 1,
			 "no periodic stats line with -T 1");
	mt_kill(&l2, SIGINT);
	mt_expect_exit(&l2, 0, 10000);
	fin = at_line(&l2, "final port=0 ", 0);
	MT_ASSERT(fin != NULL, "l2fwd printed no final line for port 0");
	l2_rx0 = mt_field_ull(fin, "rx");
	fin = at_line(&l2, "final port=1 ", 0);
	MT_ASSERT(fin != NULL, "l2fwd printed no final line for port 1");
	l2_tx1 = mt_field_ull(fin, "tx");
	MT_CHECK(l2_rx0 == COUNT && l2_tx1 == COUNT,
		 "l2fwd counted rx %llu on port 0 and tx %llu on port 1, proc-info %d", l2_rx0,
		 l2_tx1, COUNT);
	fin = at_line(&l2, "total ", 0);
	MT_ASSERT(fin != NULL, "l2fwd printed no total line");
	MT_CHECK(mt_field_ull(fin, "rx") == COUNT && mt_field_ull(fin, "tx") == COUNT &&
			 mt_field_ull(fin, "dropped") == 0,
		 "l2fwd total: %s", fin);
	mt_proc_fini(&l2);
	mt_env_fini(&env);
}

static void config_lcores(void)
{
	struct mt_env env;
	struct mt_proc l2;
	char lcores[32], config[64], want[64], line[512];
	int cpus[2], n = 0;
	cpu_set_t set;

	MT_ASSERT(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity failed");
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	MT_ASSERT(n > 0, "no CPU");
	if (n == 1)
		cpus[1] = cpus[0];
	/* a lone primary numbers its lcores as the CPUs */
	if (n == 2)
		snprintf(lcores, sizeof(lcores), "%d,%d", cpus[0], cpus[1]);
	else
		snprintf(lcores, sizeof(lcores), "%d", cpus[0]);
	snprintf(config, sizeof(config), "(0,0,%d),(1,0,%d)", cpus[1], cpus[0]);
	const char *const vdevs[] = { "-l",     lcores,
				      "--vdev", "net_ring0",
				      "--vdev", "net_ring1",
				      "--vdev", "net_ring2,peer=net_ring0",
				      "--vdev", "net_ring3,peer=net_ring1",
				      NULL };

	mt_env_init(&env, "config");
	at_start_l2fwd(&l2, &env, vdevs, line, "-p", "0x3", "--config", config, "--idle-us", "20",
		       NULL);
	MT_CHECK(mt_field_ull(line, "tasks") == 2 && mt_field_ull(line, "lcores") == (unsigned)n,
		 "ready line: %s", line);
	snprintf(want, sizeof(want), "task port=0 queue=0 tx_port=1 lcore=%d", cpus[1]);
	MT_CHECK(at_line(&l2, want, 0) != NULL, "no '%s' line", want);
	snprintf(want, sizeof(want), "task port=1 queue=0 tx_port=0 lcore=%d", cpus[0]);
	MT_CHECK(at_line(&l2, want, 0) != NULL, "no '%s' line", want);
	run_pktgen(&env, "pktgen", "5000", "128", line, sizeof(line));
	check_result(line, 5000);
	mt_kill(&l2, SIGTERM);
	mt_expect_exit(&l2, 0, 10000);
	mt_proc_fini(&l2);
	mt_env_fini(&env);
}

static void pktgen_primary(void)
{
	static const char *const loop[] = { "--vdev", "net_ring0", NULL };
	struct mt_env env;
	struct mt_proc g;
	struct mt_argv a;
	char line[512];

	mt_env_init(&env, "pgprim");
	at_argv(&a, "pktgen", &env, "primary", loop, "--tx-port", "0", "--rx-port", "0", "--count",
		"3000", "--size", "9000", "--flows", "3", "--burst", "16", "--mbufs", "1024", NULL);
	at_run_expect(&g, "pktgen-primary", &a, 0, 30000, "pktgen ", line, sizeof(line));
	check_result(line, 3000);
	mt_argv_fini(&a);
	mt_proc_fini(&g);
	mt_env_fini(&env);
}

int main(void)
{
	mt_init("app_fwd", 90);
	through_l2fwd(0);
	through_l2fwd(1);
	config_lcores();
	pktgen_primary();
	return mt_done();
}
