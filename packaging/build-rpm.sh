#!/bin/bash
# SPDX-License-Identifier: MIT
# packaging/build-rpm.sh VERSION [OUTDIR] - build credkit's .rpms with
# packaging/rpm/credkit.spec from a `git archive` of HEAD, into OUTDIR (by
# default build/rpm/); the Packager and the changelog name the maintainer of
# packaging/maintainer.sh (DEBFULLNAME, DEBEMAIL, as for the .debs).  Does
# nothing (exit 0, says why) without rpmbuild.
# On a host that is not rpm-based (Debian: apt-get install rpm) the
# BuildRequires cannot be checked: it passes --nodeps there (or when
# CREDKIT_RPM_NODEPS=1).
set -eu
cd "$(dirname "$0")/.."
version=${1:?usage: packaging/build-rpm.sh VERSION [OUTDIR]}
out=${2:-build/rpm}
maint=$(packaging/maintainer.sh)
if ! command -v rpmbuild >/dev/null; then
	echo "build-rpm: no rpmbuild here (Debian: apt-get install rpm); nothing built"
	exit 0
fi
nodeps=()
# The rpm database of a Debian host knows no package, not even glibc.
if [ -n "${CREDKIT_RPM_NODEPS:-}" ] || ! rpm -q glibc >/dev/null 2>&1; then
	nodeps=(--nodeps)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/credkit-rpm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/SOURCES"
git archive --format=tar.gz --prefix="credkit-$version/" -o "$tmp/SOURCES/credkit-$version.tar.gz" HEAD
if ! rpmbuild -bb "${nodeps[@]}" --define "_topdir $tmp" --define "credkit_version $version" \
	--define "credkit_maintainer $maint" --define "packager $maint" \
	packaging/rpm/credkit.spec >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log" >&2
	echo "build-rpm: rpmbuild failed" >&2
	exit 1
fi
mkdir -p "$out"
rm -f "$out"/credkit-*.rpm
find "$tmp/RPMS" -name '*.rpm' -exec mv {} "$out"/ \;
cp "$tmp/build.log" "$out/build.log"
ls "$out"/*.rpm
