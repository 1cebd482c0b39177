/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_ipc.c - messages between processes (mpdp_ipc.h).
 *
 * Topology: the primary listens on <runtime dir>/ipc (SOCK_SEQPACKET); each
 * secondary holds one connection. SEQPACKET keeps message boundaries and
 * order, carries SCM_RIGHTS, and hangs up when the peer dies: the hang-up is
 * one of the two kernel signals of a peer's death (the other is its pidfd).
 *
 * Wire format: a message is one packet (header + payload + up to 253 fds)
 * followed, when it carries more fds, by IPC_FDS packets of up to 253 fds
 * each. A sender holds the connection's send lock for the whole message, so
 * its packets are contiguous on the connection.
 *
 * Everything received is input from another process: sizes, counts, names
 * and fds are checked; a peer that breaks the protocol is disconnected (and,
 * for a secondary, reclaimed as if it had died).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "eal_private.h"

#define IPC_MAGIC 0x4d504950u /* "MPIP" */
#define IPC_WIRE_VERSION 1
#define IPC_FDS_PER_PACKET 253 /* SCM_MAX_FD */
#define IPC_MAX_FDS 65536      /* sanity bound on one message, not a design cap */
#define IPC_MAX_ACTIONS 128
#define IPC_HELLO_TIMEOUT_MS 3000
#define IPC_SEND_TIMEOUT_MS 1000

enum ipc_type { IPC_REQUEST = 1, IPC_REPLY, IPC_ASYNC, IPC_FDS };
#define IPC_F_NO_ACTION 1u /* reply: the peer has no handler for the name */

struct ipc_wire_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint64_t seq;
	char name[MPDP_IPC_NAME_SIZE];
	int32_t status;
	uint32_t flags;
	uint32_t data_len;
	uint32_t nb_fds_total;
	uint32_t nb_fds_here;
	uint32_t pad;
};
MPDP_STATIC_ASSERT(sizeof(struct ipc_wire_hdr) == 104, "IPC header is ABI");

struct eal_hello_req {
	int32_t pid;
	uint32_t nb_cpus;
	uint64_t start_time;
	char comm[16];
	int16_t cpus[MPDP_MAX_LCORES];
};
struct eal_hello_rep {
	int32_t proc_id;
	uint32_t nb_lcores;
	uint16_t lcores[MPDP_MAX_LCORES];
};
MPDP_STATIC_ASSERT(sizeof(struct eal_hello_req) == 288, "hello is ABI");
MPDP_STATIC_ASSERT(sizeof(struct eal_hello_rep) == 264, "hello is ABI");

struct ipc_conn {
	int fd;
	int proc_id;  /* peer; -1 until its hello was accepted (primary side) */
	pid_t pid;    /* from SO_PEERCRED */
	int pidfd;
	struct eal_watch *watch, *pid_watch;
	pthread_mutex_t send_lock;
	int refs;     /* under ipc.lock */
	int gone;     /* under ipc.lock */
	struct ipc_conn *next_unregistered;
};

struct pending {
	struct pending *next;
	uint64_t seq;
	struct ipc_conn *conn;
	int done;
	int rc;
	struct mpdp_ipc_msg reply;
};

struct action {
	char name[MPDP_IPC_NAME_SIZE];
	mpdp_ipc_handler_t fn;
	void *arg;
};

static struct {
	pthread_mutex_t lock;  /* peers, unregistered, pending, actions, refs */
	pthread_cond_t cond;   /* a pending request completed */
	int listen_fd;
	struct eal_watch *listen_watch;
	struct ipc_conn *peers[MPDP_MAX_PROCS]; /* secondary: [0] = primary */
	struct ipc_conn *unregistered;          /* primary: accepted, no hello yet */
	struct pending *pending;
	uint64_t next_seq;
	struct action actions[IPC_MAX_ACTIONS];
	unsigned int nb_actions;
	uint8_t *rx_buf;                        /* control thread only */
} ipc = { .lock = PTHREAD_MUTEX_INITIALIZER, .listen_fd = -1 };

/* ---- messages ---------------------------------------------------------- */

int mpdp_ipc_msg_init(struct mpdp_ipc_msg *msg, const char *name)
{
	memset(msg, 0, sizeof(*msg));
	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	if (strlen(name) >= MPDP_IPC_NAME_SIZE)
		return -ENAMETOOLONG;
	memcpy(msg->name, name, strlen(name));
	return 0;
}

int mpdp_ipc_msg_add_data(struct mpdp_ipc_msg *msg, const void *data, size_t len)
{
	if (len > MPDP_IPC_MAX_DATA - msg->len)
		return -EMSGSIZE;
	if (msg->len + len > msg->data_cap) {
		size_t cap = msg->data_cap ? msg->data_cap : 256;
		uint8_t *p;

		while (cap < msg->len + len)
			cap *= 2;
		p = realloc(msg->data, cap);
		if (p == NULL)
			return -ENOMEM;
		msg->data = p;
		msg->data_cap = cap;
	}
	if (len > 0)
		memcpy(msg->data + msg->len, data, len);
	msg->len += len;
	return 0;
}

