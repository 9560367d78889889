#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-faults-store.sh - the storage side of issue 15's faults, one named
# case each: every fault gives a clear error within the bound the README
# and the man pages give, and an entry stored before it is intact after.
#
#   bash tests/t-faults-store.sh                 # every case
#   FAULTS="pipes pass" bash tests/t-faults-store.sh
#
# The cases (FAULTS picks some; the token endpoints' faults are
# tests/t-faults-token.sh's):
#
#   pipes        stdout closed (>&-), stdout a pipe whose reader has gone
#                (SIGPIPE) and stdin closed (<&-), for store, get, erase,
#                list, version, doctor and --help of every helper
#                (secretservice, pass, keyctl, ecr-login, ghcr): no hang
#                (20 s is a failure), a verb with nothing to print exits
#                as it would, one that cannot print its answer or error
#                exits 1 saying so (or the error itself) on stderr, a verb
#                that reads stdin exits 1 "cannot read standard input",
#                one that does not answers as it would; nothing stored
#                before is lost and a store is whole or absent
#   pass         pass missing, gpg missing (a pass whose gpg is not on
#                PATH), the gpg key missing, and a gpg-agent that refuses
#                (a pinentry that cannot ask; an agent that cannot start):
#                exit 1 at once naming what to do, the entries intact
#   secretservice  tests/t-secretservice.sh's fault parts, run from here:
#                nobus (no bus, a bus that accepts and never answers),
#                stopped (SIGSTOP), killed (the daemon killed between two
#                calls) and locked (a locked collection, no prompt; a
#                prompt nobody answers)
#   keyctl       tests/t-keyctl.sh's fault parts, run from here: quota
#                (the user's kernel key quota full) and seccomp (keyctl
#                refused: EPERM, ENOSYS)
#
# Time, measured on the loaded 2-core machine (bin/, then the sanitizer
# build): pipes, about 200 helper calls, 20 s and 40 s; pass 22 s and 25 s;
# the parts run from the other suites take what they took there, where they
# no longer run (secretservice 40 s, keyctl 5 s): 66 s and 110 s in all,
# 100 s and 122 s at a load average of 26.
# Every helper call is bounded (CALL_TIMEOUT, or the other suites' own).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

SELF=$here/t-faults-store.sh
BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
HELPERS="secretservice pass keyctl ecr-login ghcr"
VERBS="store get erase list version doctor --help"
# A call that hangs is ended after this long, and fails its check (124).
CALL_TIMEOUT=20

# --- pipes ------------------------------------------------------------------------

# call MODE HELPER VERB INPUT: run docker-credential-HELPER VERB with INPUT
# on stdin, MODE saying what its stdin and stdout are: open (a file each),
# closed-out (>&-), broken-pipe (a pipe whose read end is closed before it
# starts, SIGPIPE at its default), closed-in (<&-).  Sets RC, OUT, ERR.
call() {
	local mode=$1 h=$BIN/docker-credential-$2 verb=$3
	printf '%s' "$4" >"$TMP/in"
	: >"$TMP/out"
	case $mode in
	open)        timeout "$CALL_TIMEOUT" "$h" "$verb" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" ;;
	closed-out)  timeout "$CALL_TIMEOUT" "$h" "$verb" <"$TMP/in" >&- 2>"$TMP/err" ;;
	broken-pipe) timeout "$CALL_TIMEOUT" python3 "$TMP/broken-pipe.py" "$h" "$verb" \
			<"$TMP/in" 2>"$TMP/err" ;;
	closed-in)   timeout "$CALL_TIMEOUT" "$h" "$verb" <&- >"$TMP/out" 2>"$TMP/err" ;;
	esac
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

show() { printf '#   exit %s\n#   stdout: %.300s\n#   stderr: %.300s\n' "$RC" "$OUT" "$ERR"; }
check() {
	local name=$1
	shift
	if "$@"; then t_ok "$name"; else t_fail "$name"; show; fi
}

