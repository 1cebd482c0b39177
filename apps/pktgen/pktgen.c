/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktgen.c - mpdp-pktgen: generate frames on one queue, receive and check
 * them on another, count what came back.
 *
 * Frames are Ethernet with EtherType 0x88B5 (MPDP_ETHER_TYPE_EXP1), then a
 * header and a pattern:
 *
 *   | dst 02:00:00:00:00:<tx port> | src 02:00:00:01:<flow> | 0x88B5 |
 *   | magic "MPDG" | run id | flow | frame length | seq | tx time (ns) |
 *   | pattern: byte i = (seq + flow + i) & 0xff ... up to --size |
 *
 * (all header fields big-endian). Frame k belongs to flow k % flows and
 * carries that flow's next sequence number. The run id (this process's pid)
 * tells this run's frames from stragglers of an earlier run ("foreign").
 *
 * Receive side, per flow: a window of the last 1024 sequence numbers seen.
 * A frame above the highest seen is in order (gaps may fill later); one
 * below it is reordered, or a duplicate when its bit is already set.
 * lost = sent - received once the drain is over.
 *
 * Runs as a secondary (the ports are the primary's: e.g. mpdp-l2fwd) or as
 * the primary (it then configures and starts the ports itself). Its mbufs
 * come from its own pool, "pktgen.<pid>"; since they may still be inside
 * other processes when it stops, the pool is freed only once every mbuf is
 * back (bounded wait), else left allocated, never freed under someone.
 *
 * Output (key=value, see mpdp-pktgen(1)):
 *   ready tx_port=P tx_queue=Q rx_port=P2 rx_queue=Q2 size=N flows=N rate=N
 *   stats sent=N received=N tx_mpps=X rx_mpps=Y              (every -T s)
 *   pktgen sent=N received=N lost=N dup=N reordered=N bad=N tx_mpps=X
 *          rx_mpps=Y foreign=N lat_avg_us=X lat_max_us=Y     (one line)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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

#define MAX_BURST  512
#define MAX_FLOWS  4096
#define MIN_SIZE   60
#define MAX_SIZE   9000
#define WINDOW     1024        /* sequence numbers remembered per flow */
#define PG_MAGIC   0x4d504447u /* "MPDG" */
#define POOL_CACHE 128

static const char usage[] =
	"\nmpdp-pktgen [runtime options] -- [options]\n"
	"Send numbered frames on one port, receive and check them on another.\n"
	"Runs as a secondary (on the primary's ports) or as the primary.\n"
	"      --tx-port P       port to send on\n"
	"      --tx-queue Q      its queue (default 0)\n"
	"      --rx-port P2      port to receive on\n"
	"      --rx-queue Q2     its queue (default 0)\n"
	"                        (at least one of --tx-port and --rx-port)\n"
	"      --size BYTES      frame length without FCS (60..9000, default 64)\n"
	"      --count N         frames to send (default: no limit)\n"
	"      --rate PPS        frames per second (0 = as fast as possible, the default)\n"
	"      --flows N         flows, each with its own sequence (1..4096, default 1)\n"
	"      --duration S      stop sending after S seconds (default: no limit)\n"
	"      --drain-ms MS     after sending, wait up to MS ms for the last frames\n"
	"                        (default 500)\n"
	"      --burst N         frames per burst (1..512, default 32)\n"
	"      --mbufs N         mbufs in the pool (default 4096)\n"
	"      --idle-us N       sleep N microseconds after an idle loop (default 0)\n"
	"  -T, --stats-period S  print statistics every S seconds (0 = off, the default)\n"
	"  -h, --help            show this help\n";

/* The header after the Ethernet header; big-endian fields. */
struct pg_hdr {
	uint32_t magic;
	uint32_t run_id;
	uint32_t flow;
	uint32_t len;
	uint64_t seq;
	uint64_t tx_ns;
} __attribute__((packed));
MPDP_STATIC_ASSERT(sizeof(struct pg_hdr) == 32, "pktgen header is 32 bytes");
#define PG_HDR_OFF  MPDP_ETHER_HDR_LEN
#define PG_DATA_OFF (PG_HDR_OFF + (unsigned int)sizeof(struct pg_hdr))

struct flow_rx {
	uint64_t top;               /* highest sequence seen + 1; 0: none yet */
	uint64_t seen[WINDOW / 64]; /* bit s % WINDOW for s in [top - WINDOW, top) */
};

static struct {
	int tx_port, rx_port;
	unsigned int tx_queue, rx_queue;
	unsigned int size, flows, burst, mbufs;
	uint64_t count, rate;
	struct app_loop_opts loop;  /* -T, --duration, --idle-us */
	unsigned int drain_ms;

	int primary;
	int port_set_up[MPDP_MAX_PORTS];
	int tx_claimed, rx_claimed;
	struct mpdp_mempool *pool;
	struct app_pool_set pools; /* pools this process freed foreign mbufs into */
	uint32_t run_id;
	uint64_t *tx_seq;   /* next sequence per flow */
	struct flow_rx *rx; /* per flow */

	uint64_t generated, sent, received, dup, reordered, bad, foreign;
	uint32_t next_flow;        /* flow of the next frame made */
	uint64_t lat_sum_ns, lat_max_ns;
	uint8_t scratch[MAX_SIZE]; /* multi-segment frames are checked from a copy */
} g = { .tx_port = -1,
	.rx_port = -1,
	.size = 64,
	.flows = 1,
	.burst = 32,
	.mbufs = 4096,
	.drain_ms = 500 };

enum {
	OPT_TX_PORT = 256,
	OPT_TX_QUEUE,
	OPT_RX_PORT,
	OPT_RX_QUEUE,
	OPT_SIZE,
	OPT_COUNT,
	OPT_RATE,
	OPT_FLOWS,
	OPT_DRAIN_MS,
	OPT_BURST,
	OPT_MBUFS,
};

static int parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tx-port", required_argument, NULL, OPT_TX_PORT },
		{ "tx-queue", required_argument, NULL, OPT_TX_QUEUE },
		{ "rx-port", required_argument, NULL, OPT_RX_PORT },
		{ "rx-queue", required_argument, NULL, OPT_RX_QUEUE },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "duration", required_argument, NULL, APP_OPT_DURATION },
		{ "drain-ms", required_argument, NULL, OPT_DRAIN_MS },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "mbufs", required_argument, NULL, OPT_MBUFS },
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
		case OPT_TX_PORT:
			if (app_parse_u64("--tx-port", optarg, 0, MPDP_MAX_PORTS - 1, &v) != 0)
				return -1;
			g.tx_port = (int)v;
			break;
		case OPT_TX_QUEUE:
			if (app_parse_u64("--tx-queue", optarg, 0, MPDP_ETH_MAX_QUEUES - 1, &v) !=
			    0)
				return -1;
			g.tx_queue = (unsigned int)v;
			break;
		case OPT_RX_PORT:
			if (app_parse_u64("--rx-port", optarg, 0, MPDP_MAX_PORTS - 1, &v) != 0)
				return -1;
			g.rx_port = (int)v;
			break;
		case OPT_RX_QUEUE:
			if (app_parse_u64("--rx-queue", optarg, 0, MPDP_ETH_MAX_QUEUES - 1, &v) !=
			    0)
				return -1;
			g.rx_queue = (unsigned int)v;
			break;
		case OPT_SIZE:
			if (app_parse_u64("--size", optarg, MIN_SIZE, MAX_SIZE, &v) != 0)
				return -1;
			g.size = (unsigned int)v;
			break;
		case OPT_COUNT:
			if (app_parse_u64("--count", optarg, 1, UINT64_MAX / 2, &v) != 0)
				return -1;
			g.count = v;
			break;
		case OPT_RATE:
			if (app_parse_u64("--rate", optarg, 0, 1000000000ull, &v) != 0)
				return -1;
			g.rate = v;
			break;
		case OPT_FLOWS:
			if (app_parse_u64("--flows", optarg, 1, MAX_FLOWS, &v) != 0)
				return -1;
			g.flows = (unsigned int)v;
			break;
		case OPT_DRAIN_MS:
			if (app_parse_u64("--drain-ms", optarg, 0, 3600000, &v) != 0)
				return -1;
			g.drain_ms = (unsigned int)v;
			break;
		case OPT_BURST:
			if (app_parse_u64("--burst", optarg, 1, MAX_BURST, &v) != 0)
				return -1;
			g.burst = (unsigned int)v;
			break;
		case OPT_MBUFS:
			if (app_parse_u64("--mbufs", optarg, 256, 1u << 20, &v) != 0)
				return -1;
			g.mbufs = (unsigned int)v;
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
	if (g.tx_port < 0 && g.rx_port < 0) {
		app_err("give --tx-port, --rx-port or both (see --help)");
		return -1;
	}
	if (g.burst * 2 > g.mbufs) {
		app_err("--burst %u needs at least %u --mbufs", g.burst, g.burst * 2);
		return -1;
	}
	return 0;
}

