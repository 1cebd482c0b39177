/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_virtio.c - net_virtio_user against real vhost-user backends, one case
 * per run:
 *
 *   test_virtio devargs    bad device strings: one error line naming the key
 *                          or the problem, exit 1, nothing left behind
 *   test_virtio loop       DPDK testpmd (net_vhost, io forwarding, loop
 *                          topology) sends every frame back: with mergeable
 *                          buffers on (EVENT_IDX, 256 entries) and off (flags,
 *                          512 entries), 64- and 1518-byte frames, tx
 *                          chains, rx chains (mbufs smaller than a frame,
 *                          mrg on), all checked byte for byte; xstats; a pool
 *                          too small without mrg is refused
 *   test_virtio reconnect  testpmd SIGKILLed: link down; frames sent meanwhile
 *                          wait in the ring; testpmd restarted on the same
 *                          socket: link up, those frames and new ones come back;
 *                          a backend lacking a negotiated feature: link stays
 *                          down with one log line
 *   test_virtio mp         queues=2, mrg on: a secondary of another program
 *                          (the drv shell -b) receives and transmits on queue 1
 *                          while the primary uses queue 0; SIGKILLed, another
 *                          process (vio shell -b) claims queue 1 and continues;
 *                          then processes killed in the middle of a stream
 *                          of bursts, each successor repairs the ring state
 *                          the dead one left (vq_repair) and continues
 *
 *   test_virtio liar       a backend that lies (vio_liar.c): num_buffers 0, more
 *                          than in flight, a length past the buffer: each
 *                          counted and dropped while good packets around
 *                          them (one of two buffers) arrive intact; a used
 *                          id that does not exist marks the ring broken and
 *                          nothing else happens (the process lives on)
 *
 * The testpmd cases skip (exit 77) when dpdk-testpmd cannot be found (PATH,
 * or MPDP_TESTPMD). Every process, socket and runtime file they make is
 * removed at exit, on failure too.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpdp_test.h"

#define T 10000

static char line[16384];
static char testpmd_bin[512];
static char sock_dir[256];
static char sock_path[300];
static char dpdk_prefix[64];
static unsigned int dpdk_runs;

#define ok(p, ...) mt_cmd_ok(p, line, sizeof(line), 3 * T, __VA_ARGS__)

static long long field(const char *key)
{
	return mt_field_ll(line, key);
}

static void expect(struct mt_proc *p, const char *command, const char *key, long long want)
{
	mt_cmd_expect(p, line, sizeof(line), 3 * T, key, want, command);
}

static void until(struct mt_proc *p, const char *command, const char *key, long long want,
		  int timeout_ms)
{
	MT_CHECK(mt_cmd_until(p, line, sizeof(line), timeout_ms, key, want, "%s", command),
		 "%s: '%s' never gave %s=%lld (last: %s)", p->label, command, key, want, line);
}

/* ------------------------------------------------------------ testpmd */

static int find_testpmd(void)
{
	const char *env = getenv("MPDP_TESTPMD");
	const char *path = getenv("PATH");
	char dir[400];

	if (env != NULL && env[0] != '\0') {
		snprintf(testpmd_bin, sizeof(testpmd_bin), "%s", env);
		return access(testpmd_bin, X_OK) == 0;
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
		snprintf(testpmd_bin, sizeof(testpmd_bin), "%s/dpdk-testpmd", dir);
		if (n > 0 && access(testpmd_bin, X_OK) == 0)
			return 1;
		path += n;
		if (*path == ':')
			path++;
	}
	return 0;
}

static void sock_cleanup(void *arg)
{
	char d[300];

	(void)arg;
	if (sock_path[0] != '\0')
		unlink(sock_path);
	if (sock_dir[0] != '\0')
		rmdir(sock_dir);
	/* what DPDK's EAL may leave for its file prefix */
	snprintf(d, sizeof(d), "/var/run/dpdk/%s", dpdk_prefix);
	if (dpdk_prefix[0] != '\0')
		(void)mt_rmtree(d);
}

