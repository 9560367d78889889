#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-pass.sh - docker-credential-pass against a real pass and gpg.
#
#   bash tests/t-pass.sh                      # bin/docker-credential-pass
#   HELPER=build/asan/bin/docker-credential-pass bash tests/t-pass.sh
#
# HELPER defaults to $CREDKIT_BIN/docker-credential-pass (tests/run.sh sets
# CREDKIT_BIN to bin and to build/asan/bin), else bin/.
#
# Makes a throwaway GNUPGHOME with a passphrase-less key and a throwaway
# password store, then runs: the shared protocol battery; interop both ways
# with Debian's Go helper (/usr/bin/docker-credential-pass); list without
# gpg; an uninitialised store; parallel gets and stores serialised by the
# store's one lock, whatever XDG_RUNTIME_DIR says; no secret on any argv or
# environment; a signal stopping pass and gpg.  pass, gpg or the key
# missing, and a gpg-agent that refuses: tests/t-faults-store.sh, case pass.  Every helper call runs under
# timeout 20 (60 where 8 of them take turns on the lock).
#
# Timings are measured against the product's own bounds, with the margin
# each check states: the machine may be loaded (two test runs on 2 cores).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HELPER=${HELPER:-${CREDKIT_BIN:-$CREDKIT_ROOT/bin}/docker-credential-pass}
case $HELPER in /*) ;; *) HELPER=$PWD/$HELPER ;; esac
GO=/usr/bin/docker-credential-pass
REAL_GPG=$(command -v gpg)
REAL_PASS=$(command -v pass)
t_tmpdir
printf "# helper: %s\n" "$HELPER"

for tool in pass gpg gpgconf python3; do
	command -v "$tool" >/dev/null || { t_skip "t-pass" "$tool is not installed"; exit 1; }
done

export GNUPGHOME=$TMP/gnupg PASSWORD_STORE_DIR=$TMP/store
unset PASSWORD_STORE_KEY PASSWORD_STORE_GPG_OPTS PASSWORD_STORE_SIGNING_KEY XDG_RUNTIME_DIR
AGENTS=("$GNUPGHOME")
T_CLEANUP_HOOK='for h in "${AGENTS[@]}"; do gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null; done'
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'credkit test <test@credkit.invalid>' \
	future-default default never 2>/dev/null
FPR=$(gpg --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr:/ { print $10; exit }')
pass init "$FPR" >/dev/null 2>&1
t_check "setup: a gpg key and an initialised store" test -s "$PASSWORD_STORE_DIR/.gpg-id"

FOLDER=$PASSWORD_STORE_DIR/docker-credential-helpers

# h VERB INPUT [HELPER]: run a helper; sets RC, OUT (stdout, no final
# newline) and ERR (stderr).
h() {
	local bin=${3:-$HELPER}
	printf '%s' "$2" >"$TMP/in"
	timeout 20 "$bin" "$1" <"$TMP/in" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

json() { printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$1" "$2" "$3"; }
b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_'; }

# show_failure: what the last call did, after a failed check.
show_failure() { printf '#   exit %s\n#   stdout: %.300s\n#   stderr: %.300s\n' "$RC" "$OUT" "$ERR"; }
check() {
	local name=$1; shift
	if "$@"; then t_ok "$name"; else t_fail "$name"; show_failure; fi
}
is() { [ "$RC" -eq 0 ] && [ "$OUT" = "$1" ]; }
fails_with() { [ "$RC" -eq 1 ] && [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 1 ] &&
	printf '%s' "$OUT" | grep -qiE -- "$1"; }
list_has() {
	printf '%s' "$OUT" | python3 -c 'import json,sys
sys.exit(json.load(sys.stdin).get(sys.argv[1]) != sys.argv[2])' "$1" "$2"
}

# --- the shared battery ---------------------------------------------------------

if bash "$CREDKIT_ROOT/tests/lib-credential.sh" "$HELPER"; then :; else T_FAILED=$((T_FAILED + 1)); fi

# --- interop with the Go helper -------------------------------------------------

if [ ! -x "$GO" ]; then
	t_skip "interop with the Go helper" "$GO is not installed"
else
	s=https://go-wrote.example.test/v2/
	h store "$(json "$s" gopher go-secret-1)" "$GO"
	check "interop: the Go helper stores" test "$RC" -eq 0
	check "interop: its folder is base64url with padding of the URL" \
		test -f "$FOLDER/$(b64url "$s")/gopher.gpg"
	h get "$s"
	check "interop: ours gets what Go stored" \
		is "{\"ServerURL\":\"$s\",\"Username\":\"gopher\",\"Secret\":\"go-secret-1\"}"
	h list ""
	check "interop: ours lists what Go stored" list_has "$s" gopher
	h store "$(json "$s" another go-secret-2)" "$GO"	# Go keeps both
	h get "$s"; ours=$OUT
	h get "$s" "$GO"
	check "interop: with two usernames ours answers as Go does" \
		test "$ours" = "$OUT" -a -n "$ours"
	h erase "$s"
	check "interop: ours erases what Go stored" \
		eval '[ "$RC" -eq 0 ] && [ ! -e "$FOLDER/$(b64url "$s")" ]'

	s=ours-wrote.example.test:5000
	h store "$(json "$s" cee 'c-secret/\"x')"
	check "interop: ours stores" is ""
	h get "$s" "$GO"
	check "interop: Go gets what ours stored" \
		is "{\"ServerURL\":\"$s\",\"Username\":\"cee\",\"Secret\":\"c-secret/\\\"x\"}"
	h list "" "$GO"
	check "interop: Go lists what ours stored" list_has "$s" cee
	h erase "$s" "$GO"
	check "interop: Go erases what ours stored" test "$RC" -eq 0 -a ! -e "$FOLDER/$(b64url "$s")"

	# Several usernames for one server (the Go helper keeps them all): ours
	# answers get and list as Go does, which takes the first file name in
	# byte order, ".gpg" included.  The expected answers are Go's own.
	order=$TMP/order-store
	mkdir -p "$order" && cp "$PASSWORD_STORE_DIR/.gpg-id" "$order/"
	sets=("a a-b" "a a.b" "A a" "a a_b" "a a!" "a a0" "b a" "x x.y.z x-y x"
	      "é e" "a aé" "ü ü-x" "日本 日本-語 日" "日本 日本!語 日本語")
	for i in "${!sets[@]}"; do
		for u in ${sets[$i]}; do
			PASSWORD_STORE_DIR=$order h store "$(json "order-$i.example.test" "$u" "pw-$u")" "$GO"
		done
	done
	# same_json A B: A and B are the same JSON value.
	same_json() {
		python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))' \
			"$1" "$2" 2>/dev/null
	}
	for i in "${!sets[@]}"; do
		PASSWORD_STORE_DIR=$order h get "order-$i.example.test" "$GO"; go=$OUT
		PASSWORD_STORE_DIR=$order h get "order-$i.example.test"
		check "usernames {${sets[$i]}}: ours gets what Go gets ($go)" \
			eval '[ -n "$go" ] && same_json "$OUT" "$go"'
	done
	PASSWORD_STORE_DIR=$order h list "" "$GO"; go=$OUT
	PASSWORD_STORE_DIR=$order h list ""
	check "... and ours lists each server with the username Go lists" \
		eval '[ "$go" != "{}" ] && same_json "$OUT" "$go"'

	# The same requests through each helper give the same files.
	for i in a b; do
		store=$TMP/tree-$i
		mkdir -p "$store" && cp "$PASSWORD_STORE_DIR/.gpg-id" "$store/"
		bin=$HELPER; [ $i = b ] && bin=$GO
		for s in https://index.docker.io/v1/ registry.example.test quay.io:443 \
			 'https://weird.example.test/a b/?c=d&e'; do
			PASSWORD_STORE_DIR=$store h store "$(json "$s" 'u@example.test' "pw-$s")" "$bin"
		done
		(cd "$store" && find . -path ./.gpg-id -prune -o -type f -print | sort) >"$TMP/files-$i"
		for f in $(cat "$TMP/files-$i"); do
			printf '%s %s\n' "$f" "$(gpg -q -d "$store/$f" 2>/dev/null | base64 -w0)"
		done >"$TMP/content-$i"
	done
	check "interop: ours and Go write the same file tree" \
		cmp -s "$TMP/files-a" "$TMP/files-b"
	check "interop: ours and Go write the same decrypted contents" \
		cmp -s "$TMP/content-a" "$TMP/content-b"
	check "interop: four entries were written" test "$(wc -l <"$TMP/files-a")" -eq 4

	# What old helpers and people leave in the folder.
	printf 'pass is initialized' | pass insert -m -f docker-credential-helpers/docker-pass-initialized-check >/dev/null
	mkdir -p "$FOLDER/not-base64!" "$FOLDER/YR==" "$FOLDER/$(b64url empty.example.test)"
	h list ""
	check "list skips the initialized-check entry, undecodable and empty folders" \
		eval '[ "$RC" -eq 0 ] && [ "$OUT" = "{}" ]'
	s=by-hand.example.test
	printf 'typed-secret\n' | pass insert -m -f "docker-credential-helpers/$(b64url "$s")/hand" >/dev/null
	h get "$s"; ours=$OUT
	h get "$s" "$GO"
	check "a secret made with pass insert loses its final newline, as with Go" \
		eval '[ "$ours" = "$OUT" ] && [ "$ours" = "{\"ServerURL\":\"$s\",\"Username\":\"hand\",\"Secret\":\"typed-secret\"}" ]'
	h erase "$s"
	rm -rf "$FOLDER"/*
fi

h store "$(json one.example.test alice first)"
h store "$(json one.example.test bob second)"
check "store replaces: only the new username's file is left" \
	eval '[ "$(ls "$FOLDER/$(b64url one.example.test)")" = bob.gpg ]'
h store "$(json one.example.test a/b third)"
check "a username with / is refused clearly" fails_with "username.*/"

