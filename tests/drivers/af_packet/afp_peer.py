#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""afp_peer.py - the other end of a veth for the net_af_packet tests: frames
from and to the kernel, independent of mpdp. Run inside the test's network
namespace (ip netns exec NS python3 afp_peer.py ...).

The frames are those of afp_shell.c: dst 02:00:00:00:00:02, src
02:00:00:00:00:01, an optional VLAN tag (TCI 0x2000 | seq & 0xfff),
ethertype 0x88b5, payload tag (4 bytes), seq (4), frame length (2), all
big-endian, then byte j of the frame is (seq * 7 + j) & 0xff. Size 0 means
the varied sizes 60 + (seq * 97) % 1455.

  send IFACE TAG N SIZE VLAN_EVERY
      send frames 0..N-1 (every VLAN_EVERY-th with a VLAN tag; 0: none);
      prints "sent=N bytes=B" (bytes as on the wire, tag included)
  udp DST N
      send N UDP datagrams of 100 bytes to DST port 9 through the kernel's
      stack (with checksum offload on, they leave with partial checksums);
      prints "sent=N"
  recv IFACE TAG N TIMEOUT_S
      print "ready", then receive until N good frames of TAG or TIMEOUT_S
      without one; every byte is checked; prints
      "received=N bytes=B bad=K dup=D inorder=0|1 missing=SEQ,..." (the
      first ten sequence numbers below N not received, or -)
"""
import socket
import struct
import sys
import time

MAC_A = bytes([2, 0, 0, 0, 0, 2])
MAC_B = bytes([2, 0, 0, 0, 0, 1])
ETH_P_ALL = 0x0003


def frame_size(size, seq):
    return size if size else 60 + (seq * 97) % 1455


def frame(tag, seq, length, vlan):
    head = MAC_A + MAC_B
    if vlan:
        head += struct.pack(">HH", 0x8100, 0x2000 | (seq & 0xFFF))
    head += struct.pack(">H", 0x88B5) + struct.pack(">IIH", tag, seq, length)
    return head + bytes((seq * 7 + j) & 0xFF for j in range(len(head), length))


def check(f, tag):
    """seq of a good frame of tag, else None (every byte compared)."""
    if len(f) < 60 or f[12:14] == b"\x81\x00" and len(f) < 64:
        return None
    vlan = f[12:14] == b"\x81\x00"
    off = 18 if vlan else 14
    if f[off - 2:off] != b"\x88\xb5":
        return None
    t, seq, length = struct.unpack(">IIH", f[off:off + 10])
    if t != tag or length != len(f):
        return None
    return seq if f == frame(tag, seq, length, vlan) else None


def send(iface, tag, n, size, vlan_every):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((iface, 0))
    total = 0
    for seq in range(n):
        vlan = vlan_every and seq % vlan_every == vlan_every - 1
        length = frame_size(size, seq) + (4 if vlan else 0)
        f = frame(tag, seq, length, vlan)
        while True:
            try:
                s.send(f)
                break
            except BlockingIOError:
                time.sleep(0.001)
        total += length
    print("sent=%d bytes=%d" % (n, total), flush=True)


def udp(dst, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(n):
        s.sendto(b"x" * 100, (dst, 9))
    print("sent=%d" % n, flush=True)


def recv(iface, tag, n, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    # room for a whole burst: the sender is faster than this loop
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE (root)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    s.bind((iface, 0))
    s.settimeout(0.1)
    print("ready", flush=True)
    got, nbytes, bad, dup, inorder, last = 0, 0, 0, 0, 1, -1
    seen = set()
    idle = time.monotonic()
    while got < n and time.monotonic() - idle < timeout:
        try:
            f, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        seq = check(f, tag)
        if seq is None:
            # frames of the kernel (none expected: IPv6 is off) count as bad too
            bad += 1
            continue
        idle = time.monotonic()
        got += 1
        nbytes += len(f)
        if seq in seen:
            dup += 1
        seen.add(seq)
        if seq <= last:
            inorder = 0
        last = seq
    missing = [str(q) for q in range(n) if q not in seen][:10]
    print("received=%d bytes=%d bad=%d dup=%d inorder=%d missing=%s"
          % (got, nbytes, bad, dup, inorder, ",".join(missing) or "-"), flush=True)


def main(argv):
    if len(argv) == 6 and argv[0] == "send":
        send(argv[1], int(argv[2], 0), int(argv[3]), int(argv[4]), int(argv[5]))
    elif len(argv) == 3 and argv[0] == "udp":
        udp(argv[1], int(argv[2]))
    elif len(argv) == 5 and argv[0] == "recv":
        recv(argv[1], int(argv[2], 0), int(argv[3]), float(argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
