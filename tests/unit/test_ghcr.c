/* SPDX-License-Identifier: MIT */
/*
 * test_ghcr.c - docker-credential-ghcr's hosts, settings and source order
 * (tests/data/ghcr/hosts.txt), the answers of gh and of GitHub's API
 * (tests/data/ghcr/answers.txt), then the token kinds, gh's variables per
 * kind of host, the life of a cached gh token and the cache keys
 * (common/github/), without any network or program run.
 *
 * Usage: test_ghcr FILE...
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "github/api.h"
#include "github/ghcr.h"
#include "tokens/http.h"

static const char *kind_word(enum ghcr_kind k)
{
	return k == GHCR_DOTCOM ? "dotcom" : k == GHCR_GHE_COM ? "ghe.com" : "server";
}

/* What a case's WANT says of h. */
static void render(const struct ghcr_host *h, char *buf, size_t size)
{
	char order[64] = "";
	size_t i;

	for (i = 0; i < h->nr; i++)
		snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s%s",
			 i ? "," : "", ghcr_source_name(h->order[i]));
	snprintf(buf, size, "%s %s %s %s %s file=%s timeout=%ld cache=%ld", h->host, h->github,
		 kind_word(h->kind), h->api, h->nr ? order : "none", h->token_file,
		 h->gh_timeout_ms, h->gh_cache_seconds);
}

/*
 * Undo answers.txt's escapes in s, in place: \n, \r, \t, \\ and \xHH.
 * Returns the length (the bytes may hold NULs).
 */
static size_t unescape(char *s)
{
	size_t i, n = 0;

	for (i = 0; s[i]; i++) {
		if (s[i] != '\\' || !s[i + 1]) {
			s[n++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'n': s[n++] = '\n'; break;
		case 'r': s[n++] = '\r'; break;
		case 't': s[n++] = '\t'; break;
		case 'x':
			if (case_hex(s[i + 1]) >= 0 && case_hex(s[i + 2]) >= 0) {
				s[n++] = (char)(case_hex(s[i + 1]) * 16 + case_hex(s[i + 2]));
				i += 2;
				break;
			}
			/* fall through */
		default: s[n++] = s[i]; break;
		}
	}
	s[n] = '\0';
	return n;
}

/*
 * What an answers.txt case gives for kind and input (body: the API's): gh's
 * stdout (the token's length, "-" for none), gh's stderr after an exit 1
 * (the error), or GitHub's answer of status kind, input its head's lines
 * split after each '\n', given to http_take_header() one by one.
 */
static void answer(const char *kind, char *input, char *body, char *got, size_t size)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct github_user u;
	size_t len = unescape(input), n;
	char *p;

	if (!strcmp(kind, "gh")) {
		n = ghcr_token_take(input, len);
		snprintf(got, size, n ? "%zu" : "-", n);
		return;
	}
	if (!strcmp(kind, "gh-failed")) {
		ghcr_gh_failed("ghe.example.com", 1 << 8, input, len, &err);
		snprintf(got, size, "%s", err.msg);
		return;
	}
	resp.status = strtol(kind, NULL, 10);
	for (p = input; p < input + len; p += n) {
		n = strcspn(p, "\n");
		n += p[n] == '\n';
		http_take_header(&resp, "X-OAuth-Scopes", p, n);
	}
	if (!secret_set(&resp.body, body, unescape(body))) {
		github_user_read(&resp, &u);
		snprintf(got, size, "%ld|%s|%s|%s|%s", u.status, u.login, u.message,
			 u.listed ? u.scopes : "-", u.push ? "pull,push" : u.pull ? "pull" : "");
	}
	http_response_release(&resp);
}

/* KIND<TAB>INPUT[<TAB>BODY]<TAB>WANT, BODY for an API's answer only. */
static void each_answer(const char *where, char *line)
{
	char *field[4] = { NULL }, got[1024] = "";
	int n = case_split(line, field, 4);
	int api = strcmp(field[0], "gh") && strcmp(field[0], "gh-failed");

	if (n != 3 + api) {
		CHECK(0, "%s: %d fields", where, 3 + api);
		return;
	}
	answer(field[0], field[1], api ? field[2] : NULL, got, sizeof(got));
	unescape(field[n - 1]);
	CHECK_STR(got, field[n - 1], "%s: %s", where, field[0]);
}

