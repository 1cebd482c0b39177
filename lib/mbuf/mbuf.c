/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mbuf.c - the out-of-line parts of mpdp_mbuf: pool creation, detaching a
 * clone, bulk free, reads and writes across segments, clone, copy, checks
 * and dump. The per-packet fast path is inline in mpdp_mbuf.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mbuf.h>

#define MBUF_LOG(level, ...) mpdp_log(MPDP_LOG_##level, "mbuf", __VA_ARGS__)

static const struct mpdp_mbuf_pool_shm *pool_params(const struct mpdp_mempool *mp)
{
	return (const struct mpdp_mbuf_pool_shm *)(const void *)mp->shm->user_data;
}

uint16_t mpdp_mbuf_pool_data_room(const struct mpdp_mempool *mp)
{
	return mp == NULL ? 0 : pool_params(mp)->data_room_size;
}

uint16_t mpdp_mbuf_pool_priv_size(const struct mpdp_mempool *mp)
{
	return mp == NULL ? 0 : pool_params(mp)->priv_size;
}

/* Direct mbuf m: its own buffer, length and IOVA (constant while free). */
static void own_buffer(struct mpdp_mbuf *m, uint16_t data_room)
{
	m->buf_rel = (int64_t)(sizeof(*m) + m->priv_size);
	m->buf_len = data_room;
	m->buf_iova = mpdp_mem_iova(mpdp_mbuf_buf_addr(m));
}

static void mbuf_init(struct mpdp_mempool *mp, void *obj, unsigned int idx, uint64_t iova,
		      void *arg)
{
	const struct mpdp_mbuf_pool_shm *p = arg;
	struct mpdp_mbuf *m = obj;

	(void)idx;
	(void)iova;
	memset(m, 0, sizeof(*m) + p->priv_size);
	m->pool_id = (uint16_t)mp->id;
	m->priv_size = p->priv_size;
	own_buffer(m, p->data_room_size);
	mpdp_mbuf_refcnt_set(m, 1);
	mpdp_mbuf_reset(m);
}

struct mpdp_mempool *mpdp_mbuf_pool_create(const char *name, unsigned int n,
					   unsigned int cache_size, uint16_t priv_size,
					   uint16_t data_room_size, const char *ops_name, int *err)
{
	struct mpdp_mbuf_pool_shm p = { .data_room_size = data_room_size, .priv_size = priv_size };
	struct mpdp_mempool_params params = {
		.ops_name = ops_name,
		.obj_init = mbuf_init,
		.obj_init_arg = &p,
		.user_data = &p,
		.user_data_len = sizeof(p),
		.poison_skip = (uint32_t)MPDP_MBUF_CONST_BYTES,
	};
	int dummy;

	if (err == NULL)
		err = &dummy;
	if (priv_size % MPDP_MBUF_PRIV_ALIGN != 0) {
		*err = -EINVAL;
		return NULL;
	}
	return mpdp_mempool_create(name, n, (unsigned int)sizeof(struct mpdp_mbuf) + priv_size +
						    data_room_size,
				   cache_size, 0, &params, err);
}

void mpdp_mbuf_detach_(struct mpdp_mbuf *m)
{
	struct mpdp_mbuf *direct = mpdp_mbuf_from_off(m->attached);
	struct mpdp_mempool *mp = mpdp_mbuf_pool(m);
	uint16_t room = mpdp_mbuf_pool_data_room(mp);

	own_buffer(m, room);
	m->data_off = room < MPDP_MBUF_DEFAULT_HEADROOM ? room : MPDP_MBUF_DEFAULT_HEADROOM;
	m->data_len = 0;
	m->ol_flags &= ~MPDP_MBUF_F_INDIRECT;
	m->attached = MPDP_SHM_NULL;
	if (mpdp_mbuf_refcnt_update(direct, -1) == 0) {
		/* the last holder of the direct mbuf's buffer: it goes home */
		direct->next = MPDP_SHM_NULL;
		direct->nb_segs = 1;
		mpdp_mbuf_refcnt_set(direct, 1);
		mpdp_mempool_put(mpdp_mbuf_pool(direct), direct);
	}
}

