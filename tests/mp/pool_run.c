/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool_run.c - the orchestration of the mempool stress tests (pool_run.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool_run.h"

#if defined(__SANITIZE_ADDRESS__)
#define PR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PR_ASAN 1
#endif
#endif

int pr_sanitized(void)
{
#ifdef PR_ASAN
	return 1;
#else
	return 0;
#endif
}

uint64_t pr_quota(uint64_t dflt, unsigned int asan_div)
{
	const char *s = getenv("MPDP_TEST_POOL_QUOTA");

	if (s != NULL && *s != '\0') {
		uint64_t v = strtoull(s, NULL, 0);

		MT_ASSERT(v > 0, "MPDP_TEST_POOL_QUOTA='%s' is not a count", s);
		return v;
	}
	return pr_sanitized() ? dflt / asan_div : dflt;
}

uint64_t pr_budget_ms(unsigned int dflt_s, unsigned int asan_s)
{
	const char *s = getenv("MPDP_TEST_POOL_SECONDS");

	if (s != NULL && *s != '\0') {
		double v = strtod(s, NULL);

		MT_ASSERT(v > 0, "MPDP_TEST_POOL_SECONDS='%s' is not a duration", s);
		return (uint64_t)(v * 1000.0);
	}
	return (uint64_t)(pr_sanitized() ? asan_s : dflt_s) * 1000;
}

void pr_run_until(struct pr_run *r, uint64_t t_ms)
{
	char line[1024], states[PR_MAX_WORKERS + 1];

	for (;;) {
		unsigned int i;

		pr_progress(r, NULL, line, sizeof(line));
		MT_ASSERT(mt_field(line, "states", states, sizeof(states)), "st-progress: %s",
			  line);
		for (i = 0; i < r->cfg.nb_prod && states[i] == 'F'; i++)
			;
		if (i == r->cfg.nb_prod || mt_now_ms() >= r->t_start_ms + t_ms)
			return;
		mt_sleep_ms(500);
	}
}

uint64_t pr_run_floor(struct pr_run *r, uint64_t floor, uint64_t t_max_ms)
{
	char line[1024], states[PR_MAX_WORKERS + 1];
	uint64_t produced;

	for (;;) {
		unsigned int i;

		pr_progress(r, &produced, line, sizeof(line));
		MT_ASSERT(mt_field(line, "states", states, sizeof(states)), "st-progress: %s",
			  line);
		for (i = 0; i < r->cfg.nb_prod && states[i] == 'F'; i++)
			;
		if (produced >= floor || i == r->cfg.nb_prod ||
		    mt_now_ms() >= r->t_start_ms + t_max_ms)
			return produced;
		mt_sleep_ms(500);
	}
}

static void spawn_worker(struct pr_run *r, unsigned int i)
{
	const char *bin = i < r->cfg.nb_prod ? mt_getenv_path("MPDP_TEST_POOL_PRODUCER") :
					       mt_getenv_path("MPDP_TEST_POOL_CONSUMER");
	struct mt_argv a;
	char label[16];

	snprintf(label, sizeof(label), "%s%u", i < r->cfg.nb_prod ? "prod" : "cons", i);
	mt_helper_argv(&a, bin, "secondary", r->env, NULL, "run");
	mt_argv_addf(&a, "%u", i);
	mt_spawn(&r->w[i], label, &a);
	mt_argv_fini(&a);
}

void pr_start(struct pr_run *r, struct mt_env *env, const struct pr_cfg *cfg)
{
	unsigned int nw = cfg->nb_prod + cfg->nb_cons;
	char line[1024];

	MT_ASSERT(nw <= PR_MAX_WORKERS, "%u workers, at most %d", nw, PR_MAX_WORKERS);
	memset(r, 0, sizeof(*r));
	r->env = env;
	r->cfg = *cfg;
	mt_start_program(&r->primary, "p", mt_getenv_path("MPDP_TEST_POOL_PRIMARY"), "primary",
			 "serve", env, NULL, "--mem", "64M", NULL);
	mt_cmd_ok(&r->primary, line, sizeof(line), 10000, "st-setup %u %u %llu %u %u %u %u %u",
		  cfg->nb_prod, cfg->nb_cons, (unsigned long long)cfg->quota, cfg->burst,
		  cfg->nb_rings, cfg->pool_n, cfg->cache, cfg->ring_count);
	/* consumers first: they are there when the first mbuf comes */
	for (unsigned int i = cfg->nb_prod; i < nw; i++)
		spawn_worker(r, i);
	for (unsigned int i = 0; i < cfg->nb_prod; i++)
		spawn_worker(r, i);
	r->t_start_ms = mt_now_ms();
	for (unsigned int i = 0; i < nw; i++) {
		MT_ASSERT(mt_wait_line(&r->w[i], "RUNNING", line, sizeof(line), 15000) == 1,
			  "%s did not start (%s)", r->w[i].label, mt_status_str(&r->w[i]));
		r->pid[i] = (int)mt_field_ll(line, "pid");
		r->lcore[i] = (unsigned int)mt_field_ull(line, "lcore");
		MT_ASSERT(r->pid[i] == r->w[i].pid, "%s: RUNNING names pid %d", r->w[i].label,
			  r->pid[i]);
	}
	/* lcore ids are unique in the instance: no two workers share a cache */
	for (unsigned int i = 0; i < nw; i++)
		for (unsigned int j = i + 1; j < nw; j++)
			MT_CHECK(r->lcore[i] != r->lcore[j], "%s and %s both run lcore %u",
				 r->w[i].label, r->w[j].label, r->lcore[i]);
}

uint64_t pr_progress(struct pr_run *r, uint64_t *produced, char *line, size_t size)
{
	mt_cmd_ok(&r->primary, line, size, 10000, "st-progress");
	if (produced != NULL)
		*produced = mt_field_ull(line, "produced");
	MT_ASSERT(mt_field_ull(line, "dups") == 0 && mt_field_ull(line, "bad") == 0,
		  "consumers saw duplicates or bad mbufs: %s", line);
	return mt_field_ull(line, "consumed");
}

void pr_wait_consumed(struct pr_run *r, uint64_t target, int timeout_ms)
{
	uint64_t deadline = mt_now_ms() + (uint64_t)timeout_ms;
	char line[1024];

	for (;;) {
		uint64_t c = pr_progress(r, NULL, line, sizeof(line));

		if (c >= target)
			return;
		MT_ASSERT(mt_now_ms() < deadline, "consumed %llu of %llu after %d ms: %s",
			  (unsigned long long)c, (unsigned long long)target, timeout_ms, line);
		mt_sleep_ms(250);
	}
}

void pr_wait_finished(struct pr_run *r, int skip, int timeout_ms, char *line, size_t size)
{
	uint64_t deadline = mt_now_ms() + (uint64_t)timeout_ms;
	char states[PR_MAX_WORKERS + 1];

	for (;;) {
		unsigned int i;

		pr_progress(r, NULL, line, size);
		MT_ASSERT(mt_field(line, "states", states, sizeof(states)), "st-progress: %s",
			  line);
		for (i = 0; i < r->cfg.nb_prod; i++)
			if ((int)i != skip && states[i] != 'F' && states[i] != 'D')
				break;
		if (i == r->cfg.nb_prod)
			return;
		MT_ASSERT(mt_now_ms() < deadline, "producers not finished after %d ms: %s",
			  timeout_ms, line);
		mt_sleep_ms(250);
	}
}

void pr_expect_done(struct pr_run *r, unsigned int i, int timeout_ms)
{
	char line[512];

	mt_expect_exit(&r->w[i], 0, timeout_ms);
	r->gone[i] = 1;
	MT_CHECK(mt_wait_line(&r->w[i], "DONE", line, sizeof(line), 0) == 1,
		 "%s exited without its DONE line", r->w[i].label);
}

void pr_wait_unlisted(struct pr_run *r, int pid, int timeout_ms)
{
	uint64_t deadline = mt_now_ms() + (uint64_t)timeout_ms;
	char line[4096], needle[32];

	snprintf(needle, sizeof(needle), ":%d:", pid);
	for (;;) {
		mt_cmd_ok(&r->primary, line, sizeof(line), 5000, "procs");
		if (strstr(line, needle) == NULL)
			return;
		MT_ASSERT(mt_now_ms() < deadline,
			  "pid %d is still in the process table %d ms after it ended: %s", pid,
			  timeout_ms, line);
		mt_sleep_ms(20);
	}
}

void pr_wait_only_primary(struct pr_run *r, int timeout_ms)
{
	for (unsigned int i = 0; i < r->cfg.nb_prod + r->cfg.nb_cons; i++)
		pr_wait_unlisted(r, r->pid[i], timeout_ms);
}

void pr_finish(struct pr_run *r)
{
	mt_stop(&r->primary, 10000);
	mt_proc_fini(&r->primary);
	for (unsigned int i = 0; i < r->cfg.nb_prod + r->cfg.nb_cons; i++)
		mt_proc_fini(&r->w[i]);
}
