/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mp_helper.c - the command language of the test helper binaries
 * (see mp_helper.h).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp.h>

#include "mp_helper.h"

static pthread_mutex_t say_lock = PTHREAD_MUTEX_INITIALIZER;

void mh_say(const char *fmt, ...)
{
	char buf[16384];
	va_list ap;
	size_t n, off = 0;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	n = (size_t)k < sizeof(buf) - 1 ? (size_t)k : sizeof(buf) - 2;
	buf[n++] = '\n';
	pthread_mutex_lock(&say_lock);
	while (off < n) {
		ssize_t w = write(1, buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	pthread_mutex_unlock(&say_lock);
}

void mh_setup(void)
{
	struct rlimit rl;

	/* test.nfds moves up to a few thousand fds in one message */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

const char *mh_errname(int err)
{
	static __thread char buf[16];

	switch (err) {
	case EPERM:
		return "EPERM";
	case ENOENT:
		return "ENOENT";
	case EBADF:
		return "EBADF";
	case EAGAIN:
		return "EAGAIN";
	case ENOMEM:
		return "ENOMEM";
	case EBUSY:
		return "EBUSY";
	case EEXIST:
		return "EEXIST";
	case ENODEV:
		return "ENODEV";
	case EINVAL:
		return "EINVAL";
	case EMFILE:
		return "EMFILE";
	case ENOSPC:
		return "ENOSPC";
	case EDEADLK:
		return "EDEADLK";
	case ENAMETOOLONG:
		return "ENAMETOOLONG";
	case EPROTO:
		return "EPROTO";
	case EBADMSG:
		return "EBADMSG";
	case EMSGSIZE:
		return "EMSGSIZE";
	case ENOTCONN:
		return "ENOTCONN";
	case ESHUTDOWN:
		return "ESHUTDOWN";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EALREADY:
		return "EALREADY";
	case ECANCELED:
		return "ECANCELED";
	case E2BIG:
		return "E2BIG";
	case EIO:
		return "EIO";
	case ENOBUFS:
		return "ENOBUFS";
	case ENOTSUP: /* EOPNOTSUPP too: the same number on Linux */
		return "ENOTSUP";
	default:
		snprintf(buf, sizeof(buf), "E%d", err);
		return buf;
	}
}

void mh_say_err(int rc, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	mh_say("ERR %s rc=%d %s", mh_errname(rc < 0 ? -rc : rc), rc, detail);
}

/* ---- patterns ---------------------------------------------------------------- */

/* splitmix64 finaliser of (seed, word index): 8 bytes of pattern per call */
static uint64_t pattern_word(uint32_t seed, size_t word)
{
	uint64_t x = ((uint64_t)seed << 40) ^ (uint64_t)word;

	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void mh_pattern_fill(void *p, size_t len, uint32_t seed)
{
	uint8_t *b = p;

	if (seed == 0) {
		memset(p, 0, len);
		return;
	}
	for (size_t w = 0; w * 8 < len; w++) {
		uint64_t x = pattern_word(seed, w);
		size_t n = len - w * 8 < 8 ? len - w * 8 : 8;

		for (size_t k = 0; k < n; k++)
			b[w * 8 + k] = (uint8_t)(x >> (k * 8));
	}
}

long mh_pattern_check(const void *p, size_t len, uint32_t seed)
{
	const uint8_t *b = p;

	for (size_t w = 0; w * 8 < len; w++) {
		uint64_t x = seed == 0 ? 0 : pattern_word(seed, w);
		size_t n = len - w * 8 < 8 ? len - w * 8 : 8;

		for (size_t k = 0; k < n; k++)
			if (b[w * 8 + k] != (uint8_t)(x >> (k * 8)))
				return (long)(w * 8 + k);
	}
	return -1;
}

/* ---- commands ------------------------------------------------------------------ */

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno == 0 && end != s && *end == '\0' ? 0 : -EINVAL;
}

static void say_mz(const struct mpdp_memzone *mz)
{
	mh_say("OK name=%s off=%#" PRIx64 " addr=%p len=%zu owner=%d", mz->name, mz->offset,
	       mz->addr, mz->len, mz->owner_pid);
}

static int cmd_mz(int argc, char **argv)
{
	struct mpdp_memzone mz;
	uint64_t len, align, seed;
	long bad;
	int rc;

	if (strcmp(argv[0], "mz-reserve") == 0) {
		if (argc < 4 || parse_u64(argv[2], &len) || parse_u64(argv[3], &align) ||
		    (argc > 4 && parse_u64(argv[4], &seed))) {
			mh_say_err(-EINVAL, "usage: mz-reserve NAME LEN ALIGN [SEED]");
			return 1;
		}
		rc = mpdp_memzone_reserve(argv[1], (size_t)len, (size_t)align, &mz);
		if (rc != 0) {
			mh_say_err(rc, "reserve %s", argv[1]);
			return 1;
		}
		if (argc > 4)
			mh_pattern_fill(mz.addr, mz.len, (uint32_t)seed);
		say_mz(&mz);
		return 1;
	}
	if (argc < 2) {
		mh_say_err(-EINVAL, "usage: %s NAME ...", argv[0]);
		return 1;
	}
	if (strcmp(argv[0], "mz-free") == 0) {
		rc = mpdp_memzone_free(argv[1]);
		if (rc != 0)
			mh_say_err(rc, "free %s", argv[1]);
		else
			mh_say("OK");
		return 1;
	}
	rc = mpdp_memzone_lookup(argv[1], &mz);
	if (rc != 0) {
		mh_say_err(rc, "lookup %s", argv[1]);
		return 1;
	}
	if (strcmp(argv[0], "mz-lookup") == 0) {
		say_mz(&mz);
		return 1;
	}
	if (argc < 3 || parse_u64(argv[2], &seed)) {
		mh_say_err(-EINVAL, "usage: %s NAME SEED", argv[0]);
		return 1;
	}
	if (!mpdp_shm_contains(mz.addr, mz.len)) {
		mh_say_err(-EPROTO, "memzone %s is outside this process's heap", argv[1]);
		return 1;
	}
	if (strcmp(argv[0], "mz-fill") == 0) {
		mh_pattern_fill(mz.addr, mz.len, (uint32_t)seed);
		mh_say("OK");
		return 1;
	}
	bad = mh_pattern_check(mz.addr, mz.len, (uint32_t)seed);
	if (bad >= 0)
		mh_say_err(-EBADMSG, "at=%ld of %s (len %zu, seed %#" PRIx64 ")", bad, argv[1],
			   mz.len, seed);
	else
		mh_say("OK len=%zu", mz.len);
	return 1;
}

struct walk_out {
	char buf[12288];
	size_t used;
	uint64_t last;
	int unordered;
};

static int walk_cb(const struct mpdp_memzone *mz, void *arg)
{
	struct walk_out *w = arg;
	int n;

	if (mz->offset < w->last)
		w->unordered = 1;
	w->last = mz->offset;
	n = snprintf(w->buf + w->used, sizeof(w->buf) - w->used, "%s%s@%#" PRIx64 "+%zu",
		     w->used ? "," : "", mz->name, mz->offset, mz->len);
	if (n > 0 && (size_t)n < sizeof(w->buf) - w->used)
		w->used += (size_t)n;
	return 0;
}

static int cmd_walk(void)
{
	struct walk_out *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL) {
		mh_say_err(-ENOMEM, "walk");
		return 1;
	}
	rc = mpdp_memzone_walk(walk_cb, w);
	if (rc < 0)
		mh_say_err(rc, "walk");
	else
		mh_say("OK n=%d ordered=%d zones=%s", rc, !w->unordered, w->used ? w->buf : "-");
	free(w);
	return 1;
}

struct procs_out {
	char buf[8192];
	size_t used;
};

static int procs_cb(const struct mpdp_proc_info *p, void *arg)
{
	struct procs_out *o = arg;
	int n = snprintf(o->buf + o->used, sizeof(o->buf) - o->used,
			 "%s%d:%d:%c:", o->used ? "," : "", p->proc_id, p->pid,
			 p->type == MPDP_PROC_PRIMARY ? 'P' : 'S');

	if (n > 0 && (size_t)n < sizeof(o->buf) - o->used)
		o->used += (size_t)n;
	for (unsigned int i = 0; i < p->nb_lcores; i++) {
		n = snprintf(o->buf + o->used, sizeof(o->buf) - o->used, "%s%u", i ? "/" : "",
			     (unsigned int)p->lcores[i]);
		if (n > 0 && (size_t)n < sizeof(o->buf) - o->used)
			o->used += (size_t)n;
	}
	return 0;
}

static int cmd_procs(void)
{
	struct procs_out *o = calloc(1, sizeof(*o));
	int rc;

	if (o == NULL) {
		mh_say_err(-ENOMEM, "procs");
		return 1;
	}
	rc = mpdp_proc_walk(procs_cb, o);
	if (rc < 0)
		mh_say_err(rc, "proc walk");
	else
		mh_say("OK n=%d procs=%s", rc, o->used ? o->buf : "-");
	free(o);
	return 1;
}

static int cmd_heap(void)
{
	struct mpdp_heap_info h;
	int rc = mpdp_heap_info(&h);

	if (rc != 0)
		mh_say_err(rc, "heap info");
	else
		mh_say("OK base=%p len=%zu page=%zu segs=%u seglen=%zu huge=%d", h.base, h.len,
		       h.page_size, h.nb_segments, h.segment_len, h.huge);
	return 1;
}

static int cmd_whoami(void)
{
	unsigned int lc[MPDP_MAX_LCORES];
	char list[512];
	size_t used = 0;
	unsigned int n = 0;

	lc[n++] = mpdp_lcore_main();
	for (int id = mpdp_lcore_next(-1); id >= 0 && n < MPDP_MAX_LCORES; id = mpdp_lcore_next(id))
		lc[n++] = (unsigned int)id;
	list[0] = '\0';
	for (unsigned int i = 0; i < n; i++) {
		int k = snprintf(list + used, sizeof(list) - used, "%s%u", i ? "/" : "", lc[i]);

		if (k > 0 && (size_t)k < sizeof(list) - used)
			used += (size_t)k;
	}
	mh_say("OK pid=%d proc_id=%d type=%s lcores=%s alive=%d", (int)getpid(), mpdp_proc_id(),
	       mpdp_proc_type() == MPDP_PROC_PRIMARY ? "primary" : "secondary", list,
	       mpdp_primary_alive());
	return 1;
}

static int parse_peer(const char *s, int *peer)
{
	uint64_t v;

	if (strcmp(s, "all") == 0) {
		*peer = MPDP_IPC_ALL;
		return 0;
	}
	if (strcmp(s, "primary") == 0) {
		*peer = MPDP_IPC_PRIMARY;
		return 0;
	}
	if (parse_u64(s, &v) != 0 || v > 1000)
		return -EINVAL;
	*peer = (int)v;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int cmd_request(int argc, char **argv)
{
	struct mpdp_ipc_msg req, reply;
	uint64_t timeout, t0, ms;
	int peer, rc;

	if (argc < 5 || parse_peer(argv[1], &peer) || parse_u64(argv[4], &timeout)) {
		mh_say_err(-EINVAL, "usage: request PEER ACTION DATA TIMEOUT_MS");
		return 1;
	}
	rc = mpdp_ipc_msg_init(&req, argv[2]);
	if (rc == 0 && strcmp(argv[3], "-") != 0)
		rc = mpdp_ipc_msg_add_data(&req, argv[3], strlen(argv[3]));
	if (rc != 0) {
		mpdp_ipc_msg_fini(&req);
		mh_say_err(rc, "building the request");
		return 1;
	}
	t0 = now_ms();
	rc = mpdp_ipc_request(&req, peer, &reply, (unsigned int)timeout);
	ms = now_ms() - t0;
	mpdp_ipc_msg_fini(&req);
	if (rc != 0) {
		mh_say_err(rc, "ms=%" PRIu64 " request %s", ms, argv[2]);
		return 1;
	}
	mh_say("OK status=%d ms=%" PRIu64 " name=%s len=%zu fds=%u peer=%d data=%.*s", reply.status,
	       ms, reply.name, reply.len, reply.nb_fds, reply.peer, (int)reply.len,
	       reply.len ? (const char *)reply.data : "");
	mpdp_ipc_msg_fini(&reply);
	return 1;
}

static int cmd_send(int argc, char **argv)
{
	struct mpdp_ipc_msg msg;
	uint64_t count = 1;
	int peer, rc = 0, last = 0;

	if (argc < 4 || parse_peer(argv[1], &peer) || (argc > 4 && parse_u64(argv[4], &count))) {
		mh_say_err(-EINVAL, "usage: send PEER|all ACTION DATA [COUNT]");
		return 1;
	}
	rc = mpdp_ipc_msg_init(&msg, argv[2]);
	if (rc == 0 && strcmp(argv[3], "-") != 0)
		rc = mpdp_ipc_msg_add_data(&msg, argv[3], strlen(argv[3]));
	for (uint64_t i = 0; rc == 0 && i < count; i++) {
		last = mpdp_ipc_send(&msg, peer);
		if (last < 0)
			rc = last;
	}
	mpdp_ipc_msg_fini(&msg);
	if (rc != 0)
		mh_say_err(rc, "send %s", argv[2]);
	else
		mh_say("OK sent=%" PRIu64 " last=%d", count, last);
	return 1;
}

int mh_command(char *line, mh_extra_cmd_t extra)
{
	char *argv[16], *save = NULL, *tok;
	int argc = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL && argc < 15;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (argc == 0)
		return 0;
	if (strcmp(argv[0], "quit") == 0) {
		mh_say("OK bye");
		return 1;
	}
	if (extra != NULL && extra(argc, argv))
		return 0;
	if (strncmp(argv[0], "mz-", 3) == 0 && strcmp(argv[0], "mz-walk") != 0)
		cmd_mz(argc, argv);
	else if (strcmp(argv[0], "mz-walk") == 0)
		cmd_walk();
	else if (strcmp(argv[0], "procs") == 0)
		cmd_procs();
	else if (strcmp(argv[0], "heap") == 0)
		cmd_heap();
	else if (strcmp(argv[0], "whoami") == 0)
		cmd_whoami();
	else if (strcmp(argv[0], "request") == 0)
		cmd_request(argc, argv);
	else if (strcmp(argv[0], "send") == 0)
		cmd_send(argc, argv);
	else
		mh_say_err(-EINVAL, "unknown command '%s'", argv[0]);
	return 0;
}

void mh_block_term(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int mh_loop(mh_extra_cmd_t extra, int extra_fd, void (*on_extra)(int fd))
{
	char buf[8192];
	size_t used = 0;
	sigset_t set;
	int sfd, sig = 0, done = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	while (!done) {
		struct pollfd pfd[3] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = extra_fd, .events = POLLIN },
		};
		int n = poll(pfd, extra_fd >= 0 ? 3 : 2, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				sig = (int)si.ssi_signo;
			break;
		}
		if (extra_fd >= 0 && (pfd[2].revents & POLLIN))
			on_extra(extra_fd);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(0, buf + used, sizeof(buf) - 1 - used);
			char *nl;

			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				break; /* EOF: the test is done with us (or died) */
			}
			used += (size_t)r;
			buf[used] = '\0';
			while (!done && (nl = memchr(buf, '\n', used)) != NULL) {
				size_t len = (size_t)(nl - buf) + 1;

				*nl = '\0';
				done = mh_command(buf, extra);
				memmove(buf, buf + len, used - len);
				used -= len;
				buf[used] = '\0';
			}
			if (used == sizeof(buf) - 1)
				used = 0; /* an absurdly long line: drop it */
		}
	}
	if (sfd >= 0)
		close(sfd);
	return sig;
}

