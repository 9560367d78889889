#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/storage.sh - `get`, `list` and `store` of every storage helper, ours
# and Debian's Go ones, in one hyperfine run a verb: credkit keyctl, pass
# and secretservice, Go secretservice and pass, and an empty static program
# given the same input (the floor).  Prints each median and its ratio to the
# Go secretservice's (there is no Go keyctl helper: the Go secretservice is
# what keyctl replaces on a host without a desktop) and Go pass / credkit
# pass.  The goals for get: keyctl 12x, secretservice 4x.  Runs on a private
# gnome-keyring, a fresh session keyring and a throwaway GNUPGHOME with a
# passphrase-less key.
#
# Each command gets its stdin from bench/feed (a static exec-with-redirect)
# rather than `sh -c '... < file'`: on this machine the shell alone takes
# 5.7 ms, more than a whole keyctl get, and would drown what is measured.
# FEED=sh measures through the shell instead.
#
#   bench/storage.sh [RUNS]
#
# With BENCH_OUT (bench/run.sh): the exports storage-VERB.json, and the
# peak RSS of each helper's get (and of credkit pass's list, which runs no
# gpg) as facts; see bench/lib.sh.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CREDKIT_BIN:-$root/bin}
runs=${1:-100}
warmup=$(( runs < 10 ? runs : 10 ))
for tool in hyperfine keyctl pass gpg "$bin/docker-credential-keyctl" \
	"$bin/docker-credential-pass" "$bin/docker-credential-secretservice" \
	/usr/bin/docker-credential-secretservice /usr/bin/docker-credential-pass; do
	command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 1; }
done

if [ -z "${CREDKIT_BENCH_INSIDE:-}" ]; then
	export CREDKIT_BENCH_INSIDE=1
	exec "$root/tests/with-keyring" keyctl session - "$0" "$@" 2> >(grep -v 'fd limit\|^Joined session keyring:' >&2)
fi
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

dir=$(mktemp -d)
export GNUPGHOME=$dir/gnupg PASSWORD_STORE_DIR=$dir/store CREDKIT_KEYRING=session
trap 'gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$dir"' EXIT
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'credkit bench <bench@credkit.invalid>' \
	future-default default never 2>/dev/null
pass init "$(gpg --with-colons --list-secret-keys 2>/dev/null |
	awk -F: '/^fpr:/ { print $10; exit }')" >/dev/null 2>&1

server=https://bench.registry.example:5000
printf '%s\n' "$server" > "$dir/server"
printf '{"ServerURL":"%s","Username":"bench","Secret":"not-a-real-secret-0123456789"}' \
	"$server" > "$dir/creds"
for h in "$bin"/docker-credential-{keyctl,pass,secretservice} \
	/usr/bin/docker-credential-{pass,secretservice}; do
	"$h" store < "$dir/creds"
done

bench_tools "$dir"
# run HELPER VERB: the command line that runs HELPER VERB on its input (the
# server for get, nothing for list, the credentials for store).
run() {
	local input=$dir/server
	case $2 in list) input=/dev/null ;; store) input=$dir/creds ;; esac
	if [ "${FEED:-}" = sh ]; then
		printf "sh -c '%s %s < %s'" "$1" "$2" "$input"
	else
		printf '%s %s %s %s' "$dir/feed" "$input" "$1" "$2"
	fi
}
# -i: a failed run of a Go helper is counted, not the end of the part
# (bench_go_failed); credkit's and the floor's must all pass.
for verb in get list store; do
	hyperfine -N -i --warmup "$warmup" --runs "$runs" --export-json "$dir/$verb.json" \
		-n "credkit keyctl" "$(run "$bin/docker-credential-keyctl" $verb)" \
		-n "credkit secretservice" "$(run "$bin/docker-credential-secretservice" $verb)" \
		-n "Go secretservice" "$(run /usr/bin/docker-credential-secretservice $verb)" \
		-n "credkit pass" "$(run "$bin/docker-credential-pass" $verb)" \
		-n "Go pass" "$(run /usr/bin/docker-credential-pass $verb)" \
		-n "empty static program" "$dir/feed $dir/server $dir/empty-static" \
		>"$dir/$verb.log" 2>&1 || { cat "$dir/$verb.log" >&2; exit 1; }
	bench_go_failed "storage-$verb" "$dir/$verb.json" || exit 1
	bench_json "storage-$verb" "$dir/$verb.json"
done

/usr/bin/python3 - "$dir"/{get,list,store}.json <<'PY'
import json, sys
for path in sys.argv[1:]:
    verb = path.rsplit("/", 1)[1][:-5]
    res = {r["command"]: r["median"] for r in json.load(open(path))["results"]}
    base = res["Go secretservice"]
    print(f"| {verb + ' of':21} | median    | Go secretservice / this |")
    print("|-----------------------|-----------|-------------------------|")
    for name, t in res.items():
        print(f"| {name:21} | {t * 1e3:6.2f} ms | {base / t:22.2f}x |")
    print(f"\npass: Go / credkit = {res['Go pass'] / res['credkit pass']:.2f}x\n")
PY
printf 'sizes:'
for h in "$bin"/docker-credential-*; do printf ' %s %s,' "${h##*-}" "$(stat -c %s "$h")"; done
echo

for h in keyctl secretservice pass; do
	bench_rss "credkit $h get" "$dir/feed" "$dir/server" "$bin/docker-credential-$h" get
done
bench_rss "credkit pass list" "$dir/feed" /dev/null "$bin/docker-credential-pass" list
for h in secretservice pass; do
	bench_rss "Go $h get" "$dir/feed" "$dir/server" /usr/bin/docker-credential-$h get
done
bench_rss "empty static program" "$dir/feed" "$dir/server" "$dir/empty-static"
