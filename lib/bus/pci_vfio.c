/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_vfio.c - devices bound to vfio-pci (mpdp_pci.h): the process's vfio
 * container, its IOMMU groups, the DMA mapping of the shared heap, and the
 * device fd whose regions are the BARs and config space.
 *
 *   container /dev/vfio/vfio   one per process: created by the first vfio
 *        |                     device opened, type-1 IOMMU (v2 if the kernel
 *        |                     has it), the heap mapped once (below); closed
 *        |                     by the last device closed, which drops every
 *        |                     mapping it made.
 *   group /dev/vfio/<N>        one fd per IOMMU group, shared by the devices
 *        |                     of that group that this process opened.
 *   device fd                  VFIO_GROUP_GET_DEVICE_FD(name): region i
 *                              (0..5) is BAR i, region 7 config space; each
 *                              at the file offset VFIO_DEVICE_GET_REGION_INFO
 *                              gives. mmap() where the region allows it,
 *                              pread/pwrite otherwise (I/O BARs).
 *
 * The heap in the IOMMU (mpdp_shm.h, IOVA modes):
 *   va: one mapping, vaddr = the heap base, IOVA 0, the whole heap, so the
 *       IOVA of a heap byte is its offset.
 *   pa: every run of physically contiguous heap pages at IOVA = its
 *       physical address (mpdp_mem_iova() per page). For devices whose DMA
 *       bypasses the IOMMU (legacy virtio) physical addresses are what they
 *       use anyway; the mappings make a device that does go through the IOMMU
 *       see the same addresses.
 *
 * Invariant: the container state is process-local and only touched under
 * pci_dev.c's pci_lock, by the primary (mpdp_pci_open() refuses a
 * secondary). The heap does not move or grow while the container lives.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <mpdp/mpdp_shm.h>

#include "bus_private.h"
#include "pci_private.h"

struct pci_vfio_group {
	int num; /* /dev/vfio/<num> */
	int fd;
	unsigned int refs; /* open devices of this group */
	struct pci_vfio_group *next;
};

/* One IOMMU mapping made by the container (to unmap it at the end). */
struct vfio_dma {
	uint64_t vaddr, iova, size;
};

static struct {
	int fd;            /* -1: no container */
	unsigned int refs; /* open vfio devices */
	bool iommu_set;    /* VFIO_SET_IOMMU done (needs a group first) */
	int iommu_type;    /* VFIO_TYPE1v2_IOMMU or VFIO_TYPE1_IOMMU */
	struct pci_vfio_group *groups;
	struct vfio_dma *dma;
	unsigned int nb_dma;
} vfio = { .fd = -1 };

/* ---- container --------------------------------------------------------------- */

static int container_create(const char *name, char *err, size_t err_size)
{
	int fd, ver, rc;

	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == EACCES || errno == EPERM ? -EPERM :
		     errno == ENOENT                   ? -ENODEV :
							 -errno;
		snprintf(err, err_size, "%s: cannot open /dev/vfio/vfio: %s%s", name,
			 strerror(errno),
			 rc == -EPERM  ? " (needs root)" :
			 rc == -ENODEV ? " (vfio not loaded?)" :
					 "");
		return rc;
	}
	ver = ioctl(fd, VFIO_GET_API_VERSION);
	if (ver != VFIO_API_VERSION) {
		snprintf(err, err_size, "%s: vfio API version %d, expected %d", name, ver,
			 VFIO_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0) {
		vfio.iommu_type = VFIO_TYPE1v2_IOMMU;
	} else if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0) {
		vfio.iommu_type = VFIO_TYPE1_IOMMU;
	} else {
		snprintf(err, err_size,
			 "%s: the vfio container supports no type-1 IOMMU "
			 "(is there an IOMMU, and vfio_iommu_type1?)",
			 name);
		close(fd);
		return -ENOTSUP;
	}
	vfio.fd = fd;
	vfio.iommu_set = false;
	return 0;
}

