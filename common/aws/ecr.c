/* SPDX-License-Identifier: MIT */
/*
 * ecr.c - ECR registries, the token cache and its lock (see ecr.h).
 *
 * Nothing here touches the network or loads AWS credentials (the cache key
 * only digests what selects them): this is what the cheap first program of
 * docker-credential-ecr-login runs on every get.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA-256 alone: no EVP, no providers */
#include <openssl/sha.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "aws/awscreds.h"
#include "aws/ecr.h"
#include "aws/partition.h"
#include "stores/keyctl.h"
#include "registry.h"

/*
 * Private ECR, every partition, FIPS and dual-stack ("dkr-ecr") names: the
 * AWS helper's pattern
 *
 *   ^(\d{12})\.dkr[\.\-]ecr(\-fips)?\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\.
 *   (amazonaws\.(?:com(?:\.cn)?|eu)|on\.(?:aws|amazonwebservices\.com\.cn)|
 *   sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$
 *
 * matched by hand: regcomp() alone costs half a millisecond, a sixth of a
 * cached get.  A region holds no '.', so it ends at the first one after it.
 * The domains are partition.c's (each partition's DNS suffix and ECR
 * dual-stack domain), and so is the API domain a host's token comes from.
 */
static const char *const public_hosts[] = { "public.ecr.aws", "ecr-public.aws.com" };

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* If s starts with word, step past it. */
static int skip(const char **s, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*s, word, n))
		return 0;
	*s += n;
	return 1;
}

/* Fill r from a private ECR host name; returns 1, or 0 if it is not one. */
static int match_private(const char *host, struct ecr_registry *r)
{
	const char *p = host, *region;
	const struct aws_partition *part;
	size_t i, n;
	int fips;

	for (i = 0; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	p += 12;
	if (!skip(&p, ".dkr") || (*p != '.' && *p != '-'))
		return 0;
	p++;
	if (!skip(&p, "ecr"))
		return 0;
	fips = skip(&p, "-fips");
	if (*p++ != '.' || !is_alnum(*p))
		return 0;
	for (region = p; is_alnum(*p) || *p == '-' || *p == '_'; p++)
		;
	n = (size_t)(p - region);
	if (*p++ != '.' || n >= sizeof(r->region))
		return 0;
	if (!(part = aws_partition_of_domain(p)))
		return 0;
	memcpy(r->account, host, 12);
	r->account[12] = '\0';
	memcpy(r->region, region, n);
	r->region[n] = '\0';
	snprintf(r->suffix, sizeof(r->suffix), "%s", part->dns_suffix);
	r->fips = fips;
	return 1;
}

static void set_public(struct ecr_registry *r)
{
	r->public = 1;
	r->account[0] = '\0';
	snprintf(r->region, sizeof(r->region), "us-east-1");
	snprintf(r->suffix, sizeof(r->suffix), "amazonaws.com");
}

/* The settings' object for host ("host:port", then "host"), or NULL. */
static json_t *settings_for(json_t *registries, const struct registry_ref *ref)
{
	char name[ECR_HOST_MAX + 8];
	json_t *v;

	if (!json_is_object(registries))
		return NULL;
	if (ref->port) {
		snprintf(name, sizeof(name), "%s:%u", ref->host, ref->port);
		if ((v = json_object_get(registries, name)))
			return v;
	}
	return json_object_get(registries, ref->host);
}

/* Whether s is 1..max bytes of letters, digits and the characters of ok. */
static int well_formed(const char *s, size_t max, const char *ok)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(ok, s[i])))
			return 0;
	return i > 0 && i <= max;
}

/*
 * Copy the string setting name of obj (if set) into buf, checked against
 * ok's characters.  where names obj for messages.  Returns 0, or -1.
 */
static int take_string(json_t *obj, const char *name, char *buf, size_t size,
		       const char *ok, const char *where, const char *path,
		       struct ck_error *err)
{
	json_t *v = json_object_get(obj, name);

	if (!v)
		return 0;
	if (!json_is_string(v) || !well_formed(json_string_value(v), size - 1, ok))
		return ck_error(err, CK_BAD_INPUT,
				"%s: \"%s\" of %s is not valid (a string of letters, digits "
				"and \"%s\", at most %zu bytes)", path, name, where, ok, size - 1);
	snprintf(buf, size, "%s", json_string_value(v));
	return 0;
}

