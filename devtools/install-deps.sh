#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# install-deps.sh - install what mpdp needs to build and test, if missing.
#
# Debian 12 packages only. Each package is checked with dpkg first, so a run on a
# machine that has everything is quick and touches no network. Missing packages
# are installed with apt-get (as root: the fresh-machine case). Used by
# tests/run-all.sh, devtools/demo.sh and bench/run.sh.
#
# Exit status: 0 when everything is there, non-zero when an install failed.

set -u

packages=(
	meson
	ninja-build
	gcc
	clang
	pkg-config
	python3
	libclang-rt-14-dev	# ASan/UBSan runtimes for clang
	iproute2		# ip, for the netns/veth tests
	procps			# ps, pgrep, for the multi-process tests
	strace			# proves the PCI scan opens no device file (tests/bus)
	groff-base		# renders the man pages in tests/apps
	libpcap-dev		# net_pcap reads pcap files; mpdp-dumpcap compiles filters
	tcpdump			# reads mpdp-dumpcap's pcapng files back in the tests
	ethtool			# turns veth offloads off in the af_packet tests
	iputils-ping		# ping between network namespaces (tests/integration)
	dpdk			# dpdk-testpmd: the vhost-user peer in the virtio interop tests
	qemu-system-x86		# the guest of tests/vm (vhost-user netdev, PCI virtio NICs)
	busybox-static		# the guest's initramfs (tests/vm/build-guest.sh)
	cpio			# packs that initramfs
)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
	for p in "${packages[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[[ $status == "install ok installed" ]] || missing+=("$p")
	done
else
	# Not Debian: only check that the tools are on PATH, install nothing.
	for c in meson ninja gcc clang pkg-config python3 ip ps; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	if ((${#missing[@]})); then
		echo "install-deps: not a Debian system and missing: ${missing[*]}" >&2
		exit 1
	fi
	exit 0
fi

((${#missing[@]})) || exit 0

echo "install-deps: installing ${missing[*]}"
if ((EUID != 0)); then
	echo "install-deps: need root to install ${missing[*]} (run as root or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || exit 1
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null || exit 1
