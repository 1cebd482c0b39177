/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_drv_pcap.c - net_pcap in one process:
 *
 *  1. what probe publishes: queues, MAC, link up at 10G, default MTU;
 *  2. receive from a pcap file (60..1514 bytes and a 9000-byte frame, each
 *     byte checked, timestamps, counters, xstats), then nothing at the end;
 *     the same from pcapng and from a microsecond pcap;
 *  3. receive into small mbufs: packets come as chains, byte for byte;
 *  4. loop=3 gives three passes, loop=1 goes on, loop=0 is one pass;
 *  5. queues=2: records alternate between the two rx queues;
 *  6. a cursor survives a release and a new claim; a new setup restarts it;
 *  7. transmit into a file: one-segment packets and a chain, read back by an
 *     independent reader (header, lengths, bytes, nanosecond magic); rx of a
 *     tx-only port is empty; tx of an rx-only port frees and counts;
 *  8. bad files and bad devargs: one error line naming the file, the port
 *     not created, no memzone, no fd, no tx file left behind;
 *  9. close: the memzone and the fd go, the written file stays whole.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "drv_util.h"
#include "pcap_file.h"

#define TAG 0x70636170u

static struct mpdp_mempool *pool, *small_pool;
static const uint32_t sizes[] = { 60, 64, 65, 127, 128, 256, 511, 512, 1000, 1513, 1514, 9000 };
#define NB_SIZES ((unsigned int)MPDP_DIM(sizes))

static void rm_dir(void)
{
	if (pf_dir[0] != '\0')
		unit_rmtree(pf_dir);
}

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the one opendir uses */
}

static uint16_t hotplug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static uint16_t hotplug(const char *fmt, ...)
{
	char devargs[512];
	va_list ap;
	uint16_t p = UINT16_MAX;
	int rc;

	va_start(ap, fmt);
	vsnprintf(devargs, sizeof(devargs), fmt, ap);
	va_end(ap);
	rc = mpdp_eth_dev_hotplug_add(devargs, &p);
	if (rc != 0)
		fprintf(stderr, "hotplug %s: %s\n", devargs, strerror(-rc));
	REQUIRE(rc == 0);
	return p;
}

static void close_port(uint16_t p)
{
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	CHECK_EQ(mpdp_eth_dev_close(p), 0);
}

/* Receive up to n packets (a few empty polls end it); returns how many. */
static unsigned int rx_all(uint16_t p, uint16_t q, struct mpdp_mbuf **out, unsigned int n)
{
	unsigned int got = 0, idle = 0;

	while (got < n && idle < 3) {
		uint16_t want = n - got < 32 ? (uint16_t)(n - got) : 32;
		uint16_t k = mpdp_eth_rx_burst(p, q, out + got, want);

		got += k;
		idle = k == 0 ? idle + 1 : 0;
	}
	return got;
}

/* The packet's bytes, gathered over its segments, into buf (size >= pkt_len). */
static void gather(const struct mpdp_mbuf *m, uint8_t *buf)
{
	const void *d = mpdp_mbuf_read(m, 0, m->pkt_len, buf);

	if (d != buf)
		memcpy(buf, d, m->pkt_len);
}

/* m is record seq of a file written by pf_write(PF_ETH, TAG, sizes) */
static int rec_ok(const struct mpdp_mbuf *m, uint64_t seq)
{
	static uint8_t buf[16384];
	uint64_t s;
	uint32_t t;

	if (m->pkt_len != sizes[seq % NB_SIZES] || m->pkt_len > sizeof(buf))
		return 0;
	gather(m, buf);
	return pf_check(PF_ETH, buf, m->pkt_len, &t, &s) && t == TAG && s == seq;
}

static void free_all(struct mpdp_mbuf **m, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		mpdp_mbuf_free(m[i]);
}

/* ------------------------------------------------------------ 1 */

