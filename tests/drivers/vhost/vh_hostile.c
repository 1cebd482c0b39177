/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vh_hostile.c - a small vhost-user frontend for the net_vhost tests: a good
 * one (memfd memory, vrings 0 and 1, traffic both ways, checked byte by
 * byte) and many bad ones, each breaking the protocol or its own rings in
 * one way. It uses no mpdp runtime, only the wire format.
 *
 *   mpdp-test-vh-hostile SOCK CASE [N TAG_TX TAG_RX [remap]]
 *
 * good: bring up, send N packets (tag TAG_TX, the shells' tag/seq/pattern
 *       format) on vring 1, post buffers on vring 0 and wait (5 s) for N
 *       packets of tag TAG_RX; prints "SENT" after the transmit, exits 0
 *       when all arrived intact. With "remap", a second memory region is
 *       added (a new SET_MEM_TABLE while the rings run) and the packets sent
 *       from it.
 * bad cases: exit 0 when the backend dropped the connection within 5 s
 *       (prints "SENT" once the bad thing is out), 1 when it did not.
 * polite cases (unknown, log_base): exit 0 when the backend refused the
 *       request and kept the connection.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REQ_GET_FEATURES 1
#define REQ_SET_FEATURES 2
#define REQ_SET_OWNER 3
#define REQ_SET_MEM_TABLE 5
#define REQ_SET_LOG_BASE 6
#define REQ_SET_VRING_NUM 8
#define REQ_SET_VRING_ADDR 9
#define REQ_SET_VRING_BASE 10
#define REQ_GET_VRING_BASE 11
#define REQ_SET_VRING_KICK 12
#define REQ_SET_VRING_CALL 13
#define REQ_GET_PROTOCOL_FEATURES 15
#define REQ_SET_PROTOCOL_FEATURES 16
#define REQ_SET_VRING_ENABLE 18

#define F_NEED_REPLY (1u << 3)
#define MEM_SIZE (4u << 20)
#define GPA 0x40000000ull
#define QSZ 256u
#define HDR 12u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static int sock = -1;
static int memfd = -1;
static uint8_t *mem;
/* "remap": a second region added while the rings run (memory hotplug) */
static int memfd2 = -1;
static uint8_t *mem2;
#define GPA2 0x80000000ull
#define MEM2_SIZE (1u << 20)

static void die(const char *what)
{
	fprintf(stderr, "vh-hostile: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int send_raw(uint32_t req, uint32_t flags, const void *payload, uint32_t size,
		    const int *fds, unsigned int nfds)
{
	uint8_t buf[4096];
	uint32_t hdr[3] = { req, 1u | flags, size };
	struct iovec iov = { buf, 12 + size };
	char ctl[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr mh;

	memcpy(buf, hdr, 12);
	if (size != 0)
		memcpy(buf + 12, payload, size);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds != 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)(12 + size) ? 0 : -1;
}

/* Read one reply (header + payload) within ms; returns payload size, -1 closed/timeout. */
static int read_reply(uint64_t *val, int ms)
{
	struct pollfd p = { sock, POLLIN, 0 };
	uint8_t buf[64];
	uint32_t hdr[3];
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -2;
	n = recv(sock, hdr, 12, MSG_WAITALL);
	if (n != 12)
		return -1;
	if (hdr[2] > sizeof(buf) || (hdr[2] && recv(sock, buf, hdr[2], MSG_WAITALL) != hdr[2]))
		return -1;
	if (val != NULL && hdr[2] == 8)
		memcpy(val, buf, 8);
	return (int)hdr[2];
}

/* The backend closed the connection within ms (replies in between are skipped). */
static int dropped(int ms)
{
	uint64_t deadline_ms = (uint64_t)ms;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { sock, POLLIN, 0 };
		uint8_t b[512];
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((uint64_t)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000) >
		    deadline_ms)
			return 0;
		if (poll(&p, 1, 100) != 1)
			continue;
		n = recv(sock, b, sizeof(b), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
	}
}

