/* SPDX-License-Identifier: MIT */
/*
 * ghcr.c - which hosts are GitHub's container registries, their settings,
 * and whose gh token answers for each (see github/ghcr.h).
 *
 * Nothing here touches the network or runs a program: this is what the
 * cheap front of docker-credential-ghcr runs on every get.  The sources
 * themselves are in ghsources.c, the token core's hooks in ghhelper.c.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "github/ghcr.h"
#include "registry.h"
#include "tokens/identity.h"

static const char *const source_names[GHCR_SOURCES] = { "store", "env", "file", "gh" };

const char *ghcr_source_name(enum ghcr_source s)
{
	return s < GHCR_SOURCES ? source_names[s] : "?";
}

/* Whether s ends with suffix, with something before it. */
static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* Whether s is 1..max bytes of a host name, with an optional ":port". */
static int host_like(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '-' || s[i] == ':'))
			return 0;
	return i > 0 && i <= max && s[0] != '-' && s[0] != '.';
}

/* Whether s is printable ASCII with no space, 1..max bytes. */
static int printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return i > 0 && i <= max;
}

/* The setting name of obj, a string that ok() takes, into buf. */
static int take_string(json_t *obj, const char *name, char *buf, size_t size,
		       int (*ok)(const char *, size_t), const char *what,
		       const char *where, const char *path, struct ck_error *err)
{
	json_t *v = json_object_get(obj, name);

	if (!v)
		return 0;
	if (!json_is_string(v) || !ok(json_string_value(v), size - 1))
		return ck_error(err, CK_BAD_INPUT, "%s: \"%s\" of %s must be %s, at most "
				"%zu bytes", path, name, where, what, size - 1);
	snprintf(buf, size, "%s", json_string_value(v));
	return 0;
}

/* The setting name of obj, a whole number from min to max. */
static int take_number(json_t *obj, const char *name, long min, long max, long *n,
		       const char *unit, const char *where, const char *path,
		       struct ck_error *err)
{
	json_t *v = json_object_get(obj, name);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return ck_error(err, CK_BAD_INPUT, "%s: \"%s\" of %s must be a whole number "
				"of %s from %ld to %ld", path, name, where, unit, min, max);
	*n = (long)json_integer_value(v);
	return 0;
}

/*
 * The list name ("sources", "kubelet_sources") of obj: distinct source
 * names, in the order asked, into order and *nr.
 */
static int take_sources(json_t *obj, const char *name, enum ghcr_source *order, size_t *nr,
			const char *where, const char *path, struct ck_error *err)
{
	json_t *list = json_object_get(obj, name), *v;
	unsigned seen = 0;
	size_t i, j;

	if (!list)
		return 0;
	if (!json_is_array(list))
		goto bad;
	*nr = 0;
	json_array_foreach(list, i, v) {
		for (j = 0; j < GHCR_SOURCES; j++)
			if (json_is_string(v) && !strcmp(json_string_value(v), source_names[j]))
				break;
		if (j == GHCR_SOURCES || (seen & (1u << j)))
			goto bad;
		seen |= 1u << j;
		order[(*nr)++] = (enum ghcr_source)j;
	}
	return 0;
bad:
	return ck_error(err, CK_BAD_INPUT, "%s: \"%s\" of %s must be a list of "
			"distinct names among \"store\", \"env\", \"file\" and \"gh\"",
			path, name, where);
}

static int take_settings(json_t *obj, struct ghcr_host *h, const char *where,
			 const char *path, struct ck_error *err)
{
	if (!json_is_object(obj))
		return ck_error(err, CK_BAD_INPUT, "%s: %s must be an object", path, where);
	return take_sources(obj, "sources", h->order, &h->nr, where, path, err) ||
	       take_sources(obj, "kubelet_sources", h->kubelet_order, &h->kubelet_nr, where,
			    path, err) ||
	       take_string(obj, "token_file", h->token_file, sizeof(h->token_file),
			   printable, "a path", where, path, err) ||
	       take_number(obj, "gh_timeout_ms", 100, 60000, &h->gh_timeout_ms,
			   "milliseconds", where, path, err) ||
	       take_number(obj, "gh_cache_seconds", 0, 3600, &h->gh_cache_seconds,
			   "seconds", where, path, err) ? -1 : 0;
}

