/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_vhu_msg.c - vhost-user messages from a peer that sends anything:
 * the parser and check, then what a backend does with a message they let
 * through (map the regions it describes, translate addresses into them).
 *
 * Input: [0] bits 0-3 the number of fds that came with the message (mod 9
 * for the parser, which gets -1 placeholders), bit 4 the memfds allow
 * sealing, bit 6 also send the bytes with (bits 0-3, up to 15) real
 * eventfds through a socketpair and check that mpdp_vhu_msg_recv() agrees
 * with the parser, bit 7 read as a frontend (replies) instead of a backend;
 * [1..] the header and payload as they came off the socket.
 *
 * For a SET_MEM_TABLE or ADD_MEM_REG the check passed, the target makes a
 * memfd of mmap_offset + size bytes per region (when they add up to at most
 * 1 MiB), maps the table, and translates each region's edges, just past
 * them, and the (u64 address, u32 length) pairs in the payload after the
 * regions, by guest and by user address, comparing with its own search of
 * the table; it writes through every pointer it gets and reads the byte
 * back from the file at the offset it must have come from. It aborts on a
 * disagreement, on an fd left open, and on a refusal without an error line.
 *
 * Running the real fuzzer (clang with libFuzzer). Build the library with
 * coverage too (-fsanitize=fuzzer-no-link), or libFuzzer sees only this
 * file's branches and not the parser's:
 *   CC=clang meson setup build-fuzz -Db_sanitize=address,undefined \
 *       -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
 *   ninja -C build-fuzz tests/fuzz/fuzz_vhu_msg
 *   mkdir -p /tmp/vhu-corpus
 *   build-fuzz/tests/fuzz/fuzz_vhu_msg /tmp/vhu-corpus tests/fuzz/corpus/vhu_msg \
 *       -max_len=1024 -max_total_time=600 -artifact_prefix=/tmp/vhu-
 * (FUZZ_VHU_VERBOSE=1 in the environment says what each input did.)
 * Copy a crashing input into tests/fuzz/corpus/vhu_msg/ once the bug is
 * fixed: fuzz_vhu_msg_replay (suite unit) replays every file there, in
 * every build, with or without libFuzzer. gen_vhu_msg_seeds.py writes the
 * seeds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpdp/mpdp_vhost_user.h>

#define HDR_LEN  sizeof(struct mpdp_vhu_hdr)
#define MEM_CAP  (1u << 20) /* memfd bytes per input, at most */
#define SOCK_CAP 8192u      /* bytes sent through the socket, at most */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool verbose; /* FUZZ_VHU_VERBOSE set: say what each input did */

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_vhu_msg: %s\n", what);
	abort();
}

static void check_err(int rc, const char *err)
{
	if (rc != 0 && (err[0] == '\0' || strchr(err, '\n') != NULL))
		fail("refused without one error line");
}

/* The lowest free fd: moves if an input leaks one. */
static int lowest_free_fd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd < 0)
		fail("eventfd");
	close(fd);
	return fd;
}

