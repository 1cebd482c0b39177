/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool_worker.c - mpdp-test-pool-producer and mpdp-test-pool-consumer, the
 * secondaries of the mempool tests: one source, two programs (PW_ROLE_*), each
 * with its own copy of the library.
 *
 * Usage: mpdp-test-pool-{producer,consumer} [runtime options] -- SUB-COMMAND
 *
 *   run IDX            the stress loop of this program's role as worker IDX of
 *                      "pt.ctl" (pool_helper.h); prints "RUNNING idx= pid=
 *                      lcore=" once attached and "DONE idx= count=" at the end
 *   shell [BASE LEN]...  first occupy each [BASE, BASE+LEN) with
 *                      mmap(MAP_FIXED_NOREPLACE), so that the heap cannot be
 *                      mapped there; print "READY <pid> <heap base> <heap len>
 *                      proc_id=N lcores=L" and answer the commands of
 *                      mp_helper.h and pool_helper.h until EOF or "quit"
 *
 * Producer IDX: allocates burst mbufs at a time (mpdp_mbuf_alloc_bulk), writes
 * sequence number IDX * quota + n and a check word into each, enqueues them
 * on the rings in turn, until it has enqueued quota of them.
 * Consumer: dequeues bursts of 1 to burst from the rings in turn, checks each mbuf (a pool
 * object, one segment, the payload's check word), then marks the sequence
 * numbers in the bitmap (a bit already set counts as a duplicate) and frees
 * the burst (mpdp_mbuf_free_bulk). It stops when told (st-stop): at once, or
 * once the rings are empty.
 *
 * Both park at the top of their loop while "pause" is set, and publish what
 * they hold (see struct ph_worker_shm).
 *
 * Exit status: 0, 1 when mpdp_init() failed or the test state is missing,
 * 2 on usage errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mp_helper.h"
#include "pool_helper.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#if defined(PW_ROLE_PRODUCER)
#define PW_NAME "mpdp-test-pool-producer"
#elif defined(PW_ROLE_CONSUMER)
#define PW_NAME "mpdp-test-pool-consumer"
#else
#error "build with -DPW_ROLE_PRODUCER or -DPW_ROLE_CONSUMER"
#endif

static const char usage[] = "\n" PW_NAME ": after \"--\": run IDX | shell [BASE LEN]...\n";

static struct ph_ctl_shm *ctl;
static _Atomic uint64_t *bitmap;
static struct mpdp_mempool *pool;
static struct mpdp_ring *st_rings[PH_MAX_RINGS];

/*
 * The phase flag brackets every call into the library. Only a compiler
 * barrier is needed: the primary reads the flag while this process is
 * stopped, when everything before the stop point is visible and nothing
 * after it has happened.
 */
static inline void phase_in(struct ph_worker_shm *w)
{
	atomic_store_explicit(&w->phase, PH_IN, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
}

static inline void phase_out(struct ph_worker_shm *w)
{
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&w->phase, PH_OUT, memory_order_relaxed);
}

static void park(void)
{
	/* pairs with the primary's release store of pause */
	if (!atomic_load_explicit(&ctl->pause, memory_order_acquire))
		return;
	/* release: what this worker published is visible to the primary's audit */
	atomic_fetch_add_explicit(&ctl->paused, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&ctl->pause, memory_order_acquire))
		usleep(200);
	atomic_fetch_sub_explicit(&ctl->paused, 1, memory_order_acq_rel);
}

/*
 * Nothing to do. Two CPUs for everyone: after a few tries give the CPU away,
 * after many sleep, so that the process that can make progress runs.
 */
static void idle(struct ph_worker_shm *w, unsigned int *spins)
{
	atomic_fetch_add_explicit(&w->idle, 1, memory_order_relaxed);
	++*spins;
	if (*spins > 256)
		usleep(100);
	else if (*spins > 4)
		sched_yield();
}

/*
 * The primary is about to stop this worker to kill it (st-freeze) and wants
 * it caught holding mbufs: stay a little while in the stretch where it holds
 * them (outside the library), re-reading them. Where exactly the SIGSTOP
 * (and then the SIGKILL) lands is still up to the kernel, not to us.
 */
