/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_shell.c - a helper program that drives the port API from commands on
 * stdin, for the multi-process ethdev tests. Built as two executables
 * (mpdp-test-eth-a and mpdp-test-eth-b, the latter with extra code in front
 * so no function sits at the same offset), each a PIE with its own copy of
 * the library and drivers. Either runs as primary or secondary.
 *
 *   mpdp-test-eth-X [runtime options] -- shell
 *     prints "READY <pid> <heap base> <heap len> proc_id=N" and serves:
 *
 *   ports                       "OK count=N ids=0,1 names=a,b avail=1,1"
 *   info P                      name= driver= state= available= rxq= txq= mtu=
 *                               promisc= mac= link= speed= gen=
 *   find NAME                   port=
 *   pool NAME N                 mbuf pool of N (cache 32, data room 2048)
 *   configure P NRX NTX [MTU]   rxq P Q NDESC POOL | txq P Q NDESC
 *   start P | stop P | close P | hotplug DEVARGS (port=)
 *   promisc P 0|1 | mtu P N | mac P ADDR | link P
 *   claim P rx|tx Q | release P rx|tx Q | owner P rx|tx Q (proc_id= pid=)
 *   tx P Q N SIZE POOL [TAG]    send N packets of SIZE bytes (payload: TAG, seq)
 *                               retrying for up to 2 s: sent=
 *   rx P Q N TIMEOUT_MS [TAG]   receive until N or the timeout: received=
 *                               bytes= bad= (payload checked when TAG given)
 *   stats P | reset P | xstats P (n= then name=value pairs)
 *   events                      events since the last call: list=NEW:0,CLOSED:1
 *   sync                        mpdp_eth_dev_sync()
 *   skipped                     devices the primary skipped:
 *                               n= list=NAME/KDRV/REASON-WORD;... (reason's first word)
 *   plus the mp_helper.h commands (procs, quit, ...).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpdp/mpdp.h>
#include <mpdp/mpdp_bus.h>
#include <mpdp/mpdp_ethdev.h>

#include "../mp/mp_helper.h"

#ifdef ETH_SHELL_B
/* different code in front: no function of B at the offset it has in A */
volatile unsigned int eth_shell_b_pad;
void eth_shell_b_padding(void);
void eth_shell_b_padding(void)
{
	for (int i = 0; i < 64; i++)
		eth_shell_b_pad += (unsigned int)i * eth_shell_b_pad + 3u;
}
#endif

#define ES_MAX_POOLS 8
#define ES_OUT 8192

static struct {
	char name[MPDP_MEMPOOL_NAME_SIZE];
	struct mpdp_mempool *mp;
} pools[ES_MAX_POOLS];

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char ev_log[4096];

static const char *ev_name(enum mpdp_eth_event ev)
{
	switch (ev) {
	case MPDP_ETH_EVENT_NEW: return "NEW";
	case MPDP_ETH_EVENT_CONFIGURED: return "CONFIGURED";
	case MPDP_ETH_EVENT_STARTED: return "STARTED";
	case MPDP_ETH_EVENT_STOPPED: return "STOPPED";
	case MPDP_ETH_EVENT_CLOSED: return "CLOSED";
	case MPDP_ETH_EVENT_LINK: return "LINK";
	}
	return "?";
}

static void on_event(uint16_t port, enum mpdp_eth_event ev, void *arg)
{
	size_t n;

	(void)arg;
	pthread_mutex_lock(&ev_lock);
	n = strlen(ev_log);
	if (n < sizeof(ev_log) - 32)
		snprintf(ev_log + n, sizeof(ev_log) - n, "%s%s:%u", n ? "," : "", ev_name(ev), port);
	pthread_mutex_unlock(&ev_lock);
}

static struct mpdp_mempool *pool_get(const char *name)
{
	struct mpdp_mempool *mp;

	for (int i = 0; i < ES_MAX_POOLS; i++)
		if (pools[i].mp != NULL && strcmp(pools[i].name, name) == 0)
			return pools[i].mp;
	mp = mpdp_mempool_lookup(name, NULL);
	for (int i = 0; mp != NULL && i < ES_MAX_POOLS; i++)
		if (pools[i].mp == NULL) {
			snprintf(pools[i].name, sizeof(pools[i].name), "%s", name);
			pools[i].mp = mp;
			break;
		}
	return mp;
}

static uint16_t num(const char *s)
{
	return (uint16_t)strtoul(s, NULL, 0);
}

static void cmd_ports(void)
{
	char ids[256] = "", names[1024] = "", avail[256] = "";
	size_t a = 0, b = 0, c = 0;
	unsigned int count = 0;
	uint16_t p;

	MPDP_ETH_FOREACH_PORT(p) {
		struct mpdp_eth_dev_info info;

		if (mpdp_eth_dev_info_get(p, &info) != 0)
			continue;
		count++;
		a += (size_t)snprintf(ids + a, sizeof(ids) - a, "%s%u", a ? "," : "", p);
		b += (size_t)snprintf(names + b, sizeof(names) - b, "%s%s", b ? "," : "", info.name);
		c += (size_t)snprintf(avail + c, sizeof(avail) - c, "%s%d", c ? "," : "",
				      info.available);
	}
	mh_say("OK count=%u n=%u ids=%s names=%s avail=%s", count, mpdp_eth_dev_count(),
	       ids[0] ? ids : "-", names[0] ? names : "-", avail[0] ? avail : "-");
}

static void cmd_info(uint16_t p)
{
	struct mpdp_eth_dev_info i;
	char mac[MPDP_ETHER_ADDR_FMT_SIZE];
	int rc = mpdp_eth_dev_info_get(p, &i);

	if (rc != 0) {
		mh_say_err(rc, "info %u", p);
		return;
	}
	mpdp_ether_addr_format(mac, sizeof(mac), &i.mac);
	mh_say("OK name=%s driver=%s bus=%s state=%s available=%d rxq=%u txq=%u maxrxq=%u mtu=%u "
	       "promisc=%d mac=%s link=%s speed=%u gen=%u", i.name, i.driver, i.bus,
	       mpdp_eth_state_name(i.state), i.available, i.nb_rx_queues, i.nb_tx_queues,
	       i.max_rx_queues, i.mtu, i.promiscuous, mac, i.link.up ? "up" : "down",
	       i.link.speed_mbps, i.generation);
}

static void cmd_tx(uint16_t p, uint16_t q, unsigned int n, unsigned int size,
		   struct mpdp_mempool *mp, uint32_t tag)
{
	unsigned int sent = 0, seq = 0;
	uint64_t deadline = 0;

	while (sent < n) {
		struct mpdp_mbuf *m[32];
		unsigned int want = n - sent < 32 ? n - sent : 32, built = 0;
		uint16_t k;

		for (; built < want; built++) {
			uint8_t *d;

			m[built] = mpdp_mbuf_alloc(mp);
			if (m[built] == NULL)
				break;
			d = (uint8_t *)mpdp_mbuf_append(m[built], (uint16_t)size);
			if (d == NULL) {
				mpdp_mbuf_free(m[built]);
				break;
			}
			memset(d, 0, size);
			memset(d, 0xff, 6);
			if (size >= 24) {
				uint32_t s = seq + built;

				d[12] = 0x88;
				d[13] = 0xb5;
				memcpy(d + 16, &tag, 4);
				memcpy(d + 20, &s, 4);
			}
		}
		k = built ? mpdp_eth_tx_burst(p, q, m, (uint16_t)built) : 0;
		for (unsigned int i = k; i < built; i++)
			mpdp_mbuf_free(m[i]);
		/* only what went out advances the sequence */
		seq += k;
		sent += k;
		if (k == 0) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
			if (deadline == 0)
				deadline = now + 2000;
			else if (now > deadline)
				break;
			usleep(1000);
		} else {
			deadline = 0;
		}
	}
	mh_say("OK sent=%u", sent);
}

