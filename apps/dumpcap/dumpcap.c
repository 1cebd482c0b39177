/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dumpcap.c - mpdp-dumpcap: a secondary that captures what ports receive and
 * send while the primary forwards, and writes a pcapng file.
 *
 * The copies are made by the processes that poll the ports, in their
 * mpdp_eth_rx_burst() and mpdp_eth_tx_burst(), into the port's capture ring
 * (mpdp_eth_capture.h); this tool only reads the ring, applies the filter
 * (libpcap BPF, compiled here: the forwarder never filters) and writes. The
 * ring holds 4095 copies: the read loop takes bursts of 64 and never sleeps
 * while copies come, only after a pass that found none (--idle-us).
 *
 * Order of the checks, so that bad input costs nothing and leaves nothing:
 * options and the filter before mpdp_init(), then the ports, then the
 * captures, and only then the output file, which is removed again when
 * writing its first blocks fails.
 *
 * Output file (pcapng, host byte order): a Section Header Block, one
 * Interface Description Block per port (if_name = the port's name,
 * if_tsresol = 9: nanoseconds, the snap length in effect, the filter), one
 * Enhanced Packet Block per packet (timestamp, captured and original length,
 * epb_flags = inbound or outbound), and at the end one Interface Statistics
 * Block per port (isb_ifrecv, isb_ifdrop, isb_filteraccept, isb_usrdeliv).
 *
 * stderr (one line each):
 *   mpdp-dumpcap: capturing on port P (NAME) dirs=rx,tx queues=all snaplen=N to FILE
 *   mpdp-dumpcap: port P (NAME): N packets captured, N written, N dropped, N filtered
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_eth_capture.h>
#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_mbuf.h>

#include "app_util.h"

#define MAX_IFACES      MPDP_MAX_PORTS
#define BURST           64
#define SNAPLEN_DEFAULT 262144u /* as tshark's; the capture pool bounds it */
#define IDLE_US_DEFAULT 100u
#define OUT_BUF_SIZE    (1u << 20)
#define MAX_BLOCK       (64u * 1024u)

static const char usage[] =
	"\nmpdp-dumpcap [runtime options] -- [options] [filter expression]\n"
	"Capture the packets ports receive and send, to a pcapng file. Runs as a\n"
	"secondary beside the primary (e.g. mpdp-l2fwd), which keeps forwarding.\n"
	"  -i, --interface PORT  port id or name to capture; repeatable (default: the\n"
	"                        first port)\n"
	"  -w, --write FILE      pcapng file to write, '-' for stdout (required)\n"
	"  -c, --count N         stop after N packets written\n"
	"  -a, --autostop COND   stop after duration:SECONDS or packets:N\n"
	"      --duration S      stop after S seconds\n"
	"  -s, --snapshot-length N\n"
	"                        bytes kept per packet (default 262144; the capture\n"
	"                        pool keeps at most 2048)\n"
	"  -Q, --direction in|out|inout\n"
	"      --rx-only         received packets only (-Q in)\n"
	"      --tx-only         sent packets only (-Q out)\n"
	"  -q, --queue Q         capture queue Q only; repeatable (default: every queue)\n"
	"  -f, --filter EXPR     libpcap filter (or give it after the options)\n"
	"  -D, --list-interfaces list the ports and exit\n"
	"      --idle-us N       sleep N microseconds after a pass that found nothing\n"
	"                        (default 100)\n"
	"  -h, --help            show this help\n";

/* pcapng block types and options */
#define PCAPNG_SHB        0x0A0D0D0Au
#define PCAPNG_IDB        0x00000001u
#define PCAPNG_ISB        0x00000005u
#define PCAPNG_EPB        0x00000006u
#define PCAPNG_MAGIC      0x1A2B3C4Du
#define OPT_END           0
#define SHB_OS            3
#define SHB_USERAPPL      4
#define IF_NAME           2
#define IF_DESCRIPTION    3
#define IF_TSRESOL        9
#define IF_FILTER         11
#define EPB_FLAGS         2
#define EPB_FLAG_IN       0x1u
#define EPB_FLAG_OUT      0x2u
#define ISB_STARTTIME     2
#define ISB_ENDTIME       3
#define ISB_IFRECV        4
#define ISB_IFDROP        5
#define ISB_FILTERACCEPT  6
#define ISB_USRDELIV      8
#define LINKTYPE_ETHERNET 1

