/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_secondary.c - mpdp-test-secondary (and mpdp-test-secondary-v2, the
 * same source built against a library of another layout version): the
 * secondary of the multi-process tests. Each sub-command is one check.
 *
 * Usage: mpdp-test-secondary [runtime options] -- SUB-COMMAND [ARGS]
 *
 *   info               print "ROLE primary|secondary", proc id, the
 *                      primary's pid and the heap; exit 0
 *   check-mz           look up the primary's known memzones (mp_helper.h),
 *                      check their content and alignment; print
 *                      "CHECK ok ..." and exit 0, or "CHECK bad ..." and exit 1
 *   shell              print "READY <pid> <heap base> <heap len> proc_id=N
 *                      lcores=A/B", then answer commands on stdin (mp_helper.h
 *                      plus the ipc-* commands below) until EOF, "quit",
 *                      SIGTERM or SIGINT. Registers "sec.echo" (replies
 *                      "sec<pid>:DATA") and "sec.note" (asynchronous: prints
 *                      "NOTE from=N data=DATA").
 *   pi-attach BASE LEN occupy [BASE, BASE+LEN) with mmap(MAP_FIXED_NOREPLACE)
 *                      before mpdp_init(), print "OCCUPIED ...", then as shell
 *   hold-lock          take the memzone lock (inside mpdp_memzone_walk()'s
 *                      callback), print "HOLDING" and wait to be killed
 *   wait-primary-exit  register an mpdp_on_primary_exit() callback, print
 *                      "WAITING"; when it runs print "GONE t_ns=<CLOCK_MONOTONIC
 *                      at the callback> alive=.. reserve=.. lookup=..", clean up,
 *                      exit 0
 *   wait-no-cb         print "WAITING" and wait, with no callback: the runtime's
 *                      default (SIGTERM) is expected to end the process
 *   attach-loop        call mpdp_init() every 50 us until it succeeds (up to
 *                      10 s; failed attempts are not logged), then as info,
 *                      with "attempts=N" added: a tool waiting for its primary
 *   churn NAME LEN     reserve and free memzone NAME of LEN bytes in a loop
 *                      (the reservation zero-fills LEN bytes under the lock),
 *                      print "CHURNING" after the first round, run until killed
 *
 * Shell commands of this binary:
 *   check-mz           as the sub-command, answered "OK CHECK ok ..." or "ERR ..."
 *   ipc-fds VALUE      request test.fds; check the memfd's text; write VALUE
 *                      to the eventfd
 *   ipc-nfds N         request test.nfds N; check N valid, distinct eventfds
 *                      with counters 1..N; check none is left open afterwards
 *   ipc-send-fds N     send N eventfds (counters 1..N) in a test.fdcount request
 *   ipc-big            echo of a MPDP_IPC_MAX_DATA payload; one byte more is
 *                      refused with -EMSGSIZE
 *
 * Exit status: 0, 1 when mpdp_init() failed or a check failed, 2 on usage
 * errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp.h>

#include "mp_helper.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static const char usage[] =
	"\nmpdp-test-secondary: after \"--\": info | check-mz | shell | pi-attach BASE LEN |\n"
	"  hold-lock | wait-primary-exit | wait-no-cb | attach-loop | churn NAME LEN\n";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int primary_pid_cb(const struct mpdp_proc_info *p, void *arg)
{
	if (p->type == MPDP_PROC_PRIMARY) {
		*(int *)arg = p->pid;
		return 1;
	}
	return 0;
}

static int primary_pid(void)
{
	int pid = -1;

	mpdp_proc_walk(primary_pid_cb, &pid);
	return pid;
}

static int sub_info(unsigned long attempts)
{
	struct mpdp_heap_info h;

	mpdp_heap_info(&h);
	mh_say("ROLE %s proc_id=%d primary_pid=%d pid=%d base=%p len=%zu huge=%d attempts=%lu",
	       mpdp_proc_type() == MPDP_PROC_PRIMARY ? "primary" : "secondary", mpdp_proc_id(),
	       primary_pid(), (int)getpid(), h.base, h.len, h.huge, attempts);
	return 0;
}