creds() { printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$1" "$2" "$3"; }

# servers HELPER: S1 and S2, two registries HELPER keeps (or answers for).
servers() {
	case $1 in
	ecr-login) S1=123456789012.dkr.ecr.us-east-1.amazonaws.com
		   S2=210987654321.dkr.ecr.eu-west-1.amazonaws.com ;;
	ghcr)      S1=ghcr.io S2=containers.fault.test ;;
	*)         S1=https://one.fault.test S2=https://two.fault.test ;;
	esac
}

# input VERB SECRET: what VERB reads (store: S2 with SECRET).
input() {
	case $1 in
	store)     creds "$S2" sam "$2" ;;
	get)       printf '%s' "$S1" ;;
	erase)     printf '%s' "$S2" ;;
	*)         ;;
	esac
}

# sequence HELPER MODE: every verb in MODE, each checked against the same
# verb with stdin and stdout open (REF_*, from the mode "open").
sequence() {
	local n=$1 mode=$2 verb i=0 name want first
	for verb in $VERBS; do
		i=$((i + 1))
		call "$mode" "$n" "$verb" "$(input "$verb" "s2-$mode")"
		name="pipes: $n $verb, $mode"
		if [ "$mode" = open ]; then
			REF_RC[i]=$RC REF_OUT[i]=$OUT
		elif [ "$mode" = closed-in ]; then
			case $verb in
			store | get | erase)
				check "$name: exits 1 saying it cannot read stdin" eval \
					'[ "$RC" -eq 1 ] && [ "$OUT" = "cannot read standard input: Bad file descriptor" ]' ;;
			doctor)
				first=${REF_OUT[i]%%$'\n'*}
				check "$name: answers as with stdin open (exit ${REF_RC[i]})" eval \
					'[ "$RC" -eq "${REF_RC[i]}" ] && [ "${OUT%%$'"'\n'"'*}" = "$first" ]' ;;
			*)
				check "$name: answers as with stdin open (exit ${REF_RC[i]})" eval \
					'[ "$RC" -eq "${REF_RC[i]}" ] && [ "$OUT" = "${REF_OUT[i]}" ]' ;;
			esac
		elif [ -z "${REF_OUT[i]}" ]; then
			check "$name: nothing to print, exits as with stdout open (${REF_RC[i]})" \
				test "$RC" -eq "${REF_RC[i]}"
		elif [ "${REF_RC[i]}" -eq 0 ]; then
			check "$name: exits 1 saying on stderr it cannot write stdout" eval \
				'[ "$RC" -eq 1 ] && [[ $ERR == *"cannot write to standard output"* ]]'
		else
			want=${REF_OUT[i]%%$'\n'*}
			check "$name: exits 1 with its error on stderr" eval \
				'[ "$RC" -eq 1 ] && [[ $ERR == *"$want"* ]]'
		fi
		[ "$mode" = open ] || check "$name: stderr holds no secret" \
			eval '[[ $ERR != *s1-kept* && $ERR != *s2-* ]]'
		if [ "$verb" = store ]; then
			# Whole or absent: what an open store left, or what was before.
			local rc=$RC
			call open "$n" get "$S2"
			if [ "$mode" = open ]; then
				REF_AFTER=$RC/$OUT
			elif [ "$rc" -eq 0 ]; then
				check "pipes: $n store, $mode: the entry is whole" \
					test "$RC/$OUT" = "${REF_AFTER//s2-open/s2-$mode}"
			else
				check "pipes: $n store, $mode: nothing is stored" test "$RC/$OUT" = "$BEFORE"
			fi
		fi
	done
	call open "$n" get "$S1"
	check "pipes: $n, $mode: the entry stored before is intact" \
		test "$RC/$OUT" = "$KEPT"
	call open "$n" erase "$S2"
}

