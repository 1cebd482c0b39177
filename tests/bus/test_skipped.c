/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_skipped.c - the skipped-device table (memzone "mpdp.bus.skipped"):
 *
 *   before mpdp_init(): walk, init and add return -ENODEV;
 *   in a primary (--no-pci, so the probe records nothing): init is
 *   idempotent; entries added are walked back in order with every field;
 *   strings too long are truncated and terminated; the callback's non-zero
 *   value stops the walk; a secondary process (this program, re-executed)
 *   walks the same entries; the table holds MPDP_BUS_SKIPPED_MAX entries,
 *   then add returns -ENOSPC and logs exactly once however often it is
 *   refused;
 *   a damaged table (written as another process could): a count past the
 *   capacity is bounded, strings without NUL come back terminated, a wrong
 *   magic gives -ENODEV, another version -EPROTO;
 *   after mpdp_cleanup() -ENODEV again, and a new runtime in the same
 *   process starts with an empty table (nothing cached across runtimes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_memzone.h>

#include "../../lib/bus/bus_private.h"
#include "unit_util.h"

struct walked {
	int n;
	int stop_at; /* return 99 from the stop_at-th call (1-based); 0: never */
	int bad_strings;
	struct mpdp_bus_skipped s[MPDP_BUS_SKIPPED_MAX];
};

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int walk_cb(const struct mpdp_bus_skipped *s, void *arg)
{
	struct walked *w = arg;

	if (!terminated(s->bus, sizeof(s->bus)) || !terminated(s->name, sizeof(s->name)) ||
	    !terminated(s->kdrv_name, sizeof(s->kdrv_name)) ||
	    !terminated(s->reason, sizeof(s->reason)))
		w->bad_strings++;
	if (w->n < MPDP_BUS_SKIPPED_MAX)
		w->s[w->n] = *s;
	w->n++;
	return w->n == w->stop_at ? 99 : 0;
}

static int walk(struct walked *w)
{
	memset(w, 0, sizeof(*w));
	return mpdp_bus_skipped_walk(walk_cb, w);
}

static struct mpdp_bus_skipped entry(unsigned int i)
{
	struct mpdp_bus_skipped s;

	memset(&s, 0, sizeof(s));
	snprintf(s.bus, sizeof(s.bus), "%s", i % 2 ? "vdev" : "pci");
	snprintf(s.name, sizeof(s.name), "0000:%02x:%02x.%u", i / 32, i % 32, i % 8);
	s.vendor = (uint16_t)(0x1af4 + i);
	s.device = (uint16_t)(0x1000 + i);
	s.class_id = 0x020000 + i;
	snprintf(s.kdrv_name, sizeof(s.kdrv_name), "drv%u", i);
	snprintf(s.reason, sizeof(s.reason), "reason number %u", i);
	return s;
}

static int same(const struct mpdp_bus_skipped *a, const struct mpdp_bus_skipped *b)
{
	return strcmp(a->bus, b->bus) == 0 && strcmp(a->name, b->name) == 0 &&
	       a->vendor == b->vendor && a->device == b->device && a->class_id == b->class_id &&
	       strcmp(a->kdrv_name, b->kdrv_name) == 0 && strcmp(a->reason, b->reason) == 0;
}

static struct bus_skipped_table_shm *table(void)
{
	struct mpdp_memzone mz;

	if (mpdp_memzone_lookup(BUS_SKIPPED_ZONE, &mz) != 0)
		return NULL;
	return mz.addr;
}

/* ---- the secondary ------------------------------------------------------ */

/*
 * argv: self --child DIR PREFIX N: attach as a secondary, walk, exit 0 when
 * the walk returns N entries equal to entry(0..N-1).
 */
static int child_main(char **argv)
{
	char *args[] = { "child", "--runtime-dir", argv[2],     "--prefix",
			 argv[3], "--proc-type",   "secondary", NULL };
	static struct walked w;
	int n = atoi(argv[4]), rc;

	rc = mpdp_init(7, args);
	if (rc < 0) {
		fprintf(stderr, "child: mpdp_init: %d\n", rc);
		return 2;
	}
	rc = walk(&w);
	if (rc != n || w.n != n || w.bad_strings != 0) {
		fprintf(stderr, "child: walk %d, %d entries (want %d)\n", rc, w.n, n);
		rc = 3;
	} else {
		rc = 0;
		for (int i = 0; i < n; i++) {
			struct mpdp_bus_skipped want = entry((unsigned int)i);

			if (!same(&w.s[i], &want)) {
				fprintf(stderr, "child: entry %d differs\n", i);
				rc = 4;
			}
		}
	}
	mpdp_cleanup();
	return rc;
}

static void check_secondary_sees(int n)
{
	char count[16];
	pid_t pid;
	int status;

	snprintf(count, sizeof(count), "%d", n);
	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "test_skipped", "--child", unit_rt.dir, unit_rt.prefix,
		      count, (char *)NULL);
		_exit(127);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "  secondary: status %#x\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- tests -------------------------------------------------------------- */

static void test_before_init(void)
{
	struct mpdp_bus_skipped s = entry(0);
	struct walked w;

	CHECK_EQ(walk(&w), -ENODEV);
	CHECK_EQ(w.n, 0);
	unit_log_capture();
	CHECK_EQ(mpdp_bus_skipped_init_(), -ENODEV);
	unit_log_release();
	CHECK_EQ(unit_log_count(), 1); /* init says why it failed */
	CHECK_EQ(mpdp_bus_skipped_add_(&s), -ENODEV);
}

static void test_primary(void)
{
	static struct walked w;
	struct mpdp_bus_skipped s;
	int base;

	/* this program links no driver, so mpdp_init() made no table: make it */
	CHECK_EQ(walk(&w), -ENODEV);
	CHECK_EQ(mpdp_bus_skipped_init_(), 0);
	base = walk(&w);
	CHECK_EQ(base, 0);
	REQUIRE(base >= 0);
	CHECK_EQ(mpdp_bus_skipped_init_(), 0); /* again: keeps the table */
	CHECK_EQ(mpdp_bus_skipped_walk(NULL, NULL), 0);
	CHECK_EQ(mpdp_bus_skipped_add_(NULL), -EINVAL);

	for (unsigned int i = 0; i < 10; i++) {
		s = entry(i);
		CHECK_EQ(mpdp_bus_skipped_add_(&s), 0);
	}
	CHECK_EQ(walk(&w), 10);
	CHECK_EQ(w.n, 10);
	for (unsigned int i = 0; i < 10; i++) {
		s = entry(i);
		CHECK(same(&w.s[i], &s));
	}
	CHECK_EQ(mpdp_bus_skipped_walk(NULL, NULL), 10);

	/* the callback stops the walk */
	memset(&w, 0, sizeof(w));
	w.stop_at = 3;
	CHECK_EQ(mpdp_bus_skipped_walk(walk_cb, &w), 99);
	CHECK_EQ(w.n, 3);

	/* another process sees the same */
	check_secondary_sees(10);
}

static void test_truncation(void)
{
	static struct walked w;
	struct mpdp_bus_skipped s;
	int n;

	/* strings of the longest length fit, and come back terminated */
	memset(&s, 'x', sizeof(s));
	s.vendor = 1;
	s.device = 2;
	s.class_id = 3;
	s.bus[sizeof(s.bus) - 1] = '\0';
	s.name[sizeof(s.name) - 1] = '\0';
	s.kdrv_name[sizeof(s.kdrv_name) - 1] = '\0';
	s.reason[sizeof(s.reason) - 1] = '\0';
	CHECK_EQ(mpdp_bus_skipped_add_(&s), 0);
	n = walk(&w);
	REQUIRE(n >= 1);
	CHECK_EQ(w.bad_strings, 0);
	CHECK(same(&w.s[n - 1], &s));
	CHECK_EQ(strlen(w.s[n - 1].reason), MPDP_BUS_REASON_SIZE - 1);
}

static void test_full(void)
{
	static struct walked w;
	struct mpdp_bus_skipped s;
	int n = mpdp_bus_skipped_walk(NULL, NULL), warnings = 0;

	REQUIRE(n >= 0 && n < MPDP_BUS_SKIPPED_MAX);
	for (int i = n; i < MPDP_BUS_SKIPPED_MAX; i++) {
		s = entry((unsigned int)i);
		CHECK_EQ(mpdp_bus_skipped_add_(&s), 0);
	}
	unit_log_capture();
	for (int i = 0; i < 5; i++) {
		s = entry(1000);
		CHECK_EQ(mpdp_bus_skipped_add_(&s), -ENOSPC);
	}
	unit_log_release();
	for (unsigned int i = 0; i < unit_log_count(); i++)
		warnings += unit_log_get(i)->level == MPDP_LOG_WARNING &&
			    strstr(unit_log_get(i)->message, "full") != NULL;
	CHECK_EQ(warnings, 1);
	CHECK_EQ(unit_log_count(), 1);
	if (unit_log_count() != 1)
		unit_log_dump();

	CHECK_EQ(walk(&w), MPDP_BUS_SKIPPED_MAX);
	CHECK_EQ(w.n, MPDP_BUS_SKIPPED_MAX);
	s = entry(MPDP_BUS_SKIPPED_MAX - 1);
	CHECK(same(&w.s[MPDP_BUS_SKIPPED_MAX - 1], &s));
	CHECK_EQ(w.bad_strings, 0);
}

/* What a reader does with a table that a broken or hostile writer left. */
static void test_damaged(void)
{
	struct bus_skipped_table_shm *t = table();
	static struct walked w;
	uint32_t count;

	REQUIRE(t != NULL);
	count = atomic_load(&t->count);

	/* a count past the capacity: bounded */
	atomic_store(&t->count, 100000);
	CHECK_EQ(walk(&w), MPDP_BUS_SKIPPED_MAX);
	atomic_store(&t->count, UINT32_MAX);
	CHECK_EQ(walk(&w), MPDP_BUS_SKIPPED_MAX);
	atomic_store(&t->count, count);

	/* strings without any NUL: terminated copies */
	memset(&t->entries[0], 'y', sizeof(t->entries[0]));
	CHECK_EQ(walk(&w), (int)count);
	CHECK_EQ(w.bad_strings, 0);
	CHECK_EQ(strlen(w.s[0].bus), sizeof(w.s[0].bus) - 1);
	CHECK_EQ(strlen(w.s[0].name), sizeof(w.s[0].name) - 1);
	CHECK_EQ(strlen(w.s[0].kdrv_name), sizeof(w.s[0].kdrv_name) - 1);
	CHECK_EQ(strlen(w.s[0].reason), sizeof(w.s[0].reason) - 1);

	/* not (yet) published, or another layout */
	atomic_store(&t->magic, 0);
	CHECK_EQ(mpdp_bus_skipped_walk(NULL, NULL), -ENODEV);
	atomic_store(&t->magic, BUS_SKIPPED_MAGIC);
	t->version = BUS_SKIPPED_VERSION + 1;
	CHECK_EQ(mpdp_bus_skipped_walk(NULL, NULL), -EPROTO);
	CHECK_EQ(mpdp_bus_skipped_init_(), -EPROTO);
	t->version = BUS_SKIPPED_VERSION;
	CHECK_EQ(mpdp_bus_skipped_walk(NULL, NULL), (int)count);
}

static void test_after_cleanup(void)
{
	struct mpdp_bus_skipped s = entry(0);
	static struct walked w;
	int n;

	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_EQ(walk(&w), -ENODEV);
	CHECK_EQ(mpdp_bus_skipped_add_(&s), -ENODEV);

	/* a new runtime: a new, empty table */
	n = unit_init("--no-huge", "--mem", "8M", "--no-pci", "--proc-type", "primary", NULL);
	REQUIRE(n > 0);
	CHECK_EQ(walk(&w), -ENODEV); /* no drivers here: no table until one is made */
	CHECK_EQ(mpdp_bus_skipped_init_(), 0);
	CHECK_EQ(walk(&w), 0);
	CHECK_EQ(mpdp_bus_skipped_add_(&s), 0);
	CHECK_EQ(walk(&w), 1);
	CHECK(same(&w.s[0], &s));
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
}

int main(int argc, char **argv)
{
	int n;

	if (argc == 5 && strcmp(argv[1], "--child") == 0)
		return child_main(argv);

	test_before_init();
	unit_rt_setup("bus-skipped");
	n = unit_init("--no-huge", "--mem", "8M", "--no-pci", "--proc-type", "primary", NULL);
	if (n < 0)
		fprintf(stderr, "mpdp_init: %d\n", n);
	REQUIRE(n > 0);
	test_primary();
	test_truncation();
	test_full();
	test_damaged();
	test_after_cleanup();
	unit_exit();
}
