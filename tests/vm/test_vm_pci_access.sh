#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_vm_pci_access.sh - the PCI device-access API (include/mpdp/mpdp_pci.h)
# on real virtio-net devices in a QEMU guest, through mpdp-test-pci-tool.
#
# One boot of q35 + intel-iommu with five virtio-net NICs on QEMU hubs:
#   00:03.0  transitional, left on virtio-pci (management port)
#   00:04.0  legacy only (disable-modern=on, 1af4:1000, I/O BAR0) -> uio_pci_generic
#   00:09.0  legacy only                                          -> vfio-pci
#   00:0a.0  modern only, behind the IOMMU (1af4:1041)            -> uio_pci_generic
#   00:0b.0  modern only, behind the IOMMU                        -> vfio-pci
# In the guest (hugepages reserved, /dev/hugepages mounted by guest-init.sh):
#   1. status of every data NIC before anything (uio devices in IOVA mode pa,
#      vfio 00:0b.0 in the default mode, va);
#   2. check 00:0b.0 in mode va (one vfio container, the heap at IOVA 0);
#   3. check 00:09.0 and 00:0b.0 together in mode va (two groups, one
#      container);
#   4. check 00:04.0 00:09.0 00:0a.0 in mode pa (uio port I/O and MMIO, vfio
#      with the heap mapped at its physical addresses);
#   5. refusals: a uio device in mode va (-ENOTSUP, "IOVA mode must be
#      pa"), the management NIC on virtio-pci, a vfio group that another
#      process holds open (-EBUSY);
#   6. status again: the checks left the device status and bus mastering
#      as they found them.
# The check lines name what the device answered: ids, virtio capabilities
# (modern), features, status, bus master toggling.
#
# usage: test_vm_pci_access.sh [PCI_TOOL]   (default: $MPDP_TEST_PCI_TOOL)
# exit 0 pass, 1 fail, 77 skip (not root, no QEMU or guest, no tool)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm_lib.sh
source "$here/vm_lib.sh"
tool=${1:-${MPDP_TEST_PCI_TOOL:-}}

if ((EUID != 0)); then
	echo "SKIP: needs root (QEMU, 9p share with security_model=none)"
	exit 77
fi
if [[ -z $tool || ! -x $tool ]]; then
	echo "SKIP: no mpdp-test-pci-tool (give its path as the first argument)"
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
	if ((rc != 0)) && [[ -n $tmp && -e $tmp/vm.log ]]; then
		vm_log_tail "$tmp/vm.log" 60
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
tmp=$(mktemp -d /tmp/mpdp-vmpci.XXXXXX)
share=$tmp/share
mkdir -p "$share"
vm_stage "$share" "$tool" || fail "vm_stage $tool"
tname=${tool##*/}

# The payload: every line of interest starts with a tag the host greps.
cat >"$share/payload.sh" <<EOF
T=$tname
bind()
{
	d=/sys/bus/pci/devices/0000:00:\$1.0
	echo \$2 >\$d/driver_override
	[ -e \$d/driver ] && echo 0000:00:\$1.0 >\$d/driver/unbind
	echo 0000:00:\$1.0 >/sys/bus/pci/drivers_probe
	echo "bound \$1 \$(basename \$(readlink \$d/driver)) \$(cat \$d/vendor):\$(cat \$d/device)"
}
bind 04 uio_pci_generic
bind 09 vfio-pci
bind 0a uio_pci_generic
bind 0b vfio-pci
echo 128 >/proc/sys/vm/nr_hugepages
echo "hugepages \$(cat /proc/sys/vm/nr_hugepages)"
# mode pa for the uio devices and the legacy one on vfio, va (default) for 0b
mode() { case \$1 in 0b) echo "" ;; *) echo "--iova-mode pa" ;; esac; }
for a in 04 09 0a 0b; do
	echo "before \$a \$(\$T --prefix t\$a \$(mode \$a) -- status 00:\$a.0 2>&1 | tail -n 1)"
done
# each line of a run tagged; the tool's exit status last, as "TAG: rc=N"
run() { tag=\$1; shift; { \$T "\$@" 2>&1; echo "rc=\$?"; } | sed "s/^/\$tag: /"; }
run c1 --prefix c1 --log-level bus.pci:info -- check 00:0b.0
run c2 --prefix c2 -- check 00:09.0 00:0b.0
run c3 --prefix c3 --iova-mode pa --log-level bus.pci:info -- check 00:04.0 00:09.0 00:0a.0
run r1 --prefix r1 --iova-mode va -- check 00:04.0
run r2 --prefix r2 -- check 00:03.0
# a vfio group another process holds
\$T --prefix h1 -- hold 00:0b.0 30 >/tmp/hold.txt 2>&1 &
hp=\$!
i=0
while ! grep -q '^held' /tmp/hold.txt && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
run r3 --prefix r3 -- check 00:0b.0
kill \$hp
wait \$hp
sed 's/^/h1: /' /tmp/hold.txt
for a in 04 09 0a 0b; do
	echo "after \$a \$(\$T --prefix t\$a \$(mode \$a) -- status 00:\$a.0 2>&1 | tail -n 1)"
