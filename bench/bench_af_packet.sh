#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_af_packet.sh - forwarding rate of 64-byte frames between two veth
# pairs through net_af_packet: mpdp-l2fwd against DPDK's testpmd (io
# forwarding on DPDK's own net_af_packet) in the same run, and mpdp-l2fwd
# with mpdp-dumpcap capturing its port 0.
#
#   afp_blast -> SRC == FIN [port 0]  forwarder  [port 1] FOUT == SINK
#
# Two veth pairs in the root namespace, no addresses, IPv6 and offloads off.
# The source is bench/afp_blast.c (built here with cc; the kernel's pktgen is
# not available on this VM, and the source must not depend on the driver
# under test): a packet socket sending prepared 64-byte frames (EtherType
# 0x88B5, without FCS, as mpdp-l2fwd --tx-first and testpmd --txpkts=64) with
# sendmmsg() and PACKET_QDISC_BYPASS into SRC, pinned to CPU A (taskset). The
# forwarder receives them on FIN and sends them out of FOUT; SINK drops them.
#
# Measurement, identical for every side: the kernel's counters. The figure is
# SINK's rx_packets delta over --seconds after --warmup seconds of traffic
# (what the forwarder delivered, out of the egress veth), divided by the
# measured time. Beside it: the offered rate (FIN's rx_packets: what reached
# the forwarder's interface) and the echo rate (SRC's rx_packets: frames sent
# back the wrong way, which should be 0). When a forwarder delivers 97% or
# more of what was offered, the row says source_bound: the source, not the
# forwarder, set the figure.
#
# Placement, the same for both frameworks: forwarding on CPU B, the main lcore
# (which only keeps the clock or sleeps) on CPU A, the source on CPU A. On a
# veth the receive side of a transmit runs on the sending CPU, so the source's
# CPU also delivers the frames into the forwarder's receive ring, and CPU B
# also runs SINK's receive (a drop: no handler for 0x88B5).
#   mpdp: mpdp-l2fwd -l A,B --config (0,0,B),(1,0,B)
#   DPDK: dpdk-testpmd -l A,B --main-lcore A --forward-mode=io --nb-cores=1
# Both ports on both sides: one queue, the same ring geometry (--afp-args,
# default framesz=2048,framecnt=512,qdisc_bypass=0, DPDK's defaults; DPDK
# also gets blocksz=4096, its default). mpdp's heap on tmpfs (4 KiB pages),
# DPDK --no-huge -m 512.
#
# mpdp_dumpcap: the same mpdp-l2fwd with mpdp-dumpcap (a secondary, on CPU A,
# writing to /dev/null) capturing port 0, both directions. The primary copies
# every packet it receives and sends on port 0 into the capture ring, so the
# row shows what capturing costs the forwarder. mpdp-dumpcap also shares CPU A
# with the source: the offered rate shows whether that changed the load.
#
# Rounds: every side once per round, the order rotating. Compare only figures
# of one run.
#
# Each round also records the CPU time the forwarder's process and the source
# got over the window (cpu=fwd=F,src=S, in CPUs: 1.00 when nothing else ran
# on their CPU). The machine may be shared: other load only lowers a round.
# A round is clean when the forwarder got >= 0.9 of its CPU and the source
# >= 0.8; the figure is the median of the clean rounds (of all rounds when
# none was clean, which the clean=0/N field then shows), and the best round
# is printed beside it.
#
# Output: a config line, the source's rate alone, one "afp round" line per
# side and round, then
#   afp row=afp_io mpdp_mpps=X dpdk_mpps=Y ratio=X/Y mpdp_rounds=a,b,c
#       dpdk_rounds=a,b,c mpdp_offered=O dpdk_offered=O mpdp_echo=E
#       dpdk_echo=E mpdp_best=B dpdk_best=B [source_bound=...]
#   afp row=afp_io_dumpcap mpdp_mpps=X nodump_mpps=Y ratio=X/Y ...
# (n/a with a reason for a side that cannot run), a markdown table and the
# exact commands of the last round. Never a pass/fail: exit 0 unless the
# options or the tools are wrong.
#
# Usage: bench/bench_af_packet.sh [--seconds N] [--warmup N] [--rounds N]
#                                 [--cpus A,B] [--afp-args LIST] [--no-dpdk]
#                                 [--no-dumpcap] [--logs DIR]
#   --seconds N      measured seconds per side and round (default 5)
#   --warmup N       seconds of traffic before measuring (default 2)
#   --rounds N       rounds, median reported (default 3)
#   --cpus A,B       A: source and main lcores, B: forwarding (default 0,1)
#   --afp-args LIST  ring arguments for both drivers' ports
#                    (default framesz=2048,framecnt=512,qdisc_bypass=0)
#   --no-dpdk        mpdp sides only
#   --no-dumpcap     no mpdp_dumpcap side
#   --logs DIR       keep every process's output in DIR (default: removed)
# Environment: MPDP_BUILD    a build directory (its apps/) or a directory with
#                            the mpdp-* tools (default: build-bench)
#              DPDK_TESTPMD  testpmd to run (default: dpdk-testpmd in PATH)
#              CC            compiler for afp_blast (default: cc)
# Needs root (veth pairs, packet sockets). Builds afp_blast only.

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
me=bench_af_packet.sh

