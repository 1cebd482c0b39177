# shellcheck shell=bash disable=SC2034 # variables shared with the demo
# SPDX-License-Identifier: BSD-3-Clause
#
# demo_lib.sh - what the demos (demo.sh, demo-netns.sh) share: the build of
# the tools they show, their runtime and log directories, messages, waiting
# for a tool, and the clean-up on every exit.
#
# Sourced, not run, from the top of the tree. A demo that has more to undo
# than its processes and directories defines cleanup_more.

# demo_build TOOL...: install the build dependencies if missing, configure
# build/ and build the tools only (quick, and independent of the tests'
# build); sets bin. Exits 1 when one is missing.
demo_build()
{
	local t
	bash devtools/install-deps.sh || exit 1
	if [[ -f build/meson-private/coredata.dat ]]; then
		meson setup --reconfigure build >/dev/null || exit 1
	else
		meson setup build || exit 1
	fi
	bin=build/apps
	ninja -C build "${@/#/apps/}" || exit 1
	for t in "$@"; do
		if [[ ! -x $bin/$t ]]; then
			echo "${0##*/}: $bin/$t was not built" >&2
			exit 1
		fi
	done
}

# demo_setup VAR...: the runtime directory rtdir and the log directory logs
# (kept when the demo failed), the clean-up on exit and on a signal. The
# clean-up kills the processes whose pids the variables VAR hold then (a
# demo empties a variable once it has waited for its process).
demo_setup()
{
	rtdir=$(mktemp -d /tmp/mpdp-demo.XXXXXX) || exit 1
	logs=$(mktemp -d /tmp/mpdp-demo-logs.XXXXXX) || exit 1
	demo_pid_vars=("$@")
	failed=0
	trap demo_cleanup EXIT
	trap 'fail "interrupted"; exit 1' INT TERM
}

say() { printf 'demo: %s\n' "$*"; }
fail() { printf 'demo: FAILED: %s\n' "$*" >&2; failed=1; }

# Only the processes this script started, by pid.
demo_cleanup()
{
	local v p
	for v in "${demo_pid_vars[@]}"; do
		p=${!v:-}
		[[ -n $p ]] && kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	declare -F cleanup_more >/dev/null && cleanup_more
	rm -rf -- "$rtdir"
	((failed)) || rm -rf -- "$logs"
}

# wait_line FILE PATTERN SECONDS PID: until FILE has a line matching PATTERN.
wait_line()
{
	local end=$((SECONDS + $3))
	while ((SECONDS < end)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || { grep -q -- "$2" "$1" 2>/dev/null; return; }
		sleep 0.1
	done
	return 1
}

# Show a tool's lines with its name in front.
show() { sed "s/^/  [$1] /" "$2"; }