# --- list runs no gpg -------------------------------------------------------------

WRAP=$TMP/wrap
mkdir -p "$WRAP"
# A gpg that logs each run: "start end args" (nanoseconds); it holds each
# decryption 50 ms so that unserialised runs would overlap.
for name in gpg $(command -v gpg2 >/dev/null && echo gpg2); do
	cat >"$WRAP/$name" <<-EOF
	#!/bin/bash
	start=\$(date +%s%N)
	[ -e "$TMP/hang" ] && { echo \$\$ >"$TMP/hung.pid"; exec sleep 300; }
	"$REAL_GPG" "\$@"; rc=\$?
	case " \$* " in *" -d "*) sleep 0.05 ;; esac
	echo "\$start \$(date +%s%N) \$*" >>"$TMP/gpg.log"
	exit \$rc
	EOF
	chmod +x "$WRAP/$name"
done
: >"$TMP/gpg.log"
PATH=$WRAP:$PATH h list ""
check "list works (under a logging gpg)" list_has one.example.test bob
check "list runs no gpg" test ! -s "$TMP/gpg.log"
PATH=$WRAP:$PATH h get one.example.test
check "get runs gpg (the logging gpg is in use)" \
	eval '[ "$RC" -eq 0 ] && [ -s "$TMP/gpg.log" ]'

