#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# pci_payload.sh - the guest side of test_vm_virtio_pci.sh and
# bench/bench_vm_virtio.sh (busybox sh, run by guest-init.sh from the share).
#
# The guest has five virtio-net NICs: 00:03.0 the management port (stays on
# the kernel's virtio-pci, interface up), and the data NICs on QEMU hubs:
# hub 1 = 00:04.0 + 00:09.0 (mpdp ports 0 and 1), hub 2 = 00:0a.0 + 00:0b.0
# (ports 2 and 3). A frame sent on one NIC of a hub arrives on the other.
#
# Settings: ./pci.env on the share (written by the host script), shell
# assignments:
#   VARIANT   legacy-uio | modern-uio | modern-vfio | legacy-vfio
#   KDRV      uio_pci_generic | vfio-pci (the data NICs' kernel driver)
#   DEVID     0x1000 (legacy) | 0x1041 (modern): the data NICs' device id
#   HUGE      1: reserve HUGE_PAGES 2 MiB hugepages; 0: none (IOVA as VA)
#   NOHUGE_CHECK 1: first check that mpdp-l2fwd refuses to start without
#             hugepages with one line naming them (legacy on vfio: physical
#             addresses needed)
#   APPS      "mpdp", "testpmd" or "testpmd mpdp": what runs (testpmd: DPDK
#             io forwarding on the four ports, to validate the guest set-up)
#   MODE      test (the field reports' steps) | bench (timed forwarding runs)
#   TESTPMD_ARGS  testpmd's -d plugin options (vm_stage_testpmd)
#   BENCH_SECS    seconds of forwarding per bench run
#   PCI_TOOL  mpdp-test-pci-tool when staged (device status), else empty
#   TOOL_IOVA its IOVA option ("--iova-mode pa" but for modern on vfio)
#
# Output: "PASS: ..." / "FAIL: ..." / "NOTE: ..." lines per check, "BENCH
# ..." lines in bench mode, the tools' output on failure; exit status 1 when
# a check failed. Processes (all ours) are killed on the way out.
#
# Lcores: primaries on CPU 0, secondaries on CPU 1, --idle-us where two
# processes share a CPU (the guest has two vCPUs, emulated by TCG: slow).

cd /mnt/host || exit 1
. ./pci.env || exit 1
: "${VARIANT:?}" "${KDRV:?}" "${DEVID:?}" "${HUGE:=0}" "${APPS:=mpdp}" "${MODE:=test}"
: "${HUGE_PAGES:=128}" "${BENCH_SECS:=5}" "${NOHUGE_CHECK:=0}" "${PCI_TOOL:=}" "${TOOL_IOVA:=}"

MGMT=0000:00:03.0
DATA="0000:00:04.0 0000:00:09.0 0000:00:0a.0 0000:00:0b.0"
SYS=/sys/bus/pci/devices
# the primary's heap and common options; ASan builds are slow to start
# under TCG, hence the long waits below
MEM="--mem 128M"
IDLE="--idle-us 50"
W=/tmp/pci
mkdir -p $W /var/run
fails=0
pids=

say() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
note() { echo "NOTE: $*"; }
step() { echo; echo "==== $*"; }
# the last lines of a tool's log, indented
show() { echo "---- $1 (last ${2:-20} lines)"; tail -n "${2:-20}" "$1" | sed 's/^/   | /'; }