static void test_info(void)
{
	struct mpdp_eth_dev_info info;
	uint16_t p = du_port("net_pcap0");

	REQUIRE(mpdp_eth_dev_info_get(p, &info) == 0);
	CHECK(strcmp(info.driver, "net_pcap") == 0);
	CHECK(strcmp(info.bus, "vdev") == 0);
	CHECK_EQ(info.max_rx_queues, 1);
	CHECK_EQ(info.max_tx_queues, 1);
	CHECK_EQ(info.link.up, 1);
	CHECK_EQ(info.link.speed_mbps, 10000);
	CHECK_EQ(info.mtu, 1500);
	CHECK_EQ(info.mac.bytes[0], 0x02);
	CHECK_EQ(info.mac.bytes[5], p);
	CHECK(mpdp_ether_addr_is_valid_assigned(&info.mac));
	CHECK_EQ(mpdp_eth_dev_configure(p, 2, 1, NULL), -EINVAL);
}

/* ------------------------------------------------------------ 2, 3 */

static void rx_file_case(const char *devargs, struct mpdp_mempool *mp, unsigned int n, int ns,
			 unsigned int want_segs_9000)
{
	struct mpdp_mbuf *m[128];
	struct mpdp_eth_stats st;
	uint64_t bytes = 0;
	unsigned int in_use0 = mpdp_mempool_in_use_count(mp), got;
	uint16_t p = hotplug("%s", devargs);

	REQUIRE(n <= MPDP_DIM(m));
	REQUIRE(du_setup(p, 1, 1, mp) == 0);
	CHECK_EQ(du_xstat(p, "rx_pcap_records"), n);
	got = rx_all(p, 0, m, MPDP_DIM(m));
	CHECK_EQ(got, n);
	for (unsigned int i = 0; i < got; i++) {
		uint64_t ts = 1000ull * 1000000000ull + (uint64_t)i * 1000000ull;

		if (!rec_ok(m[i], i)) {
			fprintf(stderr, "%s: packet %u (%u bytes, %u segs) is not record %u\n",
				devargs, i, m[i]->pkt_len, m[i]->nb_segs, i);
			CHECK(0);
		}
		CHECK_EQ(m[i]->port, p);
		CHECK_EQ(m[i]->timestamp, ns ? ts : ts / 1000 * 1000);
		CHECK_EQ(mpdp_mbuf_check(m[i], 1, NULL), 0);
		if (m[i]->pkt_len == 9000 && want_segs_9000 != 0)
			CHECK_EQ(m[i]->nb_segs, want_segs_9000);
		bytes += m[i]->pkt_len;
	}
	free_all(m, got);
	/* the end of a one-pass file: nothing more, ever */
	CHECK_EQ(mpdp_eth_rx_burst(p, 0, m, 32), 0);
	CHECK_EQ(du_xstat(p, "rx_q0_pcap_passes"), 1);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.ipackets, n);
	CHECK_EQ(st.ibytes, bytes);
	CHECK_EQ(st.ierrors, 0);
	CHECK_EQ(st.rx_nombuf, 0);
	CHECK_EQ(mpdp_mempool_in_use_count(mp), in_use0);
	close_port(p);
}

static void test_rx(void)
{
	const unsigned int n = 3 * NB_SIZES;
	char devargs[256];

	REQUIRE(pf_write(pf_path("ns.pcap"), PF_ETH, 0, 1, TAG, n, sizes, NB_SIZES) == 0);
	REQUIRE(pf_write(pf_path("us.pcap"), PF_ETH, 0, 0, TAG, n, sizes, NB_SIZES) == 0);
	REQUIRE(pf_write(pf_path("in.pcapng"), PF_ETH, 1, 0, TAG, n, sizes, NB_SIZES) == 0);
	/* 2176-byte mbufs: the 9000-byte frame is 2048 + 3 * 2176 + 424: 5 segments */
	snprintf(devargs, sizeof(devargs), "net_pcap1,rx_pcap=%s", pf_path("ns.pcap"));
	rx_file_case(devargs, pool, n, 1, 5);
	snprintf(devargs, sizeof(devargs), "net_pcap1,rx_pcap=%s", pf_path("us.pcap"));
	rx_file_case(devargs, pool, n, 0, 5);
	snprintf(devargs, sizeof(devargs), "net_pcap1,rx_pcap=%s", pf_path("in.pcapng"));
	rx_file_case(devargs, pool, n, 1, 5);
	/* 256-byte mbufs (128 of data in the first): 9000 bytes in 1 + 35 segments */
	snprintf(devargs, sizeof(devargs), "net_pcap1,rx_pcap=%s", pf_path("ns.pcap"));
	rx_file_case(devargs, small_pool, n, 1, 36);
}