int mh_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

int mh_is_eventfd(int fd)
{
	char path[64], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return strstr(link, "eventfd") != NULL;
}

const char *mh_subcommand(int argc, char **argv)
{
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--") == 0)
			return argv[i + 1];
	return NULL;
}

/* ---- port shells --------------------------------------------------------------- */

int mh_port_of(const char *name, uint16_t *port)
{
	int rc = mpdp_eth_dev_find(name, port);

	if (rc != 0)
		mh_say_err(rc, "no port %s", name);
	return rc;
}

struct mpdp_mempool *mh_pool_of(const char *name)
{
	struct mpdp_mempool *mp = mpdp_mempool_lookup(name, NULL);

	if (mp == NULL)
		mh_say_err(-ENOENT, "no pool %s", name);
	return mp;
}

int mh_parse_dir(const char *s, enum mpdp_eth_dir *d)
{
	if (strcmp(s, "rx") == 0)
		*d = MPDP_ETH_RX;
	else if (strcmp(s, "tx") == 0)
		*d = MPDP_ETH_TX;
	else
		return -1;
	return 0;
}

void mh_reply(int rc, const char *what)
{
	if (rc < 0)
		mh_say_err(rc, "%s", what);
	else
		mh_say("OK rc=%d", rc);
}

void mh_cmd_queue(const char *verb, const char *name, const char *dir, const char *q)
{
	enum mpdp_eth_dir d;
	uint16_t p, qid = (uint16_t)strtoul(q, NULL, 0);

	if (mh_parse_dir(dir, &d) != 0)
		mh_say_err(-EINVAL, "rx or tx");
	else if (mh_port_of(name, &p) == 0)
		mh_reply(verb[0] == 'c' ? mpdp_eth_queue_claim(p, d, qid) :
					  mpdp_eth_queue_release(p, d, qid),
			 verb);
}

