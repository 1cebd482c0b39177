/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_hugepages.c - the heap on hugetlbfs.
 *
 * Everything happens in a private mount namespace of the test (its children
 * inherit it), so the hugetlbfs mount made here is invisible to any other
 * test running at the same time, and mounts of the host are hidden.
 *
 *  1. --huge with no hugetlbfs mount: a clear one-line error, non-zero exit,
 *     nothing left behind.
 *  2. With hugepages reserved (nr_hugepages raised by 64) and hugetlbfs
 *     mounted on a temporary directory: a primary with --huge --mem 32M and
 *     a secondary both report mpdp_heap_info().huge == 1 with 2 MiB pages,
 *     share the memzones, and the segment files live in the mount.
 *  3. A --huge primary killed with SIGKILL leaves its segment files (and
 *     their pages) in the mount; the next primary recovers them.
 *  4. --huge with too few free hugepages for --mem: a clear one-line error,
 *     nothing left behind (runtime directory and mount both empty).
 * At the end the mount is removed and nr_hugepages restored.
 *
 * Needs root, a hugetlbfs-capable kernel and hugepages the kernel can
 * allocate; otherwise parts 2-4 are skipped (77) with the reason (part 1
 * still runs when possible).
 */
#include <errno.h>
#include <mntent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "mpdp_test.h"

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"

static long orig_nr = -1;
static char mnt[128]; /* the hugetlbfs mount, once made */

static void restore(void *arg)
{
	(void)arg;
	if (orig_nr >= 0) {
		if (mt_write_long(NR_HUGEPAGES, orig_nr) != 0)
			printf("# hugepages: could not restore nr_hugepages to %ld\n", orig_nr);
		orig_nr = -1;
	}
}

/* Detach every hugetlbfs mount (of this private namespace). Returns how many. */
static int hide_hugetlbfs(void)
{
	struct mntent *m;
	char dirs[16][256];
	int n = 0, hidden = 0;
	FILE *f = setmntent("/proc/self/mounts", "r");

	if (f == NULL)
		return -1;
	while ((m = getmntent(f)) != NULL && n < 16)
		if (strcmp(m->mnt_type, "hugetlbfs") == 0)
			snprintf(dirs[n++], sizeof(dirs[0]), "%s", m->mnt_dir);
	endmntent(f);
	for (int i = 0; i < n; i++)
		hidden += umount2(dirs[i], MNT_DETACH) == 0;
	return hidden == n ? hidden : -1;
}

static int hugetlbfs_visible(void)
{
	struct mntent *m;
	int found = 0;
	FILE *f = setmntent("/proc/self/mounts", "r");

	if (f == NULL)
		return 1;
	while ((m = getmntent(f)) != NULL)
		found |= strcmp(m->mnt_type, "hugetlbfs") == 0;
	endmntent(f);
	return found;
}

