#!/bin/bash
# tests/t-secretservice.sh - docker-credential-secretservice against a real
# gnome-keyring.
#
#   bash tests/t-secretservice.sh
#
# Tests $SS_HELPER, by default $CREDKIT_BIN/docker-credential-secretservice
# (CREDKIT_BIN defaults to $CREDKIT_ROOT/bin).
# Each part runs in its own throwaway keyring (tests/with-keyring), so the
# user's keyring is never touched:
#
#   battery    the protocol battery, tests/lib-credential.sh
#   interop    items written by Debian's Go helper are read, listed, erased
#              and replaced by ours, and ours writes the same item layout
#   filter     list shows io.docker.Credentials items and nothing else
#   nobus      no bus, or a bus that never answers: exit 1 within 2 s with
#              an error that says what to do
#   locked     a locked collection: get fails within 2 s saying so, list
#              still works, and unlocking gives the entry back
#   dh         the encrypted session (CREDKIT_SECRETSERVICE_SESSION=dh):
#              round trips both ways with the Go helper, large secrets,
#              and a bad setting refused
#
# Run with a part's name as argument, inside a keyring, it runs that part
# alone (this is how the script calls itself).
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib-credential.sh"

GO_HELPER=/usr/bin/docker-credential-secretservice
PARTS="interop filter nobus locked dh"
# Everything the Secret Service must do, it must do in this many ms.
BOUND_MS=2000

# --- the keyring ----------------------------------------------------------------

# go_cred VERB [INPUT]: cred with Debian's Go helper.
go_cred() { HELPER=$GO_HELPER cred "$@"; }

# count_items SERVER: how many items carry the attribute server=SERVER.
count_items() {
	secret-tool search --all server "$1" 2>/dev/null | grep -c '^\['
}

# item_layout SERVER: the label, schema, attributes and secret of the items
# for SERVER, sorted, with SERVER written as @SERVER@ so that the layouts of
# two servers compare.  secret-tool prints attributes on stderr.
item_layout() {
	secret-tool search --all server "$1" 2>&1 |
		grep -E '^(label|schema|secret|attribute\.[^ ]*) = ' |
		sed "s|$1|@SERVER@|g" | sort
}

# default_collection: the object path the "default" alias names.
default_collection() {
	dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets \
		/org/freedesktop/secrets org.freedesktop.Secret.Service.ReadAlias \
		string:default | tr -d ' '
}

collection_locked() {
	dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets \
		"$1" org.freedesktop.DBus.Properties.Get \
		string:org.freedesktop.Secret.Collection string:Locked |
		grep -q 'boolean true'
}

collection_unlocked() { ! collection_locked "$1"; }

lock_collection() {
	dbus-send --session --print-reply --dest=org.freedesktop.secrets \
		/org/freedesktop/secrets org.freedesktop.Secret.Service.Lock \
		"array:objpath:$1" >/dev/null
}

