/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vio_liar.c - a vhost-user backend that lies, for test_virtio's "liar"
 * case. One process, no mpdp runtime: it listens on argv[1], serves one
 * frontend (features VERSION_1 | MRG_RXBUF, no protocol features), maps its
 * memory and rings with lib/virtio, and on commands from stdin puts crafted
 * packets into receive vring 0:
 *
 *   pkt HDR_NB NBUF LEN SEQ   a LEN-byte frame (tag 0x11, seq SEQ, the test
 *                             pattern) over NBUF buffers whose header says
 *                             num_buffers = HDR_NB
 *   over                      one buffer used with a length past its end
 *   badid                     a used entry naming a descriptor that does not exist
 *   quit
 *
 * Prints "LISTENING" once the socket is there, "RINGS" once vring 0 is set
 * up, and "OK ..." or "ERR ..." after each command.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <mpdp/mpdp_vhost_user.h>
#include <mpdp/mpdp_virtio_net.h>
#include <mpdp/mpdp_virtq.h>

#define LIAR_VRINGS 2

static struct mpdp_vhu_mem mem;
static struct {
	uint32_t num;
	uint16_t base;
	struct mpdp_vhu_vring_addr addr;
	int ready;
	struct mpdp_virtq_dev d;
} vr[LIAR_VRINGS];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int reply(int sock, const struct mpdp_vhu_msg *req, const void *p, uint32_t len)
{
	struct mpdp_vhu_msg r;

	mpdp_vhu_msg_init(&r, req->hdr.request, MPDP_VHU_FLAG_REPLY, len);
	memcpy(r.u.raw, p, len);
	return mpdp_vhu_msg_send(sock, &r);
}

static void vring_try_ready(unsigned int v)
{
	void *desc, *avail, *used;
	uint32_t n = vr[v].num;

	if (vr[v].ready || n == 0 || mem.nregions == 0 || vr[v].addr.desc == 0)
		return;
	desc = mpdp_vhu_mem_uva(&mem, vr[v].addr.desc, 16 * (uint64_t)n);
	avail = mpdp_vhu_mem_uva(&mem, vr[v].addr.avail, 6 + 2 * (uint64_t)n);
	used = mpdp_vhu_mem_uva(&mem, vr[v].addr.used, 6 + 8 * (uint64_t)n);
	if (desc == NULL || avail == NULL || used == NULL ||
	    mpdp_virtq_dev_init(&vr[v].d, n, desc, avail, used, vr[v].base, false, false) != 0)
		return;
	vr[v].ready = 1;
	if (v == 0)
		say("RINGS");
}

/* One request from the frontend. Returns 0, or -1 to stop. */
static int serve(int sock)
{
	struct mpdp_vhu_msg m;
	char err[256];
	uint64_t u;
	int rc;

	rc = mpdp_vhu_msg_recv(sock, &m, true, 1000, err, sizeof(err));
	if (rc == -EAGAIN)
		return 0;
	if (rc != 0)
		return -1;
	switch (m.hdr.request) {
	case MPDP_VHU_GET_FEATURES:
		u = MPDP_VIRTIO_BIT(MPDP_VIRTIO_F_VERSION_1) |
		    MPDP_VIRTIO_BIT(MPDP_VIRTIO_NET_F_MRG_RXBUF);
		rc = reply(sock, &m, &u, 8);
		break;
	case MPDP_VHU_SET_MEM_TABLE:
		mpdp_vhu_mem_unmap(&mem);
		rc = mpdp_vhu_mem_map(&mem, m.u.mem.regions, m.fds, m.u.mem.nregions, NULL, err,
				      sizeof(err));
		if (rc != 0)
			fprintf(stderr, "liar: %s\n", err);
		for (unsigned int v = 0; v < LIAR_VRINGS; v++)
			vring_try_ready(v);
		break;
	case MPDP_VHU_SET_VRING_NUM:
	case MPDP_VHU_SET_VRING_BASE:
	case MPDP_VHU_GET_VRING_BASE:
		if (m.u.state.index < LIAR_VRINGS) {
			unsigned int v = m.u.state.index;

			if (m.hdr.request == MPDP_VHU_SET_VRING_NUM) {
				vr[v].num = m.u.state.num;
			} else if (m.hdr.request == MPDP_VHU_SET_VRING_BASE) {
				vr[v].base = (uint16_t)m.u.state.num;
			} else {
				struct mpdp_vhu_vring_state s = { v, vr[v].d.last_avail_idx };

				vr[v].ready = 0;
				rc = reply(sock, &m, &s, sizeof(s));
			}
		}
		break;
	case MPDP_VHU_SET_VRING_ADDR:
		if (m.u.addr.index < LIAR_VRINGS) {
			vr[m.u.addr.index].addr = m.u.addr;
			vring_try_ready(m.u.addr.index);
		}
		break;
	default:
		break; /* SET_OWNER, SET_FEATURES, KICK, CALL: nothing to do */
	}
	mpdp_vhu_msg_close_fds(&m);
	return rc == 0 ? 0 : -1;
}

