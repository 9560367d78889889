/* SPDX-License-Identifier: MIT */
/*
 * test_awscreds.c - unit tests of the local AWS credential chain.
 *
 * Usage: test_awscreds FILE...
 *
 * Each FILE (tests/data/awscreds/cases.txt) holds one case a line, its
 * fields separated by tabs; its head comment says what they mean.  A case
 * names a scenario folder next to the file, whose "credentials" and
 * "config" become the ~/.aws of a fresh $HOME in a temporary folder and
 * whose "env" lines are set, after every AWS_* variable is unset and the
 * shared files read so far are forgotten (aws_files_forget()).  The
 * credential_process scripts the cases run are written by this test into
 * that temporary folder ("@TMP@" in the data).
 *
 * Every case also checks that its error text and source hold no secret:
 * all the secret keys and tokens of the data and the scripts hold
 * "sEcReT".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "aws/awscreds.h"
#include "aws/awsnet.h"
#include "cases.h"
#include "check.h"
#include "clock.h"

#define FIELDS_MAX 8
#define MARK "sEcReT"

static char tmp[PATH_MAX];	/* the scripts, and home/ */
static char data_dir[PATH_MAX];	/* the folder of the cases file */

static const struct script {
	const char *name, *body;
} scripts[] = {
	{ "ok.sh", "printf '%s' '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", "
	  "\"SecretAccessKey\": \"proc-sEcReT\", \"SessionToken\": \"proc-token-sEcReT\"}'\n" },
	{ "expiring.sh", "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDEXPIRING\","
	  "\"SecretAccessKey\":\"exp-sEcReT\",\"Expiration\":\"2099-11-23T12:00:00.123+00:00\"}'\n" },
	{ "expired.sh", "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDEXPIRED\","
	  "\"SecretAccessKey\":\"old-sEcReT\",\"Expiration\":\"2001-01-01T00:00:00Z\"}'\n" },
	{ "fail.sh", "echo '{\"SecretAccessKey\": \"stdout-sEcReT\"}'\n"
	  "echo 'the SSO token has run out: run aws sso login' >&2\nexit 1\n" },
	{ "badjson.sh", "printf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKIDBAD\","
	  "\"SecretAccessKey\":\"bad-sEcReT\" oops'\n" },
	{ "version2.sh", "echo '{\"Version\":2,\"AccessKeyId\":\"AKIDV2\","
	  "\"SecretAccessKey\":\"v2-sEcReT\"}'\n" },
	{ "nokey.sh", "echo '{\"Version\":1,\"SecretAccessKey\":\"nokey-sEcReT\"}'\n" },
	{ "slow.sh", "sleep 5\n" },
	{ "args.sh", "[ $# = 3 ] && [ \"$1\" = 'two words' ] && [ \"$2\" = \"it's\" ] &&\n"
	  "[ \"$3\" = 'say \"hi\"' ] || { echo \"bad arguments: $#\" >&2; exit 3; }\n"
	  "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDARGS\",\"SecretAccessKey\":\"args-sEcReT\"}'\n" },
};

/* path = a + b, or abort the test run. */
static void join(char *path, const char *a, const char *b)
{
	int n = snprintf(path, PATH_MAX, "%s%s", a, b);

	if (n < 0 || n >= PATH_MAX) {
		fprintf(stderr, "path too long: %s%s\n", a, b);
		exit(2);
	}
}

