/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * afp_shell.c - the helper program of the net_af_packet tests
 * (test_afp.c). Built twice, each a PIE with its own copy of the library:
 *   mpdp-test-afp-a   every driver
 *   mpdp-test-afp-b   every driver, other code in front (no function at the
 *                     offset it has in -a): the "different binary" secondary
 * Either runs as primary or secondary, inside a network namespace of the
 * test (ip netns exec).
 *
 *   mpdp-test-afp-X [runtime options] -- shell
 *     prints "READY <pid> <heap base> <heap len> proc_id=N" and serves:
 *
 *   pool NAME N ROOM               mbuf pool of N mbufs with ROOM bytes of buffer
 *                                  (0: the default), created or looked up: id=
 *   inuse POOL                     in_use=
 *   setup NAME NRX NTX POOL DESC [TXDESC]
 *                                  configure, set up every queue with DESC
 *                                  descriptors (tx: TXDESC if given), start
 *   start NAME | stop NAME | close NAME
 *   info NAME | link NAME          (link: mpdp_eth_link_update() first) port= state=
 *                                  link= speed= duplex= mtu= maxmtu= promisc= mac=
 *   promisc NAME 0|1 | mtu NAME N
 *   claim NAME rx|tx Q | release NAME rx|tx Q
 *   tx NAME Q N SIZE POOL TAG FLOWS SEGSZ
 *                                  send N frames (below), retrying up to 3 s: sent=
 *                                  bytes=; SIZE 0: varied sizes; FLOWS 0: raw
 *                                  frames, else IPv4/UDP over FLOWS source ports;
 *                                  SEGSZ > 0: mbuf chains of SEGSZ-byte segments
 *   rx NAME Q N TIMEOUT_MS TAG     receive up to N frames (until TIMEOUT_MS without
 *                                  one), check every byte: received= bytes= bad=
 *                                  dup= segs= inorder= map=
 *   rxq NAME NQ N TIMEOUT_MS TAG   the same over queues 0..NQ-1: also q0= q1= ...
 *   stats NAME                     ipackets= ibytes= opackets= obytes= ierrors=
 *                                  oerrors= nombuf= qN_ipackets=
 *   xstat NAME XNAME | xreset NAME
 *   plus the mp_helper.h commands (procs, quit, ...).
 *
 * Frames (the same generator as afp_peer.py): dst 02:00:00:00:00:02, src
 * 02:00:00:00:00:01, an optional VLAN tag (TCI 0x2000 | seq & 0xfff), then
 * ethertype 0x88b5, or IPv4 + UDP; the payload is tag (4 bytes), seq (4),
 * the frame's length (2), all big-endian, then byte j of the frame is
 * (seq * 7 + j) & 0xff. A receiver checks every byte; map= is the set of
 * sequence numbers received, as hex (bit s of the number = seq s).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "drv_frames.h"
#include "mp_helper.h"

#ifdef AFP_SHELL_B
/* different code in front: no function of -b at the offset it has in -a */
volatile int afp_shell_b_pad;
void afp_shell_b_padding(void);
void afp_shell_b_padding(void)
{
	for (int i = 0; i < 256; i++)
		afp_shell_b_pad += i * afp_shell_b_pad + 3;
}
#endif

#define BURST     32
#define FRAME_MAX 16384
#define SEQ_MAX   8192 /* sequence numbers a map holds */

static const char usage[] = "\nafter \"--\": shell\n";

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

/* SIZE 0: the varied sizes, 60..1514 */
static uint32_t frame_size(uint32_t size, uint32_t seq)
{
	return size != 0 ? size : 60 + (seq * 97u) % 1455u;
}

