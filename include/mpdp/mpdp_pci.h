/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_pci.h - opening a PCI device for a poll-mode driver: config space,
 * BARs, bus mastering, and DMA through the kernel driver the device is bound
 * to (uio_pci_generic / igb_uio, or vfio-pci with an IOMMU). Drivers only;
 * applications never include this.
 *
 * Who may call what (DESIGN.md rules 3 and 4):
 *   - The primary opens a device in its probe (mpdp_pci_open()), after the
 *     bus decided the device may be used, and closes it at port close
 *     (mpdp_pci_close()). Config space and registers are the primary's.
 *   - A secondary never opens a device, never reads or writes its config
 *     space or registers, never resets it, never changes bus mastering. The
 *     one thing a driver may let a secondary reach is a doorbell (a queue
 *     notify address) of a queue the secondary owns, through an fd the
 *     primary exports (mpdp_eth_dev_fd_export()) and a file offset it
 *     publishes as data: mpdp_pci_bar_fd() gives both. The secondary then
 *     pwrite()s an I/O BAR at that offset, or mmap()s the page of a memory
 *     BAR that holds the doorbell, nothing more.
 *
 * How each kernel driver is reached (process-local, in the handle):
 *
 *                  config space          BAR i                 DMA
 *   uio_pci_generic  sysfs "config"      sysfs "resource<i>":   physical addresses
 *   igb_uio          (pread/pwrite)      mmap (memory BAR) or   (IOVA mode PA)
 *                                        pread/pwrite (I/O BAR)
 *   vfio-pci         the device fd's     the device fd's BAR    the container maps
 *                    config region       region: mmap / pread / the heap: IOVA =
 *                                        pwrite                 offset (VA) or
 *                                                               physical (PA)
 *
 * The vfio container is one per process and instance: the first vfio device
 * the primary opens creates it, joins the device's IOMMU group, selects the
 * type-1 IOMMU and maps the whole heap in the instance's IOVA mode
 * (mpdp_shm.h): one mapping at IOVA 0 (VA), or every run of physically
 * contiguous pages at its physical address (PA). Further devices join it.
 * The mappings live as long as the primary's container fd.
 */
#ifndef MPDP_PCI_H
#define MPDP_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mpdp/mpdp_bus.h>

/* Standard config space offsets and bits the drivers use. */
#define MPDP_PCI_CFG_COMMAND      0x04
#define MPDP_PCI_CMD_IO           0x0001
#define MPDP_PCI_CMD_MEMORY       0x0002
#define MPDP_PCI_CMD_BUS_MASTER   0x0004
#define MPDP_PCI_CFG_STATUS       0x06
#define MPDP_PCI_STATUS_CAP_LIST  0x0010
#define MPDP_PCI_CFG_CAP_PTR      0x34
#define MPDP_PCI_CAP_ID_VNDR      0x09
#define MPDP_PCI_CAP_ID_MSIX      0x11

/* An open device. Process-local (fds, mappings): never in shared memory. */
struct mpdp_pci_handle;

/*
 * Primary: open pdev through its kernel driver (pdev->kdrv must be
 * MPDP_PCI_KDRV_VFIO, _UIO_GENERIC or _IGB_UIO) and enable memory and I/O
 * decoding. vfio: creates or joins the container and maps the heap (see
 * above; the IOVA mode must be fixed already). Bus mastering is left as it
 * is: the driver turns it on when its rings are ready. Returns 0 and *out,
 * or -errno with one line in err naming the device and what failed
 * (-EPERM: not root; -ENODEV: the group or node is missing; -EBUSY: the
 * group is used by another process, or not viable; -ENOTSUP: uio with IOVA
 * mode VA).
 */
int mpdp_pci_open(const struct mpdp_pci_device *pdev, struct mpdp_pci_handle **out, char *err,
		  size_t err_size);

/*
 * Primary: let go of the device: unmap the BARs, close the fds (the last
 * vfio device closes the container, which removes the IOMMU mappings).
 * Does not reset the device or change bus mastering: the driver does what
 * its device needs before (a virtio primary resets it, then turns bus
 * mastering off). NULL is accepted.
 */
void mpdp_pci_close(struct mpdp_pci_handle *h);

