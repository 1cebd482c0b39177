#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_fwd.sh - forwarding rate of 64-byte packets through mpdp, and through
# DPDK's testpmd in the same run when DPDK is installed (issue 4).
#
# Rows (Mpps, millions of packets per second):
#   null_io_1core   mpdp-l2fwd between two net_null ports (receive makes 64 B
#                   packets, transmit frees them), one forwarding core; vs
#                   dpdk-testpmd --forward-mode=io on net_null0/net_null1.
#                   The figure is the packets forwarded per second over both
#                   ports (sum of the two ports' transmit rates).
#   ring_io_1core   the same on two loopback net_ring ports (what a port sends
#                   it receives), with one burst of 32 frames sent first on
#                   each (mpdp-l2fwd --tx-first 1, testpmd --tx-first), so
#                   that 64 packets circulate: rx 0 -> tx 1 -> rx 1 -> tx 0.
#   xproc_ring      across processes: a primary transmits as fast as it can
#                   into a loopback ring port (mpdp-pktgen; testpmd
#                   --forward-mode=txonly), a secondary on the other core
#                   receives from it and frees (mpdp-mp-worker --mode drop;
#                   testpmd --proc-type=secondary --forward-mode=rxonly). The
#                   figure is the secondary's receive rate. Both processes use
#                   queue 0 of port 0, the primary only its transmit side, the
#                   secondary only its receive side (a DPDK net_ring queue
#                   sends into its own ring; testpmd's --num-procs would give
#                   the two processes different queues, hence different rings).
#                   Frames differ: mpdp-pktgen writes numbered, timestamped,
#                   patterned frames (what its receive checks need), testpmd's
#                   txonly copies a fixed Ethernet/IPv4/UDP template.
#
# Placement, the same for both: every process is pinned with its own lcore
# options. One-core rows: the main lcore on CPU A (it only keeps the clock),
# forwarding on CPU B. Cross-process row: the primary transmits on CPU A, the
# secondary receives on CPU B (DPDK's main lcores, which only sleep and print,
# sit on the other CPU; its lcore ids differ between the two processes, as
# its per-lcore mempool caches require).
#
# Memory: mpdp's default tmpfs heap (4 KiB pages) in a runtime directory under
# /dev/shm; DPDK --no-huge -m 512. A DPDK secondary cannot attach to a
# --no-huge primary, so the DPDK side of xproc_ring needs hugepages: the
# script reserves one 1 GiB page for it (given back at the end) and mounts
# hugetlbfs in a private mount namespace, so that no other program sees a
# mount or a free default-size hugepage meanwhile. DPDK then runs that row on
# a 1 GiB page, mpdp still on 4 KiB pages. Without a 1 GiB page (or with
# --no-hugepages) that DPDK figure is n/a, with the reason, and the issue's
# reference figure is printed for scale.
#
# Measurement: every process prints its rates each second (mpdp -T 1,
# testpmd --stats-period 1: per port, over the last period). The first
# --warmup periods are dropped, the mean of the next --seconds periods is the
# round's figure (testpmd's first display, at t=0, is dropped too). mpdp and
# DPDK alternate within a round, the first of the pair changing every round.
# The row's figure is the median of --rounds rounds. The machine may be
# shared and noisy: compare only the figures of one run.
#
# Output: a config line, one "fwd round" line per row and round, then per row
#   fwd row=<row> mpdp_mpps=<X> dpdk_mpps=<Y|n/a> ratio=<X/Y|n/a> \
#       mpdp_rounds=<a,b,c> dpdk_rounds=<a,b,c|n/a> \
#       [dpdk_mem=no_huge|hugepage_1GiB] [dpdk_reason=<word>] \
#       [dpdk_ref_mpps=<issue's figure>]
# then a human table and the exact commands of the last round. A side that
# failed prints "fail" (its log goes to stderr). Never a pass/fail: the exit
# status is 0 unless the options or the binaries are wrong.
#
# Usage: bench/bench_fwd.sh [--seconds N] [--warmup N] [--rounds N]
#                           [--rows null,ring,xproc] [--cpus A,B] [--no-dpdk]
#                           [--no-hugepages] [--logs DIR]
#   --seconds N     periods of 1 s measured per run (default 5)
#   --warmup N      periods of 1 s dropped first (default 1)
#   --rounds N      runs of each side per row, median reported (default 3)
#   --rows LIST     which rows (default null,ring,xproc)
#   --cpus A,B      A: main lcores / the cross-process primary, B: the
#                   forwarding core / the secondary (default 0,1)
#   --no-dpdk       mpdp rows only
#   --no-hugepages  do not reserve a 1 GiB page: DPDK's xproc_ring is n/a
#   --logs DIR      keep every process's output in DIR (default: removed)
# Environment: MPDP_BUILD  a build directory (its apps/) or a directory with
#                          the mpdp-* tools (default: build-bench, which
#                          bench/run.sh builds in release mode)
#              DPDK_TESTPMD  testpmd to run (default: dpdk-testpmd in PATH)
# Builds nothing. Needs root for DPDK's side (as DPDK does here).

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
me=bench_fwd.sh
args=("$@")

