#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-configure.sh - `docker-credential-NAME configure` with the real
# docker CLI, skopeo, podman and each store.
#
#   bash tests/t-configure.sh
#
# Tests the helpers in $CREDKIT_BIN (default $CREDKIT_ROOT/bin).  A
# throwaway TLS registry (tests/registry.sh, so root) serves the parts that
# log in; keyctl parts run in a session keyring of their own
# (CREDKIT_KEYRING=session), secretservice under tests/with-keyring, pass
# with a throwaway gpg key and store.  The parts:
#
#   edit        configure writes credsStore into a new file (mode 600, its
#               folder made), HOST... credHelpers, keeps other keys and
#               their order, --dry-run prints and writes nothing, --unset
#               removes only this helper's settings, a malformed file is
#               refused with its line and column and left alone, a
#               symlinked config.json is followed, bad options refused
#   docker      after configure, docker login stores through the helper:
#               no password in config.json, the helper answers it
#   containers  configure --containers --migrate writes credHelpers for
#               the hosts of auths (podman ignores credsStore) and says
#               so; skopeo and podman read the login through the helper
#   migrate     --migrate moves base64 auths (Docker Hub's key too) and an
#               identitytoken into the keyring: each printed, no secret
#               printed, the helper answers them, docker reads them, the
#               file keeps the entries blank; a login it cannot
#               move exits 1 naming it and stays in the file
#   interrupt   killed between a store and the file's write (the test knob
#               CREDKIT_TEST_MIGRATE_KILL), migrate leaves the file as it
#               was, and a second run moves everything
#   race        configure looping against docker login looping: docker's
#               entry is never lost and the file always parses
#   stores      --migrate into secretservice and pass as well
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$here/$(basename "${BASH_SOURCE[0]}")
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/registry.sh
. "$here/registry.sh"

T=30		# seconds allowed to any one command
# The race: this many docker logins, each checked.  A login takes about
# 0.1 s and the test waits 0.3 s after it; configure runs hundreds of
# times meanwhile.
RACE_LOGINS=20
HUB=https://index.docker.io/v1/

BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac

# --- helpers ----------------------------------------------------------------------

# run CMD...: RC and OUT (stdout and stderr) of CMD, bounded (a function
# of this file bounds its own commands).
run() {
	if declare -F "$1" >/dev/null; then
		OUT=$("$@" 2>&1 </dev/null)
	else
		OUT=$(timeout "$T" "$@" 2>&1 </dev/null)
	fi
	RC=$?
}

