/* SPDX-License-Identifier: MIT */
/*
 * ghhelper.c - docker-credential-ghcr on the token core: the sources asked
 * before and after gh's cached token, the logins docker login keeps in the
 * store for passwords, and doctor (see github/ghcr.h, tokens/helper.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "github/ghcr.h"
#include "stores/client.h"
#include "stores/store.h"

#define WHERE_MAX	4400

/* Where gh comes in h's order (h->nr when it does not). */
static size_t gh_index(const struct ghcr_host *h)
{
	size_t i;

	for (i = 0; i < h->nr && h->order[i] != GHCR_GH; i++)
		;
	return i;
}

/*
 * Before the cache: the sources before gh, in order (with gh_cache_seconds
 * 0, gh too, and those after it: nothing is cached).  After a gh that had
 * no token: the sources after gh.  A source that fails says so on stderr
 * and the next is asked.
 */
static int direct(enum token_phase phase, const struct token_target *target,
		  const void *own, struct cred *out, struct ck_error *err)
{
	const struct ghcr_host *h = own;
	struct ck_error why = CK_ERROR_INIT;
	char where[WHERE_MAX];
	size_t i = phase == TOKEN_BEFORE ? 0 : gh_index(h) + 1;
	int found;

	(void)target;
	for (; i < h->nr; i++) {
		if (h->order[i] == GHCR_GH && phase == TOKEN_BEFORE && h->gh_cache_seconds)
			return 0;	/* the token core's: cache, single flight, minter */
		found = ghcr_source_get(h, h->order[i], ck_now_ms() + h->gh_timeout_ms, out,
					where, sizeof(where), &why);
		if (found > 0) {
			if (ghcr_token_warning(out->secret.buf))
				token_say("the token of %s for %s is %s", where, h->host,
					 ghcr_token_warning(out->secret.buf));
			return 1;
		}
		if (found < 0)
			token_say("%s", why.msg);
		ck_error_clear(&why);
		cred_release(out);
	}
	return ck_error(err, CK_NOT_FOUND, NULL);
}

/* The store for passwords, by name: 1, 0 when there is none, or -1 with err. */
static int password_store(const char **name, struct ck_error *err)
{
	struct store_choice choice;

	if (store_choose(&choice, err))
		return -1;
	*name = store_name(choice.kind);
	return choice.kind != STORE_NONE;
}

/* docker login: the login goes to the store for passwords, as it was given. */
/*
 * Whether another source gives c's password now (docker login stores what
 * its get answered): where it comes from, in where, or "" when none does.
 * Kept, such a copy would win over that source and go stale when it turns.
 */
static void given_elsewhere(const struct ghcr_host *h, const struct cred *c, char *where,
			    size_t size)
{
	struct ck_error why = CK_ERROR_INIT;
	struct cred got = CRED_INIT;
	size_t i;
	int same;

	/*
	 * The host's variables and token file (gh is not run for a login: it
	 * is slow, and its token is cached apart): a source the host does not
	 * ask cannot answer instead.
	 */
	for (i = 0; i < h->nr; i++) {
		if (h->order[i] != GHCR_ENV && h->order[i] != GHCR_FILE)
			continue;
		same = ghcr_source_get(h, h->order[i], ck_now_ms() + h->gh_timeout_ms, &got,
				       where, size, &why) > 0 &&
		       got.secret.len == c->secret.len &&
		       !memcmp(got.secret.buf, c->secret.buf, c->secret.len);
		cred_release(&got);
		ck_error_clear(&why);
		if (same)
			return;
	}
	where[0] = '\0';
}

static int store(const struct cred *c, const struct token_target *target, const void *own,
		 struct ck_error *err)
{
	char where[WHERE_MAX];
	const char *name;
	int ret = password_store(&name, err);

	if (ret <= 0)
		return ret ? -1 : ck_error(err, CK_UNAVAILABLE, "no store for passwords to keep "
					   "the login for %s in (CREDKIT_STORE=none, or none "
					   "usable: see docker-credential-ghcr doctor)", target->host);
	if (ghcr_token_warning(c->secret.buf))
		token_say("the password given for %s is %s", target->host,
			 ghcr_token_warning(c->secret.buf));
	given_elsewhere(own, c, where, sizeof(where));
	if (where[0]) {
		token_say("the login for %s is not kept: it is the token %s gives, which "
			 "answers without it", target->host, where);
		return 0;
	}
	return store_client_store(name, c, err);
}

/* docker logout: the store's helper drops every spelling of the host. */
static int erase(const struct token_target *target, const void *own, struct ck_error *err)
{
	const char *name;
	int ret = password_store(&name, err);

	(void)own;
	return ret <= 0 ? ret : store_client_erase(name, target->host, err);
}

struct listing {
	const struct config *cfg;
	backend_each_fn each;
	void *data;
};

/* The store's entries that are ghcr's hosts. */
static int list_one(const char *server, const char *username, void *data,
		    struct ck_error *err)
{
	struct listing *l = data;
	struct ghcr_host h;
	int ours = ghcr_host_find(server, l->cfg, &h, NULL, err);

	if (ours < 0)
		return -1;
	return ours ? l->each(server, username, l->data, err) : 0;
}

