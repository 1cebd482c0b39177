/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ipc_msg.c - the message and action parts of mpdp_ipc.h in one
 * process: building messages (name limits, payload growth to
 * MPDP_IPC_MAX_DATA, fds, who closes what), the action table, and the
 * errors of send and request in a primary with no secondary. Exchanges
 * between processes are tests/mp's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit_util.h"

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int nop_handler(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	(void)req;
	(void)reply;
	(void)arg;
	return 0;
}

static int other_handler(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	(void)req;
	(void)reply;
	(void)arg;
	return 1;
}

static void test_msg_init(void)
{
	struct mpdp_ipc_msg m;
	char name63[64], name64[65];

	memset(name63, 'a', 63);
	name63[63] = '\0';
	memset(name64, 'a', 64);
	name64[64] = '\0';

	CHECK_EQ(mpdp_ipc_msg_init(&m, "test.ping"), 0);
	CHECK(strcmp(m.name, "test.ping") == 0);
	CHECK_EQ(m.len, 0);
	CHECK_EQ(m.nb_fds, 0);
	CHECK(m.data == NULL && m.fds == NULL);
	mpdp_ipc_msg_fini(&m);

	CHECK_EQ(mpdp_ipc_msg_init(&m, name63), 0);
	CHECK(strcmp(m.name, name63) == 0);
	mpdp_ipc_msg_fini(&m);

	/* refused names leave a zeroed message, safe to fini */
	memset(&m, 0xa5, sizeof(m));
	CHECK_EQ(mpdp_ipc_msg_init(&m, name64), -ENAMETOOLONG);
	CHECK(m.data == NULL && m.fds == NULL && m.len == 0 && m.nb_fds == 0);
	mpdp_ipc_msg_fini(&m);
	memset(&m, 0xa5, sizeof(m));
	CHECK_EQ(mpdp_ipc_msg_init(&m, ""), -EINVAL);
	CHECK(m.data == NULL && m.fds == NULL);
	mpdp_ipc_msg_fini(&m);
	memset(&m, 0xa5, sizeof(m));
	CHECK_EQ(mpdp_ipc_msg_init(&m, NULL), -EINVAL);
	mpdp_ipc_msg_fini(&m);

	/* fini accepts a zeroed message and NULL, and leaves the message zeroed */
	memset(&m, 0, sizeof(m));
	mpdp_ipc_msg_fini(&m);
	mpdp_ipc_msg_fini(&m);
	mpdp_ipc_msg_fini(NULL);
	CHECK(m.data == NULL && m.len == 0);
}

