/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_iova.c - IOVA modes (mpdp_shm.h). Placeholder: VA only, until the
 * PA table lands.
 */
#include <errno.h>
#include <stdio.h>

#include <mpdp/mpdp_shm.h>

#include "eal_private.h"

enum mpdp_iova_mode mpdp_iova_mode(void)
{
	return MPDP_IOVA_VA;
}

const char *mpdp_iova_mode_name(enum mpdp_iova_mode mode)
{
	return mode == MPDP_IOVA_PA ? "pa" : "va";
}

uint64_t mpdp_mem_iova(const void *addr)
{
	if (!mpdp_shm_contains(addr, 1))
		return UINT64_MAX;
	return mpdp_shm_off(addr);
}

int mpdp_mem_iova_contig(const void *addr, size_t len)
{
	return len > 0 && mpdp_shm_contains(addr, len);
}

int mpdp_iova_mode_fix_(enum mpdp_iova_mode want, const char *why, char *err, size_t err_size)
{
	if (want == MPDP_IOVA_PA) {
		snprintf(err, err_size, "%s needs IOVA mode pa, not implemented yet", why);
		return -ENOTSUP;
	}
	return 0;
}

enum mpdp_iova_mode mpdp_iova_mode_requested_(void)
{
	return 0;
}
