#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/t-packaging.sh - the .deb (and .rpm) packages of packaging/.
#
#   bash tests/t-packaging.sh
#
# First the compile lines (no program sees tests/unit/) and the maintainer
# that packaging/maintainer.sh finds.  Then builds the .debs with `make deb`
# (a git archive of HEAD, so uncommitted edits are not in them), as a
# builder with DEBFULLNAME and DEBEMAIL set, and checks with dpkg-deb each
# package's files, maintainer, licence, relations (Conflicts, Replaces and
# Provides against the files `dpkg -L` lists for Debian's Go helpers) and
# Built-Using, that none has a maintainer script, and the kubelet's sample
# configs in ecr-login's and ghcr's docs (usr/share/doc/credkit-NAME/
# examples/) against examples/kubernetes/, and what apt would do for
# `apt install ./credkit-...deb` here (apt-get -s).  Then installs them with
# `dpkg --root` into a throwaway root with its own database, never onto the
# machine (dpkg -i would replace the Go helpers other tests compare
# against), over stand-ins for those Go helpers that dpkg must remove;
# renders every installed man page; runs the protocol battery
# (tests/lib-credential.sh) against the installed keyctl, secretservice and
# pass, the newcomer's `configure --migrate` with the installed keyctl, the
# installed ecr-login and ghcr (they find their minting programs under
# usr/libexec/credkit) and a keyctl round trip; then purges them all and
# finds nothing left.  Then `make rpm` when rpmbuild is here, and lintian on
# everything make deb built: any error or warning fails.  CREDKIT_BIN is not
# used: tests/run.sh calls this twice, the sanitizer (build/asan/bin) run
# only says it skips.
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
t_check "packaging: pass Depends pass, libjansson4, not libssl3 (base64 from libcrypto.a)" \
	bash -c '[[ $1 == pass,* && $1 != *libssl3* && $1 == *libjansson4* ]]' _ "$dep_pass"
bu=$(field pass Built-Using)
t_check "packaging: pass Built-Using openssl alone ($bu)" \
	bash -c '[[ $1 == "openssl (= "*")" && $1 != *,* ]]' _ "$bu"
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

t_check "packaging: ghcr holds its minting program" \
	bash -c 'dpkg-deb -c "$1" | grep "\./usr/libexec/credkit/docker-credential-ghcr-mint$" >/dev/null' _ "$(deb ghcr)"

# Recommends: what helps at run time.  pass stays in Depends (the helper
# runs pass for every verb; pass brings gnupg).
t_eq "packaging: ghcr Recommends" "$(field ghcr Recommends)" "gh, credkit-common"
t_eq "packaging: ecr-login Recommends" "$(field ecr-login Recommends)" credkit-common
# The static fronts embed these archives: keyctl glibc's, jansson's and
# keyutils'; ecr-login and ghcr those and libcrypto.a's SHA-256.
for h in ecr-login ghcr; do
	bu=$(field "$h" Built-Using)
	t_check "packaging: $h Built-Using glibc, jansson, keyutils, openssl ($bu)" \
		bash -c '[[ $1 == *"glibc (= "* && $1 == *"jansson (= "* && $1 == *"keyutils (= "* &&
			$1 == *"openssl (= "* ]]' _ "$bu"
done
t_eq "packaging: keyctl Built-Using no openssl" "$(field keyctl Built-Using | grep -c openssl)" 0
t_eq "packaging: secretservice has no Built-Using" "$(field secretservice Built-Using)" ""

# Conflicts and Replaces exactly where a file of Debian's Go helpers (as
# dpkg -L lists them here) is also one of ours; Provides where we ship
# every program of theirs (the Go package holds pass and secretservice:
# neither half provides it, and two providers of a name they both conflict
# with could not be installed together).
for other in golang-docker-credential-helpers amazon-ecr-credential-helper; do
	if ! theirs=$(dpkg -L "$other" 2>/dev/null); then
		t_skip "packaging: file collisions with $other" "$other is not installed here"
		continue
	fi
	theirs=$(sort -u <<<"$theirs")
	their_bins=$(grep '^/usr/bin/.' <<<"$theirs")
	for h in $HELPERS; do
		ours=$(dpkg-deb -c "$(deb "$h")" | awk '{print $NF}' | grep -v '/$' | sed 's/^\.//' | sort -u)
		both=$(comm -12 <(echo "$ours") <(echo "$theirs") | tr '\n' ' ')
		rel=$(field "$h" Conflicts)/$(field "$h" Replaces)
		if [ -n "$both" ]; then
			t_eq "packaging: $h Conflicts/Replaces $other (both ship $both)" "$rel" "$other/$other"
		else
			t_check "packaging: $h neither Conflicts nor Replaces $other (no file in common)" \
				bash -c '[[ $1 != *"$2"* ]]' _ "$rel" "$other"
		fi
		if [ -n "$their_bins" ] && [ -z "$(comm -23 <(echo "$their_bins") <(echo "$ours"))" ]; then
			t_eq "packaging: $h Provides $other (all its programs)" "$(field "$h" Provides)" "$other"
		else
			t_check "packaging: $h does not Provide $other" \
				bash -c '[[ $1 != *"$2"* ]]' _ "$(field "$h" Provides)" "$other"
		fi
	done
