/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_dev.c - opening PCI devices for drivers (mpdp_pci.h): the handle, the
 * uio path (sysfs "config" and "resource<i>"), devices of a --sysfs-root
 * test tree (plain files), and what every kind shares: config space and BAR
 * access, bus mastering, the capability walk. vfio-pci is in pci_vfio.c.
 *
 * uio_pci_generic and igb_uio give no device node we need: the kernel's
 * sysfs attributes are enough. "config" reads and writes config space;
 * "resource<i>" of a memory BAR can be mmap()ed; "resource<i>" of an I/O BAR
 * answers pread/pwrite of 1, 2 or 4 bytes with port I/O (the kernel does
 * the inb/outb: no iopl() here). Without an IOMMU the device addresses
 * physical memory, hence IOVA mode pa.
 *
 * A device whose sysfs_path is not under /sys/ comes from a test tree
 * (--sysfs-root): its config and resource<i> files are regular files, a
 * device that does no DMA, so any IOVA mode is fine. Its BARs are used like
 * uio's: a memory BAR is mmap()ed when the file is as long as the BAR, else
 * read and written with pread/pwrite, like an I/O BAR.
 *
 * Invariants: every function here runs in the primary (mpdp_pci_open()
 * refuses a secondary), on the thread that owns the port (the handle has no
 * lock of its own); only open and close touch process-wide state (the vfio
 * container), under pci_lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_pci.h>
#include <mpdp/mpdp_shm.h>

#include "bus_private.h"
#include "pci_private.h"

/* Serialises open and close: the vfio container is shared by the handles. */
static pthread_mutex_t pci_lock = PTHREAD_MUTEX_INITIALIZER;

/* Longest capability walk: (0x100 - 0x40) / 4 capabilities fit, at most. */
#define PCI_CAP_MAX_HOPS 48

/* ---- plain file I/O -------------------------------------------------------- */

/* pread exactly len bytes (retrying EINTR); -EIO on a short read. */
static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/*
 * Register-sized transfer: one pread/pwrite of exactly len bytes. A port or
 * MMIO register must see one access of its width, so no retry loop splits
 * it; a short transfer is -EIO.
 */
