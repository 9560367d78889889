/* SPDX-License-Identifier: MIT */
/*
 * ecrmint.c - ECR's GetAuthorizationToken, private and Public, signed with
 * SigV4 and sent through http.c.  Only the minting program links this.
 */
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/awscreds.h"
#include "aws/awsnet.h"
#include "clock.h"
#include "config.h"
#include "aws/ecr.h"
#include "tokens/http.h"

#define ATTEMPTS	3	/* the SDKs' standard retry mode */
#define ANSWER_MAX	(256 * 1024)
#define RETRY_TRY_MS	500	/* what a try after a Retry-After wait needs */

int ecr_endpoint(const struct ecr_registry *r, struct aws_endpoint *e, struct ck_error *err)
{
	const char *set = config_env(r->public ? "AWS_ENDPOINT_URL_ECR_PUBLIC"
					       : "AWS_ENDPOINT_URL_ECR");
	char url[512];

	if (!set)
		set = config_env("AWS_ENDPOINT_URL");
	if (!set && r->public)
		set = "https://api.ecr-public.us-east-1.amazonaws.com";
	if (!set) {
		snprintf(url, sizeof(url), "https://%s.%s.%s",
			 r->fips ? "ecr-fips" : "api.ecr", r->region, r->suffix);
		set = url;
	}
	return aws_endpoint_parse(set, e, err);
}

/* "AccessDeniedException: message" from an AWS JSON error, or a status. */
static void api_error(const struct http_response *a, char *buf, size_t size)
{
	json_t *doc = json_loadb(a->body.buf ? a->body.buf : "", a->body.len, 0, NULL);
	const char *type = json_string_value(json_object_get(doc, "__type"));
	const char *msg = json_string_value(json_object_get(doc, "message"));
	char t[128], m[320];

	if (!msg)
		msg = json_string_value(json_object_get(doc, "Message"));
	if (type && strchr(type, '#'))
		type = strchr(type, '#') + 1;	/* "com.amazon...#Name" */
	ck_printable(t, sizeof(t), type, SIZE_MAX);
	ck_printable(m, sizeof(m), msg, SIZE_MAX);
	if (t[0] || m[0])
		snprintf(buf, size, "%s%s%s", t, t[0] && m[0] ? ": " : "", m);
	else
		snprintf(buf, size, "HTTP status %ld", a->status);
	json_decref(doc);
}

/* expiresAt: seconds as an integer, a float (also 1.7E9) or ISO 8601. */
static int take_expiry(json_t *v, time_t *t)
{
	double d;
	char *end;

	if (json_is_integer(v)) {
		*t = (time_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
	} else if (json_is_string(v)) {
		if (aws_parse_time(json_string_value(v), t) == 0)
			return 0;
		d = strtod(json_string_value(v), &end);
		if (*end || end == json_string_value(v))
			return -1;
	} else {
		return -1;
	}
	if (!isfinite(d) || d < 1 || d > 1e12)
		return -1;
	*t = (time_t)d;
	return 0;
}

/* Base64 "user:password" into t->username and t->secret. */
static int take_token(const char *b64, struct token *t)
{
	size_t len = strlen(b64);
	struct secret raw = SECRET_INIT;
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int n = 0, last = 0, ret = -1;
	char *colon;

	if (!ctx || len > ANSWER_MAX || secret_alloc(&raw, len))
		goto out;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, (unsigned char *)raw.buf, &n,
			     (const unsigned char *)b64, (int)len) < 0 ||
	    EVP_DecodeFinal(ctx, (unsigned char *)raw.buf + n, &last) < 0)
		goto out;
	raw.buf[n + last] = '\0';
	colon = memchr(raw.buf, ':', (size_t)(n + last));
	if (!colon || colon == raw.buf || (size_t)(colon - raw.buf) >= sizeof(t->username) ||
	    memchr(raw.buf, '\0', (size_t)(n + last)))
		goto out;
	memcpy(t->username, raw.buf, (size_t)(colon - raw.buf));
	t->username[colon - raw.buf] = '\0';
	ret = secret_set(&t->secret, colon + 1, (size_t)(n + last) - (size_t)(colon - raw.buf) - 1);
out:
	EVP_ENCODE_CTX_free(ctx);
	secret_release(&raw);
	return ret;
}

/* See ecr.h. */
int ecr_take_answer(const struct ecr_registry *r, const struct http_response *a,
		    struct token *t, struct ck_error *err)
{
	json_t *doc = json_loadb(a->body.buf ? a->body.buf : "", a->body.len, 0, NULL);
	json_t *data = json_object_get(doc, "authorizationData");
	const char *b64;
	int ret = -1;

