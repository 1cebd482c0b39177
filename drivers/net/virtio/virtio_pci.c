/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_pci.c - the virtio PCI transports (legacy I/O BAR, modern
 * capabilities) of net_virtio. Placeholder until the transports land.
 */
#include "virtio_priv.h"