# show: OUT as TAP comments, any password masked.
show() {
	local o=$OUT
	[ -n "${REGISTRY_PASS:-}" ] && o=${o//"$REGISTRY_PASS"/<password>}
	printf '%s\n' "$o" | sed 's/^/#   /'
}

# ok NAME CMD...: a check of the last run; OUT is shown when it fails.
ok() {
	local name=$1; shift
	if "$@"; then t_ok "$name"; else t_fail "$name"; show; fi
}

says() { [ "$RC" -eq "$1" ] && printf '%s' "$OUT" | grep -Eq -- "$2"; }

# field FILE KEY...: the value at KEY/KEY/... of the JSON file FILE
# (strings bare, anything else as sorted JSON), "<missing>", or "<bad>".
field() {
	"$CREDKIT_PYTHON" - "$@" <<-'EOF'
	import json, sys
	try:
	    v = json.load(open(sys.argv[1]))
	except Exception:
	    print("<bad>"); sys.exit(0)
	for k in sys.argv[2:]:
	    if not isinstance(v, dict) or k not in v:
	        print("<missing>"); sys.exit(0)
	    v = v[k]
	print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
	EOF
}

# keys FILE: the top-level keys of FILE in their order, space-separated.
keys() {
	"$CREDKIT_PYTHON" -c 'import json, sys
print(" ".join(json.load(open(sys.argv[1]))))' "$1"
}

b64() { printf '%s' "$1" | base64 -w0; }

# get NAME SERVER: the helper's answer as "username secret", or "<none>".
get() {
	local out
	out=$(printf '%s\n' "$2" | timeout "$T" "$BIN/docker-credential-$1" get 2>/dev/null) ||
		{ echo "<none>"; return; }
	printf '%s' "$out" | "$CREDKIT_PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
print(d["Username"], d["Secret"])'
}

sum() { sha256sum "$1" | cut -d' ' -f1; }

docker_login() {	# [USER PASSWORD]
	if [ $# -eq 2 ]; then
		printf '%s\n' "$2" | timeout "$T" docker login -u "$1" --password-stdin \
			"$REGISTRY_HOST"
	else
		timeout "$T" docker login "$REGISTRY_HOST" </dev/null
	fi
}

need_registry() {
	[ -n "${REGISTRY_HOST:-}" ] && return 0
	t_skip "configure: $1" "${REGISTRY_WHY:-no registry}"
	return 1
}

# --- parts ------------------------------------------------------------------------

part_edit() {
	local h=$BIN/docker-credential-keyctl f before
	export DOCKER_CONFIG=$TMP/edit/.docker
	f=$DOCKER_CONFIG/config.json

	run "$h" configure
	ok "edit: configure in a missing folder succeeds and says so" says 0 'credsStore is now keyctl'
	t_eq "edit: credsStore is keyctl" "$(field "$f" credsStore)" keyctl
	t_eq "edit: the file is mode 600, its folder 700" "$(stat -c %a "$f" "$DOCKER_CONFIG" | tr '\n' ' ')" "600 700 "

	printf '{"auths": {"a.example": {}}, "psFormat": "x", "credsStore": "desktop", "z": [1, 2]}' >"$f"
	chmod 640 "$f"
	run "$h" configure b.example c.example
	ok "edit: configure HOST... succeeds" says 0 'b.example, c.example'
	t_eq "edit: credHelpers for each host" "$(field "$f" credHelpers)" \
		'{"b.example": "keyctl", "c.example": "keyctl"}'
	t_eq "edit: other keys and their order are kept" "$(keys "$f")" \
		"auths psFormat credsStore z credHelpers"
	t_eq "edit: another helper's credsStore stays" "$(field "$f" credsStore)" desktop
	t_eq "edit: the mode is kept" "$(stat -c %a "$f")" 640

	before=$(sum "$f")
	run "$h" configure --dry-run d.example
	ok "edit: --dry-run prints the file it would write" says 0 '"d.example": "keyctl"'
	t_eq "edit: --dry-run writes nothing" "$(sum "$f")" "$before"
	OUT=$(timeout "$T" "$h" configure --dry-run d.example 2>/dev/null)
	t_eq "edit: --dry-run's stdout is the JSON alone" \
		"$(printf '%s' "$OUT" | "$CREDKIT_PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["credHelpers"]["d.example"])')" keyctl

	run "$h" configure --unset
	ok "edit: --unset succeeds" says 0 'removed 2 settings'
	t_eq "edit: --unset removes this helper's credHelpers, keeps desktop" \
		"$(field "$f" credHelpers) $(field "$f" credsStore)" "<missing> desktop"

	printf '{\n  "auths": {\n    "a.example": {"auth": "eDp5"},\n  }\n}\n' >"$f"
	before=$(sum "$f")
	run "$h" configure
	ok "edit: a malformed file is refused with its line and column" says 1 'line 4, column 3'
	t_eq "edit: ... and left untouched" "$(sum "$f")" "$before"
	ok "edit: ... without quoting it" eval '! printf "%s" "$OUT" | grep -q eDp5'

	mkdir -p "$TMP/edit/dotfiles"
	printf '{"auths": {}}\n' >"$TMP/edit/dotfiles/docker.json"
	rm -f "$f"
	ln -s ../dotfiles/docker.json "$f"
	run "$h" configure
	ok "edit: configure through a symlinked config.json" says 0 'dotfiles/docker.json'
	t_eq "edit: the link stays a link, its target is written" \
		"$(stat -c %F "$f") $(field "$TMP/edit/dotfiles/docker.json" credsStore)" \
		"symbolic link keyctl"

	run "$h" configure --bogus
	ok "edit: an unknown option is refused" says 1 'unknown option --bogus'
	run "$h" configure "$(printf 'bad\001host')"
	ok "edit: a host with a control character is refused" says 1 'not a registry host'
	run "$h" configure --unset --migrate
	ok "edit: --unset with --migrate is refused" says 1 'do not go together'
	run env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR "$h" configure --containers
	ok "edit: --containers without its file's variables says which to set" \
		says 1 'REGISTRY_AUTH_FILE'
	printf '{"auths": {}}' >"$TMP/edit/auth.json"
	run env REGISTRY_AUTH_FILE="$TMP/edit/auth.json" "$h" configure --containers
	ok "edit: --containers with no host in auths says what to do" says 1 'ignore credsStore'
	run env -u REGISTRY_AUTH_FILE XDG_RUNTIME_DIR="$TMP/edit/run" "$h" configure --containers x.example
	t_eq "edit: --containers defaults to \$XDG_RUNTIME_DIR/containers/auth.json" \
		"$(field "$TMP/edit/run/containers/auth.json" credHelpers x.example)" keyctl
}

# The token helpers know their registries: configure without hosts names
# those, in credHelpers (a token helper serves no other registry).
part_tokens() {
	local f
	export DOCKER_CONFIG=$TMP/tokens/.docker CREDKIT_CONFIG=$TMP/tokens/credkit.json
	f=$DOCKER_CONFIG/config.json
	mkdir -p "$TMP/tokens"
	printf '{"ecr": {"registries": {"123456789012.dkr.ecr.eu-west-1.amazonaws.com": {},
		"reg.example.com": {"account": "123456789012", "region": "us-east-1"},
		"settings-only.example": {"profile": "x"}}},
		"ghcr": {"hosts": {"containers.ghe.example.com": {"github": "ghe.example.com"}}}}\n' \
		>"$CREDKIT_CONFIG"
	run "$BIN/docker-credential-ecr-login" configure
	ok "tokens: ecr-login names the ECR hosts of the settings" says 0 \
		'123456789012.dkr.ecr.eu-west-1.amazonaws.com, reg.example.com'
	t_eq "tokens: as credHelpers, no credsStore" \
		"$(field "$f" credHelpers) $(field "$f" credsStore)" \
		'{"123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login", "reg.example.com": "ecr-login"} <missing>'
	run "$BIN/docker-credential-ghcr" configure
	ok "tokens: ghcr names ghcr.io and the settings' hosts" says 0 \
		'ghcr.io, containers.ghe.example.com'
	t_eq "tokens: beside ecr-login's" "$(field "$f" credHelpers containers.ghe.example.com) \
$(field "$f" credHelpers reg.example.com)" "ghcr ecr-login"
	run "$BIN/docker-credential-ecr-login" configure --unset
	t_eq "tokens: --unset removes ecr-login's alone" "$(field "$f" credHelpers)" \
		'{"containers.ghe.example.com": "ghcr", "ghcr.io": "ghcr"}'
	unset CREDKIT_CONFIG
}

