#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-faults-token.sh - the token helpers under faults (issue 15's
# "Faults", the token side): each fault gives a clear error within its
# bound, loses nothing, and a still-valid cached token is answered instead
# when there is one.
#
# tests/tools/fault-server.py serves one fault per port (refused
# connections, a reset and a truncated body, 500, 403, 429 with
# Retry-After, garbage, one byte a second, certificates for another name,
# expired, of an untrusted CA), after answering well while the cached
# cases' tokens are minted from it.  Parts, each in a session keyring of
# its own:
#
#   ecr       docker-credential-ecr-login, the faults from ECR and (a
#             role_arn's AssumeRole, asked first) from STS: every fault
#             cold (no cached token) fails with its clear message on
#             stdout, exit 1, within timeout_ms (2 s for one byte a
#             second, which takes it all), and caches nothing; every fault
#             against a token past its refresh point but still valid
#             answers that token, with one line on stderr; 429's
#             Retry-After is honoured when it fits in the deadline (1 s),
#             else not waited for and said (30 s); the cache is whole after
#   online    docker-credential-ghcr doctor --online against each fault: a
#             clear "failed" line, exit 1, within its 10 s per host
#   gh        gh printing garbage (binary, several lines) or hanging: one
#             line on stderr, never the garbage, not found, within
#             gh_timeout_ms; a cached gh token answers with no gh run
#   file      the token file replaced while being read, atomically (rename)
#             and in place (truncated, rewritten in two writes): every get
#             answers one whole old or whole new token, never a mix, an
#             empty one or a failure
#
# The faults of a part run in parallel (each its own registry, so its own
# cache entry), so that a part takes one bound, not one a fault: at most
# 60 s in all on a loaded machine, most of it the wait for the cached
# tokens' refresh point and doctor's 10 s.  Under the sanitizer build
# (CREDKIT_BIN ending in build/asan/bin) those two waits are left out, and
# the run takes about 15 s: they check timing, which the plain run does;
# the code they reach runs in the cold cases too (and t-ecr's refresh).
# Bounds are checked with margins for a loaded 2-core machine, each stated.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/lib-aws.sh
. "$here/lib-aws.sh"
# shellcheck source=tests/lib-ghcr.sh
. "$here/lib-ghcr.sh"

SELF=$here/t-faults-token.sh
PARTS="ecr online gh file"
BIN=${CREDKIT_BIN:-$CREDKIT_ROOT/bin}
ECR=$BIN/docker-credential-ecr-login
GHCR=$BIN/docker-credential-ghcr
NF='credentials not found in native keychain'

# The faults of the fault server.
HTTP_FAULTS="refused reset truncated 500 403 429 429once garbage slowloris badname expired untrusted"
# The faults asked of STS (AssumeRole, XML), before ECR.
STS_FAULTS="reset truncated 500 429 garbage slowloris untrusted"
QUICK=
case $BIN in
*build/asan/bin | *build/asan/bin/) QUICK=1 ;;
esac

now_ms() { printf '%s' "$(( ${EPOCHREALTIME/./} / 1000 ))"; }

# --- the fault server ----------------------------------------------------------

fault_start() {
	local i
	FAULT_DIR=$1
	mkdir -p "$FAULT_DIR" || return 1
	(cd "$here/tools" && exec "$AWS_MOCK_PYTHON" fault-server.py --dir "$FAULT_DIR" \
		--expires-in 60) \
		</dev/null >"$FAULT_DIR/server.log" 2>&1 &
	FAULT_PID=$!
	for i in $(seq 100); do
		[ -s "$FAULT_DIR/ports" ] && break
		kill -0 "$FAULT_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$FAULT_DIR/ports" ] || { cat "$FAULT_DIR/server.log" >&2; return 1; }
	export FAULT_DIR FAULT_PID
}

# fault_arm: from now on every port serves its fault (at most 10 s to see it).
fault_arm() {
	local i
	: >"$FAULT_DIR/armed"
	for i in $(seq 100); do
		[ -e "$FAULT_DIR/armed.done" ] && return 0
		sleep 0.1
	done
	t_fail "the fault server is armed within 10 s"
}

fault_stop() { [ -n "${FAULT_PID:-}" ] && t_stop_process "$FAULT_PID"; FAULT_PID=; }

