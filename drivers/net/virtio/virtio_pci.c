/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_pci.c - the virtio PCI transports of the virtio-net driver:
 * net_virtio, for 1af4:1000 (transitional) and 1af4:1041 (modern) devices
 * bound to uio_pci_generic, igb_uio or vfio-pci (the bus checked that).
 *
 * Which interface: 1af4:1041 is driven through its virtio 1.x capabilities
 * (common, notify, isr and device configuration in memory BARs: transport
 * PCI_MODERN); 1af4:1000 the same way when it has those capabilities, else
 * through the legacy registers in I/O BAR0 (PCI_LEGACY). A legacy device's
 * DMA bypasses any IOMMU, so it needs IOVA mode PA (pci_needs_pa); a modern
 * one on vfio in IOVA mode VA needs ACCESS_PLATFORM (QEMU: iommu_platform=on),
 * else its DMA bypasses the IOMMU too and the probe refuses it.
 *
 * Who touches what (DESIGN.md rule 3):
 *   - the primary owns the device: probe (reset, ACKNOWLEDGE | DRIVER,
 *     features, queue sizes, MAC), start (program the rings, bus master on,
 *     DRIVER_OK), the link (config status), close and shutdown (reset, bus
 *     master off, mpdp_pci_close). All of it is in struct vp_state, which
 *     exists in the primary only (priv->tp) and is used under its mutex.
 *   - every process, the primary included, rings a doorbell through the
 *     fd the primary exports under fd index VP_DB_FD_INDEX (0): the fd of
 *     the BAR that holds the doorbells (uio: the sysfs resource file; vfio:
 *     the device fd), and the file offset published per vring as data
 *     (vio_vq_shm.notify_off). Legacy: pwrite() of the u16 vring index at
 *     that offset. Modern: a u16 store into a mapping of just the page that
 *     holds the doorbell. Nothing else of the device is reachable from a
 *     secondary: no function pointer, fd or address is in shared memory.
 *
 * Start and stop: the rings are programmed and DRIVER_OK set at the first
 * start; stop only takes the link down (bursts return 0, the rings stay as
 * they are); a later start finds the device running and brings the link up
 * again. If a queue is set up again after the device ran, the core first
 * quiesces us (reset: the device lets go of the rings), and the next start
 * initialises the device from scratch, every ring it had used afresh.
 *
 * One queue pair: no CTRL_VQ, no MQ.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp_ctrl.h>
#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_pci.h>
#include <mpdp/mpdp_shm.h>

#include "virtio_pci_regs.h"
#include "virtio_priv.h"

#define VP_DRIVER_NAME      "net_virtio"
#define VP_DB_FD_INDEX      0u   /* the doorbell BAR's fd, exported under this index */
#define VP_LINK_POLL_MS     1000 /* the primary's link check on the control thread */
#define VP_RESET_WAIT_MS    1000 /* modern: status reads back 0 within this */
#define VP_QSIZE_LEGACY_MAX 32768u

/* What the driver asks for; VERSION_1 and ACCESS_PLATFORM added for modern. */
#define VP_FEATURES_BASE                                                                      \
	(MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MAC) | MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_STATUS) | \
	 MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF) | MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_EVENT_IDX))

/* A register window: BAR bar, from off, len bytes. */
struct vp_region {
	unsigned int bar;
	uint32_t off;
	uint32_t len;
};

/* The primary's device state, process-local (priv->tp). */
struct vp_state {
	pthread_mutex_t mu; /* everything below; register sequences too */
	struct mpdp_eth_dev *dev;
	struct mpdp_pci_handle *h;
	bool modern;
	struct vp_region common; /* legacy: BAR0 from 0 */
	struct vp_region notify;
	struct vp_region devcfg; /* virtio-net config */
	uint32_t notify_mult;
	bool live;    /* DRIVER_OK set, rings programmed */
	bool started; /* the port is started: link may be up */
	bool closing;
	bool written; /* we wrote a register: at the end, reset and bus master off */
	uint32_t prog_gen[VIO_MAX_VRINGS]; /* setup_gen of each vring when programmed */
	int timer_fd;
	struct mpdp_ctrl_watch *timer_watch;
	char name[MPDP_NAME_SIZE];
};

/* ------------------------------------------------------------ registers */

static int rd(struct vp_state *st, const struct vp_region *r, uint32_t off, void *buf, size_t len)
{
	return mpdp_pci_bar_read(st->h, r->bar, (uint64_t)r->off + off, buf, len);
}

static int wr(struct vp_state *st, const struct vp_region *r, uint32_t off, const void *buf,
	      size_t len)
{
	st->written = true;
	return mpdp_pci_bar_write(st->h, r->bar, (uint64_t)r->off + off, buf, len);
}

static int wr8(struct vp_state *st, const struct vp_region *r, uint32_t off, uint8_t v)
{
	return wr(st, r, off, &v, 1);
}

static int wr16(struct vp_state *st, const struct vp_region *r, uint32_t off, uint16_t v)
{
	return wr(st, r, off, &v, 2);
}

static int wr32(struct vp_state *st, const struct vp_region *r, uint32_t off, uint32_t v)
{
	return wr(st, r, off, &v, 4);
}

static uint32_t status_reg(const struct vp_state *st)
{
	return st->modern ? VPM_STATUS : VPL_STATUS;
}

static int status_get(struct vp_state *st, uint8_t *s)
{
	return rd(st, &st->common, status_reg(st), s, 1);
}