static void linger(struct ph_worker_shm *w)
{
	struct timespec t0, t;
	volatile uint64_t sink = 0;

	if (!atomic_load_explicit(&w->linger, memory_order_relaxed) || w->n_held == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (unsigned int i = 0; i < w->n_held; i++)
			if (mpdp_shm_off_valid(w->held[i], sizeof(struct mpdp_mbuf)) &&
			    ph_obj_index(pool, mpdp_shm_ptr(w->held[i])) >= 0)
				sink += mpdp_mbuf_from_off(w->held[i])->data_len;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 2000000L &&
		 atomic_load_explicit(&w->linger, memory_order_relaxed));
	(void)sink;
}

static uint64_t rnd(void)
{
	static uint64_t x;

	if (x == 0)
		x = ((uint64_t)getpid() << 24) ^ 0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

#ifdef PW_ROLE_PRODUCER
static int worker_loop(unsigned int idx, struct ph_worker_shm *w)
{
	const uint64_t base = (uint64_t)idx * ctl->quota;
	struct mpdp_mbuf *mbufs[PH_BURST_MAX];
	unsigned int rr = idx, spins = 0;

	w->next = 0;
	w->n_held = 0;
	while (w->next < ctl->quota || w->n_held > 0) {
		unsigned int k;

		park();
		if (w->n_held == 0) {
			uint64_t left = ctl->quota - w->next;
			/* every burst size from 1 to burst */
			unsigned int n = 1 + (unsigned int)(rnd() % ctl->burst);

			if (atomic_load_explicit(&ctl->produce_stop, memory_order_relaxed))
				break;
			if (n > left)
				n = (unsigned int)left;

			phase_in(w);
			if (mpdp_mbuf_alloc_bulk(pool, mbufs, n) != 0) {
				phase_out(w);
				atomic_fetch_add_explicit(&w->alloc_fail, 1, memory_order_relaxed);
				idle(w, &spins);
				continue;
			}
			/* stamped and published before the phase ends */
			for (unsigned int i = 0; i < n; i++) {
				uint64_t seq = base + w->next + i;
				uint64_t off = mpdp_shm_off(mbufs[i]);
				uint64_t *d =
					(uint64_t *)(void *)mpdp_mbuf_append(mbufs[i], PH_PAYLOAD);

				d[0] = seq;
				d[1] = ph_check_word(seq, off);
				w->held[i] = off;
			}
			w->n_held = n;
			phase_out(w);
		}
		linger(w);
		phase_in(w);
		k = mpdp_ring_mp_enqueue_burst(st_rings[rr++ % ctl->nb_rings], w->held, w->n_held,
					       NULL);
		if (k > 0) {
			memmove(w->held, w->held + k, (w->n_held - k) * sizeof(w->held[0]));
			w->n_held -= k;
			w->next += k;
			atomic_store_explicit(&w->count, w->next, memory_order_relaxed);
		}
		phase_out(w);
		if (k > 0)
			spins = 0;
		else
			idle(w, &spins);
	}
	/* stay parkable until told to go, so that a pause sees every worker */
	atomic_store(&w->state, PH_W_FINISHED);
	while (atomic_load_explicit(&ctl->stop, memory_order_acquire) == PH_STOP_NO) {
		park();
		usleep(1000);
	}
	return 0;
}
#endif

#ifdef PW_ROLE_CONSUMER
static int rings_empty(void)
{
	for (unsigned int r = 0; r < ctl->nb_rings; r++)
		if (mpdp_ring_count(st_rings[r]) != 0)
			return 0;
	return 1;
}

static void record_bad(uint64_t off, uint64_t w0, uint64_t w1)
{
	uint64_t zero = 0;

	if (atomic_fetch_add(&ctl->bad, 1) == 0 &&
	    atomic_compare_exchange_strong(&ctl->bad_off, &zero, off)) {
		atomic_store(&ctl->bad_w0, w0);
		atomic_store(&ctl->bad_w1, w1);
	}
}

static int worker_loop(unsigned int idx, struct ph_worker_shm *w)
{
	struct mpdp_mbuf *mbufs[PH_BURST_MAX];
	uint64_t seqs[PH_BURST_MAX];
	unsigned int rr = idx, spins = 0;

	w->n_held = 0;
	for (;;) {
		unsigned int n, nf = 0, ns = 0;
		uint32_t stop;

		park();
		stop = atomic_load_explicit(&ctl->stop, memory_order_acquire);
		if (stop == PH_STOP_NOW)
			break;
		phase_in(w);
		n = mpdp_ring_mc_dequeue_burst(st_rings[rr++ % ctl->nb_rings], w->held,
					       1 + (unsigned int)(rnd() % ctl->burst), NULL);
		w->n_held = n;
		phase_out(w);
		if (n == 0) {
			if (stop == PH_STOP_DRAINED && rings_empty())
				break;
			idle(w, &spins);
			continue;
		}
		spins = 0;
		/* the offsets came from another process: check before use */
		for (unsigned int i = 0; i < n; i++) {
			uint64_t off = w->held[i];
			struct mpdp_mbuf *m;
			const uint64_t *d;

			if (!mpdp_shm_off_valid(off, sizeof(*m)) ||
			    ph_obj_index(pool, mpdp_shm_ptr(off)) < 0) {
				record_bad(off, 0, 0);
				continue; /* not an mbuf: nothing to free */
			}
			m = mpdp_mbuf_from_off(off);
			mbufs[nf++] = m;
			d = mpdp_mbuf_mtod(m, const uint64_t *);
			if (m->data_len != PH_PAYLOAD || m->pkt_len != PH_PAYLOAD ||
			    m->nb_segs != 1 || mpdp_mbuf_refcnt_read(m) != 1 ||
			    d[0] >= ctl->nb_bits || d[1] != ph_check_word(d[0], off)) {
				record_bad(off, d[0], d[1]);
				continue;
			}
			seqs[ns++] = d[0];
		}
		linger(w);
		/* recording and freeing count as one step for the kill test */
		phase_in(w);
		for (unsigned int i = 0; i < ns; i++) {
			uint64_t bit = 1ULL << (seqs[i] % 64);

			if (atomic_fetch_or_explicit(&bitmap[seqs[i] / 64], bit,
						     memory_order_relaxed) &
			    bit)
				atomic_fetch_add_explicit(&ctl->dups, 1, memory_order_relaxed);
		}
		mpdp_mbuf_free_bulk(mbufs, nf);
		w->n_held = 0;
		phase_out(w);
		atomic_fetch_add_explicit(&w->count, n, memory_order_relaxed);
	}
	return 0;
}
#endif

static int attach_state(void)
{
	struct mpdp_memzone mz;
	int err = 0, rc;

	rc = mpdp_memzone_lookup(PH_CTL_NAME, &mz);
	if (rc != 0 || mz.len < sizeof(*ctl)) {
		fprintf(stderr, PW_NAME ": memzone " PH_CTL_NAME ": %s\n",
			strerror(rc ? -rc : EPROTO));
		return -1;
	}
	ctl = mz.addr;
	/* pairs with the primary's release store of the magic */
	if (atomic_load_explicit((_Atomic uint64_t *)&ctl->magic, memory_order_acquire) !=
	    PH_CTL_MAGIC) {
		fprintf(stderr, PW_NAME ": " PH_CTL_NAME " is not ready\n");
		return -1;
	}
	rc = mpdp_memzone_lookup(PH_BITMAP_NAME, &mz);
	if (rc != 0 || mz.len < (ctl->nb_bits + 63) / 64 * 8) {
		fprintf(stderr, PW_NAME ": memzone " PH_BITMAP_NAME ": %s\n",
			strerror(rc ? -rc : EPROTO));
		return -1;
	}
	bitmap = mz.addr;
	pool = mpdp_mempool_lookup(PH_POOL_NAME, &err);
	if (pool == NULL) {
		fprintf(stderr, PW_NAME ": pool " PH_POOL_NAME ": %s\n", strerror(-err));
		return -1;
	}
	if (ctl->nb_rings == 0 || ctl->nb_rings > PH_MAX_RINGS || ctl->burst == 0 ||
	    ctl->burst > PH_BURST_MAX) {
		fprintf(stderr, PW_NAME ": " PH_CTL_NAME " has bad geometry\n");
		return -1;
	}
	for (unsigned int i = 0; i < ctl->nb_rings; i++) {
		char name[MPDP_RING_NAME_SIZE];

		snprintf(name, sizeof(name), PH_RING_FMT, i);
		st_rings[i] = mpdp_ring_attach(name, &err);
		if (st_rings[i] == NULL) {
			fprintf(stderr, PW_NAME ": ring %s: %s\n", name, strerror(-err));
			return -1;
		}
	}
	return 0;
}

static int sub_run(const char *arg)
{
	struct ph_worker_shm *w;
	unsigned long idx;
	char *end;
	int rc;

	if (attach_state() != 0)
		return 1;
	idx = strtoul(arg, &end, 10);
#ifdef PW_ROLE_PRODUCER
	if (*end != '\0' || idx >= ctl->nb_prod) {
#else
	if (*end != '\0' || idx < ctl->nb_prod || idx >= ctl->nb_prod + ctl->nb_cons) {
#endif
		fprintf(stderr, PW_NAME ": worker index %s out of range\n", arg);
		return 2;
	}
	w = &ctl->w[idx];
	atomic_store(&w->pid, (int32_t)getpid());
	atomic_store(&w->lcore, mpdp_lcore_id());
	atomic_store(&w->state, PH_W_RUNNING);
	mh_say("RUNNING idx=%lu pid=%d lcore=%u", idx, (int)getpid(), mpdp_lcore_id());
	rc = worker_loop((unsigned int)idx, w);
	/* what the primary's exit hook will have to return */
	atomic_store(&w->cache_at_exit, mpdp_mempool_lcore_(pool, mpdp_lcore_id())->cache_len);
	atomic_store(&w->state, PH_W_DONE);
	mh_say("DONE idx=%lu count=%" PRIu64 " idle=%" PRIu64 " cache=%" PRIu64, idx,
	       atomic_load(&w->count), atomic_load(&w->idle), atomic_load(&w->cache_at_exit));
	return rc;
}

/* ---- shell ------------------------------------------------------------------------- */

static int occupy(uintptr_t base, size_t len)
{
	void *p = mmap((void *)base, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED || p != (void *)base) {
		fprintf(stderr, PW_NAME ": cannot occupy [%#lx, +%zu): %s\n", (unsigned long)base,
			len, p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
		if (p != MAP_FAILED)
			munmap(p, len);
		return -1;
	}
	mh_say("OCCUPIED %#lx %zu", (unsigned long)base, len);
	return 0;
}

static int shell_cmd(int argc, char **argv)
{
	return pc_command(argc, argv);
}

static int sub_shell(void)
{
	struct mpdp_heap_info h;

	mpdp_heap_info(&h);
	mh_say("READY %d %p %zu proc_id=%d lcores=%u", (int)getpid(), h.base, h.len, mpdp_proc_id(),
	       mpdp_lcore_main());
	mh_loop(shell_cmd, -1, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sub = mh_subcommand(argc, argv);
	char **rest = NULL;
	int nrest = 0, n, rc;

	mh_setup();
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--") == 0) {
			rest = &argv[i + 2];
			nrest = argc - i - 2;
			break;
		}
	if (sub == NULL) {
		fprintf(stderr, PW_NAME ": no sub-command%s", usage);
		return 2;
	}
	if (strcmp(sub, "shell") == 0) {
		if (nrest % 2 != 0) {
			fprintf(stderr, PW_NAME ": shell takes BASE LEN pairs%s", usage);
			return 2;
		}
		for (int i = 0; i < nrest; i += 2)
			if (occupy((uintptr_t)strtoull(rest[i], NULL, 0),
				   (size_t)strtoull(rest[i + 1], NULL, 0)) != 0)
				return 2;
	} else if (strcmp(sub, "run") != 0 || nrest < 1) {
		fprintf(stderr, PW_NAME ": unknown sub-command '%s'%s", sub, usage);
		return 2;
	}
	mh_block_term();
	n = mpdp_init(argc, argv);
	if (n < 0)
		return mpdp_init_failed(n, usage);
	if (strcmp(sub, "shell") == 0)
		rc = sub_shell();
	else
		rc = sub_run(rest[0]);
	mpdp_cleanup();
	return rc;
}
