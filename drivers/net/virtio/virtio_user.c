/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_user.c - the virtio-user transport of the virtio-net driver: the
 * "device" is a vhost-user backend (DPDK's net_vhost, QEMU's vhost-user
 * net, mpdp's own net_vhost) reached over a unix socket, in client mode.
 *
 *   --vdev 'net_virtio_user0,path=SOCK[,queues=N][,mrg_rxbuf=0|1]
 *           [,queue_size=N][,mac=XX:XX:XX:XX:XX:XX][,event_idx=0|1]'
 *
 *   path=SOCK      the backend's socket (required; it must be listening at probe)
 *   queues=N       queue pairs, 1..16 (default 1); more than one needs the
 *                  backend's MQ protocol feature
 *   mrg_rxbuf=0|1  ask for mergeable receive buffers (default 1)
 *   queue_size=N   entries per vring, a power of two in 16..4096 (default 256)
 *   mac=ADDR       the port's address (default 02:00:00:00:xx:yy from the pid
 *                  and port id: vhost-user has no config space to read it from)
 *   event_idx=0|1  ask for VIRTIO_F_EVENT_IDX (default 1)
 *
 * Memory: one SET_MEM_TABLE region per heap segment, guest address = the
 * segment's heap offset (its IOVA, what descriptors carry), user address =
 * the primary's mapping of it, fd = the segment's file. The vrings, slot
 * arrays and tx headers live in the port's memzone inside the heap, so the
 * backend reaches them through the same table (SET_VRING_ADDR carries the
 * primary's addresses of them).
 *
 * Eventfds: the primary makes a kick and a call eventfd per vring. The kick
 * fd of vring v is exported under fd index v (v < 32: 16 queue pairs), so
 * every process that transmits or refills a ring kicks through its own copy
 * (ops->notify). The call fds stay in the primary (nobody waits for
 * interrupts; the driver polls) and are not exported; indices 32..39 are
 * unused.
 *
 * Connection life (primary; everything under st->mu):
 *
 *   probe: connect, SET_OWNER, GET_FEATURES, [GET/SET_PROTOCOL_FEATURES,
 *          GET_QUEUE_NUM]: the features are negotiated once, here
 *   start: SET_FEATURES, [SET_STATUS/GET_STATUS], SET_MEM_TABLE, per vring
 *          CALL, NUM, BASE (= used.idx in ring memory), ADDR, KICK, then
 *          ENABLE(1) for each, [SET_STATUS DRIVER_OK]: link up
 *   stop:  GET_VRING_BASE per vring (the backend stops them): link down
 *   EOF / error on the socket (control thread): link down, the socket
 *          closed, a 200 ms timer retries the connection; once a backend
 *          answers, the handshake runs again (it must offer every feature
 *          negotiated at probe, else: one log line, stay down, keep
 *          retrying) and, if the port is started, the start sequence with
 *          the rings as they are: SET_VRING_BASE = used.idx, so the new
 *          backend takes up whatever was still available. No ring is reset:
 *          other processes may be polling.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <unistd.h>

#include <mpdp/mpdp_ctrl.h>
#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_shm.h>
#include <mpdp/mpdp_vhost_user.h>

#include "virtio_priv.h"

#define VU_DRIVER_NAME   "net_virtio_user"
#define VU_REPLY_TIMEOUT 2000 /* ms for a reply */
#define VU_RETRY_MS      200
#define VU_KICK_FD_BASE  0u /* kick of vring v: fd index v */

/* What the driver can use; the rest of what a backend offers is ignored. */
#define VU_FEATURES_BASE                                                                     \
	(MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_VERSION_1) | MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MAC) | \
	 MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_STATUS))
#define VU_PROTOCOL_WANTED                                \
	(MPDP_VIRTIO_BIT(MPDP_VHU_PROTOCOL_F_MQ) |        \
	 MPDP_VIRTIO_BIT(MPDP_VHU_PROTOCOL_F_REPLY_ACK) | \
	 MPDP_VIRTIO_BIT(MPDP_VHU_PROTOCOL_F_STATUS))

/* The primary's connection state, process-local (priv->tp). */
struct vu_state {
	pthread_mutex_t mu; /* everything below */
	struct mpdp_eth_dev *dev;
	int sock; /* -1: disconnected */
	int timer_fd;
	struct mpdp_ctrl_watch *sock_watch;
	struct mpdp_ctrl_watch *timer_watch;
	int kick[VIO_MAX_VRINGS];
	int call[VIO_MAX_VRINGS];
	uint64_t offered; /* features of the current backend */
	uint64_t proto;   /* protocol features in use */
	bool started;     /* the port is started: rings should run */
	bool running;     /* rings set up on the current connection */
	bool closing;
	bool warned; /* one line per outage */
	char name[MPDP_NAME_SIZE];
};

/* ------------------------------------------------------------ messages */