/* Write the device status, and mirror it for xstats (device_status). */
static int status_set(struct vp_state *st, uint8_t s)
{
	int rc = wr8(st, &st->common, status_reg(st), s);

	if (rc == 0 && st->dev != NULL && st->dev->priv != NULL)
		atomic_store_explicit(&((struct vio_priv *)st->dev->priv)->pmd->status, s,
				      memory_order_relaxed);
	return rc;
}

/* Reset: status 0; modern: read back until 0 (bounded). */
static int dev_reset(struct vp_state *st)
{
	uint8_t s = 0xff;
	int rc = status_set(st, 0);

	if (rc != 0 || !st->modern)
		return rc;
	for (unsigned int i = 0; i < VP_RESET_WAIT_MS; i++) {
		rc = status_get(st, &s);
		if (rc != 0 || s == 0)
			return rc;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return -ETIMEDOUT;
}

static int features_get(struct vp_state *st, uint64_t *f)
{
	uint32_t lo = 0, hi = 0;
	int rc;

	if (!st->modern) {
		rc = rd(st, &st->common, VPL_DEVICE_FEATURES, &lo, 4);
	} else {
		rc = wr32(st, &st->common, VPM_DFSELECT, 0);
		if (rc == 0)
			rc = rd(st, &st->common, VPM_DF, &lo, 4);
		if (rc == 0)
			rc = wr32(st, &st->common, VPM_DFSELECT, 1);
		if (rc == 0)
			rc = rd(st, &st->common, VPM_DF, &hi, 4);
	}
	*f = (uint64_t)hi << 32 | lo;
	return rc;
}

static int features_set(struct vp_state *st, uint64_t f)
{
	int rc;

	if (!st->modern)
		return wr32(st, &st->common, VPL_GUEST_FEATURES, (uint32_t)f);
	rc = wr32(st, &st->common, VPM_GFSELECT, 0);
	if (rc == 0)
		rc = wr32(st, &st->common, VPM_GF, (uint32_t)f);
	if (rc == 0)
		rc = wr32(st, &st->common, VPM_GFSELECT, 1);
	if (rc == 0)
		rc = wr32(st, &st->common, VPM_GF, (uint32_t)(f >> 32));
	return rc;
}

static int queue_select(struct vp_state *st, uint16_t v)
{
	return wr16(st, &st->common, st->modern ? VPM_Q_SELECT : VPL_QUEUE_SEL, v);
}

/* The selected queue's size: legacy fixed, modern the maximum. */
static int queue_size_get(struct vp_state *st, uint16_t *n)
{
	return rd(st, &st->common, st->modern ? VPM_Q_SIZE : VPL_QUEUE_NUM, n, 2);
}

/*
 * Bytes of the virtio-net config; modern reads repeat until the config
 * generation is stable (a multi-byte field changed under us otherwise).
 */
static int devcfg_read(struct vp_state *st, uint32_t off, void *buf, size_t len)
{
	uint8_t *b = buf;

	for (unsigned int tries = 0; tries < 16; tries++) {
		uint8_t g0 = 0, g1 = 0;
		int rc = 0;

		if (st->modern)
			rc = rd(st, &st->common, VPM_CFG_GEN, &g0, 1);
		for (size_t i = 0; rc == 0 && i < len; i++)
			rc = rd(st, &st->devcfg, off + (uint32_t)i, b + i, 1);
		if (rc == 0 && st->modern)
			rc = rd(st, &st->common, VPM_CFG_GEN, &g1, 1);
		if (rc != 0 || g0 == g1)
			return rc;
	}
	return -EAGAIN;
}

/* ------------------------------------------------------------ capabilities */

/*
 * The offsets of the first virtio vendor capability of each type 1..4 in a
 * 256-byte config space copy (0 if none), walked by lib/bus
 * (mpdp_pci_cap_find_in: loops and stray offsets end it). Returns how many
 * of the four were found.
 */
static unsigned int caps_find(const uint8_t cfg[256], uint32_t at[5])
{
	unsigned int found = 0;

	memset(at, 0, 5 * sizeof(at[0]));
	for (uint32_t off = mpdp_pci_cap_find_in(cfg, 256, MPDP_PCI_CAP_ID_VNDR, 0);
	     off != 0 && off + VPM_CAP_LEN_MIN + 4 <= 256; /* the notify cap is 20 bytes */
	     off = mpdp_pci_cap_find_in(cfg, 256, MPDP_PCI_CAP_ID_VNDR, off + 1)) {
		uint8_t type = cfg[off + VPM_CAP_CFG_TYPE];

		if (cfg[off + 2] >= VPM_CAP_LEN_MIN && type >= VPM_CFG_COMMON &&
		    type <= VPM_CFG_DEVICE && at[type] == 0 &&
		    cfg[off + VPM_CAP_BAR] < MPDP_PCI_MAX_BARS) {
			at[type] = off;
			found++;
		}
	}
	return found;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Primary probe: find the interface. Modern: the four windows, each inside
 * its memory BAR (lib/bus maps it at the first access, or reads and writes
 * the region when it cannot be mapped). Legacy: BAR0 an I/O BAR holding the registers.
 */
static int transport_find(struct vp_state *st, const struct mpdp_pci_device *pdev, char *err,
			  size_t err_size)
{
	uint8_t cfg[256];
	uint32_t at[5];
	unsigned int n;
	int rc;

	rc = mpdp_pci_config_read(st->h, 0, cfg, sizeof(cfg));
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot read config space: %s", pdev->name,
			 strerror(-rc));
		return rc;
	}
	n = caps_find(cfg, at);
	if (n == 4) {
		struct vp_region *win[5] = { NULL, &st->common, &st->notify, NULL, &st->devcfg };
		struct vp_region isr;
		uint32_t need[5] = { 0, VPM_COMMON_LEN, 2, 1, VNET_CFG_LEN };

		win[VPM_CFG_ISR] = &isr;
		for (unsigned int t = VPM_CFG_COMMON; t <= VPM_CFG_DEVICE; t++) {
			const uint8_t *c = cfg + at[t];
			struct vp_region *r = win[t];

			r->bar = c[VPM_CAP_BAR];
			r->off = le32_at(c + VPM_CAP_OFFSET);
			r->len = le32_at(c + VPM_CAP_LENGTH);
			if (mpdp_pci_bar_is_io(st->h, r->bar) || r->len < need[t] ||
			    (uint64_t)r->off + r->len > mpdp_pci_bar_len(st->h, r->bar)) {
				snprintf(err, err_size,
					 "%s: virtio capability %u (BAR %u, offset %#x, length %u) "
					 "is not inside a memory BAR",
					 pdev->name, t, r->bar, r->off, r->len);
				return -EINVAL;
			}
		}
		if (cfg[at[VPM_CFG_NOTIFY] + 2] < VPM_CAP_NOTIFY_MULT + 4) {
			snprintf(err, err_size, "%s: the notify capability is too short",
				 pdev->name);
			return -EINVAL;
		}
		st->notify_mult = le32_at(cfg + at[VPM_CFG_NOTIFY] + VPM_CAP_NOTIFY_MULT);
		st->modern = true;
		return 0;
	}
	if (pdev->device == VP_DEVICE_NET_MODERN) {
		snprintf(err, err_size,
			 "%s: modern virtio-net without the virtio capabilities "
			 "(common, notify, isr, device: %u of 4 found)",
			 pdev->name, n);
		return -EINVAL;
	}
	if (!mpdp_pci_bar_is_io(st->h, 0) ||
	    mpdp_pci_bar_len(st->h, 0) < VPL_DEVICE_CFG + VNET_CFG_LEN) {
		snprintf(err, err_size,
			 "%s: legacy virtio needs its registers in I/O BAR0, which this device "
			 "does not have (%s, %" PRIu64 " bytes)",
			 pdev->name, mpdp_pci_bar_is_io(st->h, 0) ? "I/O" : "memory or absent",
			 mpdp_pci_bar_len(st->h, 0));
		return -ENODEV;
	}
	st->modern = false;
	st->common = (struct vp_region){ .bar = 0, .off = 0, .len = VPL_DEVICE_CFG };
	st->notify = (struct vp_region){ .bar = 0, .off = VPL_QUEUE_NOTIFY, .len = 2 };
	st->devcfg = (struct vp_region){ .bar = 0, .off = VPL_DEVICE_CFG, .len = VNET_CFG_LEN };
	st->notify_mult = 0;
	return 0;
}

