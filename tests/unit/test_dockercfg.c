/* SPDX-License-Identifier: MIT */
/*
 * test_dockercfg.c - unit tests of the config.json editor.
 *
 * Usage: test_dockercfg FILE...
 *
 * Each FILE (tests/data/dockercfg/cases.txt) holds one case a line, fields
 * separated by one tab, its files in FILE's folder:
 *
 *	OP	INPUT	EXPECT
 *
 * OP is "store NAME", "helper NAME HOST...", "unset NAME [HOST...]" or
 * "blank KEY...": an edit of the document loaded from a copy of INPUT
 * ("-": no file), which is then saved and must equal the file EXPECT byte
 * for byte; "!TEXT" instead means the load fails with an error holding
 * TEXT and the copy stays as it was.  Then the checks no data file says:
 * a symlink is followed, mode and owner are kept, a dump writes nothing,
 * a save over a file changed since the load writes nothing, a missing
 * folder is made, a login decodes and a bad one is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases.h"
#include "check.h"
#include "dockercfg.h"
#include "secret.h"

#define WORDS_MAX 16

static char datadir[1024];
static char workdir[] = "/tmp/credkit-dockercfg-XXXXXX";
static char cfgpath[1100];

/* The whole file at path as a new string (NULL when it cannot be read). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

static int spill(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(text, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

static char *data_file(const char *name)
{
	char path[2200];

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	return slurp(path);
}

/* Apply the edit op (its words) to cfg. */
static int apply(struct dockercfg *cfg, char **w, int n, struct ck_error *err)
{
	int i;

	if (!strcmp(w[0], "store") && n == 2)
		return dockercfg_set_store(cfg, w[1], err);
	if (!strcmp(w[0], "helper")) {
		for (i = 2; i < n; i++)
			if (dockercfg_set_helper(cfg, w[i], w[1], err))
				return -1;
		return 0;
	}
	if (!strcmp(w[0], "unset")) {
		dockercfg_unset(cfg, w[1], w + 2, (size_t)(n - 2));
		return 0;
	}
	if (!strcmp(w[0], "blank")) {
		for (i = 1; i < n; i++)
			dockercfg_blank(cfg, w[i]);
		return 0;
	}
	return ck_error(err, CK_FAILED, "unknown op %s", w[0]);
}

static void run_case(const char *where, char *line)
{
	struct dockercfg cfg = DOCKERCFG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	char *field[3], *w[WORDS_MAX], *input = NULL, *want = NULL, *got = NULL, *save;
	int n = 0;

	if (case_split(line, field, 3) != 3) {
		CHECK(0, "%s: three fields", where);
		return;
	}
	for (w[n] = strtok_r(field[0], " ", &save); n < WORDS_MAX - 1 && w[n];
	     w[++n] = strtok_r(NULL, " ", &save))
		;
	if (!n) {
		CHECK(0, "%s: an edit in the first field", where);
		return;
	}
	unlink(cfgpath);
	if (strcmp(field[1], "-") && (!(input = data_file(field[1])) || spill(cfgpath, input))) {
		CHECK(0, "%s: read %s", where, field[1]);
		goto out;
	}
	if (field[2][0] == '!') {
		CHECK(dockercfg_load(&cfg, cfgpath, &err) == -1 && strstr(err.msg, field[2] + 1),
		      "%s: %s refused: %s", where, field[1], err.msg);
		got = slurp(cfgpath);
		CHECK(got && input && !strcmp(got, input), "%s: %s left as it was", where,
		      field[1]);
		goto out;
	}
	if (!(want = data_file(field[2]))) {
		CHECK(0, "%s: read %s", where, field[2]);
		goto out;
	}
	if (dockercfg_load(&cfg, cfgpath, &err) || apply(&cfg, w, n, &err) ||
	    dockercfg_save(&cfg, &err)) {
		CHECK(0, "%s: %s on %s: %s", where, field[0], field[1], err.msg);
		goto out;
	}
	got = slurp(cfgpath);
	CHECK_STR(got, want, "%s: %s on %s gives %s", where, field[0], field[1], field[2]);
out:
	dockercfg_release(&cfg);
	free(input);
	free(want);
	free(got);
}

