#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_af_packet.sh - forwarding rate of 64-byte frames between two veth
# pairs through net_af_packet: mpdp-l2fwd against DPDK's testpmd (io
# forwarding on DPDK's own net_af_packet) in the same run, and mpdp-l2fwd
# with mpdp-dumpcap capturing its port 0. Two modes: backlog drain
# (forwarder-limited, the headline) and offered load (source-limited).
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
# Backlog drain (the headline row; --no-drain skips it): the offered-load
# figure below is set by the source, not the forwarder (on a veth the kernel
# delivers into the forwarder's receive ring in softirq on the sender's CPU,
# so the source's CPU cannot offer more than about 0.56 Mpps with a forwarder
# listening, and both forwarders keep up with it). Here the forwarder works
# off a backlog instead. Every veth's MTU is lowered to --drain-mtu (128) so
# that 64-byte frames fit small ring frames, and both forwarders get the same
# big rings (--drain-args, default framesz=256,blocksz=4096,framecnt=65536,
# qdisc_bypass=0: 16 MiB a ring), CPUs and mbufs. One cycle: once the
# forwarder is ready, SIGSTOP it (all its threads stopped), let afp_blast
# send 4 x framecnt frames into SRC (the kernel fills FIN's receive ring and
# drops the rest), then afp_blast --drain-watch sends SIGCONT and polls
# SINK's rx_packets every 100 us until it has not grown for 20 ms; the cycle's
# rate is the frames that came out of SINK over the time from SIGCONT to the
# poll that saw the last increase. The number of frames that came out shows
# that the ring was full (framecnt of them) and that the transmit side lost
# none (both drivers drop on a full tx ring; the forwarded count is what
# matters). Per side and round: one forwarder start, a warm-up cycle (not
# counted), then --cycles cycles; the round's figure is their median, the
# row's the median of the rounds. Rounds alternate mpdp / DPDK. What the
# figure covers is the whole forwarding CPU: the forwarder's rx and tx work,
# the kernel's transmit through FOUT and SINK's receive (a drop), which runs
# on the forwarding CPU. Single cycles scatter (about 0.5..0.8 Mpps on this
# VM, for both forwarders alike): use enough rounds.
#
# Offered load: the measurement, identical for every side, is the kernel's
# counters. The figure is
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
# Output: the command, a config line, one "afp drain" line per side and round
# (cycles=: every cycle's Mpps, forwarded=: the fewest frames forwarded in a
# cycle out of framecnt), the source's rate alone, one "afp round" line per
# side and round, then
#   afp row=afp_drain mpdp_mpps=X dpdk_mpps=Y ratio=X/Y mpdp_rounds=a,b,c
#       dpdk_rounds=a,b,c mpdp_forwarded=N/F dpdk_forwarded=N/F
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
#                                 [--no-dumpcap] [--logs DIR] [--no-drain]
#                                 [--drain-args LIST] [--drain-mtu N]
#                                 [--cycles N]
#   --seconds N      measured seconds per side and round (default 5)
#   --warmup N       seconds of traffic before measuring (default 2)
#   --rounds N       rounds, median reported (default 3)
#   --cpus A,B       A: source and main lcores, B: forwarding (default 0,1)
#   --afp-args LIST  ring arguments for both drivers' ports
#                    (default framesz=2048,framecnt=512,qdisc_bypass=0)
#   --no-dpdk        mpdp sides only
#   --no-dumpcap     no mpdp_dumpcap side
#   --logs DIR       keep every process's output in DIR (default: removed)
#   --no-drain       no backlog-drain rows
#   --drain-args LIST ring arguments for both drivers' ports in drain mode
#                    (default framesz=256,blocksz=4096,framecnt=65536,
#                    qdisc_bypass=0; framecnt= is required)
#   --drain-mtu N    the veths' MTU in drain mode (default 128)
#   --cycles N       drain cycles per side and round (default 9)
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
use_drain=1
drain_args=framesz=256,blocksz=4096,framecnt=65536,qdisc_bypass=0
drain_mtu=128
cycles=9

# shellcheck source=bench/bench_lib.sh
. "$root/bench/bench_lib.sh"
the_cmd=$(show_cmd bash "$0" "$@")
[[ -n ${MPDP_BUILD:-} ]] && the_cmd="MPDP_BUILD=$(show_cmd "$MPDP_BUILD") $the_cmd"

