#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-ecr.sh - docker-credential-ecr-login against a local fake AWS.
#
# tests/tools/aws-mock.py plays ECR, ECR Public, STS and instance metadata
# on 127.0.0.1 (tests/lib-aws.sh), checks every request's SigV4 signature
# with botocore and counts the calls.  Each part runs in a fresh session
# keyring (CREDKIT_KEYRING=session) with its own lock directory, HOME and
# settings file, against a freshly reset mock:
#
#   hosts     which hosts are ECR's; any other is "not found" at once, with
#             no call, no credentials loaded and the minter never run
#   cache     a cold get makes one call, a cached one none and loads no
#             libcurl (LD_DEBUG=libs); ECR Public; store is accepted; erase
#             drops the token; list needs no network, region or credentials
#   identity  another profile, key or role never gets this one's token
#   refresh   past half its life a token (12 s here) is refreshed; when the refresh
#             fails the old one is used while valid, with a warning; then
#             the error
#   flight    32 parallel cold gets make exactly one call; a killed minter
#             leaves no lock behind; a waiter's wait is bounded
#   errors    no credentials (and what was tried), access denied, bad
#             signature, unreachable, 500, garbage, an endpoint that hangs:
#             each a clear message on stdout, exit 1, within its bound
#   mock      the mock itself refuses what AWS refuses: a body changed
#             after signing, a wrong secret, service or date, a temporary
#             key without its session token (tools/aws-mock-check.py)
#   sources   credentials from web identity, a profile's assume-role,
#             credential_process and instance metadata reach ECR signed;
#             metadata that hangs is given up within a second
#   roles     a registry's (or every registry's) role_arn, assumed with the
#             chain's keys; STS's AccessDenied in its words; a profile's
#             credential_source (Environment, EcsContainer,
#             Ec2InstanceMetadata); MFA profiles and source_profile loops
#   sso       IAM Identity Center: sso-session and legacy profiles read the
#             AWS CLI's token cache; expired, missing or refused tokens
#   container ECS relative URI, EKS Pod Identity full URI with a token or
#             a token file; a refused token; plain http to another host
#   fallback  keyctl refused by seccomp: tokens are cached in the Secret
#             Service instead (list, erase); CREDKIT_STORE=none keeps none
#   proxy     HTTPS_PROXY to the real host names, through a CONNECT proxy
#   trust     with no CA named, the system's are trusted through their
#             hashed directory, without parsing the whole bundle file
#   settings  registry aliases of the settings file, per-registry profile,
#             AWS_ENDPOINT_URL and the services' own, malformed settings
#   partition a registry of another partition (aws-iso here) has its STS,
#             IAM Identity Center and ECR hosts in that partition's domain
#   skew      a clock 10 min off: one retry with the offset of the answer's
#             Date; when that fails too, the error says how far off it is
#   answer    a 500 then a try that times out: the error keeps the 500's text
#   docker    the docker CLI's credHelpers on an alias of a TLS registry
#             whose password is the minted token: docker login needs no
#             password, config.json holds none; skopeo reads through it
#   precedence  env web identity against a profile's chain, as botocore:
#             a profile's role_arn decides for it, a source_profile is
#             never answered by the env web identity, a profile named in
#             the settings does not look at it; checked on what STS saw
#   endpoints the container endpoint over http only to loopback and ECS/EKS
#             addresses, hosts that only look like them refused before any
#             request; RELATIVE_URI stays on the container host; the test
#             knob widens nothing; no proxy ever for container or IMDS
#   deadline  one budget (timeout_ms) from start to answer: parallel callers
#             against an ECR that answers 500 all answer within it (the
#             lock wait and the mint share it); a credential_process that
#             sleeps 30 s is stopped at the budget
#   failmem   a failed mint is remembered (fail_cache_ms): 6 parallel
#             callers against AccessDenied make one call and all get its
#             words; 0 turns it off; erase forgets it; after its time a new
#             call is made; another identity never gets it
#   imds      IMDSv1 when the IMDSv2 token is refused (403, 404, 405) or
#             never answered, unless AWS_EC2_METADATA_V1_DISABLED=true;
#             the whole probe within its bound
#   lockdir   as a fresh uid with no XDG_RUNTIME_DIR whose /tmp/credkit-UID
#             another user made first: a get mints, quietly, its lock under
#             ~/.cache/credkit; with no usable place at all a get still
#             mints, saying so in one line on stderr (root only)
#   scope     one token per principal and region: the IPv4 name, the
#             dual-stack name and a second account make one call and one
#             keyring entry; list names the three; another region mints
#             its own; erasing one host drops the region's token
#   principal the cache key follows what selects the principal: two EKS
#             Pod Identity pods (same URI and token path, other tokens),
#             two container tokens, two web identities of one role, a
#             rewritten shared file each mint their own; a rotated JWT
#             (same iss, sub, aud) keeps the cached token
#
# Run with a part's name as argument, inside a session keyring, it runs
# that part alone (this is how the script calls itself).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib-aws.sh
. "$here/lib-aws.sh"

SELF=$here/t-ecr.sh
PARTS="mock hosts cache identity refresh flight errors sources roles sso container fallback
	proxy trust settings docker partition skew answer"
PARTS="$PARTS precedence"
PARTS="$PARTS endpoints imds"
PARTS="$PARTS deadline failmem"
PARTS="$PARTS lockdir"
PARTS="$PARTS principal"
PARTS="$PARTS scope"
BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
HELPER=$BIN/docker-credential-ecr-login
REG=123456789012.dkr.ecr.us-east-1.amazonaws.com

# --- helpers -------------------------------------------------------------------

# ecr VERB [INPUT]: run the helper; OUT is its stdout, ERR its stderr, RC
# its status.  Bounded: nothing may take 20 s (CALL_TIMEOUT: more under
# tests/check-valgrind.sh).
ecr() {
	local verb=$1 input=${2-}
	OUT=$(printf '%s' "$input" | timeout "${CALL_TIMEOUT:-20}" "$HELPER" "$verb" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
}

# calls [SERVICE]: how many requests reached the mock for SERVICE (ecr).
calls() { aws_mock_calls "${1:-ecr}"; }

# t_calls NAME WANT [SERVICE]
t_calls() { t_eq "$1" "$(calls "${3:-ecr}")" "$2"; }

# last_akid SERVICE: the key id that signed SERVICE's last call.
last_akid() {
	awk -v s="$1" '$1 == s { k = $3 } END { print k }' "$MOCK_DIR/calls.log"
}

# The password the mock gives the Nth ECR call of an access key id.
pw() { printf 'ecrpw-%s-%s-%s' "${3:-ecr}" "$1" "$2"; }

# t_get NAME SERVER PASSWORD: get answers PASSWORD for SERVER, user AWS.
t_get() {
	ecr get "$2"
	local want
	want=$(printf '{"ServerURL":"%s","Username":"AWS","Secret":"%s"}' "$2" "$3")
	if [ "$RC" -eq 0 ] && [ "$OUT" = "$want" ]; then
		t_ok "$1"
	else
		t_fail "$1"
		printf '#   rc %s, out: %s\n#   want: %s\n#   stderr: %s\n' "$RC" "$OUT" "$want" "$ERR"
	fi
}

# t_fails NAME PATTERN SERVER: get fails, exit 1, stdout matching PATTERN.
t_fails() {
	ecr get "$3"
	if [ "$RC" -eq 1 ] && grep -Eq -- "$2" <<<"$OUT"; then
		t_ok "$1"
	else
		t_fail "$1"
		printf '#   rc %s, out: %s\n#   stderr: %s\n' "$RC" "$OUT" "$ERR"
	fi
}

# env_keys: the mock's long-term "environment" identity.
env_keys() {
	export AWS_ACCESS_KEY_ID=$MOCK_ENV_KEY_ID AWS_SECRET_ACCESS_KEY=$MOCK_ENV_SECRET
}

now_ms() { printf '%s' "$(( ${EPOCHREALTIME/./} / 1000 ))"; }

# --- parts ---------------------------------------------------------------------

part_hosts() {
	local h
	# A credential_process that leaves a mark: no credentials may be loaded.
	mkdir -p "$HOME/.aws"
	printf '[default]\ncredential_process = sh -c "touch %s/loaded; exit 1"\n' \
		"$TMP" >"$HOME/.aws/config"
	export CREDKIT_ECR_MINT=$TMP/no-minter
	for h in docker.io https://index.docker.io/v1/ ghcr.io 127.0.0.1:5000 \
		12345678901.dkr.ecr.us-east-1.amazonaws.com \
		1234567890123.dkr.ecr.us-east-1.amazonaws.com \
		123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example \
		evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com \
		123456789012.dkr.ecr..amazonaws.com \
		123456789012.dkr.ecr.us-east-1.amazonaws.org \
		public.ecr.aws.evil.example; do
		ecr get "$h"
		t_eq "not ECR: $h is not found" "$RC $OUT" \
			"1 credentials not found in native keychain"
	done
	t_check "no credentials were loaded for them" test ! -e "$TMP/loaded"
	t_calls "no call for them" 0

	# Every partition, FIPS and dual-stack, scheme, path and port: all ECR
	# (the minter is missing here, so each one fails trying to run it).
	for h in "$REG" "https://$REG/v2/" "$REG:443" "$REG/some/repo" \
		123456789012.dkr-ecr.us-east-1.on.aws \
		123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com \
		123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn \
		123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn \
		123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu \
		123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov \
		123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov \
		123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk \
		123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov \
		public.ecr.aws ecr-public.aws.com; do
		ecr get "$h"
		case $OUT in
		*"cannot run $TMP/no-minter"*) t_ok "ECR: $h" ;;
		*) t_fail "ECR: $h"; printf '#   rc %s, out: %s\n' "$RC" "$OUT" ;;
		esac
	done
}

