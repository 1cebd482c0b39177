/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_capture.c - port capture: the producers' copy in the fast path, the
 * primary's bookkeeping, and the reader's handle. The contract is in
 * mpdp_eth_capture.h.
 *
 * Shared state: the slot's capture block, (P) fields written by the primary
 * under the slot's seqlock, counters added to by any producer.
 *
 * Process-local state (eth.cap[port]): the ring and pool handles, made the
 * first time this process sees the port captured and kept until the process
 * leaves (the ring and pool live as long as the instance, so a handle can
 * never go stale: DESIGN.md rule 2), and this process's copy of the
 * settings, built by eth_capture_sync() from a consistent snapshot of the
 * slot.
 *
 * Ordering, per process:
 *
 *   sync (control thread, eth.lock)          producer (any lcore)
 *   attach ring and pool, store snaplen,     load fp.capture (relaxed, inline)
 *   queue_mask, cur_session (relaxed)        load fp.capture (acquire) -- (B)
 *   store fp.capture (release)  -- (A)       load the settings (relaxed)
 *
 * (B) pairs with (A): a producer that saw the bits sees the settings and the
 * ring and pool handles stored before them. (B) is a load, not a fence, so
 * that ThreadSanitizer sees the pairing too. A producer that runs on older
 * bits only makes copies that carry an older session; besides, before each
 * burst it compares its session with the slot's (slot_session()) and copies
 * nothing when the capture ended or changed (stop, reader gone, port
 * closed), without waiting for its sync.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_eth_capture.h>
#include <mpdp/mpdp_ipc.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_ring.h>

#include "ethdev_private.h"

#define CAP_RING_SIZE  4096u /* copies waiting for the reader (4095 fit) */
#define CAP_POOL_SIZE  6143u /* mbufs: the ring's worth, the reader's burst, 2047 for lcore caches */
#define CAP_POOL_CACHE 64u
#define CAP_DATA_ROOM  (MPDP_MBUF_DEFAULT_HEADROOM + 2048u)
#define CAP_MAX_BURST  64u
#define CAP_SYNC_TRIES 16 /* seqlock reads before waiting for the next announcement */

enum cap_op {
	CAP_OP_START = 1,
	CAP_OP_STOP = 2
};

/* IPC "eth:capture" request and reply: fixed-size, checked by length. */
struct cap_wire_req {
	uint16_t port;
	uint16_t op;
	int32_t pid;
	uint32_t dirs;
	uint32_t queue_mask;
	uint32_t snaplen;
	uint32_t session; /* stop: the session to end */
};

struct cap_wire_reply {
	uint32_t session;
	uint32_t pool_id;
	uint32_t snaplen;
	uint32_t pad;
	char ring[MPDP_NAME_SIZE];
};

/* A reader's handle (process-local). */
struct mpdp_eth_capture {
	uint16_t port;
	uint16_t pool_id;
	uint32_t session;
	uint32_t snaplen;
	struct mpdp_ring *ring;
	struct mpdp_mempool *pool;
	const struct mpdp_eth_capture_shm *shm;
	struct mpdp_eth_capture_stats st; /* last counters read; stale and bad are ours */
};

static uint32_t cap_serial; /* primary, under eth.lock: the last session handed out */

/*
 * The slot's session, which producers read outside the seqlock (one load
 * per burst while a capture runs), so it is _Atomic; relaxed is enough,
 * the fast-path word carries the ordering. (A close of the port clears the slot
 * with memset under the seqlock, while no queue of it may be polled.)
 */
static inline uint32_t slot_session(const struct mpdp_eth_capture_shm *c)
{
	return atomic_load_explicit(&c->session, memory_order_relaxed);
}

static inline void slot_session_set(struct mpdp_eth_capture_shm *c, uint32_t session)
{
	atomic_store_explicit(&c->session, session, memory_order_relaxed);
}

