/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_app_proc_info.c - mpdp-proc-info against a running, a stopping and a
 * killed primary.
 *
 *  1. On a running mpdp-l2fwd: ports (with their queues' owners), memzones,
 *     rings, mempools and processes are listed; -p filters ports; --all
 *     --json is one valid JSON document; --reset-stats zeroes the counters
 *     that traffic raised.
 *  2. Sampling every 2 ms while the primary stops cleanly (its ports are
 *     stopped and closed under proc-info's reads): no crash, every sample a
 *     valid JSON line, exit 2 with one message once the primary is gone.
 *  3. The same with the primary SIGKILLed.
 *  4. --skipped on a primary that scanned a fake sysfs tree: the devices it
 *     did not use, with their kernel driver and the reason.
 *  5. Churn: a primary (the eth shell of tests/ethdev) configures, starts,
 *     stops, reconfigures, closes and hot-plugs ports in a loop, changes MTU,
 *     MAC and promiscuous mode, while proc-info samples every millisecond:
 *     no crash, every sample valid JSON, exit 2 when the primary quits.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_test.h"

static void run_proc_info(const struct mt_env *env, struct mt_proc *p, const char *label,
			  const char *const *args)
{
	struct mt_argv a;

	at_argv(&a, "proc-info", env, NULL, NULL, NULL);
	for (unsigned int i = 0; args[i] != NULL; i++)
		mt_argv_add(&a, args[i], NULL);
	at_run_expect(p, label, &a, 0, 10000, NULL, NULL, 0);
	mt_argv_fini(&a);
}

static int has_line(const struct mt_proc *p, const char *prefix, const char *needle)
{
	for (unsigned int i = 0; i < p->nb_lines; i++)
		if (strncmp(p->lines[i].text, prefix, strlen(prefix)) == 0 &&
		    (needle == NULL || strstr(p->lines[i].text, needle) != NULL))
			return 1;
	return 0;
}

static void listing(const struct mt_env *env, pid_t l2pid)
{
	static const char *const ports[] = { "--ports", NULL };
	static const char *const ports1[] = { "--ports", "-p", "0x2", NULL };
	static const char *const objs[] = { "--memzones",  "--rings",   "--mempools",
					    "--processes", "--skipped", NULL };
	static const char *const all_json[] = { "--all", "--json", NULL };
	static const char *const json_keys[] = { "\"ports\":[",     "\"queues\":[",
						 "\"stats\":[",     "\"xstats\":[",
						 "\"skipped\":[",   "\"memzones\":[",
						 "\"rings\":[",     "\"mempools\":[",
						 "\"processes\":[", "\"errors\":[]" };
	struct mt_proc p;
	char want[128];

	run_proc_info(env, &p, "ports", ports);
	MT_CHECK(at_count_lines(&p, "port ") == 4, "want 4 port lines, got %u",
		 at_count_lines(&p, "port "));
	MT_CHECK(has_line(&p, "port id=0 ", "name=net_ring0 driver=net_ring"),
		 "port 0 is not net_ring0");
	MT_CHECK(has_line(&p, "port id=3 ", "state=started available=1"),
		 "port 3 is not started and available");
	snprintf(want, sizeof(want), "claimed=1 owner_proc=0 owner_pid=%d", (int)l2pid);
	MT_CHECK(has_line(&p, "queue port=0 dir=rx id=0 ", want),
		 "port 0 rx queue 0 is not l2fwd's (%s)", want);
	MT_CHECK(has_line(&p, "queue port=2 dir=tx id=0 ", "claimed=0"),
		 "port 2 tx queue 0 should be free");
	mt_proc_fini(&p);

	run_proc_info(env, &p, "ports-p", ports1);
	MT_CHECK(at_count_lines(&p, "port ") == 1 && has_line(&p, "port id=1 ", NULL),
		 "-p 0x2: want only port 1");
	mt_proc_fini(&p);

	run_proc_info(env, &p, "objects", objs);
	MT_CHECK(has_line(&p, "memzone name=mpdp.ethdev ", NULL), "no mpdp.ethdev memzone");
	MT_CHECK(has_line(&p, "ring name=net_ring0.rx0 ", "capacity="), "no ring net_ring0.rx0");
	snprintf(want, sizeof(want), "mempool name=l2fwd.%d ", (int)l2pid);
	MT_CHECK(has_line(&p, want, "broken=0"), "no mempool l2fwd.%d", (int)l2pid);
	snprintf(want, sizeof(want), "process id=0 pid=%d type=primary name=mpdp-l2fwd ",
		 (int)l2pid);
	MT_CHECK(has_line(&p, want, NULL), "the primary is not listed as %s", want);
	MT_CHECK(has_line(&p, "process ", "type=secondary name=mpdp-proc-info") &&
			 has_line(&p, "process ", "self=1"),
		 "proc-info does not list itself");
	mt_proc_fini(&p);

	run_proc_info(env, &p, "all-json", all_json);
	MT_CHECK(p.nb_lines == 1, "--json: want one line, got %u", p.nb_lines);
	if (p.nb_lines == 1) {
		int v = at_json_valid(p.lines[0].text);

		MT_CHECK(v != 0, "--all --json is not valid JSON");
		if (v < 0)
			mt_log("python3 missing: JSON validity not checked");
		for (unsigned int k = 0; k < AT_DIM(json_keys); k++)
			MT_CHECK(strstr(p.lines[0].text, json_keys[k]) != NULL,
				 "--all --json lacks %s", json_keys[k]);
	}
	mt_proc_fini(&p);
}

static void reset(const struct mt_env *env)
{
	static const char *const stats[] = { "--stats", NULL };
	static const char *const rst[] = { "--reset-stats", NULL };
	struct mt_proc p, g;
	struct mt_argv a;
	const char *l;

	at_argv(&a, "pktgen", env, NULL, NULL, "--tx-port", "2", "--rx-port", "3", "--count", "500",
		"--rate", "20000", "--idle-us", "20", NULL);
	at_run_expect(&g, "pktgen", &a, 0, 20000, NULL, NULL, 0);
	mt_argv_fini(&a);
	mt_proc_fini(&g);

	run_proc_info(env, &p, "stats", stats);
	l = at_line(&p, "stats port=3 ", 0);
	MT_ASSERT(l != NULL, "no stats line for port 3");
	MT_CHECK(mt_field_ull(l, "ipackets") == 500, "port 3 ipackets: %s", l);
	mt_proc_fini(&p);

	run_proc_info(env, &p, "reset", rst);
	MT_CHECK(at_count_lines(&p, "reset port=") == 4, "want 4 reset lines");
	mt_proc_fini(&p);

	run_proc_info(env, &p, "stats-after", stats);
	for (unsigned int port = 0; port < 4; port++) {
		l = at_line(&p, "stats port=", port);
		MT_ASSERT(l != NULL, "no stats line %u", port);
		MT_CHECK(mt_field_ull(l, "ipackets") == 0 && mt_field_ull(l, "opackets") == 0,
			 "after --reset-stats: %s", l);
	}
	mt_proc_fini(&p);
}

/* Sample fast while the primary goes away (stop == 0: SIGINT, else SIGKILL). */
static void primary_goes(const struct mt_env *env, struct mt_proc *l2, int sig)
{
	struct mt_proc p;
	struct mt_argv a;
	int bad;

	/* as fast as it goes, over the ports, the shared objects and the processes */
	at_argv(&a, "proc-info", env, NULL, NULL, "--ports", "--stats", "--rings", "--mempools",
		"--processes", "--json", "--interval", "0.002", "--count", "0", NULL);
	mt_spawn(&p, sig == SIGKILL ? "sampler-kill" : "sampler-stop", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&p, "{", NULL, 0, 10000) == 1, "proc-info printed no sample");
	mt_sleep_ms(100);
	mt_kill(l2, sig);
	MT_ASSERT(mt_wait_exit(&p, 10000) == 0, "proc-info outlived its primary by 10 s");
	MT_CHECK(mt_exit_code(&p) == 2, "proc-info after the primary left: %s, want exit 2",
		 mt_status_str(&p));
	MT_CHECK(strstr(mt_stderr(&p), "primary exited") != NULL,
		 "proc-info did not say the primary exited: %s", mt_stderr(&p));
	bad = at_json_lines_invalid(&p);
	MT_CHECK(bad <= 0, "%d of %u samples are not valid JSON", bad, p.nb_lines);
	mt_log("%u samples while the primary %s", p.nb_lines,
	       sig == SIGKILL ? "was killed" : "stopped");
	MT_ASSERT(mt_wait_exit(l2, 10000) == 0, "the primary did not exit");
	if (sig == SIGINT)
		MT_CHECK(mt_exit_code(l2) == 0, "l2fwd: %s", mt_status_str(l2));
	mt_proc_fini(&p);
	mt_proc_fini(l2);
}

/* A clean primary run recovers a runtime directory a killed primary left. */
static void recover(const struct mt_env *env)
{
	struct mt_proc p;
	struct mt_argv a;

	at_argv(&a, "l2fwd", env, "primary", at_ring_quad, "--duration", "0.1", NULL);
	at_run_expect(&p, "recover", &a, 0, 10000, NULL, NULL, 0);
	mt_argv_fini(&a);
	mt_proc_fini(&p);
}

static void skipped(void)
{
	static const char *const args[] = { "--skipped", NULL };
	const char *mk = getenv("MPDP_MKFAKESYSFS");
	char top[] = "/tmp/mpdp-test-sysfs-XXXXXX", root[64], cmd[512];
	struct mt_env env;
	struct mt_proc l2, p;
	struct mt_argv a;
	const char *l;

	if (mk == NULL || system("command -v python3 >/dev/null 2>&1") != 0) {
		mt_log("skipped: no mkfakesysfs.py or python3, left out");
		return;
	}
	MT_ASSERT(mkdtemp(top) != NULL, "mkdtemp failed");
	snprintf(root, sizeof(root), "%s/sys", top);
	snprintf(cmd, sizeof(cmd),
		 "python3 %s --root %s --dev 0000:00:03.0,1af4,1000,020000,virtio-pci "
		 "--dev 0000:00:0c.0,1af4,1041,020000,",
		 mk, root);
	MT_ASSERT(system(cmd) == 0, "%s failed", cmd);

	mt_env_init(&env, "skipped");
	mt_argv_init(&a, at_bin("l2fwd"));
	mt_argv_runtime(&a, &env, "primary", 0);
	mt_argv_add(&a, "--mem", "64M", "--sysfs-root", root, NULL);
	for (unsigned int i = 0; at_ring_quad[i] != NULL; i++)
		mt_argv_add(&a, at_ring_quad[i], NULL);
	mt_argv_add(&a, "--", "-p", "0x3", "--idle-us", "20", NULL);
	mt_spawn(&l2, "l2fwd", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&l2, "ready ", NULL, 0, 10000) == 1, "l2fwd did not start: %s",
		  mt_stderr(&l2));

	run_proc_info(&env, &p, "skipped", args);
	MT_CHECK(at_count_lines(&p, "skipped ") == 2, "want 2 skipped lines, got %u",
		 at_count_lines(&p, "skipped "));
	l = at_line(&p, "skipped bus=pci name=0000:00:03.0 ", 0);
	MT_CHECK(l != NULL && strstr(l, "id=1af4:1000 class=0x020000 kdrv=virtio-pci reason=\"") &&
			 strstr(l, "virtio-pci"),
		 "00:03.0: %s", l ? l : "(missing)");
	l = at_line(&p, "skipped bus=pci name=0000:00:0c.0 ", 0);
	MT_CHECK(l != NULL && strstr(l, "kdrv=\"\" reason=\""), "00:0c.0: %s", l ? l : "(missing)");
	mt_proc_fini(&p);

	mt_kill(&l2, SIGTERM);
	mt_expect_exit(&l2, 0, 10000);
	mt_proc_fini(&l2);
	mt_env_fini(&env);
	mt_rmtree(top);
}

