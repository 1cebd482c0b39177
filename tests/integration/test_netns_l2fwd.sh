#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_netns_l2fwd.sh - mpdp-l2fwd bridges two network namespaces through
# net_af_packet, with mpdp-mp-worker secondaries on the second queue.
#
#   ns A (veth0 10.211.0.1/24) == RA  [port 0] mpdp-l2fwd [port 1]  RB == ns B (veth0 10.211.0.2/24)
#
# RA and RB are the root-side ends of the two veth pairs. Addresses live only
# in the namespaces; the root-side ends have none and IPv6 is off on all four
# ends (no router or neighbour solicitations), so every frame on RA and RB is
# test traffic and the kernel's counters can be compared exactly with mpdp's.
# Offloads are off on all four ends: with them, af_packet would hand over
# unsegmented (TSO/GSO/GRO) frames and frames with partial checksums, and
# veth would mark unchecked frames as verified (rx checksumming), hiding a
# corrupted frame from the receiver.
#
# The primary opens two queues per port (queues=2; fanout by flow hash) and
# polls queue 0 (-q 2 --poll-queues 1); queue 1 of each port is left to two
# mpdp-mp-worker secondaries, one per direction (rx 0/q1 -> tx 1/q1 and
# rx 1/q1 -> tx 0/q1). The kernel's fanout hash is symmetric and per flow,
# so a TCP connection is carried either by the primary in both directions or
# by the workers in both directions.
#
# Phases and what each asserts:
#   1. ports and claims: proc-info sees two net_af_packet ports with two
#      queues, queue 0 held by l2fwd, queue 1 by the workers.
#   2. ping A -> B, 20 pings, 0% loss (ARP went through the bridge too; the
#      neighbour entries are then pinned, see phase 6).
#   3. one 8 MB TCP transfer, checksummed by the server: digest equal; over
#      that window the kernel's counters of RA/RB and mpdp's port counters
#      (read by proc-info --json as a secondary) obey the identities of
#      netns_helper.py check(): rx_packets = ipackets + imissed, bytes equal,
#      tx_packets + tx_dropped = opackets, per-queue sums = port counters.
#   4. 16 TCP flows at once (fixed source ports): all digests equal, and the
#      per-queue counters show queue 1 (the workers) and queue 0 (l2fwd) both
#      carried traffic on both ports; the workers' own stats lines show rx > 0.
#   5. the same 16 flows one by one: which queue carries each flow
#      (per-queue counter deltas). Classes: q0 (primary only), q1 (workers).
#      Likewise UDP flows until one is on queue 1 of port 0.
#   6. SIGKILL of both workers: the primary releases their claims (proc-info
#      shows queue 1 unclaimed) and keeps forwarding: a new 8 MB transfer on a
#      q0 flow succeeds; ping succeeds if its addresses hash to queue 0. A q1
#      flow now fails to connect: its frames wait in queue 1's ring, which
#      nobody polls. This is what makes the check meaningful: the flows that
#      survive are the ones the primary carries, and the kill really did take
#      queue 1 away. ARP is pinned (permanent neighbours) before the kill
#      because all ARP frames hash alike and may sit on queue 1. Then 5000
#      UDP datagrams on a flow of queue 1 (found in phase 5) overflow its
#      ring: nothing is received on it, the kernel's drops are counted
#      (xstat rx_q1_kernel_drops > 0).
#   7. two new workers claim queue 1 again (possible only because the dead
#      ones' claims were released): the q1 flows and the ping succeed, the
#      counter identities hold over phases 4-7 (across the kill and the
#      overflow, whose drops must now be in imissed), and the new workers,
#      stopped with SIGINT, exit 0 reporting rx > 0.
#   8. l2fwd stops on SIGINT with status 0; RA and RB are no longer
#      promiscuous; its runtime directory is gone, and nothing of the test is
#      left in /dev/shm, `ip netns` or `ip link` (checked again after the
#      clean-up, which runs on every exit).
#
# usage: test_netns_l2fwd.sh [L2FWD PROC_INFO MP_WORKER]
#        (default: $MPDP_APP_L2FWD, $MPDP_APP_PROC_INFO, $MPDP_APP_MP_WORKER)
# exit 0 pass, 1 fail, 77 skip (not root, or no network namespaces)
set -euo pipefail

