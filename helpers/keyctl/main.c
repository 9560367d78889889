/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-keyctl: credentials in the Linux kernel keyring, for
 * headless hosts and CI agents: nothing on disk, no daemon, gone at reboot.
 */
#include "engine.h"
#include "stores/keyctl.h"

static const struct helper keyctl = {
	.name = "keyctl",
	.summary = "Keeps registry credentials in the Linux kernel keyring (keyctl).",
	.backend = &keyctl_backend,
};

int main(int argc, char **argv)
{
	return credkit_main(&keyctl, argc, argv);
}
