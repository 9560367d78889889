/* SPDX-License-Identifier: MIT */
/*
 * pass.c - the pass backend: credentials as gpg-encrypted files in the
 * password store of pass(1), the standard unix password manager.
 *
 * Entries keep the layout of Debian's Go docker-credential-pass (0.6.4), so
 * either helper reads what the other stored:
 *
 *   $PASSWORD_STORE_DIR/docker-credential-helpers/<B>/<username>.gpg
 *
 * where the store is $PASSWORD_STORE_DIR, else ~/.password-store, <B> is
 * the server URL in base64url with its '=' padding (Go's URLEncoding), and
 * the file holds the secret exactly, encrypted by pass to the store's
 * .gpg-id.  The Go helper 0.6.4 neither writes nor needs the
 * docker-pass-initialized-check entry of its 0.6.0 ancestor; a file of that
 * name in the folder is not a directory, so both helpers pass over it.
 *
 * What it promises:
 *  - secrets go to pass on a pipe (pass insert --multiline --force) and
 *    come back on a pipe (pass show), never on argv or in the environment,
 *    and every buffer that held one is wiped;
 *  - list reads directory names only: it never runs pass or gpg;
 *  - store replaces: after the new entry is written, the other usernames'
 *    entries for the same server are removed;
 *  - get, store and erase hold the store's one lock, a flock on the store
 *    directory itself whatever the environment, so that parallel helpers
 *    never show several pinentry prompts at once nor undo each other's
 *    store; waiting for it is bounded by PASS_LOCK_SEC, and not fair:
 *    waiters are not served in order, so in a long pile-up a few give up;
 *  - every run of pass is bounded by PASS_RUN_SEC, after which its process
 *    group is killed; its exit status is checked, its stderr (gpg's words)
 *    is copied to our stderr, and its stdout never reaches ours;
 *  - like the Go helper, get drops the line breaks that end a secret, so
 *    that entries written by hand with pass insert or pass edit work.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "b64url.h"
#include "child.h"
#include "clock.h"
#include "stores/pass.h"

#define PASS_FOLDER	"docker-credential-helpers"

/* A pinentry prompt gets this long before pass and gpg are killed. */
#define PASS_RUN_SEC	30
/* Longer than one prompt, so that a queued get outlives the one before. */
#define PASS_LOCK_SEC	40
/* The most pass show may print; store takes at most 1 MiB of input. */
#define PASS_SHOW_MAX	(2 * 1024 * 1024)
/* Longest file name (NAME_MAX) that the store's file system takes. */
#define PASS_NAME_MAX	255

#define INIT_HINT \
	"run 'pass init <gpg-id>' with the id of your gpg key " \
	"(see 'gpg --list-secret-keys'; make one with 'gpg --quick-gen-key')"

struct pass {
	char *store;	/* the password store directory, owned */
	char *folder;	/* store/PASS_FOLDER, owned */
	int lock_fd;	/* holds the lock when >= 0 */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A new string from a printf format, or NULL with err (out of memory). */
static char *fmt(struct ck_error *err, const char *f, ...)
	__attribute__((format(printf, 2, 3)));

static char *fmt(struct ck_error *err, const char *f, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	if (n < 0)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	return s;
}

/* --- names in the store -------------------------------------------------- */

/* Replace each byte of s found in from by the byte at the same place in to. */
static void swap_bytes(char *s, const char *from, const char *to)
{
	const char *f;

	for (; *s; s++)
		if ((f = strchr(from, *s)))
			*s = to[f - from];
}

/*
 * The folder name of a server: base64url with padding, as Go's
 * base64.URLEncoding writes it ("a": "YQ==").  len is at most PASS_NAME_MAX
 * (see server_folder).  Returns a new string, or NULL (ENOMEM).
 */
static char *encode_server(const char *s, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);

	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	swap_bytes(out, "+/", "-_");
	return out;
}

