#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-secrecy.sh - secrets stay secret: where every helper puts them,
# seen by strace, and no core dump while one is held.
#
#   bash tests/t-secrecy.sh
#
# Every verb of every helper (store, get, erase, list, version, --help,
# doctor, doctor --online, configure, and the token helpers' kubelet mode)
# runs under
#
#   strace -f -ff -v -yy -s 1048576 -e trace=execve,execveat,write,writev,
#          pwrite64,pwritev,pwritev2,sendto,sendmsg,sendmmsg,add_key,keyctl
#          (and pipe, pipe2, dup2, dup3, clone, clone3, fork, vfork: to
#          know what a pipe joins)
#
# (each credkit program must make itself undumpable, with no core size,
# before anything else traced: prctl, prlimit64, setrlimit are traced too)
# with marker secrets planted (a password, a token file's, gh's token in
# hosts.yml and a stub gh's, GH_TOKEN, AWS secret keys and session tokens
# (the env's, temporary keys from the mock's container endpoint),
# ECR's and STS's answers, a kubelet's service account token), and
# tests/tools/secrecy-check.py says where each went: never in an argv,
# never in a child's environment (but the minting program's, which the
# front execs with the environment it was given), never written to a
# file, terminal, socket or pipe that leaves the traced tree.  Allowed,
# and named by each case: the one stdout line of a get (checked to be one
# line), a credkit program writing to a pipe on the stdin of the program
# the design hands the secret to (the store's helper, `pass insert`, the
# minting program), a helper answering its client on its stdout pipe,
# pass's, gpg's and gh's own pipes, and secretservice on the session bus
# in a plain session (CREDKIT_SECRETSERVICE_SESSION=dh: nowhere).
#
#   keyctl secretservice pass   store (and two refused: a secret in
#             JSON of the wrong type, and cut short), get, list, erase,
#             version, --help, doctor, doctor --online, configure
#             --migrate (a base64 login moved into the store)
#   ecr       the env's keys and session token, a credential_process's,
#             an assumed role's (STS's session token), the container
#             endpoint's (its token sent to it over http), cold and cached;
#             store, list, erase, version, --help, doctor, doctor
#             --online, configure; get-credentials with a service
#             account's token (STS with a web identity)
#   ghcr      a docker login kept in the keyctl store, GH_TOKEN, a token
#             file, a stub gh, the real gh reading hosts.yml; store, list,
#             erase, version, --help, doctor, doctor --online (no API
#             reachable), configure; get-credentials
#   errors    sources that give a secret in a wrong answer: a
#             credential_process's JSON of the wrong version, cut short or
#             of a wrong type; a credentials file's broken lines; a
#             kubelet's request refused or cut short in its service
#             account's token; gh printing words or two lines, or its
#             token and failing; a token file with words, or readable by
#             others: one line of error, the secret nowhere.  What a child
#             says on its stderr is its own and is quoted as it is.
#   dumpable  a helper holding a secret (a store's secret half read; a
#             get's answer blocked on a full stdout; each minting program
#             waiting on its credential_process or gh; the kubelet mode
#             holding a request with a service account's token) has core
#             size 0 in /proc/PID/limits and is not dumpable: run as
#             nobody (setpriv) when we are root, its /proc/PID/environ is
#             root's, which the kernel does only for an undumpable process
#
# A key's name in the kernel keyring must hold no secret (/proc/keys shows
# it to every process of the user); its payload may: the keyring is
# keyctl's store and the token cache.  Not looked for: reads (a secret
# coming in is no leak), and what TLS carries (a session token in
# X-Amz-Security-Token, gh's token to the API): a marker on a socket would
# show a plain-text connection.
#
# Bounded: each traced call has 60 s (timeout); the suite takes about
# 15 s alone, 20-30 s on a loaded 2-core machine.  The sanitizer run
# skips it: the same code writes the same bytes, LeakSanitizer cannot
# stop a process that strace traces, and a sanitizer build stays dumpable
# on purpose (LeakSanitizer ptraces itself; see common/secret.c), so it
# would only double the suite's time.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib-aws.sh
. "$here/lib-aws.sh"

case "${CREDKIT_BIN:-}" in
*build/asan/bin | *build/asan/bin/)
	echo "ok - secrecy # SKIP checked once, in the non-sanitizer run"
	exit 0 ;;
esac

SELF=$here/t-secrecy.sh
PARTS="keyctl pass secretservice ecr ghcr errors dumpable"
BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
LIBEXEC=$BIN/../libexec/credkit
CHECK=$here/tools/secrecy-check.py
TRACED=execve,execveat,write,writev,pwrite64,pwritev,pwritev2,sendto,sendmsg,sendmmsg
TRACED=$TRACED,add_key,keyctl,prctl,prlimit64,setrlimit,pipe,pipe2,dup2,dup3,clone,clone3,fork,vfork

