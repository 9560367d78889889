/* SPDX-License-Identifier: MIT */
/*
 * config.h - credkit's settings file.
 *
 * One JSON file for the whole suite, $CREDKIT_CONFIG or else
 * $XDG_CONFIG_HOME/credkit/config.json (~/.config/credkit/config.json):
 *
 *   { "store": "secretservice" | "keyctl" | "pass" | "none" }
 *
 * Later settings (per-registry options of the token helpers) live in the
 * same file.  A missing file is no error: every setting has a default; so
 * is having nowhere to look (none of CREDKIT_CONFIG, XDG_CONFIG_HOME, HOME
 * set, as for a kubelet that systemd starts).
 * Environment variables win over the file.
 */
#ifndef CREDKIT_CONFIG_H
#define CREDKIT_CONFIG_H

#include "error.h"

struct config {
	char path[4096];	/* the file read, or that would be read */
	int present;		/* the file exists */
	char store[32];		/* "store", or "" when not set */
	void *root;		/* the whole document (a json_t), or NULL */
};

#define CONFIG_INIT { "", 0, "", NULL }

/*
 * Read the settings file into cfg.  Returns 0 (also when there is no
 * file), or -1 with err when it cannot be read or is not valid.
 */
int config_load(struct config *cfg, struct ck_error *err);

/* Free what config_load() kept. */
void config_release(struct config *cfg);

/* getenv(name), with an empty value counted as unset (NULL). */
const char *config_env(const char *name);

#endif
