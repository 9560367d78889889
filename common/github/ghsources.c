/* SPDX-License-Identifier: MIT */
/*
 * ghsources.c - where docker-credential-ghcr finds a token: the store for
 * passwords, gh's variables, a token file and gh itself (see
 * github/ghcr.h).  Every token read here is held in a struct secret and
 * never printed: errors say where they looked and what was wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "clock.h"
#include "github/ghcr.h"
#include "stores/client.h"
#include "stores/store.h"

const char *ghcr_token_kind(const char *token)
{
	static const char *const kinds[] = { "github_pat_", "ghp_", "gho_", "ghs_", "ghu_" };
	size_t i;

	for (i = 0; token && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(token, kinds[i], strlen(kinds[i])))
			return kinds[i];
	return "";
}

const char *ghcr_token_warning(const char *token)
{
	if (strcmp(ghcr_token_kind(token), "github_pat_"))
		return NULL;
	return "a fine-grained personal access token (github_pat_), which GitHub's container "
	       "registry refuses: docker login succeeds but a pull or push may be denied "
	       "(github/roadmap#558); use a classic token with read:packages (or "
	       "write:packages), or gh with `gh auth refresh -s read:packages`";
}

const char *ghcr_username(void)
{
	const char *actor = config_env("GITHUB_ACTOR");

	return actor ? actor : "x-access-token";
}

/* Whether s[len] may be a token: 1..GHCR_TOKEN_MAX bytes, no space, no control. */
static int token_like(const char *s, size_t len)
{
	size_t i;

	if (!len || len > GHCR_TOKEN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

/* The length of s[len] without its final line breaks. */
static size_t unbroken_len(const char *s, size_t len)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return len;
}

size_t ghcr_token_take(const char *text, size_t len)
{
	len = unbroken_len(text, len);
	return token_like(text, len) ? len : 0;
}

/* Fill out with username and token[len]: 0, or -1 with err. */
static int answer(struct cred *out, const char *username, const char *token, size_t len,
		  struct ck_error *err)
{
	free(out->username);
	if (!(out->username = strdup(username)) || secret_set(&out->secret, token, len))
		return ck_error(err, CK_FAILED, "out of memory");
	return 1;
}

static int from_store(const struct ghcr_host *h, struct cred *out, char *where, size_t size,
		      struct ck_error *err)
{
	struct store_choice choice;
	struct ck_error why = CK_ERROR_INIT;
	const char *name;

	if (store_choose(&choice, err))
		return -1;
	if (choice.kind == STORE_NONE) {
		snprintf(where, size, "no store for passwords (%s)", choice.why);
		return 0;
	}
	name = store_name(choice.kind);
	if (store_client_get(name, h->host, out, &why)) {
		if (why.kind == CK_NOT_FOUND) {
			snprintf(where, size, "no login for %s in %s (%s)", h->host, name,
				 choice.why);
			return 0;
		}
		return ck_error(err, why.kind, "cannot read the login for %s from %s: %s",
				h->host, name, why.msg);
	}
	if (!token_like(out->secret.buf, out->secret.len)) {
		cred_release(out);
		return ck_error(err, CK_BAD_INPUT, "the login for %s in %s is not a token "
				"(empty, too long, or holding spaces)", h->host, name);
	}
	snprintf(where, size, "the login kept in %s", name);
	return 1;
}

static int from_env(const struct ghcr_host *h, struct cred *out, char *where, size_t size,
		    struct ck_error *err)
{
	const char *const *names = ghcr_env_names(h);
	const char *v;
	int i;

	for (i = 0; i < 2; i++) {
		if (!(v = config_env(names[i])))
			continue;
		if (!token_like(v, strlen(v)))
			return ck_error(err, CK_BAD_INPUT, "%s is not a token (more than %d bytes, "
					"or holding spaces or control characters)", names[i],
					GHCR_TOKEN_MAX);
		snprintf(where, size, "%s", names[i]);
		return answer(out, ghcr_username(), v, strlen(v), err);
	}
	snprintf(where, size, "%s and %s are not set", names[0], names[1]);
	return 0;
}

/* The token file's path, "~/" taken as $HOME's. */
static int file_path(const char *set, char *buf, size_t size, struct ck_error *err)
{
	const char *home = config_env("HOME");

	if (!strncmp(set, "~/", 2) && !home)
		return ck_error(err, CK_BAD_INPUT, "the token file %s starts with ~/ but HOME "
				"is not set", set);
	if (snprintf(buf, size, "%s%s", !strncmp(set, "~/", 2) ? home : "",
		     set + (!strncmp(set, "~/", 2) ? 1 : 0)) >= (int)size)
		return ck_error(err, CK_BAD_INPUT, "the token file's path is too long");
	return 0;
}

/*
 * A token file rewritten in place (truncated, then written) holds nothing,
 * or part of the new token, for a moment: one that changed less than
 * FILE_SETTLE_MS ago is read again once it has held still that long, and
 * an empty one that changed less than FILE_WAIT_MS ago (`gh auth token >
 * file` truncates it first, then runs gh) until it holds something;
 * FILE_WAIT_MS at most in all.  A file replaced whole (a rename, as a
 * Kubernetes secret is) is read whole from the one open.
 */
#define FILE_SETTLE_MS		200
#define FILE_WAIT_MS		1000

/* How long ago st was last changed, in ms; -1 when it is in the future. */
static long changed_ms_ago(const struct stat *st)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_REALTIME, &now);
	ms = (long long)(now.tv_sec - st->st_ctim.tv_sec) * 1000 +
	     (now.tv_nsec - st->st_ctim.tv_nsec) / 1000000;
	return ms < 0 ? -1 : ms > LONG_MAX ? LONG_MAX : (long)ms;
}

