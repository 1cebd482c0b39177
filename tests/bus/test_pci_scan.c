/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pci_scan.c - PCI addresses and the sysfs scan on fake trees made by
 * tests/lib/mkfakesysfs.py (no runtime):
 *
 *   addresses: parse (both forms, bounds, every malformed shape), format,
 *   compare; kernel driver names -> classes;
 *   a tree of seven devices given out of order: every field of every device
 *   (ids, class, numa, driver name and class, BARs, uio index, IOMMU group,
 *   path), sorted by domain, bus, device, function; a driver name longer
 *   than the field;
 *   what the scan touches (inotify): attribute files and directories only,
 *   never config or resourceN, and nothing written or created;
 *   the callback stopping the scan (its value returned);
 *   missing and garbage attributes: mandatory ones (vendor, device, class)
 *   leave the device out with a log line of component "bus.pci" naming
 *   device and attribute, optional ones (numa_node, resource, subsystem_*,
 *   iommu_group) get their defaults; entries that are not PCI addresses and
 *   dangling links are logged and left out; a long resource file;
 *   an empty tree, a missing root (-ENOENT), a file as root (-ENOTDIR), a
 *   path too long (-ENAMETOOLONG).
 *
 * Environment (set by meson): MPDP_PYTHON, MPDP_MKFAKESYSFS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mpdp/mpdp_bus.h>

#include "unit_util.h"

extern char **environ;

static char top[64]; /* this test's temporary directory; trees go below it */

/* ---- helpers ------------------------------------------------------------ */

static void remove_top(void)
{
	if (top[0] != '\0')
		unit_rmtree(top);
}

/* A fresh directory path under top (not created: mkfakesysfs makes it). */
static const char *tree_path(const char *name)
{
	static char path[4][128];
	static unsigned int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", top, name);
	return p;
}

/* Run mkfakesysfs.py --root root ARGS... (NULL-terminated); REQUIRE success. */
static void mkfake(const char *root, ...) __attribute__((sentinel));
static void mkfake(const char *root, ...)
{
	const char *python = getenv("MPDP_PYTHON"), *script = getenv("MPDP_MKFAKESYSFS");
	char *argv[64];
	int argc = 0, status;
	va_list ap;
	pid_t pid;

	if (python == NULL || script == NULL)
		unit_skip("MPDP_PYTHON and MPDP_MKFAKESYSFS are not set (run through meson test)");
	argv[argc++] = (char *)python;
	argv[argc++] = (char *)script;
	argv[argc++] = "--root";
	argv[argc++] = (char *)root;
	va_start(ap, root);
	for (const char *a = va_arg(ap, const char *); a != NULL && argc < 63;
	     a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	REQUIRE(posix_spawn(&pid, python, NULL, NULL, argv, environ) == 0);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "  mkfakesysfs.py --root %s ... failed (status %#x)\n", root,
			status);
		REQUIRE(!"mkfakesysfs.py");
	}
}

/* root/bus/pci/devices/addr/file */
static const char *dev_file(const char *root, const char *addr, const char *file)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", root, addr, file);
	return path;
}

static void put(const char *root, const char *addr, const char *file, const char *content)
{
	FILE *f = fopen(dev_file(root, addr, file), "w");

	REQUIRE(f != NULL);
	fputs(content, f);
	REQUIRE(fclose(f) == 0);
}

static void rm(const char *root, const char *addr, const char *file)
{
	REQUIRE(unlink(dev_file(root, addr, file)) == 0);
}

static void relink(const char *root, const char *addr, const char *file, const char *target)
{
	unlink(dev_file(root, addr, file));
	REQUIRE(symlink(target, dev_file(root, addr, file)) == 0);
}

#define MAX_DEVS 32

struct found {
	int n;
	int stop_at; /* return stop_ret from the stop_at-th call (1-based); 0: never */
	int stop_ret;
	struct mpdp_pci_device devs[MAX_DEVS];
};

static int collect_cb(const struct mpdp_pci_device *dev, void *arg)
{
	struct found *f = arg;

	if (f->n < MAX_DEVS)
		f->devs[f->n] = *dev;
	f->n++;
	return f->n == f->stop_at ? f->stop_ret : 0;
}

