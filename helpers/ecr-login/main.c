/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-ecr-login: Amazon ECR tokens, minted on demand from the
 * AWS credential chain and cached in the kernel keyring.
 *
 * This program is the cheap half (see ecr.h): it answers from the cache,
 * and runs the minting program only when the cache has no token fresh
 * enough, holding the registry's lock so that many callers at once mint
 * one token.  It never loads libcurl or libcrypto.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/ecr.h"
#include "engine.h"

#define MINT_NAME	"docker-credential-ecr-login-mint"

struct front {
	struct config cfg;
	void *cache;		/* NULL: no kernel keyring, the minter decides */
};

static void *front_open(struct ck_error *err)
{
	struct front *f = calloc(1, sizeof(*f));

	if (!f)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	if (config_load(&f->cfg, err)) {
		free(f);
		return NULL;
	}
	/* "none" keeps nothing; elsewhere the minter knows the other stores. */
	if (!config_env("CREDKIT_STORE") || strcmp(config_env("CREDKIT_STORE"), "none"))
		f->cache = ecr_cache_open(NULL);
	return f;
}

static void front_close(void *self)
{
	struct front *f = self;

	ecr_cache_close(f->cache);
	config_release(&f->cfg);
	free(f);
}

/*
 * Where the minting program is: $CREDKIT_ECR_MINT, else
 * ../libexec/credkit/ beside this program (bin/ and libexec/ of one
 * prefix, installed or in the build tree).
 */
