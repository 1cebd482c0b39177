#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_vm_boot.sh - self-test of the QEMU harness (tests/vm/vm_lib.sh).
#
#   1. pc machine, two virtio-net NICs on one QEMU hub (00:03.0, 00:04.0), the
#      9p share with a host binary staged in it (mpdp-proc-info when given,
#      else the host's /bin/true: its libraries are the host's, not the
#      guest's), a payload from the share. The payload prints the kernel
#      version, the interfaces, the PCI devices (vendor:device and driver),
#      runs the staged binary, writes a file into the share, and the two
#      NICs ping each other's addresses across the hub (one in a network
#      namespace of the guest: the hub is the only path). Checks: the
#      result marker rc=0, the kernel version, eth0/eth1 bound to
#      virtio-net at 00:03.0/00:04.0, the file in the share, 0% loss.
#   2. q35 + intel-iommu, the five NICs of the later vfio/uio tests at
#      00:03.0, 00:04.0, 00:09.0, 00:0a.0, 00:0b.0, an inline payload
#      (mpdp.run=, no share): the guest sees the five NICs at those
#      addresses, the IOMMU is on (/sys/class/iommu has a unit, the NICs are
#      in IOMMU groups) and uio_pci_generic and vfio-pci are loaded.
#   Boot time (start to payload, start to power-off) is printed for each.
#
# usage: test_vm_boot.sh [PROC_INFO]   (default: $MPDP_APP_PROC_INFO, optional)
# exit 0 pass, 1 fail, 77 skip (not root, or QEMU cannot be installed)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm_lib.sh
source "$here/vm_lib.sh"
proc_info=${1:-${MPDP_APP_PROC_INFO:-}}

if ((EUID != 0)); then
	echo "SKIP: needs root (installs QEMU, 9p share with security_model=none)"
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
	if ((rc != 0)) && [[ -n $tmp ]]; then
		for f in "$tmp"/*.log; do
			[[ -e $f ]] && vm_log_tail "$f" 40
		done
	fi
	[[ -n $tmp ]] && rm -rf "$tmp"
	((rc == 0 && status_ok)) && echo "PASS ($(($(date +%s) - t_start)) s)"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM
fail() { echo "FAIL: $*"; exit 1; }
say() { echo "[$(date +%H:%M:%S)] $*"; }

if ! vm_prepare; then
	echo "SKIP: QEMU or the guest kernel cannot be installed (see above)"
	exit 77
fi
say "accelerator: $(vm_accel_why)"
tmp=$(mktemp -d /tmp/mpdp-vmboot.XXXXXX)

# ------------------------------------------------------------ 1. pc, hub, share

share=$tmp/share
mkdir -p "$share"
staged=/bin/true
[[ -n $proc_info && -x $proc_info ]] && staged=$proc_info
vm_stage "$share" "$staged" || fail "vm_stage $staged"
staged_name=${staged##*/}
cat >"$share/payload.sh" <<EOF
set -e
echo "kernel \$(uname -r)"
echo "netifs \$(ls /sys/class/net | tr '\n' ' ')"
for d in /sys/bus/pci/devices/*; do
	drv=-
	[ -e \$d/driver ] && drv=\$(basename \$(readlink \$d/driver))
	echo "pci \${d##*/} \$(cat \$d/vendor):\$(cat \$d/device) \$drv"
done
for i in /sys/class/net/eth*; do
	echo "nic \${i##*/} \$(basename \$(readlink -f \$i/device/..)) \$(basename \$(readlink \$i/device/driver)) \$(cat \$i/address)"
done
if [ "$staged_name" = true ]; then
	true && echo "staged true ok"
else
	$staged_name --help >/tmp/help.txt 2>&1 || true
	grep -q -- --proc-type /tmp/help.txt && echo "staged $staged_name ok"
