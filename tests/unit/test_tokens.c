/* SPDX-License-Identifier: MIT */
/*
 * test_tokens.c - the token core without any helper: the record and its
 * encoding, the refresh policy, the cache in the kernel keyring (keys,
 * namespaces, identities, hosts, failures) and the single-flight lock.
 *
 * Usage: test_tokens [FILE...]	(FILEs are ignored: the cases are below)
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
#include "stores/keyctl.h"
#include "tokens/cache.h"

/* A target of namespace ns: host, scope and identity as given. */
static void target(struct token_target *t, const char *ns, const char *host,
		   const char *scope, const char *identity)
{
	struct ck_error err = CK_ERROR_INIT;

	memset(t, 0, sizeof(*t));
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->timeout_ms = 1000;
	t->fail_cache_ms = 2000;
	t->fresh_percent = 50;
	CHECK(token_target_key(t, ns, scope, identity, &err) == 0, "a key: %s", err.msg);
}

static void token_fill(struct token *t, const char *secret, time_t life)
{
	token_release(t);
	snprintf(t->username, sizeof(t->username), "AWS");
	secret_set(&t->secret, secret, strlen(secret));
	t->minted = time(NULL);
	t->expires = t->minted + life;
}

static void test_ages(void)
{
	struct token t = TOKEN_INIT;

	t.minted = 1000;
	t.expires = 1000 + 43200;
	CHECK(token_fresh(&t, 50, 1000) && token_fresh(&t, 50, 1000 + 21599),
	      "fresh for half its life");
	CHECK(!token_fresh(&t, 50, 1000 + 21600) && token_usable(&t, 1000 + 21600),
	      "then usable, not fresh");
	CHECK(token_fresh(&t, 90, 1000 + 21600), "a helper sets its own fresh point");
	CHECK(token_usable(&t, 1000 + 43200 - 61) && !token_usable(&t, 1000 + 43200 - 60),
	      "usable until a minute before it expires");
	CHECK(token_usable_until(&t) == 1000 + 43200 - 60,
	      "token_usable_until: the first second it is not");
	CHECK(!token_fresh(&t, 100, 1000 + 43200 - 60),
	      "never fresh when no longer usable");
	CHECK(!token_fresh(&t, 50, 999) && !token_usable(&t, 999),
	      "a token from the future (clock set back) is neither");
	t.expires = 1000 + 8;
	CHECK(token_usable(&t, 1005) && !token_usable(&t, 1006) && token_usable_until(&t) == 1006,
	      "a short token: usable until a quarter of its life is left");
}

static void test_record(void)
{
	struct token t = TOKEN_INIT, got = TOKEN_INIT;
	struct secret s = SECRET_INIT, bad = SECRET_INIT;
	static const char *const garbage[] = {
		"", "1700000000 1700043200\npw", "credkit-token 1 5 4\nid\n\npw",
		"credkit-token 1 x 4\nid\n\npw", "credkit-token 1 1 4\nid", "credkit-token 2 1 4\nid\n\npw",
		"credkit-token 1 1 99999999999999999999999\nid\n\npw",
	};
	size_t i;

	token_fill(&t, "pass\nword\n", 3600);
	snprintf(t.identity, sizeof(t.identity), "profile=a #00");
	CHECK(token_add_host(&t, "a.example") == 1 && token_add_host(&t, "b.example:5000") == 1 &&
	      token_add_host(&t, "a.example") == 0 && token_add_host(&t, "with space") == 0,
	      "hosts are added once, and only hosts");
	CHECK(token_has_host(&t, "a.example") && token_has_host(&t, "b.example:5000") &&
	      !token_has_host(&t, "example") && !token_has_host(&t, "b.example") &&
	      !token_has_host(&t, "a.exampl"), "a host is found whole: %s", t.hosts);
	CHECK(token_has_host(&t, "") == 0, "an empty host is no host (and ends)");
	CHECK(token_encode(&t, t.identity, t.hosts, &s) == 0 && token_decode("AWS", &s, &got) == 0 &&
	      !strcmp(got.username, "AWS") && got.secret.len == 10 &&
	      !memcmp(got.secret.buf, "pass\nword\n", 10) && got.minted == t.minted &&
	      got.expires == t.expires && !strcmp(got.identity, t.identity) &&
	      !strcmp(got.hosts, "a.example b.example:5000"),
	      "a record comes back whole, newlines in the secret too");
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		secret_set(&bad, garbage[i], strlen(garbage[i]));
		CHECK(token_decode("AWS", &bad, &got) == -1 && !got.secret.buf,
		      "not a record: \"%s\"", garbage[i]);
	}
	CHECK(token_encode(&t, "two\nlines", t.hosts, &s) == -1,
	      "an identity with a newline is refused");
	for (i = 0; token_add_host(&t, "0123456789.dkr.ecr.us-east-1.amazonaws.com") >= 0 &&
		    i < TOKEN_HOSTS_MAX; i++)
		t.hosts[strlen(t.hosts) - 1]++;	/* another host each turn */
	CHECK(i < TOKEN_HOSTS_MAX && strlen(t.hosts) < sizeof(t.hosts),
	      "a full list of hosts says so (-1), after %zu more", i);
	secret_release(&bad);
	secret_release(&s);
	token_release(&t);
	token_release(&got);
}

