/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_drv_pcap_mp.c - net_pcap with the real tools and across processes.
 *
 *  1. mpdp-l2fwd forwards net_pcap0 (rx_pcap=) to net_pcap1 (tx_pcap=):
 *     every packet of the input (60..1514 bytes and a 9000-byte frame, pcap
 *     and pcapng inputs, with and without --mtu 9000) is in the output, in
 *     order, byte for byte; tcpdump reads the output without complaint.
 *  2. loop=3 through mpdp-l2fwd: three times the packets, in order.
 *  3. Across processes. A drv shell primary (mpdp-test-drv-a) creates an rx
 *     port and a tx port with two queues. A secondary drv shell of another
 *     program (-b) claims the rx queue, receives the first 10 packets and
 *     releases it; mpdp-mp-worker (a third program) claims it and forwards
 *     the rest to tx queue 0, continuing at packet 10; the primary
 *     transmits on tx queue 1, then the -b secondary on tx queue 0. The
 *     file holds every record of the three processes, each whole, and
 *     tcpdump reads it. A tx port hot-plugged while the secondary runs:
 *     the secondary gets its descriptor with the announcement and writes.
 *     Counters agree in the processes.
 *  4. Bad input to mpdp-l2fwd: a missing file, a text file, a truncated
 *     file, a file too big for the heap, an unwritable tx path, bad devargs:
 *     exit 1, one error line naming the file and what is wrong, nothing
 *     left in the runtime directory, no tx file created by the failed start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../apps/app_test.h"
#include "mpdp_test.h"
#include "pcap_file.h"

#define T       10000
#define TAG     0x70636170u
#define DS_TAG  1
#define TCPDUMP "/usr/bin/tcpdump"

static const uint32_t sizes[] = { 60,  64,   65,   100,  127,  128,  256, 511,
				  512, 1000, 1499, 1500, 1513, 1514, 9000 };
#define NB_SIZES ((unsigned int)AT_DIM(sizes))

static char line[16384];

/*
 * The records of file out must be n records of pf_write(PF_ETH, TAG, sizes)
 * seq i % per_pass, byte for byte.
 */
static void expect_copy(const char *out, unsigned int n, unsigned int per_pass)
{
	static uint8_t want[16384];
	struct pf_file f;
	char err[256];

	MT_ASSERT(pf_read(out, &f, err, sizeof(err)) == 0, "%s", err);
	MT_CHECK(f.magic == PF_MAGIC_NS && f.linktype == 1 && f.snaplen >= 65535,
		 "%s: header magic %#x linktype %u snaplen %u", out, f.magic, f.linktype,
		 f.snaplen);
	MT_CHECK(f.nb == n, "%s: %u records, expected %u", out, f.nb, n);
	for (unsigned int i = 0; i < f.nb && i < n; i++) {
		unsigned int seq = i % per_pass;
		uint32_t len = sizes[seq % NB_SIZES];

		pf_fill(PF_ETH, want, len, TAG, seq);
		if (f.recs[i].caplen != len || f.recs[i].len != len ||
		    memcmp(f.recs[i].data, want, len) != 0) {
			MT_CHECK(0, "%s: record %u (%u of %u bytes) is not packet %u (%u bytes)",
				 out, i, f.recs[i].caplen, f.recs[i].len, seq, len);
			break;
		}
	}
	pf_free(&f);
}

/* tcpdump reads file whole: exit 0, n packet lines, nothing on stderr but its banner */
static void tcpdump_reads(const char *file, unsigned int n)
{
	struct mt_argv a;
	struct mt_proc p;
	char count[16];
	unsigned int pkts = 0;

	if (access(TCPDUMP, X_OK) != 0) {
		mt_log("no %s: the file is not checked with tcpdump", TCPDUMP);
		return;
	}
	snprintf(count, sizeof(count), "%u", n + 1);
	mt_argv_init(&a, TCPDUMP);
	mt_argv_add(&a, "-r", file, "-nn", "-q", "-c", count, NULL);
	mt_spawn(&p, "tcpdump", &a);
	mt_expect_exit(&p, 0, T);
	/* one line per packet (an indented hex dump would follow without -q) */
	for (unsigned int i = 0; i < p.nb_lines; i++)
		pkts += p.lines[i].text[0] != '\t' && p.lines[i].text[0] != ' ';
	MT_CHECK(pkts == n, "tcpdump -r %s: %u packets, expected %u", file, pkts, n);
	MT_CHECK(mt_stderr_lines(&p) == 1 && strstr(mt_stderr(&p), "EN10MB") != NULL,
		 "tcpdump -r %s: stderr: %s", file, mt_stderr(&p));
	mt_argv_fini(&a);
	mt_proc_fini(&p);
}

