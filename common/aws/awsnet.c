/* SPDX-License-Identifier: MIT */
/*
 * awsnet.c - the AWS credential chain's network sources (see awsnet.h).
 *
 * STS answers in XML; the few elements read here are pulled out by a small
 * strict extractor (no XML library is among credkit's dependencies, and
 * the answers are flat).  Every request is bounded by the chain's deadline
 * and by its own bound; instance metadata gets at most 0.8 s in all, the
 * IMDSv1 fallback included, so that a machine without it (a laptop, a CI
 * runner) does not wait.  The container endpoint and instance metadata
 * are asked directly, never through a proxy.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/awsnet.h"
#include "aws/partition.h"
#include "clock.h"
#include "config.h"
#include "tokens/http.h"
#include "aws/sigv4.h"

#define STS_TIMEOUT_MS		5000
#define CONTAINER_TIMEOUT_MS	2000
#define IMDS_TIMEOUT_MS		800
#define IMDS_TOKEN_TIMEOUT_MS	400	/* of those: the rest is for IMDSv1 */
#define CONTAINER_HOST		"169.254.170.2"	/* ECS's, for a relative URI */
#define TOKEN_FILE_MAX		(64 * 1024)
#define ANSWER_MAX		(256 * 1024)
#define ROLE_DEPTH_MAX		5

/*
 * The bound of one request: its own, within what is left until deadline
 * (a ck_now_ms() point); 0 once that has passed.
 */
static long bound(long deadline, long own)
{
	long left = deadline - ck_now_ms();

	if (left <= 0)
		return 0;
	return left < own ? left : own;
}

/* --- endpoints and signed requests ---------------------------------------- */

int aws_endpoint_parse(const char *url, struct aws_endpoint *e, struct ck_error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	int ret = -1, n;

	if (!u)
		return ck_error(err, CK_FAILED, "out of memory");
	if (snprintf(e->url, sizeof(e->url), "%s", url) >= (int)sizeof(e->url) ||
	    curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) ||
	    (strcmp(scheme, "https") && strcmp(scheme, "http"))) {
		ck_error(err, CK_BAD_INPUT, "%.200s is not an http(s) URL", url);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);	/* none: the scheme's */
	if (port && strcmp(port, strcmp(scheme, "https") ? "80" : "443"))
		n = snprintf(e->host, sizeof(e->host), "%s:%s", host, port);
	else
		n = snprintf(e->host, sizeof(e->host), "%s", host);
	/* A cut host or path would be another endpoint, and signed as one. */
	if (n >= (int)sizeof(e->host) ||
	    snprintf(e->path, sizeof(e->path), "%s", path) >= (int)sizeof(e->path)) {
		ck_error(err, CK_BAD_INPUT, "%.200s...: its host or path is too long", url);
		goto out;
	}
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return ret;
}

/*
 * The error codes of a request refused for its time, as the AWS SDKs list
 * them (JS v3's CLOCK_SKEW_ERROR_CODES, the Java and .NET SDKs'): ECR says
 * InvalidSignatureException "Signature expired", STS SignatureDoesNotMatch.
 */
static const char *const skew_codes[] = {
	"AuthFailure", "InvalidSignatureException", "RequestExpired",
	"RequestInTheFuture", "RequestTimeTooSkewed", "SignatureDoesNotMatch",
};

/*
 * AWS refuses a signature dated more than 5 min from its clock; a Date
 * less than 4 min from ours did not make it refuse (4, not 5: the answer's
 * time in transit and the Date header's 1 s grain are margin).
 */
#define SKEW_MIN_S	240

/* Seconds to add to time(NULL) to sign: learnt from a service's Date. */
static long clock_offset;

long aws_clock_skew(const struct http_response *a)
{
	long skew;
	size_t i;

	if ((a->status != 400 && a->status != 403) || !a->date || !a->body.buf)
		return 0;
	skew = (long)(a->date - time(NULL));
	if (skew > -SKEW_MIN_S && skew < SKEW_MIN_S)
		return 0;
	for (i = 0; i < sizeof(skew_codes) / sizeof(skew_codes[0]); i++)
		if (strstr(a->body.buf, skew_codes[i]))
			return skew;
	return 0;
}

void aws_skew_note(const struct http_response *a, char *why, size_t size)
{
	long skew = aws_clock_skew(a);
	size_t n = strlen(why);

	if (skew && n < size)
		snprintf(why + n, size - n, " (the local clock is %ld s %s the service's: "
			 "set it right, e.g. with NTP)", skew > 0 ? skew : -skew,
			 skew > 0 ? "behind" : "ahead of");
}

int aws_signed_post(const struct aws_endpoint *e, const char *service,
		    const char *region, const struct aws_creds *cred,
		    const char *const *headers, const void *body, size_t len,
		    long timeout_ms, const char *ca_file, const char *what,
		    struct http_response *resp, struct ck_error *err)
{
	struct sigv4_credentials sc = {
		cred->access_key_id, cred->secret_access_key.buf, cred->session_token.buf,
	};
	struct sigv4_request sr = {
		.method = "POST", .host = e->host, .path = e->path, .headers = headers,
		.body = body, .body_len = len,
	};
	struct sigv4_signed s = SIGV4_SIGNED_INIT;
	struct http_request req = {
		.method = "POST", .url = e->url, .body = body, .body_len = len,
		.ca_file = ca_file, .max_response = ANSWER_MAX, .what = what,
	};
	const char *lines[16];
	char host_line[sizeof(e->host) + 8];
	long deadline = ck_now_ms() + timeout_ms, skew;
	size_t i, n;
	int tries, ret;

	snprintf(host_line, sizeof(host_line), "Host: %s", e->host);
	/* A second try only when the first was refused for the clock. */
	for (tries = 0;; tries++) {
		if (ck_now_ms() >= deadline)
			return ck_error(err, CK_UNAVAILABLE, "no time left to ask %s", what);
		req.timeout_ms = ck_ms_left(deadline);
		if (sigv4_sign(&sr, &sc, region, service, time(NULL) + clock_offset, &s, err))
			return -1;
		n = 0;
		lines[n++] = host_line;
		for (i = 0; headers && headers[i] && n < 11; i++)
			lines[n++] = headers[i];
		for (i = 0; s.headers[i]; i++)
			lines[n++] = s.headers[i];
		lines[n] = NULL;
		req.headers = lines;
		ret = http_do(&req, resp, err);
		sigv4_signed_release(&s);
		skew = ret ? 0 : aws_clock_skew(resp);
		if (tries || !skew || skew == clock_offset)
			return ret;
		clock_offset = skew;	/* as the SDKs do: signed on its clock */
	}
}

/* --- a few elements of an XML answer -------------------------------------- */