struct iface {
	uint16_t port;
	char name[MPDP_NAME_SIZE];
	char driver[MPDP_NAME_SIZE];
	struct mpdp_eth_capture *cap;
	struct mpdp_eth_capture_stats st;
	uint64_t seen, written, filtered;
};

static struct {
	/* options */
	const char *iface_arg[MAX_IFACES];
	unsigned int nb_iface_args;
	const char *out_path;
	uint64_t count;
	double duration;
	uint64_t snaplen;
	uint32_t dirs;
	uint32_t queue_mask;
	const char *filter_opt;
	char *filter; /* -f, or the trailing words joined */
	unsigned int idle_us;
	int list;

	/* state */
	struct bpf_program prog;
	int have_prog;
	struct iface ifaces[MAX_IFACES];
	unsigned int nb_ifaces;
	FILE *out;
	int out_created; /* we made the file: remove it if the header fails */
	uint64_t written;
	uint64_t start_ns; /* CLOCK_REALTIME, for the statistics blocks */
	int write_failed;
	uint8_t block[MAX_BLOCK];
} g = { .snaplen = SNAPLEN_DEFAULT, .idle_us = IDLE_US_DEFAULT };

enum {
	OPT_RX_ONLY = 256,
	OPT_TX_ONLY,
};

static const char *err_str(int rc)
{
	return strerror(rc < 0 ? -rc : rc);
}

/* ---------------------------------------------------------------- options */

static int parse_direction(const char *s)
{
	if (strcmp(s, "in") == 0)
		g.dirs = MPDP_ETH_CAPTURE_RX;
	else if (strcmp(s, "out") == 0)
		g.dirs = MPDP_ETH_CAPTURE_TX;
	else if (strcmp(s, "inout") == 0)
		g.dirs = MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX;
	else {
		app_err("invalid value '%s' for -Q/--direction: expected in, out or inout", s);
		return -1;
	}
	return 0;
}

static int parse_autostop(const char *s)
{
	if (strncmp(s, "duration:", 9) == 0)
		return app_parse_seconds("-a duration", s + 9, 86400 * 365.0, &g.duration);
	if (strncmp(s, "packets:", 8) == 0)
		return app_parse_u64("-a packets", s + 8, 1, UINT64_MAX / 2, &g.count);
	app_err("invalid value '%s' for -a/--autostop: expected duration:SECONDS or packets:N", s);
	return -1;
}

/* The trailing words of the command line, joined by spaces, as tcpdump does. */
static int join_filter(int argc, char **argv)
{
	size_t len = 0;

	if (g.filter_opt != NULL && optind < argc) {
		app_err("give the filter either with -f or after the options, not both");
		return -1;
	}
	if (g.filter_opt != NULL) {
		g.filter = strdup(g.filter_opt);
	} else if (optind < argc) {
		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		g.filter = calloc(1, len);
		for (int i = optind; g.filter != NULL && i < argc; i++) {
			if (i > optind)
				strcat(g.filter, " ");
			strcat(g.filter, argv[i]);
		}
	} else {
		return 0;
	}
	if (g.filter == NULL) {
		app_err("out of memory");
		return -1;
	}
	return 0;
}