done

# credkit-common (the settings file's man page) and the metapackage.
arch=$(dpkg --print-architecture)
common=build/deb/credkit-common_${version}_all.deb
meta=build/deb/credkit_${version}_all.deb
t_check "packaging: credkit-common .deb exists" test -f "$common"
t_eq "packaging: credkit-common files" \
	"$(dpkg-deb -c "$common" 2>/dev/null | awk '{print $NF}' | grep -v '/$' | grep -v '^\./usr/share/doc/' | tr '\n' ' ')" \
	"./usr/share/man/man5/credkit-config.5.gz "
t_check "packaging: credkit metapackage .deb exists" test -f "$meta"
t_eq "packaging: credkit metapackage files" \
	"$(dpkg-deb -c "$meta" 2>/dev/null | awk '{print $NF}' | grep -v '/$' | tr '\n' ' ')" \
	"./usr/share/doc/credkit/changelog.gz ./usr/share/doc/credkit/copyright "
want=$(for h in $HELPERS common; do printf 'credkit-%s (>= %s), ' "$h" "$version"; done)
t_eq "packaging: credkit Depends every helper and credkit-common" \
	"$(dpkg-deb -f "$meta" Depends 2>/dev/null)" "${want%, }"

# Maintainer scripts change no user file: there are none.
for f in $(for h in $HELPERS; do deb "$h"; done) "$common" "$meta"; do
	t_eq "packaging: ${f##*/} has no maintainer script" \
		"$(dpkg-deb --ctrl-tarfile "$f" 2>/dev/null | tar -t | grep -v -x -e ./ -e ./control -e ./md5sums | tr '\n' ' ')" ""
done

# The kubelet sample configs (examples/kubernetes/NAME*) in each token
# helper's /usr/share/doc/credkit-NAME/examples/.
for h in ecr-login ghcr; do
	want=$(git ls-files "examples/kubernetes/$h*" | sed 's|.*/||' | sort | tr '\n' ' ')
	got=$(dpkg-deb -c "$(deb "$h")" | awk '{print $NF}' |
		sed -n "s|^\./usr/share/doc/credkit-$h/examples/\([^/]*[^/]\)$|\1|p" | sed 's/\.gz$//' | sort | tr '\n' ' ')
	t_eq "packaging: credkit-$h examples are examples/kubernetes/$h* (${want:-none committed})" "$got" "$want"
done

# What apt would do on this machine for the newcomer's `apt install ./...`,
# simulated (-s: nothing is installed, removed or locked): credkit-keyctl
# alone, and the whole suite in place of the Go helpers installed here.
if command -v apt-get >/dev/null; then
	asim() {
		timeout 60 apt-get -s -o Debug::NoLocking=1 install "$@" 2>&1 |
			awk '/^(Inst|Remv) / { print $1, $2 }' | sort | tr '\n' ' '
	}
	t_eq "packaging: apt install ./credkit-keyctl_*.deb (simulated) installs it alone" \
		"$(asim "./$(deb keyctl)")" "Inst credkit-keyctl "
	gone=$(for p in amazon-ecr-credential-helper golang-docker-credential-helpers; do
		dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' && printf 'Remv %s ' "$p"
	done)
	got=$(asim $(for h in $HELPERS; do echo "./$(deb "$h")"; done) "./$common" "./$meta")
	t_check "packaging: apt install of every .deb (simulated) removes just the Go helpers here (${gone:-none})" \
		test "$(grep -o 'Remv [^ ]*' <<<"$got" | tr '\n' ' ')" = "$gone"
else
	t_skip "packaging: apt install (simulated)" "no apt-get"
fi

# Install into a throwaway root with dpkg --root (its own database; never
# the machine's: dpkg -i would replace the Go helpers other tests compare
# against), after stand-ins for Debian's Go helpers that hold the files
# they ship: dpkg must take their place as apt would.
root=$TMP/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$TMP/fake"
: >"$root/var/lib/dpkg/status"
rdpkg() {
	dpkg --root="$root" --force-not-root --force-script-chrootless \
		--force-depends --log=/dev/null "$@"
}
fake_deb() {
	local name=$1 dir=$TMP/fake/$1 f; shift
	mkdir -p "$dir/DEBIAN"
	printf 'Package: %s\nVersion: 0.1-1\nArchitecture: %s\nMaintainer: %s\nDescription: stand-in\n' \
		"$name" "$arch" "$builder" >"$dir/DEBIAN/control"
	for f in "$@"; do
		mkdir -p "$dir${f%/*}"
		printf '#!/bin/sh\necho stand-in\n' >"$dir$f"
	done
	dpkg-deb -b --root-owner-group "$dir" "$TMP/fake/$name.deb" >/dev/null
}
fake_deb golang-docker-credential-helpers /usr/bin/docker-credential-pass \
	/usr/bin/docker-credential-secretservice
