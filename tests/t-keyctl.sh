#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-keyctl.sh - docker-credential-keyctl against the real kernel keyring.
#
#   bash tests/t-keyctl.sh
#   HELPER=build/asan/bin/docker-credential-keyctl bash tests/t-keyctl.sh
#
# Tests $HELPER, by default $CREDKIT_BIN/docker-credential-keyctl
# (tests/run.sh sets CREDKIT_BIN to bin and to build/asan/bin; it defaults
# to $CREDKIT_ROOT/bin), and says which binary on its first line.  Each
# part runs in a fresh session keyring (keyctl session) with
# CREDKIT_KEYRING=session, so that only the parts about other keyrings touch
# them, and those put back what they found:
#
#   battery   the protocol battery, tests/lib-credential.sh
#   big       63 KB and 200 KB secrets round trip, split into parts
#   atomic    while a writer replaces a big entry with another of another
#             size, every get sees one of the two whole and list always
#             shows the entry
#   listrace  while 6 writers replace 128 entries, every list shows all
#             (a list that read the links before a store displaced an
#             entry used to miss it)
#   perms     no group or other bit on any key credkit made; another
#             session of the same user cannot read them
#   expiry    an entry whose keys timed out is gone for get and list, and
#             can be stored again (keyctl_store_expiring() itself is tested
#             in tests/unit/test_keyctl.c)
#   quota     as an unprivileged user: a store over the kernel key quota
#             fails naming it and kernel.keys.maxbytes, and keeps what was
#             stored, also when an entry is being replaced
#   seccomp   keyctl refused by a seccomp filter (EPERM, ENOSYS): a clear
#             error at once; no persistent keyrings: the user keyring
#   keyrings  CREDKIT_KEYRING: bad values; persistent (the default), user
#             and session are separate stores
#
# quota and seccomp run from tests/t-faults-store.sh (PARTS_WANTED="quota
# seccomp" runs only the parts named).  Run with a part's name as argument,
# inside a session keyring, it runs that part alone (this is how the script
# calls itself).
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib-credential.sh"

# quota and seccomp run from tests/t-faults-store.sh, which names them in
# PARTS_WANTED: then only those run, without the battery.
PARTS="big atomic listrace perms expiry keyrings"
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
# The atomic part races until each reader saw each value this many times,
# or for this long at most (microseconds): a generous bound, for a loaded
# machine, that only ends a race that cannot make progress.
RACE_SEEN=20
RACE_BOUND_USEC=60000000
# A call that fails at once (quota, seccomp) waits for nothing and takes a
# few ms: the bound is 1 s, plus 2 s for a loaded machine, which can delay
# a process start (and ASan's) that long.  A hang, which the bound is for,
# runs into timeout's 10 s.
AT_ONCE_MS=$((1000 + 2000))

# --- helpers ----------------------------------------------------------------------

# now_usec: the time in microseconds, without a fork.
now_usec() { printf '%s' "${EPOCHREALTIME/./}"; }

# timed CMD...: run CMD in this shell; MS is how long it took.
timed() {
	local t0
	t0=$(now_usec)
	"$@"
	MS=$(( ($(now_usec) - t0) / 1000 ))
}

# pad N: N bytes of random base64 text.
pad() { head -c $(( $1 * 3 / 4 + 4 )) /dev/urandom | base64 -w0 | head -c "$1"; }

# kr KEYRING CMD...: run CMD with CREDKIT_KEYRING=KEYRING ("default": unset),
# in this shell so that cred's RC and OUT stay visible.
kr() {
	local v=$1; shift
	if [ "$v" = default ]; then unset CREDKIT_KEYRING; else export CREDKIT_KEYRING=$v; fi
	"$@"
	export CREDKIT_KEYRING=session
}

# child_ring KEYRING: credkit's keyring linked directly in KEYRING, or "".
child_ring() {
	local k
	for k in $(keyctl rlist "$1" 2>/dev/null); do
		if [ "$(keyctl rdescribe "$k" 2>/dev/null | cut -d';' -f1,5)" = "keyring;credkit" ]; then
			printf '%s' "$k"
			return
		fi
	done
}