part_docker() {
	local h=$BIN/docker-credential-keyctl f
	need_registry docker || return 0
	export DOCKER_CONFIG=$TMP/docker PATH=$BIN:$PATH
	f=$DOCKER_CONFIG/config.json

	run "$h" configure
	ok "docker: configure" says 0 credsStore
	run docker_login "$REGISTRY_USER" "$REGISTRY_PASS"
	ok "docker: docker login through the configured helper" says 0 'Login Succeeded'
	t_eq "docker: config.json names the login, without a secret" \
		"$(field "$f" auths "$REGISTRY_HOST")" '{}'
	t_eq "docker: the helper answers it" "$(get keyctl "$REGISTRY_HOST")" \
		"$REGISTRY_USER $REGISTRY_PASS"
	run timeout "$T" docker logout "$REGISTRY_HOST"
	t_eq "docker: docker logout erases it" "$(get keyctl "$REGISTRY_HOST")" "<none>"
}

part_containers() {
	local h=$BIN/docker-credential-keyctl f
	need_registry containers || return 0
	export REGISTRY_AUTH_FILE=$TMP/containers/auth.json PATH=$BIN:$PATH
	f=$REGISTRY_AUTH_FILE
	mkdir -p "${f%/*}"
	printf '{"auths": {"%s": {"auth": "%s"}, "other.example/ns": {"auth": "%s"}}}\n' \
		"$REGISTRY_HOST" "$(b64 "$REGISTRY_USER:$REGISTRY_PASS")" \
		"$(b64 "u:other-secret")" >"$f"
	chmod 600 "$f"

	run "$h" configure --containers --migrate
	ok "containers: configure --containers --migrate says credsStore is ignored" \
		says 0 'ignore credsStore'
	t_eq "containers: credHelpers for every host of auths, no credsStore" \
		"$(field "$f" credHelpers) $(field "$f" credsStore)" \
		"{\"$REGISTRY_HOST\": \"keyctl\", \"other.example\": \"keyctl\"} <missing>"
	t_eq "containers: the logins are blanked in the file" \
		"$(field "$f" auths)" "{\"$REGISTRY_HOST\": {}, \"other.example/ns\": {}}"
	run timeout "$T" skopeo inspect --authfile "$f" --cert-dir "$REGISTRY_CERT_DIR" \
		"docker://$REGISTRY_HOST/credkit/hello:latest"
	ok "containers: skopeo reads the login through credHelpers" says 0 'credkit/hello'
	run timeout "$T" podman login --get-login --authfile "$f" "$REGISTRY_HOST"
	ok "containers: podman finds the login through credHelpers" says 0 "^$REGISTRY_USER\$"
	printf '%s\n' "$REGISTRY_HOST" | "$h" erase
	run timeout "$T" skopeo inspect --authfile "$f" --cert-dir "$REGISTRY_CERT_DIR" \
		"docker://$REGISTRY_HOST/credkit/hello:latest"
	ok "containers: skopeo fails once the helper forgot it (it did use the helper)" \
		eval '[ "$RC" -ne 0 ]'
}

