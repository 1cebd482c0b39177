/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_drv_null.c - net_null in one process: what probe publishes (queues,
 * MAC, link), rx=gen bursts (sizes, port, lengths, counters), rx=empty, tx
 * freeing every segment and counting packets and bytes, allocation failures
 * counted as rx_nombuf, a packet size the pool cannot hold, devargs errors
 * (nothing left behind), reconfiguration and close.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "drv_util.h"

static struct mpdp_mempool *pool;

static void test_info(void)
{
	struct mpdp_eth_dev_info info;
	uint16_t p0 = du_port("net_null0"), p1 = du_port("net_null1");

	REQUIRE(mpdp_eth_dev_info_get(p0, &info) == 0);
	CHECK(strcmp(info.driver, "net_null") == 0);
	CHECK(strcmp(info.bus, "vdev") == 0);
	CHECK_EQ(info.max_rx_queues, MPDP_ETH_MAX_QUEUES);
	CHECK_EQ(info.max_tx_queues, MPDP_ETH_MAX_QUEUES);
	CHECK_EQ(info.link.up, 1);
	CHECK_EQ(info.link.speed_mbps, 10000);
	CHECK_EQ(info.mac.bytes[0], 0x02);
	CHECK_EQ(info.mac.bytes[5], p0);
	CHECK(mpdp_ether_addr_is_valid_assigned(&info.mac));

	REQUIRE(mpdp_eth_dev_info_get(p1, &info) == 0);
	CHECK_EQ(info.max_rx_queues, 2);
	CHECK_EQ(info.max_tx_queues, 2);
	struct mpdp_ether_addr want = { { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee } };
	CHECK(memcmp(&info.mac, &want, sizeof(want)) == 0);
	CHECK_EQ(mpdp_eth_dev_configure(p1, 3, 1, NULL), -EINVAL);
}

static void test_gen_and_tx(void)
{
	uint16_t p = du_port("net_null0");
	struct mpdp_mbuf *pkts[64];
	struct mpdp_eth_stats st;
	unsigned int in_use0 = mpdp_mempool_in_use_count(pool);
	uint64_t rx_pkts = 0, tx_bytes = 0;

	REQUIRE(du_setup(p, 2, 2, pool) == 0);
	/* every burst size: exactly n packets of 64 bytes, this port's */
	for (uint16_t n = 0; n <= 64; n++) {
		uint16_t q = n & 1;
		uint16_t got = mpdp_eth_rx_burst(p, q, pkts, n);

		CHECK_EQ(got, n);
		for (uint16_t i = 0; i < got; i++) {
			CHECK_EQ(pkts[i]->pkt_len, 64);
			CHECK_EQ(pkts[i]->data_len, 64);
			CHECK_EQ(pkts[i]->nb_segs, 1);
			CHECK_EQ(pkts[i]->port, p);
			CHECK_EQ(mpdp_mbuf_refcnt_read(pkts[i]), 1);
		}
		rx_pkts += got;
		CHECK_EQ(mpdp_eth_tx_burst(p, q, pkts, got), got);
		tx_bytes += (uint64_t)got * 64;
	}
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);

	/* tx frees whole chains and counts pkt_len */
	struct mpdp_mbuf *a = du_pkt(pool, 100, 1, 1), *b = du_pkt(pool, 200, 1, 2);
	struct mpdp_mbuf *c = du_pkt(pool, 300, 1, 3);
	REQUIRE(a != NULL && b != NULL && c != NULL);
	CHECK_EQ(mpdp_mbuf_chain(a, b), 0);
	pkts[0] = a;
	pkts[1] = c;
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, pkts, 2), 2);
	tx_bytes += 600;
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);

	/* a clone: the buffer goes back once both holders freed it */
	a = du_pkt(pool, 100, 1, 4);
	REQUIRE(a != NULL);
	b = mpdp_mbuf_clone(a, pool);
	REQUIRE(b != NULL);
	pkts[0] = a;
	pkts[1] = b;
	CHECK_EQ(mpdp_eth_tx_burst(p, 1, pkts, 2), 2);
	tx_bytes += 200;
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);

	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.ipackets, rx_pkts);
	CHECK_EQ(st.ibytes, rx_pkts * 64);
	CHECK_EQ(st.opackets, rx_pkts + 4);
	CHECK_EQ(st.obytes, tx_bytes);
	CHECK_EQ(st.rx_nombuf, 0);
	CHECK_EQ(st.q_ipackets[0] + st.q_ipackets[1], rx_pkts);
	CHECK(st.q_ipackets[0] > 0 && st.q_ipackets[1] > 0);

	CHECK_EQ(mpdp_eth_stats_reset(p), 0);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.ipackets, 0);
	CHECK_EQ(st.obytes, 0);
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
}

static void test_empty(void)
{
	uint16_t p = du_port("net_null1");
	struct mpdp_mbuf *pkts[32];
	struct mpdp_eth_stats st;
	unsigned int in_use0 = mpdp_mempool_in_use_count(pool);

	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	CHECK_EQ(mpdp_eth_rx_burst(p, 0, pkts, 32), 0);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);
	for (int i = 0; i < 8; i++)
		REQUIRE((pkts[i] = du_pkt(pool, 60, 2, (uint64_t)i)) != NULL);
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, pkts, 8), 8);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.ipackets, 0);
	CHECK_EQ(st.opackets, 8);
	CHECK_EQ(st.obytes, 8 * 60);
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
}