# The marker secrets: made up, each unlike anything else a run writes.
PW=credkitMarkerPassword0001
PW2=credkitMarkerPassword0002
GH_ENV=ghp_credkitMarkerEnvToken0000000000000003
GH_FILE=ghp_credkitMarkerFileToken000000000000004
GH_STUB=gho_credkitMarkerStubGhToken0000000000005
GH_HOSTS=gho_credkitMarkerHostsYmlToken00000000006
GH_LOGIN=ghp_credkitMarkerDockerLogin00000000000007
SA_TOKEN=credkitMarkerServiceAccountJwt0000000009
POD_TOKEN=credkitMarkerPodIdentityToken0000000010
# What the AWS mock hands out: ECR's passwords ("ecrpw-...", and the
# base64 of "AWS:ecrpw" that starts its authorizationToken) and STS's
# session tokens.
ECR_PW=ecrpw-
ECR_B64=$(printf 'AWS:ecrpw' | base64)
STS_TOKEN=FwoGZXIvYXdzE

b64() { printf '%s' "$1" | base64 -w0; }

REG=123456789012.dkr.ecr.us-east-1.amazonaws.com

# --- the tracing -----------------------------------------------------------------

# traced NAME INPUT CMD...: CMD under strace, INPUT on its stdin; its
# stdout in $TMP/NAME.out, stderr in $TMP/NAME.err, status in RC.
traced() {
	local name=$1 input=$2
	shift 2
	printf '%s' "$input" >"$TMP/$name.in"
	rm -f "$TMP/$name.log".*
	timeout 60 strace -f -ff -qq -v -yy -s 1048576 -o "$TMP/$name.log" -e trace="$TRACED" \
		-- "$@" <"$TMP/$name.in" >"$TMP/$name.out" 2>"$TMP/$name.err"
	RC=$?
}

# clean NAME WANT_RC [CHECK FLAGS...]: the traced call NAME ended WANT_RC
# and secrecy-check finds no marker where it may not be (the flags say what
# this call may do: --answer, --to PROGRAM, --bus, --env-to PROGRAM,
# --http-to ADDR).  With --answer, the answer must be seen written: the
# trace saw what the program wrote.
clean() {
	local name=$1 want=$2 got seen=1
	shift 2
	got=$(python3 "$CHECK" "$@" -- "$TMP/$name.log" $MARKERS 2>&1)
	case " $* " in
	*" --answer "*) grep -q '^allowed: .* (the answer)$' <<<"$got" || seen=0 ;;
	esac
	if [ "$RC" = "$want" ] && [ "${got##*$'\n'}" = clean ] && [ "$seen" = 1 ]; then
		t_ok "$PART: $name: no secret out of place (rc $RC$(allowed "$got"))"
	else
		t_fail "$PART: $name (rc $RC, want $want)"
		printf '%s\n' "$got" | sed 's/^/#   /' | tail -n 20
		head -c 600 "$TMP/$name.out" | sed 's/^/#   out: /'
		head -c 600 "$TMP/$name.err" | sed 's/^/#   err: /'
	fi
}

# allowed TEXT: ", allowed: ..." for the allowed lines of secrecy-check.
allowed() {
	local n
	n=$(grep -c '^allowed: ' <<<"$1")
	[ "$n" -gt 0 ] && printf '; %d allowed: %s' "$n" \
		"$(grep '^allowed: ' <<<"$1" | sed 's/.*(\(.*\))$/\1/' | sort -u | paste -sd, -)"
}

# answer NAME WANT: the traced get NAME printed WANT and that one line.
answer() {
	t_eq "$PART: $1: the answer is one line" "$(wc -l <"$TMP/$1.out") $(cat "$TMP/$1.out")" \
		"1 $2"
}

entry() {
	printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$1" "$2" "$3"
}

# kreq IMAGE REST: a kubelet's v1 request for IMAGE (JSON), then REST.
kreq() {
	printf '{"kind":"CredentialProviderRequest","apiVersion":"%s","image":%s%s' \
		credentialprovider.kubelet.k8s.io/v1 "$1" "$2"
}

# store_verbs HELPER [FLAGS...]: every verb of a storage helper, the flags
# given to the checks of the calls that carry the secret.
store_verbs() {
	local h=$BIN/docker-credential-$1 s=reg.secrecy.example
	shift
	traced store "$(entry "$s" user "$PW")" "$h" store
	clean store 0 "$@"
	# Refused input holding the secret: the error never quotes it.
	traced store-bad "{\"ServerURL\":\"$s\",\"Username\":7,\"Secret\":\"$PW\"}" "$h" store
	clean store-bad 1
	traced store-cut "{\"ServerURL\":\"$s\",\"Username\":\"u\",\"Secret\":\"$PW" "$h" store
	clean store-cut 1
	traced get "$s" "$h" get
	clean get 0 --answer "$TMP/get.out" "$@"
	answer get "$(entry "$s" user "$PW")"
	traced list "" "$h" list
	clean list 0 "$@"
	traced version "" "$h" version
	clean version 0
	traced help "" "$h" --help
	clean help 0
	traced doctor "" "$h" doctor
	clean doctor 0 "$@"
	traced doctor-online "" "$h" doctor --online
	clean doctor-online 0 "$@"
	traced erase "$s" "$h" erase
	clean erase 0 "$@"
	traced get-erased "$s" "$h" get
	clean get-erased 1
	# A base64 login in config.json, moved into the store.
	export DOCKER_CONFIG=$TMP/docker-$PART
	mkdir -p "$DOCKER_CONFIG"
	printf '{"auths": {"moved.secrecy.example": {"auth": "%s"}}}\n' \
		"$(b64 "mover:$PW2")" >"$DOCKER_CONFIG/config.json"
	chmod 600 "$DOCKER_CONFIG/config.json"
	traced configure "" "$h" configure --migrate
	clean configure 0 "$@"
	traced get-moved moved.secrecy.example "$h" get
	clean get-moved 0 --answer "$TMP/get-moved.out" "$@"
	answer get-moved "$(entry moved.secrecy.example mover "$PW2")"
	traced erase-moved moved.secrecy.example "$h" erase
	clean erase-moved 0 "$@"
}

