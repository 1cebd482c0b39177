/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_003_virtio_mrg.c - field report 003 (../shared/seeds/003_*.txt) with
 * the driver it was about: virtio-net with mergeable receive buffers, a
 * secondary receiving and transmitting on queues the primary set up. The
 * report's secondary crashed in the mergeable receive path, calling the
 * queue-notify function whose address the primary had left in shared
 * memory.
 *
 *   instance B, the peer: vhost-user backend ports that want kicks
 *     mpdp-pktgen (primary) --tx q1--> net_vhost0 ==S0==> net_virtio_user0
 *                           <--rx q1-- net_vhost1 <==S1== net_virtio_user1
 *   instance A, the report's side
 *     mpdp-l2fwd (primary): creates both virtio-user ports (mrg_rxbuf=1,
 *       queues=2), polls queue 0 and leaves queue 1 alone
 *     mpdp-mp-worker (secondary, another program): forwards queue 1, 0 -> 1
 *
 * Every process is a different PIE program with its own copy of the library
 * and drivers. Frames of 3000 bytes span two receive buffers, so the
 * secondary merges buffers into 2-segment mbufs and transmits them as
 * descriptor chains. The backend asks for kicks (kicks=1), so the secondary
 * refills and transmits with notifications, through its own transport table
 * and its own copy of each kick eventfd. What must hold: every frame comes
 * back exactly once and intact, the secondary kicked on both queues,
 * buffers were merged, and the secondary's death leaves the primary running.
 */
#include <stdio.h>
#include <string.h>

#include "app_test.h"

#define FRAMES 10000ULL
#define SIZE   "3000"

static unsigned long long xstat_of(const struct mt_proc *info, const char *port, const char *name)
{
	for (unsigned int i = 0; i < info->nb_lines; i++) {
		const char *t = info->lines[i].text;
		char n[64] = "", p[8] = "";

		if (strncmp(t, "xstat ", 6) == 0 && mt_field(t, "name", n, sizeof(n)) &&
		    mt_field(t, "port", p, sizeof(p)) && strcmp(n, name) == 0 &&
		    strcmp(p, port) == 0)
			return mt_field_ull(t, "value");
	}
	MT_FAIL("proc-info shows no xstat %s of port %s", name, port);
	return 0;
}

