/* SPDX-License-Identifier: MIT */
/*
 * identity.h - a digest of whatever decides whose token a caller gets.
 *
 * A token helper's cache key must tell apart any two callers whose tokens
 * may differ, with no secret in clear and no network: it names what it
 * can readably, and adds a SHA-256 of the rest.  Each value is added with
 * its name and its length, so that no two lists of values run together,
 * and an unset value differs from an empty one.  SHA-256 comes from the
 * few objects of libcrypto.a that do it (a front links them, never
 * libcrypto.so).
 */
#ifndef CREDKIT_TOKEN_IDENTITY_H
#define CREDKIT_TOKEN_IDENTITY_H

#include <stddef.h>

#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA-256 alone: no EVP, no providers */
#include <openssl/sha.h>

#define TOKEN_ID_HEX	(2 * SHA256_DIGEST_LENGTH + 1)

struct token_id {
	SHA256_CTX sha;
};

void token_id_start(struct token_id *id);

/* Add value[len] under name; value NULL: unset. */
void token_id_add(struct token_id *id, const char *name, const void *value, size_t len);

/* Add a string under name (NULL: unset), and each environment variable of
 * names[nr] (config_env(): an empty one counts as unset). */
void token_id_string(struct token_id *id, const char *name, const char *value);
void token_id_env(struct token_id *id, const char *const *names, size_t nr);

/*
 * Add the contents of the file at path (NULL, missing or unreadable: a
 * mark of its own, so that a file made later changes the digest), read
 * whole into wiped memory, at most max bytes (more: the first max).
 */
void token_id_file(struct token_id *id, const char *name, const char *path, size_t max);

/* The digest as lower-case hex; id is wiped. */
void token_id_end(struct token_id *id, char hex[TOKEN_ID_HEX]);

#endif
