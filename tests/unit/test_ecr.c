/* SPDX-License-Identifier: MIT */
/*
 * test_ecr.c - ECR host matching, settings and cache keys
 * (common/aws/ecr.c), without any network.  The cache itself is the token
 * core's (test_tokens.c).
 *
 * Usage: test_ecr [FILE...]	(FILEs are ignored: the cases are below)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "aws/ecr.h"
#include "aws/partition.h"

/* The cache keys of the registries found (r, and r2 or other). */
static struct token_target t1, t2;

static const struct {
	const char *server;
	const char *account, *region, *suffix;	/* account NULL: not ECR */
	int fips, public;
} hosts[] = {
	{ "123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012", "us-east-1", "amazonaws.com", 0, 0 },
	{ "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/", "123456789012", "us-east-1", "amazonaws.com", 0, 0 },
	{ "123456789012.dkr.ecr.us-east-1.amazonaws.com:443", "123456789012", "us-east-1", "amazonaws.com", 0, 0 },
	{ "123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM", "123456789012", "us-east-1", "amazonaws.com", 0, 0 },
	{ "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app", "123456789012", "us-east-1", "amazonaws.com", 0, 0 },
	{ "123456789012.dkr-ecr.us-west-2.on.aws", "123456789012", "us-west-2", "amazonaws.com", 0, 0 },
	{ "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1", "amazonaws.com", 1, 0 },
	{ "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012", "cn-north-1", "amazonaws.com.cn", 0, 0 },
	{ "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn", "123456789012", "cn-north-1", "amazonaws.com.cn", 0, 0 },
	{ "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", "123456789012", "eusc-de-east-1", "amazonaws.eu", 0, 0 },
	{ "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", "123456789012", "us-isob-east-1", "sc2s.sgov.gov", 0, 0 },
	{ "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", "123456789012", "us-iso-east-1", "c2s.ic.gov", 0, 0 },
	{ "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", "123456789012", "eu-isoe-west-1", "cloud.adc-e.uk", 0, 0 },
	{ "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", "123456789012", "us-isof-south-1", "csp.hci.ic.gov", 0, 0 },
	{ "123456789012.dkr.ecr.my_region-1.amazonaws.com", "123456789012", "my_region-1", "amazonaws.com", 0, 0 },
	{ "public.ecr.aws", "", "us-east-1", "amazonaws.com", 0, 1 },
	{ "https://public.ecr.aws/v2/", "", "us-east-1", "amazonaws.com", 0, 1 },
	{ "ecr-public.aws.com", "", "us-east-1", "amazonaws.com", 0, 1 },
	{ "docker.io", NULL, NULL, NULL, 0, 0 },
	{ "https://index.docker.io/v1/", NULL, NULL, NULL, 0, 0 },
	{ "12345678901.dkr.ecr.us-east-1.amazonaws.com", NULL, NULL, NULL, 0, 0 },
	{ "1234567890123.dkr.ecr.us-east-1.amazonaws.com", NULL, NULL, NULL, 0, 0 },
	{ "12345678901a.dkr.ecr.us-east-1.amazonaws.com", NULL, NULL, NULL, 0, 0 },
	{ "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example", NULL, NULL, NULL, 0, 0 },
	{ "x123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, NULL, NULL, 0, 0 },
	{ "123456789012.dkr.ecr..amazonaws.com", NULL, NULL, NULL, 0, 0 },
	{ "123456789012.dkr.ecr.-us-east-1.amazonaws.com", NULL, NULL, NULL, 0, 0 },
	{ "123456789012.dkrxecr.us-east-1.amazonaws.com", NULL, NULL, NULL, 0, 0 },
	{ "123456789012.dkr.ecr-fipsx.us-east-1.amazonaws.com", NULL, NULL, NULL, 0, 0 },
	{ "123456789012.dkr.ecr.us-east-1.amazonaws.org", NULL, NULL, NULL, 0, 0 },
	{ "123456789012.dkr.ecr.us-east-1.on.aws.evil", NULL, NULL, NULL, 0, 0 },
	{ "public.ecr.aws.evil.example", NULL, NULL, NULL, 0, 0 },
	{ "evilpublic.ecr.aws", NULL, NULL, NULL, 0, 0 },
	{ "user:pw@public.ecr.aws", NULL, NULL, NULL, 0, 0 },
	{ "", NULL, NULL, NULL, 0, 0 },
	{ "ftp://public.ecr.aws", NULL, NULL, NULL, 0, 0 },
};

static void test_hosts(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct ecr_registry r;
	size_t i;
	int got;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		got = ecr_registry_find(hosts[i].server, NULL, &r, &t1, &err);
		if (!hosts[i].account) {
			CHECK(got == 0, "not ECR: \"%s\"", hosts[i].server);
			continue;
		}
		CHECK(got == 1 && !strcmp(r.account, hosts[i].account) &&
		      !strcmp(r.region, hosts[i].region) &&
		      !strcmp(r.suffix, hosts[i].suffix) && r.fips == hosts[i].fips &&
		      r.public == hosts[i].public && r.timeout_ms == ECR_TIMEOUT_MS,
		      "ECR: %s -> account %s region %s suffix %s%s%s", hosts[i].server,
		      r.account, r.region, r.suffix, r.fips ? " fips" : "",
		      r.public ? " public" : "");
	}
}

