/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool.c - control path of mpdp_mempool: the pool table, create, lookup,
 * attach, free, statistics, cache flush and the primary's recovery of a dead
 * process's caches. The data path is inline in mpdp_mempool.h; the audit and
 * the debug checks are in mempool_audit.c.
 *
 * Process-local state: one handle per pool id (mpdp_mempool_by_id_), made
 * under handles_lock and published with a release store, so the inline
 * mpdp_mempool_from_id() needs only an acquire load.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_memzone.h>
#include <mpdp/mpdp_proc.h>

#include "mempool_private.h"

struct mpdp_mempool *_Atomic mpdp_mempool_by_id_[MPDP_MEMPOOL_MAX];
_Atomic uint64_t *mpdp_mempool_table_;

/*
 * Handles replaced because their pool was freed elsewhere and the id reused:
 * another thread of this process may still hold the old pointer for a
 * moment, so they are freed only at cleanup.
 */
static struct mpdp_mempool *retired[MPDP_MEMPOOL_MAX * 4];
static unsigned int nb_retired;

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mempool_table_shm *table; /* this process; reset at cleanup */
static _Atomic uint8_t unusable_logged[MPDP_MEMPOOL_MAX]; /* ENOTSUP said once */

#define MEMPOOL_ALL_FLAGS \
	(MPDP_MEMPOOL_F_SP_PUT | MPDP_MEMPOOL_F_SC_GET | MPDP_MEMPOOL_F_DEBUG | \
	 MPDP_MEMPOOL_F_NO_DEBUG)

static int pid_alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* ---- the pool table ---------------------------------------------------- */

static struct mempool_table_shm *table_find(int create, int *err)
{
	struct mpdp_memzone mz;
	int rc;

	if (table != NULL)
		return table;
	rc = mpdp_memzone_lookup(MEMPOOL_TABLE_ZONE, &mz);
	if (rc == -ENOENT && create) {
		rc = mpdp_memzone_reserve(MEMPOOL_TABLE_ZONE, sizeof(struct mempool_table_shm), 0,
					  &mz);
		if (rc == -EEXIST) /* another process made it first */
			rc = mpdp_memzone_lookup(MEMPOOL_TABLE_ZONE, &mz);
	}
	if (rc == 0 && mz.len < sizeof(struct mempool_table_shm))
		rc = -EPROTO;
	if (rc != 0) {
		*err = rc;
		return NULL;
	}
	table = mz.addr;
	mpdp_mempool_table_ = table->slot;
	return table;
}

struct mempool_table_shm *mempool_table(int *err)
{
	return table_find(1, err);
}

/* Claim a free slot (or one whose creator died). Returns the id or -ENOSPC. */
static int slot_claim(struct mempool_table_shm *t)
{
	const uint64_t mine = ((uint64_t)getpid() << 1) | 1;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < MPDP_MEMPOOL_MAX; i++) {
			uint64_t v = atomic_load_explicit(&t->slot[i], memory_order_relaxed);

			if (pass == 0 && v != 0)
				continue;
			if (pass == 1 && ((v & 1) == 0 || pid_alive((int)(v >> 1))))
				continue;
			if (atomic_compare_exchange_strong(&t->slot[i], &v, mine))
				return i;
		}
	}
	return -ENOSPC;
}

/* ---- handles ------------------------------------------------------------ */

static int shm_sane(const struct mpdp_mempool_shm *shm, uint32_t id)
{
	size_t blocks = (size_t)(MPDP_MAX_LCORES + 1) * shm->lcore_stride;

	return atomic_load_explicit(&shm->magic, memory_order_acquire) == MPDP_MEMPOOL_MAGIC &&
	       shm->id == id && memchr(shm->name, '\0', sizeof(shm->name)) != NULL &&
	       memchr(shm->ops_name, '\0', sizeof(shm->ops_name)) != NULL && shm->size > 0 &&
	       shm->elt_size > 0 && shm->total_elt_size % MPDP_CACHE_LINE_SIZE == 0 &&
	       shm->total_elt_size >= sizeof(struct mpdp_mempool_objhdr_shm) + shm->elt_size &&
	       shm->cache_size <= MPDP_MEMPOOL_CACHE_MAX &&
	       shm->cache_cap >= 3 * shm->cache_size &&
	       shm->cache_flushthresh <= shm->cache_cap / 2 &&
	       shm->lcore_stride >= sizeof(struct mpdp_mempool_lcore_shm) +
					   (size_t)shm->cache_cap * sizeof(uint64_t) &&
	       shm->poison_skip <= shm->elt_size && mpdp_shm_off_valid(shm->lcores_off, blocks) &&
	       mpdp_shm_off_valid(shm->objs_off, (size_t)shm->size * shm->total_elt_size);
}

