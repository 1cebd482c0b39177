/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_user.c - vhost-user messages (framing, validation, fds) and a
 * backend's mapping of the frontend's memory. See mpdp_vhost_user.h.
 *
 * Everything a peer sends is input (STYLE.md rule 8): mpdp_vhu_msg_check()
 * decides from the header, the payload and the number of fds alone whether
 * a message is well-formed, before any handler reads a field. It is a pure
 * function of those bytes, which is what the fuzz target drives.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp_vhost_user.h>

static const char *const request_names[MPDP_VHU_REQUEST_MAX] = {
	[MPDP_VHU_GET_FEATURES] = "GET_FEATURES",
	[MPDP_VHU_SET_FEATURES] = "SET_FEATURES",
	[MPDP_VHU_SET_OWNER] = "SET_OWNER",
	[MPDP_VHU_RESET_OWNER] = "RESET_OWNER",
	[MPDP_VHU_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[MPDP_VHU_SET_LOG_BASE] = "SET_LOG_BASE",
	[MPDP_VHU_SET_LOG_FD] = "SET_LOG_FD",
	[MPDP_VHU_SET_VRING_NUM] = "SET_VRING_NUM",
	[MPDP_VHU_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[MPDP_VHU_SET_VRING_BASE] = "SET_VRING_BASE",
	[MPDP_VHU_GET_VRING_BASE] = "GET_VRING_BASE",
	[MPDP_VHU_SET_VRING_KICK] = "SET_VRING_KICK",
	[MPDP_VHU_SET_VRING_CALL] = "SET_VRING_CALL",
	[MPDP_VHU_SET_VRING_ERR] = "SET_VRING_ERR",
	[MPDP_VHU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[MPDP_VHU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[MPDP_VHU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[MPDP_VHU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[MPDP_VHU_SEND_RARP] = "SEND_RARP",
	[MPDP_VHU_NET_SET_MTU] = "NET_SET_MTU",
	[MPDP_VHU_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
	[MPDP_VHU_IOTLB_MSG] = "IOTLB_MSG",
	[MPDP_VHU_SET_VRING_ENDIAN] = "SET_VRING_ENDIAN",
	[MPDP_VHU_GET_CONFIG] = "GET_CONFIG",
	[MPDP_VHU_SET_CONFIG] = "SET_CONFIG",
	[MPDP_VHU_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
	[MPDP_VHU_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
	[MPDP_VHU_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
	[MPDP_VHU_ADD_MEM_REG] = "ADD_MEM_REG",
	[MPDP_VHU_REM_MEM_REG] = "REM_MEM_REG",
	[MPDP_VHU_SET_STATUS] = "SET_STATUS",
	[MPDP_VHU_GET_STATUS] = "GET_STATUS",
};

const char *mpdp_vhu_request_str(uint32_t request)
{
	if (request < MPDP_VHU_REQUEST_MAX && request_names[request] != NULL)
		return request_names[request];
	return "UNKNOWN";
}

void mpdp_vhu_msg_init(struct mpdp_vhu_msg *m, uint32_t request, uint32_t flags, uint32_t size)
{
	memset(&m->hdr, 0, sizeof(m->hdr));
	m->hdr.request = request;
	m->hdr.flags = MPDP_VHU_VERSION | flags;
	m->hdr.size = size;
	memset(&m->u, 0, sizeof(m->u));
	for (unsigned int i = 0; i < MPDP_VHU_MAX_FDS; i++)
		m->fds[i] = -1;
	m->nfds = 0;
}

/* Expected payload of a request: exact size, or a range; fds; kind of fd rule. */
enum fd_rule {
	FD_NONE,    /* no fds */
	FD_ONE,     /* exactly one */
	FD_VRING,   /* one unless the payload's no-fd bit is set */
	FD_REGIONS, /* one per region */
	FD_MAYBE,   /* none or one (REM_MEM_REG: newer frontends send the fd) */
};

struct req_rule {
	uint8_t known;
	uint32_t min, max; /* payload size range (min == max: exact) */
	enum fd_rule fds;
};

#define EXACT(n) 1, (n), (n)
#define RANGE(a, b) 1, (a), (b)

/* What a backend receives (requests); known 0: not handled here. */
static const struct req_rule request_rules[MPDP_VHU_REQUEST_MAX] = {
	[MPDP_VHU_GET_FEATURES] = { EXACT(0), FD_NONE },
	[MPDP_VHU_SET_FEATURES] = { EXACT(8), FD_NONE },
	[MPDP_VHU_SET_OWNER] = { EXACT(0), FD_NONE },
	[MPDP_VHU_RESET_OWNER] = { RANGE(0, 8), FD_NONE },
	[MPDP_VHU_SET_MEM_TABLE] = { RANGE(8 + sizeof(struct mpdp_vhu_region),
					   sizeof(struct mpdp_vhu_mem_table)), FD_REGIONS },
	[MPDP_VHU_SET_LOG_BASE] = { RANGE(8, 16), FD_ONE },
	[MPDP_VHU_SET_LOG_FD] = { EXACT(0), FD_ONE },
	[MPDP_VHU_SET_VRING_NUM] = { EXACT(sizeof(struct mpdp_vhu_vring_state)), FD_NONE },
	[MPDP_VHU_SET_VRING_ADDR] = { EXACT(sizeof(struct mpdp_vhu_vring_addr)), FD_NONE },
	[MPDP_VHU_SET_VRING_BASE] = { EXACT(sizeof(struct mpdp_vhu_vring_state)), FD_NONE },
	[MPDP_VHU_GET_VRING_BASE] = { EXACT(sizeof(struct mpdp_vhu_vring_state)), FD_NONE },
	[MPDP_VHU_SET_VRING_KICK] = { EXACT(8), FD_VRING },
	[MPDP_VHU_SET_VRING_CALL] = { EXACT(8), FD_VRING },
	[MPDP_VHU_SET_VRING_ERR] = { EXACT(8), FD_VRING },
	[MPDP_VHU_GET_PROTOCOL_FEATURES] = { EXACT(0), FD_NONE },
	[MPDP_VHU_SET_PROTOCOL_FEATURES] = { EXACT(8), FD_NONE },
	[MPDP_VHU_GET_QUEUE_NUM] = { EXACT(0), FD_NONE },
	[MPDP_VHU_SET_VRING_ENABLE] = { EXACT(sizeof(struct mpdp_vhu_vring_state)), FD_NONE },
	[MPDP_VHU_SEND_RARP] = { EXACT(8), FD_NONE },
	[MPDP_VHU_NET_SET_MTU] = { EXACT(8), FD_NONE },
	[MPDP_VHU_SET_BACKEND_REQ_FD] = { EXACT(0), FD_ONE },
	[MPDP_VHU_SET_VRING_ENDIAN] = { EXACT(sizeof(struct mpdp_vhu_vring_state)), FD_NONE },
	[MPDP_VHU_GET_CONFIG] = { RANGE(12, 12 + 256), FD_NONE },
	[MPDP_VHU_SET_CONFIG] = { RANGE(12, 12 + 256), FD_NONE },
	[MPDP_VHU_SET_INFLIGHT_FD] = { EXACT(24), FD_ONE }, /* mmap size, offset, 2 x u16 */
	[MPDP_VHU_GET_MAX_MEM_SLOTS] = { EXACT(0), FD_NONE },
	[MPDP_VHU_ADD_MEM_REG] = { EXACT(sizeof(struct mpdp_vhu_mem_reg)), FD_ONE },
	[MPDP_VHU_REM_MEM_REG] = { EXACT(sizeof(struct mpdp_vhu_mem_reg)), FD_MAYBE },
	[MPDP_VHU_SET_STATUS] = { EXACT(8), FD_NONE },
	[MPDP_VHU_GET_STATUS] = { EXACT(0), FD_NONE },
};

/* What a frontend receives (replies to the requests that have one). */
static const struct req_rule reply_rules[MPDP_VHU_REQUEST_MAX] = {
	[MPDP_VHU_GET_FEATURES] = { EXACT(8), FD_NONE },
	[MPDP_VHU_GET_PROTOCOL_FEATURES] = { EXACT(8), FD_NONE },
	[MPDP_VHU_GET_QUEUE_NUM] = { EXACT(8), FD_NONE },
	[MPDP_VHU_GET_VRING_BASE] = { EXACT(sizeof(struct mpdp_vhu_vring_state)), FD_NONE },
	[MPDP_VHU_GET_MAX_MEM_SLOTS] = { EXACT(8), FD_NONE },
	[MPDP_VHU_GET_STATUS] = { EXACT(8), FD_NONE },
	[MPDP_VHU_GET_CONFIG] = { RANGE(12, 12 + 256), FD_NONE },
	[MPDP_VHU_SET_LOG_BASE] = { EXACT(8), FD_NONE },
	[MPDP_VHU_GET_INFLIGHT_FD] = { EXACT(24), FD_ONE },
};

static int fail(char *err, size_t n, const struct mpdp_vhu_msg *m, const char *what)
{
	if (err != NULL && n > 0)
		snprintf(err, n, "vhost-user %s%s: %s", mpdp_vhu_request_str(m->hdr.request),
			 (m->hdr.flags & MPDP_VHU_FLAG_REPLY) ? " reply" : "", what);
	return -EPROTO;
}

/* [a, a + len) does not wrap. */
static int range_ok(uint64_t a, uint64_t len)
{
	return len != 0 && a + len - 1 >= a;
}

static int region_ok(const struct mpdp_vhu_region *r)
{
	return range_ok(r->guest_addr, r->size) && range_ok(r->user_addr, r->size) &&
	       range_ok(r->mmap_offset, r->size);
}

int mpdp_vhu_msg_check(const struct mpdp_vhu_msg *m, bool as_backend, char *err, size_t err_size)
{
	const struct req_rule *rule = NULL;
	uint32_t req = m->hdr.request, size = m->hdr.size;
	unsigned int want_fds = 0;
	char what[96];

	if ((m->hdr.flags & MPDP_VHU_VERSION_MASK) != MPDP_VHU_VERSION)
		return fail(err, err_size, m, "protocol version is not 1");
	if (as_backend == !!(m->hdr.flags & MPDP_VHU_FLAG_REPLY))
		return fail(err, err_size, m,
			    as_backend ? "a reply where a request was due" : "not a reply");
	if (size > MPDP_VHU_MAX_PAYLOAD)
		return fail(err, err_size, m, "payload too long");
	if (m->nfds > MPDP_VHU_MAX_FDS)
		return fail(err, err_size, m, "too many fds");
	if (req < MPDP_VHU_REQUEST_MAX)
		rule = as_backend ? &request_rules[req] : &reply_rules[req];
	if (rule == NULL || !rule->known) {
		/* unknown here: the caller refuses it; it may carry no fds */
		if (m->nfds != 0)
			return fail(err, err_size, m, "unexpected fds");
		return 0;
	}
	if (size < rule->min || size > rule->max) {
		if (rule->min == rule->max)
			snprintf(what, sizeof(what), "payload of %u bytes, expected %u", size,
				 rule->min);
		else
			snprintf(what, sizeof(what), "payload of %u bytes, expected %u..%u", size,
				 rule->min, rule->max);
		return fail(err, err_size, m, what);
	}
	switch (rule->fds) {
	case FD_NONE:
		want_fds = 0;
		break;
	case FD_ONE:
		want_fds = 1;
		break;
	case FD_MAYBE:
		want_fds = m->nfds <= 1 ? m->nfds : 1;
		break;
	case FD_VRING:
		if (m->u.u64 & ~(uint64_t)(MPDP_VHU_VRING_IDX_MASK | MPDP_VHU_VRING_NOFD))
			return fail(err, err_size, m, "unknown bits in the ring word");
		want_fds = (m->u.u64 & MPDP_VHU_VRING_NOFD) ? 0 : 1;
		break;
	case FD_REGIONS: {
		const struct mpdp_vhu_mem_table *t = &m->u.mem;

		if (t->nregions == 0 || t->nregions > MPDP_VHU_MAX_REGIONS)
			return fail(err, err_size, m, "region count not in 1..8");
		if (size < 8 + t->nregions * sizeof(struct mpdp_vhu_region))
			return fail(err, err_size, m, "payload shorter than its regions");
		for (uint32_t i = 0; i < t->nregions; i++)
			if (!region_ok(&t->regions[i])) {
				snprintf(what, sizeof(what), "region %u is empty or wraps", i);
				return fail(err, err_size, m, what);
			}
		want_fds = t->nregions;
		break;
	}
	}
	if (req == MPDP_VHU_ADD_MEM_REG && as_backend && !region_ok(&m->u.mem_reg.region))
		return fail(err, err_size, m, "region is empty or wraps");
	if (m->nfds != want_fds) {
		snprintf(what, sizeof(what), "%u fds, expected %u", m->nfds, want_fds);
		return fail(err, err_size, m, what);
	}
	return 0;
}

int mpdp_vhu_msg_parse(const uint8_t *buf, size_t len, unsigned int nfds, bool as_backend,
		       struct mpdp_vhu_msg *m, char *err, size_t err_size)
{
	mpdp_vhu_msg_init(m, 0, 0, 0);
	if (len < sizeof(m->hdr)) {
		if (err != NULL && err_size > 0)
			snprintf(err, err_size, "vhost-user message shorter than its header");
		return -EPROTO;
	}
	memcpy(&m->hdr, buf, sizeof(m->hdr));
	if (m->hdr.size > MPDP_VHU_MAX_PAYLOAD || len - sizeof(m->hdr) != m->hdr.size) {
		if (err != NULL && err_size > 0)
			snprintf(err, err_size, "vhost-user %s: payload of %zu bytes, header says %u",
				 mpdp_vhu_request_str(m->hdr.request), len - sizeof(m->hdr),
				 m->hdr.size);
		return -EPROTO;
	}
	memcpy(m->u.raw, buf + sizeof(m->hdr), m->hdr.size);
	m->nfds = nfds;
	return mpdp_vhu_msg_check(m, as_backend, err, err_size);
}

void mpdp_vhu_msg_close_fds(struct mpdp_vhu_msg *m)
{
	for (unsigned int i = 0; i < MPDP_VHU_MAX_FDS; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
		m->fds[i] = -1;
	}
	m->nfds = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly len bytes (no fds) within the deadline. */
static int read_rest(int sock, uint8_t *p, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t r = recv(sock, p, len, MSG_DONTWAIT);

		if (r > 0) {
			p += r;
			len -= (size_t)r;
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int64_t left = deadline - now_ms();
		struct pollfd pfd = { .fd = sock, .events = POLLIN };

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

int mpdp_vhu_msg_recv(int sock, struct mpdp_vhu_msg *m, bool as_backend, int timeout_ms,
		      char *err, size_t err_size)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MPDP_VHU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &m->hdr, .iov_len = sizeof(m->hdr) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)
	};
	int64_t deadline;
	ssize_t r;
	int rc;

	mpdp_vhu_msg_init(m, 0, 0, 0);
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ECONNRESET;
	if (r < 0) {
		rc = -errno;
		if (rc != -EAGAIN && err != NULL && err_size > 0)
			snprintf(err, err_size, "vhost-user: recvmsg: %s", strerror(errno));
		return rc == -EWOULDBLOCK ? -EAGAIN : rc;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const uint8_t *data = CMSG_DATA(c);

		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, data + i * sizeof(int), sizeof(int));
			if (m->nfds < MPDP_VHU_MAX_FDS)
				m->fds[m->nfds++] = fd;
			else
				close(fd);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		mpdp_vhu_msg_close_fds(m);
		if (err != NULL && err_size > 0)
			snprintf(err, err_size, "vhost-user %s: more fds than %u",
				 mpdp_vhu_request_str(m->hdr.request), MPDP_VHU_MAX_FDS);
		return -EPROTO;
	}
	deadline = now_ms() + timeout_ms;
	rc = read_rest(sock, (uint8_t *)&m->hdr + r, sizeof(m->hdr) - (size_t)r, deadline);
	if (rc == 0 && m->hdr.size > MPDP_VHU_MAX_PAYLOAD) {
		if (err != NULL && err_size > 0)
			snprintf(err, err_size, "vhost-user %s: payload of %u bytes is too long",
				 mpdp_vhu_request_str(m->hdr.request), m->hdr.size);
		mpdp_vhu_msg_close_fds(m);
		return -EPROTO;
	}
	if (rc == 0)
		rc = read_rest(sock, m->u.raw, m->hdr.size, deadline);
	if (rc != 0) {
		if (err != NULL && err_size > 0)
			snprintf(err, err_size, "vhost-user %s: incomplete message: %s",
				 mpdp_vhu_request_str(m->hdr.request), strerror(-rc));
		mpdp_vhu_msg_close_fds(m);
		return rc;
	}
	rc = mpdp_vhu_msg_check(m, as_backend, err, err_size);
	if (rc != 0)
		mpdp_vhu_msg_close_fds(m);
	return rc;
}

int mpdp_vhu_msg_send(int sock, const struct mpdp_vhu_msg *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MPDP_VHU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)&m->hdr, .iov_len = sizeof(m->hdr) },
		{ .iov_base = (void *)m->u.raw, .iov_len = m->hdr.size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = m->hdr.size > 0 ? 2 : 1 };
	size_t total = sizeof(m->hdr) + m->hdr.size;
	ssize_t r;

	if (m->hdr.size > MPDP_VHU_MAX_PAYLOAD || m->nfds > MPDP_VHU_MAX_FDS)
		return -EINVAL;
	if (m->nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
		memcpy(CMSG_DATA(c), m->fds, sizeof(int) * m->nfds);
	}
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == total ? 0 : -EIO; /* small messages: a short send is a dead peer */
}

/* ---- the frontend's memory --------------------------------------------------- */

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a <= b + blen - 1 && b <= a + alen - 1;
}

void mpdp_vhu_mem_unmap(struct mpdp_vhu_mem *mem)
{
	for (unsigned int i = 0; i < mem->nregions; i++)
		if (mem->map[i].mmap_addr != NULL)
			munmap(mem->map[i].mmap_addr, mem->map[i].mmap_len);
	memset(mem, 0, sizeof(*mem));
}

int mpdp_vhu_mem_map(struct mpdp_vhu_mem *mem, const struct mpdp_vhu_region *regions,
		     const int *fds, unsigned int n, bool *sealed, char *err, size_t err_size)
{
	bool all_sealed = true;
	char ignored[1];

	if (err == NULL) {
		err = ignored;
		err_size = sizeof(ignored);
	}
	if (mem->nregions != 0 || n == 0 || n > MPDP_VHU_MAX_REGIONS) {
		snprintf(err, err_size, "vhost-user memory: %u regions (1..%u, into an empty table)",
			 n, MPDP_VHU_MAX_REGIONS);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct mpdp_vhu_region *r = &regions[i];

		if (!region_ok(r)) {
			snprintf(err, err_size, "vhost-user memory: region %u is empty or wraps", i);
			return -EINVAL;
		}
		for (unsigned int j = 0; j < i; j++) {
			if (overlaps(r->guest_addr, r->size, regions[j].guest_addr, regions[j].size) ||
			    overlaps(r->user_addr, r->size, regions[j].user_addr, regions[j].size)) {
				snprintf(err, err_size,
					 "vhost-user memory: regions %u and %u overlap", j, i);
				return -EINVAL;
			}
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		const struct mpdp_vhu_region *r = &regions[i];
		struct mpdp_vhu_mem_map *mp = &mem->map[i];
		struct stat st;
		uint64_t end = r->mmap_offset + r->size, map_len;
		int seals;
		void *addr;

		/*
		 * Keep the frontend from cutting the file under the mapping
		 * (SIGBUS). Seal before fstat: sealed after it, the file could
		 * be cut in between and the size check would be stale.
		 */
		(void)fcntl(fds[i], F_ADD_SEALS, F_SEAL_SHRINK);
		seals = fcntl(fds[i], F_GET_SEALS);
		if (seals < 0 || !(seals & F_SEAL_SHRINK))
			all_sealed = false;
		/* end is 0 when mmap_offset + size is exactly 2^64 */
		if (fstat(fds[i], &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
		    end < r->size || (uint64_t)st.st_size < end || end > (uint64_t)SIZE_MAX) {
			snprintf(err, err_size,
				 "vhost-user memory: region %u: fd is not a file of at least %llu bytes",
				 i, (unsigned long long)end);
			mpdp_vhu_mem_unmap(mem);
			return -EINVAL;
		}
		/* hugetlbfs maps whole pages: round up within the file */
		map_len = end;
		if (st.st_blksize > 0 && end % (uint64_t)st.st_blksize != 0 &&
		    end + (uint64_t)st.st_blksize - end % (uint64_t)st.st_blksize <= (uint64_t)st.st_size)
			map_len = end + (uint64_t)st.st_blksize - end % (uint64_t)st.st_blksize;
		addr = mmap(NULL, (size_t)map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (addr == MAP_FAILED) {
			int rc = -errno;

			snprintf(err, err_size, "vhost-user memory: region %u: mmap of %llu bytes: %s",
				 i, (unsigned long long)end, strerror(errno));
			mpdp_vhu_mem_unmap(mem);
			return rc;
		}
		mp->region = *r;
		mp->mmap_addr = addr;
		mp->mmap_len = (size_t)map_len;
		mp->host = (uint8_t *)addr + r->mmap_offset;
		mem->nregions = i + 1;
	}
	mem->last_hit = 0;
	if (sealed != NULL)
		*sealed = all_sealed;
	return 0;
}

void *mpdp_vhu_mem_translate(void *arg, uint64_t addr, uint32_t len)
{
	return mpdp_vhu_mem_gpa(arg, addr, len);
}
