/* SPDX-License-Identifier: MIT */
/*
 * ecrstore.c - the token cache in the store for passwords, where the
 * kernel keyring cannot be used (see ecr.h).
 *
 * The store's own helper program does the work, over the protocol every
 * helper speaks, so the minting program links neither sd-bus nor gpg
 * plumbing.  Its entries are ordinary ones whose server string is the
 * cache key ("HOST IDENTITY #DIGEST"): no registry address has a space, so
 * they never answer for a registry, and they are told apart in a listing.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "child.h"
#include "aws/ecr.h"
#include "stores/store.h"

#define HELPER_TIMEOUT_MS	5000
#define HELPER_OUTPUT_MAX	(1024 * 1024)

int ecr_store_open(const char **name, struct ck_error *err)
{
	struct store_choice c;

	if (store_choose_tokens(&c, err))
		return -1;
	if (c.kind != STORE_SECRETSERVICE && c.kind != STORE_PASS)
		return 0;
	*name = store_name(c.kind);
	return 1;
}

/*
 * Run the store's helper with verb, input[len] on its stdin; its stdout in
 * c->output.  Returns 0 when it exited 0, 1 when it said "not found", or
 * -1 with err.
 */
static int run(const char *name, const char *verb, const char *input, size_t len,
	       struct child *c, struct ck_error *err)
{
	char path[4096];
	char *argv[] = { path, (char *)verb, NULL };

	store_helper_path(name, path, sizeof(path));
	c->argv = argv;
	c->input = input;
	c->input_len = len;
	c->want_output = 1;
	c->output_max = HELPER_OUTPUT_MAX;
	c->quiet = 1;
	c->timeout_ms = HELPER_TIMEOUT_MS;
	if (child_run(c, err))
		return -1;
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0)
		return 0;
	if (c->output.buf && strstr(c->output.buf, "credentials not found"))
		return 1;
	/* Its stdout is its error message, and holds no secret. */
	return ck_error(err, CK_UNAVAILABLE, "the token cache in %s failed: %.300s",
			name, c->output.buf && *c->output.buf ? c->output.buf : c->diag);
}

int ecr_store_get(const char *name, const char *key, struct ecr_token *t,
		  struct ck_error *err)
{
	struct child c = CHILD_INIT;
	struct cred entry = CRED_INIT;
	json_t *doc = NULL;
	const char *user, *secret;
	int ret;

	ecr_token_release(t);
	ret = run(name, "get", key, strlen(key), &c, err);
	if (ret)
		goto out;
	doc = json_loadb(c.output.buf, c.output.len, 0, NULL);
	user = json_string_value(json_object_get(doc, "Username"));
	secret = json_string_value(json_object_get(doc, "Secret"));
	entry.username = (char *)user;
	ret = 0;
	if (user && secret && secret_set(&entry.secret, secret, strlen(secret)) == 0 &&
	    ecr_entry_read(&entry, t) == 0)
		ret = 1;
	secret_release(&entry.secret);
out:
	json_decref(doc);
	child_release(&c);
	return ret < 0 ? -1 : ret == 1;
}

int ecr_store_put(const char *name, const char *key, const struct ecr_token *t,
		  struct ck_error *err)
{
	struct child c = CHILD_INIT;
	struct secret s = SECRET_INIT;
	json_t *doc;
	char *text = NULL;
	int ret = -1;

	if (ecr_entry_secret(t, &s))
		return ck_error(err, CK_FAILED, "out of memory");
	doc = json_pack("{s:s, s:s, s:s%}", "ServerURL", key, "Username", t->username,
			"Secret", s.buf, s.len);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text)
		ck_error(err, CK_FAILED, "cannot encode the token as JSON");
	else if (run(name, "store", text, strlen(text), &c, err) == 0)
		ret = 0;
	else if (err->kind == CK_OK)
		ck_error(err, CK_FAILED, "%s did not keep the token", name);
	if (text)
		secure_free(text);
	json_decref(doc);
	secret_release(&s);
	child_release(&c);
	return ret;
}

/* Every cache key in the store's listing, with its host matching host
 * (NULL: any); calls each(key) or, with hosts, each("https://HOST"). */
struct walk {
	const char *host;
	int urls;
	backend_each_fn each;
	void *data;
};

static int walk(const char *name, struct walk *w, struct ck_error *err)
{
	struct child c = CHILD_INIT;
	json_t *doc = NULL, *v;
	const char *key;
	char url[ECR_HOST_MAX + 16];
	size_t n;
	int ret;

	ret = run(name, "list", NULL, 0, &c, err);
	if (ret)
		goto out;
	doc = json_loadb(c.output.buf, c.output.len, 0, NULL);
	json_object_foreach(doc, key, v) {
		n = ecr_key_host_len(key);
		if (!n || !strchr(key, '#') ||
		    (w->host && (strlen(w->host) != n || strncmp(key, w->host, n))))
			continue;
		snprintf(url, sizeof(url), "https://%.*s", (int)n, key);
		if ((ret = w->each(w->urls ? url : key, "AWS", w->data, err)))
			break;
	}
out:
	json_decref(doc);
	child_release(&c);
	return ret < 0 ? -1 : 0;
}

static int erase_one(const char *key, const char *username, void *data,
		     struct ck_error *err)
{
	struct child c = CHILD_INIT;
	int ret;

	(void)username;
	ret = run(data, "erase", key, strlen(key), &c, err);
	child_release(&c);
	return ret < 0 ? -1 : 0;
}

int ecr_store_drop(const char *name, const char *host, struct ck_error *err)
{
	struct walk w = { host, 0, erase_one, (void *)name };

	return walk(name, &w, err);
}

int ecr_store_list(const char *name, backend_each_fn each, void *data,
		   struct ck_error *err)
{
	struct walk w = { NULL, 1, each, data };

	return walk(name, &w, err);
}