part_cache() {
	local out libs
	env_keys
	t_get "cold get mints a token" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_calls "one call" 1
	t_eq "it went to the registry's region" \
		"$(awk '$1 == "ecr" { print $2 }' "$MOCK_DIR/calls.log")" us-east-1
	t_get "cached get" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_get "cached get, another spelling" "https://$REG/v2/" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_calls "no call for cached gets" 1

	libs=$(printf '%s' "$REG" | LD_DEBUG=libs "$HELPER" get 2>&1 >/dev/null)
	if grep -q 'libcurl\|libcrypto\|libssl\|libglib' <<<"$libs"; then
		t_fail "a cached get loads no libcurl, OpenSSL or GLib"
		grep 'calling init' <<<"$libs" | sed 's/^/#   /'
	else
		t_ok "a cached get loads no libcurl, OpenSSL or GLib"
	fi

	t_get "ECR Public" public.ecr.aws "$(pw 1 "$MOCK_ENV_KEY_ID" ecr-public)"
	t_calls "ECR Public: one call" 1 ecr-public
	t_eq "ECR Public is signed for us-east-1" \
		"$(awk '$1 == "ecr-public" { print $2 }' "$MOCK_DIR/calls.log")" us-east-1

	ecr store "{\"ServerURL\":\"$REG\",\"Username\":\"AWS\",\"Secret\":\"typed-by-hand\"}"
	t_eq "store is accepted" "$RC:$OUT" "0:"
	t_get "and changes nothing" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"

	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
		export AWS_EC2_METADATA_DISABLED=true HTTPS_PROXY=http://127.0.0.1:1
		ecr list
		t_eq "list shows the cached registries" "$RC $OUT" \
			"0 {\"https://$REG\":\"AWS\",\"https://public.ecr.aws\":\"AWS\"}"
	)
	t_calls "list makes no call" 1

	ecr erase "https://$REG"
	t_eq "erase" "$RC:$OUT" "0:"
	ecr list
	t_eq "erase dropped the token" "$OUT" '{"https://public.ecr.aws":"AWS"}'
	t_get "the next get mints anew" "$REG" "$(pw 2 "$MOCK_ENV_KEY_ID")"
	ecr erase docker.io
	t_eq "erase of another host" "$RC:$OUT" "0:"
	t_eq "no signature was wrong" "$(calls bad_signature)" 0
}

part_identity() {
	env_keys
	t_get "environment keys" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	mkdir -p "$HOME/.aws"
	printf '[other]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_PROFILE_KEY_ID" "$MOCK_PROFILE_SECRET" >"$HOME/.aws/credentials"
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
		export AWS_PROFILE=other
		t_get "another profile mints its own" "$REG" "$(pw 2 "$MOCK_PROFILE_KEY_ID")"
		t_get "and has it cached" "$REG" "$(pw 2 "$MOCK_PROFILE_KEY_ID")"
	)
	t_get "the first identity still has its own" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	printf '{"ecr": {"registries": {"%s": {"profile": "other"}}}}\n' "$REG" >"$CREDKIT_CONFIG"
	t_get "a profile set for the registry wins over the environment" "$REG" \
		"$(pw 2 "$MOCK_PROFILE_KEY_ID")"
	t_calls "three identities, two calls... and one for the settings' profile" 2
}

part_refresh() {
	local t0 dual=123456789012.dkr-ecr.us-east-1.on.aws
	env_keys
	# 12 s: fresh for 6 s, then usable until 3 s before it expires; the
	# margins leave room for a slow (sanitizer) build and whole seconds.
	aws_mock_set '{"ecr": {"expires_in": 12}}'
	t0=$(now_ms)
	t_get "a token of 12 s" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_get "is cached" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_get "and answers the dual-stack name too" "$dual" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_calls "one call" 1
	sleep "$(awk -v t="$(( $(now_ms) - t0 ))" 'BEGIN { printf "%.3f", (6300 - t) / 1000 }')"
	t_get "past half its life it is refreshed" "$REG" "$(pw 2 "$MOCK_ENV_KEY_ID")"
	t_calls "two calls" 2
	ecr list
	t_eq "the new token answers for every host the old one did" "$OUT" \
		"{\"https://$dual\":\"AWS\",\"https://$REG\":\"AWS\"}"
	ecr erase "$dual"
	ecr list
	t_eq "and erasing one of them drops it" "$RC $OUT" "0 {}"
	t0=$(now_ms)
	t_get "so the next get mints" "$REG" "$(pw 3 "$MOCK_ENV_KEY_ID")"

	aws_mock_set '{"ecr": {"fail": 500}}'
	sleep "$(awk -v t="$(( $(now_ms) - t0 ))" 'BEGIN { printf "%.3f", (6300 - t) / 1000 }')"
	t_get "a failed refresh uses the old token while valid" "$REG" "$(pw 3 "$MOCK_ENV_KEY_ID")"
	case $ERR in
	*"cannot refresh the token for $REG"*"using the cached one"*) t_ok "and says so on stderr" ;;
	*) t_fail "and says so on stderr"; printf '#   stderr: %s\n' "$ERR" ;;
	esac
	sleep 3.5
	t_fails "an expired token is not used" "ECR at .* failed \(HTTP 500\)" "$REG"
}

part_flight() {
	local i pid t0
	env_keys
	aws_mock_set '{"ecr": {"delay_ms": 300}}'
	for i in $(seq 32); do
		printf '%s' "$REG" | timeout 30 "$HELPER" get >"$TMP/out.$i" 2>"$TMP/err.$i" &
	done
	wait
	t_calls "32 parallel cold gets make one call" 1
	t_eq "and all 32 have the token" \
		"$(cat "$TMP"/out.* | sort | uniq -c | awk '{ print $1 }')" 32

	# A minter killed while it holds the lock leaves none behind.
	aws_mock_set '{"ecr-public": {"fail": "hang"}}'
	printf '%s' public.ecr.aws | "$HELPER" get >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 100); do
		[ "$(calls ecr-public)" -ge 1 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	aws_mock_set '{"ecr-public": {"fail": null}, "ecr": {"fail": null}}'
	t0=$(now_ms)
	t_get "after a killed minter, the next get mints" public.ecr.aws \
		"$(pw 2 "$MOCK_ENV_KEY_ID" ecr-public)"
	t_check "at once" test $(( $(now_ms) - t0 )) -lt 3000

	# A waiter waits no longer than the registry's timeout.
	printf '{"ecr": {"timeout_ms": 1500}}\n' >"$CREDKIT_CONFIG"
	aws_mock_set '{"ecr": {"fail": "hang"}}'
	ecr erase "$REG"
	printf '%s' "$REG" | timeout 20 "$HELPER" get >"$TMP/first" 2>&1 &
	pid=$!
	sleep 0.3
	t0=$(now_ms)
	t_fails "a waiter gives up" "another docker-credential-ecr-login|no answer|no token" "$REG"
	t_check "within its bound" test $(( $(now_ms) - t0 )) -lt 4000
	wait "$pid"
	t_eq "the hung minter gives up too, on stdout, exit 1" "$?" 1
	case $(cat "$TMP/first") in
	*"no answer from ECR"*|*"no token from ECR"*) t_ok "saying what it waited for" ;;
	*) t_fail "saying what it waited for"; sed 's/^/#   /' "$TMP/first" ;;
	esac
}

part_errors() {
	local t0
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
		export AWS_EC2_METADATA_DISABLED=true
		t_fails "no credentials: says what was tried" \
			"no AWS credentials.*environment.*" "$REG"
	)
	env_keys
	aws_mock_set '{"ecr": {"fail": "denied"}}'
	t_fails "access denied: the API's words" \
		"ECR refused a token for $REG.*AccessDeniedException: .*not authorized" "$REG"
	aws_mock_set '{"ecr": {"fail": "garbage"}}'
	t_fails "a bad answer" "ECR sent an answer credkit cannot read" "$REG"
	aws_mock_set '{"ecr": {"fail": 500}}'
	t_fails "500" "ECR at .* failed \(HTTP 500\)" "$REG"
	t_calls "500 is tried three times" 5
	aws_mock_set '{"ecr": {"fail": null}}'
	(
		export AWS_SECRET_ACCESS_KEY=wrong-secret-0000000000000000000000000
		t_fails "a wrong secret: the API's words" "InvalidSignatureException" "$REG"
	)
	(
		export AWS_ENDPOINT_URL_ECR=https://127.0.0.1:1
		t_fails "unreachable" "cannot reach ECR at https://127.0.0.1:1" "$REG"
	)
	printf '{"ecr": {"timeout_ms": 1000}}\n' >"$CREDKIT_CONFIG"
	aws_mock_set '{"ecr": {"fail": "hang"}}'
	t0=$(now_ms)
	t_fails "an endpoint that hangs" "no answer from ECR|no token from ECR" "$REG"
	t_check "gives up within its bound" test $(( $(now_ms) - t0 )) -lt 2500
	t_check "no secret in any message" \
		bash -c '! grep -r -- "$1" "$2"/err* >/dev/null 2>&1' _ "$MOCK_ENV_SECRET" "$TMP"
	t_eq "no signature was wrong but the wrong secret's" "$(calls bad_signature)" 1
}

