/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_app_cli.c - the tools' command lines.
 *
 *  1. --help, before or after "--", exits 0 and prints the runtime's options
 *     and the tool's own.
 *  2. A bad tool option exits 1 with exactly one line on stderr naming it,
 *     before any runtime is started (no primary needed, nothing left behind).
 *  3. A bad runtime option exits 1 with one line.
 *  4. The secondaries, with no primary running, exit 1 with one line.
 *  5. mpdp-l2fwd refuses an odd number of ports and leaves nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_test.h"

struct help_case {
	const char *tool;
	const char *words[6];
};

static const struct help_case help_cases[] = {
	{ "l2fwd",
	  { "--portmask", "--queues", "--poll-queues", "--config", "--mac-rewrite", NULL } },
	{ "proc-info", { "--stats", "--xstats", "--skipped", "--rings", "--json", NULL } },
	{ "mp-worker", { "--mode", "--rx-port", "--queue", "--tx-port", "--count", NULL } },
	{ "pktgen", { "--tx-port", "--rx-port", "--size", "--flows", "--drain-ms", NULL } },
};

static void check_help(const struct mt_env *env, const struct help_case *c, int after)
{
	struct mt_proc p;
	struct mt_argv a;
	char label[64];
	size_t len = 0;
	char *all;

	if (after)
		at_argv(&a, c->tool, env, NULL, NULL, "--help", NULL);
	else {
		mt_argv_init(&a, at_bin(c->tool));
		mt_argv_add(&a, "--help", NULL);
	}
	snprintf(label, sizeof(label), "%s-help%s", c->tool, after ? "-after" : "");
	at_run_expect(&p, label, &a, 0, 5000, NULL, NULL, 0);
	mt_argv_fini(&a);
	for (unsigned int i = 0; i < p.nb_lines; i++)
		len += strlen(p.lines[i].text) + 1;
	all = calloc(1, len + 1);
	MT_ASSERT(all != NULL, "out of memory");
	for (unsigned int i = 0; i < p.nb_lines; i++) {
		strcat(all, p.lines[i].text);
		strcat(all, "\n");
	}
	MT_CHECK(strstr(all, "--prefix") != NULL, "%s: the help does not show the runtime options",
		 label);
	for (unsigned int i = 0; c->words[i] != NULL; i++)
		MT_CHECK(strstr(all, c->words[i]) != NULL, "%s: the help does not mention %s",
			 label, c->words[i]);
	MT_CHECK(mt_stderr_lines(&p) == 0, "%s: stderr is not empty: %s", label, mt_stderr(&p));
	free(all);
	mt_proc_fini(&p);
}

/* tool, then its arguments after "--", then a word the error line must hold */
struct bad_case {
	const char *tool;
	const char *args[6];
	const char *needle;
};

static const struct bad_case bad_cases[] = {
	{ "l2fwd", { "--bogus", NULL }, "--bogus" },
	{ "l2fwd", { "--burst", "0", NULL }, "--burst" },
	{ "l2fwd", { "-p", "0xzz", NULL }, "-p" },
	{ "l2fwd", { "--queues", "17", NULL }, "--queues" },
	{ "l2fwd", { "-q", "2", "--poll-queues", "3", NULL }, "--poll-queues" },
	{ "l2fwd", { "--config", "(0,0", NULL }, "--config" },
	{ "l2fwd", { "--burst", NULL }, "--burst" },
	{ "l2fwd", { "extra", NULL }, "extra" },
	{ "proc-info", { "--bogus", NULL }, "--bogus" },
	{ "proc-info", { "--count", "x", NULL }, "--count" },
	{ "proc-info", { "-p", "0", NULL }, "-p" },
	{ "mp-worker", { "--mode", "nope", "--rx-port", "0", NULL }, "--mode" },
	{ "mp-worker", { "--mode", "fwd", NULL }, "--rx-port" },
	{ "mp-worker", { "--rx-port", "99", NULL }, "--rx-port" },
	{ "mp-worker", { "--rx-port", "0", "--tx-port", "1", NULL }, "--tx-port" },
	{ "pktgen", { NULL }, "--tx-port" },
	{ "pktgen", { "--tx-port", "0", "--size", "59", NULL }, "--size" },
	{ "pktgen", { "--tx-port", "0", "--size", "9001", NULL }, "--size" },
	{ "pktgen", { "--tx-port", "0", "--flows", "0", NULL }, "--flows" },
	{ "pktgen", { "--tx-port", "0", "--rate", "-1", NULL }, "--rate" },
};

