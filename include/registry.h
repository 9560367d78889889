/* SPDX-License-Identifier: MIT */
/*
 * registry.h - one canonical key for each registry, whatever its spelling.
 *
 * docker stores Docker Hub as "https://index.docker.io/v1/" while podman and
 * skopeo ask for "docker.io"; people write "Registry.Example.com:443/v2/".
 * A helper's get first looks up the exact server string it was given and,
 * when nothing matches, falls back to entries whose key is equal.  Two
 * server strings name the same registry if and only if their keys are equal.
 *
 * A key is host[:port][path]: the host lower-cased (an IPv4 address in
 * dotted form, an IPv6 address in brackets in inet_ntop()'s form), the port
 * as written but only when it is not 443, the path without trailing slashes
 * and without a bare /v1 or /v2.  The scheme is not part of it (docker's
 * ConvertToHostname drops it too): http://host, https://host, host and
 * host:443 have one key, host:80 and http://host:80 another.  Docker Hub's three host names
 * become "docker.io".  A key never equals the key of another host, another
 * port or another path.
 *
 * Anything that is not a plain registry reference (another scheme, user
 * information, a query, a fragment, percent-encoding, a bad port, an IPv6
 * address without brackets, control characters, overlong parts) is refused
 * with CK_BAD_INPUT: such a string is looked up exactly and has no aliases.
 * Error texts show at most the start of the input, with any user
 * information replaced by "***".
 */
#ifndef CREDKIT_REGISTRY_H
#define CREDKIT_REGISTRY_H

#include <stddef.h>

#include "error.h"

#define REGISTRY_KEY_MAX 1024	/* bytes of a key, NUL included */
#define REGISTRY_INPUT_MAX 2048	/* longest server string accepted */
#define REGISTRY_HOST_MAX 253	/* longest host name, as in DNS */
#define REGISTRY_PATH_MAX 511	/* longest path, trailing slashes stripped */

struct registry_ref {		/* parsed pieces, all NUL-terminated */
	char host[256];		/* lower-case, as written (not mapped to
				 * docker.io); IPv4 dotted; IPv6 in brackets,
				 * canonical via inet_pton()/inet_ntop() */
	unsigned port;		/* 0 when none was given or it was 443,
				 * whatever the scheme */
	char path[512];		/* "" or "/something" without trailing slash
				 * and never a bare "/v1" or "/v2" */
	char key[REGISTRY_KEY_MAX];	/* host[:port][path], docker.io for
					 * Docker Hub */
};

/*
 * Parse server, a whitespace-trimmed string such as "docker.io",
 * "https://index.docker.io/v1/" or "http://[::1]:5000".  Returns 0 with *ref
 * filled, or -1 with *ref cleared and err (which may be NULL) of kind
 * CK_BAD_INPUT when server is not a plain registry reference.
 */
int registry_parse(const char *server, struct registry_ref *ref,
		   struct ck_error *err);

/*
 * Like registry_parse() but only writes the key into key[size]; size
 * REGISTRY_KEY_MAX always suffices.  Returns 0, or -1 with err and key
 * empty (when size > 0): CK_BAD_INPUT for a bad server, CK_FAILED when
 * size is too small.
 */
int registry_key(const char *server, char *key, size_t size,
		 struct ck_error *err);

/* 1 when a and b both parse and name the same registry, else 0. */
int registry_same(const char *a, const char *b);

/*
 * ref's host and port as "host[:port]" (no port when it is 443) into
 * buf[size], cut to fit: how a token helper names the host it answers.
 */
void registry_host_port(const struct registry_ref *ref, char *buf, size_t size);

#endif
