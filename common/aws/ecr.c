/* SPDX-License-Identifier: MIT */
/*
 * ecr.c - which hosts are ECR registries, and whose token answers for
 * each (see ecr.h).
 *
 * Nothing here touches the network or loads AWS credentials (the cache key
 * only digests what selects them): this is what the cheap front of
 * docker-credential-ecr-login runs on every get.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "aws/awscreds.h"
#include "aws/ecr.h"
#include "aws/partition.h"
#include "registry.h"
#include "tokens/identity.h"

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

/*
 * profile, role_arn, timeout_ms, fail_cache_ms and kubelet_timeout_ms of
 * obj, over what r has.
 */
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
	    take_ms(obj, "fail_cache_ms", 0, 60000, &r->fail_cache_ms, where, path, err) ||
	    take_ms(obj, "kubelet_timeout_ms", 100, ECR_KUBELET_TIMEOUT_MAX,
		    &r->kubelet_timeout_ms, where, path, err))
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

/* What else the cache key holds: the files and endpoints (see make_key()). */
static const char *const key_env[] = {
	"HOME", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC",
	"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION",
};

/* The cache key of r's token for identity, in its scope (see make_key()). */
static int scoped_key(const struct ecr_registry *r, const char *identity,
		      struct token_target *t, struct ck_error *err)
{
	char scope[sizeof(r->region) + 8];

	if (r->public)
		snprintf(scope, sizeof(scope), "public");
	else
		snprintf(scope, sizeof(scope), "%s%s", r->region, r->fips ? "/fips" : "");
	return token_target_key(t, ECR_NS, scope, identity, err);
}

/*
 * The identity: what decides which credentials the chain will find, as
 * readable as it is short, then a SHA-256 of the rest of what can change
 * them: the values that select the principal (aws_identity_digest(): keys,
 * tokens, token files' stable claims, the shared files) and the files and
 * endpoints, so that a test's mock never shares a token with the real AWS.
 * Two callers whose chains can resolve to different principals get
 * different keys; no secret is in it in clear.
 *
 * The scope: GetAuthorizationToken's token is good for every registry its
 * principal reaches in the region (any account, IPv4 or dual-stack name,
 * an alias), so one token per identity and region, FIPS endpoint apart;
 * ECR Public has one scope of its own.
 */
static int make_key(const struct ecr_registry *r, struct token_target *t,
		    struct ck_error *err)
{
	unsigned char principal[AWS_IDENTITY_DIGEST_LEN];
	char who[1400], hex[TOKEN_ID_HEX];
	char identity[TOKEN_IDENTITY_MAX];
	const char *what, *name;
	struct token_id id;

	if (r->profile[0]) {
		what = "profile";
		name = r->profile;
	} else if (config_env("AWS_ACCESS_KEY_ID") && config_env("AWS_SECRET_ACCESS_KEY")) {
		what = "key";
		name = config_env("AWS_ACCESS_KEY_ID");
	} else if (config_env("AWS_WEB_IDENTITY_TOKEN_FILE") && config_env("AWS_ROLE_ARN")) {
		what = "web-identity";
		name = config_env("AWS_ROLE_ARN");
	} else {
		what = "profile";
		name = config_env("AWS_PROFILE") ? config_env("AWS_PROFILE") : "default";
	}
	snprintf(who, sizeof(who), "%s=%.1200s", what, name);
	aws_identity_digest(r->profile[0] ? r->profile : NULL, principal);
	token_id_start(&id);
	token_id_add(&id, "principal", principal, sizeof(principal));
	token_id_env(&id, key_env, sizeof(key_env) / sizeof(key_env[0]));
	/* The readable part is cut and its bytes made printable: whole here. */
	token_id_string(&id, what, name);
	token_id_string(&id, "role", r->role_arn);
	token_id_end(&id, hex);
	snprintf(identity, sizeof(identity), "%s%s%s #%s", who,
		 r->role_arn[0] ? " role=" : "", r->role_arn, hex);
	return scoped_key(r, identity, t, err);
}

int ecr_registry_find(const char *server, const struct config *cfg,
		      struct ecr_registry *r, struct token_target *t, struct ck_error *err)
{
	struct registry_ref ref;
	json_t *ecr = cfg && cfg->root ? json_object_get(cfg->root, "ecr") : NULL;
	json_t *mine;
	const char *path = cfg ? cfg->path : "";
	char where[ECR_HOST_MAX + 32];
	size_t i;
	int known, ret;

