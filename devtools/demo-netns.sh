#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# demo-netns.sh - the real-traffic demo: mpdp bridges two network namespaces.
#
# Needs root (network namespaces); no NIC, no hugepages. Installs the build
# dependencies if missing, builds into build/, then:
#   1. makes two namespaces, mpdpdemo-<pid>-a and -b, each joined to the root
#      namespace by a veth pair, with 10.99.0.1 and 10.99.0.2 inside them
#      (addresses exist only in the namespaces this script makes);
#   2. mpdp-l2fwd (primary) bridges the two root-side veths with af_packet
#      ports;
#   3. mpdp-dumpcap (secondary) captures port 0 into a pcapng file while ping
#      and a 4 MB TCP transfer cross the bridge;
#   4. mpdp-proc-info (secondary) shows the counters, tcpdump reads the
#      capture back, and everything is removed.
# Exit status: 0 when every step worked and nothing was left behind.

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
cd "$root" || exit 1

if ((EUID != 0)); then
	echo "demo-netns.sh: needs root (it creates network namespaces)" >&2
	exit 1
fi
# shellcheck source=devtools/demo_lib.sh
. devtools/demo_lib.sh

demo_build mpdp-l2fwd mpdp-dumpcap mpdp-proc-info
tag=mpdpdemo-$$
nsa=$tag-a
nsb=$tag-b
va=mdva$$
vb=mdvb$$
prefix=demo-$$
demo_setup dcpid l2pid
rt=(--prefix "$prefix" --runtime-dir "$rtdir" --no-pci)
l2pid=
dcpid=

cleanup_more()
{
	ip link del "$va" 2>/dev/null
	ip link del "$vb" 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
}

# veth IF-in-root NAMESPACE ADDRESS
veth()
{
	ip netns add "$2" &&
	ip link add "$1" type veth peer name eth0 netns "$2" &&
	ip netns exec "$2" ip addr add "$3/24" dev eth0 &&
	ip netns exec "$2" ip link set eth0 up &&
	ip netns exec "$2" ip link set lo up &&
	# af_packet sees frames as the kernel hands them over: no offloads
	ip netns exec "$2" ethtool -K eth0 tx off tso off gso off gro off >/dev/null &&
	ethtool -K "$1" tx off tso off gso off gro off >/dev/null &&
	sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" &&
	ip link set "$1" up
}

say "namespaces $nsa (10.99.0.1) and $nsb (10.99.0.2), joined to the root by $va and $vb"
veth "$va" "$nsa" 10.99.0.1 && veth "$vb" "$nsb" 10.99.0.2 || { fail "network set-up"; exit 1; }

say "starting mpdp-l2fwd (primary): af_packet ports on $va and $vb, bridged"
"$bin/mpdp-l2fwd" "${rt[@]}" --proc-type primary \
	--vdev "net_af_packet0,iface=$va" --vdev "net_af_packet1,iface=$vb" \
	-- -p 0x3 >"$logs/l2fwd.out" 2>"$logs/l2fwd.err" &
l2pid=$!
if ! wait_line "$logs/l2fwd.out" '^ready ' 15 "$l2pid"; then
	fail "mpdp-l2fwd did not start"
	show l2fwd "$logs/l2fwd.err"
	exit 1
fi

say "starting mpdp-dumpcap (secondary): port 0, both directions, into capture.pcapng"
"$bin/mpdp-dumpcap" "${rt[@]}" --proc-type secondary -- -i 0 -w "$logs/capture.pcapng" \
	>"$logs/dumpcap.out" 2>"$logs/dumpcap.err" &
dcpid=$!
sleep 1

say "ping 10.99.0.2 from $nsa, 5 times"
ip netns exec "$nsa" ping -c 5 -i 0.2 -W 2 10.99.0.2 | sed 's/^/  [ping] /' ||
	fail "ping across mpdp"

say "4 MB over TCP from $nsa to $nsb"
ip netns exec "$nsb" python3 -c '
import socket, hashlib
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.2", 5001)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(20); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' >"$logs/tcp.out" &
srv=$!
sleep 0.5
sent=$(ip netns exec "$nsa" python3 -c '
import socket, hashlib, os
d = os.urandom(4 << 20); s = socket.create_connection(("10.99.0.2", 5001), timeout=20)
s.sendall(d); s.close(); print(len(d), hashlib.sha256(d).hexdigest())') || fail "TCP client"
wait "$srv" || fail "TCP server"
got=$(cat "$logs/tcp.out")
say "  sent     $sent"
say "  received $got"
[[ -n $sent && $sent == "$got" ]] || fail "the TCP transfer did not arrive intact"

say "mpdp-proc-info (secondary): the ports' counters"
"$bin/mpdp-proc-info" "${rt[@]}" -- --stats | grep -E '^(stats|port) ' | sed 's/^/  [proc-info] /'

kill -INT "$dcpid" 2>/dev/null
wait "$dcpid" 2>/dev/null
dcpid=
show dumpcap "$logs/dumpcap.err"
n=$(tcpdump -r "$logs/capture.pcapng" -nn 2>/dev/null | wc -l)
say "tcpdump reads $n packets from the capture; the first five:"
tcpdump -r "$logs/capture.pcapng" -nn -c 5 2>/dev/null | sed 's/^/  [tcpdump] /'
((n > 0)) || fail "the capture is empty"

kill -INT "$l2pid" 2>/dev/null
wait "$l2pid"
rc=$?
l2pid=
grep -E '^total ' "$logs/l2fwd.out" | sed 's/^/  [l2fwd] /'
((rc == 0)) || fail "mpdp-l2fwd exited $rc"
if ((failed)); then
	say "FAILED (the tools' output is in $logs)"
	exit 1
fi
say "OK: mpdp bridged two namespaces, captured from a second process, and left nothing"
exit 0
