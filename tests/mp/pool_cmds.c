/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool_cmds.c - the pool-*, ring-* and mbuf-* commands of the mempool helper
 * binaries (see pool_helper.h). Linked into each of them: every binary runs
 * its own copy.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mp_helper.h"
#include "pool_helper.h"

#define PC_MAX_RINGS  16
#define PC_MAX_PKTS   64
#define PC_MAX_SEGS   8
#define PC_CHURN_HOLD 512
#define PC_OUT_SIZE   12000

long ph_obj_index(const struct mpdp_mempool *mp, const void *obj)
{
	uintptr_t p = (uintptr_t)obj;
	uintptr_t first = (uintptr_t)mp->objs + sizeof(struct mpdp_mempool_objhdr_shm);
	uintptr_t d;

	if (p < first)
		return -1;
	d = p - first;
	if (d % mp->total_elt_size != 0 || d / mp->total_elt_size >= mp->size)
		return -1;
	return (long)(d / mp->total_elt_size);
}

/* ---- rings by name -------------------------------------------------------- */

static struct {
	char name[MPDP_RING_NAME_SIZE];
	struct mpdp_ring *r;
} rings[PC_MAX_RINGS];

struct mpdp_ring *pc_ring(const char *name)
{
	struct mpdp_ring *r;
	int err = 0;

	for (unsigned int i = 0; i < PC_MAX_RINGS; i++)
		if (rings[i].r != NULL && strcmp(rings[i].name, name) == 0)
			return rings[i].r;
	r = mpdp_ring_attach(name, &err);
	if (r == NULL)
		return NULL;
	for (unsigned int i = 0; i < PC_MAX_RINGS; i++)
		if (rings[i].r == NULL) {
			snprintf(rings[i].name, sizeof(rings[i].name), "%s", name);
			rings[i].r = r;
			return r;
		}
	return r; /* not remembered; still usable */
}

static void ring_remember(const char *name, struct mpdp_ring *r)
{
	for (unsigned int i = 0; i < PC_MAX_RINGS; i++)
		if (rings[i].r == NULL) {
			snprintf(rings[i].name, sizeof(rings[i].name), "%s", name);
			rings[i].r = r;
			return;
		}
}

