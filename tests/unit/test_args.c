/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_args.c - the runtime's command line (mpdp_init() up to "--").
 *
 * What mpdp_init() returns and what argv + n holds afterwards; --help; every
 * malformed option refused with -EINVAL, exactly one log line naming the
 * option and its value, and nothing created; the option forms the usage text
 * documents (--opt VALUE, --opt=VALUE); init twice; cleanup without init.
 * The device options (--vdev, -a, -b, --sysfs-root, --no-pci): empty,
 * missing and too long values, more than MPDP_MAX_DEV_OPTIONS of one kind,
 * and what mpdp_dev_options_get() returns (their meaning is tested with
 * the bus and ethdev layers).
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit_util.h"

static int count_args(char **argv)
{
	int n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

/* mode bits of DIR/prefix/name ("" for the instance directory), or -errno */
static int mode_of(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/%s", unit_rt.dir, unit_rt.prefix, name);
	if (stat(path, &st) != 0)
		return -errno;
	return (int)(st.st_mode & 07777);
}

static void test_consumed_without_separator(void)
{
	char *argv[] = { "prog",      "--runtime-dir", unit_rt.dir, "--prefix", unit_rt.prefix,
			 "--no-huge", "--proc-type",   "primary",   NULL };
	int argc = count_args(argv), n;
	char *prog = argv[0];
	char expect_dir[256];

	n = mpdp_init(argc, argv);
	CHECK_EQ(n, argc - 1);
	if (n < 0)
		return;
	/* the application parses argc - n arguments from argv + n: just its name */
	CHECK(argc - n == 1);
	CHECK(argv[n] == prog);
	CHECK_EQ(mpdp_proc_type(), MPDP_PROC_PRIMARY);
	CHECK_EQ(mpdp_proc_id(), 0);
	CHECK(mpdp_prefix() != NULL && strcmp(mpdp_prefix(), unit_rt.prefix) == 0);
	snprintf(expect_dir, sizeof(expect_dir), "%s/%s", unit_rt.dir, unit_rt.prefix);
	CHECK(mpdp_runtime_dir() != NULL && strcmp(mpdp_runtime_dir(), expect_dir) == 0);
	/* the files runtime.md promises, and no half-published config */
	CHECK(mode_of("lock") > 0);
	CHECK(mode_of("config") > 0);
	CHECK(mode_of("ipc") > 0);
	CHECK(mode_of("heap.0") > 0);
	CHECK_EQ(mode_of("config.new"), -ENOENT);
	/* no --group: private to the user */
	CHECK_EQ(mode_of(""), 0700);
	CHECK_EQ(mode_of("config"), 0600);
	CHECK_EQ(mode_of("heap.0"), 0600);
	CHECK_EQ(mpdp_primary_alive(), 1);
	CHECK_EQ(mpdp_on_primary_exit(NULL, NULL), -EPERM);

	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
	CHECK(mpdp_prefix() == NULL);
	CHECK(mpdp_runtime_dir() == NULL);
	CHECK_EQ(mpdp_proc_type(), MPDP_PROC_AUTO);
	CHECK_EQ(mpdp_proc_id(), -ENODEV);
	CHECK_EQ(mpdp_primary_alive(), 0);
}

static void test_consumed_with_separator(void)
{
	char *argv[] = { "prog",     "--runtime-dir", unit_rt.dir,
			 "--prefix", unit_rt.prefix,  "--no-huge",
			 "--",       "app-arg",       "--help",
			 NULL };
	int argc = count_args(argv), n;
	char *prog = argv[0];

	/* "--help" after "--" is the application's, not ours */
	n = mpdp_init(argc, argv);
	CHECK_EQ(n, 6); /* the index of "--": options and "--" consumed */
	if (n < 0)
		return;
	CHECK(argc - n == 3);
	CHECK(argv[n] == prog);
	CHECK(strcmp(argv[n + 1], "app-arg") == 0);
	CHECK(strcmp(argv[n + 2], "--help") == 0);
	CHECK(argv[n + 3] == NULL);
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
}

static void test_separator_only(void)
{
	char *argv[] = { "prog",         "--runtime-dir", unit_rt.dir, "--prefix",
			 unit_rt.prefix, "--no-huge",     "--",        NULL };
	int argc = count_args(argv), n;

	n = mpdp_init(argc, argv);
	CHECK_EQ(n, argc - 1);
	if (n < 0)
		return;
	CHECK(argc - n == 1);
	CHECK(strcmp(argv[n], "prog") == 0);
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
}

static void test_help(void)
{
	const char *const forms[][4] = {
		{ "--help", NULL },
		{ "-h", NULL },
		{ "--no-huge", "--help", NULL },
		{ "--help", "--mem", "abc", NULL }, /* help first: nothing else is parsed */
	};

	for (size_t i = 0; i < MPDP_DIM(forms); i++) {
		unit_log_capture();
		CHECK_EQ(unit_init_list(forms[i]), -ECANCELED);
		CHECK_EQ(unit_log_count(), 0);
		unit_log_release();
		CHECK_RT_EMPTY();
		CHECK_EQ(mpdp_proc_type(), MPDP_PROC_AUTO);
	}
	/* the documented helper: help goes to stdout, exit code 0; errors: 1 */
	CHECK_EQ(mpdp_init_failed(-ECANCELED, "  app options: none\n"), 0);
	CHECK_EQ(mpdp_init_failed(-EINVAL, NULL), 1);
	CHECK_EQ(mpdp_init_failed(-ENOENT, "x"), 1);
	fflush(stdout);

	static const char *const documented[] = { "--proc-type",   "--prefix",      "--mem",
						  "--huge",        "--no-huge",     "-l, --lcores",
						  "--log-level",   "--runtime-dir", "--group",
						  "-h, --help",    "--vdev",        "-a, --allow",
						  "-b, --block",   "--no-pci",      "--sysfs-root" };
	for (size_t i = 0; i < MPDP_DIM(documented); i++)
		CHECK(strstr(mpdp_usage(), documented[i]) != NULL);
}

struct bad_case {
	const char *args[5]; /* NULL-terminated */
	const char *opt;     /* the log line names this... */
	const char *value;   /* ...and this (NULL: no value to name) */
};

static void check_bad(const struct bad_case *c)
{
	const struct unit_log_line *l;
	int rc;

	unit_log_capture();
	rc = unit_init_list(c->args);
	unit_log_release();
	if (rc != -EINVAL) {
		fprintf(stderr, "  case: %s %s\n", c->args[0], c->args[1] ? c->args[1] : "");
		CHECK_EQ(rc, -EINVAL);
		if (rc >= 0)
			mpdp_cleanup();
	}
	if (unit_log_count() != 1) {
		fprintf(stderr, "  case: %s %s: %u log lines\n", c->args[0],
			c->args[1] ? c->args[1] : "", unit_log_count());
		unit_log_dump();
		CHECK_EQ(unit_log_count(), 1);
	}
	l = unit_log_get(0);
	if (l != NULL) {
		int ok = l->level == MPDP_LOG_ERR && strcmp(l->component, "eal") == 0 &&
			 strstr(l->message, c->opt) != NULL;
		if (c->value != NULL) {
			char quoted[128];

			/* the value is quoted, so an empty one shows as '' */
			snprintf(quoted, sizeof(quoted), "'%s'", c->value);
			ok = ok && strstr(l->message, quoted) != NULL;
		}
		if (!ok) {
			fprintf(stderr, "  expected a line naming '%s' and '%s', got:\n", c->opt,
				c->value ? c->value : "(none)");
			unit_log_dump();
		}
		CHECK(ok);
	}
	CHECK_RT_EMPTY();
	CHECK_EQ(mpdp_proc_type(), MPDP_PROC_AUTO);
	CHECK(mpdp_runtime_dir() == NULL);
}

static void test_malformed(void)
{
	static const struct bad_case cases[] = {
		{ { "--proc-type", "bogus" }, "--proc-type", "bogus" },
		{ { "--proc-type=bogus" }, "--proc-type", "bogus" },
		{ { "--mem", "abc" }, "--mem", "abc" },
		{ { "--mem", "1K" }, "--mem", "1K" },
		{ { "--mem", "100G" }, "--mem", "100G" },
		{ { "--mem", "64X" }, "--mem", "64X" },
		{ { "--mem", "-64M" }, "--mem", "-64M" },
		{ { "--mem", "99999999999999999999" }, "--mem", "99999999999999999999" },
		{ { "--mem=abc" }, "--mem", "abc" },
		{ { "-l", "99999" }, "lcores", "99999" },
		{ { "-l", "1-0" }, "lcores", "1-0" },
		{ { "-l", "0,0" }, "lcores", "0,0" },
		{ { "-l", "0-1,1" }, "lcores", "0-1,1" },
		{ { "-l", "" }, "lcores", "" },
		{ { "-l", "0," }, "lcores", "0," },
		{ { "-l", "-1" }, "lcores", "-1" },
		{ { "--lcores", "a" }, "lcores", "a" },
		{ { "--prefix", "a/b" }, "--prefix", "a/b" },
		{ { "--prefix", "" }, "--prefix", "" },
		{ { "--prefix=" }, "--prefix", "" },
		{ { "--prefix", ".hidden" }, "--prefix", ".hidden" },
		{ { "--prefix", "0123456789012345678901234567890123456789012345678" },
		  "--prefix",
		  "0123456789012345678901234567890123456789012345678" },
		{ { "--runtime-dir", "relative" }, "--runtime-dir", "relative" },
		{ { "--runtime-dir", "" }, "--runtime-dir", "" },
		{ { "--runtime-dir",
		    "/tmp/0123456789012345678901234567890123456789012345678901234567890123456789abcdefghij" },
		  "--runtime-dir",
		  "/tmp/0123456789012345678901234567890123456789012345678901234567890123456789abcdefghij" },
		{ { "--log-level", "nonsense" }, "--log-level", "nonsense" },
		{ { "--log-level", "eal:nonsense" }, "--log-level", "eal:nonsense" },
		{ { "--log-level", "0" }, "--log-level", "0" },
		{ { "--group", "mpdp-no-such-group-x" }, "--group", "mpdp-no-such-group-x" },
		{ { "--foo" }, "--foo", NULL },
		{ { "-x" }, "-x", NULL },
		{ { "--no-huge=1" }, "--no-huge=1", NULL },
		{ { "--memory", "64M" }, "--memory", NULL },
		{ { "app-arg-without-separator" }, "app-arg-without-separator", NULL },
		/* the attached short form takes a CPU list only (DPDK users type -l0) */
		{ { "-lx" }, "-lx", NULL },
		{ { "-l9x" }, "lcores", "9x" },
		/* an option missing its value: last, or followed by "--" */
		{ { "--mem" }, "--mem", NULL },
		{ { "--mem", "--", "app" }, "--mem", NULL },
		{ { "--prefix" }, "--prefix", NULL },
		{ { "-l" }, "-l", NULL },
		{ { "--log-level" }, "--log-level", NULL },
		{ { "--runtime-dir", "--" }, "--runtime-dir", NULL },
		{ { "--group" }, "--group", NULL },
		{ { "--proc-type" }, "--proc-type", NULL },
		/* device options: empty or missing values */
		{ { "--vdev", "" }, "--vdev", "" },
		{ { "--vdev=" }, "--vdev", "" },
		{ { "--vdev" }, "--vdev", NULL },
		{ { "--vdev", "--", "app" }, "--vdev", NULL },
		{ { "-a", "" }, "-a/--allow", "" },
		{ { "--allow=" }, "-a/--allow", "" },
		{ { "-a" }, "-a", NULL },
		{ { "--allow" }, "--allow", NULL },
		{ { "-b", "" }, "-b/--block", "" },
		{ { "-b" }, "-b", NULL },
		{ { "--block", "--" }, "--block", NULL },
		{ { "--sysfs-root", "" }, "--sysfs-root", "" },
		{ { "--sysfs-root" }, "--sysfs-root", NULL },
		{ { "--no-pci=1" }, "--no-pci=1", NULL },
		/* the first bad option is the one reported; later ones are not parsed */
		{ { "--mem", "abc", "--foo" }, "--mem", "abc" },
	};

	for (size_t i = 0; i < MPDP_DIM(cases); i++)
		check_bad(&cases[i]);
}

/* mpdp_init() with the test's runtime dir and prefix and any number of options. */
static int init_many(const char *const *extra)
{
	static char *argv[2 * (MPDP_MAX_DEV_OPTIONS + 1) + 16];
	int argc = 0;

	argv[argc++] = "unit";
	argv[argc++] = "--runtime-dir";
	argv[argc++] = unit_rt.dir;
	argv[argc++] = "--prefix";
	argv[argc++] = unit_rt.prefix;
	for (; *extra != NULL && argc < (int)MPDP_DIM(argv) - 1; extra++)
		argv[argc++] = (char *)*extra;
	argv[argc] = NULL;
	return mpdp_init(argc, argv);
}

/*
 * Device options at their limits: MPDP_MAX_DEV_OPTIONS of a kind and
 * MPDP_DEV_OPTION_SIZE - 1 characters are taken, one more is refused with a
 * line naming the option and the value.
 */
static void test_dev_option_limits(void)
{
	static char values[MPDP_MAX_DEV_OPTIONS + 1][32];
	static char long_value[MPDP_DEV_OPTION_SIZE + 1];
	const char *list[2 * (MPDP_MAX_DEV_OPTIONS + 1) + 8];
	struct mpdp_dev_options o;
	int n, nl;

	CHECK_EQ(mpdp_dev_options_get(&o), -ENODEV);

	/* 33 of a kind: the 33rd is named */
	for (unsigned int kind = 0; kind < 3; kind++) {
		static const char *const opt[] = { "--vdev", "-a", "--block" };
		static const char *const named[] = { "--vdev", "-a/--allow", "-b/--block" };

		nl = 0;
		for (int i = 0; i <= MPDP_MAX_DEV_OPTIONS; i++) {
			snprintf(values[i], sizeof(values[i]), kind ? "0000:00:%02x.0" : "net_null%d",
				 i);
			list[nl++] = opt[kind];
			list[nl++] = values[i];
		}
		list[nl] = NULL;
		unit_log_capture();
		CHECK_EQ(init_many(list), -EINVAL);
		unit_log_release();
		CHECK_EQ(unit_log_count(), 1);
		if (unit_log_count() >= 1) {
			const char *m = unit_log_get(0)->message;
			char quoted[40];

			snprintf(quoted, sizeof(quoted), "'%s'", values[MPDP_MAX_DEV_OPTIONS]);
			CHECK(strstr(m, named[kind]) != NULL && strstr(m, quoted) != NULL &&
			      strstr(m, "32") != NULL);
		}
		CHECK_RT_EMPTY();
	}

	/* too long: 512 characters; 511 would be taken */
	memset(long_value, 'x', MPDP_DEV_OPTION_SIZE);
	long_value[MPDP_DEV_OPTION_SIZE] = '\0';
	for (unsigned int i = 0; i < 3; i++) {
		static const char *const opt[] = { "--vdev", "-a", "-b" };

		list[0] = opt[i];
		list[1] = long_value;
		list[2] = NULL;
		unit_log_capture();
		CHECK_EQ(unit_init_list(list), -EINVAL);
		unit_log_release();
		CHECK_EQ(unit_log_count(), 1);
		if (unit_log_count() >= 1)
			CHECK(strstr(unit_log_get(0)->message, "longer than 511") != NULL);
		CHECK_RT_EMPTY();
	}

	/*
	 * What the runtime hands to the device layer: 32 blocked addresses,
	 * --no-pci (so nothing is scanned) and a sysfs root, as given.
	 */
	nl = 0;
	list[nl++] = "--no-huge";
	list[nl++] = "--no-pci";
	list[nl++] = "--sysfs-root=/nonexistent/sysfs";
	for (int i = 0; i < MPDP_MAX_DEV_OPTIONS; i++) {
		snprintf(values[i], sizeof(values[i]), "0000:00:%02x.0", i);
		list[nl++] = i % 2 ? "-b" : "--block";
		list[nl++] = values[i];
	}
	list[nl] = NULL;
	n = init_many(list);
	CHECK_EQ(n, 4 + nl);
	if (n > 0) {
		memset(&o, 0, sizeof(o));
		CHECK_EQ(mpdp_dev_options_get(&o), 0);
		CHECK_EQ(o.no_pci, 1);
		CHECK(strcmp(o.sysfs_root, "/nonexistent/sysfs") == 0);
		CHECK_EQ(o.nb_vdevs, 0);
		CHECK_EQ(o.nb_allow, 0);
		CHECK_EQ(o.nb_block, MPDP_MAX_DEV_OPTIONS);
		for (int i = 0; i < MPDP_MAX_DEV_OPTIONS; i++)
			CHECK(strcmp(o.block[i], values[i]) == 0);
		CHECK_EQ(mpdp_cleanup(), 0);
		CHECK_EQ(mpdp_dev_options_get(&o), -ENODEV);
	}
	CHECK_RT_EMPTY();
}

/* A CPU that exists in the numbering but is not ours: refused like a bad value. */
static void test_cpu_not_allowed(void)
{
	cpu_set_t set;
	char cpu[16];
	int c;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return;
	for (c = CPU_SETSIZE - 1; c >= 0 && CPU_ISSET(c, &set); c--)
		;
	if (c < 0)
		return;
	snprintf(cpu, sizeof(cpu), "%d", c);
	struct bad_case bc = { { "-l", cpu }, "lcores", cpu };
	check_bad(&bc);
}

static void test_value_forms(void)
{
	struct mpdp_heap_info hi;
	char rt_eq[128], prefix_eq[96];
	int n;

	/* --opt=VALUE for every option with a value */
	snprintf(rt_eq, sizeof(rt_eq), "--runtime-dir=%s", unit_rt.dir);
	snprintf(prefix_eq, sizeof(prefix_eq), "--prefix=%s", unit_rt.prefix);
	const char *const eq[] = { rt_eq,       prefix_eq,
				   "--mem=64M", "--proc-type=primary",
				   "--no-huge", "--log-level=notice",
				   NULL };
	n = unit_init_list(eq);
	CHECK_EQ(n, 4 + 6); /* unit_init_list puts --runtime-dir D --prefix P first */
	if (n >= 0) {
		CHECK_EQ(mpdp_heap_info(&hi), 0);
		CHECK_EQ(hi.len, 64 << 20);
		CHECK_EQ(mpdp_proc_type(), MPDP_PROC_PRIMARY);
		CHECK_EQ(mpdp_cleanup(), 0);
	}
	CHECK_RT_EMPTY();

	/* --opt VALUE, sizes in the other spellings the parser takes */
	n = unit_init("--mem", "2048k", "--no-huge", NULL);
	CHECK(n > 0);
	if (n > 0) {
		CHECK_EQ(mpdp_heap_info(&hi), 0);
		CHECK_EQ(hi.len, 2 << 20);
		mpdp_cleanup();
	}
	n = unit_init("--mem", "3MB", "--no-huge", NULL);
	CHECK(n > 0);
	if (n > 0) {
		CHECK_EQ(mpdp_heap_info(&hi), 0);
		CHECK_EQ(hi.len, 3 << 20);
		mpdp_cleanup();
	}
	/* the lcore list in its four spellings (CPU 0 only, if ours) */
	cpu_set_t cpus;
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_ISSET(0, &cpus)) {
		static const char *const forms[][3] = { { "-l", "0" },
							{ "-l0" },
							{ "--lcores", "0" },
							{ "--lcores=0" } };
		for (size_t i = 0; i < MPDP_DIM(forms); i++) {
			const char *const list[] = { "--no-huge", "--mem",     "2M",
						     forms[i][0], forms[i][1], NULL };

			n = unit_init_list(list);
			CHECK(n > 0);
			if (n > 0) {
				CHECK_EQ(mpdp_lcore_count(), 1);
				CHECK_EQ(mpdp_lcore_cpu(mpdp_lcore_main()), 0);
				mpdp_cleanup();
			}
		}
	}
	/* bounds are inclusive */
	n = unit_init("--mem", "2M", "--no-huge", "--proc-type", "auto", NULL);
	CHECK(n > 0);
	if (n > 0) {
		CHECK_EQ(mpdp_proc_type(), MPDP_PROC_PRIMARY); /* auto, nobody running */
		mpdp_cleanup();
	}
	CHECK_RT_EMPTY();
}

