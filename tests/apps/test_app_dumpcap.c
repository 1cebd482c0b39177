/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_app_dumpcap.c - mpdp-dumpcap beside a forwarding primary.
 *
 * mpdp-l2fwd forwards ring ports 0 <-> 1; port 2 is the peer of 0, port 3 of
 * 1. pktgen A (a secondary) sends on 2 and receives on 3, so its frames are
 * received by port 0; pktgen B sends on 3 and receives on 2, so its frames
 * are sent by port 0. mpdp-dumpcap (a third program) captures port 0.
 *
 *  1. Both ways with -c: the file holds exactly A's frames inbound and B's
 *     outbound, every byte as pktgen made it (run id, flow, sequence,
 *     pattern), each (flow, seq) once; pcapng blocks are well formed
 *     (SHB, IDB with if_name and if_tsresol 9, EPB with epb_flags, ISB);
 *     tcpdump reads the file and counts the same (skipped without tcpdump).
 *  2. A filter after the options (ether src of one flow of four) keeps a
 *     quarter; SIGINT ends the capture, exit 0, summary line with the counts.
 *  3. -f, -Q in, --duration: stops by itself; a filter no frame matches gives
 *     a file with headers only; '-w -' piped into tcpdump.
 *  4. SIGKILL of dumpcap: l2fwd still forwards every frame, and a new
 *     dumpcap captures the port at once.
 *  5. Bad input: unknown port (id and name), bad filter, unwritable file,
 *     bad options, a port another dumpcap captures: one error line, exit 1,
 *     no file left.
 *  6. The primary exits: dumpcap exits 2, the file holds what came before.
 *
 * The forwarding rate with and without a capture is measured by
 * bench/bench_dumpcap.sh, not here.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_test.h"

#define T 30000

static char tmpdir[64];

/* ---------------------------------------------------------------- pcapng */

struct pkt {
	uint32_t ifid, caplen, origlen, flags;
	uint64_t ts;
	const uint8_t *data;
};

struct pcapng {
	uint8_t *buf;
	size_t len;
	unsigned int nb_idb, nb_isb, nb_pkts;
	char if_name[64];
	int tsresol;
	uint32_t snaplen;
	struct pkt *pkts;
};

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Walk the options at p..end: calls back each (code, value, len). */
static int opts_walk(const uint8_t *p, const uint8_t *end,
		     void (*cb)(uint16_t code, const uint8_t *v, uint16_t len, void *arg),
		     void *arg)
{
	while (p + 4 <= end) {
		uint16_t code, len;

		memcpy(&code, p, 2);
		memcpy(&len, p + 2, 2);
		if (code == 0)
			return 0;
		if (p + 4 + ((len + 3u) & ~3u) > end)
			return -1;
		cb(code, p + 4, len, arg);
		p += 4 + ((len + 3u) & ~3u);
	}
	return -1; /* no end-of-options */
}

static void idb_opt(uint16_t code, const uint8_t *v, uint16_t len, void *arg)
{
	struct pcapng *f = arg;

	if (code == 2 && len < sizeof(f->if_name)) {
		memcpy(f->if_name, v, len);
		f->if_name[len] = '\0';
	} else if (code == 9 && len == 1) {
		f->tsresol = v[0];
	}
}

static void epb_opt(uint16_t code, const uint8_t *v, uint16_t len, void *arg)
{
	struct pkt *k = arg;

	if (code == 2 && len == 4)
		k->flags = u32_at(v);
}

static void noop_opt(uint16_t code, const uint8_t *v, uint16_t len, void *arg)
{
	(void)code;
	(void)v;
	(void)len;
	(void)arg;
}