static int parse_u(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno == 0 && end != s && *end == '\0' ? 0 : -EINVAL;
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	if (rnd_state == 0)
		rnd_state =
			((uint64_t)getpid() << 20) ^ (uint64_t)time(NULL) ^ 0x2545f4914f6cdd1dULL;
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* ---- pools -------------------------------------------------------------------- */

static struct mpdp_mempool *lookup_or_say(const char *name)
{
	int err = 0;
	struct mpdp_mempool *mp = mpdp_mempool_lookup(name, &err);

	if (mp == NULL)
		mh_say_err(err, "lookup of pool %s", name);
	return mp;
}

static void say_pool(const char *verb, struct mpdp_mempool *mp)
{
	struct mpdp_mempool_info info;
	char ring[96] = "";
	int rc = mpdp_mempool_info_get(mp, &info);

	if (rc != 0) {
		mh_say_err(rc, "info of pool %s", mp->name);
		return;
	}
	/* "ring" backend: its heads and tails (a quiescent ring has head == tail) */
	if (mp->ring != NULL) {
		const struct mpdp_ring_shm *r = mp->ring->shm;

		snprintf(ring, sizeof(ring), " prod_head=%u prod_tail=%u cons_head=%u cons_tail=%u",
			 atomic_load(&r->prod.head), atomic_load(&r->prod.tail),
			 atomic_load(&r->cons.head), atomic_load(&r->cons.tail));
	}
	mh_say("OK %s name=%s id=%u ops=%s size=%u cache=%u elt=%u total=%u backend=%u caches=%u "
	       "dataroom=%u priv=%u flags=%#x broken=%d%s",
	       verb, info.name, info.id, info.ops_name, info.size, info.cache_size, info.elt_size,
	       info.total_elt_size, info.in_backend, info.in_caches,
	       (unsigned int)mpdp_mbuf_pool_data_room(mp),
	       (unsigned int)mpdp_mbuf_pool_priv_size(mp), info.flags, info.broken, ring);
}

static void cmd_pool_create(int argc, char **argv)
{
	unsigned long long n, cache, room, priv;
	struct mpdp_mempool *mp;
	int err = 0;

	if (argc < 7 || parse_u(argv[2], &n) || parse_u(argv[3], &cache) ||
	    parse_u(argv[5], &room) || parse_u(argv[6], &priv)) {
		mh_say_err(-EINVAL, "usage: pool-create NAME N CACHE OPS|- DATAROOM PRIV");
		return;
	}
	mp = mpdp_mbuf_pool_create(argv[1], (unsigned int)n, (unsigned int)cache, (uint16_t)priv,
				   (uint16_t)room, strcmp(argv[4], "-") == 0 ? NULL : argv[4],
				   &err);
	if (mp == NULL) {
		mh_say_err(err, "create of pool %s", argv[1]);
		return;
	}
	say_pool("created", mp);
}

static void cmd_pool_lookup(int argc, char **argv)
{
	struct mpdp_mempool *mp;

	if (argc < 2) {
		mh_say_err(-EINVAL, "usage: pool-lookup NAME");
		return;
	}
	mp = lookup_or_say(argv[1]);
	if (mp != NULL)
		say_pool("found", mp);
}

struct walk_buf {
	char text[4096];
	size_t used;
};

static int pool_walk_cb(const struct mpdp_mempool_info *info, void *arg)
{
	struct walk_buf *w = arg;
	int n = snprintf(w->text + w->used, sizeof(w->text) - w->used, "%s%s:%s:%u:%u",
			 w->used ? "," : "", info->name, info->ops_name, info->size, info->id);

	if (n > 0 && (size_t)n < sizeof(w->text) - w->used)
		w->used += (size_t)n;
	return 0;
}

static void cmd_pool_walk(void)
{
	struct walk_buf w = { .used = 0 };
	int rc = mpdp_mempool_walk(pool_walk_cb, &w);

	if (rc < 0)
		mh_say_err(rc, "pool walk");
	else
		mh_say("OK n=%d pools=%s", rc, w.used ? w.text : "-");
}

static void cmd_pool_from_id(int argc, char **argv)
{
	unsigned long long id;
	struct mpdp_mempool *mp;

	if (argc < 2 || parse_u(argv[1], &id)) {
		mh_say_err(-EINVAL, "usage: pool-from-id ID");
		return;
	}
	mp = mpdp_mempool_from_id((uint32_t)id);
	mh_say("OK found=%d name=%s", mp != NULL, mp != NULL ? mp->name : "-");
}

static void cmd_pool_audit(int argc, char **argv)
{
	struct mpdp_mempool_audit rep;
	struct mpdp_mempool *mp;
	int rc;

	if (argc < 2) {
		mh_say_err(-EINVAL, "usage: pool-audit NAME");
		return;
	}
	mp = lookup_or_say(argv[1]);
	if (mp == NULL)
		return;
	memset(&rep, 0, sizeof(rep));
	rc = mpdp_mempool_audit(mp, &rep, NULL, NULL);
	mh_say("OK rc=%d size=%u in_backend=%u in_caches=%u in_use=%u duplicates=%u "
	       "bad_entries=%u caches_nonempty=%u stats_in_use=%" PRIu64,
	       rc, rep.size, rep.in_backend, rep.in_caches, rep.in_use, rep.duplicates,
	       rep.bad_entries, rep.caches_nonempty, rep.stats_in_use);
}

static void cmd_pool_free(int argc, char **argv)
{
	struct mpdp_mempool *mp;

	if (argc < 2) {
		mh_say_err(-EINVAL, "usage: pool-free NAME");
		return;
	}
	mp = lookup_or_say(argv[1]);
	if (mp == NULL)
		return;
	mpdp_mempool_free(mp);
	mh_say("OK");
}

static void cmd_pool_flush(int argc, char **argv)
{
	struct mpdp_mempool *mp;

	if (argc < 2) {
		mh_say_err(-EINVAL, "usage: pool-flush NAME");
		return;
	}
	mp = lookup_or_say(argv[1]);
	if (mp == NULL)
		return;
	mpdp_mempool_cache_flush(mp);
	mh_say("OK lcore=%u", mpdp_lcore_id());
}

/*
 * Get and put at random, holding up to PC_CHURN_HOLD mbufs. Each mbuf taken
 * gets a stamp no other holder can have (pid, serial) in its data and in
 * udata64; it is checked before the mbuf goes back, so an mbuf handed out
 * twice at once (here or in another process) shows up as "corrupt".
 */
static void cmd_pool_churn(int argc, char **argv)
{
	unsigned long long iters, maxbulk;
	struct mpdp_mbuf **held, *batch[64];
	uint64_t *stamps, serial = 0, gets = 0, puts = 0, fails = 0, corrupt = 0, bad = 0;
	unsigned int nb = 0, maxheld = 0;
	struct mpdp_mempool *mp;

	if (argc < 4 || parse_u(argv[2], &iters) || parse_u(argv[3], &maxbulk) || maxbulk == 0 ||
	    maxbulk > 64) {
		mh_say_err(-EINVAL, "usage: pool-churn NAME ITERS MAXBULK(1-64)");
		return;
	}
	mp = lookup_or_say(argv[1]);
	if (mp == NULL)
		return;
	held = calloc(PC_CHURN_HOLD, sizeof(*held));
	stamps = calloc(PC_CHURN_HOLD, sizeof(*stamps));
	if (held == NULL || stamps == NULL) {
		free(held);
		free(stamps);
		mh_say_err(-ENOMEM, "churn");
		return;
	}
	for (unsigned long long it = 0; it < iters; it++) {
		unsigned int k = 1 + (unsigned int)(rnd() % maxbulk);

		if ((rnd() & 1) && nb + k <= PC_CHURN_HOLD) {
			if (mpdp_mbuf_alloc_bulk(mp, batch, k) != 0) {
				fails++;
				continue;
			}
			gets += k;
			for (unsigned int i = 0; i < k; i++) {
				struct mpdp_mbuf *m = batch[i];
				uint64_t stamp = ((uint64_t)getpid() << 32) | ++serial;
				uint64_t *d;

				if (ph_obj_index(mp, m) < 0 || mpdp_mbuf_refcnt_read(m) != 1 ||
				    m->nb_segs != 1 || m->data_len != 0 ||
				    m->next != MPDP_SHM_NULL) {
					bad++;
					continue; /* not ours to put back */
				}
				d = (uint64_t *)(void *)mpdp_mbuf_append(m, 8);
				if (d == NULL) {
					bad++;
					continue;
				}
				*d = stamp;
				m->udata64 = stamp;
				held[nb] = m;
				stamps[nb++] = stamp;
			}
			if (nb > maxheld)
				maxheld = nb;
		} else if (nb > 0) {
			if (k > nb)
				k = nb;
			for (unsigned int i = 0; i < k; i++) {
				/* take k at random positions */
				unsigned int j = (unsigned int)(rnd() % nb);
				struct mpdp_mbuf *m = held[j];

				if (*mpdp_mbuf_mtod(m, uint64_t *) != stamps[j] ||
				    m->udata64 != stamps[j])
					corrupt++;
				batch[i] = m;
				held[j] = held[--nb];
				stamps[j] = stamps[nb];
			}
			mpdp_mbuf_free_bulk(batch, k);
			puts += k;
		}
	}
	for (unsigned int j = 0; j < nb; j++) {
		struct mpdp_mbuf *m = held[j];

		if (*mpdp_mbuf_mtod(m, uint64_t *) != stamps[j] || m->udata64 != stamps[j])
			corrupt++;
		mpdp_mbuf_free(m);
		puts++;
	}
	mpdp_mempool_cache_flush(mp);
	free(held);
	free(stamps);
	mh_say("OK gets=%" PRIu64 " puts=%" PRIu64 " fails=%" PRIu64 " corrupt=%" PRIu64
	       " bad=%" PRIu64 " maxheld=%u lcore=%u",
	       gets, puts, fails, corrupt, bad, maxheld, mpdp_lcore_id());
}

static void cmd_ring_create(int argc, char **argv)
{
	unsigned long long count;
	struct mpdp_ring *r;
	int err = 0;

	if (argc < 3 || parse_u(argv[2], &count)) {
		mh_say_err(-EINVAL, "usage: ring-create NAME COUNT");
		return;
	}
	r = mpdp_ring_create(argv[1], (unsigned int)count, 0, &err);
	if (r == NULL) {
		mh_say_err(err, "create of ring %s", argv[1]);
		return;
	}
	ring_remember(argv[1], r);
	mh_say("OK name=%s capacity=%u", argv[1], mpdp_ring_capacity(r));
}

/* ---- mbufs between processes ------------------------------------------------ */

/* Pattern seed of packet idx (never 0: seed 0 is all zeros). */
static uint32_t pkt_seed(uint64_t seed, unsigned int idx)
{
	return (uint32_t)(seed * 1000003u + idx + 1);
}

/* Length of segment s of packet idx: every segment a different length. */
static uint16_t seg_len(unsigned int idx, unsigned int s)
{
	return (uint16_t)(61 + 8 * s + 3 * idx);
}

#define CLONE_BIT (1ULL << 31)

struct out {
	char text[PC_OUT_SIZE];
	size_t used;
};

static void out_add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= sizeof(o->text))
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->text + o->used, sizeof(o->text) - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n < sizeof(o->text) - o->used ? (size_t)n :
								   sizeof(o->text) - o->used - 1;
}