# bg NAME CMD...: start CMD in the background, output to $W/NAME.log; the
# pid in $bg_pid
bg()
{
	n=$1
	shift
	"$@" >$W/$n.log 2>&1 &
	bg_pid=$!
	pids="$pids $bg_pid"
	echo "   \$ $* &   (pid $bg_pid)"
}
# wait_line FILE ERE SECONDS [PID]: until FILE has a matching line; 1 on
# timeout or when PID exited first
wait_line()
{
	t=0
	while ! grep -qE -- "$2" "$1" 2>/dev/null; do
		if [ -n "$4" ] && ! kill -0 "$4" 2>/dev/null; then
			grep -qE -- "$2" "$1" 2>/dev/null
			return
		fi
		[ $t -ge $(($3 * 5)) ] && return 1
		usleep 200000
		t=$((t + 1))
	done
}
# stop PID SIGNAL SECONDS: signal it, wait for its exit; status in $stop_rc
# (124 when it had to be killed)
stop()
{
	kill -"$2" "$1" 2>/dev/null
	t=0
	while kill -0 "$1" 2>/dev/null && [ "$(cat /proc/$1/stat 2>/dev/null | cut -d' ' -f3)" != Z ]; do
		if [ $t -ge $(($3 * 5)) ]; then
			kill -KILL "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			stop_rc=124
			return 1
		fi
		usleep 200000
		t=$((t + 1))
	done
	wait "$1" 2>/dev/null
	stop_rc=$?
}
# run NAME SECONDS CMD...: in the foreground with a time limit; status in
# $run_rc, output in $W/NAME.log
run()
{
	n=$1
	s=$2
	shift 2
	echo "   \$ $*"
	timeout "$s" "$@" >$W/$n.log 2>&1
	run_rc=$?
}
# field VALUE of key K in a "k=v k=v" line
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
cleanup()
{
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT

# The PCI command register of device $1 (sysfs config, 4 hex digits): the
# test's own read, never the tools'.
pci_command() { od -An -tx2 -j4 -N2 "$SYS/$1/config" | tr -d ' '; }
bus_master() { [ $((0x$(pci_command "$1") & 4)) -ne 0 ] && echo 1 || echo 0; }

# Device status through the test tool of lib/bus (status=0x.. bus_master=..)
# when staged; prints nothing and returns 1 otherwise.
dev_status()
{
	[ -n "$PCI_TOOL" ] || return 1
	# its own instance (a primary with --no-pci that opens only ADDR)
	# shellcheck disable=SC2086
	timeout 120 "$PCI_TOOL" --prefix pcitool --mem 16M $TOOL_IOVA -- status "$1" 2>&1 | tail -n 1
}

# ------------------------------------------------------------ 1. set-up

step "1. $VARIANT: data NICs to $KDRV, management NIC stays on virtio-pci"
for d in $DATA; do
	echo "$KDRV" >$SYS/$d/driver_override
	[ -e $SYS/$d/driver ] && echo $d >$SYS/$d/driver/unbind
	echo $d >/sys/bus/pci/drivers_probe
	drv=-
	[ -e $SYS/$d/driver ] && drv=$(basename "$(readlink $SYS/$d/driver)")
	id="$(cat $SYS/$d/vendor):$(cat $SYS/$d/device)"
	echo "   $d $id driver=$drv command=0x$(pci_command $d)"
	[ "$drv" = "$KDRV" ] || fail "$d is bound to '$drv', not $KDRV"
	[ "$id" = "0x1af4:$DEVID" ] || fail "$d is $id, not 0x1af4:$DEVID ($VARIANT)"
done
if [ "$KDRV" = vfio-pci ]; then
	ls /dev/vfio | sed 's/^/   \/dev\/vfio\//'
	[ -e /dev/vfio/vfio ] || fail "no /dev/vfio/vfio"
fi
drv=-
[ -e $SYS/$MGMT/driver ] && drv=$(basename "$(readlink $SYS/$MGMT/driver)")
mif=$(ls $SYS/$MGMT/virtio*/net 2>/dev/null | head -n 1)
[ -n "$mif" ] && ip link set "$mif" up
if [ "$drv" = virtio-pci ] && [ -n "$mif" ] && ip link show "$mif" | grep -q '[<,]UP[,>]'; then
	pass "$MGMT stays on virtio-pci, interface $mif up"
else
	fail "$MGMT: driver '$drv', interface '${mif:-none}' (expected virtio-pci and an interface up)"
fi
[ $fails -eq 0 ] && pass "data NICs $DATA bound to $KDRV (1af4:${DEVID#0x})"

hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
case " $APPS " in *" mpdp "*) ;; *) NOHUGE_CHECK=0 ;; esac
if [ "$NOHUGE_CHECK" = 1 ]; then
	echo 0 >$hp
	say "without hugepages mpdp-l2fwd must refuse to start ($VARIANT needs physical addresses)"
	run nohuge 240 mpdp-l2fwd -l 0 $MEM -- -p 0x6 --duration 1
	sed 's/^/   | /' $W/nohuge.log
	if [ $run_rc -ne 0 ] && [ $run_rc -lt 124 ] && [ "$(grep -ci hugepage $W/nohuge.log)" -ge 1 ]; then
		pass "no hugepages: mpdp-l2fwd exits $run_rc: $(grep -i hugepage $W/nohuge.log | head -n 1)"
	else
		fail "no hugepages: mpdp-l2fwd exit status $run_rc (expected 1..123) and a line naming hugepages"
	fi
