#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-kubelet-ghcr.sh - docker-credential-ghcr as a kubelet's image
# credential provider, run by the kubelet-style driver of the tests
# (tests/tools/kubelet-driver.py) with the sample config
# examples/kubernetes/ghcr.yaml, its folder of programs a folder of
# symbolic links, as the README tells a node's admin to make.  A stub gh
# on PATH (logged in, as far as it says) logs each run.  Each part runs in
# a fresh session keyring (CREDKIT_KEYRING=session), where the store for
# passwords is the kernel keyring too (CREDKIT_STORE=keyctl), with its own
# HOME and settings file:
#
#   samples   every sample of examples/kubernetes/ loads in the driver (which
#             refuses what a kubelet refuses) and matches the images it is
#             for (each ECR domain; ghcr.io and the Enterprise host), and
#             no other
#   sources   on a node: store (an admin's `docker-credential-ghcr store`),
#             env (the provider config's env), file (a token file, refused
#             when others may read it); gh is never run; none: exit 1 and
#             nothing on stdout; no cacheDuration (the config's default)
#   setting   "kubelet_sources", global and per host; "sources" (docker's)
#             does not change a kubelet's; a bad list is an error
#   versions  v1 and v1beta1 answered in their version, the golden pairs
#             tests/data/kubelet/golden/*-ghcr-node.* byte for byte; v1alpha1, another
#             kind, a malformed request, a non-GitHub image: one line on
#             stderr, exit 1, nothing on stdout
#   cache     with gh enabled: gh's answer's cacheDuration is the time left
#             in our own cache (gh_cache_seconds), counting down, never
#             longer; the driver's bin folder of links finds the minter
#   flight    20 parallel requests with gh enabled run gh once, all answered
#
# Run with a part's name as argument, inside a session keyring, it runs
# that part alone (this is how the script calls itself).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib-ghcr.sh
. "$here/lib-ghcr.sh"

SELF=$here/t-kubelet-ghcr.sh
PARTS="samples sources setting versions cache flight"
BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
HELPER=$BIN/docker-credential-ghcr
DRIVER=$CREDKIT_ROOT/tests/tools/kubelet-driver.py
SAMPLES=$CREDKIT_ROOT/examples/kubernetes
GOLDEN=$CREDKIT_ROOT/tests/data/kubelet/golden
API=credentialprovider.kubelet.k8s.io
# Made-up tokens, of the kinds GitHub issues.
STUB_TOKEN=gho_stubghtoken00000000000000000000003
ENV_TOKEN=ghp_kubeletenvtoken0000000000000000001
FILE_TOKEN=ghp_kubeletfiletoken000000000000000002
STORED_TOKEN=ghp_kubeletstoredtoken00000000000000003
GHE_TOKEN=ghp_kubeletghetoken00000000000000000004

# --- helpers -------------------------------------------------------------------

# config [SED]: the sample config as the node has it, its settings file
# this part's, edited by SED, into $TMP/ghcr.yaml.
config() {
	sed -e "s|/etc/credkit/kubelet.json|$CREDKIT_CONFIG|" -e "${1:-}" \
		"$SAMPLES/ghcr.yaml" >"$TMP/ghcr.yaml"
}

# with_env NAME VALUE: $TMP/ghcr.yaml's env gets NAME=VALUE too.
with_env() {
	sed -i "s|^    env:\$|&\\n      - name: $1\\n        value: $2|" "$TMP/ghcr.yaml"
}

