/* SPDX-License-Identifier: MIT */
/*
 * sigv4.h - AWS Signature Version 4 for one HTTP request.
 *
 * docker-credential-ecr-login signs "POST /" to api.ecr.REGION.amazonaws.com
 * (service "ecr") and to sts.REGION.amazonaws.com (service "sts") with it.
 * The caller describes the request exactly as it will send it; the signer
 * returns the header lines to add (X-Amz-Date, X-Amz-Security-Token when
 * there is a session token, Authorization).
 *
 * What is signed, as AWS specifies for every service but S3 (which signs
 * paths differently and is refused):
 *  - the method as given;
 *  - the path, dot segments and repeated slashes removed, then URI-encoded
 *    once more (RFC 3986: only A-Z a-z 0-9 - . _ ~ and '/' stay as they
 *    are), so "/a%20b" is signed as "/a%2520b", as AWS expects;
 *  - the query parameters, each name and value percent-decoded and
 *    re-encoded the same way ("+" is a plus, not a space), sorted by name,
 *    then value; a name without "=" gets an empty value;
 *  - every header of req->headers plus host, x-amz-date and (unless
 *    SIGV4_TOKEN_UNSIGNED) x-amz-security-token: names lower-cased and
 *    sorted, values trimmed with inner runs of spaces and tabs made one
 *    space, the lines of a folded value and the values of a repeated header
 *    (in their order) joined by ',';
 *  - the SHA-256 of the body.
 *
 * The secret access key and every key derived from it live only in buffers
 * that are wiped before sigv4_sign() returns, and no error text holds the
 * secret key or the session token.
 */
#ifndef CREDKIT_SIGV4_H
#define CREDKIT_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "error.h"

struct sigv4_credentials {	/* borrowed, NUL-terminated */
	const char *access_key_id;	/* "AKIA...": letters, digits, '_' */
	const char *secret_access_key;	/* never copied but into wiped memory */
	const char *session_token;	/* NULL or "" for long-term keys */
};

/* req->flags: add X-Amz-Security-Token after signing instead of signing it
 * (a few services ask for this; ECR and STS take it signed, the default). */
#define SIGV4_TOKEN_UNSIGNED 0x1u

struct sigv4_request {		/* borrowed; what the client will send */
	const char *method;	/* "POST" */
	const char *host;	/* the Host header as sent: "api.ecr.us-east-1.
				 * amazonaws.com", with ":port" when the
				 * port is not the scheme's default */
	const char *path;	/* "/" as sent (already percent-encoded);
				 * NULL or "" means "/" */
	const char *query;	/* as sent, without '?'; NULL or "" if none */
	const char *const *headers;	/* NULL, or NULL-terminated "Name: value"
					 * lines to sign (all but host,
					 * x-amz-date, x-amz-security-token and
					 * authorization, which the signer
					 * adds); pass only headers the client
					 * sends unchanged (not User-Agent) */
	const void *body;	/* body_len bytes; NULL when body_len is 0 */
	size_t body_len;
	unsigned flags;		/* 0 or SIGV4_TOKEN_UNSIGNED */
};

#define SIGV4_HEADERS_MAX 3

struct sigv4_signed {		/* all owned, wiped when released */
	char *headers[SIGV4_HEADERS_MAX + 1];	/* "Name: value" lines to add
						 * to the request, in this
						 * order, NULL-terminated */
	char *canonical_request;	/* what was signed, for tests and to
					 * compare with the canonical request
					 * an AWS SignatureDoesNotMatch error
					 * shows */
	char *string_to_sign;
};

#define SIGV4_SIGNED_INIT { { NULL }, NULL, NULL }

/*
 * Sign req with cred for region ("us-east-1") and service ("ecr", "sts":
 * lower-case letters, digits and '-') at time now (seconds since the epoch,
 * UTC).  out must be initialised (SIGV4_SIGNED_INIT); it is released first.
 * Returns 0 with out filled, or -1 with out empty and err (which may be
 * NULL) filled: CK_BAD_INPUT when an argument cannot be signed or sent (a
 * header line without a name, a control byte in a value, a header the
 * signer adds, a bad region, service "s3", ...), CK_FAILED when OpenSSL or
 * memory fails.
 */
int sigv4_sign(const struct sigv4_request *req,
	       const struct sigv4_credentials *cred, const char *region,
	       const char *service, time_t now, struct sigv4_signed *out,
	       struct ck_error *err);

/* Wipe and free what out holds; out is then empty (SIGV4_SIGNED_INIT). */
void sigv4_signed_release(struct sigv4_signed *out);

#endif
