/* SPDX-License-Identifier: MIT */
/*
 * http.h - one HTTP exchange over libcurl, with every wait bounded.
 *
 * The token helpers' minting programs speak to AWS (and later GitHub)
 * through this alone.  Bodies may hold secrets: the answer is kept in a
 * struct secret, the request's headers and body are never copied but into
 * wiped memory, and no error text holds a body, a header, a path or a
 * query, only the scheme, host and port.
 */
#ifndef CREDKIT_HTTP_H
#define CREDKIT_HTTP_H

#include <stddef.h>
#include <time.h>

#include "error.h"
#include "secret.h"

struct http_request {
	const char *method;		/* "GET", "POST", "PUT" */
	const char *url;		/* http:// or https:// */
	const char *const *headers;	/* NULL or NULL-terminated "Name: value" */
	const void *body;		/* body_len bytes, may hold a secret */
	size_t body_len;
	const char *ca_file;		/* NULL: $SSL_CERT_FILE, else libcurl's */
	long timeout_ms;		/* the whole exchange, > 0 */
	long connect_timeout_ms;	/* 0: min(timeout_ms, 3000) */
	size_t max_response;		/* 0: 1 MiB; more is an error */
	const char *what;		/* for messages: "ECR", "STS", ... */
	int no_proxy;			/* 1: straight to the host, whatever
					 * the proxy variables say */
	const char *keep_header;	/* NULL, or a header whose value the
					 * answer keeps ("X-OAuth-Scopes") */
};

struct http_response {
	long status;			/* the HTTP status */
	struct secret body;		/* NUL-terminated, wiped on release */
	char content_type[128];
	time_t date;			/* its Date header; 0 if none or unreadable */
	long retry_after;		/* its Retry-After in seconds (a date
					 * taken from now, 0 if past); -1 if
					 * none or unreadable */
	int has_header;			/* the answer had req->keep_header */
	char header[2048];		/* its value, trimmed, cut to fit */
};

#define HTTP_RESPONSE_INIT { 0, SECRET_INIT, "", 0, -1, 0, "" }

/*
 * Perform req.  Returns 0 once an HTTP answer came, whatever its status,
 * or -1 with err: CK_UNAVAILABLE when the host cannot be reached or did
 * not answer in time ("cannot reach ECR at https://host:port: ...", "no
 * answer from ECR at https://host:port within 3 s"), CK_FAILED for TLS
 * problems (naming the CA file in use), an answer over max_response and
 * anything else.  Proxies are libcurl's usual variables (https_proxy,
 * HTTPS_PROXY, http_proxy, no_proxy, NO_PROXY), unless req->no_proxy.
 * Redirects are not followed.  resp is released first.
 */
int http_do(const struct http_request *req, struct http_response *resp,
	    struct ck_error *err);

/*
 * Read one line of an answer's head into resp, as http_do() does with
 * each line libcurl gives it (len bytes with their CR LF, not
 * NUL-terminated): a status line ("HTTP/...") forgets the kept header (a
 * proxy's answer to CONNECT and a 100 come first) and resets
 * resp->retry_after to -1; "Date:" sets resp->date when curl_getdate()
 * reads it; "Retry-After:" sets resp->retry_after (seconds from now, at
 * most a day, -1 when unreadable); keep's line (keep may be NULL), its name in
 * any case, sets resp->has_header and resp->header: its value with no
 * blank or control character at either end, those inside as spaces, cut
 * to fit (up to a NUL).  Other lines change nothing.
 */
void http_take_header(struct http_response *resp, const char *keep, const char *line,
		      size_t len);

/* Wipe and free what resp holds; it may be reused. */
void http_response_release(struct http_response *resp);

#endif