bench_opt()
{
	case $1 in
	--afp-args) afp_args=$2 ;;
	--no-dpdk) use_dpdk=0 ;;
	--no-dumpcap) use_dumpcap=0 ;;
	--no-drain) use_drain=0 ;;
	--drain-args) drain_args=$2 ;;
	--drain-mtu) drain_mtu=$2 ;;
	--cycles) cycles=$2 ;;
	esac
}
bench_parse_opts "--afp-args --drain-args --drain-mtu --cycles" "--no-dpdk --no-dumpcap --no-drain" "$@"
if ! [[ $drain_args =~ ^[a-z_]+=[0-9a-z]+(,[a-z_]+=[0-9a-z]+)*$ && $drain_args =~ (^|,)framecnt=([1-9][0-9]*)(,|$) ]]; then
	echo "$me: --drain-args takes KEY=VALUE[,KEY=VALUE...] with framecnt=N" >&2
	exit 2
fi
drain_frames=${BASH_REMATCH[2]}
if ! [[ $cycles =~ ^[1-9][0-9]*$ && $drain_mtu =~ ^[1-9][0-9]*$ ]]; then
	echo "$me: --cycles and --drain-mtu take an integer >= 1" >&2
	exit 2
fi
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

# mpdp-l2fwd's command in mcmd: prefix $1, ring arguments $2 (default --afp-args)
mpdp_cmd()
{
	local prefix=$1 ra=${2:-$afp_args}
	mcmd=("$bin/mpdp-l2fwd" --prefix "$prefix" --runtime-dir "$rtdir" --no-pci --no-huge
		--mem 256M -l "$cpu_a,$cpu_b"
		--vdev "net_af_packet0,iface=$v_fin,$ra"
		--vdev "net_af_packet1,iface=$v_fout,$ra" --
		--config "(0,0,$cpu_b),(1,0,$cpu_b)" --mbufs "$mbufs" --burst "$burst")
}

# One forwarder: start command $4.., wait (up to $3 s) for a line of its log
# $1 matching $2, measure ($measure_fn, default measure), stop it. It failed
# to start: res=fail.
measure_fn=measure
run_side()
{
	local log=$1 re=$2 limit=$3 pid
	shift 3
	start "$log" "$@"
	pid=$started
	if wait_line "$log" "$pid" "$re" "$limit"; then
		"$measure_fn" "$pid" "$log"
	else
		side_failed "${1##*/}" "$log"
		res=fail offered=- echoed=-
	fi
	stop_pid "$pid"
	forget "$pid"
}