fi
if [ "$HUGE" = 1 ]; then
	echo "$HUGE_PAGES" >$hp
	n=$(cat $hp)
	if [ "$n" -ge 64 ]; then
		pass "$n hugepages of 2 MiB reserved"
	else
		fail "only $n hugepages could be reserved"
	fi
else
	echo 0 >$hp
	pass "no hugepages reserved ($(cat $hp)): the heap is tmpfs, IOVA = heap offset"
fi
[ $fails -eq 0 ] || { echo "set-up failed: nothing else runs"; exit 1; }

# ------------------------------------------------------------ testpmd

# testpmd_run NAME SECONDS EXTRA...: DPDK io forwarding over the four data
# NICs (1 forwarding core, --tx-first), stopped with SIGINT after SECONDS.
# Sets tp_ok (every port received and sent) and tp_mpps (mean of the
# per-second receive rates summed over the ports, first sample left out).
tp_eal()
{
	case $VARIANT in
	modern-vfio) echo "--no-huge -m 128" ;; # IOVA as VA through the IOMMU
	legacy-vfio) echo "--iova-mode=pa -m 128" ;; # legacy DMA bypasses the IOMMU
	*) echo "-m 128" ;;
	esac
}
testpmd_run()
{
	n=$1
	secs=$2
	shift 2
	a=
	for d in $DATA; do a="$a -a $d"; done
	# shellcheck disable=SC2046,SC2086
	bg "$n" dpdk-testpmd -l 0-1 $(tp_eal) $TESTPMD_ARGS $a -- --forward-mode=io --tx-first \
		--stats-period 1 --total-num-mbufs=8192 "$@"
	p=$bg_pid
	if ! wait_line $W/$n.log 'Rx-pps' 120 $p; then
		fail "testpmd did not start forwarding"
		show $W/$n.log 40
		stop $p INT 10
		tp_ok=0
		tp_mpps=0
		return 1
	fi
	sleep "$secs"
	stop $p INT 30
	# the per-port forward statistics at the end
	tp_ok=1
	for port in 0 1 2 3; do
		rx=$(sed -n "/Forward statistics for port $port /,/----------------------------------------------------------------------------/p" $W/$n.log | sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | head -n 1)
		tx=$(sed -n "/Forward statistics for port $port /,/----------------------------------------------------------------------------/p" $W/$n.log | sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' | head -n 1)
		echo "   testpmd port $port rx=${rx:-?} tx=${tx:-?}"
		[ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] || tp_ok=0
	done
	# Rx-pps lines come in groups of 4 (one per port) every second
	tp_mpps=$(grep 'Rx-pps:' $W/$n.log | awk '{ s[int((NR - 1) / 4)] += $2; n = int((NR - 1) / 4) + 1 }
		END { t = 0; c = 0; for (i = 1; i < n; i++) { t += s[i]; c++ } if (!c && n) { t = s[0]; c = 1 }
		      printf "%.4f", c ? t / c / 1e6 : 0 }')
	echo "   testpmd exit status $stop_rc, io forwarding $tp_mpps Mpps (sum of the 4 ports' receive rates)"
	[ $stop_rc -eq 0 ] || tp_ok=0
	[ $tp_ok = 1 ]
}

# l2fwd_bench NAME SECONDS: mpdp-l2fwd -p 0xf --tx-first over the four
# ports; sets l2_ok, l2_mpps (mean of the -T 1 samples summed over the
# ports, first sample left out, as testpmd's)
l2fwd_bench()
{
	run "$1" $(($2 + 180)) mpdp-l2fwd -l 1 $MEM -- -p 0xf --tx-first 1 --duration "$2" -T 1
	l2_ok=0
	[ $run_rc -eq 0 ] && l2_ok=1
	l2_mpps=$(grep '^stats port=' $W/$1.log | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^rx_mpps=/) { sub(/rx_mpps=/, "", $i); s[int((NR - 1) / 4)] += $i }
		n = int((NR - 1) / 4) + 1 }
		END { t = 0; c = 0; for (i = 1; i < n; i++) { t += s[i]; c++ } if (!c && n) { t = s[0]; c = 1 }
		      printf "%.4f", c ? t / c : 0 }')
	grep -E '^(final|total) ' $W/$1.log | sed 's/^/   /'
	echo "   mpdp-l2fwd exit status $run_rc, $l2_mpps Mpps (sum of the 4 ports' receive rates)"
}

if [ "$MODE" = bench ]; then
	step "bench: $VARIANT, io forwarding over 4 ports, $BENCH_SECS s each"
	tp_mpps=-
	l2_mpps=-
	case " $APPS " in *" testpmd "*)
		testpmd_run bench-testpmd "$BENCH_SECS" || fail "testpmd run"
		;;
	esac
	case " $APPS " in *" mpdp "*)
		l2fwd_bench bench-l2fwd "$BENCH_SECS"
		[ $l2_ok = 1 ] || { fail "mpdp-l2fwd run (status $run_rc)"; show $W/bench-l2fwd.log 30; }
		;;
	esac
	echo "BENCH variant=$VARIANT testpmd_mpps=$tp_mpps mpdp_mpps=$l2_mpps"
	[ $fails -eq 0 ]
	exit
