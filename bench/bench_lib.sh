# shellcheck shell=bash disable=SC2034,SC2154 # variables shared with the script
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_lib.sh - what the shell benchmarks (bench_fwd.sh, bench_af_packet.sh,
# bench_dumpcap.sh) share: the common options, finding the tools and DPDK's
# testpmd, starting and stopping the processes they measure (and only those,
# by pid), the clean-up on every exit, and the arithmetic of the results.
#
# Sourced, not run. The script sets me (its name, for messages) and the
# defaults of the common options first:
#   seconds warmup rounds cpus keep_logs
# and, when it takes options of its own, defines bench_opt (see
# bench_parse_opts). Its usage is the block of its header comment from
# "# Usage:" to the first empty line.

# ---------------------------------------------------------------- options

bench_usage()
{
	sed -n '/^# Usage:/,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[-1]}"
}

# bench_parse_opts VALUED FLAGS "$@": the common options (--seconds --warmup
# --rounds --cpus --logs, -h/--help) and the script's own: the words of
# VALUED take a value, those of FLAGS none; each of them is handed to the
# script's bench_opt NAME [VALUE]. Checks the common values and sets cpu_a
# and cpu_b; a bad option is one line and exit 2.
bench_parse_opts()
{
	local valued=" --seconds --warmup --rounds --cpus --logs $1 " flags=" $2 "
	shift 2
	while (($# > 0)); do
		if [[ $valued == *" $1 "* ]]; then
			if (($# < 2)); then
				echo "$me: $1 needs a value" >&2
				exit 2
			fi
			case $1 in
			--seconds) seconds=$2 ;;
			--warmup) warmup=$2 ;;
			--rounds) rounds=$2 ;;
			--cpus) cpus=$2 ;;
			--logs) keep_logs=$2 ;;
			*) bench_opt "$1" "$2" ;;
			esac
			shift 2
		elif [[ $flags == *" $1 "* ]]; then
			bench_opt "$1"
			shift
		elif [[ $1 == -h || $1 == --help ]]; then
			bench_usage
			exit 0
		else
			echo "$me: unknown option '$1' (see --help)" >&2
			exit 2
		fi
	done
	if ! [[ $seconds =~ ^[1-9][0-9]*$ && $warmup =~ ^[0-9]+$ && $rounds =~ ^[1-9][0-9]*$ ]]; then
		echo "$me: --seconds and --rounds take an integer >= 1, --warmup >= 0" >&2
		exit 2
	fi
	if ! [[ $cpus =~ ^([0-9]+),([0-9]+)$ ]] || [[ ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]]; then
		echo "$me: --cpus takes two different CPUs, e.g. 0,1" >&2
		exit 2
	fi
	cpu_a=${BASH_REMATCH[1]}
	cpu_b=${BASH_REMATCH[2]}
}

# ---------------------------------------------------------------- tools

# bench_find_bin TOOL...: sets bin to the first of $MPDP_BUILD,
# $MPDP_BUILD/apps and build-bench/apps that holds every TOOL; else exit 2.
bench_find_bin()
{
	local d t top list
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
	bin=
	for d in ${MPDP_BUILD:+"$MPDP_BUILD" "$MPDP_BUILD/apps"} "$top/build-bench/apps"; do
		for t in "$@"; do
			[[ -x $d/$t ]] || continue 2
		done
		bin=$(cd "$d" && pwd)
		return 0
	done
	list=$(printf '%s, ' "$@")
	echo "$me: no ${list%, } in ${MPDP_BUILD:-$top/build-bench}" \
		"(build with bench/run.sh, or set MPDP_BUILD)" >&2
	exit 2
}

# bench_find_testpmd: DPDK's side. Sets testpmd ($DPDK_TESTPMD, else
# dpdk-testpmd in PATH), dpdk_version, and dpdk_reason, empty when DPDK can
# run, else why not (use_dpdk=0 asked for none; then use_dpdk is 0).
bench_find_testpmd()
{
	testpmd=${DPDK_TESTPMD:-$(command -v dpdk-testpmd 2>/dev/null)}
	dpdk_version=-
	dpdk_reason=
	if ((use_dpdk == 0)); then
		dpdk_reason=disabled_by_option
	elif [[ -z $testpmd || ! -x $testpmd ]]; then
		dpdk_reason=dpdk_testpmd_not_installed
	elif ((EUID != 0)); then
		dpdk_reason=dpdk_needs_root
	else
		dpdk_version=$(pkg-config --modversion libdpdk 2>/dev/null ||
			dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo unknown)
	fi
	[[ -n $dpdk_reason ]] && use_dpdk=0
	return 0
}

# ---------------------------------------------------------------- processes