	memset(r, 0, sizeof(*r));
	r->timeout_ms = ECR_TIMEOUT_MS;
	r->fail_cache_ms = ECR_FAIL_CACHE_MS;
	r->kubelet_timeout_ms = ECR_KUBELET_TIMEOUT_MS;
	if (registry_parse(server, &ref, NULL))	/* a path is the client's business */
		return 0;
	registry_host_port(&ref, r->host, sizeof(r->host));

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
	memset(t, 0, sizeof(*t));
	snprintf(t->host, sizeof(t->host), "%s", r->host);
	t->timeout_ms = r->timeout_ms;
	t->fail_cache_ms = r->fail_cache_ms;
	t->fresh_percent = 50;
	return make_key(r, t, err) ? -1 : 1;
}

static int find(const char *server, const struct config *cfg, struct token_target *t,
		void *own, struct ck_error *err)
{
	return ecr_registry_find(server, cfg, own, t, err);
}

/* configure without hosts: the ECR registries the settings name. */
static int hosts(const struct config *cfg, backend_each_fn each, void *data,
		 struct ck_error *err)
{
	json_t *ecr = cfg && cfg->root ? json_object_get(cfg->root, "ecr") : NULL;
	json_t *regs = json_object_get(ecr, "registries"), *v;
	struct ecr_registry r;
	struct token_target t;
	const char *host;
	int found;

	json_object_foreach(regs, host, v) {
		found = ecr_registry_find(host, cfg, &r, &t, err);
		if (found < 0 || (found > 0 && each(r.host, NULL, data, err)))
			return -1;
	}
	return 0;
}

/*
 * A kubelet's request (tokens/helper.h): its budget, and with a service
 * account's token the role to assume with it and a cache key of that role
 * and the token's principal (its iss, sub and aud: aws_token_digest()),
 * in place of the node's chain; the endpoints count as in make_key().
 * The settings' profile and role_arn are the node's, not looked at then.
 */
static int kubelet(const struct kubelet_request *req, struct token_target *t, void *own,
		   struct ck_error *err)
{
	struct ecr_registry *r = own;
	unsigned char principal[AWS_IDENTITY_DIGEST_LEN];
	char hex[TOKEN_ID_HEX], identity[TOKEN_IDENTITY_MAX];
	const char *role, *from = "the annotation " ECR_ROLE_ANNOTATION;
	struct token_id id;

	r->timeout_ms = t->timeout_ms = r->kubelet_timeout_ms;
	if (!req->token.buf || !req->token.len)
		return 0;	/* the node's own chain */
	if (!(role = kubelet_annotation(req, ECR_ROLE_ANNOTATION)) || !*role) {
		role = config_env("AWS_ECR_ROLE_ARN");
		from = "AWS_ECR_ROLE_ARN";
	}
	if (!role)
		return ck_error(err, CK_BAD_INPUT, "the request for %s has a service account "
				"token but no role to assume with it: annotate the service "
				"account with %s, or set AWS_ECR_ROLE_ARN in the provider's env",
				r->host, ECR_ROLE_ANNOTATION);
	if (strncmp(role, "arn:", 4) ||
	    !well_formed(role, sizeof(r->web_role) - 1, ":/-_.+=@,"))
		return ck_error(err, CK_BAD_INPUT, "the role of %s for %s is not an IAM role "
				"ARN (\"arn:...\", at most %zu bytes)", from, r->host,
				sizeof(r->web_role) - 1);
	snprintf(r->web_role, sizeof(r->web_role), "%s", role);
	r->web_token = &req->token;
	aws_token_digest(req->token.buf, req->token.len, principal);
	token_id_start(&id);
	token_id_add(&id, "service account", principal, sizeof(principal));
	token_id_env(&id, key_env, sizeof(key_env) / sizeof(key_env[0]));
	token_id_string(&id, "role", r->web_role);
	token_id_end(&id, hex);
	snprintf(identity, sizeof(identity), "service-account role=%.2048s #%s",
		 r->web_role, hex);
	return scoped_key(r, identity, t, err);
}

const struct token_helper ecr_tokens = {
	.name = "ecr-login",
	.ns = ECR_NS,
	.minter_env = "CREDKIT_ECR_MINT",
	.summary = "Mints Amazon ECR tokens from your AWS credentials and caches "
		   "them in the kernel keyring.",
	.notes = "get mints a token from your AWS credentials (environment, web identity,\n"
		 "AWS_PROFILE, container or instance credentials) and caches it in the\n"
		 "kernel keyring; store is accepted and ignored (tokens are minted, never\n"
		 "typed in); erase drops the cached token; list shows cached registries.\n"
		 "get-credentials answers a kubelet's CredentialProviderRequest on stdin\n"
		 "(with a service account's token: its eks.amazonaws.com/ecr-role-arn role).\n",
	.own_size = sizeof(struct ecr_registry),
	.find = find,
	.hosts = hosts,
	.doctor_in_minter = 1,	/* ecr_doctor(): the chain's explain mode */
	.kubelet_cache_percent = 50,
	.kubelet = kubelet,
};

