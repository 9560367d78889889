/* SPDX-License-Identifier: MIT */
/*
 * key.c - telling a token cache entry from a login (see tokens/token.h).
 */
#include <string.h>

#include "tokens/token.h"

int token_is_key(const char *server, const char *ns)
{
	size_t n = sizeof(TOKEN_KEY_PREFIX) - 1, m;

	if (strncmp(server, TOKEN_KEY_PREFIX, n))
		return 0;
	if (!ns)
		return 1;
	m = strlen(ns);
	return !strncmp(server + n, ns, m) && server[n + m] == ' ';
}
