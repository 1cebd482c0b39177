/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap_file.c - capture files for the net_pcap tests (pcap_file.h).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcap_file.h"

char pf_dir[64];

const char *pf_path(const char *name)
{
	static char buf[16][128];
	static unsigned int k;
	char *b = buf[k++ % 16];

	snprintf(b, sizeof(buf[0]), "%s/%s", pf_dir, name);
	return b;
}

static uint8_t pattern(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 7 + (i >> 8));
}

void pf_fill(enum pf_style style, uint8_t *p, uint32_t len, uint32_t tag, uint64_t seq)
{
	static const uint8_t eth[14] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
					 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0xb5 };

	if (style == PF_DS) {
		memcpy(p, &tag, 4);
		memcpy(p + 4, &seq, 8);
		for (uint32_t i = PF_DS_HDR; i < len; i++)
			p[i] = (uint8_t)(seq * 7 + i);
		return;
	}
	memcpy(p, eth, sizeof(eth));
	memcpy(p + 14, &tag, 4);
	memcpy(p + 18, &seq, 8);
	for (uint32_t i = PF_HDR; i < len; i++)
		p[i] = pattern(seq, i);
}

int pf_check(enum pf_style style, const uint8_t *p, uint32_t len, uint32_t *tag, uint64_t *seq)
{
	if (style == PF_DS) {
		if (len < PF_DS_HDR)
			return 0;
		memcpy(tag, p, 4);
		memcpy(seq, p + 4, 8);
		for (uint32_t i = PF_DS_HDR; i < len; i++)
			if (p[i] != (uint8_t)(*seq * 7 + i))
				return 0;
		return 1;
	}
	if (len < PF_HDR || p[12] != 0x88 || p[13] != 0xb5)
		return 0;
	memcpy(tag, p + 14, 4);
	memcpy(seq, p + 18, 8);
	for (uint32_t i = PF_HDR; i < len; i++)
		if (p[i] != pattern(*seq, i))
			return 0;
	return 1;
}

static int put(FILE *f, const void *d, size_t len)
{
	return fwrite(d, 1, len, f) == len ? 0 : -1;
}

static int put32(FILE *f, uint32_t v)
{
	return put(f, &v, 4);
}

static int put16(FILE *f, uint16_t v)
{
	return put(f, &v, 2);
}

/* The first two blocks of a pcapng file, in host byte order (the byte-order magic says so). */
struct pcapng_shb {
	uint32_t type, len, byte_order;
	uint16_t major, minor;
	uint32_t section_len[2]; /* -1: unknown */
	uint32_t len_again;
};
struct pcapng_idb {
	uint32_t type, len;
	uint16_t linktype, reserved;
	uint32_t snaplen;
	uint16_t opt_code, opt_len; /* if_tsresol, 1 byte */
	uint32_t tsresol;           /* the byte, padded */
	uint32_t opt_end, len_again;
};
static_assert(sizeof(struct pcapng_shb) == 28, "pcapng section header block");
static_assert(sizeof(struct pcapng_idb) == 32, "pcapng interface description block");

static int pcapng_head(FILE *f)
{
	/* section 1.0 of unknown length; one Ethernet interface, no snaplen, ns timestamps */
	static const struct pcapng_shb shb = {
		.type = 0x0a0d0d0a,
		.len = 28,
		.byte_order = 0x1a2b3c4d,
		.major = 1,
		.section_len = { 0xffffffff, 0xffffffff },
		.len_again = 28,
	};
	static const struct pcapng_idb idb = {
		.type = 1,
		.len = 32,
		.linktype = 1,
		.opt_code = 9, /* if_tsresol */
		.opt_len = 1,
		.tsresol = 9, /* 10^-9 */
		.len_again = 32,
	};

	return put(f, &shb, sizeof(shb)) | put(f, &idb, sizeof(idb));
}