/* " mI=<segment offsets> dI=<data offsets> aI=<first data address>" */
static void out_pkt(struct out *o, unsigned int i, const struct mpdp_mbuf *m)
{
	const struct mpdp_mbuf *s;

	out_add(o, " m%u=", i);
	for (s = m; s != NULL; s = mpdp_mbuf_next(s))
		out_add(o, "%s%#" PRIx64, s == m ? "" : ".", mpdp_shm_off(s));
	out_add(o, " d%u=", i);
	for (s = m; s != NULL; s = mpdp_mbuf_next(s))
		out_add(o, "%s%#" PRIx64, s == m ? "" : ".",
			mpdp_shm_off(mpdp_mbuf_mtod(s, const void *)));
	out_add(o, " a%u=%p", i, mpdp_mbuf_mtod(m, const void *));
}

/* Write packet content for (seed, idx): data, private area, udata64. */
static int pkt_fill(struct mpdp_mbuf *m, uint64_t seed, unsigned int idx, uint8_t *tmp)
{
	mh_pattern_fill(tmp, m->pkt_len, pkt_seed(seed, idx));
	if (mpdp_mbuf_write(m, 0, m->pkt_len, tmp) != 0)
		return -1;
	mh_pattern_fill(mpdp_mbuf_priv(m), m->priv_size, pkt_seed(seed, idx) ^ 0xabcdu);
	m->udata64 = (seed << 32) | idx;
	return 0;
}

