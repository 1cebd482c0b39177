#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the mpdp test guest (busybox ash; build-guest.sh puts it in the
# initramfs). Mounts proc, sys, devtmpfs and tmpfs, loads the modules in the
# order of /lib/modules/load.order, mounts the host share (virtio-9p, mount
# tag "mpdp") on /mnt/host, runs the payload and powers off.
#
# Kernel command line (read from /proc/cmdline):
#   mpdp.payload=PATH   script to run (default: /mnt/host/payload.sh when the
#                       share is there)
#   mpdp.run=BASE64     a script given inline, base64 (no share needed)
#   mpdp.shell=1        a shell on the console after the payload (debugging)
#   mpdp.skip_modules=A,B  modules not to load (e.g. virtio_net, to leave the
#                       NICs to uio_pci_generic or vfio-pci)
#
# The payload runs under sh with cwd /mnt/host (or /root), environment
# MPDP_VM_SHARE=/mnt/host when the share is mounted. Binaries built on the
# host run when their shared libraries are staged in /mnt/host/lib (see
# vm_stage in vm_lib.sh): /lib64/ld-linux-x86-64.so.2 then points at the
# staged loader and LD_LIBRARY_PATH at /mnt/host/lib.
#
# Console markers (serial), one line each:
#   MPDP-VM-BOOT uptime=S kernel=VERSION   init started
#   MPDP-VM-ERROR what                     a step failed (the rc is then 90+)
#   MPDP-VM-PAYLOAD start uptime=S
#   MPDP-VM-RESULT rc=N uptime=S           the payload's exit status
# and the result is also written to /mnt/host/result ("rc=N").
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /dev/hugepages /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
hostname mpdp-vm
ip link set lo up 2>/dev/null

up() { cut -d' ' -f1 /proc/uptime; }
echo
echo "MPDP-VM-BOOT uptime=$(up) kernel=$(uname -r)"

# the parameters of ours on the kernel command line
param()
{
	for w in $(cat /proc/cmdline); do
		case $w in
		"$1"=*) echo "${w#*=}"; return 0 ;;
		esac
	done
	return 1
}

rc=0
skip=,$(param mpdp.skip_modules),
for m in $(cat /lib/modules/load.order); do
	case $skip in *",$m,"*) continue ;; esac
	out=$(insmod "/lib/modules/$m.ko" 2>&1) || {
		case $out in
		*"File exists"*) ;;
		*) echo "MPDP-VM-ERROR insmod $m: $out"; rc=91 ;;
		esac
	}
done

share=
if grep -qx mpdp /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null; then
	if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 mpdp /mnt/host; then
		share=/mnt/host
	else
		echo "MPDP-VM-ERROR mount of the 9p share failed"
		rc=92
	fi
fi
if [ -n "$share" ]; then
	export MPDP_VM_SHARE=$share
	if [ -e "$share/lib/ld-linux-x86-64.so.2" ]; then
		ln -sf "$share/lib/ld-linux-x86-64.so.2" /lib64/ld-linux-x86-64.so.2
		export LD_LIBRARY_PATH=$share/lib
	fi
	[ -d "$share/bin" ] && PATH=$share/bin:$PATH
fi

payload=$(param mpdp.payload) || payload=
inline=$(param mpdp.run) || inline=
if [ -n "$inline" ]; then
	echo "$inline" | base64 -d >/run/payload.sh 2>/dev/null || {
		echo "MPDP-VM-ERROR mpdp.run is not base64"
		rc=93
	}
	payload=/run/payload.sh
elif [ -z "$payload" ] && [ -n "$share" ] && [ -e "$share/payload.sh" ]; then
	payload=$share/payload.sh
fi

if [ $rc -eq 0 ]; then
	if [ -z "$payload" ]; then
		echo "MPDP-VM-ERROR no payload (mpdp.payload=, mpdp.run= or payload.sh on the share)"
		rc=94
	elif [ ! -r "$payload" ]; then
		echo "MPDP-VM-ERROR payload $payload not found"
		rc=95
	else
		echo "MPDP-VM-PAYLOAD start uptime=$(up)"
		cd "${share:-/root}" || cd /
		sh "$payload"
		rc=$?
		cd /
	fi
fi
echo "MPDP-VM-RESULT rc=$rc uptime=$(up)"
if [ -n "$share" ]; then
	echo "rc=$rc" >"$share/result"
	sync
	umount "$share" 2>/dev/null
fi
if [ "$(param mpdp.shell)" = 1 ]; then
	setsid cttyhack sh
fi
sync
poweroff -f
# not reached unless poweroff failed: the kernel panics on init's exit and
# QEMU (-no-reboot) stops
echo o >/proc/sysrq-trigger
sleep 5
exit $rc