fi

case " $APPS " in *" testpmd "*)
	step "T. DPDK testpmd io forwarding on the four data NICs (validates binding, memory, hubs)"
	if testpmd_run testpmd 8; then
		pass "testpmd forwards on all four ports ($tp_mpps Mpps)"
	else
		fail "testpmd forwarding (see above)"
		show $W/testpmd.log 30
	fi
	;;
esac
case " $APPS " in *" mpdp "*) ;; *)
	note "mpdp steps not run (APPS=$APPS)"
	[ $fails -eq 0 ]
	exit
	;;
esac

# ------------------------------------------------------------ 2. report 000

# pktgen_check NAME EXPECTED_SENT: >= 90% received, bad=0, dup=0
pktgen_check()
{
	line=$(grep '^pktgen sent=' $W/$1.log | tail -n 1)
	echo "   $line"
	sent=$(field sent "$line")
	recv=$(field received "$line")
	bad=$(field bad "$line")
	dup=$(field dup "$line")
	if [ -z "$line" ]; then
		fail "$1: no result line (exit status $run_rc)"
		show $W/$1.log 20
		return 1
	fi
	if [ "$run_rc" -eq 0 ] && [ "$sent" -ge "$2" ] && [ $((recv * 10)) -ge $((sent * 9)) ] &&
		[ "$bad" -eq 0 ] && [ "$dup" -eq 0 ]; then
		pass "$1: $recv of $sent frames back ($((recv * 100 / sent))%), bad=0 dup=0"
	else
		fail "$1: exit $run_rc, received $recv of $sent (need 90% of $2), bad=$bad dup=$dup"
		show $W/$1.log 20
		return 1
	fi
}

