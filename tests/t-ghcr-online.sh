#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-ghcr-online.sh - docker-credential-ghcr doctor --online against a
# local fake of GitHub's API (tests/tools/github-mock.py).
#
# The mock listens on 127.0.0.1 with a certificate of a CA made here
# (trusted through SSL_CERT_FILE), checks each request as GitHub does
# (path, Authorization scheme, Accept, User-Agent, API version) and answers
# per token: a classic token with read:packages, one without, one with
# write:packages alone, one with no scope, a fine-grained token (no
# X-OAuth-Scopes), an app's user token (none either), an installation
# token (403), a bad one (401), one whose answer never comes.  Checked here:
#
#   - what doctor --online says for each (login, scopes, pull and push,
#     the command that adds a missing scope) and its exit status;
#   - the API base: GITHUB_API_URL, the settings' "api" over it, and the
#     hosts' defaults (api.github.com, HOST/api/v3, api.SUB.ghe.com)
#     reached through HTTPS_PROXY (a CONNECT proxy) under their real names;
#     NO_PROXY; plain http refused before anything is sent;
#   - doctor alone (no --online) asks nothing; no host without a token is
#     asked; a hanging API is given up within the bound;
#   - no token in any output.
#
# Every run has HTTPS_PROXY at a closed port unless it sets its own, so
# that nothing can leave the machine: a host the test did not point at the
# mock fails instead.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/registry.sh
. "$here/registry.sh"	# registry_make_certs

BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
HELPER=$BIN/docker-credential-ghcr
PYTHON=${GITHUB_MOCK_PYTHON:-/usr/bin/python3}

# The mock's tokens (tools/github-mock.py; fake).
READ=ghp_credkitTestReadPackages00000000000001
NOPKG=gho_credkitTestNoPackages000000000000002
WRITE=ghp_credkitTestWritePackages0000000000003
BARE=ghp_credkitTestNoScopes00000000000000004
FINE=github_pat_11CREDKITTEST0000000005_fineGrainedTokenForCredkitTestsOnly000000000000005
APP=ghs_credkitTestInstallation000000000006
HANG=ghp_credkitTestHang000000000000000000007
BAD=ghp_credkitTestNotAToken0000000000000008
APPUSER=ghu_credkitTestAppUser00000000000000009
TOKENS="$READ $NOPKG $WRITE $BARE $FINE $APP $HANG $BAD $APPUSER"

# The client's bound on one host's exchange (API_TIMEOUT_MS in api.c).
BOUND_MS=10000

# --- the mock ------------------------------------------------------------------

# mock_start: the mock in $TMP/mock; MOCK_URL, MOCK_PROXY, MOCK_DIR.
mock_start() {
	local i
	MOCK_DIR=$TMP/mock
	mkdir -p "$MOCK_DIR" || return 1
	# For 127.0.0.1 and the API hosts the proxy serves.
	registry_make_certs "$MOCK_DIR" localhost api.github.com ghe.example.com \
		api.octo.ghe.com || return 1
	"$PYTHON" "$here/tools/github-mock.py" --dir "$MOCK_DIR" </dev/null \
		>"$MOCK_DIR/mock.log" 2>&1 &
	MOCK_PID=$!
	for i in $(seq 100); do
		[ -s "$MOCK_DIR/ports" ] && break
		kill -0 "$MOCK_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$MOCK_DIR/ports" ] || { cat "$MOCK_DIR/mock.log" >&2; return 1; }
	read -r MOCK_PORT PROXY_PORT <"$MOCK_DIR/ports"
	MOCK_URL=https://127.0.0.1:$MOCK_PORT MOCK_PROXY=http://127.0.0.1:$PROXY_PORT
}

mock_stop() { [ -n "${MOCK_PID:-}" ] && t_stop_process "$MOCK_PID"; MOCK_PID=; }

# mock_clear: forget what the mock saw.
mock_clear() {
	rm -f "$MOCK_DIR/requests.log" "$MOCK_DIR/connect.log" "$MOCK_DIR/hang.log"
}

# seen FILE: what the mock wrote down in FILE (requests, connect, errors, hang).
seen() { cat "$MOCK_DIR/$1.log" 2>/dev/null; }

# --- running the helper ----------------------------------------------------------

# settings JSON: the settings file; the sources are env alone, so that no
# store and no gh of this machine answers.
settings() { printf '%s\n' "$1" >"$CREDKIT_CONFIG"; }
ENV_ONLY='{"ghcr": {"sources": ["env"]}}'

