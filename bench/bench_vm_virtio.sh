#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034 # the VM_* options are read by vm_lib.sh
#
# bench_vm_virtio.sh - io forwarding over four virtio-net PCI NICs inside a
# QEMU guest: mpdp-l2fwd (net_virtio over PCI) against DPDK 22.11 testpmd
# (its virtio PMD) on the same NICs, in the same boot, side by side.
#
# The guest is the one of tests/vm/test_vm_virtio_pci.sh (tests/vm/vm_lib.sh,
# the payload tests/vm/pci_payload.sh in its bench mode): five virtio-net
# NICs, 00:03.0 left to the kernel, the data NICs on two QEMU hubs (hub 1 =
# 00:04.0 + 00:09.0, hub 2 = 00:0a.0 + 00:0b.0), so each port pair is a
# loop. One boot per variant (see that test's header for what they are);
# in each, one after the other, for --seconds of forwarding:
#   DPDK: dpdk-testpmd -l 0-1 [EAL memory options] -a 00:04.0 -a 00:09.0
#         -a 00:0a.0 -a 00:0b.0 -- --forward-mode=io --tx-first
#         --stats-period 1 --total-num-mbufs=8192  (1 forwarding core: lcore 1)
#   mpdp: mpdp-l2fwd -l 1 --mem 128M -- -p 0xf --tx-first 1 --duration S -T 1
#         (one lcore on the same CPU; one burst of 32 per port injected, as
#         testpmd's --tx-first)
# The figure: frames received per second summed over the four ports, the
# mean of the one-second samples (the first one left out), for both.
#
# Without KVM the guest runs under TCG (emulation): the figures then measure
# QEMU's emulation of the guest's CPU and of the virtio devices far more than
# either forwarder; they compare the two drivers on the same emulated
# hardware, nothing else. The table says which accelerator ran.
#
# Usage: bench_vm_virtio.sh [options]
#   --seconds S        forwarding time per run (default 8)
#   --variants 'V...'  legacy-uio modern-uio modern-vfio legacy-vfio
#                      (default: legacy-uio modern-vfio)
#   --no-dpdk          mpdp only
#   -h, --help         this text
# Environment: MPDP_BUILD (default build-bench-vm, set up with
# --buildtype=release and built when missing), DPDK_TESTPMD (default:
# dpdk-testpmd in PATH). Needs root and QEMU (tests/vm/build-guest.sh).
# Benchmarks measure, they never gate: exit 0 unless the build or a guest
# fails outright (77: cannot run here).

set -uo pipefail
me=bench_vm_virtio.sh
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
cd "$root" || exit 1
# shellcheck source=../tests/vm/vm_lib.sh
source "$root/tests/vm/vm_lib.sh"

seconds=8
variants="legacy-uio modern-vfio"
dpdk=1
while (($#)); do
	case $1 in
	--seconds)
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "$me: --seconds takes an integer >= 1" >&2; exit 2; }
		seconds=$2
		shift
		;;
	--variants)
		variants=${2:-}
		shift
		;;
	--no-dpdk) dpdk=0 ;;
	-h | --help)
		sed -n '/^# Usage:/,/^$/s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*) echo "$me: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
for v in $variants; do
	case $v in
	legacy-uio | modern-uio | modern-vfio | legacy-vfio) ;;
	*) echo "$me: unknown variant '$v' (legacy-uio modern-uio modern-vfio legacy-vfio)" >&2; exit 2 ;;
	esac
done
[[ -n $variants ]] || { echo "$me: --variants is empty" >&2; exit 2; }
if ((EUID != 0)); then
	echo "$me: needs root (QEMU guest); skipped"
	exit 77
fi

build=${MPDP_BUILD:-build-bench-vm}
if [[ ! -f $build/meson-private/coredata.dat ]]; then
	meson setup "$build" --buildtype=release >/dev/null || { echo "$me: meson setup $build failed" >&2; exit 1; }
fi
ninja -C "$build" apps/mpdp-l2fwd >/dev/null || { echo "$me: building $build failed" >&2; exit 1; }
l2fwd=$build/apps/mpdp-l2fwd
buildtype=$(meson introspect --buildoptions "$build" 2>/dev/null |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))' 2>/dev/null)

if ! vm_prepare; then
	echo "$me: QEMU or the guest cannot be had; skipped"
	exit 77
fi
accel=$(vm_accel_why)

