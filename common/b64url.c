/* SPDX-License-Identifier: MIT */
/*
 * b64url.c - base64url decoding through EVP_DecodeBlock().  See
 * include/b64url.h.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64url.h"
#include "secret.h"

#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

int b64url_decode(const char *s, size_t len, char **out, size_t *out_len)
{
	size_t body = strspn(s, ALPHABET), i, padded;
	unsigned char *std = NULL;
	int n, pad;

	*out = NULL;
	*out_len = 0;
	if (body > len)
		body = len;
	/* Up to two '=' end it, and only a whole last block is padded. */
	for (i = body; i < len && s[i] == '=' && i - body < 2; i++)
		;
	if (i != len || body % 4 == 1 || (len > body && len % 4))
		return -1;
	padded = (body + 3) / 4 * 4;
	std = malloc(padded + 1);
	*out = malloc(padded / 4 * 3 + 1);
	if (!std || !*out)
		goto fail;
	/* EVP_DecodeBlock takes the standard alphabet, whole blocks only. */
	for (i = 0; i < body; i++)
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : (unsigned char)s[i];
	for (pad = 0; i < padded; i++, pad++)
		std[i] = '=';
	/* It counts the bytes that the padding stands for: drop them. */
	n = EVP_DecodeBlock((unsigned char *)*out, std, (int)padded);
	if (n < pad)
		goto fail;
	*out_len = (size_t)(n - pad);
	(*out)[*out_len] = '\0';
	secure_free(std);
	return 0;
fail:
	secure_free(std);
	secure_free(*out);
	*out = NULL;
	return -1;
}