l2fwd=${1:-${MPDP_APP_L2FWD:-}}
proc_info=${2:-${MPDP_APP_PROC_INFO:-}}
mp_worker=${3:-${MPDP_APP_MP_WORKER:-}}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
helper=$here/netns_helper.py
# shellcheck source=proc_lib.sh
source "$here/proc_lib.sh"

say() { echo "[$(date +%H:%M:%S.%3N)] $*"; }

if ((EUID != 0)); then
	echo "SKIP: needs root (network namespaces, veth pairs, packet sockets)"
	exit 77
fi
for b in "$l2fwd" "$proc_info" "$mp_worker"; do
	if [[ -z $b || ! -x $b ]]; then
		echo "FAIL: tool '$b' not found (give L2FWD PROC_INFO MP_WORKER or set MPDP_APP_*)"
		exit 1
	fi
done
for t in ip ethtool ping python3; do
	command -v "$t" >/dev/null || { echo "FAIL: $t is not installed"; exit 1; }
done

tag=mpdpi-$$ # every name the test creates contains it
ns_a=$tag-a
ns_b=$tag-b
ra=$tag-a # root-side veth ends (at most 15 characters: pid <= 7 digits)
rb=$tag-b
addr_a=10.211.0.1
addr_b=10.211.0.2
tcp_port=5201
prefix=$tag
t_start=$(date +%s)

tmp=
rt=
pids=()
made_ns=()
made_links=()
status_ok=0

forget()
{
	local p keep=()
	for p in "${pids[@]}"; do
		[[ $p != "$1" ]] && keep+=("$p")
	done
	pids=(${keep[@]+"${keep[@]}"})
}

# What is left of this test in the kernel and in /dev/shm (one line each).
leftovers()
{
	ip netns list 2>/dev/null | grep -F -- "$tag" | sed 's/^/netns: /' || true
	ip -o link show 2>/dev/null | grep -F -- "$tag" | awk -F': ' '{ print "link: " $2 }' || true
	find /dev/shm /run/mpdp /dev/shm/mpdp -maxdepth 1 -name "*$tag*" 2>/dev/null |
		grep -vxF -- "${rt:-/nonexistent}" | sed 's/^/file: /' || true
}

cleanup()
{
	local rc=$? p n
	trap - EXIT INT TERM
	set +e
	for p in ${pids[@]+"${pids[@]}"}; do
		alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	for p in ${pids[@]+"${pids[@]}"}; do
		stop_pid "$p"
	done
	for n in ${made_ns[@]+"${made_ns[@]}"}; do
		ip netns del "$n" 2>/dev/null
	done
	for n in ${made_links[@]+"${made_links[@]}"}; do
		ip link del "$n" 2>/dev/null
	done
	[[ -n $rt ]] && rm -rf "$rt"
	if ((rc != 0)) && [[ -n $tmp && -d $tmp ]]; then
		for f in "$tmp"/*.log; do
			[[ -s $f ]] || continue
			echo "---- ${f##*/} (last 20 lines)"
			tail -n 20 "$f"
		done
	fi
	[[ -n $tmp ]] && rm -rf "$tmp"
	no_leftovers || rc=1
	((rc == 0 && status_ok)) && echo "PASS ($(($(date +%s) - t_start)) s)"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

# ------------------------------------------------------------------ setup

if ! ip netns add "$ns_a" 2>/dev/null; then
	echo "SKIP: 'ip netns add' does not work here"
	exit 77
fi
made_ns+=("$ns_a")
ip netns add "$ns_b" || fail "ip netns add $ns_b"
made_ns+=("$ns_b")