/*
 * Whether s[0..len) is text the protocol can carry: valid UTF-8 without
 * control characters (which the engine refuses on store anyway).
 */
static int is_text(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return ck_utf8_valid(s, len);
}

/*
 * The server URL a folder name stands for: a new string, or NULL when the
 * name is not what encode_server() would write for some text (wrong
 * alphabet or padding, stray bits, or a decoding that is not UTF-8 text).
 * Go's decoder refuses all of that too, except the stray bits and the
 * line breaks it skips, which we refuse: get would never look there.
 */
static char *decode_server(const char *name)
{
	size_t len = strlen(name), n;
	char *out = NULL, *again = NULL, *ret = NULL;

	/* Padded, as Go writes it: whole blocks only. */
	if (len == 0 || len % 4 || len > PASS_NAME_MAX || b64url_decode(name, len, &out, &n))
		return NULL;
	/* Only the one spelling get would look for. */
	again = is_text(out, n) ? encode_server(out, n) : NULL;
	if (again && !strcmp(again, name))
		ret = out, out = NULL;
	free(again);
	free(out);
	return ret;
}

/* Whether a file name in a server's folder is an entry's: text, then ".gpg". */
static int is_entry(const char *name)
{
	size_t len = strlen(name);

	return len > 4 && !strcmp(name + len - 4, ".gpg") && is_text(name, len - 4);
}

/*
 * The username a file name in a server's folder stands for ("alice.gpg":
 * "alice"), as a new string; NULL when the name is not an entry's.
 */
static char *entry_username(const char *name)
{
	return is_entry(name) ? strndup(name, strlen(name) - 4) : NULL;
}

/*
 * Whether the entry de of dir is of type want (S_IFREG, S_IFDIR), following
 * a symbolic link; d_type answers without a stat where it can.
 */
static int is_type(DIR *dir, const struct dirent *de, mode_t want)
{
	struct stat st;

	if ((mode_t)DTTOIF(de->d_type) == want)
		return 1;
	if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
		return 0;
	return fstatat(dirfd(dir), de->d_name, &st, 0) == 0 && (st.st_mode & S_IFMT) == want;
}

/*
 * The username of the entry in the server folder at path (relative to
 * atfd), when it holds several (the Go helper keeps them all): the one the
 * Go helper answers, whose file name comes first in byte order, ".gpg"
 * included, as Go's ReadDir sorts them ("a-b.gpg" before "a.gpg", so "a-b"
 * before "a").  *user is new.  Returns 1 with *user set, 0 when the folder
 * holds no entry or does not exist, or -1 with err.
 */
static int pick_username(int atfd, const char *path, char **user,
			 struct ck_error *err)
{
	char first[PASS_NAME_MAX + 1] = "";
	struct dirent *de;
	DIR *dir;
	int fd;

	*user = NULL;
	fd = openat(atfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0 || !(dir = fdopendir(fd))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return ck_error(err, CK_FAILED, "cannot read the password store folder %s: %s",
				path, strerror(e));
	}
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name);

		if (len < sizeof(first) && is_type(dir, de, S_IFREG) && is_entry(de->d_name) &&
		    (!first[0] || strcmp(de->d_name, first) < 0))
			memcpy(first, de->d_name, len + 1);
	}
	closedir(dir);
	if (!first[0])
		return 0;
	*user = entry_username(first);
	return *user ? 1 : ck_error(err, CK_FAILED, "out of memory");
}

/* --- running pass -------------------------------------------------------- */

/*
 * Run pass with argv (argv[0] is "pass") in c: in_len bytes of in (may be
 * NULL) on its stdin, its stdout into c->output when want_output, at most
 * PASS_RUN_SEC.  Returns 0 once it exited (see c->status), or -1 with err,
 * worded for pass, when it could not be run or did not finish in time.
 */