/* One reply: wait up to VU_REPLY_TIMEOUT for its first byte, then read it. */
static int vu_recv(int sock, struct mpdp_vhu_msg *m, char *err, size_t err_size)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int rc;

	do
		rc = poll(&pfd, 1, VU_REPLY_TIMEOUT);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		rc = -errno;
		snprintf(err, err_size, "poll: %s", strerror(-rc));
		return rc;
	}
	if (rc == 0) {
		snprintf(err, err_size, "no reply within %d ms", VU_REPLY_TIMEOUT);
		return -ETIMEDOUT;
	}
	rc = mpdp_vhu_msg_recv(sock, m, false, VU_REPLY_TIMEOUT, err, err_size);
	if (rc == -ECONNRESET)
		snprintf(err, err_size, "the backend closed the connection");
	else if (rc == -EAGAIN)
		snprintf(err, err_size, "no reply");
	return rc;
}

static bool has_proto(const struct vu_state *st, unsigned int bit)
{
	return (st->proto & MPDP_VIRTIO_BIT(bit)) != 0;
}

/*
 * Send a request; with REPLY_ACK in use, SET requests ask for and wait on
 * the ack. Returns 0 or -errno (err says what).
 */
static int vu_send(struct vu_state *st, struct mpdp_vhu_msg *m, char *err, size_t err_size)
{
	bool ack = has_proto(st, MPDP_VHU_PROTOCOL_F_REPLY_ACK) &&
		   m->hdr.request != MPDP_VHU_GET_FEATURES &&
		   m->hdr.request != MPDP_VHU_GET_PROTOCOL_FEATURES &&
		   m->hdr.request != MPDP_VHU_GET_QUEUE_NUM &&
		   m->hdr.request != MPDP_VHU_GET_VRING_BASE &&
		   m->hdr.request != MPDP_VHU_GET_STATUS;
	uint32_t req = m->hdr.request;
	struct mpdp_vhu_msg r;
	int rc;

	if (ack)
		m->hdr.flags |= MPDP_VHU_FLAG_NEED_REPLY;
	rc = mpdp_vhu_msg_send(st->sock, m);
	if (rc != 0) {
		snprintf(err, err_size, "sending %s: %s", mpdp_vhu_request_str(req), strerror(-rc));
		return rc;
	}
	if (!ack)
		return 0;
	rc = vu_recv(st->sock, &r, err, err_size);
	if (rc != 0)
		return rc;
	mpdp_vhu_msg_close_fds(&r);
	if (r.hdr.request != req || r.hdr.size != 8) {
		snprintf(err, err_size, "%s: bad ack (request %u, %u bytes)",
			 mpdp_vhu_request_str(req), r.hdr.request, r.hdr.size);
		return -EPROTO;
	}
	if (r.u.u64 != 0) {
		snprintf(err, err_size, "%s: the backend refused it (%" PRIu64 ")",
			 mpdp_vhu_request_str(req), r.u.u64);
		return -EIO;
	}
	return 0;
}

/* A request with a reply of exactly want bytes into *out. */
static int vu_get(struct vu_state *st, uint32_t req, const void *payload, uint32_t len, void *out,
		  uint32_t want, char *err, size_t err_size)
{
	struct mpdp_vhu_msg m, r;
	int rc;

	mpdp_vhu_msg_init(&m, req, 0, len);
	if (len != 0)
		memcpy(m.u.raw, payload, len);
	rc = mpdp_vhu_msg_send(st->sock, &m);
	if (rc != 0) {
		snprintf(err, err_size, "sending %s: %s", mpdp_vhu_request_str(req), strerror(-rc));
		return rc;
	}
	rc = vu_recv(st->sock, &r, err, err_size);
	if (rc != 0)
		return rc;
	mpdp_vhu_msg_close_fds(&r);
	if (r.hdr.request != req || r.hdr.size != want) {
		snprintf(err, err_size, "%s: unexpected reply (request %u, %u bytes)",
			 mpdp_vhu_request_str(req), r.hdr.request, r.hdr.size);
		return -EPROTO;
	}
	memcpy(out, r.u.raw, want);
	return 0;
}

static int vu_set_u64(struct vu_state *st, uint32_t req, uint64_t v, char *err, size_t err_size)
{
	struct mpdp_vhu_msg m;

	mpdp_vhu_msg_init(&m, req, 0, 8);
	m.u.u64 = v;
	return vu_send(st, &m, err, err_size);
}

static int vu_set_state(struct vu_state *st, uint32_t req, uint32_t index, uint32_t num, char *err,
			size_t err_size)
{
	struct mpdp_vhu_msg m;

	mpdp_vhu_msg_init(&m, req, 0, sizeof(m.u.state));
	m.u.state.index = index;
	m.u.state.num = num;
	return vu_send(st, &m, err, err_size);
}

static int vu_set_fd(struct vu_state *st, uint32_t req, uint32_t index, int fd, char *err,
		     size_t err_size)
{
	struct mpdp_vhu_msg m;

	mpdp_vhu_msg_init(&m, req, 0, 8);
	m.u.u64 = index;
	m.fds[0] = fd;
	m.nfds = 1;
	return vu_send(st, &m, err, err_size);
}