/* A --huge primary that must fail with one error line and leave nothing. */
static void expect_huge_refused(const struct mt_env *env, const char *mem, const char *needle,
				const char *what)
{
	const char *extra[] = { "--mem", mem, NULL };
	struct mt_proc p;
	struct mt_argv a;
	char left[4096];
	int n;

	mt_argv_init(&a, mt_primary_bin());
	mt_argv_add(&a, "--proc-type", "primary", "--prefix", env->prefix, "--runtime-dir",
		    env->root, "--huge", NULL);
	for (const char **e = extra; *e != NULL; e++)
		mt_argv_add(&a, *e, NULL);
	mt_argv_add(&a, "--", "serve", NULL);
	mt_spawn(&p, "huge-refused", &a);
	mt_argv_fini(&a);
	mt_wait_exit(&p, 10000);
	MT_CHECK(p.exited && mt_exit_code(&p) > 0, "%s: %s, want a non-zero exit", what,
		 mt_status_str(&p));
	MT_CHECK(mt_stderr_lines(&p) == 1, "%s: %u stderr lines, want 1:\n%s", what,
		 mt_stderr_lines(&p), mt_stderr(&p));
	MT_CHECK(strstr(mt_stderr(&p), needle) != NULL, "%s: the error does not mention '%s': %s",
		 what, needle, mt_stderr(&p));
	mt_proc_fini(&p);
	n = mt_leftovers(env->root, left, sizeof(left));
	MT_CHECK(n == 0, "%s: left in the runtime directory: %s", what, left);
	if (mnt[0] != '\0') {
		n = mt_leftovers(mnt, left, sizeof(left));
		MT_CHECK(n == 0, "%s: left in the hugetlbfs mount: %s", what, left);
	}
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s;
	struct mt_ready rp;
	struct mt_argv a;
	char line[1024], left[4096];
	long free_before, free_now, size_kb;
	int private_ns = 0;

	mt_init("hugepages", 25);
	size_kb = mt_meminfo("Hugepagesize");
	if (size_kb <= 0)
		mt_skip("the kernel has no hugepages (no Hugepagesize in /proc/meminfo)");

	/* a mount namespace of our own: our mount stays ours, the host's are hidden */
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		private_ns = 1;
	else
		mt_log("no private mount namespace (%s): hugetlbfs mounts are global",
		       strerror(errno));
	mt_env_init(&env, "huge");

	/* 1. no hugetlbfs mount */
	if (private_ns && hide_hugetlbfs() < 0)
		mt_log("cannot hide the host's hugetlbfs mounts");
	if (!hugetlbfs_visible())
		expect_huge_refused(&env, "32M", "hugetlbfs", "--huge without a hugetlbfs mount");
	else
		mt_log("a hugetlbfs mount is visible: the no-mount case is not tried");

	/* 2. reserve hugepages and mount hugetlbfs */
	if (geteuid() != 0 || !private_ns)
		mt_skip("needs root and a private mount namespace to reserve and mount hugepages");
	orig_nr = mt_read_long(NR_HUGEPAGES);
	if (orig_nr < 0)
		mt_skip("cannot read %s", NR_HUGEPAGES);
	mt_on_exit(restore, NULL);
	free_before = mt_meminfo("HugePages_Free");
	if (mt_write_long(NR_HUGEPAGES, orig_nr + 64) != 0)
		mt_skip("cannot raise %s: %s", NR_HUGEPAGES, strerror(errno));
	free_now = mt_meminfo("HugePages_Free");
	mt_log("nr_hugepages %ld -> %ld, free hugepages %ld -> %ld (%ld kB each)", orig_nr,
	       mt_read_long(NR_HUGEPAGES), free_before, free_now, size_kb);
	if (free_now < (32L << 10) / size_kb + 1)
		mt_skip("the kernel could only provide %ld free hugepages of %ld kB", free_now,
			size_kb);
	/* registered after restore(): unmounted first (LIFO), then nr_hugepages goes back */
	mt_mount_tmp("hugetlbfs", NULL, mnt, sizeof(mnt));
	env.huge = 1;

	mt_start_primary(&p, "p", &env, &rp, "--huge", "--mem", "32M", NULL);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "heap");
	MT_CHECK(mt_field_ll(line, "huge") == 1 && mt_field_ll(line, "page") == size_kb << 10,
		 "primary: want huge=1 page=%ld: %s", size_kb << 10, line);
	MT_CHECK(rp.base % (uintptr_t)(size_kb << 10) == 0, "primary heap base %#llx not aligned",
		 (unsigned long long)rp.base);
	MT_CHECK(mt_leftovers(mnt, left, sizeof(left)) == 1 && strstr(left, env.prefix) != NULL,
		 "want one segment file of prefix %s in %s: %s", env.prefix, mnt, left);
	mt_helper_argv(&a, mt_secondary_bin(), "secondary", &env, NULL, "check-mz");
	mt_spawn(&s, "sec", &a);
	mt_argv_fini(&a);
	MT_CHECK(mt_wait_line(&s, "CHECK ok", line, sizeof(line), 10000) == 1,
		 "the secondary could not attach to a hugepage heap");
	mt_expect_exit(&s, 0, 10000);
	mt_proc_fini(&s);
	MT_CHECK(mt_field_ll(line, "huge") == 1 && mt_field_ll(line, "page") == size_kb << 10,
		 "secondary: want huge=1 page=%ld: %s", size_kb << 10, line);
	mt_start_secondary(&s, "sh", &env, NULL, NULL);
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-reserve sec.huge 3000000 2097152 9");
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-check sec.huge 9");
	mt_stop(&s, 10000);
	mt_proc_fini(&s);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	MT_CHECK(mt_leftovers(mnt, left, sizeof(left)) == 0, "left in the hugetlbfs mount: %s",
		 left);
	MT_CHECK(mt_meminfo("HugePages_Free") == free_now,
		 "free hugepages %ld after the run, %ld before", mt_meminfo("HugePages_Free"),
		 free_now);

	/* 3. a killed --huge primary: its segments are recovered by the next one */
	mt_start_primary(&p, "p-killed", &env, NULL, "--huge", "--mem", "32M", NULL);
	mt_kill(&p, 9);
	MT_ASSERT(mt_wait_exit(&p, 5000) == 0, "primary did not die");
	mt_proc_fini(&p);
	MT_CHECK(mt_leftovers(mnt, left, sizeof(left)) == 1,
		 "the killed primary's segment is not in the mount: %s", left);
	mt_start_primary(&p, "p-recover", &env, NULL, "--huge", "--mem", "32M", NULL);
	MT_CHECK(mt_leftovers(mnt, left, sizeof(left)) == 1,
		 "after recovery, want only the new primary's segment: %s", left);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	MT_CHECK(mt_leftovers(mnt, left, sizeof(left)) == 0, "left in the hugetlbfs mount: %s",
		 left);
	MT_CHECK(mt_meminfo("HugePages_Free") == free_now,
		 "free hugepages %ld after recovery, want %ld", mt_meminfo("HugePages_Free"),
		 free_now);

	/* 4. too few free hugepages for the heap */
	expect_huge_refused(&env, "1G", "hugepages", "--huge with too few free hugepages");

	return mt_done();
}
