#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_dumpcap.sh - what a capture costs the forwarder: mpdp-l2fwd's
# forwarding rate without and with mpdp-dumpcap attached, and how much of
# the traffic the capture kept.
#
# Set-up: mpdp-l2fwd, the primary, forwards between two loopback net_ring
# ports with --tx-first 1 (64 frames of 64 bytes circulate as fast as the
# forwarding core goes: rx 0 -> tx 1 -> rx 1 -> tx 0), main lcore on CPU A,
# forwarding on CPU B. mpdp-dumpcap, a secondary, runs on CPU A. Within one
# round, one l2fwd runs through these rows in turn:
#
#   none         no capture
#   rxtx_null    mpdp-dumpcap -i 0 -w /dev/null: both directions of port 0
#                (2 copies per packet that passes port 0)
#   rx_filter    mpdp-dumpcap -i 0 -Q in -w /dev/null udp: one direction, a
#                filter that matches nothing (copies and ring, no writes)
#   after        no capture again: the cost must be gone with the tool
#
# At this rate the tool cannot keep up (it writes some 10 Mpps): the ring is
# full most of the time and the forwarder only counts the drops. The faster
# the tool reads, the more copies the forwarder makes, so the slower it
# forwards.
#
# Paced rows (--paced RATES): is the capture complete at a given rate? A
# second l2fwd forwards ring ports 0 <-> 1 (ports 2 and 3 are their peers);
# mpdp-pktgen, a secondary on CPU A (--idle-us 10: it yields the CPU between
# its bursts), sends --seconds worth of frames at RATE frames per second on
# port 2 and receives them on port 3, while mpdp-dumpcap -i 0 (CPU A too)
# captures port 0 (each frame once, inbound) into a pcapng file on tmpfs
# (/dev/shm; some 110 bytes per frame, removed after the row). Each rate
# runs twice: the tool at normal priority, then (root, chrt installed) with
# SCHED_FIFO priority 1 (chrt -f 1), which shows whether its drops come from
# sharing CPU A with pktgen (the ring holds 4095 copies: 4 ms at 1 Mpps).
# Reported: what pktgen sent and lost, what the capture queued, wrote and
# dropped; complete means written = sent.
#
# Measurement: l2fwd prints its per-port rates every second (-T 1); a row's
# figure is the mean, over --seconds periods after --warmup dropped ones, of
# the forwarded packets per second (both ports' transmit rates summed). The
# capture's own counters come from mpdp-dumpcap's summary line (captured =
# copies queued for it, written, dropped = lost because its ring or pool was
# full, filtered). The median of --rounds rounds is reported. The machine
# may be shared and noisy: compare only the figures of one run.
#
# Output: a config line, one "dumpcap round" line per row and round, then per
# row "dumpcap row=<row> mpps=<X> ratio=<X/none> captured=<N> written=<N>
# dropped=<N> filtered=<N> rounds=<a,b,c>" (counts of the last round), then a
# markdown table and the commands. Never a pass/fail: the exit status is 0
# unless the options or the binaries are wrong.
#
# Usage: bench/bench_dumpcap.sh [--seconds N] [--warmup N] [--rounds N]
#                               [--cpus A,B] [--paced RATES] [--logs DIR]
#   --seconds N     periods of 1 s measured per row (default 5)
#   --warmup N      periods of 1 s dropped first (default 1)
#   --rounds N      rounds, median reported (default 3)
#   --cpus A,B      A: main lcore and dumpcap, B: the forwarding core
#                   (default 0,1)
#   --paced RATES   comma-separated frame rates of the paced rows (default
#                   100000,1000000,3000000; "none": no paced rows)
#   --logs DIR      keep every process's output in DIR (default: removed)
# Environment: MPDP_BUILD  a build directory (its apps/) or a directory with
#                          the mpdp-* tools (default: build-bench, which
#                          bench/run.sh builds in release mode)
# Builds nothing.

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
me=bench_dumpcap.sh

seconds=5
warmup=1
rounds=3
cpus=0,1
keep_logs=
paced=100000,1000000,3000000

# shellcheck source=bench/bench_lib.sh
. "$root/bench/bench_lib.sh"

bench_opt() { [[ $1 == --paced ]] && paced=$2; }
bench_parse_opts --paced "" "$@"
paced_list=()
if [[ $paced != none ]]; then
	IFS=, read -r -a paced_list <<<"$paced"
	for r in "${paced_list[@]}"; do
		if ! [[ $r =~ ^[1-9][0-9]*$ ]]; then
			echo "$me: --paced takes frame rates such as 100000,1000000 (or none)" >&2
			exit 2
		fi
	done
fi

bench_find_bin mpdp-l2fwd mpdp-dumpcap mpdp-pktgen

# ---------------------------------------------------------------- clean-up

tag=dcap$$
bench_setup dumpcap
capfile=$rtdir/capture.pcapng

