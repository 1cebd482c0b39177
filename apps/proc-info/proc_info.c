/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proc_info.c - mpdp-proc-info: a secondary that shows what an instance
 * holds: ports, queues and their owners, statistics, extended statistics,
 * skipped devices, memzones, rings, mempools and processes; as key=value
 * lines or as one JSON document per sample.
 *
 * It must be safe against any state of the primary (DESIGN.md "Tools"): a
 * port may be configured, stopped or closed between two calls, and the
 * primary may die at any moment. So every API error is expected: -ENODEV (the
 * port went away: left out), -EAGAIN (the primary kept changing the slot:
 * retried a few times, then reported), anything else (reported in the
 * section's errors). Walks that hold the instance lock only copy; printing
 * happens afterwards, so a slow reader of our stdout never holds the lock.
 * When the primary exits, the callback sets a flag; the current document is
 * finished (the heap stays mapped, reading it is safe) and the tool exits 2.
 *
 * Text output, one line per item (see mpdp-proc-info(1)):
 *   port id=0 name=net_ring0 driver=net_ring bus=vdev state=started available=1 ...
 *   queue port=0 dir=rx id=0 owner_proc=0 owner_pid=1234
 *   stats port=0 ipackets=N ibytes=N opackets=N obytes=N imissed=N ...
 *   qstats port=0 queue=0 ipackets=N ibytes=N opackets=N obytes=N errors=N
 *   xstat port=0 name=rx_good_packets value=N
 *   reset port=0
 *   skipped bus=pci name=0000:00:03.0 id=1af4:1000 class=0x020000 kdrv=virtio-pci reason="..."
 *   memzone name=... offset=0x... len=N owner_pid=N
 *   ring name=... size=N capacity=N count=N free=N flags=...
 *   mempool name=... id=N ops=ring size=N ... in_use=N broken=0
 *   process id=0 pid=N type=primary name=... lcores=0,1
 *   error section=NAME reason="..."
 * JSON: {"ports":[{...}],"queues":[...],"stats":[...],...,"errors":[...]}
 * with the same keys, one document per line.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_eal.h>
#include <mpdp/mpdp_ethdev.h>
#include <mpdp/mpdp_ether.h>
#include <mpdp/mpdp_memzone.h>
#include <mpdp/mpdp_mempool.h>
#include <mpdp/mpdp_proc.h>
#include <mpdp/mpdp_ring.h>

#include "app_util.h"

static const char usage[] =
	"\nmpdp-proc-info [runtime options] -- [options]\n"
	"Show what a running instance holds. Runs as a secondary.\n"
	"      --ports           ports and their queues' owners\n"
	"      --stats           port and queue statistics\n"
	"      --xstats          extended statistics\n"
	"      --reset-stats     reset the statistics of the selected ports\n"
	"      --skipped         devices the primary did not use, and why\n"
	"      --memzones        memzones of the shared heap\n"
	"      --rings           rings\n"
	"      --mempools        mempools\n"
	"      --processes       processes attached to the instance\n"
	"      --all             all of the above but --reset-stats\n"
	"                        (default, when no section is given: --ports --stats)\n"
	"      --json            one JSON document per sample, one line each\n"
	"  -p, --portmask MASK   only these ports (hexadecimal; default: all)\n"
	"      --interval S      seconds between samples (default 1 with --count)\n"
	"      --count N         samples to take (default 1; 0 = until SIGINT/SIGTERM)\n"
	"  -h, --help            show this help\n";

enum section {
	SEC_PORTS = 1u << 0,
	SEC_STATS = 1u << 1,
	SEC_XSTATS = 1u << 2,
	SEC_RESET = 1u << 3,
	SEC_SKIPPED = 1u << 4,
	SEC_MEMZONES = 1u << 5,
	SEC_RINGS = 1u << 6,
	SEC_MEMPOOLS = 1u << 7,
	SEC_PROCESSES = 1u << 8,
};
#define SEC_ALL                                                                        \
	(SEC_PORTS | SEC_STATS | SEC_XSTATS | SEC_SKIPPED | SEC_MEMZONES | SEC_RINGS | \
	 SEC_MEMPOOLS | SEC_PROCESSES)

static struct {
	unsigned int sections;
	int json;
	uint32_t portmask;
	double interval;
	int have_interval;
	uint64_t count;
} opt = { .portmask = UINT32_MAX, .count = 1 };

/* ---------------------------------------------------------------- output */

/*
 * One emitter for both forms. Text: an item is a line "kind k=v k=v".
 * JSON: a section is a key holding an array, an item an object.
 */
static struct {
	int in_section, items, fields, sections;
	char errors[16][256];
	unsigned int nb_errors;
} out;

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p); /* names are ASCII; anything else stays valid */
		else
			putchar(*p);
	}
	putchar('"');
}

