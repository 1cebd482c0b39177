#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_vm_vhost_ping.sh - a QEMU guest reaches a network namespace through
# mpdp-l2fwd, over net_vhost (vhost-user) and net_af_packet.
#
#   guest eth0 (virtio-net, 10.214.0.2/24)
#     == vhost-user socket (QEMU client, mpdp listens: client=0) ==
#   [port 0 net_vhost0] mpdp-l2fwd [port 1 net_af_packet0]
#     == R (root-side veth end) == ns (veth0 10.214.0.1/24)
#
# The guest is tests/vm's (Debian kernel, busybox initramfs, under TCG when
# /dev/kvm is kvm_pvm's). Its payload, from a 9p share, brings eth0 up,
# pings 10.214.0.1 until the first answer (ARP crosses the bridge; at most
# 30 s), then 5 pings that must all be answered, prints its interface
# counters and waits for the host, which then pings the guest 5 times from
# the namespace (0% loss) and lets it power off. Then l2fwd stops on SIGINT
# with status 0 and counted traffic on both ports.
#
# Each stage that fails says which: l2fwd did not start (net_vhost missing
# or broken), no socket, QEMU did not connect or the guest did not boot, the
# guest's link stayed down, the guest's pings or the namespace's were lost.
# Everything is removed on any exit: QEMU, l2fwd, the namespace and veth,
# the socket, the runtime directory, the share.
#
# MPDP_VHOST_PING_BACKEND=dpdk-testpmd runs DPDK's testpmd (io forwarding
# between its net_vhost and net_af_packet) in place of mpdp-l2fwd: a check
# of the guest's half and of this script against a known vhost-user backend.
#
# usage: test_vm_vhost_ping.sh [L2FWD]   (default: $MPDP_APP_L2FWD)
# exit 0 pass, 1 fail, 77 skip (not root, no netns, QEMU cannot be installed)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../vm/vm_lib.sh
source "$here/../vm/vm_lib.sh"
# shellcheck source=proc_lib.sh
source "$here/proc_lib.sh"
l2fwd=${1:-${MPDP_APP_L2FWD:-}}
backend=${MPDP_VHOST_PING_BACKEND:-l2fwd}

say() { echo "[$(date +%H:%M:%S.%3N)] $*"; }

if ((EUID != 0)); then
	echo "SKIP: needs root (network namespaces, veth, packet sockets, QEMU)"
	exit 77
fi
case $backend in
l2fwd)
	[[ -n $l2fwd && -x $l2fwd ]] || { echo "FAIL: mpdp-l2fwd '$l2fwd' not found (give L2FWD or set MPDP_APP_L2FWD)"; exit 1; }
	;;
dpdk-testpmd)
	command -v dpdk-testpmd >/dev/null || { echo "FAIL: dpdk-testpmd is not installed (Debian package dpdk)"; exit 1; }
	;;
*)
	echo "FAIL: MPDP_VHOST_PING_BACKEND=$backend: expected l2fwd or dpdk-testpmd"
	exit 1
	;;
esac
for t in ip ethtool ping; do
	command -v "$t" >/dev/null || { echo "FAIL: $t is not installed"; exit 1; }
done

tag=mpdpv-$$ # every name the test creates contains it
ns=$tag
veth=$tag # root-side end (<= 15 characters)
addr_ns=10.214.0.1
addr_vm=10.214.0.2
t_start=$(date +%s)

tmp=
rt=
bpid=
made_ns=
made_link=
status_ok=0

leftovers()
{
	ip netns list 2>/dev/null | grep -F -- "$tag" | sed 's/^/netns: /' || true
	ip -o link show 2>/dev/null | grep -F -- "$tag" | awk -F': ' '{ print "link: " $2 }' || true
	find /dev/shm /run/mpdp /dev/shm/mpdp /var/run/dpdk -maxdepth 1 -name "*$tag*" 2>/dev/null | sed 's/^/file: /' || true
}