/*
 * The entry of "hosts" that names ref's host and port (none: 443), or
 * NULL.  A name that is not a registry host is an error (-1 in *bad).
 */
static json_t *host_entry(json_t *hosts, const struct registry_ref *ref, const char *path,
			  int *bad, struct ck_error *err)
{
	struct registry_ref named;
	const char *name;
	json_t *v;

	*bad = 0;
	json_object_foreach(hosts, name, v) {
		if (registry_parse(name, &named, NULL) || named.path[0] || strchr(name, '/')) {
			*bad = ck_error(err, CK_BAD_INPUT, "%s: \"%.200s\" of \"ghcr\".\"hosts\" "
					"is not a registry host (\"host\" or \"host:port\")",
					path, name);
			return NULL;
		}
		if (!strcmp(named.host, ref->host) && named.port == ref->port)
			return v;
	}
	return NULL;
}

/*
 * The GitHub host and API base of a host the settings name, where they do
 * not say: containers.SUB.ghe.com is SUB.ghe.com, containers.HOST is HOST.
 */
static int derive_github(struct ghcr_host *h, const struct registry_ref *ref,
			 const char *path, struct ck_error *err)
{
	if (strncmp(ref->host, "containers.", 11) || !ref->host[11])
		return ck_error(err, CK_BAD_INPUT, "%s: the entry for %s in \"ghcr\".\"hosts\" "
				"needs \"github\": the GitHub host whose tokens it takes",
				path, h->host);
	snprintf(h->github, sizeof(h->github), "%s", ref->host + 11);
	return 0;
}

static void set_kind_and_api(struct ghcr_host *h)
{
	const char *colon;

	if (!strcmp(h->github, "github.com"))
		h->kind = GHCR_DOTCOM;
	else if (ends_with(h->github, ".ghe.com") && !strchr(h->github, ':'))
		h->kind = GHCR_GHE_COM;
	else
		h->kind = GHCR_SERVER;
	if (h->api[0])
		return;
	colon = strchr(h->github, ':');
	if (h->kind == GHCR_DOTCOM)
		snprintf(h->api, sizeof(h->api), "https://api.github.com");
	else if (h->kind == GHCR_GHE_COM)
		snprintf(h->api, sizeof(h->api), "https://api.%s", h->github);
	else
		snprintf(h->api, sizeof(h->api), "https://%.*s%s/api/v3",
			 colon ? (int)(colon - h->github) : (int)strlen(h->github), h->github,
			 colon ? colon : "");
}

/* Whether s is an https:// URL of printable characters. */
static int api_like(const char *s, size_t max)
{
	return printable(s, max) && !strncmp(s, "https://", 8) && s[8];
}

