/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_afp.c - net_af_packet on real veth pairs, one case per run:
 *
 *   test_afp single    one port, one queue: frames from the kernel (afp_peer.py
 *                      on the peer end) arrive byte for byte, VLAN tags put
 *                      back, counts and bytes exact; frames from the port reach
 *                      the peer byte for byte, also from mbuf chains; a pool of
 *                      small mbufs receives chains; too long is an error
 *   test_afp fanout    queues=2: flows spread over both queues (hash) and
 *                      alternate exactly (lb); totals and kernel counters right
 *   test_afp mp        a secondary of another program (afp-b) receives and
 *                      transmits on queue 1 with the primary's sockets; killed,
 *                      another process continues at its ring positions (rx and
 *                      tx); then mpdp-mp-worker echoes on the same queue
 *   test_afp overflow  more than the ring holds, unpolled: kernel drops in the
 *                      xstats and in imissed, the same from every process, reset
 *                      to zero, read by the owner after a TP_STATUS_LOSING frame
 *   test_afp iface     promiscuous on/off in the interface flags, gone when the
 *                      primary exits and when it is killed; MTU and link read
 *                      from the interface, MTU set on it; frames with partial
 *                      checksums counted in rx_q0_csum_not_ready
 *   test_afp devargs   bad device strings: one error line naming the problem,
 *                      exit 1, nothing left behind
 *
 * Each run makes its own namespace, "mpdpt-<pid>-<case>", with one veth pair
 * va <-> vb (IPv6 off, so the kernel sends nothing of its own; offloads off,
 * so frames are whole), runs every process inside it (ip netns exec) and
 * deletes it at exit, on failure too (mt_on_exit). Namespaces of earlier runs
 * whose process is gone are deleted first. Without root (no netns) it skips.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpdp_test.h"

#define T 10000

static char line[16384];
static char ns[64];
static int ns_made;
static char ip_bin[256]; /* ip(8), by its full path: mt_spawn() does not search PATH */

/* ------------------------------------------------------------ small helpers */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* First line of a command's output, without the newline; 0 or -1. */
static int capture(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int capture(char *buf, size_t size, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *f;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	buf[0] = '\0';
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	rc = pclose(f);
	return rc == 0 ? 0 : -1;
}

/* A command to a shell, its reply in line: OK wanted, else the test fails. */
#define ok(p, ...) mt_cmd_ok(p, line, sizeof(line), 3 * T, __VA_ARGS__)

static void err(struct mt_proc *p, const char *errname, const char *command)
{
	mt_cmd_err(p, line, sizeof(line), T, errname, command);
}

static long long field(const char *key)
{
	return mt_field_ll(line, key);
}

/* The reply to command must have key=want. */
static void expect(struct mt_proc *p, const char *command, const char *key, long long want)
{
	mt_cmd_expect(p, line, sizeof(line), 3 * T, key, want, command);
}

/* Repeat command until key=want: other processes learn changes asynchronously. */
static void until(struct mt_proc *p, const char *command, const char *key, long long want)
{
	MT_CHECK(mt_cmd_until(p, line, sizeof(line), T, key, want, "%s", command),
		 "%s: '%s' never gave %s=%lld (last: %s)", p->label, command, key, want, line);
}

/* Check an rx reply: n frames, all good, no duplicate. */
static void rx_good(struct mt_proc *p, unsigned int n, const char *what)
{
	MT_CHECK(field("received") == n && field("bad") == 0 && field("dup") == 0,
		 "%s: %s: %u good frames expected: %s", p->label, what, n, line);
}

/* The map= of the last reply as bits, ORed into map; returns how many were set twice. */
static unsigned int map_add(uint8_t *map, size_t size)
{
	char hex[8192];
	unsigned int twice = 0;

	if (!mt_field(line, "map", hex, sizeof(hex)) || strcmp(hex, "-") == 0)
		return 0;
	for (size_t k = 0; hex[k] != '\0' && k / 2 < size; k++) {
		unsigned int nib = (unsigned int)strtoul((char[]){ hex[k], '\0' }, NULL, 16);
		uint8_t bits = (uint8_t)(k % 2 ? nib << 4 : nib);

		twice += (unsigned int)__builtin_popcount(map[k / 2] & bits);
		map[k / 2] |= bits;
	}
	return twice;
}

static unsigned int map_count(const uint8_t *map, size_t size)
{
	unsigned int n = 0;

	for (size_t i = 0; i < size; i++)
		n += (unsigned int)__builtin_popcount(map[i]);
	return n;
}

/* ------------------------------------------------------------ namespace */

static void ns_delete(void *arg)
{
	(void)arg;
	if (ns_made && run("ip netns delete %s 2>/dev/null", ns) != 0)
		printf("# could not delete network namespace %s\n", ns);
	ns_made = 0;
}

/* Namespaces "mpdpt-PID-..." of runs whose process is gone (killed tests). */
static void ns_sweep(void)
{
	DIR *d = opendir("/var/run/netns");
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int pid;

		if (sscanf(de->d_name, "mpdpt-%d-", &pid) == 1 && pid > 0 && pid != getpid() &&
		    kill(pid, 0) != 0 && errno == ESRCH) {
			mt_log("deleting network namespace %s of a run that is gone", de->d_name);
			(void)run("ip netns delete %s 2>/dev/null", de->d_name);
		}
	}
	closedir(d);
}