# entry_in RING SERVER: the entry keyring of SERVER in RING, or "".
entry_in() { keyctl search "$1" keyring "credkit:$2" 2>/dev/null; }

# entry_parts SERVER: how many part keys the session's entry for SERVER has.
entry_parts() {
	local e k n=0
	e=$(entry_in "$(child_ring @s)" "$1") || { echo -1; return; }
	for k in $(keyctl rlist "$e"); do
		case $(keyctl rdescribe "$k" | cut -d';' -f5) in part:*) n=$((n + 1)) ;; esac
	done
	echo "$n"
}

# --- the parts --------------------------------------------------------------------

part_big() {
	local n s p parts
	if [ "$(id -u)" -ne 0 ]; then
		skip "big: 63 KB and 200 KB secrets" "not root: the key quota is 20000 bytes"
		return
	fi
	for n in 64500 204800; do
		s=$(host "big-$n")
		p=$(secret big)-$(pad "$n")
		parts=$(( (${#p} + 32766) / 32767 ))
		put "$s" bigly "$p"
		cred get "$s"
		check "big: a $((n / 1000)) KB secret round trips" is_get "$s" bigly "$p"
		check "big: a $((n / 1000)) KB secret is kept in $parts parts" \
			test "$(entry_parts "$s")" -eq "$parts"
	done
}

# key_use: set KEY_USED and KEY_MAX to the bytes of key quota this user
# has in use and may use (/proc/key-users; 0 and 0 when it has no line).
# Builtins only.
key_use() {
	local uid _ bytes
	KEY_USED=0 KEY_MAX=0
	while read -r uid _ _ _ bytes; do
		if [ "${uid%:}" = "$EUID" ]; then
			KEY_USED=${bytes%/*} KEY_MAX=${bytes#*/}
			return
		fi
	done </proc/key-users
}

# keys_freed BYTES: wait until this user has no more than BYTES of key
# quota in use.  The kernel frees the keys of a removed entry in the
# background, which a loaded machine delays: 30 s at most.
keys_freed() {
	local _
	for _ in $(seq 300); do
		key_use
		[ "$KEY_USED" -le "$1" ] && return 0
		sleep 0.1
	done
	echo "#   $KEY_USED bytes of keys in use, not $1"
	return 1
}

# The writer of part_atomic: replace the entry with B and then A until the
# readers are done ($TMP/stop) or END.  The kernel frees replaced keys in
# the background, and until then they count against the key quota that
# every process of this user shares: a writer faster than that garbage
# collector (which a loaded machine delays) would exhaust the quota, for
# itself and for every other test running as this user.  So before each
# round it waits until no more than half the quota is in use.
atomic_writer() {
	local end=$1 n=0
	while [ ! -e "$TMP/stop" ] && [ "$(now_usec)" -lt "$end" ]; do
		key_use
		if [ "$KEY_USED" -gt $((KEY_MAX / 2)) ]; then
			sleep 0.01
			continue
		fi
		timeout 10 "$HELPER" store <"$TMP/b.json" >/dev/null 2>&1 || echo "store B" >>"$TMP/wfail"
		timeout 10 "$HELPER" store <"$TMP/a.json" >/dev/null 2>&1 || echo "store A" >>"$TMP/wfail"
		n=$((n + 2))
	done
	echo "$n" >"$TMP/writes"
}

# The lister of part_atomic: list must always name the entry, with the
# username of one of the two values.  Lists until the readers are done
# ($TMP/stop) or END, at least once.
atomic_lister() {
	local end=$1 s=$2 out n=0 bad=0
	while [ "$n" -eq 0 ] || { [ ! -e "$TMP/stop" ] && [ "$(now_usec)" -lt "$end" ]; }; do
		out=$(timeout 10 "$HELPER" list 2>/dev/null)
		case $out in
		*"\"$s\":\"user-a\""* | *"\"$s\":\"user-b\""*) ;;
		*) bad=$((bad + 1)) ;;
		esac
		n=$((n + 1))
	done
	echo "$n $bad" >"$TMP/lists"
}

# The reader of part_atomic: gets until it saw each value RACE_SEEN times
# or END, and counts what each get saw, into FILE.
atomic_reader() {
	local end=$1 file=$2 out rc na=0 nb=0 bad=0
	while [ "$na" -lt "$RACE_SEEN" -o "$nb" -lt "$RACE_SEEN" ] &&
	      [ "$(now_usec)" -lt "$end" ]; do
		out=$(timeout 10 "$HELPER" get <"$TMP/ask" 2>/dev/null)
		rc=$?
		if [ "$rc" -eq 0 ] && [ "$out" = "$WANT_A" ]; then
			na=$((na + 1))
		elif [ "$rc" -eq 0 ] && [ "$out" = "$WANT_B" ]; then
			nb=$((nb + 1))
		else
			bad=$((bad + 1))
			# Never the secret itself: its size and the error's start.
			printf '#   bad get: exit %d, %d bytes: %.60s\n' "$rc" "${#out}" \
				"${out//$MARK/<secret>}" >>"$TMP/bad"
		fi
	done
	echo "$na $nb $bad" >"$file"
}

part_atomic() {
	local s a b end na nb bad na2 nb2 bad2 lists lbad
	if [ "$(id -u)" -ne 0 ]; then
		skip "atomic: replacing big entries" "not root: the key quota is 20000 bytes"
		return
	fi
	s=$(host atomic)
	a=$(secret atomic-a)-$(pad 60000)	# 2 parts
	b=$(secret atomic-b)-$(pad 150000)	# 5 parts
	creds_json "$s" user-a "$a" >"$TMP/a.json"
	creds_json "$s" user-b "$b" >"$TMP/b.json"
	printf '%s' "$s" >"$TMP/ask"
	WANT_A="{\"ServerURL\":\"$s\",\"Username\":\"user-a\",\"Secret\":\"$a\"}"
	WANT_B="{\"ServerURL\":\"$s\",\"Username\":\"user-b\",\"Secret\":\"$b\"}"
	put "$s" user-a "$a"
	: >"$TMP/wfail"
	: >"$TMP/bad"

	end=$(( $(now_usec) + RACE_BOUND_USEC ))
	atomic_writer "$end" &
	atomic_lister "$end" "$s" &
	atomic_reader "$end" "$TMP/reads2" &
	atomic_reader "$end" "$TMP/reads"
	wait "$!"
	: >"$TMP/stop"
	wait

	read -r na nb bad <"$TMP/reads"
	read -r na2 nb2 bad2 <"$TMP/reads2"
	read -r lists lbad <"$TMP/lists"
	na=$((na + na2)) nb=$((nb + nb2)) bad=$((bad + bad2))
	check "atomic: every get saw one of the two values whole ($na A, $nb B, $bad other; $(cat "$TMP/writes") stores)" \
		test "$bad" -eq 0
	[ "$bad" -eq 0 ] || head -5 "$TMP/bad"
	check "atomic: gets saw both values, so the race happened" \
		test "$na" -gt 0 -a "$nb" -gt 0
	check "atomic: every store during the race succeeded" test ! -s "$TMP/wfail"
	check "atomic: list always showed the entry with one of the two usernames ($lists lists)" \
		test "$lbad" -eq 0 -a "$lists" -gt 0
	cred get "$s"
	check "atomic: the entry is whole after the race" \
		eval '[ "$RC" -eq 0 ] && { [ "$OUT" = "$WANT_A"$'"'\n'"' ] || [ "$OUT" = "$WANT_B"$'"'\n'"' ]; }'
}

# The listers of part_listrace: each lists LISTRACE_LISTS times (or until
# LISTRACE_BOUND_USEC passed), counting the lists that lack an entry.
LISTRACE_ENTRIES=128
LISTRACE_LISTS=30
LISTRACE_BOUND_USEC=30000000

listrace_lister() {
	local end=$1 out n=0 bad=0
	while [ "$n" -lt "$LISTRACE_LISTS" ] && [ "$(now_usec)" -lt "$end" ]; do
		out=$(timeout 10 "$HELPER" list 2>/dev/null)
		[ "$(grep -o "\"https://$(host "listrace[0-9]*")\":" <<<"$out" | wc -l)" -eq \
			"$LISTRACE_ENTRIES" ] || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >"$2"
}

# A writer of part_listrace: replaces entries with new usernames until
# $TMP/stop; every store that fails is a line in $TMP/wfail.
listrace_writer() {
	local k=0 r
	while [ ! -e "$TMP/stop" ]; do
		k=$((k + 1)) r=$((RANDOM % LISTRACE_ENTRIES))
		creds_json "https://$(host "listrace$r")" "u$1-$k" "$(secret "listrace-$k")" |
			timeout 10 "$HELPER" store >/dev/null 2>&1 || echo "$r" >>"$TMP/wfail"
	done
}

part_listrace() {
	local r end n1 b1 n2 b2
	for ((r = 0; r < LISTRACE_ENTRIES; r++)); do
		put "https://$(host "listrace$r")" u0 "$(secret listrace)"
	done
	: >"$TMP/wfail"
	rm -f "$TMP/stop"
	end=$(( $(now_usec) + LISTRACE_BOUND_USEC ))
	for r in 1 2 3 4 5 6; do
		listrace_writer "$r" &
	done
	listrace_lister "$end" "$TMP/lists1" &
	listrace_lister "$end" "$TMP/lists2"
	wait "$!"
	: >"$TMP/stop"
	wait
	read -r n1 b1 <"$TMP/lists1"
	read -r n2 b2 <"$TMP/lists2"
	check "listrace: while 6 writers replace $LISTRACE_ENTRIES entries, every list shows all of them ($((b1 + b2)) of $((n1 + n2)) lists short)" \
		test "$((b1 + b2))" -eq 0
	check "listrace: every store during the race succeeded" test ! -s "$TMP/wfail"
}

# perms_ok KEY...: no group or other bit, everything for the possessor and
# only view for the owning user, on every KEY.  Shows the keys that differ.
perms_ok() {
	local k perm ok=0
	for k in "$@"; do
		perm=$(keyctl rdescribe "$k" | cut -d';' -f4)
		if [ "$perm" != 3f010000 ]; then
			printf '#   %s: %s\n' "$(keyctl rdescribe "$k")" "$perm"
			ok=1
		fi
	done
	return "$ok"
}

part_perms() {
	local ring e keys="" part n=0 p
	p=$(secret perms)-$(pad 20000)
	[ "$(id -u)" -eq 0 ] && p=$(secret perms)-$(pad 40000)
	put "$(host perms)" pat "$p"
	put "$(host perms-2)" pam "$(secret perms-2)"
	ring=$(child_ring @s)
	for e in $(keyctl rlist "$ring"); do
		keys+=" $e $(keyctl rlist "$e")"
	done
	n=$(wc -w <<<"$ring $keys")
	check "perms: credkit's keyring, entries and parts grant the possessor all, the user view, others nothing ($n keys)" \
		perms_ok $ring $keys
	part=$(keyctl search "$(entry_in "$ring" "$(host perms)")" user part:0)
	check "perms: the owner reads a part through its session (setup)" \
		eval '[ "$(keyctl pipe "$part" | head -c ${#MARK})" = "$MARK" ]'
	check "perms: another session of the same user cannot read a part" \
		eval '! keyctl session - keyctl pipe "$part" >/dev/null 2>&1'
}

part_expiry() {
	local s e k
	s=$(host expiry)
	put "$s" exp "$(secret expiry-1)"
	e=$(entry_in "$(child_ring @s)" "$s")
	for k in "$e" $(keyctl rlist "$e"); do
		keyctl timeout "$k" 1
	done
	sleep 1.2
	cred get "$s"
	check "expiry: get of an entry whose keys timed out is not found" not_found
	cred list
	check "expiry: list omits an entry whose keys timed out" list_lacks "$s"
	put "$s" exp "$(secret expiry-2)"
	cred get "$s"
	check "expiry: an expired entry is replaced by a new store" \
		is_get "$s" exp "$(secret expiry-2)"
}

# Runs as an unprivileged user (see main), in its own session keyring.
part_quota() {
	local max s1 s2 big r1 r2 kept
	max=$(cat /proc/sys/kernel/keys/maxbytes)
	if [ "$(id -u)" -eq 0 ]; then
		skip "quota" "runs as root, whose quota is root_maxbytes"
		return
	fi
	if [ "$max" -gt 300000 ]; then
		skip "quota" "kernel.keys.maxbytes=$max is too large to fill through the protocol"
		return
	fi
	s1=https://$(host quota-kept)
	put "$s1" sam "$(secret quota-kept)"
	key_use
	kept=$KEY_USED

	s2=$(host quota-big)
	STORED+=("$s2")
	big=$(secret quota-big)-$(pad $((max + 1000)))
	timed cred store "$(creds_json "$s2" bo "$big")"
	check "quota: a store over the quota exits 1 at once (1 s, +2 s for load)" \
		eval '[ "$RC" -eq 1 ] && [ "$MS" -lt "$AT_ONCE_MS" ] || { echo "#   took $MS ms"; false; }'
	check "quota: the error names the quota" is_error 'quota'
	check "quota: the error names kernel.keys.maxbytes and its value" \
		is_error "kernel\.keys\.maxbytes=$max "
	check "quota: the error says how to raise it" is_error "sysctl kernel\.keys\.maxbytes="
	cred get "$s1"
	check "quota: an entry stored before is still there" \
		is_get "$s1" sam "$(secret quota-kept)"
	cred get "$s2"
	check "quota: nothing of the failed entry is left" not_found

	check "quota: the kernel freed the keys of the failed entry (setup)" keys_freed "$kept"
	s2=$(host quota-replace)
	r1=$(secret quota-r1)-$(pad $((max * 55 / 100)))
	r2=$(secret quota-r2)-$(pad $((max * 55 / 100)))
	put "$s2" rita "$r1"
	cred store "$(creds_json "$s2" rolf "$r2")"
	check "quota: replacing an entry when old and new do not fit together fails, saying so" \
		eval 'is_error "quota" && is_error "old entry stays"'
	cred get "$s2"
	check "quota: the entry being replaced is kept whole" is_get "$s2" rita "$r1"
	cred list
	check "quota: list shows the entries kept and nothing else" \
		eval 'list_has "$s1" sam && list_has "$s2" rita &&
		      [ "$(list_keys | grep -c "$RUN")" -eq 2 ]'
	check "quota: credkit's keyring holds the two entries only" \
		test "$(keyctl rlist "$(child_ring @s)" | wc -w)" -eq 2

	# The kernel frees keys in the background, which a loaded machine
	# delays: up to 30 s.
	cred erase "$s2"
	for _ in $(seq 300); do
		cred store "$(creds_json "$s2" rolf "$r2")"
		[ "$RC" -eq 0 ] && break
		sleep 0.1
	done
	check "quota: after an erase the room is there again" silent_ok
}

part_seccomp() {
	local tool=$TMP/seccomp-deny real=$HELPER mode verb input s before
	if ! t_seccomp_tool "$tool"; then
		skip "seccomp" "$T_SECCOMP_WHY"
		return
	fi
	s=https://$(host seccomp)
	for mode in eperm enosys; do
		for verb in store get erase list; do
			case $verb in
			store) input=$(creds_json "$s" sec "$(secret seccomp)") ;;
			list)  input= ;;
			*)     input=$s ;;
			esac
			printf '%s' "$input" >"$TMP/seccomp.in"
			HELPER=$tool
			kr default timed call "$TMP/seccomp.in" "$mode" "$real" "$verb"
			HELPER=$real
			check "seccomp: $mode: $verb exits 1 at once (1 s, +2 s for load)" \
				eval '[ "$RC" -eq 1 ] && [ "$MS" -lt "$AT_ONCE_MS" ] || { echo "#   exit $RC after $MS ms"; false; }'
			check "seccomp: $mode: $verb blames a seccomp profile and says what to do" \
				eval 'is_error "seccomp" && is_error "docker-credential-pass" &&
				      is_error "allows keyctl"'
		done
	done
	HELPER=$tool
	printf '%s' "$s" >"$TMP/seccomp.in"
	call "$TMP/seccomp.in" eperm "$real" get
	HELPER=$real
	check "seccomp: eperm: CREDKIT_KEYRING=session says the same" is_error "seccomp"

	# A kernel without persistent keyrings: the user keyring, said once.
	before=$(child_ring @u)
	HELPER=$tool
	printf '%s' "$(creds_json "$s" pers "$(secret nopersistent)")" >"$TMP/np.in"
	kr default call "$TMP/np.in" nopersistent "$real" store
	HELPER=$real
	check "seccomp: no persistent keyrings: store falls back and succeeds" silent_ok
	check "seccomp: no persistent keyrings: stderr says so once" \
		eval '[ "$(grep -c "user keyring" <<<"$ERR")" -eq 1 ] && [[ $ERR == *persistent* ]]'
	kr user cred get "$s"
	check "seccomp: no persistent keyrings: the entry is in the user keyring" \
		is_get "$s" pers "$(secret nopersistent)"
	kr user cred erase "$s"
	[ -n "$before" ] || keyctl unlink "$(child_ring @u)" @u >/dev/null 2>&1
}