int mpdp_ipc_msg_give_fd(struct mpdp_ipc_msg *msg, int fd)
{
	int rc = 0;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	if (msg->nb_fds == IPC_MAX_FDS) {
		rc = -E2BIG;
	} else if (msg->nb_fds == msg->fd_cap) {
		unsigned int cap = msg->fd_cap ? msg->fd_cap * 2 : 8;
		int *p = realloc(msg->fds, cap * sizeof(int));

		if (p == NULL) {
			rc = -ENOMEM;
		} else {
			msg->fds = p;
			msg->fd_cap = cap;
		}
	}
	if (rc != 0) {
		close(fd);
		return rc;
	}
	msg->fds[msg->nb_fds++] = fd;
	return 0;
}

int mpdp_ipc_msg_add_fd(struct mpdp_ipc_msg *msg, int fd)
{
	int dup_fd;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return errno == EMFILE ? -EMFILE : -errno;
	return mpdp_ipc_msg_give_fd(msg, dup_fd);
}

void mpdp_ipc_msg_fini(struct mpdp_ipc_msg *msg)
{
	if (msg == NULL)
		return;
	for (unsigned int i = 0; i < msg->nb_fds; i++)
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
	free(msg->data);
	free(msg->fds);
	memset(msg, 0, sizeof(*msg));
}

/* ---- connections ------------------------------------------------------- */

static struct ipc_conn *conn_new(int fd, pid_t pid)
{
	struct ipc_conn *c = calloc(1, sizeof(*c));
	struct timeval tv = { .tv_sec = IPC_SEND_TIMEOUT_MS / 1000,
			      .tv_usec = (IPC_SEND_TIMEOUT_MS % 1000) * 1000 };

	if (c == NULL)
		return NULL;
	/* a peer that stops reading must not block us forever */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	c->proc_id = -1;
	c->pid = pid;
	c->pidfd = -1;
	c->refs = 1;
	pthread_mutex_init(&c->send_lock, NULL);
	return c;
}

/* Drop a reference; ipc.lock held. The last one closes and frees. */
static void conn_put_locked(struct ipc_conn *c)
{
	if (--c->refs > 0)
		return;
	close(c->fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	pthread_mutex_destroy(&c->send_lock);
	free(c);
}

static struct ipc_conn *conn_get_peer(int peer)
{
	struct ipc_conn *c = NULL;

	pthread_mutex_lock(&ipc.lock);
	if (peer >= 0 && peer < MPDP_MAX_PROCS && ipc.peers[peer] != NULL &&
	    !ipc.peers[peer]->gone) {
		c = ipc.peers[peer];
		c->refs++;
	}
	pthread_mutex_unlock(&ipc.lock);
	return c;
}

static void conn_put(struct ipc_conn *c)
{
	pthread_mutex_lock(&ipc.lock);
	conn_put_locked(c);
	pthread_mutex_unlock(&ipc.lock);
}

/* Fail every request waiting on c; ipc.lock held. */
static void fail_pending_locked(struct ipc_conn *c)
{
	for (struct pending *p = ipc.pending; p != NULL; p = p->next) {
		if (p->conn == c && !p->done) {
			p->done = 1;
			p->rc = -ENOTCONN;
		}
	}
	pthread_cond_broadcast(&ipc.cond);
}

/*
 * Control thread: forget connection c (peer died, left, or broke the
 * protocol). Returns the proc id it served, or -1.
 */
static int conn_drop(struct ipc_conn *c)
{
	int proc_id;

	pthread_mutex_lock(&ipc.lock);
	if (c->gone) {
		pthread_mutex_unlock(&ipc.lock);
		return -1;
	}
	c->gone = 1;
	proc_id = c->proc_id;
	if (proc_id >= 0 && ipc.peers[proc_id] == c)
		ipc.peers[proc_id] = NULL;
	for (struct ipc_conn **pp = &ipc.unregistered; *pp != NULL; pp = &(*pp)->next_unregistered) {
		if (*pp == c) {
			*pp = c->next_unregistered;
			break;
		}
	}
	fail_pending_locked(c);
	/* wakes a sender blocked on a full socket; the fd stays ours until the last put */
	shutdown(c->fd, SHUT_RDWR);
	eal_ctrl_unwatch(c->watch);
	eal_ctrl_unwatch(c->pid_watch);
	c->watch = c->pid_watch = NULL;
	conn_put_locked(c);
	pthread_mutex_unlock(&ipc.lock);
	return proc_id;
}

/* ---- wire -------------------------------------------------------------- */

static int send_packet(int fd, const struct ipc_wire_hdr *h, const void *data, size_t len,
		       const int *fds, unsigned int nb_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * IPC_FDS_PER_PACKET)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = { { (void *)h, sizeof(*h) }, { (void *)data, len } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (nb_fds > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nb_fds);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nb_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nb_fds);
	}
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE || errno == ECONNRESET ? -ENOTCONN : -errno;
	return (size_t)n == sizeof(*h) + len ? 0 : -EIO;
}