/* ------------------------------------------------------------ producers */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void copy_one(struct mpdp_mbuf *dst, const struct mpdp_mbuf *src, uint32_t snaplen,
		     uint64_t ts, struct mpdp_eth_capture_meta meta)
{
	uint32_t room = mpdp_mbuf_tailroom(dst);
	uint32_t len = src->pkt_len;
	uint32_t done;

	if (len > snaplen)
		len = snaplen;
	if (len > room)
		len = room;
	/* the chain is the caller's: bounded by len and by its own links */
	done = mpdp_mbuf_copy_out(src, 0, mpdp_mbuf_buf_addr(dst) + dst->data_off, len);
	dst->data_len = (uint16_t)done;
	dst->pkt_len = done;
	dst->port = meta.port;
	dst->timestamp = ts;
	meta.orig_len = src->pkt_len;
	memcpy(dst->dynfield, &meta, sizeof(meta));
}

MPDP_STATIC_ASSERT(sizeof(struct mpdp_eth_capture_meta) <=
			   sizeof(((struct mpdp_mbuf *)0)->dynfield),
		   "capture meta fits in dynfield");

void mpdp_eth_capture_burst_(uint16_t port, uint16_t q, uint32_t dir, struct mpdp_mbuf *const *pkts,
			     uint16_t n)
{
	struct eth_capture_local *cl;
	struct mpdp_mbuf *copies[CAP_MAX_BURST];
	struct mpdp_eth_capture_meta meta;
	uint32_t mask, snaplen, session;
	uint64_t ts, enq_total = 0, lost = 0;
	unsigned int room;

	if (port >= MPDP_MAX_PORTS)
		return;
	/* (B): pairs with the release store (A) of the fast-path word in eth_capture_sync() */
	if (!(atomic_load_explicit(&mpdp_eth_fp_[port].capture, memory_order_acquire) & dir))
		return; /* ended since the caller looked */
	cl = &eth.cap[port];
	mask = atomic_load_explicit(&cl->queue_mask, memory_order_relaxed);
	if ((mask != 0 && (q >= 32 || !(mask & (1u << q)))) || cl->ring == NULL || cl->pool == NULL)
		return;
	session = atomic_load_explicit(&cl->cur_session, memory_order_relaxed);
	/*
	 * The capture ended or changed hands since our sync (stop, reader gone,
	 * port closed and its slot cleared): copy nothing. Outside the seqlock:
	 * a stale value costs at most the copies of this burst, which carry our
	 * session and are dropped by the reader.
	 */
	if (eth.table == NULL || slot_session(&eth.table->ports[port].capture) != session)
		return;
	snaplen = atomic_load_explicit(&cl->snaplen, memory_order_relaxed);
	/* a full ring is known before copying: count, do not copy then free */
	room = mpdp_ring_free_count(cl->ring);
	if (room < n) {
		lost = (uint64_t)(n - room);
		n = (uint16_t)room;
	}
	memset(&meta, 0, sizeof(meta));
	meta.session = session;
	meta.port = port;
	meta.queue = q;
	meta.dir = (uint8_t)dir;
	ts = n > 0 ? now_ns() : 0;
	while (n > 0) {
		uint16_t k = n > CAP_MAX_BURST ? CAP_MAX_BURST : n;
		unsigned int enq;

		if (mpdp_mbuf_alloc_bulk(cl->pool, copies, k) != 0) {
			lost += n;
			break;
		}
		for (uint16_t i = 0; i < k; i++)
			copy_one(copies[i], pkts[i], snaplen, ts, meta);
		enq = mpdp_ring_enqueue_burst_ptr(cl->ring, (void *const *)copies, k, NULL);
		if (enq < k) {
			/* another producer took the room meanwhile */
			mpdp_mbuf_free_bulk(copies + enq, k - enq);
			lost += k - enq;
		}
		enq_total += enq;
		pkts += k;
		n = (uint16_t)(n - k);
	}
	if (enq_total > 0)
		atomic_fetch_add_explicit(cl->captured, enq_total, memory_order_relaxed);
	if (lost > 0)
		atomic_fetch_add_explicit(cl->dropped, lost, memory_order_relaxed);
}

