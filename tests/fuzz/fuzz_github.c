/* SPDX-License-Identifier: MIT */
/*
 * fuzz_github.c - libFuzzer target: GitHub's answer to GET /user, as
 * doctor --online reads it (api.c): the head's lines as http_do() takes
 * them (http_take_header(), keeping X-OAuth-Scopes), then the status, the
 * JSON body and the scopes (github_user_read()).
 *
 * The input is the answer as it comes on the wire: lines (each given with
 * its line break) up to the first empty one, then the body.  The status
 * is the first line's ("HTTP/1.1 403 ..."), else 200.  It aborts when a
 * contract breaks: a login, message or kept scopes that is not one
 * printable line, scopes with a space at an end, or push without pull.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "github/api.h"
#include "secret.h"
#include "tokens/http.h"

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* The status of a status line "HTTP/x NNN ...", else 200. */
static long status_of(const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	long st = 0;
	int i;

	if (len < 5 || strncmp(line, "HTTP/", 5) || !sp || (size_t)(sp - line) + 4 > len)
		return 200;
	for (i = 1; i <= 3; i++) {
		if (sp[i] < '0' || sp[i] > '9')
			return 200;
		st = st * 10 + (sp[i] - '0');
	}
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	const char *p = (const char *)data, *end = p + size, *nl;
	struct github_user u;
	size_t len, n;
	int first = 1;

	resp.status = 200;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (first)
			resp.status = status_of(p, len);
		first = 0;
		http_take_header(&resp, "X-OAuth-Scopes", p, len);
		p += len;
		if (len == 1 || (len == 2 && p[-2] == '\r'))
			break;
	}
	if (secret_set(&resp.body, p, (size_t)(end - p)))
		abort();
	github_user_read(&resp, &u);
	n = strlen(u.scopes);
	if (u.status != resp.status || !printable(u.login) || !printable(u.message) ||
	    !printable(u.scopes) || (n && (u.scopes[0] == ' ' || u.scopes[n - 1] == ' ')) ||
	    (u.pull && !u.listed) || (u.push && !u.pull))
		abort();
	http_response_release(&resp);
	return 0;
}