# fault_url MODE: where MODE is served.
fault_url() {
	printf 'https://127.0.0.1:%s' "$(awk -v m="$1" '$1 == m { print $2 }' "$FAULT_DIR/ports")"
}

# held MODE: how long (ms) the server held the last client of MODE, or "".
held() { awk -v m="$1" '$1 == m { v = $2 } END { print v }' "$FAULT_DIR/held.log" 2>/dev/null; }

# timed DIR CMD...: run CMD with DIR/in on stdin; DIR/out, DIR/err, DIR/rc
# and DIR/ms (its wall time).
timed() {
	local dir=$1 start
	shift
	start=$(now_ms)
	"$@" <"$dir/in" >"$dir/out" 2>"$dir/err"
	echo $? >"$dir/rc"
	echo $(( $(now_ms) - start )) >"$dir/ms"
}

# t_run NAME DIR RC PATTERN: DIR's run exited RC with stdout matching PATTERN.
t_run() {
	if [ "$(cat "$2/rc")" = "$3" ] && grep -Eq -- "$4" "$2/out"; then
		t_ok "$1 ($(cat "$2/ms") ms)"
	else
		t_fail "$1"
		printf '#   rc %s (want %s), %s ms, out: %s\n#   want: %s\n#   stderr: %s\n' \
			"$(cat "$2/rc")" "$3" "$(cat "$2/ms")" "$(tail -c 600 "$2/out")" "$4" \
			"$(head -c 600 "$2/err")"
	fi
}

# t_within NAME DIR MS: DIR's run took less than MS.
t_within() {
	local ms
	ms=$(cat "$2/ms")
	t_check "$1 ($ms ms < $3 ms)" test "$ms" -lt "$3"
}

# --- ecr-login -------------------------------------------------------------------

# The message of each fault, cold.
ecr_says() {
	case $1 in
	refused) echo 'cannot reach ECR at https://127\.0\.0\.1:[0-9]+: .*(refused|connect)' ;;
	reset) echo 'cannot reach ECR at https://127\.0\.0\.1:[0-9]+: .*(reset|Recv failure)' ;;
	truncated) echo 'talking to ECR at https://127\.0\.0\.1:[0-9]+ failed: .*(partial|closed with [0-9]+ bytes remaining)' ;;
	500) echo 'ECR at 127\.0\.0\.1:[0-9]+ failed \(HTTP 500\): ServerException: fault 500' ;;
	403) echo 'ECR refused a token for [^ ]+ to the AWS credentials from .*: ServerException: fault 403' ;;
	429) echo 'ECR at 127\.0\.0\.1:[0-9]+ is throttling \(HTTP 429\).*Retry-After: 30 s.*more than the [0-9]+ ms left' ;;
	garbage) echo 'ECR sent an answer credkit cannot read' ;;
	slowloris) echo 'no answer from ECR at https://127\.0\.0\.1:[0-9]+ within [0-9.]+ s' ;;
	badname) echo 'TLS with ECR at https://127\.0\.0\.1:[0-9]+ failed: .*(subject name|does not match)' ;;
	expired) echo 'TLS with ECR at https://127\.0\.0\.1:[0-9]+ failed: .*expired' ;;
	untrusted) echo 'TLS with ECR at https://127\.0\.0\.1:[0-9]+ failed: .*(local issuer|self.signed|unable to get)' ;;
	esac
}

# bound MODE: the registry's timeout_ms for MODE's cases.  2 s for
# slowloris, which takes all of it; 5 s for 429once, its 1 s Retry-After
# and a second try however slow the first; 8 s for the others, which end
# on their own at once: 19 sanitizer builds started together on a loaded
# machine take seconds to reach the endpoint, and a budget spent before
# the answer came would be the test's failure, not the fault's.
bound() {
	case $1 in
	slowloris) echo 2000 ;;
	429once) echo 5000 ;;
	*) echo 8000 ;;
	esac
}

# ecr_host MODE KIND: the registry of MODE's KIND (cold, cached) case: a
# region of its own, so a cache entry of its own.
ecr_host() { printf '123456789012.dkr.ecr.%s-%s-1.amazonaws.com' "$2" "$1"; }