/* Make namespace mpdpt-<pid>-<tag> with va <-> vb, or skip when that is impossible. */
static void ns_setup(const char *tag)
{
	if (geteuid() != 0)
		mt_skip("needs root for network namespaces and AF_PACKET sockets");
	if (capture(ip_bin, sizeof(ip_bin), "command -v ip") != 0 || ip_bin[0] != '/' ||
	    run("command -v ethtool >/dev/null") != 0)
		mt_skip("needs ip (iproute2) and ethtool");
	ns_sweep();
	snprintf(ns, sizeof(ns), "mpdpt-%d-%s", (int)getpid(), tag);
	if (run("ip netns add %s", ns) != 0)
		mt_skip("ip netns add %s failed: no network namespaces here", ns);
	ns_made = 1;
	mt_on_exit(ns_delete, NULL);
	MT_ASSERT(run("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		      "net.ipv6.conf.default.disable_ipv6=1",
		      ns) == 0,
		  "sysctl in %s", ns);
	MT_ASSERT(run("ip -n %s link add va type veth peer name vb", ns) == 0, "veth in %s", ns);
	MT_ASSERT(run("ip netns exec %s ethtool -K va tx off tso off gso off gro off >/dev/null "
		      "2>&1 && ip netns exec %s ethtool -K vb tx off tso off gso off gro off "
		      ">/dev/null 2>&1",
		      ns, ns) == 0,
		  "ethtool -K in %s", ns);
	MT_ASSERT(run("ip -n %s link set va up && ip -n %s link set vb up", ns, ns) == 0,
		  "link up in %s", ns);
	mt_log("network namespace %s: va <-> vb", ns);
}

/* ------------------------------------------------------------ processes */

static const char *bin_a(void)
{
	return mt_getenv_path("MPDP_TEST_AFP_A");
}

static const char *bin_b(void)
{
	return mt_getenv_path("MPDP_TEST_AFP_B");
}

/* ip netns exec NS BIN --proc-type TYPE <env> [--mem 64M --no-pci] EXTRA... -- shell */
static void afp_argv(struct mt_argv *a, const char *bin, const char *type, const struct mt_env *env,
		     va_list ap)
{
	const char *s;

	mt_argv_init(a, ip_bin);
	mt_argv_add(a, "netns", "exec", ns, bin, NULL);
	mt_argv_runtime(a, env, type, 0);
	if (strcmp(type, "primary") == 0)
		mt_argv_add(a, "--mem", "64M", "--no-pci", NULL);
	while ((s = va_arg(ap, const char *)) != NULL)
		mt_argv_add(a, s, NULL);
	mt_argv_add(a, "--", "shell", NULL);
}

static void start(struct mt_proc *p, const char *label, const char *bin, const char *type,
		  const struct mt_env *env, ...) __attribute__((sentinel));
static void start(struct mt_proc *p, const char *label, const char *bin, const char *type,
		  const struct mt_env *env, ...)
{
	struct mt_argv a;
	va_list ap;
	int rc;

	va_start(ap, env);
	afp_argv(&a, bin, type, env, ap);
	va_end(ap);
	mt_spawn(p, label, &a);
	mt_argv_fini(&a);
	rc = mt_wait_line(p, "READY", line, sizeof(line), T);
	if (rc != 1) {
		mt_wait_exit(p, 1000);
		MT_FAIL("%s did not print READY (%s; %s): %s", label,
			rc == 0 ? "timeout" : "stdout closed", mt_status_str(p), mt_stderr(p));
	}
}

