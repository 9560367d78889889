/* SPDX-License-Identifier: MIT */
/*
 * cache.c - the token cache: the kernel keyring, else the store for
 * passwords through its helper program, else nothing (see tokens/cache.h).
 *
 * Both kinds keep an entry as a struct cred whose server is the cache key,
 * whose username is the token's and whose secret is the token record
 * (token_encode()).  The keyring is asked in this process; a store through
 * its helper, over the protocol every helper speaks, so that neither a
 * front nor a minter links sd-bus or gpg plumbing.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "child.h"
#include "config.h"
#include "stores/keyctl.h"
#include "stores/store.h"
#include "tokens/cache.h"

#define STORE_TIMEOUT_MS	5000
#define STORE_OUTPUT_MAX	(1024 * 1024)

/*
 * A failure record is the entry "KEY !failed" (a key's identity holds no
 * '!'), of username FAIL_USER and secret "UNTIL_MS KIND\nTEXT": until when
 * (CLOCK_REALTIME ms) it is the answer, and the error.  The kernel drops
 * it a second after that.
 */
#define FAIL_SUFFIX	" !failed"
#define FAIL_USER	"credkit-failed-mint"

int token_target_key(struct token_target *t, const char *ns, const char *scope,
		     const char *identity, struct ck_error *err)
{
	size_t i;

	if (snprintf(t->identity, sizeof(t->identity), "%s", identity) >=
	    (int)sizeof(t->identity) ||
	    snprintf(t->key, sizeof(t->key), TOKEN_KEY_PREFIX "%.*s %s %s", TOKEN_NS_MAX, ns,
		     scope, identity) >= (int)sizeof(t->key))
		return ck_error(err, CK_BAD_INPUT, "the settings for %s are too long to "
				"name its token", t->host);
	for (i = 0; t->identity[i]; i++)
		if ((unsigned char)t->identity[i] < 0x20 || t->identity[i] == 0x7f ||
		    t->identity[i] == '!')
			t->identity[i] = '?';
	for (i = 0; t->key[i]; i++)
		if ((unsigned char)t->key[i] < 0x20 || t->key[i] == 0x7f || t->key[i] == '!')
			t->key[i] = '?';
	return 0;
}

static int is_failure_key(const char *key)
{
	size_t n = strlen(key), m = strlen(FAIL_SUFFIX);

	return n > m && !strcmp(key + n - m, FAIL_SUFFIX);
}

void token_cache_open(struct token_cache *c, const char *ns, int keyring_only)
{
	struct ck_error e = CK_ERROR_INIT;
	struct store_choice choice;
	const char *set = config_env("CREDKIT_STORE");

	memset(c, 0, sizeof(*c));
	c->ns = ns;
	if (set && !strcmp(set, "none")) {
		snprintf(c->why, sizeof(c->why), "CREDKIT_STORE=none");
		return;
	}
	if ((c->ring = keyctl_open_ring(TOKEN_RING, &e))) {
		c->kind = TOKEN_CACHE_KEYRING;
		return;
	}
	snprintf(c->why, sizeof(c->why), "%s", e.msg);
	if (keyring_only)
		return;
	if (store_choose_tokens(&choice, &e)) {
		snprintf(c->why, sizeof(c->why), "%s", e.msg);
	} else if (choice.kind == STORE_SECRETSERVICE || choice.kind == STORE_PASS) {
		c->kind = TOKEN_CACHE_STORE;
		c->store = store_name(choice.kind);
	}
}

void token_cache_close(struct token_cache *c)
{
	if (c->ring)
		keyctl_backend.close(c->ring);
	c->ring = NULL;
	c->kind = TOKEN_CACHE_NONE;
}

/* --- the store's helper ------------------------------------------------ */

/*
 * Run the store's helper with verb, input[len] on its stdin, its stdout
 * in ch->output.  Returns 0 when it exited 0, 1 when it said "not found",
 * or -1 with err.
 */
