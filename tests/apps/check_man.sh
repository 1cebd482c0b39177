#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# check_man.sh DIR - every tool has a man page in DIR with the usual sections,
# and each renders without a warning. Skips (77) when neither groff nor man
# is installed.
set -u
dir=${1:?usage: check_man.sh DIR}
fail=0

for tool in mpdp-l2fwd mpdp-proc-info mpdp-mp-worker mpdp-pktgen mpdp-dumpcap; do
	page=$dir/$tool.1
	if [[ ! -f $page ]]; then
		echo "FAIL: $page is missing"
		fail=1
		continue
	fi
	for sec in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		if ! grep -q "^\.SH \"\{0,1\}$sec\"\{0,1\}\$" "$page"; then
			echo "FAIL: $page has no $sec section"
			fail=1
		fi
	done
done

if command -v groff >/dev/null 2>&1; then
	render=(groff -man -Tutf8 -ww -z)
elif command -v man >/dev/null 2>&1; then
	render=(man --warnings -l)
else
	echo "SKIP: neither groff nor man is installed"
	((fail)) && exit 1
	exit 77
fi

for page in "$dir"/mpdp-*.1; do
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 "${render[@]}" "$page" 2>&1 >/dev/null)
	if [[ -n $warnings ]]; then
		echo "FAIL: $page renders with warnings:"
		echo "$warnings"
		fail=1
	else
		echo "ok: $page"
	fi
done
exit $fail
