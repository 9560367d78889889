/* SPDX-License-Identifier: MIT */
/*
 * token.h - a minted registry token, as the token helpers cache it, and
 * when it is still good.
 *
 * A token belongs to one identity (the principal it was minted for, as the
 * helper names it: never a secret in clear) and is good for every registry
 * host that identity reaches in its scope (an AWS region, a GitHub host).
 * The record keeps the hosts it has answered for, so that list and erase
 * can speak of hosts while the cache keeps one entry per identity.
 */
#ifndef CREDKIT_TOKEN_H
#define CREDKIT_TOKEN_H

#include <stddef.h>
#include <time.h>

#include "backend.h"
#include "secret.h"

#define TOKEN_HOST_MAX		272	/* a DNS name, ":" and a port */
#define TOKEN_USER_MAX		128
#define TOKEN_IDENTITY_MAX	3600
#define TOKEN_HOSTS_MAX		2048	/* the hosts served, space-separated */

/* A cache entry's key starts so, then names its namespace (tokens/cache.h). */
#define TOKEN_KEY_PREFIX	"credkit-token:"
#define TOKEN_NS_MAX		16

/*
 * A storage helper's list shows token entries only when this variable
 * names their namespace, and then only those: set by the token cache when
 * it runs the store's helper, never by a user.
 */
#define TOKEN_LIST_ENV		"CREDKIT_TOKEN_LIST"

/*
 * Whether server is a token entry's key (of namespace ns, or any: NULL).
 * In a file of its own, so that a storage helper's list links nothing
 * else of the token core.
 */
int token_is_key(const char *server, const char *ns);

struct token {
	char username[TOKEN_USER_MAX];
	struct secret secret;
	time_t minted;			/* seconds since the epoch */
	time_t expires;
	char identity[TOKEN_IDENTITY_MAX];	/* whose token it is */
	char hosts[TOKEN_HOSTS_MAX];	/* "HOST HOST ...": answered for */
};

#define TOKEN_INIT { "", SECRET_INIT, 0, 0, "", "" }

/* Wipe and clear t; it may be reused. */
void token_release(struct token *t);

/* Copy t's username and secret into out, as get answers: 0, or -1 with err. */
int token_answer(const struct token *t, struct cred *out, struct ck_error *err);

/*
 * The refresh policy.  Fresh: younger than fresh_percent of its life (and
 * usable); a fresh token is answered without asking anyone.  Usable: valid
 * for a margin more (a minute, or a quarter of its life when that is
 * shorter); a usable token that is not fresh is answered while a refresh
 * is tried, and when that refresh fails.  A token minted in the future (a
 * clock set back) is neither.
 */
int token_fresh(const struct token *t, int fresh_percent, time_t now);
int token_usable(const struct token *t, time_t now);

/* The second from which t is no longer usable: its expiry less the margin. */
time_t token_usable_until(const struct token *t);

/*
 * t as "YYYY-MM-DD HH:MM:SS UTC" into buf (size bytes), or as its number
 * when no calendar date holds it (a year past int's).
 */
void token_utc(time_t t, char *buf, size_t size);

/* Whether host is among the hosts t answered for. */
int token_has_host(const struct token *t, const char *host);

/*
 * Add host to those t answered for: 1 added, 0 already there (or not a
 * host), -1 no room left (TOKEN_HOSTS_MAX).
 */
int token_add_host(struct token *t, const char *host);

/*
 * A token as a store entry keeps it: the entry's username is the token's,
 * its secret the record
 *
 *   "credkit-token 1 MINTED EXPIRES\nIDENTITY\nHOSTS\nSECRET"
 *
 * token_encode() fills s from t's times and secret, with identity and
 * host_list as given (0, or -1 when memory runs out or they hold a newline);
 * token_decode() fills t from an entry (0, or -1 when it is not such a
 * record, which a caller treats as no entry).
 */
int token_encode(const struct token *t, const char *identity, const char *host_list,
		 struct secret *s);
int token_decode(const char *username, const struct secret *s, struct token *t);

#endif
