/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-ghcr: GitHub Container Registry credentials from what
 * people already have (a docker login, GH_TOKEN, a token file, gh).
 *
 * This program is the token core's cheap front (tokens/helper.h): it asks
 * the sources that come before gh, answers gh's token from the cache, and
 * runs the minting program (which runs gh) only when none is cached.  It
 * never loads libcurl or libcrypto.
 */
#include "github/ghcr.h"

int main(int argc, char **argv)
{
	return token_front_main(&ghcr_tokens, argc, argv);
}