/* ------------------------------------------------------------ 4 */

static void test_loop(void)
{
	struct mpdp_mbuf *m[64];
	const unsigned int n = 5;
	unsigned int got, total;
	uint16_t p;

	REQUIRE(pf_write(pf_path("five.pcap"), PF_ETH, 0, 1, TAG, n, sizes, NB_SIZES) == 0);

	p = hotplug("net_pcap2,rx_pcap=%s,loop=3", pf_path("five.pcap"));
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	got = rx_all(p, 0, m, MPDP_DIM(m));
	CHECK_EQ(got, 3 * n);
	for (unsigned int i = 0; i < got; i++)
		CHECK(rec_ok(m[i], i % n));
	free_all(m, got);
	CHECK_EQ(du_xstat(p, "rx_q0_pcap_passes"), 3);
	close_port(p);

	p = hotplug("net_pcap2,rx_pcap=%s,loop=0", pf_path("five.pcap"));
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	got = rx_all(p, 0, m, MPDP_DIM(m));
	CHECK_EQ(got, n);
	free_all(m, got);
	close_port(p);

	/* forever: far more than the file, in order, burst after burst */
	p = hotplug("net_pcap2,rx_pcap=%s,loop=1", pf_path("five.pcap"));
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	total = 0;
	for (int round = 0; round < 100; round++) {
		got = mpdp_eth_rx_burst(p, 0, m, 7);
		CHECK_EQ(got, 7);
		for (unsigned int i = 0; i < got; i++)
			CHECK(rec_ok(m[i], (total + i) % n));
		total += got;
		free_all(m, got);
	}
	CHECK_EQ(du_xstat(p, "rx_q0_pcap_passes"), 700 / n);
	CHECK_EQ(du_xstat(p, "rx_q0_pcap_next"), 700 % n);
	close_port(p);
}

/* ------------------------------------------------------------ 5, 6 */

static void test_queues_and_cursor(void)
{
	struct mpdp_mbuf *m[64];
	const unsigned int n = 9;
	unsigned int got;
	uint16_t p;

	REQUIRE(pf_write(pf_path("nine.pcap"), PF_ETH, 0, 1, TAG, n, sizes, NB_SIZES) == 0);
	p = hotplug("net_pcap3,rx_pcap=%s,queues=2", pf_path("nine.pcap"));
	REQUIRE(du_setup(p, 2, 2, pool) == 0);
	got = rx_all(p, 1, m, MPDP_DIM(m));
	CHECK_EQ(got, 4); /* records 1, 3, 5, 7 */
	for (unsigned int i = 0; i < got; i++)
		CHECK(rec_ok(m[i], 2 * i + 1));
	free_all(m, got);
	got = rx_all(p, 0, m, MPDP_DIM(m));
	CHECK_EQ(got, 5); /* records 0, 2, 4, 6, 8 */
	for (unsigned int i = 0; i < got; i++)
		CHECK(rec_ok(m[i], 2 * i));
	free_all(m, got);

	/* one rx queue configured out of two: it gets every record */
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	REQUIRE(du_setup(p, 1, 2, pool) == 0);
	got = rx_all(p, 0, m, MPDP_DIM(m));
	CHECK_EQ(got, n);
	free_all(m, got);

	/* the cursor is the queue's, not the claimer's: it survives a new claim */
	CHECK_EQ(mpdp_eth_dev_stop(p), 0);
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	got = mpdp_eth_rx_burst(p, 0, m, 4);
	CHECK_EQ(got, 4);
	free_all(m, got);
	CHECK_EQ(mpdp_eth_queue_release(p, MPDP_ETH_RX, 0), 0);
	CHECK_EQ(mpdp_eth_queue_claim(p, MPDP_ETH_RX, 0), 0);
	CHECK_EQ(du_xstat(p, "rx_q0_pcap_next"), 4);
	got = rx_all(p, 0, m, MPDP_DIM(m));
	CHECK_EQ(got, n - 4);
	for (unsigned int i = 0; i < got; i++)
		CHECK(rec_ok(m[i], 4 + i));
	free_all(m, got);
	close_port(p);
}

