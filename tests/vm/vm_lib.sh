# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# vm_lib.sh - boot the mpdp test guest under QEMU (bash functions; source it).
#
#   source tests/vm/vm_lib.sh
#   vm_prepare || exit 77          # qemu + the guest (build-guest.sh), cached
#   vm_new                         # a fresh VM description (options below)
#   vm_share "$dir"                # host directory -> /mnt/host (virtio-9p)
#   vm_add_vhost_user "$sock"      # vhost-user virtio-net NIC (QEMU = client)
#   vm_add_hub_nic 1 0x03          # plain virtio-net NIC on QEMU hub 1
#   vm_add_hub_nic 1 0x04 "" "" "$(vm_nic_opts legacy)"   # legacy-only
#   vm_stage_testpmd "$dir"        # DPDK testpmd + virtio PMD into the share
#   vm_start "$log"                # boots in the background (VM_PID)
#   vm_wait_line "$log" 'RE' 60    # until the serial log has a line
#   vm_wait 120                    # until QEMU exits (or kills it), rc in VM_RC
#   vm_result "$log"               # the payload's rc from the serial log
#   vm_stop                        # kill QEMU if it still runs (for traps)
#
# Options (variables, read by vm_start; vm_new resets them):
#   VM_SMP=2  VM_MEM=512 (MiB)  VM_TIMEOUT=300 (s: QEMU is killed after it
#   even if the caller dies)  VM_MACHINE=pc|q35  VM_IOMMU=0|1 (q35 with
#   intel-iommu, guest booted with intel_iommu=on: for vfio-pci in the guest)
#   VM_APPEND (more kernel parameters, e.g. "mpdp.run=$(base64 -w0 x.sh)")
#   MPDP_VM_ACCEL=kvm|tcg (force), MPDP_VM_CACHE (the guest's directory).
#
# Memory is always a shared memfd (memory-backend-memfd,share=on, the
# machine's memory-backend), which vhost-user needs. The console is the
# first serial port, written to the log file; guest-init.sh prints markers
# there (MPDP-VM-BOOT, MPDP-VM-PAYLOAD, MPDP-VM-RESULT rc=N).
#
# PCI addresses: the 9p share is at 00:1e.0; give NICs their addresses
# (0x03, 0x04, 0x09, 0x0a, 0x0b, ...); a NIC without one gets the next free
# slot from 0x03 up.

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_QEMU=${VM_QEMU:-qemu-system-x86_64}

# The accelerator: "kvm" or "tcg", and why, on stdout ("tcg: kvm_pvm ...").
# /dev/kvm of the kvm_pvm module cannot boot a stock kernel: TCG then.
vm_accel_why()
{
	if [[ -n ${MPDP_VM_ACCEL:-} ]]; then
		echo "$MPDP_VM_ACCEL: forced by MPDP_VM_ACCEL"
	elif [[ -d /sys/module/kvm_pvm ]]; then
		echo "tcg: /dev/kvm is kvm_pvm's, which cannot boot a stock kernel"
	elif [[ ! -c /dev/kvm ]]; then
		echo "tcg: no /dev/kvm"
	elif python3 - <<-'EOF' 2>/dev/null; then
		import fcntl, os, sys
		fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
		sys.exit(0 if fcntl.ioctl(fd, 0xAE00) == 12 else 1)   # KVM_GET_API_VERSION
		EOF
		echo "kvm: /dev/kvm usable"
	else
		echo "tcg: /dev/kvm not usable"
	fi
}
vm_accel() { local a; a=$(vm_accel_why); echo "${a%%:*}"; }