/* Decode XML text [p, end) into out: the five entities and &#N; / &#xN;. */
static int xml_decode(const char *p, const char *end, struct secret *out)
{
	static const struct { const char *name; char c; } ent[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' },
		{ "apos;", '\'' },
	};
	size_t n = 0, i;
	char *q;

	if (secret_alloc(out, (size_t)(end - p)))
		return -1;
	q = out->buf;
	while (p < end) {
		if (*p != '&') {
			q[n++] = *p++;
			continue;
		}
		p++;
		for (i = 0; i < sizeof(ent) / sizeof(ent[0]); i++)
			if ((size_t)(end - p) >= strlen(ent[i].name) &&
			    !strncmp(p, ent[i].name, strlen(ent[i].name)))
				break;
		if (i < sizeof(ent) / sizeof(ent[0])) {
			q[n++] = ent[i].c;
			p += strlen(ent[i].name);
		} else if (*p == '#') {
			char *stop;
			unsigned long v = *++p == 'x' ? strtoul(p + 1, &stop, 16)
						     : strtoul(p, &stop, 10);

			/* Printable ASCII only: the values read here are ASCII. */
			if (stop >= end || *stop != ';' || v < 0x20 || v > 0x7e)
				goto bad;
			q[n++] = (char)v;
			p = stop + 1;
		} else {
			goto bad;
		}
	}
	q[n] = '\0';
	out->len = n;
	return 0;
bad:
	secret_release(out);
	return -1;
}

/* See awsnet.h. */
int aws_xml_text(const char *doc, const char *after, const char *tag,
		 struct secret *out)
{
	char open[64], close[64];
	const char *p, *end;

	secret_release(out);
	if (!doc)
		return -1;
	if (after && !(doc = strstr(doc, after)))
		return -1;
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if (!(p = strstr(doc, open)))
		return -1;
	p += strlen(open);
	if (!(end = strstr(p, close)) || memchr(p, '<', (size_t)(end - p)))
		return -1;
	return xml_decode(p, end, out);
}

/* "Code: Message" of an AWS query-protocol error, or the status. */
static void xml_error(const struct http_response *a, char *buf, size_t size)
{
	struct secret code = SECRET_INIT, msg = SECRET_INIT;
	char c[128], m[320];

	aws_xml_text(a->body.buf, "<Error>", "Code", &code);
	aws_xml_text(a->body.buf, "<Error>", "Message", &msg);
	ck_printable(c, sizeof(c), code.buf, code.len);
	ck_printable(m, sizeof(m), msg.buf, msg.len);
	if (c[0] || m[0])
		snprintf(buf, size, "%s%s%s", c, c[0] && m[0] ? ": " : "", m);
	else
		snprintf(buf, size, "HTTP status %ld", a->status);
	secret_release(&code);
	secret_release(&msg);
}

/* --- STS ------------------------------------------------------------------ */

struct sts_call {
	const char *action;	/* "AssumeRole", "AssumeRoleWithWebIdentity" */
	const char *role_arn;
	const char *session_name;
	const char *external_id;	/* or NULL */
	const char *duration;		/* or NULL */
	const struct secret *web_token;	/* AssumeRoleWithWebIdentity's */
	const struct aws_creds *base;	/* AssumeRole's */
	const char *why;		/* for messages: "profile dev" */
};

/*
 * The region STS is asked in: the profile's, else the registry's.  Its
 * partition (partition.c) gives STS's domain.
 */
static void sts_region(const struct aws_chain *c, char *buf, size_t size)
{
	if (aws_region(c->profile, buf, size, NULL) != 1)
		snprintf(buf, size, "%s", c->region && *c->region ? c->region : "");
}

/*
 * " (override VAR)" when var (else AWS_ENDPOINT_URL) is set, else "": for
 * the explain mode.
 */
static const char *endpoint_override(const char *var)
{
	static char buf[80];

	if (!config_env(var))
		var = "AWS_ENDPOINT_URL";
	if (!config_env(var))
		return "";
	snprintf(buf, sizeof(buf), " (override %s)", var);
	return buf;
}

static int sts_endpoint(const char *region, struct aws_endpoint *e, struct ck_error *err)
{
	const char *set = config_env("AWS_ENDPOINT_URL_STS");
	char url[512];

	if (!set)
		set = config_env("AWS_ENDPOINT_URL");
	if (!set) {
		/* No region: the global endpoint, of the aws partition. */
		if (!*region)
			snprintf(url, sizeof(url), "https://sts.amazonaws.com");
		else if (aws_partition_url("sts", region, url, sizeof(url)))
			return ck_error(err, CK_BAD_INPUT, "the region %.64s is too long", region);
		set = url;
	}
	return aws_endpoint_parse(set, e, err);
}

/* Append "&name=value" (value form-encoded) to body; the old one is wiped. */
static int form_add(struct secret *body, const char *name, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, (int)strlen(value));
	struct secret grown = SECRET_INIT;
	int n, ret = -1;

	if (!esc)
		return -1;
	if (secret_alloc(&grown, body->len + strlen(name) + strlen(esc) + 2) == 0) {
		n = snprintf(grown.buf, grown.len + 1, "%s%s%s=%s", body->buf ? body->buf : "",
			     body->len ? "&" : "", name, esc);
		grown.len = (size_t)n;
		secret_release(body);
		*body = grown;
		ret = 0;
	}
	secure_wipe(esc, strlen(esc));
	curl_free(esc);
	return ret;
}

