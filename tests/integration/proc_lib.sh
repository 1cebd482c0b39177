#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# proc_lib.sh - what the integration tests share (bash functions; source it):
# whether a process is still running, stopping one, failing with one line,
# and the final check that the clean-up left nothing behind.

# A child that has not exited (a zombie is not alive).
alive()
{
	local st
	st=$(awk '{ sub(/.*\) /, ""); print substr($0, 1, 1) }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}

# Stop one process we started: SIGTERM (the tools stop on it as on SIGINT;
# a background job of this shell has SIGINT ignored unless it catches it),
# SIGKILL after 5 s.
stop_pid()
{
	local p=$1 i
	if alive "$p"; then
		kill -TERM "$p" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			alive "$p" || break
			sleep 0.1
		done
		alive "$p" && kill -KILL "$p" 2>/dev/null
	fi
	wait "$p" 2>/dev/null || true
}

# One line, exit 1 (the EXIT trap cleans up).
fail()
{
	echo "FAIL: $*"
	exit 1
}

# After the clean-up: wait up to 2 s for what the script's leftovers() lists
# to go (a veth in a namespace goes with it, asynchronously). Returns 0 when
# nothing is left, else prints it and returns 1.
no_leftovers()
{
	local left _
	for _ in $(seq 1 20); do
		left=$(leftovers)
		[[ -z $left ]] && return 0
		sleep 0.1
	done
	echo "FAIL: left behind after the clean-up:"
	echo "$left"
	return 1
}