static void handle_fill(struct mpdp_mempool *mp, struct mpdp_mempool_shm *shm)
{
	mp->shm = shm;
	mp->lcores = mpdp_shm_ptr(shm->lcores_off);
	mp->objs = mpdp_shm_ptr(shm->objs_off);
	mp->id = shm->id;
	mp->flags = shm->flags;
	mp->size = shm->size;
	mp->elt_size = shm->elt_size;
	mp->total_elt_size = shm->total_elt_size;
	mp->cache_size = shm->cache_size;
	mp->cache_flushthresh = shm->cache_flushthresh;
	mp->lcore_stride = shm->lcore_stride;
	mp->poison_skip = shm->poison_skip;
	memcpy(mp->name, shm->name, sizeof(mp->name));
	mp->name[sizeof(mp->name) - 1] = '\0';
}

/*
 * The object layout (struct mempool_run, mempool_private.h): n objects of
 * total bytes from heap offset objs_off, none ending past objs_off + limit.
 * Fills runs when not NULL (room for the count a NULL call returned) and
 * *span. Returns the number of runs, or -ENOSPC when they do not fit.
 */
static long layout_runs(uint64_t objs_off, uint32_t n, uint32_t total, uint64_t limit,
			struct mempool_run *runs, uint64_t *span)
{
	struct mpdp_heap_info hi;
	uint64_t pos = objs_off, end = objs_off + limit;
	long nr = 0;
	uint32_t idx = 0;

	if (mpdp_iova_mode() != MPDP_IOVA_PA || mpdp_heap_info(&hi) != 0) {
		if ((uint64_t)n * total > limit)
			return -ENOSPC;
		if (runs != NULL)
			runs[0] = (struct mempool_run){ .off = objs_off, .first = 0, .count = n };
		*span = (uint64_t)n * total;
		return 1;
	}
	while (idx < n) {
		uint32_t count = 0;

		if (pos + total > end)
			return -ENOSPC;
		if (!mpdp_mem_iova_contig(mpdp_shm_ptr(pos), total)) {
			/* the object would span a physical discontinuity: next page */
			pos = MPDP_ALIGN_UP(pos + 1, (uint64_t)hi.page_size);
			continue;
		}
		while (idx + count < n && pos + (uint64_t)(count + 1) * total <= end &&
		       mpdp_mem_iova_contig(mpdp_shm_ptr(pos + (uint64_t)count * total), total))
			count++;
		if (runs != NULL)
			runs[nr] = (struct mempool_run){ .off = pos, .first = idx, .count = count };
		nr++;
		idx += count;
		pos += (uint64_t)count * total;
	}
	*span = pos - objs_off;
	return nr;
}

/*
 * Bytes of slack a pool's memzone needs past n * total for the skips of
 * layout_runs(): at most one object's worth per page boundary the objects
 * span, plus one. 0 in IOVA mode VA.
 */
static uint64_t layout_slack(uint32_t n, uint32_t total)
{
	struct mpdp_heap_info hi;
	uint64_t len = (uint64_t)n * total, slack = 0;

	if (mpdp_iova_mode() != MPDP_IOVA_PA || mpdp_heap_info(&hi) != 0)
		return 0;
	/* twice: the slack spans pages too */
	for (int i = 0; i < 2; i++)
		slack = ((len + slack) / hi.page_size + 2) * (uint64_t)total;
	return slack;
}

/*
 * A handle for shm with its layout; objects must end within limit bytes of
 * objs_off. NULL with *err on failure (-ENOMEM, or -ENOSPC: they do not fit).
 */
static struct mpdp_mempool *handle_alloc(struct mpdp_mempool_shm *shm, uint64_t limit, int *err)
{
	struct mempool_local *l;
	uint64_t span;
	long nr = layout_runs(shm->objs_off, shm->size, shm->total_elt_size, limit, NULL, &span);

	if (nr < 0) {
		*err = (int)nr;
		return NULL;
	}
	l = calloc(1, sizeof(*l) + (size_t)nr * sizeof(l->runs[0]));
	if (l == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	l->nb_runs = (uint32_t)layout_runs(shm->objs_off, shm->size, shm->total_elt_size, limit,
					   l->runs, &l->span);
	handle_fill(&l->mp, shm);
	return &l->mp;
}

/* Drop this process's handle of pool id (handles_lock held). */
static void handle_drop_locked(uint32_t id)
{
	struct mpdp_mempool *mp = atomic_load(&mpdp_mempool_by_id_[id]);

	if (mp == NULL)
		return;
	atomic_store(&mpdp_mempool_by_id_[id], NULL);
	if (mp->ops->detach != NULL)
		mp->ops->detach(mp);
	free(mp);
}

/* The pool behind id's handle was freed by another process: retire the handle. */
static void handle_retire_locked(uint32_t id)
{
	struct mpdp_mempool *mp = atomic_load(&mpdp_mempool_by_id_[id]);

	if (mp == NULL)
		return;
	if (nb_retired == MPDP_DIM(retired)) {
		handle_drop_locked(id); /* pathological churn: no more room to defer */
		return;
	}
	atomic_store(&mpdp_mempool_by_id_[id], NULL);
	retired[nb_retired++] = mp; /* its backend handle stays with it until cleanup */
}

/* Attach this process to the pool published in slot id (handles_lock held). */
static struct mpdp_mempool *attach_locked(uint32_t id, int *err)
{
	struct mempool_table_shm *t = table_find(0, err);
	struct mpdp_mempool_shm *shm;
	struct mpdp_mempool *mp;
	uint64_t off, slot;
	int rc;