static const char *err_str(int rc)
{
	return strerror(rc < 0 ? -rc : rc);
}

static uint64_t be64(uint64_t v)
{
	return ((uint64_t)htonl((uint32_t)v) << 32) | htonl((uint32_t)(v >> 32));
}

/* ---------------------------------------------------------------- ports */

/* Primary: configure, set up and start port with nq queues each way. */
static int setup_port(uint16_t port, unsigned int nq)
{
	struct mpdp_eth_conf conf = { .mtu = 0, .promiscuous = 1 };
	struct mpdp_eth_dev_info info;
	uint16_t nb_desc;
	int rc;

	rc = mpdp_eth_dev_info_get(port, &info);
	if (rc != 0) {
		app_err("port %u: %s", port, rc == -ENODEV ? "no such port" : err_str(rc));
		return -1;
	}
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		app_err("port %u (%s): needs %u queues, has at most %u", port, info.name, nq,
			info.max_rx_queues < info.max_tx_queues ? info.max_rx_queues :
								  info.max_tx_queues);
		return -1;
	}
	nb_desc = 1024;
	if (nb_desc > info.max_desc)
		nb_desc = info.max_desc;
	if (nb_desc < info.min_desc)
		nb_desc = info.min_desc;
	if (g.size > (unsigned int)info.mtu + MPDP_ETHER_HDR_LEN &&
	    g.size - MPDP_ETHER_HDR_LEN <= info.max_mtu)
		conf.mtu = (uint16_t)(g.size - MPDP_ETHER_HDR_LEN);
	rc = mpdp_eth_dev_configure(port, (uint16_t)nq, (uint16_t)nq, &conf);
	if (rc != 0) {
		app_err("port %u (%s): configure: %s", port, info.name, err_str(rc));
		return -1;
	}
	g.port_set_up[port] = 1;
	for (uint16_t q = 0; q < nq; q++) {
		rc = mpdp_eth_rx_queue_setup(port, q, nb_desc, g.pool);
		if (rc == 0)
			rc = mpdp_eth_tx_queue_setup(port, q, nb_desc);
		if (rc != 0) {
			app_err("port %u (%s): queue %u setup: %s", port, info.name, q,
				err_str(rc));
			return -1;
		}
	}
	rc = mpdp_eth_dev_start(port);
	if (rc != 0) {
		app_err("port %u (%s): start: %s", port, info.name, err_str(rc));
		return -1;
	}
	(void)mpdp_eth_link_update(port);
	return 0;
}

