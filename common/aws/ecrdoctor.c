/* SPDX-License-Identifier: MIT */
/*
 * ecrdoctor.c - doctor of docker-credential-ecr-login (see ecr.h): for
 * each registry, its region, its endpoints and which AWS credential source
 * would answer and why the earlier ones do not; with --online, whom STS
 * says those credentials are.
 *
 * The chain is not described here: aws_creds_resolve() walks it in its
 * explain mode (awscreds.h), so that what doctor says is what a get does.
 * Only the minting program links this (libcurl, libcrypto).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "aws/awscreds.h"
#include "aws/awsnet.h"
#include "aws/ecr.h"
#include "clock.h"
#include "config.h"

#define EXPLAIN_MAX	8192

/* One registry doctor looks at: its name for people, and what find() said. */
struct look {
	const char *label;
	struct ecr_registry r;
	struct token_target t;
};

typedef int (*look_fn)(const struct look *l, struct ck_error *err);

/* The chain of r, as its mint() builds it, with deadline_ms. */
static void chain_of(const struct ecr_registry *r, long deadline_ms, struct aws_chain *c)
{
	memset(c, 0, sizeof(*c));
	c->profile = r->profile[0] ? r->profile : NULL;
	c->role_arn = r->role_arn[0] ? r->role_arn : NULL;
	c->region = r->region;
	c->deadline_ms = deadline_ms;
	c->ca_file = config_env("AWS_CA_BUNDLE");
}

/*
 * Each registry the settings name, then any other ECR host with the
 * settings' defaults (a host in the region the environment or profile
 * names, else us-east-1, standing for them all).
 */
static int each_look(const struct config *cfg, look_fn fn, struct ck_error *err)
{
	json_t *ecr = cfg && cfg->root ? json_object_get(cfg->root, "ecr") : NULL;
	json_t *regs = json_object_get(ecr, "registries"), *v;
	char region[64], host[128], label[160];
	struct look l;
	const char *name;
	int found;

	json_object_foreach(regs, name, v) {
		found = ecr_registry_find(name, cfg, &l.r, &l.t, err);
		if (found < 0)
			return -1;
		if (!found)
			continue;	/* settings for a host that is not ECR */
		l.label = l.r.host;
		if (fn(&l, err))
			return -1;
	}
	if (aws_region(NULL, region, sizeof(region), NULL) != 1)
		snprintf(region, sizeof(region), "us-east-1");
	snprintf(host, sizeof(host), "000000000000.dkr.ecr.%s.amazonaws.com", region);
	if (ecr_registry_find(host, cfg, &l.r, &l.t, err) != 1)
		return -1;
	snprintf(label, sizeof(label), "any other ECR registry (here: one in %s)", region);
	l.label = label;
	return fn(&l, err);
}

/* The profile the chain starts from, and who chose it. */
static void say_profile(const struct ecr_registry *r)
{
	const char *env = config_env("AWS_PROFILE");

	if (r->profile[0])
		printf("  profile: %s (the settings)\n", r->profile);
	else if (env)
		printf("  profile: %s (AWS_PROFILE)\n", env);
	else
		printf("  profile: default (AWS_PROFILE not set)\n");
	if (r->role_arn[0])
		printf("  role_arn: %s (the settings: assumed with what the chain finds)\n",
		       r->role_arn);
}

/* " (override VAR)" for the first of vars that is set, else "". */
static const char *override(const char *a, const char *b, char *buf, size_t size)
{
	const char *var = config_env(a) ? a : b && config_env(b) ? b : NULL;

	if (!var)
		return "";
	snprintf(buf, size, " (override %s)", var);
	return buf;
}

static int say_endpoints(const struct look *l, const struct aws_chain *c,
			 struct ck_error *err)
{
	const char *ecr_var = l->r.public ? "AWS_ENDPOINT_URL_ECR_PUBLIC" : "AWS_ENDPOINT_URL_ECR";
	struct aws_endpoint e;
	char url[2048], region[64], note[80];