part_sources() {
	local t0 gave_up
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_EC2_METADATA_DISABLED=true
	mkdir -p "$HOME/.aws"

	printf 'token-for-ci\n' >"$TMP/web-token"
	aws_mock_set '{"web_identity_tokens": ["token-for-ci"]}'
	(
		export AWS_WEB_IDENTITY_TOKEN_FILE=$TMP/web-token \
			AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci
		ecr get "$REG"
		t_eq "web identity: STS, then ECR" "$RC $(calls sts) $(calls ecr)" "0 1 1"
	)
	printf '[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n[profile base]\n' \
		>"$HOME/.aws/config"
	printf '[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_SOURCE_KEY_ID" "$MOCK_SOURCE_SECRET" >"$HOME/.aws/credentials"
	(
		export AWS_PROFILE=app
		ecr get "$REG"
		t_eq "assume-role: STS, then ECR" "$RC $(calls sts) $(calls ecr)" "0 2 2"
	)
	cat >"$TMP/process" <<-EOF
	#!/bin/sh
	printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' \\
		"$MOCK_PROCESS_KEY_ID" "$MOCK_PROCESS_SECRET"
	EOF
	chmod +x "$TMP/process"
	printf '[profile tool]\ncredential_process = %s\n' "$TMP/process" >>"$HOME/.aws/config"
	(
		export AWS_PROFILE=tool
		t_get "credential_process: its keys sign the call" "$REG" \
			"$(pw 3 "$MOCK_PROCESS_KEY_ID")"
	)
	(
		unset AWS_EC2_METADATA_DISABLED
		export AWS_CONFIG_FILE=$TMP/none AWS_SHARED_CREDENTIALS_FILE=$TMP/none
		ecr get "$REG"
		t_eq "instance metadata: IMDSv2, then ECR" "$RC $(calls ecr)" "0 4"
		t_check "IMDS was asked" test "$(calls imds)" -ge 3
		t_eq "the call was signed with the instance role's keys" \
			"$(last_akid ecr | cut -c1-4)" ASIA

		# Metadata that never answers (no instance, packets dropped): the
		# probe gives up within its second, as the mock sees it (from the
		# request to the client's close), and says what was tried.
		aws_mock_set '{"imds": {"fail": "hang"}}'
		ecr erase "$REG"
		t0=$(now_ms)
		t_fails "instance metadata that hangs: no credentials" \
			"no AWS credentials found: tried .*instance metadata \(.*\)" "$REG"
		t0=$(( $(now_ms) - t0 ))
		gave_up=$(aws_mock_gave_up imds)
		t_check "the probe gives up within 1 s (after ${gave_up:-?} ms; the get took $t0 ms)" \
			test "${gave_up:-99999}" -lt 1000
	)
	t_eq "every signature was right" "$(calls bad_signature)" 0
}

part_roles() {
	local role=arn:aws:iam::123456789012:role
	env_keys
	printf '{"ecr": {"registries": {"%s": {"role_arn": "%s/pull"}}}}\n' "$REG" "$role" \
		>"$CREDKIT_CONFIG"
	ecr get "$REG"
	t_eq "a registry's role_arn: STS, then ECR" "$RC $(calls sts) $(calls ecr)" "0 1 1"
	t_eq "STS signed with the environment's key" "$(last_akid sts)" "$MOCK_ENV_KEY_ID"
	t_eq "ECR with the role's" "$(last_akid ecr | cut -c1-4)" ASIA
	ecr get "$REG"
	t_eq "the role's token is cached" "$RC $(calls sts) $(calls ecr)" "0 1 1"
	printf '{}\n' >"$CREDKIT_CONFIG"
	t_get "without the role, the keys' own token" "$REG" "$(pw 2 "$MOCK_ENV_KEY_ID")"
	printf '{"ecr": {"role_arn": "%s/everywhere"}}\n' "$role" >"$CREDKIT_CONFIG"
	ecr get "$REG"
	t_eq "a role_arn for every registry" "$RC $(calls sts) $(calls ecr)" "0 2 3"

	aws_mock_set "{\"roles\": {\"$role/denied\": \"denied\"}}"
	printf '{"ecr": {"role_arn": "%s/denied"}}\n' "$role" >"$CREDKIT_CONFIG"
	t_fails "a role STS refuses: STS's words" \
		"AWS STS AssumeRole for $role/denied .*was refused: AccessDenied: User: .* is not authorized to perform: sts:AssumeRole" \
		"$REG"
	t_calls "no ECR call then" 3

	# credential_source: the base keys of a profile's role.
	mkdir -p "$HOME/.aws"
	cat >"$HOME/.aws/config" <<-EOF
	[profile from-env]
	role_arn = $role/from-env
	credential_source = Environment
	[profile from-task]
	role_arn = $role/from-task
	credential_source = EcsContainer
	[profile from-instance]
	role_arn = $role/from-instance
	credential_source = Ec2InstanceMetadata
	[profile odd]
	role_arn = $role/odd
	credential_source = Somewhere
	[profile mfa]
	role_arn = $role/mfa
	source_profile = from-env
	mfa_serial = arn:aws:iam::123456789012:mfa/ci
	[profile loop-a]
	role_arn = $role/a
	source_profile = loop-b
	[profile loop-b]
	role_arn = $role/b
	source_profile = loop-a
	EOF
	printf '{"ecr": {"profile": "from-env"}}\n' >"$CREDKIT_CONFIG"
	ecr get "$REG"
	t_eq "credential_source Environment: STS with the environment's key" \
		"$RC $(calls sts) $(last_akid sts)" "0 4 $MOCK_ENV_KEY_ID"
	printf '{}\n' >"$CREDKIT_CONFIG"
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
		export AWS_PROFILE=from-task AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/t \
			CREDKIT_AWS_CONTAINER_HOST=127.0.0.1:$MOCK_HTTP_PORT
		ecr get "$REG"
		t_eq "credential_source EcsContainer: the task's keys, then STS" \
			"$RC $(calls container) $(calls sts) $(last_akid sts | cut -c1-4)" "0 1 5 ASIA"
		unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
		export AWS_PROFILE=from-instance
		ecr get "$REG"
		t_eq "credential_source Ec2InstanceMetadata: IMDS, then STS" \
			"$RC $(calls sts)" "0 6"
		t_check "IMDS was asked" test "$(calls imds)" -ge 3
		export AWS_PROFILE=odd
		t_fails "an unknown credential_source is named" \
			"profile odd: credential_source must be Environment, Ec2InstanceMetadata or EcsContainer" \
			"$REG"
		export AWS_PROFILE=mfa
		t_fails "a role that needs MFA: why it cannot be used" \
			"profile mfa needs an MFA code \(mfa_serial\)" "$REG"
		export AWS_PROFILE=loop-a
		t_fails "a source_profile loop ends" "source_profile chain longer than" "$REG"
	)
	t_eq "no more STS calls for them" "$(calls sts)" 6
	t_eq "every signature was right" "$(calls bad_signature)" 0
}

# sso_cache KEY TOKEN EXPIRES: the AWS CLI's token cache entry of KEY (an
# sso-session's name, or a legacy profile's start URL).
sso_cache() {
	local file
	file=$HOME/.aws/sso/cache/$(printf '%s' "$1" | sha1sum | cut -d' ' -f1).json
	mkdir -p "${file%/*}"
	printf '{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "%s", "expiresAt": "%s"}\n' \
		"$2" "$3" >"$file"
}