/* ------------------------------------------------------------ every process */

/* The slot's capture settings, as one consistent copy. */
struct cap_snapshot {
	uint32_t session, dirs, queue_mask, snaplen, pool_id;
	char ring[MPDP_NAME_SIZE];
};

/*
 * Copy the slot's capture block under its seqlock. Returns 0, or -EAGAIN
 * when the primary kept writing (it announces afterwards: we come back).
 */
static int slot_snapshot(uint16_t port, struct cap_snapshot *out)
{
	struct mpdp_eth_dev_shm *s = &eth.table->ports[port];
	const struct mpdp_eth_capture_shm *c = &s->capture;

	for (int i = 0; i < CAP_SYNC_TRIES; i++) {
		/* acquire: pairs with the release in mpdp_eth_dev_write_end() */
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);

		if (seq & 1)
			continue;
		out->session = slot_session(c);
		out->dirs = c->dirs;
		out->queue_mask = c->queue_mask;
		out->snaplen = c->snaplen;
		out->pool_id = c->pool_id;
		memcpy(out->ring, c->ring, sizeof(out->ring));
		/* the copies above are done before seq is read again */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) == seq) {
			out->ring[sizeof(out->ring) - 1] = '\0';
			return 0;
		}
	}
	return -EAGAIN;
}

/* The pool id names a live mbuf pool with the ring's name (distrust the slot). */
static struct mpdp_mempool *pool_check(uint32_t id, const char *name)
{
	struct mpdp_mempool *mp = mpdp_mempool_from_id(id);

	if (mp == NULL || strncmp(mp->name, name, MPDP_NAME_SIZE) != 0 ||
	    mpdp_mbuf_pool_data_room(mp) <= MPDP_MBUF_DEFAULT_HEADROOM)
		return NULL;
	return mp;
}

/* Attach the port's ring and pool in this process (once). Under eth.lock. */
static int local_attach(uint16_t port, const struct cap_snapshot *c)
{
	struct eth_capture_local *cl = &eth.cap[port];
	int err = 0;

	if (cl->ring == NULL) {
		cl->ring = mpdp_ring_attach(c->ring, &err);
		if (cl->ring == NULL) {
			ETH_LOG(ERR, "port %u: cannot attach capture ring %s: %s", port, c->ring,
				strerror(-err));
			return err;
		}
	}
	if (cl->pool == NULL) {
		cl->pool = pool_check(c->pool_id, c->ring);
		if (cl->pool == NULL) {
			ETH_LOG(ERR, "port %u: capture pool %u is not the mbuf pool %s", port,
				c->pool_id, c->ring);
			return -ENOENT;
		}
	}
	return 0;
}

/* Under eth.lock: bring this process's view and fast-path bits to the slot's capture. */
void eth_capture_sync(uint16_t port)
{
	struct mpdp_eth_capture_shm *c = &eth.table->ports[port].capture;
	struct eth_capture_local *cl = &eth.cap[port];
	struct cap_snapshot snap;

	if (slot_snapshot(port, &snap) != 0)
		return; /* the primary is writing; its announcement brings us back */
	if (snap.session == cl->session)
		return;
	cl->session = snap.session; /* also when attaching fails: logged once */
	if (snap.session == 0 || local_attach(port, &snap) != 0) {
		atomic_store_explicit(&mpdp_eth_fp_[port].capture, 0, memory_order_relaxed);
		return;
	}
	if (cl->captured == NULL) {
		/* once: a producer of an earlier session may be reading them */
		cl->captured = &c->captured;
		cl->dropped = &c->dropped;
	}
	atomic_store_explicit(&cl->snaplen, snap.snaplen, memory_order_relaxed);
	atomic_store_explicit(&cl->queue_mask, snap.queue_mask, memory_order_relaxed);
	atomic_store_explicit(&cl->cur_session, snap.session, memory_order_relaxed);
	/* (A) release: a producer that sees the bits sees the settings above; pairs with (B) */
	atomic_store_explicit(&mpdp_eth_fp_[port].capture,
			      snap.dirs & (MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX),
			      memory_order_release);
}