/* s with @TMP@ and @DIR@ (of scenario dir) replaced, into out. */
static void expand(const char *s, const char *dir, char *out, size_t size)
{
	size_t o = 0;
	const char *with;

	while (*s && o + 1 < size) {
		if (!strncmp(s, "@TMP@", 5) || !strncmp(s, "@DIR@", 5)) {
			with = s[1] == 'T' ? tmp : dir;
			while (*with && o + 1 < size)
				out[o++] = *with++;
			s += 5;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
}

/* Copy scenario file name (if any) to dst, expanded; else remove dst. */
static int install(const char *dir, const char *name, const char *dst)
{
	char src[PATH_MAX], line[4096], out[8192];
	FILE *in, *to;

	join(src, dir, name);
	unlink(dst);
	if (!(in = fopen(src, "r")))
		return errno == ENOENT ? 0 : -1;
	if (!(to = fopen(dst, "w"))) {
		fclose(in);
		return -1;
	}
	while (fgets(line, sizeof(line), in)) {
		expand(line, dir, out, sizeof(out));
		fputs(out, to);
	}
	fclose(in);
	return fclose(to) ? -1 : 0;
}

/* Unset every AWS_* variable and the test's own knob. */
static void clear_env(void)
{
	char name[256];
	size_t len;
	int again = 1;

	while (again) {
		char **e;

		again = 0;
		for (e = environ; *e; e++) {
			if (strncmp(*e, "AWS_", 4) && strncmp(*e, "CREDKIT_AWS_", 12))
				continue;
			len = strcspn(*e, "=");
			if (len >= sizeof(name))
				continue;
			memcpy(name, *e, len);
			name[len] = '\0';
			unsetenv(name);
			again = 1;
			break;
		}
	}
}

/* Set up scenario: fresh files in $HOME/.aws, its env.  Returns 0 or -1. */
static int scenario(const char *name, char *dir)
{
	char home[PATH_MAX], path[PATH_MAX], line[4096], out[8192], *eq;
	FILE *f;

	join(path, data_dir, name);
	join(dir, path, "");
	clear_env();
	aws_files_forget();
	join(home, tmp, "/home");
	setenv("HOME", home, 1);
	join(path, home, "/.aws/credentials");
	if (install(dir, "/credentials", path))
		return -1;
	join(path, home, "/.aws/config");
	if (install(dir, "/config", path))
		return -1;
	join(path, dir, "/env");
	if (!(f = fopen(path, "r")))
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		expand(line, dir, out, sizeof(out));
		if ((eq = strchr(out, '='))) {
			*eq = '\0';
			setenv(out, eq + 1, 1);
		}
	}
	fclose(f);
	return 0;
}

/* Neither the message nor the source may hold a secret. */
static void check_clean(const char *where, const struct ck_error *err,
			const struct aws_creds *c)
{
	CHECK(!strstr(err->msg, MARK) && !strstr(c->source, MARK) &&
	      !strstr(c->access_key_id, MARK),
	      "%s: no secret in the error text or the source", where);
}

static void check_creds(const char *where, const char *dir, char **f, int n)
{
	struct ck_error err = CK_ERROR_INIT;
	struct aws_creds c = AWS_CREDS_INIT;
	const char *profile = strcmp(f[1], "-") ? f[1] : NULL;
	char want[1024];
	int ret = aws_creds_local(profile, &c, &err);

	expand(f[n - 1], dir, want, sizeof(want));
	if (!strcmp(f[2], "found") && n == 8) {
		CHECK(ret == AWS_CREDS_FOUND, "%s: found (%d: %s)", where, ret, err.msg);
		CHECK_STR(c.access_key_id, f[3], "%s: key id", where);
		CHECK_STR(c.secret_access_key.buf, f[4], "%s: secret key", where);
		CHECK_STR(c.session_token.buf, strcmp(f[5], "-") ? f[5] : NULL,
			  "%s: session token", where);
		CHECK((long long)c.expiry == strtoll(f[6], NULL, 10),
		      "%s: expiry %lld", where, (long long)c.expiry);
		CHECK_STR(c.source, want, "%s: source", where);
		CHECK(!c.network, "%s: no network source", where);
	} else if (!strcmp(f[2], "network") && n == 5) {
		CHECK(ret == AWS_CREDS_NEEDS_NETWORK, "%s: needs the network (%d: %s)",
		      where, ret, err.msg);
		CHECK_STR(c.network, f[3], "%s: which", where);
		CHECK_STR(c.source, want, "%s: source", where);
		CHECK(!c.secret_access_key.buf && !c.access_key_id[0],
		      "%s: no credentials", where);
	} else if ((!strcmp(f[2], "none") || !strcmp(f[2], "error")) && n == 4) {
		int none = !strcmp(f[2], "none");

		CHECK(ret == (none ? AWS_CREDS_NONE : AWS_CREDS_ERROR) &&
		      strstr(err.msg, want), "%s: %s: %s", where, f[2], err.msg);
		CHECK((err.kind == CK_NO_CREDENTIALS) == none,
		      "%s: kind CK_NO_CREDENTIALS only when none (%d)", where, err.kind);
		CHECK(!c.secret_access_key.buf && !c.session_token.buf &&
		      !c.access_key_id[0] && !c.network,
		      "%s: nothing is returned", where);
		/* With none, source says where they were looked for. */
		CHECK(none ? !strncmp(c.source, "the environment", 15) &&
			     strstr(err.msg, c.source) : !c.source[0],
		      "%s: source: %s", where, c.source);
	} else {
		CHECK(0, "%s: bad case", where);
	}
	check_clean(where, &err, &c);
	aws_creds_release(&c);
}

static void check_region(const char *where, const char *dir, char **f, int n)
{
	struct ck_error err = CK_ERROR_INIT;
	const char *profile = strcmp(f[1], "-") ? f[1] : NULL;
	char buf[32], want[1024];
	int ret = aws_region(profile, buf, sizeof(buf), &err);

	if (n != 4) {
		CHECK(0, "%s: bad case", where);
		return;
	}
	expand(f[3], dir, want, sizeof(want));
	if (!strcmp(f[2], "region-error"))
		CHECK(ret == -1 && strstr(err.msg, want) && !buf[0],
		      "%s: refused: %s", where, err.msg);
	else if (!strcmp(want, "-"))
		CHECK(ret == 0 && !buf[0], "%s: no region (%d: %s)", where, ret, err.msg);
	else
		CHECK(ret == 1 && !strcmp(buf, want), "%s: region %s (%d: %s %s)",
		      where, want, ret, buf, err.msg);
}

static void check_time(const char *where, char **f, int n)
{
	time_t t = 0;
	int ret = n == 3 ? aws_parse_time(f[1], &t) : -2;

	if (n == 3 && !strcmp(f[2], "!"))
		CHECK(ret == -1, "%s: \"%s\" is refused", where, f[1]);
	else
		CHECK(ret == 0 && (long long)t == strtoll(f[2], NULL, 10),
		      "%s: \"%s\" is %s (got %d, %lld)", where, n > 1 ? f[1] : "?",
		      n == 3 ? f[2] : "?", ret, (long long)t);
}

static void check_line(const char *where, char *line)
{
	char *f[FIELDS_MAX], dir[PATH_MAX];
	int n = case_split(line, f, FIELDS_MAX);

	if (n > FIELDS_MAX) {
		CHECK(0, "%s: too many fields", where);
		return;
	}
	if (!strcmp(f[0], "time")) {
		check_time(where, f, n);
		return;
	}
	if (n < 3 || scenario(f[0], dir)) {
		CHECK(0, "%s: cannot set up scenario %s", where, f[0]);
		return;
	}
	if (!strncmp(f[2], "region", 6))
		check_region(where, dir, f, n);
	else
		check_creds(where, dir, f, n);
}

static int write_scripts(void)
{
	char path[PATH_MAX];
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", tmp, scripts[i].name);

		if (n < 0 || (size_t)n >= sizeof(path) || !(f = fopen(path, "w")))
			return -1;
		fprintf(f, "#!/bin/sh\n%s", scripts[i].body);
		if (fclose(f) || chmod(path, 0700))
			return -1;
	}
	join(path, tmp, "/home");
	if (mkdir(path, 0700))
		return -1;
	join(path, tmp, "/home/.aws");
	return mkdir(path, 0700);
}

