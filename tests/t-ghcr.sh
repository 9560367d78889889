#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-ghcr.sh - docker-credential-ghcr with the real gh and a stub gh.
#
# The real gh (Debian's package) reads a hand-written hosts.yml in a
# temporary GH_CONFIG_DIR, with no network; a stub gh earlier on PATH
# counts its runs, sleeps or fails on purpose.  Each part runs in a fresh
# session keyring (CREDKIT_KEYRING=session), where the store for passwords
# is the kernel keyring too (CREDKIT_STORE=keyctl), with its own HOME,
# settings file and gh folder:
#
#   hosts     ghcr.io in every spelling and the settings' hosts are ours;
#             any other host is "not found" at once, with no child started
#             (strace), the minter and gh never run
#   env       GH_TOKEN then GITHUB_TOKEN for github.com and *.ghe.com,
#             GH_ENTERPRISE_TOKEN then GITHUB_ENTERPRISE_TOKEN for
#             Enterprise Server; GITHUB_ACTOR is the username
#   file      the settings' token_file, global or per host, ~/, a symlink;
#             refused when group or world may read it, missing, too large
#   gh        the real gh: ghcr.io takes github.com's token, a settings host
#             its GitHub host's; logged out or missing: one line on stderr
#             and "not found"
#   order     the default order store, env, file, gh; "sources" globally and
#             per host; sources after gh answer when gh fails; gh absent
#             from the order is never run
#   bounds    a gh that sleeps is stopped at gh_timeout_ms; one that fails
#             or prints nothing: its words in one line, then "not found"
#   flight    32 parallel cold gets run gh once and all get its token; a
#             failing gh too, its failure remembered; a cached get runs
#             nothing and loads no libcurl or OpenSSL
#   cache     gh's token is used for gh_cache_seconds, then gh runs again;
#             0 runs gh on every get and caches nothing; another gh folder
#             is another identity; erase drops gh's cached token
#   store     docker login keeps the login in the store for passwords (the
#             keyctl helper's entry): get, every spelling, list, erase;
#             it wins over a cached gh token; CREDKIT_STORE=none
#   warn      a fine-grained token (github_pat_) is handed over, with one
#             line on stderr saying why a pull may be denied
#   protocol  the protocol's texts, one line on stdout, errors on stdout
#   doctor    for each host, each source, which answers, the token's kind
#             and length, never the token
#
# Run with a part's name as argument, inside a session keyring, it runs
# that part alone (this is how the script calls itself).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib-ghcr.sh
. "$here/lib-ghcr.sh"

SELF=$here/t-ghcr.sh
PARTS="hosts env file gh order bounds flight cache store warn protocol doctor"
BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
HELPER=$BIN/docker-credential-ghcr
NF="credentials not found in native keychain"
# Made-up tokens, of the kinds GitHub issues.
GH_DOTCOM=gho_realghdotcomtoken0000000000000000001
GH_GHE=gho_realghenterprisetoken000000000000002
STUB_TOKEN_DEFAULT=gho_stubghtoken00000000000000000000003

# --- helpers -------------------------------------------------------------------

# ghcr VERB [INPUT]: run the helper; OUT is its stdout, ERR its stderr, RC
# its status.  Bounded: nothing may take 30 s.
ghcr() {
	local verb=$1 input=${2-}
	OUT=$(printf '%s' "$input" | timeout 30 "$HELPER" "$verb" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
}

# t_get NAME SERVER USER SECRET: get answers USER and SECRET for SERVER.
t_get() {
	ghcr get "$2"
	t_eq "$1" "$RC $OUT" \
		"0 $(printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$2" "$3" "$4")"
	[ "$RC" -eq 0 ] || printf '#   stderr: %s\n' "$ERR"
}

# t_nf NAME SERVER: get answers the not-found text, exit 1.
t_nf() {
	ghcr get "$2"
	t_eq "$1" "$RC $OUT" "1 $NF"
	[ "$RC $OUT" = "1 $NF" ] || printf '#   stderr: %s\n' "$ERR"
}

