#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh - run each libFuzzer target for a set time (make fuzz).
#
#   tests/fuzz/run.sh SECONDS [NAME...]
#
# Runs build/fuzz/fuzz/NAME (every target built, or those named), one at a
# time, for SECONDS each over its seeds (tests/fuzz/corpus/NAME/, only
# read) and what earlier runs found (build/fuzz/corpus/NAME/, grown).  A
# crash or sanitizer report leaves its input as build/fuzz/crashes/NAME-*
# and its log as build/fuzz/NAME.log.  Prints one line a target, executions
# and seconds without a finding or the finding; exits 1 when any target
# found something.
set -u
cd "$(dirname "$0")/../.." || exit 1
seconds=${1:-60}
shift
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
	for t in build/fuzz/fuzz/*; do
		[ -x "$t" ] && names+=("${t##*/}")
	done
fi
if [ "${#names[@]}" -eq 0 ]; then
	echo "fuzz: no targets in build/fuzz/fuzz/ (make FUZZ=1 fuzz-build)" >&2
	exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p build/fuzz/crashes
status=0
for name in "${names[@]}"; do
	mkdir -p "build/fuzz/corpus/$name"
	log=build/fuzz/$name.log
	build/fuzz/fuzz/"$name" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="build/fuzz/crashes/$name-" \
		"build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	took=$(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p;s/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		printf 'fuzz %s: %s executions in %s s, no finding\n' "$name" "${runs:-?}" "${took:-$seconds}"
	else
		status=1
		printf 'fuzz %s: FINDING after %s executions (exit %d): %s\n' "$name" "${runs:-?}" "$rc" \
			"$(grep -m 1 -E 'ERROR: |runtime error|SUMMARY' "$log")"
		printf 'fuzz %s: input %s, log %s\n' "$name" \
			"$(ls -t build/fuzz/crashes/"$name"-* 2>/dev/null | head -n 1)" "$log"
	fi
done
exit "$status"