static void each(const char *where, char *line)
{
	struct config cfg = CONFIG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct token_target t;
	struct ghcr_host h;
	char *field[3], got[8192];
	int n, found;

	if (!strncmp(where, "answers.txt:", strlen("answers.txt:"))) {
		each_answer(where, line);
		return;
	}
	n = case_split(line, field, 3);
	if (n != 3) {
		CHECK(0, "%s: three fields", where);
		return;
	}
	snprintf(cfg.path, sizeof(cfg.path), "config.json");
	cfg.root = strcmp(field[0], "-") ? json_loads(field[0], 0, NULL) : NULL;
	if (strcmp(field[0], "-") && !cfg.root) {
		CHECK(0, "%s: the settings parse", where);
		return;
	}
	found = ghcr_host_find(field[1], &cfg, &h, &t, &err);
	if (found < 0)
		snprintf(got, sizeof(got), "! %s", err.msg);
	else if (!found)
		snprintf(got, sizeof(got), "-");
	else
		render(&h, got, sizeof(got));
	if (field[2][0] == '!')
		CHECK(found < 0 && strstr(got, field[2] + 2), "%s: %s is refused (%s)", where,
		      field[1], got);
	else
		CHECK_STR(got, field[2], "%s: %s", where, field[1]);
	if (found > 0)
		CHECK(!strcmp(t.host, h.host) && t.key[0] && t.timeout_ms > h.gh_timeout_ms &&
		      t.fresh_percent == ghcr_fresh_percent(h.gh_cache_seconds),
		      "%s: the target of %s", where, field[1]);
	json_decref(cfg.root);
}

/* The cache key of server with settings (NULL: none). */
static void key_of(const char *server, const char *settings, char *key, size_t size)
{
	struct config cfg = CONFIG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct token_target t;
	struct ghcr_host h;

	cfg.root = settings ? json_loads(settings, 0, NULL) : NULL;
	if (ghcr_host_find(server, &cfg, &h, &t, &err) == 1)
		snprintf(key, size, "%s", t.key);
	else
		snprintf(key, size, "(none: %s)", err.msg);
	json_decref(cfg.root);
}

/*
 * The order (sources joined by ',') and cache key of server's kubelet get
 * with settings (NULL: none), as "ORDER KEY".
 */
static void kubelet_key_of(const char *server, const char *settings, char *out, size_t size)
{
	struct config cfg = CONFIG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct token_target t;
	struct ghcr_host h;
	size_t i, n = 0;

	cfg.root = settings ? json_loads(settings, 0, NULL) : NULL;
	if (ghcr_host_find(server, &cfg, &h, &t, &err) != 1 || ghcr_host_kubelet(&h, &t, &err)) {
		snprintf(out, size, "(none: %s)", err.msg);
	} else {
		out[0] = '\0';
		for (i = 0; i < h.nr && n < size; i++)
			n += snprintf(out + n, size - n, "%s%s", i ? "," : "",
				      ghcr_source_name(h.order[i]));
		if (n < size)
			snprintf(out + n, size - n, " %s", t.key);
	}
	json_decref(cfg.root);
}

static void check_kubelet(void)
{
	char got[TOKEN_KEY_MAX + 64];

	kubelet_key_of("ghcr.io", NULL, got, sizeof(got));
	CHECK_STR(got, "store,env,file " TOKEN_KEY_PREFIX "ghcr github.com no-gh",
		  "kubelet: by default store, env, file, without gh");
	kubelet_key_of("ghcr.io", "{\"ghcr\": {\"sources\": [\"gh\"]}}", got, sizeof(got));
	CHECK_STR(got, "store,env,file " TOKEN_KEY_PREFIX "ghcr github.com no-gh",
		  "kubelet: docker's sources leave a kubelet's alone");
	kubelet_key_of("ghcr.io", "{\"ghcr\": {\"sources\": [\"env\"], "
		       "\"kubelet_sources\": [\"gh\", \"file\"]}}", got, sizeof(got));
	CHECK(!strncmp(got, "gh,file " TOKEN_KEY_PREFIX "ghcr github.com gh=",
		       strlen(TOKEN_KEY_PREFIX) + 27),
	      "kubelet: kubelet_sources with gh: gh's identity in the key (%s)", got);
	kubelet_key_of("containers.ghe.example.com", "{\"ghcr\": {\"kubelet_sources\": [\"env\"], "
		       "\"hosts\": {\"containers.ghe.example.com\": "
		       "{\"kubelet_sources\": []}}}}", got, sizeof(got));
	CHECK_STR(got, " " TOKEN_KEY_PREFIX "ghcr ghe.example.com no-gh",
		  "kubelet: a host's kubelet_sources win over the section's");
	kubelet_key_of("ghcr.io", "{\"ghcr\": {\"kubelet_sources\": [\"store\", \"nope\"]}}",
		       got, sizeof(got));
	CHECK(strstr(got, "\"kubelet_sources\" of \"ghcr\" must be a list of distinct names") != NULL,
	      "kubelet: an unknown source is refused (%s)", got);
}