nperiods() { l2fwd_rates "$1" | wc -l; }
has_periods() { (($(nperiods "$1") >= $2)); }

# Wait until log $1 of pid $2 shows $3 periods (at most $4 s).
wait_periods() { wait_until "$2" "$4" has_periods "$1" "$3"; }

# Mean of periods $2+1 .. $2+seconds of log $1.
mean_from() { l2fwd_rates "$1" | mean_after "$2"; }

# "captured written dropped filtered" from a dumpcap log, or "- - - -".
dc_counts()
{
	sed -n 's/.*): \([0-9]*\) packets captured, \([0-9]*\) written, \([0-9]*\) dropped, \([0-9]*\) filtered.*/\1 \2 \3 \4/p' \
		"$1" | tail -n 1 | grep . || echo "- - - -"
}

rows=(none rxtx_null rx_filter after)
declare -A dc_args=(
	[rxtx_null]="-i 0 -w /dev/null"
	[rx_filter]="-i 0 -Q in -w /dev/null udp"
)
declare -A figs counts cmds

rt=(--prefix "$tag" --runtime-dir "$rtdir" --no-pci)
l2cmd=("$bin/mpdp-l2fwd" "${rt[@]}" --mem 512M -l "$cpu_a,$cpu_b" --vdev net_ring0
	--vdev net_ring1 -- --config "(0,0,$cpu_b),(1,0,$cpu_b)" --tx-first 1 -T 1)
cmds[l2fwd]=$(show_cmd "${l2cmd[@]}")

# One round: one l2fwd, the rows in turn. Leaves "row=figure" pairs in $res.
round()
{
	local k=$1
	local l2log=$logs/l2fwd.$k.log l2pid row p0 r dlog dpid c cc cw cd cf
	res=()
	start "$l2log" "${l2cmd[@]}"
	l2pid=$started
	if ! wait_line "$l2log" "$l2pid" '^ready ' 30; then
		side_failed mpdp-l2fwd "$l2log"
		stop_pid "$l2pid"
		forget "$l2pid"
		return 1
	fi
	for row in "${rows[@]}"; do
		dpid=
		dlog=$logs/dumpcap.$row.$k.log
		if [[ -n ${dc_args[$row]:-} ]]; then
			# shellcheck disable=SC2206 # the arguments are words
			local dcmd=("$bin/mpdp-dumpcap" "${rt[@]}" -l "$cpu_a" -- ${dc_args[$row]})
			cmds[$row]=$(show_cmd "${dcmd[@]}")
			start "$dlog" "${dcmd[@]}"
			dpid=$started
			if ! wait_line "$dlog" "$dpid" 'capturing on' 10; then
				echo "$me: $row: mpdp-dumpcap did not start; its log:" >&2
				tail -n 5 "$dlog" | sed 's/^/    /' >&2
			fi
		fi
		p0=$(nperiods "$l2log")
		if wait_periods "$l2log" "$l2pid" $((p0 + warmup + seconds)) \
			$((warmup + seconds + 30)); then
			r=$(mean_from "$l2log" $((p0 + warmup)))
		else
			r=fail
		fi
		c="- - - -"
		if [[ -n $dpid ]]; then
			stop_pid "$dpid"
			forget "$dpid"
			c=$(dc_counts "$dlog")
			rm -f "$capfile"
		fi
		counts[$row]=$c
		res+=("$row=$r")
		read -r cc cw cd cf <<<"$c"
		echo "dumpcap round row=$row round=$k mpps=$r captured=$cc written=$cw dropped=$cd filtered=$cf"
	done
	stop_pid "$l2pid"
	forget "$l2pid"
}

echo "dumpcap config seconds=$seconds warmup=$warmup rounds=$rounds cpus=$cpu_a,$cpu_b" \
	"frame=64 tx_first=1 mpdp=$bin (Mpps forwarded over both ports, mean of periods, median of rounds)"

declare -A per_row
for ((k = 1; k <= rounds; k++)); do
	round "$k" || continue
	for pair in "${res[@]}"; do
		per_row[${pair%%=*}]+="${pair#*=} "
	done
done


# ---------------------------------------------------------------- paced rows

