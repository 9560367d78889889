#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-ghcr-registry.sh - docker-credential-ghcr end to end, with the real
# docker CLI, skopeo, podman and gh against a TLS registry on 127.0.0.1.
#
# The registry (tests/registry.sh) takes as its only password a made-up
# token, ghp_ and 36 letters, for the users x-access-token and octocat (its
# htpasswd file replaces the one registry_start writes); the settings file
# names it as the container host of a GitHub Enterprise Server,
# ghe.example.test, whose API is never asked (nothing here leaves
# 127.0.0.1).  A second token of the same form is one the registry does not
# know: where it is answered, the push or the inspect must be refused, so
# the registry itself shows which source answered.  Cases:
#
#   nothing   no source has a token: the not-found text, skopeo anonymous
#   store     docker login / logout through credHelpers: the login is kept in
#             the suite's store for passwords (docker-credential-keyctl, in
#             this script's session keyring), config.json holds none of it;
#             a refused login keeps nothing; podman login / logout too
#   env       GH_ENTERPRISE_TOKEN, then GITHUB_ENTERPRISE_TOKEN (gh's order
#             for an Enterprise host; GH_TOKEN is github.com's); GITHUB_ACTOR
#             is the username the registry sees; a github_pat_ token is
#             handed over with one line on stderr
#   kinds     the registry named as github.com's and as a GHE.com tenant's:
#             GH_TOKEN, then GITHUB_TOKEN, not the Enterprise variables; gh
#             asked for that host
#   file      token_file, global or per host, with or without a final
#             newline; group- or world-readable: refused with a line on
#             stderr, and the next source answers
#   gh        the real gh (behind a wrapper that counts its runs) reading a
#             hand-written hosts.yml in GH_CONFIG_DIR: run once for a push
#             and its pulls, and once for 8 parallel skopeo pulls; a
#             rewritten hosts.yml is seen at once, even after a remembered
#             failure; gh_cache_seconds 0 runs it on every get
#   order     store over env over file over gh, each pair both ways, a cached
#             gh token never over env, sources set globally and per host
#
# Each source is checked with skopeo pushing and inspecting, with podman
# login --get-login (skopeo and podman ask with the bare host), and with
# doctor, which must name it and never show a token.  The script
# re-runs itself inside `keyctl session` (CREDKIT_KEYRING=session,
# CREDKIT_STORE=keyctl), with its own HOME, DOCKER_CONFIG, GH_CONFIG_DIR
# and settings file, and no daemon (the docker CLI logs in by itself).
# Needs root (the registry's CA goes to /etc/docker/certs.d) and the
# packages of tests/deps.sh; without them it prints one t_skip line.  Every
# command is bounded by timeout; the registry, its certs.d folder and the
# temporary files are removed on any exit.  Prints TAP lines.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/registry.sh
. "$here/registry.sh"

BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
[ -d "$BIN" ] && BIN=$(cd "$BIN" && pwd)
HELPER=$BIN/docker-credential-ghcr
GHE=ghe.example.test
GITHUB_HOST=$GHE
T=30	# seconds allowed to any one command

# preflight: skips the whole file (one TAP line) when this machine cannot
# run it; returns 1 then.
preflight() {
	if [ ! -x "$HELPER" ]; then
		t_skip "ghcr registry" "no $HELPER (run make)"
		return 1
	fi
	registry_preflight "ghcr registry" docker skopeo podman gh keyctl strace
}

if [ -z "${CREDKIT_GHCR_E2E_IN_SESSION:-}" ]; then
	preflight || { t_done; exit; }
	export CREDKIT_GHCR_E2E_IN_SESSION=1
	keyctl session - bash "$here/t-ghcr-registry.sh" \
		2> >(grep -v '^Joined session keyring:' >&2)
	exit
fi

# mask: stdin to stdout as TAP comments, the tokens replaced by their names.
mask() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line//"$GOOD"/<good token>}
		line=${line//"$BAD"/<unknown token>}
		printf '#   %s\n' "$line"
	done
}