static int sts(const struct aws_chain *c, const struct sts_call *call,
	       struct aws_creds *out, struct ck_error *err)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL
	};
	struct secret body = SECRET_INIT, id = SECRET_INIT, key = SECRET_INIT,
		      token = SECRET_INIT, expiry = SECRET_INIT;
	struct http_response a = HTTP_RESPONSE_INIT;
	struct aws_endpoint e;
	char region[64], why[512], source[512], result[64];
	int ret = -1;

	sts_region(c, region, sizeof(region));
	if (sts_endpoint(region, &e, err))
		return -1;
	if (aws_explaining()) {
		aws_explain("STS %s of %.300s (%s): would be asked at %s%s", call->action,
			    call->role_arn, call->why, e.url, endpoint_override("AWS_ENDPOINT_URL_STS"));
		snprintf(out->source, sizeof(out->source), "STS %s %.300s (%s)", call->action,
			 call->role_arn, call->why);
		return 0;
	}
	if (form_add(&body, "Action", call->action) ||
	    form_add(&body, "Version", "2011-06-15") ||
	    form_add(&body, "RoleArn", call->role_arn) ||
	    form_add(&body, "RoleSessionName", call->session_name) ||
	    (call->external_id && form_add(&body, "ExternalId", call->external_id)) ||
	    (call->duration && form_add(&body, "DurationSeconds", call->duration)) ||
	    (call->web_token && form_add(&body, "WebIdentityToken", call->web_token->buf))) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	if (call->base) {
		if (aws_signed_post(&e, "sts", *region ? region : "us-east-1", call->base,
				    headers, body.buf, body.len,
				    bound(c->deadline_ms, STS_TIMEOUT_MS),
				    c->ca_file, "STS", &a, err))
			goto out;
	} else {
		const char *lines[] = { headers[0], NULL };
		struct http_request req = {
			.method = "POST", .url = e.url, .headers = lines, .body = body.buf,
			.body_len = body.len, .ca_file = c->ca_file,
			.timeout_ms = bound(c->deadline_ms, STS_TIMEOUT_MS),
			.max_response = ANSWER_MAX,
			.what = "STS",
		};

		if (req.timeout_ms <= 0) {
			ck_error(err, CK_UNAVAILABLE, "no time left to ask STS");
			goto out;
		}
		if (http_do(&req, &a, err))
			goto out;
	}
	if (a.status != 200) {
		xml_error(&a, why, sizeof(why));
		aws_skew_note(&a, why, sizeof(why));
		/* STS is asked once a mint: a wait it asks for is said, not waited. */
		if (a.retry_after >= 0 && strlen(why) < sizeof(why) - 1)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 " (it asks to wait: Retry-After: %ld s)", a.retry_after);
		ck_error(err, a.status >= 500 || a.status == 429 ? CK_UNAVAILABLE : CK_FAILED,
			 "AWS STS %s for %.300s (%s) was refused: %s", call->action,
			 call->role_arn, call->why, why);
		goto out;
	}
	snprintf(result, sizeof(result), "<%sResult>", call->action);
	if (aws_xml_text(a.body.buf, result, "AccessKeyId", &id) ||
	    aws_xml_text(a.body.buf, result, "SecretAccessKey", &key) ||
	    aws_xml_text(a.body.buf, result, "SessionToken", &token) ||
	    aws_xml_text(a.body.buf, result, "Expiration", &expiry)) {
		ck_error(err, CK_FAILED, "AWS STS sent a %s answer credkit cannot read",
			 call->action);
		goto out;
	}
	snprintf(source, sizeof(source), "STS %s %.300s (%s)", call->action,
		 call->role_arn, call->why);
	if (aws_creds_fill(out, id.buf, key.buf, token.buf, source, err))
		goto out;
	aws_parse_time(expiry.buf, &out->expiry);
	snprintf(out->source, sizeof(out->source), "%s", source);
	ret = 0;
out:
	secret_release(&body);
	secret_release(&id);
	secret_release(&key);
	secret_release(&token);
	secret_release(&expiry);
	http_response_release(&a);
	return ret;
}

int aws_sts_url(const struct aws_chain *c, char *url, size_t size, char *region,
		size_t region_size, struct ck_error *err)
{
	struct aws_endpoint e;

	sts_region(c, region, region_size);
	if (sts_endpoint(region, &e, err))
		return -1;
	if (!region[0])
		snprintf(region, region_size, "us-east-1");
	snprintf(url, size, "%s", e.url);
	return 0;
}

int aws_caller_identity(const struct aws_chain *c, const struct aws_creds *cred,
			struct aws_caller *who, struct ck_error *err)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL
	};
	static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
	static const char result[] = "<GetCallerIdentityResult>";
	struct secret arn = SECRET_INIT, account = SECRET_INIT, user = SECRET_INIT;
	struct http_response a = HTTP_RESPONSE_INIT;
	struct aws_endpoint e;
	char why[512];
	int ret = -1;

	memset(who, 0, sizeof(*who));
	if (aws_sts_url(c, who->endpoint, sizeof(who->endpoint), who->region,
			sizeof(who->region), err) ||
	    aws_endpoint_parse(who->endpoint, &e, err))
		return -1;
	if (bound(c->deadline_ms, STS_TIMEOUT_MS) <= 0)
		return ck_error(err, CK_UNAVAILABLE, "no time left to ask STS at %s", e.url);
	if (aws_signed_post(&e, "sts", who->region, cred, headers, body, sizeof(body) - 1,
			    bound(c->deadline_ms, STS_TIMEOUT_MS), c->ca_file, "STS", &a, err))
		goto out;
	if (a.status != 200) {
		xml_error(&a, why, sizeof(why));
		aws_skew_note(&a, why, sizeof(why));
		ck_error(err, a.status >= 500 ? CK_UNAVAILABLE : CK_FAILED,
			 "AWS STS GetCallerIdentity at %s refused the credentials from %s: %s",
			 e.url, cred->source, why);
		goto out;
	}
	if (aws_xml_text(a.body.buf, result, "Arn", &arn) ||
	    aws_xml_text(a.body.buf, result, "Account", &account) ||
	    aws_xml_text(a.body.buf, result, "UserId", &user)) {
		ck_error(err, CK_FAILED, "AWS STS at %s sent a GetCallerIdentity answer credkit "
			 "cannot read", e.url);
		goto out;
	}
	ck_printable(who->arn, sizeof(who->arn), arn.buf, arn.len);
	ck_printable(who->account, sizeof(who->account), account.buf, account.len);
	ck_printable(who->user_id, sizeof(who->user_id), user.buf, user.len);
	ret = 0;
out:
	secret_release(&arn);
	secret_release(&account);
	secret_release(&user);
	http_response_release(&a);
	return ret;
}

/* A role session name: the one set, else "credkit-TIME". */
static const char *session_name(const char *set, char *buf, size_t size)
{
	if (set && *set)
		return set;
	snprintf(buf, size, "credkit-%lld", (long long)time(NULL));
	return buf;
}

/* Read a small file (a token) into out, trailing blanks cut. */
static int read_token(const char *path, const char *what, struct secret *out,
		      struct ck_error *err)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ck_error(err, CK_FAILED, "cannot read %s %s: %s", what, path,
				strerror(errno));
	if (fstat(fd, &st) || st.st_size > TOKEN_FILE_MAX || st.st_size <= 0 ||
	    secret_alloc(out, (size_t)st.st_size)) {
		close(fd);
		return ck_error(err, CK_BAD_INPUT, "%s %s is empty, unreadable or larger "
				"than %d bytes", what, path, TOKEN_FILE_MAX);
	}
	n = read(fd, out->buf, (size_t)st.st_size);
	close(fd);
	if (n <= 0) {
		secret_release(out);
		return ck_error(err, CK_FAILED, "cannot read %s %s", what, path);
	}
	while (n > 0 && strchr(" \t\r\n", out->buf[n - 1]))
		n--;
	out->buf[n] = '\0';
	out->len = (size_t)n;
	return 0;
}

/* --- web identity --------------------------------------------------------- */

