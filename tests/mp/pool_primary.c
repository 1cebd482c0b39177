/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool_primary.c - mpdp-test-pool-primary, the primary of the mempool tests.
 *
 * Usage: mpdp-test-pool-primary [runtime options] -- serve
 *
 * Registers the mempool backend "pt_custom" (in this binary only: the
 * secondaries do not have it), prints "READY <pid> <heap base> <heap len>"
 * and answers commands on stdin until EOF or "quit": those of mp_helper.h,
 * those of pool_helper.h, and the stress commands:
 *
 *   st-setup NB_PROD NB_CONS QUOTA BURST NB_RINGS POOL_N CACHE RING_COUNT
 *        create pool "pt.pool", the MP/MC rings, "pt.ctl" and "pt.bitmap"
 *   st-progress    what producers enqueued, consumers freed, dups, bad, and
 *                  each worker's state (-: not started, R: running,
 *                  F: producer finished its quota, D: done)
 *   st-pause N     park the workers, wait until N are parked, then audit the
 *                  pool and compare what is in use with what the workers
 *                  hold plus what the rings hold, object by object
 *   st-resume      let the workers go on
 *   st-freeze IDX  stop worker IDX (SIGSTOP) at a moment it is outside the
 *                  library and holds mbufs, preferably with objects in its
 *                  lcore cache (SIGCONT and retry otherwise;
 *                  the worker is asked to linger where it holds mbufs, so
 *                  that such a moment comes soon); the test then kills it
 *   st-stop produce        producers end early (they finish what they hold)
 *   st-stop drained|now    tell the workers to stop: producers leave, consumers
 *                  once the rings are empty (drained) or at once (now)
 *   st-cache LCORE          objects in lcore LCORE's cache of pt.pool
 *   st-account IDX|-1      after the workers are gone: account for every
 *                  sequence number and every object, IDX being the worker
 *                  that was killed (see the comment at cmd_account())
 *   st-release     put back what st-account found in use, flush, audit
 *
 * Exit status: 0, 1 when mpdp_init() failed, 2 on usage errors, 4 when the
 * backend cannot be registered.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mp_helper.h"
#include "pool_helper.h"

static const char usage[] = "\nmpdp-test-pool-primary: after \"--\": serve\n";

/* ---- the custom backend: a locked LIFO in a memzone of its own --------------------- */

struct pt_custom_shm {
	_Atomic uint32_t lock;
	uint32_t n;   /* (L) */
	uint32_t cap; /* (I) */
	uint32_t reserved;
	uint64_t offs[]; /* (L) */
};

static void custom_zone(const struct mpdp_mempool *mp, char *name, size_t size)
{
	snprintf(name, size, "pc.%s", mp->name);
}

static void custom_lock(struct pt_custom_shm *s)
{
	uint32_t zero = 0;

	while (!atomic_compare_exchange_weak_explicit(&s->lock, &zero, 1, memory_order_acquire,
						      memory_order_relaxed)) {
		zero = 0;
		mpdp_cpu_relax();
	}
}