# proc_info_check TAG: ports 0-3 are the data NICs on net_virtio, link up,
# counters moving in the directions of report 000's flow; 00:03.0 skipped
# with its kernel driver
proc_info_check()
{
	run "pinfo-$1" 180 mpdp-proc-info -l 1 -- --ports --stats --skipped
	o=$W/pinfo-$1.log
	[ $run_rc -eq 0 ] || { fail "proc-info ($1) exit status $run_rc"; show $o; return 1; }
	grep -E '^(port|stats|skipped) ' $o | sed 's/^/   /'
	ok=1
	i=0
	for d in $DATA; do
		l=$(grep "^port id=$i " $o)
		if [ "$(field name "$l")" != "$d" ] || [ "$(field driver "$l")" != net_virtio ] ||
			[ "$(field link "$l")" != up ]; then
			fail "proc-info ($1): port $i is not $d on net_virtio with link up"
			ok=0
		fi
		i=$((i + 1))
	done
	[ "$(grep -c '^port id=' $o)" -eq 4 ] || { fail "proc-info ($1): $(grep -c '^port id=' $o) ports, expected 4"; ok=0; }
	# frames: pktgen tx 0 -> hub 1 -> rx 1 -> l2fwd -> tx 2 -> hub 2 -> rx 3
	for pc in 0:opackets 1:ipackets 1:opackets 2:ipackets 2:opackets 3:ipackets; do
		p=${pc%%:*}
		c=${pc#*:}
		v=$(field "$c" "$(grep "^stats port=$p " $o)")
		# l2fwd forwards port 1 <-> 2 only: 1 sends and 2 receives nothing
		case $pc in 1:opackets | 2:ipackets) continue ;; esac
		[ "${v:-0}" -gt 0 ] || { fail "proc-info ($1): port $p $c=${v:-none}, expected > 0"; ok=0; }
	done
	l=$(grep "^skipped .*name=$MGMT" $o)
	if [ -n "$l" ] && [ "$(field kdrv "$l")" = virtio-pci ]; then
		:
	else
		fail "proc-info ($1): $MGMT not listed as skipped with kernel driver virtio-pci"
		ok=0
	fi
	[ $ok = 1 ] && pass "proc-info ($1): 4 ports on net_virtio, link up, counters moving, $MGMT skipped (virtio-pci)"
}

step "2. field report 000: l2fwd -p 0x6, pktgen 0 -> 3 (secondary), proc-info (secondary)"
bg l2fwd000 mpdp-l2fwd -l 0 $MEM -- -p 0x6 -T 1 $IDLE
l2pid=$bg_pid
if wait_line $W/l2fwd000.log '^ready ' 240 $l2pid; then
	grep -E '^(port|ready) ' $W/l2fwd000.log | sed 's/^/   /'
	pass "mpdp-l2fwd primary up on $(grep -c '^port id=' $W/l2fwd000.log) ports"
	# pktgen in the background so that proc-info samples during the flow
	bg pktgen000 mpdp-pktgen -l 1 -- --tx-port 0 --rx-port 3 --count 4000 --rate 1000 \
		--drain-ms 3000 $IDLE -T 1
	pgpid=$bg_pid
	if wait_line $W/pktgen000.log '^stats ' 240 $pgpid; then
		proc_info_check during
	else
		fail "pktgen000 sent nothing"
	fi
	# it stops by itself after --count and --drain-ms; TERM only if not
	wait_line $W/pktgen000.log '^pktgen sent=' 240 $pgpid
	stop $pgpid 0 60 # signal 0: wait for its own exit (killed after 60 s)
	run_rc=$stop_rc
	pktgen_check pktgen000 4000
	proc_info_check after
	if kill -0 $l2pid 2>/dev/null; then
		pass "mpdp-l2fwd alive after the secondaries"
	else
		fail "mpdp-l2fwd died"
	fi
	stop $l2pid TERM 60
	[ $stop_rc -eq 0 ] && pass "mpdp-l2fwd (000) exits 0" || { fail "mpdp-l2fwd (000) exit status $stop_rc"; show $W/l2fwd000.log; }
else
	fail "mpdp-l2fwd (000) did not get ready"
	show $W/l2fwd000.log 30
	stop $l2pid TERM 30
fi

# ------------------------------------------------------------ 3. report 003 (+5)

