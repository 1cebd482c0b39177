/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_private.h - process-local state of the runtime and the interfaces
 * between its files. Nothing here is installed or seen by applications.
 *
 * Who runs where:
 *   main thread    mpdp_init(), mpdp_cleanup(), lcore launch/wait
 *   control thread one per process ("mpdp-ctrl"): epoll over the IPC
 *                  socket(s), peer pidfds and a wake-up eventfd; runs IPC
 *                  handlers and death handling. Started last in init,
 *                  stopped first in cleanup.
 *   lcore threads  worker lcores, run launched functions only.
 */
#ifndef EAL_PRIVATE_H
#define EAL_PRIVATE_H

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ipc.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_proc.h>

#include "eal_config.h"

#define EAL_LOG(level, ...) mpdp_log(MPDP_LOG_##level, "eal", __VA_ARGS__)

#define EAL_PREFIX_SIZE 48
#define EAL_DEFAULT_MEM (128ULL << 20)
#define EAL_MAX_SEGMENT (1ULL << 30)

struct eal_options {
	enum mpdp_proc_type proc_type;
	char prefix[EAL_PREFIX_SIZE];
	uint64_t mem;                 /* 0: default */
	int huge;                     /* -1 auto, 0 no, 1 yes */
	int iova_mode;                /* --iova-mode: 0 auto, else enum mpdp_iova_mode */
	char runtime_dir[PATH_MAX];   /* base; "" = default */
	int16_t cpus[MPDP_MAX_LCORES];
	unsigned int nb_cpus;         /* 0: main thread only, unpinned */
	int has_group;
	gid_t group;
	/* devices (primary only; see mpdp_bus.h) */
	char sysfs_root[PATH_MAX];    /* "" = /sys */
	int no_pci;
	unsigned int nb_vdevs, nb_allow, nb_block;
	char vdevs[MPDP_MAX_DEV_OPTIONS][MPDP_DEV_OPTION_SIZE];
	char allow[MPDP_MAX_DEV_OPTIONS][MPDP_DEV_OPTION_SIZE];
	char block[MPDP_MAX_DEV_OPTIONS][MPDP_DEV_OPTION_SIZE];
};

struct eal_heap {
	uint8_t *base;
	size_t len;
	size_t window_len;     /* reserved virtual range, >= len */
	void *window;
	size_t segment_len;
	size_t page_size;
	unsigned int nb_segments;
	int seg_fds[MPDP_MAX_SEGMENTS];
	int huge;
};

struct eal_state {
	int initialized;
	enum mpdp_proc_type type;
	int proc_id;
	struct eal_options opts;
	char dir[PATH_MAX];        /* instance runtime directory */
	mode_t file_mode;
	mode_t dir_mode;
	int lock_fd;               /* primary: holds LOCK_EX for its life */
	int config_fd;
	struct eal_config_shm *cfg;
	struct eal_heap heap;
	_Atomic int primary_alive;
};

extern struct eal_state eal;

/* eal_args.c */
int eal_parse_args(int argc, char **argv, struct eal_options *opts, int *consumed);
int eal_parse_size(const char *s, uint64_t *out);
int eal_parse_cpu_list(const char *s, int16_t *cpus, unsigned int *nb);

/* eal_runtime.c: runtime directory, lock, config region */
int eal_runtime_primary_init(void);
int eal_runtime_secondary_attach(void);
int eal_runtime_primary_running(void);
int eal_runtime_publish(void);
void eal_runtime_fini(void);
int eal_path(char *buf, size_t size, const char *name);
int eal_proc_start_time(pid_t pid, uint64_t *start_time);
int eal_pidfd_open_checked(pid_t pid, uint64_t start_time);

/* eal_heap.c */
int eal_heap_create(void);
int eal_heap_attach(void);
void eal_heap_fini(int unlink_files);
int eal_heap_segment_path(char *buf, size_t size, const struct eal_config_shm *cfg,
			  unsigned int i);
void eal_heap_unlink_stale(const struct eal_config_shm *old);

/*
 * eal_iova.c: the IOVA table (memzone "mpdp.iova", see docs/design/iova.md).
 * eal_iova_secondary_init(): a secondary, after the heap is attached, reads
 * and checks the primary's table (-EPROTO when it is not sane) and warns
 * when its own --iova-mode differs. eal_iova_fini(): forget this process's
 * view (main thread, when the heap goes away; no other thread may be in an
 * IOVA function then).
 */
int eal_iova_secondary_init(void);
void eal_iova_fini(void);

/* eal_lock.c: the instance lock in the config region */
int eal_lock_init(struct eal_lock_shm *lock);
int eal_lock(void);
void eal_unlock(void);
void eal_memzone_repair_locked(void);

/* eal_proc.c */
int eal_proc_register_primary(void);
int eal_proc_add_secondary(pid_t pid, uint64_t start_time, const char *comm,
			   const int16_t *cpus, unsigned int nb_cpus, uint16_t *lcores);
void eal_proc_reclaim(int proc_id);

/* eal_lcore.c */
int eal_lcore_start(const uint16_t *lcores, const int16_t *cpus, unsigned int nb);
void eal_lcore_stop(void);
void eal_lcore_unpinned_affinity(cpu_set_t *set); /* the main thread's CPUs before -l */

/* eal_ctrl.c: the control thread */
typedef void (*eal_ctrl_cb_t)(int fd, uint32_t events, void *arg);
struct eal_watch;
int eal_ctrl_init(void);
int eal_ctrl_start(void);
void eal_ctrl_stop(void);
struct eal_watch *eal_ctrl_watch(int fd, uint32_t events, eal_ctrl_cb_t cb, void *arg);
void eal_ctrl_unwatch(struct eal_watch *w);  /* control thread, or before start */
int eal_ctrl_is_self(void);

/* eal_ipc.c */
int eal_ipc_init(void);
int eal_ipc_primary_listen(void);
int eal_ipc_secondary_connect(const int16_t *cpus, unsigned int nb_cpus, int *proc_id,
			      uint16_t *lcores);
void eal_ipc_fini(void);
void eal_ipc_primary_leaving(void);
int eal_ipc_watch_primary(void);

/* eal.c */
void eal_primary_gone(const char *why);

/*
 * Libraries above the runtime that keep per-process state in shared memory.
 * The runtime calls them by name (strong references), so every program that
 * links the runtime has them: a primary that never made a pool still returns
 * a dead secondary's pool caches.
 */
void mpdp_mempool_primary_init_(void); /* primary: register the exit hook */
void mpdp_mempool_detach_all_(void);   /* cleanup: drop this process's handles */
/*
 * Devices (lib/ethdev): the primary probes the buses and creates the port
 * table before it publishes the instance; a secondary attaches to the ports
 * once it is in the process table. Both return 0 or -errno (logged) and undo
 * their own work on failure. mpdp_dev_fini_() runs after the control thread
 * stopped: the primary stops and closes its ports, a secondary detaches.
 */
int mpdp_dev_init_primary_(void);
int mpdp_dev_init_secondary_(void);
void mpdp_dev_fini_(void);

#endif /* EAL_PRIVATE_H */
