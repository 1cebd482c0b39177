/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_app_mp_worker.c - mpdp-mp-worker and queue ownership across
 * processes.
 *
 * mpdp-l2fwd runs with two queues per port and polls only queue 0, so queue
 * 1 of every port is free for workers.
 *
 *  1. A worker forwards port 0 queue 1 to port 1 queue 1; pktgen sends on
 *     port 2 queue 1 and receives on port 3 queue 1: every frame arrives.
 *  2. A second worker on the same queue exits 1 with a line naming the
 *     holder (besides the library's log line); so does one on a queue l2fwd
 *     polls.
 *  3. The first worker is SIGKILLed: the primary releases its claims and a
 *     new worker claims the queue (within a few seconds).
 *  4. A drop worker with --count stops by itself after that many packets.
 *  5. The primary stops while a worker runs: the worker exits 2 with its
 *     final line; l2fwd still exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app_test.h"

static void spawn_worker(struct mt_proc *w, const char *label, const struct mt_env *env,
			 const char *mode, const char *queue, const char *extra1,
			 const char *extra2)
{
	struct mt_argv a;

	at_argv(&a, "mp-worker", env, NULL, NULL, "--mode", mode, "--rx-port", "0", "--queue",
		queue, "--idle-us", "20", NULL);
	if (strcmp(mode, "fwd") == 0)
		mt_argv_add(&a, "--tx-port", "1", NULL);
	if (extra1 != NULL)
		mt_argv_add(&a, extra1, extra2, NULL);
	mt_spawn(w, label, &a);
	mt_argv_fini(&a);
}

static void expect_refused(const struct mt_env *env, const char *queue, pid_t holder)
{
	struct mt_proc w;
	char want[64];

	spawn_worker(&w, "refused", env, "drop", queue, NULL, NULL);
	mt_expect_exit(&w, 1, 10000);
	/* the tool's line, and the library's log line of the refusal */
	MT_CHECK(mt_stderr_lines(&w) <= 2, "a refused claim: too many error lines: %s",
		 mt_stderr(&w));
	snprintf(want, sizeof(want), "queue %s: held by process", queue);
	MT_CHECK(strstr(mt_stderr(&w), want) != NULL, "no '%s' line: %s", want, mt_stderr(&w));
	snprintf(want, sizeof(want), "(pid %d)", (int)holder);
	MT_CHECK(strstr(mt_stderr(&w), want) != NULL, "the error does not name the holder %s: %s",
		 want, mt_stderr(&w));
	MT_CHECK(at_count_lines(&w, "ready") == 0, "a refused worker said ready");
	mt_proc_fini(&w);
}

static void send_frames(const struct mt_env *env, const char *count, int with_rx, char *line,
			size_t size)
{
	struct mt_proc g;
	struct mt_argv a;

	at_argv(&a, "pktgen", env, NULL, NULL, "--tx-port", "2", "--tx-queue", "1", "--count",
		count, "--rate", "50000", "--idle-us", "20", "--drain-ms", "3000", NULL);
	if (with_rx)
		mt_argv_add(&a, "--rx-port", "3", "--rx-queue", "1", NULL);
	at_run_expect(&g, "pktgen", &a, 0, 30000, "pktgen ", line, size);
	mt_argv_fini(&a);
	mt_proc_fini(&g);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc l2, w1, w2, w3;
	char line[512];
	uint64_t t0;
	int rc;

	mt_init("app_mp_worker", 90);
	mt_env_init(&env, "worker");
	at_start_l2fwd(&l2, &env, at_ring_quad_q2, NULL, "-p", "0x3", "-q", "2", "--poll-queues",
		       "1", "--idle-us", "20", NULL);

	/* 1. forwarding through a worker */
	spawn_worker(&w1, "w1", &env, "fwd", "1", NULL, NULL);
	MT_ASSERT(mt_wait_line(&w1, "ready ", line, sizeof(line), 10000) == 1,
		  "the worker did not start: %s", mt_stderr(&w1));
	MT_CHECK(mt_field_ll(line, "rx_port") == 0 && mt_field_ll(line, "queue") == 1 &&
			 mt_field_ll(line, "tx_port") == 1,
		 "ready line: %s", line);
	send_frames(&env, "5000", 1, line, sizeof(line));
	MT_CHECK(mt_field_ull(line, "sent") == 5000 && mt_field_ull(line, "received") == 5000 &&
			 mt_field_ull(line, "lost") == 0 && mt_field_ull(line, "bad") == 0,
		 "through the worker: %s", line);

	/* 2. claims are exclusive */
	expect_refused(&env, "1", w1.pid);
	expect_refused(&env, "0", l2.pid);

	/* 3. a killed worker's claim is released by the primary */
	mt_kill(&w1, SIGKILL);
	MT_ASSERT(mt_wait_exit(&w1, 5000) == 0, "the worker did not die");
	mt_proc_fini(&w1);
	t0 = mt_now_ms();
	for (;;) {
		spawn_worker(&w2, "w2", &env, "drop", "1", "--count", "1000");
		rc = mt_wait_line(&w2, "ready ", NULL, 0, 5000);
		if (rc == 1)
			break;
		MT_ASSERT(mt_wait_exit(&w2, 5000) == 0, "w2 neither ready nor gone");
		MT_ASSERT(mt_now_ms() - t0 < 10000,
			  "the dead worker's claim was not released within 10 s: %s",
			  mt_stderr(&w2));
		mt_proc_fini(&w2);
		mt_sleep_ms(100);
	}
	mt_log("claim available again %llu ms after the SIGKILL",
	       (unsigned long long)(mt_now_ms() - t0));

	/* 4. --count: the drop worker stops by itself */
	send_frames(&env, "1000", 0, line, sizeof(line));
	MT_CHECK(mt_field_ull(line, "sent") == 1000, "pktgen: %s", line);
	mt_expect_exit(&w2, 0, 10000);
	MT_ASSERT(mt_wait_line(&w2, "worker ", line, sizeof(line), 1000) == 1, "no final line");
	MT_CHECK(mt_field_ull(line, "rx") == 1000 && mt_field_ull(line, "dropped") == 1000,
		 "drop worker: %s", line);
	mt_proc_fini(&w2);

	/* 5. the primary leaves under a running worker */
	spawn_worker(&w3, "w3", &env, "echo", "1", NULL, NULL);
	MT_ASSERT(mt_wait_line(&w3, "ready ", NULL, 0, 10000) == 1, "w3 did not start: %s",
		  mt_stderr(&w3));
	mt_kill(&l2, SIGINT);
	mt_expect_exit(&w3, 2, 10000);
	MT_CHECK(mt_wait_line(&w3, "worker ", NULL, 0, 1000) == 1, "w3: no final line");
	MT_CHECK(strstr(mt_stderr(&w3), "primary exited") != NULL, "w3 did not say why: %s",
		 mt_stderr(&w3));
	mt_expect_exit(&l2, 0, 10000);
	mt_proc_fini(&w3);
	mt_proc_fini(&l2);

	mt_env_fini(&env);
	return mt_done();
}
