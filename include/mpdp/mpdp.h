/* SPDX-License-Identifier: BSD-3-Clause */
/* mpdp.h - everything an application needs, in one include. */
#ifndef MPDP_H
#define MPDP_H

#include <mpdp/mpdp_common.h>
#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ipc.h>
#include <mpdp/mpdp_lcore.h>
#include <mpdp/mpdp_log.h>
#include <mpdp/mpdp_mbuf.h>
#include <mpdp/mpdp_memzone.h>
#include <mpdp/mpdp_mempool.h>
#include <mpdp/mpdp_proc.h>
#include <mpdp/mpdp_ring.h>
#include <mpdp/mpdp_shm.h>

#endif /* MPDP_H */