/* Connect to path. Returns the socket or -errno. */
static int vu_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/*
 * The handshake on a fresh connection: owner, features, protocol
 * features, queue count. want: the features the driver asks for; *got:
 * what is negotiated. With need != 0 (a reconnection) every feature in
 * need must be offered again. Returns 0 or -errno with err.
 */
static int vu_handshake(struct vu_state *st, uint16_t nb_qpairs, uint64_t want, uint64_t need,
			uint64_t *got, char *err, size_t err_size)
{
	struct mpdp_vhu_msg m;
	uint64_t offered, proto = 0, qnum;
	int rc;

	st->proto = 0;
	mpdp_vhu_msg_init(&m, MPDP_VHU_SET_OWNER, 0, 0);
	rc = vu_send(st, &m, err, err_size);
	if (rc == 0)
		rc = vu_get(st, MPDP_VHU_GET_FEATURES, NULL, 0, &offered, 8, err, err_size);
	if (rc != 0)
		return rc;
	st->offered = offered;
	if (!(offered & MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_VERSION_1))) {
		snprintf(err, err_size,
			 "the backend does not offer VIRTIO_F_VERSION_1 (features %#" PRIx64 ")",
			 offered);
		return -ENOTSUP;
	}
	if ((offered & need) != need) {
		char miss[128];

		vio_features_str(need & ~offered, miss, sizeof(miss));
		snprintf(err, err_size, "it no longer offers %s (negotiated before)", miss);
		return -ENOTSUP;
	}
	if (offered & MPDP_VIRTIO_BIT(MPDP_VHOST_USER_F_PROTOCOL_FEATURES)) {
		rc = vu_get(st, MPDP_VHU_GET_PROTOCOL_FEATURES, NULL, 0, &proto, 8, err, err_size);
		if (rc != 0)
			return rc;
		proto &= VU_PROTOCOL_WANTED;
		/* REPLY_ACK is not in use until the backend has it */
		rc = vu_set_u64(st, MPDP_VHU_SET_PROTOCOL_FEATURES, proto, err, err_size);
		if (rc != 0)
			return rc;
		st->proto = proto;
	}
	if (nb_qpairs > 1) {
		if (!has_proto(st, MPDP_VHU_PROTOCOL_F_MQ)) {
			snprintf(err, err_size,
				 "queues=%u needs the MQ protocol feature, which the backend lacks",
				 nb_qpairs);
			return -ENOTSUP;
		}
		rc = vu_get(st, MPDP_VHU_GET_QUEUE_NUM, NULL, 0, &qnum, 8, err, err_size);
		if (rc != 0)
			return rc;
		if (qnum < nb_qpairs) {
			snprintf(err, err_size,
				 "queues=%u but the backend has %" PRIu64 " queue pair(s)",
				 nb_qpairs, qnum);
			return -ENOTSUP;
		}
	}
	*got = offered & want;
	return 0;
}

/* SET_STATUS (and read it back) when the backend has F_STATUS; else local. */
static int vu_status(struct vu_state *st, struct vio_port_shm *pmd, uint32_t status, char *err,
		     size_t err_size)
{
	uint64_t back;
	int rc;

	atomic_store_explicit(&pmd->status, status, memory_order_relaxed);
	if (!has_proto(st, MPDP_VHU_PROTOCOL_F_STATUS))
		return 0;
	rc = vu_set_u64(st, MPDP_VHU_SET_STATUS, status, err, err_size);
	if (rc == 0 && (status & MPDP_VIRTIO_STATUS_FEATURES_OK) &&
	    !(status & MPDP_VIRTIO_STATUS_DRIVER_OK)) {
		rc = vu_get(st, MPDP_VHU_GET_STATUS, NULL, 0, &back, 8, err, err_size);
		if (rc == 0 && !(back & MPDP_VIRTIO_STATUS_FEATURES_OK)) {
			snprintf(err, err_size,
				 "the backend did not accept FEATURES_OK (status %#" PRIx64 ")",
				 back);
			rc = -ENOTSUP;
		}
	}
	return rc;
}

/*
 * Bring the device up with the rings as they are: features, memory, every
 * vring of the configured queue pairs, enable. Returns 0 or -errno (err).
 */
