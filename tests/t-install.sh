#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-install.sh - make install and make uninstall.
#
#   bash tests/t-install.sh
#
# Installs into a temporary DESTDIR, once with PREFIX alone and once with
# BINDIR, LIBEXECDIR and MANDIR each elsewhere, lists what is there against
# what should be (programs 755, man pages 644), runs the installed programs,
# then uninstalls with the same variables: no file of ours is left, nor the
# credkit folder under LIBEXECDIR, and a file of someone else's beside ours
# is kept.  Each installed dynamically linked program strips under the
# benchmark's size target (plain build only).  With CREDKIT_BIN=build/asan/bin (tests/run.sh's second run) it
# installs the sanitizer build (make SAN=1 install).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SAN=
case "${CREDKIT_BIN:-}" in *build/asan/bin | *build/asan/bin/) SAN=1 ;; esac
t_tmpdir
cd "$CREDKIT_ROOT" || exit 1
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
HELPERS="ecr-login ghcr keyctl pass secretservice"
MINTERS="ecr-login ghcr"

# listing DIR: every file and link under DIR, "mode path", sorted.
listing() { (cd "$1" && find . ! -type d -printf '%m %p\n' | sort); }

# want BIN LIBEXEC MAN: what install should put, as listing prints it.
want() {
	{
		for h in $HELPERS; do echo "755 .$1/docker-credential-$h"; done
		for h in $MINTERS; do echo "755 .$2/credkit/docker-credential-$h-mint"; done
		for h in $HELPERS; do echo "644 .$3/man1/docker-credential-$h.1"; done
		echo "644 .$3/man5/credkit-config.5"
	} | sort
}

# one NAME BIN LIBEXEC MAN VAR=VALUE...: install, check, uninstall.
one() {
	local name=$1 bin=$2 libexec=$3 man=$4 d=$TMP/$1 h out
	shift 4
	mkdir -p "$d"
	if ! make --no-print-directory SAN=$SAN install DESTDIR="$d" "$@" >"$TMP/$name.log" 2>&1; then
		t_fail "install ($name): make install $*"
		sed 's/^/#   /' "$TMP/$name.log" | tail -n 20
		return
	fi
	t_ok "install ($name): make install $*"
	t_eq "install ($name): the files and their modes" "$(listing "$d")" "$(want "$bin" "$libexec" "$man")"
	for h in $HELPERS; do
		out=$("$d$bin/docker-credential-$h" version 2>&1)
		t_eq "install ($name): installed $h runs" "$out" "docker-credential-$h (credkit) $version"
	done
	# Someone else's program beside ours stays.
	echo other >"$d$bin/docker-credential-other"
	if ! make --no-print-directory SAN=$SAN uninstall DESTDIR="$d" "$@" >"$TMP/$name-rm.log" 2>&1; then
		t_fail "install ($name): make uninstall $*"
		sed 's/^/#   /' "$TMP/$name-rm.log" | tail -n 20
		return
	fi
	t_eq "install ($name): make uninstall leaves only the other program" \
		"$(listing "$d")" "644 .$bin/docker-credential-other"
	t_check "install ($name): the credkit folder under LIBEXECDIR is gone" \
		test ! -e "$d$libexec/credkit"
	rm -f "$d$bin/docker-credential-other"
	t_eq "install ($name): nothing but empty directories is left" \
		"$(find "$d" ! -type d | tr '\n' ' ')" ""
}

one prefix /opt/ck/bin /opt/ck/libexec /opt/ck/share/man PREFIX=/opt/ck
one dirs /b /l/x /m PREFIX=/p BINDIR=/b LIBEXECDIR=/l/x MANDIR=/m
# The installed front finds its minting program in ../libexec/credkit.
make --no-print-directory SAN=$SAN install DESTDIR="$TMP/run" PREFIX=/usr >"$TMP/run.log" 2>&1
t_ecr_minter "install: installed ecr-login runs its minter" "$TMP/run/usr/bin/docker-credential-ecr-login"

# The benchmark's target (bench/report.py): every dynamically linked
# program under 150 KB stripped.  ecr-login's minter is allowed 190 KB for
# now: the AWS credential chain alone is most of it (issue 15).  Sizes of
# the plain build only: the sanitizer build's mean nothing.
if [ -z "$SAN" ]; then
	for f in "$TMP"/run/usr/bin/* "$TMP"/run/usr/libexec/credkit/*; do
		readelf -d "$f" 2>/dev/null | grep -q NEEDED || continue	# static
		strip -o "$TMP/stripped" "$f"
		size=$(stat -c %s "$TMP/stripped")
		limit=$((150 * 1024))
		case $f in *-ecr-login-mint) limit=$((190 * 1024)) ;; esac
		t_check "install: ${f##*/} strips to $size bytes, under $((limit / 1024)) KB" \
			test "$size" -lt "$limit"
	done
fi
# Start-up is mostly the loader: only the minting programs, which run
# only to mint, load libcrypto.so (pass takes base64 from libcrypto.a).
for f in "$TMP"/run/usr/bin/*; do
	t_check "install: ${f##*/} loads no libcrypto.so" \
		bash -c '! readelf -d "$1" | grep NEEDED | grep -q libcrypto' _ "$f"
done
t_done