static int parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "autostop", required_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, APP_OPT_DURATION },
		{ "snapshot-length", required_argument, NULL, 's' },
		{ "direction", required_argument, NULL, 'Q' },
		{ "rx-only", no_argument, NULL, OPT_RX_ONLY },
		{ "tx-only", no_argument, NULL, OPT_TX_ONLY },
		{ "queue", required_argument, NULL, 'q' },
		{ "filter", required_argument, NULL, 'f' },
		{ "list-interfaces", no_argument, NULL, 'D' },
		{ "idle-us", required_argument, NULL, APP_OPT_IDLE_US },
		{ NULL, 0, NULL, 0 },
	};
	struct app_loop_opts loop = { .idle_us = IDLE_US_DEFAULT };
	uint64_t v;
	int c, rc;

	opterr = 0;
	optind = 1;
	/* '+': stop at the first word that is not an option: the filter */
	while ((c = getopt_long(argc, argv, "+:i:w:c:a:s:Q:q:f:D", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (g.nb_iface_args == MAX_IFACES) {
				app_err("too many -i options (at most %u)", MAX_IFACES);
				return -1;
			}
			g.iface_arg[g.nb_iface_args++] = optarg;
			break;
		case 'w':
			if (optarg[0] == '\0') {
				app_err("-w/--write needs a file name ('-' for stdout)");
				return -1;
			}
			g.out_path = optarg;
			break;
		case 'c':
			if (app_parse_u64("-c/--count", optarg, 1, UINT64_MAX / 2, &g.count) != 0)
				return -1;
			break;
		case 'a':
			if (parse_autostop(optarg) != 0)
				return -1;
			break;
		case 's':
			if (app_parse_u64("-s/--snapshot-length", optarg, 1, SNAPLEN_DEFAULT, &v) !=
			    0)
				return -1;
			g.snaplen = v;
			break;
		case 'Q':
			if (parse_direction(optarg) != 0)
				return -1;
			break;
		case OPT_RX_ONLY:
			g.dirs = MPDP_ETH_CAPTURE_RX;
			break;
		case OPT_TX_ONLY:
			g.dirs = MPDP_ETH_CAPTURE_TX;
			break;
		case 'q':
			if (app_parse_u64("-q/--queue", optarg, 0, MPDP_ETH_MAX_QUEUES - 1, &v) !=
			    0)
				return -1;
			g.queue_mask |= 1u << v;
			break;
		case 'f':
			g.filter_opt = optarg;
			break;
		case 'D':
			g.list = 1;
			break;
		default:
			rc = app_opt_loop(c, optarg, &loop);
			if (rc == 0)
				return app_opt_bad(c, argv);
			if (rc < 0)
				return -1;
			if (c == APP_OPT_DURATION)
				g.duration = loop.duration;
			if (c == APP_OPT_IDLE_US)
				g.idle_us = loop.idle_us;
			break;
		}
	}
	if (join_filter(argc, argv) != 0)
		return -1;
	if (g.out_path == NULL && !g.list) {
		app_err("give the output file with -w FILE ('-' for stdout; see --help)");
		return -1;
	}
	return 0;
}

/* Compile the filter once, before attaching: a bad one is an error line, nothing more. */
static int compile_filter(void)
{
	pcap_t *p;
	int rc = 0;

	if (g.filter == NULL)
		return 0;
	p = pcap_open_dead(DLT_EN10MB, (int)g.snaplen);
	if (p == NULL) {
		app_err("cannot compile the filter: libpcap failed");
		return -1;
	}
	if (pcap_compile(p, &g.prog, g.filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		app_err("invalid filter '%s': %s", g.filter, pcap_geterr(p));
		rc = -1;
	} else {
		g.have_prog = 1;
	}
	pcap_close(p);
	return rc;
}

/* ---------------------------------------------------------------- ports */

static int all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* "0 (net_ring0), 1 (net_ring1)" for messages. */
static void port_list(char *buf, size_t size)
{
	size_t n = 0;
	uint16_t p;

	buf[0] = '\0';
	MPDP_ETH_FOREACH_PORT(p)
	{
		struct mpdp_eth_dev_info info;

		if (mpdp_eth_dev_info_get(p, &info) != 0 || n >= size)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%u (%s)", n ? ", " : "", p, info.name);
	}
	if (n == 0)
		snprintf(buf, size, "none");
}

static int add_iface(const char *arg, uint16_t port)
{
	struct mpdp_eth_dev_info info;
	struct iface *f;
	int rc = mpdp_eth_dev_info_get(port, &info);

	if (rc != 0) {
		char list[512];

		port_list(list, sizeof(list));
		app_err("no port '%s' (ports: %s)", arg, list);
		return -1;
	}
	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		if (g.ifaces[i].port == port) {
			app_err("port %u (%s) given twice", port, info.name);
			return -1;
		}
	}
	f = &g.ifaces[g.nb_ifaces++];
	memset(f, 0, sizeof(*f));
	f->port = port;
	snprintf(f->name, sizeof(f->name), "%s", info.name);
	snprintf(f->driver, sizeof(f->driver), "%s", info.driver);
	return 0;
}

