#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/demo.sh [HELPER_DIR] - what `make demo` runs after building: docker
# login and logout through credkit's docker-credential-secretservice, told
# step by step for a person watching.
#
# Everything is throwaway: a private keyring on a private session bus
# (tests/with-keyring), a TLS registry on 127.0.0.1 with a password made up
# now (tests/registry.sh), and a DOCKER_CONFIG in a temporary folder, all
# removed on exit.  The password is never printed.  Needs root (the
# registry's CA goes to /etc/docker/certs.d) and the packages of
# tests/deps.sh.  Reads no stdin; exits 0 when every step worked, else 1
# with the step that failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
helper_dir=${1:-${CREDKIT_ROOT:-$root}/bin}
helper=docker-credential-secretservice
T=30	# seconds allowed to any one command

if [ -z "${CREDKIT_DEMO_IN_KEYRING:-}" ]; then
	[ -x "$helper_dir/$helper" ] || {
		echo "demo: no $helper in $helper_dir: run make first" >&2
		exit 1
	}
	helper_dir=$(cd "$helper_dir" && pwd)
	export CREDKIT_DEMO_IN_KEYRING=1
	exec "$here/with-keyring" bash "$here/demo.sh" "$helper_dir" </dev/null
fi

# shellcheck source=tests/registry.sh
. "$here/registry.sh"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${CI:-}" != true ]; then
	bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'
else
	bold='' dim='' off=''
fi
step=0

heading() { step=$((step + 1)); printf '\n%s%d. %s%s\n' "$bold" "$step" "$*" "$off"; }
say()     { printf '   %s\n' "$*"; }
fail()    { printf '\ndemo: step %d failed: %s\n' "$step" "$*" >&2; exit 1; }

# mask: copies stdin to stdout, indented, with the password and any
# secret-tool "secret = ..." line masked.
mask() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		[ -n "${REGISTRY_PASS:-}" ] && line=${line//"$REGISTRY_PASS"/********}
		[[ $line == "secret = "* ]] && line="secret = ********"
		printf '   %s%s%s\n' "$dim" "$line" "$off"
	done
}

# cmd TEXT: shows the command line about to run.
cmd() { printf '   %s$ %s%s\n' "$bold" "$*" "$off"; }

cleanup() {
	registry_stop
	if [ -n "${work:-}" ]; then rm -rf "$work"; fi
}

main() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/credkit-demo.XXXXXX")
	trap cleanup EXIT
	trap 'exit 143' HUP INT TERM
	PATH=$helper_dir:$PATH
	local out=$work/out

	heading "Start a throwaway keyring and a TLS registry"
	say "keyring:  gnome-keyring on a private D-Bus session bus, unlocked"
	registry_start "$work/registry" 2>"$out" || { mask <"$out"; fail "the registry did not start"; }
	say "registry: https://$REGISTRY_HOST (docker-registry, self-signed CA, htpasswd)"
	say "user:     $REGISTRY_USER, password made up for this demo (never shown)"
	say "helper:   $(command -v "$helper")"

	heading "Tell docker to keep credentials in the keyring"
	# No daemon, whatever this machine runs: the CLI then logs in by itself.
	export DOCKER_HOST=unix://$work/no-daemon.sock
	export DOCKER_CONFIG=$work/docker
	mkdir -p "$DOCKER_CONFIG"
	printf '{"credsStore":"secretservice"}\n' >"$DOCKER_CONFIG/config.json"
	cmd "cat \$DOCKER_CONFIG/config.json"
	mask <"$DOCKER_CONFIG/config.json"

	heading "docker login"
	cmd "echo \"\$REGISTRY_PASS\" | docker login -u $REGISTRY_USER --password-stdin $REGISTRY_HOST"
	printf '%s\n' "$REGISTRY_PASS" |
		timeout "$T" docker login -u "$REGISTRY_USER" --password-stdin \
		"$REGISTRY_HOST" >"$out" 2>&1 || { mask <"$out"; fail "docker login failed"; }
	mask <"$out"

	heading "config.json names the registry but holds no secret"
	cmd "cat \$DOCKER_CONFIG/config.json"
	mask <"$DOCKER_CONFIG/config.json"
	grep -qF "\"$REGISTRY_HOST\"" "$DOCKER_CONFIG/config.json" ||
		fail "config.json has no entry for $REGISTRY_HOST"
	if grep -rqF -e "$REGISTRY_PASS" -e '"auth"' "$DOCKER_CONFIG"; then
		fail "config.json holds the password"
	fi
	say "-> no password and no \"auth\" field in \$DOCKER_CONFIG"

	heading "The keyring holds it"
	cmd "secret-tool search --all server $REGISTRY_HOST"
	timeout "$T" secret-tool search --all server "$REGISTRY_HOST" >"$out" 2>&1 ||
		{ mask <"$out"; fail "secret-tool search failed"; }
	mask <"$out"
	grep -qx "attribute.username = $REGISTRY_USER" "$out" ||
		fail "no keyring item for $REGISTRY_HOST"

	heading "Ask the helper, as docker does"
	cmd "echo $REGISTRY_HOST | $helper get"
	printf '%s\n' "$REGISTRY_HOST" | timeout "$T" "$helper" get >"$out" 2>&1 ||
		{ mask <"$out"; fail "$helper get failed"; }
	mask <"$out"
	grep -qF "\"Secret\":\"$REGISTRY_PASS\"" "$out" ||
		fail "$helper get did not return the password"
	say "-> the helper returns the password (masked above)"

	heading "docker logout"
	cmd "docker logout $REGISTRY_HOST"
	timeout "$T" docker logout "$REGISTRY_HOST" >"$out" 2>&1 ||
		{ mask <"$out"; fail "docker logout failed"; }
	mask <"$out"

	heading "It is gone"
	cmd "echo $REGISTRY_HOST | $helper get"
	if printf '%s\n' "$REGISTRY_HOST" | timeout "$T" "$helper" get >"$out" 2>&1; then
		mask <"$out"; fail "the helper still has the credentials"
	fi
	mask <"$out"
	cmd "secret-tool search --all server $REGISTRY_HOST"
	timeout "$T" secret-tool search --all server "$REGISTRY_HOST" >"$out" 2>&1 || true
	if [ -s "$out" ]; then
		mask <"$out"; fail "the keyring still has the item"
	fi
	say "${dim}(nothing)${off}"
	cmd "cat \$DOCKER_CONFIG/config.json"
	mask <"$DOCKER_CONFIG/config.json"
	if grep -qF "\"$REGISTRY_HOST\"" "$DOCKER_CONFIG/config.json"; then
		fail "config.json still names $REGISTRY_HOST"
	fi

	printf '\n%sDemo done:%s the password lived only in the keyring, and logout erased it.\n' \
		"$bold" "$off"
}

main