static void quiet_sink(enum mpdp_log_level level, const char *component, const char *message,
		       void *arg)
{
	(void)level;
	(void)component;
	(void)message;
	(void)arg;
}

/* mpdp_init() until it succeeds; returns its result and the number of attempts. */
static int attach_loop(int argc, char **argv, unsigned long *attempts)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 50 * 1000 };
	mpdp_log_sink_t old = mpdp_log_set_sink(quiet_sink, NULL);
	uint64_t t0 = now_ns();
	int n;

	*attempts = 0;
	do {
		++*attempts;
		n = mpdp_init(argc, argv);
		if (n >= 0 || now_ns() - t0 > 10000000000ULL)
			break;
		nanosleep(&ts, NULL);
	} while (n == -ENOENT || n == -ETIMEDOUT);
	mpdp_log_set_sink(old, NULL);
	return n;
}

static int check_zone(const char *name, size_t len, size_t align, uint32_t seed, char *why,
		      size_t size, struct mpdp_memzone *mz)
{
	long bad;
	int rc = mpdp_memzone_lookup(name, mz);

	if (rc != 0) {
		snprintf(why, size, "lookup %s: %s", name, strerror(-rc));
		return -1;
	}
	if (mz->len < len || !mpdp_shm_contains(mz->addr, mz->len) || mz->offset % align != 0 ||
	    (uintptr_t)mz->addr % align != 0) {
		snprintf(why, size, "%s: len %zu off %#" PRIx64 " addr %p (want len %zu align %zu)",
			 name, mz->len, mz->offset, mz->addr, len, align);
		return -1;
	}
	bad = mh_pattern_check(mz->addr, len, seed);
	if (bad >= 0) {
		snprintf(why, size, "%s: content differs at byte %ld", name, bad);
		return -1;
	}
	return 0;
}

/* as_reply: answer as a shell command ("OK ..." / "ERR ...") */
static int sub_check_mz(int as_reply)
{
	struct mpdp_memzone a, b, s;
	struct mpdp_heap_info h;
	char why[256] = "";

	mpdp_heap_info(&h);
	if (check_zone(MH_MZ_A, MH_MZ_A_LEN, 4096, MH_MZ_A_SEED, why, sizeof(why), &a) != 0 ||
	    check_zone(MH_MZ_B, MH_MZ_B_LEN, 1u << 20, MH_MZ_B_SEED, why, sizeof(why), &b) != 0 ||
	    check_zone(MH_MZ_SHARED, MH_MZ_SHARED_LEN, 64, 0, why, sizeof(why), &s) != 0) {
		if (as_reply)
			mh_say_err(-EBADMSG, "CHECK bad %s", why);
		else
			mh_say("CHECK bad %s", why);
		return 1;
	}
	mh_say("%sCHECK ok a_off=%#" PRIx64 " b_off=%#" PRIx64 " base=%p huge=%d page=%zu "
	       "proc_id=%d primary_pid=%d",
	       as_reply ? "OK " : "", a.offset, b.offset, h.base, h.huge, h.page_size,
	       mpdp_proc_id(), primary_pid());
	return 0;
}

/* ---- shell ------------------------------------------------------------------- */

static int h_sec_echo(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "sec%d:", (int)getpid());
	int rc;

	(void)arg;
	rc = mpdp_ipc_msg_add_data(reply, head, (size_t)n);
	return rc != 0 ? rc : mpdp_ipc_msg_add_data(reply, req->data, req->len);
}

static int h_sec_note(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	(void)reply;
	(void)arg;
	mh_say("NOTE from=%d data=%.*s", req->peer, (int)req->len,
	       req->len ? (const char *)req->data : "");
	return 0;
}

