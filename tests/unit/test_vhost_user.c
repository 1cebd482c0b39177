/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vhost_user.c - vhost-user messages and a backend's map of the
 * frontend's memory.
 *
 * Messages: every request, well-formed, passes mpdp_vhu_msg_parse() as a
 * backend; every way to break one (version, direction, size, fds, region
 * table, ring word) is refused with -EPROTO and an error line naming the
 * request. The expected sizes below are written from the protocol
 * (QEMU docs/interop/vhost-user.rst), not copied from the library's table.
 * Over a real socketpair: payload and fds arrive (same files: st_ino), and a
 * peer that stops, closes or sends too many fds costs no fd.
 *
 * Memory: memfd regions map and translate (gpa and uva, first and last
 * byte, nothing across a region end), bad tables are refused with nothing
 * left mapped (/proc/self/maps), sealing is reported as it is.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp_vhost_user.h>

#include "unit_util.h"

#define HDR_LEN sizeof(struct mpdp_vhu_hdr)
#define MAP_TAG "memfd:vhu-test"

static unsigned int cases; /* messages checked, reported at the end */

/* ---- helpers ----------------------------------------------------------------- */

/* Header {request, flags, size} + size bytes of payload into buf; returns the length. */
static size_t wire(uint8_t *buf, uint32_t req, uint32_t flags, const void *payload, uint32_t size)
{
	struct mpdp_vhu_hdr h = { req, flags, size };

	memcpy(buf, &h, HDR_LEN);
	if (size > 0)
		memcpy(buf + HDR_LEN, payload, size);
	return HDR_LEN + size;
}

/* Rewrite the size field of the header in buf. */
static void set_size(uint8_t *buf, uint32_t size)
{
	memcpy(buf + offsetof(struct mpdp_vhu_hdr, size), &size, sizeof(size));
}

static bool one_line(const char *s)
{
	return s[0] != '\0' && strchr(s, '\n') == NULL;
}

/* buf[0..len) with nfds fds must pass. */
static void ok_at(int line, const uint8_t *buf, size_t len, unsigned int nfds, bool backend)
{
	struct mpdp_vhu_msg m;
	char err[256] = "";
	int rc = mpdp_vhu_msg_parse(buf, len, nfds, backend, &m, err, sizeof(err));

	cases++;
	if (rc != 0) {
		fprintf(stderr, "  refused: %s\n", err);
		unit_fail_rc(__FILE__, line, "mpdp_vhu_msg_parse (well-formed)", rc, 0);
		return;
	}
	if (memcmp(&m.hdr, buf, HDR_LEN) != 0 || m.nfds != nfds ||
	    memcmp(m.u.raw, buf + HDR_LEN, len - HDR_LEN) != 0)
		unit_fail(__FILE__, line, "parsed message differs from the bytes");
}

/* buf[0..len) with nfds fds must be refused, the error line naming name. */
static void bad_at(int line, const uint8_t *buf, size_t len, unsigned int nfds, bool backend,
		   const char *name)
{
	struct mpdp_vhu_msg m;
	char err[256] = "";
	int rc = mpdp_vhu_msg_parse(buf, len, nfds, backend, &m, err, sizeof(err));

	cases++;
	if (rc != -EPROTO) {
		unit_fail_rc(__FILE__, line, "mpdp_vhu_msg_parse (malformed)", rc, -EPROTO);
		return;
	}
	if (!one_line(err) || (name != NULL && strstr(err, name) == NULL)) {
		fprintf(stderr, "  error line \"%s\" should name %s\n", err, name);
		unit_fail(__FILE__, line, "error line");
	}
}

#define OK(buf, len, nfds, backend)        ok_at(__LINE__, buf, len, nfds, backend)
#define BAD(buf, len, nfds, backend, name) bad_at(__LINE__, buf, len, nfds, backend, name)

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	REQUIRE(d != NULL);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Mappings of this test's memfds. */
static int maps_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	REQUIRE(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, MAP_TAG) != NULL;
	fclose(f);
	return n;
}

static int memfd(const char *name, size_t len, bool sealing)
{
	char full[64];
	int fd;

	snprintf(full, sizeof(full), "vhu-test-%s", name);
	fd = memfd_create(full, MFD_CLOEXEC | (sealing ? MFD_ALLOW_SEALING : 0));
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, (off_t)len) == 0);
	return fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sendmsg() of raw bytes with n fds, as a misbehaving peer would. */
