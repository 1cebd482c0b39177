/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_bus.h - where devices come from: the PCI bus (sysfs), the virtual
 * device bus (--vdev), device arguments, and the record of skipped devices.
 *
 * The primary scans the buses once in mpdp_init(), after the heap is up and
 * before secondaries can attach (DESIGN.md rule 3: a secondary never probes).
 * For every PCI device the bus itself decides whether it may be used, for
 * every driver alike (rule 4): a device that is not bound to vfio-pci,
 * uio_pci_generic or igb_uio is skipped with one log line naming the
 * device, its ids and its kernel driver, and is never opened, mapped or
 * written. So is a device excluded by -a/-b. Every skipped device is
 * recorded with its reason in shared memory ("mpdp.bus.skipped"), so tools
 * in any process can show what the primary did not use and why.
 *
 * Runtime options read by the buses (parsed by mpdp_init(), see
 * mpdp_usage()):
 *   --vdev 'NAME[,KEY=VAL,...]'   create a virtual device (repeatable)
 *   -a, --allow PCI_ADDR          use only the listed PCI devices (repeatable)
 *   -b, --block PCI_ADDR          never use this PCI device (repeatable)
 *   --sysfs-root DIR              read DIR/bus/pci/devices instead of
 *                                 /sys/bus/pci/devices (test trees)
 *   --no-pci                      do not scan the PCI bus
 */
#ifndef MPDP_BUS_H
#define MPDP_BUS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <mpdp/mpdp_common.h>

/* ---------------------------------------------------------------- devargs */

#define MPDP_DEVARGS_MAX_KV 16
#define MPDP_DEVARGS_KEY_SIZE 32
#define MPDP_DEVARGS_VALUE_SIZE 128
/* Longest --vdev string, NUL included. */
#define MPDP_DEVARGS_STR_SIZE 512

/*
 * A parsed device argument string "name,key=value,key=value". Process-local.
 * Keys are unique; values may be empty ("key=") but every key needs '='.
 */
struct mpdp_devargs {
	char name[MPDP_NAME_SIZE];
	unsigned int nb_kv;
	struct {
		char key[MPDP_DEVARGS_KEY_SIZE];
		char value[MPDP_DEVARGS_VALUE_SIZE];
	} kv[MPDP_DEVARGS_MAX_KV];
};

/*
 * Parse s into *da. On error returns -EINVAL (or -ENAMETOOLONG, -E2BIG) and
 * writes one line saying what was wrong into err (err_size bytes, may be 0);
 * *da is then unspecified. Errors: empty name, name too long or with
 * characters outside [A-Za-z0-9_.:-], a key without '=', an empty key, a
 * duplicate key, a key or value too long, more than MPDP_DEVARGS_MAX_KV
 * pairs. Pure function, any thread. The value runs from the first '=' to
 * the next ',' (so it may hold '=' and ':', never ','); an empty pair (",,"
 * or a trailing ',') is an error. -ENAMETOOLONG: name, key or value too
 * long; -E2BIG: too many pairs, or s longer than MPDP_DEVARGS_STR_SIZE - 1.
 */
int mpdp_devargs_parse(const char *s, struct mpdp_devargs *da, char *err, size_t err_size);

/* Value of key, or NULL when absent. */
const char *mpdp_devargs_get(const struct mpdp_devargs *da, const char *key);

/*
 * Unsigned value of key in [min, max], or def when absent. The value is
 * decimal or 0x-prefixed hex, nothing else (no sign, space, suffix; "" is
 * invalid). Returns 0, or -EINVAL with a line in err naming the device, key,
 * value and range (*out untouched).
 */
int mpdp_devargs_get_uint(const struct mpdp_devargs *da, const char *key, uint64_t min,
			  uint64_t max, uint64_t def, uint64_t *out, char *err, size_t err_size);

/*
 * -EINVAL with a line in err when da holds a key not in the NULL-terminated
 * list `known` (the line names the key and lists the accepted ones).
 */
int mpdp_devargs_check_keys(const struct mpdp_devargs *da, const char *const *known, char *err,
			    size_t err_size);

/* -------------------------------------------------------------------- PCI */

struct mpdp_pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t devid;
	uint8_t function;
};

/* "DDDD:BB:DD.F" plus NUL. */
#define MPDP_PCI_ADDR_SIZE 13

/* Parse "DDDD:BB:DD.F" or "BB:DD.F" (domain 0), hex. Returns 0 or -EINVAL. */
int mpdp_pci_addr_parse(const char *s, struct mpdp_pci_addr *addr);
/* Canonical "DDDD:BB:DD.F". */
void mpdp_pci_addr_format(char *buf, size_t size, const struct mpdp_pci_addr *addr);
int mpdp_pci_addr_cmp(const struct mpdp_pci_addr *a, const struct mpdp_pci_addr *b);

/* Wildcard for mpdp_pci_id fields. */
#define MPDP_PCI_ANY_ID 0xffff

struct mpdp_pci_id {
	uint16_t vendor;
	uint16_t device;
};

#define MPDP_PCI_MAX_BARS 6