/* Read and check the file; fails the test on a malformed block. */
static void pcapng_load(const char *path, struct pcapng *f)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	size_t off = 0, cap = 1024;

	memset(f, 0, sizeof(*f));
	f->tsresol = -1;
	MT_ASSERT(fp != NULL && stat(path, &st) == 0, "cannot read %s: %s", path, strerror(errno));
	f->len = (size_t)st.st_size;
	f->buf = malloc(f->len + 1);
	f->pkts = malloc(cap * sizeof(*f->pkts));
	MT_ASSERT(f->buf != NULL && f->pkts != NULL, "out of memory");
	MT_ASSERT(fread(f->buf, 1, f->len, fp) == f->len, "short read of %s", path);
	fclose(fp);
	MT_ASSERT(f->len >= 28 && u32_at(f->buf) == 0x0A0D0D0Au &&
			  u32_at(f->buf + 8) == 0x1A2B3C4Du && u32_at(f->buf + 12) == 1,
		  "%s does not start with a pcapng section header (1.0, host order)", path);
	while (off < f->len) {
		const uint8_t *b = f->buf + off;
		uint32_t type, len;

		MT_ASSERT(off + 12 <= f->len, "truncated block at %zu", off);
		type = u32_at(b);
		len = u32_at(b + 4);
		MT_ASSERT(len >= 12 && len % 4 == 0 && off + len <= f->len &&
				  u32_at(b + len - 4) == len,
			  "bad block length %u at %zu (type 0x%x)", len, off, type);
		if (type == 0x0A0D0D0Au) {
			MT_ASSERT(off == 0, "a second section at %zu", off);
			MT_ASSERT(opts_walk(b + 24, b + len - 4, noop_opt, NULL) == 0,
				  "bad SHB options");
		} else if (type == 1) {
			MT_ASSERT(u32_at(b + 8) == 1, "link type %u, want 1 (Ethernet)",
				  u32_at(b + 8) & 0xffff);
			f->snaplen = u32_at(b + 12);
			MT_ASSERT(opts_walk(b + 16, b + len - 4, idb_opt, f) == 0,
				  "bad IDB options");
			f->nb_idb++;
		} else if (type == 6) {
			struct pkt k;

			memset(&k, 0, sizeof(k));
			k.ifid = u32_at(b + 8);
			k.ts = (uint64_t)u32_at(b + 12) << 32 | u32_at(b + 16);
			k.caplen = u32_at(b + 20);
			k.origlen = u32_at(b + 24);
			k.data = b + 28;
			MT_ASSERT(k.ifid < f->nb_idb, "EPB for interface %u of %u", k.ifid,
				  f->nb_idb);
			MT_ASSERT(28 + ((k.caplen + 3u) & ~3u) + 4 <= len && k.caplen <= k.origlen,
				  "bad EPB lengths cap %u orig %u block %u", k.caplen, k.origlen,
				  len);
			MT_ASSERT(opts_walk(b + 28 + ((k.caplen + 3u) & ~3u), b + len - 4, epb_opt,
					    &k) == 0,
				  "bad EPB options");
			if (f->nb_pkts == cap) {
				cap *= 2;
				f->pkts = realloc(f->pkts, cap * sizeof(*f->pkts));
				MT_ASSERT(f->pkts != NULL, "out of memory");
			}
			f->pkts[f->nb_pkts++] = k;
		} else if (type == 5) {
			MT_ASSERT(opts_walk(b + 20, b + len - 4, noop_opt, NULL) == 0,
				  "bad ISB options");
			f->nb_isb++;
		}
		off += len;
	}
}

static void pcapng_fini(struct pcapng *f)
{
	free(f->buf);
	free(f->pkts);
	memset(f, 0, sizeof(*f));
}

/*
 * The frames of one pktgen run (its pid), flows flows, count frames, size
 * bytes, sent on tx_port, in direction flags (1 in, 2 out) of the file:
 * every byte as pktgen makes it, each (flow, seq) exactly once.
 */