/* Load path, set credsStore, save.  0, or -1 with err. */
static int store_in(const char *path, struct ck_error *err)
{
	struct dockercfg cfg = DOCKERCFG_INIT;
	int ret;

	ret = dockercfg_load(&cfg, path, err) || dockercfg_set_store(&cfg, "keyctl", err) ||
	      dockercfg_save(&cfg, err) ? -1 : 0;
	dockercfg_release(&cfg);
	return ret;
}

static void check_symlink(void)
{
	struct ck_error err = CK_ERROR_INIT;
	char target[1200], link1[1200], link2[1200], *got;
	struct stat st;

	snprintf(target, sizeof(target), "%s/dotfiles-config.json", workdir);
	snprintf(link1, sizeof(link1), "%s/link1.json", workdir);
	snprintf(link2, sizeof(link2), "%s/link2.json", workdir);
	spill(target, "{\"a\": 1}\n");
	CHECK(!symlink("dotfiles-config.json", link1) && !symlink(link1, link2),
	      "symlink: a chain of two links");
	CHECK(!store_in(link2, &err), "symlink: saved through the links: %s", err.msg);
	CHECK(!lstat(link2, &st) && S_ISLNK(st.st_mode) && !lstat(link1, &st) &&
	      S_ISLNK(st.st_mode), "symlink: the links are still links");
	got = slurp(target);
	CHECK_STR(got, "{\n  \"a\": 1,\n  \"credsStore\": \"keyctl\"\n}\n",
		  "symlink: the target holds the edit");
	free(got);
	/* a dangling link: the target is created */
	unlink(target);
	CHECK(!store_in(link2, &err) && !lstat(target, &st) && S_ISREG(st.st_mode),
	      "symlink: a dangling link's target is created: %s", err.msg);
}

static void check_mode_owner(void)
{
	struct ck_error err = CK_ERROR_INIT;
	struct stat st;
	int owner;

	unlink(cfgpath);
	spill(cfgpath, "{}");
	chmod(cfgpath, 0640);
	/* Giving the file to another user needs root; as anyone else only
	 * the mode is checked. */
	owner = !chown(cfgpath, 4321, 4322);
	CHECK(!store_in(cfgpath, &err), "mode: saved: %s", err.msg);
	CHECK(!stat(cfgpath, &st) && (st.st_mode & 07777) == 0640, "mode: 0640 kept (%o)",
	      st.st_mode & 07777);
	if (owner)
		CHECK(st.st_uid == 4321 && st.st_gid == 4322, "owner: uid and gid kept (%u:%u)",
		      (unsigned)st.st_uid, (unsigned)st.st_gid);
	unlink(cfgpath);
	CHECK(!store_in(cfgpath, &err) && !stat(cfgpath, &st) && (st.st_mode & 07777) == 0600,
	      "mode: a new file is 0600 (%o)", st.st_mode & 07777);
}

