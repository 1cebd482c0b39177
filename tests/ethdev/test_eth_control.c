/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_eth_control.c - the control path of one primary: explicit states and
 * their errors, queue set-up, start/stop/close, hot-plug, MAC/MTU/promisc,
 * statistics with reset baselines, extended statistics, claims within one
 * process, and port events.
 *
 * The primary is mpdp-test-eth-a with net_ring0 (loopback) and net_null0.
 */
#include <string.h>

#include "mpdp_test.h"

#define T 10000

static struct mt_proc P;
static char line[16384];

static void expect_err(const char *errname, const char *command)
{
	int rc = mt_cmd(&P, line, sizeof(line), T, "%s", command);

	MT_CHECK(rc == -1 && mt_has_word(line, errname), "'%s': expected %s, got: %s", command,
		 errname, line);
}

static void expect_ok(const char *command)
{
	int rc = mt_cmd(&P, line, sizeof(line), T, "%s", command);

	MT_CHECK(rc == 0, "'%s' failed: %s", command, line);
}

static void expect_field(const char *command, const char *key, const char *want)
{
	char v[256] = "";

	expect_ok(command);
	MT_CHECK(mt_field(line, key, v, sizeof(v)) && strcmp(v, want) == 0,
		 "'%s': %s=%s expected, got: %s", command, key, want, line);
}

