/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_heap_info.c - mpdp_heap_info() and mpdp_heap_segment_fd(): the heap's
 * geometry before and after init, sizes rounded to the page size, segment
 * fds that describe (and share) the mapped memory, tmpfs with --no-huge, and
 * --huge either working or refused cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "unit_util.h"

#define MB (1024 * 1024)

static void test_not_initialised(void)
{
	struct mpdp_heap_info hi;
	mpdp_shm_off_t off = 77;
	size_t len = 77;

	memset(&hi, 0xa5, sizeof(hi));
	CHECK_EQ(mpdp_heap_info(&hi), -ENODEV);
	CHECK_EQ(mpdp_heap_segment_fd(0, &off, &len), -ENOENT);
	CHECK_EQ(off, 77); /* outputs untouched on failure */
	CHECK_EQ(len, 77);
}

/* Check the info against the segment fds; returns the heap length or 0. */
static size_t check_geometry(size_t want_len, int want_huge)
{
	struct mpdp_heap_info hi;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), total = 0;
	unsigned int i;

	CHECK_EQ(mpdp_heap_info(&hi), 0);
	CHECK(hi.base != NULL);
	CHECK(hi.base == mpdp_shm_base_);
	CHECK_EQ(hi.len, mpdp_shm_len_);
	if (want_len != 0)
		CHECK_EQ(hi.len, want_len);
	CHECK_EQ(hi.huge, want_huge);
	if (!want_huge)
		CHECK_EQ(hi.page_size, page);
	CHECK(MPDP_IS_POW2(hi.page_size));
	CHECK_EQ(hi.len % hi.page_size, 0);
	CHECK_EQ((uintptr_t)hi.base % hi.page_size, 0);
	CHECK(hi.nb_segments >= 1);
	CHECK(hi.segment_len > 0 && hi.segment_len % hi.page_size == 0);

	for (i = 0; i < hi.nb_segments; i++) {
		mpdp_shm_off_t off = 1;
		size_t len = 0;
		struct stat st;
		int fd = mpdp_heap_segment_fd(i, &off, &len);

		CHECK(fd >= 0);
		if (fd < 0)
			continue;
		CHECK_EQ(off, (uint64_t)i * hi.segment_len);
		CHECK(len > 0 && len <= hi.segment_len);
		CHECK_EQ(fstat(fd, &st), 0);
		CHECK_EQ((size_t)st.st_size, len);
		CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		/* NULL outputs are allowed */
		CHECK_EQ(mpdp_heap_segment_fd(i, NULL, NULL), fd);
		total += len;
	}
	CHECK_EQ(total, hi.len);
	CHECK_EQ(mpdp_heap_segment_fd(hi.nb_segments, NULL, NULL), -ENOENT);
	CHECK_EQ(mpdp_heap_segment_fd(~0u, NULL, NULL), -ENOENT);
	return hi.len;
}

/* The fd is the memory: a second mapping of it sees what the heap holds. */
static void test_fd_shares_memory(void)
{
	struct mpdp_memzone mz;
	mpdp_shm_off_t seg_off;
	size_t seg_len;
	int fd = mpdp_heap_segment_fd(0, &seg_off, &seg_len);
	uint8_t *view;

	CHECK_EQ(mpdp_memzone_reserve("hi.probe", 4096, 4096, &mz), 0);
	if (fd < 0 || mz.addr == NULL)
		return;
	view = mmap(NULL, seg_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(view != MAP_FAILED);
	if (view != MAP_FAILED) {
		memcpy(mz.addr, "through the heap", 17);
		CHECK(memcmp(view + mz.offset - seg_off, "through the heap", 17) == 0);
		memcpy(view + mz.offset - seg_off + 64, "through the fd", 15);
		CHECK(memcmp((uint8_t *)mz.addr + 64, "through the fd", 15) == 0);
		munmap(view, seg_len);
	}
	/* segment 0 starts with the heap header: offset 0 is never an object */
	CHECK(mz.offset >= 4096);
	CHECK_EQ(mpdp_memzone_free("hi.probe"), 0);
}

static void test_no_huge(void)
{
	struct statfs sfs;
	char path[128];
	int n;

	n = unit_init("--no-huge", "--mem", "64M", NULL);
	REQUIRE(n > 0);
	check_geometry(64 * MB, 0);
	test_fd_shares_memory();
	/* tmpfs segments live in the instance directory */
	snprintf(path, sizeof(path), "%s/heap.0", mpdp_runtime_dir());
	CHECK(access(path, F_OK) == 0);
	CHECK_EQ(statfs(path, &sfs), 0);
	CHECK(sfs.f_type != 0x958458f6); /* not hugetlbfs */
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
	test_not_initialised();
}

static void test_rounding(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int n;

	/* 3M is a whole number of pages: kept as is */
	n = unit_init("--no-huge", "--mem", "3M", NULL);
	CHECK(n > 0);
	if (n > 0) {
		check_geometry(MPDP_ALIGN_UP((size_t)3 * MB, page), 0);
		CHECK_EQ(mpdp_cleanup(), 0);
	}
	/* one byte over 2M: rounded up to the next page */
	n = unit_init("--no-huge", "--mem", "2097153", NULL);
	CHECK(n > 0);
	if (n > 0) {
		check_geometry(2 * MB + page, 0);
		CHECK_EQ(mpdp_cleanup(), 0);
	}
	/* in K: 2049K is not a multiple of 4K pages */
	n = unit_init("--no-huge", "--mem", "2049K", NULL);
	CHECK(n > 0);
	if (n > 0) {
		check_geometry(MPDP_ALIGN_UP((size_t)2049 * 1024, page), 0);
		CHECK_EQ(mpdp_cleanup(), 0);
	}
	CHECK_RT_EMPTY();
}

static void test_default_and_huge(void)
{
	struct mpdp_heap_info hi;
	int n;

	/* auto: hugetlbfs when pages are free and mounted, tmpfs otherwise; 128M */
	n = unit_init("--mem", "4M", NULL);
	CHECK(n > 0);
	if (n > 0) {
		CHECK_EQ(mpdp_heap_info(&hi), 0);
		check_geometry(MPDP_ALIGN_UP((size_t)4 * MB, hi.page_size), hi.huge);
		CHECK_EQ(mpdp_cleanup(), 0);
	}
	CHECK_RT_EMPTY();

	/* --huge: works where hugepages are set up, else refused with nothing left */
	unit_log_capture();
	n = unit_init("--huge", "--mem", "4M", NULL);
	unit_log_release();
	if (n > 0) {
		check_geometry(0, 1);
		CHECK_EQ(mpdp_heap_info(&hi), 0);
		CHECK(hi.page_size >= 2 * MB);
		CHECK_EQ(mpdp_cleanup(), 0);
	} else {
		CHECK(n == -ENOENT || n == -ENOMEM);
		CHECK_EQ(unit_log_count(), 1);
		fprintf(stderr, "note: --huge unavailable here (%s)\n", strerror(-n));
	}
	CHECK_RT_EMPTY();
}

int main(void)
{
	unit_rt_setup("heapinfo");
	test_not_initialised();
	test_no_huge();
	test_rounding();
	test_default_and_huge();
	unit_exit();
}