static void dma_unmap_all(void)
{
	for (unsigned int i = 0; i < vfio.nb_dma; i++) {
		struct vfio_iommu_type1_dma_unmap um = {
			.argsz = sizeof(um),
			.iova = vfio.dma[i].iova,
			.size = vfio.dma[i].size,
		};

		if (ioctl(vfio.fd, VFIO_IOMMU_UNMAP_DMA, &um) != 0)
			PCI_LOG(WARNING, "vfio: unmap of IOVA 0x%llx (+0x%llx) failed: %s",
				(unsigned long long)um.iova, (unsigned long long)um.size,
				strerror(errno));
	}
	free(vfio.dma);
	vfio.dma = NULL;
	vfio.nb_dma = 0;
}

static void container_destroy(void)
{
	if (vfio.fd < 0)
		return;
	dma_unmap_all();
	close(vfio.fd);
	vfio.fd = -1;
	vfio.iommu_set = false;
}

static int dma_map(uint64_t vaddr, uint64_t iova, uint64_t size, const char *name, char *err,
		   size_t err_size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = vaddr,
		.iova = iova,
		.size = size,
	};
	struct vfio_dma *d;

	d = realloc(vfio.dma, (vfio.nb_dma + 1) * sizeof(*d));
	if (d == NULL) {
		snprintf(err, err_size, "%s: out of memory", name);
		return -ENOMEM;
	}
	vfio.dma = d;
	if (ioctl(vfio.fd, VFIO_IOMMU_MAP_DMA, &m) != 0) {
		int rc = -errno;

		snprintf(err, err_size,
			 "%s: vfio DMA map of the heap (IOVA 0x%llx, 0x%llx bytes) failed: %s",
			 name, (unsigned long long)iova, (unsigned long long)size, strerror(-rc));
		return rc;
	}
	vfio.dma[vfio.nb_dma++] = (struct vfio_dma){ vaddr, iova, size };
	return 0;
}

/* Map the whole heap in the instance's IOVA mode (see the top). */
static int heap_map(const char *name, char *err, size_t err_size)
{
	struct mpdp_heap_info hi;
	uint64_t base, run_va = 0, run_iova = 0, run_len = 0;
	int rc = mpdp_heap_info(&hi);

	if (rc != 0) {
		snprintf(err, err_size, "%s: no shared heap to map for DMA (mpdp_init first)",
			 name);
		return -ENODEV;
	}
	base = (uint64_t)(uintptr_t)hi.base;
	if (mpdp_iova_mode() == MPDP_IOVA_VA) {
		rc = dma_map(base, 0, hi.len, name, err, err_size);
		if (rc == 0)
			PCI_LOG(INFO, "vfio: heap mapped at IOVA 0 (%zu bytes, mode va)", hi.len);
		return rc;
	}
	if (hi.page_size == 0 || hi.len % hi.page_size != 0) {
		snprintf(err, err_size,
			 "%s: heap length %zu is not a multiple of its page size %zu", name, hi.len,
			 hi.page_size);
		return -EINVAL;
	}
	for (size_t off = 0; off < hi.len; off += hi.page_size) {
		uint64_t iova = mpdp_mem_iova((const char *)hi.base + off);

		if (iova == UINT64_MAX) {
			snprintf(err, err_size, "%s: heap page at offset 0x%zx has no IOVA", name,
				 off);
			return -EINVAL;
		}
		if (run_len != 0 && iova == run_iova + run_len) {
			run_len += hi.page_size;
			continue;
		}
		if (run_len != 0) {
			rc = dma_map(run_va, run_iova, run_len, name, err, err_size);
			if (rc != 0)
				return rc;
		}
		run_va = base + off;
		run_iova = iova;
		run_len = hi.page_size;
	}
	if (run_len != 0) {
		rc = dma_map(run_va, run_iova, run_len, name, err, err_size);
		if (rc != 0)
			return rc;
	}
	PCI_LOG(INFO, "vfio: heap mapped at its physical addresses (%zu bytes in %u runs, mode pa)",
		hi.len, vfio.nb_dma);
	return 0;
}

/* ---- groups -------------------------------------------------------------------- */

/*
 * The devices of IOMMU group num not bound to vfio-pci, as "a, b" into buf
 * (for the error line). Best effort: an unreadable directory leaves buf "".
 */