# made_up_token: ghp_ and 36 random letters, the form of a classic token.
made_up_token() {
	"$CREDKIT_PYTHON" -c 'import secrets, string
print("ghp_" + "".join(secrets.choice(string.ascii_letters) for _ in range(36)))'
}

json_field() { registry_json_field "$@"; }

# settings [GLOBAL] [HOST]: the settings file naming the registry as the
# container host of $GITHUB_HOST ($GHE but in case_kinds); GLOBAL and HOST
# are JSON members added to the "ghcr" object and to the host's.
settings() {
	local global=${1:-} host=${2:-}
	printf '{"ghcr": {%s"hosts": {"%s": {"github": "%s", "api": "https://%s/api/v3"%s}}}}\n' \
		"${global:+$global, }" "$REGISTRY_HOST" "$GITHUB_HOST" "$GITHUB_HOST" \
		"${host:+, $host}" >"$CREDKIT_CONFIG"
}

# token_file TOKEN [MODE]: $TMP/token holding TOKEN, mode MODE (600).
token_file() {
	rm -f "$TMP/token"
	(umask 077 && printf '%s\n' "$1" >"$TMP/token") && chmod "${2:-600}" "$TMP/token"
}

# gh_logged_in TOKEN: a fresh GH_CONFIG_DIR whose hosts.yml gives TOKEN for
# $GHE, as `gh auth login` writes it when no system keyring is there.
# gh_logged_out: a fresh one logged in to another host only (gh then says
# "no oauth token" and exits 1).
GH_N=0
gh_dir() {
	GH_N=$((GH_N + 1))
	export GH_CONFIG_DIR=$TMP/gh-$GH_N
	mkdir -m 700 "$GH_CONFIG_DIR"
}
gh_logged_in() {
	gh_dir
	gh_rewrite "$1"
}
# gh_rewrite TOKEN: the same GH_CONFIG_DIR, hosts.yml now giving TOKEN.
gh_rewrite() {
	(umask 077 && printf '%s:\n    oauth_token: %s\n    user: octocat\n    git_protocol: https\n' \
		"$GITHUB_HOST" "$1" >"$GH_CONFIG_DIR/hosts.yml")
}
gh_logged_out() {
	gh_dir
	(umask 077 && printf 'other.example.test:\n    oauth_token: %s\n    user: octocat\n' \
		"$GOOD" >"$GH_CONFIG_DIR/hosts.yml")
}

# gh_runs: how many times gh ran since $GH_RUNS was emptied.
gh_runs() { grep -c . "$GH_RUNS"; }

# ghcr VERB [INPUT]: the helper itself; OUT its stdout, ERR its stderr, RC
# its status.  Neither token may ever be on its stderr.
ghcr() {
	OUT=$(printf '%s' "${2-}" | timeout "$T" "$HELPER" "$1" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
	case $ERR in
	*"$GOOD"* | *"$BAD"*)
		t_fail "a token on the stderr of $1"; mask <"$TMP/err" ;;
	esac
}

# answer: ANSWER is what the helper's get answers the registry: "USER
# good", "USER unknown" (the other token), "not found", or what else it
# printed (masked); OUT, ERR and RC are the get's.
answer() {
	local user secret
	ghcr get "$REGISTRY_HOST"
	if [ "$RC" -ne 0 ]; then
		if [ "$OUT" = "credentials not found in native keychain" ]; then
			ANSWER="not found"
		else
			ANSWER=$(printf 'rc %s: %s\n' "$RC" "$OUT" | mask)
		fi
		return
	fi
	user=$(json_field Username <<<"$OUT")
	secret=$(json_field Secret <<<"$OUT")
	case $secret in
	"$GOOD") ANSWER="$user good" ;;
	"$BAD") ANSWER="$user unknown" ;;
	*) ANSWER="$user other" ;;
	esac
}

# t_answer NAME WANT: the helper's get answers WANT (see answer).
t_answer() {
	answer
	t_eq "$1: the helper answers" "$ANSWER" "$2"
}