/*
 * The whole chain with nothing to find (no container endpoint, instance
 * metadata off): AWS_CREDS_NONE of kind CK_NO_CREDENTIALS, saying every
 * source once, whatever the words of the local part's message.
 */
static void check_resolve_none(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct aws_creds c = AWS_CREDS_INIT;
	struct aws_chain chain = { .region = "us-east-1" };
	char dir[PATH_MAX];

	scenario("missing", dir);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	chain.deadline_ms = ck_now_ms() + 5000;
	CHECK(aws_creds_resolve(&chain, &c, &err) == AWS_CREDS_NONE &&
	      err.kind == CK_NO_CREDENTIALS,
	      "aws_creds_resolve: none, of kind CK_NO_CREDENTIALS (%d: %s)", err.kind, err.msg);
	CHECK_STR(err.msg, "no AWS credentials found: tried the environment "
		  "(AWS_ACCESS_KEY_ID), ~/.aws/credentials [default] and ~/.aws/config "
		  "[profile default], the container endpoint (AWS_CONTAINER_CREDENTIALS_*_URI "
		  "not set) and instance metadata (AWS_EC2_METADATA_DISABLED=true)",
		  "aws_creds_resolve: what was tried");
	aws_creds_release(&c);
	clear_env();
}

/* What the header promises beyond the data files. */
static void check_contract(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct aws_creds c = AWS_CREDS_INIT;
	char dir[PATH_MAX], path[PATH_MAX], small[4];

	scenario("profiles", dir);
	CHECK(aws_creds_local(NULL, &c, &err) == AWS_CREDS_FOUND &&
	      aws_creds_local("other", &c, &err) == AWS_CREDS_FOUND &&
	      !strcmp(c.access_key_id, "AKIDOTHER") && c.session_token.buf,
	      "out is released before it is filled again");
	CHECK(aws_creds_local("default", &c, &err) == AWS_CREDS_FOUND &&
	      !c.session_token.buf, "a token from before does not stay");
	aws_creds_release(&c);
	aws_creds_release(&c);
	CHECK(!c.secret_access_key.buf && !c.access_key_id[0],
	      "aws_creds_release may be called twice");
	CHECK(aws_creds_local("bad\nname", &c, NULL) == AWS_CREDS_ERROR,
	      "a NULL error struct is accepted; control bytes in a profile refused");
	setenv("AWS_REGION", "ap-southeast-2", 1);
	CHECK(aws_region(NULL, small, sizeof(small), &err) == -1 && !small[0] &&
	      strstr(err.msg, "AWS_REGION"), "a region too long for buf: %s", err.msg);
	clear_env();
	/* The shared files are read once: a rewrite is seen after forgetting. */
	scenario("profiles", dir);
	join(path, getenv("HOME"), "/.aws/credentials");
	CHECK(aws_creds_local("other", &c, &err) == AWS_CREDS_FOUND && !unlink(path) &&
	      aws_creds_local("other", &c, &err) == AWS_CREDS_FOUND &&
	      !strcmp(c.access_key_id, "AKIDOTHER"),
	      "a file is read once per process: its first version stays (%s)", err.msg);
	aws_files_forget();
	aws_files_forget();
	CHECK(aws_creds_local("other", &c, &err) == AWS_CREDS_ERROR &&
	      strstr(err.msg, "AWS profile other"),
	      "aws_files_forget(): the file is read again, and may be called twice: %s",
	      err.msg);
	clear_env();
	scenario("missing", dir);
	setenv("AWS_PROFILE", "other", 1);
	CHECK(aws_creds_local(NULL, &c, &err) == AWS_CREDS_ERROR &&
	      strstr(err.msg, "AWS profile other"),
	      "a profile named by AWS_PROFILE must exist: %s", err.msg);
	clear_env();
}

