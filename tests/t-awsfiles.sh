#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-awsfiles.sh - docker-credential-ecr-login reads each shared AWS
# file (~/.aws/config and ~/.aws/credentials, or AWS_CONFIG_FILE and
# AWS_SHARED_CREDENTIALS_FILE) from disk once per process, however many
# profiles, keys and steps of the chain it looks at.
#
# Each program is run under `strace -ff -e trace=openat` and the opens of
# each file are counted per process, against the local fake AWS
# (tests/lib-aws.sh), for one cached get (the front alone: the cache key's
# digest), one mint (the minter run by hand: the digest, the chain, the
# region) and one cold get (the front, then the minter: once in each).
# The profiles:
#
#   role     AWS_PROFILE=app: role_arn with a source_profile whose keys are
#            in the credentials file, region in the config file
#   process  files named by AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE,
#            [default] with a credential_process
#   sso      an sso-session profile (the config file's [sso-session NAME]
#            read beside the profile's section)
#   setting  the profile named in credkit's settings (aws_creds_profile)
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib-aws.sh
. "$here/lib-aws.sh"

BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
HELPER=$BIN/docker-credential-ecr-login
MINTER=$(dirname "$BIN")/libexec/credkit/docker-credential-ecr-login-mint
REG=123456789012.dkr.ecr.us-east-1.amazonaws.com
ROLE=arn:aws:iam::123456789012:role

if [ -z "${CREDKIT_AWSFILES_INSIDE:-}" ]; then
	t_tmpdir
	echo "# helper: $HELPER"
	if ! command -v strace >/dev/null || ! strace -qq -e trace=openat -o /dev/null true 2>/dev/null; then
		t_skip "shared files read once" "strace missing or not allowed to trace here"
		t_done
		exit
	fi
	aws_mock_start "$TMP/mock" >/dev/null || { t_fail "the AWS mock starts"; exit 1; }
	T_CLEANUP_HOOK=aws_mock_stop
	aws_mock_env
	# A session keyring of its own: the cached get finds what the mint put.
	CREDKIT_AWSFILES_INSIDE=1 keyctl session - bash "${BASH_SOURCE[0]}" \
		2> >(grep -v '^Joined session keyring:' >&2) || T_FAILED=$((T_FAILED + 1))
	t_done
	exit
fi
t_tmpdir

# traced NAME PROGRAM VERB: run PROGRAM VERB on $REG under strace, each
# process's opens and execs in $TMP/NAME/trace.PID; OUT its stdout, RC its
# status.
# LeakSanitizer cannot stop a process that strace traces: leaks are the
# other suites' to find.
traced() {
	rm -rf "${TMP:?}/$1" && mkdir "$TMP/$1"
	OUT=$(printf '%s' "$REG" | ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		timeout 20 strace -ff -qq -e trace=openat,execve -o "$TMP/$1/trace" "$2" "$3" 2>"$TMP/err")
	RC=$?
}

# answered: "token" when OUT is an answer with an ECR token of the mock.
answered() {
	case $OUT in
	*'"Username":"AWS","Secret":"ecrpw-'*) printf token ;;
	*) printf 'no token: %s' "$OUT" ;;
	esac
}