static int run_store(const struct token_cache *c, const char *verb, const char *input,
		     size_t len, struct child *ch, struct ck_error *err)
{
	char path[4096];
	char *argv[] = { path, (char *)verb, NULL };

	store_helper_path(c->store, path, sizeof(path));
	ch->argv = argv;
	ch->input = input;
	ch->input_len = len;
	ch->want_output = 1;
	ch->output_max = STORE_OUTPUT_MAX;
	ch->quiet = 1;
	ch->timeout_ms = STORE_TIMEOUT_MS;
	if (child_run(ch, err))
		return -1;
	if (WIFEXITED(ch->status) && WEXITSTATUS(ch->status) == 0)
		return 0;
	if (ch->output.buf && strstr(ch->output.buf, "credentials not found"))
		return 1;
	/*
	 * Its stdout is its error message when it exits 1; killed midway
	 * through a get, it may hold the token, which an error never shows.
	 */
	if (!WIFEXITED(ch->status) || (ch->output.buf && ch->output.buf[0] == '{'))
		return ck_error(err, CK_UNAVAILABLE, "the token cache in %s failed: %.300s",
				c->store, ch->diag[0] ? ch->diag : "no reason given");
	return ck_error(err, CK_UNAVAILABLE, "the token cache in %s failed: %.300s",
			c->store, ch->output.buf && *ch->output.buf ? ch->output.buf : ch->diag);
}

static int store_get(const struct token_cache *c, const char *key, struct cred *out,
		     struct ck_error *err)
{
	struct child ch = CHILD_INIT;
	json_t *doc = NULL;
	const char *user, *secret;
	int ret;

	ret = run_store(c, "get", key, strlen(key), &ch, err);
	if (ret)
		goto out;
	doc = json_loadb(ch.output.buf, ch.output.len, 0, NULL);
	user = json_string_value(json_object_get(doc, "Username"));
	secret = json_string_value(json_object_get(doc, "Secret"));
	ret = 1;	/* not an entry of ours: none */
	if (user && secret) {
		if (!(out->username = strdup(user)) ||
		    secret_set(&out->secret, secret, strlen(secret)))
			ret = ck_error(err, CK_FAILED, "out of memory");
		else
			ret = 0;
	}
out:
	json_decref(doc);
	child_release(&ch);
	if (ret == 1)
		return ck_error(err, CK_NOT_FOUND, NULL);
	return ret;
}

static int store_put(const struct token_cache *c, const struct cred *entry,
		     struct ck_error *err)
{
	struct child ch = CHILD_INIT;
	json_t *doc;
	char *text = NULL;
	int ret = -1;

	doc = json_pack("{s:s, s:s, s:s%}", "ServerURL", entry->server, "Username",
			entry->username, "Secret", entry->secret.buf, entry->secret.len);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text)
		ck_error(err, CK_FAILED, "cannot encode the token as JSON");
	else if (run_store(c, "store", text, strlen(text), &ch, err) == 0)
		ret = 0;
	else if (err->kind == CK_OK)
		ck_error(err, CK_FAILED, "%s did not keep the token", c->store);
	if (text)
		secure_free(text);
	json_decref(doc);
	child_release(&ch);
	return ret;
}

static int store_erase(const struct token_cache *c, const char *key, struct ck_error *err)
{
	struct child ch = CHILD_INIT;
	int ret = run_store(c, "erase", key, strlen(key), &ch, err);

	child_release(&ch);
	return ret < 0 ? -1 : 0;
}

/* each(key, username) for every entry of our namespace the store lists. */
static int store_list(const struct token_cache *c, backend_each_fn each, void *data,
		      struct ck_error *err)
{
	struct child ch = CHILD_INIT;
	json_t *doc = NULL, *v;
	const char *key;
	int ret;

	/* Only then does the store's list show token entries, and only ours. */
	if (setenv(TOKEN_LIST_ENV, c->ns, 1))
		return ck_error(err, CK_FAILED, "out of memory");
	ret = run_store(c, "list", NULL, 0, &ch, err);
	unsetenv(TOKEN_LIST_ENV);
	if (ret)
		goto out;
	doc = json_loadb(ch.output.buf, ch.output.len, 0, NULL);
	json_object_foreach(doc, key, v)
		if (token_is_key(key, c->ns) &&
		    (ret = each(key, json_string_value(v) ? json_string_value(v) : "", data,
				err)))
			break;
out:
	json_decref(doc);
	child_release(&ch);
	return ret < 0 ? -1 : 0;
}

/* --- entries, whichever the cache ----------------------------------------- */

/* The entry of key: 0 with out filled, -1 with err (CK_NOT_FOUND: none). */
static int entry_get(const struct token_cache *c, const char *key, struct cred *out,
		     struct ck_error *err)
{
	if (c->kind == TOKEN_CACHE_KEYRING)
		return keyctl_backend.get(c->ring, key, out, err);
	if (c->kind == TOKEN_CACHE_STORE)
		return store_get(c, key, out, err);
	return ck_error(err, CK_NOT_FOUND, NULL);
}

