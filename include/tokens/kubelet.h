/* SPDX-License-Identifier: MIT */
/*
 * kubelet.h - the wire of a kubelet image credential provider.
 *
 * A kubelet runs an exec plugin for each image it pulls whose name one of
 * the provider's matchImages matches (CredentialProviderConfig): one
 * CredentialProviderRequest on the plugin's stdin, one
 * CredentialProviderResponse on its stdout, a non-zero exit for "no
 * credentials from this provider".  This module is that wire and nothing
 * else: reading and parsing a request, the image's registry as the kubelet
 * keys it, the kubelet's image matching, Go's duration text and the
 * response.  It uses jansson and libc only (it is linked into the fronts:
 * no libcurl, libcrypto or GLib), does no I/O but kubelet_read(), and
 * prints nothing: errors come back in a struct ck_error, as one line that
 * never holds a secret (no token, no password, no piece of the request's
 * JSON text: only positions, field names and the image).
 *
 * What a request may be, as the kubelet's own encoder writes it
 * (k8s.io/kubelet/pkg/apis/credentialprovider, the plugin runner in
 * pkg/credentialprovider/plugin/plugin.go):
 *  - one JSON object of at most KUBELET_REQUEST_MAX bytes, no key twice;
 *  - kind "CredentialProviderRequest" and apiVersion exactly
 *    KUBELET_API_V1 or KUBELET_API_V1BETA1 (v1alpha1 and any other are
 *    refused);
 *  - image: a non-empty string of at most KUBELET_IMAGE_MAX bytes without
 *    control characters.  The kubelet sends it without tag or digest, but
 *    one is tolerated, as the kubelet's own parsing tolerates it;
 *  - serviceAccountToken (a string) and serviceAccountAnnotations (an
 *    object of strings), in v1 only: a v1beta1 request with either is
 *    refused.  null stands for absent, as Go's decoder reads it.
 * Unknown fields are ignored (lenient): the kubelet never sends one, and
 * a newer kubelet that adds a field to v1 must not lose its credentials.
 * Known fields of the wrong type are refused.
 *
 * Matching (kubelet_match(), kubelet_match_auth()) is the kubelet's
 * credentialprovider.URLsMatchStr(): both sides are read as Go's
 * url.Parse("https://" + s) reads them, then split as its SplitURL() and
 * net.SplitHostPort() split them: the same number of dot-separated host
 * labels, each label of the pattern a glob of Go's path.Match (`*`, `?`,
 * `[...]`, `\` escapes) against the image's label, ports equal as text
 * (no port matches only no port), the pattern's path a plain prefix of
 * the image's.  Case matters, as in the kubelet.  Consequences of that
 * reading, kept on purpose: a `?` in a pattern starts a URL query (so it
 * ends the host and the path there); a pattern whose host starts with `[`
 * is an IPv6 literal; a host or path that url.Parse refuses matches
 * nothing.  Unlike Go, an escaped NUL (%00), a host over 1023 bytes and a
 * path of KUBELET_IMAGE_MAX bytes or more match nothing, and a bracketed
 * host with a zone (%25) is refused.
 */
#ifndef CREDKIT_KUBELET_H
#define CREDKIT_KUBELET_H

#include <stddef.h>

#include "error.h"
#include "secret.h"
#include "tokens/token.h"

#define KUBELET_API_V1		"credentialprovider.kubelet.k8s.io/v1"
#define KUBELET_API_V1BETA1	"credentialprovider.kubelet.k8s.io/v1beta1"

/*
 * Bounds: a whole request (a service-account token is a few KiB, and
 * Kubernetes keeps a service account's annotations under 256 KiB), an
 * image name (the kubelet's are under 300 bytes), a registry host[:port]
 * with its NUL, and a duration text with its NUL ("-2562047h47m16s").
 */
#define KUBELET_REQUEST_MAX	(1024 * 1024)
#define KUBELET_IMAGE_MAX	4096
#define KUBELET_REGISTRY_MAX	TOKEN_HOST_MAX
#define KUBELET_DURATION_MAX	24

/* The longest duration Go's time.Duration holds, in whole seconds. */
#define KUBELET_SECONDS_MAX	9223372036LL

enum kubelet_api {
	KUBELET_V1BETA1 = 1,
	KUBELET_V1,
};

struct kubelet_annotation {
	char *key;		/* owned */
	char *value;		/* owned */
};

struct kubelet_request {
	enum kubelet_api api;
	char *image;		/* owned, as sent */
	char registry[KUBELET_REGISTRY_MAX];	/* kubelet_registry(image) */
	struct secret token;	/* serviceAccountToken; empty (buf NULL) when none */
	struct kubelet_annotation *annotations;	/* owned, sorted by key (strcmp) */
	size_t annotations_nr;
};

#define KUBELET_REQUEST_INIT { 0, NULL, "", SECRET_INIT, NULL, 0 }

