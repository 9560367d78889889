#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-licence.sh - credkit's licence: LICENSE, packaging/debian/copyright,
# and an SPDX line at the top of every source file.
#
#   bash tests/t-licence.sh
#
# A source file is a file git tracks that is named *.c, *.h, *.sh, *.py,
# *.1, *.spec or Makefile, or is packaging/debian/rules, or starts with "#!"
# (.ci/run, tests/with-keyring).  Each must say
# "SPDX-License-Identifier: MIT" in its first 5 lines.  Data files
# (tests/data/, the fuzzers' seeds in tests/fuzz/corpus/, the .install and
# .lintian-overrides lists, control) are not source.  Whether the packages ship the licence is t-packaging's part.
# CREDKIT_BIN is not used: the sanitizer run only says it skips.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${CREDKIT_BIN:-}" in
*build/asan/bin | *build/asan/bin/)
	echo "ok - licence # SKIP checked once, in the non-sanitizer run"
	exit 0 ;;
esac

t_tmpdir
cd "$CREDKIT_ROOT" || exit 1

# LICENSE: the MIT licence, as docker-credential-helpers has it.
holder='The credkit authors'
t_check "licence: LICENSE exists" test -s LICENSE
t_check "licence: LICENSE begins with the notice, Copyright (c) YEAR $holder" \
	bash -c 'head -n 1 LICENSE | grep -qxE "Copyright \(c\) [0-9]{4} $1"' _ "$holder"
for phrase in 'Permission is hereby granted, free of charge, to any person obtaining a copy' \
	'The above copyright notice and this permission notice shall be included in' \
	'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR'; do
	t_check "licence: LICENSE says: ${phrase:0:40}..." grep -qxF -e "$phrase" LICENSE
done

# debian/copyright: machine-readable (DEP-5), one Files: * paragraph and the
# licence text, which must be LICENSE's.  lintian checks the format further
# on the source package (t-packaging).
dc=packaging/debian/copyright
t_eq "licence: $dc is DEP-5 1.0" "$(head -n 1 "$dc")" \
	"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
files_par=$(awk -v RS= '/(^|\n)Files: \*(\n|$)/' "$dc")
year=$(sed -n '1s/^Copyright (c) \([0-9]*\) .*/\1/p' LICENSE)
t_check "licence: $dc Files: * is Copyright: $year $holder" \
	grep -qxF -e "Copyright: $year $holder" <<<"$files_par"
t_check "licence: $dc Files: * is License: Expat (SPDX: MIT)" \
	grep -qxF -e "License: Expat" <<<"$files_par"
# The stand-alone paragraph: "License: Expat" first, then the text, one
# space in, "." for an empty line.
awk -v RS= '/^License: Expat\n/' "$dc" | sed -e 1d -e 's/^ //' -e 's/^\.$//' >"$TMP/text"
t_check "licence: $dc holds LICENSE's text" cmp -s "$TMP/text" LICENSE

# source_files: prints every tracked source file, one a line.
source_files() {
	local f
	git ls-files -z | while IFS= read -r -d '' f; do
		case "$f" in
		tests/fuzz/corpus/*) ;;
		*.c | *.h | *.sh | *.py | *.1 | *.spec | Makefile | */Makefile | packaging/debian/rules)
			printf '%s\n' "$f" ;;
		*)
			[ "$(head -c 2 "$f" 2>/dev/null)" = '#!' ] && printf '%s\n' "$f" ;;
		esac
	done
}

if ! git rev-parse --git-dir >/dev/null 2>&1; then
	t_fail "licence: SPDX lines (not a git checkout: no list of tracked files)"
	t_done; exit
fi
source_files >"$TMP/sources"
n=$(wc -l <"$TMP/sources")
missing=()
while IFS= read -r f; do
	head -n 5 "$f" | grep -qE 'SPDX-License-Identifier: MIT( \*/)?$' || missing+=("$f")
done <"$TMP/sources"
t_check "licence: the source files include .c, .h, .sh, .py, man pages, Makefile, debian/rules, .ci/run ($n)" \
	bash -c 'for p in common/engine.c include/engine.h tests/run.sh tests/tools/aws-mock.py \
		helpers/keyctl/docker-credential-keyctl.1 Makefile packaging/debian/rules .ci/run \
		tests/with-keyring packaging/rpm/credkit.spec; do grep -qxF -e "$p" "$1" || exit 1; done' _ "$TMP/sources"
t_eq "licence: source files without SPDX-License-Identifier: MIT in their first 5 lines (${#missing[@]} of $n)" \
	"${missing[*]}" ""
t_done
