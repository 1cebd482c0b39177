/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_ether.h - Ethernet addresses and headers, as plain data.
 *
 * Nothing here has state; everything is inline. Multi-byte header fields are
 * in network byte order, as on the wire.
 */
#ifndef MPDP_ETHER_H
#define MPDP_ETHER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_common.h>

#define MPDP_ETHER_ADDR_LEN 6
#define MPDP_ETHER_HDR_LEN 14
#define MPDP_ETHER_MIN_LEN 60     /* without FCS */
#define MPDP_ETHER_MAX_LEN 1514   /* without FCS, MTU 1500 */
#define MPDP_ETHER_MTU_DEFAULT 1500
#define MPDP_ETHER_TYPE_IPV4 0x0800
#define MPDP_ETHER_TYPE_ARP  0x0806
#define MPDP_ETHER_TYPE_VLAN 0x8100
#define MPDP_ETHER_TYPE_IPV6 0x86DD
/* Local experimental EtherType (IEEE 802 "local experimental 1"): pktgen frames. */
#define MPDP_ETHER_TYPE_EXP1 0x88B5

/* Size of the text form "xx:xx:xx:xx:xx:xx" with its NUL. */
#define MPDP_ETHER_ADDR_FMT_SIZE 18

struct mpdp_ether_addr {
	uint8_t bytes[MPDP_ETHER_ADDR_LEN];
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_ether_addr) == 6, "mpdp_ether_addr is 6 bytes");

struct mpdp_ether_hdr {
	struct mpdp_ether_addr dst;
	struct mpdp_ether_addr src;
	uint16_t ether_type; /* network byte order */
} __attribute__((packed));
MPDP_STATIC_ASSERT(sizeof(struct mpdp_ether_hdr) == MPDP_ETHER_HDR_LEN, "ether header is 14 bytes");

static inline int mpdp_ether_addr_is_multicast(const struct mpdp_ether_addr *a)
{
	return a->bytes[0] & 1;
}

static inline int mpdp_ether_addr_is_zero(const struct mpdp_ether_addr *a)
{
	static const struct mpdp_ether_addr zero;
	return memcmp(a, &zero, sizeof(zero)) == 0;
}

/* Unicast and not all zeros: usable as a port's own address. */
static inline int mpdp_ether_addr_is_valid_assigned(const struct mpdp_ether_addr *a)
{
	return !mpdp_ether_addr_is_multicast(a) && !mpdp_ether_addr_is_zero(a);
}

static inline void mpdp_ether_addr_format(char *buf, size_t size, const struct mpdp_ether_addr *a)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", a->bytes[0], a->bytes[1],
		 a->bytes[2], a->bytes[3], a->bytes[4], a->bytes[5]);
}

/*
 * Parse "xx:xx:xx:xx:xx:xx" (hex digits, either case, ':' or '-'). Returns 0,
 * or -EINVAL (out untouched).
 */
int mpdp_ether_addr_parse(const char *s, struct mpdp_ether_addr *out);

#endif /* MPDP_ETHER_H */
