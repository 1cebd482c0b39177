/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mbuf.c - mpdp_mbuf in one process: pool creation (sizes, private
 * area, data room edges, errors); the constant per-mbuf fields (IOVA,
 * buffer offset, pool id); alloc/alloc_bulk and the reset state;
 * free/free_seg/free_bulk across pools; the address helpers; prepend,
 * append, adj and trim at their exact limits (a failure leaves the packet as
 * it was); chains (segment and length limits, multi-segment append and trim);
 * read/write across segments; clone by reference (refcnts, shared data,
 * every buffer back in its pool in either free order, clone of a clone,
 * failure without leaks); deep copy with offsets; refcnt; mpdp_mbuf_check
 * against each corruption; mpdp_mbuf_dump; the buffer found through a second
 * mapping of the heap (buf_rel is position independent); debug pools
 * (poisoned data after free, write after free caught).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_mempool.h>

#include "unit_util.h"

#define HDR ((unsigned int)sizeof(struct mpdp_mbuf))


/* ---- helpers ------------------------------------------------------------ */


static uint8_t pat(uint32_t i, uint8_t seed)
{
	return (uint8_t)(i * 31u + seed + (i >> 8));
}

static unsigned int in_use(const struct mpdp_mempool *mp)
{
	return mpdp_mempool_in_use_count(mp);
}

static void audit_clean(struct mpdp_mempool *mp, unsigned int held, int line)
{
	struct mpdp_mempool_audit rep;
	int rc;

	memset(&rep, 0, sizeof(rep));
	rc = mpdp_mempool_audit(mp, &rep, NULL, NULL);
	if (rc != 0 || rep.in_use != held || rep.duplicates != 0 || rep.bad_entries != 0 ||
	    rep.stats_in_use != held) {
		fprintf(stderr,
			"  audit of '%s' (line %d): rc %d in_use %u (want %u) dup %u bad %u "
			"stats_in_use %llu\n",
			mp->name, line, rc, rep.in_use, held, rep.duplicates, rep.bad_entries,
			(unsigned long long)rep.stats_in_use);
		unit_fail(__FILE__, line, "audit not clean");
	}
}
#define AUDIT_CLEAN(mp, held) audit_clean((mp), (held), __LINE__)

static struct mpdp_mempool *make_pool(const char *name, unsigned int n, unsigned int cache,
				      uint16_t priv, uint16_t room, const char *ops)
{
	int err = 0;
	struct mpdp_mempool *mp = mpdp_mbuf_pool_create(name, n, cache, priv, room, ops, &err);

	if (mp == NULL)
		fprintf(stderr, "  mbuf pool '%s' (n %u cache %u priv %u room %u): %d\n", name, n,
			cache, priv, room, err);
	return mp;
}

/* A packet of nb segments of the given lengths, bytes pat(off0 + i, seed); NULL if out. */
static struct mpdp_mbuf *pkt_make_at(struct mpdp_mempool *mp, const uint16_t *lens, unsigned int nb,
				     uint8_t seed, uint32_t off0)
{
	struct mpdp_mbuf *head = NULL, *prev = NULL;
	uint32_t off = off0;

	for (unsigned int s = 0; s < nb; s++) {
		struct mpdp_mbuf *m = mpdp_mbuf_alloc(mp);
		char *p;

		if (m == NULL) {
			mpdp_mbuf_free(head);
			return NULL;
		}
		p = mpdp_mbuf_append(m, lens[s]);
		if (p == NULL) {
			mpdp_mbuf_free(m);
			mpdp_mbuf_free(head);
			return NULL;
		}
		for (uint32_t i = 0; i < lens[s]; i++)
			p[i] = (char)pat(off + i, seed);
		off += lens[s];
		if (head == NULL) {
			head = m;
		} else {
			prev->next = mpdp_shm_off(m);
			head->nb_segs++;
			head->pkt_len += m->pkt_len;
			m->pkt_len = m->data_len;
		}
		prev = m;
	}
	return head;
}

static struct mpdp_mbuf *pkt_make(struct mpdp_mempool *mp, const uint16_t *lens, unsigned int nb,
				  uint8_t seed)
{
	return pkt_make_at(mp, lens, nb, seed, 0);
}

/* The packet's bytes, walked segment by segment, are pat(off0 + i, seed). */
static int pkt_bytes_ok(const struct mpdp_mbuf *m, uint8_t seed, uint32_t off0)
{
	uint32_t i = 0;

	for (const struct mpdp_mbuf *s = m; s != NULL; s = mpdp_mbuf_next(s)) {
		const uint8_t *p = mpdp_mbuf_mtod(s, const uint8_t *);

		for (uint16_t k = 0; k < s->data_len; k++, i++)
			if (p[k] != pat(off0 + i, seed))
				return 0;
	}
	return i == m->pkt_len;
}

static int check_ok(const struct mpdp_mbuf *m)
{
	const char *reason = NULL;
	int rc = mpdp_mbuf_check(m, 1, &reason);

	if (rc != 0)
		fprintf(stderr, "  mbuf_check: %d (%s)\n", rc, reason ? reason : "no reason");
	return rc == 0;
}

static void check_reset(const struct mpdp_mbuf *m, struct mpdp_mempool *mp, int line)
{
	uint16_t room = mpdp_mbuf_pool_data_room(mp);
	uint16_t head = room < MPDP_MBUF_DEFAULT_HEADROOM ? room : MPDP_MBUF_DEFAULT_HEADROOM;
	int ok = m->data_off == head && mpdp_mbuf_refcnt_read(m) == 1 && m->nb_segs == 1 &&
		 m->port == UINT16_MAX && m->ol_flags == 0 && m->packet_type == 0 &&
		 m->pkt_len == 0 && m->data_len == 0 && m->vlan_tci == 0 && m->rss_hash == 0 &&
		 m->next == MPDP_SHM_NULL && m->tx_offload == 0 && m->attached == MPDP_SHM_NULL &&
		 m->vlan_tci_outer == 0 && m->timestamp == 0 && m->buf_len == room &&
		 m->pool_id == mp->id && mpdp_mbuf_pool(m) == mp &&
		 m->priv_size == mpdp_mbuf_pool_priv_size(mp) &&
		 m->buf_rel == (int64_t)(HDR + m->priv_size) && !mpdp_mbuf_is_indirect(m) &&
		 mpdp_mbuf_lastseg((struct mpdp_mbuf *)(uintptr_t)m) == m;

	if (!ok) {
		fprintf(stderr,
			"  mbuf %p: data_off %u refcnt %u nb_segs %u port %u ol %#llx pkt_len %u "
			"data_len %u next %#llx attached %#llx buf_len %u pool %u buf_rel %lld\n",
			(const void *)m, m->data_off, mpdp_mbuf_refcnt_read(m), m->nb_segs, m->port,
			(unsigned long long)m->ol_flags, m->pkt_len, m->data_len,
			(unsigned long long)m->next, (unsigned long long)m->attached, m->buf_len,
			m->pool_id, (long long)m->buf_rel);
		unit_fail(__FILE__, line, "mbuf not reset");
	}
}
#define CHECK_RESET(m, mp) check_reset((m), (mp), __LINE__)

/* ---- pools -------------------------------------------------------------- */

struct const_ctx {
	unsigned int bad;
	uint64_t prev_iova;
	unsigned int n;
};

static void const_cb(struct mpdp_mempool *mp, void *obj, unsigned int idx, void *arg)
{
	struct const_ctx *c = arg;
	const struct mpdp_mbuf *m = obj;
	uint16_t priv = mpdp_mbuf_pool_priv_size(mp);

	(void)idx;
	/* what population wrote, kept while the mbuf is free */
	if (m->buf_rel != (int64_t)(HDR + priv) || m->buf_len != mpdp_mbuf_pool_data_room(mp) ||
	    m->pool_id != mp->id || m->priv_size != priv ||
	    m->buf_iova != mpdp_mem_iova(mpdp_mbuf_buf_addr(m)) ||
	    m->buf_iova != mpdp_shm_off(m) + HDR + priv ||
	    (c->n > 0 && m->buf_iova <= c->prev_iova) ||
	    (c->n > 0 && m->buf_iova - c->prev_iova < (uint64_t)m->buf_len + HDR + priv))
		c->bad++;
	c->prev_iova = m->buf_iova;
	c->n++;
}

