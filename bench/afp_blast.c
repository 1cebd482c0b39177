/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * afp_blast.c - push fixed-size Ethernet frames into an interface as fast as
 * one CPU can, for bench/bench_af_packet.sh (which builds it with cc; it is
 * not part of the mpdp build and uses nothing of mpdp).
 *
 * A packet socket with protocol 0 (it receives nothing), sending with
 * sendmmsg() of 64 prepared frames per call (--mode mmsg, the default) or
 * through a TPACKET_V2 transmit ring (--mode ring): every slot holds a frame
 * written once, the loop hands a batch of free slots back to the kernel
 * (TP_STATUS_SEND_REQUEST) and kicks it with send() (MSG_DONTWAIT). With
 * --qdisc-bypass the kernel skips the qdisc (PACKET_QDISC_BYPASS). On this
 * 2-CPU VM, into a veth whose peer drops, sendmmsg with qdisc bypass was the
 * fastest: about 0.8 Mpps against 0.7 for the ring (a third of the cost is
 * the peer's receive, which runs on the sending CPU).
 *
 * Frames go to a locally administered destination MAC; by default they are
 * EtherType 0x88B5 (local experimental, as mpdp-l2fwd --tx-first sends),
 * which no protocol handler takes, so a receiving veth drops them at the
 * least cost; --ipv4 makes them IPv4/UDP with --flows source ports.
 *
 * usage: afp_blast IFACE [--size N] [--seconds S] [--count N] [--batch N]
 *                        [--flows N] [--mode mmsg|ring] [--qdisc-bypass] [--ipv4]
 * Output: "blast ..." lines: one at the start, one per second, one at the end
 * (frames handed to the kernel; the interface's counters say what it took).
 * --count N stops after N frames (at least; whole batches).
 *
 * Drain watch, for the backlog-drain measurement (no frame sent):
 *   afp_blast --drain-watch IFACE --cont PID [--idle-ms N] [--poll-us N]
 *                                            [--first-ms N]
 * reads IFACE's /sys/class/net/IFACE/statistics/rx_packets, sends SIGCONT to
 * PID (a stopped forwarder with a full receive ring) and polls the counter
 * every --poll-us (default 100) until it has not grown for --idle-ms (default
 * 20) after its first increase (none within --first-ms, default 3000: gives
 * up). Prints "drain frames=N secs=S mpps=R first_ms=F polls=P": N the
 * counter's growth, S the time from just before SIGCONT to the poll that saw
 * the last increase (so S errs by at most one poll interval), R = N / S.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define FRAME_SLOT 256 /* ring slot: header (32) + frame, multiple of 16 */
#define BLOCK_SIZE (1u << 16)
#define NB_BLOCKS 64
#define NB_SLOTS (BLOCK_SIZE / FRAME_SLOT * NB_BLOCKS)
#define MAX_SIZE (FRAME_SLOT - 32)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int ipv4;

/* A frame of size bytes (without FCS); IPv4/UDP from source port 1024 + flow with --ipv4. */
static void make_frame(uint8_t *f, unsigned int size, unsigned int flow)
{
	static const uint8_t dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
	static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
	uint8_t *ip = f + 14, *udp = ip + 20;
	unsigned int ip_len = size - 14, udp_len = ip_len - 20;
	uint16_t c;

	memset(f, 0, size);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (!ipv4) {
		f[12] = 0x88;
		f[13] = 0xb5;
		f[14] = (uint8_t)(flow >> 8);
		f[15] = (uint8_t)flow;
		return;
	}
	f[12] = 0x08;
	f[13] = 0x00;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 1; /* 198.18.0.1 -> 198.18.0.2 */
	ip[16] = 198, ip[17] = 18, ip[18] = 0, ip[19] = 2;
	c = ip_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = (uint8_t)((1024 + flow) >> 8);
	udp[1] = (uint8_t)(1024 + flow);
	udp[2] = 0x04;
	udp[3] = 0xd2; /* 1234 */
	udp[4] = (uint8_t)(udp_len >> 8);
	udp[5] = (uint8_t)udp_len; /* checksum 0: none */
}

/*
 * The per-second line, when a second has passed since the last one (at
 * *tlast, *last_sent frames then). Returns 1 once the end time tend (0:
 * none) is reached.
 */
static int tick(uint64_t sent, double *tlast, uint64_t *last_sent, double tend)
{
	double t = now();

	if (t - *tlast >= 1.0) {
		printf("blast sec sent=%llu mpps=%.3f\n", (unsigned long long)sent,
		       (double)(sent - *last_sent) / (t - *tlast) / 1e6);
		fflush(stdout);
		*tlast = t;
		*last_sent = sent;
	}
	return tend && t >= tend;
}

static void usage(void)
{
	fprintf(stderr, "usage: afp_blast IFACE [--size N] [--seconds S] [--count N] [--batch N]\n"
			"                 [--flows N] [--mode mmsg|ring] [--qdisc-bypass] [--ipv4]\n"
			"       afp_blast --drain-watch IFACE --cont PID [--idle-ms N] [--poll-us N]\n"
			"                 [--first-ms N]\n");
	exit(2);
}

/* The counter in the sysfs file open at fd, or -1. */
static long long read_counter(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

static int drain_watch(int argc, char **argv)
{
	unsigned int idle_ms = 20, poll_us = 100, first_ms = 3000, polls = 0;
	long pid = 0;
	long long c0, c, last;
	double t0, t, tlast, tfirst = 0;
	char path[128];
	int fd;

	if (argc < 3)
		usage();
	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--cont") == 0)
			pid = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--idle-ms") == 0)
			idle_ms = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--poll-us") == 0)
			poll_us = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--first-ms") == 0)
			first_ms = (unsigned int)strtoul(argv[++i], NULL, 10);
		else
			usage();
	}
	if (pid <= 0 || idle_ms < 1 || poll_us < 1)
		usage();
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_packets", argv[2]);
	fd = open(path, O_RDONLY);
	if (fd < 0 || (c0 = read_counter(fd)) < 0) {
		fprintf(stderr, "afp_blast: cannot read %s: %s\n", path, strerror(errno));
		return 1;
	}
	last = c0;
	t0 = tlast = now();
	if (kill((pid_t)pid, SIGCONT) != 0) {
		fprintf(stderr, "afp_blast: SIGCONT %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	for (;;) {
		sleep_us(poll_us);
		c = read_counter(fd);
		t = now();
		polls++;
		if (c > last) {
			if (last == c0)
				tfirst = t;
			last = c;
			tlast = t;
		} else if (last == c0 ? t - t0 > first_ms * 1e-3 : t - tlast > idle_ms * 1e-3) {
			break;
		}
	}
	close(fd);
	printf("drain frames=%lld secs=%.6f mpps=%.4f first_ms=%.3f polls=%u\n", last - c0,
	       tlast - t0, last > c0 ? (double)(last - c0) / (tlast - t0) / 1e6 : 0.0,
	       last > c0 ? (tfirst - t0) * 1e3 : -1.0, polls);
	return last > c0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned int size = 64, batch = 256, flows = 1, seconds = 0;
	int bypass = 0, use_mmsg = 1, fd, ifindex;
	const char *ifname;
	struct sockaddr_ll sll;
	uint64_t sent = 0, last_sent = 0, count = 0;
	double t0, tlast, tend;
	uint8_t *ring = MAP_FAILED;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "--drain-watch") == 0)
		return drain_watch(argc, argv);
	ifname = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--qdisc-bypass") == 0) {
			bypass = 1;
		} else if (strcmp(argv[i], "--ipv4") == 0) {
			ipv4 = 1;
		} else if (i + 1 < argc && strcmp(argv[i], "--mode") == 0) {
			i++;
			if (strcmp(argv[i], "mmsg") == 0)
				use_mmsg = 1;
			else if (strcmp(argv[i], "ring") == 0)
				use_mmsg = 0;
			else
				usage();
		} else if (i + 1 < argc && strcmp(argv[i], "--size") == 0) {
			size = (unsigned int)strtoul(argv[++i], NULL, 10);
		} else if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0) {
			seconds = (unsigned int)strtoul(argv[++i], NULL, 10);
		} else if (i + 1 < argc && strcmp(argv[i], "--count") == 0) {
			count = strtoull(argv[++i], NULL, 10);
		} else if (i + 1 < argc && strcmp(argv[i], "--batch") == 0) {
			batch = (unsigned int)strtoul(argv[++i], NULL, 10);
		} else if (i + 1 < argc && strcmp(argv[i], "--flows") == 0) {
			flows = (unsigned int)strtoul(argv[++i], NULL, 10);
		} else {
			usage();
		}
	}
	if (size < 60 || size > MAX_SIZE || batch < 1 || batch > NB_SLOTS / 2 || flows < 1 ||
	    flows > 60000) {
		fprintf(stderr, "afp_blast: --size 60..%d, --batch 1..%d, --flows 1..60000\n",
			MAX_SIZE, NB_SLOTS / 2);
		return 2;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (ifindex == 0) {
		fprintf(stderr, "afp_blast: no interface '%s'\n", ifname);
		return 1;
	}
	/* protocol 0: this socket receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "afp_blast: socket(AF_PACKET): %s\n", strerror(errno));
		return 1;
	}
	if (bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &bypass, sizeof(bypass)) != 0)
		fprintf(stderr, "afp_blast: PACKET_QDISC_BYPASS: %s (carrying on)\n", strerror(errno));
	if (!use_mmsg) {
		int v = TPACKET_V2;
		struct tpacket_req req = {
			.tp_block_size = BLOCK_SIZE,
			.tp_block_nr = NB_BLOCKS,
			.tp_frame_size = FRAME_SLOT,
			.tp_frame_nr = NB_SLOTS,
		};

		if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0 ||
		    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) != 0 ||
		    (ring = mmap(NULL, (size_t)BLOCK_SIZE * NB_BLOCKS, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0)) == MAP_FAILED) {
			fprintf(stderr, "afp_blast: no TX ring (%s): sendmmsg instead\n", strerror(errno));
			use_mmsg = 1;
		}
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = 0;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		fprintf(stderr, "afp_blast: bind(%s): %s\n", ifname, strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("blast start iface=%s size=%u batch=%u flows=%u mode=%s qdisc_bypass=%d frames=%s\n",
	       ifname, size, batch, flows, use_mmsg ? "mmsg" : "ring", bypass,
	       ipv4 ? "ipv4_udp" : "ethertype_88b5");
	fflush(stdout);

	t0 = tlast = now();
	tend = seconds ? t0 + seconds : 0;
	if (!use_mmsg) {
		unsigned int next = 0;

		for (unsigned int i = 0; i < NB_SLOTS; i++) {
			struct tpacket2_hdr *h = (void *)(ring + (size_t)i * FRAME_SLOT);

			make_frame((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)), size, i % flows);
			h->tp_len = size;
		}
		while (!stop) {
			unsigned int n = 0;

			/* hand the kernel up to batch free slots, in ring order */
			while (n < batch) {
				struct tpacket2_hdr *h = (void *)(ring + (size_t)next * FRAME_SLOT);

				if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
					break; /* still being sent */
				h->tp_len = size;
				__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
				next = (next + 1) % NB_SLOTS;
				n++;
			}
			/* nothing free: wait (blocking) for the frames in flight */
			if (send(fd, NULL, 0, n > 0 ? MSG_DONTWAIT : 0) < 0 && errno != ENOBUFS &&
			    errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "afp_blast: send: %s\n", strerror(errno));
				return 1;
			}
			sent += n;
			if (count && sent >= count)
				break;
			if (((sent & 0xffff) < n || n == 0) && tick(sent, &tlast, &last_sent, tend))
				break;
		}
	} else {
		enum { VLEN = 64 };
		static uint8_t frames[VLEN][MAX_SIZE];
		struct mmsghdr msgs[VLEN];
		struct iovec iov[VLEN];

		memset(msgs, 0, sizeof(msgs));
		for (unsigned int i = 0; i < VLEN; i++) {
			make_frame(frames[i], size, i % flows);
			iov[i].iov_base = frames[i];
			iov[i].iov_len = size;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &sll;
			msgs[i].msg_hdr.msg_namelen = sizeof(sll);
		}
		while (!stop) {
			int n = sendmmsg(fd, msgs, VLEN, 0);

			if (n > 0)
				sent += (uint64_t)n;
			else if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "afp_blast: sendmmsg: %s\n", strerror(errno));
				return 1;
			}
			if (count && sent >= count)
				break;
			if ((sent & 0x3fff) < VLEN && tick(sent, &tlast, &last_sent, tend))
				break;
		}
	}
	{
		double t = now() - t0;

		printf("blast end sent=%llu secs=%.2f mpps=%.3f\n", (unsigned long long)sent, t,
		       t > 0 ? (double)sent / t / 1e6 : 0.0);
	}
	if (ring != MAP_FAILED)
		munmap(ring, (size_t)BLOCK_SIZE * NB_BLOCKS);
	close(fd);
	return 0;
}
