#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-doctor-tokens.sh - doctor of the token helpers, against the local
# fake AWS (tests/tools/aws-mock.py, tests/lib-aws.sh).
#
# Each part runs in a fresh session keyring with its own HOME and settings
# file, against a freshly reset mock; every output of doctor is kept and
# searched for the mock's secrets at the end of the part:
#
#   env       environment keys answer; before them nothing; the shared
#             files' profile is then never looked at
#   webid     web identity from the environment: the earlier source says
#             why it did not answer (AWS_ACCESS_KEY_ID not set)
#   profile   AWS_PROFILE's keys in the credentials file; a profile with no
#             keys says so and the next source (credential_process, never
#             run, its arguments never shown) answers
#   role      a settings profile with role_arn and source_profile, and one
#             with credential_source Environment: the chain named line by
#             line, STS's endpoint shown, nothing asked
#   sso       an sso-session profile: the portal that would be asked
#   container FULL_URI allowed (loopback) and refused (a name over http),
#             RELATIVE_URI; then instance metadata, or it switched off
#   overrides each AWS_ENDPOINT_URL* shown as an override, the partition's
#             endpoints without them; the settings' registries listed
#   cache     after a get: the cached token, its scope, identity, hosts,
#             minted and expires in UTC and fresh; a remembered failure
#             with its age
#   online    doctor --online: STS GetCallerIdentity signed with the env
#             keys shows their ARN; with an assumed role, the role's
#   hang      an STS that never answers: doctor --online gives up within
#             the settings' timeout_ms, saying so
#   ghcr      docker-credential-ghcr's doctor lists its cached gh token
#             with its expiry (the core's part)
#
# Run with a part's name as argument, inside a session keyring, it runs
# that part alone (this is how the script calls itself).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib-aws.sh
. "$here/lib-aws.sh"

SELF=$here/t-doctor-tokens.sh
PARTS="env webid profile role sso container overrides cache online hang ghcr"
BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
HELPER=$BIN/docker-credential-ecr-login
GHCR=$BIN/docker-credential-ghcr
REG=123456789012.dkr.ecr.us-east-1.amazonaws.com
WEB_TOKEN=webIdentityTokenDoctor0000000001
SSO_TOKEN=ssoAccessTokenDoctor000000000001