static void group_others(int num, char *buf, size_t size)
{
	char path[128];
	DIR *d;
	struct dirent *e;
	size_t len = 0;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", num);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char link[PATH_MAX], target[PATH_MAX];
		const char *drv;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s/driver", path, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		drv = strrchr(target, '/');
		drv = drv != NULL ? drv + 1 : target;
		if (strcmp(drv, "vfio-pci") == 0)
			continue;
		n = snprintf(buf + len, size - len, "%s%s (%s)", len > 0 ? ", " : "", e->d_name,
			     drv[0] != '\0' ? drv : "no driver");
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	closedir(d);
}

/* The group of pdev, opened and in the container (one more reference). */
static int group_get(const struct mpdp_pci_device *pdev, struct pci_vfio_group **out, char *err,
		     size_t err_size)
{
	struct pci_vfio_group *g;
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64], others[256];
	int rc;

	if (pdev->iommu_group < 0) {
		snprintf(err, err_size, "%s: bound to vfio-pci but in no IOMMU group", pdev->name);
		return -ENODEV;
	}
	for (g = vfio.groups; g != NULL; g = g->next) {
		if (g->num == pdev->iommu_group) {
			g->refs++;
			*out = g;
			return 0;
		}
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		snprintf(err, err_size, "%s: out of memory", pdev->name);
		return -ENOMEM;
	}
	g->num = pdev->iommu_group;
	snprintf(path, sizeof(path), "/dev/vfio/%d", g->num);
	g->fd = open(path, O_RDWR | O_CLOEXEC);
	if (g->fd < 0) {
		int e = errno;

		rc = e == EACCES || e == EPERM ? -EPERM : e == ENOENT ? -ENODEV : -e;
		snprintf(err, err_size, "%s: cannot open %s: %s%s", pdev->name, path, strerror(e),
			 e == EBUSY   ? " (the group is used by another process)" :
			 rc == -EPERM ? " (needs root)" :
					"");
		goto err_free;
	}
	if (ioctl(g->fd, VFIO_GROUP_GET_STATUS, &st) != 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: VFIO_GROUP_GET_STATUS on %s: %s", pdev->name, path,
			 strerror(-rc));
		goto err_close;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		group_others(g->num, others, sizeof(others));
		snprintf(err, err_size,
			 "%s: IOMMU group %d is not viable: bind every device of the group to "
			 "vfio-pci%s%s",
			 pdev->name, g->num, others[0] != '\0' ? "; not on vfio-pci: " : "",
			 others);
		rc = -EBUSY;
		goto err_close;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET) &&
	    ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &vfio.fd) != 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: cannot add IOMMU group %d to the vfio container: %s",
			 pdev->name, g->num, strerror(-rc));
		goto err_close;
	}
	if (!vfio.iommu_set) {
		/* the IOMMU type is set once, after the first group joined */
		if (ioctl(vfio.fd, VFIO_SET_IOMMU, vfio.iommu_type) != 0) {
			rc = -errno;
			snprintf(err, err_size, "%s: VFIO_SET_IOMMU (type-1%s): %s", pdev->name,
				 vfio.iommu_type == VFIO_TYPE1v2_IOMMU ? "v2" : "", strerror(-rc));
			goto err_unset;
		}
		vfio.iommu_set = true;
		rc = heap_map(pdev->name, err, err_size);
		if (rc != 0)
			goto err_unset;
	}
	g->refs = 1;
	g->next = vfio.groups;
	vfio.groups = g;
	*out = g;
	return 0;

err_unset:
	/* the container goes too when this was its only group (the caller sees refs 0) */
	dma_unmap_all();
	ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
	if (vfio.groups == NULL)
		vfio.iommu_set = false;
err_close:
	close(g->fd);
err_free:
	free(g);
	return rc;
}

static void group_put(struct pci_vfio_group *g)
{
	struct pci_vfio_group **pp;

	if (g == NULL || --g->refs > 0)
		return;
	for (pp = &vfio.groups; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	if (vfio.groups == NULL)
		dma_unmap_all(); /* the mappings go before the last group leaves */
	ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
	close(g->fd);
	free(g);
}

/* ---- device ------------------------------------------------------------------ */

static int region_info(int fd, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri) == 0 ? 0 : -errno;
}