push() {	# TAG
	timeout "$T" skopeo --policy "$TMP/policy.json" copy --quiet \
		--dest-authfile "$AUTH" --dest-cert-dir "$REGISTRY_CERT_DIR" \
		"oci:$REGISTRY_DIR/image/oci:latest" "docker://$REGISTRY_HOST/credkit/hello:$1" </dev/null
}

inspect() {	# TAG
	timeout "$T" skopeo inspect --authfile "$AUTH" --cert-dir "$REGISTRY_CERT_DIR" \
		"docker://$REGISTRY_HOST/credkit/hello:$1" </dev/null
}

get_login() {
	timeout "$T" podman login --get-login --authfile "$AUTH" "$REGISTRY_HOST" </dev/null
}

# t_pulls NAME [TAG]: skopeo, through credHelpers, inspects TAG (latest,
# pushed with explicit credentials first): the registry took the token the
# helper gave.
t_pulls() {
	if inspect "${2:-latest}" >"$TMP/out" 2>"$TMP/out.err" &&
		[ "$(json_field Name <"$TMP/out")" = "$REGISTRY_HOST/credkit/hello" ]; then
		t_ok "$1: skopeo inspect is let in"
	else
		t_fail "$1: skopeo inspect is let in"; cat "$TMP/out.err" "$TMP/out" | mask
	fi
}

# t_refused NAME [TAG]: the registry refuses skopeo's inspect of TAG.
t_refused() {
	if inspect "${2:-latest}" >"$TMP/out" 2>&1; then
		t_fail "$1: skopeo inspect is refused (it was let in)"
	elif grep -Eq 'unauthorized|authentication required' "$TMP/out"; then
		t_ok "$1: skopeo inspect is refused"
	else
		t_fail "$1: skopeo inspect is refused (not by the registry)"; mask <"$TMP/out"
	fi
}

# t_pushes NAME TAG: skopeo pushes TAG through credHelpers, then inspects it.
t_pushes() {
	if push "$2" >"$TMP/out" 2>&1; then
		t_ok "$1: skopeo pushes credkit/hello:$2"
	else
		t_fail "$1: skopeo pushes credkit/hello:$2"; mask <"$TMP/out"
	fi
	t_pulls "$1" "$2"
}

# t_get_login NAME USER: podman login --get-login prints USER.
t_get_login() {
	local got
	got=$(get_login 2>"$TMP/podman.err")
	t_eq "$1: podman login --get-login" "$got" "$2"
	[ "$got" = "$2" ] || mask <"$TMP/podman.err"
}

# t_doctor NAME SOURCE: doctor names the registry and says SOURCE answers
# it, and shows neither token.
t_doctor() {
	timeout "$T" "$HELPER" doctor >"$TMP/doctor" 2>&1 </dev/null
	if grep -qF -e "$GOOD" -e "$BAD" "$TMP/doctor"; then
		t_fail "$1: doctor shows the token"
	elif grep -qF "$REGISTRY_HOST" "$TMP/doctor" &&
		grep -i 'answers' "$TMP/doctor" | grep -qw "$2"; then
		t_ok "$1: doctor says $2 answers, without the token"
	else
		t_fail "$1: doctor says $2 answers, without the token"; mask <"$TMP/doctor"
	fi
}

docker_login() {	# USER TOKEN
	printf '%s\n' "$2" |
		timeout "$T" docker login -u "$1" --password-stdin "$REGISTRY_HOST"
}

# stored: the suite's store for passwords, asked by its own helper: the
# user it keeps for the registry, or <missing>.
stored() {
	timeout "$T" "$BIN/docker-credential-keyctl" list </dev/null |
		json_field "$REGISTRY_HOST"
}

# put_store TOKEN: a login for octocat kept as docker login keeps it, through
# the helper's store (docker login itself would try it first, and keep
# nothing when the registry refuses it).
put_store() {
	ghcr store "$(printf '{"ServerURL":"%s","Username":"octocat","Secret":"%s"}' \
		"$REGISTRY_HOST" "$1")"
	[ "$RC" -eq 0 ] || { t_fail "store of a login"; printf '%s\n' "$OUT" | mask; }
}