# drive IMAGE [ARGS...]: the driver with $TMP/ghcr.yaml and the bin folder of
# links; OUT its stdout (one JSON line), ERR its stderr, RC its status.
drive() {
	local image=$1
	shift
	OUT=$(timeout 90 python3 "$DRIVER" --config "$TMP/ghcr.yaml" --bin-dir "$TMP/kbin" \
		--image "$image" "$@" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
}

# answer: what the last drive answered, "RC USERNAME PASSWORD DURATION".
answer() {
	if [ "$RC" -ne 0 ]; then
		printf '%s' "$RC"
		return
	fi
	printf '%s %s' "$RC" "$(jq -r '[.auth[] | .username, .password] + [.cacheDuration] |
		map(tostring) | join(" ")' <<<"$OUT")"
}

# t_answer NAME IMAGE WANT [ARGS...]: the driver's answer for IMAGE is WANT.
t_answer() {
	local name=$1 image=$2 want=$3
	shift 3
	drive "$image" "$@"
	t_eq "$name" "$(answer)" "$want"
	[ "$(answer)" = "$want" ] || printf '#   stderr: %s\n' "$ERR"
}

# request API IMAGE: a kubelet's request, as its encoder writes it.
request() {
	printf '{"kind":"CredentialProviderRequest","apiVersion":"%s","image":"%s"}\n' "$1" "$2"
}

# refused NAME PATTERN INPUT: the helper given INPUT fails as the kubelet
# wants: exit 1, nothing on stdout, one line on stderr matching PATTERN.
refused() {
	local out rc err
	out=$(printf '%s' "$3" | timeout 30 "$HELPER" get-credentials 2>"$TMP/err")
	rc=$?
	err=$(cat "$TMP/err")
	if [ "$rc" -eq 1 ] && [ -z "$out" ] && [ "$(grep -c . <<<"$err")" -eq 1 ] &&
	   grep -Eq -- "$2" <<<"$err"; then
		t_ok "$1"
	else
		t_fail "$1"
		printf '#   exit %s, stdout: %s\n#   stderr: %s\n#   want: %s\n' "$rc" "$out" "$err" "$2"
	fi
}

# seconds: the last answer's cacheDuration in whole seconds.
seconds() { jq -r '.cacheSeconds | floor' <<<"$OUT"; }

# --- parts ---------------------------------------------------------------------

# loads NAME CONFIG IMAGE: the driver takes CONFIG and would run a provider
# for IMAGE; misses NAME CONFIG IMAGE: it takes CONFIG and runs none.
loads() {
	t_check "$1" bash -c 'python3 "$1" --print-request --config "$2" --image "$3" \
		>/dev/null' _ "$DRIVER" "$2" "$3"
}
misses() {
	local rc
	python3 "$DRIVER" --print-request --config "$2" --image "$3" >/dev/null 2>"$TMP/err"
	rc=$?
	t_eq "$1" "$rc $(cat "$TMP/err")" "1 kubelet-driver: no provider matches the image $3"
}

part_samples() {
	local f host sa_request
	for f in "$SAMPLES"/*.yaml; do
		t_check "samples: $(basename "$f") loads as a kubelet loads it" \
			python3 -c 'import sys; sys.path.insert(0, sys.argv[1])
import importlib.util as u
s = u.spec_from_file_location("d", sys.argv[2]); d = u.module_from_spec(s)
s.loader.exec_module(d); d.read_config(sys.argv[3])' \
			"$CREDKIT_ROOT/tests/tools" "$DRIVER" "$f"
	done
	for f in ecr-login.yaml ecr-login-service-accounts.yaml; do
		for host in 123456789012.dkr.ecr.us-east-1.amazonaws.com \
			123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn \
			123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu \
			123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com \
			123456789012.dkr-ecr.us-east-1.on.aws \
			123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn \
			123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov \
			123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov \
			123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk \
			123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov; do
			loads "samples: $f runs for $host" "$SAMPLES/$f" "$host/app"
		done
		misses "samples: $f does not run for ghcr.io" "$SAMPLES/$f" ghcr.io/owner/app
		misses "samples: $f does not run for ECR Public" "$SAMPLES/$f" public.ecr.aws/x/app
	done
	sa_request=$(python3 "$DRIVER" --print-request --config \
		"$SAMPLES/ecr-login-service-accounts.yaml" \
		--image 123456789012.dkr.ecr.us-east-1.amazonaws.com/app --sa-token fake.jwt \
		--sa-annotation eks.amazonaws.com/ecr-role-arn=arn:aws:iam::123456789012:role/pull \
		--sa-annotation example.com/other=x)
	t_eq "samples: with tokenAttributes, the pod's token and its role are sent" \
		"$sa_request" "{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"$API/v1\",\"image\":\"123456789012.dkr.ecr.us-east-1.amazonaws.com/app\",\"serviceAccountToken\":\"fake.jwt\",\"serviceAccountAnnotations\":{\"eks.amazonaws.com/ecr-role-arn\":\"arn:aws:iam::123456789012:role/pull\"}}"
	loads "samples: with tokenAttributes, optional: runs for a pod with no service account" \
		"$SAMPLES/ecr-login-service-accounts.yaml" 123456789012.dkr.ecr.us-east-1.amazonaws.com/app
	loads "samples: ghcr.yaml runs for ghcr.io" "$SAMPLES/ghcr.yaml" ghcr.io/owner/app
	loads "samples: ghcr.yaml runs for the Enterprise host" "$SAMPLES/ghcr.yaml" \
		containers.ghe.example.com/owner/app
	misses "samples: ghcr.yaml does not run for docker.io" "$SAMPLES/ghcr.yaml" \
		docker.io/library/alpine
	misses "samples: ghcr.yaml does not run for a GitHub-like host" "$SAMPLES/ghcr.yaml" \
		ghcr.io.example.com/owner/app
	# A kubelet that systemd starts has no HOME: the samples name the
	# settings file, so that the helpers get past it (ECR's then has no
	# AWS credentials here, and says so).
	sed "s|/etc/credkit/kubelet.json|$TMP/absent.json|" "$SAMPLES/ecr-login.yaml" \
		>"$TMP/ecr.yaml"
	ln -s "$BIN/docker-credential-ecr-login" "$TMP/kbin/docker-credential-ecr-login"
	env -u HOME -u XDG_CONFIG_HOME -u CREDKIT_CONFIG AWS_EC2_METADATA_DISABLED=true \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		timeout 90 python3 "$DRIVER" --config "$TMP/ecr.yaml" --bin-dir "$TMP/kbin" \
		--image 123456789012.dkr.ecr.us-east-1.amazonaws.com/app >/dev/null 2>"$TMP/err"
	t_check "samples: ecr-login.yaml with no HOME: past the settings, to the AWS chain" \
		bash -c '! grep -q "settings file" "$1" && grep -q "docker-credential-ecr-login" "$1"' \
		_ "$TMP/err"
	grep -q "settings file" "$TMP/err" && sed 's/^/#   /' "$TMP/err"
	config
	env -u HOME -u XDG_CONFIG_HOME GH_TOKEN=$ENV_TOKEN \
		timeout 90 python3 "$DRIVER" --config "$TMP/ghcr.yaml" --bin-dir "$TMP/kbin" \
		--image ghcr.io/owner/app >"$TMP/out" 2>"$TMP/err"
	t_eq "samples: ghcr.yaml with no HOME answers" \
		"$(jq -r '.auth["ghcr.io"].password' "$TMP/out" 2>/dev/null)" "$ENV_TOKEN"
	# And with no settings file named either: no settings, every default.
	OUT=$(printf '{"kind":"CredentialProviderRequest","apiVersion":"%s","image":"ghcr.io/o/a"}' \
		credentialprovider.kubelet.k8s.io/v1 |
		env -u HOME -u XDG_CONFIG_HOME -u CREDKIT_CONFIG GH_TOKEN=$ENV_TOKEN \
		timeout 30 "$HELPER" get-credentials 2>"$TMP/err")
	t_eq "no HOME nor settings file named: the defaults hold" \
		"$(jq -r '.auth["ghcr.io"].password' <<<"$OUT" 2>/dev/null)" "$ENV_TOKEN"
	t_check "samples: ghcr-settings.json is settings the helper takes" \
		bash -c 'CREDKIT_CONFIG=$1 "$2" doctor >/dev/null 2>&1' _ "$SAMPLES/ghcr-settings.json" \
		"$HELPER"
}

part_sources() {
	use_stub
	config
	drive ghcr.io/owner/app
	t_eq "sources: none has a token: the driver gets exit 1" "$RC" 1
	t_check "sources: ... with the helper's reason" \
		grep -q 'docker-credential-ghcr: no credentials for ghcr.io (image ghcr.io/owner/app)' \
		<<<"$ERR"
	t_eq "sources: gh is not run on a node, though it has a token" "$(runs)" 0

	with_env GH_TOKEN "$ENV_TOKEN"
	t_answer "sources: env: GH_TOKEN from the provider config's env" ghcr.io/owner/app \
		"0 x-access-token $ENV_TOKEN null"
	with_env GITHUB_ACTOR octocat
	t_answer "sources: env: GITHUB_ACTOR of the config's env is the username" \
		ghcr.io/owner/app "0 octocat $ENV_TOKEN null"
	config
	with_env GH_ENTERPRISE_TOKEN "$GHE_TOKEN"
	settings '{"ghcr": {"hosts": {"containers.ghe.example.com": {"github": "ghe.example.com"}}}}'
	t_answer "sources: env: GH_ENTERPRISE_TOKEN for the Enterprise host" \
		containers.ghe.example.com/owner/app "0 x-access-token $GHE_TOKEN null"

	config
	umask 077
	printf '%s\n' "$FILE_TOKEN" >"$TMP/ghcr-token"
	printf '%s\n' "$GHE_TOKEN" >"$TMP/ghe-token"
	settings "{\"ghcr\": {\"token_file\": \"$TMP/ghcr-token\", \"hosts\":
		{\"containers.ghe.example.com\": {\"github\": \"ghe.example.com\",
		 \"token_file\": \"$TMP/ghe-token\"}}}}"
	t_answer "sources: file: the settings' token_file" ghcr.io/owner/app \
		"0 x-access-token $FILE_TOKEN null"
	t_answer "sources: file: the Enterprise host's own token_file" \
		containers.ghe.example.com/owner/app "0 x-access-token $GHE_TOKEN null"
	chmod 644 "$TMP/ghcr-token"
	drive ghcr.io/owner/app
	t_eq "sources: file: one others may read is refused" "$RC" 1
	t_check "sources: ... saying why" grep -q 'ghcr-token.*\(group\|others\)' <<<"$ERR"
	chmod 600 "$TMP/ghcr-token"

	printf '{"ServerURL":"ghcr.io","Username":"admin","Secret":"%s"}' "$STORED_TOKEN" |
		"$HELPER" store
	t_answer "sources: store: an admin's docker-credential-ghcr store comes first" \
		ghcr.io/owner/app "0 admin $STORED_TOKEN null"
	t_eq "sources: gh was never run" "$(runs)" 0
}

part_setting() {
	use_stub
	config
	settings '{"ghcr": {"kubelet_sources": ["gh"]}}'
	drive ghcr.io/owner/app
	t_eq "setting: kubelet_sources [gh]: gh's token" "$(answer | cut -d' ' -f1-3)" \
		"0 x-access-token $STUB_TOKEN"
	t_eq "setting: ... gh ran once, for github.com" "$(cat "$STUB_LOG")" \
		"auth token --hostname github.com"

	: >"$STUB_LOG"
	settings '{"ghcr": {"sources": ["gh"]}}'
	drive ghcr.io/owner/app
	t_eq "setting: docker's sources [gh] leave a kubelet's alone" "$RC $(runs)" "1 0"

	settings "{\"ghcr\": {\"token_file\": \"$TMP/none\", \"hosts\":
		{\"containers.ghe.example.com\": {\"github\": \"ghe.example.com\",
		 \"kubelet_sources\": [\"gh\"]}}}}"
	drive ghcr.io/owner/app
	t_eq "setting: per host: ghcr.io keeps the default, no gh" "$RC $(runs)" "1 0"
	drive containers.ghe.example.com/owner/app
	t_eq "setting: per host: the Enterprise host's [gh] runs gh for its GitHub host" \
		"$(answer | cut -d' ' -f1-3) $(cat "$STUB_LOG")" \
		"0 x-access-token $STUB_TOKEN auth token --hostname ghe.example.com"

	config
	with_env GH_TOKEN "$ENV_TOKEN"
	settings '{"ghcr": {"kubelet_sources": ["file", "env"]}}'
	t_answer "setting: [file, env] without a token file: env" ghcr.io/owner/app \
		"0 x-access-token $ENV_TOKEN null"
	settings '{"ghcr": {"kubelet_sources": []}}'
	drive ghcr.io/owner/app
	t_eq "setting: [] asks nothing" "$RC" 1
	settings '{"ghcr": {"kubelet_sources": ["env", "env"]}}'
	drive ghcr.io/owner/app
	t_check "setting: a repeated source is an error that says so" \
		grep -q '"kubelet_sources" of "ghcr" must be a list of distinct names' <<<"$ERR"
	settings '{"ghcr": {"kubelet_sources": "env"}}'
	drive ghcr.io/owner/app
	t_check "setting: not a list: the same error" \
		grep -q '"kubelet_sources" of "ghcr" must be a list' <<<"$ERR"
}

part_versions() {
	local v
	for v in v1 v1beta1; do
		config "s|$API/v1\$|$API/$v|"
		with_env GH_TOKEN "$ENV_TOKEN"
		drive ghcr.io/owner/app
		t_eq "versions: $v answered in $v, cacheKeyType Registry, auth keyed ghcr.io" \
			"$RC $(jq -r '[.apiVersion, .cacheKeyType, (.auth | keys[])] | join(" ")' \
				<<<"$OUT")" "0 $API/$v Registry ghcr.io"
	done
	config "s|$API/v1\$|$API/v1alpha1|"
	with_env GH_TOKEN "$ENV_TOKEN"
	drive ghcr.io/owner/app
	t_eq "versions: v1alpha1 (which the kubelet still speaks) is refused" "$RC" 1
	t_check "versions: ... saying which versions it answers" \
		grep -q "docker-credential-ghcr: .*v1alpha1" <<<"$ERR"

	# The golden pairs, byte for byte (test_kubelet renders them too).
	for v in v1 v1beta1; do
		GH_TOKEN=fake-ghcr-node-token "$HELPER" get-credentials \
			<"$GOLDEN/$v-ghcr-node.request" >"$TMP/got" 2>"$TMP/err"
		t_check "versions: golden/$v-ghcr-node: the helper's answer, byte for byte" \
			cmp -s "$TMP/got" "$GOLDEN/$v-ghcr-node.response"
	done

	export GH_TOKEN=$ENV_TOKEN
	refused "versions: another apiVersion" "v2" \
		"$(request "$API/v2" ghcr.io/owner/app)"
	refused "versions: another kind" "kind" \
		'{"kind":"CredentialProviderResponse","apiVersion":"'$API'/v1","image":"ghcr.io/o/a"}'
	refused "versions: malformed JSON" "." '{"kind":'
	refused "versions: docker.io is not GitHub's" "no credentials for docker.io" \
		"$(request "$API/v1" docker.io/library/alpine)"
	refused "versions: nor a host that only looks like ghcr.io" \
		"no credentials for ghcr.io.example.com" \
		"$(request "$API/v1" ghcr.io.example.com/owner/app)"
}

part_cache() {
	local first second
	use_stub
	config
	settings '{"ghcr": {"kubelet_sources": ["gh"], "gh_cache_seconds": 60}}'
	drive ghcr.io/owner/app
	first=$(seconds)
	t_eq "cache: gh's answer: cacheKeyType Registry" "$RC $(jq -r .cacheKeyType <<<"$OUT")" \
		"0 Registry"
	# Up to 10 s for a loaded machine between the mint and the answer.
	t_check "cache: cacheDuration is gh_cache_seconds, our cache's time ($first s)" \
		test "$first" -le 60 -a "$first" -ge 50
	sleep 2
	drive ghcr.io/owner/app
	second=$(seconds)
	t_eq "cache: the next request answers from our cache" "$RC $(runs)" "0 1"
	t_check "cache: ... its cacheDuration what is left of it ($second s < $first s)" \
		test "$second" -lt "$first" -a "$second" -ge 40
	t_eq "cache: a docker get shares the cached token" \
		"$(printf ghcr.io | CREDKIT_STORE=keyctl "$HELPER" get 2>/dev/null | jq -r .Secret) $(runs)" \
		"$STUB_TOKEN 1"

	settings '{"ghcr": {"kubelet_sources": ["gh"], "gh_cache_seconds": 0}}'
	drive ghcr.io/owner/app
	t_eq "cache: gh_cache_seconds 0: gh runs, and no cacheDuration (the config's default)" \
		"$(answer | cut -d' ' -f1,4) $(runs)" "0 null 2"

	# A copy of the front in the kubelet's folder has no minter beside it.
	rm "$TMP/kbin/docker-credential-ghcr"
	cp "$HELPER" "$TMP/kbin/docker-credential-ghcr"
	settings '{"ghcr": {"kubelet_sources": ["gh"], "gh_cache_seconds": 60}}'
	"$HELPER" erase <<<ghcr.io 2>/dev/null
	drive ghcr.io/owner/app
	t_eq "cache: a copy, not a link, in the bin folder: no minter, exit 1" "$RC" 1
	t_check "cache: ... saying where it looked" grep -q 'libexec/credkit/docker-credential-ghcr-mint' \
		<<<"$ERR"
	with_env CREDKIT_GHCR_MINT "$(dirname "$BIN")/libexec/credkit/docker-credential-ghcr-mint"
	drive ghcr.io/owner/app
	t_eq "cache: ... CREDKIT_GHCR_MINT in the config's env finds it" "$(answer | cut -d' ' -f1,3)" \
		"0 $STUB_TOKEN"
}

part_flight() {
	local i
	use_stub
	settings '{"ghcr": {"kubelet_sources": ["gh"]}}'
	export STUB_SLEEP=0.3
	request "$API/v1" ghcr.io/owner/app >"$TMP/request"
	for i in $(seq 20); do
		timeout 30 "$TMP/kbin/docker-credential-ghcr" get-credentials <"$TMP/request" \
			>"$TMP/out.$i" 2>"$TMP/err.$i" &
	done
	wait
	t_eq "flight: 20 parallel requests run gh once" "$(runs)" 1
	t_eq "flight: ... and all 20 have its token" \
		"$(cat "$TMP"/out.* | jq -r '.auth["ghcr.io"].password' | sort | uniq -c | sed 's/^ *//')" \
		"20 $STUB_TOKEN"
	t_eq "flight: ... with nothing on stderr" "$(cat "$TMP"/err.*)" ""
}

run_part() {
	local part=$1
	ghcr_part_env "$part"
	mkdir -p "$TMP/kbin"
	# The kubelet's folder of programs: a link to the installed helper.
	ln -s "$HELPER" "$TMP/kbin/docker-credential-ghcr"
	settings '{}'
	echo "# $part"
	"part_$part"
}

main() { t_parts "$SELF" "$HELPER" "keyctl jq python3" "$@"; }

main "$@"
