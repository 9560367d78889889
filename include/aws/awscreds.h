/* SPDX-License-Identifier: MIT */
/*
 * awscreds.h - the local part of the AWS SDKs' credential chain.
 *
 * docker-credential-ecr-login needs AWS credentials and a region, found
 * where the AWS CLI and SDKs (botocore's order) find them.  This module
 * does the sources that need no network, in this order, stopping at the
 * first that answers:
 *
 *  1. the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
 *     AWS_SESSION_TOKEN); only one of the two set is an error naming the
 *     other;
 *  2. the profile (the profile argument, else AWS_PROFILE, else
 *     "default") in the shared files, AWS_SHARED_CREDENTIALS_FILE (else
 *     ~/.aws/credentials, sections [NAME]) and AWS_CONFIG_FILE (else
 *     ~/.aws/config, sections [profile NAME] and [default]), the
 *     credentials file winning key by key:
 *      a. a profile that needs the network (role_arn with source_profile
 *         or credential_source, web_identity_token_file or the
 *         AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN pair, sso_start_url or
 *         sso_session) is reported as AWS_CREDS_NEEDS_NETWORK, naming
 *         which; like botocore, this wins over static keys, and the
 *         profile's own role_arn wins over the environment's web identity,
 *         which aws_creds_profile() does not look at;
 *      b. aws_access_key_id + aws_secret_access_key (+ aws_session_token)
 *         of the credentials file;
 *      c. credential_process, split like a shell word list (quotes and
 *         backslashes, no shell), run with child_run() for at most 30 s
 *         (CREDKIT_AWS_PROCESS_TIMEOUT_MS overrides, for tests), its stdout
 *         the JSON {"Version": 1, "AccessKeyId", "SecretAccessKey",
 *         "SessionToken"?, "Expiration"?};
 *      d. static keys of the config file.
 *
 * The network sources (STS AssumeRole and AssumeRoleWithWebIdentity, SSO,
 * the ECS/EKS container endpoint, IMDS) are not here: a caller goes on to
 * them on AWS_CREDS_NEEDS_NETWORK (the profile's own) or AWS_CREDS_NONE
 * (container endpoint, then IMDS).
 *
 * What it promises: the secret access key and the session token live only
 * in struct secret or wiped buffers (the files are read into wiped memory,
 * and JSON is freed through the caller's json_set_alloc_funcs()); no error
 * text holds a secret, a line of a file or the stdout of credential_process
 * (only the end of its stderr).  A missing file is no error; an unreadable
 * or malformed one is, with its path and line.
 *
 * Each shared file is read from disk once per process: the first function
 * here that looks at a path reads it whole (or finds it missing or
 * unreadable), and every later look, whatever the profile or key, parses
 * a copy of those bytes, as a botocore session loads its files once.  Each
 * program of a get (docker-credential-ecr-login, then its minter when it
 * mints) thus opens each file once, and the minter's cache key
 * (aws_identity_digest()) and the credentials it mints come from one
 * version of the files, even when they are rewritten meanwhile.  The
 * bytes are kept, in wiped memory, until aws_files_forget(), which also
 * runs at exit.
 */
#ifndef CREDKIT_AWSCREDS_H
#define CREDKIT_AWSCREDS_H

#include <stddef.h>
#include <time.h>

#include "error.h"
#include "secret.h"

#define AWS_KEY_ID_MAX	128	/* AKIA...: 16 to 128 characters */
#define AWS_PROFILE_MAX	128

enum aws_creds_result {
	AWS_CREDS_ERROR = -1,
	AWS_CREDS_NONE = 0,		/* no local source: err (CK_NO_CREDENTIALS)
					 * says what was tried */
	AWS_CREDS_FOUND = 1,
	AWS_CREDS_NEEDS_NETWORK = 2,	/* out->network says which */
};

struct aws_creds {
	char access_key_id[AWS_KEY_ID_MAX + 1];
	struct secret secret_access_key;
	struct secret session_token;	/* buf NULL when there is none */
	time_t expiry;			/* 0: does not expire */
	char profile[AWS_PROFILE_MAX + 1];	/* the profile looked at */
	/*
	 * Where they came from, for people: "environment", "shared
	 * credentials file ~/.aws/credentials [profile x]", "config file
	 * ~/.aws/config [profile x]", "credential_process of profile x".
	 * With AWS_CREDS_NONE, where they were looked for: "the environment
	 * (AWS_ACCESS_KEY_ID), ~/.aws/credentials [x] and ...".
	 */
	char source[512];
	/*
	 * With AWS_CREDS_NEEDS_NETWORK: "assume-role" (role_arn),
	 * "web-identity" or "sso"; source then names the file and profile.
	 * Static, never freed; NULL otherwise.
	 */
	const char *network;
};

#define AWS_CREDS_INIT { "", SECRET_INIT, SECRET_INIT, 0, "", "", NULL }

/*
 * Look for credentials in the local sources above for profile (NULL:
 * AWS_PROFILE, else "default").  out is released first.  Returns
 * AWS_CREDS_FOUND with out filled; AWS_CREDS_NEEDS_NETWORK with
 * out->network, out->profile and out->source; AWS_CREDS_NONE with err
 * (kind CK_NO_CREDENTIALS) saying which sources were tried, and
 * out->source listing them; or AWS_CREDS_ERROR
 * with err (half-set keys, a profile named explicitly that no file has,
 * an unreadable or malformed file, a failed credential_process).  Call
 * aws_creds_release() in every case.
 */