static void test_keys(void)
{
	struct token_target a, b;
	struct ck_error err = CK_ERROR_INIT;

	target(&a, "ecr", "h.example", "us-east-1", "profile=a #00");
	CHECK_STR(a.key, "credkit-token:ecr us-east-1 profile=a #00", "a key names its namespace");
	CHECK(token_is_key(a.key, "ecr") && token_is_key(a.key, NULL) &&
	      !token_is_key(a.key, "ec") && !token_is_key(a.key, "ghcr") &&
	      !token_is_key("docker.io", NULL) && !token_is_key("https://credkit-token:x", NULL),
	      "token keys are told apart by namespace, and from logins");
	target(&b, "ecr", "h.example", "us-east-1", "pro\tfile!=\x01");
	CHECK(!strchr(b.key, '\t') && !strchr(b.key, '!') && !strchr(b.identity, '\x01'),
	      "no control byte and no '!' in a key: %s", b.key);
	memset(&b, 0, sizeof(b));
	{
		static char huge[TOKEN_IDENTITY_MAX + 10];

		memset(huge, 'x', sizeof(huge) - 1);
		CHECK(token_target_key(&b, "ecr", "s", huge, &err) == -1 && err.kind == CK_BAD_INPUT,
		      "an identity too long is refused: %s", err.msg);
	}
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
	struct token_cache c, other;
	struct token_target a, a2, b, pub, gh;
	struct token t = TOKEN_INIT, got = TOKEN_INIT;
	struct ck_error err = CK_ERROR_INIT;
	char out[1024] = "";
	void *plain;

	token_cache_open(&c, "ecr", 1);
	token_cache_open(&other, "ghcr", 1);
	CHECK(c.kind == TOKEN_CACHE_KEYRING && other.kind == TOKEN_CACHE_KEYRING,
	      "open the cache: %s", c.why);
	if (c.kind != TOKEN_CACHE_KEYRING)
		return;
	target(&a, "ecr", "111111111111.dkr.ecr.us-east-1.amazonaws.com", "us-east-1", "profile=a #0");
	target(&a2, "ecr", "222222222222.dkr-ecr.us-east-1.on.aws", "us-east-1", "profile=a #0");
	target(&b, "ecr", "111111111111.dkr.ecr.us-east-1.amazonaws.com", "us-east-1", "profile=b #0");
	target(&pub, "ecr", "public.ecr.aws", "public", "profile=a #0");
	target(&gh, "ghcr", "ghcr.io", "github.com", "profile=a #0");
	CHECK(token_cache_get(&c, &a, &got, &err) == 0, "an empty cache has nothing");

	token_fill(&t, "pass\nword with a newline", 3600);
	CHECK(token_cache_put(&c, &a, &t, &err) == 0 && token_cache_put(&c, &b, &t, &err) == 0 &&
	      token_cache_put(&c, &pub, &t, &err) == 0 && token_cache_put(&other, &gh, &t, &err) == 0,
	      "put: %s", err.msg);
	CHECK(token_cache_get(&c, &a, &got, &err) == 1 && !strcmp(got.username, "AWS") &&
	      got.secret.len == 24 && !memcmp(got.secret.buf, "pass\nword with a newline", 24) &&
	      got.minted == t.minted && got.expires == t.expires &&
	      !strcmp(got.identity, a.identity) && !strcmp(got.hosts, a.host),
	      "get gives it back whole, with its identity and host");
	CHECK(token_cache_get(&c, &a2, &got, &err) == 1,
	      "another host of the same scope and identity shares the one entry");

	/* What a record says of its identity must match the key's. */
	snprintf(a2.identity, sizeof(a2.identity), "profile=z #0");
	CHECK(token_cache_get(&c, &a2, &got, &err) == 0,
	      "a record whose identity is another's is not answered");

	token_cache_list(&c, add_listed, out, &err);
	CHECK(strstr(out, "[https://111111111111.dkr.ecr.us-east-1.amazonaws.com AWS]") &&
	      strstr(out, "[https://public.ecr.aws AWS]") && !strstr(out, "ghcr.io"),
	      "list: every host, no other namespace's: %s", out);
	out[0] = '\0';
	token_cache_list(&other, add_listed, out, &err);
	CHECK_STR(out, "[https://ghcr.io AWS]", "the other namespace lists its own");

	/* A host noted on a second get is listed and dropped with the entry. */
	target(&a2, "ecr", "222222222222.dkr-ecr.us-east-1.on.aws", "us-east-1", "profile=a #0");
	token_cache_get(&c, &a, &got, &err);
	CHECK(token_cache_put(&c, &a2, &got, &err) == 0 && token_cache_get(&c, &a, &got, &err) == 1 &&
	      token_has_host(&got, a.host) && token_has_host(&got, a2.host),
	      "a token keeps every host it answered for: %s", got.hosts);
	CHECK(token_cache_drop(&other, &a, &err) == 0 && token_cache_get(&c, &a, &got, &err) == 1,
	      "another namespace's erase leaves ours");
	CHECK(token_cache_drop(&c, &a2, &err) == 0 && token_cache_get(&c, &a, &got, &err) == 0 &&
	      token_cache_get(&c, &b, &got, &err) == 1 && token_cache_get(&c, &pub, &got, &err) == 1 &&
	      token_cache_get(&other, &gh, &got, &err) == 1,
	      "drop removes the entries that answered for the host, nothing else");
	CHECK(token_cache_drop(&c, &b, &err) == 0 && token_cache_get(&c, &b, &got, &err) == 0,
	      "every identity of a host");
	/* A record that does not name the host: the caller's own still goes. */
	token_cache_put(&c, &pub, &t, &err);
	target(&a2, "ecr", "other.example", "public", "profile=a #0");
	CHECK(token_cache_drop(&c, &a2, &err) == 0 && token_cache_get(&c, &pub, &got, &err) == 0,
	      "erase drops the caller's own token, whatever hosts it names");

	/* The passwords of the keyctl helper never see a token entry. */
	plain = keyctl_backend.open(&err);
	out[0] = '\0';
	if (plain) {
		keyctl_backend.list(plain, add_listed, out, &err);
		keyctl_backend.close(plain);
	}
	CHECK(plain && !strstr(out, "credkit-token"), "the keyctl helper's list has no token: %s",
	      out);

	/* An expiry past any calendar year gmtime() holds: doctor shows it. */
	t.expires = (time_t)100000000000000000LL;
	fflush(stdout);
	CHECK(token_cache_put(&c, &a, &t, &err) == 0 && token_cache_doctor(&c, 50, &err) == 0,
	      "doctor lists a token whose expiry is no date: %s", err.msg);
	token_cache_drop(&c, &a, &err);

	t.expires = time(NULL) - 1;
	CHECK(token_cache_put(&c, &a, &t, &err) == -1 && token_cache_get(&c, &a, &got, &err) == 0,
	      "an expired token is not kept");
	token_release(&t);
	token_release(&got);
	token_cache_close(&c);
	token_cache_close(&other);
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

static void test_failure_record(void)
{
	struct ck_error err = CK_ERROR_INIT, failed = CK_ERROR_INIT, got = CK_ERROR_INIT;
	struct token_cache c;
	struct token_target r, other, off;
	struct token t = TOKEN_INIT;
	int n = 0, before = 0;

	token_cache_open(&c, "ecr", 1);
	if (c.kind != TOKEN_CACHE_KEYRING)
		return;
	target(&r, "ecr", "public.ecr.aws", "public", "profile=f #0");
	target(&other, "ecr", "public.ecr.aws", "public", "profile=another #0");
	token_fill(&t, "pw", 3600);
	token_cache_put(&c, &r, &t, &err);
	token_cache_list(&c, count_each, &before, &err);
	ck_error(&failed, CK_FAILED, "ECR Public refused: AccessDeniedException: no");
	CHECK(token_cache_put_failure(&c, &r, &failed, &err) == 0,
	      "a failure is recorded: %s", err.msg);
	CHECK(token_cache_get_failure(&c, &r, &got) == 1 && got.kind == CK_FAILED &&
	      strstr(got.msg, "AccessDeniedException: no") && strstr(got.msg, "remembered"),
	      "and read back, kind and words: %s", got.msg);
	CHECK(token_cache_get_failure(&c, &other, &got) == 0, "another identity has none");
	off = r;
	off.fail_cache_ms = 0;
	CHECK(token_cache_get_failure(&c, &off, &got) == 0, "fail_cache_ms 0 reads none");
	off.fail_cache_ms = 1000;
	CHECK(token_cache_get_failure(&c, &off, &got) == 0,
	      "nor one kept longer than now allowed");
	CHECK(token_cache_get(&c, &r, &t, &err) == 1, "the token beside it is still there");
	token_cache_list(&c, count_each, &n, &err);
	CHECK(n == before, "list shows no failure record (%d, before %d)", n, before);
	CHECK(token_cache_drop(&c, &r, &err) == 0 && token_cache_get_failure(&c, &r, &got) == 0,
	      "erase drops it");
	token_cache_put_failure(&c, &other, &failed, &err);
	CHECK(token_cache_drop(&c, &other, &err) == 0 &&
	      token_cache_get_failure(&c, &other, &got) == 0,
	      "and a failure with no token beside it");
	token_release(&t);
	token_cache_close(&c);
}

static void test_lock(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct token_target k;
	int fd, fd2, status;
	pid_t pid;
	time_t t0;

	target(&k, "ecr", "public.ecr.aws", "public", "profile=a #0");
	fd = token_lock("ecr", &k, 0, &err);
	CHECK(fd >= 0, "take a lock: %s", err.msg);
	fd2 = token_lock("ghcr", &k, 0, &err);
	CHECK(fd2 >= 0, "another namespace has locks of its own: %s", err.msg);
	if (fd2 >= 0)
		close(fd2);
	pid = fork();
	if (pid == 0) {
		struct ck_error e = CK_ERROR_INIT;
		int r1 = token_lock("ecr", &k, 0, &e), r2;

		t0 = time(NULL);
		r2 = token_lock("ecr", &k, 1200, &e);
		/* The bound is 1.2 s; up to 4 s (whole seconds) allow for a loaded machine. */
		_exit(r1 == -2 && r2 == -2 && e.kind == CK_LOCKED && strstr(e.msg, k.host) &&
		      time(NULL) - t0 <= 4 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "another process waits for it, within its bound, and says so");
	close(fd);
	fd2 = token_lock("ecr", &k, 0, &err);
	CHECK(fd2 >= 0, "a released lock can be taken");
	close(fd2);

	pid = fork();
	if (pid == 0) {
		struct ck_error e = CK_ERROR_INIT;

		if (token_lock("ecr", &k, 0, &e) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	usleep(100000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fd2 = token_lock("ecr", &k, 500, &err);
	CHECK(fd2 >= 0, "a killed holder leaves no lock behind");
	close(fd2);
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
	struct token_target k;
	char run[512], cache[512], other[512], link[600], rundir[600];
	int fd;

	target(&k, "ecr", "public.ecr.aws", "public", "profile=dir #0");
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
	fd = token_lock("ecr", &k, 0, &err);
	CHECK(fd >= 0 && !lock_under(fd, other) &&
	      (lock_under(fd, cache) || lock_under(fd, rundir)),
	      "a link as the runtime lock directory is passed over: %s", err.msg);
	if (fd >= 0)
		close(fd);
	unlink(link);
	mkdir(link, 0755);
	fd = token_lock("ecr", &k, 0, &err);
	CHECK(fd >= 0 && !lock_under(fd, link),
	      "so is one that others can read: %s", err.msg);
	if (fd >= 0)
		close(fd);
	unsetenv("XDG_CACHE_HOME");
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/credkit-test-tokens.XXXXXX", cmd[256];

	(void)argc;
	(void)argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	secure_init();
	json_set_alloc_funcs(malloc, secure_free);
	unsetenv("CREDKIT_STORE");
	test_ages();
	test_record();
	test_keys();
	if (keyctl_join_session_keyring(NULL) < 0 || !mkdtemp(dir)) {
		printf("not ok - a session keyring and a private directory: %s\n", strerror(errno));
		return 1;
	}
	setenv("CREDKIT_KEYRING", "session", 1);
	setenv("XDG_RUNTIME_DIR", dir, 1);
	test_cache();
	test_failure_record();
	test_lock();
	test_lock_dir(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
	return check_done();
}