static void cmd_mbuf_build(int argc, char **argv)
{
	unsigned long long count, segs, seed, clones;
	struct mpdp_mbuf *pkts[2 * PC_MAX_PKTS];
	uint64_t offs[2 * PC_MAX_PKTS];
	struct mpdp_mempool *mp;
	struct mpdp_ring *r;
	const char *reason = NULL;
	uint8_t *tmp = NULL;
	struct out *o = NULL;
	unsigned int n = 0;

	if (argc < 7 || parse_u(argv[3], &count) || parse_u(argv[4], &segs) ||
	    parse_u(argv[5], &seed) || parse_u(argv[6], &clones) || count == 0 ||
	    count > PC_MAX_PKTS || segs == 0 || segs > PC_MAX_SEGS || clones > count) {
		mh_say_err(-EINVAL, "usage: mbuf-build POOL RING COUNT SEGS SEED CLONES");
		return;
	}
	mp = lookup_or_say(argv[1]);
	if (mp == NULL)
		return;
	r = pc_ring(argv[2]);
	if (r == NULL) {
		mh_say_err(-ENOENT, "ring %s", argv[2]);
		return;
	}
	tmp = malloc(65536);
	o = calloc(1, sizeof(*o));
	if (tmp == NULL || o == NULL) {
		mh_say_err(-ENOMEM, "mbuf-build");
		goto out;
	}
	for (unsigned int i = 0; i < count; i++) {
		struct mpdp_mbuf *head = mpdp_mbuf_alloc(mp);

		if (head == NULL || mpdp_mbuf_append(head, seg_len(i, 0)) == NULL) {
			mpdp_mbuf_free(head);
			mh_say_err(-ENOMEM, "packet %u: alloc or append", i);
			goto err_free;
		}
		pkts[n++] = head;
		for (unsigned int s = 1; s < segs; s++) {
			struct mpdp_mbuf *seg = mpdp_mbuf_alloc(mp);

			if (seg == NULL || mpdp_mbuf_append(seg, seg_len(i, s)) == NULL ||
			    mpdp_mbuf_chain(head, seg) != 0) {
				mpdp_mbuf_free(seg);
				mh_say_err(-ENOMEM, "packet %u segment %u", i, s);
				goto err_free;
			}
		}
		if (pkt_fill(head, seed, i, tmp) != 0 || mpdp_mbuf_check(head, 1, &reason) != 0) {
			mh_say_err(-EBADMSG, "packet %u: %s", i, reason ? reason : "write failed");
			goto err_free;
		}
	}
	for (unsigned int c = 0; c < clones; c++) {
		struct mpdp_mbuf *cl = mpdp_mbuf_clone(pkts[c], mp);

		if (cl == NULL) {
			mh_say_err(-ENOMEM, "clone of packet %u", c);
			goto err_free;
		}
		cl->udata64 = (seed << 32) | CLONE_BIT | c;
		pkts[n++] = cl;
	}
	out_add(o, "OK built=%u base=%p", n, (void *)mpdp_shm_base_);
	for (unsigned int i = 0; i < n; i++) {
		out_pkt(o, i, pkts[i]);
		offs[i] = mpdp_shm_off(pkts[i]);
	}
	if (mpdp_ring_mp_enqueue_bulk(r, offs, n, NULL) != n) {
		mh_say_err(-ENOBUFS, "ring %s is full", argv[2]);
		goto err_free;
	}
	mh_say("%s", o->text);
	goto out;
err_free:
	for (unsigned int i = n; i-- > 0;)
		mpdp_mbuf_free(pkts[i]);
out:
	free(tmp);
	free(o);
}

