#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_bad_input.sh - mpdp-l2fwd refuses bad interfaces, bad net_af_packet
# device arguments and bad pcap files cleanly.
#
# Every case starts mpdp-l2fwd as the primary with the bad device first and a
# good net_null port second (so the pair is complete and only the bad device
# can be wrong), bounded by --duration and timeout(1). Each must:
#   - exit non-zero (not by timeout or signal),
#   - write exactly one line to stderr, naming what was wrong: the case's
#     pattern (the key, the interface, the file; grep -E, any case) must
#     match the line with the echoed --vdev string taken out, since that
#     string contains every key and value and so names nothing by itself,
#   - leave nothing behind: its runtime directory (given with --runtime-dir,
#     private to the test) empty, no file with the test's tag in /dev/shm or
#     the default runtime directories, no new network namespace or link with
#     the tag, no file beside the inputs in the test's directory, no process.
# A veth pair (tag-x, tag-y) gives the devargs cases an interface that
# exists, so that only the argument under test is wrong.
#
# Cases of a driver this build does not have (l2fwd says "no virtual device
# driver for ...") are skipped with a note; the test skips (77) when every
# case is skipped, or when not root (packet sockets and veth need it).
#
# usage: test_bad_input.sh [L2FWD]     (default: $MPDP_APP_L2FWD)
set -euo pipefail

l2fwd=${1:-${MPDP_APP_L2FWD:-}}

if ((EUID != 0)); then
	echo "SKIP: needs root (veth pairs, packet sockets)"
	exit 77
fi
if [[ -z $l2fwd || ! -x $l2fwd ]]; then
	echo "FAIL: mpdp-l2fwd '$l2fwd' not found (give it or set MPDP_APP_L2FWD)"
	exit 1
fi

tag=mpdpb-$$
vx=$tag-x
vy=$tag-y
tmp=
rt=
made_links=()

leftovers()
{
	ip netns list 2>/dev/null | grep -F -- "$tag" | sed 's/^/netns: /' || true
	ip -o link show 2>/dev/null | grep -F -- "$tag" | awk -F': ' '{ print "link: " $2 }' |
		grep -vxF -e "link: $vx@$vy" -e "link: $vy@$vx" || true
	find /dev/shm /run/mpdp /dev/shm/mpdp -maxdepth 1 -name "*$tag*" 2>/dev/null |
		grep -vxF -- "${rt:-/nonexistent}" | sed 's/^/file: /' || true
}