static unsigned int check_pktgen_frames(const struct pcapng *f, pid_t run, unsigned int tx_port,
					unsigned int flows, unsigned int count, unsigned int size,
					uint32_t dir)
{
	uint8_t *seen = calloc(count, 1);
	unsigned int n = 0, bad = 0;

	MT_ASSERT(seen != NULL, "out of memory");
	for (unsigned int i = 0; i < f->nb_pkts; i++) {
		const struct pkt *k = &f->pkts[i];
		const uint8_t *d = k->data;
		uint32_t flow;
		uint64_t seq;
		int ok;

		if (k->caplen < 46 || be32(d + 14) != 0x4d504447u || be32(d + 18) != (uint32_t)run)
			continue;
		flow = be32(d + 22);
		seq = be64(d + 30);
		ok = (k->flags & 3) == dir && k->caplen == size && k->origlen == size &&
		     be32(d + 26) == size && flow < flows && seq * flows + flow < count;
		/* dst 02:00:00:00:00:<tx port>, src 02:00:00:01:<flow>, EtherType 0x88B5 */
		ok = ok && d[0] == 2 && d[1] == 0 && d[2] == 0 && d[3] == 0 && d[4] == 0 &&
		     d[5] == tx_port && d[6] == 2 && d[7] == 0 && d[8] == 0 && d[9] == 1 &&
		     d[10] == (uint8_t)(flow >> 8) && d[11] == (uint8_t)flow && d[12] == 0x88 &&
		     d[13] == 0xb5;
		for (uint32_t b = 46; ok && b < k->caplen; b++)
			ok = d[b] == (uint8_t)(seq + flow + (b - 46));
		if (!ok || seen[seq * flows + flow]) {
			if (bad++ < 3)
				mt_log("packet %u of run %d: not as pktgen made it, or seen twice "
				       "(flow %u seq %llu cap %u orig %u flags 0x%x)",
				       i, (int)run, flow, (unsigned long long)seq, k->caplen,
				       k->origlen, k->flags);
			continue;
		}
		seen[seq * flows + flow] = 1;
		n++;
	}
	free(seen);
	MT_CHECK(bad == 0, "%u bad or duplicate frames of run %d", bad, (int)run);
	return n;
}

/* ---------------------------------------------------------------- tools */

static void dumpcap_argv(struct mt_argv *a, const struct mt_env *env, ...)
	__attribute__((sentinel));
static void dumpcap_argv(struct mt_argv *a, const struct mt_env *env, ...)
{
	va_list ap;
	const char *s;

	mt_argv_init(a, mt_getenv_path("MPDP_APP_DUMPCAP"));
	mt_argv_runtime(a, env, NULL, 0); /* the tool makes itself a secondary */
	mt_argv_add(a, "--", NULL);
	va_start(ap, env);
	while ((s = va_arg(ap, const char *)) != NULL)
		mt_argv_add(a, s, NULL);
	va_end(ap);
}

/* Spawn dumpcap with a and wait until it captures. */
static void dumpcap_start(struct mt_proc *p, const char *label, struct mt_argv *a)
{
	mt_spawn(p, label, a);
	mt_argv_fini(a);
	MT_ASSERT(mt_wait_stderr(p, "capturing on", 10000) == 1, "%s did not start capturing: %s",
		  label, mt_stderr(p));
}

static void pktgen_spawn(struct mt_proc *g, const char *label, const struct mt_env *env,
			 const char *tx, const char *rx, const char *count, const char *flows,
			 const char *size)
{
	struct mt_argv a;

	at_argv(&a, "pktgen", env, "secondary", NULL, "--tx-port", tx, "--rx-port", rx, "--count",
		count, "--rate", "20000", "--flows", flows, "--size", size, "--idle-us", "20",
		"--drain-ms", "3000", NULL);
	mt_spawn(g, label, &a);
	mt_argv_fini(&a);
}

/* Wait for a pktgen's end: every frame back, none lost. */
static void pktgen_done(struct mt_proc *g, unsigned long long count)
{
	char line[512];

	MT_ASSERT(mt_wait_line(g, "pktgen ", line, sizeof(line), T) == 1, "%s: no result: %s",
		  g->label, mt_stderr(g));
	mt_expect_exit(g, 0, T);
	MT_CHECK(mt_field_ull(line, "sent") == count && mt_field_ull(line, "received") == count &&
			 mt_field_ull(line, "lost") == 0 && mt_field_ull(line, "bad") == 0,
		 "%s: %s", g->label, line);
}