# t_err NAME PATTERN: the last run's stderr is one line matching PATTERN.
t_err() {
	if [ "$(printf '%s\n' "$ERR" | grep -c .)" -eq 1 ] && grep -Eq -- "$2" <<<"$ERR"; then
		t_ok "$1"
	else
		t_fail "$1"
		printf '#   stderr: %s\n#   want one line matching: %s\n' "$ERR" "$2"
	fi
}

# gh_hosts HOST TOKEN...: gh's hosts.yml, logged in to each HOST with TOKEN.
gh_hosts() {
	mkdir -p "$GH_CONFIG_DIR"
	: >"$GH_CONFIG_DIR/hosts.yml"
	while [ $# -ge 2 ]; do
		printf '%s:\n    oauth_token: %s\n    user: tester\n    git_protocol: https\n' \
			"$1" "$2" >>"$GH_CONFIG_DIR/hosts.yml"
		shift 2
	done
}

now_ms() { printf '%s' "$(( ${EPOCHREALTIME/./} / 1000 ))"; }

# An Enterprise Server host and a GHE.com one, as the settings name them.
HOSTS='"hosts": {"containers.ghe.example.com": {"github": "ghe.example.com"},
	"containers.octo.ghe.com": {}}'

# --- parts ---------------------------------------------------------------------

part_hosts() {
	local h n
	use_stub
	export CREDKIT_GHCR_MINT=$TMP/no-minter GH_TOKEN=ghp_envtoken000000000000000000000000001
	settings "{\"ghcr\": {\"hosts\": {\"127.0.0.1:5000\": {\"github\": \"ghe.example.com\"}}}}"
	for h in docker.io https://index.docker.io/v1/ ghcr.io:5000 ghcr.io.evil.example \
		evilghcr.io containers.ghe.example.com 127.0.0.1 127.0.0.1:5001 \
		user:pw@ghcr.io quay.io/ghcr.io; do
		t_nf "not ours: $h is not found" "$h"
	done
	t_eq "gh never ran for them" "$(runs)" 0
	printf '%s' docker.io | strace -f -qq -e trace=execve -o "$TMP/strace" "$HELPER" get \
		>/dev/null 2>&1
	n=$(grep -c 'execve(' "$TMP/strace")
	t_eq "no child started for a host not ours (execve calls)" "$n" 1
	[ "$n" = 1 ] || sed 's/^/#   /' "$TMP/strace"

	for h in ghcr.io GHCR.IO https://ghcr.io/v2/ ghcr.io:443 ghcr.io/owner/app \
		127.0.0.1:5000 http://127.0.0.1:5000/v2/; do
		unset GH_ENTERPRISE_TOKEN
		case $h in *127.0.0.1*) export GH_ENTERPRISE_TOKEN=$GH_TOKEN ;; esac
		t_get "ours: $h" "$h" x-access-token "$GH_TOKEN"
	done
	t_eq "the env source needs no gh" "$(runs)" 0
}

part_env() {
	settings "{\"ghcr\": {\"sources\": [\"env\"], $HOSTS}}"
	t_nf "no variable: not found" ghcr.io
	t_eq "and nothing on stderr" "$ERR" ""
	export GITHUB_TOKEN=ghp_githubtoken0000000000000000000000001
	t_get "GITHUB_TOKEN" ghcr.io x-access-token "$GITHUB_TOKEN"
	export GH_TOKEN=ghp_ghtoken00000000000000000000000000001
	t_get "GH_TOKEN wins over GITHUB_TOKEN" ghcr.io x-access-token "$GH_TOKEN"
	t_get "GHE.com takes GH_TOKEN too" containers.octo.ghe.com x-access-token "$GH_TOKEN"
	t_nf "Enterprise Server does not take GH_TOKEN or GITHUB_TOKEN" containers.ghe.example.com
	export GITHUB_ENTERPRISE_TOKEN=ghp_gheterprise000000000000000000000001
	t_get "Enterprise Server: GITHUB_ENTERPRISE_TOKEN" containers.ghe.example.com \
		x-access-token "$GITHUB_ENTERPRISE_TOKEN"
	export GH_ENTERPRISE_TOKEN=ghp_ghenterprise00000000000000000000001
	t_get "Enterprise Server: GH_ENTERPRISE_TOKEN wins" containers.ghe.example.com \
		x-access-token "$GH_ENTERPRISE_TOKEN"
	t_get "and github.com still takes GH_TOKEN" ghcr.io x-access-token "$GH_TOKEN"
	export GITHUB_ACTOR=octocat
	t_get "GITHUB_ACTOR is the username" ghcr.io octocat "$GH_TOKEN"
	export GITHUB_ACTOR=
	t_get "an empty GITHUB_ACTOR is unset" ghcr.io x-access-token "$GH_TOKEN"
	export GH_TOKEN="ghp_two words"
	t_nf "a GH_TOKEN that is no token: the env source fails" ghcr.io
	t_err "saying so in one line" "GH_TOKEN is not a token"
	t_check "and never showing it" bash -c '[[ $1 != *"two words"* ]]' _ "$ERR$OUT"
}