part_sso() {
	local later earlier
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_EC2_METADATA_DISABLED=true
	later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	earlier=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
	mkdir -p "$HOME/.aws"
	cat >"$HOME/.aws/config" <<-EOF
	[profile dev]
	sso_session = corp
	sso_account_id = 123456789012
	sso_role_name = ECRPull
	[sso-session corp]
	sso_start_url = https://corp.awsapps.com/start
	sso_region = us-east-1
	sso_registration_scopes = sso:account:access
	[profile old]
	sso_start_url = https://old.awsapps.com/start
	sso_region = us-east-1
	sso_account_id = 123456789012
	sso_role_name = ECRPull
	EOF
	aws_mock_set '{"sso_tokens": ["sso-bearer-corp", "sso-bearer-old"]}'
	sso_cache corp sso-bearer-corp "$later"
	sso_cache https://old.awsapps.com/start sso-bearer-old "${later%Z}UTC"
	(
		export AWS_PROFILE=dev
		ecr get "$REG"
		t_eq "sso-session: the portal, then ECR" "$RC $(calls sso) $(calls ecr)" "0 1 1"
		t_eq "signed with the role's keys" "$(last_akid ecr | cut -c1-4)" ASIA
		ecr get "$REG"
		t_eq "cached" "$RC $(calls sso) $(calls ecr)" "0 1 1"
		export AWS_PROFILE=old
		ecr get "$REG"
		t_eq "legacy SSO profile (AWS CLI v1 cache time)" \
			"$RC $(calls sso) $(calls ecr)" "0 2 2"

		sso_cache https://old.awsapps.com/start sso-bearer-old "$earlier"
		ecr erase "$REG"
		t_fails "an expired SSO token: run aws sso login" \
			"SSO token of AWS profile old has expired .*run 'aws sso login --profile old'" "$REG"
		export AWS_PROFILE=dev
		rm -f "$HOME"/.aws/sso/cache/*.json
		t_fails "no SSO token: run aws sso login" \
			"no SSO token for AWS profile dev in .*run 'aws sso login --profile dev'" "$REG"
		sso_cache corp sso-bearer-revoked "$later"
		t_fails "a token the portal refuses: its words" \
			"the AWS SSO portal refused role ECRPull of account 123456789012 \(profile dev\): HTTP 401 Session token not found or invalid" \
			"$REG"
		t_check "no bearer token in any message" \
			bash -c '! grep -q "sso-bearer" <<<"$1$2"' _ "$OUT" "$ERR"
	)
	t_eq "two portal calls succeeded, one was refused" "$(calls sso) $(calls ecr)" "3 2"
	t_eq "every signature was right" "$(calls bad_signature)" 0
}

part_container() {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_EC2_METADATA_DISABLED=true CREDKIT_AWS_CONTAINER_HOST=127.0.0.1:$MOCK_HTTP_PORT
	(
		# ECS: a relative URI on the fixed address (here the mock's).
		export AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/task-1
		ecr get "$REG"
		t_eq "ECS relative URI: the endpoint, then ECR" \
			"$RC $(calls container) $(calls ecr) $(last_akid ecr | cut -c1-4)" "0 1 1 ASIA"
	)
	# EKS Pod Identity: a full URI and a token file.
	aws_mock_set '{"container_token": "pod-identity-token"}'
	printf 'pod-identity-token\n' >"$TMP/pod-token"
	(
		export AWS_CONTAINER_CREDENTIALS_FULL_URI=$MOCK_HTTP_URL/v1/credentials
		export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/pod-token
		ecr get "$REG"
		t_eq "full URI with a token file" "$RC $(calls container) $(calls ecr)" "0 2 2"
		ecr erase "$REG"
		unset AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
		export AWS_CONTAINER_AUTHORIZATION_TOKEN=pod-identity-token
		ecr get "$REG"
		t_eq "full URI with a token" "$RC $(calls container) $(calls ecr)" "0 3 3"
		ecr erase "$REG"
		export AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token
		t_fails "a token the endpoint refuses: its answer" \
			"container credentials endpoint answered 401" "$REG"
		unset AWS_CONTAINER_AUTHORIZATION_TOKEN
		export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/none
		t_fails "a missing token file is named" "$TMP/none" "$REG"
		export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.1/credentials
		t_fails "plain http to another host is refused, as the SDKs do" \
			"FULL_URI must be https, or http to a loopback or ECS/EKS address" "$REG"
	)
	t_eq "one refused call, no other" "$(calls container) $(calls ecr) $(calls imds)" "4 3 0"
}

part_mock() {
	# The mock refuses what AWS refuses (tests/tools/aws-mock-check.py).
	"$AWS_MOCK_PYTHON" "$here/tools/aws-mock-check.py" || T_FAILED=$((T_FAILED + 1))
}

# secrets_of HOST: the Secret Service items whose server starts with HOST.
secrets_of() {
	timeout 10 secret-tool search --all docker_cli 1 2>&1 |
		grep -c "^attribute.server = $1 " || true
}

part_fallback() {
	local seccomp=$TMP/seccomp-deny real=$HELPER
	if ! t_seccomp_tool "$seccomp"; then
		t_skip "tokens in the store for passwords" "$T_SECCOMP_WHY"
		return
	fi
	# The helper as in a container whose seccomp profile refuses the
	# kernel keyring; here on a session bus with a Secret Service.
	printf '#!/bin/sh\nexec %s eperm %s "$@"\n' "$seccomp" "$real" >"$TMP/blocked"
	chmod +x "$TMP/blocked"
	HELPER=$TMP/blocked
	env_keys
	t_get "keyctl blocked: a cold get mints" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_get "the next one is answered from the Secret Service" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_calls "one call" 1
	t_eq "one item, under the cache key (namespace, region, identity, digest)" \
		"$(secrets_of "credkit-token:ecr us-east-1")" 1
	t_eq "the Secret Service helper's list does not show it as a login" \
		"$(printf x | "$BIN/docker-credential-secretservice" list)" "{}"
	ecr list
	t_eq "list shows it" "$RC $OUT" "0 {\"https://$REG\":\"AWS\"}"
	ecr erase "$REG"
	t_eq "erase drops it" "$RC $(secrets_of "credkit-token:ecr ")" "0 0"
	t_get "then a get mints anew" "$REG" "$(pw 2 "$MOCK_ENV_KEY_ID")"
	ecr erase "$REG"

	# CREDKIT_STORE=none: kept nowhere, and said so.
	export CREDKIT_STORE=none
	HELPER=$real
	t_get "CREDKIT_STORE=none: a get mints" "$REG" "$(pw 3 "$MOCK_ENV_KEY_ID")"
	case $ERR in
	*"tokens are not cached: CREDKIT_STORE=none"*) t_ok "and says the token is not kept" ;;
	*) t_fail "and says the token is not kept"; printf '#   stderr: %s\n' "$ERR" ;;
	esac
	t_get "so does the next" "$REG" "$(pw 4 "$MOCK_ENV_KEY_ID")"
	t_eq "nothing in the Secret Service" "$(secrets_of "credkit-token:")" 0
	t_check "nothing in the kernel keyring" \
		bash -c '! keyctl show @s 2>/dev/null | grep -q credkit-token:'
	ecr list
	t_eq "list: nothing" "$RC $OUT" "0 {}"
	ecr get docker.io
	t_eq "another host is not found, and nothing else is printed" "$RC $OUT" \
		"1 credentials not found in native keychain"
	ecr erase docker.io
	t_eq "nor for its erase" "$RC $OUT" "0 "
}

part_proxy() {
	env_keys
	(
		unset AWS_ENDPOINT_URL_ECR AWS_ENDPOINT_URL
		export HTTPS_PROXY=$MOCK_PROXY
		t_get "through HTTPS_PROXY to api.ecr.us-east-1.amazonaws.com" "$REG" \
			"$(pw 1 "$MOCK_ENV_KEY_ID")"
		t_calls "one CONNECT" 1 connect
		t_eq "the mock saw the real name" \
			"$(aws_mock_calls | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["log"][-1]["host"])')" \
			api.ecr.us-east-1.amazonaws.com
	)
	# A proxy that is not there: used unless NO_PROXY names the host.
	ecr erase "$REG"
	(
		export HTTPS_PROXY=http://127.0.0.1:1
		t_fails "HTTPS_PROXY is used for the endpoint" "cannot reach ECR" "$REG"
		export NO_PROXY=127.0.0.1
		t_get "NO_PROXY is honoured" "$REG" "$(pw 2 "$MOCK_ENV_KEY_ID")"
	)
	t_calls "no more CONNECTs" 1 connect
}

part_trust() {
	local certs=$TMP/certs
	env_keys
	(
		unset AWS_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
		t_fails "no CA named: the system's are trusted, and the mock is not" \
			"TLS with ECR at .* failed: .*\(trusting the system's certificates\)" "$REG"
		# The system's store replaced (in a mount namespace of its own) by
		# one whose hashed directory trusts the mock and whose bundle file
		# is missing: only the directory is read, as it should be.
		mkdir -p "$certs"
		cp "$MOCK_DIR/ca.crt" "$certs/mock.pem"
		openssl rehash "$certs" 2>/dev/null || c_rehash "$certs" >/dev/null 2>&1
		if [ "$(id -u)" -ne 0 ] || ! unshare --mount --propagation private true 2>/dev/null; then
			t_skip "the system's hashed directory, not its bundle" "needs root for a mount namespace"
			return
		fi
		OUT=$(printf '%s' "$REG" | timeout 20 unshare --mount --propagation private \
			sh -c 'mount --bind "$1" /etc/ssl/certs && exec "$2" get' _ "$certs" "$HELPER" 2>&1)
		t_eq "the system's hashed directory is used, not its bundle file" "$OUT" \
			"{\"ServerURL\":\"$REG\",\"Username\":\"AWS\",\"Secret\":\"$(pw 1 "$MOCK_ENV_KEY_ID")\"}"
	)
}

part_settings() {
	env_keys
	printf '{"ecr": {"registries": {"registry.example.com": {"account": "123456789012", "region": "eu-west-1"}, "pub.example.com:5000": {"public": true}}}}\n' \
		>"$CREDKIT_CONFIG"
	t_get "an alias of the settings" registry.example.com "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_eq "signed for its region" \
		"$(awk '$1 == "ecr" { print $2 }' "$MOCK_DIR/calls.log")" eu-west-1
	t_get "an alias of ECR Public, with a port" pub.example.com:5000 \
		"$(pw 1 "$MOCK_ENV_KEY_ID" ecr-public)"
	ecr get pub.example.com
	t_eq "not without it" "$RC $OUT" "1 credentials not found in native keychain"
	# AWS_ENDPOINT_URL for every service; a service's own wins over it.
	(
		unset AWS_ENDPOINT_URL_ECR AWS_ENDPOINT_URL_STS
		export AWS_ENDPOINT_URL=$MOCK_URL
		printf '{"ecr": {"role_arn": "arn:aws:iam::123456789012:role/pull"}}\n' >"$CREDKIT_CONFIG"
		ecr get "$REG"
		t_eq "AWS_ENDPOINT_URL serves ECR and STS" "$RC $(calls sts) $(calls ecr)" "0 1 2"
		export AWS_ENDPOINT_URL=https://127.0.0.1:1 AWS_ENDPOINT_URL_ECR=$MOCK_URL \
			AWS_ENDPOINT_URL_STS=$MOCK_URL
		ecr erase "$REG"
		ecr get "$REG"
		t_eq "each service's own wins over it" "$RC $(calls sts) $(calls ecr)" "0 2 3"
	)
	printf '{"ecr": {"registries": {"registry.example.com": {"account": "12345", "region": "eu-west-1"}}}}\n' \
		>"$CREDKIT_CONFIG"
	t_fails "a bad account" "needs \"account\" \(12 digits\)" registry.example.com
	printf '{"ecr": {"timeout_ms": "soon"}}\n' >"$CREDKIT_CONFIG"
	t_fails "a bad timeout" "timeout_ms" "$REG"
	printf '{"ecr": [' >"$CREDKIT_CONFIG"
	t_fails "a malformed file, named" "config-settings.json:1:" "$REG"
}

part_docker() {
	local reg_dir=$TMP/registry host pw1 token
	command -v docker >/dev/null && [ "$(id -u)" -eq 0 ] || {
		t_skip "docker login through credHelpers" "needs root and the docker CLI"
		return
	}
	# shellcheck source=tests/registry.sh
	. "$here/registry.sh"
	env_keys
	pw1=$(pw 1 "$MOCK_ENV_KEY_ID")
	# The registry's only user is AWS, with the token the mock mints first.
	mkdir -p "$reg_dir"
	printf '%s\n' "$pw1" | htpasswd -niB AWS >"$TMP/htpasswd"
	REGISTRY_AUTH_HTPASSWD_PATH=$TMP/htpasswd registry_start "$reg_dir" || {
		t_fail "the registry starts"; return
	}
	T_CLEANUP_HOOK="registry_stop; ${T_CLEANUP_HOOK:-}"
	host=$REGISTRY_HOST
	printf '{"ecr": {"registries": {"%s": {"account": "123456789012", "region": "us-west-2"}}}}\n' \
		"$host" >"$CREDKIT_CONFIG"
	export DOCKER_CONFIG=$TMP/docker PATH=$BIN:$PATH
	mkdir -p "$DOCKER_CONFIG"
	printf '{"credHelpers": {"%s": "ecr-login"}}\n' "$host" >"$DOCKER_CONFIG/config.json"
	# What AWS documents: the token on stdin.  docker login runs store,
	# which credkit accepts (the Go helper fails it with "not implemented").
	ecr get "$host"
	token=$(/usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1])["Secret"])' "$OUT")
	if printf '%s' "$token" | timeout 30 docker login -u AWS --password-stdin "$host" \
		>"$TMP/login" 2>&1 && grep -q 'Login Succeeded' "$TMP/login"; then
		t_ok "docker login with the minted token, through credHelpers"
	else
		t_fail "docker login with the minted token, through credHelpers"
		sed 's/^/#   /' "$TMP/login"
	fi
	t_check "config.json holds no secret" \
		bash -c '! grep -q -- "$1\|auth\"" "$2"' _ "$pw1" "$DOCKER_CONFIG/config.json"
	t_calls "one call, for us-west-2" 1
	if timeout 30 skopeo inspect --cert-dir "$REGISTRY_CERT_DIR" --authfile \
		"$DOCKER_CONFIG/config.json" "docker://$host/credkit/none:latest" \
		>"$TMP/skopeo" 2>&1 || grep -q 'manifest unknown\|not found' "$TMP/skopeo"; then
		grep -q 'unauthorized\|authentication required' "$TMP/skopeo" &&
			t_fail "skopeo reads the token through credHelpers" ||
			t_ok "skopeo reads the token through credHelpers"
	else
		t_fail "skopeo reads the token through credHelpers"
		sed 's/^/#   /' "$TMP/skopeo"
	fi
	t_calls "from the cache" 1
	timeout 30 docker logout "$host" >"$TMP/logout" 2>&1
	t_eq "docker logout works" "$?" 0
	ecr list
	t_eq "and drops the token" "$OUT" "{}"
}

# --- partitions, clock skew, the last answer -------------------------------------

# host_of SERVICE: the Host header of the mock's last call to SERVICE.
host_of() {
	aws_mock_calls | /usr/bin/python3 -c 'import json, sys
log = [c for c in json.load(sys.stdin)["log"] if c["service"] == sys.argv[1]]
print(log[-1]["host"] if log else "-")' "$1"
}

part_partition() {
	local later
	env_keys
	printf '{"ecr": {"registries": {"iso.example.com": {"account": "123456789012", "region": "us-iso-east-1", "role_arn": "arn:aws-iso:iam::123456789012:role/pull"}}}}\n' \
		>"$CREDKIT_CONFIG"
	(
		# The real host names, through the mock's CONNECT proxy.
		unset AWS_ENDPOINT_URL_ECR AWS_ENDPOINT_URL_STS AWS_ENDPOINT_URL_SSO
		export HTTPS_PROXY=$MOCK_PROXY
		ecr get iso.example.com
		t_eq "aws-iso: a registry there gets a token" "$RC $(calls sts) $(calls ecr)" "0 1 1"
		t_eq "STS in the partition's domain" "$(host_of sts)" sts.us-iso-east-1.c2s.ic.gov
		t_eq "ECR in the partition's domain" "$(host_of ecr)" api.ecr.us-iso-east-1.c2s.ic.gov

		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
		export AWS_EC2_METADATA_DISABLED=true AWS_PROFILE=iso
		printf '{}\n' >"$CREDKIT_CONFIG"
		later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
		mkdir -p "$HOME/.aws"
		printf '[profile iso]\nsso_start_url = https://iso.example/start\nsso_region = us-iso-east-1\nsso_account_id = 123456789012\nsso_role_name = ECRPull\n' \
			>"$HOME/.aws/config"
		aws_mock_set '{"sso_tokens": ["sso-bearer-iso"]}'
		sso_cache https://iso.example/start sso-bearer-iso "$later"
		ecr get 123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov
		t_eq "an aws-iso registry through IAM Identity Center" "$RC $(calls sso)" "0 1"
		t_eq "the portal in the partition's domain" "$(host_of sso)" \
			portal.sso.us-iso-east-1.c2s.ic.gov
	)
	t_eq "every signature was right" "$(calls bad_signature)" 0
}

part_skew() {
	env_keys
	# The service's clock 10 min ahead of ours, its Date header saying so.
	aws_mock_set '{"clock": {"skew_s": 600}}'
	t_get "a clock 10 min off: one retry with the Date's offset" "$REG" \
		"$(pw 2 "$MOCK_ENV_KEY_ID")"
	t_calls "two calls" 2
	ecr erase "$REG"
	# The same through STS (a role of the settings): XML, SignatureDoesNotMatch.
	printf '{"ecr": {"role_arn": "arn:aws:iam::123456789012:role/pull"}}\n' >"$CREDKIT_CONFIG"
	aws_mock_reset
	aws_mock_set '{"clock": {"skew_s": -600}}'
	ecr get "$REG"
	t_eq "STS and ECR: a clock 10 min ahead, one retry in all" \
		"$RC $(calls sts) $(calls ecr)" "0 2 1"
	ecr erase "$REG"
	printf '{}\n' >"$CREDKIT_CONFIG"
	# A service whose clock runs away: the retry fails too.
	aws_mock_reset
	aws_mock_set '{"clock": {"skew_s": 600, "step_s": 600}}'
	t_fails "a clock still off after the retry: the error says by how much" \
		"Signature expired.*the local clock is 1[12][0-9][0-9] s behind the service's" "$REG"
	printf '#   %s\n' "$OUT"
	t_calls "one retry, no more" 2
	t_eq "no signature was wrong" "$(calls bad_signature)" 0
}

part_answer() {
	env_keys
	printf '{"ecr": {"timeout_ms": 1000}}\n' >"$CREDKIT_CONFIG"
	aws_mock_set '{"ecr": {"sequence": [500, "hang"]}}'
	t_fails "a 500, then a try that times out: the 500's words are kept" \
		"no (answer|token) from ECR.*last answer.*HTTP 500.*ServerException: We encountered an internal error" \
		"$REG"
	printf '#   %s\n' "$OUT"
	aws_mock_reset
	aws_mock_set '{"ecr": {"sequence": [500, 500, "hang"]}}'
	printf '{"ecr": {"timeout_ms": 2000}}\n' >"$CREDKIT_CONFIG"
	t_fails "and after two" "no (answer|token) from ECR.*last answer.*HTTP 500" "$REG"
	t_calls "three tries, as before" 3
}

# sts_seen: the STS calls since the last sts_forget, as "ACTION ROLE KEY"
# joined by ", " (ROLE the role's name, KEY the signing key id, ASIA for
# any temporary one, web-identity for AssumeRoleWithWebIdentity).
sts_seen() {
	awk '{ r = $2; sub(/.*\//, "", r); k = $3; if (k ~ /^ASIA/) k = "ASIA"
		printf "%s%s %s %s", (NR > 1 ? ", " : ""), $1, r, k }' "$MOCK_DIR/sts.log"
}

sts_forget() { : >"$MOCK_DIR/sts.log"; }

# precedence_get NAME WANT: a cold get succeeds, signed for ECR with a
# temporary key (or WANT_ECR_KEY), after exactly the STS calls WANT.
precedence_get() {
	ecr erase "$REG"
	sts_forget
	ecr get "$REG"
	t_eq "$1" "$RC; $(sts_seen); ECR $(last_akid ecr | sed 's/^ASIA.*/ASIA/')" \
		"0; $2; ECR ${WANT_ECR_KEY:-ASIA}"
}

part_precedence() {
	local role=arn:aws:iam::123456789012:role
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_EC2_METADATA_DISABLED=true
	mkdir -p "$HOME/.aws"
	printf 'token-for-ci\n' >"$TMP/web-token"
	printf 'token-for-fed\n' >"$TMP/fed-token"
	aws_mock_set '{"web_identity_tokens": ["token-for-ci", "token-for-fed"]}'
	cat >"$HOME/.aws/config" <<-EOF
	[default]
	role_arn = $role/app
	source_profile = base
	[profile chain]
	role_arn = $role/chained
	source_profile = fed
	[profile fed]
	role_arn = $role/fed
	web_identity_token_file = $TMP/fed-token
	EOF
	printf '[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_SOURCE_KEY_ID" "$MOCK_SOURCE_SECRET" >"$HOME/.aws/credentials"
	export AWS_WEB_IDENTITY_TOKEN_FILE=$TMP/web-token AWS_ROLE_ARN=$role/ci
	(
		# The issue's reproduction: the web identity stood in for base.
		export AWS_PROFILE=default
		precedence_get "AWS_PROFILE's role_arn + source_profile: base's keys sign AssumeRole" \
			"AssumeRole app $MOCK_SOURCE_KEY_ID"
		unset AWS_PROFILE
		precedence_get "so does the default profile's, AWS_PROFILE unset" \
			"AssumeRole app $MOCK_SOURCE_KEY_ID"
		export AWS_PROFILE=chain
		precedence_get "a source_profile's own web identity, not the environment's" \
			"AssumeRoleWithWebIdentity fed web-identity, AssumeRole chained ASIA"
		# Where the profile has no role of its own, the environment's web
		# identity comes first, as in botocore and Go v2 alike.
		export AWS_PROFILE=base
		precedence_get "a profile of static keys: the env web identity wins, as in the SDKs" \
			"AssumeRoleWithWebIdentity ci web-identity"
		export AWS_PROFILE=fed
		precedence_get "a profile's web identity: the environment's values win, as in the SDKs" \
			"AssumeRoleWithWebIdentity ci web-identity"
	)
	# A profile named in the settings is explicit (the CLI's --profile):
	# botocore then looks at no environment variable, web identity included.
	printf '{"ecr": {"profile": "base"}}\n' >"$CREDKIT_CONFIG"
	WANT_ECR_KEY=$MOCK_SOURCE_KEY_ID precedence_get \
		"a profile of the settings: its keys, no STS" ""
	printf '{"ecr": {"profile": "default"}}\n' >"$CREDKIT_CONFIG"
	precedence_get "a role profile of the settings: base's keys sign AssumeRole" \
		"AssumeRole app $MOCK_SOURCE_KEY_ID"
	printf '{}\n' >"$CREDKIT_CONFIG"
	t_eq "every signature was right" "$(calls bad_signature)" 0
}

# --- container and instance metadata endpoints --------------------------------

# recorder_start: a proxy that serves nothing and writes down every request
# it gets (tools/record-proxy.py): REC_PROXY its URL, REC_LOG what it saw.
recorder_start() {
	local i
	mkdir -p "$TMP/rec"
	"$AWS_MOCK_PYTHON" "$here/tools/record-proxy.py" "$TMP/rec" </dev/null \
		>"$TMP/rec/out" 2>&1 &
	T_CLEANUP_HOOK="t_stop_process $!; ${T_CLEANUP_HOOK:-}"
	for i in $(seq 100); do
		[ -s "$TMP/rec/port" ] && break
		sleep 0.1
	done
	[ -s "$TMP/rec/port" ] || return 1
	REC_PROXY=http://127.0.0.1:$(cat "$TMP/rec/port") REC_LOG=$TMP/rec/requests.log
}

# every_proxy URL: every proxy variable libcurl reads set to URL, none
# exempted.
every_proxy() {
	unset NO_PROXY no_proxy
	export http_proxy=$1 HTTP_PROXY=$1 https_proxy=$1 HTTPS_PROXY=$1 ALL_PROXY=$1 \
		all_proxy=$1
}

# t_unseen NAME: the recording proxy got no request (since the last check).
t_unseen() {
	if [ -s "$REC_LOG" ]; then
		t_fail "$1"
		sed 's/^/#   the proxy got: /' "$REC_LOG"
		: >"$REC_LOG"
	else
		t_ok "$1"
	fi
}

part_endpoints() {
	local h
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_EC2_METADATA_DISABLED=true AWS_CONTAINER_AUTHORIZATION_TOKEN=pod-identity-token
	aws_mock_set '{"container_token": "pod-identity-token"}'
	recorder_start || { t_fail "the recording proxy starts"; return; }
	(
		# Hosts that only look like loopback or ECS/EKS: through a proxy
		# (or a resolver) the token would go to them.  Refused first.
		every_proxy "$REC_PROXY"
		for h in http://127.attacker.example/creds http://127.0.0.1.attacker.example/creds \
			http://169.254.170.2.attacker.example/creds http://localhost/creds \
			"http://ecs@127.0.0.1:$MOCK_HTTP_PORT/creds" \
			"http://[::ffff:127.0.0.1]:$MOCK_HTTP_PORT/creds" ftp://127.0.0.1/creds; do
			export AWS_CONTAINER_CREDENTIALS_FULL_URI=$h
			t_fails "FULL_URI $h is refused" \
				"AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback or ECS/EKS address" \
				"$REG"
			t_unseen "and nothing is sent for it"
		done
		unset AWS_CONTAINER_CREDENTIALS_FULL_URI

		# Beyond the SDKs: RELATIVE_URI cannot move to another host.
		export AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=@127.0.0.1:$MOCK_HTTP_PORT/x
		t_fails "RELATIVE_URI @127.0.0.1:PORT/x is refused" \
			"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path" "$REG"
		t_unseen "and nothing is sent for it"

		# The tests' knob names an address the allow-list takes, no other.
		export AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/t
		for h in 127.attacker.example 192.0.2.1 "127.0.0.1:$MOCK_HTTP_PORT@evil.example"; do
			export CREDKIT_AWS_CONTAINER_HOST=$h
			t_fails "CREDKIT_AWS_CONTAINER_HOST=$h is refused" \
				"CREDKIT_AWS_CONTAINER_HOST must be" "$REG"
			t_unseen "and nothing is sent for it"
		done
	)
	t_eq "the container endpoint got no request" "$(calls container)" 0

	# Good addresses are taken (nothing listens on these two ports).
	(
		for h in 127.0.0.2:1 '[::1]:1'; do
			export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://$h/creds
			t_fails "FULL_URI http://$h/creds is taken" \
				"cannot reach the container credentials endpoint at http://${h//[][]/.}" "$REG"
		done
	)

	# Proxies are for AWS's services (ECR here, through the mock's CONNECT
	# proxy under its real name), never for the container endpoint or IMDS.
	(
		every_proxy "$REC_PROXY"
		export HTTPS_PROXY=$MOCK_PROXY https_proxy=$MOCK_PROXY
		unset AWS_ENDPOINT_URL_ECR AWS_ENDPOINT_URL
		export AWS_CONTAINER_CREDENTIALS_FULL_URI=$MOCK_HTTP_URL/v1/credentials
		ecr get "$REG"
		t_eq "FULL_URI with every proxy set: the endpoint itself, ECR through HTTPS_PROXY" \
			"$RC $(calls container) $(calls ecr) $(calls connect)" "0 1 1 1"
		t_unseen "the container endpoint was not asked through the proxy"
		ecr erase "$REG"
		unset AWS_CONTAINER_CREDENTIALS_FULL_URI
		export AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/t \
			CREDKIT_AWS_CONTAINER_HOST=127.0.0.1:$MOCK_HTTP_PORT
		ecr get "$REG"
		t_eq "RELATIVE_URI on the tests' host: the endpoint itself" \
			"$RC $(calls container) $(calls ecr)" "0 2 2"
		t_unseen "not through the proxy"
		ecr erase "$REG"
		unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
			AWS_EC2_METADATA_DISABLED
		export AWS_CONFIG_FILE=$TMP/none AWS_SHARED_CREDENTIALS_FILE=$TMP/none
		ecr get "$REG"
		t_eq "instance metadata with every proxy set: asked itself" \
			"$RC $(calls imds) $(calls ecr)" "0 3 3"
		t_unseen "not through the proxy"
		# https is taken to any host, as in the SDKs, and with no proxy
		# either (the mock's HTTPS port has no such path: 404).
		ecr erase "$REG"
		export AWS_EC2_METADATA_DISABLED=true
		every_proxy "$REC_PROXY"
		export AWS_CONTAINER_CREDENTIALS_FULL_URI=$MOCK_URL/v1/credentials
		t_fails "an https FULL_URI: asked itself, not through HTTPS_PROXY" \
			"container credentials endpoint answered 404" "$REG"
		t_unseen "no CONNECT to the proxy"
	)
	t_eq "every signature was right" "$(calls bad_signature)" 0
}

part_imds() {
	local mode span
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_CONFIG_FILE=$TMP/none AWS_SHARED_CREDENTIALS_FILE=$TMP/none
	# The bound is 800 ms on the minter's clock; the mock sees the probe
	# from its first request to the end of its last, and may see a close
	# late by its polling (10 ms) and by thread scheduling on a loaded
	# machine: 200 ms of margin for that.
	for mode in 403 404 405 '"timeout"'; do
		aws_mock_reset
		aws_mock_set "{\"imds\": {\"token\": $mode, \"v1\": true}}"
		ecr erase "$REG"
		ecr get "$REG"
		t_eq "IMDSv2 token $mode: IMDSv1 instead (role, then its keys), keys that sign ECR" \
			"$RC $(calls imds_v1) $(calls ecr) $(last_akid ecr | cut -c1-4)" "0 2 1 ASIA"
		[ "$RC" -eq 0 ] || printf '#   out: %s\n' "$OUT"
		span=$(aws_mock_gave_up imds-all)
		t_check "the whole probe within the IMDS bound (${span:-?} ms on the mock's clock)" \
			test "${span:-99999}" -lt 1000
	done
	t_check "a token that never comes is waited for half the bound ($(aws_mock_gave_up imds-token) ms)" \
		test "$(aws_mock_gave_up imds-token)" -lt 600

	(
		export AWS_EC2_METADATA_V1_DISABLED=true
		for mode in 403 '"timeout"'; do
			aws_mock_reset
			aws_mock_set "{\"imds\": {\"token\": $mode, \"v1\": true}}"
			ecr erase "$REG"
			t_fails "AWS_EC2_METADATA_V1_DISABLED=true, token $mode: no IMDSv1, and the error says why" \
				"instance metadata \(.*IMDSv2 token.*AWS_EC2_METADATA_V1_DISABLED=true" "$REG"
			t_eq "no IMDSv1 request" "$(calls imds_v1)" 0
		done
	)

	# No instance at all (every request hangs): token, then IMDSv1, within
	# the one bound.
	aws_mock_reset
	aws_mock_set '{"imds": {"fail": "hang"}}'
	ecr erase "$REG"
	t_fails "instance metadata that hangs: no credentials" \
		"no AWS credentials found: tried .*instance metadata \(.*\)" "$REG"
	span=$(aws_mock_gave_up imds-all)
	t_check "the token and the IMDSv1 try within the IMDS bound (${span:-?} ms on the mock's clock)" \
		test "${span:-99999}" -lt 1000

	# Where IMDSv2 answers, IMDSv1 is never used.
	aws_mock_reset
	aws_mock_set '{"imds": {"v1": true}}'
	ecr erase "$REG"
	ecr get "$REG"
	t_eq "IMDSv2 answers: no IMDSv1 request" "$RC $(calls imds) $(calls imds_v1)" "0 3 0"
	t_eq "every signature was right" "$(calls bad_signature)" 0
}

# --- main ----------------------------------------------------------------------

# timed_get N SERVER: a get in the background; $TMP/out.N its stdout,
# $TMP/ms.N how long it took (ms).
timed_get() {
	(
		t0=$(now_ms)
		printf '%s' "$2" | timeout 20 "$HELPER" get >"$TMP/out.$1" 2>"$TMP/err.$1"
		echo $(( $(now_ms) - t0 )) >"$TMP/ms.$1"
	) &
}

# slowest N: the longest of the N timed gets.
slowest() { cat "$TMP"/ms.* | sort -n | tail -1; }

part_deadline() {
	local i t0 ms
	env_keys
	printf '{"ecr": {"timeout_ms": 1000}}\n' >"$CREDKIT_CONFIG"
	# 500 after 200 ms: a mint's three tries take 900 ms of the budget.
	aws_mock_set '{"ecr": {"fail": 500, "delay_ms": 200}}'
	rm -f "$TMP"/ms.* "$TMP"/out.*
	for i in $(seq 4); do timed_get "$i" "$REG"; done
	wait
	ms=$(slowest)
	# 1000 ms of budget, and 600 ms for starting two programs and the
	# scheduling of a loaded machine; without one deadline a waiter took
	# its wait and a whole mint (about 2000 ms).
	t_check "4 parallel callers, ECR answering 500: all within the budget ($ms ms)" \
		test "$ms" -lt 1600
	t_check "each says why" grep -q "HTTP 500\|no answer from ECR\|no token from ECR\|another process has been getting a token" "$TMP"/out.1

	# A credential_process that sleeps is stopped when the budget ends.
	aws_mock_reset
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	mkdir -p "$HOME/.aws"
	printf '[default]\ncredential_process = sleep 30\n' >"$HOME/.aws/config"
	t0=$(now_ms)
	OUT=$(printf '%s' "$REG" | timeout 40 "$HELPER" get 2>/dev/null)
	ms=$(( $(now_ms) - t0 ))
	t_check "a credential_process of 30 s is stopped at the budget ($ms ms)" test "$ms" -lt 1600
	case $OUT in
	*"credential_process of profile default did not finish"*) t_ok "saying so" ;;
	*) t_fail "saying so"; printf '#   out: %s\n' "$OUT" ;;
	esac
	t_calls "and ECR saw no call" 0
}

