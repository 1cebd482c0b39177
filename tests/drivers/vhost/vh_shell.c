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
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "drv_frames.h"
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

#define VH_SEG 2000 /* the largest segment tx makes: a chain above that */

static const char usage[] = "\nafter \"--\": shell\n";

static void cmd_rx(const char *name, uint16_t q, unsigned int n, unsigned int timeout_ms,
		   uint32_t tag)
{
	struct df_rx_count c = { .tag = tag, .port_ok = 1 };
	unsigned int got;

	if (mh_port_of(name, &c.port) != 0)
		return;
	got = df_rx(c.port, q, n, timeout_ms, df_rx_in_order, &c);
	mh_say("OK received=%u bytes=%" PRIu64 " bad=%u port_ok=%u segs=%u", got, c.bytes, c.bad,
	       c.port_ok, c.max_segs);
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
	uint64_t deadline = mh_now_ns() + (uint64_t)ms * 1000000ull;

	while (mh_now_ns() < deadline) {
		struct mpdp_mbuf *m[DF_BURST];
		uint16_t k = mpdp_eth_rx_burst(p, q, m, DF_BURST);
		uint32_t found = 0;

		for (uint16_t i = 0; i < k; i++) {
			uint32_t len = m[i]->pkt_len;

			if (found == 0 && len <= size &&
			    mpdp_mbuf_copy_out(m[i], 0, buf, len) == len && match(buf, len, arg))
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
		uint64_t deadline = mh_now_ns() + (uint64_t)timeout_ms * 1000000ull;
		uint32_t len = 0;

		while (len == 0 && mh_now_ns() < deadline) {
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
		f[18] = (uint8_t)(seq >> 8), f[19] = (uint8_t)seq, f[20] = 0x40, f[22] = 64,
		f[23] = 1;
		memcpy(f + 26, my_ip, 4);
		memcpy(f + 30, peer_ip, 4);
		c = csum16(f + 14, 20, 0);
		f[24] = (uint8_t)(c >> 8), f[25] = (uint8_t)c;
		memset(f + 34, 0, 8);
		f[34] = 8, f[38] = 0x12, f[39] = 0x34, f[40] = (uint8_t)(seq >> 8),
		f[41] = (uint8_t)seq;
		for (unsigned int j = 0; j < size; j++)
			f[42 + j] = df_pattern(seq, j);
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

static int shell_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	uint16_t p;

	if (strcmp(c, "tx") == 0 && argc == 7) {
		df_cmd_tx(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
			  (unsigned int)mh_num(argv[4]), DF_MAX, VH_SEG, argv[5],
			  (uint32_t)mh_num(argv[6]));
	} else if (strcmp(c, "rx") == 0 && argc == 6) {
		cmd_rx(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
		       (unsigned int)mh_num(argv[4]), (uint32_t)mh_num(argv[5]));
	} else if (strcmp(c, "ping") == 0 && argc == 7) {
		cmd_ping(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
			 (unsigned int)mh_num(argv[4]), (unsigned int)mh_num(argv[5]), argv[6]);
	} else if (strcmp(c, "link") == 0 && argc == 2) {
		struct mpdp_eth_dev_info i;

		if (mh_port_of(argv[1], &p) == 0) {
			int rc = mpdp_eth_dev_info_get(p, &i);

			if (rc != 0)
				mh_say_err(rc, "link %s", argv[1]);
			else
				mh_say("OK up=%u", i.link.up);
		}
	} else {
		return mh_port_cmd(argc, argv);
	}
	return 1;
}

int main(int argc, char **argv)
{
	return mh_shell_main(argc, argv, usage, shell_cmd);
}
