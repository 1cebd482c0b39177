/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_iova_pa.c - IOVA mode pa on a hugepage heap (real processes).
 *
 * The test reserves hugepages itself (nr_hugepages raised by 48) and mounts
 * hugetlbfs on a temporary directory, in a private mount namespace of its
 * own (its children inherit it, no other test sees the mount). At the end,
 * also on failure, the mount goes and nr_hugepages is written back to what
 * it was. Skips (77) with the reason without root or hugepages.
 *
 *  a. A primary with --huge --iova-mode pa: mode pa; mpdp_mem_iova() of
 *     thousands of heap addresses (every page's first and last byte, then
 *     spread) equals what the primary reads itself from /proc/self/pagemap.
 *  b. Every element of an mbuf pool spanning many hugepages is physically
 *     contiguous (pagemap, page by page) and buf_iova is the pagemap's
 *     address of the buffer.
 *  c. A secondary (another process) reads mode pa, the same IOVAs for the
 *     same offsets (digest) and the pagemap of its own mapping agrees; it
 *     finds the same objects of the pool, contiguous too. A secondary that
 *     asks --iova-mode va gets a warning and mode pa.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "mpdp_test.h"

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
#define EXTRA_PAGES 48

static long orig_nr = -1;

static void restore(void *arg)
{
	(void)arg;
	if (orig_nr >= 0) {
		if (mt_write_long(NR_HUGEPAGES, orig_nr) != 0 || mt_read_long(NR_HUGEPAGES) != orig_nr)
			printf("# iova_pa: could not restore nr_hugepages to %ld (now %ld)\n", orig_nr,
			       mt_read_long(NR_HUGEPAGES));
		orig_nr = -1;
	}
}

static void expect_mode(struct mt_proc *p, const char *want)
{
	char line[256], mode[16] = "";

	mt_cmd_ok(p, line, sizeof(line), 5000, "iova");
	mt_field(line, "mode", mode, sizeof(mode));
	MT_CHECK(strcmp(mode, want) == 0, "want IOVA mode %s: %s", want, line);
}

/* pool-check: every object fine; returns the number of gaps. */
static long check_pool(struct mt_proc *p, const char *who)
{
	char line[512];

	mt_cmd_ok(p, line, sizeof(line), 120000, "pool-check pa.pool 12000");
	MT_CHECK(mt_field_ll(line, "objs") == 12000 && mt_field_ll(line, "bad") == 0,
		 "%s: want 12000 objects, none bad: %s", who, line);
	return mt_field_ll(line, "gaps");
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s;
	char line[512], mnt[128], sum_p[64] = "", sum_s[64] = "";
	long size_kb, free_now, gaps_p, gaps_s;

	mt_init("iova_pa", 170);
	size_kb = mt_meminfo("Hugepagesize");
	if (size_kb <= 0)
		mt_skip("the kernel has no hugepages (no Hugepagesize in /proc/meminfo)");
	if (geteuid() != 0)
		mt_skip("needs root to reserve hugepages and read physical addresses");
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		mt_skip("no private mount namespace: %s", strerror(errno));
	orig_nr = mt_read_long(NR_HUGEPAGES);
	if (orig_nr < 0)
		mt_skip("cannot read %s", NR_HUGEPAGES);
	mt_on_exit(restore, NULL);
	if (mt_write_long(NR_HUGEPAGES, orig_nr + EXTRA_PAGES) != 0)
		mt_skip("cannot raise %s: %s", NR_HUGEPAGES, strerror(errno));
	free_now = mt_meminfo("HugePages_Free");
	mt_log("nr_hugepages %ld -> %ld, %ld free of %ld kB", orig_nr, mt_read_long(NR_HUGEPAGES),
	       free_now, size_kb);
	if (free_now < (64L << 10) / size_kb + 1)
		mt_skip("the kernel could only provide %ld free hugepages of %ld kB", free_now,
			size_kb);
	/* registered after restore(): unmounted first (LIFO), then nr_hugepages goes back */
	mt_mount_tmp("hugetlbfs", NULL, mnt, sizeof(mnt));
	mt_env_init(&env, "iovapa");
	env.huge = 1;

	/* a. the table against the primary's own pagemap */
	mt_start_program(&p, "p", mt_getenv_path("MPDP_TEST_IOVA"), "primary", "shell", &env, NULL,
			 "--huge", "--mem", "64M", "--iova-mode", "pa", NULL);
	MT_CHECK(mt_wait_stderr(&p, "IOVA mode pa: asked by --iova-mode", 5000) == 1,
		 "primary: want the NOTICE line naming the mode: %s", mt_stderr(&p));
	expect_mode(&p, "pa");
	mt_cmd_expect(&p, line, sizeof(line), 60000, "bad", 0, "iova-check 20000");

	/* b. an mbuf pool over ~15 hugepages */
	gaps_p = check_pool(&p, "primary");
	mt_log("the pool's objects form %ld+1 runs (skips at physical discontinuities)", gaps_p);

	/* c. a secondary */
	mt_start_program(&s, "s", mt_getenv_path("MPDP_TEST_IOVA"), "secondary", "shell", &env,
			 NULL, "--iova-mode", "va", NULL);
	MT_CHECK(mt_wait_stderr(&s, "--iova-mode va ignored", 5000) == 1,
		 "secondary: want a warning about --iova-mode va: %s", mt_stderr(&s));
	expect_mode(&s, "pa");
	mt_cmd_ok(&p, line, sizeof(line), 60000, "iova-sum 20000");
	mt_field(line, "sum", sum_p, sizeof(sum_p));
	mt_cmd_ok(&s, line, sizeof(line), 60000, "iova-sum 20000");
	mt_field(line, "sum", sum_s, sizeof(sum_s));
	MT_CHECK(sum_p[0] != '\0' && strcmp(sum_p, sum_s) == 0,
		 "IOVA digests differ: primary %s, secondary %s", sum_p, sum_s);
	mt_cmd_expect(&s, line, sizeof(line), 60000, "bad", 0, "iova-check 20000");
	gaps_s = check_pool(&s, "secondary");
	MT_CHECK(gaps_s == gaps_p, "the secondary sees %ld gaps in the pool, the primary %ld",
		 gaps_s, gaps_p);

	mt_stop(&s, 10000);
	mt_proc_fini(&s);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	mt_env_fini(&env);
	return mt_done();
}