part_failmem() {
	local i n
	unset CREDKIT_TOKEN_FAIL_CACHE_MS
	env_keys
	aws_mock_set '{"ecr": {"fail": "denied", "delay_ms": 200}}'
	rm -f "$TMP"/ms.* "$TMP"/out.*
	for i in $(seq 6); do timed_get "$i" "$REG"; done
	wait
	t_calls "6 parallel callers against AccessDenied make one call" 1
	n=$(grep -l "AccessDeniedException: .*not authorized" "$TMP"/out.* | wc -l)
	t_eq "and all 6 get its words" "$n" 6
	t_check "none waits for 6 calls ($(slowest) ms)" test "$(slowest)" -lt 2500
	t_fails "a caller just after gets it too, without a call" \
		"AccessDeniedException.*remembered" "$REG"
	t_calls "still one call" 1
	ecr list
	t_eq "list does not show a failure as a login" "$OUT" "{}"
	(
		export AWS_ACCESS_KEY_ID=AKIDPROFILEXAMPLE02
		export AWS_SECRET_ACCESS_KEY=profileSecretKeyExample00000000000000002
		t_fails "another identity never gets it: it asks" "AccessDeniedException" "$REG"
		t_calls "a call of its own" 2
	)
	ecr erase "$REG"
	t_fails "erase forgets it" "AccessDeniedException: .*not authorized" "$REG"
	t_calls "a new call" 3

	# After fail_cache_ms a new call is made.
	printf '{"ecr": {"fail_cache_ms": 500}}\n' >"$CREDKIT_CONFIG"
	ecr erase "$REG"
	ecr get "$REG"
	ecr get "$REG"
	t_calls "within fail_cache_ms, one call" 4
	sleep 0.7
	ecr get "$REG"
	t_calls "after it, a new call" 5
	aws_mock_set '{"ecr": {"fail": null}}'
	sleep 0.7
	t_get "and once ECR answers, its token" "$REG" "$(pw 6 "$MOCK_ENV_KEY_ID")"

	# 0 turns it off: 6 callers, 6 calls.
	printf '{"ecr": {"fail_cache_ms": 0}}\n' >"$CREDKIT_CONFIG"
	ecr erase "$REG"
	aws_mock_reset
	aws_mock_set '{"ecr": {"fail": "denied"}}'
	for i in $(seq 6); do timed_get "$i" "$REG"; done
	wait
	t_calls "fail_cache_ms 0: every caller asks" 6

	# Throttling: one mint's three tries, not three per caller.
	printf '{}\n' >"$CREDKIT_CONFIG"
	ecr erase "$REG"
	aws_mock_reset
	aws_mock_set '{"ecr": {"fail": "throttle"}}'
	for i in $(seq 6); do timed_get "$i" "$REG"; done
	wait
	t_calls "6 parallel callers against throttling make one mint's 3 tries" 3
	t_eq "and all 6 get its words" "$(grep -l ThrottlingException "$TMP"/out.* | wc -l)" 6

	# Running out of one's own budget is not ECR's answer: not remembered
	# for a caller of the same token with a whole budget.
	printf '{"ecr": {"registries": {"%s": {"timeout_ms": 150}}}}\n' "$REG" >"$CREDKIT_CONFIG"
	ecr erase "$REG"
	aws_mock_reset
	aws_mock_set '{"ecr": {"delay_ms": 400}}'
	t_fails "a budget of 150 ms runs out" "within" "$REG"
	# On a loaded machine the first caller's budget may run out before its
	# request reaches the mock: the second caller's own call is what counts.
	local before
	before=$(calls ecr)
	ecr get 123456789012.dkr-ecr.us-east-1.on.aws
	t_check "a caller with the whole budget right after mints ($OUT)" grep -q ecrpw- <<<"$OUT"
	t_calls "and made its own call" $((before + 1))
}