# reset: no source has a token: no login kept, no cached token (erase drops
# both), no variable, no token file, gh logged out, the plain settings.
reset() {
	ghcr erase "$REGISTRY_HOST"
	unset GH_TOKEN GITHUB_TOKEN GH_ENTERPRISE_TOKEN GITHUB_ENTERPRISE_TOKEN \
		GITHUB_ACTOR GH_HOST
	rm -f "$TMP/token"
	gh_logged_out
	settings
}

case_nothing() {
	echo "# nothing"
	reset
	t_answer "no source" "not found"
	t_eq "no source: the helper exits 1" "$RC" 1
	t_refused "no source"
	get_login >"$TMP/out" 2>&1
	t_eq "no source: podman login --get-login fails" "$?" 125
	t_check "no source: podman says not logged in" grep -q 'not logged in' "$TMP/out"
}

case_store() {
	echo "# store"
	reset
	if docker_login octocat "$BAD" >"$TMP/out" 2>&1; then
		t_fail "docker login with a token the registry does not know fails"
	else
		t_ok "docker login with a token the registry does not know fails"
	fi
	t_answer "a refused docker login" "not found"
	t_eq "a refused docker login keeps nothing in the store" "$(stored)" "<missing>"

	if docker_login octocat "$GOOD" >"$TMP/out" 2>&1 &&
		grep -q 'Login Succeeded' "$TMP/out"; then
		t_ok "docker login through credHelpers"
	else
		t_fail "docker login through credHelpers"; mask <"$TMP/out"
	fi
	t_check "no file under DOCKER_CONFIG holds the token" \
		test -z "$(grep -rlF -e "$GOOD" \
			-e "$(printf 'octocat:%s' "$GOOD" | base64 -w0)" "$DOCKER_CONFIG")"
	t_eq "config.json has no auth field for the host" \
		"$(json_field auths "$REGISTRY_HOST" auth <"$AUTH")" "<missing>"
	t_eq "the suite's store for passwords keeps the login" "$(stored)" octocat
	t_answer "docker login" "octocat good"
	ghcr list
	t_eq "the helper lists the login" "$(json_field "$REGISTRY_HOST" <<<"$OUT")" octocat
	t_pushes "docker login" store
	t_get_login "docker login" octocat
	t_doctor "docker login" store

	if timeout "$T" docker logout "$REGISTRY_HOST" >"$TMP/out" 2>&1; then
		t_ok "docker logout"
	else
		t_fail "docker logout"; mask <"$TMP/out"
	fi
	t_answer "docker logout" "not found"
	t_eq "docker logout empties the store" "$(stored)" "<missing>"
	ghcr list
	t_eq "the helper lists no login after logout" \
		"$(json_field "$REGISTRY_HOST" <<<"$OUT")" "<missing>"
	t_refused "docker logout"

	# podman keeps its login through credHelpers too.
	if printf '%s\n' "$GOOD" | timeout "$T" podman login --authfile "$AUTH" \
		--cert-dir "$REGISTRY_CERT_DIR" -u octocat --password-stdin \
		"$REGISTRY_HOST" >"$TMP/out" 2>&1; then
		t_ok "podman login through credHelpers"
	else
		t_fail "podman login through credHelpers"; mask <"$TMP/out"
	fi
	t_eq "podman login: the store keeps it" "$(stored)" octocat
	t_answer "podman login" "octocat good"
	t_pulls "podman login"
	timeout "$T" podman logout --authfile "$AUTH" "$REGISTRY_HOST" >"$TMP/out" 2>&1
	t_eq "podman logout" "$?" 0
	t_answer "podman logout" "not found"
	t_eq "podman logout empties the store" "$(stored)" "<missing>"
	t_check "config.json still holds no token" \
		test -z "$(grep -lF -e "$GOOD" "$AUTH")"
}

