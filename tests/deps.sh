#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/deps.sh [--print] - the Debian packages credkit needs to build and
# test, and the one place that lists them.
#
#   tests/deps.sh          installs what is missing: nothing missing -> exit 0
#                          silently; as root -> apt-get install (apt-get update
#                          first only when the package lists are absent, stale
#                          or lack a package), no questions asked, so it runs
#                          in CI with no stdin; not root -> prints the one
#                          command to run and exits 1.
#   tests/deps.sh --print  prints the list, one package a line.
set -euo pipefail

build_pkgs=(
	gcc make pkg-config
	libsecret-1-dev libglib2.0-dev libjansson-dev libssl-dev
	libcurl4-openssl-dev libkeyutils-dev libsystemd-dev libgcrypt20-dev
)
test_pkgs=(
	dbus dbus-user-session gnome-keyring libsecret-tools
	golang-docker-credential-helpers amazon-ecr-credential-helper
	docker-registry skopeo pass keyutils gnupg hyperfine strace gh
	python3 python3-botocore python3-dbus python3-gi python3-yaml apache2-utils openssl
	ca-certificates curl time
	dpkg-dev debhelper rpm lintian man-db groff-base bsdextrautils
	cppcheck clang-tidy
)
# The docker CLI may come from elsewhere (docker's own packages, a static
# binary); Debian's docker.io is only needed when there is none.
command -v docker >/dev/null 2>&1 || test_pkgs+=(docker.io)
# docker-credential-ghcr's end-to-end test drives podman too.
test_pkgs+=(podman)

pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}")

# missing_pkgs: prints the packages of $pkgs that dpkg does not have installed.
missing_pkgs() {
	local installed
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' \
		"${pkgs[@]}" 2>/dev/null | awk '$2 == "ii" { print $1 }') || true
	local p
	for p in "${pkgs[@]}"; do
		grep -qxF -e "$p" <<<"$installed" || printf '%s\n' "$p"
	done
}

# lists_need_update PKG...: true when apt's package lists are older than a
# day, absent, or have no installation candidate for one of PKG.
lists_need_update() {
	local lists=/var/lib/apt/lists p
	[ -n "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 \
		-print -quit 2>/dev/null)" ] || return 0
	for p in "$@"; do
		[[ $(apt-cache policy "$p" 2>/dev/null) == *"Candidate: "[!\(]* ]] ||
			return 0
	done
	return 1
}

apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"$@" </dev/null
}

main() {
	if [ "${1:-}" = --print ]; then
		printf '%s\n' "${pkgs[@]}"
		return 0
	elif [ $# -ne 0 ]; then
		echo "usage: tests/deps.sh [--print]" >&2
		return 2
	fi

	local missing
	mapfile -t missing < <(missing_pkgs)
	[ ${#missing[@]} -eq 0 ] && return 0

	if [ "$(id -u)" -ne 0 ]; then
		echo "sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		return 1
	fi

	echo "tests/deps.sh: installing ${missing[*]}" >&2
	local updated=
	if lists_need_update "${missing[@]}"; then
		apt-get update </dev/null
		updated=1
	fi
	if ! apt_install "${missing[@]}"; then
		# A stale list may name versions the mirror no longer has.
		[ -z "$updated" ] || return 1
		apt-get update </dev/null
		apt_install "${missing[@]}"
	fi
}

main "$@"
