#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-lint.sh - cppcheck and clang-tidy over the tree find nothing that
# tests/lint/suppressions does not let pass.
#
#   bash tests/t-lint.sh
#
# The C files of common/, helpers/, tests/unit/, tests/fuzz/, tests/tools/
# and bench/ (and the headers they include) go through cppcheck (warning,
# style, performance and portability) and clang-tidy (the checks of
# .clang-tidy), with the flags of a build (make lint-flags).  A finding
# fails its line and is printed as FILE:LINE: [CHECK] message; a
# suppression that matched nothing is only noted.
#
# Bound: cppcheck takes seconds.  clang-tidy's analyser is the cost: at its
# default budget (225000 nodes a function) 2 CPU-minutes for the tree, at
# LINT_NODES (20000 unless set) under 20 CPU-seconds, and on this tree with
# the same findings (LINT_NODES=225000 for a deep run).
# Files run in parallel, one a process (clang-tidy 14 carries analyser
# state from one file to the next), and a file's findings are kept in
# build/lint/ under the hash of its preprocessed text, the flags and the
# checks: only a file that changed, or whose headers did, is analysed
# again.  Each tool run is cut at 300 s.
# A missing tool skips its line (t_skip: a failure unless CREDKIT_ALLOW_SKIP
# is set).  LINT_SUPPRESSIONS=FILE reads another list (an empty one shows
# every finding).  CREDKIT_BIN is not used: the sanitizer run only says it
# skips.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${CREDKIT_BIN:-}" in
*build/asan/bin | *build/asan/bin/)
	echo "ok - lint # SKIP checked once, in the non-sanitizer run"
	exit 0 ;;
esac