static void check_new_folder(void)
{
	struct ck_error err = CK_ERROR_INIT;
	char path[1200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/new/.docker/config.json", workdir);
	CHECK(!store_in(path, &err), "folder: saved into missing folders: %s", err.msg);
	snprintf(path, sizeof(path), "%s/new/.docker", workdir);
	CHECK(!stat(path, &st) && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	      "folder: made with mode 0700");
}

static void check_no_write(void)
{
	struct dockercfg cfg = DOCKERCFG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	const char *before = "{\"auths\": {}}", *other = "{\"auths\": {\"x\": {}}}";
	char *text, *got, tmp[1200];
	glob_t g;

	unlink(cfgpath);
	spill(cfgpath, before);
	CHECK(!dockercfg_load(&cfg, cfgpath, &err) &&
	      !dockercfg_set_store(&cfg, "keyctl", &err), "dry run: edited");
	text = dockercfg_dump(&cfg, &err);
	CHECK(text && strstr(text, "\"credsStore\": \"keyctl\""), "dry run: the dump shows it");
	secure_free(text);
	got = slurp(cfgpath);
	CHECK_STR(got, before, "dry run: the file is unchanged");
	free(got);

	/* another program renames its file over ours meanwhile */
	snprintf(tmp, sizeof(tmp), "%s/other.json", workdir);
	spill(tmp, other);
	rename(tmp, cfgpath);
	CHECK(dockercfg_save(&cfg, &err) == 1, "changed: save says the file changed");
	got = slurp(cfgpath);
	CHECK_STR(got, other, "changed: the other program's file stays");
	free(got);
	/* the same size, written in place */
	dockercfg_release(&cfg);
	CHECK(!dockercfg_load(&cfg, cfgpath, &err), "changed: loaded again");
	spill(cfgpath, "{\"auths\": {\"y\": {}}}");
	CHECK(dockercfg_save(&cfg, &err) == 1, "changed: bytes changed in place are seen");
	dockercfg_release(&cfg);
	CHECK(!dockercfg_load(&cfg, cfgpath, &err) && !dockercfg_save(&cfg, &err),
	      "changed: an unchanged file saves");
	dockercfg_release(&cfg);
	snprintf(tmp, sizeof(tmp), "%s/.config.json.credkit-*", workdir);
	CHECK(glob(tmp, 0, NULL, &g) == GLOB_NOMATCH, "no temporary file is left");
	globfree(&g);
}

static void check_login(void)
{
	struct dockercfg cfg = DOCKERCFG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct cred c = CRED_INIT;
	char path[2200];

	snprintf(path, sizeof(path), "%s/migrate.json", datadir);
	CHECK(!dockercfg_load(&cfg, path, &err), "login: loaded %s", err.msg);
	CHECK(dockercfg_login(&cfg, "https://index.docker.io/v1/", &c, &err) == 0 &&
	      !strcmp(c.username, "user") && !strcmp(c.secret.buf, "pass") &&
	      !strcmp(c.server, "https://index.docker.io/v1/"),
	      "login: Docker Hub's auth decodes to user and pass");
	cred_release(&c);
	CHECK(dockercfg_login(&cfg, "tok.example", &c, &err) == 0 &&
	      !strcmp(c.username, "<token>") && !strcmp(c.secret.buf, "tok-123"),
	      "login: an identitytoken is kept as docker keeps it in a store");
	cred_release(&c);
	CHECK(dockercfg_login(&cfg, "gone.example", &c, &err) == 1 && !c.server,
	      "login: an empty entry has none");
	CHECK(dockercfg_login(&cfg, "none.example", &c, &err) == 1, "login: a missing one neither");
	CHECK(dockercfg_login(&cfg, "bad.example", &c, &err) == -1 && !c.server &&
	      strstr(err.msg, "bad.example") && !strstr(err.msg, "nocolon"),
	      "login: no colon is refused, naming the host, never the secret: %s", err.msg);
	CHECK_STR(dockercfg_helper_for(&cfg, "tok.example", 0), NULL, "route: no helper");
	dockercfg_set_store(&cfg, "keyctl", &err);
	dockercfg_set_helper(&cfg, "tok.example", "pass", &err);
	dockercfg_set_helper(&cfg, "q.example", "pass", &err);
	CHECK_STR(dockercfg_helper_for(&cfg, "tok.example", 0), "pass", "route: credHelpers first");
	CHECK_STR(dockercfg_helper_for(&cfg, "gone.example", 0), "keyctl", "route: else credsStore");
	CHECK_STR(dockercfg_helper_for(&cfg, "gone.example", 1), NULL,
		  "route: podman ignores credsStore");
	CHECK_STR(dockercfg_helper_for(&cfg, "q.example/ns", 1), "pass",
		  "route: podman asks about the host");
	dockercfg_release(&cfg);
}

int main(int argc, char **argv)
{
	char cmd[1200];
	const char *slash;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	if (!mkdtemp(workdir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(cfgpath, sizeof(cfgpath), "%s/config.json", workdir);
	for (i = 1; i < argc; i++) {
		slash = strrchr(argv[i], '/');
		snprintf(datadir, sizeof(datadir), "%.*s", slash ? (int)(slash - argv[i]) : 1,
			 slash ? argv[i] : ".");
		CHECK(!cases_run(argv[i], run_case), "read %s", argv[i]);
	}
	check_symlink();
	check_mode_owner();
	check_new_folder();
	check_no_write();
	check_login();
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", workdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", workdir);
	return check_done();
}