part_keyrings() {
	local v verb s p u pring uring before_p before_u
	for v in bogus Persistent "session " /tmp; do
		for verb in get list; do
			kr "$v" cred "$verb" "$(host keyrings)"
			check "keyrings: CREDKIT_KEYRING='$v': $verb fails naming the values it takes" \
				eval 'is_error "CREDKIT_KEYRING" && is_error "persistent.*user.*session"'
		done
	done

	# The default: the persistent keyring, linked here to look inside.
	p=$(keyctl get_persistent @s)
	before_p=$(child_ring "$p")
	s=https://$(host persistent)
	kr default cred store "$(creds_json "$s" perry "$(secret persistent)")"
	check "keyrings: default: store succeeds" silent_ok
	pring=$(child_ring "$p")
	check "keyrings: default: the entry is in credkit's keyring in the persistent keyring" \
		test -n "$(entry_in "$pring" "$s")"
	check "keyrings: default: that keyring grants nothing to group or other" \
		perms_ok "$pring"
	kr default cred get "$s"
	check "keyrings: default: get finds it" is_get "$s" perry "$(secret persistent)"
	kr "" cred get "$s"
	check "keyrings: CREDKIT_KEYRING='' is the default" is_get "$s" perry "$(secret persistent)"
	kr persistent cred list
	check "keyrings: persistent: list shows it" list_has "$s" perry
	kr session cred get "$s"
	check "keyrings: session does not see the persistent keyring's entries" not_found
	kr user cred get "$s"
	check "keyrings: user does not see the persistent keyring's entries" not_found
	kr default cred erase "$s"
	kr default cred get "$s"
	check "keyrings: default: erase removes it" not_found
	[ -n "$before_p" ] || keyctl unlink "$pring" "$p" >/dev/null 2>&1
	keyctl unlink "$p" @s >/dev/null 2>&1

	# The user keyring, linked here (as login sessions do) to look inside.
	keyctl link @u @s
	before_u=$(child_ring @u)
	u=https://$(host user)
	kr user cred store "$(creds_json "$u" ulla "$(secret user)")"
	check "keyrings: user: store succeeds" silent_ok
	uring=$(child_ring @u)
	check "keyrings: user: the entry is in credkit's keyring in the user keyring" \
		test -n "$(entry_in "$uring" "$u")"
	kr user cred get "$u"
	check "keyrings: user: get finds it" is_get "$u" ulla "$(secret user)"
	kr session cred get "$u"
	check "keyrings: session does not see the user keyring's entries" not_found
	kr default cred get "$u"
	check "keyrings: persistent does not see the user keyring's entries" not_found
	kr user cred erase "$u"
	kr user cred get "$u"
	check "keyrings: user: erase removes it" not_found
	[ -n "$before_u" ] || keyctl unlink "$uring" @u >/dev/null 2>&1
	keyctl unlink @u @s >/dev/null 2>&1

	# The session keyring: what the other parts use.
	put "$u" sue "$(secret session)"
	kr user cred get "$u"
	check "keyrings: user does not see the session keyring's entries" not_found
	kr session cred get "$u"
	check "keyrings: session: get finds it" is_get "$u" sue "$(secret session)"
	check "keyrings: session: credkit's keyring is linked in the session keyring" \
		test -n "$(entry_in "$(child_ring @s)" "$u")"
}