/* Whether a and b are one state of one file. */
static int same_state(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Read fd from its start into buf (max bytes): 0 with *len, or -1 with errno. */
static int read_all(int fd, struct secret *buf, size_t max, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < max && (n = pread(fd, buf->buf + *len, max - *len, (off_t)*len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		*len += (size_t)n;
	}
	return 0;
}

/*
 * Read fd's file whole while it holds still (see FILE_SETTLE_MS): 0 with
 * buf and *len, or -1 with err.
 */
static int read_still(int fd, const char *path, struct secret *buf, size_t *len,
		      struct ck_error *err)
{
	long deadline = ck_now_ms() + FILE_WAIT_MS, ago, settle;
	struct stat before, after;
	int still;

	for (;;) {
		if (fstat(fd, &before) || read_all(fd, buf, GHCR_TOKEN_MAX + 2, len) ||
		    fstat(fd, &after))
			return ck_error(err, CK_UNAVAILABLE, "cannot read the token file %s: %s",
					path, strerror(errno));
		still = same_state(&before, &after) &&
			(*len >= GHCR_TOKEN_MAX + 2 || (off_t)*len == after.st_size);
		/* Nothing but line breaks: as good as empty. */
		settle = unbroken_len(buf->buf, *len) ? FILE_SETTLE_MS : FILE_WAIT_MS;
		ago = changed_ms_ago(&after);
		if (still && (ago < 0 || ago >= settle))
			return 0;
		if (ck_now_ms() >= deadline) {
			if (still && settle == FILE_WAIT_MS)
				return 0;	/* empty: the caller says it holds no token */
			return ck_error(err, CK_UNAVAILABLE, "the token file %s kept changing for "
					"%d ms: not read (is something rewriting it in place? replace "
					"it whole, by a rename)", path, FILE_WAIT_MS);
		}
		/* Until it has held still long enough; an empty one is looked at again soon. */
		ago = still && ago >= 0 && settle == FILE_SETTLE_MS ? settle - ago : 20;
		ck_sleep_usec((uint64_t)(ago > 20 ? ago : 20) * 1000);
	}
}

/*
 * Read the token file: a regular file nobody but its owner may read, of
 * at most GHCR_TOKEN_MAX bytes and a final line break, read whole as it
 * holds still (read_still()).  1 with out filled, or -1 with err.
 */
static int from_file(const struct ghcr_host *h, struct cred *out, char *where, size_t size,
		     struct ck_error *err)
{
	struct secret buf = SECRET_INIT;
	char path[4096];
	struct stat st;
	size_t len = 0;
	int fd = -1, ret = -1;

	if (!h->token_file[0]) {
		snprintf(where, size, "no \"token_file\" in the settings");
		return 0;
	}
	if (file_path(h->token_file, path, sizeof(path), err))
		return -1;
	/* Not blocking on a FIFO: it is refused below. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 ||
	    fstat(fd, &st)) {
		ck_error(err, CK_UNAVAILABLE, "cannot read the token file %s: %s", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ck_error(err, CK_BAD_INPUT, "the token file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		ck_error(err, CK_BAD_INPUT, "the token file %s may be read by its group or by "
			 "others (mode %04o): it is not used until only its owner may read it "
			 "(chmod 600 %s; a Kubernetes secret's defaultMode 0400)", path,
			 (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (secret_alloc(&buf, GHCR_TOKEN_MAX + 2)) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	if (read_still(fd, path, &buf, &len, err))
		goto out;
	if (!(len = ghcr_token_take(buf.buf, len))) {
		ck_error(err, CK_BAD_INPUT, "the token file %s holds no token (it must hold one "
			 "line of at most %d bytes, with no spaces)", path, GHCR_TOKEN_MAX);
		goto out;
	}
	snprintf(where, size, "%s", path);
	ret = answer(out, ghcr_username(), buf.buf, len, err);
out:
	if (fd >= 0)
		close(fd);
	secret_release(&buf);
	return ret;
}

int ghcr_gh_failed(const char *github, int status, const char *diag, size_t diag_len,
		   struct ck_error *err)
{
	const char *nl = memchr(diag, '\n', diag_len);
	size_t len = nl ? (size_t)(nl - diag) : diag_len;
	char said[320], hint[640];

	ck_printable(said, sizeof(said), diag, len > 300 ? 300 : len);
	if (!said[0])
		snprintf(said, sizeof(said), "it gave no reason");
	hint[0] = '\0';
	if (memmem(diag, diag_len, "no oauth token", strlen("no oauth token")))
		snprintf(hint, sizeof(hint), " (log in with `gh auth login --hostname %s`, "
			 "then `gh auth refresh --hostname %s -s read:packages`)", github, github);
	return ck_error(err, CK_UNAVAILABLE, "`gh auth token --hostname %s` failed (%s %d): %s%s",
			github, WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), said, hint);
}

static int from_gh(const struct ghcr_host *h, long deadline, struct cred *out,
		   char *where, size_t size, struct ck_error *err)
{
	char *argv[] = { (char *)h->gh, "auth", "token", "--hostname", (char *)h->github, NULL };
	struct child c = CHILD_INIT;
	long left = deadline > 0 ? ck_ms_left(deadline) : h->gh_timeout_ms;
	size_t len;
	int ret = -1;

	if (!h->gh[0])
		return ck_error(err, CK_UNAVAILABLE, "gh is not installed (no gh on PATH)");
	/* gh may tell of a new version on stderr: not for a helper. */
	setenv("GH_NO_UPDATE_NOTIFIER", "1", 0);
	c.argv = argv;
	/* gh runs without GH_TOKEN and its kin (child.c): the env source's. */
	c.want_output = 1;
	c.output_max = GHCR_TOKEN_MAX + 2;
	c.quiet = 1;	/* its stderr is kept for our message, never shown whole */
	c.timeout_ms = (int)(left < h->gh_timeout_ms ? left : h->gh_timeout_ms);
	if (child_run(&c, err)) {
		if (err->kind == CK_LOCKED)
			ck_error(err, CK_UNAVAILABLE, "`gh auth token --hostname %s` did not "
				 "answer within %d ms", h->github, c.timeout_ms);
		goto out;
	}
	if (!WIFEXITED(c.status) || WEXITSTATUS(c.status)) {
		ghcr_gh_failed(h->github, c.status, c.diag, c.diag_len, err);
		goto out;
	}
	if (!(len = ghcr_token_take(c.output.buf, c.output.len))) {
		ck_error(err, CK_FAILED, "`gh auth token --hostname %s` printed no token",
			 h->github);
		goto out;
	}
	snprintf(where, size, "`%s auth token --hostname %s`", h->gh, h->github);
	ret = answer(out, ghcr_username(), c.output.buf, len, err);
out:
	child_release(&c);
	return ret;
}

int ghcr_source_get(const struct ghcr_host *h, enum ghcr_source s, long deadline,
		    struct cred *out, char *where, size_t size, struct ck_error *err)
{
	where[0] = '\0';
	switch (s) {
	case GHCR_STORE:
		return from_store(h, out, where, size, err);
	case GHCR_ENV:
		return from_env(h, out, where, size, err);
	case GHCR_FILE:
		return from_file(h, out, where, size, err);
	case GHCR_GH:
		return from_gh(h, deadline, out, where, size, err);
	default:
		return ck_error(err, CK_FAILED, "no such source");
	}
}

int ghcr_mint(const struct token_target *target, const void *own, long deadline,
	      struct token *t, struct ck_error *err)
{
	const struct ghcr_host *h = own;
	struct cred c = CRED_INIT;
	char where[4400];
	time_t now = time(NULL);
	int ret = -1;

	(void)target;
	if (ghcr_source_get(h, GHCR_GH, deadline, &c, where, sizeof(where), err) <= 0) {
		/* One line, then on to the sources after gh (or its cached token). */
		token_say("%s", err->msg);
		ck_error(err, CK_NOT_FOUND, NULL);
		goto out;
	}
	if (ghcr_token_warning(c.secret.buf))
		token_say("the token of %s for %s is %s", where, h->host,
			  ghcr_token_warning(c.secret.buf));
	snprintf(t->username, sizeof(t->username), "%s", c.username);
	t->secret = c.secret;
	c.secret = (struct secret)SECRET_INIT;
	t->minted = now;
	t->expires = now + ghcr_record_life(h->gh_cache_seconds);
	ret = 0;
out:
	cred_release(&c);
	return ret;
}
