/* SPDX-License-Identifier: MIT */
/*
 * dockercfg.h - editing docker's config.json and the containers auth.json.
 *
 * What `docker-credential-NAME configure` changes in those files, and how
 * it writes them: every other key is kept, and so is the keys' order; the
 * file is replaced atomically (a temporary file in the same folder, fsync,
 * rename, fsync of the folder) with its mode and owner; a symlinked file is
 * followed to its target, which is the file written; a file that is not
 * JSON is reported with its line and column and never written; a missing
 * file (mode 600) and folder (mode 700) are created.
 *
 * docker writes config.json by temporary file and rename, without a lock.
 * dockercfg_save() reads the file again just before its own rename and
 * writes nothing when it changed since dockercfg_load(): the caller then
 * loads and edits again (see DOCKERCFG_TRIES), so that what another
 * program wrote meanwhile is kept.  The "rename" is an exchange, and a
 * file another program renamed in after that check is given back, so that
 * even that window loses nothing.
 *
 * The document may hold secrets (base64 "auth", "identitytoken"): every
 * buffer of its text is wiped before it is freed.  The caller sets
 * jansson's allocator to one that wipes (json_set_alloc_funcs()) for the
 * values themselves.
 */
#ifndef CREDKIT_DOCKERCFG_H
#define CREDKIT_DOCKERCFG_H

#include <jansson.h>
#include <stddef.h>
#include <sys/stat.h>

#include "backend.h"
#include "error.h"

/* The most bytes of a file loaded; a bigger one is refused. */
#define DOCKERCFG_MAX (16 * 1024 * 1024)

/* How many times a caller loads and edits again after a save found the
 * file changed under it, before it gives up. */
#define DOCKERCFG_TRIES 50

struct dockercfg {
	char *path;	/* the file read and written: a symlink's target */
	json_t *root;	/* the document, an object (new reference) */
	char *text;	/* the bytes read (NULL when there was no file) */
	size_t len;
	int exists;	/* whether the file existed when loaded */
	struct stat st;	/* its mode, owner, inode and times when loaded */
};

#define DOCKERCFG_INIT { NULL, NULL, NULL, 0, 0, { 0 } }

/*
 * Load the file at path (following symlinks to the final target, which
 * may not exist yet: then the document is empty).  A file of only white
 * space is an empty document too.  Returns 0, or -1 with err: for a file
 * that is not a JSON object, err names path, line and column.  cfg is
 * released first.
 */
int dockercfg_load(struct dockercfg *cfg, const char *path, struct ck_error *err);

/* Free and wipe what cfg holds; it may be loaded again. */
void dockercfg_release(struct dockercfg *cfg);

/*
 * The document as it would be written: indented, keys in their order, a
 * final newline.  Returns a new buffer to free with secure_free(), or
 * NULL with err.
 */
char *dockercfg_dump(const struct dockercfg *cfg, struct ck_error *err);

/*
 * Write the document over cfg->path as this file's header says.  Returns
 * 0 once written, 1 when the file changed since it was loaded (nothing is
 * written: load and edit again), or -1 with err (nothing is written, the
 * temporary file is removed).
 */
int dockercfg_save(struct dockercfg *cfg, struct ck_error *err);

/* Set "credsStore" to helper.  0, or -1 with err. */
int dockercfg_set_store(struct dockercfg *cfg, const char *helper, struct ck_error *err);

/* Set "credHelpers"[host] to helper.  0, or -1 with err. */
int dockercfg_set_helper(struct dockercfg *cfg, const char *host, const char *helper,
			 struct ck_error *err);

/*
 * Remove what names helper: with nhosts 0, "credsStore" when it is helper
 * and every "credHelpers" entry whose value is helper; else only the
 * "credHelpers" entries of the nhosts hosts whose value is helper.  Other
 * helpers' settings stay; a "credHelpers" emptied here goes.  Returns how
 * many settings were removed.
 */
size_t dockercfg_unset(struct dockercfg *cfg, const char *helper,
		       char *const *hosts, size_t nhosts);

/*
 * The helper that would be asked about the "auths" key key.  docker
 * (containers 0) looks the key up exactly in "credHelpers", else uses
 * "credsStore"; podman, skopeo and buildah (containers 1) look up its host
 * (see dockercfg_host()) in "credHelpers" and ignore "credsStore".  NULL
 * for none; borrowed from cfg.
 */
const char *dockercfg_helper_for(const struct dockercfg *cfg, const char *key,
				 int containers);

/*
 * The host of an "auths" key as podman names it in "credHelpers": without
 * a scheme and from the first '/' on, into buf of size bytes.  Returns 0,
 * or -1 when it does not fit or is empty.
 */
int dockercfg_host(const char *key, char *buf, size_t size);

/*
 * Call each(key, NULL, data, err) for every key of "auths", in order.  The
 * callback may change the entries but not add or remove keys.  Returns 0,
 * or the first -1 a callback returned.
 */
int dockercfg_each_auth(const struct dockercfg *cfg, backend_each_fn each, void *data,
			struct ck_error *err);

/*
 * The login that "auths"[key] keeps in the file, into out (server, username
 * and secret, all owned): an "identitytoken" as docker keeps one in a
 * store (username "<token>"), else the base64 "auth" as "user:password".
 * Returns 1 when the entry keeps none (out untouched), 0 with out filled,
 * or -1 with err for an "auth" that is not base64 of "user:password".
 * Every buffer that held the decoded secret is wiped.
 */
int dockercfg_login(const struct dockercfg *cfg, const char *key, struct cred *out,
		    struct ck_error *err);

/*
 * Remove the secrets of "auths"[key] ("auth", "identitytoken", "username",
 * "password", "registrytoken"), keeping the entry (docker keeps an empty
 * one for each login in a store) and its other keys.
 */
void dockercfg_blank(struct dockercfg *cfg, const char *key);

#endif