static int setup_ports(void)
{
	unsigned int nq[MPDP_MAX_PORTS] = { 0 };

	if (g.tx_port >= 0)
		nq[g.tx_port] = g.tx_queue + 1;
	if (g.rx_port >= 0 && nq[g.rx_port] < g.rx_queue + 1)
		nq[g.rx_port] = g.rx_queue + 1;
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++)
		if (nq[p] != 0 && setup_port(p, nq[p]) != 0)
			return -1;
	return 0;
}

static void close_ports(void)
{
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++) {
		int rc;

		if (!g.port_set_up[p])
			continue;
		(void)mpdp_eth_dev_stop(p);
		rc = mpdp_eth_dev_close(p);
		if (rc != 0 && rc != -ENODEV)
			app_err("port %u: close: %s", p, err_str(rc));
		g.port_set_up[p] = 0;
	}
}

static int claim(uint16_t port, enum mpdp_eth_dir dir, uint16_t q)
{
	const char *d = dir == MPDP_ETH_RX ? "rx" : "tx";
	int rc, tries = 0, proc_id, pid;

	do {
		rc = mpdp_eth_queue_claim(port, dir, q);
		if (rc == -EAGAIN)
			usleep(10000);
	} while (rc == -EAGAIN && ++tries < 100);
	if (rc == 0)
		return 0;
	if (rc == -EBUSY && mpdp_eth_queue_owner(port, dir, q, &proc_id, &pid) == 0)
		app_err("cannot claim port %u %s queue %u: held by process %d (pid %d)", port, d, q,
			proc_id, pid);
	else if (rc == -EINVAL)
		app_err("cannot claim port %u %s queue %u: no such queue (is the port "
			"configured?)",
			port, d, q);
	else if (rc == -ENODEV)
		app_err("cannot claim port %u %s queue %u: no such port", port, d, q);
	else
		app_err("cannot claim port %u %s queue %u: %s", port, d, q, err_str(rc));
	return -1;
}