# opens NAME FILE: how many times each program traced opened FILE, those
# that did not left out ("1 1": two programs, once each).  A program is
# what one process ran between two execs: the front execs the minter.
opens() {
	awk -v want="openat(AT_FDCWD, \"$2\"" '
		function flush() { if (n) { printf "%s%d", sep, n; sep = " " } n = 0 }
		FNR == 1 { flush() }
		/^execve\(/ && / = 0$/ { flush() }
		index($0, want) == 1 { n++ }
		END { flush() }' "$TMP/$1"/trace.*
}

# check NAME CONF CREDS: a mint, a cached get and a cold get each answer,
# and each program opens CONF and CREDS once.
check() {
	local name=$1 conf=$2 creds=$3 ecr0
	ecr0=$(aws_mock_calls ecr)
	traced mint "$MINTER" get
	t_eq "$name: the mint answers" "$RC $(answered) $(aws_mock_calls ecr)" \
		"0 token $((ecr0 + 1))"
	[ "$RC" -eq 0 ] || sed 's/^/#   /' "$TMP/err"
	t_eq "$name: a mint reads the config file once" "$(opens mint "$conf")" 1
	t_eq "$name: a mint reads the credentials file once" "$(opens mint "$creds")" 1

	traced cached "$HELPER" get
	t_eq "$name: the cached get answers with no call" \
		"$RC $(answered) $(aws_mock_calls ecr)" "0 token $((ecr0 + 1))"
	t_eq "$name: a cached get reads the config file once" "$(opens cached "$conf")" 1
	t_eq "$name: a cached get reads the credentials file once" "$(opens cached "$creds")" 1

	printf '%s' "$REG" | "$HELPER" erase
	traced cold "$HELPER" get
	t_eq "$name: the cold get mints" "$RC $(answered) $(aws_mock_calls ecr)" \
		"0 token $((ecr0 + 2))"
	t_eq "$name: a cold get reads the config file once in the front, once in the minter" \
		"$(opens cold "$conf")" "1 1"
	t_eq "$name: a cold get reads the credentials file once in the front, once in the minter" \
		"$(opens cold "$creds")" "1 1"
	printf '%s' "$REG" | "$HELPER" erase
}

export HOME=$TMP/home XDG_RUNTIME_DIR=$TMP/run CREDKIT_KEYRING=session \
	CREDKIT_CONFIG=$TMP/settings.json AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME/.aws" && mkdir -m 700 "$XDG_RUNTIME_DIR"
printf '{}\n' >"$CREDKIT_CONFIG"
aws_mock_reset

# role: two profiles, each in both files, and the region.
cat >"$HOME/.aws/config" <<EOF
[profile app]
role_arn = $ROLE/app
source_profile = base
region = us-east-1
[profile base]
region = us-east-1
EOF
printf '[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$MOCK_SOURCE_KEY_ID" "$MOCK_SOURCE_SECRET" >"$HOME/.aws/credentials"
(
	export AWS_PROFILE=app
	check role "$HOME/.aws/config" "$HOME/.aws/credentials"
)
t_eq "role: STS was called for each mint" "$(aws_mock_calls sts)" 2

# setting: the same profile, named in credkit's settings.
printf '{"ecr": {"profile": "app"}}\n' >"$CREDKIT_CONFIG"
check setting "$HOME/.aws/config" "$HOME/.aws/credentials"
printf '{}\n' >"$CREDKIT_CONFIG"

# process: the files the environment names, and a credential_process.
cat >"$TMP/process" <<EOF
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' \\
	"$MOCK_PROCESS_KEY_ID" "$MOCK_PROCESS_SECRET"
EOF
chmod +x "$TMP/process"
printf '[default]\nregion = us-east-1\n' >"$TMP/conf"
printf '[default]\ncredential_process = %s\n' "$TMP/process" >"$TMP/creds"
(
	export AWS_CONFIG_FILE=$TMP/conf AWS_SHARED_CREDENTIALS_FILE=$TMP/creds
	check process "$TMP/conf" "$TMP/creds"
	t_eq "process: signed with its keys" \
		"$(awk '$1 == "ecr" { k = $3 } END { print k }' "$MOCK_DIR/calls.log")" \
		"$MOCK_PROCESS_KEY_ID"
)

# sso: the profile's section and its sso-session's, which comes first.
later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
cat >"$HOME/.aws/config" <<EOF
[sso-session corp]
sso_region = us-east-1
sso_start_url = https://corp.awsapps.com/start

[profile dev]
sso_role_name = ECRPull
sso_account_id = 123456789012
sso_session = corp
EOF
: >"$HOME/.aws/credentials"
mkdir -p "$HOME/.aws/sso/cache"
printf '{"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "sso-bearer-corp", "expiresAt": "%s"}\n' \
	"$later" >"$HOME/.aws/sso/cache/$(printf corp | sha1sum | cut -d' ' -f1).json"
aws_mock_set '{"sso_tokens": ["sso-bearer-corp"]}'
(
	export AWS_PROFILE=dev
	check sso "$HOME/.aws/config" "$HOME/.aws/credentials"
)
t_eq "sso: the portal was called for each mint" "$(aws_mock_calls sso)" 2
t_eq "every signature was right" "$(aws_mock_calls bad_signature)" 0
t_done