/* Check a received original packet; returns NULL or why it is wrong. */
static const char *check_pkt(struct mpdp_mbuf *m, uint64_t seed, unsigned int idx,
			     unsigned int segs, uint16_t want_ref, uint8_t *tmp, uint8_t *want)
{
	const struct mpdp_mbuf *s;
	const char *reason = NULL;
	uint32_t len = 0, at = 0;
	unsigned int nseg = 0;
	const void *p;

	if (mpdp_mbuf_check(m, 1, &reason) != 0)
		return reason != NULL ? reason : "mpdp_mbuf_check";
	if (m->udata64 != ((seed << 32) | idx))
		return "udata64";
	if (m->nb_segs != segs || mpdp_mbuf_is_indirect(m))
		return "nb_segs_or_indirect";
	for (s = m; s != NULL; s = mpdp_mbuf_next(s)) {
		if (nseg >= segs || s->data_len != seg_len(idx, nseg))
			return "segment_length";
		if (mpdp_mbuf_refcnt_read(s) != want_ref)
			return "refcnt";
		/* IOVA-as-offset: the buffer's IOVA is its heap offset, in every process */
		if (s->buf_iova != mpdp_shm_off(mpdp_mbuf_buf_addr(s)) ||
		    mpdp_mem_iova(mpdp_mbuf_mtod(s, const void *)) !=
			    mpdp_shm_off(mpdp_mbuf_mtod(s, const void *)) ||
		    mpdp_mbuf_data_iova(s) != mpdp_shm_off(mpdp_mbuf_mtod(s, const void *)))
			return "iova";
		len += s->data_len;
		nseg++;
	}
	if (nseg != segs || m->pkt_len != len)
		return "pkt_len";
	mh_pattern_fill(want, len, pkt_seed(seed, idx));
	/* segment by segment through mtod in this process ... */
	for (s = m; s != NULL; s = mpdp_mbuf_next(s)) {
		if (memcmp(mpdp_mbuf_mtod(s, const void *), want + at, s->data_len) != 0)
			return "segment_data";
		at += s->data_len;
	}
	/* ... and as a whole, across the segments */
	p = mpdp_mbuf_read(m, 0, len, tmp);
	if (p == NULL || memcmp(p, want, len) != 0)
		return "mbuf_read";
	if (m->priv_size > 0 &&
	    mh_pattern_check(mpdp_mbuf_priv(m), m->priv_size, pkt_seed(seed, idx) ^ 0xabcdu) >= 0)
		return "priv";
	return NULL;
}

