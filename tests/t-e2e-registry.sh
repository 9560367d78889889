#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-e2e-registry.sh [HELPER_DIR] - docker-credential-secretservice end
# to end, with a real docker CLI, skopeo, gnome-keyring and TLS registry.
#
# HELPER_DIR (default $CREDKIT_BIN, else $CREDKIT_ROOT/bin) is put first on PATH, so docker and
# skopeo run the docker-credential-secretservice found there.  The script
# re-runs itself under tests/with-keyring (a private session bus and an
# unlocked throwaway keyring), starts a registry from tests/registry.sh,
# then: docker login stores the password in the keyring and none in
# config.json; the helper and secret-tool see it; skopeo reads it through
# "credHelpers"; docker logout erases it everywhere.  Prints TAP lines.
#
# Needs root (the registry's CA goes to /etc/docker/certs.d) and the packages
# of tests/deps.sh; without them (or without a built helper) it prints one
# t_skip line, which fails unless CREDKIT_ALLOW_SKIP is set.  Every command is bounded by timeout; the registry, its
# certs.d folder and the temporary files are removed on any exit.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/registry.sh
. "$here/registry.sh"

helper_dir=${1:-${CREDKIT_BIN:-$CREDKIT_ROOT/bin}}
helper=docker-credential-secretservice
T=30	# seconds allowed to any one command

if [ -z "${CREDKIT_E2E_IN_KEYRING:-}" ]; then
	[ -d "$helper_dir" ] && helper_dir=$(cd "$helper_dir" && pwd)
	export CREDKIT_E2E_IN_KEYRING=1
	exec "$here/with-keyring" bash "$here/t-e2e-registry.sh" "$helper_dir"
fi

# show: copies stdin to stdout as TAP comments, the password masked.
show() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		[ -n "${REGISTRY_PASS:-}" ] && line=${line//"$REGISTRY_PASS"/<password>}
		printf '#   %s\n' "$line"
	done
}

# t_run NAME CMD...: ok when CMD succeeds; its output is kept in $TMP/out
# and shown when it fails.
t_run() {
	local name=$1; shift
	if "$@" >"$TMP/out" 2>&1; then
		t_ok "$name"
	else
		t_fail "$name"; show <"$TMP/out"
	fi
}

# t_run_fails NAME PATTERN CMD...: ok when CMD fails and its output matches
# the extended regular expression PATTERN.
t_run_fails() {
	local name=$1 pattern=$2; shift 2
	if "$@" >"$TMP/out" 2>&1; then
		t_fail "$name (it succeeded)"; show <"$TMP/out"
	elif grep -Eiq -- "$pattern" "$TMP/out"; then
		t_ok "$name"
	else
		t_fail "$name (no /$pattern/ in its output)"; show <"$TMP/out"
	fi
}

json_field() { registry_json_field "$@"; }

config() { json_field "$@" <"$DOCKER_CONFIG/config.json"; }

docker_login() {	# USER PASSWORD
	printf '%s\n' "$2" |
		timeout "$T" docker login -u "$1" --password-stdin "$REGISTRY_HOST"
}

helper_get() {
	printf '%s\n' "$REGISTRY_HOST" | timeout "$T" "$helper" get
}

helper_list() { timeout "$T" "$helper" list </dev/null; }

# secret_search: what secret-tool finds for the host (it prints attributes on
# stderr, and the secret itself, so the result goes to a file, never shown).
secret_search() {
	timeout "$T" secret-tool search --all server "$REGISTRY_HOST" \
		>"$TMP/secret-tool" 2>&1 </dev/null
}

skopeo_inspect() {	# AUTHFILE
	timeout "$T" skopeo inspect --authfile "$1" \
		--cert-dir "$REGISTRY_CERT_DIR" \
		"docker://$REGISTRY_HOST/credkit/hello:latest" </dev/null
}