/* Build frame seq into buf; returns its length. */
static uint32_t frame_gen(uint8_t *buf, uint32_t tag, uint32_t seq, uint32_t len,
			  unsigned int flows)
{
	uint32_t off;

	memcpy(buf, mac_a, 6);
	memcpy(buf + 6, mac_b, 6);
	if (flows == 0) {
		put16(buf + 12, 0x88b5);
		off = 14;
	} else {
		uint8_t *ip = buf + 14, *udp = buf + 34;
		uint32_t sum = 0;

		put16(buf + 12, 0x0800);
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, len - 14);
		put16(ip + 4, seq & 0xffff);
		ip[8] = 64;
		ip[9] = 17;
		put32(ip + 12, 0x0a000001);
		put32(ip + 16, 0x0a000002);
		for (int i = 0; i < 20; i += 2)
			sum += get16(ip + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(ip + 10, ~sum & 0xffff);
		put16(udp, 1024 + seq % flows);
		put16(udp + 2, 9);
		put16(udp + 4, len - 34);
		put16(udp + 6, 0);
		off = 42;
	}
	put32(buf + off, tag);
	put32(buf + off + 4, seq);
	put16(buf + off + 8, len);
	for (uint32_t j = off + 10; j < len; j++)
		buf[j] = (uint8_t)(seq * 7 + j);
	return len;
}

/*
 * Check a received frame, every byte. Returns 0 with *seq set, or -1.
 * The addresses may come swapped (an echo).
 */
static int frame_check(const uint8_t *f, uint32_t len, uint32_t tag, uint32_t *seq)
{
	uint32_t et, off = 14, tci = 0;
	int vlan = 0;

	if (len < 60 || len > FRAME_MAX)
		return -1;
	if (!((memcmp(f, mac_a, 6) == 0 && memcmp(f + 6, mac_b, 6) == 0) ||
	      (memcmp(f, mac_b, 6) == 0 && memcmp(f + 6, mac_a, 6) == 0)))
		return -1;
	et = get16(f + 12);
	if (et == 0x8100) {
		vlan = 1;
		tci = get16(f + 14);
		et = get16(f + 16);
		off = 18;
	}
	if (et == 0x0800) {
		if (f[off] != 0x45 || f[off + 9] != 17 || get16(f + off + 2) != len - off)
			return -1;
		off += 28;
	} else if (et != 0x88b5) {
		return -1;
	}
	if (off + 10 > len || get32(f + off) != tag || get16(f + off + 8) != len)
		return -1;
	*seq = get32(f + off + 4);
	if (vlan && tci != (0x2000u | (*seq & 0xfff)))
		return -1;
	for (uint32_t j = off + 10; j < len; j++)
		if (f[j] != (uint8_t)(*seq * 7 + j))
			return -1;
	return 0;
}

/* ------------------------------------------------------------ receive check */

struct rx_check {
	uint32_t tag;
	unsigned int received, bad, dup, max_segs, inorder;
	uint64_t bytes;
	int64_t last;
	uint8_t map[SEQ_MAX / 8];
	uint8_t buf[FRAME_MAX];
};

static void rx_check_init(struct rx_check *c, uint32_t tag)
{
	memset(c, 0, sizeof(*c));
	c->tag = tag;
	c->inorder = 1;
	c->last = -1;
}

static void rx_check_one(struct rx_check *c, struct mpdp_mbuf *m, uint16_t port)
{
	uint32_t len = 0, seq;

	c->received++;
	c->bytes += m->pkt_len;
	if (m->nb_segs > c->max_segs)
		c->max_segs = m->nb_segs;
	for (struct mpdp_mbuf *s = m; s != NULL; s = mpdp_mbuf_next(s)) {
		if (len + s->data_len > FRAME_MAX) {
			c->bad++;
			return;
		}
		memcpy(c->buf + len, mpdp_mbuf_mtod(s, const uint8_t *), s->data_len);
		len += s->data_len;
	}
	if (len != m->pkt_len || m->port != port || frame_check(c->buf, len, c->tag, &seq) != 0 ||
	    seq >= SEQ_MAX) {
		c->bad++;
		return;
	}
	if (c->map[seq / 8] & (1u << (seq % 8)))
		c->dup++;
	c->map[seq / 8] |= (uint8_t)(1u << (seq % 8));
	if ((int64_t)seq <= c->last)
		c->inorder = 0;
	c->last = seq;
}