part_file() {
	local tok=ghp_filetoken0000000000000000000000000001 f=$TMP/token
	printf '%s\n' "$tok" >"$f"
	chmod 600 "$f"
	settings "{\"ghcr\": {\"sources\": [\"file\", \"env\"], \"token_file\": \"$f\", $HOSTS}}"
	t_get "token_file (mode 600, its line break dropped)" ghcr.io x-access-token "$tok"
	export GITHUB_ACTOR=octocat
	t_get "with GITHUB_ACTOR" ghcr.io octocat "$tok"
	unset GITHUB_ACTOR
	chmod 400 "$f"
	t_get "mode 400" ghcr.io x-access-token "$tok"
	chmod 644 "$f"
	t_nf "mode 644: refused" ghcr.io
	t_err "with a clear error" "token file $f may be read by its group or by others \(mode 0644\).*chmod 600"
	chmod 640 "$f"
	t_nf "mode 640: refused" ghcr.io
	t_err "group-readable is said" "mode 0640"
	export GH_TOKEN=ghp_envafterfile00000000000000000000001
	t_get "a refused file falls through to env" ghcr.io x-access-token "$GH_TOKEN"
	t_err "with its one line" "may be read by its group"
	unset GH_TOKEN
	chmod 600 "$f"
	ln -s "$f" "$TMP/link"
	settings "{\"ghcr\": {\"sources\": [\"file\"], \"token_file\": \"$TMP/link\"}}"
	t_get "a symlink to the file (a Kubernetes secret)" ghcr.io x-access-token "$tok"
	settings "{\"ghcr\": {\"sources\": [\"file\"], \"token_file\": \"$TMP/missing\"}}"
	t_nf "a missing file: not found" ghcr.io
	t_err "saying it cannot be read" "cannot read the token file $TMP/missing"
	mkdir -p "$HOME/.config"
	printf 'ghp_hometoken0000000000000000000000000001' >"$HOME/.config/ghcr-token"
	chmod 600 "$HOME/.config/ghcr-token"
	settings "{\"ghcr\": {\"sources\": [\"file\"], \"token_file\": \"$f\",
		\"hosts\": {\"ghcr.io\": {\"token_file\": \"~/.config/ghcr-token\"}}}}"
	t_get "a host's own token_file, ~/ as HOME, no final line break" ghcr.io \
		x-access-token ghp_hometoken0000000000000000000000000001
	head -c 5000 /dev/zero | tr '\0' a >"$f"
	settings "{\"ghcr\": {\"sources\": [\"file\"], \"token_file\": \"$f\"}}"
	t_nf "5000 bytes: no token" ghcr.io
	t_err "said so" "holds no token"
	printf 'ghp_one\nghp_two\n' >"$f"
	t_nf "two lines: no token" ghcr.io
	: >"$f"
	t_nf "empty: no token" ghcr.io
	mkfifo "$TMP/fifo"
	settings "{\"ghcr\": {\"sources\": [\"file\"], \"token_file\": \"$TMP/fifo\"}}"
	chmod 600 "$TMP/fifo"
	t_nf "a FIFO is refused, without waiting" ghcr.io
	t_err "as no regular file" "not a regular file"
}