static void test_pool_create(void)
{
	struct mpdp_mempool *mp, *plain;
	struct const_ctx c;
	char name26[27];
	int err;

	memset(name26, 'q', 26);
	name26[26] = '\0';

	mp = make_pool("mb.def", 64, 0, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL);
	REQUIRE(mp != NULL);
	CHECK_EQ(mpdp_mbuf_pool_data_room(mp), MPDP_MBUF_DEFAULT_BUF_SIZE);
	CHECK_EQ(mpdp_mbuf_pool_priv_size(mp), 0);
	CHECK_EQ(mp->size, 64);
	CHECK(mp->elt_size >= HDR + MPDP_MBUF_DEFAULT_BUF_SIZE);
	CHECK(strcmp(mp->shm->ops_name, "ring") == 0);
	CHECK(mpdp_mempool_lookup("mb.def", NULL) == mp);
	memset(&c, 0, sizeof(c));
	CHECK_EQ(mpdp_mempool_obj_iter(mp, const_cb, &c), 64);
	CHECK_EQ(c.bad, 0);

	/* a private area between the struct and the buffer */
	plain = make_pool("mb.priv", 16, 4, 24, 512, "stack");
	REQUIRE(plain != NULL);
	CHECK_EQ(mpdp_mbuf_pool_priv_size(plain), 24);
	CHECK_EQ(mpdp_mbuf_pool_data_room(plain), 512);
	CHECK(plain->elt_size >= HDR + 24 + 512);
	CHECK(strcmp(plain->shm->ops_name, "stack") == 0);
	memset(&c, 0, sizeof(c));
	CHECK_EQ(mpdp_mempool_obj_iter(plain, const_cb, &c), 16);
	CHECK_EQ(c.bad, 0);
	{
		struct mpdp_mbuf *m = mpdp_mbuf_alloc(plain);

		REQUIRE(m != NULL);
		CHECK((char *)mpdp_mbuf_priv(m) == (char *)m + HDR);
		CHECK((char *)mpdp_mbuf_priv(m) + 24 == mpdp_mbuf_buf_addr(m));
		memset(mpdp_mbuf_priv(m), 0xee, 24); /* all of it is ours */
		CHECK(check_ok(m));
		mpdp_mbuf_free(m);
	}
	mpdp_mempool_free(plain);

	/* errors */
#define POOL_FAILS(want, ...)                                            \
	do {                                                             \
		err = 1;                                                 \
		CHECK(mpdp_mbuf_pool_create(__VA_ARGS__, &err) == NULL); \
		CHECK_EQ(err, want);                                     \
	} while (0)
	POOL_FAILS(-EEXIST, "mb.def", 64, 0, 0, 2048, NULL);
	POOL_FAILS(-EINVAL, "mb.x", 0, 0, 0, 2048, NULL);
	POOL_FAILS(-EINVAL, "mb.x", 64, 0, 7, 2048, NULL); /* priv not a multiple of 8 */
	POOL_FAILS(-EINVAL, "mb.x", 64, 0, 12, 2048, NULL);
	POOL_FAILS(-EINVAL, "mb.x", 64, 60, 0, 2048, NULL); /* cache too big for n */
	POOL_FAILS(-ENAMETOOLONG, name26, 64, 0, 0, 2048, NULL);
	unit_log_capture(); /* the unknown backend is logged: keep it out of the output */
	POOL_FAILS(-ENOTSUP, "mb.x", 64, 0, 0, 2048, "no-such-ops");
	unit_log_release();
#undef POOL_FAILS
	CHECK(mpdp_mempool_lookup("mb.x", &err) == NULL);
	CHECK_EQ(err, -ENOENT);

	/* a pool that is not an mbuf pool */
	plain = mpdp_mempool_create("mb.plain", 8, 64, 0, 0, NULL, &err);
	REQUIRE(plain != NULL);
	CHECK_EQ(mpdp_mbuf_pool_data_room(plain), 0);
	CHECK_EQ(mpdp_mbuf_pool_priv_size(plain), 0);
	mpdp_mempool_free(plain);
	mpdp_mempool_free(mp);
}

/* ---- alloc, reset, free ------------------------------------------------- */

static void dirty(struct mpdp_mbuf *m)
{
	m->data_off = 7;
	m->port = 3;
	m->ol_flags = MPDP_MBUF_F_RX_VLAN | MPDP_MBUF_F_TX_TCP_SEG;
	m->packet_type = MPDP_PTYPE_L3_IPV4;
	m->pkt_len = 99;
	m->data_len = 99;
	m->vlan_tci = 5;
	m->rss_hash = 0xdead;
	m->tx_offload = ~0ULL;
	m->vlan_tci_outer = 9;
	m->timestamp = 1234;
}