# as_uid UID HOME VERB INPUT [ENV...]: the copied helper in LOCK_COPY run
# as UID, in a session keyring of its own, with no XDG_RUNTIME_DIR; OUT,
# ERR and RC as ecr sets them.
as_uid() {
	local uid=$1 home=$2 verb=$3 input=$4
	shift 4
	OUT=$(printf '%s' "$input" | timeout 20 setpriv --reuid="$uid" --regid="$uid" \
		--clear-groups env -u XDG_RUNTIME_DIR -u XDG_CACHE_HOME HOME="$home" \
		CREDKIT_CONFIG="$LOCK_COPY/none.json" AWS_CA_BUNDLE="$LOCK_COPY/ca.crt" "$@" \
		keyctl session - "$LOCK_COPY/bin/${HELPER##*/}" "$verb" 2>"$LOCK_COPY/err")
	RC=$?
	ERR=$(grep -v '^Joined session keyring:' "$LOCK_COPY/err")
}

part_lockdir() {
	local uid=$((2100000000 + $$)) want home
	if [ "$(id -u)" -ne 0 ]; then
		t_ok "# skip lockdir: needs root to be another user"
		return
	fi
	while getent passwd "$uid" >/dev/null || [ -e "/tmp/credkit-$uid" ]; do
		uid=$((uid + 2))
	done
	env_keys
	# A copy other users can read: the checkout may be under a private
	# directory (mktemp -d, /root).
	LOCK_COPY=$(mktemp -d /tmp/credkit-lockdir.XXXXXX) || return 1
	mkdir -p "$LOCK_COPY"/{bin,libexec,home,nohome}
	cp "$HELPER" "$LOCK_COPY/bin/" && cp -r "$BIN/../libexec/credkit" "$LOCK_COPY/libexec/" &&
		cp "$AWS_CA_BUNDLE" "$LOCK_COPY/ca.crt" || return 1
	chown -R "$uid:$uid" "$LOCK_COPY/home"
	chmod 755 "$LOCK_COPY" "$LOCK_COPY/nohome"
	# Another user was first in /tmp.
	mkdir -m 755 "/tmp/credkit-$uid" && chown "$((uid + 1)):$((uid + 1))" "/tmp/credkit-$uid"
	home=$LOCK_COPY/home

	as_uid "$uid" "$home" get "$REG"
	want=$(printf '{"ServerURL":"%s","Username":"AWS","Secret":"%s"}' "$REG" \
		"$(pw 1 "$MOCK_ENV_KEY_ID")")
	t_eq "another user's /tmp/credkit-UID: a get still mints" "$RC $OUT" "0 $want"
	t_eq "and says nothing on stderr" "$ERR" ""
	t_check "its lock is in ~/.cache/credkit, private" \
		test "$(stat -c '%u %a' "$home/.cache/credkit" 2>/dev/null)" = "$uid 700" -a \
		-n "$(find "$home/.cache/credkit" -name 'ecr-*.lock' -user "$uid" 2>/dev/null)"
	t_eq "none in the other user's directory" "$(ls -A "/tmp/credkit-$uid")" ""

	# Nowhere to lock: no runtime directory, a home it cannot write, /tmp taken.
	as_uid "$uid" "$LOCK_COPY/nohome" get "$REG"
	want=$(printf '{"ServerURL":"%s","Username":"AWS","Secret":"%s"}' "$REG" \
		"$(pw 2 "$MOCK_ENV_KEY_ID")")
	t_eq "no lock anywhere: a get still mints" "$RC $OUT" "0 $want"
	t_eq "saying so in one line on stderr" \
		"$(grep -c 'without a lock' <<<"$ERR") $(wc -l <<<"$ERR")" "1 1"
	printf '#   %s\n' "$ERR"
	t_calls "one call each" 2
	rm -rf "$LOCK_COPY" "/tmp/credkit-$uid"
}