static void check_keys(void)
{
	static const char two_hosts[] =
		"{\"ghcr\": {\"hosts\": {\"containers.ghe.example.com\": {},"
		" \"127.0.0.1:5000\": {\"github\": \"ghe.example.com\"}}}}";
	char a[TOKEN_KEY_MAX], b[TOKEN_KEY_MAX], dir[] = "/tmp/credkit-test-ghcr.XXXXXX";
	char file[64];
	FILE *f;

	unsetenv("GH_TOKEN");
	unsetenv("GITHUB_ACTOR");
	if (!mkdtemp(dir)) {
		CHECK(0, "keys: a temporary folder");
		return;
	}
	setenv("GH_CONFIG_DIR", dir, 1);
	snprintf(file, sizeof(file), "%s/hosts.yml", dir);
	key_of("ghcr.io", NULL, a, sizeof(a));
	CHECK(!strncmp(a, TOKEN_KEY_PREFIX "ghcr github.com gh=", strlen(TOKEN_KEY_PREFIX) + 19),
	      "keys: namespace ghcr, scope the GitHub host, then gh (%s)", a);
	key_of("https://ghcr.io/v2/", NULL, b, sizeof(b));
	CHECK_STR(b, a, "keys: another spelling, the same key");
	key_of("containers.ghe.example.com", two_hosts, a, sizeof(a));
	key_of("127.0.0.1:5000", two_hosts, b, sizeof(b));
	CHECK_STR(b, a, "keys: two container hosts of one GitHub host share a key");
	key_of("ghcr.io", NULL, b, sizeof(b));
	CHECK(strcmp(a, b), "keys: another GitHub host has another key");

	key_of("ghcr.io", NULL, a, sizeof(a));
	if ((f = fopen(file, "w"))) {
		fputs("github.com:\n    oauth_token: gho_one\n", f);
		fclose(f);
	}
	key_of("ghcr.io", NULL, b, sizeof(b));
	CHECK(strcmp(a, b), "keys: a hosts.yml written changes the key");
	CHECK(!strstr(b, "gho_one"), "keys: and the key holds no token of it");
	if ((f = fopen(file, "w"))) {
		fputs("github.com:\n    oauth_token: gho_two\n", f);
		fclose(f);
	}
	key_of("ghcr.io", NULL, a, sizeof(a));
	CHECK(strcmp(a, b), "keys: another login in hosts.yml changes the key");
	setenv("GH_TOKEN", "ghp_secret_in_env", 1);
	key_of("ghcr.io", NULL, b, sizeof(b));
	CHECK(strcmp(a, b) && !strstr(b, "ghp_secret"), "keys: GH_TOKEN is digested, not shown");
	unsetenv("GH_TOKEN");
	setenv("GITHUB_ACTOR", "octocat", 1);
	key_of("ghcr.io", NULL, b, sizeof(b));
	CHECK(strcmp(a, b), "keys: GITHUB_ACTOR (the username) changes the key");
	unsetenv("GITHUB_ACTOR");
	setenv("GH_CONFIG_DIR", "/elsewhere", 1);
	key_of("ghcr.io", NULL, b, sizeof(b));
	CHECK(strcmp(a, b), "keys: another GH_CONFIG_DIR, another key");
	key_of("ghcr.io", "{\"ghcr\": {\"sources\": [\"env\", \"file\"]}}", b, sizeof(b));
	CHECK_STR(b, TOKEN_KEY_PREFIX "ghcr github.com no-gh",
		  "keys: without gh in the order, no gh and no hosts.yml in the key");
	check_kubelet();
	unsetenv("GH_CONFIG_DIR");
	unlink(file);
	rmdir(dir);
}

