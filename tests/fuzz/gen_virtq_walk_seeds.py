#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed inputs of fuzz_virtq_walk into corpus/virtq_walk/.

Input format: see the header of fuzz_virtq_walk.c. Run from anywhere;
the seeds are committed, so this only needs re-running to change them.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "virtq_walk")
NEXT, WRITE, INDIRECT = 1, 2, 4
G = 0x1000  # guest base


def ring(log2, flags, last, idx, descs, heads, guest=b""):
    n = 1 << log2
    d = b"".join(struct.pack("<QIHH", *x) for x in descs).ljust(16 * n, b"\0")
    a = b"".join(struct.pack("<H", h) for h in heads).ljust(2 * n, b"\0")
    return bytes([log2, flags]) + struct.pack("<HH", last & 0xffff, idx & 0xffff) + d[:16 * n] + a[:2 * n] + guest


def itable(descs):
    return b"".join(struct.pack("<QIHH", *x) for x in descs)


seeds = {
    # three good chains, one of them indirect (table at guest 0x1040)
    "valid": ring(3, 3, 0, 3,
                  [(G, 16, NEXT, 1), (G + 16, 16, WRITE, 0), (G + 0x40, 48, INDIRECT, 0),
                   (G + 32, 8, 0, 0)],
                  [0, 2, 3],
                  bytes(64) + itable([(G, 4, NEXT, 1), (G + 4, 4, NEXT | WRITE, 2),
                                      (G + 8, 4, WRITE, 0)])),
    "loop-self": ring(3, 0, 0, 1, [(G, 1, NEXT, 0)], [0], bytes(16)),
    "loop-cycle": ring(4, 0, 0, 2, [(G, 1, NEXT, 1), (G, 1, NEXT, 2), (G, 1, NEXT, 1)],
                       [0, 2], bytes(16)),
    "next-out-of-range": ring(2, 0, 0, 2, [(G, 1, NEXT, 4), (G, 1, NEXT, 0xffff)],
                              [0, 1], bytes(16)),
    "head-out-of-range": ring(2, 0, 0, 4, [], [4, 0xffff, 8, 3]),
    "huge-len": ring(3, 0, 0, 3,
                     [(G, 0xffffffff, NEXT, 1), (G, 0xffffffff, 0, 0),
                      (0xfffffffffffffff0, 0x20, 0, 0), (G + 8, 0xfffffff8, 0, 0)],
                     [0, 2, 3], bytes(16)),
    "read-after-write": ring(3, 0, 0, 1, [(G, 4, NEXT | WRITE, 1), (G, 4, 0, 0)], [0],
                             bytes(16)),
    "avail-jump": ring(3, 0, 65530, 65530 + 9, [(G, 1, 0, 0)], [0] * 8, bytes(16)),
    "wrap": ring(2, 2, 65534, 2, [(G, 1, 0, 0), (G, 1, 0, 0)], [0, 1, 0, 1], bytes(16)),
    "indirect-bad": ring(3, 1, 0, 6,
                         [(G, 24, INDIRECT, 0), (G, 0, INDIRECT, 0),
                          (G, 32, INDIRECT | NEXT, 3), (G + 0x30, 16, NEXT, 4),
                          (G, 32, INDIRECT, 0), (G + 0x20, 0x7fff0, INDIRECT, 0)],
                         [0, 1, 2, 3, 4, 5],
                         itable([(G, 16, INDIRECT, 0), (G, 1, NEXT, 0)]) + bytes(32)),
    "indirect-loop": ring(3, 1, 0, 1, [(G, 64, INDIRECT, 0)], [0],
                          itable([(G, 1, NEXT, 1), (G, 1, NEXT, 2), (G, 1, NEXT, 3),
                                  (G, 1, NEXT, 1)])),
    "indirect-off": ring(1, 0, 0, 1, [(G, 16, INDIRECT, 0)], [0], itable([(G, 1, 0, 0)])),
    "big-empty": bytes([15, 3, 0xff, 0xff, 0xff, 0x7f]),
    "empty": b"",
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {OUT}")