static int mint_path(char *buf, size_t size, struct ck_error *err)
{
	const char *set = getenv("CREDKIT_ECR_MINT");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (set && *set) {
		if (snprintf(buf, size, "%s", set) >= (int)size)
			return ck_error(err, CK_BAD_INPUT, "CREDKIT_ECR_MINT is too long");
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return ck_error(err, CK_FAILED, "cannot find this program's path: %s",
				strerror(errno));
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	if (snprintf(buf, size, "%s/../libexec/credkit/%s", self, MINT_NAME) >= (int)size)
		return ck_error(err, CK_FAILED, "this program's path is too long");
	return 0;
}

/*
 * Replace this process with the minting program running verb, server (or
 * NULL) on its stdin, lock_fd (or -1) and the get's deadline (ecr_now_ms()
 * milliseconds, or 0: none) handed over.  Returns only on failure, -1
 * with err.
 */
static int run_minter(const char *verb, const char *server, int lock_fd,
		      long deadline, struct ck_error *err)
{
	char path[PATH_MAX + 64], fd_text[16], ms_text[24];
	char *argv[] = { MINT_NAME, (char *)verb, NULL };
	size_t len = server ? strlen(server) : 0;
	int p[2];

	if (mint_path(path, sizeof(path), err))
		return -1;
	/* A server is at most REGISTRY_INPUT_MAX bytes: the pipe holds it. */
	if (pipe(p))
		return ck_error(err, CK_FAILED, "cannot make a pipe: %s", strerror(errno));
	if ((len && write(p[1], server, len) != (ssize_t)len) || close(p[1]) ||
	    dup2(p[0], STDIN_FILENO) < 0) {
		close(p[0]);
		return ck_error(err, CK_FAILED, "cannot pass the server on: %s",
				strerror(errno));
	}
	close(p[0]);
	if (lock_fd >= 0) {
		snprintf(fd_text, sizeof(fd_text), "%d", lock_fd);
		if (fcntl(lock_fd, F_SETFD, 0) || setenv(ECR_LOCK_FD_ENV, fd_text, 1))
			return ck_error(err, CK_FAILED, "cannot hand the lock over: %s",
					strerror(errno));
	}
	if (deadline > 0) {
		snprintf(ms_text, sizeof(ms_text), "%ld", deadline);
		if (setenv(ECR_DEADLINE_ENV, ms_text, 1))
			return ck_error(err, CK_FAILED, "cannot hand the deadline over: %s",
					strerror(errno));
	}
	fflush(stdout);
	execv(path, argv);
	return ck_error(err, CK_FAILED,
			"cannot run %s: %s (is credkit's ecr-login installed whole? "
			"CREDKIT_ECR_MINT names another place)", path, strerror(errno));
}

/* What is left of the budget that ends at deadline, at least 1 ms. */
static long ms_left(long deadline)
{
	long left = deadline - ecr_now_ms();

	return left > 0 ? left : 1;
}

/* Whether a failed mint for r is remembered: 1 with err set to its error. */
static int remembered(struct front *f, const struct ecr_registry *r,
		      struct ck_error *err)
{
	struct ck_error ignored = CK_ERROR_INIT;

	return ecr_cache_get_failure(f->cache, r->key, r->fail_cache_ms, err,
				     &ignored) > 0;
}

static int front_get(void *self, const char *server, struct cred *out,
		     struct ck_error *err)
{
	struct front *f = self;
	struct ecr_registry r;
	struct ecr_token t = ECR_TOKEN_INIT;
	long deadline = ecr_now_ms();
	int found, lock = -1, ret = -1;

	found = ecr_registry_find(server, &f->cfg, &r, err);
	if (found <= 0)
		return found ? -1 : ck_error(err, CK_NOT_FOUND, NULL);
	/* One budget from here to the answer: lock wait, credentials, mint. */
	deadline += r.timeout_ms;
	if (!f->cache)
		return run_minter("get", server, -1, deadline, err);

	found = ecr_cache_get(f->cache, r.key, &t, err);
	if (found > 0 && ecr_token_fresh(&t, time(NULL))) {
		ret = ecr_token_answer(&t, out, err);
		goto out;
	}
	if (found > 0 && ecr_token_usable(&t, time(NULL))) {
		/* Past half its life: refresh, unless another process is at it. */
		lock = remembered(f, &r, err) ? -2 : ecr_lock(r.key, 0, err);
		if (lock == -3)
			ck_error_clear(err);	/* the minter mints without, saying so */
		if (lock == -2) {
			ck_error_clear(err);
			ret = ecr_token_answer(&t, out, err);
			goto out;
		}
	} else {
		if (remembered(f, &r, err))
			goto out;
		lock = ecr_lock(r.key, ms_left(deadline), err);
		if (lock == -3)
			ck_error_clear(err);	/* the minter mints without, saying so */
		else if (lock < 0)
			goto out;
		/* Whoever held the lock may have minted it for us, or failed. */
		else if (ecr_cache_get(f->cache, r.key, &t, err) > 0 &&
		    ecr_token_fresh(&t, time(NULL))) {
			ret = ecr_token_answer(&t, out, err);
			goto out;
		}
		if (remembered(f, &r, err))
			goto out;
	}
	ecr_token_release(&t);
	ret = run_minter("get", server, lock, deadline, err);
out:
	if (lock >= 0)
		close(lock);
	ecr_token_release(&t);
	return ret;
}

/* docker login must not fail: the token is minted, never stored. */
static int front_store(void *self, const struct cred *c, struct ck_error *err)
{
	(void)self;
	(void)c;
	(void)err;
	return 0;
}

static int front_erase(void *self, const char *server, struct ck_error *err)
{
	struct front *f = self;
	struct ecr_registry r;
	int found = ecr_registry_find(server, &f->cfg, &r, err);

	if (found <= 0)
		return found;
	if (!f->cache)
		return run_minter("erase", server, -1, 0, err);
	return ecr_cache_drop(f->cache, r.host, err);
}

static int front_list(void *self, backend_each_fn each, void *data,
		      struct ck_error *err)
{
	struct front *f = self;

	if (!f->cache)
		return run_minter("list", NULL, -1, 0, err);
	return ecr_cache_list(f->cache, each, data, err);
}

static const struct backend ecr_backend = {
	.name = "ecr-login",
	.open = front_open,
	.close = front_close,
	.store = front_store,
	.get = front_get,
	.erase = front_erase,
	.list = front_list,
};

static const struct helper ecr_login = {
	.name = "ecr-login",
	.summary = "Mints Amazon ECR tokens from your AWS credentials and caches "
		   "them in the kernel keyring.",
	.backend = &ecr_backend,
	.notes = "get mints a token from your AWS credentials (environment, web identity,\n"
		 "AWS_PROFILE, container or instance credentials) and caches it in the\n"
		 "kernel keyring; store is accepted and ignored (tokens are minted, never\n"
		 "typed in); erase drops the cached token; list shows cached registries.\n",
};

int main(int argc, char **argv)
{
	return credkit_main(&ecr_login, argc, argv);
}
