# SPDX-License-Identifier: MIT
# bench/lib.sh - what the bench scripts share.
#
#   bench_start TOOL... -- SCRIPT [ARG...]
#
# Exits 1 naming the first TOOL not found (a command or a path); the first
# time, runs SCRIPT ARG... again inside a session keyring of its own
# (`keyctl session`, its "Joined" line dropped), so that what the helpers
# cache is thrown away with it; inside, sources tests/lib.sh and makes TMP
# (t_tmpdir), removed on exit.  Source it from a bench script (bash) with
# root set to the top of the tree.
#
#   bench_tools DIR      DIR/feed (bench/feed.c) and DIR/empty-static (an
#                        empty static program, the floor), built static;
#                        copied from $BENCH_TOOLS when bench/run.sh built
#                        them once for every script
#   bench_json NAME FILE a hyperfine export, kept as $BENCH_OUT/NAME.json
#   bench_fact KEY VALUE a fact for the report, a line "KEY<tab>VALUE" in
#                        $BENCH_OUT/facts
#   bench_go_failed KEY FILE
#                        a hyperfine -i export: exits 1 naming each command
#                        not of a Go helper (its name not "Go ...") that
#                        failed a run, else keeps the Go helpers' failed
#                        runs as the fact "go_failed.KEY N"
#   bench_rss KEY CMD... the peak RSS of CMD (KB, /usr/bin/time -f %M: the
#                        largest of CMD and the children it waited for), the
#                        median of 5 runs, as the fact "rss.KEY KB"
#
# The last four keep nothing unless BENCH_OUT names a directory: bench/run.sh
# sets it, to build its report from what each script leaves there.

# shellcheck shell=bash
bench_start() {
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		command -v "$1" >/dev/null || { echo "bench: missing $1" >&2; exit 1; }
		shift
	done
	shift
	if [ -z "${CREDKIT_BENCH_INSIDE:-}" ]; then
		export CREDKIT_BENCH_INSIDE=1
		exec keyctl session - "$@" 2> >(grep -v '^Joined session keyring:' >&2)
	fi
	# shellcheck source=tests/lib.sh
	. "${root:?bench_start: set root first}/tests/lib.sh"
	t_tmpdir
}

bench_tools() {
	if [ -n "${BENCH_TOOLS:-}" ]; then
		cp "$BENCH_TOOLS/feed" "$BENCH_TOOLS/empty-static" "$1/"
		return
	fi
	cc -O2 -static -o "$1/feed" "${root:?bench_tools: set root first}/bench/feed.c" &&
	printf 'int main(void) { return 0; }\n' >"$1/empty.c" &&
	cc -O2 -static -o "$1/empty-static" "$1/empty.c"
}

bench_json() {
	[ -z "${BENCH_OUT:-}" ] || cp "$2" "$BENCH_OUT/$1.json"
}

bench_fact() {
	[ -z "${BENCH_OUT:-}" ] || printf '%s\t%s\n' "$1" "$2" >>"$BENCH_OUT/facts"
}

bench_go_failed() {
	local n
	n=$(/usr/bin/python3 - "$2" <<'PY'
import json, sys
bad, go = [], 0
for r in json.load(open(sys.argv[1]))["results"]:
    n = sum(1 for c in r["exit_codes"] if c)
    if r["command"].startswith("Go "):
        go += n
    elif n:
        bad.append(f"{r['command']}: {n} of {len(r['exit_codes'])} runs failed")
if bad:
    sys.exit("bench: " + "; ".join(bad))
print(go)
PY
) || return 1
	bench_fact "go_failed.$1" "$n"
}

bench_rss() {
	local key=$1 kb=()
	shift
	[ -n "${BENCH_OUT:-}" ] || return 0
	for _ in 1 2 3 4 5; do
		/usr/bin/time -o "$BENCH_OUT/rss.tmp" -f %M "$@" >/dev/null 2>&1 || true
		kb+=("$(tail -n 1 "$BENCH_OUT/rss.tmp")")
	done
	bench_fact "rss.$key" "$(printf '%s\n' "${kb[@]}" | sort -n | sed -n 3p)"
}