static void test_alloc_free(void)
{
	struct mpdp_mempool *mp = make_pool("mb.af", 32, 8, 8, 1024, NULL);
	struct mpdp_mbuf *ms[33], *m;
	unsigned int n;

	REQUIRE(mp != NULL);
	m = mpdp_mbuf_alloc(mp);
	REQUIRE(m != NULL);
	CHECK_RESET(m, mp);
	CHECK(check_ok(m));
	CHECK_EQ(in_use(mp), 1);
	/* the address helpers of an empty mbuf */
	CHECK_EQ(mpdp_mbuf_headroom(m), MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK_EQ(mpdp_mbuf_tailroom(m), 1024 - MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK(mpdp_mbuf_buf_addr(m) == (char *)m + HDR + 8);
	CHECK(mpdp_mbuf_mtod(m, char *) == mpdp_mbuf_buf_addr(m) + MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK(mpdp_mbuf_mtod_offset(m, char *, 10) == mpdp_mbuf_mtod(m, char *) + 10);
	CHECK_EQ(mpdp_mbuf_data_iova(m), m->buf_iova + MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK_EQ(mpdp_mbuf_data_iova(m), mpdp_mem_iova(mpdp_mbuf_mtod(m, void *)));
	CHECK_EQ(mpdp_shm_off(mpdp_mbuf_mtod(m, void *)), m->buf_iova + m->data_off);
	CHECK(mpdp_mbuf_from_off(mpdp_shm_off(m)) == m);
	CHECK(mpdp_mbuf_next(m) == NULL);
	CHECK(mpdp_mbuf_is_contiguous(m));
	CHECK(mpdp_shm_contains(mpdp_mbuf_buf_addr(m), m->buf_len));
	memset(mpdp_mbuf_buf_addr(m), 0x5a, m->buf_len); /* the whole buffer is writable */
	mpdp_mbuf_free(m);
	CHECK_EQ(in_use(mp), 0);
	mpdp_mbuf_free(NULL);

	/* dirty every field, free, alloc again: all reset. (A bulk of cache_size
	 * or more comes from the backend only: empty the cache first.) */
	mpdp_mempool_cache_flush(mp);
	CHECK_EQ(mpdp_mbuf_alloc_bulk(mp, ms, 32), 0);
	CHECK_EQ(in_use(mp), 32);
	for (int i = 0; i < 32; i++) {
		CHECK_RESET(ms[i], mp);
		for (int k = 0; k < i; k++)
			CHECK(ms[k] != ms[i]);
		dirty(ms[i]);
	}
	mpdp_mbuf_free_bulk(ms, 32);
	CHECK_EQ(in_use(mp), 0);
	CHECK_EQ(mpdp_mbuf_alloc_bulk(mp, ms, 32), 0);
	for (int i = 0; i < 32; i++)
		CHECK_RESET(ms[i], mp);
	/* all or nothing */
	CHECK_EQ(mpdp_mbuf_alloc_bulk(mp, &ms[32], 1), -ENOENT);
	CHECK(mpdp_mbuf_alloc(mp) == NULL);
	mpdp_mbuf_free_bulk(ms, 32);
	CHECK_EQ(mpdp_mbuf_alloc_bulk(mp, ms, 33), -ENOENT);
	CHECK_EQ(in_use(mp), 0);
	CHECK_EQ(mpdp_mempool_avail_count(mp), 32);

	/* one by one until empty */
	for (n = 0; n < 33; n++) {
		ms[n] = mpdp_mbuf_alloc(mp);
		if (ms[n] == NULL)
			break;
		dirty(ms[n]);
	}
	CHECK_EQ(n, 32);
	for (unsigned int i = 0; i < n; i++)
		mpdp_mbuf_free(ms[i]);
	CHECK_EQ(in_use(mp), 0);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

static void test_free_variants(void)
{
	struct mpdp_mempool *a = make_pool("mb.fa", 32, 4, 0, 512, NULL);
	struct mpdp_mempool *b = make_pool("mb.fb", 32, 0, 16, 256, "stack");
	static const uint16_t l2[] = { 10, 20 }, l3[] = { 5, 6, 7 };
	struct mpdp_mbuf *p[8], *s2, *x, *y;

	REQUIRE(a != NULL && b != NULL);

	/* free_seg frees one segment, not the rest */
	p[0] = pkt_make(a, l2, 2, 1);
	REQUIRE(p[0] != NULL);
	s2 = mpdp_mbuf_next(p[0]);
	mpdp_mbuf_free_seg(p[0]);
	CHECK_EQ(in_use(a), 1);
	CHECK_EQ(s2->data_len, 20);
	mpdp_mbuf_free_seg(s2);
	CHECK_EQ(in_use(a), 0);

	/* free_bulk: packets of both pools, and packets mixing both */
	p[0] = pkt_make(a, l2, 2, 1);
	p[1] = pkt_make(b, l3, 3, 2);
	p[2] = pkt_make(a, l3, 3, 3);
	p[3] = pkt_make(b, l2, 1, 4);
	x = pkt_make(a, l2, 2, 5);
	y = pkt_make(b, l3, 3, 6);
	REQUIRE(p[0] && p[1] && p[2] && p[3] && x && y);
	CHECK_EQ(mpdp_mbuf_chain(x, y), 0); /* a, a, b, b, b */
	p[4] = x;
	p[5] = pkt_make(b, l2, 2, 7);
	x = pkt_make(b, l2, 1, 8);
	y = pkt_make(a, l2, 1, 9);
	REQUIRE(p[5] && x && y);
	CHECK_EQ(mpdp_mbuf_chain(x, y), 0); /* b, a */
	p[6] = x;
	p[7] = pkt_make(a, l2, 1, 10);
	REQUIRE(p[7] != NULL);
	CHECK_EQ(in_use(a), 2 + 3 + 2 + 1 + 1);
	CHECK_EQ(in_use(b), 3 + 1 + 3 + 2 + 1);
	/* one of them is also held by somebody else */
	mpdp_mbuf_refcnt_update(p[7], 1);
	mpdp_mbuf_free_bulk(p, 8);
	CHECK_EQ(in_use(a), 1);
	CHECK_EQ(in_use(b), 0);
	CHECK_EQ(mpdp_mbuf_refcnt_read(p[7]), 1);
	mpdp_mbuf_free_bulk(&p[7], 1);
	CHECK_EQ(in_use(a), 0);
	mpdp_mbuf_free_bulk(p, 0);
	mpdp_mempool_cache_flush(a);
	AUDIT_CLEAN(a, 0);
	AUDIT_CLEAN(b, 0);
	mpdp_mempool_free(a);
	mpdp_mempool_free(b);
}

/* ---- data room edges, prepend/append/adj/trim ---------------------------- */

static void test_room_edges(void)
{
	struct mpdp_mempool *tiny = make_pool("mb.tiny", 4, 0, 0, 64, NULL);
	struct mpdp_mempool *exact =
		make_pool("mb.exact", 4, 0, 0, MPDP_MBUF_DEFAULT_HEADROOM, NULL);
	struct mpdp_mempool *big = make_pool("mb.big", 4, 0, 0, 65535, NULL);
	struct mpdp_mbuf *m, saved;
	char *p;

	REQUIRE(tiny != NULL && exact != NULL && big != NULL);

	/* a data room smaller than the default headroom: all of it is headroom */
	m = mpdp_mbuf_alloc(tiny);
	REQUIRE(m != NULL);
	CHECK_RESET(m, tiny);
	CHECK_EQ(m->buf_len, 64);
	CHECK_EQ(m->data_off, 64);
	CHECK_EQ(mpdp_mbuf_headroom(m), 64);
	CHECK_EQ(mpdp_mbuf_tailroom(m), 0);
	CHECK(check_ok(m));
	saved = *m;
	CHECK(mpdp_mbuf_append(m, 1) == NULL);
	CHECK(memcmp(&saved, m, sizeof(saved)) == 0);
	CHECK(mpdp_mbuf_prepend(m, 65) == NULL);
	CHECK(memcmp(&saved, m, sizeof(saved)) == 0);
	p = mpdp_mbuf_prepend(m, 64);
	CHECK(p == mpdp_mbuf_buf_addr(m));
	CHECK_EQ(m->data_off, 0);
	CHECK_EQ(m->data_len, 64);
	CHECK_EQ(m->pkt_len, 64);
	CHECK(check_ok(m));
	CHECK(mpdp_mbuf_prepend(m, 1) == NULL);
	mpdp_mbuf_free(m);

	/* a data room of exactly the headroom */
	m = mpdp_mbuf_alloc(exact);
	REQUIRE(m != NULL);
	CHECK_EQ(m->data_off, MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK_EQ(mpdp_mbuf_tailroom(m), 0);
	CHECK(mpdp_mbuf_append(m, 1) == NULL);
	CHECK(check_ok(m));
	mpdp_mbuf_free(m);

	/* the largest data room */
	m = mpdp_mbuf_alloc(big);
	REQUIRE(m != NULL);
	CHECK_EQ(m->buf_len, 65535);
	CHECK_EQ(mpdp_mbuf_tailroom(m), 65535 - MPDP_MBUF_DEFAULT_HEADROOM);
	p = mpdp_mbuf_append(m, 65535 - MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK(p == mpdp_mbuf_mtod(m, char *));
	CHECK_EQ(m->data_len, 65535 - MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK_EQ(mpdp_mbuf_tailroom(m), 0);
	saved = *m;
	CHECK(mpdp_mbuf_append(m, 1) == NULL);
	CHECK(memcmp(&saved, m, sizeof(saved)) == 0);
	CHECK(mpdp_mbuf_prepend(m, MPDP_MBUF_DEFAULT_HEADROOM) == mpdp_mbuf_buf_addr(m));
	CHECK_EQ(m->data_len, 65535);
	CHECK_EQ(m->pkt_len, 65535);
	memset(mpdp_mbuf_mtod(m, char *), 0x77, 65535);
	CHECK(check_ok(m));
	CHECK(mpdp_mbuf_adj(m, 65535) == mpdp_mbuf_buf_addr(m) + 65535);
	CHECK_EQ(m->pkt_len, 0);
	CHECK(check_ok(m));
	mpdp_mbuf_free(m);

	AUDIT_CLEAN(tiny, 0);
	AUDIT_CLEAN(big, 0);
	mpdp_mempool_free(tiny);
	mpdp_mempool_free(exact);
	mpdp_mempool_free(big);
}

static void test_data_ops(void)
{
	struct mpdp_mempool *mp = make_pool("mb.ops", 8, 0, 0, 1024, NULL);
	struct mpdp_mbuf *m, saved;
	char *p, *start;
	uint16_t room;

	REQUIRE(mp != NULL);
	m = mpdp_mbuf_alloc(mp);
	REQUIRE(m != NULL);
	start = mpdp_mbuf_mtod(m, char *);
	room = mpdp_mbuf_tailroom(m);
	CHECK_EQ(room, 1024 - MPDP_MBUF_DEFAULT_HEADROOM);

	/* append returns where the new bytes start */
	p = mpdp_mbuf_append(m, 100);
	CHECK(p == start);
	memset(p, 1, 100);
	p = mpdp_mbuf_append(m, 0);
	CHECK(p == start + 100);
	CHECK_EQ(m->data_len, 100);
	p = mpdp_mbuf_append(m, (uint16_t)(room - 100)); /* exactly the rest */
	CHECK(p == start + 100);
	CHECK_EQ(m->data_len, room);
	CHECK_EQ(m->pkt_len, room);
	CHECK_EQ(mpdp_mbuf_tailroom(m), 0);
	saved = *m;
	CHECK(mpdp_mbuf_append(m, 1) == NULL);
	CHECK(mpdp_mbuf_append(m, UINT16_MAX) == NULL);
	CHECK(memcmp(&saved, m, sizeof(saved)) == 0);

	/* trim: exactly the segment is fine, one more is not */
	saved = *m;
	CHECK_EQ(mpdp_mbuf_trim(m, (uint16_t)(room + 1)), -EINVAL);
	CHECK(memcmp(&saved, m, sizeof(saved)) == 0);
	CHECK_EQ(mpdp_mbuf_trim(m, 10), 0);
	CHECK_EQ(m->data_len, room - 10);
	CHECK_EQ(m->pkt_len, room - 10);
	CHECK_EQ(mpdp_mbuf_tailroom(m), 10);
	CHECK_EQ(mpdp_mbuf_trim(m, (uint16_t)(room - 10)), 0);
	CHECK_EQ(m->data_len, 0);
	CHECK_EQ(m->pkt_len, 0);
	CHECK(mpdp_mbuf_mtod(m, char *) == start); /* trim does not move the start */

	/* prepend into the headroom, to the last byte */
	p = mpdp_mbuf_prepend(m, 14);
	CHECK(p == start - 14);
	CHECK_EQ(m->data_len, 14);
	CHECK_EQ(m->pkt_len, 14);
	CHECK_EQ(mpdp_mbuf_headroom(m), MPDP_MBUF_DEFAULT_HEADROOM - 14);
	saved = *m;
	CHECK(mpdp_mbuf_prepend(m, MPDP_MBUF_DEFAULT_HEADROOM - 13) == NULL);
	CHECK(memcmp(&saved, m, sizeof(saved)) == 0);
	p = mpdp_mbuf_prepend(m, MPDP_MBUF_DEFAULT_HEADROOM - 14);
	CHECK(p == mpdp_mbuf_buf_addr(m));
	CHECK_EQ(m->data_off, 0);
	CHECK_EQ(m->data_len, MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK(mpdp_mbuf_prepend(m, 1) == NULL);
	CHECK(check_ok(m));

	/* adj: from the front; exactly the segment is fine, one more is not */
	p = mpdp_mbuf_adj(m, 20);
	CHECK(p == mpdp_mbuf_buf_addr(m) + 20);
	CHECK_EQ(m->data_off, 20);
	CHECK_EQ(m->data_len, MPDP_MBUF_DEFAULT_HEADROOM - 20);
	CHECK_EQ(m->pkt_len, MPDP_MBUF_DEFAULT_HEADROOM - 20);
	saved = *m;
	CHECK(mpdp_mbuf_adj(m, MPDP_MBUF_DEFAULT_HEADROOM - 19) == NULL);
	CHECK(memcmp(&saved, m, sizeof(saved)) == 0);
	p = mpdp_mbuf_adj(m, MPDP_MBUF_DEFAULT_HEADROOM - 20);
	CHECK(p == mpdp_mbuf_buf_addr(m) + MPDP_MBUF_DEFAULT_HEADROOM);
	CHECK_EQ(m->data_len, 0);
	CHECK_EQ(m->pkt_len, 0);
	CHECK(mpdp_mbuf_adj(m, 1) == NULL);
	CHECK_EQ(mpdp_mbuf_trim(m, 1), -EINVAL);
	CHECK(check_ok(m));
	mpdp_mbuf_free(m);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

/* ---- chains ------------------------------------------------------------- */

static void test_chain(void)
{
	struct mpdp_mempool *mp = make_pool("mb.ch", 300, 16, 0, 256, NULL);
	static const uint16_t la[] = { 100 }, lb[] = { 50 }, lc[] = { 30, 20 }, one[] = { 1 };
	struct mpdp_mbuf *a, *b, *c, *last, *s, saved_a, saved_c, *head, *tail;
	uint32_t pkt;

	REQUIRE(mp != NULL);
	a = pkt_make(mp, la, 1, 0);
	b = pkt_make_at(mp, lb, 1, 0, 100);
	c = pkt_make_at(mp, lc, 2, 0, 150);
	REQUIRE(a && b && c);
	CHECK_EQ(c->nb_segs, 2);
	CHECK_EQ(c->pkt_len, 50);
	CHECK(!mpdp_mbuf_is_contiguous(c));
	CHECK(check_ok(c));
	CHECK_EQ(mpdp_mbuf_chain(a, b), 0);
	CHECK_EQ(a->nb_segs, 2);
	CHECK_EQ(a->pkt_len, 150);
	CHECK(mpdp_mbuf_lastseg(a) == b);
	CHECK_EQ(mpdp_mbuf_chain(a, c), 0);
	CHECK_EQ(a->nb_segs, 4);
	CHECK_EQ(a->pkt_len, 200);
	CHECK_EQ(c->nb_segs, 1); /* no longer a first segment */
	CHECK_EQ(c->pkt_len, c->data_len);
	last = mpdp_mbuf_lastseg(a);
	CHECK(last == mpdp_mbuf_next(c));
	CHECK(check_ok(a));
	CHECK(pkt_bytes_ok(a, 0, 0));
	CHECK_EQ(in_use(mp), 4);

	/* append and trim act on the last segment, pkt_len on the first */
	CHECK(mpdp_mbuf_append(a, 10) == mpdp_mbuf_mtod_offset(last, char *, 20));
	CHECK_EQ(last->data_len, 30);
	CHECK_EQ(a->data_len, 100);
	CHECK_EQ(a->pkt_len, 210);
	CHECK(check_ok(a));
	saved_a = *a;
	saved_c = *last;
	CHECK(mpdp_mbuf_append(a, (uint16_t)(mpdp_mbuf_tailroom(last) + 1)) == NULL);
	CHECK(memcmp(&saved_a, a, sizeof(saved_a)) == 0);
	CHECK(memcmp(&saved_c, last, sizeof(saved_c)) == 0);
	/* the last segment has 30: trimming 31 fails though the packet has 210 */
	CHECK_EQ(mpdp_mbuf_trim(a, 31), -EINVAL);
	CHECK(memcmp(&saved_a, a, sizeof(saved_a)) == 0);
	CHECK(memcmp(&saved_c, last, sizeof(saved_c)) == 0);
	CHECK_EQ(mpdp_mbuf_trim(a, 30), 0);
	CHECK_EQ(last->data_len, 0);
	CHECK_EQ(a->pkt_len, 180);
	CHECK(check_ok(a));
	/* prepend and adj act on the first */
	CHECK(mpdp_mbuf_prepend(a, 8) != NULL);
	CHECK_EQ(a->data_len, 108);
	CHECK_EQ(a->pkt_len, 188);
	CHECK(mpdp_mbuf_adj(a, 8) != NULL);
	saved_a = *a;
	CHECK(mpdp_mbuf_adj(a, 101) == NULL); /* the first segment has 100 */
	CHECK(memcmp(&saved_a, a, sizeof(saved_a)) == 0);
	CHECK(check_ok(a));
	mpdp_mbuf_free(a);
	CHECK_EQ(in_use(mp), 0);

	/* the segment limit */
	head = pkt_make(mp, one, 1, 0);
	REQUIRE(head != NULL);
	for (int i = 1; i < MPDP_MBUF_MAX_SEGS - 1; i++) {
		s = pkt_make(mp, one, 1, (uint8_t)i);
		REQUIRE(s != NULL);
		CHECK_EQ(mpdp_mbuf_chain(head, s), 0);
	}
	CHECK_EQ(head->nb_segs, MPDP_MBUF_MAX_SEGS - 1);
	tail = pkt_make(mp, lc, 2, 0);
	REQUIRE(tail != NULL);
	saved_a = *head;
	saved_c = *tail;
	last = mpdp_mbuf_lastseg(head);
	CHECK_EQ(mpdp_mbuf_chain(head, tail), -EOVERFLOW);
	CHECK(memcmp(&saved_a, head, sizeof(saved_a)) == 0);
	CHECK(memcmp(&saved_c, tail, sizeof(saved_c)) == 0);
	CHECK_EQ(last->next, MPDP_SHM_NULL);
	mpdp_mbuf_free(tail);
	s = pkt_make(mp, one, 1, 0);
	REQUIRE(s != NULL);
	CHECK_EQ(mpdp_mbuf_chain(head, s), 0);
	CHECK_EQ(head->nb_segs, MPDP_MBUF_MAX_SEGS);
	CHECK_EQ(head->pkt_len, MPDP_MBUF_MAX_SEGS);
	CHECK(check_ok(head));
	s = pkt_make(mp, one, 1, 0);
	REQUIRE(s != NULL);
	CHECK_EQ(mpdp_mbuf_chain(head, s), -EOVERFLOW);
	CHECK_EQ(head->nb_segs, MPDP_MBUF_MAX_SEGS);
	/* the length limit (faked: 4 GiB of real data is not needed to test it) */
	pkt = head->pkt_len;
	head->pkt_len = UINT32_MAX - 5;
	tail = pkt_make(mp, one, 1, 0);
	REQUIRE(tail != NULL);
	tail->pkt_len = 6;
	head->nb_segs = 2; /* room in segments, not in bytes */
	CHECK_EQ(mpdp_mbuf_chain(head, tail), -EOVERFLOW);
	CHECK_EQ(head->pkt_len, UINT32_MAX - 5);
	head->nb_segs = MPDP_MBUF_MAX_SEGS;
	head->pkt_len = pkt;
	tail->pkt_len = 1;
	mpdp_mbuf_free(s);
	mpdp_mbuf_free(tail);
	CHECK_EQ(in_use(mp), MPDP_MBUF_MAX_SEGS);
	mpdp_mbuf_free(head);
	CHECK_EQ(in_use(mp), 0);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

/* ---- read and write ----------------------------------------------------- */

static void test_read_write(void)
{
	struct mpdp_mempool *mp = make_pool("mb.rw", 16, 0, 0, 512, NULL);
	static const uint16_t lens[] = { 100, 50, 200 };
	uint8_t buf[400], src[400], before[350];
	struct mpdp_mbuf *m, *s1, *s2;
	const uint8_t *r;
	int ok;

	REQUIRE(mp != NULL);
	m = pkt_make(mp, lens, 3, 0);
	REQUIRE(m != NULL);
	CHECK_EQ(m->pkt_len, 350);
	s1 = mpdp_mbuf_next(m);
	s2 = mpdp_mbuf_next(s1);

	/* write across both boundaries, then check it segment by segment */
	for (int i = 0; i < 350; i++)
		src[i] = pat((uint32_t)i, 77);
	CHECK_EQ(mpdp_mbuf_write(m, 0, 350, src), 0);
	CHECK(pkt_bytes_ok(m, 77, 0));

	/* contiguous: a pointer into the mbuf, buf untouched */
	memset(buf, 0xcc, sizeof(buf));
	CHECK(mpdp_mbuf_read(m, 10, 20, buf) == mpdp_mbuf_mtod_offset(m, const void *, 10));
	CHECK_EQ(buf[0], 0xcc);
	CHECK(mpdp_mbuf_read(m, 100, 50, buf) == mpdp_mbuf_mtod(s1, const void *));
	CHECK(mpdp_mbuf_read(m, 150, 200, buf) == mpdp_mbuf_mtod(s2, const void *));
	CHECK(mpdp_mbuf_read(m, 349, 1, buf) == mpdp_mbuf_mtod_offset(s2, const void *, 199));

	/* across segments: copied into buf */
	static const uint32_t cases[][2] = { { 90, 20 }, { 99, 2 },  { 90, 100 },
					     { 0, 350 }, { 149, 2 }, { 100, 51 } };
	for (size_t c = 0; c < MPDP_DIM(cases); c++) {
		memset(buf, 0xcc, sizeof(buf));
		r = mpdp_mbuf_read(m, cases[c][0], cases[c][1], buf);
		CHECK(r == buf);
		ok = r != NULL;
		for (uint32_t i = 0; ok && i < cases[c][1]; i++)
			ok = r[i] == pat(cases[c][0] + i, 77);
		CHECK(ok);
		CHECK_EQ(buf[cases[c][1]], 0xcc); /* nothing past len */
	}

	/* copy_out: always copies, follows the links, stops where the chain ends */
	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(mpdp_mbuf_copy_out(m, 10, buf, 20), 20);
	CHECK(buf[0] == pat(10, 77) && buf[19] == pat(29, 77) && buf[20] == 0xcc);
	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(mpdp_mbuf_copy_out(m, 90, buf, 400), 260); /* 350 - 90 */
	ok = 1;
	for (uint32_t i = 0; i < 260; i++)
		ok = ok && buf[i] == pat(90 + i, 77);
	CHECK(ok);
	CHECK_EQ(buf[260], 0xcc);
	CHECK_EQ(mpdp_mbuf_copy_out(m, 350, buf, 10), 0);
	m->pkt_len = 4000; /* a lying pkt_len: the links decide */
	CHECK_EQ(mpdp_mbuf_copy_out(m, 0, buf, 400), 350);
	m->pkt_len = 350;

	/* past the end */
	CHECK(mpdp_mbuf_read(m, 341, 10, buf) == NULL);
	CHECK(mpdp_mbuf_read(m, 350, 1, buf) == NULL);
	CHECK(mpdp_mbuf_read(m, 0, 351, buf) == NULL);
	CHECK(mpdp_mbuf_read(m, UINT32_MAX, 2, buf) == NULL); /* off + len wraps */
	CHECK(mpdp_mbuf_read(m, 2, UINT32_MAX, buf) == NULL);

	/* write at a boundary, and failing writes change nothing */
	for (int i = 0; i < 60; i++)
		src[i] = (uint8_t)(0xa0 + i);
	CHECK_EQ(mpdp_mbuf_write(m, 95, 60, src), 0);
	r = mpdp_mbuf_read(m, 95, 60, buf);
	CHECK(r != NULL && memcmp(r, src, 60) == 0);
	CHECK_EQ(*mpdp_mbuf_mtod_offset(m, uint8_t *, 94), pat(94, 77));
	CHECK_EQ(*mpdp_mbuf_mtod_offset(s2, uint8_t *, 5), pat(155, 77));
	r = mpdp_mbuf_read(m, 0, 350, buf);
	REQUIRE(r != NULL);
	memcpy(before, r, 350);
	CHECK_EQ(mpdp_mbuf_write(m, 345, 10, src), -EINVAL);
	CHECK_EQ(mpdp_mbuf_write(m, 350, 1, src), -EINVAL);
	CHECK_EQ(mpdp_mbuf_write(m, UINT32_MAX, 2, src), -EINVAL);
	CHECK_EQ(mpdp_mbuf_write(m, 1, UINT32_MAX, src), -EINVAL);
	r = mpdp_mbuf_read(m, 0, 350, buf);
	CHECK(r != NULL && memcmp(r, before, 350) == 0);
	CHECK_EQ(mpdp_mbuf_write(m, 340, 10, src), 0); /* to the last byte */
	CHECK(memcmp(mpdp_mbuf_mtod_offset(s2, uint8_t *, 190), src, 10) == 0);
	CHECK(check_ok(m));
	mpdp_mbuf_free(m);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

/* ---- clone and copy ----------------------------------------------------- */

static void set_meta(struct mpdp_mbuf *m)
{
	m->port = 3;
	m->packet_type = MPDP_PTYPE_L2_ETHER | MPDP_PTYPE_L3_IPV4 | MPDP_PTYPE_L4_UDP;
	m->vlan_tci = 42;
	m->rss_hash = 0x12345678;
	m->ol_flags = MPDP_MBUF_F_RX_RSS_HASH | MPDP_MBUF_F_RX_VLAN;
	m->timestamp = 777;
}

static int meta_copied(const struct mpdp_mbuf *c, const struct mpdp_mbuf *m)
{
	return c->port == m->port && c->packet_type == m->packet_type &&
	       c->vlan_tci == m->vlan_tci && c->rss_hash == m->rss_hash &&
	       (c->ol_flags & ~MPDP_MBUF_F_INDIRECT) == (m->ol_flags & ~MPDP_MBUF_F_INDIRECT);
}

/* Every mbuf of the pool is direct, with its own buffer. */
static void check_all_direct(struct mpdp_mempool *mp, int line)
{
	struct mpdp_mbuf *ms[64];
	unsigned int n = mpdp_mempool_avail_count(mp);

	if (n > 64 || mpdp_mbuf_alloc_bulk(mp, ms, n) != 0) {
		unit_fail(__FILE__, line, "cannot allocate the whole pool");
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		CHECK_RESET(ms[i], mp);
		if (ms[i]->buf_iova != mpdp_mem_iova(mpdp_mbuf_buf_addr(ms[i])) ||
		    mpdp_mbuf_buf_addr(ms[i]) != (char *)ms[i] + HDR + ms[i]->priv_size)
			unit_fail(__FILE__, line, "mbuf does not own its buffer again");
	}
	mpdp_mbuf_free_bulk(ms, n);
}

static void test_clone(void)
{
	struct mpdp_mempool *a = make_pool("mb.ca", 16, 0, 0, 512, NULL);
	struct mpdp_mempool *b = make_pool("mb.cb", 16, 4, 8, 256, "stack");
	static const uint16_t lens[] = { 100, 60 };
	struct mpdp_mbuf *m, *c, *c2, *ms, *cs, *hold[16];

	REQUIRE(a != NULL && b != NULL);
	m = pkt_make(a, lens, 2, 9);
	REQUIRE(m != NULL);
	set_meta(m);
	CHECK(mpdp_mbuf_prepend(m, 4) != NULL); /* a data_off that is not the default */
	memset(mpdp_mbuf_mtod(m, char *), 0, 4);
	CHECK(mpdp_mbuf_adj(m, 4) != NULL);

	c = mpdp_mbuf_clone(m, b);
	REQUIRE(c != NULL);
	CHECK(c != m);
	CHECK(mpdp_mbuf_pool(c) == b);
	CHECK_EQ(c->pool_id, b->id);
	CHECK_EQ(c->nb_segs, 2);
	CHECK_EQ(c->pkt_len, 160);
	CHECK(meta_copied(c, m));
	CHECK(check_ok(c));
	CHECK(check_ok(m));
	CHECK_EQ(in_use(a), 2);
	CHECK_EQ(in_use(b), 2);
	for (ms = m, cs = c; ms != NULL && cs != NULL;
	     ms = mpdp_mbuf_next(ms), cs = mpdp_mbuf_next(cs)) {
		CHECK(mpdp_mbuf_is_indirect(cs));
		CHECK(!mpdp_mbuf_is_indirect(ms));
		CHECK_EQ(cs->attached, mpdp_shm_off(ms));
		CHECK_EQ(mpdp_mbuf_refcnt_read(ms), 2);
		CHECK_EQ(mpdp_mbuf_refcnt_read(cs), 1);
		CHECK(mpdp_mbuf_buf_addr(cs) == mpdp_mbuf_buf_addr(ms));
		CHECK(mpdp_mbuf_mtod(cs, char *) == mpdp_mbuf_mtod(ms, char *));
		CHECK_EQ(cs->buf_iova, ms->buf_iova);
		CHECK_EQ(mpdp_mbuf_data_iova(cs), mpdp_mbuf_data_iova(ms));
		CHECK_EQ(cs->buf_len, ms->buf_len);
		CHECK_EQ(cs->data_off, ms->data_off);
		CHECK_EQ(cs->data_len, ms->data_len);
	}
	CHECK(ms == NULL && cs == NULL);
	CHECK(pkt_bytes_ok(c, 9, 0));
	/* one buffer: a write through the clone is seen in the original */
	*mpdp_mbuf_mtod_offset(mpdp_mbuf_next(c), uint8_t *, 3) ^= 0xff;
	CHECK_EQ(*mpdp_mbuf_mtod_offset(mpdp_mbuf_next(m), uint8_t *, 3), (uint8_t)~pat(103, 9));
	*mpdp_mbuf_mtod_offset(mpdp_mbuf_next(c), uint8_t *, 3) ^= 0xff;

	/* original first: its buffers stay (the clone holds them), then all go back */
	mpdp_mbuf_free(m);
	CHECK_EQ(in_use(a), 2);
	CHECK_EQ(in_use(b), 2);
	CHECK(pkt_bytes_ok(c, 9, 0));
	CHECK_EQ(mpdp_mbuf_refcnt_read(mpdp_mbuf_from_off(c->attached)), 1);
	mpdp_mbuf_free(c);
	CHECK_EQ(in_use(a), 0);
	CHECK_EQ(in_use(b), 0);
	mpdp_mempool_cache_flush(b);
	AUDIT_CLEAN(a, 0);
	AUDIT_CLEAN(b, 0);
	check_all_direct(b, __LINE__);
	check_all_direct(a, __LINE__);

	/* clone first */
	m = pkt_make(a, lens, 2, 10);
	REQUIRE(m != NULL);
	c = mpdp_mbuf_clone(m, b);
	REQUIRE(c != NULL);
	mpdp_mbuf_free(c);
	CHECK_EQ(in_use(b), 0);
	CHECK_EQ(in_use(a), 2);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 1);
	CHECK_EQ(mpdp_mbuf_refcnt_read(mpdp_mbuf_next(m)), 1);
	CHECK(pkt_bytes_ok(m, 10, 0));
	CHECK(check_ok(m));

	/* a clone of a clone shares the original buffer, not the clone */
	c = mpdp_mbuf_clone(m, b);
	REQUIRE(c != NULL);
	c2 = mpdp_mbuf_clone(c, b);
	REQUIRE(c2 != NULL);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 3);
	CHECK_EQ(mpdp_mbuf_refcnt_read(c), 1);
	CHECK_EQ(c2->attached, mpdp_shm_off(m));
	CHECK_EQ(mpdp_mbuf_next(c2)->attached, mpdp_shm_off(mpdp_mbuf_next(m)));
	CHECK(pkt_bytes_ok(c2, 10, 0));
	CHECK(check_ok(c2));
	CHECK_EQ(in_use(b), 4);
	mpdp_mbuf_free(c);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 2);
	mpdp_mbuf_free(m);
	CHECK_EQ(in_use(a), 2);
	CHECK(pkt_bytes_ok(c2, 10, 0));
	{
		/* free_bulk takes indirect packets too */
		struct mpdp_mbuf *v[1] = { c2 };

		mpdp_mbuf_free_bulk(v, 1);
	}
	CHECK_EQ(in_use(a), 0);
	CHECK_EQ(in_use(b), 0);

	/* the clone pool runs out: NULL, nothing leaks, refcnts as they were */
	m = pkt_make(a, lens, 2, 11);
	REQUIRE(m != NULL);
	mpdp_mempool_cache_flush(b);
	CHECK_EQ(mpdp_mbuf_alloc_bulk(b, hold, 15), 0);
	c = mpdp_mbuf_clone(m, b);
	CHECK(c == NULL);
	CHECK_EQ(in_use(b), 15);
	CHECK_EQ(in_use(a), 2);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 1);
	CHECK_EQ(mpdp_mbuf_refcnt_read(mpdp_mbuf_next(m)), 1);
	CHECK(check_ok(m));
	mpdp_mbuf_free_bulk(hold, 15);
	mpdp_mbuf_free(m);
	mpdp_mempool_cache_flush(b);
	AUDIT_CLEAN(a, 0);
	AUDIT_CLEAN(b, 0);
	check_all_direct(b, __LINE__);
	mpdp_mempool_free(a);
	mpdp_mempool_free(b);
}

static void test_copy(void)
{
	struct mpdp_mempool *a = make_pool("mb.pa", 16, 0, 0, 512, NULL);
	struct mpdp_mempool *big = make_pool("mb.pbig", 8, 0, 0, 2048, NULL);
	struct mpdp_mempool *small =
		make_pool("mb.psm", 16, 0, 0, MPDP_MBUF_DEFAULT_HEADROOM + 64, NULL);
	static const uint16_t lens[] = { 100, 50, 200 };
	struct mpdp_mbuf *m, *c, *cl, *hold[16];
	unsigned int small0;

	REQUIRE(a && big && small);
	m = pkt_make(a, lens, 3, 21);
	REQUIRE(m != NULL);
	set_meta(m);

	/* everything */
	c = mpdp_mbuf_copy(m, big, 0, UINT32_MAX);
	REQUIRE(c != NULL);
	CHECK_EQ(c->pkt_len, 350);
	CHECK(pkt_bytes_ok(c, 21, 0));
	CHECK(meta_copied(c, m));
	CHECK(!mpdp_mbuf_is_indirect(c));
	CHECK(mpdp_mbuf_pool(c) == big);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 1);
	CHECK(mpdp_mbuf_buf_addr(c) != mpdp_mbuf_buf_addr(m));
	CHECK(check_ok(c));
	CHECK(check_ok(m));
	mpdp_mbuf_free(c);
	CHECK_EQ(in_use(big), 0);

	/* a window across the segment boundaries */
	c = mpdp_mbuf_copy(m, big, 30, 150);
	REQUIRE(c != NULL);
	CHECK_EQ(c->pkt_len, 150);
	CHECK(pkt_bytes_ok(c, 21, 30));
	CHECK(check_ok(c));
	mpdp_mbuf_free(c);
	c = mpdp_mbuf_copy(m, big, 349, 1);
	REQUIRE(c != NULL);
	CHECK_EQ(c->pkt_len, 1);
	CHECK(pkt_bytes_ok(c, 21, 349));
	mpdp_mbuf_free(c);
	c = mpdp_mbuf_copy(m, big, 120, UINT32_MAX); /* to the end */
	REQUIRE(c != NULL);
	CHECK_EQ(c->pkt_len, 230);
	CHECK(pkt_bytes_ok(c, 21, 120));
	mpdp_mbuf_free(c);
	CHECK(mpdp_mbuf_copy(m, big, 351, 1) == NULL);
	CHECK(mpdp_mbuf_copy(m, big, UINT32_MAX, 1) == NULL);
	CHECK_EQ(in_use(big), 0);

	/* into small buffers: as many segments as it takes */
	c = mpdp_mbuf_copy(m, small, 0, UINT32_MAX);
	REQUIRE(c != NULL);
	CHECK_EQ(c->pkt_len, 350);
	CHECK(c->nb_segs >=
	      (350 + MPDP_MBUF_DEFAULT_HEADROOM + 63) / (MPDP_MBUF_DEFAULT_HEADROOM + 64));
	CHECK_EQ(in_use(small), c->nb_segs);
	CHECK(pkt_bytes_ok(c, 21, 0));
	CHECK(check_ok(c));
	for (struct mpdp_mbuf *s = c; s != NULL; s = mpdp_mbuf_next(s))
		CHECK(mpdp_mbuf_pool(s) == small);
	mpdp_mbuf_free(c);
	CHECK_EQ(in_use(small), 0);

	/* the target pool runs out part way: NULL, nothing leaks */
	CHECK_EQ(mpdp_mbuf_alloc_bulk(small, hold, 15), 0); /* one left; 350 B need two */
	small0 = in_use(small);
	CHECK(mpdp_mbuf_copy(m, small, 0, UINT32_MAX) == NULL);
	CHECK_EQ(in_use(small), small0);
	mpdp_mbuf_free_bulk(hold, 15);
	AUDIT_CLEAN(small, 0);

	/* a copy of a clone is a plain packet with the same bytes */
	cl = mpdp_mbuf_clone(m, a);
	REQUIRE(cl != NULL);
	c = mpdp_mbuf_copy(cl, big, 0, UINT32_MAX);
	REQUIRE(c != NULL);
	for (struct mpdp_mbuf *s = c; s != NULL; s = mpdp_mbuf_next(s))
		CHECK(!mpdp_mbuf_is_indirect(s));
	CHECK(pkt_bytes_ok(c, 21, 0));
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 2);
	mpdp_mbuf_free(cl);
	mpdp_mbuf_free(m);
	CHECK_EQ(in_use(a), 0);
	CHECK(pkt_bytes_ok(c, 21, 0)); /* independent of the original */
	mpdp_mbuf_free(c);
	AUDIT_CLEAN(a, 0);
	AUDIT_CLEAN(big, 0);
	mpdp_mempool_free(a);
	mpdp_mempool_free(big);
	mpdp_mempool_free(small);
}

/* ---- refcnt ------------------------------------------------------------- */

static void test_refcnt(void)
{
	struct mpdp_mempool *mp = make_pool("mb.rc", 4, 0, 0, 256, NULL);
	struct mpdp_mbuf *m;

	REQUIRE(mp != NULL);
	m = mpdp_mbuf_alloc(mp);
	REQUIRE(m != NULL);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 1);
	CHECK_EQ(mpdp_mbuf_refcnt_update(m, 1), 2);
	CHECK_EQ(mpdp_mbuf_refcnt_update(m, 3), 5);
	CHECK_EQ(mpdp_mbuf_refcnt_update(m, -4), 1);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 1);
	mpdp_mbuf_refcnt_set(m, 3);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 3);
	mpdp_mbuf_free(m); /* 3 -> 2, stays */
	CHECK_EQ(in_use(mp), 1);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 2);
	mpdp_mbuf_free(m);
	CHECK_EQ(in_use(mp), 1);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 1);
	CHECK(mpdp_mbuf_prefree_seg(m) == m); /* the last holder */
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 1);
	mpdp_mempool_put(mp, m);
	CHECK_EQ(in_use(mp), 0);
	m = mpdp_mbuf_alloc(mp);
	REQUIRE(m != NULL);
	mpdp_mbuf_refcnt_set(m, 2);
	CHECK(mpdp_mbuf_prefree_seg(m) == NULL);
	CHECK(mpdp_mbuf_prefree_seg(m) == m);
	CHECK_EQ(mpdp_mbuf_refcnt_read(m), 1); /* ready for the pool */
	mpdp_mempool_put(mp, m);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

/* ---- check -------------------------------------------------------------- */

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL test_mbuf: mpdp_mbuf_check did not return (loop?)\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static void test_check(void)
{
	struct mpdp_mempool *mp = make_pool("mb.ck", 8, 0, 0, 512, NULL);
	static const uint16_t lens[] = { 100, 50 };
	struct mpdp_mbuf *m, *s, saved_m, saved_s;
	const char *reason;

	REQUIRE(mp != NULL);
	m = pkt_make(mp, lens, 2, 0);
	REQUIRE(m != NULL);
	s = mpdp_mbuf_next(m);
	CHECK_EQ(mpdp_mbuf_check(m, 1, NULL), 0);
	CHECK_EQ(mpdp_mbuf_check(m, 0, NULL), 0);
	CHECK_EQ(mpdp_mbuf_check(s, 0, NULL), 0);
	saved_m = *m;
	saved_s = *s;
	signal(SIGALRM, on_alarm);
	alarm(20);

	/* each corruption alone, on a valid two-segment packet */
#define CORRUPT(target, is_header, stmt)                                        \
	do {                                                                    \
		stmt;                                                           \
		reason = NULL;                                                  \
		CHECK_EQ(mpdp_mbuf_check(target, is_header, &reason), -EINVAL); \
		CHECK(reason != NULL && reason[0] != '\0');                     \
		*m = saved_m;                                                   \
		*s = saved_s;                                                   \
		CHECK_EQ(mpdp_mbuf_check(m, 1, NULL), 0);                       \
	} while (0)
	CORRUPT(m, 1, m->pkt_len = 151);
	CORRUPT(m, 1, m->pkt_len = 149);
	CORRUPT(m, 1, m->nb_segs = 1);
	CORRUPT(m, 1, m->nb_segs = 3);
	CORRUPT(m, 1, m->nb_segs = 0);
	CORRUPT(m, 1, m->data_len = (uint16_t)(m->buf_len - m->data_off + 1));
	CORRUPT(m, 1, m->data_off = (uint16_t)(m->buf_len - 99));
	CORRUPT(s, 0, s->data_len = (uint16_t)(s->buf_len - s->data_off + 1));
	CORRUPT(m, 1, s->data_len = (uint16_t)(s->buf_len - s->data_off + 1)); /* via the chain */
	CORRUPT(m, 1, mpdp_mbuf_refcnt_set(m, 0));
	CORRUPT(s, 0, mpdp_mbuf_refcnt_set(s, 0));
	CORRUPT(m, 1, m->pool_id = MPDP_MEMPOOL_MAX);
	CORRUPT(m, 1, m->pool_id = UINT16_MAX);
	/* buffer geometry against the pool */
	m->buf_len =
		(uint16_t)(m->buf_len + 64); /* larger than its room: writes reach the next mbuf */
	CHECK(mpdp_mbuf_check(m, 1, NULL) == -EINVAL);
	*m = saved_m;
	m->buf_rel = 0; /* the buffer over the mbuf's own header */
	CHECK(mpdp_mbuf_check(m, 1, NULL) == -EINVAL);
	*m = saved_m;
	CORRUPT(m, 1, m->buf_rel = (int64_t)mpdp_shm_len_); /* outside the heap */
	CORRUPT(m, 1, m->next = (mpdp_shm_off_t)mpdp_shm_len_ + 4096);
	CORRUPT(m, 1, m->next = (mpdp_shm_off_t)-64);
	CORRUPT(m, 1, m->ol_flags |= MPDP_MBUF_F_INDIRECT); /* attached to nothing */
	CORRUPT(m, 1, (m->ol_flags |= MPDP_MBUF_F_INDIRECT, m->attached = mpdp_shm_len_ + 64));
	/* a chain that loops back: must end, with an error */
	CORRUPT(m, 1, s->next = mpdp_shm_off(m));
	CORRUPT(m, 1, (s->next = mpdp_shm_off(s), m->nb_segs = MPDP_MBUF_MAX_SEGS));
#undef CORRUPT
	alarm(0);
	signal(SIGALRM, SIG_DFL);

	/* is_header 0: the chain's totals are not this segment's business */
	m->pkt_len = 7;
	CHECK_EQ(mpdp_mbuf_check(m, 0, NULL), 0);
	*m = saved_m;
	mpdp_mbuf_free(m);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

/* ---- dump --------------------------------------------------------------- */

static char *dump_to_string(const struct mpdp_mbuf *m, unsigned int dump_len)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	mpdp_mbuf_dump(f, m, dump_len);
	fclose(f);
	return out;
}

static int has_hex(const char *s, const char *spaced, const char *packed)
{
	return strcasestr(s, spaced) != NULL || strcasestr(s, packed) != NULL;
}

static void test_dump(void)
{
	struct mpdp_mempool *mp = make_pool("mb.dump", 8, 0, 0, 1024, NULL);
	static const uint16_t lens[] = { 700, 77 };
	static const uint8_t magic[] = { 0xde, 0xad, 0xbe, 0xef };
	char *full, *none;
	struct mpdp_mbuf *m;

	REQUIRE(mp != NULL);
	m = pkt_make(mp, lens, 2, 0);
	REQUIRE(m != NULL);
	CHECK_EQ(mpdp_mbuf_write(m, 0, 4, magic), 0);
	full = dump_to_string(m, 64);
	none = dump_to_string(m, 0);
	REQUIRE(full != NULL && none != NULL);
	CHECK(strstr(full, "777") != NULL); /* pkt_len */
	CHECK(strstr(full, "700") != NULL); /* each segment's data_len */
	CHECK(strstr(full, "77") != NULL);
	CHECK(has_hex(full, "de ad be ef", "deadbeef"));
	CHECK(strstr(none, "777") != NULL);
	CHECK(!has_hex(none, "de ad be ef", "deadbeef"));
	CHECK(strlen(full) > strlen(none));
	if (!has_hex(full, "de ad be ef", "deadbeef") || strstr(full, "777") == NULL)
		fprintf(stderr, "  dump was:\n%s\n", full);
	free(full);
	free(none);
	mpdp_mbuf_free(m);
	mpdp_mempool_free(mp);
}

/* ---- position independence ---------------------------------------------- */

/*
 * Map the heap a second time, elsewhere in this process (as another process
 * would), and find the packet's bytes through the mbuf's fields alone.
 */
static void test_second_mapping(void)
{
	struct mpdp_mempool *mp = make_pool("mb.map", 8, 0, 0, 512, NULL);
	struct mpdp_heap_info hi;
	struct mpdp_mbuf *m, *alt;
	uint8_t *base2;
	int fd, ok = 1;

	REQUIRE(mp != NULL);
	REQUIRE(mpdp_heap_info(&hi) == 0);
	base2 = mmap(NULL, hi.len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	REQUIRE(base2 != MAP_FAILED);
	for (unsigned int i = 0; ok; i++) {
		mpdp_shm_off_t off;
		size_t len;

		fd = mpdp_heap_segment_fd(i, &off, &len);
		if (fd == -ENOENT)
			break;
		if (fd < 0 || mmap(base2 + off, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				   fd, 0) == MAP_FAILED)
			ok = 0;
	}
	CHECK(ok);
	if (ok) {
		static const uint16_t lens[] = { 300 };

		m = pkt_make(mp, lens, 1, 33);
		REQUIRE(m != NULL);
		alt = (struct mpdp_mbuf *)(void *)(base2 + mpdp_shm_off(m));
		CHECK(alt != m);
		CHECK(mpdp_mbuf_buf_addr(alt) == (char *)base2 + m->buf_iova);
		CHECK(mpdp_mbuf_mtod(alt, uint8_t *) ==
		      base2 + mpdp_shm_off(mpdp_mbuf_mtod(m, void *)));
		CHECK(memcmp(mpdp_mbuf_mtod(alt, uint8_t *), mpdp_mbuf_mtod(m, uint8_t *), 300) ==
		      0);
		/* and a write through the other mapping lands in the same buffer */
		mpdp_mbuf_mtod(alt, uint8_t *)[299] = 0x99;
		CHECK_EQ(mpdp_mbuf_mtod(m, uint8_t *)[299], 0x99);
		mpdp_mbuf_free(m);
	}
	munmap(base2, hi.len);
	mpdp_mempool_free(mp);
}

/* ---- debug pools -------------------------------------------------------- */

static void test_debug(void)
{
	struct mpdp_mempool *mp = make_pool("mb.dbg", 8, 0, 0, 512, NULL);
	static const uint16_t lens[] = { 200 };
	struct mpdp_mbuf *m, *ms[8];
	struct mpdp_mbuf saved;
	struct mpdp_mempool_stats st;
	int status = 0;
	uint8_t *data;
	pid_t pid;

	REQUIRE(mp != NULL);
	if (!(mp->flags & MPDP_MEMPOOL_F_DEBUG)) {
		/* mpdp_mbuf_pool_create takes no flags: debug only where it is the default */
		fprintf(stderr, "  mbuf pools are not debug pools in this build: skipped\n");
		mpdp_mempool_free(mp);
		return;
	}
	m = pkt_make(mp, lens, 1, 0);
	REQUIRE(m != NULL);
	saved = *m;
	data = mpdp_mbuf_mtod(m, uint8_t *);
	mpdp_mbuf_free(m);
	/* (cache 0: the freed mbuf is in the backend, not ASan-poisoned: readable) */
	{
		int poisoned = 1;

		for (int i = 0; i < 200; i++)
			poisoned &= data[i] == MPDP_MEMPOOL_POISON;
		CHECK(poisoned);
	}
	/* what the pool wrote once survives the poison */
	CHECK_EQ(m->buf_iova, saved.buf_iova);
	CHECK_EQ(m->buf_rel, saved.buf_rel);
	CHECK_EQ(m->buf_len, saved.buf_len);
	CHECK_EQ(m->pool_id, saved.pool_id);
	CHECK_EQ(m->priv_size, saved.priv_size);
	CHECK_EQ(mpdp_mempool_objhdr(m)->cookie, MPDP_MEMPOOL_COOKIE_FREE);
	CHECK_EQ(mpdp_mbuf_alloc_bulk(mp, ms, 8), 0);
	mpdp_mempool_stats_get(mp, &st);
	CHECK_EQ(st.debug_errors, 0);
	for (int i = 0; i < 8; i++)
		CHECK_RESET(ms[i], mp);
	mpdp_mbuf_free_bulk(ms, 8);

	/* a write after free is found at the next alloc */
	m = mpdp_mbuf_alloc(mp);
	REQUIRE(m != NULL);
	data = mpdp_mbuf_mtod(m, uint8_t *);
	mpdp_mbuf_free(m);
	data[10] = 1;
	unit_log_capture();
	CHECK_EQ(mpdp_mbuf_alloc_bulk(mp, ms, 8), 0);
	CHECK(unit_log_count() >= 1);
	unit_log_release();
	mpdp_mempool_stats_get(mp, &st);
	CHECK_EQ(st.debug_errors, 1);
	mpdp_mbuf_free_bulk(ms, 8);

	/*
	 * A double free neither duplicates the mbuf nor passes unnoticed. Done
	 * in a child (it shares the heap; the parent waits): the free reads the
	 * poisoned `next` of the freed mbuf, which a debug pool must catch first.
	 */
	m = mpdp_mbuf_alloc(mp);
	REQUIRE(m != NULL);
	mpdp_mbuf_free(m);
	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 2); /* the crash report, if any, is not ours to print */
		mpdp_mbuf_free(m);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		CHECK_EQ(mpdp_mempool_avail_count(mp), 8);
		AUDIT_CLEAN(mp, 0);
		CHECK_EQ(mpdp_mbuf_alloc_bulk(mp, ms, 8), 0);
		mpdp_mempool_stats_get(mp, &st);
		CHECK(st.debug_errors >= 2);
		mpdp_mbuf_free_bulk(ms, 8);
	}
	mpdp_mempool_free(mp);
}

