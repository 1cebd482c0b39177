/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bus_private.h - what the bus files share: the log macro and the layout of
 * the skipped-device table in shared memory.
 */
#ifndef BUS_PRIVATE_H
#define BUS_PRIVATE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_log.h>

#define PCI_LOG(level, ...) mpdp_log(MPDP_LOG_##level, "bus.pci", __VA_ARGS__)
#define BUS_LOG(level, ...) mpdp_log(MPDP_LOG_##level, "bus", __VA_ARGS__)

/*
 * The digits s[0..] in base 10 or 16 (no prefix, sign, space or suffix; at
 * least one digit) as a uint64_t. Returns 0, or -EINVAL for anything else,
 * overflow included.
 */
static inline int bus_parse_digits(const char *s, unsigned int base, uint64_t *out)
{
	uint64_t v = 0;

	if (s[0] == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (d >= base || v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/*
 * The skipped-device table, memzone "mpdp.bus.skipped", reserved by the
 * primary while it probes (mpdp_bus_skipped_init_()) and read by any process
 * (mpdp_bus_skipped_walk()).
 *
 *   +----------------------------+
 *   | magic   (I) set last       |  release-stored after version;
 *   | version (I)                |  readers load it with acquire
 *   | count   (P)                |  entries [0, count) are complete
 *   | dropped (P)                |  adds refused for lack of room
 *   +----------------------------+
 *   | entries[0]  (P) then (I)   |
 *   | ...                        |
 *   | entries[MAX - 1]           |
 *   +----------------------------+
 *
 * One writer, the primary (add is serialised by a process-local mutex). It
 * fills entries[count] while no reader looks at it, then store-releases
 * count + 1 (A). A reader load-acquires count (pairs with A), bounds it by
 * MPDP_BUS_SKIPPED_MAX (the table is shared memory: never trust it), and
 * copies entries [0, count), which are never written again. Strings in an
 * entry are NUL-terminated by the writer, and the reader terminates its copy
 * again anyway.
 *
 * (I) immutable once published, (P) written by the primary only.
 */
#define BUS_SKIPPED_ZONE    "mpdp.bus.skipped"
#define BUS_SKIPPED_MAGIC   0x4d504b53u /* "MPKS" */
#define BUS_SKIPPED_VERSION 1u

struct bus_skipped_entry_shm {
	char bus[8];                       /* (I) "pci", "vdev" */
	char name[MPDP_NAME_SIZE];         /* (I) "0000:00:03.0" */
	uint16_t vendor, device;           /* (I) */
	uint32_t class_id;                 /* (I) */
	char kdrv_name[32];                /* (I) */
	char reason[MPDP_BUS_REASON_SIZE]; /* (I) */
};

MPDP_STATIC_ASSERT(sizeof(struct bus_skipped_entry_shm) == 176,
		   "bus_skipped_entry_shm is ABI: change BUS_SKIPPED_VERSION with it");

struct bus_skipped_table_shm {
	_Atomic uint32_t magic;   /* (I) BUS_SKIPPED_MAGIC, release-stored last at init */
	uint32_t version;         /* (I) BUS_SKIPPED_VERSION */
	_Atomic uint32_t count;   /* (P) release after writing entries[count] (A) */
	_Atomic uint32_t dropped; /* (P) adds refused because the table was full */
	uint32_t reserved[12];    /* zero */
	struct bus_skipped_entry_shm entries[MPDP_BUS_SKIPPED_MAX];
};

MPDP_STATIC_ASSERT(offsetof(struct bus_skipped_table_shm, entries) == 64,
		   "bus_skipped_table_shm header is ABI");
MPDP_STATIC_ASSERT(sizeof(struct bus_skipped_table_shm) == 64 + 176 * MPDP_BUS_SKIPPED_MAX,
		   "bus_skipped_table_shm is ABI: change BUS_SKIPPED_VERSION with it");

#endif /* BUS_PRIVATE_H */
