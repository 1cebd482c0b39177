/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pool_addresses.c - mbufs between processes that mapped the heap at
 * different addresses (DESIGN.md rule 2: nothing in an mbuf is a pointer).
 *
 * Three processes of three programs, three heap addresses: the pool primary;
 * A (mpdp-test-pool-producer), which first occupies the primary's heap range
 * so its kernel must map the heap elsewhere; B (mpdp-test-pool-consumer),
 * which occupies both the primary's and A's ranges.
 *
 *  1. A builds packets of three chained segments (segments linked by heap
 *     offsets), pattern data, a private area, and clones of two of them;
 *     enqueues them by offset.
 *  2. B dequeues: each segment is at the same heap offset as in A, its data
 *     (mtod) at the same heap offset but another address, the bytes are
 *     A's, walking the chain by offsets works, mpdp_mbuf_read() across the
 *     segments works, the IOVA is the heap offset, the clones share the
 *     originals' buffers (refcnt 2). B frees the clones (refcnt back to 1),
 *     rewrites the packets and passes them to the primary.
 *  3. The primary checks B's content the same way and frees the packets.
 *  4. The other direction: the primary builds, B reads and frees.
 *  5. The pool's audit is clean: nothing in use, every clone and segment
 *     freed exactly once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpdp_test.h"

struct view {
	const char *who;
	uintptr_t base;
	char line[8192];
};

static unsigned long long first_off(const char *list)
{
	return strtoull(list, NULL, 0);
}

/*
 * Packet i in both views: same segment offsets, same data offsets; the data
 * address is base + data offset in each, and differs between the two.
 */
static void compare(const struct view *x, const struct view *y, unsigned int i)
{
	char k[16], mx[512], my[512], dx[512], dy[512], ax[32], ay[32];
	unsigned long long addr_x, addr_y, d0;

	snprintf(k, sizeof(k), "m%u", i);
	MT_ASSERT(mt_field(x->line, k, mx, sizeof(mx)) && mt_field(y->line, k, my, sizeof(my)),
		  "no %s in %s's or %s's reply", k, x->who, y->who);
	snprintf(k, sizeof(k), "d%u", i);
	MT_ASSERT(mt_field(x->line, k, dx, sizeof(dx)) && mt_field(y->line, k, dy, sizeof(dy)),
		  "no %s in %s's or %s's reply", k, x->who, y->who);
	snprintf(k, sizeof(k), "a%u", i);
	MT_ASSERT(mt_field(x->line, k, ax, sizeof(ax)) && mt_field(y->line, k, ay, sizeof(ay)),
		  "no %s in %s's or %s's reply", k, x->who, y->who);
	MT_CHECK(strcmp(mx, my) == 0, "packet %u: segments at heap offsets %s in %s, %s in %s", i,
		 mx, x->who, my, y->who);
	MT_CHECK(strcmp(dx, dy) == 0, "packet %u: data at heap offsets %s in %s, %s in %s", i, dx,
		 x->who, dy, y->who);
	addr_x = strtoull(ax, NULL, 0);
	addr_y = strtoull(ay, NULL, 0);
	d0 = first_off(dx);
	MT_CHECK(addr_x - x->base == d0 && addr_y - y->base == d0,
		 "packet %u: mtod %#llx in %s (base %#llx), %#llx in %s (base %#llx), heap offset "
		 "%#llx",
		 i, addr_x, x->who, (unsigned long long)x->base, addr_y, y->who,
		 (unsigned long long)y->base, d0);
	MT_CHECK(addr_x != addr_y, "packet %u: mtod is %#llx in both %s and %s", i, addr_x, x->who,
		 y->who);
}

static void start_shell(struct mt_proc *s, const char *label, const char *var,
			const struct mt_env *env, const struct mt_ready *occ1,
			const struct mt_ready *occ2, struct mt_ready *r)
{
	struct mt_argv a;
	char line[512];

	mt_helper_argv(&a, mt_getenv_path(var), "secondary", env, NULL, "shell");
	mt_argv_addf(&a, "%#llx", (unsigned long long)occ1->base);
	mt_argv_addf(&a, "%zu", occ1->len);
	if (occ2 != NULL) {
		mt_argv_addf(&a, "%#llx", (unsigned long long)occ2->base);
		mt_argv_addf(&a, "%zu", occ2->len);
	}
	mt_spawn(s, label, &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(s, "OCCUPIED", line, sizeof(line), 10000) == 1,
		  "%s could not occupy the heap range(s) of the others", label);
	MT_ASSERT(mt_wait_line(s, "READY", line, sizeof(line), 10000) == 1,
		  "%s did not attach with the others' heap ranges occupied (%s)", label,
		  mt_status_str(s));
	MT_ASSERT(mt_parse_ready(line, r) == 0, "bad READY line: %s", line);
}

