/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vhost.c - net_vhost, the vhost-user backend port, with real peers.
 *
 *   devargs          bad --vdev strings: one error line naming the key, exit 1,
 *                    nothing left behind
 *   hostile          vh_hostile.c breaks the protocol or its rings in many
 *                    ways; after each the primary runs, dropped that peer and
 *                    counted it; a good frontend works afterwards
 *   testpmd          DPDK's testpmd (net_virtio_user, io forwarding) loops
 *                    frames back: 300-byte and 5000-byte (chained) packets,
 *                    checked byte by byte, mergeable buffers on
 *   testpmd_nomrg    the same with mrg_rxbuf=0
 *   testpmd_restart  testpmd killed: link down; started again: link up, traffic
 *   testpmd_client   client=1: we connect to testpmd listening (server=1),
 *                    started after us (we retry)
 *   mp               queues=2: a secondary (another binary) claims queue 1 and
 *                    moves traffic on it, also across a frontend restart
 *   virtio_user      mpdp's own frontend (net_virtio_user, another instance)
 *   qemu             a QEMU guest's kernel virtio-net (vh_guest.sh): ARP and
 *                    ICMP echo answered by the guest kernel, checked byte by
 *                    byte; it needs our interrupts (skips without a kernel)
 *
 * testpmd runs with --no-huge: DPDK 22.11 backs that memory with memfds,
 * which the vhost-user memory table can share. The cases that need it skip
 * (exit 77) when dpdk-testpmd is not installed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpdp_test.h"

#define T 10000

static char line[4096];
static char sock_path[256];
static char tp_prefix[64];
static int tp_started;
static int tp_scatter = 1; /* jumbo frames (needs mergeable buffers) */

static const char *bin(const char *var)
{
	return mt_getenv_path(var);
}

static void start(struct mt_proc *p, const char *label, const char *b, const char *type,
		  const struct mt_env *env, const char *vdev)
{
	struct mt_ready r;

	if (vdev != NULL)
		mt_start_program(p, label, b, type, "shell", env, &r, "--vdev", vdev, NULL);
	else
		mt_start_program(p, label, b, type, "shell", env, &r, NULL);
}

static void ok(struct mt_proc *p, const char *cmd)
{
	mt_cmd_ok(p, line, sizeof(line), T, "%s", cmd);
}

static long long field(const char *key)
{
	return mt_field_ll(line, key);
}

/*
 * tx n packets of size on q, expect them back intact on q (the peer loops
 * them), in rounds small enough for the frontend's rings: a loop has no flow
 * control, so a round larger than a ring would lose packets by design.
 */
static void loop(struct mt_proc *p, unsigned int q, unsigned int n, unsigned int size,
		 unsigned int tag, const char *what)
{
	unsigned int chunk = size > 2000 ? 32 : 100, done = 0, segs = 0;
	char cmd[128];

	while (done < n) {
		unsigned int k = n - done < chunk ? n - done : chunk;

		snprintf(cmd, sizeof(cmd), "tx net_vhost0 %u %u %u P %u", q, k, size, tag);
		ok(p, cmd);
		MT_CHECK(field("sent") == k, "%s: sent %lld of %u", what, field("sent"), k);
		snprintf(cmd, sizeof(cmd), "rx net_vhost0 %u %u 5000 %u", q, k, tag);
		ok(p, cmd);
		if (field("received") != k || field("bad") != 0 || field("port_ok") != 1) {
			MT_CHECK(0, "%s: round at %u: %s", what, done, line);
			return;
		}
		if (field("segs") > segs)
			segs = (unsigned int)field("segs");
		done += k;
	}
	snprintf(line, sizeof(line), "OK segs=%u", segs);
	mt_log("%s: %u x %u bytes looped back (at most %u segments)", what, n, size, segs);
}

static void need_testpmd(void)
{
	if (access("/usr/bin/dpdk-testpmd", X_OK) != 0)
		mt_skip("dpdk-testpmd is not installed (Debian package dpdk)");
}

