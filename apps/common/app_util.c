/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_util.c - shared helpers of the tools, see app_util.h.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_mempool.h>

#include "app_util.h"

const char *app_name = "mpdp";
atomic_int app_quit;
atomic_int app_quit_signal;
atomic_int app_primary_gone;

int app_args_split(struct app_args *a, int argc, char **argv, const char *name,
		   const char *proc_type)
{
	int extra = proc_type != NULL ? 2 : 0;
	int dd = argc; /* index of "--" */
	char **v;

	memset(a, 0, sizeof(*a));
	app_name = name;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			dd = i;
			break;
		}
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			a->help = 1;
	/* runtime part: argv[0], [--proc-type TYPE], argv[1..dd) */
	v = calloc((size_t)argc + (size_t)extra + 4, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	a->storage = v;
	a->rt_argv = v;
	a->rt_argc = 0;
	v[a->rt_argc++] = argv[0];
	if (proc_type != NULL) {
		v[a->rt_argc++] = "--proc-type";
		v[a->rt_argc++] = (char *)proc_type;
	}
	for (int i = 1; i < dd; i++)
		v[a->rt_argc++] = argv[i];
	v[a->rt_argc] = NULL;
	/* tool part: its name then what follows "--" */
	a->tool_argv = &v[a->rt_argc + 1];
	a->tool_argv[0] = (char *)name;
	a->tool_argc = 1;
	for (int i = dd + 1; i < argc; i++)
		a->tool_argv[a->tool_argc++] = argv[i];
	a->tool_argv[a->tool_argc] = NULL;
	return 0;
}

void app_args_fini(struct app_args *a)
{
	free(a->storage);
	memset(a, 0, sizeof(*a));
}

void app_print_help(const char *tool_usage)
{
	fputs(mpdp_usage(), stdout);
	fputs(tool_usage, stdout);
}

int app_start(struct app_args *a, int argc, char **argv, const char *name,
	      const char *proc_type, const char *tool_usage, int *exit_code)
{
	if (app_args_split(a, argc, argv, name, proc_type) != 0) {
		fprintf(stderr, "%s: out of memory\n", name);
		*exit_code = APP_EXIT_ERROR;
		return -1;
	}
	if (a->help) {
		app_print_help(tool_usage);
		app_args_fini(a);
		*exit_code = APP_EXIT_OK;
		return -1;
	}
	return 0;
}

int app_init_secondary(const struct app_args *a, const char *tool_usage, int *exit_code)
{
	int n;

	app_signals_install();
	app_watch_primary();
	n = mpdp_init(a->rt_argc, a->rt_argv);
	if (n < 0) {
		*exit_code = mpdp_init_failed(n, tool_usage);
		return -1;
	}
	if (mpdp_proc_type() != MPDP_PROC_SECONDARY) {
		app_err("must run as a secondary (drop --proc-type primary)");
		mpdp_cleanup();
		*exit_code = APP_EXIT_ERROR;
		return -1;
	}
	return 0;
}

void app_err(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", app_name, buf);
}

int app_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s == NULL || !isdigit((unsigned char)s[0]))
		goto bad;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	app_err("invalid value '%s' for %s: expected an integer in %llu..%llu", s ? s : "", opt,
		(unsigned long long)min, (unsigned long long)max);
	return -1;
}

int app_parse_seconds(const char *opt, const char *s, double max, double *out)
{
	double v;
	char *end;

	errno = 0;
	if (s == NULL || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		goto bad;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	app_err("invalid value '%s' for %s: expected seconds in 0..%.0f", s ? s : "", opt, max);
	return -1;
}

int app_parse_portmask(const char *opt, const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s == NULL || !isxdigit((unsigned char)s[0]))
		goto bad;
	v = strtoull(s, &end, 16);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT32_MAX)
		goto bad;
	*out = (uint32_t)v;
	return 0;
