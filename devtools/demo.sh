#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# demo.sh - build mpdp and run the multi-process demo; no hardware needed.
#
# Installs the build dependencies if missing, builds into build/ and runs
# examples/mp-demo: a primary that starts two secondary processes itself.
# Extra arguments are passed to the demo as runtime options, e.g.
#   ./devtools/demo.sh --log-level info

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
cd "$root" || exit 1

bash devtools/install-deps.sh || exit 1

if [[ -f build/meson-private/coredata.dat ]]; then
	meson setup --reconfigure build >/dev/null || exit 1
else
	meson setup build || exit 1
fi
ninja -C build || exit 1

demo=build/examples/mp-demo/mpdp-mp-demo
if [[ ! -x $demo ]]; then
	echo "demo.sh: $demo was not built" >&2
	exit 1
fi
echo "demo.sh: running $demo --prefix demo-$$ $*"
exec "$demo" --prefix "demo-$$" "$@"
