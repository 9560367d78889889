#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-kubelet-ecr.sh - docker-credential-ecr-login as a kubelet's image
# credential provider (get-credentials) against the local fake AWS.
#
# The kubelet is played by tests/tools/kubelet-driver.py: it reads a
# CredentialProviderConfig for docker-credential-ecr-login (args
# [get-credentials], matchImages "*.dkr.ecr.*.amazonaws.com"), writes the
# kubelet's request, runs the helper and decodes its answer strictly (the
# apiVersion echo, cacheKeyType, cacheDuration a Go duration, an auth key
# that matches the image).  Each part runs in a fresh session keyring, as
# in t-ecr.sh, against a freshly reset mock:
#
#   golden    tests/data/kubelet/golden/{v1,v1beta1}-ecr and v1-ecr-sa:
#             the kubelet's requests answered as the golden answers are,
#             byte for byte but the minted password and cacheDuration
#   node      no service-account token: the node's own chain (no STS), the
#             token the docker protocol shares; cacheDuration half the
#             token's life, never more than its life
#   accounts  two service accounts (two subs), two roles: two STS
#             AssumeRoleWithWebIdentity calls with each token and its role
#             (the mock refuses a role the token's trust does not name) and
#             two ECR calls; the same account after its token rotates (same
#             iss, sub, aud; new iat, exp): no new call; AWS_ECR_ROLE_ARN
#             when the account has no annotation; the token in no error
#   norole    a token but no role anywhere: one line on stderr, exit 1,
#             nothing on stdout, no call
#   flight    20 parallel requests for one registry: one mint (node chain
#             and one service account alike)
#   versions  v1beta1 answered in v1beta1; v1alpha1 refused; an image of
#             another registry, or that only looks like ECR, refused
#   budget    the kubelet's budget (kubelet_timeout_ms, 30 s by default)
#             and not the docker protocol's (timeout_ms): a slow ECR is
#             waited for, a shorter setting is kept to, a bad one refused
#
# Run with a part's name as argument, inside a session keyring, it runs
# that part alone (this is how the script calls itself).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib-aws.sh
. "$here/lib-aws.sh"

SELF=$here/t-kubelet-ecr.sh
PARTS="golden node accounts norole flight versions budget"
BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
HELPER=$BIN/docker-credential-ecr-login
DRIVER=$CREDKIT_ROOT/tests/tools/kubelet-driver.py
DATA=$CREDKIT_ROOT/tests/data/kubelet
REG=123456789012.dkr.ecr.us-east-1.amazonaws.com
ISS=https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE
ROLE=arn:aws:iam::123456789012:role

# --- helpers -------------------------------------------------------------------

calls() { aws_mock_calls "${1:-ecr}"; }

env_keys() {
	export AWS_ACCESS_KEY_ID=$MOCK_ENV_KEY_ID AWS_SECRET_ACCESS_KEY=$MOCK_ENV_SECRET
}

now_ms() { printf '%s' "$(( ${EPOCHREALTIME/./} / 1000 ))"; }

# write_config FILE API [ENV_NAME ENV_VALUE]: a CredentialProviderConfig for
# docker-credential-ecr-login in API (v1 or v1beta1); v1 has
# tokenAttributes when FILE ends in -sa.yaml.
write_config() {
	{
		printf 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\n'
		printf 'providers:\n  - name: docker-credential-ecr-login\n'
		printf '    matchImages: ["*.dkr.ecr.*.amazonaws.com"]\n'
		printf '    defaultCacheDuration: "12h"\n'
		printf '    apiVersion: credentialprovider.kubelet.k8s.io/%s\n' "$2"
		printf '    args: [get-credentials]\n'
		if [ $# -ge 4 ]; then
			printf '    env:\n      - name: %s\n        value: "%s"\n' "$3" "$4"
		fi
		case $1 in *-sa.yaml)
			printf '    tokenAttributes:\n'
			printf '      serviceAccountTokenAudience: sts.amazonaws.com\n'
			printf '      requireServiceAccount: true\n'
			printf '      cacheType: ServiceAccount\n'
			printf '      optionalServiceAccountAnnotationKeys: [eks.amazonaws.com/ecr-role-arn]\n'
			;;
		esac
	} >"$1"
}