# Install QEMU and build (or reuse) the guest. Sets VM_KERNEL, VM_INITRD.
# Returns 1 with a message on stderr when QEMU or the guest cannot be had.
vm_prepare()
{
	local cache=${MPDP_VM_CACHE:-/var/cache/mpdp-vm}
	if ! bash "$VM_LIB_DIR/build-guest.sh" "$cache" >"${TMPDIR:-/tmp}/mpdp-vm-prepare.$$" 2>&1; then
		sed 's/^/vm_prepare: /' "${TMPDIR:-/tmp}/mpdp-vm-prepare.$$" >&2
		rm -f "${TMPDIR:-/tmp}/mpdp-vm-prepare.$$"
		return 1
	fi
	rm -f "${TMPDIR:-/tmp}/mpdp-vm-prepare.$$"
	command -v "$VM_QEMU" >/dev/null || { echo "vm_prepare: $VM_QEMU is not installed" >&2; return 1; }
	VM_KERNEL=$cache/vmlinuz
	VM_INITRD=$cache/initramfs.gz
}

vm_new()
{
	VM_SMP=2
	VM_MEM=512
	VM_TIMEOUT=300
	VM_MACHINE=pc
	VM_IOMMU=0
	VM_APPEND=
	VM_DEVS=()
	VM_NICS=0
	VM_SLOTS=" 30 " # used slots (decimal); 0x1e is the share's
	VM_PID=
	VM_PIDFILE=
	VM_RC=
}

# $1: a slot (0x03, 3, 0x0a) or empty for the next free one; prints "0xNN"
_vm_slot()
{
	local s
	if [[ -n ${1:-} ]]; then
		s=$(($1))
	else
		for ((s = 3; s < 30; s++)); do
			[[ $VM_SLOTS == *" $s "* ]] || break
		done
	fi
	((s >= 2 && s < 32)) || { echo "vm: bad PCI slot '${1:-}'" >&2; return 1; }
	[[ $VM_SLOTS == *" $s "* ]] && { echo "vm: PCI slot $1 used twice" >&2; return 1; }
	VM_SLOTS+="$s "
	printf '0x%02x\n' "$s"
}

# The MAC of NIC $1: 52:54:00:4d:50:NN
_vm_mac() { printf '52:54:00:4d:50:%02x\n' "$1"; }

# Share host directory $1 with the guest (mount tag mpdp -> /mnt/host).
vm_share()
{
	VM_DEVS+=(-fsdev "local,id=fsmpdp,path=$1,security_model=none"
		-device "virtio-9p-pci,fsdev=fsmpdp,mount_tag=mpdp,addr=0x1e")
}

# A vhost-user virtio-net NIC.
#   vm_add_vhost_user SOCK [ADDR] [MAC] [QUEUES] [server]
# QEMU connects to SOCK as the client (the backend listens: client=0), or
# listens on it with "server" (the backend then connects: client=1). The
# client reconnects every second while the backend is not there yet.
vm_add_vhost_user()
{
	local sock=$1 addr mac q=${4:-1} mode=${5:-client} n=$VM_NICS chr qopt=
	addr=$(_vm_slot "${2:-}") || return 1
	mac=${3:-$(_vm_mac "$n")}
	if [[ $mode == server ]]; then
		chr="socket,id=chr$n,path=$sock,server=on,wait=off"
	else
		chr="socket,id=chr$n,path=$sock,reconnect=1"
	fi
	local dev="virtio-net-pci,netdev=net$n,mac=$mac,addr=$addr,romfile="
	((q > 1)) && qopt=",queues=$q"
	if [[ $(vm_accel) == tcg ]]; then
		# QEMU 7.2 under TCG segfaults in msix_set_vector_notifiers
		# (virtio_pci_set_guest_notifiers, from vhost_net_start) when the
		# guest starts a vhost-user NIC that has MSI-X: no MSI-X (INTx)
		dev+=",vectors=0"
		((q > 1)) && dev+=",mq=on"
	elif ((q > 1)); then
		dev+=",mq=on,vectors=$((2 * q + 2))"
	fi
	VM_DEVS+=(-chardev "$chr" -netdev "vhost-user,id=net$n,chardev=chr$n$qopt" -device "$dev")
	VM_NICS=$((n + 1))
}

