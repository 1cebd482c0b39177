/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_probe.c - the primary turns devices into ports: --vdev strings and
 * the PCI bus, at mpdp_init() and later through hot-plug.
 *
 * For every PCI device the order of decisions is the same, whatever driver
 * might want it (DESIGN.md rule 4):
 *   1. -a / -b lists      not allowed, or blocked        -> skipped
 *   2. kernel driver      not vfio-pci/uio_pci_generic/igb_uio -> skipped
 *   3. mpdp driver        none for vendor:device          -> skipped
 *   4. driver probe       error (< 0) or declined (> 0)   -> skipped, probing goes on
 * A skipped device is logged once and recorded with its reason in the
 * shared skipped-device table; it is never opened. A driver's probe error
 * never aborts the scan (field report 000: a negative return used to stop
 * the whole probe).
 *
 * Before any device is probed, the primary fixes the IOVA mode
 * (docs/design/iova.md): one scan with the same filters (1-3) finds the
 * devices that will be probed; one that needs physical addresses (bound to
 * uio_pci_generic or igb_uio, or on vfio-pci with DMA that bypasses the
 * IOMMU) makes the mode PA, else it is what --iova-mode asked, or VA. A
 * device hot-plugged later must fit the mode already fixed (step 4 checks
 * it), else it is skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_shm.h>

#include "ethdev_private.h"

/* ------------------------------------------------------------ vdev */

int eth_probe_vdev(const char *str, uint16_t *port)
{
	const struct mpdp_eth_driver *drv;
	struct mpdp_devargs da;
	char err[256] = "", names[256];
	int rc;

	rc = mpdp_devargs_parse(str, &da, err, sizeof(err));
	if (rc != 0) {
		ETH_LOG(ERR, "--vdev '%s': %s", str, err[0] ? err : strerror(-rc));
		return rc;
	}
	drv = eth_driver_for_vdev(da.name);
	if (drv == NULL) {
		eth_driver_names(names, sizeof(names), MPDP_BUS_VDEV);
		ETH_LOG(ERR, "--vdev '%s': no virtual device driver for '%s' in this program "
			     "(drivers: %s)", str, da.name, names);
		return -ENOENT;
	}
	if (drv->devargs_keys != NULL &&
	    mpdp_devargs_check_keys(&da, drv->devargs_keys, err, sizeof(err)) != 0) {
		ETH_LOG(ERR, "--vdev '%s': %s%s%s", str, err, drv->devargs_help ? "; usage: " : "",
			drv->devargs_help ? drv->devargs_help : "");
		return -EINVAL;
	}
	err[0] = '\0';
	rc = drv->probe_vdev(&da, str, err, sizeof(err));
	if (rc != 0) {
		ETH_LOG(ERR, "--vdev '%s': %s", str, err[0] ? err : strerror(rc < 0 ? -rc : EINVAL));
		return rc < 0 ? rc : -EINVAL;
	}
	if (port != NULL && mpdp_eth_dev_find(da.name, port) != 0)
		return -ENOENT;
	return 0;
}

/* ------------------------------------------------------------ PCI */

struct pci_ctx {
	struct mpdp_pci_addr allow[MPDP_MAX_DEV_OPTIONS], block[MPDP_MAX_DEV_OPTIONS];
	unsigned int nb_allow, nb_block;
	uint8_t allow_seen[MPDP_MAX_DEV_OPTIONS];
	const struct mpdp_pci_addr *only;   /* hot-plug of one device: log, do not record */
	int found;
	int rc;                             /* hot-plug: the probe result */
	uint16_t port;
};

static int in_list(const struct mpdp_pci_addr *list, unsigned int n,
		   const struct mpdp_pci_addr *a)
{
	for (unsigned int i = 0; i < n; i++)
		if (mpdp_pci_addr_cmp(&list[i], a) == 0)
			return (int)i;
	return -1;
}