/*
 * One setting of web identity: the environment variable var when use_env
 * and it is set, else key of profile, as botocore reads each of them.
 * Returns 0 (buf "" when neither is set), or -1 with err.
 */
static int web_identity_value(const char *profile, const char *key, const char *var,
			      int use_env, char *buf, size_t size, struct ck_error *err)
{
	if (use_env && config_env(var)) {
		if (snprintf(buf, size, "%s", config_env(var)) >= (int)size)
			return ck_error(err, CK_BAD_INPUT, "%s is too long (at most %zu bytes)",
					var, size - 1);
		return 0;
	}
	return aws_profile_value(profile, key, 0, buf, size, err) < 0 ? -1 : 0;
}

/*
 * STS AssumeRoleWithWebIdentity for profile.  use_env: the chain's own
 * profile, neither named explicitly nor a source_profile; then, as in
 * botocore (and Go v2), AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
 * AWS_ROLE_SESSION_NAME win over the profile's settings.
 */
static int web_identity(const struct aws_chain *c, const char *profile, int use_env,
			struct aws_creds *out, struct ck_error *err)
{
	char file[4096], role[2048], name[256], buf[64], why[256];
	struct secret token = SECRET_INIT;
	struct sts_call call = { .action = "AssumeRoleWithWebIdentity" };
	int ret;

	if (web_identity_value(profile, "web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE",
			       use_env, file, sizeof(file), err) ||
	    web_identity_value(profile, "role_arn", "AWS_ROLE_ARN", use_env, role,
			       sizeof(role), err) ||
	    web_identity_value(profile, "role_session_name", "AWS_ROLE_SESSION_NAME", use_env,
			       name, sizeof(name), err))
		return -1;
	if (read_token(file, "the web identity token file", &token, err))
		return -1;
	aws_explain("web identity: role %s, token file %s (%s)", role, file,
		    use_env && config_env("AWS_WEB_IDENTITY_TOKEN_FILE") ? "from the environment"
									: "of the profile");
	snprintf(why, sizeof(why), "web identity token %.200s", file);
	call.role_arn = role;
	call.session_name = session_name(name, buf, sizeof(buf));
	call.web_token = &token;
	call.why = why;
	ret = sts(c, &call, out, err);
	secret_release(&token);
	return ret;
}

/*
 * STS AssumeRoleWithWebIdentity of the chain's role with its web identity
 * token in memory (struct aws_chain), a session name as for a token file.
 */
static int given_web_identity(const struct aws_chain *c, struct aws_creds *out,
			      struct ck_error *err)
{
	struct sts_call call = { .action = "AssumeRoleWithWebIdentity" };
	char buf[64];

	aws_creds_release(out);
	call.role_arn = c->role_arn;
	call.session_name = session_name(NULL, buf, sizeof(buf));
	call.web_token = c->web_token;
	call.why = "a service account's token";
	return sts(c, &call, out, err) ? AWS_CREDS_ERROR : AWS_CREDS_FOUND;
}

/* --- container and instance metadata -------------------------------------- */

/* See awsnet.h. */
int aws_take_json_creds(const struct http_response *a, const char *id_key,
			const char *secret_key, const char *token_key,
			const char *expiry_key, const char *source,
			struct aws_creds *out, struct ck_error *err)
{
	json_t *doc = json_loadb(a->body.buf, a->body.len, 0, NULL), *exp;
	const char *id = json_string_value(json_object_get(doc, id_key));
	const char *secret = json_string_value(json_object_get(doc, secret_key));
	const char *token = json_string_value(json_object_get(doc, token_key));
	int ret = -1;

	if (!id || !secret) {
		ck_error(err, CK_FAILED, "%s sent an answer credkit cannot read", source);
		goto out;
	}
	if (aws_creds_fill(out, id, secret, token, source, err))
		goto out;
	exp = json_object_get(doc, expiry_key);
	if (json_is_string(exp))
		aws_parse_time(json_string_value(exp), &out->expiry);
	else if (json_is_integer(exp))	/* SSO: milliseconds */
		out->expiry = (time_t)(json_integer_value(exp) / 1000);
	snprintf(out->source, sizeof(out->source), "%s", source);
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

/* A URL as libcurl reads it, and so as it will be fetched. */
struct url_parts {
	char scheme[8];
	char host[256];		/* IPv6 in brackets, IPv4 dotted */
	char port[8];		/* "" when none is written */
	int userinfo;		/* a user name or a password */
	int zone;		/* an IPv6 zone id */
	int tail;		/* a path other than "/", a query, a fragment */
	char url[4096];		/* written out again by libcurl */
};

/* Whether u has a part what (a user, a query, ...) other than except. */
static int url_has(CURLU *u, CURLUPart what, const char *except)
{
	char *part = NULL;
	int has = !curl_url_get(u, what, &part, 0) && (!except || strcmp(part, except));

	curl_free(part);
	return has;
}

/* Split url as libcurl does.  Returns 0, or -1 when it cannot be fetched. */
static int url_split(const char *url, struct url_parts *p)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *all = NULL;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_URL, &all, 0))
		goto out;
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	p->userinfo = url_has(u, CURLUPART_USER, NULL) || url_has(u, CURLUPART_PASSWORD, NULL);
	p->zone = url_has(u, CURLUPART_ZONEID, NULL);
	p->tail = url_has(u, CURLUPART_PATH, "/") || url_has(u, CURLUPART_QUERY, NULL) ||
		  url_has(u, CURLUPART_FRAGMENT, NULL);
	if (snprintf(p->scheme, sizeof(p->scheme), "%s", scheme) >= (int)sizeof(p->scheme) ||
	    snprintf(p->host, sizeof(p->host), "%s", host) >= (int)sizeof(p->host) ||
	    snprintf(p->port, sizeof(p->port), "%s", port ? port : "") >= (int)sizeof(p->port) ||
	    snprintf(p->url, sizeof(p->url), "%s", all) >= (int)sizeof(p->url))
		goto out;
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(all);
	curl_url_cleanup(u);
	return ret;
}

/*
 * Whether an http:// container endpoint may be on host (as url_split()
 * gives it): a loopback IP literal (127.0.0.0/8, ::1) or an ECS/EKS
 * address.  Never a name: a resolver or a proxy decides where it goes.
 */
static int container_host_ok(const char *host)
{
	static const char *const fixed[] = {
		"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "::1",
	};
	unsigned char a[16], b[16];
	char v6[64];
	size_t i, n = strlen(host);

	if (inet_pton(AF_INET, host, a) == 1) {
		if (a[0] == 127)
			return 1;
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			if (inet_pton(AF_INET, fixed[i], b) == 1 && !memcmp(a, b, 4))
				return 1;
		return 0;
	}
	if (n < 3 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= sizeof(v6))
		return 0;
	memcpy(v6, host + 1, n - 2);
	v6[n - 2] = '\0';
	if (inet_pton(AF_INET6, v6, a) != 1)
		return 0;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (inet_pton(AF_INET6, fixed[i], b) == 1 && !memcmp(a, b, 16))
			return 1;
	return 0;
}

