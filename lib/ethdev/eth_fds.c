/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_fds.c - a port's file descriptors, from the primary to the secondaries.
 *
 * The primary keeps a duplicate of every fd a driver exports, per port and
 * index, and sends all of them with each "eth:changed" announcement and in
 * reply to "eth:fds", which a secondary asks once while it attaches. The
 * payload names what the fds belong to:
 *
 *   struct eth_fds_wire_port { port, generation, fd_gen, mask } per port,
 *   followed (in the message's fd array) by one fd per set bit of mask,
 *   lowest index first.
 *
 * A secondary keeps the copies of the latest (generation, fd_gen) it was
 * sent for each port; mpdp_eth_dev_fd() hands one out only while the twin
 * and the slot agree with them. Everything here runs under eth.lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp_ipc.h>

#include "ethdev_private.h"

struct eth_fds_wire_port {
	uint16_t port;
	uint16_t pad;
	uint32_t generation;
	uint32_t fd_gen;
	uint32_t pad2;
	uint64_t mask;
};

MPDP_STATIC_ASSERT(MPDP_ETH_MAX_PORT_FDS <= 64, "fd mask is 64 bits");

void eth_fds_init(void)
{
	for (unsigned int p = 0; p < MPDP_MAX_PORTS; p++) {
		memset(&eth.fds[p], 0, sizeof(eth.fds[p]));
		for (unsigned int i = 0; i < MPDP_ETH_MAX_PORT_FDS; i++)
			eth.fds[p].fd[i] = -1;
	}
}

void eth_fds_close_port(uint16_t port)
{
	struct eth_port_fds *f = &eth.fds[port];

	for (unsigned int i = 0; i < MPDP_ETH_MAX_PORT_FDS; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		f->fd[i] = -1;
	}
	f->generation = 0;
	f->fd_gen = 0;
	f->valid = 0;
}

int mpdp_eth_dev_fd_export(struct mpdp_eth_dev *dev, unsigned int index, int fd)
{
	struct eth_port_fds *f;
	int dup_fd = -1;

	if (dev == NULL || index >= MPDP_ETH_MAX_PORT_FDS || dev->port_id >= MPDP_MAX_PORTS)
		return -EINVAL;
	if (fd >= 0) {
		dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (dup_fd < 0)
			return errno == EBADF ? -EINVAL : -EMFILE;
	}
	eth_lock();
	if (!eth.ready || !eth.primary) {
		eth_unlock();
		if (dup_fd >= 0)
			close(dup_fd);
		return -EPERM;
	}
	f = &eth.fds[dev->port_id];
	if (f->fd[index] >= 0)
		close(f->fd[index]);
	f->fd[index] = dup_fd;
	f->valid = 1;
	mpdp_eth_dev_write_begin(dev);
	dev->shm->fd_gen++;
	f->fd_gen = dev->shm->fd_gen;
	f->generation = dev->generation;
	mpdp_eth_dev_write_end(dev);
	eth_unlock();
	return 0;
}

int mpdp_eth_dev_fd(const struct mpdp_eth_dev *dev, unsigned int index)
{
	const struct eth_port_fds *f;
	int rc;

	if (dev == NULL || index >= MPDP_ETH_MAX_PORT_FDS || dev->port_id >= MPDP_MAX_PORTS ||
	    dev->shm == NULL)
		return -EINVAL;
	eth_lock();
	f = &eth.fds[dev->port_id];
	if (!f->valid || f->generation != dev->generation || f->fd_gen != dev->shm->fd_gen)
		rc = eth.primary ? -ENOENT : -EAGAIN;
	else
		rc = f->fd[index] >= 0 ? f->fd[index] : -ENOENT;
	eth_unlock();
	return rc;
}

/* Primary: append every port's exported fds to msg. */
int eth_fds_put(struct mpdp_ipc_msg *msg)
{
	for (uint16_t p = 0; p < MPDP_MAX_PORTS; p++) {
		struct eth_port_fds *f = &eth.fds[p];
		struct eth_fds_wire_port w;
		int rc;

		if (!f->valid || !eth.present[p])
			continue;
		memset(&w, 0, sizeof(w));
		w.port = p;
		w.generation = f->generation;
		w.fd_gen = f->fd_gen;
		for (unsigned int i = 0; i < MPDP_ETH_MAX_PORT_FDS; i++)
			if (f->fd[i] >= 0)
				w.mask |= 1ull << i;
		rc = mpdp_ipc_msg_add_data(msg, &w, sizeof(w));
		for (unsigned int i = 0; rc == 0 && i < MPDP_ETH_MAX_PORT_FDS; i++)
			if (f->fd[i] >= 0)
				rc = mpdp_ipc_msg_add_fd(msg, f->fd[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Secondary: keep the fds a message from the primary carries. A message
 * whose payload and fd count disagree is ignored whole (and logged).
 */
void eth_fds_take(struct mpdp_ipc_msg *msg)
{
	size_t nw = msg->len / sizeof(struct eth_fds_wire_port);
	unsigned int need = 0, next = 0;

	if (msg->len % sizeof(struct eth_fds_wire_port) != 0)
		goto bad;
	for (size_t k = 0; k < nw; k++) {
		struct eth_fds_wire_port w;

		memcpy(&w, msg->data + k * sizeof(w), sizeof(w));
		if (w.port >= MPDP_MAX_PORTS ||
		    (MPDP_ETH_MAX_PORT_FDS < 64 && (w.mask >> MPDP_ETH_MAX_PORT_FDS) != 0))
			goto bad;
		need += (unsigned int)__builtin_popcountll(w.mask);
	}
	if (need != msg->nb_fds)
		goto bad;
	for (size_t k = 0; k < nw; k++) {
		struct eth_fds_wire_port w;
		struct eth_port_fds *f;

		memcpy(&w, msg->data + k * sizeof(w), sizeof(w));
		f = &eth.fds[w.port];
		if (f->valid && f->generation == w.generation && f->fd_gen == w.fd_gen) {
			next += (unsigned int)__builtin_popcountll(w.mask); /* have them */
			continue;
		}
		eth_fds_close_port(w.port);
		for (unsigned int i = 0; i < MPDP_ETH_MAX_PORT_FDS; i++) {
			if (!(w.mask & (1ull << i)))
				continue;
			f->fd[i] = msg->fds[next];
			msg->fds[next++] = -1; /* ours now */
		}
		f->generation = w.generation;
		f->fd_gen = w.fd_gen;
		f->valid = 1;
	}
	return;
bad:
	ETH_LOG(ERR, "malformed port fd message from the primary (%zu bytes, %u fds): ignored",
		msg->len, msg->nb_fds);
}