fi
echo written-by-guest >"\$MPDP_VM_SHARE/out.txt"
# eth0 here, eth1 in another network namespace (busybox ip: netns PID):
# only the hub joins them
unshare -n sleep 600 &
ns=\$!
sleep 0.3
ip link set eth1 netns \$ns
ip addr add 10.213.0.1/24 dev eth0
ip link set eth0 up
nsenter -t \$ns -n ip addr add 10.213.0.2/24 dev eth1
nsenter -t \$ns -n ip link set eth1 up
ping -c 1 -w 10 10.213.0.2 >/dev/null || true
ping -c 5 -i 0.2 -w 10 10.213.0.2 | sed 's/^/ping: /'
kill \$ns
EOF
vm_new
VM_TIMEOUT=240
vm_share "$share"
vm_add_hub_nic 1 0x03
vm_add_hub_nic 1 0x04
log=$tmp/boot1.log
vm_start "$log"
vm_wait_line "$log" '^MPDP-VM-PAYLOAD' 180 || fail "the guest did not reach its payload"
t_payload=$(($(date +%s%3N) - VM_T0))
vm_wait 60 || fail "QEMU did not power off by itself (status $VM_RC)"
t_total=$((VM_T1 - VM_T0))
rc=$(vm_result "$log") || fail "no MPDP-VM-RESULT line in the serial log"
vm_log "$log" >"$tmp/boot1.txt"
log=$tmp/boot1.txt
sed -n '/^MPDP-VM-PAYLOAD/,/^MPDP-VM-RESULT/p' "$log" | sed 's/^/   /'
((rc == 0)) || fail "payload rc=$rc"
kver=$(cat "$(dirname "$VM_KERNEL")/stamp" | sed -n 's/.*kernel=linux-image-\([^/]*\)\/.*/\1/p')
grep -qx "kernel $kver" "$log" || fail "kernel version: expected $kver"
grep -qE '^nic eth0 0000:00:03.0 virtio_net 52:54:00:4d:50:00$' "$log" || fail "eth0 is not virtio_net at 00:03.0"
grep -qE '^nic eth1 0000:00:04.0 virtio_net 52:54:00:4d:50:01$' "$log" || fail "eth1 is not virtio_net at 00:04.0"
grep -qE '^pci 0000:00:1e.0 0x1af4:0x1009 virtio-pci$' "$log" || fail "the 9p device is not at 00:1e.0"
grep -qx "staged $staged_name ok" "$log" || fail "the staged host binary $staged_name did not run in the guest"
[[ $(cat "$share/out.txt" 2>/dev/null) == written-by-guest ]] || fail "the guest's file is not in the share"
[[ $(cat "$share/result" 2>/dev/null) == rc=0 ]] || fail "no result file rc=0 in the share"
grep -qE '^ping: .* 0% packet loss' "$log" || fail "ping across the hub failed"
say "1. pc: two hub NICs, 9p share, staged $staged_name: ok; boot to payload $((t_payload / 1000)).$((t_payload % 1000 / 100)) s, to power-off $((t_total / 1000)).$((t_total % 1000 / 100)) s"

# ------------------------------------------------------------ 2. q35 + intel-iommu, five NICs

cat >"$tmp/p2.sh" <<'EOF'
for a in 03 04 09 0a 0b; do
	d=/sys/bus/pci/devices/0000:00:$a.0
	g=-
	[ -e $d/iommu_group ] && g=$(basename $(readlink $d/iommu_group))
	echo "slot $a $(cat $d/vendor):$(cat $d/device) group=$g"
done
echo "iommus $(ls /sys/class/iommu | wc -l)"
echo "modules $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
EOF
vm_new
VM_TIMEOUT=240
VM_MACHINE=q35
VM_IOMMU=1
VM_APPEND="mpdp.run=$(base64 -w0 "$tmp/p2.sh")"
vm_add_hub_nic 1 0x03
vm_add_hub_nic 1 0x04
vm_add_hub_nic 2 0x09
vm_add_hub_nic 2 0x0a
vm_add_hub_nic 3 0x0b
log=$tmp/boot2.log
vm_start "$log"
vm_wait 200 || fail "q35: QEMU did not power off by itself (status $VM_RC)"
t_total=$((VM_T1 - VM_T0))
rc=$(vm_result "$log") || fail "q35: no MPDP-VM-RESULT line"
vm_log "$log" >"$tmp/boot2.txt"
log=$tmp/boot2.txt
sed -n '/^MPDP-VM-PAYLOAD/,/^MPDP-VM-RESULT/p' "$log" | sed 's/^/   /'
((rc == 0)) || fail "q35: payload rc=$rc"
for a in 03 04 09 0a 0b; do
	grep -qE "^slot $a 0x1af4:0x1000 group=[0-9]+$" "$log" || fail "q35: no virtio-net in an IOMMU group at 00:$a.0"
done
grep -qE '^iommus [1-9]' "$log" || fail "q35: no IOMMU in the guest"
for m in uio_pci_generic vfio_pci vfio_iommu_type1; do
	grep -qE "^modules .*\b$m\b" "$log" || fail "q35: module $m is not loaded"
done
say "2. q35 + intel-iommu: five NICs in IOMMU groups, uio_pci_generic and vfio-pci loaded; boot to power-off $((t_total / 1000)).$((t_total % 1000 / 100)) s"
status_ok=1