static int vu_device_setup(struct vu_state *st, struct mpdp_eth_dev *dev, char *err,
			   size_t err_size)
{
	struct vio_priv *priv = dev->priv;
	struct vio_port_shm *pmd = priv->pmd;
	uint64_t f = atomic_load_explicit(&pmd->features, memory_order_relaxed);
	uint16_t nq = dev->shm->nb_rx_queues > dev->shm->nb_tx_queues ? dev->shm->nb_rx_queues :
									dev->shm->nb_tx_queues;
	struct mpdp_vhu_msg m;
	int rc;

	if (nq > priv->nb_qpairs)
		nq = priv->nb_qpairs;
	if (st->offered & MPDP_VIRTIO_BIT(MPDP_VHOST_USER_F_PROTOCOL_FEATURES))
		f |= MPDP_VIRTIO_BIT(MPDP_VHOST_USER_F_PROTOCOL_FEATURES);
	rc = vu_set_u64(st, MPDP_VHU_SET_FEATURES, f, err, err_size);
	if (rc == 0)
		rc = vu_status(st, pmd,
			       MPDP_VIRTIO_STATUS_ACKNOWLEDGE | MPDP_VIRTIO_STATUS_DRIVER |
				       MPDP_VIRTIO_STATUS_FEATURES_OK,
			       err, err_size);
	if (rc != 0)
		return rc;

	/* the memory: one region per heap segment, IOVA = heap offset */
	mpdp_vhu_msg_init(&m, MPDP_VHU_SET_MEM_TABLE, 0, 0);
	for (unsigned int i = 0;; i++) {
		mpdp_shm_off_t off;
		size_t len;
		int fd = mpdp_heap_segment_fd(i, &off, &len);
		struct mpdp_vhu_region *r;

		if (fd < 0)
			break;
		if (i >= MPDP_VHU_MAX_REGIONS) {
			snprintf(err, err_size, "the heap has more than %u segments",
				 MPDP_VHU_MAX_REGIONS);
			return -E2BIG;
		}
		r = &m.u.mem.regions[i];
		r->guest_addr = off;
		r->size = len;
		r->user_addr = (uint64_t)(uintptr_t)(mpdp_shm_base_ + off);
		r->mmap_offset = 0;
		m.fds[i] = fd;
		m.nfds = i + 1;
	}
	m.u.mem.nregions = m.nfds;
	m.u.mem.padding = 0;
	m.hdr.size = (uint32_t)(8 + m.nfds * sizeof(struct mpdp_vhu_region));
	if (m.nfds == 0) {
		snprintf(err, err_size, "no heap segment to share");
		return -ENODEV;
	}
	rc = vu_send(st, &m, err, err_size);
	if (rc != 0)
		return rc;

	for (uint16_t v = 0; v < 2 * nq; v++) {
		rc = vu_set_fd(st, MPDP_VHU_SET_VRING_CALL, v, st->call[v], err, err_size);
		if (rc != 0)
			return rc;
	}
	for (uint16_t v = 0; v < 2 * nq; v++) {
		void *desc, *avail, *used;
		uint16_t base;

		rc = vio_vring_map(pmd, v, &desc, &avail, &used);
		if (rc != 0) {
			snprintf(err, err_size, "vring %u: bad geometry", v);
			return rc;
		}
		/* where the rings are: the device takes up at used.idx */
		base = atomic_load_explicit(&((struct mpdp_virtq_used *)used)->idx,
					    memory_order_acquire);
		rc = vu_set_state(st, MPDP_VHU_SET_VRING_NUM, v, pmd->queue_size, err, err_size);
		if (rc == 0)
			rc = vu_set_state(st, MPDP_VHU_SET_VRING_BASE, v, base, err, err_size);
		if (rc == 0) {
			mpdp_vhu_msg_init(&m, MPDP_VHU_SET_VRING_ADDR, 0, sizeof(m.u.addr));
			m.u.addr.index = v;
			m.u.addr.flags = 0;
			m.u.addr.desc = (uint64_t)(uintptr_t)desc;
			m.u.addr.avail = (uint64_t)(uintptr_t)avail;
			m.u.addr.used = (uint64_t)(uintptr_t)used;
			m.u.addr.log = 0;
			rc = vu_send(st, &m, err, err_size);
		}
		if (rc == 0)
			rc = vu_set_fd(st, MPDP_VHU_SET_VRING_KICK, v, st->kick[v], err, err_size);
		if (rc != 0)
			return rc;
	}
	if (st->offered & MPDP_VIRTIO_BIT(MPDP_VHOST_USER_F_PROTOCOL_FEATURES)) {
		for (uint16_t v = 0; v < 2 * nq; v++) {
			rc = vu_set_state(st, MPDP_VHU_SET_VRING_ENABLE, v, 1, err, err_size);
			if (rc != 0)
				return rc;
		}
	}
	rc = vu_status(st, pmd,
		       MPDP_VIRTIO_STATUS_ACKNOWLEDGE | MPDP_VIRTIO_STATUS_DRIVER |
			       MPDP_VIRTIO_STATUS_FEATURES_OK | MPDP_VIRTIO_STATUS_DRIVER_OK,
		       err, err_size);
	if (rc != 0)
		return rc;
	st->running = true;
	atomic_store_explicit(&pmd->link_up, 1, memory_order_release);
	return 0;
}

/* The rings stop in the backend: GET_VRING_BASE for each. */
static void vu_device_stop(struct vu_state *st, struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	char err[160];

	atomic_store_explicit(&priv->pmd->link_up, 0, memory_order_release);
	if (!st->running || st->sock < 0)
		return;
	st->running = false;
	for (uint16_t v = 0; v < 2 * priv->nb_qpairs; v++) {
		struct mpdp_vhu_vring_state s = { .index = v, .num = 0 }, back;

		if (vu_get(st, MPDP_VHU_GET_VRING_BASE, &s, sizeof(s), &back, sizeof(back), err,
			   sizeof(err)) != 0) {
			mpdp_log(MPDP_LOG_WARNING, VIO_LOG, "%s: stopping vring %u: %s", st->name,
				 v, err);
			/* the control thread sees the socket go and reconnects */
			shutdown(st->sock, SHUT_RDWR);
			break;
		}
	}
	(void)vu_status(st, priv->pmd,
			MPDP_VIRTIO_STATUS_ACKNOWLEDGE | MPDP_VIRTIO_STATUS_DRIVER |
				MPDP_VIRTIO_STATUS_FEATURES_OK,
			err, sizeof(err));
}

