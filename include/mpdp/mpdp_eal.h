/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_eal.h - the runtime: start-up, process model, shutdown.
 *
 * One primary process creates an instance (a runtime directory, a config
 * region, the shared heap and an IPC socket) and owns it for its whole life.
 * Secondary processes attach to a running primary of the same instance
 * (--prefix). See docs/design/runtime.md for the whole model.
 *
 * Typical use:
 *
 *	int n = mpdp_init(argc, argv);
 *	if (n < 0)
 *		return mpdp_init_failed(n, my_usage);  // prints help or exits 1
 *	argc -= n; argv += n;   // what follows "--" is the application's
 *	...
 *	mpdp_cleanup();
 */
#ifndef MPDP_EAL_H
#define MPDP_EAL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <mpdp/mpdp_common.h>

enum mpdp_proc_type {
	MPDP_PROC_AUTO = 0,
	MPDP_PROC_PRIMARY,
	MPDP_PROC_SECONDARY,
};

/*
 * Parse the runtime options (everything up to "--") and start the runtime in
 * the calling process. The calling thread becomes this process's main lcore.
 *
 * Returns the number of arguments consumed, "--" included, so the
 * application parses argv + n. On failure returns a negative errno after
 * logging one line that says what was wrong, and leaves nothing behind (no
 * file, socket, mapping or thread):
 *   -ECANCELED  --help was given (nothing was started; print mpdp_usage())
 *   -EINVAL     an unknown or malformed option (the log line names it)
 *   -EALREADY   mpdp_init() already succeeded in this process
 *   -EBUSY      primary requested but another primary runs (log names its pid)
 *   -ENOENT     secondary requested but no primary runs for this prefix
 *   -ENOTCONN   the primary left while this secondary was attaching
 *   -EPROTO     secondary of another layout or version than the primary
 *   -ENOMEM     the heap could not be created or mapped
 *   -ENOSPC     the process table or the lcore table is full
 *   other       from the system call that failed (logged with its context)
 * Thread: the main thread, once per process.
 */
int mpdp_init(int argc, char **argv);

/*
 * Stop the runtime in this process: lcore threads are joined (they must have
 * returned), the control thread stops, this process leaves the process table
 * and unmaps the heap. In the primary it also tells secondaries that it is
 * leaving and removes the runtime directory's files. Safe to call when
 * mpdp_init() failed or was never called. Returns 0, or -EDEADLK when called
 * from the control thread (a primary-exit callback: signal the main thread
 * instead). Main thread.
 */
int mpdp_cleanup(void);

/* Text describing the runtime options, for an application's --help. */
const char *mpdp_usage(void);

/*
 * Convenience for applications after a failed mpdp_init(): for -ECANCELED
 * prints mpdp_usage() and app_usage (if not NULL) to stdout and returns 0,
 * otherwise returns 1 (the error was already logged). Use as an exit code.
 * Inline so that the printing happens in the application, never in the
 * library.
 */
static inline int mpdp_init_failed(int rc, const char *app_usage)
{
	if (rc != -ECANCELED)
		return 1;
	fputs(mpdp_usage(), stdout);
	if (app_usage != NULL)
		fputs(app_usage, stdout);
	return 0;
}

/* Role of this process once mpdp_init() succeeded. */
enum mpdp_proc_type mpdp_proc_type(void);

/* Index of this process in the shared process table (0 is the primary). */
int mpdp_proc_id(void);

/* Name of this instance (--prefix) and its runtime directory. */
const char *mpdp_prefix(void);
const char *mpdp_runtime_dir(void);

/* mpdp version string ("0.1.0") and build identity of this binary. */
const char *mpdp_version(void);
const char *mpdp_build_id(void);

/*
 * Primary liveness, as seen by a secondary. 1 while the primary runs, 0 once
 * it died or left (learnt through the kernel within milliseconds, not by
 * polling). Always 1 in the primary.
 */
int mpdp_primary_alive(void);

/*
 * Called once, on the control thread, when the primary dies or leaves. The
 * heap stays mapped (reading it is safe, but nobody owns it any more): the
 * secondary should stop its lcores and have its main thread call
 * mpdp_cleanup() (the callback itself must not: -EDEADLK). If no callback is
 * registered the runtime logs one error line and raises SIGTERM in this
 * process, so that a secondary never silently keeps using a dead instance.
 * Register it before mpdp_init() to cover the whole life of the attach; a
 * primary that leaves while mpdp_init() is still attaching makes mpdp_init()
 * fail with -ENOTCONN instead. Only one callback; registering replaces the
 * previous one. Returns 0, or -EPERM in an initialised primary.
 */
typedef void (*mpdp_primary_exit_cb_t)(void *arg);
int mpdp_on_primary_exit(mpdp_primary_exit_cb_t cb, void *arg);

/* Device options (--vdev, -a, -b): how many of each, and their length. */
#define MPDP_MAX_DEV_OPTIONS 32
#define MPDP_DEV_OPTION_SIZE 512

/*
 * The device options this process was started with, as given (the bus layer
 * parses and checks them when the primary probes). Pointers stay valid until
 * mpdp_cleanup(). Returns 0, or -ENODEV when the runtime is not initialising
 * or initialised.
 */
struct mpdp_dev_options {
	const char *sysfs_root;       /* "" means /sys */
	int no_pci;
	unsigned int nb_vdevs, nb_allow, nb_block;
	const char *vdevs[MPDP_MAX_DEV_OPTIONS];
	const char *allow[MPDP_MAX_DEV_OPTIONS];
	const char *block[MPDP_MAX_DEV_OPTIONS];
};
int mpdp_dev_options_get(struct mpdp_dev_options *opts);

#endif /* MPDP_EAL_H */
