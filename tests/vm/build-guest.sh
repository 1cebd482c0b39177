#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# build-guest.sh - the guest of the QEMU tests: Debian's 6.1 kernel and a
# busybox initramfs, built once and cached.
#
#   usage: build-guest.sh [OUTDIR]      (default: $MPDP_VM_CACHE or /var/cache/mpdp-vm)
#
# What it does:
#   - installs what is missing (Debian packages qemu-system-x86, busybox-static,
#     cpio; apt-get install --no-install-recommends, as root);
#   - downloads the kernel package that linux-image-amd64 depends on
#     (apt-get download; nothing is installed on the host) and extracts
#     vmlinuz and the modules the guest needs: virtio-net (with failover,
#     net_failover), virtio-pci, 9p over virtio (the host share), uio and
#     uio_pci_generic, vfio, vfio_iommu_type1 and vfio-pci, with everything
#     they depend on (read from each module's .modinfo: the package has no
#     modules.dep, which depmod writes at install time);
#   - writes an initramfs (cpio newc, gzip) with busybox-static, the modules
#     and their load order, and tests/vm/guest-init.sh as /init.
#
# OUTDIR then holds vmlinuz, initramfs.gz, stamp, the kernel package (kept
# so that a rebuild downloads nothing) and .lock (one build at a time). The stamp records the
# kernel package, the busybox version and a digest of this script and of
# guest-init.sh: a later run whose stamp matches does nothing (no download),
# prints "cached" and exits 0. MPDP_VM_REBUILD=1 forces a rebuild.
#
# Exit: 0 ready, 1 failed (one line on stderr saying what).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-${MPDP_VM_CACHE:-/var/cache/mpdp-vm}}
init_src=$here/guest-init.sh

die() { echo "build-guest: $*" >&2; exit 1; }
say() { echo "build-guest: $*"; }

# the modules the guest loads (names as in .modinfo, '_' not '-')
want_modules=(
	virtio virtio_ring virtio_pci virtio_net
	9pnet_virtio 9p
	uio uio_pci_generic
	vfio vfio_iommu_type1 vfio_pci
)

[[ -r $init_src ]] || die "$init_src is missing"

# ------------------------------------------------------------ host packages

pkg_ok() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]; }

apt_updated=0
apt_update()
{
	((apt_updated)) && return 0
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 ||
		die "apt-get update failed"
	apt_updated=1
}

need=()
for p in qemu-system-x86 busybox-static cpio; do
	pkg_ok "$p" || need+=("$p")