# ecr_fault DIR HOST MODE: a get of HOST with ECR (and STS, which a
# registry with a role_arn asks first) at MODE's port, in the background.
ecr_fault() {
	mkdir -p "$1"
	printf '%s' "$2" >"$1/in"
	AWS_ENDPOINT_URL_ECR=$(fault_url "$3") AWS_ENDPOINT_URL_STS=$(fault_url "$3") \
		AWS_CA_BUNDLE=$FAULT_DIR/ca.crt timed "$1" timeout 30 "$ECR" get &
}

# ecr_prime HOST MODE OUT: a get of HOST from MODE's port, not armed yet:
# its answer in OUT.
ecr_prime() {
	printf '%s' "$1" | AWS_ENDPOINT_URL_ECR=$(fault_url "$2") AWS_ENDPOINT_URL_STS=$(fault_url "$2") \
		AWS_CA_BUNDLE=$FAULT_DIR/ca.crt timeout 20 "$ECR" get >"$3" 2>&1
}

# t_primed NAME MODE OUT: OUT is a token of MODE's port, for its host.
t_primed() {
	t_check "$1" grep -Eq \
		"^\\{\"ServerURL\":\"[^\"]+\",\"Username\":\"AWS\",\"Secret\":\"faultpw-$2-[0-9]+\"}\$" "$3"
}

# The message of each fault of STS, cold.
sts_says() {
	case $1 in
	reset) echo 'cannot reach STS at https://127\.0\.0\.1:[0-9]+: .*(reset|Recv failure)' ;;
	truncated) echo 'talking to STS at https://127\.0\.0\.1:[0-9]+ failed: .*(partial|closed with)' ;;
	500) echo 'AWS STS AssumeRole for arn:aws:iam::123456789012:role/fault .* was refused: .*500' ;;
	429) echo 'AWS STS AssumeRole for .* was refused: .*429.*Retry-After: 30 s' ;;
	garbage) echo 'AWS STS sent a AssumeRole answer credkit cannot read' ;;
	slowloris) echo 'no answer from STS at https://127\.0\.0\.1:[0-9]+ within [0-9.]+ s' ;;
	untrusted) echo 'TLS with STS at https://127\.0\.0\.1:[0-9]+ failed: .*(local issuer|unable to get)' ;;
	esac
}

# ecr_start KIND: a get for each fault of ECR and of STS, of KIND's
# registries (cold, cached), all at once in the background; the runs in
# $TMP/KIND.MODE and $TMP/stsKIND.MODE.
ecr_start() {
	local m
	for m in $HTTP_FAULTS; do
		ecr_fault "$TMP/$1.$m" "$(ecr_host "$m" "$1")" "$m"
	done
	for m in $STS_FAULTS; do
		ecr_fault "$TMP/sts$1.$m" "$(ecr_host "$m" "sts$1")" "$m"
	done
}

# ecr_cold: every fault against a registry with no cached token, in parallel.
ecr_cold() {
	ecr_start cold
	wait
	ecr_cold_check
}

# ecr_cold_check: what ecr_cold's runs said.
ecr_cold_check() {
	local m d want i
	for m in $HTTP_FAULTS; do
		d=$TMP/cold.$m
		if [ "$m" = 429once ]; then
			want=$(printf '{"ServerURL":"%s","Username":"AWS","Secret":"faultpw-429once"}' \
				"$(ecr_host "$m" cold)")
			t_run "cold, 429 with Retry-After 1 s: honoured, the second try answers" \
				"$d" 0 "^$want\$"
			t_check "after waiting the 1 s ($(cat "$d/ms") ms)" test "$(cat "$d/ms")" -ge 1000
			# 3 s of margin for a loaded machine, as below.
			t_within "within the deadline" "$d" $(( $(bound "$m") + 3000 ))
			continue
		fi
		t_run "cold, $m: a clear error, exit 1" "$d" 1 "$(ecr_says "$m")"
		# The bound is timeout_ms, start to answer; the margin of 3 s is a
		# loaded 2-core machine starting two programs (front, minter).
		t_within "cold, $m: within timeout_ms" "$d" $(( $(bound "$m") + 3000 ))
		t_eq "cold, $m: nothing on stderr" "$(cat "$d/err")" ""
	done
	# The server's clock: from the answer's head to the client's close
	# (written down at most a second after it).  3 s more for scheduling,
	# as for the cold runs' own times: the client, one of 19 started
	# together on a loaded 2-core machine, may run seconds after its
	# deadline before it closes.  The body would take 400 s.
	for i in $(seq 30); do
		[ -n "$(held slowloris)" ] && break
		sleep 0.1
	done
	t_check "slowloris: held no longer than timeout_ms ($(held slowloris) ms < 2000 + 1000 + 3000 of scheduling)" \
		test "$(held slowloris)" -lt 6000
	for m in $STS_FAULTS; do
		d=$TMP/stscold.$m
		t_run "cold, STS $m: a clear error, exit 1" "$d" 1 "$(sts_says "$m")"
		t_within "cold, STS $m: within timeout_ms" "$d" $(( $(bound "$m") + 3000 ))
	done
	OUT=$(timeout 20 "$ECR" list 2>&1)
	# 429once's second try answered: its token is the one cached.
	t_eq "no cold fault left a token" "$(grep -o 'cold-[a-z0-9]*-1' <<<"$OUT" | sort -u)" \
		cold-429once-1
}

