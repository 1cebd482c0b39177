/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_config.h - layout of the config region (private to lib/eal).
 *
 * The config region is the file "config" in the runtime directory, mapped
 * shared by every process of the instance. It holds data only (DESIGN.md
 * rule 1): numbers, names, offsets, and one robust process-shared mutex.
 *
 *   +--------------------------------------------+ 0
 *   | identity: magic, layout version, sizes,    |  (I) written once by the
 *   |   mpdp version, build id, primary pid/time |      primary before rename()
 *   | heap: size, segments, page size, dir       |  (I)
 *   | lock (robust, process-shared)              |
 *   | process table [MPDP_MAX_PROCS]             |  (L) written by primary only
 *   | lcore table   [MPDP_MAX_LCORES]            |  (L) written by primary only
 *   | memzone table [MPDP_MAX_MEMZONES]          |  (L) any process
 *   +--------------------------------------------+
 *
 * Field marks: (I) immutable once the region is published; (L) written under
 * `lock`; (P) written by the primary only, read lock-free.
 *
 * The primary builds the region in a temporary file and rename()s it to
 * "config" when complete, so a secondary never sees a half-built region.
 */
#ifndef EAL_CONFIG_H
#define EAL_CONFIG_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_memzone.h>

#define MPDP_CONFIG_MAGIC 0x6d70647063666731ULL /* "mpdpcfg1" */

/*
 * Bump whenever any *_shm struct of lib/eal changes. The test suite builds a
 * secondary with another value to prove the refusal (tests/mp).
 */
#ifndef MPDP_LAYOUT_VERSION
#define MPDP_LAYOUT_VERSION 1
#endif

#define MPDP_MAX_SEGMENTS 64
#define MPDP_SEG_DIR_SIZE 192

enum eal_proc_state {
	EAL_PROC_FREE = 0,
	EAL_PROC_ACTIVE = 1,
};

enum eal_mz_state {
	EAL_MZ_FREE = 0,
	EAL_MZ_RESERVING = 1, /* being written; a dead locker leaves it, repair frees it */
	EAL_MZ_USED = 2,
};

/* One process of the instance. Slot 0 is the primary. */
struct eal_proc_shm {
	uint32_t state;      /* (L) enum eal_proc_state */
	uint32_t type;       /* (L) enum mpdp_proc_type */
	int32_t pid;         /* (L) */
	uint32_t nb_lcores;  /* (L) */
	uint64_t start_time; /* (L) /proc/PID/stat field 22, tells pid reuse apart */
	char name[16];       /* (L) comm of the process */
};
MPDP_STATIC_ASSERT(sizeof(struct eal_proc_shm) == 40, "eal_proc_shm is ABI");

/* One lcore id. Owned by at most one process. */
struct eal_lcore_shm {
	int16_t proc_id; /* (L) owning process slot, -1 when free */
	int16_t cpu;     /* (L) pinned CPU, -1 when not pinned */
};
MPDP_STATIC_ASSERT(sizeof(struct eal_lcore_shm) == 4, "eal_lcore_shm is ABI");

struct eal_memzone_shm {
	char name[MPDP_NAME_SIZE]; /* (L) */
	uint64_t offset;           /* (L) heap offset */
	uint64_t len;              /* (L) */
	uint32_t state;            /* (L) enum eal_mz_state */
	int32_t owner_pid;         /* (L) informational */
};
MPDP_STATIC_ASSERT(sizeof(struct eal_memzone_shm) == 56, "eal_memzone_shm is ABI");

/*
 * The robust mutex: glibc links a held robust mutex into its owner thread's
 * robust list (a link that only the owner and the kernel interpret, in the
 * owner's address space). That is the kernel's protocol for process-shared
 * robust locks, not a pointer any other process follows.
 */
struct eal_lock_shm {
	pthread_mutex_t mutex;
	uint8_t pad[64 - sizeof(pthread_mutex_t) % 64];
};

struct eal_config_shm {
	/*
	 * identity: checked by secondaries before anything else. These fields
	 * keep their offsets in every layout version, so that a process of any
	 * version can name the primary's version in its refusal.
	 */
	uint64_t magic;             /* (I) MPDP_CONFIG_MAGIC */
	uint32_t layout_version;    /* (I) MPDP_LAYOUT_VERSION */
	uint32_t config_size;       /* (I) sizeof(struct eal_config_shm) */
	char version[16];           /* (I) mpdp version of the primary */
	char build_id[64];          /* (I) */
	int32_t primary_pid;        /* (I) */
	uint32_t file_mode;         /* (I) mode of runtime files */
	uint64_t primary_start_time; /* (I) */
	uint64_t generation;        /* (I) primary start counter, for logs */

	/* heap */
	uint64_t heap_size;         /* (I) */
	uint64_t segment_size;      /* (I) every segment but the last */
	uint64_t page_size;         /* (I) */
	uint32_t nb_segments;       /* (I) */
	uint32_t huge;              /* (I) 1 when segments are on hugetlbfs */
	char segment_dir[MPDP_SEG_DIR_SIZE]; /* (I) files are <dir>/<prefix>.heap.<i> */
	char segment_prefix[96];    /* (I) */

	/* set by the primary when it starts leaving; secondaries then detach */
	_Atomic uint32_t primary_leaving; /* (P) */
	uint32_t pad0;

	struct eal_lock_shm lock MPDP_CACHE_ALIGNED;
	uint32_t nb_memzones;       /* (L) entries in use, for quick stats */
	uint32_t pad1;
	struct eal_proc_shm procs[MPDP_MAX_PROCS];     /* (L) primary writes */
	struct eal_lcore_shm lcores[MPDP_MAX_LCORES];  /* (L) primary writes */
	struct eal_memzone_shm memzones[MPDP_MAX_MEMZONES]; /* (L) anyone */
};
/* The identity prefix never moves, whatever the layout version. */
MPDP_STATIC_ASSERT(offsetof(struct eal_config_shm, magic) == 0, "identity is frozen");
MPDP_STATIC_ASSERT(offsetof(struct eal_config_shm, layout_version) == 8, "identity is frozen");
MPDP_STATIC_ASSERT(offsetof(struct eal_config_shm, config_size) == 12, "identity is frozen");
MPDP_STATIC_ASSERT(offsetof(struct eal_config_shm, version) == 16, "identity is frozen");
MPDP_STATIC_ASSERT(offsetof(struct eal_config_shm, build_id) == 32, "identity is frozen");
MPDP_STATIC_ASSERT(offsetof(struct eal_config_shm, primary_pid) == 96, "identity is frozen");
/* Any other change of size means a new MPDP_LAYOUT_VERSION. */
MPDP_STATIC_ASSERT(sizeof(struct eal_config_shm) == 60992, "bump MPDP_LAYOUT_VERSION");

/*
 * Heap segment 0 starts with this header, so offset 0 is never an object and
 * a secondary can check it mapped the segments of its own primary.
 */
#define MPDP_HEAP_MAGIC 0x6d706470686561ULL /* "mpdphea" */
#define MPDP_HEAP_HEADER_SIZE 4096
struct eal_heap_header_shm {
	uint64_t magic;      /* (I) */
	uint64_t generation; /* (I) same as eal_config_shm.generation */
	uint64_t heap_size;  /* (I) */
};

#endif /* EAL_CONFIG_H */
