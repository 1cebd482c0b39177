/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_000_secondary_probe.c - field report 000 (../shared/seeds/000_*.txt):
 * a secondary probed a NIC the primary never created and dereferenced NULL.
 *
 * The report's machine, as a sysfs tree: five virtio-net NICs (1af4:1000)
 * at 00:03.0, 00:04.0, 00:09.0, 00:0a.0 and 00:0b.0; 00:03.0, the
 * management NIC, bound to virtio-pci, the other four to igb_uio (and one
 * variant with uio_pci_generic mixed in). mpdp-l2fwd is the primary and
 * creates four ports (net_virtio, on the file-backed legacy devices of
 * tests/lib/mkfakesysfs.py); mpdp-proc-info, a different program, is the
 * secondary.
 *
 * What must hold:
 *  - the primary skips 00:03.0 with one line naming it, its ids and its
 *    kernel driver, and records it; it creates exactly four ports;
 *  - proc-info started before the primary exits 1 with one error line;
 *  - proc-info started over and over while the primary starts up, sets up
 *    its ports and forwards never crashes: each run exits 0 or 1, and every
 *    run that attached saw either no port table yet or all four ports;
 *  - after set-up it reports four ports by PCI address and the skipped
 *    management NIC with its kernel driver and reason, as text and JSON;
 *  - a proc-info polling in a loop while the primary is killed exits
 *    cleanly (no signal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "app_test.h"

static const char *const nics[] = { "0000:00:04.0", "0000:00:09.0", "0000:00:0a.0",
				    "0000:00:0b.0" };

static void make_tree(const char *root, int mixed)
{
	char cmd[2048];
	int rc;

	if (mixed)
		snprintf(cmd, sizeof(cmd),
			 "'%s' '%s' --root '%s' "
			 "--dev 0000:00:03.0,1af4,1000,020000,virtio-pci "
			 "--dev 0000:00:04.0,1af4,1000,020000,igb_uio,uio=0 "
			 "--dev 0000:00:09.0,1af4,1000,020000,uio_pci_generic,uio=1 "
			 "--dev 0000:00:0a.0,1af4,1000,020000,igb_uio,uio=2 "
			 "--dev 0000:00:0b.0,1af4,1000,020000,uio_pci_generic,uio=3",
			 mt_getenv_path("MPDP_PYTHON"), mt_getenv_path("MPDP_MKFAKESYSFS"), root);
	else
		snprintf(cmd, sizeof(cmd), "'%s' '%s' --root '%s' --preset field-report-000",
			 mt_getenv_path("MPDP_PYTHON"), mt_getenv_path("MPDP_MKFAKESYSFS"), root);
	rc = system(cmd);
	MT_ASSERT(rc == 0, "mkfakesysfs failed (%d): %s", rc, cmd);
}

/* One proc-info run; returns its exit code (a signal fails the test). */
static int proc_info_once(const struct mt_env *env, const char *label, char *out, size_t size)
{
	struct mt_argv a;
	struct mt_proc p;
	int code;

	at_argv(&a, "proc-info", env, "secondary", NULL, "--ports", "--skipped", "--json", NULL);
	mt_spawn(&p, label, &a);
	MT_ASSERT(mt_wait_exit(&p, 10000) == 0, "%s hangs", label);
	MT_CHECK(mt_exit_signal(&p) == 0, "%s crashed: %s\n%s", label, mt_status_str(&p),
		 mt_stderr(&p));
	code = mt_exit_code(&p);
	MT_CHECK(code == 0 || code == 1, "%s: exit %d", label, code);
	if (out != NULL) {
		out[0] = '\0';
		(void)mt_read_line(&p, out, size, 0);
	}
	mt_argv_fini(&a);
	mt_proc_fini(&p);
	return code;
}

static void check_report(const char *doc, int must_have_ports)
{
	int ports = 0;

	for (const char *s = doc; (s = strstr(s, "\"driver\":\"net_virtio\"")) != NULL; s++)
		ports++;
	if (!must_have_ports && strstr(doc, "\"ports\":[]") != NULL)
		return; /* attached before the port table was filled: fine, nothing invented */
	MT_CHECK(ports == 4 || (!must_have_ports && ports == 0),
		 "proc-info saw %d ports, not 4: %s", ports, doc);
	if (ports != 4)
		return;
	for (unsigned int i = 0; i < AT_DIM(nics); i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"name\":\"%s\"", nics[i]);
		MT_CHECK(strstr(doc, want) != NULL, "port %s missing: %s", nics[i], doc);
	}
	MT_CHECK(strstr(doc, "\"name\":\"0000:00:03.0\",\"driver\"") == NULL,
		 "the management NIC became a port: %s", doc);
	MT_CHECK(strstr(doc, "\"skipped\":[{\"bus\":\"pci\",\"name\":\"0000:00:03.0\"") != NULL &&
			 strstr(doc, "\"kdrv\":\"virtio-pci\"") != NULL,
		 "the management NIC is not reported skipped with its kernel driver: %s", doc);
}

/* mpdp-l2fwd as the primary on the tree (at_argv would add --no-pci) */
static void l2fwd_argv(struct mt_argv *a, const struct mt_env *env, const char *root,
		       const char *o1, const char *o2)
{
	mt_argv_init(a, at_bin("l2fwd"));
	mt_argv_runtime(a, env, "primary", 0);
	mt_argv_add(a, "--mem", "64M", "--sysfs-root", root, "--", o1, o2, NULL);
}