/* ------------------------------------------------------------ device set-up */

/*
 * Primary, under mu: bring the device from reset to FEATURES_OK with the
 * features f (legacy: no FEATURES_OK). Returns 0 or -errno, why in err.
 */
static int dev_negotiate(struct vp_state *st, uint64_t f, char *err, size_t err_size)
{
	uint64_t offered;
	uint8_t s = 0;
	int rc;

	rc = dev_reset(st);
	if (rc == -ETIMEDOUT) {
		snprintf(err, err_size, "the device did not reset within %d ms", VP_RESET_WAIT_MS);
		return rc;
	}
	if (rc == 0)
		rc = status_set(st, MPDP_VIRTIO_STATUS_ACKNOWLEDGE);
	if (rc == 0)
		rc = status_set(st, MPDP_VIRTIO_STATUS_ACKNOWLEDGE | MPDP_VIRTIO_STATUS_DRIVER);
	if (rc == 0)
		rc = features_get(st, &offered);
	if (rc != 0)
		goto err_io;
	if ((offered & f) != f) {
		char fs[128];

		vio_features_str(f & ~offered, fs, sizeof(fs));
		snprintf(err, err_size, "the device no longer offers %s", fs);
		return -EPROTO;
	}
	rc = features_set(st, f);
	if (rc != 0)
		goto err_io;
	if (!st->modern)
		return 0;
	rc = status_set(st, MPDP_VIRTIO_STATUS_ACKNOWLEDGE | MPDP_VIRTIO_STATUS_DRIVER |
				    MPDP_VIRTIO_STATUS_FEATURES_OK);
	if (rc == 0)
		rc = status_get(st, &s);
	if (rc != 0)
		goto err_io;
	if (!(s & MPDP_VIRTIO_STATUS_FEATURES_OK)) {
		snprintf(err, err_size, "the device refused the features (FEATURES_OK not kept)");
		(void)status_set(st, MPDP_VIRTIO_STATUS_FAILED);
		return -EPROTO;
	}
	return 0;
err_io:
	snprintf(err, err_size, "register access failed: %s", strerror(-rc));
	return rc;
}

/* Primary, under mu: the device address of a ring part (in the heap). */
static uint64_t ring_iova(mpdp_shm_off_t off)
{
	return mpdp_mem_iova(mpdp_shm_ptr(off));
}

/*
 * Primary, under mu, port stopped: program every vring, bus master on,
 * DRIVER_OK. The device was just negotiated (dev_negotiate).
 */