/* ---------------------------------------------------------------- frames */

static void fill_frame(struct mpdp_mbuf *m, uint32_t flow, uint64_t seq, uint64_t now)
{
	uint8_t *d = mpdp_mbuf_mtod(m, uint8_t *);
	struct mpdp_ether_hdr *eh = (struct mpdp_ether_hdr *)(void *)d;
	struct pg_hdr h;
	uint8_t start = (uint8_t)(seq + flow);

	memset(&eh->dst, 0, sizeof(eh->dst));
	eh->dst.bytes[0] = 0x02;
	eh->dst.bytes[5] = (uint8_t)(g.tx_port >= 0 ? g.tx_port : 0);
	eh->src.bytes[0] = 0x02;
	eh->src.bytes[1] = 0x00;
	eh->src.bytes[2] = 0x00;
	eh->src.bytes[3] = 0x01;
	eh->src.bytes[4] = (uint8_t)(flow >> 8);
	eh->src.bytes[5] = (uint8_t)flow;
	eh->ether_type = htons(MPDP_ETHER_TYPE_EXP1);
	h.magic = htonl(PG_MAGIC);
	h.run_id = htonl(g.run_id);
	h.flow = htonl(flow);
	h.len = htonl(g.size);
	h.seq = be64(seq);
	h.tx_ns = be64(now);
	memcpy(d + PG_HDR_OFF, &h, sizeof(h));
	for (unsigned int i = PG_DATA_OFF; i < g.size; i++)
		d[i] = (uint8_t)(start + (i - PG_DATA_OFF));
	m->data_len = (uint16_t)g.size;
	m->pkt_len = g.size;
}

/* Make up to n frames; returns how many (fewer when the pool is short). */
static unsigned int make_frames(struct mpdp_mbuf **pkts, unsigned int n)
{
	uint64_t now;

	while (n > 0 && mpdp_mbuf_alloc_bulk(g.pool, pkts, n) != 0)
		n /= 2; /* the rest are in flight: take what is there */
	now = app_now_ns();
	for (unsigned int i = 0; i < n; i++) {
		/* round-robin over the flows without a division per frame */
		uint32_t flow = g.next_flow;

		g.next_flow = flow + 1 == g.flows ? 0 : flow + 1;
		fill_frame(pkts[i], flow, g.tx_seq[flow]++, now);
		g.generated++;
	}
	return n;
}

/* Account one received sequence number of a flow. */
static void seq_seen(struct flow_rx *f, uint64_t s)
{
	if (s >= f->top) {
		uint64_t gap = s - f->top;

		if (gap >= WINDOW) {
			memset(f->seen, 0, sizeof(f->seen));
		} else {
			for (uint64_t k = f->top; k < s; k++)
				f->seen[(k % WINDOW) / 64] &= ~(1ull << (k % 64));
		}
		f->seen[(s % WINDOW) / 64] |= 1ull << (s % 64);
		f->top = s + 1;
		g.received++;
		return;
	}
	if (s + WINDOW < f->top) {
		/* older than the window: cannot tell a duplicate, count it late */
		g.received++;
		g.reordered++;
		return;
	}
	if (f->seen[(s % WINDOW) / 64] & (1ull << (s % 64))) {
		g.dup++;
		return;
	}
	f->seen[(s % WINDOW) / 64] |= 1ull << (s % 64);
	g.received++;
	g.reordered++;
}