done
exit 0
EOF
vm_new
VM_TIMEOUT=420
VM_MEM=1024
VM_MACHINE=q35
VM_IOMMU=1
vm_share "$share"
vm_add_hub_nic 1 0x03
vm_add_hub_nic 1 0x04 "" "" "$(vm_nic_opts legacy)"
vm_add_hub_nic 2 0x09 "" "" "$(vm_nic_opts legacy)"
vm_add_hub_nic 2 0x0a "" "" "$(vm_nic_opts modern-iommu)"
vm_add_hub_nic 3 0x0b "" "" "$(vm_nic_opts modern-iommu)"
log=$tmp/vm.log
vm_start "$log"
vm_wait_line "$log" '^MPDP-VM-PAYLOAD' 240 || fail "the guest did not reach its payload"
vm_wait 360 || fail "QEMU did not power off by itself (status $VM_RC)"
rc=$(vm_result "$log") || fail "no MPDP-VM-RESULT line in the serial log"
vm_log "$log" >"$tmp/vm.txt"
out=$tmp/vm.txt
sed -n '/^MPDP-VM-PAYLOAD/,/^MPDP-VM-RESULT/p' "$out" | sed 's/^/   /'
((rc == 0)) || fail "payload rc=$rc"

# the bindings and the devices' kinds
grep -qx 'bound 04 uio_pci_generic 0x1af4:0x1000' "$out" || fail "00:04.0 is not a legacy NIC on uio_pci_generic"
grep -qx 'bound 09 vfio-pci 0x1af4:0x1000' "$out" || fail "00:09.0 is not a legacy NIC on vfio-pci"
grep -qx 'bound 0a uio_pci_generic 0x1af4:0x1041' "$out" || fail "00:0a.0 is not a modern NIC on uio_pci_generic"
grep -qx 'bound 0b vfio-pci 0x1af4:0x1041' "$out" || fail "00:0b.0 is not a modern NIC on vfio-pci"
grep -qE '^hugepages [1-9]' "$out" || fail "no hugepages in the guest"

# a check line: tag, device, kind, kernel driver
check_ok()
{
	local tag=$1 dev=$2 kind=$3 kdrv=$4
	grep -qE "^$tag: check 0000:00:$dev ok kdrv=$kdrv id=1af4:[0-9a-f]{4} $kind status=0x[0-9a-f]{2} features=0x[0-9a-f]{16} bus_master=" "$out" ||
		fail "$tag: no good check line for 00:$dev ($kind on $kdrv)"
}
grep -qx 'c1: iova mode va' "$out" || fail "c1: not in IOVA mode va"
check_ok c1 0b.0 modern vfio-pci
grep -qx 'c1: rc=0' "$out" || fail "c1: check 00:0b.0 (vfio, va) failed"
grep -qE '^c1: .*vfio: heap mapped at IOVA 0 \([0-9]+ bytes, mode va\)' "$out" ||
	fail "c1: no log line of the heap mapped at IOVA 0"
# a modern NIC shows its four virtio capabilities (common, notify, isr, device)
for t in 1 2 3 4; do
	grep -qE "^c1: check 0000:00:0b.0 ok .* 0x[0-9a-f]{2}:type=$t,bar=[0-9]" "$out" ||
		fail "c1: 00:0b.0 has no virtio capability of type $t"
done
say "1. vfio-pci, modern NIC, IOVA mode va: ok"

check_ok c2 09.0 legacy vfio-pci
check_ok c2 0b.0 modern vfio-pci
grep -qx 'c2: rc=0' "$out" || fail "c2: check 00:09.0 00:0b.0 (two vfio groups, one container) failed"
say "2. vfio-pci, two groups in one container: ok"

grep -qx 'c3: iova mode pa' "$out" || fail "c3: not in IOVA mode pa"
check_ok c3 04.0 legacy uio_pci_generic
check_ok c3 09.0 legacy vfio-pci
check_ok c3 0a.0 modern uio_pci_generic
grep -qx 'c3: rc=0' "$out" || fail "c3: check in IOVA mode pa failed"
grep -qE '^c3: .*vfio: heap mapped at its physical addresses \([0-9]+ bytes in [0-9]+ runs, mode pa\)' "$out" ||
	fail "c3: no log line of the heap mapped at its physical addresses"
say "3. IOVA mode pa: legacy on uio (port I/O), legacy on vfio (heap at physical addresses), modern on uio (MMIO): ok"

grep -qE '^r1: check 0000:00:04.0 FAIL: open: .*IOVA mode must be pa.*\(Operation not supported\)' "$out" ||
	fail "r1: a uio device in IOVA mode va was not refused with -ENOTSUP"
grep -qx 'r1: rc=1' "$out" || fail "r1: exit status not 1"
grep -qE '^r2: check 0000:00:03.0 FAIL: open: .*bound to virtio-pci' "$out" ||
	fail "r2: the management NIC on virtio-pci was not refused"
grep -qx 'h1: held 0000:00:0b.0' "$out" || fail "h1: the holder did not open 00:0b.0"
grep -qE '^r3: check 0000:00:0b.0 FAIL: open: .*/dev/vfio/[0-9]+.*used by another process.*\(Device or resource busy\)' "$out" ||
	fail "r3: a vfio group held by another process was not refused with -EBUSY"
say "4. refusals: uio in mode va, a NIC on virtio-pci, a vfio group in use: ok"

for a in 04 09 0a 0b; do
	b=$(sed -n "s/^before $a //p" "$out")
	f=$(sed -n "s/^after $a //p" "$out")
	[[ $b =~ ^status=0x[0-9a-f]{2}\ bus_master=[01]$ ]] || fail "status of 00:$a.0 before: '$b'"
	[[ $f == "$b" ]] || fail "00:$a.0: status before '$b', after '$f'"
done
say "5. status and bus mastering unchanged by the checks: ok"
status_ok=1