static int scan(const char *root, struct found *f)
{
	memset(f, 0, sizeof(*f));
	return mpdp_pci_scan(root, collect_cb, f);
}

static const struct mpdp_pci_device *find(const struct found *f, const char *name)
{
	for (int i = 0; i < f->n && i < MAX_DEVS; i++)
		if (strcmp(f->devs[i].name, name) == 0)
			return &f->devs[i];
	return NULL;
}

/* One captured log line of component bus.pci holding every string given. */
static int logged(const char *a, const char *b, const char *c)
{
	for (unsigned int i = 0; i < unit_log_count(); i++) {
		const struct unit_log_line *l = unit_log_get(i);

		if (strcmp(l->component, "bus.pci") == 0 && strstr(l->message, a) != NULL &&
		    (b == NULL || strstr(l->message, b) != NULL) &&
		    (c == NULL || strstr(l->message, c) != NULL))
			return 1;
	}
	return 0;
}

#define CHECK_LOGGED(a, b, c)                                                           \
	do {                                                                            \
		if (!logged((a), (b), (c))) {                                           \
			fprintf(stderr, "  no bus.pci line with '%s' '%s' '%s'\n", (a), \
				(b) ? (b) : "", (c) ? (c) : "");                        \
			unit_log_dump();                                                \
			CHECK(!"logged");                                               \
		}                                                                       \
	} while (0)

/* ---- addresses ---------------------------------------------------------- */

static void test_addr(void)
{
	static const struct {
		const char *s;
		uint32_t domain;
		uint8_t bus, devid, function;
		const char *canon;
	} good[] = {
		{ "0000:00:04.0", 0, 0, 4, 0, "0000:00:04.0" },
		{ "00:04.0", 0, 0, 4, 0, "0000:00:04.0" },
		{ "0000:00:0a.0", 0, 0, 10, 0, "0000:00:0a.0" },
		{ "0000:00:0A.0", 0, 0, 10, 0, "0000:00:0a.0" },
		{ "ffff:ff:1f.7", 0xffff, 0xff, 0x1f, 7, "ffff:ff:1f.7" },
		{ "1:2:3.4", 1, 2, 3, 4, "0001:02:03.4" },
		{ "2:3.4", 0, 2, 3, 4, "0000:02:03.4" },
		{ "0001:81:00.1", 1, 0x81, 0, 1, "0001:81:00.1" },
	};
	static const char *const bad[] = {
		"",
		"0000",
		"0000:00",
		"0000:00:04",
		"0000:00:04.",
		"0000:00:04.8",
		"0000:00:20.0",
		"0000:100:00.0",
		"10000:00:00.0",
		"0000:00:04.0 ",
		" 0000:00:04.0",
		"0000:00:04.0.1",
		"0000:00:04:0",
		"0000.00.04.0",
		"00:00:00:04.0",
		"0000:00:04.00",
		"g000:00:04.0",
		"0000:0x:04.0",
		"-1:00:04.0",
		"0000::04.0",
		"0000:00:04.0\n",
		"+000:00:04.0",
		"0000:00:004.0",
		"00000:00:04.0",
	};
	struct mpdp_pci_addr a, b;
	char buf[MPDP_PCI_ADDR_SIZE];

	for (size_t i = 0; i < MPDP_DIM(good); i++) {
		memset(&a, 0xa5, sizeof(a));
		CHECK_EQ(mpdp_pci_addr_parse(good[i].s, &a), 0);
		CHECK_EQ(a.domain, good[i].domain);
		CHECK_EQ(a.bus, good[i].bus);
		CHECK_EQ(a.devid, good[i].devid);
		CHECK_EQ(a.function, good[i].function);
		mpdp_pci_addr_format(buf, sizeof(buf), &a);
		if (strcmp(buf, good[i].canon) != 0) {
			fprintf(stderr, "  '%s' formats as '%s'\n", good[i].s, buf);
			CHECK(!"canonical form");
		}
	}
	for (size_t i = 0; i < MPDP_DIM(bad); i++) {
		memset(&a, 0xa5, sizeof(a));
		b = a;
		if (mpdp_pci_addr_parse(bad[i], &a) != -EINVAL) {
			fprintf(stderr, "  '%s' accepted\n", bad[i]);
			CHECK(!"bad address refused");
		}
		CHECK(memcmp(&a, &b, sizeof(a)) == 0); /* untouched */
	}
	CHECK_EQ(mpdp_pci_addr_parse(NULL, &a), -EINVAL);
	CHECK_EQ(mpdp_pci_addr_parse("00:04.0", NULL), -EINVAL);

	/* a small buffer is truncated and terminated */
	char small[5];
	mpdp_pci_addr_parse("0000:00:04.0", &a);
	mpdp_pci_addr_format(small, sizeof(small), &a);
	CHECK(strcmp(small, "0000") == 0);

	/* order: domain, bus, device, function */
	static const char *const sorted[] = { "0000:00:00.0", "0000:00:00.7", "0000:00:01.0",
					      "0000:00:1f.0", "0000:01:00.0", "0000:ff:00.0",
					      "0001:00:00.0", "ffff:00:00.0" };
	for (size_t i = 0; i < MPDP_DIM(sorted); i++) {
		for (size_t j = 0; j < MPDP_DIM(sorted); j++) {
			int want = i < j ? -1 : i > j ? 1 : 0, got;

			mpdp_pci_addr_parse(sorted[i], &a);
			mpdp_pci_addr_parse(sorted[j], &b);
			got = mpdp_pci_addr_cmp(&a, &b);
			if ((got < 0 ? -1 : got > 0 ? 1 : 0) != want) {
				fprintf(stderr, "  cmp(%s, %s) = %d\n", sorted[i], sorted[j], got);
				CHECK(!"cmp");
			}
		}
	}
}

