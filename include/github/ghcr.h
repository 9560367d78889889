/* SPDX-License-Identifier: MIT */
/*
 * ghcr.h - what docker-credential-ghcr knows about GitHub's container
 * registries, where their tokens come from, and how it plugs into the
 * token core (tokens/helper.h).
 *
 * Which hosts: ghcr.io (GitHub host github.com, API https://api.github.com)
 * and the hosts the settings file names, each with its GitHub host and API
 * base (Enterprise Server: containers.HOST, API https://HOST/api/v3;
 * GHE.com: containers.SUB.ghe.com, API https://api.SUB.ghe.com).  Any other
 * host is not ours: "not found", at once, with no child, no network and no
 * credential loaded.
 *
 * Where a token comes from: the sources of the host's order, the first
 * that has one answering (default "store", "env", "file", "gh"):
 *
 *   store  a login kept by docker login, in the suite's store for
 *          passwords (store_choose()), with its own username;
 *   env    gh's variables in gh's order for the kind of host: GH_TOKEN,
 *          GITHUB_TOKEN for github.com and *.ghe.com; GH_ENTERPRISE_TOKEN,
 *          GITHUB_ENTERPRISE_TOKEN for Enterprise Server;
 *   file   the settings' "token_file", refused when group or world may
 *          read it;
 *   gh     `gh auth token --hostname GITHUB-HOST`, bounded, its answer
 *          cached by the token core for gh_cache_seconds.
 *
 * A source that fails (gh missing, logged out, slow; a token file that
 * cannot be read) says so in one line on stderr and the next one is asked;
 * when none has a token the answer is "not found", so that docker goes on
 * anonymously.  The username is the stored one for store, else
 * GITHUB_ACTOR, else "x-access-token" (the registry does not check it).
 *
 * The settings, in the suite's settings file (config.h):
 *
 *   "ghcr": {
 *     "sources": ["store", "env", "file", "gh"],
 *     "kubelet_sources": ["store", "env", "file"],
 *     "token_file": "/run/secrets/ghcr-token",
 *     "gh_timeout_ms": 5000, "gh_cache_seconds": 300,
 *     "hosts": {
 *       "containers.ghe.example.com": { "github": "ghe.example.com",
 *                                       "api": "https://ghe.example.com/api/v3",
 *                                       "sources": ["gh"] }
 *     }
 *   }
 *
 * "kubelet_sources" is the order of a kubelet's get (get-credentials, on
 * a node, where the kubelet runs the helper as root with no gh login):
 * by default store, env (the provider config's env) and file (a mounted
 * secret), without gh.  A host's own entry wins over the section's defaults.  The cheap front
 * runs find() and the sources before "gh" on every get; only the minting
 * program runs gh when no cached token is fresh (with gh_cache_seconds 0
 * the front runs gh itself and nothing is cached).
 */
#ifndef CREDKIT_GHCR_H
#define CREDKIT_GHCR_H

#include <stddef.h>

#include "backend.h"
#include "config.h"
#include "error.h"
#include "tokens/helper.h"

/* The cache's namespace of gh's tokens. */
#define GHCR_NS			"ghcr"

#define GHCR_GH_TIMEOUT_MS	5000	/* gh auth token's bound */
#define GHCR_GH_CACHE_SECONDS	300	/* how long gh's answer is used */
#define GHCR_FAIL_CACHE_MS	5000	/* how long a failed gh is remembered */
#define GHCR_TOKEN_MAX		4096	/* the longest token a source may give */

enum ghcr_source {
	GHCR_STORE,
	GHCR_ENV,
	GHCR_FILE,
	GHCR_GH,
	GHCR_SOURCES		/* how many */
};

/* The kind of GitHub a host belongs to: it decides gh's variables. */
enum ghcr_kind {
	GHCR_DOTCOM,		/* github.com */
	GHCR_GHE_COM,		/* SUB.ghe.com, data residency */
	GHCR_SERVER,		/* GitHub Enterprise Server */
};

/* One registry host: what find() knows of it. */
struct ghcr_host {
	char host[TOKEN_HOST_MAX];	/* as asked, lower-case, "host[:port]" */
	char github[TOKEN_HOST_MAX];	/* gh auth token --hostname this */
	char api[512];			/* the REST API base, no final '/' */
	int api_set;			/* api is the settings', not the default */
	enum ghcr_kind kind;
	enum ghcr_source order[GHCR_SOURCES];
	size_t nr;			/* sources in order (0: none asked) */
	enum ghcr_source kubelet_order[GHCR_SOURCES];	/* for a kubelet's get */
	size_t kubelet_nr;
	char token_file[4096];		/* "" when not set */
	long gh_timeout_ms;
	long gh_cache_seconds;		/* 0: gh's answer is never cached */
	char gh[4096];			/* gh's path on PATH, "" when none */
};

/* "store", "env", "file", "gh". */
const char *ghcr_source_name(enum ghcr_source s);

