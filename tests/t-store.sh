#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-store.sh - the suite's store choice (CREDKIT_STORE, the settings
# file, the automatic choice) as `doctor` reports it, on a machine with a
# session bus and a Secret Service, with none, and with keyctl blocked too.
#
# Runs doctor on every helper in $CREDKIT_BIN (default bin/): the choice is
# the same whichever helper is asked.
set -u
. "$(dirname "$0")/lib.sh"
t_tmpdir
bin=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
helpers=()
for h in "$bin"/docker-credential-*; do
	[ -x "$h" ] && helpers+=("$h")
done
[ ${#helpers[@]} -gt 0 ] || { t_fail "store: no helper in $bin"; exit 1; }

# A home without a bus, a settings file or a password store of its own.
export HOME=$TMP/home XDG_CONFIG_HOME=$TMP/config XDG_RUNTIME_DIR=$TMP/run
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset DBUS_SESSION_BUS_ADDRESS CREDKIT_STORE CREDKIT_CONFIG PASSWORD_STORE_DIR

seccomp=$TMP/seccomp-deny
t_seccomp_tool "$seccomp" || seccomp=

# choice OUT KIND: the line "  KIND NAME (why)" of doctor's choices.
choice() { sed -n "s/^  $2 *\([a-z]*\) (.*/\1/p" "$1"; }

# doctor H NAME [ENV...]: run doctor on helper H with ENV, output in $TMP/NAME.
doctor() {
	local h=$1 name=$2
	shift 2
	env "$@" timeout 10 "$h" doctor > "$TMP/$name" 2>"$TMP/$name.err"
	echo $? > "$TMP/$name.status"
}

for h in "${helpers[@]}"; do
	n=${h##*/docker-credential-}

	# No bus at all: the kernel keyring takes passwords and tokens.
	start=$(date +%s%N)
	doctor "$h" nobus
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	t_eq "store: $n: no bus: passwords go to keyctl" "$(choice "$TMP/nobus" passwords)" keyctl
	t_eq "store: $n: no bus: tokens go to keyctl" "$(choice "$TMP/nobus" tokens)" keyctl
	t_check "store: $n: no bus: doctor says why ($ms ms)" \
		grep -q "no D-Bus session bus" "$TMP/nobus"
	t_check "store: $n: doctor answers within 3 s" test "$ms" -lt 3000

	# A bus whose socket is dead: the same, quickly.
	doctor "$h" deadbus DBUS_SESSION_BUS_ADDRESS=unix:path=$TMP/nothing
	t_eq "store: $n: dead bus: passwords go to keyctl" "$(choice "$TMP/deadbus" passwords)" keyctl

	# Settings: the environment wins over the file, which wins over automatic.
	doctor "$h" env CREDKIT_STORE=pass
	t_eq "store: $n: CREDKIT_STORE=pass is obeyed" "$(choice "$TMP/env" passwords)" pass
	t_check "store: $n: CREDKIT_STORE is named as the reason" grep -q "CREDKIT_STORE=pass" "$TMP/env"
	mkdir -p "$XDG_CONFIG_HOME/credkit"
	echo '{"store": "none"}' > "$XDG_CONFIG_HOME/credkit/config.json"
	doctor "$h" file
	t_eq "store: $n: the settings file is obeyed" "$(choice "$TMP/file" passwords)" none
	t_eq "store: $n: store none keeps no tokens either" "$(choice "$TMP/file" tokens)" keyctl
	doctor "$h" both CREDKIT_STORE=keyctl
	t_eq "store: $n: CREDKIT_STORE wins over the file" "$(choice "$TMP/both" passwords)" keyctl
	doctor "$h" explicit CREDKIT_CONFIG=$TMP/other.json
	t_eq "store: $n: CREDKIT_CONFIG names another file (absent: automatic)" \
		"$(choice "$TMP/explicit" passwords)" keyctl
	rm -f "$XDG_CONFIG_HOME/credkit/config.json"

	# Bad settings: a clear error and exit 1.
	doctor "$h" bad CREDKIT_STORE=plaintext
	t_eq "store: $n: an unknown CREDKIT_STORE exits 1" "$(cat "$TMP/bad.status")" 1
	t_check "store: $n: an unknown CREDKIT_STORE is named" grep -q 'unknown store "plaintext"' "$TMP/bad"
	echo '{"store": ' > "$TMP/broken.json"
	doctor "$h" broken CREDKIT_CONFIG=$TMP/broken.json
	t_eq "store: $n: a broken settings file exits 1" "$(cat "$TMP/broken.status")" 1
	t_check "store: $n: a broken settings file is named with its position" \
		grep -q "broken.json:[0-9]*:[0-9]*: " "$TMP/broken"

	# keyctl blocked as in a container: nothing is kept.
	if [ -n "$seccomp" ]; then
		doctor "$seccomp" blocked eperm "$h"
		env "$seccomp" eperm timeout 10 "$h" doctor > "$TMP/blocked" 2>/dev/null
		t_eq "store: $n: no bus, keyctl blocked: passwords are kept nowhere" \
			"$(choice "$TMP/blocked" passwords)" none
		t_eq "store: $n: no bus, keyctl blocked: tokens too" \
			"$(choice "$TMP/blocked" tokens)" none
		t_check "store: $n: keyctl blocked: doctor says seccomp" grep -q seccomp "$TMP/blocked"
	else
		t_skip "store: $n: keyctl blocked" "$T_SECCOMP_WHY"
	fi
done

# With a Secret Service on the session bus, it takes the passwords and the
# kernel keyring still takes the tokens.
cat > "$TMP/with-bus.sh" <<EOF
set -u
for h in ${helpers[*]}; do
	timeout 10 "\$h" doctor > "$TMP/bus.\${h##*-}" 2>/dev/null
done
EOF
"$CREDKIT_ROOT/tests/with-keyring" bash "$TMP/with-bus.sh" 2>/dev/null
for h in "${helpers[@]}"; do
	n=${h##*/docker-credential-}
	t_eq "store: $n: with a Secret Service: passwords go to it" \
		"$(choice "$TMP/bus.${h##*-}" passwords)" secretservice
	t_eq "store: $n: with a Secret Service: tokens still go to keyctl" \
		"$(choice "$TMP/bus.${h##*-}" tokens)" keyctl
done
t_done
