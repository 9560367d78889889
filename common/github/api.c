/* SPDX-License-Identifier: MIT */
/*
 * api.c - doctor --online of docker-credential-ghcr: GitHub's API asked
 * what each token may do (see api.h).
 *
 * One GET {api}/user per host, through tokens/http.c (proxies, CA file and
 * bounds are its), with what GitHub asks of a client: the "token" scheme,
 * its media type and API version, a User-Agent (http.c sends
 * credkit/VERSION).  A classic token's answer lists its scopes in
 * X-OAuth-Scopes (empty when it has none); a fine-grained token's and an
 * app's answer has no such header; a bad or expired token gets 401.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "github/api.h"
#include "github/ghcr.h"
#include "secret.h"
#include "tokens/http.h"

/* One host's exchange, connection included: GitHub answers /user at once. */
#define API_TIMEOUT_MS		10000
#define API_MAX_RESPONSE	(256 * 1024)
#define API_VERSION		"2022-11-28"
#define URL_MAX			1024

/*
 * The token a get would hand over for h: the first source of its order
 * that has one (gh run now, bounded by its own timeout).  1 with c filled
 * and where naming the source, 0 when none has one; a source that fails
 * is printed and the next one asked.  ghcr_source_get() gives only tokens
 * with no space or control character, fit for a header.
 */
static int host_token(const struct ghcr_host *h, struct cred *c, char *where, size_t size)
{
	struct ck_error why = CK_ERROR_INIT;
	size_t i;
	int found;

	for (i = 0; i < h->nr; i++) {
		found = ghcr_source_get(h, h->order[i], ck_now_ms() + h->gh_timeout_ms, c,
					where, size, &why);
		if (found > 0)
			return 1;
		if (found < 0)
			printf("    %-10s %s\n", ghcr_source_name(h->order[i]), why.msg);
		ck_error_clear(&why);
		cred_release(c);
	}
	return 0;
}

/*
 * The API base of h into buf, with no final '/': the settings' "api", else
 * $GITHUB_API_URL, else the host's default (h->api holds the setting or
 * the default, h->api_set says which).  0, or -1 with err (CK_BAD_INPUT:
 * not https://, or too long: a token is never sent in clear).
 */
static int api_base(const struct ghcr_host *h, char *buf, size_t size, struct ck_error *err)
{
	const char *env = config_env("GITHUB_API_URL");
	size_t n;

	if (h->api_set || !env) {
		snprintf(buf, size, "%s", h->api);
		return 0;
	}
	if (snprintf(buf, size, "%s", env) >= (int)size)
		return ck_error(err, CK_BAD_INPUT, "GITHUB_API_URL is too long");
	if (strncmp(buf, "https://", 8) || !buf[8] || strpbrk(buf, " \t\r\n?#"))
		return ck_error(err, CK_BAD_INPUT, "GITHUB_API_URL must be an https:// URL with no "
				"query: a token is never sent in clear");
	for (n = strlen(buf); n > 8 && buf[n - 1] == '/'; n--)
		buf[n - 1] = '\0';
	return 0;
}

/* Whether an X-OAuth-Scopes value ("repo, read:packages") names scope. */
static int names_scope(const char *scopes, const char *scope)
{
	size_t n = strlen(scope), len;
	const char *p = scopes;

	while (*p) {
		p += strspn(p, ", ");
		len = strcspn(p, ", ");
		if (len == n && !strncmp(p, scope, n))
			return 1;
		p += len;
	}
	return 0;
}

/*
 * Whether scopes grant scope: named, or held by one that holds it (in
 * GitHub's list of scopes, write:packages holds read:packages: a token
 * that lists write:packages alone may pull).
 */
static int scopes_grant(const char *scopes, const char *scope)
{
	return names_scope(scopes, scope) ||
	       (!strcmp(scope, "read:packages") && names_scope(scopes, "write:packages"));
}

/* The string member name of doc, printable, into buf ("" when none). */
static void json_text(json_t *doc, const char *name, char *buf, size_t size)
{
	const char *v = json_string_value(json_object_get(doc, name));

	ck_printable(buf, size, v, v ? strlen(v) : 0);
}

void github_user_read(const struct http_response *resp, struct github_user *u)
{
	json_t *doc = json_loadb(resp->body.buf, resp->body.len, 0, NULL);

	u->status = resp->status;
	json_text(doc, "login", u->login, sizeof(u->login));
	json_text(doc, "message", u->message, sizeof(u->message));
	json_decref(doc);
	u->listed = resp->has_header;
	u->scopes = resp->has_header ? resp->header : "";
	u->pull = u->listed && scopes_grant(u->scopes, "read:packages");
	u->push = u->listed && scopes_grant(u->scopes, "write:packages");
}

/* How to add scope to tok, after "add it: ", ending the line. */
static void add_scope(const struct ghcr_host *h, const char *tok, const char *scope)
{
	if (!strcmp(ghcr_token_kind(tok), "ghp_"))
		printf("give the token %s at https://%s/settings/tokens\n", scope, h->github);
	else
		printf("gh auth refresh --hostname %s --scopes %s\n", h->github, scope);
}

/*
 * Print what the API said of tok; 0 when the registry will take it for
 * pulls (or it cannot be told), or -1 (what failed is printed).
 */
