# SPDX-License-Identifier: MIT
# tests/lib.sh - shared shell for credkit's test scripts.
#
# Every check prints one TAP line, "ok - NAME" or "not ok - NAME", which
# tests/run.sh counts.  Source this file; it sets CREDKIT_ROOT and a private
# TMP directory that is removed on exit.

CREDKIT_ROOT=${CREDKIT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
T_FAILED=0

t_ok()   { printf 'ok - %s\n' "$*"; }
t_fail() { printf 'not ok - %s\n' "$*"; T_FAILED=$((T_FAILED + 1)); }

# t_check NAME CMD...: ok when CMD succeeds.
t_check() {
	local name=$1; shift
	if "$@"; then t_ok "$name"; else t_fail "$name"; fi
}

# t_eq NAME GOT WANT: ok when the two strings are equal; shows both if not.
t_eq() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1"
		printf '#   got:  %s\n#   want: %s\n' "$2" "$3"
	fi
}

# t_skip NAME WHY: a check that could not run here; counted as passed only
# when CREDKIT_ALLOW_SKIP is set, otherwise it fails so CI notices.
t_skip() {
	if [ -n "${CREDKIT_ALLOW_SKIP:-}" ]; then
		printf 'ok - %s # SKIP %s\n' "$1" "$2"
	else
		t_fail "$1 (cannot run: $2)"
	fi
}

t_tmpdir() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/credkit-test.XXXXXX") || exit 1
	trap 't_cleanup' EXIT
}

t_cleanup() {
	[ -n "${T_CLEANUP_HOOK:-}" ] && eval "$T_CLEANUP_HOOK"
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

t_done() { [ "$T_FAILED" -eq 0 ]; }

# t_parts SCRIPT PROGRAM TOOLS [PART]: a suite of parts, each in a session
# keyring of its own.  With PART (SCRIPT calling itself, inside its
# keyring): the script's run_part PART.  Without: PROGRAM must be built and
# each of TOOLS (a list) installed, then `keyctl session - bash SCRIPT P`
# for each P of ${PARTS_WANTED:-$PARTS}; a P that fails counts.
t_parts() {
	local script=$1 program=$2 tools=$3 tool part
	shift 3
	t_tmpdir
	if [ $# -eq 1 ]; then
		run_part "$1"
		t_done
		return
	fi
	printf '# testing %s\n' "$program"
	[ -x "$program" ] || { t_fail "$program is built"; return 1; }
	for tool in $tools; do
		command -v "$tool" >/dev/null || { t_fail "$tool is installed (tests/deps.sh)"; return 1; }
	done
	for part in ${PARTS_WANTED:-$PARTS}; do
		keyctl session - bash "$script" "$part" \
			2> >(grep -v '^Joined session keyring:' >&2) || T_FAILED=$((T_FAILED + 1))
	done
	t_done
}

# t_seccomp_tool DEST: build tests/tools/seccomp-deny.c into DEST; when it
# cannot be built, T_SECCOMP_WHY says why (for t_skip) and the status is 1.
t_seccomp_tool() {
	cc -O2 -Wall -o "$1" "$CREDKIT_ROOT/tests/tools/seccomp-deny.c" 2>"$1.err" && return 0
	T_SECCOMP_WHY="cannot build tests/tools/seccomp-deny.c: $(head -c 200 "$1.err")"
	return 1
}

# t_stop_process PID: TERM, up to 5 s to go, then KILL; reaps it.  Safe
# under set -e, and for a process already gone.
t_stop_process() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# t_pass_store DIR: a throwaway gpg key with no passphrase and a pass store
# initialised to it, in DIR/gnupg and DIR/store; exports GNUPGHOME and
# PASSWORD_STORE_DIR.  The caller stops the agent (gpgconf --kill gpg-agent).
t_pass_store() {
	export GNUPGHOME=$1/gnupg PASSWORD_STORE_DIR=$1/store
	unset PASSWORD_STORE_KEY PASSWORD_STORE_GPG_OPTS PASSWORD_STORE_SIGNING_KEY
	mkdir -m 700 "$GNUPGHOME" || return 1
	gpg --batch --passphrase '' --quick-gen-key 'credkit test <test@credkit.invalid>' \
		future-default default never 2>/dev/null || return 1
	pass init "$(gpg --with-colons --list-secret-keys 2>/dev/null |
		awk -F: '/^fpr:/ { print $10; exit }')" >/dev/null 2>&1
}

# t_ecr_minter NAME PROGRAM: ok when the docker-credential-ecr-login at
# PROGRAM, on a host with no AWS credentials anywhere, answers the minting
# program's error: it found its minter (../libexec/credkit beside it).
t_ecr_minter() {
	local out
	out=$(printf '%s' 123456789012.dkr.ecr.us-east-1.amazonaws.com |
		env -i PATH=/usr/bin:/bin HOME="$TMP" XDG_RUNTIME_DIR="$TMP" CREDKIT_STORE=none \
		AWS_EC2_METADATA_DISABLED=true timeout 20 "$2" get 2>&1)
	out=${out//$'\n'/ }
	t_check "$1 ($out)" bash -c '[[ $1 == *"no AWS credentials"* ]]' _ "$out"
}