static void churn(void)
{
	const char *shell = getenv("MPDP_TEST_ETH_A");
	struct mt_env env;
	struct mt_proc pri, p;
	struct mt_ready r;
	struct mt_argv a;
	char line[1024];
	int bad;

	if (shell == NULL || access(shell, X_OK) != 0) {
		mt_log("churn: no eth shell (%s), skipped", shell ? shell : "unset");
		return;
	}
	mt_env_init(&env, "churn");
	mt_start_program(&pri, "primary", shell, "primary", "shell", &env, &r, "--no-pci", "--vdev",
			 "net_ring0", "--vdev", "net_ring1", NULL);
	mt_cmd_ok(&pri, line, sizeof(line), 10000, "pool p0 1024");

	at_argv(&a, "proc-info", &env, NULL, NULL, "--all", "--json", "--interval", "0.001",
		"--count", "0", NULL);
	mt_spawn(&p, "sampler-churn", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&p, "{", NULL, 0, 10000) == 1, "proc-info printed no sample");
	for (int round = 0; round < 40; round++) {
		unsigned int nq = 1 + (unsigned int)round % 2;

		/* net_ring ports have one queue unless queues=N: errors are fine too */
		mt_cmd(&pri, line, sizeof(line), 10000, "configure 0 %u %u", nq, nq);
		mt_cmd(&pri, line, sizeof(line), 10000, "configure 0 1 1");
		mt_cmd_ok(&pri, line, sizeof(line), 10000, "rxq 0 0 256 p0");
		mt_cmd_ok(&pri, line, sizeof(line), 10000, "txq 0 0 256");
		mt_cmd_ok(&pri, line, sizeof(line), 10000, "start 0");
		mt_sleep_ms(1); /* let a few samples see each state */
		mt_cmd(&pri, line, sizeof(line), 10000, "tx 0 0 8 64 p0");
		mt_cmd_ok(&pri, line, sizeof(line), 10000, "stop 0");
		mt_cmd(&pri, line, sizeof(line), 10000, "mtu 0 %u", 1000 + round);
		mt_cmd(&pri, line, sizeof(line), 10000, "promisc 0 %d", round % 2);
		mt_cmd(&pri, line, sizeof(line), 10000, "mac 0 02:00:00:00:01:%02x", round);
		mt_cmd(&pri, line, sizeof(line), 10000, "reset 0");
		mt_cmd_ok(&pri, line, sizeof(line), 10000, "close 0");
		mt_sleep_ms(1);
		mt_cmd_ok(&pri, line, sizeof(line), 10000, "hotplug net_ring0");
	}
	mt_stop(&pri, 10000);
	MT_ASSERT(mt_wait_exit(&p, 10000) == 0, "proc-info outlived its primary by 10 s");
	MT_CHECK(mt_exit_code(&p) == 2, "proc-info after the churn: %s, want exit 2",
		 mt_status_str(&p));
	bad = at_json_lines_invalid(&p);
	MT_CHECK(bad <= 0, "%d of %u samples are not valid JSON", bad, p.nb_lines);
	mt_log("%u samples during the churn", p.nb_lines);
	mt_proc_fini(&p);
	mt_proc_fini(&pri);
	mt_env_fini(&env);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc l2;

	mt_init("app_proc_info", 90);
	mt_env_init(&env, "pinfo");

	at_start_l2fwd(&l2, &env, at_ring_quad, NULL, "-p", "0x3", "--idle-us", "20", NULL);
	listing(&env, l2.pid);
	reset(&env);
	primary_goes(&env, &l2, SIGINT);

	at_start_l2fwd(&l2, &env, at_ring_quad, NULL, "-p", "0x3", "--idle-us", "20", NULL);
	primary_goes(&env, &l2, SIGKILL);
	recover(&env);
	mt_env_fini(&env);

	skipped();
	churn();
	return mt_done();
}