static void msg_state(uint32_t req, uint32_t idx, uint32_t num)
{
	uint32_t p[2] = { idx, num };
	uint64_t r;

	if (send_raw(req, F_NEED_REPLY, p, 8, NULL, 0) != 0)
		die("send");
	(void)read_reply(&r, 2000);
}

static void msg_fd(uint32_t req, uint64_t v, int fd)
{
	uint64_t r;

	if (send_raw(req, F_NEED_REPLY, &v, 8, &fd, 1) != 0)
		die("send");
	(void)read_reply(&r, 2000);
}

static uint64_t uva(uint64_t off)
{
	return (uint64_t)(uintptr_t)mem + off;
}

struct region {
	uint64_t gpa, size, uva, off;
};

static void set_mem(void)
{
	struct {
		uint32_t n, pad;
		struct region r[1];
	} t = { 1, 0, { { GPA, MEM_SIZE, uva(0), 0 } } };
	uint64_t r;

	if (send_raw(REQ_SET_MEM_TABLE, F_NEED_REPLY, &t, sizeof(t), &memfd, 1) != 0)
		die("send");
	(void)read_reply(&r, 2000);
}

static uint64_t ring_off(unsigned int v)
{
	return (uint64_t)v * 0x10000;
}

static struct desc *ring_desc(unsigned int v)
{
	return (struct desc *)(void *)(mem + ring_off(v));
}

static _Atomic uint16_t *avail(unsigned int v)
{
	return (_Atomic uint16_t *)(void *)(mem + ring_off(v) + 0x1000);
}

static _Atomic uint16_t *used(unsigned int v)
{
	return (_Atomic uint16_t *)(void *)(mem + ring_off(v) + 0x2000);
}

static void vring_setup(unsigned int v, uint64_t desc_uva)
{
	struct {
		uint32_t index, flags;
		uint64_t desc, used, avail, log;
	} a = { v, 0, desc_uva, uva(ring_off(v) + 0x2000), uva(ring_off(v) + 0x1000), 0 };
	uint64_t r;
	int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);

	msg_state(REQ_SET_VRING_NUM, v, QSZ);
	msg_state(REQ_SET_VRING_BASE, v, 0);
	if (send_raw(REQ_SET_VRING_ADDR, F_NEED_REPLY, &a, sizeof(a), NULL, 0) != 0)
		die("send");
	(void)read_reply(&r, 2000);
	msg_fd(REQ_SET_VRING_KICK, v, kick);
	msg_fd(REQ_SET_VRING_CALL, v, call);
	msg_state(REQ_SET_VRING_ENABLE, v, 1);
	close(kick);
	close(call);
}

static void bringup(int rings)
{
	uint64_t f = 0;

	if (send_raw(REQ_GET_FEATURES, 0, NULL, 0, NULL, 0) != 0 || read_reply(&f, 2000) != 8)
		die("GET_FEATURES");
	/* VERSION_1, EVENT_IDX off, INDIRECT, PROTOCOL_FEATURES, MRG_RXBUF when offered */
	f &= (1ull << 32) | (1ull << 28) | (1ull << 30) | (1ull << 15);
	if (send_raw(REQ_SET_FEATURES, 0, &f, 8, NULL, 0) != 0)
		die("SET_FEATURES");
	if (send_raw(REQ_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0) != 0 ||
	    read_reply(NULL, 2000) != 8)
		die("GET_PROTOCOL_FEATURES");
	f = 1ull << 3; /* REPLY_ACK */
	if (send_raw(REQ_SET_PROTOCOL_FEATURES, 0, &f, 8, NULL, 0) != 0)
		die("SET_PROTOCOL_FEATURES");
	if (send_raw(REQ_SET_OWNER, F_NEED_REPLY, NULL, 0, NULL, 0) != 0)
		die("SET_OWNER");
	(void)read_reply(NULL, 2000);
	set_mem();
	if (rings) {
		vring_setup(0, uva(ring_off(0)));
		vring_setup(1, uva(ring_off(1)));
	}
}

static uint8_t pattern(uint64_t seq, unsigned int i)
{
	return (uint8_t)(seq * 7 + i);
}

