/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_vhost_user.h - the vhost-user protocol (QEMU docs/interop/
 * vhost-user.rst): messages, their validation, and a backend's table of the
 * frontend's memory regions.
 *
 * Used by both ends: the virtio-user transport of the virtio-net driver
 * (frontend: sends requests, reads replies) and the vhost port (backend:
 * reads requests, sends replies). The peer is untrusted either way
 * (STYLE.md rule 8): every received message goes through
 * mpdp_vhu_msg_check() before any field is used, and every guest address
 * goes through mpdp_vhu_mem_gpa() / mpdp_vhu_mem_uva(), which refuse any
 * range not wholly inside one mapped region.
 *
 * Wire format: a 12-byte header {request, flags, size} then size bytes of
 * payload, host byte order; fds ride in SCM_RIGHTS with the header. flags
 * bits 0-1 are the version (1), bit 2 marks a reply, bit 3 asks for a reply
 * (REPLY_ACK).
 *
 * Nothing here keeps state between calls except struct mpdp_vhu_mem, which
 * is process-local (it holds this process's mappings; rule 1: it never goes
 * into shared memory; the regions' wire descriptions may).
 */
#ifndef MPDP_VHOST_USER_H
#define MPDP_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mpdp/mpdp_common.h>

/* Requests (frontend -> backend). */
enum mpdp_vhu_request {
	MPDP_VHU_GET_FEATURES = 1,
	MPDP_VHU_SET_FEATURES = 2,
	MPDP_VHU_SET_OWNER = 3,
	MPDP_VHU_RESET_OWNER = 4,
	MPDP_VHU_SET_MEM_TABLE = 5,
	MPDP_VHU_SET_LOG_BASE = 6,
	MPDP_VHU_SET_LOG_FD = 7,
	MPDP_VHU_SET_VRING_NUM = 8,
	MPDP_VHU_SET_VRING_ADDR = 9,
	MPDP_VHU_SET_VRING_BASE = 10,
	MPDP_VHU_GET_VRING_BASE = 11,
	MPDP_VHU_SET_VRING_KICK = 12,
	MPDP_VHU_SET_VRING_CALL = 13,
	MPDP_VHU_SET_VRING_ERR = 14,
	MPDP_VHU_GET_PROTOCOL_FEATURES = 15,
	MPDP_VHU_SET_PROTOCOL_FEATURES = 16,
	MPDP_VHU_GET_QUEUE_NUM = 17,
	MPDP_VHU_SET_VRING_ENABLE = 18,
	MPDP_VHU_SEND_RARP = 19,
	MPDP_VHU_NET_SET_MTU = 20,
	MPDP_VHU_SET_BACKEND_REQ_FD = 21,
	MPDP_VHU_IOTLB_MSG = 22,
	MPDP_VHU_SET_VRING_ENDIAN = 23,
	MPDP_VHU_GET_CONFIG = 24,
	MPDP_VHU_SET_CONFIG = 25,
	MPDP_VHU_GET_INFLIGHT_FD = 31,
	MPDP_VHU_SET_INFLIGHT_FD = 32,
	MPDP_VHU_GET_MAX_MEM_SLOTS = 36,
	MPDP_VHU_ADD_MEM_REG = 37,
	MPDP_VHU_REM_MEM_REG = 38,
	MPDP_VHU_SET_STATUS = 39,
	MPDP_VHU_GET_STATUS = 40,
	MPDP_VHU_REQUEST_MAX = 41,
};

/* Protocol features (GET/SET_PROTOCOL_FEATURES bits). */
#define MPDP_VHU_PROTOCOL_F_MQ            0
#define MPDP_VHU_PROTOCOL_F_LOG_SHMFD     1
#define MPDP_VHU_PROTOCOL_F_RARP          2
#define MPDP_VHU_PROTOCOL_F_REPLY_ACK     3
#define MPDP_VHU_PROTOCOL_F_MTU           4
#define MPDP_VHU_PROTOCOL_F_BACKEND_REQ   5
#define MPDP_VHU_PROTOCOL_F_CONFIG        9
#define MPDP_VHU_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15
#define MPDP_VHU_PROTOCOL_F_STATUS        16

#define MPDP_VHU_VERSION        0x1u
#define MPDP_VHU_VERSION_MASK   0x3u
#define MPDP_VHU_FLAG_REPLY     (1u << 2)
#define MPDP_VHU_FLAG_NEED_REPLY (1u << 3)

/* SET_VRING_KICK / CALL / ERR payload: ring index in bits 0-7, bit 8 "no fd". */
#define MPDP_VHU_VRING_IDX_MASK 0xffu
#define MPDP_VHU_VRING_NOFD     (1u << 8)

#define MPDP_VHU_MAX_REGIONS 8u   /* SET_MEM_TABLE limit, as every peer has */
#define MPDP_VHU_MAX_FDS     8u   /* fds accepted with one message */
#define MPDP_VHU_MAX_PAYLOAD 512u /* larger messages are refused */
#define MPDP_VHU_MAX_VRINGS  256u /* ring index is 8 bits */

struct mpdp_vhu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes */
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_vhu_hdr) == 12, "vhost-user header is ABI");

