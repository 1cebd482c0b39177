/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vh_shell.c - the mpdp side of the net_vhost tests: drv_shell.c's commands
 * (tests/drivers/drv_shell.c), with tx and rx that handle packets larger
 * than one mbuf (chains of up to 2000-byte segments, up to 9000 bytes) and
 * check them byte by byte. Built twice (-a, -b with other code in front), so
 * a secondary runs a different binary from its primary.
 *
 *   tx NAME Q N SIZE POOL TAG      send N packets of SIZE (12..9000) bytes
 *                                  (tag, seq, pattern), retrying up to 3 s
 *   rx NAME Q N TIMEOUT_MS TAG     receive up to N and check them: received=
 *                                  bytes= bad= port_ok= segs= (most segments seen)
 *   link NAME                      up=0|1
 *   ping NAME Q N SIZE TIMEOUT_MS POOL
 *                                  ARP for 10.99.0.2 (we are 10.99.0.1), then N
 *                                  ICMP echoes of SIZE bytes, replies checked:
 *                                  arp= replies= bad=
 *   plus ports, info, pool, setup, stop, close, claim, release, stats, xstat,
 *   memzones and the mp_helper.h commands.
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
#include <mpdp/mpdp_memzone.h>

#include "mp_helper.h"

#ifdef VH_SHELL_B
/* different code in front: no function of -b at the offset it has in -a */
volatile int vh_shell_b_pad;
void vh_shell_b_padding(void);
void vh_shell_b_padding(void)
{
	for (int i = 0; i < 128; i++)
		vh_shell_b_pad += i * vh_shell_b_pad + 7;
}
#endif

#define DS_BURST 32
#define DS_HDR   12 /* tag (4) + seq (8), then the pattern */

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

static void cmd_ports(void)
{
	char list[1024] = "";
	size_t len = 0;
	unsigned int n = 0;
	uint16_t p;

	for (p = mpdp_eth_port_next(0); p < MPDP_MAX_PORTS; p = mpdp_eth_port_next(p + 1)) {
		struct mpdp_eth_dev_info info;

		if (mpdp_eth_dev_info_get(p, &info) != 0)
			continue;
		n++;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s:%u:%d",
					len ? "," : "", info.name, p, info.available);
		if (len >= sizeof(list))
			break;
	}
	mh_say("OK n=%u list=%s", n, n ? list : "-");
}

static void cmd_info(const char *name)
{
	struct mpdp_eth_dev_info i;
	char mac[MPDP_ETHER_ADDR_FMT_SIZE];
	uint16_t p;
	int rc;

	if (mh_port_of(name, &p) != 0)
		return;
	rc = mpdp_eth_dev_info_get(p, &i);
	if (rc != 0) {
		mh_say_err(rc, "info %s", name);
		return;
	}
	mpdp_ether_addr_format(mac, sizeof(mac), &i.mac);
	mh_say("OK port=%u driver=%s state=%s available=%d link=%s speed=%u rxq=%u txq=%u maxq=%u "
	       "mindesc=%u maxdesc=%u mac=%s",
	       p, i.driver, mpdp_eth_state_name(i.state), i.available, i.link.up ? "up" : "down",
	       i.link.speed_mbps, i.nb_rx_queues, i.nb_tx_queues, i.max_rx_queues, i.min_desc,
	       i.max_desc, mac);
}

