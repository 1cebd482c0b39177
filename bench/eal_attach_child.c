/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_attach_child.c - the secondary that mpdp-bench-eal starts (installed
 * as mpdp-eal-attach-child, not mpdp-bench-*: bench/run.sh must not run it
 * on its own). It is a separate binary, as a real tool would be: its own
 * executable, its own copy of the library, its own addresses.
 *
 * Usage: mpdp-eal-attach-child [runtime options] -- MODE [ARGS]
 *   ready        attach, report, detach
 *   query        attach, walk the memzones and the processes, detach
 *   rtt N        attach, N request/reply round trips to "bench.echo"
 *   fds K M      attach, M requests to "bench.fds" that each return K fds
 *
 * Reports go to stdout as "key value" lines (times in CLOCK_MONOTONIC ns,
 * comparable with the parent's clock). A failed mpdp_init() exits 1 after
 * the runtime logged its one error line, as any mpdp tool does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <mpdp/mpdp.h>

#define RTT_PAYLOAD        64
#define RTT_WARMUP         200
#define REQUEST_TIMEOUT_MS 5000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted values */
static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)(p * (double)n + 0.999999);

	return v[rank == 0 ? 0 : rank - 1];
}

static int count_mz(const struct mpdp_memzone *mz, void *arg)
{
	(void)mz;
	(*(unsigned int *)arg)++;
	return 0;
}

static int count_proc(const struct mpdp_proc_info *p, void *arg)
{
	(void)p;
	(*(unsigned int *)arg)++;
	return 0;
}

static int do_query(void)
{
	unsigned int nb_mz = 0, nb_procs = 0;
	int rc = mpdp_memzone_walk(count_mz, &nb_mz);

	if (rc >= 0)
		rc = mpdp_proc_walk(count_proc, &nb_procs);
	if (rc < 0) {
		fprintf(stderr, "query: %s\n", strerror(-rc));
		return 1;
	}
	printf("memzones %u\nprocs %u\n", nb_mz, nb_procs);
	return 0;
}

static int do_rtt(unsigned long n)
{
	struct mpdp_ipc_msg req, reply;
	uint8_t payload[RTT_PAYLOAD];
	uint64_t *samples = malloc(sizeof(*samples) * n), sum = 0;
	int rc = 0;

	if (samples == NULL || n == 0)
		return 1;
	memset(payload, 0x42, sizeof(payload));
	mpdp_ipc_msg_init(&req, "bench.echo");
	mpdp_ipc_msg_add_data(&req, payload, sizeof(payload));
	for (unsigned long i = 0; i < RTT_WARMUP + n && rc == 0; i++) {
		uint64_t t0 = now_ns();

		rc = mpdp_ipc_request(&req, MPDP_IPC_PRIMARY, &reply, REQUEST_TIMEOUT_MS);
		if (rc == 0 && (reply.status != 0 || reply.len != RTT_PAYLOAD))
			rc = -EPROTO;
		mpdp_ipc_msg_fini(&reply);
		if (i >= RTT_WARMUP)
			samples[i - RTT_WARMUP] = now_ns() - t0;
	}
	mpdp_ipc_msg_fini(&req);
	if (rc != 0) {
		fprintf(stderr, "rtt: request failed: %s\n", strerror(-rc));
		free(samples);
		return 1;
	}
	for (unsigned long i = 0; i < n; i++)
		sum += samples[i];
	qsort(samples, n, sizeof(*samples), cmp_u64);
	printf("rtt_n %lu\nrtt_min_ns %" PRIu64 "\nrtt_median_ns %" PRIu64 "\nrtt_p99_ns %" PRIu64
	       "\nrtt_mean_ns %" PRIu64 "\n",
	       n, samples[0], pct(samples, n, 0.5), pct(samples, n, 0.99), sum / n);
	free(samples);
	return 0;
}

static int do_fds(uint32_t per_msg, unsigned long msgs)
{
	struct mpdp_ipc_msg req, reply;
	uint64_t t0;
	int rc = 0;

	mpdp_ipc_msg_init(&req, "bench.fds");
	mpdp_ipc_msg_add_data(&req, &per_msg, sizeof(per_msg));
	/* one warm-up message, then the timed ones */
	t0 = 0;
	for (unsigned long i = 0; i < msgs + 1 && rc == 0; i++) {
		if (i == 1)
			t0 = now_ns();
		rc = mpdp_ipc_request(&req, MPDP_IPC_PRIMARY, &reply, REQUEST_TIMEOUT_MS);
		if (rc == 0 && (reply.status != 0 || reply.nb_fds != per_msg))
			rc = -EPROTO;
		mpdp_ipc_msg_fini(&reply); /* a received message owns its fds: this closes them */
	}
	mpdp_ipc_msg_fini(&req);
	if (rc != 0) {
		fprintf(stderr, "fds: request failed: %s\n", strerror(-rc));
		return 1;
	}
	printf("fds_elapsed_ns %" PRIu64 "\nfds_msgs %lu\n", now_ns() - t0, msgs);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t t_main = now_ns(), t_ready;
	struct rlimit rl;
	const char *mode;
	int n, rc = 0;

	/* 1000 fds arrive in one message: make room before the runtime starts */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	n = mpdp_init(argc, argv);
	t_ready = now_ns();
	if (n < 0)
		return mpdp_init_failed(n, "  -- ready | query | rtt N | fds K M\n");
	argc -= n;
	argv += n;
	mode = argc > 1 ? argv[1] : "ready";
	printf("main_ns %" PRIu64 "\nready_ns %" PRIu64 "\n", t_main, t_ready);
	if (strcmp(mode, "ready") == 0)
		rc = 0;
	else if (strcmp(mode, "query") == 0)
		rc = do_query();
	else if (strcmp(mode, "rtt") == 0 && argc > 2)
		rc = do_rtt(strtoul(argv[2], NULL, 10));
	else if (strcmp(mode, "fds") == 0 && argc > 3)
		rc = do_fds((uint32_t)strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
	else {
		fprintf(stderr, "unknown mode '%s'\n", mode);
		rc = 2;
	}
	fflush(stdout);
	mpdp_cleanup();
	return rc;
}