static void run_pktgen(const struct mt_env *env, const char *tx, const char *rx, unsigned int count,
		       const char *flows, pid_t *pid)
{
	struct mt_proc g;
	char c[32];

	snprintf(c, sizeof(c), "%u", count);
	pktgen_spawn(&g, "pktgen", env, tx, rx, c, flows, "64");
	if (pid != NULL)
		*pid = g.pid;
	pktgen_done(&g, count);
	mt_proc_fini(&g);
}

/* The summary line of port 0: its counters. */
static void summary(struct mt_proc *p, unsigned long long *captured, unsigned long long *written,
		    unsigned long long *dropped, unsigned long long *filtered)
{
	const char *s = strstr(mt_stderr(p), "port 0 (net_ring0): ");

	MT_ASSERT(s != NULL, "%s: no summary line: %s", p->label, mt_stderr(p));
	MT_ASSERT(sscanf(s,
			 "port 0 (net_ring0): %llu packets captured, %llu written, %llu dropped, "
			 "%llu filtered",
			 captured, written, dropped, filtered) == 4,
		  "%s: summary line: %s", p->label, s);
}

static int have_tcpdump(void)
{
	return system("command -v tcpdump >/dev/null 2>&1") == 0;
}

/* Packets tcpdump reads from path with the filter (may be ""); -1 when it fails. */
static long tcpdump_count(const char *path, const char *filter)
{
	char cmd[1024], out[64] = "";
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "tcpdump -r '%s' -nn %s 2>/tmp/mpdp-test-tcpdump.err | grep -c '^[0-9]'; "
		 "grep -qi 'truncated\\|error\\|warning' /tmp/mpdp-test-tcpdump.err && echo bad; "
		 "rm -f /tmp/mpdp-test-tcpdump.err",
		 path, filter);
	p = popen(cmd, "r");
	MT_ASSERT(p != NULL, "popen failed");
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	{
		char more[64];

		if (fgets(more, sizeof(more), p) != NULL && strncmp(more, "bad", 3) == 0)
			out[0] = '\0';
	}
	st = pclose(p);
	(void)st;
	return out[0] != '\0' ? strtol(out, NULL, 10) : -1;
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---------------------------------------------------------------- cases */

static void both_ways(const struct mt_env *env)
{
	struct mt_proc dc, ga, gb;
	struct mt_argv a;
	struct pcapng f;
	char path[128];
	unsigned long long cap, wr, dr, fi;
	unsigned int in = 0, out = 0;

	snprintf(path, sizeof(path), "%s/both.pcapng", tmpdir);
	dumpcap_argv(&a, env, "-i", "0", "-w", path, "-c", "5000", NULL);
	dumpcap_start(&dc, "dumpcap", &a);
	pktgen_spawn(&ga, "pktgen-a", env, "2", "3", "3000", "4", "64");
	pktgen_spawn(&gb, "pktgen-b", env, "3", "2", "2000", "1", "200");
	pktgen_done(&ga, 3000);
	pktgen_done(&gb, 2000);
	mt_expect_exit(&dc, 0, T);
	summary(&dc, &cap, &wr, &dr, &fi);
	MT_CHECK(wr == 5000 && dr == 0 && fi == 0 && cap >= 5000,
		 "summary: %llu captured, %llu written, %llu dropped, %llu filtered", cap, wr, dr,
		 fi);

	pcapng_load(path, &f);
	MT_CHECK(f.nb_idb == 1 && strcmp(f.if_name, "net_ring0") == 0 && f.tsresol == 9 &&
			 f.snaplen == 2048,
		 "IDB: %u blocks, if_name '%s', if_tsresol %d, snaplen %u", f.nb_idb, f.if_name,
		 f.tsresol, f.snaplen);
	MT_CHECK(f.nb_isb == 1, "%u statistics blocks, want 1", f.nb_isb);
	MT_CHECK(f.nb_pkts == 5000, "%u packets in the file, want 5000", f.nb_pkts);
	for (unsigned int i = 0; i < f.nb_pkts; i++) {
		in += (f.pkts[i].flags & 3) == 1;
		out += (f.pkts[i].flags & 3) == 2;
	}
	MT_CHECK(in == 3000 && out == 2000, "%u inbound (want 3000), %u outbound (want 2000)", in,
		 out);
	MT_CHECK(check_pktgen_frames(&f, ga.pid, 2, 4, 3000, 64, 1) == 3000,
		 "not every frame of pktgen A inbound");
	MT_CHECK(check_pktgen_frames(&f, gb.pid, 3, 1, 2000, 200, 2) == 2000,
		 "not every frame of pktgen B outbound");
	pcapng_fini(&f);

	if (have_tcpdump()) {
		long n = tcpdump_count(path, ""),
		     n_in = tcpdump_count(path, "ether dst 02:00:00:00:00:02");

		MT_CHECK(n == 5000 && n_in == 3000, "tcpdump read %ld packets (%ld to ..:02)", n,
			 n_in);
	} else {
		mt_log("tcpdump is not installed: the file is checked by our own parser only");
	}
	mt_proc_fini(&ga);
	mt_proc_fini(&gb);
	mt_proc_fini(&dc);
}

