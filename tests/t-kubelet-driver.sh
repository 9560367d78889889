#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-kubelet-driver.sh - the kubelet-style driver of the tests
# (tests/tools/kubelet-driver.py) against a fake credential provider, so
# that it is known to run a plugin as a kubelet does before credkit's
# helpers speak the kubelet's protocol.
#
#   bash tests/t-kubelet-driver.sh
#
# The fake provider (written below into the test's directory) logs its
# argv, one variable of its environment and its stdin, and answers as
# FAKE_MODE says: well, or with each fault the kubelet refuses.  Checked:
#   match      the driver's matching agrees with tests/data/kubelet/match.txt
#              (the table test_kubelet runs the C matching on)
#   durations  its Go duration parser agrees with Go's own cases
#   request    the request it writes is the kubelet's, byte for byte
#              (tests/data/kubelet/golden/*.request), with the config's
#              args and env, in v1, v1beta1 and v1 with tokenAttributes
#   response   a good answer passes, and so do credkit's golden answers
#              (tests/data/kubelet/golden/*.response); each fault fails with the kubelet's
#              reason: unknown or repeated fields, another apiVersion, kind
#              or cacheKeyType, a duration Go cannot parse, no auth key for
#              the image, the service-account token echoed, a non-zero
#              exit, a plugin past its time limit
#   config     configs the kubelet refuses are refused (exit 2)
# CREDKIT_BIN is not used: the sanitizer run only says it skips.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${CREDKIT_BIN:-}" in
*build/asan/bin | *build/asan/bin/)
	echo "ok - kubelet-driver # SKIP checked once, in the non-sanitizer run"
	exit 0 ;;
esac

DRIVER="$CREDKIT_ROOT/tests/tools/kubelet-driver.py"
DATA="$CREDKIT_ROOT/tests/data/kubelet"
ECR=123456789012.dkr.ecr.us-east-1.amazonaws.com

# The fake provider: logs to $FAKE_LOG, answers as $FAKE_MODE says.
write_fake() {
	cat >"$1" <<'EOF'
#!/usr/bin/env python3
import json, os, sys, time
log = os.environ["FAKE_LOG"]
data = sys.stdin.buffer.read()
open(os.path.join(log, "request"), "wb").write(data)
open(os.path.join(log, "args"), "w").write("\n".join(sys.argv[1:]))
open(os.path.join(log, "env"), "w").write(os.environ.get("FAKE_CONFIG_VAR", "unset"))
req = json.loads(data)
mode = os.environ.get("FAKE_MODE", "ok")
host = req["image"].split("/")[0]
resp = {"kind": "CredentialProviderResponse", "apiVersion": req["apiVersion"],
        "cacheKeyType": "Registry", "cacheDuration": "5h59m30s",
        "auth": {host: {"username": "user", "password": "fake-token"}}}
if mode == "golden":
    sys.stdout.write(open(os.environ["FAKE_RESPONSE"]).read())
    sys.exit(0)
if mode == "exit1":
    sys.stderr.write("no credentials for this image\n")
    sys.exit(1)
if mode == "sleep":
    time.sleep(30)
if mode == "garbage":
    sys.stdout.write("not json\n")
    sys.exit(0)
if mode == "duplicate":
    sys.stdout.write(json.dumps(resp)[:-1] + ', "kind": "CredentialProviderResponse"}\n')
    sys.exit(0)
if mode == "unknown-top":
    resp["expiresAt"] = "soon"
if mode == "unknown-auth":
    resp["auth"][host]["email"] = "a@example.com"
if mode == "wrong-api":
    resp["apiVersion"] = "credentialprovider.kubelet.k8s.io/v1beta1"
if mode == "other-api":
    resp["apiVersion"] = "credentialprovider.kubelet.k8s.io/v1alpha1"
if mode == "wrong-kind":
    resp["kind"] = "CredentialProviderRequest"
if mode == "wrong-keytype":
    resp["cacheKeyType"] = "Host"
if mode == "bad-duration":
    resp["cacheDuration"] = "1d"
if mode == "no-duration":
    del resp["cacheDuration"]
if mode == "other-host":
    resp["auth"] = {"other.example.com": resp["auth"][host]}
if mode == "glob-host":
    resp["auth"] = {"*.dkr.ecr.us-east-1.amazonaws.com": resp["auth"][host]}
if mode == "echo-token":
    resp["auth"][host]["password"] = req["serviceAccountToken"]
sys.stdout.write(json.dumps(resp) + "\n")
EOF
	chmod +x "$1"
}

