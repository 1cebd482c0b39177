#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_virtio.sh - packet rate over vhost-user, one core per side: mpdp's
# virtio-user frontend (net_virtio_user) and vhost backend (net_vhost)
# against each other, each against DPDK's, and DPDK <-> DPDK, in one run.
#
#   virtio-user side (CPU B)  <== unix socket, shared memory ==>  vhost side (CPU A)
#
# One side transmits as fast as it can, the other receives and drops; the
# figure is the receive rate. Rows: direction (virtio-user -> vhost, vhost ->
# virtio-user) x pair (virtio-user impl / vhost impl: mpdp/mpdp, mpdp/dpdk,
# dpdk/mpdp, dpdk/dpdk) x frame size (--sizes) x mergeable rx buffers (--mrg).
#
# The sides (the vhost side is the socket's server and starts first; the
# virtio-user side connects to it):
#   DPDK: dpdk-testpmd, --forward-mode=txonly --txpkts=SIZE (transmit) or
#         --forward-mode=rxonly (receive), --nb-cores=1, the forwarding lcore on
#         the side's CPU and the main lcore (which only prints the statistics
#         every second) on the other one, hugepages (--huge-dir, a private
#         hugetlbfs mount), the virtio-user side with --single-file-segments
#         (without it: "Too many memory regions", no traffic). vhost:
#         net_vhost0,iface=SOCK,queues=1 (it negotiates what the frontend asks);
#         virtio-user: net_virtio_user0,path=SOCK,queues=1,mrg_rxbuf=M.
#   mpdp (--mpdp-app l2fwd, the default): mpdp-l2fwd, everything on the
#         side's CPU (-l CPU: one lcore, it forwards on the main lcore), two
#         ports: 0 the vhost-user port, 1 a net_null port. Receive: port 0 ->
#         net_null1,rx=empty (frees them: as testpmd rxonly). Transmit:
#         net_null1,rx=gen,size=SIZE (a burst of fresh mbufs per poll) -> port
#         0 with --mac-rewrite (12 bytes written into each frame's first cache
#         line, as testpmd's txonly copies its headers in; l2fwd also polls
#         the vhost-user port's empty receive queue). vhost:
#         net_vhost0,iface=SOCK,queues=1,client=0,mrg_rxbuf=M; virtio-user:
#         net_virtio_user0,path=SOCK,queues=1,mrg_rxbuf=M (--rxd/--txd 256,
#         its ring size). The MTU stays 1500 (1518-byte frames pass: neither
#         side checks the MTU on these paths; mpdp's virtio-user refuses an
#         MTU above 1500 without mergeable buffers).
#   mpdp (--mpdp-app pktgen): mpdp-pktgen as the primary on the port, --tx-port
#         0 --size SIZE or --rx-port 0. It writes and checks a numbered,
#         patterned payload per frame (frames from testpmd fail its check and
#         are counted as bad: received all the same); at 1518 bytes that
#         costs more than the driver, so the default is l2fwd.
#   mpdp's heap is on hugetlbfs (--huge) like DPDK's, unless --mpdp-tmpfs.
#
# Measurement: the receiving port's ipackets counter, sampled with time
# stamps by a third process: for mpdp, mpdp-proc-info (a secondary, --stats
# --interval 1); for DPDK, a telemetry client of testpmd's socket
# (/ethdev/stats, every 0.5 s; testpmd's own --stats-period printing runs on
# the other side's busy CPU and comes late). The window: from the first
# sample with frames, 1 + --warmup s on, the counter's growth over --seconds
# s divided by the samples' own time difference. A row's figure is the
# median of its rounds, with the min-max beside it; rounds go over all the
# rows in turn (one round of every row, then the next), so a noisy minute
# spreads over all rows. cpu rx/tx: the CPUs' worth of time the receiving and
# the transmitting process got over the window (1.00 when nothing else ran on
# its CPU; the machine may be shared, and a busy-polling pair slows down a lot
# when either side loses its CPU). A round is clean when both got >= 0.9; the
# figure is the median of the clean rounds (of all when none was clean), the
# min-max and the best over all rounds beside it. A row that cannot run (a side does not
# start, dies, or no frame arrives) prints one "FAILED: ..." line and the run
# goes on; the failed rows are listed at the end.
#
# Output: the command, a config line, one "vio round" line per row and round,
# a markdown table (rows: direction x pair x size x mrg; Mpps median, min-max
# over rounds) and one command per side kind as run last. Never a pass/fail:
# exit 0 unless the options, the tools or the hugepage set-up are wrong.
#
# Usage: bench/bench_virtio.sh [--rounds N] [--duration S] [--warmup S]
#                              [--sizes "64 1518"] [--mrg "0 1"] [--quick]
#                              [--pairs LIST] [--dirs LIST] [--cpus A,B]
#                              [--mpdp-app l2fwd|pktgen] [--mpdp-tmpfs]
#                              [--hugepages N] [--no-dpdk] [--logs DIR]
#   --rounds N       rounds, median reported (default 3)
#   --duration S     measured seconds per row and round (default 5; also --seconds)
#   --warmup S       seconds of traffic skipped before measuring (default 1)
#   --sizes LIST     frame sizes in bytes without FCS (default "64 1518")
#   --mrg LIST       mergeable rx buffers off/on (default "0 1")
#   --quick          1 round of 3 s (options after it still apply)
#   --pairs LIST     virtio-user/vhost pairs (default
#                    "mpdp/mpdp mpdp/dpdk dpdk/mpdp dpdk/dpdk")
#   --dirs LIST      v2h (virtio-user -> vhost), h2v (vhost -> virtio-user)
#                    (default "v2h h2v")
#   --cpus A,B       A: the vhost side, B: the virtio-user side (default 0,1)
#   --mpdp-app APP   mpdp's endpoints: l2fwd (with net_null; default) or pktgen
#   --mpdp-tmpfs     mpdp's heap on tmpfs (--no-huge) instead of hugetlbfs
#   --hugepages N    2 MB hugepages to have free (default 512)
#   --no-dpdk        mpdp/mpdp rows only
#   --logs DIR       keep every process's output in DIR (default: removed)
# Environment: MPDP_BUILD    a build directory (its apps/) or a directory with
#                            the mpdp-* tools (default: build-bench)
#              DPDK_TESTPMD  testpmd to run (default: dpdk-testpmd in PATH)
# Needs root (hugepages). When fewer than --hugepages 2 MB pages are free it
# raises /proc/sys/vm/nr_hugepages by the difference; it mounts hugetlbfs
# (pagesize=2M) at a private directory; both are undone at exit.

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
me=bench_virtio.sh