cleanup()
{
	local rc=$? f
	trap - EXIT INT TERM
	set +e
	vm_stop
	[[ -n $bpid ]] && stop_pid "$bpid"
	[[ -n $made_ns ]] && ip netns del "$made_ns" 2>/dev/null
	[[ -n $made_link ]] && ip link del "$made_link" 2>/dev/null
	[[ -n $rt ]] && rm -rf "$rt"
	if ((rc != 0)) && [[ -n $tmp && -d $tmp ]]; then
		[[ -e $tmp/vm.log ]] && vm_log_tail "$tmp/vm.log" 30
		if [[ -s $tmp/backend.log ]]; then
			echo "---- $backend (last 20 lines)"
			tail -n 20 "$tmp/backend.log"
		fi
	fi
	[[ -n $tmp && -z ${MPDP_VM_KEEP:-} ]] && rm -rf "$tmp"
	rm -rf "/var/run/dpdk/$tag" 2>/dev/null
	no_leftovers || rc=1
	((rc == 0 && status_ok)) && echo "PASS ($(($(date +%s) - t_start)) s)"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

# ------------------------------------------------------------------ QEMU and the guest

if ! vm_prepare; then
	command -v "$VM_QEMU" >/dev/null || { echo "SKIP: QEMU cannot be installed (see above)"; exit 77; }
	fail "the guest could not be built (see above)"
fi
say "guest ready ($VM_KERNEL); accelerator $(vm_accel_why)"

# ------------------------------------------------------------------ namespace and veth

if ! ip netns add "$ns" 2>/dev/null; then
	echo "SKIP: 'ip netns add' does not work here"
	exit 77
fi
made_ns=$ns
ip link add "$veth" type veth peer name veth0 netns "$ns" || fail "ip link add $veth (veth)"
made_link=$veth
echo 1 >"/proc/sys/net/ipv6/conf/$veth/disable_ipv6"
ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 &&
	echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 &&
	echo 1 >/proc/sys/net/ipv6/conf/veth0/disable_ipv6'
ethtool -K "$veth" tx off tso off gso off gro off rx off >/dev/null
ip netns exec "$ns" ethtool -K veth0 tx off tso off gso off gro off rx off >/dev/null
ip -n "$ns" addr add "$addr_ns/24" dev veth0
ip -n "$ns" link set lo up
ip -n "$ns" link set veth0 up
ip link set "$veth" up

tmp=$(mktemp -d "/tmp/$tag.XXXXXX")
rt=$(mktemp -d "/dev/shm/$tag-rt.XXXXXX")
share=$tmp/share
mkdir -p "$share"
sock=$tmp/vhost.sock
say "setup: namespace $ns ($addr_ns), veth $veth, socket $sock"

# ------------------------------------------------------------------ the backend

: >"$tmp/backend.log"
if [[ $backend == l2fwd ]]; then
	"$l2fwd" --prefix "$tag" --runtime-dir "$rt" --proc-type primary --no-pci --no-huge --mem 128M -l 0 \
		--vdev "net_vhost0,iface=$sock,queues=1,client=0" --vdev "net_af_packet0,iface=$veth" \
		-- --idle-us 20 -T 1 >"$tmp/backend.log" 2>&1 </dev/null &
	bpid=$!
	ready='^ready '
else
	dpdk-testpmd --no-pci --no-huge -m 256 --file-prefix "$tag" -l 0,1 --log-level=lib.eal:warning \
		--vdev "net_vhost0,iface=$sock,queues=1,client=0" --vdev "net_af_packet0,iface=$veth" \
		-- --forward-mode=io --auto-start --stats-period 1 --total-num-mbufs 2048 \
		>"$tmp/backend.log" 2>&1 </dev/null &
	bpid=$!
	ready='Port 1: [0-9A-F:]+'
fi
# The backend listens on the socket (client=0) once it has parsed its
# devices; whether it prints "ready" before the guest's driver is up or only
# after depends on how its port start waits for the link: so wait for the
# socket (or "ready") here, start QEMU, and wait for "ready" after that.
t=0
until [[ -S $sock ]] || grep -qE -- "$ready" "$tmp/backend.log"; do
	alive "$bpid" || fail "$backend exited before it was ready (net_vhost missing or broken?): $(grep -v '^$' "$tmp/backend.log" | tail -n 3 | tr '\n' ' ')"
	((t >= 150)) && fail "$backend did not create the vhost-user socket in 15 s (client=0: the backend listens on $sock)"
	sleep 0.1
	t=$((t + 1))
done
[[ -S $sock ]] || fail "$backend is ready but the vhost-user socket $sock does not exist (client=0: the backend listens)"
say "$backend (pid $bpid) listens on $sock"

# ------------------------------------------------------------------ the guest

cat >"$share/payload.sh" <<EOF
stats() { echo "eth0 \$1 carrier=\$(cat /sys/class/net/eth0/carrier 2>/dev/null) rx=\$(cat /sys/class/net/eth0/statistics/rx_packets) tx=\$(cat /sys/class/net/eth0/statistics/tx_packets) rx_dropped=\$(cat /sys/class/net/eth0/statistics/rx_dropped)"; }
ip link set eth0 up || exit 10
ip addr add $addr_vm/24 dev eth0 || exit 11
i=0
while [ "\$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ]; do
	i=\$((i + 1))
	[ \$i -ge 100 ] && { stats link-down; echo "MPDP-VM-LINK down"; exit 12; }
	sleep 0.1
done
echo "MPDP-VM-LINK up"
i=0
until ping -c 1 -W 2 $addr_ns >/dev/null 2>&1; do
	i=\$((i + 1))
	[ \$i -ge 15 ] && break
done
echo "first-answer-after \$i"
ping -c 5 -i 0.5 -W 2 $addr_ns >/tmp/ping.out 2>&1
sed 's/^/guest-ping: /' /tmp/ping.out
stats after-ping
grep -q ' 0% packet loss' /tmp/ping.out && rc=0 || rc=20
echo "MPDP-VM-WAIT"
i=0
while [ ! -e "\$MPDP_VM_SHARE/done" ] && [ \$i -lt 900 ]; do
	sleep 0.1
	i=\$((i + 1))
done
stats end
exit \$rc
EOF

vm_new
VM_TIMEOUT=360
VM_SMP=${MPDP_VM_SMP:-2}
vm_share "$share"
vm_add_vhost_user "$sock" 0x03
log=$tmp/vm.log
vm_start "$log"
say "QEMU started (pid $VM_PID)"
t=0
until grep -qE -- "$ready" "$tmp/backend.log"; do
	alive "$bpid" || fail "$backend exited after QEMU connected: $(grep -v '^$' "$tmp/backend.log" | tail -n 3 | tr '\n' ' ')"
	((t >= 1200)) && fail "$backend not ready 120 s after QEMU started"
	sleep 0.1
	t=$((t + 1))
done
say "$backend ready: $(grep -m1 -E -- "$ready" "$tmp/backend.log")"
# fail with $1, or say that QEMU is gone and how it ended (139: it crashed)
guest_fail()
{
	if [[ -n $VM_PID ]] && ! vm_alive; then
		vm_wait 1 || true
		fail "QEMU exited with status $VM_RC ($2): $(grep -v '^$' "$log.qemu" | tail -n 2 | tr '\n' ' ')"
	fi
	fail "$1"
}
if ! vm_wait_line "$log" '^MPDP-VM-PAYLOAD' 180; then
	vm_log "$log" | grep -q 'MPDP-VM-BOOT' ||
		guest_fail "the guest did not boot in 180 s (QEMU waits for the backend on $sock until it connects)" "before the guest booted"
	guest_fail "the guest booted but did not reach its payload" "before the payload"
fi
t_boot=$(($(date +%s%3N) - VM_T0))
say "guest booted, payload started after $((t_boot / 1000)).$((t_boot % 1000 / 100)) s"
vm_wait_line "$log" '^MPDP-VM-(LINK|RESULT)' 30 || guest_fail "the guest's payload stopped before eth0 came up" "before the guest's eth0 came up"
vm_log "$log" | grep -q '^MPDP-VM-LINK up' ||
	fail "the guest's eth0 (vhost-user virtio-net) has no carrier: the backend did not bring the vring up"
vm_wait_line "$log" '^MPDP-VM-(WAIT|RESULT)' 90 || guest_fail "the guest did not finish its pings in 90 s" "during the guest's pings"
vm_log "$log" | sed -n 's/^\(first-answer-after .*\|guest-ping: .*packet loss.*\|eth0 after-ping.*\)$/   \1/p'
guest_ok=1
vm_log "$log" | grep -qE '^guest-ping: .* 0% packet loss' || guest_ok=0

# the namespace pings the guest (the guest is waiting)
out=$(ip netns exec "$ns" ping -n -q -c 5 -i 0.5 -W 2 "$addr_vm" 2>&1) || true
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
echo "   namespace -> guest: $(grep 'packet loss' <<<"$out" || echo "$out")"
touch "$share/done"
vm_wait 60 || fail "the guest did not power off (QEMU status $VM_RC)"
rc=$(vm_result "$log") || fail "no MPDP-VM-RESULT line from the guest"
vm_log "$log" | sed -n 's/^\(eth0 end .*\)$/   \1/p'
((guest_ok)) || fail "guest -> namespace ping: packets lost (payload rc=$rc)"
[[ $loss == 0 ]] || fail "namespace -> guest ping: ${loss:-?}% loss"
((rc == 0)) || fail "the guest's payload exited with $rc"
say "pings: guest -> namespace 5/5, namespace -> guest 5/5"

# ------------------------------------------------------------------ stop the backend

if [[ $backend == l2fwd ]]; then
	kill -INT "$bpid"
	rc=0
	wait "$bpid" || rc=$?
	bpid=
	((rc == 0)) || fail "l2fwd exited with $rc on SIGINT"
	grep '^final port=' "$tmp/backend.log" | sed 's/^/   /'
	for p in 0 1; do
		line=$(grep "^final port=$p " "$tmp/backend.log" || true)
		n=$(sed -n 's/.* rx=\([0-9]*\) .*/\1/p' <<<"$line")
		[[ -n $n ]] && ((n >= 10)) || fail "l2fwd port $p: final '$line', expected rx >= 10"
	done
	left=$(cd "$rt" && find . -mindepth 1 | head -5)
	[[ -z $left ]] || fail "left in the runtime directory $rt: $left"
else
	kill -INT "$bpid"
	wait "$bpid" || true
	bpid=
	grep -E 'RX-packets|TX-packets' "$tmp/backend.log" | tail -n 4 | sed 's/^/   /'
fi
[[ -e $sock ]] && fail "the vhost-user socket $sock is still there after $backend exited"
say "$backend stopped"
status_ok=1
