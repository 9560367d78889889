#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/ghcr.sh - docker-credential-ghcr's get for ghcr.io against what the
# gh-based shell helpers do on every get (run `gh auth token --hostname
# github.com` and print the JSON), with the real gh reading a hand-written
# hosts.yml in a temporary GH_CONFIG_DIR (no network, no keyring):
#
#   cached get   credkit's gh token in the kernel keyring (the default
#                sources: the store for passwords, docker-credential-keyctl
#                in a session keyring here, is asked first and has nothing),
#                against the shell helper, in one hyperfine run: the ratio;
#                beside them gh auth token alone and an empty static program
#   no store     the cached get with "sources": ["env", "file", "gh"]: what
#                asking the store for passwords on every get costs
#   desktop      the cached get with the store for passwords in the Secret
#                Service (a throwaway gnome-keyring, tests/with-keyring), as
#                the automatic choice gives on a desktop
#   cold get     no cached token (erase before each run): the front, the
#                lock, the minter, gh; its cost over gh's own, timed in
#                pairs (a cold get and gh alone, in turn first), since on a
#                shared machine two runs apart differ by more than that cost
#   32 at once   32 parallel cold gets: how many times gh runs (through a
#                counting wrapper in front of the real gh)
#   sizes        of the front and its minter, as built and stripped
#
# Each command gets its stdin from bench/feed, a static exec-with-redirect
# (`sh -c` alone costs more than a cached get).
#
#   bench/ghcr.sh [RUNS]
#
# COLD_RUNS (40) is the number of pairs of the cold get.  With BENCH_OUT
# (bench/run.sh): the exports ghcr-cached.json, ghcr-no-store.json and
# ghcr-desktop.json; the cold medians, gh's runs and the peak RSS of each
# get as facts; see bench/lib.sh.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CREDKIT_BIN:-$root/bin}
runs=${1:-200}
warmup=$(( runs < 20 ? runs : 20 ))
cold_runs=${COLD_RUNS:-40}
front=$bin/docker-credential-ghcr
mint=$(dirname "$bin")/libexec/credkit/docker-credential-ghcr-mint
[ -x "$mint" ] || mint=$root/libexec/credkit/docker-credential-ghcr-mint
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start hyperfine keyctl gh cc strip dbus-run-session gnome-keyring-daemon \
	"$front" "$mint" "$bin/docker-credential-keyctl" -- "$0" "$@"
dir=$TMP
unset GH_TOKEN GITHUB_TOKEN GH_ENTERPRISE_TOKEN GITHUB_ENTERPRISE_TOKEN GH_HOST \
	GITHUB_ACTOR DBUS_SESSION_BUS_ADDRESS
export HOME=$dir/home XDG_RUNTIME_DIR=$dir/run XDG_CONFIG_HOME=$dir/home/.config \
	GH_CONFIG_DIR=$dir/gh CREDKIT_CONFIG=$dir/none.json CREDKIT_KEYRING=session \
	CREDKIT_STORE=keyctl GH_NO_UPDATE_NOTIFIER=1 GH_PROMPT_DISABLED=1
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR" "$GH_CONFIG_DIR"

# A made-up OAuth token where `gh auth login` keeps one without a keyring.
token=gho_$(/usr/bin/python3 -c 'import secrets, string
print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36)))')
(umask 077 && printf 'github.com:\n    oauth_token: %s\n    user: octocat\n    git_protocol: https\n' \
	"$token" >"$GH_CONFIG_DIR/hosts.yml")
printf '{"ghcr": {"sources": ["env", "file", "gh"]}}\n' >"$dir/no-store.json"
printf 'ghcr.io\n' >"$dir/server"
bench_tools "$dir"

# What the gh-based shell helpers do on get.
cat >"$dir/docker-credential-gh-shell" <<'EOF'
#!/bin/sh
read -r server
token=$(gh auth token --hostname github.com) || exit 1
printf '{"ServerURL":"%s","Username":"x-access-token","Secret":"%s"}\n' "$server" "$token"
EOF
chmod +x "$dir/docker-credential-gh-shell"

ours="$dir/feed $dir/server $front get"
shell="$dir/feed $dir/server $dir/docker-credential-gh-shell get"
gh_alone="$dir/feed $dir/server $(command -v gh) auth token --hostname github.com"

# Warm credkit's cache, and check both answer the token.
$ours >"$dir/ours.json"
$shell >"$dir/shell.json"
for f in ours shell; do
	grep -qF "\"Secret\":\"$token\"" "$dir/$f.json" || {
		echo "bench: the $f warm-up get did not answer the token:" >&2
		sed "s/$token/<token>/g" "$dir/$f.json" >&2
		exit 1
	}
done

hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$dir/cached.json" \
	-n "credkit cached get" "$ours" -n "shell helper" "$shell" \
	-n "gh auth token" "$gh_alone" \
	-n "empty static program" "$dir/feed $dir/server $dir/empty-static" \
	>"$dir/cached.log" 2>&1 || { cat "$dir/cached.log" >&2; exit 1; }
bench_json ghcr-cached "$dir/cached.json"
# shellcheck disable=SC2086 # command lines, split into their words
bench_rss "credkit ghcr cached get" $ours
# shellcheck disable=SC2086
bench_rss "gh auth token" $gh_alone