static void cmd_pool(const char *name, unsigned int n)
{
	struct mpdp_mempool *mp = mpdp_mempool_lookup(name, NULL);
	int err = 0;

	if (mp == NULL)
		mp = mpdp_mbuf_pool_create(name, n, 32, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL, &err);
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

static void cmd_tx(const char *name, uint16_t q, unsigned int n, unsigned int size,
		   const char *pool, uint32_t tag)
{
	struct mpdp_mempool *mp = mh_pool_of(pool);
	struct mpdp_mbuf *m[DS_BURST];
	unsigned int sent = 0, have = 0;
	uint64_t bytes = 0, deadline = 0;
	uint16_t p;

	if (mp == NULL || mh_port_of(name, &p) != 0)
		return;
	if (size < DS_HDR || size > 9000) {
		mh_say_err(-EINVAL, "size %u", size);
		return;
	}
	while (sent < n) {
		/* refill the burst: packets seq sent + have .. */
		while (have < DS_BURST && sent + have < n) {
			uint64_t seq = sent + have;
			uint8_t *d;

			uint8_t buf[9000];

			m[have] = mpdp_mbuf_alloc(mp);
			if (m[have] == NULL)
				break;
			memcpy(buf, &tag, 4);
			memcpy(buf + 4, &seq, 8);
			for (unsigned int i = DS_HDR; i < size; i++)
				buf[i] = pattern(seq, i);
			/* segments of at most 2000 bytes: a chain above that */
			for (unsigned int off = 0; off < size; off += 2000) {
				unsigned int k = size - off < 2000 ? size - off : 2000;
				struct mpdp_mbuf *s = m[have];

				if (off != 0) {
					s = mpdp_mbuf_alloc(mp);
					if (s == NULL || mpdp_mbuf_chain(m[have], s) != 0) {
						mpdp_mbuf_free(s);
						break;
					}
				}
				d = (uint8_t *)mpdp_mbuf_append(s, (uint16_t)k);
				memcpy(d, buf + off, k);
				if (off != 0)
					m[have]->pkt_len += k;
			}
			if (m[have]->pkt_len != size) {
				mpdp_mbuf_free(m[have]);
				break;
			}
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
		   uint32_t tag)
{
	struct mpdp_mbuf *m[DS_BURST];
	unsigned int got = 0, bad = 0, port_ok = 1, segs = 0;
	static uint8_t buf[16384];
	uint64_t bytes = 0, deadline;
	uint16_t p;

	if (mh_port_of(name, &p) != 0)
		return;
	deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (got < n) {
		unsigned int want = n - got < DS_BURST ? n - got : DS_BURST;
		uint16_t k = mpdp_eth_rx_burst(p, q, m, (uint16_t)want);

		for (uint16_t i = 0; i < k; i++) {
			const uint8_t *d = buf;
			uint64_t seq, want_seq = got + i;
			uint32_t t, len = m[i]->pkt_len;

			if (m[i]->port != p)
				port_ok = 0;
			bytes += len;
			if (m[i]->nb_segs > segs)
				segs = m[i]->nb_segs;
			if (len < DS_HDR || len > sizeof(buf) ||
			    mpdp_mbuf_copy_out(m[i], 0, buf, len) != len) {
				bad++;
				continue;
			}
			memcpy(&t, d, 4);
			memcpy(&seq, d + 4, 8);
			if (t != tag || seq != want_seq) {
				bad++;
				continue;
			}
			for (unsigned int j = DS_HDR; j < len; j++)
				if (d[j] != pattern(seq, j)) {
					bad++;
					break;
				}
		}
		mpdp_mbuf_free_bulk(m, k);
		got += k;
		if (k == 0) {
			if (now_ns() > deadline)
				break;
			usleep(200);
		}
	}
	mh_say("OK received=%u bytes=%" PRIu64 " bad=%u port_ok=%u segs=%u", got, bytes, bad,
	       port_ok, segs);
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
	       " ierrors=%" PRIu64 " nombuf=%" PRIu64,
	       st.ipackets, st.ibytes, st.opackets, st.obytes, st.ierrors, st.rx_nombuf);
}


/* ---- ping: ARP + ICMP echo to a guest kernel (the QEMU test) ---------------- */

static uint16_t csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static const uint8_t my_mac[6] = { 0x02, 0x76, 0x68, 0x00, 0x00, 0x01 };
static const uint8_t my_ip[4] = { 10, 99, 0, 1 };

static int send_frame(uint16_t p, uint16_t q, struct mpdp_mempool *mp, const uint8_t *f,
		      uint16_t len)
{
	struct mpdp_mbuf *m = mpdp_mbuf_alloc(mp);

	if (m == NULL)
		return -ENOMEM;
	memcpy(mpdp_mbuf_append(m, len), f, len);
	for (int i = 0; i < 1000; i++) {
		if (mpdp_eth_tx_burst(p, q, &m, 1) == 1)
			return 0;
		usleep(1000);
	}
	mpdp_mbuf_free(m);
	return -EAGAIN;
}

/*
 * Wait up to ms for a frame that match() accepts; copies it to buf.
 * Returns its length, or 0 on timeout.
 */
static uint32_t recv_frame(uint16_t p, uint16_t q, uint8_t *buf, uint32_t size, int ms,
			   int (*match)(const uint8_t *f, uint32_t len, const void *arg),
			   const void *arg)
{
	uint64_t deadline = now_ns() + (uint64_t)ms * 1000000ull;

	while (now_ns() < deadline) {
		struct mpdp_mbuf *m[DS_BURST];
		uint16_t k = mpdp_eth_rx_burst(p, q, m, DS_BURST);
		uint32_t found = 0;

		for (uint16_t i = 0; i < k; i++) {
			uint32_t len = m[i]->pkt_len;

			if (found == 0 && len <= size && mpdp_mbuf_copy_out(m[i], 0, buf, len) == len &&
			    match(buf, len, arg))
				found = len;
		}
		mpdp_mbuf_free_bulk(m, k);
		if (found != 0)
			return found;
		if (k == 0)
			usleep(200);
	}
	return 0;
}

static int is_arp_reply(const uint8_t *f, uint32_t len, const void *arg)
{
	(void)arg;
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2 &&
	       memcmp(f + 38, my_ip, 4) == 0;
}

static int is_echo_reply(const uint8_t *f, uint32_t len, const void *arg)
{
	const uint16_t *seq = arg;

	return len >= 42 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 1 && f[34] == 0 &&
	       (uint16_t)(f[40] << 8 | f[41]) == *seq && memcmp(f + 30, my_ip, 4) == 0;
}

/* ping NAME Q N SIZE TIMEOUT_MS: ARP for 10.99.0.2, then N echoes of SIZE data bytes. */
static void cmd_ping(const char *name, uint16_t q, unsigned int n, unsigned int size,
		     unsigned int timeout_ms, const char *pool)
{
	static uint8_t f[2048], r[2048];
	const uint8_t peer_ip[4] = { 10, 99, 0, 2 };
	struct mpdp_mempool *mp = mh_pool_of(pool);
	unsigned int replies = 0, bad = 0;
	uint8_t peer[6];
	uint16_t p, iplen;

	if (mp == NULL || mh_port_of(name, &p) != 0)
		return;
	if (size > 1472) {
		mh_say_err(-EINVAL, "size %u", size);
		return;
	}
	/* ARP request, repeated until answered (the guest may still be booting) */
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, my_mac, 6);
	f[12] = 0x08, f[13] = 0x06, f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0;
	f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;
	memcpy(f + 22, my_mac, 6);
	memcpy(f + 28, my_ip, 4);
	memcpy(f + 38, peer_ip, 4);
	{
		uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
		uint32_t len = 0;

		while (len == 0 && now_ns() < deadline) {
			(void)send_frame(p, q, mp, f, 60);
			len = recv_frame(p, q, r, sizeof(r), 500, is_arp_reply, NULL);
		}
		if (len == 0) {
			mh_say("OK arp=0 replies=0 bad=0");
			return;
		}
		memcpy(peer, r + 22, 6);
	}
	for (unsigned int i = 0; i < n; i++) {
		uint16_t seq = (uint16_t)(i + 1), c;
		uint32_t len;

		iplen = (uint16_t)(20 + 8 + size);
		memcpy(f, peer, 6);
		memcpy(f + 6, my_mac, 6);
		f[12] = 0x08, f[13] = 0x00;
		memset(f + 14, 0, 20);
		f[14] = 0x45, f[16] = (uint8_t)(iplen >> 8), f[17] = (uint8_t)iplen;
		f[18] = (uint8_t)(seq >> 8), f[19] = (uint8_t)seq, f[20] = 0x40, f[22] = 64, f[23] = 1;
		memcpy(f + 26, my_ip, 4);
		memcpy(f + 30, peer_ip, 4);
		c = csum16(f + 14, 20, 0);
		f[24] = (uint8_t)(c >> 8), f[25] = (uint8_t)c;
		memset(f + 34, 0, 8);
		f[34] = 8, f[38] = 0x12, f[39] = 0x34, f[40] = (uint8_t)(seq >> 8), f[41] = (uint8_t)seq;
		for (unsigned int j = 0; j < size; j++)
			f[42 + j] = pattern(seq, j);
		c = csum16(f + 34, 8 + size, 0);
		f[36] = (uint8_t)(c >> 8), f[37] = (uint8_t)c;
		if (send_frame(p, q, mp, f, (uint16_t)(14 + iplen < 60 ? 60 : 14 + iplen)) != 0)
			break;
		len = recv_frame(p, q, r, sizeof(r), 2000, is_echo_reply, &seq);
		if (len == 0)
			continue;
		replies++;
		if (len < 42u + size || memcmp(r + 42, f + 42, size) != 0)
			bad++;
	}
	mh_say("OK arp=1 replies=%u bad=%u", replies, bad);
}

static int count_mz(const struct mpdp_memzone *mz, void *arg)
{
	(void)mz;
	(void)arg;
	return 0;
}

static int shell_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	uint16_t p;

	if (strcmp(c, "ports") == 0 && argc == 1) {
		cmd_ports();
	} else if (strcmp(c, "info") == 0 && argc == 2) {
		cmd_info(argv[1]);
	} else if (strcmp(c, "pool") == 0 && argc == 3) {
		cmd_pool(argv[1], (unsigned int)num(argv[2]));
	} else if (strcmp(c, "inuse") == 0 && argc == 2) {
		struct mpdp_mempool *mp = mh_pool_of(argv[1]);

		if (mp != NULL)
			mh_say("OK in_use=%u", mpdp_mempool_in_use_count(mp));
	} else if (strcmp(c, "setup") == 0 && argc == 5) {
		cmd_setup(argv[1], (uint16_t)num(argv[2]), (uint16_t)num(argv[3]), argv[4]);
	} else if ((strcmp(c, "stop") == 0 || strcmp(c, "close") == 0) && argc == 2) {
		if (mh_port_of(argv[1], &p) == 0)
			mh_reply(c[0] == 's' ? mpdp_eth_dev_stop(p) : mpdp_eth_dev_close(p), c);
	} else if (strcmp(c, "hotplug") == 0 && argc == 2) {
		int rc = mpdp_eth_dev_hotplug_add(argv[1], &p);

		if (rc != 0)
			mh_say_err(rc, "hotplug %s", argv[1]);
		else
			mh_say("OK port=%u", p);
	} else if ((strcmp(c, "claim") == 0 || strcmp(c, "release") == 0) && argc == 4) {
		mh_cmd_queue(c, argv[1], argv[2], argv[3]);
	} else if (strcmp(c, "tx") == 0 && argc == 7) {
		cmd_tx(argv[1], (uint16_t)num(argv[2]), (unsigned int)num(argv[3]),
		       (unsigned int)num(argv[4]), argv[5], (uint32_t)num(argv[6]));
	} else if (strcmp(c, "rx") == 0 && argc == 6) {
		cmd_rx(argv[1], (uint16_t)num(argv[2]), (unsigned int)num(argv[3]),
		       (unsigned int)num(argv[4]), (uint32_t)num(argv[5]));
	} else if (strcmp(c, "ping") == 0 && argc == 7) {
		cmd_ping(argv[1], (uint16_t)num(argv[2]), (unsigned int)num(argv[3]),
			 (unsigned int)num(argv[4]), (unsigned int)num(argv[5]), argv[6]);
	} else if (strcmp(c, "link") == 0 && argc == 2) {
		struct mpdp_eth_dev_info i;

		if (mh_port_of(argv[1], &p) == 0) {
			int rc = mpdp_eth_dev_info_get(p, &i);

			if (rc != 0)
				mh_say_err(rc, "link %s", argv[1]);
			else
				mh_say("OK up=%u", i.link.up);
		}
	} else if (strcmp(c, "stats") == 0 && argc == 2) {
		cmd_stats(argv[1]);
	} else if (strcmp(c, "xstat") == 0 && argc == 3) {
		mh_cmd_xstat(argv[1], argv[2]);
	} else if (strcmp(c, "memzones") == 0 && argc == 1) {
		mh_say("OK n=%d", mpdp_memzone_walk(count_mz, NULL));
	} else {
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	return mh_shell_main(argc, argv, usage, shell_cmd);
}