void mh_cmd_xstat(const char *name, const char *xname)
{
	static struct mpdp_eth_xstat xs[512];
	uint16_t p;
	int n;

	if (mh_port_of(name, &p) != 0)
		return;
	n = mpdp_eth_xstats_get(p, xs, MPDP_DIM(xs));
	if (n < 0) {
		mh_say_err(n, "xstats %s", name);
		return;
	}
	for (int i = 0; i < n && i < (int)MPDP_DIM(xs); i++)
		if (strcmp(xs[i].name, xname) == 0) {
			mh_say("OK value=%" PRIu64, xs[i].value);
			return;
		}
	mh_say_err(-ENOENT, "no xstat %s", xname);
}

uint64_t mh_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

unsigned long mh_num(const char *s)
{
	return strtoul(s, NULL, 0);
}

void mh_cmd_ports(void)
{
	char list[1024] = "";
	size_t len = 0;
	unsigned int n = 0;
	uint16_t p;

	for (p = mpdp_eth_port_next(0); p < MPDP_MAX_PORTS; p = mpdp_eth_port_next(p + 1)) {
		struct mpdp_eth_dev_info info;

		if (mpdp_eth_dev_info_get(p, &info) != 0)
			continue;
		n++;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s:%u:%d",
					len ? "," : "", info.name, p, info.available);
		if (len >= sizeof(list))
			break;
	}
	mh_say("OK n=%u list=%s", n, n ? list : "-");
}

