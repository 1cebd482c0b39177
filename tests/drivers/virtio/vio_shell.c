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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

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

#define VS_BURST 32
#define VS_HDR   12
#define VS_MAX   9000

static const char usage[] = "\nafter \"--\": shell\n";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned long num(const char *s)
{
	return strtoul(s, NULL, 0);
}

static uint8_t pattern(uint64_t seq, unsigned int i)
{
	return (uint8_t)(seq * 7 + i);
}

static void frame_fill(uint8_t *d, unsigned int size, uint32_t tag, uint64_t seq)
{
	memcpy(d, &tag, 4);
	memcpy(d + 4, &seq, 8);
	for (unsigned int i = VS_HDR; i < size; i++)
		d[i] = pattern(seq, i);
}

/* A frame as one mbuf, or a chain of seg-byte segments (seg 0: one). */
static struct mpdp_mbuf *frame_make(struct mpdp_mempool *mp, unsigned int size, unsigned int seg,
				    uint32_t tag, uint64_t seq)
{
	static uint8_t buf[VS_MAX];
	struct mpdp_mbuf *head = NULL, *last = NULL;
	unsigned int off = 0;

	frame_fill(buf, size, tag, seq);
	if (seg == 0)
		seg = size;
	while (off < size) {
		unsigned int k = size - off < seg ? size - off : seg;
		struct mpdp_mbuf *m = mpdp_mbuf_alloc(mp);
		char *d;

		if (m == NULL)
			goto err;
		d = k <= mpdp_mbuf_tailroom(m) ? mpdp_mbuf_append(m, (uint16_t)k) : NULL;
		if (d == NULL) {
			mpdp_mbuf_free(m);
			goto err;
		}
		memcpy(d, buf + off, k);
		if (head == NULL) {
			head = m;
		} else {
			last->next = mpdp_shm_off(m);
			head->nb_segs++;
			head->pkt_len += k;
		}
		last = m;
		off += k;
	}
	return head;
err:
	mpdp_mbuf_free(head);
	return NULL;
}

static void cmd_pool(const char *name, unsigned int n, unsigned int room)
{
	struct mpdp_mempool *mp = mpdp_mempool_lookup(name, NULL);
	int err = 0;

	if (mp == NULL)
		mp = mpdp_mbuf_pool_create(name, n, 32, 0, (uint16_t)room, NULL, &err);
	if (mp == NULL)
		mh_say_err(err, "pool %s", name);
	else
		mh_say("OK id=%u", mp->id);
}

static void cmd_setup(const char *name, uint16_t nrx, uint16_t ntx, const char *pool)
{
	struct mpdp_mempool *mp = mh_pool_of(pool);
	uint16_t p;
	int rc;

	if (mp == NULL || mh_port_of(name, &p) != 0)
		return;
	rc = mpdp_eth_dev_configure(p, nrx, ntx, NULL);
	for (uint16_t q = 0; rc == 0 && q < nrx; q++)
		rc = mpdp_eth_rx_queue_setup(p, q, 0, mp);
	for (uint16_t q = 0; rc == 0 && q < ntx; q++)
		rc = mpdp_eth_tx_queue_setup(p, q, 0);
	if (rc == 0)
		rc = mpdp_eth_dev_start(p);
	if (rc != 0)
		mh_say_err(rc, "setup %s", name);
	else
		mh_say("OK port=%u", p);
}

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

static void cmd_tx(const char *name, uint16_t q, unsigned int n, unsigned int size,
		   const char *pool, uint32_t tag, unsigned int seg)
{
	struct mpdp_mempool *mp = mh_pool_of(pool);
	struct mpdp_mbuf *m[VS_BURST];
	unsigned int sent = 0, have = 0;
	uint64_t bytes = 0, deadline = 0;
	uint16_t p;

	if (mp == NULL || mh_port_of(name, &p) != 0)
		return;
	if (size < VS_HDR || size > VS_MAX) {
		mh_say_err(-EINVAL, "size %u", size);
		return;
	}
	while (sent < n) {
		while (have < VS_BURST && sent + have < n) {
			m[have] = frame_make(mp, size, seg, tag, sent + have);
			if (m[have] == NULL)
				break;
			have++;
		}
		uint16_t k = mpdp_eth_tx_burst(p, q, m, (uint16_t)have);

		sent += k;
		bytes += (uint64_t)k * size;
		memmove(m, m + k, (have - k) * sizeof(m[0]));
		have -= k;
		if (k == 0) {
			uint64_t now = now_ns();

			if (deadline == 0)
				deadline = now + 3000000000ull;
			else if (now > deadline)
				break;
			usleep(200);
		} else {
			deadline = 0;
		}
	}
	for (unsigned int i = 0; i < have; i++)
		mpdp_mbuf_free(m[i]);
	mh_say("OK sent=%u bytes=%" PRIu64, sent, bytes);
}