/* mpdp-l2fwd on two pcap ports for a second; expects exit 0 */
static void l2fwd_pcap(const struct mt_env *env, const char *rx_args, const char *out,
		       const char *extra1, const char *extra2)
{
	char v0[256], v1[256];
	const char *vdevs[] = { "--vdev", v0, "--vdev", v1, NULL };
	struct mt_argv a;
	struct mt_proc p;

	snprintf(v0, sizeof(v0), "net_pcap0,%s", rx_args);
	snprintf(v1, sizeof(v1), "net_pcap1,tx_pcap=%s", out);
	at_argv(&a, "l2fwd", env, "primary", vdevs, "--duration", "1", "--idle-us", "100", extra1,
		extra2, NULL);
	at_run_expect(&p, "l2fwd", &a, 0, 20000, "", NULL, 0);
	mt_argv_fini(&a);
	mt_proc_fini(&p);
}

/* ------------------------------------------------------------ 1, 2 */

static void test_l2fwd(const struct mt_env *env)
{
	const unsigned int n = 4 * NB_SIZES;
	char args[256];

	MT_ASSERT(pf_write(pf_path("in.pcap"), PF_ETH, 0, 1, TAG, n, sizes, NB_SIZES) == 0,
		  "cannot write in.pcap");
	MT_ASSERT(pf_write(pf_path("in.pcapng"), PF_ETH, 1, 0, TAG, n, sizes, NB_SIZES) == 0,
		  "cannot write in.pcapng");

	snprintf(args, sizeof(args), "rx_pcap=%s", pf_path("in.pcap"));
	l2fwd_pcap(env, args, pf_path("out.pcap"), NULL, NULL);
	expect_copy(pf_path("out.pcap"), n, n);
	tcpdump_reads(pf_path("out.pcap"), n);

	snprintf(args, sizeof(args), "rx_pcap=%s", pf_path("in.pcapng"));
	l2fwd_pcap(env, args, pf_path("out-ng.pcap"), "--mtu", "9000");
	expect_copy(pf_path("out-ng.pcap"), n, n);
	tcpdump_reads(pf_path("out-ng.pcap"), n);

	snprintf(args, sizeof(args), "rx_pcap=%s,loop=3", pf_path("in.pcap"));
	l2fwd_pcap(env, args, pf_path("out-loop.pcap"), NULL, NULL);
	expect_copy(pf_path("out-loop.pcap"), 3 * n, n);
	mt_log("l2fwd: %u packets copied byte for byte (pcap, pcapng, loop=3)", n);
}

/* ------------------------------------------------------------ 3 */

/* A command to a shell, its reply in line: OK wanted, else the test fails. */
#define ok(p, ...) mt_cmd_ok(p, line, sizeof(line), T, __VA_ARGS__)

static void expect(struct mt_proc *p, const char *command, const char *key, long long want)
{
	mt_cmd_expect(p, line, sizeof(line), T, key, want, command);
}

