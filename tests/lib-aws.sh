# SPDX-License-Identifier: MIT
# tests/lib-aws.sh - a local fake AWS (tests/tools/aws-mock.py) for tests
# and benchmarks.  Source it (bash), then:
#
#   aws_mock_start DIR  makes a test CA and a server certificate for
#                       127.0.0.1 and the real AWS names the tests use, starts
#                       the mock, waits (at most 10 s) for its ports, and
#                       exports MOCK_DIR, MOCK_HTTPS_PORT, MOCK_HTTP_PORT,
#                       MOCK_PROXY_PORT, MOCK_URL (https://127.0.0.1:PORT),
#                       MOCK_HTTP_URL, MOCK_PROXY (http://127.0.0.1:PORT) and
#                       AWS_CA_BUNDLE; and the fake identities MOCK_ENV_KEY_ID
#                       / MOCK_ENV_SECRET, MOCK_PROFILE_KEY_ID / _SECRET,
#                       MOCK_PROCESS_KEY_ID / _SECRET, MOCK_SOURCE_KEY_ID /
#                       _SECRET
#   aws_mock_env        points every AWS endpoint override at the mock and
#                       unsets the AWS credentials and proxies a shell may
#                       carry
#   aws_mock_set JSON   merges JSON into the mock's settings (see the mock)
#   aws_mock_reset      back to the defaults, counters at zero
#   aws_mock_calls [S]  how many calls reached service S (ecr, ecr-public,
#                       sts, sso, imds, container, connect, bad_signature);
#                       without S, the whole JSON
#   aws_mock_gave_up S  how long (ms) the last client left waiting on S's
#                       "hang" took to give up and close, or nothing
#   aws_mock_stop       stops it (safe to call twice)
#   aws_jwt ISS SUB IAT [AUD]
#                       a projected service account token as the kubelet
#                       writes it (audience pods.eks.amazonaws.com unless
#                       AUD), unsigned: credkit reads its claims without
#                       verifying
#   aws_suite SELF HELPER PARTS [PART]
#                       a suite of parts (functions part_NAME) against the
#                       mock: with PART, that part alone in this process (how
#                       SELF calls itself); else the mock started and each
#                       part run by SELF in a session keyring of its own,
#                       through what the suite's aws_part_wrap PART prints
#                       (a command to run it under), if it has one
#
# Only 127.0.0.1 is ever used; every wait is bounded.

# shellcheck shell=bash
# shellcheck source=tests/lib.sh
command -v t_stop_process >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
AWS_MOCK_PYTHON=${AWS_MOCK_PYTHON:-/usr/bin/python3}

MOCK_ENV_KEY_ID=AKIDENVEXAMPLE0001
MOCK_ENV_SECRET=envSecretKeyExample0000000000000000000001
MOCK_PROFILE_KEY_ID=AKIDPROFILEXAMPLE02
MOCK_PROFILE_SECRET=profileSecretKeyExample00000000000000002
MOCK_PROCESS_KEY_ID=AKIDPROCESSEXAMPLE3
MOCK_PROCESS_SECRET=processSecretKeyExample00000000000000003
MOCK_SOURCE_KEY_ID=AKIDSOURCEEXAMPLE04
MOCK_SOURCE_SECRET=sourceSecretKeyExample000000000000000004
export MOCK_ENV_KEY_ID MOCK_ENV_SECRET MOCK_PROFILE_KEY_ID MOCK_PROFILE_SECRET \
	MOCK_PROCESS_KEY_ID MOCK_PROCESS_SECRET MOCK_SOURCE_KEY_ID MOCK_SOURCE_SECRET

aws_mock_err() { printf 'aws-mock: %s\n' "$*" >&2; return 1; }

