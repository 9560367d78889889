/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-pass: credentials as gpg-encrypted entries of pass, the
 * standard unix password manager, in the same files as the Go helper of the
 * same name.
 */
#include "engine.h"
#include "stores/pass.h"

static const struct helper pass = {
	.name = "pass",
	.summary = "Keeps registry credentials in the password store of pass (gpg-encrypted files).",
	.backend = &pass_backend,
};

int main(int argc, char **argv)
{
	return credkit_main(&pass, argc, argv);
}