static int dev_program(struct vp_state *st, struct vio_port_shm *pmd, char *err, size_t err_size)
{
	uint8_t s = MPDP_VIRTIO_STATUS_ACKNOWLEDGE | MPDP_VIRTIO_STATUS_DRIVER |
		    (st->modern ? MPDP_VIRTIO_STATUS_FEATURES_OK : 0);
	int rc = 0;

	for (uint16_t v = 0; rc == 0 && v < 2 * pmd->nb_qpairs; v++) {
		const struct vio_vq_shm *vs = &pmd->vq[v];
		uint64_t desc = ring_iova(vs->desc_off);
		uint16_t n = 0;

		rc = queue_select(st, v);
		if (rc != 0)
			break;
		if (!st->modern) {
			rc = queue_size_get(st, &n);
			if (rc == 0 && n != pmd->queue_size) {
				snprintf(err, err_size, "vring %u: size %u, not %u as at probe", v,
					 n, pmd->queue_size);
				return -EPROTO;
			}
			if (rc == 0)
				rc = wr32(st, &st->common, VPL_QUEUE_PFN,
					  (uint32_t)(desc >> VPL_PFN_SHIFT));
			continue;
		}
		uint64_t avail = ring_iova(vs->avail_off), used = ring_iova(vs->used_off);

		rc = wr16(st, &st->common, VPM_Q_SIZE, pmd->queue_size);
		if (rc == 0)
			rc = wr32(st, &st->common, VPM_Q_DESCLO, (uint32_t)desc);
		if (rc == 0)
			rc = wr32(st, &st->common, VPM_Q_DESCHI, (uint32_t)(desc >> 32));
		if (rc == 0)
			rc = wr32(st, &st->common, VPM_Q_AVAILLO, (uint32_t)avail);
		if (rc == 0)
			rc = wr32(st, &st->common, VPM_Q_AVAILHI, (uint32_t)(avail >> 32));
		if (rc == 0)
			rc = wr32(st, &st->common, VPM_Q_USEDLO, (uint32_t)used);
		if (rc == 0)
			rc = wr32(st, &st->common, VPM_Q_USEDHI, (uint32_t)(used >> 32));
		if (rc == 0)
			rc = wr16(st, &st->common, VPM_Q_ENABLE, 1);
	}
	if (rc == 0)
		rc = mpdp_pci_bus_master(st->h, true);
	if (rc == 0)
		rc = status_set(st, s | MPDP_VIRTIO_STATUS_DRIVER_OK);
	if (rc != 0) {
		snprintf(err, err_size, "programming the rings failed: %s", strerror(-rc));
		return rc;
	}
	for (uint16_t v = 0; v < 2 * pmd->nb_qpairs; v++)
		st->prog_gen[v] = pmd->vq[v].setup_gen;
	st->live = true;
	return 0;
}

/* Primary, under mu: is the link up as the device says? */
static bool link_up_now(struct vp_state *st, struct vio_port_shm *pmd)
{
	uint64_t f = atomic_load_explicit(&pmd->features, memory_order_relaxed);
	uint16_t ns = 0;

	if (!st->started || !st->live)
		return false;
	if (!(f & MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_STATUS)))
		return true; /* no status: up once the rings run */
	if (devcfg_read(st, VNET_CFG_STATUS, &ns, sizeof(ns)) != 0)
		return false;
	return (ns & MPDP_VIRTIO_NET_S_LINK_UP) != 0;
}

/* ------------------------------------------------------------ control thread */

/* The primary's periodic link check: announce a change (ethdev publishes it). */
static void link_timer_cb(int fd, uint32_t events, void *arg)
{
	struct vp_state *st = arg;
	struct vio_priv *priv;
	uint64_t ticks;
	bool changed = false;

	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	pthread_mutex_lock(&st->mu);
	priv = st->dev != NULL ? st->dev->priv : NULL;
	if (!st->closing && priv != NULL && priv->pmd != NULL)
		changed = link_up_now(st, priv->pmd) !=
			  (atomic_load_explicit(&priv->pmd->link_up, memory_order_relaxed) != 0);
	pthread_mutex_unlock(&st->mu);
	if (changed)
		mpdp_eth_dev_link_changed(st->dev);
}

/* ------------------------------------------------------------ transport ops */

/* Every process: the doorbell of h's vring, from the exported fd. */
static int vp_queue_attach(struct mpdp_eth_dev *dev, struct vio_queue *h)
{
	struct vio_priv *priv = dev->priv;
	const struct vio_vq_shm *vs = &priv->pmd->vq[h->vring];
	int fd = mpdp_eth_dev_fd(dev, VP_DB_FD_INDEX);

	if (fd == -EAGAIN)
		return -EAGAIN; /* a secondary before the fd arrived: retried */
	if (fd < 0) {
		mpdp_log(MPDP_LOG_ERR, VIO_LOG, "%s: vring %u: no doorbell fd from the primary: %s",
			 dev->shm->name, h->vring, strerror(-fd));
		return fd;
	}
	h->kick_fd = fd; /* ethdev's: not closed here */
	h->db_off = vs->notify_off;
	h->db = NULL;
	h->db_map = NULL;
	h->db_map_len = 0;
	if (priv->pmd->transport == VIRTIO_TRANSPORT_PCI_MODERN) {
		long pg = sysconf(_SC_PAGESIZE);
		uint64_t base = h->db_off & ~((uint64_t)pg - 1);
		void *map =
			mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)base);

		if (map == MAP_FAILED) {
			/* e.g. a vfio region without mmap: pwrite() it, slower */
			mpdp_log(MPDP_LOG_WARNING, VIO_LOG,
				 "%s: vring %u: cannot map the doorbell page (%s): notifying by "
				 "pwrite",
				 dev->shm->name, h->vring, strerror(errno));
			return 0;
		}
		h->db_map = map;
		h->db_map_len = (size_t)pg;
		h->db = (volatile uint16_t *)(void *)((uint8_t *)map + (h->db_off - base));
	}
	return 0;
}

