/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_eal.c - what the runtime costs a tool: attaching a secondary, a
 * whole short tool call, an IPC round trip, passing fds; and, next to them,
 * what a tool costs when no primary runs (mpdp's and, when installed,
 * DPDK's dpdk-proc-info).
 *
 * This process is the primary (tmpfs heap, its own runtime directory under
 * /dev/shm); every secondary is mpdp-eal-attach-child, a separate binary
 * found next to this one, started with fork + exec as a shell would.
 *
 * Output: one line per metric, never a pass/fail:
 *   bench eal <metric> key=value ...
 * Times are wall clock (CLOCK_MONOTONIC); the child reports its own
 * timestamps on the same clock.
 *
 * Usage: mpdp-bench-eal [--runs N] [--rtt-requests N]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp.h>

#define CHILD_NAME       "mpdp-eal-attach-child"
#define CHILD_TIMEOUT_MS 60000
#define DPDK_TIMEOUT_MS  30000
#define MAX_RUNS         1000

static unsigned int runs = 20;
static unsigned long rtt_requests = 20000;
static char child_path[PATH_MAX];
static char rt_dir[64];
static char prefix[48];
static int null_fd = -1;

struct run {
	int status; /* from waitpid, or -1 */
	int timed_out;
	uint64_t t_fork_ns;
	uint64_t t_exit_ns; /* waitpid returned */
	char out[4096];
	char err[4096];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile; sorts v */
static double pct(double *v, size_t n, double p)
{
	size_t rank = (size_t)(p * (double)n + 0.999999);

	qsort(v, n, sizeof(*v), cmp_double);
	return v[rank == 0 ? 0 : rank - 1];
}

/* value of "key N" in a child's report, or -1 */
static int64_t report_get(const char *out, const char *key)
{
	size_t k = strlen(key);

	for (const char *p = out; p != NULL && *p != '\0';) {
		if (strncmp(p, key, k) == 0 && p[k] == ' ')
			return strtoll(p + k + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/*
 * fork + exec path with argv, stdout and stderr captured; waits for it (up
 * to timeout_ms, then SIGKILL). Returns 0 when it ran (see r->status), or -errno.
 */
static int spawn(const char *path, char *const argv[], int use_path, unsigned int timeout_ms,
		 struct run *r)
{
	int out[2], err[2];
	size_t n_out = 0, n_err = 0;
	pid_t pid;
	uint64_t deadline;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe2(out, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return -errno;
	}
	fflush(stdout);
	fflush(stderr);
	r->t_fork_ns = now_ns();
	pid = fork();
	if (pid == 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		if (use_path)
			execvp(path, argv);
		else
			execv(path, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(out[0]);
		close(err[0]);
		return -errno;
	}
	deadline = r->t_fork_ns + (uint64_t)timeout_ms * 1000000ULL;
	struct pollfd pfd[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		uint64_t t = now_ns();
		int left = t >= deadline ? 0 : (int)((deadline - t) / 1000000ULL) + 1;

		if (left == 0 || poll(pfd, 2, left) == 0) {
			kill(pid, SIGKILL);
			r->timed_out = 1;
			break;
		}
		for (int i = 0; i < 2; i++) {
			char *buf = i == 0 ? r->out : r->err;
			size_t *len = i == 0 ? &n_out : &n_err;
			char sink[4096];
			ssize_t k;

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (*len < sizeof(r->out) - 1)
				k = read(pfd[i].fd, buf + *len, sizeof(r->out) - 1 - *len);
			else
				k = read(pfd[i].fd, sink, sizeof(sink)); /* overflow: drop */
			if (k > 0 && *len < sizeof(r->out) - 1)
				*len += (size_t)k;
			if (k <= 0 && !(k < 0 && errno == EINTR)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	r->out[n_out] = '\0';
	r->err[n_err] = '\0';
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	r->t_exit_ns = now_ns();
	return 0;
}

/* argv of the child: runtime options for our instance, then "--", then mode */
static void child_argv(char **argv, const char *mode, const char *a1, const char *a2,
		       const char *pfx)
{
	int i = 0;

	argv[i++] = CHILD_NAME;
	argv[i++] = "--proc-type";
	argv[i++] = "secondary";
	argv[i++] = "--runtime-dir";
	argv[i++] = rt_dir;
	argv[i++] = "--prefix";
	argv[i++] = (char *)pfx;
	argv[i++] = "--";
	argv[i++] = (char *)mode;
	if (a1 != NULL)
		argv[i++] = (char *)a1;
	if (a2 != NULL)
		argv[i++] = (char *)a2;
	argv[i] = NULL;
}

static int run_child(const char *mode, const char *a1, const char *a2, const char *pfx,
		     struct run *r)
{
	char *argv[16];
	int rc;

	child_argv(argv, mode, a1, a2, pfx);
	rc = spawn(child_path, argv, 0, CHILD_TIMEOUT_MS, r);
	if (rc != 0) {
		fprintf(stderr, "bench_eal: cannot start %s: %s\n", child_path, strerror(-rc));
		return rc;
	}
	return 0;
}

static int child_ok(const struct run *r, const char *what)
{
	if (!r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
		return 1;
	fprintf(stderr, "bench_eal: %s: child %s (status %#x)\n%s", what,
		r->timed_out ? "timed out" : "failed", (unsigned int)r->status, r->err);
	return 0;
}

static void print_dist(const char *metric, double *v, unsigned int n, const char *extra)
{
	double p50 = pct(v, n, 0.5), p90 = pct(v, n, 0.9);

	printf("bench eal %s median=%.3f p90=%.3f min=%.3f max=%.3f n=%u%s\n", metric, p50, p90,
	       v[0], v[n - 1], n, extra ? extra : "");
	fflush(stdout);
}

/* ---- primary side ------------------------------------------------------ */

static int echo_handler(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	(void)arg;
	return mpdp_ipc_msg_add_data(reply, req->data, req->len);
}

/* Reply with K copies of one fd (each arrives as a new fd in the requester). */
static int fds_handler(struct mpdp_ipc_msg *req, struct mpdp_ipc_msg *reply, void *arg)
{
	int fd = *(int *)arg, rc = 0;
	uint32_t k;

	if (req->len != sizeof(k))
		return -EINVAL;
	memcpy(&k, req->data, sizeof(k));
	if (k > 65536)
		return -EINVAL;
	for (uint32_t i = 0; i < k && rc == 0; i++)
		rc = mpdp_ipc_msg_add_fd(reply, fd);
	return rc;
}

/* ---- the measurements -------------------------------------------------- */

static void bench_no_primary(void)
{
	double wall[MAX_RUNS];
	char nopfx[64];
	struct run r;
	int codes_ok = 1;
	unsigned int lines_min = UINT_MAX, lines_max = 0, n = 0;
	int code = -1;

	snprintf(nopfx, sizeof(nopfx), "%s-none", prefix);
	for (unsigned int i = 0; i < runs + 1; i++) {
		if (run_child("ready", NULL, NULL, nopfx, &r) != 0)
			return;
		if (i == 0)
			continue; /* warm-up */
		wall[n++] = (double)(r.t_exit_ns - r.t_fork_ns) / 1e6;
		code = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128 + WTERMSIG(r.status);
		codes_ok &= code == 1;
		unsigned int l = count_lines(r.err);
		lines_min = l < lines_min ? l : lines_min;
		lines_max = l > lines_max ? l : lines_max;
	}
	char extra[128];
	snprintf(extra, sizeof(extra), " exit=%d%s stderr_lines=%u%s", code,
		 codes_ok ? "" : "(varied)", lines_max, lines_min != lines_max ? "(varied)" : "");
	print_dist("noprimary_mpdp_child_ms", wall, n, extra);
	printf("bench eal noprimary_mpdp_child_stderr \"%.*s\"\n", (int)strcspn(r.err, "\n"),
	       r.err);
}

static void bench_dpdk_proc_info(void)
{
	char *argv[] = { "dpdk-proc-info", "--no-pci", "--", "--stats", NULL };
	double wall[MAX_RUNS];
	unsigned int n = 0, timeouts = 0;
	struct run r;
	int code = -1, sig = 0;

	if (system("command -v dpdk-proc-info >/dev/null 2>&1") != 0) {
		printf("bench eal dpdk_proc_info skipped (not installed)\n");
		fflush(stdout);
		return;
	}
	for (unsigned int i = 0; i < runs + 1; i++) {
		if (spawn("dpdk-proc-info", argv, 1, DPDK_TIMEOUT_MS, &r) != 0)
			break;
		if (i == 0)
			continue; /* warm-up, as for ours */
		wall[n++] = (double)(r.t_exit_ns - r.t_fork_ns) / 1e6;
		timeouts += (unsigned int)r.timed_out;
		/* shell convention: 128 + signal when killed */
		code = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128 + WTERMSIG(r.status);
		sig = WIFSIGNALED(r.status) ? WTERMSIG(r.status) : 0;
	}
	if (n == 0)
		return;
	char extra[160];
	snprintf(extra, sizeof(extra), " exit=%d signal=%d timeouts=%u stderr_lines=%u%s", code,
		 sig, timeouts, count_lines(r.err),
		 access("/var/run/dpdk/rte/config", F_OK) == 0 ? " dpdk_config_present=1" : "");
	print_dist("dpdk_proc_info_noprimary_ms", wall, n, extra);
	printf("bench eal dpdk_proc_info_stderr \"%.*s\"\n", (int)strcspn(r.err, "\n"), r.err);
	fflush(stdout);
}

static void bench_attach(void)
{
	double to_ready[MAX_RUNS], to_main[MAX_RUNS], init[MAX_RUNS];
	unsigned int n = 0;
	struct run r;

	for (unsigned int i = 0; i < runs + 1; i++) {
		if (run_child("ready", NULL, NULL, prefix, &r) != 0 || !child_ok(&r, "attach"))
			return;
		int64_t t_main = report_get(r.out, "main_ns"),
			t_ready = report_get(r.out, "ready_ns");

		if (t_main < 0 || t_ready < 0) {
			fprintf(stderr, "bench_eal: attach: no report from the child\n");
			return;
		}
		if (i == 0)
			continue;
		to_main[n] = (double)((uint64_t)t_main - r.t_fork_ns) / 1e6;
		init[n] = (double)(t_ready - t_main) / 1e6;
		to_ready[n] = (double)((uint64_t)t_ready - r.t_fork_ns) / 1e6;
		n++;
	}
	print_dist("attach_exec_to_ready_ms", to_ready, n, NULL);
	print_dist("attach_exec_to_main_ms", to_main, n, NULL);
	print_dist("attach_init_ms", init, n, NULL);
}

static void bench_tool_call(void)
{
	double wall[MAX_RUNS];
	unsigned int n = 0;
	int64_t mz = -1, procs = -1;
	struct run r;

	for (unsigned int i = 0; i < runs + 1; i++) {
		if (run_child("query", NULL, NULL, prefix, &r) != 0 || !child_ok(&r, "query"))
			return;
		mz = report_get(r.out, "memzones");
		procs = report_get(r.out, "procs");
		if (i > 0)
			wall[n++] = (double)(r.t_exit_ns - r.t_fork_ns) / 1e6;
	}
	char extra[96];
	snprintf(extra, sizeof(extra), " memzones=%" PRId64 " procs=%" PRId64, mz, procs);
	print_dist("tool_call_ms", wall, n, extra);
}

static void bench_rtt(void)
{
	char nbuf[32];
	struct run r;

	snprintf(nbuf, sizeof(nbuf), "%lu", rtt_requests);
	if (run_child("rtt", nbuf, NULL, prefix, &r) != 0 || !child_ok(&r, "rtt"))
		return;
	printf("bench eal ipc_rtt_us median=%.2f p99=%.2f min=%.2f mean=%.2f n=%" PRId64
	       " payload=64\n",
	       (double)report_get(r.out, "rtt_median_ns") / 1e3,
	       (double)report_get(r.out, "rtt_p99_ns") / 1e3,
	       (double)report_get(r.out, "rtt_min_ns") / 1e3,
	       (double)report_get(r.out, "rtt_mean_ns") / 1e3, report_get(r.out, "rtt_n"));
	fflush(stdout);
}

static void bench_fds(void)
{
	static const struct {
		unsigned int per_msg;
		unsigned long msgs;
	} cases[] = { { 1, 20000 }, { 64, 2000 }, { 1000, 200 } };
	struct rlimit rl;

	for (size_t i = 0; i < MPDP_DIM(cases); i++) {
		char k[16], m[16];
		struct run r;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < cases[i].per_msg + 64) {
			printf("bench eal fd_pass_%u skipped (RLIMIT_NOFILE hard limit %llu)\n",
			       cases[i].per_msg, (unsigned long long)rl.rlim_max);
			continue;
		}
		snprintf(k, sizeof(k), "%u", cases[i].per_msg);
		snprintf(m, sizeof(m), "%lu", cases[i].msgs);
		if (run_child("fds", k, m, prefix, &r) != 0 || !child_ok(&r, "fds"))
			continue;
		double s = (double)report_get(r.out, "fds_elapsed_ns") / 1e9;
		double nfds = (double)cases[i].per_msg * (double)cases[i].msgs;

		printf("bench eal fd_pass_%u fds_per_s=%.0f msgs_per_s=%.0f us_per_msg=%.2f "
		       "msgs=%lu\n",
		       cases[i].per_msg, nfds / s, (double)cases[i].msgs / s,
		       s * 1e6 / (double)cases[i].msgs, cases[i].msgs);
		fflush(stdout);
	}
}

/* ---- set-up ------------------------------------------------------------ */

static int find_child(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return -ENOENT;
	*slash = '\0';
	n = snprintf(child_path, sizeof(child_path), "%s/%s", self, CHILD_NAME);
	if (n < 0 || (size_t)n >= sizeof(child_path))
		return -ENAMETOOLONG;
	return access(child_path, X_OK) == 0 ? 0 : -errno;
}

static int start_primary(char *argv0, int *dummy_fd)
{
	char *argv[] = { argv0,  "--proc-type", "primary", "--runtime-dir", rt_dir, "--prefix",
			 prefix, "--no-huge",   "--mem",   "64M",           NULL };
	int n = mpdp_init((int)MPDP_DIM(argv) - 1, argv);

	if (n < 0)
		return n;
	/* something for the query to walk */
	mpdp_memzone_reserve("bench.a", 4096, 0, NULL);
	mpdp_memzone_reserve("bench.b", 1 << 20, 0, NULL);
	mpdp_ipc_action_register("bench.echo", echo_handler, NULL);
	mpdp_ipc_action_register("bench.fds", fds_handler, dummy_fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct utsname u;
	int rc, dummy_fd;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = (unsigned int)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--rtt-requests") == 0 && i + 1 < argc)
			rtt_requests = strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: %s [--runs N] [--rtt-requests N]\n", argv[0]);
			return 2;
		}
	}
	if (runs == 0 || runs > MAX_RUNS - 1 || rtt_requests == 0) {
		fprintf(stderr, "bench_eal: --runs 1..%d, --rtt-requests > 0\n", MAX_RUNS - 1);
		return 2;
	}
	/* a closed stdout (| head) must not kill the primary before its cleanup */
	signal(SIGPIPE, SIG_IGN);
	rc = find_child();
	if (rc != 0) {
		fprintf(stderr, "bench_eal: %s: %s\n", child_path, strerror(-rc));
		return 1;
	}
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	dummy_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	snprintf(rt_dir, sizeof(rt_dir), "/dev/shm/mpdp-bench-XXXXXX");
	if (null_fd < 0 || dummy_fd < 0 || mkdtemp(rt_dir) == NULL) {
		fprintf(stderr, "bench_eal: set-up: %s\n", strerror(errno));
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "bench-eal-%d", (int)getpid());
	uname(&u);
	printf("bench eal config runs=%u warmup=1 rtt_requests=%lu heap=tmpfs,64M cpus=%ld "
	       "kernel=%s child=%s\n",
	       runs, rtt_requests, sysconf(_SC_NPROCESSORS_ONLN), u.release, CHILD_NAME);
	fflush(stdout);

	/* no primary yet: what a tool costs when there is nothing to attach to */
	bench_no_primary();
	bench_dpdk_proc_info();

	rc = start_primary(argv[0], &dummy_fd);
	if (rc != 0) {
		fprintf(stderr, "bench_eal: cannot start the primary: %s\n", strerror(-rc));
		rmdir(rt_dir);
		return 1;
	}
	bench_attach();
	bench_tool_call();
	bench_rtt();
	bench_fds();
	mpdp_cleanup();
	rmdir(rt_dir);
	close(dummy_fd);
	close(null_fd);
	return 0;
}