# --- main -------------------------------------------------------------------------

# in_session CMD...: CMD in a new session keyring, without keyctl's note.
in_session() {
	keyctl session - "$@" 2> >(grep -v '^Joined session keyring:' >&2)
}

# run_part NAME CMD...: run one part; a part that stops without saying
# which check failed still fails the run.
run_part() {
	local name=$1 rc; shift
	"$@" | tee "$TMP/part.out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$TMP/part.out"; then
		t_fail "keyctl: part $name ran to the end (exit $rc)"
	elif [ "$rc" -ne 0 ]; then
		T_FAILED=$((T_FAILED + 1))
	fi
}

# other_uid: a uid that no account and no key has.  The kernel keeps a key
# quota per uid, and this one's is empty whatever other runs did: one at
# the same time, or one just before whose keys the kernel has not freed yet.
other_uid() {
	local uid=$((2000000000 + $$))
	while getent passwd "$uid" >/dev/null || grep -q "^ *$uid:" /proc/key-users; do
		uid=$((uid + 1))
	done
	echo "$uid"
}

# as_other_user PART: run PART in a session keyring of its own as another
# user when root (as ourselves when not), with OTHER_HOME, an empty
# directory, as its home.  That user runs copies of this script, the
# libraries it sources and the helper, in its home: the checkout may be
# under a directory that other users cannot enter (mktemp -d, /root).
as_other_user() {
	local part=$1 uid
	if [ "$(id -u)" -ne 0 ]; then
		in_session bash "$SELF" "$part"
		return
	fi
	uid=$(other_uid)
	mkdir -p "$OTHER_HOME"/{run,config,data,tmp,tests,bin}
	chmod 700 "$OTHER_HOME/run"
	cp "$SELF" "$CREDKIT_ROOT/tests/lib-credential.sh" "$CREDKIT_ROOT/tests/lib.sh" \
		"$OTHER_HOME/tests/"
	cp "$HELPER" "$OTHER_HOME/bin/"
	chown -R "$uid:$uid" "$OTHER_HOME"
	printf '# %s: as uid %d, from a copy in %s\n' "$part" "$uid" "$OTHER_HOME"
	setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		env HOME="$OTHER_HOME" XDG_RUNTIME_DIR="$OTHER_HOME/run" \
		XDG_CONFIG_HOME="$OTHER_HOME/config" XDG_DATA_HOME="$OTHER_HOME/data" \
		TMPDIR="$OTHER_HOME/tmp" CREDKIT_ROOT="$OTHER_HOME" \
		HELPER="$OTHER_HOME/bin/${HELPER##*/}" \
		keyctl session - bash "$OTHER_HOME/tests/${SELF##*/}" "$part" \
		2> >(grep -v '^Joined session keyring:' >&2)
}