/* A clone: its segments use orig's buffers (same data offsets, same bytes). */
static const char *check_clone(const struct mpdp_mbuf *cl, const struct mpdp_mbuf *orig,
			       uint64_t seed, unsigned int c)
{
	const struct mpdp_mbuf *s, *o;

	if (cl->udata64 != ((seed << 32) | CLONE_BIT | c))
		return "clone_udata64";
	if (cl->nb_segs != orig->nb_segs || cl->pkt_len != orig->pkt_len)
		return "clone_lengths";
	for (s = cl, o = orig; s != NULL && o != NULL;
	     s = mpdp_mbuf_next(s), o = mpdp_mbuf_next(o)) {
		if (!mpdp_mbuf_is_indirect(s) || s->attached != mpdp_shm_off(o))
			return "clone_not_attached";
		if (s->data_len != o->data_len ||
		    mpdp_mbuf_mtod(s, const void *) != mpdp_mbuf_mtod(o, const void *))
			return "clone_data_addr";
		if (memcmp(mpdp_mbuf_mtod(s, const void *), mpdp_mbuf_mtod(o, const void *),
			   s->data_len) != 0)
			return "clone_data";
	}
	return s == NULL && o == NULL ? NULL : "clone_segments";
}

static void cmd_mbuf_inspect(int argc, char **argv)
{
	unsigned long long count, segs, seed, clones, seed2 = 0;
	struct mpdp_mbuf *pkts[2 * PC_MAX_PKTS];
	uint64_t offs[2 * PC_MAX_PKTS];
	struct mpdp_ring *r, *fwd = NULL;
	const char *why = NULL;
	uint8_t *tmp = NULL, *want = NULL;
	struct out *o = NULL;
	unsigned int n = 0, total, bad = 0;
	uint64_t t0 = (uint64_t)time(NULL);

	if (argc < 8 || parse_u(argv[2], &count) || parse_u(argv[3], &segs) ||
	    parse_u(argv[4], &seed) || parse_u(argv[5], &clones) ||
	    (strcmp(argv[6], "-") != 0 && parse_u(argv[7], &seed2)) || count == 0 ||
	    count > PC_MAX_PKTS || clones > count) {
		mh_say_err(-EINVAL, "usage: mbuf-inspect RING COUNT SEGS SEED CLONES FWD|- SEED2");
		return;
	}
	r = pc_ring(argv[1]);
	if (strcmp(argv[6], "-") != 0)
		fwd = pc_ring(argv[6]);
	if (r == NULL || (strcmp(argv[6], "-") != 0 && fwd == NULL)) {
		mh_say_err(-ENOENT, "ring %s or %s", argv[1], argv[6]);
		return;
	}
	total = (unsigned int)(count + clones);
	while (n < total && (uint64_t)time(NULL) - t0 < 10) {
		unsigned int got = mpdp_ring_mc_dequeue_burst(r, offs + n, total - n, NULL);

		n += got;
		if (got == 0)
			usleep(1000);
	}
	if (n < total) {
		mh_say_err(-ETIMEDOUT, "got %u of %u packets from %s", n, total, argv[1]);
		return;
	}
	tmp = malloc(65536);
	want = malloc(65536);
	o = calloc(1, sizeof(*o));
	if (tmp == NULL || want == NULL || o == NULL) {
		mh_say_err(-ENOMEM, "mbuf-inspect");
		goto out;
	}
	/* offsets from a ring are input: every one must name an mbuf of a known pool */
	for (unsigned int i = 0; i < total; i++) {
		struct mpdp_mbuf *m;
		struct mpdp_mempool *mp;

		if (!mpdp_shm_off_valid(offs[i], sizeof(struct mpdp_mbuf))) {
			mh_say_err(-EBADMSG, "entry %u: offset %#" PRIx64 " outside the heap", i,
				   offs[i]);
			goto out; /* leaked on purpose: nothing we can free */
		}
		m = mpdp_mbuf_from_off(offs[i]);
		mp = mpdp_mbuf_pool(m);
		if (mp == NULL || ph_obj_index(mp, m) < 0) {
			mh_say_err(-EBADMSG, "entry %u: %#" PRIx64 " is no mbuf of a pool here", i,
				   offs[i]);
			goto out;
		}
		pkts[i] = m;
	}
	for (unsigned int i = 0; i < total; i++) {
		const char *w;

		if (i < count)
			w = check_pkt(pkts[i], seed, i, (unsigned int)segs, i < clones ? 2 : 1, tmp,
				      want);
		else
			w = check_clone(pkts[i], pkts[i - count], seed, (unsigned int)(i - count));
		if (w != NULL) {
			bad++;
			if (why == NULL)
				why = w;
		}
	}
	out_add(o, "OK checked=%u bad=%u base=%p", total, bad, (void *)mpdp_shm_base_);
	for (unsigned int i = 0; i < total; i++)
		out_pkt(o, i, pkts[i]);
	/* the clones go; the buffers they shared are then held once */
	for (unsigned int i = (unsigned int)count; i < total; i++)
		mpdp_mbuf_free(pkts[i]);
	for (unsigned int i = 0; i < clones; i++)
		for (const struct mpdp_mbuf *s = pkts[i]; s != NULL; s = mpdp_mbuf_next(s))
			if (mpdp_mbuf_refcnt_read(s) != 1) {
				bad++;
				why = "refcnt_after_clone_free";
			}
	if (fwd != NULL) {
		for (unsigned int i = 0; i < count; i++)
			if (pkt_fill(pkts[i], seed2, i, tmp) != 0) {
				bad++;
				why = "rewrite";
			}
		if (mpdp_ring_mp_enqueue_bulk(fwd, offs, (unsigned int)count, NULL) != count) {
			bad++;
			why = "forward_ring_full";
			for (unsigned int i = 0; i < count; i++)
				mpdp_mbuf_free(pkts[i]);
		}
	} else {
		for (unsigned int i = 0; i < count; i++)
			mpdp_mbuf_free(pkts[i]);
	}
	out_add(o, " refcnt_after=%s why=%s", bad ? "bad" : "ok", why != NULL ? why : "-");
	mh_say("%s", o->text);
out:
	free(tmp);
	free(want);
	free(o);
}