/* The setting name of obj, a number of milliseconds from min to max. */
static int take_ms(json_t *obj, const char *name, long min, long max, long *ms,
		   const char *where, const char *path, struct ck_error *err)
{
	json_t *v = json_object_get(obj, name);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return ck_error(err, CK_BAD_INPUT,
				"%s: \"%s\" of %s must be a whole number of "
				"milliseconds from %ld to %ld", path, name, where, min, max);
	*ms = (long)json_integer_value(v);
	return 0;
}

/* profile, role_arn, timeout_ms and fail_cache_ms of obj, over what r has. */
static int take_settings(json_t *obj, struct ecr_registry *r, const char *where,
			 const char *path, struct ck_error *err)
{
	if (!json_is_object(obj))
		return ck_error(err, CK_BAD_INPUT, "%s: %s must be an object", path, where);
	if (take_string(obj, "profile", r->profile, sizeof(r->profile), "-_.+=@,/",
			where, path, err) ||
	    take_string(obj, "role_arn", r->role_arn, sizeof(r->role_arn),
			":/-_.+=@,", where, path, err) ||
	    take_ms(obj, "timeout_ms", 100, 120000, &r->timeout_ms, where, path, err) ||
	    take_ms(obj, "fail_cache_ms", 0, 60000, &r->fail_cache_ms, where, path, err))
		return -1;
	if (r->role_arn[0] && strncmp(r->role_arn, "arn:", 4))
		return ck_error(err, CK_BAD_INPUT, "%s: \"role_arn\" of %s must start with "
				"\"arn:\"", path, where);
	return 0;
}

/* An alias: a host the settings map to an account and region (or Public). */
static int take_alias(json_t *obj, struct ecr_registry *r, const char *where,
		      const char *path, struct ck_error *err)
{
	json_t *pub = json_object_get(obj, "public");

	if (json_is_true(pub)) {
		set_public(r);
		return 1;
	}
	if (!json_object_get(obj, "account") && !json_object_get(obj, "region"))
		return 0;	/* settings only, for a host that is not ECR */
	if (take_string(obj, "account", r->account, sizeof(r->account), "", where,
			path, err) ||
	    take_string(obj, "region", r->region, sizeof(r->region), "-", where, path, err))
		return -1;
	if (strlen(r->account) != 12 || strspn(r->account, "0123456789") != 12 ||
	    !r->region[0])
		return ck_error(err, CK_BAD_INPUT,
				"%s: %s needs \"account\" (12 digits) and \"region\"", path, where);
	r->fips = json_is_true(json_object_get(obj, "fips"));
	snprintf(r->suffix, sizeof(r->suffix), "%s", aws_partition_of(r->region)->dns_suffix);
	return 1;
}

/* FNV-1a, 64 bits: a short stable name for settings that may be long. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;	/* mark the end of s */
}

/*
 * The identity: what decides which credentials the chain will find, as
 * readable as it is short, then a SHA-256 of the rest of what can change
 * them: the values that select the principal (aws_identity_digest(): keys,
 * tokens, token files' stable claims, the shared files) and the files and
 * endpoints, so that a test's mock never shares a token with the real AWS.
 * Two callers whose chains can resolve to different principals get
 * different keys; no secret is in it in clear.
 */
static void make_key(struct ecr_registry *r)
{
	static const char *const more[] = {
		"HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC",
		"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION",
	};
	unsigned char id[AWS_IDENTITY_DIGEST_LEN], md[SHA256_DIGEST_LENGTH];
	char who[1400], hex[2 * SHA256_DIGEST_LENGTH + 1];
	const char *v;
	SHA256_CTX c;
	uint64_t n;
	size_t i;

	if (r->profile[0])
		snprintf(who, sizeof(who), "profile=%s", r->profile);
	else if (config_env("AWS_ACCESS_KEY_ID") && config_env("AWS_SECRET_ACCESS_KEY"))
		snprintf(who, sizeof(who), "key=%.128s", config_env("AWS_ACCESS_KEY_ID"));
	else if (config_env("AWS_WEB_IDENTITY_TOKEN_FILE") && config_env("AWS_ROLE_ARN"))
		snprintf(who, sizeof(who), "web-identity=%.1200s", config_env("AWS_ROLE_ARN"));
	else
		snprintf(who, sizeof(who), "profile=%.128s",
			 config_env("AWS_PROFILE") ? config_env("AWS_PROFILE") : "default");
	aws_identity_digest(r->profile[0] ? r->profile : NULL, id);
	SHA256_Init(&c);
	SHA256_Update(&c, id, sizeof(id));
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		v = config_env(more[i]);
		n = v ? strlen(v) + 1 : 0;	/* unset and "" differ */
		SHA256_Update(&c, &n, sizeof(n));
		SHA256_Update(&c, v ? v : "", n);
	}
	SHA256_Final(md, &c);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(r->key, sizeof(r->key), "%s %s%s%s #%s", r->host, who,
		 r->role_arn[0] ? " role=" : "", r->role_arn, hex);
	/* Control bytes cannot reach here: every part was checked or is env. */
	for (i = 0; r->key[i]; i++)
		if ((unsigned char)r->key[i] < 0x20 || r->key[i] == 0x7f)
			r->key[i] = '?';
}

