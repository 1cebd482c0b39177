/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_capture.c - port capture: the producers' copy in the fast path, the
 * primary's bookkeeping, and the reader's handle. The contract is in
 * mpdp_eth_capture.h.
 *
 * Shared state: the slot's capture block, (P) fields written by the primary
 * under the seqlock, counters added to by any producer.
 *
 * Process-local state (eth.cap[port]): the ring and pool handles, made the
 * first time this process sees the port captured and kept until the process
 * leaves (the ring and pool live as long as the instance, so a handle can
 * never go stale: DESIGN.md rule 2). The settings a producer reads are
 * atomics; the fast-path word mpdp_eth_fp_[port].capture is stored with
 * release after them, and the producer's acquire fence after its relaxed
 * load of that word pairs with it.
 */
#include <errno.h>
#include <signal.h>
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

#define CAP_RING_SIZE   4096u    /* copies waiting for the reader */
#define CAP_POOL_SIZE   8191u    /* mbufs: the ring's worth plus the reader's and caches */
#define CAP_POOL_CACHE  64u
#define CAP_DATA_ROOM   (MPDP_MBUF_DEFAULT_HEADROOM + 2048u)
#define CAP_MAX_BURST   64u

enum cap_op { CAP_OP_START = 1, CAP_OP_STOP = 2 };

struct cap_wire_req {
	uint16_t port;
	uint16_t op;
	int32_t pid;
	uint32_t dirs;
	uint32_t queue_mask;
	uint32_t snaplen;
	uint32_t session;       /* stop: the session to end */
};

struct cap_wire_reply {
	uint32_t session;
	uint32_t pool_id;
	uint32_t snaplen;
	uint32_t pad;
	char ring[MPDP_NAME_SIZE];
};

struct mpdp_eth_capture {
	uint16_t port;
	uint32_t session;
	struct mpdp_ring *ring;
	struct mpdp_eth_capture_shm *shm;
};

static uint32_t cap_serial; /* primary: the last session handed out */

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
	char *out = mpdp_mbuf_buf_addr(dst) + dst->data_off;
	uint32_t done = 0;

	if (len > snaplen)
		len = snaplen;
	if (len > room)
		len = room;
	for (const struct mpdp_mbuf *seg = src; seg != NULL && done < len;
	     seg = mpdp_mbuf_next(seg)) {
		uint32_t take = seg->data_len;

		if (take > len - done)
			take = len - done;
		memcpy(out + done, mpdp_mbuf_buf_addr(seg) + seg->data_off, take);
		done += take;
	}
	dst->data_len = (uint16_t)done;
	dst->pkt_len = done;
	dst->port = meta.port;
	dst->timestamp = ts;
	meta.orig_len = src->pkt_len;
	memcpy(dst->dynfield, &meta, sizeof(meta));
}

void mpdp_eth_capture_burst_(uint16_t port, uint16_t q, uint32_t dir,
			     struct mpdp_mbuf *const *pkts, uint16_t n)
{
	struct eth_capture_local *cl;
	struct mpdp_mbuf *copies[CAP_MAX_BURST];
	struct mpdp_eth_capture_meta meta;
	uint32_t mask, snaplen;
	uint64_t ts;

	if (port >= MPDP_MAX_PORTS)
		return;
	/* pairs with the release store of the fast-path word in eth_capture_sync() */
	atomic_thread_fence(memory_order_acquire);
	cl = &eth.cap[port];
	mask = atomic_load_explicit(&cl->queue_mask, memory_order_relaxed);
	if ((mask != 0 && (q >= 32 || !(mask & (1u << q)))) || cl->ring == NULL ||
	    cl->pool == NULL)
		return;
	snaplen = atomic_load_explicit(&cl->snaplen, memory_order_relaxed);
	memset(&meta, 0, sizeof(meta));
	meta.session = atomic_load_explicit(&cl->cur_session, memory_order_relaxed);
	meta.port = port;
	meta.queue = q;
	meta.dir = (uint8_t)dir;
	ts = now_ns();
	while (n > 0) {
		uint16_t k = n > CAP_MAX_BURST ? CAP_MAX_BURST : n;
		unsigned int enq;

		if (mpdp_mbuf_alloc_bulk(cl->pool, copies, k) != 0) {
			atomic_fetch_add_explicit(cl->dropped, n, memory_order_relaxed);
			return;
		}
		for (uint16_t i = 0; i < k; i++)
			copy_one(copies[i], pkts[i], snaplen, ts, meta);
		enq = mpdp_ring_enqueue_burst_ptr(cl->ring, (void *const *)copies, k, NULL);
		if (enq < k) {
			mpdp_mbuf_free_bulk(copies + enq, k - enq);
			atomic_fetch_add_explicit(cl->dropped, k - enq, memory_order_relaxed);
		}
		if (enq > 0)
			atomic_fetch_add_explicit(cl->captured, enq, memory_order_relaxed);
		pkts += k;
		n = (uint16_t)(n - k);
	}
}