seconds=5
warmup=1
rounds=3
rows_wanted=null,ring,xproc
cpus=0,1
use_dpdk=1
use_huge=1
keep_logs=
ref_xproc=13.2 # issue 4: DPDK 22.11 txonly -> secondary rxonly on net_ring
mbufs=32768    # both pools, both sides
burst=32       # both sides' default

# shellcheck source=bench/bench_lib.sh
. "$root/bench/bench_lib.sh"

bench_opt()
{
	case $1 in
	--rows) rows_wanted=$2 ;;
	--no-dpdk) use_dpdk=0 ;;
	--no-hugepages) use_huge=0 ;;
	esac
}
bench_parse_opts --rows "--no-dpdk --no-hugepages" "$@"
IFS=, read -r -a rows_list <<<"$rows_wanted"
for r in "${rows_list[@]}"; do
	if [[ $r != null && $r != ring && $r != xproc ]]; then
		echo "$me: --rows: unknown row '$r' (null, ring, xproc)" >&2
		exit 2
	fi
done

# Our mounts stay ours: run in a private mount namespace (root only; the
# hugetlbfs mount of the xproc row disappears with it, whatever happens).
if [[ ${BENCH_FWD_NS:-} != 1 ]] && ((EUID == 0)) && command -v unshare >/dev/null 2>&1 &&
	unshare -m --propagation private true 2>/dev/null; then
	BENCH_FWD_NS=1 exec unshare -m --propagation private -- bash "${BASH_SOURCE[0]}" "${args[@]}"
fi

# ---------------------------------------------------------------- binaries

bench_find_bin mpdp-l2fwd mpdp-pktgen mpdp-mp-worker
bench_find_testpmd

# ---------------------------------------------------------------- clean-up

tag=fwd$$
huge_dir=
huge_nr=/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
huge_before=

# what bench_cleanup does besides stopping processes: the hugepage given back
bench_cleanup_more()
{
	if [[ -n $huge_dir ]]; then
		umount "$huge_dir" 2>/dev/null
		rmdir "$huge_dir" 2>/dev/null
	fi
	[[ -n $huge_before ]] && echo "$huge_before" >"$huge_nr" 2>/dev/null
}
bench_setup fwd

# ---------------------------------------------------------------- parsing

# Per-period rates (Mpps, one line per period) from a log, by kind:
#   l2fwd    "stats port=P ... tx_mpps=X", summed over the 2 ports of a period
#   worker   "stats rx=N ... rx_mpps=X" (mpdp-mp-worker)
#   tp-tx2   testpmd "Tx-pps: N", summed over 2 ports per display
#   tp-rx1   testpmd "Rx-pps: N", 1 port per display
rates()
{
	case $1 in
	l2fwd) l2fwd_rates "$2" ;;
	worker)
		awk '/^stats rx=/ { for (i = 1; i <= NF; i++) if ($i ~ /^rx_mpps=/) {
			sub(/^rx_mpps=/, "", $i); print $i } }' "$2"
		;;
	tp-tx2 | tp-rx1)
		local key=Tx-pps: np=2
		[[ $1 == tp-rx1 ]] && key=Rx-pps: np=1
		awk -v key="$key" -v np="$np" '{ for (i = 1; i < NF; i++) if ($i == key) {
			s += $(i + 1); if (++n % np == 0) { printf "%.3f\n", s / 1e6; s = 0 } } }' "$2"
		;;
	esac
}

# Log $2 shows $3 periods of kind $1.
has_periods() { (($(rates "$1" "$2" | wc -l) >= $3)); }

# Wait until log $2 of pid $3 shows $4 periods of kind $1 (or $5 s pass).
wait_periods() { wait_until "$3" "$5" has_periods "$1" "$2" "$4"; }

