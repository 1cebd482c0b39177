/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mp_helper.h - what the helper binaries of the multi-process tests share.
 *
 * mpdp-test-primary (test_primary.c) and mpdp-test-secondary (test_secondary.c)
 * are separate programs: their own main, their own IPC handlers, their own
 * copy of the library, so no function address is the same in both. What
 * they share is the command language the tests speak to them on stdin:
 *
 *   mz-reserve NAME LEN ALIGN [SEED]   reserve (and fill with pattern SEED)
 *   mz-lookup NAME | mz-free NAME      look up / free by name
 *   mz-fill NAME SEED                  write pattern SEED over the memzone
 *   mz-check NAME SEED                 compare with pattern SEED (0: all zero)
 *   mz-walk                            every memzone, in heap order
 *   procs                              the process table
 *   heap | whoami                      heap geometry / this process
 *   request PEER ACTION DATA TIMEOUT   synchronous IPC request ("-" = no data)
 *   send PEER|all ACTION DATA [COUNT]  asynchronous IPC message(s)
 *   quit
 *
 * Every command answers with exactly one line: "OK key=value ..." or
 * "ERR ENAME rc=-N ...". Lines with other first words ("NOTE", "EVENTFD",
 * "GONE", ...) are events and may come at any time. All output goes through
 * mh_say(): one write per line, so lines of different threads never mix.
 */
#ifndef MP_HELPER_H
#define MP_HELPER_H

#include <stddef.h>
#include <stdint.h>

#include <mpdp/mpdp_ethdev.h>

/* Content of the memfd the primary hands out ("test.fds"). */
#define MH_MEMFD_TEXT "mpdp test memfd: hello from the primary"

/* Memzones the primary reserves at start, with their pattern seeds. */
#define MH_MZ_A          "test.mz.a" /* 4096 bytes, aligned 4096 */
#define MH_MZ_A_LEN      4096
#define MH_MZ_A_SEED     0xa11ceu
#define MH_MZ_B          "test.mz.b" /* 1 MiB, aligned 1 MiB */
#define MH_MZ_B_LEN      (1u << 20)
#define MH_MZ_B_SEED     0xb0bu
#define MH_MZ_SHARED     "test.shared" /* 64 KiB of zeros, for writes by others */
#define MH_MZ_SHARED_LEN (64u << 10)

/* Line buffered output of one line (newline added), safe from any thread. */
void mh_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Common start: RLIMIT_NOFILE raised to its hard limit. */
void mh_setup(void);

/* "EEXIST" for 17, or the number as text. err is positive. */
const char *mh_errname(int err);

/* Answer "ERR <name> rc=<rc> <detail>" for a negative rc. */
void mh_say_err(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Deterministic content: seed 0 is all zeros. */
void mh_pattern_fill(void *p, size_t len, uint32_t seed);
/* Index of the first byte that differs from the pattern, or -1. */
long mh_pattern_check(const void *p, size_t len, uint32_t seed);

/*
 * Run one command line (see above). Extra commands of the binary are tried
 * first: extra(argc, argv) returns 1 when it handled the command. Returns 1
 * for "quit", else 0.
 */
typedef int (*mh_extra_cmd_t)(int argc, char **argv);
int mh_command(char *line, mh_extra_cmd_t extra);

/*
 * Serve commands from stdin until EOF, "quit", or SIGTERM/SIGINT (which the
 * caller blocked before mpdp_init(), so that every thread inherits the mask
 * and the signals arrive through a signalfd). When extra_fd >= 0 it is
 * polled too and on_extra(extra_fd) runs when it is readable. Returns the
 * signal that ended the loop, or 0.
 */
int mh_loop(mh_extra_cmd_t extra, int extra_fd, void (*on_extra)(int fd));

/* Block SIGTERM and SIGINT in the calling thread (call before mpdp_init()). */
void mh_block_term(void);

/* Number of open file descriptors of this process. */
int mh_count_fds(void);

/* 1 when fd is an eventfd (by its /proc/self/fd link). */
int mh_is_eventfd(int fd);

/* The sub-command: the first argument after "--", or NULL. */
const char *mh_subcommand(int argc, char **argv);

/*
 * ---- port shells ------------------------------------------------------------
 * What the shells of the port tests (drv, afp and eth shells) share. Each
 * answers a failure with its ERR line itself.
 */

/* Port by name; ERR "no port NAME" when there is none. Returns 0 or -errno. */
int mh_port_of(const char *name, uint16_t *port);
/* Pool by name; ERR "no pool NAME" and NULL when there is none. */
struct mpdp_mempool *mh_pool_of(const char *name);
/* "rx" or "tx". Returns 0, or -1 for another word (no answer given). */
int mh_parse_dir(const char *s, enum mpdp_eth_dir *d);
/* Answer a plain call: ERR naming what for rc < 0, else "OK rc=RC". */
void mh_reply(int rc, const char *what);
/* claim|release NAME rx|tx Q (verb is "claim" or "release"): "OK rc=0", or ERR. */
void mh_cmd_queue(const char *verb, const char *name, const char *dir, const char *q);
/* xstat NAME XNAME: "OK value=N", or ERR. */
void mh_cmd_xstat(const char *name, const char *xname);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mh_now_ns(void);
/* A number argument (decimal, 0x hex or 0 octal); 0 when it is none. */
unsigned long mh_num(const char *s);

/* ports: "OK n= list=NAME:ID:AVAILABLE,..." ("-" when there is none). */
void mh_cmd_ports(void);
/* info NAME: "OK port= driver= state= available= link= speed= rxq= txq= maxq=
 * mindesc= maxdesc= mac=", or ERR. */
void mh_cmd_info(const char *name);
/* pool NAME N: mbuf pool of n with data room room, looked up when it exists:
 * "OK id=", or ERR. */
void mh_cmd_pool(const char *name, unsigned int n, unsigned int room);
/* inuse POOL: "OK in_use=", or ERR. */
void mh_cmd_inuse(const char *pool);
/* setup NAME NRX NTX POOL: configure, set up every queue (default
 * descriptors), start: "OK port=", or ERR. */
void mh_cmd_setup(const char *name, uint16_t nrx, uint16_t ntx, const char *pool);
/* stats NAME: "OK ipackets= ibytes= opackets= obytes= ierrors= [oerrors=]
 * nombuf=" (oerrors= when oerrors is true), or ERR. */
void mh_cmd_stats(const char *name, int oerrors);

/*
 * The port commands of drv_shell.c, for a shell's extra(): ports, info,
 * pool NAME N, inuse, setup, stop, close, hotplug DEVARGS (port=), claim,
 * release, stats, xstat and memzones (n=). Returns 1 when it handled the
 * command, else 0.
 */
int mh_port_cmd(int argc, char **argv);

/*
 * main() of a shell program: checks that the sub-command is "shell" (else
 * prints usage and returns 2), starts the runtime (mpdp_init() with the
 * whole command line), says "READY <pid> <heap base> <heap len> proc_id=N"
 * and serves commands (mh_loop(cmd)) until the end. Returns the exit code.
 */
int mh_shell_main(int argc, char **argv, const char *usage, mh_extra_cmd_t cmd);

#endif /* MP_HELPER_H */