# One paced row at rate $1, dumpcap priority $2 (normal or fifo): leaves
# "sent lost captured written dropped" in $pres.
paced_row()
{
	local rate=$1 prio=$2 l2log=$logs/paced.l2fwd.$1.$2.log glog=$logs/paced.pktgen.$1.$2.log
	local dlog=$logs/paced.dumpcap.$1.$2.log l2pid gpid dpid line cc cw cd
	local prt=(--prefix "$tag-p$rate$prio" --runtime-dir "$rtdir" --no-pci)
	local pre=()
	[[ $prio == fifo ]] && pre=(chrt -f 1)
	local l2=("$bin/mpdp-l2fwd" "${prt[@]}" --mem 512M -l "$cpu_a,$cpu_b" --vdev net_ring0
		--vdev net_ring1 --vdev net_ring2,peer=net_ring0 --vdev net_ring3,peer=net_ring1 --
		-p 0x3 --config "(0,0,$cpu_b),(1,0,$cpu_b)" -T 1)
	local dc=("${pre[@]}" "$bin/mpdp-dumpcap" "${prt[@]}" -l "$cpu_a" -- -i 0 -w "$capfile")
	local pg=("$bin/mpdp-pktgen" "${prt[@]}" -l "$cpu_a" -- --tx-port 2 --rx-port 3
		--rate "$rate" --duration "$seconds" --mbufs 16384 --drain-ms 2000 --idle-us 10)
	cmds[paced.l2fwd]=$(show_cmd "${l2[@]}")
	cmds[paced.dumpcap.$prio]=$(show_cmd "${dc[@]}")
	cmds[paced.pktgen]=$(show_cmd "${pg[@]}")
	pres="fail fail - - -"
	start "$l2log" "${l2[@]}"
	l2pid=$started
	if wait_line "$l2log" "$l2pid" '^ready ' 30; then
		start "$dlog" "${dc[@]}"
		dpid=$started
		if wait_line "$dlog" "$dpid" 'capturing on' 10; then
			start "$glog" "${pg[@]}"
			gpid=$started
			wait_line "$glog" "$gpid" '^pktgen ' $((seconds + 60))
			stop_pid "$gpid"
			forget "$gpid"
			sleep 0.5 # the last copies reach the tool
		fi
		stop_pid "$dpid"
		forget "$dpid"
		rm -f "$capfile"
		line=$(grep -a '^pktgen ' "$glog" | tail -n 1)
		read -r cc cw cd _ <<<"$(dc_counts "$dlog")"
		if [[ -n $line ]]; then
			pres="$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$line")"
			pres+=" $(sed -n 's/.* lost=\([0-9]*\).*/\1/p' <<<"$line") $cc $cw $cd"
		fi
	fi
	stop_pid "$l2pid"
	forget "$l2pid"
}

prios=(normal)
if ((EUID == 0)) && command -v chrt >/dev/null 2>&1 && chrt -f 1 true 2>/dev/null; then
	prios+=(fifo)
fi
declare -A paced_res
for rate in "${paced_list[@]}"; do
	for prio in "${prios[@]}"; do
		paced_row "$rate" "$prio"
		paced_res[$rate.$prio]=$pres
		read -r ps pl cc cw cd <<<"$pres"
		echo "dumpcap paced rate=$rate prio=$prio sent=$ps lost=$pl captured=$cc" \
			"written=$cw dropped=$cd"
	done
done

base=
echo
for row in "${rows[@]}"; do
	m=$(echo "${per_row[$row]:-}" | median)
	figs[$row]=$m
	[[ $row == none ]] && base=$m
	ratio=$(ratio "$m" "$base")
	read -r cc cw cd cf <<<"${counts[$row]:-- - - -}"
	rr=$(echo "${per_row[$row]:-}" | xargs | tr ' ' ',')
	echo "dumpcap row=$row mpps=$m ratio=$ratio captured=$cc written=$cw dropped=$cd" \
		"filtered=$cf rounds=${rr:-fail}"
	figs[$row.line]="| $row | $m | $ratio | $cc | $cw | $cd | $cf |"
done

echo
echo "| row | l2fwd Mpps | vs none | captured | written | dropped | filtered |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
	echo "${figs[$row.line]}"
done
if ((${#paced_list[@]} > 0)); then
	echo
	echo "| paced rate (pps) | dumpcap priority | pktgen sent | lost | captured | written | dropped | complete |"
	echo "|---:|---|---:|---:|---:|---:|---:|:---:|"
	for rate in "${paced_list[@]}"; do
		for prio in "${prios[@]}"; do
			read -r ps pl cc cw cd <<<"${paced_res[$rate.$prio]}"
			ok=no
			[[ $ps =~ ^[0-9]+$ && $cw == "$ps" && $cd == 0 ]] && ok=yes
			echo "| $rate | $prio | $ps | $pl | $cc | $cw | $cd | $ok |"
		done
	done
fi
echo
echo "Mpps: packets l2fwd forwarded per second over both ports (64-byte frames, one core)."
echo "captured/written/dropped/filtered: mpdp-dumpcap's summary of the last round (whole run"
echo "of the tool, warm-up included). ${seconds} s measured after ${warmup} s, median of $rounds rounds."
echo
echo "commands (last round):"
echo "  ${cmds[l2fwd]}"
for row in "${rows[@]}"; do
	[[ -n ${cmds[$row]:-} ]] && echo "  $row: ${cmds[$row]}"
done
if ((${#paced_list[@]} > 0)); then
	echo "  paced: ${cmds[paced.l2fwd]:-}"
	for prio in "${prios[@]}"; do
		echo "         ${cmds[paced.dumpcap.$prio]:-}"
	done
	echo "         ${cmds[paced.pktgen]:-}"
fi
exit 0
