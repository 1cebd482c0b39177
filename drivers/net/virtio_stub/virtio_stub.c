/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_stub.c - net_virtio_stub: takes virtio-net PCI devices (1af4:1000
 * transitional, 1af4:1041 modern) and makes a port for each, so the PCI bus,
 * the skipped-device record and the tools can be exercised end to end before
 * the virtio-net driver lands. Probe only: it never opens, maps or writes
 * anything of the device (it reads nothing but what the bus already read
 * from sysfs). The port has one queue, its link is down, it receives nothing
 * and transmits nothing (tx returns 0: the caller keeps its packets).
 *
 * The port is named by the device's PCI address ("0000:00:04.0"); its MAC is
 * 02:00:00:00:00:<port id>. Shared state: the slot only. Process-local: none.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_ethdev_driver.h>
#include <mpdp/mpdp_log.h>

#define VSTUB_LOG      "pmd.virtio_stub"
#define VSTUB_DESC_MIN 1
#define VSTUB_DESC_MAX 1024
#define VSTUB_MTU_MIN  68
#define VSTUB_MTU_MAX  1500

/* Queue handles are never dereferenced: the bursts return 0. */
static int vstub_queue_attach(struct mpdp_eth_dev *dev, enum mpdp_eth_dir dir, uint16_t q,
			      void **handle)
{
	(void)dir;
	(void)q;
	*handle = dev;
	return 0;
}

static const struct mpdp_eth_dev_ops vstub_ops = {
	.queue_attach = vstub_queue_attach,
	.rx_burst = mpdp_eth_burst_none,
	.tx_burst = mpdp_eth_burst_none,
};

static const struct mpdp_pci_id vstub_ids[] = {
	{ 0x1af4, 0x1000 }, /* transitional virtio-net */
	{ 0x1af4, 0x1041 }, /* modern virtio-net */
	{ 0, 0 },
};

static struct mpdp_eth_driver vstub_driver;

static int vstub_probe(const struct mpdp_pci_device *pdev, char *err, size_t err_size)
{
	struct mpdp_eth_dev *dev;
	int rc;

	dev = mpdp_eth_dev_create(pdev->name, &vstub_driver, pdev->name, &rc);
	if (dev == NULL) {
		snprintf(err, err_size, "%s: cannot create the port: %s", pdev->name,
			 strerror(-rc));
		return rc;
	}
	struct mpdp_eth_dev_shm *shm = dev->shm;

	shm->numa_node = pdev->numa_node;
	shm->max_rx_queues = 1;
	shm->max_tx_queues = 1;
	shm->min_desc = VSTUB_DESC_MIN;
	shm->max_desc = VSTUB_DESC_MAX;
	shm->min_mtu = VSTUB_MTU_MIN;
	shm->max_mtu = VSTUB_MTU_MAX;
	if (shm->mtu == 0)
		shm->mtu = MPDP_ETHER_MTU_DEFAULT;
	shm->mac =
		(struct mpdp_ether_addr){ { 0x02, 0x00, 0x00, 0x00, 0x00, (uint8_t)dev->port_id } };
	shm->link = (struct mpdp_eth_link){ .speed_mbps = 0, .up = 0, .full_duplex = 0 };

	rc = mpdp_eth_dev_publish(dev);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot publish the port: %s", pdev->name,
			 strerror(-rc));
		mpdp_eth_dev_release(dev);
		return rc;
	}
	mpdp_log(MPDP_LOG_NOTICE, VSTUB_LOG,
		 "%s (%04x:%04x): port %u is a probe-only stub: link down, no packets, "
		 "the device is not touched",
		 pdev->name, pdev->vendor, pdev->device, dev->port_id);
	return 0;
}

static struct mpdp_eth_driver vstub_driver = {
	.name = "net_virtio_stub",
	.bus = MPDP_BUS_PCI,
	.pci_ids = vstub_ids,
	.probe_pci = vstub_probe,
	.ops = &vstub_ops,
};

MPDP_ETH_DRIVER_REGISTER(vstub_driver)