case_env() {
	echo "# env"
	reset
	export GH_ENTERPRISE_TOKEN=$GOOD
	t_answer "GH_ENTERPRISE_TOKEN" "x-access-token good"
	t_pushes "GH_ENTERPRISE_TOKEN" env
	t_get_login "GH_ENTERPRISE_TOKEN" x-access-token
	t_doctor "GH_ENTERPRISE_TOKEN" env
	export GH_ENTERPRISE_TOKEN=$BAD
	t_refused "GH_ENTERPRISE_TOKEN unknown"

	reset
	export GITHUB_ENTERPRISE_TOKEN=$GOOD
	t_answer "GITHUB_ENTERPRISE_TOKEN" "x-access-token good"
	t_pulls "GITHUB_ENTERPRISE_TOKEN"
	export GH_ENTERPRISE_TOKEN=$BAD
	t_answer "GH_ENTERPRISE_TOKEN before GITHUB_ENTERPRISE_TOKEN" "x-access-token unknown"
	t_refused "GH_ENTERPRISE_TOKEN before GITHUB_ENTERPRISE_TOKEN"
	export GH_ENTERPRISE_TOKEN=$GOOD GITHUB_ENTERPRISE_TOKEN=$BAD
	t_pulls "GH_ENTERPRISE_TOKEN before GITHUB_ENTERPRISE_TOKEN"

	# gh's own rule: GH_TOKEN and GITHUB_TOKEN are github.com's.
	reset
	export GH_TOKEN=$GOOD GITHUB_TOKEN=$GOOD
	t_answer "GH_TOKEN and GITHUB_TOKEN for an Enterprise host" "not found"
	t_refused "GH_TOKEN and GITHUB_TOKEN for an Enterprise host"

	# The username: GITHUB_ACTOR, which this registry checks (ghcr.io does not).
	reset
	export GH_ENTERPRISE_TOKEN=$GOOD GITHUB_ACTOR=octocat
	t_answer "GITHUB_ACTOR" "octocat good"
	t_pulls "GITHUB_ACTOR"
	t_get_login "GITHUB_ACTOR" octocat
	export GITHUB_ACTOR=mallory
	t_answer "another GITHUB_ACTOR" "mallory good"
	t_refused "another GITHUB_ACTOR"

	# A fine-grained token, which ghcr.io refuses, is still handed over.
	reset
	export GH_ENTERPRISE_TOKEN=github_pat_11AAAAAAA0aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
	t_answer "a github_pat_ token" "x-access-token other"
	t_check "a github_pat_ token: one line on stderr says the pull may be denied" \
		test "$(printf '%s\n' "$ERR" | grep -ci 'github_pat_\|fine-grained')" -eq 1
	t_refused "a github_pat_ token"
}

# The registry named as github.com's or a GHE.com tenant's: gh's variables
# for those, GH_TOKEN then GITHUB_TOKEN; the Enterprise ones are not theirs.
case_kinds() {
	local kind
	for kind in github.com octo.ghe.com; do
		echo "# kinds: $kind"
		GITHUB_HOST=$kind
		reset
		export GH_TOKEN=$GOOD GITHUB_TOKEN=$BAD GH_ENTERPRISE_TOKEN=$BAD
		t_answer "$kind: GH_TOKEN" "x-access-token good"
		t_pulls "$kind: GH_TOKEN"
		unset GH_TOKEN
		t_refused "$kind: GITHUB_TOKEN after GH_TOKEN"
		export GITHUB_TOKEN=$GOOD
		t_pulls "$kind: GITHUB_TOKEN"
		unset GITHUB_TOKEN
		# (Without gh, which reads the variables itself: Debian's gh 2.23
		# takes a GHE.com tenant for an Enterprise Server.)
		settings '"sources": ["store", "env", "file"]'
		export GH_ENTERPRISE_TOKEN=$GOOD
		t_answer "$kind: GH_ENTERPRISE_TOKEN is not its" "not found"
		unset GH_ENTERPRISE_TOKEN
		settings
		gh_logged_in "$GOOD"
		t_answer "$kind: gh --hostname $kind" "x-access-token good"
		t_pulls "$kind: gh --hostname $kind"
	done
	GITHUB_HOST=$GHE
}