int aws_creds_local(const char *profile, struct aws_creds *out,
		    struct ck_error *err);

/*
 * Bound every credential_process this process runs from now on by
 * deadline_ms (a ck_now_ms() point, see clock.h; 0: only by its own 30 s
 * bound): it is stopped when the budget ends.
 */
void aws_creds_deadline(long deadline_ms);

/*
 * Like aws_creds_local(), for a profile named explicitly (in credkit's
 * settings, or a source_profile): the environment's keys and web identity
 * are not looked at, as botocore skips them for an explicit profile and a
 * source_profile.
 */
int aws_creds_profile(const char *profile, struct aws_creds *out,
		      struct ck_error *err);

/*
 * The value of key (one of those this module knows: "role_arn",
 * "source_profile", "credential_source", "external_id",
 * "role_session_name", "duration_seconds", "mfa_serial",
 * "web_identity_token_file", "sso_start_url", "sso_session", "sso_region",
 * "sso_account_id", "sso_role_name", "region", "aws_access_key_id", ...)
 * of profile (NULL as above), the credentials file winning; with
 * sso_session, of the config file's [sso-session PROFILE] section.
 * Returns 1 with buf filled, 0 when unset (buf ""), or -1 with err.
 */
int aws_profile_value(const char *profile, const char *key, int sso_session,
		      char *buf, size_t size, struct ck_error *err);

/*
 * Fill out with a key pair and an optional session token (NULL or "").
 * what names the source in errors.  Returns 0, or -1 with err (a key id
 * that is not 1 to AWS_KEY_ID_MAX printable characters, memory).
 */
int aws_creds_fill(struct aws_creds *out, const char *id, const char *secret,
		   const char *token, const char *what, struct ck_error *err);

#define AWS_IDENTITY_DIGEST_LEN	32	/* SHA-256 */

/*
 * A digest of what selects the identity the chain finds for profile (NULL
 * as above), with no network and no credential_process run, for a cache
 * key.  Without a profile named: the environment's keys, and when both
 * are set nothing else (they answer alone); else AWS_ROLE_ARN,
 * AWS_ROLE_SESSION_NAME and the web identity token file's contents.  In
 * every case the container authorization token (value or file), both
 * shared files whole, and the web identity token files of the profile and
 * its source_profile chain.  Of a token that is a JWT only its iss, sub
 * and aud claims count (read, not verified), so that a token the kubelet
 * rotates keeps its digest.  Callers whose chains can resolve to
 * different principals get different digests; no secret is kept.  A
 * missing, unreadable or malformed file counts as such and is no error
 * here (the chain reports it when it mints).
 */
void aws_identity_digest(const char *profile, unsigned char md[AWS_IDENTITY_DIGEST_LEN]);

/*
 * A digest of what stays the same for one identity in the len bytes of a
 * token held in memory (a kubelet's service-account token): of a JWT its
 * iss, sub and aud claims (read, not verified), as aws_identity_digest()
 * counts a token file's, so that the kubelet's rotated token of one
 * service account keeps its digest; of anything else the token itself.
 * No secret is kept.
 */
void aws_token_digest(const char *tok, size_t len, unsigned char md[AWS_IDENTITY_DIGEST_LEN]);

/*
 * Wipe and free the shared files read so far (see the top of this file):
 * the next look at each reads it from disk again.  Registered with atexit()
 * when a file is first read; a program that runs on after its get, or
 * rewrites the files and must see the new version (a test), calls it.
 */
void aws_files_forget(void);

/*
 * The chain's explain mode, for doctor: between aws_explain_start(buf,
 * size) and aws_explain_stop(), the chain (aws_creds_local(),
 * aws_creds_profile() and aws_creds_resolve() of awsnet.h) appends to buf
 * one line per decision, in the order it takes them: what each source it
 * looks at has, and why it does not answer.  It is a dry run: nothing
 * that needs the network is asked and no credential_process is run; the
 * first such source ends the walk as if it had answered, out->source
 * naming it (with no credentials in out).  Never a secret in buf: no
 * secret key, token or command line, only names, paths and key ids.
 */
void aws_explain_start(char *buf, size_t size);
void aws_explain_stop(void);
int aws_explaining(void);
void aws_explain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wipe and free out's secrets and clear it; it may be reused. */
void aws_creds_release(struct aws_creds *out);

/*
 * The region for profile (NULL as above): AWS_REGION, else
 * AWS_DEFAULT_REGION, else region of the profile in the config file.
 * Returns 1 with buf filled, 0 when none is set (buf ""), or -1 with err
 * (a malformed or unreadable config file, a region longer than size - 1
 * or holding other than letters, digits and '-').
 */
int aws_region(const char *profile, char *buf, size_t size,
	       struct ck_error *err);

/*
 * Parse an ISO 8601 UTC time as credential_process prints it
 * ("2026-11-23T12:00:00Z", fractional seconds and a "+HH:MM" / "-HH:MM"
 * / "+HHMM" offset accepted) into *t.  Returns 0, or -1 when it is not one.
 */
int aws_parse_time(const char *text, time_t *t);

#endif