static void raw_send(int sock, const void *buf, size_t len, const int *fds, unsigned int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	REQUIRE(n <= 16);
	if (n > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	REQUIRE(sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len);
}

/* ---- what the protocol says ------------------------------------------------- */

struct spec {
	bool known;
	uint32_t min, max;
};

/* Payload sizes of the requests a backend handles (others are unknown to it). */
static struct spec request_spec(uint32_t r)
{
	switch (r) {
	case MPDP_VHU_GET_FEATURES:
	case MPDP_VHU_SET_OWNER:
	case MPDP_VHU_SET_LOG_FD:
	case MPDP_VHU_GET_PROTOCOL_FEATURES:
	case MPDP_VHU_GET_QUEUE_NUM:
	case MPDP_VHU_SET_BACKEND_REQ_FD:
	case MPDP_VHU_GET_MAX_MEM_SLOTS:
	case MPDP_VHU_GET_STATUS:
		return (struct spec){ true, 0, 0 };
	case MPDP_VHU_RESET_OWNER:
		return (struct spec){ true, 0, 8 };
	case MPDP_VHU_SET_FEATURES:
	case MPDP_VHU_SET_PROTOCOL_FEATURES:
	case MPDP_VHU_SEND_RARP:
	case MPDP_VHU_NET_SET_MTU:
	case MPDP_VHU_SET_STATUS:
	case MPDP_VHU_SET_VRING_KICK:
	case MPDP_VHU_SET_VRING_CALL:
	case MPDP_VHU_SET_VRING_ERR:
	case MPDP_VHU_SET_VRING_NUM:
	case MPDP_VHU_SET_VRING_BASE:
	case MPDP_VHU_GET_VRING_BASE:
	case MPDP_VHU_SET_VRING_ENABLE:
	case MPDP_VHU_SET_VRING_ENDIAN:
		return (struct spec){ true, 8, 8 };
	case MPDP_VHU_SET_MEM_TABLE:
		return (struct spec){ true, 8 + 32, 8 + 8 * 32 };
	case MPDP_VHU_SET_LOG_BASE:
		return (struct spec){ true, 8, 16 };
	case MPDP_VHU_SET_VRING_ADDR:
		return (struct spec){ true, 40, 40 };
	case MPDP_VHU_GET_CONFIG:
	case MPDP_VHU_SET_CONFIG:
		return (struct spec){ true, 12, 12 + 256 };
	case MPDP_VHU_SET_INFLIGHT_FD:
		return (struct spec){ true, 24, 24 };
	case MPDP_VHU_ADD_MEM_REG:
	case MPDP_VHU_REM_MEM_REG:
		return (struct spec){ true, 40, 40 };
	default:
		return (struct spec){ false, 0, 0 };
	}
}

/* Replies a frontend reads; others (REPLY_ACK answers) are unknown to the check. */
static struct spec reply_spec(uint32_t r)
{
	switch (r) {
	case MPDP_VHU_GET_FEATURES:
	case MPDP_VHU_GET_PROTOCOL_FEATURES:
	case MPDP_VHU_GET_QUEUE_NUM:
	case MPDP_VHU_GET_VRING_BASE:
	case MPDP_VHU_GET_MAX_MEM_SLOTS:
	case MPDP_VHU_GET_STATUS:
	case MPDP_VHU_SET_LOG_BASE:
		return (struct spec){ true, 8, 8 };
	case MPDP_VHU_GET_CONFIG:
		return (struct spec){ true, 12, 12 + 256 };
	case MPDP_VHU_GET_INFLIGHT_FD:
		return (struct spec){ true, 24, 24 };
	default:
		return (struct spec){ false, 0, 0 };
	}
}

static struct mpdp_vhu_region region(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off)
{
	return (struct mpdp_vhu_region){ gpa, size, uva, off };
}

/* A well-formed request r as a frontend sends it: payload into p, its size, *nfds. */
static uint32_t good_request(uint32_t r, uint8_t *p, unsigned int *nfds)
{
	uint64_t u = 0;

	memset(p, 0, MPDP_VHU_MAX_PAYLOAD);
	*nfds = 0;
	switch (r) {
	case MPDP_VHU_SET_MEM_TABLE: {
		struct mpdp_vhu_mem_table t = { .nregions = 2 };

		t.regions[0] = region(0, 0xa0000, 0x7f0000000000, 0);
		t.regions[1] = region(0x100000, 0x3ff00000, 0x7f0000100000, 0x100000);
		memcpy(p, &t, 8 + 2 * 32);
		*nfds = 2;
		return 8 + 2 * 32;
	}
	case MPDP_VHU_ADD_MEM_REG:
	case MPDP_VHU_REM_MEM_REG: {
		struct mpdp_vhu_mem_reg mr = { 0, region(0x100000, 0x1000, 0x7f0000100000, 0) };

		memcpy(p, &mr, sizeof(mr));
		*nfds = r == MPDP_VHU_ADD_MEM_REG;
		return sizeof(mr);
	}
	case MPDP_VHU_SET_VRING_ADDR: {
		struct mpdp_vhu_vring_addr a = {
			1, 0, 0x7f0000001000, 0x7f0000003000, 0x7f0000002000, 0
		};

		memcpy(p, &a, sizeof(a));
		return sizeof(a);
	}
	case MPDP_VHU_SET_VRING_KICK:
	case MPDP_VHU_SET_VRING_CALL:
	case MPDP_VHU_SET_VRING_ERR:
		u = 3; /* ring 3, with its eventfd */
		memcpy(p, &u, 8);
		*nfds = 1;
		return 8;
	case MPDP_VHU_SET_LOG_BASE:
		u = 0x10000; /* log size, then offset */
		memcpy(p, &u, 8);
		*nfds = 1;
		return 16;
	case MPDP_VHU_SET_LOG_FD:
	case MPDP_VHU_SET_BACKEND_REQ_FD:
		*nfds = 1;
		return 0;
	case MPDP_VHU_SET_INFLIGHT_FD:
		u = 0x2000; /* mmap_size */
		memcpy(p, &u, 8);
		*nfds = 1;
		return 24;
	case MPDP_VHU_GET_CONFIG:
	case MPDP_VHU_SET_CONFIG:
		p[4] = 6; /* offset 0, size 6, flags 0, then the config bytes */
		return 12 + 6;
	case MPDP_VHU_SET_FEATURES:
		u = 1ull << 32 | 1ull << 30;
		memcpy(p, &u, 8);
		return 8;
	case MPDP_VHU_SET_VRING_NUM:
	case MPDP_VHU_SET_VRING_BASE:
	case MPDP_VHU_GET_VRING_BASE:
	case MPDP_VHU_SET_VRING_ENABLE:
	case MPDP_VHU_SET_VRING_ENDIAN: {
		struct mpdp_vhu_vring_state s = { 1, 256 };

		memcpy(p, &s, sizeof(s));
		return sizeof(s);
	}
	case MPDP_VHU_GET_INFLIGHT_FD:
		return 24; /* unknown to a backend here: it answers, so the check passes it */
	case MPDP_VHU_IOTLB_MSG:
		return 8 + 8 + 8 + 2 + 6; /* unknown here as well */
	default: {
		struct spec s = request_spec(r);

		return s.known ? s.min : 0;
	}
	}
}

/* ---- messages ------------------------------------------------------------------- */

static void test_names(void)
{
	CHECK(strcmp(mpdp_vhu_request_str(MPDP_VHU_SET_MEM_TABLE), "SET_MEM_TABLE") == 0);
	CHECK(strcmp(mpdp_vhu_request_str(MPDP_VHU_GET_STATUS), "GET_STATUS") == 0);
	CHECK(strcmp(mpdp_vhu_request_str(MPDP_VHU_GET_FEATURES), "GET_FEATURES") == 0);
	CHECK(strcmp(mpdp_vhu_request_str(0), "UNKNOWN") == 0);
	CHECK(strcmp(mpdp_vhu_request_str(26), "UNKNOWN") == 0);
	CHECK(strcmp(mpdp_vhu_request_str(MPDP_VHU_REQUEST_MAX), "UNKNOWN") == 0);
	CHECK(strcmp(mpdp_vhu_request_str(UINT32_MAX), "UNKNOWN") == 0);
	for (uint32_t r = 0; r < 64; r++)
		CHECK(mpdp_vhu_request_str(r) != NULL);
}

/* Every request, well-formed, and each generic way to break it. */
static void test_every_request(void)
{
	uint8_t p[MPDP_VHU_MAX_PAYLOAD + 64], buf[HDR_LEN + sizeof(p)];
	const uint32_t v = MPDP_VHU_VERSION;

	for (uint32_t r = 0; r <= MPDP_VHU_REQUEST_MAX + 4; r++) {
		const char *name = mpdp_vhu_request_str(r);
		struct spec s = request_spec(r);
		unsigned int nfds;
		uint32_t size = good_request(r, p, &nfds);
		size_t len;

		/* well-formed, with and without asking for a reply */
		len = wire(buf, r, v, p, size);
		OK(buf, len, nfds, true);
		len = wire(buf, r, v | MPDP_VHU_FLAG_NEED_REPLY, p, size);
		OK(buf, len, nfds, true);

		/* version bits */
		for (uint32_t ver = 0; ver < 4; ver++) {
			if (ver == v)
				continue;
			len = wire(buf, r, ver, p, size);
			BAD(buf, len, nfds, true, name);
		}
		/* a reply where a request is due */
		len = wire(buf, r, v | MPDP_VHU_FLAG_REPLY, p, size);
		BAD(buf, len, nfds, true, name);
		/* and a request where a reply is due */
		len = wire(buf, r, v, p, size);
		BAD(buf, len, nfds, false, name);

		/* header and buffer disagree, either way */
		len = wire(buf, r, v, p, size);
		set_size(buf, size + 1);
		BAD(buf, len, nfds, true, name);
		len = wire(buf, r, v, p, size + 1);
		set_size(buf, size);
		BAD(buf, len, nfds, true, name);
		if (size > 0) {
			len = wire(buf, r, v, p, size);
			BAD(buf, len - 1, nfds, true, name);
		}
		/* over the maximum, even when the buffer has it all */
		len = wire(buf, r, v, p, MPDP_VHU_MAX_PAYLOAD + 1);
		BAD(buf, len, nfds, true, name);
		len = wire(buf, r, v, p, MPDP_VHU_MAX_PAYLOAD + 1);
		BAD(buf, HDR_LEN + MPDP_VHU_MAX_PAYLOAD, nfds, true, name);

		/* sizes outside what the request carries */
		if (s.known && s.min > 0) {
			len = wire(buf, r, v, p, s.min - 1);
			BAD(buf, len, nfds, true, name);
			len = wire(buf, r, v, p, 0);
			BAD(buf, len, nfds, true, name);
		}
		if (s.known) {
			len = wire(buf, r, v, p, s.max + 1);
			BAD(buf, len, nfds, true, name);
			len = wire(buf, r, v, p, s.max + 8);
			BAD(buf, len, nfds, true, name);
		}
		if (!s.known) { /* unknown: any size up to the maximum passes, the caller answers */
			len = wire(buf, r, v, p, MPDP_VHU_MAX_PAYLOAD);
			OK(buf, len, 0, true);
			len = wire(buf, r, v, p, 3);
			OK(buf, len, 0, true);
		}

		/* fds: one more (REM_MEM_REG may carry one), one fewer, too many */
		len = wire(buf, r, v, p, size);
		if (r == MPDP_VHU_REM_MEM_REG)
			OK(buf, len, nfds + 1, true);
		else
			BAD(buf, len, nfds + 1, true, name);
		if (nfds > 0)
			BAD(buf, len, nfds - 1, true, name);
		BAD(buf, len, MPDP_VHU_MAX_FDS + 1, true, name);
		BAD(buf, len, 100, true, name);
	}
}

/* Replies, as a frontend reads them. */
static void test_replies(void)
{
	uint8_t p[MPDP_VHU_MAX_PAYLOAD + 64] = { 0 }, buf[HDR_LEN + sizeof(p)];
	const uint32_t rep = MPDP_VHU_VERSION | MPDP_VHU_FLAG_REPLY;

	for (uint32_t r = 0; r <= MPDP_VHU_REQUEST_MAX + 4; r++) {
		const char *name = mpdp_vhu_request_str(r);
		struct spec s = reply_spec(r);
		unsigned int nfds = r == MPDP_VHU_GET_INFLIGHT_FD;
		uint32_t size = s.known ? s.min : 8; /* unknown: a REPLY_ACK u64 */
		size_t len;

		len = wire(buf, r, rep, p, size);
		OK(buf, len, nfds, false);
		BAD(buf, len, nfds, true, name); /* a backend takes no reply */
		len = wire(buf, r, MPDP_VHU_VERSION, p, size);
		BAD(buf, len, nfds, false, name); /* a frontend takes no request */
		len = wire(buf, r, MPDP_VHU_FLAG_REPLY | 2, p, size);
		BAD(buf, len, nfds, false, name); /* version 2 */
		len = wire(buf, r, rep, p, size);
		BAD(buf, len, nfds + 1, false, name); /* an fd too many */
		if (nfds > 0)
			BAD(buf, len, 0, false, name); /* GET_INFLIGHT_FD without its fd */
		if (s.known) {
			len = wire(buf, r, rep, p, s.min - 1);
			BAD(buf, len, nfds, false, name);
			len = wire(buf, r, rep, p, s.max + 1);
			BAD(buf, len, nfds, false, name);
		}
	}
	/* GET_CONFIG reply: the range 12..268 */
	size_t len = wire(buf, MPDP_VHU_GET_CONFIG, rep, p, 12 + 256);
	OK(buf, len, 0, false);
}

/* Header alone: too short to say anything. */
static void test_short(void)
{
	uint8_t buf[HDR_LEN] = { MPDP_VHU_GET_FEATURES, 0, 0, 0, MPDP_VHU_VERSION };
	struct mpdp_vhu_msg m;
	char err[128] = "";

	for (size_t len = 0; len < HDR_LEN; len++) {
		CHECK_EQ(mpdp_vhu_msg_parse(buf, len, 0, true, &m, err, sizeof(err)), -EPROTO);
		CHECK(one_line(err));
		cases++;
	}
	CHECK_EQ(mpdp_vhu_msg_parse(buf, HDR_LEN, 0, true, &m, err, sizeof(err)), 0);
	/* no error buffer: still refused, nothing written */
	CHECK_EQ(mpdp_vhu_msg_parse(buf, 3, 0, true, &m, NULL, 0), -EPROTO);
	buf[4] = 0;
	CHECK_EQ(mpdp_vhu_msg_parse(buf, HDR_LEN, 0, true, &m, NULL, 0), -EPROTO);
	CHECK_EQ(mpdp_vhu_msg_parse(buf, HDR_LEN, 0, true, &m, err, 1), -EPROTO);
	CHECK(err[0] == '\0');
	/* placeholders: parse never hands out fds */
	buf[4] = MPDP_VHU_VERSION;
	buf[0] = MPDP_VHU_SET_LOG_FD;
	CHECK_EQ(mpdp_vhu_msg_parse(buf, HDR_LEN, 1, true, &m, err, sizeof(err)), 0);
	for (unsigned int i = 0; i < MPDP_VHU_MAX_FDS; i++)
		CHECK_EQ(m.fds[i], -1);
	mpdp_vhu_msg_close_fds(&m);
	CHECK_EQ(m.nfds, 0);
}

static size_t mem_table(uint8_t *buf, uint32_t nregions, uint32_t size,
			const struct mpdp_vhu_region *regions, unsigned int nr)
{
	struct mpdp_vhu_mem_table t;

	memset(&t, 0, sizeof(t));
	t.nregions = nregions;
	memcpy(t.regions, regions, nr * sizeof(*regions));
	return wire(buf, MPDP_VHU_SET_MEM_TABLE, MPDP_VHU_VERSION, &t, size);
}

static void test_mem_table(void)
{
	uint8_t buf[HDR_LEN + MPDP_VHU_MAX_PAYLOAD];
	struct mpdp_vhu_region rg[9];
	const char *name = "SET_MEM_TABLE";
	size_t len;

	for (unsigned int i = 0; i < 9; i++)
		rg[i] = region(0x100000ull * i, 0x1000, 0x7f0000000000 + 0x100000ull * i, 0);
	/* 1..8 regions, the payload just big enough or the whole table */
	for (uint32_t n = 1; n <= MPDP_VHU_MAX_REGIONS; n++) {
		len = mem_table(buf, n, 8 + 32 * n, rg, n);
		OK(buf, len, n, true);
		len = mem_table(buf, n, sizeof(struct mpdp_vhu_mem_table), rg, n);
		OK(buf, len, n, true);
		BAD(buf, len, n - 1, true, name); /* fds != regions */
		if (n < MPDP_VHU_MAX_FDS)
			BAD(buf, len, n + 1, true, name);
	}
	/* 0 and 9 regions */
	len = mem_table(buf, 0, 8 + 32, rg, 1);
	BAD(buf, len, 0, true, name);
	BAD(buf, len, 1, true, name);
	len = mem_table(buf, 9, sizeof(struct mpdp_vhu_mem_table), rg, 8);
	BAD(buf, len, 8, true, name);
	len = mem_table(buf, UINT32_MAX, sizeof(struct mpdp_vhu_mem_table), rg, 8);
	BAD(buf, len, 8, true, name);
	/* more regions than the payload holds */
	len = mem_table(buf, 3, 8 + 2 * 32, rg, 3);
	BAD(buf, len, 3, true, name);
	len = mem_table(buf, 8, 8 + 7 * 32 + 31, rg, 8);
	BAD(buf, len, 8, true, name);

	/* a region of size 0, or wrapping in any of its three ranges, in any slot */
	for (unsigned int bad = 0; bad < 4; bad++) {
		struct mpdp_vhu_region r[3] = { rg[0], rg[1], rg[2] };

		r[bad % 3].size = 0;
		len = mem_table(buf, 3, 8 + 3 * 32, r, 3);
		BAD(buf, len, 3, true, name);
		r[bad % 3] = rg[bad % 3];
		r[bad % 3].size = 0x2000;
		if (bad == 0)
			r[0].guest_addr = UINT64_MAX - 0xfff;
		else if (bad == 1)
			r[1].user_addr = UINT64_MAX - 0x1000 + 2;
		else if (bad == 2)
			r[2].mmap_offset = UINT64_MAX;
		else
			r[0].size = UINT64_MAX;
		len = mem_table(buf, 3, 8 + 3 * 32, r, 3);
		BAD(buf, len, 3, true, name);
	}
	/* ... while ending exactly at 2^64 is fine */
	rg[0] = region(UINT64_MAX - 0xfff, 0x1000, UINT64_MAX - 0xfff, UINT64_MAX - 0xfff);
	len = mem_table(buf, 1, 8 + 32, rg, 1);
	OK(buf, len, 1, true);
	/* a region past nregions is not looked at */
	rg[1].size = 0;
	len = mem_table(buf, 1, 8 + 2 * 32, rg, 2);
	OK(buf, len, 1, true);

	/* ADD_MEM_REG: one region, one fd */
	struct mpdp_vhu_mem_reg mr = { 0, region(0x1000, 0, 0x2000, 0) };

	len = wire(buf, MPDP_VHU_ADD_MEM_REG, MPDP_VHU_VERSION, &mr, sizeof(mr));
	BAD(buf, len, 1, true, "ADD_MEM_REG");
	mr.region.size = UINT64_MAX;
	len = wire(buf, MPDP_VHU_ADD_MEM_REG, MPDP_VHU_VERSION, &mr, sizeof(mr));
	BAD(buf, len, 1, true, "ADD_MEM_REG");
	mr.region.size = 0x1000;
	len = wire(buf, MPDP_VHU_ADD_MEM_REG, MPDP_VHU_VERSION, &mr, sizeof(mr));
	OK(buf, len, 1, true);
	BAD(buf, len, 0, true, "ADD_MEM_REG");
	BAD(buf, len, 2, true, "ADD_MEM_REG");
}

static void test_vring_fds(void)
{
	static const uint32_t reqs[] = { MPDP_VHU_SET_VRING_KICK, MPDP_VHU_SET_VRING_CALL,
					 MPDP_VHU_SET_VRING_ERR };
	uint8_t buf[HDR_LEN + 8];

	for (unsigned int i = 0; i < 3; i++) {
		const char *name = mpdp_vhu_request_str(reqs[i]);
		uint64_t w;
		size_t len;

		for (w = 0; w <= MPDP_VHU_VRING_IDX_MASK; w += 0x55) {
			len = wire(buf, reqs[i], MPDP_VHU_VERSION, &w, 8);
			OK(buf, len, 1, true);
			BAD(buf, len, 0, true, name); /* an fd is due */
			BAD(buf, len, 2, true, name);
			w |= MPDP_VHU_VRING_NOFD;
			len = wire(buf, reqs[i], MPDP_VHU_VERSION, &w, 8);
			OK(buf, len, 0, true);
			BAD(buf, len, 1, true, name); /* "no fd", with one */
			w &= ~(uint64_t)MPDP_VHU_VRING_NOFD;
		}
		/* any bit above the no-fd bit, with or without an fd */
		for (unsigned int bit = 9; bit < 64; bit++) {
			w = 1ull << bit | 2;
			len = wire(buf, reqs[i], MPDP_VHU_VERSION, &w, 8);
			BAD(buf, len, 1, true, name);
			BAD(buf, len, 0, true, name);
			w |= MPDP_VHU_VRING_NOFD;
			len = wire(buf, reqs[i], MPDP_VHU_VERSION, &w, 8);
			BAD(buf, len, 0, true, name);
		}
	}
}

static void test_unknown(void)
{
	uint8_t p[16] = { 0 }, buf[HDR_LEN + 16];
	static const uint32_t reqs[] = {
		0, 26, 30, 33, 35, MPDP_VHU_REQUEST_MAX, 1000, UINT32_MAX
	};

	for (unsigned int i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t len = wire(buf, reqs[i], MPDP_VHU_VERSION, p, 16);

		OK(buf, len, 0, true);
		for (unsigned int n = 1; n <= MPDP_VHU_MAX_FDS + 1; n++)
			BAD(buf, len, n, true, "UNKNOWN");
		len = wire(buf, reqs[i], MPDP_VHU_VERSION | MPDP_VHU_FLAG_REPLY, p, 16);
		OK(buf, len, 0, false);
		BAD(buf, len, 1, false, "UNKNOWN");
	}
}

/* mpdp_vhu_msg_check() directly: what recv hands it. */
static void test_check_direct(void)
{
	struct mpdp_vhu_msg m;
	char err[128];

	mpdp_vhu_msg_init(&m, MPDP_VHU_GET_FEATURES, 0, 0);
	CHECK_EQ(m.hdr.flags, MPDP_VHU_VERSION);
	CHECK_EQ(mpdp_vhu_msg_check(&m, true, err, sizeof(err)), 0);
	m.hdr.size = MPDP_VHU_MAX_PAYLOAD + 1; /* parse cannot get here; recv could not either */
	CHECK_EQ(mpdp_vhu_msg_check(&m, true, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "GET_FEATURES") != NULL);
	m.hdr.size = 0;
	m.nfds = MPDP_VHU_MAX_FDS + 1;
	CHECK_EQ(mpdp_vhu_msg_check(&m, true, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "GET_FEATURES") != NULL);
	CHECK_EQ(mpdp_vhu_msg_check(&m, true, NULL, 0), -EPROTO);
}

/* ---- over a socket ----------------------------------------------------------- */

static void check_same_file(int a, int b)
{
	struct stat sa, sb;

	REQUIRE(fstat(a, &sa) == 0 && fstat(b, &sb) == 0);
	CHECK(sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev);
	CHECK(a != b);
	CHECK(fcntl(b, F_GETFD) & FD_CLOEXEC);
}

static void test_send_recv(void)
{
	struct mpdp_vhu_msg m, r;
	char err[256] = "";
	int sv[2], mfd[2], efd;
	int before = fd_count();

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);

	/* SET_MEM_TABLE with two memfds */
	mfd[0] = memfd("sr0", 4096, false);
	mfd[1] = memfd("sr1", 8192, true);
	mpdp_vhu_msg_init(&m, MPDP_VHU_SET_MEM_TABLE, MPDP_VHU_FLAG_NEED_REPLY, 8 + 2 * 32);
	m.u.mem.nregions = 2;
	m.u.mem.regions[0] = region(0, 4096, 0x7f0000000000, 0);
	m.u.mem.regions[1] = region(0x100000, 8192, 0x7f0000100000, 0);
	m.fds[0] = mfd[0];
	m.fds[1] = mfd[1];
	m.nfds = 2;
	CHECK_EQ(mpdp_vhu_msg_send(sv[0], &m), 0);
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 1000, err, sizeof(err)), 0);
	CHECK(memcmp(&r.hdr, &m.hdr, HDR_LEN) == 0);
	CHECK(memcmp(r.u.raw, m.u.raw, m.hdr.size) == 0);
	CHECK_EQ(r.nfds, 2);
	if (r.nfds == 2) {
		check_same_file(mfd[0], r.fds[0]);
		check_same_file(mfd[1], r.fds[1]);
	}
	mpdp_vhu_msg_close_fds(&r);
	CHECK_EQ(r.fds[0], -1);

	/* SET_VRING_KICK with an eventfd, then one with the no-fd bit */
	efd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(efd >= 0);
	mpdp_vhu_msg_init(&m, MPDP_VHU_SET_VRING_KICK, 0, 8);
	m.u.u64 = 5;
	m.fds[0] = efd;
	m.nfds = 1;
	CHECK_EQ(mpdp_vhu_msg_send(sv[0], &m), 0);
	mpdp_vhu_msg_init(&m, MPDP_VHU_SET_VRING_CALL, 0, 8);
	m.u.u64 = 5 | MPDP_VHU_VRING_NOFD;
	CHECK_EQ(mpdp_vhu_msg_send(sv[0], &m), 0);
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 1000, err, sizeof(err)), 0);
	CHECK_EQ(r.hdr.request, MPDP_VHU_SET_VRING_KICK);
	CHECK_EQ(r.u.u64, 5);
	CHECK_EQ(r.nfds, 1);
	if (r.nfds == 1) {
		uint64_t one = 1, got = 0;

		check_same_file(efd, r.fds[0]);
		/* the same eventfd: what one writes, the other reads */
		CHECK(write(efd, &one, 8) == 8);
		CHECK(read(r.fds[0], &got, 8) == 8 && got == 1);
	}
	mpdp_vhu_msg_close_fds(&r);
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 1000, err, sizeof(err)), 0);
	CHECK_EQ(r.hdr.request, MPDP_VHU_SET_VRING_CALL);
	CHECK_EQ(r.nfds, 0);

	/* a reply the other way, as a frontend; then a full-size unknown request */
	mpdp_vhu_msg_init(&m, MPDP_VHU_GET_FEATURES, MPDP_VHU_FLAG_REPLY, 8);
	m.u.u64 = 0x140008000ull;
	CHECK_EQ(mpdp_vhu_msg_send(sv[1], &m), 0);
	CHECK_EQ(mpdp_vhu_msg_recv(sv[0], &r, false, 1000, err, sizeof(err)), 0);
	CHECK_EQ(r.u.u64, 0x140008000ull);
	mpdp_vhu_msg_init(&m, 33, 0, MPDP_VHU_MAX_PAYLOAD);
	for (unsigned int i = 0; i < MPDP_VHU_MAX_PAYLOAD; i++)
		m.u.raw[i] = (uint8_t)(i * 7);
	CHECK_EQ(mpdp_vhu_msg_send(sv[0], &m), 0);
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 1000, err, sizeof(err)), 0);
	CHECK(memcmp(r.u.raw, m.u.raw, MPDP_VHU_MAX_PAYLOAD) == 0);

	/* nothing there: -EAGAIN at once, no error line needed */
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 1000, err, sizeof(err)), -EAGAIN);

	/* send refuses what no peer would take */
	mpdp_vhu_msg_init(&m, MPDP_VHU_GET_FEATURES, 0, MPDP_VHU_MAX_PAYLOAD + 1);
	CHECK_EQ(mpdp_vhu_msg_send(sv[0], &m), -EINVAL);
	mpdp_vhu_msg_init(&m, MPDP_VHU_GET_FEATURES, 0, 0);
	m.nfds = MPDP_VHU_MAX_FDS + 1;
	CHECK_EQ(mpdp_vhu_msg_send(sv[0], &m), -EINVAL);
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 1000, err, sizeof(err)), -EAGAIN);

	/* a malformed message with an fd: refused, the fd closed */
	mpdp_vhu_msg_init(&m, MPDP_VHU_GET_FEATURES, 0, 0);
	m.fds[0] = efd;
	m.nfds = 1;
	CHECK_EQ(mpdp_vhu_msg_send(sv[0], &m), 0);
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 1000, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "GET_FEATURES") != NULL);
	CHECK_EQ(r.fds[0], -1);

	/* a header claiming more than the maximum, with an fd */
	struct mpdp_vhu_hdr h = { MPDP_VHU_SET_LOG_FD, MPDP_VHU_VERSION, 4096 };

	raw_send(sv[0], &h, sizeof(h), &efd, 1);
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 1000, err, sizeof(err)), -EPROTO);
	CHECK(strstr(err, "SET_LOG_FD") != NULL);

	close(efd);
	close(mfd[0]);
	close(mfd[1]);
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ(fd_count(), before);
}

