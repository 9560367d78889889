# SPDX-License-Identifier: MIT
# tests/registry.sh - a throwaway TLS registry on 127.0.0.1 for credkit's tests.
#
# Source this file (bash), then:
#
#   registry_start DIR   makes a CA and a server certificate for 127.0.0.1
#                        under DIR, an htpasswd file for user "credkit" with a
#                        password made up now, and starts docker-registry on a
#                        free port of 127.0.0.1; returns once it answers 401 on
#                        /v2/.  Exports REGISTRY_HOST (127.0.0.1:PORT),
#                        REGISTRY_USER, REGISTRY_PASS, REGISTRY_CA (the CA
#                        file) and REGISTRY_CERT_DIR (a folder holding only
#                        ca.crt, for skopeo's --cert-dir).  Installs the CA
#                        for the docker CLI in /etc/docker/certs.d/HOST/, so
#                        it needs root.
#   registry_push_hello  pushes a tiny hand-made image to
#                        $REGISTRY_HOST/credkit/hello:latest with skopeo,
#                        using the registry's credentials explicitly.
#   registry_stop        stops the registry and removes its certs.d folder;
#                        safe to call twice, or when start failed half way.
#   registry_preflight NAME TOOL...
#                        for a test: one t_skip line for NAME and status 1
#                        when a TOOL (the registry's own besides) is not
#                        found or this is not root.
#   registry_json_field KEY...
#                        reads JSON on stdin and prints the value at
#                        KEY/KEY/... (strings bare, anything else as JSON),
#                        <missing>, or <not json>.
#
# Nothing here reaches past 127.0.0.1, and every wait is bounded.  The
# functions print what went wrong on stderr and return non-zero; they never
# exit, so a test can clean up, and they work with or without set -e.  The password is a random throwaway: it is
# never put on a command line (htpasswd and skopeo read it from stdin or a
# mode 600 file).

# shellcheck shell=bash
# shellcheck source=tests/lib.sh
command -v t_stop_process >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REGISTRY_START_TIMEOUT=${REGISTRY_START_TIMEOUT:-10}
REGISTRY_CERTS_D=${REGISTRY_CERTS_D:-/etc/docker/certs.d}
# Debian's python3 (tests/deps.sh installs it) before any on PATH: a version
# manager's shim there can cost half a second a call.
CREDKIT_PYTHON=${CREDKIT_PYTHON:-$(command -v /usr/bin/python3 || echo python3)}

registry_err() { printf 'registry: %s\n' "$*" >&2; return 1; }