static void filter_and_sigint(const struct mt_env *env)
{
	struct mt_proc dc;
	struct mt_argv a;
	struct pcapng f;
	char path[128];
	unsigned long long cap, wr, dr, fi;
	pid_t run;

	snprintf(path, sizeof(path), "%s/flow1.pcapng", tmpdir);
	/* the filter as trailing words, as tcpdump takes it */
	dumpcap_argv(&a, env, "-i", "net_ring0", "-w", path, "ether", "src", "02:00:00:01:00:01",
		     NULL);
	dumpcap_start(&dc, "dumpcap-filter", &a);
	run_pktgen(env, "2", "3", 2000, "4", &run);
	mt_sleep_ms(300); /* the last copies reach the file */
	mt_kill(&dc, SIGINT);
	mt_expect_exit(&dc, 0, T);
	summary(&dc, &cap, &wr, &dr, &fi);
	MT_CHECK(cap == 2000 && wr == 500 && dr == 0 && fi == 1500,
		 "summary: %llu captured, %llu written, %llu dropped, %llu filtered", cap, wr, dr,
		 fi);
	MT_CHECK(mt_stderr_lines(&dc) == 2, "want the start and the summary lines only: %s",
		 mt_stderr(&dc));
	pcapng_load(path, &f);
	MT_CHECK(f.nb_pkts == 500, "%u packets, want 500", f.nb_pkts);
	for (unsigned int i = 0; i < f.nb_pkts; i++)
		MT_CHECK(f.pkts[i].data[11] == 1, "packet %u is of flow %u", i, f.pkts[i].data[11]);
	pcapng_fini(&f);
	mt_proc_fini(&dc);
}