# --- uninitialised store -------------------------------------------------------------
# (pass, gpg or the key missing, and a gpg-agent that refuses, are the
# pass case of tests/t-faults-store.sh.)

export PASSWORD_STORE_DIR=$TMP/uninit
h store "$(json new.example.test alice pw)"
check "store into a missing store says to run pass init" fails_with "pass init <gpg-id>"
mkdir -p "$PASSWORD_STORE_DIR"
h store "$(json new.example.test alice pw)"
check "store into a store without .gpg-id says to run pass init" fails_with "pass init"
check "... and names gpg --list-secret-keys" fails_with "gpg --list-secret-keys"
h get new.example.test
check "get from an uninitialised store is not found" \
	eval '[ "$RC" -eq 1 ] && [ "$OUT" = "credentials not found in native keychain" ]'
h list ""
check "list of an uninitialised store is {}" is "{}"
h erase new.example.test
check "erase in an uninitialised store succeeds" is ""
export PASSWORD_STORE_DIR=$TMP/store

# --- parallel gets take turns --------------------------------------------------------

# no_overlap LOG: the decryptions logged never ran at the same time.
no_overlap() {
	grep -- ' -d ' "$1" | sort -n | awk '
		NR > 1 && $1 < end { bad = 1 }
		{ end = $2; n++ }
		END { exit bad || n != 8 }'
}

