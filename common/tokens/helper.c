/* SPDX-License-Identifier: MIT */
/*
 * helper.c - the two programs of every token helper: the front that
 * answers from the cache, and the minting program it runs on a miss (see
 * tokens/helper.h).  Both are protocol backends for credkit_main().
 *
 * The front links this file without any mint(): only the minting program
 * hands one in, so nothing here pulls libcurl or libcrypto into a front.
 * Nor does the minting program reach the front's code (front_get(),
 * run_minter(), ...): no function of its own calls one, so the linker's
 * --gc-sections (the Makefile's) leaves each program its own half.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "tokens/helper.h"

/* The helper this program is, and its mint() in the minting program. */
static const struct token_helper *helper;
static token_mint_fn mint_fn;
static token_online_fn online_fn;
/*
 * The kubelet mode: the request being answered (NULL: the docker protocol),
 * its text as read (what the minting program is handed on its stdin), and
 * the expiry of the token answered (0: none known, a helper's own source),
 * the second our cache stops answering it (token_usable_until()) and its
 * refresh point.
 */
static const struct kubelet_request *kube;
static const struct secret *kube_text;
static time_t answered_expires, answered_until, answered_fresh;

/* The front runs doctor: its count of entries must not exec the minter. */
static int front_doctor;
/* The front hands doctor to the minting program with --online. */
static int doctor_online;

struct run {
	struct config cfg;
	struct token_cache cache;
	int minter;		/* this is the minting program, not the front */
	int lock;		/* handed over by the front, or -1 */
	long deadline;		/* handed over too (ck_now_ms()), or 0 */
	int asked;		/* the front asked direct(TOKEN_BEFORE) already */
};

/* One get's view of its server: what find() said, and the helper's own. */
struct ask {
	struct token_target target;
	void *own;
};

static void ask_release(struct ask *a)
{
	free(a->own);
	a->own = NULL;
}

/* Note t, answered for a, for the kubelet's cacheDuration. */
static void note_answered(const struct ask *a, const struct token *t)
{
	answered_expires = t->expires;
	answered_until = token_usable_until(t);
	answered_fresh = t->minted + (t->expires - t->minted) * a->target.fresh_percent / 100;
}

/*
 * Run the helper's find() on server: 1 with a filled, 0 not ours, -1 with
 * err.  The test knob TOKEN_FAIL_CACHE_ENV wins over what it said.
 */
static int ask_find(struct run *r, const char *server, struct ask *a,
		    struct ck_error *err)
{
	const char *fail = config_env(TOKEN_FAIL_CACHE_ENV);
	int found;

	memset(&a->target, 0, sizeof(a->target));
	a->own = calloc(1, helper->own_size ? helper->own_size : 1);
	if (!a->own)
		return ck_error(err, CK_FAILED, "out of memory");
	found = helper->find(server, &r->cfg, &a->target, a->own, err);
	if (found <= 0) {
		ask_release(a);
		return found;
	}
	if (!a->target.host[0] || !a->target.key[0]) {
		ask_release(a);
		return ck_error(err, CK_FAILED, "%s found %s but named no host or cache key "
				"for it", helper->name, server);
	}
	if (kube && helper->kubelet && helper->kubelet(kube, &a->target, a->own, err)) {
		ask_release(a);
		return -1;
	}
	if (a->target.timeout_ms <= 0)
		a->target.timeout_ms = TOKEN_TIMEOUT_MS;
	if (a->target.fresh_percent <= 0 || a->target.fresh_percent > 100)
		a->target.fresh_percent = TOKEN_FRESH_PERCENT;
	if (fail)
		a->target.fail_cache_ms = strtol(fail, NULL, 10) > 0 ? strtol(fail, NULL, 10) : 0;
	return 1;
}

/* Take a number handed over in variable name, and drop the variable. */
static long take_handed(const char *name, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long n = 0;

	if (v) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || n < min || n > max)
			n = 0;
		unsetenv(name);	/* for us, not for our children */
	}
	return n;
}

