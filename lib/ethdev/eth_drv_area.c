/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_drv_area.c - a driver's shared port state: the memzone
 * "<port>.<tag>" whose offset and length the slot records (drv_off,
 * drv_len). The primary reserves it in probe and frees it at close; every
 * process finds it through the slot in attach, after checking that the
 * slot names bytes of the heap (the slot was written by another process:
 * DESIGN.md rule 8).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_memzone.h>

#include "ethdev_private.h"

static int area_name(char *buf, size_t size, const char *port, const char *tag)
{
	int n = snprintf(buf, size, "%s.%s", port, tag);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void *mpdp_eth_dev_area_reserve(struct mpdp_eth_dev *dev, const char *tag, size_t len,
				int *rc, char *err, size_t err_size)
{
	char name[MPDP_NAME_SIZE];
	struct mpdp_memzone mz;
	int r = area_name(name, sizeof(name), dev->shm->name, tag);

	if (r == 0)
		r = mpdp_memzone_reserve(name, len, MPDP_CACHE_LINE_SIZE, &mz);
	if (r != 0) {
		snprintf(err, err_size, "%s: cannot reserve memzone %s.%s (%zu bytes): %s",
			 dev->shm->name, dev->shm->name, tag, len, strerror(-r));
		*rc = r;
		return NULL;
	}
	dev->shm->drv_off = mz.offset;
	dev->shm->drv_len = len;
	*rc = 0;
	return mz.addr;
}

void mpdp_eth_dev_area_free(const char *port, const char *tag)
{
	char name[MPDP_NAME_SIZE];

	if (area_name(name, sizeof(name), port, tag) == 0)
		(void)mpdp_memzone_free(name);
}

void *mpdp_eth_dev_area(const struct mpdp_eth_dev *dev, const char *log_name, size_t min_len,
			size_t max_len)
{
	const struct mpdp_eth_dev_shm *shm = dev->shm;
	uint64_t len = shm->drv_len;

	if (len < min_len || len > max_len || !mpdp_shm_off_valid(shm->drv_off, len)) {
		mpdp_log(MPDP_LOG_ERR, log_name, "%s: no valid driver state (offset %#llx, len %llu)",
			 shm->name, (unsigned long long)shm->drv_off, (unsigned long long)len);
		return NULL;
	}
	return MPDP_SHM_PTR(void, shm->drv_off);
}
