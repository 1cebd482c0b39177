/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_bad_options.c - the real binaries refuse bad runtime options.
 *
 * Each bad option, given to mpdp-test-primary and to mpdp-test-secondary
 * (as primary, secondary and auto): the program exits non-zero (no signal),
 * prints exactly one stderr line naming the option and the value, and
 * leaves nothing behind: the runtime directory it was given does not even
 * get created. --help exits 0 and creates nothing either.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "mpdp_test.h"

struct bad {
	const char *args[3]; /* the option, its value (or NULL) */
	const char *name;    /* must appear in the error line */
	const char *value;   /* must appear too (NULL: none) */
};

static const struct bad cases[] = {
	{ { "--proc-type", "bogus" }, "--proc-type", "bogus" },
	{ { "--proc-type=bogus" }, "--proc-type", "bogus" },
	{ { "--mem", "abc" }, "--mem", "abc" },
	{ { "--mem", "1M" }, "--mem", "1M" },
	{ { "--mem", "100G" }, "--mem", "100G" },
	{ { "-l", "99999" }, "-l", "99999" }, /* named --lcores: contains "-l" */
	{ { "--lcores", "0,0" }, "--lcores", "0,0" },
	{ { "--lcores", "1-0" }, "--lcores", "1-0" },
	{ { "--prefix", "a/b" }, "--prefix", "a/b" },
	{ { "--prefix", ".hidden" }, "--prefix", ".hidden" },
	{ { "--foo" }, "--foo", NULL },
	{ { "--foo=bar" }, "--foo=bar", NULL },
	{ { "--log-level", "loud" }, "--log-level", "loud" },
	{ { "--runtime-dir", "relative/dir" }, "--runtime-dir", "relative/dir" },
	{ { "--group", "no-such-group-mpdp" }, "--group", "no-such-group-mpdp" },
	{ { "--mem" }, "--mem", NULL }, /* no value before "--" */
};

static void run_case(const struct mt_env *env, const char *subdir, const char *bin,
		     const char *type, const struct bad *c)
{
	struct mt_proc p;
	struct mt_argv a;
	char label[64], left[4096];
	const char *err;

	mt_argv_init(&a, bin);
	mt_argv_add(&a, "--proc-type", type, "--prefix", env->prefix, "--runtime-dir", subdir,
		    "--no-huge", NULL);
	for (int i = 0; i < 2 && c->args[i] != NULL; i++)
		mt_argv_add(&a, c->args[i], NULL);
	mt_argv_add(&a, "--", strstr(bin, "primary") ? "serve" : "check-mz", NULL);
	snprintf(label, sizeof(label), "%s", type);
	mt_spawn(&p, label, &a);
	mt_wait_exit(&p, 10000);
	err = mt_stderr(&p);
	MT_CHECK(p.exited && mt_exit_code(&p) > 0, "%s: %s, want a non-zero exit", mt_argv_str(&a),
		 mt_status_str(&p));
	MT_CHECK(mt_stderr_lines(&p) == 1, "%s: %u stderr lines, want 1:\n%s", mt_argv_str(&a),
		 mt_stderr_lines(&p), err);
	MT_CHECK(strstr(err, c->name) != NULL &&
			 (c->value == NULL || strstr(err, c->value) != NULL),
		 "%s: the error does not name '%s' and '%s': %s", mt_argv_str(&a), c->name,
		 c->value ? c->value : "", err);
	MT_CHECK(mt_leftovers(env->root, left, sizeof(left)) == 0, "%s: left behind: %s",
		 mt_argv_str(&a), left);
	mt_argv_fini(&a);
	mt_proc_fini(&p);
}

int main(void)
{
	static const char *const types[] = { "primary", "secondary", "auto" };
	struct mt_env env;
	struct mt_proc p;
	struct mt_argv a;
	char subdir[256], left[4096];
	struct stat st;

	mt_init("bad_options", 25);
	mt_env_init(&env, "badopt");
	/* a runtime directory that does not exist: it must not be created */
	snprintf(subdir, sizeof(subdir), "%s/rt", env.root);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&env, subdir, mt_primary_bin(), "primary", &cases[i]);
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			run_case(&env, subdir, mt_secondary_bin(), types[t], &cases[i]);
	}
	MT_CHECK(stat(subdir, &st) != 0 && errno == ENOENT, "%s was created", subdir);

	/* --help: usage on stdout, exit 0, nothing created */
	mt_argv_init(&a, mt_primary_bin());
	mt_argv_add(&a, "--prefix", env.prefix, "--runtime-dir", subdir, "--help", "--", "serve",
		    NULL);
	mt_spawn(&p, "help", &a);
	mt_argv_fini(&a);
	MT_CHECK(mt_wait_line(&p, "Runtime options", NULL, 0, 10000) == 1,
		 "--help printed no usage");
	mt_expect_exit(&p, 0, 10000);
	MT_CHECK(mt_stderr_lines(&p) == 0, "--help wrote to stderr: %s", mt_stderr(&p));
	mt_proc_fini(&p);
	MT_CHECK(mt_leftovers(env.root, left, sizeof(left)) == 0, "--help left: %s", left);
	return mt_done();
}