int pf_write(const char *path, enum pf_style style, int ng, int ns, uint32_t tag, unsigned int n,
	     const uint32_t *sizes, unsigned int nb_sizes)
{
	FILE *f = fopen(path, "wb");
	uint8_t *buf;
	uint32_t max = 0;
	int rc = 0;

	if (f == NULL)
		return -1;
	for (unsigned int i = 0; i < nb_sizes; i++)
		max = sizes[i] > max ? sizes[i] : max;
	buf = malloc(max + 4);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	if (ng) {
		rc |= pcapng_head(f);
	} else {
		rc |= put32(f, ns ? PF_MAGIC_NS : PF_MAGIC_US);
		rc |= put16(f, 2);
		rc |= put16(f, 4);
		rc |= put32(f, 0);
		rc |= put32(f, 0);
		rc |= put32(f, 65535 > max ? 65535 : max);
		rc |= put32(f, 1);
	}
	for (unsigned int i = 0; i < n && rc == 0; i++) {
		uint32_t len = sizes[i % nb_sizes];
		uint64_t ts_ns = 1000ull * 1000000000ull + (uint64_t)i * 1000000ull;

		pf_fill(style, buf, len, tag, i);
		if (ng) {
			uint32_t padded = (len + 3) & ~3u, blen = 32 + padded;

			memset(buf + len, 0, padded - len);
			rc |= put32(f, 6);
			rc |= put32(f, blen);
			rc |= put32(f, 0);
			rc |= put32(f, (uint32_t)(ts_ns >> 32));
			rc |= put32(f, (uint32_t)ts_ns);
			rc |= put32(f, len);
			rc |= put32(f, len);
			rc |= put(f, buf, padded);
			rc |= put32(f, blen);
		} else {
			rc |= put32(f, (uint32_t)(ts_ns / 1000000000ull));
			rc |= put32(f, (uint32_t)(ts_ns % 1000000000ull / (ns ? 1 : 1000)));
			rc |= put32(f, len);
			rc |= put32(f, len);
			rc |= put(f, buf, len);
		}
	}
	free(buf);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int pf_write_raw(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (f == NULL)
		return -1;
	rc = put(f, data, len);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int pf_truncate(const char *path, size_t len)
{
	return truncate(path, (off_t)len);
}

int pf_read(const char *path, struct pf_file *f, char *err, size_t err_size)
{
	FILE *fp = fopen(path, "rb");
	uint32_t h[6];
	unsigned int cap = 0;

	memset(f, 0, sizeof(*f));
	if (fp == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fread(h, 1, 24, fp) != 24 || (h[0] != PF_MAGIC_US && h[0] != PF_MAGIC_NS)) {
		snprintf(err, err_size, "%s: no pcap file header", path);
		goto fail;
	}
	f->magic = h[0];
	f->major = (uint16_t)(h[1] & 0xffff);
	f->minor = (uint16_t)(h[1] >> 16);
	f->snaplen = h[4];
	f->linktype = h[5];
	for (;;) {
		uint32_t r[4];
		size_t k = fread(r, 1, 16, fp);
		struct pf_rec *rec;

		if (k == 0)
			break;
		if (k != 16) {
			snprintf(err, err_size, "%s: record %u: header cut (%zu bytes)", path,
				 f->nb, k);
			goto fail;
		}
		if (r[2] > f->snaplen || r[3] < r[2]) {
			snprintf(err, err_size, "%s: record %u: caplen %u len %u snaplen %u", path,
				 f->nb, r[2], r[3], f->snaplen);
			goto fail;
		}
		if (f->nb == cap) {
			unsigned int ncap = cap ? cap * 2 : 64;
			struct pf_rec *nr = realloc(f->recs, ncap * sizeof(*nr));

			if (nr == NULL)
				goto fail;
			f->recs = nr;
			cap = ncap;
		}
		rec = &f->recs[f->nb];
		rec->caplen = r[2];
		rec->len = r[3];
		rec->ts_ns = (uint64_t)r[0] * 1000000000ull +
			     (uint64_t)r[1] * (f->magic == PF_MAGIC_NS ? 1 : 1000);
		rec->data = malloc(r[2] ? r[2] : 1);
		if (rec->data == NULL)
			goto fail;
		f->nb++;
		if (fread(rec->data, 1, r[2], fp) != r[2]) {
			snprintf(err, err_size, "%s: record %u: data cut", path, f->nb - 1);
			goto fail;
		}
	}
	fclose(fp);
	return 0;
fail:
	fclose(fp);
	pf_free(f);
	return -1;
}

void pf_free(struct pf_file *f)
{
	for (unsigned int i = 0; i < f->nb; i++)
		free(f->recs[i].data);
	free(f->recs);
	memset(f, 0, sizeof(*f));
}
