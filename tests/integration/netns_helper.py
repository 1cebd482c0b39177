#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""netns_helper.py - the traffic and the counter checks of test_netns_l2fwd.sh.

Subcommands (each prints key=value lines; errors on stderr):

  server ADDR PORT
      TCP server (run it inside a namespace). For every connection: read to
      the end of the client's data, then reply "<bytes> <sha256>\\n" and wait
      for the client to close. Prints "listening" once it accepts. Also
      receives and discards UDP on the same port.

  udp ADDR PORT SPORT COUNT SIZE
      Send COUNT UDP datagrams of SIZE bytes from source port SPORT.

  client ADDR PORT NBYTES SPORT[,SPORT...] [--timeout S]
      One TCP flow per source port, all at once: send NBYTES random bytes,
      half-close, read the server's count and digest and compare them with
      what was sent. Closes with SO_LINGER 0 (a reset) so that no TIME_WAIT
      is left and the same source port can be used again later, which the
      test needs: a flow is the same 4-tuple, hence the same fanout queue,
      in every phase. One line per flow:
          flow sport=P ok=1 bytes=N secs=T        (or ok=0 err=...)
      Exit 0 when every flow matched, 1 when a digest or count differed,
      2 when a flow could not connect or timed out (and none differed).

  snap OUT PROCINFO_JSON IF...
      Write one JSON file with the proc-info document and the kernel
      counters (/sys/class/net/IF/statistics) of the root-side interfaces.

  queues BEFORE AFTER
      Which receive queues of ports 0 and 1 saw packets between two
      snapshots: "class=C p0=Q[,Q] p0_pkts=N/N p1=Q[,Q] p1_pkts=N/N" (Q = "-"
      for none). C: q0 (queue 0 of both ports), q1 (queue 1 of both), mixed
      (one queue per port, not the same), spread (several or none).

  check BEFORE AFTER IF0 IF1
      The counter identities over the window between two quiescent
      snapshots, for port 0 on IF0 and port 1 on IF1 (see check()). Prints
      what it compared; exit 1 with one line per failed identity.

  qget SNAP PORT QUEUE KEY   /   pget SNAP PORT KEY   /   xget SNAP PORT NAME
      One per-queue, per-port or extended counter of a snapshot.