static void vp_queue_detach(struct mpdp_eth_dev *dev, struct vio_queue *h)
{
	(void)dev;
	if (h->db_map != NULL)
		munmap(h->db_map, h->db_map_len);
	h->db_map = NULL;
	h->db = NULL;
	h->kick_fd = -1;
}

/* Fast path, any process: legacy doorbell, the vring index into QUEUE_NOTIFY. */
static void vp_notify_legacy(struct vio_queue *h)
{
	uint16_t v = h->vring;

	/* a failed kick: the device picks the ring up at the next one */
	if (pwrite(h->kick_fd, &v, sizeof(v), (off_t)h->db_off) < 0)
		return;
}

/* Fast path, any process: modern doorbell, one 16-bit store to the page. */
static void vp_notify_modern(struct vio_queue *h)
{
	if (mpdp_unlikely(h->db == NULL)) {
		vp_notify_legacy(h);
		return;
	}
	/* the avail.idx store (release, in publish) before the doorbell write */
	atomic_thread_fence(memory_order_seq_cst);
	*h->db = h->vring; /* device memory: one access of this width */
}

static int vp_start(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vp_state *st = priv->tp;
	struct vio_port_shm *pmd = priv->pmd;
	uint64_t f = atomic_load_explicit(&pmd->features, memory_order_relaxed);
	bool same = true; /* every ring as the device last had it */
	char err[192];
	int rc;

	if (st == NULL)
		return -ENODEV;
	pthread_mutex_lock(&st->mu);
	for (uint16_t v = 0; v < 2 * pmd->nb_qpairs; v++)
		if (pmd->vq[v].setup_gen != st->prog_gen[v])
			same = false;
	if (st->live && same) {
		st->started = true; /* stopped and started again: the rings ran on */
		pthread_mutex_unlock(&st->mu);
		return 0;
	}
	if (st->live) {
		/* a ring was set up again under a running device (the core quiesces
		 * first, so this is a safety net): reset before anything else */
		(void)dev_reset(st);
		st->live = false;
	}
	pthread_mutex_unlock(&st->mu);
	/* rings the device used before its reset start afresh too: its indices
	 * are back at 0 (vring_init quiesces: nothing to do, live is false) */
	for (uint16_t v = 0; v < 2 * pmd->nb_qpairs; v++) {
		if (st->prog_gen[v] == 0 || pmd->vq[v].setup_gen != st->prog_gen[v])
			continue;
		rc = vio_vring_reinit(dev, v);
		if (rc != 0)
			return rc;
	}
	pthread_mutex_lock(&st->mu);
	rc = dev_negotiate(st, f, err, sizeof(err));
	if (rc == 0)
		rc = dev_program(st, pmd, err, sizeof(err));
	if (rc == 0)
		st->started = true;
	else
		(void)dev_reset(st);
	pthread_mutex_unlock(&st->mu);
	if (rc != 0)
		mpdp_log(MPDP_LOG_ERR, VIO_LOG, "%s: cannot start the device: %s", dev->shm->name,
			 err);
	return rc;
}

static void vp_stop(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vp_state *st = priv->tp;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	st->started = false; /* the device runs on; the link reads down */
	atomic_store_explicit(&priv->pmd->link_up, 0, memory_order_release);
	pthread_mutex_unlock(&st->mu);
}

static void vp_quiesce(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vp_state *st = priv->tp;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	if (st->live) {
		mpdp_log(MPDP_LOG_INFO, VIO_LOG,
			 "%s: rings set up again: device reset, it is initialised at the next "
			 "start",
			 dev->shm->name);
		(void)dev_reset(st);
		st->live = false;
		st->started = false;
	}
	pthread_mutex_unlock(&st->mu);
}

static void vp_link_read(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vp_state *st = priv->tp;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	atomic_store_explicit(&priv->pmd->link_up, link_up_now(st, priv->pmd) ? 1u : 0u,
			      memory_order_release);
	pthread_mutex_unlock(&st->mu);
}

/*
 * Primary: let go of the device: reset it (status 0: it stops using the
 * rings), bus mastering off, then the handle. Close and exit alike.
 */
static void vp_state_free(struct vp_state *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	st->closing = true;
	pthread_mutex_unlock(&st->mu);
	mpdp_ctrl_unwatch(st->timer_watch); /* the callback takes only mu */
	st->timer_watch = NULL;
	if (st->timer_fd >= 0)
		close(st->timer_fd);
	if (st->h != NULL && st->written) {
		int rc = dev_reset(st);

		if (rc != 0)
			mpdp_log(MPDP_LOG_WARNING, VIO_LOG, "%s: device reset failed: %s", st->name,
				 strerror(-rc));
		rc = mpdp_pci_bus_master(st->h, false);
		if (rc != 0)
			mpdp_log(MPDP_LOG_WARNING, VIO_LOG, "%s: bus master off failed: %s",
				 st->name, strerror(-rc));
	}
	mpdp_pci_close(st->h); /* NULL is fine */
	pthread_mutex_destroy(&st->mu);
	free(st);
}

static void vp_close(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vp_state *st = priv->tp;

	priv->tp = NULL;
	if (st != NULL)
		mpdp_log(MPDP_LOG_INFO, VIO_LOG, "%s: closed: device reset", dev->shm->name);
	vp_state_free(st);
}

