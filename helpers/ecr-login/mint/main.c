/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-ecr-login-mint: the half of docker-credential-ecr-login
 * that mints tokens (see ecr.h).  docker-credential-ecr-login runs it on a
 * cache miss, with the registry's lock held and handed over; run by hand,
 * it takes the lock itself.  It speaks the same protocol, and can be run
 * directly: `echo HOST | docker-credential-ecr-login-mint get` always asks
 * AWS unless a fresh token is cached.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/awscreds.h"
#include "aws/awsnet.h"
#include "aws/ecr.h"
#include "engine.h"

struct mint {
	struct config cfg;
	void *cache;		/* the kernel keyring, or NULL */
	const char *store;	/* else the store for passwords, or NULL: none */
	char why[512];		/* why there is no cache */
	int lock;		/* handed over by docker-credential-ecr-login, or -1 */
	long deadline;		/* handed over too (ecr_now_ms()), or 0 */
};

/* The kernel keyring, else the suite's store for tokens, else none. */
static void open_cache(struct mint *m)
{
	struct ck_error e = CK_ERROR_INIT;
	const char *set = config_env("CREDKIT_STORE");

	if (set && !strcmp(set, "none")) {
		snprintf(m->why, sizeof(m->why), "CREDKIT_STORE=none");
		return;
	}
	if ((m->cache = ecr_cache_open(&e)))
		return;
	snprintf(m->why, sizeof(m->why), "%s", e.msg);
	if (ecr_store_open(&m->store, &e) < 0)
		snprintf(m->why, sizeof(m->why), "%s", e.msg);
}

static int cache_get(struct mint *m, const char *key, struct ecr_token *t,
		     struct ck_error *err)
{
	if (m->cache)
		return ecr_cache_get(m->cache, key, t, err);
	return m->store ? ecr_store_get(m->store, key, t, err) : 0;
}

static int cache_put(struct mint *m, const char *key, const struct ecr_token *t,
		     struct ck_error *err)
{
	if (m->cache)
		return ecr_cache_put(m->cache, key, t, err);
	return m->store ? ecr_store_put(m->store, key, t, err) : 0;
}

static void *mint_open(struct ck_error *err)
{
	struct mint *m = calloc(1, sizeof(*m));
	const char *fd = getenv(ECR_LOCK_FD_ENV);
	char *end;
	long n;

	if (!m)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	m->lock = -1;
	if (fd) {
		n = strtol(fd, &end, 10);
		/* Ours to close, and no child of ours (credential_process) gets it. */
		if (!*end && n > 2 && n < 1024 && fcntl((int)n, F_SETFD, FD_CLOEXEC) == 0)
			m->lock = (int)n;
		unsetenv(ECR_LOCK_FD_ENV);
	}
	if ((fd = getenv(ECR_DEADLINE_ENV))) {
		n = strtol(fd, &end, 10);
		if (!*end && n > 0)
			m->deadline = n;
		unsetenv(ECR_DEADLINE_ENV);	/* not for credential_process */
	}
	if (config_load(&m->cfg, err)) {
		free(m);
		return NULL;
	}
	open_cache(m);
	return m;
}

static void mint_close(void *self)
{
	struct mint *m = self;

	if (m->lock >= 0)
		close(m->lock);
	ecr_cache_close(m->cache);
	config_release(&m->cfg);
	free(m);
}

/* AWS credentials for r, then a token. */
static int mint(const struct ecr_registry *r, long deadline, struct ecr_token *t,
		struct ck_error *err)
{
	struct aws_creds creds = AWS_CREDS_INIT;
	struct aws_chain chain = {
		.profile = r->profile[0] ? r->profile : NULL,
		.role_arn = r->role_arn[0] ? r->role_arn : NULL,
		.region = r->region,
		.deadline_ms = deadline,
		.ca_file = config_env("AWS_CA_BUNDLE"),
	};
	int ret = -1;

	if (aws_creds_resolve(&chain, &creds, err) == AWS_CREDS_FOUND)
		ret = ecr_get_token(r, &creds, deadline, t, err);
	aws_creds_release(&creds);
	return ret;
}

