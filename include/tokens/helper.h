/* SPDX-License-Identifier: MIT */
/*
 * helper.h - a token helper: two programs on one token core.
 *
 * A token helper mints short-lived registry tokens on demand.  It is two
 * programs, so that the common case stays cheap:
 *
 *  - the front, docker-credential-NAME, answers get from the cache in the
 *    kernel keyring (cache.h).  It links no libcurl, libcrypto or GLib: a
 *    cached get costs about what starting a program costs.
 *  - the minting program, docker-credential-NAME-mint under
 *    ../libexec/credkit/ beside the front (or where the helper's override
 *    variable names), mints a token.  The front replaces itself with it
 *    (exec, the server on stdin) only when no fresh token is cached, or
 *    when the kernel keyring cannot be used (the minter then keeps tokens
 *    in the store for passwords, or nowhere).
 *
 * What the core does for every token helper, written once:
 *
 *  - the refresh policy (token.h): a fresh token is answered; a usable one
 *    past its fresh point is answered while one caller refreshes it, and
 *    when the refresh fails (with a line on stderr);
 *  - single flight: one mint per cache key at a time, under token_lock();
 *    the others wait (bounded by their deadline) and read its token, or its
 *    failure, remembered for the target's fail_cache_ms, without asking
 *    again.  The front takes the lock and hands it to the minter
 *    (TOKEN_LOCK_FD_ENV), so that it is never released in between;
 *  - one deadline, from the start of a get to its answer: the lock wait,
 *    the helper's credentials and the mint share target->timeout_ms.  The
 *    front hands it to the minter (TOKEN_DEADLINE_ENV);
 *  - store (accepted and ignored: tokens are minted, not typed in), erase
 *    (drops the cached token of a host) and list (the hosts cached);
 *  - the kubelet's image credential provider mode, `get-credentials`: one
 *    CredentialProviderRequest on stdin, one response on stdout (auth keyed
 *    by the image's host[:port], cacheKeyType Registry, cacheDuration a
 *    share of the token's remaining life), through the same get; errors:
 *    one line on stderr, exit 1, nothing on stdout.
 *
 * doctor, for every token helper: the cache's entries (token_cache_doctor():
 * scope, readable identity, hosts, expiry, remembered failures), then
 * the helper's own doctor() and, with --online, its online checks.
 *
 * What a token helper writes itself: a struct token_helper (its names,
 * find(), and where it has credentials of its own, direct(), store(),
 * erase() and list()), a front main() calling token_front_main(), and a
 * minter main() calling token_mint_main() with its mint().
 */
#ifndef CREDKIT_TOKEN_HELPER_H
#define CREDKIT_TOKEN_HELPER_H

#include "config.h"
#include "engine.h"
#include "error.h"
#include "tokens/cache.h"
#include "tokens/kubelet.h"
#include "tokens/token.h"

/*
 * How a front hands the minter its lock, its deadline (ck_now_ms()) and
 * that it asked direct(TOKEN_BEFORE) already.
 */
#define TOKEN_LOCK_FD_ENV	"CREDKIT_TOKEN_LOCK_FD"
#define TOKEN_DEADLINE_ENV	"CREDKIT_TOKEN_DEADLINE_MS"
#define TOKEN_ASKED_ENV		"CREDKIT_TOKEN_ASKED"

/*
 * For tests, which ask again at once after a failure on purpose: how long
 * a failed mint is remembered, in ms, over what find() said (0: not).
 */
#define TOKEN_FAIL_CACHE_ENV	"CREDKIT_TOKEN_FAIL_CACHE_MS"

/* When a helper's direct() is asked (see struct token_helper). */
enum token_phase {
	TOKEN_BEFORE,		/* before the cache, on every get */
	TOKEN_AFTER,		/* after the mint found no credential */
};

/* What a target gets where find() leaves timeout_ms or fresh_percent 0. */
#define TOKEN_TIMEOUT_MS	9000
#define TOKEN_FRESH_PERCENT	50

struct token_helper {
	const char *name;		/* "ecr-login": docker-credential-ecr-login */
	const char *ns;			/* "ecr": the cache's namespace (cache.h) */
	const char *minter_env;		/* "CREDKIT_ECR_MINT": the minter's path */
	const char *summary;		/* one line for --help */
	const char *notes;		/* lines for --help, or NULL */
	size_t own_size;		/* the bytes find() fills at own */

	/*
	 * Whether server is a registry of this helper: 1 with target (and own,
	 * the helper's own view of it) filled, 0 when it is not, -1 with err
	 * (bad settings).  Network-free and cheap: the front runs it on every
	 * get.  target->host must be set, and target->key tell apart any two
	 * callers whose tokens may differ (token_target_key()).
	 */
	int (*find)(const char *server, const struct config *cfg,
		    struct token_target *target, void *own, struct ck_error *err);

