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

#include "config.h"
#include "stores/client.h"
#include "stores/keyctl.h"
#include "stores/store.h"
#include "tokens/cache.h"


/*
 * A failure record is the entry "KEY !failed" (a key's identity holds no
 * '!'), of username FAIL_USER and secret "UNTIL_MS KIND AT_MS\nTEXT":
 * until when (CLOCK_REALTIME ms) it is the answer, the error, and when it
 * failed (for doctor; a record without it is read as well).  The kernel drops
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

/* each(key, username) for every entry of our namespace the store lists. */
struct ours {
	const char *ns;
	backend_each_fn each;
	void *data;
};

static int keep_ours(const char *server, const char *username, void *data,
		     struct ck_error *err)
{
	struct ours *o = data;

	return token_is_key(server, o->ns) ? o->each(server, username, o->data, err) : 0;
}

static int store_list(const struct token_cache *c, backend_each_fn each, void *data,
		      struct ck_error *err)
{
	struct ours o = { c->ns, each, data };
	int ret;

	/* Only then does the store's list show token entries, and only ours. */
	if (setenv(TOKEN_LIST_ENV, c->ns, 1))
		return ck_error(err, CK_FAILED, "out of memory");
	ret = store_client_list(c->store, keep_ours, &o, err);
	unsetenv(TOKEN_LIST_ENV);
	return ret;
}

/* --- entries, whichever the cache ----------------------------------------- */

/* The entry of key: 0 with out filled, -1 with err (CK_NOT_FOUND: none). */
static int entry_get(const struct token_cache *c, const char *key, struct cred *out,
		     struct ck_error *err)
{
	if (c->kind == TOKEN_CACHE_KEYRING)
		return keyctl_backend.get(c->ring, key, out, err);
	if (c->kind == TOKEN_CACHE_STORE)
		return store_client_get(c->store, key, out, err);
	return ck_error(err, CK_NOT_FOUND, NULL);
}

static int entry_put(const struct token_cache *c, const struct cred *entry,
		     time_t expires, struct ck_error *err)
{
	if (c->kind == TOKEN_CACHE_KEYRING)
		return keyctl_store_expiring(c->ring, entry, expires, err);
	if (c->kind == TOKEN_CACHE_STORE)
		return store_client_store(c->store, entry, err);
	return 0;
}

static int entry_erase(const struct token_cache *c, const char *key, struct ck_error *err)
{
	if (c->kind == TOKEN_CACHE_KEYRING)
		return keyctl_backend.erase(c->ring, key, err);
	if (c->kind == TOKEN_CACHE_STORE)
		return store_client_erase(c->store, key, err);
	return 0;
}

/*
 * The keys of our namespace's tokens (failure records apart), collected;
 * with failures, the failure records' alone.
 */
struct keys {
	const char *ns;
	char **key;
	size_t nr, alloc;
	int failures;
};

static int collect_key(const char *server, const char *username, void *data,
		       struct ck_error *err)
{
	struct keys *k = data;
	char **grown;

	(void)username;
	if (!token_is_key(server, k->ns) || is_failure_key(server) != k->failures)
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
	n = snprintf(NULL, 0, "%lld %d %lld\n%s", until, (int)failed->kind,
		     until - target->fail_cache_ms, failed->msg);
	if (n < 0 || secret_alloc(&entry.secret, (size_t)n))
		return ck_error(err, CK_FAILED, "out of memory");
	snprintf(entry.secret.buf, (size_t)n + 1, "%lld %d %lld\n%s", until, (int)failed->kind,
		 until - target->fail_cache_ms, failed->msg);
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

/* --- doctor ---------------------------------------------------------------- */

/* The scope and the readable identity of key, as "SCOPE IDENTITY". */
static void key_shown(const struct token_cache *c, const char *key, char *buf, size_t size)
{
	const char *p = key + strlen(TOKEN_KEY_PREFIX) + strlen(c->ns) + 1;
	const char *end = strstr(p, " #");
	size_t n = end ? (size_t)(end - p) : strlen(p);

	if (is_failure_key(key) && !end)
		n -= strlen(FAIL_SUFFIX);
	snprintf(buf, size, "%.*s", (int)n, p);
}


static int doctor_tokens(struct token_cache *c, const struct keys *k, int fresh_percent,
			 struct ck_error *err)
{
	struct token t = TOKEN_INIT;
	char shown[TOKEN_KEY_MAX], minted[40], expires[40];
	time_t now = time(NULL);
	size_t i;
	int ret = 0;

