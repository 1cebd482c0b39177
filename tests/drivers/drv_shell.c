/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drv_shell.c - the helper program of the driver multi-process tests. Built
 * three times, each a PIE with its own copy of the library:
 *   mpdp-test-drv-a     every driver
 *   mpdp-test-drv-b     every driver, other code in front (no function at the
 *                       offset it has in -a)
 *   mpdp-test-drv-null  net_null only: a secondary that lacks net_ring
 * Any of them runs as primary or secondary.
 *
 *   mpdp-test-drv-X [runtime options] -- shell
 *     prints "READY <pid> <heap base> <heap len> proc_id=N" and serves:
 *
 *   ports                          n= list=NAME:ID:AVAILABLE,...
 *   info NAME                      port= driver= state= available= link= speed=
 *                                  rxq= txq= maxq= mindesc= maxdesc= mac=
 *   pool NAME N                    mbuf pool of N (created, or looked up when it
 *                                  exists): id=
 *   inuse POOL                     in_use=
 *   setup NAME NRX NTX POOL        configure, set up every queue, start
 *   stop NAME | close NAME | hotplug DEVARGS (port=)
 *   claim NAME rx|tx Q | release NAME rx|tx Q
 *   tx NAME Q N SIZE POOL TAG      send N packets of SIZE bytes (tag, seq 0..N-1
 *                                  and a pattern), retrying up to 3 s: sent= bytes=
 *   rx NAME Q N TIMEOUT_MS TAG     receive up to N (until the timeout), check and
 *                                  free them: received= bytes= bad= port_ok=
 *   stats NAME                     ipackets= ibytes= opackets= obytes= ierrors=
 *                                  nombuf=
 *   xstat NAME XNAME               value=
 *   memzones                       n=
 *   plus the mp_helper.h commands (procs, quit, ...).
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

#ifdef DRV_SHELL_B
/* different code in front: no function of -b at the offset it has in -a */
volatile int drv_shell_b_pad;
void drv_shell_b_padding(void);
void drv_shell_b_padding(void)
{
	for (int i = 0; i < 128; i++)
		drv_shell_b_pad += i * drv_shell_b_pad + 7;
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
	if (size < DS_HDR || size > 2048) {
		mh_say_err(-EINVAL, "size %u", size);
		return;
	}
	while (sent < n) {
		/* refill the burst: packets seq sent + have .. */
		while (have < DS_BURST && sent + have < n) {
			uint64_t seq = sent + have;
			uint8_t *d;

			m[have] = mpdp_mbuf_alloc(mp);
			if (m[have] == NULL)
				break;
			d = (uint8_t *)mpdp_mbuf_append(m[have], (uint16_t)size);
			memcpy(d, &tag, 4);
			memcpy(d + 4, &seq, 8);
			for (unsigned int i = DS_HDR; i < size; i++)
				d[i] = pattern(seq, i);
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
	unsigned int got = 0, bad = 0, port_ok = 1;
	uint64_t bytes = 0, deadline;
	uint16_t p;

	if (mh_port_of(name, &p) != 0)
		return;
	deadline = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (got < n) {
		unsigned int want = n - got < DS_BURST ? n - got : DS_BURST;
		uint16_t k = mpdp_eth_rx_burst(p, q, m, (uint16_t)want);

		for (uint16_t i = 0; i < k; i++) {
			const uint8_t *d = mpdp_mbuf_mtod(m[i], const uint8_t *);
			uint64_t seq, want_seq = got + i;
			uint32_t t;

			if (m[i]->port != p)
				port_ok = 0;
			bytes += m[i]->pkt_len;
			if (m[i]->pkt_len != m[i]->data_len || m[i]->pkt_len < DS_HDR) {
				bad++;
				continue;
			}
			memcpy(&t, d, 4);
			memcpy(&seq, d + 4, 8);
			if (t != tag || seq != want_seq) {
				bad++;
				continue;
			}
			for (unsigned int j = DS_HDR; j < m[i]->data_len; j++)
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
	mh_say("OK received=%u bytes=%" PRIu64 " bad=%u port_ok=%u", got, bytes, bad, port_ok);
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
