/* SPDX-License-Identifier: MIT */
/*
 * fuzz_container.c - libFuzzer target: the container credentials
 * endpoint's URL (aws_container_url()) and AWS endpoint URLs
 * (aws_endpoint_parse()).
 *
 * The input is RELATIVE_URI, a NUL, FULL_URI, a NUL, HOST (an empty or
 * missing field: unset), as AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
 * AWS_CONTAINER_CREDENTIALS_FULL_URI and CREDKIT_AWS_CONTAINER_HOST give
 * them.  Beyond not crashing, it checks awsnet.h's promise that a relative
 * URI stays on its host: the URL taken, as libcurl reads it, has the host
 * 169.254.170.2 and no user information.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awsnet.h"
#include "fuzz.h"

/* The next NUL-separated field of [*p, end), or NULL when empty. */
static char *field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t len = nul ? (size_t)(nul - *p) : (size_t)(end - *p);
	char *s = len ? fuzz_string(*p, len) : NULL;

	*p += nul ? len + 1 : len;
	return s;
}

/* Abort unless url, as libcurl reads it, is on host 169.254.170.2 with no user. */
static void check_on_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *user = NULL;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) || strcmp(host, "169.254.170.2") ||
	    curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_NO_USER)
		abort();
	curl_free(host);
	curl_url_cleanup(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct ck_error err = CK_ERROR_INIT;
	struct aws_endpoint e;
	char *rel = field(&p, end), *full = field(&p, end), *host = field(&p, end);
	char url[4096];

	if (rel || full) {
		if (!aws_container_url(rel, full, host, url, sizeof(url), &err) && rel && !host)
			check_on_host(url);
	}
	if (full)
		aws_endpoint_parse(full, &e, &err);
	free(rel);
	free(full);
	free(host);
	return 0;
}
