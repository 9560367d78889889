#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/ecr.sh - docker-credential-ecr-login, credkit's against Debian's Go
# one (amazon-ecr-credential-helper), in one run, against the local fake
# AWS of the tests (tests/tools/aws-mock.py):
#
#   cached get   credkit's token in the kernel keyring, the Go helper's in
#                its own warm cache file (~/.ecr/cache.json); the ratio is
#                the goal (4x, 1.7 ms or less on the reference machine)
#   cold get     no cached token: credkit mints (lock, minter, SigV4, TLS);
#                the Go helper likewise; beside the endpoint's own latency
#                (a signed request over a new TLS connection, timed in
#                Python without its start-up) and an empty program that
#                links libcurl (the floor of any minter that uses it)
#   system CAs   the same cold gets trusting the system's CAs, as in
#                production (as root: a mount namespace whose
#                /etc/ssl/certs also holds the mock's CA); credkit's way
#                (the hashed directory) against libcurl's default (the
#                bundle file, parsed whole) and the Go helper
#   32 at once   32 parallel cold gets: how many calls reach ECR
#   sizes        of the programs
#
# The Go helper ignores endpoint overrides but honours HTTPS_PROXY and
# AWS_CA_BUNDLE, so it reaches the mock through the mock's CONNECT proxy,
# which terminates TLS with the test CA under the real host name; credkit
# is sent straight to the mock with AWS_ENDPOINT_URL_ECR.  Each command gets
# its stdin from bench/feed, a static exec-with-redirect (`sh -c` alone
# costs more than a cached get).
#
#   bench/ecr.sh [RUNS]
#
# COLD_RUNS (30) is the number of runs of each cold get.  With BENCH_OUT
# (bench/run.sh): the exports ecr-cached.json, ecr-cold.json and, as root,
# ecr-system-dir.json and ecr-system-file.json; the calls, the endpoint's
# latency and the peak RSS of each get as facts; see bench/lib.sh.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CREDKIT_BIN:-$root/bin}
runs=${1:-200}
warmup=$(( runs < 20 ? runs : 20 ))
cold_runs=${COLD_RUNS:-30}
go=/usr/bin/docker-credential-ecr-login
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start hyperfine keyctl curl "$bin/docker-credential-ecr-login" "$go" -- "$0" "$@"
# shellcheck source=tests/lib-aws.sh
. "$root/tests/lib-aws.sh"
dir=$TMP
aws_mock_start "$dir/mock" >/dev/null
T_CLEANUP_HOOK=aws_mock_stop
aws_mock_env
export HOME=$dir/home XDG_RUNTIME_DIR=$dir/run CREDKIT_KEYRING=session \
	CREDKIT_CONFIG=$dir/none.json AWS_ECR_CACHE_DIR=$dir/go-cache \
	AWS_ACCESS_KEY_ID=$MOCK_ENV_KEY_ID AWS_SECRET_ACCESS_KEY=$MOCK_ENV_SECRET \
	AWS_EC2_METADATA_DISABLED=true HTTPS_PROXY=$MOCK_PROXY NO_PROXY=127.0.0.1
mkdir -p "$HOME" && mkdir -m 700 -p "$XDG_RUNTIME_DIR"
reg=123456789012.dkr.ecr.us-east-1.amazonaws.com
printf '%s\n' "$reg" >"$dir/server"
bench_tools "$dir"
ours="$dir/feed $dir/server $bin/docker-credential-ecr-login get"
theirs="$dir/feed $dir/server $go get"

# Warm both caches, and check both answer the same kind of token.
$ours >"$dir/ours.json"
$theirs >"$dir/theirs.json"
grep -q '"Secret":"ecrpw-' "$dir/ours.json" && grep -q '"Secret":"ecrpw-' "$dir/theirs.json" || {
	echo "bench: a warm-up get failed:" >&2
	cat "$dir/ours.json" "$dir/theirs.json" >&2
	exit 1
}
before=$(aws_mock_calls ecr)

# Beside them, the floor of any program here: an empty static one.  -i:
# a failed run of the Go helper is counted, not the end of the part
# (bench_go_failed); credkit's and the floor's must all pass.
hyperfine -N -i --warmup "$warmup" --runs "$runs" --export-json "$dir/cached.json" \
	-n "credkit cached get" "$ours" -n "Go cached get" "$theirs" \
	-n "empty static program" "$dir/feed $dir/server $dir/empty-static" \
	>"$dir/cached.log" 2>&1 || { cat "$dir/cached.log" >&2; exit 1; }