# kube OUT CONFIG IMAGE [DRIVER ARGS...]: the driver runs the helper for
# IMAGE as a kubelet would; its line in OUT, its stderr in OUT.err.
kube() {
	local out=$1 config=$2 image=$3
	shift 3
	timeout 90 python3 "$DRIVER" --config "$config" --bin-dir "$BIN" --image "$image" "$@" \
		>"$out" 2>"$out.err"
}

# field FILE EXPR: a Python expression of d, the driver's answer in FILE.
field() {
	python3 -c 'import json, sys; d = json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' \
		"$1" "$2" 2>/dev/null
}

# password FILE: the password of the driver's answer for REG.
password() { field "$1" "d['auth']['$REG']['password']"; }

# sa_args TOKEN ROLE: the driver's arguments for a pod of a service account
# whose token is TOKEN and whose annotation names ROLE.
sa_args() { printf -- '--sa-token %s --sa-annotation eks.amazonaws.com/ecr-role-arn=%s' "$1" "$2"; }

# sts_roles: the roles STS was asked to assume with a web identity, and its status.
sts_roles() {
	awk '$1 == "AssumeRoleWithWebIdentity" { print $2, $4 }' "$MOCK_DIR/sts.log" 2>/dev/null
}

# direct REQUEST: the helper itself, REQUEST on stdin; OUT, ERR, RC.
direct() {
	OUT=$(printf '%s' "$1" | timeout 60 "$HELPER" get-credentials 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
}

# t_refused NAME PATTERN REQUEST: one line on stderr matching PATTERN,
# exit 1, nothing on stdout.
t_refused() {
	direct "$3"
	if [ "$RC" -eq 1 ] && [ -z "$OUT" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] &&
	   grep -Eq -- "$2" <<<"$ERR"; then
		t_ok "$1"
	else
		t_fail "$1"
		printf '#   rc %s, out: %s\n#   stderr: %s\n' "$RC" "$OUT" "$ERR"
	fi
}

request() {
	printf '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/%s","image":"%s"%s}' \
		"$1" "$2" "${3:-}"
}

# --- parts ---------------------------------------------------------------------

# golden NAME: the helper's answer to golden/NAME.request is golden/NAME.response
# with the minted password and the duration put in.
golden() {
	local name=$1 got want pw
	direct "$(cat "$DATA/golden/$name.request")"
	pw=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(list(json.load(sys.stdin)["auth"].values())[0]["password"])' 2>/dev/null)
	got=$(printf '%s' "$OUT" | sed 's/"cacheDuration":"[0-9hms]*"/"cacheDuration":D/')
	want=$(sed -e 's/"cacheDuration":"[0-9hms]*"/"cacheDuration":D/' \
		-e "s/\"password\":\"[^\"]*\"/\"password\":\"$pw\"/" "$DATA/golden/$name.response")
	if [ "$RC" -eq 0 ] && [ "$got" = "$want" ] && [ "${pw#ecrpw-ecr-}" != "$pw" ]; then
		t_ok "golden: $name answered as golden/$name.response"
	else
		t_fail "golden: $name answered as golden/$name.response"
		printf '#   rc %s, out: %s\n#   want: %s\n#   stderr: %s\n' "$RC" "$OUT" "$want" "$ERR"
	fi
}

part_golden() {
	env_keys
	golden v1-ecr
	golden v1beta1-ecr
	t_eq "golden: both versions share the node's token: one ECR call, no STS" \
		"$(calls ecr) $(calls sts)" "1 0"
	aws_mock_set '{"web_identity_tokens": ["fake.service-account.jwt"],
		"web_identity_roles": {"fake.service-account.jwt": "'"$ROLE"'/pull"}}'
	golden v1-ecr-sa
	t_eq "golden: the service account's role is assumed with its token" \
		"$(calls ecr) $(calls sts) $(sts_roles)" "2 1 $ROLE/pull 200"
}

