#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vm.sh - boot the mpdp test guest once, by hand (vm_lib.sh's functions).
#
# usage: vm.sh [options] PAYLOAD.sh
#   --share DIR          host directory shared as /mnt/host (default: a
#                        temporary one, removed at the end)
#   --stage BIN          copy BIN and its libraries into the share (repeatable)
#   --vhost SOCK[,queues=N][,server]
#                        a vhost-user virtio-net NIC (QEMU the client unless
#                        "server"); repeatable
#   --hub ID[,ADDR]      a virtio-net NIC on QEMU hub ID at PCI slot ADDR
#                        (e.g. 1,0x03); repeatable
#   --q35-iommu          q35 machine with intel-iommu (vfio-pci in the guest)
#   --smp N  --mem MB  --timeout S  --append 'KERNEL ARGS'
#   --log FILE           serial console (default: printed at the end)
#
# The payload runs in the guest under sh (busybox); vm.sh exits with its
# status (MPDP-VM-RESULT rc=N), 124 when QEMU was killed by the timeout, 125
# when the guest gave no result.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm_lib.sh
source "$here/vm_lib.sh"

die() { echo "vm.sh: $*" >&2; exit 2; }

share=
own_share=
log=
stage=()
payload=
vm_new
nics=()
while (($#)); do
	case $1 in
	--share) share=$2; shift ;;
	--stage) stage+=("$2"); shift ;;
	--vhost | --hub) nics+=("$1=$2"); shift ;;
	--q35-iommu) VM_MACHINE=q35; VM_IOMMU=1 ;;
	--smp) VM_SMP=$2; shift ;;
	--mem) VM_MEM=$2; shift ;;
	--timeout) VM_TIMEOUT=$2; shift ;;
	--append) VM_APPEND=$2; shift ;;
	--log) log=$2; shift ;;
	-h | --help) sed -n '4,21s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) die "unknown option '$1' (try --help)" ;;
	*) [[ -z $payload ]] || die "one payload only"; payload=$1 ;;
	esac
	shift
done
[[ -n $payload && -r $payload ]] || die "give a readable payload script (try --help)"
((EUID == 0)) || die "run as root"

cleanup()
{
	local rc=$?
	vm_stop
	[[ -n $own_share ]] && rm -rf "$own_share"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vm_prepare || die "QEMU or the guest cannot be had"
if [[ -z $share ]]; then
	share=$(mktemp -d /tmp/mpdp-vm-share.XXXXXX)
	own_share=$share
fi
mkdir -p "$share"
cp "$payload" "$share/payload.sh"
rm -f "$share/result"
((${#stage[@]})) && vm_stage "$share" "${stage[@]}"
vm_share "$share"
for n in ${nics[@]+"${nics[@]}"}; do
	kind=${n%%=*}
	spec=${n#*=}
	if [[ $kind == --vhost ]]; then
		sock=${spec%%,*}
		q=1 mode=client
		[[ $spec == *queues=* ]] && q=$(sed 's/.*queues=\([0-9]*\).*/\1/' <<<"$spec")
		[[ $spec == *,server* ]] && mode=server
		vm_add_vhost_user "$sock" "" "" "$q" "$mode"
	else
		vm_add_hub_nic "${spec%%,*}" "$([[ $spec == *,* ]] && echo "${spec#*,}")"
	fi
done
tmplog=
if [[ -z $log ]]; then
	tmplog=$(mktemp /tmp/mpdp-vm-log.XXXXXX)
	log=$tmplog
fi
echo "vm.sh: $(vm_accel_why); serial console in $log"
vm_start "$log"
vm_wait || true
rc=$(vm_result "$log") || rc=125
((VM_RC == 124)) && rc=124
vm_log "$log"
echo "vm.sh: QEMU ran $(((VM_T1 - VM_T0) / 1000)) s, payload rc=$rc"
[[ -n $tmplog ]] && rm -f "$tmplog" "$tmplog.qemu"
exit "$rc"
