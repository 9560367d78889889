/* SPDX-License-Identifier: MIT */
/*
 * config.c - reading credkit's settings file.  See include/config.h.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

/*
 * Where the file is: $CREDKIT_CONFIG, $XDG_CONFIG_HOME/..., ~/.config/...
 * Returns 0, 1 when none of them is set (no file: every default holds),
 * or -1 with err.
 */
static int config_path(char *buf, size_t size, struct ck_error *err)
{
	const char *explicit = getenv("CREDKIT_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	if (explicit && *explicit)
		n = snprintf(buf, size, "%s", explicit);
	else if (xdg && *xdg == '/')
		n = snprintf(buf, size, "%s/credkit/config.json", xdg);
	else if (home && *home)
		n = snprintf(buf, size, "%s/.config/credkit/config.json", home);
	else
		return 1;	/* nowhere to look: no settings (a kubelet under systemd) */
	if (n < 0 || (size_t)n >= size)
		return ck_error(err, CK_FAILED, "the credkit settings file path is too long");
	return 0;
}

int config_load(struct config *cfg, struct ck_error *err)
{
	json_error_t jerr;
	json_t *root, *store;
	struct stat st;

	switch (config_path(cfg->path, sizeof(cfg->path), err)) {
	case 0:
		break;
	case 1:
		snprintf(cfg->path, sizeof(cfg->path), "(none: neither CREDKIT_CONFIG, "
			 "XDG_CONFIG_HOME nor HOME is set)");
		return 0;
	default:
		return -1;
	}
	if (stat(cfg->path, &st)) {
		if (errno == ENOENT)
			return 0;
		return ck_error(err, CK_FAILED, "cannot read %s: %s", cfg->path,
				strerror(errno));
	}
	cfg->present = 1;
	root = json_load_file(cfg->path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ck_error(err, CK_BAD_INPUT, "%s:%d:%d: %s", cfg->path, jerr.line,
				jerr.column, jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return ck_error(err, CK_BAD_INPUT, "%s: expected a JSON object", cfg->path);
	}
	store = json_object_get(root, "store");
	if (store && !json_is_string(store)) {
		json_decref(root);
		return ck_error(err, CK_BAD_INPUT, "%s: \"store\" must be a string", cfg->path);
	}
	if (store && snprintf(cfg->store, sizeof(cfg->store), "%s",
			      json_string_value(store)) >= (int)sizeof(cfg->store)) {
		json_decref(root);
		return ck_error(err, CK_BAD_INPUT, "%s: unknown \"store\" value", cfg->path);
	}
	cfg->root = root;
	return 0;
}

void config_release(struct config *cfg)
{
	json_decref(cfg->root);
	cfg->root = NULL;
}

const char *config_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}
