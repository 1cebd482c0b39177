/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_test.h - the harness of the multi-process tests (tests/mp).
 *
 * A test program is an orchestrator: it does not link the runtime, it starts
 * the real helper binaries (mpdp-test-primary, mpdp-test-secondary, ...) as
 * separate processes and talks to them through their stdin and stdout:
 *
 *   - mt_spawn() starts a program with stdin, stdout and stderr on pipes.
 *     Everything a child prints is kept (and echoed to the test's stdout,
 *     tagged with the child's label, so a failing test log shows it all).
 *   - stdout is read as lines. mt_wait_line() returns the first unread line
 *     with a given prefix and leaves the others unread, so an asynchronous
 *     line ("NOTE ...") is never lost while waiting for a reply ("OK ...").
 *   - mt_cmd() writes one command line to a child and waits for its reply
 *     line ("OK ..." or "ERR ...").
 *   - every wait is bounded; a child that outlives the test is killed (it
 *     also gets SIGKILL from the kernel if the test dies: PR_SET_PDEATHSIG).
 *
 * Each test gets its own runtime directory (mt_env_init(): mkdtemp under
 * /dev/shm) and a prefix no other test uses, so tests may run in parallel.
 * mt_env_fini() fails the test when anything is left in the directory.
 *
 * Results follow the automake/meson convention: exit 0 pass, 77 skip, any
 * other status fail. MT_ASSERT() prints file:line and the message, kills the
 * children, removes the temporary directories and exits 1.
 */
#ifndef MPDP_TEST_H
#define MPDP_TEST_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MT_EXIT_SKIP 77
#define MT_MAX_ARGS  64

/* ---- test life --------------------------------------------------------- */

/*
 * Start the test: name for messages, an overall time limit (the test fails,
 * and its children are killed, when it runs longer), stdout line buffered.
 */
void mt_init(const char *name, unsigned int timeout_s);

/* End the test: checks and removes the environments; returns the exit code. */
int mt_done(void);

/* One case of a test program of cases: fn runs in at most timeout_s. */
struct mt_case {
	const char *name;
	void (*fn)(void);
	unsigned int timeout_s;
};

/*
 * main() of a test program of cases, `prog CASE`: runs the case named
 * argv[1] between mt_init() (its name: prefix followed by the case name)
 * and mt_done(), whose exit code it returns. Anything else: prints the
 * usage (the case names) and returns 2.
 */
int mt_main_cases(int argc, char **argv, const char *prefix, const struct mt_case *cases, size_t n);

/* Path from a required environment variable (meson passes helper paths). */
const char *mt_getenv_path(const char *var);

/* Run fn(arg) at the end of the test, failed or not (LIFO). At most 8. */
void mt_on_exit(void (*fn)(void *arg), void *arg);

/*
 * Mount a file system of type fstype (options may be NULL) on a new
 * directory /tmp/mpdp-test-<fstype>-XXXXXX, written to dir. Unmounting and
 * removing it is registered with mt_on_exit(). Skips the test (77) with the
 * reason when the directory or the mount cannot be made. One per test.
 */
void mt_mount_tmp(const char *fstype, const char *options, char *dir, size_t size);

/*
 * Make a scratch directory /tmp/mpdp-test-<tag>-XXXXXX, its name written to
 * dir, which must live until the test ends: removing it with everything in
 * it is registered with mt_on_exit(). Fails the test when it cannot be made.
 */
void mt_tmpdir(const char *tag, char *dir, size_t size);

void mt_fail_at(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));
void mt_check_at(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void mt_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void mt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fail now (kill children, clean up, exit 1) when cond is false. */
#define MT_ASSERT(cond, ...)                                                \
	do {                                                                \
		if (!(cond))                                                \
			mt_fail_at(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)
#define MT_FAIL(...) mt_fail_at(__FILE__, __LINE__, NULL, __VA_ARGS__)
/* Record a failure and go on (the test fails at mt_done()). */
#define MT_CHECK(cond, ...)                                                  \
	do {                                                                 \
		if (!(cond))                                                 \
			mt_check_at(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

/* Monotonic clock, in ns and ms (CLOCK_MONOTONIC is the same in every process). */
uint64_t mt_now_ns(void);
uint64_t mt_now_ms(void);
void mt_sleep_ms(unsigned int ms);

/* ---- runtime environment ------------------------------------------------ */

struct mt_env {
	char root[128];  /* --runtime-dir: mkdtemp("/dev/shm/mpdp-test-XXXXXX") */
	char prefix[64]; /* --prefix: "<tag>-<pid>" */
	char dir[256];   /* root/prefix: the instance's runtime directory */
	int huge;        /* 0: helpers get --no-huge (the default) */
	int active;
};

/* Create the temporary runtime directory and a unique prefix. */
void mt_env_init(struct mt_env *env, const char *tag);

/*
 * Fail the test (MT_CHECK) when anything is left under env->root, then remove
 * it. Call after every child of the environment has exited.
 */
void mt_env_fini(struct mt_env *env);

/*
 * List what is under dir, recursively, as paths relative to dir separated by
 * spaces (directories end in '/'). Returns the number of entries, 0 when the
 * directory is empty or does not exist, -1 on error.
 */
int mt_leftovers(const char *dir, char *out, size_t size);

/* Remove dir and everything under it. Returns 0 or -1. */
int mt_rmtree(const char *dir);

/* ---- argument vectors --------------------------------------------------- */

struct mt_argv {
	int argc;
	char *argv[MT_MAX_ARGS + 1];
};

void mt_argv_init(struct mt_argv *a, const char *prog);
/* Append strings, up to a NULL. */
void mt_argv_add(struct mt_argv *a, ...) __attribute__((sentinel));
void mt_argv_addf(struct mt_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Append the runtime options of env: --proc-type TYPE (unless NULL) --prefix
 * --runtime-dir --no-huge (unless huge is set).
 */
void mt_argv_runtime(struct mt_argv *a, const struct mt_env *env, const char *proc_type, int huge);
void mt_argv_fini(struct mt_argv *a);
/* The whole command line as one string, for messages (static buffer). */
const char *mt_argv_str(const struct mt_argv *a);

/* ---- child processes ----------------------------------------------------- */

struct mt_line {
	char *text;
	int used;
};

struct mt_proc {
	char label[32];
	pid_t pid;
	int in_fd;                 /* write end of the child's stdin, -1 once closed */
	int out_fd, err_fd;        /* read ends, -1 at EOF */
	char *out_part, *err_part; /* partial last line */
	size_t out_part_len, err_part_len;
	struct mt_line *lines; /* stdout, line by line */
	unsigned int nb_lines, lines_cap;
	char *err; /* all of stderr */
	size_t err_len, err_cap;
	int exited;
	int status;           /* waitpid() status once exited */
	struct mt_proc *next; /* registry of live children */
};

/*
 * Start argv[0] with argv as a child. Fails the test if the program cannot
 * be started. The child's umask is the test's.
 */
void mt_spawn(struct mt_proc *p, const char *label, const struct mt_argv *a);

/*
 * Next unread stdout line with this prefix ("" for any line), copied to buf
 * (may be NULL). Returns 1 when found, 0 on timeout, -1 when stdout reached
 * EOF without such a line.
 */
int mt_wait_line(struct mt_proc *p, const char *prefix, char *buf, size_t size, int timeout_ms);
/* Next unread stdout line whatever it is. Same returns as mt_wait_line(). */
int mt_read_line(struct mt_proc *p, char *buf, size_t size, int timeout_ms);

/* Wait until the child's stderr contains needle. Returns 1, 0 on timeout or EOF. */
int mt_wait_stderr(struct mt_proc *p, const char *needle, int timeout_ms);

/* The child's stderr so far, NUL terminated. */
const char *mt_stderr(struct mt_proc *p);
/* Number of non-empty lines in the child's stderr. */
unsigned int mt_stderr_lines(struct mt_proc *p);

/* Write one line to the child's stdin (newline added). Returns 0 or -1. */
int mt_send(struct mt_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mt_close_stdin(struct mt_proc *p);

/*
 * Send a command line and wait for its reply line ("OK..." or "ERR...").
 * The reply goes to buf. Returns 0 for OK, -1 for ERR; a missing reply fails
 * the test.
 */
int mt_cmd(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/*
 * The same, but a reply other than OK fails the test (mt_cmd_ok) or is
 * recorded as a failure while the test goes on (mt_cmd_check, which returns
 * 0 for OK, else -1). The message names the child, the command and the reply.
 */
void mt_cmd_ok(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int mt_cmd_check(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Send command: its reply must be OK (else the test fails now) with
 * key=want (else a failure is recorded).
 */
void mt_cmd_expect(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *key,
		   long long want, const char *command);

/* Send command: its reply must be ERR naming errname (else a failure is recorded). */
void mt_cmd_err(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *errname,
		const char *command);

/*
 * Repeat a command (every 10 ms, up to timeout_ms) until its reply is OK and
 * has key=want. The last reply goes to buf. Returns 1 when reached, else 0.
 */
int mt_cmd_until(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *key,
		 long long want, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Send sig to the child. */
void mt_kill(struct mt_proc *p, int sig);

/*
 * Wait for the child to exit. Returns 0 (p->status is set) or -1 on timeout.
 * Once it exited, what is left in its pipes is read to their end.
 */
int mt_wait_exit(struct mt_proc *p, int timeout_ms);

/* Exit code of an exited child, or -1 when it was killed by a signal. */
int mt_exit_code(const struct mt_proc *p);
/* Signal that killed an exited child, or 0. */
int mt_exit_signal(const struct mt_proc *p);
/* "exit 3", "signal 9 (Killed)", "running" (static buffer). */
const char *mt_status_str(const struct mt_proc *p);

/* Wait for exit and fail the test unless the child exited with code. */
void mt_expect_exit(struct mt_proc *p, int code, int timeout_ms);

/* Kill (SIGKILL) if still running, reap, release the buffers. */
void mt_proc_fini(struct mt_proc *p);

/*
 * Run the program of a, which must refuse its command line: it must exit 1
 * within 10 s with needle in its stderr, in at most two lines, and leave
 * nothing in env's runtime directory (what names it in the messages).
 * Frees a.
 */
void mt_expect_refused(const struct mt_env *env, struct mt_argv *a, const char *what,
		       const char *needle);

/* ---- small parsers ------------------------------------------------------- */

/*
 * Value of "key=VALUE" in a reply line, copied to buf (up to the next space).
 * Returns 1 when found, else 0.
 */
int mt_field(const char *line, const char *key, char *buf, size_t size);
/* The same as an integer (base 0: 0x... is hex); fails the test if absent. */
long long mt_field_ll(const char *line, const char *key);
unsigned long long mt_field_ull(const char *line, const char *key);

/* 1 when the text contains the word (delimited by non-alphanumerics). */
int mt_has_word(const char *text, const char *word);

/* Raise RLIMIT_NOFILE's soft limit to the hard limit. */
void mt_raise_nofile(void);

/* ---- the mpdp helper binaries (tests/mp) ---------------------------------- */

/* Paths from MPDP_TEST_PRIMARY, MPDP_TEST_SECONDARY, MPDP_TEST_SECONDARY_V2. */
const char *mt_primary_bin(void);
const char *mt_secondary_bin(void);
const char *mt_secondary_v2_bin(void);

/* What a helper said in its "READY <pid> <base> <len> ..." line. */
struct mt_ready {
	pid_t pid;
	uintptr_t base;
	size_t len;
	int proc_id;     /* secondaries: proc_id=, else -1 */
	char lcores[64]; /* secondaries: lcores=, else "" */
	char line[512];
};

/*
 * argv of a helper: BIN --proc-type TYPE <env's runtime options> [extra...]
 * (extra up to a NULL; unless TYPE is "secondary", --mem 16M before them) -- SUB.
 */
void mt_helper_argv(struct mt_argv *a, const char *bin, const char *proc_type,
		    const struct mt_env *env, const char *const *extra, const char *sub);

/*
 * Start mpdp-test-primary ... -- serve and wait (up to 10 s) for READY;
 * extra runtime options up to a NULL. Fails the test when it does not start.
 */
void mt_start_primary(struct mt_proc *p, const char *label, const struct mt_env *env,
		      struct mt_ready *r, ...) __attribute__((sentinel));
/*
 * The same for any helper program: BIN --proc-type TYPE ... -- SUB, waiting
 * for its READY line (mt_start_primary/_secondary are this with the default
 * helper programs).
 */
void mt_start_program(struct mt_proc *p, const char *label, const char *bin,
		      const char *proc_type, const char *sub, const struct mt_env *env,
		      struct mt_ready *r, ...) __attribute__((sentinel));
/* The same for mpdp-test-secondary ... -- shell. */
void mt_start_secondary(struct mt_proc *p, const char *label, const struct mt_env *env,
			struct mt_ready *r, ...) __attribute__((sentinel));

/* Parse a READY line. Returns 0 or -1. */
int mt_parse_ready(const char *line, struct mt_ready *r);

/* Close the helper's stdin and expect exit 0 within timeout_ms. */
void mt_stop(struct mt_proc *p, int timeout_ms);

/*
 * One number from a /proc or /sys file (mt_read_long: -1 when unreadable;
 * mt_write_long: 0 or -1), and a /proc/meminfo field in its unit (kB or a
 * count), -1 when absent. For tests that reserve hugepages and give them back.
 */
long mt_read_long(const char *path);
int mt_write_long(const char *path, long v);
long mt_meminfo(const char *key);

#endif /* MPDP_TEST_H */