	if (ecr_endpoint(&l->r, &e, err))
		return -1;
	printf("  %s API: %s%s\n", l->r.public ? "ECR Public" : "ECR", e.url,
	       override(ecr_var, "AWS_ENDPOINT_URL", note, sizeof(note)));
	if (aws_sts_url(c, url, sizeof(url), region, sizeof(region), err))
		return -1;
	printf("  STS: %s, signed for %s%s (asked only to assume a role, and by "
	       "doctor --online)\n", url, region,
	       override("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", note, sizeof(note)));
	if (override("AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL", note, sizeof(note))[0])
		printf("  SSO portal: %s%s (for an SSO profile)\n",
		       config_env("AWS_ENDPOINT_URL_SSO") ? config_env("AWS_ENDPOINT_URL_SSO")
							  : config_env("AWS_ENDPOINT_URL"), note);
	else
		printf("  SSO portal: portal.sso.SSO_REGION of the partition (for an SSO "
		       "profile: the chain below names it)\n");
	return 0;
}

/* The chain's walk for l, explained: which source answers and why not the others. */
static int say_chain(const struct look *l, const struct aws_chain *c)
{
	static char explained[EXPLAIN_MAX];
	struct aws_creds creds = AWS_CREDS_INIT;
	struct ck_error why = CK_ERROR_INIT;
	const char *p;
	size_t n;
	int r;

	aws_explain_start(explained, sizeof(explained));
	r = aws_creds_resolve(c, &creds, &why);
	aws_explain_stop();
	aws_files_forget();	/* a later look reads the files as they are then */
	printf("  AWS credentials, in the chain's order:\n");
	for (p = explained; *p; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		printf("  %.*s\n", (int)n, p);
	}
	if (r == AWS_CREDS_FOUND)
		printf("  => answered by: %s\n", creds.source);
	else
		printf("  => no credentials: %s\n", why.msg);
	(void)l;
	aws_creds_release(&creds);
	return 0;
}

static int doctor_one(const struct look *l, struct ck_error *err)
{
	struct aws_chain c;

	chain_of(&l->r, ck_now_ms() + l->r.timeout_ms, &c);
	printf("\n%s:\n", l->label);
	if (l->r.public)
		printf("  ECR Public, region us-east-1\n");
	else
		printf("  account %s, region %s%s\n", l->r.account, l->r.region,
		       l->r.fips ? " (FIPS endpoint)" : "");
	say_profile(&l->r);
	printf("  budget of a get: %ld ms; failures remembered for %ld ms\n",
	       l->r.timeout_ms, l->r.fail_cache_ms);
	if (say_endpoints(l, &c, err))
		return -1;
	return say_chain(l, &c);
}

int ecr_doctor(const struct config *cfg, int online, struct ck_error *err)
{
	(void)online;	/* the online checks are ecr_online()'s */
	printf("\nECR registries (those of the settings %s; to see another here, name it "
	       "under \"ecr\": {\"registries\": {\"HOST\": {}}}):\n", cfg->path);
	return each_look(cfg, doctor_one, err);
}

/* One GetCallerIdentity for l: whom ECR will see. */
static int online_one(const struct look *l, struct ck_error *err)
{
	struct aws_creds creds = AWS_CREDS_INIT;
	struct aws_caller who;
	struct aws_chain c;
	long start = ck_now_ms();
	int ret = -1;

	chain_of(&l->r, start + l->r.timeout_ms, &c);
	printf("\n%s: STS GetCallerIdentity (within %ld ms)\n", l->label, l->r.timeout_ms);
	aws_creds_deadline(c.deadline_ms);
	if (aws_creds_resolve(&c, &creds, err) != AWS_CREDS_FOUND)
		goto out;
	if (aws_caller_identity(&c, &creds, &who, err))
		goto out;
	printf("  credentials from: %s\n  asked: %s (signed for %s)\n  arn: %s\n"
	       "  account: %s\n  user id: %s\n  (%ld ms)\n", creds.source, who.endpoint,
	       who.region, who.arn, who.account, who.user_id, ck_now_ms() - start);
	ret = 0;
out:
	if (ret)
		printf("  failed: %s\n", err->msg);
	aws_creds_release(&creds);
	return ret;
}

int ecr_online(const struct config *cfg, struct ck_error *err)
{
	return each_look(cfg, online_one, err);
}