/* One memory region: guest (IOVA) range, frontend address, fd offset. */
struct mpdp_vhu_region {
	uint64_t guest_addr;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_vhu_region) == 32, "vhost-user region is ABI");

struct mpdp_vhu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct mpdp_vhu_region regions[MPDP_VHU_MAX_REGIONS];
};

/* ADD_MEM_REG / REM_MEM_REG payload. */
struct mpdp_vhu_mem_reg {
	uint64_t padding;
	struct mpdp_vhu_region region;
};

struct mpdp_vhu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct mpdp_vhu_vring_addr {
	uint32_t index;
	uint32_t flags; /* bit 0: log */
	uint64_t desc;  /* frontend (user) addresses */
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};
MPDP_STATIC_ASSERT(sizeof(struct mpdp_vhu_vring_addr) == 40, "vhost-user vring addr is ABI");

/* A message as received or to be sent. fds[] are this process's. */
struct mpdp_vhu_msg {
	struct mpdp_vhu_hdr hdr;
	union {
		uint64_t u64;
		struct mpdp_vhu_vring_state state;
		struct mpdp_vhu_vring_addr addr;
		struct mpdp_vhu_mem_table mem;
		struct mpdp_vhu_mem_reg mem_reg;
		uint8_t raw[MPDP_VHU_MAX_PAYLOAD];
	} u;
	int fds[MPDP_VHU_MAX_FDS];
	unsigned int nfds;
};

/* Name of a request ("SET_MEM_TABLE"), or "UNKNOWN"; never NULL. */
const char *mpdp_vhu_request_str(uint32_t request);

/* Start a message: header {request, version 1 [| flags], size}, no fds. */
void mpdp_vhu_msg_init(struct mpdp_vhu_msg *m, uint32_t request, uint32_t flags, uint32_t size);

/*
 * Validate a received message before any use (the parser; fuzzed):
 *   - version bits are 1; a backend (as_backend) takes requests only (no
 *     REPLY flag), a frontend takes replies only (REPLY set);
 *   - the payload size is exactly what the request carries (a range for
 *     GET/SET_CONFIG), and at most MPDP_VHU_MAX_PAYLOAD;
 *   - fds: exactly one per region for SET_MEM_TABLE (nregions 1..8) and
 *     ADD_MEM_REG, one for SET_VRING_KICK/CALL/ERR unless the no-fd bit is
 *     set, one for SET_LOG_FD/SET_BACKEND_REQ_FD/SET_INFLIGHT_FD, none for
 *     anything else;
 *   - vring payloads: no bits set above the no-fd bit (kick/call/err);
 *     region sizes non-zero and no range wraps around 2^64.
 * Returns 0, or -EPROTO with one line in err naming the request and what is
 * wrong. Unknown requests pass (with any size up to the maximum and no
 * fds): the caller answers them. Never touches fds.
 */
int mpdp_vhu_msg_check(const struct mpdp_vhu_msg *m, bool as_backend, char *err, size_t err_size);

/*
 * Parse len bytes (header + payload, as read from the socket) with nfds fds
 * already received into m (fds[] set to -1 placeholders: the fuzz target
 * and unit tests use it without sockets), then mpdp_vhu_msg_check().
 * Returns 0, -EPROTO (short, too long, size mismatch, failed check).
 */
int mpdp_vhu_msg_parse(const uint8_t *buf, size_t len, unsigned int nfds, bool as_backend,
		       struct mpdp_vhu_msg *m, char *err, size_t err_size);

/*
 * Receive one message from a connected stream socket: the header with its
 * fds (close-on-exec), then the payload. Waits at most timeout_ms for the
 * rest of a message once its first byte is there, so a peer that stops
 * mid-message cannot hold the caller. Then mpdp_vhu_msg_check().
 * Returns 0 (m->fds owned by the caller now: close with
 * mpdp_vhu_msg_close_fds), -ECONNRESET (peer closed), -EAGAIN (nothing to
 * read on a non-blocking socket), -EPROTO / -ETIMEDOUT / other -errno with
 * one line in err; on error every received fd is closed.
 */