# leaks PATTERN...: how many LEAK lines of $got end in each PATTERN.
leaks() {
	local p
	for p; do
		printf '%s ' "$(grep -c "^LEAK: .* $p\$" <<<"$got")"
	done | sed 's/ $//'
}

MARKERS="$PW $PW2 $(b64 "mover:$PW2") $(b64 "user:$PW")"

part_keyctl() {
	local got
	export CREDKIT_KEYRING=session
	# The check itself finds a secret in an argv, a child's environment,
	# on stderr, in a file and in a key's name.
	traced check "" sh -c 'printf %s "$1" >&2; printf %s "$1" >"$2"; env M="$1" true
		keyctl add user "$1" x @s >/dev/null' _ "$PW" "$TMP/file"
	got=$(python3 "$CHECK" -- "$TMP/check.log" $MARKERS)
	t_eq "$PART: the check finds a secret in an argv, an environment, on stderr, in a file, in a key's name" \
		"$(leaks "execs /usr/bin/env with .* in argv" "execs /usr/bin/true with .* in its environment" \
			"writes .* $TMP/check.err" "writes .* $TMP/file" "names a key with .*") ${got##*$'\n'}" \
		"1 1 1 1 1 6 findings"
	store_verbs keyctl
}

part_pass() {
	mkdir -p "$TMP/pass" && t_pass_store "$TMP/pass" || { t_fail "pass: a gpg key and a store"; return; }
	T_CLEANUP_HOOK='gpgconf --kill gpg-agent 2>/dev/null'
	# The agent runs before the trace, or strace would wait for it.
	gpg-connect-agent /bye >/dev/null 2>&1
	store_verbs pass --to pass
	# A token helper whose keyring seccomp refuses keeps its tokens in
	# pass, through the pass helper: ECR's password on their pipes alone.
	local seccomp=$TMP/seccomp-deny e=$BIN/docker-credential-ecr-login
	if ! t_seccomp_tool "$seccomp"; then
		t_skip "$PART: tokens in pass" "$T_SECCOMP_WHY"
		return
	fi
	export -n MOCK_ENV_SECRET MOCK_PROCESS_SECRET MOCK_SOURCE_SECRET
	MARKERS="$MARKERS $MOCK_ENV_SECRET $ECR_PW $ECR_B64"
	PART=pass-tokens
	(
		export CREDKIT_STORE=pass AWS_ACCESS_KEY_ID=$MOCK_ENV_KEY_ID \
			AWS_SECRET_ACCESS_KEY=$MOCK_ENV_SECRET
		local n
		for n in get-cold get-cached; do
			traced "$n" "$REG" "$seccomp" eperm "$e" get
			clean "$n" 0 --answer "$TMP/$n.out" --to docker-credential-pass --to pass \
				--env-to docker-credential-ecr-login --env-to docker-credential-ecr-login-mint
			t_check "$PART: $n: ECR's password, one line" grep -q \
				"^{\"ServerURL\":\"$REG\",\"Username\":\"AWS\",\"Secret\":\"$ECR_PW" "$TMP/$n.out"
		done
		traced erase "$REG" "$seccomp" eperm "$e" erase
		clean erase 0 --env-to docker-credential-ecr-login --env-to docker-credential-ecr-login-mint
	)
}

part_secretservice() {
	if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
		"$CREDKIT_ROOT/tests/with-keyring" bash "$SELF" secretservice
		return
	fi
	# A plain session (the default) sends the secret on the bus, to the
	# keyring: the bus is the store's way in.
	store_verbs secretservice --bus
	# An encrypted one: the secret is never on the bus as it is.
	export CREDKIT_SECRETSERVICE_SESSION=dh
	PART=secretservice-dh
	local s=dh.secrecy.example
	traced store "$(entry "$s" user "$PW")" "$BIN/docker-credential-secretservice" store
	clean store 0
	traced get "$s" "$BIN/docker-credential-secretservice" get
	clean get 0 --answer "$TMP/get.out"
	answer get "$(entry "$s" user "$PW")"
	traced erase "$s" "$BIN/docker-credential-secretservice" erase
	clean erase 0
}

# --- the token helpers ---------------------------------------------------------------

# ecr_get NAME: a get of REG, cold or not, checked; the answer is ECR's.
ecr_get() {
	traced "$1" "$REG" "$BIN/docker-credential-ecr-login" get
	clean "$1" 0 --answer "$TMP/$1.out" --env-to docker-credential-ecr-login-mint
	t_check "$PART: $1: ECR's password, one line" \
		grep -q "^{\"ServerURL\":\"$REG\",\"Username\":\"AWS\",\"Secret\":\"$ECR_PW" "$TMP/$1.out"
}