static int resolve_ifaces(void)
{
	uint16_t port;

	if (g.nb_iface_args == 0) {
		port = mpdp_eth_port_next(0);
		if (port >= MPDP_MAX_PORTS) {
			app_err("the primary has no ports to capture");
			return -1;
		}
		return add_iface("(first port)", port);
	}
	for (unsigned int i = 0; i < g.nb_iface_args; i++) {
		const char *a = g.iface_arg[i];
		int rc;

		if (all_digits(a)) {
			unsigned long v = strtoul(a, NULL, 10);

			port = v < MPDP_MAX_PORTS ? (uint16_t)v : MPDP_MAX_PORTS;
			rc = port < MPDP_MAX_PORTS && mpdp_eth_dev_is_valid(port) ? 0 : -ENODEV;
		} else {
			rc = mpdp_eth_dev_find(a, &port);
		}
		if (rc != 0) {
			char list[512];

			port_list(list, sizeof(list));
			app_err("no port '%s' (ports: %s)", a, list);
			return -1;
		}
		if (add_iface(a, port) != 0)
			return -1;
	}
	return 0;
}

static int list_ifaces(void)
{
	unsigned int n = 0;
	uint16_t p;

	MPDP_ETH_FOREACH_PORT(p)
	{
		struct mpdp_eth_dev_info info;

		if (mpdp_eth_dev_info_get(p, &info) != 0)
			continue;
		printf("%u. %s (%s)\n", p, info.name, info.driver);
		n++;
	}
	fflush(stdout);
	if (n == 0)
		app_err("the primary has no ports");
	return ferror(stdout) ? -1 : 0;
}

static void stop_captures(void)
{
	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		struct iface *f = &g.ifaces[i];

		if (f->cap == NULL)
			continue;
		mpdp_eth_capture_stats_get(f->cap, &f->st);
		(void)mpdp_eth_capture_stop(f->cap);
		f->cap = NULL;
	}
}