tmp=$(mktemp -d "/tmp/$tag.XXXXXX")
rt=$(mktemp -d "/dev/shm/$tag-rt.XXXXXX")
rtopt=(--prefix "$prefix" --runtime-dir "$rt")

# before: what the default runtime directories hold for our prefix (nothing)
for d in /run/mpdp /dev/shm/mpdp; do
	[[ -e $d/$prefix ]] && fail "$d/$prefix exists before the test"
done

# $1 root-side name, $2 namespace, $3 address
make_pair()
{
	local r=$1 ns=$2 addr=$3
	ip link add "$r" type veth peer name veth0 netns "$ns"
	made_links+=("$r")
	# IPv6 off before the links come up: no DAD, router or MLD frames
	echo 1 >"/proc/sys/net/ipv6/conf/$r/disable_ipv6"
	ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 &&
		echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 &&
		echo 1 >/proc/sys/net/ipv6/conf/veth0/disable_ipv6'
	ethtool -K "$r" tx off tso off gso off gro off rx off >/dev/null
	ip netns exec "$ns" ethtool -K veth0 tx off tso off gso off gro off rx off >/dev/null
	ip -n "$ns" addr add "$addr/24" dev veth0
	ip -n "$ns" link set lo up
	ip -n "$ns" link set veth0 up
	ip link set "$r" up
}
make_pair "$ra" "$ns_a" "$addr_a"
make_pair "$rb" "$ns_b" "$addr_b"
mac_a=$(ip -n "$ns_a" -o link show veth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
mac_b=$(ip -n "$ns_b" -o link show veth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
say "setup: namespaces $ns_a $ns_b, veth $ra $rb, runtime dir $rt"

# Wait until log $1 of pid $2 has a line matching $3 (at most $4 s).
wait_line()
{
	local log=$1 pid=$2 re=$3 limit=$4 t=0
	until grep -qE -- "$re" "$log" 2>/dev/null; do
		alive "$pid" || return 1
		((t >= limit * 10)) && return 1
		sleep 0.1
		t=$((t + 1))
	done
}

# Start a command in the background with its output in $tmp/$1.log; sets $started.
start()
{
	local name=$1
	shift
	: >"$tmp/$name.log"
	"$@" >"$tmp/$name.log" 2>&1 </dev/null &
	started=$!
	pids+=("$started")
}

# proc-info as a secondary, JSON, into $tmp/$1.pi
procinfo()
{
	"$proc_info" "${rtopt[@]}" -- --ports --stats --xstats --json >"$tmp/$1.pi" 2>"$tmp/$1.pi.err" ||
		fail "proc-info failed: $(cat "$tmp/$1.pi.err")"
}

# A snapshot of mpdp's and the kernel's counters, $tmp/$1.json
snap()
{
	procinfo "$1"
	python3 "$helper" snap "$tmp/$1.json" "$tmp/$1.pi" "$ra" "$rb"
}

# "claimed owner_pid" of queue $3 (rx|tx) $4 of port $2 in proc-info doc $1
claim_of()
{
	python3 - "$1" "$2" "$3" "$4" <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	for q in d.get("queues", []):
	    if q["port"] == int(sys.argv[2]) and q["dir"] == sys.argv[3] and q["id"] == int(sys.argv[4]):
	        print("%d %d" % (q["claimed"], q["owner_pid"]))
	        break
	else:
	    print("none 0")
	EOF
}

# Run the TCP client in ns A: $1 bytes, $2 source ports (comma list, 0 = any),
# $3 timeout (s). Output in $tmp/$4.flows; returns the client's status.
flows()
{
	local rc=0
	ip netns exec "$ns_a" python3 "$helper" client "$addr_b" "$tcp_port" "$1" "$2" \
		--timeout "$3" >"$tmp/$4.flows" 2>&1 || rc=$?
	return $rc
}

# ping from A to B: $1 count; prints the loss in percent
ping_loss()
{
	local out
	out=$(ip netns exec "$ns_a" ping -n -q -c "$1" -i 0.05 -W 1 "$addr_b" 2>&1) || true
	sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out"
}

# settle: frames in flight through the forwarders (idle sleeps of 20 us)
settle() { sleep 0.3; }

# ------------------------------------------------------------------ 1. ports and claims

afp="queues=2,fanout=hash"
start l2fwd "$l2fwd" "${rtopt[@]}" --proc-type primary --no-pci --no-huge --mem 128M -l 0 \
	--vdev "net_af_packet0,iface=$ra,$afp" --vdev "net_af_packet1,iface=$rb,$afp" \
	-- -q 2 --poll-queues 1 --idle-us 20
l2fwd_pid=$started
wait_line "$tmp/l2fwd.log" "$l2fwd_pid" '^ready ' 15 || fail "l2fwd did not get ready"
say "l2fwd ready (pid $l2fwd_pid): $(grep '^ready' "$tmp/l2fwd.log")"

# $1 name, $2 rx port, $3 tx port: a worker on queue 1
start_worker()
{
	start "$1" "$mp_worker" "${rtopt[@]}" -l 1 -- --mode fwd --rx-port "$2" --queue 1 \
		--tx-port "$3" --idle-us 20 -T 1
	wait_line "$tmp/$1.log" "$started" '^ready ' 15 || fail "worker $1 did not get ready"
}
start_worker w1 0 1
w1=$started
start_worker w2 1 0
w2=$started
say "workers ready: w1 (pid $w1) rx 0/q1 -> tx 1/q1, w2 (pid $w2) rx 1/q1 -> tx 0/q1"

procinfo ports
python3 - "$tmp/ports.pi" <<-'EOF' || fail "ports as proc-info shows them: $(cat "$tmp/ports.pi")"
	import json, sys
	d = json.load(open(sys.argv[1]))
	p = {x["id"]: x for x in d["ports"]}
	ok = all(i in p and p[i]["driver"] == "net_af_packet" and p[i]["rxq"] == 2
	         and p[i]["txq"] == 2 and p[i]["state"] == "started" for i in (0, 1))
	sys.exit(0 if ok else 1)
	EOF
# what proc-info says of promiscuous mode is what the kernel says
for i in 0 1; do
	iface=$ra
	((i == 1)) && iface=$rb
	kp=$(ip -d -j link show "$iface" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get("promiscuity", -1))')
	mp=$(python3 -c 'import json, sys; print([p["promisc"] for p in json.load(open(sys.argv[1]))["ports"] if p["id"] == int(sys.argv[2])][0])' "$tmp/ports.pi" "$i")
	if [[ ($mp == True && $kp -lt 1) || ($mp == False && $kp -ne 0) ]]; then
		fail "port $i: proc-info promisc=$mp, kernel promiscuity of $iface $kp"
	fi
done
expect_claim()
{
	local got
	got=$(claim_of "$tmp/$1.pi" "$2" "$3" "$4")
	[[ $got == "1 $5" ]] || fail "port $2 $3 queue $4: claim/owner '$got', expected '1 $5'"
}
for p in 0 1; do
	for d in rx tx; do expect_claim ports $p $d 0 "$l2fwd_pid"; done
done
expect_claim ports 0 rx 1 "$w1"
expect_claim ports 1 tx 1 "$w1"
expect_claim ports 1 rx 1 "$w2"
expect_claim ports 0 tx 1 "$w2"
say "1. ports: two net_af_packet ports, 2 queues; queue 0 held by l2fwd, queue 1 by the workers"

# ------------------------------------------------------------------ 2. ping

start server ip netns exec "$ns_b" python3 "$helper" server "$addr_b" "$tcp_port"
server=$started
wait_line "$tmp/server.log" "$server" '^listening' 10 || fail "the TCP server did not start"

loss=$(ping_loss 20)
[[ $loss == 0 ]] || fail "ping A -> B: ${loss:-?}% loss (expected 0)"
# ARP worked (the ping needed it); pin the neighbours for phase 6
ip -n "$ns_a" neigh replace "$addr_b" lladdr "$mac_b" dev veth0 nud permanent
ip -n "$ns_b" neigh replace "$addr_a" lladdr "$mac_a" dev veth0 nud permanent
settle
snap ping0
loss=$(ping_loss 5)
[[ $loss == 0 ]] || fail "ping A -> B (second): ${loss:-?}% loss"
settle
snap ping1
ping_q=$(python3 "$helper" queues "$tmp/ping0.json" "$tmp/ping1.json")
say "2. ping: 20 pings, 0% loss; ICMP is carried by: $ping_q"
ping_class=$(sed -n 's/^class=\([a-z0-9]*\).*/\1/p' <<<"$ping_q")
[[ $ping_class == spread ]] && fail "ICMP of one address pair on several queues: $ping_q"

# ------------------------------------------------------------------ 3. one 8 MB transfer

mb8=$((8 * 1024 * 1024))
snap s1
flows "$mb8" 0 60 big || fail "8 MB transfer: $(cat "$tmp/big.flows")"
settle
snap s2
say "3. TCP 8 MB A -> B: $(cat "$tmp/big.flows")"
python3 "$helper" check "$tmp/s1.json" "$tmp/s2.json" "$ra" "$rb" >"$tmp/check1.out" ||
	{ cat "$tmp/check1.out"; fail "counters over the 8 MB transfer"; }
sed 's/^/   /' "$tmp/check1.out"

# ------------------------------------------------------------------ 4. 16 flows at once

sports=$(seq -s, 41001 41016)
snap s3
flows $((1024 * 1024)) "$sports" 60 par || { cat "$tmp/par.flows"; fail "16 parallel flows"; }
settle
snap s4
par_q=$(python3 "$helper" queues "$tmp/s3.json" "$tmp/s4.json")
say "4. 16 parallel flows of 1 MB: all digests equal; per-queue rx: $par_q"
for p in 0 1; do
	for q in 0 1; do
		n=$(($(python3 "$helper" qget "$tmp/s4.json" $p $q ipackets) -
			$(python3 "$helper" qget "$tmp/s3.json" $p $q ipackets)))
		((n > 0)) || fail "queue $q of port $p received nothing from 16 flows ($par_q)"
	done
done
# the workers' own view: a stats line (every second) with rx > 0
for w in w1 w2; do
	ok=0
	for _ in $(seq 1 30); do
		last=$(grep '^stats rx=' "$tmp/$w.log" | tail -n 1)
		n=$(sed -n 's/^stats rx=\([0-9]*\).*/\1/p' <<<"$last")
		[[ -n $n ]] && ((n > 0)) && { ok=1; break; }
		sleep 0.1
	done
	((ok)) || fail "worker $w reports no received packets: '$last'"
	echo "   $w: $last"
done

# ------------------------------------------------------------------ 5. which queue carries each flow

q0_flows=()
q1_flows=()
snap m41000
for sp in $(seq 41001 41016); do
	flows $((256 * 1024)) "$sp" 30 map || { cat "$tmp/map.flows"; fail "flow $sp (mapping)"; }
	settle
	snap "m$sp" # the window of this flow, and the start of the next one's
	q=$(python3 "$helper" queues "$tmp/m$((sp - 1)).json" "$tmp/m$sp.json")
	case $q in
	class=q0*) q0_flows+=("$sp") ;;
	class=q1*) q1_flows+=("$sp") ;;
	*) fail "flow $sp is not carried by the same single queue both ways ($q): the fanout is not by symmetric flow hash" ;;
	esac
