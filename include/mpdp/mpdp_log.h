/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_log.h - logging for libraries, drivers and apps.
 *
 * Library and driver code never prints: it logs through mpdp_log() with a
 * component name ("eal", "ring", "pmd.virtio") and a level. Each component has
 * its own threshold, set with --log-level [component:]LEVEL or
 * mpdp_log_set_level(); a component with no threshold of its own uses the
 * global one. Messages go to a sink, stderr by default, replaceable with
 * mpdp_log_set_sink(). Everything here is process-local and thread-safe.
 */
#ifndef MPDP_LOG_H
#define MPDP_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum mpdp_log_level {
	MPDP_LOG_ERR = 1,
	MPDP_LOG_WARNING,
	MPDP_LOG_NOTICE,
	MPDP_LOG_INFO,
	MPDP_LOG_DEBUG,
};

/* Sink: receives one formatted message, without trailing newline. */
typedef void (*mpdp_log_sink_t)(enum mpdp_log_level level, const char *component,
				const char *message, void *arg);

/*
 * Log a message. Cheap when the level is filtered out (one table look-up).
 * Callable from any thread, before mpdp_init() too.
 */
void mpdp_log(enum mpdp_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mpdp_vlog(enum mpdp_log_level level, const char *component, const char *fmt,
	       va_list ap) __attribute__((format(printf, 3, 0)));

/* True when a message of this level and component would be emitted. */
int mpdp_log_enabled(enum mpdp_log_level level, const char *component);

/*
 * Set the threshold of one component, or the global one when component is
 * NULL. Returns 0, -EINVAL for a bad level, -ENOSPC when the component table is
 * full.
 */
int mpdp_log_set_level(const char *component, enum mpdp_log_level level);

/*
 * Parse "[component:]LEVEL" where LEVEL is a name (err, warning, notice,
 * info, debug) or 1..5, and apply it. Returns 0, -EINVAL, or -ENOSPC when
 * the component table (64 entries) is full.
 */
int mpdp_log_parse_level(const char *spec);

/* Replace the sink; NULL restores the default (stderr). Returns the old one. */
mpdp_log_sink_t mpdp_log_set_sink(mpdp_log_sink_t sink, void *arg);

/*
 * Rate-limited logging for anything that can run per packet: at most `burst`
 * messages per second from this call site, then a count of what was dropped.
 */
#define MPDP_LOG_RATELIMIT(level, component, burst, ...)                             \
	do {                                                                         \
		static uint64_t mpdp_rl_state_[2];                                   \
		if (mpdp_log_ratelimit_pass(mpdp_rl_state_, (burst)))                \
			mpdp_log((level), (component), __VA_ARGS__);                 \
	} while (0)
int mpdp_log_ratelimit_pass(uint64_t state[2], unsigned int burst);

#endif /* MPDP_LOG_H */