/* A private directory for the socket, removed at exit. */
static void sock_setup(const char *tag)
{
	mt_tmpdir(tag, sock_dir, sizeof(sock_dir));
	snprintf(sock_path, sizeof(sock_path), "%s/vhost.sock", sock_dir);
	snprintf(dpdk_prefix, sizeof(dpdk_prefix), "mpdpvio-%d-%s", (int)getpid(), tag);
	mt_on_exit(sock_cleanup, NULL);
}

static void testpmd_need(void)
{
	if (!find_testpmd())
		mt_skip("dpdk-testpmd not found (install Debian's dpdk, or set MPDP_TESTPMD)");
}

/* testpmd with net_vhost on sock_path, io forwarding back on the same port. */
static void testpmd_start(struct mt_proc *t, unsigned int queues)
{
	struct mt_argv a;
	char label[32];

	unlink(sock_path); /* a killed testpmd leaves it */
	snprintf(label, sizeof(label), "testpmd-%u", ++dpdk_runs);
	/* line-buffered stdout (stdbuf), so "Press enter to exit" reaches us when
	 * it is printed: forwarding runs from then on */
	if (access("/usr/bin/stdbuf", X_OK) == 0) {
		mt_argv_init(&a, "/usr/bin/stdbuf");
		mt_argv_add(&a, "-oL", testpmd_bin, NULL);
	} else {
		mt_argv_init(&a, testpmd_bin);
	}
	mt_argv_add(&a, "-l", "0,1", "--no-pci", "--no-huge", "--no-shconf", "-m", "256",
		    "--file-prefix", dpdk_prefix, "--log-level", "*:notice", NULL);
	mt_argv_addf(&a, "--vdev=net_vhost0,iface=%s,queues=%u", sock_path, queues);
	mt_argv_add(&a, "--", "--forward-mode=io", "--port-topology=loop", "--auto-start",
		    "--total-num-mbufs=8192", "--nb-cores=1", NULL);
	mt_argv_addf(&a, "--rxq=%u", queues);
	mt_argv_addf(&a, "--txq=%u", queues);
	mt_spawn(t, label, &a);
	mt_argv_fini(&a);
	/* non-interactive testpmd forwards until enter (its stdin is our pipe) */
	if (mt_wait_line(t, "Press enter to exit", NULL, 0, 3 * T) != 1) {
		mt_wait_exit(t, 1000);
		MT_FAIL("testpmd did not start (%s): %s", mt_status_str(t), mt_stderr(t));
	}
	MT_ASSERT(access(sock_path, F_OK) == 0, "testpmd made no socket at %s", sock_path);
}

static void testpmd_stop(struct mt_proc *t)
{
	mt_kill(t, SIGINT);
	if (mt_wait_exit(t, T) != 0)
		mt_kill(t, SIGKILL);
	mt_proc_fini(t);
}

/* ------------------------------------------------------------ mpdp processes */

static void start(struct mt_proc *p, const char *label, const char *bin, const char *type,
		  const struct mt_env *env, ...) __attribute__((sentinel));
static void start(struct mt_proc *p, const char *label, const char *bin, const char *type,
		  const struct mt_env *env, ...)
{
	struct mt_argv a;
	const char *s;
	va_list ap;
	int rc;

	mt_argv_init(&a, bin);
	mt_argv_runtime(&a, env, type, 0);
	if (strcmp(type, "primary") == 0)
		mt_argv_add(&a, "--mem", "128M", "--no-pci", NULL);
	va_start(ap, env);
	while ((s = va_arg(ap, const char *)) != NULL)
		mt_argv_add(&a, s, NULL);
	va_end(ap);
	mt_argv_add(&a, "--", "shell", NULL);
	mt_spawn(p, label, &a);
	mt_argv_fini(&a);
	rc = mt_wait_line(p, "READY", line, sizeof(line), T);
	if (rc != 1) {
		mt_wait_exit(p, 1000);
		MT_FAIL("%s did not print READY (%s; %s): %s", label,
			rc == 0 ? "timeout" : "stdout closed", mt_status_str(p), mt_stderr(p));
	}
}

static const char *vio_a(void)
{
	return mt_getenv_path("MPDP_TEST_VIO_A");
}