static int list(const struct config *cfg, backend_each_fn each, void *data,
		struct ck_error *err)
{
	struct listing l = { cfg, each, data };
	const char *name;
	int ret = password_store(&name, err);

	return ret <= 0 ? ret : store_client_list(name, list_one, &l, err);
}

/*
 * A kubelet's get: the host's kubelet_sources instead of its sources
 * (what the request says of the pod does not change a GitHub token).
 */
static int kubelet(const struct kubelet_request *req, struct token_target *target,
		   void *own, struct ck_error *err)
{
	(void)req;
	return ghcr_host_kubelet(own, target, err);
}

static const char *kind_name(enum ghcr_kind k)
{
	return k == GHCR_DOTCOM ? "github.com" : k == GHCR_GHE_COM ? "GHE.com" :
	       "GitHub Enterprise Server";
}

/* One host for doctor: each source of its order, what it has, which answers. */
static int doctor_host(const struct ghcr_host *h, void *data, struct ck_error *err)
{
	struct ck_error why = CK_ERROR_INIT;
	struct cred c = CRED_INIT;
	char where[WHERE_MAX], answers[WHERE_MAX + 256] = "";
	size_t i;
	int found;

	(void)data, (void)err;
	printf("\n%s: GitHub host %s (%s), API %s\n", h->host, h->github, kind_name(h->kind),
	       h->api);
	printf("  sources in order:");
	for (i = 0; i < h->nr; i++)
		printf(" %s", ghcr_source_name(h->order[i]));
	printf("%s\n", h->nr ? "" : " none");
	printf("  a kubelet's get (get-credentials) asks:");
	for (i = 0; i < h->kubelet_nr; i++)
		printf(" %s", ghcr_source_name(h->kubelet_order[i]));
	printf("%s\n", h->kubelet_nr ? "" : " none");
	for (i = 0; i < h->nr; i++) {
		found = ghcr_source_get(h, h->order[i], 0, &c, where, sizeof(where), &why);
		printf("  %-5s  ", ghcr_source_name(h->order[i]));
		if (found > 0) {
			printf("a %s token of %zu bytes, from %s, username %s\n",
			       *ghcr_token_kind(c.secret.buf) ? ghcr_token_kind(c.secret.buf)
			       : "token of no known kind:", c.secret.len, where, c.username);
			if (ghcr_token_warning(c.secret.buf))
				printf("         warning: it is %s\n", ghcr_token_warning(c.secret.buf));
			if (!answers[0])
				snprintf(answers, sizeof(answers), "%s (%s)",
					 ghcr_source_name(h->order[i]), where);
		} else if (found == 0) {
			printf("nothing: %s\n", where);
		} else {
			printf("failed: %s\n", why.msg);
		}
		if (h->order[i] == GHCR_GH)
			printf("         gh's answer is cached for %ld s (gh_cache_seconds)\n",
			       h->gh_cache_seconds);
		ck_error_clear(&why);
		cred_release(&c);
	}
	if (answers[0])
		printf("  a get answers from %s\n", answers);
	else
		printf("  a get answers \"not found\": docker goes on anonymously "
		       "(public images only)\n");
	return 0;
}

static int doctor(const struct config *cfg, int online, struct ck_error *err)
{
	(void)online;
	return ghcr_hosts_each(cfg, doctor_host, NULL, err);
}

static int find(const char *server, const struct config *cfg, struct token_target *t,
		void *own, struct ck_error *err)
{
	return ghcr_host_find(server, cfg, own, t, err);
}

struct each_host {
	backend_each_fn each;
	void *data;
};

static int host_each(const struct ghcr_host *h, void *data, struct ck_error *err)
{
	struct each_host *e = data;

	return e->each(h->host, NULL, e->data, err);
}

/* configure without hosts: ghcr.io and the settings' hosts. */
static int hosts(const struct config *cfg, backend_each_fn each, void *data,
		 struct ck_error *err)
{
	struct each_host e = { each, data };

	return ghcr_hosts_each(cfg, host_each, &e, err);
}

const struct token_helper ghcr_tokens = {
	.name = "ghcr",
	.ns = GHCR_NS,
	.minter_env = "CREDKIT_GHCR_MINT",
	.summary = "GitHub Container Registry credentials from what you already have: "
		   "docker login, GH_TOKEN, a token file or gh.",
	.notes = "get answers from the first source of the host's order that has a token:\n"
		 "store (a docker login kept in the store for passwords), env (GH_TOKEN,\n"
		 "GITHUB_TOKEN; GH_ENTERPRISE_TOKEN, GITHUB_ENTERPRISE_TOKEN for Enterprise\n"
		 "Server), file (the settings' token_file) and gh (gh auth token, cached for\n"
		 "a short time); none: not found.  store keeps a login in the store for\n"
		 "passwords; erase drops it and gh's cached token; list shows both.\n"
		 "get-credentials (a kubelet's image credential provider) asks the\n"
		 "settings' kubelet_sources instead, by default store, env and file.\n",
	.own_size = sizeof(struct ghcr_host),
	.find = find,
	.direct = direct,
	.store = store,
	.erase = erase,
	.list = list,
	.doctor = doctor,
	.hosts = hosts,
	/* gh's answer: the kubelet keeps it as long as our cache would. */
	.kubelet_cache_percent = 100,
	.kubelet = kubelet,
};
