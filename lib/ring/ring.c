/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring.c - control path of mpdp_ring: create, attach, detach, free, walk. The data
 * path is inline in mpdp_ring.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_memzone.h>
#include <mpdp/mpdp_ring.h>

#define RING_LOG(level, ...) mpdp_log(MPDP_LOG_##level, "ring", __VA_ARGS__)

static int zone_name(char *buf, size_t size, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	if (strlen(name) >= MPDP_RING_NAME_SIZE)
		return -ENAMETOOLONG;
	snprintf(buf, size, "rg.%s", name);
	return 0;
}

static uint32_t next_pow2(uint32_t v)
{
	v--;
	v |= v >> 1;
	v |= v >> 2;
	v |= v >> 4;
	v |= v >> 8;
	v |= v >> 16;
	return v + 1;
}

/* Build the local handle from a ring in shared memory, checking its geometry. */
static struct mpdp_ring *handle_new(struct mpdp_ring_shm *shm, size_t zone_len, int *err)
{
	struct mpdp_ring *r;

	if (shm->magic != MPDP_RING_MAGIC || !MPDP_IS_POW2(shm->size) ||
	    shm->size > MPDP_RING_SZ_MASK + 1u || shm->mask != shm->size - 1 ||
	    shm->capacity == 0 || shm->capacity > shm->mask ||
	    sizeof(*shm) + (size_t)shm->size * sizeof(uint64_t) > zone_len) {
		*err = -EPROTO;
		return NULL;
	}
	/*
	 * The fast path reads the handle on every call: a cache line of its own,
	 * so that no write to a neighbouring allocation makes those reads miss.
	 */
	r = aligned_alloc(MPDP_CACHE_LINE_SIZE, MPDP_ALIGN_UP(sizeof(*r), MPDP_CACHE_LINE_SIZE));
	if (r == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->shm = shm;
	r->slots = shm->slots;
	r->size = shm->size;
	r->mask = shm->mask;
	r->capacity = shm->capacity;
	r->flags = shm->flags;
	memcpy(r->name, shm->name, sizeof(r->name));
	r->name[sizeof(r->name) - 1] = '\0';
	return r;
}

struct mpdp_ring *mpdp_ring_create(const char *name, unsigned int count, unsigned int flags,
				   int *err)
{
	char zname[MPDP_NAME_SIZE];
	struct mpdp_memzone mz;
	struct mpdp_ring_shm *shm;
	struct mpdp_ring *r;
	uint32_t size, capacity;
	int rc, dummy;

	if (err == NULL)
		err = &dummy;
	rc = zone_name(zname, sizeof(zname), name);
	if (rc != 0)
		goto fail;
	if (count == 0 || count > MPDP_RING_SZ_MASK ||
	    (flags & ~(MPDP_RING_F_SP_ENQ | MPDP_RING_F_SC_DEQ | MPDP_RING_F_EXACT_SZ)) ||
	    (!(flags & MPDP_RING_F_EXACT_SZ) && !MPDP_IS_POW2(count))) {
		rc = -EINVAL;
		goto fail;
	}
	if (flags & MPDP_RING_F_EXACT_SZ) {
		size = next_pow2(count + 1);
		capacity = count;
	} else {
		size = count;
		capacity = count - 1;
	}
	if (capacity == 0) {
		rc = -EINVAL;
		goto fail;
	}
	rc = mpdp_memzone_reserve(zname, sizeof(*shm) + (size_t)size * sizeof(uint64_t),
				  MPDP_CACHE_LINE_SIZE, &mz);
	if (rc != 0)
		goto fail;
	shm = mz.addr;
	snprintf(shm->name, sizeof(shm->name), "%s", name);
	shm->size = size;
	shm->mask = size - 1;
	shm->capacity = capacity;
	shm->flags = flags;
	/* memzones are zeroed: heads and tails start at 0. The magic goes last. */
	shm->magic = MPDP_RING_MAGIC;
	r = handle_new(shm, mz.len, &rc);
	if (r == NULL) {
		mpdp_memzone_free(zname);
		goto fail;
	}
	return r;
fail:
	RING_LOG(DEBUG, "cannot create ring '%s': %s", name ? name : "(null)", strerror(-rc));
	*err = rc;
	return NULL;
}

struct mpdp_ring *mpdp_ring_attach(const char *name, int *err)
{
	char zname[MPDP_NAME_SIZE];
	struct mpdp_memzone mz;
	struct mpdp_ring *r;
	int rc, dummy;

