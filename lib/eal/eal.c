/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal.c - mpdp_init() and mpdp_cleanup(): the order in which the runtime's
 * parts come up and go down, and what a secondary does when its primary dies.
 *
 * Primary:   args -> lock + stale recovery -> config (unpublished) -> heap
 *            -> IPC listen -> process table -> lcores -> control thread
 *            -> publish config (secondaries can find us from here on)
 * Secondary: args -> find live primary -> config (identity checked) -> heap
 *            -> control thread -> IPC hello (proc id, lcore ids) -> lcores
 *
 * Every failure unwinds what was done before it, so a failed mpdp_init()
 * leaves no file, socket, mapping or thread behind.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_lcore.h>

#include "eal_private.h"
#include "mpdp_build_config.h"

struct eal_state eal = { .lock_fd = -1, .config_fd = -1 };

/*
 * Orders the primary's death (control thread) against the end of a
 * secondary's attach (main thread): either the attach completes first and
 * the death is handled as such (callback or SIGTERM), or the death comes
 * first and mpdp_init() fails with -ENOTCONN. Never both, never neither.
 */
static pthread_mutex_t gone_lock = PTHREAD_MUTEX_INITIALIZER;
static int attach_done;                        /* under gone_lock */
static mpdp_primary_exit_cb_t primary_exit_cb; /* under gone_lock */
static void *primary_exit_arg;                 /* under gone_lock */

static void teardown(void);

static void state_reset(void)
{
	memset(&eal, 0, sizeof(eal));
	eal.lock_fd = -1;
	eal.config_fd = -1;
	for (unsigned int i = 0; i < MPDP_MAX_SEGMENTS; i++)
		eal.heap.seg_fds[i] = -1;
	eal_iova_fini();
}

/* auto: a secondary when a live primary holds the lock, else the primary. */
static enum mpdp_proc_type resolve_auto(void)
{
	return eal_runtime_primary_running() ? MPDP_PROC_SECONDARY : MPDP_PROC_PRIMARY;
}

static int init_primary(void)
{
	int rc = eal_runtime_primary_init();

	if (rc != 0)
		return rc;
	rc = eal_ipc_init();
	if (rc != 0)
		goto err_runtime;
	rc = eal_ctrl_init();
	if (rc != 0)
		goto err_ipc;
	rc = eal_ipc_primary_listen();
	if (rc != 0)
		goto err_ctrl;
	rc = eal_proc_register_primary();
	if (rc != 0) {
		EAL_LOG(ERR, "cannot register the primary in the process table: %s", strerror(-rc));
		goto err_ctrl;
	}
	mpdp_mempool_primary_init_();
	rc = eal_ctrl_start();
	if (rc != 0)
		goto err_lcores;
	rc = mpdp_dev_init_primary_();
	if (rc != 0)
		goto err_lcores;
	rc = eal_runtime_publish();
	if (rc != 0)
		goto err_devices;
	return 0;

err_devices:
	eal_ctrl_stop();
	mpdp_dev_fini_();
err_lcores:
	eal_lcore_stop();
err_ctrl:
	eal_ctrl_stop();
err_ipc:
	eal_ipc_fini();
err_runtime:
	eal_heap_fini(1);
	eal_runtime_fini();
	return rc;
}

static int init_secondary(void)
{
	uint16_t lcores[MPDP_MAX_LCORES];
	int rc = eal_runtime_secondary_attach();

	if (rc != 0)
		return rc;
	rc = eal_heap_attach();
	if (rc != 0)
		goto err_runtime;
	rc = eal_iova_secondary_init(); /* the primary fixed the mode before it published */
	if (rc != 0)
		goto err_heap;
	rc = eal_ipc_init();
	if (rc != 0)
		goto err_heap;
	rc = eal_ctrl_init();
	if (rc != 0)
		goto err_ipc;
	rc = eal_ctrl_start();
	if (rc != 0)
		goto err_ctrl;
	rc = eal_ipc_secondary_connect(eal.opts.cpus, eal.opts.nb_cpus, &eal.proc_id, lcores);
	if (rc != 0)
		goto err_ctrl;
	rc = eal_lcore_start(lcores, eal.opts.cpus, eal.opts.nb_cpus);
	if (rc != 0)
		goto err_ctrl; /* the primary reclaims our entry when the connection closes */
	rc = mpdp_dev_init_secondary_();
	if (rc != 0)
		goto err_lcores;
	return 0;

err_lcores:
	eal_lcore_stop();
err_ctrl:
	eal_ctrl_stop();
err_ipc:
	eal_ipc_fini();
err_heap:
	eal_heap_fini(0);
err_runtime:
	eal_runtime_fini();
	return rc;
}