bad:
	app_err("invalid value '%s' for %s: expected a non-zero hexadecimal port mask such as 0x3",
		s ? s : "", opt);
	return -1;
}

static void on_stop_signal(int sig)
{
	/* async-signal-safe: lock-free atomic stores only */
	atomic_store(&app_quit_signal, sig);
	atomic_store(&app_quit, 1);
}

void app_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	/* restart: a stop signal during a write must not leave stdout in error
	 * (sleeps are still cut short: nanosleep is never restarted) */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void on_primary_exit(void *arg)
{
	(void)arg;
	/* the control thread: set flags only, the main thread cleans up */
	atomic_store(&app_primary_gone, 1);
	atomic_store(&app_quit, 1);
}

int app_watch_primary(void)
{
	return mpdp_on_primary_exit(on_primary_exit, NULL);
}

uint64_t app_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int app_sleep_ms(unsigned int ms)
{
	uint64_t end = app_now_ns() + (uint64_t)ms * 1000000ull;

	while (!app_should_stop()) {
		uint64_t now = app_now_ns();
		uint64_t left = end > now ? end - now : 0;
		struct timespec ts;

		if (left == 0)
			return 0;
		if (left > 10000000ull)
			left = 10000000ull; /* look at the flags every 10 ms */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		nanosleep(&ts, NULL);
	}
	return 1;
}

void app_pool_set_flush(struct app_pool_set *s)
{
	for (unsigned int id = 0; id < MPDP_MEMPOOL_MAX; id++) {
		struct mpdp_mempool *mp;

		if (!(s->bits[id / 64] & (1ull << (id % 64))))
			continue;
		s->bits[id / 64] &= ~(1ull << (id % 64));
		mp = atomic_load_explicit(&mpdp_mempool_by_id_[id], memory_order_acquire);
		/*
		 * Its owner keeps it while our cache holds objects. Checked all the
		 * same, magic and name: this process's handle outlives a pool its
		 * owner destroyed, and the memory may hold another pool by now.
		 */
		if (mp != NULL &&
		    atomic_load_explicit(&mp->shm->magic, memory_order_acquire) ==
			    MPDP_MEMPOOL_MAGIC &&
		    strncmp(mp->shm->name, mp->name, sizeof(mp->name)) == 0)
			mpdp_mempool_cache_flush(mp);
	}
	s->dirty = 0;
}

void app_free_bulk(struct app_pool_set *s, struct mpdp_mbuf **pkts, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		app_pool_set_add(s, pkts[i]);
	mpdp_mbuf_free_bulk(pkts, n);
}

unsigned int app_popcount32(uint32_t v)
{
	return (unsigned int)__builtin_popcount(v);
}

double app_mpps(uint64_t packets, uint64_t ns)
{
	return ns == 0 ? 0.0 : (double)packets * 1e3 / (double)ns;
}

int app_opt_bad(int c, char **argv)
{
	if (c == ':')
		app_err("option '%s' needs a value (see --help)", argv[optind - 1]);
	else
		app_err("unknown option '%s' (see --help)", argv[optind - 1]);
	return -1;
}

int app_opt_trailing(int argc, char **argv)
{
	if (optind < argc) {
		app_err("unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	return 0;
}

int app_opt_loop(int c, const char *arg, struct app_loop_opts *o)
{
	uint64_t v;

	switch (c) {
	case 'T':
		return app_parse_seconds("-T/--stats-period", arg, 86400, &o->stats_period) != 0
			       ? -1
			       : 1;
	case APP_OPT_DURATION:
		return app_parse_seconds("--duration", arg, 86400 * 365.0, &o->duration) != 0 ? -1
											      : 1;
	case APP_OPT_IDLE_US:
		if (app_parse_u64("--idle-us", arg, 0, 100000, &v) != 0)
			return -1;
		o->idle_us = (unsigned int)v;
		return 1;
	}
	return 0;
}
