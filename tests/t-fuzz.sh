#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-fuzz.sh - the libFuzzer targets of tests/fuzz/ build and pass
# over their seeds.
#
#   bash tests/t-fuzz.sh
#
# Builds every target with clang (make FUZZ=1 fuzz-build, into build/fuzz/)
# and runs each once over tests/fuzz/corpus/NAME/ (-runs=0: the seeds, no
# fuzzing), so that the targets keep building and the seeds stay clean.
# make fuzz does the fuzzing itself, for FUZZ_SECONDS a target.  Without
# clang it skips.  CREDKIT_BIN is not used: the sanitizer run only says it
# skips (the targets carry ASan and UBSan themselves).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${CREDKIT_BIN:-}" in
*build/asan/bin | *build/asan/bin/)
	echo "ok - fuzz # SKIP checked once, in the non-sanitizer run"
	exit 0 ;;
esac

t_tmpdir
cd "$CREDKIT_ROOT" || exit 1
if ! command -v clang >/dev/null; then
	t_skip "fuzz: targets build with clang" "no clang on PATH (apt install clang)"
	t_done; exit
fi
if ! make --no-print-directory -s FUZZ=1 fuzz-build >"$TMP/build.log" 2>&1; then
	t_fail "fuzz: make FUZZ=1 fuzz-build"
	sed 's/^/#   /' "$TMP/build.log" | tail -n 20
	t_done; exit
fi
t_ok "fuzz: make FUZZ=1 fuzz-build"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for src in tests/fuzz/fuzz_*.c; do
	name=${src#tests/fuzz/fuzz_}
	name=${name%.c}
	seeds=tests/fuzz/corpus/$name
	n=$(find "$seeds" -type f 2>/dev/null | wc -l)
	t_check "fuzz $name: seeds in $seeds ($n)" test "$n" -gt 0
	mkdir "$TMP/$name"
	if build/fuzz/fuzz/"$name" -runs=0 -artifact_prefix="$TMP/$name-" \
		"$TMP/$name" "$seeds" >"$TMP/$name.log" 2>&1; then
		t_ok "fuzz $name: every seed runs clean"
	else
		t_fail "fuzz $name: every seed runs clean"
		grep -m 5 -E 'ERROR|runtime error|SUMMARY|Running' "$TMP/$name.log" | sed 's/^/#   /'
	fi
done
t_done
