/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unit_util.h - what every unit test needs: non-fatal checks, a private
 * runtime directory, mpdp_init() with a built argv, and a log sink that
 * captures what the runtime logged.
 *
 * A unit test is one executable, one concept. It exits 0 when every check
 * passed, 1 otherwise, 77 to skip (meson's convention). Each test creates its
 * own runtime directory under /dev/shm with mkdtemp() and a prefix unique to
 * the process, so tests run in parallel with each other and with a real
 * instance; on any exit the directory is removed (after the test checked that
 * mpdp_cleanup() left it empty).
 */
#ifndef UNIT_UTIL_H
#define UNIT_UTIL_H

#include <stddef.h>

#include <mpdp/mpdp.h>

#define UNIT_SKIP 77

extern int unit_failures;

void unit_fail(const char *file, int line, const char *what);
void unit_fail_rc(const char *file, int line, const char *expr, long long got, long long want);

/* Non-fatal: report and go on. */
#define CHECK(cond)                                           \
	do {                                                  \
		if (!(cond))                                  \
			unit_fail(__FILE__, __LINE__, #cond); \
	} while (0)

/* Non-fatal: expr must equal want (integers; errno values print by name). */
#define CHECK_EQ(expr, want)                                                  \
	do {                                                                  \
		long long got_ = (long long)(expr);                           \
		long long want_ = (long long)(want);                          \
		if (got_ != want_)                                            \
			unit_fail_rc(__FILE__, __LINE__, #expr, got_, want_); \
	} while (0)

/* Fatal: report and exit 1 (the exit handler cleans up). */
#define REQUIRE(cond)                                         \
	do {                                                  \
		if (!(cond)) {                                \
			unit_fail(__FILE__, __LINE__, #cond); \
			unit_exit();                          \
		}                                             \
	} while (0)

/* Exit with 0 when no check failed, else 1. */
void unit_exit(void) __attribute__((noreturn));
void unit_skip(const char *why) __attribute__((noreturn));

/*
 * The test's runtime directory (the --runtime-dir parent) and prefix.
 * unit_rt_setup() makes them and registers the exit handler that runs
 * mpdp_cleanup() and removes the directory, whatever happens.
 */
struct unit_rt {
	char dir[64];
	char prefix[40];
};
extern struct unit_rt unit_rt;
void unit_rt_setup(const char *test_name);

/* Number of entries in dir (recursively), listing each on stderr when verbose. */
int unit_dir_count(const char *dir, int verbose);
/* Remove dir and everything below it (no symlink is followed). */
void unit_rmtree(const char *dir);

/* CHECK that the runtime directory holds nothing (after cleanup or a failed init). */
#define CHECK_RT_EMPTY() CHECK_EQ(unit_dir_count(unit_rt.dir, 1), 0)

/*
 * mpdp_init() with argv = { "unit", "--runtime-dir", DIR, "--prefix",
 * PREFIX, extra..., NULL } (the NULL-terminated extra options are copied, so
 * string literals are fine). Returns what mpdp_init() returns.
 */
int unit_init(const char *extra, ...) __attribute__((sentinel));

/* Same, with the extra options in a NULL-terminated array. */
int unit_init_list(const char *const *extra);

/* Log capture: every message that passes the level filter is recorded. */
struct unit_log_line {
	enum mpdp_log_level level;
	char component[32];
	char message[1024];
};
void unit_log_capture(void); /* install the capturing sink, forget old lines */
void unit_log_release(void); /* restore the sink that was there before */
void unit_log_clear(void);
unsigned int unit_log_count(void);
const struct unit_log_line *unit_log_get(unsigned int i);
/* Print the captured lines to stderr (for failure reports). */
void unit_log_dump(void);

#endif /* UNIT_UTIL_H */
