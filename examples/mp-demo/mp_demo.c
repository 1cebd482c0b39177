/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mp_demo.c - the runtime in one screen: a primary and two secondaries.
 *
 * The primary reserves a memzone (a shared "board"), creates a memfd holding
 * a greeting and an eventfd, and starts two secondary processes (this same
 * program, run with --proc-type secondary). Each secondary finds the board by
 * name, asks the primary for the two fds over IPC, reads the greeting from the
 * memfd, signs the board (its pid and the address at which *it* mapped the
 * heap: they differ, the offsets do not), and rings the eventfd. The primary
 * waits for both rings, prints the board and the process table (three
 * processes, distinct lcore ids), then broadcasts "demo.bye" and the
 * secondaries leave.
 *
 * Usage: mpdp-mp-demo [runtime options]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mpdp/mpdp.h>

#define NB_SECONDARIES 2

struct board_shm {
	_Atomic uint32_t signatures;
	uint32_t pad;
	struct {
		int32_t pid;
		int32_t proc_id;
		uint64_t heap_base; /* printed only: where that process mapped the heap */
		char greeting[64];
	} sig[NB_SECONDARIES];
};

struct demo_fds {
	int memfd, eventfd;
};

static int give_fds(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	const struct demo_fds *fds = arg;
	int rc;

	printf("primary: process %d asked for the fds; sending memfd and eventfd\n", req->peer);
	rc = mpdp_ipc_msg_add_fd(reply, fds->memfd);
	return rc ? rc : mpdp_ipc_msg_add_fd(reply, fds->eventfd);
}

/* Secondary: the primary's "demo.bye" wakes the main thread through a pipe. */
static int bye_pipe[2] = { -1, -1 };

static int on_bye(struct mpdp_ipc_msg *msg, struct mpdp_ipc_msg *reply, void *arg)
{
	(void)msg;
	(void)reply;
	(void)arg;
	return write(bye_pipe[1], "x", 1) == 1 ? 0 : -errno;
}

static int print_proc(const struct mpdp_proc_info *p, void *arg)
{
	(void)arg;
	printf("  process %d: pid %d %-9s %-15s lcore %u\n", p->proc_id, p->pid,
	       p->type == MPDP_PROC_PRIMARY ? "primary" : "secondary", p->name,
	       (unsigned int)p->lcores[0]);
	return 0;
}

static pid_t spawn_secondary(char *self)
{
	char *args[] = { self, "--proc-type", "secondary", "--prefix", (char *)mpdp_prefix(), NULL,
			 NULL, NULL };
	char dir[256], exe[4096];
	ssize_t n;
	pid_t pid;

	/* the instance directory is <runtime-dir>/<prefix>: pass its parent on */
	snprintf(dir, sizeof(dir), "%s", mpdp_runtime_dir());
	*strrchr(dir, '/') = '\0';
	args[5] = "--runtime-dir";
	args[6] = dir;
	/* this very binary, by its real path so that its comm is its name */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	pid = fork();
	if (pid == 0) {
		execv(exe, args);
		_exit(127);
	}
	return pid;
}

