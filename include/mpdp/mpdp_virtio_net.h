/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_virtio_net.h - virtio-net facts from the virtio 1.x spec shared by
 * the virtio-net driver (frontend) and the vhost-user backend port: feature
 * bits, device status bits, the per-packet header.
 *
 * Queue numbering (spec "Virtqueues"): receiveq i is virtqueue 2i,
 * transmitq i is 2i+1, the control queue (CTRL_VQ) comes after them.
 */
#ifndef MPDP_VIRTIO_NET_H
#define MPDP_VIRTIO_NET_H

#include <stdint.h>

#include <mpdp/mpdp_common.h>

/* Feature bits (bit numbers). */
#define MPDP_VIRTIO_NET_F_CSUM          0
#define MPDP_VIRTIO_NET_F_GUEST_CSUM    1
#define MPDP_VIRTIO_NET_F_MTU           3
#define MPDP_VIRTIO_NET_F_MAC           5
#define MPDP_VIRTIO_NET_F_GUEST_TSO4    7
#define MPDP_VIRTIO_NET_F_GUEST_TSO6    8
#define MPDP_VIRTIO_NET_F_GUEST_UFO     10
#define MPDP_VIRTIO_NET_F_HOST_TSO4     11
#define MPDP_VIRTIO_NET_F_MRG_RXBUF     15
#define MPDP_VIRTIO_NET_F_STATUS        16
#define MPDP_VIRTIO_NET_F_CTRL_VQ       17
#define MPDP_VIRTIO_NET_F_CTRL_RX       18
#define MPDP_VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define MPDP_VIRTIO_NET_F_MQ            22
#define MPDP_VIRTIO_F_NOTIFY_ON_EMPTY   24
#define MPDP_VIRTIO_F_ANY_LAYOUT        27
#define MPDP_VIRTIO_F_INDIRECT_DESC     28
#define MPDP_VIRTIO_F_EVENT_IDX         29
#define MPDP_VHOST_USER_F_PROTOCOL_FEATURES 30 /* bit 30 is vhost-user's */
#define MPDP_VIRTIO_F_VERSION_1         32
#define MPDP_VIRTIO_F_ACCESS_PLATFORM   33
#define MPDP_VIRTIO_F_RING_PACKED       34
#define MPDP_VIRTIO_F_IN_ORDER          35

#define MPDP_VIRTIO_BIT(b) (1ULL << (b))

/* Device status bits (spec "Device Status Field"). */
#define MPDP_VIRTIO_STATUS_ACKNOWLEDGE        1u
#define MPDP_VIRTIO_STATUS_DRIVER             2u
#define MPDP_VIRTIO_STATUS_DRIVER_OK          4u
#define MPDP_VIRTIO_STATUS_FEATURES_OK        8u
#define MPDP_VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define MPDP_VIRTIO_STATUS_FAILED             128u

/* Config space status field (with VIRTIO_NET_F_STATUS). */
#define MPDP_VIRTIO_NET_S_LINK_UP  1u
#define MPDP_VIRTIO_NET_S_ANNOUNCE 2u

/* Header flags and GSO types. */
#define MPDP_VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define MPDP_VIRTIO_NET_HDR_F_DATA_VALID 2u
#define MPDP_VIRTIO_NET_HDR_GSO_NONE     0u

/*
 * The header in front of every packet. With VERSION_1 (or legacy with
 * MRG_RXBUF) it is 12 bytes and num_buffers is always there; a legacy
 * device without MRG_RXBUF uses the first 10. On receive with MRG_RXBUF,
 * num_buffers counts the buffers of the packet, the first included (1
 * without MRG_RXBUF); on transmit the driver sets it to 0.
 */
struct mpdp_virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_virtio_net_hdr) == 12, "virtio_net_hdr is ABI");

#define MPDP_VIRTIO_NET_HDR_LEN        12u
#define MPDP_VIRTIO_NET_HDR_LEN_LEGACY 10u

/* Receive buffer size the spec asks for without MRG_RXBUF (and no GSO). */
#define MPDP_VIRTIO_NET_MIN_RXBUF (MPDP_VIRTIO_NET_HDR_LEN + 1514u)

#endif /* MPDP_VIRTIO_NET_H */