seconds=5
warmup=2
rounds=3
cpus=0,1
afp_args=framesz=2048,framecnt=512,qdisc_bypass=0
use_dpdk=1
use_dumpcap=1
keep_logs=
ref_dpdk=0.94 # DPDK 22.11 af_packet io forwarding, measured on this kind of VM
mbufs=32768
burst=32

# shellcheck source=bench/bench_lib.sh
. "$root/bench/bench_lib.sh"

bench_opt()
{
	case $1 in
	--afp-args) afp_args=$2 ;;
	--no-dpdk) use_dpdk=0 ;;
	--no-dumpcap) use_dumpcap=0 ;;
	esac
}
bench_parse_opts --afp-args "--no-dpdk --no-dumpcap" "$@"
if ! [[ $afp_args =~ ^[a-z_]+=[0-9a-z]+(,[a-z_]+=[0-9a-z]+)*$ ]]; then
	echo "$me: --afp-args takes KEY=VALUE[,KEY=VALUE...]" >&2
	exit 2
fi
if ((EUID != 0)); then
	echo "afp skipped reason=needs_root (veth pairs, packet sockets)"
	exit 0
fi

# ---------------------------------------------------------------- tools

bench_find_bin mpdp-l2fwd
bench_find_testpmd

# TODO(dumpcap): apps/dumpcap is being written; until mpdp-dumpcap is built
# the mpdp_dumpcap side is n/a (reason dumpcap_not_built). Its command line
# below (-i 0 -w /dev/null) follows the brief; check it against the man page.
dumpcap_reason=
if ((use_dumpcap == 0)); then
	dumpcap_reason=disabled_by_option
elif [[ ! -x $bin/mpdp-dumpcap ]]; then
	dumpcap_reason=dumpcap_not_built
fi

# ---------------------------------------------------------------- clean-up

tag=mpb$$ # veth names: tag-s, -i, -o, -k (at most 15 characters)
v_src=$tag-s
v_fin=$tag-i
v_fout=$tag-o
v_sink=$tag-k
links=()

# what bench_cleanup does besides stopping processes: the veth pairs, the
# source's build
bench_cleanup_more()
{
	local l
	for l in "${links[@]}"; do
		ip link del "$l" 2>/dev/null
	done
	rm -rf "$work"
}
work=$(mktemp -d /tmp/mpdp-bench-afp.XXXXXX) || exit 1
bench_setup afp

# ---------------------------------------------------------------- setup