static void test_msg_data(void)
{
	static uint8_t chunk[1000];
	struct mpdp_ipc_msg m;
	size_t total = 0;
	int rc = 0;

	CHECK_EQ(mpdp_ipc_msg_init(&m, "test.data"), 0);
	CHECK_EQ(mpdp_ipc_msg_add_data(&m, NULL, 0), 0); /* nothing to add */
	CHECK_EQ(m.len, 0);
	/* grow by 1000-byte chunks, each filled with its own byte, to the limit */
	while (total + sizeof(chunk) <= MPDP_IPC_MAX_DATA) {
		memset(chunk, (int)(total / sizeof(chunk)) + 1, sizeof(chunk));
		rc = mpdp_ipc_msg_add_data(&m, chunk, sizeof(chunk));
		if (rc != 0)
			break;
		total += sizeof(chunk);
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(m.len, total);
	/* the rest up to exactly MPDP_IPC_MAX_DATA fits */
	memset(chunk, 0xee, sizeof(chunk));
	CHECK_EQ(mpdp_ipc_msg_add_data(&m, chunk, MPDP_IPC_MAX_DATA - total), 0);
	CHECK_EQ(m.len, MPDP_IPC_MAX_DATA);
	/* one byte more does not, and changes nothing */
	CHECK_EQ(mpdp_ipc_msg_add_data(&m, chunk, 1), -EMSGSIZE);
	CHECK_EQ(mpdp_ipc_msg_add_data(&m, chunk, SIZE_MAX), -EMSGSIZE);
	CHECK_EQ(m.len, MPDP_IPC_MAX_DATA);
	CHECK_EQ(mpdp_ipc_msg_add_data(&m, chunk, 0), 0);
	/* the content survived every reallocation */
	for (size_t i = 0; i < total; i++) {
		if (m.data[i] != (uint8_t)(i / sizeof(chunk) + 1)) {
			CHECK_EQ(m.data[i], (uint8_t)(i / sizeof(chunk) + 1));
			break;
		}
	}
	for (size_t i = total; i < MPDP_IPC_MAX_DATA; i++) {
		if (m.data[i] != 0xee) {
			CHECK_EQ(m.data[i], 0xee);
			break;
		}
	}
	mpdp_ipc_msg_fini(&m);
	CHECK(m.data == NULL && m.len == 0);

	/* too much in one go: refused whole */
	CHECK_EQ(mpdp_ipc_msg_init(&m, "test.data"), 0);
	static uint8_t big[MPDP_IPC_MAX_DATA + 1];
	CHECK_EQ(mpdp_ipc_msg_add_data(&m, big, sizeof(big)), -EMSGSIZE);
	CHECK_EQ(m.len, 0);
	CHECK_EQ(mpdp_ipc_msg_add_data(&m, big, MPDP_IPC_MAX_DATA), 0);
	mpdp_ipc_msg_fini(&m);
}

static void test_msg_fds(void)
{
	struct mpdp_ipc_msg m;
	int p[2], closed_fd, many[100];

	CHECK_EQ(pipe(p), 0);
	closed_fd = dup(p[0]);
	close(closed_fd);

	CHECK_EQ(mpdp_ipc_msg_init(&m, "test.fds"), 0);
	CHECK_EQ(mpdp_ipc_msg_add_fd(&m, closed_fd), -EBADF);
	CHECK_EQ(mpdp_ipc_msg_add_fd(&m, -1), -EBADF);
	CHECK_EQ(mpdp_ipc_msg_add_fd(&m, 1 << 30), -EBADF);
	CHECK_EQ(m.nb_fds, 0);

	/*
	 * growth: many fds, in order; the same fd may appear more than once.
	 * add_fd puts duplicates in: the message's fds are its own, the
	 * caller's stay open after fini.
	 */
	for (int i = 0; i < 100; i++) {
		many[i] = p[i % 2];
		CHECK_EQ(mpdp_ipc_msg_add_fd(&m, many[i]), 0);
	}
	CHECK_EQ(m.nb_fds, 100);
	for (int i = 0; i < 100; i++) {
		struct stat a, b;

		CHECK(m.fds[i] != many[i]);
		CHECK(fstat(m.fds[i], &a) == 0 && fstat(many[i], &b) == 0 && a.st_ino == b.st_ino);
	}
	int dup0 = m.fds[0];
	mpdp_ipc_msg_fini(&m);
	CHECK(fd_open(p[0]) && fd_open(p[1]));
	CHECK(!fd_open(dup0));
	CHECK(m.fds == NULL && m.nb_fds == 0);

	/*
	 * give_fd hands the fd itself over: fini closes those still in the
	 * message, and not a slot taken by setting it to -1 (as a receiver
	 * keeps an fd of a received message).
	 */
	int a = dup(p[0]), b = dup(p[1]), c = dup(p[0]);

	CHECK(a >= 0 && b >= 0 && c >= 0);
	CHECK_EQ(mpdp_ipc_msg_init(&m, "test.rx"), 0);
	CHECK_EQ(mpdp_ipc_msg_give_fd(&m, a), 0);
	CHECK_EQ(mpdp_ipc_msg_give_fd(&m, b), 0);
	CHECK_EQ(mpdp_ipc_msg_give_fd(&m, c), 0);
	CHECK(m.fds[0] == a && m.fds[1] == b && m.fds[2] == c);
	int taken = m.fds[1];
	m.fds[1] = -1;
	mpdp_ipc_msg_fini(&m);
	CHECK(!fd_open(a));
	CHECK(fd_open(taken));
	CHECK(!fd_open(c));
	close(taken);
	CHECK_EQ(mpdp_ipc_msg_init(&m, "test.rx"), 0);
	CHECK_EQ(mpdp_ipc_msg_give_fd(&m, closed_fd), -EBADF);
	mpdp_ipc_msg_fini(&m);
	close(p[0]);
	close(p[1]);
}

static void test_actions(void)
{
	char name63[64], name64[65], name[32];
	int rc = 0, n;

	memset(name63, 'b', 63);
	name63[63] = '\0';
	memset(name64, 'b', 64);
	name64[64] = '\0';

	CHECK_EQ(mpdp_ipc_action_register("test.a", nop_handler, NULL), 0);
	CHECK_EQ(mpdp_ipc_action_register("test.a", other_handler, NULL), -EEXIST);
	CHECK_EQ(mpdp_ipc_action_register("test.b", nop_handler, NULL), 0);
	CHECK_EQ(mpdp_ipc_action_unregister("test.a"), 0);
	CHECK_EQ(mpdp_ipc_action_unregister("test.a"), -ENOENT);
	CHECK_EQ(mpdp_ipc_action_register("test.a", other_handler, NULL), 0); /* free again */
	CHECK_EQ(mpdp_ipc_action_unregister("test.a"), 0);
	CHECK_EQ(mpdp_ipc_action_unregister("test.b"), 0);
	CHECK_EQ(mpdp_ipc_action_unregister("test.never"), -ENOENT);

	/* reserved prefix, bad names, no handler */
	CHECK_EQ(mpdp_ipc_action_register("eal:hello", nop_handler, NULL), -EINVAL);
	CHECK_EQ(mpdp_ipc_action_register("eal:mine", nop_handler, NULL), -EINVAL);
	CHECK_EQ(mpdp_ipc_action_register("eal:", nop_handler, NULL), -EINVAL);
	CHECK_EQ(mpdp_ipc_action_register("eal.mine", nop_handler, NULL), 0); /* only "eal:" */
	CHECK_EQ(mpdp_ipc_action_unregister("eal.mine"), 0);
	CHECK_EQ(mpdp_ipc_action_unregister("eal:hello"), -ENOENT);
	CHECK_EQ(mpdp_ipc_action_register("", nop_handler, NULL), -EINVAL);
	CHECK_EQ(mpdp_ipc_action_register(NULL, nop_handler, NULL), -EINVAL);
	CHECK_EQ(mpdp_ipc_action_register("test.c", NULL, NULL), -EINVAL);
	CHECK_EQ(mpdp_ipc_action_unregister(NULL), -EINVAL);
	CHECK_EQ(mpdp_ipc_action_register(name64, nop_handler, NULL), -ENAMETOOLONG);
	CHECK_EQ(mpdp_ipc_action_register(name63, nop_handler, NULL), 0);
	CHECK_EQ(mpdp_ipc_action_unregister(name63), 0);

	/* the table fills up: -ENOSPC, and every entry can be removed again */
	for (n = 0; n < 10000; n++) {
		snprintf(name, sizeof(name), "test.full.%d", n);
		rc = mpdp_ipc_action_register(name, nop_handler, NULL);
		if (rc != 0)
			break;
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK(n >= 16);
	CHECK_EQ(mpdp_ipc_action_register("test.full.0", nop_handler, NULL), -EEXIST);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "test.full.%d", i);
		CHECK_EQ(mpdp_ipc_action_unregister(name), 0);
	}
	CHECK_EQ(mpdp_ipc_action_register("test.after", nop_handler, NULL), 0);
	CHECK_EQ(mpdp_ipc_action_unregister("test.after"), 0);
}