static int entry_put(const struct token_cache *c, const struct cred *entry,
		     time_t expires, struct ck_error *err)
{
	if (c->kind == TOKEN_CACHE_KEYRING)
		return keyctl_store_expiring(c->ring, entry, expires, err);
	if (c->kind == TOKEN_CACHE_STORE)
		return store_put(c, entry, err);
	return 0;
}

static int entry_erase(const struct token_cache *c, const char *key, struct ck_error *err)
{
	if (c->kind == TOKEN_CACHE_KEYRING)
		return keyctl_backend.erase(c->ring, key, err);
	if (c->kind == TOKEN_CACHE_STORE)
		return store_erase(c, key, err);
	return 0;
}

/* The keys of our namespace's tokens (failure records apart), collected. */
struct keys {
	const char *ns;
	char **key;
	size_t nr, alloc;
};

static int collect_key(const char *server, const char *username, void *data,
		       struct ck_error *err)
{
	struct keys *k = data;
	char **grown;

	(void)username;
	if (!token_is_key(server, k->ns) || is_failure_key(server))
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

static int keys_find(const struct token_cache *c, struct keys *k, struct ck_error *err)
{
	k->ns = c->ns;
	if (c->kind == TOKEN_CACHE_KEYRING)
		return keyctl_backend.list(c->ring, collect_key, k, err);
	if (c->kind == TOKEN_CACHE_STORE)
		return store_list(c, collect_key, k, err);
	return 0;
}

/* The record at key: 1 with t filled, 0 none (or not a record), -1 with err. */
static int record_read(const struct token_cache *c, const char *key, struct token *t,
		       struct ck_error *err)
{
	struct cred entry = CRED_INIT;
	struct ck_error e = CK_ERROR_INIT;
	int ret = 0;

	token_release(t);
	if (entry_get(c, key, &entry, &e)) {
		if (e.kind != CK_NOT_FOUND)
			ret = ck_error(err, e.kind, "%s", e.msg);
	} else if (token_decode(entry.username, &entry.secret, t) == 0) {
		ret = 1;	/* else not a record of ours, or a format to come */
	}
	cred_release(&entry);
	return ret;
}

int token_cache_get(struct token_cache *c, const struct token_target *target,
		    struct token *t, struct ck_error *err)
{
	int ret = record_read(c, target->key, t, err);

	/* The key names the identity; the record says it too, and must agree. */
	if (ret > 0 && strcmp(t->identity, target->identity)) {
		token_release(t);
		ret = 0;
	}
	return ret;
}

int token_cache_put(struct token_cache *c, const struct token_target *target,
		    const struct token *t, struct ck_error *err)
{
	struct cred entry = CRED_INIT;
	struct token hosts = TOKEN_INIT;
	int ret;

	/* Whose it is comes from the target, never from what the minter said. */
	snprintf(hosts.hosts, sizeof(hosts.hosts), "%s", t->hosts);
	if (token_add_host(&hosts, target->host) < 0)
		return ck_error(err, CK_FAILED, "the token for %s answers for too many "
				"hosts to name one more", target->host);
	entry.server = (char *)target->key;
	entry.username = (char *)t->username;
	if (token_encode(t, target->identity, hosts.hosts, &entry.secret))
		return ck_error(err, CK_FAILED, "cannot encode the token of %s (out of "
				"memory, or a newline in its identity)", target->host);
	ret = entry_put(c, &entry, t->expires, err);
	secret_release(&entry.secret);
	return ret;
}

/* Drop the failure record of key, if any (only the keyring keeps them). */
static int failure_drop(const struct token_cache *c, const char *key, struct ck_error *err)
{
	char failure[TOKEN_KEY_MAX + sizeof(FAIL_SUFFIX)];

	if (c->kind != TOKEN_CACHE_KEYRING)
		return 0;
	snprintf(failure, sizeof(failure), "%s%s", key, FAIL_SUFFIX);
	return entry_erase(c, failure, err);
}

int token_cache_drop(struct token_cache *c, const struct token_target *target,
		     struct ck_error *err)
{
	struct keys k = { NULL };
	struct token t = TOKEN_INIT;
	size_t i;
	int ret;