CREDKIT_CONFIG=$dir/no-store.json $ours >/dev/null
CREDKIT_CONFIG=$dir/no-store.json hyperfine -N --warmup "$warmup" --runs "$runs" \
	--export-json "$dir/no-store.json.out" -n "credkit cached get, no store" "$ours" \
	>"$dir/no-store.log" 2>&1 || { cat "$dir/no-store.log" >&2; exit 1; }
bench_json ghcr-no-store "$dir/no-store.json.out"

# shellcheck disable=SC2016 # expanded by that sh, from its arguments
"$root/tests/with-keyring" env CREDKIT_STORE=secretservice sh -c '
	$1 >/dev/null &&
	hyperfine -N --warmup "$4" --runs "$2" --export-json "$3" \
		-n "credkit cached get, Secret Service" "$1"' _ "$ours" "$runs" "$dir/desktop.json" "$warmup" \
	>"$dir/desktop.log" 2>&1 || { cat "$dir/desktop.log" >&2; exit 1; }
bench_json ghcr-desktop "$dir/desktop.json"

# The cold get and gh alone in pairs: medians of each and of the pairs'
# differences, in ms, on one line.
/usr/bin/python3 - "$dir/feed" "$dir/server" "$front" "$(command -v gh)" "$cold_runs" \
	>"$dir/cold.txt" <<'PY'
import subprocess, sys, time
feed, server, front, gh = sys.argv[1:5]
def run(*cmd):
    t0 = time.perf_counter()
    subprocess.run([feed, server, *cmd], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t0) * 1e3
cold, alone = [], []
for i in range(int(sys.argv[5]) + 2):
    run(front, "erase")
    if i % 2:
        cold.append(run(front, "get")); alone.append(run(gh, "auth", "token", "--hostname", "github.com"))
    else:
        alone.append(run(gh, "auth", "token", "--hostname", "github.com")); cold.append(run(front, "get"))
cold, alone = cold[2:], alone[2:]
med = lambda v: sorted(v)[len(v) // 2]
print(f"{med(cold):.2f} {med(alone):.2f} {med([c - a for c, a in zip(cold, alone)]):.2f}")
PY

read -r cold_ms gh_ms added_ms <"$dir/cold.txt"
bench_fact ghcr.cold_ms "$cold_ms"
bench_fact ghcr.cold_gh_ms "$gh_ms"
bench_fact ghcr.cold_added_ms "$added_ms"
/usr/bin/python3 - "$dir/cached.json" "$dir/no-store.json.out" "$dir/desktop.json" \
	"$cold_ms" "$gh_ms" "$added_ms" "$cold_runs" <<'PY'
import json, sys
def load(p):
    return {r["command"]: r for r in json.load(open(p))["results"]}
cached, nostore, desktop = (load(p) for p in sys.argv[1:4])
c, g, d = (float(x) for x in sys.argv[4:7])
ms = lambda r: r["median"] * 1e3
o = ms(cached["credkit cached get"])
rows = [("credkit, cached", o),
        ("credkit, cached, store not asked", ms(nostore["credkit cached get, no store"])),
        ("credkit, cached, Secret Service", ms(desktop["credkit cached get, Secret Service"])),
        ("shell helper (gh auth token)", ms(cached["shell helper"])),
        ("gh auth token alone", ms(cached["gh auth token"])),
        ("empty static program", ms(cached["empty static program"])),
        ("credkit, cold (runs gh), median", c)]
print("| get                              | median    | / credkit cached |")
print("|----------------------------------|-----------|------------------|")
for name, t in rows:
    print(f"| {name:32} | {t:6.2f} ms | {t / o:15.2f}x |")
sh = ms(cached["shell helper"])
print(f"\ncached get: the shell helper takes {sh / o:.1f}x credkit's time")
print(f"cold get: {c:.2f} ms against gh auth token alone {g:.2f} ms (medians of {sys.argv[7]} "
      f"pairs): credkit adds {d:.2f} ms (the median of the pairs' differences)")
PY

# 32 cold gets at once, gh behind a wrapper that counts its runs.
mkdir "$dir/gh-bin"
printf '#!/bin/sh\necho run >>"%s"\nexec "%s" "$@"\n' "$dir/gh-runs" "$(command -v gh)" \
	>"$dir/gh-bin/gh"
chmod +x "$dir/gh-bin/gh"
"$dir/feed" "$dir/server" "$front" erase
: >"$dir/gh-runs"
pids=()
for _ in $(seq 32); do
	PATH=$dir/gh-bin:$PATH $ours >"$dir/par.$_" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
answered=$(grep -lF "\"Secret\":\"$token\"" "$dir"/par.* | wc -l)
echo "32 parallel cold gets: gh ran $(grep -c . "$dir/gh-runs") time(s), $answered answered the token"
bench_fact ghcr.gh_runs32 "$(grep -c . "$dir/gh-runs")"
bench_fact ghcr.answered32 "$answered"
"$dir/feed" "$dir/server" "$front" erase
bench_rss "credkit ghcr cold get (with its minter and gh)" \
	sh -c "$dir/feed $dir/server $front erase; exec $ours"

strip -o "$dir/front.stripped" "$front"
strip -o "$dir/mint.stripped" "$mint"
printf 'sizes: front %s bytes (%s stripped), minter %s bytes (%s stripped)\n' \
	"$(stat -c %s "$front")" "$(stat -c %s "$dir/front.stripped")" \
	"$(stat -c %s "$mint")" "$(stat -c %s "$dir/mint.stripped")"
