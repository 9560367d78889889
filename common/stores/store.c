/* SPDX-License-Identifier: MIT */
/*
 * store.c - choosing the suite's store, and explaining the choice.  See
 * include/stores/store.h.
 */
#include <errno.h>
#include <linux/keyctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "config.h"
#include "stores/store.h"

/* How long the Secret Service gets to answer a probe (it bounds itself). */
#define PROBE_MS 2500

static const char *const names[] = {
	[STORE_NONE] = "none",
	[STORE_SECRETSERVICE] = "secretservice",
	[STORE_KEYCTL] = "keyctl",
	[STORE_PASS] = "pass",
};

const char *store_name(enum store_kind kind)
{
	return names[kind];
}

int store_parse(const char *name, enum store_kind *kind, const char *source,
		struct ck_error *err)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*kind = (enum store_kind)i;
			return 0;
		}
	}
	return ck_error(err, CK_BAD_INPUT,
			"%s names an unknown store \"%.64s\": use secretservice, keyctl, "
			"pass or none", source, name);
}

/* printf into why[size], ignoring truncation (a reason may be cut short). */
static void say(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(why, size, fmt, ap) < 0)
		why[0] = '\0';
	va_end(ap);
}

int store_keyctl_usable(char *why, size_t size)
{
	/* One system call, so that no helper links libkeyutils to ask. */
	long r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 1);

	if (r >= 0) {
		say(why, size, "the kernel keyring is usable");
		return 1;
	}
	if (errno == EPERM || errno == EACCES || errno == ENOSYS)
		say(why, size, "keyctl is refused (%s): a container's seccomp profile "
		    "blocks it, or the kernel has no keyrings", strerror(errno));
	else
		say(why, size, "the kernel keyring cannot be used: %s", strerror(errno));
	return 0;
}

/* An install keeps the helpers together: see store.h. */
void store_helper_path(const char *name, char *path, size_t size)
{
	/* Beside us in bin/, or in bin/ of our prefix when we are in libexec. */
	static const char *const where[] = { "", "/../../bin" };
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	size_t i;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			for (i = 0; i < sizeof(where) / sizeof(where[0]); i++)
				if (snprintf(path, size, "%s%s/docker-credential-%s", self,
					     where[i], name) < (int)size &&
				    access(path, X_OK) == 0)
					return;
		}
	}
	say(path, size, "docker-credential-%s", name);
}

/* Whether a session bus address is known; why says which, or why not. */
static int session_bus(char *why, size_t size)
{
	const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	char path[4096];

	if (addr && *addr)
		return 1;
	if (runtime && *runtime &&
	    snprintf(path, sizeof(path), "%s/bus", runtime) < (int)sizeof(path) &&
	    access(path, F_OK) == 0)
		return 1;
	say(why, size, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set and "
	    "$XDG_RUNTIME_DIR/bus does not exist)");
	return 0;
}

int store_secretservice_answers(char *why, size_t size)
{
	struct ck_error err = CK_ERROR_INIT;
	struct child c = CHILD_INIT;
	char path[4096], *nl;
	char *argv[] = { path, (char *)"list", NULL };
	int ok = 0;

	if (!session_bus(why, size))
		return 0;
	store_helper_path("secretservice", path, sizeof(path));
	c.argv = argv;
	c.want_output = 1;
	c.output_max = 1024 * 1024;
	c.quiet = 1;
	c.timeout_ms = PROBE_MS;
	if (child_run(&c, &err)) {
		say(why, size, "cannot ask the Secret Service: %s", err.msg);
	} else if (WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0) {
		say(why, size, "a Secret Service answers on the session bus");
		ok = 1;
	} else {
		/* The helper's one line says what is wrong, and never a secret. */
		nl = c.output.buf ? strchr(c.output.buf, '\n') : NULL;
		if (nl)
			*nl = '\0';
		say(why, size, "%s", c.output.len ? c.output.buf
			: "docker-credential-secretservice failed");
	}
	child_release(&c);
	return ok;
}

/* Whether pass is installed and its store initialised. */
static int pass_usable(char *why, size_t size)
{
	const char *dir = getenv("PASSWORD_STORE_DIR"), *home = getenv("HOME");
	const char *path = getenv("PATH");
	char buf[4096];
	struct stat st;
	int found = 0;

	while (path && *path && !found) {
		size_t len = strcspn(path, ":");

		found = snprintf(buf, sizeof(buf), "%.*s/pass", (int)len, path) <
			(int)sizeof(buf) && access(buf, X_OK) == 0;
		path += len + (path[len] == ':');
	}
	if (!found) {
		say(why, size, "pass is not installed (or not in PATH)");
		return 0;
	}
	if (dir && *dir)
		say(buf, sizeof(buf), "%s/.gpg-id", dir);
	else
		say(buf, sizeof(buf), "%s/.password-store/.gpg-id", home ? home : "");
	if (stat(buf, &st)) {
		say(why, size, "the password store is not initialised (no %s): run "
		    "'pass init <gpg-id>'", buf);
		return 0;
	}
	say(why, size, "pass is installed and its store initialised");
	return 1;
}

