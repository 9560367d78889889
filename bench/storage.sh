#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/storage.sh - `get` of every storage helper, ours and Debian's Go
# ones, in one hyperfine run: credkit keyctl, pass and secretservice, Go
# secretservice and pass.  Prints each mean and its ratio to the Go
# secretservice get.  The goal for keyctl is 10x.  Runs on a private
# gnome-keyring, a fresh session keyring and a throwaway GNUPGHOME with a
# passphrase-less key.
#
# Each command gets its stdin from bench/feed (a static exec-with-redirect)
# rather than `sh -c '... < file'`: on this machine the shell alone takes
# 5.7 ms, more than a whole keyctl get, and would drown what is measured.
# FEED=sh measures through the shell instead.
#
#   bench/storage.sh [RUNS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CREDKIT_BIN:-$root/bin}
runs=${1:-100}
for tool in hyperfine keyctl pass gpg "$bin/docker-credential-keyctl" \
	"$bin/docker-credential-pass" "$bin/docker-credential-secretservice" \
	/usr/bin/docker-credential-secretservice /usr/bin/docker-credential-pass; do
	command -v "$tool" >/dev/null || { echo "bench: missing $tool" >&2; exit 1; }
done

if [ -z "${CREDKIT_BENCH_INSIDE:-}" ]; then
	export CREDKIT_BENCH_INSIDE=1
	exec "$root/tests/with-keyring" keyctl session - "$0" "$@" 2> >(grep -v 'fd limit\|session keyring' >&2)
fi

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
for h in "$bin"/docker-credential-{keyctl,pass,secretservice} /usr/bin/docker-credential-pass; do
	"$h" store < "$dir/creds"
done

cc -O2 -static -o "$dir/feed" "$root/bench/feed.c"
# run HELPER: the command line that runs HELPER get on the server file.
run() {
	if [ "${FEED:-}" = sh ]; then
		printf "sh -c '%s get < %s'" "$1" "$dir/server"
	else
		printf '%s %s %s get' "$dir/feed" "$dir/server" "$1"
	fi
}
hyperfine -N --warmup 10 --runs "$runs" --export-json "$dir/get.json" \
	-n "credkit keyctl" "$(run "$bin/docker-credential-keyctl")" \
	-n "credkit secretservice" "$(run "$bin/docker-credential-secretservice")" \
	-n "Go secretservice" "$(run /usr/bin/docker-credential-secretservice)" \
	-n "credkit pass" "$(run "$bin/docker-credential-pass")" \
	-n "Go pass" "$(run /usr/bin/docker-credential-pass)" >/dev/null 2>&1

/usr/bin/python3 - "$dir/get.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["Go secretservice"]["mean"]
print("| get of                | mean      | Go secretservice / this |")
print("|-----------------------|-----------|-------------------------|")
for name, r in res.items():
    print(f"| {name:21} | {r['mean'] * 1e3:6.2f} ms | {base / r['mean']:22.2f}x |")
print(f"\npass: Go / credkit = {res['Go pass']['mean'] / res['credkit pass']['mean']:.2f}x")
PY
printf '\nsizes:'
for h in "$bin"/docker-credential-*; do printf ' %s %s,' "${h##*-}" "$(stat -c %s "$h")"; done
echo