static void duration_and_stdout(const struct mt_env *env)
{
	struct mt_proc dc;
	struct mt_argv a;
	struct pcapng f;
	char path[128], cmd[1024];
	uint64_t t0;
	unsigned long long cap, wr, dr, fi;

	/* -f, -Q in, --duration; nothing matches: a file with headers only */
	snprintf(path, sizeof(path), "%s/udp.pcapng", tmpdir);
	dumpcap_argv(&a, env, "-w", path, "-Q", "in", "--duration", "2", "-f", "udp", NULL);
	t0 = mt_now_ms();
	dumpcap_start(&dc, "dumpcap-duration", &a);
	run_pktgen(env, "2", "3", 1000, "1", NULL);
	mt_expect_exit(&dc, 0, 10000);
	MT_CHECK(mt_now_ms() - t0 >= 2000, "--duration 2 stopped after %llu ms",
		 (unsigned long long)(mt_now_ms() - t0));
	summary(&dc, &cap, &wr, &dr, &fi);
	MT_CHECK(cap == 1000 && wr == 0 && fi == 1000,
		 "summary: %llu captured, %llu written, %llu "
		 "filtered",
		 cap, wr, fi);
	pcapng_load(path, &f);
	MT_CHECK(f.nb_idb == 1 && f.nb_pkts == 0 && f.nb_isb == 1, "headers-only file: %u %u %u",
		 f.nb_idb, f.nb_pkts, f.nb_isb);
	pcapng_fini(&f);
	mt_proc_fini(&dc);

	/* -w - into tcpdump */
	if (!have_tcpdump())
		return;
	snprintf(path, sizeof(path), "%s/stdout.count", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "'%s' --prefix %s --runtime-dir %s --no-huge -- -w - -c 300 --rx-only | "
		 "tcpdump -r - -nn 2>/dev/null | grep -c '^[0-9]' > %s &",
		 mt_getenv_path("MPDP_APP_DUMPCAP"), env->prefix, env->root, path);
	MT_ASSERT(system(cmd) == 0, "cannot start the pipe");
	mt_sleep_ms(1000);
	run_pktgen(env, "2", "3", 300, "1", NULL);
	for (int i = 0; i < 100; i++) {
		FILE *fp = fopen(path, "r");
		long n = -1;

		if (fp != NULL) {
			if (fscanf(fp, "%ld", &n) != 1)
				n = -1;
			fclose(fp);
		}
		if (n >= 0 || i == 99) {
			MT_CHECK(n == 300, "tcpdump read %ld packets from '-w -', want 300", n);
			break;
		}
		mt_sleep_ms(100);
	}
	unlink(path);
}

static void sigkill_and_again(const struct mt_env *env)
{
	struct mt_proc dc;
	struct mt_argv a;
	struct pcapng f;
	char path[128];
	unsigned long long cap, wr, dr, fi;

	snprintf(path, sizeof(path), "%s/killed.pcapng", tmpdir);
	dumpcap_argv(&a, env, "-w", path, NULL);
	dumpcap_start(&dc, "dumpcap-killed", &a);
	run_pktgen(env, "2", "3", 1000, "1", NULL);
	mt_kill(&dc, SIGKILL);
	mt_wait_exit(&dc, T);
	mt_proc_fini(&dc);
	unlink(path);
	/* l2fwd still forwards everything; the port can be captured again at once */
	run_pktgen(env, "2", "3", 1000, "1", NULL);
	snprintf(path, sizeof(path), "%s/again.pcapng", tmpdir);
	dumpcap_argv(&a, env, "-i", "0", "-w", path, "-c", "1000", NULL);
	dumpcap_start(&dc, "dumpcap-again", &a);
	run_pktgen(env, "2", "3", 1000, "1", NULL);
	mt_expect_exit(&dc, 0, T);
	summary(&dc, &cap, &wr, &dr, &fi);
	MT_CHECK(wr == 1000 && dr == 0, "after the kill: %llu written, %llu dropped", wr, dr);
	pcapng_load(path, &f);
	MT_CHECK(f.nb_pkts == 1000, "%u packets, want 1000", f.nb_pkts);
	pcapng_fini(&f);
	mt_proc_fini(&dc);
}

/* dumpcap with these options exits 1 with one error line containing want, leaving no file. */
static void refused(const struct mt_env *env, const char *want, const char *file, ...)
	__attribute__((sentinel));