static uint8_t pattern(uint64_t seq, unsigned int i)
{
	return (uint8_t)(seq * 7 + i);
}

/* Pop one receive buffer of vring 0: its head, local pointer and length. */
static int pop(uint16_t *head, uint8_t **p, uint32_t *len)
{
	struct mpdp_virtq_buf b[4];
	int n;

	if (!vr[0].ready || mpdp_virtq_dev_pop(&vr[0].d, head) != 0)
		return -1;
	n = mpdp_virtq_dev_walk(&vr[0].d, *head, b, 4, mpdp_vhu_mem_translate, &mem, NULL);
	if (n != 1 || !b[0].writable)
		return -1;
	*p = b[0].ptr;
	*len = b[0].len;
	return 0;
}

static void cmd(char *line)
{
	unsigned int hdr_nb, nbuf, len;
	unsigned long long seq;
	uint8_t frame[9100];
	uint16_t head;
	uint8_t *p;
	uint32_t blen;

	if (sscanf(line, "pkt %u %u %u %llu", &hdr_nb, &nbuf, &len, &seq) == 4) {
		uint32_t tag = 0x11, off = 0;

		if (len < 12 || len > sizeof(frame) || nbuf == 0) {
			say("ERR args");
			return;
		}
		memcpy(frame, &tag, 4);
		memcpy(frame + 4, &seq, 8);
		for (unsigned int i = 12; i < len; i++)
			frame[i] = pattern(seq, i);
		for (unsigned int b = 0; b < nbuf; b++) {
			uint32_t k, at = 0;

			if (pop(&head, &p, &blen) != 0) {
				say("ERR no buffer");
				return;
			}
			if (b == 0) {
				struct mpdp_virtio_net_hdr h = { .num_buffers = (uint16_t)hdr_nb };

				memcpy(p, &h, sizeof(h));
				at = sizeof(h);
			}
			k = len - off < blen - at ? len - off : blen - at;
			if (b + 1 == nbuf)
				k = len -
				    off; /* the last one takes the rest: the caller sized it */
			if (k > blen - at) {
				say("ERR frame does not fit");
				return;
			}
			memcpy(p + at, frame + off, k);
			off += k;
			mpdp_virtq_dev_push(&vr[0].d, head, at + k);
		}
		say("OK");
	} else if (strcmp(line, "over") == 0) {
		if (pop(&head, &p, &blen) != 0) {
			say("ERR no buffer");
			return;
		}
		memset(p, 0, 12);
		p[10] = 1; /* num_buffers 1 */
		mpdp_virtq_dev_push(&vr[0].d, head, blen + 64);
		say("OK");
	} else if (strcmp(line, "badid") == 0) {
		if (!vr[0].ready) {
			say("ERR no ring");
			return;
		}
		mpdp_virtq_dev_push(&vr[0].d, (uint16_t)(vr[0].num + 5), 100);
		say("OK");
	} else {
		say("ERR unknown");
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa;
	char line[256];
	size_t used = 0;
	int lfd, sock = -1;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: %s SOCKET\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1) != 0) {
		perror("liar: listen");
		return 1;
	}
	say("LISTENING");
	for (;;) {
		struct pollfd pf[2] = { { .fd = 0, .events = POLLIN },
					{ .fd = sock >= 0 ? sock : lfd, .events = POLLIN } };

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents) {
			if (sock < 0) {
				sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			} else if (serve(sock) != 0) {
				close(sock); /* the frontend went: wait for the next */
				sock = -1;
				memset(vr, 0, sizeof(vr));
				mpdp_vhu_mem_unmap(&mem);
			}
		}
		if (pf[0].revents) {
			ssize_t r = read(0, line + used, sizeof(line) - 1 - used);
			char *nl;

			if (r <= 0)
				break;
			used += (size_t)r;
			line[used] = '\0';
			while ((nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				if (strcmp(line, "quit") == 0)
					goto out;
				cmd(line);
				used -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, used + 1);
			}
		}
	}
out:
	if (sock >= 0)
		close(sock);
	close(lfd);
	unlink(argv[1]);
	mpdp_vhu_mem_unmap(&mem);
	return 0;
}