	/*
	 * Optional (NULL: none).  Credentials the helper answers itself,
	 * beside the cache: sources cheaper than a cache read, or that must
	 * win over a cached token (a login kept by docker login, a variable).
	 * TOKEN_BEFORE is asked on every get before the cache; TOKEN_AFTER
	 * when the mint (or a remembered mint) found no credential
	 * (CK_NOT_FOUND or CK_NO_CREDENTIALS), in the program that knows it.
	 * Returns 1 with out filled, 0 to go on, or -1 with err (CK_NOT_FOUND:
	 * the protocol's not-found text, and neither cache nor mint is asked).
	 */
	int (*direct)(enum token_phase phase, const struct token_target *target,
		      const void *own, struct cred *out, struct ck_error *err);

	/*
	 * Optional: what store, erase and list do beside the cache.  store
	 * gets a login for one of the helper's registries (NULL: a login is
	 * accepted and ignored: tokens are minted, not typed in); erase runs
	 * after the cache dropped the host's tokens; list adds the helper's
	 * own entries to the cached hosts.  0, or -1 with err.
	 */
	int (*store)(const struct cred *c, const struct token_target *target,
		     const void *own, struct ck_error *err);
	int (*erase)(const struct token_target *target, const void *own,
		     struct ck_error *err);
	int (*list)(const struct config *cfg, backend_each_fn each, void *data,
		    struct ck_error *err);

	/*
	 * Optional: what doctor prints on stdout after the stores and the
	 * cache's entries (token_cache_doctor(); see struct helper):
	 * for each registry the helper knows from cfg, where its credentials
	 * would come from and why, never a secret; online: the checks that
	 * need the network.  0, or -1 with err.
	 */
	int (*doctor)(const struct config *cfg, int online, struct ck_error *err);
	/*
	 * Set when doctor needs the minting program's libraries (the AWS
	 * chain's explain mode): the front then hands doctor to it, which
	 * sets its own doctor (a copy of the struct) in token_mint_main().
	 */
	int doctor_in_minter;

	/*
	 * The kubelet mode (`get-credentials`, see tokens/kubelet.h): the share
	 * of a token's remaining life the kubelet may cache the answer for
	 * (0: TOKEN_FRESH_PERCENT; 100: until its refresh point, as long as
	 * our cache answers it without asking again), and optionally kubelet(), run after find()
	 * for a kubelet's request: what the request says of the caller (a
	 * service account's token and annotations) may change the target's
	 * identity and key (token_target_key()) and the helper's own; the
	 * request is the process's for the whole get (the minting program
	 * parses it again from its stdin).  0, or -1 with err.
	 */
	int kubelet_cache_percent;

	/*
	 * Optional: the registries the helper serves that cfg names (and any
	 * it always serves, as ghcr.io), for `configure` without hosts (see
	 * struct helper's hosts): each(host, NULL, data, err) once a host.
	 */
	int (*hosts)(const struct config *cfg, backend_each_fn each, void *data,
		     struct ck_error *err);
	int (*kubelet)(const struct kubelet_request *req, struct token_target *target,
		       void *own, struct ck_error *err);
};

/*
 * Mint a token for target (own as find() filled it) by deadline
 * (ck_now_ms() ms): 0 with t's username, secret and expiry filled (minted
 * is now when left 0), or -1 with err (CK_UNAVAILABLE: cannot reach or
 * failed; CK_FAILED: refused; CK_NO_CREDENTIALS: nothing to mint with).
 * A failure is remembered for the target's fail_cache_ms unless the
 * deadline had passed: running out of time is the caller's, not the
 * service's answer.
 */
typedef int (*token_mint_fn)(const struct token_target *target, const void *own,
			     long deadline, struct token *t, struct ck_error *err);

/*
 * The checks of `doctor --online`, after doctor's own (NULL: none): the
 * minting program's alone, since they need the network (the front runs
 * the minting program for them).  Prints on stdout, never a secret; 0, or
 * -1 with err.
 */
typedef int (*token_online_fn)(const struct config *cfg, struct ck_error *err);

/*
 * One line on stderr, "docker-credential-NAME: ..." of the helper running
 * (never a secret): what a token helper says beside its answer.
 */
void token_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The front's main() and the minting program's; they return the exit
 * status.  The minting program has no configure (credkit_serve()): docker
 * is pointed at the front.
 */
int token_front_main(const struct token_helper *h, int argc, char **argv);
int token_mint_main(const struct token_helper *h, token_mint_fn mint,
		    token_online_fn online, int argc, char **argv);

#endif