# doc [--online]: doctor of ecr-login; OUT, ERR, RC; every output kept.
doc() {
	OUT=$(timeout 30 "$HELPER" doctor "$@" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$TMP/all-$PART"
}

# has NAME TEXT: the last doctor's stdout holds TEXT.
has() {
	if [[ $OUT == *"$2"* ]]; then
		t_ok "$1"
	else
		t_fail "$1"
		printf '#   want: %s\n#   out:\n%s\n' "$2" "$(sed 's/^/#     /' <<<"$OUT")"
	fi
}

# hasnt NAME TEXT
hasnt() {
	if [[ $OUT != *"$2"* ]]; then t_ok "$1"; else t_fail "$1"; fi
}

# block HOST: the lines doctor printed for HOST's registry, into OUT.
block() {
	OUT=$(awk -v h="$1:" '$0 == h { on = 1; next } on && /^[^ ]/ { on = 0 } on' <<<"$OUT")
}

settings() { printf '%s\n' "$1" >"$CREDKIT_CONFIG"; }

now_ms() { printf '%s' "$(( ${EPOCHREALTIME/./} / 1000 ))"; }

# no_secret: nothing doctor printed in this part holds a secret of the mock.
no_secret() {
	local s bad=
	for s in "$MOCK_ENV_SECRET" "$MOCK_PROFILE_SECRET" "$MOCK_PROCESS_SECRET" \
		"$MOCK_SOURCE_SECRET" "$WEB_TOKEN" "$SSO_TOKEN" ecrpw- FwoGZXIvYXdzE \
		gho_doctorstubtoken processArgSecret; do
		grep -qF -- "$s" "$TMP/all-$PART" 2>/dev/null && bad="$bad $s"
	done
	t_eq "no secret in what doctor printed" "${bad:-none}" none
}

env_keys() {
	export AWS_ACCESS_KEY_ID=$MOCK_ENV_KEY_ID AWS_SECRET_ACCESS_KEY=$MOCK_ENV_SECRET
}

# --- parts ---------------------------------------------------------------------

part_env() {
	env_keys
	mkdir -p "$HOME/.aws"
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_PROFILE_KEY_ID" "$MOCK_PROFILE_SECRET" >"$HOME/.aws/credentials"
	doc
	t_eq "doctor exits 0" "$RC" 0
	has "the environment's keys are named, by key id" \
		"environment keys: AWS_ACCESS_KEY_ID $MOCK_ENV_KEY_ID and AWS_SECRET_ACCESS_KEY set"
	has "and answer" "=> answered by: environment"
	hasnt "the shared file is not looked at after them" "$MOCK_PROFILE_KEY_ID"
	t_eq "no network" "$(aws_mock_calls sts)$(aws_mock_calls ecr)$(aws_mock_calls imds)" 000
	no_secret
}

part_webid() {
	printf '%s\n' "$WEB_TOKEN" >"$TMP/webid"
	export AWS_WEB_IDENTITY_TOKEN_FILE=$TMP/webid \
		AWS_ROLE_ARN=arn:aws:iam::123456789012:role/doctor-web
	doc
	has "why the environment's keys do not answer" "environment keys: AWS_ACCESS_KEY_ID not set"
	has "web identity, its role and file" \
		"web identity: role arn:aws:iam::123456789012:role/doctor-web, token file $TMP/webid (from the environment)"
	has "STS's endpoint (an override here)" \
		"STS AssumeRoleWithWebIdentity of arn:aws:iam::123456789012:role/doctor-web (web identity token $TMP/webid): would be asked at $MOCK_URL (override AWS_ENDPOINT_URL_STS)"
	has "answers" "=> answered by: STS AssumeRoleWithWebIdentity"
	t_eq "STS is not asked" "$(aws_mock_calls sts)" 0
	unset AWS_ROLE_ARN
	doc
	has "half of it: says which half is missing" \
		"web identity from the environment: AWS_WEB_IDENTITY_TOKEN_FILE set but AWS_ROLE_ARN not"
	no_secret
}

part_profile() {
	mkdir -p "$HOME/.aws"
	printf '[prod]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_PROFILE_KEY_ID" "$MOCK_PROFILE_SECRET" >"$HOME/.aws/credentials"
	printf '[profile bare]\nregion = eu-west-1\n[profile proc]\ncredential_process = %s processArgSecret\n' \
		"$TMP/bin/make-creds" >"$HOME/.aws/config"
	mkdir -p "$TMP/bin"
	printf '#!/bin/sh\ntouch %s/ran\nexit 1\n' "$TMP" >"$TMP/bin/make-creds"
	chmod 755 "$TMP/bin/make-creds"
	export AWS_PROFILE=prod
	doc
	has "AWS_PROFILE names the profile" "profile: prod (AWS_PROFILE)"
	has "its keys in the credentials file answer" \
		"shared credentials file ~/.aws/credentials [profile prod]: aws_access_key_id $MOCK_PROFILE_KEY_ID"
	has "and answer" "=> answered by: shared credentials file ~/.aws/credentials [profile prod]"
	export AWS_PROFILE=bare
	doc
	has "a profile with no keys says so" \
		"config file ~/.aws/config [profile bare]: no keys (aws_access_key_id)"
	has "nor credential_process" "profile bare: no credential_process"
	has "then the container endpoint" "container endpoint: AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_CREDENTIALS_RELATIVE_URI not set"
	has "then instance metadata" "=> answered by: instance metadata, if this machine has it"
	export AWS_PROFILE=proc
	doc
	has "credential_process would answer, named by its program" \
		"credential_process of profile proc: would run make-creds (not run here)"
	t_check "and is not run" test ! -e "$TMP/ran"
	export AWS_PROFILE=missing
	doc
	has "a profile named that no file has: the chain's error" \
		"=> no credentials: AWS profile missing is in neither"
	no_secret
}

part_role() {
	mkdir -p "$HOME/.aws"
	printf '[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_SOURCE_KEY_ID" "$MOCK_SOURCE_SECRET" >"$HOME/.aws/credentials"
	printf '[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = base\nregion = eu-west-1\n[profile envrole]\nrole_arn = arn:aws:iam::123456789012:role/from-env\ncredential_source = Environment\n' \
		>"$HOME/.aws/config"
	settings "{\"ecr\": {\"registries\": {\"$REG\": {\"profile\": \"deploy\"}}}}"
	doc
	block "$REG"
	has "the settings' profile" "profile: deploy (the settings)"
	has "environment keys are not looked at for it" \
		"environment keys: not looked at (profile deploy is named explicitly"
	has "its assume-role" "profile deploy: assume-role, from config file ~/.aws/config [profile deploy]"
	has "its source_profile" \
		"profile deploy: role_arn arn:aws:iam::123456789012:role/deployer, its base credentials from source_profile base"
	has "whose keys are found" \
		"shared credentials file ~/.aws/credentials [profile base]: aws_access_key_id $MOCK_SOURCE_KEY_ID"
	has "then STS would be asked" \
		"STS AssumeRole of arn:aws:iam::123456789012:role/deployer (profile deploy): would be asked at $MOCK_URL"
	has "in the profile's region" "STS: $MOCK_URL, signed for eu-west-1"
	settings "{\"ecr\": {\"registries\": {\"$REG\": {\"profile\": \"envrole\"}}}}"
	env_keys
	doc
	block "$REG"
	has "credential_source Environment" "profile envrole: credential_source Environment"
	has "answers through STS" "=> answered by: STS AssumeRole arn:aws:iam::123456789012:role/from-env (profile envrole)"
	t_eq "nothing was asked" "$(aws_mock_calls sts)" 0
	no_secret
}

part_sso() {
	local key
	mkdir -p "$HOME/.aws/sso/cache"
	printf '[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n' \
		>"$HOME/.aws/config"
	key=$(printf '%s' corp | sha1sum | cut -d' ' -f1)
	printf '{"accessToken": "%s", "expiresAt": "%s"}\n' "$SSO_TOKEN" \
		"$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" >"$HOME/.aws/sso/cache/$key.json"
	export AWS_PROFILE=dev
	doc
	has "the SSO profile" "profile dev: sso, from config file ~/.aws/config [profile dev]"
	has "the portal it would ask" \
		"SSO: role Dev of account 123456789012, token of sso-session valid, portal $MOCK_URL (override AWS_ENDPOINT_URL_SSO) would be asked"
	t_eq "it is not asked" "$(aws_mock_calls sso)" 0
	rm "$HOME/.aws/sso/cache/$key.json"
	doc
	has "no SSO token: what to run" "aws sso login --profile dev"
	no_secret
}

part_container() {
	export AWS_CONTAINER_CREDENTIALS_FULL_URI=$MOCK_HTTP_URL/creds \
		AWS_CONTAINER_AUTHORIZATION_TOKEN=containerTokenSecret
	doc
	has "FULL_URI: its URL and the allow-list's verdict" \
		"container endpoint: $MOCK_HTTP_URL/creds (from AWS_CONTAINER_CREDENTIALS_FULL_URI, allowed: http to a loopback or ECS/EKS address), would be asked, with AWS_CONTAINER_AUTHORIZATION_TOKEN"
	has "the earlier sources, each with why" "profile default: no credential_process"
	hasnt "the token's value never" containerTokenSecret
	export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://metadata.example:80/creds
	doc
	has "a name over http is refused, before any request" \
		"container endpoint: refused before any request: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https"
	unset AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
	export AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/x CREDKIT_AWS_CONTAINER_HOST=127.0.0.1:$MOCK_HTTP_PORT
	doc
	has "RELATIVE_URI on the container host" \
		"container endpoint: http://127.0.0.1:$MOCK_HTTP_PORT/v2/credentials/x (from AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, allowed: the container host)"
	unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
	doc
	has "then instance metadata, its endpoint an override" \
		"instance metadata: would be asked at $MOCK_HTTP_URL (override AWS_EC2_METADATA_SERVICE_ENDPOINT) (IMDSv2, else IMDSv1)"
	export AWS_EC2_METADATA_DISABLED=true
	doc
	has "switched off" "instance metadata: off (AWS_EC2_METADATA_DISABLED=true)"
	has "then no source answers" "=> no credentials: no AWS credentials found"
	t_eq "nothing was asked" "$(aws_mock_calls container)$(aws_mock_calls imds)" 00
	no_secret
}

part_overrides() {
	env_keys
	settings '{"ecr": {"registries": {"registry.example.com": {"account": "123456789012", "region": "eu-west-1"}, "public.ecr.aws": {}}}}'
	doc
	has "the settings' registries" "registry.example.com:"
	has "an alias's account and region" "account 123456789012, region eu-west-1"
	has "a note how to see another" "to see another here, name it"
	has "ECR's override" "ECR API: $MOCK_URL (override AWS_ENDPOINT_URL_ECR)"
	has "ECR Public's" "ECR Public API: $MOCK_URL (override AWS_ENDPOINT_URL_ECR_PUBLIC)"
	has "STS's" "STS: $MOCK_URL, signed for eu-west-1 (override AWS_ENDPOINT_URL_STS)"
	has "SSO's" "SSO portal: $MOCK_URL (override AWS_ENDPOINT_URL_SSO)"
	unset AWS_ENDPOINT_URL_ECR AWS_ENDPOINT_URL_STS AWS_ENDPOINT_URL_SSO AWS_ENDPOINT_URL_ECR_PUBLIC
	doc
	has "without them, the partition's ECR" "ECR API: https://api.ecr.eu-west-1.amazonaws.com"
	hasnt "and no override is named" "(override AWS_ENDPOINT_URL_ECR)"
	has "and STS" "STS: https://sts.eu-west-1.amazonaws.com, signed for eu-west-1"
	export AWS_ENDPOINT_URL=$MOCK_URL
	doc
	has "AWS_ENDPOINT_URL for all" "ECR API: $MOCK_URL (override AWS_ENDPOINT_URL)"
	no_secret
}

part_cache() {
	local out
	env_keys
	out=$(printf '%s' "$REG" | "$HELPER" get 2>&1)
	t_check "a get mints" grep -q ecrpw- <<<"$out"
	doc
	has "the cache" "cached tokens (namespace ecr): in the kernel keyring credkit-tokens"
	has "its scope and readable identity" "  us-east-1 key=$MOCK_ENV_KEY_ID"
	has "the hosts it answered for" "    hosts: $REG"
	t_check "minted and expires in UTC, fresh" grep -Eq \
		"minted [0-9-]+ [0-9:]+ UTC, expires [0-9-]+ [0-9:]+ UTC: fresh" <<<"$OUT"
	hasnt "never the digest of the identity" " #"
	export CREDKIT_TOKEN_FAIL_CACHE_MS=30000
	aws_mock_set '{"ecr": {"fail": "denied"}}'
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_ACCESS_KEY_ID=$MOCK_PROFILE_KEY_ID AWS_SECRET_ACCESS_KEY=$MOCK_PROFILE_SECRET
	printf '%s' "$REG" | "$HELPER" get >/dev/null 2>&1
	sleep 0.3
	doc
	has "a remembered failure" "remembered failures (answered without asking again):"
	t_check "with its age and how long it is kept" grep -Eq \
		"failed [0-9]+ ms ago, answered for [0-9]+ ms more: us-east-1 key=$MOCK_PROFILE_KEY_ID" <<<"$OUT"
	has "and its words" "AccessDenied"
	no_secret
}

part_online() {
	env_keys
	doc --online
	t_eq "doctor --online exits 0" "$RC" 0
	has "the env keys' ARN, as STS says" "arn: arn:aws:iam::123456789012:user/$MOCK_ENV_KEY_ID"
	has "the account" "account: 123456789012"
	has "the user id" "user id: AIDA$MOCK_ENV_KEY_ID"
	has "where the credentials came from" "credentials from: environment"
	t_eq "GetCallerIdentity signed with them" "$(awk '$1 == "sts" { k = $3 } END { print k }' "$MOCK_DIR/calls.log")" \
		"$MOCK_ENV_KEY_ID"
	t_eq "one STS call, none to ECR" "$(aws_mock_calls sts) $(aws_mock_calls ecr) $(aws_mock_calls bad_signature)" "1 0 0"
	settings '{"ecr": {"role_arn": "arn:aws:iam::123456789012:role/puller"}}'
	doc --online
	has "with the settings' role: the assumed role's ARN" \
		"arn: arn:aws:sts::123456789012:assumed-role/puller/"
	t_eq "AssumeRole then GetCallerIdentity" "$(aws_mock_calls sts) $(aws_mock_calls bad_signature)" "3 0"
	aws_mock_set '{"roles": {"arn:aws:iam::123456789012:role/puller": "denied"}}'
	doc --online
	t_eq "a refused role: exit 1" "$RC" 1
	has "in STS's words" "AccessDenied"
	no_secret
}

part_hang() {
	local t0 took
	env_keys
	settings '{"ecr": {"timeout_ms": 1500}}'
	aws_mock_set '{"sts": {"fail": "hang"}}'
	t0=$(now_ms)
	doc --online
	took=$(( $(now_ms) - t0 ))
	t_eq "an STS that hangs: exit 1" "$RC" 1
	has "saying it had no answer in time" "STS"
	# The bound is 1.5 s; a loaded machine adds scheduling delay to the
	# two programs' start, so the margin is generous but far below STS's
	# own 5 s bound and the 30 s of timeout.
	t_check "within the settings' timeout_ms (1500 ms, took $took ms)" test "$took" -lt 4500
	no_secret
}

part_ghcr() {
	mkdir -p "$TMP/stub"
	printf '#!/bin/sh\nprintf "%%s\\n" gho_doctorstubtoken000000000000000000001\n' >"$TMP/stub/gh"
	chmod 755 "$TMP/stub/gh"
	export PATH=$TMP/stub:$PATH GH_CONFIG_DIR=$TMP/gh CREDKIT_STORE=keyctl
	unset GH_TOKEN GITHUB_TOKEN GH_ENTERPRISE_TOKEN GITHUB_ENTERPRISE_TOKEN
	mkdir -p "$GH_CONFIG_DIR"
	printf '%s' ghcr.io | "$GHCR" get >/dev/null 2>&1
	OUT=$(timeout 30 "$GHCR" doctor 2>&1)
	printf '%s\n' "$OUT" >>"$TMP/all-$PART"
	has "ghcr's cache" "cached tokens (namespace ghcr): in the kernel keyring credkit-tokens"
	has "its gh token, by GitHub host and gh program" "  github.com gh=$TMP/stub/gh"
	has "for ghcr.io" "    hosts: ghcr.io"
	t_check "with its expiry, fresh" grep -Eq "expires [0-9-]+ [0-9:]+ UTC: fresh" <<<"$OUT"
	no_secret
}


PART=${1:-}
aws_suite "$SELF" "$HELPER" "${PARTS_WANTED:-$PARTS}" "$@"