/* Where gh is: the first "gh" on PATH that may be run, into h->gh. */
static void find_gh(struct ghcr_host *h)
{
	const char *path = getenv("PATH");
	struct stat st;
	size_t len;

	h->gh[0] = '\0';
	while (path && *path) {
		len = strcspn(path, ":");
		if (len && snprintf(h->gh, sizeof(h->gh), "%.*s/gh", (int)len, path) <
		    (int)sizeof(h->gh) && stat(h->gh, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(h->gh, X_OK) == 0)
			return;
		h->gh[0] = '\0';
		path += len + (path[len] == ':');
	}
}

/* Where gh keeps its hosts.yml, as gh looks for it. */
static void gh_hosts_file(char *buf, size_t size)
{
	const char *dir = config_env("GH_CONFIG_DIR"), *xdg = config_env("XDG_CONFIG_HOME");
	const char *home = config_env("HOME");

	if (dir)
		snprintf(buf, size, "%s/hosts.yml", dir);
	else if (xdg)
		snprintf(buf, size, "%s/gh/hosts.yml", xdg);
	else
		snprintf(buf, size, "%s/.config/gh/hosts.yml", home ? home : "");
}

/*
 * The cache key: scope the GitHub host, identity what decides which token
 * gh gives: the program, its settings folder and hosts.yml, the variables
 * it reads (digested: they may hold tokens), and GITHUB_ACTOR, the
 * username it is answered with.  No secret in clear.
 */
static int make_key(const struct ghcr_host *h, struct token_target *t, struct ck_error *err)
{
	static const char *const vars[] = {
		"GH_CONFIG_DIR", "XDG_CONFIG_HOME", "HOME", "GH_HOST", "GH_TOKEN",
		"GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN",
		"GITHUB_ACTOR",
	};
	char hosts[4200], hex[TOKEN_ID_HEX], identity[800];
	struct token_id id;

	gh_hosts_file(hosts, sizeof(hosts));
	token_id_start(&id);
	token_id_string(&id, "gh", h->gh[0] ? h->gh : NULL);
	token_id_env(&id, vars, sizeof(vars) / sizeof(vars[0]));
	token_id_file(&id, "hosts.yml", hosts, 1024 * 1024);
	token_id_end(&id, hex);
	snprintf(identity, sizeof(identity), "gh=%.600s #%s", h->gh[0] ? h->gh : "(none)", hex);
	return token_target_key(t, GHCR_NS, h->github, identity, err);
}

static int has_gh(const struct ghcr_host *h)
{
	size_t i;

	for (i = 0; i < h->nr; i++)
		if (h->order[i] == GHCR_GH)
			return 1;
	return 0;
}

/* t's cache key for h's order: gh's identity when gh is in it. */
static int order_key(struct ghcr_host *h, struct token_target *t, struct ck_error *err)
{
	if (!has_gh(h))	/* nothing is cached: the key is never used */
		return token_target_key(t, GHCR_NS, h->github, "no-gh", err);
	find_gh(h);
	return make_key(h, t, err);
}

int ghcr_host_find(const char *server, const struct config *cfg, struct ghcr_host *h,
		   struct token_target *t, struct ck_error *err)
{
	static const enum ghcr_source defaults[] = { GHCR_STORE, GHCR_ENV, GHCR_FILE, GHCR_GH };
	static const enum ghcr_source node[] = { GHCR_STORE, GHCR_ENV, GHCR_FILE };
	json_t *ghcr = cfg && cfg->root ? json_object_get(cfg->root, "ghcr") : NULL;
	json_t *hosts = NULL, *mine = NULL;
	const char *path = cfg ? cfg->path : "";
	struct registry_ref ref;
	char where[TOKEN_HOST_MAX + 32];
	int bad;

	memset(h, 0, sizeof(*h));
	memcpy(h->order, defaults, sizeof(defaults));
	h->nr = GHCR_SOURCES;
	memcpy(h->kubelet_order, node, sizeof(node));
	h->kubelet_nr = sizeof(node) / sizeof(node[0]);
	h->gh_timeout_ms = GHCR_GH_TIMEOUT_MS;
	h->gh_cache_seconds = GHCR_GH_CACHE_SECONDS;
	if (registry_parse(server, &ref, NULL))	/* a path is the client's business */
		return 0;
	registry_host_port(&ref, h->host, sizeof(h->host));
	if (ghcr && !json_is_object(ghcr))
		return ck_error(err, CK_BAD_INPUT, "%s: \"ghcr\" must be an object", path);
	if (ghcr && (hosts = json_object_get(ghcr, "hosts")) && !json_is_object(hosts))
		return ck_error(err, CK_BAD_INPUT, "%s: \"hosts\" of \"ghcr\" must be an object",
				path);
	if (hosts && !(mine = host_entry(hosts, &ref, path, &bad, err)) && bad)
		return -1;
	if (!mine && (strcmp(ref.host, "ghcr.io") || ref.port))
		return 0;

	snprintf(where, sizeof(where), "host %s", h->host);
	if (mine && !json_is_object(mine))
		return ck_error(err, CK_BAD_INPUT, "%s: %s must be an object", path, where);
	if (mine && (take_string(mine, "github", h->github, sizeof(h->github), host_like,
				 "a GitHub host name", where, path, err) ||
		     take_string(mine, "api", h->api, sizeof(h->api), api_like,
				 "an https:// URL", where, path, err)))
		return -1;
	if (!h->github[0] && !strcmp(ref.host, "ghcr.io") && !ref.port)
		snprintf(h->github, sizeof(h->github), "github.com");
	if (!h->github[0] && derive_github(h, &ref, path, err))
		return -1;
	while (strlen(h->api) > 8 && h->api[strlen(h->api) - 1] == '/')
		h->api[strlen(h->api) - 1] = '\0';
	h->api_set = h->api[0] != '\0';
	set_kind_and_api(h);
	if ((ghcr && take_settings(ghcr, h, "\"ghcr\"", path, err)) ||
	    (mine && take_settings(mine, h, where, path, err)))
		return -1;
	if (!t)
		return 1;
	memset(t, 0, sizeof(*t));
	snprintf(t->host, sizeof(t->host), "%s", h->host);
	/* gh's bound, then the child's grace (TERM, a second, KILL). */
	t->timeout_ms = h->gh_timeout_ms + 3000;
	t->fail_cache_ms = GHCR_FAIL_CACHE_MS;
	/* gh's token is used for gh_cache_seconds, then gh asked again. */
	t->fresh_percent = ghcr_fresh_percent(h->gh_cache_seconds);
	return order_key(h, t, err) ? -1 : 1;
}

int ghcr_host_kubelet(struct ghcr_host *h, struct token_target *t, struct ck_error *err)
{
	memcpy(h->order, h->kubelet_order, sizeof(h->order));
	h->nr = h->kubelet_nr;
	return order_key(h, t, err);
}

int ghcr_hosts_each(const struct config *cfg,
		    int (*fn)(const struct ghcr_host *h, void *data, struct ck_error *err),
		    void *data, struct ck_error *err)
{
	struct token_target t;
	struct ghcr_host h;
	json_t *ghcr = cfg && cfg->root ? json_object_get(cfg->root, "ghcr") : NULL;
	json_t *hosts = json_is_object(ghcr) ? json_object_get(ghcr, "hosts") : NULL;
	const char *name;
	json_t *v;

	if (ghcr_host_find("ghcr.io", cfg, &h, &t, err) < 0 || fn(&h, data, err))
		return -1;
	json_object_foreach(hosts, name, v) {
		if (registry_same(name, "ghcr.io"))
			continue;
		if (ghcr_host_find(name, cfg, &h, &t, err) < 0 || fn(&h, data, err))
			return -1;
	}
	return 0;
}

const char *const *ghcr_env_names(const struct ghcr_host *h)
{
	static const char *const dotcom[] = { "GH_TOKEN", "GITHUB_TOKEN" };
	static const char *const server[] = { "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN" };

	return h->kind == GHCR_SERVER ? server : dotcom;
}

long ghcr_record_life(long seconds)
{
	return ghcr_life_seconds(2 * seconds);
}

int ghcr_fresh_percent(long seconds)
{
	long life = ghcr_record_life(seconds);

	/* Rounded up: fresh until seconds after minting, not a second less. */
	return seconds > 0 ? (int)((seconds * 100 + life - 1) / life) : 100;
}

long ghcr_life_seconds(long seconds)
{
	long life = seconds, margin;

	/* The token core's margin: a quarter of the life, at most 60 s. */
	for (;;) {
		margin = life / 4 > 60 ? 60 : life / 4;
		if (life - margin >= seconds)
			return life;
		life++;
	}
}
