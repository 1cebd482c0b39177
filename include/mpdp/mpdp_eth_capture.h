/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_eth_capture.h - copies of the packets a port receives and sends,
 * for a capture tool in any process (mpdp-dumpcap).
 *
 * How it works. A capture is asked of the primary (IPC "eth:capture" from a
 * secondary). The primary keeps, per port, a capture ring (multi-producer,
 * single-consumer) and a pool of mbufs, made the first time the port is
 * captured and kept until the port closes, so no process can ever hold a
 * stale handle to them. It writes the capture's settings into the port's
 * slot under the seqlock and announces the change. Every process that polls
 * the port's queues sets the bits of its fast-path capture word on its next
 * sync; from then on mpdp_eth_rx_burst() (after the driver) and
 * mpdp_eth_tx_burst() (before the driver) copy each packet of the selected
 * queues into an mbuf of the capture pool and enqueue it on the ring. When
 * the ring or the pool is full, the copy is dropped and counted; forwarding
 * never waits for the capture.
 *
 * Rings and pools are found by name and id, in every process, by the data
 * in the slot: no pointer or handler index crosses processes (DESIGN.md
 * rule 1 and 5), so a capture tool built separately from the forwarder
 * cannot disagree with it about what a pool is.
 *
 * One capture per port at a time. The primary ends a capture when its
 * consumer process exits or dies (exit hook), or on mpdp_eth_capture_stop().
 * Producers see the start and the end at their next sync (the IPC message
 * arrives within milliseconds); copies made under an older capture carry its
 * session number and the reader drops them.
 */
#ifndef MPDP_ETH_CAPTURE_H
#define MPDP_ETH_CAPTURE_H

#include <stdint.h>

#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_mbuf.h>

struct mpdp_eth_capture_conf {
	uint32_t dirs;        /* MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX; 0 means both */
	uint32_t queue_mask;  /* bit q: capture queue q; 0 means every queue */
	uint32_t snaplen;     /* bytes copied per packet; 0 or more than the pool's room: all that fit */
};

/* What a captured mbuf carries besides its data (in mbuf->dynfield). */
struct mpdp_eth_capture_meta {
	uint32_t orig_len;    /* the packet's length on the wire (pkt_len) */
	uint32_t session;     /* the capture that made the copy */
	uint16_t port;
	uint16_t queue;
	uint8_t dir;          /* MPDP_ETH_CAPTURE_RX or _TX */
	uint8_t pad[3];
};

static inline const struct mpdp_eth_capture_meta *mpdp_eth_capture_meta(const struct mpdp_mbuf *m)
{
	return (const struct mpdp_eth_capture_meta *)(const void *)m->dynfield;
}

struct mpdp_eth_capture_stats {
	uint64_t captured;    /* copies enqueued for the reader */
	uint64_t dropped;     /* copies lost: ring or pool full */
};

struct mpdp_eth_capture;

/*
 * Start capturing port with conf (NULL: both directions, every queue, whole
 * packets). Any process. On success *cap is this process's reader handle.
 * Returns 0, or -ENODEV (no such port), -EBUSY (another live process
 * captures the port), -EINVAL (bad conf), -ENOMEM (no room for the ring
 * or pool), -ENOTCONN (the primary is gone).
 * Producers start at their next sync (see above): the primary before this
 * returns, secondaries within milliseconds.
 */
int mpdp_eth_capture_start(uint16_t port, const struct mpdp_eth_capture_conf *conf,
			   struct mpdp_eth_capture **cap);

/*
 * Take up to n captured packets (the caller frees them with
 * mpdp_mbuf_free_bulk()). Each is one segment with the packet's first bytes
 * (up to snaplen), timestamp (ns since the epoch, CLOCK_REALTIME, taken
 * once per burst) and mpdp_eth_capture_meta(). One thread at a time.
 */
uint16_t mpdp_eth_capture_read(struct mpdp_eth_capture *cap, struct mpdp_mbuf **pkts, uint16_t n);

/* Counters of this capture so far. */
void mpdp_eth_capture_stats_get(const struct mpdp_eth_capture *cap,
				struct mpdp_eth_capture_stats *st);

/*
 * End the capture, free the handle and the packets still queued. Returns 0
 * or -ENOTCONN when the primary is gone (the handle is freed anyway).
 */
int mpdp_eth_capture_stop(struct mpdp_eth_capture *cap);

#endif /* MPDP_ETH_CAPTURE_H */
