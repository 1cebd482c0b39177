/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_drv_threads.c - the drivers' fast paths on several threads at once,
 * for ThreadSanitizer (suite "tsan"): the hand-over of mbufs through a
 * net_ring pair (the sender writes the packet and reads its length before
 * the enqueue, the receiver owns it after the dequeue), both directions at
 * once; net_null rx=gen and tx on their own queues from their own threads,
 * sharing one pool; and a thread reading statistics and extended statistics
 * while the queue owners write them. Every packet must arrive once, in
 * order, intact, and the counters must add up at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "drv_util.h"

#define NB_PKTS 10000
#define BURST   32

static struct mpdp_mempool *pool;
static uint16_t port_a, port_b, port_n;
static atomic_int done;
static atomic_uint failures;

struct flow {
	uint16_t tx_port, rx_port, q;
	uint32_t tag;
	uint64_t sent, received, bad;
};

static void *sender(void *arg)
{
	struct flow *f = arg;
	struct mpdp_mbuf *m[BURST];
	unsigned int have = 0;

	while (f->sent < NB_PKTS) {
		while (have < BURST && f->sent + have < NB_PKTS) {
			m[have] = du_pkt(pool, (uint16_t)(64 + (f->sent + have) % 200), f->tag,
					 f->sent + have);
			if (m[have] == NULL)
				break;
			have++;
		}
		uint16_t k = mpdp_eth_tx_burst(f->tx_port, f->q, m, (uint16_t)have);

		memmove(m, m + k, (have - k) * sizeof(m[0]));
		have -= k;
		f->sent += k;
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct flow *f = arg;
	struct mpdp_mbuf *m[BURST];

	while (f->received < NB_PKTS) {
		uint16_t k = mpdp_eth_rx_burst(f->rx_port, f->q, m, BURST);

		for (uint16_t i = 0; i < k; i++) {
			uint64_t seq = f->received + i;

			if (!du_pkt_ok(m[i], (uint16_t)(64 + seq % 200), f->tag, seq))
				f->bad++;
			/* the receiver owns the packet: a sender still reading it races */
			(void)mpdp_mbuf_trim(m[i], 1);
		}
		mpdp_mbuf_free_bulk(m, k);
		f->received += k;
	}
	return NULL;
}

/* net_null: receive generated packets on q and free them through tx on q */
static void *null_loop(void *arg)
{
	uint16_t q = (uint16_t)(uintptr_t)arg;
	struct mpdp_mbuf *m[BURST];
	unsigned int n = 0;

	while (n < NB_PKTS) {
		uint16_t k = mpdp_eth_rx_burst(port_n, q, m, BURST);

		for (uint16_t i = 0; i < k; i++)
			if (m[i]->pkt_len != 64 || m[i]->port != port_n)
				atomic_fetch_add(&failures, 1);
		if (mpdp_eth_tx_burst(port_n, q, m, k) != k)
			atomic_fetch_add(&failures, 1);
		n += k;
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct mpdp_eth_stats st;
	uint64_t last = 0;

	(void)arg;
	while (!atomic_load(&done)) {
		if (mpdp_eth_stats_get(port_b, &st) != 0)
			atomic_fetch_add(&failures, 1);
		if (st.ipackets < last)
			atomic_fetch_add(&failures, 1);
		last = st.ipackets;
		if (du_xstat(port_b, "rx_q0_ring_count") > 512)
			atomic_fetch_add(&failures, 1);
		(void)mpdp_eth_stats_get(port_n, &st);
	}
	return NULL;
}

int main(void)
{
	struct flow f[2];
	pthread_t t[7];
	struct mpdp_eth_stats sa, sb, sn;
	int rc, err;

	unit_rt_setup("drv_threads");
	rc = unit_init("--no-huge", "--mem", "64M", "--no-pci", "--vdev",
		       "net_ringA,queues=2,size=512,bytes=1", "--vdev",
		       "net_ringB,queues=2,size=512,peer=net_ringA,bytes=1", "--vdev", "net_null0,queues=2",
		       NULL);
	if (rc < 0) {
		fprintf(stderr, "mpdp_init: %s\n", strerror(-rc));
		return 1;
	}
	pool = mpdp_mbuf_pool_create("drv.pool", 4096, 0, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL,
				     &err);
	REQUIRE(pool != NULL);
	port_a = du_port("net_ringA");
	port_b = du_port("net_ringB");
	port_n = du_port("net_null0");
	REQUIRE(du_setup(port_a, 2, 2, pool) == 0);
	REQUIRE(du_setup(port_b, 2, 2, pool) == 0);
	REQUIRE(du_setup(port_n, 2, 2, pool) == 0);

	f[0] = (struct flow){ .tx_port = port_a, .rx_port = port_b, .q = 0, .tag = 0xa };
	f[1] = (struct flow){ .tx_port = port_b, .rx_port = port_a, .q = 1, .tag = 0xb };
	REQUIRE(pthread_create(&t[0], NULL, sender, &f[0]) == 0);
	REQUIRE(pthread_create(&t[1], NULL, receiver, &f[0]) == 0);
	REQUIRE(pthread_create(&t[2], NULL, sender, &f[1]) == 0);
	REQUIRE(pthread_create(&t[3], NULL, receiver, &f[1]) == 0);
	REQUIRE(pthread_create(&t[4], NULL, null_loop, (void *)(uintptr_t)0) == 0);
	REQUIRE(pthread_create(&t[5], NULL, null_loop, (void *)(uintptr_t)1) == 0);
	REQUIRE(pthread_create(&t[6], NULL, reader, NULL) == 0);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	atomic_store(&done, 1);
	pthread_join(t[6], NULL);

	for (int i = 0; i < 2; i++) {
		CHECK_EQ(f[i].sent, NB_PKTS);
		CHECK_EQ(f[i].received, NB_PKTS);
		CHECK_EQ(f[i].bad, 0);
	}
	CHECK_EQ(atomic_load(&failures), 0);
	REQUIRE(mpdp_eth_stats_get(port_a, &sa) == 0);
	REQUIRE(mpdp_eth_stats_get(port_b, &sb) == 0);
	REQUIRE(mpdp_eth_stats_get(port_n, &sn) == 0);
	CHECK_EQ(sa.opackets, NB_PKTS);
	CHECK_EQ(sb.ipackets, NB_PKTS);
	CHECK_EQ(sa.obytes, sb.ibytes);
	CHECK_EQ(sb.opackets, NB_PKTS);
	CHECK_EQ(sa.ipackets, NB_PKTS);
	CHECK_EQ(sb.obytes, sa.ibytes);
	CHECK(sn.ipackets >= 2 * NB_PKTS);
	CHECK_EQ(sn.ipackets, sn.opackets);
	CHECK_EQ(sn.ibytes, sn.obytes);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), 0);
	unit_exit();
}
