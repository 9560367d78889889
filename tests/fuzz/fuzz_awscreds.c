/* SPDX-License-Identifier: MIT */
/*
 * fuzz_awscreds.c - libFuzzer target: the AWS shared credentials and
 * config files (awscreds.c's INI reader).
 *
 * The input is the credentials file, a NUL, then the config file (no NUL:
 * no config file).  Both are read through AWS_SHARED_CREDENTIALS_FILE and
 * AWS_CONFIG_FILE by the lookups that run nothing: a profile's values and
 * its region (aws_creds_local() would run a credential_process).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/awscreds.h"
#include "fuzz.h"

static char cred_path[4200], conf_path[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_aws_files(cred_path, conf_path, sizeof(cred_path));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Each lookup parses both files again: a few keep it fast. */
	static const char *const profiles[] = { NULL, "x", "corp" };
	static const char *const keys[] = {
		"aws_access_key_id", "region", "source_profile", "sso_start_url",
	};
	struct ck_error err = CK_ERROR_INIT;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t cred_len = nul ? (size_t)(nul - data) : size;
	char buf[512];
	size_t p, k;

	fuzz_file("credentials", data, cred_len, cred_path, sizeof(cred_path));
	if (nul)
		fuzz_file("config", nul + 1, size - cred_len - 1, conf_path, sizeof(conf_path));
	else
		unlink(conf_path);
	aws_files_forget();
	for (p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			aws_profile_value(profiles[p], keys[k], 0, buf, sizeof(buf), &err);
			aws_profile_value(profiles[p], keys[k], 1, buf, sizeof(buf), &err);
		}
		aws_region(profiles[p], buf, sizeof(buf), &err);
		aws_region(profiles[p], buf, 4, &err);
	}
	return 0;
}