	if (t == NULL)
		return NULL;
	slot = atomic_load_explicit(&t->slot[id], memory_order_acquire);
	if (!mempool_slot_published(slot)) {
		*err = -ENOENT;
		return NULL;
	}
	off = mempool_slot_off(slot);
	mp = atomic_load(&mpdp_mempool_by_id_[id]);
	if (mp != NULL && mp->table_off == slot)
		return mp;
	handle_retire_locked(id); /* a pool this process knew under that id is gone */
	if (!mpdp_shm_off_valid(off, sizeof(*shm))) {
		*err = -EPROTO;
		return NULL;
	}
	shm = mpdp_shm_ptr(off);
	if (!shm_sane(shm, id)) {
		MP_LOG(ERR, "mempool table slot %u names no sane pool", id);
		*err = -EPROTO;
		return NULL;
	}
	/* the layout as the creator made it; objects end inside the heap */
	mp = handle_alloc(shm, mpdp_shm_len_ - shm->objs_off, err);
	if (mp == NULL) {
		if (*err == -ENOSPC) {
			MP_LOG(ERR, "mempool '%s': its objects do not fit the heap in IOVA mode %s",
			       shm->name, mpdp_iova_mode_name(mpdp_iova_mode()));
			*err = -EPROTO;
		}
		return NULL;
	}
	mp->table_off = slot;
	mp->ops = mempool_ops_find(shm->ops_name);
	if (mp->ops == NULL) {
		/* once per pool: mbuf frees of its objects come here per packet */
		if (!atomic_exchange(&unusable_logged[id], 1))
			MP_LOG(ERR, "mempool '%s': backend '%s' is not available in this process",
			       mp->name, shm->ops_name);
		free(mp);
		*err = -ENOTSUP;
		return NULL;
	}
	atomic_store(&unusable_logged[id], 0);
	rc = mp->ops->attach(mp);
	if (rc != 0) {
		MP_LOG(ERR, "mempool '%s': backend '%s' attach failed: %s", mp->name,
		       shm->ops_name, strerror(-rc));
		free(mp);
		*err = rc;
		return NULL;
	}
	atomic_store_explicit(&mpdp_mempool_by_id_[id], mp, memory_order_release);
	return mp;
}

struct mpdp_mempool *mpdp_mempool_attach_id_(uint32_t id)
{
	struct mpdp_mempool *mp;
	int err;