void mh_cmd_info(const char *name)
{
	struct mpdp_eth_dev_info i;
	char mac[MPDP_ETHER_ADDR_FMT_SIZE];
	uint16_t p;
	int rc;

	if (mh_port_of(name, &p) != 0)
		return;
	rc = mpdp_eth_dev_info_get(p, &i);
	if (rc != 0) {
		mh_say_err(rc, "info %s", name);
		return;
	}
	mpdp_ether_addr_format(mac, sizeof(mac), &i.mac);
	mh_say("OK port=%u driver=%s state=%s available=%d link=%s speed=%u rxq=%u txq=%u maxq=%u "
	       "mindesc=%u maxdesc=%u mac=%s",
	       p, i.driver, mpdp_eth_state_name(i.state), i.available, i.link.up ? "up" : "down",
	       i.link.speed_mbps, i.nb_rx_queues, i.nb_tx_queues, i.max_rx_queues, i.min_desc,
	       i.max_desc, mac);
}

void mh_cmd_pool(const char *name, unsigned int n, unsigned int room)
{
	struct mpdp_mempool *mp = mpdp_mempool_lookup(name, NULL);
	int err = 0;

	if (mp == NULL)
		mp = mpdp_mbuf_pool_create(name, n, 32, 0, (uint16_t)room, NULL, &err);
	if (mp == NULL)
		mh_say_err(err, "pool %s", name);
	else
		mh_say("OK id=%u", mp->id);
}

