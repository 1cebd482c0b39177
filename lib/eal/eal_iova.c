/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_iova.c - IOVA modes (mpdp_shm.h): the address a DMA device uses for a
 * heap byte. docs/design/iova.md has the whole story; in short:
 *
 *   - The primary fixes the mode once, from lib/ethdev's probe, before any
 *     device is opened (mpdp_iova_mode_fix_()), and records it in the
 *     memzone "mpdp.iova" together with, in PA mode, the physical address
 *     of every heap page read from /proc/self/pagemap.
 *   - Every other process reads the mode and the addresses from that
 *     memzone, found by name on first use and checked before it is trusted
 *     (shared memory is input). A missing memzone means VA.
 *
 * The table is written once, before it is published, and never changes:
 * hugetlbfs pages do not move while the heap's files exist, and the heap
 * lives as long as the instance. Readers need no lock.
 *
 * Process-local state: `view`, this process's checked view of the table,
 * published with a release store (primary: at fix; secondary: at its first
 * lookup, by whichever thread gets there first) and read with acquire
 * loads, so any thread may call the IOVA functions. It is dropped by
 * eal_iova_fini() on the main thread when the heap goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_memzone.h>
#include <mpdp/mpdp_shm.h>

#include "eal_private.h"

#define IOVA_ZONE "mpdp.iova"
#define IOVA_MAGIC 0x41564f4950445050ULL /* "PPDPIOVA" */
#define IOVA_VERSION 1

/* pagemap entry: bit 63 present, bits 0-54 the page frame number */
#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_PFN_MASK ((1ULL << 55) - 1)

/*
 * The table in shared memory, written once by the primary (iova_publish()):
 * it reserves the zone (zero-filled), fills every field, then stores the
 * magic with release; a reader that sees the magic (acquire) sees the rest.
 * No field changes afterwards.
 */
struct eal_iova_shm {
	_Atomic uint64_t magic;   /* (I) IOVA_MAGIC once complete */
	uint32_t version;         /* (I) IOVA_VERSION */
	uint32_t mode;            /* (I) enum mpdp_iova_mode */
	uint64_t page_size;       /* (I) the heap's page size */
	uint64_t heap_len;        /* (I) the heap's length */
	uint64_t nb_pages;        /* (I) PA: heap_len / page_size; VA: 0 */
	uint64_t pa[];            /* (I) PA: physical address of heap page i */
};
MPDP_STATIC_ASSERT(sizeof(struct eal_iova_shm) == 40, "eal_iova_shm header layout");

/* This process's checked view of the table. */
struct iova_view {
	enum mpdp_iova_mode mode;
	size_t page_size;
	size_t nb_pages;
	const uint64_t *pa;       /* in the heap; NULL in VA mode */
};

static struct iova_view view_store;              /* filled once, then published */
static _Atomic(const struct iova_view *) view;   /* NULL: not looked up yet */
static pthread_mutex_t lookup_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct iova_view va_view = { .mode = MPDP_IOVA_VA };

const char *mpdp_iova_mode_name(enum mpdp_iova_mode mode)
{
	return mode == MPDP_IOVA_PA ? "pa" : "va";
}

enum mpdp_iova_mode mpdp_iova_mode_requested_(void)
{
	return (enum mpdp_iova_mode)eal.opts.iova_mode;
}

/*
 * Check a table another process wrote and build the view from it. Returns
 * 0, -ENOENT (incomplete: no magic yet) or -EPROTO (not sane), with *what
 * saying why.
 */
