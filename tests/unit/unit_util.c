/* SPDX-License-Identifier: BSD-3-Clause */
/* unit_util.c - see unit_util.h. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit_util.h"

#define UNIT_MAX_ARGS 64
#define UNIT_MAX_LOG  256

int unit_failures;
struct unit_rt unit_rt;

void unit_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
	unit_failures++;
}

void unit_fail_rc(const char *file, int line, const char *expr, long long got, long long want)
{
	char g[64] = "", w[64] = "";

	/* name small negative values as errnos: "-22 (Invalid argument)" */
	if (got < 0 && got > -4096)
		snprintf(g, sizeof(g), " (%s)", strerror((int)-got));
	if (want < 0 && want > -4096)
		snprintf(w, sizeof(w), " (%s)", strerror((int)-want));
	fprintf(stderr, "FAIL %s:%d: %s is %lld%s, expected %lld%s\n", file, line, expr, got, g,
		want, w);
	unit_failures++;
}

void unit_exit(void)
{
	exit(unit_failures ? 1 : 0);
}

void unit_skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	exit(UNIT_SKIP);
}

/* ---- runtime directory ------------------------------------------------- */

struct count_ctx {
	int verbose;
	int n;
};
static struct count_ctx count_ctx;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level == 0)
		return 0; /* the directory itself */
	if (count_ctx.verbose)
		fprintf(stderr, "  left behind: %s\n", path);
	count_ctx.n++;
	return 0;
}

int unit_dir_count(const char *dir, int verbose)
{
	count_ctx.verbose = verbose;
	count_ctx.n = 0;
	if (nftw(dir, count_entry, 16, FTW_PHYS) != 0)
		return -errno;
	return count_ctx.n;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void unit_rmtree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void rt_teardown(void)
{
	mpdp_cleanup();
	if (unit_rt.dir[0] != '\0')
		unit_rmtree(unit_rt.dir);
}

void unit_rt_setup(const char *test_name)
{
	static unsigned int counter;

	snprintf(unit_rt.dir, sizeof(unit_rt.dir), "/dev/shm/mpdp-unit-XXXXXX");
	if (mkdtemp(unit_rt.dir) == NULL) {
		fprintf(stderr, "mkdtemp(/dev/shm/mpdp-unit-XXXXXX): %s\n", strerror(errno));
		unit_rt.dir[0] = '\0';
		exit(1);
	}
	snprintf(unit_rt.prefix, sizeof(unit_rt.prefix), "%s-%d-%u", test_name, (int)getpid(),
		 counter++);
	atexit(rt_teardown);
}

/* ---- init -------------------------------------------------------------- */

static int init_list(int with_rt, const char *const *extra)
{
	char *argv[UNIT_MAX_ARGS + 1];
	char *copies[UNIT_MAX_ARGS];
	int argc = 0, nb_copies = 0, rc;

	argv[argc++] = "unit";
	if (with_rt) {
		argv[argc++] = "--runtime-dir";
		argv[argc++] = unit_rt.dir;
		argv[argc++] = "--prefix";
		argv[argc++] = unit_rt.prefix;
	}
	for (; *extra != NULL && argc < UNIT_MAX_ARGS; extra++) {
		copies[nb_copies] = strdup(*extra);
		argv[argc++] = copies[nb_copies++];
	}
	argv[argc] = NULL;
	rc = mpdp_init(argc, argv);
	for (int i = 0; i < nb_copies; i++)
		free(copies[i]);
	return rc;
}

int unit_init_list(const char *const *extra)
{
	return init_list(1, extra);
}

static int init_v(int with_rt, const char *first, va_list ap)
{
	const char *list[UNIT_MAX_ARGS + 1];
	int n = 0;

	for (const char *a = first; a != NULL && n < UNIT_MAX_ARGS; a = va_arg(ap, const char *))
		list[n++] = a;
	list[n] = NULL;
	return init_list(with_rt, list);
}

int unit_init(const char *extra, ...)
{
	va_list ap;
	int rc;

	va_start(ap, extra);
	rc = init_v(1, extra, ap);
	va_end(ap);
	return rc;
}

/* ---- log capture ------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct unit_log_line log_lines[UNIT_MAX_LOG];
static unsigned int log_n;
static mpdp_log_sink_t log_prev;
static int log_active;

static void capture_sink(enum mpdp_log_level level, const char *component, const char *message,
			 void *arg)
{
	(void)arg;
	pthread_mutex_lock(&log_lock);
	if (log_n < UNIT_MAX_LOG) {
		struct unit_log_line *l = &log_lines[log_n++];

		l->level = level;
		snprintf(l->component, sizeof(l->component), "%s", component ? component : "");
		snprintf(l->message, sizeof(l->message), "%s", message);
	}
	pthread_mutex_unlock(&log_lock);
}

void unit_log_capture(void)
{
	unit_log_clear();
	if (!log_active)
		log_prev = mpdp_log_set_sink(capture_sink, NULL);
	log_active = 1;
}

void unit_log_release(void)
{
	if (log_active)
		mpdp_log_set_sink(log_prev, NULL);
	log_active = 0;
}

void unit_log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_n = 0;
	pthread_mutex_unlock(&log_lock);
}

unsigned int unit_log_count(void)
{
	unsigned int n;

	pthread_mutex_lock(&log_lock);
	n = log_n;
	pthread_mutex_unlock(&log_lock);
	return n;
}

const struct unit_log_line *unit_log_get(unsigned int i)
{
	return i < unit_log_count() ? &log_lines[i] : NULL;
}

void unit_log_dump(void)
{
	unsigned int n = unit_log_count();

	for (unsigned int i = 0; i < n; i++)
		fprintf(stderr, "  log[%u] level %d %s: %s\n", i, (int)log_lines[i].level,
			log_lines[i].component, log_lines[i].message);
}