static void test_kdrv(void)
{
	CHECK_EQ(mpdp_pci_kdrv_from_name("vfio-pci"), MPDP_PCI_KDRV_VFIO);
	CHECK_EQ(mpdp_pci_kdrv_from_name("uio_pci_generic"), MPDP_PCI_KDRV_UIO_GENERIC);
	CHECK_EQ(mpdp_pci_kdrv_from_name("igb_uio"), MPDP_PCI_KDRV_IGB_UIO);
	CHECK_EQ(mpdp_pci_kdrv_from_name(""), MPDP_PCI_KDRV_NONE);
	CHECK_EQ(mpdp_pci_kdrv_from_name(NULL), MPDP_PCI_KDRV_NONE);
	CHECK_EQ(mpdp_pci_kdrv_from_name("virtio-pci"), MPDP_PCI_KDRV_OTHER);
	CHECK_EQ(mpdp_pci_kdrv_from_name("vfio_pci"), MPDP_PCI_KDRV_OTHER);
	CHECK_EQ(mpdp_pci_kdrv_from_name("vfio-pci2"), MPDP_PCI_KDRV_OTHER);
	CHECK_EQ(mpdp_pci_kdrv_from_name("igb_uio "), MPDP_PCI_KDRV_OTHER);
	CHECK_EQ(mpdp_pci_kdrv_from_name("uio"), MPDP_PCI_KDRV_OTHER);
}

/* ---- a tree with every field -------------------------------------------- */

#define LONG_DRIVER "a_kernel_driver_named_longer_than_31_chars"

/* The spec order (its index sets the default BAR addresses) is not sorted. */
static const char *build_full_tree(void)
{
	const char *root = tree_path("full");

	mkfake(root,
	       /* 0 */ "--dev",
	       "0000:00:0a.0,8086,1572,020000,vfio-pci,iommu=7,numa=0,sub=8086:0007,"
	       "bar0=0,bar2=f0000000:800000:14220c",
	       /* 1 */ "--dev", "0000:00:03.0,1af4,1000,020000,virtio-pci",
	       /* 2 */ "--dev", "0000:00:09.0,1af4,1000,020000,uio_pci_generic,uio=1",
	       /* 3 */ "--dev", "0000:00:04.0,1af4,1000,020000,igb_uio,uio=0,sub=1af4:0001",
	       /* 4 */ "--dev", "0001:00:00.0,15b3,1017,020000,mlx5_core,numa=1",
	       /* 5 */ "--dev", "0000:01:00.0,1af4,1041,020000,",
	       /* 6 */ "--dev", "0000:00:1f.7,abcd,ef01,ffffff," LONG_DRIVER ",uio=12,iommu=0",
	       NULL);
	return root;
}

