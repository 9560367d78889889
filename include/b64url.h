/* SPDX-License-Identifier: MIT */
/*
 * b64url.h - base64url (RFC 4648, section 5) on OpenSSL's base64 blocks.
 *
 * pass names its folders in it (Go's base64.URLEncoding, padded) and a
 * JWT's parts are in it (unpadded); both decode through here.  Only the
 * programs that call it link it, with libcrypto.
 */
#ifndef CREDKIT_B64URL_H
#define CREDKIT_B64URL_H

#include <stddef.h>

/*
 * Decode the len bytes of base64url at s, with or without its '=' padding,
 * into *out, a new NUL-terminated buffer of *out_len bytes that the caller
 * frees with secure_free() (it may hold a secret).  Returns 0, or -1 when s
 * is not base64url (a byte outside the alphabet, '=' anywhere but at the
 * end, a length no encoding has) or on ENOMEM, with *out NULL.
 */
int b64url_decode(const char *s, size_t len, char **out, size_t *out_len);

#endif
