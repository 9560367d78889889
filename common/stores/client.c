/* SPDX-License-Identifier: MIT */
/*
 * client.c - another credkit store's helper program, asked over the
 * protocol every helper speaks (see stores/client.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "child.h"
#include "stores/client.h"
#include "stores/store.h"

#define CLIENT_TIMEOUT_MS	5000
#define CLIENT_OUTPUT_MAX	(1024 * 1024)

/*
 * Run docker-credential-STORE with verb, input[len] on its stdin, its
 * stdout in ch->output.  Returns 0 when it exited 0, 1 when it said "not
 * found", or -1 with err.
 */
static int run(const char *store, const char *verb, const char *input, size_t len,
	       struct child *ch, struct ck_error *err)
{
	char path[4096];
	char *argv[] = { path, (char *)verb, NULL };

	store_helper_path(store, path, sizeof(path));
	ch->argv = argv;
	ch->input = input;
	ch->input_len = len;
	ch->want_output = 1;
	ch->output_max = CLIENT_OUTPUT_MAX;
	ch->quiet = 1;
	ch->timeout_ms = CLIENT_TIMEOUT_MS;
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
		return ck_error(err, CK_UNAVAILABLE, "%s failed: %.300s",
				path, ch->diag[0] ? ch->diag : "no reason given");
	return ck_error(err, CK_UNAVAILABLE, "%s failed: %.300s",
			path, ch->output.buf && *ch->output.buf ? ch->output.buf : ch->diag);
}

int store_client_get(const char *store, const char *server, struct cred *out,
		     struct ck_error *err)
{
	struct child ch = CHILD_INIT;
	json_t *doc = NULL;
	const char *user, *secret;
	int ret;

	ret = run(store, "get", server, strlen(server), &ch, err);
	if (ret)
		goto out;
	doc = json_loadb(ch.output.buf, ch.output.len, 0, NULL);
	user = json_string_value(json_object_get(doc, "Username"));
	secret = json_string_value(json_object_get(doc, "Secret"));
	ret = 1;	/* not an answer of the protocol: none */
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

int store_client_store(const char *store, const struct cred *entry, struct ck_error *err)
{
	struct child ch = CHILD_INIT;
	json_t *doc;
	char *text = NULL;
	int ret = -1;

	doc = json_pack("{s:s, s:s, s:s%}", "ServerURL", entry->server, "Username",
			entry->username, "Secret", entry->secret.buf, entry->secret.len);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text)
		ck_error(err, CK_FAILED, "cannot encode the entry as JSON");
	else if (run(store, "store", text, strlen(text), &ch, err) == 0)
		ret = 0;
	else if (err->kind == CK_OK)
		ck_error(err, CK_FAILED, "docker-credential-%s did not keep the entry", store);
	if (text)
		secure_free(text);
	json_decref(doc);
	child_release(&ch);
	return ret;
}

int store_client_erase(const char *store, const char *server, struct ck_error *err)
{
	struct child ch = CHILD_INIT;
	int ret = run(store, "erase", server, strlen(server), &ch, err);

	child_release(&ch);
	return ret < 0 ? -1 : 0;
}

int store_client_list(const char *store, backend_each_fn each, void *data,
		      struct ck_error *err)
{
	struct child ch = CHILD_INIT;
	json_t *doc = NULL, *v;
	const char *server;
	int ret;

	ret = run(store, "list", NULL, 0, &ch, err);
	if (ret)
		goto out;
	doc = json_loadb(ch.output.buf, ch.output.len, 0, NULL);
	json_object_foreach(doc, server, v)
		if ((ret = each(server, json_string_value(v) ? json_string_value(v) : "", data,
				err)))
			break;
out:
	json_decref(doc);
	child_release(&ch);
	return ret < 0 ? -1 : 0;
}
