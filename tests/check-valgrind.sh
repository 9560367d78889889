#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/check-valgrind.sh - every helper's protocol checks under valgrind's
# memcheck (make check-valgrind): no error, no definite leak.
#
#   tests/check-valgrind.sh [NAME...]
#
# Runs against build/valgrind/ (make VG=1 all: bin/'s flags, no sanitizer,
# and every front linked dynamically: in keyctl's, ecr-login's and ghcr's
# static-pie builds memcheck cannot replace malloc, and glibc's own start
# reads "uninitialised" bytes, so bin/'s static fronts give only noise).
# CREDKIT_BIN is a folder of wrappers, one a helper, each exec'ing valgrind
# on the real program.  valgrind follows the children that are ours (the
# minting programs in libexec/credkit, the sibling helpers that the stores
# client runs) and skips every other (pass, gpg, gh, python, bash, the
# tests' stubs: anything under /usr, /bin or this run's temporary folder,
# where the sub-suites make theirs).  Not all of /tmp: valgrind's * matches
# a /, and a checkout there (a CI clone in mktemp -d) would have its own
# programs skipped, its check passing on no log.  An error
# or a definite leak in any of them makes it exit 97, which fails the check
# it answered, and is counted from the logs at the end.
#
#   secretservice, pass, keyctl  the battery, tests/lib-credential.sh, in
#                                the store each needs (as t-packaging runs it)
#   ecr-login                    t-ecr's parts hosts, cache, identity (the
#                                minting program against the AWS mock)
#   ghcr                         t-ghcr's parts env, file, gh, order, store,
#                                protocol (the minting program, gh stubbed)
#
# NAME picks some of them.  Timing bounds are not what is checked here
# (valgrind runs a program 20-50 times slower: a cold get that calls STS
# then ECR overruns ecr-login's 9 s budget, gh_cache_seconds 3 is past
# before the next call): parts that measure them, or chain several
# exchanges, are left to make check.  Takes 20-30 minutes on a loaded
# 2-core machine.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CREDKIT_ROOT" || exit 1

if ! command -v valgrind >/dev/null; then
	t_skip "valgrind" "no valgrind on PATH (apt install valgrind)"
	exit 0
fi
real=$CREDKIT_ROOT/build/valgrind/bin
for p in "$real"/docker-credential-*; do
	[ -x "$p" ] || { t_fail "build/valgrind/ is built (make VG=1 all)"; exit 1; }
done

t_tmpdir
logs=$TMP/vg
mkdir -p "$TMP/bin" "$TMP/t" "$logs"
# The sub-suites' temporary folders (their stubs, copies) under $TMP/t.
export TMPDIR=$TMP/t
skip="/usr/*,/bin/*,/sbin/*,/lib/*,/etc/*,/var/*,/dev/*,$TMP/*"
# Its full path: some checks run the helper with a PATH of their own.
vg=("$(command -v valgrind)" --tool=memcheck --error-exitcode=97 --leak-check=full
	--show-leak-kinds=definite --errors-for-leak-kinds=definite
	--trace-children=yes --trace-children-skip="$skip" --child-silent-after-fork=yes
	--log-file="$logs/%p.log")
for p in "$real"/docker-credential-*; do
	{
		printf '#!/bin/sh\n# %s under memcheck (tests/check-valgrind.sh)\nexec' "${p##*/}"
		printf ' %q' "${vg[@]}" "$p"
		printf ' "$@"\n'
	} >"$TMP/bin/${p##*/}"
	chmod 755 "$TMP/bin/${p##*/}"
done
export CREDKIT_BIN=$TMP/bin
# Where the suites look for the minting programs, beside CREDKIT_BIN (run
# straight, not under memcheck: the fronts run theirs from build/valgrind).
ln -s "$CREDKIT_ROOT/build/valgrind/libexec" "$TMP/libexec"
# Each call is slower under valgrind; the battery's bound of a call too.
export CALL_TIMEOUT=60

names=("$@")
[ "${#names[@]}" -gt 0 ] || names=(secretservice pass keyctl ecr-login ghcr)

# memcheck NAME: the logs of NAME's run (one a process, valgrind's header
# naming the program), counted by program; then emptied.  For the token
# helpers, some log must be of the minting program: else it was not traced.
memcheck() {
	local errors=0 f
	case $1 in
	ecr-login | ghcr)
		t_check "valgrind $1: its minting program ran under memcheck" \
			grep -lq '^==[0-9]*== Command: [^ ]*-mint\b' "$logs"/*.log ;;
	esac
	for f in "$logs"/*.log; do
		[ -e "$f" ] || continue
		if grep -q 'ERROR SUMMARY: [1-9]' "$f"; then
			errors=$((errors + 1))
			sed 's/^/#   /' "$f" | head -n 60
		fi
	done
	sed -n 's/^==[0-9]*== Command: \([^ ]*\).*/\1/p' "$logs"/*.log 2>/dev/null |
		sed 's,.*/,,' | sort | uniq -c | sed 's/^ */# valgrind: /; s/$/ runs/'
	t_check "valgrind $1: $(ls "$logs" | wc -l) processes, none with a memcheck error or a definite leak ($errors)" \
		test "$errors" -eq 0
	rm -f "$logs"/*.log
}

for name in "${names[@]}"; do
	start=$(date +%s)
	echo "# valgrind: $name"
	case $name in
	keyctl)
		CREDKIT_KEYRING=session keyctl session - bash tests/lib-credential.sh \
			"$CREDKIT_BIN/docker-credential-keyctl" \
			2> >(grep -v '^Joined session keyring:' >&2) || T_FAILED=$((T_FAILED + 1)) ;;
	secretservice)
		tests/with-keyring bash tests/lib-credential.sh \
			"$CREDKIT_BIN/docker-credential-secretservice" \
			2> >(grep -v 'fd limit' >&2) || T_FAILED=$((T_FAILED + 1)) ;;
	pass)
		(
			mkdir "$TMP/pass"
			trap 'gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null' EXIT
			t_pass_store "$TMP/pass" || exit 1
			bash tests/lib-credential.sh "$CREDKIT_BIN/docker-credential-pass"
		) || T_FAILED=$((T_FAILED + 1)) ;;
	ecr-login)
		PARTS_WANTED="hosts cache identity" bash tests/t-ecr.sh ||
			T_FAILED=$((T_FAILED + 1)) ;;
	ghcr)
		PARTS_WANTED="env file gh order store protocol" bash tests/t-ghcr.sh ||
			T_FAILED=$((T_FAILED + 1)) ;;
	*)
		t_fail "valgrind: no such helper $name"
		continue ;;
	esac
	memcheck "$name"
	echo "# valgrind $name: $(( $(date +%s) - start )) s"
done
t_done
