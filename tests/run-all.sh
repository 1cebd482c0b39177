#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-all.sh - the mpdp test command (README and CI call this).
#
# Three passes over the same meson tests:
#   gcc   build-test/  gcc, the project's default options
#   asan  build-asan/  clang with ASan + UBSan, leaks detected, first error aborts
#   tsan  build-tsan/  clang with TSan, only the threaded stress tests (suite
#                      "tsan"), which the other two passes leave out
# Build directories are reused between runs. The last line printed is always
#   N passed, N failed, N skipped
# totalled over the passes that ran; a pass that does not configure or build
# counts as one failure. Exit status is 0 iff nothing failed.
#
# Usage: tests/run-all.sh [--quick] [-- MESON-TEST-ARGS...]
#   --quick   gcc pass only
#   after --   passed to `meson test` (test names, --suite NAME, ...)

set -u

usage()
{
	sed -n '4,19s/^# \{0,1\}//p' "$0"
}

quick=0
test_args=()
while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; test_args=("$@"); break ;;
	*) echo "run-all.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
cd "$root" || exit 1

total_pass=0
total_fail=0
total_skip=0
summary=()

finish()
{
	echo
	echo "=== summary"
	local line
	for line in "${summary[@]}"; do
		echo "$line"
	done
	printf '%d passed, %d failed, %d skipped\n' "$total_pass" "$total_fail" "$total_skip"
	((total_fail == 0))
	exit
}

if ! bash devtools/install-deps.sh; then
	summary+=("deps: installing the build dependencies failed")
	total_fail=$((total_fail + 1))
	finish
fi

# Compiler id ("gcc", "clang") a build directory was configured with, or "".
configured_cc()
{
	local log=$1/meson-logs/meson-log.txt
	[[ -f $1/meson-private/coredata.dat && -f $log ]] || return 0
	sed -n 's/^C compiler for the host machine: [^ ]* (\([a-z]*\) .*/\1/p' "$log" | tail -n 1
}

# configure DIR CC MESON-OPTIONS...: set up DIR, reusing it when it was
# configured with the same compiler, starting it afresh otherwise.
configure()
{
	local dir=$1 cc=$2
	shift 2
	local have
	have=$(configured_cc "$dir")
	if [[ $have == "$cc" ]]; then
		meson setup --reconfigure "$dir" "$@" && return 0
		echo "run-all.sh: reconfiguring $dir failed (if meson.build is fine, delete $dir)"
		return 1
	fi
	if [[ -n $have ]]; then
		echo "run-all.sh: $dir was configured with $have, starting it afresh with $cc"
	fi
	rm -rf -- "$dir"
	CC=$cc meson setup "$dir" "$@"
}

# Read DIR/meson-logs/testlog.json, print the pass summary, and write
# "passed failed skipped" to the file given last.
summarize()
{
	python3 - "$@" <<'PYEOF'
import json
import sys

name, log, out = sys.argv[1:4]
passed, failed, skipped = [], [], []
with open(log, encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            t = json.loads(line)
        except ValueError:
            continue
        r = t.get("result", "?")
        entry = (r, t.get("name", "?"), t.get("duration") or 0.0)
        if r in ("OK", "EXPECTEDFAIL"):
            passed.append(entry)
        elif r == "SKIP":
            skipped.append(entry)
        else:  # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, anything new
            failed.append(entry)

print(f"--- {name} pass: {len(passed)} passed, {len(failed)} failed, "
      f"{len(skipped)} skipped")
for r, n, d in failed + skipped:
    print(f"    {r:<14} {n} ({d:.1f} s)")
with open(out, "w") as f:
    f.write(f"{len(passed)} {len(failed)} {len(skipped)}\n")
PYEOF
}

# run_pass NAME DIR CC -- MESON-SETUP-OPTIONS... ; the environment of the
# test run comes from the array pass_env, extra meson test options from
# pass_test_opts.
run_pass()
{
	local name=$1 dir=$2 cc=$3
	shift 4
	local counts p f s rc

	echo
	echo "=== $name pass: $dir ($cc)"
	if ! configure "$dir" "$cc" "$@"; then
		echo "--- $name pass: configure FAILED"
		summary+=("$name: configure failed (counted as 1 failed)")
		total_fail=$((total_fail + 1))
		return
	fi
	if ! ninja -C "$dir"; then
		echo "--- $name pass: build FAILED"
		summary+=("$name: build failed (counted as 1 failed)")
		total_fail=$((total_fail + 1))
		return
	fi

	rm -f "$dir/meson-logs/testlog.json"
	env "${pass_env[@]}" meson test -C "$dir" --no-rebuild --print-errorlogs \
		--num-processes 2 "${pass_test_opts[@]}" "${test_args[@]}"
	rc=$?

	if [[ ! -s $dir/meson-logs/testlog.json ]]; then
		if ((rc != 0)); then
			echo "--- $name pass: meson test exited $rc without a test log"
			summary+=("$name: meson test failed to run (counted as 1 failed)")
			total_fail=$((total_fail + 1))
		else
			echo "--- $name pass: no tests ran"
			summary+=("$name: 0 passed, 0 failed, 0 skipped (no tests)")
		fi
		return
	fi

	counts=$(mktemp) || exit 1
	if ! summarize "$name" "$dir/meson-logs/testlog.json" "$counts"; then
		rm -f "$counts"
		summary+=("$name: could not read $dir/meson-logs/testlog.json (counted as 1 failed)")
		total_fail=$((total_fail + 1))
		return
	fi
	read -r p f s <"$counts"
	rm -f "$counts"
	if ((rc != 0 && f == 0)); then
		echo "--- $name pass: meson test exited $rc but no test failed; counted as 1 failed"
		f=1
	fi
	((f == 0)) || echo "    logs: $dir/meson-logs/testlog.txt"
	summary+=("$name: $p passed, $f failed, $s skipped")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

pass_env=()
pass_test_opts=(--no-suite tsan)
run_pass gcc build-test gcc --

if ((!quick)); then
	pass_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
	# Sanitized code runs a few times slower; give each test's timeout room.
	pass_test_opts=(--timeout-multiplier 3 --no-suite tsan)
	run_pass asan build-asan clang -- -Db_sanitize=address,undefined -Db_lundef=false

	pass_env=(TSAN_OPTIONS=halt_on_error=1)
	pass_test_opts=(--suite tsan)
	run_pass tsan build-tsan clang -- -Db_sanitize=thread -Db_lundef=false
fi

finish