static int view_from_shm(const struct mpdp_memzone *mz, struct iova_view *v, const char **what)
{
	const struct eal_iova_shm *t = mz->addr;
	const struct eal_heap *h = &eal.heap;

	*what = "too short";
	if (mz->len < sizeof(*t))
		return -EPROTO;
	if (atomic_load_explicit(&t->magic, memory_order_acquire) != IOVA_MAGIC) {
		*what = "no magic (incomplete or not an IOVA table)";
		return -ENOENT;
	}
	*what = "version";
	if (t->version != IOVA_VERSION)
		return -EPROTO;
	*what = "heap geometry differs from this process's heap";
	if (t->page_size != h->page_size || t->heap_len != h->len)
		return -EPROTO;
	memset(v, 0, sizeof(*v));
	v->page_size = h->page_size;
	if (t->mode == MPDP_IOVA_VA) {
		v->mode = MPDP_IOVA_VA;
		return 0;
	}
	*what = "unknown mode";
	if (t->mode != MPDP_IOVA_PA)
		return -EPROTO;
	*what = "page count or length";
	if (t->nb_pages != h->len / h->page_size ||
	    t->nb_pages > (mz->len - sizeof(*t)) / sizeof(uint64_t))
		return -EPROTO;
	v->mode = MPDP_IOVA_PA;
	v->nb_pages = (size_t)t->nb_pages;
	v->pa = t->pa;
	return 0;
}

/*
 * The view of this process: the primary's own once fixed; in a secondary
 * looked up on first use. Returns the view, or NULL with *err set. Any
 * thread. Must not be first called while holding the instance lock (inside
 * mpdp_memzone_walk()): a secondary does it in its mpdp_init().
 */
static const struct iova_view *view_get(int *err)
{
	const struct iova_view *v = atomic_load_explicit(&view, memory_order_acquire);
	struct mpdp_memzone mz;
	const char *what = "";
	int rc;

	*err = 0;
	if (v != NULL)
		return v;
	if (mpdp_shm_base_ == NULL || eal.type != MPDP_PROC_SECONDARY)
		return &va_view; /* before init, or a primary before it fixed the mode */
	pthread_mutex_lock(&lookup_lock);
	v = atomic_load_explicit(&view, memory_order_acquire);
	if (v != NULL)
		goto out;
	rc = mpdp_memzone_lookup(IOVA_ZONE, &mz);
	if (rc == -ENOENT) {
		v = &va_view; /* a primary of a layout without the table: VA */
	} else if (rc != 0) {
		*err = rc;
		goto out;
	} else {
		rc = view_from_shm(&mz, &view_store, &what);
		if (rc != 0) {
			EAL_LOG(ERR, "the IOVA table \"%s\" of the primary is not usable: %s",
				IOVA_ZONE, what);
			*err = -EPROTO;
			goto out;
		}
		v = &view_store;
	}
	/* pairs with the acquire loads above and in every reader */
	atomic_store_explicit(&view, v, memory_order_release);
out:
	pthread_mutex_unlock(&lookup_lock);
	return *err == 0 ? v : NULL;
}

enum mpdp_iova_mode mpdp_iova_mode(void)
{
	int err;
	const struct iova_view *v = view_get(&err);

	/* a secondary with an unusable table: PA, so no device gets offsets */
	return v != NULL ? v->mode : MPDP_IOVA_PA;
}

uint64_t mpdp_mem_iova(const void *addr)
{
	const struct iova_view *v;
	uint64_t off;
	int err;

	if (!mpdp_shm_contains(addr, 1))
		return UINT64_MAX;
	off = mpdp_shm_off(addr);
	v = view_get(&err);
	if (v == NULL)
		return UINT64_MAX;
	if (v->mode == MPDP_IOVA_VA)
		return off;
	return v->pa[off / v->page_size] + off % v->page_size;
}

/* In PA mode: does page p's last byte sit right before page p + 1's first? */
static int pages_adjacent(const struct iova_view *v, size_t p)
{
	return v->pa[p + 1] == v->pa[p] + v->page_size;
}

int mpdp_mem_iova_contig(const void *addr, size_t len)
{
	const struct iova_view *v;
	size_t first, last;
	uint64_t off;
	int err;

	if (len == 0 || !mpdp_shm_contains(addr, len))
		return 0;
	v = view_get(&err);
	if (v == NULL)
		return 0;
	if (v->mode == MPDP_IOVA_VA)
		return 1;
	off = mpdp_shm_off(addr);
	first = (size_t)(off / v->page_size);
	last = (size_t)((off + len - 1) / v->page_size);
	for (size_t p = first; p < last; p++)
		if (!pages_adjacent(v, p))
			return 0;
	return 1;
}

/* ---- the primary ---------------------------------------------------------- */

