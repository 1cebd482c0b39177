/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_003_secondary_rxtx.c - field report 003 (../shared/seeds/003_*.txt):
 * a secondary receiving and transmitting on queues the primary set up
 * crashed calling a function pointer the primary had stored in shared
 * memory.
 *
 * Here every process is a different PIE program with its own copy of the
 * library and drivers, so no function address means the same thing in two
 * of them:
 *
 *   mpdp-pktgen A (secondary) --tx q0--> net_ring2 ==ring==> net_ring0 rx q0
 *                                          mpdp-l2fwd (primary) forwards q0
 *   mpdp-pktgen A <--rx q0-- net_ring3 <==ring== net_ring1 tx q0
 *
 *   mpdp-pktgen B (secondary) --tx q1--> net_ring2 ==ring==> net_ring0 rx q1
 *                                          mpdp-mp-worker (secondary) fwd q1
 *   mpdp-pktgen B <--rx q1-- net_ring3 <==ring== net_ring1 tx q1
 *
 * l2fwd polls queue 0 of ports 0 and 1 and leaves queue 1 to the worker.
 * Both flows run at the same time, on two CPUs shared by five busy
 * processes, so a transmit ring may fill and a forwarder then drops (and
 * counts) what did not fit, as any forwarder does. What must hold: no frame
 * is corrupted, duplicated or reordered, at least 90% come back, and the
 * counts agree on every side: what each pktgen sent is what its forwarder
 * received, what the forwarder sent plus what it dropped is what it
 * received, and what it sent is what the pktgen got back; the port
 * statistics read by proc-info (another program again) agree per queue.
 */
#include <stdio.h>
#include <string.h>

#include "app_test.h"

#define FRAMES 200000ULL

static unsigned long long field_of(const char *line, const char *key)
{
	return mt_field_ull(line, key);
}

