/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_drv_virtio_pci.c - net_virtio's legacy PCI transport on the
 * file-backed fake devices of tests/lib/mkfakesysfs.py (a 1af4:1000 device
 * bound to uio: "config" is its config space, "resource0" its legacy
 * register block; the files keep what the driver writes, nothing does DMA).
 * Real processes: the primary and a secondary of another program
 * (mpdp-test-drv-a / -b, drv_shell.c).
 *
 *  1. Probe: a port per usable device, named by its address, with the MAC
 *     and the queue size (256) from the register file, link down until
 *     started, up after (the config's net status says up). 00:06.0, whose
 *     register file is 8 bytes long, is skipped with one line naming it and
 *     the reason, and its files are untouched; 00:03.0 (virtio-pci) skipped.
 *  2. Start: status ACKNOWLEDGE | DRIVER | DRIVER_OK, QUEUE_PFN of the last
 *     ring programmed, bus mastering on.
 *  3. A secondary claims tx queue 0 and transmits: resource0 then differs
 *     from what the primary left only in the notify register (bytes 16-17,
 *     the tx vring's index 1): the secondary never wrote anything else,
 *     never read-modify-wrote the status. Its exit changes nothing.
 *  4. The primary's exit (mpdp_cleanup, no close): status 0 (reset), bus
 *     mastering off in the config command register.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpdp_test.h"

#define T    10000
#define REGS 0x40

static char line[16384];

#define ok(p, ...) mt_cmd_check(p, line, sizeof(line), T, __VA_ARGS__)

static void field(struct mt_proc *p, const char *command, const char *key, const char *want)
{
	char v[4096] = "";

	MT_CHECK(mt_cmd(p, line, sizeof(line), T, "%s", command) == 0, "%s: %s", command, line);
	MT_CHECK(mt_field(line, key, v, sizeof(v)) && strcmp(v, want) == 0,
		 "%s: '%s': %s=%s expected, got: %s", p->label, command, key, want, line);
}

/* Read a whole small file of the device; returns its length or -1. */
static int dev_file(const char *root, const char *addr, const char *name, uint8_t *buf, size_t size)
{
	char path[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", root, addr, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return (int)n;
}

static uint16_t cfg_command(const char *root, const char *addr)
{
	uint8_t cfg[256];

	MT_ASSERT(dev_file(root, addr, "config", cfg, sizeof(cfg)) == 256, "config of %s", addr);
	return (uint16_t)(cfg[4] | cfg[5] << 8);
}

int main(void)
{
	static const char *const dev = "0000:00:04.0";
	struct mt_proc p, s;
	struct mt_env env;
	struct mt_ready r;
	uint8_t before[REGS], after[REGS], broken[64];
	char root[512], cmd[1024];

	mt_init("drv_virtio_pci", 60);
	mt_env_init(&env, "viopci");
	snprintf(root, sizeof(root), "%s/sysfs", env.root);
	snprintf(cmd, sizeof(cmd),
		 "'%s' '%s' --root '%s' --dev 0000:00:03.0,1af4,1000,020000,virtio-pci "
		 "--dev 0000:00:04.0,1af4,1000,020000,uio_pci_generic,uio=0 "
		 "--dev 0000:00:05.0,1af4,1000,020000,igb_uio,uio=1 "
		 "--dev 0000:00:06.0,1af4,1000,020000,uio_pci_generic,uio=2,regs=8",
		 mt_getenv_path("MPDP_PYTHON"), mt_getenv_path("MPDP_MKFAKESYSFS"), root);
	MT_ASSERT(system(cmd) == 0, "mkfakesysfs failed: %s", cmd);

	/* 1 */
	mt_start_program(&p, "primary", mt_getenv_path("MPDP_TEST_DRV_A"), "primary", "shell", &env,
			 &r, "--sysfs-root", root, NULL);
	field(&p, "ports", "n", "2");
	MT_CHECK(strstr(line, "0000:00:04.0:0:1,0000:00:05.0:1:1") != NULL, "ports: %s", line);
	MT_CHECK(strstr(mt_stderr(&p), "0000:00:06.0") != NULL &&
			 strstr(mt_stderr(&p), "cannot read the legacy virtio (I/O BAR0) "
					       "registers") != NULL,
		 "no line saying why 00:06.0 was skipped: %s", mt_stderr(&p));
	MT_CHECK(dev_file(root, "0000:00:06.0", "resource0", broken, sizeof(broken)) == 8,
		 "the broken device's register file was written to");
	field(&p, "info 0000:00:04.0", "driver", "net_virtio");
	field(&p, "info 0000:00:04.0", "mac", "52:54:00:00:04:00");
	field(&p, "info 0000:00:05.0", "mac", "52:54:00:00:05:00");
	field(&p, "info 0000:00:04.0", "mindesc", "256");
	field(&p, "info 0000:00:04.0", "maxdesc", "256");
	field(&p, "info 0000:00:04.0", "link", "down");

	/* 2 */
	ok(&p, "pool pp 2048");
	ok(&p, "setup 0000:00:04.0 1 1 pp");
	field(&p, "info 0000:00:04.0", "link", "up");
	MT_ASSERT(dev_file(root, dev, "resource0", before, sizeof(before)) == REGS, "resource0");
	MT_CHECK(before[18] == 0x07, "status after start: %#x, not ACK|DRIVER|DRIVER_OK",
		 before[18]);
	MT_CHECK((before[4] | before[5] << 8 | before[6] << 16) == 0x18020,
		 "guest features %02x%02x%02x%02x, not MAC|MRG_RXBUF|STATUS", before[7], before[6],
		 before[5], before[4]);
	MT_CHECK((before[8] | before[9] | before[10] | before[11]) != 0, "no queue PFN");
	MT_CHECK(before[16] == 0 && before[17] == 0, "notify written before any kick");
	MT_CHECK(cfg_command(root, dev) & 0x4, "bus mastering off after start: %#x",
		 cfg_command(root, dev));

	/* 3 */
	mt_start_program(&s, "secondary", mt_getenv_path("MPDP_TEST_DRV_B"), "secondary", "shell",
			 &env, &r, NULL);
	MT_CHECK(mt_cmd_until(&s, line, sizeof(line), T, "txq", 1, "info %s", dev),
		 "the secondary never saw the queues: %s", line);
	ok(&s, "claim %s tx 0", dev);
	ok(&s, "tx %s 0 5 64 pp 7", dev);
	MT_CHECK(mt_field_ll(line, "sent") == 5, "secondary tx: %s", line);
	field(&s, "info 0000:00:04.0", "link", "up");
	field(&s, "info 0000:00:04.0", "mac", "52:54:00:00:04:00");
	MT_ASSERT(dev_file(root, dev, "resource0", after, sizeof(after)) == REGS, "resource0");
	for (unsigned int i = 0; i < REGS; i++)
		if (i != 16 && i != 17)
			MT_CHECK(after[i] == before[i],
				 "the secondary changed register byte %u: %#x -> %#x", i, before[i],
				 after[i]);
	MT_CHECK(after[16] == 1 && after[17] == 0, "notify %#x%02x, not the tx vring 1", after[17],
		 after[16]);
	mt_stop(&s, T);
	mt_proc_fini(&s);
	MT_ASSERT(dev_file(root, dev, "resource0", before, sizeof(before)) == REGS, "resource0");
	MT_CHECK(memcmp(before, after, REGS) == 0, "the secondary's exit touched the device");
	MT_CHECK(cfg_command(root, dev) & 0x4, "the secondary's exit turned bus mastering off");

	/* 4 */
	mt_stop(&p, T);
	mt_proc_fini(&p);
	MT_ASSERT(dev_file(root, dev, "resource0", after, sizeof(after)) == REGS, "resource0");
	MT_CHECK(after[18] == 0, "status %#x after the primary's exit, not 0 (reset)", after[18]);
	MT_CHECK(!(cfg_command(root, dev) & 0x4), "bus mastering still on after the exit: %#x",
		 cfg_command(root, dev));
	MT_ASSERT(dev_file(root, "0000:00:05.0", "resource0", after, sizeof(after)) == REGS,
		  "resource0");
	MT_CHECK(after[18] == 0, "00:05.0: status %#x after the primary's exit", after[18]);

	mt_rmtree(root);
	mt_env_fini(&env);
	return mt_done();
}