/*
 * Read all of fd (a request on stdin) into in (released first), which then
 * holds in->len bytes and a NUL: the request holds a token, so in is a
 * secret.  More than KUBELET_REQUEST_MAX bytes is refused, not cut.
 * Returns 0, or -1 with err (CK_BAD_INPUT: too long; CK_FAILED: a read
 * error) and in empty.
 */
int kubelet_read(int fd, struct secret *in, struct ck_error *err);

/*
 * Parse the len bytes at buf as a request (see the top of this file) into
 * req, which must be KUBELET_REQUEST_INIT or released.  The token's copies
 * made on the way (in req->token and in jansson's tree) are wiped; those
 * in jansson's parser buffers are wiped when jansson frees through
 * secure_free() (json_set_alloc_funcs(), as credkit_main() sets it).
 * Returns 0 with req filled, or -1 with err (CK_BAD_INPUT, one line saying
 * which field is wrong and how; CK_FAILED: out of memory) and req as
 * released.  buf is not changed and stays the caller's to wipe.
 */
int kubelet_parse_request(const char *buf, size_t len, struct kubelet_request *req,
			  struct ck_error *err);

/* The value of annotation key in req (borrowed from req), or NULL. */
const char *kubelet_annotation(const struct kubelet_request *req, const char *key);

/* Wipe and free what req owns; req is then as KUBELET_REQUEST_INIT. */
void kubelet_request_release(struct kubelet_request *req);

/* The apiVersion text of api (a static string), or NULL for no such api. */
const char *kubelet_api_text(enum kubelet_api api);

/*
 * The registry of image as the kubelet keys it: the part before the first
 * '/' (its parseRegistry(), the cache key of cacheKeyType Registry), which
 * must also be exactly the host[:port] that url.Parse reads (no user
 * information, query, fragment or escape) and name a host.  Written into
 * buf[size] as it is in image, case kept: the kubelet matches auth keys
 * case-sensitively, so an auth key lower-cased from "Reg.example.com/app"
 * would match nothing (registry_parse() gives the lower-case form that
 * find() compares).  size KUBELET_REGISTRY_MAX always suffices.  Returns 0,
 * or -1 with err (CK_BAD_INPUT) and buf empty (when size > 0).
 */
int kubelet_registry(const char *image, char *buf, size_t size, struct ck_error *err);

/*
 * Whether image matches pattern as a provider's matchImages entry matches
 * it in the kubelet (URLsMatchStr(pattern, image); see the top of this
 * file): 1 yes, 0 no (a malformed pattern or image matches nothing).
 */
int kubelet_match(const char *pattern, const char *image);

/*
 * Whether image matches key as the kubelet matches a response's auth key:
 * the key read as its keyring's Add() reads it ("https://" or "http://"
 * dropped, a leading /v1 or /v2 of the path dropped, user information,
 * query and fragment dropped), then kubelet_match().  1 yes, 0 no.  The
 * kubelet's fallback for Docker Hub's default registry is not modelled.
 */
int kubelet_match_auth(const char *key, const char *image);

/*
 * Write seconds as Go's time.Duration.String() writes that many whole
 * seconds ("0s", "30s", "1m0s", "5h59m30s", "2h0m0s", "-1m5s") into
 * buf[size]; KUBELET_DURATION_MAX always suffices.  Returns 0, or -1 when
 * |seconds| > KUBELET_SECONDS_MAX (no Go duration) or buf is too small
 * (buf then empty when size > 0).
 */
int kubelet_duration(long long seconds, char *buf, size_t size);

/* cache_seconds of an answer that leaves cacheDuration out. */
#define KUBELET_CACHE_DEFAULT	(-1LL)

/* What a response says; every pointer is borrowed. */
struct kubelet_answer {
	enum kubelet_api api;		/* the request's, echoed */
	const char *registry;		/* the one auth key: the request's registry */
	const char *username;
	const struct secret *password;
	long long cache_seconds;	/* cacheDuration: 0 no caching, else at most
					 * KUBELET_SECONDS_MAX; KUBELET_CACHE_DEFAULT:
					 * left out (the config's default applies) */
};

/*
 * Write the response for a into out (released first): one line of compact
 * JSON and a newline, fields in this order:
 *   {"kind":"CredentialProviderResponse","apiVersion":API,
 *    "cacheKeyType":"Registry","cacheDuration":"5h59m30s",
 *    "auth":{REGISTRY:{"username":USER,"password":PASSWORD}}}
 * out is a secret (it holds the password), for the caller to write to
 * stdout and release; jansson's copy of the password is wiped before it is
 * freed.  Returns 0, or -1 with err and out empty: CK_BAD_INPUT for an
 * unknown api, an empty registry, a negative cache_seconds other than
 * KUBELET_CACHE_DEFAULT or one too large, or a username or password that
 * is not UTF-8 without NUL, or no username; CK_FAILED: out of memory.
 */
int kubelet_response(const struct kubelet_answer *a, struct secret *out,
		     struct ck_error *err);

#endif