	if (err == NULL)
		err = &dummy;
	rc = zone_name(zname, sizeof(zname), name);
	if (rc == 0)
		rc = mpdp_memzone_lookup(zname, &mz);
	if (rc != 0) {
		*err = rc;
		return NULL;
	}
	r = handle_new(mz.addr, mz.len, err);
	if (r == NULL)
		RING_LOG(ERR, "memzone '%s' does not hold a valid ring", zname);
	return r;
}

void mpdp_ring_detach(struct mpdp_ring *r)
{
	free(r);
}

void mpdp_ring_free(struct mpdp_ring *r)
{
	char zname[MPDP_NAME_SIZE];

	if (r == NULL)
		return;
	if (zone_name(zname, sizeof(zname), r->name) == 0)
		mpdp_memzone_free(zname);
	free(r);
}

/* Names of the "rg.*" memzones, collected under the instance lock. */
struct ring_names {
	char (*names)[MPDP_NAME_SIZE];
	unsigned int n;
};

static int collect_ring_zone(const struct mpdp_memzone *mz, void *arg)
{
	struct ring_names *rn = arg;

	/* no memzone call here: mpdp_memzone_walk() holds the instance lock */
	if (strncmp(mz->name, "rg.", 3) == 0 && rn->n < MPDP_MAX_MEMZONES)
		snprintf(rn->names[rn->n++], MPDP_NAME_SIZE, "%s", mz->name);
	return 0;
}

/* Describe the ring in memzone mz; -EPROTO when it does not hold a sane one. */
static int ring_info_fill(const struct mpdp_memzone *mz, struct mpdp_ring_info *info)
{
	const struct mpdp_ring_shm *shm = mz->addr;
	uint32_t size, mask, capacity, prod_tail, cons_tail, count;

	if (mz->len < sizeof(*shm))
		return -EPROTO;
	/* another process may be creating or freeing it: read each field once */
	size = shm->size;
	mask = shm->mask;
	capacity = shm->capacity;
	if (shm->magic != MPDP_RING_MAGIC || !MPDP_IS_POW2(size) || mask != size - 1 ||
	    capacity == 0 || capacity > mask ||
	    sizeof(*shm) + (size_t)size * sizeof(uint64_t) > mz->len)
		return -EPROTO;
	memset(info, 0, sizeof(*info));
	memcpy(info->name, shm->name, sizeof(info->name));
	info->name[sizeof(info->name) - 1] = '\0';
	info->size = size;
	info->capacity = capacity;
	info->flags = shm->flags;
	info->offset = mz->offset;
	/* as mpdp_ring_count(): a snapshot, bounded by the capacity */
	prod_tail = atomic_load_explicit(&shm->prod.tail, memory_order_acquire);
	cons_tail = atomic_load_explicit(&shm->cons.tail, memory_order_acquire);
	count = (prod_tail - cons_tail) & mask;
	info->count = count > capacity ? capacity : count;
	return 0;
}

int mpdp_ring_walk(mpdp_ring_walk_cb_t cb, void *arg)
{
	struct ring_names rn = { .names = NULL, .n = 0 };
	struct mpdp_ring_info info;
	struct mpdp_memzone mz;
	int rc, visited = 0;

	rn.names = calloc(MPDP_MAX_MEMZONES, sizeof(*rn.names));
	if (rn.names == NULL)
		return -ENOMEM;
	rc = mpdp_memzone_walk(collect_ring_zone, &rn);
	if (rc < 0)
		goto out;
	for (unsigned int i = 0; i < rn.n; i++) {
		if (mpdp_memzone_lookup(rn.names[i], &mz) != 0)
			continue; /* freed since the walk */
		if (ring_info_fill(&mz, &info) != 0) {
			RING_LOG(DEBUG, "memzone '%s' does not hold a sane ring; left out",
				 rn.names[i]);
			continue;
		}
		rc = cb(&info, arg);
		if (rc != 0)
			goto out;
		visited++;
	}
	rc = visited;
out:
	free(rn.names);
	return rc;
}