/* ------------------------------------------------------------ every process */

/* Attach the port's ring and pool in this process (once). Under eth.lock. */
static int local_attach(uint16_t port, const struct mpdp_eth_capture_shm *c)
{
	struct eth_capture_local *cl = &eth.cap[port];
	char ring[MPDP_NAME_SIZE];
	int err = 0;

	if (cl->ring != NULL && cl->pool != NULL)
		return 0;
	memcpy(ring, c->ring, sizeof(ring));
	ring[sizeof(ring) - 1] = '\0';
	if (cl->ring == NULL)
		cl->ring = mpdp_ring_attach(ring, &err);
	if (cl->ring == NULL) {
		ETH_LOG(ERR, "port %u: cannot attach capture ring %s: %s", port, ring,
			strerror(-err));
		return err;
	}
	cl->pool = mpdp_mempool_from_id(c->pool_id);
	if (cl->pool == NULL) {
		ETH_LOG(ERR, "port %u: capture pool %u is gone", port, c->pool_id);
		return -ENOENT;
	}
	return 0;
}

void eth_capture_sync(uint16_t port)
{
	struct mpdp_eth_capture_shm *c = &eth.table->ports[port].capture;
	struct eth_capture_local *cl = &eth.cap[port];
	uint32_t session = c->session, dirs = c->dirs;

	if (session == cl->session)
		return;
	if (session != 0 && local_attach(port, c) != 0)
		session = 0; /* logged; no capture from this process */
	cl->session = c->session;
	if (session == 0) {
		atomic_store_explicit(&mpdp_eth_fp_[port].capture, 0, memory_order_relaxed);
		return;
	}
	cl->captured = &c->captured;
	cl->dropped = &c->dropped;
	atomic_store_explicit(&cl->snaplen, c->snaplen, memory_order_relaxed);
	atomic_store_explicit(&cl->queue_mask, c->queue_mask, memory_order_relaxed);
	atomic_store_explicit(&cl->cur_session, session, memory_order_relaxed);
	/* release: a producer that sees the bits sees the settings above */
	atomic_store_explicit(&mpdp_eth_fp_[port].capture,
			      dirs & (MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX),
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

/* The per-instance ring and pool of a port: made once, never freed. */
static int primary_resources(uint16_t port, struct mpdp_eth_capture_shm *c)
{
	char name[MPDP_NAME_SIZE];
	struct mpdp_ring *r;
	struct mpdp_mempool *mp;
	int err = 0;

	if (c->ring[0] != '\0')
		return 0;
	snprintf(name, sizeof(name), "mpdp.cap%u", port);
	r = mpdp_ring_create(name, CAP_RING_SIZE, MPDP_RING_F_SC_DEQ, &err);
	if (r == NULL && err == -EEXIST)
		r = mpdp_ring_attach(name, &err);
	if (r == NULL) {
		ETH_LOG(ERR, "port %u: cannot make capture ring %s: %s", port, name, strerror(-err));
		return err;
	}
	mp = mpdp_mempool_lookup(name, &err);
	if (mp == NULL)
		mp = mpdp_mbuf_pool_create(name, CAP_POOL_SIZE, CAP_POOL_CACHE, 0, CAP_DATA_ROOM,
					   NULL, &err);
	if (mp == NULL) {
		ETH_LOG(ERR, "port %u: cannot make the capture pool (%u mbufs): %s", port,
			CAP_POOL_SIZE, strerror(-err));
		mpdp_ring_detach(r);
		return err;
	}
	eth.cap[port].ring = r;
	eth.cap[port].pool = mp;
	snprintf(c->ring, sizeof(c->ring), "%s", name);
	c->pool_id = mp->id;
	return 0;
}

static int owner_alive(uint64_t owner)
{
	int pid = MPDP_ETH_OWNER_PID(owner);

	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* Primary, under eth.lock. */
static int primary_start(const struct cap_wire_req *rq, int proc_id, struct cap_wire_reply *out)
{
	struct mpdp_eth_dev *dev;
	struct mpdp_eth_capture_shm *c;
	uint64_t consumer = MPDP_ETH_OWNER(proc_id, rq->pid);
	uint32_t dirs = rq->dirs == 0 ? MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX : rq->dirs;
	uint32_t room = CAP_DATA_ROOM - MPDP_MBUF_DEFAULT_HEADROOM;
	int rc;

	if (rq->port >= MPDP_MAX_PORTS || !eth.present[rq->port] || !eth.available[rq->port])
		return -ENODEV;
	if ((dirs & ~(MPDP_ETH_CAPTURE_RX | MPDP_ETH_CAPTURE_TX)) != 0 || rq->pid <= 0)
		return -EINVAL;
	dev = &eth.devs[rq->port];
	c = &dev->shm->capture;
	if (c->session != 0 && c->consumer != consumer && owner_alive(c->consumer)) {
		ETH_LOG(ERR, "port %u: already captured by process %d (pid %d)", rq->port,
			MPDP_ETH_OWNER_PROC(c->consumer), MPDP_ETH_OWNER_PID(c->consumer));
		return -EBUSY;
	}
	rc = primary_resources(rq->port, c);
	if (rc != 0)
		return rc;
	mpdp_eth_dev_write_begin(dev);
	if (++cap_serial == 0)
		cap_serial = 1;
	c->session = cap_serial;
	c->dirs = dirs;
	c->queue_mask = rq->queue_mask;
	c->snaplen = rq->snaplen == 0 || rq->snaplen > room ? room : rq->snaplen;
	c->consumer = consumer;
	atomic_store_explicit(&c->captured, 0, memory_order_relaxed);
	atomic_store_explicit(&c->dropped, 0, memory_order_relaxed);
	mpdp_eth_dev_write_end(dev);
	eth_capture_sync(rq->port);
	eth_announce();
	ETH_LOG(INFO, "port %u: capture %u started for process %d (pid %d)", rq->port,
		c->session, proc_id, rq->pid);
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

	ETH_LOG(INFO, "port %u: capture %u ended (%s): %llu copies, %llu dropped", port,
		c->session, why, (unsigned long long)atomic_load(&c->captured),
		(unsigned long long)atomic_load(&c->dropped));
	mpdp_eth_dev_write_begin(dev);
	c->session = 0;
	c->consumer = 0;
	mpdp_eth_dev_write_end(dev);
	eth_capture_sync(port);
	eth_announce();
}

static int primary_stop(const struct cap_wire_req *rq, int proc_id)
{
	struct mpdp_eth_capture_shm *c;

	if (rq->port >= MPDP_MAX_PORTS || !eth.present[rq->port])
		return -ENODEV;
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

/* Primary exit hook: a capture's reader left; end its capture. */
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
	cap->ring = mpdp_ring_attach(out.ring, &err);
	cap->port = port;
	cap->session = out.session;
	cap->shm = &eth.table->ports[port].capture;
	if (cap->ring == NULL) {
		ETH_LOG(ERR, "port %u: cannot attach capture ring %s: %s", port, out.ring,
			strerror(-err));
		rq.op = CAP_OP_STOP;
		rq.session = out.session;
		(void)request(&rq, &out);
		free(cap);
		return err;
	}
	mpdp_eth_dev_sync(); /* a capturing secondary may poll the port too */
	*capp = cap;
	return 0;
}

uint16_t mpdp_eth_capture_read(struct mpdp_eth_capture *cap, struct mpdp_mbuf **pkts, uint16_t n)
{
	struct mpdp_mbuf *stale[CAP_MAX_BURST];
	unsigned int got, keep = 0, nstale = 0;

	if (cap == NULL || pkts == NULL)
		return 0;
	if (n > CAP_MAX_BURST)
		n = CAP_MAX_BURST;
	/* checked: every offset must name an mbuf inside the heap */
	got = mpdp_ring_dequeue_burst_ptr_checked(cap->ring, (void **)pkts, n,
						  sizeof(struct mpdp_mbuf), NULL);
	for (unsigned int i = 0; i < got; i++) {
		if (mpdp_eth_capture_meta(pkts[i])->session == cap->session)
			pkts[keep++] = pkts[i];
		else
			stale[nstale++] = pkts[i]; /* left by an earlier capture */
	}
	if (nstale > 0)
		mpdp_mbuf_free_bulk(stale, nstale);
	return (uint16_t)keep;
}

void mpdp_eth_capture_stats_get(const struct mpdp_eth_capture *cap,
				struct mpdp_eth_capture_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (cap == NULL || cap->shm->session != cap->session)
		return;
	st->captured = atomic_load_explicit(&cap->shm->captured, memory_order_relaxed);
	st->dropped = atomic_load_explicit(&cap->shm->dropped, memory_order_relaxed);
}

int mpdp_eth_capture_stop(struct mpdp_eth_capture *cap)
{
	struct cap_wire_req rq;
	struct cap_wire_reply out;
	struct mpdp_mbuf *pkts[CAP_MAX_BURST];
	unsigned int got;
	int rc;

	if (cap == NULL)
		return -EINVAL;
	memset(&rq, 0, sizeof(rq));
	rq.port = cap->port;
	rq.op = CAP_OP_STOP;
	rq.pid = getpid();
	rq.session = cap->session;
	rc = request(&rq, &out);
	while ((got = mpdp_ring_dequeue_burst_ptr_checked(cap->ring, (void **)pkts, CAP_MAX_BURST,
							   sizeof(struct mpdp_mbuf), NULL)) > 0)
		mpdp_mbuf_free_bulk(pkts, got);
	mpdp_ring_detach(cap->ring);
	free(cap);
	return rc;
}
