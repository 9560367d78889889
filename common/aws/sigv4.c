/* SPDX-License-Identifier: MIT */
/*
 * sigv4.c - AWS Signature Version 4.  See include/aws/sigv4.h.
 *
 * What it is for: so that docker-credential-ecr-login can call ECR and STS
 * with a key pair, the request it will send is reduced to AWS's canonical
 * request, hashed into a string to sign, and signed with a key derived from
 * the secret access key, the date, the region and the service.
 *
 * What it promises:
 *  - the canonical request, string to sign and Authorization header of
 *    every case of AWS's test suite, byte for byte (tests/data/sigv4/), and
 *    botocore's Authorization header for ECR and STS requests;
 *  - it refuses rather than signs what it cannot send: control bytes in a
 *    header, a header the signer adds itself, a path with '?' or '#';
 *  - "AWS4" + secret key and the four derived keys are held only in wiped
 *    memory; what it returns (which may hold the session token) is wiped
 *    when released; error texts echo no argument but header names.
 *
 * One HMAC and one SHA-256 method are fetched from OpenSSL per call and
 * reused for its two hashes and five HMACs.  The first call in a process
 * takes about 2 ms, nearly all of it OpenSSL's own start-up (reading its
 * configuration, starting the default provider), which the helper's TLS
 * connection needs anyway; later calls take about 5 us.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "aws/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define SCOPE_END "aws4_request"
#define HASH_LEN 32
#define NAME_MAX_LEN 63		/* longest region or service name */
#define SHOW_MAX 64		/* longest header name shown in an error */

/* ---- a growing string, wiped whenever it moves or is freed ---- */

struct sbuf {
	char *p;		/* NUL-terminated once anything was added */
	size_t len, cap;
	int oom;		/* an allocation failed: p is incomplete */
};