static int overlap(const struct mt_ready *x, const struct mt_ready *y)
{
	return x->base < y->base + y->len && y->base < x->base + x->len;
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, sa, sb;
	struct mt_ready rp, ra, rb;
	struct view vp = { .who = "primary" }, va = { .who = "A" }, vb = { .who = "B" };
	char line[1024];

	mt_init("pool_addresses", 60);
	mt_env_init(&env, "pooladdr");
	mt_start_program(&p, "p", mt_getenv_path("MPDP_TEST_POOL_PRIMARY"), "primary", "serve",
			 &env, &rp, "--mem", "32M", NULL);
	mt_cmd_ok(&p, line, sizeof(line), 10000, "pool-create ad.pool 512 16 - 1024 16");
	mt_cmd_ok(&p, line, sizeof(line), 10000, "ring-create ad.a2b 128");
	mt_cmd_ok(&p, line, sizeof(line), 10000, "ring-create ad.b2p 128");

	start_shell(&sa, "A", "MPDP_TEST_POOL_PRODUCER", &env, &rp, NULL, &ra);
	start_shell(&sb, "B", "MPDP_TEST_POOL_CONSUMER", &env, &rp, &ra, &rb);
	mt_log("heap at %#llx in the primary, %#llx in A, %#llx in B (%zu bytes)",
	       (unsigned long long)rp.base, (unsigned long long)ra.base,
	       (unsigned long long)rb.base, rp.len);
	MT_ASSERT(ra.len == rp.len && rb.len == rp.len, "heap lengths differ");
	MT_ASSERT(!overlap(&rp, &ra) && !overlap(&rp, &rb) && !overlap(&ra, &rb),
		  "the three heap mappings are not disjoint");
	vp.base = rp.base;
	va.base = ra.base;
	vb.base = rb.base;

	/* 1-3. A builds, B checks and rewrites, the primary checks and frees */
	mt_cmd_ok(&sa, va.line, sizeof(va.line), 10000, "mbuf-build ad.pool ad.a2b 8 3 1234 2");
	MT_CHECK(mt_field_ull(va.line, "built") == 10, "A built: %s", va.line);
	mt_cmd_ok(&sb, vb.line, sizeof(vb.line), 10000,
		  "mbuf-inspect ad.a2b 8 3 1234 2 ad.b2p 5678");
	MT_CHECK(mt_field_ull(vb.line, "checked") == 10 && mt_field_ull(vb.line, "bad") == 0,
		 "B's check of A's packets: %s", vb.line);
	for (unsigned int i = 0; i < 10; i++)
		compare(&va, &vb, i);
	mt_cmd_ok(&p, vp.line, sizeof(vp.line), 10000, "mbuf-inspect ad.b2p 8 3 5678 0 - 0");
	MT_CHECK(mt_field_ull(vp.line, "checked") == 8 && mt_field_ull(vp.line, "bad") == 0,
		 "the primary's check of B's packets: %s", vp.line);
	for (unsigned int i = 0; i < 8; i++)
		compare(&va, &vp, i);

	/* 4. the other way: the primary builds, B reads and frees */
	mt_cmd_ok(&p, vp.line, sizeof(vp.line), 10000, "mbuf-build ad.pool ad.a2b 6 4 99 3");
	mt_cmd_ok(&sb, vb.line, sizeof(vb.line), 10000, "mbuf-inspect ad.a2b 6 4 99 3 - 0");
	MT_CHECK(mt_field_ull(vb.line, "checked") == 9 && mt_field_ull(vb.line, "bad") == 0,
		 "B's check of the primary's packets: %s", vb.line);
	for (unsigned int i = 0; i < 9; i++)
		compare(&vp, &vb, i);

	/* 5. every segment and clone went back exactly once */
	mt_cmd_ok(&p, line, sizeof(line), 10000, "pool-audit ad.pool");
	MT_CHECK(mt_field_ll(line, "rc") == 0 && mt_field_ull(line, "in_use") == 0 &&
			 mt_field_ull(line, "stats_in_use") == 0 &&
			 mt_field_ull(line, "duplicates") == 0 &&
			 mt_field_ull(line, "bad_entries") == 0,
		 "audit after the exchange: %s", line);

	mt_stop(&sa, 10000);
	mt_stop(&sb, 10000);
	mt_proc_fini(&sa);
	mt_proc_fini(&sb);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	mt_env_fini(&env);
	return mt_done();
}