int mpdp_vhu_msg_recv(int sock, struct mpdp_vhu_msg *m, bool as_backend, int timeout_ms,
		      char *err, size_t err_size);

/* Send m (header, payload, m->fds as SCM_RIGHTS). Returns 0 or -errno. */
int mpdp_vhu_msg_send(int sock, const struct mpdp_vhu_msg *m);

/* Close every fd in m that is >= 0 and set it to -1. */
void mpdp_vhu_msg_close_fds(struct mpdp_vhu_msg *m);

/* ---- a backend's view of the frontend's memory ------------------------------- */

/* One mapped region, process-local. */
struct mpdp_vhu_mem_map {
	struct mpdp_vhu_region region; /* as the frontend described it */
	uint8_t *host;                 /* local address of guest_addr */
	void *mmap_addr;               /* what munmap() takes */
	size_t mmap_len;
};

/* The frontend's memory as this process mapped it. Process-local. */
struct mpdp_vhu_mem {
	unsigned int nregions;
	unsigned int last_hit; /* region of the last translation: tried first */
	struct mpdp_vhu_mem_map map[MPDP_VHU_MAX_REGIONS];
};

/*
 * Map n regions (n <= MPDP_VHU_MAX_REGIONS) from their fds into mem (which
 * must be empty: nregions 0). Checks: sizes non-zero, no range wraps,
 * guest ranges and user ranges do not overlap each other, the fd is at
 * least mmap_offset + size long (fstat; a file that is shorter would make
 * the mapping SIGBUS). Tries to seal a memfd against shrinking
 * (F_SEAL_SHRINK) so the frontend cannot cut the memory under us later;
 * *sealed (if not NULL) says whether every region is protected that way.
 * The fds stay the caller's. Returns 0, or -EINVAL / -errno with one line
 * in err; on error nothing is left mapped.
 */
int mpdp_vhu_mem_map(struct mpdp_vhu_mem *mem, const struct mpdp_vhu_region *regions,
		     const int *fds, unsigned int n, bool *sealed, char *err, size_t err_size);

/* Unmap everything; mem is empty again. */
void mpdp_vhu_mem_unmap(struct mpdp_vhu_mem *mem);

/* Local pointer for [addr, addr + len) in the field sel of region r, or NULL. */
static inline uint8_t *mpdp_vhu_mem_in_(const struct mpdp_vhu_mem_map *r, uint64_t base,
					uint64_t addr, uint64_t len)
{
	uint64_t off = addr - base;

	if (addr < base || off >= r->region.size || len > r->region.size - off)
		return NULL;
	return r->host + off;
}

/*
 * Local pointer for the guest (descriptor) address range [gpa, gpa + len),
 * or NULL unless the whole range lies in one region. len 0 is refused.
 * The fast path of every copy; mem->last_hit is a hint only, so concurrent
 * use from one thread per mem is required (each queue owner has its own).
 */
static inline void *mpdp_vhu_mem_gpa(struct mpdp_vhu_mem *mem, uint64_t gpa, uint64_t len)
{
	unsigned int i = mem->last_hit;
	uint8_t *p;

	if (len == 0)
		return NULL;
	if (i < mem->nregions) {
		p = mpdp_vhu_mem_in_(&mem->map[i], mem->map[i].region.guest_addr, gpa, len);
		if (p != NULL)
			return p;
	}
	for (i = 0; i < mem->nregions; i++) {
		p = mpdp_vhu_mem_in_(&mem->map[i], mem->map[i].region.guest_addr, gpa, len);
		if (p != NULL) {
			mem->last_hit = i;
			return p;
		}
	}
	return NULL;
}

/* The same for a frontend (user) address, as SET_VRING_ADDR carries. */
static inline void *mpdp_vhu_mem_uva(const struct mpdp_vhu_mem *mem, uint64_t uva, uint64_t len)
{
	if (len == 0)
		return NULL;
	for (unsigned int i = 0; i < mem->nregions; i++) {
		uint8_t *p = mpdp_vhu_mem_in_(&mem->map[i], mem->map[i].region.user_addr, uva, len);

		if (p != NULL)
			return p;
	}
	return NULL;
}

/* mpdp_virtq_translate_t over mpdp_vhu_mem_gpa (arg: struct mpdp_vhu_mem *). */
void *mpdp_vhu_mem_translate(void *arg, uint64_t addr, uint32_t len);

#endif /* MPDP_VHOST_USER_H */
