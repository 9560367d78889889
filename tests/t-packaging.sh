#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-packaging.sh - the .deb (and .rpm) packages of packaging/.
#
#   bash tests/t-packaging.sh
#
# First the compile lines (no program sees tests/unit/) and the maintainer
# that packaging/maintainer.sh finds.  Then builds the .debs with `make deb`
# (a git archive of HEAD, so uncommitted edits are not in them), as a
# builder with DEBFULLNAME and DEBEMAIL set, checks each package's files,
# maintainer, licence, relations and Built-Using with dpkg-deb, then unpacks
# them with `dpkg-deb -x` into a private root, never onto the machine
# (dpkg -i would replace the Go helpers other tests compare against), and
# runs the unpacked keyctl helper (version, and a store/get/erase round trip
# in a fresh session keyring) and the unpacked ecr-login (it finds its
# minting program under usr/libexec/credkit), and compares the kubelet's
# sample configs in ecr-login's and ghcr's docs (usr/share/doc/credkit-NAME/
# examples/) with examples/kubernetes/.  Then `make rpm` when rpmbuild
# is here, and lintian on everything make deb built: any error or any
# copyright tag fails, other warnings are shown.  CREDKIT_BIN is not used:
# tests/run.sh calls this twice, the sanitizer (build/asan/bin) run only
# says it skips.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${CREDKIT_BIN:-}" in
*build/asan/bin | *build/asan/bin/)
	echo "ok - packaging: debs and rpms # SKIP built once, in the non-sanitizer run"
	exit 0 ;;
esac

t_tmpdir
cd "$CREDKIT_ROOT" || exit 1
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
HELPERS="secretservice keyctl pass ecr-login ghcr"

# Only the unit tests may see the test headers (tests/unit/): the compile
# lines make would run for every object, into a scratch build directory.
make -n -B --no-print-directory BUILD="$TMP/o" OUT="$TMP/o/bin" \
	LIBEXEC_OUT="$TMP/o/libexec" all unit >"$TMP/make-n.log" 2>&1
compiles=$(grep -E -- ' -c -o [^ ]+\.o [^ ]+\.c$' "$TMP/make-n.log")
leaks=$(grep -v ' tests/unit/[^ ]*\.c$' <<<"$compiles" | grep -- '-Itests/unit' |
	awk '{print $NF}' | tr '\n' ' ')
t_eq "build: helper and common objects compile without -Itests/unit" "$leaks" ""
n_prog=$(grep -c -E ' (common|helpers)/[^ ]*\.c$' <<<"$compiles")
n_unit=$(grep ' tests/unit/[^ ]*\.c$' <<<"$compiles" | grep -c -- '-Itests/unit')
t_check "build: make -n compiled common/ and helpers/ ($n_prog), unit tests with -Itests/unit ($n_unit)" \
	test "$n_prog" -gt 0 -a "$n_unit" -gt 0

# The maintainer, as dch finds it, never a guess from the host name.
maint() { env -u DEBFULLNAME -u DEBEMAIL -u NAME -u EMAIL "$@" packaging/maintainer.sh 2>&1; }
default=$(maint)
t_eq "packaging: maintainer by default" "$default" "credkit maintainers <credkit@example.org>"
t_eq "packaging: committed control names the default maintainer" \
	"$(sed -n 's/^Maintainer: //p' packaging/debian/control)" "$default"
t_eq "packaging: committed changelog is signed by the default maintainer" \
	"$(sed -n '0,/^ -- /s/^ -- \(.*>\)  .*/\1/p' packaging/debian/changelog)" "$default"
t_eq "packaging: the spec's default maintainer is the same" \
	"$(sed -n 's/^%{!?credkit_maintainer: %global credkit_maintainer \(.*\)}$/\1/p' packaging/rpm/credkit.spec)" \
	"$default"
t_eq "packaging: maintainer from DEBFULLNAME and DEBEMAIL" \
	"$(maint DEBFULLNAME='Ann Bee' DEBEMAIL=ann@bee.example NAME=no EMAIL=no@no.example)" \
	"Ann Bee <ann@bee.example>"
t_eq "packaging: maintainer from DEBEMAIL=\"Name <address>\"" \
	"$(maint DEBEMAIL='Ann Bee <ann@bee.example>')" "Ann Bee <ann@bee.example>"
t_eq "packaging: maintainer from NAME and EMAIL when DEB* are unset" \
	"$(maint NAME='Cy Dee' EMAIL=cy@dee.example)" "Cy Dee <cy@dee.example>"