bench_go_failed ecr-cached "$dir/cached.json" || exit 1
cached_calls=$(( $(aws_mock_calls ecr) - before ))
bench_json ecr-cached "$dir/cached.json"
bench_fact ecr.cached_calls "$cached_calls"
# shellcheck disable=SC2086 # command lines, split into their words
bench_rss "credkit ecr-login cached get" $ours
# shellcheck disable=SC2086
bench_rss "Go ecr-login cached get" $theirs

# Cold: the cache emptied before each run.  Beside them, the floor of any
# program that links libcurl here: an empty one.
printf 'int main(void) { return 0; }\n' >"$dir/empty.c"
cc -O2 -o "$dir/empty-curl" "$dir/empty.c" -Wl,--no-as-needed $(pkg-config --libs libcurl)
hyperfine -N -i --warmup 2 --runs "$cold_runs" --export-json "$dir/cold.json" \
	--prepare "$dir/feed $dir/server $bin/docker-credential-ecr-login erase" \
	-n "credkit cold get" "$ours" \
	--prepare "rm -rf $AWS_ECR_CACHE_DIR" \
	-n "Go cold get" "$theirs" \
	--prepare true -n "empty program linking libcurl" "$dir/empty-curl" >"$dir/cold.log" 2>&1 ||
	{ cat "$dir/cold.log" >&2; exit 1; }
bench_go_failed ecr-cold "$dir/cold.json" || exit 1
bench_json ecr-cold "$dir/cold.json"
"$dir/feed" "$dir/server" "$bin/docker-credential-ecr-login" erase
bench_rss "credkit ecr-login cold get (with its minter)" sh -c "$dir/feed $dir/server $bin/docker-credential-ecr-login erase; exec $ours"
bench_rss "Go ecr-login cold get" sh -c "rm -rf $AWS_ECR_CACHE_DIR; exec $theirs"

# Cold, trusting the system's CAs as in production (no AWS_CA_BUNDLE): in a
# mount namespace whose /etc/ssl/certs is a copy of this machine's plus the
# mock's CA.  credkit looks the issuer up in the hashed directory; libcurl's
# default (forced here with SSL_CERT_FILE) parses the whole bundle file.
system_ca=
if [ "$(id -u)" -eq 0 ] && unshare --mount --propagation private true 2>/dev/null; then
	cp -a /etc/ssl/certs "$dir/certs"
	cp "$AWS_CA_BUNDLE" "$dir/certs/credkit-mock.pem"
	cat "$AWS_CA_BUNDLE" >>"$dir/certs/ca-certificates.crt"
	openssl rehash "$dir/certs" >/dev/null 2>&1
	env -u AWS_CA_BUNDLE unshare --mount --propagation private sh -c '
		mount --bind "$1" /etc/ssl/certs || exit 1
		hyperfine -N -i --warmup 2 --runs "$5" --export-json "$2/dir.json" \
			--prepare "$3 erase" -n "system CAs, hashed directory" "$3 get" \
			--prepare "rm -rf $AWS_ECR_CACHE_DIR" -n "Go, system CAs" "$4 get" &&
		SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
			hyperfine -N --warmup 2 --runs "$5" --export-json "$2/file.json" \
			--prepare "$3 erase" -n "system CAs, bundle file" "$3 get"
	' _ "$dir/certs" "$dir" "$dir/feed $dir/server $bin/docker-credential-ecr-login" \
		"$dir/feed $dir/server $go" "$cold_runs" \
		>"$dir/system.log" 2>&1 && system_ca=1
	# The Go helper, through the mock's proxy and trusting the system's
	# CAs, now and then fails to read an answer it was sent (its log says
	# "use of closed network connection"; 1 run in 10 on a loaded 2-core
	# machine), after doing all of a get's work: so that run is kept
	# (hyperfine -i), and the failures counted.  credkit's must all pass.
	go_failed=
	[ -z "$system_ca" ] || go_failed=$(/usr/bin/python3 - "$dir/dir.json" <<'PY'
import json, sys
runs = {r["command"]: r["exit_codes"] for r in json.load(open(sys.argv[1]))["results"]}
if any(runs["system CAs, hashed directory"]):
    sys.exit("credkit failed a cold get with the system's CAs")
print(sum(1 for c in runs["Go, system CAs"] if c))
PY
) || system_ca=
	if [ -n "$system_ca" ]; then
		bench_json ecr-system-dir "$dir/dir.json"
		bench_json ecr-system-file "$dir/file.json"
		bench_fact ecr.system_go_failed "$go_failed"
	else
		echo "bench: the cold gets with the system's CAs failed, left out:" >&2
		grep -i 'error' "$dir/system.log" | head -n 3 >&2
	fi
fi