static const char *vio_b(void)
{
	return mt_getenv_path("MPDP_TEST_VIO_B");
}

static const char *drv_b(void)
{
	return mt_getenv_path("MPDP_TEST_DRV_B");
}

/* n frames of size out on queue q and back, every one good. */
static void loop_check(struct mt_proc *p, unsigned int q, unsigned int n, unsigned int size,
		       const char *pool, unsigned int tag, unsigned int seg, const char *what)
{
	ok(p, "echo net_virtio_user0 %u %u %u %s %u %u", q, n, size, pool, tag, seg);
	MT_CHECK(field("sent") == n && field("received") == n && field("bad") == 0,
		 "%s: %u good frames of %u bytes expected back: %s", what, n, size, line);
	mt_log("%s: %u frames of %u bytes back byte for byte (%lld segments)", what, n, size,
	       field("segs"));
}

/* ------------------------------------------------------------ cases */

static void expect_refused(const struct mt_env *env, const char *vdev, const char *needle)
{
	struct mt_argv a;

	mt_argv_init(&a, vio_a());
	mt_argv_runtime(&a, env, "primary", 0);
	mt_argv_add(&a, "--mem", "16M", "--no-pci", "--vdev", vdev, "--", "shell", NULL);
	mt_expect_refused(env, &a, vdev, needle);
}

static void test_devargs(void)
{
	struct mt_env env;
	char v[512], nosock[300];

	sock_setup("args");
	mt_env_init(&env, "vio0");
	snprintf(nosock, sizeof(nosock), "%s/none.sock", sock_dir);
	expect_refused(&env, "net_virtio_user0", "path=SOCK is required");
	expect_refused(&env, "net_virtio_user0,path=", "path=SOCK is required");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s", nosock);
	expect_refused(&env, v, "cannot connect to the vhost-user backend");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,queues=0", nosock);
	expect_refused(&env, v, "'queues'");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,queues=17", nosock);
	expect_refused(&env, v, "'queues'");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,mrg_rxbuf=2", nosock);
	expect_refused(&env, v, "'mrg_rxbuf'");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,event_idx=yes", nosock);
	expect_refused(&env, v, "'event_idx'");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,queue_size=100", nosock);
	expect_refused(&env, v, "queue_size=100: not a power of two");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,queue_size=8192", nosock);
	expect_refused(&env, v, "'queue_size'");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,mac=zz:00:00:00:00:01", nosock);
	expect_refused(&env, v, "mac=zz:00:00:00:00:01");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,mac=01:00:5e:00:00:01", nosock);
	expect_refused(&env, v, "mac=01:00:5e:00:00:01");
	snprintf(v, sizeof(v), "net_virtio_user0,path=%s,color=blue", nosock);
	expect_refused(&env, v, "color");
	snprintf(v, sizeof(v), "net_virtio_user0,path=/%0200d", 0);
	expect_refused(&env, v, "longer than");
	mt_env_fini(&env);
}