static int run_pass(char *argv[], const char *in, size_t in_len, int want_output,
		    struct child *c, struct ck_error *err)
{
	c->argv = argv;
	c->input = in;
	c->input_len = in_len;
	c->want_output = want_output;
	c->output_max = PASS_SHOW_MAX;
	c->timeout_ms = PASS_RUN_SEC * 1000;
	if (!child_run(c, err))
		return 0;
	if (err->kind == CK_UNAVAILABLE)
		ck_error(err, CK_UNAVAILABLE, "cannot run pass: it is not installed (or not in "
			 "PATH); install it (apt install pass) and " INIT_HINT);
	else if (err->kind == CK_LOCKED)
		ck_error(err, CK_LOCKED, "pass did not finish within %d s, and was stopped: "
			 "is gpg waiting for the passphrase of your key? A pinentry needs a "
			 "desktop session or GPG_TTY=$(tty); or unlock the key first with "
			 "'pass show'. Or gpg-agent does not answer: restart it with "
			 "'gpgconf --kill gpg-agent'", PASS_RUN_SEC);
	else if (err->kind == CK_BAD_INPUT)
		ck_error(err, CK_FAILED, "pass printed more than %d bytes: that is not an "
			 "entry docker-credential-pass wrote", PASS_SHOW_MAX);
	return -1;
}

/*
 * Turn a run of pass that did not exit 0 into err.  what is what we were
 * doing ("read the credentials for X").  Returns -1.
 */
static int pass_failed(struct pass *ps, const struct child *c, const char *what,
		       struct ck_error *err)
{
	char status[64];

	if (snprintf(status, sizeof(status), WIFEXITED(c->status) ? "exit status %d" : "signal %d",
		     WIFEXITED(c->status) ? WEXITSTATUS(c->status) : WTERMSIG(c->status)) < 0)
		status[0] = '\0';
	if (child_said(c, "You must run") || child_said(c, "Try \"pass init\""))
		return ck_error(err, CK_UNAVAILABLE,
				"cannot %s: the password store at %s is not initialised; " INIT_HINT,
				what, ps->store);
	/* pass runs gpg2 if there is one, else gpg; bash names the one missing. */
	if (child_said(c, "gpg: command not found") || child_said(c, "gpg2: command not found"))
		return ck_error(err, CK_UNAVAILABLE,
				"cannot %s: pass cannot run gpg: it is not installed (or not in "
				"PATH); install it (apt install gnupg)", what);
	/* Before "No secret key", which gpg says next: the agent is the cause. */
	if (child_said(c, "can't connect to the agent") || child_said(c, "no gpg-agent running"))
		return ck_error(err, CK_UNAVAILABLE,
				"cannot %s: gpg could not reach its gpg-agent (it did not start, or "
				"gpg.conf says not to start it: no-autostart, agent-program); check "
				"'gpg-connect-agent /bye' and 'gpgconf --list-dirs agent-socket'", what);
	if (child_said(c, "No secret key"))
		return ck_error(err, CK_UNAVAILABLE,
				"cannot %s: gpg could not use a secret key to decrypt it (gpg "
				"said: No secret key): either the key is missing (compare 'gpg "
				"--list-secret-keys' with %s/.gpg-id and import it), or no pinentry "
				"could ask for its passphrase (set GPG_TTY=$(tty), or run in a "
				"desktop session)",
				what, ps->store);
	if (child_said(c, "No public key") || child_said(c, "unusable public key") ||
	    child_said(c, "encryption failed"))
		return ck_error(err, CK_UNAVAILABLE,
				"cannot %s: gpg cannot encrypt to the key in %s/.gpg-id (missing, "
				"expired or not trusted; see 'gpg --list-keys'); fix the key, or "
				"re-run 'pass init <gpg-id>' with one from 'gpg --list-secret-keys'",
				what, ps->store);
	if (child_said(c, "Inappropriate ioctl") || child_said(c, "No pinentry") ||
	    child_said(c, "Operation cancelled") || child_said(c, "Bad passphrase") ||
	    child_said(c, "Timeout"))
		return ck_error(err, CK_LOCKED,
				"cannot %s: gpg could not get the passphrase of your key (no "
				"pinentry could ask, or it was cancelled); set GPG_TTY=$(tty) or "
				"run in a desktop session, or unlock the key first with 'pass show'",
				what);
	return ck_error(err, CK_FAILED,
			"cannot %s: pass failed (%s); gpg's and pass's messages are on "
			"stderr; check 'pass ls' and 'gpg --list-secret-keys'", what, status);
}