# write_auth FILE USER PASSWORD: a containers auth file with plain "auths".
write_auth() {
	(umask 077 && printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY_HOST" \
		"$(printf '%s:%s' "$2" "$3" | base64 -w0)" >"$1")
}

# preflight: skips the whole file (one TAP line) when this machine cannot
# run it; returns 1 then.
preflight() {
	if [ ! -x "$helper_dir/$helper" ]; then
		t_skip "e2e registry" "no $helper in $helper_dir (run make)"
		return 1
	fi
	registry_preflight "e2e registry" docker skopeo secret-tool
}

main() {
	preflight || return

	t_tmpdir
	# shellcheck disable=SC2034 # read by t_cleanup in lib.sh
	T_CLEANUP_HOOK=registry_stop
	trap 'exit 143' HUP INT TERM	# so the EXIT trap cleans up

	PATH=$helper_dir:$PATH
	t_eq "$helper resolves to the one under test" \
		"$(command -v "$helper")" "$helper_dir/$helper"

	if registry_start "$TMP/registry" 2>"$TMP/out"; then
		t_ok "registry answers 401 on https://$REGISTRY_HOST/v2/"
	else
		t_fail "registry starts"; show <"$TMP/out"
		return 1
	fi
	printf '# helper %s, registry %s\n' "$helper_dir/$helper" "$REGISTRY_HOST"

	# No daemon, whatever this machine runs: the CLI then logs in by itself.
	export DOCKER_HOST=unix://$TMP/no-daemon.sock
	export DOCKER_CONFIG=$TMP/docker
	mkdir -p "$DOCKER_CONFIG"
	printf '{"credsStore":"secretservice"}\n' >"$DOCKER_CONFIG/config.json"
	printf '{"credHelpers":{"%s":"secretservice"}}\n' "$REGISTRY_HOST" \
		>"$TMP/auth-helpers.json"
	printf '{}\n' >"$TMP/auth-empty.json"
	write_auth "$TMP/auth-wrong.json" credkit not-the-password

	t_run "skopeo pushes credkit/hello with explicit credentials" \
		registry_push_hello

	# Sanity: the registry does refuse anonymous and wrong requests.
	t_run_fails "skopeo with an empty auth file is refused" \
		'unauthorized|authentication required' \
		skopeo_inspect "$TMP/auth-empty.json"
	t_run_fails "skopeo with a wrong password is refused" \
		'unauthorized|authentication required' \
		skopeo_inspect "$TMP/auth-wrong.json"
	t_run_fails "docker login with a wrong password fails" \
		'401|unauthorized|400' \
		docker_login credkit not-the-password
	t_eq "the failed login stored nothing" \
		"$(helper_get 2>/dev/null)" "credentials not found in native keychain"

	# Login: the password goes to the keyring, config.json only names the host.
	t_run "docker login succeeds" docker_login credkit "$REGISTRY_PASS"
	t_eq "config.json has an auths entry for the host" \
		"$(config auths "$REGISTRY_HOST")" "{}"
	t_eq "config.json has no auth field for the host" \
		"$(config auths "$REGISTRY_HOST" auth)" "<missing>"
	t_eq "config.json still says credsStore secretservice" \
		"$(config credsStore)" "secretservice"
	t_check "no file under DOCKER_CONFIG holds the password" \
		test -z "$(grep -rlF -e "$REGISTRY_PASS" \
			-e "$(printf '%s:%s' credkit "$REGISTRY_PASS" | base64 -w0)" \
			"$DOCKER_CONFIG")"

	# The helper and the keyring see it.
	helper_get >"$TMP/get" 2>&1
	t_eq "$helper get returns the user" \
		"$(json_field Username <"$TMP/get")" credkit
	t_eq "$helper get returns the password (not shown)" \
		"$(json_field Secret <"$TMP/get" | grep -qxF -e "$REGISTRY_PASS" &&
			echo same || echo differs)" same
	t_eq "$helper get returns the server" \
		"$(json_field ServerURL <"$TMP/get")" "$REGISTRY_HOST"
	t_eq "$helper list maps the host to the user" \
		"$(helper_list | json_field "$REGISTRY_HOST")" credkit
	secret_search
	if grep -qx 'attribute.username = credkit' "$TMP/secret-tool"; then
		t_ok "secret-tool search finds the item with its user"
	else
		t_fail "secret-tool search finds the item with its user"
		show <"$TMP/secret-tool"
	fi

	# skopeo reads credHelpers (never credsStore) and runs our helper.
	if skopeo_inspect "$TMP/auth-helpers.json" >"$TMP/out" 2>&1 &&
		[ "$(json_field Name <"$TMP/out")" = "$REGISTRY_HOST/credkit/hello" ]; then
		t_ok "skopeo inspect reads the credentials through credHelpers"
	else
		t_fail "skopeo inspect reads the credentials through credHelpers"
		show <"$TMP/out"
	fi

	# Logout erases it everywhere.
	t_run "docker logout succeeds" \
		timeout "$T" docker logout "$REGISTRY_HOST"
	t_eq "$helper get after logout: not found" \
		"$(helper_get 2>/dev/null)" "credentials not found in native keychain"
	t_check "$helper get after logout exits non-zero" \
		eval '! helper_get >/dev/null 2>&1'
	t_eq "$helper list after logout: no entry for the host" \
		"$(helper_list | json_field "$REGISTRY_HOST")" "<missing>"
	secret_search
	t_eq "secret-tool search after logout finds nothing" \
		"$(cat "$TMP/secret-tool")" ""
	t_eq "config.json after logout has no entry for the host" \
		"$(config auths "$REGISTRY_HOST")" "<missing>"
	t_run_fails "skopeo through credHelpers after logout is refused" \
		'unauthorized|authentication required' \
		skopeo_inspect "$TMP/auth-helpers.json"
}

main
t_done
