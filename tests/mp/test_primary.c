/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_primary.c - mpdp-test-primary, the primary of the multi-process tests.
 *
 * Usage: mpdp-test-primary [runtime options] -- serve | once
 *
 *   serve  reserve the known memzones (mp_helper.h), register the test
 *          actions, print "READY <pid> <heap base> <heap len>", then answer
 *          commands on stdin (mp_helper.h) until stdin closes, "quit",
 *          SIGTERM or SIGINT; then mpdp_cleanup() and exit 0.
 *   once   start, print "READY ...", clean up and exit 0 (for example to
 *          recover a runtime directory left by a killed primary).
 *
 * IPC actions served:
 *   test.echo       replies with the request's data
 *   test.fds        replies with a memfd holding MH_MEMFD_TEXT and an eventfd;
 *                   whatever is written to the eventfd is printed as
 *                   "EVENTFD value=N"
 *   test.nfds       data "N": replies with N eventfds, the i-th with counter i+1
 *   test.fdcount    checks the fds of the request: the i-th must be an eventfd
 *                   with counter i+1; replies "valid=K"
 *   test.slow       data "MS" (default 2000): sleeps, then replies "slow-done"
 *   test.count      asynchronous: counts messages
 *   test.get_count  replies with the count as text
 *
 * Exit status: 0, 1 when mpdp_init() failed (the library logged why), 2 on
 * usage errors, 3 when started as a secondary (--proc-type auto), 4 when
 * setting up the test state failed.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp.h>

#include "mp_helper.h"

static int memfd = -1, efd = -1;
static int *batch; /* control thread: fds of the last test.nfds reply */
static unsigned int batch_len;
static _Atomic unsigned long async_count;

static const char usage[] = "\nmpdp-test-primary: after \"--\": serve | once\n";

static void batch_close(void)
{
	for (unsigned int i = 0; i < batch_len; i++)
		close(batch[i]);
	free(batch);
	batch = NULL;
	batch_len = 0;
}

static int h_echo(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	(void)arg;
	return mpdp_ipc_msg_add_data(reply, req->data, req->len);
}

static int h_fds(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	int rc;

	(void)req;
	(void)arg;
	rc = mpdp_ipc_msg_add_fd(reply, memfd);
	return rc != 0 ? rc : mpdp_ipc_msg_add_fd(reply, efd);
}

static unsigned long data_ulong(const struct mpdp_ipc_msg *m, unsigned long dflt)
{
	char buf[32];

	if (m->len == 0 || m->len >= sizeof(buf))
		return dflt;
	memcpy(buf, m->data, m->len);
	buf[m->len] = '\0';
	return strtoul(buf, NULL, 10);
}

/*
 * The fds added to a reply stay ours until the reply is sent, which happens
 * after we return: keep them until the next request (or the end).
 */
static int h_nfds(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	unsigned long n = data_ulong(req, 0);
	int rc = 0;

	(void)arg;
	batch_close();
	if (n == 0 || n > 16384)
		return -EINVAL;
	batch = calloc(n, sizeof(int));
	if (batch == NULL)
		return -ENOMEM;
	for (unsigned long i = 0; i < n && rc == 0; i++) {
		int fd = eventfd((unsigned int)i + 1, EFD_CLOEXEC | EFD_NONBLOCK);

		if (fd < 0) {
			rc = -errno;
			break;
		}
		batch[batch_len++] = fd;
		rc = mpdp_ipc_msg_add_fd(reply, fd);
	}
	if (rc != 0)
		batch_close();
	return rc;
}

static int h_fdcount(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	unsigned int valid = 0;
	char text[32];

	(void)arg;
	for (unsigned int i = 0; i < req->nb_fds; i++) {
		uint64_t v = 0;

		if (req->fds[i] >= 0 && mh_is_eventfd(req->fds[i]) &&
		    read(req->fds[i], &v, sizeof(v)) == (ssize_t)sizeof(v) && v == i + 1)
			valid++;
	}
	snprintf(text, sizeof(text), "valid=%u", valid);
	return mpdp_ipc_msg_add_data(reply, text, strlen(text));
}

static int h_slow(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	unsigned long ms = data_ulong(req, 2000);
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	(void)arg;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return mpdp_ipc_msg_add_data(reply, "slow-done", 9);
}

