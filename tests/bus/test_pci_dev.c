/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pci_dev.c - mpdp_pci.h on a file-backed device (a device whose
 * sysfs_path is outside /sys/ is a set of plain files): no runtime needed.
 *
 *   open enables I/O and memory decoding in the command register; config
 *   reads and writes, their bounds (-EINVAL past 4 KiB, -EIO past the
 *   file); the capability walk (list order, `from` as a capability or
 *   prev + 1, a loop, a pointer below 0x40, no CAP_LIST bit); an "I/O" BAR
 *   (pread/pwrite, widths, alignment, bounds, no mapping); a memory BAR as
 *   long as its file (mapped, writes reach the file) and one longer than
 *   its file (no mapping, pread/pwrite); bar_fd; bus mastering; sysfs
 *   config read; refusals: a device of /sys on virtio-pci (-ENODEV), a uio
 *   device in IOVA mode va (-ENOTSUP), vfio without an IOMMU group
 *   (-ENODEV); close(NULL).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_pci.h>

#include "unit_util.h"

static char dir[] = "/tmp/mpdp-test-pci-dev.XXXXXX";

static void put_file(const char *name, const void *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static void get_file(const char *name, void *data, size_t len, off_t off)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	REQUIRE(pread(fd, data, len, off) == (ssize_t)len);
	close(fd);
}

