/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_eth_capture.c - port capture (mpdp_eth_capture.h) across processes.
 *
 * One program, two roles. Without arguments it is the test: it starts
 * itself again as a primary, as secondary producers and as secondary
 * readers ("[runtime options] -- shell", commands on stdin as the other
 * helpers of tests/mp) and drives them. The primary owns net_ring0 in
 * loopback with two queues; it sends and receives on queue 0, a secondary
 * producer on queue 1 (claimed), so the copies are made in two processes.
 *
 *  1. A reader in a third process gets every packet both ways, byte for
 *     byte, with orig_len, direction, queue, port and a sane timestamp;
 *     a two-segment packet arrives as one flat copy. Counters agree.
 *  2. After stop, nobody copies any more (a new reader finds no stale copy),
 *     even a producer that has not synced yet.
 *  3. A second reader gets -EBUSY while the first lives.
 *  4. queue_mask and dirs select exactly the packets asked for.
 *  5. snaplen cuts copies, orig_len keeps the length on the wire.
 *  6. A reader that does not read: the ring fills (4095 copies), the rest
 *     are counted as dropped, captured + dropped is what was offered.
 *  7. SIGKILL of a reader with copies queued: the primary ends its capture
 *     (exit hook: the producers' fast-path bits go to 0), a new reader
 *     takes the port over and drops the earlier session's copies as stale.
 *  8. The primary itself as the reader.
 *  9. Closing the port ends the capture (active 0).
 *
 * Frames: dst 02:00:00:00:00:01, src 02:00:00:00:00:02, type 0x88B5, then
 * tag, seq, len (32-bit big-endian) and byte i = tag * 7 + seq + i.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_eth_capture.h>
#include <mpdp/mpdp_ethdev.h>

#include "../mp/mp_helper.h"
#include "mpdp_test.h"

#define PORT    0
#define HDR_LEN 26
#define BURST   32
#define MAX_SEQ 65536
#define T       10000

/* ================================================================ helper role */

static struct {
	struct mpdp_mempool *pool;
	struct mpdp_eth_capture *cap;
	uint32_t snaplen;
	uint8_t seen[2][2][MAX_SEQ / 8]; /* per direction and queue: seq numbers read */
} h;

static uint8_t frame_byte(uint32_t tag, uint32_t seq, uint32_t len, uint32_t i)
{
	static const uint8_t head[14] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5 };

	if (i < 14)
		return head[i];
	if (i < HDR_LEN) {
		uint32_t v = i < 18 ? tag : i < 22 ? seq : len;

		return (uint8_t)(v >> (24 - 8 * ((i - 14) % 4)));
	}
	return (uint8_t)(tag * 7u + seq + i);
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One frame of len bytes in segs segments (1 or 2), or NULL. */
static struct mpdp_mbuf *make_frame(uint32_t tag, uint32_t seq, uint32_t len, unsigned int segs)
{
	struct mpdp_mbuf *m = mpdp_mbuf_alloc(h.pool), *t;
	uint32_t first = segs == 2 ? len / 2 : len;
	uint8_t *d;

	if (m == NULL)
		return NULL;
	d = (uint8_t *)mpdp_mbuf_append(m, (uint16_t)first);
	for (uint32_t i = 0; i < first; i++)
		d[i] = frame_byte(tag, seq, len, i);
	if (segs == 2) {
		t = mpdp_mbuf_alloc(h.pool);
		if (t == NULL) {
			mpdp_mbuf_free(m);
			return NULL;
		}
		d = (uint8_t *)mpdp_mbuf_append(t, (uint16_t)(len - first));
		for (uint32_t i = first; i < len; i++)
			d[i - first] = frame_byte(tag, seq, len, i);
		(void)mpdp_mbuf_chain(m, t);
	}
	return m;
}

/* A received frame is intact (any segmentation). */
static int frame_ok(const struct mpdp_mbuf *m, uint32_t tag)
{
	uint8_t buf[4096];
	const uint8_t *d;

	if (m->pkt_len < HDR_LEN || m->pkt_len > sizeof(buf))
		return 0;
	d = mpdp_mbuf_read(m, 0, m->pkt_len, buf);
	if (d == NULL || be32_at(d + 14) != tag || be32_at(d + 22) != m->pkt_len)
		return 0;
	for (uint32_t i = 0; i < m->pkt_len; i++)
		if (d[i] != frame_byte(tag, be32_at(d + 18), m->pkt_len, i))
			return 0;
	return 1;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* loop Q N SIZE TAG SEGS: send N frames on queue Q and take them back. */
static void cmd_loop(uint16_t q, uint32_t n, uint32_t size, uint32_t tag, unsigned int segs)
{
	struct mpdp_mbuf *pkts[BURST];
	uint32_t sent = 0, received = 0, bad = 0;
	uint64_t end = mt_now_ms() + 10000;

	while ((sent < n || received < sent) && mt_now_ms() < end) {
		uint16_t k = 0, got;

		while (sent < n && k < BURST && sent + k < n) {
			pkts[k] = make_frame(tag, sent + k, size, segs);
			if (pkts[k] == NULL)
				break;
			k++;
		}
		if (k > 0) {
			uint16_t done = mpdp_eth_tx_burst(PORT, q, pkts, k);

			if (done < k)
				mpdp_mbuf_free_bulk(pkts + done, k - done);
			sent += done;
		}
		got = mpdp_eth_rx_burst(PORT, q, pkts, BURST);
		for (uint16_t i = 0; i < got; i++) {
			if (frame_ok(pkts[i], tag))
				received++;
			else
				bad++;
		}
		if (got > 0)
			mpdp_mbuf_free_bulk(pkts, got);
	}
	mpdp_mempool_cache_flush(h.pool);
	mh_say("OK sent=%u received=%u bad=%u", sent, received, bad);
}

/* cread N TIMEOUT_MS TAG: read copies until N (0: none expected) or the time is up. */
static void cmd_cread(uint32_t want, unsigned int timeout_ms, uint32_t tag)
{
	struct mpdp_mbuf *pkts[64];
	uint32_t n = 0, rx = 0, tx = 0, q0 = 0, q1 = 0, bad = 0, trunc = 0, dup = 0;
	uint32_t minseq = UINT32_MAX, maxseq = 0;
	uint64_t end = mt_now_ms() + timeout_ms, t_lo = realtime_ns() - 60000000000ull;
	char why[128] = "-";

	if (h.cap == NULL) {
		mh_say_err(-EINVAL, "no capture");
		return;
	}
	memset(h.seen, 0, sizeof(h.seen));
	while ((want == 0 || n < want) && mt_now_ms() < end) {
		uint16_t got = mpdp_eth_capture_read(h.cap, pkts, 64);
		uint64_t t_hi = realtime_ns();

		if (got == 0) {
			usleep(200);
			continue;
		}
		for (uint16_t k = 0; k < got; k++) {
			const struct mpdp_mbuf *m = pkts[k];
			const struct mpdp_eth_capture_meta *meta = mpdp_eth_capture_meta(m);
			const uint8_t *d = mpdp_mbuf_mtod(m, const uint8_t *);
			uint32_t cap = m->data_len, orig = meta->orig_len, seq, want_cap;
			int ok = 1, dir = meta->dir == MPDP_ETH_CAPTURE_TX;

			n++;
			want_cap = orig < h.snaplen ? orig : h.snaplen;
			if (cap < HDR_LEN || cap != want_cap || m->pkt_len != cap ||
			    m->nb_segs != 1 || meta->port != PORT || m->port != PORT ||
			    (meta->dir != MPDP_ETH_CAPTURE_RX &&
			     meta->dir != MPDP_ETH_CAPTURE_TX) ||
			    m->timestamp < t_lo || m->timestamp > t_hi) {
				snprintf(why, sizeof(why),
					 "cap=%u orig=%u snaplen=%u dir=%u port=%u", cap, orig,
					 h.snaplen, meta->dir, meta->port);
				bad++;
				continue;
			}
			seq = be32_at(d + 18);
			if (be32_at(d + 14) != tag || be32_at(d + 22) != orig)
				ok = 0;
			for (uint32_t i = 0; ok && i < cap; i++)
				ok = d[i] == frame_byte(tag, seq, orig, i);
			if (!ok) {
				snprintf(why, sizeof(why), "bytes differ: seq=%u len=%u", seq,
					 orig);
				bad++;
				continue;
			}
			trunc += cap < orig;
			rx += !dir;
			tx += dir;
			q0 += meta->queue == 0;
			q1 += meta->queue == 1;
			if (seq < MAX_SEQ && meta->queue < 2) {
				uint8_t *bits = h.seen[dir][meta->queue];

				dup += (bits[seq / 8] >> (seq % 8)) & 1;
				bits[seq / 8] |= (uint8_t)(1u << (seq % 8));
			}
			if (seq < minseq)
				minseq = seq;
			if (seq > maxseq)
				maxseq = seq;
		}
		mpdp_mbuf_free_bulk(pkts, got);
	}
	mh_say("OK n=%u rx=%u tx=%u q0=%u q1=%u bad=%u trunc=%u dup=%u minseq=%d maxseq=%u why=%s",
	       n, rx, tx, q0, q1, bad, trunc, dup, minseq == UINT32_MAX ? -1 : (int)minseq, maxseq,
	       why);
}

static int cap_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	int rc;

	if (strcmp(c, "setup") == 0 && argc == 2) {
		/* primary: the pool and port 0 with N queues each way */
		struct mpdp_eth_conf conf = { .promiscuous = 1 };
		uint16_t nq = (uint16_t)atoi(argv[1]);
		int err = 0;

		h.pool = mpdp_mbuf_pool_create("cap.test", 8191, 64, 0, MPDP_MBUF_DEFAULT_BUF_SIZE,
					       NULL, &err);
		rc = h.pool == NULL ? err : mpdp_eth_dev_configure(PORT, nq, nq, &conf);
		for (uint16_t q = 0; rc == 0 && q < nq; q++) {
			rc = mpdp_eth_rx_queue_setup(PORT, q, 1024, h.pool);
			if (rc == 0)
				rc = mpdp_eth_tx_queue_setup(PORT, q, 1024);
		}
		if (rc == 0)
			rc = mpdp_eth_dev_start(PORT);
		if (rc != 0)
			mh_say_err(rc, "setup");
		else
			mh_say("OK");
	} else if (strcmp(c, "mkpool") == 0 && argc == 2) {
		/* secondary producer: its own pool, claims on queue Q */
		char name[32];
		uint16_t q = (uint16_t)atoi(argv[1]);
		int err = 0;

		snprintf(name, sizeof(name), "cap.sec.%d", (int)getpid());
		h.pool = mpdp_mbuf_pool_create(name, 4096, 64, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL,
					       &err);
		rc = h.pool == NULL ? err : mpdp_eth_queue_claim(PORT, MPDP_ETH_RX, q);
		if (rc == 0)
			rc = mpdp_eth_queue_claim(PORT, MPDP_ETH_TX, q);
		if (rc != 0)
			mh_say_err(rc, "mkpool");
		else
			mh_say("OK");
	} else if (strcmp(c, "unclaim") == 0 && argc == 2) {
		uint16_t q = (uint16_t)atoi(argv[1]);

		rc = mpdp_eth_queue_release(PORT, MPDP_ETH_RX, q);
		if (rc == 0)
			rc = mpdp_eth_queue_release(PORT, MPDP_ETH_TX, q);
		if (rc != 0)
			mh_say_err(rc, "unclaim");
		else
			mh_say("OK");
	} else if (strcmp(c, "loop") == 0 && argc == 6) {
		cmd_loop((uint16_t)atoi(argv[1]), (uint32_t)strtoul(argv[2], NULL, 0),
			 (uint32_t)strtoul(argv[3], NULL, 0), (uint32_t)strtoul(argv[4], NULL, 0),
			 (unsigned int)atoi(argv[5]));
	} else if (strcmp(c, "cstart") == 0 && argc == 4) {
		struct mpdp_eth_capture_conf conf = {
			.dirs = (uint32_t)strtoul(argv[1], NULL, 0),
			.queue_mask = (uint32_t)strtoul(argv[2], NULL, 0),
			.snaplen = (uint32_t)strtoul(argv[3], NULL, 0),
		};

		if (h.cap != NULL) {
			mh_say_err(-EALREADY, "a capture runs here");
			return 1;
		}
		rc = mpdp_eth_capture_start(PORT, &conf, &h.cap);
		if (rc != 0) {
			mh_say_err(rc, "cstart");
		} else {
			h.snaplen = mpdp_eth_capture_snaplen(h.cap);
			mh_say("OK snaplen=%u", h.snaplen);
		}
	} else if (strcmp(c, "cread") == 0 && argc == 4) {
		cmd_cread((uint32_t)strtoul(argv[1], NULL, 0), (unsigned int)atoi(argv[2]),
			  (uint32_t)strtoul(argv[3], NULL, 0));
	} else if (strcmp(c, "cstats") == 0) {
		struct mpdp_eth_capture_stats st;

		mpdp_eth_capture_stats_get(h.cap, &st);
		mh_say("OK captured=%" PRIu64 " dropped=%" PRIu64 " stale=%" PRIu64 " bad=%" PRIu64
		       " active=%u",
		       st.captured, st.dropped, st.stale, st.bad, st.active);
	} else if (strcmp(c, "cstop") == 0) {
		rc = mpdp_eth_capture_stop(h.cap);
		h.cap = NULL;
		if (rc != 0)
			mh_say_err(rc, "cstop");
		else
			mh_say("OK");
	} else if (strcmp(c, "bits") == 0) {
		mh_say("OK bits=%u",
		       atomic_load_explicit(&mpdp_eth_fp_[PORT].capture, memory_order_relaxed));
	} else if (strcmp(c, "sync") == 0) {
		mpdp_eth_dev_sync();
		mh_say("OK");
	} else if (strcmp(c, "close") == 0) {
		rc = mpdp_eth_dev_stop(PORT);
		if (rc == 0)
			rc = mpdp_eth_dev_close(PORT);
		if (rc != 0)
			mh_say_err(rc, "close");
		else
			mh_say("OK");
	} else {
		return 0;
	}
	return 1;
}

static int helper_main(int argc, char **argv)
{
	struct mpdp_heap_info hi;
	int n;

	mh_setup();
	mh_block_term();
	n = mpdp_init(argc, argv);
	if (n < 0)
		return mpdp_init_failed(n, NULL);
	mpdp_heap_info(&hi);
	mh_say("READY %d %p %zu proc_id=%d lcores=%u", (int)getpid(), hi.base, hi.len,
	       mpdp_proc_id(), mpdp_lcore_main());
	mh_loop(cap_cmd, -1, NULL);
	if (h.cap != NULL)
		(void)mpdp_eth_capture_stop(h.cap);
	mpdp_cleanup();
	return 0;
}

/* ================================================================ test role */

static char self[PATH_MAX];
static char line[4096];

/* A command to a helper, its reply in line: OK wanted, else the test fails. */
#define ok(p, ...) mt_cmd_ok(p, line, sizeof(line), 20000, __VA_ARGS__)

static unsigned long long f(const char *key)
{
	return mt_field_ull(line, key);
}

static void start(struct mt_proc *p, const char *label, const char *type, const struct mt_env *env)
{
	struct mt_ready r;

	if (strcmp(type, "primary") == 0)
		mt_start_program(p, label, self, type, "shell", env, &r, "--mem", "128M", "--vdev",
				 "net_ring0,queues=2", NULL);
	else
		mt_start_program(p, label, self, type, "shell", env, &r, NULL);
}

/* loop on queue q of process p: every frame back. */
static void loop(struct mt_proc *p, int q, unsigned int n, unsigned int size, unsigned int tag,
		 int segs)
{
	ok(p, "loop %d %u %u %u %d", q, n, size, tag, segs);
	MT_CHECK(f("sent") == n && f("received") == n && f("bad") == 0, "%s loop: %s", p->label,
		 line);
}

/* Wait until process p's fast-path capture bits are want. */
static void bits_until(struct mt_proc *p, unsigned int want)
{
	MT_CHECK(mt_cmd_until(p, line, sizeof(line), 5000, "bits", want, "bits") == 1,
		 "%s: capture bits not %u within 5 s: %s", p->label, want, line);
}

static void expect_copies(struct mt_proc *r, unsigned int tag, unsigned int n, unsigned int rx,
			  unsigned int tx, unsigned int q0, unsigned int q1, unsigned int trunc)
{
	ok(r, "cread %u 5000 %u", n, tag);
	MT_CHECK(f("n") == n && f("rx") == rx && f("tx") == tx && f("q0") == q0 && f("q1") == q1 &&
			 f("bad") == 0 && f("dup") == 0 && f("trunc") == trunc,
		 "tag %u: want n=%u rx=%u tx=%u q0=%u q1=%u trunc=%u, got: %s", tag, n, rx, tx, q0,
		 q1, trunc, line);
	/* and nothing more */
	ok(r, "cread 0 300 %u", tag);
	MT_CHECK(f("n") == 0, "tag %u: copies beyond the %u expected: %s", tag, n, line);
}

int main(int argc, char **argv)
{
	struct mt_env env;
	struct mt_proc prim, prod, r1, r2, r3, r4;
	ssize_t len;

	if (mh_subcommand(argc, argv) != NULL)
		return helper_main(argc, argv);

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0) {
		fprintf(stderr, "cannot read /proc/self/exe\n");
		return 1;
	}
	self[len] = '\0';
	mt_init("eth_capture", 120);
	mt_env_init(&env, "ecap");

	start(&prim, "primary", "primary", &env);
	ok(&prim, "setup 2");
	start(&prod, "producer", "secondary", &env);
	ok(&prod, "mkpool 1");
	start(&r1, "reader1", "secondary", &env);

	/* 1. both ways, both producers, byte for byte */
	ok(&r1, "cstart 0 0 0");
	MT_CHECK(f("snaplen") == 2048, "default snaplen: %s", line);
	bits_until(&prod, MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX);
	loop(&prim, 0, 1000, 128, 1, 1);
	expect_copies(&r1, 1, 2000, 1000, 1000, 2000, 0, 0);
	loop(&prod, 1, 500, 300, 2, 2); /* two segments each */
	expect_copies(&r1, 2, 1000, 500, 500, 0, 1000, 0);
	ok(&r1, "cstats");
	MT_CHECK(f("captured") == 3000 && f("dropped") == 0 && f("stale") == 0 && f("bad") == 0 &&
			 f("active") == 1,
		 "counters after 3000 copies: %s", line);

	/* 2. stop: no copies afterwards, even from a producer not synced yet */
	ok(&r1, "cstop");
	loop(&prod, 1, 100, 64, 3, 1);
	loop(&prim, 0, 100, 64, 3, 1);
	start(&r2, "reader2", "secondary", &env);
	ok(&r2, "cstart 0 0 0");
	ok(&r2, "cread 0 300 3");
	MT_CHECK(f("n") == 0, "copies after stop reached the next reader: %s", line);
	ok(&r2, "cstats");
	MT_CHECK(f("stale") == 0 && f("captured") == 0, "copies made after stop: %s", line);

	/* 3. one reader at a time */
	MT_CHECK(mt_cmd(&r1, line, sizeof(line), T, "cstart 0 0 0") == -1 &&
			 mt_has_word(line, "EBUSY"),
		 "a second reader was not refused with EBUSY: %s", line);

	/* 4. queue_mask and dirs */
	ok(&r2, "cstop");
	ok(&r2, "cstart %u 0x2 0", MPDP_ETH_CAPTURE_RX);
	bits_until(&prod, MPDP_ETH_CAPTURE_RX);
	loop(&prim, 0, 200, 64, 4, 1);
	loop(&prod, 1, 150, 64, 4, 1);
	expect_copies(&r2, 4, 150, 150, 0, 0, 150, 0);
	ok(&r2, "cstop");
	ok(&r2, "cstart %u 0x1 0", MPDP_ETH_CAPTURE_TX);
	bits_until(&prod, MPDP_ETH_CAPTURE_TX);
	loop(&prim, 0, 120, 64, 5, 1);
	loop(&prod, 1, 80, 64, 5, 1);
	expect_copies(&r2, 5, 120, 0, 120, 120, 0, 0);

	/* 5. snaplen */
	ok(&r2, "cstop");
	ok(&r2, "cstart 0 0 100");
	MT_CHECK(f("snaplen") == 100, "snaplen 100 asked: %s", line);
	bits_until(&prod, MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX);
	loop(&prim, 0, 50, 1000, 6, 1);
	loop(&prod, 1, 50, 1500, 6, 2);
	expect_copies(&r2, 6, 200, 100, 100, 100, 100, 200);

	/* 6. a reader that does not read: the ring fills, the rest is counted */
	ok(&r2, "cstop");
	ok(&r2, "cstart %u 0x1 0", MPDP_ETH_CAPTURE_TX);
	loop(&prim, 0, 5000, 64, 7, 1);
	ok(&r2, "cstats");
	MT_CHECK(f("captured") == 4095 && f("dropped") == 5000 - 4095,
		 "5000 offered to a ring of 4095 unread: %s", line);
	ok(&r2, "cread 4095 5000 7");
	MT_CHECK(f("n") == 4095 && f("tx") == 4095 && f("minseq") == 0 && f("maxseq") == 4094 &&
			 f("bad") == 0 && f("dup") == 0,
		 "the first 4095 in order: %s", line);
	ok(&r2, "cstop");
	mt_send(&r2, "quit");
	mt_expect_exit(&r2, 0, T);
	mt_proc_fini(&r2);

	/* 7. SIGKILL of a reader with copies queued; the next one takes over */
	start(&r3, "reader3", "secondary", &env);
	ok(&r3, "cstart 0 0 0");
	bits_until(&prod, MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX);
	loop(&prim, 0, 100, 64, 8, 1);
	mt_kill(&r3, SIGKILL);
	mt_wait_exit(&r3, T);
	bits_until(&prod, 0); /* the primary ended the capture: its exit hook ran */
	mt_proc_fini(&r3);
	start(&r4, "reader4", "secondary", &env);
	ok(&r4, "cstart 0 0 0");
	ok(&r4, "cread 0 300 8");
	MT_CHECK(f("n") == 0, "copies of the killed reader's session were delivered: %s", line);
	ok(&r4, "cstats");
	MT_CHECK(f("stale") == 200, "200 stale copies expected: %s", line);
	bits_until(&prod, MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX);
	loop(&prim, 0, 30, 64, 9, 1);
	loop(&prod, 1, 20, 64, 9, 1);
	expect_copies(&r4, 9, 100, 50, 50, 60, 40, 0);
	ok(&r4, "cstop");

	/* 8. the primary as the reader */
	ok(&prim, "cstart 0 0 0");
	bits_until(&prod, MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX);
	loop(&prim, 0, 10, 64, 10, 1);
	loop(&prod, 1, 10, 64, 10, 1);
	expect_copies(&prim, 10, 40, 20, 20, 20, 20, 0);
	ok(&prim, "cstop");

	/* 9. closing the port ends the capture */
	ok(&r4, "cstart 0 0 0");
	ok(&prod, "unclaim 1");
	ok(&prim, "close");
	MT_CHECK(mt_cmd_until(&r4, line, sizeof(line), 5000, "active", 0, "cstats") == 1,
		 "the capture is still active after the port closed: %s", line);
	ok(&r4, "cstop");

	mt_stop(&r4, T);
	mt_stop(&r1, T);
	mt_stop(&prod, T);
	mt_stop(&prim, T);
	mt_proc_fini(&r4);
	mt_proc_fini(&r1);
	mt_proc_fini(&prod);
	mt_proc_fini(&prim);
	mt_env_fini(&env);
	return mt_done();
}