part_node() {
	local life
	env_keys
	write_config "$TMP/node.yaml" v1
	aws_mock_set '{"ecr": {"expires_in": 3600}}'
	t_check "node: the kubelet gets credentials" kube "$TMP/a" "$TMP/node.yaml" "$REG/app"
	t_eq "node: the node's chain signs ECR, no STS" \
		"$(password "$TMP/a") $(calls ecr) $(calls sts)" "ecrpw-ecr-1-$MOCK_ENV_KEY_ID 1 0"
	t_eq "node: auth keyed by the image's host, cacheKeyType Registry" \
		"$(field "$TMP/a" "list(d['auth'])") $(field "$TMP/a" "d['cacheKeyType']")" \
		"['$REG'] Registry"
	life=$(field "$TMP/a" "int(d['cacheSeconds'])")
	t_check "node: cacheDuration ($(field "$TMP/a" "d['cacheDuration']")) is half the token's life, never more" \
		test "${life:-0}" -ge 1790 -a "${life:-0}" -le 1800
	t_check "node: asked again, the cached token" kube "$TMP/b" "$TMP/node.yaml" "$REG/other"
	t_eq "node: ... with no call" "$(password "$TMP/b") $(calls ecr)" \
		"ecrpw-ecr-1-$MOCK_ENV_KEY_ID 1"
	OUT=$(printf '%s' "$REG" | "$HELPER" get 2>/dev/null)
	t_eq "node: the docker protocol gets the same token" "$OUT" \
		"{\"ServerURL\":\"$REG\",\"Username\":\"AWS\",\"Secret\":\"ecrpw-ecr-1-$MOCK_ENV_KEY_ID\"}"
	aws_mock_set '{"ecr": {"expires_in": 40}}'
	printf '%s' "$REG" | "$HELPER" erase
	kube "$TMP/c" "$TMP/node.yaml" "$REG/app"
	life=$(field "$TMP/c" "int(d['cacheSeconds'])")
	t_check "node: a 40 s token: cacheDuration ${life:-?} s, within its life" \
		test -n "$life" -a "${life:-99}" -le 20
}