static int request_primary(const char *action, const void *data, size_t len, const int *fds,
			   unsigned int nb_fds, struct mpdp_ipc_msg *reply, unsigned int timeout_ms)
{
	struct mpdp_ipc_msg req;
	int rc = mpdp_ipc_msg_init(&req, action);

	if (rc == 0 && len > 0)
		rc = mpdp_ipc_msg_add_data(&req, data, len);
	for (unsigned int i = 0; rc == 0 && i < nb_fds; i++)
		rc = mpdp_ipc_msg_add_fd(&req, fds[i]);
	if (rc == 0)
		rc = mpdp_ipc_request(&req, MPDP_IPC_PRIMARY, reply, timeout_ms);
	mpdp_ipc_msg_fini(&req);
	if (rc == 0 && reply->status != 0) {
		rc = reply->status;
		mpdp_ipc_msg_fini(reply);
	}
	return rc;
}

static void cmd_ipc_fds(int argc, char **argv)
{
	struct mpdp_ipc_msg reply;
	char text[sizeof(MH_MEMFD_TEXT) + 16] = "";
	uint64_t value = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	struct stat st;
	ssize_t n;
	int rc;

	rc = request_primary("test.fds", NULL, 0, NULL, 0, &reply, 2000);
	if (rc != 0) {
		mh_say_err(rc, "request test.fds");
		return;
	}
	if (reply.nb_fds != 2 || reply.fds[0] < 0 || reply.fds[1] < 0) {
		mh_say_err(-EPROTO, "got %u fds, want 2", reply.nb_fds);
		goto out;
	}
	if (fstat(reply.fds[0], &st) != 0 || !S_ISREG(st.st_mode)) {
		mh_say_err(-EBADF, "fd 0 is not a regular file (memfd)");
		goto out;
	}
	n = pread(reply.fds[0], text, sizeof(text) - 1, 0);
	if (n != (ssize_t)sizeof(MH_MEMFD_TEXT) || strcmp(text, MH_MEMFD_TEXT) != 0) {
		mh_say_err(-EBADMSG, "memfd holds '%s' (%zd bytes)", text, n);
		goto out;
	}
	if (!mh_is_eventfd(reply.fds[1])) {
		mh_say_err(-EBADF, "fd 1 is not an eventfd");
		goto out;
	}
	if (write(reply.fds[1], &value, sizeof(value)) != (ssize_t)sizeof(value)) {
		mh_say_err(-errno, "writing the eventfd");
		goto out;
	}
	mh_say("OK memfd_size=%lld text_ok=1 wrote=%" PRIu64 " fds=%d,%d", (long long)st.st_size,
	       value, reply.fds[0], reply.fds[1]);
out:
	mpdp_ipc_msg_fini(&reply);
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void cmd_ipc_nfds(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	struct mpdp_ipc_msg reply;
	char data[32];
	unsigned int valid = 0, distinct = 0;
	int before = mh_count_fds(), after, *sorted;
	int rc;

	snprintf(data, sizeof(data), "%lu", n);
	rc = request_primary("test.nfds", data, strlen(data), NULL, 0, &reply, 10000);
	if (rc != 0) {
		mh_say_err(rc, "request test.nfds %lu", n);
		return;
	}
	for (unsigned int i = 0; i < reply.nb_fds; i++) {
		struct stat st;
		uint64_t v = 0;

		if (reply.fds[i] >= 0 && fstat(reply.fds[i], &st) == 0 &&
		    mh_is_eventfd(reply.fds[i]) &&
		    read(reply.fds[i], &v, sizeof(v)) == (ssize_t)sizeof(v) && v == i + 1)
			valid++;
	}
	sorted = malloc(sizeof(int) * (reply.nb_fds + 1));
	if (sorted != NULL) {
		memcpy(sorted, reply.fds, sizeof(int) * reply.nb_fds);
		qsort(sorted, reply.nb_fds, sizeof(int), int_cmp);
		for (unsigned int i = 0; i < reply.nb_fds; i++)
			distinct += i == 0 || sorted[i] != sorted[i - 1];
		free(sorted);
	}
	rc = (int)reply.nb_fds;
	mpdp_ipc_msg_fini(&reply);
	after = mh_count_fds();
	if ((unsigned long)rc != n || valid != n || distinct != n || after != before)
		mh_say_err(-EBADMSG,
			   "want=%lu got=%d valid=%u distinct=%u fds_before=%d fds_after=%d", n, rc,
			   valid, distinct, before, after);
	else
		mh_say("OK got=%d valid=%u distinct=%u fds_before=%d fds_after=%d", rc, valid,
		       distinct, before, after);
}

static void cmd_ipc_send_fds(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	struct mpdp_ipc_msg reply;
	int *fds = calloc(n + 1, sizeof(int));
	unsigned long made = 0;
	int rc = 0;

	if (fds == NULL) {
		mh_say_err(-ENOMEM, "fds");
		return;
	}
	for (; made < n; made++) {
		fds[made] = eventfd((unsigned int)made + 1, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[made] < 0) {
			rc = -errno;
			break;
		}
	}
	if (rc == 0)
		rc = request_primary("test.fdcount", NULL, 0, fds, (unsigned int)n, &reply, 10000);
	for (unsigned long i = 0; i < made; i++)
		close(fds[i]);
	free(fds);
	if (rc != 0) {
		mh_say_err(rc, "request test.fdcount");
		return;
	}
	mh_say("OK sent=%lu reply=%.*s", n, (int)reply.len, (const char *)reply.data);
	mpdp_ipc_msg_fini(&reply);
}

static void cmd_ipc_big(void)
{
	struct mpdp_ipc_msg req, reply;
	uint8_t *data = malloc(MPDP_IPC_MAX_DATA);
	int rc, rc_over;

	if (data == NULL) {
		mh_say_err(-ENOMEM, "buffer");
		return;
	}
	mh_pattern_fill(data, MPDP_IPC_MAX_DATA, 0xb16);
	rc = request_primary("test.echo", data, MPDP_IPC_MAX_DATA, NULL, 0, &reply, 2000);
	if (rc != 0) {
		mh_say_err(rc, "echo of %d bytes", MPDP_IPC_MAX_DATA);
		free(data);
		return;
	}
	if (reply.len != MPDP_IPC_MAX_DATA || memcmp(reply.data, data, reply.len) != 0) {
		mh_say_err(-EBADMSG, "echo of %d bytes came back as %zu different bytes",
			   MPDP_IPC_MAX_DATA, reply.len);
		mpdp_ipc_msg_fini(&reply);
		free(data);
		return;
	}
	mpdp_ipc_msg_fini(&reply);
	mpdp_ipc_msg_init(&req, "test.echo");
	rc = mpdp_ipc_msg_add_data(&req, data, MPDP_IPC_MAX_DATA);
	rc_over = mpdp_ipc_msg_add_data(&req, data, 1);
	mpdp_ipc_msg_fini(&req);
	free(data);
	if (rc != 0 || rc_over != -EMSGSIZE)
		mh_say_err(-EPROTO, "add_data of max: %d, one more: %d (want -EMSGSIZE)", rc,
			   rc_over);
	else
		mh_say("OK echoed=%d over=%s", MPDP_IPC_MAX_DATA, mh_errname(-rc_over));
}

static int secondary_cmd(int argc, char **argv)
{
	if (strcmp(argv[0], "ipc-fds") == 0)
		cmd_ipc_fds(argc, argv);
	else if (strcmp(argv[0], "ipc-nfds") == 0)
		cmd_ipc_nfds(argc, argv);
	else if (strcmp(argv[0], "ipc-send-fds") == 0)
		cmd_ipc_send_fds(argc, argv);
	else if (strcmp(argv[0], "ipc-big") == 0)
		cmd_ipc_big();
	else if (strcmp(argv[0], "check-mz") == 0)
		sub_check_mz(1);
	else
		return 0;
	return 1;
}

static int sub_shell(void)
{
	struct mpdp_heap_info h;
	char lcores[256];
	size_t used;
	int rc;

	rc = mpdp_ipc_action_register("sec.echo", h_sec_echo, NULL);
	if (rc == 0)
		rc = mpdp_ipc_action_register("sec.note", h_sec_note, NULL);
	if (rc != 0) {
		fprintf(stderr, "mpdp-test-secondary: register: %s\n", strerror(-rc));
		return 1;
	}
	used = (size_t)snprintf(lcores, sizeof(lcores), "%u", mpdp_lcore_main());
	for (int id = mpdp_lcore_next(-1); id >= 0 && used < sizeof(lcores);
	     id = mpdp_lcore_next(id))
		used += (size_t)snprintf(lcores + used, sizeof(lcores) - used, "/%d", id);
	mpdp_heap_info(&h);
	mh_say("READY %d %p %zu proc_id=%d lcores=%s", (int)getpid(), h.base, h.len, mpdp_proc_id(),
	       lcores);
	mh_loop(secondary_cmd, -1, NULL);
	return 0;
}

/*
 * Make sure no page of [base, base+len) is free for the runtime to use: map
 * what is free with MAP_FIXED_NOREPLACE (PROT_NONE, nothing committed).
 * Ranges already mapped (EEXIST) are occupied anyway.
 */
static int occupy(uintptr_t base, size_t len)
{
	const size_t chunk = 2u << 20, page = 4096;
	size_t mapped = 0, taken = 0;

	for (uintptr_t a = base; a < base + len;) {
		size_t n = base + len - a < chunk ? base + len - a : chunk;
		void *p = mmap((void *)a, n, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
			       -1, 0);

		if (p == (void *)a) {
			mapped += n;
			a += n;
			continue;
		}
		if (p != MAP_FAILED) {
			munmap(p, n); /* an old kernel took it as a hint */
			fprintf(stderr, "mpdp-test-secondary: MAP_FIXED_NOREPLACE not supported\n");
			return -1;
		}
		if (errno != EEXIST) {
			fprintf(stderr, "mpdp-test-secondary: mmap %#lx: %s\n", (unsigned long)a,
				strerror(errno));
			return -1;
		}
		/* part of the chunk is mapped already: page by page */
		for (uintptr_t e = a + n; a < e; a += page) {
			p = mmap((void *)a, page, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				 -1, 0);
			if (p == (void *)a)
				mapped += page;
			else if (p == MAP_FAILED && errno == EEXIST)
				taken += page;
			else
				return -1;
		}
	}
	mh_say("OCCUPIED base=%#lx len=%zu mapped=%zu already=%zu", (unsigned long)base, len,
	       mapped, taken);
	return 0;
}

static int hold_cb(const struct mpdp_memzone *mz, void *arg)
{
	(void)mz;
	(void)arg;
	mh_say("HOLDING pid=%d", (int)getpid());
	for (;;)
		pause();
	return 0;
}

static int sub_hold_lock(void)
{
	int rc = mpdp_memzone_walk(hold_cb, NULL);

	/* only reached when there is no memzone to walk */
	mh_say("NOTHELD rc=%d", rc);
	return 1;
}

static int sub_churn(int argc, char **argv)
{
	unsigned long long rounds = 0;
	size_t len;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "mpdp-test-secondary: churn NAME LEN\n");
		return 2;
	}
	len = (size_t)strtoull(argv[2], NULL, 0);
	for (;;) {
		rc = mpdp_memzone_reserve(argv[1], len, 4096, NULL);
		if (rc == 0)
			rc = mpdp_memzone_free(argv[1]);
		if (rc != 0) {
			mh_say("ERR churn round %llu: %s", rounds, strerror(-rc));
			return 1;
		}
		if (rounds++ == 0)
			mh_say("CHURNING pid=%d", (int)getpid());
	}
}

