#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed inputs of fuzz_vhu_msg into corpus/vhu_msg/.

Input format: see the header of fuzz_vhu_msg.c: one control byte (fd count,
sealing, socket, frontend), then a vhost-user header and payload. Run from
anywhere; the seeds are committed, so this only needs re-running to change
them.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "vhu_msg")

SEAL, SOCK, FRONT = 0x10, 0x40, 0x80
V, REPLY, NEED_REPLY = 1, 4, 8
NOFD = 1 << 8

REQ = dict(GET_FEATURES=1, SET_FEATURES=2, SET_OWNER=3, RESET_OWNER=4, SET_MEM_TABLE=5,
           SET_LOG_BASE=6, SET_LOG_FD=7, SET_VRING_NUM=8, SET_VRING_ADDR=9,
           SET_VRING_BASE=10, GET_VRING_BASE=11, SET_VRING_KICK=12, SET_VRING_CALL=13,
           SET_VRING_ERR=14, GET_PROTOCOL_FEATURES=15, SET_PROTOCOL_FEATURES=16,
           GET_QUEUE_NUM=17, SET_VRING_ENABLE=18, SEND_RARP=19, NET_SET_MTU=20,
           SET_BACKEND_REQ_FD=21, IOTLB_MSG=22, SET_VRING_ENDIAN=23, GET_CONFIG=24,
           SET_CONFIG=25, GET_INFLIGHT_FD=31, SET_INFLIGHT_FD=32, GET_MAX_MEM_SLOTS=36,
           ADD_MEM_REG=37, REM_MEM_REG=38, SET_STATUS=39, GET_STATUS=40)


def msg(ctl, req, flags, payload, size=None):
    req = REQ.get(req, req)
    return bytes([ctl]) + struct.pack("<III", req, flags, len(payload) if size is None else size) + payload


def u64(*v):
    return b"".join(struct.pack("<Q", x & (2**64 - 1)) for x in v)


def region(gpa, size, uva, off):
    return u64(gpa, size, uva, off)


def table(regions, extra=b"", n=None):
    return struct.pack("<II", len(regions) if n is None else n, 0) + b"".join(regions) + extra


def probes(*pairs):
    return b"".join(struct.pack("<QI", a & (2**64 - 1), l) for a, l in pairs)


def state(i, n):
    return struct.pack("<II", i, n)


seeds = {}

# well-formed requests, as a backend reads them
plain = {
    "GET_FEATURES": b"", "SET_FEATURES": u64(1 << 32 | 1 << 30), "SET_OWNER": b"",
    "RESET_OWNER": b"", "SET_VRING_NUM": state(0, 256), "SET_VRING_BASE": state(1, 0),
    "GET_VRING_BASE": state(1, 0), "GET_PROTOCOL_FEATURES": b"",
    "SET_PROTOCOL_FEATURES": u64(1 << 3 | 1 << 15), "GET_QUEUE_NUM": b"",
    "SET_VRING_ENABLE": state(1, 1), "SEND_RARP": bytes(8), "NET_SET_MTU": u64(1500),
    "SET_VRING_ENDIAN": state(0, 1), "GET_CONFIG": struct.pack("<III", 0, 6, 0) + bytes(6),
    "SET_CONFIG": struct.pack("<III", 0, 6, 0) + bytes(range(6)), "GET_MAX_MEM_SLOTS": b"",
    "SET_STATUS": u64(0xf), "GET_STATUS": b"",
    "SET_VRING_ADDR": struct.pack("<IIQQQQ", 0, 0, 0x7f0000001000, 0x7f0000003000,
                                  0x7f0000002000, 0),
    "REM_MEM_REG": u64(0) + region(0x100000, 0x1000, 0x7f0000100000, 0),
    "GET_INFLIGHT_FD": struct.pack("<QQHHI", 0, 0, 2, 256, 0),
    "IOTLB_MSG": struct.pack("<QQQBBH4x", 0x1000, 0x1000, 0x7f0000001000, 3, 2, 0),
}
for name, payload in plain.items():
    seeds["req-" + name.lower()] = msg(0, name, V, payload)