static void vp_detach(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;

	/* the primary leaving without a close (mpdp_cleanup): the same as close;
	 * in a secondary tp is NULL: nothing of the device is ours */
	vp_state_free(priv->tp);
	priv->tp = NULL;
}

const struct vio_transport_ops vio_pci_legacy_ops = {
	.name = "pci-legacy",
	.dma_iova = true,
	.queue_attach = vp_queue_attach,
	.queue_detach = vp_queue_detach,
	.notify = vp_notify_legacy,
	.start = vp_start,
	.stop = vp_stop,
	.close = vp_close,
	.quiesce = vp_quiesce,
	.link_read = vp_link_read,
	.detach = vp_detach,
};

const struct vio_transport_ops vio_pci_modern_ops = {
	.name = "pci-modern",
	.dma_iova = true,
	.queue_attach = vp_queue_attach,
	.queue_detach = vp_queue_detach,
	.notify = vp_notify_modern,
	.start = vp_start,
	.stop = vp_stop,
	.close = vp_close,
	.quiesce = vp_quiesce,
	.link_read = vp_link_read,
	.detach = vp_detach,
};

/* ------------------------------------------------------------ probe */

static struct mpdp_eth_driver vp_driver;

/* The largest power of two <= n (n > 0). */
static uint32_t pow2_floor(uint32_t n)
{
	uint32_t p = 1;

	while (p <= n / 2)
		p <<= 1;
	return p;
}

/*
 * Primary, probe, under no lock (the port does not exist yet): reset,
 * negotiate, learn the queue size. Returns 0 or -errno with err filled.
 */
static int probe_device(struct vp_state *st, const struct mpdp_pci_device *pdev, uint64_t *features,
			uint16_t *qsize, char *err, size_t err_size)
{
	uint64_t offered, want = VP_FEATURES_BASE;
	uint16_t n[2] = { 0, 0 };
	char msg[160];
	uint8_t s;
	int rc;

	/* read before the first write: a register block that is not there is
	 * refused with the device untouched */
	rc = status_get(st, &s);
	if (rc == 0)
		rc = features_get(st, &offered);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot read the %s registers: %s", pdev->name,
			 st->modern ? "virtio common configuration" : "legacy virtio (I/O BAR0)",
			 strerror(-rc));
		return rc;
	}
	if (st->modern) {
		if (!(offered & MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_VERSION_1))) {
			snprintf(err, err_size,
				 "%s: modern virtio device without VERSION_1 (features %#" PRIx64
				 ")",
				 pdev->name, offered);
			return -ENOTSUP;
		}
		want |= MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_VERSION_1) |
			MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_ACCESS_PLATFORM);
		if (!mpdp_pci_device_is_file(pdev) && pdev->kdrv == MPDP_PCI_KDRV_VFIO &&
		    mpdp_iova_mode() == MPDP_IOVA_VA &&
		    !(offered & MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_ACCESS_PLATFORM))) {
			snprintf(err, err_size,
				 "%s: its DMA bypasses the IOMMU (no ACCESS_PLATFORM; QEMU: "
				 "iommu_platform=on), so it needs --iova-mode pa",
				 pdev->name);
			return -ENOTSUP;
		}
	} else if (!mpdp_pci_device_is_file(pdev) && pdev->kdrv == MPDP_PCI_KDRV_VFIO &&
		   mpdp_iova_mode() == MPDP_IOVA_VA) {
		snprintf(err, err_size,
			 "%s: legacy virtio DMA bypasses the IOMMU: it needs IOVA mode pa",
			 pdev->name);
		return -ENOTSUP;
	}
	*features = offered & want;
	rc = dev_negotiate(st, *features, msg, sizeof(msg));
	for (uint16_t v = 0; rc == 0 && v < 2; v++) {
		rc = queue_select(st, v);
		if (rc == 0)
			rc = queue_size_get(st, &n[v]);
		if (rc != 0)
			snprintf(msg, sizeof(msg), "register access failed: %s", strerror(-rc));
	}
	if (rc != 0) {
		snprintf(err, err_size, "%s: %s", pdev->name, msg);
		return rc;
	}
	if (!st->modern) {
		/* legacy sizes are fixed: both rings must be a size the core takes */
		if (n[0] != n[1] || n[0] < VIO_QSIZE_MIN || n[0] > VIO_QSIZE_MAX ||
		    !MPDP_IS_POW2(n[0])) {
			snprintf(err, err_size,
				 "%s: legacy queue sizes rx %u, tx %u: need one power of two in "
				 "%u..%u for both",
				 pdev->name, n[0], n[1], VIO_QSIZE_MIN, VIO_QSIZE_MAX);
			return -ENOTSUP;
		}
		*qsize = n[0];
		return 0;
	}
	uint32_t m = n[0] < n[1] ? n[0] : n[1];

	if (m > VIO_QSIZE_MAX)
		m = VIO_QSIZE_MAX;
	if (m < VIO_QSIZE_MIN) {
		snprintf(err, err_size, "%s: queue size %u (rx max %u, tx max %u) below %u",
			 pdev->name, m, n[0], n[1], VIO_QSIZE_MIN);
		return -ENOTSUP;
	}
	*qsize = (uint16_t)pow2_floor(m);
	return 0;
}

/* The MAC from the device config, else a locally administered one. */
static void probe_mac(struct vp_state *st, const struct mpdp_pci_device *pdev, uint64_t f,
		      struct mpdp_ether_addr *mac)
{
	if ((f & MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MAC)) &&
	    devcfg_read(st, VNET_CFG_MAC, mac->bytes, 6) == 0 &&
	    mpdp_ether_addr_is_valid_assigned(mac))
		return;
	*mac = (struct mpdp_ether_addr){ { 0x02, 0x00, (uint8_t)pdev->addr.domain, pdev->addr.bus,
					   pdev->addr.devid, pdev->addr.function } };
}