seconds=5
warmup=1
rounds=3
cpus=0,1
keep_logs=
use_dpdk=1
sizes="64 1518"
mrgs="0 1"
pairs="mpdp/mpdp mpdp/dpdk dpdk/mpdp dpdk/dpdk"
dirs="v2h h2v"
mpdp_app=l2fwd
mpdp_huge=1
hugepages=512
dpdk_mem=256   # MB of hugepages per testpmd
mpdp_mem=256M  # mpdp's heap per process
dpdk_mbufs=16384
pg_mbufs=8192
burst=32
start_limit=20 # s for a side to start
flow_limit=10  # s for the first frames to arrive

# shellcheck source=bench/bench_lib.sh
. "$root/bench/bench_lib.sh"
the_cmd=$(show_cmd bash "$0" "$@")
[[ -n ${MPDP_BUILD:-} ]] && the_cmd="MPDP_BUILD=$(show_cmd "$MPDP_BUILD") $the_cmd"

bench_opt()
{
	case $1 in
	--duration) seconds=$2 ;;
	--sizes) sizes=$2 ;;
	--mrg) mrgs=$2 ;;
	--pairs) pairs=$2 ;;
	--dirs) dirs=$2 ;;
	--mpdp-app) mpdp_app=$2 ;;
	--hugepages) hugepages=$2 ;;
	--quick) rounds=1 seconds=3 ;;
	--mpdp-tmpfs) mpdp_huge=0 ;;
	--no-dpdk) use_dpdk=0 ;;
	esac
}
bench_parse_opts "--duration --sizes --mrg --pairs --dirs --mpdp-app --hugepages" \
	"--quick --mpdp-tmpfs --no-dpdk" "$@"
bad_list()
{
	echo "$me: $1" >&2
	exit 2
}
for s in $sizes; do
	if ! [[ $s =~ ^[0-9]+$ ]] || ((s < 60 || s > 9000)); then
		bad_list "--sizes takes frame sizes 60..9000"
	fi