static int send_msg(struct ipc_conn *c, enum ipc_type type, uint64_t seq,
		    const struct mpdp_ipc_msg *msg, int32_t status, uint32_t flags)
{
	struct ipc_wire_hdr h = {
		.magic = IPC_MAGIC, .version = IPC_WIRE_VERSION, .type = (uint16_t)type,
		.seq = seq, .status = status, .flags = flags,
		.data_len = (uint32_t)msg->len, .nb_fds_total = msg->nb_fds,
	};
	unsigned int sent, batch;
	int rc;

	if (msg->len > MPDP_IPC_MAX_DATA)
		return -EMSGSIZE;
	memcpy(h.name, msg->name, sizeof(h.name));
	h.name[sizeof(h.name) - 1] = '\0';
	pthread_mutex_lock(&c->send_lock);
	batch = msg->nb_fds < IPC_FDS_PER_PACKET ? msg->nb_fds : IPC_FDS_PER_PACKET;
	h.nb_fds_here = batch;
	rc = send_packet(c->fd, &h, msg->data, msg->len, msg->fds, batch);
	for (sent = batch; rc == 0 && sent < msg->nb_fds; sent += batch) {
		batch = msg->nb_fds - sent < IPC_FDS_PER_PACKET ? msg->nb_fds - sent
								: IPC_FDS_PER_PACKET;
		h.type = IPC_FDS;
		h.data_len = 0;
		h.nb_fds_here = batch;
		rc = send_packet(c->fd, &h, NULL, 0, msg->fds + sent, batch);
	}
	pthread_mutex_unlock(&c->send_lock);
	return rc;
}

/*
 * Receive one packet; appends its fds to *fds. Returns bytes, 0 on hang-up,
 * -errno. *fds_lost is set when the kernel could not give us every fd (our
 * fd table is full: MSG_CTRUNC); the packet itself was still consumed.
 */
static ssize_t recv_packet(int fd, uint8_t *buf, size_t size, int **fds, unsigned int *nb_fds,
			   unsigned int *cap, int *fds_lost)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * IPC_FDS_PER_PACKET)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, size };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;
	int rc = 0;

	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm != NULL; cm = CMSG_NXTHDR(&m, cm)) {
		unsigned int k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (unsigned int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned int i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*nb_fds == *cap) {
				unsigned int ncap = *cap ? *cap * 2 : 16;
				int *p = realloc(*fds, ncap * sizeof(int));

				if (p == NULL) {
					close(f);
					*fds_lost = 1;
					continue;
				}
				*fds = p;
				*cap = ncap;
			}
			(*fds)[(*nb_fds)++] = f;
		}
	}
	if (m.msg_flags & MSG_CTRUNC)
		*fds_lost = 1;
	if (m.msg_flags & MSG_TRUNC)
		rc = -EMSGSIZE;
	return rc != 0 ? rc : n;
}

static int hdr_valid(const struct ipc_wire_hdr *h, size_t n)
{
	return n >= sizeof(*h) && h->magic == IPC_MAGIC && h->version == IPC_WIRE_VERSION &&
	       h->data_len <= MPDP_IPC_MAX_DATA && n == sizeof(*h) + h->data_len &&
	       h->nb_fds_here <= IPC_FDS_PER_PACKET && h->nb_fds_here <= h->nb_fds_total &&
	       h->nb_fds_total <= IPC_MAX_FDS && memchr(h->name, '\0', sizeof(h->name)) != NULL &&
	       h->name[0] != '\0';
}

/* Copy the header out of a received packet (the buffer has no alignment promise). */
static void hdr_read(struct ipc_wire_hdr *h, const uint8_t *buf, ssize_t n)
{
	memset(h, 0, sizeof(*h));
	if (n > 0)
		memcpy(h, buf, (size_t)n < sizeof(*h) ? (size_t)n : sizeof(*h));
}

/*
 * Read one whole message from c into msg (header in *h). Continuation packets
 * follow the first without delay (the sender holds its send lock), so waiting
 * for them is bounded. Returns 0, 1 on hang-up, -EMFILE when fds were lost
 * because our fd table is full (the message was consumed whole and *h is
 * valid: the stream is still in step), other -errno on protocol error.
 */