# registry_free_port: prints a TCP port of 127.0.0.1 that nothing listens on
# right now (the kernel picks it; start retries if someone takes it first).
registry_free_port() {
	"$CREDKIT_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# registry_make_certs DIR [NAME...]: DIR/ca.crt (a self-signed CA) and
# DIR/server.crt + DIR/server.key (for IP 127.0.0.1 and the host NAMEs,
# signed by that CA).
registry_make_certs() {
	local dir=$1 san=IP:127.0.0.1 name
	shift
	for name in "$@"; do
		san=$san,DNS:$name
	done
	printf '%s\n' "subjectAltName=$san" 'basicConstraints=CA:FALSE' \
		'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
		>"$dir/server.ext" || return 1
	if openssl req -x509 -new -nodes -days 2 \
		-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-subj '/CN=credkit throwaway test CA' \
		-addext 'basicConstraints=critical,CA:TRUE' \
		-addext 'keyUsage=critical,keyCertSign,cRLSign' \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" &&
	   openssl req -new -nodes \
		-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-subj '/CN=127.0.0.1' \
		-keyout "$dir/server.key" -out "$dir/server.csr" &&
	   openssl x509 -req -days 2 -in "$dir/server.csr" \
		-CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-set_serial "0x$(openssl rand -hex 8)" -extfile "$dir/server.ext" \
		-out "$dir/server.crt"
	then
		return 0
	fi 2>"$dir/openssl.log"
	cat "$dir/openssl.log" >&2
	registry_err "cannot make the test certificates"
}

# registry_write_config DIR PORT: DIR/config.yml for docker-registry.
registry_write_config() {
	local dir=$1 port=$2
	cat >"$dir/config.yml" <<-EOF
	version: 0.1
	log:
	  level: info
	storage:
	  filesystem:
	    rootdirectory: $dir/storage
	  delete:
	    enabled: true
	http:
	  addr: 127.0.0.1:$port
	  secret: $(openssl rand -hex 16)
	  tls:
	    certificate: $dir/server.crt
	    key: $dir/server.key
	auth:
	  htpasswd:
	    realm: credkit-test
	    path: $dir/htpasswd
	EOF
}

# registry_wait_ready URL CA PID: 0 once URL answers 401 (auth required),
# 1 if the registry died or did not answer within REGISTRY_START_TIMEOUT s.
registry_wait_ready() {
	local url=$1 ca=$2 pid=$3 code
	local deadline=$((SECONDS + REGISTRY_START_TIMEOUT))
	while [ "$SECONDS" -le "$deadline" ]; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			--cacert "$ca" "$url") || true
		[ "$code" = 401 ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

registry_start() {
	local dir=${1:?usage: registry_start DIR} port pass

	[ "$(id -u)" -eq 0 ] ||
		registry_err "registry_start needs root to install the test CA in $REGISTRY_CERTS_D/HOST/ (run as root, e.g. under sudo)" ||
		return 1
	local tool
	for tool in docker-registry openssl htpasswd curl "$CREDKIT_PYTHON"; do
		command -v "$tool" >/dev/null ||
			registry_err "$tool not found (run tests/deps.sh)" || return 1
	done

	mkdir -p "$dir/storage" "$dir/certs" || return 1
	dir=$(cd "$dir" && pwd) || return 1
	REGISTRY_DIR=$dir
	registry_make_certs "$dir" || return 1
	cp "$dir/ca.crt" "$dir/certs/ca.crt" || return 1

	pass=$(openssl rand -hex 16) || return 1
	(umask 077 && printf '%s\n' "$pass" | htpasswd -niB credkit >"$dir/htpasswd") ||
		registry_err "htpasswd failed" || return 1

	# The registry reads REGISTRY_* variables as overrides of its config,
	# so start it without the ones this file exports.
	for _ in 1 2 3; do
		port=$(registry_free_port) || return 1
		registry_write_config "$dir" "$port" || return 1
		env -u REGISTRY_HOST -u REGISTRY_USER -u REGISTRY_PASS \
			-u REGISTRY_CA -u REGISTRY_CERT_DIR \
			docker-registry serve "$dir/config.yml" \
			</dev/null >"$dir/registry.log" 2>&1 &
		REGISTRY_PID=$!
		if registry_wait_ready "https://127.0.0.1:$port/v2/" "$dir/ca.crt" \
			"$REGISTRY_PID"; then
			break
		fi
		registry_kill
		grep -q 'address already in use' "$dir/registry.log" && continue
		tail -n 20 "$dir/registry.log" >&2
		registry_err "docker-registry did not answer 401 on https://127.0.0.1:$port/v2/ within ${REGISTRY_START_TIMEOUT}s"
		return 1
	done
	[ -n "${REGISTRY_PID:-}" ] ||
		registry_err "no free port for docker-registry after 3 tries" || return 1

	export REGISTRY_HOST="127.0.0.1:$port" REGISTRY_USER=credkit \
		REGISTRY_PASS=$pass REGISTRY_CA="$dir/ca.crt" \
		REGISTRY_CERT_DIR="$dir/certs"

	[ -d "$REGISTRY_CERTS_D" ] || REGISTRY_MADE_CERTS_D=1
	mkdir -p "$REGISTRY_CERTS_D/$REGISTRY_HOST" &&
	cp "$dir/ca.crt" "$REGISTRY_CERTS_D/$REGISTRY_HOST/ca.crt" ||
		registry_err "cannot install the CA in $REGISTRY_CERTS_D/$REGISTRY_HOST" ||
		return 1
}

# registry_kill: stop the registry process, waiting at most 5 s for it.
registry_kill() {
	local pid=${REGISTRY_PID:-}
	REGISTRY_PID=
	[ -n "$pid" ] || return 0
	t_stop_process "$pid"
}

registry_stop() {
	registry_kill
	if [ -n "${REGISTRY_HOST:-}" ]; then
		rm -rf "${REGISTRY_CERTS_D:?}/$REGISTRY_HOST"
		if [ -n "${REGISTRY_MADE_CERTS_D:-}" ]; then
			rmdir "$REGISTRY_CERTS_D" 2>/dev/null || true
		fi
	fi
	REGISTRY_MADE_CERTS_D=
}

registry_preflight() {
	local name=$1 tool
	shift
	for tool in docker-registry openssl htpasswd curl "$CREDKIT_PYTHON" timeout "$@"; do
		if ! command -v "$tool" >/dev/null; then
			t_skip "$name" "$tool not found (run tests/deps.sh)"
			return 1
		fi
	done
	if [ "$(id -u)" -ne 0 ]; then
		t_skip "$name" "needs root to trust the test CA in $REGISTRY_CERTS_D"
		return 1
	fi
}

registry_json_field() {
	"$CREDKIT_PYTHON" -c 'import json, sys
try:
    v = json.load(sys.stdin)
except ValueError:
    print("<not json>")
    sys.exit(0)
for k in sys.argv[1:]:
    if not isinstance(v, dict) or k not in v:
        print("<missing>")
        sys.exit(0)
    v = v[k]
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$@"
}

# registry_add_blob OCI FILE: moves FILE into the OCI layout's blob store and
# prints its descriptor fields: "sha256:HEX SIZE".
registry_add_blob() {
	local oci=$1 file=$2 hex size
	hex=$(sha256sum "$file") || return 1
	hex=${hex%% *}
	size=$(stat -c %s "$file") || return 1
	mv "$file" "$oci/blobs/sha256/$hex" || return 1
	printf 'sha256:%s %s\n' "$hex" "$size"
}

# registry_make_image DIR: an OCI image layout in DIR/oci, tag "latest",
# built by hand: one gzipped tar layer holding /hello.txt, a config, a
# manifest and index.json.
registry_make_image() {
	local dir=$1 oci=$1/oci diff_id layer config manifest
	mkdir -p "$oci/blobs/sha256" "$dir/rootfs" || return 1
	printf '{"imageLayoutVersion":"1.0.0"}\n' >"$oci/oci-layout"
	printf 'hello from credkit\n' >"$dir/rootfs/hello.txt"
	tar -C "$dir/rootfs" --sort=name --mtime=@0 --owner=0 --group=0 \
		--numeric-owner -cf "$dir/layer.tar" hello.txt || return 1
	diff_id=$(sha256sum "$dir/layer.tar") || return 1
	diff_id=sha256:${diff_id%% *}
	gzip -n -c "$dir/layer.tar" >"$dir/layer.tar.gz" || return 1
	layer=$(registry_add_blob "$oci" "$dir/layer.tar.gz") || return 1

	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/hello.txt"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$diff_id" >"$dir/config.json"
	config=$(registry_add_blob "$oci" "$dir/config.json") || return 1

	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
		"${config% *}" "${config#* }" "${layer% *}" "${layer#* }" >"$dir/manifest.json"
	manifest=$(registry_add_blob "$oci" "$dir/manifest.json") || return 1

	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}\n' \
		"${manifest% *}" "${manifest#* }" >"$oci/index.json"
}

registry_push_hello() {
	[ -n "${REGISTRY_HOST:-}" ] ||
		registry_err "registry_push_hello: start the registry first" || return 1
	local dir=$REGISTRY_DIR/image
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	registry_make_image "$dir" || registry_err "cannot build the test image" || return 1

	printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$dir/policy.json"
	(umask 077 && printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY_HOST" \
		"$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASS" | base64 -w0)" \
		>"$dir/auth.json") || return 1
	timeout 60 skopeo --policy "$dir/policy.json" copy --quiet \
		--dest-authfile "$dir/auth.json" \
		--dest-cert-dir "$REGISTRY_CERT_DIR" \
		"oci:$dir/oci:latest" "docker://$REGISTRY_HOST/credkit/hello:latest" ||
		registry_err "skopeo could not push $REGISTRY_HOST/credkit/hello:latest"
	local status=$?
	rm -f "$dir/auth.json"
	return "$status"
}