/* ---- threads ------------------------------------------------------------ */

static void *nonlcore_fn(void *arg)
{
	struct mpdp_mempool *mp = arg;
	struct mpdp_mbuf *ms[10];
	intptr_t ok = mpdp_lcore_id() == MPDP_LCORE_ANY;

	if (mpdp_mbuf_alloc_bulk(mp, ms, 10) != 0)
		return (void *)0;
	for (int i = 0; i < 10; i++)
		ok &= mpdp_mbuf_append(ms[i], 10) != NULL;
	mpdp_mbuf_free_bulk(ms, 10);
	return (void *)ok;
}

static void test_nonlcore(void)
{
	struct mpdp_mempool *mp = make_pool("mb.thr", 32, 8, 0, 256, NULL);
	pthread_t t;
	void *ret = NULL;

	REQUIRE(mp != NULL);
	CHECK_EQ(pthread_create(&t, NULL, nonlcore_fn, mp), 0);
	pthread_join(t, &ret);
	CHECK(ret == (void *)1);
	CHECK_EQ(in_use(mp), 0);
	AUDIT_CLEAN(mp, 0);
	mpdp_mempool_free(mp);
}

int main(void)
{
	int n;

	unit_rt_setup("mbuf");
	n = unit_init("--no-huge", "--mem", "64M", NULL);
	REQUIRE(n > 0);
	test_pool_create();
	test_alloc_free();
	test_free_variants();
	test_room_edges();
	test_data_ops();
	test_chain();
	test_read_write();
	test_clone();
	test_copy();
	test_refcnt();
	test_check();
	test_dump();
	test_second_mapping();
	test_debug();
	test_nonlcore();
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
	unit_exit();
}
