/* SPDX-License-Identifier: MIT */
/*
 * test_ecr.c - ECR host matching, settings, cache keys, token ages, the
 * token cache and its lock (common/aws/ecr.c), without any network.
 *
 * Usage: test_ecr [FILE...]	(FILEs are ignored: the cases are below)
 *
 * Runs in a new anonymous session keyring with CREDKIT_KEYRING=session and
 * a private XDG_RUNTIME_DIR, so nothing of the user's is touched.
 */
#include <errno.h>
#include <jansson.h>
#include <keyutils.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "aws/ecr.h"
#include "aws/partition.h"

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
		got = ecr_registry_find(hosts[i].server, NULL, &r, &err);
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
		     struct ck_error *err)
{
	struct config cfg = CONFIG_INIT;
	int ret;

	snprintf(cfg.path, sizeof(cfg.path), "config.json");
	cfg.root = json_loads(settings, 0, NULL);
	ret = ecr_registry_find(server, &cfg, r, err);
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

	CHECK(find_with(alias, "registry.example.com", &r, &err) == 1 &&
	      !strcmp(r.account, "123456789012") && !strcmp(r.region, "eu-west-1") &&
	      !strcmp(r.suffix, "amazonaws.com") && !strcmp(r.profile, "base") &&
	      r.timeout_ms == 5000 && !strcmp(r.host, "registry.example.com"),
	      "an alias: account, region, the section's profile and timeout");
	CHECK(find_with(alias, "https://registry.example.com:5000/v2/", &r, &err) == 1 &&
	      !strcmp(r.account, "210987654321") && !strcmp(r.suffix, "amazonaws.com.cn") &&
	      !strcmp(r.profile, "china") && r.timeout_ms == 700 &&
	      !strcmp(r.host, "registry.example.com:5000"),
	      "host:port has its own entry, which wins over the section");
	CHECK(find_with(alias, "registry.example.com:6000", &r, &err) == 1 &&
	      !strcmp(r.account, "123456789012") && !strcmp(r.host, "registry.example.com:6000"),
	      "another port falls back to the host's entry");
	CHECK(find_with(alias, "pub.example.com", &r, &err) == 1 && r.public &&
	      !strcmp(r.region, "us-east-1"), "an alias of ECR Public");
	CHECK(find_with(alias, "only-settings.example.com", &r, &err) == 0,
	      "settings without account and region do not make a host ECR");
	CHECK(find_with(alias, "123456789012.dkr.ecr.us-east-1.amazonaws.com", &r, &err) == 1 &&
	      !strcmp(r.role_arn, "arn:aws:iam::123456789012:role/pull") &&
	      !strcmp(r.profile, "base"), "settings of a real ECR host");
	CHECK(find_with(alias, "docker.io", &r, &err) == 0, "docker.io is still not ECR");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_error_clear(&err);
		CHECK(find_with(bad[i].settings, bad[i].server, &r, &err) == -1 &&
		      err.kind == CK_BAD_INPUT && strstr(err.msg, bad[i].words) &&
		      strstr(err.msg, "config.json"),
		      "bad settings %s: %s", bad[i].settings, err.msg);
	}

	/* Keys: the same registry and identity give one key; others another. */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r, &err);
	ecr_registry_find("https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/", NULL, &r2, &err);
	CHECK(!strcmp(r.key, r2.key) && !strncmp(r.key, "123456789012.dkr.ecr.us-east-1.amazonaws.com profile=default #", 62),
	      "one key for two spellings: %s", r.key);
	setenv("AWS_PROFILE", "dev", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r2, &err);
	CHECK(strstr(r2.key, " profile=dev #") != NULL, "AWS_PROFILE: %s", r2.key);
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "not-shown", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r2, &err);
	CHECK(strstr(r2.key, " key=AKIDEXAMPLE #") && !strstr(r2.key, "not-shown"),
	      "environment keys: the key id, never the secret: %s", r2.key);
	find_with(alias, "123456789012.dkr.ecr.us-east-1.amazonaws.com", &r2, &err);
	CHECK(strstr(r2.key, " profile=base role=arn:aws:iam::123456789012:role/pull #") != NULL,
	      "a profile and role of the settings: %s", r2.key);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	setenv("AWS_CONFIG_FILE", "/elsewhere", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r2, &err);
	CHECK(strcmp(r.key, r2.key) != 0, "another config file, another key");
	unsetenv("AWS_CONFIG_FILE");
	/* The issue's pods: one URI, other authorization tokens. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-a-secret", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r, &err);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-b-secret", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r2, &err);
	CHECK(strcmp(r.key, r2.key) && !strstr(r.key, "secret") && !strstr(r2.key, "secret"),
	      "two container tokens, two keys, neither token in them: %s", r2.key);
	setenv("AWS_SECRET_ACCESS_KEY", "other-secret", 1);
	ecr_registry_find("123456789012.dkr.ecr.us-east-1.amazonaws.com", NULL, &r, &err);
	CHECK(strcmp(r.key, r2.key) && !strstr(r.key, "secret"),
	      "a secret key counts, and is not in the key: %s", r.key);
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
		CHECK(find_with(settings, "r.example", &r, &err) == 1 && !strcmp(r.suffix, want),
		      "an alias in %s is signed for %s (got %s)", cases[i].region, want, r.suffix);
	}
	CHECK(aws_partition_of_domain("on.amazonwebservices.com.cn") &&
	      !strcmp(aws_partition_of_domain("on.amazonwebservices.com.cn")->dns_suffix,
		      "amazonaws.com.cn") && !aws_partition_of_domain("amazonaws.org"),
	      "registry domains: a dual-stack one gives its partition, another none");
}

static void test_ages(void)
{
	struct ecr_token t = ECR_TOKEN_INIT;

	t.minted = 1000;
	t.expires = 1000 + 43200;
	CHECK(ecr_token_fresh(&t, 1000) && ecr_token_fresh(&t, 1000 + 21599),
	      "fresh for half its life");
	CHECK(!ecr_token_fresh(&t, 1000 + 21600) && ecr_token_usable(&t, 1000 + 21600),
	      "then usable, not fresh");
	CHECK(ecr_token_usable(&t, 1000 + 43200 - 61) && !ecr_token_usable(&t, 1000 + 43200 - 60),
	      "usable until a minute before it expires");
	CHECK(!ecr_token_fresh(&t, 999), "a token from the future (clock set back) is not fresh");
	t.expires = 1000 + 8;
	CHECK(ecr_token_usable(&t, 1005) && !ecr_token_usable(&t, 1006),
	      "a short token: usable until a quarter of its life is left");
}

static int add_listed(const char *server, const char *username, void *data,
		      struct ck_error *err)
{
	char *out = data;
	size_t n = strlen(out);

	(void)err;
	snprintf(out + n, 1024 - n, "[%s %s]", server, username);
	return 0;
}

static void test_cache(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct ecr_token t = ECR_TOKEN_INIT, got = ECR_TOKEN_INIT;
	void *cache = ecr_cache_open(&err);
	char out[1024] = "";
	const char *key = "123456789012.dkr.ecr.us-east-1.amazonaws.com profile=a #0";
	const char *key2 = "123456789012.dkr.ecr.us-east-1.amazonaws.com profile=b #0";
	const char *key3 = "public.ecr.aws profile=a #0";

	CHECK(cache != NULL, "open the cache: %s", err.msg);
	if (!cache)
		return;
	CHECK(ecr_cache_get(cache, key, &got, &err) == 0, "an empty cache has nothing");
	snprintf(t.username, sizeof(t.username), "AWS");
	secret_set(&t.password, "pass\nword with a newline", 24);
	t.minted = time(NULL);
	t.expires = t.minted + 3600;
	CHECK(ecr_cache_put(cache, key, &t, &err) == 0 && ecr_cache_put(cache, key2, &t, &err) == 0 &&
	      ecr_cache_put(cache, key3, &t, &err) == 0, "put: %s", err.msg);
	CHECK(ecr_cache_get(cache, key, &got, &err) == 1 && !strcmp(got.username, "AWS") &&
	      got.password.len == 24 && !memcmp(got.password.buf, "pass\nword with a newline", 24) &&
	      got.minted == t.minted && got.expires == t.expires, "get gives it back whole");
	CHECK(ecr_cache_list(cache, add_listed, out, &err) == 0 &&
	      strstr(out, "[https://123456789012.dkr.ecr.us-east-1.amazonaws.com AWS]") &&
	      strstr(out, "[https://public.ecr.aws AWS]"), "list: %s", out);
	CHECK(ecr_cache_drop(cache, "123456789012.dkr.ecr.us-east-1.amazonaws.com", &err) == 0 &&
	      ecr_cache_get(cache, key, &got, &err) == 0 && ecr_cache_get(cache, key2, &got, &err) == 0 &&
	      ecr_cache_get(cache, key3, &got, &err) == 1,
	      "drop removes every identity of one host, no other host");
	t.expires = time(NULL) - 1;
	CHECK(ecr_cache_put(cache, key, &t, &err) == -1 && ecr_cache_get(cache, key, &got, &err) == 0,
	      "an expired token is not kept");
	ecr_token_release(&t);
	ecr_token_release(&got);
	ecr_cache_close(cache);
}

static void test_lock(void)
{
	struct ck_error err = CK_ERROR_INIT;
	const char *key = "public.ecr.aws profile=a #0";
	int fd, fd2, status;
	pid_t pid;
	time_t t0;

	fd = ecr_lock(key, 0, &err);
	CHECK(fd >= 0, "take a lock: %s", err.msg);
	pid = fork();
	if (pid == 0) {
		struct ck_error e = CK_ERROR_INIT;
		int r1 = ecr_lock(key, 0, &e), r2;

		t0 = time(NULL);
		r2 = ecr_lock(key, 1200, &e);
		/* The bound is 1.2 s; up to 4 s (whole seconds) allow for a loaded machine. */
		_exit(r1 == -2 && r2 == -2 && e.kind == CK_LOCKED && time(NULL) - t0 <= 4 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "another process waits for it, within its bound, and says so");
	close(fd);
	fd2 = ecr_lock(key, 0, &err);
	CHECK(fd2 >= 0, "a released lock can be taken");
	close(fd2);

	pid = fork();
	if (pid == 0) {
		struct ck_error e = CK_ERROR_INIT;

		if (ecr_lock(key, 0, &e) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	usleep(100000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fd2 = ecr_lock(key, 500, &err);
	CHECK(fd2 >= 0, "a killed holder leaves no lock behind");
	close(fd2);
}

static int count_each(const char *server, const char *username, void *data,
		      struct ck_error *err)
{
	(void)server;
	(void)username;
	(void)err;
	(*(int *)data)++;
	return 0;
}

/* fail_cache_ms: its default and bounds; the failure record's round trip. */
static void test_failure_record(void)
{
	static const char *const bad[] = {
		"{\"ecr\": {\"fail_cache_ms\": -1}}",
		"{\"ecr\": {\"fail_cache_ms\": 60001}}",
		"{\"ecr\": {\"fail_cache_ms\": \"5s\"}}",
	};
	struct ck_error err = CK_ERROR_INIT, failed = CK_ERROR_INIT, got = CK_ERROR_INIT;
	struct ecr_registry r, other;
	void *cache;
	size_t i;
	int n = 0, before = 0;

	unsetenv("CREDKIT_ECR_FAIL_CACHE_MS");
	CHECK(find_with("{}", "public.ecr.aws", &r, &err) == 1 &&
	      r.fail_cache_ms == ECR_FAIL_CACHE_MS, "fail_cache_ms: 5000 by default");
	CHECK(find_with("{\"ecr\": {\"fail_cache_ms\": 0}}", "public.ecr.aws", &r, &err) == 1 &&
	      r.fail_cache_ms == 0, "fail_cache_ms 0 turns it off");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_error_clear(&err);
		CHECK(find_with(bad[i], "public.ecr.aws", &r, &err) == -1 &&
		      strstr(err.msg, "fail_cache_ms"), "bad %s: %s", bad[i], err.msg);
	}

	ck_error_clear(&err);
	cache = ecr_cache_open(&err);
	CHECK(cache != NULL, "the cache opens: %s", err.msg);
	if (!cache)
		return;
	find_with("{}", "public.ecr.aws", &r, &err);
	setenv("AWS_PROFILE", "another", 1);
	find_with("{}", "public.ecr.aws", &other, &err);
	unsetenv("AWS_PROFILE");
	ecr_cache_list(cache, count_each, &before, &err);
	ck_error(&failed, CK_FAILED, "ECR Public refused: AccessDeniedException: no");
	CHECK(ecr_cache_put_failure(cache, r.key, &failed, 2000, &err) == 0,
	      "a failure is recorded: %s", err.msg);
	CHECK(ecr_cache_get_failure(cache, r.key, 2000, &got, &err) == 1 &&
	      got.kind == CK_FAILED && strstr(got.msg, "AccessDeniedException: no") &&
	      strstr(got.msg, "remembered"), "and read back, kind and words: %s", got.msg);
	CHECK(ecr_cache_get_failure(cache, other.key, 2000, &got, &err) == 0,
	      "another identity has none");
	CHECK(ecr_cache_get_failure(cache, r.key, 0, &got, &err) == 0,
	      "fail_cache_ms 0 reads none");
	CHECK(ecr_cache_get_failure(cache, r.key, 1000, &got, &err) == 0,
	      "nor one kept longer than now allowed");
	ecr_cache_list(cache, count_each, &n, &err);
	CHECK(n == before, "list shows no failure record (%d, before %d)", n, before);
	CHECK(ecr_cache_drop(cache, r.host, &err) == 0 &&
	      ecr_cache_get_failure(cache, r.key, 2000, &got, &err) == 0,
	      "erase drops it");
	ecr_cache_close(cache);
}

/* Whether lock fd is a file under dir. */
static int lock_under(int fd, const char *dir)
{
	char link[64], path[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return strncmp(path, dir, strlen(dir)) == 0 && path[strlen(dir)] == '/';
}

/*
 * A runtime directory's credkit that is a link, or not private, is not
 * used: the lock goes to the next place (here the cache directory, or
 * /run/user/UID when the machine has it), never to the link's target.
 */
static void test_lock_dir(const char *top)
{
	struct ck_error err = CK_ERROR_INIT;
	char run[512], cache[512], other[512], link[600], rundir[600];
	const char *key = "public.ecr.aws profile=dir #0";
	int fd;

	snprintf(run, sizeof(run), "%s/run", top);
	snprintf(cache, sizeof(cache), "%s/cache", top);
	snprintf(other, sizeof(other), "%s/other", top);
	snprintf(link, sizeof(link), "%s/credkit", run);
	snprintf(rundir, sizeof(rundir), "/run/user/%lu/credkit", (unsigned long)geteuid());
	if (mkdir(run, 0700) || mkdir(cache, 0700) || mkdir(other, 0700) ||
	    symlink(other, link)) {
		CHECK(0, "make the lock places: %s", strerror(errno));
		return;
	}
	setenv("XDG_RUNTIME_DIR", run, 1);
	setenv("XDG_CACHE_HOME", cache, 1);
	fd = ecr_lock(key, 0, &err);
	CHECK(fd >= 0 && !lock_under(fd, other) &&
	      (lock_under(fd, cache) || lock_under(fd, rundir)),
	      "a link as the runtime lock directory is passed over: %s", err.msg);
	if (fd >= 0)
		close(fd);
	unlink(link);
	mkdir(link, 0755);
	fd = ecr_lock(key, 0, &err);
	CHECK(fd >= 0 && !lock_under(fd, link),
	      "so is one that others can read: %s", err.msg);
	if (fd >= 0)
		close(fd);
	unsetenv("XDG_CACHE_HOME");
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/credkit-test-ecr.XXXXXX";

	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	secure_init();
	json_set_alloc_funcs(malloc, secure_free);
	test_hosts();
	test_settings();
	test_partitions();
	test_ages();
	if (keyctl_join_session_keyring(NULL) < 0 || !mkdtemp(dir)) {
		printf("not ok - a session keyring and a private directory: %s\n", strerror(errno));
		return 1;
	}
	setenv("CREDKIT_KEYRING", "session", 1);
	setenv("XDG_RUNTIME_DIR", dir, 1);
	test_cache();
	test_lock();
	test_failure_record();
	test_lock_dir(dir);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	}
	return check_done();
}
