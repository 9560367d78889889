/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-secretservice: credentials in the desktop keyring
 * (gnome-keyring, KeePassXC, KWallet) through the Secret Service D-Bus API,
 * in the same items as the Go helper of the same name.
 */
#include "engine.h"
#include "stores/secretservice.h"

static const struct helper secretservice = {
	.name = "secretservice",
	.summary = "Keeps registry credentials in the desktop keyring (Secret Service).",
	.backend = &secretservice_backend,
};

int main(int argc, char **argv)
{
	return credkit_main(&secretservice, argc, argv);
}