case_pipes() {
	local n mode
	cat >"$TMP/broken-pipe.py" <<-'EOF'
	import os, signal, sys
	signal.signal(signal.SIGPIPE, signal.SIG_DFL)
	r, w = os.pipe()
	os.close(r)
	os.dup2(w, 1)
	os.close(w)
	os.execvp(sys.argv[1], sys.argv[1:])
	EOF
	mkdir "$TMP/pass" && t_pass_store "$TMP/pass" || { t_fail "pipes: a gpg key and a password store (setup)"; return; }
	export CREDKIT_KEYRING=session CREDKIT_TOKEN_FAIL_CACHE_MS=0 \
		AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$TMP/none \
		AWS_SHARED_CREDENTIALS_FILE=$TMP/none GH_CONFIG_DIR=$TMP/gh \
		CREDKIT_CONFIG=$TMP/settings.json
	unset AWS_ACCESS_KEY_ID AWS_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE GH_TOKEN GITHUB_TOKEN \
		AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
	mkdir -p "$GH_CONFIG_DIR"
	printf '{"ghcr": {"hosts": {"containers.fault.test": {"github": "github.com"}}}}\n' \
		>"$CREDKIT_CONFIG"
	for n in $HELPERS; do
		servers "$n"
		call open "$n" store "$(creds "$S1" kim s1-kept)"
		call open "$n" get "$S1"
		KEPT=$RC/$OUT
		if [ "$n" != ecr-login ]; then
			check "pipes: $n: the entry to keep is stored (setup)" \
				test "$KEPT" = "0/$(creds "$S1" kim s1-kept)"
		fi
		call open "$n" get "$S2"
		BEFORE=$RC/$OUT
		for mode in open closed-out broken-pipe closed-in; do
			sequence "$n" "$mode"
		done
		call open "$n" erase "$S1"
	done
	# The kubelet's mode of a token helper (not the protocol loop): exit 1,
	# saying why on stderr, never a death by SIGPIPE.
	local req='{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"ghcr.io/o/app"}'
	for mode in open closed-out broken-pipe closed-in; do
		GH_TOKEN=ghp_faultsFAULTSfaults0123456789abcdef call "$mode" ghcr get-credentials "$req"
		if [ "$mode" = open ]; then
			check "pipes: ghcr get-credentials, open: the kubelet's response" \
				eval '[ "$RC" -eq 0 ] && [[ $OUT == *CredentialProviderResponse* ]]'
		else
			check "pipes: ghcr get-credentials, $mode: exit 1, saying why on stderr" \
				eval '[ "$RC" -eq 1 ] && [[ $ERR == *"cannot "* ]]'
		fi
	done
	gpgconf --kill gpg-agent 2>/dev/null
}

# --- pass -------------------------------------------------------------------------

# pcall VERB INPUT: call open with the pass helper; MS is how long it took.
pcall() {
	local t0=${EPOCHREALTIME/./}
	call open pass "$1" "$2"
	MS=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
}

# fails_with RE: exit 1 and one line on stdout that matches RE.
fails_with() { [ "$RC" -eq 1 ] && [ "$OUT" = "${OUT%%$'\n'*}" ] &&
	printf '%s' "$OUT" | grep -qiE -- "$1"; }

# A failure that waits for nothing takes well under a second; a wait for a
# passphrase takes the 30 s bound of a run of pass (PASS_RUN_SEC).  15 s
# tells them apart on a loaded machine, sanitizer start-up included.
AT_ONCE_MS=15000

# kept NAME: the entry stored at the start is there, whole.
kept() {
	pcall get "$P1"
	check "pass: $1: the entry stored before is intact" \
		test "$RC/$OUT" = "0/$(creds "$P1" kim s1-kept)"
}