/* ------------------------------------------------------------ control thread */

static void timer_arm(struct vu_state *st, bool on)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (on) {
		its.it_value.tv_nsec = VU_RETRY_MS * 1000000L;
		its.it_interval.tv_nsec = VU_RETRY_MS * 1000000L;
	}
	(void)timerfd_settime(st->timer_fd, 0, &its, NULL);
}

static void sock_cb(int fd, uint32_t events, void *arg);

/* The backend is gone (control thread, under mu). */
static void vu_disconnect(struct vu_state *st, const char *why)
{
	struct vio_priv *priv = st->dev->priv;

	if (st->sock_watch != NULL)
		mpdp_ctrl_unwatch(st->sock_watch); /* on the control thread: no wait */
	st->sock_watch = NULL;
	if (st->sock >= 0)
		close(st->sock);
	st->sock = -1;
	st->running = false;
	st->warned = false;
	atomic_store_explicit(&priv->pmd->link_up, 0, memory_order_release);
	atomic_store_explicit(&priv->pmd->connected, 0, memory_order_relaxed);
	atomic_fetch_add_explicit(&priv->pmd->disconnects, 1, memory_order_relaxed);
	mpdp_log(MPDP_LOG_WARNING, VIO_LOG,
		 "%s: vhost-user backend at %s gone (%s): link down, "
		 "reconnecting every %u ms",
		 st->name, priv->pmd->path, why, VU_RETRY_MS);
	timer_arm(st, true);
	mpdp_eth_dev_link_changed(st->dev); /* published by ethdev, not from here */
}

static void sock_cb(int fd, uint32_t events, void *arg)
{
	struct vu_state *st = arg;
	char buf[1];
	ssize_t n;

	pthread_mutex_lock(&st->mu);
	if (st->closing || fd != st->sock) {
		pthread_mutex_unlock(&st->mu);
		return;
	}
	n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
	    (events & (EPOLLHUP | EPOLLERR))) {
		vu_disconnect(st, n == 0 ? "connection closed" : "socket error");
	} else if (n > 0) {
		struct mpdp_vhu_msg m;
		char err[160];

		/* nothing is due from the backend unasked: read it, drop it */
		if (mpdp_vhu_msg_recv(fd, &m, false, 100, err, sizeof(err)) == 0) {
			mpdp_log(MPDP_LOG_WARNING, VIO_LOG, "%s: unexpected %s from the backend",
				 st->name, mpdp_vhu_request_str(m.hdr.request));
			mpdp_vhu_msg_close_fds(&m);
		} else {
			vu_disconnect(st, err);
		}
	}
	pthread_mutex_unlock(&st->mu);
}

static void timer_cb(int fd, uint32_t events, void *arg)
{
	struct vu_state *st = arg;
	struct vio_priv *priv;
	struct vio_port_shm *pmd;
	uint64_t ticks, got;
	char err[256];
	int sock, rc;

	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&st->mu);
	if (st->closing || st->sock >= 0)
		goto out;
	priv = st->dev->priv;
	pmd = priv->pmd;
	sock = vu_connect(pmd->path);
	if (sock < 0)
		goto out; /* not back yet */
	st->sock = sock;
	{
		uint64_t need = atomic_load_explicit(&pmd->features, memory_order_relaxed);

		rc = vu_handshake(st, priv->nb_qpairs, pmd->want_features, need, &got, err,
				  sizeof(err));
		if (rc == 0)
			rc = vu_status(st, pmd,
				       MPDP_VIRTIO_STATUS_ACKNOWLEDGE | MPDP_VIRTIO_STATUS_DRIVER,
				       err, sizeof(err));
	}
	if (rc == 0 && st->started)
		rc = vu_device_setup(st, st->dev, err, sizeof(err));
	if (rc != 0) {
		if (!st->warned)
			mpdp_log(MPDP_LOG_ERR, VIO_LOG,
				 "%s: backend back at %s not usable: %s; link stays down "
				 "(retrying quietly)",
				 st->name, pmd->path, err);
		st->warned = true;
		close(st->sock);
		st->sock = -1;
		st->running = false;
		atomic_store_explicit(&pmd->link_up, 0, memory_order_release);
		goto out;
	}
	st->sock_watch = mpdp_ctrl_watch(st->sock, EPOLLIN | EPOLLRDHUP, sock_cb, st);
	timer_arm(st, false);
	atomic_store_explicit(&pmd->connected, 1, memory_order_relaxed);
	atomic_store_explicit(&pmd->protocol_features, st->proto, memory_order_relaxed);
	atomic_fetch_add_explicit(&pmd->connects, 1, memory_order_relaxed);
	mpdp_log(MPDP_LOG_INFO, VIO_LOG, "%s: reconnected to %s%s", st->name, pmd->path,
		 st->running ? ", rings running: link up" : "");
	mpdp_eth_dev_link_changed(st->dev);