int pc_command(int argc, char **argv)
{
	if (strcmp(argv[0], "pool-create") == 0)
		cmd_pool_create(argc, argv);
	else if (strcmp(argv[0], "pool-lookup") == 0)
		cmd_pool_lookup(argc, argv);
	else if (strcmp(argv[0], "pool-walk") == 0)
		cmd_pool_walk();
	else if (strcmp(argv[0], "pool-from-id") == 0)
		cmd_pool_from_id(argc, argv);
	else if (strcmp(argv[0], "pool-audit") == 0)
		cmd_pool_audit(argc, argv);
	else if (strcmp(argv[0], "pool-free") == 0)
		cmd_pool_free(argc, argv);
	else if (strcmp(argv[0], "pool-flush") == 0)
		cmd_pool_flush(argc, argv);
	else if (strcmp(argv[0], "pool-churn") == 0)
		cmd_pool_churn(argc, argv);
	else if (strcmp(argv[0], "ring-create") == 0)
		cmd_ring_create(argc, argv);
	else if (strcmp(argv[0], "mbuf-build") == 0)
		cmd_mbuf_build(argc, argv);
	else if (strcmp(argv[0], "mbuf-inspect") == 0)
		cmd_mbuf_inspect(argc, argv);
	else
		return 0;
	return 1;
}