done
for m in $mrgs; do [[ $m == [01] ]] || bad_list "--mrg takes 0 and/or 1"; done
for p in $pairs; do [[ $p =~ ^(mpdp|dpdk)/(mpdp|dpdk)$ ]] || bad_list "--pairs takes IMPL/IMPL, IMPL mpdp or dpdk"; done
for d in $dirs; do [[ $d == v2h || $d == h2v ]] || bad_list "--dirs takes v2h and/or h2v"; done
[[ -n $sizes && -n $mrgs && -n $pairs && -n $dirs ]] || bad_list "--sizes, --mrg, --pairs, --dirs must not be empty"
[[ $mpdp_app == l2fwd || $mpdp_app == pktgen ]] || bad_list "--mpdp-app takes l2fwd or pktgen"
[[ $hugepages =~ ^[1-9][0-9]*$ ]] || bad_list "--hugepages takes an integer >= 1"
if ((EUID != 0)); then
	echo "vio skipped reason=needs_root (hugepages, vhost-user sockets)"
	exit 0
fi

# ---------------------------------------------------------------- tools

bench_find_bin mpdp-l2fwd mpdp-pktgen mpdp-proc-info
bench_find_testpmd
if [[ -n $dpdk_reason ]]; then
	kept=
	for p in $pairs; do [[ $p == mpdp/mpdp ]] && kept+=" $p"; done
	pairs=${kept# }
	[[ -n $pairs ]] || bad_list "no mpdp/mpdp pair and no DPDK ($dpdk_reason)"
fi

# ---------------------------------------------------------------- clean-up

work=$(mktemp -d /tmp/mpdp-bench-vio.XXXXXX) || exit 1
huge_dir=
huge_added=0
bench_cleanup_more()
{
	local cur
	if [[ -n $huge_dir ]]; then
		umount "$huge_dir" 2>/dev/null || echo "$me: cannot unmount $huge_dir" >&2
	fi
	if ((huge_added > 0)); then
		cur=$(cat /proc/sys/vm/nr_hugepages)
		((cur - huge_added >= 0)) && echo $((cur - huge_added)) >/proc/sys/vm/nr_hugepages
	fi
	rm -rf "$work"
}
bench_setup vio

# ---------------------------------------------------------------- hugepages

hp_file=/sys/kernel/mm/hugepages/hugepages-2048kB
if [[ ! -d $hp_file ]]; then
	echo "$me: no 2 MB hugepages on this kernel ($hp_file)" >&2
	exit 2
fi
hp_old=$(cat /proc/sys/vm/nr_hugepages)
hp_free=$(cat "$hp_file/free_hugepages")
if ((hp_free < hugepages)); then
	want=$((hp_old + hugepages - hp_free))
	echo "$want" >/proc/sys/vm/nr_hugepages 2>/dev/null
	got=$(cat /proc/sys/vm/nr_hugepages)
	huge_added=$((got - hp_old))
	((huge_added < 0)) && huge_added=0
	hp_free=$(cat "$hp_file/free_hugepages")
	if ((hp_free < hugepages)); then
		echo "$me: cannot reserve $hugepages free 2 MB hugepages (nr_hugepages $hp_old -> $got," \
			"$hp_free free); try --hugepages with fewer" >&2
		exit 2
	fi
fi
huge_dir=$work/huge
mkdir -p "$huge_dir" || exit 2
if ! mount -t hugetlbfs -o pagesize=2M,mode=0700 nodev "$huge_dir"; then
	huge_dir=
	echo "$me: cannot mount hugetlbfs" >&2
	exit 2
fi

# ---------------------------------------------------------------- sides

declare -A cmds
tag=vio$$
nsock=0

# side_cmd ROLE IMPL MODE SIZE MRG SOCK CPU OTHER: the command of one side in
# cmd, its ready pattern in ready, its prefix in prefix.
# ROLE vhost|virtio, IMPL mpdp|dpdk, MODE tx|rx.
side_cmd()
{
	local role=$1 impl=$2 mode=$3 size=$4 mrg=$5 sock=$6 cpu=$7 other=$8 vdev
	prefix=$tag-$role-$impl
	if [[ $impl == dpdk ]]; then
		if [[ $role == vhost ]]; then
			vdev="net_vhost0,iface=$sock,queues=1"
		else
			vdev="net_virtio_user0,path=$sock,queues=1,mrg_rxbuf=$mrg"
		fi
		cmd=("$testpmd" -l "$cpu,$other" --main-lcore "$other" --file-prefix "$prefix"
			--huge-dir "$huge_dir" -m "$dpdk_mem" --no-pci)
		[[ $role == virtio ]] && cmd+=(--single-file-segments)
		cmd+=(--vdev "$vdev" -- --nb-cores=1 --burst="$burst"
			--total-num-mbufs="$dpdk_mbufs" --stats-period 10)
		if [[ $mode == tx ]]; then
			cmd+=(--forward-mode=txonly --txpkts="$size")
		else
			cmd+=(--forward-mode=rxonly)
		fi
		ready='packet forwarding - ports='
		dpdk_prefixes+=("$prefix")
		return
	fi
	if [[ $role == vhost ]]; then
		vdev="net_vhost0,iface=$sock,queues=1,client=0,mrg_rxbuf=$mrg"
	else
		vdev="net_virtio_user0,path=$sock,queues=1,mrg_rxbuf=$mrg"
	fi
	local rt=(--prefix "$prefix" --runtime-dir "$rtdir" --proc-type primary --no-pci
		--mem "$mpdp_mem" -l "$cpu")
	if ((mpdp_huge)); then rt+=(--huge); else rt+=(--no-huge); fi
	if [[ $mpdp_app == pktgen ]]; then
		cmd=("$bin/mpdp-pktgen" "${rt[@]}" --vdev "$vdev" -- --mbufs "$pg_mbufs"
			--burst "$burst")
		if [[ $mode == tx ]]; then
			cmd+=(--tx-port 0 --size "$size")
		else
			cmd+=(--rx-port 0)
		fi
	else
		local null=net_null1,rx=empty
		[[ $mode == tx ]] && null=net_null1,rx=gen,size=$size
		cmd=("$bin/mpdp-l2fwd" "${rt[@]}" --vdev "$vdev" --vdev "$null" -- --burst "$burst")
		# a write to every frame's first cache line, as testpmd's txonly
		# copies its headers in
		[[ $mode == tx ]] && cmd+=(--mac-rewrite)
		# virtio-user's rings have queue_size (default 256) entries, l2fwd asks 1024
		[[ $role == virtio ]] && cmd+=(--rxd 256 --txd 256)
	fi
	ready='^ready '
}

# CPU time (clock ticks, user + system) of every thread of process $1.
ticks()
{
	cat /proc/"$1"/task/*/stat 2>/dev/null | awk '{ sub(/.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}
hz=$(getconf CLK_TCK)

# The receiver's counter over time, "T_MS IPACKETS" a line, from log $2 of
# kind $1 (dpdk: the telemetry sampler's; mpdp: mpdp-proc-info's samples).
series()
{
	if [[ $1 == dpdk ]]; then
		awk '$1 == "sample" { print $2, $3 }' "$2"
	else
		awk '/^sample / { for (i = 2; i <= NF; i++) if ($i ~ /^time_ms=/) t = substr($i, 9) }
		     /^stats port=0 / { for (i = 2; i <= NF; i++) if ($i ~ /^ipackets=/) print t, substr($i, 10) }' "$2"
	fi
}

# Frames have arrived: a counter > 0 in series $1 $2.
flowing()
{
	series "$1" "$2" | awk '$2 > 0 { f = 1 } END { exit !f }'
}

# The window's rate in Mpps, from a series on stdin: from the first sample
# with frames, 1 + --warmup s on, the counter's growth over --seconds s
# (between the first samples at or after the window's start and end, by
# their own time stamps); "none" without frames, "short" when the samples
# end too soon.
window()
{
	awk -v w="$warmup" -v c="$seconds" '!f && $2 > 0 { f = 1; s = $1 + (1 + w) * 1000 }
		f && !a && $1 >= s { a = 1; ts = $1; ps = $2; e = ts + c * 1000 }
		a && $1 >= e { printf "%.3f\n", ($2 - ps) / ($1 - ts) / 1e3; done = 1; exit }
		END { if (done) exit; if (!f) print "none"; else print "short" }'
}

# DPDK's receive counter: a telemetry client of testpmd's socket ($1), port
# $2's ipackets every $3 s as "sample T_MS IPACKETS" (monotonic clock),
# until it is stopped or the socket closes.
tele_py='
import json, socket, sys, time, signal
signal.signal(signal.SIGINT, lambda *a: sys.exit(0))
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
path, port, period = sys.argv[1], sys.argv[2], float(sys.argv[3])
for i in range(200):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        break
    except OSError:
        s.close()
        time.sleep(0.1)
else:
    sys.exit("cannot connect to " + path)
s.recv(16384)
t0 = time.monotonic()
while True:
    s.send(("/ethdev/stats," + port).encode())
    r = s.recv(65536)
    t = time.monotonic()
    if not r:
        break
    st = json.loads(r.decode())["/ethdev/stats"]
    print("sample %d %d" % ((t - t0) * 1000, st["ipackets"]), flush=True)
    time.sleep(period)
'

# What DPDK's vhost negotiated (its log $1): mrg=0/1 from the feature bits.
dpdk_mrg()
{
	sed -n 's/.*negotiated Virtio features: \(0x[0-9a-fA-F]*\).*/\1/p' "$1" | tail -n 1 |
		{ read -r f && [[ -n $f ]] && echo $(((f >> 15) & 1)) || echo -; }
}

res=
cpu_use=
why=
neg=
# run_row DIR PAIR SIZE MRG ROUND: one measurement; sets res (Mpps), cpu_use,
# neg (DPDK vhost's negotiated mrg, - if not known), or res=FAILED and why.
run_row()
{
	local dir=$1 pair=$2 size=$3 mrg=$4 round=$5
	local vimpl=${pair%/*} himpl=${pair#*/} vmode hmode rx_role rx_impl
	local sock hlog vlog plog hpid vpid ppid rxlog rxkind rxpid txpid t k0 k1 r0 r1 t0 t1
	if [[ $dir == v2h ]]; then vmode=tx hmode=rx rx_role=vhost; else vmode=rx hmode=tx rx_role=virtio; fi
	nsock=$((nsock + 1))
	sock=$work/s$nsock.sock
	local id=$dir-${vimpl}-${himpl}-$size-m$mrg-r$round
	hlog=$logs/$id-vhost.log vlog=$logs/$id-virtio.log plog=$logs/$id-counter.log
	res=FAILED cpu_use=- why='' neg=-
	# the vhost side: the server
	side_cmd vhost "$himpl" "$hmode" "$size" "$mrg" "$sock" "$cpu_a" "$cpu_b"
	cmds[vhost-$himpl-$hmode]=$(show_cmd "${cmd[@]}")
	local hprefix=$prefix
	start "$hlog" "${cmd[@]}"
	hpid=$started
	if ! wait_until "$hpid" "$start_limit" test -S "$sock" || ! wait_line "$hlog" "$hpid" "$ready" "$start_limit"; then
		why="the vhost side ($himpl) did not start: $(tail_reason "$hlog")"
		stop_pid "$hpid"; forget "$hpid"
		return
	fi
	side_cmd virtio "$vimpl" "$vmode" "$size" "$mrg" "$sock" "$cpu_b" "$cpu_a"
	cmds[virtio-$vimpl-$vmode]=$(show_cmd "${cmd[@]}")
	local vprefix=$prefix
	start "$vlog" "${cmd[@]}"
	vpid=$started
	if ! wait_line "$vlog" "$vpid" "$ready" "$start_limit"; then
		why="the virtio-user side ($vimpl) did not start: $(tail_reason "$vlog")"
		alive "$hpid" || why+="; the vhost side died: $(tail_reason "$hlog")"
		stop_pid "$vpid"; forget "$vpid"; stop_pid "$hpid"; forget "$hpid"
		return
	fi
	if [[ $rx_role == vhost ]]; then
		rx_impl=$himpl rxlog=$hlog rxpid=$hpid txpid=$vpid rxprefix=$hprefix
	else
		rx_impl=$vimpl rxlog=$vlog rxpid=$vpid txpid=$hpid rxprefix=$vprefix
	fi
	rxkind=$rx_impl
	local pcmd
	if [[ $rx_impl == mpdp ]]; then
		pcmd=("$bin/mpdp-proc-info" --prefix "$rxprefix" --runtime-dir "$rtdir" --
			--stats -p 0x1 --interval 1 --count 0)
		cmds[sampler-mpdp]=$(show_cmd "${pcmd[@]}")
	else
		pcmd=(python3 -c "$tele_py" "/var/run/dpdk/$rxprefix/dpdk_telemetry.v2" 0 0.5)
		cmds[sampler-dpdk]="$(show_cmd python3 -c TELEMETRY_CLIENT "${pcmd[@]:3}") (TELEMETRY_CLIENT: /ethdev/stats,0 ipackets every 0.5 s)"
	fi
	start "$plog" "${pcmd[@]}"
	ppid=$started
	rxlog=$plog
	if ! wait_until "$rxpid" "$flow_limit" flowing "$rxkind" "$rxlog"; then
		if ! alive "$hpid"; then
			why="the vhost side ($himpl) died: $(tail_reason "$hlog")"
		elif ! alive "$vpid"; then
			why="the virtio-user side ($vimpl) died: $(tail_reason "$vlog")"
		elif ! alive "$ppid"; then
			why="the receive counter's sampler failed: $(tail_reason "$plog")"
		else
			why="no frame arrived in ${flow_limit} s"
		fi
	else
		# the window starts with the second after the first frames
		sleep $((warmup + 1))
		read -r t0 r0 k0 <<<"$EPOCHREALTIME $(ticks "$rxpid") $(ticks "$txpid")"
		sleep "$seconds"
		read -r t1 r1 k1 <<<"$EPOCHREALTIME $(ticks "$rxpid") $(ticks "$txpid")"
		sleep 1.5
		cpu_use=$(awk -v a=$((r1 - r0)) -v b=$((k1 - k0)) -v d="$(awk -v x="$t1" -v y="$t0" 'BEGIN { print x - y }')" \
			-v hz="$hz" 'BEGIN { printf "%.2f/%.2f", a / hz / d, b / hz / d }')
		if ! alive "$hpid"; then
			why="the vhost side ($himpl) died during the window: $(tail_reason "$hlog")"
		elif ! alive "$vpid"; then
			why="the virtio-user side ($vimpl) died during the window: $(tail_reason "$vlog")"
		else
			t=$(series "$rxkind" "$rxlog" | window)
			case $t in
			none) why="no frame arrived" ;;
			short) why="the receive counter's samples end before the window does: $(tail_reason "$plog")" ;;
			*) res=$t ;;
			esac
		fi
	fi
	stop_pid "$ppid"; forget "$ppid"
	stop_pid "$vpid"; forget "$vpid"
	stop_pid "$hpid"; forget "$hpid"
	[[ $himpl == dpdk ]] && neg=$(dpdk_mrg "$hlog")
	# DPDK leaves its hugepage files (they hold pages); mpdp removes its own
	rm -rf "/var/run/dpdk/$hprefix" "/var/run/dpdk/$vprefix" "${huge_dir:?}/$hprefix"* \
		"${huge_dir:?}/$vprefix"* "${huge_dir:?}/mpdp-$hprefix-"* "${huge_dir:?}/mpdp-$vprefix-"*
	rm -f "$sock"
}