static void check_frame(const struct mpdp_mbuf *m, uint64_t now)
{
	const uint8_t *d;
	struct pg_hdr h;
	uint32_t flow, len, run;
	uint64_t seq, tx_ns;
	uint8_t start;

	if (m->pkt_len < PG_DATA_OFF || m->pkt_len > MAX_SIZE) {
		g.bad++;
		return;
	}
	if (mpdp_mbuf_is_contiguous(m) && m->data_len == m->pkt_len)
		d = mpdp_mbuf_mtod(m, const uint8_t *);
	else
		d = mpdp_mbuf_read(m, 0, m->pkt_len, g.scratch);
	if (d == NULL) {
		g.bad++;
		return;
	}
	if (d[12] != (MPDP_ETHER_TYPE_EXP1 >> 8) || d[13] != (MPDP_ETHER_TYPE_EXP1 & 0xff)) {
		g.bad++;
		return;
	}
	memcpy(&h, d + PG_HDR_OFF, sizeof(h));
	if (ntohl(h.magic) != PG_MAGIC) {
		g.bad++;
		return;
	}
	run = ntohl(h.run_id);
	if (g.run_id == 0 && g.tx_port < 0)
		g.run_id = run; /* receive only: follow the first generator seen */
	if (run != g.run_id) {
		g.foreign++;
		return;
	}
	flow = ntohl(h.flow);
	len = ntohl(h.len);
	seq = be64(h.seq);
	tx_ns = be64(h.tx_ns);
	if (flow >= g.flows || len != m->pkt_len) {
		g.bad++;
		return;
	}
	start = (uint8_t)(seq + flow);
	for (unsigned int i = PG_DATA_OFF; i < len; i++) {
		if (d[i] != (uint8_t)(start + (i - PG_DATA_OFF))) {
			g.bad++;
			return;
		}
	}
	if (now > tx_ns) {
		g.lat_sum_ns += now - tx_ns;
		if (now - tx_ns > g.lat_max_ns)
			g.lat_max_ns = now - tx_ns;
	}
	seq_seen(&g.rx[flow], seq);
}

/* Receive one burst, check it, free it. Returns the frames received. */
static unsigned int rx_once(void)
{
	struct mpdp_mbuf *pkts[MAX_BURST];
	uint16_t n;
	uint64_t now;

	if (g.rx_port < 0)
		return 0;
	n = mpdp_eth_rx_burst((uint16_t)g.rx_port, (uint16_t)g.rx_queue, pkts, (uint16_t)g.burst);
	if (n == 0)
		return 0;
	now = app_now_ns();
	for (uint16_t i = 0; i < n; i++) {
		check_frame(pkts[i], now);
		if (pkts[i]->pool_id != g.pool->id)
			app_pool_set_add(&g.pools, pkts[i]);
	}
	mpdp_mbuf_free_bulk(pkts, n);
	return n;
}

/* ---------------------------------------------------------------- pool */

static int create_pool(void)
{
	char name[MPDP_MEMPOOL_NAME_SIZE];
	unsigned int room = MPDP_MBUF_DEFAULT_BUF_SIZE;
	int err = 0;

	if (g.size + MPDP_MBUF_DEFAULT_HEADROOM > room)
		room = g.size + MPDP_MBUF_DEFAULT_HEADROOM;
	snprintf(name, sizeof(name), "pktgen.%d", (int)getpid());
	g.pool = mpdp_mbuf_pool_create(name, g.mbufs, POOL_CACHE, 0, (uint16_t)room, NULL, &err);
	if (g.pool == NULL) {
		app_err("cannot create the mbuf pool '%s' of %u mbufs of %u bytes: %s%s", name,
			g.mbufs, room, err_str(err),
			err == -ENOMEM ?
				" (give the primary a larger --mem, or a smaller --mbufs)" :
				"");
		return -1;
	}
	return 0;
}

/*
 * Free the pool once every mbuf is back: in_use 0 and no lcore cache holding
 * any (ours was flushed; another process's would be flushed into a freed
 * pool). Otherwise leave it allocated: never free a pool under someone.
 */