/* Put n packets of size bytes on vring 1 (the frontend's transmit queue). */
static void tx_packets(unsigned int n, unsigned int size, uint32_t tag)
{
	struct desc *d = ring_desc(1);
	_Atomic uint16_t *av = avail(1);

	for (unsigned int i = 0; i < n; i++) {
		uint64_t off = 0x100000 + (uint64_t)i * 0x1000, seq = i;
		uint8_t *p = mem + off;
		uint64_t gpa = GPA + off;

		if (mem2 != NULL) {
			off = (uint64_t)i * 0x1000;
			p = mem2 + off;
			gpa = GPA2 + off;
		}

		memset(p, 0, HDR);
		memcpy(p + HDR, &tag, 4);
		memcpy(p + HDR + 4, &seq, 8);
		for (unsigned int j = 12; j < size; j++)
			p[HDR + j] = pattern(seq, j);
		d[i] = (struct desc){ gpa, HDR + size, 0, 0 };
		atomic_store_explicit(&av[2 + i], (uint16_t)i, memory_order_relaxed);
	}
	atomic_store_explicit(&av[1], (uint16_t)n, memory_order_release);
}

static void rx_post(unsigned int n)
{
	struct desc *d = ring_desc(0);
	_Atomic uint16_t *av = avail(0);

	for (unsigned int i = 0; i < n; i++) {
		d[i] = (struct desc){ GPA + 0x200000 + (uint64_t)i * 0x1000, 0x1000, 2, 0 };
		atomic_store_explicit(&av[2 + i], (uint16_t)i, memory_order_relaxed);
	}
	atomic_store_explicit(&av[1], (uint16_t)n, memory_order_release);
}

static int rx_check(unsigned int n, uint32_t tag, int ms)
{
	_Atomic uint16_t *u = used(0);
	unsigned int bad = 0;

	for (int t = 0; t < ms / 10 && atomic_load_explicit(&u[1], memory_order_acquire) < n; t++)
		usleep(10000);
	if (atomic_load_explicit(&u[1], memory_order_acquire) < n) {
		fprintf(stderr, "vh-hostile: %u of %u packets arrived\n",
			atomic_load_explicit(&u[1], memory_order_acquire), n);
		return 1;
	}
	for (unsigned int i = 0; i < n; i++) {
		const uint32_t *e = (const uint32_t *)(const void *)(mem + 0x2000 + 4 + 8 * i);
		uint32_t id = e[0], len = e[1], t;
		const uint8_t *p = mem + 0x200000 + (uint64_t)id * 0x1000;
		uint64_t seq;
		uint16_t nb;

		memcpy(&nb, p + 10, 2);
		memcpy(&t, p + HDR, 4);
		memcpy(&seq, p + HDR + 4, 8);
		if (id >= n || len < HDR + 12 || nb != 1 || t != tag || seq != i) {
			bad++;
			continue;
		}
		for (unsigned int j = 12; j < len - HDR; j++)
			if (p[HDR + j] != pattern(seq, j)) {
				bad++;
				break;
			}
	}
	if (bad != 0)
		fprintf(stderr, "vh-hostile: %u bad packets\n", bad);
	return bad != 0;
}

static void sent(void)
{
	printf("SENT\n");
	fflush(stdout);
}