part_ecr() {
	local m host d regs="" t0 t1 wait_ms want i k
	export AWS_ACCESS_KEY_ID=$MOCK_ENV_KEY_ID AWS_SECRET_ACCESS_KEY=$MOCK_ENV_SECRET
	for m in $HTTP_FAULTS; do
		regs+="${regs:+, }\"$(ecr_host "$m" cold)\": {\"timeout_ms\": $(bound "$m")}"
		regs+=", \"$(ecr_host "$m" cached)\": {\"timeout_ms\": $(bound "$m")}"
	done
	for m in $STS_FAULTS; do
		for k in stscold stscached; do
			regs+=", \"$(ecr_host "$m" $k)\": {\"timeout_ms\": $(bound "$m"),"
			regs+=" \"role_arn\": \"arn:aws:iam::123456789012:role/fault\"}"
		done
	done
	printf '{"ecr": {"registries": {%s}}}\n' "$regs" >"$CREDKIT_CONFIG"

	if [ -n "$QUICK" ]; then
		fault_arm
		ecr_cold
		return
	fi
	# The cached cases' tokens, from the endpoints that fail next (the
	# cache key holds them), minted at once: 60 s, fresh for 30 s, then past
	# their refresh point and still usable until 45 s (a quarter of the
	# life, at most 60 s, is the margin: tokens/token.c).
	t0=$(now_ms)
	for m in $HTTP_FAULTS; do
		ecr_prime "$(ecr_host "$m" cached)" "$m" "$TMP/primed.$m" &
	done
	for m in $STS_FAULTS; do
		ecr_prime "$(ecr_host "$m" stscached)" "$m" "$TMP/primed.sts.$m" &
	done
	wait
	t1=$(now_ms)
	for m in $HTTP_FAULTS; do
		t_primed "a token for $(ecr_host "$m" cached) is cached first" "$m" "$TMP/primed.$m"
	done
	for m in $STS_FAULTS; do
		t_primed "a token for $(ecr_host "$m" stscached) is cached first, through STS" "$m" \
			"$TMP/primed.sts.$m"
	done
	# Past every refresh point at t1 + 30.3 s, usable until t0 + 44 s at
	# least (whole seconds): the cached cases have 13.7 s less the time the
	# minting took, for faults that end within 2 s (slowloris by its bound,
	# the others at once).  20 cold mints at once on a loaded 2-core
	# machine (four suites and two make checks beside) take seconds: 8 s
	# leaves them 5.7 s, the 2 s and the cold runs' 3 s of scheduling.
	t_check "minted within 8 s ($(( t1 - t0 )) ms), leaving the cached cases 5.7 s or more" \
		test $(( t1 - t0 )) -lt 8000
	fault_arm

	# Cold (no token cached), while the cached tokens age.
	ecr_start cold
	wait_ms=$(( 30300 - ($(now_ms) - t1) ))
	[ "$wait_ms" -gt 0 ] && sleep "$(awk -v t="$wait_ms" 'BEGIN { printf "%.3f", t / 1000 }')"
	# Cached: past the refresh point.
	ecr_start cached
	wait
	ecr_cold_check
	for m in $HTTP_FAULTS; do
		d=$TMP/cached.$m
		host=$(ecr_host "$m" cached)
		if [ "$m" = 429once ]; then
			want=$(printf '{"ServerURL":"%s","Username":"AWS","Secret":"faultpw-429once"}' "$host")
			t_run "cached, 429 with Retry-After 1 s: honoured, the new token" "$d" 0 "^$want\$"
			continue
		fi
		t_run "cached, $m: the cached token" "$d" 0 "^$(cat "$TMP/primed.$m")\$"
		if [ "$(grep -c . "$d/err")" = 1 ] &&
			grep -q "cannot refresh the token for $host (.*); using the cached one, valid until" "$d/err"; then
			t_ok "cached, $m: one line on stderr"
		else
			t_fail "cached, $m: one line on stderr"
			sed 's/^/#   stderr: /' "$d/err"
		fi
		t_within "cached, $m: within timeout_ms" "$d" $(( $(bound "$m") + 3000 ))
	done
	for m in $STS_FAULTS; do
		d=$TMP/stscached.$m
		host=$(ecr_host "$m" stscached)
		t_run "cached, STS $m: the cached token" "$d" 0 "^$(cat "$TMP/primed.sts.$m")\$"
		t_check "cached, STS $m: saying so on stderr" \
			grep -q "cannot refresh the token for $host (.*); using the cached one" "$d/err"
	done
	# Nothing lost: the cached tokens are all there, and still answer.
	OUT=$(timeout 20 "$ECR" list 2>&1)
	t_eq "every cached token is still listed" \
		"$(grep -o 'cached-[a-z0-9]*-1' <<<"$OUT" | sort -u | wc -l)" "$(wc -w <<<"$HTTP_FAULTS")"
	t_eq "no secret of the mock in any message" \
		"$(cat "$TMP"/cold.*/err "$TMP"/cached.*/err "$TMP"/cold.*/out | grep -c "$MOCK_ENV_SECRET")" 0
}