static int recv_msg(struct ipc_conn *c, struct ipc_wire_hdr *h, struct mpdp_ipc_msg *msg)
{
	uint8_t *buf = ipc.rx_buf;
	const size_t size = sizeof(*h) + MPDP_IPC_MAX_DATA;
	struct ipc_wire_hdr f;
	unsigned int cap = 0, announced;
	int rc = 0, lost = 0;
	ssize_t n;

	memset(msg, 0, sizeof(*msg));
	n = recv_packet(c->fd, buf, size, &msg->fds, &msg->nb_fds, &cap, &lost);
	msg->fd_cap = cap;
	if (n == 0)
		return 1;
	if (n == -EAGAIN)
		return -EAGAIN;
	hdr_read(h, buf, n);
	if (n < 0 || !hdr_valid(h, (size_t)n) || h->type == IPC_FDS) {
		rc = n < 0 ? (int)n : -EPROTO;
		goto err;
	}
	if (!lost && msg->nb_fds != h->nb_fds_here) {
		rc = -EPROTO;
		goto err;
	}
	memcpy(msg->name, h->name, sizeof(msg->name));
	rc = mpdp_ipc_msg_add_data(msg, buf + sizeof(*h), h->data_len);
	if (rc != 0)
		goto err;
	for (announced = h->nb_fds_here; announced < h->nb_fds_total; announced += f.nb_fds_here) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		unsigned int before = msg->nb_fds;

		if (poll(&pfd, 1, IPC_SEND_TIMEOUT_MS) != 1) {
			rc = -ETIMEDOUT;
			goto err;
		}
		n = recv_packet(c->fd, buf, size, &msg->fds, &msg->nb_fds, &cap, &lost);
		msg->fd_cap = cap;
		hdr_read(&f, buf, n);
		if (n <= 0 || !hdr_valid(&f, (size_t)n) || f.type != IPC_FDS || f.seq != h->seq ||
		    f.nb_fds_here == 0 || f.nb_fds_here > h->nb_fds_total - announced ||
		    (!lost && msg->nb_fds - before != f.nb_fds_here)) {
			rc = n == 0 ? 1 : -EPROTO;
			goto err;
		}
	}
	if (lost) {
		rc = -EMFILE;
		goto err;
	}
	return 0;
err:
	mpdp_ipc_msg_fini(msg);
	return rc;
}

/* ---- dispatch (control thread) ----------------------------------------- */

