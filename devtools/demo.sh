#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# demo.sh - build mpdp and show three processes sharing ports; no hardware
# or hugepages needed.
#
# Installs the build dependencies if missing, builds into build/, then:
#   1. mpdp-l2fwd, the primary, creates four ring ports: 0 and 1, which it
#      forwards between, and 2 and 3, cabled to 0 and 1, which it sets up for
#      secondaries;
#   2. mpdp-pktgen, a secondary, sends numbered frames on port 2 and checks
#      them as they come back on port 3 (2 -> 0 -> l2fwd -> 1 -> 3);
#   3. mpdp-proc-info, another secondary, shows the processes, the ports with
#      their queues' owners, and the live counters a few times;
#   4. everything stops cleanly and a summary is printed.
# Extra arguments are passed to every tool as runtime options, e.g.
#   ./devtools/demo.sh --log-level info
# Exit status: 0 when every step worked and nothing was left behind.

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
cd "$root" || exit 1

# shellcheck source=devtools/demo_lib.sh
. devtools/demo_lib.sh

demo_build mpdp-l2fwd mpdp-pktgen mpdp-proc-info
prefix=demo-$$
demo_setup pgpid l2pid
rt=(--prefix "$prefix" --runtime-dir "$rtdir" "$@")
l2pid=
pgpid=

# wait_exit PID SECONDS: wait for a child; its exit status, or 124 on time-out.
wait_exit()
{
	local end=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		((SECONDS < end)) || return 124
		sleep 0.1
	done
	wait "$1"
}

say "starting mpdp-l2fwd (primary): ports 0<->1 forwarded, 2 and 3 cabled to them"
"$bin/mpdp-l2fwd" "${rt[@]}" --proc-type primary --no-pci \
	--vdev net_ring0,size=4096 --vdev net_ring1,size=4096 \
	--vdev net_ring2,size=4096,peer=net_ring0 --vdev net_ring3,size=4096,peer=net_ring1 \
	-- -p 0x3 -T 1 >"$logs/l2fwd.out" 2>"$logs/l2fwd.err" &
l2pid=$!
if ! wait_line "$logs/l2fwd.out" '^ready ' 15 "$l2pid"; then
	fail "mpdp-l2fwd did not start"
	show l2fwd "$logs/l2fwd.err"
	exit 1
fi
show l2fwd "$logs/l2fwd.out"

say "starting mpdp-pktgen (secondary): 4 s of 64-byte frames at 100000/s, 4 flows, port 2 -> port 3"
"$bin/mpdp-pktgen" "${rt[@]}" --proc-type secondary \
	-- --tx-port 2 --rx-port 3 --size 64 --flows 4 --rate 100000 --duration 4 \
	--drain-ms 1000 >"$logs/pktgen.out" 2>"$logs/pktgen.err" &
pgpid=$!
if ! wait_line "$logs/pktgen.out" '^ready ' 10 "$pgpid"; then
	fail "mpdp-pktgen did not start"
	show pktgen "$logs/pktgen.err"
	exit 1
fi

say "mpdp-proc-info (secondary): processes and ports"
if ! "$bin/mpdp-proc-info" "${rt[@]}" -- --processes --ports >"$logs/info.out" \
	2>"$logs/info.err"; then
	fail "mpdp-proc-info --processes --ports"
	show proc-info "$logs/info.err"
fi
show proc-info "$logs/info.out"
nprocs=$(grep -c '^process ' "$logs/info.out")

say "mpdp-proc-info: live counters, once a second"
if ! "$bin/mpdp-proc-info" "${rt[@]}" -- --stats -p 0xf --interval 1 --count 3 \
	>"$logs/live.out" 2>"$logs/live.err"; then
	fail "mpdp-proc-info --stats"
	show proc-info "$logs/live.err"
fi
grep -E '^(sample|stats) ' "$logs/live.out" | sed 's/^/  [proc-info] /'

wait_exit "$pgpid" 20
rc=$?
pgpid=
show pktgen "$logs/pktgen.out"
((rc == 0)) || { fail "mpdp-pktgen exited $rc"; show pktgen "$logs/pktgen.err"; }

say "stopping mpdp-l2fwd (SIGINT)"
kill -INT "$l2pid" 2>/dev/null
wait_exit "$l2pid" 15
rc=$?
l2pid=
grep -E '^(final|total) ' "$logs/l2fwd.out" | sed 's/^/  [l2fwd] /'
((rc == 0)) || { fail "mpdp-l2fwd exited $rc"; show l2fwd "$logs/l2fwd.err"; }

# Summary
res=$(grep '^pktgen ' "$logs/pktgen.out")
tot=$(grep '^total ' "$logs/l2fwd.out")
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
sent=$(field sent "$res")
received=$(field received "$res")
lost=$(field lost "$res")
bad=$(field bad "$res")
dup=$(field dup "$res")
if [[ -z $sent || -z $tot ]]; then
	fail "a tool did not print its result"
elif ((received == 0)); then
	fail "no frame came back"
elif ((bad != 0 || dup != 0)); then
	fail "$bad bad and $dup duplicated frames"
fi
leftover=$(find "$rtdir" -mindepth 1 | head -5)
[[ -z $leftover ]] || fail "left in the runtime directory: $leftover"

echo
say "summary"
say "  processes attached at once:  $nprocs (l2fwd, pktgen, proc-info)"
say "  pktgen:  sent $sent, received $received, lost $lost, bad $bad, duplicated $dup"
say "  l2fwd:   $(field rx "$tot") received, $(field tx "$tot") sent, $(field dropped "$tot") dropped"
if ((failed)); then
	say "FAILED (the tools' output is in $logs)"
	exit 1
fi
((lost == 0)) || say "  (frames were lost: the CPUs could not keep up with the rate)"
say "OK: three processes shared four ports; everything stopped cleanly"
exit 0