# --- ghcr -----------------------------------------------------------------------

STUB_TOKEN_DEFAULT=gho_stubghtoken00000000000000000000003	# lib-ghcr.sh's stub gh

# ghcr_run VERB INPUT: the ghcr helper; OUT, ERR and RC.
ghcr_run() {
	OUT=$(printf '%s' "$2" | timeout 30 "$GHCR" "$1" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
}

# t_get_ghcr NAME SERVER SECRET: get answers SECRET, user x-access-token.
t_get_ghcr() {
	ghcr_run get "$2"
	t_eq "$1" "$RC $OUT" \
		"0 $(printf '{"ServerURL":"%s","Username":"x-access-token","Secret":"%s"}' "$2" "$3")"
}

# The failed line of doctor --online for each fault.
online_says() {
	case $1 in
	refused) echo 'failed +cannot reach GitHub.s API at https://127\.0\.0\.1:[0-9]+: .*(refused|connect)' ;;
	reset) echo "failed +cannot reach GitHub.s API at .*(reset|Recv failure)" ;;
	truncated) echo "failed +talking to GitHub.s API at .* failed: .*(partial|closed with)" ;;
	500|403) echo "failed +GitHub answered HTTP $1" ;;
	429) echo 'failed +GitHub answered HTTP 429: Rate exceeded \(it asks to wait (29|30) s, Retry-After' ;;
	garbage) echo 'failed +GitHub answered HTTP 200 with no login' ;;
	slowloris) echo "failed +no answer from GitHub.s API at .* within 10\.0 s" ;;
	badname) echo "failed +TLS with GitHub.s API at .* failed: .*(subject name|does not match)" ;;
	expired) echo "failed +TLS with GitHub.s API at .* failed: .*expired" ;;
	untrusted) echo "failed +TLS with GitHub.s API at .* failed: .*(local issuer|self.signed|unable to get)" ;;
	esac
}

part_online() {
	local m d
	ghcr_part_env online
	fault_arm
	settings '{"ghcr": {"sources": ["env"]}}'
	for m in $HTTP_FAULTS; do
		[ -n "$QUICK" ] && [ "$m" = slowloris ] && continue
		d=$TMP/online.$m
		mkdir -p "$d"
		: >"$d/in"
		GH_TOKEN=ghp_credkitFaultToken00000000000000000001 GITHUB_API_URL=$(fault_url "$m") \
			SSL_CERT_FILE=$FAULT_DIR/ca.crt NO_PROXY=127.0.0.1 HTTPS_PROXY=http://127.0.0.1:1 \
			timed "$d" timeout 60 "$GHCR" doctor --online &
	done
	wait
	for m in $HTTP_FAULTS; do
		d=$TMP/online.$m
		[ "$m" = 429once ] && continue	# 429 says it; one is enough
		[ -n "$QUICK" ] && [ "$m" = slowloris ] && continue
		t_run "doctor --online, $m: a clear failed line, exit 1" "$d" 1 "$(online_says "$m")"
		# 10 s a host (README); 5 s of margin for a loaded machine.
		t_within "doctor --online, $m: within its 10 s" "$d" 15000
	done
	t_check "no token in any output" \
		bash -c '! grep -rq credkitFaultToken "$1"/online.*/out "$1"/online.*/err' _ "$TMP"
}