main() {
	local helper=${HELPER:-${CREDKIT_BIN:-$CREDKIT_ROOT/bin}/docker-credential-keyctl} part

	if [ $# -gt 0 ]; then
		# One part, already inside its session keyring.
		battery_init "$helper" || return 1
		SHORT=keyctl
		"part_$1"
		cleanup_entries
		t_done
		return
	fi

	t_tmpdir
	if [ "$(id -u)" -eq 0 ]; then
		# In /tmp, not $TMPDIR, which may be private (under /root) too.
		OTHER_HOME=$(mktemp -d /tmp/credkit-user.XXXXXX) || return 1
		T_CLEANUP_HOOK='rm -rf "$OTHER_HOME"'
	fi
	case $helper in /*) ;; *) helper=$PWD/$helper ;; esac
	export HELPER=$helper CREDKIT_KEYRING=session
	printf '# testing %s\n' "$helper"
	if ! command -v keyctl >/dev/null; then
		t_fail "keyctl: the keyctl command (package keyutils) is installed"
		return 1
	fi
	[ -n "${PARTS_WANTED:-}" ] ||
		run_part battery in_session bash "$CREDKIT_ROOT/tests/lib-credential.sh" "$helper"
	for part in ${PARTS_WANTED:-$PARTS}; do
		case $part in
		quota) run_part "$part" as_other_user "$part" ;;
		*)     run_part "$part" in_session bash "$SELF" "$part" ;;
		esac
	done
	t_done
}

main "$@"