/* --- the lock ------------------------------------------------------------ */

/*
 * Make the directory path and what is missing above it, each 0700 as pass
 * makes them (its umask is 077).  Returns 0, also when another process
 * made them first, or -1 with err.
 */
static int make_dirs(const char *path, struct ck_error *err)
{
	char *p = strdup(path), *slash = p;
	int ret = 0;

	if (!p)
		return ck_error(err, CK_FAILED, "out of memory");
	do {
		slash = strchr(slash + 1, '/');
		if (slash)
			*slash = '\0';
		if (mkdir(p, 0700) && errno != EEXIST) {
			ret = ck_error(err, CK_FAILED, "cannot make the password store %s: "
				       "mkdir %s: %s", path, p, strerror(errno));
			break;
		}
		if (slash)
			*slash = '/';
	} while (slash);
	free(p);
	return ret;
}

/*
 * One try at the lock (see lock()): open the store directory, making it
 * first when create is set, flock it without waiting, and check that the
 * path still names what was locked (a store removed and made again is
 * another directory, with a lock of its own).  Returns 0 when the lock is
 * held in ps->lock_fd, or when there is no store and create is not set; 1
 * when it is busy; -1 with err.
 */
static int lock_once(struct pass *ps, int create, struct ck_error *err)
{
	struct stat held, now;
	int fd;

	fd = open(ps->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (!create)
			return 0;	/* no store: pass has nothing to work on */
		if (make_dirs(ps->store, err))
			return -1;
		fd = open(ps->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return ck_error(err, CK_FAILED, "cannot open the password store %s to lock "
				"it: %s", ps->store, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK || e == EINTR)
			return 1;
		/* NFS takes flock for a byte-range lock, which needs write access. */
		return ck_error(err, CK_FAILED, "cannot lock the password store %s: %s%s",
				ps->store, strerror(e), e == EBADF || e == ENOLCK ?
				" (its file system takes no lock on a directory: on NFS, "
				"mount it with local_lock=flock)" : "");
	}
	if (fstat(fd, &held) || stat(ps->store, &now) || held.st_dev != now.st_dev ||
	    held.st_ino != now.st_ino) {
		close(fd);
		return 1;
	}
	ps->lock_fd = fd;
	return 0;
}

/*
 * Take the lock that serialises pass and gpg among our helpers, once: it
 * is held until pass_close.  There is one lock per password store, a
 * flock on the store directory itself: helpers started by a systemd unit
 * and from a shell exclude each other whatever their environment, and no
 * file of ours shows in the store (often a git repository).  With create
 * (store, whose pass insert is about to make the store), a store that does
 * not exist is made first, 0700, so that it has a lock too.  Returns 0, or
 * -1 with err (CK_LOCKED after PASS_LOCK_SEC).
 */
static int lock(struct pass *ps, int create, struct ck_error *err)
{
	long deadline = ck_now_ms() + PASS_LOCK_SEC * 1000L;
	long pause = 1;
	int r;

	if (ps->lock_fd >= 0)
		return 0;
	while ((r = lock_once(ps, create, err)) == 1) {
		if (ck_now_ms() >= deadline)
			return ck_error(err, CK_LOCKED,
					"waited %d s for the lock of the password store %s, which "
					"other docker-credential-pass runs held (one asking for a "
					"passphrase, or many queued); try again", PASS_LOCK_SEC,
					ps->store);
		ck_sleep_usec((uint64_t)pause * 1000);
		if (pause < 20)
			pause *= 2;
	}
	return r;
}

/* --- the backend --------------------------------------------------------- */

static void pass_close(void *self)
{
	struct pass *ps = self;

	if (!ps)
		return;
	close_fd(&ps->lock_fd);	/* releases the lock */
	free(ps->store);
	free(ps->folder);
	free(ps);
}

static void *pass_open(struct ck_error *err)
{
	struct pass *ps = calloc(1, sizeof(*ps));
	const char *dir = getenv("PASSWORD_STORE_DIR"), *home = getenv("HOME");
	struct passwd *pw;

	if (!ps)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	ps->lock_fd = -1;
	if (dir && *dir) {
		ps->store = strdup(dir);
	} else {
		if (!home || !*home)
			home = (pw = getpwuid(getuid())) ? pw->pw_dir : NULL;
		if (!home || !*home) {
			ck_error(err, CK_UNAVAILABLE,
				 "cannot find the password store: neither PASSWORD_STORE_DIR "
				 "nor HOME is set");
			goto fail;
		}
		ps->store = fmt(err, "%s/.password-store", home);
	}
	if (!ps->store || !(ps->folder = fmt(err, "%s/%s", ps->store, PASS_FOLDER))) {
		ck_error(err, CK_FAILED, "out of memory");
		goto fail;
	}
	return ps;
fail:
	pass_close(ps);
	return NULL;
}

/* The folder name of server (new), or NULL: out of memory, or too long. */
static char *server_folder(const char *server, int *too_long, struct ck_error *err)
{
	size_t len = strlen(server), need = (len + 2) / 3 * 4;
	char *enc;

	*too_long = need > PASS_NAME_MAX;
	if (*too_long)
		return ck_error(err, CK_BAD_INPUT,
				"server URL too long for the password store: its base64 name "
				"would be %zu bytes, more than %d (about %d bytes of URL)",
				need, PASS_NAME_MAX, PASS_NAME_MAX / 4 * 3), NULL;
	enc = encode_server(server, len);
	if (!enc)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	return enc;
}

static int pass_get(void *self, const char *server, struct cred *out,
		    struct ck_error *err)
{
	struct pass *ps = self;
	char *enc, *dir = NULL, *user = NULL, *name = NULL, *what = NULL;
	struct child c = CHILD_INIT;
	int too_long, r, ret = -1;

	enc = server_folder(server, &too_long, err);
	if (!enc)	/* nothing can be stored under a name that long */
		return too_long ? ck_error(err, CK_NOT_FOUND, NULL) : -1;
	if (!(dir = fmt(err, "%s/%s", ps->folder, enc)))
		goto out;
	/* Look before locking: a miss (docker pull of a public image) waits for no one. */
	r = pick_username(AT_FDCWD, dir, &user, err);
	if (r == 1) {
		free(user);
		user = NULL;
		if (lock(ps, 0, err))
			goto out;
		r = pick_username(AT_FDCWD, dir, &user, err);
	}
	if (r <= 0) {
		if (r == 0)
			ck_error(err, CK_NOT_FOUND, NULL);
		goto out;
	}
	if (!(name = fmt(err, "%s/%s/%s", PASS_FOLDER, enc, user)) ||
	    !(what = fmt(err, "read the credentials for %s", server)))
		goto out;
	{
		char *argv[] = { "pass", "show", name, NULL };

		if (run_pass(argv, NULL, 0, 1, &c, err))
			goto out;
	}
	if (!WIFEXITED(c.status) || WEXITSTATUS(c.status)) {
		if (child_said(&c, "is not in the password store"))
			ck_error(err, CK_NOT_FOUND, NULL);	/* erased meanwhile */
		else
			pass_failed(ps, &c, what, err);
		goto out;
	}
	/* As the Go helper: drop the line breaks that end the text. */
	while (c.output.len && (c.output.buf[c.output.len - 1] == '\n' ||
				c.output.buf[c.output.len - 1] == '\r'))
		c.output.buf[--c.output.len] = '\0';
	secret_release(&out->secret);
	out->secret = c.output;
	c.output = (struct secret)SECRET_INIT;
	out->username = user;
	user = NULL;
	ret = 0;
out:
	child_release(&c);
	free(what);
	free(name);
	free(user);
	free(dir);
	free(enc);
	return ret;
}

/* Whether a .gpg-id above the folder of enc would give pass a recipient. */
static int initialised(struct pass *ps, const char *enc)
{
	const char *key = getenv("PASSWORD_STORE_KEY");
	char *paths[3] = { NULL, NULL, NULL };
	int i, found = 0;

	if (key && *key)
		return 1;
	if (asprintf(&paths[0], "%s/%s/.gpg-id", ps->folder, enc) < 0)
		paths[0] = NULL;
	if (asprintf(&paths[1], "%s/.gpg-id", ps->folder) < 0)
		paths[1] = NULL;
	if (asprintf(&paths[2], "%s/.gpg-id", ps->store) < 0)
		paths[2] = NULL;
	for (i = 0; i < 3; i++) {
		struct stat st;

		if (paths[i] && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
			found = 1;
		free(paths[i]);
	}
	return found;
}

/* Remove the entries of the folder enc other than keep's (NULL: none). */
static int remove_others(struct pass *ps, const char *enc, const char *keep,
			 const char *what, struct ck_error *err)
{
	char *dir, *name;
	struct dirent *de;
	struct child c = CHILD_INIT;
	DIR *d;
	int ret = 0;

	if (!(dir = fmt(err, "%s/%s", ps->folder, enc)))
		return -1;
	d = opendir(dir);
	free(dir);
	if (!d)
		return 0;	/* nothing else there */
	while (!ret && (de = readdir(d))) {
		char *user;

		if (!is_type(d, de, S_IFREG) || !(user = entry_username(de->d_name)))
			continue;
		if (keep && !strcmp(user, keep)) {
			free(user);
			continue;
		}
		name = fmt(err, "%s/%s/%s", PASS_FOLDER, enc, user);
		free(user);
		if (!name) {
			ret = -1;
			break;
		}
		{
			char *argv[] = { "pass", "rm", "--force", name, NULL };

			ret = run_pass(argv, NULL, 0, 0, &c, err);
		}
		if (!ret && (!WIFEXITED(c.status) || WEXITSTATUS(c.status)) &&
		    !child_said(&c, "is not in the password store"))
			ret = pass_failed(ps, &c, what, err);
		free(name);
	}
	closedir(d);
	return ret;
}

static int pass_store(void *self, const struct cred *c, struct ck_error *err)
{
	struct pass *ps = self;
	char *enc, *name = NULL, *what = NULL, *dir = NULL;
	const char *u = c->username;
	struct child ch = CHILD_INIT;
	int too_long, ret = -1;

	if (strchr(u, '/') || !strcmp(u, ".") || !strcmp(u, ".."))
		return ck_error(err, CK_BAD_INPUT,
				"cannot keep the username \"%s\" in the password store: it "
				"names a file, so it cannot contain '/' nor be \".\" or \"..\"", u);
	if (strlen(u) + 4 > PASS_NAME_MAX)
		return ck_error(err, CK_BAD_INPUT,
				"username too long for the password store: %zu bytes, more than %d",
				strlen(u), PASS_NAME_MAX - 4);
	enc = server_folder(c->server, &too_long, err);
	if (!enc)
		return -1;
	if (!initialised(ps, enc)) {
		ck_error(err, CK_UNAVAILABLE,
			 "cannot store the credentials for %s: the password store at %s is "
			 "not initialised (no .gpg-id); " INIT_HINT, c->server, ps->store);
		goto out;
	}
	if (!(name = fmt(err, "%s/%s/%s", PASS_FOLDER, enc, u)) ||
	    !(what = fmt(err, "store the credentials for %s", c->server)) ||
	    !(dir = fmt(err, "%s/%s", ps->folder, enc)) || lock(ps, 1, err))
		goto out;
	{
		char *argv[] = { "pass", "insert", "--multiline", "--force", name, NULL };

		if (run_pass(argv, c->secret.buf, c->secret.len, 0, &ch, err))
			goto out;
	}
	if (!WIFEXITED(ch.status) || WEXITSTATUS(ch.status)) {
		rmdir(dir);	/* the folder pass made, if it stayed empty */
		pass_failed(ps, &ch, what, err);
		goto out;
	}
	/* One username per server: the new entry is written, drop the others. */
	ret = remove_others(ps, enc, u, what, err);
out:
	free(dir);
	free(what);
	free(name);
	free(enc);
	return ret;
}

static int pass_erase(void *self, const char *server, struct ck_error *err)
{
	struct pass *ps = self;
	char *enc, *dir = NULL, *name = NULL, *what = NULL;
	struct child c = CHILD_INIT;
	struct stat st;
	int too_long, ret = -1;

	enc = server_folder(server, &too_long, err);
	if (!enc) {
		if (!too_long)
			return -1;
		ck_error_clear(err);
		return 0;	/* it cannot have been stored */
	}
	if (!(dir = fmt(err, "%s/%s", ps->folder, enc)))
		goto out;
	if (lstat(dir, &st) && (errno == ENOENT || errno == ENOTDIR)) {
		ret = 0;	/* erasing nothing succeeds */
		goto out;
	}
	if (!(name = fmt(err, "%s/%s", PASS_FOLDER, enc)) ||
	    !(what = fmt(err, "erase the credentials for %s", server)) || lock(ps, 0, err))
		goto out;
	{
		char *argv[] = { "pass", "rm", "--recursive", "--force", name, NULL };

		if (run_pass(argv, NULL, 0, 0, &c, err))
			goto out;
	}
	if ((!WIFEXITED(c.status) || WEXITSTATUS(c.status)) &&
	    !child_said(&c, "is not in the password store")) {
		pass_failed(ps, &c, what, err);
		goto out;
	}
	ret = 0;
out:
	free(what);
	free(name);
	free(dir);
	free(enc);
	return ret;
}

/*
 * Call each for every server folder that holds an entry, from the names of
 * folders and files alone: no pass, no gpg.  Names that are not base64url
 * of text (or not the spelling get would look for) are skipped.
 */
static int pass_list(void *self, backend_each_fn each, void *data, struct ck_error *err)
{
	struct pass *ps = self;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = opendir(ps->folder);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return ck_error(err, CK_FAILED, "cannot read the password store folder %s: %s",
				ps->folder, strerror(errno));
	}
	while (!ret && (de = readdir(d))) {
		char *server, *user = NULL;
		int r;

		if (de->d_name[0] == '.' || !is_type(d, de, S_IFDIR) ||
		    !(server = decode_server(de->d_name)))
			continue;
		r = pick_username(dirfd(d), de->d_name, &user, err);
		if (r < 0) {
			/* An unreadable folder is left out, not the whole list. */
			fprintf(stderr, "docker-credential-pass: %s\n", err->msg);
			ck_error_clear(err);
		} else if (r == 1) {
			ret = each(server, user, data, err);
		}
		free(user);
		free(server);
	}
	closedir(d);
	return ret;
}

const struct backend pass_backend = {
	.name = "pass",
	.open = pass_open,
	.close = pass_close,
	.store = pass_store,
	.get = pass_get,
	.erase = pass_erase,
	.list = pass_list,
};