int aws_container_url(const char *rel, const char *full, const char *host, char *url,
		      size_t size, struct ck_error *err)
{
	struct url_parts base, p;
	char joined[4096], shown[300];

	if (rel) {
		if (!host)
			host = CONTAINER_HOST;
		ck_printable(shown, sizeof(shown), host, SIZE_MAX);
		if (snprintf(joined, sizeof(joined), "http://%s/", host) >= (int)sizeof(joined) ||
		    url_split(joined, &base) || base.userinfo || base.zone || base.tail ||
		    !container_host_ok(base.host))
			return ck_error(err, CK_BAD_INPUT, "CREDKIT_AWS_CONTAINER_HOST must be a "
					"loopback or ECS/EKS address with an optional port "
					"(127.0.0.1:8080), not %s", shown);
		if (rel[0] != '/' ||
		    snprintf(joined, sizeof(joined), "http://%s%s", host, rel) >= (int)sizeof(joined) ||
		    url_split(joined, &p) || p.userinfo || strcmp(p.host, base.host) ||
		    strcmp(p.port, base.port))
			return ck_error(err, CK_BAD_INPUT, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must "
					"be a path starting with /, on http://%s", shown);
	} else if (url_split(full, &p) || p.userinfo ||
		   (strcmp(p.scheme, "https") &&
		    (strcmp(p.scheme, "http") || p.zone || !container_host_ok(p.host)))) {
		if (p.host[0])
			snprintf(shown, sizeof(shown), "%s://%s%s%s", p.scheme, p.host,
				 p.port[0] ? ":" : "", p.port);
		else
			snprintf(shown, sizeof(shown), "a malformed URL");
		return ck_error(err, CK_BAD_INPUT, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be "
				"https, or http to a loopback or ECS/EKS address (127.0.0.0/8, "
				"[::1], 169.254.170.2, 169.254.170.23, [fd00:ec2::23]), with no "
				"user name or password; not %s%s", shown,
				p.userinfo ? " with a user name" : "");
	}
	if (snprintf(url, size, "%s", p.url) >= (int)size)
		return ck_error(err, CK_BAD_INPUT, "the container endpoint's URL is too long");
	return 0;
}

/* Returns AWS_CREDS_FOUND, AWS_CREDS_NONE (not configured) or ERROR. */
static int container(const struct aws_chain *c, struct aws_creds *out,
		     struct ck_error *err)
{
	const char *rel = config_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = config_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *token_file = config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *token_env = config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *host = config_env("CREDKIT_AWS_CONTAINER_HOST");
	struct secret token = SECRET_INIT, line = SECRET_INIT;
	struct http_response a = HTTP_RESPONSE_INIT;
	struct http_request req = {
		.method = "GET", .ca_file = c->ca_file, .max_response = ANSWER_MAX,
		.what = "the container credentials endpoint", .no_proxy = 1,
	};
	const char *lines[2] = { NULL, NULL };
	char url[4096];
	int ret = AWS_CREDS_ERROR;