# aws_mock_certs DIR: ca.crt, server.crt and server.key in DIR.
aws_mock_certs() {
	local dir=$1 names n=1 name
	names="IP.1 = 127.0.0.1
DNS.1 = localhost"
	for name in api.ecr.us-east-1.amazonaws.com api.ecr.eu-west-1.amazonaws.com \
		api.ecr.us-west-2.amazonaws.com api.ecr-public.us-east-1.amazonaws.com \
		sts.amazonaws.com sts.us-east-1.amazonaws.com sts.eu-west-1.amazonaws.com \
		sts.us-west-2.amazonaws.com portal.sso.us-east-1.amazonaws.com \
		ecr-fips.us-east-1.amazonaws.com api.ecr.cn-north-1.amazonaws.com.cn \
		sts.us-iso-east-1.c2s.ic.gov api.ecr.us-iso-east-1.c2s.ic.gov \
		portal.sso.us-iso-east-1.c2s.ic.gov; do
		n=$((n + 1))
		names+=$'\n'"DNS.$n = $name"
	done
	printf 'basicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectAltName = @names\n[names]\n%s\n' \
		"$names" >"$dir/server.ext"
	{
		openssl req -x509 -new -nodes -days 2 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-keyout "$dir/ca.key" -out "$dir/ca.crt" -subj "/CN=credkit test AWS CA" &&
		openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=aws-mock" &&
		openssl x509 -req -days 2 -in "$dir/server.csr" -CA "$dir/ca.crt" \
			-CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
			-extfile "$dir/server.ext" -out "$dir/server.crt"
	} >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; return 1; }
}

aws_mock_start() {
	local dir=${1:?usage: aws_mock_start DIR} i
	command -v openssl >/dev/null || aws_mock_err "openssl not found (run tests/deps.sh)" || return 1
	"$AWS_MOCK_PYTHON" -c 'import botocore.auth' 2>/dev/null ||
		aws_mock_err "$AWS_MOCK_PYTHON has no botocore (apt-get install python3-botocore)" || return 1
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	aws_mock_certs "$dir" || return 1
	rm -f "$dir/ports"
	: >"$dir/calls.log"
	"$AWS_MOCK_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/tools/aws-mock.py" --dir "$dir" \
		</dev/null >"$dir/mock.log" 2>&1 &
	AWS_MOCK_PID=$!
	for i in $(seq 100); do
		[ -s "$dir/ports" ] && break
		kill -0 "$AWS_MOCK_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$dir/ports" ] || {
		cat "$dir/mock.log" >&2
		aws_mock_stop
		aws_mock_err "the mock did not start within 10 s"
		return 1
	}
	read -r MOCK_HTTPS_PORT MOCK_HTTP_PORT MOCK_PROXY_PORT <"$dir/ports"
	export MOCK_DIR=$dir MOCK_HTTPS_PORT MOCK_HTTP_PORT MOCK_PROXY_PORT \
		MOCK_URL=https://127.0.0.1:$MOCK_HTTPS_PORT \
		MOCK_HTTP_URL=http://127.0.0.1:$MOCK_HTTP_PORT \
		MOCK_PROXY=http://127.0.0.1:$MOCK_PROXY_PORT \
		AWS_CA_BUNDLE=$dir/ca.crt AWS_MOCK_PID
}

aws_mock_env() {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
		AWS_DEFAULT_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN \
		AWS_ROLE_SESSION_NAME AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
		AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
		AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_EC2_METADATA_DISABLED \
		AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_REGION AWS_DEFAULT_REGION \
		AWS_ENDPOINT_URL HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY \
		all_proxy NO_PROXY no_proxy SSL_CERT_FILE SSL_CERT_DIR
	export AWS_ENDPOINT_URL_ECR=$MOCK_URL AWS_ENDPOINT_URL_ECR_PUBLIC=$MOCK_URL \
		AWS_ENDPOINT_URL_STS=$MOCK_URL AWS_ENDPOINT_URL_SSO=$MOCK_URL \
		AWS_EC2_METADATA_SERVICE_ENDPOINT=$MOCK_HTTP_URL
}

