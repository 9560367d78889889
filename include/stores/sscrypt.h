/* SPDX-License-Identifier: MIT */
/*
 * sscrypt.h - the Secret Service's "dh-ietf1024-sha256-aes128-cbc-pkcs7"
 * transport encryption, on libgcrypt.
 *
 * The client and the service agree on an AES-128 key by Diffie-Hellman in
 * the 1024-bit MODP group of RFC 2409 (generator 2); the key is HKDF-SHA256
 * of the shared value (left-padded to 128 bytes, no salt, no info).  Each
 * secret then crosses the bus as AES-128-CBC with PKCS#7 padding under a
 * fresh 16-byte IV.  Nothing here talks to D-Bus.
 *
 * Why libgcrypt and not OpenSSL: sd-bus's libsystemd already maps libgcrypt
 * into the process, and it is what libsecret and gnome-keyring use for this
 * very algorithm.  Measured here, loading libcrypto costs 2.8 ms and its
 * first provider fetches (HKDF, AES) 2.5 ms more, against 0.5 ms for all of
 * this with libgcrypt: most of the time a whole get may take.
 */
#ifndef CREDKIT_SSCRYPT_H
#define CREDKIT_SSCRYPT_H

#include <stddef.h>

#include "error.h"
#include "secret.h"

#define SSCRYPT_ALGORITHM "dh-ietf1024-sha256-aes128-cbc-pkcs7"
#define SSCRYPT_PUBLIC_LEN 128	/* bytes of a public value */
#define SSCRYPT_IV_LEN 16

struct sscrypt {
	void *priv;		/* our DH private exponent (a gcry_mpi_t), wiped */
	unsigned char key[16];	/* the AES key once sscrypt_finish() ran */
	int ready;
};

#define SSCRYPT_INIT { NULL, { 0 }, 0 }

/*
 * Make a key pair and write our public value, big-endian, to pub.
 * Returns 0, or -1 with err.
 */
int sscrypt_begin(struct sscrypt *c, unsigned char pub[SSCRYPT_PUBLIC_LEN],
		  struct ck_error *err);

/*
 * Derive the AES key from the service's public value (big-endian, any
 * length up to 128 bytes).  Refuses values outside 2..p-2.  The private
 * exponent is wiped afterwards.  Returns 0, or -1 with err.
 */
int sscrypt_finish(struct sscrypt *c, const unsigned char *peer, size_t len,
		   struct ck_error *err);

/*
 * Encrypt plain under a fresh IV.  *out (malloc'ed, *outlen bytes) is the
 * ciphertext; iv is filled.  Returns 0, or -1 with err.
 */
int sscrypt_encrypt(const struct sscrypt *c, const char *plain, size_t len,
		    unsigned char iv[SSCRYPT_IV_LEN], unsigned char **out,
		    size_t *outlen, struct ck_error *err);

/*
 * Decrypt a secret the service sent into out (wiped on release).
 * Returns 0, or -1 with err (a wrong key shows up as bad padding).
 */
int sscrypt_decrypt(const struct sscrypt *c, const unsigned char *iv, size_t ivlen,
		    const unsigned char *in, size_t len, struct secret *out,
		    struct ck_error *err);

/* Wipe the key pair and the AES key. */
void sscrypt_release(struct sscrypt *c);

#endif