part_gh() {
	gh_hosts github.com "$GH_DOTCOM" ghe.example.com "$GH_GHE"
	settings "{\"ghcr\": {$HOSTS}}"
	t_get "the real gh: ghcr.io takes github.com's token" ghcr.io x-access-token "$GH_DOTCOM"
	t_eq "quietly" "$ERR" ""
	t_get "a settings host takes its GitHub host's" containers.ghe.example.com \
		x-access-token "$GH_GHE"
	mkdir -p "$TMP/dir-first/gh"
	OUT=$(printf ghcr.io | PATH="$TMP/dir-first:$PATH" timeout 30 "$HELPER" get 2>"$TMP/err")
	t_eq "a folder named gh earlier on PATH is passed over" "$OUT" \
		"{\"ServerURL\":\"ghcr.io\",\"Username\":\"x-access-token\",\"Secret\":\"$GH_DOTCOM\"}"
	t_nf "logged out of octo.ghe.com: not found" containers.octo.ghe.com
	t_err "gh's words and what to do, in one line" \
		"gh auth token --hostname octo.ghe.com. failed \(exit 1\): no oauth token.*gh auth login --hostname octo.ghe.com.*read:packages"
	mkdir -p "$TMP/empty"
	OUT=$(printf ghcr.io | timeout 30 env PATH="$TMP/empty" "$HELPER" get 2>"$TMP/err")
	RC=$? ERR=$(cat "$TMP/err")
	t_eq "gh missing: not found" "$RC $OUT" "1 $NF"
	t_err "said so" "gh is not installed"
	gh_hosts ghe.example.com "$GH_GHE"
	ghcr erase ghcr.io
	t_nf "logged out of github.com (its cached token erased)" ghcr.io
	t_err "one line" "no oauth token"
	t_check "no token of gh's on stderr" bash -c '[[ $1 != *gho_* ]]' _ "$ERR"

	# gh answers GH_TOKEN and its kin itself: the gh source is gh's login,
	# so it runs gh without them (they are the env source's, in its place).
	gh_hosts github.com "$GH_DOTCOM" ghe.example.com "$GH_GHE"
	settings "{\"ghcr\": {\"sources\": [\"gh\", \"env\"], $HOSTS}}"
	GH_TOKEN=ghp_envtoken000000000000000000000000009 \
		t_get "gh before env: gh's login, not GH_TOKEN" ghcr.io x-access-token "$GH_DOTCOM"
	GH_ENTERPRISE_TOKEN=ghp_envtoken000000000000000000000000008 \
		t_get "nor GH_ENTERPRISE_TOKEN for an Enterprise host" containers.ghe.example.com \
		x-access-token "$GH_GHE"
}