static void cmd_rx(uint16_t p, uint16_t q, unsigned int n, unsigned int timeout_ms,
		   int check, uint32_t tag)
{
	unsigned int got = 0, bad = 0, expect = 0, waited = 0;
	uint64_t bytes = 0;

	while (got < n && waited <= timeout_ms) {
		struct mpdp_mbuf *m[32];
		uint16_t k = mpdp_eth_rx_burst(p, q, m, 32);

		for (uint16_t i = 0; i < k; i++) {
			const uint8_t *d = mpdp_mbuf_mtod(m[i], const uint8_t *);

			bytes += m[i]->pkt_len;
			if (check) {
				uint32_t t, s;

				if (m[i]->data_len < 24) {
					bad++;
				} else {
					memcpy(&t, d + 16, 4);
					memcpy(&s, d + 20, 4);
					if (t != tag || s != expect)
						bad++;
					expect = s + 1;
				}
			}
			mpdp_mbuf_free(m[i]);
		}
		got += k;
		if (k == 0) {
			usleep(1000);
			waited++;
		}
	}
	mh_say("OK received=%u bytes=%" PRIu64 " bad=%u", got, bytes, bad);
}

static void cmd_stats(uint16_t p)
{
	struct mpdp_eth_stats st;
	int rc = mpdp_eth_stats_get(p, &st);

	if (rc != 0) {
		mh_say_err(rc, "stats %u", p);
		return;
	}
	mh_say("OK ipackets=%" PRIu64 " opackets=%" PRIu64 " ibytes=%" PRIu64 " obytes=%" PRIu64
	       " imissed=%" PRIu64 " ierrors=%" PRIu64 " oerrors=%" PRIu64 " nombuf=%" PRIu64
	       " q0_ipackets=%" PRIu64 " q1_ipackets=%" PRIu64 " q0_opackets=%" PRIu64,
	       st.ipackets, st.opackets, st.ibytes, st.obytes, st.imissed, st.ierrors,
	       st.oerrors, st.rx_nombuf, st.q_ipackets[0], st.q_ipackets[1], st.q_opackets[0]);
}

