/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_eth_pci.c - the PCI bus's decisions, on the field report's sysfs tree
 * (tests/lib/mkfakesysfs.py --preset field-report-000: 00:03.0 on
 * virtio-pci, 00:04.0, 00:09.0, 00:0a.0, 00:0b.0 on igb_uio):
 *
 *  1. no lists: four ports named by address, 00:03.0 skipped for its
 *     kernel driver, in every process's view (a secondary of another
 *     program reads the same skipped table);
 *  2. -b 0000:00:09.0: three ports, 00:09.0 skipped as blocked;
 *  3. -a 0000:00:04.0 -a 0000:00:0b.0: two ports, the others skipped as not
 *     allowed; an allowed address that does not exist is only a warning;
 *  4. hot-plug of a PCI address goes through the same checks: a blocked or
 *     kernel-bound device is refused, a free one becomes a port, a missing
 *     one is -ENOENT; refused hot-plugs add nothing to the skipped table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpdp_test.h"

#define T 10000

static char line[16384];

static void field(struct mt_proc *p, const char *command, const char *key, const char *want)
{
	char v[4096] = "";

	MT_CHECK(mt_cmd(p, line, sizeof(line), T, "%s", command) == 0, "%s: %s", command, line);
	MT_CHECK(mt_field(line, key, v, sizeof(v)) && strcmp(v, want) == 0,
		 "%s: '%s': %s=%s expected, got: %s", p->label, command, key, want, line);
}

static void start(struct mt_proc *p, const struct mt_env *env, const char *root,
		  const char *o1, const char *o2, const char *o3, const char *o4)
{
	struct mt_ready r;

	mt_start_program(p, "primary", mt_getenv_path("MPDP_TEST_ETH_A"), "primary", "shell", env,
			 &r, "--sysfs-root", root, o1, o2, o3, o4, NULL);
}

int main(void)
{
	struct mt_proc p, s;
	struct mt_ready r;
	struct mt_env env;
	char root[512], cmd[1024];

	mt_init("eth_pci", 60);
	mt_env_init(&env, "ethpci");
	snprintf(root, sizeof(root), "%s/sysfs", env.root);
	snprintf(cmd, sizeof(cmd), "'%s' '%s' --root '%s' --preset field-report-000",
		 mt_getenv_path("MPDP_PYTHON"), mt_getenv_path("MPDP_MKFAKESYSFS"), root);
	MT_ASSERT(system(cmd) == 0, "mkfakesysfs failed: %s", cmd);

	/* 1 */
	start(&p, &env, root, NULL, NULL, NULL, NULL);
	field(&p, "ports", "names", "0000:00:04.0,0000:00:09.0,0000:00:0a.0,0000:00:0b.0");
	field(&p, "info 0", "driver", "net_virtio");
	field(&p, "info 0", "bus", "pci");
	field(&p, "info 0", "link", "down");
	field(&p, "skipped", "list", "0000:00:03.0/virtio-pci/bound");
	mt_start_program(&s, "secondary", mt_getenv_path("MPDP_TEST_ETH_B"), "secondary", "shell",
			 &env, &r, NULL);
	field(&s, "skipped", "list", "0000:00:03.0/virtio-pci/bound");
	field(&s, "ports", "count", "4");
	/* 4, on this instance: the kernel-bound NIC cannot be hot-plugged */
	MT_CHECK(mt_cmd(&p, line, sizeof(line), T, "hotplug 0000:00:03.0") == -1 &&
			 mt_has_word(line, "EBUSY"),
		 "hot-plug of a kernel-bound NIC: %s", line);
	MT_CHECK(mt_cmd(&p, line, sizeof(line), T, "hotplug 0000:00:1f.0") == -1 &&
			 mt_has_word(line, "ENOENT"),
		 "hot-plug of a missing device: %s", line);
	MT_CHECK(mt_cmd(&p, line, sizeof(line), T, "hotplug 0000:00:04.0") == -1 &&
			 mt_has_word(line, "EEXIST"),
		 "hot-plug of a device that is a port already: %s", line);
	field(&p, "skipped", "n", "1");
	mt_stop(&s, T);
	mt_stop(&p, T);
	mt_proc_fini(&s);
	mt_proc_fini(&p);

	/* 2 */
	start(&p, &env, root, "-b", "0000:00:09.0", NULL, NULL);
	field(&p, "ports", "names", "0000:00:04.0,0000:00:0a.0,0000:00:0b.0");
	field(&p, "skipped", "list", "0000:00:03.0/virtio-pci/bound;0000:00:09.0/igb_uio/blocked");
	MT_CHECK(mt_cmd(&p, line, sizeof(line), T, "hotplug 0000:00:09.0") == -1,
		 "hot-plug of a blocked device: %s", line);
	mt_stop(&p, T);
	mt_proc_fini(&p);

	/* 3 */
	start(&p, &env, root, "-a", "0000:00:04.0", "--allow=0000:00:0b.0", NULL);
	field(&p, "ports", "names", "0000:00:04.0,0000:00:0b.0");
	field(&p, "skipped", "list",
	      "0000:00:03.0/virtio-pci/not;0000:00:09.0/igb_uio/not;0000:00:0a.0/igb_uio/not");
	/* a device left out by -a can still be hot-plugged by address */
	mt_cmd_ok(&p, line, sizeof(line), T, "hotplug 0000:00:0a.0");
	MT_CHECK(mt_field_ll(line, "port") == 2, "hot-plugged port: %s", line);
	field(&p, "info 2", "name", "0000:00:0a.0");
	mt_stop(&p, T);
	mt_proc_fini(&p);

	start(&p, &env, root, "-a", "0000:00:1e.0", NULL, NULL);
	field(&p, "ports", "count", "0");
	MT_CHECK(strstr(mt_stderr(&p), "-a 0000:00:1e.0: no such PCI device") != NULL,
		 "no warning for an allowed address that does not exist: %s", mt_stderr(&p));
	mt_stop(&p, T);
	mt_proc_fini(&p);

	mt_rmtree(root);
	mt_env_fini(&env);
	return mt_done();
}
