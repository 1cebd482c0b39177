/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * l2fwd.c - mpdp-l2fwd: the primary that forwards between port pairs.
 *
 * The enabled ports (-p) are paired in id order, 0<->1, 2<->3, ... Each port
 * gets --queues N receive and transmit queues; l2fwd polls the first
 * --poll-queues M of them and leaves the others for secondaries
 * (mpdp-mp-worker) to claim. A receive task (port, queue) sends what it
 * receives on (peer port, same queue), so each transmit queue has exactly one
 * writer. Tasks are spread round-robin over this process's lcores (the main
 * lcore included), or placed with --config. Ports outside the mask are
 * configured and started too, unpolled, for secondaries such as
 * mpdp-pktgen (unless --no-other-ports). With --tx-first N, each task first
 * sends N bursts of 64-byte frames from l2fwd's pool on its transmit queue
 * (as testpmd's --tx-first), so that ports which loop back, such as ring
 * ports, have packets circulating without a generator.
 *
 * Counters are per task, written by the lcore running it (one writer:
 * relaxed load and store) and summed by the main thread for the stat lines.
 *
 * Output (one line each, key=value, parsed by tests; see mpdp-l2fwd(1)):
 *   port id=P name=NAME role=fwd|other peer=Q queues=N poll=M mac=MAC
 *   task port=P queue=Q tx_port=R lcore=L
 *   txfirst port=R queue=Q sent=N dropped=N                (with --tx-first)
 *   ready ports=N tasks=N lcores=N
 *   stats port=P rx=N tx=N dropped=N rx_mpps=X tx_mpps=Y   (every -T seconds)
 *   final port=P rx=N tx=N dropped=N rx_mpps=X tx_mpps=Y   (at the end)
 *   total rx=N tx=N dropped=N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_ether.h>
#include <mpdp/mpdp_lcore.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_mempool.h>

#include "app_util.h"

#define MAX_BURST      512
#define MAX_TASKS      (MPDP_MAX_PORTS * MPDP_ETH_MAX_QUEUES)
#define POOL_CACHE     256
#define TX_FIRST_MAX   4096 /* bursts per task */
#define TX_FIRST_FRAME 64   /* bytes, without FCS, as testpmd's txonly default */

static const char usage[] =
	"\nmpdp-l2fwd [runtime options] -- [options]\n"
	"Forward packets between port pairs (0<->1, 2<->3, ... over the enabled ports).\n"
	"Runs as the primary.\n"
	"  -p, --portmask MASK   hexadecimal mask of the ports to forward between\n"
	"                        (default: every port); an even number of ports\n"
	"  -q, --queues N        receive and transmit queues per port (1..16, default 1)\n"
	"      --poll-queues M   queues l2fwd polls per port (1..N, default N); the\n"
	"                        others are left for secondaries (mpdp-mp-worker)\n"
	"      --config '(PORT,QUEUE,LCORE)[,...]'\n"
	"                        which lcore polls which receive queue (default:\n"
	"                        round-robin of the polled queues over the lcores of -l)\n"
	"      --mac-rewrite     set the source MAC to the transmit port's and the\n"
	"                        destination to 02:00:00:00:00:<transmit port>\n"
	"      --burst N         packets per receive burst (1..512, default 32)\n"
	"      --rxd N, --txd N  descriptors per receive / transmit queue (default 1024,\n"
	"                        or the nearest size a port takes)\n"
	"      --mtu N           MTU of the ports (default: keep the port's)\n"
	"      --mbufs N         mbufs in the pool (default: from ports, queues, descriptors)\n"
	"      --no-other-ports  leave ports outside the mask alone (default: configure\n"
	"                        and start them, unpolled, for secondaries)\n"
	"  -T, --stats-period S  print statistics every S seconds (0 = off, the default)\n"
	"      --duration S      stop after S seconds (default: run until SIGINT/SIGTERM)\n"
	"      --idle-us N       sleep N microseconds after a pass that received nothing\n"
	"                        (0 = busy polling, the default; for shared CPUs)\n"
	"      --tx-first N      before forwarding, send N bursts of 64-byte frames on the\n"
	"                        transmit queue of every task (1..4096; for ports that\n"
	"                        loop back, e.g. ring ports, as testpmd's --tx-first)\n"
	"  -h, --help            show this help\n";

struct task {
	/* set up by the main thread before the lcores start, then read-only */
	uint16_t port, queue, tx_port;
	unsigned int lcore;
	struct mpdp_ether_addr src, dst; /* --mac-rewrite */
	/* written by the task's lcore only (relaxed load + store), read by main */
	_Atomic uint64_t rx MPDP_CACHE_ALIGNED;
	_Atomic uint64_t tx;
	_Atomic uint64_t dropped;
};

struct lcore_conf {
	unsigned int lcore;
	unsigned int nb_tasks;
	struct task *tasks[MAX_TASKS];
	struct app_pool_set pools; /* pools this lcore freed dropped mbufs into */
};

static struct {
	/* options */
	uint32_t portmask;
	int have_portmask;
	unsigned int queues, poll_queues;
	int have_poll_queues;
	const char *config;
	int mac_rewrite;
	unsigned int burst;
	unsigned int rxd, txd;
	int rxd_given, txd_given;  /* from the command line: never adjusted */
	unsigned int mtu;
	unsigned int mbufs;
	int no_other_ports;
	unsigned int tx_first; /* bursts per task, 0: none */
	struct app_loop_opts loop;  /* -T, --duration, --idle-us */

	/* state */
	uint16_t fwd_ports[MPDP_MAX_PORTS];
	unsigned int nb_fwd_ports;
	uint16_t peer[MPDP_MAX_PORTS];
	int is_fwd[MPDP_MAX_PORTS];
	int set_up[MPDP_MAX_PORTS]; /* configured by us */
	int started[MPDP_MAX_PORTS];
	struct task *tasks; /* MAX_TASKS, cache aligned */
	unsigned int nb_tasks;
	struct lcore_conf lcores[MPDP_MAX_LCORES];
	unsigned int nb_lcores; /* lcores of this process, main first */
	struct mpdp_mempool *pool;
	atomic_int stop;
	uint64_t t_start;
} g;

static inline void counter_add(_Atomic uint64_t *c, uint64_t v)
{
	/* one writer: no read-modify-write needed */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline uint64_t counter_read(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* ---------------------------------------------------------------- options */

static int parse_config(const char *s)
{
	const char *p = s;

	g.nb_tasks = 0;
	while (*p != '\0') {
		unsigned int port, queue, lcore;
		int used = 0;

		if (sscanf(p, " ( %u , %u , %u ) %n", &port, &queue, &lcore, &used) != 3 ||
		    used == 0) {
			app_err("invalid value '%s' for --config: expected (PORT,QUEUE,LCORE)[,...] "
				"at '%s'",
				s, p);
			return -1;
		}
		if (port >= MPDP_MAX_PORTS || queue >= MPDP_ETH_MAX_QUEUES ||
		    lcore >= MPDP_MAX_LCORES) {
			app_err("invalid --config entry (%u,%u,%u): port < %d, queue < %d, lcore < %d",
				port, queue, lcore, MPDP_MAX_PORTS, MPDP_ETH_MAX_QUEUES,
				MPDP_MAX_LCORES);
			return -1;
		}
		for (unsigned int i = 0; i < g.nb_tasks; i++) {
			if (g.tasks[i].port == port && g.tasks[i].queue == queue) {
				app_err("invalid --config: port %u queue %u is listed twice", port,
					queue);
				return -1;
			}
		}
		if (g.nb_tasks == MAX_TASKS) {
			app_err("invalid --config: more than %d entries", MAX_TASKS);
			return -1;
		}
		g.tasks[g.nb_tasks].port = (uint16_t)port;
		g.tasks[g.nb_tasks].queue = (uint16_t)queue;
		g.tasks[g.nb_tasks].lcore = lcore;
		g.nb_tasks++;
		p += used;
		if (*p == ',')
			p++;
		else if (*p != '\0') {
			app_err("invalid value '%s' for --config: expected ',' at '%s'", s, p);
			return -1;
		}
	}
	if (g.nb_tasks == 0) {
		app_err("invalid value '%s' for --config: no entry", s);
		return -1;
	}
	return 0;
}

enum {
	OPT_POLL_QUEUES = 256,
	OPT_CONFIG,
	OPT_MAC_REWRITE,
	OPT_BURST,
	OPT_RXD,
	OPT_TXD,
	OPT_MTU,
	OPT_MBUFS,
	OPT_NO_OTHER,
	OPT_TX_FIRST,
};

static int parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "portmask", required_argument, NULL, 'p' },
		{ "queues", required_argument, NULL, 'q' },
		{ "poll-queues", required_argument, NULL, OPT_POLL_QUEUES },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "mac-rewrite", no_argument, NULL, OPT_MAC_REWRITE },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "rxd", required_argument, NULL, OPT_RXD },
		{ "txd", required_argument, NULL, OPT_TXD },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "mbufs", required_argument, NULL, OPT_MBUFS },
		{ "no-other-ports", no_argument, NULL, OPT_NO_OTHER },
		{ "stats-period", required_argument, NULL, 'T' },
		{ "duration", required_argument, NULL, APP_OPT_DURATION },
		{ "idle-us", required_argument, NULL, APP_OPT_IDLE_US },
		{ "tx-first", required_argument, NULL, OPT_TX_FIRST },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, rc;

	g.queues = 1;
	g.burst = 32;
	g.rxd = 1024;
	g.txd = 1024;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:q:T:", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (app_parse_portmask("-p/--portmask", optarg, &g.portmask) != 0)
				return -1;
			g.have_portmask = 1;
			break;
		case 'q':
			if (app_parse_u64("-q/--queues", optarg, 1, MPDP_ETH_MAX_QUEUES, &v) != 0)
				return -1;
			g.queues = (unsigned int)v;
			break;
		case OPT_POLL_QUEUES:
			if (app_parse_u64("--poll-queues", optarg, 1, MPDP_ETH_MAX_QUEUES, &v) != 0)
				return -1;
			g.poll_queues = (unsigned int)v;
			g.have_poll_queues = 1;
			break;
		case OPT_CONFIG:
			g.config = optarg;
			break;
		case OPT_MAC_REWRITE:
			g.mac_rewrite = 1;
			break;
		case OPT_BURST:
			if (app_parse_u64("--burst", optarg, 1, MAX_BURST, &v) != 0)
				return -1;
			g.burst = (unsigned int)v;
			break;
		case OPT_RXD:
			if (app_parse_u64("--rxd", optarg, 1, 65535, &v) != 0)
				return -1;
			g.rxd = (unsigned int)v;
			g.rxd_given = 1;
			break;
		case OPT_TXD:
			if (app_parse_u64("--txd", optarg, 1, 65535, &v) != 0)
				return -1;
			g.txd = (unsigned int)v;
			g.txd_given = 1;
			break;
		case OPT_MTU:
			if (app_parse_u64("--mtu", optarg, 68, 9600, &v) != 0)
				return -1;
			g.mtu = (unsigned int)v;
			break;
		case OPT_MBUFS:
			if (app_parse_u64("--mbufs", optarg, 512, 4u << 20, &v) != 0)
				return -1;
			g.mbufs = (unsigned int)v;
			break;
		case OPT_NO_OTHER:
			g.no_other_ports = 1;
			break;
		case OPT_TX_FIRST:
			if (app_parse_u64("--tx-first", optarg, 1, TX_FIRST_MAX, &v) != 0)
				return -1;
			g.tx_first = (unsigned int)v;
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
	if (!g.have_poll_queues)
		g.poll_queues = g.queues;
	if (g.poll_queues > g.queues) {
		app_err("--poll-queues %u is more than --queues %u", g.poll_queues, g.queues);
		return -1;
	}
	if (g.config != NULL && g.have_poll_queues) {
		app_err("--config and --poll-queues exclude each other: --config lists the "
			"polled queues");
		return -1;
	}
	if (g.config != NULL && parse_config(g.config) != 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- ports */

static const char *err_str(int rc)
{
	return strerror(rc < 0 ? -rc : rc);
}

static int choose_ports(void)
{
	uint32_t present = 0;
	uint16_t p;

	for (p = mpdp_eth_port_next(0); p < MPDP_MAX_PORTS; p = mpdp_eth_port_next(p + 1))
		present |= 1u << p;
	if (present == 0) {
		app_err("no ports: create some with --vdev (e.g. --vdev net_ring0) or bind a "
			"PCI device to vfio-pci");
		return -1;
	}
	if (!g.have_portmask)
		g.portmask = present;
	if (g.portmask & ~present) {
		app_err("the port mask 0x%x names ports that do not exist (ports present: 0x%x)",
			g.portmask, present);
		return -1;
	}
	for (p = 0; p < MPDP_MAX_PORTS; p++)
		if (g.portmask & (1u << p))
			g.fwd_ports[g.nb_fwd_ports++] = p;
	if (g.nb_fwd_ports % 2 != 0) {
		app_err("the port mask 0x%x enables %u port%s: ports are forwarded in pairs, "
			"give an even number",
			g.portmask, g.nb_fwd_ports, g.nb_fwd_ports == 1 ? "" : "s");
		return -1;
	}
	for (unsigned int i = 0; i < g.nb_fwd_ports; i += 2) {
		g.peer[g.fwd_ports[i]] = g.fwd_ports[i + 1];
		g.peer[g.fwd_ports[i + 1]] = g.fwd_ports[i];
		g.is_fwd[g.fwd_ports[i]] = 1;
		g.is_fwd[g.fwd_ports[i + 1]] = 1;
	}
	return 0;
}

static int create_pool(unsigned int nb_ports)
{
	char name[MPDP_MEMPOOL_NAME_SIZE];
	unsigned int n = g.mbufs;
	unsigned int room = MPDP_MBUF_DEFAULT_BUF_SIZE;
	int err = 0;

	if (n == 0) {
		uint64_t want = (uint64_t)nb_ports * g.queues * (g.rxd + g.txd) +
				(uint64_t)g.nb_lcores * (POOL_CACHE * 3 / 2 + g.burst) + 2048 +
				(uint64_t)g.nb_tasks * g.tx_first * g.burst;

		n = want > 65536 ? 65536 : (unsigned int)want;
	}
	if (g.mtu > 0 && g.mtu + MPDP_ETHER_HDR_LEN + 8 + MPDP_MBUF_DEFAULT_HEADROOM > room)
		room = g.mtu + MPDP_ETHER_HDR_LEN + 8 + MPDP_MBUF_DEFAULT_HEADROOM;
	snprintf(name, sizeof(name), "l2fwd.%d", (int)getpid());
	g.pool = mpdp_mbuf_pool_create(name, n, POOL_CACHE, 0, (uint16_t)room, NULL, &err);
	if (g.pool == NULL) {
		app_err("cannot create the mbuf pool '%s' of %u mbufs of %u bytes: %s%s", name, n,
			room, err_str(err),
			err == -ENOMEM ? " (give a larger --mem or a smaller --mbufs)" : "");
		return -1;
	}
	return 0;
}

static unsigned int clamp_desc(unsigned int n, const struct mpdp_eth_dev_info *info)
{
	return n < info->min_desc ? info->min_desc : n > info->max_desc ? info->max_desc : n;
}

static int setup_port(uint16_t port)
{
	struct mpdp_eth_conf conf = { .mtu = (uint16_t)g.mtu, .promiscuous = 1 };
	struct mpdp_eth_dev_info info;
	unsigned int rxd, txd;
	int rc;

	rc = mpdp_eth_dev_info_get(port, &info);
	if (rc != 0) {
		app_err("port %u: cannot read its information: %s", port, err_str(rc));
		return -1;
	}
	if (!info.available) {
		app_err("port %u (%s): driver '%s' is not available in this binary", port,
			info.name, info.driver);
		return -1;
	}
	if (g.queues > info.max_rx_queues || g.queues > info.max_tx_queues) {
		app_err("port %u (%s): --queues %u is more than the port supports (rx %u, tx %u)",
			port, info.name, g.queues, info.max_rx_queues, info.max_tx_queues);
		return -1;
	}
	/* a default ring size the port cannot take becomes the nearest it can */
	rxd = g.rxd_given ? g.rxd : clamp_desc(g.rxd, &info);
	txd = g.txd_given ? g.txd : clamp_desc(g.txd, &info);
	if (rxd < info.min_desc || rxd > info.max_desc || txd < info.min_desc ||
	    txd > info.max_desc) {
		app_err("port %u (%s): --rxd %u / --txd %u out of the port's range %u..%u", port,
			info.name, rxd, txd, info.min_desc, info.max_desc);
		return -1;
	}
	rc = mpdp_eth_dev_configure(port, (uint16_t)g.queues, (uint16_t)g.queues, &conf);
	if (rc != 0) {
		app_err("port %u (%s): configure with %u queues: %s", port, info.name, g.queues,
			err_str(rc));
		return -1;
	}
	g.set_up[port] = 1;
	for (uint16_t q = 0; q < g.queues; q++) {
		rc = mpdp_eth_rx_queue_setup(port, q, (uint16_t)rxd, g.pool);
		if (rc != 0) {
			app_err("port %u (%s): receive queue %u setup (%u descriptors): %s", port,
				info.name, q, rxd, err_str(rc));
			return -1;
		}
		rc = mpdp_eth_tx_queue_setup(port, q, (uint16_t)txd);
		if (rc != 0) {
			app_err("port %u (%s): transmit queue %u setup (%u descriptors): %s", port,
				info.name, q, txd, err_str(rc));
			return -1;
		}
	}
	rc = mpdp_eth_dev_start(port);
	if (rc != 0) {
		app_err("port %u (%s): start: %s", port, info.name, err_str(rc));
		return -1;
	}
	g.started[port] = 1;
	(void)mpdp_eth_link_update(port);
	return 0;
}

static void print_port(uint16_t port)
{
	struct mpdp_eth_dev_info info;
	char mac[MPDP_ETHER_ADDR_FMT_SIZE];

	if (mpdp_eth_dev_info_get(port, &info) != 0)
		return;
	mpdp_ether_addr_format(mac, sizeof(mac), &info.mac);
	if (g.is_fwd[port]) {
		unsigned int poll = 0;

		for (unsigned int i = 0; i < g.nb_tasks; i++)
			poll += g.tasks[i].port == port;
		printf("port id=%u name=%s role=fwd peer=%u queues=%u poll=%u mac=%s\n", port,
		       info.name, g.peer[port], g.queues, poll, mac);
	} else {
		printf("port id=%u name=%s role=other queues=%u poll=0 mac=%s\n", port, info.name,
		       g.queues, mac);
	}
}

/* The forwarded ports, and the others unless --no-other-ports. */
static int port_wanted(uint16_t port)
{
	return g.is_fwd[port] || !g.no_other_ports;
}

static unsigned int ports_to_set_up(void)
{
	unsigned int n = 0;

	for (uint16_t p = mpdp_eth_port_next(0); p < MPDP_MAX_PORTS; p = mpdp_eth_port_next(p + 1))
		n += port_wanted(p);
	return n;
}

static int setup_ports(void)
{
	for (uint16_t p = mpdp_eth_port_next(0); p < MPDP_MAX_PORTS;
	     p = mpdp_eth_port_next(p + 1)) {
		if (!port_wanted(p))
			continue;
		if (setup_port(p) != 0)
			return -1;
		print_port(p);
	}
	return 0;
}

/* ---------------------------------------------------------------- tasks */

static struct lcore_conf *lcore_conf_of(unsigned int lcore)
{
	for (unsigned int i = 0; i < g.nb_lcores; i++)
		if (g.lcores[i].lcore == lcore)
			return &g.lcores[i];
	return NULL;
}

static int plan_tasks(void)
{
	int id;

	g.nb_lcores = 0;
	g.lcores[g.nb_lcores++].lcore = mpdp_lcore_main();
	for (id = mpdp_lcore_next(-1); id >= 0 && g.nb_lcores < MPDP_MAX_LCORES;
	     id = mpdp_lcore_next(id))
		g.lcores[g.nb_lcores++].lcore = (unsigned int)id;

	if (g.config == NULL) {
		/* round-robin of (port, queue) over the lcores, queue-major */
		g.nb_tasks = 0;
		for (unsigned int q = 0; q < g.poll_queues; q++)
			for (unsigned int i = 0; i < g.nb_fwd_ports; i++) {
				struct task *t = &g.tasks[g.nb_tasks];

				t->port = g.fwd_ports[i];
				t->queue = (uint16_t)q;
				t->lcore = g.lcores[g.nb_tasks % g.nb_lcores].lcore;
				g.nb_tasks++;
			}
	}
	for (unsigned int i = 0; i < g.nb_tasks; i++) {
		struct task *t = &g.tasks[i];
		struct lcore_conf *lc;

		if (t->port >= MPDP_MAX_PORTS || !g.is_fwd[t->port]) {
			app_err("--config: port %u is not one of the forwarded ports (mask 0x%x)",
				t->port, g.portmask);
			return -1;
		}
		if (t->queue >= g.queues) {
			app_err("--config: port %u queue %u: ports have %u queues (--queues)",
				t->port, t->queue, g.queues);
			return -1;
		}
		lc = lcore_conf_of(t->lcore);
		if (lc == NULL) {
			app_err("--config: lcore %u is not an lcore of this process (give it with "
				"-l; main lcore %u)",
				t->lcore, mpdp_lcore_main());
			return -1;
		}
		t->tx_port = g.peer[t->port];
		mpdp_eth_macaddr_get(t->tx_port, &t->src);
		memset(&t->dst, 0, sizeof(t->dst));
		t->dst.bytes[0] = 0x02;
		t->dst.bytes[5] = (uint8_t)t->tx_port;
		lc->tasks[lc->nb_tasks++] = t;
	}
	return 0;
}

static int claim_queues(void)
{
	for (unsigned int i = 0; i < g.nb_tasks; i++) {
		struct task *t = &g.tasks[i];
		int rc = mpdp_eth_queue_claim(t->port, MPDP_ETH_RX, t->queue);

		if (rc == 0)
			rc = mpdp_eth_queue_claim(t->tx_port, MPDP_ETH_TX, t->queue);
		if (rc != 0) {
			app_err("cannot claim port %u rx queue %u / port %u tx queue %u: %s",
				t->port, t->queue, t->tx_port, t->queue, err_str(rc));
			return -1;
		}
	}
	return 0;
}

static void release_queues(void)
{
	for (unsigned int i = 0; i < g.nb_tasks; i++) {
		struct task *t = &g.tasks[i];

		(void)mpdp_eth_queue_release(t->port, MPDP_ETH_RX, t->queue);
		(void)mpdp_eth_queue_release(t->tx_port, MPDP_ETH_TX, t->queue);
	}
}

/*
 * --tx-first: each task sends tx_first bursts of 64-byte frames on its
 * transmit queue, from the main thread before any lcore starts (so the
 * queue's one writer is still this thread). The frames are Ethernet, local
 * experimental EtherType, addressed as --mac-rewrite would, zero payload.
 * What a queue does not take is freed and counted. These frames are not in
 * the forwarding counters.
 */
static int tx_first(void)
{
	struct mpdp_mbuf *pkts[MAX_BURST];

	for (unsigned int i = 0; i < g.nb_tasks; i++) {
		struct task *t = &g.tasks[i];
		uint64_t sent = 0, dropped = 0;

		for (unsigned int b = 0; b < g.tx_first; b++) {
			uint16_t k;

			if (mpdp_mbuf_alloc_bulk(g.pool, pkts, g.burst) != 0) {
				app_err("--tx-first: the mbuf pool '%s' is empty after %" PRIu64
					" frames on port %u queue %u (give a larger --mbufs)",
					g.pool->name, sent + dropped, t->tx_port, t->queue);
				return -1;
			}
			for (unsigned int j = 0; j < g.burst; j++) {
				struct mpdp_mbuf *m = pkts[j];
				uint8_t *d = (uint8_t *)mpdp_mbuf_append(m, TX_FIRST_FRAME);
				struct mpdp_ether_hdr *eh = (struct mpdp_ether_hdr *)(void *)d;

				if (d == NULL) {
					app_err("--tx-first: mbufs of pool '%s' cannot hold %d bytes",
						g.pool->name, TX_FIRST_FRAME);
					mpdp_mbuf_free_bulk(pkts, g.burst);
					return -1;
				}
				memset(d, 0, TX_FIRST_FRAME);
				eh->dst = t->dst;
				eh->src = t->src;
				eh->ether_type = htons(MPDP_ETHER_TYPE_EXP1);
			}
			k = mpdp_eth_tx_burst(t->tx_port, t->queue, pkts, (uint16_t)g.burst);
			sent += k;
			if (k < g.burst) {
				dropped += g.burst - k;
				mpdp_mbuf_free_bulk(&pkts[k], g.burst - k);
			}
		}
		printf("txfirst port=%u queue=%u sent=%" PRIu64 " dropped=%" PRIu64 "\n",
		       t->tx_port, t->queue, sent, dropped);
	}
	return 0;
}

/* One pass over an lcore's tasks. Returns the packets received. */
static inline unsigned int fwd_once(struct lcore_conf *lc)
{
	struct mpdp_mbuf *pkts[MAX_BURST];
	unsigned int total = 0;

	for (unsigned int i = 0; i < lc->nb_tasks; i++) {
		struct task *t = lc->tasks[i];
		uint16_t n, sent;

		n = mpdp_eth_rx_burst(t->port, t->queue, pkts, (uint16_t)g.burst);
		if (n == 0)
			continue;
		total += n;
		counter_add(&t->rx, n);
		if (g.mac_rewrite) {
			for (uint16_t k = 0; k < n; k++) {
				struct mpdp_ether_hdr *eh;

				if (pkts[k]->data_len < MPDP_ETHER_HDR_LEN)
					continue;
				eh = mpdp_mbuf_mtod(pkts[k], struct mpdp_ether_hdr *);
				eh->src = t->src;
				eh->dst = t->dst;
			}
		}
		sent = mpdp_eth_tx_burst(t->tx_port, t->queue, pkts, n);
		if (sent > 0)
			counter_add(&t->tx, sent);
		if (sent < n) {
			counter_add(&t->dropped, (uint64_t)(n - sent));
			app_free_bulk(&lc->pools, &pkts[sent], (unsigned int)(n - sent));
		}
	}
	return total;
}

static int fwd_lcore(void *arg)
{
	struct lcore_conf *lc = arg;

	while (!atomic_load_explicit(&g.stop, memory_order_relaxed)) {
		if (fwd_once(lc) != 0)
			continue;
		/* idle: give the mbufs dropped into our caches back to their pools */
		app_pool_set_flush_if_dirty(&lc->pools);
		if (g.loop.idle_us > 0)
			usleep(g.loop.idle_us);
	}
	/* this lcore's cached mbufs go back before their pools may be freed */
	app_pool_set_flush(&lc->pools);
	mpdp_mempool_cache_flush(g.pool);
	return 0;
}

/* ---------------------------------------------------------------- statistics */

struct port_counts {
	uint64_t rx, tx, dropped;
};

static void sum_counts(struct port_counts *pc)
{
	memset(pc, 0, sizeof(*pc) * MPDP_MAX_PORTS);
	for (unsigned int i = 0; i < g.nb_tasks; i++) {
		struct task *t = &g.tasks[i];

		pc[t->port].rx += counter_read(&t->rx);
		pc[t->tx_port].tx += counter_read(&t->tx);
		pc[t->tx_port].dropped += counter_read(&t->dropped);
	}
}

static void print_stats(const char *tag, const struct port_counts *now,
			const struct port_counts *before, uint64_t ns)
{
	for (unsigned int i = 0; i < g.nb_fwd_ports; i++) {
		uint16_t p = g.fwd_ports[i];
		uint64_t rx = now[p].rx - (before ? before[p].rx : 0);
		uint64_t tx = now[p].tx - (before ? before[p].tx : 0);

		printf("%s port=%u rx=%" PRIu64 " tx=%" PRIu64 " dropped=%" PRIu64
		       " rx_mpps=%.3f tx_mpps=%.3f\n",
		       tag, p, now[p].rx, now[p].tx, now[p].dropped, app_mpps(rx, ns),
		       app_mpps(tx, ns));
	}
	fflush(stdout);
}

/* ---------------------------------------------------------------- main */

/*
 * The main thread: forwards its own tasks (if any) and keeps the clock:
 * periodic statistics, --duration, stop requests.
 */
static void main_loop(struct lcore_conf *main_lc)
{
	static struct port_counts prev[MPDP_MAX_PORTS], cur[MPDP_MAX_PORTS];
	const uint64_t period_ns = (uint64_t)(g.loop.stats_period * 1e9);
	const uint64_t end_ns = g.loop.duration > 0 ? g.t_start + (uint64_t)(g.loop.duration * 1e9) : 0;
	uint64_t last_stats = g.t_start;
	unsigned int spins = 0;

	memset(prev, 0, sizeof(prev));
	for (;;) {
		uint64_t now;

		if (main_lc->nb_tasks > 0) {
			if (fwd_once(main_lc) == 0) {
				app_pool_set_flush_if_dirty(&main_lc->pools);
				if (g.loop.idle_us > 0)
					usleep(g.loop.idle_us);
			}
			if (++spins < 256)
				continue;
			spins = 0;
		} else {
			app_sleep_ms(10);
		}
		if (app_should_stop())
			break;
		now = app_now_ns();
		if (end_ns != 0 && now >= end_ns)
			break;
		if (period_ns != 0 && now - last_stats >= period_ns) {
			sum_counts(cur);
			print_stats("stats", cur, prev, now - last_stats);
			memcpy(prev, cur, sizeof(prev));
			last_stats = now;
		}
	}
	atomic_store(&g.stop, 1);
	app_pool_set_flush(&main_lc->pools);
	mpdp_mempool_cache_flush(g.pool);
}

static int launch_lcores(void)
{
	for (unsigned int i = 1; i < g.nb_lcores; i++) {
		struct lcore_conf *lc = &g.lcores[i];
		int rc;

		if (lc->nb_tasks == 0)
			continue;
		rc = mpdp_lcore_launch(lc->lcore, fwd_lcore, lc);
		if (rc != 0) {
			app_err("cannot start lcore %u: %s", lc->lcore, err_str(rc));
			atomic_store(&g.stop, 1);
			mpdp_lcore_wait_all();
			return -1;
		}
	}
	return 0;
}

/* Stop and close what we set up; free the pool when nothing holds its mbufs. */
static int teardown(void)
{
	int failed = 0, all_closed = 1;
	uint16_t p;

	for (p = 0; p < MPDP_MAX_PORTS; p++) {
		if (g.started[p]) {
			int rc = mpdp_eth_dev_stop(p);

			if (rc != 0 && rc != -ENODEV) {
				app_err("port %u: stop: %s", p, err_str(rc));
				failed = 1;
			}
			g.started[p] = 0;
		}
	}
	release_queues();
	for (p = 0; p < MPDP_MAX_PORTS; p++) {
		int rc;

		if (!g.set_up[p])
			continue;
		rc = mpdp_eth_dev_close(p);
		if (rc == -EBUSY) {
			/* a secondary still holds one of its queues: it goes with the instance */
			app_err("port %u: not closed, another process still holds one of its "
				"queues",
				p);
			all_closed = 0;
		} else if (rc != 0 && rc != -ENODEV) {
			app_err("port %u: close: %s", p, err_str(rc));
			all_closed = 0;
			failed = 1;
		}
		g.set_up[p] = 0;
	}
	if (g.pool != NULL) {
		uint64_t end = app_now_ns() + 1000000000ull;
		struct mpdp_mempool_info info = { .in_caches = 0 };
		unsigned int in_use;

		/* closing a port frees what its rings held, into this lcore's cache */
		mpdp_mempool_cache_flush(g.pool);
		/*
		 * mbufs may still be on their way back from other processes, or in
		 * another process's lcore cache: never free the pool under them
		 */
		for (;;) {
			in_use = mpdp_mempool_in_use_count(g.pool);
			if (mpdp_mempool_info_get(g.pool, &info) != 0)
				info.in_caches = 0;
			if ((in_use == 0 && info.in_caches == 0) || !all_closed ||
			    app_now_ns() >= end)
				break;
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		}
		if (all_closed && in_use == 0 && info.in_caches == 0)
			mpdp_mempool_free(g.pool);
		else
			app_err("mbuf pool '%s' left allocated: %u mbufs in use, %u in lcore "
				"caches%s",
				g.pool->name, in_use, info.in_caches,
				all_closed ? "" : ", a port still uses it");
		g.pool = NULL;
	}
	return failed;
}

int main(int argc, char **argv)
{
	static struct port_counts final[MPDP_MAX_PORTS];
	struct app_args args;
	uint64_t total_rx = 0, total_tx = 0, total_dropped = 0, t_end;
	int n, rc = APP_EXIT_ERROR;

	if (app_start(&args, argc, argv, "mpdp-l2fwd", "primary", usage, &rc) != 0)
		return rc;
	g.tasks = aligned_alloc(MPDP_CACHE_LINE_SIZE, sizeof(struct task) * MAX_TASKS);
	if (g.tasks == NULL) {
		app_err("out of memory");
		goto out_args;
	}
	memset(g.tasks, 0, sizeof(struct task) * MAX_TASKS);
	if (parse_options(args.tool_argc, args.tool_argv) != 0)
		goto out_args;

	app_signals_install();
	n = mpdp_init(args.rt_argc, args.rt_argv);
	if (n < 0) {
		rc = mpdp_init_failed(n, usage);
		goto out_args;
	}
	if (mpdp_proc_type() != MPDP_PROC_PRIMARY) {
		app_err("must run as the primary (drop --proc-type secondary)");
		goto out_cleanup;
	}
	if (choose_ports() != 0 || plan_tasks() != 0)
		goto out_cleanup;
	if (create_pool(ports_to_set_up()) != 0)
		goto out_cleanup;
	if (setup_ports() != 0 || claim_queues() != 0)
		goto out_teardown;
	for (unsigned int i = 0; i < g.nb_tasks; i++)
		printf("task port=%u queue=%u tx_port=%u lcore=%u\n", g.tasks[i].port,
		       g.tasks[i].queue, g.tasks[i].tx_port, g.tasks[i].lcore);

	if (g.tx_first > 0 && tx_first() != 0)
		goto out_teardown;

	g.t_start = app_now_ns();
	if (launch_lcores() != 0)
		goto out_teardown;
	{
		unsigned int busy = 0;

		for (unsigned int i = 0; i < g.nb_lcores; i++)
			busy += g.lcores[i].nb_tasks > 0;
		printf("ready ports=%u tasks=%u lcores=%u\n", g.nb_fwd_ports, g.nb_tasks, busy);
		fflush(stdout);
	}
	main_loop(&g.lcores[0]);
	mpdp_lcore_wait_all();
	t_end = app_now_ns();

	sum_counts(final);
	print_stats("final", final, NULL, t_end - g.t_start);
	for (unsigned int i = 0; i < g.nb_fwd_ports; i++) {
		total_rx += final[g.fwd_ports[i]].rx;
		total_tx += final[g.fwd_ports[i]].tx;
		total_dropped += final[g.fwd_ports[i]].dropped;
	}
	printf("total rx=%" PRIu64 " tx=%" PRIu64 " dropped=%" PRIu64 "\n", total_rx, total_tx,
	       total_dropped);
	fflush(stdout);
	rc = APP_EXIT_OK;
out_teardown:
	if (teardown() != 0)
		rc = APP_EXIT_ERROR;
out_cleanup:
	mpdp_cleanup();
out_args:
	free(g.tasks);
	app_args_fini(&args);
	return rc;
}