# A plain virtio-net NIC on QEMU hub $1: NICs on the same hub see each
# other's frames (back to back), nothing else does.
#   vm_add_hub_nic HUBID [ADDR] [MAC] [MODEL (virtio-net-pci)] [OPTS]
# OPTS: more device properties, comma-separated, e.g. vm_nic_opts's
# "disable-modern=on" (legacy-only 1af4:1000, an I/O BAR) or
# "disable-legacy=on,iommu_platform=on" (modern-only 1af4:1041 behind the
# IOMMU). An empty MAC or MODEL takes the default.
vm_add_hub_nic()
{
	local hub=$1 addr mac model=${4:-virtio-net-pci} opts=${5:-} n=$VM_NICS
	addr=$(_vm_slot "${2:-}") || return 1
	mac=${3:-$(_vm_mac "$n")}
	VM_DEVS+=(-netdev "hubport,id=net$n,hubid=$hub" -device "$model,netdev=net$n,mac=$mac,addr=$addr,romfile=${opts:+,$opts}")
	VM_NICS=$((n + 1))
}

# The virtio-net-pci properties of a transport, on stdout (for
# vm_add_hub_nic's OPTS):
#   transitional  (nothing: QEMU's default, 1af4:1000 with both interfaces)
#   legacy        disable-modern=on: legacy only, 1af4:1000, I/O BAR 0
#   modern        disable-legacy=on: modern only, 1af4:1041, memory BAR 4
#   modern-iommu  modern + iommu_platform=on: its DMA goes through the
#                 guest's IOMMU (VM_IOMMU=1; vfio-pci with IOVA != PA)
# A legacy device's DMA never goes through the IOMMU (QEMU translates only
# for VIRTIO_F_ACCESS_PLATFORM): its driver must give physical addresses.
vm_nic_opts()
{
	case $1 in
	transitional) echo "" ;;
	legacy) echo "disable-modern=on" ;;
	modern) echo "disable-legacy=on" ;;
	modern-iommu) echo "disable-legacy=on,iommu_platform=on" ;;
	*) echo "vm_nic_opts: unknown transport '$1' (transitional, legacy, modern, modern-iommu)" >&2; return 1 ;;
	esac
}

# Any other QEMU arguments.
vm_add_args() { VM_DEVS+=("$@"); }

# The QEMU command line of the VM described so far, in the array VM_CMD.
vm_build_cmd()
{
	local accel cpu machine append
	accel=$(vm_accel)
	if [[ $accel == kvm ]]; then cpu=host; else cpu=max; fi
	machine="$VM_MACHINE,memory-backend=vmmem"
	append="console=ttyS0 loglevel=4 panic=-1 $VM_APPEND"
	VM_CMD=("$VM_QEMU" -name mpdp-vm -accel "$accel" -cpu "$cpu" -smp "$VM_SMP" -m "$VM_MEM"
		-object "memory-backend-memfd,id=vmmem,size=${VM_MEM}M,share=on")
	if ((VM_IOMMU)); then
		[[ $VM_MACHINE == q35 ]] || { echo "vm: VM_IOMMU=1 needs VM_MACHINE=q35" >&2; return 1; }
		[[ $accel == kvm ]] && machine+=",kernel-irqchip=split"
		VM_CMD+=(-machine "$machine" -device "intel-iommu,intremap=on,caching-mode=on")
		append+=" intel_iommu=on"
	else
		VM_CMD+=(-machine "$machine")
	fi
	VM_CMD+=(-nodefaults -nographic -no-user-config -no-reboot -monitor none
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD" -append "$append"
		"${VM_DEVS[@]}")
}

