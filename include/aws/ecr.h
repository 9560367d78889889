/* SPDX-License-Identifier: MIT */
/*
 * ecr.h - what docker-credential-ecr-login knows about ECR registries, and
 * how it plugs into the token core (tokens/helper.h).
 *
 * The front, docker-credential-ecr-login, runs ecr_tokens.find() on every
 * get: it links libkeyutils, jansson and the SHA-256 objects of
 * libcrypto.a only (never libcrypto.so, for the cache key).  The minting
 * program, docker-credential-ecr-login-mint under libexec, adds the AWS
 * credential chain, STS, SigV4 and ECR over libcurl and OpenSSL.
 *
 * Which hosts: private ECR hosts (every partition, FIPS and dual-stack
 * names, see ecr_registry_find()), ECR Public, and any host the settings
 * file maps to an account and region.  Any other host is not ours: "not
 * found", at once, with no network and no credentials loaded.
 *
 * The cache key: the region (GetAuthorizationToken's token is good for
 * every registry its principal reaches there) and the identity: the
 * settings that decide which AWS credentials mint the token (a profile, a
 * role, an access key id) and aws_identity_digest() of what selects the
 * principal, so that another profile, role, pod or task never gets this
 * one's token.  A token is fresh for half its life.
 *
 * One deadline: a get's budget (timeout_ms) starts when it starts and
 * covers the lock wait, the credentials (a credential_process is stopped
 * at it) and the mint.
 *
 * The kubelet's mode (get-credentials): the budget is kubelet_timeout_ms;
 * a request without a service-account token mints with the node's chain,
 * as the docker protocol does; one with a token assumes the role its
 * service account's annotation ECR_ROLE_ANNOTATION names (else
 * AWS_ECR_ROLE_ARN) with that token (STS AssumeRoleWithWebIdentity), and
 * its cache key is that role and the token's iss, sub and aud, so that
 * two service accounts never share a token and one's pods share one.
 */
#ifndef CREDKIT_ECR_H
#define CREDKIT_ECR_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "tokens/helper.h"

#define ECR_HOST_MAX	TOKEN_HOST_MAX
#define ECR_ARN_MAX	2048

/* The cache's namespace of ECR tokens. */
#define ECR_NS		"ecr"

/*
 * The default budget of a get, from its start to its answer: the lock
 * wait, loading the AWS credentials (a credential_process included) and
 * the mint.  One deadline covers them all.
 */
#define ECR_TIMEOUT_MS	9000

/*
 * The budget of a kubelet's get (get-credentials) by default: well under
 * the minute after which the kubelet kills its plugin, for however many
 * pulls wait on one mint.
 */
#define ECR_KUBELET_TIMEOUT_MS	30000
#define ECR_KUBELET_TIMEOUT_MAX	55000

/* The service account annotation that names the role to pull with. */
#define ECR_ROLE_ANNOTATION	"eks.amazonaws.com/ecr-role-arn"

/* How long a failed mint is remembered by default (0: not at all). */
#define ECR_FAIL_CACHE_MS 5000

/* One registry: what the host name (or the settings) say about it. */
struct ecr_registry {
	char host[ECR_HOST_MAX];	/* as asked, lower-case, "host[:port]" */
	char account[16];		/* 12 digits; "" for ECR Public */
	char region[64];
	char suffix[64];		/* the partition's API domain:
					 * "amazonaws.com", "amazonaws.com.cn", ... */
	int fips;
	int public;			/* ECR Public */
	/* From the settings file; "" or 0 when not set. */
	char profile[129];
	char role_arn[ECR_ARN_MAX];
	long timeout_ms;		/* always set: settings, else default */
	long fail_cache_ms;		/* settings, else ECR_FAIL_CACHE_MS; 0: off */
	long kubelet_timeout_ms;	/* settings, else ECR_KUBELET_TIMEOUT_MS */
	/*
	 * A kubelet's request with a service account's token (ecr_tokens'
	 * kubelet()): the token, borrowed from the request, which lives as
	 * long as the process's get; NULL otherwise.  The role it assumes,
	 * and the token's principal instead of the chain's in the cache key.
	 */
	const struct secret *web_token;
	char web_role[ECR_ARN_MAX];
};

