/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vm_pci_tool.c - mpdp-test-pci-tool: the PCI device-access API
 * (mpdp_pci.h) on real virtio-net devices, for the QEMU guest tests.
 *
 *   mpdp-test-pci-tool [runtime options] [--sysfs-root DIR] -- check ADDR...
 *   mpdp-test-pci-tool [runtime options] [--sysfs-root DIR] -- status ADDR
 *   mpdp-test-pci-tool [runtime options] [--sysfs-root DIR] -- hold ADDR SECONDS
 *
 * It starts the runtime as a primary with --no-pci (so the runtime probes
 * nothing itself), fixes the IOVA mode (--iova-mode, else the default),
 * finds the devices with mpdp_pci_scan() and opens them with
 * mpdp_pci_open(): all of them at once for check, so vfio devices share
 * one container.
 *
 * check: per device, the vendor and device id read through the handle's
 *   config space equal sysfs's; the capability list is walked and every
 *   virtio vendor capability printed (cfg_type, bar, offset, length); the
 *   virtio device status and features are read (legacy: I/O BAR0 offsets 0
 *   and 18; modern: the common configuration through the mapped BAR); Bus
 *   Master Enable is set and cleared and read back, then restored. One
 *   line per device, "check ADDR ok ..." or "check ADDR FAIL: why". Exit 0
 *   only when every device is consistent.
 * status: "status=0x.. bus_master=0|1": the virtio device status and the
 *   command register's Bus Master Enable, nothing written but the decoding
 *   bits mpdp_pci_open() sets (and, on a modern device, nothing at all in
 *   the BARs: status is read from the common configuration).
 * hold: open the device, print "held ADDR", keep it open SECONDS, close it
 *   (another process then meets a busy vfio group).
 *
 * --sysfs-root DIR scans a test tree instead of /sys (host smoke test).
 * Exit: 0 ok, 1 a device failed a check, 2 usage or runtime errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_pci.h>
#include <mpdp/mpdp_shm.h>

#define MAX_DEVS 16

/* virtio PCI capability (virtio 1.x, 4.1.4) */
#define VIRTIO_CAP_COMMON 1
#define VIRTIO_CAP_NOTIFY 2
#define VIRTIO_CAP_ISR    3
#define VIRTIO_CAP_DEVICE 4
#define VIRTIO_CAP_PCI    5

/* common configuration offsets */
#define VC_DFSELECT 0
#define VC_DF       4
#define VC_NUMQ     18
#define VC_STATUS   20

/* legacy I/O BAR0 offsets */
#define VL_FEATURES 0
#define VL_STATUS   18

struct dev {
	struct mpdp_pci_device pdev;
	bool found;
	struct mpdp_pci_handle *h;
};

static struct dev devs[MAX_DEVS];
static unsigned int nb_devs;

static int scan_cb(const struct mpdp_pci_device *d, void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < nb_devs; i++) {
		if (mpdp_pci_addr_cmp(&d->addr, &devs[i].pdev.addr) == 0) {
			devs[i].pdev = *d;
			devs[i].found = true;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mpdp-test-pci-tool [runtime options] [--sysfs-root DIR] -- "
		   "check ADDR... | status ADDR | hold ADDR SECONDS\n");
}

/* The virtio common configuration: BAR and offset, from its vendor capability. */
struct virtio_caps {
	bool common;
	uint8_t common_bar;
	uint32_t common_off, common_len;
	unsigned int nb;
	char text[512];
};

