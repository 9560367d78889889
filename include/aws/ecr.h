/* SPDX-License-Identifier: MIT */
/*
 * ecr.h - what docker-credential-ecr-login knows about ECR registries and
 * its token cache, shared by its two programs.
 *
 * The helper is two programs, so that the common case stays cheap:
 *
 *  - docker-credential-ecr-login answers `get` from the token cache in the
 *    kernel keyring.  It links libkeyutils, jansson and the SHA-256 objects
 *    of libcrypto.a only (never libcrypto.so, for the cache key): a cached
 *    get costs about what starting a program costs.
 *  - docker-credential-ecr-login-mint, under libexec, mints a token: the
 *    AWS credential chain, STS, SigV4 and ECR over libcurl and OpenSSL.
 *    The first program runs it (exec, with the server on stdin) only when
 *    the cache has no token fresh enough, holding the registry's lock.
 *
 * Which hosts: private ECR hosts (every partition, FIPS and dual-stack
 * names, see ecr_registry_find()), ECR Public, and any host the settings
 * file maps to an account and region.  Any other host is not ours: "not
 * found", at once, with no network and no credentials loaded.
 *
 * The cache: one entry per registry host *and* identity (the settings that
 * decide which AWS credentials mint the token: a profile, a role, an
 * access key id, and aws_identity_digest() of what selects the principal),
 * so that another profile, role, pod or task never gets this one's token.  An entry holds the token and when it was minted and
 * expires; the kernel drops it at expiry.  It is used until half its life
 * has passed; after that a refresh is tried, and if the refresh fails the
 * old token is used while still valid, with a warning on stderr.
 *
 * Single flight: minting holds an flock() on a per-entry lock file in
 * $XDG_RUNTIME_DIR/credkit (else /tmp/credkit-UID, mode 0700), so that of
 * many processes asking at once exactly one calls AWS and the others read
 * its result from the cache.  The kernel drops an flock() with its last
 * holder, so a killed process leaves no stale lock.  A failed mint is
 * remembered too, for fail_cache_ms (see ecr_cache_put_failure()), so that
 * its waiters get its error without asking AWS again.
 *
 * One deadline: a get's budget (timeout_ms) starts when it starts and
 * covers the lock wait, the credentials (a credential_process is stopped
 * at it) and the mint; the first program hands it to the minting program
 * in ECR_DEADLINE_ENV.
 */
#ifndef CREDKIT_ECR_H
#define CREDKIT_ECR_H

#include <stddef.h>
#include <time.h>

#include "backend.h"
#include "config.h"
#include "error.h"
#include "secret.h"

#define ECR_HOST_MAX	272	/* a DNS name, ":" and a port */
#define ECR_ARN_MAX	2048
#define ECR_IDENTITY_MAX 3600

/*
 * The default budget of a get, from its start to its answer: the lock
 * wait, loading the AWS credentials (a credential_process included) and
 * the mint.  One deadline covers them all.
 */
#define ECR_TIMEOUT_MS	9000

/* How long a failed mint is remembered by default (0: not at all). */
#define ECR_FAIL_CACHE_MS 5000

/* The kernel keyring that holds the token cache. */
#define ECR_CACHE_RING	"credkit-tokens"

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
	/* The cache key: "host identity". */
	char key[ECR_HOST_MAX + ECR_IDENTITY_MAX];
};

/*
 * Whether server names an ECR registry, from its host name (scheme, path
 * and port stripped) or, for any host, from the settings file's "ecr"
 * section:
 *
 *   "ecr": {
 *     "profile": "ci", "role_arn": "arn:...", "timeout_ms": 9000,
 *     "fail_cache_ms": 5000,
 *     "registries": {
 *       "registry.example.com": { "account": "123456789012",
 *                                 "region": "eu-west-1" },
 *       "123456789012.dkr.ecr.us-east-1.amazonaws.com": { "profile": "prod" },
 *       "public.ecr.aws": { "profile": "public" }
 *     }
 *   }
 *
 * A registry's own entry ("host:port" first, then "host") wins over the
 * section's defaults.  Returns 1 with r filled (and r->key), 0 when server
 * is not an ECR registry, or -1 with err when the settings for it are
 * malformed.  Reads no file but the settings (cfg) and loads no
 * credentials.
 */
int ecr_registry_find(const char *server, const struct config *cfg,
		      struct ecr_registry *r, struct ck_error *err);

/* A token, as cached. */
struct ecr_token {
	char username[64];		/* "AWS" */
	struct secret password;
	time_t minted;			/* seconds since the epoch */
	time_t expires;
};

#define ECR_TOKEN_INIT { "", SECRET_INIT, 0, 0 }

void ecr_token_release(struct ecr_token *t);

/* Copy t into out (username and secret), as get answers it: 0, or -1. */
int ecr_token_answer(const struct ecr_token *t, struct cred *out, struct ck_error *err);

/* Fresh: less than half its life has passed. */
int ecr_token_fresh(const struct ecr_token *t, time_t now);

/* Usable: still valid for a while (a minute, or a quarter of its life). */
int ecr_token_usable(const struct ecr_token *t, time_t now);

/*
 * The cache, in the kernel keyring ECR_CACHE_RING.  ecr_cache_open()
 * returns a handle, or NULL with err when the kernel keyring cannot be
 * used here.
 */
