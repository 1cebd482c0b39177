/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_position_independence.c - DESIGN.md rule 2: a secondary maps the heap
 * wherever its kernel puts it.
 *
 * The secondary occupies the primary's heap address range with
 * mmap(MAP_FIXED_NOREPLACE) before mpdp_init(), so it cannot map the heap at
 * the primary's address. It must attach anyway, find the memzones at the same
 * offsets (at other addresses) with the primary's content, and its writes
 * must be what the primary reads (and the other way round).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpdp_test.h"

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s;
	struct mt_ready rp, rs;
	struct mt_argv a;
	char line[512], base[32], len[32];
	unsigned long long p_off, s_off, p_addr, s_addr;

	mt_init("position_independence", 25);
	mt_env_init(&env, "posind");
	mt_start_primary(&p, "p", &env, &rp, NULL);

	snprintf(base, sizeof(base), "%#llx", (unsigned long long)rp.base);
	snprintf(len, sizeof(len), "%zu", rp.len);
	mt_helper_argv(&a, mt_secondary_bin(), "secondary", &env, NULL, "pi-attach");
	mt_argv_add(&a, base, len, NULL);
	mt_spawn(&s, "sec", &a);
	mt_argv_fini(&a);
	MT_ASSERT(mt_wait_line(&s, "OCCUPIED", line, sizeof(line), 10000) == 1,
		  "the secondary could not occupy the primary's heap range");
	MT_ASSERT(mt_wait_line(&s, "READY", line, sizeof(line), 10000) == 1,
		  "the secondary did not attach with the primary's heap range occupied");
	MT_ASSERT(mt_parse_ready(line, &rs) == 0, "bad READY line: %s", line);
	mt_log("primary heap at %#llx, secondary heap at %#llx, %zu bytes",
	       (unsigned long long)rp.base, (unsigned long long)rs.base, rp.len);
	MT_CHECK(rs.len == rp.len, "heap length %zu in the secondary, %zu in the primary", rs.len,
		 rp.len);
	MT_CHECK(rs.base + rs.len <= rp.base || rs.base >= rp.base + rp.len,
		 "the secondary's heap [%#llx, +%zu) overlaps the occupied range [%#llx, +%zu)",
		 (unsigned long long)rs.base, rs.len, (unsigned long long)rp.base, rp.len);

	/* same offsets, other addresses, same content */
	mt_cmd_ok(&s, line, sizeof(line), 5000, "check-mz");
	MT_CHECK(strncmp(line, "OK CHECK ok", 11) == 0, "check of the primary's memzones: %s",
		 line);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-lookup test.shared");
	p_off = mt_field_ull(line, "off");
	p_addr = mt_field_ull(line, "addr");
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-lookup test.shared");
	s_off = mt_field_ull(line, "off");
	s_addr = mt_field_ull(line, "addr");
	MT_CHECK(p_off == s_off, "offset %#llx in the primary, %#llx in the secondary", p_off,
		 s_off);
	MT_CHECK(
		p_addr - rp.base == p_off && s_addr - rs.base == s_off && p_addr != s_addr,
		"addresses: primary %#llx (base %#llx), secondary %#llx (base %#llx), offset %#llx",
		p_addr, (unsigned long long)rp.base, s_addr, (unsigned long long)rs.base, p_off);

	/* the secondary writes, the primary reads; and the other way round */
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-fill test.shared 4242");
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-check test.shared 4242");
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-reserve sec.zone 100000 4096 777");
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-check sec.zone 777");
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-fill sec.zone 778");
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-check sec.zone 778");

	mt_stop(&s, 10000);
	mt_proc_fini(&s);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	return mt_done();
}