static int device_setup(const struct mpdp_pci_device *pdev, struct mpdp_pci_handle *h, char *err,
			size_t err_size)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	int fd = h->vfio_dev_fd, rc;

	if (ioctl(fd, VFIO_DEVICE_GET_INFO, &di) != 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: VFIO_DEVICE_GET_INFO: %s", pdev->name, strerror(-rc));
		return rc;
	}
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) || di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		snprintf(err, err_size, "%s: the vfio device is not a PCI device (%u regions)",
			 pdev->name, di.num_regions);
		return -ENODEV;
	}
	rc = region_info(fd, VFIO_PCI_CONFIG_REGION_INDEX, &ri);
	if (rc != 0 || ri.size == 0) {
		snprintf(err, err_size, "%s: no vfio config region: %s", pdev->name,
			 rc != 0 ? strerror(-rc) : "size 0");
		return rc != 0 ? rc : -ENODEV;
	}
	h->cfg_fd = fd;
	h->cfg_off = ri.offset;
	h->cfg_len = ri.size < PCI_CFG_SPACE_MAX ? ri.size : PCI_CFG_SPACE_MAX;

	for (unsigned int i = 0; i < MPDP_PCI_MAX_BARS; i++) {
		struct pci_bar *b = &h->bars[i];

		rc = region_info(fd, VFIO_PCI_BAR0_REGION_INDEX + i, &ri);
		if (rc != 0) {
			snprintf(err, err_size, "%s: VFIO_DEVICE_GET_REGION_INFO for BAR%u: %s",
				 pdev->name, i, strerror(-rc));
			return rc;
		}
		if (ri.size == 0)
			continue;
		b->fd = fd;
		b->file_off = ri.offset;
		b->len = ri.size;
		b->io = (pdev->bars[i].flags & MPDP_PCI_BAR_IO) != 0;
		b->mappable = !b->io && (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) != 0;
	}
	return 0;
}

int pci_vfio_open(const struct mpdp_pci_device *pdev, struct mpdp_pci_handle *h, char *err,
		  size_t err_size)
{
	bool created = false;
	int fd, rc;

	if (vfio.fd < 0) {
		rc = container_create(pdev->name, err, err_size);
		if (rc != 0)
			return rc;
		created = true;
	}
	rc = group_get(pdev, &h->vfio_group, err, err_size);
	if (rc != 0)
		goto err_container;
	fd = ioctl(h->vfio_group->fd, VFIO_GROUP_GET_DEVICE_FD, pdev->name);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: VFIO_GROUP_GET_DEVICE_FD: %s%s", pdev->name,
			 strerror(-rc), rc == -EBUSY ? " (the device is open elsewhere)" : "");
		goto err_group;
	}
	h->vfio_dev_fd = fd;
	rc = device_setup(pdev, h, err, err_size);
	if (rc != 0)
		goto err_device;
	vfio.refs++;
	return 0;

err_device:
	close(h->vfio_dev_fd);
	h->vfio_dev_fd = -1;
	h->cfg_fd = -1;
	for (unsigned int i = 0; i < MPDP_PCI_MAX_BARS; i++)
		h->bars[i].fd = -1;
err_group:
	group_put(h->vfio_group);
	h->vfio_group = NULL;
err_container:
	if (created || (vfio.refs == 0 && vfio.groups == NULL))
		container_destroy();
	return rc;
}

void pci_vfio_close(struct mpdp_pci_handle *h)
{
	if (h->vfio_dev_fd >= 0)
		close(h->vfio_dev_fd);
	h->vfio_dev_fd = -1;
	h->cfg_fd = -1;
	if (h->vfio_group == NULL)
		return; /* open failed before the group: nothing counted */
	group_put(h->vfio_group);
	h->vfio_group = NULL;
	if (vfio.refs > 0 && --vfio.refs == 0)
		container_destroy();
}