part_order() {
	local f=$TMP/token
	use_stub
	printf 'ghp_filetoken0000000000000000000000000001\n' >"$f"
	chmod 600 "$f"
	settings "{\"ghcr\": {\"token_file\": \"$f\"}}"
	export GH_TOKEN=ghp_envtoken000000000000000000000000001
	ghcr store '{"ServerURL":"ghcr.io","Username":"kept","Secret":"ghp_storedtoken0000000000000000000001"}'
	t_eq "docker login" "$RC:$OUT" "0:"
	t_get "default order: store first" ghcr.io kept ghp_storedtoken0000000000000000000001
	ghcr erase ghcr.io
	t_get "then env" ghcr.io x-access-token "$GH_TOKEN"
	unset GH_TOKEN
	t_get "then file" ghcr.io x-access-token ghp_filetoken0000000000000000000000000001
	settings '{}'
	t_get "then gh" ghcr.io x-access-token "$STUB_TOKEN_DEFAULT"
	t_eq "which ran once" "$(runs)" 1

	export GH_TOKEN=ghp_envtoken000000000000000000000000001
	t_get "a cheap source wins over gh's cached token" ghcr.io x-access-token "$GH_TOKEN"
	settings '{"ghcr": {"sources": ["gh", "env"]}}'
	t_get "\"sources\": gh first" ghcr.io x-access-token "$STUB_TOKEN_DEFAULT"
	export STUB_EXIT=1
	ghcr erase ghcr.io
	t_get "gh failing: the source after it answers" ghcr.io x-access-token "$GH_TOKEN"
	t_err "with gh's line" "failed \(exit 1\): stub gh: failing on purpose"
	unset STUB_EXIT
	: >"$STUB_LOG"
	settings '{"ghcr": {"sources": ["env"]}}'
	unset GH_TOKEN
	t_nf "gh not in the order: not found" ghcr.io
	t_eq "and gh never ran" "$(runs)" 0
	settings '{"ghcr": {"sources": []}}'
	t_nf "no source at all: not found" ghcr.io
	export GH_TOKEN=ghp_envtoken000000000000000000000000001
	settings "{\"ghcr\": {\"sources\": [\"env\"], \"token_file\": \"$f\",
		\"hosts\": {\"ghcr.io\": {\"sources\": [\"file\"]},
			    \"containers.x.example\": {}}}}"
	t_get "per host: ghcr.io's own order" ghcr.io x-access-token \
		ghp_filetoken0000000000000000000000000001
	export GITHUB_ENTERPRISE_TOKEN=ghp_gheenv0000000000000000000000000000001
	t_get "per host: another host keeps the global order" containers.x.example \
		x-access-token "$GITHUB_ENTERPRISE_TOKEN"
	t_eq "gh never ran for them" "$(runs)" 0
}

part_bounds() {
	local t0 took
	use_stub
	settings '{"ghcr": {"sources": ["gh"], "gh_timeout_ms": 1000}}'
	export STUB_SLEEP=30
	t0=$(now_ms)
	t_nf "a gh that sleeps 30 s: not found" ghcr.io
	took=$(( $(now_ms) - t0 ))
	# The bound is 1 s, then 1 s for TERM; 8 s leaves room for a loaded
	# machine and a sanitizer build, far below the 30 s sleep.
	t_check "within its bound (${took} ms)" test "$took" -lt 8000
	t_err "said so" "did not answer within 1000 ms"
	unset STUB_SLEEP
	export STUB_EXIT=4
	t_nf "a gh that fails: not found" ghcr.io
	t_err "its words" "failed \(exit 4\): stub gh: failing on purpose"
	unset STUB_EXIT
	export STUB_TOKEN=
	t_nf "a gh that prints nothing: not found" ghcr.io
	t_err "said so" "printed no token"
	export STUB_TOKEN="two words"
	t_nf "a gh that prints no token: not found" ghcr.io
	t_check "never shown" bash -c '[[ $1 != *"two words"* ]]' _ "$ERR$OUT"
	unset STUB_TOKEN
	t_get "a gh that answers" ghcr.io x-access-token "$STUB_TOKEN_DEFAULT"
}

# parallel_gets: 32 gets of ghcr.io at once; ANSWERS is how many gave each
# answer ("COUNT ANSWER" lines), STDERR all they said there.
parallel_gets() {
	local i
	rm -f "$TMP"/out.* "$TMP"/err.*
	for i in $(seq 32); do
		printf ghcr.io | timeout 30 "$HELPER" get >"$TMP/out.$i" 2>"$TMP/err.$i" &
	done
	wait
	ANSWERS=$(cat "$TMP"/out.* | sort | uniq -c | sed 's/^ *//')
	STDERR=$(cat "$TMP"/err.*)
}