static void check_bad(const struct mt_env *env, const struct bad_case *c, unsigned int idx)
{
	struct mt_proc p;
	struct mt_argv a;
	char label[64];

	at_argv(&a, c->tool, env, NULL, NULL, NULL);
	for (unsigned int i = 0; c->args[i] != NULL; i++)
		mt_argv_add(&a, c->args[i], NULL);
	snprintf(label, sizeof(label), "%s-bad%u", c->tool, idx);
	at_run_expect(&p, label, &a, 1, 5000, NULL, NULL, 0);
	MT_CHECK(mt_stderr_lines(&p) == 1, "%s (%s): want one error line, got: %s", label,
		 mt_argv_str(&a), mt_stderr(&p));
	MT_CHECK(strstr(mt_stderr(&p), c->needle) != NULL, "%s: the error does not name %s: %s",
		 label, c->needle, mt_stderr(&p));
	MT_CHECK(p.nb_lines == 0, "%s: printed on stdout: %s", label, p.lines[0].text);
	mt_argv_fini(&a);
	mt_proc_fini(&p);
}

int main(void)
{
	static const char *const tools[] = { "l2fwd", "proc-info", "mp-worker", "pktgen" };
	static const char *const bogus_rt[] = { "--bogus-runtime-option", NULL };
	static const char *const one_port[] = { "--vdev", "net_ring0", NULL };
	struct mt_env env;
	struct mt_proc p;
	struct mt_argv a;

	mt_init("app_cli", 60);
	mt_env_init(&env, "cli");

	for (unsigned int i = 0; i < AT_DIM(help_cases); i++) {
		check_help(&env, &help_cases[i], 0);
		check_help(&env, &help_cases[i], 1);
	}
	for (unsigned int i = 0; i < AT_DIM(bad_cases); i++)
		check_bad(&env, &bad_cases[i], i);

	/* a bad runtime option: the runtime's one line */
	for (unsigned int i = 0; i < AT_DIM(tools); i++) {
		/* valid tool options, so that the runtime's parser is the one to complain */
		at_argv(&a, tools[i], &env, NULL, bogus_rt, NULL);
		if (strcmp(tools[i], "mp-worker") == 0)
			mt_argv_add(&a, "--rx-port", "0", NULL);
		else if (strcmp(tools[i], "pktgen") == 0)
			mt_argv_add(&a, "--tx-port", "0", NULL);
		at_run_expect(&p, tools[i], &a, 1, 5000, NULL, NULL, 0);
		MT_CHECK(mt_stderr_lines(&p) == 1 &&
				 strstr(mt_stderr(&p), "--bogus-runtime-option") != NULL,
			 "%s: a bad runtime option: want one line naming it: %s", tools[i],
			 mt_stderr(&p));
		mt_argv_fini(&a);
		mt_proc_fini(&p);
	}

	/* secondaries without a primary */
	at_argv(&a, "proc-info", &env, NULL, NULL, "--all", NULL);
	at_run_expect(&p, "proc-info-alone", &a, 1, 5000, NULL, NULL, 0);
	MT_CHECK(mt_stderr_lines(&p) == 1, "proc-info without primary: want one line: %s",
		 mt_stderr(&p));
	mt_argv_fini(&a);
	mt_proc_fini(&p);
	at_argv(&a, "mp-worker", &env, NULL, NULL, "--rx-port", "0", NULL);
	at_run_expect(&p, "worker-alone", &a, 1, 5000, NULL, NULL, 0);
	MT_CHECK(mt_stderr_lines(&p) == 1, "mp-worker without primary: want one line: %s",
		 mt_stderr(&p));
	mt_argv_fini(&a);
	mt_proc_fini(&p);

	/* l2fwd: ports go in pairs */
	at_argv(&a, "l2fwd", &env, "primary", one_port, NULL);
	at_run_expect(&p, "l2fwd-odd", &a, 1, 10000, NULL, NULL, 0);
	MT_CHECK(strstr(mt_stderr(&p), "even number") != NULL,
		 "l2fwd with one port: the error does not say why: %s", mt_stderr(&p));
	mt_argv_fini(&a);
	mt_proc_fini(&p);

	mt_env_fini(&env);
	return mt_done();
}