/* The device it was opened for ("0000:00:04.0"). */
const char *mpdp_pci_name(const struct mpdp_pci_handle *h);
enum mpdp_pci_kdrv mpdp_pci_kdrv(const struct mpdp_pci_handle *h);

/*
 * Primary: config space access, len 1, 2 or 4 bytes (or any length for
 * reads of the capability list), little-endian values as the device has
 * them. Returns 0 or -errno (-EIO on a short transfer, -EINVAL off the end
 * of the 4 KiB space).
 */
int mpdp_pci_config_read(struct mpdp_pci_handle *h, uint32_t off, void *buf, size_t len);
int mpdp_pci_config_write(struct mpdp_pci_handle *h, uint32_t off, const void *buf, size_t len);

/* Primary: set or clear Bus Master Enable in the command register. */
int mpdp_pci_bus_master(struct mpdp_pci_handle *h, bool on);

/* Primary: is BAR i an I/O BAR, and its length (0: the BAR is absent). */
bool mpdp_pci_bar_is_io(const struct mpdp_pci_handle *h, unsigned int bar);
uint64_t mpdp_pci_bar_len(const struct mpdp_pci_handle *h, unsigned int bar);

/*
 * Primary: map memory BAR i (the whole BAR, once; later calls return the
 * same mapping). Returns the address, or NULL with *rc (-EINVAL: I/O BAR or
 * absent; -errno from mmap) and one line in err.
 */
void *mpdp_pci_bar_map(struct mpdp_pci_handle *h, unsigned int bar, int *rc, char *err,
		       size_t err_size);

/*
 * Primary: read or write len (1, 2 or 4) bytes at off in BAR i, whatever
 * its kind: an I/O BAR through pread/pwrite on its fd, a memory BAR through
 * its mapping (volatile, one access of that width). Returns 0 or -errno.
 */
int mpdp_pci_bar_read(struct mpdp_pci_handle *h, unsigned int bar, uint64_t off, void *buf,
		      size_t len);
int mpdp_pci_bar_write(struct mpdp_pci_handle *h, unsigned int bar, uint64_t off,
		       const void *buf, size_t len);

/*
 * Primary: the fd through which BAR i is reached and the file offset where
 * the BAR starts in it (uio: the sysfs resource file, offset 0; vfio: the
 * device fd and the region's offset). The fd stays owned by the handle; a
 * driver exports it for its secondaries' doorbells (see the top). Returns
 * the fd or -errno (-EINVAL: no such BAR).
 */
int mpdp_pci_bar_fd(const struct mpdp_pci_handle *h, unsigned int bar, uint64_t *file_off);

/*
 * Walk the capability list in config space: the offset of the first
 * capability with id `cap_id` at or after offset `from` (0: from the
 * start), or 0 when there is none or the list is broken (a loop, an offset
 * outside 0x40..0xff). "After" is in list order, not numeric order (QEMU's
 * list runs downwards): `from` is a capability's offset (it is included)
 * or prev + 1 (the one after prev), so both cap_find(id, prev + 1) and
 * cap_find(id, next pointer of prev) find the next one. Primary.
 */
uint32_t mpdp_pci_cap_find(struct mpdp_pci_handle *h, uint8_t cap_id, uint32_t from);

/*
 * The same walk over a copy of config space (cfg[0..len), len <= 256), for
 * a driver that holds one already (one read instead of one per hop) or
 * read it from sysfs before opening (mpdp_pci_sysfs_config_read()). A
 * capability header past len ends the walk. Pure function, any process.
 */
uint32_t mpdp_pci_cap_find_in(const uint8_t *cfg, size_t len, uint8_t cap_id, uint32_t from);

/*
 * Primary, before opening: read the device's config space from its sysfs
 * "config" attribute (a read of an attribute file, like the bus scan; no
 * device node is opened, nothing is written). For decisions made before
 * probe (struct mpdp_eth_driver.pci_needs_pa). Returns 0 or -errno.
 */
int mpdp_pci_sysfs_config_read(const struct mpdp_pci_device *pdev, uint32_t off, void *buf,
			       size_t len);

#endif /* MPDP_PCI_H */