int store_choose(struct store_choice *c, struct ck_error *err)
{
	const char *env = getenv("CREDKIT_STORE");
	struct config cfg = CONFIG_INIT;
	char ss[256], kc[256];
	int ret;

	if (env && *env) {
		say(c->why, sizeof(c->why), "CREDKIT_STORE=%s", env);
		return store_parse(env, &c->kind, "CREDKIT_STORE", err);
	}
	if (config_load(&cfg, err))
		return -1;
	if (cfg.store[0]) {
		say(c->why, sizeof(c->why), "\"store\" in %s", cfg.path);
		ret = store_parse(cfg.store, &c->kind, cfg.path, err);
		config_release(&cfg);
		return ret;
	}
	config_release(&cfg);
	if (store_secretservice_answers(ss, sizeof(ss))) {
		c->kind = STORE_SECRETSERVICE;
		say(c->why, sizeof(c->why), "automatic: %s", ss);
	} else if (store_keyctl_usable(kc, sizeof(kc))) {
		c->kind = STORE_KEYCTL;
		say(c->why, sizeof(c->why), "automatic: %s, and %s", ss, kc);
	} else {
		c->kind = STORE_NONE;
		say(c->why, sizeof(c->why), "automatic: %s, and %s; nothing is kept "
		    "beyond the life of the process", ss, kc);
	}
	return 0;
}

int store_choose_tokens(struct store_choice *c, struct ck_error *err)
{
	const char *env = getenv("CREDKIT_STORE");
	char kc[256], rest[sizeof(c->why)];

	/* "none", said outright, means keep nothing, tokens included. */
	if (env && !strcmp(env, "none"))
		return store_choose(c, err);
	if (store_keyctl_usable(kc, sizeof(kc))) {
		c->kind = STORE_KEYCTL;
		say(c->why, sizeof(c->why), "short-lived tokens go to the kernel keyring "
		    "whenever it is usable");
		return 0;
	}
	if (store_choose(c, err))
		return -1;
	memcpy(rest, c->why, sizeof(rest));
	say(c->why, sizeof(c->why), "%s, so tokens go to the store for passwords (%s)",
	    kc, rest);
	return 0;
}

static void show_var(FILE *f, const char *name, const char *unset)
{
	const char *v = getenv(name);

	fprintf(f, "  %-26s %s\n", name, v && *v ? v : unset);
}

int store_doctor(FILE *f, const char *helper, struct ck_error *err)
{
	struct config cfg = CONFIG_INIT;
	struct store_choice pw = { STORE_NONE, "" }, tok = { STORE_NONE, "" };
	char why[512];
	int ok;

	fprintf(f, "docker-credential-%s doctor\n\nsettings:\n", helper);
	show_var(f, "CREDKIT_STORE", "(unset: automatic)");
	show_var(f, "CREDKIT_KEYRING", "(unset: persistent)");
	show_var(f, "CREDKIT_CONFIG", "(unset)");
	show_var(f, "DBUS_SESSION_BUS_ADDRESS", "(unset)");
	show_var(f, "PASSWORD_STORE_DIR", "(unset: ~/.password-store)");
	if (config_load(&cfg, err)) {
		fprintf(f, "  %-26s %s\n", "settings file", err->msg);
		return -1;
	}
	fprintf(f, "  %-26s %s%s%s%s\n", "settings file", cfg.path,
		cfg.present ? "" : " (absent)", cfg.store[0] ? ": store=" : "", cfg.store);
	config_release(&cfg);

	fprintf(f, "\nstores:\n");
	ok = store_secretservice_answers(why, sizeof(why));
	fprintf(f, "  %-14s %s: %s\n", "secretservice", ok ? "usable" : "not usable", why);
	ok = store_keyctl_usable(why, sizeof(why));
	fprintf(f, "  %-14s %s: %s\n", "keyctl", ok ? "usable" : "not usable", why);
	ok = pass_usable(why, sizeof(why));
	fprintf(f, "  %-14s %s: %s\n", "pass", ok ? "usable" : "not usable", why);

	if (store_choose(&pw, err) || store_choose_tokens(&tok, err))
		return -1;
	fprintf(f, "\nchoices of the token helpers:\n");
	fprintf(f, "  %-14s %s (%s)\n", "passwords", store_name(pw.kind), pw.why);
	fprintf(f, "  %-14s %s (%s)\n", "tokens", store_name(tok.kind), tok.why);
	return 0;
}