part_ecr() {
	local e=$BIN/docker-credential-ecr-login
	local key
	# lib-aws.sh exports the mock's keys: ours to plant, not every process's.
	export -n MOCK_ENV_SECRET MOCK_PROCESS_SECRET MOCK_SOURCE_SECRET
	# Temporary keys, as the container endpoint hands them out, for the env.
	key=$(curl -sf --max-time 10 "$MOCK_HTTP_URL/creds") ||
		{ t_fail "$PART: temporary keys from the mock"; return; }
	AWS_SESSION=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["Token"])' "$key")
	TEMP_SECRET=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["SecretAccessKey"])' "$key")
	MARKERS="$MOCK_ENV_SECRET $MOCK_PROCESS_SECRET $MOCK_SOURCE_SECRET $AWS_SESSION $TEMP_SECRET
		$ECR_PW $ECR_B64 $STS_TOKEN $SA_TOKEN $POD_TOKEN $PW"
	mkdir -p "$HOME/.aws"
	# The env's keys and session token.
	(
		export AWS_ACCESS_KEY_ID=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["AccessKeyId"])' "$key") \
			AWS_SECRET_ACCESS_KEY=$TEMP_SECRET AWS_SESSION_TOKEN=$AWS_SESSION
		ecr_get get-env-cold
		ecr_get get-env-cached
		traced list "" "$e" list
		clean list 0 --env-to docker-credential-ecr-login-mint
		traced doctor "" "$e" doctor
		clean doctor 0 --env-to docker-credential-ecr-login-mint
		traced doctor-online "" "$e" doctor --online
		clean doctor-online 0 --env-to docker-credential-ecr-login-mint
		traced erase "$REG" "$e" erase
		clean erase 0 --env-to docker-credential-ecr-login-mint
	)
	# A credential_process: its keys come on its stdout, our pipe.
	printf '#!/bin/sh\nprintf '\''{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}'\''\n' \
		"$MOCK_PROCESS_KEY_ID" "$MOCK_PROCESS_SECRET" >"$TMP/process"
	chmod +x "$TMP/process"
	printf '[profile tool]\ncredential_process = %s\n' "$TMP/process" >"$HOME/.aws/config"
	# An assumed role: STS's answer holds a session token.
	printf '[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n' \
		>>"$HOME/.aws/config"
	printf '[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$MOCK_SOURCE_KEY_ID" "$MOCK_SOURCE_SECRET" >"$HOME/.aws/credentials"
	(
		export AWS_PROFILE=tool
		ecr_get get-process
		traced erase-process "$REG" "$e" erase
		clean erase-process 0
	)
	(
		export AWS_PROFILE=app
		ecr_get get-assumed
		traced erase-assumed "$REG" "$e" erase
		clean erase-assumed 0
	)
	# The container endpoint (EKS Pod Identity): its token goes to it, as
	# AWS has it, over http on loopback.
	aws_mock_set "{\"container_token\": \"$POD_TOKEN\"}"
	(
		export AWS_CONTAINER_CREDENTIALS_FULL_URI=$MOCK_HTTP_URL/v1/credentials \
			AWS_CONTAINER_AUTHORIZATION_TOKEN=$POD_TOKEN AWS_CONFIG_FILE=$TMP/none \
			AWS_SHARED_CREDENTIALS_FILE=$TMP/none
		traced get-container "$REG" "$e" get
		clean get-container 0 --answer "$TMP/get-container.out" \
			--env-to docker-credential-ecr-login-mint --http-to "127.0.0.1:$MOCK_HTTP_PORT"
		t_check "$PART: get-container: ECR's password, one line" \
			grep -q "^{\"ServerURL\":\"$REG\",\"Username\":\"AWS\",\"Secret\":\"$ECR_PW" \
			"$TMP/get-container.out"
		traced erase-container "$REG" "$e" erase
		clean erase-container 0 --env-to docker-credential-ecr-login-mint
	)
	traced store "$(entry "$REG" AWS "$PW")" "$e" store
	clean store 0
	traced version "" "$e" version
	clean version 0
	traced help "" "$e" --help
	clean help 0
	export DOCKER_CONFIG=$TMP/docker-ecr
	traced configure "" "$e" configure "$REG"
	clean configure 0
	# A kubelet's request with a service account's token: STS's
	# AssumeRoleWithWebIdentity gets it, over TLS.
	aws_mock_set "{\"web_identity_tokens\": [\"$SA_TOKEN\"]}"
	traced get-credentials "$(kreq "\"$REG/app\"" ",\"serviceAccountToken\":\"$SA_TOKEN\",
		\"serviceAccountAnnotations\":{\"eks.amazonaws.com/ecr-role-arn\":
		\"arn:aws:iam::123456789012:role/pull\"}}")" "$e" get-credentials
	clean get-credentials 0 --answer "$TMP/get-credentials.out" \
		--to docker-credential-ecr-login-mint
	t_check "$PART: get-credentials: a v1 answer, one line" \
		grep -q '"kind":"CredentialProviderResponse"' "$TMP/get-credentials.out"
}