static int find_action(const char *name, mpdp_ipc_handler_t *fn, void **arg)
{
	int found = 0;

	pthread_mutex_lock(&ipc.lock);
	for (unsigned int i = 0; i < ipc.nb_actions; i++) {
		if (strcmp(ipc.actions[i].name, name) == 0) {
			*fn = ipc.actions[i].fn;
			*arg = ipc.actions[i].arg;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&ipc.lock);
	return found;
}

static void deliver_reply(struct ipc_conn *c, const struct ipc_wire_hdr *h,
			  struct mpdp_ipc_msg *msg)
{
	pthread_mutex_lock(&ipc.lock);
	for (struct pending *p = ipc.pending; p != NULL; p = p->next) {
		if (p->seq == h->seq && p->conn == c && !p->done) {
			p->reply = *msg;
			p->reply.status = h->status;
			p->reply.peer = c->proc_id; /* mpdp_ipc.h: received, the sender */
			p->rc = (h->flags & IPC_F_NO_ACTION) ? -ENOENT : 0;
			p->done = 1;
			memset(msg, 0, sizeof(*msg));
			pthread_cond_broadcast(&ipc.cond);
			break;
		}
	}
	pthread_mutex_unlock(&ipc.lock);
	mpdp_ipc_msg_fini(msg); /* a late reply: nobody waits for it any more */
}

static void hello(struct ipc_conn *c, const struct ipc_wire_hdr *h, struct mpdp_ipc_msg *req);

static void dispatch(struct ipc_conn *c, const struct ipc_wire_hdr *h, struct mpdp_ipc_msg *req)
{
	struct mpdp_ipc_msg reply;
	mpdp_ipc_handler_t fn;
	void *arg;
	int status;

	req->peer = c->proc_id;
	if (strncmp(req->name, "eal:", 4) == 0) {
		if (eal.type == MPDP_PROC_SECONDARY && strcmp(req->name, "eal:leaving") == 0)
			eal_primary_gone("the primary is leaving");
		mpdp_ipc_msg_fini(req);
		return;
	}
	if (!find_action(req->name, &fn, &arg)) {
		if (h->type == IPC_REQUEST) {
			mpdp_ipc_msg_init(&reply, req->name);
			send_msg(c, IPC_REPLY, h->seq, &reply, -ENOENT, IPC_F_NO_ACTION);
		} else {
			EAL_LOG(INFO, "no handler for message '%s' from process %d", req->name,
				c->proc_id);
		}
		mpdp_ipc_msg_fini(req);
		return;
	}
	if (h->type == IPC_ASYNC) {
		fn(req, NULL, arg);
		mpdp_ipc_msg_fini(req);
		return;
	}
	mpdp_ipc_msg_init(&reply, req->name);
	status = fn(req, &reply, arg);
	if (status > 0)
		status = 0;
	if (send_msg(c, IPC_REPLY, h->seq, &reply, status, 0) != 0)
		EAL_LOG(INFO, "reply to '%s' for process %d lost", req->name, c->proc_id);
	mpdp_ipc_msg_fini(&reply);
	mpdp_ipc_msg_fini(req);
}

static void peer_pidfd_event(int fd, uint32_t events, void *arg);

/*
 * A message whose fds did not fit in our fd table: it fails alone, the
 * connection stays (the peer did nothing wrong).
 */
static void fds_lost(struct ipc_conn *c, const struct ipc_wire_hdr *h)
{
	struct mpdp_ipc_msg err;

	EAL_LOG(WARNING, "message '%s' from process %d: its %u fds exceed this process's fd limit",
		h->name, c->proc_id, h->nb_fds_total);
	if (h->type == IPC_REPLY) {
		pthread_mutex_lock(&ipc.lock);
		for (struct pending *p = ipc.pending; p != NULL; p = p->next) {
			if (p->seq == h->seq && p->conn == c && !p->done) {
				p->rc = -EMFILE;
				p->done = 1;
				pthread_cond_broadcast(&ipc.cond);
				break;
			}
		}
		pthread_mutex_unlock(&ipc.lock);
	} else if (h->type == IPC_REQUEST) {
		mpdp_ipc_msg_init(&err, h->name);
		send_msg(c, IPC_REPLY, h->seq, &err, -EMFILE, 0);
		mpdp_ipc_msg_fini(&err);
	}
}

static void conn_event(int fd, uint32_t events, void *arg)
{
	struct ipc_conn *c = arg;
	struct ipc_wire_hdr h;
	struct mpdp_ipc_msg msg;
	int rc;

	(void)fd;
	(void)events;
	/* keep c alive while handlers may drop it (a refused hello does) */
	pthread_mutex_lock(&ipc.lock);
	c->refs++;
	pthread_mutex_unlock(&ipc.lock);
	/* drain what is queued; a hang-up is seen when recv returns 0 */
	for (int budget = 0; budget < 64 && !c->gone; budget++) {
		rc = recv_msg(c, &h, &msg);
		if (rc == -EAGAIN)
			break;
		if (rc == -EMFILE && c->proc_id >= 0) {
			fds_lost(c, &h);
			continue;
		}
		if (rc != 0) {
			if (rc < 0 && rc != -ECONNRESET)
				EAL_LOG(WARNING, "process %d broke the IPC protocol (%s); disconnecting",
					c->proc_id, strerror(-rc));
			rc = conn_drop(c);
			if (eal.type == MPDP_PROC_SECONDARY)
				eal_primary_gone("the primary closed its connection");
			else if (rc > 0)
				eal_proc_reclaim(rc);
			break;
		}
		if (h.type == IPC_REPLY)
			deliver_reply(c, &h, &msg);
		else if (c->proc_id < 0)
			hello(c, &h, &msg);
		else
			dispatch(c, &h, &msg);
	}
	conn_put(c);
}

static void peer_pidfd_event(int fd, uint32_t events, void *arg)
{
	struct ipc_conn *c = arg;
	int proc_id;

	(void)fd;
	(void)events;
	proc_id = conn_drop(c);
	if (eal.type == MPDP_PROC_SECONDARY)
		eal_primary_gone("the primary process exited");
	else if (proc_id > 0)
		eal_proc_reclaim(proc_id);
}

/* Primary, control thread: the first message of a new connection. */
static void hello(struct ipc_conn *c, const struct ipc_wire_hdr *h, struct mpdp_ipc_msg *req)
{
	struct eal_hello_req q;
	struct eal_hello_rep r;
	struct mpdp_ipc_msg reply;
	int proc_id = -EPROTO, pidfd = -1;

	memset(&r, 0, sizeof(r));
	mpdp_ipc_msg_init(&reply, "eal:hello");
	if (h->type != IPC_REQUEST || strcmp(req->name, "eal:hello") != 0 ||
	    req->len != sizeof(q) || req->nb_fds != 0)
		goto refuse;
	memcpy(&q, req->data, sizeof(q));
	q.comm[sizeof(q.comm) - 1] = '\0';
	/* distrust: the pid must be the connecting process, and nb_cpus in range */
	if (q.pid != c->pid || q.nb_cpus > MPDP_MAX_LCORES)
		goto refuse;
	pidfd = eal_pidfd_open_checked(q.pid, q.start_time);
	if (pidfd < 0) {
		proc_id = pidfd;
		goto refuse;
	}
	proc_id = eal_proc_add_secondary(q.pid, q.start_time, q.comm, q.cpus, q.nb_cpus, r.lcores);
	if (proc_id < 0) {
		EAL_LOG(WARNING, "refusing secondary pid %d: %s", (int)q.pid,
			proc_id == -ENOSPC ? "process or lcore table full" : strerror(-proc_id));
		goto refuse;
	}
	c->pidfd = pidfd;
	c->pid_watch = eal_ctrl_watch(pidfd, EPOLLIN, peer_pidfd_event, c);
	if (c->pid_watch == NULL) {
		c->pidfd = -1;
		eal_proc_reclaim(proc_id);
		proc_id = -ENOMEM;
		goto refuse;
	}
	pthread_mutex_lock(&ipc.lock);
	for (struct ipc_conn **pp = &ipc.unregistered; *pp != NULL; pp = &(*pp)->next_unregistered) {
		if (*pp == c) {
			*pp = c->next_unregistered;
			break;
		}
	}
	c->proc_id = proc_id;
	ipc.peers[proc_id] = c;
	pthread_mutex_unlock(&ipc.lock);
	r.proc_id = proc_id;
	r.nb_lcores = q.nb_cpus ? q.nb_cpus : 1;
	mpdp_ipc_msg_add_data(&reply, &r, sizeof(r));
	send_msg(c, IPC_REPLY, h->seq, &reply, 0, 0);
	mpdp_ipc_msg_fini(&reply);
	mpdp_ipc_msg_fini(req);
	EAL_LOG(INFO, "secondary pid %d attached as process %d", (int)q.pid, proc_id);
	return;

refuse:
	if (pidfd >= 0 && c->pidfd != pidfd)
		close(pidfd);
	send_msg(c, IPC_REPLY, h->seq, &reply, proc_id < 0 ? proc_id : -EPROTO, 0);
	mpdp_ipc_msg_fini(&reply);
	mpdp_ipc_msg_fini(req);
	conn_drop(c);
}

static void listen_event(int fd, uint32_t events, void *arg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ipc_conn *c;
	int cfd;

	(void)events;
	(void)arg;
	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    (c = conn_new(cfd, cred.pid)) == NULL) {
		close(cfd);
		return;
	}
	c->watch = eal_ctrl_watch(cfd, EPOLLIN, conn_event, c);
	if (c->watch == NULL) {
		pthread_mutex_lock(&ipc.lock);
		conn_put_locked(c);
		pthread_mutex_unlock(&ipc.lock);
		return;
	}
	pthread_mutex_lock(&ipc.lock);
	c->next_unregistered = ipc.unregistered;
	ipc.unregistered = c;
	pthread_mutex_unlock(&ipc.lock);
}