done
say "5. flows on queue 0 (l2fwd): ${q0_flows[*]:-none}; on queue 1 (workers): ${q1_flows[*]:-none}"
((${#q0_flows[@]} > 0 && ${#q1_flows[@]} > 0)) ||
	fail "16 flows all on one queue: cannot tell the primary's share from the workers'"

# a UDP flow A -> B on queue 1 of port 0, for the ring overflow of phase 6
udp_q1=
prev=m41016
for sp in $(seq 42001 42032); do
	ip netns exec "$ns_a" python3 "$helper" udp "$addr_b" "$tcp_port" "$sp" 4 100 >/dev/null
	settle
	snap "u$sp"
	q=$(python3 "$helper" queues "$tmp/$prev.json" "$tmp/u$sp.json")
	prev=u$sp
	if [[ $q == *" p0=1 "* ]]; then
		udp_q1=$sp
		break
	fi
done
[[ -n $udp_q1 ]] || fail "none of 32 UDP flows hashes to queue 1 of port 0"
echo "   UDP flow from port $udp_q1 is on queue 1 of port 0"

# ------------------------------------------------------------------ 6. SIGKILL of the workers

kill -KILL "$w1" "$w2"
wait "$w1" 2>/dev/null || true
wait "$w2" 2>/dev/null || true
forget "$w1"
forget "$w2"
released=0
for _ in $(seq 1 50); do
	procinfo claims
	if [[ $(claim_of "$tmp/claims.pi" 0 rx 1) == "0 "* && $(claim_of "$tmp/claims.pi" 1 rx 1) == "0 "* &&
		$(claim_of "$tmp/claims.pi" 0 tx 1) == "0 "* && $(claim_of "$tmp/claims.pi" 1 tx 1) == "0 "* ]]; then
		released=1
		break
	fi
	sleep 0.1
done
((released)) || fail "the dead workers' claims were not released: $(cat "$tmp/claims.pi")"
alive "$l2fwd_pid" || fail "l2fwd died with the workers"
say "6. workers killed (SIGKILL); their queue-1 claims released; l2fwd alive"

flows "$mb8" "${q0_flows[0]}" 60 after || fail "8 MB on a queue-0 flow after the kill: $(cat "$tmp/after.flows")"
echo "   new 8 MB transfer on queue-0 flow: $(cat "$tmp/after.flows")"
if ((${#q0_flows[@]} > 1)); then
	rest=$(IFS=,; echo "${q0_flows[*]:1}")
	flows $((256 * 1024)) "$rest" 30 after0 || { cat "$tmp/after0.flows"; fail "queue-0 flows after the kill"; }
	echo "   the other $((${#q0_flows[@]} - 1)) queue-0 flow(s) succeed too"
fi
rc=0
flows $((64 * 1024)) "${q1_flows[0]}" 3 lost || rc=$?
((rc == 2)) || fail "flow ${q1_flows[0]} (queue 1, nobody polls it) got through or failed oddly (rc $rc): $(cat "$tmp/lost.flows")"
echo "   queue-1 flow ${q1_flows[0]} cannot connect, as expected: $(cat "$tmp/lost.flows")"
loss=$(ping_loss 10)
if [[ $ping_class == q0 ]]; then
	[[ $loss == 0 ]] || fail "ping after the kill: ${loss:-?}% loss (its flow is on queue 0)"
	echo "   ping: 0% loss (ICMP hashes to queue 0)"
else
	[[ $loss == 100 ]] || fail "ping after the kill: ${loss:-?}% loss, expected 100 (ICMP hashes to queue 1)"
	echo "   ping: 100% loss, as expected (ICMP hashes to queue 1, unpolled now)"
fi

# Ring overflow: 5000 datagrams on the UDP flow of queue 1, which nobody
# polls now. Its ring takes what it has room for, the kernel drops the rest
# and counts them (PACKET_STATISTICS tp_drops, the driver's xstat
# rx_q1_kernel_drops); phase 7's worker then receives what the ring held and
# the window check of phase 7 finds the drops in imissed.
snap o0
ip netns exec "$ns_a" python3 "$helper" udp "$addr_b" "$tcp_port" "$udp_q1" 5000 100 >"$tmp/udp.out"
settle
snap o1
xdelta() { echo $(($(python3 "$helper" xget "$tmp/o1.json" 0 "$1") - $(python3 "$helper" xget "$tmp/o0.json" 0 "$1"))); }
rx_q1=$(($(python3 "$helper" qget "$tmp/o1.json" 0 1 ipackets) - $(python3 "$helper" qget "$tmp/o0.json" 0 1 ipackets)))
k_pk=$(xdelta rx_q1_kernel_packets)
k_dr=$(xdelta rx_q1_kernel_drops)
((rx_q1 == 0)) || fail "queue 1 of port 0 received $rx_q1 packets with no process polling it"
((k_dr > 0)) || fail "5000 datagrams into the unpolled queue 1: no kernel drop counted (kernel_packets +$k_pk, kernel_drops +$k_dr)"
echo "   ring overflow on unpolled queue 1: $(cat "$tmp/udp.out"); kernel saw $k_pk, dropped $k_dr, the ring holds $((k_pk - k_dr))"

# ------------------------------------------------------------------ 7. new workers on queue 1

start_worker w3 0 1
w3=$started
start_worker w4 1 0
w4=$started
procinfo ports2
expect_claim ports2 0 rx 1 "$w3"
expect_claim ports2 1 rx 1 "$w4"
sleep 1 # the stale frames of the failed connect drain; their answers reset
q1_list=$(IFS=,; echo "${q1_flows[*]}")
flows $((256 * 1024)) "$q1_list" 30 back || { cat "$tmp/back.flows"; fail "queue-1 flows with new workers"; }
loss=$(ping_loss 10)
[[ $loss == 0 ]] || fail "ping with new workers: ${loss:-?}% loss"
settle
snap s5
say "7. new workers w3 (pid $w3), w4 (pid $w4) claimed queue 1; ${#q1_flows[@]} queue-1 flow(s) and ping succeed again"
python3 "$helper" check "$tmp/s3.json" "$tmp/s5.json" "$ra" "$rb" >"$tmp/check2.out" ||
	{ cat "$tmp/check2.out"; fail "counters over phases 4-7 (across the kill)"; }
sed 's/^/   /' "$tmp/check2.out"

for w in w3 w4; do
	p=${!w}
	kill -INT "$p"
	rc=0
	wait "$p" || rc=$?
	forget "$p"
	((rc == 0)) || fail "worker $w exited with $rc on SIGINT"
	line=$(grep '^worker ' "$tmp/$w.log" || true)
	n=$(sed -n 's/^worker rx=\([0-9]*\).*/\1/p' <<<"$line")
	[[ -n $n ]] && ((n > 0)) || fail "worker $w: final line '$line', expected rx > 0"
	echo "   $w: $line"
done

# ------------------------------------------------------------------ 8. stop and leftovers

stop_pid "$server"
forget "$server"
kill -INT "$l2fwd_pid"
rc=0
wait "$l2fwd_pid" || rc=$?
forget "$l2fwd_pid"
((rc == 0)) || fail "l2fwd exited with $rc on SIGINT"
grep -q '^total rx=' "$tmp/l2fwd.log" || fail "l2fwd printed no total line"
say "8. l2fwd stopped: $(grep '^total' "$tmp/l2fwd.log")"
# the interfaces are left as found: the driver's promiscuous membership went
# with its socket
for i in "$ra" "$rb"; do
	n=$(ip -d -j link show "$i" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get("promiscuity", -1))')
	[[ $n == 0 ]] || fail "$i: promiscuity $n after l2fwd exited (expected 0)"
done
left=$(cd "$rt" && find . -mindepth 1 | head -20)
[[ -z $left ]] || fail "left in the runtime directory $rt: $left"
for d in /run/mpdp /dev/shm/mpdp; do
	[[ -e $d/$prefix ]] && fail "$d/$prefix exists: a tool ignored --runtime-dir"
done
left=$(leftovers | grep '^file' || true)
[[ -z $left ]] || fail "left in /dev/shm: $left"
status_ok=1