# aws_mock_post PATH [JSON]
aws_mock_post() {
	curl -sf --noproxy '*' --max-time 10 --cacert "$MOCK_DIR/ca.crt" -X POST \
		--data-binary "${2:-{\}}" "https://127.0.0.1:$MOCK_HTTPS_PORT$1" >/dev/null ||
		aws_mock_err "POST $1 failed"
}

aws_mock_set() { aws_mock_post /__mock/set "$1"; }
aws_mock_reset() { aws_mock_post /__mock/reset; }

aws_mock_calls() {
	local json
	json=$(curl -sf --noproxy '*' --max-time 10 --cacert "$MOCK_DIR/ca.crt" \
		"https://127.0.0.1:$MOCK_HTTPS_PORT/__mock/calls") || {
		aws_mock_err "GET /__mock/calls failed"; return 1; }
	if [ $# -eq 0 ]; then
		printf '%s\n' "$json"
	else
		"$AWS_MOCK_PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' \
			"$json" "$1"
	fi
}

aws_mock_gave_up() {
	aws_mock_calls | "$AWS_MOCK_PYTHON" -c \
		'import json, sys; print(json.load(sys.stdin)["gave_up_ms"].get(sys.argv[1], ""))' "$1"
}

aws_mock_stop() {
	[ -n "${AWS_MOCK_PID:-}" ] || return 0
	t_stop_process "$AWS_MOCK_PID"
	AWS_MOCK_PID=
}

aws_jwt() {
	local h p
	h=$(printf '{"alg":"RS256","kid":"k1"}' | base64 -w0 | tr '+/' '-_' | tr -d '=')
	p=$(printf '{"aud":["%s"],"exp":%s,"iat":%s,"iss":"%s","sub":"%s"}' \
		"${4:-pods.eks.amazonaws.com}" "$(($3 + 86400))" "$3" "$1" "$2" |
		base64 -w0 | tr '+/' '-_' | tr -d '=')
	printf '%s.%s.sig%s' "$h" "$p" "$3"
}

# aws_part PART: part_PART in this process (already in a session keyring),
# with a HOME, XDG_RUNTIME_DIR, settings file and keyring of its own, the
# mock reset and its logs emptied.
aws_part() {
	local part=$1
	# The parts ask again at once after a failure, on purpose.
	export CREDKIT_TOKEN_FAIL_CACHE_MS=0
	export HOME=$TMP/home-$part XDG_RUNTIME_DIR=$TMP/run-$part \
		CREDKIT_CONFIG=$TMP/config-$part.json CREDKIT_KEYRING=session
	mkdir -p "$HOME" && mkdir -m 700 -p "$XDG_RUNTIME_DIR"
	aws_mock_reset
	: >"$MOCK_DIR/calls.log"
	: >"$MOCK_DIR/sts.log"
	echo "# $part"
	"part_$part"
}

aws_suite() {
	local self=$1 helper=$2 parts=$3 part wrap
	t_tmpdir
	if [ $# -ge 4 ]; then
		# The mock's state was handed over in the environment.
		aws_part "$4"
		t_done
		exit
	fi
	echo "# helper: $helper"
	if [ ! -x "$helper" ]; then
		t_fail "$helper is built"
		exit 1
	fi
	aws_mock_start "$TMP/mock" || { t_fail "the AWS mock starts"; exit 1; }
	T_CLEANUP_HOOK=aws_mock_stop
	aws_mock_env
	for part in $parts; do
		wrap=()
		if declare -F aws_part_wrap >/dev/null; then
			read -ra wrap <<<"$(aws_part_wrap "$part")"
		fi
		keyctl session - "${wrap[@]}" bash "$self" "$part" \
			2> >(grep -v '^Joined session keyring:\|Failed to set fd limit' >&2) ||
			T_FAILED=$((T_FAILED + 1))
	done
	t_done
}