# online [VAR=VALUE...]: doctor --online in a clean environment with the
# assignments; OUT its stdout, ERR its stderr, RC its status, MS its time.
# Everything it printed is kept in $TMP/all for the leak check.
online() {
	local start
	start=${EPOCHREALTIME/./}
	OUT=$(env -u GH_TOKEN -u GITHUB_TOKEN -u GH_ENTERPRISE_TOKEN -u GITHUB_ENTERPRISE_TOKEN \
		-u GITHUB_API_URL -u NO_PROXY -u no_proxy -u https_proxy -u ALL_PROXY -u all_proxy \
		HTTPS_PROXY=http://127.0.0.1:1 "$@" timeout 60 "$HELPER" doctor --online \
		2>"$TMP/err")
	RC=$?
	MS=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
	ERR=$(cat "$TMP/err")
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$TMP/all"
}

# t_out NAME RC PATTERN...: the last run exited RC and its stdout matches
# every (extended) pattern.
t_out() {
	local name=$1 rc=$2 p
	shift 2
	for p in "$@"; do
		if [ "$RC" != "$rc" ] || ! grep -Eq -- "$p" <<<"$OUT"; then
			t_fail "$name"
			printf '#   rc %s (want %s), no line matches: %s\n' "$RC" "$rc" "$p"
			sed 's/^/#   | /' <<<"$OUT"
			[ -n "$ERR" ] && sed 's/^/#   stderr: /' <<<"$ERR"
			return
		fi
	done
	t_ok "$name"
}

# --- cases ---------------------------------------------------------------------

case_mock() {
	local ca=$MOCK_DIR/ca.crt
	# The mock refuses what GitHub refuses, so that the helper's passes mean
	# something: no User-Agent, another scheme, another media type.
	t_eq "the mock: no User-Agent is refused (403)" \
		"$(curl -s --noproxy '*' --max-time 10 --cacert "$ca" -o /dev/null -w '%{http_code}' \
			-A '' -H 'Accept: application/vnd.github+json' -H "Authorization: token $READ" \
			"$MOCK_URL/user")" 403
	t_eq "the mock: Basic is not the token scheme (401)" \
		"$(curl -s --noproxy '*' --max-time 10 --cacert "$ca" -o /dev/null -w '%{http_code}' \
			-H 'Accept: application/vnd.github+json' -u "x:$READ" "$MOCK_URL/user")" 401
	t_eq "the mock: another media type is refused (415)" \
		"$(curl -s --noproxy '*' --max-time 10 --cacert "$ca" -o /dev/null -w '%{http_code}' \
			-H "Authorization: token $READ" "$MOCK_URL/user")" 415
	t_eq "the mock: another path is not found (404)" \
		"$(curl -s --noproxy '*' --max-time 10 --cacert "$ca" -o /dev/null -w '%{http_code}' \
			-H 'Accept: application/vnd.github+json' -H "Authorization: token $READ" \
			"$MOCK_URL/users")" 404
	t_eq "the mock: what it refused is written down" "$(seen errors | wc -l)" 4
	rm -f "$MOCK_DIR/errors.log"
	mock_clear
}

case_offline() {
	settings "$ENV_ONLY"
	OUT=$(GH_TOKEN=$READ GITHUB_API_URL=$MOCK_URL NO_PROXY=127.0.0.1 timeout 60 \
		"$HELPER" doctor 2>&1)
	printf '%s\n' "$OUT" >>"$TMP/all"
	t_eq "doctor without --online asks the API nothing" "$(seen requests)" ""
}

