/* SPDX-License-Identifier: MIT */
/*
 * http.c - one HTTP exchange over libcurl (see http.h).
 */
#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tokens/http.h"

#define DEFAULT_MAX		(1024 * 1024)
#define CONNECT_MAX_MS		3000

/* Where the answer goes, and whether it grew too big. */
struct sink {
	struct secret *body;
	size_t cap, max;
	int overflow, nomem;
};

static size_t take(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n, need = s->body->len + len + 1;
	char *grown;

	if (need > s->max + 1) {
		s->overflow = 1;
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	}
	if (need > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < need)
			cap *= 2;
		/* Not realloc(): the old buffer is wiped before it is freed. */
		grown = malloc(cap);
		if (!grown) {
			s->nomem = 1;
			return 0;
		}
		if (s->body->buf)
			memcpy(grown, s->body->buf, s->body->len);
		secure_free(s->body->buf);
		s->body->buf = grown;
		s->cap = cap;
	}
	memcpy(s->body->buf + s->body->len, data, len);
	s->body->len += len;
	s->body->buf[s->body->len] = '\0';
	return len;
}

/* What the header callback fills, and the one header the caller wants. */
struct header_sink {
	struct http_response *resp;
	const char *keep;
};

#define RETRY_AFTER_MAX		86400	/* a longer wait is taken as a day */

/*
 * A Retry-After value (delay-seconds or an HTTP-date) in seconds from now,
 * at most RETRY_AFTER_MAX, or -1 when it is neither.
 */
static long retry_seconds(const char *v)
{
	time_t t, now = time(NULL);
	char *end;
	long n;

	if (*v >= '0' && *v <= '9') {
		n = strtol(v, &end, 10);
		if (*end)
			return -1;
		return n > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : n;
	}
	if ((t = curl_getdate(v, NULL)) <= 0)
		return -1;
	if (t - now > RETRY_AFTER_MAX)
		return RETRY_AFTER_MAX;
	return t > now ? (long)(t - now) : 0;
}

void http_take_header(struct http_response *resp, const char *keep, const char *line,
		      size_t len)
{
	size_t name = keep ? strlen(keep) : 0, i;
	char date[64];
	time_t t;

	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		resp->has_header = 0;
		resp->header[0] = '\0';
		resp->retry_after = -1;
	}
	if (len > 12 && len - 12 < sizeof(date) && !strncasecmp(line, "Retry-After:", 12)) {
		for (i = 12; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		memcpy(date, line + i, len - i);
		date[len - i] = '\0';
		date[strcspn(date, "\r\n")] = '\0';
		for (i = strlen(date); i && (date[i - 1] == ' ' || date[i - 1] == '\t'); i--)
			date[i - 1] = '\0';
		resp->retry_after = retry_seconds(date);
	}
	if (len > 5 && len - 5 < sizeof(date) && !strncasecmp(line, "Date:", 5)) {
		memcpy(date, line + 5, len - 5);
		date[len - 5] = '\0';
		date[strcspn(date, "\r\n")] = '\0';
		if ((t = curl_getdate(date, NULL)) > 0)
			resp->date = t;
	}
	if (name && len > name && line[name] == ':' && !strncasecmp(line, keep, name)) {
		/* Blanks first, control characters too: they would become spaces. */
		for (i = name + 1; i < len && line[i] &&
		     ((unsigned char)line[i] <= ' ' || line[i] == 0x7f); i++)
			;
		/* The line's CR LF become spaces, trimmed with the rest. */
		ck_printable(resp->header, sizeof(resp->header), line + i, len - i);
		for (i = strlen(resp->header); i && resp->header[i - 1] == ' '; i--)
			resp->header[i - 1] = '\0';
		resp->has_header = 1;
	}
}

/* libcurl's header callback: each line to http_take_header(). */
static size_t take_header(char *data, size_t size, size_t n, void *arg)
{
	struct header_sink *hs = arg;

	http_take_header(hs->resp, hs->keep, data, size * n);
	return size * n;
}