seeds["req-reset-owner-u64"] = msg(0, "RESET_OWNER", V, u64(0))
seeds["req-get-features-need-reply"] = msg(0, "GET_FEATURES", V | NEED_REPLY, b"")
for name in ("SET_LOG_FD", "SET_BACKEND_REQ_FD"):
    seeds["req-" + name.lower()] = msg(1, name, V, b"")
seeds["req-set_log_base"] = msg(1, "SET_LOG_BASE", V, u64(0x10000, 0))
seeds["req-set_inflight_fd"] = msg(1, "SET_INFLIGHT_FD", V, struct.pack("<QQHHI", 0x2000, 0, 2, 256, 0))
for name in ("SET_VRING_KICK", "SET_VRING_CALL", "SET_VRING_ERR"):
    seeds["req-" + name.lower()] = msg(1, name, V, u64(1))
    seeds["req-" + name.lower() + "-nofd"] = msg(0, name, V, u64(1 | NOFD))
seeds["req-set-vring-kick-ring255"] = msg(1, "SET_VRING_KICK", V, u64(255))

# memory tables that map: small regions, with address probes after them
two = [region(0, 0x3000, 0x7f0000000000, 0x1000), region(0x3000, 0x2001, 0x7f0000100000, 0)]
seeds["req-set_mem_table"] = msg(2 | SEAL, "SET_MEM_TABLE", V | NEED_REPLY,
                                 table(two, probes((0x10, 16), (0x2ff8, 16), (0x7f0000100ff0, 32),
                                                   (0x4fff, 1), (0, 0x5001))))
seeds["req-set_mem_table-unsealed"] = msg(2, "SET_MEM_TABLE", V, table(two))
seeds["req-set_mem_table-8"] = msg(8 | SEAL, "SET_MEM_TABLE", V,
                                   table([region(0x10000 * i, 0x1000 + i, 0x100000 + 0x10000 * i,
                                                 0x100 * i) for i in range(8)]))
seeds["req-set_mem_table-top"] = msg(1, "SET_MEM_TABLE", V,
                                     table([region(2**64 - 0x1000, 0x1000, 2**64 - 0x1000, 0)],
                                           probes((2**64 - 1, 1), (2**64 - 0x1000, 0x1000))))
seeds["req-set_mem_table-overlap"] = msg(2, "SET_MEM_TABLE", V,
                                         table([region(0, 0x2000, 0x10000, 0),
                                                region(0x1fff, 0x1000, 0x20000, 0)]))
seeds["req-set_mem_table-overlap-uva"] = msg(2, "SET_MEM_TABLE", V,
                                             table([region(0, 0x2000, 0x10000, 0),
                                                    region(0x8000, 0x1000, 0x11000, 0)]))
seeds["req-set_mem_table-huge"] = msg(1, "SET_MEM_TABLE", V,
                                      table([region(0, 1 << 40, 0x7f0000000000, 1 << 30)]))
seeds["req-add_mem_reg"] = msg(1 | SEAL, "ADD_MEM_REG", V,
                               u64(0) + region(0x100000, 0x1000, 0x7f0000100000, 0x1000))

# replies, as a frontend reads them
for name in ("GET_FEATURES", "GET_PROTOCOL_FEATURES", "GET_QUEUE_NUM", "GET_MAX_MEM_SLOTS",
             "GET_STATUS", "SET_LOG_BASE"):
    seeds["reply-" + name.lower()] = msg(FRONT, name, V | REPLY, u64(0x140008000))
seeds["reply-get_vring_base"] = msg(FRONT, "GET_VRING_BASE", V | REPLY, state(1, 77))
seeds["reply-get_config"] = msg(FRONT, "GET_CONFIG", V | REPLY,
                                struct.pack("<III", 0, 6, 0) + bytes(range(6)))
seeds["reply-get_inflight_fd"] = msg(FRONT | 1, "GET_INFLIGHT_FD", V | REPLY,
                                     struct.pack("<QQHHI", 0x2000, 0, 2, 256, 0))
seeds["reply-ack-set_mem_table"] = msg(FRONT, "SET_MEM_TABLE", V | REPLY, u64(0))

