/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_private.h - what pci_dev.c (the handle, uio and file-backed devices)
 * and pci_vfio.c (vfio-pci) share: the layout of struct mpdp_pci_handle.
 *
 * Everything here is process-local (fds, mappings) and belongs to the
 * primary that opened the device (mpdp_pci.h: a secondary never opens one).
 */
#ifndef PCI_PRIVATE_H
#define PCI_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mpdp/mpdp_pci.h>

/* Length of the config space we let drivers address (PCIe extended). */
#define PCI_CFG_SPACE_MAX 4096u

/* How a BAR's registers are reached. */
struct pci_bar {
	uint64_t len;      /* 0: absent */
	bool io;           /* an I/O BAR (pread/pwrite only) */
	bool mappable;     /* mmap() of the whole BAR is allowed */
	int fd;            /* uio: the resource file (owned); vfio: the device fd (not owned) */
	uint64_t file_off; /* where the BAR starts in fd */
	void *map;         /* the whole BAR once mapped, else NULL */
};

/* Where the handle's config space lives. */
enum pci_access {
	PCI_ACCESS_UIO,  /* sysfs config + resourceN of a device bound to a uio driver */
	PCI_ACCESS_FILE, /* a --sysfs-root test tree: plain files, no DMA */
	PCI_ACCESS_VFIO, /* a vfio-pci device fd */
};

struct pci_vfio_group;

struct mpdp_pci_handle {
	char name[MPDP_PCI_ADDR_SIZE];
	enum mpdp_pci_kdrv kdrv;
	enum pci_access access;
	int cfg_fd;       /* uio/file: the sysfs config file (owned); vfio: the device fd */
	uint64_t cfg_off; /* where config space starts in cfg_fd */
	uint64_t cfg_len; /* its length (256 or 4096; a file's size) */
	struct pci_bar bars[MPDP_PCI_MAX_BARS];
	/* vfio only */
	int vfio_dev_fd; /* owned; -1 otherwise */
	struct pci_vfio_group *vfio_group;
};

/*
 * vfio-pci (pci_vfio.c): join or create the process's container, join the
 * device's group, map the heap on the first device, get the device fd and
 * fill h->cfg_*, h->bars[] (fd, offset, len, mappable) and h->vfio_*.
 * Returns 0 or -errno with one line in err; on failure h holds nothing
 * that needs closing. Primary, serialised by the caller's lock.
 */
int pci_vfio_open(const struct mpdp_pci_device *pdev, struct mpdp_pci_handle *h, char *err,
		  size_t err_size);
/* Close the device fd and drop the group and container references. */
void pci_vfio_close(struct mpdp_pci_handle *h);

#endif /* PCI_PRIVATE_H */
