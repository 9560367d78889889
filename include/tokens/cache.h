/* SPDX-License-Identifier: MIT */
/*
 * cache.h - where the token helpers keep what they mint, and the lock of
 * their single flight.
 *
 * The cache is the kernel keyring (its keyring TOKEN_RING, apart from the
 * passwords the keyctl helper keeps): memory only, per user, and the kernel
 * drops an entry at its token's expiry.  Where keyctl is refused (a seccomp
 * profile), the suite's store for passwords (store_choose_tokens(): the
 * Secret Service or pass), through that store's own helper program so that
 * no token helper links its libraries.  Else nothing: CREDKIT_STORE=none,
 * or no store at all; tokens then live as long as the process.  Never a
 * plaintext file.
 *
 * Keys are namespaced per helper: "credkit-token:NS SCOPE IDENTITY", where
 * NS is the helper's ("ecr", "ghcr"), SCOPE what one token is good for (an
 * AWS region) and IDENTITY whose token it is.  A helper lists and erases
 * only the entries of its namespace; the storage helpers' list shows none
 * of them (they are not logins: see TOKEN_LIST_ENV); no registry address
 * has a space, so a token entry never answers a registry's get.
 */
#ifndef CREDKIT_TOKEN_CACHE_H
#define CREDKIT_TOKEN_CACHE_H

#include "backend.h"
#include "error.h"
#include "tokens/token.h"

#define TOKEN_RING		"credkit-tokens"
#define TOKEN_KEY_MAX		(sizeof(TOKEN_KEY_PREFIX) + TOKEN_NS_MAX + 80 + TOKEN_IDENTITY_MAX)

/* What one get asks of the token core, filled by the helper's find(). */
struct token_target {
	char host[TOKEN_HOST_MAX];	/* as asked, lower-case, "host[:port]" */
	char identity[TOKEN_IDENTITY_MAX]; /* whose token: no secret in clear */
	char key[TOKEN_KEY_MAX];	/* token_target_key() */
	long timeout_ms;		/* the budget of a get, start to answer */
	long fail_cache_ms;		/* how long a failed mint is remembered */
	int fresh_percent;		/* of a token's life; see token_fresh() */
};

/*
 * Set t->identity and t->key from the helper's namespace, the scope and
 * the identity (printable, no newline; control bytes become '?').
 * Returns 0, or -1 with err when they do not fit.
 */
int token_target_key(struct token_target *t, const char *ns, const char *scope,
		     const char *identity, struct ck_error *err);

enum token_cache_kind {
	TOKEN_CACHE_NONE,
	TOKEN_CACHE_KEYRING,
	TOKEN_CACHE_STORE,
};

struct token_cache {
	enum token_cache_kind kind;
	const char *ns;			/* the helper's namespace */
	void *ring;			/* TOKEN_CACHE_KEYRING: the keyring */
	const char *store;		/* TOKEN_CACHE_STORE: "secretservice", "pass" */
	char why[512];			/* TOKEN_CACHE_NONE: why */
};

/*
 * Open the cache of namespace ns.  keyring_only: the kernel keyring or
 * nothing (the cheap front answers from it alone; whatever else is the
 * minting program's).  Never fails: a cache that cannot be had is kind
 * TOKEN_CACHE_NONE with the reason in why.
 */
void token_cache_open(struct token_cache *c, const char *ns, int keyring_only);
void token_cache_close(struct token_cache *c);

/*
 * The token of target: 1 with *t filled, 0 when none is kept (or what is
 * kept is another identity's, or not a token record), -1 with err.
 */
int token_cache_get(struct token_cache *c, const struct token_target *target,
		    struct token *t, struct ck_error *err);

/* Keep t for target until it expires.  Returns 0, or -1 with err. */
int token_cache_put(struct token_cache *c, const struct token_target *target,
		    const struct token *t, struct ck_error *err);

/*
 * Drop every entry of the namespace that answered for target's host, any
 * identity, with their failure records, and target's own entry and failure
 * record whatever hosts they name.
 */
int token_cache_drop(struct token_cache *c, const struct token_target *target,
		     struct ck_error *err);

/*
 * Call each("https://HOST", username) for every host of every entry (a
 * host cached for two identities comes twice; the protocol's list, a JSON
 * object, keeps it once).
 */
int token_cache_list(struct token_cache *c, backend_each_fn each, void *data,
		     struct ck_error *err);

/*
 * The failure record: a failed mint for target, kept in the kernel keyring
 * beside its token (under a name of its own, so that it never replaces a
 * token still usable) for keep_ms, so that the callers that waited for that
 * mint get its error without asking again.  It holds the error's kind and
 * text only: an error text never holds a secret.  list does not show it;
 * token_cache_drop() drops it with its token.  Other caches keep no
 * failures.  put returns 0, or -1 with err; get returns 1 with *failed
 * filled (the text says it is a remembered answer), 0 when none is
 * recorded or it is older than keep_ms.
 */
int token_cache_put_failure(struct token_cache *c, const struct token_target *target,
			    const struct ck_error *failed, struct ck_error *err);
int token_cache_get_failure(struct token_cache *c, const struct token_target *target,
			    struct ck_error *failed);

/*
 * For doctor: print on stdout every entry of the namespace (what the cache
 * is first): its scope, the readable part of its identity (what comes
 * before " #", the digest of the rest never), the hosts it answered for,
 * when it was minted and expires (UTC) and whether it is fresh (for
 * fresh_percent of its life), usable or expired (token.h), then each
 * remembered failure with its age and how long it is kept.  Never a
 * secret: no token and no digest's input is printed.  Returns 0, or -1
 * with err when the cache cannot be listed.
 */
int token_cache_doctor(struct token_cache *c, int fresh_percent, struct ck_error *err);

/*
 * Take the single-flight lock of target in namespace ns.  wait_ms 0 tries
 * once.  Returns the lock's file descriptor (close it to release; the
 * kernel releases it when its last holder dies), -2 when another process
 * still holds it after wait_ms (err says so), -3 when no private directory
 * for locks can be had (err says why of each place tried: the caller goes
 * on without the lock), or -1 with err.
 */
int token_lock(const char *ns, const struct token_target *target, long wait_ms,
	       struct ck_error *err);

#endif