static int mint_get(void *self, const char *server, struct cred *out,
		    struct ck_error *err)
{
	struct mint *m = self;
	struct ecr_registry r;
	struct ecr_token old = ECR_TOKEN_INIT, t = ECR_TOKEN_INIT;
	struct ck_error why = CK_ERROR_INIT;
	char when[64];
	long deadline, left;
	int found, ret = -1;

	found = ecr_registry_find(server, &m->cfg, &r, err);
	if (found <= 0)
		return found ? -1 : ck_error(err, CK_NOT_FOUND, NULL);
	/* The first program's deadline, never later than our own budget. */
	deadline = ecr_now_ms() + r.timeout_ms;
	if (m->deadline > 0 && m->deadline < deadline)
		deadline = m->deadline;
	aws_creds_deadline(deadline);
	left = deadline - ecr_now_ms();
	if (m->lock < 0 &&
	    (m->lock = ecr_lock(r.key, left > 0 ? left : 1, err)) == -3) {
		fprintf(stderr, "docker-credential-ecr-login: minting without a lock: %s\n",
			err->msg);
		ck_error_clear(err);
	} else if (m->lock < 0) {
		m->lock = -1;
		return -1;
	}
	if (!m->cache && !m->store)
		fprintf(stderr, "docker-credential-ecr-login: tokens are not cached: %s\n",
			m->why);
	else if (cache_get(m, r.key, &old, &why) > 0 &&
		 ecr_token_fresh(&old, time(NULL))) {
		ret = ecr_token_answer(&old, out, err);	/* minted while we waited */
		goto out;
	}

	if (m->cache &&
	    ecr_cache_get_failure(m->cache, r.key, r.fail_cache_ms, err, &why) > 0) {
		/* Failed while we waited: that answer, not another call. */
	} else if (mint(&r, deadline, &t, err) == 0) {
		if (cache_put(m, r.key, &t, &why))
			fprintf(stderr, "docker-credential-ecr-login: the token for %s is not "
				"cached: %s\n", r.host, why.msg);
		ret = ecr_token_answer(&t, out, err);
	} else if (m->cache &&
		   ecr_cache_put_failure(m->cache, r.key, err, r.fail_cache_ms, &why)) {
		fprintf(stderr, "docker-credential-ecr-login: the failure for %s is not "
			"remembered: %s\n", r.host, why.msg);
	}
	if (ret && old.password.buf && ecr_token_usable(&old, time(NULL))) {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&old.expires));
		fprintf(stderr, "docker-credential-ecr-login: cannot refresh the token for "
			"%s (%s); using the cached one, valid until %s\n", r.host, err->msg,
			when);
		ck_error_clear(err);
		ret = ecr_token_answer(&old, out, err);
	}
out:
	ecr_token_release(&old);
	ecr_token_release(&t);
	return ret;
}

/* Only get mints; the rest is the first program's. */
static int mint_store(void *self, const struct cred *c, struct ck_error *err)
{
	(void)self;
	(void)c;
	(void)err;
	return 0;
}

static int mint_erase(void *self, const char *server, struct ck_error *err)
{
	struct mint *m = self;
	struct ecr_registry r;
	int found = ecr_registry_find(server, &m->cfg, &r, err);

	if (found <= 0)
		return found;
	if (m->cache)
		return ecr_cache_drop(m->cache, r.host, err);
	return m->store ? ecr_store_drop(m->store, r.host, err) : 0;
}

static int mint_list(void *self, backend_each_fn each, void *data,
		     struct ck_error *err)
{
	struct mint *m = self;

	if (m->cache)
		return ecr_cache_list(m->cache, each, data, err);
	return m->store ? ecr_store_list(m->store, each, data, err) : 0;
}

static const struct backend mint_backend = {
	.name = "ecr-login-mint",
	.open = mint_open,
	.close = mint_close,
	.store = mint_store,
	.get = mint_get,
	.erase = mint_erase,
	.list = mint_list,
};

static const struct helper ecr_login_mint = {
	.name = "ecr-login-mint",
	.summary = "Mints an Amazon ECR token (run by docker-credential-ecr-login).",
	.backend = &mint_backend,
};

int main(int argc, char **argv)
{
	return credkit_main(&ecr_login_mint, argc, argv);
}
