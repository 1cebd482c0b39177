/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drv_util.h - what the driver unit tests share: ports by name, a port set
 * up and started in one call, packets with a checkable payload, memzone
 * counts (to prove that a failed or closed port leaves nothing behind) and
 * extended statistics by name.
 */
#ifndef DRV_UTIL_H
#define DRV_UTIL_H

#include <stdint.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "unit_util.h"

/* Memzones in the instance now. */
int du_mz_count(void);

/* Port id of name; the test fails (fatally) when there is none. */
uint16_t du_port(const char *name);

/*
 * Configure p with nrx/ntx queues (nb_desc 0: the port's default), set up
 * every queue with mp, start it and claim every queue. Returns 0 or the first
 * error.
 */
int du_setup(uint16_t p, uint16_t nrx, uint16_t ntx, struct mpdp_mempool *mp);

/* A one-segment packet of size bytes: tag (4), seq (8), then a pattern. */
struct mpdp_mbuf *du_pkt(struct mpdp_mempool *mp, uint16_t size, uint32_t tag, uint64_t seq);
/* 1 when m is exactly what du_pkt(size, tag, seq) made. */
int du_pkt_ok(const struct mpdp_mbuf *m, uint16_t size, uint32_t tag, uint64_t seq);

/* Value of the extended statistic name of port p, or UINT64_MAX when absent. */
uint64_t du_xstat(uint16_t p, const char *name);

/* Hot-plug devargs and expect rc; for errors, nothing may be left behind. */
#define DU_HOTPLUG_FAILS(devargs, want)                                     \
	do {                                                                \
		int mz_ = du_mz_count();                                    \
		unsigned int ports_ = mpdp_eth_dev_count();                 \
		uint16_t p_ = UINT16_MAX;                                   \
		CHECK_EQ(mpdp_eth_dev_hotplug_add((devargs), &p_), (want)); \
		CHECK_EQ(p_, UINT16_MAX);                                   \
		CHECK_EQ(du_mz_count(), mz_);                               \
		CHECK_EQ(mpdp_eth_dev_count(), ports_);                     \
	} while (0)

#endif /* DRV_UTIL_H */
