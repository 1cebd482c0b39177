/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_test.c - the multi-process test harness (see mpdp_test.h).
 *
 * The test program is single-threaded. Children's pipes are read by pump(),
 * which every wait calls, for every live child at once: a chatty child can
 * never block on a full pipe while the test waits for another one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mpdp_test.h"

#define MAX_ENVS  8
#define MAX_HOOKS 8
#define DIM(a)    (sizeof(a) / sizeof((a)[0]))

static const char *test_name = "test";
static unsigned int nb_checks_failed;
static struct mt_proc *procs; /* live (registered) children */
static struct mt_env *envs[MAX_ENVS];
static struct {
	void (*fn)(void *);
	void *arg;
} hooks[MAX_HOOKS];
static unsigned int nb_hooks;
static int cleaning;

/* ---- time --------------------------------------------------------------- */

uint64_t mt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t mt_now_ms(void)
{
	return mt_now_ns() / 1000000ULL;
}

void mt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- reporting and clean-up ------------------------------------------------ */

void mt_log(const char *fmt, ...)
{
	va_list ap;

	printf("# %s: ", test_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Kill every child, run the hooks, remove the environments. */
static void cleanup_all(int check_envs)
{
	if (cleaning)
		return;
	cleaning = 1;
	for (struct mt_proc *p = procs; p != NULL; p = p->next) {
		if (p->exited)
			continue;
		if (check_envs)
			mt_check_at(__FILE__, __LINE__, NULL,
				    "%s (pid %d) still running at the end", p->label, (int)p->pid);
		kill(p->pid, SIGKILL);
		if (waitpid(p->pid, &p->status, 0) == p->pid)
			p->exited = 1;
	}
	for (unsigned int i = 0; i < MAX_ENVS; i++) {
		if (envs[i] == NULL)
			continue;
		if (check_envs)
			mt_env_fini(envs[i]);
		else if (envs[i]->active)
			mt_rmtree(envs[i]->root);
		envs[i] = NULL;
	}
	while (nb_hooks > 0) {
		nb_hooks--;
		hooks[nb_hooks].fn(hooks[nb_hooks].arg);
	}
	fflush(stdout);
}

/* One "file:line: FAIL: message (condition)" line. */
static void report_failure(const char *file, int line, const char *cond, const char *fmt,
			   va_list ap) __attribute__((format(printf, 4, 0)));
static void report_failure(const char *file, int line, const char *cond, const char *fmt,
			   va_list ap)
{
	printf("%s:%d: FAIL: ", file, line);
	vprintf(fmt, ap);
	if (cond != NULL)
		printf(" (%s)", cond);
	printf("\n");
	fflush(stdout);
}

void mt_fail_at(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_failure(file, line, cond, fmt, ap);
	va_end(ap);
	cleanup_all(0);
	printf("FAIL %s\n", test_name);
	fflush(stdout);
	exit(1);
}

void mt_check_at(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_failure(file, line, cond, fmt, ap);
	va_end(ap);
	nb_checks_failed++;
}

void mt_skip(const char *fmt, ...)
{
	va_list ap;

	printf("SKIP %s: ", test_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	cleanup_all(0);
	exit(MT_EXIT_SKIP);
}

static void on_fatal_signal(int sig)
{
	/* last resort: every wait is bounded, so this means a bug in the test */
	printf("FAIL: %s: %s after its time limit or from outside; killing its children\n",
	       test_name, sig == SIGALRM ? "timed out" : "terminated");
	fflush(stdout);
	cleanup_all(0);
	_exit(1);
}

void mt_init(const char *name, unsigned int timeout_s)
{
	struct sigaction sa;

	test_name = name;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_fatal_signal;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	alarm(timeout_s);
	mt_log("start (time limit %u s)", timeout_s);
}

int mt_done(void)
{
	alarm(0);
	cleanup_all(1);
	if (nb_checks_failed != 0) {
		printf("FAIL %s: %u check(s) failed\n", test_name, nb_checks_failed);
		return 1;
	}
	printf("PASS %s\n", test_name);
	return 0;
}

int mt_main_cases(int argc, char **argv, const char *prefix, const struct mt_case *cases, size_t n)
{
	char name[64];

	for (size_t i = 0; argc == 2 && i < n; i++) {
		if (strcmp(argv[1], cases[i].name) != 0)
			continue;
		snprintf(name, sizeof(name), "%s%s", prefix, cases[i].name);
		mt_init(name, cases[i].timeout_s);
		cases[i].fn();
		return mt_done();
	}
	fprintf(stderr, "usage: %s ", argv[0]);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? "|" : "", cases[i].name);
	fprintf(stderr, "\n");
	return 2;
}

void mt_on_exit(void (*fn)(void *arg), void *arg)
{
	if (nb_hooks == MAX_HOOKS)
		MT_FAIL("too many exit hooks");
	hooks[nb_hooks].fn = fn;
	hooks[nb_hooks].arg = arg;
	nb_hooks++;
}

static char tmp_mount[128];

static void tmp_unmount(void *arg)
{
	(void)arg;
	if (umount2(tmp_mount, MNT_DETACH) == 0)
		rmdir(tmp_mount);
}

void mt_mount_tmp(const char *fstype, const char *options, char *dir, size_t size)
{
	if (tmp_mount[0] != '\0')
		MT_FAIL("mt_mount_tmp: one mount per test");
	snprintf(tmp_mount, sizeof(tmp_mount), "/tmp/mpdp-test-%s-XXXXXX", fstype);
	if (mkdtemp(tmp_mount) == NULL)
		mt_skip("mkdtemp %s: %s", tmp_mount, strerror(errno));
	if (mount("nodev", tmp_mount, fstype, 0, options) != 0) {
		int err = errno;

		rmdir(tmp_mount);
		mt_skip("cannot mount %s on %s: %s", fstype, tmp_mount, strerror(err));
	}
	mt_on_exit(tmp_unmount, NULL);
	snprintf(dir, size, "%s", tmp_mount);
}

static void tmp_remove(void *arg)
{
	mt_rmtree(arg);
}

void mt_tmpdir(const char *tag, char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/mpdp-test-%s-XXXXXX", tag);
	if (mkdtemp(dir) == NULL)
		MT_FAIL("mkdtemp %s: %s", dir, strerror(errno));
	mt_on_exit(tmp_remove, dir);
}

const char *mt_getenv_path(const char *var)
{
	const char *v = getenv(var);

	if (v == NULL || v[0] == '\0')
		MT_FAIL("environment variable %s is not set (run the test through meson test)",
			var);
	if (access(v, X_OK) != 0)
		MT_FAIL("%s=%s is not executable: %s", var, v, strerror(errno));
	return v;
}

void mt_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- environments ---------------------------------------------------------- */

void mt_env_init(struct mt_env *env, const char *tag)
{
	unsigned int i;
	int n;

	memset(env, 0, sizeof(*env));
	snprintf(env->root, sizeof(env->root), "/dev/shm/mpdp-test-XXXXXX");
	if (mkdtemp(env->root) == NULL)
		MT_FAIL("mkdtemp(%s): %s", env->root, strerror(errno));
	n = snprintf(env->prefix, sizeof(env->prefix), "%s-%d", tag, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(env->prefix))
		MT_FAIL("prefix tag '%s' too long", tag);
	snprintf(env->dir, sizeof(env->dir), "%s/%s", env->root, env->prefix);
	env->active = 1;
	for (i = 0; i < MAX_ENVS && envs[i] != NULL; i++)
		;
	if (i == MAX_ENVS)
		MT_FAIL("too many environments");
	envs[i] = env;
	mt_log("runtime dir %s, prefix %s", env->root, env->prefix);
}

void mt_env_fini(struct mt_env *env)
{
	char left[4096];
	int n;

	if (!env->active)
		return;
	n = mt_leftovers(env->root, left, sizeof(left));
	MT_CHECK(n == 0, "left behind in %s: %s", env->root, n < 0 ? "(cannot list)" : left);
	mt_rmtree(env->root);
	env->active = 0;
	for (unsigned int i = 0; i < MAX_ENVS; i++)
		if (envs[i] == env)
			envs[i] = NULL;
}

static int list_dir(const char *base, const char *rel, char *out, size_t size, size_t *used)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int count = 0;

	snprintf(path, sizeof(path), "%s%s%s", base, rel[0] ? "/" : "", rel);
	d = opendir(path);
	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;
		int n, isdir;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n = snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		if (n < 0 || (size_t)n >= sizeof(sub))
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", base, sub);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		isdir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
		n = snprintf(out + *used, size - *used, "%s%s%s", *used ? " " : "", sub,
			     isdir ? "/" : "");
		if (n > 0 && (size_t)n < size - *used)
			*used += (size_t)n;
		count++;
		if (isdir) {
			int k = list_dir(base, sub, out, size, used);

			if (k > 0)
				count += k;
		}
	}
	closedir(d);
	return count;
}

