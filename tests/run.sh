#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/run.sh - run every credkit test and count the TAP lines they print.
#
# Unit tests run from the sanitizer build (build/asan/tests/test_NAME, fed
# the data files in tests/data/NAME/); shell tests (tests/t-*.sh) run twice,
# with CREDKIT_BIN=bin (what is installed) and CREDKIT_BIN=build/asan/bin
# (AddressSanitizer and UBSan on every helper call).
#
# JOBS suites (default: twice the number of CPUs) run at once, the slowest
# first: most of a suite's time is spent waiting on its daemons, children
# and bounds, not on a CPU.  Each suite's output is shown whole when it
# ends, so lines of two suites never mix.  Suites share nothing but the build: each makes
# its own temporary folder, HOME, keyring session and ports.
# A suite still running after SUITE_TIMEOUT seconds (900) is ended, with
# everything in its process group, and counted as a failure; so is every
# running suite when run.sh itself is stopped.
# The last line is "N passed, N failed"; the status is 0 only when nothing
# failed and something ran.  TESTS="registry t-secretservice" picks a subset.
set -u
cd "$(dirname "$0")/.." || exit 1
export CREDKIT_ROOT=$PWD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

jobs=${JOBS:-$(( 2 * $(nproc 2>/dev/null || echo 1) ))}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=2
suite_timeout=${SUITE_TIMEOUT:-900}
out=$(mktemp -d "${TMPDIR:-/tmp}/credkit-tests.XXXXXX") || exit 1
declare -A running=()
# Each suite runs under timeout(1), its child: ending it ends the suite.
stop_running() {
	local p
	for p in "${!running[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null
	done
}
trap 'stop_running; rm -rf "$out"' EXIT
trap 'exit 130' INT TERM HUP
: >"$out/log"

# The suites that take longest, started first so that the last one to end
# is a short one (measured on a 2-core machine; a suite not named here
# starts after these).
SLOW="t-packaging t-ecr t-faults-store t-faults-token t-pass t-kubelet-ecr
	t-ghcr-registry t-secretservice t-lint t-fuzz t-kubelet-ghcr t-load t-keyctl
	t-bench t-configure t-ghcr t-secrecy t-kubelet-driver"

wanted() {
	[ -z "${TESTS:-}" ] && return 0
	case " $TESTS " in *" $1 "* | *" ${1%:asan} "*) return 0 ;; esac
	return 1
}

names=() cmds=()
add() {
	wanted "$1" || return 0
	names+=("$1")
	cmds+=("$2")
}
for s in $SLOW; do
	[ -f "tests/$s.sh" ] || continue
	add "$s" "CREDKIT_BIN=\$PWD/bin bash tests/$s.sh"
	add "$s:asan" "CREDKIT_BIN=\$PWD/build/asan/bin bash tests/$s.sh"
done
for t in tests/t-*.sh; do
	s=$(basename "$t" .sh)
	case " $(echo $SLOW) " in *" $s "*) continue ;; esac
	add "$s" "CREDKIT_BIN=\$PWD/bin bash $t"
	add "$s:asan" "CREDKIT_BIN=\$PWD/build/asan/bin bash $t"
done
for t in build/asan/tests/test_*; do
	[ -x "$t" ] || continue
	s=${t##*/test_}
	add "$s" "$t tests/data/$s/*.txt"
done

# finish I: show suite I's output and status; a non-zero exit that printed
# no "not ok" (a crash) counts as one more failure.
failed_suites=()
finish() {
	local i=$1 name=${names[$1]} status
	status=$(cat "$out/$i.rc" 2>/dev/null || echo 255)
	printf '# %s\n' "$name"
	cat "$out/$i.out"
	printf '# %s: exit %d in %ds\n' "$name" "$status" "$(cat "$out/$i.time")"
	cat "$out/$i.out" >>"$out/log"
	if [ "$status" -ne 0 ]; then
		failed_suites+=("$name")
		if ! grep -q '^not ok ' "$out/$i.out"; then
			echo "not ok - $name exited with status $status" | tee -a "$out/log"
		fi
	fi
}

for i in "${!names[@]}"; do
	(
		start=$(date +%s)
		eval "timeout -k 30 $suite_timeout env ${cmds[$i]}" >"$out/$i.out" 2>&1 </dev/null
		rc=$?
		[ "$rc" -eq 124 ] && echo "not ok - ${names[$i]} ended after SUITE_TIMEOUT ($suite_timeout s)" >>"$out/$i.out"
		echo "$rc" >"$out/$i.rc"
		echo $(( $(date +%s) - start )) >"$out/$i.time"
	) &
	running[$!]=$i
	while [ "${#running[@]}" -ge "$jobs" ]; do
		wait -n -p done_pid
		finish "${running[$done_pid]}"
		unset "running[$done_pid]"
	done
done
while [ "${#running[@]}" -gt 0 ]; do
	wait -n -p done_pid
	finish "${running[$done_pid]}"
	unset "running[$done_pid]"
done

passed=$(grep -c '^ok ' "$out/log")
failed=$(grep -c '^not ok ' "$out/log")
if [ "${#failed_suites[@]}" -gt 0 ]; then
	printf '# suites with failures: %s\n' "${failed_suites[*]}"
fi
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