# without NAME TOOL...: PATH as now but for TOOLs, in $TMP/no-NAME.
without() {
	local dir=$TMP/no-$1 d t
	shift
	mkdir "$dir"
	for d in ${PATH//:/ }; do
		[ -d "$d" ] && cp -s -n "$d"/* "$dir"/ 2>/dev/null
	done
	for t in "$@"; do rm -f "$dir/$t"; done
	printf '%s' "$dir"
}

# missing WHAT RE VERBS TOOL...: with the TOOLs off PATH, each of VERBS
# exits 1 at once, its error matching RE; list still works (it runs neither
# pass nor gpg); the entry stored before is intact.
missing() {
	local what=$1 re=$2 verbs=$3 dir verb
	shift 3
	dir=$(without "$what" "$@")
	for verb in $verbs; do
		PATH=$dir pcall "$verb" "$(input_pass "$verb")"
		check "pass: $what missing: $verb exits 1 at once ($MS ms) saying to install $what" \
			eval 'fails_with "$re" && [ "$MS" -lt "$AT_ONCE_MS" ]'
	done
	PATH=$dir pcall list ""
	check "pass: $what missing: list still works" test "$RC/$OUT" = "0/{\"$P1\":\"kim\"}"
	kept "$what missing"
}

case_pass() {
	mkdir "$TMP/pass" && t_pass_store "$TMP/pass" ||
		{ t_fail "pass: a gpg key and a password store (setup)"; return; }
	AGENTS=("$GNUPGHOME")
	T_CLEANUP_HOOK='for a in "${AGENTS[@]}"; do gpgconf --homedir "$a" --kill gpg-agent 2>/dev/null; done'
	P1=one.fault.test
	pcall store "$(creds "$P1" kim s1-kept)"
	check "pass: the entry to keep is stored (setup)" test "$RC/$OUT" = 0/

	# pass missing: every verb that needs it says so; list needs none.
	missing pass "pass: it is not installed.*apt install pass" "store get erase" pass
	# gpg missing: pass is there, but not its gpg.
	missing gpg "gpg: it is not installed.*apt install gnupg" "store get" gpg gpg2

	# The key missing: another GNUPGHOME, empty or absent.
	mkdir -m 700 "$TMP/nokeys"
	AGENTS+=("$TMP/nokeys" "$TMP/nowhere" "$TMP/prot" "$TMP/noagent")
	GNUPGHOME=$TMP/nokeys pcall get "$P1"
	check "pass: key missing: get fails naming gpg and gpg --list-secret-keys" \
		fails_with 'gpg could not use a secret key.*gpg --list-secret-keys'
	check "pass: key missing: get fails at once, not after 30 s ($MS ms)" \
		test "$MS" -lt "$AT_ONCE_MS"
	GNUPGHOME=$TMP/nokeys pcall list ""
	check "pass: key missing: list still works" test "$RC/$OUT" = "0/{\"$P1\":\"kim\"}"
	GNUPGHOME=$TMP/nokeys pcall store "$(creds "$P1" kim other)"
	check "pass: key missing: store fails naming .gpg-id and gpg --list-keys" \
		fails_with "gpg cannot encrypt to the key in .*/\.gpg-id.*gpg --list-keys"
	GNUPGHOME=$TMP/nowhere pcall get "$P1"
	check "pass: key missing: with GNUPGHOME moved away, get fails naming gpg" \
		fails_with 'gpg could not use a secret key.*gpg --list-secret-keys'
	GNUPGHOME=$TMP/nowhere pcall list ""
	check "pass: key missing: with GNUPGHOME moved away, list still works" \
		test "$RC/$OUT" = "0/{\"$P1\":\"kim\"}"
	kept "key missing"

	# gpg-agent refusing: one that cannot start, or is not to be started.
	gpgconf --kill gpg-agent
	for conf in "agent-program /bin/false" no-autostart; do
		printf '%s\n' "$conf" >"$GNUPGHOME/gpg.conf"
		pcall get "$P1"
		check "pass: gpg-agent refusing ($conf): get exits 1 at once ($MS ms) naming gpg-agent" \
			eval 'fails_with "gpg could not reach its gpg-agent.*gpg-connect-agent" &&
				[ "$MS" -lt "$AT_ONCE_MS" ]'
	done
	rm -f "$GNUPGHOME/gpg.conf"
	kept "gpg-agent refusing"

	# gpg-agent refusing: a key with a passphrase, a pinentry that cannot ask.
	mkdir -m 700 "$TMP/prot" "$TMP/prot-store"
	GNUPGHOME=$TMP/prot gpg --batch --pinentry-mode loopback --passphrase 'prot-pw' \
		--quick-gen-key 'credkit protected <prot@credkit.invalid>' future-default default never 2>/dev/null
	GNUPGHOME=$TMP/prot gpg --with-colons --list-secret-keys 2>/dev/null |
		awk -F: '/^fpr:/ { print $10; exit }' >"$TMP/prot-store/.gpg-id"
	GNUPGHOME=$TMP/prot PASSWORD_STORE_DIR=$TMP/prot-store pcall store "$(creds prot.fault.test pam prot-secret)"
	check "pass: no pinentry: a store encrypted to a key with a passphrase (setup)" \
		test "$RC/$OUT" = 0/
	GNUPGHOME=$TMP/prot gpgconf --kill gpg-agent
	printf 'pinentry-program /bin/false\n' >"$TMP/prot/gpg-agent.conf"
	GNUPGHOME=$TMP/prot PASSWORD_STORE_DIR=$TMP/prot-store pcall get prot.fault.test
	check "pass: no pinentry: get says pinentry and GPG_TTY" \
		fails_with 'no pinentry could ask for its passphrase.*GPG_TTY'
	check "pass: no pinentry: ... at once, not after 30 s ($MS ms)" test "$MS" -lt "$AT_ONCE_MS"
	# The control: a pinentry that answers with the passphrase.
	cat >"$TMP/pinentry" <<-'END'
		#!/bin/bash
		echo "OK ready"
		while read -r cmd rest; do
			case $cmd in
			GETPIN) echo "D prot-pw"; echo OK ;;
			BYE) echo OK; exit 0 ;;
			*) echo OK ;;
			esac
		done
		END
	chmod +x "$TMP/pinentry"
	GNUPGHOME=$TMP/prot gpgconf --kill gpg-agent
	printf 'pinentry-program %s\n' "$TMP/pinentry" >"$TMP/prot/gpg-agent.conf"
	GNUPGHOME=$TMP/prot PASSWORD_STORE_DIR=$TMP/prot-store pcall get prot.fault.test
	check "pass: no pinentry: (with a pinentry that answers, the same get works)" \
		test "$RC/$OUT" = "0/$(creds prot.fault.test pam prot-secret)"
	kept "no pinentry"
}

