/* SPDX-License-Identifier: MIT */
/*
 * identity.c - the digest of what decides whose token a caller gets (see
 * tokens/identity.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "secret.h"
#include "tokens/identity.h"

void token_id_start(struct token_id *id)
{
	SHA256_Init(&id->sha);
}

void token_id_add(struct token_id *id, const char *name, const void *value, size_t len)
{
	uint64_t n = strlen(name), m = value ? len + 1 : 0;	/* unset and "" differ */

	SHA256_Update(&id->sha, &n, sizeof(n));
	SHA256_Update(&id->sha, name, n);
	SHA256_Update(&id->sha, &m, sizeof(m));
	if (value)
		SHA256_Update(&id->sha, value, len);
}

void token_id_string(struct token_id *id, const char *name, const char *value)
{
	token_id_add(id, name, value, value ? strlen(value) : 0);
}

void token_id_env(struct token_id *id, const char *const *names, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		token_id_string(id, names[i], config_env(names[i]));
}

void token_id_file(struct token_id *id, const char *name, const char *path, size_t max)
{
	char *buf = NULL;
	ssize_t n = -1;
	size_t len = 0;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;

	if (fd >= 0 && (buf = malloc(max + 1))) {
		while (len < max && (n = read(fd, buf + len, max - len)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			len += (size_t)n;
		}
	}
	if (fd >= 0)
		close(fd);
	/* Unreadable and missing alike: only that it could not be read. */
	token_id_add(id, name, buf && n >= 0 ? buf : NULL, len);
	if (buf) {
		secure_wipe(buf, len);
		free(buf);
	}
}

void token_id_end(struct token_id *id, char hex[TOKEN_ID_HEX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256_Final(md, &id->sha);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	secure_wipe(md, sizeof(md));
	secure_wipe(&id->sha, sizeof(id->sha));
}
