#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# check-forbidden.sh - library code never prints, exits or aborts (STYLE.md rule 7).
#
# Scans the .c and .h files under lib/ and drivers/ for calls to
#   printf fprintf vprintf vfprintf dprintf vdprintf puts fputs fwrite perror
#   exit _exit _Exit quick_exit abort assert
# Comments and string literals are ignored; snprintf, vsnprintf, static_assert
# and MPDP_STATIC_ASSERT are fine. A line that must write (the log sink's default
# writer) carries the marker comment
#   /* mpdp-allow-print: REASON */
# and is then accepted.
#
# Usage: devtools/check-forbidden.sh [ROOT]     (default: the repo root)
#        devtools/check-forbidden.sh --self-test
# Prints each hit as file:line: code and exits 1, or prints one OK line.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || exit 2

# scan ROOT: print the hits, return 1 if there are any.
scan()
{
	local root=$1
	local -a files=()
	local d
	for d in lib drivers; do
		[[ -d $root/$d ]] || continue
		while IFS= read -r -d '' f; do
			files+=("$f")
		done < <(find -H "$root/$d" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
	done

	if ((${#files[@]} == 0)); then
		echo "check-forbidden: OK (no .c/.h files under lib/ drivers/)"
		return 0
	fi

	(cd "$root" && perl -e '
		use strict;
		use warnings;
		my $calls = qr/printf|fprintf|vprintf|vfprintf|dprintf|vdprintf|puts|fputs|fwrite|perror|exit|_exit|_Exit|quick_exit|abort|assert/;
		my $marker = qr{/\*\s*mpdp-allow-print:\s*\S[^*]*\*/};
		my ($hits, $nfiles) = (0, 0);
		for my $file (@ARGV) {
			open(my $fh, "<", $file) or die "check-forbidden: $file: $!\n";
			local $/;
			my $src = <$fh>;
			close($fh);
			$nfiles++;
			# Blank comments and string/char literals, keeping newlines.
			(my $code = $src) =~ s{
				(/\*.*?(?:\*/|\z)) | (//[^\n]*) |
				("(?:\\.|[^"\\\n])*"?) | (\x27(?:\\.|[^\x27\\\n])*\x27?)
			}{ (my $b = $&) =~ s/[^\n]/ /g; $b }gsex;
			my @orig = split(/\n/, $src, -1);
			my @lines = split(/\n/, $code, -1);
			for my $i (0 .. $#lines) {
				next unless $lines[$i] =~ /(?<![\w.>])(?:$calls)\s*\(/;
				next if $orig[$i] =~ $marker;
				(my $text = $orig[$i]) =~ s/^\s+//;
				printf("%s:%d: %s\n", $file, $i + 1, $text);
				$hits++;
			}
		}
		if ($hits) {
			print "check-forbidden: $hits forbidden call(s) in lib/ drivers/: library code ",
			    "logs through mpdp_log (STYLE.md rule 7); a line that must write ",
			    "carries /* mpdp-allow-print: reason */\n";
			exit 1;
		}
		print "check-forbidden: OK ($nfiles files in lib/ drivers/)\n";
		exit 0;
	' -- "${files[@]#"$root"/}")
}

self_test()
{
	local tmp rc=0 out
	tmp=$(mktemp -d) || return 1
	mkdir -p "$tmp/bad/lib/x" "$tmp/good/lib/x" "$tmp/good/drivers/net/y"
	cat >"$tmp/bad/lib/x/bad.c" <<'EOF'
void f(int x)
{
	printf("x\n");
	fprintf(stderr, "x\n");
	puts("x");
	perror("x");
	if (x) exit(1);
	_exit(1);
	abort ();
	assert(x);
	fputs("x", stderr);
	fwrite("x", 1, 1, stdout);
	fputs("x", stderr); /* mpdp-allow-print: */
}
EOF
	cat >"$tmp/good/lib/x/good.c" <<'EOF'
#include <assert.h>
/* printf("in a comment"); exit(1); abort() */
// assert(x) in a line comment
static_assert(1, "ok");
MPDP_STATIC_ASSERT(1, "ok");
void f(char *b, unsigned n)
{
	snprintf(b, n, "exit(1) in a string, abort()");
	vsnprintf(b, n, "%s", ap);
	mpdp_log(MPDP_LOG_ERR, "eal", "cannot exit(%d)", 1);
	my_abort_handler();
	pthread_exit(NULL);
	atexit(g);
	ops->exit(dev);
	ops.abort(dev);
	fputs(line, stderr); /* mpdp-allow-print: the default log sink writes */
	char c = '(';
}
EOF
	cat >"$tmp/good/drivers/net/y/y.h" <<'EOF'
#define Y_EXIT_CODE 3 /* not exit( */
EOF
	out=$(scan "$tmp/bad")
	if [[ $? -ne 1 ]] || [[ $(grep -c '^lib/x/bad.c:' <<<"$out") -ne 11 ]]; then
		echo "check-forbidden --self-test: FAIL: bad tree: expected 11 hits and exit 1, got:"
		echo "$out"
		rc=1
	fi
	out=$(scan "$tmp/good")
	if [[ $? -ne 0 ]] || [[ $out != "check-forbidden: OK (2 files in lib/ drivers/)" ]]; then
		echo "check-forbidden --self-test: FAIL: good tree: expected OK, got:"
		echo "$out"
		rc=1
	fi
	rm -rf -- "$tmp"
	((rc == 0)) && echo "check-forbidden --self-test: OK"
	return "$rc"
}

case ${1:-} in
--self-test) self_test ;;
-h | --help) sed -n '4,17s/^# \{0,1\}//p' "$0" ;;
-*) echo "check-forbidden.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
*) scan "$(cd "${1:-$here/..}" && pwd)" ;;
esac
