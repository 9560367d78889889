/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dockercfg.c - libFuzzer target: the config.json editor of
 * configure (dockercfg.c).
 *
 * The input is the file: it is loaded, edited as configure edits it (set
 * credsStore and a credHelpers entry, look helpers up, unset them) and
 * dumped.  Nothing is saved.
 */
#include <stdlib.h>

#include "dockercfg.h"
#include "fuzz.h"
#include "secret.h"

static int each_key(const char *server, const char *username, void *data,
		    struct ck_error *err)
{
	const struct dockercfg *cfg = data;
	char host[256];

	(void)username;
	(void)err;
	dockercfg_host(server, host, sizeof(host));
	dockercfg_helper_for(cfg, server, 0);
	dockercfg_helper_for(cfg, server, 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dockercfg cfg = DOCKERCFG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	char path[4200], *text;
	char *hosts[] = { "ghcr.io" };

	fuzz_file("config.json", data, size, path, sizeof(path));
	if (dockercfg_load(&cfg, path, &err))
		goto out;
	dockercfg_each_auth(&cfg, each_key, &cfg, &err);
	if ((text = dockercfg_dump(&cfg, &err)))
		secure_free(text);
	dockercfg_set_store(&cfg, "keyctl", &err);
	dockercfg_set_helper(&cfg, "ghcr.io", "ghcr", &err);
	dockercfg_unset(&cfg, "ghcr", hosts, 1);
	dockercfg_unset(&cfg, "keyctl", NULL, 0);
	if ((text = dockercfg_dump(&cfg, &err)))
		secure_free(text);
out:
	dockercfg_release(&cfg);
	return 0;
}