void eth_capture_port_gone(uint16_t port)
{
	/* the handles stay: the ring and pool outlive the port */
	atomic_store_explicit(&mpdp_eth_fp_[port].capture, 0, memory_order_relaxed);
	eth.cap[port].session = 0;
}

void eth_capture_fini(void)
{
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++) {
		struct eth_capture_local *cl = &eth.cap[p];

		atomic_store_explicit(&mpdp_eth_fp_[p].capture, 0, memory_order_relaxed);
		if (cl->ring != NULL)
			mpdp_ring_detach(cl->ring);
		memset(cl, 0, sizeof(*cl));
	}
	if (eth.primary)
		(void)mpdp_ipc_action_unregister("eth:capture");
}

/* ------------------------------------------------------------ primary */

/*
 * The per-instance ring and pool of a port id: made once, never freed
 * (kept in eth.cap[port] across a close of the port). Under eth.lock.
 * Returns 0 and the pool's bytes per copy in *room, or a negative errno.
 */
static int primary_resources(uint16_t port, uint32_t *room)
{
	struct eth_capture_local *cl = &eth.cap[port];
	char name[MPDP_NAME_SIZE];
	int err = 0;

	snprintf(name, sizeof(name), "mpdp.cap%u", port);
	if (cl->ring == NULL) {
		cl->ring = mpdp_ring_create(name, CAP_RING_SIZE, MPDP_RING_F_SC_DEQ, &err);
		if (cl->ring == NULL && err == -EEXIST)
			cl->ring = mpdp_ring_attach(name, &err);
		if (cl->ring == NULL) {
			ETH_LOG(ERR, "port %u: cannot make capture ring %s: %s", port, name,
				strerror(-err));
			return err;
		}
	}
	if (cl->pool == NULL) {
		struct mpdp_mempool *mp = mpdp_mempool_lookup(name, &err);

		if (mp == NULL)
			mp = mpdp_mbuf_pool_create(name, CAP_POOL_SIZE, CAP_POOL_CACHE, 0,
						   CAP_DATA_ROOM, NULL, &err);
		if (mp == NULL) {
			ETH_LOG(ERR,
				"port %u: cannot make the capture pool %s (%u mbufs of %u "
				"bytes): %s",
				port, name, CAP_POOL_SIZE, CAP_DATA_ROOM, strerror(-err));
			return err; /* the ring stays for the next try */
		}
		if (pool_check(mp->id, name) == NULL) {
			ETH_LOG(ERR, "port %u: the mempool %s is not a capture pool", port, name);
			return -EEXIST;
		}
		cl->pool = mp;
	}
	*room = mpdp_mbuf_pool_data_room(cl->pool) - MPDP_MBUF_DEFAULT_HEADROOM;
	return 0;
}