/* ---- set-up ------------------------------------------------------------ */

static int socket_path(struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return eal_path(sa->sun_path, sizeof(sa->sun_path), "ipc");
}

/* Before the control thread starts: buffers and the completion condvar. */
int eal_ipc_init(void)
{
	pthread_condattr_t attr;

	ipc.rx_buf = malloc(sizeof(struct ipc_wire_hdr) + MPDP_IPC_MAX_DATA);
	if (ipc.rx_buf == NULL)
		return -ENOMEM;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ipc.cond, &attr);
	pthread_condattr_destroy(&attr);
	return 0;
}

int eal_ipc_primary_listen(void)
{
	struct sockaddr_un sa;
	int fd, rc;

	rc = socket_path(&sa);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(sa.sun_path, eal.file_mode) != 0 || listen(fd, 64) != 0) {
		rc = -errno;
		EAL_LOG(ERR, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		unlink(sa.sun_path);
		return rc;
	}
	if (eal.opts.has_group)
		(void)!chown(sa.sun_path, (uid_t)-1, eal.opts.group);
	ipc.listen_fd = fd;
	ipc.listen_watch = eal_ctrl_watch(fd, EPOLLIN, listen_event, NULL);
	return ipc.listen_watch ? 0 : -ENOMEM;
}