static void test_nombuf_and_size(void)
{
	struct mpdp_mempool *small;
	struct mpdp_mbuf *pkts[32];
	struct mpdp_eth_stats st;
	uint16_t p;
	int err;

	/* no cache: a burst larger than the pool fails as a whole */
	small = mpdp_mbuf_pool_create("drv.small", 16, 0, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL,
				      &err);
	REQUIRE(small != NULL);
	REQUIRE(mpdp_eth_dev_hotplug_add("net_null2,size=1000,queues=1", &p) == 0);
	REQUIRE(du_setup(p, 1, 1, small) == 0);
	CHECK_EQ(mpdp_eth_rx_burst(p, 0, pkts, 32), 0);
	CHECK_EQ(mpdp_eth_rx_burst(p, 0, pkts, 8), 8);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(pkts[i]->pkt_len, 1000);
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, pkts, 8), 8);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.rx_nombuf, 32);
	CHECK_EQ(st.ipackets, 8);
	CHECK_EQ(st.ibytes, 8000);
	CHECK_EQ(du_xstat(p, "rx_mbuf_allocation_errors"), 32);
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	CHECK_EQ(mpdp_eth_dev_close(p), 0);
	CHECK_EQ(mpdp_mempool_in_use_count(small), 0);

	/* a packet larger than the pool's data room is refused at queue setup */
	REQUIRE(mpdp_eth_dev_hotplug_add("net_null3,size=4000", &p) == 0);
	REQUIRE(mpdp_eth_dev_configure(p, 1, 1, NULL) == 0);
	CHECK_EQ(mpdp_eth_rx_queue_setup(p, 0, 0, small), -EINVAL);
	CHECK_EQ(mpdp_eth_dev_close(p), 0);
	/* ... but not with rx=empty, which allocates nothing */
	REQUIRE(mpdp_eth_dev_hotplug_add("net_null3,size=4000,rx=empty", &p) == 0);
	CHECK_EQ(du_setup(p, 1, 1, small), 0);
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	CHECK_EQ(mpdp_eth_dev_close(p), 0);
	mpdp_mempool_free(small);
}

static void test_devargs(void)
{
	DU_HOTPLUG_FAILS("net_null9,size=0", -EINVAL);
	DU_HOTPLUG_FAILS("net_null9,size=65536", -EINVAL);
	DU_HOTPLUG_FAILS("net_null9,size=abc", -EINVAL);
	DU_HOTPLUG_FAILS("net_null9,rx=random", -EINVAL);
	DU_HOTPLUG_FAILS("net_null9,mac=01:00:5e:00:00:01", -EINVAL); /* multicast */
	DU_HOTPLUG_FAILS("net_null9,mac=00:00:00:00:00:00", -EINVAL);
	DU_HOTPLUG_FAILS("net_null9,mac=zz", -EINVAL);
	DU_HOTPLUG_FAILS("net_null9,queues=0", -EINVAL);
	DU_HOTPLUG_FAILS("net_null9,queues=17", -EINVAL);
	DU_HOTPLUG_FAILS("net_null9,colour=blue", -EINVAL);
	DU_HOTPLUG_FAILS("net_null0", -EEXIST);
}

static void test_reconfigure_close(void)
{
	uint16_t p;
	struct mpdp_mbuf *pkts[8];
	int mz0 = du_mz_count();
	unsigned int in_use0 = mpdp_mempool_in_use_count(pool);

	REQUIRE(mpdp_eth_dev_hotplug_add("net_null4,queues=4,size=128", &p) == 0);
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	CHECK_EQ(mpdp_eth_rx_burst(p, 0, pkts, 8), 8);
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, pkts, 8), 8);
	CHECK_EQ(mpdp_eth_dev_configure(p, 4, 4, NULL), -EBUSY); /* started */
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	REQUIRE(du_setup(p, 4, 4, pool) == 0);
	for (uint16_t q = 0; q < 4; q++) {
		CHECK_EQ(mpdp_eth_rx_burst(p, q, pkts, 8), 8);
		CHECK_EQ(pkts[7]->pkt_len, 128);
		CHECK_EQ(mpdp_eth_tx_burst(p, q, pkts, 8), 8);
	}
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	CHECK_EQ(mpdp_eth_dev_close(p), 0);
	CHECK_EQ(du_mz_count(), mz0);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);
}

int main(void)
{
	int rc, err;

	unit_rt_setup("drv_null");
	rc = unit_init("--no-huge", "--mem", "64M", "--no-pci", "--vdev", "net_null0", "--vdev",
		       "net_null1,size=60,rx=empty,mac=02:aa:bb:cc:dd:ee,queues=2", NULL);
	if (rc < 0) {
		fprintf(stderr, "mpdp_init: %s\n", strerror(-rc));
		return 1;
	}
	pool = mpdp_mbuf_pool_create("drv.pool", 1024, 32, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL,
				     &err);
	REQUIRE(pool != NULL);

	test_info();
	test_gen_and_tx();
	test_empty();
	test_nombuf_and_size();
	test_devargs();
	test_reconfigure_close();

	unit_exit();
}