part_ghcr() {
	local g=$BIN/docker-credential-ghcr kind
	MARKERS="$GH_ENV $GH_FILE $GH_STUB $GH_HOSTS $GH_LOGIN"
	export CREDKIT_STORE=keyctl CREDKIT_KEYRING=session GH_CONFIG_DIR=$TMP/gh \
		CREDKIT_CONFIG=$TMP/ghcr.json PATH=$BIN:$PATH CREDKIT_TOKEN_FAIL_CACHE_MS=0
	unset GH_TOKEN GITHUB_TOKEN GH_ENTERPRISE_TOKEN GITHUB_ENTERPRISE_TOKEN GITHUB_ACTOR GH_HOST
	mkdir -p "$GH_CONFIG_DIR"
	# A docker login, kept by the keyctl helper: our pipe to its stdin.
	traced store "$(entry ghcr.io me "$GH_LOGIN")" "$g" store
	clean store 0 --to docker-credential-keyctl
	traced store-cut "{\"ServerURL\":\"ghcr.io\",\"Username\":\"me\",\"Secret\":\"$GH_LOGIN" \
		"$g" store
	clean store-cut 1
	traced get-login ghcr.io "$g" get
	clean get-login 0 --answer "$TMP/get-login.out"
	answer get-login "$(entry ghcr.io me "$GH_LOGIN")"
	traced erase-login ghcr.io "$g" erase
	clean erase-login 0
	# GH_TOKEN.
	(
		export GH_TOKEN=$GH_ENV
		traced get-env ghcr.io "$g" get
		clean get-env 0 --answer "$TMP/get-env.out"
		answer get-env "$(entry ghcr.io x-access-token "$GH_ENV")"
		traced doctor-env "" "$g" doctor
		clean doctor-env 0 --env-to docker-credential-ghcr-mint
	)
	# A token file.
	printf '%s\n' "$GH_FILE" >"$TMP/token"
	chmod 600 "$TMP/token"
	printf '{"ghcr": {"sources": ["file"], "token_file": "%s"}}\n' "$TMP/token" >"$CREDKIT_CONFIG"
	traced get-file ghcr.io "$g" get
	clean get-file 0 --answer "$TMP/get-file.out"
	answer get-file "$(entry ghcr.io x-access-token "$GH_FILE")"
	# The real gh, from hosts.yml, then a stub gh; each minted and cached.
	printf '{"ghcr": {"sources": ["gh"]}}\n' >"$CREDKIT_CONFIG"
	printf 'github.com:\n    oauth_token: %s\n    user: tester\n    git_protocol: https\n' \
		"$GH_HOSTS" >"$GH_CONFIG_DIR/hosts.yml"
	if command -v gh >/dev/null; then
		traced get-gh ghcr.io "$g" get
		clean get-gh 0 --answer "$TMP/get-gh.out" --env-to docker-credential-ghcr-mint
		answer get-gh "$(entry ghcr.io x-access-token "$GH_HOSTS")"
		traced get-gh-cached ghcr.io "$g" get
		clean get-gh-cached 0 --answer "$TMP/get-gh-cached.out"
		traced erase-gh ghcr.io "$g" erase
		clean erase-gh 0
	else
		t_skip "$PART: the real gh" "gh is not installed"
	fi
	mkdir -p "$TMP/stub"
	printf '#!/bin/sh\nprintf "%%s\\n" %s\n' "$GH_STUB" >"$TMP/stub/gh"
	chmod 755 "$TMP/stub/gh"
	(
		export PATH=$TMP/stub:$PATH
		traced get-stub ghcr.io "$g" get
		clean get-stub 0 --answer "$TMP/get-stub.out" --env-to docker-credential-ghcr-mint
		answer get-stub "$(entry ghcr.io x-access-token "$GH_STUB")"
		traced list "" "$g" list
		clean list 0
		traced doctor "" "$g" doctor
		clean doctor 0 --env-to docker-credential-ghcr-mint
		# No API to reach: whatever is sent goes nowhere, and is TLS.
		export HTTPS_PROXY=http://127.0.0.1:9 GITHUB_API_URL=https://127.0.0.1:9
		traced doctor-online "" "$g" doctor --online
		clean doctor-online 1 --env-to docker-credential-ghcr-mint
		unset HTTPS_PROXY GITHUB_API_URL
		# The kubelet's mode: its sources are store, env and file.
		printf '{"ghcr": {"kubelet_sources": ["file"], "token_file": "%s"}}\n' \
			"$TMP/token" >"$CREDKIT_CONFIG"
		traced get-credentials "$(kreq '"ghcr.io/o/app"' '}')" "$g" get-credentials
		clean get-credentials 0 --answer "$TMP/get-credentials.out" \
			--to docker-credential-ghcr-mint
		t_check "$PART: get-credentials: the file's token in a v1 answer" \
			grep -q "\"password\":\"$GH_FILE\"" "$TMP/get-credentials.out"
		traced erase ghcr.io "$g" erase
		clean erase 0
	)
	traced version "" "$g" version
	clean version 0
	traced help "" "$g" --help
	clean help 0
	export DOCKER_CONFIG=$TMP/docker-ghcr
	traced configure "" "$g" configure
	clean configure 0
}

# --- errors ------------------------------------------------------------------------

# bad_get NAME HELPER SERVER [FLAGS...]: a get that fails on what its
# source gave (holding a marker): one error line, no marker anywhere.
bad_get() {
	local name=$1 h=$2 server=$3
	shift 3
	traced "$name" "$server" "$h" get
	clean "$name" 1 "$@"
	t_eq "$PART: $name: one line of error" "$(wc -l <"$TMP/$name.out")" 1
}

