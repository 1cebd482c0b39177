/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_drv_mp.c - net_ring and net_null across real processes, each a
 * different PIE program (mpdp-test-drv-a, -b, -null; see drv_shell.c).
 *
 *  1. Ring pair across processes. The primary (-a) creates net_ringA and
 *     net_ringB (peer=net_ringA) with two queues each; a secondary of
 *     another program (-b) attaches before the queues exist and builds its
 *     handles when the primary announces them. Primary tx on A q0 arrives at
 *     the secondary's rx on B q0, byte-exact and in order; secondary tx on
 *     B q1 (from the same pool, looked up by name) arrives at the primary's
 *     rx on A q1. Counters agree in the primary, the secondary and a third
 *     process; the pool has every mbuf back.
 *  2. A full ring across processes: the sender keeps what did not fit, the
 *     tx_q0_ring_full and rx_q0_ring_count xstats say so in every process.
 *  3. A secondary built without net_ring (-null) attaching to a primary with
 *     a net_null and a net_ring port: one log line reports the ring port
 *     unavailable, claiming it says ENOTSUP, and the null port works (rx=gen
 *     from the primary's pool, tx frees), counted alike everywhere.
 */
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

#define T 10000

static char line[16384];

/* A command to a shell, its reply in line: OK wanted, else a failure is recorded. */
#define ok(p, ...) mt_cmd_check(p, line, sizeof(line), T, __VA_ARGS__)

static void err(struct mt_proc *p, const char *errname, const char *command)
{
	mt_cmd_err(p, line, sizeof(line), T, errname, command);
}

/* command's reply must have key=want */
static void expect(struct mt_proc *p, const char *command, const char *key, long long want)
{
	mt_cmd_expect(p, line, sizeof(line), T, key, want, command);
}

/* repeat command until key=want: other processes learn changes asynchronously */
static void until(struct mt_proc *p, const char *command, const char *key, long long want)
{
	MT_CHECK(mt_cmd_until(p, line, sizeof(line), T, key, want, "%s", command),
		 "%s: '%s' never gave %s=%lld (last: %s)", p->label, command, key, want, line);
}

/* stats of port name in every process given, all the same */
static void stats_agree(struct mt_proc **procs, unsigned int n, const char *port,
			long long ipackets, long long ibytes, long long opackets, long long obytes)
{
	char command[64];

	snprintf(command, sizeof(command), "stats %s", port);
	for (unsigned int i = 0; i < n; i++) {
		expect(procs[i], command, "ipackets", ipackets);
		expect(procs[i], command, "ibytes", ibytes);
		expect(procs[i], command, "opackets", opackets);
		expect(procs[i], command, "obytes", obytes);
		expect(procs[i], command, "ierrors", 0);
	}
}

static void test_ring_pair(void)
{
	struct mt_proc P, S, S3;
	struct mt_env env;

	mt_env_init(&env, "drvmp");
	mt_start_program(&P, "primary-a", mt_getenv_path("MPDP_TEST_DRV_A"), "primary", "shell",
			 &env, NULL, "--no-pci", "--vdev", "net_ringA,queues=2,size=256,bytes=1", "--vdev",
			 "net_ringB,queues=2,size=256,peer=net_ringA,bytes=1", NULL);
	ok(&P, "pool pp 2048");

	/* the secondary attaches before the queues exist */
	mt_start_program(&S, "secondary-b", mt_getenv_path("MPDP_TEST_DRV_B"), "secondary", "shell",
			 &env, NULL, NULL);
	ok(&S, "ports");
	MT_CHECK(strstr(line, "list=net_ringA:0:1,net_ringB:1:1") != NULL, "ports: %s", line);
	err(&S, "EINVAL", "claim net_ringB rx 0");

	ok(&P, "setup net_ringA 2 2 pp");
	ok(&P, "setup net_ringB 2 2 pp");
	ok(&P, "claim net_ringA tx 0");
	ok(&P, "claim net_ringA rx 1");
	/* the announcement reaches the secondary: its handles exist, it claims */
	until(&S, "info net_ringB", "rxq", 2);
	ok(&S, "claim net_ringB rx 0");
	ok(&S, "claim net_ringB tx 1");
	err(&P, "EBUSY", "claim net_ringB rx 0");

	/* primary -> secondary */
	expect(&P, "tx net_ringA 0 200 100 pp 7", "sent", 200);
	ok(&S, "rx net_ringB 0 200 5000 7");
	MT_CHECK(mt_field_ll(line, "received") == 200 && mt_field_ll(line, "bad") == 0 &&
			 mt_field_ll(line, "bytes") == 20000,
		 "secondary rx: %s", line);

	/* secondary -> primary, from the same pool */
	expect(&S, "tx net_ringB 1 150 300 pp 9", "sent", 150);
	ok(&P, "rx net_ringA 1 150 5000 9");
	MT_CHECK(mt_field_ll(line, "received") == 150 && mt_field_ll(line, "bad") == 0 &&
			 mt_field_ll(line, "bytes") == 45000,
		 "primary rx: %s", line);

	/* a third process, of the first program, reads the same counters */
	mt_start_program(&S3, "third-a", mt_getenv_path("MPDP_TEST_DRV_A"), "secondary", "shell",
			 &env, NULL, NULL);
	struct mt_proc *all[] = { &P, &S, &S3 };
	stats_agree(all, 3, "net_ringA", 150, 45000, 200, 20000);
	stats_agree(all, 3, "net_ringB", 200, 20000, 150, 45000);
	expect(&S3, "inuse pp", "in_use", 0);

	/* 2. full ring: 256 fit, the sender keeps the rest (it frees them after 3 s) */
	expect(&P, "tx net_ringA 0 300 64 pp 11", "sent", 256);
	for (unsigned int i = 0; i < 3; i++) {
		struct mt_proc *p = all[i];

		expect(p, "xstat net_ringB rx_q0_ring_count", "value", 256);
		ok(p, "xstat net_ringA tx_q0_ring_full");
		MT_CHECK(mt_field_ll(line, "value") >= 44, "%s: ring_full: %s", p->label, line);
	}
	ok(&S, "rx net_ringB 0 256 5000 11");
	MT_CHECK(mt_field_ll(line, "received") == 256 && mt_field_ll(line, "bad") == 0,
		 "secondary rx after full: %s", line);
	expect(&S3, "xstat net_ringB rx_q0_ring_count", "value", 0);
	expect(&P, "inuse pp", "in_use", 0);

	mt_stop(&S3, T);
	mt_stop(&S, T);
	/* the secondary's claims went with it: the primary may close */
	ok(&P, "stop net_ringA");
	ok(&P, "stop net_ringB");
	ok(&P, "close net_ringB");
	ok(&P, "close net_ringA");
	mt_stop(&P, T);
	mt_proc_fini(&S3);
	mt_proc_fini(&S);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

static unsigned int count_lines(const char *text, const char *a, const char *b)
{
	unsigned int n = 0;

	while (text != NULL && *text != '\0') {
		const char *end = strchr(text, '\n');
		size_t len = end != NULL ? (size_t)(end - text) : strlen(text);
		char l[1024];

		snprintf(l, sizeof(l), "%.*s", (int)(len < sizeof(l) ? len : sizeof(l) - 1), text);
		if (strstr(l, a) != NULL && strstr(l, b) != NULL)
			n++;
		text = end != NULL ? end + 1 : NULL;
	}
	return n;
}

static void test_missing_driver(void)
{
	struct mt_proc P, N, S3;
	struct mt_env env;

	mt_env_init(&env, "drvnull");
	mt_start_program(&P, "primary-a", mt_getenv_path("MPDP_TEST_DRV_A"), "primary", "shell",
			 &env, NULL, "--no-pci", "--vdev", "net_null0,size=128", "--vdev",
			 "net_ring0,bytes=1", NULL);
	ok(&P, "pool pp 1024");
	ok(&P, "setup net_null0 1 1 pp");
	ok(&P, "setup net_ring0 1 1 pp");

	mt_start_program(&N, "secondary-null", mt_getenv_path("MPDP_TEST_DRV_NULL"), "secondary",
			 "shell", &env, NULL, NULL);
	ok(&N, "ports");
	MT_CHECK(strstr(line, "list=net_null0:0:1,net_ring0:1:0") != NULL, "ports: %s", line);
	expect(&N, "info net_ring0", "available", 0);
	err(&N, "ENOTSUP", "claim net_ring0 rx 0");
	MT_CHECK(count_lines(mt_stderr(&N), "net_ring0", "unavailable") == 1,
		 "one line should report net_ring0 unavailable; stderr:\n%s", mt_stderr(&N));

	/* the null port works in the secondary: generated packets, tx frees */
	ok(&N, "claim net_null0 rx 0");
	ok(&N, "claim net_null0 tx 0");
	ok(&N, "rx net_null0 0 100 2000 0");
	MT_CHECK(mt_field_ll(line, "received") == 100 && mt_field_ll(line, "bytes") == 12800 &&
			 mt_field_ll(line, "port_ok") == 1,
		 "null rx: %s", line);
	expect(&N, "tx net_null0 0 40 70 pp 1", "sent", 40);
	expect(&N, "inuse pp", "in_use", 0);

	mt_start_program(&S3, "third-b", mt_getenv_path("MPDP_TEST_DRV_B"), "secondary", "shell",
			 &env, NULL, NULL);
	struct mt_proc *all[] = { &P, &N, &S3 };
	stats_agree(all, 3, "net_null0", 100, 12800, 40, 2800);
	/* the ring port still works for those that have the driver */
	ok(&P, "claim net_ring0 tx 0");
	ok(&S3, "claim net_ring0 rx 0");
	expect(&P, "tx net_ring0 0 10 64 pp 3", "sent", 10);
	expect(&S3, "rx net_ring0 0 10 5000 3", "received", 10);
	stats_agree(all, 3, "net_ring0", 10, 640, 10, 640);

	mt_stop(&S3, T);
	mt_stop(&N, T);
	mt_stop(&P, T);
	mt_proc_fini(&S3);
	mt_proc_fini(&N);
	mt_proc_fini(&P);
	mt_env_fini(&env);
}

int main(void)
{
	mt_init("drv_mp", 90);
	test_ring_pair();
	test_missing_driver();
	return mt_done();
}