/* mpdp_mbuf_free_bulk() past its fast path: any packet, any pool. */
void mpdp_mbuf_free_bulk_any_(struct mpdp_mbuf **mbufs, unsigned int n)
{
	void *pending[64];
	struct mpdp_mempool *pending_mp = NULL;
	unsigned int nb_pending = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct mpdp_mbuf *m = mbufs[i];

		while (m != NULL) {
			struct mpdp_mempool *mp = mpdp_mbuf_pool(m);
			struct mpdp_mbuf *next;

			if (!mpdp_mbuf_live_(mp, m))
				break; /* logged; its next offset is poison */
			next = mpdp_mbuf_next(m);
			if (mpdp_mbuf_prefree_seg(m) != NULL) {
				if (mp != pending_mp || nb_pending == MPDP_DIM(pending)) {
					if (nb_pending > 0)
						mpdp_mempool_put_bulk(pending_mp, pending,
								      nb_pending);
					pending_mp = mp;
					nb_pending = 0;
				}
				pending[nb_pending++] = m;
			}
			m = next;
		}
	}
	if (nb_pending > 0)
		mpdp_mempool_put_bulk(pending_mp, pending, nb_pending);
}

/* Segment holding packet offset *off; *off becomes the offset inside it. */
static const struct mpdp_mbuf *seg_at(const struct mpdp_mbuf *m, uint32_t *off)
{
	while (m != NULL && *off >= m->data_len) {
		*off -= m->data_len;
		m = mpdp_mbuf_next(m);
	}
	return m;
}

const void *mpdp_mbuf_read(const struct mpdp_mbuf *m, uint32_t off, uint32_t len, void *buf)
{
	const struct mpdp_mbuf *seg;

	if ((uint64_t)off + len > m->pkt_len)
		return NULL;
	seg = seg_at(m, &off);
	if (seg == NULL)
		return len == 0 ? (const void *)mpdp_mbuf_mtod(m, const char *) : NULL;
	if (off + len <= seg->data_len)
		return mpdp_mbuf_mtod_offset(seg, const char *, off);
	return mpdp_mbuf_copy_out(seg, off, buf, len) == len ? buf : NULL;
}

uint32_t mpdp_mbuf_copy_out(const struct mpdp_mbuf *m, uint32_t off, void *dst, uint32_t len)
{
	uint8_t *out = dst;
	uint32_t done = 0;

	for (const struct mpdp_mbuf *s = m; s != NULL && done < len; s = mpdp_mbuf_next(s)) {
		uint32_t k;

		if (off >= s->data_len) {
			off -= s->data_len;
			continue;
		}
		k = s->data_len - off;
		if (k > len - done)
			k = len - done;
		memcpy(out + done, mpdp_mbuf_mtod_offset(s, const uint8_t *, off), k);
		done += k;
		off = 0;
	}
	return done;
}

int mpdp_mbuf_write(struct mpdp_mbuf *m, uint32_t off, uint32_t len, const void *src)
{
	const uint8_t *from = src;
	struct mpdp_mbuf *seg;

	if ((uint64_t)off + len > m->pkt_len)
		return -EINVAL;
	seg = (struct mpdp_mbuf *)(uintptr_t)seg_at(m, &off);
	while (len > 0 && seg != NULL) {
		uint32_t k = seg->data_len - off;

		if (k > len)
			k = len;
		memcpy(mpdp_mbuf_mtod_offset(seg, char *, off), from, k);
		from += k;
		len -= k;
		off = 0;
		seg = mpdp_mbuf_next(seg);
	}
	return len == 0 ? 0 : -EINVAL;
}

/* Packet-level metadata a clone or copy keeps. */
static void copy_meta(struct mpdp_mbuf *to, const struct mpdp_mbuf *from)
{
	to->port = from->port;
	to->ol_flags = from->ol_flags & ~MPDP_MBUF_F_INDIRECT;
	to->packet_type = from->packet_type;
	to->vlan_tci = from->vlan_tci;
	to->vlan_tci_outer = from->vlan_tci_outer;
	to->rss_hash = from->rss_hash;
	to->tx_offload = from->tx_offload;
	to->timestamp = from->timestamp;
	to->udata64 = from->udata64;
	memcpy(to->dynfield, from->dynfield, sizeof(to->dynfield));
}