	if (!rel && !full) {
		aws_explain("container endpoint: AWS_CONTAINER_CREDENTIALS_FULL_URI and "
			    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI not set");
		return AWS_CREDS_NONE;
	}
	if (aws_container_url(rel, full, host, url, sizeof(url), err)) {
		aws_explain("container endpoint: refused before any request: %s", err->msg);
		return AWS_CREDS_ERROR;
	}
	if (aws_explaining()) {
		aws_explain("container endpoint: %s (from %s, allowed: %s), would be asked%s",
			    url, rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
				     : "AWS_CONTAINER_CREDENTIALS_FULL_URI",
			    rel ? "the container host" : !strncmp(url, "https:", 6) ? "https" :
			    "http to a loopback or ECS/EKS address",
			    token_file ? ", with the token of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" :
			    token_env ? ", with AWS_CONTAINER_AUTHORIZATION_TOKEN" : "");
		snprintf(out->source, sizeof(out->source), "the container credentials endpoint");
		return AWS_CREDS_FOUND;
	}
	if (token_file ? read_token(token_file, "the container authorization token file",
				    &token, err)
		       : (token_env && secret_set(&token, token_env, strlen(token_env))))
		return AWS_CREDS_ERROR;
	if (token.buf) {
		if (strpbrk(token.buf, "\r\n") ||
		    secret_alloc(&line, token.len + strlen("Authorization: "))) {
			ck_error(err, CK_BAD_INPUT, "the container authorization token is not one line");
			goto out;
		}
		snprintf(line.buf, line.len + 1, "Authorization: %s", token.buf);
		lines[0] = line.buf;
	}
	req.url = url;
	req.headers = lines;
	req.timeout_ms = bound(c->deadline_ms, CONTAINER_TIMEOUT_MS);
	if (req.timeout_ms <= 0) {
		ck_error(err, CK_UNAVAILABLE, "no time left to ask the container endpoint");
		goto out;
	}
	if (http_do(&req, &a, err))
		goto out;
	if (a.status != 200) {
		char words[200];

		ck_printable(words, sizeof(words), a.body.buf, a.body.len);
		ck_error(err, CK_FAILED, "the container credentials endpoint answered %ld: %s",
			 a.status, words);
		goto out;
	}
	if (aws_take_json_creds(&a, "AccessKeyId", "SecretAccessKey", "Token", "Expiration",
				"the container credentials endpoint", out, err) == 0)
		ret = AWS_CREDS_FOUND;
out:
	secret_release(&token);
	secret_release(&line);
	http_response_release(&a);
	return ret;
}

/*
 * Say in why (size bytes) why instance metadata gave nothing: v1's words
 * (what IMDSv2 said, or ""), then text.  An error text from a lower layer
 * may not fit with them: it is cut, and the cut shown by "...".
 */
static void imds_why(char *why, size_t size, const char *v1, const char *text)
{
	int n = snprintf(why, size, "%s%s", v1, text);

	if (n >= 0 && (size_t)n >= size && size > 4)
		memcpy(why + size - 4, "...", 4);
}

/*
 * Instance metadata: IMDSv2, else IMDSv1 as the SDKs fall back to it, when
 * the token request is refused with 403, 404 or 405 (an emulator, a proxy)
 * or gets no answer (docker on EC2 behind a hop limit of 1 never sees
 * one), unless AWS_EC2_METADATA_V1_DISABLED=true.  The token request has
 * at most half the bound, so that IMDSv1 has the rest; neither goes
 * through a proxy.  Returns AWS_CREDS_FOUND, AWS_CREDS_NONE with why
 * (disabled, no answer) or AWS_CREDS_ERROR.
 */
static int imds(const struct aws_chain *c, struct aws_creds *out, char *why,
		size_t size, struct ck_error *err)
{
	const char *disabled = config_env("AWS_EC2_METADATA_DISABLED");
	const char *v1_off = config_env("AWS_EC2_METADATA_V1_DISABLED");
	const char *base = config_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	static const char ttl_line[] = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
	static const char off[] = "and IMDSv1 is off (AWS_EC2_METADATA_V1_DISABLED=true)";
	struct http_response a = HTTP_RESPONSE_INIT;
	long deadline = ck_now_ms() + bound(c->deadline_ms, IMDS_TIMEOUT_MS);
	char url[4096], role[256], line[600], v1[320] = "";
	const char *lines[2] = { NULL, NULL };
	struct http_request req = {
		.ca_file = c->ca_file, .max_response = ANSWER_MAX, .what = "instance metadata",
		.no_proxy = 1,
	};
	size_t n;
	int r, ret = AWS_CREDS_NONE;

	if (disabled && !strcasecmp(disabled, "true")) {
		snprintf(why, size, "AWS_EC2_METADATA_DISABLED=true");
		aws_explain("instance metadata: off (AWS_EC2_METADATA_DISABLED=true)");
		return AWS_CREDS_NONE;
	}
	if (!base)
		base = "http://169.254.169.254";
	if (aws_explaining()) {
		aws_explain("instance metadata: would be asked at %s%s (IMDSv2%s), within %d ms; "
			    "it answers only on a cloud instance with a role", base,
			    config_env("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?
			    " (override AWS_EC2_METADATA_SERVICE_ENDPOINT)" : "",
			    v1_off && !strcasecmp(v1_off, "true") ? " only" : ", else IMDSv1",
			    IMDS_TIMEOUT_MS);
		snprintf(out->source, sizeof(out->source), "instance metadata, if this machine "
			 "has it");
		return AWS_CREDS_FOUND;
	}
	n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;

	/* The session token, else IMDSv1 (v1 then says why). */
	snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)n, base);
	lines[0] = ttl_line;
	req.method = "PUT";
	req.url = url;
	req.headers = lines;
	req.timeout_ms = bound(deadline, IMDS_TOKEN_TIMEOUT_MS);
	if (req.timeout_ms <= 0) {
		snprintf(why, size, "no time left to ask instance metadata");
		goto out;
	}
	r = http_do(&req, &a, err);
	/* No answer (unreachable, or none in time), or a refusal but 400's. */
	if (r ? err->kind == CK_UNAVAILABLE
	      : (a.status == 403 || a.status == 404 || a.status == 405)) {
		if (r)
			snprintf(line, sizeof(line), "no IMDSv2 token (%s)", err->msg);
		else
			snprintf(line, sizeof(line), "IMDSv2 token refused (HTTP %ld)", a.status);
		ck_error_clear(err);
		if (v1_off && !strcasecmp(v1_off, "true")) {
			snprintf(why, size, "%.300s, %s", line, off);
			goto out;
		}
		snprintf(v1, sizeof(v1), "%.280s, IMDSv1: ", r ? "no IMDSv2 token" : line);
		lines[0] = NULL;
	} else if (r || a.status != 200 || !a.body.len || a.body.len > 200 ||
		   strpbrk(a.body.buf, "\r\n")) {
		if (r)
			snprintf(why, size, "%s", err->msg);
		else
			snprintf(why, size, "no IMDSv2 token (HTTP %ld)", a.status);
		ck_error_clear(err);
		goto out;
	} else {
		snprintf(line, sizeof(line), "X-aws-ec2-metadata-token: %.*s", (int)a.body.len,
			 a.body.buf);
		lines[0] = line;
	}

	/* The role, then its credentials. */
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/",
		 (int)n, base);
	req.method = "GET";
	req.timeout_ms = bound(deadline, IMDS_TIMEOUT_MS);
	if (req.timeout_ms <= 0 || http_do(&req, &a, err)) {
		imds_why(why, size, v1, req.timeout_ms <= 0 ? "no time left" : err->msg);
		ck_error_clear(err);
		goto out;
	}
	if (a.status != 200 || !a.body.len) {
		snprintf(why, size, "%sno IAM role on this instance (HTTP %ld)", v1, a.status);
		goto out;
	}
	ck_printable(role, sizeof(role), a.body.buf, strcspn(a.body.buf, "\r\n"));
	if (strpbrk(role, "/ ?#%")) {
		ret = ck_error(err, CK_FAILED, "instance metadata sent a role name credkit cannot use");
		goto out;
	}
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/%s",
		 (int)n, base, role);
	req.timeout_ms = bound(deadline, IMDS_TIMEOUT_MS);
	if (req.timeout_ms <= 0 || http_do(&req, &a, err) || a.status != 200) {
		imds_why(why, size, v1, a.status ? "no credentials for the instance role"
					: req.timeout_ms <= 0 ? "no time left" : err->msg);
		ck_error_clear(err);
		goto out;
	}
	snprintf(line, sizeof(line), "instance metadata role %s", role);
	ret = aws_take_json_creds(&a, "AccessKeyId", "SecretAccessKey", "Token", "Expiration",
				  line, out, err) ? AWS_CREDS_ERROR : AWS_CREDS_FOUND;
out:
	secure_wipe(line, sizeof(line));	/* it held the session token */
	http_response_release(&a);
	return ret;
}

/* --- SSO ------------------------------------------------------------------ */

/* ~/.aws/sso/cache/<sha1 hex of key>.json */
static int sso_cache_path(const char *key, char *buf, size_t size, struct ck_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	const char *home = config_env("HOME");
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (!EVP_Digest(key, strlen(key), md, &len, EVP_sha1(), NULL))
		return ck_error(err, CK_FAILED, "SHA-1 is not available");
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (snprintf(buf, size, "%s/.aws/sso/cache/%s.json", home ? home : "", hex) >= (int)size)
		return ck_error(err, CK_FAILED, "the SSO cache path is too long");
	return 0;
}

static int sso(const struct aws_chain *c, const char *profile, struct aws_creds *out,
	       struct ck_error *err)
{
	char session[256], start[1024], region[64], account[64], role[256], path[4096];
	char url[2048], host[256], *acct = NULL, *rname = NULL, source[512];
	struct secret text = SECRET_INIT, line = SECRET_INIT;
	struct http_response a = HTTP_RESPONSE_INIT;
	const char *portal = config_env("AWS_ENDPOINT_URL_SSO"), *token, *expires;
	const char *lines[2] = { NULL, NULL };
	json_t *doc = NULL;
	time_t until;
	int ret = -1;