part_principal() {
	local iss=https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE a1 a2 b
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_EC2_METADATA_DISABLED=true CREDKIT_AWS_CONTAINER_HOST=127.0.0.1:$MOCK_HTTP_PORT
	a1=$(aws_jwt "$iss" system:serviceaccount:ci:pod-a 1000)
	a2=$(aws_jwt "$iss" system:serviceaccount:ci:pod-a 4600)
	b=$(aws_jwt "$iss" system:serviceaccount:ci:pod-b 1000)
	(
		# The issue's reproduction: one uid, one keyring, one FULL_URI and
		# token path; pod B's token is not pod A's and the endpoint refuses it.
		export AWS_CONTAINER_CREDENTIALS_FULL_URI=$MOCK_HTTP_URL/v1/credentials
		export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/pod-token
		aws_mock_set "{\"container_token\": \"$a1\"}"
		printf '%s\n' "$a1" >"$TMP/pod-token"
		ecr get "$REG"
		t_eq "pod A mints" "$RC $(calls container) $(calls ecr)" "0 1 1"
		printf '%s\n' "$b" >"$TMP/pod-token"
		t_fails "pod B does not get pod A's token: the endpoint refuses its own" \
			"container credentials endpoint answered 401" "$REG"
		aws_mock_set "{\"container_token\": \"$a2\"}"
		printf '%s\n' "$a2" >"$TMP/pod-token"
		ecr get "$REG"
		t_eq "pod A after the kubelet rotated its token: the cached one" \
			"$RC $(calls container) $(calls ecr)" "0 2 1"
		unset AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
		aws_mock_set '{"container_token": "task-1-token"}'
		export AWS_CONTAINER_AUTHORIZATION_TOKEN=task-1-token
		ecr get "$REG"
		t_eq "a container token in the environment mints its own" \
			"$RC $(calls container) $(calls ecr)" "0 3 2"
		export AWS_CONTAINER_AUTHORIZATION_TOKEN=task-2-token
		t_fails "another container token does not get it" \
			"container credentials endpoint answered 401" "$REG"
	)
	t_eq "every refused token reached the endpoint, no other ECR call" \
		"$(calls container) $(calls ecr)" "4 2"

	a1=$(aws_jwt "$iss" system:serviceaccount:ci:builder 1000)
	a2=$(aws_jwt "$iss" system:serviceaccount:ci:builder 4600)
	b=$(aws_jwt "$iss" system:serviceaccount:ci:deployer 1000)
	aws_mock_set "{\"web_identity_tokens\": [\"$a1\", \"$a2\", \"$b\"]}"
	(
		# IRSA: one role, one token path, two service accounts.
		export AWS_WEB_IDENTITY_TOKEN_FILE=$TMP/web-token \
			AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci
		printf '%s\n' "$a1" >"$TMP/web-token"
		ecr get "$REG"
		t_eq "web identity: the builder mints" "$RC $(calls sts) $(calls ecr)" "0 1 3"
		printf '%s\n' "$b" >"$TMP/web-token"
		ecr get "$REG"
		t_eq "web identity: the deployer mints its own" "$RC $(calls sts) $(calls ecr)" "0 2 4"
		printf '%s\n' "$a2" >"$TMP/web-token"
		ecr get "$REG"
		t_eq "web identity: the builder after rotation: the cached one" \
			"$RC $(calls sts) $(calls ecr)" "0 2 4"
	)

	# A shared file rewritten in place (aws configure): same path, other keys.
	mkdir -p "$HOME/.aws"
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_ENV_KEY_ID" "$MOCK_ENV_SECRET" >"$HOME/.aws/credentials"
	t_get "the shared file's first keys" "$REG" "$(pw 5 "$MOCK_ENV_KEY_ID")"
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_PROFILE_KEY_ID" "$MOCK_PROFILE_SECRET" >"$HOME/.aws/credentials"
	t_get "the same file with other keys mints for them" "$REG" "$(pw 6 "$MOCK_PROFILE_KEY_ID")"
	t_calls "one call per principal" 6
}