/* ecr_registry_find() with settings text; returns what it returned. */
static int find_with(const char *settings, const char *server, struct ecr_registry *r,
		     struct token_target *t, struct ck_error *err)
{
	struct config cfg = CONFIG_INIT;
	int ret;

	snprintf(cfg.path, sizeof(cfg.path), "config.json");
	cfg.root = json_loads(settings, 0, NULL);
	ret = ecr_registry_find(server, &cfg, r, t, err);
	json_decref(cfg.root);
	return ret;
}

static void test_settings(void)
{
	static const char alias[] =
		"{\"ecr\": {\"profile\": \"base\", \"timeout_ms\": 5000, \"registries\": {"
		"\"registry.example.com\": {\"account\": \"123456789012\", \"region\": \"eu-west-1\"},"
		"\"registry.example.com:5000\": {\"account\": \"210987654321\", \"region\": \"cn-north-1\","
		" \"profile\": \"china\", \"timeout_ms\": 700},"
		"\"pub.example.com\": {\"public\": true},"
		"\"only-settings.example.com\": {\"profile\": \"x\"},"
		"\"123456789012.dkr.ecr.us-east-1.amazonaws.com\": {\"role_arn\": \"arn:aws:iam::123456789012:role/pull\"}"
		"}}}";
	static const struct {
		const char *settings, *server, *words;
	} bad[] = {
		{ "{\"ecr\": 1}", "public.ecr.aws", "\"ecr\" must be an object" },
		{ "{\"ecr\": {\"registries\": {\"a.example\": 1}}}", "a.example", "must be an object" },
		{ "{\"ecr\": {\"registries\": {\"a.example\": {\"account\": \"1\", \"region\": \"x\"}}}}",
		  "a.example", "needs \"account\" (12 digits)" },
		{ "{\"ecr\": {\"registries\": {\"a.example\": {\"account\": \"123456789012\"}}}}",
		  "a.example", "needs \"account\"" },
		{ "{\"ecr\": {\"registries\": {\"a.example\": {\"account\": \"123456789012\", \"region\": \"eu west\"}}}}",
		  "a.example", "\"region\" of registry a.example is not valid" },
		{ "{\"ecr\": {\"timeout_ms\": 10}}", "public.ecr.aws", "timeout_ms" },
		{ "{\"ecr\": {\"timeout_ms\": 1.5}}", "public.ecr.aws", "timeout_ms" },
		{ "{\"ecr\": {\"profile\": \"a b\"}}", "public.ecr.aws", "\"profile\" of \"ecr\"" },
		{ "{\"ecr\": {\"role_arn\": \"role/x\"}}", "public.ecr.aws", "must start with \"arn:\"" },
		{ "{\"ecr\": {\"role_arn\": \"arn:aws:iam::1:role/a\\nb\"}}", "public.ecr.aws", "role_arn" },
	};
	struct ck_error err = CK_ERROR_INIT;
	struct ecr_registry r, r2;
	size_t i;

	CHECK(find_with(alias, "registry.example.com", &r, &t1, &err) == 1 &&
	      !strcmp(r.account, "123456789012") && !strcmp(r.region, "eu-west-1") &&
	      !strcmp(r.suffix, "amazonaws.com") && !strcmp(r.profile, "base") &&
	      r.timeout_ms == 5000 && !strcmp(r.host, "registry.example.com"),
	      "an alias: account, region, the section's profile and timeout");
	CHECK(find_with(alias, "https://registry.example.com:5000/v2/", &r, &t1, &err) == 1 &&
	      !strcmp(r.account, "210987654321") && !strcmp(r.suffix, "amazonaws.com.cn") &&
	      !strcmp(r.profile, "china") && r.timeout_ms == 700 &&
	      !strcmp(r.host, "registry.example.com:5000"),
	      "host:port has its own entry, which wins over the section");
	CHECK(find_with(alias, "registry.example.com:6000", &r, &t1, &err) == 1 &&
	      !strcmp(r.account, "123456789012") && !strcmp(r.host, "registry.example.com:6000"),
	      "another port falls back to the host's entry");
	CHECK(find_with(alias, "pub.example.com", &r, &t1, &err) == 1 && r.public &&
	      !strcmp(r.region, "us-east-1"), "an alias of ECR Public");
	CHECK(find_with(alias, "only-settings.example.com", &r, &t1, &err) == 0,
	      "settings without account and region do not make a host ECR");
	CHECK(find_with(alias, "123456789012.dkr.ecr.us-east-1.amazonaws.com", &r, &t1, &err) == 1 &&
	      !strcmp(r.role_arn, "arn:aws:iam::123456789012:role/pull") &&
	      !strcmp(r.profile, "base"), "settings of a real ECR host");
	CHECK(find_with(alias, "docker.io", &r, &t1, &err) == 0, "docker.io is still not ECR");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_error_clear(&err);
		CHECK(find_with(bad[i].settings, bad[i].server, &r, &t1, &err) == -1 &&
		      err.kind == CK_BAD_INPUT && strstr(err.msg, bad[i].words) &&
		      strstr(err.msg, "config.json"),
		      "bad settings %s: %s", bad[i].settings, err.msg);
	}

	/* Keys: the same registry and identity give one key; others another. */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r, &t1, &err);
	ecr_registry_find("https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/", NULL, &r2, &t2, &err);
	CHECK(!strcmp(t1.key, t2.key) &&
	      !strncmp(t1.key, "credkit-token:ecr us-east-1 profile=default #", 45) &&
	      !strcmp(t1.host, "123456789012.dkr.ecr.us-east-1.amazonaws.com") &&
	      t1.fresh_percent == 50 && t1.timeout_ms == ECR_TIMEOUT_MS,
	      "one key for two spellings, in ECR's namespace and the region: %s", t1.key);
	setenv("AWS_PROFILE", "dev", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r2, &t2, &err);
	CHECK(strstr(t2.key, " profile=dev #") != NULL, "AWS_PROFILE: %s", t2.key);
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "not-shown", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r2, &t2, &err);
	CHECK(strstr(t2.key, " key=AKIDEXAMPLE #") && !strstr(t2.key, "not-shown"),
	      "environment keys: the key id, never the secret: %s", t2.key);
	find_with(alias, "123456789012.dkr.ecr.us-east-1.amazonaws.com", &r2, &t2, &err);
	CHECK(strstr(t2.key, " profile=base role=arn:aws:iam::123456789012:role/pull #") != NULL,
	      "a profile and role of the settings: %s", t2.key);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	setenv("AWS_CONFIG_FILE", "/elsewhere", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r2, &t2, &err);
	CHECK(strcmp(t1.key, t2.key) != 0, "another config file, another key");
	unsetenv("AWS_CONFIG_FILE");
	/* The issue's pods: one URI, other authorization tokens. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-a-secret", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r, &t1, &err);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-b-secret", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r2, &t2, &err);
	CHECK(strcmp(t1.key, t2.key) && !strstr(t1.key, "secret") && !strstr(t2.key, "secret"),
	      "two container tokens, two keys, neither token in them: %s", t2.key);
	setenv("AWS_SECRET_ACCESS_KEY", "other-secret", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r, &t1, &err);
	CHECK(strcmp(t1.key, t2.key) && !strstr(t1.key, "secret"),
	      "a secret key counts, and is not in the key: %s", t1.key);
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

/*
 * One table for every partition: a sample region's STS, IAM Identity
 * Center and ECR hosts, and what an alias in that region is signed for.
 */