# A short reason from log $1: its last line that looks like an error, else
# its last line.
tail_reason()
{
	local l
	l=$(grep -aiE 'error|fail|cannot|invalid|refus|denied|abort|segment|assert' "$1" 2>/dev/null | tail -n 1)
	[[ -z $l ]] && l=$(grep -av '^\s*$' "$1" 2>/dev/null | tail -n 1)
	[[ -z $l ]] && l="(no output)"
	echo "${l:0:200} [log ${1##*/}]"
}

# ---------------------------------------------------------------- rounds

dir_name() { if [[ $1 == v2h ]]; then echo "virtio-user -> vhost"; else echo "vhost -> virtio-user"; fi; }

rows=()
for d in $dirs; do
	for p in $pairs; do
		for s in $sizes; do
			for m in $mrgs; do rows+=("$d $p $s $m"); done
		done
	done
done
declare -A got cpus_of negs fails clean
# A round is clean when both sides got 0.9 of their CPU over the window.
is_clean()
{
	[[ $1 =~ ^([0-9.]+)/([0-9.]+)$ ]] &&
		awk -v a="${BASH_REMATCH[1]}" -v b="${BASH_REMATCH[2]}" 'BEGIN { exit !(a >= 0.9 && b >= 0.9) }'
}
echo "vio command: $the_cmd"
echo "vio config seconds=$seconds warmup=$warmup rounds=$rounds cpus=vhost:$cpu_a,virtio-user:$cpu_b" \
	"sizes=${sizes// /,} mrg=${mrgs// /,} burst=$burst mpdp_app=$mpdp_app" \
	"mpdp_heap=$( ((mpdp_huge)) && echo hugetlbfs || echo tmpfs) mpdp=$bin dpdk=${testpmd:-none}" \
	"dpdk_version=$dpdk_version hugepages=$hugepages huge_dir=$huge_dir" \
	"rows=${#rows[@]} (Mpps received, mean over the window, median of rounds)"