	if (id >= MPDP_MEMPOOL_MAX || mpdp_shm_base_ == NULL)
		return NULL;
	pthread_mutex_lock(&handles_lock);
	mp = attach_locked(id, &err);
	pthread_mutex_unlock(&handles_lock);
	return mp;
}

/* ---- create, lookup, free ----------------------------------------------- */

static int check_name(const char *name)
{
	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	if (strlen(name) >= MPDP_MEMPOOL_NAME_SIZE)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * A memzone "mp.<name>" whose pool never got its magic, made by a process
 * that is dead, is the remains of a creation that was killed: free it.
 */
static int reap_unfinished(const char *zone)
{
	struct mpdp_memzone mz;
	const struct mpdp_mempool_shm *shm;

	if (mpdp_memzone_lookup(zone, &mz) != 0 || mz.len < sizeof(*shm))
		return 0;
	shm = mz.addr;
	if (atomic_load_explicit(&shm->magic, memory_order_acquire) != 0 ||
	    pid_alive(mz.owner_pid))
		return 0;
	MP_LOG(WARNING, "freeing '%s', left unfinished by dead process %d", zone, mz.owner_pid);
	return mpdp_memzone_free(zone) == 0;
}

static int default_flags(unsigned int flags)
{
#if defined(MPDP_DEBUG) || defined(MPDP_ASAN)
	if (!(flags & MPDP_MEMPOOL_F_NO_DEBUG))
		flags |= MPDP_MEMPOOL_F_DEBUG;
#endif
	if (flags & MPDP_MEMPOOL_F_NO_DEBUG)
		flags &= ~MPDP_MEMPOOL_F_DEBUG;
	return (int)(flags & ~MPDP_MEMPOOL_F_NO_DEBUG);
}

/* Fill the objects and hand them all to the backend. */
static int populate(struct mpdp_mempool *mp, const struct mpdp_mempool_params *params)
{
	uint64_t offs[64];
	unsigned int k = 0;

	for (uint32_t i = 0; i < mp->size; i++) {
		uint8_t *obj = mpdp_mempool_obj_at(mp, i);
		struct mpdp_mempool_objhdr_shm *hdr =
			(struct mpdp_mempool_objhdr_shm *)(void *)(obj - sizeof(*hdr));

		hdr->pool_id = mp->id;
		hdr->index = i;
		atomic_store_explicit(&hdr->cookie, MPDP_MEMPOOL_COOKIE_FREE, memory_order_relaxed);
		if (params != NULL && params->obj_init != NULL)
			params->obj_init(mp, obj, i, mpdp_mem_iova(obj), params->obj_init_arg);
		if (mp->flags & MPDP_MEMPOOL_F_DEBUG)
			memset(obj + mp->poison_skip, MPDP_MEMPOOL_POISON,
			       mp->elt_size - mp->poison_skip);
		offs[k++] = mpdp_shm_off(obj);
		if (k == MPDP_DIM(offs) || i + 1 == mp->size) {
			int rc = mpdp_mempool_backend_enqueue_(mp, offs, k);

			if (rc != 0)
				return rc;
			k = 0;
		}
	}
	return 0;
}

struct mpdp_mempool *mpdp_mempool_create(const char *name, unsigned int n, unsigned int elt_size,
					 unsigned int cache_size, unsigned int flags,
					 const struct mpdp_mempool_params *params, int *err)
{
	const char *ops_name = params != NULL && params->ops_name != NULL ? params->ops_name : "ring";
	char zone[MPDP_NAME_SIZE];
	struct mempool_table_shm *t;
	struct mpdp_mempool_shm *shm;
	struct mpdp_mempool *mp = NULL;
	struct mpdp_memzone mz;
	size_t hdr_len, blocks_len, objs_len;
	uint32_t cache_cap, stride, total;
	int id = -1, rc, dummy, backend_made = 0;

	if (err == NULL)
		err = &dummy;
	rc = check_name(name);
	if (rc != 0)
		goto fail;
	rc = -EINVAL;
	if (n == 0 || n > (1u << 30) || elt_size == 0 || elt_size > (1u << 30) ||
	    cache_size > MPDP_MEMPOOL_CACHE_MAX || (uint64_t)cache_size * 3 / 2 > n ||
	    (flags & ~MEMPOOL_ALL_FLAGS) != 0 ||
	    (params != NULL && (params->user_data_len > MPDP_MEMPOOL_USER_DATA_SIZE ||
				params->poison_skip > elt_size ||
				(params->user_data_len > 0 && params->user_data == NULL))))
		goto fail;
	if (strlen(ops_name) >= MPDP_MEMPOOL_OPS_NAME_SIZE || mempool_ops_find(ops_name) == NULL) {
		MP_LOG(ERR, "mempool '%s': no backend named '%s' in this process", name, ops_name);
		rc = -ENOTSUP;
		goto fail;
	}
	flags = (unsigned int)default_flags(flags);

	pthread_mutex_lock(&handles_lock);
	t = table_find(1, &rc);
	if (t == NULL)
		goto fail_locked;
	id = slot_claim(t);
	if (id < 0) {
		rc = id;
		goto fail_locked;
	}

	total = (uint32_t)MPDP_ALIGN_UP((uint64_t)sizeof(struct mpdp_mempool_objhdr_shm) + elt_size,
					(uint64_t)MPDP_CACHE_LINE_SIZE);
	cache_cap = 3 * cache_size;
	stride = (uint32_t)(sizeof(struct mpdp_mempool_lcore_shm) +
			    MPDP_ALIGN_UP((size_t)cache_cap * sizeof(uint64_t),
					  (size_t)MPDP_CACHE_LINE_SIZE));
	hdr_len = MPDP_ALIGN_UP(sizeof(*shm), (size_t)MPDP_CACHE_LINE_SIZE);
	blocks_len = (size_t)(MPDP_MAX_LCORES + 1) * stride;
	/* IOVA mode PA: room for the skips at physical discontinuities */
	objs_len = (size_t)n * total + (size_t)layout_slack(n, total);
	snprintf(zone, sizeof(zone), "mp.%s", name);
	rc = mpdp_memzone_reserve(zone, hdr_len + blocks_len + objs_len, 0, &mz);
	if (rc == -EEXIST && reap_unfinished(zone))
		rc = mpdp_memzone_reserve(zone, hdr_len + blocks_len + objs_len, 0, &mz);
	if (rc != 0)
		goto fail_locked;

	shm = mz.addr;
	snprintf(shm->name, sizeof(shm->name), "%s", name);
	snprintf(shm->ops_name, sizeof(shm->ops_name), "%s", ops_name);
	shm->id = (uint32_t)id;
	shm->flags = flags;
	shm->size = n;
	shm->elt_size = elt_size;
	shm->total_elt_size = total;
	shm->cache_size = cache_size;
	shm->cache_flushthresh = cache_size * 3 / 2;
	shm->cache_cap = cache_cap;
	shm->lcore_stride = stride;
	shm->poison_skip = params != NULL ? params->poison_skip : 0;
	shm->creator_pid = (int32_t)getpid();
	shm->lcores_off = mz.offset + hdr_len;
	shm->objs_off = mz.offset + hdr_len + blocks_len;
	if (params != NULL && params->user_data_len > 0)
		memcpy(shm->user_data, params->user_data, params->user_data_len);

	mp = handle_alloc(shm, objs_len, &rc);
	if (mp == NULL) {
		if (rc == -ENOSPC) {
			MP_LOG(ERR, "mempool '%s': %u objects of %u B do not fit its memzone in "
				    "physically contiguous pieces (IOVA mode pa)", name, n, total);
			rc = -ENOMEM;
		}
		goto fail_zone;
	}
	mp->ops = mempool_ops_find(ops_name);
	rc = mp->ops->create(mp);
	if (rc != 0)
		goto fail_zone;
	backend_made = 1;
	rc = populate(mp, params);
	if (rc != 0)
		goto fail_zone;

	/* publish: the pool first, then the table entry that leads to it */
	atomic_store_explicit(&shm->magic, MPDP_MEMPOOL_MAGIC, memory_order_release);
	handle_drop_locked((uint32_t)id);
	mp->table_off = mz.offset |
			((atomic_fetch_add(&t->serial, 1) & 0xffffULL) << 48);
	atomic_store_explicit(&mpdp_mempool_by_id_[id], mp, memory_order_release);
	atomic_store_explicit(&t->slot[id], mp->table_off, memory_order_release);
	pthread_mutex_unlock(&handles_lock);
	MP_LOG(DEBUG, "mempool '%s' (id %d): %u x %u B, cache %u, backend %s%s", name, id, n,
	       elt_size, cache_size, ops_name, flags & MPDP_MEMPOOL_F_DEBUG ? ", debug" : "");
	return mp;

fail_zone:
	if (backend_made && mp->ops->destroy != NULL)
		mp->ops->destroy(mp);
	free(mp);
	mpdp_memzone_free(zone);
fail_locked:
	if (id >= 0)
		atomic_store(&t->slot[id], 0);
	pthread_mutex_unlock(&handles_lock);
fail:
	*err = rc;
	return NULL;
}

/* Table index of the published pool called name, or -ENOENT. */
static int find_id(struct mempool_table_shm *t, const char *name)
{
	for (int i = 0; i < MPDP_MEMPOOL_MAX; i++) {
		uint64_t slot = atomic_load_explicit(&t->slot[i], memory_order_acquire);
		uint64_t off = mempool_slot_off(slot);
		const struct mpdp_mempool_shm *shm;

		if (!mempool_slot_published(slot) || !mpdp_shm_off_valid(off, sizeof(*shm)))
			continue;
		shm = mpdp_shm_ptr(off);
		if (strncmp(shm->name, name, sizeof(shm->name)) == 0)
			return i;
	}
	return -ENOENT;
}

struct mpdp_mempool *mpdp_mempool_lookup(const char *name, int *err)
{
	struct mempool_table_shm *t;
	struct mpdp_mempool *mp = NULL;
	int rc, dummy, id;

	if (err == NULL)
		err = &dummy;
	rc = check_name(name);
	if (rc == 0 && mpdp_shm_base_ == NULL)
		rc = -ENODEV;
	if (rc != 0) {
		*err = rc;
		return NULL;
	}
	pthread_mutex_lock(&handles_lock);
	t = table_find(0, &rc);
	if (t == NULL) {
		*err = rc == -ENOENT ? -ENOENT : rc;
		goto out;
	}
	id = find_id(t, name);
	if (id < 0) {
		*err = id;
		goto out;
	}
	mp = attach_locked((uint32_t)id, err);
out:
	pthread_mutex_unlock(&handles_lock);
	return mp;
}

void mpdp_mempool_free(struct mpdp_mempool *mp)
{
	char zone[MPDP_NAME_SIZE];
	uint32_t id;

	if (mp == NULL)
		return;
	id = mp->id;
	snprintf(zone, sizeof(zone), "mp.%s", mp->name);
	pthread_mutex_lock(&handles_lock);
	if (table != NULL)
		atomic_store(&table->slot[id], 0);
	atomic_store(&mpdp_mempool_by_id_[id], NULL);
	atomic_store(&mp->shm->magic, 0);
#ifdef MPDP_ASAN
	/* objects in this process's caches are poisoned; the memory is reused */
	ASAN_UNPOISON_MEMORY_REGION(mp->objs, (size_t)mempool_local_of(mp)->span);
#endif
	if (mp->ops->destroy != NULL)
		mp->ops->destroy(mp);
	mpdp_memzone_free(zone);
	free(mp);
	pthread_mutex_unlock(&handles_lock);
}

/* ---- caches, counts, statistics ----------------------------------------- */

/* Return lcore block lc's cached objects to the backend. Returns how many. */
/*
 * ASan: unpoisoning is for this process's shadow; it is right also for an
 * lcore of another process (our shadow never poisoned those objects).
 */
static unsigned int cache_return(struct mpdp_mempool *mp, struct mpdp_mempool_lcore_shm *lc,
				 int asan_unpoison)
{
	uint32_t len = lc->cache_len, cap = mp->shm->cache_cap, moved = 0;
	uint64_t good[64];
	unsigned int k = 0;

	if (len > cap) {
		MP_LOG(ERR, "mempool '%s': a cache claims %u objects (room for %u); using %u",
		       mp->name, len, cap, cap);
		len = cap;
	}
	for (uint32_t i = 0; i < len; i++) {
		uint64_t off = lc->objs[i];

		if (mempool_off_to_index(mp, off) < 0) {
			MP_LOG(ERR, "mempool '%s': cache entry 0x%llx names no object; dropped",
			       mp->name, (unsigned long long)off);
			continue;
		}
		if (asan_unpoison)
			mpdp_mempool_asan_poison_(mp, mpdp_shm_ptr(off), 0);
		good[k++] = off;
		if (k == MPDP_DIM(good)) {
			(void)mpdp_mempool_backend_enqueue_(mp, good, k);
			moved += k;
			k = 0;
		}
	}
	if (k > 0)
		(void)mpdp_mempool_backend_enqueue_(mp, good, k);
	moved += k;
	lc->cache_len = 0;
	return moved;
}

/* A counter of lcore block lc: owner-only store, or an atomic add on the shared line. */
static void count(_Atomic uint64_t *c, uint64_t v, int shared)
{
	if (shared)
		atomic_fetch_add_explicit(c, v, memory_order_relaxed);
	else
		mpdp_mempool_stat_add_(c, v);
}

/*
 * Out of line: gets and puts of threads without an lcore id (no cache, the
 * shared statistics line) and of debug pools (checks and poison).
 */
int mpdp_mempool_get_slow_(struct mpdp_mempool *mp, void **objs, unsigned int n)
{
	const unsigned int lcore = mpdp_lcore_id();
	const int shared = lcore >= MPDP_MAX_LCORES;
	struct mpdp_mempool_lcore_shm *lc = mpdp_mempool_lcore_(mp, shared ? MPDP_MAX_LCORES : lcore);
	int rc = shared ? mpdp_mempool_get_direct_(mp, objs, n)
			: mpdp_mempool_cache_get_(mp, lc, objs, n);

	if (rc != 0) {
		count(&lc->get_fail_calls, 1, shared);
		count(&lc->get_fail_objs, n, shared);
		return rc;
	}
	count(&lc->get_ok_objs, n, shared);
	if (mp->flags & MPDP_MEMPOOL_F_DEBUG)
		mpdp_mempool_debug_get_(mp, objs, n);
	return 0;
}

void mpdp_mempool_put_slow_(struct mpdp_mempool *mp, void *const *objs, unsigned int n)
{
	const unsigned int lcore = mpdp_lcore_id();
	const int shared = lcore >= MPDP_MAX_LCORES;
	struct mpdp_mempool_lcore_shm *lc = mpdp_mempool_lcore_(mp, shared ? MPDP_MAX_LCORES : lcore);
	void *kept[64];

	while (n > 0) {
		unsigned int k = n < MPDP_DIM(kept) ? n : MPDP_DIM(kept);
		void *const *batch = objs;
		unsigned int good = k;

		if (mp->flags & MPDP_MEMPOOL_F_DEBUG) {
			/* checks and poisons; returns what it keeps */
			good = mpdp_mempool_debug_put_(mp, objs, k, kept);
			batch = kept;
		}
		count(&lc->put_objs, good, shared);
		if (shared)
			mpdp_mempool_put_direct_(mp, batch, good);
		else
			mpdp_mempool_cache_put_(mp, lc, batch, good);
		objs += k;
		n -= k;
	}
}

void mpdp_mempool_cache_flush(struct mpdp_mempool *mp)
{
	unsigned int lcore = mpdp_lcore_id();

	if (mp == NULL || lcore >= MPDP_MAX_LCORES || mp->cache_size == 0)
		return;
	cache_return(mp, mpdp_mempool_lcore_(mp, lcore), 1);
}

static unsigned int caches_count(const struct mpdp_mempool *mp)
{
	unsigned int sum = 0;

	if (mp->cache_size == 0)
		return 0;
	for (unsigned int l = 0; l < MPDP_MAX_LCORES; l++) {
		uint32_t len = mpdp_mempool_lcore_(mp, l)->cache_len;

		sum += len < mp->shm->cache_cap ? len : mp->shm->cache_cap;
	}
	return sum;
}

unsigned int mpdp_mempool_avail_count(const struct mpdp_mempool *mp)
{
	unsigned int n;

	if (mp == NULL)
		return 0;
	n = mp->ops->count(mp) + caches_count(mp);
	return n > mp->size ? mp->size : n;
}

unsigned int mpdp_mempool_in_use_count(const struct mpdp_mempool *mp)
{
	return mp == NULL ? 0 : mp->size - mpdp_mempool_avail_count(mp);
}

static void stats_sum(const struct mpdp_mempool_shm *shm, struct mpdp_mempool_stats *st)
{
	const uint8_t *blocks = mpdp_shm_ptr(shm->lcores_off);

	memset(st, 0, sizeof(*st));
	for (unsigned int l = 0; l <= MPDP_MAX_LCORES; l++) {
		const struct mpdp_mempool_lcore_shm *lc =
			(const void *)(blocks + (size_t)l * shm->lcore_stride);

		st->get_ok_objs += atomic_load_explicit(&lc->get_ok_objs, memory_order_relaxed);
		st->get_fail_calls +=
			atomic_load_explicit(&lc->get_fail_calls, memory_order_relaxed);
		st->get_fail_objs += atomic_load_explicit(&lc->get_fail_objs, memory_order_relaxed);
		st->put_objs += atomic_load_explicit(&lc->put_objs, memory_order_relaxed);
		st->debug_errors += atomic_load_explicit(&lc->debug_errors, memory_order_relaxed);
	}
	st->in_use = st->get_ok_objs - st->put_objs;
}

void mpdp_mempool_stats_get(const struct mpdp_mempool *mp, struct mpdp_mempool_stats *st)
{
	if (mp == NULL || st == NULL)
		return;
	stats_sum(mp->shm, st);
}

static void info_fill(const struct mpdp_mempool_shm *shm, const struct mpdp_mempool *mp,
		      struct mpdp_mempool_info *info)
{
	const uint8_t *blocks = mpdp_shm_ptr(shm->lcores_off);

	memset(info, 0, sizeof(*info));
	memcpy(info->name, shm->name, sizeof(info->name));
	info->name[sizeof(info->name) - 1] = '\0';
	memcpy(info->ops_name, shm->ops_name, sizeof(info->ops_name));
	info->ops_name[sizeof(info->ops_name) - 1] = '\0';
	info->id = shm->id;
	info->flags = shm->flags;
	info->size = shm->size;
	info->elt_size = shm->elt_size;
	info->total_elt_size = shm->total_elt_size;
	info->cache_size = shm->cache_size;
	info->creator_pid = shm->creator_pid;
	info->broken = (int)atomic_load(&shm->broken);
	info->offset = mpdp_shm_off(shm);
	stats_sum(shm, &info->stats);
	if (shm->cache_size > 0)
		for (unsigned int l = 0; l < MPDP_MAX_LCORES; l++) {
			uint32_t len = ((const struct mpdp_mempool_lcore_shm *)(const void *)(
						blocks + (size_t)l * shm->lcore_stride))
					       ->cache_len;

			info->in_caches += len < shm->cache_cap ? len : shm->cache_cap;
		}
	if (mp != NULL) {
		info->in_backend = mp->ops->count(mp);
	} else {
		/* no backend in this process: what is neither cached nor in use */
		uint64_t used = info->stats.in_use + info->in_caches;

		info->in_backend = used < shm->size ? (uint32_t)(shm->size - used) : 0;
	}
}

int mpdp_mempool_info_get(const struct mpdp_mempool *mp, struct mpdp_mempool_info *info)
{
	if (mp == NULL || info == NULL)
		return -EINVAL;
	info_fill(mp->shm, mp, info);
	return 0;
}

int mpdp_mempool_walk(mpdp_mempool_walk_cb_t cb, void *arg)
{
	struct mempool_table_shm *t;
	struct mpdp_mempool_info info;
	int rc = 0, n = 0;

	if (mpdp_shm_base_ == NULL)
		return -ENODEV;
	pthread_mutex_lock(&handles_lock);
	t = table_find(0, &rc);
	pthread_mutex_unlock(&handles_lock);
	if (t == NULL)
		return rc == -ENOENT ? 0 : rc;
	for (uint32_t i = 0; i < MPDP_MEMPOOL_MAX; i++) {
		uint64_t slot = atomic_load_explicit(&t->slot[i], memory_order_acquire);
		uint64_t off = mempool_slot_off(slot);
		const struct mpdp_mempool_shm *shm;

		if (!mempool_slot_published(slot) || !mpdp_shm_off_valid(off, sizeof(*shm)))
			continue;
		shm = mpdp_shm_ptr(off);
		if (!shm_sane(shm, i))
			continue;
		info_fill(shm, mpdp_mempool_from_id(i), &info);
		n++;
		rc = cb(&info, arg);
		if (rc != 0)
			return rc;
	}
	return n;
}

void *mpdp_mempool_obj_at(const struct mpdp_mempool *mp, unsigned int idx)
{
	const struct mempool_local *l;
	uint32_t lo = 0, hi;

	if (mp == NULL || idx >= mp->size)
		return NULL;
	l = mempool_local_of(mp);
	hi = l->nb_runs;
	/* the run with the largest first index at or below idx */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (l->runs[mid].first <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return (uint8_t *)mpdp_shm_ptr(l->runs[lo].off) +
	       (size_t)(idx - l->runs[lo].first) * mp->total_elt_size +
	       sizeof(struct mpdp_mempool_objhdr_shm);
}

unsigned int mpdp_mempool_obj_iter(struct mpdp_mempool *mp, mpdp_mempool_obj_cb_t cb, void *arg)
{
	if (mp == NULL || cb == NULL)
		return 0;
	for (unsigned int i = 0; i < mp->size; i++)
		cb(mp, mpdp_mempool_obj_at(mp, i), i, arg);
	return mp->size;
}

/* ---- recovery (primary) ------------------------------------------------- */

#define STUCK_WAIT_MS 1000

/*
 * Has a dead process left this side of the ring claimed but never published?
 * A live mover publishes within microseconds; a tail that stays behind its
 * head for STUCK_WAIT_MS while the primary is reclaiming a dead process is
 * that process's unfinished move.
 */
static int ring_side_stuck(const struct mpdp_ring_headtail_shm *ht)
{
	uint32_t head = atomic_load_explicit(&ht->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&ht->tail, memory_order_relaxed);
	const struct timespec ms = { 0, 1000000 };

	if (head == tail)
		return 0;
	for (int i = 0; i < STUCK_WAIT_MS; i++) {
		nanosleep(&ms, NULL);
		if (atomic_load_explicit(&ht->tail, memory_order_relaxed) != tail)
			return 0;
	}
	return 1;
}

/* True (and logged, once) when mp's backend cannot move any more. */
static int backend_stuck(struct mpdp_mempool *mp)
{
	if (atomic_load(&mp->shm->broken))
		return 1;
	/* the stack backend is consistent at every instruction (robust mutex) */
	if (mp->ring == NULL ||
	    (!ring_side_stuck(&mp->ring->shm->prod) && !ring_side_stuck(&mp->ring->shm->cons)))
		return 0;
	atomic_store(&mp->shm->broken, 1);
	MP_LOG(ERR, "mempool '%s': a process died inside a move of the backend ring, which "
		    "now waits for it forever; the pool is broken (use the \"stack\" backend "
		    "for pools shared with processes that may be killed)", mp->name);
	return 1;
}

unsigned int mpdp_mempool_reclaim_lcores(const uint16_t *lcores, unsigned int nb_lcores)
{
	struct mempool_table_shm *t;
	unsigned int moved = 0;
	int err;

	if (mpdp_shm_base_ == NULL || lcores == NULL || nb_lcores == 0)
		return 0;
	pthread_mutex_lock(&handles_lock);
	t = table_find(0, &err);
	pthread_mutex_unlock(&handles_lock);
	if (t == NULL)
		return 0;
	for (uint32_t id = 0; id < MPDP_MEMPOOL_MAX; id++) {
		struct mpdp_mempool *mp;

		if (!mempool_slot_published(atomic_load(&t->slot[id])))
			continue;
		mp = mpdp_mempool_from_id(id);
		if (mp == NULL) {
			MP_LOG(ERR, "mempool table slot %u: cannot return the caches of a departed "
				    "process (pool not usable here)", id);
			continue;
		}
		/* every ring pool: a stuck one must be marked even when nothing is cached */
		if (backend_stuck(mp) || mp->cache_size == 0)
			continue;
		for (unsigned int i = 0; i < nb_lcores; i++) {
			unsigned int n;

			if (lcores[i] >= MPDP_MAX_LCORES)
				continue;
			n = cache_return(mp, mpdp_mempool_lcore_(mp, lcores[i]), 1);
			if (n > 0)
				MP_LOG(INFO, "mempool '%s': %u object(s) returned from lcore %u's cache",
				       mp->name, n, lcores[i]);
			moved += n;
		}
	}
	return moved;
}

static void exit_hook(int proc_id, int pid, const uint16_t *lcores, unsigned int nb_lcores,
		      void *arg)
{
	(void)proc_id;
	(void)pid;
	(void)arg;
	mpdp_mempool_reclaim_lcores(lcores, nb_lcores);
}

static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

static void hook_register(void)
{
	if (mpdp_proc_exit_hook_register(exit_hook, NULL) != 0)
		MP_LOG(ERR, "cannot register the mempool exit hook");
}

void mpdp_mempool_primary_init_(void)
{
	pthread_once(&hook_once, hook_register);
}

void mpdp_mempool_detach_all_(void)
{
	pthread_mutex_lock(&handles_lock);
	for (uint32_t id = 0; id < MPDP_MEMPOOL_MAX; id++)
		handle_drop_locked(id);
	for (unsigned int i = 0; i < nb_retired; i++) {
		if (retired[i]->ops->detach != NULL)
			retired[i]->ops->detach(retired[i]);
		free(retired[i]);
	}
	nb_retired = 0;
	table = NULL;
	mpdp_mempool_table_ = NULL;
	pthread_mutex_unlock(&handles_lock);
}