out=$(maint DEBEMAIL=me@localhost; echo "exit $?")
out=${out//$'\n'/, }
t_check "packaging: maintainer me@localhost refused ($out)" \
	bash -c '[[ $1 == *"not user@host.domain"*"exit 1" ]]' _ "$out"

if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		t_skip "packaging: make deb" "needs dpkg-dev and debhelper (sudo apt-get install dpkg-dev debhelper)"
		t_done; exit
	fi
fi
# The builder of these packages, as lintian would see a real one.
export DEBFULLNAME="credkit test builder" DEBEMAIL=credkit-test@example.com
builder="$DEBFULLNAME <$DEBEMAIL>"
start=$(date +%s)
if make --no-print-directory deb >"$TMP/deb.log" 2>&1; then
	t_ok "packaging: make deb ($(( $(date +%s) - start ))s)"
else
	t_fail "packaging: make deb"
	sed 's/^/#   /' "$TMP/deb.log" | tail -n 30
	t_done; exit
fi

deb() { echo "build/deb/credkit-$1_${version}_$(dpkg --print-architecture).deb"; }
# examples HELPER: the kubelet's sample configs its package ships, sorted.
examples() {
	case $1 in
	ecr-login) echo ecr-login-service-accounts.yaml ecr-login.yaml ;;
	ghcr) echo ghcr-settings.json ghcr.yaml ;;
	esac
}
field() { dpkg-deb -f "$(deb "$1")" "$2"; }

for h in $HELPERS; do
	f=$(deb "$h")
	t_check "packaging: credkit-$h .deb exists" test -f "$f" || continue
	files=$(dpkg-deb -c "$f" | awk '{print $NF}' | grep -v '/$')
	t_eq "packaging: credkit-$h files" \
		"$(grep -E '^\./usr/(bin|share/man)/' <<<"$files" | sort | tr '\n' ' ')" \
		"./usr/bin/docker-credential-$h ./usr/share/man/man1/docker-credential-$h.1.gz "
	t_eq "packaging: credkit-$h version" "$(field "$h" Version)" "$version"
	mode=$(dpkg-deb -c "$f" | awk -v p="./usr/bin/docker-credential-$h" '$NF == p {print $1}')
	t_eq "packaging: credkit-$h binary mode" "$mode" "-rwxr-xr-x"
	t_eq "packaging: credkit-$h Maintainer" "$(field "$h" Maintainer)" "$builder"
	t_check "packaging: credkit-$h ships /usr/share/doc/credkit-$h/copyright" \
		grep -qx "\./usr/share/doc/credkit-$h/copyright" <<<"$files"
done
t_eq "packaging: .changes Changed-By" \
	"$(sed -n 's/^Changed-By: //p' "build/deb/credkit_${version}_$(dpkg --print-architecture).changes")" \
	"$builder"

# Relations.
dep_ss=$(field secretservice Depends)
t_check "packaging: secretservice Depends libsystemd0, libgcrypt20, libjansson4" \
	bash -c '[[ $1 == *libsystemd0* && $1 == *libgcrypt20* && $1 == *libjansson4* ]]' _ "$dep_ss"
t_eq "packaging: secretservice Recommends" "$(field secretservice Recommends)" "gnome-keyring | keepassxc"
dep_pass=$(field pass Depends)
t_check "packaging: pass Depends pass, libssl3, libjansson4" \
	bash -c '[[ $1 == pass,* && $1 == *libssl3* && $1 == *libjansson4* ]]' _ "$dep_pass"
for h in secretservice pass; do
	t_eq "packaging: $h Conflicts" "$(field $h Conflicts)" golang-docker-credential-helpers
	t_eq "packaging: $h Replaces" "$(field $h Replaces)" golang-docker-credential-helpers
done
t_eq "packaging: keyctl Conflicts nothing" "$(field keyctl Conflicts)$(field keyctl Replaces)" ""
t_eq "packaging: keyctl Suggests" "$(field keyctl Suggests)" keyutils
t_eq "packaging: keyctl Depends nothing (static-pie)" "$(field keyctl Depends)" ""
bu=$(field keyctl Built-Using)
t_check "packaging: keyctl Built-Using glibc, jansson, keyutils ($bu)" \
	bash -c '[[ $1 == *"glibc (= "* && $1 == *"jansson (= "* && $1 == *"keyutils (= "* ]]' _ "$bu"

t_eq "packaging: ecr-login Conflicts" "$(field ecr-login Conflicts)" amazon-ecr-credential-helper
t_eq "packaging: ecr-login Replaces" "$(field ecr-login Replaces)" amazon-ecr-credential-helper
dep_ecr=$(field ecr-login Depends)
t_check "packaging: ecr-login Depends libcurl4, libssl3 (the minter's)" \
	bash -c '[[ $1 == *libcurl4* && $1 == *libssl3* ]]' _ "$dep_ecr"
t_check "packaging: ecr-login holds its minting program" \
	bash -c 'dpkg-deb -c "$1" | grep "\./usr/libexec/credkit/docker-credential-ecr-login-mint$" >/dev/null' _ "$(deb ecr-login)"