static int text_needs_quotes(const char *s)
{
	if (*s == '\0')
		return 1;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (isspace(*p) || *p == '"' || *p == '\\' || *p == '=' || !isprint(*p))
			return 1;
	return 0;
}

static void text_quoted(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (!isprint(*p))
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void doc_begin(void)
{
	memset(&out, 0, sizeof(out));
	if (opt.json)
		putchar('{');
}

static void section_begin(const char *name)
{
	out.in_section = 1;
	out.items = 0;
	if (opt.json) {
		if (out.sections++ > 0)
			putchar(',');
		json_str(name);
		fputs(":[", stdout);
	}
}

static void section_end(void)
{
	out.in_section = 0;
	if (opt.json)
		putchar(']');
}

static void item_begin(const char *kind)
{
	out.fields = 0;
	if (opt.json) {
		if (out.items++ > 0)
			putchar(',');
		putchar('{');
	} else {
		fputs(kind, stdout);
	}
}

static void item_end(void)
{
	if (opt.json)
		putchar('}');
	else
		putchar('\n');
}

static void key(const char *k)
{
	if (opt.json) {
		if (out.fields++ > 0)
			putchar(',');
		json_str(k);
		putchar(':');
	} else {
		printf(" %s=", k);
	}
}

static void f_str(const char *k, const char *v)
{
	key(k);
	if (opt.json)
		json_str(v);
	else if (text_needs_quotes(v))
		text_quoted(v);
	else
		fputs(v, stdout);
}

/* Always quoted in text (free text such as a reason). */
static void f_qstr(const char *k, const char *v)
{
	key(k);
	if (opt.json)
		json_str(v);
	else
		text_quoted(v);
}

static void f_u64(const char *k, uint64_t v)
{
	key(k);
	printf("%" PRIu64, v);
}

static void f_i64(const char *k, int64_t v)
{
	key(k);
	printf("%" PRId64, v);
}

/* Hex in text ("0x1f"), a number in JSON. */
static void f_hex(const char *k, uint64_t v)
{
	key(k);
	if (opt.json)
		printf("%" PRIu64, v);
	else
		printf("0x%" PRIx64, v);
}

static void f_bool(const char *k, int v)
{
	key(k);
	if (opt.json)
		fputs(v ? "true" : "false", stdout);
	else
		putchar(v ? '1' : '0');
}

/* A section failed (wholly or in part): say so, and keep the document valid. */
static void section_error(const char *section, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void section_error(const char *section, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (opt.json) {
		if (out.nb_errors < MPDP_DIM(out.errors))
			snprintf(out.errors[out.nb_errors++], sizeof(out.errors[0]), "%s: %s",
				 section, msg);
		return;
	}
	/* in text, the error is one more line of the output, in its place */
	fputs("error", stdout);
	f_str("section", section);
	f_qstr("reason", msg);
	putchar('\n');
}

static void doc_end(void)
{
	if (opt.json) {
		if (out.sections++ > 0)
			putchar(',');
		json_str("errors");
		fputs(":[", stdout);
		for (unsigned int i = 0; i < out.nb_errors; i++) {
			if (i > 0)
				putchar(',');
			json_str(out.errors[i]);
		}
		fputs("]}\n", stdout);
	}
	fflush(stdout);
}

static const char *err_str(int rc)
{
	return strerror(rc < 0 ? -rc : rc);
}

/* ---------------------------------------------------------------- ports */

/* Ports to show: in use now and in the mask. */
static unsigned int ports_selected(uint16_t *ports)
{
	unsigned int n = 0;
	uint16_t p;

	for (p = mpdp_eth_port_next(0); p < MPDP_MAX_PORTS; p = mpdp_eth_port_next(p + 1))
		if (opt.portmask & (1u << p))
			ports[n++] = p;
	return n;
}

/* info_get, retrying while the primary keeps changing the slot. */
static int port_info(uint16_t port, struct mpdp_eth_dev_info *info)
{
	int rc;

	for (int tries = 0; tries < 20; tries++) {
		rc = mpdp_eth_dev_info_get(port, info);
		if (rc != -EAGAIN)
			return rc;
		usleep(1000);
	}
	return rc;
}

static void show_ports(const uint16_t *ports, unsigned int nb)
{
	static struct mpdp_eth_dev_info infos[MPDP_MAX_PORTS];
	int have[MPDP_MAX_PORTS] = { 0 };

	section_begin("ports");
	for (unsigned int i = 0; i < nb; i++) {
		struct mpdp_eth_dev_info *info = &infos[i];
		char mac[MPDP_ETHER_ADDR_FMT_SIZE];
		int rc = port_info(ports[i], info);

		if (rc == -ENODEV)
			continue; /* closed since the list was made */
		if (rc != 0) {
			section_error("ports", "port %u: %s", ports[i], err_str(rc));
			continue;
		}
		have[i] = 1;
		mpdp_ether_addr_format(mac, sizeof(mac), &info->mac);
		item_begin("port");
		f_u64("id", info->port_id);
		f_str("name", info->name);
		f_str("driver", info->driver);
		f_str("bus", info->bus);
		f_str("state", mpdp_eth_state_name(info->state));
		f_bool("available", info->available);
		f_u64("rxq", info->nb_rx_queues);
		f_u64("txq", info->nb_tx_queues);
		f_u64("max_rxq", info->max_rx_queues);
		f_u64("max_txq", info->max_tx_queues);
		f_str("mac", mac);
		f_u64("mtu", info->mtu);
		f_bool("promisc", info->promiscuous);
		f_str("link", info->link.up ? "up" : "down");
		f_u64("speed", info->link.speed_mbps);
		f_str("duplex", info->link.full_duplex ? "full" : "half");
		f_i64("numa", info->numa_node);
		f_u64("generation", info->generation);
		f_qstr("devargs", info->devargs);
		item_end();
	}
	section_end();

	section_begin("queues");
	for (unsigned int i = 0; i < nb; i++) {
		if (!have[i])
			continue;
		for (int dir = MPDP_ETH_RX; dir <= MPDP_ETH_TX; dir++) {
			unsigned int nq =
				dir == MPDP_ETH_RX ? infos[i].nb_rx_queues : infos[i].nb_tx_queues;

			for (uint16_t q = 0; q < nq && q < MPDP_ETH_MAX_QUEUES; q++) {
				int proc_id = -1, pid = 0;
				int rc = mpdp_eth_queue_owner(ports[i], (enum mpdp_eth_dir)dir, q,
							      &proc_id, &pid);

				if (rc == -ENODEV || rc == -EINVAL)
					break; /* closed or reconfigured meanwhile */
				if (rc != 0 && rc != -ENOENT) {
					section_error("queues", "port %u %s queue %u: %s", ports[i],
						      dir == MPDP_ETH_RX ? "rx" : "tx", q,
						      err_str(rc));
					continue;
				}
				item_begin("queue");
				f_u64("port", ports[i]);
				f_str("dir", dir == MPDP_ETH_RX ? "rx" : "tx");
				f_u64("id", q);
				f_bool("claimed", rc == 0);
				f_i64("owner_proc", rc == 0 ? proc_id : -1);
				f_i64("owner_pid", rc == 0 ? pid : 0);
				item_end();
			}
		}
	}
	section_end();
}

static void show_stats(const uint16_t *ports, unsigned int nb)
{
	static struct mpdp_eth_stats st[MPDP_MAX_PORTS];
	unsigned int nq[MPDP_MAX_PORTS];
	int have[MPDP_MAX_PORTS] = { 0 };

	section_begin("stats");
	for (unsigned int i = 0; i < nb; i++) {
		struct mpdp_eth_dev_info info;
		int rc = mpdp_eth_stats_get(ports[i], &st[i]);

		if (rc == -ENODEV)
			continue;
		if (rc != 0) {
			section_error("stats", "port %u: %s", ports[i], err_str(rc));
			continue;
		}
		have[i] = 1;
		nq[i] = 0;
		if (port_info(ports[i], &info) == 0)
			nq[i] = info.nb_rx_queues > info.nb_tx_queues ? info.nb_rx_queues :
									info.nb_tx_queues;
		if (nq[i] > MPDP_ETH_MAX_QUEUES)
			nq[i] = MPDP_ETH_MAX_QUEUES;
		item_begin("stats");
		f_u64("port", ports[i]);
		f_u64("ipackets", st[i].ipackets);
		f_u64("ibytes", st[i].ibytes);
		f_u64("opackets", st[i].opackets);
		f_u64("obytes", st[i].obytes);
		f_u64("imissed", st[i].imissed);
		f_u64("ierrors", st[i].ierrors);
		f_u64("oerrors", st[i].oerrors);
		f_u64("rx_nombuf", st[i].rx_nombuf);
		item_end();
	}
	section_end();

	section_begin("qstats");
	for (unsigned int i = 0; i < nb; i++) {
		if (!have[i])
			continue;
		for (unsigned int q = 0; q < nq[i]; q++) {
			item_begin("qstats");
			f_u64("port", ports[i]);
			f_u64("queue", q);
			f_u64("ipackets", st[i].q_ipackets[q]);
			f_u64("ibytes", st[i].q_ibytes[q]);
			f_u64("opackets", st[i].q_opackets[q]);
			f_u64("obytes", st[i].q_obytes[q]);
			f_u64("errors", st[i].q_errors[q]);
			item_end();
		}
	}
	section_end();
}

static void show_xstats(const uint16_t *ports, unsigned int nb)
{
	section_begin("xstats");
	for (unsigned int i = 0; i < nb; i++) {
		struct mpdp_eth_xstat *xs = NULL;
		int n = mpdp_eth_xstats_get(ports[i], NULL, 0);

		/* the count may grow between the two calls (a reconfigure): retry */
		for (int tries = 0; n > 0 && tries < 5; tries++) {
			struct mpdp_eth_xstat *bigger = realloc(xs, sizeof(*xs) * (size_t)n);
			int got;

			if (bigger == NULL) {
				n = -ENOMEM;
				break;
			}
			xs = bigger;
			got = mpdp_eth_xstats_get(ports[i], xs, (unsigned int)n);
			if (got <= n) {
				n = got;
				break;
			}
			n = got;
		}
		if (n == -ENODEV) {
			free(xs);
			continue;
		}
		if (n < 0) {
			section_error("xstats", "port %u: %s", ports[i], err_str(n));
			free(xs);
			continue;
		}
		for (int k = 0; k < n; k++) {
			xs[k].name[sizeof(xs[k].name) - 1] = '\0';
			item_begin("xstat");
			f_u64("port", ports[i]);
			f_str("name", xs[k].name);
			f_u64("value", xs[k].value);
			item_end();
		}
		free(xs);
	}
	section_end();
}

static void do_reset(const uint16_t *ports, unsigned int nb)
{
	section_begin("reset");
	for (unsigned int i = 0; i < nb; i++) {
		int rc = mpdp_eth_stats_reset(ports[i]);

		if (rc == 0)
			rc = mpdp_eth_xstats_reset(ports[i]);
		if (rc == -ENODEV)
			continue;
		if (rc != 0) {
			section_error("reset", "port %u: %s", ports[i], err_str(rc));
			continue;
		}
		item_begin("reset");
		f_u64("port", ports[i]);
		item_end();
	}
	section_end();
}

/* ---------------------------------------------------------------- skipped */

static int print_skipped(const struct mpdp_bus_skipped *s, void *arg)
{
	char id[16], class_id[16];

	(void)arg;
	snprintf(id, sizeof(id), "%04x:%04x", s->vendor, s->device);
	snprintf(class_id, sizeof(class_id), "0x%06x", s->class_id & 0xffffff);
	item_begin("skipped");
	f_str("bus", s->bus);
	f_str("name", s->name);
	f_str("id", id);
	f_str("class", class_id);
	f_str("kdrv", s->kdrv_name);
	f_qstr("reason", s->reason);
	item_end();
	return 0;
}

static void show_skipped(void)
{
	int rc;

	section_begin("skipped");
	rc = mpdp_bus_skipped_walk(print_skipped, NULL);
	if (rc < 0 && rc != -ENODEV)
		section_error("skipped", "%s", err_str(rc));
	section_end();
}

/* ---------------------------------------------------------------- memzones */

struct mz_list {
	struct mpdp_memzone *zones;
	unsigned int n;
};

/* Under the instance lock: copy only (no memzone call, no output). */
static int collect_memzone(const struct mpdp_memzone *mz, void *arg)
{
	struct mz_list *l = arg;

	if (l->n < MPDP_MAX_MEMZONES)
		l->zones[l->n++] = *mz;
	return 0;
}

static void show_memzones(void)
{
	struct mz_list l = { calloc(MPDP_MAX_MEMZONES, sizeof(struct mpdp_memzone)), 0 };
	int rc;

	section_begin("memzones");
	if (l.zones == NULL) {
		section_error("memzones", "out of memory");
		section_end();
		return;
	}
	rc = mpdp_memzone_walk(collect_memzone, &l);
	if (rc < 0)
		section_error("memzones", "%s", err_str(rc));
	for (unsigned int i = 0; i < l.n; i++) {
		l.zones[i].name[sizeof(l.zones[i].name) - 1] = '\0';
		item_begin("memzone");
		f_str("name", l.zones[i].name);
		f_hex("offset", l.zones[i].offset);
		f_u64("len", l.zones[i].len);
		f_i64("owner_pid", l.zones[i].owner_pid);
		item_end();
	}
	section_end();
	free(l.zones);
}

/* ---------------------------------------------------------------- rings */

static int print_ring(const struct mpdp_ring_info *r, void *arg)
{
	char flags[64];

	(void)arg;
	snprintf(flags, sizeof(flags), "%s,%s%s", (r->flags & MPDP_RING_F_SP_ENQ) ? "sp" : "mp",
		 (r->flags & MPDP_RING_F_SC_DEQ) ? "sc" : "mc",
		 (r->flags & MPDP_RING_F_EXACT_SZ) ? ",exact" : "");
	item_begin("ring");
	f_str("name", r->name);
	f_u64("size", r->size);
	f_u64("capacity", r->capacity);
	f_u64("count", r->count);
	f_u64("free", r->capacity - r->count);
	f_str("flags", flags);
	f_hex("offset", r->offset);
	item_end();
	return 0;
}

static void show_rings(void)
{
	int rc;

	section_begin("rings");
	rc = mpdp_ring_walk(print_ring, NULL);
	if (rc < 0)
		section_error("rings", "%s", err_str(rc));
	section_end();
}

/* ---------------------------------------------------------------- mempools */

static int print_mempool(const struct mpdp_mempool_info *m, void *arg)
{
	uint32_t avail = m->in_backend + m->in_caches;
	char name[MPDP_MEMPOOL_NAME_SIZE], ops[MPDP_MEMPOOL_OPS_NAME_SIZE];

	(void)arg;
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(m->name) - 1, m->name);
	snprintf(ops, sizeof(ops), "%.*s", (int)sizeof(m->ops_name) - 1, m->ops_name);
	item_begin("mempool");
	f_str("name", name);
	f_u64("id", m->id);
	f_str("ops", ops);
	f_u64("size", m->size);
	f_u64("elt_size", m->elt_size);
	f_u64("total_elt_size", m->total_elt_size);
	f_u64("cache_size", m->cache_size);
	f_u64("avail", avail);
	f_u64("in_backend", m->in_backend);
	f_u64("in_caches", m->in_caches);
	f_u64("in_use", avail <= m->size ? m->size - avail : 0);
	f_u64("get_ok", m->stats.get_ok_objs);
	f_u64("get_fail", m->stats.get_fail_objs);
	f_u64("put", m->stats.put_objs);
	f_u64("debug_errors", m->stats.debug_errors);
	f_bool("debug", (m->flags & MPDP_MEMPOOL_F_DEBUG) != 0);
	f_bool("broken", m->broken);
	f_i64("creator_pid", m->creator_pid);
	item_end();
	return 0;
}

static void show_mempools(void)
{
	int rc;

	section_begin("mempools");
	rc = mpdp_mempool_walk(print_mempool, NULL);
	if (rc < 0)
		section_error("mempools", "%s", err_str(rc));
	section_end();
}

/* ---------------------------------------------------------------- processes */

static int print_process(const struct mpdp_proc_info *p, void *arg)
{
	char lcores[MPDP_MAX_LCORES * 4 + 1] = "";
	size_t len = 0;

	(void)arg;
	for (unsigned int i = 0; i < p->nb_lcores && i < MPDP_MAX_LCORES; i++)
		len += (size_t)snprintf(lcores + len, sizeof(lcores) - len, "%s%u", i ? "," : "",
					p->lcores[i]);
	item_begin("process");
	f_i64("id", p->proc_id);
	f_i64("pid", p->pid);
	f_str("type", p->type == MPDP_PROC_PRIMARY ? "primary" : "secondary");
	f_str("name", p->name);
	f_str("lcores", lcores[0] ? lcores : "-");
	f_bool("self", p->proc_id == mpdp_proc_id());
	item_end();
	return 0;
}

static void show_processes(void)
{
	int rc;

	section_begin("processes");
	rc = mpdp_proc_walk(print_process, NULL);
	if (rc < 0)
		section_error("processes", "%s", err_str(rc));
	section_end();
}

/* ---------------------------------------------------------------- main */

static void sample(uint64_t n, uint64_t t_ms)
{
	uint16_t ports[MPDP_MAX_PORTS];
	unsigned int nb = 0;

	if (opt.sections & (SEC_PORTS | SEC_STATS | SEC_XSTATS | SEC_RESET))
		nb = ports_selected(ports);
	doc_begin();
	if (opt.count != 1) {
		if (opt.json) {
			printf("\"sample\":%" PRIu64 ",\"time_ms\":%" PRIu64 ",", n, t_ms);
		} else {
			printf("sample n=%" PRIu64 " time_ms=%" PRIu64 "\n", n, t_ms);
		}
	}
	if (opt.sections & SEC_PORTS)
		show_ports(ports, nb);
	if (opt.sections & SEC_STATS)
		show_stats(ports, nb);
	if (opt.sections & SEC_XSTATS)
		show_xstats(ports, nb);
	if (opt.sections & SEC_RESET)
		do_reset(ports, nb);
	if (opt.sections & SEC_SKIPPED)
		show_skipped();
	if (opt.sections & SEC_MEMZONES)
		show_memzones();
	if (opt.sections & SEC_RINGS)
		show_rings();
	if (opt.sections & SEC_MEMPOOLS)
		show_mempools();
	if (opt.sections & SEC_PROCESSES)
		show_processes();
	if (atomic_load(&app_primary_gone))
		section_error("instance", "the primary exited during this sample");
	doc_end();
}

enum {
	OPT_PORTS = 256,
	OPT_STATS,
	OPT_XSTATS,
	OPT_RESET,
	OPT_SKIPPED,
	OPT_MEMZONES,
	OPT_RINGS,
	OPT_MEMPOOLS,
	OPT_PROCESSES,
	OPT_ALL,
	OPT_JSON,
	OPT_INTERVAL,
	OPT_COUNT,
};

static int parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ports", no_argument, NULL, OPT_PORTS },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "xstats", no_argument, NULL, OPT_XSTATS },
		{ "reset-stats", no_argument, NULL, OPT_RESET },
		{ "skipped", no_argument, NULL, OPT_SKIPPED },
		{ "memzones", no_argument, NULL, OPT_MEMZONES },
		{ "rings", no_argument, NULL, OPT_RINGS },
		{ "mempools", no_argument, NULL, OPT_MEMPOOLS },
		{ "processes", no_argument, NULL, OPT_PROCESSES },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "portmask", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PORTS:
			opt.sections |= SEC_PORTS;
			break;
		case OPT_STATS:
			opt.sections |= SEC_STATS;
			break;
		case OPT_XSTATS:
			opt.sections |= SEC_XSTATS;
			break;
		case OPT_RESET:
			opt.sections |= SEC_RESET;
			break;
		case OPT_SKIPPED:
			opt.sections |= SEC_SKIPPED;
			break;
		case OPT_MEMZONES:
			opt.sections |= SEC_MEMZONES;
			break;
		case OPT_RINGS:
			opt.sections |= SEC_RINGS;
			break;
		case OPT_MEMPOOLS:
			opt.sections |= SEC_MEMPOOLS;
			break;
		case OPT_PROCESSES:
			opt.sections |= SEC_PROCESSES;
			break;
		case OPT_ALL:
			opt.sections |= SEC_ALL;
			break;
		case OPT_JSON:
			opt.json = 1;
			break;
		case 'p':
			if (app_parse_portmask("-p/--portmask", optarg, &opt.portmask) != 0)
				return -1;
			break;
		case OPT_INTERVAL:
			if (app_parse_seconds("--interval", optarg, 86400, &opt.interval) != 0)
				return -1;
			opt.have_interval = 1;
			break;
		case OPT_COUNT:
			if (app_parse_u64("--count", optarg, 0, UINT32_MAX, &opt.count) != 0)
				return -1;
			break;
		default:
			return app_opt_bad(c, argv);
		}
	}
	if (app_opt_trailing(argc, argv) != 0)
		return -1;
	if (opt.sections == 0)
		opt.sections = SEC_PORTS | SEC_STATS;
	if (!opt.have_interval)
		opt.interval = opt.count == 1 ? 0 : 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct app_args args;
	uint64_t t0, n = 0;
	int rc = APP_EXIT_ERROR;

	if (app_start(&args, argc, argv, "mpdp-proc-info", "secondary", usage, &rc) != 0)
		return rc;
	if (parse_options(args.tool_argc, args.tool_argv) != 0)
		goto out_args;

	if (app_init_secondary(&args, usage, &rc) != 0)
		goto out_args;
	t0 = app_now_ns();
	for (;;) {
		if (atomic_load(&app_primary_gone))
			break;
		sample(n, (app_now_ns() - t0) / 1000000);
		n++;
		if (atomic_load(&app_primary_gone) || (opt.count != 0 && n >= opt.count))
			break;
		if (app_sleep_ms((unsigned int)(opt.interval * 1000)) != 0)
			break;
	}
	if (atomic_load(&app_primary_gone)) {
		app_err("the primary exited; stopping");
		rc = APP_EXIT_PRIMARY_GONE;
	} else if (ferror(stdout)) {
		app_err("cannot write the output");
		rc = APP_EXIT_ERROR;
	} else {
		rc = APP_EXIT_OK;
	}
	mpdp_cleanup();
out_args:
	app_args_fini(&args);
	return rc;
}
