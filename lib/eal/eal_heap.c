/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_heap.c - the shared heap: segment files mapped contiguously into a
 * virtual window that each process reserves wherever its kernel likes.
 *
 * The primary creates the segments (hugetlbfs or tmpfs files), the
 * secondaries open them by the path recorded in the config region. Nothing
 * depends on the address: every shared reference is an offset (mpdp_shm.h).
 *
 *   window (PROT_NONE reservation, aligned to the page size)
 *   +-----------+-----------+-----+------------+
 *   | segment 0 | segment 1 | ... | segment n-1|   MAP_SHARED|MAP_FIXED each
 *   +-----------+-----------+-----+------------+
 *   ^ heap base: offset 0 = eal_heap_header_shm, objects start at 4 KiB
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <mpdp/mpdp_shm.h>

#include "eal_private.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

uint8_t *mpdp_shm_base_;
size_t mpdp_shm_len_;

int eal_heap_segment_path(char *buf, size_t size, const struct eal_config_shm *cfg,
			  unsigned int i)
{
	int n = snprintf(buf, size, "%.*s/%.*s.%u", (int)sizeof(cfg->segment_dir),
			 cfg->segment_dir, (int)sizeof(cfg->segment_prefix), cfg->segment_prefix,
			 i);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void eal_heap_unlink_stale(const struct eal_config_shm *old)
{
	char path[PATH_MAX];
	unsigned int n = old->nb_segments;

	if (n > MPDP_MAX_SEGMENTS || memchr(old->segment_dir, '\0', sizeof(old->segment_dir)) == NULL ||
	    memchr(old->segment_prefix, '\0', sizeof(old->segment_prefix)) == NULL)
		return;
	for (unsigned int i = 0; i < n; i++)
		if (eal_heap_segment_path(path, sizeof(path), old, i) == 0)
			unlink(path);
}

/* Number of free hugepages of the default size, and that size. */
static void hugepages_free(uint64_t *nb_free, uint64_t *page_size)
{
	char line[128];
	unsigned long long v;
	FILE *f = fopen("/proc/meminfo", "re");

	*nb_free = 0;
	*page_size = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Free: %llu", &v) == 1)
			*nb_free = v;
		else if (sscanf(line, "Hugepagesize: %llu kB", &v) == 1)
			*page_size = v << 10;
	}
	fclose(f);
}

/* A writable hugetlbfs mount for pages of page_size, or -ENOENT. */
static int hugetlbfs_mount(char *dir, size_t size, uint64_t page_size)
{
	struct mntent ent, *m;
	char buf[1024];
	struct statfs sfs;
	FILE *f = setmntent("/proc/mounts", "re");
	int rc = -ENOENT;

	if (f == NULL)
		return -errno;
	while ((m = getmntent_r(f, &ent, buf, sizeof(buf))) != NULL) {
		if (strcmp(m->mnt_type, "hugetlbfs") != 0 || strlen(m->mnt_dir) >= size)
			continue;
		if (statfs(m->mnt_dir, &sfs) != 0 || (uint64_t)sfs.f_bsize != page_size ||
		    access(m->mnt_dir, W_OK) != 0)
			continue;
		snprintf(dir, size, "%s", m->mnt_dir);
		rc = 0;
		break;
	}
	endmntent(f);
	return rc;
}