/* A peer that stops half way: -ETIMEDOUT within the timeout, its fds closed. */
static void test_stalled_peer(void)
{
	struct mpdp_vhu_hdr h = { MPDP_VHU_SET_VRING_KICK, MPDP_VHU_VERSION, 8 };
	struct mpdp_vhu_msg r;
	char err[256] = "";
	int sv[2], efd, before;
	int64_t t0, dt;

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	before = fd_count();

	/* half a header, with the fd */
	efd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(efd >= 0);
	raw_send(sv[0], &h, 6, &efd, 1);
	close(efd);
	t0 = now_ms();
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 200, err, sizeof(err)), -ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK(dt >= 190 && dt < 2000);
	CHECK(one_line(err));
	CHECK_EQ(fd_count(), before);

	/* a whole header, half the payload */
	efd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(efd >= 0);
	uint8_t buf[HDR_LEN + 4] = { 0 };

	memcpy(buf, &h, HDR_LEN);
	raw_send(sv[0], buf, sizeof(buf), &efd, 1);
	close(efd);
	t0 = now_ms();
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 100, err, sizeof(err)), -ETIMEDOUT);
	dt = now_ms() - t0;
	CHECK(dt >= 90 && dt < 2000);
	CHECK(strstr(err, "SET_VRING_KICK") != NULL);
	CHECK_EQ(fd_count(), before);

	/* the rest arriving in time is fine: the stream is still in step */
	efd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(efd >= 0);
	memcpy(buf, &h, HDR_LEN);
	raw_send(sv[0], buf, 7, &efd, 1);
	raw_send(sv[0], buf + 7, sizeof(buf) - 7, NULL, 0);
	raw_send(sv[0], buf + HDR_LEN, 4, NULL, 0); /* the last 4 payload bytes */
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 100, err, sizeof(err)), 0);
	CHECK_EQ(r.nfds, 1);
	if (r.nfds == 1)
		check_same_file(efd, r.fds[0]);
	mpdp_vhu_msg_close_fds(&r);
	close(efd);

	/* half a header, then the peer closes: -ECONNRESET, nothing kept */
	efd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(efd >= 0);
	raw_send(sv[0], &h, 5, &efd, 1);
	close(efd);
	close(sv[0]);
	t0 = now_ms();
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 5000, err, sizeof(err)), -ECONNRESET);
	CHECK(now_ms() - t0 < 2000);
	/* and after that, a closed peer: -ECONNRESET again */
	CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 5000, err, sizeof(err)), -ECONNRESET);
	CHECK_EQ(fd_count(), before - 1);
	close(sv[1]);
}