# unlock_collection PATH: unlock with with-keyring's password "pw", through
# gnome-keyring's own interface, which needs no prompt and no display.
unlock_collection() {
	/usr/bin/python3 - "$1" <<-'EOF'
	import sys, dbus
	bus = dbus.SessionBus()
	svc = bus.get_object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	_, session = svc.OpenSession("plain", dbus.String("", variant_level=1),
	                             dbus_interface="org.freedesktop.Secret.Service")
	master = dbus.Struct((session, dbus.ByteArray(b""), dbus.ByteArray(b"pw"),
	                      "text/plain"), signature="oayays")
	svc.UnlockWithMasterPassword(dbus.ObjectPath(sys.argv[1]), master,
	        dbus_interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface")
	EOF
}

# timed CMD...: run CMD in this shell; MS is how long it took (show_last
# prints it).
timed() {
	local t0
	t0=$(date +%s%N)
	"$@"
	MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

in_time()       { [ "$MS" -lt "$BOUND_MS" ]; }
fails_in_time() { [ "$RC" -eq 1 ] && in_time; }

# erased SERVER: the last erase succeeded and no item for SERVER is left.
erased() { silent_ok && [ "$(count_items "$1")" -eq 0 ]; }

# explains_bus: the error names the Secret Service or D-Bus and says what
# to do about it.
explains_bus() {
	is_error 'secret service|d-?bus' && says 1 'check|start|run|use|set|install'
}

list_in_time() { list_is_object && in_time; }

explains_locked() { is_error 'locked' && says 1 'unlock'; }

# --- the parts --------------------------------------------------------------------

part_interop() {
	local s p

	s=https://$(host go-to-ours)/v2/
	p=$(secret go-to-ours)
	go_cred store "$(creds_json "$s" gopher "$p")"
	check "interop: Go helper stores an entry (setup)" silent_ok
	cred get "$s"
	check "interop: ours gets what Go stored" is_get "$s" gopher "$p"
	cred list
	check "interop: ours lists what Go stored" list_has "$s" gopher
	cred erase "$s"
	check "interop: ours erases what Go stored" erased "$s"

	s=https://$(host ours-to-go)
	p=$(secret layout)
	put "$s" ursula "$p"
	go_cred get "$s"
	check "interop: Go gets what ours stored" is_get "$s" ursula "$p"
	check "interop: ours writes label, schema and attributes as documented" \
		t_eq_quiet "$(item_layout "$s")" "$(sort <<-EOF
		label = @SERVER@
		schema = io.docker.Credentials
		secret = $p
		attribute.server = @SERVER@
		attribute.username = ursula
		attribute.docker_cli = 1
		attribute.label = Docker Credentials
		EOF
		)"
	local ref
	ref=https://$(host go-layout)
	STORED+=("$ref")
	go_cred store "$(creds_json "$ref" ursula "$p")"
	check "interop: ours writes the same item layout as Go 0.6.4" \
		t_eq_quiet "$(item_layout "$s")" "$(item_layout "$ref")"

	s=https://$(host rename)
	STORED+=("$s")
	go_cred store "$(creds_json "$s" old-user "$(secret rename-1)")"
	put "$s" new-user "$(secret rename-2)"
	check "interop: storing a new username over Go's entry leaves one item" \
		test "$(count_items "$s")" -eq 1
	go_cred get "$s"
	check "interop: Go gets the new username after ours replaced its entry" \
		is_get "$s" new-user "$(secret rename-2)"

	s=https://$(host go-twice)
	STORED+=("$s")
	go_cred store "$(creds_json "$s" first "$(secret twice-1)")"
	go_cred store "$(creds_json "$s" second "$(secret twice-2)")"
	check "interop: Go 0.6.4 leaves two items on a username change (setup)" \
		test "$(count_items "$s")" -eq 2
	cred list
	check "interop: ours lists Go's two items for one server once" \
		test "$(list_count "$s")" -eq 1
	cred get "$s"
	check "interop: ours gets one of Go's two items" is_get_either "$s"
	cred erase "$s"
	check "interop: ours erases both of Go's items for one server" erased "$s"
}

# is_get_either SERVER: get answered one of the two items Go wrote.
is_get_either() {
	is_get "$1" first "$(secret twice-1)" || is_get "$1" second "$(secret twice-2)"
}

# t_eq_quiet GOT WANT: like t_eq's test, printing both only when they differ.
t_eq_quiet() {
	[ "$1" = "$2" ] && return 0
	printf '#   got:\n#     %s\n#   want:\n#     %s\n' \
		"${1//$'\n'/$'\n#     '}" "${2//$'\n'/$'\n#     '}"
	return 1
}

part_filter() {
	local other noschema s
	other=https://$(host other-schema)
	noschema=https://$(host no-schema)
	printf x | secret-tool store --label=x foo bar
	printf y | secret-tool store --label=y xdg:schema org.example.Other \
		docker_cli 1 server "$other" username olga
	printf z | secret-tool store --label=z docker_cli 1 server "$noschema" \
		username nora
	s=https://$(host ours)
	put "$s" ulla "$(secret ours)"
	STORED+=("$(host by-go)")
	go_cred store "$(creds_json "$(host by-go)" gustav "$(secret by-go)")"

	cred list
	check "filter: list prints one line with a JSON object" list_is_object
	check "filter: list omits an item of another schema with docker_cli=1" \
		list_lacks "$other"
	check "filter: list omits an item without a schema" list_lacks "$noschema"
	check "filter: list shows exactly the io.docker.Credentials items" \
		test "$(list_keys | sort)" = \
		     "$(printf '%s\n' "$s" "$(host by-go)" | sort)"
	check "filter: get answers every key list shows" every_key_answers
}

# nobus_verbs LABEL: every verb fails fast and says why, on the bus that
# DBUS_SESSION_BUS_ADDRESS names.
nobus_verbs() {
	local label=$1 verb input
	for verb in store get erase list; do
		case $verb in
		store) input=$(creds_json "https://$(host nobus)" nick "$(secret nobus)") ;;
		list)  input= ;;
		*)     input=https://$(host nobus) ;;
		esac
		timed cred "$verb" "$input"
		check "nobus: $label: $verb exits 1 within 2 s" fails_in_time
		check "nobus: $label: $verb names the Secret Service or D-Bus and what to do" \
			explains_bus
	done
}

