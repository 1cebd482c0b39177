/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool_audit.c - proving where every object is, and the debug checks of
 * debug pools (cookies, poison).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mempool_private.h"

struct audit_walk {
	const struct mpdp_mempool *mp;
	uint8_t *seen;
	unsigned int found;
	unsigned int duplicates;
	unsigned int bad;
};

static int audit_mark(uint64_t off, void *arg)
{
	struct audit_walk *w = arg;
	long idx = mempool_off_to_index(w->mp, off);

	if (idx < 0)
		w->bad++;
	else if (w->seen[idx])
		w->duplicates++;
	else {
		w->seen[idx] = 1;
		w->found++;
	}
	return 0;
}

/* Everything that changes when any process gets or puts. */
struct activity {
	uint64_t calls;
	unsigned int backend;
};

static void activity_read(const struct mpdp_mempool *mp, struct activity *a)
{
	struct mpdp_mempool_stats st;

	mpdp_mempool_stats_get(mp, &st);
	a->calls = st.get_ok_objs + st.get_fail_calls + st.put_objs;
	a->backend = mp->ops->count(mp);
}

/* A quiescent ring backend with a head ahead of its tail: a move never finished. */
static int ring_half_moved(const struct mpdp_mempool *mp)
{
	const struct mpdp_ring_shm *r;

	if (mp->ring == NULL)
		return 0;
	r = mp->ring->shm;
	return atomic_load(&r->prod.head) != atomic_load(&r->prod.tail) ||
	       atomic_load(&r->cons.head) != atomic_load(&r->cons.tail);
}

int mpdp_mempool_audit(struct mpdp_mempool *mp, struct mpdp_mempool_audit *rep,
		       mpdp_mempool_obj_cb_t in_use_cb, void *arg)
{
	struct audit_walk w = { .mp = mp };
	struct activity before, after;
	struct mpdp_mempool_stats st;
	int rc;

	if (mp == NULL || rep == NULL)
		return -EINVAL;
	memset(rep, 0, sizeof(*rep));
	w.seen = calloc(mp->size, 1);
	if (w.seen == NULL)
		return -ENOMEM;
	activity_read(mp, &before);

	rc = mp->ops->walk(mp, audit_mark, &w);
	rep->in_backend = w.found;
	if (rc == 0 && mp->cache_size > 0) {
		for (unsigned int l = 0; l < MPDP_MAX_LCORES; l++) {
			const struct mpdp_mempool_lcore_shm *lc = mpdp_mempool_lcore_(mp, l);
			uint32_t len = lc->cache_len;

			if (len > mp->shm->cache_cap) {
				w.bad += len - mp->shm->cache_cap;
				len = mp->shm->cache_cap;
			}
			rep->caches_nonempty += len > 0;
			for (uint32_t i = 0; i < len; i++)
				audit_mark(lc->objs[i], &w);
		}
	}
	rep->size = mp->size;
	rep->in_caches = w.found - rep->in_backend;
	rep->in_use = mp->size - w.found;
	rep->duplicates = w.duplicates;
	rep->bad_entries = w.bad;
	mpdp_mempool_stats_get(mp, &st);
	rep->stats_in_use = st.in_use;

	activity_read(mp, &after);
	if (rc == 0 && (before.calls != after.calls || before.backend != after.backend))
		rc = -EAGAIN;
	if (rc == 0 && (atomic_load(&mp->shm->broken) || ring_half_moved(mp)))
		rc = -EIO; /* the report is what the stuck backend shows */
	if (rc == 0 && in_use_cb != NULL)
		for (unsigned int i = 0; i < mp->size; i++)
			if (!w.seen[i])
				in_use_cb(mp, mpdp_mempool_obj_at(mp, i), i, arg);
	free(w.seen);
	if (rc != 0)
		return rc;
	return w.duplicates != 0 || w.bad != 0 ? -EBADMSG : 0;
}

/* ---- debug pools -------------------------------------------------------- */