static int expect_drop(void)
{
	sent();
	if (dropped(5000))
		return 0;
	fprintf(stderr, "vh-hostile: the backend kept the connection\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa;
	const char *c;
	int one_fd[2];

	if (argc < 3) {
		fprintf(stderr, "usage: %s SOCK CASE [N TAG_TX TAG_RX]\n", argv[0]);
		return 2;
	}
	c = argv[2];
	memfd = memfd_create("vh-hostile", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE) != 0)
		die("memfd");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	for (int i = 0; connect(sock, (struct sockaddr *)&sa, sizeof(sa)) != 0; i++) {
		if (i == 100)
			die("connect");
		usleep(50000);
	}
	one_fd[0] = eventfd(0, EFD_CLOEXEC);
	one_fd[1] = eventfd(0, EFD_CLOEXEC);

	if (strcmp(c, "good") == 0) {
		unsigned int n = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 0) : 10;
		uint32_t ttx = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 0) : 0x51;
		uint32_t trx = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0x52;

		if (n > 64)
			n = 64;
		bringup(1);
		if (argc > 6 && strcmp(argv[6], "remap") == 0) {
			struct {
				uint32_t n, pad;
				struct region r[2];
			} t = { 2, 0, { { GPA, MEM_SIZE, uva(0), 0 }, { GPA2, MEM2_SIZE, 0, 0 } } };
			int fds[2];
			uint64_t r;

			memfd2 = memfd_create("vh-hostile-2", MFD_CLOEXEC);
			if (memfd2 < 0 || ftruncate(memfd2, MEM2_SIZE) != 0)
				die("memfd");
			mem2 = mmap(NULL, MEM2_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd2, 0);
			if (mem2 == MAP_FAILED)
				die("mmap");
			t.r[1].uva = (uint64_t)(uintptr_t)mem2;
			fds[0] = memfd;
			fds[1] = memfd2;
			/* the rings run: the backend stops them, maps the new table, restarts */
			if (send_raw(REQ_SET_MEM_TABLE, F_NEED_REPLY, &t, sizeof(t), fds, 2) != 0)
				die("send");
			(void)read_reply(&r, 2000);
		}
		rx_post(64);
		tx_packets(n, 300, ttx);
		sent();
		return rx_check(n, trx, 8000);
	}
	/* ---- bad messages */
	if (strcmp(c, "short_size") == 0) {
		uint32_t v = 0;

		bringup(0);
		send_raw(REQ_SET_VRING_NUM, 0, &v, 4, NULL, 0); /* 4 bytes, not 8 */
		return expect_drop();
	}
	if (strcmp(c, "bad_version") == 0) {
		uint64_t v = 0;
		uint32_t hdr[3] = { REQ_SET_OWNER, 2, 0 };

		(void)v;
		if (send(sock, hdr, 12, MSG_NOSIGNAL) != 12)
			die("send");
		return expect_drop();
	}
	if (strcmp(c, "missing_fd") == 0) {
		struct {
			uint32_t n, pad;
			struct region r[1];
		} t = { 1, 0, { { GPA, MEM_SIZE, uva(0), 0 } } };

		send_raw(REQ_SET_MEM_TABLE, 0, &t, sizeof(t), NULL, 0);
		return expect_drop();
	}
	if (strcmp(c, "extra_fd") == 0) {
		send_raw(REQ_SET_OWNER, 0, NULL, 0, one_fd, 1);
		return expect_drop();
	}
	if (strcmp(c, "nine_regions") == 0) {
		struct {
			uint32_t n, pad;
			struct region r[9];
		} t;
		int fds[9];

		memset(&t, 0, sizeof(t));
		t.n = 9;
		for (int i = 0; i < 9; i++) {
			t.r[i] = (struct region){ GPA + (uint64_t)i * 0x1000, 0x1000,
						  uva((uint64_t)i * 0x1000), (uint64_t)i * 0x1000 };
			fds[i] = memfd;
		}
		send_raw(REQ_SET_MEM_TABLE, 0, &t, sizeof(t), fds, 9);
		return expect_drop();
	}
	if (strcmp(c, "overlap") == 0 || strcmp(c, "short_fd") == 0 ||
	    strcmp(c, "zero_region") == 0) {
		struct {
			uint32_t n, pad;
			struct region r[2];
		} t;
		int fds[2] = { memfd, memfd };

		memset(&t, 0, sizeof(t));
		t.n = 2;
		t.r[0] = (struct region){ GPA, MEM_SIZE / 2, uva(0), 0 };
		t.r[1] = (struct region){ GPA + MEM_SIZE / 4, MEM_SIZE / 2, uva(MEM_SIZE / 2),
					  MEM_SIZE / 2 };
		if (strcmp(c, "short_fd") == 0) {
			t.r[1].gpa = GPA + MEM_SIZE;
			t.r[1].size = MEM_SIZE; /* the file holds MEM_SIZE / 2 past the offset */
		}
		if (strcmp(c, "zero_region") == 0) {
			t.r[1].gpa = GPA + MEM_SIZE;
			t.r[1].size = 0;
		}
		send_raw(REQ_SET_MEM_TABLE, 0, &t, sizeof(t), fds, 2);
		return expect_drop();
	}
	if (strcmp(c, "ring_index") == 0) {
		bringup(0);
		send_raw(REQ_SET_VRING_NUM, 0, (uint32_t[]){ 5, QSZ }, 8, NULL, 0);
		return expect_drop();
	}
	if (strcmp(c, "ring_size") == 0) {
		bringup(0);
		send_raw(REQ_SET_VRING_NUM, 0, (uint32_t[]){ 0, 1000 }, 8, NULL, 0);
		return expect_drop();
	}
	if (strcmp(c, "ring_addr") == 0) {
		bringup(0);
		sent();
		vring_setup(0, uva(MEM_SIZE - 0x800)); /* the table runs past the region */
		return dropped(5000) ? 0 : 1;
	}
	if (strcmp(c, "kick_index") == 0) {
		bringup(0);
		send_raw(REQ_SET_VRING_KICK, 0, (uint64_t[]){ 7 }, 8, one_fd, 1);
		return expect_drop();
	}
	/* ---- polite refusals: the connection stays */
	if (strcmp(c, "unknown") == 0 || strcmp(c, "log_base") == 0) {
		uint64_t r = 0, f = 0;

		bringup(0);
		if (c[0] == 'u')
			send_raw(99, F_NEED_REPLY, NULL, 0, NULL, 0);
		else
			send_raw(REQ_SET_LOG_BASE, F_NEED_REPLY, (uint64_t[]){ 0, 0 }, 16, one_fd,
				 1);
		if (read_reply(&r, 2000) != 8 || r == 0) {
			fprintf(stderr, "vh-hostile: no failure ack (%llu)\n",
				(unsigned long long)r);
			return 1;
		}
		if (send_raw(REQ_GET_FEATURES, 0, NULL, 0, NULL, 0) != 0 ||
		    read_reply(&f, 2000) != 8 || f == 0) {
			fprintf(stderr, "vh-hostile: the connection did not survive\n");
			return 1;
		}
		sent();
		return 0;
	}
	/* ---- broken rings (the backend notices when it polls vring 1) */
	bringup(1);
	{
		struct desc *d = ring_desc(1);
		_Atomic uint16_t *av = avail(1);
		uint16_t idx = 1;

		d[0] = (struct desc){ GPA + 0x100000, 100, 0, 0 };
		atomic_store_explicit(&av[2], 0, memory_order_relaxed);
		if (strcmp(c, "desc_index") == 0) {
			atomic_store_explicit(&av[2], (uint16_t)(QSZ + 44), memory_order_relaxed);
		} else if (strcmp(c, "chain_loop") == 0) {
			d[0] = (struct desc){ GPA + 0x100000, 100, 1, 1 };
			d[1] = (struct desc){ GPA + 0x101000, 100, 1, 0 };
		} else if (strcmp(c, "desc_len") == 0) {
			d[0] = (struct desc){ GPA + 0x100000, 0xffffff00u, 0, 0 };
		} else if (strcmp(c, "desc_addr") == 0) {
			d[0] = (struct desc){ GPA + MEM_SIZE - 10, 100, 0, 0 };
		} else if (strcmp(c, "next_index") == 0) {
			d[0] = (struct desc){ GPA + 0x100000, 100, 1, 999 };
		} else if (strcmp(c, "indirect_len") == 0) {
			d[0] = (struct desc){ GPA + 0x100000, 17, 4, 0 };
		} else if (strcmp(c, "avail_ahead") == 0) {
			idx = QSZ + 5;
		} else {
			fprintf(stderr, "vh-hostile: unknown case %s\n", c);
			return 2;
		}
		atomic_store_explicit(&av[1], idx, memory_order_release);
	}
	return expect_drop();
}