for ((k = 1; k <= rounds; k++)); do
	for r in "${rows[@]}"; do
		read -r d p s m <<<"$r"
		run_row "$d" "$p" "$s" "$m" "$k"
		got[$r]+=" $res"
		cpus_of[$r]+=" $cpu_use"
		if [[ $res != FAILED ]] && is_clean "$cpu_use"; then
			clean[$r]+=" $res"
		fi
		[[ $neg != - ]] && negs[$r]=$neg
		if [[ $res == FAILED ]]; then
			fails[$r]=$((${fails[$r]:-0} + 1))
			echo "FAILED: $(dir_name "$d") virtio-user/vhost=$p size=$s mrg=$m round=$k: $why"
		else
			line="vio round round=$k dir=$d pair=$p size=$s mrg=$m rx_mpps=$res cpu=$cpu_use"
			[[ $neg != - ]] && line+=" dpdk_vhost_mrg=$neg"
			echo "$line"
		fi
	done
done

# ---------------------------------------------------------------- results

rng() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | sed -n '1p;$p' | paste -sd- | grep . || echo -; }
echo
echo "| direction | virtio-user | vhost | size | mrg | Mpps (median) | min-max | clean | best | rounds ok | cpu rx/tx | notes |"
echo "|---|---|---|---:|---:|---:|---|---:|---:|---:|---|---|"
failed_rows=()
for r in "${rows[@]}"; do
	read -r d p s m <<<"$r"
	nclean=$(echo "${clean[$r]:-}" | wc -w)
	if ((nclean > 0)); then
		med=$(echo "${clean[$r]}" | median 3)
	else
		med=$(echo "${got[$r]}" | median 3)
		[[ $med != fail ]] && med+=" (no clean round)"
	fi
	best=$(echo "${got[$r]}" | tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | tail -n 1 | grep . || echo -)
	ok=$(echo "${got[$r]}" | tr ' ' '\n' | grep -cE '^[0-9.]+$')
	note=
	if ((${fails[$r]:-0} > 0)); then
		failed_rows+=("$(dir_name "$d") $p size=$s mrg=$m (${fails[$r]}/$rounds rounds)")
		note="FAILED ${fails[$r]}/$rounds"
	fi
	if [[ -n ${negs[$r]:-} && ${negs[$r]} != "$m" ]]; then
		note+="${note:+; }DPDK vhost negotiated mrg=${negs[$r]}"
	fi
	[[ $med == fail ]] && med=FAILED
	cpu_col=$(echo "${cpus_of[$r]}" | tr ' ' '\n' | grep -v '^-*$' | paste -sd' ' | grep . || echo -)
	echo "| $(dir_name "$d") | ${p%/*} | ${p#*/} | $s | $m | $med | $(echo "${got[$r]}" | rng) | $nclean/$rounds | $best | $ok/$rounds | $cpu_col | $note |"