out:
	pthread_mutex_unlock(&st->mu);
}

/* ------------------------------------------------------------ transport ops */

static int vu_queue_attach(struct mpdp_eth_dev *dev, struct vio_queue *h)
{
	int fd = mpdp_eth_dev_fd(dev, VU_KICK_FD_BASE + h->vring);

	if (fd == -EAGAIN)
		return -EAGAIN; /* a secondary before the fds arrived: retried */
	if (fd < 0) {
		mpdp_log(MPDP_LOG_ERR, VIO_LOG, "%s: vring %u: no kick fd from the primary: %s",
			 dev->shm->name, h->vring, strerror(-fd));
		return fd;
	}
	h->kick_fd = fd; /* ethdev's: not closed here */
	return 0;
}

static void vu_queue_detach(struct mpdp_eth_dev *dev, struct vio_queue *h)
{
	(void)dev;
	h->kick_fd = -1;
}

static void vu_notify(struct vio_queue *h)
{
	uint64_t one = 1;

	/* EAGAIN (the counter is full) means a kick is pending anyway */
	if (write(h->kick_fd, &one, sizeof(one)) < 0)
		return;
}

static int vu_start(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vu_state *st = priv->tp;
	char err[256];
	int rc = 0;

	if (st == NULL)
		return -ENODEV;
	pthread_mutex_lock(&st->mu);
	st->started = true;
	if (st->sock >= 0) {
		rc = vu_device_setup(st, dev, err, sizeof(err));
		if (rc != 0) {
			mpdp_log(MPDP_LOG_ERR, VIO_LOG, "%s: cannot start the device at %s: %s",
				 dev->shm->name, priv->pmd->path, err);
			st->started = false;
			atomic_store_explicit(&priv->pmd->link_up, 0, memory_order_release);
			/* a half-set-up backend: drop it, the control thread reconnects */
			shutdown(st->sock, SHUT_RDWR);
		}
	} else {
		mpdp_log(MPDP_LOG_WARNING, VIO_LOG,
			 "%s: started without a backend at %s: link down until one answers",
			 dev->shm->name, priv->pmd->path);
	}
	pthread_mutex_unlock(&st->mu);
	return rc;
}

static void vu_stop(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vu_state *st = priv->tp;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	st->started = false;
	vu_device_stop(st, dev);
	pthread_mutex_unlock(&st->mu);
}

/* Let go of everything the primary holds (st freed). Not under mu. */
static void vu_state_free(struct vu_state *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	st->closing = true;
	pthread_mutex_unlock(&st->mu);
	/* the callbacks take only mu, never a lock our caller holds */
	mpdp_ctrl_unwatch(st->sock_watch);
	mpdp_ctrl_unwatch(st->timer_watch);
	st->sock_watch = st->timer_watch = NULL;
	if (st->sock >= 0)
		close(st->sock); /* the backend sees EOF and lets go of the rings */
	if (st->timer_fd >= 0)
		close(st->timer_fd);
	for (unsigned int v = 0; v < VIO_MAX_VRINGS; v++) {
		if (st->kick[v] >= 0)
			close(st->kick[v]);
		if (st->call[v] >= 0)
			close(st->call[v]);
	}
	pthread_mutex_destroy(&st->mu);
	free(st);
}

