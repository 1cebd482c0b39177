/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_ipc.h - messages between the processes of an instance.
 *
 * The primary listens on a SOCK_SEQPACKET unix socket in the runtime
 * directory; each secondary holds one connection to it. Messages carry an
 * action name, a payload of up to MPDP_IPC_MAX_DATA bytes and any number of
 * file descriptors (SCM_RIGHTS; batches of up to 253 per packet are sent
 * back to back, so there is no small cap per message).
 *
 * A process registers handlers for action names. Incoming messages are
 * dispatched on this process's control thread, one at a time, to the handler
 * registered under the message's name (looked up by name, never by index:
 * DESIGN.md rule 5). A handler must not block for long and must not make
 * synchronous requests itself.
 *
 * Peers: a secondary talks to MPDP_IPC_PRIMARY; the primary talks to a
 * secondary by its proc id (mpdp_proc.h) or to all of them with
 * MPDP_IPC_ALL (asynchronous messages only).
 */
#ifndef MPDP_IPC_H
#define MPDP_IPC_H

#include <stddef.h>
#include <stdint.h>

#define MPDP_IPC_NAME_SIZE 64
#define MPDP_IPC_MAX_DATA  (32 * 1024)
#define MPDP_IPC_PRIMARY   0
#define MPDP_IPC_ALL       (-1)

/*
 * A message. Payload and fd arrays grow as data and fds are added.
 *
 * A message owns every fd in it, built or received: mpdp_ipc_msg_fini()
 * closes the ones left. mpdp_ipc_msg_add_fd() puts a duplicate in (the
 * caller keeps its own fd), mpdp_ipc_msg_give_fd() hands the fd itself over.
 * To keep an fd of a received message, copy it and set its slot to -1.
 */
struct mpdp_ipc_msg {
	char name[MPDP_IPC_NAME_SIZE];
	uint8_t *data;
	size_t len;
	int *fds;
	unsigned int nb_fds;
	int peer;          /* received: proc id of the sender */
	int status;        /* reply: the handler's result (0 or -errno) */
	/* private */
	size_t data_cap;
	unsigned int fd_cap;
};

/* Start an empty message for action `name`. Returns 0 or -ENAMETOOLONG/-EINVAL. */
int mpdp_ipc_msg_init(struct mpdp_ipc_msg *msg, const char *name);

/* Append payload bytes. Returns 0, -EMSGSIZE past MPDP_IPC_MAX_DATA, -ENOMEM. */
int mpdp_ipc_msg_add_data(struct mpdp_ipc_msg *msg, const void *data, size_t len);

/*
 * Append a duplicate of fd (the caller's fd stays open and its own).
 * Returns 0, -EBADF (not an open fd), -EMFILE (no fd for the duplicate),
 * -E2BIG (65536 fds in one message), -ENOMEM.
 */
int mpdp_ipc_msg_add_fd(struct mpdp_ipc_msg *msg, int fd);

/*
 * Append fd itself: the message owns it from now on, also when this fails
 * (then it is closed). For an fd made only to be sent. Same returns.
 */
int mpdp_ipc_msg_give_fd(struct mpdp_ipc_msg *msg, int fd);

/* Release the arrays and close the fds still in the message. Accepts a zeroed msg. */
void mpdp_ipc_msg_fini(struct mpdp_ipc_msg *msg);

/*
 * Handler for an action. `req` is the incoming message (handlers may take its
 * fds as described above). For a request, `reply` is an initialised message
 * with the same name to fill with data and fds; the handler's return value
 * (0 or -errno) reaches the requester as reply->status. For an asynchronous
 * message reply is NULL and the return value is ignored.
 */
typedef int (*mpdp_ipc_handler_t)(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply,
				  void *arg);

/*
 * Register / remove the handler of an action in this process. Returns 0,
 * -EEXIST (name taken), -ENOENT (unregister of an unknown name),
 * -ENAMETOOLONG, -ENOSPC. Any thread; the table is process-local. Names
 * starting with "eal:" are reserved for the runtime.
 */
int mpdp_ipc_action_register(const char *name, mpdp_ipc_handler_t handler, void *arg);
int mpdp_ipc_action_unregister(const char *name);

/*
 * Send an asynchronous message to peer (MPDP_IPC_ALL from the primary: every
 * secondary). Returns 0 (for ALL: the number of secondaries reached), or
 * -ENOTCONN (no such peer, or gone), -EINVAL (out of range), -EMSGSIZE,
 * -ENODEV.
 */
int mpdp_ipc_send(const struct mpdp_ipc_msg *msg, int peer);

/*
 * Send a request to peer and wait up to timeout_ms for its reply. On success
 * returns 0 and *reply is initialised (release it with mpdp_ipc_msg_fini());
 * reply->status carries the handler's result. On failure *reply is left
 * zeroed and the result is:
 *   -ETIMEDOUT  no reply in time
 *   -ENOTCONN   the peer is gone or went away while we waited
 *   -ENOENT     the peer has no handler for this action
 *   -EINVAL     bad peer (MPDP_IPC_ALL, ourselves, unknown proc id)
 *   -EMSGSIZE   payload too big; -ENODEV before mpdp_init()
 * Any thread except the control thread (i.e. not from inside a handler).
 */
int mpdp_ipc_request(const struct mpdp_ipc_msg *req, int peer, struct mpdp_ipc_msg *reply,
		     unsigned int timeout_ms);

#endif /* MPDP_IPC_H */
