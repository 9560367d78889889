# SPDX-License-Identifier: MIT
# tests/lib-ghcr.sh - shared shell of the ghcr suites (t-ghcr.sh,
# t-kubelet-ghcr.sh): a part's private environment, the stub gh and the
# settings file.  Source it after tests/lib.sh.

# ghcr_part_env PART: PART's own HOME, runtime folder, settings file and gh
# folder under $TMP, the kernel keyring as the store for passwords (in the
# session keyring PART runs in), none of gh's variables, and failures not
# remembered (the parts ask again at once after one, on purpose).
ghcr_part_env() {
	export CREDKIT_TOKEN_FAIL_CACHE_MS=0
	export HOME=$TMP/home-$1 XDG_RUNTIME_DIR=$TMP/run-$1 \
		CREDKIT_CONFIG=$TMP/config-$1.json CREDKIT_KEYRING=session \
		CREDKIT_STORE=keyctl GH_CONFIG_DIR=$TMP/gh-$1
	unset GH_TOKEN GITHUB_TOKEN GH_ENTERPRISE_TOKEN GITHUB_ENTERPRISE_TOKEN GITHUB_ACTOR \
		GH_HOST XDG_CONFIG_HOME CREDKIT_GHCR_MINT
	mkdir -p "$HOME" "$GH_CONFIG_DIR" && mkdir -m 700 -p "$XDG_RUNTIME_DIR"
}

# use_stub: a gh earlier on PATH that logs each run in $STUB_LOG, sleeps
# $STUB_SLEEP, exits $STUB_EXIT (saying so on stderr) or prints $STUB_TOKEN.
use_stub() {
	mkdir -p "$TMP/stub"
	cat >"$TMP/stub/gh" <<'STUB'
#!/bin/bash
echo "$*" >>"$STUB_LOG"
[ -n "${STUB_SLEEP:-}" ] && sleep "$STUB_SLEEP"
if [ -n "${STUB_EXIT:-}" ]; then
	echo "stub gh: failing on purpose" >&2
	exit "$STUB_EXIT"
fi
printf '%s\n' "${STUB_TOKEN-gho_stubghtoken00000000000000000000003}"
STUB
	chmod 755 "$TMP/stub/gh"
	export PATH=$TMP/stub:$PATH STUB_LOG=$TMP/stub.log
	: >"$STUB_LOG"
}

# runs: how many times the stub gh ran.
runs() { grep -c . "$STUB_LOG"; }

settings() { printf '%s\n' "$1" >"$CREDKIT_CONFIG"; }
