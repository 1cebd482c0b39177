/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_util.h - what the tools (l2fwd, proc-info, mp-worker, pktgen, dumpcap)
 * share: the split of the command line at "--", --help, number and port-mask
 * parsing with one error line, stop signals, and the clock.
 *
 * Every tool parses its own options (after "--") before mpdp_init(), so a bad
 * tool option is one error line and exit 1 even when no primary runs, and
 * "--help" anywhere prints the runtime's and the tool's usage and exits 0.
 *
 * Exit codes, the same for every tool (the man pages say so):
 *   0  success
 *   1  an error: bad option, the runtime did not start, a port or queue
 *      could not be used
 *   2  the tool stopped because the primary exited (secondaries)
 */
#ifndef MPDP_APP_UTIL_H
#define MPDP_APP_UTIL_H

#include <stdatomic.h>
#include <stdint.h>

#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_mempool.h>

#define APP_EXIT_OK           0
#define APP_EXIT_ERROR        1
#define APP_EXIT_PRIMARY_GONE 2

/* The tool's name for messages ("mpdp-l2fwd"); set by app_args_split(). */
extern const char *app_name;

/*
 * The command line, split: runtime options before "--" (given unchanged to
 * mpdp_init()), the tool's after it (argv[0] is the tool's name, for getopt).
 */
struct app_args {
	int rt_argc;
	char **rt_argv; /* points into a copy owned by the struct */
	int tool_argc;
	char **tool_argv;
	int help;       /* -h or --help anywhere */
	char **storage; /* what app_args_fini() frees */
};

/*
 * Split argv. When proc_type is not NULL ("primary", "secondary"),
 * "--proc-type PROC_TYPE" is inserted right after argv[0] so that a later
 * --proc-type given by the user still wins (check mpdp_proc_type() after
 * mpdp_init()). Returns 0 or -ENOMEM.
 */
int app_args_split(struct app_args *a, int argc, char **argv, const char *name,
		   const char *proc_type);
void app_args_fini(struct app_args *a);

/* Print the runtime's usage then the tool's to stdout (for --help). */
void app_print_help(const char *tool_usage);

/*
 * The start of a tool's main(): app_args_split(), then --help. Returns 0 to
 * go on, else -1 with *exit_code what main() returns: APP_EXIT_OK once the
 * help (tool_usage after the runtime's) is printed, APP_EXIT_ERROR after one
 * error line (out of memory). On -1, a holds nothing to release.
 */
int app_start(struct app_args *a, int argc, char **argv, const char *name,
	      const char *proc_type, const char *tool_usage, int *exit_code);

/*
 * Start the runtime of a tool that runs as a secondary: the stop signals,
 * the primary watched (app_watch_primary()), mpdp_init() with a's runtime
 * options. Returns 0 when it runs as a secondary; else -1 with *exit_code
 * what main() returns: mpdp_init_failed()'s when the runtime did not start,
 * APP_EXIT_ERROR after one error line when it started as the primary (the
 * runtime is then cleaned up again).
 */
int app_init_secondary(const struct app_args *a, const char *tool_usage, int *exit_code);

/* "NAME: message" on stderr, one line. */
void app_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long() ended on a bad option (c is ':' for a missing value, else an
 * unknown option): one error line naming it. Returns -1, for the caller's
 * return.
 */
int app_opt_bad(int c, char **argv);
/*
 * Options of the tools that loop (l2fwd, mp-worker, pktgen), parsed alike:
 * -T/--stats-period S, --duration S, --idle-us N. Their getopt codes are 'T',
 * APP_OPT_DURATION and APP_OPT_IDLE_US. Returns 1 when c was one of them
 * (stored in o), -1 after one error line for a bad value, 0 when c is not
 * one of them.
 */
enum { APP_OPT_DURATION = 0x1000, APP_OPT_IDLE_US };
struct app_loop_opts {
	double stats_period; /* 0: off */
	double duration;     /* 0: no limit */
	unsigned int idle_us;
};
int app_opt_loop(int c, const char *arg, struct app_loop_opts *o);

/* Arguments left after the options: one error line and -1; none: 0. */
int app_opt_trailing(int argc, char **argv);

/*
 * Parse an unsigned decimal (or 0x hex) integer in [min, max]. On error
 * prints one line naming the option and the accepted range and returns -1.
 */
int app_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The same for a non-negative decimal number of seconds ("1.5"). */
int app_parse_seconds(const char *opt, const char *s, double max, double *out);
/* A port mask: hex (0x3 or 3), non-zero, at most 32 bits. */
int app_parse_portmask(const char *opt, const char *s, uint32_t *out);

/*
 * Stop requests: SIGINT and SIGTERM set app_quit (the handler only stores);
 * SIGPIPE is ignored so that a closed stdout is an error, not a death.
 */
extern atomic_int app_quit;
/* The signal that set app_quit (0 if none). */
extern atomic_int app_quit_signal;
void app_signals_install(void);

/*
 * Primary exit, for secondaries: registers a callback (before mpdp_init())
 * that sets app_primary_gone and app_quit. Returns mpdp_on_primary_exit().
 */
extern atomic_int app_primary_gone;
int app_watch_primary(void);

/* Stop flag as one test: a signal, the primary gone. */
static inline int app_should_stop(void)
{
	return atomic_load_explicit(&app_quit, memory_order_relaxed) != 0;
}

/* CLOCK_MONOTONIC in ns. */
uint64_t app_now_ns(void);
/* Sleep up to ms milliseconds, returning early (1) once app_quit is set. */
int app_sleep_ms(unsigned int ms);

/*
 * The pools whose mbufs this process freed. A freed mbuf lands in the
 * calling lcore's cache of its own pool, whoever created the pool; before
 * leaving, a tool gives those caches back (app_pool_set_flush()), so that the
 * pool's owner sees every object free again and may destroy the pool. Only
 * pools marked here are touched: a pool this process never freed into may
 * have been destroyed by its owner meanwhile.
 */
struct app_pool_set {
	uint64_t bits[MPDP_MEMPOOL_MAX / 64];
	int dirty; /* some bit is set */
};

static inline void app_pool_set_add(struct app_pool_set *s, const struct mpdp_mbuf *m)
{
	s->bits[(m->pool_id / 64) % MPDP_DIM(s->bits)] |= 1ull << (m->pool_id % 64);
	s->dirty = 1;
}

/*
 * Flush the calling lcore's cache of every pool in s that is still alive and
 * empty s. Tools call it when leaving and when idle (a pass that received
 * nothing), so that a pool's owner waiting for its mbufs (mpdp-pktgen, before
 * it frees its pool) sees them free soon after the traffic stops. A pool
 * leaves the set once flushed: only a new free into it (so a live mbuf of
 * it) adds it back, and a pool freed by its owner is never touched again.
 */
void app_pool_set_flush(struct app_pool_set *s);

static inline void app_pool_set_flush_if_dirty(struct app_pool_set *s)
{
	if (mpdp_unlikely(s->dirty))
		app_pool_set_flush(s);
}

/* Free n mbufs, noting their pools in s. */
void app_free_bulk(struct app_pool_set *s, struct mpdp_mbuf **pkts, unsigned int n);

/* Count the bits of a mask. */
unsigned int app_popcount32(uint32_t v);

/* Packets per second as millions, 0 for an empty interval. */
double app_mpps(uint64_t packets, uint64_t ns);

#endif /* MPDP_APP_UTIL_H */
