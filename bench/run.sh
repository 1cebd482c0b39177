#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh - build the benchmarks (release) and run each of them in turn.
#
# Every executable build-bench/bench/mpdp-bench-* runs once and prints its own
# result lines, then bench/bench_fwd.sh measures forwarding through the tools
# (mpdp-l2fwd, mpdp-pktgen, mpdp-mp-worker of build-bench) beside DPDK's
# testpmd. Benchmarks measure, they never gate: this script fails only when
# the build fails or a benchmark itself exits non-zero.

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
cd "$root" || exit 1

bash devtools/install-deps.sh || exit 1

# DPDK is only for the side-by-side figures (tests never need it): install it
# when it is missing and we can, else carry on and print mpdp figures only.
if ! pkg-config --exists libdpdk 2>/dev/null && command -v apt-get >/dev/null 2>&1 &&
	((EUID == 0)); then
	echo "bench/run.sh: installing DPDK (libdpdk-dev, dpdk) for the side-by-side figures"
	{ DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			libdpdk-dev dpdk </dev/null; } ||
		echo "bench/run.sh: DPDK not installed; mpdp figures only" >&2
fi

if [[ -f build-bench/meson-private/coredata.dat ]]; then
	meson setup --reconfigure build-bench --buildtype=release >/dev/null || exit 1
else
	meson setup build-bench --buildtype=release || exit 1
fi
ninja -C build-bench || exit 1

shopt -s nullglob
benches=()
for b in build-bench/bench/mpdp-bench-*; do
	[[ -f $b && -x $b ]] && benches+=("$b")
done
if ((${#benches[@]} == 0)); then
	echo "bench/run.sh: no benchmarks built (build-bench/bench/mpdp-bench-*)"
fi

failed=0
for b in "${benches[@]}"; do
	echo "=== ${b##*/}"
	if ! "$b"; then
		echo "bench/run.sh: ${b##*/} exited non-zero" >&2
		failed=$((failed + 1))
	fi
done

echo "=== bench_fwd.sh"
if ! MPDP_BUILD=build-bench bash bench/bench_fwd.sh; then
	echo "bench/run.sh: bench_fwd.sh exited non-zero" >&2
	failed=$((failed + 1))
fi

# af_packet forwarding between veth pairs, beside testpmd on DPDK's af_packet
echo "=== bench_af_packet.sh"
if ! MPDP_BUILD=build-bench bash bench/bench_af_packet.sh; then
	echo "bench/run.sh: bench_af_packet.sh exited non-zero" >&2
	failed=$((failed + 1))
fi

# vhost-user: mpdp's virtio-user and vhost against each other and DPDK's
echo "=== bench_virtio.sh"
if ! MPDP_BUILD=build-bench bash bench/bench_virtio.sh; then
	echo "bench/run.sh: bench_virtio.sh exited non-zero" >&2
	failed=$((failed + 1))
fi

# the primary's forwarding rate without and with mpdp-dumpcap attached
echo "=== bench_dumpcap.sh"
if ! MPDP_BUILD=build-bench bash bench/bench_dumpcap.sh; then
	echo "bench/run.sh: bench_dumpcap.sh exited non-zero" >&2
	failed=$((failed + 1))
fi
# virtio-net over PCI in a QEMU guest (tests/vm): l2fwd vs testpmd on the
# same NICs; 77 = cannot run here (not root, no QEMU)
echo "=== bench_vm_virtio.sh"
MPDP_BUILD=build-bench bash bench/bench_vm_virtio.sh
rc=$?
if ((rc != 0 && rc != 77)); then
	echo "bench/run.sh: bench_vm_virtio.sh exited non-zero" >&2
	failed=$((failed + 1))
fi
((failed == 0))
