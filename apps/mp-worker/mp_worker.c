/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mp_worker.c - mpdp-mp-worker: a secondary that claims queues the primary
 * set up and receives (and transmits) on them.
 *
 *   fwd   receive on --rx-port P queue Q, send on --tx-port P2 queue Q
 *   echo  receive on P queue Q, swap the MAC addresses, send back on P queue Q
 *   drop  receive on P queue Q and free
 *
 * The queues are claimed first (DESIGN.md rule 7): a queue held by another
 * process is a clear error, never a shared poll. The worker polls on its main
 * thread (an lcore of the instance) until SIGINT/SIGTERM, --duration,
 * --count received packets, or the primary's exit, then releases its claims,
 * gives its mempool caches back and leaves.
 *
 * Output (key=value, see mpdp-mp-worker(1)):
 *   ready mode=M rx_port=P queue=Q tx_port=P2 pid=N
 *   stats rx=N tx=N dropped=N rx_mpps=X      (every -T seconds)
 *   worker rx=N tx=N dropped=N               (at the end)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_ether.h>
#include <mpdp/mpdp_lcore.h>
#include <mpdp/mpdp_mbuf.h>

#include "app_util.h"

#define MAX_BURST 512

static const char usage[] =
	"\nmpdp-mp-worker [runtime options] -- [options]\n"
	"Claim a queue the primary set up and receive (and transmit) on it. Runs as a\n"
	"secondary.\n"
	"      --mode fwd|echo|drop\n"
	"                        fwd: receive on --rx-port, send on --tx-port;\n"
	"                        echo: swap MACs and send back on --rx-port;\n"
	"                        drop: free what arrives (default)\n"
	"      --rx-port P       port to receive on (required)\n"
	"      --queue Q         queue to use, receive and transmit (default 0)\n"
	"      --tx-port P2      port to send on (fwd; default: --rx-port)\n"
	"      --burst N         packets per receive burst (1..512, default 32)\n"
	"      --count N         stop after N received packets (default: no limit)\n"
	"      --duration S      stop after S seconds (default: no limit)\n"
	"      --idle-us N       sleep N microseconds after an empty receive (default 0)\n"
	"  -T, --stats-period S  print statistics every S seconds (0 = off, the default)\n"
	"  -h, --help            show this help\n";

enum mode {
	MODE_DROP,
	MODE_FWD,
	MODE_ECHO
};
static const char *const mode_names[] = { "drop", "fwd", "echo" };

static struct {
	enum mode mode;
	int rx_port, tx_port;
	unsigned int queue;
	unsigned int burst;
	uint64_t count;
	struct app_loop_opts loop;  /* -T, --duration, --idle-us */
	int rx_claimed, tx_claimed;
	struct app_pool_set pools;
} g = { .rx_port = -1, .tx_port = -1, .burst = 32 };

enum {
	OPT_MODE = 256,
	OPT_RX_PORT,
	OPT_TX_PORT,
	OPT_QUEUE,
	OPT_BURST,
	OPT_COUNT,
};

static int parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "rx-port", required_argument, NULL, OPT_RX_PORT },
		{ "tx-port", required_argument, NULL, OPT_TX_PORT },
		{ "queue", required_argument, NULL, OPT_QUEUE },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "duration", required_argument, NULL, APP_OPT_DURATION },
		{ "idle-us", required_argument, NULL, APP_OPT_IDLE_US },
		{ "stats-period", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":T:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MODE:
			if (strcmp(optarg, "fwd") == 0)
				g.mode = MODE_FWD;
			else if (strcmp(optarg, "echo") == 0)
				g.mode = MODE_ECHO;
			else if (strcmp(optarg, "drop") == 0)
				g.mode = MODE_DROP;
			else {
				app_err("invalid value '%s' for --mode: expected fwd, echo or drop",
					optarg);
				return -1;
			}
			break;
		case OPT_RX_PORT:
			if (app_parse_u64("--rx-port", optarg, 0, MPDP_MAX_PORTS - 1, &v) != 0)
				return -1;
			g.rx_port = (int)v;
			break;
		case OPT_TX_PORT:
			if (app_parse_u64("--tx-port", optarg, 0, MPDP_MAX_PORTS - 1, &v) != 0)
				return -1;
			g.tx_port = (int)v;
			break;
		case OPT_QUEUE:
			if (app_parse_u64("--queue", optarg, 0, MPDP_ETH_MAX_QUEUES - 1, &v) != 0)
				return -1;
			g.queue = (unsigned int)v;
			break;
		case OPT_BURST:
			if (app_parse_u64("--burst", optarg, 1, MAX_BURST, &v) != 0)
				return -1;
			g.burst = (unsigned int)v;
			break;
		case OPT_COUNT:
			if (app_parse_u64("--count", optarg, 1, UINT64_MAX, &v) != 0)
				return -1;
			g.count = v;
			break;
		default:
			rc = app_opt_loop(c, optarg, &g.loop);
			if (rc == 0)
				return app_opt_bad(c, argv);
			if (rc < 0)
				return -1;
			break;
		}
	}
	if (app_opt_trailing(argc, argv) != 0)
		return -1;
	if (g.rx_port < 0) {
		app_err("--rx-port is required (see --help)");
		return -1;
	}
	if (g.mode == MODE_ECHO && g.tx_port >= 0 && g.tx_port != g.rx_port) {
		app_err("--mode echo sends back on --rx-port: drop --tx-port");
		return -1;
	}
	if (g.mode == MODE_DROP && g.tx_port >= 0) {
		app_err("--mode drop does not transmit: drop --tx-port or use --mode fwd");
		return -1;
	}
	if (g.tx_port < 0)
		g.tx_port = g.rx_port;
	return 0;
}