int main(void)
{
	struct mt_env env;
	struct mt_ready r;
	unsigned long long n;

	mt_init("eth_control", 60);
	mt_env_init(&env, "ethctl");
	mt_start_program(&P, "primary", mt_getenv_path("MPDP_TEST_ETH_A"), "primary", "shell",
			 &env, &r, "--no-pci", "--vdev", "net_ring0,bytes=1", "--vdev",
			 "net_null0,size=100", NULL);

	/* the ports exist, in --vdev order, and nothing else */
	expect_field("ports", "count", "2");
	expect_field("ports", "names", "net_ring0,net_null0");
	expect_field("find net_null0", "port", "1");
	expect_err("ENOENT", "find nosuch");
	expect_field("info 0", "state", "ready");
	expect_field("info 0", "driver", "net_ring");
	expect_field("info 0", "bus", "vdev");
	expect_field("info 0", "available", "1");
	expect_err("ENODEV", "info 7");
	expect_err("ENODEV", "configure 7 1 1");

	/* wrong states */
	expect_ok("pool p0 2048");
	expect_err("EINVAL", "rxq 0 0 256 p0");   /* not configured */
	expect_err("EINVAL", "start 0");          /* not configured */
	expect_err("EINVAL", "configure 0 0 1");  /* zero queues */
	expect_err("EINVAL", "configure 0 17 1"); /* more than the port has */
	expect_ok("configure 0 1 1");
	expect_field("info 0", "state", "configured");
	expect_err("EINVAL", "start 0");          /* queues not set up */
	expect_err("EINVAL", "rxq 0 1 256 p0");   /* no such queue */
	expect_err("EINVAL", "rxq 0 0 256 -");    /* no pool */
	expect_err("EINVAL", "claim 0 rx 0");     /* not set up yet */
	expect_ok("rxq 0 0 256 p0");
	expect_ok("txq 0 0 256");
	expect_ok("start 0");
	expect_ok("start 0");                     /* idempotent */
	expect_field("info 0", "state", "started");
	expect_err("EBUSY", "configure 0 1 1");
	expect_err("EBUSY", "rxq 0 0 256 p0");
	expect_err("EBUSY", "close 0");
	expect_err("EBUSY", "mtu 0 1400");
	expect_err("EINVAL", "mac 0 01:00:00:00:00:01"); /* multicast */
	expect_err("EINVAL", "mac 0 00:00:00:00:00:00");
	expect_ok("mac 0 02:aa:bb:cc:dd:ee");
	expect_field("info 0", "mac", "02:aa:bb:cc:dd:ee");
	expect_ok("promisc 0 1");
	expect_field("info 0", "promisc", "1");

	/* loopback traffic, counted by the queue's owner */
	expect_ok("claim 0 rx 0");
	expect_ok("claim 0 rx 0"); /* ours already: fine */
	expect_ok("claim 0 tx 0");
	expect_field("owner 0 rx 0", "proc_id", "0");
	mt_cmd_ok(&P, line, sizeof(line), T, "tx 0 0 100 64 p0 7");
	MT_CHECK(mt_field_ull(line, "sent") == 100, "sent: %s", line);
	mt_cmd_ok(&P, line, sizeof(line), T, "rx 0 0 100 2000 7");
	MT_CHECK(mt_field_ull(line, "received") == 100 && mt_field_ull(line, "bad") == 0,
		 "loopback: %s", line);
	expect_field("stats 0", "opackets", "100");
	expect_field("stats 0", "ipackets", "100");
	expect_field("stats 0", "obytes", "6400");
	expect_field("stats 0", "ibytes", "6400");

	/* reset from a baseline: counters restart at 0, then count again */
	expect_ok("reset 0");
	expect_field("stats 0", "opackets", "0");
	mt_cmd_ok(&P, line, sizeof(line), T, "tx 0 0 10 64 p0 8");
	mt_cmd_ok(&P, line, sizeof(line), T, "rx 0 0 10 2000 8");
	expect_field("stats 0", "opackets", "10");
	expect_field("stats 0", "ipackets", "10");

	/* extended statistics: generic names first, values agree with stats */
	mt_cmd_ok(&P, line, sizeof(line), T, "xstats 0");
	MT_CHECK(mt_field_ull(line, "n") == mt_field_ull(line, "m") && mt_field_ull(line, "n") >= 16,
		 "xstats count: %s", line);
	MT_CHECK(mt_field_ull(line, "rx_good_packets") == 10 &&
			 mt_field_ull(line, "tx_good_packets") == 10 &&
			 mt_field_ull(line, "rx_q0_packets") == 10 &&
			 mt_field_ull(line, "tx_q0_bytes") == 640,
		 "xstats values: %s", line);

	/* stop, reconfigure (drops the queues), close */
	expect_ok("stop 0");
	expect_ok("stop 0");
	expect_field("info 0", "state", "configured");
	expect_ok("mtu 0 1400");
	expect_field("info 0", "mtu", "1400");
	expect_err("EINVAL", "mtu 0 20");
	expect_ok("configure 0 1 1");
	expect_err("EINVAL", "start 0"); /* queues dropped by the reconfigure */
	expect_err("EINVAL", "claim 0 rx 0");
	expect_ok("events"); /* drop what came so far */
	expect_ok("close 0");
	expect_field("events", "list", "CLOSED:0");
	expect_err("ENODEV", "info 0");
	expect_field("ports", "count", "1");

	/* hot-plug: the freed slot is reused with a new generation */
	mt_cmd_ok(&P, line, sizeof(line), T, "hotplug %s", "net_ring5");
	MT_CHECK(mt_field_ull(line, "port") == 0, "hot-plugged port reuses slot 0: %s", line);
	expect_field("events", "list", "NEW:0");
	expect_field("info 0", "name", "net_ring5");
	mt_cmd_ok(&P, line, sizeof(line), T, "info %s", "0");
	n = mt_field_ull(line, "gen");
	MT_CHECK(n >= 2, "generation of a reused slot moved on: %s", line);
	expect_err("EEXIST", "hotplug net_ring5");
	expect_err("ENOENT", "hotplug net_nosuch0");
	expect_err("EINVAL", "hotplug net_ring6,queues");     /* key without '=' */
	expect_err("EINVAL", "hotplug net_ring6,color=blue"); /* unknown key */
	expect_field("ports", "count", "2");

	/* null port: generated packets are counted and freed */
	expect_ok("configure 1 1 1");
	expect_ok("rxq 1 0 512 p0");
	expect_ok("txq 1 0 512");
	expect_ok("start 1");
	expect_ok("claim 1 rx 0");
	mt_cmd_ok(&P, line, sizeof(line), T, "rx 1 0 64 1000");
	MT_CHECK(mt_field_ull(line, "received") == 64 && mt_field_ull(line, "bytes") == 6400,
		 "null rx generates 100-byte packets: %s", line);
	(void)mt_cmd(&P, line, sizeof(line), T, "stats 1");
	MT_CHECK(mt_field_ull(line, "ipackets") >= 64, "null stats: %s", line);

	mt_stop(&P, 10000);
	mt_proc_fini(&P);
	mt_env_fini(&env);
	return mt_done();
}