part_errors() {
	local e=$BIN/docker-credential-ecr-login g=$BIN/docker-credential-ghcr
	export -n MOCK_ENV_SECRET MOCK_PROCESS_SECRET MOCK_SOURCE_SECRET
	MARKERS="$PW $PW2 $GH_STUB $GH_FILE $SA_TOKEN"
	export CREDKIT_KEYRING=session CREDKIT_STORE=keyctl GH_CONFIG_DIR=$TMP/gh
	mkdir -p "$HOME/.aws" "$TMP/stub" "$GH_CONFIG_DIR"
	# A credential_process that answers wrong, its secret in the answer.
	printf '[default]\ncredential_process = %s\n' "$TMP/process" >"$HOME/.aws/config"
	printf '#!/bin/sh\nprintf '\''{"Version": 2, "AccessKeyId": "AKIDX", "SecretAccessKey": "%s"}'\''\n' \
		"$PW" >"$TMP/process"
	chmod +x "$TMP/process"
	bad_get process-version "$e" "$REG" --env-to docker-credential-ecr-login-mint
	printf '#!/bin/sh\nprintf '\''{"Version": 1, "AccessKeyId": "AKIDX", "SecretAccessKey": "%s"'\''\n' \
		"$PW" >"$TMP/process"
	bad_get process-cut "$e" "$REG" --env-to docker-credential-ecr-login-mint
	printf '#!/bin/sh\nprintf '\''{"Version": 1, "AccessKeyId": 5, "SecretAccessKey": "%s"}'\''\n' \
		"$PW" >"$TMP/process"
	bad_get process-type "$e" "$REG" --env-to docker-credential-ecr-login-mint
	# One that fails: what it says on stderr is its own (not a secret we
	# hold), quoted in the error as it is.
	printf '#!/bin/sh\necho "cannot: no session" >&2; exit 3\n' >"$TMP/process"
	bad_get process-fails "$e" "$REG" --env-to docker-credential-ecr-login-mint
	# A credentials file with a broken line next to a secret.
	printf '[default]\naws_access_key_id = AKIDX\naws_secret_access_key %s\n' "$PW" \
		>"$HOME/.aws/credentials"
	printf '[default]\n' >"$HOME/.aws/config"
	bad_get credentials-file "$e" "$REG" --env-to docker-credential-ecr-login-mint
	printf '[default]\naws_access_key_id = AKIDX\n  aws_secret_access_key = %s\n[x\n' "$PW" \
		>"$HOME/.aws/credentials"
	bad_get credentials-file-section "$e" "$REG" --env-to docker-credential-ecr-login-mint
	# A kubelet's request refused, a service account's token in it.
	traced request-bad "$(kreq 5 ",\"serviceAccountToken\":\"$SA_TOKEN\"}")" "$e" get-credentials
	clean request-bad 1
	traced request-cut "$(kreq "\"$REG/app\"" ",\"serviceAccountToken\":\"$SA_TOKEN")" \
		"$e" get-credentials
	clean request-cut 1
	# gh and a token file that give something that is no token.
	printf '{"ghcr": {"sources": ["gh"]}}\n' >"$CREDKIT_CONFIG"
	printf '#!/bin/sh\nprintf "%%s and more words\\n" %s\n' "$GH_STUB" >"$TMP/stub/gh"
	chmod 755 "$TMP/stub/gh"
	PATH=$TMP/stub:$BIN:$PATH bad_get gh-words "$g" ghcr.io --env-to docker-credential-ghcr-mint
	printf '#!/bin/sh\nprintf "%%s\\nsecond\\n" %s\n' "$GH_STUB" >"$TMP/stub/gh"
	PATH=$TMP/stub:$BIN:$PATH bad_get gh-lines "$g" ghcr.io --env-to docker-credential-ghcr-mint
	printf '#!/bin/sh\necho %s; echo "error: not logged in" >&2; exit 1\n' "$GH_STUB" \
		>"$TMP/stub/gh"
	PATH=$TMP/stub:$BIN:$PATH bad_get gh-fails "$g" ghcr.io --env-to docker-credential-ghcr-mint
	printf '%s with words\n' "$GH_FILE" >"$TMP/token"
	chmod 600 "$TMP/token"
	printf '{"ghcr": {"sources": ["file"], "token_file": "%s"}}\n' "$TMP/token" >"$CREDKIT_CONFIG"
	PATH=$BIN:$PATH bad_get file-words "$g" ghcr.io
	chmod 644 "$TMP/token"
	PATH=$BIN:$PATH bad_get file-mode "$g" ghcr.io
}

# --- core dumps -------------------------------------------------------------------

# As whom the held helpers run: nobody when we are root, for whom the
# kernel would not make an undumpable process's files root's.
if [ "$(id -u)" -eq 0 ]; then
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
else
	AS=()
fi

# undumpable NAME PID: PID (a helper holding a secret) has no core size
# and is not dumpable (its /proc/PID/environ is root's, not its own uid's).
undumpable() {
	local core owner uid
	core=$(awk '/^Max core file size/ { print $5, $6 }' "/proc/$2/limits" 2>/dev/null)
	owner=$(stat -c %u "/proc/$2/environ" 2>/dev/null)
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$2/status" 2>/dev/null)
	t_eq "$PART: $1: core size 0, not dumpable (uid $uid)" "$core $owner" "0 0 0"
}