static void vu_close(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;
	struct vu_state *st = priv->tp;

	if (st == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	st->started = false;
	vu_device_stop(st, dev);
	pthread_mutex_unlock(&st->mu);
	priv->tp = NULL;
	vu_state_free(st);
}

static void vu_detach(struct mpdp_eth_dev *dev)
{
	struct vio_priv *priv = dev->priv;

	/* the primary leaving without a close */
	vu_state_free(priv->tp);
	priv->tp = NULL;
}

const struct vio_transport_ops vio_user_ops = {
	.name = "virtio-user",
	.dma_iova = false, /* the memory table is by heap offset, in every IOVA mode */
	.queue_attach = vu_queue_attach,
	.queue_detach = vu_queue_detach,
	.notify = vu_notify,
	.start = vu_start,
	.stop = vu_stop,
	.close = vu_close,
	.detach = vu_detach,
};

/* ------------------------------------------------------------ probe */

struct vu_args {
	char path[VIO_PATH_MAX];
	uint64_t queues, mrg, qsize, event_idx;
	struct mpdp_ether_addr mac;
};

static int vu_args_get(const struct mpdp_devargs *da, struct vu_args *a, char *err, size_t err_size)
{
	const char *path = mpdp_devargs_get(da, "path");
	const char *mac = mpdp_devargs_get(da, "mac");
	int rc;

	memset(a, 0, sizeof(*a));
	if (path == NULL || path[0] == '\0') {
		snprintf(err, err_size,
			 "%s: path=SOCK is required (the vhost-user backend's socket)", da->name);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(a->path)) {
		snprintf(err, err_size, "%s: path=%s: longer than %zu characters", da->name, path,
			 sizeof(a->path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(a->path, sizeof(a->path), "%s", path);
	rc = mpdp_devargs_get_uint(da, "queues", 1, VIO_MAX_QPAIRS, 1, &a->queues, err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "mrg_rxbuf", 0, 1, 1, &a->mrg, err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "event_idx", 0, 1, 1, &a->event_idx, err, err_size);
	if (rc == 0)
		rc = mpdp_devargs_get_uint(da, "queue_size", VIO_QSIZE_MIN, VIO_QSIZE_MAX,
					   VIO_QSIZE_DEF, &a->qsize, err, err_size);
	if (rc != 0)
		return rc;
	if (!MPDP_IS_POW2(a->qsize)) {
		snprintf(err, err_size, "%s: queue_size=%llu: not a power of two", da->name,
			 (unsigned long long)a->qsize);
		return -EINVAL;
	}
	if (mac != NULL) {
		if (mpdp_ether_addr_parse(mac, &a->mac) != 0 ||
		    !mpdp_ether_addr_is_valid_assigned(&a->mac)) {
			snprintf(
				err, err_size,
				"%s: mac=%s: expected a unicast address XX:XX:XX:XX:XX:XX, not zero",
				da->name, mac);
			return -EINVAL;
		}
	} else {
		uint32_t pid = (uint32_t)getpid();

		a->mac.bytes[0] = 0x02; /* locally administered, unicast */
		a->mac.bytes[1] = 0x00;
		a->mac.bytes[2] = (uint8_t)(pid >> 16);
		a->mac.bytes[3] = (uint8_t)(pid >> 8);
		a->mac.bytes[4] = (uint8_t)pid;
		a->mac.bytes[5] = (uint8_t)strlen(da->name);
	}
	return 0;
}

static struct mpdp_eth_driver vu_driver;

static int vu_probe(const struct mpdp_devargs *da, const char *devargs_str, char *err,
		    size_t err_size)
{
	char mac[MPDP_ETHER_ADDR_FMT_SIZE], fs[128], msg[256];
	struct vio_port_shm *pmd = NULL;
	struct mpdp_eth_dev *dev = NULL;
	struct vio_priv *priv;
	struct vu_state *st;
	struct vu_args a;
	uint64_t want, got;
	size_t area;
	int rc;

	if (strlen(da->name) > VIO_PORT_NAME_MAX) {
		snprintf(err, err_size, "%s: name longer than %zu characters", da->name,
			 (size_t)VIO_PORT_NAME_MAX);
		return -ENAMETOOLONG;
	}
	rc = vu_args_get(da, &a, err, err_size);
	if (rc != 0)
		return rc;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, err_size, "%s: out of memory", da->name);
		return -ENOMEM;
	}
	pthread_mutex_init(&st->mu, NULL);
	st->sock = -1;
	st->timer_fd = -1;
	for (unsigned int v = 0; v < VIO_MAX_VRINGS; v++)
		st->kick[v] = st->call[v] = -1;
	snprintf(st->name, sizeof(st->name), "%s", da->name);

	/* the backend first: nothing to create if it is not there */
	st->sock = vu_connect(a.path);
	if (st->sock < 0) {
		rc = st->sock;
		st->sock = -1;
		snprintf(err, err_size, "%s: path=%s: cannot connect to the vhost-user backend: %s",
			 da->name, a.path, strerror(-rc));
		goto err_state;
	}
	want = VU_FEATURES_BASE;
	if (a.mrg)
		want |= MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF);
	if (a.event_idx)
		want |= MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_EVENT_IDX);
	if (a.queues > 1)
		want |= MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MQ);
	rc = vu_handshake(st, (uint16_t)a.queues, want, 0, &got, msg, sizeof(msg));
	if (rc != 0) {
		snprintf(err, err_size, "%s: vhost-user backend at %s: %s", da->name, a.path, msg);
		goto err_state;
	}
	for (unsigned int v = 0; v < 2 * a.queues; v++) {
		st->kick[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		st->call[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (st->kick[v] < 0 || st->call[v] < 0) {
			rc = -errno;
			snprintf(err, err_size, "%s: eventfd: %s", da->name, strerror(-rc));
			goto err_state;
		}
	}
	st->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (st->timer_fd < 0) {
		rc = -errno;
		snprintf(err, err_size, "%s: timerfd: %s", da->name, strerror(-rc));
		goto err_state;
	}

	dev = mpdp_eth_dev_create(da->name, &vu_driver, devargs_str, &rc);
	if (dev == NULL) {
		snprintf(err, err_size, "%s: cannot create the port: %s", da->name, strerror(-rc));
		goto err_state;
	}
	area = vio_area_size((uint16_t)a.queues, (uint16_t)a.qsize, MPDP_VIRTQ_ALIGN_USED, 0);
	pmd = mpdp_eth_dev_area_reserve(dev, VIO_ZONE_TAG, area, &rc, err, err_size);
	if (pmd == NULL)
		goto err_release;
	pmd->magic = VIO_PORT_MAGIC;
	pmd->version = VIO_PORT_VERSION;
	pmd->transport = VIRTIO_TRANSPORT_USER;
	pmd->nb_qpairs = (uint16_t)a.queues;
	pmd->queue_size = (uint16_t)a.qsize;
	pmd->want_features = want;
	atomic_store_explicit(&pmd->features, got, memory_order_relaxed);
	pmd->hdr_len = MPDP_VIRTIO_NET_HDR_LEN;
	pmd->area_len = area;
	pmd->used_align = MPDP_VIRTQ_ALIGN_USED;
	pmd->block_align = 0;
	snprintf(pmd->path, sizeof(pmd->path), "%s", a.path);
	atomic_store_explicit(&pmd->connected, 1, memory_order_relaxed);
	atomic_store_explicit(&pmd->connects, 1, memory_order_relaxed);
	atomic_store_explicit(&pmd->protocol_features, st->proto, memory_order_relaxed);
	rc = vio_area_layout(pmd, area);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot lay out the rings", da->name);
		goto err_free_zone;
	}
	for (uint16_t v = 0; v < 2 * a.queues; v++)
		pmd->vq[v].event_idx = (got & MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_EVENT_IDX)) != 0;
	/* device status, emulated: the features are accepted */
	atomic_store_explicit(&pmd->status,
			      MPDP_VIRTIO_STATUS_ACKNOWLEDGE | MPDP_VIRTIO_STATUS_DRIVER |
				      MPDP_VIRTIO_STATUS_FEATURES_OK,
			      memory_order_relaxed);

	dev->shm->max_rx_queues = (uint16_t)a.queues;
	dev->shm->max_tx_queues = (uint16_t)a.queues;
	dev->shm->min_desc = (uint16_t)a.qsize;
	dev->shm->max_desc = (uint16_t)a.qsize;
	dev->shm->min_mtu = 68;
	dev->shm->max_mtu = (got & MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF)) ? 9000 : 1500;
	dev->shm->mtu = 1500;
	dev->shm->mac = a.mac;
	dev->shm->link = (struct mpdp_eth_link){ .full_duplex = 1 };
	rc = mpdp_eth_dev_publish(dev);
	if (rc != 0) {
		snprintf(err, err_size, "%s: cannot publish the port: %s", da->name, strerror(-rc));
		goto err_free_zone;
	}
	/* published: attach made dev->priv; from here on close undoes everything */
	priv = dev->priv;
	st->dev = dev;
	for (uint16_t v = 0; v < 2 * a.queues; v++) {
		rc = mpdp_eth_dev_fd_export(dev, VU_KICK_FD_BASE + v, st->kick[v]);
		if (rc != 0) {
			snprintf(err, err_size, "%s: cannot export the kick fd of vring %u: %s",
				 da->name, v, strerror(-rc));
			break;
		}
	}
	if (rc == 0) {
		st->sock_watch = mpdp_ctrl_watch(st->sock, EPOLLIN | EPOLLRDHUP, sock_cb, st);
		st->timer_watch = mpdp_ctrl_watch(st->timer_fd, EPOLLIN, timer_cb, st);
		if (st->sock_watch == NULL || st->timer_watch == NULL) {
			rc = -errno;
			snprintf(err, err_size, "%s: cannot watch the backend socket: %s", da->name,
				 strerror(-rc));
		}
	}
	priv->tp = st;
	if (rc != 0) {
		(void)mpdp_eth_dev_close(dev->port_id);
		return rc;
	}
	mpdp_ether_addr_format(mac, sizeof(mac), &a.mac);
	vio_features_str(got, fs, sizeof(fs));
	mpdp_log(MPDP_LOG_INFO, VIO_LOG,
		 "%s: port %u, vhost-user backend at %s, %llu queue pair(s) of %llu, mac %s, "
		 "features %s, protocol features %#" PRIx64,
		 da->name, dev->port_id, a.path, (unsigned long long)a.queues,
		 (unsigned long long)a.qsize, mac, fs, st->proto);
	return 0;

err_free_zone:
	mpdp_eth_dev_area_free(da->name, VIO_ZONE_TAG);
err_release:
	mpdp_eth_dev_release(dev);
err_state:
	vu_state_free(st);
	return rc;
}

static const char *const vu_keys[] = { "path", "queues",    "mrg_rxbuf", "queue_size",
				       "mac",  "event_idx", NULL };

static struct mpdp_eth_driver vu_driver = {
	.name = VU_DRIVER_NAME,
	.bus = MPDP_BUS_VDEV,
	.devargs_keys = vu_keys,
	.devargs_help = "path=SOCK,queues=N,mrg_rxbuf=0|1,queue_size=N,mac=XX:XX:XX:XX:XX:XX,"
			"event_idx=0|1",
	.probe_vdev = vu_probe,
	.ops = NULL, /* set by the constructor below: the core's table */
};

__attribute__((constructor)) static void vu_driver_register(void)
{
	vu_driver.ops = vio_eth_ops();
	(void)mpdp_eth_driver_register(&vu_driver);
}