static void cmd_xstats(uint16_t p)
{
	struct mpdp_eth_xstat xs[256];
	char out[ES_OUT];
	size_t len = 0;
	int n = mpdp_eth_xstats_get(p, NULL, 0), m;

	if (n < 0) {
		mh_say_err(n, "xstats %u", p);
		return;
	}
	m = mpdp_eth_xstats_get(p, xs, 256);
	if (m < 0) {
		mh_say_err(m, "xstats %u", p);
		return;
	}
	for (int i = 0; i < m && i < 256 && len < sizeof(out) - 1; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, " %s=%" PRIu64, xs[i].name,
					xs[i].value);
	mh_say("OK n=%d m=%d%s", n, m, out);
}

struct skipped_acc {
	unsigned int n;
	size_t len;
	char out[ES_OUT];
};

static int skipped_cb(const struct mpdp_bus_skipped *sk, void *arg)
{
	struct skipped_acc *a = arg;
	char word[32];

	sscanf(sk->reason, "%31s", word);
	if (a->len < sizeof(a->out))
		a->len += (size_t)snprintf(a->out + a->len, sizeof(a->out) - a->len, "%s%s/%s/%s",
					   a->n ? ";" : "", sk->name,
					   sk->kdrv_name[0] ? sk->kdrv_name : "none", word);
	a->n++;
	return 0;
}