/* The digest of the identity under the current environment, as hex. */
static void digest_of(const char *profile, char hex[2 * AWS_IDENTITY_DIGEST_LEN + 1])
{
	unsigned char md[AWS_IDENTITY_DIGEST_LEN];
	size_t i;

	aws_identity_digest(profile, md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* setenv(name, DIR/file) of scenario folder dir. */
static void set_file(const char *name, const char *dir, const char *file)
{
	char path[PATH_MAX];

	join(path, dir, file);
	setenv(name, path, 1);
}

/* Whether name=one and name=two give two digests; name is unset after. */
static int env_differs(const char *name, const char *one, const char *two)
{
	char a[2 * AWS_IDENTITY_DIGEST_LEN + 1], b[2 * AWS_IDENTITY_DIGEST_LEN + 1];

	setenv(name, one, 1);
	digest_of(NULL, a);
	setenv(name, two, 1);
	digest_of(NULL, b);
	unsetenv(name);
	return strcmp(a, b) != 0;
}

/* ~/.aws/config: [profile app], a web identity from token. */
static void write_app(const char *token)
{
	char path[PATH_MAX];
	FILE *f;

	join(path, getenv("HOME"), "/.aws/config");
	if (!(f = fopen(path, "w")))
		return;
	fprintf(f, "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\n"
		"web_identity_token_file = %s\n", token);
	fclose(f);
}

/* aws_token_digest() of the token in file of scenario folder dir, as hex. */
static void token_digest_of(const char *dir, const char *file,
			    char hex[2 * AWS_IDENTITY_DIGEST_LEN + 1])
{
	unsigned char md[AWS_IDENTITY_DIGEST_LEN];
	char path[PATH_MAX], tok[4096];
	size_t i, n = 0;
	FILE *f;

	join(path, dir, file);
	if ((f = fopen(path, "r"))) {
		n = fread(tok, 1, sizeof(tok), f);
		fclose(f);
	}
	aws_token_digest(tok, n, md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/*
 * aws_token_digest(), of a token in memory (a kubelet's service account's):
 * as the digest of a token file, iss, sub and aud of a JWT, else all of it.
 */
static void check_token_digest(void)
{
	char dir[PATH_MAX], a[65], b[65];

	scenario("identity", dir);
	token_digest_of(dir, "/token-a1", a);
	token_digest_of(dir, "/token-a2", b);
	CHECK(!strcmp(a, b), "a token in memory: rotated (same iss, sub, aud), one digest");
	token_digest_of(dir, "/token-b", b);
	CHECK(strcmp(a, b), "a token in memory of another sub, another digest");
	token_digest_of(dir, "/token-plain1", a);
	token_digest_of(dir, "/token-plain2", b);
	CHECK(strcmp(a, b), "tokens in memory that are no JWT, other digests");
	clear_env();
}

/*
 * aws_identity_digest(): one per principal, the same across a JWT's
 * rotation (same iss, sub, aud; other iat, exp, signature, path).
 */
static void check_identity(void)
{
	static const char *const tok_env[] = {
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	};
	char dir[PATH_MAX], tok[PATH_MAX], a[65], b[65], c[65];
	size_t i;

	scenario("identity", dir);
	digest_of(NULL, a);
	digest_of(NULL, b);
	CHECK(!strcmp(a, b), "one environment, one digest");
	for (i = 0; i < 2; i++) {
		unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
		set_file(tok_env[i], dir, "/token-a1");
		digest_of(NULL, a);
		set_file(tok_env[i], dir, "/token-a2");
		digest_of(NULL, b);
		CHECK(!strcmp(a, b), "%s: a rotated JWT (same iss, sub, aud) keeps its digest",
		      tok_env[i]);
		set_file(tok_env[i], dir, "/token-b");
		digest_of(NULL, b);
		CHECK(strcmp(a, b), "%s: a JWT of another sub, another digest", tok_env[i]);
		set_file(tok_env[i], dir, "/token-plain1");
		digest_of(NULL, a);
		set_file(tok_env[i], dir, "/token-plain2");
		digest_of(NULL, b);
		CHECK(strcmp(a, b), "%s: other tokens that are no JWT, other digests", tok_env[i]);
		set_file(tok_env[i], dir, "/token-bad1");
		digest_of(NULL, a);
		set_file(tok_env[i], dir, "/token-bad2");
		digest_of(NULL, b);
		CHECK(strcmp(a, b), "%s: a JWT whose payload is no base64 counts whole", tok_env[i]);
		set_file(tok_env[i], dir, "/none");
		digest_of(NULL, c);
		CHECK(strcmp(a, c) && strcmp(b, c), "%s: a missing file is no error", tok_env[i]);
		unsetenv(tok_env[i]);
	}
	CHECK(env_differs("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-a", "pod-b"),
	      "two container tokens, two digests");
	setenv("AWS_ACCESS_KEY_ID", "AKIDONE", 1);
	CHECK(env_differs("AWS_SECRET_ACCESS_KEY", "one-sEcReT", "two-sEcReT"),
	      "one key id with another secret, another digest");
	unsetenv("AWS_ACCESS_KEY_ID");
	join(tok, tmp, "/app-token");
	write_app(tok);
	aws_files_forget();
	install(dir, "/token-a1", tok);
	digest_of("app", a);
	install(dir, "/token-a2", tok);
	digest_of("app", b);
	CHECK(!strcmp(a, b), "a profile's rotated JWT keeps its digest");
	install(dir, "/token-b", tok);
	digest_of("app", b);
	CHECK(strcmp(a, b), "a profile's token file of another sub, another digest");
	clear_env();
}

int main(int argc, char **argv)
{
	char *slash;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	json_set_alloc_funcs(malloc, secure_free);
	join(tmp, getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", "/awscreds.XXXXXX");
	if (!mkdtemp(tmp) || write_scripts()) {
		perror("test_awscreds: temporary folder");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		join(data_dir, argv[i], "");
		slash = strrchr(data_dir, '/');
		if (slash)
			slash[1] = '\0';
		else
			join(data_dir, "./", "");
		CHECK(!cases_run(argv[i], check_line), "read %s", argv[i]);
	}
	check_contract();
	check_resolve_none();
	check_identity();
	check_token_digest();
	if (snprintf(data_dir, sizeof(data_dir), "rm -rf '%s'", tmp) > 0)
		if (system(data_dir))
			fprintf(stderr, "cannot remove %s\n", tmp);
	return check_done();
}
