#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/run.sh - run every credkit test and count the TAP lines they print.
#
# Unit tests run from the sanitizer build (build/asan/tests/test_NAME, fed
# the data files in tests/data/NAME/); shell tests (tests/t-*.sh) run twice,
# with CREDKIT_BIN=bin (what is installed) and CREDKIT_BIN=build/asan/bin
# (AddressSanitizer and UBSan on every helper call).
# The last line is "N passed, N failed"; the status is 0 only when nothing
# failed and something ran.  TESTS="registry t-secretservice" picks a subset.
set -u
cd "$(dirname "$0")/.." || exit 1
export CREDKIT_ROOT=$PWD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

log=$(mktemp "${TMPDIR:-/tmp}/credkit-tests.XXXXXX")
trap 'rm -f "$log"' EXIT
failed_suites=()

wanted() {
	[ -z "${TESTS:-}" ] && return 0
	case " $TESTS " in *" $1 "* | *" ${1%:asan} "*) return 0 ;; esac
	return 1
}

# run NAME CMD...: run one suite, show its output, remember a non-zero exit
# that printed no "not ok" (a crash) as one more failure.
run() {
	local name=$1 status start before
	shift
	wanted "$name" || return 0
	printf '# %s\n' "$name"
	start=$(date +%s)
	before=$(grep -c '^not ok ' "$log")
	"$@" > >(tee -a "$log") 2>&1
	status=$?
	wait
	printf '# %s: exit %d in %ds\n' "$name" "$status" "$(( $(date +%s) - start ))"
	if [ "$status" -ne 0 ]; then
		failed_suites+=("$name")
		if [ "$(grep -c '^not ok ' "$log")" -eq "$before" ]; then
			echo "not ok - $name exited with status $status" | tee -a "$log"
		fi
	fi
}

for t in build/asan/tests/test_*; do
	[ -x "$t" ] || continue
	name=${t##*/test_}
	run "$name" "$t" tests/data/"$name"/*.txt
done
for t in tests/t-*.sh; do
	name=$(basename "$t" .sh)
	CREDKIT_BIN=$PWD/bin run "$name" bash "$t"
	CREDKIT_BIN=$PWD/build/asan/bin run "$name:asan" bash "$t"
done

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
if [ "${#failed_suites[@]}" -gt 0 ]; then
	printf '# suites with failures: %s\n' "${failed_suites[*]}"
fi
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