# Every side below (run in this shell, not in $(...), so that the clean-up
# knows its processes) leaves its figure, in Mpps or "fail", in $res.
res=

# Mean of periods $3+1 .. $3+seconds of kind $1 in log $2.
measure() { rates "$1" "$2" | mean_after "$3"; }

declare -A cmds

# ---------------------------------------------------------------- one-core rows

# One-process forwarding, mpdp: $1 row, $2.. the ports' --vdev options, then
# "--", then extra l2fwd options.
mpdp_fwd()
{
	local row=$1 vdevs=() extra=() pid r
	local log=$logs/$row.mpdp.log
	shift
	while (($# > 0)) && [[ $1 != -- ]]; do
		vdevs+=(--vdev "$1")
		shift
	done
	(($# > 0)) && shift
	extra=("$@")
	local cmd=("$bin/mpdp-l2fwd" --prefix "$tag-$row" --runtime-dir "$rtdir" --no-pci
		--mem 512M -l "$cpu_a,$cpu_b" "${vdevs[@]}" --
		--config "(0,0,$cpu_b),(1,0,$cpu_b)" --mbufs "$mbufs" --burst "$burst"
		"${extra[@]}" -T 1)
	cmds[$row.mpdp]=$(show_cmd "${cmd[@]}")
	start "$log" "${cmd[@]}"
	pid=$started
	if wait_periods l2fwd "$log" "$pid" $((warmup + seconds)) $((warmup + seconds + 30)); then
		r=$(measure l2fwd "$log" "$warmup")
	else
		r=fail
	fi
	stop_pid "$pid"
	forget "$pid"
	[[ $r == fail ]] && side_failed "mpdp $row" "$log"
	res=$r
}

# The same with testpmd io forwarding: $1 row, then its --vdev names, then
# "--", then extra testpmd options.
dpdk_fwd()
{
	local row=$1 vdevs=() extra=() pid r
	local log=$logs/$row.dpdk.log prefix=$tag-$row
	shift
	while (($# > 0)) && [[ $1 != -- ]]; do
		vdevs+=(--vdev "$1")
		shift
	done
	(($# > 0)) && shift
	extra=("$@")
	dpdk_prefixes+=("$prefix")
	local cmd=("$testpmd" --no-huge -m 512 --no-pci --file-prefix "$prefix" "${vdevs[@]}"
		-l "$cpu_a,$cpu_b" --main-lcore "$cpu_a" --
		--forward-mode=io --nb-cores=1 --total-num-mbufs="$mbufs" --burst="$burst"
		"${extra[@]}" --stats-period 1)
	cmds[$row.dpdk]=$(show_cmd "${cmd[@]}")
	start "$log" "${cmd[@]}"
	pid=$started
	# testpmd's first display is at t=0: one more period to drop
	if wait_periods tp-tx2 "$log" "$pid" $((1 + warmup + seconds)) $((warmup + seconds + 30)); then
		r=$(measure tp-tx2 "$log" $((1 + warmup)))
	else
		r=fail
	fi
	stop_pid "$pid"
	forget "$pid"
	rm -rf "/var/run/dpdk/$prefix"
	[[ $r == fail ]] && side_failed "dpdk $row" "$log"
	res=$r
}

mpdp_null() { mpdp_fwd null_io_1core net_null0 net_null1; }
dpdk_null() { dpdk_fwd null_io_1core net_null0 net_null1; }
mpdp_ring() { mpdp_fwd ring_io_1core net_ring0 net_ring1 -- --tx-first 1; }
dpdk_ring() { dpdk_fwd ring_io_1core net_ring0 net_ring1 -- --tx-first; }

# ---------------------------------------------------------------- cross-process row

mpdp_xproc()
{
	local row=xproc_ring plog=$logs/xproc.mpdp.primary.log slog=$logs/xproc.mpdp.secondary.log
	local ppid spid r=fail
	local rt=(--prefix "$tag-xproc" --runtime-dir "$rtdir" --no-pci)
	local pcmd=("$bin/mpdp-pktgen" "${rt[@]}" --proc-type primary --mem 512M -l "$cpu_a"
		--vdev net_ring0 -- --tx-port 0 --mbufs "$mbufs" --burst "$burst" -T 1)
	local scmd=("$bin/mpdp-mp-worker" "${rt[@]}" -l "$cpu_b" --
		--mode drop --rx-port 0 --burst "$burst" -T 1)
	cmds[$row.mpdp]="$(show_cmd "${pcmd[@]}") &"$'\n'"  $(show_cmd "${scmd[@]}")"
	start "$plog" "${pcmd[@]}"
	ppid=$started
	if wait_line "$plog" "$ppid" '^ready ' 30; then
		start "$slog" "${scmd[@]}"
		spid=$started
		if wait_periods worker "$slog" "$spid" $((warmup + seconds)) $((warmup + seconds + 30)); then
			r=$(measure worker "$slog" "$warmup")
		fi
		stop_pid "$spid"
		forget "$spid"
	fi
	stop_pid "$ppid"
	forget "$ppid"
	if [[ $r == fail ]]; then
		side_failed "mpdp $row (primary)" "$plog"
		[[ -f $slog ]] && side_failed "mpdp $row (secondary)" "$slog"
	fi
	res=$r
}

# A private hugetlbfs mount of one 1 GiB page for DPDK's secondary; sets
# $huge_dir, or $xproc_reason. Done once.
xproc_reason=
huge_ready=0
huge_setup()
{
	((huge_ready)) && return 0
	huge_ready=1
	if ((use_huge == 0)); then
		xproc_reason=hugepages_disabled_by_option
	elif [[ ${BENCH_FWD_NS:-} != 1 ]]; then
		xproc_reason=no_private_mount_namespace
	elif [[ ! -w $huge_nr ]]; then
		xproc_reason=no_1GiB_hugepage_support
	else
		huge_before=$(cat "$huge_nr")
		echo $((huge_before + 1)) >"$huge_nr" 2>/dev/null
		if (($(cat "$huge_nr") != huge_before + 1)); then
			echo "$huge_before" >"$huge_nr" 2>/dev/null
			huge_before=
			xproc_reason=cannot_reserve_a_1GiB_hugepage
		else
			huge_dir=$(mktemp -d /tmp/mpdp-bench-fwd-huge.XXXXXX) &&
				mount -t hugetlbfs -o pagesize=1G nodev "$huge_dir" ||
				xproc_reason=cannot_mount_hugetlbfs
		fi
	fi
	[[ -z $xproc_reason ]]
}

dpdk_xproc()
{
	local row=xproc_ring plog=$logs/xproc.dpdk.primary.log slog=$logs/xproc.dpdk.secondary.log
	local ppid spid r=fail prefix=$tag-xproc _
	local norand=()
	command -v setarch >/dev/null 2>&1 && norand=(setarch "$(uname -m)" -R)
	dpdk_prefixes+=("$prefix")
	# lcore ids differ between the processes (per-lcore mempool caches);
	# main lcores sleep, on the other process's CPU
	local pcmd=("${norand[@]}" "$testpmd" -m 512 --huge-dir "$huge_dir" --no-pci
		--file-prefix "$prefix" --proc-type=primary --vdev net_ring0
		--lcores "0@$cpu_b,1@$cpu_a" --
		--forward-mode=txonly --nb-cores=1 --total-num-mbufs="$mbufs" --burst="$burst"
		--txpkts=64 --port-topology=loop --stats-period 1)
	local scmd=("${norand[@]}" "$testpmd" --huge-dir "$huge_dir" --no-pci
		--file-prefix "$prefix" --proc-type=secondary --lcores "2@$cpu_a,3@$cpu_b" --
		--forward-mode=rxonly --nb-cores=1 --burst="$burst" --port-topology=loop
		--stats-period 1)
	cmds[$row.dpdk]="$(show_cmd "${pcmd[@]}") &"$'\n'"  $(show_cmd "${scmd[@]}")"
	start "$plog" "${pcmd[@]}"
	ppid=$started
	if wait_line "$plog" "$ppid" 'Port statistics' 60; then
		# a DPDK secondary may fail to map the primary's memory: one retry
		for _ in 1 2; do
			start "$slog" "${scmd[@]}"
			spid=$started
			if wait_periods tp-rx1 "$slog" "$spid" $((1 + warmup + seconds)) \
				$((warmup + seconds + 30)); then
				r=$(measure tp-rx1 "$slog" $((1 + warmup)))
			fi
			stop_pid "$spid"
			forget "$spid"
			[[ $r != fail ]] && break
		done
	fi
	stop_pid "$ppid"
	forget "$ppid"
	rm -rf "/var/run/dpdk/$prefix"
	if [[ $r == fail ]]; then
		side_failed "dpdk $row (primary)" "$plog"
		[[ -f $slog ]] && side_failed "dpdk $row (secondary)" "$slog"
	fi
	res=$r
}

# ---------------------------------------------------------------- rows

declare -A result
table=()

# $1 row name, $2 mpdp function, $3 dpdk function, $4 "" or why DPDK is n/a,
# $5 the issue's DPDK figure for scale ("" if none), $6 DPDK's memory
row()
{
	local name=$1 mfn=$2 dfn=$3 reason=$4 ref=$5 dmem=$6 k m d ms=() ds=() mm dm ratio line
	for ((k = 1; k <= rounds; k++)); do
		d=n/a
		if [[ -z $reason ]] && ((k % 2 == 0)); then $dfn; d=$res; fi
		$mfn
		m=$res
		if [[ -z $reason ]] && ((k % 2 == 1)); then $dfn; d=$res; fi
		ms+=("$m")
		ds+=("$d")
		echo "fwd round row=$name round=$k mpdp_mpps=$m dpdk_mpps=$d"
	done
	mm=$(echo "${ms[*]}" | median)
	if [[ -n $reason ]]; then
		dm=n/a
	else
		dm=$(echo "${ds[*]}" | median)
	fi
	ratio=$(ratio "$mm" "$dm")
	local mr dr
	mr=$(IFS=,; echo "${ms[*]}")
	dr=$(IFS=,; echo "${ds[*]}")
	[[ -n $reason ]] && dr=n/a
	line="fwd row=$name mpdp_mpps=$mm dpdk_mpps=$dm ratio=$ratio mpdp_rounds=$mr dpdk_rounds=$dr"
	[[ -z $reason ]] && line+=" dpdk_mem=$dmem"
	[[ -n $reason ]] && line+=" dpdk_reason=$reason"
	[[ -n $reason && -n $ref ]] && line+=" dpdk_ref_mpps=$ref"
	result[$name]=$line
	table+=("$name")
	echo "$line"
}

want_row() { [[ ,$rows_wanted, == *",$1,"* ]]; }

echo "fwd config seconds=$seconds warmup=$warmup rounds=$rounds cpus=$cpu_a,$cpu_b" \
	"frame=64 burst=$burst mbufs=$mbufs mpdp=$bin dpdk=${testpmd:-none}" \
	"dpdk_version=$dpdk_version (Mpps, mean of the measured periods, median of rounds)"

if want_row null; then
	row null_io_1core mpdp_null dpdk_null "$dpdk_reason" "" no_huge
fi
if want_row ring; then
	row ring_io_1core mpdp_ring dpdk_ring "$dpdk_reason" "" no_huge
fi
if want_row xproc; then
	reason=$dpdk_reason
	if [[ -z $reason ]] && ! huge_setup; then
		reason=$xproc_reason
	fi
	row xproc_ring mpdp_xproc dpdk_xproc "$reason" "$ref_xproc" hugepage_1GiB
fi

# ---------------------------------------------------------------- human table

echo
printf '%-15s %10s %10s %9s   %s\n' row "mpdp Mpps" "DPDK Mpps" mpdp/DPDK "rounds (mpdp | DPDK)"
for name in "${table[@]}"; do
	line=${result[$name]}
	get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
	note=
	[[ $line == *dpdk_reason=* ]] && note="  DPDK n/a: $(get dpdk_reason)"
	[[ $line == *dpdk_ref_mpps=* ]] && note+=" (issue 4 figure for DPDK: $(get dpdk_ref_mpps))"
	printf '%-15s %10s %10s %9s   %s | %s%s\n' "$name" "$(get mpdp_mpps)" "$(get dpdk_mpps)" \
		"$(get ratio)" "$(get mpdp_rounds)" "$(get dpdk_rounds)" "$note"
done
echo
echo "Null and ring rows: packets forwarded per second over both ports, one forwarding"
echo "core. xproc_ring: packets the secondary received per second. ${seconds} s measured"
echo "after ${warmup} s of warm-up, median of $rounds rounds. mpdp runs on its tmpfs heap"
echo "(4 KiB pages), DPDK with --no-huge, except in xproc_ring where DPDK needs hugepages"
echo "for its secondary (dpdk_mem=hugepage_1GiB: one 1 GiB page)."

echo
echo "commands (last round):"
for name in "${table[@]}"; do
	for side in mpdp dpdk; do
		[[ -n ${cmds[$name.$side]:-} ]] || continue
		echo "# $name, $side"
		echo "  ${cmds[$name.$side]}"
	done
done
exit 0