static void custom_unlock(struct pt_custom_shm *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

static int custom_create(struct mpdp_mempool *mp)
{
	struct mpdp_memzone mz;
	struct pt_custom_shm *s;
	char name[MPDP_NAME_SIZE];
	int rc;

	custom_zone(mp, name, sizeof(name));
	rc = mpdp_memzone_reserve(name, sizeof(*s) + (size_t)mp->size * sizeof(uint64_t), 64, &mz);
	if (rc != 0)
		return rc;
	s = mz.addr;
	s->n = 0;
	s->cap = mp->size;
	mp->shm->backend_off = mz.offset;
	mp->backend = s;
	return 0;
}

static int custom_attach(struct mpdp_mempool *mp)
{
	if (!mpdp_shm_off_valid(mp->shm->backend_off, sizeof(struct pt_custom_shm)))
		return -EPROTO;
	mp->backend = mpdp_shm_ptr(mp->shm->backend_off);
	return 0;
}

static void custom_detach(struct mpdp_mempool *mp)
{
	mp->backend = NULL;
}

static void custom_destroy(struct mpdp_mempool *mp)
{
	char name[MPDP_NAME_SIZE];

	custom_zone(mp, name, sizeof(name));
	mpdp_memzone_free(name);
	mp->backend = NULL;
}

static int custom_enqueue(struct mpdp_mempool *mp, const uint64_t *offs, unsigned int n)
{
	struct pt_custom_shm *s = mp->backend;

	custom_lock(s);
	if (s->n + n > s->cap) {
		custom_unlock(s);
		return -ENOBUFS;
	}
	memcpy(&s->offs[s->n], offs, n * sizeof(*offs));
	s->n += n;
	custom_unlock(s);
	return 0;
}

static int custom_dequeue(struct mpdp_mempool *mp, uint64_t *offs, unsigned int n)
{
	struct pt_custom_shm *s = mp->backend;

	custom_lock(s);
	if (s->n < n) {
		custom_unlock(s);
		return -ENOENT;
	}
	s->n -= n;
	memcpy(offs, &s->offs[s->n], n * sizeof(*offs));
	custom_unlock(s);
	return 0;
}

static unsigned int custom_count(const struct mpdp_mempool *mp)
{
	const struct pt_custom_shm *s = mp->backend;

	return s->n;
}

static int custom_walk(const struct mpdp_mempool *mp, int (*cb)(uint64_t off, void *arg), void *arg)
{
	const struct pt_custom_shm *s = mp->backend;

	for (uint32_t i = 0; i < s->n; i++) {
		int rc = cb(s->offs[i], arg);

		if (rc != 0)
			return rc;
	}
	return 0;
}

static const struct mpdp_mempool_ops custom_ops = {
	.name = "pt_custom",
	.create = custom_create,
	.attach = custom_attach,
	.detach = custom_detach,
	.destroy = custom_destroy,
	.enqueue = custom_enqueue,
	.dequeue = custom_dequeue,
	.count = custom_count,
	.walk = custom_walk,
};

/* ---- stress state -------------------------------------------------------------- */

static struct ph_ctl_shm *ctl;
static _Atomic uint64_t *bitmap;
static struct mpdp_mempool *pool;
static struct mpdp_ring *st_rings[PH_MAX_RINGS];
/* st-account: objects in use, for st-release */
static struct mpdp_mbuf **acct_inuse;
static unsigned int acct_nb_inuse;

static int parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno == 0 && end != s && *end == '\0' ? 0 : -EINVAL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int need_setup(void)
{
	if (ctl != NULL)
		return 0;
	mh_say_err(-ENODEV, "no st-setup yet");
	return -1;
}

static void cmd_setup(int argc, char **argv)
{
	unsigned long long v[8];
	struct mpdp_memzone mz;
	int err = 0, rc;

	if (ctl != NULL) {
		mh_say_err(-EALREADY, "st-setup was done");
		return;
	}
	if (argc < 9) {
		mh_say_err(-EINVAL, "usage: st-setup NB_PROD NB_CONS QUOTA BURST NB_RINGS POOL_N "
				    "CACHE RING_COUNT");
		return;
	}
	for (int i = 0; i < 8; i++)
		if (parse_ull(argv[i + 1], &v[i]) != 0) {
			mh_say_err(-EINVAL, "bad number '%s'", argv[i + 1]);
			return;
		}
	if (v[0] == 0 || v[1] == 0 || v[0] + v[1] > PH_MAX_WORKERS || v[2] == 0 || v[3] == 0 ||
	    v[3] > PH_BURST_MAX || v[4] == 0 || v[4] > PH_MAX_RINGS) {
		mh_say_err(-EINVAL, "st-setup: values out of range");
		return;
	}
	/* headroom (128) + the payload, rounded up to a cache line */
	pool = mpdp_mbuf_pool_create(PH_POOL_NAME, (unsigned int)v[5], (unsigned int)v[6], 0,
				     MPDP_MBUF_DEFAULT_HEADROOM + 64, NULL, &err);
	if (pool == NULL) {
		mh_say_err(err, "create of pool " PH_POOL_NAME);
		return;
	}
	for (unsigned int i = 0; i < v[4]; i++) {
		char name[MPDP_RING_NAME_SIZE];

		snprintf(name, sizeof(name), PH_RING_FMT, i);
		st_rings[i] = mpdp_ring_create(name, (unsigned int)v[7], 0, &err);
		if (st_rings[i] == NULL) {
			mh_say_err(err, "create of ring %s", name);
			return;
		}
	}
	rc = mpdp_memzone_reserve(PH_BITMAP_NAME, (size_t)((v[0] * v[2] + 63) / 64) * 8, 64, &mz);
	if (rc != 0) {
		mh_say_err(rc, "reserve of " PH_BITMAP_NAME);
		return;
	}
	bitmap = mz.addr;
	memset(mz.addr, 0, mz.len);
	rc = mpdp_memzone_reserve(PH_CTL_NAME, sizeof(struct ph_ctl_shm), 64, &mz);
	if (rc != 0) {
		mh_say_err(rc, "reserve of " PH_CTL_NAME);
		return;
	}
	memset(mz.addr, 0, sizeof(struct ph_ctl_shm));
	ctl = mz.addr;
	ctl->nb_prod = (uint32_t)v[0];
	ctl->nb_cons = (uint32_t)v[1];
	ctl->quota = v[2];
	ctl->burst = (uint32_t)v[3];
	ctl->nb_rings = (uint32_t)v[4];
	ctl->nb_bits = v[0] * v[2];
	/* the workers wait for the magic: everything above is visible before it */
	atomic_store_explicit((_Atomic uint64_t *)&ctl->magic, PH_CTL_MAGIC, memory_order_release);
	mh_say("OK bits=%" PRIu64 " pool_size=%u elt=%u total=%u flags=%#x cache=%u ring_cap=%u",
	       ctl->nb_bits, pool->size, pool->elt_size, pool->total_elt_size, pool->flags,
	       pool->cache_size, mpdp_ring_capacity(st_rings[0]));
}

static void cmd_progress(void)
{
	uint64_t prod = 0, cons = 0, idle = 0, afail = 0;
	char states[PH_MAX_WORKERS + 1];
	unsigned int nw;

	if (need_setup())
		return;
	nw = ctl->nb_prod + ctl->nb_cons;
	for (unsigned int i = 0; i < nw; i++) {
		uint64_t c = atomic_load_explicit(&ctl->w[i].count, memory_order_relaxed);

		if (i < ctl->nb_prod)
			prod += c;
		else
			cons += c;
		idle += atomic_load_explicit(&ctl->w[i].idle, memory_order_relaxed);
		afail += atomic_load_explicit(&ctl->w[i].alloc_fail, memory_order_relaxed);
		states[i] =
			"-RFD"[atomic_load_explicit(&ctl->w[i].state, memory_order_relaxed) % 4];
	}
	states[nw] = '\0';
	mh_say("OK produced=%" PRIu64 " consumed=%" PRIu64 " total=%" PRIu64 " dups=%" PRIu64
	       " bad=%" PRIu64 " idle=%" PRIu64 " alloc_fail=%" PRIu64 " states=%s",
	       prod, cons, ctl->nb_bits, atomic_load(&ctl->dups), atomic_load(&ctl->bad), idle,
	       afail, states);
}

/* ---- audit helpers ----------------------------------------------------------------- */

struct inuse_list {
	uint8_t *mark; /* by object index: 1 = reported in use */
	struct mpdp_mbuf **objs;
	unsigned int n, cap, dup, foreign;
};

static void inuse_cb(struct mpdp_mempool *mp, void *obj, unsigned int idx, void *arg)
{
	struct inuse_list *l = arg;
	long i = ph_obj_index(mp, obj);

	if (i < 0 || (unsigned long)i != idx) {
		l->foreign++;
		return;
	}
	if (l->mark[idx]++ != 0)
		l->dup++;
	if (l->n < l->cap)
		l->objs[l->n] = obj;
	l->n++;
}

static int inuse_init(struct inuse_list *l)
{
	memset(l, 0, sizeof(*l));
	l->mark = calloc(pool->size, 1);
	l->objs = calloc(pool->size, sizeof(*l->objs));
	l->cap = pool->size;
	return l->mark != NULL && l->objs != NULL ? 0 : -ENOMEM;
}

static void inuse_fini(struct inuse_list *l)
{
	free(l->mark);
	free(l->objs);
}

/* Mark an expected in-use object: returns 0, or -1 when the offset names no object. */
static int expect_obj(uint8_t *want, uint64_t off, unsigned int *dup)
{
	long i;

	if (!mpdp_shm_off_valid(off, sizeof(struct mpdp_mbuf)))
		return -1;
	i = ph_obj_index(pool, mpdp_shm_ptr(off));
	if (i < 0)
		return -1;
	if (want[i]++ != 0)
		++*dup;
	return 0;
}

/*
 * While every worker is parked: the objects the audit finds in use must be
 * exactly those the workers published as held plus those in the rings.
 */
static void cmd_pause(int argc, char **argv)
{
	unsigned long long n;
	struct mpdp_mempool_audit rep;
	struct inuse_list l;
	uint8_t *want = NULL;
	unsigned int held = 0, in_rings = 0, dup = 0, foreign = 0, mismatch = 0;
	uint64_t t0 = now_ms();
	int rc;

	if (need_setup())
		return;
	if (argc < 2 || parse_ull(argv[1], &n)) {
		mh_say_err(-EINVAL, "usage: st-pause N");
		return;
	}
	atomic_store_explicit(&ctl->pause, 1, memory_order_release);
	/* pairs with the release increment of a worker parking */
	while (atomic_load_explicit(&ctl->paused, memory_order_acquire) < n) {
		if (now_ms() - t0 > 20000) {
			atomic_store(&ctl->pause, 0);
			mh_say_err(-ETIMEDOUT, "%u of %llu workers parked",
				   atomic_load(&ctl->paused), n);
			return;
		}
		usleep(200);
	}
	if (inuse_init(&l) != 0 || (want = calloc(pool->size, 1)) == NULL) {
		inuse_fini(&l);
		mh_say_err(-ENOMEM, "st-pause");
		return;
	}
	memset(&rep, 0, sizeof(rep));
	rc = mpdp_mempool_audit(pool, &rep, inuse_cb, &l);
	for (unsigned int i = 0; i < ctl->nb_prod + ctl->nb_cons; i++) {
		const struct ph_worker_shm *w = &ctl->w[i];

		if (atomic_load(&w->state) != PH_W_RUNNING &&
		    atomic_load(&w->state) != PH_W_FINISHED)
			continue;
		for (unsigned int k = 0; k < w->n_held && k < PH_BURST_MAX; k++)
			if (expect_obj(want, w->held[k], &dup) != 0)
				foreign++;
		held += w->n_held;
	}
	/* the rings are still too: read what is between their tails */
	for (unsigned int r = 0; r < ctl->nb_rings; r++) {
		const struct mpdp_ring *ring = st_rings[r];
		uint32_t ct = atomic_load(&ring->shm->cons.tail);
		uint32_t pt = atomic_load(&ring->shm->prod.tail);

		for (uint32_t k = ct; k != pt; k++, in_rings++)
			if (expect_obj(want, ring->slots[k & ring->mask], &dup) != 0)
				foreign++;
	}
	for (unsigned int i = 0; i < pool->size; i++)
		if ((want[i] != 0) != (l.mark[i] != 0))
			mismatch++;
	mh_say("OK rc=%d size=%u in_use=%u in_backend=%u in_caches=%u caches_nonempty=%u "
	       "stats_in_use=%" PRIu64 " duplicates=%u bad_entries=%u cb=%u cb_dup=%u "
	       "cb_foreign=%u held=%u in_rings=%u expect_dup=%u expect_foreign=%u mismatch=%u "
	       "ms=%" PRIu64,
	       rc, rep.size, rep.in_use, rep.in_backend, rep.in_caches, rep.caches_nonempty,
	       rep.stats_in_use, rep.duplicates, rep.bad_entries, l.n, l.dup, l.foreign, held,
	       in_rings, dup, foreign, mismatch, now_ms() - t0);
	inuse_fini(&l);
	free(want);
}

static void cmd_resume(void)
{
	uint64_t t0 = now_ms();

	if (need_setup())
		return;
	atomic_store_explicit(&ctl->pause, 0, memory_order_release);
	while (atomic_load(&ctl->paused) != 0 && now_ms() - t0 < 10000)
		usleep(200);
	mh_say("OK paused=%u", atomic_load(&ctl->paused));
}

/* 'T' (stopped) or 't' (traced) in /proc/PID/stat, after the command name. */
static int is_stopped(int pid)
{
	char path[64], buf[512];
	FILE *f;
	size_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -1;
	return p[2] == 'T' || p[2] == 't';
}

static unsigned int lcore_cache_len(unsigned int lcore)
{
	if (lcore >= MPDP_MAX_LCORES)
		return 0;
	return mpdp_mempool_lcore_(pool, lcore)->cache_len;
}

/*
 * Stop worker IDX where the kill is exact: outside the library (phase OUT,
 * so its lcore cache and the rings are consistent and what it holds is
 * published) and holding at least one mbuf. A SIGKILL can land anywhere;
 * the stretches inside the library are left out on purpose, see the test.
 */
static void cmd_freeze(int argc, char **argv)
{
	unsigned long long idx;
	struct ph_worker_shm *w;
	unsigned int tries;
	int pid;

	if (need_setup())
		return;
	if (argc < 2 || parse_ull(argv[1], &idx) || idx >= ctl->nb_prod + ctl->nb_cons) {
		mh_say_err(-EINVAL, "usage: st-freeze IDX");
		return;
	}
	w = &ctl->w[idx];
	pid = atomic_load(&w->pid);
	if (pid <= 0 || atomic_load(&w->state) != PH_W_RUNNING) {
		mh_say_err(-ESRCH, "worker %llu is not running", idx);
		return;
	}
	atomic_store(&w->linger, 1);
	for (tries = 1; tries <= 5000; tries++) {
		uint64_t t0 = now_ms();
		int st;

		if (kill(pid, SIGSTOP) != 0) {
			mh_say_err(-errno, "SIGSTOP %d", pid);
			return;
		}
		while ((st = is_stopped(pid)) == 0 && now_ms() - t0 < 2000)
			usleep(20);
		if (st != 1) {
			kill(pid, SIGCONT);
			mh_say_err(-ETIMEDOUT, "worker %d did not stop", pid);
			return;
		}
		/* the stopped thread's stores are all visible now (it was switched out) */
		atomic_thread_fence(memory_order_seq_cst);
		/* best: holding mbufs and a non-empty cache (the exit hook has work) */
		if (atomic_load_explicit(&w->phase, memory_order_relaxed) == PH_OUT &&
		    ((w->n_held > 0 && lcore_cache_len(atomic_load(&w->lcore)) > 0) ||
		     (w->n_held > 0 && tries > 2000) || tries > 4000))
			break;
		kill(pid, SIGCONT);
		usleep(50 + (unsigned int)(rand() % 700));
	}
	/* it stays set while the worker is stopped, and it will not run again */
	if (tries > 5000) {
		atomic_store(&w->linger, 0);
		kill(pid, SIGCONT);
		mh_say_err(-EAGAIN, "worker %d never stopped outside the library", pid);
		return;
	}
	mh_say("OK pid=%d tries=%u held=%u next=%" PRIu64 " count=%" PRIu64 " lcore=%u cache=%u",
	       pid, tries, w->n_held, w->next, atomic_load(&w->count), atomic_load(&w->lcore),
	       lcore_cache_len(atomic_load(&w->lcore)));
}

static void cmd_stop(int argc, char **argv)
{
	if (need_setup())
		return;
	if (argc < 2 || (strcmp(argv[1], "drained") != 0 && strcmp(argv[1], "now") != 0 &&
			 strcmp(argv[1], "produce") != 0)) {
		mh_say_err(-EINVAL, "usage: st-stop produce|drained|now");
		return;
	}
	if (strcmp(argv[1], "produce") == 0)
		atomic_store(&ctl->produce_stop, 1);
	else
		atomic_store(&ctl->stop,
			     strcmp(argv[1], "now") == 0 ? PH_STOP_NOW : PH_STOP_DRAINED);
	mh_say("OK");
}

static void cmd_cache(int argc, char **argv)
{
	unsigned long long lc;

	if (need_setup())
		return;
	if (argc < 2 || parse_ull(argv[1], &lc) || lc >= MPDP_MAX_LCORES) {
		mh_say_err(-EINVAL, "usage: st-cache LCORE");
		return;
	}
	mh_say("OK lcore=%llu cache_len=%u", lc, lcore_cache_len((unsigned int)lc));
}

static int bit_test(const uint64_t *bits, uint64_t b)
{
	return (bits[b / 64] >> (b % 64)) & 1;
}

static void bit_set(uint64_t *bits, uint64_t b)
{
	bits[b / 64] |= 1ULL << (b % 64);
}

/* Sequence number in a producer's mbuf, or UINT64_MAX when its content is not one. */
static uint64_t mbuf_seq(const struct mpdp_mbuf *m)
{
	const uint64_t *d;

	if (m->data_len != PH_PAYLOAD || m->nb_segs != 1)
		return UINT64_MAX;
	d = mpdp_mbuf_mtod(m, const uint64_t *);
	if (d[0] >= ctl->nb_bits || d[1] != ph_check_word(d[0], mpdp_shm_off(m)))
		return UINT64_MAX;
	return d[0];
}

/*
 * After every worker is gone (exited, or killed and reclaimed by the exit
 * hooks). dead is the killed worker, or -1. What must hold:
 *
 *   expected: producer p produced [0, next) (it enqueued next, up to its
 *             quota), or if it is the dead one [0, next + n_held) (next
 *             enqueued, n_held allocated and stamped)
 *   received: the bitmap (consumers set a bit when they free the mbuf)
 *   residue:  what is still in the rings (drained here, checked, freed)
 *   held:     the dead worker's published mbufs
 *
 *   received, residue and held are disjoint and cover expected exactly;
 *   nothing outside expected was received; then, with the residue freed
 *   and this lcore's cache flushed, the audit is clean and finds in use
 *   exactly the dead worker's mbufs, whose sequence numbers are exactly
 *   expected minus received minus residue.
 */
static void cmd_account(int argc, char **argv)
{
	long long dead;
	uint64_t nwords, received = 0, expected = 0, extra = 0, missing = 0, overlap = 0;
	uint64_t bad_residue = 0, bad_held = 0, held_seq_wrong = 0, cache_exit = 0;
	uint64_t *seen = NULL, *seen2 = NULL, *limit = NULL, cb_seq_bad = 0, cb_not_held = 0;
	uint64_t unfinished = 0;
	struct mpdp_mbuf *res[64];
	struct mpdp_mempool_audit rep;
	struct inuse_list l;
	uint8_t *held_mark = NULL;
	unsigned int residue = 0, held = 0, dead_cache = 0;
	int rc;

	if (need_setup())
		return;
	if (argc < 2) {
		mh_say_err(-EINVAL, "usage: st-account IDX|-1");
		return;
	}
	dead = strtoll(argv[1], NULL, 0);
	if (dead >= (long long)(ctl->nb_prod + ctl->nb_cons) || dead < -1) {
		mh_say_err(-EINVAL, "worker %lld", dead);
		return;
	}
	free(acct_inuse);
	acct_inuse = NULL;
	acct_nb_inuse = 0;
	nwords = (ctl->nb_bits + 63) / 64;
	seen = calloc(nwords, 8);
	seen2 = calloc(nwords, 8);
	limit = calloc(ctl->nb_prod, sizeof(*limit));
	held_mark = calloc(pool->size, 1);
	if (seen == NULL || seen2 == NULL || limit == NULL || held_mark == NULL ||
	    inuse_init(&l) != 0) {
		mh_say_err(-ENOMEM, "st-account");
		goto out;
	}
	for (uint32_t p = 0; p < ctl->nb_prod; p++) {
		const struct ph_worker_shm *w = &ctl->w[p];

		limit[p] = (long long)p == dead ? w->next + w->n_held : w->next;
		/* a producer that finished holds nothing */
		if ((long long)p != dead && (w->n_held != 0 || atomic_load(&w->state) != PH_W_DONE))
			unfinished++;
		expected += limit[p];
	}
	for (uint32_t i = 0; i < ctl->nb_prod + ctl->nb_cons; i++)
		cache_exit += atomic_load(&ctl->w[i].cache_at_exit);
	for (uint64_t b = 0; b < ctl->nb_bits; b++) {
		uint64_t p = b / ctl->quota, c = b % ctl->quota;

		if (!bit_test((const uint64_t *)bitmap, b))
			continue;
		received++;
		if (c >= limit[p])
			extra++;
		bit_set(seen, b);
		bit_set(seen2, b);
	}
	/* the rings' residue: check, record, free */
	for (unsigned int r = 0; r < ctl->nb_rings; r++) {
		uint64_t offs[64];
		unsigned int got;

		while ((got = mpdp_ring_mc_dequeue_burst(st_rings[r], offs, 64, NULL)) > 0) {
			unsigned int nf = 0;

			for (unsigned int k = 0; k < got; k++) {
				struct mpdp_mbuf *m;
				uint64_t seq;

				residue++;
				if (!mpdp_shm_off_valid(offs[k], sizeof(*m)) ||
				    ph_obj_index(pool, mpdp_shm_ptr(offs[k])) < 0) {
					bad_residue++;
					continue;
				}
				m = mpdp_mbuf_from_off(offs[k]);
				res[nf++] = m;
				seq = mbuf_seq(m);
				if (seq == UINT64_MAX ||
				    seq % ctl->quota >= limit[seq / ctl->quota]) {
					bad_residue++;
					continue;
				}
				if (bit_test(seen, seq))
					overlap++;
				bit_set(seen, seq);
				bit_set(seen2, seq);
			}
			mpdp_mbuf_free_bulk(res, nf);
		}
	}
	/* what the dead worker held */
	if (dead >= 0) {
		const struct ph_worker_shm *w = &ctl->w[dead];

		held = w->n_held;
		dead_cache = lcore_cache_len(atomic_load(&w->lcore));
		for (unsigned int k = 0; k < w->n_held && k < PH_BURST_MAX; k++) {
			struct mpdp_mbuf *m;
			uint64_t seq;
			long i;

			if (!mpdp_shm_off_valid(w->held[k], sizeof(*m)) ||
			    (i = ph_obj_index(pool, mpdp_shm_ptr(w->held[k]))) < 0) {
				bad_held++;
				continue;
			}
			held_mark[i] = 1;
			m = mpdp_mbuf_from_off(w->held[k]);
			seq = mbuf_seq(m);
			if (seq == UINT64_MAX || seq % ctl->quota >= limit[seq / ctl->quota]) {
				bad_held++;
				continue;
			}
			/* a producer's k-th held mbuf carries next + k */
			if (dead < ctl->nb_prod && seq != (uint64_t)dead * ctl->quota + w->next + k)
				held_seq_wrong++;
			if (bit_test(seen, seq))
				overlap++;
			bit_set(seen, seq);
		}
	}
	for (uint32_t p = 0; p < ctl->nb_prod; p++)
		for (uint64_t c = 0; c < limit[p]; c++)
			if (!bit_test(seen, p * ctl->quota + c))
				missing++;
	/* the residue went to this lcore's cache: give it back, then audit */
	mpdp_mempool_cache_flush(pool);
	memset(&rep, 0, sizeof(rep));
	rc = mpdp_mempool_audit(pool, &rep, inuse_cb, &l);
	/* in use: exactly the dead worker's mbufs, carrying exactly the missing numbers */
	for (unsigned int k = 0; k < l.n && k < l.cap; k++) {
		struct mpdp_mbuf *m = l.objs[k];
		uint64_t seq = mbuf_seq(m);

		if (!held_mark[ph_obj_index(pool, m)])
			cb_not_held++;
		if (seq == UINT64_MAX || seq % ctl->quota >= limit[seq / ctl->quota] ||
		    bit_test(seen2, seq)) {
			cb_seq_bad++;
			continue;
		}
		bit_set(seen2, seq);
	}
	{
		uint64_t missing2 = 0;

		for (uint32_t p = 0; p < ctl->nb_prod; p++)
			for (uint64_t c = 0; c < limit[p]; c++)
				if (!bit_test(seen2, p * ctl->quota + c))
					missing2++;
		acct_inuse = l.objs;
		acct_nb_inuse = l.n < l.cap ? l.n : l.cap;
		l.objs = NULL;
		mh_say("OK rc=%d expected=%" PRIu64 " received=%" PRIu64 " residue=%u held=%u "
		       "in_use=%u stats_in_use=%" PRIu64 " cb=%u cb_dup=%u cb_foreign=%u "
		       "cb_not_held=%" PRIu64 " cb_seq_bad=%" PRIu64 " missing=%" PRIu64
		       " missing_after_cb=%" PRIu64 " overlap=%" PRIu64 " extra=%" PRIu64
		       " dups=%" PRIu64 " bad=%" PRIu64 " bad_residue=%" PRIu64 " bad_held=%" PRIu64
		       " held_seq_wrong=%" PRIu64 " unfinished=%" PRIu64
		       " dead_cache=%u caches_nonempty=%u in_backend=%u in_caches=%u size=%u "
		       "duplicates=%u bad_entries=%u cache_at_exit=%" PRIu64,
		       rc, expected, received, residue, held, rep.in_use, rep.stats_in_use, l.n,
		       l.dup, l.foreign, cb_not_held, cb_seq_bad, missing, missing2, overlap, extra,
		       atomic_load(&ctl->dups), atomic_load(&ctl->bad), bad_residue, bad_held,
		       held_seq_wrong, unfinished, dead_cache, rep.caches_nonempty, rep.in_backend,
		       rep.in_caches, rep.size, rep.duplicates, rep.bad_entries, cache_exit);
	}
out:
	inuse_fini(&l);
	free(seen);
	free(seen2);
	free(limit);
	free(held_mark);
}

/* Give back what st-account found in use (the dead worker's mbufs), then audit. */
static void cmd_release(void)
{
	struct mpdp_mempool_audit rep;
	unsigned int n = acct_nb_inuse;
	int rc;

	if (need_setup())
		return;
	if (n > 0)
		mpdp_mbuf_free_bulk(acct_inuse, n);
	free(acct_inuse);
	acct_inuse = NULL;
	acct_nb_inuse = 0;
	mpdp_mempool_cache_flush(pool);
	memset(&rep, 0, sizeof(rep));
	rc = mpdp_mempool_audit(pool, &rep, NULL, NULL);
	mh_say("OK rc=%d released=%u size=%u in_use=%u in_backend=%u in_caches=%u "
	       "caches_nonempty=%u stats_in_use=%" PRIu64 " duplicates=%u bad_entries=%u",
	       rc, n, rep.size, rep.in_use, rep.in_backend, rep.in_caches, rep.caches_nonempty,
	       rep.stats_in_use, rep.duplicates, rep.bad_entries);
}

static int primary_cmd(int argc, char **argv)
{
	if (strcmp(argv[0], "st-setup") == 0)
		cmd_setup(argc, argv);
	else if (strcmp(argv[0], "st-progress") == 0)
		cmd_progress();
	else if (strcmp(argv[0], "st-pause") == 0)
		cmd_pause(argc, argv);
	else if (strcmp(argv[0], "st-resume") == 0)
		cmd_resume();
	else if (strcmp(argv[0], "st-freeze") == 0)
		cmd_freeze(argc, argv);
	else if (strcmp(argv[0], "st-stop") == 0)
		cmd_stop(argc, argv);
	else if (strcmp(argv[0], "st-cache") == 0)
		cmd_cache(argc, argv);
	else if (strcmp(argv[0], "st-account") == 0)
		cmd_account(argc, argv);
	else if (strcmp(argv[0], "st-release") == 0)
		cmd_release();
	else
		return pc_command(argc, argv);
	return 1;
}

int main(int argc, char **argv)
{
	const char *sub = mh_subcommand(argc, argv);
	struct mpdp_heap_info h;
	int n, rc;

	mh_setup();
	mh_block_term();
	srand((unsigned int)getpid());
	n = mpdp_init(argc, argv);
	if (n < 0)
		return mpdp_init_failed(n, usage);
	if (sub == NULL || strcmp(sub, "serve") != 0) {
		fprintf(stderr, "mpdp-test-pool-primary: unknown sub-command%s", usage);
		mpdp_cleanup();
		return 2;
	}
	if (mpdp_proc_type() != MPDP_PROC_PRIMARY) {
		mh_say("ROLE secondary");
		mpdp_cleanup();
		return 2;
	}
	rc = mpdp_mempool_ops_register(&custom_ops);
	if (rc != 0) {
		fprintf(stderr, "mpdp-test-pool-primary: registering pt_custom: %s\n",
			strerror(-rc));
		mpdp_cleanup();
		return 4;
	}
	mpdp_heap_info(&h);
	mh_say("READY %d %p %zu", (int)getpid(), h.base, h.len);
	mh_loop(primary_cmd, -1, NULL);
	mpdp_cleanup();
	free(acct_inuse);
	return 0;
}