# input_pass VERB: what VERB reads in the pass case.
input_pass() {
	case $1 in
	store) creds two.fault.test sam s2-pass ;;
	*)     printf '%s' "$P1" ;;
	esac
}

# --- main -------------------------------------------------------------------------

ALL="pipes pass secretservice keyctl"

main() {
	local c
	if [ $# -gt 0 ]; then
		# One case, inside a session keyring and a keyring daemon of its own.
		t_tmpdir
		"case_$1"
		t_done
		return
	fi
	for c in ${FAULTS:-$ALL}; do
		case $c in
		pipes)
			printf '# case %s\n' "$c"
			keyctl session - "$CREDKIT_ROOT/tests/with-keyring" bash "$SELF" "$c" \
				2> >(grep -v '^Joined session keyring:\|^dbus-daemon' >&2) ||
				T_FAILED=$((T_FAILED + 1)) ;;
		pass)
			printf '# case %s\n' "$c"
			bash "$SELF" "$c" || T_FAILED=$((T_FAILED + 1)) ;;
		secretservice)
			printf '# case %s\n' "$c"
			PARTS_WANTED="nobus stopped killed locked" bash "$here/t-secretservice.sh" ||
				T_FAILED=$((T_FAILED + 1)) ;;
		keyctl)
			printf '# case %s\n' "$c"
			PARTS_WANTED="quota seccomp" bash "$here/t-keyctl.sh" ||
				T_FAILED=$((T_FAILED + 1)) ;;
		*)
			t_fail "faults: no case $c (cases: $ALL)" ;;
		esac
	done
	t_done
}

main "$@"