# Step 5: a secondary's files: no /dev/vfio, /dev/uio*, PCI config; at most
# the doorbell the primary sent (a resource file or a vfio device fd)
secondary_files_check()
{
	fds=$(ls -l /proc/$1/fd 2>/dev/null | sed -n 's/.* -> //p')
	maps=$(awk '$6 != "" { print $6 }' /proc/$1/maps 2>/dev/null | sort -u)
	bad=$(printf '%s\n%s\n' "$fds" "$maps" | grep -E '^/dev/vfio|^/dev/uio|^/sys/.*/(config|rom)$' | sort -u)
	door=$(printf '%s\n%s\n' "$fds" "$maps" | grep -E '/resource[0-9]|vfio-device' | sort -u | tr '\n' ' ')
	echo "   mp-worker pid $1: fds: $(echo "$fds" | tr '\n' ' ')"
	echo "   mp-worker device mappings / doorbell: ${door:-none}"
	# the device mappings with their sizes (the doorbell: notify region)
	grep -E 'resource[0-9]|vfio' /proc/$1/maps 2>/dev/null | while read -r r perm off _ _ path; do
		echo "   map $r $perm off=0x$off $(((0x${r#*-} - 0x${r%-*}) / 1024)) KiB $path"
	done
	if [ -n "$bad" ]; then
		fail "5. the secondary opened or mapped device files: $(echo "$bad" | tr '\n' ' ')"
	else
		pass "5. the secondary holds no /dev/vfio, /dev/uio*, PCI config (doorbell: ${door:-none, port I/O})"
	fi
}

# devices_running TAG: the secondary's exit reset nothing (device status
# via the pci tool when it can run, bus mastering via sysfs config)
devices_running()
{
	for d in $DATA; do
		bm=$(bus_master $d)
		s=
		[ "$KDRV" = uio_pci_generic ] && s=$(dev_status $d)
		echo "   $d command=0x$(pci_command $d) ${s:-(no pci tool status)}"
		[ "$bm" = 1 ] || fail "$1: $d lost bus mastering"
		case $s in
		*"status=0x00 "* | *"status=0x00") fail "$1: $d was reset (status=0x00)" ;;
		esac
	done
}

step "3. field report 003: l2fwd -p 0x3, mp-worker echo on port 2, pktgen 3 -> 3 size 3000"
bg l2fwd003 mpdp-l2fwd -l 0 $MEM -- -p 0x3 -T 1 $IDLE
l2pid=$bg_pid
if wait_line $W/l2fwd003.log '^ready ' 240 $l2pid; then
	pass "mpdp-l2fwd -p 0x3 up (ports 2, 3 configured, unpolled)"
	bg worker1 mpdp-mp-worker -l 1 -- --mode echo --rx-port 2 $IDLE -T 1
	wpid=$bg_pid
	# ready, then its first one-second sample: its first receive passes
	# (page faults, under TCG) are behind it when pktgen starts
	if wait_line $W/worker1.log '^ready ' 240 $wpid && wait_line $W/worker1.log '^stats ' 60 $wpid; then
		sed -n 's/^ready /   ready /p' $W/worker1.log
		secondary_files_check $wpid
		run pktgen003 300 mpdp-pktgen -l 1 -- --tx-port 3 --rx-port 3 --size 3000 --count 1500 \
			--rate 300 --drain-ms 3000 $IDLE
		pktgen_check pktgen003 1500
		run xstats 180 mpdp-proc-info -l 1 -- --xstats -p 0xc
		grep -E 'mrg|chained' $W/xstats.log | sed 's/^/   /'
		v=$(field value "$(grep '^xstat port=2 name=rx_q0_mrg_segments ' $W/xstats.log)")
		if [ "${v:-0}" -gt 0 ]; then
			pass "port 2 rx_q0_mrg_segments=$v (3000-byte frames merged from several buffers)"
		else
			fail "port 2 rx_q0_mrg_segments=${v:-missing}, expected > 0"
		fi
		say "SIGKILL mp-worker $wpid"
		stop $wpid KILL 30
		sleep 2
		if kill -0 $l2pid 2>/dev/null; then
			pass "mpdp-l2fwd alive after the worker's SIGKILL"
		else
			fail "mpdp-l2fwd died after the worker's SIGKILL"
		fi
		devices_running "after SIGKILL"
		bg worker2 mpdp-mp-worker -l 1 -- --mode echo --rx-port 2 $IDLE -T 1
		wpid=$bg_pid
		if wait_line $W/worker2.log '^ready ' 240 $wpid && wait_line $W/worker2.log '^stats ' 60 $wpid; then
			pass "a new mp-worker claims queue 0 of port 2"
			run pktgen003b 300 mpdp-pktgen -l 1 -- --tx-port 3 --rx-port 3 --size 3000 \
				--count 500 --rate 300 --drain-ms 3000 $IDLE
			pktgen_check pktgen003b 500
		else
			fail "the second mp-worker did not get ready (queue not reclaimed?)"
			show $W/worker2.log
		fi
		stop $wpid TERM 60
		grep '^worker ' $W/worker2.log | sed 's/^/   /'
		[ $stop_rc -eq 0 ] || { fail "mp-worker exit status $stop_rc"; show $W/worker2.log; }
		devices_running "after the worker's exit"
	else
		fail "mp-worker did not get ready"
		show $W/worker1.log
	fi
	stop $l2pid TERM 60
	[ $stop_rc -eq 0 ] && pass "mpdp-l2fwd (003) exits 0" || { fail "mpdp-l2fwd (003) exit status $stop_rc"; show $W/l2fwd003.log; }
