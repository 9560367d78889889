/* SPDX-License-Identifier: MIT */
/*
 * sscrypt.c - Secret Service transport encryption.  See include/stores/sscrypt.h.
 *
 * The group is the second Oakley group of RFC 2409 (1024-bit MODP, g = 2),
 * which the Secret Service specification names for this algorithm.
 */
#include <errno.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "stores/sscrypt.h"

static const char rfc2409_prime_1024[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
	"FFFFFFFFFFFFFFFF";

/*
 * Our private exponent has 256 bits: 128-bit security against a search for
 * it, far beyond the 80 bits the 1024-bit group itself offers, and each
 * modular exponentiation is four times cheaper than with a full-size one.
 */
#define SSCRYPT_EXPONENT_LEN 32

static int crypto_error(struct ck_error *err, const char *what)
{
	return ck_error(err, CK_FAILED,
			"cannot %s for the Secret Service session (libgcrypt failed)", what);
}

/* Initialise libgcrypt once, without secure memory (we wipe instead). */
static int gcrypt_ready(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return 0;
	if (!gcry_check_version(GCRYPT_VERSION))
		return -1;
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

/* Fill buf with len bytes from the kernel's CSPRNG. */
static int random_bytes(unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = getrandom(buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static gcry_mpi_t prime(void)
{
	gcry_mpi_t p = NULL;

	if (gcry_mpi_scan(&p, GCRYMPI_FMT_HEX, rfc2409_prime_1024, 0, NULL))
		return NULL;
	return p;
}

/* Write v big-endian into exactly SSCRYPT_PUBLIC_LEN bytes, left-padded. */
static int to_bytes(gcry_mpi_t v, unsigned char out[SSCRYPT_PUBLIC_LEN])
{
	size_t n = 0;

	if (gcry_mpi_print(GCRYMPI_FMT_USG, NULL, 0, &n, v) || n > SSCRYPT_PUBLIC_LEN)
		return -1;
	memset(out, 0, SSCRYPT_PUBLIC_LEN - n);
	return gcry_mpi_print(GCRYMPI_FMT_USG, out + SSCRYPT_PUBLIC_LEN - n, n, NULL, v)
		? -1 : 0;
}

int sscrypt_begin(struct sscrypt *c, unsigned char pub[SSCRYPT_PUBLIC_LEN],
		  struct ck_error *err)
{
	unsigned char raw[SSCRYPT_EXPONENT_LEN];
	gcry_mpi_t p = NULL, x = NULL, y = NULL;
	int ret = -1;

	if (gcrypt_ready() || !(p = prime()) || random_bytes(raw, sizeof(raw))) {
		crypto_error(err, "make a key pair");
		goto out;
	}
	/* Below 2, x would give a known public value. */
	if (gcry_mpi_scan(&x, GCRYMPI_FMT_USG, raw, sizeof(raw), NULL) ||
	    gcry_mpi_cmp_ui(x, 1) <= 0) {
		crypto_error(err, "make a key pair");
		goto out;
	}
	y = gcry_mpi_new(0);
	gcry_mpi_powm(y, GCRYMPI_CONST_TWO, x, p);
	if (to_bytes(y, pub)) {
		crypto_error(err, "make a key pair");
		goto out;
	}
	gcry_mpi_release(c->priv);
	c->priv = x;
	x = NULL;
	ret = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	gcry_mpi_release(x);
	gcry_mpi_release(y);
	gcry_mpi_release(p);
	return ret;
}

/*
 * HKDF-SHA256 (RFC 5869) of ikm with no salt and no info, 16 bytes out:
 * PRK = HMAC(zeros, ikm), then the first block HMAC(PRK, 0x01).
 */
static int derive_key(const unsigned char *ikm, size_t len, unsigned char key[16])
{
	unsigned char zeros[32] = { 0 }, prk[32], okm[32], one = 1;
	gcry_buffer_t extract[2] = {
		{ .size = sizeof(zeros), .len = sizeof(zeros), .data = zeros },
		{ .size = len, .len = len, .data = (void *)ikm },
	};
	gcry_buffer_t expand[2] = {
		{ .size = sizeof(prk), .len = sizeof(prk), .data = prk },
		{ .size = 1, .len = 1, .data = &one },
	};
	int ret = -1;

	if (!gcry_md_hash_buffers(GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC, prk, extract, 2) &&
	    !gcry_md_hash_buffers(GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC, okm, expand, 2)) {
		memcpy(key, okm, 16);
		ret = 0;
	}
	explicit_bzero(prk, sizeof(prk));
	explicit_bzero(okm, sizeof(okm));
	return ret;
}

int sscrypt_finish(struct sscrypt *c, const unsigned char *peer, size_t len,
		   struct ck_error *err)
{
	unsigned char shared[SSCRYPT_PUBLIC_LEN];
	gcry_mpi_t p = NULL, y = NULL, pm1 = NULL, s = NULL;
	int ret = -1;

	if (!c->priv || len == 0 || len > SSCRYPT_PUBLIC_LEN) {
		ck_error(err, CK_FAILED, "the Secret Service sent a malformed session key");
		goto out;
	}
	if (!(p = prime()) || gcry_mpi_scan(&y, GCRYMPI_FMT_USG, peer, len, NULL)) {
		crypto_error(err, "agree on a key");
		goto out;
	}
	pm1 = gcry_mpi_new(0);
	gcry_mpi_sub_ui(pm1, p, 1);
	/* A public value of 0, 1 or p-1 (or beyond) would force the key. */
	if (gcry_mpi_cmp_ui(y, 1) <= 0 || gcry_mpi_cmp(y, pm1) >= 0) {
		ck_error(err, CK_FAILED, "the Secret Service sent an unsafe session key");
		goto out;
	}
	s = gcry_mpi_new(0);
	gcry_mpi_powm(s, y, c->priv, p);
	if (to_bytes(s, shared) || derive_key(shared, sizeof(shared), c->key)) {
		crypto_error(err, "agree on a key");
		goto out;
	}
	c->ready = 1;
	ret = 0;
out:
	explicit_bzero(shared, sizeof(shared));
	gcry_mpi_release(c->priv);	/* libgcrypt wipes limbs it frees */
	c->priv = NULL;
	gcry_mpi_release(s);
	gcry_mpi_release(pm1);
	gcry_mpi_release(y);
	gcry_mpi_release(p);
	return ret;
}

/* An AES-128-CBC handle keyed with c's key and iv; NULL on failure. */
static gcry_cipher_hd_t cipher(const struct sscrypt *c, const unsigned char *iv)
{
	gcry_cipher_hd_t h = NULL;

	if (!c->ready ||
	    gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CBC, 0) ||
	    gcry_cipher_setkey(h, c->key, sizeof(c->key)) ||
	    gcry_cipher_setiv(h, iv, SSCRYPT_IV_LEN)) {
		gcry_cipher_close(h);
		return NULL;
	}
	return h;
}

int sscrypt_encrypt(const struct sscrypt *c, const char *plain, size_t len,
		    unsigned char iv[SSCRYPT_IV_LEN], unsigned char **out,
		    size_t *outlen, struct ck_error *err)
{
	size_t padded = (len / 16 + 1) * 16;	/* PKCS#7: always 1..16 bytes */
	unsigned char *buf = NULL;
	gcry_cipher_hd_t h = NULL;
	int ret = -1;

	*out = NULL;
	if (random_bytes(iv, SSCRYPT_IV_LEN) || !(h = cipher(c, iv)) ||
	    !(buf = malloc(padded))) {
		crypto_error(err, "encrypt the secret");
		goto out;
	}
	memcpy(buf, plain, len);
	memset(buf + len, (int)(padded - len), padded - len);
	if (gcry_cipher_encrypt(h, buf, padded, NULL, 0)) {
		crypto_error(err, "encrypt the secret");
		goto out;
	}
	*out = buf;
	*outlen = padded;
	buf = NULL;
	ret = 0;
out:
	if (buf) {
		explicit_bzero(buf, padded);
		free(buf);
	}
	gcry_cipher_close(h);
	return ret;
}

int sscrypt_decrypt(const struct sscrypt *c, const unsigned char *iv, size_t ivlen,
		    const unsigned char *in, size_t len, struct secret *out,
		    struct ck_error *err)
{
	unsigned char *buf = NULL, pad;
	gcry_cipher_hd_t h = NULL;
	size_t i;
	int ret = -1;

	if (ivlen != SSCRYPT_IV_LEN || len == 0 || len % 16) {
		ck_error(err, CK_FAILED, "the Secret Service sent a malformed secret");
		goto out;
	}
	if (!(h = cipher(c, iv)) || !(buf = malloc(len)) ||
	    gcry_cipher_decrypt(h, buf, len, in, len)) {
		crypto_error(err, "decrypt the secret");
		goto out;
	}
	pad = buf[len - 1];
	for (i = 1; pad >= 1 && pad <= 16 && i <= pad; i++)
		if (buf[len - i] != pad)
			break;
	if (pad < 1 || pad > 16 || i <= pad) {
		ck_error(err, CK_FAILED,
			 "cannot decrypt the secret the Secret Service sent (session keys disagree)");
		goto out;
	}
	if (secret_set(out, (const char *)buf, len - pad)) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
	gcry_cipher_close(h);
	return ret;
}

void sscrypt_release(struct sscrypt *c)
{
	gcry_mpi_release(c->priv);
	c->priv = NULL;
	explicit_bzero(c->key, sizeof(c->key));
	c->ready = 0;
}