cleanup()
{
	local rc=$? n left
	trap - EXIT INT TERM
	set +e
	for n in ${made_links[@]+"${made_links[@]}"}; do
		ip link del "$n" 2>/dev/null
	done
	[[ -n $rt ]] && rm -rf "$rt"
	[[ -n $tmp ]] && rm -rf "$tmp"
	left=$(ip -o link show 2>/dev/null | grep -F -- "$tag")
	if [[ -n $left ]]; then
		echo "FAIL: left behind after the clean-up: $left"
		rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

tmp=$(mktemp -d "/tmp/$tag.XXXXXX")
rt=$(mktemp -d "/dev/shm/$tag-rt.XXXXXX")
ip link add "$vx" type veth peer name "$vy"
made_links+=("$vx")
echo 1 >"/proc/sys/net/ipv6/conf/$vx/disable_ipv6"
echo 1 >"/proc/sys/net/ipv6/conf/$vy/disable_ipv6"
ip link set "$vx" up
ip link set "$vy" up

# pcap inputs
python3 - "$tmp" <<-'EOF'
	import struct, sys
	d = sys.argv[1]
	hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
	frame = bytes.fromhex("ffffffffffff020000000001") + b"\x88\xb5" + bytes(46)
	rec = struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame
	open(d + "/notpcap.pcap", "wb").write(b"this is not a pcap file, just text\n" * 20)
	open(d + "/short-header.pcap", "wb").write(hdr[:10])
	open(d + "/short-record.pcap", "wb").write(hdr + rec + rec[:16 + 20])
	open(d + "/empty.pcap", "wb").write(b"")
	EOF
inputs=$(cd "$tmp" && ls | sort)

fails=0
passes=0
skips=0
prefix_n=0

# $1 case name, $2 what the error line must name (grep -E pattern, outside the
# echoed --vdev string), $3 the bad --vdev
bad_case()
{
	local name=$1 word=$2 vdev=$3 rc=0 prefix lines err left
	prefix_n=$((prefix_n + 1))
	prefix=$tag-$prefix_n
	timeout -s KILL 30 "$l2fwd" --prefix "$prefix" --runtime-dir "$rt" --proc-type primary \
		--no-pci --no-huge --mem 64M -l 0 --vdev "$vdev" --vdev net_null1 -- --duration 2 \
		>"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
	err=$(cat "$tmp/err")
	if grep -q "no virtual device driver for" "$tmp/err"; then
		echo "SKIP $name: this build has no such driver: $err"
		skips=$((skips + 1))
		rm -f "$tmp/out" "$tmp/err"
		return 0
	fi
	lines=$(grep -c . "$tmp/err" || true)
	local why=
	if ((rc == 0)); then
		why="exit status 0"
	elif ((rc >= 124)); then
		why="exit status $rc (timeout or signal)"
	elif ((lines != 1)); then
		why="$lines lines on stderr, expected 1"
	elif ! grep -qiE -- "$word" <<<"${err//"'$vdev'"/}"; then
		why="the error line does not name '$word' (besides echoing the --vdev string)"
	fi
	rm -f "$tmp/out" "$tmp/err"
	left=$(cd "$rt" && find . -mindepth 1 | head -5)
	[[ -n $left ]] && why+="${why:+; }left in the runtime directory: $left"
	left=$(leftovers | tr '\n' ' ')
	[[ -n $left ]] && why+="${why:+; }left behind: $left"
	left=$(cd "$tmp" && ls | sort)
	[[ $left != "$inputs" ]] && why+="${why:+; }new files beside the inputs: $(comm -13 <(echo "$inputs") <(echo "$left") | tr '\n' ' ')"
	if pgrep -f -- "--prefix $prefix " >/dev/null; then
		why+="${why:+; }a process of prefix $prefix still runs"
	fi
	if [[ -n $why ]]; then
		echo "FAIL $name (--vdev '$vdev'): $why"
		[[ -n $err ]] && sed 's/^/    stderr: /' <<<"$err"
		fails=$((fails + 1))
	else
		echo "ok   $name: exit $rc: $err"
		passes=$((passes + 1))
	fi
}

# ---- net_af_packet
bad_case missing_iface "$tag-none|interface|no such device" "net_af_packet0,iface=$tag-none"
bad_case no_iface_key "iface|interface" "net_af_packet0"
bad_case empty_iface "iface|interface" "net_af_packet0,iface="
bad_case iface_too_long "iface|interface" "net_af_packet0,iface=$tag-toolongname"
bad_case queues_zero queues "net_af_packet0,iface=$vx,queues=0"
bad_case queues_word queues "net_af_packet0,iface=$vx,queues=two"
bad_case queues_huge queues "net_af_packet0,iface=$vx,queues=100000"
bad_case framesz_small framesz "net_af_packet0,iface=$vx,framesz=7"
bad_case framecnt_zero framecnt "net_af_packet0,iface=$vx,framecnt=0"
bad_case qdisc_bypass_2 qdisc_bypass "net_af_packet0,iface=$vx,qdisc_bypass=2"
bad_case fanout_bogus fanout "net_af_packet0,iface=$vx,fanout=bogus"
bad_case unknown_key bogus "net_af_packet0,iface=$vx,bogus=1"

# ---- net_pcap
bad_case pcap_not_pcap notpcap.pcap "net_pcap0,rx_pcap=$tmp/notpcap.pcap"
bad_case pcap_short_header short-header.pcap "net_pcap0,rx_pcap=$tmp/short-header.pcap"
bad_case pcap_short_record short-record.pcap "net_pcap0,rx_pcap=$tmp/short-record.pcap"
bad_case pcap_empty empty.pcap "net_pcap0,rx_pcap=$tmp/empty.pcap"
bad_case pcap_missing no-such.pcap "net_pcap0,rx_pcap=$tmp/no-such.pcap"

echo "$passes ok, $fails failed, $skips skipped"
((fails > 0)) && exit 1
((passes == 0)) && { echo "SKIP: no case could run (drivers missing)"; exit 77; }
exit 0
