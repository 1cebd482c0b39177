/* SPDX-License-Identifier: BSD-3-Clause */
/* drv_frames.c - see drv_frames.h. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "drv_frames.h"
#include "mp_helper.h"

#define DF_RX_MAX 16384 /* longer received frames are bad */

uint8_t df_pattern(uint64_t seq, unsigned int i)
{
	return (uint8_t)(seq * 7 + i);
}

void df_fill(uint8_t *d, unsigned int size, uint32_t tag, uint64_t seq)
{
	memcpy(d, &tag, 4);
	memcpy(d + 4, &seq, 8);
	for (unsigned int i = DF_HDR; i < size; i++)
		d[i] = df_pattern(seq, i);
}

struct mpdp_mbuf *df_pkt(struct mpdp_mempool *mp, const uint8_t *buf, uint32_t len, uint32_t seg)
{
	struct mpdp_mbuf *head = NULL, *s;
	uint32_t off = 0;

	if (seg == 0)
		seg = len;
	while (off < len) {
		uint32_t k = len - off < seg ? len - off : seg;
		char *d;

		s = mpdp_mbuf_alloc(mp);
		if (s == NULL || (d = mpdp_mbuf_append(s, (uint16_t)k)) == NULL)
			goto err_free;
		memcpy(d, buf + off, k);
		if (head == NULL)
			head = s;
		else if (mpdp_mbuf_chain(head, s) != 0)
			goto err_free;
		off += k;
	}
	return head;
err_free:
	mpdp_mbuf_free(s);
	mpdp_mbuf_free(head);
	return NULL;
}

struct mpdp_mbuf *df_frame(struct mpdp_mempool *mp, unsigned int size, unsigned int seg,
			   uint32_t tag, uint64_t seq)
{
	static uint8_t buf[DF_MAX];

	df_fill(buf, size, tag, seq);
	return df_pkt(mp, buf, size, seg);
}

uint32_t df_read(const struct mpdp_mbuf *m, uint8_t *buf, uint32_t size, uint32_t *tag,
		 uint64_t *seq)
{
	uint32_t len = m->pkt_len;

	if (len < DF_HDR || len > size || mpdp_mbuf_copy_out(m, 0, buf, len) != len)
		return 0;
	memcpy(tag, buf, 4);
	memcpy(seq, buf + 4, 8);
	return len;
}

int df_pattern_ok(const uint8_t *buf, uint32_t len, uint64_t seq)
{
	for (uint32_t i = DF_HDR; i < len; i++)
		if (buf[i] != df_pattern(seq, i))
			return 0;
	return 1;
}

unsigned int df_tx(uint16_t p, uint16_t q, unsigned int n, df_make_t make, void *arg,
		   uint64_t *bytes)
{
	struct mpdp_mbuf *m[DF_BURST];
	uint32_t len[DF_BURST];
	unsigned int sent = 0, have = 0;
	uint64_t deadline = 0;

	*bytes = 0;
	while (sent < n) {
		/* refill the burst: packets seq sent + have .. */
		while (have < DF_BURST && sent + have < n) {
			m[have] = make(sent + have, arg);
			if (m[have] == NULL)
				break;
			len[have] = m[have]->pkt_len;
			have++;
		}
		uint16_t k = mpdp_eth_tx_burst(p, q, m, (uint16_t)have);

		for (uint16_t i = 0; i < k; i++)
			*bytes += len[i];
		sent += k;
		memmove(m, m + k, (have - k) * sizeof(m[0]));
		memmove(len, len + k, (have - k) * sizeof(len[0]));
		have -= k;
		if (k == 0) {
			uint64_t now = mh_now_ns();

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
	return sent;
}

struct tx_frames {
	struct mpdp_mempool *mp;
	unsigned int size, seg;
	uint32_t tag;
};

static struct mpdp_mbuf *tx_frame(uint64_t seq, void *arg)
{
	const struct tx_frames *f = arg;

	return df_frame(f->mp, f->size, f->seg, f->tag, seq);
}

void df_cmd_tx(const char *name, uint16_t q, unsigned int n, unsigned int size,
	       unsigned int max_size, unsigned int seg, const char *pool, uint32_t tag)
{
	struct tx_frames f = { .mp = mh_pool_of(pool), .size = size, .seg = seg, .tag = tag };
	unsigned int sent;
	uint64_t bytes;
	uint16_t p;

	if (f.mp == NULL || mh_port_of(name, &p) != 0)
		return;
	if (size < DF_HDR || size > max_size) {
		mh_say_err(-EINVAL, "size %u", size);
		return;
	}
	sent = df_tx(p, q, n, tx_frame, &f, &bytes);
	mh_say("OK sent=%u bytes=%" PRIu64, sent, bytes);
}

unsigned int df_rx(uint16_t p, uint16_t q, unsigned int n, unsigned int timeout_ms,
		   df_check_t check, void *arg)
{
	struct mpdp_mbuf *m[DF_BURST];
	uint64_t deadline = mh_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	unsigned int got = 0;

	while (got < n) {
		unsigned int want = n - got < DF_BURST ? n - got : DF_BURST;
		uint16_t k = mpdp_eth_rx_burst(p, q, m, (uint16_t)want);

		for (uint16_t i = 0; i < k; i++)
			check(m[i], got + i, arg);
		mpdp_mbuf_free_bulk(m, k);
		got += k;
		if (k == 0) {
			if (mh_now_ns() > deadline)
				break;
			usleep(200);
		}
	}
	return got;
}

void df_rx_in_order(const struct mpdp_mbuf *m, unsigned int index, void *arg)
{
	static uint8_t buf[DF_RX_MAX];
	struct df_rx_count *c = arg;
	uint32_t len, tag;
	uint64_t seq;

	if (m->port != c->port)
		c->port_ok = 0;
	c->bytes += m->pkt_len;
	if (m->nb_segs > c->max_segs)
		c->max_segs = m->nb_segs;
	if (c->one_seg && m->pkt_len != m->data_len) {
		c->bad++;
		return;
	}
	len = df_read(m, buf, sizeof(buf), &tag, &seq);
	if (len == 0 || tag != c->tag || seq != index || !df_pattern_ok(buf, len, seq))
		c->bad++;
}