/* Make c (fresh from a pool) an indirect mbuf using seg's buffer. */
static void attach(struct mpdp_mbuf *c, struct mpdp_mbuf *seg)
{
	struct mpdp_mbuf *direct =
		mpdp_mbuf_is_indirect(seg) ? mpdp_mbuf_from_off(seg->attached) : seg;

	mpdp_mbuf_refcnt_update(direct, 1);
	c->buf_rel = mpdp_mbuf_buf_addr(seg) - (char *)c;
	c->buf_iova = seg->buf_iova;
	c->buf_len = seg->buf_len;
	c->data_off = seg->data_off;
	c->data_len = seg->data_len;
	c->attached = mpdp_shm_off(direct);
	copy_meta(c, seg);
	c->ol_flags |= MPDP_MBUF_F_INDIRECT;
}

struct mpdp_mbuf *mpdp_mbuf_clone(struct mpdp_mbuf *m, struct mpdp_mempool *mp)
{
	struct mpdp_mbuf *head = NULL, *prev = NULL;

	for (struct mpdp_mbuf *seg = m; seg != NULL; seg = mpdp_mbuf_next(seg)) {
		struct mpdp_mbuf *c = mpdp_mbuf_alloc(mp);

		if (c == NULL) {
			mpdp_mbuf_free(head);
			return NULL;
		}
		attach(c, seg);
		if (prev == NULL) {
			head = c;
		} else {
			prev->next = mpdp_shm_off(c);
			head->nb_segs++;
		}
		prev = c;
	}
	head->pkt_len = m->pkt_len;
	return head;
}

struct mpdp_mbuf *mpdp_mbuf_copy(const struct mpdp_mbuf *m, struct mpdp_mempool *mp,
				 uint32_t off, uint32_t len)
{
	struct mpdp_mbuf *head, *last;
	const struct mpdp_mbuf *src;

	if (off > m->pkt_len)
		return NULL;
	if (len > m->pkt_len - off)
		len = m->pkt_len - off;
	head = mpdp_mbuf_alloc(mp);
	if (head == NULL)
		return NULL;
	copy_meta(head, m);
	last = head;
	src = seg_at(m, &off);
	while (len > 0 && src != NULL) {
		uint32_t k = src->data_len - off;

		if (k > len)
			k = len;
		if (k > mpdp_mbuf_tailroom(last)) {
			k = mpdp_mbuf_tailroom(last);
			if (k == 0) {
				struct mpdp_mbuf *seg = mpdp_mbuf_alloc(mp);

				if (seg == NULL || head->nb_segs == MPDP_MBUF_MAX_SEGS) {
					mpdp_mbuf_free(seg);
					mpdp_mbuf_free(head);
					return NULL;
				}
				seg->data_off = 0; /* only the first segment needs headroom */
				last->next = mpdp_shm_off(seg);
				head->nb_segs++;
				last = seg;
				continue;
			}
		}
		memcpy(mpdp_mbuf_mtod_offset(last, char *, last->data_len),
		       mpdp_mbuf_mtod_offset(src, const char *, off), k);
		last->data_len = (uint16_t)(last->data_len + k);
		head->pkt_len += k;
		len -= k;
		off += k;
		if (off == src->data_len) {
			off = 0;
			src = mpdp_mbuf_next(src);
		}
	}
	return head;
}

/* An indirect mbuf's buffer lies inside the buffer of the mbuf it names. */
static int indirect_buffer_ok(const struct mpdp_mbuf *m)
{
	const struct mpdp_mbuf *d = mpdp_mbuf_from_off(m->attached);
	const char *buf = mpdp_mbuf_buf_addr(m);
	const char *dbuf;

	if (mpdp_mbuf_is_indirect(d) || mpdp_mbuf_pool(d) == NULL ||
	    d->buf_rel != (int64_t)(sizeof(*d) + d->priv_size))
		return 0;
	dbuf = mpdp_mbuf_buf_addr(d);
	return buf >= dbuf && buf + m->buf_len <= dbuf + d->buf_len;
}