# Boot in the background: serial console to $1, QEMU's own messages to
# $1.qemu, its command line to $1.cmd, its pid to $1.pid. Sets VM_PID (a timeout(1) process: QEMU dies after VM_TIMEOUT s
# whatever happens to the caller) and VM_T0 (start, ms).
vm_start()
{
	local log=$1
	[[ -n ${VM_KERNEL:-} ]] || { echo "vm_start: call vm_prepare first" >&2; return 1; }
	vm_build_cmd || return 1
	: >"$log"
	rm -f "$log.pid"
	VM_CMD+=(-serial "file:$log" -pidfile "$log.pid")
	printf '%q ' "${VM_CMD[@]}" >"$log.cmd"
	echo >>"$log.cmd"
	VM_PIDFILE=$log.pid
	VM_T0=$(date +%s%3N)
	timeout -k 5 "$VM_TIMEOUT" "${VM_CMD[@]}" </dev/null >"$log.qemu" 2>&1 &
	VM_PID=$!
	VM_RC=
}

# Serial log $1 without the carriage returns of the console (to grep).
vm_log() { tr -d '\r' <"$1" 2>/dev/null; }

# Is the VM still running?
vm_alive() { [[ -n ${VM_PID:-} ]] && kill -0 "$VM_PID" 2>/dev/null; }

# Wait until serial log $1 has a line matching ERE $2, at most $3 s.
# Returns 1 on timeout or when QEMU exited first.
vm_wait_line()
{
	local log=$1 re=$2 limit=$3 t=0
	until vm_log "$log" | grep -qE -- "$re"; do
		vm_alive || { vm_log "$log" | grep -qE -- "$re"; return; }
		((t >= limit * 10)) && return 1
		sleep 0.1
		t=$((t + 1))
	done
}

# Wait for QEMU to exit, at most $1 s (default: VM_TIMEOUT), then kill it.
# VM_RC: QEMU's status (124/137: killed by the timeout); VM_T1: end (ms).
# Returns 0 when QEMU exited by itself with status 0.
vm_wait()
{
	local limit=${1:-$VM_TIMEOUT} t=0
	[[ -n ${VM_PID:-} ]] || return 1
	while vm_alive; do
		if ((t >= limit * 10)); then
			vm_stop
			VM_RC=124
			VM_T1=$(date +%s%3N)
			return 1
		fi
		sleep 0.1
		t=$((t + 1))
	done
	VM_RC=0
	wait "$VM_PID" 2>/dev/null || VM_RC=$?
	VM_PID=
	VM_PIDFILE=
	VM_T1=$(date +%s%3N)
	((VM_RC == 0))
}

# Kill the VM if it runs (for EXIT traps): the timeout(1) process and, if
# that one was killed by something else, QEMU itself (its -pidfile).
vm_stop()
{
	local i qpid=
	[[ -n ${VM_PIDFILE:-} && -s $VM_PIDFILE ]] && qpid=$(cat "$VM_PIDFILE" 2>/dev/null)
	if [[ -n $qpid && $(cat "/proc/$qpid/comm" 2>/dev/null) == qemu-system-* ]] && ! vm_alive; then
		kill -KILL "$qpid" 2>/dev/null
	fi
	[[ -n ${VM_PID:-} ]] || return 0
	if vm_alive; then
		kill -TERM "$VM_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			vm_alive || break
			sleep 0.1
		done
		vm_alive && kill -KILL "$VM_PID" 2>/dev/null
	fi
	wait "$VM_PID" 2>/dev/null
	VM_PID=
	VM_PIDFILE=
	return 0
}

# The payload's status from serial log $1 (the MPDP-VM-RESULT line): prints
# it; returns 1 (printing nothing) when the guest never got there.
vm_result()
{
	local rc
	rc=$(tr -d '\r' <"$1" 2>/dev/null | sed -n 's/^MPDP-VM-RESULT rc=\([0-9]*\).*/\1/p' | tail -n 1)
	[[ -n $rc ]] || return 1
	echo "$rc"
}