/* Decide tmpfs or hugetlbfs for the primary and fill the heap geometry in cfg. */
static int heap_choose(struct eal_config_shm *cfg)
{
	uint64_t mem = eal.opts.mem ? eal.opts.mem : EAL_DEFAULT_MEM;
	uint64_t nb_free, hp_size, seg;
	char dir[MPDP_SEG_DIR_SIZE];
	int want = eal.opts.huge, have_mount;

	hugepages_free(&nb_free, &hp_size);
	have_mount = hp_size != 0 && hugetlbfs_mount(dir, sizeof(dir), hp_size) == 0;
	if (want == 1) {
		if (!have_mount) {
			EAL_LOG(ERR, "--huge: no writable hugetlbfs mount for %llu kB pages "
				     "(mount -t hugetlbfs nodev /dev/hugepages)",
				(unsigned long long)(hp_size >> 10));
			return -ENOENT;
		}
		if (nb_free * hp_size < MPDP_ALIGN_UP(mem, hp_size)) {
			EAL_LOG(ERR, "--huge: heap of %llu MiB needs %llu hugepages of %llu kB, %llu are free",
				(unsigned long long)(mem >> 20),
				(unsigned long long)(MPDP_ALIGN_UP(mem, hp_size) / hp_size),
				(unsigned long long)(hp_size >> 10), (unsigned long long)nb_free);
			return -ENOMEM;
		}
	} else if (want == -1) {
		want = have_mount && nb_free * hp_size >= MPDP_ALIGN_UP(mem, hp_size);
		if (!want && nb_free > 0)
			EAL_LOG(NOTICE, "%s; using tmpfs",
				have_mount ? "too few free hugepages for the heap"
					   : "hugepages are reserved but no hugetlbfs is mounted");
	}
	if (want) {
		cfg->huge = 1;
		cfg->page_size = hp_size;
		snprintf(cfg->segment_dir, sizeof(cfg->segment_dir), "%s", dir);
		snprintf(cfg->segment_prefix, sizeof(cfg->segment_prefix), "mpdp-%s-%016llx.heap",
			 eal.opts.prefix, (unsigned long long)cfg->generation);
	} else {
		cfg->huge = 0;
		cfg->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
		if (strlen(eal.dir) >= sizeof(cfg->segment_dir))
			return -ENAMETOOLONG;
		snprintf(cfg->segment_dir, sizeof(cfg->segment_dir), "%s", eal.dir);
		snprintf(cfg->segment_prefix, sizeof(cfg->segment_prefix), "heap");
	}
	mem = MPDP_ALIGN_UP(mem, cfg->page_size);
	seg = mem < EAL_MAX_SEGMENT ? mem : EAL_MAX_SEGMENT;
	cfg->heap_size = mem;
	cfg->segment_size = seg;
	cfg->nb_segments = (uint32_t)((mem + seg - 1) / seg);
	return cfg->nb_segments <= MPDP_MAX_SEGMENTS ? 0 : -E2BIG;
}

/*
 * Reserve a PROT_NONE window for the whole heap, its base aligned to the
 * heap's size rounded up to a power of two (at least the page size). A
 * memzone is aligned by its offset; the base alignment makes its address
 * aligned too, in every process, for any alignment a reservation can meet
 * (an aligned nonzero offset below the heap size is a smaller power of
 * two's multiple). Only address space is spent: the slack is unmapped.
 */
static int window_reserve(struct eal_heap *h)
{
	size_t align = h->page_size, len;
	uintptr_t w, base;
	void *p;

	while (align < h->len)
		align <<= 1;
	len = h->len + align;
	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	w = (uintptr_t)p;
	base = MPDP_ALIGN_UP(w, (uintptr_t)align);
	if (base > w)
		munmap(p, base - w);
	if (w + len > base + h->len)
		munmap((void *)(base + h->len), w + len - (base + h->len));
	h->window = (void *)base;
	h->window_len = h->len;
	h->base = (uint8_t *)base;
	return 0;
}

static size_t segment_len(const struct eal_heap *h, unsigned int i)
{
	size_t off = (size_t)i * h->segment_len;

	return h->len - off < h->segment_len ? h->len - off : h->segment_len;
}

/* Map segment i of the heap at its place in the window. */
static int segment_map(struct eal_heap *h, unsigned int i, int create)
{
	const struct eal_config_shm *cfg = eal.cfg;
	size_t len = segment_len(h, i);
	char path[PATH_MAX];
	struct stat st;
	void *addr;
	int fd, rc;

	rc = eal_heap_segment_path(path, sizeof(path), cfg, i);
	if (rc != 0)
		return rc;
	if (create) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, eal.file_mode);
		if (fd < 0) {
			rc = -errno;
			EAL_LOG(ERR, "cannot create heap segment %s: %s", path, strerror(errno));
			return rc;
		}
		if (eal.opts.has_group)
			(void)!fchown(fd, (uid_t)-1, eal.opts.group);
		(void)!fchmod(fd, eal.file_mode);
		if (ftruncate(fd, (off_t)len) != 0) {
			rc = -errno;
			goto err_close;
		}
		/*
		 * Commit tmpfs memory now: a full tmpfs would otherwise turn a
		 * later store into SIGBUS in whichever process touches the page.
		 */
		if (!h->huge && (rc = posix_fallocate(fd, 0, (off_t)len)) != 0) {
			EAL_LOG(ERR, "cannot allocate %zu MiB for %s: %s", len >> 20, path,
				strerror(rc));
			rc = -rc;
			goto err_close;
		}
	} else {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			EAL_LOG(ERR, "cannot open heap segment %s: %s", path, strerror(errno));
			return rc;
		}
		if (fstat(fd, &st) != 0 || (size_t)st.st_size != len) {
			EAL_LOG(ERR, "heap segment %s has the wrong size", path);
			rc = -EPROTO;
			goto err_close;
		}
	}
	addr = mmap(h->base + (size_t)i * h->segment_len, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED | (create && h->huge ? MAP_POPULATE : 0), fd, 0);
	if (addr == MAP_FAILED) {
		rc = -errno;
		EAL_LOG(ERR, "cannot map heap segment %s: %s", path, strerror(errno));
		goto err_close;
	}
	h->seg_fds[i] = fd;
	return 0;