static void test_partitions(void)
{
	static const struct {
		const char *region, *id, *sts, *sso, *ecr;
	} cases[] = {
		{ "us-east-1", "aws", "https://sts.us-east-1.amazonaws.com",
		  "https://portal.sso.us-east-1.amazonaws.com", "https://api.ecr.us-east-1.amazonaws.com" },
		{ "mx-central-1", "aws", "https://sts.mx-central-1.amazonaws.com",
		  "https://portal.sso.mx-central-1.amazonaws.com", "https://api.ecr.mx-central-1.amazonaws.com" },
		{ "cn-northwest-1", "aws-cn", "https://sts.cn-northwest-1.amazonaws.com.cn",
		  "https://portal.sso.cn-northwest-1.amazonaws.com.cn",
		  "https://api.ecr.cn-northwest-1.amazonaws.com.cn" },
		{ "us-gov-west-1", "aws-us-gov", "https://sts.us-gov-west-1.amazonaws.com",
		  "https://portal.sso.us-gov-west-1.amazonaws.com",
		  "https://api.ecr.us-gov-west-1.amazonaws.com" },
		{ "us-iso-east-1", "aws-iso", "https://sts.us-iso-east-1.c2s.ic.gov",
		  "https://portal.sso.us-iso-east-1.c2s.ic.gov", "https://api.ecr.us-iso-east-1.c2s.ic.gov" },
		{ "us-isob-east-1", "aws-iso-b", "https://sts.us-isob-east-1.sc2s.sgov.gov",
		  "https://portal.sso.us-isob-east-1.sc2s.sgov.gov",
		  "https://api.ecr.us-isob-east-1.sc2s.sgov.gov" },
		{ "eu-isoe-west-1", "aws-iso-e", "https://sts.eu-isoe-west-1.cloud.adc-e.uk",
		  "https://portal.sso.eu-isoe-west-1.cloud.adc-e.uk",
		  "https://api.ecr.eu-isoe-west-1.cloud.adc-e.uk" },
		{ "us-isof-south-1", "aws-iso-f", "https://sts.us-isof-south-1.csp.hci.ic.gov",
		  "https://portal.sso.us-isof-south-1.csp.hci.ic.gov",
		  "https://api.ecr.us-isof-south-1.csp.hci.ic.gov" },
		{ "eusc-de-east-1", "aws-eusc", "https://sts.eusc-de-east-1.amazonaws.eu",
		  "https://portal.sso.eusc-de-east-1.amazonaws.eu",
		  "https://api.ecr.eusc-de-east-1.amazonaws.eu" },
		/* Not in any pattern: "aws", as in the SDKs. */
		{ "zz-north-1", "aws", "https://sts.zz-north-1.amazonaws.com",
		  "https://portal.sso.zz-north-1.amazonaws.com", "https://api.ecr.zz-north-1.amazonaws.com" },
		{ "us-gov-west", "aws", "https://sts.us-gov-west.amazonaws.com",
		  "https://portal.sso.us-gov-west.amazonaws.com", "https://api.ecr.us-gov-west.amazonaws.com" },
	};
	struct ck_error err = CK_ERROR_INIT;
	struct ecr_registry r;
	char settings[512], url[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_STR(aws_partition_of(cases[i].region)->id, cases[i].id,
			  "%s is in partition %s", cases[i].region, cases[i].id);
		aws_partition_url("sts", cases[i].region, url, sizeof(url));
		CHECK_STR(url, cases[i].sts, "STS of %s", cases[i].region);
		aws_partition_url("portal.sso", cases[i].region, url, sizeof(url));
		CHECK_STR(url, cases[i].sso, "IAM Identity Center of %s", cases[i].region);
		aws_partition_url("api.ecr", cases[i].region, url, sizeof(url));
		CHECK_STR(url, cases[i].ecr, "ECR of %s", cases[i].region);
		/* An alias in that region: its API is the partition's. */
		snprintf(settings, sizeof(settings), "{\"ecr\": {\"registries\": {\"r.example\": "
			 "{\"account\": \"123456789012\", \"region\": \"%s\"}}}}", cases[i].region);
		snprintf(want, sizeof(want), "%s", cases[i].ecr + strlen("https://api.ecr.") +
			 strlen(cases[i].region) + 1);
		CHECK(find_with(settings, "r.example", &r, &t1, &err) == 1 && !strcmp(r.suffix, want),
		      "an alias in %s is signed for %s (got %s)", cases[i].region, want, r.suffix);
	}
	CHECK(aws_partition_of_domain("on.amazonwebservices.com.cn") &&
	      !strcmp(aws_partition_of_domain("on.amazonwebservices.com.cn")->dns_suffix,
		      "amazonaws.com.cn") && !aws_partition_of_domain("amazonaws.org"),
	      "registry domains: a dual-stack one gives its partition, another none");
}