/* afp_peer.py in the namespace: "send vb TAG N SIZE VLAN_EVERY" or "recv vb TAG N TIMEOUT" */
static void peer(struct mt_proc *p, const char *label, const char *args)
{
	struct mt_argv a;
	char cmd[512], *save = NULL;

	mt_argv_init(&a, ip_bin);
	mt_argv_add(&a, "netns", "exec", ns, mt_getenv_path("MPDP_PYTHON"),
		    mt_getenv_path("MPDP_AFP_PEER"), NULL);
	snprintf(cmd, sizeof(cmd), "%s", args);
	for (char *t = strtok_r(cmd, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
		mt_argv_add(&a, t, NULL);
	mt_spawn(p, label, &a);
	mt_argv_fini(&a);
}

/* Run the peer to its end; its last line goes to line. */
static void peer_run(const char *args, const char *prefix)
{
	struct mt_proc p;

	peer(&p, "peer", args);
	MT_ASSERT(mt_wait_line(&p, prefix, line, sizeof(line), 3 * T) == 1,
		  "peer %s: no '%s' line: %s", args, prefix, mt_stderr(&p));
	mt_expect_exit(&p, 0, T);
	mt_proc_fini(&p);
}

static unsigned int flags_of(const char *iface)
{
	char buf[64];

	MT_ASSERT(capture(buf, sizeof(buf), "ip netns exec %s cat /sys/class/net/%s/flags", ns,
			  iface) == 0,
		  "flags of %s", iface);
	return (unsigned int)strtoul(buf, NULL, 16);
}

/* ------------------------------------------------------------ cases */

static void test_single(void)
{
	struct mt_proc P, R;
	struct mt_env env;
	char mac[64], buf[64];
	long long bytes;

	ns_setup("single");
	mt_env_init(&env, "afp1");
	start(&P, "primary", bin_a(), "primary", &env, "--vdev", "net_af_packet0,iface=va", NULL);
	ok(&P, "pool pp 4096 0");
	ok(&P, "setup net_af_packet0 1 1 pp 256");

	/* what the primary read from the interface */
	ok(&P, "info net_af_packet0");
	MT_ASSERT(capture(buf, sizeof(buf), "ip netns exec %s cat /sys/class/net/va/address", ns) ==
			  0,
		  "address of va");
	MT_CHECK(mt_field(line, "mac", mac, sizeof(mac)) && strcmp(mac, buf) == 0,
		 "port address %s, va has %s", mac, buf);
	MT_CHECK(strstr(line, "link=up speed=10000 duplex=full mtu=1500 ") != NULL,
		 "link and MTU of va: %s", line);
	MT_CHECK(field("maxmtu") == 2048 - 84 && field("mindesc") == 16, "limits: %s", line);

	/* 1. frames from the kernel, every 5th with a VLAN tag the kernel takes out */
	peer_run("send vb 0x11 200 0 5", "sent=");
	bytes = field("bytes");
	ok(&P, "rx net_af_packet0 0 200 3000 0x11");
	rx_good(&P, 200, "frames of the peer");
	MT_CHECK(field("bytes") == bytes && field("inorder") == 1 && field("segs") == 1,
		 "rx: %lld bytes in order expected: %s", bytes, line);
	ok(&P, "rx net_af_packet0 0 10 300 0x11");
	MT_CHECK(field("received") == 0, "nothing else should arrive: %s", line);
	expect(&P, "stats net_af_packet0", "ipackets", 200);
	MT_CHECK(field("ibytes") == bytes && field("ierrors") == 0 && field("nombuf") == 0,
		 "stats: %s", line);
	expect(&P, "xstat net_af_packet0 rx_q0_kernel_packets", "value", 200);
	expect(&P, "xstat net_af_packet0 rx_q0_kernel_drops", "value", 0);
	expect(&P, "xstat net_af_packet0 rx_q0_csum_not_ready", "value", 0);

	/* 2. frames from the port, one mbuf each, then chains of 100-byte segments */
	peer(&R, "peer-recv", "recv vb 0x22 150 5");
	MT_ASSERT(mt_wait_line(&R, "ready", NULL, 0, T) == 1, "peer not ready: %s", mt_stderr(&R));
	expect(&P, "tx net_af_packet0 0 150 0 pp 0x22 0 0", "sent", 150);
	bytes = field("bytes");
	MT_ASSERT(mt_wait_line(&R, "received=", line, sizeof(line), 3 * T) == 1, "peer recv");
	MT_CHECK(field("received") == 150 && field("bad") == 0 && field("dup") == 0 &&
			 field("inorder") == 1 && field("bytes") == bytes,
		 "the peer should get 150 good frames, %lld bytes: %s", bytes, line);
	mt_expect_exit(&R, 0, T);
	mt_proc_fini(&R);

	peer(&R, "peer-recv", "recv vb 0x23 100 5");
	MT_ASSERT(mt_wait_line(&R, "ready", NULL, 0, T) == 1, "peer not ready");
	expect(&P, "tx net_af_packet0 0 100 0 pp 0x23 0 100", "sent", 100);
	MT_ASSERT(mt_wait_line(&R, "received=", line, sizeof(line), 3 * T) == 1, "peer recv");
	MT_CHECK(field("received") == 100 && field("bad") == 0 && field("inorder") == 1,
		 "the peer should get 100 good frames sent from chains: %s", line);
	mt_expect_exit(&R, 0, T);
	mt_proc_fini(&R);
	expect(&P, "stats net_af_packet0", "opackets", 250);
	MT_CHECK(field("oerrors") == 0, "stats: %s", line);

	/* 3. too long for a frame (2048 - 32): consumed, counted as errors, not sent */
	expect(&P, "tx net_af_packet0 0 5 2100 pp 0x24 0 1000", "sent", 5);
	expect(&P, "stats net_af_packet0", "oerrors", 5);
	MT_CHECK(field("opackets") == 250, "too long frames are not sent: %s", line);

	/* 4. a pool of small mbufs (384 bytes of data): frames arrive as chains; three
	 * rounds of 100 through a ring of 128 frames: it wraps */
	ok(&P, "pool small 2048 512");
	ok(&P, "setup net_af_packet0 1 1 small 128");
	for (unsigned int round = 0; round < 3; round++) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "send vb %u 100 0 5", 0x25 + round);
		peer_run(cmd, "sent=");
		bytes = field("bytes");
		ok(&P, "rx net_af_packet0 0 100 3000 %u", 0x25 + round);
		rx_good(&P, 100, "frames in chains");
		MT_CHECK(field("bytes") == bytes && field("segs") >= 4 && field("inorder") == 1,
			 "chains of 4+ segments: %s", line);
	}
	expect(&P, "stats net_af_packet0", "ipackets",
	       200 + 300); /* counters outlive a reconfiguration */
	MT_CHECK(field("ierrors") == 0 && field("nombuf") == 0, "stats: %s", line);
	expect(&P, "inuse small", "in_use", 0);

	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

static void test_fanout(void)
{
	struct mt_proc P;
	struct mt_env env;
	uint8_t map[1024] = { 0 };
	long long q0, q1;

	ns_setup("fanout");
	mt_env_init(&env, "afp2");

	/* hash: 16 UDP flows spread over two queues */
	start(&P, "primary", bin_a(), "primary", &env, "--vdev", "net_af_packet0,iface=va,queues=2",
	      "--vdev", "net_af_packet1,iface=vb", NULL);
	ok(&P, "pool pp 4096 0");
	ok(&P, "setup net_af_packet0 2 2 pp 512");
	ok(&P, "setup net_af_packet1 1 1 pp 512");
	expect(&P, "tx net_af_packet1 0 400 0 pp 0x31 16 0", "sent", 400);
	ok(&P, "rxq net_af_packet0 2 400 3000 0x31");
	rx_good(&P, 400, "flows over two queues");
	q0 = field("q0");
	q1 = field("q1");
	MT_CHECK(q0 > 0 && q1 > 0 && q0 + q1 == 400, "both queues should get flows: %s", line);
	MT_CHECK(map_add(map, sizeof(map)) == 0 && map_count(map, sizeof(map)) == 400,
		 "every frame once: %s", line);
	expect(&P, "stats net_af_packet0", "ipackets", 400);
	MT_CHECK(field("q0_ipackets") == q0 && field("q1_ipackets") == q1, "per queue: %s", line);
	ok(&P, "xstat net_af_packet0 rx_q0_kernel_packets");
	long long k0 = field("value");
	ok(&P, "xstat net_af_packet0 rx_q1_kernel_packets");
	MT_CHECK(k0 == q0 && field("value") == q1, "kernel counted %lld + %lld: %s", k0,
		 field("value"), line);
	expect(&P, "xstat net_af_packet0 rx_q1_kernel_drops", "value", 0);
	/* the port on vb sent them, and saw none of them itself */
	expect(&P, "stats net_af_packet1", "opackets", 400);
	MT_CHECK(field("ipackets") == 0, "net_af_packet1 received its own frames: %s", line);
	mt_stop(&P, T);
	mt_proc_fini(&P);

	/* lb: round robin, whatever the flows: exactly half each */
	start(&P, "primary-lb", bin_a(), "primary", &env, "--vdev",
	      "net_af_packet0,iface=va,queues=2,fanout=lb", "--vdev", "net_af_packet1,iface=vb",
	      NULL);
	ok(&P, "pool pp 4096 0");
	ok(&P, "setup net_af_packet0 2 2 pp 512");
	ok(&P, "setup net_af_packet1 1 1 pp 512");
	expect(&P, "tx net_af_packet1 0 200 0 pp 0x32 0 0", "sent", 200);
	ok(&P, "rxq net_af_packet0 2 200 3000 0x32");
	rx_good(&P, 200, "round robin");
	MT_CHECK(field("q0") == 100 && field("q1") == 100, "lb: 100 each: %s", line);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

static void test_mp(void)
{
	struct mt_proc P, S1, S2, W;
	struct mt_env env;
	struct mt_argv a;
	uint8_t map[64] = { 0 };
	unsigned int twice = 0;

	ns_setup("mp");
	mt_env_init(&env, "afp3");
	start(&P, "primary-a", bin_a(), "primary", &env, "--vdev",
	      "net_af_packet0,iface=va,queues=2,fanout=lb", "--vdev", "net_af_packet1,iface=vb",
	      NULL);
	ok(&P, "pool pp 8192 0");
	/* another program attaches before the queues exist: their sockets reach it later */
	start(&S1, "secondary-b", bin_b(), "secondary", &env, NULL);
	/* rx rings of 512, tx rings of 256 (each pair's socket rebuilt once), and a
	 * tx ring of 64 on port 1 that the traffic below fills and wraps */
	ok(&P, "setup net_af_packet0 2 2 pp 512 256");
	ok(&P, "setup net_af_packet1 1 1 pp 512 64");
	ok(&P, "claim net_af_packet0 rx 0");
	ok(&P, "claim net_af_packet1 rx 0");
	ok(&P, "claim net_af_packet1 tx 0");

	/* the secondary takes queue 1 of port 0, with the primary's sockets */
	until(&S1, "claim net_af_packet0 rx 1", "rc", 0);
	ok(&S1, "claim net_af_packet0 tx 1");
	err(&P, "EBUSY", "claim net_af_packet0 rx 1");

	/* 200 frames, alternating between the queues: 100 to the primary, 37 of 100 to S1 */
	expect(&P, "tx net_af_packet1 0 200 0 pp 0x41 0 0", "sent", 200);
	ok(&P, "rx net_af_packet0 0 100 3000 0x41");
	rx_good(&P, 100, "queue 0");
	twice += map_add(map, sizeof(map));
	ok(&S1, "rx net_af_packet0 1 37 3000 0x41");
	rx_good(&S1, 37, "queue 1 in the secondary");
	twice += map_add(map, sizeof(map));
	/* S1 transmits 30 on queue 1; they reach port 1 */
	expect(&S1, "tx net_af_packet0 1 30 0 pp 0x42 0 0", "sent", 30);
	ok(&P, "rx net_af_packet1 0 30 3000 0x42");
	rx_good(&P, 30, "from the secondary");
	MT_CHECK(field("inorder") == 1, "in order: %s", line);

	/* kill it mid-stream: 63 of its frames are still in the ring */
	mt_kill(&S1, SIGKILL);
	MT_ASSERT(mt_wait_exit(&S1, T) == 0, "secondary-b did not die");
	mt_proc_fini(&S1);

	/* another process (of the first program) takes the queue and goes on from there */
	start(&S2, "secondary-a", bin_a(), "secondary", &env, NULL);
	until(&S2, "claim net_af_packet0 rx 1", "rc", 0);
	ok(&S2, "claim net_af_packet0 tx 1");
	ok(&S2, "rx net_af_packet0 1 63 3000 0x41");
	rx_good(&S2, 63, "the rest of queue 1 after the kill");
	twice += map_add(map, sizeof(map));
	MT_CHECK(twice == 0 && map_count(map, sizeof(map)) == 200,
		 "every frame exactly once over the three receivers (%u twice, %u seen)", twice,
		 map_count(map, sizeof(map)));
	/* transmit goes on at S1's position too: a ring restarted at 0 would not send */
	expect(&S2, "tx net_af_packet0 1 20 0 pp 0x43 0 0", "sent", 20);
	ok(&P, "rx net_af_packet1 0 20 3000 0x43");
	rx_good(&P, 20, "from the second secondary");
	/* and new traffic */
	expect(&P, "tx net_af_packet1 0 50 0 pp 0x44 0 0", "sent", 50);
	ok(&S2, "rx net_af_packet0 1 25 3000 0x44");
	rx_good(&S2, 25, "new frames on queue 1");
	ok(&P, "rx net_af_packet0 0 25 3000 0x44");
	rx_good(&P, 25, "new frames on queue 0");
	/* every process reads the same counters */
	expect(&P, "stats net_af_packet0", "q1_ipackets", 37 + 63 + 25);
	expect(&S2, "stats net_af_packet0", "q1_ipackets", 37 + 63 + 25);
	MT_CHECK(field("q0_ipackets") == 125 && field("q1_opackets") == 50, "secondary's view: %s",
		 line);
	expect(&S2, "xstat net_af_packet0 rx_q1_kernel_packets", "value", 125);
	expect(&P, "xstat net_af_packet0 rx_q1_kernel_packets", "value", 125);
	mt_stop(&S2, T);
	mt_proc_fini(&S2);

	/* the tool: mpdp-mp-worker echoes 40 frames on queue 1 */
	mt_argv_init(&a, ip_bin);
	mt_argv_add(&a, "netns", "exec", ns, mt_getenv_path("MPDP_APP_MP_WORKER"), NULL);
	mt_argv_runtime(&a, &env, NULL, 0);
	mt_argv_add(&a, "--", "--rx-port", "0", "--queue", "1", "--mode", "echo", "--count", "40",
		    "--idle-us", "50", NULL);
	mt_spawn(&W, "mp-worker", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&W, "ready", line, sizeof(line), T) == 1, "mp-worker: %s",
		  mt_stderr(&W));
	expect(&P, "tx net_af_packet1 0 80 0 pp 0x45 0 0", "sent", 80);
	ok(&P, "rx net_af_packet1 0 40 3000 0x45");
	rx_good(&P, 40, "echoed by mpdp-mp-worker");
	MT_ASSERT(mt_wait_line(&W, "worker", line, sizeof(line), T) == 1, "mp-worker end");
	MT_CHECK(strstr(line, "rx=40 tx=40 dropped=0") != NULL, "mp-worker: %s", line);
	mt_expect_exit(&W, 0, T);
	mt_proc_fini(&W);
	ok(&P, "rx net_af_packet0 0 40 3000 0x45");
	rx_good(&P, 40, "queue 0 of the echo round");
	expect(&P, "stats net_af_packet0", "q1_ipackets", 37 + 63 + 25 + 40);
	MT_CHECK(field("q1_opackets") == 30 + 20 + 40 && field("ierrors") == 0 &&
			 field("oerrors") == 0,
		 "port 0 after the echo: %s", line);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

static void test_overflow(void)
{
	struct mt_proc P, S;
	struct mt_env env;

	ns_setup("ovf");
	mt_env_init(&env, "afp4");
	start(&P, "primary", bin_a(), "primary", &env, "--vdev", "net_af_packet0,iface=va",
	      "--vdev", "net_af_packet1,iface=vb", NULL);
	ok(&P, "pool pp 4096 0");
	ok(&P, "setup net_af_packet0 1 1 pp 64"); /* a ring of 64 frames */
	ok(&P, "setup net_af_packet1 1 1 pp 512");
	start(&S, "secondary-b", bin_b(), "secondary", &env, NULL);

	expect(&P, "tx net_af_packet1 0 300 200 pp 0x51 0 0", "sent", 300);
	mt_sleep_ms(200);
	/* read first in the secondary (the kernel resets its counters at each read) */
	until(&S, "xstat net_af_packet0 rx_q0_kernel_drops", "value", 236);
	expect(&S, "xstat net_af_packet0 rx_q0_kernel_packets", "value", 300);
	expect(&P, "xstat net_af_packet0 rx_q0_kernel_drops", "value", 236);
	expect(&P, "xstat net_af_packet0 rx_q0_kernel_packets", "value", 300);
	/* the ring holds the first 64; the drops are the port's imissed */
	ok(&P, "rx net_af_packet0 0 300 500 0x51");
	rx_good(&P, 64, "a full ring");
	MT_CHECK(field("inorder") == 1 && field("last") == 63, "frames 0..63: %s", line);
	expect(&P, "stats net_af_packet0", "imissed", 236);
	expect(&S, "stats net_af_packet0", "imissed", 236);
	/* a reset from the secondary is seen by the primary */
	ok(&S, "xreset net_af_packet0");
	expect(&P, "xstat net_af_packet0 rx_q0_kernel_drops", "value", 0);
	expect(&P, "xstat net_af_packet0 rx_q0_kernel_packets", "value", 0);
	expect(&P, "stats net_af_packet0", "ipackets", 0);
	MT_CHECK(field("imissed") == 0, "after the reset: %s", line);
	/* and it counts again */
	expect(&P, "tx net_af_packet1 0 100 200 pp 0x52 0 0", "sent", 100);
	mt_sleep_ms(200);
	until(&S, "xstat net_af_packet0 rx_q0_kernel_drops", "value", 36);
	expect(&P, "xstat net_af_packet0 rx_q0_kernel_packets", "value", 100);
	ok(&P, "rx net_af_packet0 0 100 500 0x52");
	rx_good(&P, 64, "the ring again");
	expect(&P, "stats net_af_packet0", "imissed", 36);
	/* without an xstats read: the next frame after a loss carries TP_STATUS_LOSING,
	 * and the receiving owner reads the kernel's drops itself */
	expect(&P, "tx net_af_packet1 0 100 200 pp 0x53 0 0", "sent", 100);
	mt_sleep_ms(200);
	ok(&P, "rx net_af_packet0 0 100 500 0x53");
	rx_good(&P, 64, "a third full ring");
	expect(&P, "tx net_af_packet1 0 10 200 pp 0x54 0 0", "sent", 10);
	ok(&P, "rx net_af_packet0 0 10 3000 0x54");
	rx_good(&P, 10, "after the loss");
	expect(&P, "stats net_af_packet0", "imissed", 72);
	expect(&S, "stats net_af_packet0", "imissed", 72);
	expect(&S, "xstat net_af_packet0 rx_q0_kernel_drops", "value", 72);
	mt_stop(&S, T);
	mt_proc_fini(&S);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

static void test_iface(void)
{
	struct mt_proc P, S;
	struct mt_env env;
	char buf[512];

	ns_setup("iface");
	mt_env_init(&env, "afp5");
	MT_ASSERT(run("ip -n %s link set va mtu 1400", ns) == 0, "mtu 1400");
	MT_CHECK((flags_of("va") & 0x100) == 0, "va is promiscuous before the test");

	start(&P, "primary", bin_a(), "primary", &env, "--vdev", "net_af_packet0,iface=va", NULL);
	ok(&P, "pool pp 2048 0");
	expect(&P, "info net_af_packet0", "mtu", 1400);
	MT_CHECK(strstr(line, "link=up speed=10000") != NULL && field("promisc") == 0, "info: %s",
		 line);

	/* promiscuous mode, as the kernel shows it */
	ok(&P, "promisc net_af_packet0 1");
	MT_CHECK(flags_of("va") & 0x100, "IFF_PROMISC should be set");
	MT_ASSERT(capture(buf, sizeof(buf),
			  "ip -n %s -d link show va | grep -o 'promiscuity [0-9]*'", ns) == 0,
		  "ip -d link");
	MT_CHECK(strcmp(buf, "promiscuity 1") == 0, "ip -d link show va: %s", buf);
	ok(&P, "promisc net_af_packet0 1"); /* twice: still one membership */
	ok(&P, "promisc net_af_packet0 0");
	MT_CHECK((flags_of("va") & 0x100) == 0, "IFF_PROMISC should be clear");
	ok(&P, "promisc net_af_packet0 1");
	start(&S, "secondary-b", bin_b(), "secondary", &env, NULL);
	expect(&S, "info net_af_packet0", "promisc", 1);
	err(&S, "EPERM", "promisc net_af_packet0 0");

	/* MTU: set on the interface by the primary, read back after outside changes */
	ok(&P, "mtu net_af_packet0 1300");
	MT_ASSERT(capture(buf, sizeof(buf), "ip netns exec %s cat /sys/class/net/va/mtu", ns) == 0,
		  "mtu of va");
	MT_CHECK(strcmp(buf, "1300") == 0, "va has MTU %s, 1300 expected", buf);
	err(&P, "EINVAL", "mtu net_af_packet0 3000"); /* more than frames of 2048 hold */
	MT_ASSERT(run("ip -n %s link set va mtu 1450", ns) == 0, "mtu 1450");
	expect(&P, "link net_af_packet0", "mtu", 1450);
	until(&S, "info net_af_packet0", "mtu", 1450);

	/* link: the peer down takes the carrier away */
	MT_ASSERT(run("ip -n %s link set vb down", ns) == 0, "vb down");
	for (int i = 0; i < 100; i++) { /* the carrier goes with the kernel's link watch */
		ok(&P, "link net_af_packet0");
		if (strstr(line, "link=down") != NULL)
			break;
		mt_sleep_ms(20);
	}
	MT_CHECK(strstr(line, "link=down speed=0") != NULL, "link with vb down: %s", line);
	MT_ASSERT(run("ip -n %s link set vb up", ns) == 0, "vb up");
	for (int i = 0; i < 100; i++) {
		ok(&P, "link net_af_packet0");
		if (strstr(line, "link=up") != NULL)
			break;
		mt_sleep_ms(20);
	}
	MT_CHECK(strstr(line, "link=up speed=10000") != NULL, "link with vb up: %s", line);
	ok(&S, "info net_af_packet0");
	MT_CHECK(strstr(line, "link=up speed=10000") != NULL, "the secondary's view: %s", line);

	/* frames with partial checksums (the kernel's UDP out of vb, offload on) */
	MT_ASSERT(run("ip netns exec %s ethtool -K vb tx on >/dev/null 2>&1 && "
		      "ip -n %s addr add 10.77.0.2/24 dev vb && ip -n %s neigh add 10.77.0.9 "
		      "lladdr 02:00:00:00:00:09 dev vb nud permanent",
		      ns, ns, ns) == 0,
		  "UDP route out of vb");
	ok(&P, "setup net_af_packet0 1 1 pp 64");
	peer_run("udp 10.77.0.9 5", "sent=");
	ok(&P, "rx net_af_packet0 0 5 3000 0");
	MT_CHECK(field("received") == 5, "5 UDP frames expected: %s", line);
	expect(&S, "xstat net_af_packet0 rx_q0_csum_not_ready", "value", 5);
	mt_stop(&S, T);
	mt_proc_fini(&S);

	/* a clean exit leaves the interface as it was */
	mt_stop(&P, T);
	mt_proc_fini(&P);
	MT_CHECK((flags_of("va") & 0x100) == 0, "IFF_PROMISC left after the primary exited");

	/* and so does a killed primary: the membership dies with its socket */
	start(&P, "primary-2", bin_a(), "primary", &env, "--vdev", "net_af_packet0,iface=va", NULL);
	ok(&P, "promisc net_af_packet0 1");
	MT_CHECK(flags_of("va") & 0x100, "IFF_PROMISC should be set");
	mt_kill(&P, SIGKILL);
	MT_ASSERT(mt_wait_exit(&P, T) == 0, "primary did not die");
	mt_proc_fini(&P);
	MT_CHECK((flags_of("va") & 0x100) == 0, "IFF_PROMISC left after the primary was killed");
	/* a new primary of the prefix recovers the runtime directory the killed one left */
	start(&P, "primary-3", bin_a(), "primary", &env, "--vdev", "net_af_packet0,iface=va", NULL);
	expect(&P, "info net_af_packet0", "promisc", 0);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

static void expect_refused(const struct mt_env *env, const char *vdev, const char *needle)
{
	struct mt_argv a;

	mt_argv_init(&a, ip_bin);
	mt_argv_add(&a, "netns", "exec", ns, bin_a(), NULL);
	mt_argv_runtime(&a, env, "primary", 0);
	mt_argv_add(&a, "--mem", "16M", "--no-pci", "--vdev", vdev, "--", "shell", NULL);
	mt_expect_refused(env, &a, vdev, needle);
}

static void test_devargs(void)
{
	struct mt_env env;

	ns_setup("args");
	mt_env_init(&env, "afp6");
	expect_refused(&env, "net_af_packet0", "iface=IF is required");
	expect_refused(&env, "net_af_packet0,iface=", "iface=IF is required");
	expect_refused(&env, "net_af_packet0,iface=veth-x",
		       "net_af_packet0: interface veth-x does "
		       "not exist");
	expect_refused(&env, "net_af_packet0,iface=averyveryverylongname", "at most 15");
	expect_refused(&env, "net_af_packet0,iface=va,queues=0", "'queues'");
	expect_refused(&env, "net_af_packet0,iface=va,queues=17", "'queues'");
	expect_refused(&env, "net_af_packet0,iface=va,queues=2,qpairs=2", "not both");
	expect_refused(&env, "net_af_packet0,iface=va,color=blue", "color");
	expect_refused(&env, "net_af_packet0,iface=va,framesz=2008", "not a multiple of 16");
	expect_refused(&env, "net_af_packet0,iface=va,framesz=1024",
		       "too small for MTU 1500 of va");
	expect_refused(&env, "net_af_packet0,iface=va,blocksz=6000", "blocksz");
	expect_refused(&env, "net_af_packet0,iface=va,framecnt=3", "framecnt=3 is not a multiple");
	expect_refused(&env, "net_af_packet0,iface=va,qdisc_bypass=2", "qdisc_bypass");
	expect_refused(&env, "net_af_packet0,iface=va,fanout=spray", "fanout=spray");
	expect_refused(&env, "net_af_packet0,iface=va,fanout_mode=spray", "fanout_mode=spray");
	expect_refused(&env, "net_af_packet0,iface=va,fanout=lb,fanout_mode=lb", "not both");
	MT_CHECK((flags_of("va") & 0x100) == 0, "va changed");
	mt_env_fini(&env);
}

int main(int argc, char **argv)
{
	static const struct mt_case cases[] = {
		{ "single", test_single, 90 }, { "fanout", test_fanout, 90 },
		{ "mp", test_mp, 120 },        { "overflow", test_overflow, 90 },
		{ "iface", test_iface, 90 },   { "devargs", test_devargs, 90 },
	};

	return mt_main_cases(argc, argv, "afp_", cases, sizeof(cases) / sizeof(cases[0]));
}
