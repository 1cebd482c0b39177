/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drv_shell.c - the helper program of the driver multi-process tests. Built
 * three times, each a PIE with its own copy of the library:
 *   mpdp-test-drv-a     every driver
 *   mpdp-test-drv-b     every driver, other code in front (no function at the
 *                       offset it has in -a)
 *   mpdp-test-drv-null  net_null only: a secondary that lacks net_ring
 * Any of them runs as primary or secondary.
 *
 *   mpdp-test-drv-X [runtime options] -- shell
 *     prints "READY <pid> <heap base> <heap len> proc_id=N" and serves:
 *
 *   ports                          n= list=NAME:ID:AVAILABLE,...
 *   info NAME                      port= driver= state= available= link= speed=
 *                                  rxq= txq= maxq= mindesc= maxdesc= mac=
 *   pool NAME N                    mbuf pool of N (created, or looked up when it
 *                                  exists): id=
 *   inuse POOL                     in_use=
 *   setup NAME NRX NTX POOL        configure, set up every queue, start
 *   stop NAME | close NAME | hotplug DEVARGS (port=)
 *   claim NAME rx|tx Q | release NAME rx|tx Q
 *   tx NAME Q N SIZE POOL TAG      send N packets of SIZE bytes (tag, seq 0..N-1
 *                                  and a pattern), retrying up to 3 s: sent= bytes=
 *   rx NAME Q N TIMEOUT_MS TAG     receive up to N (until the timeout), check and
 *                                  free them: received= bytes= bad= port_ok=
 *   stats NAME                     ipackets= ibytes= opackets= obytes= ierrors=
 *                                  nombuf=
 *   xstat NAME XNAME               value=
 *   memzones                       n=
 *   plus the mp_helper.h commands (procs, quit, ...).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_ethdev.h>

#include "drv_frames.h"
#include "mp_helper.h"

#ifdef DRV_SHELL_B
/* different code in front: no function of -b at the offset it has in -a */
volatile int drv_shell_b_pad;
void drv_shell_b_padding(void);
void drv_shell_b_padding(void)
{
	for (int i = 0; i < 128; i++)
		drv_shell_b_pad += i * drv_shell_b_pad + 7;
}
#endif

#define DS_TX_MAX 2048 /* a frame in one mbuf of a default pool */

static const char usage[] = "\nafter \"--\": shell\n";

static void cmd_rx(const char *name, uint16_t q, unsigned int n, unsigned int timeout_ms,
		   uint32_t tag)
{
	struct df_rx_count c = { .tag = tag, .one_seg = 1, .port_ok = 1 };
	unsigned int got;

	if (mh_port_of(name, &c.port) != 0)
		return;
	got = df_rx(c.port, q, n, timeout_ms, df_rx_in_order, &c);
	mh_say("OK received=%u bytes=%" PRIu64 " bad=%u port_ok=%u", got, c.bytes, c.bad,
	       c.port_ok);
}

static int shell_cmd(int argc, char **argv)
{
	const char *c = argv[0];

	if (strcmp(c, "tx") == 0 && argc == 7) {
		df_cmd_tx(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
			  (unsigned int)mh_num(argv[4]), DS_TX_MAX, 0, argv[5],
			  (uint32_t)mh_num(argv[6]));
	} else if (strcmp(c, "rx") == 0 && argc == 6) {
		cmd_rx(argv[1], (uint16_t)mh_num(argv[2]), (unsigned int)mh_num(argv[3]),
		       (unsigned int)mh_num(argv[4]), (uint32_t)mh_num(argv[5]));
	} else {
		return mh_port_cmd(argc, argv);
	}
	return 1;
}

int main(int argc, char **argv)
{
	return mh_shell_main(argc, argv, usage, shell_cmd);
}