int main(void)
{
	struct mt_proc l2fwd, worker, gen, info;
	struct mt_argv a;
	struct mt_env env_a, env_b;
	char dir[256], s0[300], s1[300], vh0[400], vh1[400], vu0[400], vu1[400];
	char line[4096], count[32];
	unsigned long long sent, received;

	mt_init("regress_003_virtio_mrg", 150);
	mt_env_init(&env_a, "r3va");
	mt_env_init(&env_b, "r3vb");
	mt_tmpdir("r3v", dir, sizeof(dir));
	snprintf(s0, sizeof(s0), "%s/vhost0.sock", dir);
	snprintf(s1, sizeof(s1), "%s/vhost1.sock", dir);
	snprintf(vh0, sizeof(vh0), "net_vhost0,iface=%s,queues=2,kicks=1", s0);
	snprintf(vh1, sizeof(vh1), "net_vhost1,iface=%s,queues=2,kicks=1", s1);
	snprintf(vu0, sizeof(vu0), "net_virtio_user0,path=%s,queues=2,mrg_rxbuf=1", s0);
	snprintf(vu1, sizeof(vu1), "net_virtio_user1,path=%s,queues=2,mrg_rxbuf=1", s1);
	snprintf(count, sizeof(count), "%llu", FRAMES);

	/* B: the peer, first, so its sockets listen; it sends once a ring has room */
	{
		const char *const vdevs[] = { "--vdev", vh0, "--vdev", vh1, NULL };

		at_argv(&a, "pktgen", &env_b, "primary", vdevs, "--tx-port", "0", "--tx-queue", "1",
			"--rx-port", "1", "--rx-queue", "1", "--count", count, "--size", SIZE,
			"--flows", "4", "--rate", "10000", "--drain-ms", "3000", "--idle-us", "20",
			NULL);
		mt_spawn(&gen, "pktgen", &a);
		mt_argv_fini(&a);
		MT_ASSERT(mt_wait_line(&gen, "ready", line, sizeof(line), 10000) == 1,
			  "pktgen (vhost side) did not start: %s", mt_stderr(&gen));
	}

	/* A: l2fwd owns the virtio-user ports and polls queue 0 only */
	{
		const char *const vdevs[] = { "--vdev", vu0, "--vdev", vu1, NULL };

		at_start_l2fwd(&l2fwd, &env_a, vdevs, NULL, "-p", "0x3", "-q", "2",
			       "--poll-queues", "1", "-T", "0", "--idle-us", "20",
			       NULL);
	}
	at_argv(&a, "mp-worker", &env_a, "secondary", NULL, "--mode", "fwd", "--rx-port", "0",
		"--tx-port", "1", "--queue", "1", "--idle-us", "20", NULL);
	mt_spawn(&worker, "mp-worker", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&worker, "ready", line, sizeof(line), 10000) == 1,
		  "mp-worker did not start: %s", mt_stderr(&worker));

	mt_expect_exit(&gen, 0, 90000);
	{
		const char *l = at_line(&gen, "pktgen ", 0);

		MT_ASSERT(l != NULL, "pktgen printed no result: %s", mt_stderr(&gen));
		mt_log("pktgen: %s", l);
		sent = mt_field_ull(l, "sent");
		received = mt_field_ull(l, "received");
		MT_CHECK(sent == FRAMES && received >= FRAMES * 9 / 10,
			 "too few frames came back through the secondary: %s", l);
		MT_CHECK(mt_field_ull(l, "dup") == 0 && mt_field_ull(l, "bad") == 0 &&
				 mt_field_ull(l, "reordered") == 0 && mt_field_ull(l, "foreign") == 0,
			 "corrupted, duplicated or reordered frames: %s", l);
	}

	/* what the secondary did, read by a third program of instance A */
	at_argv(&a, "proc-info", &env_a, "secondary", NULL, "--xstats", "-p", "0x3", NULL);
	at_run_expect(&info, "proc-info", &a, 0, 10000, "xstat ", line, sizeof(line));
	mt_argv_fini(&a);
	{
		unsigned long long rx_pkts = xstat_of(&info, "0", "rx_q1_packets");
		unsigned long long merged = xstat_of(&info, "0", "rx_q1_mrg_segments");
		unsigned long long rx_kicks = xstat_of(&info, "0", "rx_q1_kicks");
		unsigned long long tx_pkts = xstat_of(&info, "1", "tx_q1_packets");
		unsigned long long chains = xstat_of(&info, "1", "tx_q1_chained_packets");
		unsigned long long tx_kicks = xstat_of(&info, "1", "tx_q1_kicks");

		mt_log("secondary: rx_q1 %llu packets, %llu merged segments, %llu refill kicks; "
		       "tx_q1 %llu packets, %llu chains, %llu kicks",
		       rx_pkts, merged, rx_kicks, tx_pkts, chains, tx_kicks);
		MT_CHECK(rx_pkts == sent, "port 0 rx_q1_packets %llu, pktgen sent %llu", rx_pkts,
			 sent);
		MT_CHECK(tx_pkts == received, "port 1 tx_q1_packets %llu, pktgen received %llu",
			 tx_pkts, received);
		MT_CHECK(merged >= rx_pkts, "3000-byte frames were not merged from 2 buffers: "
			 "%llu segments for %llu packets", merged, rx_pkts);
		MT_CHECK(chains > 0, "no 2-segment frame went out as a chain");
		MT_CHECK(rx_kicks > 0 && tx_kicks > 0,
			 "the secondary never notified the backend (rx %llu, tx %llu kicks)", rx_kicks,
			 tx_kicks);
		MT_CHECK(xstat_of(&info, "0", "rx_q1_errors") == 0, "receive errors on queue 1");
	}
	mt_proc_fini(&info);

	/* the secondary dies hard; the primary goes on and exits cleanly */
	mt_kill(&worker, 9);
	MT_CHECK(mt_wait_exit(&worker, 10000) == 0 && mt_exit_signal(&worker) == 9,
		 "mp-worker: %s after SIGKILL", mt_status_str(&worker));
	at_argv(&a, "proc-info", &env_a, "secondary", NULL, "--stats", "-p", "0x3", NULL);
	at_run_expect(&info, "proc-info", &a, 0, 10000, "", NULL, 0);
	mt_argv_fini(&a);
	mt_proc_fini(&info);
	mt_kill(&l2fwd, 15);
	mt_expect_exit(&l2fwd, 0, 10000);

	mt_proc_fini(&gen);
	mt_proc_fini(&worker);
	mt_proc_fini(&l2fwd);
	mt_env_fini(&env_a);
	mt_env_fini(&env_b);
	return mt_done();
}
