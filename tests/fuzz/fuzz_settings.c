/* SPDX-License-Identifier: MIT */
/*
 * fuzz_settings.c - libFuzzer target: credkit's settings file
 * (config_load()) and what the token helpers read from it: ecr-login's
 * "ecr" section (ecr_registry_find()) and ghcr's "ghcr" section
 * (ghcr_host_find()).
 *
 * The input is the file, read through CREDKIT_CONFIG.  The AWS files
 * are empty ones in the target's private folder, so that the cache keys'
 * identity reads nothing of the machine's.
 */
#include <stdlib.h>

#include "aws/ecr.h"
#include "config.h"
#include "fuzz.h"
#include "github/ghcr.h"
#include "tokens/cache.h"

static char path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char cred[4200], conf[4200];

	(void)argc;
	(void)argv;
	fuzz_aws_files(cred, conf, sizeof(cred));
	if (unsetenv("CREDKIT_STORE") || unsetenv("CREDKIT_ECR_PROFILE"))
		abort();
	fuzz_file("config.json", "", 0, path, sizeof(path));
	if (setenv("CREDKIT_CONFIG", path, 1))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const servers[] = {
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com", "public.ecr.aws",
		"registry.example.com", "registry.example.com:5000", "ghcr.io",
		"containers.ghe.example",
	};
	struct config cfg = CONFIG_INIT;
	struct ck_error err = CK_ERROR_INIT;
	struct ecr_registry r;
	struct token_target t;
	struct ghcr_host h;
	size_t i;

	fuzz_file("config.json", data, size, path, sizeof(path));
	if (config_load(&cfg, &err))
		goto out;
	for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		ecr_registry_find(servers[i], &cfg, &r, &t, &err);
		ghcr_host_find(servers[i], &cfg, &h, NULL, &err);
	}
out:
	config_release(&cfg);
	return 0;
}