# entries: how many cache entries the kernel keyring holds (tokens and
# failures alike).
entries() { keyctl show @s 2>/dev/null | grep -c ' keyring: credkit:' || true; }

part_scope() {
	local dual=123456789012.dkr-ecr.us-east-1.on.aws two=210987654321.dkr.ecr.us-east-1.amazonaws.com
	local west=123456789012.dkr.ecr.us-west-2.amazonaws.com
	env_keys
	t_get "the IPv4 name mints" "$REG" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_get "the dual-stack name gets the same token" "$dual" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_get "a second account in the region too" "$two" "$(pw 1 "$MOCK_ENV_KEY_ID")"
	t_calls "one call for the three" 1
	t_eq "one keyring entry" "$(entries)" 1
	ecr list
	t_eq "list names the three" "$RC $OUT" \
		"0 {\"https://$dual\":\"AWS\",\"https://$REG\":\"AWS\",\"https://$two\":\"AWS\"}"
	t_get "another region mints its own" "$west" "$(pw 2 "$MOCK_ENV_KEY_ID")"
	t_eq "and signs for it" "$(awk '$1 == "ecr" { r = $2 } END { print r }' "$MOCK_DIR/calls.log")" \
		us-west-2
	t_eq "two entries" "$(entries)" 2
	ecr erase "https://$dual/v2/"
	t_eq "erase of one host" "$RC:$OUT" "0:"
	ecr list
	t_eq "drops the region's token, whichever host it answered" "$OUT" \
		"{\"https://$west\":\"AWS\"}"
	t_get "the next get mints anew" "$two" "$(pw 3 "$MOCK_ENV_KEY_ID")"
	t_calls "three calls in all" 3
}

# fallback needs a session bus and a Secret Service of its own.
aws_part_wrap() { [ "$1" != fallback ] || printf '%s\n' "$here/with-keyring"; }

aws_suite "$SELF" "$HELPER" "${PARTS_WANTED:-$PARTS}" "$@"