/* More fds than a message may carry: refused, every one closed. */
static void test_too_many_fds(void)
{
	struct mpdp_vhu_hdr h = { MPDP_VHU_GET_FEATURES, MPDP_VHU_VERSION, 0 };
	struct mpdp_vhu_msg r;
	char err[256] = "";
	int sv[2], fds[16], before;

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	before = fd_count();
	static const unsigned int counts[] = { MPDP_VHU_MAX_FDS, MPDP_VHU_MAX_FDS + 1, 16 };

	for (unsigned int k = 0; k < 3; k++) {
		unsigned int n = counts[k];

		for (unsigned int i = 0; i < n; i++) {
			fds[i] = eventfd(0, EFD_CLOEXEC);
			REQUIRE(fds[i] >= 0);
		}
		raw_send(sv[0], &h, sizeof(h), fds, n);
		for (unsigned int i = 0; i < n; i++)
			close(fds[i]);
		CHECK_EQ(mpdp_vhu_msg_recv(sv[1], &r, true, 100, err, sizeof(err)), -EPROTO);
		CHECK(strstr(err, "GET_FEATURES") != NULL);
		for (unsigned int i = 0; i < MPDP_VHU_MAX_FDS; i++)
			CHECK_EQ(r.fds[i], -1);
		CHECK_EQ(fd_count(), before);
	}
	close(sv[0]);
	close(sv[1]);
}