case_file() {
	echo "# file"
	reset
	token_file "$GOOD"
	settings "\"token_file\": \"$TMP/token\""
	t_answer "a global token_file" "x-access-token good"
	t_pushes "a global token_file" file
	t_get_login "a global token_file" x-access-token
	token_file "$BAD"
	t_refused "a global token_file, unknown"
	# As Kubernetes mounts a secret: no final newline.
	rm -f "$TMP/token"
	(umask 077 && printf '%s' "$GOOD" >"$TMP/token")
	t_answer "a token_file with no final newline" "x-access-token good"

	reset
	token_file "$GOOD"
	settings "\"token_file\": \"$TMP/none\"" "\"token_file\": \"$TMP/token\""
	t_answer "a host's token_file over the global one" "x-access-token good"
	t_pulls "a host's token_file over the global one"

	reset
	token_file "$GOOD" 640
	settings "\"token_file\": \"$TMP/token\""
	t_answer "a group-readable token_file" "not found"
	if grep -q "$TMP/token" <<<"$ERR" && grep -Eqi 'readable|permission|mode' <<<"$ERR"; then
		t_ok "a group-readable token_file: one line on stderr says why"
	else
		t_fail "a group-readable token_file: one line on stderr says why"
		printf '%s\n' "$ERR" | mask
	fi
	t_refused "a group-readable token_file"
	gh_logged_in "$GOOD"
	t_answer "a group-readable token_file, then gh" "x-access-token good"
	t_pulls "a group-readable token_file, then gh"
	token_file "$GOOD" 604
	t_answer "a world-readable token_file, then gh" "x-access-token good"
	t_check "a world-readable token_file: a line on stderr names it" \
		grep -q "$TMP/token" <<<"$ERR"
}

case_gh() {
	echo "# gh"
	reset
	gh_logged_in "$GOOD"
	t_check "gh reads the hand-written hosts.yml, offline" \
		test "$(timeout "$T" "$GH_REAL" auth token --hostname "$GHE" 2>/dev/null)" = "$GOOD"
	: >"$GH_RUNS"
	t_answer "gh" "x-access-token good"
	t_pushes "gh" gh
	t_get_login "gh" x-access-token
	t_eq "gh: run once, skopeo's and podman's gets answered from the cache" \
		"$(gh_runs)" 1
	t_doctor "gh" gh
	# A cold get (front, minter, gh) opens no connection: gh reads its
	# hosts.yml, and the API named in the settings is never asked.
	ghcr erase "$REGISTRY_HOST"
	printf '%s' "$REGISTRY_HOST" | timeout "$T" strace -f -qq -e trace=connect \
		-o "$TMP/strace" "$HELPER" get >"$TMP/out" 2>/dev/null
	if ! grep -qF "$GOOD" "$TMP/out"; then
		t_fail "gh: a cold get under strace answers"
	elif grep 'connect(' "$TMP/strace" | grep -qv 'AF_UNIX'; then
		t_fail "gh: a cold get connects nowhere"; mask <"$TMP/strace"
	else
		t_ok "gh: a cold get connects nowhere"
	fi
	# gh's hosts.yml is part of what the cached token is kept under: a
	# login rewritten in place is seen at once, and so is another folder.
	gh_rewrite "$BAD"
	t_answer "gh, hosts.yml rewritten" "x-access-token unknown"
	t_refused "gh, hosts.yml rewritten"
	gh_rewrite "$GOOD"
	t_pulls "gh, hosts.yml rewritten back"
	gh_logged_in "$BAD"
	t_refused "gh, another GH_CONFIG_DIR"

	reset
	t_answer "gh logged out" "not found"
	t_check "gh logged out: one line on stderr" test "$(printf '%s\n' "$ERR" | grep -c .)" -eq 1
	t_refused "gh logged out"
	# With failures remembered (their default): `gh auth login` rewriting
	# hosts.yml is seen by the very next pull.
	unset CREDKIT_TOKEN_FAIL_CACHE_MS
	gh_logged_out
	: >"$GH_RUNS"
	t_answer "gh logged out, failure remembered" "not found"
	t_answer "gh logged out, asked again" "not found"
	t_eq "gh logged out: its failure is remembered" "$(gh_runs)" 1
	gh_rewrite "$GOOD"
	t_answer "gh logged in after a remembered failure" "x-access-token good"
	t_pulls "gh logged in after a remembered failure"
	export CREDKIT_TOKEN_FAIL_CACHE_MS=0

	# Eight skopeo pulls at once through the cold cache: gh runs once.
	reset
	gh_logged_in "$GOOD"
	: >"$GH_RUNS"
	local i pids=() let_in=0
	for i in 1 2 3 4 5 6 7 8; do
		inspect latest >"$TMP/par.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" && let_in=$((let_in + 1))
	done
	t_eq "8 parallel skopeo inspects through a cold cache are let in" "$let_in" 8
	t_eq "8 parallel skopeo inspects: gh ran once" "$(gh_runs)" 1

	reset
	settings '"gh_cache_seconds": 0'
	gh_logged_in "$GOOD"
	: >"$GH_RUNS"
	t_answer "gh, never cached" "x-access-token good"
	t_pulls "gh, never cached"
	t_check "gh, never cached: gh runs on every get" test "$(gh_runs)" -ge 2
}

