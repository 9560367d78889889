/* SPDX-License-Identifier: MIT */
/*
 * awsnet.h - the AWS credential chain, network sources included.
 *
 * aws_creds_local() (awscreds.h) does the sources that need no network;
 * this adds STS (AssumeRole, AssumeRoleWithWebIdentity), IAM Identity
 * Center (SSO), the ECS/EKS container endpoint and EC2 instance metadata,
 * and walks the whole chain in the AWS SDKs' order.
 */
#ifndef CREDKIT_AWSNET_H
#define CREDKIT_AWSNET_H

#include <stddef.h>

#include "aws/awscreds.h"
#include "error.h"
#include "tokens/http.h"

struct aws_chain {		/* what to resolve; all borrowed */
	const char *profile;	/* NULL: AWS_PROFILE, else "default"; set, it
				 * is explicit and environment keys are not
				 * looked at, as in the SDKs */
	const char *role_arn;	/* NULL, or a role to assume (STS AssumeRole)
				 * with the chain's credentials */
	const struct secret *web_token;	/* NULL, or a web identity token in
				 * memory (a kubelet's service account's):
				 * role_arn is assumed with it (STS
				 * AssumeRoleWithWebIdentity), no other
				 * source is looked at */
	const char *region;	/* for STS's and SSO's regional endpoints when
				 * the profile names none */
	long deadline_ms;	/* no request may pass it (a ck_now_ms() point) */
	const char *ca_file;	/* AWS_CA_BUNDLE, or NULL */
};

/*
 * The whole chain: environment; web identity; the profile (assume-role,
 * SSO, static keys, credential_process); the container endpoint; IMDSv2.
 * With web_token and role_arn, none of them: STS AssumeRoleWithWebIdentity
 * alone, the token sent to STS and nowhere else.  Returns AWS_CREDS_FOUND with out filled (out->source says from where),
 * AWS_CREDS_NONE with err (kind CK_NO_CREDENTIALS) saying every source
 * tried, or AWS_CREDS_ERROR with err saying what failed.
 */
int aws_creds_resolve(const struct aws_chain *c, struct aws_creds *out,
		      struct ck_error *err);

/*
 * STS's URL for c as the chain asks it (see aws_caller_identity()) into
 * url, and the region it signs for into region ("us-east-1" when none is
 * set).  0, or -1 with err.
 */
int aws_sts_url(const struct aws_chain *c, char *url, size_t size, char *region,
		size_t region_size, struct ck_error *err);

/* Who the credentials are, as STS GetCallerIdentity says (printable). */
struct aws_caller {
	char arn[2048];
	char account[32];
	char user_id[256];
	char endpoint[2048];	/* the STS endpoint asked */
	char region[64];	/* signed for */
};

/*
 * STS GetCallerIdentity with cred, signed with SigV4, at STS's endpoint
 * as the chain asks it (the profile's region, else c->region; then
 * AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the partition's),
 * within c->deadline_ms and STS's own bound.  Returns 0 with who filled,
 * or -1 with err (CK_UNAVAILABLE: not reached, no answer in time, a 5xx;
 * CK_FAILED: refused, in STS's words).  Nothing in who is a secret.
 */
int aws_caller_identity(const struct aws_chain *c, const struct aws_creds *cred,
			struct aws_caller *who, struct ck_error *err);

/*
 * The URL of the ECS/EKS container credentials endpoint, checked before
 * anything is sent.  rel (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), when
 * not NULL, is a path joined to http://HOST (host, the tests'
 * CREDKIT_AWS_CONTAINER_HOST, else 169.254.170.2), and the URL must stay
 * on that host; else full (..._FULL_URI) is https to any host, or http to
 * a loopback IP literal (127.0.0.0/8, ::1) or an ECS/EKS address
 * (169.254.170.2, 169.254.170.23, fd00:ec2::23), never a name, as the SDKs
 * allow.  host must be such an address too, and no URL may hold a user
 * name or password.  Returns 0 with url[size] as it is to be fetched, or
 * -1 with err (CK_BAD_INPUT) saying which variable is wrong.
 */
int aws_container_url(const char *rel, const char *full, const char *host, char *url,
		      size_t size, struct ck_error *err);

/*
 * The text of the first <tag>...</tag> in doc, a NUL-terminated STS answer
 * (after the first occurrence of after, if not NULL), its five entities and
 * printable-ASCII character references decoded.  out is released first.
 * Returns 0 with out filled, or -1 when it is missing or malformed (out
 * empty).  awsnet.c's STS reader, declared for tests/fuzz/.
 */
int aws_xml_text(const char *doc, const char *after, const char *tag,
		 struct secret *out);

/*
 * Read the credentials of a JSON answer (the container endpoint's, IMDS's,
 * SSO's roleCredentials) into out: the strings at id_key and secret_key,
 * the optional token_key, and expiry_key (ISO 8601 text, or SSO's integer
 * milliseconds); source names the answer in errors and in out->source.
 * Returns 0, or -1 with err (CK_FAILED: no key pair that can be read).
 * awsnet.c's, declared for tests/fuzz/.
 */
int aws_take_json_creds(const struct http_response *a, const char *id_key,
			const char *secret_key, const char *token_key,
			const char *expiry_key, const char *source,
			struct aws_creds *out, struct ck_error *err);

/* An AWS endpoint, as it is sent and signed. */
struct aws_endpoint {
	char url[2048];		/* as configured */
	char host[600];		/* the Host header: name, ":port" unless the
				 * scheme's default */
	char path[1024];	/* "/" when the URL has none */
};

/* Parse url (http or https).  Returns 0, or -1 with err (CK_BAD_INPUT). */
int aws_endpoint_parse(const char *url, struct aws_endpoint *e, struct ck_error *err);

/*
 * POST body[len] to e, with headers (NULL-terminated "Name: value" lines,
 * all signed) and a Host header, signed with SigV4 for service and region
 * with cred, within timeout_ms.  As http_do(): 0 once an answer came.
 * Refused for its time (aws_clock_skew()), it is signed again once, with
 * the offset of the answer's Date, which later requests of the process
 * keep, as the AWS SDKs do.
 */
int aws_signed_post(const struct aws_endpoint *e, const char *service,
		    const char *region, const struct aws_creds *cred,
		    const char *const *headers, const void *body, size_t len,
		    long timeout_ms, const char *ca_file, const char *what,
		    struct http_response *resp, struct ck_error *err);

/*
 * How many seconds the clock of the service that sent a is ahead of ours
 * (negative: behind), from its Date header, when a refused a request for
 * its time (400 or 403 with a clock-skew error code, and 4 min or more
 * between the clocks); else 0.
 */
long aws_clock_skew(const struct http_response *a);

/* Append to why (size bytes) what aws_clock_skew() says, if anything. */
void aws_skew_note(const struct http_response *a, char *why, size_t size);

#endif
