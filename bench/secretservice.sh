#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/secretservice.sh - our docker-credential-secretservice against
# Debian's Go helper, in one hyperfine run each for get, list and store,
# on a private unlocked gnome-keyring.  Prints the mean times and the ratio
# Go / credkit (higher is better for credkit), with the default plain session
# and with CREDKIT_SECRETSERVICE_SESSION=dh.  The goal for get is 3x.
#
#   bench/secretservice.sh [RUNS]
# Every command starts through `sh -c '... < file'`, as a client would.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
ours=${OURS:-$root/bin/docker-credential-secretservice}
theirs=${THEIRS:-/usr/bin/docker-credential-secretservice}
runs=${1:-200}

for tool in hyperfine "$ours" "$theirs" gnome-keyring-daemon; do
	command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 1; }
done

if [ -z "${CREDKIT_BENCH_INSIDE:-}" ]; then
	CREDKIT_BENCH_INSIDE=1 exec "$root/tests/with-keyring" "$0" "$@" 2> >(grep -v 'fd limit' >&2)
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
server=https://bench.registry.example:5000
printf '%s\n' "$server" > "$dir/server"
printf '{"ServerURL":"%s","Username":"bench","Secret":"not-a-real-secret-0123456789"}' \
	"$server" > "$dir/creds"
"$ours" store < "$dir/creds"

# bench VERB INPUT: one hyperfine run of the Go helper, ours, and ours with
# an encrypted session; prints a table row with the two ratios.
bench() {
	local verb=$1 input=$2
	hyperfine -N --warmup 20 --runs "$runs" --export-json "$dir/$verb.json" \
		-n go "sh -c '$theirs $verb < $input'" \
		-n credkit "sh -c '$ours $verb < $input'" \
		-n dh "sh -c 'CREDKIT_SECRETSERVICE_SESSION=dh $ours $verb < $input'" \
		>/dev/null 2>&1
	/usr/bin/python3 - "$dir/$verb.json" "$verb" <<'PY'
import json, sys
r = {x["command"]: x["mean"] * 1e3 for x in json.load(open(sys.argv[1]))["results"]}
go, ck, dh = r["go"], r["credkit"], r["dh"]
print(f"| {sys.argv[2]:5} | {go:6.2f} ms | {ck:6.2f} ms | {go / ck:5.2f}x "
      f"| {dh:6.2f} ms | {go / dh:5.2f}x |")
PY
}

echo "| verb  | Go 0.6.4  | credkit   | ratio  | credkit, dh session | ratio  |"
echo "|-------|-----------|-----------|--------|---------------------|--------|"
bench get "$dir/server"
bench list /dev/null
bench store "$dir/creds"
printf '\nsizes: credkit %s bytes, Go %s bytes\n' \
	"$(stat -c %s "$ours")" "$(stat -c %s "$theirs")"
"$ours" erase < "$dir/server"