err_close:
	close(fd);
	if (create)
		unlink(path);
	return rc;
}

static void heap_unmap(int unlink_files)
{
	struct eal_heap *h = &eal.heap;
	char path[PATH_MAX];

	for (unsigned int i = 0; i < h->nb_segments; i++) {
		if (h->seg_fds[i] >= 0)
			close(h->seg_fds[i]);
		h->seg_fds[i] = -1;
		if (unlink_files && eal.cfg != NULL &&
		    eal_heap_segment_path(path, sizeof(path), eal.cfg, i) == 0)
			unlink(path);
	}
	if (h->window != NULL)
		munmap(h->window, h->window_len);
	memset(h, 0, sizeof(*h));
	for (unsigned int i = 0; i < MPDP_MAX_SEGMENTS; i++)
		h->seg_fds[i] = -1;
	mpdp_shm_base_ = NULL;
	mpdp_shm_len_ = 0;
}

static int heap_map_all(int create)
{
	struct eal_heap *h = &eal.heap;
	const struct eal_config_shm *cfg = eal.cfg;
	int rc;

	memset(h, 0, sizeof(*h));
	for (unsigned int i = 0; i < MPDP_MAX_SEGMENTS; i++)
		h->seg_fds[i] = -1;
	h->len = cfg->heap_size;
	h->page_size = cfg->page_size;
	h->segment_len = cfg->segment_size;
	h->huge = (int)cfg->huge;
	if (h->page_size == 0 || h->segment_len == 0 || cfg->nb_segments > MPDP_MAX_SEGMENTS ||
	    (uint64_t)cfg->nb_segments * h->segment_len < h->len)
		return -EPROTO;
	rc = window_reserve(h);
	if (rc != 0) {
		EAL_LOG(ERR, "cannot reserve %zu MiB of address space for the heap", h->len >> 20);
		return rc;
	}
	for (unsigned int i = 0; i < cfg->nb_segments; i++) {
		h->nb_segments = i + 1;
		h->seg_fds[i] = -1;
		rc = segment_map(h, i, create);
		if (rc != 0) {
			h->nb_segments = i; /* segment i cleaned up after itself */
			heap_unmap(create);
			return rc;
		}
	}
	mpdp_shm_base_ = h->base;
	mpdp_shm_len_ = h->len;
	return 0;
}

int eal_heap_create(void)
{
	struct eal_heap_header_shm *hdr;
	int rc = heap_choose(eal.cfg);

	if (rc != 0)
		return rc;
	rc = heap_map_all(1);
	if (rc != 0)
		return rc;
	hdr = (void *)eal.heap.base;
	hdr->magic = MPDP_HEAP_MAGIC;
	hdr->generation = eal.cfg->generation;
	hdr->heap_size = eal.cfg->heap_size;
	EAL_LOG(INFO, "heap: %zu MiB in %u segment(s) on %s, %zu kB pages", eal.heap.len >> 20,
		eal.heap.nb_segments, eal.heap.huge ? "hugetlbfs" : "tmpfs",
		eal.heap.page_size >> 10);
	return 0;
}

int eal_heap_attach(void)
{
	const struct eal_heap_header_shm *hdr;
	int rc = heap_map_all(0);

	if (rc != 0)
		return rc;
	hdr = (const void *)eal.heap.base;
	if (hdr->magic != MPDP_HEAP_MAGIC || hdr->generation != eal.cfg->generation ||
	    hdr->heap_size != eal.cfg->heap_size) {
		EAL_LOG(ERR, "heap segments in %s belong to another primary", eal.cfg->segment_dir);
		heap_unmap(0);
		return -EPROTO;
	}
	return 0;
}

void eal_heap_fini(int unlink_files)
{
	heap_unmap(unlink_files);
}

int mpdp_heap_info(struct mpdp_heap_info *info)
{
	const struct eal_heap *h = &eal.heap;

	if (h->base == NULL)
		return -ENODEV;
	info->base = h->base;
	info->len = h->len;
	info->page_size = h->page_size;
	info->nb_segments = h->nb_segments;
	info->segment_len = h->segment_len;
	info->huge = h->huge;
	return 0;
}

int mpdp_heap_segment_fd(unsigned int i, mpdp_shm_off_t *off, size_t *len)
{
	const struct eal_heap *h = &eal.heap;

	if (h->base == NULL || i >= h->nb_segments)
		return -ENOENT;
	if (off != NULL)
		*off = (mpdp_shm_off_t)i * h->segment_len;
	if (len != NULL)
		*len = segment_len(h, i);
	return h->seg_fds[i];
}