/* Primary, under eth.lock. */
static int primary_start(const struct cap_wire_req *rq, int proc_id, struct cap_wire_reply *out)
{
	struct mpdp_eth_dev *dev;
	struct mpdp_eth_capture_shm *c;
	uint64_t consumer = MPDP_ETH_OWNER(proc_id, rq->pid);
	uint32_t dirs = rq->dirs == 0 ? MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX : rq->dirs;
	uint32_t room = 0;
	int rc;

	if (rq->port >= MPDP_MAX_PORTS || !eth.present[rq->port] || !eth.available[rq->port])
		return -ENODEV;
	if ((dirs & ~(MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX)) != 0 || rq->pid <= 0 ||
	    (rq->queue_mask >> MPDP_ETH_MAX_QUEUES) != 0)
		return -EINVAL;
	dev = &eth.devs[rq->port];
	c = &dev->shm->capture;
	if (c->session != 0 && c->consumer != consumer && eth_owner_alive(c->consumer)) {
		ETH_LOG(ERR, "port %u: already captured by process %d (pid %d)", rq->port,
			MPDP_ETH_OWNER_PROC(c->consumer), MPDP_ETH_OWNER_PID(c->consumer));
		return -EBUSY;
	}
	rc = primary_resources(rq->port, &room);
	if (rc != 0)
		return rc;
	if (++cap_serial == 0)
		cap_serial = 1;
	mpdp_eth_dev_write_begin(dev);
	slot_session_set(c, cap_serial);
	c->dirs = dirs;
	c->queue_mask = rq->queue_mask;
	c->snaplen = rq->snaplen == 0 || rq->snaplen > room ? room : rq->snaplen;
	c->consumer = consumer;
	c->pool_id = eth.cap[rq->port].pool->id;
	snprintf(c->ring, sizeof(c->ring), "mpdp.cap%u", rq->port);
	atomic_store_explicit(&c->captured, 0, memory_order_relaxed);
	atomic_store_explicit(&c->dropped, 0, memory_order_relaxed);
	mpdp_eth_dev_write_end(dev);
	eth_capture_sync(rq->port);
	eth_announce();
	ETH_LOG(INFO, "port %u: capture %u started for process %d (pid %d)", rq->port, c->session,
		proc_id, rq->pid);
	memset(out, 0, sizeof(*out));
	out->session = c->session;
	out->pool_id = c->pool_id;
	out->snaplen = c->snaplen;
	memcpy(out->ring, c->ring, sizeof(out->ring));
	return 0;
}

/* Primary, under eth.lock. */
static void primary_end(uint16_t port, const char *why)
{
	struct mpdp_eth_dev *dev = &eth.devs[port];
	struct mpdp_eth_capture_shm *c = &dev->shm->capture;

	ETH_LOG(INFO, "port %u: capture %u ended (%s): %llu copies, %llu dropped", port, c->session,
		why, (unsigned long long)atomic_load(&c->captured),
		(unsigned long long)atomic_load(&c->dropped));
	mpdp_eth_dev_write_begin(dev);
	slot_session_set(c, 0);
	c->consumer = 0;
	mpdp_eth_dev_write_end(dev);
	eth_capture_sync(port);
	eth_announce();
}

static int primary_stop(const struct cap_wire_req *rq, int proc_id)
{
	struct mpdp_eth_capture_shm *c;

	if (rq->port >= MPDP_MAX_PORTS || !eth.present[rq->port])
		return 0; /* the port closed: its capture ended with it */
	c = &eth.devs[rq->port].shm->capture;
	if (c->session != rq->session || c->consumer != MPDP_ETH_OWNER(proc_id, rq->pid))
		return 0; /* ended already */
	primary_end(rq->port, "stopped by its reader");
	return 0;
}

static int primary_request(const struct cap_wire_req *rq, int proc_id, struct cap_wire_reply *out)
{
	int rc;

	eth_lock();
	if (!eth.ready || !eth.primary)
		rc = -ENODEV;
	else if (rq->op == CAP_OP_START)
		rc = primary_start(rq, proc_id, out);
	else if (rq->op == CAP_OP_STOP)
		rc = primary_stop(rq, proc_id);
	else
		rc = -EINVAL;
	eth_unlock();
	return rc;
}

static int ipc_capture(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	struct cap_wire_req rq;
	struct cap_wire_reply out;
	int rc;

	(void)arg;
	if (reply == NULL)
		return 0;
	if (req->len != sizeof(rq))
		return -EINVAL;
	memcpy(&rq, req->data, sizeof(rq));
	memset(&out, 0, sizeof(out));
	rc = primary_request(&rq, req->peer, &out);
	if (rc == 0 && rq.op == CAP_OP_START)
		rc = mpdp_ipc_msg_add_data(reply, &out, sizeof(out));
	return rc;
}

int eth_capture_primary_init(void)
{
	return mpdp_ipc_action_register("eth:capture", ipc_capture, NULL);
}