static void debug_error(struct mpdp_mempool *mp)
{
	unsigned int lcore = mpdp_lcore_id();

	atomic_fetch_add_explicit(
		&mpdp_mempool_lcore_(mp, lcore < MPDP_MAX_LCORES ? lcore : MPDP_MAX_LCORES)
			 ->debug_errors,
		1, memory_order_relaxed);
}

void mpdp_mempool_debug_get_(struct mpdp_mempool *mp, void **objs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *obj = objs[i];
		struct mpdp_mempool_objhdr_shm *hdr = mpdp_mempool_objhdr(obj);
		uint64_t expect = MPDP_MEMPOOL_COOKIE_FREE;

		if (!atomic_compare_exchange_strong(&hdr->cookie, &expect,
						    MPDP_MEMPOOL_COOKIE_USED)) {
			MP_LOG(ERR, "mempool '%s': object %u handed out while %s", mp->name,
			       hdr->index,
			       expect == MPDP_MEMPOOL_COOKIE_USED ? "in use (it was in the pool twice)"
								  : "its header is corrupt");
			debug_error(mp);
			atomic_store(&hdr->cookie, MPDP_MEMPOOL_COOKIE_USED);
		}
		for (uint32_t b = mp->poison_skip; b < mp->elt_size; b++)
			if (obj[b] != MPDP_MEMPOOL_POISON) {
				MP_LOG(ERR, "mempool '%s': object %u was written after it was "
					    "freed (byte %u is 0x%02x)",
				       mp->name, hdr->index, b, obj[b]);
				debug_error(mp);
				break;
			}
	}
}

unsigned int mpdp_mempool_debug_put_(struct mpdp_mempool *mp, void *const *objs, unsigned int n,
				     void **kept)
{
	unsigned int good = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t *obj = objs[i];
		long idx = mpdp_shm_contains(obj, 1) ? mempool_off_to_index(mp, mpdp_shm_off(obj))
						     : -1;
		struct mpdp_mempool_objhdr_shm *hdr;
		uint64_t expect = MPDP_MEMPOOL_COOKIE_USED;

		if (idx < 0) {
			MP_LOG(ERR, "mempool '%s': put of %p, which is not one of its objects",
			       mp->name, (void *)obj);
			debug_error(mp);
			continue;
		}
		hdr = mpdp_mempool_objhdr(obj);
		if (!atomic_compare_exchange_strong(&hdr->cookie, &expect,
						    MPDP_MEMPOOL_COOKIE_FREE)) {
			MP_LOG(ERR, "mempool '%s': %s of object %ld; not returned", mp->name,
			       expect == MPDP_MEMPOOL_COOKIE_FREE ? "double free" : "corrupt header",
			       idx);
			debug_error(mp);
			continue;
		}
		memset(obj + mp->poison_skip, MPDP_MEMPOOL_POISON, mp->elt_size - mp->poison_skip);
		kept[good++] = obj;
	}
	return good;
}

int mpdp_mempool_debug_obj_live_(struct mpdp_mempool *mp, const void *obj)
{
	const struct mpdp_mempool_objhdr_shm *hdr;
	uint64_t cookie;

	if (mp == NULL) {
		static atomic_flag said = ATOMIC_FLAG_INIT;

		if (!atomic_flag_test_and_set(&said))
			MP_LOG(ERR, "free of %p, whose pool is not usable in this process; not "
				    "returned (logged once)", obj);
		return 0;
	}
	if (!mpdp_shm_contains(obj, 1) || mempool_off_to_index(mp, mpdp_shm_off(obj)) < 0) {
		MP_LOG(ERR, "mempool '%s': free of %p, which is not one of its objects", mp->name,
		       obj);
		debug_error(mp);
		return 0;
	}
	hdr = mpdp_mempool_objhdr(obj);
	cookie = atomic_load(&hdr->cookie);
	if (cookie == MPDP_MEMPOOL_COOKIE_USED)
		return 1;
	MP_LOG(ERR, "mempool '%s': %s of object %u; ignored", mp->name,
	       cookie == MPDP_MEMPOOL_COOKIE_FREE ? "double free" : "free with a corrupt header",
	       hdr->index);
	debug_error(mp);
	return 0;
}