static void test_loop(void)
{
	struct mt_proc P, TP;
	struct mt_env env;
	char vdev[512];

	testpmd_need();
	sock_setup("loop");
	testpmd_start(&TP, 1);
	for (unsigned int mrg = 0; mrg < 2; mrg++) {
		mt_env_init(&env, mrg ? "vio1m" : "vio1s");
		snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,mrg_rxbuf=%u%s", sock_path,
			 mrg,
			 mrg ? "" : ",event_idx=0,queue_size=512"); /* both notification styles */
		start(&P, mrg ? "primary-mrg" : "primary-nomrg", vio_a(), "primary", &env, "--vdev",
		      vdev, NULL);
		ok(&P, "pool p 4096");
		ok(&P, "pool small 4096 640"); /* 512 bytes after the headroom */
		if (!mrg) {
			/* one buffer per frame: mbufs smaller than a frame cannot do */
			MT_CHECK(mt_cmd(&P, line, sizeof(line), T,
					"setup net_virtio_user0 1 1 small") != 0,
				 "mrg_rxbuf=0 with 640-byte mbufs was accepted: %s", line);
		}
		ok(&P, "setup net_virtio_user0 1 1 %s", mrg ? "small" : "p");
		until(&P, "link net_virtio_user0", "up", 1, T);
		ok(&P, "claim net_virtio_user0 rx 0");
		ok(&P, "claim net_virtio_user0 tx 0");
		expect(&P, "xstat net_virtio_user0 rx_path", "value", mrg ? 2 : 1);
		loop_check(&P, 0, 2000, 64, "p", 1, 0, mrg ? "mrg, 64" : "no mrg, 64");
		loop_check(&P, 0, 2000, 1518, "p", 2, 0, mrg ? "mrg, 1518" : "no mrg, 1518");
		/* tx chains: the header in its own descriptor, one per segment */
		loop_check(&P, 0, 1000, 1518, "p", 3, 200,
			   mrg ? "mrg, tx chains" : "no mrg, tx chains");
		loop_check(&P, 0, 1000, 60, "p", 4, 20,
			   mrg ? "mrg, short chains" : "no mrg, short chains");
		if (mrg) {
			/* 1530 bytes over 524-byte buffers: three per frame */
			expect(&P, "xstat net_virtio_user0 rx_q0_mrg_segments", "value",
			       2 * 2000 + 2 * 1000);
		} else {
			expect(&P, "xstat net_virtio_user0 rx_q0_mrg_segments", "value", 0);
		}
		expect(&P, "xstat net_virtio_user0 rx_q0_good_packets", "value", 6000);
		expect(&P, "xstat net_virtio_user0 rx_q0_size_64_packets", "value", 3000);
		expect(&P, "xstat net_virtio_user0 rx_q0_size_1024_1518_packets", "value", 3000);
		expect(&P, "xstat net_virtio_user0 tx_q0_chained_packets", "value", 2000);
		expect(&P, "xstat net_virtio_user0 rx_q0_errors", "value", 0);
		expect(&P, "xstat net_virtio_user0 rx_q0_broken", "value", 0);
		ok(&P, "stats net_virtio_user0");
		MT_CHECK(field("ipackets") == 6000 && field("opackets") == 6000 &&
				 field("ierrors") == 0,
			 "stats: %s", line);
		/* stop (GET_VRING_BASE: the backend lets go) and start again */
		ok(&P, "stop net_virtio_user0");
		expect(&P, "link net_virtio_user0", "up", 0);
		ok(&P, "start net_virtio_user0");
		until(&P, "link net_virtio_user0", "up", 1, T);
		loop_check(&P, 0, 1000, 1518, "p", 5, 0,
			   mrg ? "mrg, restarted" : "no mrg, restarted");
		mt_stop(&P, T);
		mt_proc_fini(&P);
		mt_env_fini(&env);
	}
	testpmd_stop(&TP);
}

