#!/bin/bash
# SPDX-License-Identifier: MIT
# packaging/build-deb.sh VERSION [OUTDIR] - build credkit's .debs.
#
# Copies a `git archive` of HEAD (CREDKIT_TREE=worktree: the working tree's
# tracked and untracked, non-ignored files) into a temporary directory, adds
# packaging/debian with VERSION in its changelog and the maintainer of
# packaging/maintainer.sh (DEBFULLNAME, DEBEMAIL, as dch takes them) in its
# control file and changelog, runs `dpkg-buildpackage -us -uc` there and
# leaves the .debs and the source package (.dsc, .tar.xz; lintian checks
# debian/copyright there), with the .buildinfo and .changes, in OUTDIR, by
# default build/deb/.  Installs dpkg-dev and debhelper with apt-get if they
# are missing and we are root.
set -eu
cd "$(dirname "$0")/.."
version=${1:?usage: packaging/build-deb.sh VERSION [OUTDIR]}
out=${2:-build/deb}
maint=$(packaging/maintainer.sh)

need=()
command -v dpkg-buildpackage >/dev/null || need+=(dpkg-dev)
command -v dh >/dev/null || need+=(debhelper)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		apt-get install -y --no-install-recommends "${need[@]}"
	else
		echo "build-deb: run first: sudo apt-get install ${need[*]}" >&2
		exit 1
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/credkit-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src=$tmp/credkit-$version
mkdir "$src"
if [ "${CREDKIT_TREE:-head}" = worktree ]; then
	git ls-files -z -co --exclude-standard | grep -zv '^packaging/' |
		tar -c --null -T - | tar -x -C "$src"
else
	git archive --format=tar HEAD | tar -x -C "$src"
fi
rm -rf "${src:?}/debian" "${src:?}/bin" "${src:?}/build"
cp -a packaging/debian "$src/debian"
# The version is the Makefile's VERSION (native package: no revision).
sed -i "1s/^credkit ([^)]*)/credkit ($version)/" "$src/debian/changelog"
# The builder is the maintainer, and signs the newest changelog entry.
set_maintainer() {
	M=$maint awk "$2" "$1" >"$1.new" && mv "$1.new" "$1"
}
set_maintainer "$src/debian/control" \
	'/^Maintainer:/ { print "Maintainer: " ENVIRON["M"]; next } 1'
set_maintainer "$src/debian/changelog" \
	'!done && sub(/^ -- .*>  /, "") { print " -- " ENVIRON["M"] "  " $0; done = 1; next } 1'

# Parallel build; keep the log for when it fails.
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc) >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed" >&2
	exit 1
fi
mkdir -p "$out"
rm -f "$out"/credkit*.deb "$out"/credkit*.ddeb "$out"/credkit_*
mv "$tmp"/*.deb "$tmp"/*.dsc "$tmp"/*.tar.* "$tmp"/*.buildinfo "$tmp"/*.changes "$out"/
cp "$tmp/build.log" "$out/build.log"
ls "$out"/*.deb