part_nobus() {
	# A hang must not stall the run: 3 s is already a failure.
	local CALL_TIMEOUT=3 sock=$TMP/mute.sock pid

	DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent nobus_verbs "no socket"

	# A bus that accepts connections and never says a word.
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])' "$sock" &
	pid=$!
	T_CLEANUP_HOOK="kill $pid 2>/dev/null; cleanup_entries"
	for _ in {1..20}; do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	DBUS_SESSION_BUS_ADDRESS=unix:path=$sock nobus_verbs "mute bus"
	kill "$pid"
	wait "$pid" 2>/dev/null
	T_CLEANUP_HOOK=cleanup_entries

	check "nobus: stderr never contains a secret" test -z "$LEAKED"
}

part_locked() {
	local coll s p
	unset DISPLAY WAYLAND_DISPLAY
	s=https://$(host locked)
	p=$(secret locked)
	put "$s" lee "$p"
	coll=$(default_collection)
	lock_collection "$coll"
	check "locked: the default collection $coll is locked (setup)" \
		collection_locked "$coll"

	timed cred get "$s"
	check "locked: get exits 1 within 2 s" fails_in_time
	check "locked: get says the keyring is locked and how to unlock it" \
		explains_locked
	timed cred list
	check "locked: list exits 0 within 2 s with a JSON object" \
		list_in_time
	check "locked: get answers every key list shows" every_key_answers

	unlock_collection "$coll"
	check "locked: the collection unlocks again (setup)" \
		collection_unlocked "$coll"
	cred get "$s"
	check "locked: the entry is still there after unlocking" is_get "$s" lee "$p"
	check "locked: stderr never contains a secret" test -z "$LEAKED"
}

# --- main -------------------------------------------------------------------------

part_dh() {
	local s p big
	export CREDKIT_SECRETSERVICE_SESSION=dh

	s=https://$(host dh-ours)
	p=$(secret dh-ours)
	put "$s" dora "$p"
	cred get "$s"
	check "dh: ours gets what ours stored, encrypted on the bus" is_get "$s" dora "$p"
	go_cred get "$s"
	check "dh: Go gets what ours stored" is_get "$s" dora "$p"
	s=https://$(host dh-go)
	go_cred store "$(creds_json "$s" gopher "$p")"
	cred get "$s"
	check "dh: ours gets what Go stored" is_get "$s" gopher "$p"
	# Sizes around the AES block: padding is 1..16 bytes, never 0.
	for n in 15 16 17 4096 65000; do
		big=$(head -c "$n" /dev/zero | tr '\0' x)
		put "$s" gopher "$big"
		cred get "$s"
		check "dh: a $n-byte secret survives the round trip" is_get "$s" gopher "$big"
	done
	cred erase "$s"
	check "dh: erase" erased "$s"
	CREDKIT_SECRETSERVICE_SESSION=rot13 cred get "$s"
	check "dh: an unknown session setting is refused" is_error "CREDKIT_SECRETSERVICE_SESSION"
	unset CREDKIT_SECRETSERVICE_SESSION
}

# run_part NAME CMD...: run one part in a fresh keyring; a part that stops
# without saying which check failed still fails the run.
run_part() {
	local name=$1 rc t0=$SECONDS; shift
	"$CREDKIT_ROOT/tests/with-keyring" "$@" | tee "$TMP/part.out"
	rc=${PIPESTATUS[0]}
	printf '# part %s: %s s\n' "$name" $((SECONDS - t0))
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$TMP/part.out"; then
		t_fail "secretservice: part $name ran to the end (exit $rc)"
	elif [ "$rc" -ne 0 ]; then
		T_FAILED=$((T_FAILED + 1))
	fi
}

main() {
	local helper=${SS_HELPER:-${CREDKIT_BIN:-$CREDKIT_ROOT/bin}/docker-credential-secretservice}
	local part
	export SS_HELPER=$helper

	if [ $# -gt 0 ]; then
		# One part, already inside a keyring.
		battery_init "$helper" || return 1
		SHORT=secretservice
		"part_$1"
		cleanup_entries
		t_done
		return
	fi

	t_tmpdir
	run_part battery bash "$CREDKIT_ROOT/tests/lib-credential.sh" "$helper"
	for part in $PARTS; do
		run_part "$part" bash "${BASH_SOURCE[0]}" "$part"
	done
	t_done
}

main "$@"