static const char *err_str(int rc)
{
	return strerror(rc < 0 ? -rc : rc);
}

/* A clear line for a refused claim; returns -1. */
static int claim(uint16_t port, enum mpdp_eth_dir dir, uint16_t q)
{
	const char *d = dir == MPDP_ETH_RX ? "rx" : "tx";
	struct mpdp_eth_dev_info info;
	int rc, proc_id, pid, tries = 0;

	do {
		rc = mpdp_eth_queue_claim(port, dir, q);
		if (rc == -EAGAIN)
			usleep(10000);
	} while (rc == -EAGAIN && ++tries < 100);
	if (rc == 0)
		return 0;
	switch (rc) {
	case -EBUSY:
		if (mpdp_eth_queue_owner(port, dir, q, &proc_id, &pid) == 0)
			app_err("cannot claim port %u %s queue %u: held by process %d (pid %d)",
				port, d, q, proc_id, pid);
		else
			app_err("cannot claim port %u %s queue %u: held by another process", port,
				d, q);
		break;
	case -ENODEV:
		app_err("cannot claim port %u %s queue %u: no port %u", port, d, q, port);
		break;
	case -EINVAL:
		if (mpdp_eth_dev_info_get(port, &info) == 0)
			app_err("cannot claim port %u %s queue %u: the port has %u %s queues "
				"(state %s)",
				port, d, q,
				dir == MPDP_ETH_RX ? info.nb_rx_queues : info.nb_tx_queues, d,
				mpdp_eth_state_name(info.state));
		else
			app_err("cannot claim port %u %s queue %u: no such queue", port, d, q);
		break;
	case -ENOTSUP:
		app_err("cannot claim port %u %s queue %u: the port's driver is not in this "
			"binary",
			port, d, q);
		break;
	default:
		app_err("cannot claim port %u %s queue %u: %s", port, d, q, err_str(rc));
		break;
	}
	return -1;
}

static void swap_macs(struct mpdp_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct mpdp_ether_hdr *eh;
		struct mpdp_ether_addr tmp;

		if (pkts[i]->data_len < MPDP_ETHER_HDR_LEN)
			continue;
		eh = mpdp_mbuf_mtod(pkts[i], struct mpdp_ether_hdr *);
		tmp = eh->src;
		eh->src = eh->dst;
		eh->dst = tmp;
	}
}