/* Secondary: connect, say hello, learn our proc id and lcores. */
int eal_ipc_secondary_connect(const int16_t *cpus, unsigned int nb_cpus, int *proc_id,
			      uint16_t *lcores)
{
	struct sockaddr_un sa;
	struct eal_hello_req q;
	struct eal_hello_rep r;
	struct mpdp_ipc_msg req, reply;
	struct ipc_conn *c;
	FILE *f;
	int fd, rc;

	rc = socket_path(&sa);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		EAL_LOG(ERR, "cannot connect to the primary at %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return rc == -ECONNREFUSED ? -ENOENT : rc;
	}
	/* blocking for sends (bounded by SO_SNDTIMEO), non-blocking reads via MSG_DONTWAIT */
	c = conn_new(fd, eal.cfg->primary_pid);
	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->proc_id = MPDP_IPC_PRIMARY;
	c->pidfd = eal_pidfd_open_checked(eal.cfg->primary_pid, eal.cfg->primary_start_time);
	if (c->pidfd < 0) {
		EAL_LOG(ERR, "the primary (pid %d) is gone", (int)eal.cfg->primary_pid);
		c->pidfd = -1;
		rc = -ENOENT;
		goto err_conn;
	}
	c->watch = eal_ctrl_watch(fd, EPOLLIN, conn_event, c);
	c->pid_watch = eal_ctrl_watch(c->pidfd, EPOLLIN, peer_pidfd_event, c);
	if (c->watch == NULL || c->pid_watch == NULL) {
		rc = -ENOMEM;
		goto err_conn;
	}
	pthread_mutex_lock(&ipc.lock);
	ipc.peers[MPDP_IPC_PRIMARY] = c;
	pthread_mutex_unlock(&ipc.lock);

	memset(&q, 0, sizeof(q));
	q.pid = (int32_t)getpid();
	eal_proc_start_time(getpid(), &q.start_time);
	f = fopen("/proc/self/comm", "re");
	if (f != NULL) {
		if (fgets(q.comm, sizeof(q.comm), f) != NULL)
			q.comm[strcspn(q.comm, "\n")] = '\0';
		fclose(f);
	}
	q.nb_cpus = nb_cpus;
	memcpy(q.cpus, cpus, sizeof(q.cpus[0]) * nb_cpus);
	mpdp_ipc_msg_init(&req, "eal:hello");
	mpdp_ipc_msg_add_data(&req, &q, sizeof(q));
	rc = mpdp_ipc_request(&req, MPDP_IPC_PRIMARY, &reply, IPC_HELLO_TIMEOUT_MS);
	mpdp_ipc_msg_fini(&req);
	if (rc == 0 && reply.status != 0)
		rc = reply.status;
	if (rc == 0 && reply.len != sizeof(r))
		rc = -EPROTO;
	if (rc != 0) {
		EAL_LOG(ERR, "the primary refused this secondary: %s",
			rc == -ENOSPC ? "process or lcore table full" : strerror(-rc));
		mpdp_ipc_msg_fini(&reply);
		return rc; /* the connection is released by eal_ipc_fini() */
	}
	memcpy(&r, reply.data, sizeof(r));
	mpdp_ipc_msg_fini(&reply);
	if (r.proc_id <= 0 || r.proc_id >= MPDP_MAX_PROCS || r.nb_lcores != (nb_cpus ? nb_cpus : 1))
		return -EPROTO;
	for (unsigned int i = 0; i < r.nb_lcores; i++)
		if (r.lcores[i] >= MPDP_MAX_LCORES)
			return -EPROTO;
	*proc_id = r.proc_id;
	memcpy(lcores, r.lcores, sizeof(r.lcores[0]) * r.nb_lcores);
	return 0;

err_conn:
	eal_ctrl_unwatch(c->watch);
	eal_ctrl_unwatch(c->pid_watch);
	pthread_mutex_lock(&ipc.lock);
	conn_put_locked(c);
	pthread_mutex_unlock(&ipc.lock);
	return rc;
}

/* Primary, at cleanup: tell every secondary, before the connections close. */
void eal_ipc_primary_leaving(void)
{
	struct mpdp_ipc_msg msg;

	atomic_store_explicit(&eal.cfg->primary_leaving, 1, memory_order_release);
	mpdp_ipc_msg_init(&msg, "eal:leaving");
	mpdp_ipc_send(&msg, MPDP_IPC_ALL);
	mpdp_ipc_msg_fini(&msg);
}

/* After the control thread stopped: close everything. */
void eal_ipc_fini(void)
{
	struct ipc_conn *all[MPDP_MAX_PROCS * 2];
	unsigned int n = 0;

	pthread_mutex_lock(&ipc.lock);
	for (int i = 0; i < MPDP_MAX_PROCS; i++)
		if (ipc.peers[i] != NULL)
			all[n++] = ipc.peers[i];
	for (struct ipc_conn *c = ipc.unregistered; c != NULL && n < MPDP_DIM(all);
	     c = c->next_unregistered)
		all[n++] = c;
	pthread_mutex_unlock(&ipc.lock);
	for (unsigned int i = 0; i < n; i++)
		conn_drop(all[i]);
	pthread_mutex_lock(&ipc.lock);
	memset(ipc.peers, 0, sizeof(ipc.peers));
	ipc.unregistered = NULL;
	pthread_mutex_unlock(&ipc.lock);
	if (ipc.listen_fd >= 0) {
		eal_ctrl_unwatch(ipc.listen_watch);
		close(ipc.listen_fd);
		ipc.listen_fd = -1;
		ipc.listen_watch = NULL;
	}
	free(ipc.rx_buf);
	ipc.rx_buf = NULL;
	pthread_cond_destroy(&ipc.cond);
}