	if (aws_profile_value(profile, "sso_session", 0, session, sizeof(session), err) < 0 ||
	    aws_profile_value(profile, "sso_start_url", 0, start, sizeof(start), err) < 0 ||
	    aws_profile_value(profile, "sso_region", 0, region, sizeof(region), err) < 0 ||
	    aws_profile_value(profile, "sso_account_id", 0, account, sizeof(account), err) < 0 ||
	    aws_profile_value(profile, "sso_role_name", 0, role, sizeof(role), err) < 0)
		return -1;
	if (session[0] &&
	    (aws_profile_value(session, "sso_start_url", 1, start, sizeof(start), err) < 0 ||
	     aws_profile_value(session, "sso_region", 1, region, sizeof(region), err) < 0))
		return -1;
	if (!start[0] || !region[0] || !account[0] || !role[0])
		return ck_error(err, CK_BAD_INPUT, "AWS profile %s needs sso_account_id, "
				"sso_role_name, and sso_session (or sso_start_url and sso_region)",
				profile);
	if (sso_cache_path(session[0] ? session : start, path, sizeof(path), err))
		return -1;
	if (read_token(path, "the SSO token cache", &text, err)) {
		ck_error(err, CK_FAILED, "no SSO token for AWS profile %s in %s: run "
			 "'aws sso login --profile %s'", profile, path, profile);
		goto out;
	}
	doc = json_loadb(text.buf, text.len, 0, NULL);
	token = json_string_value(json_object_get(doc, "accessToken"));
	expires = json_string_value(json_object_get(doc, "expiresAt"));
	if (!token || !expires || aws_parse_time(expires, &until) || until <= time(NULL) ||
	    strpbrk(token, "\r\n")) {
		ck_error(err, CK_FAILED, "the SSO token of AWS profile %s has expired or is "
			 "unreadable (%s): run 'aws sso login --profile %s'", profile, path, profile);
		goto out;
	}
	if (secret_alloc(&line, strlen(token) + 32))
		goto out;
	snprintf(line.buf, line.len + 1, "x-amz-sso_bearer_token: %s", token);
	lines[0] = line.buf;
	if (!portal)
		portal = config_env("AWS_ENDPOINT_URL");
	acct = curl_easy_escape(NULL, account, 0);
	rname = curl_easy_escape(NULL, role, 0);
	if (!acct || !rname)
		goto out;
	if (!portal && aws_partition_url("portal.sso", region, host, sizeof(host))) {
		ck_error(err, CK_BAD_INPUT, "AWS profile %s: sso_region is too long", profile);
		goto out;
	}
	snprintf(url, sizeof(url), "%s/federation/credentials?account_id=%s&role_name=%s",
		 portal ? portal : host, acct, rname);
	if (aws_explaining()) {
		aws_explain("SSO: role %s of account %s, token of %s valid, portal %s%s would be "
			    "asked", role, account, session[0] ? "sso-session" : "sso_start_url",
			    portal ? portal : host, endpoint_override("AWS_ENDPOINT_URL_SSO"));
		snprintf(out->source, sizeof(out->source), "SSO role %s of account %s (profile %s)",
			 role, account, profile);
		ret = 0;
		goto out;
	}
	{
		struct http_request req = {
			.method = "GET", .url = url, .headers = lines, .ca_file = c->ca_file,
			.timeout_ms = bound(c->deadline_ms, STS_TIMEOUT_MS),
			.max_response = ANSWER_MAX,
			.what = "the AWS SSO portal",
		};

		if (req.timeout_ms <= 0 || http_do(&req, &a, err))
			goto out;
	}
	if (a.status != 200) {
		json_t *e = json_loadb(a.body.buf, a.body.len, 0, NULL);
		const char *m = json_string_value(json_object_get(e, "message"));
		char words[300];

		ck_printable(words, sizeof(words), m, SIZE_MAX);
		ck_error(err, CK_FAILED, "the AWS SSO portal refused role %s of account %s "
			 "(profile %s): HTTP %ld %s; run 'aws sso login --profile %s' if the "
			 "session ended", role, account, profile, a.status, words, profile);
		json_decref(e);
		goto out;
	}
	json_decref(doc);
	doc = json_loadb(a.body.buf, a.body.len, 0, NULL);
	{
		struct http_response inner = HTTP_RESPONSE_INIT;
		char *dump = json_dumps(json_object_get(doc, "roleCredentials"), JSON_COMPACT);

		if (dump && secret_set(&inner.body, dump, strlen(dump)) == 0) {
			snprintf(source, sizeof(source), "SSO role %s of account %s (profile %s)",
				 role, account, profile);
			ret = aws_take_json_creds(&inner, "accessKeyId", "secretAccessKey",
						  "sessionToken", "expiration", source, out, err);
		} else {
			ck_error(err, CK_FAILED, "the AWS SSO portal sent an answer credkit "
				 "cannot read");
		}
		if (dump)
			secure_free(dump);
		http_response_release(&inner);
	}
out:
	curl_free(acct);
	curl_free(rname);
	json_decref(doc);
	secret_release(&text);
	secret_release(&line);
	http_response_release(&a);
	return ret;
}

/* --- assume-role, and the chain ------------------------------------------- */

static int profile_network(const struct aws_chain *c, const char *profile,
			   const char *kind, int depth, struct aws_creds *out,
			   struct ck_error *err);

/* credential_source: where the base credentials of a role come from. */
static int credential_source(const struct aws_chain *c, const char *what,
			     const char *profile, struct aws_creds *out,
			     struct ck_error *err)
{
	char why[512] = "";
	int r;

	aws_explain("profile %s: credential_source %s", profile, what);
	if (!strcmp(what, "Environment")) {
		if (!config_env("AWS_ACCESS_KEY_ID") || !config_env("AWS_SECRET_ACCESS_KEY"))
			return ck_error(err, CK_FAILED, "AWS profile %s has credential_source = "
					"Environment but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
					"are not both set", profile);
		return aws_creds_fill(out, config_env("AWS_ACCESS_KEY_ID"),
				      config_env("AWS_SECRET_ACCESS_KEY"),
				      config_env("AWS_SESSION_TOKEN"), "environment", err);
	}
	if (!strcmp(what, "EcsContainer"))
		r = container(c, out, err);
	else if (!strcmp(what, "Ec2InstanceMetadata"))
		r = imds(c, out, why, sizeof(why), err);
	else
		return ck_error(err, CK_BAD_INPUT, "AWS profile %s: credential_source must be "
				"Environment, Ec2InstanceMetadata or EcsContainer", profile);
	if (r == AWS_CREDS_FOUND)
		return 0;
	if (r == AWS_CREDS_NONE)
		ck_error(err, CK_FAILED, "AWS profile %s: no credentials from its "
			 "credential_source %s%s%s", profile, what, why[0] ? ": " : "", why);
	return -1;
}

