#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lib-credential.sh - the protocol battery every credkit helper passes.
#
#   bash tests/lib-credential.sh /path/to/docker-credential-NAME
#
# Runs every verb and every error case of the docker credential-helper
# protocol against one helper binary, one TAP line per check, each named
# "NAME: what is checked".  Run it where the helper's store is ready, e.g.
# under tests/with-keyring for secretservice.  Exits non-zero when a check
# failed.
#
# What it promises about the store it runs against:
#  - every entry it writes has a server name unique to this run, except the
#    Docker Hub checks, which run only when no Docker Hub entry exists yet;
#  - it erases what it wrote, also when interrupted.
#
# CRED_BATTERY_SKIP="word ..." reports every check whose name contains one
# of the words as "ok - NAME # SKIP", for stores that cannot support it.
# By default every check runs.  CALL_TIMEOUT (10) bounds each helper call.
#
# Sourced instead of run, it only defines its functions: see battery_init.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
NOT_FOUND='credentials not found in native keychain'
NO_SERVER='no credentials server URL'
NO_USERNAME='no credentials username'

# --- running the helper ----------------------------------------------------

# call INFILE ARG...: run the helper with ARGs and INFILE on stdin.  Sets RC,
# OUT (stdout byte for byte, final newline kept) and ERR (stderr), and keeps
# what was asked for show_last.  A stderr holding a secret of this run sets
# LEAKED.  Builtins only, apart from the helper: the battery makes ~250 calls.
call() {
	LAST_IN=$1; shift
	LAST_ARGS="$*" MS=
	timeout "${CALL_TIMEOUT:-10}" "$HELPER" "$@" <"$LAST_IN" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	IFS= read -r -d '' OUT <"$TMP/out"
	IFS= read -r -d '' ERR <"$TMP/err"
	if [[ $ERR == *"$MARK"* ]]; then
		LEAKED+="$LAST_ARGS; "
	fi
}

# cred VERB [INPUT]: run "helper VERB" with INPUT (as is, no newline added).
cred() {
	printf '%s' "${2-}" >"$TMP/in"
	call "$TMP/in" "$1"
}

# creds_json SERVER USERNAME SECRET: the store request, for plain values.
creds_json() {
	printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$1" "$2" "$3"
}

# --- reporting --------------------------------------------------------------

skipped() {
	local word
	for word in ${CRED_BATTERY_SKIP:-}; do
		case $1 in *"$word"*) return 0 ;; esac
	done
	return 1
}

# show_last: what the last helper call did, for a failed check.
show_last() {
	printf '#   %s with stdin: %s\n' "$LAST_ARGS" \
		"$(head -c 200 "$LAST_IN" | cat -v | tr '\n' '~')"
	printf '#   exit %s\n#   stdout: %q\n#   stderr: %q\n' \
		"$RC" "${OUT:0:300}" "${ERR:0:300}"
	[ -z "${MS:-}" ] || printf '#   took %s ms\n' "$MS"
}

# check NAME CMD...: one TAP line for CMD's status, named "SHORT: NAME".
check() {
	local name="$SHORT: $1"; shift
	if skipped "$name"; then
		printf 'ok - %s # SKIP listed in CRED_BATTERY_SKIP\n' "$name"
	elif "$@"; then
		t_ok "$name"
	else
		t_fail "$name"
		show_last
	fi
}

# skip NAME WHY: a check this store cannot run here.
skip() { printf 'ok - %s: %s # SKIP %s\n' "$SHORT" "$1" "$2"; }

# --- predicates on the last call ----------------------------------------------

single_line() { [[ $OUT == *$'\n' && ${OUT%$'\n'} != *$'\n'* ]]; }
silent_ok()   { [ "$RC" -eq 0 ] && [ -z "$OUT" ]; }
not_found()   { [ "$RC" -eq 1 ] && [ "$OUT" = "$NOT_FOUND"$'\n' ]; }