static void release_pool(unsigned int wait_ms)
{
	uint64_t end = app_now_ns() + (uint64_t)wait_ms * 1000000ull;
	struct mpdp_mempool_info info;

	if (g.pool == NULL)
		return;
	mpdp_mempool_cache_flush(g.pool);
	for (;;) {
		if (mpdp_mempool_info_get(g.pool, &info) != 0)
			break;
		if (mpdp_mempool_in_use_count(g.pool) == 0 && info.in_caches == 0) {
			mpdp_mempool_free(g.pool);
			g.pool = NULL;
			return;
		}
		if (app_now_ns() >= end || atomic_load(&app_primary_gone))
			break;
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	app_err("mbuf pool '%s' left allocated: %u mbufs still in use, %u in other processes' "
		"caches",
		g.pool->name, mpdp_mempool_in_use_count(g.pool), info.in_caches);
	g.pool = NULL;
}

/* ---------------------------------------------------------------- main */

static void print_result(uint64_t t_tx_ns, uint64_t t_rx_ns)
{
	uint64_t lost = 0;

	if (g.rx_port >= 0 && g.tx_port >= 0 && g.sent > g.received)
		lost = g.sent - g.received;
	printf("pktgen sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64 " dup=%" PRIu64
	       " reordered=%" PRIu64 " bad=%" PRIu64 " tx_mpps=%.3f rx_mpps=%.3f foreign=%" PRIu64
	       " lat_avg_us=%.1f lat_max_us=%.1f\n",
	       g.sent, g.received, lost, g.dup, g.reordered, g.bad, app_mpps(g.sent, t_tx_ns),
	       app_mpps(g.received, t_rx_ns), g.foreign,
	       g.received ? (double)g.lat_sum_ns / (double)g.received / 1e3 : 0.0,
	       (double)g.lat_max_ns / 1e3);
	fflush(stdout);
}

static void run(void)
{
	struct mpdp_mbuf *pend[MAX_BURST];
	unsigned int pend_n = 0, pend_off = 0, spins = 0;
	const uint64_t t0 = app_now_ns();
	const uint64_t period_ns = (uint64_t)(g.loop.stats_period * 1e9);
	const uint64_t end_ns = g.loop.duration > 0 ? t0 + (uint64_t)(g.loop.duration * 1e9) : 0;
	uint64_t t_tx_end = 0, t_last_rx = t0, t_stats = t0, drain_end = 0;
	uint64_t prev_sent = 0, prev_rx = 0, now = t0;
	int sending = g.tx_port >= 0;

	for (;;) {
		unsigned int did = 0, got;

		if (sending) {
			if (pend_off == pend_n) {
				uint64_t want = g.burst;

				pend_n = pend_off = 0;
				if (g.count != 0 && g.count - g.generated < want)
					want = g.count - g.generated;
				if (g.rate != 0) {
					/* frames due by now at --rate */
					uint64_t due = (uint64_t)((double)(now - t0) *
								  (double)g.rate / 1e9) +
						       1;

					due = due > g.generated ? due - g.generated : 0;
					if (due < want)
						want = due;
				}
				if (want > 0)
					pend_n = make_frames(pend, (unsigned int)want);
			}
			if (pend_off < pend_n) {
				uint16_t k = mpdp_eth_tx_burst(
					(uint16_t)g.tx_port, (uint16_t)g.tx_queue, &pend[pend_off],
					(uint16_t)(pend_n - pend_off));
				pend_off += k;
				g.sent += k;
				did += k;
			}
		}
		got = rx_once();
		if (got > 0) {
			t_last_rx = app_now_ns();
			did += got;
		}
		if (did == 0 && g.loop.idle_us > 0)
			usleep(g.loop.idle_us);
		if (did > 0 && ++spins < 64)
			continue;
		spins = 0;
		now = app_now_ns();
		if (sending) {
			int done = g.count != 0 && g.generated >= g.count && pend_off == pend_n;

			if (done || app_should_stop() || (end_ns != 0 && now >= end_ns)) {
				/* frames made but not taken are not sent: free them */
				if (pend_off < pend_n)
					mpdp_mbuf_free_bulk(&pend[pend_off], pend_n - pend_off);
				pend_n = pend_off = 0;
				sending = 0;
				t_tx_end = now;
				drain_end = now + (uint64_t)g.drain_ms * 1000000ull;
				if (g.rx_port < 0)
					break;
			}
		} else if (g.tx_port >= 0) {
			/* draining: until everything is back or the time is up */
			if (g.received + g.bad >= g.sent || now >= drain_end ||
			    atomic_load(&app_primary_gone))
				break;
		} else if (app_should_stop() || (end_ns != 0 && now >= end_ns)) {
			break; /* receive only */
		}
		if (period_ns != 0 && now - t_stats >= period_ns) {
			printf("stats sent=%" PRIu64 " received=%" PRIu64 " tx_mpps=%.3f"
			       " rx_mpps=%.3f\n",
			       g.sent, g.received, app_mpps(g.sent - prev_sent, now - t_stats),
			       app_mpps(g.received - prev_rx, now - t_stats));
			fflush(stdout);
			prev_sent = g.sent;
			prev_rx = g.received;
			t_stats = now;
		}
	}
	if (t_tx_end == 0)
		t_tx_end = app_now_ns();
	print_result(t_tx_end - t0, t_last_rx - t0);
}

int main(int argc, char **argv)
{
	struct app_args args;
	int n, rc = APP_EXIT_ERROR;

	if (app_start(&args, argc, argv, "mpdp-pktgen", NULL, usage, &rc) != 0)
		return rc;
	if (parse_options(args.tool_argc, args.tool_argv) != 0)
		goto out_args;
	g.tx_seq = calloc(g.flows, sizeof(*g.tx_seq));
	g.rx = calloc(g.flows, sizeof(*g.rx));
	if (g.tx_seq == NULL || g.rx == NULL) {
		app_err("out of memory");
		goto out_args;
	}
	g.run_id = g.tx_port >= 0 ? (uint32_t)getpid() : 0;

	app_signals_install();
	app_watch_primary();
	n = mpdp_init(args.rt_argc, args.rt_argv);
	if (n < 0) {
		rc = mpdp_init_failed(n, usage);
		goto out_args;
	}
	g.primary = mpdp_proc_type() == MPDP_PROC_PRIMARY;
	if (g.tx_port >= 0 && !mpdp_eth_dev_is_valid((uint16_t)g.tx_port)) {
		app_err("no port %d (%u ports)", g.tx_port, mpdp_eth_dev_count());
		goto out_cleanup;
	}
	if (g.rx_port >= 0 && !mpdp_eth_dev_is_valid((uint16_t)g.rx_port)) {
		app_err("no port %d (%u ports)", g.rx_port, mpdp_eth_dev_count());
		goto out_cleanup;
	}
	if (create_pool() != 0)
		goto out_cleanup;
	if (g.primary && setup_ports() != 0)
		goto out_ports;
	if (g.tx_port >= 0) {
		if (claim((uint16_t)g.tx_port, MPDP_ETH_TX, (uint16_t)g.tx_queue) != 0)
			goto out_release;
		g.tx_claimed = 1;
	}
	if (g.rx_port >= 0) {
		if (claim((uint16_t)g.rx_port, MPDP_ETH_RX, (uint16_t)g.rx_queue) != 0)
			goto out_release;
		g.rx_claimed = 1;
	}
	printf("ready tx_port=%d tx_queue=%u rx_port=%d rx_queue=%u size=%u flows=%u rate=%" PRIu64
	       " role=%s\n",
	       g.tx_port, g.tx_queue, g.rx_port, g.rx_queue, g.size, g.flows, g.rate,
	       g.primary ? "primary" : "secondary");
	fflush(stdout);

	run();
	if (atomic_load(&app_primary_gone)) {
		app_err("the primary exited; stopping");
		rc = APP_EXIT_PRIMARY_GONE;
	} else {
		rc = APP_EXIT_OK;
	}
out_release:
	if (!atomic_load(&app_primary_gone)) {
		if (g.tx_claimed)
			(void)mpdp_eth_queue_release((uint16_t)g.tx_port, MPDP_ETH_TX,
						     (uint16_t)g.tx_queue);
		if (g.rx_claimed)
			(void)mpdp_eth_queue_release((uint16_t)g.rx_port, MPDP_ETH_RX,
						     (uint16_t)g.rx_queue);
	}
out_ports:
	if (g.primary)
		close_ports();
	app_pool_set_flush(&g.pools);
	if (atomic_load(&app_primary_gone))
		g.pool = NULL; /* the instance is gone: nothing to give back */
	else
		release_pool(g.drain_ms + 1000);
out_cleanup:
	mpdp_cleanup();
out_args:
	free(g.tx_seq);
	free(g.rx);
	app_args_fini(&args);
	return rc;
}