static void rx_check_say(struct rx_check *c, const char *extra)
{
	char hex[SEQ_MAX / 4 + 1];
	int top = -1;

	for (int i = (int)sizeof(c->map) - 1; i >= 0; i--)
		if (c->map[i] != 0) {
			top = i;
			break;
		}
	/* little-endian bytes, two hex digits each, low nibble first: digit k = seqs 4k..4k+3 */
	hex[0] = '\0';
	for (int i = 0; i <= top; i++) {
		static const char d[] = "0123456789abcdef";

		hex[2 * i] = d[c->map[i] & 0xf];
		hex[2 * i + 1] = d[c->map[i] >> 4];
		hex[2 * i + 2] = '\0';
	}
	mh_say("OK received=%u bytes=%" PRIu64
	       " bad=%u dup=%u segs=%u inorder=%u last=%lld%s map=%s",
	       c->received, c->bytes, c->bad, c->dup, c->max_segs, c->inorder, (long long)c->last,
	       extra, top < 0 ? "-" : hex);
}

static struct rx_check rxc;

/* Poll queues 0..nq-1 (first_q only when nq is 1) until n frames or idle for timeout_ms. */
static void cmd_rx(const char *name, uint16_t first_q, uint16_t nq, unsigned int n,
		   unsigned int timeout_ms, uint32_t tag)
{
	struct mpdp_mbuf *m[BURST];
	unsigned int per_q[MPDP_ETH_MAX_QUEUES] = { 0 };
	char extra[256] = "";
	uint64_t idle_since = now_ms();
	uint16_t p;

	if (mh_port_of(name, &p) != 0)
		return;
	if (nq == 0 || nq > MPDP_ETH_MAX_QUEUES) {
		mh_say_err(-EINVAL, "queues");
		return;
	}
	rx_check_init(&rxc, tag);
	while (rxc.received < n) {
		unsigned int got = 0;

		for (uint16_t i = 0; i < nq && rxc.received < n; i++) {
			uint16_t q = nq == 1 ? first_q : i;
			unsigned int want = n - rxc.received < BURST ? n - rxc.received : BURST;
			uint16_t k = mpdp_eth_rx_burst(p, q, m, (uint16_t)want);

			for (uint16_t j = 0; j < k; j++)
				rx_check_one(&rxc, m[j], p);
			mpdp_mbuf_free_bulk(m, k);
			per_q[q] += k;
			got += k;
		}
		if (got == 0) {
			if (now_ms() - idle_since > timeout_ms)
				break;
			usleep(200);
		} else {
			idle_since = now_ms();
		}
	}
	if (nq > 1) {
		size_t used = 0;

		for (uint16_t q = 0; q < nq; q++)
			used += (size_t)snprintf(extra + used, sizeof(extra) - used, " q%u=%u", q,
						 per_q[q]);
	}
	rx_check_say(&rxc, extra);
}

/* ------------------------------------------------------------ transmit */

static uint8_t txbuf[FRAME_MAX];

struct tx_frames {
	struct mpdp_mempool *mp;
	uint32_t tag, size;
	unsigned int flows, segsz;
};

/* Frame seq (frame_gen()) as a packet of segsz-byte segments (0: one). */
static struct mpdp_mbuf *tx_make(uint64_t seq, void *arg)
{
	const struct tx_frames *f = arg;
	uint32_t len = frame_gen(txbuf, f->tag, (uint32_t)seq, frame_size(f->size, (uint32_t)seq),
				 f->flows);

	return df_pkt(f->mp, txbuf, len, f->segsz);
}