/* ---- public API -------------------------------------------------------- */

int mpdp_ipc_action_register(const char *name, mpdp_ipc_handler_t handler, void *arg)
{
	int rc = 0;

	if (name == NULL || name[0] == '\0' || handler == NULL || strncmp(name, "eal:", 4) == 0)
		return -EINVAL;
	if (strlen(name) >= MPDP_IPC_NAME_SIZE)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&ipc.lock);
	for (unsigned int i = 0; i < ipc.nb_actions; i++)
		if (strcmp(ipc.actions[i].name, name) == 0)
			rc = -EEXIST;
	if (rc == 0 && ipc.nb_actions == IPC_MAX_ACTIONS)
		rc = -ENOSPC;
	if (rc == 0) {
		struct action *a = &ipc.actions[ipc.nb_actions++];

		snprintf(a->name, sizeof(a->name), "%s", name);
		a->fn = handler;
		a->arg = arg;
	}
	pthread_mutex_unlock(&ipc.lock);
	return rc;
}

int mpdp_ipc_action_unregister(const char *name)
{
	int rc = -ENOENT;

	if (name == NULL)
		return -EINVAL;
	pthread_mutex_lock(&ipc.lock);
	for (unsigned int i = 0; i < ipc.nb_actions; i++) {
		if (strcmp(ipc.actions[i].name, name) == 0) {
			ipc.actions[i] = ipc.actions[--ipc.nb_actions];
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&ipc.lock);
	return rc;
}

static int check_peer(int peer)
{
	if (!eal.initialized && ipc.rx_buf == NULL)
		return -ENODEV;
	if (eal.type == MPDP_PROC_SECONDARY)
		return peer == MPDP_IPC_PRIMARY ? 0 : -EINVAL;
	return peer > 0 && peer < MPDP_MAX_PROCS ? 0 : -EINVAL;
}

int mpdp_ipc_send(const struct mpdp_ipc_msg *msg, int peer)
{
	struct ipc_conn *c;
	int rc, reached = 0;

	if (msg == NULL || msg->len > MPDP_IPC_MAX_DATA)
		return msg == NULL ? -EINVAL : -EMSGSIZE;
	if (peer == MPDP_IPC_ALL && eal.type == MPDP_PROC_PRIMARY) {
		for (int i = 1; i < MPDP_MAX_PROCS; i++) {
			c = conn_get_peer(i);
			if (c == NULL)
				continue;
			if (send_msg(c, IPC_ASYNC, 0, msg, 0, 0) == 0)
				reached++;
			conn_put(c);
		}
		return reached;
	}
	rc = check_peer(peer);
	if (rc != 0)
		return rc;
	c = conn_get_peer(peer);
	if (c == NULL)
		return -ENOTCONN;
	rc = send_msg(c, IPC_ASYNC, 0, msg, 0, 0);
	conn_put(c);
	return rc;
}

int mpdp_ipc_request(const struct mpdp_ipc_msg *req, int peer, struct mpdp_ipc_msg *reply,
		     unsigned int timeout_ms)
{
	struct pending p, **pp;
	struct timespec deadline;
	int rc;

	if (req == NULL || reply == NULL)
		return -EINVAL;
	memset(reply, 0, sizeof(*reply));
	if (req->len > MPDP_IPC_MAX_DATA)
		return -EMSGSIZE;
	if (eal_ctrl_is_self())
		return -EDEADLK;
	rc = check_peer(peer);
	if (rc != 0)
		return rc;
	memset(&p, 0, sizeof(p));
	p.conn = conn_get_peer(peer);
	if (p.conn == NULL)
		return -ENOTCONN;
	pthread_mutex_lock(&ipc.lock);
	p.seq = ++ipc.next_seq;
	p.next = ipc.pending;
	ipc.pending = &p;
	pthread_mutex_unlock(&ipc.lock);

	rc = send_msg(p.conn, IPC_REQUEST, p.seq, req, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ipc.lock);
	while (rc == 0 && !p.done)
		if (pthread_cond_timedwait(&ipc.cond, &ipc.lock, &deadline) == ETIMEDOUT && !p.done)
			rc = -ETIMEDOUT;
	if (rc == 0)
		rc = p.rc;
	for (pp = &ipc.pending; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == &p) {
			*pp = p.next;
			break;
		}
	}
	conn_put_locked(p.conn);
	pthread_mutex_unlock(&ipc.lock);
	if (rc == 0)
		*reply = p.reply;
	else
		mpdp_ipc_msg_fini(&p.reply);
	return rc;
}

