/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vio_shell.c - the helper program of the net_virtio_user tests
 * (test_virtio.c). Built twice, each a PIE with its own copy of the library
 * (-b has other code in front). Runs as primary or secondary.
 *
 *   mpdp-test-vio-X [runtime options] -- shell
 *     prints "READY ..." and serves, besides the mp_helper.h commands:
 *
 *   pool NAME N [ROOM]             mbuf pool of N with data room ROOM (default
 *                                  2176), created or looked up: id=
 *   setup NAME NRX NTX POOL        configure, set up every queue, start: port=
 *   stop NAME | start NAME
 *   link NAME                      primary: mpdp_eth_link_update() first; link=up|down
 *   claim / release NAME rx|tx Q
 *   tx NAME Q N SIZE POOL TAG [SEG]
 *                                  send N frames of SIZE bytes: tag (4), seq (8,
 *                                  0..N-1), then pattern (seq * 7 + i); with SEG,
 *                                  as chains of SEG-byte segments; retries up to
 *                                  3 s: sent= bytes=
 *   rx NAME Q N TIMEOUT_MS TAG SIZE
 *                                  receive up to N, each checked byte for byte
 *                                  (chains too) against the tx pattern, seq in
 *                                  order from the first one seen (first=) and
 *                                  SIZE long: received= bytes= bad= segs= first=
 *   echo NAME Q N SIZE POOL TAG [SEG]
 *                                  tx and rx at once, at most 64 frames out at
 *                                  a time (a peer that loops them back never
 *                                  runs out of buffers), every frame checked as
 *                                  rx does; gives up 5 s after the last
 *                                  progress: sent= received= bytes= bad= segs=
 *   drain NAME Q MS                receive and free until nothing came for MS ms:
 *                                  drained=
 *   stats NAME | xstat NAME XNAME | inuse POOL
 *
 * The frame format is drv_shell.c's, so either can receive what the other sent.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "drv_frames.h"
#include "mp_helper.h"

#ifdef VIO_SHELL_B
volatile int vio_shell_b_pad;
void vio_shell_b_padding(void);
void vio_shell_b_padding(void)
{
	for (int i = 0; i < 256; i++)
		vio_shell_b_pad += i * vio_shell_b_pad + 3;
}
#endif

static const char usage[] = "\nafter \"--\": shell\n";

static void cmd_link(const char *name)
{
	struct mpdp_eth_link link;
	uint16_t p;
	int rc;

	if (mh_port_of(name, &p) != 0)
		return;
	if (mpdp_proc_type() == MPDP_PROC_PRIMARY)
		(void)mpdp_eth_link_update(p);
	rc = mpdp_eth_link_get(p, &link);
	if (rc != 0)
		mh_say_err(rc, "link %s", name);
	else
		mh_say("OK link=%s up=%u speed=%u", link.up ? "up" : "down", link.up,
		       link.speed_mbps);
}

/*
 * Check one received frame: size bytes from port p, tag, seq *next
 * (UINT64_MAX: any), the pattern. *next becomes the seq after the frame's
 * when its header could be read.
 */
static int frame_ok(const struct mpdp_mbuf *m, uint16_t p, uint32_t tag, unsigned int size,
		    uint64_t *next)
{
	static uint8_t buf[DF_MAX];
	uint64_t seq, want = *next;
	uint32_t t;

	if (m->pkt_len != size || m->port != p || df_read(m, buf, sizeof(buf), &t, &seq) == 0)
		return 0;
	*next = seq + 1;
	return t == tag && (want == UINT64_MAX || seq == want) && df_pattern_ok(buf, size, seq);
}

/* What rx and echo count: frames in order from next (UINT64_MAX: the first seen). */
struct rx_count {
	uint32_t tag;
	uint16_t port;
	unsigned int size, bad, segs;
	uint64_t bytes, next, first;
};

static void rx_one(const struct mpdp_mbuf *m, unsigned int index, void *arg)
{
	struct rx_count *c = arg;
	uint64_t want = c->next;

	(void)index;
	c->bytes += m->pkt_len;
	c->segs += m->nb_segs;
	if (!frame_ok(m, c->port, c->tag, c->size, &c->next))
		c->bad++;
	if (want == UINT64_MAX && c->next != UINT64_MAX)
		c->first = c->next - 1; /* the first frame with a header */
}

static void cmd_rx(const char *name, uint16_t q, unsigned int n, unsigned int timeout_ms,
		   uint32_t tag, unsigned int size)
{
	struct rx_count c = { .tag = tag, .size = size, .next = UINT64_MAX };
	unsigned int got;

	if (mh_port_of(name, &c.port) != 0)
		return;
	got = df_rx(c.port, q, n, timeout_ms, rx_one, &c);
	mh_say("OK received=%u bytes=%" PRIu64 " bad=%u segs=%u first=%" PRIu64, got, c.bytes,
	       c.bad, c.segs, c.first);
}