/*
 * One token per principal and region: GetAuthorizationToken's token is
 * good for every registry the principal reaches there.
 */
static void test_scope(void)
{
	static const char *const same[] = {
		"123456789012.dkr-ecr.us-east-1.on.aws",
		"210987654321.dkr.ecr.us-east-1.amazonaws.com",
		"https://210987654321.dkr-ecr.us-east-1.on.aws/v2/",
		"alias.example",
	};
	static const char *const other[] = {
		"123456789012.dkr.ecr.us-west-2.amazonaws.com",
		"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
		"public.ecr.aws",
		"with-role.example",
	};
	static const char settings[] =
		"{\"ecr\": {\"registries\": {"
		"\"alias.example\": {\"account\": \"123456789012\", \"region\": \"us-east-1\"},"
		"\"with-role.example\": {\"account\": \"123456789012\", \"region\": \"us-east-1\","
		" \"role_arn\": \"arn:aws:iam::123456789012:role/x\"}}}}";
	struct ck_error err = CK_ERROR_INIT;
	struct ecr_registry r, r2;
	size_t i;

	unsetenv("AWS_PROFILE");
	find_with(settings, "123456789012.dkr.ecr.us-east-1.amazonaws.com", &r, &t1, &err);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		CHECK(find_with(settings, same[i], &r2, &t2, &err) == 1 && !strcmp(t1.key, t2.key) &&
		      !strcmp(t1.identity, t2.identity),
		      "one key for %s and %s: %s", t1.host, same[i], t2.key);
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		CHECK(find_with(settings, other[i], &r2, &t2, &err) == 1 && strcmp(t1.key, t2.key),
		      "another key for %s: %s", other[i], t2.key);
	CHECK(find_with(settings, "ecr-public.aws.com", &r, &t1, &err) == 1 &&
	      find_with(settings, "public.ecr.aws", &r2, &t2, &err) == 1 && !strcmp(t1.key, t2.key),
	      "ECR Public's two names share one key: %s", t1.key);
}