static void refused(const struct mt_env *env, const char *want, const char *file, ...)
{
	struct mt_proc p;
	struct mt_argv a;
	va_list ap;
	const char *s;

	dumpcap_argv(&a, env, NULL);
	va_start(ap, file);
	while ((s = va_arg(ap, const char *)) != NULL)
		mt_argv_add(&a, s, NULL);
	va_end(ap);
	mt_spawn(&p, "dumpcap-bad", &a);
	mt_expect_exit(&p, 1, 10000);
	MT_CHECK(strstr(mt_stderr(&p), want) != NULL, "%s: no '%s' in: %s", mt_argv_str(&a), want,
		 mt_stderr(&p));
	MT_CHECK(mt_stderr_lines(&p) == 1, "%s: want one error line: %s", mt_argv_str(&a),
		 mt_stderr(&p));
	if (file != NULL)
		MT_CHECK(!file_exists(file), "%s: left %s behind", mt_argv_str(&a), file);
	mt_argv_fini(&a);
	mt_proc_fini(&p);
}

static void bad_input(const struct mt_env *env)
{
	struct mt_proc dc;
	struct mt_argv a;
	char path[128], busy[128];

	snprintf(path, sizeof(path), "%s/bad.pcapng", tmpdir);
	refused(env, "no port '9'", path, "-i", "9", "-w", path, NULL);
	refused(env, "no port 'nosuch'", path, "-i", "nosuch", "-w", path, NULL);
	refused(env, "invalid filter", path, "-w", path, "-f", "ether hst ((", NULL);
	refused(env, "invalid filter", path, "-w", path, "tcp", "port", "http-nope", NULL);
	refused(env, "cannot open", NULL, "-w", "/nonexistent-dir/x.pcapng", NULL);
	refused(env, "unknown option", path, "-w", path, "--bogus", NULL);
	refused(env, "-w FILE", path, "-c", "10", NULL);
	refused(env, "-Q/--direction", path, "-w", path, "-Q", "sideways", NULL);
	refused(env, "-a/--autostop", path, "-w", path, "-a", "filesize:10", NULL);
	refused(env, "-q/--queue", path, "-w", path, "-q", "99", NULL);
	refused(env, "not both", path, "-w", path, "-f", "udp", "tcp", NULL);

	/* the port is captured by another dumpcap */
	snprintf(busy, sizeof(busy), "%s/busy.pcapng", tmpdir);
	dumpcap_argv(&a, env, "-i", "0", "-w", busy, NULL);
	dumpcap_start(&dc, "dumpcap-holder", &a);
	refused(env, "already captured", path, "-i", "0", "-w", path, NULL);
	mt_kill(&dc, SIGTERM);
	mt_expect_exit(&dc, 0, T);
	mt_proc_fini(&dc);
	unlink(busy);
}

static void primary_exits(const struct mt_env *env, struct mt_proc *l2)
{
	struct mt_proc dc;
	struct mt_argv a;
	struct pcapng f;
	char path[128];

	snprintf(path, sizeof(path), "%s/last.pcapng", tmpdir);
	dumpcap_argv(&a, env, "-w", path, NULL);
	dumpcap_start(&dc, "dumpcap-last", &a);
	run_pktgen(env, "2", "3", 500, "1", NULL);
	mt_sleep_ms(300);
	mt_kill(l2, SIGINT);
	mt_expect_exit(l2, 0, T);
	mt_expect_exit(&dc, 2, T);
	MT_CHECK(strstr(mt_stderr(&dc), "primary exited") != NULL, "no message: %s",
		 mt_stderr(&dc));
	pcapng_load(path, &f);
	MT_CHECK(f.nb_pkts == 500, "%u packets before the primary left, want 500", f.nb_pkts);
	pcapng_fini(&f);
	mt_proc_fini(&dc);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc l2;

	mt_init("app_dumpcap", 240);
	mt_tmpdir("dumpcap", tmpdir, sizeof(tmpdir));
	mt_env_init(&env, "dumpcap");
	at_start_l2fwd(&l2, &env, at_ring_quad, NULL, "-p", "0x3", "--idle-us", "20", NULL);

	both_ways(&env);
	filter_and_sigint(&env);
	duration_and_stdout(&env);
	sigkill_and_again(&env);
	bad_input(&env);
	primary_exits(&env, &l2);

	mt_proc_fini(&l2);
	mt_env_fini(&env);
	return mt_done();
}