/* ------------------------------------------------------------ 7 */

static void test_tx(void)
{
	const char *out = pf_path("out.pcap");
	struct mpdp_mbuf *m[16];
	struct mpdp_eth_stats st;
	struct pf_file f;
	char err[256];
	unsigned int in_use0 = mpdp_mempool_in_use_count(pool);
	uint64_t bytes = 0;
	uint16_t p = hotplug("net_pcap4,tx_pcap=%s", out);
	struct stat sb;

	mode_t um = umask(0);

	umask(um);
	REQUIRE(stat(out, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0644 & ~um);
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	/* a tx-only port receives nothing */
	CHECK_EQ(mpdp_eth_rx_burst(p, 0, m, 16), 0);

	for (unsigned int i = 0; i < 8; i++) {
		uint32_t len = sizes[i];

		m[i] = mpdp_mbuf_alloc(pool);
		REQUIRE(m[i] != NULL);
		pf_fill(PF_ETH, (uint8_t *)mpdp_mbuf_append(m[i], (uint16_t)len), len, TAG, i);
		bytes += len;
	}
	/* packet 8: a chain of three segments, 1000 + 1000 + 500 bytes */
	{
		static uint8_t buf[2500];
		struct mpdp_mbuf *s[3];

		pf_fill(PF_ETH, buf, sizeof(buf), TAG, 8);
		for (int k = 0; k < 3; k++) {
			uint16_t len = k < 2 ? 1000 : 500;

			s[k] = mpdp_mbuf_alloc(pool);
			REQUIRE(s[k] != NULL);
			memcpy(mpdp_mbuf_append(s[k], len), buf + 1000 * k, len);
		}
		CHECK_EQ(mpdp_mbuf_chain(s[0], s[1]), 0);
		CHECK_EQ(mpdp_mbuf_chain(s[0], s[2]), 0);
		m[8] = s[0];
		bytes += 2500;
	}
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, m, 9), 9);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.opackets, 9);
	CHECK_EQ(st.obytes, bytes);
	CHECK_EQ(st.oerrors, 0);

	if (pf_read(out, &f, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(0);
	} else {
		CHECK_EQ(f.magic, PF_MAGIC_NS);
		CHECK_EQ(f.major, 2);
		CHECK_EQ(f.minor, 4);
		CHECK_EQ(f.linktype, 1);
		CHECK(f.snaplen >= 65535);
		CHECK_EQ(f.nb, 9);
		for (unsigned int i = 0; i < f.nb; i++) {
			uint32_t want = i < 8 ? sizes[i] : 2500, t;
			uint64_t s;

			CHECK_EQ(f.recs[i].caplen, want);
			CHECK_EQ(f.recs[i].len, want);
			CHECK(pf_check(PF_ETH, f.recs[i].data, f.recs[i].caplen, &t, &s) &&
			      t == TAG && s == i);
			CHECK(f.recs[i].ts_ns > 1600000000ull * 1000000000ull);
		}
		pf_free(&f);
	}
	close_port(p);
	/* the file stays, whole */
	CHECK(pf_read(out, &f, err, sizeof(err)) == 0 && f.nb == 9);
	pf_free(&f);

	/* rx only: transmit frees and counts */
	p = hotplug("net_pcap4,rx_pcap=%s", pf_path("five.pcap"));
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	for (unsigned int i = 0; i < 4; i++)
		m[i] = du_pkt(pool, 100, 1, i);
	CHECK_EQ(mpdp_eth_tx_burst(p, 0, m, 4), 4);
	CHECK_EQ(mpdp_mempool_in_use_count(pool), in_use0);
	REQUIRE(mpdp_eth_stats_get(p, &st) == 0);
	CHECK_EQ(st.opackets, 4);
	CHECK_EQ(st.obytes, 400);
	close_port(p);
}

/* ------------------------------------------------------------ 8 */

/*
 * The hotplug of devargs fails with want, one ERR line that contains needle,
 * nothing left: port, memzone, fd, and no file at must_not_exist.
 */
