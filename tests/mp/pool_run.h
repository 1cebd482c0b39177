/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool_run.h - the orchestration shared by the mp_pool_stress and
 * mp_pool_kill tests: a pool primary (mpdp-test-pool-primary), producer and
 * consumer secondaries (mpdp-test-pool-producer / -consumer, two more
 * programs), driven through the st-* commands (pool_primary.c).
 */
#ifndef POOL_RUN_H
#define POOL_RUN_H

#include <stdint.h>

#include "mpdp_test.h"

#define PR_MAX_WORKERS 16 /* PH_MAX_WORKERS */

struct pr_cfg {
	unsigned int nb_prod, nb_cons;
	uint64_t quota;         /* sequence numbers per producer */
	unsigned int burst;     /* mbufs per alloc / enqueue / dequeue */
	unsigned int nb_rings;  /* MP/MC rings between them */
	unsigned int ring_count;
	unsigned int pool_n;    /* mbufs in the pool */
	unsigned int cache;     /* per-lcore cache size */
};

struct pr_run {
	struct mt_env *env;
	struct pr_cfg cfg;
	struct mt_proc primary;
	struct mt_proc w[PR_MAX_WORKERS];
	int pid[PR_MAX_WORKERS];
	unsigned int lcore[PR_MAX_WORKERS];
	int gone[PR_MAX_WORKERS]; /* exited (or killed) and reaped */
	uint64_t t_start_ms;
};

/* 1 in sanitizer builds of the test (the helpers are built the same way). */
int pr_sanitized(void);

/*
 * Most sequence numbers per producer (the bitmap's size): MPDP_TEST_POOL_QUOTA
 * if set, else dflt (divided by asan_div in sanitizer builds).
 */
uint64_t pr_quota(uint64_t dflt, unsigned int asan_div);

/*
 * Production time budget in ms: MPDP_TEST_POOL_SECONDS if set, else dflt_s
 * (asan_s in sanitizer builds). Producers end at their quota or when the
 * budget is spent, whichever comes first.
 */
uint64_t pr_budget_ms(unsigned int dflt_s, unsigned int asan_s);

/*
 * Let the workers run until t_ms after pr_start() (or until every producer
 * finished its quota), watching st-progress for duplicates and damage.
 */
void pr_run_until(struct pr_run *r, uint64_t t_ms);

/*
 * Then, if fewer than floor mbufs were produced (a loaded machine), go on
 * until they were or until t_max_ms after pr_start(). Returns what was
 * produced.
 */
uint64_t pr_run_floor(struct pr_run *r, uint64_t floor, uint64_t t_max_ms);

/* Start the primary (label "p"), st-setup, then every worker; wait until all run. */
void pr_start(struct pr_run *r, struct mt_env *env, const struct pr_cfg *cfg);

/* st-progress: the reply goes to line; returns consumed, *produced if not NULL. */
uint64_t pr_progress(struct pr_run *r, uint64_t *produced, char *line, size_t size);

/* Wait until consumers freed at least target mbufs (fails the test on timeout). */
void pr_wait_consumed(struct pr_run *r, uint64_t target, int timeout_ms);

/*
 * Wait until every producer but skip (-1: none) enqueued its quota (state F
 * or D in st-progress); they then wait for st-stop. Returns the st-progress line.
 */
void pr_wait_finished(struct pr_run *r, int skip, int timeout_ms, char *line, size_t size);

/* Wait for worker i to exit with status 0; records it as gone. */
void pr_expect_done(struct pr_run *r, unsigned int i, int timeout_ms);

/* Wait until the primary's process table no longer lists pid (its exit hooks ran). */
void pr_wait_unlisted(struct pr_run *r, int pid, int timeout_ms);

/* Every worker unlisted: the table holds the primary only. */
void pr_wait_only_primary(struct pr_run *r, int timeout_ms);

/* Stop the primary (clean exit), release the workers' buffers. */
void pr_finish(struct pr_run *r);

#endif /* POOL_RUN_H */