/* ---- memory ------------------------------------------------------------------ */

#define GA 0x100000ull /* region A: guest, user, file offset, size */
#define UA 0x7f0000000000ull
#define OA 0x1000ull
#define SA 0x3000ull
#define GB (GA + SA) /* region B follows A in guest memory */
#define UB 0x7f0000100000ull
#define SB 0x2001ull /* not a page multiple */

static void fill(int fd, size_t len, uint8_t seed)
{
	uint8_t *b = malloc(len);

	REQUIRE(b != NULL);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 13 + seed + (i >> 8));
	REQUIRE(pwrite(fd, b, len, 0) == (ssize_t)len);
	free(b);
}

static uint8_t file_byte(int fd, uint64_t off)
{
	uint8_t b = 0;

	CHECK(pread(fd, &b, 1, (off_t)off) == 1);
	return b;
}

static void test_mem_translate(void)
{
	struct mpdp_vhu_region rg[2] = { region(GA, SA, UA, OA), region(GB, SB, UB, 0) };
	struct mpdp_vhu_mem mem;
	char err[256] = "";
	bool sealed = false;
	int fds[2], maps0 = maps_count();
	uint8_t *p;

	fds[0] = memfd("a", OA + SA, true);
	fds[1] = memfd("b", SB, true);
	fill(fds[0], OA + SA, 1);
	fill(fds[1], SB, 2);
	memset(&mem, 0, sizeof(mem));
	CHECK_EQ(mpdp_vhu_mem_map(&mem, rg, fds, 2, &sealed, err, sizeof(err)), 0);
	CHECK(sealed);
	CHECK_EQ(mem.nregions, 2);
	CHECK_EQ(maps_count(), maps0 + 2);

	/* first and last byte, whole region, by guest and by user address */
	for (unsigned int i = 0; i < 2; i++) {
		const struct mpdp_vhu_region *r = &rg[i];
		uint8_t *g0 = mpdp_vhu_mem_gpa(&mem, r->guest_addr, 1);
		uint8_t *gl = mpdp_vhu_mem_gpa(&mem, r->guest_addr + r->size - 1, 1);
		uint8_t *u0 = mpdp_vhu_mem_uva(&mem, r->user_addr, 1);
		uint8_t *ul = mpdp_vhu_mem_uva(&mem, r->user_addr + r->size - 1, 1);

		REQUIRE(g0 != NULL && gl != NULL);
		CHECK(u0 == g0 && ul == gl);
		CHECK(gl - g0 == (ptrdiff_t)(r->size - 1));
		CHECK(*g0 == file_byte(fds[i], r->mmap_offset));
		CHECK(*gl == file_byte(fds[i], r->mmap_offset + r->size - 1));
		CHECK(mpdp_vhu_mem_gpa(&mem, r->guest_addr, r->size) == g0);
		CHECK(mpdp_vhu_mem_uva(&mem, r->user_addr, r->size) == g0);
		CHECK(mpdp_vhu_mem_translate(&mem, r->guest_addr + 7, 9) == g0 + 7);
		/* shared with the file both ways */
		*gl = 0xee;
		CHECK_EQ(file_byte(fds[i], r->mmap_offset + r->size - 1), 0xee);
		/* a range across the end, one byte too long, len 0, just outside */
		CHECK(mpdp_vhu_mem_gpa(&mem, r->guest_addr, r->size + 1) == NULL);
		CHECK(mpdp_vhu_mem_gpa(&mem, r->guest_addr + r->size - 1, 2) == NULL);
		CHECK(mpdp_vhu_mem_uva(&mem, r->user_addr + r->size - 1, 2) == NULL);
		CHECK(mpdp_vhu_mem_uva(&mem, r->user_addr, r->size + 1) == NULL);
		CHECK(mpdp_vhu_mem_gpa(&mem, r->guest_addr, 0) == NULL);
		CHECK(mpdp_vhu_mem_uva(&mem, r->user_addr, 0) == NULL);
		CHECK(mpdp_vhu_mem_translate(&mem, r->guest_addr, 0) == NULL);
		CHECK(mpdp_vhu_mem_uva(&mem, r->user_addr - 1, 1) == NULL);
		CHECK(mpdp_vhu_mem_uva(&mem, r->user_addr + r->size, 1) == NULL);
		CHECK(mpdp_vhu_mem_gpa(&mem, r->guest_addr + 1, UINT64_MAX) == NULL);
		CHECK(mpdp_vhu_mem_uva(&mem, r->user_addr + 1, UINT64_MAX) == NULL);
	}
	/* A and B touch in guest memory: a range across the seam is still refused */
	CHECK(mpdp_vhu_mem_gpa(&mem, GA - 1, 1) == NULL);
	CHECK(mpdp_vhu_mem_gpa(&mem, GB + SB, 1) == NULL);
	CHECK(mpdp_vhu_mem_gpa(&mem, GB - 1, 2) == NULL);
	CHECK(mpdp_vhu_mem_gpa(&mem, GA, SA + SB) == NULL);
	CHECK(mpdp_vhu_mem_gpa(&mem, 0, 1) == NULL);
	CHECK(mpdp_vhu_mem_gpa(&mem, UINT64_MAX, 1) == NULL);
	/* guest and user addresses are not each other */
	CHECK(mpdp_vhu_mem_gpa(&mem, UA, 1) == NULL);
	CHECK(mpdp_vhu_mem_uva(&mem, GA, 1) == NULL);
	/* the last-hit hint follows, and is only a hint */
	p = mpdp_vhu_mem_gpa(&mem, GB + 5, 1);
	CHECK_EQ(mem.last_hit, 1);
	CHECK(mpdp_vhu_mem_gpa(&mem, GA + 5, 1) != NULL);
	CHECK_EQ(mem.last_hit, 0);
	mem.last_hit = 77;
	CHECK(mpdp_vhu_mem_gpa(&mem, GB + 5, 1) == p);

	/* a second map into a table in use is refused, the table untouched */
	CHECK_EQ(mpdp_vhu_mem_map(&mem, rg, fds, 2, &sealed, err, sizeof(err)), -EINVAL);
	CHECK_EQ(mem.nregions, 2);

	/* sealed: the frontend cannot shrink the file under the mapping now */
	CHECK(ftruncate(fds[0], 4096) != 0 && errno == EPERM);
	CHECK(ftruncate(fds[1], 0) != 0 && errno == EPERM);
	CHECK(ftruncate(fds[1], SB + 4096) == 0); /* growing is fine */

	mpdp_vhu_mem_unmap(&mem);
	CHECK_EQ(mem.nregions, 0);
	CHECK_EQ(maps_count(), maps0);
	CHECK(mpdp_vhu_mem_gpa(&mem, GA, 1) == NULL);
	CHECK(mpdp_vhu_mem_uva(&mem, UA, 1) == NULL);
	mpdp_vhu_mem_unmap(&mem); /* again: harmless */
	CHECK_EQ(mem.nregions, 0);
	close(fds[0]);
	close(fds[1]);
}