/* The DMA blocks of every vring are IOVA-contiguous (and legacy PFNs fit). */
static int check_rings(struct vp_state *st, struct vio_port_shm *pmd, const char *name, char *err,
		       size_t err_size)
{
	for (uint16_t v = 0; v < 2 * pmd->nb_qpairs; v++) {
		void *ring, *hdrs;
		size_t ring_len, hdrs_len;
		uint64_t iova;

		vio_vring_blocks(pmd, v, &ring, &ring_len, &hdrs, &hdrs_len);
		if (!mpdp_mem_iova_contig(ring, ring_len) ||
		    !mpdp_mem_iova_contig(hdrs, hdrs_len)) {
			snprintf(err, err_size,
				 "%s: vring %u is not IOVA-contiguous (IOVA mode %s): cannot give "
				 "it to the device",
				 name, v, mpdp_iova_mode_name(mpdp_iova_mode()));
			return -ENOMEM;
		}
		iova = mpdp_mem_iova(ring);
		if (!st->modern &&
		    ((iova & (VPL_RING_ALIGN - 1)) != 0 || (iova >> VPL_PFN_SHIFT) > UINT32_MAX)) {
			snprintf(err, err_size,
				 "%s: vring %u at IOVA %#" PRIx64
				 " does not fit the legacy 32-bit page number",
				 name, v, iova);
			return -ERANGE;
		}
	}
	return 0;
}

/* Publish each vring's doorbell as a file offset in the exported fd. */
static int notify_offsets(struct vp_state *st, struct vio_port_shm *pmd, const char *name,
			  char *err, size_t err_size)
{
	uint64_t file_off = 0;
	int fd = mpdp_pci_bar_fd(st->h, st->notify.bar, &file_off);

	if (fd < 0) {
		snprintf(err, err_size, "%s: no fd for BAR %u: %s", name, st->notify.bar,
			 strerror(-fd));
		return fd;
	}
	for (uint16_t v = 0; v < 2 * pmd->nb_qpairs; v++) {
		uint16_t qno = 0;
		uint64_t off;
		int rc;

		if (!st->modern) {
			pmd->vq[v].notify_off = file_off + VPL_QUEUE_NOTIFY;
			continue;
		}
		rc = queue_select(st, v);
		if (rc == 0)
			rc = rd(st, &st->common, VPM_Q_NOFF, &qno, 2);
		if (rc != 0) {
			snprintf(err, err_size, "%s: cannot read queue_notify_off: %s", name,
				 strerror(-rc));
			return rc;
		}
		off = (uint64_t)qno * st->notify_mult;
		if (off + 2 > st->notify.len) {
			snprintf(err, err_size,
				 "%s: vring %u: doorbell at %#" PRIx64
				 " outside the notify window (%u bytes)",
				 name, v, off, st->notify.len);
			return -EINVAL;
		}
		pmd->vq[v].notify_off = file_off + st->notify.off + off;
	}
	return fd;
}

