#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh - build the benchmarks (release) and run each of them in turn.
#
# Every executable build-bench/bench/mpdp-bench-* runs once and prints its own
# result lines. Benchmarks measure, they never gate: this script fails only
# when the build fails or a benchmark itself exits non-zero.

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
cd "$root" || exit 1

bash devtools/install-deps.sh || exit 1

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
	exit 0
fi

failed=0
for b in "${benches[@]}"; do
	echo "=== ${b##*/}"
	if ! "$b"; then
		echo "bench/run.sh: ${b##*/} exited non-zero" >&2
		failed=$((failed + 1))
	fi
done
((failed == 0))