static void test_mp(const struct mt_env *env)
{
	const char *bin_a = mt_getenv_path("MPDP_TEST_DRV_A");
	const char *bin_b = mt_getenv_path("MPDP_TEST_DRV_B");
	const unsigned int n = 200;
	const uint32_t ds_sizes[] = { 64, 200, 1000, 1500 };
	char v0[512], v1[512], hot[512], in[128], out[128], hot_out[128];
	unsigned int seen_worker = 0, seen_p = 0, seen_b = 0, bad = 0;
	struct mt_proc P, B, W;
	struct mt_ready r;
	struct mt_argv a;
	struct pf_file f;
	char err[256];

	snprintf(in, sizeof(in), "%s", pf_path("ds.pcap"));
	snprintf(out, sizeof(out), "%s", pf_path("mp-out.pcap"));
	snprintf(hot_out, sizeof(hot_out), "%s", pf_path("hot-out.pcap"));
	MT_ASSERT(pf_write(in, PF_DS, 0, 1, DS_TAG, n, ds_sizes, 4) == 0, "cannot write %s", in);
	snprintf(v0, sizeof(v0), "net_pcap0,rx_pcap=%s", in);
	snprintf(v1, sizeof(v1), "net_pcap1,tx_pcap=%s,queues=2", out);
	mt_start_program(&P, "primary", bin_a, "primary", "shell", env, &r, "--no-pci", "--vdev",
			 v0, "--vdev", v1, NULL);
	ok(&P, "pool mp 2048");
	ok(&P, "setup net_pcap0 1 1 mp");
	ok(&P, "setup net_pcap1 2 2 mp");

	/* a secondary of another program takes the first 10 packets */
	mt_start_program(&B, "sec-b", bin_b, "secondary", "shell", env, &r, NULL);
	ok(&B, "claim net_pcap0 rx 0");
	ok(&B, "rx net_pcap0 0 10 3000 %d", DS_TAG);
	MT_CHECK(mt_field_ll(line, "received") == 10 && mt_field_ll(line, "bad") == 0 &&
			 mt_field_ll(line, "port_ok") == 1,
		 "secondary rx: %s", line);
	expect(&B, "xstat net_pcap0 rx_q0_pcap_next", "value", 10);
	ok(&B, "release net_pcap0 rx 0");

	/* mpdp-mp-worker continues at packet 10 and forwards the rest to tx queue 0 */
	mt_argv_init(&a, mt_getenv_path("MPDP_APP_MP_WORKER"));
	mt_argv_runtime(&a, env, "secondary", 0);
	mt_argv_add(&a, "--", "--mode", "fwd", "--rx-port", "0", "--tx-port", "1", "--queue", "0",
		    "--count", "190", "--idle-us", "100", NULL);
	at_run_expect(&W, "mp-worker", &a, 0, 20000, "worker ", line, sizeof(line));
	MT_CHECK(mt_field_ll(line, "rx") == 190 && mt_field_ll(line, "tx") == 190, "worker: %s",
		 line);
	mt_argv_fini(&a);
	mt_proc_fini(&W);

	/* the primary on tx queue 1, the -b secondary on tx queue 0 */
	ok(&P, "claim net_pcap1 tx 1");
	expect(&P, "tx net_pcap1 1 20 300 mp 2", "sent", 20);
	ok(&B, "claim net_pcap1 tx 0");
	expect(&B, "tx net_pcap1 0 5 700 mp 3", "sent", 5);

	/* counters, from each process */
	expect(&B, "stats net_pcap0", "ipackets", n);
	expect(&P, "stats net_pcap0", "ipackets", n);
	expect(&P, "stats net_pcap1", "opackets", 190 + 20 + 5);
	expect(&B, "stats net_pcap1", "opackets", 190 + 20 + 5);
	long long obytes = 20 * 300 + 5 * 700;

	for (unsigned int seq = 10; seq < n; seq++)
		obytes += ds_sizes[seq % 4]; /* the worker's */
	expect(&B, "stats net_pcap1", "obytes", obytes);
	expect(&B, "xstat net_pcap0 rx_q0_pcap_passes", "value", 1);

	/* a port hot-plugged under the secondary: its tx descriptor comes along */
	snprintf(hot, sizeof(hot), "hotplug net_pcap2,tx_pcap=%s", hot_out);
	ok(&P, "%s", hot);
	ok(&P, "setup net_pcap2 1 1 mp");
	MT_CHECK(mt_cmd_until(&B, line, sizeof(line), T, "rc", 0, "claim net_pcap2 tx 0"),
		 "secondary: cannot claim the hot-plugged port: %s", line);
	expect(&B, "tx net_pcap2 0 3 100 mp 4", "sent", 3);
	expect(&P, "stats net_pcap2", "opackets", 3);

	mt_stop(&B, T);
	mt_proc_fini(&B);
	mt_stop(&P, T);
	mt_proc_fini(&P);

	/* the file: every record of the three processes, whole */
	MT_ASSERT(pf_read(out, &f, err, sizeof(err)) == 0, "%s", err);
	MT_CHECK(f.nb == 215, "%s: %u records, expected 215", out, f.nb);
	for (unsigned int i = 0; i < f.nb; i++) {
		uint32_t tag;
		uint64_t seq;

		if (!pf_check(PF_DS, f.recs[i].data, f.recs[i].caplen, &tag, &seq)) {
			bad++;
			continue;
		}
		if (tag == DS_TAG && seq == 10 + seen_worker &&
		    f.recs[i].caplen == ds_sizes[seq % 4])
			seen_worker++;
		else if (tag == 2 && seq == seen_p && f.recs[i].caplen == 300)
			seen_p++;
		else if (tag == 3 && seq == seen_b && f.recs[i].caplen == 700)
			seen_b++;
		else
			bad++;
	}
	MT_CHECK(bad == 0 && seen_worker == 190 && seen_p == 20 && seen_b == 5,
		 "%s: %u bad records; worker %u/190 (from packet 10 on), primary %u/20, "
		 "secondary %u/5",
		 out, bad, seen_worker, seen_p, seen_b);
	pf_free(&f);
	tcpdump_reads(out, 215);
	MT_ASSERT(pf_read(hot_out, &f, err, sizeof(err)) == 0, "%s", err);
	MT_CHECK(f.nb == 3, "%s: %u records, expected 3", hot_out, f.nb);
	pf_free(&f);
	mt_log("across processes: 190 + 20 + 5 records in one file, each whole");
}

/* ------------------------------------------------------------ 4 */