static void test_reconnect(void)
{
	struct mt_proc P, TP;
	struct mt_env env;
	char vdev[512];

	testpmd_need();
	sock_setup("recon");
	testpmd_start(&TP, 1);
	mt_env_init(&env, "vio2");
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s", sock_path);
	start(&P, "primary", vio_a(), "primary", &env, "--vdev", vdev, NULL);
	ok(&P, "pool p 4096");
	ok(&P, "setup net_virtio_user0 1 1 p");
	until(&P, "link net_virtio_user0", "up", 1, T);
	ok(&P, "claim net_virtio_user0 rx 0");
	ok(&P, "claim net_virtio_user0 tx 0");
	loop_check(&P, 0, 1000, 1518, "p", 1, 0, "before");

	for (unsigned int round = 0; round < 2; round++) {
		/* the backend dies; frames sent now wait in the ring */
		mt_kill(&TP, SIGKILL);
		mt_wait_exit(&TP, T);
		mt_proc_fini(&TP);
		until(&P, "link net_virtio_user0", "up", 0, T);
		ok(&P, "tx net_virtio_user0 0 100 1000 p %u", 10 + round);
		MT_CHECK(field("sent") == 100, "queued while down: %s", line);
		testpmd_start(&TP, 1);
		until(&P, "link net_virtio_user0", "up", 1, 3 * T);
		expect(&P, "xstat net_virtio_user0 backend_connects", "value", 2 + round);
		expect(&P, "xstat net_virtio_user0 backend_disconnects", "value", 1 + round);
		/* what waited comes back first, then new traffic */
		ok(&P, "rx net_virtio_user0 0 100 %u %u 1000", T, 10 + round);
		MT_CHECK(field("received") == 100 && field("bad") == 0,
			 "frames queued while the backend was down: %s", line);
		loop_check(&P, 0, 1000, 64, "p", 20 + round, 0, "after reconnect, 64");
		loop_check(&P, 0, 1000, 1518, "p", 30 + round, 0, "after reconnect, 1518");
	}
	expect(&P, "xstat net_virtio_user0 rx_q0_broken", "value", 0);

	/* a backend without a feature negotiated before (the liar has no
	 * EVENT_IDX): link stays down, one line, until a fit one is back */
	{
		struct mt_proc L;
		struct mt_argv a;
		unsigned int before = mt_stderr_lines(&P);

		mt_kill(&TP, SIGKILL);
		mt_wait_exit(&TP, T);
		mt_proc_fini(&TP);
		until(&P, "link net_virtio_user0", "up", 0, T);
		unlink(sock_path);
		mt_argv_init(&a, mt_getenv_path("MPDP_TEST_VIO_LIAR"));
		mt_argv_add(&a, sock_path, NULL);
		mt_spawn(&L, "liar", &a);
		mt_argv_fini(&a);
		MT_ASSERT(mt_wait_line(&L, "LISTENING", NULL, 0, T) == 1, "the liar did not start");
		MT_CHECK(mt_wait_stderr(&P, "no longer offers EVENT_IDX", T),
			 "no line about the missing feature: %s", mt_stderr(&P));
		mt_sleep_ms(1000); /* five more tries */
		expect(&P, "link net_virtio_user0", "up", 0);
		MT_CHECK(mt_stderr_lines(&P) - before <= 3, "more than one line per outage: %s",
			 mt_stderr(&P));
		mt_send(&L, "quit");
		mt_expect_exit(&L, 0, T);
		mt_proc_fini(&L);
		testpmd_start(&TP, 1);
		until(&P, "link net_virtio_user0", "up", 1, 3 * T);
		loop_check(&P, 0, 1000, 1518, "p", 40, 0, "after the unfit backend");
	}
	mt_stop(&P, T);
	mt_proc_fini(&P);
	testpmd_stop(&TP);
	mt_env_fini(&env);
}