part_flight() {
	local libs
	use_stub
	export STUB_SLEEP=0.3
	parallel_gets
	t_eq "32 parallel cold gets run gh once" "$(runs)" 1
	t_eq "and all 32 have its token" "$ANSWERS" \
		"32 {\"ServerURL\":\"ghcr.io\",\"Username\":\"x-access-token\",\"Secret\":\"$STUB_TOKEN_DEFAULT\"}"
	t_eq "with nothing on stderr" "$STDERR" ""
	unset STUB_SLEEP
	t_get "a cached get" https://ghcr.io/v2/ x-access-token "$STUB_TOKEN_DEFAULT"
	t_eq "runs nothing" "$(runs)" 1
	# A failing gh, remembered for 5 s (the default): run once for 32 too.
	(
		unset CREDKIT_TOKEN_FAIL_CACHE_MS
		export GH_CONFIG_DIR=$TMP/failing-gh STUB_EXIT=1 STUB_SLEEP=0.3
		: >"$STUB_LOG"
		parallel_gets
		t_eq "32 parallel gets with a failing gh run it once" "$(runs)" 1
		t_eq "and all 32 answer not found" "$ANSWERS" "32 $NF"
		t_eq "one line on stderr in all" "$(grep -c 'stub gh: failing' <<<"$STDERR")" 1
	)
	libs=$(printf ghcr.io | LD_DEBUG=libs "$HELPER" get 2>&1 >/dev/null)
	if grep -q 'libcurl\|libcrypto\|libssl\|libglib' <<<"$libs"; then
		t_fail "a cached get loads no libcurl, OpenSSL or GLib"
		grep 'calling init' <<<"$libs" | sed 's/^/#   /'
	else
		t_ok "a cached get loads no libcurl, OpenSSL or GLib"
	fi
}

part_cache() {
	local t0
	use_stub
	settings '{"ghcr": {"gh_cache_seconds": 3}}'
	t_get "gh_cache_seconds 3: gh's token" ghcr.io x-access-token "$STUB_TOKEN_DEFAULT"
	# Minted (in whole seconds) before this: 4 s on, its 3 s are past.
	t0=$(now_ms)
	t_get "cached" ghcr.io x-access-token "$STUB_TOKEN_DEFAULT"
	t_eq "one run" "$(runs)" 1
	ghcr list
	t_eq "list shows the cached host" "$RC $OUT" '0 {"https://ghcr.io":"x-access-token"}'
	sleep "$(awk -v t="$(( $(now_ms) - t0 ))" 'BEGIN { printf "%.3f", (4000 - t) / 1000 }')"
	export STUB_TOKEN=gho_stubghtoken00000000000000000000004
	t_get "after it, gh runs again" ghcr.io x-access-token "$STUB_TOKEN"
	t_eq "two runs" "$(runs)" 2
	ghcr erase https://ghcr.io
	t_eq "erase" "$RC:$OUT" "0:"
	ghcr list
	t_eq "drops gh's cached token" "$RC $OUT" "0 {}"
	t_get "so the next get runs gh" ghcr.io x-access-token "$STUB_TOKEN"
	t_eq "three runs" "$(runs)" 3
	export GH_CONFIG_DIR=$TMP/other-gh
	t_get "another gh folder is another identity" ghcr.io x-access-token "$STUB_TOKEN"
	t_eq "four runs" "$(runs)" 4
	settings '{"ghcr": {"gh_cache_seconds": 0}}'
	ghcr erase ghcr.io
	t_get "gh_cache_seconds 0: gh's token" ghcr.io x-access-token "$STUB_TOKEN"
	t_get "and again" ghcr.io x-access-token "$STUB_TOKEN"
	t_eq "gh ran for each" "$(runs)" 6
	ghcr list
	t_eq "and nothing cached" "$RC $OUT" "0 {}"
}