/* Primary exit hook (control thread): a capture's reader left; end its capture. */
void eth_capture_exit(int proc_id, int pid)
{
	uint64_t gone = MPDP_ETH_OWNER(proc_id, pid);

	eth_lock();
	for (uint16_t p = 0; eth.ready && eth.primary && p < MPDP_MAX_PORTS; p++)
		if (eth.present[p] && eth.table->ports[p].capture.session != 0 &&
		    eth.table->ports[p].capture.consumer == gone)
			primary_end(p, "its reader exited");
	eth_unlock();
}

/* ------------------------------------------------------------ the reader */

static int request(const struct cap_wire_req *rq, struct cap_wire_reply *out)
{
	struct mpdp_ipc_msg msg, reply;
	int rc;

	if (mpdp_proc_id() == MPDP_IPC_PRIMARY)
		return primary_request(rq, MPDP_IPC_PRIMARY, out);
	rc = mpdp_ipc_msg_init(&msg, "eth:capture");
	if (rc == 0)
		rc = mpdp_ipc_msg_add_data(&msg, rq, sizeof(*rq));
	if (rc == 0)
		rc = mpdp_ipc_request(&msg, MPDP_IPC_PRIMARY, &reply, 5000);
	mpdp_ipc_msg_fini(&msg);
	if (rc != 0)
		return rc == -ETIMEDOUT ? rc : -ENOTCONN;
	rc = reply.status;
	if (rc == 0 && rq->op == CAP_OP_START) {
		if (reply.len == sizeof(*out))
			memcpy(out, reply.data, sizeof(*out));
		else
			rc = -EPROTO;
	}
	mpdp_ipc_msg_fini(&reply);
	return rc;
}

int mpdp_eth_capture_start(uint16_t port, const struct mpdp_eth_capture_conf *conf,
			   struct mpdp_eth_capture **capp)
{
	struct cap_wire_req rq;
	struct cap_wire_reply out;
	struct mpdp_eth_capture *cap;
	int rc, err = 0;

	if (capp == NULL)
		return -EINVAL;
	*capp = NULL;
	if (!mpdp_eth_dev_is_valid(port))
		return -ENODEV;
	memset(&rq, 0, sizeof(rq));
	rq.port = port;
	rq.op = CAP_OP_START;
	rq.pid = getpid();
	if (conf != NULL) {
		rq.dirs = conf->dirs;
		rq.queue_mask = conf->queue_mask;
		rq.snaplen = conf->snaplen;
	}
	cap = calloc(1, sizeof(*cap));
	if (cap == NULL)
		return -ENOMEM;
	rc = request(&rq, &out);
	if (rc != 0) {
		free(cap);
		return rc;
	}
	out.ring[sizeof(out.ring) - 1] = '\0';
	cap->port = port;
	cap->session = out.session;
	cap->snaplen = out.snaplen;
	cap->shm = &eth.table->ports[port].capture;
	cap->pool = pool_check(out.pool_id, out.ring);
	cap->ring = cap->pool != NULL ? mpdp_ring_attach(out.ring, &err) : NULL;
	if (cap->ring == NULL) {
		if (cap->pool == NULL)
			err = -ENOENT;
		ETH_LOG(ERR, "port %u: cannot attach capture ring and pool %s: %s", port, out.ring,
			strerror(-err));
		rq.op = CAP_OP_STOP;
		rq.session = out.session;
		(void)request(&rq, &out);
		free(cap);
		return err;
	}
	cap->pool_id = (uint16_t)cap->pool->id;
	cap->st.active = 1;
	mpdp_eth_dev_sync(); /* a capturing secondary may poll the port too */
	*capp = cap;
	return 0;
}

enum cap_entry {
	CAP_KEEP,
	CAP_STALE,
	CAP_BAD_FREE,
	CAP_BAD_LEAVE
};

