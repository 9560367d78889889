/* SPDX-License-Identifier: MIT */
/*
 * docker-credential-ecr-login: Amazon ECR tokens, minted on demand from the
 * AWS credential chain and cached in the kernel keyring.
 *
 * This program is the token core's cheap front (tokens/helper.h): it
 * answers from the cache and runs the minting program only when no cached
 * token is fresh enough.  It never loads libcurl or libcrypto.
 */
#include "aws/ecr.h"

int main(int argc, char **argv)
{
	return token_front_main(&ecr_tokens, argc, argv);
}