blast=$work/afp_blast
if ! ${CC:-cc} -O2 -Wall -o "$blast" "$root/bench/afp_blast.c" 2>"$work/cc.log"; then
	echo "$me: cannot build bench/afp_blast.c:" >&2
	cat "$work/cc.log" >&2
	exit 2
fi

# $1 $2: a veth pair, up, IPv6 and offloads off
make_pair()
{
	local x
	ip link add "$1" type veth peer name "$2" || return 1
	links+=("$1")
	for x in "$1" "$2"; do
		echo 1 >"/proc/sys/net/ipv6/conf/$x/disable_ipv6"
		ethtool -K "$x" tx off tso off gso off gro off rx off >/dev/null 2>&1
		ip link set "$x" up || return 1
	done
}
if ! make_pair "$v_src" "$v_fin" || ! make_pair "$v_fout" "$v_sink"; then
	echo "$me: cannot make veth pairs" >&2
	exit 2
fi

cnt() { cat "/sys/class/net/$1/statistics/rx_packets"; }

# ---------------------------------------------------------------- one side

declare -A cmds
res=
offered=
echoed=
capture=
cpu=

# CPU time (clock ticks, user + system) of every thread of process $1.
ticks()
{
	cat /proc/"$1"/task/*/stat 2>/dev/null | awk '{ sub(/.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}
hz=$(getconf CLK_TCK)

# Run the source against a ready forwarder (pid $1, log $2) and measure;
# sets res, offered, echoed (Mpps) or res=fail, and cpu: the CPUs' worth of
# time the forwarder and the source got over the window (1.00 each when
# nothing else ran on their CPUs; less means the round was disturbed).
measure()
{
	local fpid=$1 flog=$2 bpid t0 t1 k0 k1 i0 i1 s0 s1 f0 f1 b0 b1
	local bcmd=(taskset -c "$cpu_a" "$blast" "$v_src" --seconds $((warmup + seconds + 2))
		--qdisc-bypass)
	cmds[source]=$(show_cmd "${bcmd[@]}")
	start "$logs/blast.log" "${bcmd[@]}"
	bpid=$started
	sleep "$warmup"
	read -r t0 k0 i0 s0 f0 b0 <<<"$EPOCHREALTIME $(cnt "$v_sink") $(cnt "$v_fin") $(cnt "$v_src") $(ticks "$fpid") $(ticks "$bpid")"
	sleep "$seconds"
	read -r t1 k1 i1 s1 f1 b1 <<<"$EPOCHREALTIME $(cnt "$v_sink") $(cnt "$v_fin") $(cnt "$v_src") $(ticks "$fpid") $(ticks "$bpid")"
	stop_pid "$bpid"
	forget "$bpid"
	if ! alive "$fpid"; then
		side_failed forwarder "$flog"
		res=fail offered=- echoed=- cpu=-
		return
	fi
	read -r res offered echoed cpu < <(awk -v t="$t1" -v u="$t0" -v k=$((k1 - k0)) -v i=$((i1 - i0)) \
		-v s=$((s1 - s0)) -v f=$((f1 - f0)) -v b=$((b1 - b0)) -v hz="$hz" 'BEGIN { d = t - u;
		printf "%.3f %.3f %.3f fwd=%.2f,src=%.2f\n", k / d / 1e6, i / d / 1e6, s / d / 1e6,
			f / hz / d, b / hz / d }')
}

mpdp_cmd()
{
	local prefix=$1
	mcmd=("$bin/mpdp-l2fwd" --prefix "$prefix" --runtime-dir "$rtdir" --no-pci --no-huge
		--mem 256M -l "$cpu_a,$cpu_b"
		--vdev "net_af_packet0,iface=$v_fin,$afp_args"
		--vdev "net_af_packet1,iface=$v_fout,$afp_args" --
		--config "(0,0,$cpu_b),(1,0,$cpu_b)" --mbufs "$mbufs" --burst "$burst")
}

# One forwarder: start command $4.., wait (up to $3 s) for a line of its log
# $1 matching $2, measure, stop it. It failed to start: res=fail.
run_side()
{
	local log=$1 re=$2 limit=$3 pid
	shift 3
	start "$log" "$@"
	pid=$started
	if wait_line "$log" "$pid" "$re" "$limit"; then
		measure "$pid" "$log"
	else
		side_failed "${1##*/}" "$log"
		res=fail offered=- echoed=-
	fi
	stop_pid "$pid"
	forget "$pid"
}