part_accounts() {
	local a1 a2 b c pa pb
	# The node's keys are there: a service account must not use them.
	env_keys
	a1=$(aws_jwt "$ISS" system:serviceaccount:shop:api 1000 sts.amazonaws.com)
	a2=$(aws_jwt "$ISS" system:serviceaccount:shop:api 4600 sts.amazonaws.com)
	b=$(aws_jwt "$ISS" system:serviceaccount:shop:worker 1000 sts.amazonaws.com)
	c=$(aws_jwt "$ISS" system:serviceaccount:ops:agent 1000 sts.amazonaws.com)
	aws_mock_set "{\"web_identity_tokens\": [\"$a1\", \"$a2\", \"$b\", \"$c\"],
		\"web_identity_roles\": {\"$a1\": \"$ROLE/api\", \"$a2\": \"$ROLE/api\",
		\"$b\": \"$ROLE/worker\", \"$c\": \"$ROLE/agent\"}}"
	write_config "$TMP/pod-sa.yaml" v1
	: >"$MOCK_DIR/sts.log"
	# shellcheck disable=SC2046
	{
	t_check "accounts: api's pod gets credentials" \
		kube "$TMP/a" "$TMP/pod-sa.yaml" "$REG/app" $(sa_args "$a1" "$ROLE/api")
	t_check "accounts: worker's pod gets credentials" \
		kube "$TMP/b" "$TMP/pod-sa.yaml" "$REG/app" $(sa_args "$b" "$ROLE/worker")
	}
	pa=$(password "$TMP/a")
	pb=$(password "$TMP/b")
	t_eq "accounts: two STS calls, each token with its role, two ECR calls" \
		"$(calls sts) $(calls ecr) $(sts_roles | tr '\n' ' ')" \
		"2 2 $ROLE/api 200 $ROLE/worker 200 "
	t_check "accounts: two tokens, neither the node's ($pa, $pb)" \
		test -n "$pa" -a -n "$pb" -a "$pa" != "$pb" -a "${pa%"$MOCK_ENV_KEY_ID"}" = "$pa"
	# shellcheck disable=SC2046
	kube "$TMP/a2" "$TMP/pod-sa.yaml" "$REG/app" $(sa_args "$a2" "$ROLE/api")
	t_eq "accounts: api's rotated token (new iat, exp): the cached one, no call" \
		"$(password "$TMP/a2") $(calls sts) $(calls ecr)" "$pa 2 2"
	# shellcheck disable=SC2046
	kube "$TMP/w" "$TMP/pod-sa.yaml" "$REG/app" $(sa_args "$b" "$ROLE/api")
	t_eq "accounts: worker naming api's role is another cache entry, and STS refuses it" \
		"$(calls sts) $(calls ecr)" "3 2"
	t_check "accounts: ... the kubelet is told why" grep -q "AssumeRoleWithWebIdentity.*AccessDenied" "$TMP/w.err"
	write_config "$TMP/env-sa.yaml" v1 AWS_ECR_ROLE_ARN "$ROLE/agent"
	t_check "accounts: no annotation: AWS_ECR_ROLE_ARN of the provider's env" \
		kube "$TMP/c" "$TMP/env-sa.yaml" "$REG/app" --sa-token "$c"
	t_eq "accounts: ... is the role assumed" "$(sts_roles | tail -1) $(calls ecr)" \
		"$ROLE/agent 200 3"
	t_check "accounts: no token in any error or log line" \
		bash -c '! grep -qF -e "$1" -e "$2" -e "$3" "$4"/*.err "$5"/*.log' _ "$a1" "$b" "$c" \
		"$TMP" "$MOCK_DIR"
	t_check "accounts: ... nor in the keyring's names" \
		bash -c '! keyctl show @s | grep -qF -e "${1#*.}" -e "${2#*.}"' _ "$a1" "$b"
}

part_norole() {
	local t
	env_keys
	t=$(aws_jwt "$ISS" system:serviceaccount:shop:api 1000 sts.amazonaws.com)
	aws_mock_set "{\"web_identity_tokens\": [\"$t\"]}"
	t_refused "norole: a token and no role: one clear line, exit 1" \
		"no role to assume.*eks.amazonaws.com/ecr-role-arn.*AWS_ECR_ROLE_ARN" \
		"$(request v1 "$REG/app" ",\"serviceAccountToken\":\"$t\"")"
	t_check "norole: ... that does not hold the token" bash -c '! grep -qF -e "${1#*.}" <<<"$2"' _ "$t" "$ERR"
	t_eq "norole: ... and no call" "$(calls sts) $(calls ecr)" "0 0"
	write_config "$TMP/pod-sa.yaml" v1
	kube "$TMP/n" "$TMP/pod-sa.yaml" "$REG/app" --sa-token "$t"
	t_check "norole: the kubelet gets no credentials, and the reason" \
		grep -q "exit status 1: .*no role to assume" "$TMP/n.err"
	t_refused "norole: a role that is no ARN is refused" "not an IAM role ARN" \
		"$(request v1 "$REG/app" ",\"serviceAccountToken\":\"$t\",\"serviceAccountAnnotations\":{\"eks.amazonaws.com/ecr-role-arn\":\"pull\"}")"
}