static void tp_cleanup(void *arg)
{
	char cmd[256];

	(void)arg;
	if (tp_prefix[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/%s", tp_prefix);
	(void)!system(cmd);
}

/* Start testpmd on the socket: io forwarding, one forwarding core. */
static void testpmd(struct mt_proc *tp, const char *extra, unsigned int queues)
{
	struct mt_argv a;
	char vdev[512], q[32];

	if (tp_prefix[0] == '\0') {
		snprintf(tp_prefix, sizeof(tp_prefix), "mpdp-vh-tp-%d", (int)getpid());
		mt_on_exit(tp_cleanup, NULL);
	}
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,queues=%u%s", sock_path, queues,
		 extra);
	snprintf(q, sizeof(q), "%u", queues);
	/* line-buffered stdout: we wait for its "Press enter to exit" */
	mt_argv_init(&a, "/usr/bin/stdbuf");
	mt_argv_add(&a, "-oL", "/usr/bin/dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
		    tp_prefix, "--log-level", "pmd.net.virtio.*:error", "--vdev", vdev, "--",
		    "--no-mlockall", "--total-num-mbufs", "4096", "--forward-mode=io",
		    "--auto-start", "--nb-cores=1", NULL);
	if (tp_scatter)
		mt_argv_add(&a, "--max-pkt-len=9000", "--enable-scatter", NULL);
	mt_argv_addf(&a, "--rxq=%s", q);
	mt_argv_addf(&a, "--txq=%s", q);
	mt_spawn(tp, "testpmd", &a);
	mt_argv_fini(&a);
	tp_started++;
	if (strstr(extra, "server=1") != NULL)
		return; /* it waits for us to connect */
	/* forwarding: the frontend's rings are set up for good */
	MT_ASSERT(mt_wait_line(tp, "Press enter to exit", line, sizeof(line), 20000) == 1,
		  "testpmd did not start forwarding");
}

static void testpmd_stop(struct mt_proc *tp)
{
	mt_close_stdin(tp); /* "Press enter to exit" */
	if (mt_wait_exit(tp, T) != 0) {
		mt_kill(tp, SIGKILL);
		(void)mt_wait_exit(tp, T);
	}
	mt_proc_fini(tp);
}

static void link_wait(struct mt_proc *p, int up, const char *what)
{
	int ok = mt_cmd_until(p, line, sizeof(line), 15000, "up", up, "link net_vhost0");

	MT_ASSERT(ok, "%s: the link did not go %s: %s", what, up ? "up" : "down", line);
}

static void primary(struct mt_proc *P, struct mt_env *env, const char *args, unsigned int q)
{
	char vdev[512], cmd[64];

	snprintf(sock_path, sizeof(sock_path), "%s/vh.sock", env->root);
	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s%s", sock_path, args);
	{
		struct mt_ready r;

		mt_start_program(P, "primary", bin("MPDP_TEST_VH_A"), "primary", "shell", env, &r,
				 "--mem", "64M", "--vdev", vdev, NULL);
	}
	ok(P, "pool P 4096");
	snprintf(cmd, sizeof(cmd), "setup net_vhost0 %u %u P", q, q);
	ok(P, cmd);
}

static void traffic(struct mt_proc *P, int jumbo, const char *what)
{
	loop(P, 0, 500, 300, 0x61, what);
	loop(P, 0, 64, 1514, 0x62, what);
	if (jumbo) {
		loop(P, 0, 100, 5000, 0x63, what);
		MT_CHECK(field("segs") >= 3, "%s: 5000-byte packets in %lld segments", what,
			 field("segs"));
	}
}

static void test_testpmd_common(const char *args, int jumbo, int restart)
{
	struct mt_proc P, tp;
	struct mt_env env;

	need_testpmd();
	mt_env_init(&env, "vh1");
	primary(&P, &env, args, 1);
	ok(&P, "link net_vhost0");
	MT_CHECK(field("up") == 0, "link up without a frontend");
	testpmd(&tp, "", 1);
	link_wait(&P, 1, "testpmd");
	traffic(&P, jumbo, "testpmd");
	mt_cmd_ok(&P, line, sizeof(line), T, "xstat net_vhost0 vhost_connections");
	MT_CHECK(field("value") == 1, "connections: %s", line);
	if (restart) {
		mt_kill(&tp, SIGKILL);
		MT_ASSERT(mt_wait_exit(&tp, T) == 0, "testpmd did not die");
		mt_proc_fini(&tp);
		link_wait(&P, 0, "testpmd killed");
		testpmd(&tp, "", 1);
		link_wait(&P, 1, "testpmd again");
		traffic(&P, jumbo, "testpmd again");
		mt_cmd_ok(&P, line, sizeof(line), T, "xstat net_vhost0 vhost_connections");
		MT_CHECK(field("value") == 2, "connections: %s", line);
	}
	testpmd_stop(&tp);
	link_wait(&P, 0, "testpmd gone");
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

static void test_testpmd(void)
{
	test_testpmd_common("", 1, 0);
}

static void test_testpmd_nomrg(void)
{
	tp_scatter = 0;
	test_testpmd_common(",mrg_rxbuf=0", 0, 0);
}

static void test_testpmd_restart(void)
{
	test_testpmd_common("", 1, 1);
}

static void test_testpmd_client(void)
{
	struct mt_proc P, tp;
	struct mt_env env;

	need_testpmd();
	mt_env_init(&env, "vh4");
	primary(&P, &env, ",client=1", 1);
	mt_sleep_ms(500); /* we retry while nobody listens */
	testpmd(&tp, ",server=1", 1);
	link_wait(&P, 1, "testpmd server");
	MT_ASSERT(mt_wait_line(&tp, "Press enter to exit", line, sizeof(line), 20000) == 1,
		  "testpmd did not start forwarding");
	traffic(&P, 1, "client mode");
	testpmd_stop(&tp);
	link_wait(&P, 0, "testpmd server gone");
	/* it comes back: we reconnect */
	testpmd(&tp, ",server=1", 1);
	link_wait(&P, 1, "testpmd server again");
	MT_ASSERT(mt_wait_line(&tp, "Press enter to exit", line, sizeof(line), 20000) == 1,
		  "testpmd did not start forwarding");
	traffic(&P, 0, "client mode again");
	testpmd_stop(&tp);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	/* the socket file was testpmd's: it removes it */
	(void)unlink(sock_path);
	mt_env_fini(&env);
}

static void test_mp(void)
{
	struct mt_proc P, S, tp;
	struct mt_env env;

	need_testpmd();
	mt_env_init(&env, "vh5");
	primary(&P, &env, ",queues=2", 2);
	start(&S, "secondary-b", bin("MPDP_TEST_VH_B"), "secondary", &env, NULL);
	ok(&P, "claim net_vhost0 rx 0");
	ok(&P, "claim net_vhost0 tx 0");
	mt_cmd_until(&S, line, sizeof(line), T, "rc", 0, "claim net_vhost0 rx 1");
	ok(&S, "claim net_vhost0 tx 1");
	testpmd(&tp, "", 2);
	link_wait(&P, 1, "testpmd, 2 queues");
	link_wait(&S, 1, "testpmd, 2 queues (secondary)");
	loop(&S, 1, 300, 700, 0x71, "secondary queue 1");
	loop(&S, 1, 50, 5000, 0x72, "secondary queue 1, chained");
	loop(&P, 0, 300, 300, 0x73, "primary queue 0");
	/* the frontend restarts: new memory, new fds; the secondary remaps */
	mt_kill(&tp, SIGKILL);
	MT_ASSERT(mt_wait_exit(&tp, T) == 0, "testpmd did not die");
	mt_proc_fini(&tp);
	link_wait(&S, 0, "testpmd killed (secondary)");
	testpmd(&tp, "", 2);
	link_wait(&S, 1, "testpmd again (secondary)");
	loop(&S, 1, 300, 1000, 0x74, "secondary queue 1 after the restart");
	loop(&P, 0, 100, 300, 0x75, "primary queue 0 after the restart");
	testpmd_stop(&tp);
	mt_stop(&S, T);
	mt_proc_fini(&S);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

static void expect_refused(const struct mt_env *env, const char *vdev, const char *needle)
{
	struct mt_argv a;

	mt_argv_init(&a, bin("MPDP_TEST_VH_A"));
	mt_argv_runtime(&a, env, "primary", 0);
	mt_argv_add(&a, "--mem", "16M", "--no-pci", "--vdev", vdev, "--", "shell", NULL);
	mt_expect_refused(env, &a, vdev, needle);
}

static void test_devargs(void)
{
	struct mt_env env;
	char v[512], busy[512];
	struct mt_proc P;

	mt_env_init(&env, "vh0");
	snprintf(sock_path, sizeof(sock_path), "%s/vh.sock", env.root);
	expect_refused(&env, "net_vhost0", "iface=SOCK is required");
	expect_refused(&env, "net_vhost0,iface=", "iface=SOCK is required");
	snprintf(v, sizeof(v), "net_vhost0,iface=%s,queues=0", sock_path);
	expect_refused(&env, v, "'queues'");
	snprintf(v, sizeof(v), "net_vhost0,iface=%s,queues=9", sock_path);
	expect_refused(&env, v, "'queues'");
	snprintf(v, sizeof(v), "net_vhost0,iface=%s,client=2", sock_path);
	expect_refused(&env, v, "'client'");
	snprintf(v, sizeof(v), "net_vhost0,iface=%s,notify=x", sock_path);
	expect_refused(&env, v, "'notify'");
	snprintf(v, sizeof(v), "net_vhost0,iface=%s,mrg_rxbuf=3", sock_path);
	expect_refused(&env, v, "'mrg_rxbuf'");
	snprintf(v, sizeof(v), "net_vhost0,iface=%s,color=blue", sock_path);
	expect_refused(&env, v, "color");
	snprintf(v, sizeof(v),
		 "net_vhost0,iface=/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock");
	expect_refused(&env, v, "longer than");
	snprintf(v, sizeof(v), "net_vhost0,iface=%s/no/such/dir/s.sock", env.root);
	expect_refused(&env, v, "cannot listen");
	/* something listens there already: refused, and its socket file stays */
	snprintf(busy, sizeof(busy), "net_vhost0,iface=%s", sock_path);
	start(&P, "first", bin("MPDP_TEST_VH_A"), "primary", &env, busy);
	{
		struct mt_env env2;

		mt_env_init(&env2, "vh0b");
		expect_refused(&env2, busy, "something listens there already");
		mt_env_fini(&env2);
	}
	MT_CHECK(access(sock_path, F_OK) == 0, "the first port's socket went away");
	mt_stop(&P, T);
	mt_proc_fini(&P);
	MT_CHECK(access(sock_path, F_OK) != 0, "the socket file stayed after the port closed");
	/* a stale socket file (nobody listens) is replaced */
	start(&P, "crashed", bin("MPDP_TEST_VH_A"), "primary", &env, busy);
	mt_kill(&P, SIGKILL);
	(void)mt_wait_exit(&P, T);
	mt_proc_fini(&P);
	MT_CHECK(access(sock_path, F_OK) == 0, "no stale socket to test with");
	mt_rmtree(env.dir); /* the killed primary's runtime directory */
	start(&P, "after-crash", bin("MPDP_TEST_VH_A"), "primary", &env, busy);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

/* Run one hostile case; poll: drive the port's receive queue meanwhile. */
static void hostile(struct mt_proc *P, const char *c, int poll)
{
	struct mt_argv a;
	struct mt_proc h;
	char l[256];

	mt_argv_init(&a, bin("MPDP_TEST_VH_HOSTILE"));
	mt_argv_add(&a, sock_path, c, NULL);
	mt_spawn(&h, c, &a);
	mt_argv_fini(&a);
	if (poll) {
		MT_CHECK(mt_wait_line(&h, "SENT", l, sizeof(l), T) == 1, "%s: no SENT", c);
		mt_cmd_ok(P, line, sizeof(line), T, "rx net_vhost0 0 1 1500 0");
	}
	mt_expect_exit(&h, 0, T);
	if (mt_exit_code(&h) != 0)
		mt_log("%s: %s", c, mt_stderr(&h));
	mt_proc_fini(&h);
	/* the primary lives and takes commands */
	mt_cmd_ok(P, line, sizeof(line), T, "link net_vhost0");
	MT_CHECK(field("up") == 0, "%s: link still up", c);
}

static void good_frontend(struct mt_proc *P, const char *what, int remap)
{
	struct mt_argv a;
	struct mt_proc h;
	char l[256];

	mt_argv_init(&a, bin("MPDP_TEST_VH_HOSTILE"));
	mt_argv_add(&a, sock_path, "good", "20", "0x51", "0x52", remap ? "remap" : "-", NULL);
	mt_spawn(&h, "good", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&h, "SENT", l, sizeof(l), T) == 1, "%s: good frontend: no SENT",
		  what);
	mt_cmd_ok(P, line, sizeof(line), T, "rx net_vhost0 0 20 5000 0x51");
	MT_CHECK(field("received") == 20 && field("bad") == 0, "%s: from the good frontend: %s",
		 what, line);
	mt_cmd_ok(P, line, sizeof(line), T, "tx net_vhost0 0 20 300 P 0x52");
	MT_CHECK(field("sent") == 20, "%s: to the good frontend: %s", what, line);
	mt_expect_exit(&h, 0, T);
	if (mt_exit_code(&h) != 0)
		mt_log("good: %s", mt_stderr(&h));
	mt_proc_fini(&h);
}

static void test_hostile(void)
{
	static const char *const msgs[] = { "short_size",  "bad_version", "missing_fd",
					    "extra_fd",    "nine_regions", "overlap",
					    "short_fd",    "zero_region", "ring_index",
					    "ring_size",   "ring_addr",   "kick_index" };
	static const char *const rings[] = { "desc_index", "chain_loop",   "desc_len",
					     "desc_addr",  "next_index",   "indirect_len",
					     "avail_ahead" };
	struct mt_proc P;
	struct mt_env env;
	unsigned int lines0, lines1;

	mt_env_init(&env, "vh2");
	primary(&P, &env, "", 1);
	good_frontend(&P, "first", 0);
	good_frontend(&P, "a new memory table while running", 1);
	lines0 = mt_stderr_lines(&P);
	for (unsigned int i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		hostile(&P, msgs[i], 0);
	hostile(&P, "unknown", 0);
	hostile(&P, "log_base", 0);
	for (unsigned int i = 0; i < sizeof(rings) / sizeof(rings[0]); i++)
		hostile(&P, rings[i], 1);
	lines1 = mt_stderr_lines(&P);
	mt_log("%u lines logged for %zu hostile frontends", lines1 - lines0,
	       sizeof(msgs) / sizeof(msgs[0]) + sizeof(rings) / sizeof(rings[0]) + 2);
	mt_cmd_ok(&P, line, sizeof(line), T, "xstat net_vhost0 vhost_bad_messages");
	MT_CHECK(field("value") == (long long)(sizeof(msgs) / sizeof(msgs[0])),
		 "bad messages counted: %s", line);
	mt_cmd_ok(&P, line, sizeof(line), T, "xstat net_vhost0 vhost_broken_rings");
	MT_CHECK(field("value") == (long long)(sizeof(rings) / sizeof(rings[0])),
		 "broken rings counted: %s", line);
	mt_cmd_ok(&P, line, sizeof(line), T, "xstat net_vhost0 rx_q0_bad_desc");
	MT_CHECK(field("value") == (long long)(sizeof(rings) / sizeof(rings[0]) - 1),
		 "bad descriptors counted: %s", line);
	good_frontend(&P, "after the hostile ones", 0);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

/*
 * mpdp's own frontend: net_virtio_user in another mpdp instance (its own
 * primary), traffic both ways, chained packets through mergeable buffers.
 */
static void test_virtio_user(void)
{
	struct mt_proc P, F;
	struct mt_env env, env2;
	struct mt_ready r;
	char vdev[512];

	mt_env_init(&env, "vh7");
	mt_env_init(&env2, "vh7f");
	primary(&P, &env, "", 1);
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s", sock_path);
	mt_start_program(&F, "frontend", bin("MPDP_TEST_VH_B"), "primary", "shell", &env2, &r,
			 "--mem", "64M", "--vdev", vdev, NULL);
	mt_cmd_ok(&F, line, sizeof(line), T, "pool P 4096");
	mt_cmd_ok(&F, line, sizeof(line), T, "setup net_virtio_user0 1 1 P");
	link_wait(&P, 1, "net_virtio_user");
	for (unsigned int round = 0; round < 4; round++) {
		unsigned int size = round & 1 ? 5000 : 600, n = round & 1 ? 32 : 100;
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "tx net_virtio_user0 0 %u %u P %u", n, size, 0x80 + round);
		mt_cmd_ok(&F, line, sizeof(line), T, "%s", cmd);
		MT_CHECK(field("sent") == n, "virtio_user -> vhost: %s", line);
		snprintf(cmd, sizeof(cmd), "rx net_vhost0 0 %u 5000 %u", n, 0x80 + round);
		mt_cmd_ok(&P, line, sizeof(line), T, "%s", cmd);
		MT_CHECK(field("received") == n && field("bad") == 0,
			 "virtio_user -> vhost, %u bytes: %s", size, line);
		snprintf(cmd, sizeof(cmd), "tx net_vhost0 0 %u %u P %u", n, size, 0x90 + round);
		mt_cmd_ok(&P, line, sizeof(line), T, "%s", cmd);
		MT_CHECK(field("sent") == n, "vhost -> virtio_user: %s", line);
		snprintf(cmd, sizeof(cmd), "rx net_virtio_user0 0 %u 5000 %u", n, 0x90 + round);
		mt_cmd_ok(&F, line, sizeof(line), T, "%s", cmd);
		MT_CHECK(field("received") == n && field("bad") == 0,
			 "vhost -> virtio_user, %u bytes: %s", size, line);
	}
	mt_stop(&F, T);
	mt_proc_fini(&F);
	link_wait(&P, 0, "net_virtio_user gone");
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_env_fini(&env2);
	mt_env_fini(&env);
}

/*
 * A QEMU guest's kernel virtio-net (interrupt driven: call eventfd). Needs
 * qemu-system-x86_64 and a kernel with virtio-net modules:
 * MPDP_TEST_VH_GUEST_KERNEL (a bzImage) and MPDP_TEST_VH_GUEST_MODULES (its
 * /lib/modules tree), e.g. Debian's linux-image-amd64 unpacked with
 * dpkg-deb -x. Skips without them.
 */
static void test_qemu(void)
{
	const char *kernel = getenv("MPDP_TEST_VH_GUEST_KERNEL");
	const char *mods = getenv("MPDP_TEST_VH_GUEST_MODULES");
	char work[] = "/tmp/mpdp-vh-guest-XXXXXX";
	struct mt_proc P, G;
	struct mt_env env;
	struct mt_argv a;

	if (access("/usr/bin/qemu-system-x86_64", X_OK) != 0)
		mt_skip("qemu-system-x86_64 is not installed");
	if (kernel == NULL || mods == NULL || access(kernel, R_OK) != 0)
		mt_skip("set MPDP_TEST_VH_GUEST_KERNEL (bzImage) and MPDP_TEST_VH_GUEST_MODULES "
			"(its /lib/modules tree with virtio_net), e.g. from Debian's "
			"linux-image-amd64 unpacked with dpkg-deb -x");
	MT_ASSERT(mkdtemp(work) != NULL, "mkdtemp");
	mt_env_init(&env, "vh6");
	primary(&P, &env, "", 1);
	mt_argv_init(&a, "/bin/sh");
	mt_argv_add(&a, bin("MPDP_TEST_VH_GUEST_SH"), kernel, mods, work, sock_path, NULL);
	mt_spawn(&G, "guest", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&G, "GUEST-READY", line, sizeof(line), 90000) == 1,
		  "the guest did not boot (%s)", mt_status_str(&G));
	link_wait(&P, 1, "guest");
	mt_cmd_ok(&P, line, sizeof(line), 60000, "ping net_vhost0 0 50 1000 30000 P");
	MT_CHECK(field("arp") == 1 && field("replies") == 50 && field("bad") == 0,
		 "guest, 1000-byte echoes: %s", line);
	mt_cmd_ok(&P, line, sizeof(line), 60000, "ping net_vhost0 0 20 1472 10000 P");
	MT_CHECK(field("replies") == 20 && field("bad") == 0, "guest, 1472-byte echoes: %s",
		 line);
	/* the guest is interrupt driven: it needed our call eventfd signals */
	mt_cmd_ok(&P, line, sizeof(line), T, "xstat net_vhost0 tx_q0_guest_notify");
	MT_CHECK(field("value") > 0, "no interrupts into the guest's receive queue: %s", line);
	mt_cmd_ok(&P, line, sizeof(line), T, "xstat net_vhost0 rx_q0_guest_notify");
	MT_CHECK(field("value") > 0, "no interrupts for the guest's transmit queue: %s", line);
	mt_kill(&G, SIGTERM);
	(void)mt_wait_exit(&G, T);
	mt_proc_fini(&G);
	link_wait(&P, 0, "guest gone");
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_rmtree(work);
	mt_env_fini(&env);
}

int main(int argc, char **argv)
{
	static const struct mt_case cases[] = {
		{ "devargs", test_devargs, 90 },
		{ "hostile", test_hostile, 150 },
		{ "testpmd", test_testpmd, 120 },
		{ "testpmd_nomrg", test_testpmd_nomrg, 120 },
		{ "testpmd_restart", test_testpmd_restart, 150 },
		{ "testpmd_client", test_testpmd_client, 150 },
		{ "mp", test_mp, 150 },
		{ "qemu", test_qemu, 200 },
		{ "virtio_user", test_virtio_user, 90 },
	};

	return mt_main_cases(argc, argv, "vhost_", cases, sizeof(cases) / sizeof(cases[0]));
}
