/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap_file.h - capture files for the net_pcap tests, written and read
 * byte by byte (no libpcap: the tests check the driver's files against an
 * independent reader). Classic pcap (microsecond or nanosecond magic, host
 * byte order) and pcapng (one section, one Ethernet interface, enhanced
 * packet blocks) are written; classic pcap of either magic is read.
 *
 * The packets the tests send are made by pf_fill(), in one of two styles,
 * so a packet names itself and a wrong byte anywhere is found:
 *   PF_ETH  an Ethernet header (broadcast destination, 02:00:00:00:00:01
 *           source, EtherType 0x88b5), tag (4 bytes), seq (8 bytes), then a
 *           pattern of seq and the offset (what tcpdump shows as frames);
 *   PF_DS   what the drv shell (tests/drivers/drv_shell.c) sends and checks:
 *           tag (4), seq (8), then (uint8_t)(seq * 7 + offset).
 */
#ifndef PCAP_FILE_H
#define PCAP_FILE_H

#include <stddef.h>
#include <stdint.h>

#define PF_MAGIC_US 0xa1b2c3d4u
#define PF_MAGIC_NS 0xa1b23c4du
#define PF_HDR      26 /* PF_ETH: Ethernet (14) + tag (4) + seq (8) */
#define PF_DS_HDR   12 /* PF_DS: tag (4) + seq (8) */

enum pf_style {
	PF_ETH = 0,
	PF_DS = 1,
};

struct pf_rec {
	uint32_t caplen, len;
	uint64_t ts_ns;
	uint8_t *data;
};

/* A whole capture file read into memory. */
struct pf_file {
	uint32_t magic, snaplen, linktype;
	uint16_t major, minor;
	unsigned int nb;
	struct pf_rec *recs;
};

/*
 * The test's scratch directory (made and removed by the test) and
 * pf_dir/name, in one of 16 rotating buffers: copy it to keep it longer.
 */
extern char pf_dir[64];
const char *pf_path(const char *name);

/* Fill p (len >= the style's header) as packet seq of tag. */
void pf_fill(enum pf_style style, uint8_t *p, uint32_t len, uint32_t tag, uint64_t seq);
/* 1 when p is what pf_fill(style, len, ...) made; *tag and *seq tell which one. */
int pf_check(enum pf_style style, const uint8_t *p, uint32_t len, uint32_t *tag, uint64_t *seq);

/*
 * Write path: n packets of style and tag, seq 0..n-1, sizes[i % nb_sizes] bytes,
 * timestamps 1000 s + i ms. ng: pcapng instead of pcap (ns: nanosecond
 * magic). Returns 0 or -1 (errno set).
 */
int pf_write(const char *path, enum pf_style style, int ng, int ns, uint32_t tag, unsigned int n,
	     const uint32_t *sizes, unsigned int nb_sizes);
/* Write raw bytes (bad files). Returns 0 or -1. */
int pf_write_raw(const char *path, const void *data, size_t len);
/* Write the file, then cut it to len bytes. Returns 0 or -1. */
int pf_truncate(const char *path, size_t len);

/*
 * Read a classic pcap file. Returns 0, or -1 with a reason in err: bad
 * magic, a record past the end, caplen > snaplen, len < caplen.
 */
int pf_read(const char *path, struct pf_file *f, char *err, size_t err_size);
void pf_free(struct pf_file *f);

#endif /* PCAP_FILE_H */