t_eq "packaging: ghcr Suggests" "$(field ghcr Suggests)" gh
t_check "packaging: ghcr holds its minting program" \
	bash -c 'dpkg-deb -c "$1" | grep "\./usr/libexec/credkit/docker-credential-ghcr-mint$" >/dev/null' _ "$(deb ghcr)"

# Unpack into a private root and run the keyctl helper from there.
root=$TMP/root
for h in $HELPERS; do dpkg-deb -x "$(deb "$h")" "$root"; done
for h in ecr-login ghcr; do
	for f in $(examples "$h"); do
		t_check "packaging: credkit-$h ships examples/kubernetes/$f as /usr/share/doc/credkit-$h/examples/$f" \
			cmp -s "$root/usr/share/doc/credkit-$h/examples/$f" "examples/kubernetes/$f"
	done
done
for h in $HELPERS; do
	t_check "packaging: credkit-$h copyright is debian/copyright, with the licence" \
		cmp -s "$root/usr/share/doc/credkit-$h/copyright" packaging/debian/copyright
	t_eq "packaging: credkit-$h changelog signed by the builder" \
		"$(zcat "$root/usr/share/doc/credkit-$h/changelog.gz" | sed -n '0,/^ -- /s/^ -- \(.*>\)  .*/\1/p')" \
		"$builder"
done
kc=$root/usr/bin/docker-credential-keyctl
t_check "packaging: unpacked keyctl is static (no NEEDED)" \
	bash -c '! readelf -d "$1" | grep -q NEEDED' _ "$kc"
t_eq "packaging: unpacked keyctl version" "$("$kc" version 2>&1)" \
	"docker-credential-keyctl (credkit) $version"
t_check "packaging: unpacked ecr-login is static (no NEEDED)" \
	bash -c '! readelf -d "$1" | grep -q NEEDED' _ "$root/usr/bin/docker-credential-ecr-login"
# A host with no credentials anywhere: the error comes from the minter.
out=$(printf '%s' 123456789012.dkr.ecr.us-east-1.amazonaws.com |
	env -i PATH=/usr/bin:/bin HOME="$TMP" XDG_RUNTIME_DIR="$TMP" CREDKIT_STORE=none \
	AWS_EC2_METADATA_DISABLED=true timeout 20 "$root/usr/bin/docker-credential-ecr-login" get 2>&1)
t_check "packaging: unpacked ecr-login runs its minter ($out)" \
	bash -c '[[ $1 == *"no AWS credentials"* ]]' _ "$out"
t_check "packaging: unpacked ghcr is static (no NEEDED)" \
	bash -c '! readelf -d "$1" | grep -q NEEDED' _ "$root/usr/bin/docker-credential-ghcr"
# A stub gh: the unpacked front finds its minter, which runs it.
mkdir -p "$TMP/stub-gh"
printf '#!/bin/sh\necho gho_packagingstub\n' >"$TMP/stub-gh/gh"
chmod 755 "$TMP/stub-gh/gh"
out=$(printf ghcr.io | env -i PATH="$TMP/stub-gh:/usr/bin:/bin" HOME="$TMP" XDG_RUNTIME_DIR="$TMP" \
	CREDKIT_STORE=none timeout 20 "$root/usr/bin/docker-credential-ghcr" get 2>/dev/null)
t_eq "packaging: unpacked ghcr runs its minter and gh" "$out" \
	'{"ServerURL":"ghcr.io","Username":"x-access-token","Secret":"gho_packagingstub"}'
for h in secretservice pass ecr-login ghcr; do
	out=$("$root/usr/bin/docker-credential-$h" version 2>&1)
	t_eq "packaging: unpacked $h version" "$out" "docker-credential-$h (credkit) $version"
done

if ! command -v keyctl >/dev/null; then
	t_skip "packaging: unpacked keyctl round trip" "no keyctl command (apt-get install keyutils)"