	ret = keys_find(c, &k, err);
	for (i = 0; ret == 0 && i < k.nr; i++) {
		if (record_read(c, k.key[i], &t, err) < 0)
			ret = -1;
		else if (token_has_host(&t, target->host) &&
			 !(ret = entry_erase(c, k.key[i], err)))
			ret = failure_drop(c, k.key[i], err);
	}
	/* This caller's own token and failure, whatever hosts they name. */
	if (!ret && token_is_key(target->key, c->ns))
		ret = entry_erase(c, target->key, err);
	if (!ret && token_is_key(target->key, c->ns))
		ret = failure_drop(c, target->key, err);
	token_release(&t);
	keys_release(&k);
	return ret;
}

int token_cache_list(struct token_cache *c, backend_each_fn each, void *data,
		     struct ck_error *err)
{
	struct keys k = { NULL };
	struct token t = TOKEN_INIT;
	char host[TOKEN_HOST_MAX], url[TOKEN_HOST_MAX + 16];
	const char *p;
	size_t i, n;
	int ret;

	ret = keys_find(c, &k, err);
	for (i = 0; ret == 0 && i < k.nr; i++) {
		if (record_read(c, k.key[i], &t, err) < 0) {
			ret = -1;
			break;
		}
		for (p = t.hosts; ret == 0 && *p; p += n + (p[n] == ' ')) {
			n = strcspn(p, " ");
			if (!n || n >= sizeof(host))
				continue;
			memcpy(host, p, n);
			host[n] = '\0';
			snprintf(url, sizeof(url), "https://%s", host);
			ret = each(url, t.username, data, err);
		}
	}
	token_release(&t);
	keys_release(&k);
	return ret;
}

/* --- the failure record ------------------------------------------------- */

static long long realtime_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int token_cache_put_failure(struct token_cache *c, const struct token_target *target,
			    const struct ck_error *failed, struct ck_error *err)
{
	struct cred entry = CRED_INIT;
	char name[TOKEN_KEY_MAX + sizeof(FAIL_SUFFIX)];
	long long until = realtime_ms() + target->fail_cache_ms;
	int n, ret;

	if (target->fail_cache_ms <= 0 || c->kind != TOKEN_CACHE_KEYRING)
		return 0;
	if (snprintf(name, sizeof(name), "%s%s", target->key, FAIL_SUFFIX) >= (int)sizeof(name))
		return ck_error(err, CK_FAILED, "the cache key is too long");
	n = snprintf(NULL, 0, "%lld %d\n%s", until, (int)failed->kind, failed->msg);
	if (n < 0 || secret_alloc(&entry.secret, (size_t)n))
		return ck_error(err, CK_FAILED, "out of memory");
	snprintf(entry.secret.buf, (size_t)n + 1, "%lld %d\n%s", until, (int)failed->kind,
		 failed->msg);
	entry.server = name;
	entry.username = (char *)FAIL_USER;
	ret = keyctl_store_expiring(c->ring, &entry, (time_t)(until / 1000) + 2, err);
	secret_release(&entry.secret);
	return ret;
}

int token_cache_get_failure(struct token_cache *c, const struct token_target *target,
			    struct ck_error *failed)
{
	struct cred entry = CRED_INIT;
	struct ck_error e = CK_ERROR_INIT;
	char name[TOKEN_KEY_MAX + sizeof(FAIL_SUFFIX)];
	long long until, now = realtime_ms();
	long keep = target->fail_cache_ms, kind;
	char *p, *nl;
	int ret = 0;

	if (keep <= 0 || c->kind != TOKEN_CACHE_KEYRING ||
	    snprintf(name, sizeof(name), "%s%s", target->key, FAIL_SUFFIX) >= (int)sizeof(name))
		return 0;
	if (keyctl_backend.get(c->ring, name, &entry, &e))
		return 0;	/* none, or none that can be read: ask again */
	p = entry.secret.buf;
	nl = p ? memchr(p, '\n', entry.secret.len) : NULL;
	if (!nl || strcmp(entry.username, FAIL_USER))
		goto out;
	*nl = '\0';
	if (sscanf(p, "%lld %ld", &until, &kind) != 2 || kind <= CK_OK ||
	    kind > CK_FAILED || until <= now || until - now > keep)
		goto out;	/* past, or kept longer than now allowed: ask again */
	ck_error(failed, (enum ck_kind)kind, "%.*s (the answer %lld ms ago, remembered "
		 "for fail_cache_ms)", (int)(entry.secret.len - (size_t)(nl + 1 - p)), nl + 1,
		 keep - (until - now));
	ret = 1;
out:
	cred_release(&entry);
	return ret;
}