static int eth_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	enum mpdp_eth_dir d;
	uint16_t port = 0;
	int rc;

	if (strcmp(c, "ports") == 0) {
		cmd_ports();
	} else if (strcmp(c, "info") == 0 && argc == 2) {
		cmd_info(num(argv[1]));
	} else if (strcmp(c, "find") == 0 && argc == 2) {
		rc = mpdp_eth_dev_find(argv[1], &port);
		if (rc != 0)
			mh_say_err(rc, "find %s", argv[1]);
		else
			mh_say("OK port=%u", port);
	} else if (strcmp(c, "pool") == 0 && argc == 3) {
		struct mpdp_mempool *mp;
		int err = 0;

		mp = mpdp_mbuf_pool_create(argv[1], (unsigned int)strtoul(argv[2], NULL, 0), 32, 0,
					   2048 + 128, NULL, &err);
		if (mp == NULL) {
			mh_say_err(err, "pool %s", argv[1]);
		} else {
			for (int i = 0; i < ES_MAX_POOLS; i++)
				if (pools[i].mp == NULL) {
					snprintf(pools[i].name, sizeof(pools[i].name), "%s", argv[1]);
					pools[i].mp = mp;
					break;
				}
			mh_say("OK id=%u", mp->id);
		}
	} else if (strcmp(c, "configure") == 0 && (argc == 4 || argc == 5)) {
		struct mpdp_eth_conf conf = { .mtu = argc == 5 ? num(argv[4]) : 0,
					      .promiscuous = -1 };

		mh_reply(mpdp_eth_dev_configure(num(argv[1]), num(argv[2]), num(argv[3]), &conf),
		      "configure");
	} else if (strcmp(c, "rxq") == 0 && argc == 5) {
		mh_reply(mpdp_eth_rx_queue_setup(num(argv[1]), num(argv[2]), num(argv[3]),
					      strcmp(argv[4], "-") ? pool_get(argv[4]) : NULL),
		      "rxq");
	} else if (strcmp(c, "txq") == 0 && argc == 4) {
		mh_reply(mpdp_eth_tx_queue_setup(num(argv[1]), num(argv[2]), num(argv[3])), "txq");
	} else if (strcmp(c, "start") == 0 && argc == 2) {
		mh_reply(mpdp_eth_dev_start(num(argv[1])), "start");
	} else if (strcmp(c, "stop") == 0 && argc == 2) {
		mh_reply(mpdp_eth_dev_stop(num(argv[1])), "stop");
	} else if (strcmp(c, "close") == 0 && argc == 2) {
		mh_reply(mpdp_eth_dev_close(num(argv[1])), "close");
	} else if (strcmp(c, "hotplug") == 0 && argc == 2) {
		rc = mpdp_eth_dev_hotplug_add(argv[1], &port);
		if (rc != 0)
			mh_say_err(rc, "hotplug %s", argv[1]);
		else
			mh_say("OK port=%u", port);
	} else if (strcmp(c, "promisc") == 0 && argc == 3) {
		mh_reply(mpdp_eth_promiscuous_set(num(argv[1]), atoi(argv[2])), "promisc");
	} else if (strcmp(c, "mtu") == 0 && argc == 3) {
		mh_reply(mpdp_eth_mtu_set(num(argv[1]), num(argv[2])), "mtu");
	} else if (strcmp(c, "mac") == 0 && argc == 3) {
		struct mpdp_ether_addr a;

		if (mpdp_ether_addr_parse(argv[2], &a) != 0)
			mh_say_err(-EINVAL, "bad address");
		else
			mh_reply(mpdp_eth_macaddr_set(num(argv[1]), &a), "mac");
	} else if (strcmp(c, "link") == 0 && argc == 2) {
		mh_reply(mpdp_eth_link_update(num(argv[1])), "link");
	} else if ((strcmp(c, "claim") == 0 || strcmp(c, "release") == 0 ||
		    strcmp(c, "owner") == 0) && argc == 4) {
		if (mh_parse_dir(argv[2], &d) != 0) {
			mh_say_err(-EINVAL, "direction");
		} else if (c[0] == 'c') {
			mh_reply(mpdp_eth_queue_claim(num(argv[1]), d, num(argv[3])), "claim");
		} else if (c[0] == 'r') {
			mh_reply(mpdp_eth_queue_release(num(argv[1]), d, num(argv[3])), "release");
		} else {
			int proc = -1, pid = -1;

			rc = mpdp_eth_queue_owner(num(argv[1]), d, num(argv[3]), &proc, &pid);
			if (rc != 0)
				mh_say_err(rc, "owner");
			else
				mh_say("OK proc_id=%d pid=%d", proc, pid);
		}
	} else if (strcmp(c, "tx") == 0 && (argc == 6 || argc == 7)) {
		struct mpdp_mempool *mp = pool_get(argv[5]);

		if (mp == NULL)
			mh_say_err(-ENOENT, "pool %s", argv[5]);
		else
			cmd_tx(num(argv[1]), num(argv[2]), (unsigned int)strtoul(argv[3], NULL, 0),
			       (unsigned int)strtoul(argv[4], NULL, 0), mp,
			       argc == 7 ? (uint32_t)strtoul(argv[6], NULL, 0) : 0);
	} else if (strcmp(c, "rx") == 0 && (argc == 5 || argc == 6)) {
		cmd_rx(num(argv[1]), num(argv[2]), (unsigned int)strtoul(argv[3], NULL, 0),
		       (unsigned int)strtoul(argv[4], NULL, 0), argc == 6,
		       argc == 6 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0);
	} else if (strcmp(c, "stats") == 0 && argc == 2) {
		cmd_stats(num(argv[1]));
	} else if (strcmp(c, "reset") == 0 && argc == 2) {
		mh_reply(mpdp_eth_stats_reset(num(argv[1])), "reset");
	} else if (strcmp(c, "xstats") == 0 && argc == 2) {
		cmd_xstats(num(argv[1]));
	} else if (strcmp(c, "events") == 0) {
		pthread_mutex_lock(&ev_lock);
		mh_say("OK list=%s", ev_log[0] ? ev_log : "-");
		ev_log[0] = '\0';
		pthread_mutex_unlock(&ev_lock);
	} else if (strcmp(c, "skipped") == 0) {
		static struct skipped_acc acc;

		memset(&acc, 0, sizeof(acc));
		rc = mpdp_bus_skipped_walk(skipped_cb, &acc);
		if (rc < 0)
			mh_say_err(rc, "skipped");
		else
			mh_say("OK n=%u list=%s", acc.n, acc.n ? acc.out : "-");
	} else if (strcmp(c, "sync") == 0) {
		mpdp_eth_dev_sync();
		mh_say("OK");
	} else {
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *sub = mh_subcommand(argc, argv);
	struct mpdp_heap_info h;
	int n;

#ifdef ETH_SHELL_B
	eth_shell_b_padding();
#endif
	mh_setup();
	if (sub == NULL || strcmp(sub, "shell") != 0) {
		fprintf(stderr, "usage: %s [runtime options] -- shell\n", argv[0]);
		return 2;
	}
	mh_block_term();
	mpdp_eth_event_callback_set(on_event, NULL);
	n = mpdp_init(argc, argv);
	if (n < 0)
		return mpdp_init_failed(n, NULL);
	mpdp_heap_info(&h);
	mh_say("READY %d %p %zu proc_id=%d lcores=%u", (int)getpid(), h.base, h.len,
	       mpdp_proc_id(), mpdp_lcore_main());
	mh_loop(eth_cmd, -1, NULL);
	mpdp_cleanup();
	return 0;
}