static int gone_efd = -1;
static _Atomic uint64_t gone_ns;

static void on_primary_exit(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	atomic_store(&gone_ns, now_ns());
	(void)!write(gone_efd, &one, sizeof(one));
}

static int sub_wait_primary_exit(void)
{
	struct pollfd pfd;
	struct mpdp_memzone mz;
	uint64_t v;
	int rc, alive, rc_res, rc_look;

	gone_efd = eventfd(0, EFD_CLOEXEC);
	if (gone_efd < 0)
		return 1;
	rc = mpdp_on_primary_exit(on_primary_exit, NULL);
	if (rc != 0) {
		mh_say("ERR mpdp_on_primary_exit: %s", strerror(-rc));
		close(gone_efd);
		return 1;
	}
	mh_say("WAITING pid=%d alive=%d", (int)getpid(), mpdp_primary_alive());
	pfd = (struct pollfd){ .fd = gone_efd, .events = POLLIN };
	if (poll(&pfd, 1, 25000) != 1 || read(gone_efd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
		mh_say("TIMEOUT no primary exit callback within 25 s");
		close(gone_efd);
		return 1;
	}
	alive = mpdp_primary_alive();
	rc_res = mpdp_memzone_reserve("after.death", 64, 0, NULL);
	rc_look = mpdp_memzone_lookup(MH_MZ_A, &mz);
	mh_say("GONE t_ns=%" PRIu64 " alive=%d reserve=%s lookup=%s", atomic_load(&gone_ns), alive,
	       rc_res < 0 ? mh_errname(-rc_res) : "0", rc_look < 0 ? mh_errname(-rc_look) : "0");
	close(gone_efd);
	return 0;
}

static int sub_wait_no_cb(void)
{
	sigset_t none;

	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	mh_say("WAITING pid=%d", (int)getpid());
	alarm(25); /* never hang a test: SIGALRM is not the signal it expects */
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	const char *sub = mh_subcommand(argc, argv);
	unsigned long attempts = 1;
	int n, rc;

	mh_setup();
	if (sub == NULL) {
		fprintf(stderr, "mpdp-test-secondary: no sub-command%s", usage);
		return 2;
	}
	if (strcmp(sub, "pi-attach") == 0) {
		/* argv: ... -- pi-attach BASE LEN */
		const char *const *rest = NULL;

		for (int i = 1; i < argc - 3; i++)
			if (strcmp(argv[i], "--") == 0)
				rest = (const char *const *)&argv[i + 2];
		if (rest == NULL || occupy((uintptr_t)strtoull(rest[0], NULL, 0),
					   (size_t)strtoull(rest[1], NULL, 0)) != 0)
			return 2;
	}
	if (strcmp(sub, "wait-no-cb") != 0)
		mh_block_term();
	if (strcmp(sub, "attach-loop") == 0)
		n = attach_loop(argc, argv, &attempts);
	else
		n = mpdp_init(argc, argv);
	if (n < 0) {
		if (strcmp(sub, "attach-loop") == 0)
			fprintf(stderr, "mpdp-test-secondary: attach-loop: %s after %lu attempts\n",
				strerror(-n), attempts);
		return mpdp_init_failed(n, usage);
	}
	if (strcmp(sub, "info") == 0 || strcmp(sub, "attach-loop") == 0)
		rc = sub_info(attempts);
	else if (strcmp(sub, "check-mz") == 0)
		rc = sub_check_mz(0);
	else if (strcmp(sub, "shell") == 0 || strcmp(sub, "pi-attach") == 0)
		rc = sub_shell();
	else if (strcmp(sub, "hold-lock") == 0)
		rc = sub_hold_lock();
	else if (strcmp(sub, "wait-primary-exit") == 0)
		rc = sub_wait_primary_exit();
	else if (strcmp(sub, "wait-no-cb") == 0)
		rc = sub_wait_no_cb();
	else if (strcmp(sub, "churn") == 0)
		rc = sub_churn(argc - n - 1, argv + n + 1);
	else {
		fprintf(stderr, "mpdp-test-secondary: unknown sub-command '%s'%s", sub, usage);
		rc = 2;
	}
	mpdp_cleanup();
	return rc;
}