/*
 * Whether server names an ECR registry, from its host name (scheme, path
 * and port stripped) or, for any host, from the settings file's "ecr"
 * section:
 *
 *   "ecr": {
 *     "profile": "ci", "role_arn": "arn:...", "timeout_ms": 9000,
 *     "fail_cache_ms": 5000, "kubelet_timeout_ms": 30000,
 *     "registries": {
 *       "registry.example.com": { "account": "123456789012",
 *                                 "region": "eu-west-1" },
 *       "123456789012.dkr.ecr.us-east-1.amazonaws.com": { "profile": "prod" },
 *       "public.ecr.aws": { "profile": "public" }
 *     }
 *   }
 *
 * A registry's own entry ("host:port" first, then "host") wins over the
 * section's defaults.  Returns 1 with r and t (its cache key, budget and
 * policy) filled, 0 when server is not an ECR registry, or -1 with err
 * when the settings for it are malformed.  Reads no file but the settings
 * (cfg) and the files aws_identity_digest() reads, and loads no
 * credentials.
 */
int ecr_registry_find(const char *server, const struct config *cfg,
		      struct ecr_registry *r, struct token_target *t,
		      struct ck_error *err);

/* docker-credential-ecr-login, as the token core sees it. */
extern const struct token_helper ecr_tokens;

struct aws_creds;

/*
 * Mint a token for r with cred: ECR's (or ECR Public's) GetAuthorizationToken
 * at the endpoint AWS_ENDPOINT_URL_ECR (_ECR_PUBLIC), else AWS_ENDPOINT_URL,
 * else the partition's, signed with SigV4, trusting AWS_CA_BUNDLE when set;
 * a 5xx or throttling answer is tried again (three attempts) while the
 * deadline (a ck_now_ms() point, see clock.h) allows.  Only the minting
 * program links this (libcurl, libcrypto).  Returns 0 with t filled, or -1
 * with err: CK_UNAVAILABLE when ECR cannot be reached or fails, CK_FAILED
 * when it refuses (its own words) or answers what cannot be read.
 */
int ecr_get_token(const struct ecr_registry *r, const struct aws_creds *cred,
		  long deadline_ms, struct token *t, struct ck_error *err);

struct http_response;

/*
 * Read a of a 200 answer of GetAuthorizationToken into t (username, secret,
 * expiry, minted now).  Returns 0, or -1 with err (CK_FAILED: a body that
 * is not such an answer, a token that is not base64 of "user:password", one
 * already expired) and t released.  ecr_get_token()'s, declared for
 * tests/fuzz/.
 */
int ecr_take_answer(const struct ecr_registry *r, const struct http_response *a,
		    struct token *t, struct ck_error *err);

struct aws_endpoint;

/*
 * The ECR (or ECR Public) API endpoint of r: AWS_ENDPOINT_URL_ECR
 * (_ECR_PUBLIC), else AWS_ENDPOINT_URL, else the partition's.  0, or -1
 * with err.  The minting program's (awsnet.c parses it).
 */
int ecr_endpoint(const struct ecr_registry *r, struct aws_endpoint *e, struct ck_error *err);

/*
 * doctor and doctor --online of docker-credential-ecr-login, in the
 * minting program (ecr_tokens.doctor_in_minter): for the registries of
 * the settings (and any other ECR host, with the settings' defaults), the
 * region, the endpoints (overrides named) and which AWS credential
 * source would answer and why each earlier one does not, by the chain's
 * explain mode (awscreds.h), with no network; online: one STS
 * GetCallerIdentity each, showing the ARN ECR will see.  Never a secret.
 * 0, or -1 with err.
 */
int ecr_doctor(const struct config *cfg, int online, struct ck_error *err);
int ecr_online(const struct config *cfg, struct ck_error *err);

#endif