void mh_cmd_inuse(const char *pool)
{
	struct mpdp_mempool *mp = mh_pool_of(pool);

	if (mp != NULL)
		mh_say("OK in_use=%u", mpdp_mempool_in_use_count(mp));
}

void mh_cmd_setup(const char *name, uint16_t nrx, uint16_t ntx, const char *pool)
{
	struct mpdp_mempool *mp = mh_pool_of(pool);
	uint16_t p;
	int rc;

	if (mp == NULL || mh_port_of(name, &p) != 0)
		return;
	rc = mpdp_eth_dev_configure(p, nrx, ntx, NULL);
	for (uint16_t q = 0; rc == 0 && q < nrx; q++)
		rc = mpdp_eth_rx_queue_setup(p, q, 0, mp);
	for (uint16_t q = 0; rc == 0 && q < ntx; q++)
		rc = mpdp_eth_tx_queue_setup(p, q, 0);
	if (rc == 0)
		rc = mpdp_eth_dev_start(p);
	if (rc != 0)
		mh_say_err(rc, "setup %s", name);
	else
		mh_say("OK port=%u", p);
}

void mh_cmd_stats(const char *name, int oerrors)
{
	struct mpdp_eth_stats st;
	char extra[64] = "";
	uint16_t p;
	int rc;

	if (mh_port_of(name, &p) != 0)
		return;
	rc = mpdp_eth_stats_get(p, &st);
	if (rc != 0) {
		mh_say_err(rc, "stats %s", name);
		return;
	}
	if (oerrors)
		snprintf(extra, sizeof(extra), " oerrors=%" PRIu64, st.oerrors);
	mh_say("OK ipackets=%" PRIu64 " ibytes=%" PRIu64 " opackets=%" PRIu64 " obytes=%" PRIu64
	       " ierrors=%" PRIu64 "%s nombuf=%" PRIu64,
	       st.ipackets, st.ibytes, st.opackets, st.obytes, st.ierrors, extra, st.rx_nombuf);
}