static void test_mp(void)
{
	struct mt_proc P, S, S2, TP;
	struct mt_env env;
	char vdev[512];

	testpmd_need();
	sock_setup("mp");
	testpmd_start(&TP, 2);
	mt_env_init(&env, "vio3");
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,queues=2,mrg_rxbuf=1", sock_path);
	start(&P, "primary", vio_a(), "primary", &env, "--vdev", vdev, NULL);
	ok(&P, "pool p 8192");
	ok(&P, "setup net_virtio_user0 2 2 p");
	until(&P, "link net_virtio_user0", "up", 1, T);
	ok(&P, "claim net_virtio_user0 rx 0");
	ok(&P, "claim net_virtio_user0 tx 0");

	/* a secondary of another program on queue 1 (drv shell: contiguous frames) */
	start(&S, "secondary-drv-b", drv_b(), "secondary", &env, NULL);
	until(&S, "info net_virtio_user0", "available", 1, T);
	ok(&S, "claim net_virtio_user0 rx 1");
	ok(&S, "claim net_virtio_user0 tx 1");
	/* fewer than the ring holds: the drv shell sends all, then receives */
	ok(&S, "tx net_virtio_user0 1 200 1000 p 77");
	MT_CHECK(field("sent") == 200, "secondary tx: %s", line);
	loop_check(&P, 0, 500, 64, "p", 5, 0, "primary on queue 0 meanwhile");
	ok(&S, "rx net_virtio_user0 1 200 10000 77");
	MT_CHECK(field("received") == 200 && field("bad") == 0 && field("port_ok") == 1,
		 "secondary rx on queue 1: %s", line);
	mt_log("secondary (drv-b): 200 frames of 1000 bytes out and back on queue 1");
	ok(&S, "tx net_virtio_user0 1 50 300 p 78"); /* left in flight for the successor */

	mt_kill(&S, SIGKILL);
	mt_wait_exit(&S, T);
	mt_proc_fini(&S);

	/* another process takes queue 1 over where the dead one stopped */
	start(&S2, "secondary-vio-b", vio_b(), "secondary", &env, NULL);
	MT_CHECK(mt_cmd_until(&S2, line, sizeof(line), 3 * T, "rc", 0,
			      "claim net_virtio_user0 rx 1"),
		 "rx queue 1 never became free after the kill: %s", line);
	MT_CHECK(mt_cmd_until(&S2, line, sizeof(line), 3 * T, "rc", 0,
			      "claim net_virtio_user0 tx 1"),
		 "tx queue 1 never became free after the kill: %s", line);
	ok(&S2, "rx net_virtio_user0 1 50 %u 78 300", T);
	MT_CHECK(field("received") == 50 && field("bad") == 0,
		 "what the killed process sent, received by its successor: %s", line);
	loop_check(&S2, 1, 1000, 1518, "p", 79, 0, "successor on queue 1, 1518");
	loop_check(&S2, 1, 500, 1518, "p", 80, 500, "successor on queue 1, tx chains");
	mt_stop(&S2, T);
	mt_proc_fini(&S2);

	/* killed in the middle of bursts: the successor repairs and goes on */
	for (unsigned int round = 0; round < 6; round++) {
		char label[32];

		snprintf(label, sizeof(label), "victim-%u", round);
		start(&S, label, round % 2 ? vio_a() : vio_b(), "secondary", &env, NULL);
		MT_CHECK(mt_cmd_until(&S, line, sizeof(line), 3 * T, "rc", 0,
				      "claim net_virtio_user0 rx 1"),
			 "%s: rx queue 1 never became free: %s", label, line);
		MT_CHECK(mt_cmd_until(&S, line, sizeof(line), 3 * T, "rc", 0,
				      "claim net_virtio_user0 tx 1"),
			 "%s: tx queue 1 never became free: %s", label, line);
		MT_ASSERT(mt_send(&S, "echo net_virtio_user0 1 100000000 %u p %u%s",
				  round % 3 == 2 ? 1518 : 64, 100 + round,
				  round % 3 == 1 ? " 20" : "") == 0,
			  "echo to %s", label);
		mt_sleep_ms(150 + 70 * round);
		mt_kill(&S, SIGKILL);
		mt_wait_exit(&S, T);
		mt_proc_fini(&S);
	}
	start(&S2, "successor", vio_b(), "secondary", &env, NULL);
	MT_CHECK(mt_cmd_until(&S2, line, sizeof(line), 3 * T, "rc", 0,
			      "claim net_virtio_user0 rx 1"),
		 "rx queue 1 never became free after the kills: %s", line);
	MT_CHECK(mt_cmd_until(&S2, line, sizeof(line), 3 * T, "rc", 0,
			      "claim net_virtio_user0 tx 1"),
		 "tx queue 1 never became free after the kills: %s", line);
	ok(&S2, "drain net_virtio_user0 1 300");
	loop_check(&S2, 1, 2000, 1518, "p", 200, 0, "after the kills, queue 1, 1518");
	loop_check(&S2, 1, 2000, 64, "p", 201, 30, "after the kills, queue 1, chains");
	loop_check(&P, 0, 500, 1518, "p", 6, 0, "primary on queue 0 after");
	{
		long long rr, tr;

		ok(&P, "xstat net_virtio_user0 rx_q1_repairs");
		rr = field("value");
		ok(&P, "xstat net_virtio_user0 tx_q1_repairs");
		tr = field("value");
		mt_log("6 owners of queue 1 killed while streaming: %lld rx and %lld tx ring states "
		       "repaired by their successors",
		       rr, tr);
	}
	expect(&P, "xstat net_virtio_user0 rx_q1_broken", "value", 0);
	expect(&P, "xstat net_virtio_user0 tx_q1_broken", "value", 0);
	mt_stop(&S2, T);
	mt_proc_fini(&S2);
	mt_stop(&P, T);
	mt_proc_fini(&P);
	testpmd_stop(&TP);
	mt_env_fini(&env);
}