static void cmd_rx(const char *name, uint16_t q, unsigned int n, unsigned int timeout_ms,
		   uint32_t tag, unsigned int size)
{
	static uint8_t buf[VS_MAX];
	struct mpdp_mbuf *m[VS_BURST];
	unsigned int got = 0, bad = 0, segs = 0;
	uint64_t bytes = 0, deadline, next = UINT64_MAX, first = 0;
	uint16_t p;

	if (mh_port_of(name, &p) != 0)
		return;
	deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (got < n) {
		unsigned int want = n - got < VS_BURST ? n - got : VS_BURST;
		uint16_t k = mpdp_eth_rx_burst(p, q, m, (uint16_t)want);

		for (uint16_t i = 0; i < k; i++) {
			uint32_t len = m[i]->pkt_len, t;
			uint64_t seq;

			bytes += len;
			segs += m[i]->nb_segs;
			if (len != size || len > VS_MAX || m[i]->port != p ||
			    mpdp_mbuf_copy_out(m[i], 0, buf, len) != len) {
				bad++;
				continue;
			}
			memcpy(&t, buf, 4);
			memcpy(&seq, buf + 4, 8);
			if (next == UINT64_MAX)
				next = first = seq;
			if (t != tag || seq != next) {
				bad++;
				next = seq + 1;
				continue;
			}
			next++;
			for (unsigned int j = VS_HDR; j < len; j++)
				if (buf[j] != pattern(seq, j)) {
					bad++;
					break;
				}
		}
		for (uint16_t i = 0; i < k; i++)
			mpdp_mbuf_free(m[i]);
		got += k;
		if (k == 0) {
			if (now_ns() > deadline)
				break;
			usleep(200);
		}
	}
	mh_say("OK received=%u bytes=%" PRIu64 " bad=%u segs=%u first=%" PRIu64, got, bytes, bad,
	       segs, first);
}

/* Check one received frame against the pattern; next is the seq expected. */
static int frame_ok(struct mpdp_mbuf *m, uint16_t p, uint32_t tag, unsigned int size,
		    uint64_t *next)
{
	static uint8_t buf[VS_MAX];
	uint32_t len = m->pkt_len, t;
	uint64_t seq;

	if (len != size || len > VS_MAX || m->port != p ||
	    mpdp_mbuf_copy_out(m, 0, buf, len) != len)
		return 0;
	memcpy(&t, buf, 4);
	memcpy(&seq, buf + 4, 8);
	if (t != tag || seq != *next) {
		*next = seq + 1;
		return 0;
	}
	(*next)++;
	for (unsigned int j = VS_HDR; j < len; j++)
		if (buf[j] != pattern(seq, j))
			return 0;
	return 1;
}

static void cmd_echo(const char *name, uint16_t q, unsigned int n, unsigned int size,
		     const char *pool, uint32_t tag, unsigned int seg)
{
	struct mpdp_mempool *mp = mh_pool_of(pool);
	struct mpdp_mbuf *m[VS_BURST];
	unsigned int sent = 0, got = 0, bad = 0, segs = 0, have = 0;
	uint64_t bytes = 0, next = 0, last = now_ns();
	uint16_t p;

	if (mp == NULL || mh_port_of(name, &p) != 0)
		return;
	if (size < VS_HDR || size > VS_MAX) {
		mh_say_err(-EINVAL, "size %u", size);
		return;
	}
	while (got < n && now_ns() - last < 5000000000ull) {
		/* transmit while fewer than 128 are out */
		while (have < VS_BURST && sent + have < n && sent + have - got < 64) {
			m[have] = frame_make(mp, size, seg, tag, sent + have);
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
				last = now_ns();
		}
		struct mpdp_mbuf *r[VS_BURST];
		uint16_t k = mpdp_eth_rx_burst(p, q, r, VS_BURST);

		for (uint16_t i = 0; i < k; i++) {
			bytes += r[i]->pkt_len;
			segs += r[i]->nb_segs;
			if (!frame_ok(r[i], p, tag, size, &next))
				bad++;
			mpdp_mbuf_free(r[i]);
		}
		got += k;
		if (k != 0)
			last = now_ns();
		else
			usleep(50);
	}
	for (unsigned int i = 0; i < have; i++)
		mpdp_mbuf_free(m[i]);
	mh_say("OK sent=%u received=%u bytes=%" PRIu64 " bad=%u segs=%u", sent, got, bytes, bad,
	       segs);
}