case_tokens() {
	local direct="GITHUB_API_URL=$MOCK_URL NO_PROXY=127.0.0.1"
	settings "$ENV_ONLY"

	online GH_TOKEN=$READ $direct
	t_out "read:packages: pull yes, push no with the command to add it" 0 \
		'^  ghcr\.io' 'token +from GH_TOKEN: ghp_ token, 41 characters$' \
		"asked +GET $MOCK_URL/user\$" 'login +octo-reader$' 'scopes +read:packages, repo$' \
		'pull +yes' 'push +no.*write:packages'
	t_eq "GET /user of GITHUB_API_URL, directly (NO_PROXY)" "$(seen requests)" \
		"direct 127.0.0.1:$MOCK_PORT /user octo-reader 200"
	mock_clear

	online GITHUB_TOKEN=$NOPKG $direct
	t_out "no read:packages: exit 1, and the gh command that adds it" 1 \
		'token +from GITHUB_TOKEN: gho_ token' 'login +octo-gh$' 'scopes +gist, read:org, repo$' \
		'pull +no.*gh auth refresh --hostname github\.com --scopes read:packages' \
		'online check failed for 1 of 1 host'

	online GH_TOKEN=$WRITE $direct
	t_out "write:packages alone: pull and push (it holds read:packages)" 0 \
		'scopes +write:packages$' 'pull +yes' 'push +yes'

	online GH_TOKEN=$BARE $direct
	t_out "a classic token with no scope: exit 1, pull no" 1 \
		'scopes +\(none\)$' 'pull +no.*read:packages at https://github\.com/settings/tokens'

	online GH_TOKEN=$FINE $direct
	t_out "a fine-grained token: no X-OAuth-Scopes, the registry refuses it" 1 \
		'from GH_TOKEN: github_pat_ token' 'login +octo-fine$' \
		'scopes +none listed \(no X-OAuth-Scopes\)$' \
		'refused +a fine-grained personal access token.*refuses' 'online check failed'

	online GH_TOKEN=$APPUSER $direct
	t_out "any token without X-OAuth-Scopes: said to be refused, exit 1" 1 \
		'scopes +none listed \(no X-OAuth-Scopes\)$' 'refused +a fine-grained or app token'

	online GH_TOKEN=$BAD $direct
	t_out "a bad token: 401 said clearly, exit 1" 1 \
		'refused +GitHub answered 401: a bad or expired token' \
		'gh auth login --hostname github\.com'

	online GH_TOKEN=$APP $direct
	t_out "an installation token: cannot be checked, said so, exit 0" 0 \
		'from GH_TOKEN: ghs_ token' 'unchecked +an installation token \(ghs_\).*packages: read'

	mock_clear
	online $direct
	t_out "no token: nothing asked, exit 0" 0 'no token +no source has one'
	t_eq "no request without a token" "$(seen requests)" ""
	t_eq "the mock found nothing to refuse" "$(seen errors)" ""
}

case_bases() {
	local ghes='"containers.ghe.example.com": {"github": "ghe.example.com"'
	# The settings' api wins over GITHUB_API_URL (at a closed port here).
	settings "{\"ghcr\": {\"sources\": [\"env\"], \"hosts\": {
		\"ghcr.io\": {\"api\": \"$MOCK_URL/\"},
		$ghes, \"api\": \"$MOCK_URL/api/v3\"}}}}"
	mock_clear
	online GH_TOKEN=$READ GH_ENTERPRISE_TOKEN=$WRITE GITHUB_API_URL=https://127.0.0.1:1 \
		NO_PROXY=127.0.0.1
	t_out "the settings' api wins over GITHUB_API_URL, for each host" 0 \
		"asked +GET $MOCK_URL/user\$" "asked +GET $MOCK_URL/api/v3/user\$" \
		'^  containers\.ghe\.example\.com \(GitHub host ghe\.example\.com\)' \
		'token +from GH_ENTERPRISE_TOKEN' 'login +octo-writer$'
	t_eq "each host's token to its API" "$(seen requests)" \
		"direct 127.0.0.1:$MOCK_PORT /user octo-reader 200
direct 127.0.0.1:$MOCK_PORT /api/v3/user octo-writer 200"

	# The defaults, under the real names, through the CONNECT proxy.
	settings "{\"ghcr\": {\"sources\": [\"env\"], \"hosts\": {$ghes},
		\"containers.octo.ghe.com\": {}}}}"
	mock_clear
	online GH_TOKEN=$READ GH_ENTERPRISE_TOKEN=$READ HTTPS_PROXY=$MOCK_PROXY
	t_out "the hosts' default API bases, through HTTPS_PROXY" 0 \
		'asked +GET https://api\.github\.com/user$' \
		'asked +GET https://ghe\.example\.com/api/v3/user$' \
		'asked +GET https://api\.octo\.ghe\.com/user$'
	t_eq "the proxy was asked to CONNECT to each" "$(seen connect)" \
		"api.github.com:443
ghe.example.com:443
api.octo.ghe.com:443"
	t_eq "and each got GET /user under its name" "$(seen requests)" \
		"proxy:api.github.com:443 api.github.com /user octo-reader 200
proxy:ghe.example.com:443 ghe.example.com /api/v3/user octo-reader 200
proxy:api.octo.ghe.com:443 api.octo.ghe.com /user octo-reader 200"

	# A settings' api that is the default is still the settings': it wins.
	settings '{"ghcr": {"sources": ["env"], "hosts": {"ghcr.io": {"api": "https://api.github.com"}}}}'
	mock_clear
	online GH_TOKEN=$READ GITHUB_API_URL=$MOCK_URL HTTPS_PROXY=$MOCK_PROXY
	t_eq "the settings' api, though it is the default, wins over GITHUB_API_URL" \
		"$(seen connect)" "api.github.com:443"

	# GITHUB_API_URL through the proxy, then past it with NO_PROXY.
	settings "$ENV_ONLY"
	mock_clear
	online GH_TOKEN=$READ GITHUB_API_URL=$MOCK_URL HTTPS_PROXY=$MOCK_PROXY
	t_out "GITHUB_API_URL through HTTPS_PROXY" 0 'login +octo-reader$'
	t_eq "CONNECT to GITHUB_API_URL's host" "$(seen connect)" "127.0.0.1:$MOCK_PORT"
	mock_clear
	online GH_TOKEN=$READ GITHUB_API_URL=$MOCK_URL HTTPS_PROXY=$MOCK_PROXY NO_PROXY=127.0.0.1
	t_out "NO_PROXY: the API itself" 0 'login +octo-reader$'
	t_eq "no CONNECT with NO_PROXY" "$(seen connect)" ""

	# A token never goes over plain http, nor anywhere else than https.
	mock_clear
	online GH_TOKEN=$READ GITHUB_API_URL=http://127.0.0.1:$MOCK_PORT NO_PROXY=127.0.0.1
	t_out "GITHUB_API_URL over plain http is refused" 1 \
		'GITHUB_API_URL must be an https:// URL'
	t_eq "before anything is sent" "$(seen requests)$(seen connect)" ""

	# A CA the client does not trust: the TLS failure names the trust.
	online GH_TOKEN=$READ GITHUB_API_URL=$MOCK_URL NO_PROXY=127.0.0.1 \
		SSL_CERT_FILE=/dev/null
	t_out "an untrusted certificate fails, naming the CA file" 1 \
		"TLS with GitHub's API at $MOCK_URL failed.*/dev/null"
}