int main(int argc, char **argv)
{
	struct mpdp_mbuf *pkts[MAX_BURST];
	struct app_args args;
	uint64_t rx = 0, tx = 0, dropped = 0, prev_rx = 0;
	uint64_t t_start, t_end, t_stats, period_ns;
	uint16_t rx_port, tx_port, queue;
	unsigned int spins = 0, idle_polls = 0;
	int rc = APP_EXIT_ERROR;

	if (app_start(&args, argc, argv, "mpdp-mp-worker", "secondary", usage, &rc) != 0)
		return rc;
	if (parse_options(args.tool_argc, args.tool_argv) != 0)
		goto out_args;
	rx_port = (uint16_t)g.rx_port;
	tx_port = (uint16_t)g.tx_port;
	queue = (uint16_t)g.queue;

	if (app_init_secondary(&args, usage, &rc) != 0)
		goto out_args;
	if (!mpdp_eth_dev_is_valid(rx_port)) {
		app_err("no port %u (the primary has %u ports)", rx_port, mpdp_eth_dev_count());
		goto out_cleanup;
	}
	if (g.mode != MODE_DROP && !mpdp_eth_dev_is_valid(tx_port)) {
		app_err("no port %u (the primary has %u ports)", tx_port, mpdp_eth_dev_count());
		goto out_cleanup;
	}
	if (claim(rx_port, MPDP_ETH_RX, queue) != 0)
		goto out_release;
	g.rx_claimed = 1;
	if (g.mode != MODE_DROP) {
		if (claim(tx_port, MPDP_ETH_TX, queue) != 0)
			goto out_release;
		g.tx_claimed = 1;
	}
	printf("ready mode=%s rx_port=%u queue=%u tx_port=%d pid=%d\n", mode_names[g.mode], rx_port,
	       queue, g.mode == MODE_DROP ? -1 : (int)tx_port, (int)getpid());
	fflush(stdout);

	t_start = app_now_ns();
	t_stats = t_start;
	period_ns = (uint64_t)(g.loop.stats_period * 1e9);
	for (;;) {
		uint16_t want = (uint16_t)g.burst, got, sent;

		if (g.count != 0 && g.count - rx < want)
			want = (uint16_t)(g.count - rx);
		got = mpdp_eth_rx_burst(rx_port, queue, pkts, want);
		if (got > 0) {
			rx += got;
			if (g.mode == MODE_DROP) {
				app_free_bulk(&g.pools, pkts, got);
				dropped += got;
			} else {
				if (g.mode == MODE_ECHO)
					swap_macs(pkts, got);
				sent = mpdp_eth_tx_burst(tx_port, queue, pkts, got);
				tx += sent;
				if (sent < got) {
					app_free_bulk(&g.pools, &pkts[sent],
						      (unsigned int)(got - sent));
					dropped += (uint64_t)(got - sent);
				}
			}
			if (g.count != 0 && rx >= g.count)
				break;
			idle_polls = 0;
		} else {
			/*
			 * idle for a while: give the mbufs freed into our caches back to
			 * their pools (not on every empty poll: with a faster consumer
			 * than producer that was 10% of the worker's time, with the clock
			 * read below another 8%: bench/bench_fwd.sh, xproc row)
			 */
			if (++idle_polls == 64)
				app_pool_set_flush_if_dirty(&g.pools);
			if (g.loop.idle_us > 0)
				usleep(g.loop.idle_us);
		}
		if (++spins < 128)
			continue;
		spins = 0;
		if (app_should_stop())
			break;
		if (g.loop.duration > 0 || period_ns > 0) {
			uint64_t now = app_now_ns();

			if (g.loop.duration > 0 && now - t_start >= (uint64_t)(g.loop.duration * 1e9))
				break;
			if (period_ns > 0 && now - t_stats >= period_ns) {
				printf("stats rx=%" PRIu64 " tx=%" PRIu64 " dropped=%" PRIu64
				       " rx_mpps=%.3f\n",
				       rx, tx, dropped, app_mpps(rx - prev_rx, now - t_stats));
				fflush(stdout);
				prev_rx = rx;
				t_stats = now;
			}
		}
	}
	t_end = app_now_ns();
	printf("worker rx=%" PRIu64 " tx=%" PRIu64 " dropped=%" PRIu64 " rx_mpps=%.3f\n", rx, tx,
	       dropped, app_mpps(rx, t_end - t_start));
	fflush(stdout);
	if (atomic_load(&app_primary_gone)) {
		app_err("the primary exited; stopping");
		rc = APP_EXIT_PRIMARY_GONE;
	} else {
		rc = APP_EXIT_OK;
	}
out_release:
	if (!atomic_load(&app_primary_gone)) {
		/* nobody owns the instance any more once the primary left */
		if (g.tx_claimed)
			(void)mpdp_eth_queue_release(tx_port, MPDP_ETH_TX, queue);
		if (g.rx_claimed)
			(void)mpdp_eth_queue_release(rx_port, MPDP_ETH_RX, queue);
	}
	app_pool_set_flush(&g.pools);
out_cleanup:
	mpdp_cleanup();
out_args:
	app_args_fini(&args);
	return rc;
}