int ecr_registry_find(const char *server, const struct config *cfg,
		      struct ecr_registry *r, struct ck_error *err)
{
	struct registry_ref ref;
	json_t *ecr = cfg && cfg->root ? json_object_get(cfg->root, "ecr") : NULL;
	json_t *mine;
	const char *path = cfg ? cfg->path : "", *fail;
	char where[ECR_HOST_MAX + 32];
	size_t i;
	int known, ret;

	memset(r, 0, sizeof(*r));
	r->timeout_ms = ECR_TIMEOUT_MS;
	r->fail_cache_ms = ECR_FAIL_CACHE_MS;
	if (registry_parse(server, &ref, NULL))	/* a path is the client's business */
		return 0;
	if (ref.port)
		snprintf(r->host, sizeof(r->host), "%s:%u", ref.host, ref.port);
	else
		snprintf(r->host, sizeof(r->host), "%s", ref.host);

	known = match_private(ref.host, r);
	for (i = 0; !known && i < sizeof(public_hosts) / sizeof(public_hosts[0]); i++)
		if (!strcmp(ref.host, public_hosts[i])) {
			set_public(r);
			known = 1;
		}
	if (ecr && !json_is_object(ecr))
		return ck_error(err, CK_BAD_INPUT, "%s: \"ecr\" must be an object", path);
	mine = ecr ? settings_for(json_object_get(ecr, "registries"), &ref) : NULL;
	snprintf(where, sizeof(where), "registry %s", r->host);
	if (!known && mine) {
		if (!json_is_object(mine))
			return ck_error(err, CK_BAD_INPUT, "%s: %s must be an object", path, where);
		if ((ret = take_alias(mine, r, where, path, err)) <= 0)
			return ret;
		known = 1;
	}
	if (!known)
		return 0;
	if ((ecr && take_settings(ecr, r, "\"ecr\"", path, err)) ||
	    (mine && take_settings(mine, r, where, path, err)))
		return -1;
	/* For tests, which ask again at once after a failure on purpose. */
	if ((fail = config_env("CREDKIT_ECR_FAIL_CACHE_MS")))
		r->fail_cache_ms = strtol(fail, NULL, 10) > 0 ? strtol(fail, NULL, 10) : 0;
	make_key(r);
	return 1;
}

void ecr_token_release(struct ecr_token *t)
{
	secret_release(&t->password);
	t->username[0] = '\0';
	t->minted = t->expires = 0;
}

int ecr_token_answer(const struct ecr_token *t, struct cred *out, struct ck_error *err)
{
	if (!(out->username = strdup(t->username)) ||
	    secret_set(&out->secret, t->password.buf, t->password.len))
		return ck_error(err, CK_FAILED, "out of memory");
	return 0;
}

int ecr_token_fresh(const struct ecr_token *t, time_t now)
{
	return now >= t->minted && now < t->minted + (t->expires - t->minted) / 2;
}

int ecr_token_usable(const struct ecr_token *t, time_t now)
{
	time_t margin = (t->expires - t->minted) / 4;

	if (margin > 60)
		margin = 60;
	return now < t->expires - margin;
}

/* --- the cache ------------------------------------------------------------ */

/*
 * An entry, as the keyctl backend keeps it: server is the key, username
 * the token's, and the secret "MINTED EXPIRES\nPASSWORD".
 */
#define ENTRY_NUMBERS_MAX 48

void *ecr_cache_open(struct ck_error *err)
{
	return keyctl_open_ring(ECR_CACHE_RING, err);
}

void ecr_cache_close(void *cache)
{
	if (cache)
		keyctl_backend.close(cache);
}