# mpdp-l2fwd with ring arguments $1 (default --afp-args)
side_mpdp()
{
	mpdp_cmd "$tag-m" "${1:-}"
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

# testpmd with ring arguments $1 (default blocksz=4096 and --afp-args)
side_dpdk()
{
	local prefix=$tag-p ra=${1:-blocksz=4096,$afp_args}
	dpdk_prefixes+=("$prefix")
	local cmd=("$testpmd" --no-huge -m 512 --no-pci --file-prefix "$prefix"
		--vdev "net_af_packet0,iface=$v_fin,qpairs=1,$ra"
		--vdev "net_af_packet1,iface=$v_fout,qpairs=1,$ra"
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

echo "afp command: $the_cmd"
echo "afp config seconds=$seconds warmup=$warmup rounds=$rounds cpus=$cpu_a,$cpu_b frame=64" \
	"burst=$burst mbufs=$mbufs afp_args=$afp_args mpdp=$bin dpdk=${testpmd:-none}" \
	"dpdk_version=$dpdk_version (Mpps out of the egress veth, median of rounds)" \
	"drain=$use_drain drain_args=$drain_args drain_mtu=$drain_mtu cycles=$cycles"

# ---------------------------------------------------------------- backlog drain

# Every thread of pid $1 is stopped.
all_stopped()
{
	local f line st
	for f in /proc/"$1"/task/*/stat; do
		read -r line 2>/dev/null <"$f" || return 1
		st=${line##*) }
		[[ ${st:0:1} == T || ${st:0:1} == t ]] || return 1
	done
	return 0
}

# Drain cycles against a ready forwarder (pid $1, log $2): a warm-up cycle,
# then --cycles counted ones. Sets res (the median Mpps of the counted
# cycles, or fail), dcycles (each one's Mpps), dfwd (the fewest frames
# forwarded in a cycle), dfill (the fewest that reached FIN in a fill) and
# echoed (frames out of SRC, the wrong way, over all cycles).
measure_drain()
{
	local fpid=$1 flog=$2 c i0 i1 s0 s1 out fr mp
	local bcmd=(taskset -c "$cpu_a" "$blast" "$v_src" --count $((4 * drain_frames)) --qdisc-bypass)
	local wcmd=(taskset -c "$cpu_a" "$blast" --drain-watch "$v_sink" --cont "$fpid")
	cmds[drain_fill]=$(show_cmd "${bcmd[@]}")
	cmds[drain_watch]=$(show_cmd "${wcmd[@]}")
	dcycles='' dfwd='' dfill='' echoed=0 res=fail
	for ((c = 0; c <= cycles; c++)); do
		kill -STOP "$fpid" 2>/dev/null || break
		wait_until "$fpid" 2 all_stopped "$fpid" || break
		i0=$(cnt "$v_fin")
		"${bcmd[@]}" >>"$logs/drain-fill.log" 2>&1
		sleep 0.02
		i1=$(cnt "$v_fin")
		s0=$(cnt "$v_src")
		out=$("${wcmd[@]}" 2>>"$logs/drain-watch.log")
		sleep 0.05
		s1=$(cnt "$v_src")
		echo "cycle=$c pid=$fpid fin=$((i1 - i0)) $out" >>"$logs/drain-watch.log"
		[[ $out =~ frames=([0-9]+)\ secs=[0-9.]+\ mpps=([0-9.]+) ]] || break
		((c == 0)) && continue # warm-up
		fr=${BASH_REMATCH[1]} mp=${BASH_REMATCH[2]}
		dcycles+=" $mp"
		[[ -z $dfwd ]] || ((fr < dfwd)) && dfwd=$fr
		[[ -z $dfill ]] || ((i1 - i0 < dfill)) && dfill=$((i1 - i0))
		echoed=$((echoed + s1 - s0))
	done
	kill -CONT "$fpid" 2>/dev/null
	if ! alive "$fpid"; then
		side_failed forwarder "$flog"
		dcycles='' res=fail
		return
	fi
	(($(echo $dcycles | wc -w) == cycles)) && res=$(echo "$dcycles" | median 3)
}

set_mtu()
{
	local x
	for x in "$v_src" "$v_fin" "$v_fout" "$v_sink"; do
		ip link set dev "$x" mtu "$1" || return 1
	done
}

declare -A dgot dcyc dfw
for s in mpdp dpdk; do dgot[$s]='' dcyc[$s]='' dfw[$s]=''; done
dsides=(mpdp)
[[ -z $dpdk_reason ]] && dsides+=(dpdk)
drain_reason=
if ((use_drain == 0)); then
	drain_reason=disabled_by_option
elif ! set_mtu "$drain_mtu"; then
	drain_reason=cannot_set_mtu
fi
if [[ -z $drain_reason ]]; then
	measure_fn=measure_drain
	n=${#dsides[@]}
	for ((k = 1; k <= rounds; k++)); do
		for ((j = 0; j < n; j++)); do
			s=${dsides[$(((j + k - 1) % n))]}
			dcycles='' dfwd='' dfill='' echoed=-
			"side_$s" "$drain_args"
			cmds[drain_$s]=${cmds[$s]}
			dgot[$s]+=" $res"
			dcyc[$s]+=" $dcycles"
			[[ -n $dfwd ]] && { [[ -z ${dfw[$s]} ]] || ((dfwd < dfw[$s])); } && dfw[$s]=$dfwd
			echo "afp drain round=$k side=$s fwd_mpps=$res cycles=$(echo $dcycles | tr ' ' ,)" \
				"forwarded=${dfwd:--}/$drain_frames fill_in=${dfill:--} echo=$echoed"
		done
	done
	measure_fn=measure
	set_mtu 1500
fi

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
# the backlog-drain row
rng() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | sed -n '1p;$p' | paste -sd- | grep . || echo -; }
if [[ -z $drain_reason ]]; then
	dm=$(echo "${dgot[mpdp]}" | median 3)
	if [[ -z $dpdk_reason ]]; then dd=$(echo "${dgot[dpdk]}" | median 3); else dd=n/a; fi
	dline="afp row=afp_drain mpdp_mpps=$dm dpdk_mpps=$dd ratio=$(ratio "$dm" "$dd")"
	dline+=" mpdp_rounds=$(csv "${dgot[mpdp]}") dpdk_rounds=$(csv "${dgot[dpdk]:-n/a}")"
	dline+=" mpdp_forwarded=${dfw[mpdp]:--}/$drain_frames dpdk_forwarded=${dfw[dpdk]:--}/$drain_frames"
	dline+=" mpdp_cycles=$(echo "${dcyc[mpdp]}" | rng) dpdk_cycles=$(echo "${dcyc[dpdk]}" | rng)"
	dline+=" mpdp_cycles_median=$(echo "${dcyc[mpdp]}" | median 3) dpdk_cycles_median=$(echo "${dcyc[dpdk]}" | median 3)"
	[[ -n $dpdk_reason ]] && dline+=" dpdk_reason=$dpdk_reason"
else
	dm=n/a dd=n/a
	dline="afp row=afp_drain mpdp_mpps=n/a dpdk_mpps=n/a reason=$drain_reason"
fi
echo "$dline"
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
echo "| row | mpdp Mpps | DPDK Mpps | mpdp/DPDK | rounds mpdp (range) | rounds DPDK (range) | notes |"
echo "|---|---:|---:|---:|---|---|---|"
dcol=$d
[[ -n $dpdk_reason ]] && dcol="n/a ($dpdk_reason; reference $ref_dpdk)"
if [[ -z $drain_reason ]]; then
	ddcol=$dd
	[[ -n $dpdk_reason ]] && ddcol="n/a ($dpdk_reason)"
	echo "| af_packet io forwarding, backlog drain (forwarder-limited) | $dm | $ddcol | $(ratio "$dm" "$dd") |" \
		"$(csv "${dgot[mpdp]}") ($(echo "${dgot[mpdp]}" | rng)) |" \
		"$(csv "${dgot[dpdk]:-n/a}") ($(echo "${dgot[dpdk]}" | rng)) |" \
		"backlog $drain_frames frames, $cycles cycles a round; fewest forwarded in a cycle" \
		"${dfw[mpdp]:--} / ${dfw[dpdk]:--}; cycles $(echo "${dcyc[mpdp]}" | rng) / $(echo "${dcyc[dpdk]}" | rng) Mpps," \
		"median of all cycles $(echo "${dcyc[mpdp]}" | median 3) / $(echo "${dcyc[dpdk]}" | median 3) |"
else
	echo "| af_packet io forwarding, backlog drain (forwarder-limited) | n/a ($drain_reason) | - | - | - | - | - |"
fi
echo "| offered load (source-limited) | $m | $dcol | $(ratio "$m" "$d") |" \
	"$(csv "${got[mpdp]}") ($(echo "${got[mpdp]}" | rng)) |" \
	"$(csv "${got[dpdk]:-n/a}") ($(echo "${got[dpdk]}" | rng)) |" \
	"offered $mo / $do_ Mpps; clean ${nclean[mpdp]}/$rounds / $([[ -z $dpdk_reason ]] && echo "${nclean[dpdk]}/$rounds" || echo n/a);" \
	"best $(echo "${got[mpdp]}" | best) / $([[ -z $dpdk_reason ]] && echo "${got[dpdk]}" | best || echo n/a)${sb:+; source_bound $sb} |"
if [[ -z $dumpcap_reason ]]; then
	echo "| offered load, mpdp-dumpcap on port 0 | $c | - | $(ratio "$c" "$m") of mpdp without |" \
		"$(csv "${got[dumpcap]}") ($(echo "${got[dumpcap]}" | rng)) | - |" \
		"offered $co Mpps; clean ${nclean[dumpcap]}/$rounds; best $(echo "${got[dumpcap]}" | best) |"
else
	echo "| offered load, mpdp-dumpcap on port 0 | n/a ($dumpcap_reason) | - | - | - | - | - |"
fi
echo
if [[ -z $drain_reason ]]; then
	echo "Backlog drain: the forwarder, stopped (SIGSTOP), gets its receive ring ($drain_args," \
		"veth MTU $drain_mtu) filled; the figure is frames out of the egress veth over the time from"
	echo "SIGCONT to their last increase (polled every 100 us), median of $cycles cycles a round"
	echo "and of the rounds. It measures the forwarder, not the source."
fi
echo "Offered load: Mpps of 64-byte frames out of the egress veth (its peer's rx_packets), ${seconds} s after"
echo "${warmup} s of traffic; offered: what reached the ingress veth. The figure is the median"
echo "of the clean rounds (the forwarder got >= 0.9 of its CPU and the source >= 0.8 of its"
echo "own: cpu= in the round lines), or of all $rounds rounds when none was clean. Other load"
echo "on the CPUs only lowers a round; best is the highest round."
echo "The source alone (no forwarder listening) offers $alone Mpps; with a forwarder its CPU"
echo "also delivers every frame into the forwarder's receive ring."
[[ -n $sb ]] && echo "source_bound ($sb): the forwarder delivered >= 97% of the offered load;" \
	"the figure is a lower bound of what it can do."
echo
echo "command: $the_cmd"
echo "commands (last round; drain_watch's --cont is the forwarder's pid):"
for s in drain_mpdp drain_dpdk drain_fill drain_watch source mpdp dpdk mpdp_dumpcap dumpcap; do
	[[ -n ${cmds[$s]:-} ]] || continue
	echo "# $s"
	echo "  ${cmds[$s]}"
done
exit 0