/* Kernel drivers that hand a device to userspace. */
enum mpdp_pci_kdrv {
	MPDP_PCI_KDRV_NONE = 0,     /* no driver bound */
	MPDP_PCI_KDRV_OTHER,        /* a kernel driver that keeps the device (virtio-pci, ...) */
	MPDP_PCI_KDRV_VFIO,         /* vfio-pci */
	MPDP_PCI_KDRV_UIO_GENERIC,  /* uio_pci_generic */
	MPDP_PCI_KDRV_IGB_UIO,      /* igb_uio */
};

/*
 * One PCI device as read from sysfs. Process-local (it holds paths of this
 * machine); what the primary publishes for other processes is in the port
 * table and the skipped-device table, as data.
 */
struct mpdp_pci_device {
	struct mpdp_pci_addr addr;
	char name[MPDP_PCI_ADDR_SIZE];     /* "0000:00:04.0" */
	uint16_t vendor, device;
	uint16_t subsystem_vendor, subsystem_device;
	uint32_t class_id;                 /* 24 bits: class, subclass, prog-if */
	int numa_node;                     /* -1 when unknown */
	char kdrv_name[32];                /* "virtio-pci", "uio_pci_generic", "" */
	enum mpdp_pci_kdrv kdrv;
	struct {
		uint64_t phys_addr;
		uint64_t len;
		uint64_t flags;            /* from sysfs "resource": 0x100 I/O, 0x200 memory */
	} bars[MPDP_PCI_MAX_BARS];
	int uio_index;                     /* N of /dev/uioN, -1 when none */
	int iommu_group;                   /* /dev/vfio/N, -1 when none */
	char sysfs_path[PATH_MAX];         /* .../bus/pci/devices/0000:00:04.0 */
};

#define MPDP_PCI_BAR_IO  0x100
#define MPDP_PCI_BAR_MEM 0x200

/*
 * Read the devices under root/bus/pci/devices (root "" or NULL: "/sys"),
 * sorted by address, and call cb for each. Reads attribute files only: it
 * opens no device node and writes nothing. A device whose attributes cannot
 * be read is logged and left out. Returns the number of devices visited, the
 * non-zero value cb returned, or -errno when the directory cannot be read.
 * Any process (it is how tools and tests look at a tree), any thread.
 */
typedef int (*mpdp_pci_scan_cb_t)(const struct mpdp_pci_device *dev, void *arg);
int mpdp_pci_scan(const char *root, mpdp_pci_scan_cb_t cb, void *arg);

/*
 * True when pdev comes from a --sysfs-root test tree rather than this
 * machine's /sys: its config and resource<i> are plain files, a device that
 * does no DMA (any IOVA mode suits it). Pure function.
 */
bool mpdp_pci_device_is_file(const struct mpdp_pci_device *pdev);

/* Kernel driver name -> class (NONE for "", OTHER for anything unknown). */
enum mpdp_pci_kdrv mpdp_pci_kdrv_from_name(const char *name);

/* -------------------------------------------------------- skipped devices */

#define MPDP_BUS_SKIPPED_MAX 256
#define MPDP_BUS_REASON_SIZE 96

/* One device the primary found and did not use. A copy, process-local. */
struct mpdp_bus_skipped {
	char bus[8];                       /* "pci" or "vdev" */
	char name[MPDP_NAME_SIZE];         /* "0000:00:03.0" */
	uint16_t vendor, device;           /* PCI ids; 0 for vdev */
	uint32_t class_id;
	char kdrv_name[32];                /* kernel driver at scan time, "" if none */
	char reason[MPDP_BUS_REASON_SIZE]; /* "bound to kernel driver virtio-pci", ... */
};

/*
 * Call cb for every device the primary skipped, in scan order. Any process,
 * any thread, also while the primary is still adding entries (it sees a
 * prefix of the final list). Stops when cb returns non-zero and returns that
 * value, else the number visited; -ENODEV before mpdp_init() or when the
 * table is missing, -EPROTO when it has another layout, -ESHUTDOWN in a
 * secondary whose primary has left.
 */
typedef int (*mpdp_bus_skipped_cb_t)(const struct mpdp_bus_skipped *s, void *arg);
int mpdp_bus_skipped_walk(mpdp_bus_skipped_cb_t cb, void *arg);

/* ------------------------------ library-internal, used by lib/ethdev */

/*
 * Primary, while it probes: reserve the skipped-device table (memzone
 * "mpdp.bus.skipped", empty). Returns 0 (also when it exists already in this
 * instance) or -errno from mpdp_memzone_reserve() (logged).
 */
int mpdp_bus_skipped_init_(void);

/*
 * Primary: append a copy of *s (strings truncated to the table's sizes).
 * Readers in any process see it once this returns. Returns 0, -ENOSPC when
 * MPDP_BUS_SKIPPED_MAX entries are recorded (logged once per instance),
 * -ENODEV before mpdp_bus_skipped_init_(), -EINVAL for a NULL s.
 */
int mpdp_bus_skipped_add_(const struct mpdp_bus_skipped *s);

#endif /* MPDP_BUS_H */