static void after(void)
{
	struct ghcr_host h = { .kind = GHCR_DOTCOM };
	const char *const *names;

	CHECK_STR(ghcr_token_kind("ghp_abc"), "ghp_", "kinds: a classic token");
	CHECK_STR(ghcr_token_kind("gho_abc"), "gho_", "kinds: gh's OAuth token");
	CHECK_STR(ghcr_token_kind("ghs_abc"), "ghs_", "kinds: Actions' GITHUB_TOKEN");
	CHECK_STR(ghcr_token_kind("ghu_abc"), "ghu_", "kinds: an App's user token");
	CHECK_STR(ghcr_token_kind("github_pat_11AB"), "github_pat_", "kinds: a fine-grained token");
	CHECK_STR(ghcr_token_kind("0123456789abcdef"), "", "kinds: an old token, no prefix");
	CHECK_STR(ghcr_token_kind(NULL), "", "kinds: none");
	CHECK(ghcr_token_warning("github_pat_11AB") &&
	      strstr(ghcr_token_warning("github_pat_11AB"), "fine-grained") &&
	      !strstr(ghcr_token_warning("github_pat_11AB"), "11AB"),
	      "kinds: a fine-grained token is warned of, without showing it");
	CHECK(!ghcr_token_warning("ghp_abc") && !ghcr_token_warning("gho_abc") &&
	      !ghcr_token_warning("ghs_abc"), "kinds: the others are not");

	names = ghcr_env_names(&h);
	CHECK(!strcmp(names[0], "GH_TOKEN") && !strcmp(names[1], "GITHUB_TOKEN"),
	      "env: github.com reads GH_TOKEN, then GITHUB_TOKEN");
	h.kind = GHCR_GHE_COM;
	names = ghcr_env_names(&h);
	CHECK(!strcmp(names[0], "GH_TOKEN") && !strcmp(names[1], "GITHUB_TOKEN"),
	      "env: GHE.com reads GH_TOKEN, then GITHUB_TOKEN");
	h.kind = GHCR_SERVER;
	names = ghcr_env_names(&h);
	CHECK(!strcmp(names[0], "GH_ENTERPRISE_TOKEN") &&
	      !strcmp(names[1], "GITHUB_ENTERPRISE_TOKEN"),
	      "env: Enterprise Server reads GH_ENTERPRISE_TOKEN, then GITHUB_ENTERPRISE_TOKEN");

	unsetenv("GITHUB_ACTOR");
	CHECK_STR(ghcr_username(), "x-access-token", "username: x-access-token by default");
	setenv("GITHUB_ACTOR", "octocat", 1);
	CHECK_STR(ghcr_username(), "octocat", "username: GITHUB_ACTOR when set");
	setenv("GITHUB_ACTOR", "", 1);
	CHECK_STR(ghcr_username(), "x-access-token", "username: an empty GITHUB_ACTOR is unset");
	unsetenv("GITHUB_ACTOR");

	/* The core answers until min(60 s, a quarter of the life) before expiry. */
	CHECK(ghcr_life_seconds(300) == 360, "life: 300 s usable is 360 s (%ld)",
	      ghcr_life_seconds(300));
	CHECK(ghcr_life_seconds(180) == 239, "life: 180 s usable is 239 s (%ld)",
	      ghcr_life_seconds(180));
	CHECK(ghcr_life_seconds(30) == 39, "life: 30 s usable is 39 s (%ld)",
	      ghcr_life_seconds(30));
	CHECK(ghcr_life_seconds(3) == 3, "life: 3 s usable is 3 s (%ld)", ghcr_life_seconds(3));
	/* gh's record: fresh for gh_cache_seconds, usable for twice that. */
	{
		static const long secs[] = { 1, 3, 5, 60, 300, 3600 };
		struct token t = TOKEN_INIT;
		size_t i;

		for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
			t.minted = 1000000;
			t.expires = t.minted + ghcr_record_life(secs[i]);
			CHECK(token_fresh(&t, ghcr_fresh_percent(secs[i]), t.minted + secs[i] - 1) &&
			      !token_fresh(&t, ghcr_fresh_percent(secs[i]),
					   t.minted + secs[i] + secs[i] / 50 + 1),
			      "record: %ld s fresh, then gh asked again", secs[i]);
			CHECK(token_usable_until(&t) == t.minted + 2 * secs[i],
			      "record: %ld s, usable for twice that (%lld)", secs[i],
			      (long long)(token_usable_until(&t) - t.minted));
		}
	}
	check_keys();
}

int main(int argc, char **argv)
{
	return cases_main(argc, argv, each, NULL, after);
}