fake_deb amazon-ecr-credential-helper /usr/bin/docker-credential-ecr-login \
	/usr/share/man/man1/docker-credential-ecr-login.1.gz
rdpkg -i "$TMP"/fake/*.deb >"$TMP/dpkg-fake.log" 2>&1
debs=()
for h in $HELPERS; do debs+=("$(deb "$h")"); done
start=$(date +%s)
if rdpkg -i "${debs[@]}" "$common" "$meta" >"$TMP/dpkg.log" 2>&1; then
	t_ok "packaging: dpkg --root installs every package ($(( $(date +%s) - start ))s)"
else
	t_fail "packaging: dpkg --root installs every package"
	sed 's/^/#   /' "$TMP/dpkg.log" | tail -n 20
fi
status_of() { dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${db:Status-Abbrev}' "$1" 2>/dev/null; }
for p in $(for h in $HELPERS common; do echo "credkit-$h"; done) credkit; do
	t_eq "packaging: $p installed in the throwaway root" "$(status_of "$p")" "ii "
done
for other in golang-docker-credential-helpers amazon-ecr-credential-helper; do
	t_check "packaging: $other removed in favour of credkit ($(status_of "$other"))" \
		bash -c '[[ $1 != ii* ]]' _ "$(status_of "$other")"
done
t_check "packaging: no stand-in file is left" \
	bash -c '! grep -rqs stand-in "$1/usr/bin"' _ "$root"
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

# Every installed man page renders without a warning (as tests/t-man.sh
# renders the sources).
pages=$(find "$root/usr/share/man" -type f -name '*.gz' | sort)
t_eq "packaging: installed man pages" "$(sed "s|^$root||" <<<"$pages" | tr '\n' ' ')" \
	"$(for h in ecr-login ghcr keyctl pass secretservice; do
		printf '/usr/share/man/man1/docker-credential-%s.1.gz ' "$h"; done)/usr/share/man/man5/credkit-config.5.gz "
for page in $pages; do
	warn=$( { LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings -l "$page" >/dev/null
		zcat "$page" | LC_ALL=C.UTF-8 groff -ww -z -man; } 2>&1)
	t_eq "packaging: installed ${page##*/} renders without warnings" "$warn" ""
done

# The protocol battery against the installed storage helpers.
start=$(date +%s)
if command -v keyctl >/dev/null; then
	CREDKIT_KEYRING=session keyctl session - bash tests/lib-credential.sh \
		"$root/usr/bin/docker-credential-keyctl" 2> >(grep -v '^Joined session keyring:' >&2) ||
		T_FAILED=$((T_FAILED + 1))
else
	t_skip "packaging: battery of the installed keyctl" "no keyctl command (apt-get install keyutils)"
fi
if command -v gnome-keyring-daemon >/dev/null && command -v dbus-run-session >/dev/null; then
	tests/with-keyring bash tests/lib-credential.sh "$root/usr/bin/docker-credential-secretservice" \
		2> >(grep -v 'fd limit' >&2) || T_FAILED=$((T_FAILED + 1))
else
	t_skip "packaging: battery of the installed secretservice" "no gnome-keyring or dbus"
fi
if command -v pass >/dev/null && command -v gpg >/dev/null; then
	(
		mkdir "$TMP/pass"
		trap 'gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null' EXIT
		t_pass_store "$TMP/pass" || exit 1
		bash tests/lib-credential.sh "$root/usr/bin/docker-credential-pass"
	) || T_FAILED=$((T_FAILED + 1))
else
	t_skip "packaging: battery of the installed pass" "no pass or gpg"
fi
t_ok "packaging: batteries of the installed helpers ($(( $(date +%s) - start ))s)"