# says STATUS REGEX: exit STATUS and stdout matching REGEX, ignoring case.
says() { [ "$RC" -eq "$1" ] && printf '%s' "$OUT" | grep -Eqi -- "$2"; }

# is_line WANT: exit 0 and stdout exactly WANT plus a newline.
is_line() { [ "$RC" -eq 0 ] && [ "$OUT" = "$1"$'\n' ]; }

# is_get SERVER USERNAME SECRET: get's exact line, for plain values.
is_get() {
	is_line "{\"ServerURL\":\"$1\",\"Username\":\"$2\",\"Secret\":\"$3\"}"
}

# keys_in_order: get's line has ServerURL, Username, Secret in that order.
keys_in_order() {
	[[ $OUT == '{"ServerURL":'*',"Username":'*',"Secret":'*'}'$'\n' ]]
}

# is_error REGEX: exit 1, one line on stdout matching REGEX (ignoring case),
# and no secret of this run in it.
is_error() {
	[ "$RC" -eq 1 ] && single_line &&
		printf '%s' "$OUT" | grep -Eqi -- "$1" &&
		[[ $OUT != *"$MARK"* ]]
}

# is_protocol_error TEXT: exit 1 and stdout exactly TEXT plus a newline.
is_protocol_error() { [ "$RC" -eq 1 ] && [ "$OUT" = "$1"$'\n' ]; }

# same_as_request FILE SERVER: get answered SERVER with the Username and
# Secret of the store request in FILE, compared as decoded JSON strings.
same_as_request() {
	[ "$RC" -eq 0 ] && single_line &&
	printf '%s' "$OUT" | "$PY" -c '
import json, sys
want = json.load(open(sys.argv[1], encoding="utf-8"))
got = json.loads(sys.stdin.read())
sys.exit(not (isinstance(got, dict)
	      and list(got) == ["ServerURL", "Username", "Secret"]
	      and got["ServerURL"] == sys.argv[2]
	      and got["Username"] == want["Username"]
	      and got["Secret"] == want["Secret"]))' "$1" "$2"
}

# list_is_object: exit 0 and one line holding a JSON object of strings.
list_is_object() {
	[ "$RC" -eq 0 ] && single_line &&
	printf '%s' "$OUT" | "$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
sys.exit(not (isinstance(d, dict) and all(isinstance(v, str) for v in d.values())))'
}