# Each pair of sources both ways: the first in the order answers, whether
# its token is the registry's or not.
case_order() {
	echo "# order"
	reset
	put_store "$GOOD"
	export GH_ENTERPRISE_TOKEN=$BAD
	t_answer "store over env" "octocat good"
	t_pulls "store over env"
	reset
	put_store "$BAD"
	export GH_ENTERPRISE_TOKEN=$GOOD
	t_answer "store over env, unknown" "octocat unknown"
	t_refused "store over env, unknown"

	reset
	export GH_ENTERPRISE_TOKEN=$GOOD
	token_file "$BAD"
	settings "\"token_file\": \"$TMP/token\""
	t_pulls "env over file"
	export GH_ENTERPRISE_TOKEN=$BAD
	token_file "$GOOD"
	t_refused "env over file, unknown"

	reset
	token_file "$GOOD"
	settings "\"token_file\": \"$TMP/token\""
	gh_logged_in "$BAD"
	t_pulls "file over gh"
	token_file "$BAD"
	gh_logged_in "$GOOD"
	t_refused "file over gh, unknown"

	# A gh token in the cache never hides a source before gh.
	reset
	gh_logged_in "$GOOD"
	t_answer "gh, cached" "x-access-token good"
	export GH_ENTERPRISE_TOKEN=$BAD
	t_answer "env over a cached gh token" "x-access-token unknown"
	t_refused "env over a cached gh token"
	unset GH_ENTERPRISE_TOKEN
	put_store "$BAD"
	t_refused "store over a cached gh token"

	# The order, global and per host.  (Not with env after gh: gh itself
	# answers GH_ENTERPRISE_TOKEN first.)
	reset
	gh_logged_in "$GOOD"
	token_file "$BAD"
	settings "\"sources\": [\"gh\", \"file\"], \"token_file\": \"$TMP/token\""
	t_answer "global sources gh, file" "x-access-token good"
	t_pulls "global sources gh, file"
	settings "\"sources\": [\"gh\", \"file\"], \"token_file\": \"$TMP/token\"" \
		'"sources": ["file", "gh"]'
	t_answer "a host's sources file, gh over the global ones" "x-access-token unknown"
	t_refused "a host's sources file, gh over the global ones"

	reset
	put_store "$GOOD"
	export GH_ENTERPRISE_TOKEN=$GOOD
	settings '"sources": ["file"]'
	t_answer "sources file alone, no file" "not found"
	t_refused "sources file alone, no file"
	token_file "$GOOD"
	settings "\"sources\": [\"file\"], \"token_file\": \"$TMP/token\""
	t_pulls "sources file alone"

	# gh fails (logged out): the sources after it answer.
	reset
	token_file "$GOOD"
	settings "\"sources\": [\"gh\", \"file\"], \"token_file\": \"$TMP/token\""
	t_answer "gh logged out, then file" "x-access-token good"
	t_pulls "gh logged out, then file"
	reset
	put_store "$GOOD"
	settings '"sources": ["env", "gh", "store"]'
	t_answer "gh logged out, then store" "octocat good"
	t_get_login "gh logged out, then store" octocat
}