side_mpdp()
{
	mpdp_cmd "$tag-m"
	cmds[mpdp]=$(show_cmd "${mcmd[@]}")
	run_side "$logs/mpdp.log" '^ready ' 30 "${mcmd[@]}"
}

side_dumpcap()
{
	local pid dpid log=$logs/mpdp-dump.log dlog=$logs/dumpcap.log
	mpdp_cmd "$tag-d"
	cmds[mpdp_dumpcap]=$(show_cmd "${mcmd[@]}")
	local dcmd=("$bin/mpdp-dumpcap" --prefix "$tag-d" --runtime-dir "$rtdir" -l "$cpu_a" --
		-i 0 -w /dev/null)
	cmds[dumpcap]=$(show_cmd "${dcmd[@]}")
	res=fail offered=- echoed=- capture=-
	start "$log" "${mcmd[@]}"
	pid=$started
	if wait_line "$log" "$pid" '^ready ' 30; then
		start "$dlog" "${dcmd[@]}"
		dpid=$started
		if wait_line "$dlog" "$dpid" 'capturing on port' 15; then
			measure "$pid" "$log"
			alive "$dpid" || { side_failed mpdp-dumpcap "$dlog"; res=fail; }
		else
			side_failed mpdp-dumpcap "$dlog"
		fi
		stop_pid "$dpid"
		forget "$dpid"
		# "port 0 (NAME): N packets captured, N written, N dropped, N filtered"
		capture=$(sed -n 's/.*: \([0-9]*\) packets captured, \([0-9]*\) written, \([0-9]*\) dropped.*/captured=\1,written=\2,dropped=\3/p' "$dlog" | tail -n 1)
		[[ -z $capture ]] && capture=-
	else
		side_failed "mpdp-l2fwd (dumpcap side)" "$log"
	fi
	stop_pid "$pid"
	forget "$pid"
}

side_dpdk()
{
	local prefix=$tag-p
	dpdk_prefixes+=("$prefix")
	local cmd=("$testpmd" --no-huge -m 512 --no-pci --file-prefix "$prefix"
		--vdev "net_af_packet0,iface=$v_fin,qpairs=1,blocksz=4096,$afp_args"
		--vdev "net_af_packet1,iface=$v_fout,qpairs=1,blocksz=4096,$afp_args"
		-l "$cpu_a,$cpu_b" --main-lcore "$cpu_a" --
		--forward-mode=io --nb-cores=1 --total-num-mbufs="$mbufs" --burst="$burst"
		--stats-period 1)
	cmds[dpdk]=$(show_cmd "${cmd[@]}")
	run_side "$logs/dpdk.log" 'Port statistics' 60 "${cmd[@]}"
	rm -rf "/var/run/dpdk/$prefix"
}

# ---------------------------------------------------------------- rounds

sides=(mpdp)
[[ -z $dpdk_reason ]] && sides+=(dpdk)
[[ -z $dumpcap_reason ]] && sides+=(dumpcap)
declare -A got off echo_ clean coff nclean
for s in mpdp dpdk dumpcap; do got[$s]='' off[$s]='' echo_[$s]='' clean[$s]='' coff[$s]='' nclean[$s]=0; done

# A round is clean when the forwarder got 0.9 of its CPU and the source 0.8
# of its own (softirq time, which the source's CPU spends delivering frames,
# is not always charged to the source).
is_clean()
{
	[[ $1 =~ ^fwd=([0-9.]+),src=([0-9.]+)$ ]] &&
		awk -v f="${BASH_REMATCH[1]}" -v s="${BASH_REMATCH[2]}" 'BEGIN { exit !(f >= 0.9 && s >= 0.8) }'
}

