/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bus_pci.c - PCI addresses and the sysfs scan.
 *
 * The scan reads what the kernel publishes under
 * ROOT/bus/pci/devices/<addr>/ (each entry a symlink to the device's
 * directory): the id and class files, numa_node, the "resource" table of
 * BARs, the name of the bound kernel driver (the "driver" symlink), the uio
 * instance (uio/uioN) and the IOMMU group (the "iommu_group" symlink). It
 * only ever opens those attribute files and directories, read-only: never
 * "config", "resourceN" or a device node, so scanning a device that a kernel
 * driver owns cannot disturb it (DESIGN.md rule 4 decides, later, whether the
 * device may be used at all).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpdp/mpdp_bus.h>

#include "bus_private.h"

/* ---- addresses ----------------------------------------------------------- */

/* Parse 1..4 hex digits at *p, advancing it; *digits says how many. */
static int hex_field(const char **p, uint32_t *out, unsigned int *digits)
{
	uint32_t v = 0;
	unsigned int n = 0;

	while (isxdigit((unsigned char)**p)) {
		int c = tolower((unsigned char)**p);

		if (++n > 4)
			return -EINVAL;
		v = v * 16 + (uint32_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
		(*p)++;
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	*digits = n;
	return 0;
}

int mpdp_pci_addr_parse(const char *s, struct mpdp_pci_addr *addr)
{
	/* digits allowed per field: domain, bus, device, function */
	static const unsigned int max_digits[4] = { 4, 2, 2, 1 };
	uint32_t f[4];
	unsigned int digits[4], nf = 0;
	const char *p = s;

	if (s == NULL || addr == NULL)
		return -EINVAL;
	/* [DDDD:]BB:DD.F: fields up to the '.', then the function */
	for (;;) {
		if (nf == 3 || hex_field(&p, &f[nf], &digits[nf]) != 0)
			return -EINVAL;
		nf++;
		if (*p == ':') {
			p++;
			continue;
		}
		if (*p != '.' || nf < 2)
			return -EINVAL;
		p++;
		if (hex_field(&p, &f[nf], &digits[nf]) != 0 || *p != '\0')
			return -EINVAL;
		nf++;
		break;
	}
	if (nf == 3) { /* BB:DD.F: domain 0 */
		for (unsigned int i = 3; i > 0; i--) {
			f[i] = f[i - 1];
			digits[i] = digits[i - 1];
		}
		f[0] = 0;
		digits[0] = 1;
	}
	for (unsigned int i = 0; i < 4; i++)
		if (digits[i] > max_digits[i])
			return -EINVAL;
	if (f[2] > 0x1f || f[3] > 7)
		return -EINVAL;
	addr->domain = f[0];
	addr->bus = (uint8_t)f[1];
	addr->devid = (uint8_t)f[2];
	addr->function = (uint8_t)f[3];
	return 0;
}

void mpdp_pci_addr_format(char *buf, size_t size, const struct mpdp_pci_addr *addr)
{
	/* the ranges mpdp_pci_addr_parse() accepts, so the name fits MPDP_PCI_ADDR_SIZE */
	snprintf(buf, size, "%04x:%02x:%02x.%x", (unsigned int)(addr->domain & 0xffff),
		 (unsigned int)addr->bus, (unsigned int)(addr->devid & 0x1f),
		 (unsigned int)(addr->function & 7));
}

int mpdp_pci_addr_cmp(const struct mpdp_pci_addr *a, const struct mpdp_pci_addr *b)
{
	uint64_t x = ((uint64_t)a->domain << 24) | ((uint64_t)a->bus << 16) |
		     ((uint64_t)a->devid << 8) | a->function;
	uint64_t y = ((uint64_t)b->domain << 24) | ((uint64_t)b->bus << 16) |
		     ((uint64_t)b->devid << 8) | b->function;

	return x < y ? -1 : x > y ? 1 : 0;
}

enum mpdp_pci_kdrv mpdp_pci_kdrv_from_name(const char *name)
{
	if (name == NULL || name[0] == '\0')
		return MPDP_PCI_KDRV_NONE;
	if (strcmp(name, "vfio-pci") == 0)
		return MPDP_PCI_KDRV_VFIO;
	if (strcmp(name, "uio_pci_generic") == 0)
		return MPDP_PCI_KDRV_UIO_GENERIC;
	if (strcmp(name, "igb_uio") == 0)
		return MPDP_PCI_KDRV_IGB_UIO;
	return MPDP_PCI_KDRV_OTHER;
}

/* ---- attribute files ------------------------------------------------------ */

/*
 * Read the small attribute file dfd/name into buf, NUL-terminated, trailing
 * white space removed. Returns 0 or -errno; -EFBIG when it does not fit, buf
 * then holds (terminated) what fitted.
 */
static int attr_read(int dfd, const char *name, char *buf, size_t size)
{
	ssize_t n;
	size_t len = 0;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	int rc = 0;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1) {
			char extra;

			/* a full buffer is fine only at end of file */
			n = read(fd, &extra, 1);
			if (n != 0)
				rc = n < 0 ? -errno : -EFBIG;
			break;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (rc != 0)
		return rc;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	return 0;
}

/* A whole hex number, with or without 0x, at most max. */
static int parse_hex(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (bus_parse_digits(s, 16, &v) != 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Hex attribute. Returns 0, -ENOENT (missing), -EINVAL (garbage) or -errno. */
static int attr_hex(int dfd, const char *name, uint64_t max, uint64_t *out, char *text,
		    size_t text_size)
{
	int rc = attr_read(dfd, name, text, text_size);

	if (rc != 0)
		return rc;
	return parse_hex(text, max, out);
}

/* Basename of the symlink dfd/name into buf; -ENOENT when there is none. */
static int link_base(int dfd, const char *name, char *buf, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	base = strrchr(target, '/');
	base = base != NULL ? base + 1 : target;
	if (base[0] == '\0')
		return -EINVAL;
	if ((size_t)snprintf(buf, size, "%s", base) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* A decimal int in [lo, hi] (lo >= -1), the whole string. */
static int parse_int(const char *s, long lo, long hi, int *out)
{
	uint64_t v;

	if (strcmp(s, "-1") == 0 && lo <= -1) {
		*out = -1;
		return 0;
	}
	if (bus_parse_digits(s, 10, &v) != 0 || (long long)v < lo || v > (uint64_t)hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/*
 * The "resource" file: one line per resource, "0xSTART 0xEND 0xFLAGS", the
 * first six being the BARs. A BAR that is not implemented reads as zeros.
 */
static int read_bars(int dfd, struct mpdp_pci_device *dev)
{
	char buf[2048];
	const char *p = buf;
	int rc = attr_read(dfd, "resource", buf, sizeof(buf));

	if (rc == -EFBIG)
		rc = 0; /* longer than the six BAR lines we read (SR-IOV, bridges): fine */
	if (rc != 0)
		return rc;
	for (unsigned int i = 0; i < MPDP_PCI_MAX_BARS; i++) {
		unsigned long long v[3];
		char *end;

		for (unsigned int j = 0; j < 3; j++) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!isxdigit((unsigned char)*p))
				return -EINVAL;
			errno = 0;
			v[j] = strtoull(p, &end, 16);
			if (errno != 0 || end == p)
				return -EINVAL;
			p = end;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\n' && !(*p == '\0' && i == MPDP_PCI_MAX_BARS - 1))
			return -EINVAL;
		if (*p == '\n')
			p++;
		dev->bars[i].flags = v[2];
		if (v[0] != 0 && v[1] >= v[0]) {
			dev->bars[i].phys_addr = v[0];
			dev->bars[i].len = v[1] - v[0] + 1;
		}
	}
	return 0;
}

/* The N of the uio/uioN directory, or -1 when there is none. */
static int read_uio_index(int dfd)
{
	int fd = openat(dfd, "uio", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	int index = -1;
	DIR *d;

	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		int n;

		if (strncmp(e->d_name, "uio", 3) == 0 &&
		    parse_int(e->d_name + 3, 0, 1 << 20, &n) == 0 && (index < 0 || n < index))
			index = n;
	}
	closedir(d);
	return index;
}

/*
 * Fill *dev from the device directory dfd. Returns 0, or -errno with the
 * device logged when it cannot be used (mandatory attributes missing or
 * garbage).
 */
static int read_device(int dfd, struct mpdp_pci_device *dev)
{
	static const struct {
		const char *file;
		uint64_t max;
		int mandatory;
	} ids[] = {
		{ "vendor", 0xffff, 1 },           { "device", 0xffff, 1 },
		{ "class", 0xffffff, 1 },          { "subsystem_vendor", 0xffff, 0 },
		{ "subsystem_device", 0xffff, 0 },
	};
	uint64_t v[MPDP_DIM(ids)];
	char text[64];
	int rc;

	for (unsigned int i = 0; i < MPDP_DIM(ids); i++) {
		text[0] = '\0';
		rc = attr_hex(dfd, ids[i].file, ids[i].max, &v[i], text, sizeof(text));
		if (rc == 0)
			continue;
		v[i] = 0;
		if (ids[i].mandatory) {
			if (rc == -EINVAL)
				PCI_LOG(WARNING,
					"%s: left out: %s is '%s', not a hex number up to 0x%llx",
					dev->name, ids[i].file, text,
					(unsigned long long)ids[i].max);
			else
				PCI_LOG(WARNING, "%s: left out: cannot read %s: %s", dev->name,
					ids[i].file, strerror(-rc));
			return rc;
		}
		if (rc != -ENOENT)
			PCI_LOG(WARNING, "%s: %s unreadable or garbage ('%s'), using 0", dev->name,
				ids[i].file, text);
	}
	dev->vendor = (uint16_t)v[0];
	dev->device = (uint16_t)v[1];
	dev->class_id = (uint32_t)v[2];
	dev->subsystem_vendor = (uint16_t)v[3];
	dev->subsystem_device = (uint16_t)v[4];

	/* optional from here on: a missing or odd value gets its default */
	dev->numa_node = -1;
	rc = attr_read(dfd, "numa_node", text, sizeof(text));
	if (rc == 0 && parse_int(text, -1, 1 << 16, &dev->numa_node) != 0) {
		PCI_LOG(WARNING, "%s: numa_node is '%s', using -1", dev->name, text);
		dev->numa_node = -1;
	}

	rc = read_bars(dfd, dev);
	if (rc != 0 && rc != -ENOENT) {
		PCI_LOG(WARNING, "%s: cannot parse resource (%s), no BARs recorded", dev->name,
			strerror(-rc));
		memset(dev->bars, 0, sizeof(dev->bars));
	}

	rc = link_base(dfd, "driver", dev->kdrv_name, sizeof(dev->kdrv_name));
	if (rc == -ENAMETOOLONG) {
		/* kept truncated; a driver we cannot name in full is none of ours */
		dev->kdrv = MPDP_PCI_KDRV_OTHER;
	} else {
		if (rc != 0 && rc != -ENOENT)
			PCI_LOG(WARNING,
				"%s: cannot read the driver link (%s), taking it as unbound",
				dev->name, strerror(-rc));
		if (rc != 0)
			dev->kdrv_name[0] = '\0';
		dev->kdrv = mpdp_pci_kdrv_from_name(dev->kdrv_name);
	}

	dev->uio_index = read_uio_index(dfd);

	dev->iommu_group = -1;
	rc = link_base(dfd, "iommu_group", text, sizeof(text));
	if (rc == 0 && parse_int(text, 0, 1 << 30, &dev->iommu_group) != 0) {
		PCI_LOG(WARNING, "%s: iommu_group links to '%s', not a number", dev->name, text);
		dev->iommu_group = -1;
	}
	return 0;
}

/* ---- the scan ------------------------------------------------------------- */

struct scan_entry {
	struct mpdp_pci_addr addr;
	char dname[256]; /* the directory entry, as the kernel named it */
};

static int entry_cmp(const void *a, const void *b)
{
	return mpdp_pci_addr_cmp(&((const struct scan_entry *)a)->addr,
				 &((const struct scan_entry *)b)->addr);
}

/* List dir's PCI addresses, sorted. Returns the count or -errno; *out is malloc'd. */
static int list_devices(const char *dir, struct scan_entry **out)
{
	struct scan_entry *list = NULL, *bigger;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;

	if (d == NULL)
		return -errno;
	for (;;) {
		struct mpdp_pci_addr addr;

		errno = 0;
		e = readdir(d);
		if (e == NULL) {
			rc = -errno;
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		if (mpdp_pci_addr_parse(e->d_name, &addr) != 0) {
			PCI_LOG(WARNING, "%s/%s: left out: not a PCI address DDDD:BB:DD.F", dir,
				e->d_name);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			bigger = realloc(list, cap * sizeof(*list));
			if (bigger == NULL) {
				rc = -ENOMEM;
				break;
			}
			list = bigger;
		}
		list[n].addr = addr;
		snprintf(list[n].dname, sizeof(list[n].dname), "%s", e->d_name);
		n++;
	}
	closedir(d);
	if (rc != 0) {
		free(list);
		return rc;
	}
	if (n > 0)
		qsort(list, n, sizeof(*list), entry_cmp);
	*out = list;
	return (int)n;
}

int mpdp_pci_scan(const char *root, mpdp_pci_scan_cb_t cb, void *arg)
{
	struct mpdp_pci_device dev;
	struct scan_entry *list = NULL;
	char dir[PATH_MAX];
	int n, visited = 0, rc = 0;

	if (root == NULL || root[0] == '\0')
		root = "/sys";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/bus/pci/devices", root) >= sizeof(dir))
		return -ENAMETOOLONG;
	n = list_devices(dir, &list);
	if (n < 0)
		return n;

	for (int i = 0; i < n && rc == 0; i++) {
		int dfd;

		memset(&dev, 0, sizeof(dev));
		dev.addr = list[i].addr;
		mpdp_pci_addr_format(dev.name, sizeof(dev.name), &dev.addr);
		if ((size_t)snprintf(dev.sysfs_path, sizeof(dev.sysfs_path), "%s/%s", dir,
				     list[i].dname) >= sizeof(dev.sysfs_path)) {
			PCI_LOG(WARNING, "%s: left out: path too long", dev.name);
			continue;
		}
		/* follows the bus/pci/devices symlink to the device's directory */
		dfd = open(dev.sysfs_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			PCI_LOG(WARNING, "%s: left out: cannot open %s: %s", dev.name,
				dev.sysfs_path, strerror(errno));
			continue;
		}
		if (read_device(dfd, &dev) == 0) {
			visited++;
			if (cb != NULL)
				rc = cb(&dev, arg);
		}
		close(dfd);
	}
	free(list);
	return rc != 0 ? rc : visited;
}

bool mpdp_pci_device_is_file(const struct mpdp_pci_device *pdev)
{
	return strncmp(pdev->sysfs_path, "/sys/", 5) != 0;
}