static void cleanup(void)
{
	char path[600];
	static const char *const names[] = { "config", "resource0", "resource1", "resource2" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* config: ids, CAP_LIST, caps at 0x40 (vndr) -> 0x60 (msix) -> 0x50 (vndr) -> end */
static void make_config(uint8_t *c)
{
	memset(c, 0, 256);
	c[0] = 0xf4, c[1] = 0x1a, c[2] = 0x00, c[3] = 0x10;
	c[MPDP_PCI_CFG_STATUS] = MPDP_PCI_STATUS_CAP_LIST;
	c[MPDP_PCI_CFG_CAP_PTR] = 0x40;
	c[0x40] = MPDP_PCI_CAP_ID_VNDR, c[0x41] = 0x60;
	c[0x60] = MPDP_PCI_CAP_ID_MSIX, c[0x61] = 0x50;
	c[0x50] = MPDP_PCI_CAP_ID_VNDR, c[0x51] = 0x00;
}

int main(void)
{
	struct mpdp_pci_device pdev;
	struct mpdp_pci_handle *h = NULL;
	uint8_t cfg[256], io[64] = { 0 }, mem[4096] = { 0 }, b1;
	uint16_t w, cmd;
	uint32_t l;
	uint64_t foff = 1;
	char err[256];
	void *map;
	int rc;

	REQUIRE(mkdtemp(dir) != NULL);
	atexit(cleanup);
	make_config(cfg);
	put_file("config", cfg, sizeof(cfg));
	l = 0x12345678;
	memcpy(io, &l, 4);
	io[18] = 0x0f;
	put_file("resource0", io, sizeof(io));
	put_file("resource1", mem, sizeof(mem));
	put_file("resource2", mem, 16); /* shorter than its 4 KiB BAR */

	memset(&pdev, 0, sizeof(pdev));
	snprintf(pdev.name, sizeof(pdev.name), "0000:00:04.0");
	pdev.vendor = 0x1af4;
	pdev.device = 0x1000;
	pdev.kdrv = MPDP_PCI_KDRV_IGB_UIO;
	snprintf(pdev.kdrv_name, sizeof(pdev.kdrv_name), "igb_uio");
	pdev.iommu_group = -1;
	pdev.uio_index = -1;
	pdev.bars[0].len = 64, pdev.bars[0].flags = MPDP_PCI_BAR_IO;
	pdev.bars[1].len = 4096, pdev.bars[1].flags = MPDP_PCI_BAR_MEM;
	pdev.bars[2].len = 4096, pdev.bars[2].flags = MPDP_PCI_BAR_MEM;
	pdev.bars[3].len = 4096, pdev.bars[3].flags = MPDP_PCI_BAR_MEM; /* no file: absent */
	snprintf(pdev.sysfs_path, sizeof(pdev.sysfs_path), "%s", dir);

	rc = mpdp_pci_open(&pdev, &h, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "open: %s\n", err);
	REQUIRE(rc == 0 && h != NULL);
	CHECK(strcmp(mpdp_pci_name(h), "0000:00:04.0") == 0);
	CHECK_EQ(mpdp_pci_kdrv(h), MPDP_PCI_KDRV_IGB_UIO);

	/* decoding on, bus mastering untouched */
	get_file("config", &cmd, 2, MPDP_PCI_CFG_COMMAND);
	CHECK_EQ(cmd, MPDP_PCI_CMD_IO | MPDP_PCI_CMD_MEMORY);

	/* config space */
	CHECK_EQ(mpdp_pci_config_read(h, 0, &l, 4), 0);
	CHECK_EQ(l, 0x10001af4);
	CHECK_EQ(mpdp_pci_config_read(h, 4096, &l, 1), -EINVAL);
	CHECK_EQ(mpdp_pci_config_read(h, 4094, &l, 4), -EINVAL);
	CHECK_EQ(mpdp_pci_config_read(h, 256, &l, 4), -EIO);
	CHECK_EQ(mpdp_pci_config_write(h, 0x70, &l, 3), -EINVAL);
	w = 0xbeef;
	CHECK_EQ(mpdp_pci_config_write(h, 0x70, &w, 2), 0);
	get_file("config", &w, 2, 0x70);
	CHECK_EQ(w, 0xbeef);

	/* capabilities: list order, from = a capability or prev + 1 */
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_VNDR, 0), 0x40);
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_VNDR, 0x40), 0x40);
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_VNDR, 0x41), 0x50);
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_VNDR, 0x60), 0x50);
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_VNDR, 0x51), 0);
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_MSIX, 0), 0x60);
	CHECK_EQ(mpdp_pci_cap_find(h, 0x05, 0), 0);
	/* a loop: 0x50 -> 0x40 */
	b1 = 0x40;
	CHECK_EQ(mpdp_pci_config_write(h, 0x51, &b1, 1), 0);
	CHECK_EQ(mpdp_pci_cap_find(h, 0x05, 0), 0);
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_VNDR, 0x51),
		 0); /* after 0x50 comes 0x40 again */
	/* a pointer into the header */
	b1 = 0x20;
	CHECK_EQ(mpdp_pci_config_write(h, 0x51, &b1, 1), 0);
	CHECK_EQ(mpdp_pci_cap_find(h, 0x05, 0), 0);
	/* low two bits of a pointer are reserved */
	b1 = 0x63;
	CHECK_EQ(mpdp_pci_config_write(h, 0x41, &b1, 1), 0);
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_MSIX, 0), 0x60);
	/* no CAP_LIST bit: no list */
	w = 0;
	CHECK_EQ(mpdp_pci_config_write(h, MPDP_PCI_CFG_STATUS, &w, 2), 0);
	CHECK_EQ(mpdp_pci_cap_find(h, MPDP_PCI_CAP_ID_VNDR, 0), 0);

	/* the "I/O" BAR */
	CHECK(mpdp_pci_bar_is_io(h, 0));
	CHECK_EQ(mpdp_pci_bar_len(h, 0), 64);
	CHECK_EQ(mpdp_pci_bar_read(h, 0, 0, &l, 4), 0);
	CHECK_EQ(l, 0x12345678);
	CHECK_EQ(mpdp_pci_bar_read(h, 0, 18, &b1, 1), 0);
	CHECK_EQ(b1, 0x0f);
	w = 7;
	CHECK_EQ(mpdp_pci_bar_write(h, 0, 16, &w, 2), 0);
	get_file("resource0", &w, 2, 16);
	CHECK_EQ(w, 7);
	CHECK_EQ(mpdp_pci_bar_read(h, 0, 17, &w, 2), -EINVAL);
	CHECK_EQ(mpdp_pci_bar_read(h, 0, 64, &b1, 1), -EINVAL);
	CHECK_EQ(mpdp_pci_bar_read(h, 0, 60, &l, 8), -EINVAL);
	rc = 0;
	CHECK(mpdp_pci_bar_map(h, 0, &rc, err, sizeof(err)) == NULL);
	CHECK_EQ(rc, -EINVAL);
	CHECK_EQ(mpdp_pci_bar_fd(h, 0, &foff), mpdp_pci_bar_fd(h, 0, NULL));
	CHECK(mpdp_pci_bar_fd(h, 0, NULL) >= 0);
	CHECK_EQ(foff, 0);

	/* a memory BAR as long as its file: mapped, writes reach the file */
	CHECK(!mpdp_pci_bar_is_io(h, 1));
	map = mpdp_pci_bar_map(h, 1, &rc, err, sizeof(err));
	CHECK(map != NULL);
	CHECK(mpdp_pci_bar_map(h, 1, &rc, err, sizeof(err)) == map);
	l = 0xa5a5a5a5;
	CHECK_EQ(mpdp_pci_bar_write(h, 1, 0x100, &l, 4), 0);
	l = 0;
	get_file("resource1", &l, 4, 0x100);
	CHECK_EQ(l, 0xa5a5a5a5);
	CHECK_EQ(mpdp_pci_bar_read(h, 1, 4096, &l, 4), -EINVAL);

	/* longer than its file: no mapping, pread/pwrite where the file has bytes */
	CHECK(mpdp_pci_bar_map(h, 2, &rc, err, sizeof(err)) == NULL);
	CHECK_EQ(rc, -ENOTSUP);
	l = 0x11223344;
	CHECK_EQ(mpdp_pci_bar_write(h, 2, 8, &l, 4), 0);
	l = 0;
	CHECK_EQ(mpdp_pci_bar_read(h, 2, 8, &l, 4), 0);
	CHECK_EQ(l, 0x11223344);
	CHECK_EQ(mpdp_pci_bar_read(h, 2, 64, &l, 4), -EIO);

	/* no file: absent */
	CHECK_EQ(mpdp_pci_bar_len(h, 3), 0);
	CHECK_EQ(mpdp_pci_bar_fd(h, 3, NULL), -EINVAL);
	CHECK_EQ(mpdp_pci_bar_read(h, 3, 0, &l, 4), -EINVAL);
	CHECK_EQ(mpdp_pci_bar_len(h, 6), 0);

	/* bus mastering */
	CHECK_EQ(mpdp_pci_bus_master(h, true), 0);
	get_file("config", &cmd, 2, MPDP_PCI_CFG_COMMAND);
	CHECK_EQ(cmd, MPDP_PCI_CMD_IO | MPDP_PCI_CMD_MEMORY | MPDP_PCI_CMD_BUS_MASTER);
	CHECK_EQ(mpdp_pci_bus_master(h, false), 0);
	get_file("config", &cmd, 2, MPDP_PCI_CFG_COMMAND);
	CHECK_EQ(cmd, MPDP_PCI_CMD_IO | MPDP_PCI_CMD_MEMORY);

	mpdp_pci_close(h);
	mpdp_pci_close(NULL);

	/* sysfs config read: no handle */
	CHECK_EQ(mpdp_pci_sysfs_config_read(&pdev, 0, &l, 4), 0);
	CHECK_EQ(l, 0x10001af4);
	CHECK_EQ(mpdp_pci_sysfs_config_read(&pdev, 4096, &l, 4), -EINVAL);

	/* refusals, for devices of the real /sys */
	snprintf(pdev.sysfs_path, sizeof(pdev.sysfs_path), "/sys/bus/pci/devices/0000:00:04.0");
	pdev.kdrv = MPDP_PCI_KDRV_OTHER;
	snprintf(pdev.kdrv_name, sizeof(pdev.kdrv_name), "virtio-pci");
	h = NULL;
	CHECK_EQ(mpdp_pci_open(&pdev, &h, err, sizeof(err)), -ENODEV);
	CHECK(strstr(err, "virtio-pci") != NULL);
	CHECK(h == NULL);
	pdev.kdrv = MPDP_PCI_KDRV_UIO_GENERIC;
	snprintf(pdev.kdrv_name, sizeof(pdev.kdrv_name), "uio_pci_generic");
	CHECK_EQ(mpdp_pci_open(&pdev, &h, err, sizeof(err)), -ENOTSUP);
	CHECK(strstr(err, "IOVA mode must be pa") != NULL);
	pdev.kdrv = MPDP_PCI_KDRV_VFIO;
	snprintf(pdev.kdrv_name, sizeof(pdev.kdrv_name), "vfio-pci");
	rc = mpdp_pci_open(&pdev, &h, err, sizeof(err));
	/* no /dev/vfio/vfio, or no IOMMU group: either way -ENODEV (or -EPERM as a user) */
	CHECK(rc == -ENODEV || rc == -EPERM || rc == -ENOTSUP);
	CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
	CHECK(h == NULL);
	unit_exit();
}