# hub_config FILE: a config.json of base64 logins: the registry's, Docker
# Hub's, an identity token's and an empty entry, credsStore keyctl.
hub_config() {
	mkdir -p "${1%/*}"
	printf '{"auths": {"%s": {"auth": "%s"}, "%s": {"auth": "%s", "email": "h@example"}, "tok.example": {"identitytoken": "tok-%s"}, "empty.example": {}}, "psFormat": "x"}\n' \
		"$REGISTRY_HOST" "$(b64 "$REGISTRY_USER:$REGISTRY_PASS")" \
		"$HUB" "$(b64 "hubuser:hub-$MARK")" "$MARK" >"$1"
	chmod 600 "$1"
}

part_migrate() {
	local h=$BIN/docker-credential-keyctl f
	need_registry migrate || return 0
	export DOCKER_CONFIG=$TMP/migrate PATH=$BIN:$PATH
	f=$DOCKER_CONFIG/config.json
	hub_config "$f"

	run "$h" configure --migrate
	ok "migrate: configure --migrate succeeds" says 0 credsStore
	ok "migrate: it prints each host moved" eval 'says 0 "moved $REGISTRY_HOST into" &&
		says 0 "moved https://index.docker.io/v1/ into" && says 0 "moved tok.example into"'
	ok "migrate: ... and no secret" eval '! printf "%s" "$OUT" | grep -Eq "$MARK|$REGISTRY_PASS|$(b64 "$REGISTRY_USER:$REGISTRY_PASS")"'
	t_eq "migrate: the helper answers the registry" "$(get keyctl "$REGISTRY_HOST")" \
		"$REGISTRY_USER $REGISTRY_PASS"
	t_eq "migrate: ... Docker Hub's key" "$(get keyctl "$HUB")" "hubuser hub-$MARK"
	t_eq "migrate: ... the identity token, as docker keeps one" \
		"$(get keyctl tok.example)" "<token> tok-$MARK"
	t_eq "migrate: the entries stay, blank; other keys stay" \
		"$(field "$f" auths) $(field "$f" psFormat)" \
		"{\"$REGISTRY_HOST\": {}, \"empty.example\": {}, \"$HUB\": {\"email\": \"h@example\"}, \"tok.example\": {}} x"
	ok "migrate: no secret is left in config.json" \
		eval '! grep -Eq "\"(auth|identitytoken)\"|$MARK" "$f"'
	# Without a daemon, docker checks stored credentials nowhere: that it
	# names the user shows it read the login through the helper.
	run docker_login
	ok "migrate: docker reads the moved login through the helper" \
		eval 'printf "%s" "$OUT" | grep -q "existing credentials.*Username: $REGISTRY_USER"'

	printf '{"auths": {"good.example": {"auth": "%s"}, "bad.example": {"auth": "%s"}}}\n' \
		"$(b64 "g:good-$MARK")" "$(b64 "nocolon")" >"$f"
	run "$h" configure --migrate
	ok "migrate: a login it cannot move: exit 1, naming it" says 1 'bad.example'
	t_eq "migrate: ... it stays in the file, the others move" \
		"$(field "$f" auths bad.example auth) $(field "$f" auths good.example)" \
		"$(b64 nocolon) {}"
	t_eq "migrate: ... and the good one is in the helper" "$(get keyctl good.example)" \
		"g good-$MARK"
}