done
if ((${#need[@]})); then
	((EUID == 0)) || die "need root to install ${need[*]}"
	say "installing ${need[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" \
		</dev/null >/dev/null 2>&1 || die "apt-get install ${need[*]} failed"
fi
busybox=/bin/busybox
[[ -x $busybox ]] || die "$busybox is missing after installing busybox-static"
file_is_static() { ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }
file_is_static "$busybox" || die "$busybox is not static (busybox-static is needed, not busybox)"

# ------------------------------------------------------------ cache check

# the kernel package linux-image-amd64 depends on (e.g. linux-image-6.1.0-56-amd64)
kpkg_of()
{
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
# one build at a time per OUTDIR (tests may start together); the lock file stays
mkdir -p "$out" || die "cannot create $out"
exec 9>>"$out/.lock"
flock -w 600 9 || die "another build-guest.sh holds $out/.lock"

digest=$(cat "$here/build-guest.sh" "$init_src" | sha256sum | cut -c1-16)
bbver=$(dpkg-query -W -f='${Version}' busybox-static)
cached_ok() { [[ ${MPDP_VM_REBUILD:-0} != 1 && -s $out/vmlinuz && -s $out/initramfs.gz && -r $out/stamp ]]; }

kpkg=$(kpkg_of || true)
if [[ -z $kpkg ]]; then
	# no package lists: a build made by these scripts is good enough
	if cached_ok && grep -q " busybox=$bbver scripts=$digest\$" "$out/stamp"; then
		say "cached in $out ($(cat "$out/stamp")); apt has no package lists to compare with"
		exit 0
	fi
	apt_update
	kpkg=$(kpkg_of || true)
fi
[[ -n $kpkg ]] || die "cannot tell which kernel package linux-image-amd64 depends on (apt-cache)"
kver_pkg=$(apt-cache policy "$kpkg" | awk '$1 == "Candidate:" { print $2 }')
stamp="kernel=$kpkg/$kver_pkg busybox=$bbver scripts=$digest"

if cached_ok && [[ $(cat "$out/stamp") == "$stamp" ]]; then
	say "cached in $out ($stamp)"
	exit 0
fi

# ------------------------------------------------------------ kernel

work=$(mktemp -d "${TMPDIR:-/tmp}/mpdp-vm-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# the package itself is kept in OUTDIR: a rebuild for new scripts downloads nothing
deb=$out/${kpkg}_${kver_pkg//:/%3a}_amd64.deb
if [[ ! -s $deb ]]; then
	say "downloading $kpkg $kver_pkg"
	(cd "$work" && apt-get download -q "$kpkg=$kver_pkg" >/dev/null 2>&1) ||
		{ apt_update; (cd "$work" && apt-get download -q "$kpkg=$kver_pkg" >/dev/null 2>&1); } ||
		die "apt-get download $kpkg=$kver_pkg failed"
	got=$(ls "$work"/*.deb 2>/dev/null | head -n 1)
	[[ -n $got ]] || die "apt-get download $kpkg left no .deb"
	rm -f "$out"/linux-image-*.deb
	mv -f "$got" "$deb"
fi
dpkg-deb -x "$deb" "$work/k" || { rm -f "$deb"; die "dpkg-deb -x $deb failed (removed it: run again)"; }
vmlinuz=$(ls "$work"/k/boot/vmlinuz-* 2>/dev/null | head -n 1)
[[ -n $vmlinuz ]] || die "no /boot/vmlinuz-* in $kpkg"
kver=${vmlinuz##*/vmlinuz-}
mdir=$work/k/lib/modules/$kver
[[ -d $mdir/kernel ]] || die "no /lib/modules/$kver/kernel in $kpkg"

# name -> path of every module (names normalised: '-' -> '_')
declare -A modpath=()
while IFS= read -r f; do
	n=${f##*/}
	n=${n%.ko}
	n=${n//-/_}
	modpath[$n]=$f
done < <(cd "$mdir" && find kernel -name '*.ko')
builtin_has() { grep -q "/$1\.ko\$" "$mdir/modules.builtin" 2>/dev/null; }

# the depends= field of a module's .modinfo section
mod_deps()
{
	tr '\0' '\n' <"$mdir/${modpath[$1]}" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
}

# depth-first: dependencies before the module itself
declare -A seen=()
order=()
visit()
{
	local m=${1//-/_} d
	[[ -n ${seen[$m]:-} ]] && return 0
	seen[$m]=1
	if [[ -z ${modpath[$m]:-} ]]; then
		builtin_has "$m" && return 0
		die "module $m is neither a module nor built in in $kver"
	fi
	for d in $(mod_deps "$m"); do
		visit "$d"
	done
	order+=("$m")
}
for m in "${want_modules[@]}"; do
	visit "$m"
done

# ------------------------------------------------------------ initramfs

root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,mnt/host,lib/modules,lib64,root,usr/bin,usr/sbin}
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
	[[ $a == busybox ]] && continue
	ln -sf busybox "$root/bin/$a"
done
: >"$root/lib/modules/load.order"
for m in "${order[@]}"; do
	cp "$mdir/${modpath[$m]}" "$root/lib/modules/$m.ko"
	echo "$m" >>"$root/lib/modules/load.order"
done
cp "$init_src" "$root/init"
chmod 755 "$root/init"
echo "$kver" >"$root/etc/mpdp-kernel"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
# device nodes the console needs before devtmpfs is mounted
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) |
	gzip -6 >"$work/initramfs.gz" || die "cpio/gzip of the initramfs failed"

cp "$vmlinuz" "$work/vmlinuz"
mv -f "$work/vmlinuz" "$out/vmlinuz"
mv -f "$work/initramfs.gz" "$out/initramfs.gz"
echo "$stamp" >"$out/stamp"
say "built in $out: kernel $kver, initramfs $(du -k "$out/initramfs.gz" | cut -f1) KiB, modules: ${order[*]}"