static void test_mem_sealing(void)
{
	struct mpdp_vhu_region rg[2] = { region(0, 4096, 0x10000, 0), region(0x10000, 4096, 0, 0) };
	struct mpdp_vhu_mem mem = { 0 };
	char err[256];
	bool sealed = true;
	int fds[2], maps0 = maps_count();

	/* sealing not allowed: mapped, but reported as not sealed */
	fds[0] = memfd("ns0", 4096, false);
	fds[1] = memfd("ns1", 4096, false);
	CHECK_EQ(mpdp_vhu_mem_map(&mem, rg, fds, 2, &sealed, err, sizeof(err)), 0);
	CHECK(!sealed);
	mpdp_vhu_mem_unmap(&mem);
	close(fds[1]);
	/* one of two sealable: not all protected */
	fds[1] = memfd("s1", 4096, true);
	sealed = true;
	CHECK_EQ(mpdp_vhu_mem_map(&mem, rg, fds, 2, &sealed, err, sizeof(err)), 0);
	CHECK(!sealed);
	mpdp_vhu_mem_unmap(&mem);
	sealed = true;
	CHECK_EQ(mpdp_vhu_mem_map(&mem, &rg[1], &fds[1], 1, &sealed, err, sizeof(err)), 0);
	CHECK(sealed);
	mpdp_vhu_mem_unmap(&mem);
	/* sealed may be NULL; one fd for two regions is fine: two views of one page */
	close(fds[0]);
	fds[0] = fds[1];
	CHECK_EQ(mpdp_vhu_mem_map(&mem, rg, fds, 2, NULL, err, sizeof(err)), 0);
	uint8_t *p0 = mpdp_vhu_mem_gpa(&mem, 0, 4096), *p1 = mpdp_vhu_mem_gpa(&mem, 0x10000, 4096);

	REQUIRE(p0 != NULL && p1 != NULL);
	CHECK(p0 != p1);
	p0[4095] = 0x42;
	CHECK_EQ(p1[4095], 0x42);
	mpdp_vhu_mem_unmap(&mem);
	close(fds[1]);
	CHECK_EQ(maps_count(), maps0);
}

