/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_drv_ring.c - net_ring in one process: loopback (every burst size
 * 1..64, byte-exact data, order, counters), a full ring (partial tx, the
 * ring-full and ring-count xstats), pairs (tx on A arrives on B and back, on
 * every queue), devargs and pairing errors (nothing left behind), close
 * (rings and state freed, packets in them freed, the peer unpaired; rings a
 * configured peer still points into are kept until it reconfigures or
 * closes), re-pairing, and reconfiguration.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_ring.h>

#include "drv_util.h"

static struct mpdp_mempool *pool;

/* Send n packets of size on (tp, tq), expect them in order on (rp, rq). */
static void send_recv(uint16_t tp, uint16_t tq, uint16_t rp, uint16_t rq, unsigned int n,
		      uint16_t size, uint32_t tag)
{
	struct mpdp_mbuf *pkts[64];
	unsigned int got = 0;

	REQUIRE(n <= 64);
	for (unsigned int i = 0; i < n; i++)
		REQUIRE((pkts[i] = du_pkt(pool, size, tag, i)) != NULL);
	CHECK_EQ(mpdp_eth_tx_burst(tp, tq, pkts, (uint16_t)n), n);
	memset(pkts, 0, sizeof(pkts));
	/* in two bursts when there are several: what is left stays queued */
	if (n > 1)
		got = mpdp_eth_rx_burst(rp, rq, pkts, (uint16_t)(n / 2));
	got += mpdp_eth_rx_burst(rp, rq, pkts + got, (uint16_t)(64 - got));
	CHECK_EQ(got, n);
	for (unsigned int i = 0; i < got; i++) {
		/* like DPDK's net_ring, receive leaves m->port alone (no mbuf store) */
		CHECK(du_pkt_ok(pkts[i], size, tag, i));
	}
	mpdp_mbuf_free_bulk(pkts, got);
}

static void test_loopback(void)
{
	struct mpdp_eth_dev_info info;
	struct mpdp_eth_stats st;
	uint16_t p = du_port("net_ring0");
	uint64_t pk = 0, by = 0;
	unsigned int in_use0 = mpdp_mempool_in_use_count(pool);

	REQUIRE(mpdp_eth_dev_info_get(p, &info) == 0);
	CHECK(strcmp(info.driver, "net_ring") == 0);
	CHECK_EQ(info.max_rx_queues, 2);
	CHECK_EQ(info.min_desc, 1);
	CHECK_EQ(info.max_desc, 1024);
	CHECK_EQ(info.link.up, 1);
	CHECK_EQ(info.mac.bytes[5], p);

	REQUIRE(du_setup(p, 2, 2, pool) == 0);
	for (unsigned int n = 1; n <= 64; n++) {
		uint16_t q = (uint16_t)(n % 2);
		uint16_t size = (uint16_t)(60 + n * 7);

		send_recv(p, q, p, q, n, size, 0x100 + n);
		pk += n;
		by += (uint64_t)n * size;
	}
	CHECK_EQ(mpdp_eth_rx_burst(p, 0, (struct mpdp_mbuf *[1]){ NULL }, 1), 0);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.ipackets, pk);
	CHECK_EQ(st.opackets, pk);
	CHECK_EQ(st.ibytes, by);
	CHECK_EQ(st.obytes, by);
	CHECK_EQ(st.ierrors, 0);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);
	CHECK_EQ(du_xstat(p, "rx_q0_ring_count"), 0);
	CHECK_EQ(du_xstat(p, "tx_q1_ring_full"), 0);
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
}

static void test_full(void)
{
	struct mpdp_mbuf *pkts[100];
	struct mpdp_eth_stats st;
	uint16_t p;
	unsigned int in_use0 = mpdp_mempool_in_use_count(pool);

	REQUIRE(mpdp_eth_dev_hotplug_add("net_ring1,size=64", &p) == 0);
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	for (unsigned int i = 0; i < 100; i++)
		REQUIRE((pkts[i] = du_pkt(pool, 64, 7, i)) != NULL);
	/* 64 fit: the caller keeps the other 36 */
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, pkts, 100), 64);
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, pkts + 64, 36), 0);
	CHECK_EQ(du_xstat(p, "rx_q0_ring_count"), 64);
	CHECK_EQ(du_xstat(p, "tx_q0_ring_full"), 72);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.opackets, 64);
	CHECK_EQ(st.obytes, 0); /* without bytes=1 the ring counts packets only, as DPDK's */
	CHECK_EQ(mpdp_eth_xstats_reset(p), 0);
	CHECK_EQ(du_xstat(p, "tx_q0_ring_full"), 0);
	CHECK_EQ(du_xstat(p, "rx_q0_ring_count"), 64);

	struct mpdp_mbuf *rx[64];
	unsigned int got = 0, k;

	while ((k = mpdp_eth_rx_burst(p, 0, rx, 64)) != 0) {
		for (unsigned int i = 0; i < k; i++)
			CHECK(du_pkt_ok(rx[i], 64, 7, got + i));
		mpdp_mbuf_free_bulk(rx, k);
		got += k;
	}
	CHECK_EQ(got, 64);
	/* room again: the rest goes */
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, pkts + 64, 36), 36);
	CHECK_EQ(du_xstat(p, "rx_q0_ring_count"), 36);
	/* closed with packets in its ring: they are freed with it */
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	CHECK_EQ(mpdp_eth_dev_close(p), 0);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);
}