static int reply_zeroed(const struct mpdp_ipc_msg *r)
{
	static const struct mpdp_ipc_msg zero;

	return memcmp(r, &zero, sizeof(zero)) == 0;
}

static void test_peers_before_init(void)
{
	struct mpdp_ipc_msg req, reply;

	CHECK_EQ(mpdp_ipc_msg_init(&req, "test.req"), 0);
	memset(&reply, 0xa5, sizeof(reply));
	CHECK_EQ(mpdp_ipc_request(&req, MPDP_IPC_PRIMARY, &reply, 100), -ENODEV);
	CHECK(reply_zeroed(&reply));
	CHECK_EQ(mpdp_ipc_send(&req, MPDP_IPC_PRIMARY), -ENODEV);
	CHECK_EQ(mpdp_ipc_send(&req, 1), -ENODEV);
	mpdp_ipc_msg_fini(&req);
}

static void test_peers_primary(void)
{
	static const int bad_peers[] = { MPDP_IPC_PRIMARY, MPDP_IPC_ALL,       -7,
					 MPDP_MAX_PROCS,   MPDP_MAX_PROCS + 1, 1 << 30 };
	struct mpdp_ipc_msg req, reply;

	CHECK_EQ(mpdp_ipc_msg_init(&req, "test.req"), 0);
	CHECK_EQ(mpdp_ipc_msg_add_data(&req, "ping", 4), 0);
	CHECK_EQ(mpdp_ipc_action_register("test.req", nop_handler, NULL), 0);

	/* ourselves, "all", and ids outside the table are bad peers for a request */
	for (size_t i = 0; i < MPDP_DIM(bad_peers); i++) {
		memset(&reply, 0xa5, sizeof(reply));
		CHECK_EQ(mpdp_ipc_request(&req, bad_peers[i], &reply, 100), -EINVAL);
		CHECK(reply_zeroed(&reply));
	}
	/* a slot of the table with no process behind it: not connected */
	for (int peer = 1; peer < MPDP_MAX_PROCS; peer += 21) {
		memset(&reply, 0xa5, sizeof(reply));
		CHECK_EQ(mpdp_ipc_request(&req, peer, &reply, 100), -ENOTCONN);
		CHECK(reply_zeroed(&reply));
	}
	/* null arguments */
	CHECK_EQ(mpdp_ipc_request(NULL, 1, &reply, 100), -EINVAL);
	CHECK_EQ(mpdp_ipc_request(&req, 1, NULL, 100), -EINVAL);
	CHECK_EQ(mpdp_ipc_send(NULL, 1), -EINVAL);

	/* send: to ourselves and out of range -EINVAL, to a free slot -ENOTCONN */
	CHECK_EQ(mpdp_ipc_send(&req, MPDP_IPC_PRIMARY), -EINVAL);
	CHECK_EQ(mpdp_ipc_send(&req, -7), -EINVAL);
	CHECK_EQ(mpdp_ipc_send(&req, MPDP_MAX_PROCS), -EINVAL);
	CHECK_EQ(mpdp_ipc_send(&req, 1), -ENOTCONN);
	CHECK_EQ(mpdp_ipc_send(&req, MPDP_MAX_PROCS - 1), -ENOTCONN);
	/* to every secondary: none reached */
	CHECK_EQ(mpdp_ipc_send(&req, MPDP_IPC_ALL), 0);

	/* a payload over the limit is refused before anything else */
	req.len = MPDP_IPC_MAX_DATA + 1; /* only reachable by writing the field */
	CHECK_EQ(mpdp_ipc_send(&req, 1), -EMSGSIZE);
	memset(&reply, 0xa5, sizeof(reply));
	CHECK_EQ(mpdp_ipc_request(&req, 1, &reply, 100), -EMSGSIZE);
	CHECK(reply_zeroed(&reply));
	req.len = 4;

	CHECK_EQ(mpdp_ipc_action_unregister("test.req"), 0);
	mpdp_ipc_msg_fini(&req);
}

int main(void)
{
	int n;

	unit_rt_setup("ipc");
	/* messages and the action table are process-local: no runtime needed */
	test_msg_init();
	test_msg_data();
	test_msg_fds();
	test_actions();
	test_peers_before_init();

	n = unit_init("--no-huge", "--mem", "2M", "--proc-type", "primary", NULL);
	REQUIRE(n > 0);
	test_actions(); /* the same with the runtime (and its control thread) up */
	test_peers_primary();
	CHECK_EQ(mpdp_cleanup(), 0);
	CHECK_RT_EMPTY();
	test_peers_before_init(); /* after cleanup: -ENODEV again */
	unit_exit();
}
