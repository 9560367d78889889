/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-ghcr-mint: the half of docker-credential-ghcr that
 * runs `gh auth token` (see github/ghcr.h and tokens/helper.h).
 * docker-credential-ghcr runs it when no token of gh's is cached, with
 * the lock held and handed over; run by hand, it takes the lock itself.
 * It speaks the same protocol: `echo ghcr.io | docker-credential-ghcr-mint
 * get` asks the sources, and gh unless its token is cached.
 */
#include "github/api.h"
#include "github/ghcr.h"

int main(int argc, char **argv)
{
	return token_mint_main(&ghcr_tokens, ghcr_mint, github_online, argc, argv);
}