/* "https://host:port" of url, for messages: never a path or a query. */
static void origin(const char *url, char *buf, size_t size)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		snprintf(buf, size, "%s://%s%s%s", scheme, host, port ? ":" : "",
			 port ? port : "");
	} else {
		snprintf(buf, size, "(a malformed URL)");
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* Free a header list whose lines may hold tokens, wiping them first. */
static void headers_free(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l; l = l->next)
		secure_wipe(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static int fail(const struct http_request *req, CURLcode rc, const char *detail,
		const struct sink *s, const char *ca, struct ck_error *err)
{
	const char *what = req->what ? req->what : "the server";
	char where[512];

	origin(req->url, where, sizeof(where));
	if (!*detail)
		detail = curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return ck_error(err, CK_UNAVAILABLE, "cannot reach %s at %s: %s", what,
				where, detail);
	case CURLE_OPERATION_TIMEDOUT:
		return ck_error(err, CK_UNAVAILABLE, "no answer from %s at %s within %.1f s",
				what, where, req->timeout_ms / 1000.0);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
		return ck_error(err, CK_FAILED, "TLS with %s at %s failed: %s (trusting %s)",
				what, where, detail, ca ? ca : "the system's certificates");
	case CURLE_WRITE_ERROR:
		if (s->overflow)
			return ck_error(err, CK_FAILED, "%s at %s sent more than %zu bytes",
					what, where, s->max);
		if (s->nomem)
			return ck_error(err, CK_FAILED, "out of memory");
		/* fall through */
	default:
		return ck_error(err, CK_FAILED, "talking to %s at %s failed: %s", what,
				where, detail);
	}
}

/*
 * Whether dir holds OpenSSL's hashed links (update-ca-certificates and
 * c_rehash make them: "5ad8a5d6.0" to a certificate).
 */
static int hashed_dir(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int found = 0;

	if (!dp)
		return 0;
	while (!found && (d = readdir(dp)))
		found = strlen(d->d_name) == 10 && d->d_name[8] == '.' && d->d_name[9] == '0' &&
			strspn(d->d_name, "0123456789abcdef") == 8;
	closedir(dp);
	return found;
}

/*
 * With no CA named, trust the system's as libcurl would, only faster: its
 * default bundle file is parsed whole at every handshake (144 certificates,
 * 24 ms here, more than the rest of a cold get), where the hashed directory
 * beside it is looked up for the one issuer needed.  Debian's libcurl sets
 * both; so without the file only the lookup is left.  Where the directory
 * has no hashed links (Fedora's), the file stays.
 */
static void system_cas(CURL *c)
{
	static int use_dir = -1;
	char *dir = NULL;

	if (use_dir < 0)
		use_dir = curl_easy_getinfo(c, CURLINFO_CAPATH, &dir) == CURLE_OK && dir &&
			  hashed_dir(dir);
	if (use_dir)
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
}

int http_do(const struct http_request *req, struct http_response *resp,
	    struct ck_error *err)
{
	static int ready;
	char detail[CURL_ERROR_SIZE] = "";
	struct sink s = { &resp->body, 0, req->max_response ? req->max_response : DEFAULT_MAX, 0, 0 };
	struct header_sink hs = { resp, req->keep_header };
	struct curl_slist *list = NULL, *grown;
	const char *const *h;
	const char *ca = req->ca_file, *cadir = getenv("SSL_CERT_DIR");
	long connect = req->connect_timeout_ms;
	char *type = NULL;
	CURLcode rc;
	CURL *c;
	int ret = -1;

	http_response_release(resp);
	if (!ca || !*ca) {
		ca = getenv("SSL_CERT_FILE");
		if (ca && !*ca)
			ca = NULL;
	}
	if (!ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return ck_error(err, CK_FAILED, "cannot start libcurl");
		ready = 1;
	}
	if (!connect)
		connect = req->timeout_ms < CONNECT_MAX_MS ? req->timeout_ms : CONNECT_MAX_MS;
	c = curl_easy_init();
	if (!c)
		return ck_error(err, CK_FAILED, "cannot start libcurl");
	/* "Expect:" off: no 100-continue round trip before a body. */
	for (h = req->headers; h && *h; h++) {
		if (!(grown = curl_slist_append(list, *h)))
			goto nomem;
		list = grown;
	}
	if (!(grown = curl_slist_append(list, "Expect:")))
		goto nomem;
	list = grown;

	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect > 0 ? connect : 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "credkit/" CREDKIT_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, take_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hs);
	if (req->no_proxy)
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (cadir && *cadir)
		curl_easy_setopt(c, CURLOPT_CAPATH, cadir);
	else if (!ca)
		system_cas(c);
	if (strcmp(req->method, "GET")) {
		/* The body is sent from the caller's memory, never copied. */
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body_len ? req->body : "");
		if (strcmp(req->method, "POST"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		fail(req, rc, detail, &s, ca, err);
		http_response_release(resp);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", type);
	if (!resp->body.buf && secret_set(&resp->body, "", 0))
		goto nomem;
	ret = 0;
	goto out;
nomem:
	ck_error(err, CK_FAILED, "out of memory");
out:
	curl_easy_cleanup(c);
	headers_free(list);
	return ret;
}

void http_response_release(struct http_response *resp)
{
	secret_release(&resp->body);
	resp->status = 0;
	resp->content_type[0] = '\0';
	resp->date = 0;
	resp->retry_after = -1;
	resp->has_header = 0;
	resp->header[0] = '\0';
}