# parallel_gets [mixed]: 8 parallel gets; mixed: every other one without
# XDG_RUNTIME_DIR, as a shell beside a systemd unit would run them.
parallel_gets() {
	local i ok=0 rt
	: >"$TMP/gpg.log"
	for i in 1 2 3 4 5 6 7 8; do
		rt=()
		[ "${1:-}" = mixed ] && [ $((i % 2)) = 0 ] && rt=(-u XDG_RUNTIME_DIR)
		# 8 runs take turns, each up to a few seconds on a loaded machine.
		env "${rt[@]}" PATH="$WRAP:$PATH" \
			timeout 60 "$HELPER" get <<<"par.example.test" >"$TMP/par.$i" 2>&1 &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		[ "$(cat "$TMP/par.$i")" = '{"ServerURL":"par.example.test","Username":"pat","Secret":"par-pw"}' ] || ok=1
	done
	return $ok
}

h store "$(json par.example.test pat par-pw)"
check "8 parallel gets all succeed (no XDG_RUNTIME_DIR)" parallel_gets
check "... and their decryptions never overlapped" no_overlap "$TMP/gpg.log"
mkdir -m 700 "$TMP/run"
export XDG_RUNTIME_DIR=$TMP/run
check "8 parallel gets all succeed (XDG_RUNTIME_DIR set)" parallel_gets
check "... and their decryptions never overlapped" no_overlap "$TMP/gpg.log"
check "8 parallel gets, every other one without XDG_RUNTIME_DIR, all succeed" \
	parallel_gets mixed
check "... and their decryptions never overlapped: one lock for the store" \
	no_overlap "$TMP/gpg.log"
unset XDG_RUNTIME_DIR
check "no lock file was left in XDG_RUNTIME_DIR nor in the store" \
	test -z "$(find "$TMP/run" "$PASSWORD_STORE_DIR" -name '*.lock')"

# --- parallel stores into a store that does not exist yet ---------------------------

# A pass that logs each run, "start end verb" (nanoseconds), and holds it
# 100 ms longer, so that the runs of helpers that do not exclude each
# other overlap.
SLOW=$TMP/slowpass
mkdir -p "$SLOW"
cat >"$SLOW/pass" <<-END
	#!/bin/bash
	start=\$(date +%s%N)
	"$REAL_PASS" "\$@"; rc=\$?
	sleep 0.1
	echo "\$start \$(date +%s%N) \$1" >>"$TMP/pass-runs.log"
	exit \$rc
	END
chmod +x "$SLOW/pass"

# apart LOG: no two runs logged overlapped (and some ran).
apart() {
	sort -n "$1" | awk 'NR > 1 && $1 < end { bad = 1 } { end = $2 } END { exit bad || NR == 0 }'
}

# fresh_stores DIR N: N parallel stores for one server, usernames u1..uN,
# into the store DIR, every other one without XDG_RUNTIME_DIR.  Each must
# exit 0 and print nothing (pass's own words go to stderr).
fresh_stores() {
	local i ok=0 rt
	: >"$TMP/pass-runs.log"
	for i in $(seq "$2"); do
		json fresh.example.test "u$i" "secret-of-u$i" >"$TMP/fresh.in.$i"
		rt=(XDG_RUNTIME_DIR="$TMP/run")
		[ $((i % 2)) = 0 ] && rt=(-u XDG_RUNTIME_DIR)
		{
			env "${rt[@]}" PATH="$SLOW:$PATH" PASSWORD_STORE_DIR="$1" \
				timeout 60 "$HELPER" store <"$TMP/fresh.in.$i" >"$TMP/fresh.$i"
			echo $? >"$TMP/fresh.rc.$i"
		} 2>/dev/null &
	done
	wait
	for i in $(seq "$2"); do
		[ "$(cat "$TMP/fresh.rc.$i")" = 0 ] && [ ! -s "$TMP/fresh.$i" ] ||
			{ ok=1; printf '#   store %s: exit %s: %.300s\n' "$i" \
				"$(cat "$TMP/fresh.rc.$i")" "$(cat "$TMP/fresh.$i")"; }
	done
	return $ok
}

# one_whole_entry DIR: one entry is left, and get gives its own secret.
one_whole_entry() {
	local files u
	files=$(ls "$1/docker-credential-helpers/$(b64url fresh.example.test)" 2>/dev/null)
	[ "$(printf '%s\n' "$files" | grep -c '\.gpg$')" -eq 1 ] || return 1
	u=${files%.gpg}
	PASSWORD_STORE_DIR=$1 h get fresh.example.test
	is "{\"ServerURL\":\"fresh.example.test\",\"Username\":\"$u\",\"Secret\":\"secret-of-$u\"}"
}