static int start_captures(void)
{
	struct mpdp_eth_capture_conf conf = {
		.dirs = g.dirs,
		.queue_mask = g.queue_mask,
		.snaplen = (uint32_t)g.snaplen,
	};

	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		struct iface *f = &g.ifaces[i];
		int rc = mpdp_eth_capture_start(f->port, &conf, &f->cap);

		if (rc == 0)
			continue;
		if (rc == -EBUSY)
			app_err("port %u (%s) is already captured by another process", f->port,
				f->name);
		else if (rc == -ENOTCONN || rc == -ETIMEDOUT)
			app_err("port %u (%s): the primary did not answer the capture request (%s)",
				f->port, f->name, err_str(rc));
		else if (rc == -ENOMEM)
			app_err("port %u (%s): no room for the capture ring and pool (give the "
				"primary a larger --mem)",
				f->port, f->name);
		else
			app_err("port %u (%s): cannot capture: %s", f->port, f->name, err_str(rc));
		stop_captures();
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- pcapng */

static size_t pad4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

/* Append an option (code, len, value padded to 4) at b + *off. */
static void opt_put(uint8_t *b, size_t *off, uint16_t code, const void *val, uint16_t len)
{
	memcpy(b + *off, &code, 2);
	memcpy(b + *off + 2, &len, 2);
	if (len > 0)
		memcpy(b + *off + 4, val, len);
	memset(b + *off + 4 + len, 0, pad4(len) - len);
	*off += 4 + pad4(len);
}

static void opt_str(uint8_t *b, size_t *off, uint16_t code, const char *s)
{
	size_t len = strlen(s);

	if (len > 1024)
		len = 1024;
	opt_put(b, off, code, s, (uint16_t)len);
}

static void opt_u64(uint8_t *b, size_t *off, uint16_t code, uint64_t v)
{
	opt_put(b, off, code, &v, 8);
}

/* Close a block begun at b: end-of-options, the length at both ends; write it. */
static void block_write(uint8_t *b, size_t off)
{
	uint32_t len;

	opt_put(b, &off, OPT_END, NULL, 0);
	len = (uint32_t)(off + 4);
	memcpy(b + 4, &len, 4);
	memcpy(b + off, &len, 4);
	if (fwrite(b, 1, len, g.out) != len)
		g.write_failed = 1;
}

static void u32_put(uint8_t *b, size_t *off, uint32_t v)
{
	memcpy(b + *off, &v, 4);
	*off += 4;
}

static void write_headers(void)
{
	uint8_t *b = g.block;
	size_t off = 0;
	struct utsname u;
	char text[512];

	/* Section Header Block: byte order, version 1.0, section length unknown */
	u32_put(b, &off, PCAPNG_SHB);
	u32_put(b, &off, 0); /* length, set by block_write */
	u32_put(b, &off, PCAPNG_MAGIC);
	u32_put(b, &off, 1 | (0u << 16));
	u32_put(b, &off, UINT32_MAX);
	u32_put(b, &off, UINT32_MAX);
	if (uname(&u) == 0) {
		snprintf(text, sizeof(text), "%s %s %s", u.sysname, u.release, u.machine);
		opt_str(b, &off, SHB_OS, text);
	}
	snprintf(text, sizeof(text), "mpdp-dumpcap %s", mpdp_version());
	opt_str(b, &off, SHB_USERAPPL, text);
	block_write(b, off);

	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		const struct iface *f = &g.ifaces[i];
		uint8_t tsresol = 9;

		off = 0;
		u32_put(b, &off, PCAPNG_IDB);
		u32_put(b, &off, 0);
		u32_put(b, &off, LINKTYPE_ETHERNET); /* and 16 reserved bits */
		u32_put(b, &off, mpdp_eth_capture_snaplen(f->cap));
		opt_str(b, &off, IF_NAME, f->name);
		snprintf(text, sizeof(text), "mpdp port %u (%s)", f->port, f->driver);
		opt_str(b, &off, IF_DESCRIPTION, text);
		opt_put(b, &off, IF_TSRESOL, &tsresol, 1);
		if (g.filter != NULL) {
			/* first byte 0: a libpcap filter string */
			size_t n = strlen(g.filter);

			if (n > 1000)
				n = 1000;
			text[0] = 0;
			memcpy(text + 1, g.filter, n);
			opt_put(b, &off, IF_FILTER, text, (uint16_t)(n + 1));
		}
		block_write(b, off);
	}
}

static void write_packet(uint32_t ifid, const struct mpdp_mbuf *m)
{
	const struct mpdp_eth_capture_meta *meta = mpdp_eth_capture_meta(m);
	uint32_t caplen = m->data_len, flags;
	uint8_t *b = g.block;
	size_t off = 0;

	if (pad4(caplen) + 64 > sizeof(g.block))
		caplen = (uint32_t)(sizeof(g.block) - 64); /* never: the pool's room is smaller */
	u32_put(b, &off, PCAPNG_EPB);
	u32_put(b, &off, 0);
	u32_put(b, &off, ifid);
	u32_put(b, &off, (uint32_t)(m->timestamp >> 32));
	u32_put(b, &off, (uint32_t)m->timestamp);
	u32_put(b, &off, caplen);
	u32_put(b, &off, meta->orig_len);
	memcpy(b + off, mpdp_mbuf_mtod(m, const uint8_t *), caplen);
	memset(b + off + caplen, 0, pad4(caplen) - caplen);
	off += pad4(caplen);
	flags = meta->dir == MPDP_ETH_CAPTURE_TX ? EPB_FLAG_OUT : EPB_FLAG_IN;
	opt_put(b, &off, EPB_FLAGS, &flags, 4);
	block_write(b, off);
}

static void write_stats(uint64_t end_ns)
{
	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		const struct iface *f = &g.ifaces[i];
		uint8_t *b = g.block;
		size_t off = 0;

		u32_put(b, &off, PCAPNG_ISB);
		u32_put(b, &off, 0);
		u32_put(b, &off, i);
		u32_put(b, &off, (uint32_t)(end_ns >> 32));
		u32_put(b, &off, (uint32_t)end_ns);
		opt_u64(b, &off, ISB_STARTTIME, g.start_ns);
		opt_u64(b, &off, ISB_ENDTIME, end_ns);
		opt_u64(b, &off, ISB_IFRECV, f->st.captured + f->st.dropped);
		opt_u64(b, &off, ISB_IFDROP, f->st.dropped);
		opt_u64(b, &off, ISB_FILTERACCEPT, f->seen - f->filtered);
		opt_u64(b, &off, ISB_USRDELIV, f->written);
		block_write(b, off);
	}
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The stream's buffer: static, as stdout keeps it until the process exits. */
static char out_buf[OUT_BUF_SIZE];