part_store() {
	use_stub
	local kc=$BIN/docker-credential-keyctl
	t_get "gh's token first" ghcr.io x-access-token "$STUB_TOKEN_DEFAULT"
	ghcr store '{"ServerURL":"https://ghcr.io","Username":"me","Secret":"ghp_storedtoken0000000000000000000001"}'
	t_eq "docker login ghcr.io" "$RC:$OUT" "0:"
	export GITHUB_ACTOR=octocat
	t_get "the login wins over the cached gh token, its own username" ghcr.io me \
		ghp_storedtoken0000000000000000000001
	t_get "in another spelling" ghcr.io:443/v2/ me ghp_storedtoken0000000000000000000001
	t_eq "gh ran once" "$(runs)" 1
	OUT=$(timeout 30 "$kc" list 2>/dev/null)
	t_eq "the login is the store for passwords' (keyctl's) entry" "$OUT" \
		'{"https://ghcr.io":"me"}'
	printf '{"ServerURL":"docker.io","Username":"hub","Secret":"hubpw"}' | "$kc" store
	ghcr list
	t_eq "list shows ghcr's logins, not the store's others" "$RC $OUT" '0 {"https://ghcr.io":"me"}'
	ghcr erase ghcr.io
	t_eq "docker logout" "$RC:$OUT" "0:"
	OUT=$(timeout 30 "$kc" list 2>/dev/null)
	t_eq "drops the login, any spelling" "$OUT" '{"docker.io":"hub"}'
	t_get "then gh answers" ghcr.io octocat "$STUB_TOKEN_DEFAULT"
	ghcr store '{"ServerURL":"docker.io","Username":"me","Secret":"x"}'
	t_eq "a login for another registry is refused" "$RC" 1

	t_check "saying why" bash -c '[[ $1 == *"is not a registry of docker-credential-ghcr"* ]]' _ "$OUT"
	export CREDKIT_STORE=none
	ghcr store '{"ServerURL":"ghcr.io","Username":"me","Secret":"ghp_x"}'
	t_eq "CREDKIT_STORE=none: a login cannot be kept" "$RC" 1
	t_check "saying why" bash -c '[[ $1 == *"no store for passwords"* ]]' _ "$OUT"
	unset CREDKIT_STORE
	ghcr list
	t_eq "list shows the cached host" "$RC $OUT" '0 {"https://ghcr.io":"octocat"}'

	# docker login keeps what its get answered: a token another source
	# gives now is not kept, or it would win over that source and go stale.
	export GH_TOKEN=ghp_envtoken000000000000000000000000007
	ghcr store "{\"ServerURL\":\"ghcr.io\",\"Username\":\"x\",\"Secret\":\"$GH_TOKEN\"}"
	t_eq "a login that is GH_TOKEN's token" "$RC:$OUT" "0:"
	t_err "is not kept, and says why" "not kept: it is the token GH_TOKEN gives"
	OUT=$(timeout 30 "$kc" list 2>/dev/null)
	t_eq "nothing kept" "$OUT" '{"docker.io":"hub"}'
	unset GH_TOKEN
}

part_warn() {
	local pat=github_pat_11FAKEFAKE0000000000000000000000000000000000000000000000000000000000000
	export GH_TOKEN=$pat
	t_get "a fine-grained token is handed over" ghcr.io x-access-token "$pat"
	t_err "with one line saying why a pull may be denied" "fine-grained.*may be denied.*roadmap#558"
	t_check "which does not show it" bash -c '[[ $1 != *11FAKE* ]]' _ "$ERR"
	unset GH_TOKEN
	ghcr store "{\"ServerURL\":\"ghcr.io\",\"Username\":\"me\",\"Secret\":\"$pat\"}"
	t_eq "docker login with one is kept" "$RC:$OUT" "0:"
	t_err "with the warning" "fine-grained"
	export GH_TOKEN=ghp_classic000000000000000000000000000001
	ghcr erase ghcr.io
	t_get "a classic token: no warning" ghcr.io x-access-token "$GH_TOKEN"
	t_eq "nothing on stderr" "$ERR" ""
}

