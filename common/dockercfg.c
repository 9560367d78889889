/* SPDX-License-Identifier: MIT */
/*
 * dockercfg.c - the config.json and auth.json editor behind `configure`.
 *
 * It promises what dockercfg.h says: keys and their order kept, atomic
 * replacement with the file's mode and owner, symlinks followed, a bad
 * file never written, and no write over a file that changed since it was
 * read.  Every buffer that held the file's text or a decoded login is
 * wiped before it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockercfg.h"
#include "secret.h"

/* The most symlinks followed from the path given, as the kernel's ELOOP. */
#define LINKS_MAX 40

void dockercfg_release(struct dockercfg *cfg)
{
	free(cfg->path);
	json_decref(cfg->root);
	secure_free(cfg->text);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * The final target of path when it is a symlink (relative targets taken
 * from the link's folder), else path itself.  Returns a new string, or
 * NULL with err.
 */
static char *resolve(const char *path, struct ck_error *err)
{
	char target[PATH_MAX], *cur, *next;
	const char *slash;
	ssize_t n;
	int hops;

	if (!(cur = strdup(path)))
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	for (hops = 0; hops <= LINKS_MAX; hops++) {
		n = readlink(cur, target, sizeof(target) - 1);
		if (n < 0)
			return cur;	/* not a link (or absent): the file itself */
		target[n] = '\0';
		slash = strrchr(cur, '/');
		if (target[0] == '/' || !slash)
			next = strdup(target);
		else if (asprintf(&next, "%.*s/%s", (int)(slash - cur), cur, target) < 0)
			next = NULL;
		free(cur);
		if (!(cur = next))
			return ck_error(err, CK_FAILED, "out of memory"), NULL;
	}
	ck_error(err, CK_FAILED, "%s: more than %d symlinks to follow", path, LINKS_MAX);
	free(cur);
	return NULL;
}

/*
 * Read the whole file at fd into *text (a new buffer, NUL-terminated, to
 * free with secure_free()) and *len.  Returns 0, or -1 with err.
 */
static int read_all(int fd, const char *path, char **text, size_t *len,
		    struct ck_error *err)
{
	size_t cap = 4096, used = 0;
	char *buf, *bigger;
	ssize_t n;

	if (!(buf = malloc(cap)))
		return ck_error(err, CK_FAILED, "out of memory");
	for (;;) {
		if (used + 1 == cap) {
			if (cap > DOCKERCFG_MAX) {
				secure_free(buf);
				return ck_error(err, CK_BAD_INPUT, "%s: larger than %d MiB",
						path, DOCKERCFG_MAX >> 20);
			}
			if (!(bigger = malloc(cap * 2))) {
				secure_free(buf);
				return ck_error(err, CK_FAILED, "out of memory");
			}
			memcpy(bigger, buf, used);
			secure_free(buf);
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			secure_free(buf);
			return ck_error(err, CK_FAILED, "cannot read %s: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

static int blank_text(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]))
			return 0;
	return 1;
}

/* Why jansson refused a file, in words that quote none of it. */
static const char *parse_problem(const json_error_t *jerr)
{
	switch (json_error_code(jerr)) {
	case json_error_premature_end_of_input:
		return "the file ends too early";
	case json_error_invalid_utf8:
		return "bytes that are not UTF-8";
	default:
		return "a syntax error";
	}
}

int dockercfg_load(struct dockercfg *cfg, const char *path, struct ck_error *err)
{
	json_error_t jerr;
	int fd;

	dockercfg_release(cfg);
	if (!(cfg->path = resolve(path, err)))
		return -1;
	fd = open(cfg->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		ck_error(err, CK_FAILED, "cannot open %s: %s", cfg->path, strerror(errno));
		goto fail;
	}
	if (fd >= 0) {
		cfg->exists = 1;
		if (fstat(fd, &cfg->st) || !S_ISREG(cfg->st.st_mode)) {
			ck_error(err, CK_FAILED, "%s is not a regular file", cfg->path);
			close(fd);
			goto fail;
		}
		if (read_all(fd, cfg->path, &cfg->text, &cfg->len, err)) {
			close(fd);
			goto fail;
		}
		close(fd);
	}
	if (!cfg->exists || blank_text(cfg->text, cfg->len)) {
		cfg->root = json_object();
	} else {
		cfg->root = json_loadb(cfg->text, cfg->len, 0, &jerr);
		if (!cfg->root) {
			ck_error(err, CK_BAD_INPUT,
				 "%s is not valid JSON: %s at line %d, column %d (the file "
				 "is left as it is: fix it, then run configure again)",
				 cfg->path, parse_problem(&jerr), jerr.line, jerr.column);
			secure_wipe(&jerr, sizeof(jerr));	/* its text quotes the file */
			goto fail;
		}
		secure_wipe(&jerr, sizeof(jerr));
		if (!json_is_object(cfg->root)) {
			ck_error(err, CK_BAD_INPUT,
				 "%s is not a JSON object (the file is left as it is)", cfg->path);
			goto fail;
		}
	}
	if (!cfg->root) {
		ck_error(err, CK_FAILED, "out of memory");
		goto fail;
	}
	return 0;
fail:
	dockercfg_release(cfg);
	return -1;
}

char *dockercfg_dump(const struct dockercfg *cfg, struct ck_error *err)
{
	char *text = json_dumps(cfg->root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *line;

	if (!text)
		return ck_error(err, CK_FAILED, "out of memory"), NULL;
	if (asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	secure_free(text);
	if (!line)
		ck_error(err, CK_FAILED, "out of memory");
	return line;
}

/* Create dir and its missing parents, mode 700.  0, or -1 with err. */
static int make_dirs(const char *dir, struct ck_error *err)
{
	char *p, *copy, was;
	int ret = 0;

	if (!(copy = strdup(dir)))
		return ck_error(err, CK_FAILED, "out of memory");
	for (p = copy + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		was = *p;
		*p = '\0';
		if (mkdir(copy, 0700) && errno != EEXIST) {
			ret = ck_error(err, CK_FAILED, "cannot create the folder %s: %s",
				       copy, strerror(errno));
			break;
		}
		*p = was;
		if (!was)
			break;
	}
	free(copy);
	return ret;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Whether the file at cfg->path is no longer what cfg was loaded from:
 * another file renamed over it, or other bytes.  1 or 0, or -1 with err.
 */
static int changed(const struct dockercfg *cfg, struct ck_error *err)
{
	struct stat now;
	char *text = NULL;
	size_t len = 0;
	int fd, ret;

	fd = open(cfg->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return cfg->exists;
	if (fd < 0)
		return ck_error(err, CK_FAILED, "cannot open %s: %s", cfg->path, strerror(errno));
	if (!cfg->exists || fstat(fd, &now) || now.st_ino != cfg->st.st_ino ||
	    now.st_dev != cfg->st.st_dev || now.st_size != cfg->st.st_size) {
		close(fd);
		return 1;
	}
	ret = read_all(fd, cfg->path, &text, &len, err);
	close(fd);
	if (ret)
		return -1;
	ret = len != cfg->len || memcmp(text, cfg->text, len);
	secure_free(text);
	return ret;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

/*
 * Put the written file tmp (whose stat is ours) at cfg->path, unless
 * another program put its own there since the check (changed()): a rename
 * alone would then drop that program's file, so the two are exchanged
 * (renameat2() RENAME_EXCHANGE) and what comes out at tmp is checked to be
 * the file loaded; when it is not, it is exchanged back.  A new file is
 * linked, which fails when someone made one meanwhile.  Returns 0 when tmp
 * is in place (and tmp's name is gone), 1 when another program's file is
 * there (load again; tmp still names ours), 2 when after a third writer
 * tmp names another program's file (left alone), or -1 with err.
 * Where the file system cannot exchange, a plain rename is all there is.
 */
static int replace(const struct dockercfg *cfg, const char *tmp, const struct stat *ours,
		   struct ck_error *err)
{
	struct stat out;

	if (!cfg->exists) {
		if (!link(tmp, cfg->path)) {
			(void)unlink(tmp);
			return 0;
		}
		if (errno == EEXIST)
			return 1;
		/* no hard links here (vfat, some FUSE): rename below */
	} else if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, cfg->path, RENAME_EXCHANGE)) {
		if (lstat(tmp, &out))
			return ck_error(err, CK_FAILED, "cannot stat %s: %s", tmp,
					strerror(errno));
		if (same_file(&out, &cfg->st)) {
			(void)unlink(tmp);	/* the old one goes */
			return 0;
		}
		/* another program renamed its file in: give it back */
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, cfg->path, RENAME_EXCHANGE))
			return ck_error(err, CK_FAILED, "cannot put back the file another "
					"program wrote at %s (it is at %s): %s", cfg->path, tmp,
					strerror(errno));
		if (lstat(tmp, &out) || !same_file(&out, ours)) {
			ck_error(err, CK_FAILED, "%s changed twice while configure wrote it: "
				 "%s holds a version another program wrote (compare and keep "
				 "what you need)", cfg->path, tmp);
			return 2;
		}
		return 1;
	} else if (errno != EINVAL && errno != ENOSYS && errno != ENOENT) {
		return ck_error(err, CK_FAILED, "cannot replace %s: %s", cfg->path,
				strerror(errno));
	}
	if (rename(tmp, cfg->path))
		return ck_error(err, CK_FAILED, "cannot rename %s to %s: %s", tmp, cfg->path,
				strerror(errno));
	return 0;
}

int dockercfg_save(struct dockercfg *cfg, struct ck_error *err)
{
	char *text = NULL, *dir = NULL, *tmp = NULL;
	const char *base;
	struct stat st;
	int fd = -1, dfd, ret = -1;

	if (!(text = dockercfg_dump(cfg, err)))
		goto out;
	base = strrchr(cfg->path, '/');
	if (!(dir = base ? strndup(cfg->path, (size_t)(base - cfg->path)) : strdup("."))) {
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	base = base ? base + 1 : cfg->path;
	if (!*dir) {	/* a file in / */
		free(dir);
		dir = strdup("/");
	}
	if (!dir || make_dirs(dir, err))
		goto out;
	if (asprintf(&tmp, "%s/.%s.credkit-XXXXXX", dir, base) < 0) {
		tmp = NULL;
		ck_error(err, CK_FAILED, "out of memory");
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		ck_error(err, CK_FAILED, "cannot create a temporary file in %s: %s", dir,
			 strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, cfg->exists ? cfg->st.st_mode & 07777 : 0600) || fstat(fd, &st)) {
		ck_error(err, CK_FAILED, "cannot set the mode of %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (cfg->exists && (st.st_uid != cfg->st.st_uid || st.st_gid != cfg->st.st_gid) &&
	    fchown(fd, cfg->st.st_uid, cfg->st.st_gid)) {
		ck_error(err, CK_FAILED, "cannot give the new %s the owner of the old one "
			 "(uid %u, gid %u): %s", cfg->path, (unsigned)cfg->st.st_uid,
			 (unsigned)cfg->st.st_gid, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, strlen(text)) || fsync(fd)) {
		ck_error(err, CK_FAILED, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((ret = changed(cfg, err)))
		goto out;	/* 1: someone wrote it meanwhile; -1 */
	if ((ret = replace(cfg, tmp, &st, err))) {
		if (ret == 2) {	/* tmp is another program's file now: keep it */
			ret = -1;
			free(tmp);
			tmp = NULL;
		}
		goto out;
	}
	free(tmp);
	tmp = NULL;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd))
		ret = ck_error(err, CK_FAILED, "%s is written, but the folder %s cannot be "
			       "synced: %s", cfg->path, dir, strerror(errno));
	if (dfd >= 0)
		close(dfd);
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	secure_free(text);
	return ret;
}

/* "credHelpers" as an object, made when create is set; NULL for none. */
static json_t *helpers_of(const struct dockercfg *cfg, int create)
{
	json_t *h = json_object_get(cfg->root, "credHelpers");

	if (json_is_object(h) || !create)
		return json_is_object(h) ? h : NULL;
	h = json_object();
	if (h && json_object_set_new(cfg->root, "credHelpers", h))
		return NULL;
	return h;
}

int dockercfg_set_store(struct dockercfg *cfg, const char *helper, struct ck_error *err)
{
	if (json_object_set_new(cfg->root, "credsStore", json_string(helper)))
		return ck_error(err, CK_FAILED, "cannot set credsStore (out of memory?)");
	return 0;
}

int dockercfg_set_helper(struct dockercfg *cfg, const char *host, const char *helper,
			 struct ck_error *err)
{
	json_t *h = helpers_of(cfg, 1);

	if (!h || json_object_set_new(h, host, json_string(helper)))
		return ck_error(err, CK_FAILED,
				"cannot set credHelpers for %s (not valid UTF-8?)", host);
	return 0;
}

static int names(json_t *v, const char *helper)
{
	return json_is_string(v) && !strcmp(json_string_value(v), helper);
}

size_t dockercfg_unset(struct dockercfg *cfg, const char *helper,
		       char *const *hosts, size_t nhosts)
{
	json_t *h = helpers_of(cfg, 0), *v;
	const char *key;
	size_t i, n = 0;
	void *tmp;

	if (!nhosts && names(json_object_get(cfg->root, "credsStore"), helper)) {
		json_object_del(cfg->root, "credsStore");
		n++;
	}
	if (!h)
		return n;
	if (nhosts) {
		for (i = 0; i < nhosts; i++)
			if (names(json_object_get(h, hosts[i]), helper) &&
			    !json_object_del(h, hosts[i]))
				n++;
	} else {
		json_object_foreach_safe(h, tmp, key, v)
			if (names(v, helper) && !json_object_del(h, key))
				n++;
	}
	if (n && !json_object_size(h))
		json_object_del(cfg->root, "credHelpers");
	return n;
}

int dockercfg_host(const char *key, char *buf, size_t size)
{
	const char *s = strstr(key, "://");
	size_t n;

	s = s ? s + 3 : key;
	n = strcspn(s, "/");
	if (!n || n >= size)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

const char *dockercfg_helper_for(const struct dockercfg *cfg, const char *key,
				 int containers)
{
	json_t *h = helpers_of(cfg, 0), *v;
	char host[1024];

	if (containers) {
		if (dockercfg_host(key, host, sizeof(host)))
			return NULL;
		v = h ? json_object_get(h, host) : NULL;
		return json_is_string(v) ? json_string_value(v) : NULL;
	}
	v = h ? json_object_get(h, key) : NULL;
	if (!v)
		v = json_object_get(cfg->root, "credsStore");
	return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

int dockercfg_each_auth(const struct dockercfg *cfg, backend_each_fn each, void *data,
			struct ck_error *err)
{
	json_t *auths = json_object_get(cfg->root, "auths"), *v;
	const char *key;

	if (!json_is_object(auths))
		return 0;
	json_object_foreach(auths, key, v)
		if (each(key, NULL, data, err))
			return -1;
	return 0;
}

/* The value of a base64 digit (standard alphabet), or -1. */
static int b64_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Decode the standard base64 of s (len bytes, '=' padding optional) into
 * out, a secret.  Returns 0, or -1 for a text that is not base64 or when
 * memory runs out (out is then empty).
 */
static int b64_decode(const char *s, size_t len, struct secret *out)
{
	unsigned long acc = 0;
	size_t i, n = 0, bits = 0;
	int d;

	while (len && s[len - 1] == '=')
		len--;
	if (len % 4 == 1 || secret_alloc(out, len * 3 / 4))
		return -1;
	for (i = 0; i < len; i++) {
		if ((d = b64_digit(s[i])) < 0) {
			explicit_bzero(&acc, sizeof(acc));
			secret_release(out);
			return -1;
		}
		acc = (acc << 6 | (unsigned long)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->buf[n++] = (char)(acc >> bits);
		}
	}
	explicit_bzero(&acc, sizeof(acc));	/* it held secret bits */
	out->buf[n] = '\0';
	out->len = n;
	return 0;
}

int dockercfg_login(const struct dockercfg *cfg, const char *key, struct cred *out,
		    struct ck_error *err)
{
	json_t *auths = json_object_get(cfg->root, "auths");
	json_t *entry = json_is_object(auths) ? json_object_get(auths, key) : NULL;
	json_t *token = json_object_get(entry, "identitytoken");
	json_t *auth = json_object_get(entry, "auth");
	struct secret plain = SECRET_INIT;
	const char *colon;
	int ret = -1;

	if (!json_is_object(entry))
		return 1;
	if (!(json_is_string(token) && json_string_length(token)) &&
	    !(json_is_string(auth) && json_string_length(auth)))
		return 1;
	if (!(out->server = strdup(key)))
		goto oom;
	if (json_is_string(token) && json_string_length(token)) {
		/* what docker stores for an identity token (its tokenUsername) */
		if (!(out->username = strdup("<token>")) ||
		    secret_set(&out->secret, json_string_value(token), json_string_length(token)))
			goto oom;
		return 0;
	}
	if (b64_decode(json_string_value(auth), json_string_length(auth), &plain) ||
	    strlen(plain.buf) != plain.len || !(colon = strchr(plain.buf, ':')) ||
	    colon == plain.buf) {
		ck_error(err, CK_BAD_INPUT, "the auth of %s is not base64 of user:password", key);
		goto out;
	}
	if (!(out->username = strndup(plain.buf, (size_t)(colon - plain.buf))) ||
	    secret_set(&out->secret, colon + 1, plain.len - (size_t)(colon + 1 - plain.buf)))
		goto oom;
	ret = 0;
	goto out;
oom:
	ck_error(err, CK_FAILED, "out of memory");
out:
	secret_release(&plain);
	if (ret)
		cred_release(out);
	return ret;
}

void dockercfg_blank(struct dockercfg *cfg, const char *key)
{
	static const char *const secrets[] = {
		"auth", "identitytoken", "username", "password", "registrytoken",
	};
	json_t *auths = json_object_get(cfg->root, "auths");
	json_t *entry = json_is_object(auths) ? json_object_get(auths, key) : NULL;
	size_t i;

	if (!json_is_object(entry))
		return;
	for (i = 0; i < sizeof(secrets) / sizeof(*secrets); i++)
		json_object_del(entry, secrets[i]);
}