/*
 * Whether server is a registry of ghcr's: ghcr.io, or a host of the
 * settings' "ghcr"."hosts" (its port as named: a host named without one is
 * port 443).  Returns 1 with h (and t, its cache key, budget and policy,
 * when t is not NULL) filled, 0 when it is not one, or -1 with err when
 * the settings are malformed.  Reads the settings and, when t is not NULL
 * and gh is in the host's order, finds gh on PATH and reads its hosts.yml
 * (for the key); runs nothing.
 */
int ghcr_host_find(const char *server, const struct config *cfg, struct ghcr_host *h,
		   struct token_target *t, struct ck_error *err);

/*
 * A kubelet's get (get-credentials) of h, as ghcr_host_find() filled h and
 * t: h's order becomes its "kubelet_sources" (default store, env, file: a
 * kubelet runs as root with no gh login) and t's key that order's.  0, or
 * -1 with err.
 */
int ghcr_host_kubelet(struct ghcr_host *h, struct token_target *t, struct ck_error *err);

/*
 * Call fn for ghcr.io and for each host of the settings, in that order
 * (the settings' own order), with h filled as ghcr_host_find() fills it.
 * fn returns 0 to go on or -1 (with err) to stop; returns 0, or -1.
 */
int ghcr_hosts_each(const struct config *cfg,
		    int (*fn)(const struct ghcr_host *h, void *data, struct ck_error *err),
		    void *data, struct ck_error *err);

/* The variables gh reads for h, in its order: two names. */
const char *const *ghcr_env_names(const struct ghcr_host *h);

/*
 * Ask source s for h's token (gh: bounded by h->gh_timeout_ms and
 * deadline, a ck_now_ms() point or 0).  Returns 1 with out's username and
 * secret filled and where (size bytes) saying where it came from ("GH_TOKEN",
 * the file's path, ...), 0 when the source has none (where says why), or
 * -1 with err when it failed (a line for stderr, never the token).
 */
int ghcr_source_get(const struct ghcr_host *h, enum ghcr_source s, long deadline,
		    struct cred *out, char *where, size_t size, struct ck_error *err);

/*
 * What a token looks like: "ghp_" (classic personal access token),
 * "gho_" (OAuth, gh's), "ghs_" (an installation's: Actions' GITHUB_TOKEN),
 * "ghu_" (a GitHub App's user token), "github_pat_" (fine-grained, which
 * the registry refuses), or "" for none of them.  Never the token itself.
 */
const char *ghcr_token_kind(const char *token);

/* The one line to print when a token's kind is one the registry refuses, or NULL. */
const char *ghcr_token_warning(const char *token);

/* The username of a token that came with none: GITHUB_ACTOR, else x-access-token. */
const char *ghcr_username(void);

/*
 * How long past its minting a gh token must expire to be used (the token
 * core's usable margin taken off) for seconds: the record's life.
 */
long ghcr_life_seconds(long seconds);

/*
 * A gh token's record, for gh_cache_seconds seconds (> 0): its life,
 * ghcr_life_seconds(2 * seconds), and the share of it that is fresh, so
 * that gh is asked again after seconds, and its token still answered for
 * as long again when gh then fails (hangs, prints no token, exits
 * non-zero) with its login unchanged (gh's hosts.yml is in the key).
 */
long ghcr_record_life(long seconds);
int ghcr_fresh_percent(long seconds);

/*
 * The token in text's len bytes (not NUL-terminated): what `gh auth token`
 * printed, or a token file's content.  Its final line breaks are not the
 * token's.  Returns the token's length (the token is text's first bytes),
 * or 0 when what is left is no token: empty, over GHCR_TOKEN_MAX bytes, or
 * holding a space, a control character or DEL.
 */
size_t ghcr_token_take(const char *text, size_t len);

/*
 * The error of a `gh auth token --hostname github` that did not exit 0:
 * status is its waitpid() status, diag (diag_len bytes, maybe holding
 * NULs) the end of its stderr.  err (CK_UNAVAILABLE) gets one printable
 * line: the exit or signal, gh's first line (cut to 300 bytes; "it gave no
 * reason" when empty) and, when gh said "no oauth token", how to log in.
 * Returns -1.
 */
int ghcr_gh_failed(const char *github, int status, const char *diag, size_t diag_len,
		   struct ck_error *err);

/* docker-credential-ghcr, as the token core sees it. */
extern const struct token_helper ghcr_tokens;

/*
 * The minting program's mint(): gh auth token for the host's GitHub host,
 * fresh for gh_cache_seconds and usable for the record's life
 * (ghcr_record_life()); when gh fails, one line on stderr and -1 with err
 * of kind CK_NOT_FOUND (the sources after gh are asked next).
 */
int ghcr_mint(const struct token_target *target, const void *own, long deadline,
	      struct token *t, struct ck_error *err);

#endif
