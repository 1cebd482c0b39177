/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_shm.h - the shared heap and offsets.
 *
 * Each process maps the shared heap wherever its kernel puts it (DESIGN.md
 * rule 2), so a pointer into the heap is meaningful in one process only.
 * Everything stored in shared memory refers to other shared objects by their
 * offset from the start of the heap, which is the same in every process.
 * Offset 0 is never a valid object (the heap starts with a header), so it
 * serves as the null offset.
 *
 * Converting is one add or one subtract against this process's heap base,
 * which mpdp_init() sets and mpdp_cleanup() clears.
 */
#ifndef MPDP_SHM_H
#define MPDP_SHM_H

#include <stddef.h>
#include <stdint.h>

#include <mpdp/mpdp_common.h>

/* An offset from the start of the shared heap. 0 means "no object". */
typedef uint64_t mpdp_shm_off_t;
#define MPDP_SHM_NULL ((mpdp_shm_off_t)0)

/* Process-local: where this process mapped the heap, and its length. */
extern uint8_t *mpdp_shm_base_;
extern size_t mpdp_shm_len_;

/* Pointer in this process for a heap offset; NULL for MPDP_SHM_NULL. */
static inline void *mpdp_shm_ptr(mpdp_shm_off_t off)
{
	return off == MPDP_SHM_NULL ? NULL : (void *)(mpdp_shm_base_ + off);
}

/* Heap offset of a pointer into this process's heap mapping; NULL -> 0. */
static inline mpdp_shm_off_t mpdp_shm_off(const void *ptr)
{
	return ptr == NULL ? MPDP_SHM_NULL
			   : (mpdp_shm_off_t)((const uint8_t *)ptr - mpdp_shm_base_);
}

/* True when [ptr, ptr + len) lies inside the heap mapping of this process. */
static inline int mpdp_shm_contains(const void *ptr, size_t len)
{
	const uint8_t *p = (const uint8_t *)ptr;
	return p >= mpdp_shm_base_ && len <= mpdp_shm_len_ &&
	       (size_t)(p - mpdp_shm_base_) <= mpdp_shm_len_ - len;
}

/*
 * True when an offset read from shared memory (i.e. written by another
 * process) names len bytes inside the heap. Use it before trusting any offset
 * a peer wrote (STYLE.md rule 8).
 */
static inline int mpdp_shm_off_valid(mpdp_shm_off_t off, size_t len)
{
	return off != MPDP_SHM_NULL && len <= mpdp_shm_len_ && off <= mpdp_shm_len_ - len;
}

/* Typed conversion: MPDP_SHM_PTR(struct foo_shm, off). */
#define MPDP_SHM_PTR(type, off) ((type *)mpdp_shm_ptr(off))

struct mpdp_heap_info {
	void *base;          /* where this process mapped the heap */
	size_t len;          /* total length, same in every process */
	size_t page_size;    /* 4096, or the hugepage size */
	unsigned int nb_segments;
	size_t segment_len;  /* every segment but possibly the last */
	int huge;            /* 1 when backed by hugetlbfs */
};

/* Describe the heap of this process. Returns 0 or -ENODEV before mpdp_init(). */
int mpdp_heap_info(struct mpdp_heap_info *info);

/*
 * File descriptor of heap segment i in this process (for vhost-user memory
 * tables and similar), with its offset in the heap and its length. The fd
 * stays owned by the runtime. Returns the fd, or -ENOENT past the last one.
 */
int mpdp_heap_segment_fd(unsigned int i, mpdp_shm_off_t *off, size_t *len);

/*
 * IOVA modes: the address a DMA device uses for a heap byte. The primary
 * fixes the mode once, before it probes devices (--iova-mode, or chosen
 * from the devices it is about to use), and every process of the instance
 * reads the same mode and the same addresses from shared memory.
 *
 *   MPDP_IOVA_VA  IOVA-as-offset: the IOVA of a heap byte is its heap
 *                 offset, and the heap is one range from IOVA 0. Needs an
 *                 IOMMU that maps that range (vfio-pci maps it when the
 *                 first device is opened), or no device at all (virtual
 *                 devices only). Works on tmpfs and on hugepages.
 *   MPDP_IOVA_PA  physical addresses: the IOVA of a heap byte is its
 *                 physical address, read by the primary from
 *                 /proc/self/pagemap once and published as a per-page
 *                 table. Needs a hugepage heap (hugetlbfs pages do not
 *                 move; tmpfs pages may): refused with a clear error
 *                 otherwise. For uio_pci_generic / igb_uio (no IOMMU) and
 *                 for devices whose DMA bypasses the IOMMU (legacy virtio).
 *                 Buffers (mempool objects, rings) never cross a boundary
 *                 where physical addresses are not contiguous.
 *
 * vhost-user peers never see IOVAs: they address the heap by offset in
 * every mode (the memory table describes the segments by offset).
 */
enum mpdp_iova_mode {
	MPDP_IOVA_VA = 1,
	MPDP_IOVA_PA = 2,
};

/* The instance's mode; MPDP_IOVA_VA before the primary fixed it. Any process. */
enum mpdp_iova_mode mpdp_iova_mode(void);
/* "va" / "pa". */
const char *mpdp_iova_mode_name(enum mpdp_iova_mode mode);

/*
 * IOVA of a heap address in the instance's mode. Returns UINT64_MAX for an
 * address outside the heap. Any process, any thread; not for fast paths
 * (mbufs carry theirs in buf_iova).
 */
uint64_t mpdp_mem_iova(const void *addr);

/*
 * True when [addr, addr + len) is inside the heap and its IOVAs are
 * contiguous (always in VA mode; in PA mode when every page boundary it
 * crosses joins physically adjacent pages). Any process.
 */
int mpdp_mem_iova_contig(const void *addr, size_t len);

/*
 * Library-internal (lib/ethdev's probe): the primary fixes the mode before
 * it probes devices. mode 0 = what --iova-mode asked, else `want` (the
 * probe's choice from the devices). PA builds the physical address table
 * (memzone "mpdp.iova"). Returns 0; -ENOTSUP when PA is needed and the heap
 * is not on hugepages, -EPERM when pagemap shows no physical addresses
 * (not root), -EINVAL when --iova-mode contradicts `want` with a device that
 * cannot work in the asked mode (`why` names it); one line in err. Once
 * fixed, later calls only check: asking the fixed mode again returns 0.
 */
int mpdp_iova_mode_fix_(enum mpdp_iova_mode want, const char *why, char *err, size_t err_size);
/* The mode --iova-mode asked for, or 0 (auto). */
enum mpdp_iova_mode mpdp_iova_mode_requested_(void);

#endif /* MPDP_SHM_H */