else
	url=https://pkg-test.credkit.invalid
	out=$(CREDKIT_KEYRING=session keyctl session - bash -c '
		exec 2>&1
		kc=$1 url=$2
		printf "{\"ServerURL\":\"%s\",\"Username\":\"pkguser\",\"Secret\":\"s3cr3t pkg\"}" "$url" |
			"$kc" store || { echo store-failed; exit; }
		printf "%s" "$url" | "$kc" get || echo get-failed
		echo
		printf "%s" "$url" | "$kc" erase || echo erase-failed
		printf "%s" "$url" | "$kc" get >/dev/null 2>&1 && echo still-there
		echo done' _ "$kc" "$url" 2>"$TMP/session.err")
	want="{\"ServerURL\":\"$url\",\"Username\":\"pkguser\",\"Secret\":\"s3cr3t pkg\"}"
	got_json=$(sed -n 1p <<<"$out")
	if command -v jq >/dev/null; then
		got_json=$(jq -cS . <<<"$got_json" 2>/dev/null || echo "$got_json")
		want=$(jq -cS . <<<"$want")
	fi
	t_eq "packaging: unpacked keyctl store/get" "$got_json" "$want"
	t_eq "packaging: unpacked keyctl erase" "$(sed -n '2,$p' <<<"$out" | grep -v '^$' | tr '\n' ' ')" "done "
fi

# rpm: built when rpmbuild is here (Debian: apt-get install rpm; it then
# builds with --nodeps, as the BuildRequires are Fedora names).
if ! command -v rpmbuild >/dev/null; then
	t_skip "packaging: make rpm" "no rpmbuild (apt-get install rpm)"
elif make --no-print-directory rpm >"$TMP/rpm.log" 2>&1; then
	t_ok "packaging: make rpm"
	for h in $HELPERS; do
		r=$(ls build/rpm/credkit-"$h"-"$version"-*.rpm 2>/dev/null | head -n 1)
		want="/usr/bin/docker-credential-$h "
		case $h in ecr-login | ghcr) want+="/usr/libexec/credkit/docker-credential-$h-mint " ;; esac
		[ -n "$(examples "$h")" ] && want+="/usr/share/doc/credkit-$h/examples "
		for f in $(examples "$h"); do
			want+="/usr/share/doc/credkit-$h/examples/$f "
		done
		t_eq "packaging: credkit-$h .rpm files" \
			"$(rpm -qpl "$r" 2>/dev/null | grep -v -e '^/usr/lib/.build-id' -e '^/usr/share/licenses/' |
				sed 's/\.gz$//' | tr '\n' ' ')" \
			"${want}/usr/share/man/man1/docker-credential-$h.1 "
		# %license: /usr/share/licenses/credkit-NAME[-VERSION]/LICENSE.
		lic=$(rpm -qp --licensefiles "$r" 2>/dev/null)
		t_check "packaging: credkit-$h .rpm ships LICENSE as its licence ($lic)" \
			bash -c '[[ $1 == /usr/share/licenses/credkit-"$2"*/LICENSE ]]' _ "$lic" "$h"
		t_check "packaging: credkit-$h .rpm LICENSE is the repository's" \
			bash -c 'rpm2archive - <"$1" | tar -xzO ".$2" | cmp -s - LICENSE' _ "$r" "$lic"
		t_eq "packaging: credkit-$h .rpm License" "$(rpm -qp --qf '%{LICENSE}' "$r" 2>/dev/null)" MIT
		t_eq "packaging: credkit-$h .rpm Packager" "$(rpm -qp --qf '%{PACKAGER}' "$r" 2>/dev/null)" "$builder"
		t_eq "packaging: credkit-$h .rpm changelog by the builder" \
			"$(rpm -qp --qf '[%{CHANGELOGNAME}\n]' "$r" 2>/dev/null | head -n 1)" "$builder - $version-1"
	done
	t_check "packaging: credkit-pass .rpm Requires pass" \
		bash -c 'rpm -qp --requires build/rpm/credkit-pass-*.rpm 2>/dev/null | grep -qx pass'
else
	t_fail "packaging: make rpm"
	sed 's/^/#   /' "$TMP/rpm.log" | tail -n 30
fi

# lintian on the .changes: every .deb, the dbgsym ones, the source package
# (where debian/copyright is checked as DEP-5) and the .buildinfo.  Errors
# and copyright tags fail; other warnings and infos are shown, not counted.
# Overrides, each with its reason: packaging/debian/*.lintian-overrides.
if ! command -v lintian >/dev/null; then
	t_skip "packaging: lintian" "no lintian (apt-get install lintian)"
else
	changes=build/deb/credkit_${version}_$(dpkg --print-architecture).changes
	# About 10 s idle; the bound is for a hung lintian, not a slow one.
	timeout 300 lintian --info --fail-on none "$changes" >"$TMP/lintian.log" 2>&1
	status=$?
	t_eq "packaging: lintian ran on $changes (exit)" "$status" 0
	[ "$status" -eq 0 ] || sed 's/^/#   /' "$TMP/lintian.log" | tail -n 20
	sed -n 's/^\([EWI]: \)/#   lintian \1/p' "$TMP/lintian.log"
	t_eq "packaging: lintian errors (shown above)" "$(grep -c '^E: ' "$TMP/lintian.log")" 0
	t_eq "packaging: lintian copyright warnings (shown above)" \
		"$(grep -c -E '^W: [^:]+: [^ ]*copyright' "$TMP/lintian.log")" 0
	n=$(grep '^[WI]: ' "$TMP/lintian.log" | grep -c -v -E '^W: [^:]+: [^ ]*copyright')
	t_ok "packaging: lintian other warnings and infos: $n (shown above, not counted)"
fi
t_done