static void cmd_drain(const char *name, uint16_t q, unsigned int ms)
{
	struct mpdp_mbuf *r[VS_BURST];
	uint64_t last = now_ns();
	unsigned int n = 0;
	uint16_t p;

	if (mh_port_of(name, &p) != 0)
		return;
	while (now_ns() - last < (uint64_t)ms * 1000000ull) {
		uint16_t k = mpdp_eth_rx_burst(p, q, r, VS_BURST);

		for (uint16_t i = 0; i < k; i++)
			mpdp_mbuf_free(r[i]);
		n += k;
		if (k != 0)
			last = now_ns();
		else
			usleep(100);
	}
	mh_say("OK drained=%u", n);
}

static void cmd_stats(const char *name)
{
	struct mpdp_eth_stats st;
	uint16_t p;
	int rc;

	if (mh_port_of(name, &p) != 0)
		return;
	rc = mpdp_eth_stats_get(p, &st);
	if (rc != 0) {
		mh_say_err(rc, "stats %s", name);
		return;
	}
	mh_say("OK ipackets=%" PRIu64 " ibytes=%" PRIu64 " opackets=%" PRIu64 " obytes=%" PRIu64
	       " ierrors=%" PRIu64 " oerrors=%" PRIu64 " nombuf=%" PRIu64,
	       st.ipackets, st.ibytes, st.opackets, st.obytes, st.ierrors, st.oerrors,
	       st.rx_nombuf);
}

static int shell_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	uint16_t p;

	if (strcmp(c, "pool") == 0 && (argc == 3 || argc == 4)) {
		cmd_pool(argv[1], (unsigned int)num(argv[2]),
			 argc == 4 ? (unsigned int)num(argv[3]) : MPDP_MBUF_DEFAULT_BUF_SIZE);
	} else if (strcmp(c, "inuse") == 0 && argc == 2) {
		struct mpdp_mempool *mp = mh_pool_of(argv[1]);

		if (mp != NULL)
			mh_say("OK in_use=%u", mpdp_mempool_in_use_count(mp));
	} else if (strcmp(c, "setup") == 0 && argc == 5) {
		cmd_setup(argv[1], (uint16_t)num(argv[2]), (uint16_t)num(argv[3]), argv[4]);
	} else if ((strcmp(c, "stop") == 0 || strcmp(c, "start") == 0) && argc == 2) {
		if (mh_port_of(argv[1], &p) == 0)
			mh_reply(c[2] == 'o' ? mpdp_eth_dev_stop(p) : mpdp_eth_dev_start(p), c);
	} else if (strcmp(c, "link") == 0 && argc == 2) {
		cmd_link(argv[1]);
	} else if ((strcmp(c, "claim") == 0 || strcmp(c, "release") == 0) && argc == 4) {
		mh_cmd_queue(c, argv[1], argv[2], argv[3]);
	} else if (strcmp(c, "tx") == 0 && (argc == 7 || argc == 8)) {
		cmd_tx(argv[1], (uint16_t)num(argv[2]), (unsigned int)num(argv[3]),
		       (unsigned int)num(argv[4]), argv[5], (uint32_t)num(argv[6]),
		       argc == 8 ? (unsigned int)num(argv[7]) : 0);
	} else if (strcmp(c, "rx") == 0 && argc == 7) {
		cmd_rx(argv[1], (uint16_t)num(argv[2]), (unsigned int)num(argv[3]),
		       (unsigned int)num(argv[4]), (uint32_t)num(argv[5]),
		       (unsigned int)num(argv[6]));
	} else if (strcmp(c, "echo") == 0 && (argc == 7 || argc == 8)) {
		cmd_echo(argv[1], (uint16_t)num(argv[2]), (unsigned int)num(argv[3]),
			 (unsigned int)num(argv[4]), argv[5], (uint32_t)num(argv[6]),
			 argc == 8 ? (unsigned int)num(argv[7]) : 0);
	} else if (strcmp(c, "drain") == 0 && argc == 4) {
		cmd_drain(argv[1], (uint16_t)num(argv[2]), (unsigned int)num(argv[3]));
	} else if (strcmp(c, "stats") == 0 && argc == 2) {
		cmd_stats(argv[1]);
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