static void bad(const char *devargs, int want, const char *needle, const char *must_not_exist)
{
	int fds = fd_count(), errs = 0, found = 0;

	unit_log_capture();
	DU_HOTPLUG_FAILS(devargs, want);
	for (unsigned int i = 0; i < unit_log_count(); i++) {
		const struct unit_log_line *l = unit_log_get(i);

		if (l->level > MPDP_LOG_ERR)
			continue;
		errs++;
		found |= strstr(l->message, needle) != NULL;
	}
	if (errs != 1 || !found) {
		fprintf(stderr, "%s: expected one error line with '%s', got:\n", devargs, needle);
		unit_log_dump();
		CHECK(0);
	}
	unit_log_release();
	CHECK_EQ(fd_count(), fds);
	if (must_not_exist != NULL)
		CHECK_EQ(access(must_not_exist, F_OK), -1);
}

static void test_bad_input(void)
{
	char d[512], hdr[24], txt[128], cut[128], cut_hdr[128], newtx[128], big[128];
	const uint32_t one[] = { 100 };
	const uint32_t huge[] = { 60000 };
	FILE *f;

	snprintf(txt, sizeof(txt), "%s", pf_path("text.txt"));
	snprintf(cut, sizeof(cut), "%s", pf_path("cut.pcap"));
	snprintf(cut_hdr, sizeof(cut_hdr), "%s", pf_path("cuth.pcap"));
	snprintf(newtx, sizeof(newtx), "%s", pf_path("new.pcap"));
	snprintf(big, sizeof(big), "%s", pf_path("big.pcap"));
	REQUIRE(pf_write_raw(txt, "hello, this is text\nnot a capture\n", 34) == 0);
	REQUIRE(pf_write(cut, PF_ETH, 0, 1, TAG, 3, one, 1) == 0);
	REQUIRE(pf_truncate(cut, 24 + 2 * 116 + 16 + 40) == 0);
	REQUIRE(pf_write(cut_hdr, PF_ETH, 0, 1, TAG, 3, one, 1) == 0);
	REQUIRE(pf_truncate(cut_hdr, 24 + 116 + 7) == 0);
	/* a pcap of link type 113 (Linux cooked) */
	REQUIRE(pf_write(pf_path("sll.pcap"), PF_ETH, 0, 1, TAG, 1, one, 1) == 0);
	f = fopen(pf_path("sll.pcap"), "r+b");
	REQUIRE(f != NULL && fread(hdr, 1, 24, f) == 24);
	hdr[20] = 113;
	fseek(f, 0, SEEK_SET);
	fwrite(hdr, 1, 24, f);
	fclose(f);
	/* 40 MB of packets: more than half of the 64 MB heap */
	REQUIRE(pf_write(big, PF_ETH, 0, 1, TAG, 700, huge, 1) == 0);

#define BAD(want, needle, gone, ...)                 \
	do {                                         \
		snprintf(d, sizeof(d), __VA_ARGS__); \
		bad(d, want, needle, gone);          \
	} while (0)

	BAD(-ENOENT, "No such file", newtx, "net_pcap5,rx_pcap=%s/none.pcap,tx_pcap=%s", pf_dir,
	    newtx);
	BAD(-EINVAL, "unknown file format", newtx, "net_pcap5,rx_pcap=%s,tx_pcap=%s", txt, newtx);
	BAD(-EINVAL, "truncated", newtx, "net_pcap5,rx_pcap=%s,tx_pcap=%s", cut, newtx);
	BAD(-EINVAL, "truncated", NULL, "net_pcap5,rx_pcap=%s", cut_hdr);
	BAD(-EINVAL, "record 3: truncated", NULL, "net_pcap5,rx_pcap=%s", cut);
	REQUIRE(pf_write_raw(pf_path("empty.pcap"), "", 0) == 0);
	BAD(-EINVAL, "empty.pcap: empty file", NULL, "net_pcap5,rx_pcap=%s", pf_path("empty.pcap"));
	BAD(-EINVAL, "EN10MB", NULL, "net_pcap5,rx_pcap=%s", pf_path("sll.pcap"));
	BAD(-EISDIR, "is a directory", NULL, "net_pcap5,rx_pcap=%s", pf_dir);
	BAD(-EFBIG, "does not fit in the 64 MB heap", newtx, "net_pcap5,rx_pcap=%s,tx_pcap=%s", big,
	    newtx);
	BAD(-ENOENT, "no-such-dir/x.pcap", NULL, "net_pcap5,tx_pcap=%s/no-such-dir/x.pcap", pf_dir);
	BAD(-EISDIR, pf_dir, NULL, "net_pcap5,tx_pcap=%s", pf_dir);
	BAD(-ENOSPC, "/dev/full", NULL, "net_pcap5,tx_pcap=/dev/full");
	BAD(-EINVAL, "same file", NULL, "net_pcap5,rx_pcap=%s,tx_pcap=%s", pf_path("five.pcap"),
	    pf_path("five.pcap"));
	BAD(-EINVAL, "rx_pcap=FILE, tx_pcap=FILE or both", NULL, "net_pcap5");
	BAD(-EINVAL, "loop", NULL, "net_pcap5,tx_pcap=%s,loop=2", newtx);
	BAD(-EINVAL, "loop", NULL, "net_pcap5,rx_pcap=%s,loop=x", pf_path("five.pcap"));
	BAD(-EINVAL, "queues", NULL, "net_pcap5,rx_pcap=%s,queues=17", pf_path("five.pcap"));
	BAD(-EINVAL, "queues", NULL, "net_pcap5,rx_pcap=%s,queues=0", pf_path("five.pcap"));
	BAD(-EINVAL, "a file name is needed", NULL, "net_pcap5,rx_pcap=");
	BAD(-EINVAL, "iface", NULL, "net_pcap5,iface=eth0");
	BAD(-ENAMETOOLONG, "net_pcap_a_very_long_name_x", NULL,
	    "net_pcap_a_very_long_name_x,rx_pcap=%s", pf_path("five.pcap"));
	/* the file exists already: it was truncated, it stays (empty) */
	REQUIRE(pf_write_raw(newtx, "old", 3) == 0);
	BAD(-EINVAL, "unknown file format", NULL, "net_pcap5,rx_pcap=%s,tx_pcap=%s", txt, newtx);
	CHECK_EQ(access(newtx, F_OK), 0);
#undef BAD
}