"""
import hashlib
import json
import os
import signal
import socket
import struct
import sys
import threading
import time

STAT_KEYS = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped")


def die(msg, code=1):
    print("netns_helper: " + msg, file=sys.stderr)
    sys.exit(code)


# ------------------------------------------------------------------ traffic

def serve_one(conn):
    h = hashlib.sha256()
    n = 0
    try:
        conn.settimeout(120)
        while True:
            b = conn.recv(1 << 16)
            if not b:
                break
            h.update(b)
            n += len(b)
        conn.sendall(("%d %s\n" % (n, h.hexdigest())).encode())
        # wait for the client's close (a reset: SO_LINGER 0)
        while conn.recv(4096):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def udp_sink(u):
    while True:
        u.recv(65536)


def udp_send(addr, port, sport, count, size):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    u.bind(("0.0.0.0", int(sport)))
    payload = bytes(int(size))
    sent = 0
    for _ in range(int(count)):
        try:
            u.sendto(payload, (addr, int(port)))
            sent += 1
        except OSError:
            pass
    u.close()
    print("udp sport=%s sent=%d" % (sport, sent))


def server(addr, port):
    # a background job of a non-interactive shell starts with SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, int(port)))
    threading.Thread(target=udp_sink, args=(u,), daemon=True).start()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(64)
    print("listening", flush=True)
    try:
        while True:
            conn, _ = s.accept()
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()
    except KeyboardInterrupt:
        pass


def one_flow(addr, port, nbytes, sport, timeout, out):
    t0 = time.monotonic()
    h = hashlib.sha256()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.bind(("0.0.0.0", sport))
        s.settimeout(timeout)
        s.connect((addr, port))
        left = nbytes
        while left > 0:
            chunk = os.urandom(min(left, 1 << 16))
            h.update(chunk)
            s.sendall(chunk)
            left -= len(chunk)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            b = s.recv(4096)
            if not b:
                break
            reply += b
        secs = time.monotonic() - t0
        parts = reply.decode(errors="replace").split()
        if len(parts) != 2:
            out[sport] = (1, "ok=0 err=bad_reply reply=%r" % reply[:80])
        elif int(parts[0]) != nbytes or parts[1] != h.hexdigest():
            out[sport] = (1, "ok=0 err=mismatch sent=%d got=%s sha_sent=%s sha_got=%s"
                          % (nbytes, parts[0], h.hexdigest()[:16], parts[1][:16]))
        else:
            out[sport] = (0, "ok=1 bytes=%d secs=%.2f" % (nbytes, secs))
    except (OSError, socket.timeout) as e:
        out[sport] = (2, "ok=0 err=%s secs=%.2f" % (type(e).__name__, time.monotonic() - t0))
    finally:
        s.close()


def client(addr, port, nbytes, sports, timeout):
    out = {}
    threads = [threading.Thread(target=one_flow, args=(addr, int(port), int(nbytes), int(p),
                                                        timeout, out)) for p in sports]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    worst = 0
    for p in sports:
        code, text = out.get(int(p), (2, "ok=0 err=no_result"))
        print("flow sport=%s %s" % (p, text), flush=True)
        if code == 1:
            worst = 1
        elif code == 2 and worst == 0:
            worst = 2
    return worst


# ------------------------------------------------------------------ counters

def snap(out, procinfo, ifaces):
    try:
        with open(procinfo) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        die("proc-info output %s is not one JSON document: %s" % (procinfo, e))
    k = {}
    for i in ifaces:
        k[i] = {}
        for key in STAT_KEYS:
            with open("/sys/class/net/%s/statistics/%s" % (i, key)) as f:
                k[i][key] = int(f.read())
    with open(out, "w") as f:
        json.dump({"mpdp": doc, "kernel": k, "time": time.time()}, f)


def load(path):
    with open(path) as f:
        return json.load(f)


def port_stats(s, port):
    for e in s["mpdp"].get("stats", []):
        if e.get("port") == port:
            return e
    die("no stats for port %d in the snapshot" % port)


def queue_stats(s, port):
    return {e["queue"]: e for e in s["mpdp"].get("qstats", []) if e.get("port") == port}


def queues(before, after):
    a, b = load(before), load(after)
    words = []
    hits = []
    for port in (0, 1):
        qa, qb = queue_stats(a, port), queue_stats(b, port)
        d = {q: qb[q]["ipackets"] - qa.get(q, {"ipackets": 0})["ipackets"] for q in sorted(qb)}
        hit = [q for q in sorted(d) if d[q] > 0]
        hits.append(hit)
        words.append("p%d=%s" % (port, ",".join(str(q) for q in hit) or "-"))
        words.append("p%d_pkts=%s" % (port, "/".join(str(d[q]) for q in sorted(d))))
    # q0: the primary's queue both ways; q1: the workers' both ways;
    # mixed: one queue each way, not the same; spread: several or none
    if hits == [[0], [0]]:
        cls = "q0"
    elif hits == [[1], [1]]:
        cls = "q1"
    elif len(hits[0]) == 1 and len(hits[1]) == 1:
        cls = "mixed"
    else:
        cls = "spread"
    print("class=%s %s" % (cls, " ".join(words)))


def check(before, after, if0, if1):
    """The identities, over the window [before, after] (both quiescent):

    receive, port P on interface I (root side of a veth pair):
      kernel rx_packets(I) = sum of xstats rx_qN_kernel_packets(P)
        every frame the peer namespace sent arrived at I (veth counts it as
        received when it is queued to I) and went to exactly one of the
        port's packet sockets (fanout), whose PACKET_STATISTICS tp_packets
        the driver sums per queue (drops included);
      kernel rx_packets(I) = mpdp ipackets(P) + sum of rx_qN_kernel_drops(P)
        each socket either put the frame in its ring, where the port
        received it, or dropped it for want of room (tp_drops);
      mpdp imissed(P) = sum of rx_qN_kernel_drops(P)
        the driver publishes the kernel's drops as the queues' missed
        counters (at the next burst that receives a frame, which the kernel
        flags TP_STATUS_LOSING after a drop: every window ends with traffic
        after its drops);
      kernel rx_bytes(I) = mpdp ibytes(P) when nothing was dropped
        (both count the Ethernet frame without FCS);
    transmit:
      kernel tx_packets(I) + tx_dropped(I) = mpdp opackets(P), and
      kernel tx_bytes(I) = obytes(P) when tx_dropped(I) did not move
        (nothing else sends on the root-side ends: no address, IPv6 off;
        veth counts a frame its peer's backlog refused in tx_dropped);
    forwarding:
      opackets(1) <= ipackets(0) and opackets(0) <= ipackets(1)
        (l2fwd and the workers send what they receive, less what a full
        transmit ring refused, which the driver counts in oerrors);
    per queue:
      the sum of the per-queue counters equals the port counter.
    """
    a, b = load(before), load(after)
    fails = []

    def kd(i, key):
        return b["kernel"][i][key] - a["kernel"][i][key]

    def md(port, key):
        return port_stats(b, port).get(key, 0) - port_stats(a, port).get(key, 0)

    def eq(what, x, y):
        ok = x == y
        print("check %s: %d %s %d" % (what, x, "==" if ok else "!=", y))
        if not ok:
            fails.append("%s: %d != %d" % (what, x, y))

    def xd(port, suffix):
        """Delta of the sum of the driver's per-queue xstats rx_qN_<suffix>, or None."""
        def tot(snap):
            v = [x["value"] for x in snap["mpdp"].get("xstats", [])
                 if x.get("port") == port and x["name"].startswith("rx_q")
                 and x["name"].endswith("_" + suffix)]
            return sum(v) if v else None
        ta, tb = tot(a), tot(b)
        return None if ta is None or tb is None else tb - ta

    for port, i in ((0, if0), (1, if1)):
        imissed, kdrops, kpkts = md(port, "imissed"), xd(port, "kernel_drops"), xd(port, "kernel_packets")
        if kpkts is not None:
            eq("kernel rx_packets(%s) == sum of xstats rx_qN_kernel_packets(port %d)" % (i, port),
               kd(i, "rx_packets"), kpkts)
        dropped = imissed if kdrops is None else kdrops
        eq("kernel rx_packets(%s) == mpdp ipackets + ring drops(port %d)" % (i, port),
           kd(i, "rx_packets"), md(port, "ipackets") + dropped)
        if kdrops is not None:
            eq("mpdp imissed == sum of xstats rx_qN_kernel_drops(port %d)" % port, imissed, kdrops)
        if dropped == 0:
            eq("kernel rx_bytes(%s) == mpdp ibytes(port %d)" % (i, port),
               kd(i, "rx_bytes"), md(port, "ibytes"))
        else:
            print("check rx_bytes(%s): skipped, %d frames dropped for want of ring room" % (i, dropped))
        eq("kernel tx_packets+tx_dropped(%s) == mpdp opackets(port %d)" % (i, port),
           kd(i, "tx_packets") + kd(i, "tx_dropped"), md(port, "opackets"))
        if kd(i, "tx_dropped") == 0:
            eq("kernel tx_bytes(%s) == mpdp obytes(port %d)" % (i, port),
               kd(i, "tx_bytes"), md(port, "obytes"))
        else:
            print("check tx_bytes(%s): skipped, tx_dropped moved by %d" % (i, kd(i, "tx_dropped")))
        # per-queue sums (absolute, at the end of the window)
        ps, qs = port_stats(b, port), queue_stats(b, port)
        for key in ("ipackets", "ibytes", "opackets", "obytes"):
            eq("sum of queue %s == port %s (port %d)" % (key, key, port),
               sum(q.get(key, 0) for q in qs.values()), ps.get(key, 0))
    for rx, tx in ((0, 1), (1, 0)):
        fwd_in, fwd_out = md(rx, "ipackets"), md(tx, "opackets")
        ok = fwd_out <= fwd_in
        print("check forwarded port %d -> %d: in=%d out=%d lost=%d oerrors(%d)+=%d"
              % (rx, tx, fwd_in, fwd_out, fwd_in - fwd_out, tx, md(tx, "oerrors")))
        if not ok:
            fails.append("port %d sent %d but port %d received only %d" % (tx, fwd_out, rx, fwd_in))
    if kd(if0, "rx_packets") == 0 or kd(if1, "rx_packets") == 0:
        fails.append("no traffic in the window")
    for f in fails:
        print("FAIL: counters: " + f)
    return 1 if fails else 0


def main(argv):
    if len(argv) < 2:
        die(__doc__, 2)
    cmd, args = argv[1], argv[2:]
    if cmd == "server" and len(args) == 2:
        server(*args)
        return 0
    if cmd == "client" and len(args) >= 4:
        timeout = 60.0
        if len(args) == 6 and args[4] == "--timeout":
            timeout = float(args[5])
        return client(args[0], args[1], args[2], args[3].split(","), timeout)
    if cmd == "udp" and len(args) == 5:
        udp_send(*args)
        return 0
    if cmd == "snap" and len(args) >= 3:
        snap(args[0], args[1], args[2:])
        return 0
    if cmd == "queues" and len(args) == 2:
        queues(*args)
        return 0
    if cmd == "check" and len(args) == 4:
        return check(*args)
    if cmd == "qget" and len(args) == 4:
        qs = queue_stats(load(args[0]), int(args[1]))
        print(qs.get(int(args[2]), {}).get(args[3], 0))
        return 0
    if cmd == "xget" and len(args) == 3:
        v = [x["value"] for x in load(args[0])["mpdp"].get("xstats", [])
             if x.get("port") == int(args[1]) and x["name"] == args[2]]
        print(v[0] if v else -1)
        return 0
    if cmd == "pget" and len(args) == 3:
        print(port_stats(load(args[0]), int(args[1])).get(args[2], 0))
        return 0
    die("bad arguments: %s" % " ".join(argv[1:]), 2)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