/*
 * Physical address of every heap page, from /proc/self/pagemap. Every page
 * is read once first, so it is present (hugetlbfs pages stay where they are
 * from then on). Returns 0 or -errno with a line in err.
 */
static int pagemap_read(uint64_t *pa, size_t nb_pages, char *err, size_t err_size)
{
	const struct eal_heap *h = &eal.heap;
	long base_page = sysconf(_SC_PAGESIZE);
	int fd, rc = 0;

	if (base_page <= 0)
		base_page = 4096;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "IOVA mode pa: cannot open /proc/self/pagemap: %s",
			 strerror(errno));
		return rc;
	}
	for (size_t i = 0; i < nb_pages; i++) {
		const volatile uint8_t *page = h->base + i * h->page_size;
		uintptr_t va = (uintptr_t)page;
		uint64_t ent;
		ssize_t n;

		(void)*page; /* fault it in: a shared hugetlbfs page is allocated on read */
		n = pread(fd, &ent, sizeof(ent), (off_t)(va / (uintptr_t)base_page * sizeof(ent)));
		if (n != (ssize_t)sizeof(ent)) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, err_size, "IOVA mode pa: cannot read /proc/self/pagemap: %s",
				 n < 0 ? strerror(errno) : "short read");
			break;
		}
		if (!(ent & PAGEMAP_PRESENT)) {
			rc = -EIO;
			snprintf(err, err_size, "IOVA mode pa: heap page %zu is not present in memory",
				 i);
			break;
		}
		if ((ent & PAGEMAP_PFN_MASK) == 0) {
			rc = -EPERM;
			snprintf(err, err_size, "IOVA mode pa: /proc/self/pagemap shows no physical "
						"addresses (needs root: CAP_SYS_ADMIN)");
			break;
		}
		pa[i] = (ent & PAGEMAP_PFN_MASK) * (uint64_t)base_page;
		if (pa[i] % h->page_size != 0) {
			rc = -EIO;
			snprintf(err, err_size, "IOVA mode pa: heap page %zu has physical address "
						"%#llx, not aligned to its %zu kB size",
				 i, (unsigned long long)pa[i], h->page_size >> 10);
			break;
		}
	}
	close(fd);
	return rc;
}

/* Reserve and fill the table, publish it, and the view. */
static int iova_publish(enum mpdp_iova_mode mode, const uint64_t *pa, size_t nb_pages,
			char *err, size_t err_size)
{
	const struct eal_heap *h = &eal.heap;
	struct mpdp_memzone mz;
	struct eal_iova_shm *t;
	int rc;

	rc = mpdp_memzone_reserve(IOVA_ZONE, sizeof(*t) + nb_pages * sizeof(uint64_t), 0, &mz);
	if (rc != 0) {
		snprintf(err, err_size, "cannot reserve the IOVA table \"%s\": %s", IOVA_ZONE,
			 strerror(-rc));
		return rc;
	}
	t = mz.addr;
	t->version = IOVA_VERSION;
	t->mode = mode;
	t->page_size = h->page_size;
	t->heap_len = h->len;
	t->nb_pages = nb_pages;
	if (nb_pages > 0)
		memcpy(t->pa, pa, nb_pages * sizeof(uint64_t));
	/* pairs with the acquire load in view_from_shm() */
	atomic_store_explicit(&t->magic, IOVA_MAGIC, memory_order_release);

	memset(&view_store, 0, sizeof(view_store));
	view_store.mode = mode;
	view_store.page_size = h->page_size;
	view_store.nb_pages = nb_pages;
	view_store.pa = nb_pages > 0 ? t->pa : NULL;
	atomic_store_explicit(&view, &view_store, memory_order_release);
	return 0;
}