static void test_pair(void)
{
	struct mpdp_eth_stats sa, sb;
	struct mpdp_eth_dev_info info;
	uint16_t a, b;
	int mz0 = du_mz_count();

	REQUIRE(mpdp_eth_dev_hotplug_add("net_ringA,queues=3,bytes=1", &a) == 0);
	REQUIRE(mpdp_eth_dev_hotplug_add("net_ringB,queues=3,peer=net_ringA,bytes=1", &b) == 0);
	/* 3 rings and a state memzone each */
	CHECK_EQ(du_mz_count(), mz0 + 8);
	REQUIRE(du_setup(a, 3, 3, pool) == 0);
	REQUIRE(du_setup(b, 3, 3, pool) == 0);
	for (uint16_t q = 0; q < 3; q++) {
		send_recv(a, q, b, q, 33, 100, 0xa00 + q);
		send_recv(b, q, a, q, 17, 200, 0xb00 + q);
	}
	/* nothing looped back */
	for (uint16_t q = 0; q < 3; q++) {
		CHECK_EQ(du_xstat(a, q == 0 ? "rx_q0_ring_count" :
				     q == 1 ? "rx_q1_ring_count" :
					      "rx_q2_ring_count"),
			 0);
	}
	REQUIRE(mpdp_eth_stats_get(a, &sa) == 0);
	REQUIRE(mpdp_eth_stats_get(b, &sb) == 0);
	CHECK_EQ(sa.opackets, 99);
	CHECK_EQ(sa.obytes, 9900);
	CHECK_EQ(sb.ipackets, 99);
	CHECK_EQ(sb.ibytes, 9900);
	CHECK_EQ(sb.opackets, 51);
	CHECK_EQ(sa.ipackets, 51);
	CHECK_EQ(sa.ibytes, 51 * 200);

	/* either side can be a peer only once */
	DU_HOTPLUG_FAILS("net_ringC,peer=net_ringA", -EBUSY);

	/* close B while A has tx queues: B's rings stay until A reconfigures */
	CHECK_EQ(mpdp_eth_dev_stop(b), 0);
	CHECK_EQ(mpdp_eth_dev_close(b), 0);
	CHECK_EQ(du_mz_count(), mz0 + 4 + 3);
	REQUIRE(mpdp_eth_dev_info_get(a, &info) == 0);
	CHECK_EQ(info.link.up, 0);
	/* a name whose rings are still held cannot be reused yet */
	DU_HOTPLUG_FAILS("net_ringB", -EEXIST);
	CHECK_EQ(mpdp_eth_dev_stop(a), 0);
	REQUIRE(du_setup(a, 1, 1, pool) == 0);
	CHECK_EQ(du_mz_count(), mz0 + 4);
	/* A has no peer now: its tx sends nothing, the caller keeps the packets */
	struct mpdp_mbuf *m = du_pkt(pool, 64, 1, 0);
	REQUIRE(m != NULL);
	CHECK_EQ(mpdp_eth_tx_burst(a, 0, &m, 1), 0);
	mpdp_mbuf_free(m);
	CHECK_EQ(mpdp_eth_dev_stop(a), 0);
	CHECK_EQ(mpdp_eth_dev_close(a), 0);
	CHECK_EQ(du_mz_count(), mz0);
}

static void test_close_ready_and_repair(void)
{
	struct mpdp_eth_dev_info info;
	uint16_t a, b, c;
	int mz0 = du_mz_count();
	unsigned int in_use0 = mpdp_mempool_in_use_count(pool);

	/* A closed while B is ready: A's rings go at once, B is free to pair again */
	REQUIRE(mpdp_eth_dev_hotplug_add("net_ringA", &a) == 0);
	REQUIRE(mpdp_eth_dev_hotplug_add("net_ringB,peer=net_ringA", &b) == 0);
	CHECK_EQ(mpdp_eth_dev_close(a), 0);
	CHECK_EQ(du_mz_count(), mz0 + 2);
	REQUIRE(mpdp_eth_dev_info_get(b, &info) == 0);
	CHECK_EQ(info.link.up, 0);
	REQUIRE(mpdp_eth_dev_hotplug_add("net_ringC,peer=net_ringB", &c) == 0);
	REQUIRE(mpdp_eth_dev_info_get(b, &info) == 0);
	CHECK_EQ(info.link.up, 1);
	REQUIRE(du_setup(b, 1, 1, pool) == 0);
	REQUIRE(du_setup(c, 1, 1, pool) == 0);
	send_recv(b, 0, c, 0, 5, 80, 3);
	send_recv(c, 0, b, 0, 6, 90, 4);

	/* both closed with packets in flight: everything is freed */
	struct mpdp_mbuf *pkts[10];
	for (unsigned int i = 0; i < 10; i++)
		REQUIRE((pkts[i] = du_pkt(pool, 64, 5, i)) != NULL);
	CHECK_EQ(mpdp_eth_tx_burst(b, 0, pkts, 5), 5);
	CHECK_EQ(mpdp_eth_tx_burst(c, 0, pkts + 5, 5), 5);
	CHECK_EQ(mpdp_eth_dev_stop(b), 0);
	CHECK_EQ(mpdp_eth_dev_stop(c), 0);
	CHECK_EQ(mpdp_eth_dev_close(b), 0);
	CHECK_EQ(mpdp_eth_dev_close(c), 0);
	CHECK_EQ(du_mz_count(), mz0);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);
}