t_tmpdir
cd "$CREDKIT_ROOT" || exit 1
SUPPRESSIONS=${LINT_SUPPRESSIONS:-tests/lint/suppressions}
JOBS=$(nproc 2>/dev/null || echo 2)
files=(common/*.c common/*/*.c helpers/*/*.c helpers/*/mint/*.c tests/unit/*.c
       tests/fuzz/*.c tests/tools/*.c bench/*.c)

# Every suppression names a tool, a check, where, and why.
bad=$(awk '!/^#/ && NF && ($1 !~ /^(cppcheck|clang-tidy)$/ || NF < 4)' "$SUPPRESSIONS")
t_eq "lint: every line of $SUPPRESSIONS is TOOL CHECK WHERE REASON" "$bad" ""

# off TOOL: the checks TOOL has off everywhere, one a line.
off() { awk -v t="$1" '$1 == t && $3 == "*" { print $2 }' "$SUPPRESSIONS"; }

if ! flags=$(make -s --no-print-directory lint-flags 2>"$TMP/flags.err"); then
	t_fail "lint: make lint-flags"
	sed 's/^/#   /' "$TMP/flags.err"
	t_done; exit
fi

# filter TOOL < FINDINGS: the findings (FILE:LINE: [CHECK] text) that no
# suppression of TOOL for that file names; the suppressions that matched
# go to $TMP/used.
filter() {
	local tool=$1 line file check t c where glob ok
	local -a sup=()
	while read -r t c where _; do
		[ "$t" = "$tool" ] && [ "$where" != "*" ] && sup+=("$c $where")
	done < <(grep -v '^#' "$SUPPRESSIONS")
	while IFS= read -r line; do
		file=${line%%:*}
		check=${line#*\[}
		check=${check%%\]*}
		ok=
		for t in "${sup[@]}"; do
			c=${t%% *}
			[[ ",$check," == *",$c,"* ]] || continue
			IFS=, read -ra where <<<"${t#* }"
			for glob in "${where[@]}"; do
				# shellcheck disable=SC2053 # glob is a pattern
				if [[ $file == $glob ]]; then
					ok=1
					echo "$tool $t" >>"$TMP/used"
					break 2
				fi
			done
		done
		[ -n "$ok" ] || printf '%s\n' "$line"
	done
}

# report TOOL NAME FINDINGS-FILE: one TAP line, the findings under it.
report() {
	local n
	filter "$1" <"$3" | sort -u >"$3.new"
	n=$(wc -l <"$3.new")
	if [ "$n" -eq 0 ]; then
		t_ok "$2"
	else
		t_fail "$2: $n finding(s) not in $SUPPRESSIONS"
		sed 's/^/#   /' "$3.new"
	fi
}

# --- cppcheck: given only the tree's headers; it knows libc's itself. ---
if ! command -v cppcheck >/dev/null; then
	t_skip "lint: cppcheck" "no cppcheck on PATH (apt install cppcheck)"
else
	cpp_flags=()
	for f in $flags; do
		case $f in -I/*) ;; -I* | -D*) cpp_flags+=("$f") ;; esac
	done
	off cppcheck | sed 's/^/--suppress=/' >"$TMP/cppcheck.off"
	mapfile -t cpp_off <"$TMP/cppcheck.off"
	start=$SECONDS
	timeout 300 cppcheck -q -j "$JOBS" --std=c11 --language=c --platform=unix64 \
		--library=posix,gnu,openssl,libcurl "-D__$(uname -m)__" -D__linux__ \
		"${cpp_flags[@]}" -Itests/unit -Itests/fuzz \
		--enable=warning,style,performance,portability "${cpp_off[@]}" \
		--template='{file}:{line}: [{id}] {message}' "${files[@]}" \
		>"$TMP/cppcheck.out" 2>"$TMP/cppcheck.txt"
	status=$?
	[ "$status" -eq 124 ] && echo "cppcheck:0: [timeout] cut after 300 s" >>"$TMP/cppcheck.txt"
	report cppcheck "lint: cppcheck over ${#files[@]} files ($((SECONDS - start)) s)" \
		"$TMP/cppcheck.txt"
fi

# --- clang-tidy: one file a process, the findings cached by content. ---
# tidy_one FILE: print FILE's findings as FILE:LINE: [CHECK] text.
tidy_one() {
	local f=$1 extra=() key out status
	case $f in tests/unit/*) extra=(-Itests/unit) ;; esac
	# shellcheck disable=SC2086 # flags are words
	key=$({ printf '%s\n' "$LINT_KEY" "$f"; cc -E $LINT_FLAGS "${extra[@]}" "$f" 2>&1; } |
		sha256sum | cut -c1-40)
	out=$LINT_CACHE/$key
	if [ ! -e "$out" ]; then
		# shellcheck disable=SC2086
		timeout 300 clang-tidy --quiet --checks="$LINT_CHECKS" \
			--header-filter="$LINT_HEADERS" "$f" -- $LINT_FLAGS "${extra[@]}" \
			-Xclang -analyzer-config -Xclang "max-nodes=$LINT_NODES" \
			>"$out.$$" 2>/dev/null
		status=$?
		{
			sed -n "s|^$LINT_ROOT/||; s/^\([^:]*:[0-9]*\):[0-9]*: \(warning\|error\): \(.*\) \[\([^]]*\)\]\$/\1: [\4] \3/p" "$out.$$"
			case $status in
			0 | 1) ;;	# 1: it found a compiler error, printed above
			124) echo "$f:0: [timeout] clang-tidy cut after 300 s" ;;
			*) echo "$f:0: [crash] clang-tidy exited with status $status" ;;
			esac
		} >"$out.$$.found"
		rm -f "$out.$$"
		# A cut or crashed run is not kept: the next one tries again.
		if [ "$status" -gt 1 ]; then
			cat "$out.$$.found"
			rm -f "$out.$$.found"
			return
		fi
		mv "$out.$$.found" "$out"
	fi
	cat "$out"
}

if ! command -v clang-tidy >/dev/null; then
	t_skip "lint: clang-tidy" "no clang-tidy on PATH (apt install clang-tidy)"
else
	LINT_FLAGS=$flags
	LINT_ROOT=$CREDKIT_ROOT
	LINT_CHECKS=$(off clang-tidy | sed 's/^/-/' | paste -sd, -)
	# Headers of the tree, not the system's: the root as a literal regex.
	LINT_HEADERS="^$(printf '%s' "$CREDKIT_ROOT" | sed 's/[][\.*^$+?(){}|]/\\&/g')/(include|tests)/"
	LINT_CACHE=build/lint/clang-tidy
	LINT_NODES=${LINT_NODES:-20000}
	LINT_KEY=$(clang-tidy --version; cat .clang-tidy
		   echo "$LINT_CHECKS $LINT_HEADERS $LINT_NODES $flags")
	export LINT_FLAGS LINT_ROOT LINT_CHECKS LINT_HEADERS LINT_CACHE LINT_NODES LINT_KEY
	export -f tidy_one
	mkdir -p "$LINT_CACHE"
	start=$SECONDS
	printf '%s\n' "${files[@]}" |
		xargs -P "$JOBS" -n 1 bash -c 'tidy_one "$1"' tidy >"$TMP/clang-tidy.txt"
	report clang-tidy "lint: clang-tidy over ${#files[@]} files ($((SECONDS - start)) s)" \
		"$TMP/clang-tidy.txt"
fi

# A file suppression nothing needs any more is worth knowing, not a failure.
grep -v '^#' "$SUPPRESSIONS" | awk '$3 != "*" && NF { print $1, $2, $3 }' |
	while read -r line; do
		grep -qxF "$line" "$TMP/used" 2>/dev/null ||
			echo "# lint: suppression matched nothing: $line"
	done
t_done
