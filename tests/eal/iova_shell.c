/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova_shell.c - mpdp-test-iova: a shell (mp_helper.h command language) that
 * checks the IOVA functions of its own process against what it reads itself
 * from /proc/self/pagemap. Used by test_iova_pa.c and test_iova_modes.c.
 *
 *   iova                   "OK mode=va|pa"
 *   iova-check N           N heap addresses (every page's first and last
 *                          byte, then spread): mpdp_mem_iova() equals the
 *                          pagemap's physical address (pa) or the heap
 *                          offset (va): "OK checked= bad= mode="
 *   iova-sum N             a digest of mpdp_mem_iova() at N fixed offsets:
 *                          "OK sum=" (the same in every process)
 *   pool-check NAME N      mbuf pool NAME (created with N mbufs when it does
 *                          not exist, else looked up): every element is
 *                          physically contiguous (pagemap, page by page),
 *                          buf_iova is the pagemap's address of the buffer,
 *                          obj_init's iova is mpdp_mem_iova(obj):
 *                          "OK objs= bad= gaps= mode="
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_mempool.h>
#include <mpdp/mpdp_shm.h>

#include "mp_helper.h"

static const char usage[] = " (mpdp-test-iova [runtime options] -- shell)\n";

static int pagemap_fd = -1;

/* Physical address of addr by /proc/self/pagemap, or UINT64_MAX. */
static uint64_t pagemap_pa(const void *addr)
{
	long psz = sysconf(_SC_PAGESIZE);
	uintptr_t va = (uintptr_t)addr;
	uint64_t ent;

	if (pagemap_fd < 0)
		pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	(void)*(const volatile uint8_t *)addr; /* present */
	if (pagemap_fd < 0 ||
	    pread(pagemap_fd, &ent, sizeof(ent), (off_t)(va / (uintptr_t)psz * sizeof(ent))) !=
		    (ssize_t)sizeof(ent) ||
	    !(ent & (1ULL << 63)) || (ent & ((1ULL << 55) - 1)) == 0)
		return UINT64_MAX;
	return (ent & ((1ULL << 55) - 1)) * (uint64_t)psz + va % (uintptr_t)psz;
}

/* The expected IOVA of addr in this process's mode. */
static uint64_t expected_iova(const void *addr)
{
	return mpdp_iova_mode() == MPDP_IOVA_PA ? pagemap_pa(addr) : mpdp_shm_off(addr);
}

/* The i-th of n sample offsets: page starts and ends first, then spread. */
static size_t sample_off(const struct mpdp_heap_info *h, unsigned long i)
{
	size_t pages = h->len / h->page_size;

	if (i < 2 * pages)
		return (i / 2) * h->page_size + (i % 2 ? h->page_size - 1 : 0);
	/* a fixed odd stride over the heap: every process picks the same ones */
	return (size_t)((i * 2654435761ULL + 12345) % h->len);
}

static void cmd_iova_check(unsigned long n)
{
	struct mpdp_heap_info h;
	unsigned long bad = 0;

	if (mpdp_heap_info(&h) != 0) {
		mh_say_err(-ENODEV, "no heap");
		return;
	}
	for (unsigned long i = 0; i < n; i++) {
		const uint8_t *p = (const uint8_t *)h.base + sample_off(&h, i);
		uint64_t got = mpdp_mem_iova(p), want = expected_iova(p);

		if (got != want || want == UINT64_MAX) {
			if (bad++ < 5)
				mh_say("NOTE off=%#zx iova=%#llx pagemap=%#llx", sample_off(&h, i),
				       (unsigned long long)got, (unsigned long long)want);
		}
	}
	mh_say("OK checked=%lu bad=%lu mode=%s", n, bad, mpdp_iova_mode_name(mpdp_iova_mode()));
}

static void cmd_iova_sum(unsigned long n)
{
	struct mpdp_heap_info h;
	uint64_t sum = 0;

	if (mpdp_heap_info(&h) != 0) {
		mh_say_err(-ENODEV, "no heap");
		return;
	}
	for (unsigned long i = 0; i < n; i++)
		sum = sum * 1099511628211ULL ^
		      mpdp_mem_iova((const uint8_t *)h.base + sample_off(&h, i));
	mh_say("OK sum=%#llx", (unsigned long long)sum);
}

/* [p, p + len) physically contiguous by pagemap, checked at every base page. */
static int phys_contig(const uint8_t *p, size_t len)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t first = pagemap_pa(p);
	uintptr_t a = (uintptr_t)p;

	if (first == UINT64_MAX)
		return 0;
	for (uintptr_t q = (a / (uintptr_t)psz + 1) * (uintptr_t)psz; q < a + len;
	     q += (uintptr_t)psz)
		if (pagemap_pa((const void *)q) != first + (q - a))
			return 0;
	return pagemap_pa(p + len - 1) == first + len - 1;
}

static void cmd_pool_check(const char *name, unsigned int n)
{
	struct mpdp_mempool *mp;
	const uint8_t *prev = NULL;
	unsigned long bad = 0, gaps = 0;
	int err = 0;

	mp = mpdp_mempool_lookup(name, &err);
	if (mp == NULL)
		mp = mpdp_mbuf_pool_create(name, n, 0, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL, &err);
	if (mp == NULL) {
		mh_say_err(err, "pool %s", name);
		return;
	}
	for (unsigned int i = 0; i < mp->size; i++) {
		const struct mpdp_mbuf *m = mpdp_mempool_obj_at(mp, i);
		const uint8_t *elt = (const uint8_t *)m - sizeof(struct mpdp_mempool_objhdr_shm);
		int ok = m != NULL && mpdp_mem_iova_contig(elt, mp->total_elt_size) &&
			 m->buf_iova == mpdp_mem_iova(mpdp_mbuf_buf_addr(m));

		if (ok && mpdp_iova_mode() == MPDP_IOVA_PA)
			ok = phys_contig(elt, mp->total_elt_size) &&
			     m->buf_iova == pagemap_pa(mpdp_mbuf_buf_addr(m));
		else if (ok)
			ok = m->buf_iova == mpdp_shm_off(mpdp_mbuf_buf_addr(m));
		if (!ok && bad++ < 5)
			mh_say("NOTE object %u at off %#llx: buf_iova=%#llx pagemap=%#llx", i,
			       (unsigned long long)mpdp_shm_off(elt),
			       (unsigned long long)(m ? m->buf_iova : 0),
			       (unsigned long long)(m ? pagemap_pa(mpdp_mbuf_buf_addr(m)) : 0));
		if (prev != NULL && elt != prev + mp->total_elt_size)
			gaps++;
		prev = elt;
	}
	mh_say("OK objs=%u bad=%lu gaps=%lu elt=%u mode=%s", mp->size, bad, gaps,
	       mp->total_elt_size, mpdp_iova_mode_name(mpdp_iova_mode()));
}

static int cmd(int argc, char **argv)
{
	if (strcmp(argv[0], "iova") == 0) {
		mh_say("OK mode=%s", mpdp_iova_mode_name(mpdp_iova_mode()));
		return 1;
	}
	if (strcmp(argv[0], "iova-check") == 0 && argc == 2) {
		cmd_iova_check(mh_num(argv[1]));
		return 1;
	}
	if (strcmp(argv[0], "iova-sum") == 0 && argc == 2) {
		cmd_iova_sum(mh_num(argv[1]));
		return 1;
	}
	if (strcmp(argv[0], "pool-check") == 0 && argc == 3) {
		cmd_pool_check(argv[1], (unsigned int)mh_num(argv[2]));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	return mh_shell_main(argc, argv, usage, cmd);
}