static void expect_refused(const struct mt_env *env, const char *needle, const char *gone,
			   const char *v0, const char *v1)
{
	const char *vdevs[] = { "--vdev", v0, v1 != NULL ? "--vdev" : NULL, v1, NULL };
	struct mt_argv a;
	struct mt_proc p;
	char left[4096];

	at_argv(&a, "l2fwd", env, "primary", vdevs, "--duration", "1", NULL);
	mt_spawn(&p, "bad", &a);
	mt_expect_exit(&p, 1, T);
	MT_CHECK(strstr(mt_stderr(&p), needle) != NULL,
		 "%s: expected an error mentioning '%s', got: %s", mt_argv_str(&a), needle,
		 mt_stderr(&p));
	MT_CHECK(mt_stderr_lines(&p) == 1, "%s: not one error line: %s", mt_argv_str(&a),
		 mt_stderr(&p));
	MT_CHECK(mt_leftovers(env->root, left, sizeof(left)) == 0,
		 "%s: the failed start left files behind: %s", mt_argv_str(&a), left);
	if (gone != NULL)
		MT_CHECK(access(gone, F_OK) != 0, "%s: the failed start left %s", mt_argv_str(&a),
			 gone);
	mt_log("refused: %s", mt_stderr(&p));
	mt_argv_fini(&a);
	mt_proc_fini(&p);
}

static void test_bad_input(const struct mt_env *env)
{
	char v0[512], v1[512], txt[128], cut[128], big[128], newtx[128], in[128];
	const uint32_t one[] = { 100 }, huge[] = { 60000 };

	snprintf(txt, sizeof(txt), "%s", pf_path("notes.txt"));
	snprintf(cut, sizeof(cut), "%s", pf_path("cut.pcap"));
	snprintf(big, sizeof(big), "%s", pf_path("big.pcap"));
	snprintf(newtx, sizeof(newtx), "%s", pf_path("new.pcap"));
	snprintf(in, sizeof(in), "%s", pf_path("in.pcap"));
	MT_ASSERT(pf_write_raw(txt, "not a capture\n", 14) == 0, "cannot write %s", txt);
	MT_ASSERT(pf_write(cut, PF_ETH, 0, 1, TAG, 3, one, 1) == 0 &&
			  pf_truncate(cut, 24 + 2 * 116 + 16 + 40) == 0,
		  "cannot write %s", cut);
	MT_ASSERT(pf_write(big, PF_ETH, 0, 1, TAG, 700, huge, 1) == 0, "cannot write %s", big);

	snprintf(v0, sizeof(v0), "net_pcap0,rx_pcap=%s/none.pcap,tx_pcap=%s", pf_dir, newtx);
	expect_refused(env, "none.pcap: No such file or directory", newtx, v0, NULL);
	snprintf(v0, sizeof(v0), "net_pcap0,rx_pcap=%s,tx_pcap=%s", txt, newtx);
	expect_refused(env, "notes.txt: unknown file format", newtx, v0, NULL);
	snprintf(v0, sizeof(v0), "net_pcap0,rx_pcap=%s", cut);
	expect_refused(env, "cut.pcap: record 3: truncated dump file", NULL, v0, NULL);
	snprintf(v0, sizeof(v0), "net_pcap0,rx_pcap=%s", big);
	expect_refused(env, "big.pcap: 41 MB of packets does not fit in the 64 MB heap", NULL, v0,
		       NULL);
	snprintf(v0, sizeof(v0), "net_pcap0,tx_pcap=%s/no-dir/out.pcap", pf_dir);
	expect_refused(env, "no-dir/out.pcap: No such file or directory", NULL, v0, NULL);
	snprintf(v0, sizeof(v0), "net_pcap0,tx_pcap=%s", pf_dir);
	expect_refused(env, "Is a directory", NULL, v0, NULL);
	snprintf(v0, sizeof(v0), "net_pcap0,rx_pcap=%s,loop=forever", in);
	expect_refused(env, "loop", NULL, v0, NULL);
	snprintf(v0, sizeof(v0), "net_pcap0,rx_file=%s", in);
	expect_refused(env, "rx_file", NULL, v0, NULL);
	/* a later device fails: the tx file the first one created goes */
	snprintf(v0, sizeof(v0), "net_pcap0,rx_pcap=%s,tx_pcap=%s", in, newtx);
	snprintf(v1, sizeof(v1), "net_pcap1,rx_pcap=%s", txt);
	expect_refused(env, "notes.txt: unknown file format", newtx, v0, v1);
}

int main(void)
{
	struct mt_env env;

	mt_init("drv_pcap_mp", 180);
	mt_tmpdir("pcapmp", pf_dir, sizeof(pf_dir));
	mt_env_init(&env, "pcap");

	test_l2fwd(&env);
	test_mp(&env);
	test_bad_input(&env);

	mt_env_fini(&env);
	return mt_done();
}