/* What a ring entry is. Anything a producer wrote is input (STYLE rule 8). */
static enum cap_entry entry_check(const struct mpdp_eth_capture *cap, const struct mpdp_mbuf *m)
{
	if (m->pool_id != cap->pool_id)
		return CAP_BAD_LEAVE; /* not ours to free */
	if (m->nb_segs != 1 || m->next != MPDP_SHM_NULL || m->data_off > m->buf_len ||
	    m->data_len > m->buf_len - m->data_off || m->pkt_len != m->data_len)
		return CAP_BAD_FREE;
	if (mpdp_eth_capture_meta(m)->session != cap->session)
		return CAP_STALE; /* left by an earlier capture */
	return CAP_KEEP;
}

uint16_t mpdp_eth_capture_read(struct mpdp_eth_capture *cap, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct mpdp_mbuf *drop[CAP_MAX_BURST];
	unsigned int got, bad = 0, keep = 0, ndrop = 0;

	if (cap == NULL || pkts == NULL)
		return 0;
	if (n > CAP_MAX_BURST)
		n = CAP_MAX_BURST;
	/* checked: every offset must name an mbuf inside the heap */
	got = mpdp_ring_dequeue_burst_ptr_checked(cap->ring, (void **)pkts, n,
						  sizeof(struct mpdp_mbuf), &bad);
	cap->st.bad += bad;
	for (unsigned int i = 0; i < got; i++) {
		switch (entry_check(cap, pkts[i])) {
		case CAP_KEEP:
			pkts[keep++] = pkts[i];
			break;
		case CAP_STALE:
			cap->st.stale++;
			drop[ndrop++] = pkts[i];
			break;
		case CAP_BAD_FREE:
			cap->st.bad++;
			drop[ndrop++] = pkts[i];
			break;
		case CAP_BAD_LEAVE:
			cap->st.bad++;
			break;
		}
	}
	if (ndrop > 0)
		mpdp_mbuf_free_bulk(drop, ndrop);
	return (uint16_t)keep;
}

void mpdp_eth_capture_stats_get(struct mpdp_eth_capture *cap, struct mpdp_eth_capture_stats *st)
{
	uint64_t captured, dropped;

	if (st == NULL)
		return;
	if (cap == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	if (cap->st.active && slot_session(cap->shm) == cap->session) {
		captured = atomic_load_explicit(&cap->shm->captured, memory_order_relaxed);
		dropped = atomic_load_explicit(&cap->shm->dropped, memory_order_relaxed);
		/* counted for our session only if it is still ours after the loads */
		atomic_thread_fence(memory_order_acquire);
		if (slot_session(cap->shm) == cap->session) {
			cap->st.captured = captured;
			cap->st.dropped = dropped;
		} else {
			cap->st.active = 0;
		}
	} else {
		cap->st.active = 0;
	}
	*st = cap->st;
}

uint32_t mpdp_eth_capture_snaplen(const struct mpdp_eth_capture *cap)
{
	return cap != NULL ? cap->snaplen : 0;
}

int mpdp_eth_capture_stop(struct mpdp_eth_capture *cap)
{
	struct cap_wire_req rq;
	struct cap_wire_reply out;
	struct mpdp_mbuf *pkts[CAP_MAX_BURST];
	unsigned int got;
	int rc;

	if (cap == NULL)
		return 0;
	memset(&rq, 0, sizeof(rq));
	rq.port = cap->port;
	rq.op = CAP_OP_STOP;
	rq.pid = getpid();
	rq.session = cap->session;
	rc = request(&rq, &out);
	/* what is queued goes back to the pool, whichever capture made it */
	cap->session = 0; /* every copy is stale now: read() frees them */
	for (unsigned int i = 0; i <= CAP_RING_SIZE / CAP_MAX_BURST; i++) {
		got = mpdp_eth_capture_read(cap, pkts, CAP_MAX_BURST);
		if (got > 0)
			mpdp_mbuf_free_bulk(pkts, got);
		if (mpdp_ring_count(cap->ring) == 0)
			break; /* bounded: a producer that missed the end stops at its next burst */
	}
	/* the copies this thread freed sit in its cache: give them back */
	mpdp_mempool_cache_flush(cap->pool);
	mpdp_ring_detach(cap->ring);
	free(cap);
	return rc;
}