static void cmd_echo(const char *name, uint16_t q, unsigned int n, unsigned int size,
		     const char *pool, uint32_t tag, unsigned int seg)
{
	struct mpdp_mempool *mp = mh_pool_of(pool);
	struct rx_count c = { .tag = tag, .size = size, .next = 0 };
	struct mpdp_mbuf *m[DF_BURST];
	unsigned int sent = 0, got = 0, have = 0;
	uint64_t last = mh_now_ns();
	uint16_t p;

	if (mp == NULL || mh_port_of(name, &p) != 0)
		return;
	c.port = p;
	if (size < DF_HDR || size > DF_MAX) {
		mh_say_err(-EINVAL, "size %u", size);
		return;
	}
	while (got < n && mh_now_ns() - last < 5000000000ull) {
		/* transmit while fewer than 128 are out */
		while (have < DF_BURST && sent + have < n && sent + have - got < 64) {
			m[have] = df_frame(mp, size, seg, tag, sent + have);
			if (m[have] == NULL)
				break;
			have++;
		}
		if (have > 0) {
			uint16_t k = mpdp_eth_tx_burst(p, q, m, (uint16_t)have);

			sent += k;
			memmove(m, m + k, (have - k) * sizeof(m[0]));
			have -= k;
			if (k != 0)
				last = mh_now_ns();
		}
		struct mpdp_mbuf *r[DF_BURST];
		uint16_t k = mpdp_eth_rx_burst(p, q, r, DF_BURST);

		for (uint16_t i = 0; i < k; i++) {
			rx_one(r[i], got + i, &c);
			mpdp_mbuf_free(r[i]);
		}
		got += k;
		if (k != 0)
			last = mh_now_ns();
		else
			usleep(50);
	}
	for (unsigned int i = 0; i < have; i++)
		mpdp_mbuf_free(m[i]);
	mh_say("OK sent=%u received=%u bytes=%" PRIu64 " bad=%u segs=%u", sent, got, c.bytes, c.bad,
	       c.segs);
}

static void cmd_drain(const char *name, uint16_t q, unsigned int ms)
{
	struct mpdp_mbuf *r[DF_BURST];
	uint64_t last = mh_now_ns();
	unsigned int n = 0;
	uint16_t p;

	if (mh_port_of(name, &p) != 0)
		return;
	while (mh_now_ns() - last < (uint64_t)ms * 1000000ull) {
		uint16_t k = mpdp_eth_rx_burst(p, q, r, DF_BURST);

		for (uint16_t i = 0; i < k; i++)
			mpdp_mbuf_free(r[i]);
		n += k;
		if (k != 0)
			last = mh_now_ns();
		else
			usleep(100);
	}
	mh_say("OK drained=%u", n);
}

static int shell_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	uint16_t p;

	if (strcmp(c, "pool") == 0 && (argc == 3 || argc == 4)) {
		mh_cmd_pool(argv[1], (unsigned int)mh_num(argv[2]),
			    argc == 4 ? (unsigned int)mh_num(argv[3]) : MPDP_MBUF_DEFAULT_BUF_SIZE);
	} else if (strcmp(c, "inuse") == 0 && argc == 2) {
		mh_cmd_inuse(argv[1]);
	} else if (strcmp(c, "setup") == 0 && argc == 5) {
		mh_cmd_setup(argv[1], (uint16_t)mh_num(argv[2]), (uint16_t)mh_num(argv[3]),
			     argv[4]);
	} else if ((strcmp(c, "stop") == 0 || strcmp(c, "start") == 0) && argc == 2) {
		if (mh_port_of(argv[1], &p) == 0)
			mh_reply(c[2] == 'o' ? mpdp_eth_dev_stop(p) : mpdp_eth_dev_start(p), c);
	} else if (strcmp(c, "link") == 0 && argc == 2) {
		cmd_link(argv[1]);
	} else if ((strcmp(c, "claim") == 0 || strcmp(c, "release") == 0) && argc == 4) {
		mh_cmd_queue(c, argv[1], argv[2], argv[3]);
	} else if (strcmp(c, "tx") == 0 && (argc == 7 || argc == 8)) {
		df_cmd_tx(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
			  (unsigned int)mh_num(argv[4]), DF_MAX,
			  argc == 8 ? (unsigned int)mh_num(argv[7]) : 0, argv[5],
			  (uint32_t)mh_num(argv[6]));
	} else if (strcmp(c, "rx") == 0 && argc == 7) {
		cmd_rx(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
		       (unsigned int)mh_num(argv[4]), (uint32_t)mh_num(argv[5]),
		       (unsigned int)mh_num(argv[6]));
	} else if (strcmp(c, "echo") == 0 && (argc == 7 || argc == 8)) {
		cmd_echo(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
			 (unsigned int)mh_num(argv[4]), argv[5], (uint32_t)mh_num(argv[6]),
			 argc == 8 ? (unsigned int)mh_num(argv[7]) : 0);
	} else if (strcmp(c, "drain") == 0 && argc == 4) {
		cmd_drain(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]));
	} else if (strcmp(c, "stats") == 0 && argc == 2) {
		mh_cmd_stats(argv[1], 1);
	} else if (strcmp(c, "xstat") == 0 && argc == 3) {
		mh_cmd_xstat(argv[1], argv[2]);
	} else {
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	return mh_shell_main(argc, argv, usage, shell_cmd);
}