static int vp_probe(const struct mpdp_pci_device *pdev, char *err, size_t err_size)
{
	char mac_s[MPDP_ETHER_ADDR_FMT_SIZE], fs[160];
	struct mpdp_heap_info hi;
	struct mpdp_eth_dev *dev = NULL;
	struct vio_port_shm *pmd;
	struct vio_priv *priv;
	struct mpdp_ether_addr mac;
	struct vp_state *st;
	uint64_t features = 0;
	uint16_t qsize = 0;
	uint32_t used_align, block_align;
	size_t area;
	int rc, fd;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, err_size, "%s: out of memory", pdev->name);
		return -ENOMEM;
	}
	pthread_mutex_init(&st->mu, NULL);
	st->timer_fd = -1;
	snprintf(st->name, sizeof(st->name), "%s", pdev->name);
	/* the name first: a device that is a port already (hot-plug) must not
	 * be opened, let alone reset */
	dev = mpdp_eth_dev_create(pdev->name, &vp_driver, pdev->name, &rc);
	if (dev == NULL) {
		snprintf(err, err_size, "%s: cannot create the port: %s", pdev->name,
			 strerror(-rc));
		goto err_state;
	}
	rc = mpdp_pci_open(pdev, &st->h, err, err_size);
	if (rc != 0) {
		st->h = NULL;
		goto err_release;
	}
	rc = transport_find(st, pdev, err, err_size);
	if (rc != 0)
		goto err_release;
	rc = probe_device(st, pdev, &features, &qsize, err, err_size);
	if (rc != 0)
		goto err_release;
	probe_mac(st, pdev, features, &mac);
	used_align = st->modern ? MPDP_VIRTQ_ALIGN_USED : VPL_RING_ALIGN;
	block_align =
		mpdp_heap_info(&hi) == 0 && hi.page_size > 4096 ? (uint32_t)hi.page_size : 4096u;
	if (block_align > (1u << 21))
		block_align = 1u << 21; /* 1 GiB pages: a block never gets near one */
	area = vio_area_size(1, qsize, used_align, block_align);
	pmd = mpdp_eth_dev_area_reserve(dev, VIO_ZONE_TAG, area, &rc, err, err_size);
	if (pmd == NULL)
		goto err_release;
	pmd->magic = VIO_PORT_MAGIC;
	pmd->version = VIO_PORT_VERSION;
	pmd->transport = st->modern ? VIRTIO_TRANSPORT_PCI_MODERN : VIRTIO_TRANSPORT_PCI_LEGACY;
	pmd->nb_qpairs = 1;
	pmd->queue_size = qsize;
	pmd->want_features = VP_FEATURES_BASE;
	atomic_store_explicit(&pmd->features, features, memory_order_relaxed);
	pmd->hdr_len = (features & (MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_VERSION_1) |
				    MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF))) ?
			       MPDP_VIRTIO_NET_HDR_LEN :
			       MPDP_VIRTIO_NET_HDR_LEN_LEGACY;
	pmd->area_len = area;
	pmd->used_align = used_align;
	pmd->block_align = block_align;
	snprintf(pmd->path, sizeof(pmd->path), "%s", pdev->name);
	atomic_store_explicit(&pmd->connected, 1, memory_order_relaxed);
	atomic_store_explicit(&pmd->connects, 1, memory_order_relaxed);
	rc = vio_area_layout(pmd, area);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot lay out the rings", pdev->name);
		goto err_free_zone;
	}
	rc = check_rings(st, pmd, pdev->name, err, err_size);
	if (rc != 0)
		goto err_free_zone;
	fd = notify_offsets(st, pmd, pdev->name, err, err_size);
	if (fd < 0) {
		rc = fd;
		goto err_free_zone;
	}
	for (uint16_t v = 0; v < 2; v++)
		pmd->vq[v].event_idx = (features & MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_EVENT_IDX)) != 0;
	{
		uint8_t s = 0;

		(void)status_get(st, &s);
		atomic_store_explicit(&pmd->status, s, memory_order_relaxed);
	}

	dev->shm->numa_node = pdev->numa_node;
	dev->shm->max_rx_queues = 1;
	dev->shm->max_tx_queues = 1;
	dev->shm->min_desc = qsize;
	dev->shm->max_desc = qsize;
	dev->shm->min_mtu = 68;
	dev->shm->max_mtu = (features & MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF)) ? 9000 : 1500;
	dev->shm->mtu = 1500;
	dev->shm->mac = mac;
	dev->shm->link = (struct mpdp_eth_link){ .full_duplex = 1 };
	rc = mpdp_eth_dev_publish(dev);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot publish the port: %s", pdev->name,
			 strerror(-rc));
		goto err_free_zone;
	}
	/* published: attach made dev->priv; from here on close undoes everything */
	priv = dev->priv;
	st->dev = dev;
	priv->tp = st;
	rc = mpdp_eth_dev_fd_export(dev, VP_DB_FD_INDEX, fd);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot export the doorbell fd: %s", pdev->name,
			 strerror(-rc));
	} else {
		struct itimerspec its = {
			.it_value = { .tv_sec = VP_LINK_POLL_MS / 1000 },
			.it_interval = { .tv_sec = VP_LINK_POLL_MS / 1000 },
		};

		st->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (st->timer_fd >= 0 && timerfd_settime(st->timer_fd, 0, &its, NULL) == 0)
			st->timer_watch = mpdp_ctrl_watch(st->timer_fd, EPOLLIN, link_timer_cb, st);
		if (st->timer_watch == NULL) {
			rc = -errno;
			snprintf(err, err_size, "%s: cannot set up the link check: %s", pdev->name,
				 strerror(-rc));
		}
	}
	if (rc != 0) {
		(void)mpdp_eth_dev_close(dev->port_id);
		return rc;
	}
	mpdp_ether_addr_format(mac_s, sizeof(mac_s), &mac);
	vio_features_str(features, fs, sizeof(fs));
	mpdp_log(MPDP_LOG_INFO, VIO_LOG,
		 "%s: port %u, virtio-net %s on %s, 1 queue pair of %u, mac %s, features %s, "
		 "header %u bytes",
		 pdev->name, dev->port_id, st->modern ? "modern" : "legacy", pdev->kdrv_name, qsize,
		 mac_s, fs, pmd->hdr_len);
	return 0;

err_free_zone:
	mpdp_eth_dev_area_free(pdev->name, VIO_ZONE_TAG);
err_release:
	mpdp_eth_dev_release(dev);
err_state:
	/* resets the device and turns bus mastering off if we wrote to it at
	 * all; a device refused before that is left exactly as it was */
	vp_state_free(st);
	return rc;
}

/* Before any probe: a device driven through the legacy interface needs PA. */
static int vp_needs_pa(const struct mpdp_pci_device *pdev)
{
	uint8_t cfg[256];
	uint32_t at[5];

	if (pdev->device == VP_DEVICE_NET_MODERN)
		return 0;
	if (mpdp_pci_sysfs_config_read(pdev, 0, cfg, sizeof(cfg)) != 0)
		return 1; /* cannot tell: the probe would take it as legacy */
	return caps_find(cfg, at) == 4 ? 0 : 1;
}

static const struct mpdp_pci_id vp_ids[] = {
	{ VP_VENDOR_ID, VP_DEVICE_NET_LEGACY },
	{ VP_VENDOR_ID, VP_DEVICE_NET_MODERN },
	{ 0, 0 },
};

static struct mpdp_eth_driver vp_driver = {
	.name = VP_DRIVER_NAME,
	.bus = MPDP_BUS_PCI,
	.pci_ids = vp_ids,
	.probe_pci = vp_probe,
	.pci_needs_pa = vp_needs_pa,
	.ops = NULL, /* set by the constructor below: the core's table */
};

__attribute__((constructor)) static void vp_driver_register(void)
{
	vp_driver.ops = vio_eth_ops();
	(void)mpdp_eth_driver_register(&vp_driver);
}
