#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# proc_lib.sh - the processes an integration test starts (bash functions;
# source it): whether one is still running, and stopping one.

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