part_protocol() {
	ghcr get ""
	t_eq "get with no server" "$RC $OUT" "1 no credentials server URL"
	ghcr store '{"ServerURL":"ghcr.io","Secret":"x"}'
	t_eq "store with no username" "$RC $OUT" "1 no credentials username"
	t_nf "not found is the protocol's text" docker.io
	ghcr get ghcr.io
	t_eq "one line on stdout" "$(printf '%s\n' "$OUT" | wc -l)" 1
	ghcr version
	t_eq "version" "$RC $OUT" "0 docker-credential-ghcr (credkit) $(sed -n 's/^VERSION *:= *//p' "$CREDKIT_ROOT/Makefile")"
	ghcr frobnicate
	t_check "an unknown verb: an error on stdout, exit 1" \
		bash -c '[[ $1 == 1" docker-credential-ghcr: unknown action"* ]]' _ "$RC $OUT"
	# docker is pointed at the front: the minting program has no configure.
	OUT=$(DOCKER_CONFIG=$TMP/mint-cfg timeout 30 \
		"$BIN/../libexec/credkit/docker-credential-ghcr-mint" configure --dry-run </dev/null 2>&1)
	RC=$?
	t_check "the minting program has no configure: its usage, exit 1, no config.json" \
		bash -c '[[ $1 == "1 Usage: docker-credential-ghcr-mint "* &&
			   $1 != *credHelpers* && $1 != *credsStore* ]]' _ "$RC $OUT"
	settings '{"ghcr": {"sources": ["keychain"]}}'
	ghcr get ghcr.io
	t_check "bad settings: the error on stdout, exit 1" \
		bash -c '[[ $1 == 1*'"'"'"sources" of "ghcr" must be a list'"'"'* ]]' _ "$RC $OUT"
}

part_doctor() {
	local tok=ghp_doctortoken0000000000000000000000001
	gh_hosts github.com "$GH_DOTCOM"
	settings "{\"ghcr\": {$HOSTS}}"
	export GH_TOKEN=$tok
	ghcr doctor
	t_eq "doctor exits 0" "$RC" 0
	t_check "shows each host" bash -c '[[ $1 == *"ghcr.io: GitHub host github.com"* &&
		$1 == *"containers.ghe.example.com: GitHub host ghe.example.com (GitHub Enterprise Server), API https://ghe.example.com/api/v3"* &&
		$1 == *"containers.octo.ghe.com: GitHub host octo.ghe.com (GHE.com), API https://api.octo.ghe.com"* ]]' _ "$OUT"
	t_check "which source answers, and the kind and length of its token" \
		bash -c '[[ $1 == *"env    a ghp_ token of 40 bytes, from GH_TOKEN"* &&
			   $1 == *"a get answers from env (GH_TOKEN)"* ]]' _ "$OUT"
	t_check "why a source has nothing" bash -c '[[ $1 == *"nothing: GH_ENTERPRISE_TOKEN and GITHUB_ENTERPRISE_TOKEN are not set"* &&
		$1 == *"failed: \`gh auth token --hostname ghe.example.com\` failed (exit 1): no oauth token"* ]]' _ "$OUT"
	t_check "never a token" bash -c '[[ $1 != *"$2"* && $1 != *"$3"* ]]' _ "$OUT$ERR" "$tok" "$GH_DOTCOM"
	printf '{"ServerURL":"ghcr.io","Username":"me","Secret":"ghp_secretstored"}' | "$HELPER" store
	unset GH_TOKEN
	ghcr doctor
	t_check "a stored login: its kind and username" \
		bash -c '[[ $1 == *"store  a ghp_ token of 16 bytes, from the login kept in keyctl, username me"* ]]' _ "$OUT"
	t_check "and still never a token" bash -c '[[ $1 != *ghp_secretstored* ]]' _ "$OUT$ERR"
	t_check "what gh has, and for how long it is cached" \
		bash -c '[[ $1 == *"gh     a gho_ token of 40 bytes"*"cached for 300 s"* ]]' _ "$OUT"
	export CREDKIT_STORE=none
	ghcr doctor
	t_check "CREDKIT_STORE=none: doctor still shows every host" \
		bash -c '[[ $1 == *"containers.octo.ghe.com: GitHub host"*"a get answers"* ]]' _ "$OUT"
}

# run_part PART: one part, in this process (already in a session keyring).
run_part() {
	local part=$1
	ghcr_part_env "$part"
	gh_hosts
	echo "# $part"
	"part_$part"
}

# main [PART]: every part, each in a session keyring of its own; or PART,
# already in one.
main() { t_parts "$SELF" "$HELPER" "gh keyctl strace" "$@"; }

main "$@"