int ecr_entry_read(const struct cred *c, struct ecr_token *t)
{
	const char *p = c->secret.buf, *end = p + c->secret.len, *nl;
	char *stop;
	long long minted, expires;

	nl = p ? memchr(p, '\n', c->secret.len) : NULL;
	if (!nl || nl - p > ENTRY_NUMBERS_MAX)
		return -1;
	errno = 0;
	minted = strtoll(p, &stop, 10);
	if (errno || *stop != ' ')
		return -1;
	expires = strtoll(stop + 1, &stop, 10);
	if (errno || stop != nl || expires <= minted || minted <= 0)
		return -1;
	if (snprintf(t->username, sizeof(t->username), "%s", c->username) >=
	    (int)sizeof(t->username) ||
	    secret_set(&t->password, nl + 1, (size_t)(end - nl - 1)))
		return -1;
	t->minted = (time_t)minted;
	t->expires = (time_t)expires;
	return 0;
}

int ecr_cache_get(void *cache, const char *key, struct ecr_token *t,
		  struct ck_error *err)
{
	struct cred c = CRED_INIT;
	int ret;

	ecr_token_release(t);
	if (keyctl_backend.get(cache, key, &c, err)) {
		ret = err && err->kind == CK_NOT_FOUND ? 0 : -1;
		if (!ret && err)
			ck_error_clear(err);
	} else if (ecr_entry_read(&c, t)) {
		/* Not ours to read, or a format to come: mint anew. */
		ecr_token_release(t);
		ret = 0;
	} else {
		ret = 1;
	}
	cred_release(&c);
	return ret;
}

int ecr_entry_secret(const struct ecr_token *t, struct secret *s)
{
	char numbers[ENTRY_NUMBERS_MAX + 1];
	int n;

	n = snprintf(numbers, sizeof(numbers), "%lld %lld\n", (long long)t->minted,
		     (long long)t->expires);
	if (n < 0 || (size_t)n >= sizeof(numbers) ||
	    secret_alloc(s, (size_t)n + t->password.len))
		return -1;
	memcpy(s->buf, numbers, (size_t)n);
	memcpy(s->buf + n, t->password.buf, t->password.len);
	return 0;
}

int ecr_cache_put(void *cache, const char *key, const struct ecr_token *t,
		  struct ck_error *err)
{
	struct cred c = CRED_INIT;
	int ret;

	c.server = (char *)key;
	c.username = (char *)t->username;
	if (ecr_entry_secret(t, &c.secret))
		return ck_error(err, CK_FAILED, "out of memory");
	ret = keyctl_store_expiring(cache, &c, t->expires, err);
	secret_release(&c.secret);
	return ret;
}

/* --- the failure record ------------------------------------------------- */

/*
 * The record of key is the entry "KEY !failed" (a token key holds no '!'),
 * of username FAIL_USER and secret "UNTIL_MS KIND\nTEXT": until when
 * (CLOCK_REALTIME ms) it is the answer, and the error.  The kernel drops
 * it a second after that.
 */
#define FAIL_SUFFIX	" !failed"
#define FAIL_USER	"credkit-failed-mint"

static int is_failure_key(const char *key)
{
	size_t n = strlen(key), m = strlen(FAIL_SUFFIX);

	return n > m && !strcmp(key + n - m, FAIL_SUFFIX);
}

static long long realtime_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long ecr_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int ecr_cache_put_failure(void *cache, const char *key, const struct ck_error *failed,
			  long keep_ms, struct ck_error *err)
{
	struct cred c = CRED_INIT;
	char name[ECR_HOST_MAX + ECR_IDENTITY_MAX + sizeof(FAIL_SUFFIX)];
	long long until = realtime_ms() + keep_ms;
	int n, ret;

	if (keep_ms <= 0)
		return 0;
	if (snprintf(name, sizeof(name), "%s%s", key, FAIL_SUFFIX) >= (int)sizeof(name))
		return ck_error(err, CK_FAILED, "the cache key is too long");
	n = snprintf(NULL, 0, "%lld %d\n%s", until, (int)failed->kind, failed->msg);
	if (n < 0 || secret_alloc(&c.secret, (size_t)n))
		return ck_error(err, CK_FAILED, "out of memory");
	snprintf(c.secret.buf, (size_t)n + 1, "%lld %d\n%s", until, (int)failed->kind,
		 failed->msg);
	c.server = name;
	c.username = (char *)FAIL_USER;
	ret = keyctl_store_expiring(cache, &c, (time_t)(until / 1000) + 2, err);
	secret_release(&c.secret);
	return ret;
}