static void cmd_tx(const char *name, uint16_t q, unsigned int n, unsigned int size,
		   const char *pool, uint32_t tag, unsigned int flows, unsigned int segsz)
{
	struct tx_frames f = {
		.mp = mh_pool_of(pool), .tag = tag, .size = size, .flows = flows, .segsz = segsz
	};
	unsigned int sent;
	uint64_t bytes;
	uint16_t p;

	if (f.mp == NULL || mh_port_of(name, &p) != 0)
		return;
	if ((size != 0 && (size < 60 || size > FRAME_MAX)) || n > SEQ_MAX) {
		mh_say_err(-EINVAL, "size %u, n %u", size, n);
		return;
	}
	sent = df_tx(p, q, n, tx_make, &f, &bytes);
	mh_say("OK sent=%u bytes=%" PRIu64, sent, bytes);
}

/* ------------------------------------------------------------ control */

static void cmd_info(const char *name, int update)
{
	struct mpdp_eth_dev_info i;
	char mac[MPDP_ETHER_ADDR_FMT_SIZE];
	uint16_t p;
	int rc;

	if (mh_port_of(name, &p) != 0)
		return;
	if (update) {
		rc = mpdp_eth_link_update(p);
		if (rc != 0) {
			mh_say_err(rc, "link update %s", name);
			return;
		}
	}
	rc = mpdp_eth_dev_info_get(p, &i);
	if (rc != 0) {
		mh_say_err(rc, "info %s", name);
		return;
	}
	mpdp_ether_addr_format(mac, sizeof(mac), &i.mac);
	mh_say("OK port=%u driver=%s state=%s available=%d link=%s speed=%u duplex=%s mtu=%u "
	       "minmtu=%u maxmtu=%u promisc=%d rxq=%u txq=%u maxq=%u mindesc=%u maxdesc=%u mac=%s",
	       p, i.driver, mpdp_eth_state_name(i.state), i.available, i.link.up ? "up" : "down",
	       i.link.speed_mbps, i.link.full_duplex ? "full" : "half", i.mtu, i.min_mtu, i.max_mtu,
	       i.promiscuous, i.nb_rx_queues, i.nb_tx_queues, i.max_rx_queues, i.min_desc,
	       i.max_desc, mac);
}

static void cmd_setup(const char *name, uint16_t nrx, uint16_t ntx, const char *pool, uint16_t desc,
		      uint16_t txdesc)
{
	struct mpdp_mempool *mp = mh_pool_of(pool);
	uint16_t p;
	int rc;

	if (mp == NULL || mh_port_of(name, &p) != 0)
		return;
	rc = mpdp_eth_dev_stop(p);
	if (rc == 0)
		rc = mpdp_eth_dev_configure(p, nrx, ntx, NULL);
	for (uint16_t q = 0; rc == 0 && q < nrx; q++)
		rc = mpdp_eth_rx_queue_setup(p, q, desc, mp);
	for (uint16_t q = 0; rc == 0 && q < ntx; q++)
		rc = mpdp_eth_tx_queue_setup(p, q, txdesc);
	if (rc == 0)
		rc = mpdp_eth_dev_start(p);
	if (rc != 0)
		mh_say_err(rc, "setup %s", name);
	else
		mh_say("OK port=%u", p);
}

static void cmd_stats(const char *name)
{
	struct mpdp_eth_stats st;
	char per_q[512] = "";
	size_t used = 0;
	uint16_t p;
	int rc;

	if (mh_port_of(name, &p) != 0)
		return;
	rc = mpdp_eth_stats_get(p, &st);
	if (rc != 0) {
		mh_say_err(rc, "stats %s", name);
		return;
	}
	for (unsigned int q = 0; q < 4; q++)
		used += (size_t)snprintf(per_q + used, sizeof(per_q) - used,
					 " q%u_ipackets=%" PRIu64 " q%u_opackets=%" PRIu64, q,
					 st.q_ipackets[q], q, st.q_opackets[q]);
	mh_say("OK ipackets=%" PRIu64 " ibytes=%" PRIu64 " opackets=%" PRIu64 " obytes=%" PRIu64
	       " ierrors=%" PRIu64 " oerrors=%" PRIu64 " imissed=%" PRIu64 " nombuf=%" PRIu64 "%s",
	       st.ipackets, st.ibytes, st.opackets, st.obytes, st.ierrors, st.oerrors, st.imissed,
	       st.rx_nombuf, per_q);
}

