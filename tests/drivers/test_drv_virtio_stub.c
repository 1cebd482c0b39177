/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_drv_virtio_stub.c - net_virtio_stub on a fake sysfs tree: it takes
 * virtio-net devices (1af4:1000, 1af4:1041) that the bus let through, names
 * each port by its PCI address, offers one queue, keeps the link down,
 * receives and transmits nothing, logs one NOTICE line per port, and never
 * touches the device's files (config, resource0 stay as they were).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "drv_util.h"

static char root[128];

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* root/devices/pci0000:00/ADDR with its attributes, the bus link and the driver link */
static void fake_device(const char *addr, const char *vendor, const char *device, const char *kdrv)
{
	char dev[256], path[512], target[512];

	snprintf(dev, sizeof(dev), "%s/devices/pci0000:00/%s", root, addr);
	REQUIRE(mkdir(dev, 0755) == 0);
	put_file(dev, "vendor", vendor);
	put_file(dev, "device", device);
	put_file(dev, "class", "0x020000\n");
	put_file(dev, "numa_node", "-1\n");
	put_file(dev, "resource", "0x000000000000c000 0x000000000000c03f 0x0000000000040101\n");
	put_file(dev, "config", "DEVICE-CONFIG");
	put_file(dev, "resource0", "DEVICE-BAR0");
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, addr);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", addr);
	REQUIRE(symlink(target, path) == 0);
	if (kdrv != NULL) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", root, kdrv);
		(void)mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/driver", dev);
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", kdrv);
		REQUIRE(symlink(target, path) == 0);
	}
}

static int file_is(const char *addr, const char *name, const char *text)
{
	char path[512], buf[64] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/devices/pci0000:00/%s/%s", root, addr, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n >= 0 && strcmp(buf, text) == 0;
}

static void fake_tree(void)
{
	char path[512];

	snprintf(root, sizeof(root), "/tmp/mpdp-drv-sysfs-XXXXXX");
	REQUIRE(mkdtemp(root) != NULL);
	snprintf(path, sizeof(path), "%s/devices", root);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/devices/pci0000:00", root);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/bus", root);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/bus/pci", root);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices", root);
	REQUIRE(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers", root);
	REQUIRE(mkdir(path, 0755) == 0);

	fake_device("0000:00:03.0", "0x1af4\n", "0x1000\n", "virtio-pci"); /* kernel's: skipped */
	fake_device("0000:00:04.0", "0x1af4\n", "0x1000\n", "uio_pci_generic");
	fake_device("0000:00:05.0", "0x1af4\n", "0x1041\n", "vfio-pci");
	fake_device("0000:00:06.0", "0x8086\n", "0x1572\n", "uio_pci_generic"); /* no driver */
}

static void rm_tree(void)
{
	char cmd[256];

	if (root[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
}

static void check_port(const char *addr, struct mpdp_mempool *mp)
{
	struct mpdp_eth_dev_info info;
	struct mpdp_mbuf *m[4];
	struct mpdp_eth_stats st;
	uint16_t p = du_port(addr);

	REQUIRE(mpdp_eth_dev_info_get(p, &info) == 0);
	CHECK(strcmp(info.driver, "net_virtio_stub") == 0);
	CHECK(strcmp(info.bus, "pci") == 0);
	CHECK_EQ(info.max_rx_queues, 1);
	CHECK_EQ(info.max_tx_queues, 1);
	CHECK_EQ(info.link.up, 0);
	struct mpdp_ether_addr want = { { 0x02, 0, 0, 0, 0, (uint8_t)p } };
	CHECK(memcmp(&info.mac, &want, sizeof(want)) == 0);

	CHECK_EQ(mpdp_eth_dev_configure(p, 2, 1, NULL), -EINVAL);
	REQUIRE(du_setup(p, 1, 1, mp) == 0);
	CHECK_EQ(mpdp_eth_rx_burst(p, 0, m, 4), 0);
	m[0] = du_pkt(mp, 64, 1, 0);
	REQUIRE(m[0] != NULL);
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, m, 1), 0); /* the caller keeps it */
	mpdp_mbuf_free(m[0]);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.ipackets + st.opackets, 0);
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	CHECK_EQ(mpdp_eth_dev_close(p), 0);
	CHECK(file_is(addr, "config", "DEVICE-CONFIG"));
	CHECK(file_is(addr, "resource0", "DEVICE-BAR0"));
}

int main(void)
{
	struct mpdp_mempool *mp;
	unsigned int notices = 0;
	uint16_t p;
	int rc, err;

	unit_rt_setup("drv_virtio_stub");
	fake_tree();
	atexit(rm_tree);
	unit_log_capture();
	rc = unit_init("--no-huge", "--mem", "32M", "--sysfs-root", root, NULL);
	if (rc < 0) {
		unit_log_dump();
		fprintf(stderr, "mpdp_init: %s\n", strerror(-rc));
		return 1;
	}
	for (unsigned int i = 0; i < unit_log_count(); i++) {
		const struct unit_log_line *l = unit_log_get(i);

		if (strcmp(l->component, "pmd.virtio_stub") == 0) {
			CHECK_EQ(l->level, MPDP_LOG_NOTICE);
			CHECK(strstr(l->message, "probe-only stub") != NULL);
			notices++;
		}
	}
	CHECK_EQ(notices, 2);
	unit_log_release();

	CHECK_EQ(mpdp_eth_dev_count(), 2);
	CHECK_EQ(mpdp_eth_dev_find("0000:00:03.0", &p), -ENOENT);
	CHECK_EQ(mpdp_eth_dev_find("0000:00:06.0", &p), -ENOENT);
	mp = mpdp_mbuf_pool_create("drv.pool", 256, 0, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL, &err);
	REQUIRE(mp != NULL);
	check_port("0000:00:04.0", mp);
	check_port("0000:00:05.0", mp);
	CHECK(file_is("0000:00:03.0", "config", "DEVICE-CONFIG"));
	CHECK_EQ(mpdp_mempool_in_use_count(mp), 0);
	unit_exit();
}