part_gh() {
	local t0
	ghcr_part_env gh
	use_stub
	settings '{"ghcr": {"sources": ["gh"], "gh_timeout_ms": 1000}}'
	export STUB_TOKEN=$'\x01\x02garbage\x7f\xff\nsecond line of garbage'
	ghcr_run get ghcr.io
	t_eq "gh printing garbage: not found" "$RC $OUT" "1 $NF"
	t_eq "one line on stderr" "$(grep -c . <<<"$ERR")" 1
	t_check "saying it printed no token" grep -q 'printed no token' <<<"$ERR"
	t_check "never showing the garbage" bash -c '[[ $1 != *garbage* ]]' _ "$ERR$OUT"
	unset STUB_TOKEN
	t_get_ghcr "gh answering: its token, cached" ghcr.io "$STUB_TOKEN_DEFAULT"
	export STUB_SLEEP=30 STUB_TOKEN=$'\x01garbage'
	: >"$STUB_LOG"
	t0=$(now_ms)
	t_get_ghcr "then gh hanging or printing garbage: the cached token" ghcr.io "$STUB_TOKEN_DEFAULT"
	t_eq "with no gh run" "$(runs)" 0
	ghcr_run erase ghcr.io
	unset STUB_TOKEN
	t0=$(now_ms)
	ghcr_run get ghcr.io
	t_eq "gh hanging, nothing cached: not found" "$RC $OUT" "1 $NF"
	# gh_timeout_ms 1 s, then 1 s for TERM; 6 s of margin for a loaded machine.
	t_check "within gh_timeout_ms ($(( $(now_ms) - t0 )) ms)" test $(( $(now_ms) - t0 )) -lt 8000
	t_check "saying so" grep -q 'did not answer within 1000 ms' <<<"$ERR"

	# Past gh_cache_seconds (5 s), gh is asked again; when it fails then,
	# the token it gave (its login unchanged) is still answered, for up
	# to 10 s after it was minted (whole seconds: past 5 s at 5.3 s after
	# t0, at least 9 s of life left then, for a gh stopped in about 2 s).
	settings '{"ghcr": {"sources": ["gh"], "gh_timeout_ms": 1000, "gh_cache_seconds": 5}}'
	unset STUB_SLEEP STUB_TOKEN
	t0=$(now_ms)
	t_get_ghcr "gh_cache_seconds 5: gh's token" ghcr.io "$STUB_TOKEN_DEFAULT"
	# Not below 0: the get may itself have taken past 5.3 s on a loaded machine.
	sleep "$(awk -v t="$(( $(now_ms) - t0 ))" 'BEGIN { w = (5300 - t) / 1000; printf "%.3f", (w > 0 ? w : 0) }')"
	export STUB_SLEEP=30
	t_get_ghcr "past it, gh hanging: the cached token" ghcr.io "$STUB_TOKEN_DEFAULT"
	t_check "saying so on stderr" \
		grep -q 'cannot refresh the token for ghcr.io (.*); using the cached one' <<<"$ERR"
	unset STUB_SLEEP
	export STUB_TOKEN=$'\x01garbage'
	t_get_ghcr "past it, gh printing garbage: the cached token" ghcr.io "$STUB_TOKEN_DEFAULT"
	t_check "saying so on stderr" \
		grep -q 'cannot refresh the token for ghcr.io (.*); using the cached one' <<<"$ERR"
	t_check "never showing the garbage" bash -c '[[ $1 != *garbage* ]]' _ "$ERR$OUT"
	# The failure remembered (fail_cache_ms as shipped): the next get
	# answers the cached token at once, saying gh gave none, never with
	# the protocol's not-found text.
	CREDKIT_TOKEN_FAIL_CACHE_MS=5000 ghcr_run get ghcr.io
	CREDKIT_TOKEN_FAIL_CACHE_MS=5000 t_get_ghcr "past it, gh's failure remembered: the cached token" \
		ghcr.io "$STUB_TOKEN_DEFAULT"
	t_check "saying gh gave no token, not the not-found text ($ERR)" \
		bash -c '[[ $1 == *"(no token came)"* && $1 != *"native keychain"* ]]' _ "$ERR"
	unset STUB_TOKEN
	export STUB_TOKEN=gho_stubghtoken00000000000000000000004
	t_get_ghcr "and gh answering again: its new token" ghcr.io "$STUB_TOKEN"
	# A logout rewrites gh's hosts.yml, which is in the key: never the old token.
	printf 'github.com:\n    user: someone-else\n' >"$GH_CONFIG_DIR/hosts.yml"
	export STUB_EXIT=1
	ghcr_run get ghcr.io
	t_eq "gh logged out (hosts.yml changed) and failing: not found" "$RC $OUT" "1 $NF"
	unset STUB_EXIT STUB_TOKEN
}