# malformed: each way the check refuses
seeds["bad-version0"] = msg(0, "GET_FEATURES", 0, b"")
seeds["bad-version2"] = msg(0, "GET_FEATURES", 2, b"")
seeds["bad-reply-to-backend"] = msg(0, "GET_FEATURES", V | REPLY, u64(0))
seeds["bad-request-to-frontend"] = msg(FRONT, "GET_FEATURES", V, u64(0))
seeds["bad-size-short"] = msg(0, "SET_FEATURES", V, bytes(7))
seeds["bad-size-long"] = msg(0, "SET_FEATURES", V, bytes(9))
seeds["bad-size-over-512"] = msg(0, "SET_CONFIG", V, bytes(513))
seeds["bad-header-says-more"] = msg(0, "SET_FEATURES", V, bytes(4), size=8)
seeds["bad-header-says-less"] = msg(0, "SET_FEATURES", V, bytes(12), size=8)
seeds["bad-header-huge"] = msg(0, "SET_FEATURES", V, bytes(8), size=0xffffffff)
seeds["bad-short-header"] = bytes([0]) + struct.pack("<II", 1, V)
seeds["bad-mem-table-0"] = msg(0, "SET_MEM_TABLE", V, table(two[:1], n=0))
seeds["bad-mem-table-9"] = msg(8, "SET_MEM_TABLE", V, table(two * 4, n=9))
seeds["bad-mem-table-fds"] = msg(1, "SET_MEM_TABLE", V, table(two))
seeds["bad-mem-table-short"] = msg(3, "SET_MEM_TABLE", V, table(two, n=3))
seeds["bad-mem-table-empty"] = msg(2, "SET_MEM_TABLE", V,
                                   table([two[0], region(0x8000, 0, 0x20000, 0)]))
seeds["bad-mem-table-wrap"] = msg(2, "SET_MEM_TABLE", V,
                                  table([two[0], region(2**64 - 0x10, 0x20, 0x20000, 0)]))
seeds["bad-add-mem-reg-wrap"] = msg(1, "ADD_MEM_REG", V,
                                    u64(0) + region(0, 0x1000, 0, 2**64 - 1))
seeds["bad-kick-nofd-with-fd"] = msg(1, "SET_VRING_KICK", V, u64(NOFD))
seeds["bad-kick-no-fd"] = msg(0, "SET_VRING_KICK", V, u64(0))
seeds["bad-call-ring-bits"] = msg(1, "SET_VRING_CALL", V, u64(1 << 9))
seeds["bad-err-high-bits"] = msg(0, "SET_VRING_ERR", V, u64(1 << 40 | NOFD))
seeds["bad-unknown-with-fd"] = msg(1, 30, V, bytes(16))
seeds["ok-unknown"] = msg(0, 1000, V, bytes(512))

# through a socket: agreement with the parser, fds handed over or closed
seeds["sock-set_mem_table"] = msg(SOCK | 2, "SET_MEM_TABLE", V, table(two))
seeds["sock-kick"] = msg(SOCK | 1, "SET_VRING_KICK", V, u64(3))
seeds["sock-reply"] = msg(SOCK | FRONT, "GET_FEATURES", V | REPLY, u64(1))
seeds["sock-9-fds"] = msg(SOCK | 9, "GET_FEATURES", V, b"")
seeds["sock-15-fds"] = msg(SOCK | 15, "SET_LOG_FD", V, b"")
seeds["sock-half-header"] = bytes([SOCK | 1]) + struct.pack("<HI", 12, V)
seeds["sock-half-payload"] = msg(SOCK | 1, "SET_VRING_KICK", V, bytes(4), size=8)
seeds["sock-two-messages"] = (msg(SOCK | 1, "SET_VRING_CALL", V, u64(2))
                              + msg(0, "GET_FEATURES", V, b"")[1:])
seeds["sock-over-512"] = msg(SOCK | 1, "SET_LOG_FD", V, b"", size=4096)
seeds["empty"] = b""

os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    os.unlink(os.path.join(OUT, name))
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {OUT}")