int mpdp_init(int argc, char **argv)
{
	int rc, consumed = 0;

	if (eal.initialized) {
		EAL_LOG(ERR, "mpdp_init() called twice");
		return -EALREADY;
	}
	if (argc < 1 || argv == NULL) {
		EAL_LOG(ERR, "mpdp_init() needs argv[0]");
		return -EINVAL;
	}
	state_reset();
	rc = eal_parse_args(argc, argv, &eal.opts, &consumed);
	if (rc != 0)
		return rc;
	eal.file_mode = eal.opts.has_group ? 0660 : 0600;
	eal.dir_mode = eal.opts.has_group ? 0770 : 0700;
	eal.type = eal.opts.proc_type;
	if (eal.type == MPDP_PROC_AUTO)
		eal.type = resolve_auto();
	atomic_store(&eal.primary_alive, 1);
	if (eal.type == MPDP_PROC_SECONDARY &&
	    (eal.opts.nb_vdevs > 0 || eal.opts.nb_allow > 0 || eal.opts.nb_block > 0)) {
		/* DESIGN.md rule 3: only the primary probes and creates devices */
		EAL_LOG(ERR, "--vdev, -a and -b are primary options; a secondary attaches to the "
			     "primary's ports");
		state_reset();
		return -EINVAL;
	}
	rc = eal.type == MPDP_PROC_PRIMARY ? init_primary() : init_secondary();
	if (rc == -EBUSY && eal.opts.proc_type == MPDP_PROC_AUTO && eal.type == MPDP_PROC_PRIMARY) {
		/* auto lost the race to a primary starting at the same time: attach to it */
		eal.type = MPDP_PROC_SECONDARY;
		rc = init_secondary();
	}
	if (rc != 0) {
		state_reset();
		return rc;
	}
	pthread_mutex_lock(&gone_lock);
	if (!atomic_load(&eal.primary_alive)) {
		pthread_mutex_unlock(&gone_lock);
		EAL_LOG(ERR, "the primary (pid %d) left while this secondary was attaching",
			(int)eal.cfg->primary_pid);
		teardown();
		return -ENOTCONN;
	}
	attach_done = 1;
	eal.initialized = 1;
	pthread_mutex_unlock(&gone_lock);
	EAL_LOG(INFO, "%s %d of prefix '%s' ready (pid %d, lcore %u)",
		eal.type == MPDP_PROC_PRIMARY ? "primary" : "secondary", eal.proc_id,
		eal.opts.prefix, (int)getpid(), mpdp_lcore_main());
	/* the application's argv: its program name, then what follows "--" */
	argv[consumed] = argv[0];
	return consumed;
}

/* Undo a complete init, in reverse order. */
static void teardown(void)
{
	if (eal.type == MPDP_PROC_PRIMARY)
		eal_ipc_primary_leaving();
	eal_lcore_stop();
	eal_ctrl_stop();
	mpdp_dev_fini_();
	mpdp_mempool_detach_all_();
	eal_ipc_fini();
	eal_heap_fini(eal.type == MPDP_PROC_PRIMARY);
	eal_runtime_fini();
	pthread_mutex_lock(&gone_lock);
	attach_done = 0;
	primary_exit_cb = NULL;
	primary_exit_arg = NULL;
	pthread_mutex_unlock(&gone_lock);
	state_reset();
}

int mpdp_cleanup(void)
{
	if (!eal.initialized)
		return 0;
	if (eal_ctrl_is_self())
		return -EDEADLK; /* from a primary-exit callback: it cannot join itself */
	teardown();
	return 0;
}

/*
 * Control thread of a secondary: the primary died or is leaving. Runs at
 * most once per attach.
 */
void eal_primary_gone(const char *why)
{
	mpdp_primary_exit_cb_t cb;
	void *arg;
	int expected = 1, attached;

	pthread_mutex_lock(&gone_lock);
	if (!atomic_compare_exchange_strong(&eal.primary_alive, &expected, 0)) {
		pthread_mutex_unlock(&gone_lock);
		return;
	}
	attached = attach_done;
	cb = primary_exit_cb;
	arg = primary_exit_arg;
	pthread_mutex_unlock(&gone_lock);
	if (!attached) {
		/* still in mpdp_init(): it sees primary_alive == 0 and fails */
		EAL_LOG(INFO, "%s during attach", why);
		return;
	}
	if (cb != NULL) {
		EAL_LOG(NOTICE, "%s (pid %d)", why, eal.cfg ? (int)eal.cfg->primary_pid : -1);
		cb(arg);
		return;
	}
	EAL_LOG(ERR, "%s (pid %d); stopping this secondary with SIGTERM", why,
		eal.cfg ? (int)eal.cfg->primary_pid : -1);
	kill(getpid(), SIGTERM);
}

int mpdp_on_primary_exit(mpdp_primary_exit_cb_t cb, void *arg)
{
	if (eal.initialized && eal.type == MPDP_PROC_PRIMARY)
		return -EPERM;
	pthread_mutex_lock(&gone_lock);
	primary_exit_cb = cb;
	primary_exit_arg = arg;
	pthread_mutex_unlock(&gone_lock);
	return 0;
}

int mpdp_primary_alive(void)
{
	if (!eal.initialized)
		return 0;
	return eal.type == MPDP_PROC_PRIMARY ? 1 : atomic_load(&eal.primary_alive);
}

enum mpdp_proc_type mpdp_proc_type(void)
{
	return eal.initialized ? eal.type : MPDP_PROC_AUTO;
}

int mpdp_proc_id(void)
{
	return eal.initialized ? eal.proc_id : -ENODEV;
}

const char *mpdp_prefix(void)
{
	return eal.initialized ? eal.opts.prefix : NULL;
}

const char *mpdp_runtime_dir(void)
{
	return eal.initialized ? eal.dir : NULL;
}

int mpdp_dev_options_get(struct mpdp_dev_options *o)
{
	/* readable during init too: the primary probes from inside mpdp_init() */
	if (eal.cfg == NULL)
		return -ENODEV;
	memset(o, 0, sizeof(*o));
	o->sysfs_root = eal.opts.sysfs_root;
	o->no_pci = eal.opts.no_pci;
	o->nb_vdevs = eal.opts.nb_vdevs;
	o->nb_allow = eal.opts.nb_allow;
	o->nb_block = eal.opts.nb_block;
	for (unsigned int i = 0; i < MPDP_MAX_DEV_OPTIONS; i++) {
		o->vdevs[i] = eal.opts.vdevs[i];
		o->allow[i] = eal.opts.allow[i];
		o->block[i] = eal.opts.block[i];
	}
	return 0;
}

const char *mpdp_version(void)
{
	return MPDP_VERSION;
}

const char *mpdp_build_id(void)
{
	return MPDP_BUILD_ID;
}