static void test_group(void)
{
	struct group *g = getgrgid(getgid());
	int n;

	if (g == NULL)
		return;
	n = unit_init("--no-huge", "--mem", "2M", "--group", g->gr_name, NULL);
	CHECK(n > 0);
	if (n <= 0)
		return;
	CHECK_EQ(mode_of(""), 0770);
	CHECK_EQ(mode_of("config"), 0660);
	CHECK_EQ(mode_of("lock"), 0660);
	CHECK_EQ(mode_of("heap.0"), 0660);
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
}

static void test_twice_and_cleanup(void)
{
	int n;

	/* cleanup without init, and twice */
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_EQ(mpdp_cleanup(), 0);

	/* no argv[0] */
	unit_log_capture();
	CHECK_EQ(mpdp_init(0, NULL), -EINVAL);
	{
		char *argv[] = { "prog", NULL };

		CHECK_EQ(mpdp_init(0, argv), -EINVAL);
	}
	CHECK_EQ(unit_log_count(), 2);
	unit_log_release();

	n = unit_init("--no-huge", "--mem", "2M", NULL);
	CHECK(n > 0);
	if (n <= 0)
		return;
	unit_log_capture();
	CHECK_EQ(unit_init("--no-huge", "--mem", "2M", NULL), -EALREADY);
	CHECK_EQ(unit_log_count(), 1);
	unit_log_release();
	/* the first instance is untouched */
	CHECK_EQ(mpdp_proc_type(), MPDP_PROC_PRIMARY);
	CHECK(mode_of("config") > 0);
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();

	/* a failed init leaves a state from which the next init succeeds */
	unit_log_capture();
	CHECK_EQ(unit_init("--mem", "abc", NULL), -EINVAL);
	unit_log_release();
	n = unit_init("--no-huge", "--mem", "2M", NULL);
	CHECK(n > 0);
	if (n > 0)
		CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
}

static void test_secondary_without_primary(void)
{
	unit_log_capture();
	CHECK_EQ(unit_init("--proc-type", "secondary", NULL), -ENOENT);
	CHECK_EQ(unit_log_count(), 1);
	if (unit_log_count() == 1)
		CHECK(strstr(unit_log_get(0)->message, unit_rt.prefix) != NULL);
	unit_log_release();
	CHECK_RT_EMPTY();
	CHECK_EQ(mpdp_proc_type(), MPDP_PROC_AUTO);
}

int main(void)
{
	unit_rt_setup("args");
	test_consumed_without_separator();
	test_consumed_with_separator();
	test_separator_only();
	test_help();
	test_malformed();
	test_dev_option_limits();
	test_cpu_not_allowed();
	test_value_forms();
	test_group();
	test_twice_and_cleanup();
	test_secondary_without_primary();
	unit_exit();
}