part_interrupt() {
	local h=$BIN/docker-credential-keyctl f before n
	export DOCKER_CONFIG=$TMP/interrupt
	f=$DOCKER_CONFIG/config.json
	REGISTRY_HOST=${REGISTRY_HOST:-reg.example} REGISTRY_USER=${REGISTRY_USER:-u} \
		REGISTRY_PASS=${REGISTRY_PASS:-p-$MARK} hub_config "$f"
	before=$(sum "$f")
	for n in 1 3; do
		run env CREDKIT_TEST_MIGRATE_KILL=$n "$h" configure --migrate
		t_eq "interrupt: killed after $n login(s) stored (status 137)" "$RC" 137
		t_eq "interrupt: ... the file is as it was" "$(sum "$f")" "$before"
	done
	t_eq "interrupt: ... and what was stored is in the helper" "$(get keyctl "$HUB")" \
		"hubuser hub-$MARK"
	run "$h" configure --migrate
	ok "interrupt: a second run succeeds" says 0 "moved https://index.docker.io/v1/"
	t_eq "interrupt: ... and moves everything" \
		"$(get keyctl tok.example) $(field "$f" auths tok.example)" "<token> tok-$MARK {}"
	ok "interrupt: no temporary file is left" \
		eval '[ -z "$(find "$DOCKER_CONFIG" -name ".config.json.credkit-*")" ]'
}

part_race() {
	local h=$BIN/docker-credential-keyctl f i lost=0 loops bad
	need_registry race || return 0
	export DOCKER_CONFIG=$TMP/race PATH=$BIN:$PATH
	f=$DOCKER_CONFIG/config.json
	run "$h" configure
	# configure, in a loop, adds and removes a host of its own
	(
		n=0
		while [ ! -e "$TMP/race.stop" ]; do
			"$h" configure other.example >/dev/null 2>&1 || echo fail >>"$TMP/race.fail"
			"$h" configure --unset other.example >/dev/null 2>&1 ||
				echo fail >>"$TMP/race.fail"
			n=$((n + 1))
		done
		echo "$n" >"$TMP/race.loops"
	) &
	local writer=$!
	# a reader parses the file as fast as it can
	"$CREDKIT_PYTHON" - "$f" "$TMP/race.stop" >"$TMP/race.parse" <<-'EOF' &
	import json, os, sys
	bad = reads = 0
	while not os.path.exists(sys.argv[2]):
	    try:
	        json.load(open(sys.argv[1]))
	    except Exception:
	        bad += 1
	    reads += 1
	print(bad, reads)
	EOF
	local reader=$!
	for i in $(seq "$RACE_LOGINS"); do
		docker_login "$REGISTRY_USER" "$REGISTRY_PASS" >"$TMP/race.out" 2>&1 ||
			{ OUT=$(cat "$TMP/race.out"); RC=1; t_fail "race: docker login $i"; show; }
		[ "$(field "$f" auths "$REGISTRY_HOST")" = '{}' ] || lost=$((lost + 1))
		# let a configure that read the file before the login finish
		sleep 0.3
		[ "$(field "$f" auths "$REGISTRY_HOST")" = '{}' ] || lost=$((lost + 1))
		timeout "$T" docker logout "$REGISTRY_HOST" >/dev/null 2>&1
	done
	touch "$TMP/race.stop"
	wait "$writer" "$reader"
	loops=$(cat "$TMP/race.loops" 2>/dev/null || echo 0)
	bad=$(cat "$TMP/race.parse")
	t_eq "race: docker's entry was never lost ($RACE_LOGINS logins, $loops configure loops)" \
		"$lost" 0
	t_eq "race: configure ran meanwhile, and never failed" \
		"$([ "$loops" -ge 3 ] && [ ! -e "$TMP/race.fail" ] && echo yes)" yes
	t_eq "race: the file always parsed (bad, reads: $bad)" "${bad%% *}" 0
}

