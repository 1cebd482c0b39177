#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034 # the VM_* options are read by vm_lib.sh
#
# test_vm_virtio_pci.sh - net_virtio over PCI in a QEMU guest shaped like
# field report 000 (issue 7): five virtio-net NICs, 00:03.0 the management
# port on the kernel's virtio-pci, the data NICs on QEMU hubs (hub 1 =
# 00:04.0 + 00:09.0, ports 0 and 1; hub 2 = 00:0a.0 + 00:0b.0, ports 2 and 3).
# One boot per variant:
#
#   legacy-uio   pc, legacy-only NICs (disable-modern=on, 1af4:1000, I/O BAR),
#                uio_pci_generic, hugepages, IOVA pa (auto)
#   modern-uio   pc, modern-only NICs (disable-legacy=on, 1af4:1041),
#                uio_pci_generic, hugepages, IOVA pa (auto)
#   modern-vfio  q35 + intel-iommu, modern NICs with iommu_platform=on,
#                vfio-pci, no hugepages, IOVA va (auto)
#   legacy-vfio  q35 + intel-iommu, legacy NICs, vfio-pci: their DMA bypasses
#                the IOMMU, so physical addresses: first mpdp-l2fwd without
#                hugepages must exit non-zero with one line naming them,
#                then the steps with hugepages, IOVA pa (auto)
#
# The guest (tests/vm/pci_payload.sh) binds the NICs, then runs the field
# reports literally: 000 (l2fwd -p 0x6 primary, pktgen 0 -> 3 and
# proc-info secondaries), 003 (l2fwd -p 0x3, mp-worker echo on port 2,
# pktgen 3 -> 3 with 3000-byte frames: mergeable buffers; mp-worker
# SIGKILLed, l2fwd alive, devices untouched, a new worker takes over),
# l2fwd on all four ports with --tx-first and its reset at exit, and checks
# that the secondary opened no device file. PASS/FAIL lines per step.
#
# usage: test_vm_virtio_pci.sh VARIANT
# environment:
#   MPDP_APP_L2FWD, MPDP_APP_PKTGEN, MPDP_APP_PROC_INFO, MPDP_APP_MP_WORKER
#                        the tools (meson sets them; ASan builds are fine)
#   MPDP_TEST_PCI_TOOL   mpdp-test-pci-tool (device status), optional
#   MPDP_VM_PCI_APPS     what runs in the guest: "mpdp" (default), "testpmd"
#                        (DPDK's testpmd io forwarding only: validates the
#                        guest's set-up), or "testpmd mpdp"
#   DPDK_TESTPMD         testpmd for that (default: dpdk-testpmd in PATH)
#   MPDP_VM_KEEP=1       keep the temporary directory (logs, share)
# exit 0 pass, 1 fail, 77 skip (not root, no QEMU/guest, no testpmd when asked)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm_lib.sh
source "$here/vm_lib.sh"

variant=${1:-}
apps=${MPDP_VM_PCI_APPS:-mpdp}

case $variant in
legacy-uio) machine=pc; nic=legacy; kdrv=uio_pci_generic; devid=0x1000; huge=1; nohuge_check=0 ;;
modern-uio) machine=pc; nic=modern; kdrv=uio_pci_generic; devid=0x1041; huge=1; nohuge_check=0 ;;
modern-vfio) machine=q35; nic=modern-iommu; kdrv=vfio-pci; devid=0x1041; huge=0; nohuge_check=0 ;;
legacy-vfio) machine=q35; nic=legacy; kdrv=vfio-pci; devid=0x1000; huge=1; nohuge_check=1 ;;
*) echo "test_vm_virtio_pci.sh: unknown variant '$variant' (legacy-uio, modern-uio, modern-vfio, legacy-vfio)" >&2; exit 2 ;;
esac
for a in $apps; do
	[[ $a == mpdp || $a == testpmd ]] || { echo "test_vm_virtio_pci.sh: MPDP_VM_PCI_APPS: unknown '$a' (mpdp, testpmd)" >&2; exit 2; }
done

if ((EUID != 0)); then
	echo "SKIP: needs root (QEMU, 9p share with security_model=none)"
	exit 77
fi

tmp=
status_ok=0
t_start=$(date +%s)
cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	set +e
	vm_stop
	if ((rc != 0)) && [[ -n $tmp && -e $tmp/guest.log ]]; then
		vm_log_tail "$tmp/guest.log" 40
	fi
	if [[ -n $tmp ]]; then
		if [[ ${MPDP_VM_KEEP:-0} == 1 ]]; then
			echo "kept $tmp"
		else
			rm -rf "$tmp"
		fi
	fi
	((rc == 0 && status_ok)) && echo "PASS $variant ($(($(date +%s) - t_start)) s)"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM
fail() { echo "FAIL: $*"; exit 1; }
say() { echo "[$(date +%H:%M:%S)] $*"; }