	if (json_is_array(data))	/* private ECR: a list of one */
		data = json_array_get(data, 0);
	b64 = json_string_value(json_object_get(data, "authorizationToken"));
	if (!json_is_object(data) || !b64 ||
	    take_expiry(json_object_get(data, "expiresAt"), &t->expires)) {
		ck_error(err, CK_FAILED, "ECR%s sent an answer credkit cannot read "
			 "(no authorizationData with authorizationToken and expiresAt)",
			 r->public ? " Public" : "");
		goto out;
	}
	if (take_token(b64, t)) {
		ck_error(err, CK_FAILED, "ECR%s sent a token that is not base64 of "
			 "\"user:password\"", r->public ? " Public" : "");
		goto out;
	}
	t->minted = time(NULL);
	if (t->expires <= t->minted) {
		ck_error(err, CK_FAILED, "ECR%s sent a token that expires at %lld, "
			 "%lld seconds from now: is this machine's clock right?",
			 r->public ? " Public" : "", (long long)t->expires,
			 (long long)(t->expires - t->minted));
		goto out;
	}
	ret = 0;
out:
	json_decref(doc);
	if (ret)
		token_release(t);
	return ret;
}

static int retryable(long status, const struct http_response *a)
{
	return status >= 500 || status == 429 ||
	       (status == 400 && a->body.buf && strstr(a->body.buf, "Throttling"));
}

/*
 * Whether a's Retry-After asks for a wait that leaves no time for a try
 * (RETRY_TRY_MS) before deadline_ms: then err says so, and 1.  A wait
 * that fits is waited for, as the service asks, rather than the backoff.
 */
static int too_late(const struct http_response *a, long deadline_ms, struct ck_error *err)
{
	char now[sizeof(err->msg)];

	if (a->retry_after < 0 ||
	    a->retry_after * 1000 + RETRY_TRY_MS <= ck_ms_left(deadline_ms))
		return 0;
	snprintf(now, sizeof(now), "%s", err->msg);
	ck_error(err, err->kind, "%s; it asks to wait (Retry-After: %ld s), more than the %ld ms "
		 "left of the time allowed: not asked again", now, a->retry_after,
		 ck_ms_left(deadline_ms));
	return 1;
}

/*
 * A later try that got no answer (a timeout, no connection) says so in err;
 * the service's last real answer, last (its error, "" if none), goes with
 * it: the 500's words matter more than the time-out after them.
 */
static void keep_last(struct ck_error *err, const char *last)
{
	char now[sizeof(err->msg)];

	if (!*last)
		return;
	snprintf(now, sizeof(now), "%s", err->msg);
	ck_error(err, err->kind, "%s; the last answer before: %s", now, last);
}

int ecr_get_token(const struct ecr_registry *r, const struct aws_creds *cred,
		  long deadline_ms, struct token *t, struct ck_error *err)
{
	const char *const headers[] = {
		"Content-Type: application/x-amz-json-1.1",
		r->public ? "X-Amz-Target: SpencerFrontendService.GetAuthorizationToken" :
			    "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
		NULL
	};
	const char *what = r->public ? "ECR Public" : "ECR";
	struct aws_endpoint e;
	struct http_response a = HTTP_RESPONSE_INIT;
	char why[512], last[sizeof(err->msg)] = "";
	int attempt, ret = -1;

	token_release(t);
	if (ecr_endpoint(r, &e, err))
		return -1;
	for (attempt = 1; attempt <= ATTEMPTS; attempt++) {
		if (ck_now_ms() >= deadline_ms) {
			ck_error(err, CK_UNAVAILABLE, "no token from %s at %s within the time "
				 "allowed (%ld ms)", what, e.host, r->timeout_ms);
			keep_last(err, last);
			break;
		}
		ret = aws_signed_post(&e, r->public ? "ecr-public" : "ecr", r->region, cred,
				      headers, "{}", 2, ck_ms_left(deadline_ms),
				      config_env("AWS_CA_BUNDLE"), what, &a, err);
		if (ret) {
			keep_last(err, last);
			break;
		}
		if (a.status == 200) {
			ret = ecr_take_answer(r, &a, t, err);
			break;
		}
		ret = -1;
		api_error(&a, why, sizeof(why));
		aws_skew_note(&a, why, sizeof(why));
		if (a.status >= 500)
			ck_error(err, CK_UNAVAILABLE, "%s at %s failed (HTTP %ld): %s", what,
				 e.host, a.status, why);
		else if (a.status == 429)
			ck_error(err, CK_UNAVAILABLE, "%s at %s is throttling (HTTP 429): %s",
				 what, e.host, why);
		else
			ck_error(err, CK_FAILED, "%s refused a token for %s to the AWS "
				 "credentials from %s: %s", what, r->host, cred->source, why);
		if (!retryable(a.status, &a) || attempt == ATTEMPTS ||
		    ck_ms_left(deadline_ms) < 200)
			break;
		if (too_late(&a, deadline_ms, err))
			break;
		snprintf(last, sizeof(last), "%s", err->msg);
		/* As asked, else 100 ms, then 200 ms. */
		ck_sleep_usec((uint64_t)(a.retry_after >= 0 ? a.retry_after * 1000 : 50L << attempt) *
			      1000);
	}
	http_response_release(&a);
	return ret;
}