static int h_count(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	(void)req;
	(void)reply;
	(void)arg;
	atomic_fetch_add(&async_count, 1);
	return 0;
}

static int h_get_count(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	char text[32];

	(void)req;
	(void)arg;
	snprintf(text, sizeof(text), "%lu", atomic_load(&async_count));
	return mpdp_ipc_msg_add_data(reply, text, strlen(text));
}

static void on_eventfd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		mh_say("EVENTFD value=%llu", (unsigned long long)v);
}

static int primary_cmd(int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[0], "count") == 0) {
		mh_say("OK count=%lu", atomic_load(&async_count));
		return 1;
	}
	return 0;
}

static int reserve_known(void)
{
	static const struct {
		const char *name;
		size_t len, align;
		uint32_t seed;
	} zones[] = {
		{ MH_MZ_A, MH_MZ_A_LEN, 4096, MH_MZ_A_SEED },
		{ MH_MZ_B, MH_MZ_B_LEN, 1u << 20, MH_MZ_B_SEED },
		{ MH_MZ_SHARED, MH_MZ_SHARED_LEN, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct mpdp_memzone mz;
		int rc = mpdp_memzone_reserve(zones[i].name, zones[i].len, zones[i].align, &mz);

		if (rc != 0) {
			fprintf(stderr, "mpdp-test-primary: reserving %s: %s\n", zones[i].name,
				strerror(-rc));
			return rc;
		}
		mh_pattern_fill(mz.addr, mz.len, zones[i].seed);
	}
	return 0;
}

static const struct {
	const char *name;
	mpdp_ipc_handler_t fn;
} actions[] = {
	{ "test.echo", h_echo },           { "test.fds", h_fds },   { "test.nfds", h_nfds },
	{ "test.fdcount", h_fdcount },     { "test.slow", h_slow }, { "test.count", h_count },
	{ "test.get_count", h_get_count },
};

static int serve(void)
{
	struct mpdp_heap_info h;
	int rc;

	if (reserve_known() != 0)
		return 4;
	memfd = memfd_create("mpdp-test", MFD_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (memfd < 0 || efd < 0 ||
	    write(memfd, MH_MEMFD_TEXT, sizeof(MH_MEMFD_TEXT)) != (ssize_t)sizeof(MH_MEMFD_TEXT)) {
		fprintf(stderr, "mpdp-test-primary: memfd/eventfd: %s\n", strerror(errno));
		return 4;
	}
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		rc = mpdp_ipc_action_register(actions[i].name, actions[i].fn, NULL);
		if (rc != 0) {
			fprintf(stderr, "mpdp-test-primary: register %s: %s\n", actions[i].name,
				strerror(-rc));
			return 4;
		}
	}
	mpdp_heap_info(&h);
	mh_say("READY %d %p %zu", (int)getpid(), h.base, h.len);
	mh_loop(primary_cmd, efd, on_eventfd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sub = mh_subcommand(argc, argv);
	struct mpdp_heap_info h;
	int n, rc;

	mh_setup();
	/* before mpdp_init: its threads inherit the mask, signals go to the signalfd */
	mh_block_term();
	n = mpdp_init(argc, argv);
	if (n < 0)
		return mpdp_init_failed(n, usage);
	if (sub == NULL) {
		fprintf(stderr, "mpdp-test-primary: no sub-command%s", usage);
		mpdp_cleanup();
		return 2;
	}
	if (mpdp_proc_type() != MPDP_PROC_PRIMARY) {
		mh_say("ROLE secondary");
		mpdp_cleanup();
		return 3;
	}
	if (strcmp(sub, "serve") == 0) {
		rc = serve();
	} else if (strcmp(sub, "once") == 0) {
		mpdp_heap_info(&h);
		mh_say("READY %d %p %zu", (int)getpid(), h.base, h.len);
		rc = 0;
	} else {
		fprintf(stderr, "mpdp-test-primary: unknown sub-command '%s'%s", sub, usage);
		rc = 2;
	}
	mpdp_cleanup();
	batch_close();
	if (memfd >= 0)
		close(memfd);
	if (efd >= 0)
		close(efd);
	return rc;
}