else
	fail "mpdp-l2fwd (003) did not get ready"
	show $W/l2fwd003.log 30
	stop $l2pid TERM 30
fi

# ------------------------------------------------------------ 4. all four ports

step "4. l2fwd -p 0xf --tx-first 4 --duration 5: forwarding on all four ports"
run l2fwd4 300 mpdp-l2fwd -l 0 $MEM -- -p 0xf --tx-first 4 --duration 5 -T 1
grep -E '^(txfirst|final|total) ' $W/l2fwd4.log | sed 's/^/   /'
ok=1
for p in 0 1 2 3; do
	tx=$(field tx "$(grep "^final port=$p " $W/l2fwd4.log)")
	[ "${tx:-0}" -gt 0 ] || { fail "l2fwd port $p forwarded ${tx:-no} packets"; ok=0; }
done
[ $run_rc -eq 0 ] || { fail "mpdp-l2fwd -p 0xf exit status $run_rc"; ok=0; }
[ $ok = 1 ] && pass "every port forwards, mpdp-l2fwd exits 0" || show $W/l2fwd4.log 30
if [ -n "$PCI_TOOL" ]; then
	ok=1
	for d in $DATA; do
		s=$(dev_status $d)
		echo "   $d $s"
		case $s in
		*"status=0x00 "* | *"status=0x00") ;;
		*) fail "$d not reset by the primary at exit: $s"; ok=0 ;;
		esac
	done
	[ $ok = 1 ] && pass "devices reset by the primary at exit (status=0x00)"
	# vfio-pci's release also resets a device that has a reset method
	# (FLR, PM, secondary bus); QEMU's virtio-net on the root bus has none
	# (sysfs reset_method absent or empty), so the 0x00 is the primary's
	if [ "$KDRV" = vfio-pci ]; then
		rm_=$(cat $SYS/0000:00:04.0/reset_method 2>/dev/null)
		if [ -n "$rm_" ]; then
			note "vfio-pci can reset these devices itself (reset_method: $rm_): status=0x00 does not prove the primary's reset"
		else
			note "vfio-pci has no reset method for these devices: status=0x00 is the primary's reset"
		fi
	fi
else
	note "no pci tool staged: the primary's reset at exit is not checked"
fi

echo
if [ $fails -eq 0 ]; then
	echo "ALL PASS ($VARIANT)"
else
	echo "$fails FAILURE(S) ($VARIANT)"
fi
[ $fails -eq 0 ]