# store NAME: --migrate into another store, Docker Hub's key included.
store_migrate() {
	local name=$1 f
	export DOCKER_CONFIG=$TMP/store-$name
	f=$DOCKER_CONFIG/config.json
	mkdir -p "$DOCKER_CONFIG"
	printf '{"auths": {"%s": {"auth": "%s"}, "s.example": {"auth": "%s"}}}\n' "$HUB" \
		"$(b64 "hubuser:hub-$MARK")" "$(b64 "s:s-$MARK")" >"$f"
	run "$BIN/docker-credential-$name" configure --migrate
	ok "stores: $name: configure --migrate" says 0 "moved s.example into"
	t_eq "stores: $name: it answers both, Docker Hub's key too" \
		"$(get "$name" "$HUB"), $(get "$name" s.example)" "hubuser hub-$MARK, s s-$MARK"
	t_eq "stores: $name: the file keeps them blank" "$(field "$f" auths) $(field "$f" credsStore)" \
		"{\"$HUB\": {}, \"s.example\": {}} $name"
}

part_secretservice() { store_migrate secretservice; }

part_pass() {
	export GNUPGHOME=$TMP/gnupg PASSWORD_STORE_DIR=$TMP/pass-store
	mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
	if ! gpg --batch --passphrase '' --quick-gen-key 'credkit test <test@credkit.invalid>' \
		default default never >/dev/null 2>&1 ||
	   ! pass init test@credkit.invalid >/dev/null 2>&1; then
		t_fail "stores: pass: a throwaway gpg key and pass store"
		return
	fi
	store_migrate pass
	gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null
}

# --- main -------------------------------------------------------------------------

# part NAME [WRAPPER...]: part NAME in a bash of its own, under WRAPPER; a
# part that fails fails the run (and tests/run.sh counts one that stops
# without a "not ok" line).
part() {
	local name=$1; shift
	"$@" bash "$SELF" "$name" || T_FAILED=$((T_FAILED + 1))
}

# keyring CMD...: CMD in a fresh session keyring, keyctl's note dropped.
keyring() { keyctl session - "$@" 2> >(grep -v '^Joined session keyring:' >&2); }

main() {
	local p
	if [ $# -gt 0 ]; then	# one part, in its keyring
		t_tmpdir
		MARK=m$$x$RANDOM
		"part_$1"
		t_done
		return
	fi
	t_tmpdir
	printf '# testing %s\n' "$BIN"
	for p in keyctl secretservice pass; do
		[ -x "$BIN/docker-credential-$p" ] || { t_fail "configure: $BIN/docker-credential-$p is built"; return 1; }
	done
	if [ "$(id -u)" -ne 0 ]; then
		REGISTRY_WHY="needs root to trust the test CA in /etc/docker/certs.d"
	elif registry_start "$TMP/registry" >"$TMP/registry.err" 2>&1 && registry_push_hello \
		>>"$TMP/registry.err" 2>&1; then
		T_CLEANUP_HOOK=registry_stop
	else
		REGISTRY_WHY="the test registry did not start: $(tail -n 3 "$TMP/registry.err" | tr '\n' ' ')"
		registry_stop
		unset REGISTRY_HOST
	fi
	export REGISTRY_WHY CREDKIT_KEYRING=session
	for p in edit tokens docker containers migrate interrupt race; do
		part "$p" keyring
	done
	part secretservice "$here/with-keyring"
	part pass
	t_done
}

main "$@"
