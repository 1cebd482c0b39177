/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_proc_table.c - the process table and lcore ids.
 *
 * A primary with -l 0 and two secondaries with -l 0 and -l 1 (-l 0 for both
 * on a one-CPU machine): the table lists the three with their pids and roles,
 * and their lcore ids are distinct although two of them run on CPU 0. A
 * secondary killed with SIGKILL disappears from the table and its lcore id
 * is free again (seen by the other secondary through mpdp_proc_walk(), within
 * milliseconds; polled up to 2 s); a new secondary gets the freed id. A
 * secondary that exits cleanly is removed too.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpdp_test.h"

struct entry {
	int proc_id, pid;
	char type;
	unsigned int lcores[8], nb_lcores;
};

/* Parse "procs=0:PID:P:0,1:PID:S:1/2,..." of a procs reply. */
static int parse_procs(const char *line, struct entry *e, int max)
{
	char list[4096], *save = NULL, *tok;
	int n = 0;

	if (!mt_field(line, "procs", list, sizeof(list)) || strcmp(list, "-") == 0)
		return 0;
	for (tok = strtok_r(list, ",", &save); tok != NULL && n < max;
	     tok = strtok_r(NULL, ",", &save)) {
		char lc[256], *s2 = NULL, *l;

		memset(&e[n], 0, sizeof(e[n]));
		if (sscanf(tok, "%d:%d:%c:%255s", &e[n].proc_id, &e[n].pid, &e[n].type, lc) != 4)
			MT_FAIL("bad process entry '%s' in %s", tok, line);
		for (l = strtok_r(lc, "/", &s2); l != NULL && e[n].nb_lcores < 8;
		     l = strtok_r(NULL, "/", &s2))
			e[n].lcores[e[n].nb_lcores++] = (unsigned int)atoi(l);
		n++;
	}
	return n;
}

static const struct entry *find_pid(const struct entry *e, int n, int pid)
{
	for (int i = 0; i < n; i++)
		if (e[i].pid == pid)
			return &e[i];
	return NULL;
}

static int lcore_used(const struct entry *e, int n, unsigned int id)
{
	for (int i = 0; i < n; i++)
		for (unsigned int k = 0; k < e[i].nb_lcores; k++)
			if (e[i].lcores[k] == id)
				return 1;
	return 0;
}