static int pread_reg(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do {
		n = pread(fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int pwrite_reg(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do {
		n = pwrite(fd, buf, len, (off_t)off);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* ---- config space ------------------------------------------------------------ */

int mpdp_pci_config_read(struct mpdp_pci_handle *h, uint32_t off, void *buf, size_t len)
{
	if (h == NULL || buf == NULL || len == 0)
		return -EINVAL;
	if (off >= PCI_CFG_SPACE_MAX || len > PCI_CFG_SPACE_MAX - off)
		return -EINVAL;
	if (off + len > h->cfg_len)
		return -EIO; /* a conventional device's 256 bytes: the kernel reads short */
	return pread_full(h->cfg_fd, buf, len, h->cfg_off + off);
}

int mpdp_pci_config_write(struct mpdp_pci_handle *h, uint32_t off, const void *buf, size_t len)
{
	if (h == NULL || buf == NULL || (len != 1 && len != 2 && len != 4))
		return -EINVAL;
	if (off >= PCI_CFG_SPACE_MAX || len > PCI_CFG_SPACE_MAX - off)
		return -EINVAL;
	if (off + len > h->cfg_len)
		return -EIO;
	return pwrite_reg(h->cfg_fd, buf, len, h->cfg_off + off);
}

/* Read-modify-write of the command register: set `set`, clear `clear`. */
static int command_update(struct mpdp_pci_handle *h, uint16_t set, uint16_t clear)
{
	uint16_t cmd, want;
	int rc = mpdp_pci_config_read(h, MPDP_PCI_CFG_COMMAND, &cmd, sizeof(cmd));

	if (rc != 0)
		return rc;
	want = (uint16_t)((cmd | set) & ~clear);
	if (want == cmd)
		return 0;
	return mpdp_pci_config_write(h, MPDP_PCI_CFG_COMMAND, &want, sizeof(want));
}

int mpdp_pci_bus_master(struct mpdp_pci_handle *h, bool on)
{
	if (h == NULL)
		return -EINVAL;
	return on ? command_update(h, MPDP_PCI_CMD_BUS_MASTER, 0) :
		    command_update(h, 0, MPDP_PCI_CMD_BUS_MASTER);
}

/*
 * The walk follows the next pointers from the capability pointer (0x34),
 * at most PCI_CAP_MAX_HOPS capabilities, each at an offset in 0x40..0xff
 * (the two low bits of a pointer are reserved and masked, as the spec
 * says). A pointer outside that range, a revisited offset or too many hops
 * means a broken list: 0, as for no match.
 *
 * `from`: 0 starts matching at the head. Otherwise matching starts at the
 * capability at offset `from` (inclusive), or after the capability whose
 * header `from` falls into (from = prev + 1, prev + 2): so both
 * cap_find(id, next pointer of prev) and cap_find(id, prev + 1) find the
 * next one. The list order is not the numeric order (QEMU's list goes
 * down), which is why `from` is a position in the list, not a bound.
 */
uint32_t mpdp_pci_cap_find_in(const uint8_t *cfg, size_t len, uint8_t cap_id, uint32_t from)
{
	uint8_t seen[256 / 8] = { 0 };
	bool matching = from == 0;
	uint8_t ptr;

	if (cfg == NULL || len <= MPDP_PCI_CFG_CAP_PTR || len > 256)
		return 0;
	if (!(cfg[MPDP_PCI_CFG_STATUS] & MPDP_PCI_STATUS_CAP_LIST))
		return 0;
	ptr = cfg[MPDP_PCI_CFG_CAP_PTR];
	for (unsigned int hops = 0; hops < PCI_CAP_MAX_HOPS; hops++) {
		uint32_t off = ptr & 0xfcu;

		if (off == 0)
			return 0; /* end of the list */
		if (off < 0x40 || (seen[off / 8] & (1u << (off % 8))))
			return 0; /* outside the list area, or a loop */
		seen[off / 8] |= (uint8_t)(1u << (off % 8));
		if (off + 2 > len)
			return 0; /* the header (id, next) is not in the copy */
		if (!matching && from == off)
			matching = true;
		if (matching && cfg[off] == cap_id)
			return off;
		if (!matching && from > off && from <= off + 2)
			matching = true; /* from pointed into this header: after it */
		ptr = cfg[off + 1];
	}
	return 0;
}

uint32_t mpdp_pci_cap_find(struct mpdp_pci_handle *h, uint8_t cap_id, uint32_t from)
{
	uint8_t cfg[256];
	size_t len;

	if (h == NULL)
		return 0;
	len = h->cfg_len < sizeof(cfg) ? (size_t)h->cfg_len : sizeof(cfg);
	if (mpdp_pci_config_read(h, 0, cfg, len) != 0)
		return 0;
	return mpdp_pci_cap_find_in(cfg, len, cap_id, from);
}

int mpdp_pci_sysfs_config_read(const struct mpdp_pci_device *pdev, uint32_t off, void *buf,
			       size_t len)
{
	char path[PATH_MAX];
	int fd, rc;

	if (pdev == NULL || buf == NULL || len == 0)
		return -EINVAL;
	if (off >= PCI_CFG_SPACE_MAX || len > PCI_CFG_SPACE_MAX - off)
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/config", pdev->sysfs_path) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	rc = pread_full(fd, buf, len, off);
	close(fd);
	return rc;
}

/* ---- BARs --------------------------------------------------------------------- */

static struct pci_bar *bar_get(struct mpdp_pci_handle *h, unsigned int bar)
{
	if (h == NULL || bar >= MPDP_PCI_MAX_BARS || h->bars[bar].len == 0)
		return NULL;
	return &h->bars[bar];
}

bool mpdp_pci_bar_is_io(const struct mpdp_pci_handle *h, unsigned int bar)
{
	return h != NULL && bar < MPDP_PCI_MAX_BARS && h->bars[bar].len != 0 && h->bars[bar].io;
}

uint64_t mpdp_pci_bar_len(const struct mpdp_pci_handle *h, unsigned int bar)
{
	return h != NULL && bar < MPDP_PCI_MAX_BARS ? h->bars[bar].len : 0;
}

int mpdp_pci_bar_fd(const struct mpdp_pci_handle *h, unsigned int bar, uint64_t *file_off)
{
	if (h == NULL || bar >= MPDP_PCI_MAX_BARS || h->bars[bar].len == 0 || h->bars[bar].fd < 0)
		return -EINVAL;
	if (file_off != NULL)
		*file_off = h->bars[bar].file_off;
	return h->bars[bar].fd;
}

void *mpdp_pci_bar_map(struct mpdp_pci_handle *h, unsigned int bar, int *rc, char *err,
		       size_t err_size)
{
	struct pci_bar *b = bar_get(h, bar);
	void *p;
	int dummy;

	if (rc == NULL)
		rc = &dummy;
	if (b == NULL || b->io) {
		*rc = -EINVAL;
		snprintf(err, err_size, "%s: BAR%u is %s", h != NULL ? h->name : "?", bar,
			 b == NULL ? "absent" : "an I/O BAR (no mapping)");
		return NULL;
	}
	if (b->map != NULL)
		return b->map;
	if (!b->mappable) {
		*rc = -ENOTSUP;
		snprintf(err, err_size, "%s: BAR%u cannot be mapped (%s)", h->name, bar,
			 h->access == PCI_ACCESS_VFIO ? "vfio region without the mmap flag" :
							"resource file shorter than the BAR");
		return NULL;
	}
	if (b->len > SIZE_MAX) {
		*rc = -EFBIG;
		snprintf(err, err_size, "%s: BAR%u is too large to map", h->name, bar);
		return NULL;
	}
	p = mmap(NULL, (size_t)b->len, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd,
		 (off_t)b->file_off);
	if (p == MAP_FAILED) {
		*rc = -errno;
		snprintf(err, err_size, "%s: mmap of BAR%u (%llu bytes) failed: %s", h->name, bar,
			 (unsigned long long)b->len, strerror(errno));
		return NULL;
	}
	b->map = p;
	*rc = 0;
	return p;
}

/* Check a register access: len 1, 2 or 4, naturally aligned, inside the BAR. */
static struct pci_bar *bar_reg(struct mpdp_pci_handle *h, unsigned int bar, uint64_t off,
			       const void *buf, size_t len)
{
	struct pci_bar *b = bar_get(h, bar);

	if (b == NULL || buf == NULL || (len != 1 && len != 2 && len != 4))
		return NULL;
	if (off >= b->len || len > b->len - off || (off & (len - 1)) != 0)
		return NULL;
	return b;
}

/* Memory BARs go through the mapping when there can be one (mapped on first use). */
static volatile void *bar_mem_addr(struct mpdp_pci_handle *h, unsigned int bar, struct pci_bar *b,
				   uint64_t off)
{
	if (b->io || !b->mappable)
		return NULL;
	if (b->map == NULL) {
		char err[160];
		int rc;

		if (mpdp_pci_bar_map(h, bar, &rc, err, sizeof(err)) == NULL) {
			PCI_LOG(WARNING, "%s; falling back to pread/pwrite", err);
			b->mappable = false;
			return NULL;
		}
	}
	return (volatile char *)b->map + off;
}

int mpdp_pci_bar_read(struct mpdp_pci_handle *h, unsigned int bar, uint64_t off, void *buf,
		      size_t len)
{
	struct pci_bar *b = bar_reg(h, bar, off, buf, len);
	volatile void *p;

	if (b == NULL)
		return -EINVAL;
	p = bar_mem_addr(h, bar, b, off);
	if (p == NULL)
		return pread_reg(b->fd, buf, len, b->file_off + off);
	/* one access of the register's width; the device's values are little-endian */
	switch (len) {
	case 1: {
		uint8_t v = *(volatile uint8_t *)p;

		memcpy(buf, &v, 1);
		break;
	}
	case 2: {
		uint16_t v = *(volatile uint16_t *)p;

		memcpy(buf, &v, 2);
		break;
	}
	default: {
		uint32_t v = *(volatile uint32_t *)p;

		memcpy(buf, &v, 4);
		break;
	}
	}
	return 0;
}

int mpdp_pci_bar_write(struct mpdp_pci_handle *h, unsigned int bar, uint64_t off, const void *buf,
		       size_t len)
{
	struct pci_bar *b = bar_reg(h, bar, off, buf, len);
	volatile void *p;

	if (b == NULL)
		return -EINVAL;
	p = bar_mem_addr(h, bar, b, off);
	if (p == NULL)
		return pwrite_reg(b->fd, buf, len, b->file_off + off);
	switch (len) {
	case 1: {
		uint8_t v;

		memcpy(&v, buf, 1);
		*(volatile uint8_t *)p = v;
		break;
	}
	case 2: {
		uint16_t v;

		memcpy(&v, buf, 2);
		*(volatile uint16_t *)p = v;
		break;
	}
	default: {
		uint32_t v;

		memcpy(&v, buf, 4);
		*(volatile uint32_t *)p = v;
		break;
	}
	}
	return 0;
}

/* ---- uio and test-tree devices ---------------------------------------------- */

/* An open() error as the contract's errno: no permission is -EPERM. */
static int open_errno(int e)
{
	return e == EACCES || e == EPERM ? -EPERM : -e;
}

/*
 * Open config and resource<i> of a uio-bound device or a test tree's device.
 * A BAR whose resource file is missing is an error for a real device (the
 * kernel always makes one) and leaves the BAR absent for a test tree.
 */
static int uio_open(const struct mpdp_pci_device *pdev, struct mpdp_pci_handle *h, char *err,
		    size_t err_size)
{
	char path[PATH_MAX];
	struct stat st;
	bool fake = h->access == PCI_ACCESS_FILE;

	if (!fake && mpdp_iova_mode() != MPDP_IOVA_PA) {
		snprintf(err, err_size,
			 "%s: bound to %s: uio has no IOMMU: IOVA mode must be pa, not %s",
			 pdev->name, pdev->kdrv_name, mpdp_iova_mode_name(mpdp_iova_mode()));
		return -ENOTSUP;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/config", pdev->sysfs_path) >= sizeof(path)) {
		snprintf(err, err_size, "%s: sysfs path too long", pdev->name);
		return -ENAMETOOLONG;
	}
	h->cfg_fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (h->cfg_fd < 0) {
		int e = errno, rc = open_errno(e);

		snprintf(err, err_size, "%s: cannot open %s: %s%s", pdev->name, path, strerror(e),
			 rc == -EPERM ? " (needs root)" : "");
		return rc == -ENOENT ? -ENODEV : rc;
	}
	if (fstat(h->cfg_fd, &st) != 0) {
		int e = errno;

		snprintf(err, err_size, "%s: fstat %s: %s", pdev->name, path, strerror(e));
		return -e;
	}
	/* sysfs reports the config size (256 or 4096) as the file's size */
	h->cfg_len = st.st_size > 0 && (uint64_t)st.st_size < PCI_CFG_SPACE_MAX ?
			     (uint64_t)st.st_size :
			     PCI_CFG_SPACE_MAX;
	h->cfg_off = 0;

	for (unsigned int i = 0; i < MPDP_PCI_MAX_BARS; i++) {
		struct pci_bar *b = &h->bars[i];
		uint64_t flags = pdev->bars[i].flags;

		if (pdev->bars[i].len == 0 || !(flags & (MPDP_PCI_BAR_IO | MPDP_PCI_BAR_MEM)))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/resource%u", pdev->sysfs_path, i) >=
		    sizeof(path)) {
			snprintf(err, err_size, "%s: sysfs path too long", pdev->name);
			return -ENAMETOOLONG;
		}
		b->fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (b->fd < 0) {
			int e = errno, rc = open_errno(e);

			if (fake && e == ENOENT)
				continue;
			snprintf(err, err_size, "%s: cannot open %s: %s", pdev->name, path,
				 strerror(e));
			return rc == -ENOENT ? -ENODEV : rc;
		}
		b->len = pdev->bars[i].len;
		b->io = (flags & MPDP_PCI_BAR_IO) != 0;
		b->file_off = 0;
		if (b->io) {
			b->mappable = false;
		} else if (fake) {
			/* a regular file maps only where it has bytes */
			b->mappable = fstat(b->fd, &st) == 0 && (uint64_t)st.st_size >= b->len;
		} else {
			b->mappable = true;
		}
	}
	return 0;
}

/* ---- open and close ------------------------------------------------------------ */

static void handle_release(struct mpdp_pci_handle *h)
{
	for (unsigned int i = 0; i < MPDP_PCI_MAX_BARS; i++) {
		struct pci_bar *b = &h->bars[i];

		if (b->map != NULL)
			munmap(b->map, (size_t)b->len);
		b->map = NULL;
		/* vfio BARs share the device fd, which pci_vfio_close() closes */
		if (h->access != PCI_ACCESS_VFIO && b->fd >= 0)
			close(b->fd);
		b->fd = -1;
	}
	if (h->access == PCI_ACCESS_VFIO)
		pci_vfio_close(h);
	else if (h->cfg_fd >= 0)
		close(h->cfg_fd);
	h->cfg_fd = -1;
}

int mpdp_pci_open(const struct mpdp_pci_device *pdev, struct mpdp_pci_handle **out, char *err,
		  size_t err_size)
{
	struct mpdp_pci_handle *h;
	uint16_t decode = 0;
	int rc;

	if (err_size > 0)
		err[0] = '\0';
	if (pdev == NULL || out == NULL) {
		snprintf(err, err_size, "mpdp_pci_open: no device");
		return -EINVAL;
	}
	if (mpdp_proc_type() == MPDP_PROC_SECONDARY) {
		/* DESIGN.md rule 3: the device and its registers are the primary's */
		snprintf(err, err_size, "%s: a secondary process never opens a device", pdev->name);
		return -EPERM;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, err_size, "%s: out of memory", pdev->name);
		return -ENOMEM;
	}
	snprintf(h->name, sizeof(h->name), "%s", pdev->name);
	h->kdrv = pdev->kdrv;
	h->cfg_fd = -1;
	h->vfio_dev_fd = -1;
	for (unsigned int i = 0; i < MPDP_PCI_MAX_BARS; i++)
		h->bars[i].fd = -1;

	if (mpdp_pci_device_is_file(pdev)) {
		h->access = PCI_ACCESS_FILE;
	} else if (pdev->kdrv == MPDP_PCI_KDRV_UIO_GENERIC || pdev->kdrv == MPDP_PCI_KDRV_IGB_UIO) {
		h->access = PCI_ACCESS_UIO;
	} else if (pdev->kdrv == MPDP_PCI_KDRV_VFIO) {
		h->access = PCI_ACCESS_VFIO;
	} else {
		snprintf(err, err_size,
			 "%s: bound to %s, not to vfio-pci, uio_pci_generic or igb_uio", pdev->name,
			 pdev->kdrv_name[0] != '\0' ? pdev->kdrv_name : "no driver");
		free(h);
		return -ENODEV;
	}

	pthread_mutex_lock(&pci_lock);
	if (h->access == PCI_ACCESS_VFIO)
		rc = pci_vfio_open(pdev, h, err, err_size);
	else
		rc = uio_open(pdev, h, err, err_size);
	pthread_mutex_unlock(&pci_lock);
	if (rc != 0)
		goto err_release;

	/* uio_pci_generic does not always enable decoding: do it for the BARs we have */
	for (unsigned int i = 0; i < MPDP_PCI_MAX_BARS; i++)
		if (h->bars[i].len != 0)
			decode |= h->bars[i].io ? MPDP_PCI_CMD_IO : MPDP_PCI_CMD_MEMORY;
	rc = command_update(h, decode, 0);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot enable decoding in the command register: %s",
			 pdev->name, strerror(-rc));
		goto err_release;
	}
	PCI_LOG(DEBUG, "%s: opened through %s", h->name,
		h->access == PCI_ACCESS_FILE ? "plain files (test tree)" : pdev->kdrv_name);
	*out = h;
	return 0;

err_release:
	pthread_mutex_lock(&pci_lock);
	handle_release(h);
	pthread_mutex_unlock(&pci_lock);
	free(h);
	return rc;
}

void mpdp_pci_close(struct mpdp_pci_handle *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&pci_lock);
	handle_release(h);
	pthread_mutex_unlock(&pci_lock);
	PCI_LOG(DEBUG, "%s: closed", h->name);
	free(h);
}

const char *mpdp_pci_name(const struct mpdp_pci_handle *h)
{
	return h != NULL ? h->name : "";
}

enum mpdp_pci_kdrv mpdp_pci_kdrv(const struct mpdp_pci_handle *h)
{
	return h != NULL ? h->kdrv : MPDP_PCI_KDRV_NONE;
}