# The newcomer's path: the installed keyctl, configure --migrate, their old
# base64 logins (Docker Hub's too) in the kernel keyring and none left in
# config.json; in a session keyring of its own.
if command -v keyctl >/dev/null && command -v jq >/dev/null; then
	nc=$TMP/newcomer
	mkdir -p "$nc/.docker"
	printf '{"auths":{"https://index.docker.io/v1/":{"auth":"%s"},"registry.newcomer.invalid":{"auth":"%s"}},"psFormat":"{{.ID}}"}' \
		"$(printf 'hubuser:hub pw' | base64)" "$(printf 'me:s3cret' | base64)" >"$nc/.docker/config.json"
	out=$(env HOME="$nc" DOCKER_CONFIG="$nc/.docker" CREDKIT_KEYRING=session keyctl session - bash -c '
		kc=$1
		"$kc" configure --migrate >/dev/null || echo "configure-failed $?"
		printf %s registry.newcomer.invalid | "$kc" get
		printf %s https://index.docker.io/v1/ | "$kc" get
		printf %s registry.newcomer.invalid | "$kc" erase
		printf %s https://index.docker.io/v1/ | "$kc" erase' _ "$root/usr/bin/docker-credential-keyctl" \
		2> >(grep -v '^Joined session keyring:' >&2))
	t_eq "packaging: installed keyctl configure --migrate moves the old logins" "$out" \
'{"ServerURL":"registry.newcomer.invalid","Username":"me","Secret":"s3cret"}
{"ServerURL":"https://index.docker.io/v1/","Username":"hubuser","Secret":"hub pw"}'
	t_eq "packaging: after --migrate config.json has credsStore keyctl, no auth, its other keys" \
		"$(jq -c '[.credsStore, ([.auths[] | select(has("auth") or has("identitytoken"))] | length), .psFormat]' \
			"$nc/.docker/config.json")" '["keyctl",0,"{{.ID}}"]'
else
	t_skip "packaging: installed keyctl configure --migrate" "no keyctl or jq command"
fi

kc=$root/usr/bin/docker-credential-keyctl
t_check "packaging: unpacked keyctl is static (no NEEDED)" \
	bash -c '! readelf -d "$1" | grep -q NEEDED' _ "$kc"
t_eq "packaging: unpacked keyctl version" "$("$kc" version 2>&1)" \
	"docker-credential-keyctl (credkit) $version"
t_check "packaging: unpacked ecr-login is static (no NEEDED)" \
	bash -c '! readelf -d "$1" | grep -q NEEDED' _ "$root/usr/bin/docker-credential-ecr-login"
# A host with no credentials anywhere: the error comes from the minter.
t_ecr_minter "packaging: unpacked ecr-login runs its minter" "$root/usr/bin/docker-credential-ecr-login"
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

# Removing every package leaves the root as it was: nothing but dpkg's own.
rdpkg --purge credkit $(for h in $HELPERS common; do echo "credkit-$h"; done) >"$TMP/dpkg-rm.log" 2>&1
t_eq "packaging: purged, nothing is left in the throwaway root" \
	"$(cd "$root" && find . -mindepth 1 ! -type d ! -path './var/lib/dpkg/*' | tr '\n' ' ')" ""

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
	r=$(ls build/rpm/credkit-common-"$version"-*.noarch.rpm 2>/dev/null | head -n 1)
	t_eq "packaging: credkit-common .rpm (noarch) files" \
		"$(rpm -qpl "$r" 2>/dev/null | grep -v '^/usr/share/licenses/' | sed 's/\.gz$//' | tr '\n' ' ')" \
		"/usr/share/man/man5/credkit-config.5 "
	r=$(ls build/rpm/credkit-"$version"-*.rpm 2>/dev/null | head -n 1)
	t_eq "packaging: credkit .rpm Requires every helper and credkit-common" \
		"$(rpm -qp --requires "$r" 2>/dev/null | grep '^credkit-' | sed 's/ .*//' | sort | tr '\n' ' ')" \
		"credkit-common credkit-ecr-login credkit-ghcr credkit-keyctl credkit-pass credkit-secretservice "
	t_check "packaging: credkit-ecr-login .rpm Provides amazon-ecr-credential-helper" \
		bash -c 'rpm -qp --provides build/rpm/credkit-ecr-login-[0-9]*.rpm 2>/dev/null | grep -qx amazon-ecr-credential-helper'
	t_check "packaging: credkit-ghcr .rpm Recommends gh" \
		bash -c 'rpm -qp --recommends build/rpm/credkit-ghcr-[0-9]*.rpm 2>/dev/null | grep -qx gh'
else
	t_fail "packaging: make rpm"
	sed 's/^/#   /' "$TMP/rpm.log" | tail -n 30
fi

# lintian on the .changes: every .deb, the dbgsym ones, the source package
# (where debian/copyright is checked as DEP-5) and the .buildinfo.  Errors
# and warnings fail; infos are shown, not counted.
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
	t_eq "packaging: lintian warnings (shown above; an override says why)" \
		"$(grep -c '^W: ' "$TMP/lintian.log")" 0
	t_ok "packaging: lintian infos: $(grep -c '^I: ' "$TMP/lintian.log") (shown above, not counted)"
fi
t_done
