# SPDX-License-Identifier: MIT
# bench/lib.sh - the start the token helpers' bench scripts share.
#
#   bench_start TOOL... -- SCRIPT [ARG...]
#
# Exits 1 naming the first TOOL not found (a command or a path); the first
# time, runs SCRIPT ARG... again inside a session keyring of its own
# (`keyctl session`, its "Joined" line dropped), so that what the helpers
# cache is thrown away with it; inside, sources tests/lib.sh and makes TMP
# (t_tmpdir), removed on exit.  Source it from a bench script (bash) with
# root set to the top of the tree.

# shellcheck shell=bash
bench_start() {
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		command -v "$1" >/dev/null || { echo "bench: missing $1" >&2; exit 1; }
		shift
	done
	shift
	if [ -z "${CREDKIT_BENCH_INSIDE:-}" ]; then
		export CREDKIT_BENCH_INSIDE=1
		exec keyctl session - "$@" 2> >(grep -v 'session keyring' >&2)
	fi
	# shellcheck source=tests/lib.sh
	. "${root:?bench_start: set root first}/tests/lib.sh"
	t_tmpdir
}