int ecr_cache_get_failure(void *cache, const char *key, long keep_ms,
			  struct ck_error *failed, struct ck_error *err)
{
	struct cred c = CRED_INIT;
	struct ck_error e = CK_ERROR_INIT;
	char name[ECR_HOST_MAX + ECR_IDENTITY_MAX + sizeof(FAIL_SUFFIX)];
	long long until, now = realtime_ms();
	char *p, *nl;
	long kind;
	int ret = 0;

	if (keep_ms <= 0 ||
	    snprintf(name, sizeof(name), "%s%s", key, FAIL_SUFFIX) >= (int)sizeof(name))
		return 0;
	if (keyctl_backend.get(cache, name, &c, &e)) {
		if (e.kind == CK_NOT_FOUND)
			return 0;
		return ck_error(err, e.kind, "%s", e.msg);
	}
	p = c.secret.buf;
	nl = p ? memchr(p, '\n', c.secret.len) : NULL;
	if (!nl || strcmp(c.username, FAIL_USER))
		goto out;
	*nl = '\0';
	if (sscanf(p, "%lld %ld", &until, &kind) != 2 || kind <= CK_OK ||
	    kind > CK_FAILED || until <= now || until - now > keep_ms)
		goto out;	/* past, or kept longer than now allowed: ask again */
	ck_error(failed, (enum ck_kind)kind, "%.*s (the answer %lld ms ago, remembered "
		 "for fail_cache_ms)", (int)(c.secret.len - (size_t)(nl + 1 - p)), nl + 1,
		 keep_ms - (until - now));
	ret = 1;
out:
	cred_release(&c);
	return ret;
}

size_t ecr_key_host_len(const char *key)
{
	const char *sp = strchr(key, ' ');

	return sp ? (size_t)(sp - key) : 0;
}

struct keys {
	char **key;
	size_t nr, alloc;
	const char *host;	/* NULL: every host */
};

static int collect_key(const char *server, const char *username, void *data,
		       struct ck_error *err)
{
	struct keys *k = data;
	size_t n = ecr_key_host_len(server);
	char **grown;

	(void)username;
	/* A failure record goes with its host's tokens, but is not a login. */
	if (!k->host && is_failure_key(server))
		return 0;
	if (!n || (k->host && (strlen(k->host) != n || strncmp(server, k->host, n))))
		return 0;
	if (k->nr == k->alloc) {
		k->alloc = k->alloc ? 2 * k->alloc : 8;
		grown = realloc(k->key, k->alloc * sizeof(*k->key));
		if (!grown)
			return ck_error(err, CK_FAILED, "out of memory");
		k->key = grown;
	}
	if (!(k->key[k->nr] = strdup(server)))
		return ck_error(err, CK_FAILED, "out of memory");
	k->nr++;
	return 0;
}

static void keys_release(struct keys *k)
{
	while (k->nr)
		free(k->key[--k->nr]);
	free(k->key);
	k->key = NULL;
	k->alloc = 0;
}

int ecr_cache_drop(void *cache, const char *host, struct ck_error *err)
{
	struct keys k = { .host = host };
	size_t i;
	int ret;

	ret = keyctl_backend.list(cache, collect_key, &k, err);
	for (i = 0; ret == 0 && i < k.nr; i++)
		ret = keyctl_backend.erase(cache, k.key[i], err);
	keys_release(&k);
	return ret;
}

int ecr_cache_list(void *cache, backend_each_fn each, void *data,
		   struct ck_error *err)
{
	struct keys k = { .host = NULL };
	char url[ECR_HOST_MAX + 16];
	size_t i, n;
	int ret;

	ret = keyctl_backend.list(cache, collect_key, &k, err);
	for (i = 0; ret == 0 && i < k.nr; i++) {
		n = ecr_key_host_len(k.key[i]);
		snprintf(url, sizeof(url), "https://%.*s", (int)n, k.key[i]);
		ret = each(url, "AWS", data, err);
	}
	keys_release(&k);
	return ret;
}

/* --- the lock ------------------------------------------------------------- */

/*
 * Open dir as a lock directory: made 0700 when missing, then opened without
 * following a link and checked on what was opened: a directory of ours
 * that no other user can read or write (else one could block our gets).
 * Returns its descriptor, or -1 with err saying why dir will not do.
 */
static int lock_dir_open(const char *dir, struct ck_error *err)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return ck_error(err, CK_FAILED, "cannot make %s: %s", dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ck_error(err, CK_FAILED, "cannot open %s: %s", dir,
				errno == ELOOP ? "it is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		return ck_error(err, CK_FAILED, "%s is not a private directory of uid %lu",
				dir, (unsigned long)geteuid());
	}
	return fd;
}

