/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev_private.h - process-local state of the port layer and the
 * interfaces between its files.
 *
 * Locking: one recursive mutex per process (eth.lock) serialises every
 * control call, the sync of the twin table and the probe, on any thread of
 * this process. Driver hooks run under it and may call the public API back.
 * Event callbacks run after it is dropped. The fast path takes no lock: it
 * reads mpdp_eth_fp_, whose entries for a queue change only while no process
 * may poll that queue (see mpdp_ethdev.h, queue ownership).
 */
#ifndef ETHDEV_PRIVATE_H
#define ETHDEV_PRIVATE_H

#include <pthread.h>
#include <stdint.h>

#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_ethdev_driver.h>
#include <mpdp/mpdp_log.h>

#define ETH_LOG(level, ...) mpdp_log(MPDP_LOG_##level, "ethdev", __VA_ARGS__)
#define ETH_TABLE_MZ "mpdp.ethdev"

/* Events queued under the lock and delivered by the outermost unlock. */
struct eth_events {
	unsigned int n;
	struct {
		uint16_t port;
		enum mpdp_eth_event ev;
	} e[4 * MPDP_MAX_PORTS];
};

/* A port's fds in this process (eth_fds.c). */
struct eth_port_fds {
	uint32_t generation;          /* the port generation they belong to */
	uint32_t fd_gen;              /* the slot's fd_gen they were exported under */
	int valid;
	int fd[MPDP_ETH_MAX_PORT_FDS];  /* -1: none */
};

/* This process's view of a port's capture (eth_capture.c). */
struct eth_capture_local {
	uint32_t session;             /* the slot's session this view was built for */
	struct mpdp_ring *ring;       /* attached once, kept until the twin goes */
	struct mpdp_mempool *pool;
	_Atomic uint32_t snaplen;
	_Atomic uint32_t queue_mask;
	_Atomic uint32_t cur_session;
	_Atomic uint64_t *captured;   /* the slot's counters */
	_Atomic uint64_t *dropped;
};

struct mpdp_ring;
struct mpdp_ipc_msg;

struct eth_local {
	pthread_mutex_t lock;
	unsigned int lock_depth;                    /* recursion depth of lock */
	int ready;                                  /* table attached */
	int primary;
	struct mpdp_eth_table_shm *table;
	uint64_t seen_changes;                      /* secondary: last table change synced */
	struct mpdp_eth_dev devs[MPDP_MAX_PORTS];
	uint8_t present[MPDP_MAX_PORTS];            /* a twin exists (available or not) */
	uint8_t available[MPDP_MAX_PORTS];          /* ... and has its driver here */
	uint32_t queue_gen[MPDP_MAX_PORTS];         /* shm queue_gen the handles were built from */
	unsigned int write_depth[MPDP_MAX_PORTS];   /* primary: nested write_begin */
	struct eth_events pending;                  /* events for the outermost unlock */
	struct eth_port_fds fds[MPDP_MAX_PORTS];
	struct eth_capture_local cap[MPDP_MAX_PORTS];
	mpdp_eth_event_cb_t event_cb;
	void *event_arg;
};

extern struct eth_local eth;

void eth_lock(void);
void eth_unlock(void);

/* Under eth.lock. A full queue drops the event (a callback that never
 * returns cannot make the table grow). */
static inline void eth_event_add(uint16_t port, enum mpdp_eth_event ev)
{
	if (eth.pending.n < MPDP_DIM(eth.pending.e)) {
		eth.pending.e[eth.pending.n].port = port;
		eth.pending.e[eth.pending.n].ev = ev;
		eth.pending.n++;
	}
}

/* ethdev.c */
void eth_fp_reset_port(uint16_t port);
void eth_twin_queues_detach(struct mpdp_eth_dev *dev);
void eth_twin_detach(uint16_t port);
/* the pid in a claim word (MPDP_ETH_OWNER) still runs, or cannot be told dead */
int eth_owner_alive(uint64_t owner);
void eth_announce(void);                 /* primary: changes++ and IPC to secondaries */
void eth_sync_locked(void);
int eth_close_locked(uint16_t port, int force);
int eth_stop_locked(uint16_t port);
int eth_table_create(void);

/* eth_fds.c */
void eth_fds_init(void);
void eth_fds_close_port(uint16_t port);
int eth_fds_put(struct mpdp_ipc_msg *msg);
void eth_fds_take(struct mpdp_ipc_msg *msg);

/* eth_capture.c */
void eth_capture_sync(uint16_t port);     /* this process's view and fast-path bits */
void eth_capture_port_gone(uint16_t port);
/* eth_link.c: mpdp_eth_dev_link_changed() (primary) */
int eth_link_init(void);
void eth_link_fini(void);
int eth_capture_primary_init(void);       /* registers "eth:capture" */
void eth_capture_fini(void);
void eth_capture_exit(int proc_id, int pid);  /* primary: a process left */

/* eth_driver.c */
const struct mpdp_eth_driver *eth_driver_for_vdev(const char *name);
const struct mpdp_eth_driver *eth_driver_for_pci(uint16_t vendor, uint16_t device);
unsigned int eth_driver_count(void);
void eth_driver_names(char *buf, size_t size, enum mpdp_bus_type bus);

/* called by the runtime (declared for it in lib/eal/eal_private.h) */
int mpdp_dev_init_primary_(void);
int mpdp_dev_init_secondary_(void);
void mpdp_dev_fini_(void);

/* eth_probe.c */
int eth_probe_vdev(const char *devargs, uint16_t *port);
int eth_probe_pci_one(const char *addr, uint16_t *port);

#endif /* ETHDEV_PRIVATE_H */