static int walk_caps(struct dev *d, struct virtio_caps *vc, char *why, size_t why_size)
{
	uint32_t off = 0;
	size_t len = 0;
	unsigned int guard = 0;

	memset(vc, 0, sizeof(*vc));
	while ((off = mpdp_pci_cap_find(d->h, MPDP_PCI_CAP_ID_VNDR, off == 0 ? 0 : off + 1)) != 0) {
		uint8_t cap[16];
		uint32_t boff, blen;
		uint8_t next;

		if (++guard > 48) {
			snprintf(why, why_size, "capability walk does not end");
			return -1;
		}
		if (mpdp_pci_config_read(d->h, off, cap, sizeof(cap)) != 0) {
			snprintf(why, why_size, "config read of capability at 0x%x failed", off);
			return -1;
		}
		/* the other way to continue: from the next pointer (must agree) */
		next = cap[1];
		memcpy(&boff, cap + 8, 4);
		memcpy(&blen, cap + 12, 4);
		len += (size_t)snprintf(vc->text + len, sizeof(vc->text) - len,
					"%s0x%02x:type=%u,bar=%u,off=0x%x,len=0x%x", len ? " " : "",
					off, cap[3], cap[4], boff, blen);
		if (len >= sizeof(vc->text))
			len = sizeof(vc->text) - 1;
		vc->nb++;
		if (cap[3] == VIRTIO_CAP_COMMON && !vc->common) {
			vc->common = true;
			vc->common_bar = cap[4];
			vc->common_off = boff;
			vc->common_len = blen;
		}
		{
			uint32_t a = mpdp_pci_cap_find(d->h, MPDP_PCI_CAP_ID_VNDR, off + 1);
			uint32_t b =
				next != 0 ? mpdp_pci_cap_find(d->h, MPDP_PCI_CAP_ID_VNDR, next) : 0;

			if (a != b) {
				snprintf(why, why_size,
					 "cap_find(prev + 1) = 0x%x but cap_find(next) = 0x%x", a,
					 b);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Device status and (features not NULL) features: modern through the common
 * cfg, else legacy I/O BAR0. Without features nothing is written.
 */
static int virtio_regs(struct dev *d, const struct virtio_caps *vc, uint8_t *status,
		       uint64_t *features, const char **how, char *why, size_t why_size)
{
	uint32_t lo, hi, sel;
	int rc;

	if (vc->common) {
		int mrc;
		char err[256];

		if (vc->common_bar >= MPDP_PCI_MAX_BARS ||
		    mpdp_pci_bar_is_io(d->h, vc->common_bar) ||
		    (uint64_t)vc->common_off + 22 > mpdp_pci_bar_len(d->h, vc->common_bar)) {
			snprintf(why, why_size, "common cfg BAR%u+0x%x is not in a memory BAR",
				 vc->common_bar, vc->common_off);
			return -1;
		}
		if (mpdp_pci_bar_map(d->h, vc->common_bar, &mrc, err, sizeof(err)) == NULL) {
			snprintf(why, why_size, "%s", err);
			return -1;
		}
		rc = mpdp_pci_bar_read(d->h, vc->common_bar, vc->common_off + VC_STATUS, status, 1);
		lo = hi = 0;
		/* features: only when asked (the select register is a write) */
		sel = 0;
		if (rc == 0 && features != NULL)
			rc = mpdp_pci_bar_write(d->h, vc->common_bar, vc->common_off + VC_DFSELECT,
						&sel, 4);
		if (rc == 0 && features != NULL)
			rc = mpdp_pci_bar_read(d->h, vc->common_bar, vc->common_off + VC_DF, &lo,
					       4);
		sel = 1;
		if (rc == 0 && features != NULL)
			rc = mpdp_pci_bar_write(d->h, vc->common_bar, vc->common_off + VC_DFSELECT,
						&sel, 4);
		if (rc == 0 && features != NULL)
			rc = mpdp_pci_bar_read(d->h, vc->common_bar, vc->common_off + VC_DF, &hi,
					       4);
		*how = "modern";
	} else if (mpdp_pci_bar_is_io(d->h, 0)) {
		hi = 0;
		rc = mpdp_pci_bar_read(d->h, 0, VL_FEATURES, &lo, 4);
		if (rc == 0)
			rc = mpdp_pci_bar_read(d->h, 0, VL_STATUS, status, 1);
		*how = "legacy";
	} else {
		snprintf(why, why_size, "neither a virtio common cfg capability nor an I/O BAR0");
		return -1;
	}
	if (rc != 0) {
		snprintf(why, why_size, "%s register access failed: %s", *how, strerror(-rc));
		return -1;
	}
	if (features != NULL)
		*features = (uint64_t)hi << 32 | lo;
	return 0;
}

static int bus_master_get(struct dev *d, int *on)
{
	uint16_t cmd;
	int rc = mpdp_pci_config_read(d->h, MPDP_PCI_CFG_COMMAND, &cmd, 2);

	if (rc == 0)
		*on = (cmd & MPDP_PCI_CMD_BUS_MASTER) != 0;
	return rc;
}

static int check_one(struct dev *d)
{
	char why[512] = "";
	struct virtio_caps vc;
	uint16_t ids[2];
	uint64_t features = 0, foff;
	uint8_t status = 0;
	const char *how = "?";
	int bm0, bm, fd;

	if (mpdp_pci_config_read(d->h, 0, ids, sizeof(ids)) != 0) {
		snprintf(why, sizeof(why), "config read of the ids failed");
		goto fail;
	}
	if (ids[0] != d->pdev.vendor || ids[1] != d->pdev.device) {
		snprintf(why, sizeof(why), "config ids %04x:%04x, sysfs %04x:%04x", ids[0], ids[1],
			 d->pdev.vendor, d->pdev.device);
		goto fail;
	}
	if (walk_caps(d, &vc, why, sizeof(why)) != 0)
		goto fail;
	if (d->pdev.device >= 0x1040 && !vc.common) {
		snprintf(why, sizeof(why), "modern device without a common cfg capability");
		goto fail;
	}
	if (virtio_regs(d, &vc, &status, &features, &how, why, sizeof(why)) != 0)
		goto fail;
	if (features == 0 || (uint32_t)features == UINT32_MAX) {
		snprintf(why, sizeof(why), "%s features 0x%" PRIx64 " look like no device", how,
			 features);
		goto fail;
	}
	if (strcmp(how, "modern") == 0 && !(features & (1ull << 32))) {
		snprintf(why, sizeof(why), "modern device without VERSION_1: 0x%" PRIx64, features);
		goto fail;
	}
	for (unsigned int i = 0; i < MPDP_PCI_MAX_BARS; i++) {
		if (mpdp_pci_bar_len(d->h, i) == 0)
			continue;
		fd = mpdp_pci_bar_fd(d->h, i, &foff);
		if (fd < 0) {
			snprintf(why, sizeof(why), "BAR%u has no fd: %s", i, strerror(-fd));
			goto fail;
		}
	}
	if (bus_master_get(d, &bm0) != 0 || mpdp_pci_bus_master(d->h, true) != 0 ||
	    bus_master_get(d, &bm) != 0 || bm != 1 || mpdp_pci_bus_master(d->h, false) != 0 ||
	    bus_master_get(d, &bm) != 0 || bm != 0 || mpdp_pci_bus_master(d->h, bm0) != 0) {
		snprintf(why, sizeof(why), "Bus Master Enable does not toggle");
		goto fail;
	}
	printf("check %s ok kdrv=%s id=%04x:%04x %s status=0x%02x features=0x%016" PRIx64
	       " bus_master=%d->1->0->%d vcaps=%u%s%s\n",
	       d->pdev.name, d->pdev.kdrv_name, ids[0], ids[1], how, status, features, bm0, bm0,
	       vc.nb, vc.nb ? " " : "", vc.text);
	return 0;
fail:
	printf("check %s FAIL: %s\n", d->pdev.name, why);
	return 1;
}

static int status_one(struct dev *d)
{
	char why[512] = "";
	struct virtio_caps vc;
	uint8_t status = 0;
	const char *how;
	int bm;

	if (walk_caps(d, &vc, why, sizeof(why)) != 0 ||
	    virtio_regs(d, &vc, &status, NULL, &how, why, sizeof(why)) != 0) {
		printf("status %s FAIL: %s\n", d->pdev.name, why);
		return 1;
	}
	if (bus_master_get(d, &bm) != 0) {
		printf("status %s FAIL: cannot read the command register\n", d->pdev.name);
		return 1;
	}
	printf("status=0x%02x bus_master=%d\n", status, bm);
	return 0;
}

int main(int argc, char **argv)
{
	char *eal_argv[64];
	int eal_argc = 0, n, i, rc = 0, fails = 0;
	const char *root = NULL, *cmd;
	unsigned long hold_s = 0;
	char err[512];

	eal_argv[eal_argc++] = argv[0];
	eal_argv[eal_argc++] = "--proc-type";
	eal_argv[eal_argc++] = "primary";
	eal_argv[eal_argc++] = "--no-pci";
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--sysfs-root") == 0 && i + 1 < argc) {
			root = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (eal_argc >= 62) {
			fprintf(stderr, "mpdp-test-pci-tool: too many options\n");
			return 2;
		}
		eal_argv[eal_argc++] = argv[i];
	}
	if (i >= argc || i + 2 >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i + 1];
	if (strcmp(cmd, "check") != 0 && strcmp(cmd, "status") != 0 && strcmp(cmd, "hold") != 0) {
		fprintf(stderr, "mpdp-test-pci-tool: unknown command '%s' (check, status, hold)\n",
			cmd);
		return 2;
	}
	if (strcmp(cmd, "hold") == 0) {
		char *end;

		if (argc != i + 4 || (hold_s = strtoul(argv[i + 3], &end, 10)) == 0 ||
		    *end != '\0' || hold_s > 3600) {
			fprintf(stderr,
				"mpdp-test-pci-tool: hold takes an address and 1..3600 seconds\n");
			return 2;
		}
		argc--;
	}
	for (int a = i + 2; a < argc; a++) {
		if (nb_devs == MAX_DEVS) {
			fprintf(stderr, "mpdp-test-pci-tool: at most %d devices\n", MAX_DEVS);
			return 2;
		}
		if (mpdp_pci_addr_parse(argv[a], &devs[nb_devs].pdev.addr) != 0) {
			fprintf(stderr, "mpdp-test-pci-tool: '%s' is not a PCI address\n", argv[a]);
			return 2;
		}
		mpdp_pci_addr_format(devs[nb_devs].pdev.name, sizeof(devs[nb_devs].pdev.name),
				     &devs[nb_devs].pdev.addr);
		nb_devs++;
	}
	if (strcmp(cmd, "check") != 0 && nb_devs != 1) {
		fprintf(stderr, "mpdp-test-pci-tool: %s takes one address\n", cmd);
		return 2;
	}
	eal_argv[eal_argc] = NULL;

	n = mpdp_init(eal_argc, eal_argv);
	if (n < 0)
		return mpdp_init_failed(n, NULL) ? 2 : 0;
	rc = mpdp_iova_mode_fix_(0, "mpdp-test-pci-tool", err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mpdp-test-pci-tool: IOVA mode: %s\n", err);
		fails = -1;
		goto out;
	}
	printf("iova mode %s\n", mpdp_iova_mode_name(mpdp_iova_mode()));
	rc = mpdp_pci_scan(root, scan_cb, NULL);
	if (rc < 0) {
		fprintf(stderr, "mpdp-test-pci-tool: PCI scan: %s\n", strerror(-rc));
		fails = -1;
		goto out;
	}
	/* open them all first: vfio devices then share the container */
	for (unsigned int d = 0; d < nb_devs; d++) {
		if (!devs[d].found) {
			printf("%s %s FAIL: no such device\n", cmd, devs[d].pdev.name);
			fails++;
			continue;
		}
		rc = mpdp_pci_open(&devs[d].pdev, &devs[d].h, err, sizeof(err));
		if (rc != 0) {
			printf("%s %s FAIL: open: %s (%s)\n", cmd, devs[d].pdev.name, err,
			       strerror(-rc));
			fails++;
		}
	}
	for (unsigned int d = 0; d < nb_devs; d++) {
		if (devs[d].h == NULL)
			continue;
		if (strcmp(cmd, "hold") == 0) {
			printf("held %s\n", devs[d].pdev.name);
			fflush(stdout);
			sleep((unsigned int)hold_s);
		} else {
			fails += strcmp(cmd, "check") == 0 ? check_one(&devs[d]) :
							     status_one(&devs[d]);
		}
	}
	for (unsigned int d = 0; d < nb_devs; d++)
		mpdp_pci_close(devs[d].h);
out:
	mpdp_cleanup();
	return fails < 0 ? 2 : fails > 0 ? 1 : 0;
}