# list_has SERVER USERNAME [SERVER USERNAME]...: the last list maps each
# SERVER to its USERNAME, once.
list_has() {
	local i
	[ "$RC" -eq 0 ] || return 1
	for ((i = 1; i < $#; i += 2)); do
		[ "$(list_count "${!i}")" -eq 1 ] || return 1
	done
	printf '%s' "$OUT" | "$PY" -c '
import json, sys
d = json.loads(sys.stdin.read())
a = sys.argv[1:]
sys.exit(any(d.get(a[i]) != a[i + 1] for i in range(0, len(a), 2)))' "$@"
}

# list_lacks SERVER...: the last list names none of the SERVERs.
list_lacks() {
	local s
	[ "$RC" -eq 0 ] || return 1
	for s; do
		[ "$(list_count "$s")" -eq 0 ] || return 1
	done
}

# list_count SERVER: how often SERVER appears as a key in the raw list text,
# so that a duplicate key, which a JSON decoder would hide, is seen.
list_count() { printf '%s' "$OUT" | grep -oF "\"$1\":" | wc -l; }

# list_keys: the keys of the last list, one a line.
list_keys() {
	printf '%s' "$OUT" | "$PY" -c '
import json, sys
for k in json.loads(sys.stdin.read()): print(k)'
}

# every_key_answers [WORD]: get answers every key of the last list (that
# contains WORD).  Leaves the first failing get for show_last.
every_key_answers() {
	local keys key
	keys=$(list_keys) || return 1
	while IFS= read -r key; do
		[[ -n $key && $key == *"${1-}"* ]] || continue
		cred get "$key"
		[ "$RC" -eq 0 ] || return 1
	done <<<"$keys"
}

# --- the store's entries ------------------------------------------------------

# host WORD: a host name unique to this run.
host() { printf 'cred%s-%s.example.test' "$RUN" "$1"; }

# secret WORD: a secret unique to this run; all carry $MARK.
secret() { printf '%s-%s' "$MARK" "$1"; }

# put SERVER USERNAME SECRET: store an entry as a step of a check; reports
# only when that fails.  Remembers SERVER for the final clean-up.
put() {
	STORED+=("$1")
	cred store "$(creds_json "$1" "$2" "$3")"
	silent_ok || { t_fail "$SHORT: store $1 (setup)"; show_last; }
}

cleanup_entries() {
	local s
	for s in "${STORED[@]}"; do
		cred erase "$s"
	done
	STORED=()
}

# --- the checks ---------------------------------------------------------------

test_commands() {
	local v
	for v in version --version -v; do
		call /dev/null "$v"
		check "$v exits 0 and names the helper" says 0 "$SHORT"
	done
	for v in --help -h; do
		call /dev/null "$v"
		check "$v prints usage on stdout and exits 0" says 0 usage
	done
	call /dev/null
	check "no verb prints usage on stdout and exits 1" says 1 usage
	call /dev/null frobnicate
	check "unknown verb says unknown on stdout and exits 1" says 1 unknown
}

test_round_trip() {
	local s u=alice p
	s=https://$(host roundtrip)/v2/
	p=$(secret roundtrip)

	STORED+=("$s")
	cred store "$(creds_json "$s" "$u" "$p")"
	check "store exits 0 with nothing on stdout" silent_ok
	cred get "$s"
	check "get after store" is_get "$s" "$u" "$p"
	check "get prints one line" single_line
	check "get output keys in order ServerURL, Username, Secret" keys_in_order
	cred get $'  \n\t'"$s"$' \r\n\n'
	check "get trims whitespace and newlines around the server URL" \
		is_get "$s" "$u" "$p"
	cred get "$(host roundtrip)"
	check "get echoes ServerURL as asked" is_get "$(host roundtrip)" "$u" "$p"
	cred erase "$s"$'\n'
	check "erase exits 0 with nothing on stdout" silent_ok
	cred get "$s"
	check "get after erase is not found" not_found
	cred get "$(host never)"
	check "get missing prints the exact not-found line" not_found
	cred erase "https://$(host never)"
	check "erase missing exits 0" silent_ok
}

test_replace() {
	local s
	s=$(host replace)
	put "$s" alice "$(secret replace-1)"
	cred store "$(creds_json "$s" alice "$(secret replace-2)")"
	check "store over an entry exits 0" silent_ok
	cred get "$s"
	check "store replaces the secret (same username)" \
		is_get "$s" alice "$(secret replace-2)"
	put "$s" bob "$(secret replace-3)"
	cred get "$s"
	check "store replaces the entry (new username)" \
		is_get "$s" bob "$(secret replace-3)"
	cred list
	check "list shows one entry with the new username after replace" \
		list_has "$s" bob
}

test_request_shapes() {
	local s
	s=$(host shapes)
	STORED+=("$s")
	cred store "{\"serverurl\":\"$s\",\"USERNAME\":\"carol\",\"sEcReT\":\"$(secret shapes)\",\"Email\":\"c@example.test\",\"Extra\":{\"n\":[1,2,null]},\"Num\":5,\"Flag\":true}"
	check "store matches keys ignoring case and ignores unknown fields" silent_ok
	cred get "$s"
	check "get after store with odd-case keys" is_get "$s" carol "$(secret shapes)"

	s=$(host empty-secret)
	STORED+=("$s")
	cred store "$(creds_json "$s" dave "")"
	check "store accepts an empty secret" silent_ok
	cred get "$s"
	check "get returns the empty secret" is_get "$s" dave ""

	s=$(host token)
	STORED+=("$s")
	printf '{"ServerURL":"%s","Username":"<token>","Secret":"%s"}' \
		"$s" "$(secret token)" >"$TMP/req"
	call "$TMP/req" store
	check "store accepts the <token> username" silent_ok
	cred get "$s"
	check "get returns the <token> username as is" same_as_request "$TMP/req" "$s"
	cred list
	check "list shows the <token> username" list_has "$s" "<token>"
}

test_special_secrets() {
	local s
	s=$(host special)
	STORED+=("$s")
	# JSON escapes as docker writes them, and raw UTF-8 as a person types it.
	printf '{"ServerURL":"%s","Username":"us\\"er\\\\x","Secret":"%s q\\"uote back\\\\slash new\\nline tab\\t\\r uni\\u00e9\\u2713\\ud83d\\udd11 ctl\\u0001 p\xc3\xa4ssw\xc3\xb6rd\xe2\x9c\x93 <&> /\\/"}' \
		"$s" "$MARK" >"$TMP/req"
	call "$TMP/req" store
	check "store accepts quotes, backslashes, escapes and UTF-8" silent_ok
	cred get "$s"
	check "get returns quotes, backslashes, escapes and UTF-8 intact" \
		same_as_request "$TMP/req" "$s"
	check "get escapes a newline in the secret (one line)" single_line

	s=$(host big)
	STORED+=("$s")
	# An identity token can be this big.
	local big
	big=$MARK-$(head -c 48000 /dev/urandom | base64 -w0 | head -c 64500)
	cred store "$(creds_json "$s" erin "$big")"
	check "store accepts a 63 KB secret" silent_ok
	cred get "$s"
	check "get returns a 63 KB secret intact" is_get "$s" erin "$big"
}

test_list() {
	local a b c
	a=https://$(host list-a)
	b=$(host list-b):5000
	c=$(host list-c)/v1/
	put "$a" user-a "$(secret list-a)"
	put "$b" user-b "$(secret list-b)"
	put "$c" user-c "$(secret list-c)"
	cred list
	check "list prints one line with a JSON object of strings" list_is_object
	check "list shows several servers with their usernames" \
		list_has "$a" user-a "$b" user-b "$c" user-c
	check "get answers every server list shows" every_key_answers "$RUN"
	cred erase "$b"
	cred list
	check "list after erase omits the erased server" list_lacks "$b"
	check "list after erase keeps the other servers" \
		list_has "$a" user-a "$c" user-c
}

# variants: ask pattern -> name.  {h} is the host, {H} the host in capitals.
HOST_VARIANTS=(
	'{h}' 'https://{h}' 'https://{h}/' '{h}/v1/' 'https://{h}/v2/'
	'{h}:443' 'https://{h}:443/v2/' '{H}' 'https://{H}/v1/'
	'http://{h}' 'http://{h}:443'
)

# expand PATTERN HOST: PATTERN with {h} and {H} replaced.
expand() {
	local p=${1//\{h\}/$2}
	printf '%s' "${p//\{H\}/${2^^}}"
}

test_host_variants() {
	local h p ask
	h=$(host variants)
	put "https://$h" vic "$(secret variants)"
	for p in "${HOST_VARIANTS[@]}"; do
		ask=$(expand "$p" "$h")
		cred get "$ask"
		check "get $(expand "$p" host) finds the entry stored as https://host" \
			is_get "$ask" vic "$(secret variants)"
	done

	h=$(host bare)
	put "$h" bea "$(secret bare)"
	for ask in "https://$h/v2/" "https://$h:443"; do
		cred get "$ask"
		check "get ${ask//$h/host} finds the entry stored as host" \
			is_get "$ask" bea "$(secret bare)"
	done

	h=$(host port)
	put "$h:5000" pat "$(secret port-5000)"
	cred get "$h"
	check "get host does not match host:5000" not_found
	cred get "https://$h/v2/"
	check "get https://host/v2/ does not match host:5000" not_found
	cred get "https://$h:5000/v2/"
	check "get https://host:5000/v2/ finds host:5000" \
		is_get "https://$h:5000/v2/" pat "$(secret port-5000)"
	put "$h" quinn "$(secret port-443)"
	cred get "$h:5000"
	check "host:5000 and host are separate entries (port 5000)" \
		is_get "$h:5000" pat "$(secret port-5000)"
	cred get "$h"
	check "host:5000 and host are separate entries (default port)" \
		is_get "$h" quinn "$(secret port-443)"
}

# hostile asks that must never match the entry stored as https://{h}.
HOSTILE=(
	'{h}:5000' 'https://{h}:5000/v2/' '{h}:4430' '{h}:80' 'http://{h}:80'
	'evil.com/{h}' 'https://evil.com/{h}' 'https://evil.com/{h}/v2/'
	'{h}.evil.com' 'https://{h}.evil.com/v2/' 'evil-{h}' 'sub.{h}'
	'user@{h}' 'https://user@{h}/' 'https://user:pw@{h}/v2/'
	'evil.com?{h}' 'evil.com#{h}' 'evil.com\{h}'
)

test_hostile() {
	local h p ask
	h=$(host target)
	put "https://$h" tess "$(secret target)"
	for p in "${HOSTILE[@]}"; do
		ask=$(expand "$p" "$h")
		cred get "$ask"
		check "get $(expand "$p" host) does not match https://host" not_found
	done
	cred get "example.test"
	check "get of the parent domain does not match" not_found
	cred get "https://$h"
	check "entry is still there after hostile asks" \
		is_get "https://$h" tess "$(secret target)"
}

test_erase_spellings() {
	local h
	h=$(host erase)
	put "https://$h/v2/" ed "$(secret erase)"
	cred erase "$h"
	check "erase by another spelling exits 0" silent_ok
	cred get "https://$h/v2/"
	check "get after erase by another spelling is not found" not_found
	cred list
	check "list after erase by another spelling omits it" list_lacks "https://$h/v2/"

	h=$(host twice)
	put "https://$h" tw "$(secret twice-1)"
	put "$h/v1/" tw "$(secret twice-2)"
	cred erase "$h"
	local ask ok=0
	for ask in "$h" "https://$h" "$h/v1/"; do
		cred get "$ask"
		not_found || { ok=1; break; }
	done
	check "erase X leaves get X not found whatever spellings were stored" \
		test "$ok" -eq 0
}

HUB_SPELLINGS=(
	https://index.docker.io/v1/ docker.io index.docker.io registry-1.docker.io
	https://docker.io https://registry-1.docker.io/v2/ https://index.docker.io/v1
)

test_docker_hub() {
	local ask
	# Docker Hub's name cannot be made unique: never overwrite a real login.
	for ask in "${HUB_SPELLINGS[@]}"; do
		cred get "$ask"
		if [ "$RC" -ne 1 ]; then
			skip "Docker Hub spellings" "a Docker Hub entry already exists here"
			return
		fi
	done
	STORED+=(https://index.docker.io/v1/ docker.io)
	local p
	p=$(secret hub)
	cred store "$(creds_json https://index.docker.io/v1/ hubby "$p")"
	check "store Docker Hub as https://index.docker.io/v1/" silent_ok
	for ask in "${HUB_SPELLINGS[@]}"; do
		cred get "$ask"
		check "get $ask finds Docker Hub stored as https://index.docker.io/v1/" \
			is_get "$ask" hubby "$p"
	done
	for ask in docker.io.evil.com https://index.docker.io.evil.com/v1/ \
		   evil.com/docker.io notdocker.io hub.docker.io.example.test; do
		cred get "$ask"
		check "get $ask does not match Docker Hub" not_found
	done
	cred erase docker.io
	cred get https://index.docker.io/v1/
	check "erase docker.io removes Docker Hub stored as https://index.docker.io/v1/" not_found

	cred store "$(creds_json docker.io podman "$p")"
	check "store Docker Hub as docker.io" silent_ok
	cred get https://index.docker.io/v1/
	check "get https://index.docker.io/v1/ finds Docker Hub stored as docker.io" \
		is_get https://index.docker.io/v1/ podman "$p"
	cred erase https://index.docker.io/v1/
	local ok=0
	for ask in "${HUB_SPELLINGS[@]}"; do
		cred get "$ask"
		not_found || { ok=1; break; }
	done
	check "erase https://index.docker.io/v1/ removes Docker Hub stored as docker.io" \
		test "$ok" -eq 0
}

# sentinel_intact NAME: the entry stored before a bad request is still
# there, unchanged; put back if not, so that one failure does not cascade.
sentinel_intact() {
	cred get "$SENTINEL"
	check "$1: entry stored before is intact" \
		is_get "$SENTINEL" sam "$(secret sentinel)"
	is_get "$SENTINEL" sam "$(secret sentinel)" ||
		put "$SENTINEL" sam "$(secret sentinel)"
}

# bad NAME REGEX FILE [VERB]: a bad request in FILE fails with an error
# matching REGEX, and the sentinel entry is still there afterwards.
bad() {
	local name=$1 regex=$2 file=$3 verb=${4:-store}
	call "$file" "$verb"
	check "$name: exit 1 and a clear error on stdout" is_error "$regex"
	sentinel_intact "$name"
}

# badp NAME TEXT INPUT [VERB]: like bad, for the protocol's own texts.
badp() {
	local name=$1 text=$2 verb=${4:-store}
	cred "$verb" "$3"
	check "$name: exit 1 and prints '$text'" is_protocol_error "$text"
	sentinel_intact "$name"
}

# after_json NAME FILE: the store in FILE, a JSON object for the sentinel's
# server with the secret "x" and more after it, stores the object: what
# follows it is not read, as by the Go helpers.  Puts the sentinel back.
after_json() {
	call "$2" store
	check "$1: stores the object, as Go does" silent_ok
	cred get "$SENTINEL"
	check "$1: the object was stored" is_get "$SENTINEL" sam "$(secret x)"
	put "$SENTINEL" sam "$(secret sentinel)"
}

test_bad_input() {
	local f=$TMP/bad s
	SENTINEL=https://$(host sentinel)
	s=$SENTINEL
	put "$s" sam "$(secret sentinel)"

	: >"$f"
	bad "store with empty stdin" '^no credentials' "$f"
	badp "get with empty stdin" "$NO_SERVER" ""  get
	badp "get with only whitespace" "$NO_SERVER" $' \n\t\n' get
	badp "erase with empty stdin" "$NO_SERVER" "" erase
	badp "store {}" "$NO_SERVER" '{}'
	badp "store without ServerURL" "$NO_SERVER" \
		"{\"Username\":\"sam\",\"Secret\":\"$(secret x)\"}"
	badp "store with empty ServerURL" "$NO_SERVER" "$(creds_json "" sam "$(secret x)")"
	badp "store without Username" "$NO_USERNAME" \
		"{\"ServerURL\":\"$s\",\"Secret\":\"$(secret x)\"}"
	badp "store with empty Username" "$NO_USERNAME" "$(creds_json "$s" "" "$(secret x)")"

	printf '{"ServerURL":"%s","Username":"sam","Secret":"%s' "$s" "$(secret x)" >"$f"
	bad "store with truncated JSON" 'json' "$f"
	printf '{"ServerURL":"%s","Username":"sam","Secret":"%s",,}' "$s" "$(secret x)" >"$f"
	bad "store with invalid JSON" 'json' "$f"
	printf '["%s","sam","%s"]' "$s" "$(secret x)" >"$f"
	bad "store with a JSON array" 'json|object' "$f"
	printf '{"ServerURL":"%s","Username":"sam","Secret":"%s"} {"x":1}' "$s" "$(secret x)" >"$f"
	after_json "store with data after the JSON" "$f"

	local field value
	for field in Secret Username ServerURL; do
		for value in 5 true '["x"]' '{"a":"b"}'; do
			"$PY" -c '
import json, sys
d = {"ServerURL": sys.argv[1], "Username": "sam", "Secret": sys.argv[2]}
d[sys.argv[3]] = json.loads(sys.argv[4])
sys.stdout.write(json.dumps(d))' "$s" "$(secret x)" "$field" "$value" >"$f"
			bad "store with \"$field\": $value" 'string' "$f"
		done
	done

	# 2 MiB: twice the bound.
	{ printf '{"ServerURL":"%s","Username":"sam","Secret":"%s' "$s" "$MARK"
	  head -c 2097152 /dev/zero | tr '\0' x
	  printf '"}'; } >"$f"
	bad "store with 2 MiB input" 'too large|1 ?MiB' "$f"
	{ printf '%s/' "$s"; head -c 2097152 /dev/zero | tr '\0' x; } >"$f"
	bad "get with 2 MiB input" 'too large|1 ?MiB' "$f" get
	bad "erase with 2 MiB input" 'too large|1 ?MiB' "$f" erase

	printf '{"ServerURL":"%s\0evil","Username":"sam","Secret":"%s"}' "$s" "$(secret x)" >"$f"
	bad "store with a NUL in ServerURL" 'nul|invalid|json' "$f"
	printf '{"ServerURL":"%s","Username":"sam","Secret":"%s\0more"}' "$s" "$(secret x)" >"$f"
	bad "store with a NUL in Secret" 'nul|invalid|json' "$f"
	printf '{"ServerURL":"%s","Username":"sam","Secret":"%s"}\0' "$s" "$(secret x)" >"$f"
	after_json "store with a NUL after the JSON" "$f"
	printf '%s\0evil' "$s" >"$f"
	bad "get with a NUL byte" 'nul' "$f" get
	bad "erase with a NUL byte" 'nul' "$f" erase
}

test_no_leaks() {
	check "stderr never contains a secret" test -z "$LEAKED"
	[ -z "$LEAKED" ] || printf '#   leaked by: %.200s\n' "$LEAKED"
}

# --- main ---------------------------------------------------------------------

# battery_init HELPER: set up what the functions above use.  A test that
# sources this file calls it once, then uses cred, check and the predicates
# (HELPER=other cred ... runs another binary).  Returns 1 when HELPER is not
# an executable file.
battery_init() {
	HELPER=$1
	SHORT=${HELPER##*/}
	SHORT=${SHORT#docker-credential-}
	RUN=$(date +%s)$$
	MARK=sekrit$RUN
	STORED=()
	RC=0 OUT='' ERR='' LEAKED='' LAST_IN=/dev/null LAST_ARGS=''
	t_tmpdir
	T_CLEANUP_HOOK=cleanup_entries
	if [ ! -x "$HELPER" ]; then
		t_fail "$SHORT: helper $HELPER is not an executable file"
		return 1
	fi
}

battery() {
	battery_init "${1:?usage: bash tests/lib-credential.sh /path/to/docker-credential-NAME}" ||
		return 1

	cred list
	local before=$OUT
	if [ "$before" = $'{}\n' ]; then
		check "list of an empty store prints {}" is_line '{}'
	else
		skip "list of an empty store prints {}" "the store is not empty"
	fi

	test_commands
	test_round_trip
	test_replace
	test_request_shapes
	test_special_secrets
	test_list
	test_host_variants
	test_hostile
	test_erase_spellings
	test_docker_hub
	test_bad_input

	cleanup_entries
	cred list
	check "list after clean-up is as before the run" test "$OUT" = "$before"
	test_no_leaks
	t_done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	battery "$@"
	exit
fi
