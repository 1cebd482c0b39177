/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_eth_capture.h - copies of the packets a port receives and sends,
 * for a capture tool in any process (mpdp-dumpcap).
 *
 * How it works. A capture is asked of the primary (IPC "eth:capture" from a
 * secondary). The primary keeps, per port id, a capture ring (multi-producer,
 * single-consumer, "mpdp.cap<port>") and a pool of mbufs of the same name,
 * made the first time the port is captured and kept as long as the
 * instance (never freed, also not when the port closes), so no process can
 * ever hold a stale handle to them. It writes the capture's settings into
 * the port's slot under the seqlock and announces the change. Every process
 * that polls the port's queues sets the bits of its fast-path capture word
 * on its next sync; from then on mpdp_eth_rx_burst() (after the driver) and
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
 * consumer process exits or dies (exit hook), when the port closes, or on
 * mpdp_eth_capture_stop(). Producers see the start at their next sync (the
 * IPC message arrives within milliseconds); they stop copying as soon as the
 * slot's session is no longer theirs. A copy made under an older capture
 * carries its session number and the reader drops it (counted as stale).
 *
 * Cost: nothing but one predictable branch per burst while no capture runs;
 * while one runs, a copy of each selected packet (up to snaplen) and one
 * ring enqueue per burst. A full ring is seen before copying: the copies
 * that cannot fit are only counted.
 */
#ifndef MPDP_ETH_CAPTURE_H
#define MPDP_ETH_CAPTURE_H

#include <stdint.h>

#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_mbuf.h>

struct mpdp_eth_capture_conf {
	uint32_t dirs;       /* MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX; 0 means both */
	uint32_t queue_mask; /* bit q: capture queue q (< MPDP_ETH_MAX_QUEUES); 0: every queue */
	/* bytes copied per packet; 0 or more than the pool's room: all that fit */
	uint32_t snaplen;
};

/* What a captured mbuf carries besides its data (in mbuf->dynfield). */
struct mpdp_eth_capture_meta {
	uint32_t orig_len; /* the packet's length on the wire (pkt_len) */
	uint32_t session;  /* the capture that made the copy */
	uint16_t port;
	uint16_t queue;
	uint8_t dir; /* MPDP_ETH_CAPTURE_RX or _TX */
	uint8_t pad[3];
};

static inline const struct mpdp_eth_capture_meta *mpdp_eth_capture_meta(const struct mpdp_mbuf *m)
{
	return (const struct mpdp_eth_capture_meta *)(const void *)m->dynfield;
}

struct mpdp_eth_capture_stats {
	uint64_t captured; /* copies enqueued for the reader (the producers' count) */
	uint64_t dropped;  /* copies lost by the producers: ring or pool full */
	uint64_t stale;    /* copies of an earlier capture, dropped by this reader */
	uint64_t bad;      /* ring entries that were not a sane capture mbuf, not returned */
	/* 1 while the capture runs; 0 once it ended (stopped, port closed, reader taken for dead) */
	uint32_t active;
	uint32_t pad;
};

struct mpdp_eth_capture;

/*
 * Start capturing port with conf (NULL: both directions, every queue, whole
 * packets). Any process. On success *cap is this process's reader handle.
 * Returns 0, or -ENODEV (no such port), -EBUSY (another live process
 * captures the port), -EINVAL (bad conf), -ENOMEM (no room for the ring
 * or pool), -ENOTCONN (the primary is gone), -ETIMEDOUT (it did not answer).
 * Producers start at their next sync (see above): the primary before this
 * returns, secondaries within milliseconds.
 * A process that starts a capture of a port it already captures ends its
 * earlier capture (that handle reads nothing more; stop it all the same).
 */
int mpdp_eth_capture_start(uint16_t port, const struct mpdp_eth_capture_conf *conf,
			   struct mpdp_eth_capture **cap);

/*
 * Take up to n captured packets (the caller frees them with
 * mpdp_mbuf_free_bulk()). Each is one segment with the packet's first bytes
 * (up to snaplen), timestamp (ns since the epoch, CLOCK_REALTIME, taken
 * once per burst) and mpdp_eth_capture_meta(). At most 64 per call; 0 when
 * nothing is queued (never blocks). One thread at a time per handle.
 *
 * A transmitted packet is copied as offered to mpdp_eth_tx_burst(), before
 * the driver takes it (afterwards it may already be in another process): a
 * packet the driver refused and the caller offers again shows twice.
 */
uint16_t mpdp_eth_capture_read(struct mpdp_eth_capture *cap, struct mpdp_mbuf **pkts, uint16_t n);

/*
 * Counters of this capture so far. Once the capture ended (active 0) they
 * keep the last values this process read. The handle's thread only.
 */
void mpdp_eth_capture_stats_get(struct mpdp_eth_capture *cap, struct mpdp_eth_capture_stats *st);

/*
 * Bytes copied per packet in this capture: conf's snaplen, bounded by the
 * capture pool's room (2048 bytes); 0 for a NULL handle.
 */
uint32_t mpdp_eth_capture_snaplen(const struct mpdp_eth_capture *cap);

/*
 * End the capture, free the handle and the packets still queued. Returns 0
 * or -ENOTCONN when the primary is gone (the handle is freed anyway).
 * Accepts NULL (returns 0).
 */
int mpdp_eth_capture_stop(struct mpdp_eth_capture *cap);

#endif /* MPDP_ETH_CAPTURE_H */