bins=()
if [[ " $apps " == *" mpdp "* ]]; then
	for v in MPDP_APP_L2FWD MPDP_APP_PKTGEN MPDP_APP_PROC_INFO MPDP_APP_MP_WORKER; do
		b=${!v:-}
		[[ -n $b && -x $b ]] || fail "$v is not set to an executable (run through meson, or set it)"
		bins+=("$b")
	done
fi
pci_tool=${MPDP_TEST_PCI_TOOL:-}
[[ -z $pci_tool || -x $pci_tool ]] || fail "MPDP_TEST_PCI_TOOL=$pci_tool is not an executable"

if ! vm_prepare; then
	echo "SKIP: QEMU or the guest kernel cannot be installed (see above)"
	exit 77
fi
say "variant $variant: $machine machine, $kdrv, NICs $(vm_nic_opts "$nic" || true) (1af4:${devid#0x}); accelerator: $(vm_accel_why)"
tmp=$(mktemp -d /tmp/mpdp-vmpci.XXXXXX)
share=$tmp/share
mkdir -p "$share"

VM_TESTPMD_ARGS=()
if [[ " $apps " == *" testpmd "* ]]; then
	if ! vm_stage_testpmd "$share" 2>"$tmp/tp.err"; then
		cat "$tmp/tp.err"
		echo "SKIP: MPDP_VM_PCI_APPS asks for testpmd, which cannot be staged"
		exit 77
	fi
fi
if ((${#bins[@]})); then
	vm_stage "$share" "${bins[@]}" || fail "vm_stage of the tools"
	# the payload calls the tools by their installed names
	for v in MPDP_APP_L2FWD:mpdp-l2fwd MPDP_APP_PKTGEN:mpdp-pktgen MPDP_APP_PROC_INFO:mpdp-proc-info \
		MPDP_APP_MP_WORKER:mpdp-mp-worker; do
		k=${v%%:*}
		b=${!k}
		[[ ${b##*/} == "${v#*:}" ]] || ln -sf "${b##*/}" "$share/bin/${v#*:}"
	done
fi
tool_name=
if [[ -n $pci_tool && " $apps " == *" mpdp "* ]]; then
	vm_stage "$share" "$pci_tool" || fail "vm_stage $pci_tool"
	tool_name=${pci_tool##*/}
fi
cp "$here/pci_payload.sh" "$share/payload.sh"
cat >"$share/pci.env" <<EOF
VARIANT=$variant
KDRV=$kdrv
DEVID=$devid
HUGE=$huge
NOHUGE_CHECK=$nohuge_check
APPS="$apps"
MODE=test
TESTPMD_ARGS="${VM_TESTPMD_ARGS[*]}"
PCI_TOOL=$tool_name
TOOL_IOVA="$([[ $variant == modern-vfio ]] || echo --iova-mode pa)"
EOF

vm_new
VM_MEM=1536
VM_SMP=2
VM_TIMEOUT=${MPDP_VM_TIMEOUT:-570}
VM_MACHINE=$machine
[[ $machine == q35 ]] && VM_IOMMU=1
vm_share "$share"
opts=$(vm_nic_opts "$nic")
vm_add_hub_nic 0 0x03                  # management: alone on hub 0
vm_add_hub_nic 1 0x04 "" "" "$opts"    # port 0
vm_add_hub_nic 1 0x09 "" "" "$opts"    # port 1
vm_add_hub_nic 2 0x0a "" "" "$opts"    # port 2
vm_add_hub_nic 2 0x0b "" "" "$opts"    # port 3
log=$tmp/guest.log
vm_start "$log"
vm_wait_line "$log" '^MPDP-VM-PAYLOAD' 240 || fail "the guest did not reach its payload"
say "guest payload started after $((($(date +%s%3N) - VM_T0) / 1000)) s"
vm_wait $((VM_TIMEOUT - 10)) || {
	vm_log "$log" | sed -n '/^MPDP-VM-PAYLOAD/,$p' | sed 's/^/   guest| /'
	fail "QEMU did not power off by itself (status $VM_RC)"
}
rc=$(vm_result "$log") || fail "no MPDP-VM-RESULT line in the serial log"
vm_log "$log" >"$tmp/guest.txt"
sed -n '/^MPDP-VM-PAYLOAD/,/^MPDP-VM-RESULT/p' "$tmp/guest.txt" | sed 's/^/   guest| /'
npass=$(grep -c '^PASS: ' "$tmp/guest.txt" || true)
nfail=$(grep -c '^FAIL: ' "$tmp/guest.txt" || true)
((rc == 0 && nfail == 0)) || fail "$variant: $nfail guest check(s) failed (payload rc=$rc)"
((npass > 0)) || fail "$variant: no guest check passed"
say "$variant: $npass guest checks passed"
status_ok=1