static int assume_role(const struct aws_chain *c, const char *profile, int depth,
		       struct aws_creds *out, struct ck_error *err)
{
	char role[2048], source[AWS_PROFILE_MAX + 1], csrc[64], ext[1300], name[256],
	     dur[16], mfa[256], buf[64], why[300];
	struct aws_creds base = AWS_CREDS_INIT;
	struct sts_call call = { .action = "AssumeRole" };
	int r, ret = -1;

	if (depth > ROLE_DEPTH_MAX)
		return ck_error(err, CK_BAD_INPUT, "AWS profile %s: source_profile chain longer "
				"than %d (a loop?)", profile, ROLE_DEPTH_MAX);
	if (aws_profile_value(profile, "role_arn", 0, role, sizeof(role), err) < 0 ||
	    aws_profile_value(profile, "source_profile", 0, source, sizeof(source), err) < 0 ||
	    aws_profile_value(profile, "credential_source", 0, csrc, sizeof(csrc), err) < 0 ||
	    aws_profile_value(profile, "external_id", 0, ext, sizeof(ext), err) < 0 ||
	    aws_profile_value(profile, "role_session_name", 0, name, sizeof(name), err) < 0 ||
	    aws_profile_value(profile, "duration_seconds", 0, dur, sizeof(dur), err) < 0 ||
	    aws_profile_value(profile, "mfa_serial", 0, mfa, sizeof(mfa), err) < 0)
		return -1;
	if (mfa[0])
		return ck_error(err, CK_BAD_INPUT, "AWS profile %s needs an MFA code (mfa_serial): "
				"a credential helper cannot ask for one; use a profile without "
				"mfa_serial, or credential_process", profile);
	aws_explain("profile %s: role_arn %s, its base credentials from %s%s", profile, role,
		    source[0] ? "source_profile " : "credential_source ", source[0] ? source : csrc);
	if (source[0] && !strcmp(source, profile)) {
		/* Its own static keys are the base, as in the SDKs. */
		char id[AWS_KEY_ID_MAX + 1], key[256], token[4096];

		if (aws_profile_value(profile, "aws_access_key_id", 0, id, sizeof(id), err) < 0 ||
		    aws_profile_value(profile, "aws_secret_access_key", 0, key, sizeof(key), err) < 0 ||
		    aws_profile_value(profile, "aws_session_token", 0, token, sizeof(token), err) < 0)
			r = -1;
		else if (!id[0] || !key[0])
			r = ck_error(err, CK_FAILED, "AWS profile %s is its own source_profile but "
				     "has no aws_access_key_id and aws_secret_access_key", profile);
		else
			r = aws_creds_fill(&base, id, key, token, profile, err);
		secure_wipe(key, sizeof(key));
		secure_wipe(token, sizeof(token));
		if (r)
			goto out;
	} else if (source[0]) {
		r = aws_creds_profile(source, &base, err);
		if (r == AWS_CREDS_NEEDS_NETWORK)
			r = profile_network(c, source, base.network, depth + 1, &base, err) ?
			    AWS_CREDS_ERROR : AWS_CREDS_FOUND;
		if (r == AWS_CREDS_NONE)
			ck_error(err, CK_FAILED, "AWS profile %s: its source_profile %s has no "
				 "credentials", profile, source);
		if (r != AWS_CREDS_FOUND)
			goto out;
	} else if (credential_source(c, csrc, profile, &base, err)) {
		goto out;
	}
	snprintf(why, sizeof(why), "profile %s", profile);
	call.role_arn = role;
	call.session_name = session_name(name, buf, sizeof(buf));
	call.external_id = ext[0] ? ext : NULL;
	call.duration = dur[0] ? dur : NULL;
	call.base = &base;
	call.why = why;
	ret = sts(c, &call, out, err);
out:
	aws_creds_release(&base);
	return ret;
}

/*
 * A profile that aws_creds_local() or aws_creds_profile() said needs the
 * network.  depth 0 is the chain's own profile, deeper ones are
 * source_profiles; the environment's web identity is only for the chain's
 * own profile when it was not named explicitly (botocore's rule).
 */
static int profile_network(const struct aws_chain *c, const char *profile,
			   const char *kind, int depth, struct aws_creds *out,
			   struct ck_error *err)
{
	char name[AWS_PROFILE_MAX + 1];
	int ret;

	snprintf(name, sizeof(name), "%s", profile);	/* out is refilled */
	aws_creds_release(out);
	if (!strcmp(kind, "web-identity"))
		ret = web_identity(c, name, depth == 0 && !c->profile, out, err);
	else if (!strcmp(kind, "sso"))
		ret = sso(c, name, out, err);
	else
		ret = assume_role(c, name, depth, out, err);
	snprintf(out->profile, sizeof(out->profile), "%s", name);
	return ret;
}

int aws_creds_resolve(const struct aws_chain *c, struct aws_creds *out,
		      struct ck_error *err)
{
	struct aws_creds base;	/* *out, once the chain found it */
	struct sts_call call = { .action = "AssumeRole" };
	char tried[600], why[300] = "", buf[64], what[300];
	int r;

	if (c->web_token && c->role_arn)
		return given_web_identity(c, out, err);
	r = c->profile ? aws_creds_profile(c->profile, out, err)
		       : aws_creds_local(NULL, out, err);
	if (r == AWS_CREDS_NEEDS_NETWORK)
		r = profile_network(c, out->profile, out->network, 0, out, err) ?
		    AWS_CREDS_ERROR : AWS_CREDS_FOUND;
	if (r == AWS_CREDS_NONE) {
		/* out->source says which local sources were tried. */
		snprintf(tried, sizeof(tried), "%s", out->source);
		out->source[0] = '\0';
		ck_error_clear(err);
		r = container(c, out, err);
		if (r == AWS_CREDS_NONE)
			r = imds(c, out, why, sizeof(why), err);
		if (r == AWS_CREDS_NONE) {
			ck_error(err, CK_NO_CREDENTIALS, "no AWS credentials found: tried %s, the container "
				 "endpoint (AWS_CONTAINER_CREDENTIALS_*_URI not set) and instance "
				 "metadata (%s)", tried, why);
			return AWS_CREDS_NONE;
		}
	}
	if (r != AWS_CREDS_FOUND || !c->role_arn)
		return r;

	/* The settings' role, assumed with what the chain found. */
	aws_explain("the settings' role_arn %s, assumed with those credentials", c->role_arn);
	base = *out;
	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "from %.200s", base.source);
	call.role_arn = c->role_arn;
	call.session_name = session_name(NULL, buf, sizeof(buf));
	call.base = &base;
	call.why = what;
	r = sts(c, &call, out, err) ? AWS_CREDS_ERROR : AWS_CREDS_FOUND;
	aws_creds_release(&base);
	return r;
}