static int shell_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	uint16_t p;

	if (strcmp(c, "pool") == 0 && argc == 4) {
		unsigned int room = (unsigned int)mh_num(argv[3]);

		mh_cmd_pool(argv[1], (unsigned int)mh_num(argv[2]),
			    room != 0 ? room : MPDP_MBUF_DEFAULT_BUF_SIZE);
	} else if (strcmp(c, "inuse") == 0 && argc == 2) {
		mh_cmd_inuse(argv[1]);
	} else if (strcmp(c, "setup") == 0 && (argc == 6 || argc == 7)) {
		cmd_setup(argv[1], (uint16_t)mh_num(argv[2]), (uint16_t)mh_num(argv[3]), argv[4],
			  (uint16_t)mh_num(argv[5]), (uint16_t)mh_num(argv[argc == 7 ? 6 : 5]));
	} else if ((strcmp(c, "start") == 0 || strcmp(c, "stop") == 0 || strcmp(c, "close") == 0) &&
		   argc == 2) {
		if (mh_port_of(argv[1], &p) == 0)
			mh_reply(c[2] == 'a' ? mpdp_eth_dev_start(p) :
				 c[0] == 's' ? mpdp_eth_dev_stop(p) :
					       mpdp_eth_dev_close(p),
				 c);
	} else if ((strcmp(c, "info") == 0 || strcmp(c, "link") == 0) && argc == 2) {
		cmd_info(argv[1], c[0] == 'l');
	} else if (strcmp(c, "promisc") == 0 && argc == 3) {
		if (mh_port_of(argv[1], &p) == 0)
			mh_reply(mpdp_eth_promiscuous_set(p, (int)mh_num(argv[2])), c);
	} else if (strcmp(c, "mtu") == 0 && argc == 3) {
		if (mh_port_of(argv[1], &p) == 0)
			mh_reply(mpdp_eth_mtu_set(p, (uint16_t)mh_num(argv[2])), c);
	} else if ((strcmp(c, "claim") == 0 || strcmp(c, "release") == 0) && argc == 4) {
		mh_cmd_queue(c, argv[1], argv[2], argv[3]);
	} else if (strcmp(c, "tx") == 0 && argc == 9) {
		cmd_tx(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
		       (unsigned int)mh_num(argv[4]), argv[5], (uint32_t)mh_num(argv[6]),
		       (unsigned int)mh_num(argv[7]), (unsigned int)mh_num(argv[8]));
	} else if (strcmp(c, "rx") == 0 && argc == 6) {
		cmd_rx(argv[1], (uint16_t)mh_num(argv[2]), 1, (unsigned int)mh_num(argv[3]),
		       (unsigned int)mh_num(argv[4]), (uint32_t)mh_num(argv[5]));
	} else if (strcmp(c, "rxq") == 0 && argc == 6) {
		cmd_rx(argv[1], 0, (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
		       (unsigned int)mh_num(argv[4]), (uint32_t)mh_num(argv[5]));
	} else if (strcmp(c, "stats") == 0 && argc == 2) {
		cmd_stats(argv[1]);
	} else if (strcmp(c, "xstat") == 0 && argc == 3) {
		mh_cmd_xstat(argv[1], argv[2]);
	} else if (strcmp(c, "xreset") == 0 && argc == 2) {
		if (mh_port_of(argv[1], &p) == 0)
			mh_reply(mpdp_eth_xstats_reset(p), c);
	} else {
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	return mh_shell_main(argc, argv, usage, shell_cmd);
}