# The endpoint's own latency: a signed call over a new TLS connection.
latency=$(/usr/bin/python3 - "$MOCK_HTTPS_PORT" "$AWS_CA_BUNDLE" "$((cold_runs + 6))" <<'PY'
import http.client, ssl, sys, time, os
import botocore.auth, botocore.credentials, botocore.awsrequest
port, ca = int(sys.argv[1]), sys.argv[2]
creds = botocore.credentials.Credentials(os.environ["AWS_ACCESS_KEY_ID"],
                                         os.environ["AWS_SECRET_ACCESS_KEY"])
ctx = ssl.create_default_context(cafile=ca)
times = []
for _ in range(int(sys.argv[3])):
    req = botocore.awsrequest.AWSRequest("POST", f"https://127.0.0.1:{port}/", data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"})
    botocore.auth.SigV4Auth(creds, "ecr", "us-east-1").add_auth(req)
    t0 = time.perf_counter()
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    c.request("POST", "/", body=b"{}", headers=dict(req.headers.items()))
    c.getresponse().read()
    c.close()
    times.append(time.perf_counter() - t0)
times.sort()
print(f"{sum(times[3:-3]) / len(times[3:-3]) * 1e3:.2f}")
PY
)

# 32 cold gets at once, each helper.
parallel() {
	local i pids=()
	for i in $(seq 32); do
		$1 >/dev/null 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"	# not the mock, which is a job of this shell too
}
$dir/feed "$dir/server" "$bin/docker-credential-ecr-login" erase
rm -rf "$AWS_ECR_CACHE_DIR"
aws_mock_reset
parallel "$ours"
ours32=$(aws_mock_calls ecr)
aws_mock_reset
parallel "$theirs"
theirs32=$(aws_mock_calls ecr)
bench_fact ecr.latency_ms "$latency"
bench_fact ecr.calls32.credkit "$ours32"
bench_fact ecr.calls32.go "$theirs32"

/usr/bin/python3 - "$dir/cached.json" "$dir/cold.json" "$latency" "$cached_calls" \
	${system_ca:+"$dir/dir.json" "$dir/file.json"} <<'PY'
import json, sys
def load(p):
    return {r["command"]: r for r in json.load(open(p))["results"]}
cached, cold = load(sys.argv[1]), load(sys.argv[2])
latency, calls = float(sys.argv[3]), int(sys.argv[4])
floor = cold["empty program linking libcurl"]["median"] * 1e3
o, g = cached["credkit cached get"]["median"], cached["Go cached get"]["median"]
print("| get (median)        | credkit   | Go        | Go / credkit |")
print("|---------------------|-----------|-----------|--------------|")
print(f"| cached              | {o*1e3:6.2f} ms | {g*1e3:6.2f} ms | {g/o:11.2f}x |")
empty = cached["empty static program"]["median"]
oc, gc = cold["credkit cold get"]["median"], cold["Go cold get"]["median"]
print(f"| cold (mints)        | {oc*1e3:6.2f} ms | {gc*1e3:6.2f} ms | {gc/oc:11.2f}x |")
if len(sys.argv) > 6:
    sys_ca = load(sys.argv[5])
    d = sys_ca["system CAs, hashed directory"]["median"]
    gd = sys_ca["Go, system CAs"]["median"]
    f = load(sys.argv[6])["system CAs, bundle file"]["median"]
    print(f"| cold, system CAs    | {d*1e3:6.2f} ms | {gd*1e3:6.2f} ms | {gd/d:11.2f}x |")
    print(f"\nwith the system's CAs: {d*1e3:.2f} ms through the hashed directory, "
          f"{f*1e3:.2f} ms parsing the bundle file (libcurl's default)")
print(f"\nendpoint latency (signed call, new TLS connection): {latency:.2f} ms; "
      f"credkit cold get is latency + {oc*1e3 - latency:.1f} ms, of which "
      f"{floor:.1f} ms is what any program linking libcurl takes to start here")
print(f"cached get: {o*1e3:.2f} ms, against {empty*1e3:.2f} ms for an empty static program "
      f"given the same input")
print(f"ECR calls during the cached runs: {calls}")
PY
echo "32 parallel cold gets: credkit made $ours32 ECR call(s), Go made $theirs32"
printf 'sizes: credkit %s + minter %s bytes, Go %s bytes\n' \
	"$(stat -c %s "$bin/docker-credential-ecr-login")" \
	"$(stat -c %s "$(dirname "$bin")/libexec/credkit/docker-credential-ecr-login-mint" 2>/dev/null ||
		stat -c %s "$root/libexec/credkit/docker-credential-ecr-login-mint")" \
	"$(stat -c %s "$go")"