#define SBUF_INIT { NULL, 0, 0, 0 }

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	size_t cap = b->cap ? b->cap : 128;
	char *p;

	if (b->oom)
		return;
	if (n >= SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		while (cap < b->len + n + 1)
			cap *= 2;
		p = malloc(cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		if (b->p)
			memcpy(p, b->p, b->len);
		secure_free(b->p);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_adds(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_release(struct sbuf *b)
{
	secure_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

/* Hand over b's string (NULL if an allocation failed); b is then empty. */
static char *sb_take(struct sbuf *b)
{
	char *p = b->oom ? NULL : b->p;

	if (!p)
		sb_release(b);
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

/* A new string: the NULL-terminated parts, one after the other. */
static char *join(const char *const *parts)
{
	struct sbuf b = SBUF_INIT;

	for (; *parts; parts++)
		sb_adds(&b, *parts);
	return sb_take(&b);
}

/* ---- bytes ---- */

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* RFC 7230's tchar: what a method or a header name is made of. */
static int is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int is_token(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return 0;
	return 1;
}

/* Lower-case letters, digits and '-', at most NAME_MAX_LEN bytes. */
static int is_scope_name(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-') || n >= NAME_MAX_LEN)
			return 0;
	return 1;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Add byte c to b as it stands in a URI: itself if unreserved, else %XX. */
static void encode_byte(struct sbuf *b, unsigned char c, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	char esc[3] = { '%', digits[c >> 4], digits[c & 15] };

	if (is_unreserved(c) || (keep_slash && c == '/'))
		sb_add(b, (const char *)&c, 1);
	else
		sb_add(b, esc, 3);
}

/*
 * Add the n bytes at s to b URI-encoded; with decode, each valid %XX of s is
 * first taken as the byte it stands for (a lone '%' is a percent sign).
 */
static void encode(struct sbuf *b, const char *s, size_t n, int keep_slash,
		   int decode)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = lo = -1;
		if (decode && s[i] == '%' && i + 2 < n) {
			hi = OPENSSL_hexchar2int((unsigned char)s[i + 1]);
			lo = OPENSSL_hexchar2int((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			encode_byte(b, (unsigned char)(hi * 16 + lo), keep_slash);
			i += 2;
		} else {
			encode_byte(b, (unsigned char)s[i], keep_slash);
		}
	}
}

/* ---- OpenSSL ---- */

struct crypto {
	EVP_MD *sha256;
	EVP_MAC *hmac;
	EVP_MAC_CTX *ctx;	/* HMAC-SHA256, re-keyed for each use */
};

#define CRYPTO_INIT { NULL, NULL, NULL }

static int crypto_error(struct ck_error *err, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return ck_error(err, CK_FAILED,
			"cannot %s for an AWS signature: OpenSSL failed (%s)",
			what, why ? why : "no reason given");
}

static int crypto_open(struct crypto *c, struct ck_error *err)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	c->ctx = c->hmac ? EVP_MAC_CTX_new(c->hmac) : NULL;
	if (!c->sha256 || !c->ctx || !EVP_MAC_CTX_set_params(c->ctx, params))
		return crypto_error(err, "get SHA-256 and HMAC");
	return 0;
}

static void crypto_close(struct crypto *c)
{
	EVP_MAC_CTX_free(c->ctx);
	EVP_MAC_free(c->hmac);
	EVP_MD_free(c->sha256);
}

/* The SHA-256 of the n bytes at data, in lower-case hex. */
static int sha256_hex(struct crypto *c, const void *data, size_t n,
		      char hex[2 * HASH_LEN + 1], struct ck_error *err)
{
	unsigned char md[HASH_LEN];
	unsigned int len = 0;

	if (!EVP_Digest(n ? data : "", n, md, &len, c->sha256, NULL) ||
	    len != HASH_LEN)
		return crypto_error(err, "compute SHA-256");
	to_hex(md, HASH_LEN, hex);
	return 0;
}

/* out = HMAC-SHA256(key, msg); out may be key. */
static int hmac(struct crypto *c, const unsigned char *key, size_t keylen,
		const char *msg, unsigned char out[HASH_LEN],
		struct ck_error *err)
{
	size_t len = 0;

	if (!EVP_MAC_init(c->ctx, key, keylen, NULL) ||
	    !EVP_MAC_update(c->ctx, (const unsigned char *)msg, strlen(msg)) ||
	    !EVP_MAC_final(c->ctx, out, &len, HASH_LEN) || len != HASH_LEN)
		return crypto_error(err, "compute HMAC-SHA256");
	return 0;
}

/*
 * The signature of sts in hex: HMAC with the key derived from the secret
 * key, the date (YYYYMMDD), the region and the service.
 */
static int signature(struct crypto *c, const char *secret_key,
		     const char *date, const char *region, const char *service,
		     const char *sts, char hex[2 * HASH_LEN + 1],
		     struct ck_error *err)
{
	struct secret k = SECRET_INIT;
	unsigned char key[HASH_LEN];
	size_t len = strlen(secret_key);
	int ret = -1;

	if (secret_alloc(&k, 4 + len)) {
		ck_error(err, CK_FAILED, "out of memory while signing an AWS request");
		goto out;
	}
	memcpy(k.buf, "AWS4", 4);
	memcpy(k.buf + 4, secret_key, len);
	if (hmac(c, (unsigned char *)k.buf, k.len, date, key, err) ||
	    hmac(c, key, HASH_LEN, region, key, err) ||
	    hmac(c, key, HASH_LEN, service, key, err) ||
	    hmac(c, key, HASH_LEN, SCOPE_END, key, err) ||
	    hmac(c, key, HASH_LEN, sts, key, err))
		goto out;
	to_hex(key, HASH_LEN, hex);
	ret = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	secret_release(&k);
	return ret;
}

/* ---- the canonical request ---- */

/*
 * Add the canonical form of path to b: "" is "/"; empty and "." segments
 * are dropped, ".." drops the segment before it; a final '/' stays when a
 * segment is left; then every byte but unreserved ones and '/' is %XX.
 */
static int add_path(struct sbuf *b, const char *path, struct ck_error *err)
{
	size_t len = path ? strlen(path) : 0, olen = 0, i, seg;
	char *norm;

	if (!len) {
		sb_adds(b, "/");
		return 0;
	}
	if (path[0] != '/')
		return ck_error(err, CK_BAD_INPUT,
				"cannot sign an AWS request whose path does not start with '/'");
	for (i = 0; i < len; i++)
		if (is_ctl((unsigned char)path[i]) || path[i] == '?' ||
		    path[i] == '#')
			return ck_error(err, CK_BAD_INPUT,
					"cannot sign an AWS request whose path holds a control byte, '?' or '#' (pass the query apart)");
	norm = malloc(len + 2);
	if (!norm)
		return ck_error(err, CK_FAILED, "out of memory while signing an AWS request");
	for (i = 0; i < len; i = seg) {
		while (i < len && path[i] == '/')
			i++;
		for (seg = i; seg < len && path[seg] != '/'; seg++)
			;
		if (seg == i || (seg - i == 1 && path[i] == '.'))
			continue;
		if (seg - i == 2 && path[i] == '.' && path[i + 1] == '.') {
			while (olen && norm[--olen] != '/')
				;
			continue;
		}
		norm[olen++] = '/';
		memcpy(norm + olen, path + i, seg - i);
		olen += seg - i;
	}
	if (!olen || path[len - 1] == '/')
		norm[olen++] = '/';
	encode(b, norm, olen, 1, 0);
	free(norm);
	return 0;
}

struct param {
	char *text;		/* "name=value", both encoded; owned */
	size_t name_len;
};

/* By encoded name, then encoded value, byte by byte. */
static int param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->text, y->text, n);

	if (c)
		return c;
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return strcmp(x->text + x->name_len, y->text + y->name_len);
}

/* Add the canonical form of query (NULL or "" for none) to b. */
static int add_query(struct sbuf *b, const char *query, struct ck_error *err)
{
	struct param *params;
	size_t n = 1, count = 0, i, len;
	const char *p, *end, *eq;
	struct sbuf t = SBUF_INIT;
	int ret = -1;

	if (!query || !*query)
		return 0;
	for (p = query; *p; p++) {
		if (is_ctl((unsigned char)*p))
			return ck_error(err, CK_BAD_INPUT,
					"cannot sign an AWS request whose query holds a control byte");
		n += *p == '&';
	}
	params = calloc(n, sizeof(*params));
	if (!params)
		return ck_error(err, CK_FAILED, "out of memory while signing an AWS request");
	for (p = query; *p; p = *end ? end + 1 : end) {
		end = strchr(p, '&');
		end = end ? end : p + strlen(p);
		if (end == p)
			continue;
		eq = memchr(p, '=', (size_t)(end - p));
		len = (size_t)((eq ? eq : end) - p);
		encode(&t, p, len, 0, 1);
		params[count].name_len = t.len;
		sb_adds(&t, "=");
		if (eq)
			encode(&t, eq + 1, (size_t)(end - eq - 1), 0, 1);
		if (!(params[count].text = sb_take(&t)))
			goto oom;
		count++;
	}
	qsort(params, count, sizeof(*params), param_cmp);
	for (i = 0; i < count; i++) {
		if (i)
			sb_adds(b, "&");
		sb_adds(b, params[i].text);
	}
	ret = 0;
	goto out;
oom:
	ck_error(err, CK_FAILED, "out of memory while signing an AWS request");
out:
	for (i = 0; i < count; i++)
		free(params[i].text);
	free(params);
	return ret;
}

struct header {
	char *name;		/* lower-case; owned */
	char *value;		/* canonical; owned, wiped */
	size_t order;		/* where it came, so repeats keep their order */
};

static int header_cmp(const void *a, const void *b)
{
	const struct header *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Write the canonical form of value into out (which has room for
 * strlen(value) + 1 bytes): each line trimmed of spaces and tabs, inner
 * runs of them made one space, lines joined by ','.  A line break must be
 * a fold (CRLF or LF followed by a space or tab).  Returns 0, or -1 on a
 * control byte or a line break that is not a fold.
 */
static int canonical_value(const char *value, char *out)
{
	const char *p;
	char *o = out, *line = out;
	int space = 0;

	for (p = value; *p; p++) {
		if (*p == ' ' || *p == '\t') {
			space = o > line;
			continue;
		}
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && *++p != '\n')
				return -1;
			if (p[1] != ' ' && p[1] != '\t')
				return -1;
			*o++ = ',';
			line = o;
			space = 0;
			continue;
		}
		if (is_ctl((unsigned char)*p))
			return -1;
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = *p;
	}
	*o = '\0';
	return 0;
}

/* Fill h with lower-case name (len bytes) and the canonical value. */
static int header_set(struct header *h, const char *name, size_t len,
		      const char *value, size_t order)
{
	size_t i;

	h->order = order;
	h->name = malloc(len + 1);
	h->value = malloc(strlen(value) + 1);
	if (!h->name || !h->value)
		return -1;
	for (i = 0; i < len; i++)
		h->name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
				    name[i] - 'A' + 'a' : name[i]);
	h->name[len] = '\0';
	return canonical_value(value, h->value) ? 1 : 0;
}

/* The length of line's header name (tchars up to a ':'), or 0 if none. */
static size_t header_name_len(const char *line)
{
	size_t n = 0;

	while (is_tchar((unsigned char)line[n]))
		n++;
	return line[n] == ':' ? n : 0;
}

static int is_added_by_signer(const char *lname)
{
	return !strcmp(lname, "host") || !strcmp(lname, "x-amz-date") ||
	       !strcmp(lname, "x-amz-security-token") ||
	       !strcmp(lname, "authorization");
}

/*
 * Add the canonical headers block of req to b (each "name:value\n") and
 * its signed headers ("name;name") to names, with host, x-amz-date
 * amzdate and, when token is not NULL, x-amz-security-token added.
 */
static int add_headers(struct sbuf *b, struct sbuf *names,
		       const struct sigv4_request *req, const char *amzdate,
		       const char *token, struct ck_error *err)
{
	struct header *h;
	size_t n = 0, count = 0, i, len;
	const char *line;
	int ret = -1, bad;

	while (req->headers && req->headers[n])
		n++;
	h = calloc(n + 3, sizeof(*h));
	if (!h)
		return ck_error(err, CK_FAILED, "out of memory while signing an AWS request");
	for (i = 0; i < n; i++) {
		line = req->headers[i];
		len = header_name_len(line);
		if (!len) {
			ck_error(err, CK_BAD_INPUT,
				 "cannot sign an AWS request: its header %zu is not a \"Name: value\" line",
				 i + 1);
			goto out;
		}
		bad = header_set(&h[count++], line, len, line + len + 1, i);
		if (bad < 0)
			goto oom;
		if (bad) {
			ck_error(err, CK_BAD_INPUT,
				 "cannot sign an AWS request: its header \"%.*s\" has a control byte or a bare line break in its value",
				 (int)(len > SHOW_MAX ? SHOW_MAX : len), line);
			goto out;
		}
		if (is_added_by_signer(h[count - 1].name)) {
			ck_error(err, CK_BAD_INPUT,
				 "cannot sign an AWS request with its own \"%.*s\" header: the signer adds host, x-amz-date, x-amz-security-token and authorization",
				 (int)len, line);
			goto out;
		}
	}
	if (header_set(&h[count++], "host", 4, req->host, n) ||
	    header_set(&h[count++], "x-amz-date", 10, amzdate, n + 1) ||
	    (token && header_set(&h[count++], "x-amz-security-token", 20,
				 token, n + 2)))
		goto oom;
	qsort(h, count, sizeof(*h), header_cmp);
	for (i = 0; i < count; i++) {
		if (i && !strcmp(h[i].name, h[i - 1].name)) {
			sb_adds(b, ",");
		} else {
			if (i) {
				sb_adds(b, "\n");
				sb_adds(names, ";");
			}
			sb_adds(b, h[i].name);
			sb_adds(b, ":");
			sb_adds(names, h[i].name);
		}
		sb_adds(b, h[i].value);
	}
	sb_adds(b, "\n");
	ret = 0;
	goto out;
oom:
	ck_error(err, CK_FAILED, "out of memory while signing an AWS request");
out:
	for (i = 0; i < count; i++) {
		free(h[i].name);
		secure_free(h[i].value);
	}
	free(h);
	return ret;
}

/* ---- signing ---- */

/* Refuse what cannot be signed or sent; the texts show no argument. */
static int check_args(const struct sigv4_request *req,
		      const struct sigv4_credentials *cred, const char *region,
		      const char *service, struct ck_error *err)
{
	const char *p;

	if (!req || !cred)
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: no request or no credentials");
	if (!is_token(req->method))
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: its method is empty or not an HTTP token");
	for (p = req->host; p && *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '/')
			break;
	if (!req->host || !*req->host || *p)
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: its host is empty or holds a space, a control byte or '/'");
	if (req->body_len && !req->body)
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: it has a body length but no body");
	for (p = cred->access_key_id; p && *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			break;
	if (!cred->access_key_id || !*cred->access_key_id || *p)
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: the access key id is empty or not made of letters, digits and '_'");
	if (!cred->secret_access_key || !*cred->secret_access_key)
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: the secret access key is empty");
	for (p = cred->session_token; p && *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: the session token holds a byte that cannot go in a header");
	if (!is_scope_name(region))
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: the region is not a region name (lower-case letters, digits and '-', like us-east-1)");
	if (!is_scope_name(service))
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: the service is not a service name (lower-case letters, digits and '-', like ecr)");
	if (!strcmp(service, "s3"))
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request for S3: it signs paths differently, which this signer does not do");
	return 0;
}

/* now as X-Amz-Date has it: YYYYMMDDTHHMMSSZ. */
static int format_date(time_t now, char date[17], struct ck_error *err)
{
	struct tm tm;

	if (!gmtime_r(&now, &tm) || tm.tm_year < -1900 + 1 ||
	    tm.tm_year > 9999 - 1900 ||
	    strftime(date, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request at a time outside the years 1 to 9999");
	return 0;
}

void sigv4_signed_release(struct sigv4_signed *out)
{
	size_t i;

	if (!out)
		return;
	for (i = 0; i < SIGV4_HEADERS_MAX + 1; i++) {
		secure_free(out->headers[i]);
		out->headers[i] = NULL;
	}
	secure_free(out->canonical_request);
	secure_free(out->string_to_sign);
	out->canonical_request = out->string_to_sign = NULL;
}

int sigv4_sign(const struct sigv4_request *req,
	       const struct sigv4_credentials *cred, const char *region,
	       const char *service, time_t now, struct sigv4_signed *out,
	       struct ck_error *err)
{
	struct crypto c = CRYPTO_INIT;
	struct sbuf creq = SBUF_INIT, names = SBUF_INIT;
	char amzdate[17], date[9], hash[2 * HASH_LEN + 1], sig[2 * HASH_LEN + 1];
	const char *token;
	int ret = -1, n = 0;

	if (!out)
		return ck_error(err, CK_BAD_INPUT, "cannot sign an AWS request: nowhere to put the signature");
	sigv4_signed_release(out);
	if (check_args(req, cred, region, service, err) ||
	    format_date(now, amzdate, err))
		return -1;
	memcpy(date, amzdate, 8);
	date[8] = '\0';
	token = cred->session_token && *cred->session_token ?
		cred->session_token : NULL;
	if (crypto_open(&c, err))
		goto out;

	sb_adds(&creq, req->method);
	sb_adds(&creq, "\n");
	if (add_path(&creq, req->path, err))
		goto out;
	sb_adds(&creq, "\n");
	if (add_query(&creq, req->query, err))
		goto out;
	sb_adds(&creq, "\n");
	if (add_headers(&creq, &names, req, amzdate,
			req->flags & SIGV4_TOKEN_UNSIGNED ? NULL : token, err))
		goto out;
	sb_adds(&creq, "\n");
	sb_adds(&creq, names.p ? names.p : "");
	sb_adds(&creq, "\n");
	if (sha256_hex(&c, req->body, req->body_len, hash, err))
		goto out;
	sb_adds(&creq, hash);
	if (creq.oom || names.oom)
		goto oom;

	if (sha256_hex(&c, creq.p, creq.len, hash, err))
		goto out;
	out->string_to_sign = join((const char *[]){
		ALGORITHM "\n", amzdate, "\n", date, "/", region, "/", service,
		"/" SCOPE_END "\n", hash, NULL });
	if (!out->string_to_sign)
		goto oom;
	if (signature(&c, cred->secret_access_key, date, region, service,
		      out->string_to_sign, sig, err))
		goto out;

	out->headers[n++] = join((const char *[]){ "X-Amz-Date: ", amzdate, NULL });
	if (token)
		out->headers[n++] = join((const char *[]){
			"X-Amz-Security-Token: ", token, NULL });
	out->headers[n++] = join((const char *[]){
		"Authorization: " ALGORITHM " Credential=", cred->access_key_id,
		"/", date, "/", region, "/", service, "/" SCOPE_END
		", SignedHeaders=", names.p, ", Signature=", sig, NULL });
	out->canonical_request = sb_take(&creq);
	while (n--)
		if (!out->headers[n])
			goto oom;
	if (!out->canonical_request)
		goto oom;
	ret = 0;
	goto out;
oom:
	ck_error(err, CK_FAILED, "out of memory while signing an AWS request");
out:
	if (ret)
		sigv4_signed_release(out);
	sb_release(&names);
	sb_release(&creq);
	crypto_close(&c);
	return ret;
}