static int run_primary(char *self)
{
	struct mpdp_memzone mz;
	struct demo_fds fds;
	struct board_shm *board;
	struct mpdp_ipc_msg bye;
	pid_t kids[NB_SECONDARIES];
	uint64_t rings = 0, v;
	const char greeting[] = "hello from the primary's memfd";
	int rc, status, failed = 0;

	rc = mpdp_memzone_reserve("demo.board", sizeof(*board), 0, &mz);
	if (rc != 0) {
		fprintf(stderr, "memzone: %s\n", strerror(-rc));
		return 1;
	}
	board = mz.addr;
	printf("primary: pid %d, heap mapped at %p, board at offset %#" PRIx64 "\n", (int)getpid(),
	       (void *)mpdp_shm_base_, mz.offset);
	fds.memfd = memfd_create("demo-greeting", MFD_CLOEXEC);
	fds.eventfd = eventfd(0, EFD_CLOEXEC);
	if (fds.memfd < 0 || fds.eventfd < 0 ||
	    write(fds.memfd, greeting, sizeof(greeting)) != (ssize_t)sizeof(greeting)) {
		perror("memfd/eventfd");
		return 1;
	}
	mpdp_ipc_action_register("demo.fds", give_fds, &fds);
	fflush(stdout);
	for (int i = 0; i < NB_SECONDARIES; i++)
		kids[i] = spawn_secondary(self);
	/* each secondary rings the eventfd once; reading returns the sum so far */
	while (rings < NB_SECONDARIES && read(fds.eventfd, &v, sizeof(v)) == sizeof(v))
		rings += v;
	printf("primary: the board after %u signatures:\n", atomic_load(&board->signatures));
	for (unsigned int i = 0; i < NB_SECONDARIES; i++)
		printf("  slot %u: pid %d (process %d) mapped the heap at %#" PRIx64
		       " and read \"%s\"\n",
		       i, board->sig[i].pid, board->sig[i].proc_id, board->sig[i].heap_base,
		       board->sig[i].greeting);
	printf("primary: processes now attached:\n");
	mpdp_proc_walk(print_proc, NULL);
	mpdp_ipc_msg_init(&bye, "demo.bye");
	printf("primary: told %d secondaries to leave\n", mpdp_ipc_send(&bye, MPDP_IPC_ALL));
	mpdp_ipc_msg_fini(&bye);
	for (int i = 0; i < NB_SECONDARIES; i++) {
		waitpid(kids[i], &status, 0);
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	close(fds.memfd);
	close(fds.eventfd);
	mpdp_memzone_free("demo.board");
	printf("primary: %s\n", failed ? "a secondary failed" : "done");
	return failed;
}

static int run_secondary(void)
{
	struct mpdp_memzone mz;
	struct mpdp_ipc_msg req, reply;
	struct board_shm *board;
	uint64_t one = 1;
	uint32_t slot;
	char *text;
	int rc;

	rc = mpdp_memzone_lookup("demo.board", &mz);
	if (rc != 0) {
		fprintf(stderr, "secondary: board: %s\n", strerror(-rc));
		return 1;
	}
	board = mz.addr;
	if (pipe2(bye_pipe, O_CLOEXEC) != 0 || mpdp_ipc_action_register("demo.bye", on_bye, NULL) != 0)
		return 1;
	mpdp_ipc_msg_init(&req, "demo.fds");
	rc = mpdp_ipc_request(&req, MPDP_IPC_PRIMARY, &reply, 1000);
	mpdp_ipc_msg_fini(&req);
	if (rc != 0 || reply.status != 0 || reply.nb_fds != 2) {
		fprintf(stderr, "secondary: fds: %s\n", strerror(rc ? -rc : -reply.status));
		mpdp_ipc_msg_fini(&reply);
		return 1;
	}
	text = mmap(NULL, 4096, PROT_READ, MAP_SHARED, reply.fds[0], 0);
	if (text == MAP_FAILED) {
		mpdp_ipc_msg_fini(&reply);
		return 1;
	}
	slot = atomic_fetch_add(&board->signatures, 1) % NB_SECONDARIES;
	board->sig[slot].pid = (int32_t)getpid();
	board->sig[slot].proc_id = mpdp_proc_id();
	board->sig[slot].heap_base = (uint64_t)(uintptr_t)mpdp_shm_base_;
	snprintf(board->sig[slot].greeting, sizeof(board->sig[slot].greeting), "%s", text);
	munmap(text, 4096);
	printf("secondary: pid %d is process %d, lcore %u, heap at %p; board found by name\n",
	       (int)getpid(), mpdp_proc_id(), mpdp_lcore_id(), (void *)mpdp_shm_base_);
	fflush(stdout);
	rc = write(reply.fds[1], &one, sizeof(one)) == sizeof(one) ? 0 : 1;
	mpdp_ipc_msg_fini(&reply);
	/* stay attached until the primary has shown the process table */
	if (rc == 0 && read(bye_pipe[0], &one, 1) != 1)
		rc = 1;
	return rc;
}

int main(int argc, char **argv)
{
	int n = mpdp_init(argc, argv);
	int rc;

	if (n < 0)
		return mpdp_init_failed(n, "\nmpdp-mp-demo takes no options of its own.\n");
	rc = mpdp_proc_type() == MPDP_PROC_PRIMARY ? run_primary(argv[0]) : run_secondary();
	mpdp_cleanup();
	return rc;
}
