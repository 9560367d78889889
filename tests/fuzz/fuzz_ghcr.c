/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ghcr.c - libFuzzer target: ghcr's settings ("ghcr" in credkit's
 * settings file, ghcr.c).
 *
 * The input is the settings file's text; when jansson reads it, ghcr
 * looks up a few servers in it and walks its hosts, as find() and
 * configure do.  No gh is looked for (no token_target) and nothing runs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "fuzz.h"
#include "github/ghcr.h"

static int each_host(const struct ghcr_host *h, void *data, struct ck_error *err)
{
	(void)data;
	(void)err;
	ghcr_env_names(h);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const servers[] = {
		"ghcr.io", "containers.github.example", "https://ghcr.example:8443/v2/",
		"registry.example", "[::1]:5000",
	};
	struct config cfg = CONFIG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct ghcr_host h;
	size_t i;

	snprintf(cfg.path, sizeof(cfg.path), "config.json");
	if (!(cfg.root = json_loadb((const char *)data, size, 0, NULL)))
		return 0;
	cfg.present = 1;
	for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		ghcr_host_find(servers[i], &cfg, &h, NULL, &err);
	ghcr_hosts_each(&cfg, each_host, NULL, &err);
	json_decref(cfg.root);
	return 0;
}