static int report(const struct ghcr_host *h, const char *tok, const struct http_response *resp)
{
	const char *kind = ghcr_token_kind(tok);
	struct github_user u;

	github_user_read(resp, &u);
	if (u.status == 401) {
		printf("    refused    GitHub answered 401: a bad or expired token (make a new "
		       "one, or run: gh auth login --hostname %s)\n", h->github);
		return -1;
	}
	if (u.status == 403 && !strcmp(kind, "ghs_")) {
		printf("    unchecked  an installation token (ghs_) may not ask for /user; inside "
		       "GitHub Actions, GITHUB_TOKEN is taken with \"permissions: packages: "
		       "read\" (write to push); other installation tokens are refused\n");
		return 0;
	}
	if (u.status != 200) {
		printf("    failed     GitHub answered HTTP %ld%s%s", u.status,
		       u.message[0] ? ": " : "", u.message);
		/* One request a host: doctor says when to ask again, never waits. */
		if (resp->retry_after >= 0)
			printf(" (it asks to wait %ld s, Retry-After: run doctor --online "
			       "again then)", resp->retry_after);
		printf("\n");
		return -1;
	}
	if (!u.login[0]) {
		/* Not GitHub's /user (a portal, a proxy's page): nothing to tell of scopes. */
		printf("    failed     GitHub answered HTTP 200 with no login: not the API's "
		       "answer to /user (is the API base right?)\n");
		return -1;
	}
	printf("    login      %s\n", u.login);
	if (!u.listed)
		printf("    scopes     none listed (no X-OAuth-Scopes)\n");
	else
		printf("    scopes     %s\n", u.scopes[0] ? u.scopes : "(none)");
	if (!u.listed || ghcr_token_warning(tok)) {
		printf("    refused    %s\n", ghcr_token_warning(tok) ? ghcr_token_warning(tok) :
		       "a fine-grained or app token, which the registry refuses "
		       "(github/roadmap#558); use a classic token with read:packages, or gh's");
		return -1;
	}
	if (u.pull) {
		printf("    pull       yes (read:packages)\n");
	} else {
		printf("    pull       no: read:packages is missing; add it: ");
		add_scope(h, tok, "read:packages");
	}
	if (u.push) {
		printf("    push       yes (write:packages)\n");
	} else {
		printf("    push       no: write:packages is missing; to push, add it: ");
		add_scope(h, tok, "write:packages");
	}
	return u.pull ? 0 : -1;
}

/*
 * Ask the API about tok for h; 0 when the host passed, -1 when it failed
 * (printed).  The token goes only into the request's header, wiped.
 */
static int check_host(const struct ghcr_host *h, const char *tok)
{
	static const char auth_prefix[] = "Authorization: token ";
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct secret auth = SECRET_INIT;
	char base[URL_MAX], url[URL_MAX + 8];
	const char *headers[] = { NULL, "Accept: application/vnd.github+json",
				  "X-GitHub-Api-Version: " API_VERSION, NULL };
	struct http_request req = {
		.method = "GET",
		.url = url,
		.headers = headers,
		.timeout_ms = API_TIMEOUT_MS,
		.max_response = API_MAX_RESPONSE,
		.what = "GitHub's API",
		.keep_header = "X-OAuth-Scopes",
	};
	size_t n = strlen(tok);
	int ret = -1;

	if (api_base(h, base, sizeof(base), &err)) {
		printf("    failed     %s\n", err.msg);
		return -1;
	}
	snprintf(url, sizeof(url), "%s/user", base);
	printf("    asked      GET %s\n", url);
	if (secret_alloc(&auth, sizeof(auth_prefix) - 1 + n)) {
		printf("    failed     out of memory\n");
		return -1;
	}
	memcpy(auth.buf, auth_prefix, sizeof(auth_prefix) - 1);
	memcpy(auth.buf + sizeof(auth_prefix) - 1, tok, n);
	headers[0] = auth.buf;
	if (http_do(&req, &resp, &err))
		printf("    failed     %s\n", err.msg);
	else
		ret = report(h, tok, &resp);
	http_response_release(&resp);
	secret_release(&auth);
	return ret;
}

struct tally {
	int checked, failed;
};

/* One host: its token's source and kind, then what the API says of it. */
static int online_host(const struct ghcr_host *h, void *data, struct ck_error *err)
{
	struct tally *t = data;
	struct cred c = CRED_INIT;
	char where[4400];
	const char *kind;

	(void)err;
	printf("  %s (GitHub host %s)\n", h->host, h->github);
	if (!host_token(h, &c, where, sizeof(where))) {
		printf("    no token   no source has one: nothing to check (docker pulls "
		       "anonymously)\n");
		return 0;
	}
	kind = ghcr_token_kind(c.secret.buf);
	printf("    token      from %s: %s%s, %zu characters\n", where,
	       *kind ? kind : "of no known kind", *kind ? " token" : "", c.secret.len);
	t->checked++;
	if (check_host(h, c.secret.buf))
		t->failed++;
	fflush(stdout);
	cred_release(&c);
	return 0;
}

int github_online(const struct config *cfg, struct ck_error *err)
{
	struct tally t = { 0, 0 };

	printf("\nonline checks (GitHub's API, GET /user with each host's token):\n");
	fflush(stdout);
	if (ghcr_hosts_each(cfg, online_host, &t, err))
		return -1;
	if (t.failed)
		return ck_error(err, CK_FAILED, "the online check failed for %d of %d host%s "
				"with a token (see above)", t.failed, t.checked,
				t.checked == 1 ? "" : "s");
	return 0;
}