# held_pid ROOT PROGRAM: the pid of the process running PROGRAM (a
# basename) that ROOT is or started, once it waits in a read or write (at
# most 20 s).
held_pid() {
	local i pid
	for i in $(seq 200); do
		for pid in $(ps -e -o pid=,ppid= | awk -v root="$1" '
			{ parent[$1] = $2 }
			END { for (p in parent) for (q = p; q > 1; q = parent[q])
				if (q == root) { print p; break } }'); do
			[ "$(basename "$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1)")" = "$2" ] ||
				continue
			case $(cat "/proc/$pid/syscall" 2>/dev/null) in
			"0 0x0 "* | "1 0x1 "*)
				printf '%s' "$pid"
				return 0 ;;
			esac
		done
		sleep 0.1
	done
	return 1
}

# hold_stdin NAME PROGRAM PARTIAL VERB: PROGRAM VERB reading PARTIAL (a
# secret's first part) and then waiting for the rest, checked, ended.
hold_stdin() {
	mkfifo "$NOBODY/$1.fifo"
	exec 7<>"$NOBODY/$1.fifo"
	printf '%s' "$3" >&7
	"${AS[@]}" "$2" "$4" <"$NOBODY/$1.fifo" >/dev/null 2>&1 &
	held "$1 (reading stdin)" "${2##*/}"
	exec 7>&-
}

# held NAME PROGRAM: the process running PROGRAM that the last job is or
# started, holding a secret, is checked (undumpable); then both end.
held() {
	local pid
	if pid=$(held_pid "$!" "$2"); then
		undumpable "$1" "$pid"
		kill "$pid" 2>/dev/null
	else
		t_fail "$PART: $1: $2 waits in a read or a write"
	fi
	kill "$!" 2>/dev/null
	wait "$!" 2>/dev/null
}

# The stub a minter or helper runs (a credential_process, gh, pass): it
# notes its parent's core size and whether it is dumpable, and its own
# core size (the hard limit 0 is inherited), in $NOBODY/NAME.seen, then
# does as $STUB_DOES says.
stub() {
	cat >"$NOBODY/$1" <<-'EOF'
	#!/bin/sh
	p=$PPID
	printf '%s %s %s %s %s\n' "$(tr '\0' '\n' <"/proc/$p/cmdline" | head -n 1)" \
		"$(awk '/^Max core file size/ { print $5, $6 }' "/proc/$p/limits")" \
		"$(stat -c %u "/proc/$p/environ")" \
		"$(awk '/^Max core file size/ { print $5, $6 }' /proc/self/limits)" "$(id -u)" \
		>>"$0.seen"
	cat >/dev/null
	eval "$STUB_DOES"
	EOF
	chmod 755 "$NOBODY/$1"
}

# seen NAME PROGRAM: what stub NAME saw of its parent, PROGRAM.
seen() {
	local got
	got=$(head -n 1 "$NOBODY/$1.seen" 2>/dev/null)
	t_eq "$PART: $PROGRAM_NAME: core size 0, not dumpable while $1 runs, which has core size 0 too (uid ${got##* })" \
		"${got% *}" "$2 0 0 0 0 0"
}