static void check_bar(const struct mpdp_pci_device *d, int i, uint64_t start, uint64_t len,
		      uint64_t flags)
{
	if (d->bars[i].phys_addr != start || d->bars[i].len != len || d->bars[i].flags != flags) {
		fprintf(stderr,
			"  %s BAR%d: %#llx len %#llx flags %#llx, expected %#llx %#llx %#llx\n",
			d->name, i, (unsigned long long)d->bars[i].phys_addr,
			(unsigned long long)d->bars[i].len, (unsigned long long)d->bars[i].flags,
			(unsigned long long)start, (unsigned long long)len,
			(unsigned long long)flags);
		CHECK(!"BAR");
	}
}

/* the BARs mkfakesysfs.py gives the device of spec index i by default */
static void check_default_bars(const struct mpdp_pci_device *d, int i)
{
	check_bar(d, 0, 0xc000 + 0x40 * (uint64_t)i, 0x40, 0x40101);
	check_bar(d, 1, 0xfeb00000 + 0x1000 * (uint64_t)i, 0x1000, 0x40200);
	for (int b = 2; b < MPDP_PCI_MAX_BARS; b++)
		check_bar(d, b, 0, 0, 0);
}

static void test_full_tree(void)
{
	static const char *const order[] = { "0000:00:03.0", "0000:00:04.0", "0000:00:09.0",
					     "0000:00:0a.0", "0000:00:1f.7", "0000:01:00.0",
					     "0001:00:00.0" };
	const struct mpdp_pci_device *d;
	const char *root = build_full_tree();
	struct found *f = calloc(1, sizeof(*f));
	char path[PATH_MAX];
	int rc;

	REQUIRE(f != NULL);
	unit_log_capture();
	rc = scan(root, f);
	unit_log_release();
	CHECK_EQ(rc, 7);
	CHECK_EQ(f->n, 7);
	CHECK_EQ(unit_log_count(), 0); /* a clean tree logs nothing */
	unit_log_dump();
	for (int i = 0; i < f->n && i < 7; i++) {
		struct mpdp_pci_addr a;

		if (strcmp(f->devs[i].name, order[i]) != 0) {
			fprintf(stderr, "  device %d is %s, expected %s\n", i, f->devs[i].name,
				order[i]);
			CHECK(!"sorted by address");
		}
		CHECK_EQ(mpdp_pci_addr_parse(order[i], &a), 0);
		CHECK_EQ(mpdp_pci_addr_cmp(&a, &f->devs[i].addr), 0);
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, order[i]);
		CHECK(strcmp(f->devs[i].sysfs_path, path) == 0);
	}

	d = find(f, "0000:00:03.0");
	REQUIRE(d != NULL);
	CHECK_EQ(d->vendor, 0x1af4);
	CHECK_EQ(d->device, 0x1000);
	CHECK_EQ(d->subsystem_vendor, 0x1af4);
	CHECK_EQ(d->subsystem_device, 0);
	CHECK_EQ(d->class_id, 0x020000);
	CHECK_EQ(d->numa_node, -1);
	CHECK(strcmp(d->kdrv_name, "virtio-pci") == 0);
	CHECK_EQ(d->kdrv, MPDP_PCI_KDRV_OTHER);
	CHECK_EQ(d->uio_index, -1);
	CHECK_EQ(d->iommu_group, -1);
	check_default_bars(d, 1);

	d = find(f, "0000:00:04.0");
	REQUIRE(d != NULL);
	CHECK_EQ(d->subsystem_vendor, 0x1af4);
	CHECK_EQ(d->subsystem_device, 1);
	CHECK(strcmp(d->kdrv_name, "igb_uio") == 0);
	CHECK_EQ(d->kdrv, MPDP_PCI_KDRV_IGB_UIO);
	CHECK_EQ(d->uio_index, 0);
	CHECK_EQ(d->iommu_group, -1);
	check_default_bars(d, 3);

	d = find(f, "0000:00:09.0");
	REQUIRE(d != NULL);
	CHECK(strcmp(d->kdrv_name, "uio_pci_generic") == 0);
	CHECK_EQ(d->kdrv, MPDP_PCI_KDRV_UIO_GENERIC);
	CHECK_EQ(d->uio_index, 1);
	check_default_bars(d, 2);

	d = find(f, "0000:00:0a.0");
	REQUIRE(d != NULL);
	CHECK_EQ(d->vendor, 0x8086);
	CHECK_EQ(d->device, 0x1572);
	CHECK_EQ(d->subsystem_vendor, 0x8086);
	CHECK_EQ(d->subsystem_device, 7);
	CHECK_EQ(d->numa_node, 0);
	CHECK(strcmp(d->kdrv_name, "vfio-pci") == 0);
	CHECK_EQ(d->kdrv, MPDP_PCI_KDRV_VFIO);
	CHECK_EQ(d->uio_index, -1);
	CHECK_EQ(d->iommu_group, 7);
	check_bar(d, 0, 0, 0, 0);
	check_bar(d, 1, 0xfeb00000, 0x1000, 0x40200);
	check_bar(d, 2, 0xf0000000, 0x800000, 0x14220c);
	CHECK(d->bars[2].flags & MPDP_PCI_BAR_MEM);
	for (int b = 3; b < MPDP_PCI_MAX_BARS; b++)
		check_bar(d, b, 0, 0, 0);

	d = find(f, "0000:00:1f.7");
	REQUIRE(d != NULL);
	CHECK_EQ(d->vendor, 0xabcd);
	CHECK_EQ(d->device, 0xef01);
	CHECK_EQ(d->class_id, 0xffffff);
	/* truncated to the field, and never taken for one of ours */
	CHECK_EQ(strlen(d->kdrv_name), sizeof(d->kdrv_name) - 1);
	CHECK(strncmp(d->kdrv_name, LONG_DRIVER, sizeof(d->kdrv_name) - 1) == 0);
	CHECK_EQ(d->kdrv, MPDP_PCI_KDRV_OTHER);
	CHECK_EQ(d->uio_index, 12);
	CHECK_EQ(d->iommu_group, 0);
	CHECK(d->bars[0].flags & MPDP_PCI_BAR_IO);

	d = find(f, "0000:01:00.0");
	REQUIRE(d != NULL);
	CHECK_EQ(d->device, 0x1041);
	CHECK(strcmp(d->kdrv_name, "") == 0);
	CHECK_EQ(d->kdrv, MPDP_PCI_KDRV_NONE);
	CHECK_EQ(d->uio_index, -1);
	CHECK_EQ(d->iommu_group, -1);
	check_default_bars(d, 5);

	d = find(f, "0001:00:00.0");
	REQUIRE(d != NULL);
	CHECK_EQ(d->addr.domain, 1);
	CHECK_EQ(d->vendor, 0x15b3);
	CHECK_EQ(d->numa_node, 1);
	CHECK(strcmp(d->kdrv_name, "mlx5_core") == 0);
	CHECK_EQ(d->kdrv, MPDP_PCI_KDRV_OTHER);
	check_default_bars(d, 4);

	/* the callback's non-zero value stops the scan and is returned */
	memset(f, 0, sizeof(*f));
	f->stop_at = 2;
	f->stop_ret = 42;
	CHECK_EQ(mpdp_pci_scan(root, collect_cb, f), 42);
	CHECK_EQ(f->n, 2);
	memset(f, 0, sizeof(*f));
	f->stop_at = 1;
	f->stop_ret = -ENOMEM;
	CHECK_EQ(mpdp_pci_scan(root, collect_cb, f), -ENOMEM);
	CHECK_EQ(f->n, 1);
	/* no callback: a count */
	CHECK_EQ(mpdp_pci_scan(root, NULL, NULL), 7);
	free(f);
}