static void run(int mixed)
{
	struct mt_env env;
	struct mt_proc primary, poller, sampler;
	struct mt_argv a;
	char root[512], out[16384], ready[256];
	int attached = 0, runs = 0;

	mt_env_init(&env, mixed ? "r000m" : "r000");
	snprintf(root, sizeof(root), "%s/sysfs", env.root);
	make_tree(root, mixed);

	/* before the primary: a clean refusal */
	MT_CHECK(proc_info_once(&env, "proc-info-before", NULL, 0) == 1,
		 "proc-info without a primary must exit 1");

	/* during: the primary starts; proc-info runs back to back meanwhile */
	l2fwd_argv(&a, &env, root, "-T", "0");
	mt_spawn(&primary, "l2fwd", &a);
	mt_argv_fini(&a);
	/* a sampler that attaches as early as it can and samples through set-up */
	for (int tries = 0;; tries++) {
		at_argv(&a, "proc-info", &env, "secondary", NULL, "--ports", "--skipped", "--json",
			"--interval", "0.002", "--count", "0", NULL);
		mt_spawn(&sampler, "proc-info-sampler", &a);
		mt_argv_fini(&a);
		if (mt_wait_line(&sampler, "{", out, sizeof(out), 2000) == 1)
			break;
		MT_ASSERT(mt_wait_exit(&sampler, 5000) == 0, "a sampler that never attached hangs");
		MT_CHECK(mt_exit_signal(&sampler) == 0, "sampler crashed: %s", mt_status_str(&sampler));
		mt_proc_fini(&sampler);
		MT_ASSERT(tries < 200, "no sampler could attach");
	}
	for (;;) {
		int code = proc_info_once(&env, "proc-info-during", out, sizeof(out));

		runs++;
		if (code == 0) {
			attached++;
			check_report(out, 0);
		}
		if (mt_wait_line(&primary, "ready", ready, sizeof(ready), 0) == 1)
			break;
		MT_ASSERT(runs < 2000, "l2fwd never became ready: %s", mt_stderr(&primary));
	}
	mt_log("%d proc-info runs during start-up, %d attached", runs, attached);
	mt_sleep_ms(100);
	mt_kill(&sampler, 15);
	mt_expect_exit(&sampler, 0, 10000);
	{
		unsigned int samples = 0;

		for (unsigned int i = 0; i < sampler.nb_lines; i++) {
			if (sampler.lines[i].text[0] != '{')
				continue;
			samples++;
			check_report(sampler.lines[i].text, 0);
		}
		MT_CHECK(at_json_lines_invalid(&sampler) <= 0, "sampler printed invalid JSON");
		mt_log("the sampler took %u samples across the primary's set-up", samples);
	}
	mt_proc_fini(&sampler);

	/* the primary's own account: one skip line naming the NIC, ids, driver */
	MT_CHECK(strstr(mt_stderr(&primary), "skipping 0000:00:03.0 (1af4:1000, kernel driver "
					     "virtio-pci)") != NULL,
		 "no skip line for the management NIC: %s", mt_stderr(&primary));
	MT_CHECK(strstr(ready, "ports=4") != NULL, "l2fwd: %s", ready);

	/* after: the full report, text and JSON */
	MT_CHECK(proc_info_once(&env, "proc-info-after", out, sizeof(out)) == 0,
		 "proc-info after set-up failed");
	check_report(out, 1);
	at_argv(&a, "proc-info", &env, "secondary", NULL, "--ports", "--skipped", NULL);
	at_run_expect(&poller, "proc-info-text", &a, 0, 10000, "skipped", out, sizeof(out));
	MT_CHECK(strstr(out, "name=0000:00:03.0") && strstr(out, "id=1af4:1000") &&
			 strstr(out, "kdrv=virtio-pci"),
		 "text report of the skipped NIC: %s", out);
	MT_CHECK(at_count_lines(&poller, "port ") == 4, "text report: %u ports",
		 at_count_lines(&poller, "port "));
	mt_argv_fini(&a);
	mt_proc_fini(&poller);

	/* the primary dies under a polling secondary: clean exit, no crash */
	at_argv(&a, "proc-info", &env, "secondary", NULL, "--all", "--interval", "0.05", "--count",
		"0", NULL);
	mt_spawn(&poller, "proc-info-loop", &a);
	mt_argv_fini(&a);
	mt_sleep_ms(300);
	mt_kill(&primary, 9);
	MT_ASSERT(mt_wait_exit(&poller, 10000) == 0, "proc-info kept running after the primary died");
	MT_CHECK(mt_exit_signal(&poller) == 0, "proc-info crashed when the primary died: %s",
		 mt_status_str(&poller));
	MT_CHECK(mt_exit_code(&poller) != 0, "proc-info must report the primary's death");
	mt_proc_fini(&poller);
	mt_proc_fini(&primary);

	/* the next primary recovers what the killed one left, and leaves cleanly */
	l2fwd_argv(&a, &env, root, "--duration", "1");
	at_run_expect(&primary, "l2fwd-recover", &a, 0, 20000, NULL, NULL, 0);
	mt_argv_fini(&a);
	mt_proc_fini(&primary);
	mt_rmtree(root);
	mt_env_fini(&env);
}

int main(void)
{
	mt_init("regress_000_secondary_probe", 120);
	run(0);
	run(1);
	return mt_done();
}
