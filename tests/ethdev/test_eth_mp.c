/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_eth_mp.c - ports across processes: a primary (mpdp-test-eth-a) and
 * secondaries of another program (mpdp-test-eth-b) and of the same one.
 *
 *  1. A secondary attaches to exactly the primary's ports, by name, and may
 *     not make primary-only calls (-EPERM); it reads info and link the
 *     primary published.
 *  2. Traffic across processes on a ring pair: the primary transmits on
 *     port A, the secondary receives on the peer B and answers; the counts
 *     agree in both processes and in a third.
 *  3. Queue ownership: a second claim is refused (-EBUSY) whoever makes it;
 *     the primary may stop but not reconfigure or close a port on which a
 *     secondary holds a claim; SIGKILL of the holder releases its claims
 *     (the primary's exit hook), and another process can claim them.
 *  4. Hot-plug reaches running secondaries: a port added after they started
 *     appears (event NEW), its queue set-up reaches them (they can claim
 *     and receive), and a port closed disappears (event CLOSED).
 *  5. A secondary started while the primary is between configure and
 *     start sees the state and follows it.
 */
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

#define T 10000

static char line[16384];

static void ok(struct mt_proc *p, const char *command)
{
	MT_CHECK(mt_cmd(p, line, sizeof(line), T, "%s", command) == 0, "%s: '%s' failed: %s",
		 p->label, command, line);
}

static void err(struct mt_proc *p, const char *errname, const char *command)
{
	int rc = mt_cmd(p, line, sizeof(line), T, "%s", command);

	MT_CHECK(rc == -1 && mt_has_word(line, errname), "%s: '%s': expected %s, got: %s",
		 p->label, command, errname, line);
}

static void field(struct mt_proc *p, const char *command, const char *key, const char *want)
{
	char v[512] = "";

	ok(p, command);
	MT_CHECK(mt_field(line, key, v, sizeof(v)) && strcmp(v, want) == 0,
		 "%s: '%s': %s=%s expected, got: %s", p->label, command, key, want, line);
}

/* Repeat command until key=want (other processes learn changes asynchronously). */
static void until(struct mt_proc *p, const char *command, const char *key, const char *want)
{
	char v[512] = "";

	for (int i = 0; i < 500; i++) {
		if (mt_cmd(p, line, sizeof(line), T, "%s", command) == 0 &&
		    mt_field(line, key, v, sizeof(v)) && strcmp(v, want) == 0)
			return;
		mt_sleep_ms(10);
	}
	MT_FAIL("%s: '%s' never gave %s=%s (last: %s)", p->label, command, key, want, line);
}

/* Collect p's events until one of them is want (they arrive asynchronously,
 * possibly after events of earlier changes). */
static void until_event(struct mt_proc *p, const char *want)
{
	char v[512] = "", all[2048] = "";

	for (int i = 0; i < 500; i++) {
		if (mt_cmd(p, line, sizeof(line), T, "events") == 0 &&
		    mt_field(line, "list", v, sizeof(v)) && strcmp(v, "-") != 0) {
			size_t n = strlen(all);

			snprintf(all + n, sizeof(all) - n, "%s%s", n ? "," : "", v);
			for (char *t = strtok(v, ","); t != NULL; t = strtok(NULL, ","))
				if (strcmp(t, want) == 0)
					return;
		}
		mt_sleep_ms(10);
	}
	MT_FAIL("%s: event %s never came (events: %s)", p->label, want, all);
}

static void start(struct mt_proc *p, const char *label, const char *var, const char *type,
		  const struct mt_env *env, struct mt_ready *r)
{
	if (strcmp(type, "primary") == 0)
		mt_start_program(p, label, mt_getenv_path(var), type, "shell", env, r, "--no-pci",
				 "--vdev", "net_ring0,queues=2,bytes=1", "--vdev", "net_ring1,peer=net_ring0,queues=2,bytes=1",
				 "--vdev", "net_null0", NULL);
	else
		mt_start_program(p, label, mt_getenv_path(var), type, "shell", env, r, NULL);
}

int main(void)
{
	struct mt_proc P, S, S2, S3;
	struct mt_ready rp, rs, rs2, rs3;
	struct mt_env env;

	mt_init("eth_mp", 60);
	mt_env_init(&env, "ethmp");
	start(&P, "primary", "MPDP_TEST_ETH_A", "primary", &env, &rp);

	/* 5 (first half): configured, not started, when the secondary arrives */
	ok(&P, "pool pp 4096");
	ok(&P, "configure 0 2 2");
	ok(&P, "rxq 0 0 512 pp");
	ok(&P, "rxq 0 1 512 pp");
	ok(&P, "txq 0 0 512");
	ok(&P, "txq 0 1 512");
	ok(&P, "configure 1 2 2");
	ok(&P, "rxq 1 0 512 pp");
	ok(&P, "rxq 1 1 512 pp");
	ok(&P, "txq 1 0 512");
	ok(&P, "txq 1 1 512");

	/* 1. attach by name, from another program */
	start(&S, "secondary-b", "MPDP_TEST_ETH_B", "secondary", &env, &rs);
	field(&S, "ports", "names", "net_ring0,net_ring1,net_null0");
	field(&S, "ports", "avail", "1,1,1");
	field(&S, "info 1", "state", "configured");
	field(&S, "info 1", "rxq", "2");
	err(&S, "EPERM", "configure 2 1 1");
	err(&S, "EPERM", "start 0");
	err(&S, "EPERM", "stop 0");
	err(&S, "EPERM", "close 2");
	err(&S, "EPERM", "mtu 0 1400");
	err(&S, "EPERM", "promisc 0 1");
	err(&S, "EPERM", "hotplug net_ring9");
	ok(&P, "start 0");
	ok(&P, "start 1");
	until(&S, "info 1", "state", "started");
	field(&S, "info 0", "link", "up");

	/* 2. primary tx on net_ring0 q1 -> secondary rx on net_ring1 q1, and back */
	ok(&P, "claim 0 tx 1");
	ok(&P, "claim 0 rx 1");
	ok(&S, "claim 1 rx 1");
	ok(&S, "claim 1 tx 1");
	ok(&S, "pool sp 1024");
	mt_cmd_ok(&P, line, sizeof(line), T, "tx 0 1 300 128 pp 11");
	MT_CHECK(mt_field_ull(line, "sent") == 300, "primary tx: %s", line);
	mt_cmd_ok(&S, line, sizeof(line), T, "rx 1 1 300 3000 11");
	MT_CHECK(mt_field_ull(line, "received") == 300 && mt_field_ull(line, "bad") == 0,
		 "secondary rx of the primary's packets: %s", line);
	mt_cmd_ok(&S, line, sizeof(line), T, "tx 1 1 200 64 sp 12");
	MT_CHECK(mt_field_ull(line, "sent") == 200, "secondary tx: %s", line);
	mt_cmd_ok(&P, line, sizeof(line), T, "rx 0 1 200 3000 12");
	MT_CHECK(mt_field_ull(line, "received") == 200 && mt_field_ull(line, "bad") == 0,
		 "primary rx of the secondary's packets: %s", line);
	/* counts agree, seen from each process and from a third one */
	start(&S2, "secondary-a", "MPDP_TEST_ETH_A", "secondary", &env, &rs2);
	for (int i = 0; i < 3; i++) {
		struct mt_proc *who = i == 0 ? &P : i == 1 ? &S : &S2;

		field(who, "stats 0", "opackets", "300");
		field(who, "stats 0", "obytes", "38400");
		field(who, "stats 0", "ipackets", "200");
		field(who, "stats 1", "ipackets", "300");
		field(who, "stats 1", "opackets", "200");
		field(who, "stats 1", "obytes", "12800");
	}
	/* a reset in one process is seen by all, and does not disturb the writer */
	ok(&S2, "reset 1");
	field(&P, "stats 1", "ipackets", "0");
	mt_cmd_ok(&P, line, sizeof(line), T, "tx 0 1 5 64 pp 13");
	mt_cmd_ok(&S, line, sizeof(line), T, "rx 1 1 5 3000 13");
	field(&S2, "stats 1", "ipackets", "5");

	/* 3. ownership */
	err(&S2, "EBUSY", "claim 1 rx 1");   /* held by S */
	err(&P, "EBUSY", "claim 1 rx 1");    /* the primary too */
	err(&S2, "EBUSY", "claim 0 tx 1");   /* held by P */
	err(&S2, "EPERM", "release 1 rx 1"); /* not ours */
	{
		char want[16];

		snprintf(want, sizeof(want), "%d", rs.proc_id);
		field(&S2, "owner 1 rx 1", "proc_id", want);
		snprintf(want, sizeof(want), "%d", (int)rs.pid);
		field(&S2, "owner 1 rx 1", "pid", want);
	}
	ok(&P, "stop 1");                    /* stopping is allowed */
	err(&P, "EBUSY", "configure 1 1 1"); /* reconfiguring is not */
	err(&P, "EBUSY", "rxq 1 0 512 pp");
	err(&P, "EBUSY", "close 1");
	ok(&P, "start 1");
	mt_kill(&S, 9);
	MT_CHECK(mt_wait_exit(&S, 5000) == 0, "secondary did not die");
	until(&S2, "claim 1 rx 1", "rc", "0"); /* released by the primary's exit hook */
	ok(&S2, "release 1 rx 1");
	err(&S2, "ENOENT", "owner 1 rx 1");
	ok(&P, "stop 1");
	ok(&P, "configure 1 1 1");           /* nobody holds it any more */

	/* 4. hot-plug reaches running secondaries */
	ok(&S2, "events");
	mt_cmd_ok(&P, line, sizeof(line), T, "hotplug %s", "net_ring7");
	MT_CHECK(mt_field_ull(line, "port") == 3, "hot-plugged port id: %s", line);
	until(&S2, "ports", "names", "net_ring0,net_ring1,net_null0,net_ring7");
	until_event(&S2, "NEW:3");
	ok(&P, "configure 3 1 1");
	ok(&P, "rxq 3 0 256 pp");
	ok(&P, "txq 3 0 256");
	ok(&P, "start 3");
	until(&S2, "info 3", "state", "started");
	ok(&S2, "claim 3 rx 0");
	ok(&P, "claim 3 tx 0");
	mt_cmd_ok(&P, line, sizeof(line), T, "tx 3 0 50 64 pp 21");
	mt_cmd_ok(&S2, line, sizeof(line), T, "rx 3 0 50 3000 21");
	MT_CHECK(mt_field_ull(line, "received") == 50 && mt_field_ull(line, "bad") == 0,
		 "secondary rx on a hot-plugged port: %s", line);
	err(&P, "EBUSY", "close 3");
	ok(&S2, "release 3 rx 0");
	ok(&P, "stop 3");
	ok(&P, "close 3");
	until_event(&S2, "CLOSED:3");
	until(&S2, "ports", "count", "3");
	err(&S2, "ENODEV", "info 3");
	err(&S2, "ENODEV", "claim 3 rx 0");

	/* 5 (second half): a late secondary sees the current state at once */
	start(&S3, "secondary-b2", "MPDP_TEST_ETH_B", "secondary", &env, &rs3);
	field(&S3, "ports", "names", "net_ring0,net_ring1,net_null0");
	field(&S3, "info 0", "state", "started");
	field(&S3, "info 1", "state", "configured");

	mt_stop(&S3, 10000);
	mt_stop(&S2, 10000);
	mt_stop(&P, 10000);
	mt_proc_fini(&S3);
	mt_proc_fini(&S2);
	mt_proc_fini(&S);
	mt_proc_fini(&P);
	mt_env_fini(&env);
	return mt_done();
}