/* Poll s's view of the table until pid is gone and lcore is free, up to 2 s. */
static void expect_gone(struct mt_proc *s, int pid, unsigned int lcore, const char *what)
{
	uint64_t t0 = mt_now_ms();
	struct entry e[16];
	char line[4096];
	int n;

	for (;;) {
		mt_cmd_ok(s, line, sizeof(line), 5000, "procs");
		n = parse_procs(line, e, 16);
		if (find_pid(e, n, pid) == NULL && !lcore_used(e, n, lcore))
			break;
		if (mt_now_ms() - t0 > 2000)
			MT_FAIL("%s: pid %d / lcore %u still in the table after 2 s: %s", what, pid,
				lcore, line);
		mt_sleep_ms(5);
	}
	mt_log("%s: gone from the table after %llu ms", what,
	       (unsigned long long)(mt_now_ms() - t0));
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, a, b, c;
	struct mt_ready rp, ra, rb, rc;
	struct entry e[16];
	char line[4096];
	const char *cpu_b = "1";
	cpu_set_t set;
	int n;

	mt_init("proc_table", 25);
	if (sched_getaffinity(0, sizeof(set), &set) != 0 || !CPU_ISSET(0, &set))
		mt_skip("CPU 0 is not available to this process (-l 0 would be refused)");
	if (!CPU_ISSET(1, &set)) {
		mt_log("CPU 1 is not available: the second secondary runs on CPU 0 too");
		cpu_b = "0";
	}
	mt_env_init(&env, "procs");
	mt_start_primary(&p, "p", &env, &rp, "-l", "0", NULL);
	mt_start_secondary(&a, "a", &env, &ra, "-l", "0", NULL);
	mt_start_secondary(&b, "b", &env, &rb, "-l", cpu_b, NULL);

	/* three processes, the right pids and roles, distinct lcore ids */
	mt_cmd_ok(&b, line, sizeof(line), 5000, "procs");
	n = parse_procs(line, e, 16);
	MT_ASSERT(n == 3, "want 3 processes, got %d: %s", n, line);
	MT_CHECK(e[0].proc_id == 0 && e[0].pid == rp.pid && e[0].type == 'P',
		 "first entry is not the primary (pid %d): %s", (int)rp.pid, line);
	MT_CHECK(find_pid(e, n, ra.pid) && find_pid(e, n, ra.pid)->type == 'S' &&
			 find_pid(e, n, ra.pid)->proc_id == ra.proc_id,
		 "secondary a (pid %d, proc %d) not listed as such: %s", (int)ra.pid, ra.proc_id,
		 line);
	MT_CHECK(find_pid(e, n, rb.pid) && find_pid(e, n, rb.pid)->type == 'S' &&
			 find_pid(e, n, rb.pid)->proc_id == rb.proc_id,
		 "secondary b (pid %d, proc %d) not listed as such: %s", (int)rb.pid, rb.proc_id,
		 line);
	MT_CHECK(ra.proc_id != rb.proc_id && ra.proc_id > 0 && rb.proc_id > 0, "proc ids %d and %d",
		 ra.proc_id, rb.proc_id);
	for (int i = 0; i < n; i++) {
		MT_CHECK(e[i].nb_lcores == 1, "process %d has %u lcores, want 1", e[i].proc_id,
			 e[i].nb_lcores);
		for (int j = 0; j < i; j++)
			MT_CHECK(e[i].lcores[0] != e[j].lcores[0],
				 "lcore id %u is owned by processes %d and %d: %s", e[i].lcores[0],
				 e[i].proc_id, e[j].proc_id, line);
	}
	MT_CHECK(e[0].lcores[0] == 0, "the primary on CPU 0 should have lcore id 0: %s", line);
	MT_CHECK((unsigned int)atoi(ra.lcores) == find_pid(e, n, ra.pid)->lcores[0],
		 "secondary a thinks its lcore is %s, the table says %u", ra.lcores,
		 find_pid(e, n, ra.pid)->lcores[0]);
	/* the primary and the other secondary see the same table */
	{
		char other[4096];

		mt_cmd_ok(&p, other, sizeof(other), 5000, "procs");
		MT_CHECK(strcmp(other, line) == 0, "tables differ:\n b: %s\n p: %s", line, other);
		mt_cmd_ok(&a, other, sizeof(other), 5000, "procs");
		MT_CHECK(strcmp(other, line) == 0, "tables differ:\n b: %s\n a: %s", line, other);
	}

	/* SIGKILL: removed and its lcore released, seen by the other secondary */
	{
		unsigned int lc_a = find_pid(e, n, ra.pid)->lcores[0];

		mt_kill(&a, SIGKILL);
		MT_ASSERT(mt_wait_exit(&a, 5000) == 0, "a did not die");
		mt_proc_fini(&a);
		expect_gone(&b, ra.pid, lc_a, "killed secondary");

		/* the freed id goes to the next secondary that asks for CPU 0 */
		mt_start_secondary(&c, "c", &env, &rc, "-l", "0", NULL);
		MT_CHECK((unsigned int)atoi(rc.lcores) == lc_a,
			 "new secondary on CPU 0 got lcore %s, want the freed %u", rc.lcores, lc_a);
	}

	/* a clean exit: removed too */
	{
		unsigned int lc_c = (unsigned int)atoi(rc.lcores);

		mt_stop(&c, 10000);
		mt_proc_fini(&c);
		expect_gone(&b, rc.pid, lc_c, "cleanly exited secondary");
	}
	mt_cmd_ok(&b, line, sizeof(line), 5000, "procs");
	MT_CHECK(mt_field_ll(line, "n") == 2, "want the primary and b left: %s", line);

	mt_stop(&b, 10000);
	mt_proc_fini(&b);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	return mt_done();
}