part_flight() {
	local i t
	env_keys
	write_config "$TMP/node.yaml" v1
	write_config "$TMP/pod-sa.yaml" v1
	aws_mock_set '{"ecr": {"delay_ms": 300}}'
	for i in $(seq 20); do
		kube "$TMP/n.$i" "$TMP/node.yaml" "$REG/app$i" &
	done
	wait
	t_eq "flight: 20 parallel requests for one registry make one ECR call" "$(calls ecr)" 1
	t_eq "flight: ... and all 20 have its token" \
		"$(for i in $(seq 20); do password "$TMP/n.$i"; done | sort | uniq -c | awk '{ print $1, $2 }')" \
		"20 ecrpw-ecr-1-$MOCK_ENV_KEY_ID"
	t=$(aws_jwt "$ISS" system:serviceaccount:shop:api 1000 sts.amazonaws.com)
	aws_mock_set "{\"web_identity_tokens\": [\"$t\"]}"
	# shellcheck disable=SC2046
	for i in $(seq 20); do
		kube "$TMP/s.$i" "$TMP/pod-sa.yaml" "$REG/app$i" $(sa_args "$t" "$ROLE/api") &
	done
	wait
	t_eq "flight: 20 parallel pods of one service account: one STS and one ECR call" \
		"$(calls sts) $(calls ecr)" "1 2"
	t_eq "flight: ... and all 20 have its token" \
		"$(for i in $(seq 20); do password "$TMP/s.$i"; done | sort -u | wc -l)" 1
}

part_versions() {
	env_keys
	write_config "$TMP/beta.yaml" v1beta1
	t_check "versions: v1beta1 is answered in v1beta1" kube "$TMP/b" "$TMP/beta.yaml" "$REG/app"
	t_eq "versions: ... as the driver decoded it" "$(field "$TMP/b" "d['apiVersion']")" \
		credentialprovider.kubelet.k8s.io/v1beta1
	t_refused "versions: v1alpha1 is refused" "apiVersion" "$(request v1alpha1 "$REG/app")"
	t_refused "versions: an image of another registry is refused" "no credentials for quay.io" \
		"$(request v1 quay.io/team/app)"
	write_config "$TMP/node.yaml" v1
	kube "$TMP/x" "$TMP/node.yaml" 12345.dkr.ecr.us-east-1.amazonaws.com/app
	t_check "versions: an image that matches matchImages but is no ECR registry: no credentials" \
		grep -q "exit status 1: .*no credentials for 12345.dkr.ecr" "$TMP/x.err"
	t_eq "versions: one ECR call in all" "$(calls ecr)" 1
}

part_budget() {
	local t0 ms
	env_keys
	# The docker protocol's budget is 1 s here; ECR answers in 2.5 s.
	printf '{"ecr": {"timeout_ms": 1000}}\n' >"$CREDKIT_CONFIG"
	aws_mock_set '{"ecr": {"delay_ms": 2500}}'
	t0=$(now_ms)
	direct "$(request v1 "$REG/app")"
	ms=$(( $(now_ms) - t0 ))
	t_eq "budget: the kubelet's (30 s by default) waits for a slow ECR" "$RC" 0
	t_check "budget: ... about its 2.5 s (took $ms ms)" test "$ms" -ge 2400
	printf '%s' "$REG" | "$HELPER" erase
	printf '{"ecr": {"timeout_ms": 20000, "kubelet_timeout_ms": 1000}}\n' >"$CREDKIT_CONFIG"
	t0=$(now_ms)
	direct "$(request v1 "$REG/app")"
	ms=$(( $(now_ms) - t0 ))
	t_eq "budget: kubelet_timeout_ms 1000 is kept to: no credentials" "$RC" 1
	# 1 s and a margin for a loaded machine (the asan build, two processes).
	t_check "budget: ... within it and a margin (took $ms ms)" test "$ms" -lt 2300
	printf '{"ecr": {"kubelet_timeout_ms": 60000}}\n' >"$CREDKIT_CONFIG"
	t_refused "budget: a kubelet_timeout_ms past the kubelet's minute is refused" \
		"kubelet_timeout_ms.*100 to 55000" "$(request v1 "$REG/app")"
}

if ! python3 -c 'import yaml' 2>/dev/null; then
	t_fail "python3-yaml is installed (tests/deps.sh)"
	exit 1
fi
aws_suite "$SELF" "$HELPER" "${PARTS_WANTED:-$PARTS}" "$@"