int main(void)
{
	struct mt_proc l2fwd, worker, gen_a, gen_b, info;
	struct mt_argv a;
	struct mt_env env;
	char ready[256], line[4096], count[32];
	unsigned long long sent[2], received[2];

	mt_init("regress_003_secondary_rxtx", 120);
	mt_env_init(&env, "r003");
	snprintf(count, sizeof(count), "%llu", FRAMES);

	at_start_l2fwd(&l2fwd, &env, at_ring_quad_q2, ready, "-p", "0x3", "-q", "2",
		       "--poll-queues", "1", "-T", "0", "--idle-us", "20", NULL);

	/* the worker claims queue 1 of ports 0 and 1 */
	at_argv(&a, "mp-worker", &env, "secondary", NULL, "--mode", "fwd", "--rx-port", "0",
		"--tx-port", "1", "--queue", "1", "--idle-us", "20", NULL);
	mt_spawn(&worker, "mp-worker", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&worker, "ready", line, sizeof(line), 10000) == 1,
		  "mp-worker did not start: %s", mt_stderr(&worker));

	/* two generators, one per queue, at the same time */
	at_argv(&a, "pktgen", &env, "secondary", NULL, "--tx-port", "2", "--tx-queue", "0",
		"--rx-port", "3", "--rx-queue", "0", "--count", count, "--size", "64", "--flows",
		"8", "--rate", "200000", "--drain-ms", "2000", "--idle-us", "20", NULL);
	mt_spawn(&gen_a, "pktgen-a", &a);
	mt_argv_fini(&a);
	at_argv(&a, "pktgen", &env, "secondary", NULL, "--tx-port", "2", "--tx-queue", "1",
		"--rx-port", "3", "--rx-queue", "1", "--count", count, "--size", "128", "--flows",
		"8", "--rate", "200000", "--drain-ms", "2000", "--idle-us", "20", NULL);
	mt_spawn(&gen_b, "pktgen-b", &a);
	mt_argv_fini(&a);

	mt_expect_exit(&gen_a, 0, 60000);
	mt_expect_exit(&gen_b, 0, 60000);
	for (int i = 0; i < 2; i++) {
		struct mt_proc *g = i ? &gen_b : &gen_a;
		const char *l = at_line(g, "pktgen ", 0);

		MT_ASSERT(l != NULL, "%s printed no result: %s", g->label, mt_stderr(g));
		sent[i] = field_of(l, "sent");
		received[i] = field_of(l, "received");
		MT_CHECK(sent[i] == FRAMES && received[i] >= FRAMES * 9 / 10,
			 "%s: too few frames came back: %s", g->label, l);
		MT_CHECK(field_of(l, "dup") == 0 && field_of(l, "bad") == 0 &&
				 field_of(l, "reordered") == 0 && field_of(l, "foreign") == 0,
			 "%s: corrupted, duplicated or reordered frames: %s", g->label, l);
		mt_log("%s: %s", g->label, l);
	}

	/* the port statistics, read by yet another program, agree per queue */
	at_argv(&a, "proc-info", &env, "secondary", NULL, "--xstats", "-p", "0x3", NULL);
	at_run_expect(&info, "proc-info", &a, 0, 10000, "xstat ", line, sizeof(line));
	mt_argv_fini(&a);
	{
		unsigned int matched = 0;

		/* "xstat port=P name=NAME value=N" */
		for (unsigned int i = 0; i < info.nb_lines; i++) {
			const char *t = info.lines[i].text;
			char name[64] = "", port[8] = "";
			unsigned long long want = 0;

			if (strncmp(t, "xstat ", 6) != 0 || !mt_field(t, "name", name, sizeof(name)) ||
			    !mt_field(t, "port", port, sizeof(port)))
				continue;
			if (strcmp(port, "0") == 0 && strcmp(name, "rx_q0_packets") == 0)
				want = sent[0];
			else if (strcmp(port, "0") == 0 && strcmp(name, "rx_q1_packets") == 0)
				want = sent[1];
			else if (strcmp(port, "1") == 0 && strcmp(name, "tx_q0_packets") == 0)
				want = received[0];
			else if (strcmp(port, "1") == 0 && strcmp(name, "tx_q1_packets") == 0)
				want = received[1];
			else
				continue;
			matched++;
			MT_CHECK(mt_field_ull(t, "value") == want, "queue counter, want %llu: %s", want,
				 t);
		}
		MT_CHECK(matched == 4, "proc-info showed %u of the 4 queue counters", matched);
	}
	mt_proc_fini(&info);

	/* the worker's own count (queue 1), then l2fwd's (queue 0) */
	mt_kill(&worker, 15);
	mt_expect_exit(&worker, 0, 10000);
	{
		const char *l = at_line(&worker, "worker ", 0);

		MT_ASSERT(l != NULL, "mp-worker printed no result: %s", mt_stderr(&worker));
		MT_CHECK(field_of(l, "rx") == sent[1] && field_of(l, "tx") == received[1] &&
				 field_of(l, "tx") + field_of(l, "dropped") == field_of(l, "rx"),
			 "mp-worker's counts vs pktgen-b's (sent %llu, received %llu): %s", sent[1],
			 received[1], l);
	}
	mt_kill(&l2fwd, 15);
	mt_expect_exit(&l2fwd, 0, 10000);
	{
		const char *l = at_line(&l2fwd, "total ", 0);

		MT_ASSERT(l != NULL, "l2fwd printed no total: %s", mt_stderr(&l2fwd));
		MT_CHECK(field_of(l, "rx") == sent[0] && field_of(l, "tx") == received[0] &&
				 field_of(l, "tx") + field_of(l, "dropped") == field_of(l, "rx"),
			 "l2fwd's counts vs pktgen-a's (sent %llu, received %llu): %s", sent[0],
			 received[0], l);
	}
	mt_proc_fini(&gen_a);
	mt_proc_fini(&gen_b);
	mt_proc_fini(&worker);
	mt_proc_fini(&l2fwd);
	mt_env_fini(&env);
	return mt_done();
}