static int open_output(void)
{
	struct stat st;
	int fd, existed;

	if (strcmp(g.out_path, "-") == 0) {
		g.out = stdout;
	} else {
		existed = stat(g.out_path, &st) == 0;
		fd = open(g.out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			app_err("cannot open '%s' for writing: %s", g.out_path, strerror(errno));
			return -1;
		}
		g.out_created = !existed; /* never remove what was there: a FIFO, a device */
		g.out = fdopen(fd, "w");
		if (g.out == NULL) {
			app_err("cannot open '%s' for writing: %s", g.out_path, strerror(errno));
			close(fd);
			if (g.out_created)
				unlink(g.out_path);
			return -1;
		}
	}
	setvbuf(g.out, out_buf, _IOFBF, sizeof(out_buf));
	return 0;
}

/* Flush and close the output. Returns 0, or -1 after one error line. */
static int close_output(void)
{
	int rc = 0;

	if (g.out == NULL)
		return 0;
	if (fflush(g.out) != 0 || ferror(g.out) || g.write_failed) {
		app_err("cannot write '%s': %s", g.out_path, strerror(errno ? errno : EIO));
		rc = -1;
	}
	if (g.out != stdout && fclose(g.out) != 0 && rc == 0) {
		app_err("cannot write '%s': %s", g.out_path, strerror(errno));
		rc = -1;
	}
	g.out = NULL;
	return rc;
}

/* ---------------------------------------------------------------- loop */

static int limit_reached(void)
{
	return g.count != 0 && g.written >= g.count;
}

/* Filter and write a burst of port i, then free it. */
static void handle_burst(unsigned int i, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct iface *f = &g.ifaces[i];

	for (uint16_t k = 0; k < n; k++) {
		const struct mpdp_mbuf *m = pkts[k];

		if (limit_reached())
			break;
		f->seen++;
		if (g.have_prog) {
			struct pcap_pkthdr h;

			memset(&h, 0, sizeof(h));
			h.caplen = m->data_len;
			h.len = mpdp_eth_capture_meta(m)->orig_len;
			if (pcap_offline_filter(&g.prog, &h, mpdp_mbuf_mtod(m, const u_char *)) ==
			    0) {
				f->filtered++;
				continue;
			}
		}
		write_packet(i, m);
		f->written++;
		g.written++;
	}
	mpdp_mbuf_free_bulk(pkts, n);
}

/* One pass over the ports. Returns the packets read. */
static unsigned int read_once(void)
{
	struct mpdp_mbuf *pkts[BURST];
	unsigned int total = 0;

	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		uint16_t n = mpdp_eth_capture_read(g.ifaces[i].cap, pkts, BURST);

		if (n > 0) {
			handle_burst(i, pkts, n);
			total += n;
		}
	}
	return total;
}

/* Every capture still runs; else one line naming the port. */
static int captures_active(void)
{
	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		struct iface *f = &g.ifaces[i];

		mpdp_eth_capture_stats_get(f->cap, &f->st);
		if (!f->st.active) {
			app_err("port %u (%s): the capture ended (the port was closed?)", f->port,
				f->name);
			return 0;
		}
	}
	return 1;
}

/*
 * Read until a limit, a stop signal, the primary's exit or the end of a
 * capture. Returns 0, or -1 when a capture ended under us.
 */