# rewrite FILE SECONDS A B: for SECONDS, every 0.3 s, FILE holds A or B in
# turn, written alternately by a rename of a whole file and in place (the
# file truncated, then the token in two writes 5 ms apart).
rewrite() {
	"$AWS_MOCK_PYTHON" - "$@" <<'EOF'
import os, sys, time
path, seconds, tokens = sys.argv[1], float(sys.argv[2]), sys.argv[3:5]
# A rewrite takes microseconds, as a real writer's does, however loaded the
# machine: real-time priority where it may be had (root), else as it comes.
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
except OSError:
    pass
end, n = time.monotonic() + seconds, 0
while time.monotonic() < end:
    tok = (tokens[n % 2] + "\n").encode()
    if n % 4 < 2:
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(tok)
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.write(fd, tok[:len(tok) // 2])
        time.sleep(0.005)
        os.write(fd, tok[len(tok) // 2:])
        os.close(fd)
    n += 1
    time.sleep(0.3)
EOF
}

part_file() {
	local a=ghp_credkitFileTokenAAAAAAAAAAAAAAAAAAAAA1 b=ghp_credkitFileTokenBBBBBBBBBBBBBBBBBBBBB2
	local f=$TMP/token end n=0 bad=0 got
	ghcr_part_env file
	(umask 077 && printf '%s\n' "$a" >"$f")
	settings "{\"ghcr\": {\"sources\": [\"file\"], \"token_file\": \"$f\"}}"
	rewrite "$f" 4 "$a" "$b" &
	end=$(( $(now_ms) + 3500 ))
	while [ "$(now_ms)" -lt "$end" ]; do
		got=$(printf ghcr.io | timeout 10 "$GHCR" get 2>&1)
		n=$((n + 1))
		case $got in
		"{\"ServerURL\":\"ghcr.io\",\"Username\":\"x-access-token\",\"Secret\":\"$a\"}") ;;
		"{\"ServerURL\":\"ghcr.io\",\"Username\":\"x-access-token\",\"Secret\":\"$b\"}") ;;
		*) bad=$((bad + 1)); [ "$bad" -le 3 ] && printf '#   answer %d: %s\n' "$n" "$got" ;;
		esac
	done
	wait
	t_eq "a token file rewritten during $n gets: each a whole old or new token" "$bad" 0
}

# --- the suite -------------------------------------------------------------------

if [ $# -ge 1 ]; then
	t_tmpdir
	aws_part "$1"
	t_done
	exit
fi
t_tmpdir
for p in "$ECR" "$GHCR"; do
	[ -x "$p" ] || { t_fail "$p is built"; exit 1; }
done
aws_mock_start "$TMP/mock" || { t_fail "the AWS mock starts"; exit 1; }
fault_start "$TMP/fault" || { aws_mock_stop; t_fail "the fault server starts"; exit 1; }
T_CLEANUP_HOOK='aws_mock_stop; fault_stop'
aws_mock_env
for part in ${PARTS_WANTED:-$PARTS}; do
	keyctl session - bash "$SELF" "$part" \
		2> >(grep -v '^Joined session keyring:' >&2) || T_FAILED=$((T_FAILED + 1))
done
t_done