done
echo
echo "Mpps: frames received per second by the receiving side, mean over ${seconds} s after the"
echo "first second with traffic and ${warmup} s more; the median of the clean rounds (both"
echo "sides got >= 0.9 of their CPU over the window), of all rounds when none was clean;"
echo "min-max and best over all rounds. A busy-polling pair slows down a lot when either"
echo "side loses its CPU: on a shared machine read the clean figures and the best."
echo "virtio-user side on CPU $cpu_b, vhost side on CPU $cpu_a, one forwarding core each (DPDK's"
echo "main lcore, which only prints statistics, sits on the other side's CPU). cpu rx/tx: the"
echo "CPUs' worth of time the receiving / transmitting process got per round (1.00 = all of one)."
echo "mpdp endpoints: $mpdp_app. Compare only figures of one run."
if ((${#failed_rows[@]} > 0)); then
	echo
	echo "failed rows (${#failed_rows[@]}):"
	for f in "${failed_rows[@]}"; do echo "  $f"; done
else
	echo
	echo "failed rows: none"
fi
echo
echo "command: $the_cmd"
echo "commands (last row that ran each kind of side; SOCK, prefixes and sizes vary per row):"
for kk in $(printf '%s\n' "${!cmds[@]}" | sort); do
	echo "# $kk"
	echo "  ${cmds[$kk]}"
done
exit 0