/*
 * The directory of lock files, opened (its path in path[size]): the first
 * of $XDG_RUNTIME_DIR/credkit, /run/user/UID/credkit (when /run/user/UID
 * is ours), $XDG_CACHE_HOME/credkit or ~/.cache/credkit, /tmp/credkit-UID
 * that lock_dir_open accepts.  Returns its descriptor, or -1 with err
 * naming why each place would not do.
 */
static int lock_dir(char *path, size_t size, struct ck_error *err)
{
	const char *run = config_env("XDG_RUNTIME_DIR");
	const char *cache = config_env("XDG_CACHE_HOME");
	const char *home = config_env("HOME");
	unsigned long uid = (unsigned long)geteuid();
	struct ck_error why = CK_ERROR_INIT;
	char dir[4][PATH_MAX], user[64], why_all[sizeof(err->msg)] = "";
	size_t nr = 0, i, len = 0;
	struct stat st;
	int fd, n;

	if (run && run[0] == '/')
		snprintf(dir[nr++], sizeof(dir[0]), "%s/credkit", run);
	snprintf(user, sizeof(user), "/run/user/%lu", uid);
	if ((!run || strcmp(run, user)) && !lstat(user, &st) && S_ISDIR(st.st_mode) &&
	    st.st_uid == uid)
		snprintf(dir[nr++], sizeof(dir[0]), "%s/credkit", user);
	if (cache && cache[0] == '/') {
		snprintf(dir[nr++], sizeof(dir[0]), "%s/credkit", cache);
	} else if (home && home[0] == '/') {
		snprintf(dir[nr], sizeof(dir[0]), "%s/.cache", home);
		mkdir(dir[nr], 0700);	/* as the XDG spec asks; its check is below */
		snprintf(dir[nr++], sizeof(dir[0]), "%s/.cache/credkit", home);
	}
	snprintf(dir[nr++], sizeof(dir[0]), "/tmp/credkit-%lu", uid);

	for (i = 0; i < nr; i++) {
		if (strlen(dir[i]) >= sizeof(dir[0]) - 1) {
			ck_error(&why, CK_FAILED, "%.40s... is too long", dir[i]);
		} else if ((fd = lock_dir_open(dir[i], &why)) >= 0) {
			n = snprintf(path, size, "%s", dir[i]);
			if (n >= 0 && (size_t)n < size)
				return fd;
			close(fd);
			ck_error(&why, CK_FAILED, "%.40s... is too long", dir[i]);
		}
		n = snprintf(why_all + len, sizeof(why_all) - len, "%s%s",
			     len ? "; " : "", why.msg);
		if (n > 0)
			len = strlen(why_all);
	}
	if (!run)
		ck_error(err, CK_FAILED, "XDG_RUNTIME_DIR is not set; %s", why_all);
	else
		ck_error(err, CK_FAILED, "%s", why_all);
	return -1;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only to interrupt flock() */
}

/* flock(fd, LOCK_EX) for at most wait_ms; 0, or -1 with errno (EINTR: time). */
static int flock_bounded(int fd, long wait_ms)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval t = { { 0, 0 }, { wait_ms / 1000, (wait_ms % 1000) * 1000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	int ret, e;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK || wait_ms <= 0) {
		e = errno;
		errno = e == EWOULDBLOCK ? EINTR : e;
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &old))
		return -1;
	setitimer(ITIMER_REAL, &t, NULL);
	ret = flock(fd, LOCK_EX);
	e = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	errno = e;
	return ret;
}

int ecr_lock(const char *key, long wait_ms, struct ck_error *err)
{
	char path[PATH_MAX], name[32];
	int dir, fd;

	dir = lock_dir(path, sizeof(path), err);
	if (dir < 0)
		return -3;
	snprintf(name, sizeof(name), "ecr-%016llx.lock",
		 (unsigned long long)fnv1a(0xcbf29ce484222325ull, key));
	fd = openat(dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dir);
	if (fd < 0)
		return ck_error(err, CK_FAILED, "cannot open the lock file %s/%s: %s",
				path, name, strerror(errno));
	if (flock_bounded(fd, wait_ms) == 0)
		return fd;
	close(fd);
	if (errno == EINTR) {
		ck_error(err, CK_LOCKED,
			 "another docker-credential-ecr-login has been getting a token for "
			 "this registry for %ld ms and is not done (lock %s/%s)", wait_ms,
			 path, name);
		return -2;
	}
	return ck_error(err, CK_FAILED, "cannot lock %s/%s: %s", path, name,
			strerror(errno));
}
