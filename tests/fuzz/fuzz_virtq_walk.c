/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_virtq_walk.c - the device side of a split virtqueue against a driver
 * that writes anything: the input bytes are the ring.
 *
 * Input: [0] log2 of the queue size (mod 16: 1..32768), [1] bit 0 INDIRECT
 * negotiated, bit 1 EVENT_IDX; [2..4) last_avail_idx, [4..6) avail.idx
 * (little-endian); then the descriptor table (16*N bytes), the avail ring
 * (2*N), and whatever is left is guest memory at guest address 0x1000.
 * Missing bytes are zero. Every ring part, the guest memory and the buffer
 * array are allocated exactly sized, so ASan reports any read outside them;
 * the target also checks that each walked buffer lies in guest memory.
 *
 * Running the real fuzzer (clang with libFuzzer, e.g. in build-asan):
 *   ninja -C build-asan tests/fuzz/fuzz_virtq_walk
 *   mkdir -p /tmp/vq-corpus
 *   build-asan/tests/fuzz/fuzz_virtq_walk /tmp/vq-corpus tests/fuzz/corpus/virtq_walk \
 *       -max_len=8192 -max_total_time=600 -artifact_prefix=/tmp/vq-
 * Copy a crashing input into tests/fuzz/corpus/virtq_walk/ once the bug is
 * fixed: fuzz_virtq_walk_replay (suite unit) replays every file there, in
 * every build, with or without libFuzzer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpdp/mpdp_virtq.h>

#define GBASE 0x1000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct guest {
	uint8_t *mem;
	size_t len;
};

static void *translate(void *arg, uint64_t addr, uint32_t len)
{
	struct guest *g = arg;

	if (g->mem == NULL || addr < GBASE)
		return NULL;
	uint64_t off = addr - GBASE;
	if (off > g->len || len > g->len - off)
		return NULL;
	return g->mem + off;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_virtq_walk: %s\n", what);
	abort();
}

/* Copy what the input has of [*pos, *pos + len) into dst, zero the rest. */
static void take(void *dst, size_t len, const uint8_t *data, size_t size, size_t *pos)
{
	size_t have = *pos < size ? size - *pos : 0;
	size_t n = have < len ? have : len;

	memset(dst, 0, len);
	if (n)
		memcpy(dst, data + *pos, n);
	*pos += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[6];
	size_t pos = 0;

	take(hdr, sizeof(hdr), data, size, &pos);
	uint32_t qsize = 1u << (hdr[0] % 16);
	bool indirect = hdr[1] & 1;
	bool event_idx = hdr[1] & 2;
	uint16_t last_avail = (uint16_t)(hdr[2] | hdr[3] << 8);
	uint16_t avail_idx = (uint16_t)(hdr[4] | hdr[5] << 8);

	struct mpdp_virtq_desc *desc = aligned_alloc(16, 16 * (size_t)qsize);
	/* avail and used rounded up to their alignment only (multiple of 2, 4). */
	uint8_t *avail = aligned_alloc(2, 6 + 2 * (size_t)qsize);
	uint8_t *used = aligned_alloc(4, 8 + 8 * (size_t)qsize);
	struct mpdp_virtq_buf *bufs = malloc(sizeof(*bufs) * qsize);
	struct guest g = { NULL, 0 };
	if (desc == NULL || avail == NULL || used == NULL || bufs == NULL)
		fail("out of memory");
	take(desc, 16 * (size_t)qsize, data, size, &pos);
	memset(avail, 0, 6 + 2 * (size_t)qsize);
	memset(used, 0, 8 + 8 * (size_t)qsize);
	take(avail + 4, 2 * (size_t)qsize, data, size, &pos);
	memcpy(avail + 2, &avail_idx, 2);
	if (pos < size) {
		g.len = size - pos;
		g.mem = malloc(g.len);
		if (g.mem == NULL)
			fail("out of memory");
		memcpy(g.mem, data + pos, g.len);
	}

	struct mpdp_virtq_dev d;
	if (mpdp_virtq_dev_init(&d, qsize, desc, avail, used, last_avail, event_idx, indirect) != 0)
		fail("init");
	unsigned int popped = 0;
	bool verbose = getenv("FUZZ_VIRTQ_VERBOSE") != NULL; /* show each walk's result */
	uint16_t head;
	int rc;
	while ((rc = mpdp_virtq_dev_pop(&d, &head)) == 0) {
		struct mpdp_virtq_walk_err err;
		int n = mpdp_virtq_dev_walk(&d, head, bufs, qsize, translate, &g, &err);
		uint64_t total = 0;

		if (verbose)
			fprintf(stderr, "  head %u: %d (%s at %u)\n", head, n,
				mpdp_virtq_reason_str(err.reason), err.id);
		if (++popped > qsize)
			fail("popped more than the queue size");
		if (n > (int)qsize)
			fail("more buffers than the array");
		if (n < 0 &&
		    (err.reason == MPDP_VIRTQ_OK || mpdp_virtq_reason_str(err.reason)[0] == 'u'))
			fail("error without a reason");
		for (int i = 0; i < n; i++) {
			const uint8_t *p = bufs[i].ptr;
			total += bufs[i].len;
			if (bufs[i].len == 0)
				continue;
			if (p < g.mem || (size_t)(p - g.mem) + bufs[i].len > g.len)
				fail("buffer outside guest memory");
			if (p[0] == 0x5a && p[bufs[i].len - 1] == 0xa5) /* let ASan look */
				total++;
		}
		mpdp_virtq_dev_push(&d, head, (uint32_t)total);
	}
	if (verbose)
		fprintf(stderr, "  pop: %d\n", rc);
	if (rc != -EAGAIN && rc != -EIO)
		fail("pop returned an unexpected error");
	if (rc == -EIO && (uint16_t)(avail_idx - last_avail) <= qsize)
		fail("broken although avail.idx is within the size");
	(void)mpdp_virtq_dev_interrupt_needed(&d);
	(void)mpdp_virtq_dev_set_notify(&d, true);

	free(g.mem);
	free(bufs);
	free(used);
	free(avail);
	free(desc);
	return 0;
}