static int build_pa(char *err, size_t err_size)
{
	const struct eal_heap *h = &eal.heap;
	size_t nb_pages = h->len / h->page_size;
	uint64_t *pa;
	size_t runs = 1;
	int rc;

	pa = calloc(nb_pages, sizeof(*pa));
	if (pa == NULL) {
		snprintf(err, err_size, "IOVA mode pa: out of memory for %zu page addresses",
			 nb_pages);
		return -ENOMEM;
	}
	rc = pagemap_read(pa, nb_pages, err, err_size);
	if (rc == 0)
		rc = iova_publish(MPDP_IOVA_PA, pa, nb_pages, err, err_size);
	for (size_t i = 0; rc == 0 && i + 1 < nb_pages; i++)
		runs += pa[i + 1] != pa[i] + h->page_size;
	if (rc == 0)
		EAL_LOG(INFO, "IOVA table: %zu pages of %zu kB in %zu physically contiguous run(s)",
			nb_pages, h->page_size >> 10, runs);
	free(pa);
	return rc;
}

int mpdp_iova_mode_fix_(enum mpdp_iova_mode want, const char *why, char *err, size_t err_size)
{
	const struct iova_view *v = atomic_load_explicit(&view, memory_order_acquire);
	enum mpdp_iova_mode req = mpdp_iova_mode_requested_(), mode;
	char dummy[8];

	if (err == NULL || err_size == 0) {
		err = dummy;
		err_size = sizeof(dummy);
	}
	err[0] = '\0';
	if (want != 0 && want != MPDP_IOVA_VA && want != MPDP_IOVA_PA) {
		snprintf(err, err_size, "unknown IOVA mode %d", (int)want);
		return -EINVAL;
	}
	if (eal.type != MPDP_PROC_PRIMARY || eal.heap.base == NULL) {
		snprintf(err, err_size, "only the primary fixes the IOVA mode, after its heap is up");
		return -EPERM;
	}
	if (v != NULL) {
		/* fixed already: only check (hot-plug) */
		if (want == 0 || want == v->mode)
			return 0;
		snprintf(err, err_size, "%s needs IOVA mode %s, but this instance runs in IOVA mode %s",
			 why != NULL ? why : "the device", mpdp_iova_mode_name(want),
			 mpdp_iova_mode_name(v->mode));
		return -EINVAL;
	}
	if (req != 0 && want != 0 && req != want) {
		snprintf(err, err_size, "--iova-mode %s: %s, so it cannot work in IOVA mode %s "
					"(drop --iova-mode, or use --iova-mode %s, or leave the device out with -b)",
			 mpdp_iova_mode_name(req), why != NULL ? why : "a device needs the other mode",
			 mpdp_iova_mode_name(req), mpdp_iova_mode_name(want));
		return -EINVAL;
	}
	mode = want != 0 ? want : req != 0 ? req : MPDP_IOVA_VA;
	if (mode == MPDP_IOVA_VA)
		return iova_publish(MPDP_IOVA_VA, NULL, 0, err, err_size);
	if (!eal.heap.huge) {
		snprintf(err, err_size,
			 "IOVA mode pa (physical addresses)%s%s needs a hugepage heap, and this one "
			 "is on tmpfs: reserve hugepages (echo 512 > /proc/sys/vm/nr_hugepages), mount "
			 "hugetlbfs (mount -t hugetlbfs nodev /dev/hugepages) and start without "
			 "--no-huge; %s",
			 why != NULL ? " for " : ", asked by --iova-mode pa,", why != NULL ? why : "",
			 why != NULL ? "or bind the device to vfio-pci with an IOMMU"
				     : "or use --iova-mode va with devices on vfio-pci and an IOMMU");
		return -ENOTSUP;
	}
	return build_pa(err, err_size);
}

/* ---- secondaries and cleanup ---------------------------------------------- */

int eal_iova_secondary_init(void)
{
	const struct iova_view *v;
	int err;

	v = view_get(&err);
	if (v == NULL)
		return err;
	if (eal.opts.iova_mode != 0 && (enum mpdp_iova_mode)eal.opts.iova_mode != v->mode)
		EAL_LOG(WARNING, "--iova-mode %s ignored: the primary fixed IOVA mode %s",
			mpdp_iova_mode_name((enum mpdp_iova_mode)eal.opts.iova_mode),
			mpdp_iova_mode_name(v->mode));
	return 0;
}

void eal_iova_fini(void)
{
	atomic_store_explicit(&view, NULL, memory_order_release);
	memset(&view_store, 0, sizeof(view_store));
}