int mpdp_mbuf_check(const struct mpdp_mbuf *m, int is_header, const char **reason)
{
	const char *why = NULL;
	uint64_t bytes = 0;
	unsigned int segs = 0;

	if (m == NULL)
		why = "mbuf is NULL";
	else if (!mpdp_shm_contains(m, sizeof(*m)))
		why = "mbuf is not in the shared heap";
	else if (mpdp_mbuf_pool(m) == NULL)
		why = "mbuf names no mempool";
	else if (mpdp_mbuf_refcnt_read(m) == 0)
		why = "refcnt is 0 (freed mbuf?)";
	else if (!mpdp_shm_contains(mpdp_mbuf_buf_addr(m), m->buf_len))
		why = "buffer is outside the shared heap";
	else if ((uint32_t)m->data_off + m->data_len > m->buf_len)
		why = "data goes past the end of the buffer";
	else if (mpdp_mbuf_is_indirect(m) && !mpdp_shm_off_valid(m->attached, sizeof(*m)))
		why = "indirect mbuf names no direct mbuf";
	else if (!mpdp_mbuf_is_indirect(m) &&
		 (m->buf_rel != (int64_t)(sizeof(*m) + m->priv_size) ||
		  m->buf_len != mpdp_mbuf_pool_data_room(mpdp_mbuf_pool(m))))
		why = "buffer is not where the pool put it (buf_rel or buf_len)";
	else if (mpdp_mbuf_is_indirect(m) && !indirect_buffer_ok(m))
		why = "indirect mbuf's buffer is not inside its direct mbuf's buffer";
	else if (is_header) {
		const struct mpdp_mbuf *seg = m;

		while (seg != NULL && why == NULL) {
			if (++segs > MPDP_MBUF_MAX_SEGS)
				why = "chain has too many segments (a loop?)";
			else if ((uint32_t)seg->data_off + seg->data_len > seg->buf_len)
				why = "a segment's data goes past the end of its buffer";
			else if (seg->next != MPDP_SHM_NULL &&
				 !mpdp_shm_off_valid(seg->next, sizeof(*seg)))
				why = "a segment's next offset is outside the heap";
			bytes += seg->data_len;
			seg = why == NULL ? mpdp_mbuf_next(seg) : NULL;
		}
		if (why == NULL && segs != m->nb_segs)
			why = "nb_segs does not match the chain";
		if (why == NULL && bytes != m->pkt_len)
			why = "pkt_len is not the sum of the segments' data_len";
	}
	if (reason != NULL)
		*reason = why;
	return why == NULL ? 0 : -EINVAL;
}

/* mpdp-allow-print: dump writes to the stream its caller passes */
void mpdp_mbuf_dump(FILE *f, const struct mpdp_mbuf *m, unsigned int dump_len)
{
	const char *why;
	unsigned int seg_no = 0;

	if (mpdp_mbuf_check(m, 1, &why) != 0) {
		fprintf(f, "mbuf %p: invalid: %s\n", (const void *)m, why); /* mpdp-allow-print: dump */
		return;
	}
	fprintf(f, "mbuf at heap offset 0x%llx: pkt_len=%u nb_segs=%u port=%u ol_flags=0x%llx " /* mpdp-allow-print: dump */
		   "packet_type=0x%x rss_hash=0x%x vlan_tci=%u\n",
		(unsigned long long)mpdp_shm_off(m), m->pkt_len, m->nb_segs, m->port,
		(unsigned long long)m->ol_flags, m->packet_type, m->rss_hash, m->vlan_tci);
	for (const struct mpdp_mbuf *seg = m; seg != NULL; seg = mpdp_mbuf_next(seg), seg_no++) {
		const uint8_t *data = mpdp_mbuf_mtod(seg, const uint8_t *);
		unsigned int n = seg->data_len < dump_len ? seg->data_len : dump_len;

		fprintf(f, "  segment %u: data_len=%u data_off=%u buf_len=%u refcnt=%u iova=0x%llx%s\n", /* mpdp-allow-print: dump */
			seg_no, seg->data_len, seg->data_off, seg->buf_len,
			mpdp_mbuf_refcnt_read(seg), (unsigned long long)mpdp_mbuf_data_iova(seg),
			mpdp_mbuf_is_indirect(seg) ? " indirect" : "");
		for (unsigned int i = 0; i < n; i++)
			fprintf(f, "%s%02x%s", i % 16 == 0 ? "    " : "", data[i], /* mpdp-allow-print: dump */
				i % 16 == 15 || i + 1 == n ? "\n" : " ");
		dump_len -= n;
	}
}