part_dumpable() {
	local h i
	# A folder of /tmp's own: TMPDIR may be one only we may enter.
	NOBODY=$(mktemp -d /tmp/credkit-nobody.XXXXXX) || return
	T_CLEANUP_HOOK="rm -rf '$NOBODY'${T_CLEANUP_HOOK:+; $T_CLEANUP_HOOK}"
	chmod 711 "$TMP" && chmod 777 "$NOBODY"
	# Copies nobody can reach: the checkout may be under a folder only we
	# may enter (mktemp -d, /root).  setpriv still holds our capabilities
	# when it execs a helper, but a helper's own children (the minting
	# program) and sh do not.
	mkdir -p "$NOBODY/bin" "$NOBODY/libexec/credkit"
	cp "$BIN"/docker-credential-* "$NOBODY/bin/"
	cp "$LIBEXEC"/docker-credential-*-mint "$NOBODY/libexec/credkit/"
	chmod -R a+rX "$NOBODY/bin" "$NOBODY/libexec"
	BIN=$NOBODY/bin LIBEXEC=$NOBODY/libexec/credkit
	export HOME=$NOBODY XDG_RUNTIME_DIR=$NOBODY CREDKIT_KEYRING=session \
		CREDKIT_CONFIG=$NOBODY/config.json PATH=$NOBODY:$BIN:/usr/bin:/bin
	# The probe tells: a dumpable process (sleep) has its own files.
	"${AS[@]}" sleep 30 &
	for i in $(seq 50); do
		[ "$(readlink "/proc/$!/exe")" = "$(command -v sleep)" ] && break
		sleep 0.1
	done
	t_eq "$PART: the probe: a dumpable process's /proc/PID/environ is its own" \
		"$(stat -c %u "/proc/$!/environ")" "$(awk '/^Uid:/ { print $2 }' "/proc/$!/status")"
	kill "$!"
	wait "$!" 2>/dev/null
	# Each helper's store, its secret half read: the front of the token
	# helpers, the engine of the stores.
	for h in keyctl pass secretservice ecr-login ghcr; do
		hold_stdin "$h store" "$BIN/docker-credential-$h" \
			"{\"ServerURL\":\"reg.example\",\"Username\":\"u\",\"Secret\":\"$PW" store
	done
	for h in ecr-login ghcr; do
		hold_stdin "$h-mint store" "$LIBEXEC/docker-credential-$h-mint" \
			"{\"ServerURL\":\"reg.example\",\"Username\":\"u\",\"Secret\":\"$PW" store
		hold_stdin "$h get-credentials" "$BIN/docker-credential-$h" \
			"{\"kind\":\"CredentialProviderRequest\",\"serviceAccountToken\":\"$SA_TOKEN" \
			get-credentials
	done
	# A get's answer, blocked on a full stdout: the secret is held.
	mkfifo "$NOBODY/full"
	exec 7<>"$NOBODY/full"
	head -c 65536 /dev/zero >&7
	printf '%s' "$(entry reg.example u "$PW")" |
		"${AS[@]}" keyctl session - sh -c '"$1" store && printf reg.example | "$1" get' _ \
		"$BIN/docker-credential-keyctl" >&7 2>/dev/null &
	held "keyctl get (writing its answer)" docker-credential-keyctl
	printf ghcr.io | GH_TOKEN=$GH_ENV "${AS[@]}" "$BIN/docker-credential-ghcr" get >&7 2>/dev/null &
	held "ghcr get (writing GH_TOKEN's answer)" docker-credential-ghcr
	exec 7>&-
	# The minting programs and pass, while the child they wait on runs.
	STUB_DOES="printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}'"
	export STUB_DOES="$STUB_DOES $MOCK_PROCESS_KEY_ID $MOCK_PROCESS_SECRET"
	stub process
	mkdir -p "$NOBODY/.aws"
	printf '[default]\ncredential_process = %s\n' "$NOBODY/process" >"$NOBODY/.aws/config"
	chmod -R a+rX "$NOBODY"
	PROGRAM_NAME="ecr-login get"
	printf '%s' "$REG" | "${AS[@]}" keyctl session - "$BIN/docker-credential-ecr-login" get \
		>/dev/null 2>"$NOBODY/ecr.err"
	seen process docker-credential-ecr-login-mint
	rm -f "$NOBODY/process.seen"
	PROGRAM_NAME="ecr-login get-credentials"
	kreq "\"$REG/app\"" '}' |
		"${AS[@]}" keyctl session - "$BIN/docker-credential-ecr-login" get-credentials \
		>/dev/null 2>"$NOBODY/ecr.err"
	seen process docker-credential-ecr-login-mint
	export STUB_DOES="echo $GH_STUB"
	stub gh
	printf '{"ghcr": {"sources": ["gh"]}}\n' >"$CREDKIT_CONFIG"
	chmod 644 "$CREDKIT_CONFIG"
	PROGRAM_NAME="ghcr get"
	printf ghcr.io | CREDKIT_STORE=none "${AS[@]}" keyctl session - "$BIN/docker-credential-ghcr" get \
		>/dev/null 2>"$NOBODY/ghcr.err"
	seen gh docker-credential-ghcr-mint
	export STUB_DOES=true
	stub pass
	PROGRAM_NAME="pass store"
	mkdir -m 777 "$NOBODY/store" && echo 0000 >"$NOBODY/store/.gpg-id"
	printf '%s' "$(entry reg.example u "$PW")" | PASSWORD_STORE_DIR=$NOBODY/store "${AS[@]}" \
		"$BIN/docker-credential-pass" store >/dev/null 2>"$NOBODY/pass.err"
	seen pass "$BIN/docker-credential-pass"
}

# --- the parts ---------------------------------------------------------------------

run_part() {
	PART=$1
	export PATH=/usr/bin:/bin
	export HOME=$TMP/home-$1 XDG_RUNTIME_DIR=$TMP/run-$1 CREDKIT_CONFIG=$TMP/config-$1.json
	# Tokens in this part's session keyring, never in the uid's persistent
	# one, which a run beside this one (same identities) would share.
	export CREDKIT_KEYRING=session
	mkdir -p "$HOME" && mkdir -m 700 -p "$XDG_RUNTIME_DIR"
	echo "# $1"
	"part_$1"
}

if [ $# -ge 1 ]; then
	t_tmpdir
	case $1 in ecr | errors) aws_mock_reset ;; esac
	run_part "$1"
	t_done
	exit
fi
t_tmpdir
for tool in strace python3 keyctl; do
	command -v "$tool" >/dev/null || { t_skip "secrecy: $tool" "$tool is not installed"; exit; }
done
aws_mock_start "$TMP/mock" || { t_fail "the AWS mock starts"; exit 1; }
T_CLEANUP_HOOK=aws_mock_stop
aws_mock_env
export CREDKIT_TOKEN_FAIL_CACHE_MS=0
for part in ${PARTS_WANTED:-$PARTS}; do
	keyctl session - bash "$SELF" "$part" \
		2> >(grep -v '^Joined session keyring:\|Failed to set fd limit' >&2) || T_FAILED=$((T_FAILED + 1))
done
t_done