	for (i = 0; i < k->nr; i++) {
		if ((ret = record_read(c, k->key[i], &t, err)) < 0)
			break;
		ret = 0;
		if (!t.expires)
			continue;	/* not a record of ours */
		key_shown(c, k->key[i], shown, sizeof(shown));
		token_utc(t.minted, minted, sizeof(minted));
		token_utc(t.expires, expires, sizeof(expires));
		printf("  %s\n    hosts: %s\n    minted %s, expires %s: %s\n", shown,
			t.hosts[0] ? t.hosts : "(none yet)", minted, expires,
			token_fresh(&t, fresh_percent, now) ? "fresh" :
			token_usable(&t, now) ? "usable (refreshed at the next get)" :
			"expired (the next get mints anew)");
	}
	token_release(&t);
	return ret;
}

static void doctor_failures(struct token_cache *c, const struct keys *k)
{
	struct cred entry = CRED_INIT;
	struct ck_error e = CK_ERROR_INIT;
	char shown[TOKEN_KEY_MAX], text[400];
	long long until, at = 0, now = realtime_ms();
	const char *nl;
	size_t i;
	int kind;

	for (i = 0; i < k->nr; i++) {
		cred_release(&entry);
		if (keyctl_backend.get(c->ring, k->key[i], &entry, &e) || !entry.secret.buf ||
		    strcmp(entry.username, FAIL_USER) ||
		    !(nl = memchr(entry.secret.buf, '\n', entry.secret.len)) ||
		    sscanf(entry.secret.buf, "%lld %d", &until, &kind) != 2 ||
		    until <= now)
			continue;
		/* When it failed: the first line's third number, if it has one. */
		at = 0;
		if (memchr(entry.secret.buf, ' ', (size_t)(nl - entry.secret.buf)) !=
		    memrchr(entry.secret.buf, ' ', (size_t)(nl - entry.secret.buf)))
			at = strtoll(memrchr(entry.secret.buf, ' ',
					     (size_t)(nl - entry.secret.buf)), NULL, 10);
		key_shown(c, k->key[i], shown, sizeof(shown));
		ck_printable(text, sizeof(text), nl + 1,
			     entry.secret.len - (size_t)(nl + 1 - entry.secret.buf));
		if (at > 0)
			printf("  failed %lld ms ago, answered for %lld ms more: %s\n"
				"    %s\n", now - at, until - now, shown, text);
		else
			printf("  failed, answered for %lld ms more: %s\n    %s\n",
				until - now, shown, text);
	}
	cred_release(&entry);
}

int token_cache_doctor(struct token_cache *c, int fresh_percent, struct ck_error *err)
{
	struct keys k = { NULL }, failed = { NULL };
	int ret;

	printf("\ncached tokens (namespace %s): ", c->ns);
	if (c->kind == TOKEN_CACHE_NONE) {
		printf("none kept (%s)\n", c->why);
		return 0;
	}
	if (c->kind == TOKEN_CACHE_KEYRING)
		printf("in the kernel keyring %s\n", TOKEN_RING);
	else
		printf("in the %s store\n", c->store);
	if ((ret = keys_find(c, &k, err)) == 0) {
		if (!k.nr)
			printf("  none\n");
		ret = doctor_tokens(c, &k, fresh_percent, err);
	}
	failed.ns = c->ns;
	failed.failures = 1;
	if (!ret && c->kind == TOKEN_CACHE_KEYRING &&
	    keyctl_backend.list(c->ring, collect_key, &failed, err) == 0 && failed.nr) {
		printf("remembered failures (answered without asking again):\n");
		doctor_failures(c, &failed);
	}
	keys_release(&failed);
	keys_release(&k);
	return ret;
}
