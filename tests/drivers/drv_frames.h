/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drv_frames.h - the test frames of the port shells (drv_shell.c,
 * vio_shell.c, vh_shell.c, and afp_shell.c for sending), and the loops that
 * send and receive them.
 *
 * A frame of SIZE bytes: tag (4 bytes), seq (8), both in host order, then
 * byte i is (seq * 7 + i) & 0xff. Any shell can check what another sent.
 * Packets are one mbuf or a chain of fixed-size segments.
 */
#ifndef DRV_FRAMES_H
#define DRV_FRAMES_H

#include <stdint.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#define DF_BURST 32
#define DF_HDR   12   /* tag (4) + seq (8), then the pattern */
#define DF_MAX   9000 /* the largest frame df_frame() makes */

/* Byte i of the pattern of frame seq. */
uint8_t df_pattern(uint64_t seq, unsigned int i);

/* Write frame seq of size (DF_HDR or more) bytes to d. */
void df_fill(uint8_t *d, unsigned int size, uint32_t tag, uint64_t seq);

/*
 * A packet of the len bytes at buf from mp: one mbuf (seg 0), or a chain of
 * seg-byte segments. NULL (nothing leaks) when mp runs out or a segment does
 * not fit an mbuf.
 */
struct mpdp_mbuf *df_pkt(struct mpdp_mempool *mp, const uint8_t *buf, uint32_t len, uint32_t seg);

/* Frame seq of size (DF_HDR..DF_MAX) bytes as a packet, as df_pkt() makes it. */
struct mpdp_mbuf *df_frame(struct mpdp_mempool *mp, unsigned int size, unsigned int seg,
			   uint32_t tag, uint64_t seq);

/*
 * Copy packet m (every segment) to buf, of size bytes, and read its header.
 * Returns its length, or 0 when it is shorter than DF_HDR or longer than size.
 */
uint32_t df_read(const struct mpdp_mbuf *m, uint8_t *buf, uint32_t size, uint32_t *tag,
		 uint64_t *seq);

/* 1 when bytes DF_HDR..len-1 of buf are the pattern of frame seq, else 0. */
int df_pattern_ok(const uint8_t *buf, uint32_t len, uint64_t seq);

/*
 * Send n packets on queue q of port p, in bursts of DF_BURST: make(seq, arg)
 * makes packet seq (0..n-1), NULL when it cannot (tried again later). A full
 * queue is retried until 3 s pass without progress. Returns how many went;
 * *bytes is their length. Packets not sent are freed.
 */
typedef struct mpdp_mbuf *(*df_make_t)(uint64_t seq, void *arg);
unsigned int df_tx(uint16_t p, uint16_t q, unsigned int n, df_make_t make, void *arg,
		   uint64_t *bytes);

/*
 * The tx command of a shell: n frames of size (DF_HDR..max_size, else ERR)
 * bytes, seq 0..n-1, as df_frame(seg) makes them, sent with df_tx() from pool
 * to queue q of port name: "OK sent= bytes=", or ERR.
 */
void df_cmd_tx(const char *name, uint16_t q, unsigned int n, unsigned int size,
	       unsigned int max_size, unsigned int seg, const char *pool, uint32_t tag);

/*
 * Receive up to n packets from queue q of port p, until timeout_ms has
 * passed: each goes to check(m, index, arg), index counting from 0, and is
 * then freed. Returns how many came.
 */
typedef void (*df_check_t)(const struct mpdp_mbuf *m, unsigned int index, void *arg);
unsigned int df_rx(uint16_t p, uint16_t q, unsigned int n, unsigned int timeout_ms,
		   df_check_t check, void *arg);

/*
 * A check for df_rx(): frames of one tag, in order from seq 0, from one
 * port. Set tag, port and one_seg (1: a chain is bad), the rest zero and
 * port_ok 1, then pass it to df_rx() with df_rx_in_order().
 */
struct df_rx_count {
	uint32_t tag;
	uint16_t port;
	int one_seg;
	uint64_t bytes;
	unsigned int bad, port_ok, max_segs;
};
void df_rx_in_order(const struct mpdp_mbuf *m, unsigned int index, void *arg);

#endif /* DRV_FRAMES_H */