static int count_mz(const struct mpdp_memzone *mz, void *arg)
{
	(void)mz;
	(void)arg;
	return 0;
}

int mh_port_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	uint16_t p;

	if (strcmp(c, "ports") == 0 && argc == 1) {
		mh_cmd_ports();
	} else if (strcmp(c, "info") == 0 && argc == 2) {
		mh_cmd_info(argv[1]);
	} else if (strcmp(c, "pool") == 0 && argc == 3) {
		mh_cmd_pool(argv[1], (unsigned int)mh_num(argv[2]), MPDP_MBUF_DEFAULT_BUF_SIZE);
	} else if (strcmp(c, "inuse") == 0 && argc == 2) {
		mh_cmd_inuse(argv[1]);
	} else if (strcmp(c, "setup") == 0 && argc == 5) {
		mh_cmd_setup(argv[1], (uint16_t)mh_num(argv[2]), (uint16_t)mh_num(argv[3]),
			     argv[4]);
	} else if ((strcmp(c, "stop") == 0 || strcmp(c, "close") == 0) && argc == 2) {
		if (mh_port_of(argv[1], &p) == 0)
			mh_reply(c[0] == 's' ? mpdp_eth_dev_stop(p) : mpdp_eth_dev_close(p), c);
	} else if (strcmp(c, "hotplug") == 0 && argc == 2) {
		int rc = mpdp_eth_dev_hotplug_add(argv[1], &p);

		if (rc != 0)
			mh_say_err(rc, "hotplug %s", argv[1]);
		else
			mh_say("OK port=%u", p);
	} else if ((strcmp(c, "claim") == 0 || strcmp(c, "release") == 0) && argc == 4) {
		mh_cmd_queue(c, argv[1], argv[2], argv[3]);
	} else if (strcmp(c, "stats") == 0 && argc == 2) {
		mh_cmd_stats(argv[1], 0);
	} else if (strcmp(c, "xstat") == 0 && argc == 3) {
		mh_cmd_xstat(argv[1], argv[2]);
	} else if (strcmp(c, "memzones") == 0 && argc == 1) {
		mh_say("OK n=%d", mpdp_memzone_walk(count_mz, NULL));
	} else {
		return 0;
	}
	return 1;
}

int mh_shell_main(int argc, char **argv, const char *usage, mh_extra_cmd_t cmd)
{
	const char *sub = mh_subcommand(argc, argv);
	struct mpdp_heap_info h;
	int n;

	mh_setup();
	if (sub == NULL || strcmp(sub, "shell") != 0) {
		fprintf(stderr, "%s: expected the sub-command shell%s", argv[0], usage);
		return 2;
	}
	mh_block_term();
	n = mpdp_init(argc, argv);
	if (n < 0)
		return mpdp_init_failed(n, usage);
	if (mpdp_heap_info(&h) != 0)
		return 1;
	mh_say("READY %d %p %zu proc_id=%d", (int)getpid(), h.base, h.len, mpdp_proc_id());
	mh_loop(cmd, -1, NULL);
	mpdp_cleanup();
	return 0;
}