/* ---- what the scan touches ---------------------------------------------- */

static void test_touches(void)
{
	static const char *const addrs[] = { "0000:00:03.0", "0000:00:04.0", "0000:00:0a.0" };
	const char *root = tree_path("touch");
	char buf[64 * 1024] __attribute__((aligned(8)));
	int fd, opened_vendor = 0, opened_resource = 0;
	ssize_t n;

	mkfake(root, "--dev", "0000:00:03.0,1af4,1000,020000,virtio-pci", "--dev",
	       "0000:00:04.0,1af4,1000,020000,igb_uio,uio=0", "--dev",
	       "0000:00:0a.0,8086,1572,020000,vfio-pci,iommu=3", NULL);
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	REQUIRE(fd >= 0);
	for (size_t i = 0; i < MPDP_DIM(addrs); i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/devices/pci0000:00/%s", root, addrs[i]);
		REQUIRE(inotify_add_watch(fd, dir, IN_ALL_EVENTS) >= 0);
	}
	CHECK_EQ(mpdp_pci_scan(root, NULL, NULL), 3);

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			const char *name = ev->len ? ev->name : "";

			p += sizeof(*ev) + ev->len;
			if (ev->mask & (IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE |
					IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO)) {
				fprintf(stderr, "  the scan changed '%s' (mask %#x)\n", name,
					ev->mask);
				CHECK(!"the scan writes nothing");
			}
			if (!(ev->mask & IN_OPEN))
				continue;
			if (strcmp(name, "vendor") == 0)
				opened_vendor++;
			if (strcmp(name, "resource") == 0)
				opened_resource++;
			if (strcmp(name, "config") == 0 ||
			    (strncmp(name, "resource", 8) == 0 && name[8] != '\0')) {
				fprintf(stderr, "  the scan opened '%s'\n", name);
				CHECK(!"the scan opens attribute files only");
			}
		}
	}
	close(fd);
	CHECK_EQ(opened_vendor, 3); /* the watch works */
	CHECK_EQ(opened_resource, 3);
}