int mt_leftovers(const char *dir, char *out, size_t size)
{
	size_t used = 0;

	if (size > 0)
		out[0] = '\0';
	return list_dir(dir, "", out, size, &used);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int mt_rmtree(const char *dir)
{
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* ---- argv ------------------------------------------------------------------- */

static void argv_push(struct mt_argv *a, const char *s)
{
	if (a->argc == MT_MAX_ARGS)
		MT_FAIL("too many arguments");
	a->argv[a->argc] = strdup(s);
	if (a->argv[a->argc] == NULL)
		MT_FAIL("out of memory");
	a->argv[++a->argc] = NULL;
}

void mt_argv_init(struct mt_argv *a, const char *prog)
{
	memset(a, 0, sizeof(*a));
	argv_push(a, prog);
}

void mt_argv_add(struct mt_argv *a, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, a);
	while ((s = va_arg(ap, const char *)) != NULL)
		argv_push(a, s);
	va_end(ap);
}

void mt_argv_addf(struct mt_argv *a, const char *fmt, ...)
{
	char buf[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	argv_push(a, buf);
}

void mt_argv_runtime(struct mt_argv *a, const struct mt_env *env, const char *proc_type, int huge)
{
	huge |= env->huge;
	if (proc_type != NULL)
		mt_argv_add(a, "--proc-type", proc_type, NULL);
	mt_argv_add(a, "--prefix", env->prefix, "--runtime-dir", env->root, NULL);
	if (!huge)
		mt_argv_add(a, "--no-huge", NULL);
}

void mt_argv_fini(struct mt_argv *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	memset(a, 0, sizeof(*a));
}

const char *mt_argv_str(const struct mt_argv *a)
{
	static char buf[2048];
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < a->argc; i++) {
		const char *s = a->argv[i];
		int n;

		if (i == 0 && strrchr(s, '/') != NULL)
			s = strrchr(s, '/') + 1;
		n = snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? " " : "", s);
		if (n < 0 || (size_t)n >= sizeof(buf) - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* ---- children ---------------------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		MT_FAIL("out of memory");
	return q;
}

static void add_line(struct mt_proc *p, const char *text, size_t len)
{
	if (p->nb_lines == p->lines_cap) {
		p->lines_cap = p->lines_cap ? p->lines_cap * 2 : 32;
		p->lines = xrealloc(p->lines, p->lines_cap * sizeof(p->lines[0]));
	}
	p->lines[p->nb_lines].text = strndup(text, len);
	if (p->lines[p->nb_lines].text == NULL)
		MT_FAIL("out of memory");
	p->lines[p->nb_lines].used = 0;
	p->nb_lines++;
	printf("  [%s] %.*s\n", p->label, (int)len, text);
}

/* Append data to a stream's partial line; emit complete lines. */
static void take(struct mt_proc *p, int is_err, const char *data, size_t n, int eof)
{
	char **part = is_err ? &p->err_part : &p->out_part;
	size_t *plen = is_err ? &p->err_part_len : &p->out_part_len;
	size_t start = 0;

	if (is_err) {
		if (p->err_len + n + 1 > p->err_cap) {
			p->err_cap = (p->err_len + n + 1) * 2;
			p->err = xrealloc(p->err, p->err_cap);
		}
		memcpy(p->err + p->err_len, data, n);
		p->err_len += n;
		p->err[p->err_len] = '\0';
	}
	*part = xrealloc(*part, *plen + n + 1);
	memcpy(*part + *plen, data, n);
	*plen += n;
	for (size_t i = 0; i < *plen; i++) {
		if ((*part)[i] != '\n')
			continue;
		if (is_err)
			printf("  [%s!] %.*s\n", p->label, (int)(i - start), *part + start);
		else
			add_line(p, *part + start, i - start);
		start = i + 1;
	}
	if (eof && start < *plen) {
		if (is_err)
			printf("  [%s!] %.*s\n", p->label, (int)(*plen - start), *part + start);
		else
			add_line(p, *part + start, *plen - start);
		start = *plen;
	}
	memmove(*part, *part + start, *plen - start);
	*plen -= start;
}

static void read_stream(struct mt_proc *p, int is_err)
{
	int *fd = is_err ? &p->err_fd : &p->out_fd;
	char buf[8192];
	ssize_t n;

	for (;;) {
		n = read(*fd, buf, sizeof(buf));
		if (n > 0) {
			take(p, is_err, buf, (size_t)n, 0);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* EOF or error: the stream is over */
		take(p, is_err, "", 0, 1);
		close(*fd);
		*fd = -1;
		return;
	}
}

/* Read whatever the children wrote, waiting up to timeout_ms for something. */
static void pump(int timeout_ms)
{
	struct pollfd pfd[64];
	struct mt_proc *who[64];
	int is_err[64];
	nfds_t n = 0;

	for (struct mt_proc *p = procs; p != NULL && n + 2 <= DIM(pfd); p = p->next) {
		if (p->out_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
			who[n] = p;
			is_err[n++] = 0;
		}
		if (p->err_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
			who[n] = p;
			is_err[n++] = 1;
		}
	}
	if (n == 0) {
		if (timeout_ms > 0)
			mt_sleep_ms((unsigned int)timeout_ms);
		return;
	}
	if (poll(pfd, n, timeout_ms) <= 0)
		return;
	for (nfds_t i = 0; i < n; i++)
		if (pfd[i].revents != 0)
			read_stream(who[i], is_err[i]);
}

void mt_spawn(struct mt_proc *p, const char *label, const struct mt_argv *a)
{
	int in[2], out[2], err[2];
	pid_t parent = getpid();

	memset(p, 0, sizeof(*p));
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->in_fd = p->out_fd = p->err_fd = -1;
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
		MT_FAIL("pipe2: %s", strerror(errno));
	fflush(stdout);
	p->pid = fork();
	if (p->pid < 0)
		MT_FAIL("fork: %s", strerror(errno));
	if (p->pid == 0) {
		sigset_t none;

		/* the test ignores SIGPIPE and handles others; the child starts clean */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		alarm(0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(a->argv[0], a->argv);
		dprintf(2, "exec %s: %s\n", a->argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	p->in_fd = in[1];
	p->out_fd = out[0];
	p->err_fd = err[0];
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
	p->next = procs;
	procs = p;
	printf("  [%s] started pid %d: %s\n", p->label, (int)p->pid, mt_argv_str(a));
}

typedef int (*line_pred_t)(const char *line, const void *arg);

static int pred_prefix(const char *line, const void *arg)
{
	const char *prefix = arg;

	return strncmp(line, prefix, strlen(prefix)) == 0;
}

static int pred_reply(const char *line, const void *arg)
{
	(void)arg;
	return (strncmp(line, "OK", 2) == 0 && (line[2] == '\0' || line[2] == ' ')) ||
	       (strncmp(line, "ERR", 3) == 0 && (line[3] == '\0' || line[3] == ' '));
}

static int wait_line(struct mt_proc *p, line_pred_t pred, const void *arg, char *buf, size_t size,
		     int timeout_ms)
{
	uint64_t deadline = mt_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		for (unsigned int i = 0; i < p->nb_lines; i++) {
			if (p->lines[i].used || !pred(p->lines[i].text, arg))
				continue;
			p->lines[i].used = 1;
			if (buf != NULL && size > 0)
				snprintf(buf, size, "%s", p->lines[i].text);
			return 1;
		}
		if (p->out_fd < 0)
			return -1;
		uint64_t now = mt_now_ms();
		if (now >= deadline)
			return 0;
		pump((int)(deadline - now < 50 ? deadline - now : 50));
	}
}

int mt_wait_line(struct mt_proc *p, const char *prefix, char *buf, size_t size, int timeout_ms)
{
	return wait_line(p, pred_prefix, prefix, buf, size, timeout_ms);
}

int mt_read_line(struct mt_proc *p, char *buf, size_t size, int timeout_ms)
{
	return wait_line(p, pred_prefix, "", buf, size, timeout_ms);
}

int mt_wait_stderr(struct mt_proc *p, const char *needle, int timeout_ms)
{
	uint64_t deadline = mt_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		if (p->err != NULL && strstr(p->err, needle) != NULL)
			return 1;
		if (p->err_fd < 0)
			return 0;
		uint64_t now = mt_now_ms();
		if (now >= deadline)
			return 0;
		pump((int)(deadline - now < 50 ? deadline - now : 50));
	}
}

const char *mt_stderr(struct mt_proc *p)
{
	pump(0);
	return p->err != NULL ? p->err : "";
}

unsigned int mt_stderr_lines(struct mt_proc *p)
{
	const char *s = mt_stderr(p);
	unsigned int n = 0;
	int nonblank = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			n += nonblank;
			nonblank = 0;
		} else if (!isspace((unsigned char)*s)) {
			nonblank = 1;
		}
	}
	return n + nonblank;
}

int mt_send(struct mt_proc *p, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;
	size_t off = 0;

	if (p->in_fd < 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		MT_FAIL("command line too long");
	printf("  [%s<] %s\n", p->label, buf);
	buf[n++] = '\n';
	while (off < (size_t)n) {
		ssize_t w = write(p->in_fd, buf + off, (size_t)n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

void mt_close_stdin(struct mt_proc *p)
{
	if (p->in_fd >= 0)
		close(p->in_fd);
	p->in_fd = -1;
}

static int vcmd(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *fmt,
		va_list ap) __attribute__((format(printf, 5, 0)));

static int vcmd(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *fmt,
		va_list ap)
{
	char cmd[4096], local[4096];
	int rc;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	if (buf == NULL) {
		buf = local;
		size = sizeof(local);
	}
	if (mt_send(p, "%s", cmd) != 0)
		MT_FAIL("%s: cannot send '%s' (%s)", p->label, cmd, mt_status_str(p));
	rc = wait_line(p, pred_reply, NULL, buf, size, timeout_ms);
	if (rc != 1)
		MT_FAIL("%s: no reply to '%s' within %d ms (%s)", p->label, cmd, timeout_ms,
			rc < 0 ? "its stdout closed" : "timeout");
	return strncmp(buf, "OK", 2) == 0 ? 0 : -1;
}

int mt_cmd(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vcmd(p, buf, size, timeout_ms, fmt, ap);
	va_end(ap);
	return rc;
}

/* vcmd() wanting OK: otherwise a failure naming the command, fatal or recorded. */
static int vcmd_ok(struct mt_proc *p, char *buf, size_t size, int timeout_ms, int fatal,
		   const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static int vcmd_ok(struct mt_proc *p, char *buf, size_t size, int timeout_ms, int fatal,
		   const char *fmt, va_list ap)
{
	char cmd[4096], local[4096];

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	if (buf == NULL) {
		buf = local;
		size = sizeof(local);
	}
	if (mt_cmd(p, buf, size, timeout_ms, "%s", cmd) == 0)
		return 0;
	if (fatal)
		MT_FAIL("%s: '%s' failed: %s", p->label, cmd, buf);
	mt_check_at(__FILE__, __LINE__, NULL, "%s: '%s' failed: %s", p->label, cmd, buf);
	return -1;
}

void mt_cmd_ok(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcmd_ok(p, buf, size, timeout_ms, 1, fmt, ap);
	va_end(ap);
}

int mt_cmd_check(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vcmd_ok(p, buf, size, timeout_ms, 0, fmt, ap);
	va_end(ap);
	return rc;
}

void mt_cmd_expect(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *key,
		   long long want, const char *command)
{
	char local[4096];

	if (buf == NULL) {
		buf = local;
		size = sizeof(local);
	}
	mt_cmd_ok(p, buf, size, timeout_ms, "%s", command);
	MT_CHECK(mt_field_ll(buf, key) == want, "%s: '%s': %s=%lld expected, got: %s", p->label,
		 command, key, want, buf);
}

void mt_cmd_err(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *errname,
		const char *command)
{
	char local[4096];
	int rc;

	if (buf == NULL) {
		buf = local;
		size = sizeof(local);
	}
	rc = mt_cmd(p, buf, size, timeout_ms, "%s", command);
	MT_CHECK(rc == -1 && mt_has_word(buf, errname), "%s: '%s': expected %s, got: %s", p->label,
		 command, errname, buf);
}

int mt_cmd_until(struct mt_proc *p, char *buf, size_t size, int timeout_ms, const char *key,
		 long long want, const char *fmt, ...)
{
	uint64_t deadline = mt_now_ms() + (uint64_t)timeout_ms;
	char cmd[4096], val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	for (;;) {
		if (mt_cmd(p, buf, size, 5000, "%s", cmd) == 0 &&
		    mt_field(buf, key, val, sizeof(val)) && strtoll(val, NULL, 0) == want)
			return 1;
		if (mt_now_ms() >= deadline)
			return 0;
		mt_sleep_ms(10);
	}
}

void mt_kill(struct mt_proc *p, int sig)
{
	if (!p->exited && kill(p->pid, sig) != 0)
		MT_FAIL("kill(%d, %d): %s", (int)p->pid, sig, strerror(errno));
}

static void unregister(struct mt_proc *p)
{
	for (struct mt_proc **pp = &procs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
}

/* After exit: read the pipes to their end (bounded: a grandchild may hold them). */
static void drain(struct mt_proc *p)
{
	uint64_t deadline = mt_now_ms() + 2000;

	while ((p->out_fd >= 0 || p->err_fd >= 0) && mt_now_ms() < deadline)
		pump(20);
}

int mt_wait_exit(struct mt_proc *p, int timeout_ms)
{
	uint64_t deadline = mt_now_ms() + (uint64_t)timeout_ms;

	while (!p->exited) {
		pid_t r = waitpid(p->pid, &p->status, WNOHANG);

		if (r == p->pid) {
			p->exited = 1;
			break;
		}
		if (r < 0 && errno != EINTR)
			MT_FAIL("waitpid(%d): %s", (int)p->pid, strerror(errno));
		if (mt_now_ms() >= deadline)
			return -1;
		pump(5);
	}
	drain(p);
	printf("  [%s] %s\n", p->label, mt_status_str(p));
	return 0;
}

int mt_exit_code(const struct mt_proc *p)
{
	return p->exited && WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
}

int mt_exit_signal(const struct mt_proc *p)
{
	return p->exited && WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0;
}

const char *mt_status_str(const struct mt_proc *p)
{
	static char buf[96];

	if (!p->exited)
		snprintf(buf, sizeof(buf), "running");
	else if (WIFEXITED(p->status))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, sizeof(buf), "signal %d (%s)%s", WTERMSIG(p->status),
			 strsignal(WTERMSIG(p->status)), WCOREDUMP(p->status) ? ", core" : "");
	else
		snprintf(buf, sizeof(buf), "status %#x", p->status);
	return buf;
}

void mt_expect_exit(struct mt_proc *p, int code, int timeout_ms)
{
	if (mt_wait_exit(p, timeout_ms) != 0)
		MT_FAIL("%s (pid %d) did not exit within %d ms", p->label, (int)p->pid, timeout_ms);
	if (mt_exit_code(p) != code)
		MT_FAIL("%s (pid %d): expected exit %d, got %s", p->label, (int)p->pid, code,
			mt_status_str(p));
}

void mt_proc_fini(struct mt_proc *p)
{
	if (p->pid <= 0)
		return;
	if (!p->exited) {
		kill(p->pid, SIGKILL);
		if (waitpid(p->pid, &p->status, 0) == p->pid)
			p->exited = 1;
	}
	unregister(p);
	if (p->in_fd >= 0)
		close(p->in_fd);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	for (unsigned int i = 0; i < p->nb_lines; i++)
		free(p->lines[i].text);
	free(p->lines);
	free(p->out_part);
	free(p->err_part);
	free(p->err);
	memset(p, 0, sizeof(*p));
	p->in_fd = p->out_fd = p->err_fd = -1;
}

void mt_expect_refused(const struct mt_env *env, struct mt_argv *a, const char *what,
		       const char *needle)
{
	struct mt_proc p;
	char left[4096];

	mt_spawn(&p, "bad", a);
	mt_expect_exit(&p, 1, 10000);
	MT_CHECK(strstr(mt_stderr(&p), needle) != NULL, "%s: expected an error with '%s', got: %s",
		 what, needle, mt_stderr(&p));
	MT_CHECK(mt_stderr_lines(&p) <= 2, "%s: more than one error line: %s", what, mt_stderr(&p));
	MT_CHECK(mt_leftovers(env->root, left, sizeof(left)) == 0, "%s: left behind: %s", what,
		 left);
	mt_argv_fini(a);
	mt_proc_fini(&p);
}

/* ---- parsers -------------------------------------------------------------------- */

int mt_field(const char *line, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *s = line; (s = strstr(s, key)) != NULL; s++) {
		const char *v, *end;

		if ((s != line && s[-1] != ' ') || s[klen] != '=')
			continue;
		v = s + klen + 1;
		end = strchr(v, ' ');
		if (end == NULL)
			end = v + strlen(v);
		snprintf(buf, size, "%.*s", (int)(end - v), v);
		return 1;
	}
	return 0;
}

long long mt_field_ll(const char *line, const char *key)
{
	char buf[64], *end;
	long long v;

	if (!mt_field(line, key, buf, sizeof(buf)))
		MT_FAIL("no %s= in '%s'", key, line);
	errno = 0;
	v = strtoll(buf, &end, 0);
	if (errno != 0 || end == buf || *end != '\0')
		MT_FAIL("%s=%s in '%s' is not a number", key, buf, line);
	return v;
}

unsigned long long mt_field_ull(const char *line, const char *key)
{
	char buf[64], *end;
	unsigned long long v;

	if (!mt_field(line, key, buf, sizeof(buf)))
		MT_FAIL("no %s= in '%s'", key, line);
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno != 0 || end == buf || *end != '\0')
		MT_FAIL("%s=%s in '%s' is not a number", key, buf, line);
	return v;
}

int mt_has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = text; (s = strstr(s, word)) != NULL; s++) {
		int before = s == text || !isalnum((unsigned char)s[-1]);
		int after = !isalnum((unsigned char)s[n]);

		if (before && after)
			return 1;
	}
	return 0;
}

/* ---- the mpdp helper binaries ------------------------------------------------ */

const char *mt_primary_bin(void)
{
	return mt_getenv_path("MPDP_TEST_PRIMARY");
}

const char *mt_secondary_bin(void)
{
	return mt_getenv_path("MPDP_TEST_SECONDARY");
}

const char *mt_secondary_v2_bin(void)
{
	return mt_getenv_path("MPDP_TEST_SECONDARY_V2");
}

void mt_helper_argv(struct mt_argv *a, const char *bin, const char *proc_type,
		    const struct mt_env *env, const char *const *extra, const char *sub)
{
	mt_argv_init(a, bin);
	mt_argv_runtime(a, env, proc_type, 0);
	/* a small heap unless the test asks for another size: quick to fallocate */
	if (proc_type == NULL || strcmp(proc_type, "secondary") != 0)
		mt_argv_add(a, "--mem", "16M", NULL);
	for (; extra != NULL && *extra != NULL; extra++)
		mt_argv_add(a, *extra, NULL);
	mt_argv_add(a, "--", NULL);
	if (sub != NULL)
		mt_argv_add(a, sub, NULL);
}

int mt_parse_ready(const char *line, struct mt_ready *r)
{
	unsigned long long base;
	unsigned long len;
	int pid;
	char lc[64];

	memset(r, 0, sizeof(*r));
	r->proc_id = -1;
	snprintf(r->line, sizeof(r->line), "%s", line);
	if (sscanf(line, "READY %d %llx %lu", &pid, &base, &len) != 3)
		return -1;
	r->pid = pid;
	r->base = (uintptr_t)base;
	r->len = len;
	if (mt_field(line, "proc_id", lc, sizeof(lc)))
		r->proc_id = atoi(lc);
	mt_field(line, "lcores", r->lcores, sizeof(r->lcores));
	return 0;
}

static void start_helper(struct mt_proc *p, const char *label, const char *bin,
			 const char *proc_type, const struct mt_env *env, struct mt_ready *r,
			 va_list ap, const char *sub)
{
	const char *extra[MT_MAX_ARGS];
	struct mt_argv a;
	struct mt_ready local;
	char line[512];
	const char *s;
	unsigned int n = 0;
	int rc;

	while ((s = va_arg(ap, const char *)) != NULL && n < MT_MAX_ARGS - 1)
		extra[n++] = s;
	extra[n] = NULL;
	mt_helper_argv(&a, bin, proc_type, env, extra, sub);
	mt_spawn(p, label, &a);
	mt_argv_fini(&a);
	rc = mt_wait_line(p, "READY", line, sizeof(line), 10000);
	if (rc != 1) {
		mt_wait_exit(p, 1000);
		MT_FAIL("%s did not print READY (%s; %s)", label,
			rc == 0 ? "timeout" : "stdout closed", mt_status_str(p));
	}
	if (r == NULL)
		r = &local;
	if (mt_parse_ready(line, r) != 0)
		MT_FAIL("%s: bad READY line '%s'", label, line);
	if (r->pid != p->pid)
		MT_FAIL("%s: READY names pid %d, the child is %d", label, (int)r->pid, (int)p->pid);
}

void mt_start_primary(struct mt_proc *p, const char *label, const struct mt_env *env,
		      struct mt_ready *r, ...)
{
	va_list ap;

	va_start(ap, r);
	start_helper(p, label, mt_primary_bin(), "primary", env, r, ap, "serve");
	va_end(ap);
}

void mt_start_program(struct mt_proc *p, const char *label, const char *bin,
		      const char *proc_type, const char *sub, const struct mt_env *env,
		      struct mt_ready *r, ...)
{
	va_list ap;

	va_start(ap, r);
	start_helper(p, label, bin, proc_type, env, r, ap, sub);
	va_end(ap);
}

void mt_start_secondary(struct mt_proc *p, const char *label, const struct mt_env *env,
			struct mt_ready *r, ...)
{
	va_list ap;

	va_start(ap, r);
	start_helper(p, label, mt_secondary_bin(), "secondary", env, r, ap, "shell");
	va_end(ap);
}

void mt_stop(struct mt_proc *p, int timeout_ms)
{
	mt_close_stdin(p);
	mt_expect_exit(p, 0, timeout_ms);
}

/* ---------------------------------------------------- small /proc and /sys files */

long mt_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int mt_write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fprintf(f, "%ld\n", v) > 0 ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

long mt_meminfo(const char *key)
{
	char line[256], k[64];
	long v = -1, x;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%63[^:]: %ld", k, &x) == 2 && strcmp(k, key) == 0)
			v = x;
	fclose(f);
	return v;
}