static void liar_cmd(struct mt_proc *l, const char *c)
{
	ok(l, "%s", c);
}

static void test_liar(void)
{
	struct mt_proc P, L;
	struct mt_argv a;
	struct mt_env env;
	char vdev[512];

	sock_setup("liar");
	mt_argv_init(&a, mt_getenv_path("MPDP_TEST_VIO_LIAR"));
	mt_argv_add(&a, sock_path, NULL);
	mt_spawn(&L, "liar", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&L, "LISTENING", NULL, 0, T) == 1, "the liar did not start: %s",
		  mt_stderr(&L));
	mt_env_init(&env, "vio4");
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,event_idx=0", sock_path);
	start(&P, "primary", vio_a(), "primary", &env, "--vdev", vdev, NULL);
	ok(&P, "pool p 4096");
	ok(&P, "setup net_virtio_user0 1 1 p");
	MT_ASSERT(mt_wait_line(&L, "RINGS", NULL, 0, T) == 1, "no rings from the frontend");
	ok(&P, "claim net_virtio_user0 rx 0");
	liar_cmd(&L, "pkt 1 1 64 0");
	ok(&P, "rx net_virtio_user0 0 1 %u 17 64", T);
	MT_CHECK(field("received") == 1 && field("bad") == 0, "a good packet: %s", line);
	liar_cmd(&L, "pkt 0 1 64 1");   /* num_buffers 0 */
	liar_cmd(&L, "pkt 300 1 64 2"); /* more buffers than in flight */
	liar_cmd(&L, "pkt 2 2 3000 3"); /* good: two buffers */
	ok(&P, "rx net_virtio_user0 0 1 %u 17 3000", T);
	MT_CHECK(field("received") == 1 && field("bad") == 0 && field("segs") == 2 &&
			 field("first") == 3,
		 "a good packet of two buffers after two lies: %s", line);
	liar_cmd(&L, "over"); /* a length past the buffer */
	liar_cmd(&L, "pkt 1 1 1518 4");
	ok(&P, "rx net_virtio_user0 0 1 %u 17 1518", T);
	MT_CHECK(field("received") == 1 && field("bad") == 0 && field("first") == 4,
		 "a good packet after a bad length: %s", line);
	expect(&P, "xstat net_virtio_user0 rx_q0_errors", "value", 3);
	expect(&P, "xstat net_virtio_user0 rx_q0_good_packets", "value", 3);
	expect(&P, "xstat net_virtio_user0 rx_q0_mrg_segments", "value", 1);
	ok(&P, "stats net_virtio_user0");
	MT_CHECK(field("ierrors") == 3 && field("ipackets") == 3, "stats: %s", line);
	expect(&P, "xstat net_virtio_user0 rx_q0_broken", "value", 0);
	liar_cmd(&L, "badid"); /* garbage: the ring is broken, nothing else */
	ok(&P, "rx net_virtio_user0 0 1 300 17 64");
	MT_CHECK(field("received") == 0, "from a broken ring: %s", line);
	expect(&P, "xstat net_virtio_user0 rx_q0_broken", "value", 1);
	liar_cmd(&L, "pkt 1 1 64 5");
	ok(&P, "rx net_virtio_user0 0 1 300 17 64");
	MT_CHECK(field("received") == 0, "a broken ring stays stopped: %s", line);
	ok(&P, "whoami"); /* alive and answering */
	mt_stop(&P, T);
	mt_proc_fini(&P);
	mt_send(&L, "quit");
	mt_expect_exit(&L, 0, T);
	mt_proc_fini(&L);
	mt_env_fini(&env);
}

int main(int argc, char **argv)
{
	static const struct mt_case cases[] = {
		{ "devargs", test_devargs, 90 },
		{ "loop", test_loop, 150 },
		{ "reconnect", test_reconnect, 150 },
		{ "mp", test_mp, 150 },
		{ "liar", test_liar, 60 },
	};

	return mt_main_cases(argc, argv, "test_virtio ", cases, sizeof(cases) / sizeof(cases[0]));
}