echo "afp config seconds=$seconds warmup=$warmup rounds=$rounds cpus=$cpu_a,$cpu_b frame=64" \
	"burst=$burst mbufs=$mbufs afp_args=$afp_args mpdp=$bin dpdk=${testpmd:-none}" \
	"dpdk_version=$dpdk_version (Mpps out of the egress veth, median of rounds)"

# The source alone, nothing listening on FIN: what one CPU can offer when it
# does not also deliver into a forwarder's ring.
measure_alone()
{
	local bpid t0 t1 i0 i1
	start "$logs/blast-alone.log" taskset -c "$cpu_a" "$blast" "$v_src" \
		--seconds $((warmup + seconds + 2)) --qdisc-bypass
	bpid=$started
	sleep "$warmup"
	read -r t0 i0 <<<"$EPOCHREALTIME $(cnt "$v_fin")"
	sleep "$seconds"
	read -r t1 i1 <<<"$EPOCHREALTIME $(cnt "$v_fin")"
	stop_pid "$bpid"
	forget "$bpid"
	awk -v t="$t1" -v u="$t0" -v i=$((i1 - i0)) 'BEGIN { printf "%.3f\n", i / (t - u) / 1e6 }'
}
alone=$(measure_alone)
echo "afp source alone_mpps=$alone (into FIN with no forwarder listening)"