# drive OUT ARGS...: run the driver, stdout into OUT, stderr into OUT.err;
# returns its status.
drive() {
	local out=$1
	shift
	python3 "$DRIVER" "$@" >"$out" 2>"$out.err"
}

# field FILE KEY: KEY of the first JSON line of FILE, as JSON.
field() {
	python3 -c 'import json,sys; print(json.dumps(json.loads(open(sys.argv[1]).readline())[sys.argv[2]]))' "$1" "$2"
}

# fails NAME WANT ARGS...: the driver exits 1 and says WANT on stderr.
fails() {
	local name=$1 want=$2 status
	shift 2
	drive "$TMP/out" "$@"
	status=$?
	if [ "$status" -eq 1 ] && grep -qF -e "$want" "$TMP/out.err"; then
		t_ok "$name"
	else
		t_fail "$name"
		printf '#   status %d, stderr: %s\n#   want: %s\n' "$status" \
			"$(head -c 400 "$TMP/out.err")" "$want"
	fi
}

main() {
	t_tmpdir
	mkdir -p "$TMP/bin" "$TMP/log"
	export FAKE_LOG="$TMP/log"
	write_fake "$TMP/bin/ecr-credential-provider"
	cp "$TMP/bin/ecr-credential-provider" "$TMP/bin/ghcr-provider"
	cp "$TMP/bin/ecr-credential-provider" "$TMP/bin/sa-provider"

	if ! python3 -c 'import yaml' 2>/dev/null; then
		t_fail "kubelet-driver: python3-yaml is installed (tests/deps.sh)"
		return 1
	fi
	t_check "kubelet-driver: its matching agrees with match.txt" \
		bash -c 'python3 "$1" --check-match "$2" >"$3" 2>&1' _ "$DRIVER" "$DATA/match.txt" "$TMP/m"
	grep '^not ok' "$TMP/m" | sed 's/^/#   /'
	t_check "kubelet-driver: its Go durations agree with Go's cases" \
		bash -c 'python3 "$1" --check-durations "$2" "$3" >"$4" 2>&1' _ "$DRIVER" \
		"$DATA/go-parse-duration.tsv" "$DATA/duration.txt" "$TMP/d"
	grep '^not ok' "$TMP/d" | sed 's/^/#   /'

	cat >"$TMP/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: ecr-credential-provider
    matchImages: ["*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr.*.amazonaws.com.cn"]
    defaultCacheDuration: "12h"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: [get-credentials, --flag]
    env:
      - name: FAKE_CONFIG_VAR
        value: from-config
  - name: sa-provider
    matchImages: ["sa.example.com"]
    defaultCacheDuration: "0"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    tokenAttributes:
      serviceAccountTokenAudience: sts.amazonaws.com
      requireServiceAccount: true
      cacheType: ServiceAccount
      requiredServiceAccountAnnotationKeys: [eks.amazonaws.com/ecr-role-arn]
      optionalServiceAccountAnnotationKeys: [example.com/other]
EOF
	cat >"$TMP/config.json" <<'EOF'
{"apiVersion": "kubelet.config.k8s.io/v1", "kind": "CredentialProviderConfig",
 "providers": [{"name": "ghcr-provider", "matchImages": ["ghcr.io"],
   "defaultCacheDuration": "1h", "apiVersion": "credentialprovider.kubelet.k8s.io/v1beta1",
   "args": ["get-credentials"]}]}
EOF
	local y="--config $TMP/config.yaml --bin-dir $TMP/bin" j="--config $TMP/config.json --bin-dir $TMP/bin"

	# A good answer, and what the plugin was given.
	export FAKE_MODE=ok
	# shellcheck disable=SC2086
	t_check "kubelet-driver: v1: a good answer passes" drive "$TMP/out" $y --image "$ECR/app"
	t_check "kubelet-driver: v1: the request is the kubelet's, byte for byte" \
		cmp -s "$TMP/log/request" "$DATA/golden/v1-ecr.request"
	t_eq "kubelet-driver: v1: the plugin gets the config's args" \
		"$(tr '\n' ' ' <"$TMP/log/args")" "get-credentials --flag"
	t_eq "kubelet-driver: v1: the plugin gets the config's env" "$(cat "$TMP/log/env")" \
		from-config
	t_eq "kubelet-driver: v1: the answer as decoded" \
		"$(field "$TMP/out" cacheKeyType) $(field "$TMP/out" cacheSeconds) $(field "$TMP/out" auth)" \
		"\"Registry\" 21570.0 {\"$ECR\": {\"matches\": true, \"password\": \"fake-token\", \"username\": \"user\"}}"
	# shellcheck disable=SC2086
	t_check "kubelet-driver: v1beta1 (a JSON config): a good answer passes" \
		drive "$TMP/out" $j --image ghcr.io/owner/app
	t_check "kubelet-driver: v1beta1: the request is the kubelet's, byte for byte" \
		cmp -s "$TMP/log/request" "$DATA/golden/v1beta1-ghcr.request"
	t_eq "kubelet-driver: v1beta1: no env beyond the kubelet's own" "$(cat "$TMP/log/env")" unset
	# shellcheck disable=SC2086
	t_check "kubelet-driver: tokenAttributes: a good answer passes" \
		drive "$TMP/out" $y --image sa.example.com/app --sa-token fake.service-account.jwt \
		--sa-annotation eks.amazonaws.com/ecr-role-arn=arn:aws:iam::123456789012:role/pull \
		--sa-annotation example.com/other=x --sa-annotation not.listed/key=y
	sed "s|$ECR/app|sa.example.com/app|" "$DATA/golden/v1-ecr-sa.request" >"$TMP/want"
	t_check "kubelet-driver: tokenAttributes: the token and the listed annotations are sent, sorted" \
		cmp -s "$TMP/log/request" "$TMP/want"
	rm -f "$TMP/log/request"
	# shellcheck disable=SC2086
	drive "$TMP/printed" --print-request $y --image "$ECR/app"
	t_check "kubelet-driver: --print-request writes the request without running the plugin" \
		bash -c 'cmp -s "$1" "$2" && ! test -e "$3"' _ "$TMP/printed" \
		"$DATA/golden/v1-ecr.request" "$TMP/log/request"
	# credkit's golden answers (test_kubelet writes them) pass the driver.
	# shellcheck disable=SC2086
	FAKE_MODE=golden FAKE_RESPONSE="$DATA/golden/v1-ecr.response" \
		t_check "kubelet-driver: golden/v1-ecr.response passes" drive "$TMP/out" $y --image "$ECR/app"
	# shellcheck disable=SC2086
	FAKE_MODE=golden FAKE_RESPONSE="$DATA/golden/v1beta1-ghcr.response" \
		t_check "kubelet-driver: golden/v1beta1-ghcr.response passes" \
		drive "$TMP/out" $j --image ghcr.io/owner/app
	FAKE_MODE=no-duration
	# shellcheck disable=SC2086
	t_check "kubelet-driver: no cacheDuration (the config's default) passes" \
		drive "$TMP/out" $y --image "$ECR/app"
	FAKE_MODE=glob-host
	# shellcheck disable=SC2086
	t_check "kubelet-driver: an auth key with a glob that matches the image passes" \
		drive "$TMP/out" $y --image "$ECR/app"

	# Each fault, with the kubelet's reason.
	# shellcheck disable=SC2086
	{
	FAKE_MODE=unknown-top fails "kubelet-driver: an unknown field fails" \
		'unknown field "expiresAt"' $y --image "$ECR/app"
	FAKE_MODE=unknown-auth fails "kubelet-driver: an unknown field in auth fails" \
		'unknown field "auth['"$ECR"'].email"' $y --image "$ECR/app"
	FAKE_MODE=duplicate fails "kubelet-driver: a repeated field fails" \
		'duplicate field "kind"' $y --image "$ECR/app"
	FAKE_MODE=garbage fails "kubelet-driver: stdout that is not JSON fails" \
		'error decoding credential provider plugin response' $y --image "$ECR/app"
	FAKE_MODE=wrong-api fails "kubelet-driver: v1 answered in v1beta1 fails" \
		'did not match expected apiVersion:credentialprovider.kubelet.k8s.io/v1, actual apiVersion:credentialprovider.kubelet.k8s.io/v1beta1' \
		$y --image "$ECR/app"
	FAKE_MODE=other-api fails "kubelet-driver: v1beta1 answered in v1alpha1 fails" \
		'actual apiVersion:credentialprovider.kubelet.k8s.io/v1alpha1' $j --image ghcr.io/o/a
	FAKE_MODE=wrong-kind fails "kubelet-driver: another kind fails" \
		'unexpected Kind: "CredentialProviderRequest"' $y --image "$ECR/app"
	FAKE_MODE=wrong-keytype fails "kubelet-driver: a cacheKeyType of none of the three fails" \
		"did not return a valid cacheKeyType: 'Host'" $y --image "$ECR/app"
	FAKE_MODE=bad-duration fails "kubelet-driver: a cacheDuration Go cannot parse fails" \
		"unknown unit 'd'" $y --image "$ECR/app"
	FAKE_MODE=other-host fails "kubelet-driver: no auth key for the image fails" \
		'no auth key of the response (other.example.com) matches the image' $y --image "$ECR/app"
	FAKE_MODE=echo-token fails "kubelet-driver: the service-account token as the password fails" \
		'returned the service account token as the password' $y --image sa.example.com/app \
		--sa-token fake.jwt --sa-annotation eks.amazonaws.com/ecr-role-arn=r
	FAKE_MODE=exit1 fails "kubelet-driver: a non-zero exit fails, with the plugin's stderr" \
		'exit status 1: no credentials for this image' $y --image "$ECR/app"
	FAKE_MODE=ok fails "kubelet-driver: a required annotation missing: the plugin is not run" \
		'required annotation eks.amazonaws.com/ecr-role-arn not found' $y \
		--image sa.example.com/app --sa-token fake.jwt
	FAKE_MODE=ok fails "kubelet-driver: no service account where one is required: not run" \
		'the provider requires one' $y --image sa.example.com/app
	FAKE_MODE=ok fails "kubelet-driver: an image no provider matches" \
		'no provider matches the image quay.io/app' $y --image quay.io/app
	}
	# The time limit, 1 s here (60 s as the kubelet has it by default): the
	# plugin sleeps 30 s.  Up to 15 s allowed: a loaded machine delays the
	# kill and the interpreter's start, and 30 s would mean no kill at all.
	local start=$SECONDS
	# shellcheck disable=SC2086
	FAKE_MODE="sleep" fails "kubelet-driver: a plugin past the time limit is killed and fails" \
		'context deadline exceeded (killed after 1s)' $y --image "$ECR/app" --timeout 1
	t_check "kubelet-driver: ... within the limit and a margin (took $((SECONDS - start)) s)" \
		test $((SECONDS - start)) -lt 15

	# Configs a kubelet refuses at start-up: exit 2.
	bad_config "an unknown field" 's/matchImages:/matchImage:/' \
		'providers[0] has an unknown field "matchImage"'
	bad_config "a repeated field" 's/^kind: CredentialProviderConfig/&\nkind: CredentialProviderConfig/' \
		"the field 'kind' appears twice"
	bad_config "a match image url.Parse refuses" 's/"sa.example.com"/"sa.example.com\/%zz"/' \
		"match image 'sa.example.com/%zz' is invalid"
	bad_config "tokenAttributes outside v1" \
		'0,/credentialprovider.kubelet.k8s.io\/v1$/!s/credentialprovider.kubelet.k8s.io\/v1$/credentialprovider.kubelet.k8s.io\/v1beta1/' \
		'tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1'
	bad_config "tokenAttributes without cacheType (required since 1.34)" \
		'/cacheType: ServiceAccount/d' 'tokenAttributes.cacheType is required'
	bad_config "no defaultCacheDuration" '/defaultCacheDuration: "12h"/d' \
		'providers[0] needs defaultCacheDuration'
	bad_config "a negative defaultCacheDuration" 's/"12h"/"-1h"/' \
		"defaultCacheDuration is negative"
	bad_config "another kind" 's/^kind: .*/kind: KubeletConfiguration/' \
		"the config's kind is \"KubeletConfiguration\""
	t_done
}

# bad_config WHAT SED WANT: the YAML config edited by SED is refused
# (exit 2), saying WANT.
bad_config() {
	local status
	sed "$2" "$TMP/config.yaml" >"$TMP/bad.yaml"
	python3 "$DRIVER" --config "$TMP/bad.yaml" --bin-dir "$TMP/bin" --image "$ECR/app" \
		>"$TMP/bad.out" 2>&1
	status=$?
	if [ "$status" -eq 2 ] && grep -qF -e "$3" "$TMP/bad.out"; then
		t_ok "kubelet-driver: a config with $1 is refused"
	else
		t_fail "kubelet-driver: a config with $1 is refused"
		printf '#   status %d: %s\n' "$status" "$(head -c 300 "$TMP/bad.out")"
	fi
}

main "$@"
