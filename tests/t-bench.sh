#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-bench.sh - bench/run.sh still runs, and its report has its shape.
#
#   bash tests/t-bench.sh
#
# Runs bench/run.sh with RUNS=3 (every part: storage, ecr-login, ghcr) into
# a temporary report, so that bench/RESULTS.md and README.md are left
# alone, and checks the report: the run's lines, every section and table,
# and a PASS or FAIL on each of the six targets.  It does not look at the
# numbers: the targets are the report's to judge, and this machine is
# shared.  About 30 s on a loaded 2-core machine; bounded at 600 s.
# CREDKIT_BIN is not used beyond bin/: the sanitizer run only says it skips
# (a benchmark of sanitizer builds would measure nothing).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${CREDKIT_BIN:-}" in
*build/asan/bin | *build/asan/bin/)
	echo "ok - bench # SKIP checked once, in the non-sanitizer run"
	exit 0 ;;
esac

t_tmpdir
cd "$CREDKIT_ROOT" || exit 1
report=$TMP/RESULTS.md
status=0
RUNS=3 BENCH_RESULTS=$report CREDKIT_BIN=$CREDKIT_ROOT/bin timeout 600 bench/run.sh \
	>"$TMP/run.log" 2>&1 || status=$?
t_eq "bench: bench/run.sh with RUNS=3 exits 0" "$status" 0
[ "$status" -eq 0 ] || sed 's/^/#   /' "$TMP/run.log" | tail -n 30
t_check "bench: the report is written" test -s "$report"
[ -s "$report" ] || { t_done; exit; }

# has NAME REGEX: ok when a line of the report matches REGEX (grep -E).
has() { t_check "bench: report has $1" grep -qE -e "$2" "$report"; }
has "its title" '^# credkit benchmark report$'
has "the date and runs" '^- date: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+ UTC, [0-9]+ s \(RUNS=3, COLD_RUNS=3\)$'
has "the machine" '^- machine: [0-9]+ cores, .+, Linux '
has "the commit" '^- commit: ([0-9a-f]{12}|not a git checkout)'
for section in Targets "The floor" "Storage helpers" ecr-login ghcr \
	"32 parallel cold gets" Sizes "Peak RSS"; do
	has "section $section" "^## $section\$"
done
has "the floor's median" '^An empty static program .*: [0-9.]+ ms \(storage-get\)'
for target in "secretservice \`get\` at least 4x" "keyctl \`get\` at least 12x" \
	"ecr-login cached \`get\` at least 4x" "every dynamically linked program under 150 KB" \
	"peak RSS of each helper's \`get\` under 4 MB" "32 parallel cold gets make one call"; do
	has "target: $target, PASS or FAIL" "^\| $target.* \| (PASS|FAIL) \|\$"
done
for helper in secretservice keyctl pass; do
	for verb in get list store; do
		has "storage row $helper $verb" "^\| $helper \| $verb \| [0-9.]+ ms \| Go [a-z]+ \| [0-9.]+ ms \| [0-9.]+x \| [0-9.]+ ms / [0-9.]+ ms = [0-9.]+x \|\$"
	done
done
has "ecr-login cached row" '^\| cached \| [0-9.]+ ms \| [0-9.]+ ms \| [0-9.]+x \| [0-9.]+ ms / [0-9.]+ ms = [0-9.]+x \|$'
has "ecr-login cold row" '^\| cold \(mints\) \| [0-9.]+ ms \| [0-9.]+ ms \| [0-9.]+x \| [0-9.]+ ms / [0-9.]+ ms = [0-9.]+x \|$'
# shellcheck disable=SC2016 # backquotes of Markdown, not of the shell
has "ghcr row against gh auth token" '^\| `gh auth token` alone \| [0-9.]+ ms \| [0-9.]+x \|$'
has "32 parallel ECR calls, ours and Go's" '^\| ecr-login \| [0-9]+ to ECR \| [0-9]+ to ECR \|$'
for p in secretservice pass keyctl ecr-login ghcr ecr-login-mint ghcr-mint; do
	has "size of $p" "^\| credkit docker-credential-$p \| (dynamic|static-pie|static) \| [0-9]+ KB \| [0-9]+ KB \|"
done
for g in keyctl secretservice pass "ecr-login cached" "ghcr cached"; do
	has "peak RSS of $g get" "^\| credkit $g get \| [0-9.]+ MB \| (PASS|FAIL) \|\$"
done
# shellcheck disable=SC2016 # $1 is that bash's
t_check "bench: no part missing, nothing unmeasured" \
	bash -c '! grep -qE "did not run|not measured|\| - \| - \|" "$1"' _ "$report"
t_done