main() {
	t_tmpdir
	# shellcheck disable=SC2034 # read by t_cleanup in lib.sh
	T_CLEANUP_HOOK=registry_stop
	trap 'exit 143' HUP INT TERM	# so the EXIT trap cleans up

	export PATH=$BIN:$PATH HOME=$TMP/home XDG_RUNTIME_DIR=$TMP/run \
		XDG_CONFIG_HOME=$TMP/home/.config CREDKIT_CONFIG=$TMP/settings.json \
		CREDKIT_KEYRING=session CREDKIT_STORE=keyctl \
		DOCKER_CONFIG=$TMP/docker DOCKER_HOST=unix://$TMP/no-daemon.sock \
		GH_NO_UPDATE_NOTIFIER=1 GH_PROMPT_DISABLED=1
	# The cases ask again at once after a failure, on purpose; gh never
	# reaches a keyring of this machine's session.
	export CREDKIT_TOKEN_FAIL_CACHE_MS=0
	unset DBUS_SESSION_BUS_ADDRESS REGISTRY_AUTH_FILE
	mkdir -p "$HOME" "$DOCKER_CONFIG" && mkdir -m 700 "$XDG_RUNTIME_DIR"
	# The real gh, behind a line that counts its runs.
	GH_REAL=$(command -v gh) GH_RUNS=$TMP/gh-runs
	mkdir "$TMP/gh-bin" && : >"$GH_RUNS"
	printf '#!/bin/sh\necho run >>"%s"\nexec "%s" "$@"\n' "$GH_RUNS" "$GH_REAL" \
		>"$TMP/gh-bin/gh" && chmod +x "$TMP/gh-bin/gh"
	PATH=$TMP/gh-bin:$PATH
	t_eq "docker-credential-ghcr resolves to the one under test" \
		"$(command -v docker-credential-ghcr)" "$HELPER"

	GOOD=$(made_up_token) && BAD=$(made_up_token) || return 1
	{
		printf '%s\n' "$GOOD" | htpasswd -niB x-access-token
		printf '%s\n' "$GOOD" | htpasswd -niB octocat
	} | grep -v '^$' >"$TMP/htpasswd"
	# The registry reads REGISTRY_AUTH_HTPASSWD_PATH over its config.
	if REGISTRY_AUTH_HTPASSWD_PATH=$TMP/htpasswd registry_start "$TMP/registry" \
		2>"$TMP/out"; then
		t_ok "registry answers 401 on https://$REGISTRY_HOST/v2/"
	else
		t_fail "registry starts"; mask <"$TMP/out"
		return 1
	fi
	printf '# helper %s, registry %s\n' "$HELPER" "$REGISTRY_HOST"
	AUTH=$DOCKER_CONFIG/config.json
	printf '{"credHelpers": {"%s": "ghcr"}}\n' "$REGISTRY_HOST" >"$AUTH"
	printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$TMP/policy.json"
	reset
	# The image every case inspects, pushed with explicit credentials; the
	# registry refuses anonymous and unknown-token requests (skopeo reads
	# $DOCKER_CONFIG/config.json after the authfile named, so the helper
	# is asked, with no source).
	export REGISTRY_USER=x-access-token REGISTRY_PASS=$GOOD
	t_check "skopeo pushes credkit/hello with explicit credentials" \
		registry_push_hello
	(umask 077 && printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY_HOST" \
		"$(printf 'x-access-token:%s' "$BAD" | base64 -w0)" >"$TMP/unknown.json")
	AUTH=$TMP/unknown.json t_refused "an unknown token, explicitly"
	printf '{}\n' >"$TMP/empty.json"
	AUTH=$TMP/empty.json t_refused "anonymous"

	case_nothing
	case_store
	case_env
	case_kinds
	case_file
	case_gh
	case_order
	reset
	t_eq "at the end the store holds nothing" "$(stored)" "<missing>"
}

main
t_done
