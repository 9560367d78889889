#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-man.sh - every man page renders without a warning, and its
# examples read as the source wrote them.
#
#   bash tests/t-man.sh
#
# For each helpers/*/*.1 and man/*.5 (the pages are in the checkout:
# CREDKIT_BIN does not matter), one check each:
#
#   warnings  man --warnings -l and groff -ww -z print nothing on stderr
#   examples  every JSON object parses, and every example of the source
#             (.EX and .nf blocks, .B and .I) shows as written, quotes
#             included (tests/tools/man-examples.py)
#
# both at 80 columns (man's width off a terminal) and at 200.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WIDTHS="200 80"

# render PAGE WIDTH OUT: the page as man shows it, in plain text, into OUT;
# man's and groff's warnings into OUT.err.
render() {
	LC_ALL=C.UTF-8 MANWIDTH=$2 MANPAGER=cat PAGER=cat \
		man --warnings -l "$1" 2>"$3.err" | col -bx >"$3"
	LC_ALL=C.UTF-8 groff -ww -z -man "$1" 2>>"$3.err"
}

main() {
	local page name w out files
	t_tmpdir
	if ! command -v man >/dev/null || ! command -v groff >/dev/null ||
	   ! command -v col >/dev/null; then
		t_fail "man: man, groff and col (packages man-db, groff-base, bsdextrautils) are installed"
		return 1
	fi
	for page in "$CREDKIT_ROOT"/helpers/*/*.1 "$CREDKIT_ROOT"/man/*.5; do
		name=${page##*/}
		files=()
		: >"$TMP/$name.err"
		for w in $WIDTHS; do
			out=$TMP/$name.$w
			render "$page" "$w" "$out"
			cat "$out.err" >>"$TMP/$name.err"
			files+=("$out")
		done
		t_check "man: $name renders without warnings" test ! -s "$TMP/$name.err"
		sed 's/^/#   /' "$TMP/$name.err" | sort -u
		"${PY:-/usr/bin/python3}" "$CREDKIT_ROOT/tests/tools/man-examples.py" \
			"$page" "${files[@]}" >"$TMP/$name.ex"
		t_check "man: $name: its JSON parses and its examples show as written" \
			test ! -s "$TMP/$name.ex"
		sed 's/^/#   /' "$TMP/$name.ex"
	done
	t_done
}

main "$@"
