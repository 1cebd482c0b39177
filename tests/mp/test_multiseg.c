/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_multiseg.c - a heap of more than one segment.
 *
 * --mem 1536M on tmpfs makes two segment files (1 GiB and 512 MiB) mapped
 * back to back. A memzone placed across the 1 GiB boundary (a filler takes
 * everything before it) must be one contiguous range for the primary and
 * for a secondary: written by one, read by the other, both ways.
 *
 * The primary fallocates the whole heap: the test needs 1.5 GiB free in
 * /dev/shm and in RAM, and is skipped (77) otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "mpdp_test.h"

#define GIB (1ULL << 30)
#define MIB (1ULL << 20)

static unsigned long long mem_available(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s;
	struct mt_ready rp, rs;
	struct statvfs sv;
	char line[1024];
	unsigned long long need = 1536 * MIB + 256 * MIB, shm_free, off, len;
	/* the primary's own zones end at 2 MiB (test.mz.b is 1 MiB at 1 MiB) */
	unsigned long long filler = GIB - 64 * 1024 - 2 * MIB;

	mt_init("multiseg", 25);
	if (statvfs("/dev/shm", &sv) != 0)
		mt_skip("cannot statvfs /dev/shm");
	shm_free = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (shm_free < need)
		mt_skip("/dev/shm has %llu MiB free, the 1536 MiB heap needs %llu", shm_free >> 20,
			need >> 20);
	if (mem_available() < need)
		mt_skip("%llu MiB of memory available, the 1536 MiB heap needs %llu",
			mem_available() >> 20, need >> 20);

	mt_env_init(&env, "mseg");
	mt_start_primary(&p, "p", &env, &rp, "--mem", "1536M", NULL);
	MT_ASSERT(rp.len == 1536 * MIB, "heap of %zu bytes, want 1536 MiB", rp.len);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "heap");
	MT_CHECK(mt_field_ll(line, "segs") == 2 && mt_field_ull(line, "seglen") == GIB &&
			 mt_field_ll(line, "huge") == 0,
		 "want 2 tmpfs segments of 1 GiB: %s", line);

	/* a memzone across the boundary at 1 GiB */
	mt_cmd_ok(&p, line, sizeof(line), 15000, "mz-reserve filler %llu 4096", filler);
	MT_CHECK(mt_field_ull(line, "off") + mt_field_ull(line, "len") == GIB - 64 * 1024,
		 "the filler does not end 64 KiB before 1 GiB: %s", line);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-reserve span %llu 64 31", 2 * MIB);
	off = mt_field_ull(line, "off");
	len = mt_field_ull(line, "len");
	MT_ASSERT(off < GIB && off + len > GIB, "span [%#llx, +%#llx) does not cross 1 GiB", off,
		  len);

	/* the secondary sees it whole, both ways */
	mt_start_secondary(&s, "s", &env, &rs, NULL);
	mt_cmd_ok(&s, line, sizeof(line), 5000, "heap");
	MT_CHECK(mt_field_ll(line, "segs") == 2 && mt_field_ull(line, "len") == 1536 * MIB,
		 "secondary's heap: %s", line);
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-check span 31");
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-fill span 32");
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-check span 32");
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-check test.mz.b %u", 0xb0bu);
	/*
	 * and the last MiB of the heap, in the last segment (1 MiB: more than the
	 * gap the primary's zones leave below 1 MiB, which first fit would take)
	 */
	mt_cmd_ok(&s, line, sizeof(line), 15000, "mz-reserve gap %llu 64",
		  1536 * MIB - (off + len) - MIB);
	mt_cmd_ok(&s, line, sizeof(line), 15000, "mz-reserve tail %llu 64 33", MIB);
	MT_CHECK(mt_field_ull(line, "off") + mt_field_ull(line, "len") == 1536 * MIB,
		 "tail does not end the heap: %s", line);
	MT_CHECK(mt_cmd(&p, line, sizeof(line), 5000, "mz-reserve more %llu 64", MIB) != 0 &&
			 strstr(line, "ENOMEM") != NULL,
		 "no MiB should be left in the heap: %s", line);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-check tail 33");
	mt_cmd_ok(&p, line, sizeof(line), 5000, "mz-fill tail 34");
	mt_cmd_ok(&s, line, sizeof(line), 5000, "mz-check tail 34");

	mt_stop(&s, 10000);
	mt_proc_fini(&s);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	return mt_done();
}