static void mem_bad_at(int line, const struct mpdp_vhu_region *rg, const int *fds, unsigned int n,
		       int want)
{
	struct mpdp_vhu_mem mem = { 0 };
	char err[256] = "";
	int maps0 = maps_count(), fds0 = fd_count();
	int rc = mpdp_vhu_mem_map(&mem, rg, fds, n, NULL, err, sizeof(err));

	cases++;
	if (rc != want)
		unit_fail_rc(__FILE__, line, "mpdp_vhu_mem_map (bad table)", rc, want);
	if (rc == 0)
		mpdp_vhu_mem_unmap(&mem);
	else if (!one_line(err))
		unit_fail(__FILE__, line, "no error line");
	if (mem.nregions != 0 || maps_count() != maps0 || fd_count() != fds0)
		unit_fail(__FILE__, line, "left something mapped or open");
}

#define MEM_BAD(rg, fds, n, want) mem_bad_at(__LINE__, rg, fds, n, want)

static void test_mem_refused(void)
{
	struct mpdp_vhu_region rg[9];
	int fds[9], efd, pfd[2];

	for (unsigned int i = 0; i < 9; i++) {
		rg[i] = region(0x10000ull * i, 0x8000, 0x100000 + 0x10000ull * i, 0x1000);
		fds[i] = memfd("r", 0x9000, false); /* unsealed: shrunk below */
	}
	MEM_BAD(rg, fds, 8, 0);
	MEM_BAD(rg, fds, 0, -EINVAL);
	MEM_BAD(rg, fds, 9, -EINVAL);

	/* overlaps: guest, user, the first and the last, partly and wholly */
	rg[7].guest_addr = rg[6].guest_addr + 0x7fff;
	MEM_BAD(rg, fds, 8, -EINVAL);
	rg[7].guest_addr = rg[0].guest_addr;
	MEM_BAD(rg, fds, 8, -EINVAL);
	rg[7].guest_addr = 0x70000;
	rg[3].user_addr = rg[0].user_addr + 0x10;
	rg[3].size = 0x10;
	MEM_BAD(rg, fds, 8, -EINVAL);
	rg[3].user_addr = rg[0].user_addr - 0x8;
	MEM_BAD(rg, fds, 8, -EINVAL);
	rg[3].user_addr = rg[0].user_addr - 0x10; /* ends just before: fine */
	MEM_BAD(rg, fds, 8, 0);
	rg[3] = region(0x30000, 0x8000, 0x130000, 0x1000);

	/* empty or wrapping */
	rg[2].size = 0;
	MEM_BAD(rg, fds, 3, -EINVAL);
	rg[2].size = 0x8000;
	rg[2].guest_addr = UINT64_MAX - 0x7ffe;
	MEM_BAD(rg, fds, 3, -EINVAL);
	rg[2].guest_addr = 0x20000;
	rg[2].mmap_offset = UINT64_MAX - 0x10;
	MEM_BAD(rg, fds, 3, -EINVAL);
	/* mmap_offset + size is exactly 2^64: no file is that long */
	rg[2].mmap_offset = UINT64_MAX - 0x7fff;
	MEM_BAD(rg, fds, 3, -EINVAL);
	rg[2].mmap_offset = 0x1000;

	/* an fd shorter than mmap_offset + size, in the last slot: the rest is undone */
	REQUIRE(ftruncate(fds[7], 0x8fff) == 0);
	MEM_BAD(rg, fds, 8, -EINVAL);
	REQUIRE(ftruncate(fds[7], 0x9000) == 0);
	rg[7].mmap_offset = 0x1001;
	MEM_BAD(rg, fds, 8, -EINVAL);
	rg[7].mmap_offset = 0x1000;
	rg[7].size = 0x8001;
	MEM_BAD(rg, fds, 8, -EINVAL);
	rg[7].size = 0x8000;
	MEM_BAD(rg, fds, 8, 0);

	/* fds that are no file */
	efd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(efd >= 0 && pipe2(pfd, O_CLOEXEC) == 0);
	int save = fds[4];

	fds[4] = efd;
	MEM_BAD(rg, fds, 8, -EINVAL);
	fds[4] = pfd[0];
	MEM_BAD(rg, fds, 8, -EINVAL);
	fds[4] = -1;
	MEM_BAD(rg, fds, 8, -EINVAL);
	fds[4] = save;
	close(efd);
	close(pfd[0]);
	close(pfd[1]);
	for (unsigned int i = 0; i < 9; i++)
		close(fds[i]);
}

int main(void)
{
	test_names();
	test_every_request();
	test_replies();
	test_short();
	test_mem_table();
	test_vring_fds();
	test_unknown();
	test_check_direct();
	test_send_recv();
	test_stalled_peer();
	test_too_many_fds();
	test_mem_translate();
	test_mem_sealing();
	test_mem_refused();
	printf("test_vhost_user: %u messages and tables checked\n", cases);
	unit_exit();
}
