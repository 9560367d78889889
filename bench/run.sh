#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/run.sh - every comparison of bench/ in one go, on the machine at
# hand, into one Markdown report: bench/RESULTS.md (make bench).
#
#   bench/run.sh
#
# Runs bench/storage.sh (get, list and store of each storage helper against
# Debian's Go helper), bench/ecr.sh (ecr-login cached and cold against
# Debian's Go ecr-login, and 32 parallel cold gets) and bench/ghcr.sh (ghcr
# cached against `gh auth token`, and 32 parallel cold gets), each leaving
# its hyperfine exports and facts in one directory (BENCH_OUT, see
# bench/lib.sh); then strips a copy of every program for its size, and has
# bench/report.py write the report: the date, the machine, the commit, the
# tables (medians; ratios Go / credkit within one hyperfine run, higher is
# better for credkit), and the issue's targets, each marked PASS or FAIL.
# The targets are the report's to check, not a test's: what fails there
# fails on the numbers, and run.sh still exits 0.  It exits 1 when a part
# could not run (its log's end is shown; the report says it is missing).
#
#   RUNS           runs of each fast command (200); the whole run takes
#                  about 4 minutes at 200 on a loaded 2-core machine
#   COLD_RUNS      runs of each cold get (RUNS, at most 30)
#   BENCH_RESULTS  the report's file (bench/RESULTS.md); only when it is
#                  the default is README.md rewritten too, between its
#                  "begin bench/RESULTS.md" and "end" markers, with the
#                  report's tables (so that a test's run leaves both alone)
#   CREDKIT_BIN    the helpers (bin/; the minters in ../libexec/credkit)
#
# Needs what tests/deps.sh installs and `make` built.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CREDKIT_BIN:-$root/bin}
libexec=$(dirname "$bin")/libexec/credkit
[ -d "$libexec" ] || libexec=$root/libexec/credkit
runs=${RUNS:-200}
cold_runs=${COLD_RUNS:-$(( runs < 30 ? runs : 30 ))}
results=${BENCH_RESULTS:-$root/bench/RESULTS.md}
started=$(date +%s)

for tool in hyperfine cc strip readelf /usr/bin/time /usr/bin/python3 \
	"$bin"/docker-credential-{secretservice,pass,keyctl,ecr-login,ghcr} \
	"$libexec"/docker-credential-{ecr-login,ghcr}-mint; do
	command -v "$tool" >/dev/null || {
		echo "bench: missing $tool (make; tests/deps.sh)" >&2
		exit 1
	}
done
case $runs$cold_runs in *[!0-9]*) echo "bench: RUNS and COLD_RUNS are numbers" >&2; exit 2 ;; esac
if [ "$runs" -lt 2 ] || [ "$cold_runs" -lt 2 ]; then
	echo "bench: RUNS and COLD_RUNS are 2 at least (hyperfine's median)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/credkit-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export BENCH_OUT=$tmp/out BENCH_TOOLS=$tmp/tools CREDKIT_BIN=$bin COLD_RUNS=$cold_runs
mkdir "$BENCH_OUT" "$BENCH_TOOLS"
cc -O2 -static -o "$BENCH_TOOLS/feed" "$root/bench/feed.c"
printf 'int main(void) { return 0; }\n' >"$tmp/empty.c"
cc -O2 -static -o "$BENCH_TOOLS/empty-static" "$tmp/empty.c"

# The machine, before the run (the load average again after it).
fact() { printf '%s\t%s\n' "$1" "$2" >>"$BENCH_OUT/facts"; }
fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact nproc "$(nproc)"
fact cpu "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
fact kernel "$(uname -srm)"
fact load.before "$(cut -d' ' -f1-3 /proc/loadavg)"
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null) || commit="not a git checkout"
# What a run rewrites itself does not make the tree modified.
if [ "$commit" != "not a git checkout" ] && [ -n "$(git -C "$root" status --porcelain \
	--untracked-files=no -- . ':!bench/RESULTS.md' ':!README.md' 2>/dev/null)" ]; then
	commit="$commit, with changes not committed"
fi
fact commit "$commit"
for p in golang-docker-credential-helpers amazon-ecr-credential-helper gh; do
	fact "version.$p" "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo unknown)"
done
fact runs "$runs"
fact cold_runs "$cold_runs"

# part NAME SCRIPT: run bench/SCRIPT with RUNS, its output in NAME.log.
failed=()
part() {
	local t0=$SECONDS
	printf 'bench: %s ...' "$1" >&2
	if "$root/bench/$2" "$runs" >"$tmp/$1.log" 2>&1; then
		printf ' %ds\n' $(( SECONDS - t0 )) >&2
		fact "took.$1" $(( SECONDS - t0 ))
	else
		printf ' failed after %ds:\n' $(( SECONDS - t0 )) >&2
		tail -n 20 "$tmp/$1.log" >&2
		failed+=("$1")
		fact "failed.$1" "$(grep -v '^ *$' "$tmp/$1.log" | tail -n 1)"
	fi
}
part storage storage.sh
part ecr-login ecr.sh
part ghcr ghcr.sh

# Sizes: each program as built and a stripped copy; how it is linked.
for p in "$bin"/docker-credential-* "$libexec"/docker-credential-*-mint \
	/usr/bin/docker-credential-{secretservice,pass,ecr-login}; do
	[ -x "$p" ] || continue
	strip -o "$tmp/stripped" "$p"
	if readelf -lW "$p" | grep -q 'program interpreter'; then
		link=dynamic
	elif readelf -hW "$p" | grep -q 'Type: *DYN'; then
		link=static-pie
	else
		link=static
	fi
	case $p in /usr/bin/*) who=Go ;; *) who=credkit ;; esac
	fact "size.$who ${p##*/}" "$(stat -c %s "$p") $(stat -c %s "$tmp/stripped") $link"
done
fact load.after "$(cut -d' ' -f1-3 /proc/loadavg)"
fact took $(( $(date +%s) - started ))

mkdir -p "$(dirname "$results")"
readme=
[ "$results" != "$root/bench/RESULTS.md" ] || readme=$root/README.md
/usr/bin/python3 "$root/bench/report.py" "$BENCH_OUT" "$results" ${readme:+"$readme"}
echo "bench: wrote $results${readme:+ and the tables in $readme}" >&2
[ ${#failed[@]} -eq 0 ] || { echo "bench: failed: ${failed[*]}" >&2; exit 1; }