static void skip(const struct pci_ctx *c, const struct mpdp_pci_device *d, int loud,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * One log line and, at the scan in mpdp_init(), one record in the shared
 * table. A hot-plug attempt only logs: retrying it must not fill the table.
 */
static void skip(const struct pci_ctx *c, const struct mpdp_pci_device *d, int loud,
		 const char *fmt, ...)
{
	struct mpdp_bus_skipped s;
	va_list ap;

	memset(&s, 0, sizeof(s));
	snprintf(s.bus, sizeof(s.bus), "pci");
	snprintf(s.name, sizeof(s.name), "%s", d->name);
	s.vendor = d->vendor;
	s.device = d->device;
	s.class_id = d->class_id;
	snprintf(s.kdrv_name, sizeof(s.kdrv_name), "%s", d->kdrv_name);
	va_start(ap, fmt);
	vsnprintf(s.reason, sizeof(s.reason), fmt, ap);
	va_end(ap);
	mpdp_log(loud ? MPDP_LOG_NOTICE : MPDP_LOG_INFO, "bus.pci",
		 "skipping %s (%04x:%04x, kernel driver %s): %s", d->name, d->vendor, d->device,
		 d->kdrv_name[0] ? d->kdrv_name : "none", s.reason);
	if (c->only == NULL)
		(void)mpdp_bus_skipped_add_(&s);
}

/*
 * 1 when device d, to be driven by drv, needs IOVA mode PA (why says which
 * device and its reason), else 0.
 */
static int pci_needs_pa(const struct mpdp_pci_device *d, const struct mpdp_eth_driver *drv,
			char *why, size_t size)
{
	/* a --sysfs-root test tree: its BARs are plain files, nothing does DMA */
	if (mpdp_pci_device_is_file(d))
		return 0;
	if (d->kdrv == MPDP_PCI_KDRV_UIO_GENERIC || d->kdrv == MPDP_PCI_KDRV_IGB_UIO) {
		snprintf(why, size, "%s is bound to %s (no IOMMU)", d->name, d->kdrv_name);
		return 1;
	}
	if (d->kdrv == MPDP_PCI_KDRV_VFIO && drv->pci_needs_pa != NULL && drv->pci_needs_pa(d) > 0) {
		if (strstr(drv->name, "virtio") != NULL)
			snprintf(why, size, "%s: its DMA bypasses the IOMMU (legacy virtio)", d->name);
		else
			snprintf(why, size, "%s: its DMA bypasses the IOMMU (driver %s)", d->name,
				 drv->name);
		return 1;
	}
	return 0;
}

static int pci_device(const struct mpdp_pci_device *d, void *arg)
{
	struct pci_ctx *c = arg;
	const struct mpdp_eth_driver *drv;
	char err[256] = "", why[160];
	int allowed, rc;

	if (c->only != NULL) {
		if (mpdp_pci_addr_cmp(c->only, &d->addr) != 0)
			return 0;
		c->found = 1;
	}
	drv = eth_driver_for_pci(d->vendor, d->device);
	allowed = in_list(c->allow, c->nb_allow, &d->addr);
	if (allowed >= 0)
		c->allow_seen[allowed] = 1;
	if (c->only == NULL && c->nb_allow > 0 && allowed < 0) {
		skip(c, d, 0, "not in the -a list");
		return 0;
	}
	if (in_list(c->block, c->nb_block, &d->addr) >= 0) {
		skip(c, d, 1, "blocked by -b");
		return 0;
	}
	if (d->kdrv != MPDP_PCI_KDRV_VFIO && d->kdrv != MPDP_PCI_KDRV_UIO_GENERIC &&
	    d->kdrv != MPDP_PCI_KDRV_IGB_UIO) {
		/* the bus decides, for every driver alike (DESIGN.md rule 4) */
		skip(c, d, drv != NULL || allowed >= 0 || c->only != NULL,
		     d->kdrv_name[0] ? "bound to kernel driver %s, not vfio-pci, uio_pci_generic or igb_uio"
				     : "%sno kernel driver bound; needs vfio-pci, uio_pci_generic or igb_uio",
		     d->kdrv_name);
		c->rc = -EBUSY;
		return 0;
	}
	if (drv == NULL) {
		skip(c, d, allowed >= 0 || c->only != NULL, "no mpdp driver for %04x:%04x", d->vendor,
		     d->device);
		c->rc = -ENOENT;
		return 0;
	}
	if (pci_needs_pa(d, drv, why, sizeof(why)) &&
	    mpdp_iova_mode_fix_(MPDP_IOVA_PA, why, err, sizeof(err)) != 0) {
		/* hot-plug after init with the mode fixed VA (init fixed it to fit) */
		mpdp_log(MPDP_LOG_ERR, "bus.pci", "%s: cannot be used: %s", d->name, err);
		skip(c, d, 1, "needs IOVA mode pa, the instance runs in va");
		c->rc = -ENOTSUP;
		return 0;
	}
	err[0] = '\0';
	rc = drv->probe_pci(d, err, sizeof(err));
	if (rc < 0) {
		mpdp_log(MPDP_LOG_ERR, "bus.pci", "%s: driver %s failed: %s", d->name, drv->name,
			 err[0] ? err : strerror(-rc));
		skip(c, d, 1, "driver %s failed: %.60s", drv->name, err[0] ? err : strerror(-rc));
		c->rc = rc;
		return 0;
	}
	if (rc > 0) {
		skip(c, d, 1, "driver %s declined it", drv->name);
		c->rc = -ENOENT;
		return 0;
	}
	c->rc = 0;
	(void)mpdp_eth_dev_find(d->name, &c->port);
	return 0;
}

static int parse_pci_list(const char *opt, const char *const *in, unsigned int n,
			  struct mpdp_pci_addr *out)
{
	for (unsigned int i = 0; i < n; i++) {
		if (mpdp_pci_addr_parse(in[i], &out[i]) != 0) {
			ETH_LOG(ERR, "%s '%s': not a PCI address (expected DDDD:BB:DD.F, e.g. "
				     "0000:00:04.0)", opt, in[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int probe_pci_bus(const struct mpdp_dev_options *o)
{
	struct pci_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.nb_allow = o->nb_allow;
	c.nb_block = o->nb_block;
	rc = parse_pci_list("-a", o->allow, o->nb_allow, c.allow);
	if (rc == 0)
		rc = parse_pci_list("-b", o->block, o->nb_block, c.block);
	if (rc != 0)
		return rc;
	if (o->no_pci) {
		if (o->nb_allow > 0)
			ETH_LOG(WARNING, "-a given with --no-pci: the PCI bus is not scanned");
		return 0;
	}
	rc = mpdp_pci_scan(o->sysfs_root, pci_device, &c);
	if (rc < 0) {
		/* no PCI bus is not an error (containers); a bad --sysfs-root is */
		if (o->sysfs_root[0] != '\0') {
			ETH_LOG(ERR, "--sysfs-root '%s': cannot read %s/bus/pci/devices: %s",
				o->sysfs_root, o->sysfs_root, strerror(-rc));
			return rc;
		}
		ETH_LOG(INFO, "no PCI bus to scan (%s)", strerror(-rc));
		return 0;
	}
	for (unsigned int i = 0; i < c.nb_allow; i++)
		if (!c.allow_seen[i])
			ETH_LOG(WARNING, "-a %s: no such PCI device", o->allow[i]);
	return 0;
}

/* ------------------------------------------------------------ IOVA mode */

struct iova_ctx {
	struct pci_ctx filter;     /* the -a and -b lists */
	int need_pa;
	char why[160];             /* the first device that needs PA, and why */
	char vfio[MPDP_PCI_ADDR_SIZE]; /* the first vfio-pci device, for the log */
};

/* Steps 1-3 of the probe, silently: will pci_device() hand d to a driver? */
static int iova_device(const struct mpdp_pci_device *d, void *arg)
{
	struct iova_ctx *c = arg;
	const struct mpdp_eth_driver *drv = eth_driver_for_pci(d->vendor, d->device);

	if ((c->filter.nb_allow > 0 && in_list(c->filter.allow, c->filter.nb_allow, &d->addr) < 0) ||
	    in_list(c->filter.block, c->filter.nb_block, &d->addr) >= 0 || drv == NULL)
		return 0;
	if (d->kdrv != MPDP_PCI_KDRV_VFIO && d->kdrv != MPDP_PCI_KDRV_UIO_GENERIC &&
	    d->kdrv != MPDP_PCI_KDRV_IGB_UIO)
		return 0;
	if (!c->need_pa && pci_needs_pa(d, drv, c->why, sizeof(c->why)))
		c->need_pa = 1;
	if (d->kdrv == MPDP_PCI_KDRV_VFIO && c->vfio[0] == '\0' &&
	    !mpdp_pci_device_is_file(d))
		snprintf(c->vfio, sizeof(c->vfio), "%s", d->name);
	return 0;
}

/*
 * Primary, in mpdp_init() before any device is probed: choose the IOVA mode
 * from the PCI devices that will be probed and fix it. Returns 0 or -errno
 * (logged: one line).
 */
static int iova_mode_decide(const struct mpdp_dev_options *o)
{
	enum mpdp_iova_mode req = mpdp_iova_mode_requested_(), mode;
	struct iova_ctx c;
	char err[512] = "";
	int rc;

	if (eth_driver_count() == 0 && req == 0) {
		/*
		 * A program without drivers has no device to decide for: va,
		 * left unrecorded (a missing table means va to every process),
		 * so its heap holds only what the application reserves.
		 */
		ETH_LOG(INFO, "IOVA mode va: no device drivers in this program");
		return 0;
	}
	memset(&c, 0, sizeof(c));
	if (!o->no_pci && eth_driver_count() > 0 &&
	    parse_pci_list("-a", o->allow, o->nb_allow, c.filter.allow) == 0 &&
	    parse_pci_list("-b", o->block, o->nb_block, c.filter.block) == 0) {
		c.filter.nb_allow = o->nb_allow;
		c.filter.nb_block = o->nb_block;
		/* errors (no bus, a bad --sysfs-root) are the probe's to report */
		(void)mpdp_pci_scan(o->sysfs_root, iova_device, &c);
	}
	rc = mpdp_iova_mode_fix_(c.need_pa ? MPDP_IOVA_PA : 0, c.need_pa ? c.why : NULL, err,
				 sizeof(err));
	if (rc != 0) {
		ETH_LOG(ERR, "%s", err[0] ? err : strerror(-rc));
		return rc;
	}
	mode = mpdp_iova_mode();
	if (c.need_pa)
		ETH_LOG(NOTICE, "IOVA mode pa: %s", c.why);
	else if (req != 0)
		ETH_LOG(NOTICE, "IOVA mode %s: asked by --iova-mode", mpdp_iova_mode_name(mode));
	else if (c.vfio[0] != '\0')
		ETH_LOG(NOTICE, "IOVA mode va: %s is on vfio-pci (IOMMU)", c.vfio);
	else
		ETH_LOG(INFO, "IOVA mode va: no device needs physical addresses");
	return 0;
}

int eth_probe_pci_one(const char *addr, uint16_t *port)
{
	struct mpdp_dev_options o;
	struct mpdp_pci_addr a;
	struct pci_ctx c;
	int rc;

	if (mpdp_pci_addr_parse(addr, &a) != 0)
		return -EINVAL;
	rc = mpdp_dev_options_get(&o);
	if (rc != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.only = &a;
	c.rc = -ENOENT;
	c.nb_block = o.nb_block;
	if (parse_pci_list("-b", o.block, o.nb_block, c.block) != 0)
		return -EINVAL;
	rc = mpdp_pci_scan(o.sysfs_root, pci_device, &c);
	if (rc < 0)
		return rc;
	if (!c.found) {
		ETH_LOG(ERR, "PCI device %s: not found", addr);
		return -ENOENT;
	}
	if (c.rc == 0 && port != NULL)
		*port = c.port;
	return c.rc;
}

/* ------------------------------------------------------------ entry points */

static void close_all_ports(void)
{
	eth_lock();
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++)
		if (eth.present[p])
			(void)eth_close_locked(p, 1);
	eth_unlock();
}

int mpdp_dev_init_primary_(void)
{
	struct mpdp_dev_options o;
	int rc;

	rc = mpdp_dev_options_get(&o);
	if (rc != 0)
		return rc;
	rc = iova_mode_decide(&o);
	if (rc != 0)
		return rc;
	if (eth_driver_count() == 0) {
		/*
		 * A program without drivers cannot make ports: no port table, no
		 * bus scan (its secondaries see no ports). Asking it for devices
		 * is an error, not something to ignore.
		 */
		if (o.nb_vdevs > 0 || o.nb_allow > 0) {
			ETH_LOG(ERR, "%s given, but this program has no device drivers",
				o.nb_vdevs > 0 ? "--vdev" : "-a");
			return -EINVAL;
		}
		return 0;
	}
	rc = eth_table_create();
	if (rc != 0)
		return rc;
	rc = mpdp_bus_skipped_init_();
	if (rc != 0)
		goto err_ports;
	for (unsigned int i = 0; i < o.nb_vdevs; i++) {
		rc = eth_probe_vdev(o.vdevs[i], NULL);
		if (rc != 0)
			goto err_ports;
	}
	rc = probe_pci_bus(&o);
	if (rc != 0)
		goto err_ports;
	return 0;

err_ports:
	/* the heap goes away with the failed init; drivers free their own state */
	close_all_ports();
	mpdp_dev_fini_();
	return rc;
}

int mpdp_eth_dev_hotplug_add(const char *devargs, uint16_t *port)
{
	struct mpdp_pci_addr a;
	uint16_t p = 0;
	int rc;

	if (devargs == NULL)
		return -EINVAL;
	eth_lock();
	if (!eth.ready || !eth.primary) {
		eth_unlock();
		if (eth.ready)
			ETH_LOG(ERR, "hot-plug of '%s': only the primary creates ports", devargs);
		return eth.ready ? -EPERM : -ENODEV;
	}
	if (mpdp_pci_addr_parse(devargs, &a) == 0)
		rc = eth_probe_pci_one(devargs, &p);
	else
		rc = eth_probe_vdev(devargs, &p);
	eth_unlock();
	if (rc == 0 && port != NULL)
		*port = p;
	return rc;
}
