/* SPDX-License-Identifier: BSD-3-Clause */
/* drv_util.c - see drv_util.h. */
#include <string.h>

#include "drv_util.h"

static int count_mz(const struct mpdp_memzone *mz, void *arg)
{
	(void)mz;
	(void)arg;
	return 0;
}

int du_mz_count(void)
{
	return mpdp_memzone_walk(count_mz, NULL);
}

uint16_t du_port(const char *name)
{
	uint16_t p = UINT16_MAX;

	REQUIRE(mpdp_eth_dev_find(name, &p) == 0);
	return p;
}

int du_setup(uint16_t p, uint16_t nrx, uint16_t ntx, struct mpdp_mempool *mp)
{
	int rc = mpdp_eth_dev_configure(p, nrx, ntx, NULL);

	for (uint16_t q = 0; rc == 0 && q < nrx; q++)
		rc = mpdp_eth_rx_queue_setup(p, q, 0, mp);
	for (uint16_t q = 0; rc == 0 && q < ntx; q++)
		rc = mpdp_eth_tx_queue_setup(p, q, 0);
	if (rc == 0)
		rc = mpdp_eth_dev_start(p);
	for (uint16_t q = 0; rc == 0 && q < nrx; q++)
		rc = mpdp_eth_queue_claim(p, MPDP_ETH_RX, q);
	for (uint16_t q = 0; rc == 0 && q < ntx; q++)
		rc = mpdp_eth_queue_claim(p, MPDP_ETH_TX, q);
	return rc;
}

static uint8_t pattern(uint64_t seq, unsigned int i)
{
	return (uint8_t)(seq * 13 + i);
}

struct mpdp_mbuf *du_pkt(struct mpdp_mempool *mp, uint16_t size, uint32_t tag, uint64_t seq)
{
	struct mpdp_mbuf *m = mpdp_mbuf_alloc(mp);
	uint8_t *d;

	if (m == NULL)
		return NULL;
	d = (uint8_t *)mpdp_mbuf_append(m, size);
	if (d == NULL || size < 12) {
		mpdp_mbuf_free(m);
		return NULL;
	}
	memcpy(d, &tag, 4);
	memcpy(d + 4, &seq, 8);
	for (unsigned int i = 12; i < size; i++)
		d[i] = pattern(seq, i);
	return m;
}

int du_pkt_ok(const struct mpdp_mbuf *m, uint16_t size, uint32_t tag, uint64_t seq)
{
	const uint8_t *d = mpdp_mbuf_mtod(m, const uint8_t *);
	uint64_t s;
	uint32_t t;

	if (m->pkt_len != size || m->data_len != size || m->nb_segs != 1)
		return 0;
	memcpy(&t, d, 4);
	memcpy(&s, d + 4, 8);
	if (t != tag || s != seq)
		return 0;
	for (unsigned int i = 12; i < size; i++)
		if (d[i] != pattern(seq, i))
			return 0;
	return 1;
}

uint64_t du_xstat(uint16_t p, const char *name)
{
	struct mpdp_eth_xstat xs[256];
	int n = mpdp_eth_xstats_get(p, xs, MPDP_DIM(xs));

	for (int i = 0; i < n && i < (int)MPDP_DIM(xs); i++)
		if (strcmp(xs[i].name, name) == 0)
			return xs[i].value;
	return UINT64_MAX;
}