work=$(mktemp -d /tmp/mpdp-bench-vmv.XXXXXX) || exit 1
cleanup()
{
	trap - EXIT INT TERM
	vm_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "$me: interrupted"; exit 130' INT TERM

apps=mpdp
tp_note=
if ((dpdk)); then
	if vm_stage_testpmd "$work/share" 2>"$work/tp.err"; then
		apps="testpmd mpdp"
		tp_ver=$(dpkg-query -W -f '${Version}' dpdk 2>/dev/null || true)
	else
		tp_note="DPDK not run: $(head -n 1 "$work/tp.err")"
	fi
fi
vm_stage "$work/share" "$l2fwd" || exit 1
cp tests/vm/pci_payload.sh "$work/share/payload.sh" || exit 1

echo "$me: io forwarding in a QEMU guest over 4 virtio-net PCI NICs, $seconds s per run"
echo "$me: accelerator $accel"
[[ ${accel%%:*} == tcg ]] &&
	echo "$me: TCG = emulation: the figures are bound by QEMU's emulation, not by the forwarders"

rows=()
failed=0
for v in $variants; do
	case $v in
	legacy-uio) machine=pc; nic=legacy; kdrv=uio_pci_generic; devid=0x1000; huge=1; iova=pa ;;
	modern-uio) machine=pc; nic=modern; kdrv=uio_pci_generic; devid=0x1041; huge=1; iova=pa ;;
	modern-vfio) machine=q35; nic=modern-iommu; kdrv=vfio-pci; devid=0x1041; huge=0; iova=va ;;
	legacy-vfio) machine=q35; nic=legacy; kdrv=vfio-pci; devid=0x1000; huge=1; iova=pa ;;
	esac
	cat >"$work/share/pci.env" <<-EOF
		VARIANT=$v
		KDRV=$kdrv
		DEVID=$devid
		HUGE=$huge
		APPS="$apps"
		MODE=bench
		BENCH_SECS=$seconds
		TESTPMD_ARGS="${VM_TESTPMD_ARGS[*]}"
	EOF
	rm -f "$work/share/result"
	vm_new
	VM_MEM=1536
	VM_SMP=2
	VM_TIMEOUT=$((seconds * 2 + 400))
	VM_MACHINE=$machine
	[[ $machine == q35 ]] && VM_IOMMU=1
	vm_share "$work/share"
	opts=$(vm_nic_opts "$nic")
	vm_add_hub_nic 0 0x03
	vm_add_hub_nic 1 0x04 "" "" "$opts"
	vm_add_hub_nic 1 0x09 "" "" "$opts"
	vm_add_hub_nic 2 0x0a "" "" "$opts"
	vm_add_hub_nic 2 0x0b "" "" "$opts"
	log=$work/$v.log
	echo "=== $v: $machine, $kdrv, NICs ${opts:-default} (1af4:${devid#0x}), IOVA $iova"
	vm_start "$log"
	vm_wait "$VM_TIMEOUT"
	vm_log "$log" >"$work/$v.txt"
	sed -n '/^MPDP-VM-PAYLOAD/,/^MPDP-VM-RESULT/p' "$work/$v.txt" | grep -E '^ +(\$|testpmd|mpdp-l2fwd|final|total)|^(FAIL|BENCH)' |
		sed 's/^/   /'
	line=$(grep '^BENCH ' "$work/$v.txt" | tail -n 1)
	rc=$(vm_result "$log") || rc=none
	if [[ -z $line ]]; then
		echo "$me: $v: no result from the guest (payload rc=$rc, QEMU status $VM_RC)" >&2
		vm_log_tail "$log" 30 >&2
		failed=$((failed + 1))
		continue
	fi
	tp=$(sed -n 's/.* testpmd_mpps=\([^ ]*\).*/\1/p' <<<"$line")
	mp=$(sed -n 's/.* mpdp_mpps=\([^ ]*\).*/\1/p' <<<"$line")
	[[ $rc == 0 ]] || echo "$me: $v: a run failed in the guest (rc=$rc): its figure is '-'"
	rows+=("$(printf '| %-11s | %-15s | %-4s | %12s | %12s |' "$v" "$kdrv" "$iova" "${tp:--}" "${mp:--}")")
done

echo
echo "io forwarding, 4 ports (2 hub loops), 64 B, Mpps received (sum of ports), $seconds s; accelerator: ${accel%%:*}"
[[ ${accel%%:*} == tcg ]] && echo "TCG: emulated CPU and devices; the numbers are emulation-bound, compare the columns only"
echo "| variant     | kernel driver   | IOVA | DPDK testpmd | mpdp-l2fwd   |"
echo "|-------------|-----------------|------|--------------|--------------|"
printf '%s\n' "${rows[@]}"
echo "DPDK: dpdk-testpmd ${tp_ver:-} (${VM_TESTPMD_ARGS[*]:-}) -l 0-1 [--no-huge -m 128 | --iova-mode=pa -m 128 | -m 128] -a 0000:00:04.0 -a 0000:00:09.0 -a 0000:00:0a.0 -a 0000:00:0b.0 -- --forward-mode=io --tx-first --stats-period 1 --total-num-mbufs=8192"
echo "mpdp: $l2fwd (buildtype ${buildtype:-?}) -l 1 --mem 128M -- -p 0xf --tx-first 1 --duration $seconds -T 1"
[[ -n $tp_note ]] && echo "$tp_note"
((failed == 0))