/* ---- missing and garbage attributes ------------------------------------- */

static void test_bad_attributes(void)
{
	const char *root = tree_path("bad");
	struct found *f = calloc(1, sizeof(*f));
	const struct mpdp_pci_device *d;
	char path[PATH_MAX], big[4096];
	int rc;

	REQUIRE(f != NULL);
	mkfake(root, "--dev", "0000:00:01.0,1af4,1000,020000,igb_uio",   /* vendor removed */
	       "--dev", "0000:00:02.0,1af4,1000,020000,igb_uio",         /* class garbage */
	       "--dev", "0000:00:03.0,1af4,1000,020000,igb_uio",         /* device too big */
	       "--dev", "0000:00:04.0,1af4,1000,020000,igb_uio",         /* device empty */
	       "--dev", "0000:00:05.0,1af4,1000,020000,igb_uio,numa=1",  /* numa removed */
	       "--dev", "0000:00:06.0,1af4,1000,020000,igb_uio,numa=1",  /* numa garbage */
	       "--dev", "0000:00:07.0,1af4,1000,020000,igb_uio",         /* resource removed */
	       "--dev", "0000:00:08.0,1af4,1000,020000,igb_uio",         /* resource garbage */
	       "--dev", "0000:00:09.0,1af4,1000,020000,igb_uio,sub=1:2", /* subsystem removed */
	       "--dev", "0000:00:0a.0,1af4,1000,020000,igb_uio",         /* resource long */
	       "--dev", "0000:00:0b.0,1af4,1000,020000,igb_uio",         /* driver dangling */
	       "--dev", "0000:00:0c.0,1af4,1000,020000,igb_uio",         /* ids without 0x */
	       "--dev", "0000:00:0d.0,1af4,1000,020000,igb_uio",         /* vendor trailing junk */
	       "--dev", "0000:00:0e.0,1af4,1000,020000,igb_uio,iommu=4", /* iommu garbage */
	       "--dev", "0000:00:0f.0,1af4,1000,020000,igb_uio",         /* resource short line */
	       "--dev", "0000:00:10.0,1af4,1000,020000,igb_uio,sub=1:2", /* subsystem garbage */
	       "--dev", "0000:00:11.0,1af4,1000,020000,igb_uio",         /* class negative */
	       NULL);
	rm(root, "0000:00:01.0", "vendor");
	put(root, "0000:00:02.0", "class", "0xzz\n");
	put(root, "0000:00:03.0", "device", "0x12345\n");
	put(root, "0000:00:04.0", "device", "");
	rm(root, "0000:00:05.0", "numa_node");
	put(root, "0000:00:06.0", "numa_node", "abc\n");
	rm(root, "0000:00:07.0", "resource");
	put(root, "0000:00:08.0", "resource", "hello\n");
	rm(root, "0000:00:09.0", "subsystem_vendor");
	rm(root, "0000:00:09.0", "subsystem_device");
	/* 40 lines, more than the reader's buffer: the first six count */
	big[0] = '\0';
	for (int i = 0; i < 40 && strlen(big) < sizeof(big) - 100; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "0x%016x 0x%016x 0x%016x\n",
			 i == 5 ? 0x5000 : 0, i == 5 ? 0x5fff : 0, i == 5 ? 0x200 : 0);
	CHECK(strlen(big) > 2048);
	put(root, "0000:00:0a.0", "resource", big);
	relink(root, "0000:00:0b.0", "driver", "../../../bus/pci/drivers/gone_driver");
	put(root, "0000:00:0c.0", "vendor", "1af4\n");
	put(root, "0000:00:0c.0", "class", "20000");
	put(root, "0000:00:0d.0", "vendor", "0x1af4 x\n");
	relink(root, "0000:00:0e.0", "iommu_group", "../../../kernel/iommu_groups/abc");
	put(root, "0000:00:0f.0", "resource", "0x1000 0x1fff\n");
	put(root, "0000:00:10.0", "subsystem_vendor", "0xnope\n");
	put(root, "0000:00:11.0", "class", "-0x1\n");
	/* entries of bus/pci/devices that are no device */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/not-a-device", root);
	REQUIRE(symlink("../../../devices/pci0000:00/0000:00:0c.0", path) == 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:00:1e.0", root);
	REQUIRE(symlink("../../../devices/pci0000:00/0000:00:1e.0", path) == 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/.hidden", root);
	REQUIRE(mkdir(path, 0755) == 0);

	unit_log_capture();
	rc = scan(root, f);
	unit_log_release();
	CHECK_EQ(rc, 11);
	CHECK_EQ(f->n, 11);

	/* mandatory attributes: left out, one line naming device and attribute */
	CHECK(find(f, "0000:00:01.0") == NULL);
	CHECK_LOGGED("0000:00:01.0", "vendor", "No such file");
	CHECK(find(f, "0000:00:02.0") == NULL);
	CHECK_LOGGED("0000:00:02.0", "class", "'0xzz'");
	CHECK(find(f, "0000:00:03.0") == NULL);
	CHECK_LOGGED("0000:00:03.0", "device", "'0x12345'");
	CHECK(find(f, "0000:00:04.0") == NULL);
	CHECK_LOGGED("0000:00:04.0", "device", "''");
	CHECK(find(f, "0000:00:0d.0") == NULL);
	CHECK_LOGGED("0000:00:0d.0", "vendor", "'0x1af4 x'");
	CHECK(find(f, "0000:00:11.0") == NULL);
	CHECK_LOGGED("0000:00:11.0", "class", "'-0x1'");
	CHECK(find(f, "0000:00:1e.0") == NULL);
	CHECK_LOGGED("0000:00:1e.0", "left out", "cannot open");
	CHECK_LOGGED("not-a-device", "left out", "not a PCI address");
	CHECK(!logged(".hidden", NULL, NULL));

	/* optional attributes: defaults */
	d = find(f, "0000:00:05.0");
	CHECK(d != NULL && d->numa_node == -1);
	CHECK(!logged("0000:00:05.0", NULL, NULL));
	d = find(f, "0000:00:06.0");
	CHECK(d != NULL && d->numa_node == -1);
	CHECK_LOGGED("0000:00:06.0", "numa_node", "'abc'");
	d = find(f, "0000:00:07.0");
	REQUIRE(d != NULL);
	for (int b = 0; b < MPDP_PCI_MAX_BARS; b++)
		check_bar(d, b, 0, 0, 0);
	CHECK(!logged("0000:00:07.0", NULL, NULL));
	d = find(f, "0000:00:08.0");
	REQUIRE(d != NULL);
	for (int b = 0; b < MPDP_PCI_MAX_BARS; b++)
		check_bar(d, b, 0, 0, 0);
	CHECK_LOGGED("0000:00:08.0", "resource", NULL);
	d = find(f, "0000:00:09.0");
	CHECK(d != NULL && d->subsystem_vendor == 0 && d->subsystem_device == 0);
	CHECK(!logged("0000:00:09.0", NULL, NULL));
	d = find(f, "0000:00:0a.0");
	REQUIRE(d != NULL);
	for (int b = 0; b < 5; b++)
		check_bar(d, b, 0, 0, 0);
	check_bar(d, 5, 0x5000, 0x1000, 0x200);
	CHECK(!logged("0000:00:0a.0", NULL, NULL));
	d = find(f, "0000:00:0b.0");
	REQUIRE(d != NULL);
	CHECK(strcmp(d->kdrv_name, "gone_driver") == 0); /* the link's name is what counts */
	CHECK_EQ(d->kdrv, MPDP_PCI_KDRV_OTHER);
	d = find(f, "0000:00:0c.0");
	CHECK(d != NULL && d->vendor == 0x1af4 && d->class_id == 0x020000);
	d = find(f, "0000:00:0e.0");
	CHECK(d != NULL && d->iommu_group == -1);
	CHECK_LOGGED("0000:00:0e.0", "iommu_group", "'abc'");
	d = find(f, "0000:00:0f.0");
	REQUIRE(d != NULL);
	for (int b = 0; b < MPDP_PCI_MAX_BARS; b++)
		check_bar(d, b, 0, 0, 0);
	CHECK_LOGGED("0000:00:0f.0", "resource", NULL);
	d = find(f, "0000:00:10.0");
	CHECK(d != NULL && d->subsystem_vendor == 0 && d->subsystem_device == 2);
	CHECK_LOGGED("0000:00:10.0", "subsystem_vendor", "'0xnope'");

	/* every line is from bus.pci and a warning */
	for (unsigned int i = 0; i < unit_log_count(); i++) {
		CHECK(strcmp(unit_log_get(i)->component, "bus.pci") == 0);
		CHECK_EQ(unit_log_get(i)->level, MPDP_LOG_WARNING);
	}
	free(f);
}

/* ---- roots -------------------------------------------------------------- */

static void test_roots(void)
{
	const char *root = tree_path("empty"), *file = tree_path("file");
	char longroot[PATH_MAX + 16];
	struct found f;
	int fd;

	/* an empty bus: no device, no call */
	mkfake(root, NULL);
	CHECK_EQ(scan(root, &f), 0);
	CHECK_EQ(f.n, 0);

	/* no such root, or a root without bus/pci/devices */
	CHECK_EQ(scan("/nonexistent-mpdp-root", &f), -ENOENT);
	CHECK_EQ(scan(top, &f), -ENOENT);
	CHECK_EQ(f.n, 0);

	/* a file where the root should be */
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	REQUIRE(fd >= 0);
	close(fd);
	CHECK_EQ(scan(file, &f), -ENOTDIR);

	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = '\0';
	CHECK_EQ(scan(longroot, &f), -ENAMETOOLONG);
}

int main(void)
{
	snprintf(top, sizeof(top), "/tmp/mpdp-pci-scan-XXXXXX");
	REQUIRE(mkdtemp(top) != NULL);
	atexit(remove_top);

	test_addr();
	test_kdrv();
	test_full_tree();
	test_touches();
	test_bad_attributes();
	test_roots();
	unit_exit();
}