static int run(void)
{
	const uint64_t t0 = app_now_ns();
	const uint64_t end_ns = g.duration > 0 ? t0 + (uint64_t)(g.duration * 1e9) : 0;
	uint64_t next_check = t0;
	unsigned int busy = 0;

	while (!limit_reached() && !g.write_failed) {
		unsigned int got = read_once();
		uint64_t now;

		if (app_should_stop())
			break;
		/* while copies come: no clock, no sleep, but a look every 64 passes */
		if (got > 0 && ++busy < 64)
			continue;
		busy = 0;
		now = app_now_ns();
		if (end_ns != 0 && now >= end_ns)
			break;
		if (now >= next_check) {
			next_check = now + 100000000ull; /* 100 ms */
			if (!atomic_load(&app_primary_gone) && !captures_active())
				return -1;
		}
		if (got == 0 && g.idle_us > 0)
			usleep(g.idle_us);
	}
	return 0;
}

/* What is queued when we stop is written too (bounded: the ring's worth). */
static void drain(void)
{
	for (unsigned int pass = 0; pass < 4096 / BURST + 1 && !limit_reached() && !g.write_failed;
	     pass++)
		if (read_once() == 0)
			break;
}

static void print_summary(void)
{
	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		const struct iface *f = &g.ifaces[i];

		fflush(stdout);
		fprintf(stderr,
			"%s: port %u (%s): %" PRIu64 " packets captured, %" PRIu64
			" written, %" PRIu64 " dropped, %" PRIu64 " filtered\n",
			app_name, f->port, f->name, f->st.captured, f->written, f->st.dropped,
			f->filtered);
	}
}

static void print_start(void)
{
	char queues[128] = "all";
	size_t n = 0;

	if (g.queue_mask != 0) {
		for (unsigned int q = 0; q < MPDP_ETH_MAX_QUEUES; q++)
			if (g.queue_mask & (1u << q))
				n += (size_t)snprintf(queues + n, sizeof(queues) - n, "%s%u",
						      n ? "," : "", q);
	}
	for (unsigned int i = 0; i < g.nb_ifaces; i++) {
		const struct iface *f = &g.ifaces[i];

		fprintf(stderr,
			"%s: capturing on port %u (%s) dirs=%s queues=%s snaplen=%u%s%s to %s\n",
			app_name, f->port, f->name,
			g.dirs == MPDP_ETH_CAPTURE_RX ? "rx" :
			g.dirs == MPDP_ETH_CAPTURE_TX ? "tx" :
							"rx,tx",
			queues, mpdp_eth_capture_snaplen(f->cap), g.filter ? " filter=" : "",
			g.filter ? g.filter : "",
			strcmp(g.out_path, "-") == 0 ? "stdout" : g.out_path);
	}
}

int main(int argc, char **argv)
{
	struct app_args args;
	int rc = APP_EXIT_ERROR, ended = 0;

	if (app_start(&args, argc, argv, "mpdp-dumpcap", "secondary", usage, &rc) != 0)
		return rc;
	if (parse_options(args.tool_argc, args.tool_argv) != 0 || compile_filter() != 0)
		goto out_args;

	if (app_init_secondary(&args, usage, &rc) != 0)
		goto out_args;
	if (g.list) {
		rc = list_ifaces() == 0 ? APP_EXIT_OK : APP_EXIT_ERROR;
		goto out_cleanup;
	}
	if (resolve_ifaces() != 0 || start_captures() != 0)
		goto out_cleanup;
	if (open_output() != 0)
		goto out_stop;
	g.start_ns = realtime_ns();
	write_headers();
	if (g.write_failed || fflush(g.out) != 0) {
		g.write_failed = 1;
		goto out_stop; /* close_output() says why, in one line */
	}
	print_start();

	ended = run() != 0;
	if (!ended)
		drain();
	stop_captures();
	write_stats(realtime_ns());
	rc = close_output() == 0 ? APP_EXIT_OK : APP_EXIT_ERROR;
	print_summary();
	if (atomic_load(&app_primary_gone)) {
		app_err("the primary exited; stopping");
		rc = APP_EXIT_PRIMARY_GONE;
	} else if (ended) {
		rc = APP_EXIT_ERROR;
	}
	goto out_cleanup;

out_stop:
	stop_captures();
	(void)close_output();
	if (g.out_created)
		unlink(g.out_path); /* nothing left behind: the file never held a capture */
out_cleanup:
	mpdp_cleanup();
out_args:
	if (g.have_prog)
		pcap_freecode(&g.prog);
	free(g.filter);
	app_args_fini(&args);
	return rc;
}