static void test_errors(void)
{
	uint16_t a, b;
	int mz0 = du_mz_count();

	DU_HOTPLUG_FAILS("net_ring9,size=0", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,size=65536", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,size=1k", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,queues=0", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,queues=17", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,speed=10", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,bytes=2", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,peer=", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,peer=net_ring9", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring9,peer=nosuchport", -ENOENT);
	DU_HOTPLUG_FAILS("net_ring9,peer=net_null0", -EINVAL);
	DU_HOTPLUG_FAILS("net_ring_a_name_too_long_", -ENAMETOOLONG);
	DU_HOTPLUG_FAILS("net_ring0", -EEXIST);

	/* the peer must be ready: not configured, not started */
	REQUIRE(mpdp_eth_dev_hotplug_add("net_ringP", &a) == 0);
	REQUIRE(mpdp_eth_dev_configure(a, 1, 1, NULL) == 0);
	DU_HOTPLUG_FAILS("net_ring9,peer=net_ringP", -EBUSY);
	REQUIRE(du_setup(a, 1, 1, pool) == 0);
	DU_HOTPLUG_FAILS("net_ring9,peer=net_ringP", -EBUSY);
	CHECK_EQ(mpdp_eth_dev_stop(a), 0);
	CHECK_EQ(mpdp_eth_dev_close(a), 0);

	/* a peer with fewer rings limits the tx queues */
	REQUIRE(mpdp_eth_dev_hotplug_add("net_ringP,queues=1", &a) == 0);
	REQUIRE(mpdp_eth_dev_hotplug_add("net_ringQ,queues=2,peer=net_ringP", &b) == 0);
	CHECK_EQ(mpdp_eth_dev_configure(b, 2, 2, NULL), -EINVAL);
	CHECK_EQ(mpdp_eth_dev_configure(b, 2, 1, NULL), 0);
	CHECK_EQ(mpdp_eth_dev_configure(a, 1, 2, NULL), -EINVAL); /* max_tx 1 */
	CHECK_EQ(mpdp_eth_dev_close(b), 0);
	CHECK_EQ(mpdp_eth_dev_close(a), 0);
	CHECK_EQ(du_mz_count(), mz0);
}

static void test_reconfigure(void)
{
	uint16_t p = du_port("net_ring0");
	int mz0 = du_mz_count();

	CHECK_EQ(mpdp_eth_dev_configure(p, 3, 1, NULL), -EINVAL);
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	send_recv(p, 0, p, 0, 10, 64, 9);
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	REQUIRE(du_setup(p, 2, 2, pool) == 0);
	send_recv(p, 1, p, 1, 10, 64, 10);
	send_recv(p, 0, p, 0, 10, 64, 11);
	/* nb_desc within 1..size is accepted; the ring keeps its size */
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	REQUIRE(mpdp_eth_dev_configure(p, 1, 1, NULL) == 0);
	CHECK_EQ(mpdp_eth_rx_queue_setup(p, 0, 16, pool), 0);
	CHECK_EQ(mpdp_eth_tx_queue_setup(p, 0, 1024), 0);
	CHECK_EQ(mpdp_eth_dev_start(p), 0);
	CHECK_EQ(mpdp_eth_queue_claim(p, MPDP_ETH_RX, 0), 0);
	CHECK_EQ(mpdp_eth_queue_claim(p, MPDP_ETH_TX, 0), 0);
	send_recv(p, 0, p, 0, 64, 64, 12);
	CHECK_EQ(du_mz_count(), mz0);
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	CHECK_EQ(mpdp_eth_dev_close(p), 0);
	CHECK_EQ(du_mz_count(), mz0 - 3);
}

int main(void)
{
	int rc, err;

	unit_rt_setup("drv_ring");
	rc = unit_init("--no-huge", "--mem", "64M", "--no-pci", "--vdev", "net_ring0,queues=2,bytes=1",
		       "--vdev", "net_null0", NULL);
	if (rc < 0) {
		fprintf(stderr, "mpdp_init: %s\n", strerror(-rc));
		return 1;
	}
	pool = mpdp_mbuf_pool_create("drv.pool", 2048, 32, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL,
				     &err);
	REQUIRE(pool != NULL);

	test_loopback();
	test_full();
	test_pair();
	test_close_ready_and_repair();
	test_errors();
	test_reconfigure();

	unit_exit();
}