# Copy host binaries and the shared libraries they need (ldd) into share
# directory $1: bin/ and lib/ (with the loader). In the guest they are on
# PATH (/mnt/host/bin) and run with the host's libraries.
#   vm_stage SHAREDIR BIN...
vm_stage()
{
	local share=$1 b l
	shift
	mkdir -p "$share/bin" "$share/lib" || return 1
	for b in "$@"; do
		[[ -x $b ]] || { echo "vm_stage: $b is not an executable" >&2; return 1; }
		cp -f "$b" "$share/bin/" || return 1
		while read -r l; do
			[[ -n $l && -e $l ]] || continue
			cp -fL "$l" "$share/lib/" || return 1
		done < <(ldd "$b" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
	done
	[[ -e $share/lib/ld-linux-x86-64.so.2 ]] || cp -fL /lib64/ld-linux-x86-64.so.2 "$share/lib/"
}

# DPDK's testpmd for the guest (a reference to compare mpdp with): the
# binary, the plugins it needs for virtio-net over PCI (bus_pci, net_virtio,
# mempool_ring) and all their libraries, into share directory $1 (bin/,
# lib/). Sets the array VM_TESTPMD_ARGS to the "-d /mnt/host/lib/SONAME"
# options (guest paths) of the plugins testpmd is not linked with already
# (Debian's links bus_pci: loading it twice panics, "UIO_RESOURCE_LIST tailq
# is already registered"). Returns 1 with a message when DPDK is missing.
#   vm_stage_testpmd SHAREDIR [TESTPMD]
VM_DPDK_PLUGINS="librte_bus_pci librte_net_virtio librte_mempool_ring"
vm_stage_testpmd()
{
	local share=$1 tp=${2:-${DPDK_TESTPMD:-}} dir p f l so linked
	[[ -n $tp ]] || tp=$(command -v dpdk-testpmd 2>/dev/null)
	[[ -n $tp && -x $tp ]] || { echo "vm_stage_testpmd: dpdk-testpmd is not installed" >&2; return 1; }
	dir=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* 2>/dev/null | tail -n 1)
	[[ -n $dir ]] || { echo "vm_stage_testpmd: no DPDK plugin directory (/usr/lib/x86_64-linux-gnu/dpdk/pmds-*)" >&2; return 1; }
	vm_stage "$share" "$tp" || return 1
	linked=$(ldd "$tp" 2>/dev/null)
	VM_TESTPMD_ARGS=()
	for p in $VM_DPDK_PLUGINS; do
		f=$dir/$p.so
		[[ -e $f ]] || { echo "vm_stage_testpmd: $f is missing" >&2; return 1; }
		so=$(readelf -d "$f" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
		[[ -n $so ]] || so=$p.so
		cp -fL "$f" "$share/lib/$so" || return 1
		[[ $linked == *"$so "* ]] || VM_TESTPMD_ARGS+=(-d "/mnt/host/lib/$so")
		while read -r l; do
			[[ -n $l && -e $l ]] || continue
			cp -fL "$l" "$share/lib/" || return 1
		done < <(ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p')
	done
	# glibc dlopens libgcc_s for pthread_cancel (testpmd's exit)
	l=$(ldconfig -p 2>/dev/null | sed -n 's/^[[:space:]]*libgcc_s\.so\.1 (libc6,x86-64.*=> //p' | head -n 1)
	[[ -n $l && -e $l ]] && cp -fL "$l" "$share/lib/"
	return 0
}

# A one-line summary of serial log $1 for a failure message: the markers
# and the last lines.
vm_log_tail()
{
	echo "---- serial console ($1), last ${2:-25} lines"
	tail -n "${2:-25}" "$1" 2>/dev/null
	[[ -s $1.cmd ]] && { echo "---- qemu command line"; cat "$1.cmd"; }
	if [[ -s $1.qemu ]]; then
		echo "---- qemu's messages ($1.qemu)"
		tail -n 10 "$1.qemu"
	fi
}

vm_new
