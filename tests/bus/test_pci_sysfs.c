/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pci_sysfs.c - mpdp_pci_scan() on this machine's real /sys (skips
 * with 77 when /sys/bus/pci/devices is missing or empty):
 *
 *   NULL, "" and "/sys" scan the same; every entry of /sys/bus/pci/devices
 *   is reported once, in address order, with the vendor, device, class and
 *   kernel driver that the test reads itself from the same files (the
 *   entries are symlinks to the device directories); the first BAR matches
 *   the first line of "resource"; a device bound to virtio-pci is reported
 *   with kdrv OTHER, and when the machine has virtio devices (vendor 0x1af4)
 *   they are all there.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_bus.h>

#include "unit_util.h"

#define MAX_DEVS 256

struct found {
	int n;
	struct mpdp_pci_device *devs; /* MAX_DEVS */
};

static int collect_cb(const struct mpdp_pci_device *dev, void *arg)
{
	struct found *f = arg;

	if (f->n < MAX_DEVS)
		f->devs[f->n] = *dev;
	f->n++;
	return 0;
}

/* First hex number of /sys/bus/pci/devices/name/file, or -1. */
static long long sys_hex(const char *name, const char *file)
{
	char path[PATH_MAX];
	unsigned long long v;
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", name, file);
	fp = fopen(path, "r");
	if (fp == NULL)
		return -1;
	ok = fscanf(fp, "%llx", &v) == 1;
	fclose(fp);
	return ok ? (long long)v : -1;
}

static void sys_driver(const char *name, char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", name);
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	if (strlen(base) < size)
		memcpy(buf, base, strlen(base) + 1);
}

static const struct mpdp_pci_device *find(const struct found *f, const char *name)
{
	for (int i = 0; i < f->n && i < MAX_DEVS; i++)
		if (strcmp(f->devs[i].name, name) == 0)
			return &f->devs[i];
	return NULL;
}

int main(void)
{
	struct found f = { 0 };
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int entries = 0, virtio_pci = 0, vendor_1af4 = 0, rc;

	if (d == NULL)
		unit_skip("no /sys/bus/pci/devices on this machine");
	while ((e = readdir(d)) != NULL)
		entries += e->d_name[0] != '.';
	if (entries == 0) {
		closedir(d);
		unit_skip("/sys/bus/pci/devices is empty on this machine");
	}
	f.devs = calloc(MAX_DEVS, sizeof(*f.devs));
	REQUIRE(f.devs != NULL);

	rc = mpdp_pci_scan("/sys", collect_cb, &f);
	CHECK_EQ(rc, entries);
	CHECK_EQ(f.n, entries);
	CHECK_EQ(mpdp_pci_scan(NULL, NULL, NULL), rc);
	CHECK_EQ(mpdp_pci_scan("", NULL, NULL), rc);
	for (int i = 1; i < f.n && i < MAX_DEVS; i++)
		CHECK(mpdp_pci_addr_cmp(&f.devs[i - 1].addr, &f.devs[i].addr) < 0);

	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		const struct mpdp_pci_device *dev;
		char drv[64], path[PATH_MAX];
		FILE *fp;

		if (e->d_name[0] == '.')
			continue;
		dev = find(&f, e->d_name);
		if (dev == NULL) {
			fprintf(stderr, "  %s not reported\n", e->d_name);
			CHECK(!"every device reported");
			continue;
		}
		CHECK_EQ(dev->vendor, sys_hex(e->d_name, "vendor"));
		CHECK_EQ(dev->device, sys_hex(e->d_name, "device"));
		CHECK_EQ(dev->class_id, sys_hex(e->d_name, "class"));
		sys_driver(e->d_name, drv, sizeof(drv));
		CHECK(strcmp(dev->kdrv_name, drv) == 0);
		CHECK_EQ(dev->kdrv, mpdp_pci_kdrv_from_name(drv));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", e->d_name);
		CHECK(strcmp(dev->sysfs_path, path) == 0);

		/* BAR0 against the first line of resource */
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", e->d_name);
		fp = fopen(path, "r");
		if (fp != NULL) {
			unsigned long long start, end, flags;

			if (fscanf(fp, "%llx %llx %llx", &start, &end, &flags) == 3) {
				CHECK(dev->bars[0].flags == flags);
				if (start != 0) {
					CHECK(dev->bars[0].phys_addr == start);
					CHECK(dev->bars[0].len == end - start + 1);
				} else {
					CHECK(dev->bars[0].len == 0);
				}
			}
			fclose(fp);
		}

		if (strcmp(drv, "virtio-pci") == 0) {
			virtio_pci++;
			CHECK_EQ(dev->kdrv, MPDP_PCI_KDRV_OTHER);
		}
		if (sys_hex(e->d_name, "vendor") == 0x1af4)
			vendor_1af4++;
		fprintf(stderr, "  %s %04x:%04x class %06x numa %d driver '%s' uio %d iommu %d\n",
			dev->name, dev->vendor, dev->device, dev->class_id, dev->numa_node,
			dev->kdrv_name, dev->uio_index, dev->iommu_group);
	}
	closedir(d);

	/* what this test is for on a virtio guest: kernel-bound virtio devices are seen */
	int seen_1af4 = 0, seen_virtio_pci = 0;
	for (int i = 0; i < f.n && i < MAX_DEVS; i++) {
		seen_1af4 += f.devs[i].vendor == 0x1af4;
		seen_virtio_pci += strcmp(f.devs[i].kdrv_name, "virtio-pci") == 0 &&
				   f.devs[i].kdrv == MPDP_PCI_KDRV_OTHER;
	}
	CHECK_EQ(seen_1af4, vendor_1af4);
	CHECK_EQ(seen_virtio_pci, virtio_pci);
	if (virtio_pci == 0)
		fprintf(stderr, "  (no device bound to virtio-pci on this machine)\n");
	free(f.devs);
	unit_exit();
}