case_hosts() {
	# One host fails, the others are still checked; the status says it.
	settings "{\"ghcr\": {\"sources\": [\"env\"], \"hosts\": {
		\"127.0.0.1:5000\": {\"github\": \"ghe.example.com\", \"api\": \"$MOCK_URL/api/v3\"}}}}"
	online GH_TOKEN=$READ GH_ENTERPRISE_TOKEN=$BAD GITHUB_API_URL=$MOCK_URL \
		NO_PROXY=127.0.0.1
	t_out "two hosts, one refused: both shown, exit 1" 1 \
		'^  ghcr\.io' 'login +octo-reader$' '^  127\.0\.0\.1:5000' 'refused +GitHub answered 401' \
		'online check failed for 1 of 2 hosts'
}

case_hang() {
	local waited
	settings "$ENV_ONLY"
	mock_clear
	online GH_TOKEN=$HANG GITHUB_API_URL=$MOCK_URL NO_PROXY=127.0.0.1
	t_out "an API that never answers: given up, exit 1" 1 \
		"no answer from GitHub's API at $MOCK_URL within 10\\.0 s"
	# Measured by the mock, from the request to the client's close: the
	# client's own bound, with 2 s for scheduling on a loaded machine.
	for _ in $(seq 50); do [ -s "$MOCK_DIR/hang.log" ] && break; sleep 0.1; done
	waited=$(seen hang)
	if [ -n "$waited" ] && [ "$waited" -le $((BOUND_MS + 2000)) ]; then
		t_ok "the exchange is bounded (${waited} ms, bound $BOUND_MS)"
	else
		t_fail "the exchange is bounded (mock: '${waited}' ms, bound $BOUND_MS; doctor took $MS ms)"
	fi
}

case_leaks() {
	local t leaked=
	for t in $TOKENS; do
		grep -qF -- "$t" "$TMP/all" && leaked="$leaked $t"
		# Nor the part past the prefix (a cut token).
		grep -qF -- "${t:4:20}" "$TMP/all" && leaked="$leaked ${t:0:4}..."
	done
	t_eq "no token (nor a part of one) in any output" "$leaked" ""
}

# --- main ----------------------------------------------------------------------

t_tmpdir
echo "# helper: $HELPER"
if [ ! -x "$HELPER" ]; then
	t_fail "$HELPER is built"
	exit 1
fi
command -v openssl >/dev/null || { t_fail "openssl is installed (tests/deps.sh)"; exit 1; }
mock_start || { t_fail "the GitHub mock starts"; exit 1; }
T_CLEANUP_HOOK=mock_stop
export HOME=$TMP/home XDG_RUNTIME_DIR=$TMP/run CREDKIT_CONFIG=$TMP/config.json \
	GH_CONFIG_DIR=$TMP/gh SSL_CERT_FILE=$MOCK_DIR/ca.crt
unset XDG_CONFIG_HOME SSL_CERT_DIR GITHUB_ACTOR
mkdir -p "$HOME" "$GH_CONFIG_DIR" && mkdir -m 700 -p "$XDG_RUNTIME_DIR"
: >"$TMP/all"

for c in mock offline tokens bases hosts hang leaks; do
	echo "# $c"
	"case_$c"
done
t_done