/* fail_cache_ms: its default and bounds. */
static void test_fail_cache(void)
{
	static const char *const bad[] = {
		"{\"ecr\": {\"fail_cache_ms\": -1}}",
		"{\"ecr\": {\"fail_cache_ms\": 60001}}",
		"{\"ecr\": {\"fail_cache_ms\": \"5s\"}}",
	};
	struct ck_error err = CK_ERROR_INIT;
	struct ecr_registry r;
	size_t i;

	CHECK(find_with("{}", "public.ecr.aws", &r, &t1, &err) == 1 &&
	      t1.fail_cache_ms == ECR_FAIL_CACHE_MS, "fail_cache_ms: 5000 by default");
	CHECK(find_with("{\"ecr\": {\"fail_cache_ms\": 0}}", "public.ecr.aws", &r, &t1, &err) == 1 &&
	      t1.fail_cache_ms == 0, "fail_cache_ms 0 turns it off");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_error_clear(&err);
		CHECK(find_with(bad[i], "public.ecr.aws", &r, &t1, &err) == -1 &&
		      strstr(err.msg, "fail_cache_ms"), "bad %s: %s", bad[i], err.msg);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	secure_init();
	json_set_alloc_funcs(malloc, secure_free);
	test_hosts();
	test_settings();
	test_partitions();
	test_scope();
	test_fail_cache();
	return check_done();
}