void *ecr_cache_open(struct ck_error *err);
void ecr_cache_close(void *cache);

/* Returns 1 with *t filled, 0 when there is no entry for key, -1 with err. */
int ecr_cache_get(void *cache, const char *key, struct ecr_token *t,
		  struct ck_error *err);

/* Keep t for key until t->expires.  Returns 0, or -1 with err. */
int ecr_cache_put(void *cache, const char *key, const struct ecr_token *t,
		  struct ck_error *err);

/* Drop every entry of host (any identity).  Returns 0, or -1 with err. */
int ecr_cache_drop(void *cache, const char *host, struct ck_error *err);

/* Call each("https://HOST", "AWS") for every cached host, once each. */
int ecr_cache_list(void *cache, backend_each_fn each, void *data,
		   struct ck_error *err);

/*
 * The failure record: a failed mint for key, kept in the same cache as
 * its token (under a name of its own, so that it never replaces a token
 * still usable) for keep_ms, so that the callers that waited for that
 * mint get its error without asking AWS again.  It holds the error's kind
 * and text only: an error text never holds a secret.  list does not show
 * it; ecr_cache_drop() drops it with the host's tokens.
 * ecr_cache_put_failure() returns 0, or -1 with err;
 * ecr_cache_get_failure() returns 1 with *failed filled (the text says it
 * is a remembered answer), 0 when none is recorded or it is older than
 * keep_ms, -1 with err.
 */
int ecr_cache_put_failure(void *cache, const char *key, const struct ck_error *failed,
			  long keep_ms, struct ck_error *err);
int ecr_cache_get_failure(void *cache, const char *key, long keep_ms,
			  struct ck_error *failed, struct ck_error *err);

/* CLOCK_MONOTONIC in milliseconds: the clock of a get's deadline. */
long ecr_now_ms(void);

/*
 * An entry as a store keeps it: the server is the key, the username the
 * token's, and the secret "MINTED EXPIRES\nPASSWORD" (seconds since the
 * epoch).  ecr_entry_secret() fills s (0, or -1 when memory runs out);
 * ecr_entry_read() fills t from c (0, or -1 when c is not such an entry).
 */
int ecr_entry_secret(const struct ecr_token *t, struct secret *s);
int ecr_entry_read(const struct cred *c, struct ecr_token *t);

/* The length of the host at the start of a cache key; 0 if it is not one. */
size_t ecr_key_host_len(const char *key);

/*
 * The cache in the store for passwords (the Secret Service or pass), where
 * the kernel keyring cannot be used: through that store's helper program
 * (docker-credential-secretservice or -pass, see store_helper_path()), so
 * that this program links none of its libraries.  The store does not
 * expire entries by itself: get treats an expired one as missing, and a
 * new token replaces it.  ecr_store_open() returns 1 with *name set to the
 * store's name when the suite's choice for tokens (store_choose_tokens())
 * is such a store, 0 when it is none, or -1 with err.  The others behave as
 * their ecr_cache_ twins.
 */
int ecr_store_open(const char **name, struct ck_error *err);
int ecr_store_get(const char *name, const char *key, struct ecr_token *t,
		  struct ck_error *err);
int ecr_store_put(const char *name, const char *key, const struct ecr_token *t,
		  struct ck_error *err);
int ecr_store_drop(const char *name, const char *host, struct ck_error *err);
int ecr_store_list(const char *name, backend_each_fn each, void *data,
		   struct ck_error *err);

/*
 * Take the lock of key.  wait_ms 0 tries once.  Returns the lock's file
 * descriptor (close it to release), -2 when the lock is still held by
 * another process after wait_ms (err says so), -3 when no private
 * directory for locks can be had (err says why of each place tried: the
 * caller may go on without the lock), or -1 with err.
 */
int ecr_lock(const char *key, long wait_ms, struct ck_error *err);

struct aws_creds;

/*
 * Mint a token for r with cred: ECR's (or ECR Public's) GetAuthorizationToken
 * at the endpoint AWS_ENDPOINT_URL_ECR (_ECR_PUBLIC), else AWS_ENDPOINT_URL,
 * else the partition's, signed with SigV4, trusting AWS_CA_BUNDLE when set;
 * a 5xx or throttling answer is tried again (three attempts) while the
 * deadline (CLOCK_MONOTONIC ms, see awsnet.h) allows.  Only the minting
 * program links this (libcurl, libcrypto).  Returns 0 with t filled, or -1
 * with err: CK_UNAVAILABLE when ECR cannot be reached or fails, CK_FAILED
 * when it refuses (its own words) or answers what cannot be read.
 */
int ecr_get_token(const struct ecr_registry *r, const struct aws_creds *cred,
		  long deadline_ms, struct ecr_token *t, struct ck_error *err);

/* The variable through which a lock taken by the first program is handed
 * to the minting program (its file descriptor number). */
#define ECR_LOCK_FD_ENV "CREDKIT_ECR_LOCK_FD"

/* The variable through which the first program hands the minting program
 * the get's deadline (ecr_now_ms() milliseconds), so that the lock wait
 * and the mint share one budget. */
#define ECR_DEADLINE_ENV "CREDKIT_ECR_DEADLINE_MS"

#endif
