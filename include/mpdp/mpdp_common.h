/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpdp_common.h - small definitions every mpdp header uses: cache-line size,
 * alignment helpers, branch hints and compile-time checks. No functions with
 * state live here.
 */
#ifndef MPDP_COMMON_H
#define MPDP_COMMON_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define MPDP_CACHE_LINE_SIZE 64

/* Align a shared structure (or a field) to a cache line. */
#define MPDP_CACHE_ALIGNED __attribute__((aligned(MPDP_CACHE_LINE_SIZE)))

/* Round v up / down to a multiple of align (align is a power of two). */
#define MPDP_ALIGN_UP(v, align)   (((v) + ((align) - 1)) & ~((__typeof__(v))(align) - 1))
#define MPDP_ALIGN_DOWN(v, align) ((v) & ~((__typeof__(v))(align) - 1))
#define MPDP_IS_POW2(v)           ((v) != 0 && (((v) & ((v) - 1)) == 0))

#define MPDP_DIM(a) (sizeof(a) / sizeof((a)[0]))

#define mpdp_likely(x)   __builtin_expect(!!(x), 1)
#define mpdp_unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Every struct that crosses a process boundary states its size (STYLE.md rule
 * 10): a change that moves a field breaks the build, not a running secondary.
 */
#define MPDP_STATIC_ASSERT(cond, msg) static_assert(cond, msg)

/* Largest number of lcores an instance (all its processes together) may run. */
#define MPDP_MAX_LCORES 128
/* Largest number of processes (primary + secondaries) attached at once. */
#define MPDP_MAX_PROCS 64
/* Length of object names (memzones, rings, pools, ports), NUL included. */
#define MPDP_NAME_SIZE 32

#endif /* MPDP_COMMON_H */