n=${#sides[@]}
for ((k = 1; k <= rounds; k++)); do
	for ((j = 0; j < n; j++)); do
		s=${sides[$(((j + k - 1) % n))]}
		capture='' cpu=-
		"side_$s"
		got[$s]+=" $res"
		if [[ $res != fail ]] && is_clean "$cpu"; then
			clean[$s]+=" $res"
			coff[$s]+=" $offered"
			nclean[$s]=$((nclean[$s] + 1))
		fi
		off[$s]+=" $offered"
		echo_[$s]+=" $echoed"
		echo "afp round round=$k side=$s fwd_mpps=$res offered_mpps=$offered" \
			"echo_mpps=$echoed cpu=$cpu${capture:+ capture=$capture}"
	done
done

# ---------------------------------------------------------------- results

bound()
{
	[[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && awk -v f="$1" -v o="$2" 'BEGIN { exit !(o > 0 && f >= 0.97 * o) }'
}
csv() { local x; x=$(echo $1); echo "${x// /,}"; }
best() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | tail -n 1 | grep . || echo fail; }

# the figure: the median of the clean rounds, or of all when none was clean
# (the offered rate likewise, over the same rounds)
figure() { if ((nclean[$1] > 0)); then echo "${clean[$1]}" | median 3; else echo "${got[$1]}" | median 3; fi; }
offer() { if ((nclean[$1] > 0)); then echo "${coff[$1]}" | median 3; else echo "${off[$1]}" | median 3; fi; }
m=$(figure mpdp)
mo=$(offer mpdp)
me_=$(echo "${echo_[mpdp]}" | median 3)
if [[ -z $dpdk_reason ]]; then
	d=$(figure dpdk)
	do_=$(offer dpdk)
	de=$(echo "${echo_[dpdk]}" | median 3)
else
	d=n/a do_=n/a de=n/a
fi
sb=
bound "$m" "$mo" && sb+="${sb:+,}mpdp"
bound "$d" "$do_" && sb+="${sb:+,}dpdk"
line="afp row=afp_io mpdp_mpps=$m dpdk_mpps=$d ratio=$(ratio "$m" "$d") mpdp_rounds=$(csv "${got[mpdp]}")"
line+=" dpdk_rounds=$(csv "${got[dpdk]:-n/a}") mpdp_offered=$mo dpdk_offered=$do_"
line+=" mpdp_echo=$me_ dpdk_echo=$de mpdp_best=$(echo "${got[mpdp]}" | best)"
[[ -z $dpdk_reason ]] && line+=" dpdk_best=$(echo "${got[dpdk]}" | best)"
line+=" mpdp_clean=${nclean[mpdp]}/$rounds"
[[ -z $dpdk_reason ]] && line+=" dpdk_clean=${nclean[dpdk]}/$rounds"
[[ -n $sb ]] && line+=" source_bound=$sb"
[[ -n $dpdk_reason ]] && line+=" dpdk_reason=$dpdk_reason dpdk_ref_mpps=$ref_dpdk"
echo "$line"
if [[ -z $dumpcap_reason ]]; then
	c=$(figure dumpcap)
	co=$(offer dumpcap)
	line="afp row=afp_io_dumpcap mpdp_mpps=$c nodump_mpps=$m ratio=$(ratio "$c" "$m")"
	line+=" rounds=$(csv "${got[dumpcap]}") offered=$co best=$(echo "${got[dumpcap]}" | best)"
	line+=" clean=${nclean[dumpcap]}/$rounds"
	bound "$c" "$co" && line+=" source_bound=mpdp"
else
	c=n/a co=n/a
	line="afp row=afp_io_dumpcap mpdp_mpps=n/a nodump_mpps=$m reason=$dumpcap_reason"
fi
echo "$line"

echo
echo "| row | mpdp Mpps | DPDK Mpps | mpdp/DPDK | clean rounds (mpdp / DPDK) | best round (mpdp / DPDK) | offered Mpps (mpdp / DPDK) | rounds (mpdp / DPDK) |"
echo "|---|---:|---:|---:|---|---|---|---|"
dcol=$d
[[ -n $dpdk_reason ]] && dcol="n/a ($dpdk_reason; reference $ref_dpdk)"
echo "| af_packet io, 1 core | $m | $dcol | $(ratio "$m" "$d") |" \
	"${nclean[mpdp]}/$rounds / $([[ -z $dpdk_reason ]] && echo "${nclean[dpdk]}/$rounds" || echo n/a) |" \
	"$(echo "${got[mpdp]}" | best) / $([[ -z $dpdk_reason ]] && echo "${got[dpdk]}" | best || echo n/a) | $mo / $do_ |" \
	"$(csv "${got[mpdp]}") / $(csv "${got[dpdk]:-n/a}") |"
if [[ -z $dumpcap_reason ]]; then
	echo "| same, mpdp-dumpcap on port 0 | $c | - | $(ratio "$c" "$m") of mpdp without |" \
		"${nclean[dumpcap]}/$rounds / - |" \
		"$(echo "${got[dumpcap]}" | best) / - | $co / - | $(csv "${got[dumpcap]}") / - |"
else
	echo "| same, mpdp-dumpcap on port 0 | n/a ($dumpcap_reason) | - | - | - | - | - | - |"
fi
echo
echo "Mpps of 64-byte frames out of the egress veth (its peer's rx_packets), ${seconds} s after"
echo "${warmup} s of traffic; offered: what reached the ingress veth. The figure is the median"
echo "of the clean rounds (the forwarder got >= 0.9 of its CPU and the source >= 0.8 of its"
echo "own: cpu= in the round lines), or of all $rounds rounds when none was clean. Other load"
echo "on the CPUs only lowers a round; best is the highest round."
echo "The source alone (no forwarder listening) offers $alone Mpps; with a forwarder its CPU"
echo "also delivers every frame into the forwarder's receive ring."
[[ -n $sb ]] && echo "source_bound ($sb): the forwarder delivered >= 97% of the offered load;" \
	"the figure is a lower bound of what it can do."
echo
echo "commands (last round):"
for s in source mpdp dpdk mpdp_dumpcap dumpcap; do
	[[ -n ${cmds[$s]:-} ]] || continue
	echo "# $s"
	echo "  ${cmds[$s]}"
done
exit 0
