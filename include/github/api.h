/* SPDX-License-Identifier: MIT */
/*
 * api.h - what GitHub's API says of the tokens docker-credential-ghcr
 * would hand over: `doctor --online`, the helper's only networked verb,
 * run in its minting program (the one that links libcurl).
 *
 * For each GitHub registry host the settings know (ghcr.io and the hosts
 * of "ghcr"), the token the host's sources give is shown to the API as
 * GitHub's own clients do (GET {api}/user, "Authorization: token ...")
 * and the answer's X-OAuth-Scopes tells whether the registry will take
 * it: read:packages to pull, write:packages to push.  Every exchange is
 * bounded (API_TIMEOUT_MS in api.c); the token is never printed, only its
 * kind and length.
 */
#ifndef CREDKIT_GITHUB_API_H
#define CREDKIT_GITHUB_API_H

#include "config.h"
#include "error.h"
#include "tokens/http.h"

/* What GitHub's answer to GET {api}/user says of the token it was asked with. */
struct github_user {
	long status;		/* the answer's HTTP status */
	char login[128];	/* its JSON's "login", printable; "" when none */
	char message[200];	/* its JSON's "message" (an error's), printable; or "" */
	int listed;		/* it had X-OAuth-Scopes (a classic or OAuth token) */
	const char *scopes;	/* that header's value, borrowed from the answer; or "" */
	int pull, push;		/* the scopes grant read:packages, write:packages
				 * (write:packages holds read:packages) */
};

/*
 * Read resp, an answer to GET /user as http_do() gave it (status, body,
 * X-OAuth-Scopes kept), into u.  Any body is taken: one that is not a
 * JSON object, or lacks a string, leaves "" for it.  u->scopes points into
 * resp, which must outlive u.
 */
void github_user_read(const struct http_response *resp, struct github_user *u);

/*
 * doctor --online (a token_online_fn, tokens/helper.h): for each host, the
 * token's source and kind, the login, the scopes, whether pull and push
 * will be allowed and the command that adds a missing scope; on stdout,
 * never the token.  0 when every host that has a token passed, or -1 with
 * err (CK_FAILED) naming how many did not: a refused token (401), a
 * fine-grained one, no read:packages, an API that cannot be reached.
 */
int github_online(const struct config *cfg, struct ck_error *err);

#endif