export PASSWORD_STORE_KEY=$FPR	# pass makes a store it is given a key for
for round in 1 2 3 4; do
	n=2; [ $round = 4 ] && n=6
	fresh=$TMP/fresh-$round/store	# neither it nor its parent exists
	check "store not there yet, round $round: $n parallel stores, XDG_RUNTIME_DIR set or not, succeed" \
		fresh_stores "$fresh" $n
	check "... their runs of pass never overlapped" apart "$TMP/pass-runs.log"
	check "... exactly one whole entry is left" one_whole_entry "$fresh"
done
check "the store was made 0700" test "$(stat -c %a "$fresh")" = 700
check "... and holds no file of ours" test -z "$(find "$fresh" -name '*.lock')"
unset PASSWORD_STORE_KEY

# --- no secret on argv or in an environment ---------------------------------------------

cat >"$WRAP/pass" <<EOF
#!/bin/bash
{ printf 'argv:'; printf ' %q' "\${0##*/}" "\$@"; echo; env; } >>"$TMP/pass.log"
exec "$REAL_PASS" "\$@"
EOF
chmod +x "$WRAP/pass"
MARK=sekrit$$-$RANDOM
: >"$TMP/pass.log"
: >"$TMP/gpg.log"
PATH=$WRAP:$PATH h store "$(json argv.example.test alice "$MARK")"
PATH=$WRAP:$PATH h store "$(json argv.example.test bob "$MARK-2")"
PATH=$WRAP:$PATH h get argv.example.test
check "get through the recording pass" \
	is "{\"ServerURL\":\"argv.example.test\",\"Username\":\"bob\",\"Secret\":\"$MARK-2\"}"
PATH=$WRAP:$PATH h erase argv.example.test
check "pass ran with insert --multiline --force, show and rm" \
	eval 'grep -q "argv: pass insert --multiline --force docker-credential-helpers/" "$TMP/pass.log" &&
	      grep -q "argv: pass show " "$TMP/pass.log" && grep -q "argv: pass rm " "$TMP/pass.log"'
check "the secret is on no argv and in no environment of pass" \
	eval '! grep -qF "$MARK" "$TMP/pass.log"'
check "the secret is on no argv of gpg" eval '! grep -qF "$MARK" "$TMP/gpg.log"'

# --- a signal stops pass and gpg ------------------------------------------------------

h store "$(json hang.example.test hal hang-pw)"
touch "$TMP/hang"
# --foreground: sent SIGTERM, timeout passes it to the helper only.  Without
# it, timeout sends it to the helper and then to its whole group: a second
# SIGTERM that, landing after the helper's handlers are back, kills it (143)
# once it has printed its error.  The helper's pass is in a group of its own.
PATH=$WRAP:$PATH timeout --foreground 20 "$HELPER" get <<<hang.example.test \
	>"$TMP/out" 2>"$TMP/err" &
helper=$!
# Up to 20 s for the helper, pass and the wrapper to start on a loaded machine.
for i in $(seq 200); do [ -s "$TMP/hung.pid" ] && break; sleep 0.1; done
kill -TERM "$helper"
wait "$helper"
RC=$? OUT=$(cat "$TMP/out") ERR=$(cat "$TMP/err")
rm -f "$TMP/hang"
check "SIGTERM during get: exit 1 with a clear error" fails_with 'interrupted'
hung=$(cat "$TMP/hung.pid" 2>/dev/null)
# gone, or a zombie that nobody reaps in a container without an init
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# The helper sent its group SIGTERM (and SIGKILL) before it exited; give the
# gpg 5 s to be scheduled and die, on a loaded machine.
for i in $(seq 50); do [ -n "$hung" ] && gone "$hung" && break; sleep 0.1; done
check "... and the gpg it ran was stopped too" eval '[ -n "$hung" ] && gone "$hung"'
h get hang.example.test
check "get works again afterwards (the lock was released)" \
	is '{"ServerURL":"hang.example.test","Username":"hal","Secret":"hang-pw"}'

t_done
