/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_pci_regs.h - register layouts of the virtio PCI transports (virtio
 * 1.x spec, 4.1.4 modern capabilities and 4.1.4.8 the legacy interface),
 * and the virtio-net device configuration. Not installed.
 */
#ifndef VIRTIO_PCI_REGS_H
#define VIRTIO_PCI_REGS_H

#define VP_VENDOR_ID         0x1af4
#define VP_DEVICE_NET_LEGACY 0x1000 /* transitional: legacy, maybe modern too */
#define VP_DEVICE_NET_MODERN 0x1041 /* virtio 1.x only */

/* Legacy interface: registers at the start of I/O BAR0. */
#define VPL_DEVICE_FEATURES 0  /* u32 R: feature bits 0..31 */
#define VPL_GUEST_FEATURES  4  /* u32 RW */
#define VPL_QUEUE_PFN       8  /* u32 RW: ring address >> 12 */
#define VPL_QUEUE_NUM       12 /* u16 R: the selected queue's (fixed) size */
#define VPL_QUEUE_SEL       14 /* u16 RW */
#define VPL_QUEUE_NOTIFY    16 /* u16 W: the queue index */
#define VPL_STATUS          18 /* u8 RW */
#define VPL_ISR             19 /* u8 R (read clears) */
/* device config: at 20 while MSI-X is off (it always is: we poll), 24 with it */
#define VPL_DEVICE_CFG 20
#define VPL_PFN_SHIFT  12
#define VPL_RING_ALIGN 4096u

/* Modern: vendor capabilities (struct virtio_pci_cap) in config space. */
#define VPM_CAP_CFG_TYPE    3  /* u8 */
#define VPM_CAP_BAR         4  /* u8 */
#define VPM_CAP_OFFSET      8  /* le32 */
#define VPM_CAP_LENGTH      12 /* le32 */
#define VPM_CAP_NOTIFY_MULT 16 /* le32, notify capability only */
#define VPM_CAP_LEN_MIN     16
#define VPM_CFG_COMMON      1
#define VPM_CFG_NOTIFY      2
#define VPM_CFG_ISR         3
#define VPM_CFG_DEVICE      4

/* Modern: struct virtio_pci_common_cfg. */
#define VPM_DFSELECT    0  /* u32 device_feature_select */
#define VPM_DF          4  /* u32 device_feature */
#define VPM_GFSELECT    8  /* u32 driver_feature_select */
#define VPM_GF          12 /* u32 driver_feature */
#define VPM_MSIX_CONFIG 16 /* u16 */
#define VPM_NUM_QUEUES  18 /* u16 */
#define VPM_STATUS      20 /* u8 device_status */
#define VPM_CFG_GEN     21 /* u8 config_generation */
#define VPM_Q_SELECT    22 /* u16 */
#define VPM_Q_SIZE      24 /* u16 */
#define VPM_Q_MSIX      26 /* u16 */
#define VPM_Q_ENABLE    28 /* u16 */
#define VPM_Q_NOFF      30 /* u16 queue_notify_off */
#define VPM_Q_DESCLO    32 /* u32 */
#define VPM_Q_DESCHI    36
#define VPM_Q_AVAILLO   40 /* queue_driver */
#define VPM_Q_AVAILHI   44
#define VPM_Q_USEDLO    48 /* queue_device */
#define VPM_Q_USEDHI    52
#define VPM_COMMON_LEN  56

/* virtio-net device configuration (either transport). */
#define VNET_CFG_MAC    0 /* 6 bytes, with VIRTIO_NET_F_MAC */
#define VNET_CFG_STATUS 6 /* u16, with VIRTIO_NET_F_STATUS */
#define VNET_CFG_LEN    8

#endif /* VIRTIO_PCI_REGS_H */