# bench_setup NAME: the runtime directory rtdir (/dev/shm/mpdp-bench-NAME.*)
# and the log directory logs (--logs, else a temporary one), the clean-up on
# every exit (bench_cleanup), and this script pinned to CPU A so that its
# polling stays off the measured CPU B (what it starts gets the CPUs it had:
# each tool pins its threads itself).
bench_setup()
{
	rtdir=$(mktemp -d "/dev/shm/mpdp-bench-$1.XXXXXX") || exit 1
	if [[ -n $keep_logs ]]; then
		mkdir -p "$keep_logs" && logs=$(cd "$keep_logs" && pwd) || exit 1
	else
		logs=$(mktemp -d "/tmp/mpdp-bench-$1-logs.XXXXXX") || exit 1
	fi
	pids=()
	dpdk_prefixes=()
	trap bench_cleanup EXIT
	trap 'echo "$me: interrupted" >&2; exit 130' INT TERM HUP
	cpus_all=$(taskset -pc $$ 2>/dev/null | sed -n 's/.*: *//p')
	pin=()
	if [[ -n $cpus_all ]] && taskset -pc "$cpu_a" $$ >/dev/null 2>&1; then
		pin=(taskset -c "$cpus_all")
	fi
}

# Stop what is left (SIGINT to all, then each as stop_pid does), remove
# DPDK's runtime directories (dpdk_prefixes), run the script's
# bench_cleanup_more if it has one, remove rtdir and the temporary logs.
bench_cleanup()
{
	local p
	trap - EXIT INT TERM HUP
	for p in "${pids[@]}"; do
		alive "$p" && kill -INT "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		stop_pid "$p"
	done
	for p in "${dpdk_prefixes[@]}"; do
		rm -rf "/var/run/dpdk/$p"
	done
	declare -F bench_cleanup_more >/dev/null && bench_cleanup_more
	rm -rf "$rtdir"
	[[ -z $keep_logs ]] && rm -rf "$logs"
}

# A child of ours that has not exited (an exited one is a zombie until waited for).
alive()
{
	local line rest
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	rest=${line##*) } # the state follows "(comm) "
	[[ -n $rest && ${rest:0:1} != Z && ${rest:0:1} != X ]]
}

# Stop one process we started: SIGINT (and SIGCONT, in case it was stopped
# with SIGSTOP; harmless otherwise), then SIGKILL after 10 s.
stop_pid()
{
	local p=$1 i
	if alive "$p"; then
		kill -INT "$p" 2>/dev/null
		kill -CONT "$p" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			alive "$p" || break
			sleep 0.1
		done
		alive "$p" && kill -KILL "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null
	return 0
}

# Start a command in the background, its output in $1; sets $started.
start()
{
	local out=$1
	shift
	: >"$out" # exists before the first look at it
	"${pin[@]}" "$@" >"$out" 2>&1 </dev/null &
	started=$!
	pids+=("$started")
}

# The clean-up no longer needs to stop pid $1 (stopped already).
forget()
{
	local p keep=()
	for p in "${pids[@]}"; do
		[[ $p != "$1" ]] && keep+=("$p")
	done
	pids=("${keep[@]}")
}

# wait_until PID SECONDS COMMAND...: poll COMMAND every 0.1 s until it
# succeeds (0), PID has exited or SECONDS passed (1).
wait_until()
{
	local pid=$1 limit=$2 t=0
	shift 2
	until "$@"; do
		alive "$pid" || return 1
		((t >= limit * 10)) && return 1
		sleep 0.1
		t=$((t + 1))
	done
	return 0
}

# Wait until log $1 of pid $2 has a line matching $3 (at most $4 s).
wait_line()
{
	wait_until "$2" "$4" grep -aqE "$3" "$1" 2>/dev/null
}

# Print a command as it can be pasted into a shell.
show_cmd()
{
	local a out='' q="'\\''"
	for a in "$@"; do
		[[ $a =~ ^[A-Za-z0-9_./=:@,+%-]+$ ]] || a="'${a//\'/$q}'"
		out+="${out:+ }$a"
	done
	printf '%s' "$out"
}

side_failed()
{
	echo "$me: $1 failed; the end of its log:" >&2
	tail -n 15 "$2" | sed 's/^/    /' >&2
}

# ---------------------------------------------------------------- figures

# mpdp-l2fwd's forwarded Mpps per period of log $1 (its -T 1 lines): both
# ports' tx_mpps of a period summed, one line per period.
l2fwd_rates()
{
	awk '/^stats port=/ { for (i = 1; i <= NF; i++) if ($i ~ /^tx_mpps=/) {
		sub(/^tx_mpps=/, "", $i); s += $i }
		if (++n % 2 == 0) { printf "%.3f\n", s; s = 0 } }' "$1"
}

# The mean of lines $1+1 .. $1+seconds of stdin (one figure a line), or
# "fail" when there are fewer.
mean_after()
{
	awk -v a="$1" -v c="$seconds" 'NR > a && NR <= a + c { s += $1; n++ }
		END { if (n == c) printf "%.2f\n", s / n; else print "fail" }'
}

# The median of the numbers among the words of stdin, with $1 decimals
# (default 2), or "fail" when there is none.
median()
{
	tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | awk -v f="%.${1:-2}f\n" '{ v[NR] = $1 }
		END { if (NR == 0) print "fail"; else if (NR % 2) printf f, v[(NR + 1) / 2];
		      else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# $1 / $2 with 2 decimals, or n/a unless both are numbers and $2 > 0.
ratio()
{
	if [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && awk -v d="$2" 'BEGIN { exit !(d > 0) }'; then
		awk -v m="$1" -v d="$2" 'BEGIN { printf "%.2f", m / d }'
	else
		echo n/a
	fi
}
