/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_skipped_stress.c - the skipped-device table's publication protocol
 * under ThreadSanitizer (suite 'tsan'): one thread of the primary adds
 * MPDP_BUS_SKIPPED_MAX entries while reader threads walk the table without
 * pause. TSan checks the ordering (every entry a reader copies was written
 * before the count that made it visible was released); the test checks the
 * values: every walk sees a prefix of the final list, never shorter than the
 * previous walk of the same thread, and every entry equal to what was added.
 *
 * Usage: test_skipped_stress [--rounds N]   (default 20; each round is a
 * fresh runtime, so a fresh table)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpdp/mpdp_bus.h>

#include "unit_util.h"

#define NB_READERS 3

static atomic_int writer_done;

static struct mpdp_bus_skipped entry(unsigned int i)
{
	struct mpdp_bus_skipped s;

	memset(&s, 0, sizeof(s));
	snprintf(s.bus, sizeof(s.bus), "pci");
	snprintf(s.name, sizeof(s.name), "dev-%u", i);
	s.vendor = (uint16_t)i;
	s.device = (uint16_t)~i;
	s.class_id = i * 7;
	snprintf(s.kdrv_name, sizeof(s.kdrv_name), "kdrv-%u", i);
	snprintf(s.reason, sizeof(s.reason), "reason %u, repeated: %u %u %u", i, i, i, i);
	return s;
}

struct reader {
	pthread_t thread;
	int last; /* entries seen by the previous walk */
	long walks;
	long errors;
	int index; /* next entry expected within the current walk */
};

static int check_cb(const struct mpdp_bus_skipped *s, void *arg)
{
	struct reader *r = arg;
	struct mpdp_bus_skipped want = entry((unsigned int)r->index++);

	if (strcmp(s->name, want.name) != 0 || strcmp(s->reason, want.reason) != 0 ||
	    strcmp(s->kdrv_name, want.kdrv_name) != 0 || strcmp(s->bus, want.bus) != 0 ||
	    s->vendor != want.vendor || s->device != want.device || s->class_id != want.class_id)
		r->errors++;
	return 0;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	int done;

	do {
		int n;

		/* read the flag first: the walk after it sees everything */
		done = atomic_load(&writer_done);
		r->index = 0;
		n = mpdp_bus_skipped_walk(check_cb, r);
		if (n < r->last || n > MPDP_BUS_SKIPPED_MAX || n != r->index)
			r->errors++;
		if (n > r->last)
			r->last = n;
		r->walks++;
	} while (!done);
	if (r->last != MPDP_BUS_SKIPPED_MAX)
		r->errors++;
	return NULL;
}

static void round_run(int round)
{
	struct reader readers[NB_READERS];
	int n;

	n = unit_init("--no-huge", "--mem", "8M", "--no-pci", "--proc-type", "primary", NULL);
	REQUIRE(n > 0);
	/* no drivers in this program: the table is not made by mpdp_init() */
	REQUIRE(mpdp_bus_skipped_init_() == 0);
	atomic_store(&writer_done, 0);
	memset(readers, 0, sizeof(readers));
	for (int i = 0; i < NB_READERS; i++)
		REQUIRE(pthread_create(&readers[i].thread, NULL, reader_main, &readers[i]) == 0);
	for (unsigned int i = 0; i < MPDP_BUS_SKIPPED_MAX; i++) {
		struct mpdp_bus_skipped s = entry(i);

		CHECK_EQ(mpdp_bus_skipped_add_(&s), 0);
	}
	atomic_store(&writer_done, 1);
	for (int i = 0; i < NB_READERS; i++) {
		pthread_join(readers[i].thread, NULL);
		if (readers[i].errors != 0)
			fprintf(stderr, "  round %d reader %d: %ld errors in %ld walks\n", round, i,
				readers[i].errors, readers[i].walks);
		CHECK_EQ(readers[i].errors, 0);
	}
	if (round == 0)
		fprintf(stderr, "round 0: %ld walks by reader 0\n", readers[0].walks);
	CHECK_EQ(mpdp_cleanup(), 0);
}

int main(int argc, char **argv)
{
	int rounds = 20;

	if (argc == 3 && strcmp(argv[1], "--rounds") == 0)
		rounds = atoi(argv[2]);
	unit_rt_setup("bus-skipped-stress");
	for (int r = 0; r < rounds; r++)
		round_run(r);
	unit_exit();
}