/* ------------------------------------------------------------ 9 */

static void test_close(void)
{
	int mz = du_mz_count(), fds = fd_count();
	uint16_t p = hotplug("net_pcap6,rx_pcap=%s,tx_pcap=%s", pf_path("five.pcap"),
			     pf_path("close.pcap"));

	CHECK_EQ(du_mz_count(), mz + 1);
	CHECK_EQ(fd_count(), fds + 1); /* ethdev's copy of the tx file */
	REQUIRE(du_setup(p, 1, 1, pool) == 0);
	close_port(p);
	CHECK_EQ(du_mz_count(), mz);
	CHECK_EQ(fd_count(), fds);
	CHECK_EQ(access(pf_path("close.pcap"), F_OK), 0);
}

int main(void)
{
	int rc, err;
	char devargs[256];

	unit_rt_setup("drv_pcap");
	snprintf(pf_dir, sizeof(pf_dir), "/tmp/mpdp-pcap-XXXXXX");
	if (mkdtemp(pf_dir) == NULL) {
		pf_dir[0] = '\0';
		unit_skip("mkdtemp failed");
	}
	atexit(rm_dir);
	REQUIRE(pf_write(pf_path("first.pcap"), PF_ETH, 0, 1, TAG, 4, sizes, NB_SIZES) == 0);
	snprintf(devargs, sizeof(devargs), "net_pcap0,rx_pcap=%s", pf_path("first.pcap"));
	rc = unit_init("--no-huge", "--mem", "64M", "--no-pci", "--vdev", devargs, NULL);
	if (rc < 0) {
		fprintf(stderr, "mpdp_init: %s\n", strerror(-rc));
		return 1;
	}
	pool = mpdp_mbuf_pool_create("pcap.pool", 2048, 32, 0, MPDP_MBUF_DEFAULT_BUF_SIZE, NULL,
				     &err);
	small_pool = mpdp_mbuf_pool_create("pcap.small", 4096, 32, 0, 256, NULL, &err);
	REQUIRE(pool != NULL && small_pool != NULL);

	test_info();
	test_rx();
	test_loop();
	test_queues_and_cursor();
	test_tx();
	test_bad_input();
	test_close();

	unit_exit();
}