static void *run_open(int minter, struct ck_error *err)
{
	struct run *r = calloc(1, sizeof(*r));
	long fd;

	if (!r)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	r->lock = -1;
	r->minter = minter;
	if (minter) {
		fd = take_handed(TOKEN_LOCK_FD_ENV, 3, 1023);
		/* Ours to close, and no child of ours gets it. */
		if (fd && fcntl((int)fd, F_SETFD, FD_CLOEXEC) == 0)
			r->lock = (int)fd;
		r->deadline = take_handed(TOKEN_DEADLINE_ENV, 1, LONG_MAX);
		r->asked = take_handed(TOKEN_ASKED_ENV, 1, 1) == 1;
	}
	if (config_load(&r->cfg, err)) {
		free(r);
		return NULL;
	}
	token_cache_open(&r->cache, helper->ns, !minter);
	return r;
}

static void *front_open(struct ck_error *err)
{
	return run_open(0, err);
}

static void *mint_open(struct ck_error *err)
{
	return run_open(1, err);
}

static void run_close(void *self)
{
	struct run *r = self;

	if (r->lock >= 0)
		close(r->lock);
	token_cache_close(&r->cache);
	config_release(&r->cfg);
	free(r);
}

/*
 * A login: the helper's, if it keeps logins (its store()), else accepted
 * and ignored, so that docker login never fails: tokens are minted, not
 * typed in.  A kept login wins from now on: the host's cached tokens go.
 */
static int run_store(void *self, const struct cred *c, struct ck_error *err)
{
	struct run *r = self;
	struct ask a;
	int ret;

	if (!helper->store)
		return 0;
	ret = ask_find(r, c->server, &a, err);
	if (ret <= 0)
		return ret ? -1 : ck_error(err, CK_BAD_INPUT, "%s is not a registry of "
					   "docker-credential-%s: it keeps no login for it",
					   c->server, helper->name);
	ret = helper->store(c, &a.target, a.own, err);
	if (!ret && r->cache.kind != TOKEN_CACHE_NONE)
		ret = token_cache_drop(&r->cache, &a.target, err);
	ask_release(&a);
	return ret;
}

