#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# vh_guest.sh - boot a QEMU guest whose virtio-net device is a vhost-user
# netdev on SOCK (QEMU is the client: net_vhost listens), for test_vhost.c.
#
#   vh_guest.sh KERNEL MODULES_DIR WORKDIR SOCK
#
# KERNEL is a bzImage with virtio-net as modules under MODULES_DIR (a
# /lib/modules/<version> tree; e.g. Debian's linux-image-*-amd64 unpacked).
# The guest runs busybox from an initramfs built in WORKDIR, loads the
# virtio modules, configures eth0 as 10.99.0.2/24 and prints GUEST-READY on
# the serial console (our stdout); its kernel answers ARP and ICMP echo.
# Guest memory is a shared memfd (vhost-user needs share=on).
set -eu
kernel=$1 mods=$2 work=$3 sock=$4
root=$work/initramfs
rm -rf "$root"
mkdir -p "$root/bin" "$root/m" "$root/proc" "$root/sys" "$root/dev"
cp /usr/bin/busybox "$root/bin/busybox"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	 failover net_failover virtio_net; do
	f=$(find "$mods" -name "$m.ko*" | head -n 1)
	[ -n "$f" ] || { echo "vh_guest.sh: module $m not found under $mods" >&2; exit 77; }
	case $f in
	*.xz) xz -dc "$f" > "$root/m/$m.ko" ;;
	*.zst) zstd -dcq "$f" > "$root/m/$m.ko" ;;
	*) cp "$f" "$root/m/$m.ko" ;;
	esac
done
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	 failover net_failover virtio_net; do
	insmod /m/$m.ko 2>/dev/null
done
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
ip link set eth0 up
ip addr add 10.99.0.2/24 dev eth0
echo GUEST-READY
while true; do sleep 3600; done
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.gz"
accel=tcg cpu=max
# KVM only on request: nested KVM (this suite runs in VMs) may hang at boot
[ "${VH_GUEST_KVM:-0}" = 1 ] && [ -w /dev/kvm ] && accel=kvm cpu=host
exec qemu-system-x86_64 -machine q35,accel=$accel -cpu $cpu -m 256 -smp 1 \
	-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
	-kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1" -no-reboot \
	-nographic -nodefaults -serial stdio -monitor none \
	-chardev socket,id=vhu,path="$sock" \
	-netdev vhost-user,id=n0,chardev=vhu \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:76:68:02,romfile=,vectors=0 ${VH_GUEST_QEMU_ARGS:-}
