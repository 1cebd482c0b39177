#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_real_sysfs.sh - DESIGN.md rule 4 on this machine's real /sys.
#
# mpdp-l2fwd runs as the primary with the real PCI bus (no --sysfs-root) and
# two null ports, under strace. Its virtio devices are bound to virtio-pci,
# so every one of them must be skipped and listed by mpdp-proc-info
# --skipped with kdrv=virtio-pci, and the virtio-net one (which the virtio
# stub driver matches) must get a NOTICE line naming its ids and kernel
# driver. And the scan must never touch a device: no open of a config or
# resource file, no open of a uio or vfio node, no open of anything under
# /sys for writing.
#
# usage: test_real_sysfs.sh L2FWD PROC_INFO     exit 0 pass, 1 fail, 77 skip
set -u
l2fwd=$1
proc_info=$2

if ! compgen -G "/sys/bus/pci/devices/*" >/dev/null; then
	echo "SKIP: this machine has no PCI devices in /sys"
	exit 77
fi
if ! command -v strace >/dev/null; then
	echo "SKIP: strace is not installed"
	exit 77
fi

dir=$(mktemp -d /dev/shm/mpdp-realsys-XXXXXX) || exit 1
prefix=realsys-$$
pid=
cleanup() {
	if [[ -n $pid ]]; then
		pkill -KILL -P "$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

rt=(--prefix "$prefix" --runtime-dir "$dir/rt" --no-huge)
# LeakSanitizer cannot run under ptrace; the other sanitizers still do
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=open,openat,openat2 -o "$dir/trace" \
	"$l2fwd" "${rt[@]}" --mem 32M --vdev net_null0 --vdev net_null1 -- --idle-us 100 \
	>"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 1 200); do
	grep -q '^ready' "$dir/out" && break
	sleep 0.05
done
grep -q '^ready' "$dir/out" || { bad "l2fwd did not start: $(cat "$dir/err")"; exit 1; }

"$proc_info" "${rt[@]}" -- --skipped >"$dir/skipped" 2>&1 || bad "proc-info --skipped failed: $(cat "$dir/skipped")"
# stop l2fwd itself (strace, its parent, then exits with its status)
pkill -TERM -P "$pid"
wait "$pid" || bad "l2fwd exited with $?"
pid=

# every device bound to virtio-pci is listed as skipped, with its kernel driver
n=0
for d in /sys/bus/pci/devices/*; do
	addr=${d##*/}
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	[[ $drv == virtio-pci ]] || continue
	n=$((n + 1))
	grep -q "name=$addr .*kdrv=virtio-pci" "$dir/skipped" ||
		bad "$addr (virtio-pci) is not listed as skipped: $(cat "$dir/skipped")"
	vendor=$(cat "$d/vendor") device=$(cat "$d/device")
	if [[ $vendor == 0x1af4 && ($device == 0x1000 || $device == 0x1041) ]]; then
		grep -q "skipping $addr (${vendor#0x}:${device#0x}, kernel driver virtio-pci)" "$dir/err" ||
			bad "no NOTICE line for the virtio-net device $addr: $(cat "$dir/err")"
	fi
done
echo "$n device(s) on virtio-pci, all listed as skipped"

# nothing of a device was opened: only attribute files, read-only
# (the scan opens attributes relative to each device directory: "vendor", ...)
if grep -E 'open(at2?)?\(.*("(/sys/[^"]*/)?(config|resource[0-9]+(_wc)?)"|"/dev/uio|"/dev/vfio)' \
	"$dir/trace" >"$dir/touched"; then
	bad "the primary opened device files: $(head -5 "$dir/touched")"
fi
if grep -E 'open(at2?)?\(.*"/sys/[^"]*".*(O_WRONLY|O_RDWR)' "$dir/trace" >"$dir/written"; then
	bad "the primary opened sysfs files for writing: $(head -5 "$dir/written")"
fi
opened=$(grep -cE 'open(at2?)?\(.*"/sys/bus/pci/devices' "$dir/trace")
echo "sysfs opens under /sys/bus/pci/devices: $opened, none of them a device file"
((opened > 0)) || bad "the trace shows no PCI scan at all"
[[ -d $dir/rt/$prefix ]] && bad "runtime directory left behind: $(ls "$dir/rt/$prefix")"
((fail == 0)) && echo "PASS"
exit $fail