static bool range_ok(uint64_t a, uint64_t len)
{
	return len != 0 && a + (len - 1) >= a;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

struct table {
	const struct mpdp_vhu_region *r;
	unsigned int n;
	int fds[MPDP_VHU_MAX_REGIONS];
	struct mpdp_vhu_mem mem;
	uint8_t mark;
};

/* The region that wholly holds [addr, addr + len), by the target's own search. */
static int find(const struct table *t, uint64_t addr, uint64_t len, bool uva)
{
	for (unsigned int i = 0; i < t->n; i++) {
		uint64_t base = uva ? t->r[i].user_addr : t->r[i].guest_addr;

		if (len != 0 && addr >= base && addr - base < t->r[i].size &&
		    len <= t->r[i].size - (addr - base))
			return (int)i;
	}
	return -1;
}

/* Write through p, read the byte back from the file where it must land. */
static void touch(struct table *t, int i, uint8_t *p, uint64_t file_off)
{
	uint8_t got = 0;

	*p = ++t->mark;
	if (pread(t->fds[i], &got, 1, (off_t)file_off) != 1 || got != t->mark)
		fail("a translated byte is not where the region puts it in the file");
}

static void probe(struct table *t, uint64_t addr, uint64_t len, bool uva)
{
	uint8_t *p =
		uva ? mpdp_vhu_mem_uva(&t->mem, addr, len) : mpdp_vhu_mem_gpa(&t->mem, addr, len);
	int i = find(t, addr, len, uva);

	if (!uva && len <= UINT32_MAX && mpdp_vhu_mem_translate(&t->mem, addr, (uint32_t)len) != p)
		fail("translate and gpa disagree");
	if (i < 0) {
		if (p != NULL)
			fail("translated a range outside every region");
		return;
	}
	if (p == NULL)
		fail("refused a range inside a region");
	uint64_t off = addr - (uva ? t->r[i].user_addr : t->r[i].guest_addr);

	if (p != t->mem.map[i].host + off)
		fail("pointer not at the region's offset");
	touch(t, i, p, t->r[i].mmap_offset + off);
	touch(t, i, p + len - 1, t->r[i].mmap_offset + off + len - 1);
}

/*
 * What a backend does with a table the check let through: map it from
 * memfds, translate. extra: (u64, u32) address/length pairs to try.
 */
static void map_and_touch(const struct mpdp_vhu_region *r, unsigned int n, bool sealing,
			  const uint8_t *extra, size_t extra_len)
{
	struct table t = { .r = r, .n = n };
	bool sealed = !sealing, want_ok = true;
	uint64_t total = 0;
	char err[256] = "";
	int rc;

	if (n == 0 || n > MPDP_VHU_MAX_REGIONS)
		fail("the check passed a table of no or too many regions");
	for (unsigned int i = 0; i < n; i++) {
		if (!range_ok(r[i].guest_addr, r[i].size) || !range_ok(r[i].user_addr, r[i].size) ||
		    !range_ok(r[i].mmap_offset, r[i].size))
			fail("the check passed an empty or wrapping region");
		if (r[i].size > MEM_CAP || r[i].mmap_offset > MEM_CAP)
			return; /* too big to back with memory here */
		total += r[i].mmap_offset + r[i].size;
		for (unsigned int j = 0; j < i; j++)
			if (overlap(r[i].guest_addr, r[i].size, r[j].guest_addr, r[j].size) ||
			    overlap(r[i].user_addr, r[i].size, r[j].user_addr, r[j].size))
				want_ok = false;
	}
	if (total > MEM_CAP)
		return;
	for (unsigned int i = 0; i < n; i++) {
		t.fds[i] =
			memfd_create("fuzz-vhu", MFD_CLOEXEC | (sealing ? MFD_ALLOW_SEALING : 0));
		if (t.fds[i] < 0 || ftruncate(t.fds[i], (off_t)(r[i].mmap_offset + r[i].size)) != 0)
			fail("memfd");
	}
	rc = mpdp_vhu_mem_map(&t.mem, r, t.fds, n, &sealed, err, sizeof(err));
	check_err(rc, err);
	if (verbose)
		fprintf(stderr, "  map %u regions: %d %s%s\n", n, rc, rc ? err : "",
			rc == 0 && sealed ? "sealed" : "");
	if (want_ok && rc != 0)
		fail("map refused a table that fits its files");
	if (!want_ok && rc != -EINVAL)
		fail("map took overlapping regions");
	if (rc != 0 && t.mem.nregions != 0)
		fail("a failed map left regions");
	if (rc == 0) {
		if (sealed != sealing || t.mem.nregions != n)
			fail("map: sealed or region count wrong");
		for (unsigned int i = 0; i < n; i++) {
			for (int uva = 0; uva < 2; uva++) {
				uint64_t b = uva ? r[i].user_addr : r[i].guest_addr, s = r[i].size;

				probe(&t, b, 1, uva);
				probe(&t, b + s - 1, 1, uva);
				probe(&t, b, s, uva);
				probe(&t, b, s + 1, uva);
				probe(&t, b + s - 1, 2, uva);
				probe(&t, b - 1, 1, uva);
				probe(&t, b + s, 1, uva);
				probe(&t, b, 0, uva);
			}
		}
		if (verbose)
			fprintf(stderr, "  %zu extra probes\n", extra_len / 12);
		for (size_t k = 0; k + 12 <= extra_len; k += 12) {
			uint64_t a;
			uint32_t l;

			memcpy(&a, extra + k, 8);
			memcpy(&l, extra + k + 8, 4);
			probe(&t, a, l, false);
			probe(&t, a, l, true);
			/* near a region: where the interesting cases are */
			const struct mpdp_vhu_region *near = &r[a % n];
			uint64_t off = (a >> 8) % (near->size + 2);

			probe(&t, near->guest_addr + off - 1, l, false);
			probe(&t, near->user_addr + off - 1, l, true);
		}
		mpdp_vhu_mem_unmap(&t.mem);
		if (t.mem.nregions != 0 || mpdp_vhu_mem_gpa(&t.mem, r[0].guest_addr, 1) != NULL)
			fail("unmap left regions");
	}
	for (unsigned int i = 0; i < n; i++)
		close(t.fds[i]);
}

/* What a handler may rely on once the check passed, then what it would do. */
static void use(const struct mpdp_vhu_msg *m, bool as_backend, bool sealing)
{
	uint32_t req = m->hdr.request, size = m->hdr.size;

	if ((m->hdr.flags & MPDP_VHU_VERSION_MASK) != MPDP_VHU_VERSION ||
	    !(m->hdr.flags & MPDP_VHU_FLAG_REPLY) != as_backend || size > MPDP_VHU_MAX_PAYLOAD ||
	    m->nfds > MPDP_VHU_MAX_FDS)
		fail("the check passed a bad header");
	if (strlen(mpdp_vhu_request_str(req)) == 0)
		fail("empty request name");
	if (!as_backend)
		return;
	switch (req) {
	case MPDP_VHU_SET_MEM_TABLE: {
		uint32_t n = m->u.mem.nregions;
		size_t used = 8 + (size_t)n * sizeof(struct mpdp_vhu_region);

		if (n == 0 || n > MPDP_VHU_MAX_REGIONS || used > size || m->nfds != n)
			fail("the check passed a bad SET_MEM_TABLE");
		map_and_touch(m->u.mem.regions, n, sealing, m->u.raw + used, size - used);
		break;
	}
	case MPDP_VHU_ADD_MEM_REG:
		if (size != sizeof(struct mpdp_vhu_mem_reg) || m->nfds != 1)
			fail("the check passed a bad ADD_MEM_REG");
		map_and_touch(&m->u.mem_reg.region, 1, sealing, NULL, 0);
		break;
	case MPDP_VHU_SET_VRING_KICK:
	case MPDP_VHU_SET_VRING_CALL:
	case MPDP_VHU_SET_VRING_ERR:
		if (size != 8 || m->u.u64 > (MPDP_VHU_VRING_IDX_MASK | MPDP_VHU_VRING_NOFD) ||
		    m->nfds != ((m->u.u64 & MPDP_VHU_VRING_NOFD) ? 0u : 1u))
			fail("the check passed a bad ring word");
		if ((m->u.u64 & MPDP_VHU_VRING_IDX_MASK) >= MPDP_VHU_MAX_VRINGS)
			fail("ring index past the maximum");
		break;
	case MPDP_VHU_SET_VRING_NUM:
	case MPDP_VHU_SET_VRING_BASE:
	case MPDP_VHU_GET_VRING_BASE:
	case MPDP_VHU_SET_VRING_ENABLE:
		if (size != sizeof(struct mpdp_vhu_vring_state) || m->nfds != 0)
			fail("the check passed a bad vring state");
		break;
	case MPDP_VHU_SET_VRING_ADDR: {
		struct mpdp_vhu_mem empty = { 0 };

		if (size != sizeof(struct mpdp_vhu_vring_addr) || m->nfds != 0)
			fail("the check passed a bad vring address");
		/* before any SET_MEM_TABLE: nothing translates */
		if (mpdp_vhu_mem_uva(&empty, m->u.addr.desc, 16) != NULL ||
		    mpdp_vhu_mem_uva(&empty, m->u.addr.used, 4) != NULL)
			fail("an empty table translated");
		break;
	}
	default:
		break;
	}
}

/*
 * The same bytes through a socketpair with nfds real eventfds: recv must
 * agree with the parser on the first message in them, close every fd it
 * refuses, and hand over the very files it accepts.
 */
static void through_socket(const uint8_t *buf, size_t len, unsigned int nfds, bool as_backend)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mpdp_vhu_msg m, want;
	char err[256] = "", err2[256] = "";
	int sv[2], fds[16], rc, want_rc;
	struct mpdp_vhu_hdr h;

	if (len == 0 || len > SOCK_CAP) /* a stream carries no fds without a byte */
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		fail("socketpair");
	for (unsigned int i = 0; i < nfds; i++)
		if ((fds[i] = eventfd(0, EFD_CLOEXEC)) < 0)
			fail("eventfd");
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if (sendmsg(sv[0], &mh, MSG_NOSIGNAL) != (ssize_t)len)
		fail("sendmsg");
	close(sv[0]);

	/* what recv should say: everything is already there, so no waiting */
	if (nfds > MPDP_VHU_MAX_FDS) {
		want_rc = -EPROTO; /* refused with the first byte, whatever follows */
	} else if (len < HDR_LEN) {
		want_rc = -ECONNRESET; /* the peer closed mid-header */
	} else {
		memcpy(&h, buf, HDR_LEN);
		if (h.size > MPDP_VHU_MAX_PAYLOAD)
			want_rc = -EPROTO;
		else if (len < HDR_LEN + h.size)
			want_rc = -ECONNRESET;
		else
			want_rc = mpdp_vhu_msg_parse(buf, HDR_LEN + h.size, nfds, as_backend, &want,
						     err2, sizeof(err2));
	}
	rc = mpdp_vhu_msg_recv(sv[1], &m, as_backend, 0, err, sizeof(err));
	if (verbose)
		fprintf(stderr, "  recv with %u fds: %d %s\n", nfds, rc, rc ? err : "");
	if (rc != want_rc) {
		fprintf(stderr, "recv %d (%s), parse says %d (%s)\n", rc, err, want_rc, err2);
		fail("recv and parse disagree");
	}
	if (rc != 0 && rc != -ECONNRESET)
		check_err(rc, err);
	if (rc == 0) {
		if (memcmp(&m.hdr, &want.hdr, HDR_LEN) != 0 || m.nfds != nfds ||
		    memcmp(m.u.raw, want.u.raw, m.hdr.size) != 0)
			fail("recv and parse read different messages");
		for (unsigned int i = 0; i < nfds; i++) {
			struct stat a, b;

			if (fstat(fds[i], &a) != 0 || fstat(m.fds[i], &b) != 0 ||
			    a.st_ino != b.st_ino)
				fail("received fd is another file");
		}
		mpdp_vhu_msg_close_fds(&m);
	} else {
		for (unsigned int i = 0; i < MPDP_VHU_MAX_FDS; i++)
			if (m.fds[i] != -1)
				fail("a refused message kept an fd");
	}
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpdp_vhu_msg m;
	char err[256] = "";
	int fd0 = lowest_free_fd();

	if (size == 0)
		return 0;
	unsigned int nfds = (data[0] & 15u) % (MPDP_VHU_MAX_FDS + 1);
	bool sealing = data[0] & 0x10, sock = data[0] & 0x40, as_backend = !(data[0] & 0x80);
	int rc = mpdp_vhu_msg_parse(data + 1, size - 1, nfds, as_backend, &m, err, sizeof(err));

	verbose = getenv("FUZZ_VHU_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "  parse as %s with %u fds: %d %s\n",
			as_backend ? "backend" : "frontend", nfds, rc, rc ? err : "");
	check_err(rc, err);
	if (rc != 0 && rc != -EPROTO)
		fail("parse returned neither 0 nor -EPROTO");
	if (rc == 0)
		use(&m, as_backend, sealing);
	mpdp_vhu_msg_close_fds(&m); /* placeholders: must close nothing */
	if (sock)
		through_socket(data + 1, size - 1, data[0] & 15u, as_backend);
	if (lowest_free_fd() != fd0)
		fail("an fd leaked");
	return 0;
}