void token_say(const char *fmt, ...)
{
	va_list ap;

	/* helper is set by the mains; a unit test may call a hook without. */
	fprintf(stderr, "docker-credential-%s: ", helper ? helper->name : "credkit");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Whether two records hold one token (the same mint). */
static int same_token(const struct token *a, const struct token *b)
{
	return a->minted == b->minted && a->expires == b->expires &&
	       a->secret.len == b->secret.len &&
	       !memcmp(a->secret.buf, b->secret.buf, a->secret.len);
}

/*
 * Note a's host in the cached record of t, when it does not name it yet,
 * so that list shows it and erase finds it.  Under the lock (held, or had
 * at once: a busy one only delays the note), on the record as it is then,
 * so that a host another process noted, a refresh or an erase is never
 * undone.
 */
static void note_host(struct run *r, struct ask *a, const struct token *t, int have_lock)
{
	struct ck_error why = CK_ERROR_INIT;
	struct token now = TOKEN_INIT;
	int lock = -1;

	if (r->cache.kind == TOKEN_CACHE_NONE || token_has_host(t, a->target.host))
		return;
	if (!have_lock && (lock = token_lock(helper->ns, &a->target, 0, &why)) < 0)
		return;
	if (token_cache_get(&r->cache, &a->target, &now, &why) > 0 && same_token(&now, t) &&
	    token_cache_put(&r->cache, &a->target, &now, &why))
		token_say("cannot note %s in the cached token: %s", a->target.host, why.msg);
	token_release(&now);
	if (lock >= 0)
		close(lock);
}

/* Answer t, a cached token, for a's host. */
static int answer(struct run *r, struct ask *a, const struct token *t, int have_lock,
		  struct cred *out, struct ck_error *err)
{
	note_host(r, a, t, have_lock);
	note_answered(a, t);
	return token_answer(t, out, err);
}

/* Answer old, still usable, because a refresh failed for why. */
static int answer_old(struct run *r, struct ask *a, const struct token *old,
		      int have_lock, const struct ck_error *why, struct cred *out,
		      struct ck_error *err)
{
	char when[64];

	token_utc(old->expires, when, sizeof(when));
	/* Not found: the mint said why on stderr (gh's line), not in why. */
	token_say("cannot refresh the token for %s (%s); using the cached one, valid until %s",
	    a->target.host, why->kind == CK_NOT_FOUND ? "no token came" : why->msg, when);
	ck_error_clear(err);
	return answer(r, a, old, have_lock, out, err);
}

/* Whether err says no credential was found (the not-found text follows). */
static int no_credential(const struct ck_error *err)
{
	return err->kind == CK_NOT_FOUND || err->kind == CK_NO_CREDENTIALS;
}

/* The helper's own credentials in phase: 1 answered, 0 go on, -1 with err. */
static int ask_direct(enum token_phase phase, const struct ask *a, struct cred *out,
		      struct ck_error *err)
{
	if (!helper->direct)
		return 0;
	return helper->direct(phase, &a->target, a->own, out, err);
}

/*
 * After a mint (or a remembered one) that found no credential: the
 * helper's sources after it, else the not-found text.  ret and err as the
 * mint left them; returns what the get returns.
 */
static int after_mint(const struct ask *a, int ret, struct cred *out, struct ck_error *err)
{
	struct ck_error why = CK_ERROR_INIT;
	int found;

	if (!ret || !no_credential(err) || !helper->direct)
		return ret;
	found = ask_direct(TOKEN_AFTER, a, out, &why);
	if (found > 0) {
		ck_error_clear(err);
		return 0;
	}
	if (found < 0 && why.kind != CK_NOT_FOUND)
		*err = why;
	else
		ck_error(err, CK_NOT_FOUND, NULL);
	return -1;
}

/* --- the front ------------------------------------------------------------ */

/*
 * Where the minting program is: the helper's override variable, else
 * ../libexec/credkit/docker-credential-NAME-mint beside this program (bin/
 * and libexec/ of one prefix, installed or in the build tree).
 */
static int minter_path(char *buf, size_t size, struct ck_error *err)
{
	const char *set = getenv(helper->minter_env);
	char self[PATH_MAX];
	ssize_t n;

	if (set && *set) {
		if (snprintf(buf, size, "%s", set) >= (int)size)
			return ck_error(err, CK_BAD_INPUT, "%s is too long", helper->minter_env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return ck_error(err, CK_FAILED, "cannot find this program's path: %s",
				strerror(errno));
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	if (snprintf(buf, size, "%s/../libexec/credkit/docker-credential-%s-mint", self,
		     helper->name) >= (int)size)
		return ck_error(err, CK_FAILED, "this program's path is too long");
	return 0;
}

/*
 * Replace this process with the minting program running verb, server (or
 * NULL) on its stdin, lock_fd (or -1) and the get's deadline (or 0: none)
 * handed over.  Returns only on failure, -1 with err.
 */
static int run_minter(const char *verb, const char *server, int lock_fd, long deadline,
		      int asked, struct ck_error *err)
{
	char path[PATH_MAX + 64], name[64], fd_text[16], ms_text[24];
	char *argv[] = { name, (char *)verb, NULL, NULL };
	const char *input = server;
	size_t len = server ? strlen(server) : 0;
	int p[2];

	if (minter_path(path, sizeof(path), err))
		return -1;
	snprintf(name, sizeof(name), "docker-credential-%s-mint", helper->name);
	if (!strcmp(verb, "doctor") && doctor_online)
		argv[2] = "--online";
	/* A kubelet's get: the minting program reads the request itself. */
	if (kube && !strcmp(verb, "get")) {
		argv[1] = "get-credentials";
		input = kube_text->buf;
		len = kube_text->len;
	}
	/*
	 * A server is at most REGISTRY_INPUT_MAX bytes, which the pipe holds;
	 * a kubelet's request may be more: the pipe is made to hold it.
	 */
	if (pipe(p))
		return ck_error(err, CK_FAILED, "cannot make a pipe: %s", strerror(errno));
	if (len > 65536 && fcntl(p[1], F_SETPIPE_SZ, (int)len) < (int)len) {
		close(p[0]);
		close(p[1]);
		return ck_error(err, CK_BAD_INPUT, "the request (%zu bytes) is too long to hand "
				"to the minting program", len);
	}
	if ((len && write(p[1], input, len) != (ssize_t)len) || close(p[1]) ||
	    dup2(p[0], STDIN_FILENO) < 0) {
		close(p[0]);
		return ck_error(err, CK_FAILED, "cannot pass the server on: %s",
				strerror(errno));
	}
	close(p[0]);
	if (lock_fd >= 0) {
		snprintf(fd_text, sizeof(fd_text), "%d", lock_fd);
		if (fcntl(lock_fd, F_SETFD, 0) || setenv(TOKEN_LOCK_FD_ENV, fd_text, 1))
			return ck_error(err, CK_FAILED, "cannot hand the lock over: %s",
					strerror(errno));
	}
	if (deadline > 0) {
		snprintf(ms_text, sizeof(ms_text), "%ld", deadline);
		if (setenv(TOKEN_DEADLINE_ENV, ms_text, 1))
			return ck_error(err, CK_FAILED, "cannot hand the deadline over: %s",
					strerror(errno));
	}
	if (asked && setenv(TOKEN_ASKED_ENV, "1", 1))
		return ck_error(err, CK_FAILED, "out of memory");
	fflush(stdout);
	execv(path, argv);
	return ck_error(err, CK_FAILED, "cannot run %s: %s (is credkit's %s installed whole? "
			"%s names another place)", path, strerror(errno), helper->name,
			helper->minter_env);
}

static int remembered(struct run *r, const struct ask *a, struct ck_error *err)
{
	return token_cache_get_failure(&r->cache, &a->target, err);
}

static int front_get(void *self, const char *server, struct cred *out,
		     struct ck_error *err)
{
	struct run *r = self;
	struct ask a;
	struct token t = TOKEN_INIT;
	struct ck_error failed = CK_ERROR_INIT;
	long deadline = ck_now_ms();
	int found, lock = -1, ret = -1;
	time_t now = time(NULL);

	found = ask_find(r, server, &a, err);
	if (found <= 0)
		return found ? -1 : ck_error(err, CK_NOT_FOUND, NULL);
	/* One budget from here to the answer: lock wait, credentials, mint. */
	deadline += a.target.timeout_ms;
	if ((found = ask_direct(TOKEN_BEFORE, &a, out, err))) {
		ret = found > 0 ? 0 : -1;
		goto out;
	}
	if (r->cache.kind != TOKEN_CACHE_KEYRING) {
		ret = run_minter("get", server, -1, deadline, 1, err);
		goto out;
	}
	found = token_cache_get(&r->cache, &a.target, &t, err);
	if (found > 0 && token_fresh(&t, a.target.fresh_percent, now)) {
		ret = answer(r, &a, &t, 0, out, err);
		goto out;
	}
	if (found > 0 && token_usable(&t, now)) {
		/* Past its fresh point: refresh, unless it just failed or another is at it. */
		if (remembered(r, &a, &failed)) {
			ret = answer_old(r, &a, &t, 0, &failed, out, err);
			goto out;
		}
		lock = token_lock(helper->ns, &a.target, 0, err);
		if (lock == -2 || lock == -1) {
			ck_error_clear(err);
			ret = answer(r, &a, &t, 0, out, err);
			goto out;
		}
	} else {
		if (remembered(r, &a, err)) {
			ret = after_mint(&a, -1, out, err);
			goto out;
		}
		lock = token_lock(helper->ns, &a.target, ck_ms_left(deadline), err);
		if (lock == -2)
			goto out;
		if (lock >= 0 && token_cache_get(&r->cache, &a.target, &t, err) > 0 &&
		    token_fresh(&t, a.target.fresh_percent, time(NULL))) {
			/* Whoever held the lock minted it for us. */
			ret = answer(r, &a, &t, 1, out, err);
			goto out;
		}
		if (lock >= 0 && remembered(r, &a, err)) {
			/* Or failed, and we take its answer. */
			ret = after_mint(&a, -1, out, err);
			goto out;
		}
	}
	/* No lock to be had (-3, or -1 past the usable token): the minter mints
	 * without one, saying so. */
	ck_error_clear(err);
	token_release(&t);
	ret = run_minter("get", server, lock, deadline, 1, err);
out:
	if (lock >= 0)
		close(lock);
	token_release(&t);
	ask_release(&a);
	return ret;
}

/* erase and list where this program knows the cache: the minting program. */
static int run_erase(void *self, const char *server, struct ck_error *err)
{
	struct run *r = self;
	struct ask a;
	int ret = ask_find(r, server, &a, err);

	if (ret <= 0)
		return ret;
	ret = token_cache_drop(&r->cache, &a.target, err);
	if (!ret && helper->erase)
		ret = helper->erase(&a.target, a.own, err);
	ask_release(&a);
	return ret;
}

static int run_list(void *self, backend_each_fn each, void *data, struct ck_error *err)
{
	struct run *r = self;

	if (helper->list && helper->list(&r->cfg, each, data, err))
		return -1;
	return token_cache_list(&r->cache, each, data, err);
}

/*
 * The front's erase and list: its own where the kernel keyring is the
 * cache, else the minting program's, which knows the other caches.
 */
static int front_erase(void *self, const char *server, struct ck_error *err)
{
	struct run *r = self;
	struct ask a;
	int ret;

	if (r->cache.kind == TOKEN_CACHE_KEYRING)
		return run_erase(self, server, err);
	ret = ask_find(r, server, &a, err);
	if (ret <= 0)
		return ret;
	ask_release(&a);
	return run_minter("erase", server, -1, 0, 0, err);
}

static int front_list(void *self, backend_each_fn each, void *data, struct ck_error *err)
{
	struct run *r = self;

	if (r->cache.kind != TOKEN_CACHE_KEYRING && !front_doctor)
		return run_minter("list", NULL, -1, 0, 0, err);
	return run_list(self, each, data, err);
}

static const struct backend front_backend = {
	.name = "token",
	.open = front_open,
	.close = run_close,
	.store = run_store,
	.get = front_get,
	.erase = front_erase,
	.list = front_list,
};

static int run_doctor(void *self, int online, struct ck_error *err)
{
	struct run *r = self;
	int ret;

	if (!r)
		return ck_error(err, CK_FAILED, "the settings cannot be read");
	ret = token_cache_doctor(&r->cache, TOKEN_FRESH_PERCENT, err);
	if (!ret && helper->doctor)
		ret = helper->doctor(&r->cfg, online, err);
	if (online && online_fn && online_fn(&r->cfg, err))
		ret = -1;
	return ret;
}

/* configure without hosts: the helper's registries. */
static int run_hosts(void *self, backend_each_fn each, void *data, struct ck_error *err)
{
	struct run *r = self;

	return helper->hosts(&r->cfg, each, data, err);
}

/* --- the kubelet's mode -------------------------------------------------- */

/* The get of the front or of the minting program (a backend's get). */
typedef int (*run_get_fn)(void *self, const char *server, struct cred *out,
			  struct ck_error *err);

/*
 * How long the kubelet may keep an answer: a share of the token's life
 * left, and never past the point where our own cache stops answering it.
 */
static long long cache_seconds(void)
{
	time_t now = time(NULL), until = answered_until;
	int percent = helper->kubelet_cache_percent > 0 ? helper->kubelet_cache_percent
							: TOKEN_FRESH_PERCENT;
	long long share;

	if (!answered_expires)
		return KUBELET_CACHE_DEFAULT;	/* a source of the helper's own */
	if (percent == 100 && answered_fresh < until)
		until = answered_fresh;
	if (until <= now)
		return 0;
	share = (long long)(answered_expires - now) * percent / 100;
	return share < until - now ? share : until - now;
}

/*
 * get-credentials: one request on stdin, one response on stdout, through
 * get: the front's (minter 0) or the minting program's, handed in so that
 * neither program links the other's.  Errors: one line on stderr, exit 1,
 * nothing on stdout.
 */
static int kubelet_main(int minter, run_get_fn get)
{
	struct secret text = SECRET_INIT, response = SECRET_INIT;
	struct kubelet_request req = KUBELET_REQUEST_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct cred c = CRED_INIT;
	struct kubelet_answer answer_;
	struct run *r = NULL;
	int ret = -1;

	secure_init();
	json_set_alloc_funcs(malloc, secure_free);
	if (kubelet_read(STDIN_FILENO, &text, &err) ||
	    kubelet_parse_request(text.buf, text.len, &req, &err))
		goto out;
	kube = &req;
	kube_text = &text;
	if (!(r = run_open(minter, &err)))
		goto out;
	ret = get(r, req.registry, &c, &err);
	if (ret) {
		if (err.kind == CK_NOT_FOUND)	/* not ours, or no source had one */
			ck_error(&err, CK_FAILED, "no credentials for %s (image %.300s)",
				 req.registry, req.image);
		goto out;
	}
	answer_ = (struct kubelet_answer){
		.api = req.api,
		.registry = req.registry,
		.username = c.username,
		.password = &c.secret,
		.cache_seconds = cache_seconds(),
	};
	ret = kubelet_response(&answer_, &response, &err);
	if (!ret && (fwrite(response.buf, 1, response.len, stdout) != response.len ||
		     fflush(stdout) == EOF))
		ret = ck_error(&err, CK_FAILED, "cannot write the response: %s", strerror(errno));
out:
	if (ret)
		token_say("%s", err.msg[0] ? err.msg : "get-credentials failed");
	if (r)
		run_close(r);
	cred_release(&c);
	secret_release(&response);
	kubelet_request_release(&req);
	secret_release(&text);
	return ret ? 1 : 0;
}

int token_front_main(const struct token_helper *h, int argc, char **argv)
{
	const struct helper cli = {
		.name = h->name,
		.summary = h->summary,
		.backend = &front_backend,
		.notes = h->notes,
		.own_spellings = 1,
		.doctor = run_doctor,
		.hosts = h->hosts ? run_hosts : NULL,
	};
	struct ck_error err = CK_ERROR_INIT;

	/* Before all: GH_TOKEN or an AWS key may be in our environment, and
	 * doctor and the kubelet's mode run without credkit_main(). */
	credkit_hold_std();
	secure_init();
	helper = h;
	if (argc == 2 && !strcmp(argv[1], "get-credentials"))
		return kubelet_main(0, front_get);
	/*
	 * The checks that need the network are the minting program's, and
	 * all of doctor is where the helper's need its libraries.
	 */
	doctor_online = argc == 3 && !strcmp(argv[1], "doctor") && !strcmp(argv[2], "--online");
	if (doctor_online || (argc == 2 && !strcmp(argv[1], "doctor") && h->doctor_in_minter)) {
		run_minter("doctor", NULL, -1, 0, 0, &err);
		printf("%s\n", err.msg);
		return 1;
	}
	front_doctor = argc == 2 && !strcmp(argv[1], "doctor");
	return credkit_main(&cli, argc, argv);
}

/* --- the minting program --------------------------------------------------- */

/*
 * Check what mint() gave: times that make sense (minted now when it did
 * not say), and no newline where the record cannot hold one.  0, or -1
 * with err.
 */
static int minted_ok(const struct ask *a, struct token *t, struct ck_error *err)
{
	time_t now = time(NULL);

	if (!t->minted)
		t->minted = now;
	if (t->expires <= now || t->minted > now + 60)
		return ck_error(err, CK_FAILED, "the token minted for %s is already expired "
				"(it expires at %lld, the time is %lld)", a->target.host,
				(long long)t->expires, (long long)now);
	return 0;
}

static int mint_get(void *self, const char *server, struct cred *out,
		    struct ck_error *err)
{
	struct run *r = self;
	struct ask a;
	struct token old = TOKEN_INIT, t = TOKEN_INIT;
	struct ck_error why = CK_ERROR_INIT;
	long deadline;
	int found, ret = -1;

	found = ask_find(r, server, &a, err);
	if (found <= 0)
		return found ? -1 : ck_error(err, CK_NOT_FOUND, NULL);
	/* The front's deadline, never later than our own budget. */
	deadline = ck_now_ms() + a.target.timeout_ms;
	if (r->deadline > 0 && r->deadline < deadline)
		deadline = r->deadline;
	if (!r->asked && (found = ask_direct(TOKEN_BEFORE, &a, out, err))) {
		ret = found > 0 ? 0 : -1;
		goto out;
	}
	if (r->cache.kind == TOKEN_CACHE_NONE) {
		/* Nothing to share with other callers: no lock to wait for. */
		token_say("tokens are not cached: %s", r->cache.why);
	} else if (r->lock < 0) {
		r->lock = token_lock(helper->ns, &a.target, ck_ms_left(deadline), err);
		if (r->lock == -2) {
			/* Still minting elsewhere: a usable token, else the wait's error. */
			r->lock = -1;
			if (token_cache_get(&r->cache, &a.target, &old, &why) <= 0)
				goto out;
			if (token_fresh(&old, a.target.fresh_percent, time(NULL))) {
				ck_error_clear(err);
				ret = answer(r, &a, &old, 0, out, err);
			}
			else if (token_usable(&old, time(NULL)))
				ret = answer_old(r, &a, &old, 0, err, out, err);
			goto out;
		}
		if (r->lock < 0) {
			token_say("minting without a lock: %s", err->msg);
			ck_error_clear(err);
			r->lock = -1;
		}
	}
	if (token_cache_get(&r->cache, &a.target, &old, &why) > 0 &&
	    token_fresh(&old, a.target.fresh_percent, time(NULL))) {
		ret = answer(r, &a, &old, r->lock >= 0, out, err);	/* minted while we waited */
		goto out;
	}

	if (remembered(r, &a, err)) {
		/* Failed while we waited: that answer, not another call. */
	} else if (mint_fn(&a.target, a.own, deadline, &t, err) == 0 &&
		   minted_ok(&a, &t, err) == 0) {
		/* The hosts the old token answered for are the new one's too. */
		snprintf(t.hosts, sizeof(t.hosts), "%s", old.secret.buf ? old.hosts : "");
		if (r->cache.kind != TOKEN_CACHE_NONE &&
		    token_cache_put(&r->cache, &a.target, &t, &why))
			token_say("the token for %s is not cached: %s", a.target.host, why.msg);
		note_answered(&a, &t);
		ret = token_answer(&t, out, err);
	} else if (ck_now_ms() < deadline &&
		   token_cache_put_failure(&r->cache, &a.target, err, &why)) {
		/* A mint that ran out of time is this caller's, never remembered. */
		token_say("the failure for %s is not remembered: %s", a.target.host, why.msg);
	}
	if (ret && old.secret.buf && token_usable(&old, time(NULL)))
		ret = answer_old(r, &a, &old, r->lock >= 0, err, out, err);
	ret = after_mint(&a, ret, out, err);
out:
	token_release(&old);
	token_release(&t);
	ask_release(&a);
	return ret;
}

static const struct backend mint_backend = {
	.name = "token-mint",
	.open = mint_open,
	.close = run_close,
	.store = run_store,
	.get = mint_get,
	.erase = run_erase,
	.list = run_list,
};

int token_mint_main(const struct token_helper *h, token_mint_fn mint,
		    token_online_fn online, int argc, char **argv)
{
	char name[64];
	const struct helper cli = {
		.name = name,
		.summary = "Mints a token (run by its helper's front program).",
		.backend = &mint_backend,
		.own_spellings = 1,
		.doctor = run_doctor,
	};

	snprintf(name, sizeof(name), "%s-mint", h->name);
	helper = h;
	mint_fn = mint;
	online_fn = online;
	if (argc == 2 && !strcmp(argv[1], "get-credentials")) {
		credkit_hold_std();
		return kubelet_main(1, mint_get);
	}
	return credkit_serve(&cli, argc, argv);
}
