/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_test.h - helpers of the tool tests (tests/apps): start the real tools
 * (mpdp-l2fwd, mpdp-proc-info, mpdp-mp-worker, mpdp-pktgen) through the
 * multi-process harness (mpdp_test.h) and read their key=value and JSON
 * output.
 */
#ifndef MPDP_APP_TEST_H
#define MPDP_APP_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "mpdp_test.h"

#define AT_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* Path of a tool by short name ("l2fwd", "proc-info", "mp-worker", "pktgen"). */
const char *at_bin(const char *tool);

/*
 * argv: BIN <env's runtime options> [--proc-type TYPE] [primary: --no-pci
 * --mem 64M] <runtime extras up to NULL> -- <tool args up to NULL>.
 * proc_type NULL: the tool's own default.
 */
void at_argv(struct mt_argv *a, const char *tool, const struct mt_env *env, const char *proc_type,
	     const char *const *runtime_extra, ...) __attribute__((sentinel));

/* The four ring ports of the demo: 0 and 1 forwarded, 2 and 3 their peers. */
extern const char *const at_ring_quad[];
/* The same with two queues per port. */
extern const char *const at_ring_quad_q2[];

/*
 * Start mpdp-l2fwd as the primary on the given vdev options (pairs of
 * "--vdev", "NAME" strings in a NULL-terminated list) with tool arguments up
 * to NULL, and wait (10 s) for its "ready" line, copied to ready (may be
 * NULL, size 256).
 */
void at_start_l2fwd(struct mt_proc *p, const struct mt_env *env, const char *const *vdevs,
		    char *ready, ...) __attribute__((sentinel));

/*
 * Run a tool to its end (timeout_ms) and expect exit code; its last stdout
 * line with prefix goes to line (if not NULL; size bytes).
 */
void at_run_expect(struct mt_proc *p, const char *label, const struct mt_argv *a, int code,
		   int timeout_ms, const char *prefix, char *line, size_t size);

/*
 * 1 when text is one valid JSON document, 0 when not, -1 when python3 is not
 * there to tell.
 */
int at_json_valid(const char *text);

/*
 * Number of stdout lines of p that are not one valid JSON document each, or
 * -1 when python3 is not there to tell.
 */
int at_json_lines_invalid(const struct mt_proc *p);

/*
 * In a proc-info JSON document: the value of "key" in the object of array
 * "section" whose first key is "port" equal to port. Returns 1 and sets *out,
 * or 0 when not found.
 */
int at_json_port_u64(const char *doc, const char *section, unsigned int port, const char *key,
		     unsigned long long *out);

/* Number of stdout lines of p starting with prefix (read so far, used or not). */
unsigned int at_count_lines(const struct mt_proc *p, const char *prefix);
/* The i-th stdout line starting with prefix, or NULL. */
const char *at_line(const struct mt_proc *p, const char *prefix, unsigned int i);

#endif /* MPDP_APP_TEST_H */
